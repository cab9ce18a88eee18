"""Evaluation at training budgets: learning curves made of separate sets of runs.

A job that gives agent entries of the same class different `train_steps`
(e.g. q-1k, q-4k, q-16k) trains each set of seeds once for its budget and
evaluates it.  Runs of the same agent class and world whose conditions agree
in every parameter but differ in their entry's budget form one curve; each
point is the mean over seeds of the per-run censored steps to goal and
success rate (analysis/episodes.py), with a 95 % percentile-bootstrap band
over seeds.

Each run's budget is `/runs/train_budget` (format version 7; written by the
sweep with the layout): `/runs/train_steps` holds the steps *used* (at most
the budget; random uses none).  A file from before version 7 has no such
dataset; for it alone the budget is read from the job file (root attribute
`job_yaml`): the entry's `train_steps`, else the job's, else the loader's
default; and only when it matches `job_sha256`.
"""
import math
from dataclasses import dataclass, field

import numpy as np

from . import episodes
from .results import JOB_TEXT_CHANGED, fmt_value
from .stats import RESAMPLES, bootstrap_ci

DEFAULT_TRAIN_STEPS = 10000        # the job loader's default (jobs/README.md, src/job/jobspec.c): format < 7 only
COLUMNS = ["env", "agent_type", "curve", "budget", "entries", "conditions", "seeds", "mean_steps",
           "steps_ci_lo", "steps_ci_hi", "success_rate", "success_ci_lo", "success_ci_hi", "hole_rate",
           "timeout_rate"]


class Skip(Exception):
    """No curve can be drawn from this file; str(e) says why."""


@dataclass
class Point:
    budget: int
    conds: list
    runs: np.ndarray
    stats: dict = field(default_factory=dict)


@dataclass
class Curve:
    env: str
    agent_type: str
    params: dict
    label: str = ""
    points: list = field(default_factory=list)


def _integer(v, where):
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise Skip(f"budgets skipped: job_yaml: {where} is {v!r}, not a number") from None
    if not math.isfinite(x) or x < 0 or x != int(x):
        raise Skip(f"budgets skipped: job_yaml: {where} is {v!r}, not a step count")
    return int(x)


def entry_budgets(res):
    """{agent entry name: training budget} from the job file stored in the results file
    (none from a job text that does not match its SHA-256: it was changed after the sweep)."""
    text = res.attrs.get("job_yaml")
    if not text:
        raise Skip("budgets skipped: the file has no root attribute job_yaml to read the training budgets from")
    if res.job_text_ok is False:
        raise Skip(f"budgets skipped: {JOB_TEXT_CHANGED}, so the training budgets cannot be read from it "
                   f"(python3 -m analysis verify)")
    try:
        import yaml
    except ImportError:
        raise Skip("budgets skipped: PyYAML is missing (Debian: apt-get install python3-yaml)") from None
    try:
        # Every scalar as text: the job loader's typing (YAML 1.2 numbers, names such as `no`) is not PyYAML's.
        job = yaml.load(text, Loader=yaml.BaseLoader)
    except yaml.YAMLError as e:
        raise Skip(f"budgets skipped: job_yaml does not parse: {str(e).splitlines()[0]}") from None
    if not isinstance(job, dict) or not isinstance(job.get("agents"), list):
        raise Skip("budgets skipped: job_yaml has no list of agents")
    default = _integer(job.get("train_steps", DEFAULT_TRAIN_STEPS), "train_steps")
    out = {}
    for i, a in enumerate(job["agents"]):
        if not isinstance(a, dict) or "type" not in a:
            raise Skip(f"budgets skipped: job_yaml: agents[{i}] is not an agent entry")
        name = a.get("name", a["type"])
        out[name] = _integer(a["train_steps"], f"agents[{i}].train_steps") if "train_steps" in a else default
    return out


def run_budgets(res):
    """[R] training budget of each run (/runs/train_budget; from job_yaml in a file
    older than format version 7), checked against the steps each done run used."""
    if res.has("runs/train_budget"):
        budget = np.asarray(res.f["runs/train_budget"][:], dtype=np.int64)
        source = "/runs/train_budget"
    else:
        by_entry = entry_budgets(res)
        missing = sorted(set(res.agent) - set(by_entry))
        if missing:
            raise Skip(f"budgets skipped: agent entries {', '.join(missing)} of /runs/params are not in job_yaml")
        budget = np.array([by_entry[a] for a in res.agent], dtype=np.int64)
        source = "job_yaml"
    if res.has("runs/train_steps"):
        done = res.done_runs()
        used = np.asarray(res.f["runs/train_steps"][:], dtype=np.int64)[done]
        over = np.flatnonzero(used > budget[done])
        if over.size:
            r = int(done[over[0]])
            raise Skip(f"budgets skipped: {res.describe_run(r)} used {int(used[over[0]])} training steps, more "
                       f"than its budget {int(budget[r])} read from {source}")
    return budget


def _curve_key(c):
    return c.env, c.agent_type, tuple(sorted(c.params.items()))


def _label(curve, varying):
    parts = [f"{k}={fmt_value(curve.params[k])}" for k in varying if k in curve.params]
    return curve.agent_type + (" " + ",".join(parts) if parts else "")


def curves(res, resamples=RESAMPLES, ep=None):
    """Every curve of the file (also those with one budget), with each point's statistics."""
    budget = run_budgets(res)
    ep = ep if ep is not None else episodes.load(res)
    groups = {}
    for c in res.conditions:
        if len(c.done):
            b = int(budget[c.done[0]])
            groups.setdefault(_curve_key(c), {}).setdefault(b, []).append(c)
    out = []
    for (env, agent_type, params), by_budget in groups.items():
        cv = Curve(env=env, agent_type=agent_type, params=dict(params))
        for b in sorted(by_budget):
            cs = by_budget[b]
            runs = np.sort(np.concatenate([c.done for c in cs]))
            cv.points.append(Point(budget=b, conds=cs, runs=runs,
                                   stats=point_stats(ep, runs, res.envs[env].max_steps, resamples)))
        out.append(cv)
    _set_labels(out)
    return out


def _set_labels(curves_):
    """Label: the agent class and the parameters that differ between its curves in the world."""
    for cv in curves_:
        same = [o for o in curves_ if o.env == cv.env and o.agent_type == cv.agent_type]
        keys = sorted({k for o in same for k in o.params})
        varying = [k for k in keys if len({fmt_value(o.params[k]) if k in o.params else None for o in same}) > 1]
        cv.label = _label(cv, varying)


def point_stats(ep, runs, max_steps, resamples):
    """Mean over seeds and 95 % bootstrap band over seeds, clipped to the possible range."""
    x = episodes.per_run(ep, runs)
    s_lo, s_hi = bootstrap_ci(x["steps"], resamples)
    p_lo, p_hi = bootstrap_ci(x["success"], resamples)
    return {"seeds": int(len(runs)), "mean_steps": float(x["steps"].mean()),
            "steps_ci_lo": _clip(s_lo, 0, max_steps), "steps_ci_hi": _clip(s_hi, 0, max_steps),
            "success_rate": float(x["success"].mean()),
            "success_ci_lo": _clip(p_lo, 0.0, 1.0), "success_ci_hi": _clip(p_hi, 0.0, 1.0),
            "hole_rate": float(x["hole"].mean()), "timeout_rate": float(x["timeout"].mean())}


def _clip(v, lo, hi):
    return v if math.isnan(v) else float(min(max(v, lo), hi))


def has_curve(curves_):
    return any(len(cv.points) >= 2 for cv in curves_)


def rows(curves_):
    """The CSV rows (one per curve and budget)."""
    out = []
    for cv in curves_:
        for p in cv.points:
            out.append({"env": cv.env, "agent_type": cv.agent_type, "curve": cv.label, "budget": p.budget,
                        "entries": ";".join(sorted({c.agent for c in p.conds})),
                        "conditions": ";".join(str(c.id) for c in p.conds), **p.stats})
    return out
