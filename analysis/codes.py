"""What every reader of a results file shares and imports from nowhere else
in the package: the run status codes of /runs/status (docs/results-format.md)
and HDF5 strings as text.  A leaf module, so that results.py and verify.py,
which both need them, do not import each other (README, "Code structure")."""
import numpy as np

PENDING, DONE, FAILED, STARTED = 0, 1, 2, 3
STATUS_NAMES = {PENDING: "pending", DONE: "done", FAILED: "failed", STARTED: "started"}


def text(x):
    """An HDF5 string (bytes, numpy bytes or str) as str."""
    if isinstance(x, (bytes, np.bytes_)):
        return x.decode("utf-8", "replace")
    if isinstance(x, np.ndarray) and x.shape == ():
        return text(x[()])
    return str(x)
