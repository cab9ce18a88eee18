"""The paper's Table I for every condition, and tests between agents.

Per condition (agent entry x world x parameter values): over the evaluation
episodes of its done runs, the mean, median and sd of steps to goal (an
episode that missed the goal counts its max_steps: censored episodes are
kept, not dropped), the success rate, and the mean steps of the successful
episodes.  With unit="run" each run's mean steps is one sample instead.

Between agents, within each world: every pair of conditions whose agents
differ, Welch's two-sided t-test on the same samples, and Cohen's d with the
pooled sd.  Signs: A minus B, so d > 0 means A needs more steps.
"""
import csv
import io
import math
import os
import warnings

import numpy as np
from scipy import stats as sps


CONDITION_COLUMNS = ["condition", "agent", "agent_type", "env", "label", "runs", "done", "failed",
                     "not_done", "samples", "mean_steps", "median_steps", "sd_steps", "success_rate",
                     "mean_steps_successful", "efe_spearman"]
COMPARISON_COLUMNS = ["env", "condition_a", "label_a", "condition_b", "label_b", "n_a", "n_b", "mean_a",
                      "mean_b", "diff", "welch_t", "welch_df", "p_value", "cohens_d"]


def samples(res, c, steps, unit):
    """The samples of condition c: episode steps of its done runs, or per-run means."""
    s = steps[c.done].astype(float)
    if unit == "run":
        return s.mean(axis=1) if s.size else np.zeros(0)
    return s.ravel()


def condition_table(res, unit="episode"):
    steps = res.f["eval/steps"][:]
    success = res.f["eval/success"][:]
    # How well the agent's EFE ranks policies against the exact EFE (agents
    # that estimate it: /efe_check), as the mean over done runs of each run's
    # median Spearman correlation.
    spearman = res.f["efe_check/spearman_median"][:].astype(float) if res.has("efe_check/spearman_median") \
        else np.full(res.n_runs, math.nan)
    rows = []
    for c in res.conditions:
        x = samples(res, c, steps, unit)
        succ = success[c.done].astype(float)
        st = res.status[c.runs]
        ok = steps[c.done][succ.astype(bool)].astype(float) if succ.size else np.zeros(0)
        row = {
            "condition": c.id, "agent": c.agent, "agent_type": c.agent_type, "env": c.env, "label": c.label,
            "runs": len(c.runs), "done": len(c.done), "failed": int((st == 2).sum()),
            "not_done": int(((st != 1) & (st != 2)).sum()), "samples": int(x.size),
            "mean_steps": float(np.mean(x)) if x.size else math.nan,
            "median_steps": float(np.median(x)) if x.size else math.nan,
            "sd_steps": float(np.std(x, ddof=1)) if x.size > 1 else math.nan,
            "success_rate": float(succ.mean()) if succ.size else math.nan,
            "mean_steps_successful": float(ok.mean()) if ok.size else math.nan,
            "efe_spearman": _nanmean(spearman[c.done]),
        }
        for k in res.param_names:
            row["param:" + k] = c.params.get(k, "")
        rows.append(row)
    return rows


def _nanmean(x):
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else math.nan


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


def comparison_table(res, unit="episode"):
    steps = res.f["eval/steps"][:]
    rows = []
    for env in res.env_names():
        conds = [c for c in res.conditions_in(env) if len(c.done)]
        for i, a in enumerate(conds):
            xa = samples(res, a, steps, unit)
            for b in conds[i + 1:]:
                if a.agent == b.agent:
                    continue
                xb = samples(res, b, steps, unit)
                t, df, p, d = welch(xa, xb)
                rows.append({"env": env, "condition_a": a.id, "label_a": a.label, "condition_b": b.id,
                             "label_b": b.label, "n_a": int(xa.size), "n_b": int(xb.size),
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


def _p(p):
    if math.isnan(p):
        return "–"
    return f"{p:.2e}" if p < 1e-3 else f"{p:.3f}"


def _md_table(header, body):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(x).replace("|", "\\|") for x in r) + " |" for r in body]
    return out


def to_markdown(res, conds, comps, unit="episode", max_comparisons=60):
    st = res.status
    n_done, n_failed = int((st == 1).sum()), int((st == 2).sum())
    lines = [f"# Summary: {res.name}", "",
             f"`{res.path}`: {res.n_runs} runs in {len(res.conditions)} conditions: {n_done} done, "
             f"{n_failed} failed, {res.n_runs - n_done - n_failed} not done (pending or interrupted).", ""]
    what = "evaluation episodes" if unit == "episode" else "runs (each run's mean steps is one sample)"
    lines += [f"Statistics over the {what} of done runs only. An episode that missed the goal "
              "counts its `max_steps` (censored, not dropped); *steps (successful)* averages the "
              "successful episodes only. Between agents: Welch's two-sided t-test on the same samples "
              "and Cohen's d with the pooled sd, A minus B (d > 0: A needs more steps).", ""]
    if n_done == 0:
        lines += ["**No run is done yet**: nothing to summarize.", ""]
    with_efe = any(not math.isnan(r["efe_spearman"]) for r in conds)
    if with_efe:
        lines += ["*EFE rank corr.*: how well the agent's EFE estimates rank the candidate policies against "
                  "the exact EFE from the true model (`/efe_check`): mean over runs of the median Spearman "
                  "correlation over checked decisions.", ""]
    for env in res.env_names():
        e = res.envs[env]
        rows = [r for r in conds if r["env"] == env]
        if not rows:
            continue
        lines += [f"## {env} ({e.describe()})", ""]
        body = []
        for r in rows:
            c = res.by_id[r["condition"]]
            body.append([r["condition"], r["agent"], res.params_text(c) or "–", f"{r['done']}/{r['runs']}",
                         r["samples"], _num(r["mean_steps"]), _num(r["median_steps"], 1), _num(r["sd_steps"]),
                         "–" if math.isnan(r["success_rate"]) else f"{100 * r['success_rate']:.1f}%",
                         _num(r["mean_steps_successful"])] + ([_num(r["efe_spearman"])] if with_efe else []))
        lines += _md_table(["cond", "agent", "parameters", "runs done", "samples", "mean steps", "median",
                            "sd", "success", "steps (successful)"] + (["EFE rank corr."] if with_efe else []), body)
        lines.append("")
        cr = [r for r in comps if r["env"] == env]
        if cr:
            lines += [f"Between agents on {env}:", ""]
            body = [[f"{r['label_a']} (c{r['condition_a']})", f"{r['label_b']} (c{r['condition_b']})",
                     _num(r["mean_a"]), _num(r["mean_b"]), _num(r["welch_t"]), _num(r["welch_df"], 1),
                     _p(r["p_value"]), _num(r["cohens_d"])] for r in cr[:max_comparisons]]
            lines += _md_table(["A", "B", "mean A", "mean B", "Welch t", "df", "p", "Cohen's d"], body)
            if len(cr) > max_comparisons:
                lines.append(f"\n({len(cr) - max_comparisons} more pairs in comparisons.csv)")
            lines.append("")
        elif len({r["agent"] for r in rows if r["done"]}) < 2:
            lines += [f"No comparison on {env}: fewer than two agents have done runs.", ""]
    return "\n".join(lines).rstrip() + "\n"


def write_summary(res, out_dir, unit="episode"):
    """summary.md, summary.csv, comparisons.csv in out_dir; returns the paths."""
    conds = condition_table(res, unit)
    comps = comparison_table(res, unit)
    paths = []
    for name, content in (("summary.md", to_markdown(res, conds, comps, unit)),
                          ("summary.csv", to_csv(conds, condition_columns(res))),
                          ("comparisons.csv", to_csv(comps, COMPARISON_COLUMNS))):
        p = os.path.join(out_dir, name)
        with open(p, "w") as f:
            f.write(content)
        paths.append(p)
    return paths

