#!/usr/bin/env python3
"""The open32x32 preset's observability map (src/world/presets.c): rectangular
patches of 2x2 to 3x3 cells with digits 3, 5, 6, 8 (eta = 1 - digit/10: 0.7,
0.5, 0.4, 0.2), as in paper8x8 and grid16, scattered until they cover about
10% of the cells.  Patches neither overlap nor touch each other, and keep a
cell's distance from the start (top-left) and the goal (bottom-right).

    python3 scripts/make_patches.py [--size 32] [--cover 0.10] [--seed 32] [--c]

Deterministic on every Python version (splitmix64 from make_maze.py, not the
`random` module).  Prints the rows of digits (--c: as C string literals)."""
import argparse
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_maze import SplitMix64  # noqa: E402

DIGITS = "3568"


def place(size, cover, seed):
    rng = SplitMix64(seed)
    grid = [["0"] * size for _ in range(size)]
    taken = [[False] * size for _ in range(size)]  # patch cells and their 1-cell margin
    for r in range(2):                             # start and goal keep their neighbourhood
        for c in range(2):
            taken[r][c] = taken[size - 1 - r][size - 1 - c] = True
    covered, tries = 0, 0
    while covered < cover * size * size and tries < 100000:
        tries += 1
        h, w = 2 + rng.below(2), 2 + rng.below(2)
        r0, c0 = rng.below(size - h + 1), rng.below(size - w + 1)
        if any(taken[r][c] for r in range(r0, r0 + h) for c in range(c0, c0 + w)):
            continue
        d = DIGITS[rng.below(len(DIGITS))]
        for r in range(r0, r0 + h):
            for c in range(c0, c0 + w):
                grid[r][c] = d
        for r in range(max(0, r0 - 1), min(size, r0 + h + 1)):
            for c in range(max(0, c0 - 1), min(size, c0 + w + 1)):
                taken[r][c] = True
        covered += h * w
    return ["".join(row) for row in grid]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--cover", type=float, default=0.10)
    ap.add_argument("--seed", type=int, default=32)
    ap.add_argument("--c", action="store_true", help="print C string literals")
    a = ap.parse_args()
    rows = place(a.size, a.cover, a.seed)
    for row in rows:
        print(f'    "{row}",' if a.c else row)
    n = sum(ch != "0" for row in rows for ch in row)
    print(f"# {n} of {a.size * a.size} cells ({100.0 * n / a.size ** 2:.1f}%)", file=sys.stderr)


if __name__ == "__main__":
    main()
