#!/bin/sh
# `make bench`: every benchmark in build/bench and bench/*.sh, one after another (never two at
# once: they time a single core).  Each prints `bench: NAME VALUE UNIT` lines,
# with its reference measured in the same run and the ratio on a line of its own.
cd "$(dirname "$0")/.."
echo "bench: host $(uname -n) $(nproc) cores; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
status=0
for b in build/bench/*; do
    [ -x "$b" ] || continue
    echo "# $b"
    "$b" || status=1
done
# Benchmarks that drive the real binary through mpirun (bench/*.sh).
for b in bench/*.sh; do
    [ -f "$b" ] || continue
    echo "# $b"
    sh "$b" || status=1
done
exit $status
