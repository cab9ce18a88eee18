#!/bin/sh
# bench_runs: the time of one whole diffusion-aif run with the defaults
# (training, reading the model off the network, evaluation) on paper8x8
# (6,000 training steps, as jobs/paper_8x8.yaml) and on grid16 (20,000, as
# jobs/grid16.yaml), one worker rank; reference: the exact-aif run (true
# model, nothing to learn) on the same world in the same command.  Run by
# `make bench` through scripts/bench.sh.  Usage: bench/bench_runs.sh [BUILD_DIR]
cd "$(dirname "$0")/.."
BIN=${1:-build}/aif-sweep
PY=
for p in python3 /usr/bin/python3; do
    if $p -c 'import h5py' >/dev/null 2>&1; then PY=$p; break; fi
done
[ -n "$PY" ] || { echo "bench_runs: no python3 with h5py" >&2; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/aif-bench-runs.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
status=0
for w in paper8x8:6000 grid16:20000; do
    world=${w%%:*} steps=${w#*:}
    cat >"$TMP/$world.yaml" <<EOF2
name: bench_$world
seed: 1
seeds: 1
train_steps: $steps
eval_episodes: 20
log_episodes: 1
checkpoints: 1
efe_checks: 16
environments:
  - preset: $world
agents:
  - type: diffusion-aif
  - type: exact-aif
EOF2
    if ! sh scripts/mpirun.sh 2 "$BIN" "$TMP/$world.yaml" -o "$TMP/$world.h5" --progress 0 >"$TMP/out" 2>&1; then
        echo "bench_runs: the $world sweep failed:" >&2
        cat "$TMP/out" >&2
        status=1
        continue
    fi
    $PY - "$TMP/$world.h5" "$world" <<'EOF2'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
w = sys.argv[2]
agent = [x.decode() for x in f["runs/params"]["agent"]]
dur = f["runs/t_end"][:] - f["runs/t_start"][:]
tr, ev = f["runs/train_seconds"][:], f["runs/eval_seconds"][:]
d, x = agent.index("diffusion-aif"), agent.index("exact-aif")
print(f"bench: run_{w}_s {dur[d]:.1f} s   (training {tr[d]:.1f} s, evaluation {ev[d]:.1f} s; "
      f"success {f['eval/success'][d].mean():.2f})")
print(f"bench: exact_aif_run_{w}_s {dur[x]:.3f} s")
print(f"bench: run_{w}_vs_exact_aif {dur[d] / max(dur[x], 1e-9):.0f} x")
EOF2
done
exit $status
