"""How each evaluation episode ended, and its censored steps to goal.

`/eval/steps` holds the steps *taken*: an episode that falls into a hole stops
there, so an agent that dies fast would look fast.  The statistic "steps to
goal" therefore counts every failed episode (hole death or time-out) as its
world's `max_steps`: a failure is never better than the slowest success.

Outcome of an episode: 0 goal, 1 hole death, 2 time-out.  From `/eval/outcome`
when the file has it; otherwise inferred: a failure with steps < max_steps
ended in a hole, a failure with steps == max_steps timed out (a hole entered on
the very last step is indistinguishable from a time-out without
`/eval/outcome`; its censored steps are the same either way).
"""
from dataclasses import dataclass

import numpy as np

from .results import ResultsError

GOAL, HOLE, TIMEOUT = 0, 1, 2
OUTCOME_NAMES = {GOAL: "goal", HOLE: "hole", TIMEOUT: "time-out"}


@dataclass
class Episodes:
    """[R, E] arrays over every run; only rows of done runs hold data."""
    steps: np.ndarray        # steps taken (/eval/steps)
    censored: np.ndarray     # steps to goal: steps if the goal was reached, else max_steps
    success: np.ndarray      # bool
    outcome: np.ndarray      # GOAL / HOLE / TIMEOUT
    max_steps: np.ndarray    # [R] the run's world's max_steps
    inferred: bool           # True: outcome inferred from steps (no /eval/outcome)


def run_max_steps(res):
    """[R] max_steps of each run's world."""
    for name in sorted(set(res.env)):
        if res.envs[name].max_steps <= 0:
            raise ResultsError(f"{res.path}: damaged results file: /envs/{name} has no max_steps attribute "
                               "(needed to count failed episodes as max_steps)")
    return np.array([res.envs[e].max_steps for e in res.env], dtype=np.int64)


def load(res):
    """Every run's episodes; checks the done rows for consistency."""
    steps = np.asarray(res.f["eval/steps"][:], dtype=np.int64)
    success = np.asarray(res.f["eval/success"][:]) != 0
    if steps.shape != success.shape or steps.shape[:1] != (res.n_runs,):
        raise ResultsError(f"{res.path}: damaged results file: /eval/steps has shape {steps.shape}, "
                           f"/eval/success {success.shape}, for {res.n_runs} runs")
    cap = run_max_steps(res)
    done = res.done_runs()
    _check_steps(res, steps, cap, done)
    if res.has("eval/outcome"):
        outcome = _stored_outcome(res, steps.shape, success, done)
        inferred = False
    else:
        outcome = np.where(success, GOAL, np.where(steps < cap[:, None], HOLE, TIMEOUT)).astype(np.int8)
        inferred = True
    censored = np.where(success, steps, cap[:, None]).astype(float)
    return Episodes(steps=steps, censored=censored, success=success, outcome=outcome, max_steps=cap,
                    inferred=inferred)


def _check_steps(res, steps, cap, done):
    bad = (steps[done] < 0) | (steps[done] > cap[done, None])
    if bad.any():
        i, e = np.argwhere(bad)[0]
        r = int(done[i])
        raise ResultsError(f"{res.path}: damaged results file: /eval/steps[{r}, {e}] = {steps[r, e]} is outside "
                           f"0..{cap[r]} (max_steps of {res.env[r]}) for done {res.describe_run(r)}")


def _stored_outcome(res, shape, success, done):
    outcome = np.asarray(res.f["eval/outcome"][:])
    if outcome.shape != shape:
        raise ResultsError(f"{res.path}: damaged results file: /eval/outcome has shape {outcome.shape}, "
                           f"/eval/steps {shape}")
    o = outcome[done]
    bad = ~np.isin(o, list(OUTCOME_NAMES)) | ((o == GOAL) != success[done])
    if bad.any():
        i, e = np.argwhere(bad)[0]
        r = int(done[i])
        raise ResultsError(f"{res.path}: damaged results file: /eval/outcome[{r}, {e}] = {int(o[i, e])} "
                           f"with /eval/success {int(success[r, e])} (codes: 0 goal, 1 hole, 2 time-out)")
    return outcome.astype(np.int8)


def per_run(ep, runs):
    """Per-run statistics over each run's evaluation episodes, as [n] arrays."""
    runs = np.asarray(runs, dtype=np.int64)
    o = ep.outcome[runs]
    return {"steps": ep.censored[runs].mean(axis=1), "success": ep.success[runs].mean(axis=1),
            "hole": (o == HOLE).mean(axis=1), "timeout": (o == TIMEOUT).mean(axis=1),
            "steps_taken": ep.steps[runs].mean(axis=1)}


def pooled(ep, runs):
    """The same quantities per episode of the given runs, flattened (episode as unit)."""
    runs = np.asarray(runs, dtype=np.int64)
    o = ep.outcome[runs].ravel()
    return {"steps": ep.censored[runs].ravel(), "success": ep.success[runs].ravel().astype(float),
            "hole": (o == HOLE).astype(float), "timeout": (o == TIMEOUT).astype(float),
            "steps_taken": ep.steps[runs].ravel().astype(float)}


def samples(ep, runs, unit):
    """Per-run means (unit "run") or per-episode values (unit "episode")."""
    if unit == "run":
        return per_run(ep, runs)
    if unit == "episode":
        return pooled(ep, runs)
    raise ValueError(f"unknown unit {unit!r}")
