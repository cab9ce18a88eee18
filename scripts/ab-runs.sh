#!/bin/sh
# ab-runs.sh A_BIN B_BIN [JOB...]: the same one-run jobs with two builds of
# aif-sweep in turn, one worker each (scripts/mpirun.sh 2), printing each
# run's training + evaluation time and success and whether the two results
# files are the same (scripts/compare-results.py: everything but timings;
# the datasets that differ, if any).  null-work entries (which pad run ids)
# are left out of the times and success.  Default jobs: jobs/perf/*.yaml.  For a speed-up that must not change
# results, e.g. the build of an older commit against today's:
#   git worktree add /tmp/old COMMIT && make -C /tmp/old
#   sh scripts/ab-runs.sh /tmp/old/build/aif-sweep build/aif-sweep
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: scripts/ab-runs.sh A_BIN B_BIN [JOB...]" >&2; exit 2; }
A=$1 B=$2
shift 2
[ $# -gt 0 ] || set -- jobs/perf/*.yaml
TMP=$(mktemp -d "${TMPDIR:-/tmp}/aif-ab.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
echo "ab-runs: load $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
for job in "$@"; do
    name=$(basename "$job" .yaml)
    for side in A B; do
        eval bin=\$$side
        if ! sh scripts/mpirun.sh 2 "$bin" "$job" -o "$TMP/$name.$side.h5" --force --progress 0 >"$TMP/out" 2>&1; then
            echo "ab-runs: $name failed with $bin:" >&2
            cat "$TMP/out" >&2
            exit 1
        fi
        /usr/bin/python3 - "$TMP/$name.$side.h5" "$name" "$side" "$bin" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
# null-work entries only pad the run ids (jobs/perf/open32_network.yaml): left out
kind = f["runs/params"]["agent_type"][:]
keep = [i for i, k in enumerate(kind) if (k.decode() if isinstance(k, bytes) else str(k)) != "null-work"]
t = (f["runs/train_seconds"][:] + f["runs/eval_seconds"][:])[keep]
print(f"ab-runs: {sys.argv[2]:22s} {sys.argv[3]} {t.mean():8.1f} s/run  success {f['eval/success'][:][keep].mean():.2f}  ({sys.argv[4]})")
PY
    done
    if /usr/bin/python3 scripts/compare-results.py "$TMP/$name.A.h5" "$TMP/$name.B.h5" >"$TMP/cmp" 2>&1; then
        echo "ab-runs: $name: $(tail -1 "$TMP/cmp")"
    else
        status=1
        echo "ab-runs: $name: $(tail -1 "$TMP/cmp"):"
        sed '$d' "$TMP/cmp" | sed 's/^/    /'   # which datasets differ
    fi
done
echo "ab-runs: load $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
