"""slurm/sweep.sbatch on a real single-node Slurm cluster started here
(Debian's slurm-wlm and munge; tests/slurm_cluster.py).

1. The smoke job through `sbatch --wait`, launched with srun --mpi=pmix (what
   the script picks with Debian's Open MPI) and with mpirun inside the
   allocation: the results are complete and bit-identical to an mpirun run.
2. The warning signal (`scancel --batch --signal=USR1`, what --signal=B:USR1@T
   sends before the time limit) stops a running sweep cleanly; the script
   requeues the job, the requeued job resumes the file, and every run is done
   exactly once, with results identical to an uninterrupted sweep.

Skipped, with the reason, only where Slurm cannot be installed or started."""
import json
import os
import shutil
import tempfile
import time

import h5py
import numpy as np
import pytest

from conftest import assert_same_results, tiny_job
from analysis_helpers import ROOT, SMOKE, analysis, run_sweep, smoke_results, write_job  # noqa: F401
from slurm_cluster import SlurmCluster, SlurmUnavailable, ensure_installed

SCRIPT = os.path.join(ROOT, "slurm", "sweep.sbatch")


@pytest.fixture(scope="module")
def cluster():
    try:
        ensure_installed()
    except SlurmUnavailable as e:
        pytest.skip(f"Slurm cannot be installed here: {e}")
    base = tempfile.mkdtemp(prefix="aifslurm-", dir="/tmp")   # short paths: munge's socket
    c = SlurmCluster(base, cpus=4)
    try:
        c.start()
    except SlurmUnavailable as e:
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"Slurm cannot be started here: {e}")
    # Jobs inherit this environment: Open MPI's single-copy mechanism is often
    # denied in containers (as in scripts/mpirun.sh).
    c.env["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"
    yield c
    c.stop()
    shutil.rmtree(base, ignore_errors=True)


def _sbatch_wait(cluster, args, env=None, timeout=240):
    return cluster.run("sbatch", "--wait", "--parsable", *args, check=False, timeout=timeout,
                       env=env or cluster.env, cwd=ROOT)


@pytest.mark.parametrize("launcher,expect", [("auto", "srun --mpi=pmix --ntasks=3"), ("mpirun", "mpirun -n 3")])
def test_sbatch_smoke_job(cluster, smoke_results, tmp_path, launcher, expect):
    out = tmp_path / "smoke.h5"
    log = tmp_path / "job.out"
    env = dict(cluster.env, AIF_LAUNCHER=launcher)
    p = _sbatch_wait(cluster, ["--ntasks=3", "--time=5", f"--output={log}", SCRIPT, SMOKE, str(out)], env=env)
    text = log.read_text() if log.exists() else ""
    assert p.returncode == 0, f"sbatch exited {p.returncode}\n{p.stdout}\n{p.stderr}\n{text}"
    job_id = p.stdout.strip().split(";")[0]
    info = cluster.job_info(job_id)
    assert info.get("JobState") == "COMPLETED" and info.get("ExitCode") == "0:0", (info, text)
    # What ran: the chosen launcher, one MPI world of the allocation's size.
    assert expect in text, text
    assert "on 3 ranks" in text and "done: " in text, text
    # sbatch --wait's exit code is not enough (a job cancelled while pending
    # also gives 0): the file must hold every run, identical to mpirun's.
    with h5py.File(out, "r") as f:
        assert (f["runs/status"][:] == 1).all()
        assert set(f["runs/rank"][:]) == {1, 2}
    assert_same_results(smoke_results, out)


WARN_JOB = """
name: requeue
seed: 9
seeds: 3
train_steps: 30000000
eval_episodes: 4
log_episodes: 1
checkpoints: 1
curve_points: 4
environments:
  - name: w
    size: 6
    slip: 0.1
    max_steps: 80
agents:
  - type: q-learning
    params:
      alpha: [0.1, 0.3]
"""


def _status(path):
    p = analysis("status", path, "--json")
    return json.loads(p.stdout) if p.returncode == 0 else None


FINAL = ("FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE", "PREEMPTED")


def _wait(cond, timeout, what, poll=0.3, why=None):
    t0 = time.time()
    while time.time() - t0 < timeout:
        v = cond()
        if v:
            return v
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}" + (f":\n{why()}" if why else ""))


def test_warning_signal_requeues_and_resumes(cluster, tmp_path):
    job = write_job(tmp_path, WARN_JOB)
    out = tmp_path / "r.h5"
    log = tmp_path / "job.out"
    # Not `sbatch --wait`: it may return while the job is being requeued.
    job_id = cluster.run("sbatch", "--parsable", "--ntasks=3", "--time=10", f"--output={log}", SCRIPT, str(job),
                         str(out), cwd=ROOT).stdout.strip().split(";")[0]

    def diag():
        return (f"{cluster.job_info(job_id)}\n{log.read_text()}\n{cluster.log_tail('slurmctld', 30)}\n"
                f"{cluster.log_tail('slurmd', 40)}")
    try:
        def some_done():
            s = _status(out) if out.exists() else None
            return s if s and s["counts"]["done"] >= 1 else None
        s = _wait(some_done, 120, "the first run to finish")
        assert s["counts"]["done"] < 6, "the sweep finished before the warning; make WARN_JOB slower"
        # Slurm's early warning, as --signal=B:USR1@T sends it: to the batch shell only.
        cluster.run("scancel", "--batch", "--signal=USR1", job_id)
        t_signal = time.time()

        def requeued():
            # Reason=BeginTime once the requeue is complete (the old batch step
            # gone); releasing the job earlier can start it while the node is
            # still cleaning up after the first attempt.
            i = cluster.job_info(job_id)
            return i if (i.get("JobState"), i.get("Restarts"), i.get("Reason")) == ("PENDING", "1", "BeginTime") \
                else None
        _wait(requeued, 90, "the job to be requeued", why=diag)

        def node_idle():
            # Under load the node can still be cleaning up the first attempt
            # (State=...+COMPLETING); a job released onto it may then fail to
            # launch.  Release it only onto an idle node.
            out = cluster.run("scontrol", "-o", "show", "node", check=False).stdout
            return "State=IDLE" in out and "COMPLETING" not in out
        _wait(node_idle, 90, "the node to be idle again", why=diag)
        # Between the two attempts the file is closed and consistent.
        with h5py.File(out, "r") as f:
            st1 = f["runs/status"][:]
            t_start1, t_end1 = f["runs/t_start"][:], f["runs/t_end"][:]
        done1 = np.flatnonzero(st1 == 1)
        assert set(np.unique(st1)) <= {0, 1}, st1          # nothing left "started"
        assert 1 <= len(done1) < len(st1), st1
        # A requeued job may start again once its revoked credential has
        # expired (cred_expire, 10 s on the test cluster; releasing it earlier
        # with StartTime=now gets it killed at launch: "Job credential revoked").

        def finished():
            # A job may pass through other states while it is requeued: wait
            # for COMPLETED, or for a final state after the second attempt.
            i = cluster.job_info(job_id)
            if i.get("JobState") == "COMPLETED":
                return i
            if i.get("JobState") in FINAL and log.read_text().count("the sweep exited with status") >= 2:
                return i
            return None
        info = _wait(finished, 180, "the requeued job to finish", poll=1.0, why=diag)
    finally:
        if cluster.job_info(job_id).get("JobState") in ("PENDING", "RUNNING"):
            cluster.run("scancel", job_id, check=False)
    text = log.read_text()
    assert info.get("JobState") == "COMPLETED" and info.get("ExitCode") == "0:0", diag()
    assert info.get("Restarts") == "1", (info, text)
    assert "received SIGUSR1: telling the sweep to stop" in text, text
    assert f"requeueing job {job_id}" in text and "attempt 2 on 3 tasks" in text, text
    assert "--resume" in text and f"resuming: {len(done1)} runs already done, 0 failed, " \
                                   f"{len(st1) - len(done1)} to run" in text, text
    with h5py.File(out, "r") as f:
        st = f["runs/status"][:]
        t_start, t_end = f["runs/t_start"][:], f["runs/t_end"][:]
    assert (st == 1).all(), st
    # Every run done once: runs of the first attempt kept (not run again), the
    # others run after the warning.
    assert np.array_equal(t_start[done1], t_start1[done1]) and np.array_equal(t_end[done1], t_end1[done1])
    rest = np.setdiff1d(np.arange(len(st)), done1)
    assert (t_start[rest] > t_signal).all(), (t_start[rest], t_signal)
    # And the results are those of a sweep that was never interrupted.
    ref = tmp_path / "ref.h5"
    run_sweep(job, ref, 3, "--quiet", check=True)
    assert_same_results(ref, out)


DEAD_JOB = tiny_job("dead", "type: null-work\n    params: {sleep_ms: [1500, 1600]}", seeds=4, seed=3)


def _rank_pid(out, rank):
    """Pid of the aif-sweep task of Slurm rank `rank` writing `out`."""
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            if open(f"/proc/{d}/comm").read().strip() != "aif-sweep":
                continue
            if str(out) not in open(f"/proc/{d}/cmdline").read().replace("\0", " "):
                continue
            env = open(f"/proc/{d}/environ", "rb").read().split(b"\0")
        except OSError:
            continue
        if f"SLURM_PROCID={rank}".encode() in env:
            return int(d)
    return None


def test_dead_worker_ends_job_and_resubmission_completes(cluster, tmp_path):
    """A worker killed alone under srun (no MPI fault tolerance tells the
    coordinator): srun --wait ends the whole job within a minute of the
    death, the script says how to resume, and a resubmission (which breaks
    the dead job's lock) completes the file with every run done once."""
    import signal
    job = write_job(tmp_path, DEAD_JOB)
    out = tmp_path / "r.h5"
    log = tmp_path / "job.out"
    env = dict(cluster.env, AIF_SRUN_WAIT="20")
    job_id = cluster.run("sbatch", "--parsable", "--ntasks=3", "--time=10", f"--output={log}", SCRIPT, str(job),
                         str(out), cwd=ROOT, env=env).stdout.strip().split(";")[0]

    def diag():
        return f"{cluster.job_info(job_id)}\n{log.read_text() if log.exists() else ''}"
    try:
        def some_done():
            s = _status(out) if out.exists() else None
            return s if s and s["counts"]["done"] >= 1 else None
        s = _wait(some_done, 120, "the first run to finish", why=diag)
        assert s["counts"]["done"] < 8, "the sweep finished before the kill; make DEAD_JOB slower"
        pid = _wait(lambda: _rank_pid(out, 1), 30, "worker 1's pid", why=diag)
        os.kill(pid, signal.SIGKILL)
        t_kill = time.time()
        _wait(lambda: cluster.job_info(job_id).get("JobState") not in ("RUNNING", "PENDING", "COMPLETING", None),
              90, "the job to end after its worker died", poll=0.5, why=diag)
        ended = time.time() - t_kill
    finally:
        if cluster.job_info(job_id).get("JobState") in ("PENDING", "RUNNING"):
            cluster.run("scancel", job_id, check=False)
    print(f"the job ended {ended:.1f} s after the kill")
    assert ended < 60, (ended, diag())
    assert "ended abnormally" in log.read_text(), diag()
    with h5py.File(out, "r") as f:
        st1 = f["runs/status"][:]
    assert not (st1 == 1).all(), st1
    # Resubmitted: resumes the file, breaking the lock the dead job left.
    p = _sbatch_wait(cluster, ["--ntasks=3", "--time=10", f"--output={tmp_path / 'job2.out'}", SCRIPT, str(job),
                               str(out)], env=env)
    text = (tmp_path / "job2.out").read_text()
    assert p.returncode == 0, text
    assert f"names Slurm job {job_id}, which is no longer running" in text and "--resume" in text, text
    with h5py.File(out, "r") as f:
        assert (f["runs/status"][:] == 1).all()
    assert not os.path.exists(f"{out}.lock")
