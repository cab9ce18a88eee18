#!/bin/sh
# bench_portable: what the portable default build costs (run by `make bench`
# through scripts/bench.sh; README, "Building").  The score network's training
# and forward figures of bench_nn, built the default way (-march=x86-64-v3,
# build/bench/bench_nn) and for this machine's CPU (make NATIVE=1,
# build/native/bench/bench_nn), one after the other in this command.  Each
# native_vs_portable line is the native figure over the portable one: for a
# time (ms), below 1 means the native build is faster, and 1 - ratio is what
# portability costs; for sgemm (GFLOP/s, OpenBLAS, the same library in both
# builds) it is the control and should be close to 1.
# Last, the same small diffusion-aif job run by both builds' aif-sweep
# (build/aif-sweep, build/native/aif-sweep): scripts/compare-results.py must
# find their results files identical (checkpoints included), printed as
# portable_native_results_identical 1 (0: they differ, and the differences).
# Usage: bench/bench_portable.sh [REPS]
cd "$(dirname "$0")/.."
REPS=${1:-20}
P=build/bench/bench_nn N=build/native/bench/bench_nn
for b in "$P" "$N"; do
    [ -x "$b" ] || { echo "bench_portable: $b is missing (make bench builds both)" >&2; exit 1; }
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/aif-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# Three rounds, the two builds alternating, so that a noisy neighbour slows
# both alike; each figure is the best of its three medians.
for r in 1 2 3; do
    "$P" --no-torch --reps "$REPS" >>"$TMP/p" || exit 1
    "$N" --no-torch --reps "$REPS" >>"$TMP/n" || exit 1
done
echo "bench: portable_march x86-64-v3"
echo "bench: native_march $(gcc -march=native -Q --help=target 2>/dev/null | awk '$1 == "-march=" {print $2; exit}')"
for k in sgemm_1024_1thread train_d64_b256 fwd_d64_b512 train_d128_b256 fwd_d128_b512; do
    u=$(awk -v k="$k" '$2 == k {print $4; exit}' "$TMP/p")
    best='$2 == k {v = $3 + 0; if (b == "" || (u == "ms" ? v < b : v > b)) b = v} END {print b}'
    p=$(awk -v k="$k" -v u="$u" "$best" "$TMP/p")
    n=$(awk -v k="$k" -v u="$u" "$best" "$TMP/n")
    [ -n "$p" ] && [ -n "$n" ] || { echo "bench_portable: no $k figure" >&2; exit 1; }
    echo "bench: portable_$k $p $u"
    echo "bench: native_$k $n $u"
    echo "bench: native_vs_portable_$k $(awk -v a="$n" -v b="$p" 'BEGIN {printf "%.3f", a / b}') x"
done
# The two builds give the same results: one small job, both binaries.
if [ -x build/aif-sweep ] && [ -x build/native/aif-sweep ]; then
    cat >"$TMP/same.yaml" <<'EOF2'
name: portable_native
seed: 3
seeds: 2
train_steps: 1500
eval_episodes: 5
log_episodes: 1
checkpoints: 1
environments:
  - preset: paper4x4
    obs_noise: 0.2
agents:
  - type: diffusion-aif
    params: {train_iters: 300}
  - type: diffusion-aif
    name: stop
    params: {train_iters: 300, train_stop: 0.05, stop_every: 20, context: 2, inference: inpaint}
EOF2
    for b in build build/native; do
        sh scripts/mpirun.sh 2 "$b/aif-sweep" "$TMP/same.yaml" -o "$TMP/$(basename "$b").h5" --progress 0 \
            >"$TMP/same.out" 2>&1 || { cat "$TMP/same.out" >&2; exit 1; }
    done
    PY=
    for p in python3 /usr/bin/python3; do
        if $p -c 'import h5py' >/dev/null 2>&1; then PY=$p; break; fi
    done
    if $PY scripts/compare-results.py "$TMP/build.h5" "$TMP/native.h5" >"$TMP/cmp" 2>&1; then
        echo "bench: portable_native_results_identical 1"
    else
        echo "bench: portable_native_results_identical 0"
        cat "$TMP/cmp"
    fi
fi
