#!/usr/bin/env python3
"""Rewrite the agent parameter lists in jobs/README.md from `aif-sweep --list-agents`
(tests/test_sweep.py checks that they match).  Usage: scripts/update-agent-docs.py [BINARY]"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "aif-sweep")
listing = subprocess.run([binary, "--list-agents"], capture_output=True, text=True, check=True).stdout.strip()
path = os.path.join(ROOT, "jobs", "README.md")
text = open(path).read()
start = text.index("**random** —")
end = text.index("\n## Run order")
open(path, "w").write(text[:start] + listing + "\n\n" + text[end:])
print(f"{path}: agent parameters rewritten from {binary} --list-agents")
