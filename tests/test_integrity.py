"""Per-run checksums (/runs/crc32): flipped bytes in a finished run's data,
checkpoints or status, or in the stored job text, are found by `analysis
verify`, left out by the other analysis commands, and run again by --resume,
which then ends with the uninterrupted sweep's file."""
import h5py
import numpy as np
import pytest

from conftest import assert_same_results, run_sweep, write_job
from analysis_helpers import analysis

JOB = """
name: integrity
seed: 5
seeds: 3
train_steps: 300
eval_episodes: 4
log_episodes: 2
checkpoints: 2
curve_points: 4
efe_checks: 0
environments:
  - name: w
    size: 4
agents:
  - type: q-learning
  - type: random
"""


def _analysis(*args):
    return analysis(*args)


def _flip(path, dataset, run, byte=0, index=None, mask=0x5A):
    """Flip bits `mask` of one byte of `dataset`'s row `run` in the raw file
    (contiguous layout), or of its byte `index` counted from the start."""
    with h5py.File(path, "r") as f:
        d = f[dataset]
        off = d.id.get_offset()
        assert off is not None, dataset
        row = int(np.prod(d.shape[1:])) * d.dtype.itemsize if d.ndim > 1 else d.dtype.itemsize
        at = off + (index if index is not None else run * row + byte)
    with open(path, "r+b") as f:
        f.seek(at)
        b = f.read(1)
        f.seek(at)
        f.write(bytes([b[0] ^ mask]))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("integrity")
    job = write_job(d, JOB)
    ref = d / "ref.h5"
    run_sweep(job, ref, 3, check=True)
    return job, ref


def test_clean_file_verifies(files):
    job, ref = files
    p = _analysis("verify", ref)
    assert p.returncode == 0 and "all 6 finished runs match" in p.stdout and "job_yaml matches" in p.stdout, p


def test_damage_found_left_out_and_rerun(files, tmp_path):
    job, ref = files
    out = tmp_path / "r.h5"
    out.write_bytes(ref.read_bytes())
    _flip(out, "eval/steps", 2)                       # data
    _flip(out, "traj/pos", 4, byte=9)                 # a trajectory log
    with h5py.File(out, "r") as f:
        ck_row = int(f["checkpoints/row"][1])
        nf = int(f["checkpoints/floats"][1])
        per_row = f["checkpoints/q-learning"].shape[1] * f["checkpoints/q-learning"].shape[2] * 4
    _flip(out, "checkpoints/q-learning", 0, index=ck_row * per_row + 4 * (nf // 2))   # run 1's checkpoint
    _flip(out, "runs/crc32", 5)                       # the checksum itself
    p = _analysis("verify", out)
    assert p.returncode == 1 and "4 of 6 finished runs fail their checksum: runs 1, 2, 4, 5" in p.stdout, p
    p = _analysis("summary", out)
    assert p.returncode == 0 and "fail their checksum and are left out" in p.stderr, p.stderr
    p = run_sweep(job, out, 3, "--resume", check=True)
    for r in (1, 2, 4, 5):
        assert f"run {r} is marked done but fails its checksum" in p.stderr, p.stderr
    assert "resuming: 2 runs already done, 0 failed, 4 to run" in p.stderr, p.stderr
    assert _analysis("verify", out).returncode == 0
    assert_same_results(ref, out)


def test_pending_flipped_to_done(files, tmp_path):
    """A row that never finished (checksum 0) whose status byte is flipped to
    done is not taken for a result."""
    job, ref = files
    out = tmp_path / "r.h5"
    out.write_bytes(ref.read_bytes())
    with h5py.File(out, "r+") as f:            # run 3 as a pending row: no checksum, status 0
        f["runs/crc32"][3] = 0
        f["runs/status"][3] = 0
    _flip(out, "runs/status", 3, mask=0x01)    # the status byte: 0 -> 1, "done"
    with h5py.File(out, "r") as f:
        assert f["runs/status"][3] == 1
    p = _analysis("verify", out)
    assert p.returncode == 1 and "runs 3" in p.stdout, p.stdout
    p = run_sweep(job, out, 3, "--resume", check=True)
    assert "run 3 is marked done but fails its checksum" in p.stderr
    assert_same_results(ref, out)


def test_job_text_changed(files, tmp_path):
    job, ref = files
    out = tmp_path / "r.h5"
    out.write_bytes(ref.read_bytes())
    with h5py.File(out, "r+") as f:
        t = f.attrs["job_yaml"]
        t = t.decode() if isinstance(t, bytes) else str(t)
        f.attrs.modify("job_yaml", np.bytes_(t.replace("seeds: 3", "seeds: 4")))
    p = _analysis("verify", out)
    assert p.returncode == 1 and "job_yaml does not match job_sha256" in p.stdout, p.stdout
