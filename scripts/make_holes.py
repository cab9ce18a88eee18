#!/usr/bin/env python3
"""Random worlds of the class "holes under partial observability and slip":
holes scattered over an open grid, observation noise in every cell, slip.
Start top-left, goal bottom-right; the goal is reachable without slips, and the
start's and the goal's neighbourhoods hold no hole (as in FrozenLake).

    python3 scripts/make_holes.py --seed S [--size 10] [--holes 0.15]
                                  [--eta-digits 1234] [--slip 0.1] [--name NAME]

Prints one job-file environment entry (YAML): map rows and obs_noise digit
rows (eta = 1 - digit/10, each cell's digit drawn from --eta-digits).
Deterministic on every Python version (splitmix64 from make_maze.py).  The
held-out job (jobs/holes_heldout.yaml) says which seeds it was made from."""
import argparse
import os
import sys
from collections import deque

sys.dont_write_bytecode = True  # no __pycache__ in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_maze import SplitMix64  # noqa: E402


def shortest(cells, size):
    """Moves from the start to the goal ignoring slips (-1: unreachable)."""
    start, goal = 0, size * size - 1
    dist = {start: 0}
    q = deque([start])
    while q:
        s = q.popleft()
        if s == goal:
            return dist[s]
        r, c = divmod(s, size)
        for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            r2, c2 = r + dr, c + dc
            if 0 <= r2 < size and 0 <= c2 < size:
                s2 = r2 * size + c2
                if s2 not in dist and cells[s2] != "H":
                    dist[s2] = dist[s] + 1
                    q.append(s2)
    return -1


def make(seed, size, holes, digits):
    rng = SplitMix64(seed)
    for _ in range(1000):
        cells = ["F"] * (size * size)
        cells[0], cells[-1] = "S", "G"
        free = [s for s in range(size * size)
                if max(divmod(s, size)) > 1 and min(divmod(s, size)) < size - 2]
        for _ in range(int(round(holes * size * size))):
            s = free.pop(rng.below(len(free)))
            cells[s] = "H"
        d = shortest(cells, size)
        if d > 0:
            eta = [digits[rng.below(len(digits))] for _ in range(size * size)]
            return cells, eta, d
    raise SystemExit("make_holes: no world with a reachable goal in 1000 draws")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--size", type=int, default=10)
    ap.add_argument("--holes", type=float, default=0.15, help="fraction of cells that are holes")
    ap.add_argument("--eta-digits", default="1234", help="obs_noise digits to draw from (eta = 1 - d/10)")
    ap.add_argument("--slip", type=float, default=0.1)
    ap.add_argument("--name", default=None)
    a = ap.parse_args()
    cells, eta, d = make(a.seed, a.size, a.holes, a.eta_digits)
    name = a.name or f"holes{a.size}-{a.seed}"
    rows = ["".join(cells[r * a.size:(r + 1) * a.size]) for r in range(a.size)]
    obs = ["".join(eta[r * a.size:(r + 1) * a.size]) for r in range(a.size)]
    print(f"  - name: {name}            # make_holes.py --seed {a.seed} --size {a.size} --holes {a.holes} "
          f"--eta-digits {a.eta_digits} --slip {a.slip}: shortest path {d}")
    print(f"    slip: {a.slip}")
    print(f"    max_steps: {10 * a.size * 2}")
    print("    map: [" + ", ".join(f'"{r}"' for r in rows) + "]")
    print("    obs_noise: [" + ", ".join(f'"{r}"' for r in obs) + "]")


if __name__ == "__main__":
    main()
