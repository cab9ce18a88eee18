"""Table I for every condition, and tests between agents (docs/analysis.md).

Steps to goal are *censored*: every failed evaluation episode (hole death or
time-out) counts its world's max_steps (analysis/episodes.py).  Hole deaths
and time-outs get their own columns.

The unit is the seed by default (unit="run"): per run, the mean censored steps
and the success rate over its evaluation episodes; per condition, the mean
over runs with a 95 % percentile-bootstrap interval over runs; between
agents, Welch's t and Cohen's d on run means.  unit="episode" pools the
episodes of all runs as samples instead (pseudo-replication: episodes of one
seed share its training, so intervals come out too narrow and p too small);
it is kept for comparison with the paper, and labelled.

Between agents, within each world: every pair of conditions whose agents
differ.  Signs: A minus B, so d > 0 means A needs more steps.
"""
import csv
import io
import math
import os
import warnings

import numpy as np
from scipy import stats as sps

from . import episodes
from .results import fmt_value

UNITS = ("run", "episode")
RESAMPLES = 10000          # bootstrap resamples
BOOT_SEED = 20240917       # fixed: the same file gives the same intervals
LEVEL = 0.95
# Shown as their own Markdown columns when the file has them (choices, stored as text).
STRATEGY_COLUMNS = ("preference", "shaping")

CONDITION_COLUMNS = ["condition", "agent", "agent_type", "env", "label", "runs", "done", "failed",
                     "not_done", "unit", "samples", "seeds", "mean_steps", "steps_ci_lo", "steps_ci_hi",
                     "median_steps", "sd_steps", "success_rate", "success_ci_lo", "success_ci_hi",
                     "hole_rate", "timeout_rate", "mean_steps_taken", "mean_steps_successful",
                     "optimal_steps", "max_steps", "efe_spearman", "trained_on", "model_tv_A", "model_tv_B",
                     "model_fit_tv_B", "seconds_per_run", "cue_visits"]
COMPARISON_COLUMNS = ["env", "unit", "condition_a", "label_a", "condition_b", "label_b", "n_a", "n_b",
                      "mean_a", "mean_b", "diff", "welch_t", "welch_df", "p_value", "cohens_d"]


def bootstrap_ci(x, resamples=RESAMPLES, seed=BOOT_SEED, level=LEVEL):
    """Percentile-bootstrap interval of the mean of x: (lo, hi), NaN for fewer than 2 values.
    Each call starts its own generator from `seed`, so an interval depends only on x."""
    x = np.asarray(x, dtype=float)
    if x.size < 2:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    chunk = max(1, (1 << 22) // x.size)          # bounded memory for many episodes
    for i in range(0, resamples, chunk):
        k = min(chunk, resamples - i)
        means[i:i + k] = x[rng.integers(0, x.size, size=(k, x.size))].mean(axis=1)
    lo, hi = np.percentile(means, [50 * (1 - level), 50 * (1 + level)])
    return float(lo), float(hi)


def _mean(x):
    return float(np.mean(x)) if np.size(x) else math.nan


def _nanmean(x):
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else math.nan


def _spearman(res):
    """Each run's median Spearman correlation of its EFE estimates against the exact EFE
    (agents that check them: /efe_check), NaN for the others."""
    if res.has("efe_check/spearman_median"):
        return res.f["efe_check/spearman_median"][:].astype(float)
    return np.full(res.n_runs, math.nan)


def _per_run(res, name):
    """A per-run scalar dataset as floats (NaN where the file has none: older formats)."""
    if res.has(name):
        return res.f[name][:].astype(float)
    return np.full(res.n_runs, math.nan)


def _seconds(res):
    """Each run's train + evaluation time."""
    return _per_run(res, "runs/train_seconds") + _per_run(res, "runs/eval_seconds")


def _cue_visits(res):
    """Each run's mean number of cells on a cue over its logged episodes (the start and
    the cell after each step, from /traj/pos and /traj/length), in a world with hidden
    contexts; NaN elsewhere, and for runs that logged no episode."""
    out = np.full(res.n_runs, math.nan)
    if not (res.has("traj/pos") and res.has("traj/length")) or res.f["traj/pos"].ndim != 3:
        return out
    for c in res.conditions:
        e = res.envs[c.env]
        if e.n_contexts < 2 or not len(c.done):
            continue
        cue = np.array(e.cue_cells)
        runs = np.asarray(c.done)
        pos, length = res.rows("traj/pos", runs), res.rows("traj/length", runs)
        for i, r in enumerate(runs):
            n = [int(x) for x in length[i] if x > 0]
            if n:
                out[r] = np.mean([np.isin(pos[i, k, :L + 1], cue).sum() for k, L in enumerate(n)])
    return out


def trained_on(c):
    """What an agent's model or values were learned from, from its type and parameters."""
    if c.agent_type == "random":
        return "nothing"
    if c.agent_type == "exact-aif" and c.params.get("model", "true") == "true":
        return "true model (no training)"
    labels = c.params.get("state_labels")
    if labels not in (None, "") and float(labels) != 0:
        return "observations + true states"
    return "observations"


def condition_row(res, ep, c, unit, resamples, spearman, extra=None):
    x = episodes.samples(ep, c.done, unit)
    e = res.envs[c.env]
    st = res.status[c.runs]
    ok = ep.steps[c.done][ep.success[c.done]].astype(float)
    s_lo, s_hi = bootstrap_ci(x["steps"], resamples)
    p_lo, p_hi = bootstrap_ci(x["success"], resamples)
    n = int(x["steps"].size)
    row = {
        "condition": c.id, "agent": c.agent, "agent_type": c.agent_type, "env": c.env, "label": c.label,
        "runs": len(c.runs), "done": len(c.done), "failed": int((st == 2).sum()),
        "not_done": int(((st != 1) & (st != 2)).sum()), "unit": unit, "samples": n, "seeds": len(c.done),
        "mean_steps": _mean(x["steps"]), "steps_ci_lo": s_lo, "steps_ci_hi": s_hi,
        "median_steps": float(np.median(x["steps"])) if n else math.nan,
        "sd_steps": float(np.std(x["steps"], ddof=1)) if n > 1 else math.nan,
        "success_rate": _mean(x["success"]), "success_ci_lo": p_lo, "success_ci_hi": p_hi,
        "hole_rate": _mean(x["hole"]), "timeout_rate": _mean(x["timeout"]),
        "mean_steps_taken": _mean(x["steps_taken"]), "mean_steps_successful": _mean(ok),
        "optimal_steps": e.optimal_steps, "max_steps": e.max_steps, "efe_spearman": _nanmean(spearman[c.done]),
        "trained_on": trained_on(c),
    }
    for k, v in (extra or {}).items():
        row[k] = _nanmean(v[c.done])
    for k in res.param_names:
        row["param:" + k] = c.params.get(k, "")
    return row


def condition_table(res, unit="run", resamples=RESAMPLES, ep=None):
    ep = ep if ep is not None else episodes.load(res)
    spearman = _spearman(res)
    extra = {"model_tv_A": _per_run(res, "model/tv_A"), "model_tv_B": _per_run(res, "model/tv_B"),
             "model_fit_tv_B": _per_run(res, "model/fit_tv_B"), "seconds_per_run": _seconds(res),
             "cue_visits": _cue_visits(res)}
    return [condition_row(res, ep, c, unit, resamples, spearman, extra) for c in res.conditions]


def welch(a, b):
    """Welch's t, its degrees of freedom and two-sided p; Cohen's d (pooled sd)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    na, nb = a.size, b.size
    if na < 2 or nb < 2:
        return math.nan, math.nan, math.nan, math.nan
    va, vb = a.var(ddof=1), b.var(ddof=1)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        t, p = sps.ttest_ind(a, b, equal_var=False)
        se2 = va / na + vb / nb
        df = se2 ** 2 / ((va / na) ** 2 / (na - 1) + (vb / nb) ** 2 / (nb - 1)) if se2 > 0 else math.nan
        sp = math.sqrt(((na - 1) * va + (nb - 1) * vb) / (na + nb - 2))
        d = (a.mean() - b.mean()) / sp if sp > 0 else math.nan
    return float(t), float(df), float(p), float(d)


def comparison_table(res, unit="run", ep=None):
    ep = ep if ep is not None else episodes.load(res)
    rows = []
    for env in res.env_names():
        conds = [c for c in res.conditions_in(env) if len(c.done)]
        for i, a in enumerate(conds):
            xa = episodes.samples(ep, a.done, unit)["steps"]
            for b in conds[i + 1:]:
                if a.agent == b.agent:
                    continue
                xb = episodes.samples(ep, b.done, unit)["steps"]
                t, df, p, d = welch(xa, xb)
                rows.append({"env": env, "unit": unit, "condition_a": a.id, "label_a": a.label,
                             "condition_b": b.id, "label_b": b.label, "n_a": int(xa.size), "n_b": int(xb.size),
                             "mean_a": float(xa.mean()), "mean_b": float(xb.mean()),
                             "diff": float(xa.mean() - xb.mean()), "welch_t": t, "welch_df": df,
                             "p_value": p, "cohens_d": d})
    return rows


# -- output ----------------------------------------------------------------------
def _csv_value(v):
    if isinstance(v, float):
        return "" if math.isnan(v) else repr(v)
    return str(v)


def to_csv(rows, columns):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([c.replace("param:", "") for c in columns])
    for r in rows:
        w.writerow([_csv_value(r.get(c, "")) for c in columns])
    return buf.getvalue()


def condition_columns(res):
    return CONDITION_COLUMNS[:5] + ["param:" + k for k in res.param_names] + CONDITION_COLUMNS[5:]


def _num(v, digits=2):
    if isinstance(v, float) and math.isnan(v):
        return "–"
    if isinstance(v, float) and math.isinf(v):
        return "∞" if v > 0 else "−∞"
    return f"{v:.{digits}f}"


def _pct(v, digits=1):
    return "–" if math.isnan(v) else f"{100 * v:.{digits}f}%"


def _p(p):
    if math.isnan(p):
        return "–"
    return f"{p:.2e}" if p < 1e-3 else f"{p:.3f}"


def _with_ci(mean, lo, hi, n, fmt):
    """'12.34 [11.90, 12.80]'; one sample: no interval, said so."""
    if math.isnan(mean):
        return "–"
    if n < 2:
        return f"{fmt(mean)} (n=1, no CI)"
    return f"{fmt(mean)} [{fmt(lo)}, {fmt(hi)}]"


def _md_table(header, body):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(x).replace("|", "\\|") for x in r) + " |" for r in body]
    return out


def _optimal_text(e):
    if e.n_contexts > 1:  # the BFS distance to one context's goal means nothing here
        route = e.optimal_route
        return f"optimal {route:.2f} steps expected {e.route_words}" if np.isfinite(route) else \
            "optimal route not recorded"
    return f"BFS optimal {e.optimal_steps} steps" if e.optimal_steps >= 0 else "goal unreachable from the start"


def _method_text(unit, resamples, ep):
    censor = ("*Steps to goal* count every failed evaluation episode (hole death or time-out) as the world's "
              "`max_steps`; *holes* and *time-outs* are % of evaluation episodes ("
              + ("inferred: a failure with steps < max_steps fell into a hole, one with steps = max_steps "
                 "timed out" if ep.inferred else "from `/eval/outcome`")
              + "); *steps (successful)* averages the successful episodes only.")
    ci = f"95% percentile-bootstrap interval ({resamples} resamples, fixed seed {BOOT_SEED})"
    if unit == "run":
        how = (f"**Unit: the seed (run).** Per run: the mean steps to goal and the success rate over its "
               f"evaluation episodes. Per condition: the mean over runs with a {ci} over runs (none for a "
               f"condition with one run); median and sd are those of the run means. Between agents: Welch's "
               f"two-sided t-test and Cohen's d (pooled sd) on run means, A minus B (d > 0: A needs more "
               f"steps).")
    else:
        how = (f"**Unit: the evaluation episode (episodes of all runs pooled).** Episodes of one seed share "
               f"its training, so they are not independent samples: these intervals are too narrow and these "
               f"p-values too small (pseudo-replication); the default, `--unit run`, uses the seed. "
               f"Per condition: the mean over episodes with a {ci} over episodes. Between agents: Welch's "
               f"t-test and Cohen's d on episodes, A minus B.")
    return [censor, "", how]


def _duration(s):
    if math.isnan(s):
        return "–"
    if s < 60:
        return f"{s:.2f} s" if s < 10 else f"{s:.1f} s"
    return f"{int(s // 60)} min {int(round(s % 60))} s"


def _condition_body(res, rows, strategy):
    body = []
    for r in rows:
        c = res.by_id[r["condition"]]
        keys = [k for k in res.swept.get(c.agent, []) if k in c.params and k not in strategy]
        params = ", ".join(f"{k}={fmt_value(c.params[k])}" for k in keys)
        n = r["samples"]
        body.append([r["condition"], r["agent"]] + [c.params.get(k, "") or "–" for k in strategy]
                    + [params or "–", r["done"] if r["done"] == r["runs"] else f"{r['done']} of {r['runs']}",
                       _with_ci(r["mean_steps"], r["steps_ci_lo"], r["steps_ci_hi"], n, _num),
                       _num(r["median_steps"], 1), _num(r["sd_steps"]),
                       _with_ci(r["success_rate"], r["success_ci_lo"], r["success_ci_hi"], n, _pct),
                       _pct(r["hole_rate"]), _pct(r["timeout_rate"]), _num(r["mean_steps_successful"])])
    return body


def _comparison_lines(env, cr, unit, max_comparisons):
    what = "run means" if unit == "run" else "evaluation episodes (pooled)"
    lines = [f"Between agents on {env} (Welch's t on {what}):", ""]
    body = [[f"{r['label_a']} (c{r['condition_a']})", f"{r['label_b']} (c{r['condition_b']})", r["n_a"], r["n_b"],
             _num(r["mean_a"]), _num(r["mean_b"]), _num(r["welch_t"]), _num(r["welch_df"], 1),
             _p(r["p_value"]), _num(r["cohens_d"])] for r in cr[:max_comparisons]]
    n = "seeds" if unit == "run" else "episodes"
    lines += _md_table(["A", "B", f"{n} A", f"{n} B", "mean A", "mean B", "Welch t", "df", "p", "Cohen's d"],
                       body)
    if len(cr) > max_comparisons:
        lines.append(f"\n({len(cr) - max_comparisons} more pairs in comparisons.csv)")
    return lines + [""]


def to_markdown(res, conds, comps, unit="run", max_comparisons=60, resamples=RESAMPLES, ep=None):
    ep = ep if ep is not None else episodes.load(res)
    st = res.status
    n_done, n_failed = int((st == 1).sum()), int((st == 2).sum())
    lines = [f"# Summary: {res.name}", "",
             f"`{res.path}`: {res.n_runs} runs in {len(res.conditions)} conditions: {n_done} done, "
             f"{n_failed} failed, {res.n_runs - n_done - n_failed} not done (pending or interrupted). "
             "Only done runs are analysed.", ""]
    lines += _method_text(unit, resamples, ep) + [""]
    if n_done == 0:
        lines += ["**No run is done yet**: nothing to summarize.", ""]
    with_efe = any(not math.isnan(r["efe_spearman"]) for r in conds)
    with_tv = any(not math.isnan(r.get("model_tv_B", math.nan)) for r in conds)
    if with_tv:
        lines += ["*model TV A / B*: the mean total variation between the likelihood / transitions the agent "
                  "plans with after training and the world's, over the cells it was in during training "
                  "(`/model/tv_A`, `/model/tv_B`); *fit TV*: between its transitions and the counts of its own "
                  "moves (at least 5) under the states it inferred (`/model/fit_tv_B`). *trained on*: what it "
                  "learned from; *time/run*: training and evaluation, mean over runs.", ""]
    if with_efe:
        lines += ["*EFE rank corr.*: how well the agent's EFE estimates rank the candidate policies against "
                  "the exact EFE from the true model (`/efe_check`): mean over runs of the median Spearman "
                  "correlation over checked decisions.", ""]
    with_cue = any(not math.isnan(r.get("cue_visits", math.nan)) for r in conds)
    if with_cue:
        lines += ["*cue visits*: in a world with hidden contexts, the cells on a cue per logged episode "
                  "(the start and the cell after each step, `/traj/pos`), mean over runs.", ""]
    strategy = [k for k in STRATEGY_COLUMNS if k in res.param_names]
    steps_h = "steps to goal [95% CI]" if unit == "run" else "steps to goal [95% CI, episodes]"
    header = (["cond", "agent"] + strategy + ["parameters", "seeds", steps_h, "median", "sd",
                                               "success [95% CI]", "holes", "time-outs", "steps (successful)"]
              + (["EFE rank corr."] if with_efe else [])
              + (["cue visits"] if with_cue else [])
              + (["trained on", "model TV A / B", "fit TV", "time/run"] if with_tv else []))
    for env in res.env_names():
        e = res.envs[env]
        rows = [r for r in conds if r["env"] == env]
        if not rows:
            continue
        lines += [f"## {env} ({e.describe()}, {_optimal_text(e)})", ""]
        body = _condition_body(res, rows, strategy)
        if with_efe:
            body = [b + [_num(r["efe_spearman"])] for b, r in zip(body, rows)]
        if with_cue:
            body = [b + [_num(r["cue_visits"])] for b, r in zip(body, rows)]
        if with_tv:
            body = [b + [r["trained_on"],
                         "–" if math.isnan(r["model_tv_B"]) else f"{_num(r['model_tv_A'], 3)} / {_num(r['model_tv_B'], 3)}",
                         _num(r["model_fit_tv_B"], 3), _duration(r["seconds_per_run"])]
                    for b, r in zip(body, rows)]
        lines += _md_table(header, body) + [""]
        cr = [r for r in comps if r["env"] == env]
        if cr:
            lines += _comparison_lines(env, cr, unit, max_comparisons)
        elif len({r["agent"] for r in rows if r["done"]}) < 2:
            lines += [f"No comparison on {env}: fewer than two agents have done runs.", ""]
    return "\n".join(lines).rstrip() + "\n"


def write_summary(res, out_dir, unit="run", resamples=RESAMPLES):
    """summary.md, summary.csv, comparisons.csv in out_dir; returns the paths."""
    ep = episodes.load(res)
    conds = condition_table(res, unit, resamples, ep)
    comps = comparison_table(res, unit, ep)
    paths = []
    for name, content in (("summary.md", to_markdown(res, conds, comps, unit, resamples=resamples, ep=ep)),
                          ("summary.csv", to_csv(conds, condition_columns(res))),
                          ("comparisons.csv", to_csv(comps, COMPARISON_COLUMNS))):
        p = os.path.join(out_dir, name)
        with open(p, "w") as f:
            f.write(content)
        paths.append(p)
    return paths
