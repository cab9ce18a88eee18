#!/bin/sh
# bench_runner: the runner and the store measured alone (run by `make bench`
# through scripts/bench.sh; figures and how to read them: docs/performance.md).
#
# - a 10,000-run sweep of the null-work agent (no learning, full-sized record)
#   with 2, 4 and 8 ranks (oversubscribed on a small machine): runs dispatched
#   and stored per second, from rank 0's "dispatched" line; reference: the same
#   sweep on 1 rank, where rank 0 runs and stores everything with no messages;
# - the same with the ROMIO MPI-IO component instead of Open MPI's default ompio;
# - time to create the file layout of those 10,000 runs (median of the runs
#   above) and the file's bytes per run (reference: the raw record size that
#   --dry-run estimates, so the ratio is HDF5's overhead);
# - the coordinator's CPU time as a percentage of wall time while 3 workers
#   run real (q-learning) work.
# Usage: bench/bench_runner.sh [BUILD_DIR]
cd "$(dirname "$0")/.."
BIN=${1:-build}/aif-sweep
TMP=$(mktemp -d "${TMPDIR:-/tmp}/aif-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
echo "bench: runner load_average_at_start $(cut -d' ' -f1 /proc/loadavg) processes"

cat >"$TMP/null10k.yaml" <<'EOF'
name: null10k
seed: 1
seeds: 10000
train_steps: 1000
eval_episodes: 10
log_episodes: 2
checkpoints: 4
curve_points: 10
efe_checks: 4
environments:
  - name: w
    size: 4
    max_steps: 30
agents:
  - type: null-work
    params:
      ckpt_floats: 1024
EOF
cat >"$TMP/qwork.yaml" <<'EOF'
name: qwork
seed: 1
seeds: 96
train_steps: 2000000
eval_episodes: 10
log_episodes: 2
checkpoints: 4
curve_points: 10
environments:
  - name: w
    size: 8
    slip: 0.1
    max_steps: 100
agents:
  - type: q-learning
EOF

# sweep NP JOB: runs the job into a fresh file; leaves rank 0's stderr in $TMP/err
sweep() {
    rm -f "$TMP/out.h5"
    sh scripts/mpirun.sh "$1" "$BIN" "$2" -o "$TMP/out.h5" --progress 100000 >/dev/null 2>"$TMP/err"
    rc=$?
    if [ $rc -ne 0 ]; then
        echo "bench_runner: sweep of $2 on $1 ranks failed (exit $rc):" >&2
        cat "$TMP/err" >&2
        exit 1
    fi
}
rate() { sed -n 's/.*dispatched [0-9]* runs in [0-9.]* s (\([0-9.]*\) runs\/s).*/\1/p' "$TMP/err"; }
layout() { sed -n 's/.*created the layout of .* in \([0-9.]*\) s.*/\1/p' "$TMP/err"; }
cpu_pct() { sed -n 's/.*rank 0 CPU [0-9.]* s (\([0-9.]*\)% of wall).*/\1/p' "$TMP/err"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.4g", a / b; else print "nan" }'; }

sweep 1 "$TMP/null10k.yaml"
r1=$(rate)
echo "bench: null_runs_per_s_1rank $r1 runs/s"
layouts=""
for np in 2 4 8; do
    sweep $np "$TMP/null10k.yaml"
    r=$(rate)
    layouts="$layouts $(layout)"
    echo "bench: null_runs_per_s_${np}ranks $r runs/s"
    echo "bench: null_runs_per_s_${np}ranks_vs_1rank $(ratio "$r" "$r1") x"
    [ $np -eq 4 ] && r4=$r
done
bytes=$(stat -c %s "$TMP/out.h5")
OMPI_MCA_io=romio321 sweep 4 "$TMP/null10k.yaml"
rr=$(rate)
echo "bench: null_runs_per_s_4ranks_romio321 $rr runs/s"
echo "bench: null_runs_per_s_4ranks_romio321_vs_ompio $(ratio "$rr" "$r4") x"

lay=$(echo $layouts | tr ' ' '\n' | sort -g | sed -n 2p)
echo "bench: layout_create_10k_s $lay s"
raw=$("$BIN" "$TMP/null10k.yaml" --dry-run | sed -n 's/.*(\([0-9]*\) bytes per run).*/\1/p')
bpr=$(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 10000 }')
echo "bench: file_bytes_per_run $bpr bytes"
echo "bench: file_bytes_per_run_vs_raw_record $(ratio "$bpr" "$raw") x"

sweep 4 "$TMP/qwork.yaml"
echo "bench: coordinator_cpu_pct $(cpu_pct) %"
echo "bench: qlearning_runs_per_s_4ranks $(rate) runs/s"
echo "bench: runner load_average_at_end $(cut -d' ' -f1 /proc/loadavg) processes"
