"""The analysis package (python3 -m analysis, make report) on results files
made by the real runner: every table recomputed here from the raw datasets
(censored steps to goal, hole deaths and time-outs, seed-level statistics,
bootstrap intervals, Welch's t against scipy), every figure produced, rows not
marked done never read, status of a sweep that was killed, clear errors for
files that are not results."""
import json
import math
import os
import re
import signal
import subprocess
import time
import warnings

import h5py
import numpy as np
import pytest
from scipy import stats as sps

from conftest import descendants, sweep_cmd
from analysis_helpers import (ROOT, agent_known, analysis, analysis_ok, close, copy_results, edit_results, num,
                              raw, read_csv, run_sweep, smoke_results, write_job)  # noqa: F401  (smoke_results: fixture)

PNG = b"\x89PNG\r\n\x1a\n"


def episode_table(d):
    """[R, E] censored steps to goal (a failed episode counts its world's max_steps),
    hole deaths and time-outs, from the raw datasets."""
    steps, succ, cap = d["steps"].astype(float), d["success"].astype(bool), d["max_steps"][:, None]
    censored = np.where(succ, steps, cap)
    if d["outcome"] is not None:
        hole, timeout = d["outcome"] == 1, d["outcome"] == 2
    else:
        hole, timeout = ~succ & (steps < cap), ~succ & (steps == cap)
    return censored, succ, hole, timeout


def optimal_steps(path):
    """{world: BFS shortest path length from its start}, from /envs/<world>/dist."""
    with h5py.File(path, "r") as f:
        return {e: int(f["envs"][e]["dist"][()].ravel()[int(f["envs"][e].attrs["start"])]) for e in f["envs"]}


def expected_conditions(path, unit="run"):
    """Table I per condition, recomputed from /runs/status, /eval and /envs."""
    d = raw(path)
    censored, succ, hole, timeout = episode_table(d)
    opt = optimal_steps(path)
    with h5py.File(path, "r") as f:
        rho = f["efe_check/spearman_median"][:].astype(float) if "efe_check" in f \
            else np.full(len(d["status"]), np.nan)
    out = {}
    for c in np.unique(d["condition"]):
        runs = np.flatnonzero(d["condition"] == c)
        done = runs[d["status"][runs] == 1]
        s, ok = censored[done], succ[done]
        x = s.mean(axis=1) if unit == "run" else s.ravel()
        xs = ok.mean(axis=1) if unit == "run" else ok.ravel().astype(float)
        taken = d["steps"][done].astype(float)
        env = d["env"][runs[0]]
        out[int(c)] = {
            "runs": len(runs), "done": len(done), "failed": int((d["status"][runs] == 2).sum()),
            "samples": x.size, "seeds": len(done), "agent": d["agent"][runs[0]], "env": env,
            "mean_steps": x.mean() if x.size else math.nan,
            "median_steps": float(np.median(x)) if x.size else math.nan,
            "sd_steps": x.std(ddof=1) if x.size > 1 else math.nan,
            "success_rate": xs.mean() if xs.size else math.nan,
            "hole_rate": hole[done].mean() if done.size else math.nan,
            "timeout_rate": timeout[done].mean() if done.size else math.nan,
            "mean_steps_taken": taken.mean() if taken.size else math.nan,
            "mean_steps_successful": taken[ok].mean() if ok.any() else math.nan,
            "optimal_steps": opt[env], "max_steps": int(d["max_steps"][runs[0]]),
            "efe_spearman": np.nanmean(rho[done]) if np.isfinite(rho[done]).any() else math.nan,
            "x": x, "x_success": xs,
        }
    return out


def check_interval(lo, hi, x, what):
    """A 95 % percentile-bootstrap interval of mean(x): none for one sample; the range of
    the samples for 2 or 3 (the all-smallest resample has probability >= 1/27 > 2.5 %);
    otherwise around the mean and close to scipy's percentile bootstrap."""
    m = x.mean()
    if x.size < 2:
        assert math.isnan(lo) and math.isnan(hi), what
        return
    assert x.min() - 1e-12 <= lo <= m + 1e-12 and m - 1e-12 <= hi <= x.max() + 1e-12, (what, lo, m, hi)
    if x.size <= 3 or np.ptp(x) == 0:
        assert close(lo, x.min()) and close(hi, x.max()), (what, lo, hi, x)
        return
    ref = sps.bootstrap((x,), np.mean, confidence_level=0.95, n_resamples=10000, method="percentile",
                        random_state=np.random.default_rng(1)).confidence_interval
    # Monte Carlo error of both, plus one atom of a discrete bootstrap distribution.
    tol = 0.05 * (ref.high - ref.low) + np.ptp(x) / x.size
    assert abs(lo - ref.low) <= tol and abs(hi - ref.high) <= tol, (what, (lo, hi), ref)


def check_summary_csv(path, csv_path, unit="run"):
    exp = expected_conditions(path, unit)
    rows = read_csv(csv_path)
    assert sorted(int(r["condition"]) for r in rows) == sorted(exp)
    for r in rows:
        e = exp[int(r["condition"])]
        assert r["agent"] == e["agent"] and r["env"] == e["env"] and r["unit"] == unit
        for k in ("runs", "done", "failed", "samples", "seeds", "optimal_steps", "max_steps"):
            assert int(r[k]) == e[k], (k, r, e)
        for k in ("mean_steps", "median_steps", "sd_steps", "success_rate", "hole_rate", "timeout_rate",
                  "mean_steps_taken", "mean_steps_successful", "efe_spearman"):
            assert close(num(r[k]), float(e[k])), (k, r[k], e[k])
        check_interval(num(r["steps_ci_lo"]), num(r["steps_ci_hi"]), e["x"], ("steps", r["label"]))
        check_interval(num(r["success_ci_lo"]), num(r["success_ci_hi"]), e["x_success"], ("success", r["label"]))
        if e["samples"]:
            assert 0.0 <= num(r["success_ci_lo"] or "0") and num(r["success_ci_hi"] or "1") <= 1.0
    return exp


def check_comparisons_csv(exp, csv_path, unit="run"):
    """Welch's t, df and p against scipy and their formulas, and Cohen's d, on the
    samples of the unit (run means by default), for every pair of conditions of
    different agents in the same world."""
    rows = read_csv(csv_path)
    pairs = set()
    for a in sorted(exp):
        for b in sorted(exp):
            if a < b and exp[a]["env"] == exp[b]["env"] and exp[a]["agent"] != exp[b]["agent"] \
                    and exp[a]["done"] and exp[b]["done"]:
                pairs.add((a, b))
    assert {(int(r["condition_a"]), int(r["condition_b"])) for r in rows} == pairs
    assert pairs
    for r in rows:
        assert r["unit"] == unit
        xa, xb = exp[int(r["condition_a"])]["x"], exp[int(r["condition_b"])]["x"]
        na, nb = xa.size, xb.size
        assert int(r["n_a"]) == na and int(r["n_b"]) == nb
        assert close(num(r["mean_a"]), xa.mean()) and close(num(r["mean_b"]), xb.mean())
        if na < 2 or nb < 2:
            assert all(math.isnan(num(r[k])) for k in ("welch_t", "welch_df", "p_value", "cohens_d"))
            continue
        va, vb = xa.var(ddof=1), xb.var(ddof=1)
        diff = xa.mean() - xb.mean()
        if va == 0 and vb == 0:        # no finite t: equal means give nothing, others +-inf and p = 0
            t = math.nan if diff == 0 else math.copysign(math.inf, diff)
            assert close(num(r["welch_t"]), t) and close(num(r["p_value"]), math.nan if diff == 0 else 0.0)
            assert math.isnan(num(r["welch_df"])) and math.isnan(num(r["cohens_d"]))
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)   # scipy on nearly equal samples
            ref = sps.ttest_ind(xa, xb, equal_var=False)
        se = math.sqrt(va / na + vb / nb)
        t = diff / se
        df = (va / na + vb / nb) ** 2 / ((va / na) ** 2 / (na - 1) + (vb / nb) ** 2 / (nb - 1))
        p = 2 * sps.t.sf(abs(t), df)
        d = diff / math.sqrt(((na - 1) * va + (nb - 1) * vb) / (na + nb - 2))
        assert close(num(r["welch_t"]), ref.statistic, 1e-9) and close(num(r["welch_t"]), t, 1e-9), (r, t)
        assert close(num(r["p_value"]), ref.pvalue, 1e-9) and close(num(r["p_value"]), p, 1e-6), (r, p)
        assert close(num(r["welch_df"]), df, 1e-9), (r, df)
        assert close(num(r["cohens_d"]), d, 1e-9), (r, d)


def test_summary_tables_equal_raw_datasets(smoke_results, tmp_path):
    """The default unit is the seed: run means, bootstrap intervals over runs, Welch on run means."""
    out = tmp_path / "s"
    p = analysis_ok("summary", smoke_results, "--out", out)
    assert "summary.md" in p.stdout
    exp = check_summary_csv(smoke_results, out / "summary.csv")
    check_comparisons_csv(exp, out / "comparisons.csv")
    md = (out / "summary.md").read_text()
    for e in exp.values():
        assert f"{e['mean_steps']:.2f} [" in md and f"{100 * e['success_rate']:.1f}% [" in md
    assert "**Unit: the seed (run).**" in md and "Welch's t on run means" in md
    opt = optimal_steps(smoke_results)
    assert opt["paper4x4"] == 6
    assert "## paper4x4 (4x4, fully observable, deterministic, max 100 steps, BFS optimal 6 steps)" in md
    assert "## paper8x8 (" in md and f"BFS optimal {opt['paper8x8']} steps)" in md and "Welch t" in md
    # Markdown to stdout without --out; the same CSV with --csv; the same numbers every time.
    assert analysis_ok("summary", smoke_results).stdout == md
    assert analysis_ok("summary", smoke_results, "--csv").stdout == (out / "summary.csv").read_text()
    # The parameter columns (every field after seed_index) are in the CSV.
    header = (out / "summary.csv").read_text().splitlines()[0].split(",")
    names = raw(smoke_results)["params"].dtype.names
    params = list(names[names.index("seed_index") + 1:])
    assert params and header[5:5 + len(params)] == params


def test_summary_with_episodes_as_samples(smoke_results, tmp_path):
    """--unit episode: the episode-pooled statistics, labelled as pseudo-replication."""
    out = tmp_path / "s"
    analysis_ok("summary", smoke_results, "--out", out, "--unit", "episode")
    exp = check_summary_csv(smoke_results, out / "summary.csv", unit="episode")
    check_comparisons_csv(exp, out / "comparisons.csv", unit="episode")
    md = (out / "summary.md").read_text()
    assert "Unit: the evaluation episode" in md and "pseudo-replication" in md
    assert "Welch's t on evaluation episodes (pooled)" in md


# -- a world with holes: censoring, outcomes, seed-level intervals, budgets ----------------------------
HOLES_JOB = """
name: holes
seed: 3
seeds: 4
train_steps: 1000
eval_episodes: 20
log_episodes: 1
checkpoints: 1
curve_points: 4
environments:
  - name: lake4
    map: ["SFFF",
          "FHFH",
          "FFFH",
          "HFFG"]
    slip: 0.2
    max_steps: 30
agents:
  - type: random
  - {type: q-learning, name: q-200, train_steps: 200}
  - {type: q-learning, name: q-1k}
  - {type: q-learning, name: q-3k, train_steps: 3000}
  - type: exact-aif
    params:
      horizon: 2
      preference: [goal, oracle-distance]
"""
# Each entry's training budget, as the job above gives it.
HOLES_BUDGETS = {"random": 1000, "q-200": 200, "q-1k": 1000, "q-3k": 3000, "exact-aif": 1000}


@pytest.fixture(scope="module")
def holes_results(tmp_path_factory):
    """HOLES_JOB run by the real runner on 2 ranks (read-only: copy before changing)."""
    d = tmp_path_factory.mktemp("holes")
    job = write_job(d, HOLES_JOB)
    out = d / "holes.h5"
    run_sweep(job, out, 2, "--quiet", check=True)
    return out


def test_censoring_counts_hole_deaths_as_max_steps(holes_results, tmp_path):
    """A hole death counts max_steps in steps to goal, not the steps it took; hole deaths
    and time-outs get their own columns."""
    d = raw(holes_results)
    done = d["status"] == 1
    assert done.all()
    fail = ~d["success"].astype(bool)
    cap = d["max_steps"][:, None]
    assert (fail & (d["steps"] < cap)).any() and (fail & (d["steps"] == cap)).any()   # both kinds occur
    out = tmp_path / "s"
    analysis_ok("summary", holes_results, "--out", out)
    exp = check_summary_csv(holes_results, out / "summary.csv")
    check_comparisons_csv(exp, out / "comparisons.csv")
    rows = {r["label"]: r for r in read_csv(out / "summary.csv")}
    # The random agent dies in holes within a few steps: steps taken are small, steps to goal are not.
    rnd = rows["random"]
    runs = np.flatnonzero(d["agent"] == "random")
    per_run = [np.where(d["success"][r] == 1, d["steps"][r], 30).mean() for r in runs]
    assert close(num(rnd["mean_steps"]), float(np.mean(per_run)))
    assert num(rnd["hole_rate"]) > 0.5 and num(rnd["mean_steps_taken"]) < 15 < num(rnd["mean_steps"])
    assert num(rnd["mean_steps"]) >= 30 * (1 - num(rnd["success_rate"]))
    for r in rows.values():
        assert close(num(r["success_rate"]) + num(r["hole_rate"]) + num(r["timeout_rate"]), 1.0)
    assert any(num(r["timeout_rate"]) > 0 for r in rows.values())
    md = (out / "summary.md").read_text()
    assert "| holes | time-outs |" in md and "from `/eval/outcome`" in md
    # the runner's outcome agrees with the steps: a hole ends early, a time-out at max_steps
    o = d["outcome"]
    assert o is not None and ((o == 0) == d["success"].astype(bool)).all()
    assert (d["steps"][o == 2] == np.broadcast_to(cap, o.shape)[o == 2]).all()
    assert (d["steps"][o == 1] <= np.broadcast_to(cap, o.shape)[o == 1]).all()
    for e in exp.values():
        assert f"| {100 * e['hole_rate']:.1f}% | {100 * e['timeout_rate']:.1f}% |" in md
    assert "BFS optimal 6 steps" in md and optimal_steps(holes_results)["lake4"] == 6


def test_outcome_dataset_is_read_when_present(holes_results, tmp_path):
    """With /eval/outcome the hole / time-out split comes from it, not from the steps;
    one that contradicts /eval/success is refused with one line."""
    path = copy_results(holes_results, tmp_path / "o.h5")
    d = raw(path)
    fail = d["success"] == 0
    outcome = np.where(fail, np.where(d["steps"] < d["max_steps"][:, None], 1, 2), 0).astype(np.int8)
    rnd = d["agent"] == "random"
    outcome[rnd] = np.where(fail[rnd], 2, 0)          # say every failure of random timed out
    with edit_results(path) as f:
        f["eval/outcome"][...] = outcome
    out = tmp_path / "s"
    analysis_ok("summary", path, "--out", out)
    check_summary_csv(path, out / "summary.csv")          # recomputed from the stored outcome
    rows = {r["label"]: r for r in read_csv(out / "summary.csv")}
    assert num(rows["random"]["hole_rate"]) == 0 and num(rows["random"]["timeout_rate"]) > 0.5
    assert "from `/eval/outcome`" in (out / "summary.md").read_text()
    r, e = map(int, np.argwhere(fail)[0])
    for bad in (0, 7):
        with edit_results(path) as f:
            f["eval/outcome"][r, e] = bad
        p = analysis("summary", path)
        lines = p.stderr.strip().splitlines()
        assert p.returncode == 2 and len(lines) == 1 and p.stdout == "", (p.stdout, p.stderr)
        assert f"damaged results file: /eval/outcome[{r}, {e}] = {bad}" in lines[0]
    # A file without /eval/outcome (written before it existed): inferred from the steps.
    path2 = copy_results(holes_results, tmp_path / "old.h5")
    with edit_results(path2) as f:
        del f["eval/outcome"]
    out2 = tmp_path / "s2"
    analysis_ok("summary", path2, "--out", out2)
    check_summary_csv(path2, out2 / "summary.csv")
    assert "inferred: a failure with steps < max_steps" in (out2 / "summary.md").read_text()


def test_intervals_bracket_the_mean_and_are_reproducible(holes_results, tmp_path):
    """95 % bootstrap intervals over seeds: around the mean, close to scipy's, the same
    on every call; a condition with one done run has none, and no test."""
    a, b = tmp_path / "a", tmp_path / "b"
    analysis_ok("summary", holes_results, "--out", a)
    analysis_ok("summary", holes_results, "--out", b)
    for name in ("summary.md", "summary.csv", "comparisons.csv"):
        assert (a / name).read_text() == (b / name).read_text(), name
    check_summary_csv(holes_results, a / "summary.csv")          # checks every interval (4 seeds)
    rows = read_csv(a / "summary.csv")
    assert any(num(r["steps_ci_lo"]) < num(r["mean_steps"]) < num(r["steps_ci_hi"]) for r in rows)
    # One done run: no interval, shown as such; no Welch test against it.
    path = copy_results(holes_results, tmp_path / "one.h5")
    d = raw(path)
    runs = np.flatnonzero(d["agent"] == "q-3k")
    with edit_results(path) as f:
        for r in runs[1:]:
            f["runs/status"][r] = 0
    out = tmp_path / "one"
    analysis_ok("summary", path, "--out", out)
    exp = check_summary_csv(path, out / "summary.csv")
    check_comparisons_csv(exp, out / "comparisons.csv")
    row = [r for r in read_csv(out / "summary.csv") if r["agent"] == "q-3k"][0]
    assert row["seeds"] == "1" and row["steps_ci_lo"] == row["steps_ci_hi"] == row["success_ci_lo"] == ""
    md = (out / "summary.md").read_text()
    line = [x for x in md.splitlines() if x.startswith(f"| {row['condition']} | q-3k")][0]
    assert "(n=1, no CI)" in line and "| 1 of 4 |" in line


def _rewrite_params(path, edit):
    """Replace /runs/params by edit(rows as a list of dicts) -> (rows, extra column names)."""
    with edit_results(path) as f:
        old = f["runs/params"]
        p, attrs = old[:], dict(old.attrs)
        rows = [{k: p[k][i] for k in p.dtype.names} for i in range(len(p))]
        rows, extra = edit(rows)
        descr = [(n, "S32" if p.dtype[n].kind == "S" else p.dtype[n]) for n in p.dtype.names]
        new = np.zeros(len(rows), dtype=descr + [(n, "S32") for n in extra])
        for i, r in enumerate(rows):
            for k, v in r.items():
                new[k][i] = v
        del f["runs/params"]
        f["runs/params"] = new
        for k, v in attrs.items():
            f["runs/params"].attrs[k] = v


def test_preference_and_shaping_columns(holes_results, tmp_path):
    """The Markdown has a preference column (active-inference agents) and a shaping column
    (q-learning) when the file has those parameter columns, printing what the file holds."""
    md = analysis_ok("summary", holes_results).stdout
    assert "| cond | agent | preference | shaping | parameters | seeds |" in md
    assert re.search(r"\| exact-aif \| goal \| – \| – \|", md)
    assert re.search(r"\| exact-aif \| oracle-distance \| – \| – \|", md)
    assert re.search(r"\| q-3k \| – \| none \| – \|", md)
    assert re.search(r"\| random \| – \| – \| – \|", md)
    path = copy_results(holes_results, tmp_path / "s.h5")

    def edit(rows):
        for r in rows:
            if r["preference"] == b"oracle-distance":
                r["preference"] = b"manhattan"
            r["shaping"] = b"manhattan" if r["agent_type"] == b"q-learning" else b""
        return rows, []
    _rewrite_params(path, edit)
    out = tmp_path / "o"
    analysis_ok("summary", path, "--out", out)
    md = (out / "summary.md").read_text()
    assert "| cond | agent | preference | shaping | parameters | seeds |" in md
    assert re.search(r"\| exact-aif \| manhattan \| – \| – \|", md)
    assert re.search(r"\| q-3k \| – \| manhattan \| – \|", md)
    rows = read_csv(out / "summary.csv")
    assert {r["shaping"] for r in rows if r["agent_type"] == "q-learning"} == {"manhattan"}
    check_summary_csv(path, out / "summary.csv")


def expected_budget_points(path):
    """{(agent_type, preference, budget): (seeds, per-run censored steps, per-run success)}."""
    d = raw(path)
    censored, succ, _, _ = episode_table(d)
    with h5py.File(path, "r") as f:
        kind = np.array([x.decode() for x in f["runs/params"]["agent_type"]])
        pref = np.array([x.decode() for x in f["runs/params"]["preference"]])
    pts = {}
    for r in np.flatnonzero(d["status"] == 1):
        key = (kind[r], pref[r], HOLES_BUDGETS[d["agent"][r]])
        pts.setdefault(key, []).append(r)
    return {k: (len(rs), censored[rs].mean(axis=1), succ[rs].mean(axis=1)) for k, rs in pts.items()}


def test_budget_curves(holes_results, tmp_path):
    """Evaluation at training budgets: budgets from job_yaml (not the steps used), one point
    per budget with the mean over seeds and a 95 % bootstrap band within the possible range."""
    p = analysis_ok("budgets", holes_results, "--out", tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["budgets.csv", "budgets_lake4.png"], p.stdout
    assert (tmp_path / "budgets_lake4.png").read_bytes()[:8] == PNG
    assert (tmp_path / "budgets_lake4.png").stat().st_size > 5000
    rows = read_csv(tmp_path / "budgets.csv")
    exp = expected_budget_points(holes_results)
    with h5py.File(holes_results, "r") as f:
        agent = np.array([x.decode() for x in f["runs/params"]["agent"]])
        assert (f["runs/train_steps"][:][agent == "random"] == 0).all()     # used none; budget 1000
    assert sorted((r["agent_type"], int(r["budget"])) for r in rows) == \
        sorted((k[0], k[2]) for k in exp) == [("exact-aif", 1000), ("exact-aif", 1000), ("q-learning", 200),
                                              ("q-learning", 1000), ("q-learning", 3000), ("random", 1000)]
    for r in rows:
        pref = r["curve"].split("preference=")[1] if "preference=" in r["curve"] else ""
        n, steps, success = exp[(r["agent_type"], pref, int(r["budget"]))]
        assert int(r["seeds"]) == n == 4
        assert close(num(r["mean_steps"]), steps.mean()) and close(num(r["success_rate"]), success.mean())
        check_interval(num(r["steps_ci_lo"]), num(r["steps_ci_hi"]), steps, r)
        check_interval(num(r["success_ci_lo"]), num(r["success_ci_hi"]), success, r)
        assert 0.0 <= num(r["success_ci_lo"]) <= num(r["success_rate"]) <= num(r["success_ci_hi"]) <= 1.0
        assert 0.0 <= num(r["steps_ci_lo"]) and num(r["steps_ci_hi"]) <= 30
    assert {r["entries"] for r in rows if r["agent_type"] == "q-learning"} == {"q-200", "q-1k", "q-3k"}
    # report includes it (the file has 3 budgets for q-learning on lake4).
    out = tmp_path / "rep"
    p = analysis_ok("report", holes_results, "--out", out)
    assert (out / "budgets_lake4.png").is_file() and "budgets skipped" not in p.stdout
    assert "[budgets_lake4.png]" in (out / "README.md").read_text()
    assert (out / "budgets.csv").read_text() == (tmp_path / "budgets.csv").read_text()


def test_budgets_check_the_steps_used(holes_results, tmp_path):
    """A done run that used more training steps than the budget read from job_yaml: skipped,
    with the run named."""
    path = copy_results(holes_results, tmp_path / "b.h5")
    d = raw(path)
    r = int(np.flatnonzero(d["agent"] == "q-200")[0])
    with edit_results(path) as f:
        f["runs/train_steps"][r] = 5000
    p = analysis_ok("budgets", path, "--out", tmp_path / "o")
    assert p.stdout.startswith(f"budgets skipped: run {r} (q-200 on lake4")
    assert "more than its budget 200" in p.stdout


def test_status_prints_each_worlds_optimal_length(holes_results, smoke_results):
    for path in (holes_results, smoke_results):
        opt = optimal_steps(path)
        s = json.loads(analysis_ok("status", path, "--json").stdout)
        assert {w["name"]: w["optimal_steps"] for w in s["worlds"]} == opt
        text = analysis_ok("status", path).stdout
        assert "worlds (optimal: BFS shortest path from the start to the goal, in moves):" in text
        for name, n in opt.items():
            assert re.search(rf"^  {name}  .* {n}$", text, re.M), (name, text)
    assert opt == {"paper4x4": 6, "paper8x8": 14}
    text = analysis_ok("status", holes_results).stdout
    assert re.search(r"^  lake4  4x4, fully observable, slip 0.2, max 30 steps +4 +6$", text, re.M), text


def test_rows_not_done_are_never_read(smoke_results, tmp_path):
    """A failed, a started and a pending run with garbage in their rows: the
    tables ignore them, status reports them."""
    path = copy_results(smoke_results, tmp_path / "r.h5")
    d = raw(path)
    R = len(d["status"])
    failed, started, pending = 1, R // 2, R - 1
    with edit_results(path) as f:
        st = f["runs/status"]
        st[failed], st[started], st[pending] = 2, 3, 0
        f["runs/message"][failed] = np.bytes_(b"loss diverged (NaN) at training step 17")
        for r in (failed, started, pending):
            f["eval/steps"][r] = 99999
            f["eval/success"][r] = 1
            f["traj/length"][r] = 123456
            f["traj/pos"][r] = 987654
            f["traj/G"][r] = 1e30
            f["train/curve_steps"][r] = 1e9
        f["runs/rank"][started] = 2
    out = tmp_path / "rep"
    p = analysis_ok("report", path, "--out", out)
    exp = check_summary_csv(path, out / "summary.csv")
    check_comparisons_csv(exp, out / "comparisons.csv")
    for r in (failed, started, pending):
        assert exp[int(d["condition"][r])]["done"] == (d["condition"] == d["condition"][r]).sum() - 1
    for e in exp.values():
        assert e["x"].max() <= 200
    text = (out / "status.txt").read_text()
    assert f"{R - 3} done, 1 failed, 1 started, 1 pending" in text
    assert "loss diverged (NaN) at training step 17" in text
    assert f"run {failed} ({d['agent'][failed]} on {d['env'][failed]}" in text
    s = json.loads((out / "status.json").read_text())
    assert s["counts"] == {"done": R - 3, "failed": 1, "started": 1, "pending": 1}
    assert [x["run_id"] for x in s["started"]] == [started] and s["started"][0]["rank"] == 2
    pend = [r for r in s["run_list"] if r["run_id"] == pending][0]
    assert pend["status"] == "pending" and pend["rank"] is None and pend["seconds"] is None
    assert "incomplete: 2 runs to do" in text and "--resume" in text
    assert "wrote" in p.stdout


def expected_figures(path):
    """The figure files a report of this file must hold, and the skip notes."""
    d = raw(path)
    envs = sorted(set(d["env"]))
    done = d["status"] == 1
    with h5py.File(path, "r") as f:
        G = f["traj/G"][:]
        P = f["traj/p_action"][:]
        checked = (f["efe_check/n_policies"][:] > 0).any(axis=1)
        names = f["runs/params"].dtype.names
        two = {e for e in envs if int(f[f"envs/{e}"].attrs.get("n_contexts", 1)) >= 2}
        PC = f["traj/p_context"][:] if "traj/p_context" in f else None
    files = [f"fig1_paths_{e}.png" for e in envs] + [f"fig2a_distance_{e}.png" for e in envs] + \
        ["fig2b_performance.png"] + [f"curves_{e}.png" for e in envs]
    notes = []
    for e in envs:
        mine = done & (d["env"] == e)
        if np.isfinite(P[mine]).any():
            files.append(f"fig3_action_probs_{e}.png")
        if np.isfinite(G[mine]).any():
            files.append(f"fig4_efe_{e}.png")
        if checked[mine].any():
            files.append(f"efecheck_{e}.png")
    for e in sorted(two):
        if PC is not None and np.isfinite(PC[done & (d["env"] == e)]).any():
            files.append(f"figctx_belief_{e}.png")
    if not two:
        notes.append("figctx skipped: no world with hidden contexts in this file")
    if not np.isfinite(G[done]).any():
        notes.append("fig4 skipped: no agent in this file logs EFE")
    if not checked[done].any():
        notes.append("efecheck skipped: no agent in this file checks its EFE estimates")
    # The smoke job trains every agent for one budget: no curve over budgets.
    notes.append("budgets skipped: no agent class has done runs at two or more training budgets")
    if "schedule" in names:
        files += ["heatmap_steps.png", "heatmap_success.png", "heatmap_steps.csv", "heatmap_success.csv"]
    else:
        notes.append("heatmap skipped: no `schedule` parameter column")
    return files, notes


def test_make_report_writes_every_table_and_figure(smoke_results, tmp_path):
    out = tmp_path / "report"
    p = subprocess.run(["make", "-s", "--no-print-directory", "report", f"RESULTS={smoke_results}",
                        f"OUT={out}"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stderr == ""
    figures, notes = expected_figures(smoke_results)
    expected = ["README.md", "summary.md", "summary.csv", "comparisons.csv", "status.txt", "status.json"] + figures
    # The smoke job has every agent: every figure is drawn but the curve over
    # budgets and the belief about a context (no world has contexts).
    assert len(notes) == 2 and all(n in p.stdout for n in notes)
    assert any(f.startswith("fig4_") for f in figures) and "heatmap_steps.png" in figures
    assert any(f.startswith("efecheck_") for f in figures)
    for name in expected:
        path = out / name
        assert path.is_file() and path.stat().st_size > 0, name
        if name.endswith(".png"):
            assert path.read_bytes()[:8] == PNG, name
            assert path.stat().st_size > 5000, name       # a drawn figure, not an empty canvas
        assert f"wrote {path}" in p.stdout, name
    assert sorted(os.listdir(out)) == sorted(expected)
    index = (out / "README.md").read_text()
    assert "[fig1_paths_paper4x4.png]" in index
    # The default heatmap (grid size x schedule, a panel per EFE weighting)
    # equals its cells recomputed from the raw datasets.
    rows = read_csv(out / "heatmap_steps.csv")
    exp = expected_heatmap(smoke_results, "env", "schedule", ["w_risk", "w_ambiguity"])
    assert len(rows) == len(exp) > 0
    for r in rows:
        n, mean = exp[_key(r, ["w_risk", "w_ambiguity", "x_env", "y_schedule"])]
        assert int(r["runs"]) == n and close(float(r["mean_steps"]), mean)
    # The default directory of `make report` is ./report
    assert "report: ; $(PYTHON) -m analysis report $(RESULTS) --out $(or $(OUT),report)" in \
        open(os.path.join(ROOT, "Makefile")).read()


@pytest.mark.parametrize("cmd", ["fig1", "fig2a", "fig2b", "fig3", "fig4", "efecheck", "curves", "heatmap"])
def test_each_figure_command(smoke_results, tmp_path, cmd):
    p = analysis_ok(cmd, smoke_results, "--out", tmp_path)
    prefix = {"fig2b": "fig2b_", "heatmap": "heatmap_"}.get(cmd, cmd + "_")
    files = [f for f in expected_figures(smoke_results)[0] if f.startswith(prefix)]
    assert files and sorted(os.listdir(tmp_path)) == sorted(files), p.stdout
    for name in files:
        if name.endswith(".png"):
            assert (tmp_path / name).read_bytes()[:8] == PNG


def test_figures_say_why_they_are_skipped(smoke_results, tmp_path):
    """Without a done run of an agent that logs EFE (or has a schedule), fig4
    and the heatmap are skipped, with the reason."""
    path = copy_results(smoke_results, tmp_path / "r.h5")
    d = raw(path)
    with edit_results(path) as f:
        keep = np.isin(d["agent"], ["random", "q-learning"])
        f["runs/status"][:] = np.where(keep, 1, 0).astype(np.int8)
    out = tmp_path / "o"
    p = analysis_ok("fig4", path, "--out", out)
    assert p.stdout.startswith("fig4 skipped: no agent in this file logs EFE")
    p = analysis_ok("heatmap", path, "--out", out)
    assert p.stdout.startswith("heatmap skipped: no done run has a `schedule` value")
    p = analysis_ok("efecheck", path, "--out", out)
    assert p.stdout.startswith("efecheck skipped: no agent in this file checks its EFE estimates")
    assert os.listdir(out) == []


def expected_heatmap(path, xcol, ycol, panel_cols):
    d = raw(path)
    p = d["params"]

    def val(col, r):
        if col == "env":
            return d["env"][r]
        v = p[col][r]
        return v.decode() if isinstance(v, bytes) else float(v)
    cells = {}
    for r in np.flatnonzero(d["status"] == 1):
        vals = [val(c, r) for c in panel_cols + [xcol, ycol]]
        if any(isinstance(v, float) and np.isnan(v) for v in vals[-2:]) or "" in vals[-2:]:
            continue
        cells.setdefault(tuple(vals), []).append(r)
    censored = episode_table(d)[0]
    return {k: (len(rs), censored[rs].mean()) for k, rs in cells.items()}


def _key(row, cols):
    out = []
    for c in cols:
        v = row[c]
        try:
            out.append(float(v))
        except ValueError:
            out.append(v)
    return tuple(out)


def test_heatmap_over_any_parameter(smoke_results, tmp_path):
    """The heatmap's axes can be any parameter columns: q-learning's alpha x world."""
    p = analysis_ok("heatmap", smoke_results, "--out", tmp_path, "--y", "alpha", "--panel", "none")
    assert (tmp_path / "heatmap_steps.png").read_bytes()[:8] == PNG
    assert (tmp_path / "heatmap_success.png").read_bytes()[:8] == PNG
    rows = read_csv(tmp_path / "heatmap_steps.csv")
    exp = expected_heatmap(smoke_results, "env", "alpha", [])
    assert len(rows) == len(exp) == 4        # 2 worlds x 2 alphas; only q-learning has alpha
    for r in rows:
        n, mean = exp[_key(r, ["x_env", "y_alpha"])]
        assert int(r["runs"]) == n and close(float(r["mean_steps"]), mean)
    assert "wrote" in p.stdout


EFE_JOB = """
name: efe
seed: 5
seeds: 2
train_steps: 500
eval_episodes: 4
log_episodes: 2
checkpoints: 1
curve_points: 4
environments:
  - name: det4
    size: 4
    max_steps: 40
  - name: noisy5
    size: 5
    slip: 0.1
    obs_noise: 0.2
    max_steps: 50
agents:
  - type: random
  - type: exact-aif
    params:
      horizon: 2
      w_ambiguity: [0, 1]
      preference: [oracle-distance, goal]
"""


def test_efe_figures_and_heatmap_panels(tmp_path):
    """With an agent that logs EFE (exact-aif): fig3 and fig4 for every world,
    and a heatmap over grid size x a choice parameter, a panel per weighting."""
    if not agent_known("exact-aif"):
        pytest.skip("the built aif-sweep has no exact-aif agent (make)")
    job = write_job(tmp_path, EFE_JOB)
    path = tmp_path / "efe.h5"
    run_sweep(job, path, 2, "--quiet", check=True)
    out = tmp_path / "rep"
    p = analysis_ok("report", path, "--out", out)
    for name in ("fig3_action_probs_det4.png", "fig3_action_probs_noisy5.png", "fig4_efe_det4.png",
                 "fig4_efe_noisy5.png"):
        assert (out / name).read_bytes()[:8] == PNG, name
    assert "fig4 skipped" not in p.stdout
    assert "curves skipped for det4: no agent on it trains" in p.stdout
    exp = check_summary_csv(path, out / "summary.csv")
    check_comparisons_csv(exp, out / "comparisons.csv")
    hm = tmp_path / "hm"
    analysis_ok("heatmap", path, "--out", hm, "--y", "preference", "--panel", "w_risk,w_ambiguity")
    rows = read_csv(hm / "heatmap_steps.csv")
    exp = expected_heatmap(path, "env", "preference", ["w_risk", "w_ambiguity"])
    assert len(rows) == len(exp) == 8        # 2 weightings x 2 worlds x 2 preferences
    for r in rows:
        n, mean = exp[_key(r, ["w_risk", "w_ambiguity", "x_env", "y_preference"])]
        assert int(r["runs"]) == n == 2 and close(float(r["mean_steps"]), mean)
    assert (hm / "heatmap_steps.png").stat().st_size > 5000


KILL_JOB = """
name: killme
seed: 3
seeds: 3
train_steps: 30000000
eval_episodes: 4
log_episodes: 1
checkpoints: 1
curve_points: 4
environments:
  - name: w
    size: 6
    slip: 0.1
    max_steps: 80
agents:
  - type: q-learning
    params:
      alpha: [0.1, 0.3]
"""


def test_status_of_a_sweep_running_then_killed(tmp_path):
    job = write_job(tmp_path, KILL_JOB)
    path = tmp_path / "k.h5"
    proc = subprocess.Popen(sweep_cmd(job, path, 3, "--progress", "0"), cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        seen, live = [], None
        t0 = time.time()
        while time.time() - t0 < 120:
            line = proc.stderr.readline()
            if not line:
                break
            seen.append(line)
            m = re.search(r"(\d+)/(\d+) runs done", line)
            if m and live is None:
                # While the sweep writes the file: status reads it (no file locks).
                live = analysis("status", path, "--json")
            if m and int(m.group(1)) >= 2:
                break
        assert live is not None and live.returncode == 0, (seen, live and live.stderr)
        assert json.loads(live.stdout)["runs"] == 6
    finally:
        for p in [proc.pid] + descendants(proc.pid):
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait()
    time.sleep(0.3)
    with h5py.File(path, "r") as f:
        st = f["runs/status"][:]
        cond = f["runs/params"]["condition"][:]
        rank = f["runs/rank"][:]
    assert (st == 1).sum() >= 2 and (st == 3).any() and (st != 1).any(), st
    s = json.loads(analysis_ok("status", path, "--json", "--runs").stdout)
    assert s["counts"] == {"done": int((st == 1).sum()), "failed": int((st == 2).sum()),
                           "started": int((st == 3).sum()), "pending": int((st == 0).sum())}
    assert not s["complete"]
    for c in s["conditions"]:
        mine = st[cond == c["condition"]]
        assert (c["done"], c["failed"], c["started"], c["pending"]) == \
            tuple(int((mine == k).sum()) for k in (1, 2, 3, 0))
    assert sorted(d["run_id"] for d in s["started"]) == list(np.flatnonzero(st == 3))
    for d in s["started"]:
        assert d["rank"] == rank[d["run_id"]] and d["rank"] in (1, 2)
    by_rank = {d["rank"]: d for d in s["ranks"]}
    for k in (1, 2):
        mine = (rank == k) & (st != 0)
        assert by_rank[k]["done"] == int((mine & (st == 1)).sum())
        assert by_rank[k]["started"] == int((mine & (st == 3)).sum())
    for r in s["run_list"]:
        if st[r["run_id"]] == 1:
            assert r["seconds"] > 0 and r["rank"] in (1, 2)
        else:
            assert r["seconds"] is None
    text = analysis_ok("status", path).stdout
    assert (f"{int((st == 1).sum())} done, 0 failed, {int((st == 3).sum())} started, "
            f"{int((st == 0).sum())} pending") in text
    assert "interrupted by a kill" in text
    # The other commands work on the partial file: only done runs are read.
    out = tmp_path / "rep"
    analysis_ok("report", path, "--out", out)
    rows = read_csv(out / "summary.csv")
    assert sum(int(r["done"]) for r in rows) == int((st == 1).sum())


def test_a_file_with_no_done_run(smoke_results, tmp_path):
    path = copy_results(smoke_results, tmp_path / "r.h5")
    with edit_results(path) as f:
        f["runs/status"][:] = 0
    out = tmp_path / "rep"
    p = analysis_ok("report", path, "--out", out)
    assert "No run is done yet" in (out / "summary.md").read_text()
    for fig in ("fig1", "fig2a", "fig2b", "fig3", "fig4", "efecheck", "curves", "budgets", "heatmap"):
        assert f"{fig} skipped: no run is done yet" in p.stdout
    assert not list(out.glob("*.png"))
    R = len(raw(path)["status"])
    assert f"0 done, 0 failed, 0 started, {R} pending" in (out / "status.txt").read_text()


def test_files_that_are_not_results(tmp_path):
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not hdf5 at all")
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = 1
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f.attrs["format"] = "something-else"
    damaged = tmp_path / "damaged.h5"
    with h5py.File(damaged, "w") as f:
        f.attrs["format"] = "aifsweep-results"
        f["runs/status"] = np.zeros(3, np.int8)
    (tmp_path / "half.h5.partial").write_bytes(b"x")
    cases = [
        (tmp_path / "missing.h5", "missing.h5: no such file"),
        (tmp_path / "half.h5", "half.h5.partial exists"),
        (junk, "junk.h5: not an HDF5 file"),
        (foreign, "foreign.h5: not an aifsweep results file (no root attribute format"),
        (other, "not an aifsweep results file (its format attribute is \"something-else\""),
        (damaged, "damaged results file: /runs/params is missing"),
        (tmp_path, "is a directory"),
    ]
    for path, msg in cases:
        for cmd in ("summary", "status", "report", "fig1"):
            p = analysis(cmd, path, *(["--out", tmp_path / "o"] if cmd in ("report", "fig1") else []))
            assert p.returncode == 2, (cmd, path, p.stderr)
            lines = p.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("analysis: ") and msg in lines[0], (cmd, lines)
            assert p.stdout == ""
    assert not (tmp_path / "o").exists()
    p = analysis("nonsense", junk)
    assert p.returncode == 2 and "invalid choice" in p.stderr


def test_status_times_runs_by_agent_and_world(smoke_results):
    """The sizing table: per (agent, world), the mean over done runs of their
    wall time (t_end - t_start), as the run rows hold them."""
    s = json.loads(analysis_ok("status", smoke_results, "--json").stdout)
    d = raw(smoke_results)
    with h5py.File(smoke_results, "r") as f:
        p = f["runs/params"][:]
        dur = f["runs/t_end"][:] - f["runs/t_start"][:]
        agent = np.array([x.decode() for x in p["agent"]])
        env = np.array([x.decode() for x in p["env"]])
    done = d["status"] == 1
    assert s["timing"]
    for t in s["timing"]:
        sel = done & (agent == t["agent"]) & (env == t["env"])
        assert t["runs"] == sel.sum() > 0
        assert abs(t["mean_seconds"] - dur[sel].mean()) < 1e-9 * max(1.0, dur[sel].mean())
    text = analysis_ok("status", smoke_results).stdout
    assert "time per run by agent and world" in text
