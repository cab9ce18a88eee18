#!/usr/bin/env python3
"""compare-jobs.py BEFORE.h5 AFTER.h5 [AGENT ...]: the same job run by two
versions of the code, agent by agent (default: diffusion-aif) and world by
world, as the Markdown table of the README's "Issue 21" section: success and
steps to goal with their 95% bootstrap intervals before and after, whether
both new means lie in the old intervals, Welch's p on the runs' steps, time
per run and EFE rank correlation.  Every statistic is the analysis module's
(`python3 -m analysis summary` gives the same per-file figures)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
try:
    from analysis import episodes, stats
    from analysis.results import ResultsError, open_results
except ImportError as e:
    sys.stderr.write(f"compare-jobs: {e.name} is missing in {sys.executable} (use /usr/bin/python3)\n")
    sys.exit(2)


def table(path):
    """{(world, agent): (condition row, per-run steps to goal)}."""
    res = open_results(path)
    ep = episodes.load(res)
    rows = {r["condition"]: r for r in stats.condition_table(res, ep=ep)}
    return {(c.env, c.agent): (rows[c.id], episodes.samples(ep, c.done, "run")["steps"]) for c in res.conditions}


def main(argv):
    if len(argv) < 2 or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    try:
        before, after = table(argv[0]), table(argv[1])
    except ResultsError as e:
        sys.stderr.write(f"compare-jobs: {e}\n")
        return 2
    agents = argv[2:] or ["diffusion-aif"]
    print("| world | agent | success before → after | steps to goal before [95% CI] → after [95% CI] | in CI "
          "| Welch p | time/run before → after | EFE rank corr. |")
    print("|---|---|---|---|---|---|---|---|")
    for key, (b, xb) in after.items():
        if key[1] not in agents or key not in before:
            continue
        a, xa = before[key]
        inside = (a["steps_ci_lo"] <= b["mean_steps"] <= a["steps_ci_hi"]
                  and a["success_ci_lo"] <= b["success_rate"] <= a["success_ci_hi"])
        p = stats.welch(xa, xb)[2]
        p = "–" if p != p else f"{p:.2f}"  # NaN: both without spread
        print(f"| {key[0]} | {key[1]} | {100 * a['success_rate']:.1f}% → {100 * b['success_rate']:.1f}% | "
              f"{a['mean_steps']:.2f} [{a['steps_ci_lo']:.2f}, {a['steps_ci_hi']:.2f}] → "
              f"{b['mean_steps']:.2f} [{b['steps_ci_lo']:.2f}, {b['steps_ci_hi']:.2f}] | "
              f"{'yes' if inside else '**no**'} | {p} | {a['seconds_per_run']:.1f} s → "
              f"{b['seconds_per_run']:.1f} s | {a['efe_spearman']:.2f} → {b['efe_spearman']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
