"""Hardening: sanitizers (make check-asan), fuzzing of the job-file loader
(make fuzz), and refusals that must happen before any file is touched.
docs/hardening.md says what each covers."""
import glob
import os
import re
import subprocess

from conftest import BIN, ROOT, write_job

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
    """libFuzzer on jobspec_parse + jobspec_expand for a fixed time, from the
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
