#!/usr/bin/env python3
"""The maze15x15 preset's map (src/world/presets.c): a perfect maze drawn by a
randomized depth-first backtracker with a fixed seed.

    python3 scripts/make_maze.py [--size 15] [--seed 20240715] [--c]

Rooms are the cells at even (row, col); the cells at odd (row, col) are always
walls; a cell between two rooms is a passage once the backtracker carves
through it.  Every room is visited once and each visit carves exactly one
passage, so the floor cells form a tree: exactly one route between any two of
them.  Start top-left 'S', goal bottom-right 'G'.

Deterministic on every Python version: the random stream is splitmix64 written
out here, not the `random` module (whose algorithms may change).  Prints the
rows, one per line (--c: as C string literals for worlds.c).  stdlib only."""
import argparse

MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n):
        """Uniform in [0, n) by rejection (no modulo bias)."""
        limit = MASK - (MASK + 1) % n
        while True:
            x = self.next()
            if x <= limit:
                return x % n


def carve(size, seed):
    if size < 3 or size % 2 == 0:
        raise SystemExit("size must be odd and >= 3")
    grid = [["#"] * size for _ in range(size)]
    rng = SplitMix64(seed)
    grid[0][0] = "F"
    stack = [(0, 0)]
    while stack:  # iterative backtracker: no recursion limit on large mazes
        r, c = stack[-1]
        options = [(dr, dc) for dr, dc in ((-2, 0), (2, 0), (0, -2), (0, 2))
                   if 0 <= r + dr < size and 0 <= c + dc < size and grid[r + dr][c + dc] == "#"]
        if not options:
            stack.pop()
            continue
        dr, dc = options[rng.below(len(options))]
        grid[r + dr // 2][c + dc // 2] = "F"
        grid[r + dr][c + dc] = "F"
        stack.append((r + dr, c + dc))
    grid[0][0] = "S"
    grid[size - 1][size - 1] = "G"
    return ["".join(row) for row in grid]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=15)
    ap.add_argument("--seed", type=int, default=20240715)
    ap.add_argument("--c", action="store_true", help="print C string literals")
    a = ap.parse_args()
    for row in carve(a.size, a.seed):
        print(f'    "{row}",' if a.c else row)


if __name__ == "__main__":
    main()
