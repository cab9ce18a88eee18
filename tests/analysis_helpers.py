"""Fixtures and helpers of the analysis, integrity and Slurm tests (imported
by them; tests/conftest.py holds the runner's).  Not named conftest_*: pytest
gives conftest a meaning of its own, and this module is a plain import."""
import contextlib
import csv
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import pytest

from conftest import BIN, ROOT, run_sweep, write_job

SMOKE = os.path.join(ROOT, "jobs", "smoke.yaml")


@contextlib.contextmanager
def edit_results(path):
    """h5py.File(path, "r+") for a test that rewrites a results file on
    purpose (to give the analysis a state to read): on exit every finished
    run's /runs/crc32 is recomputed, so the edit is not taken for damage.  A
    file left without a covered dataset (an older layout) loses /runs/crc32."""
    sys.path.insert(0, ROOT)
    from analysis import verify
    from analysis.results import text
    with h5py.File(path, "r+") as f:
        yield f
        if "runs/crc32" not in f:
            return
        covers = text(f["runs/crc32"].attrs["covers"]).split(",")
        if not all(c.lstrip("/") in f for c in covers):
            del f["runs/crc32"]
            return
        st = f["runs/status"][:]
        agents = [text(a) for a in f["runs/params"]["agent"]]
        crc = f["runs/crc32"][:]
        for r in np.flatnonzero((st == 1) | (st == 2)):
            crc[r] = verify.run_crc(f, int(r), int(st[r]), covers, agents[r])
        f["runs/crc32"][...] = crc


def analysis(*args, timeout=300):
    """python3 -m analysis ARGS (the Python running the tests has h5py)."""
    return subprocess.run([sys.executable, "-m", "analysis", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)


def analysis_ok(*args, **kw):
    p = analysis(*args, **kw)
    assert p.returncode == 0, f"analysis {' '.join(map(str, args))} exited {p.returncode}:\n{p.stdout}\n{p.stderr}"
    assert p.stderr == "", p.stderr
    return p


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def num(x):
    return float("nan") if x == "" else float(x)


def close(a, b, rel=1e-12):
    if np.isnan(a) or np.isnan(b):
        return np.isnan(a) and np.isnan(b)
    if np.isinf(a) or np.isinf(b):
        return a == b
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def agent_known(agent_type):
    """Whether the built aif-sweep knows an agent class (another issue may add it)."""
    job = ("name: probe\nenvironments:\n  - name: w\n    size: 4\nagents:\n"
           f"  - type: {agent_type}\n")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "probe.yaml")
        with open(path, "w") as f:
            f.write(job)
        p = subprocess.run([BIN, path, "--dry-run"], capture_output=True, text=True)
    return p.returncode == 0


@pytest.fixture(scope="session")
def smoke_results(tmp_path_factory):
    """jobs/smoke.yaml run by the real runner on 3 ranks (read-only: copy before changing)."""
    out = tmp_path_factory.mktemp("smoke") / "smoke.h5"
    run_sweep(SMOKE, out, 3, "--quiet", check=True)
    return out


def copy_results(src, dst):
    shutil.copyfile(src, dst)
    return dst


def raw(path):
    """The raw datasets the tables are recomputed from (max_steps: of each run's world;
    outcome: /eval/outcome, or None when the file has none)."""
    with h5py.File(path, "r") as f:
        p = f["runs/params"][:]
        env = np.array([x.decode() for x in p["env"]])
        return {
            "status": f["runs/status"][:], "steps": f["eval/steps"][:], "success": f["eval/success"][:],
            "condition": p["condition"], "agent": np.array([x.decode() for x in p["agent"]]),
            "env": env, "params": p,
            "max_steps": np.array([int(f["envs"][e].attrs["max_steps"]) for e in env], dtype=np.int64),
            "outcome": f["eval/outcome"][:] if "eval/outcome" in f else None,
        }


__all__ = ["analysis", "analysis_ok", "read_csv", "num", "close", "agent_known", "smoke_results",
           "copy_results", "raw", "SMOKE", "write_job", "run_sweep", "ROOT", "BIN"]
