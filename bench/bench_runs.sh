#!/bin/sh
# bench_runs: the time of one whole diffusion-aif run with the defaults
# (training, reading the model off the network, evaluation) on paper8x8
# (6,000 training steps, as jobs/paper_8x8.yaml), grid16, maze15x15 and
# open32x32 (20,000 each, as jobs/grid16.yaml, jobs/mazes_diffusion.yaml,
# jobs/open32_diffusion.yaml), one worker rank, each beside the same run's
# success and mean steps (so a speed-up that costs results shows at once),
# its gradient steps and the time of its fit and of its read-off (also per
# (cell, action) query of the transitions: readoff_W_per_cell_action_ms is
# the read-off over cells x actions, the likelihood's cells included);
# reference: the exact-aif run (true model, nothing to learn) on the same
# world in the same command.  On paper8x8 and grid16 also the same run with
# the stopping rule (train_stop 0.01 with stop_patience 4, an option: docs/diffusion-aif.md),
# run_W_train_stop_s.  Run by `make bench` through scripts/bench.sh.
# Usage: bench/bench_runs.sh [BUILD_DIR] [WORLDS]  (WORLDS: e.g. "paper8x8 grid16")
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
WORLDS=${2:-paper8x8 grid16 maze15 open32}
for short in $WORLDS; do
    case $short in
    paper8x8) world=paper8x8 steps=6000 ;;
    grid16) world=grid16 steps=20000 ;;
    maze15) world=maze15x15 steps=20000 ;;
    open32) world=open32x32 steps=20000 ;;
    *) echo "bench_runs: unknown world $short (paper8x8, grid16, maze15, open32)" >&2; exit 1 ;;
    esac
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
    # paper8x8 and grid16 also time the stopping rule (train_stop 0.01, stop_patience 4: an option).
    case $short in paper8x8|grid16) printf '  - type: diffusion-aif\n    name: stop\n    params: {train_stop: 0.01, stop_patience: 4}\n' >>"$TMP/$world.yaml" ;; esac
    if ! sh scripts/mpirun.sh 2 "$BIN" "$TMP/$world.yaml" -o "$TMP/$world.h5" --progress 0 >"$TMP/out" 2>&1; then
        echo "bench_runs: the $world sweep failed:" >&2
        cat "$TMP/out" >&2
        status=1
        continue
    fi
    $PY - "$TMP/$world.h5" "$short" <<'EOF2'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
w = sys.argv[2]
agent = [x.decode() for x in f["runs/params"]["agent"]]
dur = f["runs/t_end"][:] - f["runs/t_start"][:]
tr, ev = f["runs/train_seconds"][:], f["runs/eval_seconds"][:]
fs, ft, rt = f["runs/fit_steps"][:], f["runs/fit_seconds"][:], f["runs/readoff_seconds"][:]
d, x = agent.index("diffusion-aif"), agent.index("exact-aif")
env = next(iter(f["envs"].values()))
pairs = int(env.attrs["rows"]) * int(env.attrs["cols"]) * int(env.attrs["n_actions"])
print(f"bench: run_{w}_s {dur[d]:.1f} s   (success {f['eval/success'][d].mean():.2f}, "
      f"mean steps {f['eval/steps'][d].mean():.1f}; training {tr[d]:.1f} s of which fit {ft[d]:.1f} s "
      f"({fs[d]} gradient steps) and read-off {rt[d]:.1f} s; evaluation {ev[d]:.1f} s)")
print(f"bench: readoff_{w}_ms {1e3 * rt[d]:.0f} ms")
print(f"bench: readoff_{w}_per_cell_action_ms {1e3 * rt[d] / pairs:.3f} ms")
if "stop" in agent:
    k = agent.index("stop")
    print(f"bench: run_{w}_train_stop_s {dur[k]:.1f} s   (train_stop 0.01, stop_patience 4: success {f['eval/success'][k].mean():.2f}, "
          f"mean steps {f['eval/steps'][k].mean():.1f}; fit {ft[k]:.1f} s ({fs[k]} gradient steps), "
          f"read-off {rt[k]:.1f} s)")
print(f"bench: exact_aif_run_{w}_s {dur[x]:.3f} s")
print(f"bench: run_{w}_vs_exact_aif {dur[d] / max(dur[x], 1e-9):.0f} x")
EOF2
done
exit $status
