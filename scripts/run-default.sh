#!/bin/sh
# The README's run command: the small default sweep (jobs/smoke.yaml) with
# mpirun on this machine.  A second call resumes (and so finishes at once).
set -e
NP=${1:-3}
JOB=jobs/smoke.yaml
OUT=results/default.h5
cd "$(dirname "$0")/.."
mkdir -p results
if [ -f "$OUT" ]; then
    echo "run: $OUT exists; resuming it (delete it to start afresh)"
    set -- --resume
else
    set --
fi
sh scripts/mpirun.sh "$NP" build/aif-sweep "$JOB" -o "$OUT" --progress 2 "$@"
echo "run: results in $(pwd)/$OUT (layout: docs/results-format.md)"
