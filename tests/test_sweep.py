"""End-to-end tests of the sweep runner: layout, reproducibility across rank
counts, nothing lost (no overwrite, resume after SIGKILL, SIGTERM), bad input."""
import glob
import os
import re
import signal
import subprocess
import time

import h5py
import numpy as np
import pytest

from conftest import (BIN, ROOT, assert_same_results, descendants, run_sweep, sha256_file,
                      sweep_cmd, sweep_ranks, write_job)


def test_help_and_version():
    p = subprocess.run([BIN, "--help"], capture_output=True, text=True)
    assert p.returncode == 0 and "--resume" in p.stdout and "exit status" in p.stdout
    p = subprocess.run([BIN, "--version"], capture_output=True, text=True)
    assert p.returncode == 0 and "HDF5" in p.stdout
    p = subprocess.run([BIN, "--bogus", "x.yaml"], capture_output=True, text=True)
    assert p.returncode == 2 and "unknown option" in p.stderr


def test_layout_and_attributes(small_job, tmp_path):
    out = tmp_path / "r.h5"
    run_sweep(small_job, out, 2, check=True)
    with h5py.File(out, "r") as f:
        assert f.attrs["format"] == b"aifsweep-results" or f.attrs["format"] == "aifsweep-results"
        job_text = f.attrs["job_yaml"]
        job_text = job_text.decode() if isinstance(job_text, bytes) else job_text
        assert job_text == small_job.read_text()
        sha = f.attrs["job_sha256"]
        sha = sha.decode() if isinstance(sha, bytes) else sha
        assert sha == sha256_file(small_job)
        for a in ("software_version", "git_commit", "hdf5_version", "mpi_version", "created"):
            assert a in f.attrs, a
        # 1 random condition x 2 envs + 2 q-learning conditions x 2 envs, x 3 seeds
        R = (2 + 4) * 3
        assert f["runs/status"].shape == (R,)
        assert (f["runs/status"][:] == 1).all()
        p = f["runs/params"][:]
        assert list(p["run_id"]) == list(range(R))
        agents = [x.decode() for x in p["agent"]]
        assert agents == ["random"] * 6 + ["q-learning"] * 12
        envs = [x.decode() for x in p["env"]]
        assert envs[:6] == ["paper4x4"] * 3 + ["slippy"] * 3
        assert list(p["seed"][:6]) == [0, 1, 2, 0, 1, 2]
        assert np.isnan(p["alpha"][0]) and list(p["alpha"][6:12]) == [0.2] * 3 + [0.6] * 3
        assert f["eval/steps"].shape == (R, 6) and f["eval/success"].shape == (R, 6)
        assert f["traj/G"].shape == (R, 2, 60, 5)
        assert f["traj/pos"].shape == (R, 2, 61)
        # every dataset documents itself
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                assert "description" in obj.attrs, name
        f.visititems(visit)
        # trajectories are consistent with the eval steps and the world
        steps, length = f["eval/steps"][:], f["traj/length"][:]
        assert (length == steps[:, :2]).all()
        pos = f["traj/pos"][:]
        for r in range(R):
            for k in range(2):
                L = length[r, k]
                assert pos[r, k, 0] == 0
                assert (pos[r, k, L + 1:] == -1).all()
        # q-learning checkpoints: a 16x4 table on paper4x4, 25x4 on slippy
        fl = f["checkpoints/floats"][:]
        assert (fl[:6] == 0).all() and set(fl[6:12]) == {64} and set(fl[12:]) == {100} or \
            sorted(set(fl[6:])) == [64, 100]
        assert f["checkpoints/q-learning"].shape == (12, 2, 100)
        assert (f["runs/rank"][:] >= 1).all()   # rank 0 only coordinates with 2 ranks
        assert f["envs/paper4x4/dist"][0, 0] == 6
    subprocess.run(["h5dump", "-H", str(out)], check=True, capture_output=True)


def test_same_results_with_1_2_3_ranks(small_job, tmp_path):
    outs = []
    for n in (1, 2, 3):
        out = tmp_path / f"r{n}.h5"
        run_sweep(small_job, out, n, check=True)
        outs.append(out)
    assert_same_results(outs[0], outs[1])
    assert_same_results(outs[0], outs[2])


def test_existing_file_never_overwritten(small_job, tmp_path):
    out = tmp_path / "r.h5"
    out.write_bytes(b"precious")
    p = run_sweep(small_job, out, 1)
    assert p.returncode == 2 and "exists" in p.stderr
    assert out.read_bytes() == b"precious"
    # --force replaces only a results file of this project.
    p = run_sweep(small_job, out, 1, "--force")
    assert p.returncode == 2 and "not an aifsweep results file" in p.stderr, p.stderr
    assert out.read_bytes() == b"precious"
    out.unlink()
    run_sweep(small_job, out, 1, check=True)
    p = run_sweep(small_job, out, 1, "--force", check=True)
    with h5py.File(out, "r") as f:
        assert (f["runs/status"][:] == 1).all()


def test_resume_refuses_other_job_and_foreign_files(small_job, tmp_path):
    out = tmp_path / "r.h5"
    run_sweep(small_job, out, 1, check=True)
    before = sha256_file(out)
    other = write_job(tmp_path, small_job.read_text().replace("seed: 11", "seed: 12"), "other.yaml")
    p = run_sweep(other, out, 1, "--resume")
    assert p.returncode == 2 and "different job" in p.stderr
    assert sha256_file(out) == before
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not hdf5 at all")
    p = run_sweep(small_job, junk, 1, "--resume")
    assert p.returncode == 2 and "not an HDF5 file" in p.stderr
    with h5py.File(tmp_path / "foreign.h5", "w") as f:
        f["x"] = 1
    p = run_sweep(small_job, tmp_path / "foreign.h5", 1, "--resume")
    assert p.returncode == 2 and "not an aifsweep results file" in p.stderr
    p = run_sweep(small_job, tmp_path / "missing.h5", 1, "--resume")
    assert p.returncode == 2 and "missing.h5" in p.stderr


def test_dry_run_writes_nothing(small_job, tmp_path):
    out = tmp_path / "r.h5"
    p = run_sweep(small_job, out, 1, "--dry-run", check=True)
    assert not out.exists()
    lines = [l for l in p.stdout.splitlines() if l and not l.startswith(("#", "run_id"))]
    assert len(lines) == 18
    assert "results file: about" in p.stdout


def test_dry_run_prints_each_world(tmp_path):
    """--dry-run names every world with its size, slip, episode cap and BFS
    optimal path (a named world and an overridden one)."""
    job = write_job(tmp_path, """
environments:
  - preset: maze15x15
  - name: lake
    preset: frozenlake8x8
    slip: 0.6667
    max_steps: 300
  - name: tall
    rows: 6
    cols: 3
agents:
  - type: random
""")
    p = subprocess.run([BIN, str(job), "--dry-run"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    worlds = [l for l in p.stdout.splitlines() if l.startswith("# world ")]
    assert worlds == ["# world maze15x15: 15x15, slip 0, max_steps 400, optimal path 56 steps",
                      "# world lake: 8x8, slip 0.6667, max_steps 300, optimal path 14 steps",
                      "# world tall: 6x3, slip 0, max_steps 100, optimal path 7 steps"], p.stdout


SLOW_JOB = """
name: slow
seed: 3
seeds: 3
train_steps: 100000000
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


def _start(job, out, np_, *args):
    return subprocess.Popen(sweep_cmd(job, out, np_, "--progress", "0", *args), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _kill_all(pid, sig):
    for p in [pid] + descendants(pid):
        try:
            os.kill(p, sig)
        except ProcessLookupError:
            pass


def _wait_for_done(proc, k, timeout=120):
    """Read progress lines until at least k runs are done."""
    t0 = time.time()
    seen = []
    while time.time() - t0 < timeout:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        m = re.search(r"(\d+)/(\d+) runs done", line)
        if m and int(m.group(1)) >= k:
            return int(m.group(1))
    raise AssertionError("sweep did not progress:\n" + "".join(seen))


def test_resume_after_sigkill_matches_uninterrupted(tmp_path):
    job = write_job(tmp_path, SLOW_JOB)
    ref = tmp_path / "ref.h5"
    run_sweep(job, ref, 3, check=True)
    out = tmp_path / "killed.h5"
    proc = _start(job, out, 3)
    _wait_for_done(proc, 2)
    _kill_all(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(0.5)
    with h5py.File(out, "r") as f:
        st = f["runs/status"][:]
    assert 2 <= (st == 1).sum() < len(st), st
    assert (st == 3).any()     # runs in progress were left 'started'
    p = run_sweep(job, out, 2, "--resume", check=True)
    assert "resuming" in p.stderr
    assert_same_results(ref, out)


def test_sigterm_stops_cleanly_then_resume(tmp_path):
    job = write_job(tmp_path, SLOW_JOB)
    out = tmp_path / "r.h5"
    proc = _start(job, out, 3)
    _wait_for_done(proc, 2)
    # As Slurm does at a time limit: SIGTERM to every task.  (SIGTERM to mpirun
    # itself also stops the sweep cleanly, but mpirun then exits 1.)
    for p in sweep_ranks(proc.pid):
        os.kill(p, signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, err
    with h5py.File(out, "r") as f:        # closed cleanly, readable
        st = f["runs/status"][:]
    assert set(np.unique(st)) <= {0, 1}, st   # nothing left "started"
    assert (st == 1).sum() >= 2 and (st == 0).sum() >= 1
    p = run_sweep(job, out, 3, "--resume", check=True)
    with h5py.File(out, "r") as f:
        assert (f["runs/status"][:] == 1).all()


BAD = sorted(glob.glob(os.path.join(ROOT, "tests", "bad_jobs", "*.yaml")))


def _expect(path):
    first = open(path, errors="replace").readline()
    m = re.match(r"#\s*expect:\s*(.*\S)", first)
    assert m, f"{path}: first line must be '# expect: ...'"
    return m.group(1)


def test_bad_jobs_corpus_is_large_enough():
    assert len(BAD) >= 30


@pytest.mark.parametrize("path", BAD, ids=[os.path.basename(p) for p in BAD])
def test_bad_job_is_refused_cleanly(path, tmp_path):
    out = tmp_path / "existing.h5"
    out.write_bytes(b"keep me")
    p = subprocess.run([BIN, path, "-o", str(out), "--resume"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert _expect(path) in lines[0], (lines[0], _expect(path))
    assert out.read_bytes() == b"keep me"
    p = subprocess.run([BIN, path, "-o", str(tmp_path / "new.h5")], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2
    assert not (tmp_path / "new.h5").exists() and not (tmp_path / "new.h5.partial").exists()


def test_baselines_qlearning_beats_random(tmp_path):
    """A cut-down jobs/baselines.yaml: after training, q-learning is far better
    than random on the 4x4 and reaches the optimal 6 steps."""
    text = open(os.path.join(ROOT, "jobs", "baselines.yaml")).read()
    text = text.replace("seeds: 20", "seeds: 4").replace("eval_episodes: 50", "eval_episodes: 20")
    job = write_job(tmp_path, text)
    out = tmp_path / "b.h5"
    run_sweep(job, out, 3, check=True)
    with h5py.File(out, "r") as f:
        p = f["runs/params"][:]
        steps, succ = f["eval/steps"][:], f["eval/success"][:]
        agent = np.array([x.decode() for x in p["agent"]])
        env = np.array([x.decode() for x in p["env"]])
    q = (agent == "q-learning") & (env == "paper4x4")
    r = (agent == "random") & (env == "paper4x4")
    assert succ[q].all()
    assert np.median(steps[q]) == 6
    assert steps[q].mean() < 0.5 * steps[r].mean()


def test_sigusr1_to_mpirun_is_forwarded(tmp_path):
    """Slurm's early warning (--signal=B:USR1@...) reaches the batch script,
    which forwards it to mpirun; mpirun forwards it to the ranks."""
    job = write_job(tmp_path, SLOW_JOB)
    out = tmp_path / "r.h5"
    proc = _start(job, out, 3)
    _wait_for_done(proc, 1)
    mpirun = [p for p in [proc.pid] + descendants(proc.pid) if open(f"/proc/{p}/comm").read().strip() == "mpirun"]
    assert mpirun
    os.kill(mpirun[0], signal.SIGUSR1)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, err
    assert "--resume" in err


def test_jobs_readme_named_worlds_table(tmp_path):
    """The table of presets in jobs/README.md ("Named worlds") says what
    --dry-run finds for each: size, optimal path, slip, max_steps."""
    readme = open(os.path.join(ROOT, "jobs", "README.md")).read()
    rows = re.findall(r"^\| `(\w+)` \| (\d+)×(\d+) \| [^|]+ \| (\d+)[^|]* \| ([\d.]+) \| (\d+) \|", readme, re.M)
    assert len(rows) == 8, rows
    envs = "".join(f"  - preset: {r[0]}\n" for r in rows)
    job = write_job(tmp_path, f"environments:\n{envs}agents:\n  - type: random\n")
    p = subprocess.run([BIN, str(job), "--dry-run"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    for name, r, c, optimal, slip, max_steps in rows:
        line = f"# world {name}: {r}x{c}, slip {float(slip):g}, max_steps {max_steps}, optimal path {optimal} steps"
        assert line in p.stdout.splitlines(), (line, p.stdout)


def test_jobs_readme_lists_every_agent_parameter():
    """jobs/README.md carries the output of --list-agents, so the documented
    parameters are exactly the ones the loader accepts."""
    p = subprocess.run([BIN, "--list-agents"], capture_output=True, text=True, check=True)
    readme = open(os.path.join(ROOT, "jobs", "README.md")).read()
    assert p.stdout.strip() in readme


def test_checkpoints_zero_with_learning_agents(tmp_path):
    """`checkpoints: 0` keeps no checkpoint slots; agents that would write one
    (q-learning's table, diffusion-aif's network) still run and complete."""
    job = write_job(tmp_path, """
name: nockpt
seed: 1
seeds: 1
train_steps: 100
eval_episodes: 2
log_episodes: 0
checkpoints: 0
efe_checks: 0
environments:
  - name: w3
    size: 3
    max_steps: 12
agents:
  - type: q-learning
  - type: diffusion-aif
    params: {d_model: 16, heads: 2, layers: 1, T: 10, sample_steps: 3, train_iters: 20,
             batch: 16, samples: 2, horizon: 1, context: 1, amb_samples: 2, trans_samples: 2}
""")
    out = tmp_path / "n.h5"
    run_sweep(job, out, 2, check=True)
    with h5py.File(out, "r") as f:
        assert (f["runs/status"][:] == 1).all(), f["runs/message"][:]


def test_closing_summary_is_read_back_from_the_file(tmp_path):
    """aif-sweep's closing summary (stderr), per agent and world: runs, mean
    steps to goal (a missed goal counts max_steps), success, hole deaths and
    time-outs, each as the file's /runs/status, /eval/steps and /eval/outcome
    give them (random on a small lake both falls into holes and times out)."""
    job = write_job(tmp_path, """name: summary
seed: 4
seeds: 3
train_steps: 50
eval_episodes: 20
log_episodes: 0
checkpoints: 0
efe_checks: 0
environments:
  - name: lake4
    map: ["SFFF", "FHFH", "FFFH", "HFFG"]
    max_steps: 12
agents:
  - type: random
  - type: exact-aif
""")
    out = tmp_path / "r.h5"
    p = run_sweep(job, out, 2, check=True)
    rows = {}
    for line in p.stderr.splitlines():
        m = re.match(r"^(\S+)\s+lake4\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)%\s+([\d.]+)%\s+([\d.]+)%$", line)
        if m:
            rows[m.group(1)] = [float(x) for x in m.groups()[1:]]
    assert set(rows) == {"random", "exact-aif"}, p.stderr
    with h5py.File(out, "r") as f:
        agent = np.array([a.decode() for a in f["runs/params"]["agent"]])
        status, steps, outcome = f["runs/status"][:], f["eval/steps"][:], f["eval/outcome"][:]
    for name, (runs, failed, mean, succ, holes, timeouts) in rows.items():
        r = (agent == name) & (status == 1)
        o, s = outcome[r], steps[r]
        assert (runs, failed) == (r.sum(), 0)
        assert mean == pytest.approx(np.where(o == 0, s, 12).mean(), abs=0.005)
        assert (succ, holes, timeouts) == tuple(pytest.approx(100 * (o == k).mean(), abs=0.05) for k in (0, 1, 2))
    assert rows["random"][4] > 0 and rows["random"][5] > 0, "the world must show both failures"
