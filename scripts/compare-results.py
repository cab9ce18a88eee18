#!/usr/bin/env python3
"""compare-results.py A.h5 B.h5: are two aifsweep results files the same results?

Every attribute and every dataset of the two files is compared, value for
value (NaN equal to NaN), except what is bound to differ between two runs of
the same job: timings (/runs/t_start, t_end, train_seconds, eval_seconds,
fit_seconds, readoff_seconds), the rank that ran each run (/runs/rank), the
checksum that covers those (/runs/crc32), and the provenance attributes
(created, git_commit, software_version, hdf5_version, mpi_version, job_path).  Prints each
difference; exit 0 if there is none, 1 if there are, 2 if a file cannot be read.

Uses: the same job with any number of ranks; a binary before and after a
change that should not change results (docs/structure.md).
"""
import sys

try:
    import h5py
    import numpy as np
except ImportError as e:
    sys.stderr.write(f"compare-results: {e.name} is missing in {sys.executable} (use /usr/bin/python3)\n")
    sys.exit(2)

TIMING = {"/runs/t_start", "/runs/t_end", "/runs/train_seconds", "/runs/eval_seconds",
          "/runs/fit_seconds", "/runs/readoff_seconds", "/runs/rank", "/runs/crc32"}
PROVENANCE = {"created", "git_commit", "software_version", "hdf5_version", "mpi_version", "job_path"}


def walk(f):
    """{path: dataset or group} of every object below the root, root included."""
    out = {"/": f}
    f.visititems(lambda name, obj: out.__setitem__("/" + name, obj))
    return out


def same_values(a, b):
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind == "f":
        return bool(np.array_equal(a, b, equal_nan=True))
    if a.dtype.names:
        return all(same_values(a[n], b[n]) for n in a.dtype.names)
    return bool(np.array_equal(a, b))


def compare(pa, pb):
    diffs = []
    with h5py.File(pa, "r") as fa, h5py.File(pb, "r") as fb:
        oa, ob = walk(fa), walk(fb)
        for p in sorted(set(oa) ^ set(ob)):
            diffs.append(f"{p}: only in {pa if p in oa else pb}")
        for p in sorted(set(oa) & set(ob)):
            a, b = oa[p], ob[p]
            ka = {k for k in a.attrs if not (p == "/" and k in PROVENANCE)}
            kb = {k for k in b.attrs if not (p == "/" and k in PROVENANCE)}
            for k in sorted(ka ^ kb):
                diffs.append(f"{p} attribute {k}: only in one file")
            for k in sorted(ka & kb):
                va, vb = np.asarray(a.attrs[k]), np.asarray(b.attrs[k])
                if not same_values(va, vb):
                    diffs.append(f"{p} attribute {k}: {a.attrs[k]!r} != {b.attrs[k]!r}")
            if isinstance(a, h5py.Dataset) and p not in TIMING:
                if not isinstance(b, h5py.Dataset):
                    diffs.append(f"{p}: a dataset in one file only")
                elif not same_values(a[()], b[()]):
                    what = f"shape {a.shape} vs {b.shape}" if a.shape != b.shape else "values differ"
                    diffs.append(f"{p}: {what}")
    return diffs


def main(argv):
    if len(argv) != 3 or argv[1] in ("-h", "--help"):
        sys.stderr.write(__doc__)
        return 0 if len(argv) == 2 else 2
    try:
        diffs = compare(argv[1], argv[2])
    except OSError as e:
        sys.stderr.write(f"compare-results: {e}\n")
        return 2
    for d in diffs:
        print(d)
    print(f"{len(diffs)} difference(s) between {argv[1]} and {argv[2]}")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
