"""Damaged results files and the analysis (issue 20): a damaged byte of
HDF5's own metadata is refused by every command with one line and exit
status 2, never a traceback; a job text edited after the sweep is not read
for the training budgets and is warned about; runs that fail their checksum
are shown by `status` as damaged, not pending."""
import contextlib
import io
import json
import os
import re
import subprocess
import sys

import h5py
import numpy as np
import pytest

from analysis_helpers import ROOT, copy_results, read_csv, run_sweep, write_job

sys.path.insert(0, ROOT)
from analysis import verify  # noqa: E402
from analysis.__main__ import FIGURE_HELP, main  # noqa: E402
from analysis.results import Results  # noqa: E402

JOB = """
name: damage
seed: 5
seeds: 2
train_steps: 300
eval_episodes: 4
log_episodes: 1
checkpoints: 1
curve_points: 4
efe_checks: 0
environments:
  - name: w
    size: 4
agents:
  - type: q-learning
  - {type: q-learning, name: q-100, train_steps: 100}
  - type: random
"""
# Every command of python3 -m analysis.
COMMANDS = ["report", "summary", "status", "verify", "figures", *FIGURE_HELP]
# Signatures of HDF5 metadata blocks: a group's B-tree node, symbol-table
# node and local heap (version-1 groups); object headers, fractal heaps and
# version-2 B-trees (version-2 layouts).
SIGNATURES = [b"TREE", b"SNOD", b"HEAP", b"OHDR", b"FRHP", b"BTHD", b"BTLF"]
JOB_TEXT_CHANGED = "job_yaml does not match job_sha256 (the stored job text was changed)"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """JOB run by the real runner on 2 ranks (read-only: copy before changing)."""
    d = tmp_path_factory.mktemp("damage")
    out = d / "r.h5"
    run_sweep(write_job(d, JOB), out, 2, "--quiet", check=True)
    return out


@pytest.fixture(autouse=True)
def no_debug(monkeypatch):
    monkeypatch.delenv("AIF_DEBUG", raising=False)


def _args(cmd, path, out):
    """The command line of `cmd` on path (outputs under out; few resamples: fast)."""
    args = [cmd, str(path)]
    if cmd not in ("summary", "status", "verify"):
        args += ["--out", str(out)]
    if cmd in ("report", "summary", "budgets"):
        args += ["--resamples", "100"]
    return args


def _run(args, env=None):
    """python3 -m analysis ARGS in a child process."""
    return subprocess.run([sys.executable, "-m", "analysis", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, env=env)


def _run_here(args):
    """main(args) in this process: (exit status, stdout, stderr); an exception escapes."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(args)
    return rc, out.getvalue(), err.getvalue()


def _metadata_sites(path):
    """[(kind, offset)]: where each HDF5 metadata block of the file starts: its
    signature, or for a version-1 object header (no signature) its address."""
    data = path.read_bytes()
    sites = [(sig.decode(), m.start()) for sig in SIGNATURES for m in re.finditer(re.escape(sig), data)]
    with h5py.File(path, "r") as f:
        objects = []
        f.visititems(lambda name, obj: objects.append((name, obj)))
        for name, obj in objects:
            addr = getattr(h5py.h5o.get_info(obj.id), "addr", None)
            if addr is not None and data[addr:addr + 4] != b"OHDR":
                sites.append((f"object header of /{name}", addr))
    return sites


def _corrupt(src, dst, at, n=4):
    """dst: a copy of src with the n bytes at offset `at` inverted."""
    data = bytearray(src.read_bytes())
    for i in range(at, min(at + n, len(data))):
        data[i] ^= 0xFF
    dst.write_bytes(bytes(data))
    return dst


def _corruptions(path):
    """[(what, offset)]: bytes of metadata to invert, a few in each block."""
    out = []
    for kind, at in _metadata_sites(path):
        deltas = (0, 24) if kind.startswith("object header") else (8, 16, 24)
        out += [(f"{kind} at {at}+{d}", at + d) for d in deltas]
    return out


def _opens(path):
    """Whether the analysis' loader accepts the file (every command opens it first)."""
    try:
        Results(path).close()
        return True
    except Exception:       # today's code lets h5py's exceptions through: that is refusal too
        return False


def _one_line(p, path, what):
    """The single stderr line of a refusal of path, no traceback."""
    lines = p.stderr.strip().splitlines()
    assert "Traceback" not in p.stderr and len(lines) == 1, (what, p.stderr)
    assert lines[0].startswith(f"analysis: {path}: "), (what, lines)
    return lines[0]


def test_metadata_damage_never_ends_in_a_traceback(results, tmp_path):
    """Every metadata block of the file, a few bytes each: summary, status,
    verify and budgets end normally (exit 0 or 1; damaged runs left out) or
    refuse the file with one line and exit 2, never with an exception."""
    bad = tmp_path / "bad.h5"
    refusals, messages = 0, set()
    for what, at in _corruptions(results):
        _corrupt(results, bad, at)
        for cmd in ("summary", "status", "verify", "budgets"):
            try:
                rc, out, err = _run_here(_args(cmd, bad, tmp_path / "o"))
            except Exception as e:
                pytest.fail(f"{cmd} on {what}: {type(e).__name__}: {e}")
            assert rc in (0, 1, 2), (cmd, what, rc, err)
            if rc == 2:
                lines = err.strip().splitlines()
                assert len(lines) == 1 and lines[0].startswith(f"analysis: {bad}: "), (cmd, what, err)
                refusals += 1
                messages.add(re.sub(r"\(.*", "", lines[0]))
    assert refusals >= 10 and len(messages) >= 3, (refusals, messages)


def test_metadata_damage_is_refused_by_every_command(results, tmp_path):
    """For each kind of metadata block, the first damage that stops the file
    from opening: every command refuses it with the same single line naming
    the file and exit status 2."""
    first = {}
    for what, at in _corruptions(results):
        kind = what.split(" at ")[0]
        kind = "object header" if kind.startswith("object header") else kind
        if kind not in first:
            bad = _corrupt(results, tmp_path / f"{len(first)}.h5", at)
            if not _opens(bad):
                first[kind] = (what, bad)
    assert len(first) >= 3, first
    seen = set()
    for kind, (what, bad) in first.items():
        lines = set()
        for cmd in COMMANDS:
            p = _run(_args(cmd, bad, tmp_path / "o"))
            assert p.returncode == 2, (cmd, what, p.stderr)
            lines.add(_one_line(p, bad, (cmd, what)))
        assert len(lines) == 1, (what, lines)
        seen |= lines
    assert len(seen) >= 2, seen            # more than one way of failing
    assert not (tmp_path / "o").exists()


def _header_of(path, name):
    """The address of dataset `name`'s object header (None: h5py does not give it)."""
    with h5py.File(path, "r") as f:
        return getattr(h5py.h5o.get_info(f[name].id), "addr", None)


def test_damage_met_by_one_command_names_what_it_cannot_read(results, tmp_path):
    """A damaged object header of /runs/t_start, which only status reads whole:
    status refuses in one line naming it; verify counts the runs it covers as
    damaged; AIF_DEBUG=1 shows the traceback instead."""
    at = _header_of(results, "runs/t_start")
    if at is None:
        pytest.skip("h5py gives no object header addresses")
    bad = _corrupt(results, tmp_path / "bad.h5", at, n=1)           # its version byte
    p = _run(["status", bad])
    assert p.returncode == 2, p
    assert "cannot read /runs/t_start" in _one_line(p, bad, "status"), p.stderr
    p = _run(["verify", bad])
    assert p.returncode == 1 and "6 of 6 finished runs fail their checksum" in p.stdout, p
    assert "Traceback" not in p.stderr
    p = _run(["status", bad], env={**os.environ, "AIF_DEBUG": "1"})
    assert p.returncode == 1 and "Traceback" in p.stderr, p


def _edit_job_text(path, old, new):
    with h5py.File(path, "r+") as f:
        t = f.attrs["job_yaml"]
        t = t.decode() if isinstance(t, bytes) else str(t)
        assert old in t
        f.attrs.modify("job_yaml", np.bytes_(t.replace(old, new)))


def _as_format_6(path):
    """Make the file at path what a sweep before format version 7 wrote: no
    /runs/train_budget (and the checksums recomputed without it)."""
    with h5py.File(path, "r+") as f:
        del f["runs/train_budget"]
        covers = [c for c in f["runs/crc32"].attrs["covers"].decode().split(",") if c != "/runs/train_budget"]
        f["runs/crc32"].attrs["covers"] = ",".join(covers).encode()
        f.attrs["format_version"] = 6
        status = f["runs/status"][:]
        agents = [a.decode() for a in f["runs/params"]["agent"]]
        crc = f["runs/crc32"][:]
        for r in np.flatnonzero((status == 1) | (status == 2)):
            crc[r] = verify.run_crc(f, int(r), int(status[r]), covers, agents[r])
        f["runs/crc32"][:] = crc


def test_edited_job_text_is_not_read_for_budgets(results, tmp_path):
    """A job text changed after the sweep (q-100's budget said to be 200):
    budgets come from the file's /runs/train_budget, which the sweep wrote, so
    the curves are those of the unchanged file; a file from before format 7
    (no such dataset), whose budgets are read from the job text, draws nothing
    from it and says why; summary, status and report warn in one line."""
    clean = tmp_path / "clean"
    p = _run(_args("budgets", results, clean))
    assert p.returncode == 0 and p.stderr == "", p
    assert {r["budget"] for r in read_csv(clean / "budgets.csv")} == {"100", "300"}
    with h5py.File(results, "r") as f:
        agent = np.array([a.decode() for a in f["runs/params"]["agent"]])
        assert set(f["runs/train_budget"][:][agent == "q-100"]) == {100}
    path = copy_results(results, tmp_path / "edited.h5")
    _edit_job_text(path, "train_steps: 100", "train_steps: 200")
    warning = f"analysis: {path}: {JOB_TEXT_CHANGED}; see python3 -m analysis verify"
    p = _run(_args("budgets", path, tmp_path / "e"))
    assert p.returncode == 0 and p.stderr.splitlines() == [warning], p
    assert read_csv(tmp_path / "e" / "budgets.csv") == read_csv(clean / "budgets.csv")
    old = copy_results(path, tmp_path / "old.h5")
    _as_format_6(old)
    p = _run(["verify", str(old)])
    assert p.returncode != 0 and "all 6 finished runs match their checksums" in p.stdout, p.stdout  # not the job text
    out = tmp_path / "o"
    p = _run(_args("budgets", old, out))
    assert p.returncode == 0, p
    assert p.stdout.startswith(f"budgets skipped: {JOB_TEXT_CHANGED}"), p.stdout
    assert not out.exists() or not list(out.iterdir())
    warning = f"analysis: {old}: {JOB_TEXT_CHANGED}; see python3 -m analysis verify"
    for cmd in ("summary", "status", "budgets"):
        p = _run(_args(cmd, old, out))
        assert p.returncode == 0 and p.stderr.splitlines() == [warning], (cmd, p.stderr)
    text = _run(["status", path]).stdout
    assert f"  warning: {JOB_TEXT_CHANGED}" in text.splitlines()[2], text
    assert json.loads(_run(["status", path, "--json"]).stdout)["job_text_ok"] is False
    assert json.loads(_run(["status", results, "--json"]).stdout)["job_text_ok"] is True
    assert JOB_TEXT_CHANGED not in _run(["status", results]).stdout
    p = _run(_args("report", old, tmp_path / "rep"))
    assert p.returncode == 0 and f"**Warning:** {JOB_TEXT_CHANGED}" in (tmp_path / "rep" / "README.md").read_text()
    assert f"budgets skipped: {JOB_TEXT_CHANGED}" in p.stdout


def _flip_row(path, dataset, run):
    """Invert one byte of `dataset`'s row `run` in the raw file (contiguous layout)."""
    with h5py.File(path, "r") as f:
        d = f[dataset]
        at = d.id.get_offset() + run * int(np.prod(d.shape[1:])) * d.dtype.itemsize
    _corrupt(path, path, at, n=1)


def test_status_shows_runs_failing_their_checksum_as_damaged(results, tmp_path):
    """Runs marked done whose rows fail their checksum: counted and listed as
    damaged by status (text, --json, --runs, report), the runs verify finds."""
    path = copy_results(results, tmp_path / "d.h5")
    _flip_row(path, "eval/steps", 1)
    _flip_row(path, "train/curve_steps", 4)
    with h5py.File(path, "r") as f:
        st = f["runs/status"][:]
        agents = [a.decode() for a in f["runs/params"]["agent"]]
        cond = f["runs/params"]["condition"][:]
        ids = verify.damaged_runs(f, st, agents).tolist()
    assert ids == [1, 4] and (st == 1).all()
    s = json.loads(_run(["status", path, "--json", "--runs"]).stdout)
    assert s["counts"] == {"done": 4, "failed": 0, "started": 0, "pending": 0, "damaged": 2}, s["counts"]
    assert [d["run_id"] for d in s["damaged"]] == ids and not s["complete"]
    for c in s["conditions"]:
        assert c["damaged"] == sum(cond[r] == c["condition"] for r in ids) and c["pending"] == 0, c
    assert [r["run_id"] for r in s["run_list"] if r["status"] == "damaged"] == ids
    assert all(r["rank"] is None for r in s["run_list"] if r["status"] == "damaged")
    p = _run(["status", path])
    assert p.returncode == 0, p
    head = p.stdout.splitlines()[0]
    assert head.endswith("4 done, 0 failed, 0 started, 0 pending, 2 damaged"), head
    assert "  damaged: runs 1,4 are marked finished but fail their checksum" in p.stdout
    assert "damaged runs (2: marked finished, their rows fail their checksum):" in p.stdout
    assert re.search(r"^  cond .* pending +damaged +time/run$", p.stdout, re.M), p.stdout
    assert p.stderr.strip().splitlines() == [f"analysis: {path}: 2 finished run(s) fail their checksum and are "
                                             f"left out (1,4); see python3 -m analysis verify"]
    p = _run(_args("report", path, tmp_path / "rep"))
    assert p.returncode == 0 and "0 pending, 2 damaged (fail their checksum)" in \
        (tmp_path / "rep" / "README.md").read_text()
    # A clean file: no damaged count, column or section.
    s = json.loads(_run(["status", results, "--json"]).stdout)
    assert "damaged" not in s["counts"] and s["damaged"] == []
    assert not re.search(r"\bdamaged\b", _run(["status", results]).stdout)
