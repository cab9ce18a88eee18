"""What an agent may know: the learning agents' sources cannot reach the world's
definition.  Each agent source defines AIF_AGENT_VIEW_ONLY, which makes
gridworld.h and env.h refuse to compile; this test checks both the include
graph and that the guard really fires."""
import glob
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AGENTS = sorted(glob.glob(os.path.join(ROOT, "src", "agents", "agent_*.c")))
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


@pytest.mark.parametrize("header", ["world/gridworld.h", "world/env.h"])
def test_guard_refuses_the_world(header, tmp_path):
    probe = tmp_path / "probe.c"
    probe.write_text(f'#define AIF_AGENT_VIEW_ONLY\n#include "interface/agents.h"\n#include "{header}"\n')
    p = subprocess.run(["gcc", "-fsyntax-only", "-I", os.path.join(ROOT, "include"), str(probe)],
                       capture_output=True, text=True)
    assert p.returncode != 0 and "must not see the world" in p.stderr


# The training view: an agent's training loop gets its observation, the reward
# and how the episode ended, and has no way to ask the environment for the true
# cell (the compile-time counterpart of the task view's guard).  Each probe is
# an agent-side use of the true cell that must not compile.
TRAINING_PROBES = {
    "reset_with_state": "int s; return env_reset(e, &s);",
    "step_with_state": "int s, out; double r; return env_step(e, 0, &s, &r, &out);",
    "read_env_state": "return e->s;",
}


@pytest.mark.parametrize("name", sorted(TRAINING_PROBES))
def test_training_loop_cannot_reach_the_true_cell(name, tmp_path):
    probe = tmp_path / "probe.c"
    probe.write_text('#define AIF_AGENT_VIEW_ONLY\n#include "interface/agents.h"\n'
                     f"int probe(env_t *e);\nint probe(env_t *e) {{ {TRAINING_PROBES[name]} }}\n")
    p = subprocess.run(["gcc", "-std=c11", "-fsyntax-only", "-Werror", "-I", os.path.join(ROOT, "include"),
                        str(probe)], capture_output=True, text=True)
    assert p.returncode != 0, f"{name} compiled: an agent could read the true cell"


def test_training_view_compiles_without_the_state(tmp_path):
    """The control of the probes above: the legitimate calls compile."""
    probe = tmp_path / "probe.c"
    probe.write_text('#define AIF_AGENT_VIEW_ONLY\n#include "interface/agents.h"\n'
                     "int probe(env_t *e);\n"
                     "int probe(env_t *e) { int out; double r; env_reset(e); return env_step(e, 0, &r, &out); }\n")
    p = subprocess.run(["gcc", "-std=c11", "-fsyntax-only", "-Werror", "-I", os.path.join(ROOT, "include"),
                        str(probe)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_labels_only_where_the_parameters_ask():
    """The one channel to the true cell, task_t.labels, is read only by the agents
    with a state_labels parameter (the labelled ablation), and only behind it."""
    for src in AGENTS:
        text = open(src).read()
        config = src.replace(".c", "_config.c")   # an agent's parameters may have a file of their own
        if os.path.exists(config):
            text += open(config).read()
        if "labels->cell" in text:
            assert '"state_labels"' in text, f"{os.path.basename(src)} reads labels without a state_labels parameter"
