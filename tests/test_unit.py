"""Runs every C unit test (build/tests/unit_*) as its own pytest case."""
import glob
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINS = sorted(glob.glob(os.path.join(ROOT, "build", "tests", "unit_*")))


def _cases():
    for b in BINS:
        env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
        names = subprocess.run([b, "--list"], capture_output=True, text=True, check=True, env=env).stdout.split()
        for n in names:
            yield pytest.param(b, n, id=f"{os.path.basename(b)}::{n}")


@pytest.mark.parametrize("binary,name", list(_cases()))
def test_c_unit(binary, name):
    # One BLAS thread, as in the runner: tests must not depend on a thread count.
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMPI_ALLOW_RUN_AS_ROOT="1",
               OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    p = subprocess.run([binary, name], capture_output=True, text=True, cwd=ROOT, timeout=600, env=env)
    assert p.returncode == 0, f"{name} failed:\n{p.stdout}\n{p.stderr}"
