"""Fault injection: the job is killed with SIGKILL at named points (inside file
creation, between a run's data and its status, in the coordinator, at close,
...), at random moments, or one worker rank is killed alone.  After each kill:

- the results file, if it exists, is readable by h5py, h5dump and the analysis,
  and every run it marks done is identical to the same run of an uninterrupted
  sweep;
- a job killed while creating the file leaves only RESULTS.partial; --resume
  says there is nothing to resume (exit 2) and a new run replaces the partial;
  an existing file being replaced (--force) is untouched;
- --resume finishes the file; runs done before the kill are not run again
  (their t_start is unchanged and the resume dispatches only the others), and
  the final file equals the uninterrupted one run for run.

Kill points are raised from inside aif-sweep by the AIF_FAULT hook (src/core/fault.c,
listed in docs/hardening.md)."""
import os
import random
import re
import signal
import subprocess
import time

import h5py
import numpy as np
import pytest

from conftest import (DETERMINISTIC, ROOT, assert_same_results, descendants, sha256_file, sweep_cmd,
                      sweep_ranks, write_job)

# 32 runs: null-work runs that sleep (so runs are in flight when the job dies)
# and quick q-learning runs with real checkpoints.
FAULT_JOB = """
name: faults
seed: 5
seeds: 8
train_steps: 3000
eval_episodes: 5
log_episodes: 2
checkpoints: 2
curve_points: 4
efe_checks: 3
environments:
  - name: paper4x4
    size: 4
    max_steps: 30
  - name: slippy
    size: 5
    slip: 0.2
    obs_noise: 0.3
    max_steps: 40
agents:
  - type: null-work
    params:
      ckpt_floats: 64
      sleep_ms: 80
  - type: q-learning
"""
N_RUNS = 32
NP = 3
TIMEOUT = 120


def _run(job, out, np_=NP, *args, env=None, timeout=TIMEOUT):
    e = dict(os.environ)
    for k in ("AIF_FAULT", "AIF_FAULT_RANK", "AIF_FAULT_SCOPE"):
        e.pop(k, None)
    e.update(env or {})
    proc = subprocess.Popen(sweep_cmd(job, out, np_, "--progress", "1000", *args), cwd=ROOT, env=e,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        so, se = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        so, se = proc.communicate()
        raise AssertionError(f"aif-sweep hung (killed after {timeout} s):\n{se}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, so, se)


def _fault(point, count=1, rank=None, scope="job"):
    env = {"AIF_FAULT": f"{point}:{count}", "AIF_FAULT_SCOPE": scope}
    if rank is not None:
        env["AIF_FAULT_RANK"] = str(rank)
    return env


@pytest.fixture(scope="module")
def fault_job(tmp_path_factory):
    return write_job(tmp_path_factory.mktemp("faultjob"), FAULT_JOB)


@pytest.fixture(scope="module")
def reference(fault_job):
    """The uninterrupted sweep."""
    out = fault_job.parent / "ref.h5"
    p = _run(fault_job, out)
    assert p.returncode == 0, p.stderr
    return out


def _readable(path):
    """h5py, h5dump and the analysis can all read the file; returns /runs/status
    and /runs/t_start."""
    with h5py.File(path, "r") as f:
        st = f["runs/status"][:]
        t0 = f["runs/t_start"][:]
        assert st.shape == (N_RUNS,) and set(np.unique(st)) <= {0, 1, 2, 3}, st
        for name in DETERMINISTIC:      # every dataset can be read whole
            f[name][:]
    subprocess.run(["h5dump", "-H", str(path)], check=True, capture_output=True, timeout=60)
    subprocess.run(["h5dump", "-d", "/runs/status", str(path)], check=True, capture_output=True, timeout=60)
    if os.path.isdir(os.path.join(ROOT, "analysis")):
        e = dict(os.environ, PYTHONPATH=ROOT)
        p = subprocess.run(["/usr/bin/python3", "-m", "analysis", "status", str(path)], cwd=ROOT, env=e,
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stdout + p.stderr
    return st, t0


def _assert_done_rows_match(path, ref):
    """Every row marked done in path equals the reference's row."""
    with h5py.File(path, "r") as f, h5py.File(ref, "r") as g:
        done = f["runs/status"][:] == 1
        for name in DETERMINISTIC + ["efe_check/G_estimate", "efe_check/spearman"]:
            x, y = f[name][:][done], g[name][:][done]
            if x.dtype.kind == "f":
                assert np.array_equal(x, y, equal_nan=True), name
            else:
                assert np.array_equal(x, y), name
        rows, floats = f["checkpoints/row"][:], f["checkpoints/floats"][:]
        p = f["runs/params"][:]
        for r in np.nonzero(done)[0]:
            if rows[r] < 0:
                continue
            name = p["agent"][r].decode()
            a = f["checkpoints"][name][rows[r], :, :floats[r]]
            b = g["checkpoints"][name][rows[r], :, :floats[r]]
            assert np.array_equal(a, b), (r, name)


def _dispatched(stderr):
    m = re.search(r"dispatched (\d+) runs", stderr)
    assert m, stderr
    return int(m.group(1))


def _resume_and_compare(job, out, ref, np_=NP):
    """Resume a killed file; nothing done before is done again; the result
    equals the reference."""
    st, t0 = _readable(out)
    _assert_done_rows_match(out, ref)
    p = _run(job, out, np_, "--resume")
    assert p.returncode == 0, p.stderr
    assert _dispatched(p.stderr) == int((st != 1).sum()), (st, p.stderr)
    assert_same_results(ref, out)
    _readable(out)
    with h5py.File(out, "r") as f:
        done_before = st == 1
        assert np.array_equal(f["runs/t_start"][:][done_before], t0[done_before])
    return st


# (point, arrival, rank): rank None lets any rank count.  Rank 0 alone builds
# the layout (the others wait for its verdict), so the creation points are its.
CREATION_POINTS = [("create_begin", 1, 0), ("create_after_layout", 1, 0),
                   ("create_before_close", 1, 0), ("before_rename", 1, 0)]
RUN_POINTS = [("after_rename", 1, 0), ("after_open", 1, 0), ("dispatch", 9, 0), ("run_start", 3, 1),
              ("before_write", 4, 2), ("mid_data", 3, 1), ("mid_write", 5, 2), ("after_status", 2, 1),
              ("before_close", 1, 0), ("after_close", 1, 0)]


@pytest.mark.parametrize("point,count,rank", CREATION_POINTS, ids=[p[0] for p in CREATION_POINTS])
def test_kill_during_creation(point, count, rank, fault_job, reference, tmp_path):
    out = tmp_path / "r.h5"
    partial = tmp_path / "r.h5.partial"
    p = _run(fault_job, out, env=_fault(point, count, rank))
    assert p.returncode != 0 and f"SIGKILL at {point}" in p.stderr, p.stderr
    assert not out.exists() and partial.exists()
    # Detected and reported, never taken for results.
    p = _run(fault_job, out, NP, "--resume")
    assert p.returncode == 2 and "nothing to resume" in p.stderr, p.stderr
    assert not out.exists() and partial.exists()
    # A new run replaces the partial file.
    p = _run(fault_job, out)
    assert p.returncode == 0, p.stderr
    assert not partial.exists()
    assert_same_results(reference, out)
    _readable(out)


def test_kill_while_replacing_keeps_old_file(fault_job, reference, tmp_path):
    """--force builds the new layout beside the old file; a kill then leaves the
    old file untouched and usable."""
    out = tmp_path / "r.h5"
    p = _run(fault_job, out)
    assert p.returncode == 0, p.stderr
    before = sha256_file(out)
    p = _run(fault_job, out, NP, "--force", env=_fault("create_after_layout", 1, 0))
    assert "SIGKILL at create_after_layout" in p.stderr, p.stderr
    assert sha256_file(out) == before
    assert_same_results(reference, out)


@pytest.mark.parametrize("point,count,rank", RUN_POINTS, ids=[p[0] for p in RUN_POINTS])
def test_kill_at_point_then_resume(point, count, rank, fault_job, reference, tmp_path):
    out = tmp_path / "r.h5"
    p = _run(fault_job, out, env=_fault(point, count, rank))
    assert p.returncode != 0 and f"SIGKILL at {point}" in p.stderr, p.stderr
    assert out.exists() and not (tmp_path / "r.h5.partial").exists()
    st = _resume_and_compare(fault_job, out, reference)
    if point in ("run_start", "before_write", "mid_data", "mid_write"):
        assert (st == 3).any(), st        # the run being written was left 'started'
    if point in ("after_rename", "after_open"):
        assert (st == 0).all(), st
    if point == "after_close":
        assert (st == 1).all(), st


def test_kill_during_resume_then_resume_again(fault_job, reference, tmp_path):
    out = tmp_path / "r.h5"
    p = _run(fault_job, out, env=_fault("mid_write", 4, 1))
    assert "SIGKILL at mid_write" in p.stderr, p.stderr
    st1, _ = _readable(out)
    p = _run(fault_job, out, NP, "--resume", env=_fault("mid_data", 3, 2))
    assert "SIGKILL at mid_data" in p.stderr, p.stderr
    st2, _ = _readable(out)
    assert (st2 == 1).sum() > (st1 == 1).sum()
    _resume_and_compare(fault_job, out, reference, np_=2)


def test_one_worker_rank_killed(fault_job, reference, tmp_path):
    """A worker dies alone (SIGKILL from outside, as the OOM killer would): the
    job ends instead of hanging, and --resume completes it."""
    out = tmp_path / "r.h5"
    e = dict(os.environ)
    proc = subprocess.Popen(sweep_cmd(fault_job, out, NP, "--progress", "0"), cwd=ROOT, env=e,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        # Wait until a few runs are done, then kill the rank of one worker.
        t0 = time.time()
        while time.time() - t0 < 60:
            line = proc.stderr.readline()
            m = re.search(r"(\d+)/\d+ runs done", line)
            if m and int(m.group(1)) >= 4:
                break
        victims = [q for q in sweep_ranks(proc.pid) if _mpi_rank(q) == 2]
        assert victims, "no rank 2 found"
        os.kill(victims[0], signal.SIGKILL)
        proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise AssertionError("the job did not end after one of its ranks was killed")
    assert proc.returncode != 0
    time.sleep(0.2)
    _resume_and_compare(fault_job, out, reference)


def test_one_rank_crashes_at_mid_write(fault_job, reference, tmp_path):
    """The same from inside: one worker dies between its data and its status,
    the others are ended by mpirun."""
    out = tmp_path / "r.h5"
    p = _run(fault_job, out, env=_fault("mid_write", 3, 1, scope="rank"))
    assert p.returncode != 0 and "SIGKILL at mid_write" in p.stderr, p.stderr
    _resume_and_compare(fault_job, out, reference)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_at_random_moment(seed, fault_job, reference, tmp_path):
    """SIGKILL to the whole process tree at a seeded random moment: before the
    file exists, while it is created, or while runs are written."""
    rng = random.Random(seed)
    out = tmp_path / "r.h5"
    delay = rng.uniform(0.3, 1.6)
    proc = subprocess.Popen(sweep_cmd(fault_job, out, NP, "--progress", "1000"), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    time.sleep(delay)
    for q in [proc.pid] + descendants(proc.pid):
        try:
            os.kill(q, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.communicate(timeout=60)
    time.sleep(0.2)
    partial = tmp_path / "r.h5.partial"
    if out.exists():
        if proc.returncode == 0:
            assert_same_results(reference, out)     # finished before the kill
        else:
            _resume_and_compare(fault_job, out, reference)
        return
    p = _run(fault_job, out, NP, "--resume")
    assert p.returncode == 2, p.stderr
    assert ("nothing to resume" in p.stderr) == partial.exists(), p.stderr
    p = _run(fault_job, out)
    assert p.returncode == 0, p.stderr
    assert_same_results(reference, out)


def test_stopped_by_signal_is_readable(fault_job, reference, tmp_path):
    """A job stopped cleanly (SIGTERM to every rank, as Slurm does) is as
    readable as a killed one, and resumes to the same file."""
    out = tmp_path / "r.h5"
    proc = subprocess.Popen(sweep_cmd(fault_job, out, NP, "--progress", "0"), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        t0 = time.time()
        while time.time() - t0 < 60:
            m = re.search(r"(\d+)/\d+ runs done", proc.stderr.readline())
            if m and int(m.group(1)) >= 4:
                break
        for q in sweep_ranks(proc.pid):
            os.kill(q, signal.SIGTERM)
        proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise AssertionError("the job did not stop on SIGTERM")
    assert proc.returncode == 3
    st = _resume_and_compare(fault_job, out, reference)
    assert not (st == 3).any() and (st == 0).any(), st


def test_null_work_record_is_full(reference):
    """null-work writes every field of its record (what the benchmarks need):
    decision logs, the EFE check and checkpoints, deterministic per run."""
    with h5py.File(reference, "r") as f:
        p = f["runs/params"][:]
        null = np.array([a.decode() == "null-work" for a in p["agent_type"]])
        assert null.sum() == 16
        L, G, P = f["traj/length"][:], f["traj/G"][:], f["traj/p_action"][:]
        for r in np.nonzero(null)[0]:
            for k in range(L.shape[1]):
                assert np.isfinite(G[r, k, :L[r, k], :4]).all() and np.isfinite(P[r, k, :L[r, k], :4]).all()
        assert (f["efe_check/n_policies"][:][null] == 64).all()
        assert (f["checkpoints/floats"][:][null] == 64).all()
        ck = f["checkpoints/null-work"][:]
        assert ck.shape == (16, 2, 64) and np.isfinite(ck).all()
        assert len({ck[i].tobytes() for i in range(16)}) == 16     # run-specific
        assert (f["runs/train_steps"][:][null] == 0).all()


# ---- process helpers ----------------------------------------------------------------

def _mpi_rank(pid):
    """The MPI rank of a process started by mpirun (from its environment)."""
    try:
        env = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
    except OSError:
        return None
    for kv in env:
        if kv.startswith(b"OMPI_COMM_WORLD_RANK="):
            return int(kv.split(b"=", 1)[1])
    return None
