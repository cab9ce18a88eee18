#!/bin/sh
# The README's test command (after the build): every C unit test and every
# end-to-end test, through pytest, which closes with "N passed, N failed".
# Usage: scripts/test.sh [PYTHON [PYTEST ARGS...]]  (make check passes -m "not full")
PY=${1:-python3}
[ $# -gt 0 ] && shift
cd "$(dirname "$0")/.."
if [ -z "$PY" ] || ! "$PY" -c 'import h5py, numpy, pytest' 2>/dev/null; then
    echo "test: no Python with h5py, numpy and pytest found (run make setup)" >&2
    exit 1
fi
exec "$PY" -m pytest -q -p no:cacheprovider "$@" tests
