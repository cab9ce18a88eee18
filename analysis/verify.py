"""Integrity of a results file: each finished run's checksum, and the job text.

Every finished run (status done or failed) carries in /runs/crc32 the CRC-32
(zlib's) of its rows as the sweep stored them, written after them and before
the status (format version 2; src/store/store.c).  The stream is, in order: the
run's row of each dataset named in the `covers` attribute of /runs/crc32,
then its checkpoint values (its row of /checkpoints/<agent>, the first
/checkpoints/floats values of each checkpoint), then the run id as int64 and
its status as int8, all little-endian, as stored.  `job_sha256` is the SHA-256
of the `job_yaml` text.

What this detects: a changed byte in any covered row of a finished run, its
checkpoint values or its status (a pending row flipped to done has no valid
checksum), a run whose rows were never completely written, and an edited
job text.  What it does not: damage to /runs/params and the world maps
(written once at creation), to HDF5's own metadata (h5py then fails to read,
which is reported as damage too), or a file rewritten consistently by hand.
"""
import hashlib
import zlib

import numpy as np

from .codes import DONE, FAILED, text


def _finish(f, r, status, agent, c):
    """The checksum c of run r's covered rows, continued over its checkpoint
    values, run id and status."""
    row, nf = int(f["checkpoints/row"][r]), int(f["checkpoints/floats"][r])
    ck = f"checkpoints/{agent}"
    if row >= 0 and nf > 0 and ck in f:
        c = zlib.crc32(np.ascontiguousarray(f[ck][row, :, :nf]).tobytes(), c)
    c = zlib.crc32(np.int64(r).tobytes(), c)
    return zlib.crc32(np.int8(status).tobytes(), c)


def run_crc(f, r, status, covers, agent):
    """The checksum of run r's rows in open file f, as /runs/crc32 defines it."""
    c = 0
    for name in covers:
        c = zlib.crc32(np.ascontiguousarray(f[name][r:r + 1]).tobytes(), c)
    return _finish(f, r, status, agent, c)


def has_checksums(f):
    return "runs/crc32" in f and "covers" in f["runs/crc32"].attrs


def damaged_runs(f, status, agents, block=256):
    """Ids of the finished runs whose rows do not match their checksum (none
    for a file without checksums, format version 1).  Rows are read `block`
    runs at a time, one read per dataset."""
    if not has_checksums(f):
        return np.zeros(0, dtype=np.int64)
    covers = text(f["runs/crc32"].attrs["covers"]).split(",")
    stored = f["runs/crc32"][:]
    finished = np.flatnonzero((status == DONE) | (status == FAILED))
    bad = []
    for k in range(0, len(finished), block):
        ids = finished[k:k + block]
        lo, hi = int(ids[0]), int(ids[-1]) + 1
        try:
            crc = {int(r): 0 for r in ids}
            for name in covers:
                rows = f[name][lo:hi]
                for r in ids:
                    crc[int(r)] = zlib.crc32(np.ascontiguousarray(rows[int(r) - lo:int(r) - lo + 1]).tobytes(),
                                             crc[int(r)])
            bad.extend(r for r in crc if _finish(f, r, int(status[r]), agents[r], crc[r]) != int(stored[r]))
        except (OSError, KeyError, ValueError):
            bad.extend(int(r) for r in ids)     # unreadable rows: damaged
    return np.asarray(sorted(bad), dtype=np.int64)


def job_text_ok(f):
    """Whether job_sha256 is the SHA-256 of job_yaml (None: no such attributes)."""
    if "job_yaml" not in f.attrs or "job_sha256" not in f.attrs:
        return None
    return hashlib.sha256(text(f.attrs["job_yaml"]).encode()).hexdigest() == text(f.attrs["job_sha256"])
