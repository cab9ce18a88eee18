"""aifsweep analysis: tables, statistics, figures and status of a results file.

    make report RESULTS=results/smoke.h5 [OUT=dir]
    python3 -m analysis COMMAND RESULTS.h5 [options]     (python3 -m analysis --help)

Only rows whose /runs/status is 1 (done) are read for results; every other row
of a results file may hold garbage (docs/results-format.md).  See
docs/analysis.md for what each command writes.
"""
import os

# Read without HDF5's file locks: a file that a sweep is still writing (or one
# on NFS/Lustre, where locks fail) must be readable.  Set before h5py loads.
os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")

__all__ = ["Results", "ResultsError", "open_results"]


def __getattr__(name):
    # Imported on first use, so that `python3 -m analysis` can say clearly
    # when h5py or numpy is missing.
    if name in __all__:
        from . import results
        return getattr(results, name)
    raise AttributeError(name)
