#!/usr/bin/env python3
"""Rewrite the per-run dataset rows of docs/results-format.md from the
results schema (`aif-sweep --results-format`, the store's dataset table), so
that the documentation lists exactly what the writer writes.

Each group's table follows a line `<!-- per-run rows: scripts/update-results-docs.py -->`
under the group's heading (`## `/runs`...`).  The table's rows for datasets
the schema does not have (`params`, `<agent name>`: written elsewhere) are
kept, first and in their order; every schema row of the group follows, in the
table's order.  tests/test_structure.py checks that the file is up to date.

Usage: scripts/update-results-docs.py [BINARY] [--check]
  --check   write nothing; exit 1 (naming the first difference) if the file is stale"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "results-format.md")
MARKER = "<!-- per-run rows: scripts/update-results-docs.py -->"
HEADER = ["| dataset | shape, type | units | meaning |", "|---|---|---|---|"]


def schema(binary):
    """{group: [row, ...]} in the table's order."""
    out = subprocess.run([binary, "--results-format"], capture_output=True, text=True, check=True).stdout
    groups = {}
    for line in out.splitlines():
        group, row = line.split("\t", 1)
        groups.setdefault(group, []).append(row)
    return groups


def row_name(row):
    m = re.match(r"^\| `([^`]+)`", row)
    return m.group(1) if m else None


def rewrite(text, groups):
    lines = text.split("\n")
    out, i, group, done = [], 0, None, set()
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^## `/(\w+)`", line)
        if line.startswith("## "):
            group = m.group(1) if m else None
        out.append(line)
        i += 1
        if line.strip() != MARKER:
            continue
        if group not in groups:
            raise SystemExit(f"{DOC}: a marker under a heading that is no group of the schema ({group})")
        # the table that follows the marker
        old = []
        while i < len(lines) and lines[i].startswith("|"):
            old.append(lines[i])
            i += 1
        names = {row_name(r) for r in groups[group]}
        kept = [r for r in old[2:] if row_name(r) not in names]
        out += HEADER + kept + groups[group]
        done.add(group)
    missing = sorted(set(groups) - done)
    if missing:
        raise SystemExit(f"{DOC}: no marker for the schema's groups {missing}")
    return "\n".join(out)


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    binary = args[0] if args else os.path.join(ROOT, "build", "aif-sweep")
    text = open(DOC).read()
    new = rewrite(text, schema(binary))
    if check:
        if new != text:
            old_lines, new_lines = text.split("\n"), new.split("\n")
            k = next((j for j, (a, b) in enumerate(zip(old_lines, new_lines)) if a != b),
                     min(len(old_lines), len(new_lines)))
            print(f"{DOC}:{k + 1}: differs from {binary} --results-format "
                  f"(run scripts/update-results-docs.py)", file=sys.stderr)
            return 1
        return 0
    open(DOC, "w").write(new)
    print(f"{DOC}: per-run datasets rewritten from {binary} --results-format")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
