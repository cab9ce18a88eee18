#!/usr/bin/env python3
"""first-decision.py RESULTS.h5: what an agent's first decision in each logged
episode prefers, per condition (agent, world), from /traj.

For each condition with logged episodes it prints:
  episodes   logged evaluation episodes (all done runs)
  to cue     % of them whose first move lands on a cue cell (worlds with
             hidden contexts; '-' elsewhere)
  P(taken)   mean P(a) of the first action taken
  gap        mean G of the second-best first action minus the best one's
             (nats; the margin by which the best first action wins)
  tied       % of first decisions whose best two first actions are within
             1e-6 nats (a tie, broken by P(a): policies counted, then random)
  best       the first action with the least G in most untied decisions

docs/contexts.md ("What drives the detour") reads jobs/contexts_epistemic.yaml
with it: on the T-maze the cue's margin is c_goal for the belief planner with
or without an epistemic term, ln 2 (the cue's information gain) for the
open-loop planners, and a tie without the epistemic term.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
try:
    import numpy as np
    from analysis.results import Results, ResultsError
except ImportError as e:
    sys.stderr.write(f"first-decision: {e.name} is missing in {sys.executable} (use /usr/bin/python3)\n")
    sys.exit(2)

ACTIONS = ("up", "down", "left", "right")
TIE = 1e-6


def condition_rows(res, c):
    """The first decisions of the logged episodes of condition c: (G [n, A],
    P(a) [n, A], action taken [n], cell after the first move [n])."""
    runs = np.asarray(c.done)
    if runs.size == 0:
        return None
    length = res.rows("traj/length", runs)
    keep = length > 0
    if not keep.any():
        return None
    G = res.rows("traj/G", runs)[:, :, 0, :][keep]
    P = res.rows("traj/p_action", runs)[:, :, 0, :][keep]
    act = res.rows("traj/action", runs)[:, :, 0][keep]
    pos = res.rows("traj/pos", runs)[:, :, 1][keep]
    return G, P, act, pos


def describe(res, c):
    rows = condition_rows(res, c)
    if rows is None:
        return None
    G, P, act, pos = rows
    env = res.envs[c.env]
    na = env.n_actions
    G, P = G[:, :na].astype(float), P[:, :na].astype(float)
    order = np.sort(G, axis=1)
    gap = order[:, 1] - order[:, 0]
    tied = gap <= TIE
    best = np.argmin(G, axis=1)
    untied = best[~tied]
    best_name = ACTIONS[np.bincount(untied, minlength=na).argmax()] if untied.size else "-"
    taken = P[np.arange(len(act)), act]
    to_cue = f"{100 * np.isin(pos, env.cue_cells).mean():.1f}%" if env.n_contexts > 1 and env.cue_cells else "-"
    return (len(act), to_cue, f"{taken.mean():.3f}", f"{gap.mean():.3f}", f"{100 * tied.mean():.1f}%", best_name)


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        sys.stderr.write(__doc__)
        return 0 if len(argv) == 2 else 2
    try:
        with Results(argv[1]) as res:
            if not (res.has("traj/G") and res.has("traj/pos")):
                sys.stderr.write(f"first-decision: {argv[1]}: no logged episodes (/traj)\n")
                return 1
            print("| world | agent | episodes | to cue | P(taken) | gap (nats) | tied | best |")
            print("|---|---|---|---|---|---|---|---|")
            for c in res.conditions:
                d = describe(res, c)
                if d is not None:
                    print(f"| {c.env} | {c.label} | " + " | ".join(str(x) for x in d) + " |")
    except ResultsError as e:
        sys.stderr.write(f"first-decision: {e}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
