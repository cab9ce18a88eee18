"""What an agent may know: the learning agents' sources cannot reach the world's
definition.  Each agent source defines AIF_AGENT_VIEW_ONLY, which makes
gridworld.h and env.h refuse to compile; this test checks both the include
graph and that the guard really fires."""
import glob
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AGENTS = sorted(glob.glob(os.path.join(ROOT, "src", "agent_*.c")))
FORBIDDEN = {"gridworld.h", "env.h", "run.h", "jobspec.h", "store.h"}


@pytest.mark.parametrize("src", AGENTS, ids=[os.path.basename(a) for a in AGENTS])
def test_agent_includes_only_the_view(src):
    out = subprocess.run(["gcc", "-MM", "-I", os.path.join(ROOT, "include"), src],
                         capture_output=True, text=True, check=True).stdout
    headers = {os.path.basename(t) for t in out.replace("\\\n", " ").split()[1:] if t.endswith(".h")}
    assert "task.h" in headers
    assert not headers & FORBIDDEN, f"{os.path.basename(src)} reaches {sorted(headers & FORBIDDEN)}"
    with open(src) as f:
        assert "#define AIF_AGENT_VIEW_ONLY" in f.read()


@pytest.mark.parametrize("header", ["gridworld.h", "env.h"])
def test_guard_refuses_the_world(header, tmp_path):
    probe = tmp_path / "probe.c"
    probe.write_text(f'#define AIF_AGENT_VIEW_ONLY\n#include "agents.h"\n#include "{header}"\n')
    p = subprocess.run(["gcc", "-fsyntax-only", "-I", os.path.join(ROOT, "include"), str(probe)],
                       capture_output=True, text=True)
    assert p.returncode != 0 and "must not see the world" in p.stderr
