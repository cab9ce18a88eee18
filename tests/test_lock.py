"""Exclusive use of a results file (src/store/lock.c): a second sweep, --resume or
--force on a file in use refuses and names the holder; stale locks are taken
over; --break-lock removes a lock whose holder cannot be checked (never that
of a sweep running on this host) and a refused command puts it back; a sweep
whose file another replaced says so."""
import os
import signal
import socket
import subprocess
import time

import h5py

from conftest import BIN, ROOT, sweep_cmd, sweep_ranks, tiny_job, write_job

SLOW = tiny_job("slow", "type: null-work\n    params: {sleep_ms: [1, 2, 3, 4000]}")


def _start(job, out, *args):
    return subprocess.Popen(sweep_cmd(job, out, 3, "-q", *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT)


def _wait_for(path, timeout=60):
    t0 = time.time()
    while not os.path.exists(path):
        assert time.time() - t0 < timeout, f"{path} never appeared"
        time.sleep(0.01)


def _all_done(out):
    with h5py.File(out, "r") as f:
        return bool((f["runs/status"][:] == 1).all())


def _interrupted_file(tmp_path, job):
    """A results file of `job` with runs still pending (SIGTERM mid-sweep)."""
    out = tmp_path / "pending.h5"
    if out.exists():
        out.unlink()
    p = _start(job, out)
    _wait_for(str(out))
    time.sleep(0.5)
    for q in sweep_ranks(p.pid):       # as Slurm does: every rank, not mpirun
        os.kill(q, signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 3 and not _all_done(out) and not os.path.exists(f"{out}.lock"), err
    return out


def test_second_sweep_refused_in_every_combination(tmp_path):
    """A runs; B starts on the same file as a new sweep, --resume or --force
    (and A itself may be a resume): B exits 2 naming A's host and pid, and A
    completes its file, whose lock is gone at the end."""
    job = write_job(tmp_path, SLOW)
    for a_args, b_args in [((), ()), ((), ("--resume",)), ((), ("--force",)), (("--resume",), ("--resume",)),
                           (("--resume",), ())]:
        if a_args:
            out = _interrupted_file(tmp_path, job)
        else:
            out = tmp_path / "r.h5"
            if out.exists():
                out.unlink()
        a = _start(job, out, *a_args)
        _wait_for(f"{out}.lock")
        holder = open(f"{out}.lock").read()
        b = subprocess.run(sweep_cmd(job, out, 2, "-q", *b_args), capture_output=True, text=True, cwd=ROOT,
                           timeout=60)
        msgs = [line for line in b.stderr.splitlines() if line.startswith("aif-sweep:")]
        assert b.returncode == 2 and len(msgs) == 1, (a_args, b_args, b.stderr)
        assert "in use by another sweep" in msgs[0] and socket.gethostname() in msgs[0], msgs[0]
        assert f"pid {holder.split('pid=')[1].split()[0]}" in msgs[0], (holder, msgs[0])
        _, err = a.communicate(timeout=120)
        assert a.returncode == 0, (a_args, b_args, err)
        assert _all_done(out) and not os.path.exists(f"{out}.lock"), (a_args, b_args)


def test_stale_lock_taken_over_and_break_lock(tmp_path):
    """A lock left by a killed sweep on this host (its pid gone) is taken over
    with a note; a live holder's lock is refused until --break-lock; a lock
    that names no holder is refused too, and broken the same way."""
    job = write_job(tmp_path, SLOW.replace("[1, 2, 3, 4000]", "[1, 2]"))
    out = tmp_path / "r.h5"
    lock = tmp_path / "r.h5.lock"
    dead = subprocess.Popen(["true"])
    dead.wait()
    lock.write_text(f"host={socket.gethostname()} pid={dead.pid} started=then job=old.yaml\n")
    p = subprocess.run([BIN, str(job), "-o", str(out), "-q"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0 and "removed the lock" in p.stderr and "no longer running" in p.stderr, p.stderr
    assert _all_done(out) and not lock.exists()
    # A holder alive on this host (this test's own process; no start time
    # recorded): refused, --break-lock too, and the lock is left as it was.
    text = f"host={socket.gethostname()} pid={os.getpid()} started=now job=x.yaml\n"
    lock.write_text(text)
    for args in ((), ("--break-lock",)):
        p = subprocess.run([BIN, str(job), "-o", str(out), "--resume", "-q", *args], capture_output=True, text=True,
                           cwd=ROOT)
        assert p.returncode == 2 and "running on this host" in p.stderr and lock.read_text() == text, p.stderr
    # A holder on another host (nothing here can tell whether it runs), a lock
    # naming no holder: refused until --break-lock.
    for text in (f"host=elsewhere pid=1 started=now job=x.yaml\n", ""):
        lock.write_text(text)
        p = subprocess.run([BIN, str(job), "-o", str(out), "--resume", "-q"], capture_output=True, text=True,
                           cwd=ROOT)
        assert p.returncode == 2 and "--break-lock" in p.stderr and lock.read_text() == text, p.stderr
        p = subprocess.run([BIN, str(job), "-o", str(out), "--resume", "-q", "--break-lock"], capture_output=True,
                           text=True, cwd=ROOT)
        assert p.returncode == 0 and "removed the" in p.stderr and not lock.exists(), p.stderr


def _messages(stderr):
    return [line for line in stderr.splitlines() if line.startswith("aif-sweep:")]


def test_break_lock_refused_leaves_the_lock(tmp_path):
    """--break-lock never removes the lock of a sweep running on this host:
    while A runs, B with --break-lock (a new sweep on the existing file, or
    --force) exits 2 and A's lock is left byte for byte, so a --resume is
    still refused (before: B removed the lock, then was refused because the
    file exists, and the --resume ran beside A); A is then stopped (SIGTERM)
    and removes its lock.  A command refused for another reason after
    breaking a lock it may break (another host's) puts it back as it was."""
    job = write_job(tmp_path, SLOW.replace("4000", "120000"))
    out = tmp_path / "r.h5"
    a = _start(job, out)
    _wait_for(f"{out}.lock")
    holder = open(f"{out}.lock").read()
    for b_args in (("--break-lock",), ("--force", "--break-lock"), ("--resume",)):
        b = subprocess.run(sweep_cmd(job, out, 2, "-q", *b_args), capture_output=True, text=True, cwd=ROOT,
                           timeout=60)
        msgs = _messages(b.stderr)
        assert b.returncode == 2 and len(msgs) == 1 and "running on this host" in msgs[0], (b_args, b.stderr)
        assert open(f"{out}.lock").read() == holder, b_args
    for q in sweep_ranks(a.pid):
        os.kill(q, signal.SIGTERM)
    _, err = a.communicate(timeout=120)
    assert a.returncode == 3 and not os.path.exists(f"{out}.lock"), err
    # Another host's lock, broken by commands that are then refused: the file
    # exists (no --resume or --force), or is another job's file.
    lock = tmp_path / "r.h5.lock"
    other = write_job(tmp_path, SLOW.replace("name: slow", "name: other"), "other.yaml")
    text = "host=elsewhere pid=1 slurm_job=99 started=noon job=x.yaml\n"
    for cmd, why in (([BIN, str(job), "-o", str(out), "--break-lock"], "exists"),
                     ([BIN, str(other), "-o", str(out), "--resume", "--break-lock"], "different job file")):
        lock.write_text(text)
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        msgs = _messages(p.stderr)
        assert p.returncode == 2 and len(msgs) == 1 and why in msgs[0], p.stderr
        assert lock.read_text() == text
        assert [f.name for f in tmp_path.iterdir() if f.name.startswith("r.h5.lock")] == ["r.h5.lock"]


def test_resume_whose_file_was_replaced_fails(tmp_path):
    """A --resume whose file another sweep replaced while it ran (--force
    --break-lock from where A's lock names another host, which cannot be
    checked) says so in one line and exits 1: its runs went to the old file
    (before: "results in r.h5", exit 0).  The replacing sweep's file is
    whole."""
    job = write_job(tmp_path, tiny_job("slow", "type: null-work\n    params: {sleep_ms: [1, 2, 3, 6000]}"))
    quick = write_job(tmp_path, SLOW.replace("[1, 2, 3, 4000]", "[1, 2]").replace("name: slow", "name: quick"),
                      "quick.yaml")
    out = _interrupted_file(tmp_path, job)
    a = subprocess.Popen(sweep_cmd(job, out, 3, "--resume"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, cwd=ROOT)
    seen = []
    while not any("opened and checked" in line for line in seen):   # A has its file open
        line = a.stderr.readline()
        assert line, seen
        seen.append(line)
    lock = f"{out}.lock"   # as if A ran on another node
    with open(lock) as f:
        text = f.read()
    with open(lock, "w") as f:
        f.write(text.replace(f"host={socket.gethostname()} ", "host=elsewhere "))
    b = subprocess.run([BIN, str(quick), "-o", str(out), "--force", "--break-lock", "-q"], capture_output=True,
                       text=True, cwd=ROOT, timeout=60)
    assert b.returncode == 0 and "removed the lock" in b.stderr, b.stderr
    _, err = a.communicate(timeout=120)
    err = "".join(seen) + err
    lost = [m for m in _messages(err) if "is no longer the file this sweep opened" in m]
    assert a.returncode == 1 and len(lost) == 1 and "results in" not in err, err
    with h5py.File(out, "r") as f:
        assert int(f.attrs["n_runs"]) == 2   # the quick job's file
    assert _all_done(out) and not os.path.exists(lock)


def test_requeued_slurm_job_takes_over_its_lock(tmp_path):
    """A lock written by this Slurm job before a restart (another node, say) is
    stale for the restarted job; the same job at the same restart count is a
    second sweep of one allocation and is refused."""
    job = write_job(tmp_path, SLOW.replace("[1, 2, 3, 4000]", "[1, 2]"))
    out = tmp_path / "r.h5"
    subprocess.run([BIN, str(job), "-o", str(out), "-q"], check=True, cwd=ROOT, capture_output=True)
    lock = tmp_path / "r.h5.lock"
    env = dict(os.environ, SLURM_JOB_ID="4242", SLURM_RESTART_COUNT="1")
    lock.write_text("host=node7 pid=99 slurm_job=4242 slurm_restart=1 started=now job=x.yaml\n")
    p = subprocess.run([BIN, str(job), "-o", str(out), "--resume", "-q"], capture_output=True, text=True, cwd=ROOT,
                       env=env)
    assert p.returncode == 2 and "in use" in p.stderr, p.stderr
    lock.write_text("host=node7 pid=99 slurm_job=4242 slurm_restart=0 started=now job=x.yaml\n")
    p = subprocess.run([BIN, str(job), "-o", str(out), "--resume", "-q"], capture_output=True, text=True, cwd=ROOT,
                       env=env)
    assert p.returncode == 0 and "before its restart" in p.stderr and not lock.exists(), p.stderr


def test_two_sweeps_released_together_on_a_stale_lock(tmp_path):
    """Two --resume sweeps started together on a file whose lock a killed sweep
    left, many times over: every time exactly one proceeds (the other is refused,
    exit 2, naming the live holder) and the file it finishes equals an
    uninterrupted sweep's."""
    import shutil
    from conftest import assert_same_results
    job = write_job(tmp_path, tiny_job("race", "type: null-work\n    params: {sleep_ms: 60}", seeds=16))
    reference = tmp_path / "reference.h5"
    subprocess.run([BIN, str(job), "-o", str(reference), "-q"], check=True, cwd=ROOT, capture_output=True)
    pending = _interrupted_file(tmp_path, job)
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = f"host={socket.gethostname()} pid={dead.pid} pid_start=1 started=then job=old.yaml\n"
    for k in range(8):
        out = tmp_path / f"r{k}.h5"
        shutil.copyfile(pending, out)
        (tmp_path / f"r{k}.h5.lock").write_text(stale)
        procs = [subprocess.Popen([BIN, str(job), "-o", str(out), "--resume", "-q"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, cwd=ROOT) for _ in range(2)]
        results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
        codes = sorted(rc for rc, _ in results)
        assert codes == [0, 2], (k, results)
        loser = [err for rc, err in results if rc == 2][0]
        assert "running on this host" in loser, loser
        assert not (tmp_path / f"r{k}.h5.lock").exists()
        assert_same_results(reference, out)
