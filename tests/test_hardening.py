"""Hardening: sanitizers (make check-asan), fuzzing of the job-file loader
(make fuzz), and refusals that must happen before any file is touched.
docs/hardening.md says what each covers."""
import glob
import os
import re
import subprocess

from conftest import BIN, ROOT, sweep_cmd, tiny_job, write_job

# The CI budget: the fuzzer runs this long in `make test` (make fuzz alone: 60 s).
FUZZ_SECONDS = int(os.environ.get("AIF_TEST_FUZZ_SECONDS", "30"))


def _make(*args, timeout):
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def test_check_asan():
    """Unit tests (LeakSanitizer on, no suppressions) and an MPI sweep plus its
    resume, built with AddressSanitizer + UBSan: no report at all."""
    p = _make("-j2", "check-asan", timeout=1200)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out[-20000:]
    ok = re.findall(r"^check-asan: ok\s+(\S+)", out, re.M)
    units = {os.path.basename(b) for b in glob.glob(os.path.join(ROOT, "tests", "unit_*.c"))}
    assert {u[:-2] for u in units} <= set(ok), (units, ok)
    assert any(o == "mpirun" for o in ok), out[-5000:]
    assert "FAIL" not in out


def test_fuzz_jobspec():
    """libFuzzer on job_parse + jobspec_expand for a fixed time, from the
    checked-in seeds, the bad-job corpus and the shipped jobs."""
    before = set(glob.glob(os.path.join(ROOT, "build", "fuzz", "crash-*")))
    p = _make("fuzz", f"FUZZ_SECONDS={FUZZ_SECONDS}", timeout=FUZZ_SECONDS + 600)
    out = p.stdout + p.stderr
    after = set(glob.glob(os.path.join(ROOT, "build", "fuzz", "crash-*")))
    assert p.returncode == 0 and after == before, out[-20000:]
    m = re.search(r"Done (\d+) runs", out)
    assert m and int(m.group(1)) > 1000, out[-5000:]


def test_fuzz_seed_corpus_is_valid():
    """The checked-in seeds that are not bad jobs parse (so the fuzzer starts
    from inputs that reach expansion)."""
    seeds = sorted(glob.glob(os.path.join(ROOT, "tests", "fuzz", "corpus", "*.yaml")))
    assert len(seeds) >= 5
    good = 0
    for s in seeds:
        p = subprocess.run([BIN, s, "--dry-run"], capture_output=True, text=True, cwd=ROOT)
        bad = open(s).readline().startswith("# expect:")
        assert (p.returncode == 2) == bad, (s, p.stderr)
        good += not bad
    assert good >= 4


HUGE = """
name: huge
seeds: 200000
max_file_gb: 1
log_episodes: 5
environments:
  - name: w
    size: 8
agents:
  - type: random
"""


def test_huge_layout_refused_without_force(tmp_path):
    """A sweep whose file would exceed max_file_gb is refused (exit 2, one line)
    before any file is touched; --dry-run shows the size."""
    job = write_job(tmp_path, HUGE)
    out = tmp_path / "r.h5"
    p = subprocess.run([BIN, str(job), "-o", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "more than max_file_gb = 1" in lines[0] and "--force" in lines[0], p.stderr
    assert not out.exists() and not (tmp_path / "r.h5.partial").exists()
    # An existing file at the path is left alone, and the message is the same.
    out.write_bytes(b"keep me")
    p = subprocess.run([BIN, str(job), "-o", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2 and "max_file_gb" in p.stderr
    assert out.read_bytes() == b"keep me"
    p = subprocess.run([BIN, str(job), "--dry-run"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0
    m = re.search(r"results file: about (\S+) MB", p.stdout)
    assert m and float(m.group(1)) > 1000, p.stdout[-500:]


def test_fault_hook_is_inert_for_unknown_points(tmp_path):
    """AIF_FAULT naming a point that is never reached changes nothing."""
    job = write_job(tmp_path, """
environments:
  - name: w
    size: 3
agents:
  - type: null-work
""")
    env = dict(os.environ, AIF_FAULT="no_such_point:1")
    p = subprocess.run(["sh", os.path.join(ROOT, "scripts", "mpirun.sh"), "2", BIN, str(job), "-o",
                        str(tmp_path / "r.h5"), "-q"], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0 and "fault injection" not in p.stderr, p.stderr


IDLE = tiny_job("idle", "type: null-work\n    params: {sleep_ms: [0, SLEEP]}")


def _children_cpu(cmd):
    import resource
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=120)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert p.returncode == 0, p.stderr
    return (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)


def test_waiting_ranks_sleep(tmp_path):
    """Ranks with nothing to do sleep while they wait.  Three ranks, two runs:
    one worker's run takes no time, the other's sleeps 8 s (no CPU), so the
    first worker and the coordinator wait 8 s for it.  The sweep's whole CPU
    time (every process of mpirun), less that of the same sweep with no
    sleep (1 ms), stays under 5% of a core for each of the two waiting ranks; a
    blocking MPI wait would spin a core for the 8 s."""
    from conftest import sweep_cmd
    cpu = {}
    for sleep in (1, 8000):
        job = write_job(tmp_path, IDLE.replace("SLEEP", str(sleep)), f"idle{sleep}.yaml")
        cpu[sleep] = _children_cpu(sweep_cmd(job, tmp_path / f"idle{sleep}.h5", 3, "-q"))
    waiting = cpu[8000] - cpu[1]
    print(f"CPU of the sweep: {cpu[1]:.2f} s with a 1 ms sleep, {cpu[8000]:.2f} s with 8 s")
    assert waiting < 2 * 0.05 * 8.0, cpu


SMALL = tiny_job("small", "type: random", seeds=2)


def _one_line_refusal(args, code=2):
    p = subprocess.run([BIN, *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=60)
    lines = p.stderr.strip().splitlines()
    assert p.returncode == code and len(lines) == 1, (p.returncode, p.stderr)
    return lines[0]


def test_output_path_refusals(tmp_path):
    """-o names something that is not a results file to create or replace: the
    sweep refuses in one line (exit 2) and touches nothing, --force included."""
    job = write_job(tmp_path, SMALL)
    job_bytes = job.read_bytes()
    d = tmp_path / "dir"
    d.mkdir()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    other = tmp_path / "notes.txt"
    other.write_text("not results")
    res = tmp_path / "res.h5"
    subprocess.run([BIN, str(job), "-o", str(res), "-q"], check=True, cwd=ROOT, capture_output=True)
    link = tmp_path / "link.h5"
    link.symlink_to(res)
    before = res.read_bytes()
    cases = [("", "--force", "empty"), (d, "--force", "is a directory"), (str(d) + "/", "", "names a directory"),
             (job, "--force", "is the job file"), (job, "--resume", "is the job file"),
             (fifo, "--force", "not a regular file"), (fifo, "--resume", "not a regular file"),
             (link, "--force", "symbolic link"), (other, "--force", "not an aifsweep results file")]
    for target, flag, why in cases:
        line = _one_line_refusal([job, "-o", target] + ([flag] if flag else []))
        assert why in line, (target, flag, line)
    assert job.read_bytes() == job_bytes and other.read_text() == "not results"
    assert res.read_bytes() == before and link.is_symlink() and fifo.is_fifo() and d.is_dir()
    assert not list(d.iterdir()) and not list(tmp_path.glob("*.partial"))
    assert not os.path.exists(os.path.join(ROOT, ".partial"))
    # --resume through a link to a results file works.
    p = subprocess.run([BIN, str(job), "-o", str(link), "--resume", "-q"], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_damaged_file_on_resume(tmp_path):
    """A truncated results file, or one whose superblock is damaged, is named as
    such on --resume (not as a locking problem), exit 2, and left as it was."""
    job = write_job(tmp_path, SMALL)
    res = tmp_path / "res.h5"
    subprocess.run([BIN, str(job), "-o", str(res), "-q"], check=True, cwd=ROOT, capture_output=True)
    data = res.read_bytes()
    trunc = tmp_path / "trunc.h5"
    trunc.write_bytes(data[: len(data) // 3])
    bad = tmp_path / "super.h5"
    bad.write_bytes(data[:8] + bytes(b ^ 0xFF for b in data[8:48]) + data[48:])
    for f in (trunc, bad):
        keep = f.read_bytes()
        line = _one_line_refusal([job, "-o", f, "--resume"])
        assert "not a valid HDF5 file (truncated or damaged?)" in line or "not an HDF5 file" in line, line
        assert f.read_bytes() == keep


def _tmpfs(path, size):
    """Mount a tmpfs of `size` at path; False where the machine does not allow it."""
    path.mkdir(exist_ok=True)
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                       capture_output=True, text=True)
    return p.returncode == 0


def _umount(path):
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


FULL = tiny_job("full", "type: null-work\n    params: {sleep_ms: 20}", seeds=120)


def test_full_and_read_only_disk(tmp_path):
    """On a 1 MB tmpfs: with too little space left the sweep refuses before
    creating anything (exit 1, one message, no .partial or lock left, no hang) on 1 and 3
    ranks; with enough, it reserves the file's space at creation, so filling
    the disk while it runs costs it nothing; a read-only file system is
    named as such."""
    import pytest
    from conftest import sweep_cmd
    mnt = tmp_path / "mnt"
    if not _tmpfs(mnt, "1m"):
        pytest.skip("cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)")
    try:
        job = write_job(tmp_path, FULL)
        out = mnt / "r.h5"
        for free_kb in (0, 32, 64, 120):
            filler = mnt / "filler"
            if filler.exists():
                filler.unlink()
            subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1k", f"count={1024 - free_kb}"],
                           capture_output=True)
            for np_ in (1, 3):
                p = subprocess.run(sweep_cmd(job, out, np_, "-q"), capture_output=True, text=True, cwd=ROOT,
                                   timeout=120)
                msgs = [l for l in p.stderr.splitlines() if l.startswith("aif-sweep:")]
                # With nothing free, the lock file beside it is what fails first.
                assert p.returncode == 1 and len(msgs) == 1, (free_kb, p.stderr)
                assert "not enough space" in msgs[0] or "No space left" in msgs[0], msgs[0]
                assert not out.exists() and not (mnt / "r.h5.partial").exists() and not (mnt / "r.h5.lock").exists()
        (mnt / "filler").unlink()
        # Enough space at the start; the disk is filled as soon as the file exists.
        proc = subprocess.Popen(sweep_cmd(job, out, 3, "-q"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, cwd=ROOT)
        import time
        t0 = time.time()
        while not out.exists() and time.time() - t0 < 60:
            time.sleep(0.01)
        subprocess.run(["dd", "if=/dev/zero", f"of={mnt / 'filler'}", "bs=4k"], capture_output=True)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        import h5py
        with h5py.File(out, "r") as f:
            assert (f["runs/status"][:] == 1).all()
        out.unlink()
        (mnt / "filler").unlink()
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        line = _one_line_refusal([job, "-o", out])
        assert "Read-only file system" in line, line
    finally:
        _umount(mnt)


HUGE8 = """
name: huge8
seeds: 100000000
max_file_gb: 1
environments:
  - name: w
    size: 4
agents:
  - type: random
"""


def test_size_guard_from_counts(tmp_path):
    """10^8 runs over max_file_gb are refused from the counts, before the run
    list is expanded (which took 7.8 GB and 41 s): exit 2, one line, and the
    process's peak memory stays small."""
    import sys
    job = write_job(tmp_path, HUGE8)
    out = tmp_path / "r.h5"
    # A fresh interpreter measures the peak memory of this one child alone.
    probe = ("import resource, subprocess, sys; "
             "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
             "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
             "sys.stderr.write(p.stderr)")
    p = subprocess.run([sys.executable, "-c", probe, BIN, str(job), "-o", str(out)], capture_output=True, text=True,
                       cwd=ROOT, timeout=120)
    rc, max_kb = map(int, p.stdout.split())
    lines = p.stderr.strip().splitlines()
    assert rc == 2 and len(lines) == 1 and "at least" in lines[0] and "max_file_gb = 1" in lines[0], p.stderr
    assert max_kb < 200 * 1024, max_kb
    assert not out.exists()


# ---- issue 20: a fresh checkout, a long path, a big job file ------------------------------

def test_output_folder_created_before_the_lock(tmp_path):
    """`-o results/x.h5` where results/ does not exist (the README's example on a
    fresh checkout): the folders are made and the sweep runs, under mpirun too;
    --resume of a file in a missing folder is one line (exit 2) that creates nothing."""
    job = write_job(tmp_path, SMALL)
    for rel, np_ in (("results/x.h5", 1), ("a/b/c/x.h5", 2)):
        p = subprocess.run(sweep_cmd(job, rel, np_, "-q"), capture_output=True, text=True, cwd=tmp_path,
                           timeout=120)
        assert p.returncode == 0, p.stderr
        assert (tmp_path / rel).is_file() and not (tmp_path / (rel + ".lock")).exists()
    line = _one_line_refusal([job, "-o", tmp_path / "nowhere" / "x.h5", "--resume"])
    assert "does not exist" in line and not (tmp_path / "nowhere").exists(), line


def test_long_output_path_refused_in_one_line(tmp_path):
    """Open MPI 4.1's ompio aborts every rank on a file name of 245 characters or
    more: such an -o is refused in one line that names the limit and the ways
    round it, before the lock or the file is made; 244 characters work."""
    job = write_job(tmp_path, SMALL)
    base = str(tmp_path) + "/"
    def path_of(n):
        d = base + "d" * (n - len(base) - len("/x.h5"))
        os.makedirs(d, exist_ok=True)
        return d + "/x.h5"
    long_path = path_of(245)
    env = {k: v for k, v in os.environ.items() if k != "OMPI_MCA_io"}
    p = subprocess.run([BIN, str(job), "-o", long_path], capture_output=True, text=True, cwd=ROOT, env=env,
                       timeout=60)
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 2 and len(lines) == 1, p.stderr
    assert "245 characters" in lines[0] and "romio321" in lines[0], lines[0]
    assert not os.listdir(os.path.dirname(long_path))
    ok = path_of(244)
    p = subprocess.run(sweep_cmd(job, ok, 2, "-q"), capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert p.returncode == 0 and os.path.isfile(ok), p.stderr


def test_job_text_limit_is_what_the_file_holds(tmp_path):
    """The loader accepts a job file exactly as large as the results file's
    job_yaml attribute can hold (65,000 bytes): it runs, and its text is stored
    whole; one byte more is refused by the loader in one line (exit 2) before
    anything is made, not at layout creation."""
    import h5py
    head = SMALL + "# padding:"
    text = head + "x" * (65000 - len(head) - 1) + "\n"
    assert len(text.encode()) == 65000
    job = write_job(tmp_path, text)
    out = tmp_path / "r.h5"
    p = subprocess.run([BIN, str(job), "-o", str(out), "-q"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert p.returncode == 0, p.stderr
    with h5py.File(out, "r") as f:
        stored = f.attrs["job_yaml"]
        assert (stored.decode() if isinstance(stored, bytes) else stored) == text
    big = write_job(tmp_path, text + "#", "big.yaml")
    line = _one_line_refusal([big, "-o", tmp_path / "big.h5"])
    assert "65000 bytes" in line and not (tmp_path / "big.h5").exists(), line
    many = write_job(tmp_path, SMALL.replace("seeds: 2", "seeds: [" + ", ".join(map(str, range(20000))) + "]"),
                     "many.yaml")
    line = _one_line_refusal([many, "--dry-run"])
    assert "65000 bytes" in line, line


def test_finish_hint_is_one_shell_command(tmp_path):
    """The "Finish with" hint of a stopped sweep is a command a shell runs as
    printed, whatever the paths hold (spaces, quotes), and it finishes the file."""
    import shlex
    import signal
    import time
    d = tmp_path / "my results"
    d.mkdir()
    job = write_job(d, tiny_job("hint", "type: null-work\n    params: {sleep_ms: 100}", seeds=40), "it's job.yaml")
    out = d / "it's here.h5"
    proc = subprocess.Popen([BIN, str(job), "-o", str(out)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        while line and "created the layout" not in line:
            line = proc.stderr.readline()
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 3, err
    hint = [l for l in err.splitlines() if "Finish with: " in l]
    assert len(hint) == 1, err
    words = shlex.split(hint[0].split("Finish with: ", 1)[1])
    assert words == ["aif-sweep", str(job), "-o", str(out), "--resume"], words
    p = subprocess.run([BIN] + words[1:] + ["-q"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert p.returncode == 0, p.stderr


def _reads_whole(path):
    """Whether h5py reads every object, attribute and dataset of the file."""
    import h5py
    try:
        with h5py.File(path, "r") as f:
            names = []
            f.visit(names.append)
            for obj in [f] + [f[n] for n in names]:
                for k in obj.attrs:
                    obj.attrs[k]
                if isinstance(obj, h5py.Dataset):
                    obj[()]
        return True
    except Exception:   # noqa: BLE001 -- any failure to read is damage here
        return False


def test_resume_refuses_damaged_metadata(tmp_path):
    """A byte of HDF5's own metadata damaged (a group's B-tree, symbol table or
    heap, an object header) in a finished file: --resume either refuses in one
    line (exit 2) naming what does not read, or the file reads whole and the
    resume succeeds; it never reports success on a file its readers cannot
    read, and never aborts."""
    from test_analysis_damage import _corrupt, _corruptions
    job = write_job(tmp_path, SMALL)
    res = tmp_path / "res.h5"
    subprocess.run([BIN, str(job), "-o", str(res), "-q"], check=True, cwd=ROOT, capture_output=True)
    cases = _corruptions(res)
    assert len(cases) >= 20, cases
    cases = cases[::max(1, len(cases) // 40)]      # about 40, from every kind of block
    refused = 0
    for what, at in cases:
        bad = _corrupt(res, tmp_path / "bad.h5", at)
        whole = _reads_whole(bad)
        p = subprocess.run([BIN, str(job), "-o", str(bad), "--resume", "-q"], capture_output=True, text=True,
                           cwd=ROOT, timeout=60)
        lines = p.stderr.strip().splitlines()
        assert p.returncode in (0, 2), (what, p.returncode, p.stderr)
        assert whole or p.returncode == 2, (what, "resumed a file h5py cannot read", p.stderr)
        if p.returncode == 2:
            assert len(lines) == 1, (what, p.stderr)
            refused += 1
        (tmp_path / "bad.h5.lock").unlink(missing_ok=True)
    assert refused >= len(cases) // 4, (refused, len(cases))


def test_resume_says_the_job_text_was_edited(tmp_path):
    """A results file whose job_yaml attribute was edited after the sweep: --resume
    (from the job file whose hash the file holds) says so in one warning line and
    finishes; the file's runs are untouched."""
    import h5py
    job = write_job(tmp_path, SMALL)
    res = tmp_path / "res.h5"
    subprocess.run([BIN, str(job), "-o", str(res), "-q"], check=True, cwd=ROOT, capture_output=True)
    with h5py.File(res, "r+") as f:
        f.attrs["job_yaml"] = f.attrs["job_yaml"].replace(b"seeds: 2", b"seeds: 3") \
            if isinstance(f.attrs["job_yaml"], bytes) else f.attrs["job_yaml"].replace("seeds: 2", "seeds: 3")
    p = subprocess.run([BIN, str(job), "-o", str(res), "--resume", "-q"], capture_output=True, text=True,
                       cwd=ROOT, timeout=60)
    assert p.returncode == 0, p.stderr
    warn = [l for l in p.stderr.splitlines() if "job_yaml does not match its job_sha256" in l]
    assert len(warn) == 1 and "warning" in warn[0], p.stderr
    p = subprocess.run([BIN, str(job), "-o", str(tmp_path / "fresh.h5"), "-q"], capture_output=True, text=True,
                       cwd=ROOT, timeout=60)
    assert "job_yaml" not in p.stderr


def test_small_sweep_fits_a_small_disk(tmp_path):
    """The free-space check asks for the sweep's size and HDF5's metadata, not a
    fixed quarter megabyte: a sweep of a few KB (a 30 KB file) runs with 160 KB
    free, and the file is complete."""
    import h5py
    import pytest
    mnt = tmp_path / "mnt"
    if not _tmpfs(mnt, "1m"):
        pytest.skip("cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)")
    try:
        subprocess.run(["dd", "if=/dev/zero", f"of={mnt / 'filler'}", "bs=1k", "count=864"], capture_output=True)
        job = write_job(tmp_path, SMALL)
        out = mnt / "r.h5"
        p = subprocess.run([BIN, str(job), "-o", str(out), "-q"], capture_output=True, text=True, cwd=ROOT,
                           timeout=60)
        assert p.returncode == 0, p.stderr
        with h5py.File(out, "r") as f:
            assert (f["runs/status"][:] == 1).all()
    finally:
        _umount(mnt)
