"""The figures (PNG, matplotlib's Agg backend).

Each figure function takes (res, out_dir, opt) and returns (paths, notes):
the files it wrote and one line for everything it skipped and why.  Only
done runs are read.  Figures that compare agents draw one *series* per
condition of the world, or, when a world has more than opt.max_series
conditions, one per agent entry with its conditions pooled (and say so).

  fig1     the world with logged paths, observability shaded (paper Fig. 1)
  fig2a    distance to goal over time per series (paper Fig. 2a)
  fig2b    steps to goal per series, box + violin (paper Fig. 2b)
  fig3     action probabilities over one logged episode (paper Fig. 3)
  fig4     EFE, risk and ambiguity per action over one episode (paper Fig. 4)
  figctx   the belief about the hidden context over logged episodes (worlds with two contexts)
  efecheck the agent's EFE estimates against the exact EFE (/efe_check)
  curves   learning curves over training (training episodes, /train/curve_*)
  budgets  success and steps to goal of the evaluation against the training budget,
           from separate sets of runs (agent entries that differ in train_steps)
  heatmap  a sweep's mean steps (or success) over grid size x noise schedule,
           one panel per EFE weighting (any parameter columns can be chosen)
"""
import csv
import itertools
import math
import os
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import scipy.optimize  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from . import budgets as budget_data  # noqa: E402
from . import episodes  # noqa: E402
from .results import ACTIONS, fmt_value  # noqa: E402

# Greys without its darkest quarter, so paths stay visible on the noisiest cells.
NOISE_CMAP = matplotlib.colors.LinearSegmentedColormap.from_list(
    "noise", plt.cm.Greys(np.linspace(0.0, 0.72, 256)))
ACTION_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#7f7f7f"]


@dataclass
class Options:
    max_series: int = 8        # above this many conditions in a world, pool by agent
    paths: int = 3             # logged episodes drawn per panel in fig1
    max_episodes: int = 500    # logged episodes read per series for fig2a
    dpi: int = 120
    metric: str = "steps"      # heatmap: steps or success
    x: str = "grid"            # heatmap axes and panels (parameter columns, or grid)
    y: str = "schedule"
    panel: list = field(default_factory=lambda: ["w_risk", "w_ambiguity"])
    resamples: int = 10000     # bootstrap resamples of the budgets figure's bands


@dataclass
class Series:
    label: str
    runs: np.ndarray          # done run ids
    conds: list


def series_for_env(res, env, opt):
    """(series, note): one per condition with done runs, or per agent if too many."""
    conds = [c for c in res.conditions_in(env) if len(c.done)]
    if len(conds) <= opt.max_series:
        return [Series(c.label, c.done, [c]) for c in conds], None
    by_agent = {}
    for c in conds:
        by_agent.setdefault(c.agent, []).append(c)
    out = []
    for agent, cs in by_agent.items():
        runs = np.sort(np.concatenate([c.done for c in cs]))
        out.append(Series(agent + (f" ({len(cs)} conditions pooled)" if len(cs) > 1 else ""), runs, cs))
    return out[:opt.max_series], (f"{env}: {len(conds)} conditions, more than --max-series {opt.max_series}: "
                                  f"one series per agent, conditions pooled")


def _save(fig, out_dir, name, opt):
    path = os.path.join(out_dir, name)
    fig.savefig(path, dpi=opt.dpi, bbox_inches="tight")
    plt.close(fig)
    return path


def _grid(n, width=3.4, height=3.4, max_cols=3):
    cols = min(n, max_cols)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False,
                             layout="constrained")
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, axes.ravel()[:n]


def _no_done(res, what):
    if len(res.done_runs()) == 0:
        return [f"{what} skipped: no run is done yet"]
    return None


def _has_traj(res):
    return res.has("traj/pos") and res.f["traj/pos"].ndim == 3 and res.f["traj/pos"].shape[1] > 0


# -- fig1: the world and paths ------------------------------------------------------
def draw_world(ax, env):
    """Cells shaded by 1 - eta (darker: a wrong observation is more likely);
    walls black, holes blue, S and G marked.  Returns the image (for a colorbar)."""
    noise = np.where(env.cells == "#", np.nan, 1.0 - env.eta)
    im = ax.imshow(noise, cmap=NOISE_CMAP, vmin=0.0, vmax=1.0, origin="upper",
                   extent=(-0.5, env.cols - 0.5, env.rows - 0.5, -0.5))
    for (r, c), kind in np.ndenumerate(env.cells):
        if kind == "#":
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, color="black"))
        elif kind == "H":
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, color="#4a78b5", alpha=0.8))
    sr, sc = divmod(env.start, env.cols)
    ax.text(sc, sr, "S", ha="center", va="center", fontsize=11, fontweight="bold", color="#2a7a2a")
    for k, goal in enumerate(env.context_goals):
        gr, gc = divmod(goal, env.cols)
        ax.plot(gc, gr, marker="*", markersize=18, color="gold", markeredgecolor="black", zorder=5)
        if env.n_contexts > 1:  # each context's goal numbered as in the map (docs/contexts.md)
            ax.text(gc + 0.3, gr - 0.3, str(k + 1), ha="center", va="center", fontsize=9, fontweight="bold", zorder=6)
    for (r, c), kind in np.ndenumerate(env.cells):
        if kind == "C":
            ax.text(c, r, "C", ha="center", va="center", fontsize=11, fontweight="bold", color="#a0522d")
    ax.set_xticks(np.arange(-0.5, env.cols, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, env.rows, 1), minor=True)
    ax.grid(which="minor", color="#bbbbbb", linewidth=0.5)
    ax.tick_params(which="both", length=0, labelsize=7)
    ax.set_xlim(-0.5, env.cols - 0.5)
    ax.set_ylim(env.rows - 0.5, -0.5)
    step = max(1, env.cols // 8)
    ax.set_xticks(range(0, env.cols, step))
    ax.set_yticks(range(0, env.rows, max(1, env.rows // 8)))
    return im


def fig1(res, out_dir, opt):
    notes = _no_done(res, "fig1")
    if notes:
        return [], notes
    if not _has_traj(res):
        return [], ["fig1 skipped: no trajectories are logged in this file (log_episodes is 0)"]
    paths, notes = [], []
    for env_name in res.env_names():
        env = res.envs[env_name]
        series, note = series_for_env(res, env_name, opt)
        if note:
            notes.append("fig1: " + note)
        if not series:
            notes.append(f"fig1 skipped for {env_name}: no done run on it")
            continue
        fig, axes = _grid(len(series), width=3.6 * max(1.0, env.cols / max(env.rows, 1)) ** 0.5)
        K = res.f["traj/pos"].shape[1]
        im = None
        for ax, s in zip(axes, series):
            im = draw_world(ax, env)
            runs = s.runs[:max(1, math.ceil(opt.paths / K))]
            pos = res.rows("traj/pos", runs)
            length = res.rows("traj/length", runs)
            succ = res.rows("eval/success", runs)
            ctx = res.rows("eval/context", runs) if env.n_contexts > 1 and res.has("eval/context") else None
            n = 0
            rng = np.random.default_rng(0)
            for i, r in enumerate(runs):
                for k in range(K):
                    if n >= opt.paths:
                        break
                    L = int(length[i, k])
                    p = pos[i, k, :L + 1]
                    p = p[p >= 0]
                    if p.size == 0:
                        continue
                    rr, cc = np.divmod(p, env.cols)
                    off = rng.uniform(-0.18, 0.18, 2)
                    color = plt.cm.tab10(n % 10)
                    ok = bool(succ[i, k])
                    which = f" (context {int(ctx[i, k]) + 1})" if ctx is not None else ""
                    ax.plot(cc + off[0], rr + off[1], "-", color=color, linewidth=1.6, alpha=0.85,
                            label=f"run {r} ep {k}{which}: {L} steps" + ("" if ok else " (missed)"))
                    ax.plot(cc[-1] + off[0], rr[-1] + off[1], "o" if ok else "X", color=color, markersize=5)
                    n += 1
            ax.set_title(s.label, fontsize=9)
            if n:
                ax.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.06), framealpha=0.85)
        if im is not None:
            cb = fig.colorbar(im, ax=list(axes), shrink=0.7, pad=0.02)
            cb.set_label("1 − η: probability of a wrong observation", fontsize=8)
        fig.suptitle(f"{env_name} ({env.describe()}): logged evaluation paths", fontsize=10)
        paths.append(_save(fig, out_dir, f"fig1_paths_{env_name}.png", opt))
    return paths, notes


# -- fig2a: distance to goal over time ----------------------------------------------
def distance_series(res, env, runs, max_episodes):
    """[episodes, T+1] shortest-path distance to the goal along each logged
    episode, held at its last value after the episode ended."""
    pos = res.rows("traj/pos", runs)
    length = res.rows("traj/length", runs)
    D = env.dist.ravel().astype(float)
    D[D < 0] = np.nan
    T1 = pos.shape[2]
    out = []
    for i in range(len(runs)):
        for k in range(pos.shape[1]):
            L = int(length[i, k])
            p = pos[i, k, :L + 1]
            d = np.full(T1, np.nan)
            valid = p >= 0
            d[:L + 1][valid] = D[p[valid]]
            last = np.nan
            for t in range(T1):           # forward fill (after the end, into holes)
                if np.isnan(d[t]):
                    d[t] = last
                else:
                    last = d[t]
            out.append(d)
            if len(out) >= max_episodes:
                return np.array(out), True
    return np.array(out), False


def fig2a(res, out_dir, opt):
    notes = _no_done(res, "fig2a")
    if notes:
        return [], notes
    if not _has_traj(res):
        return [], ["fig2a skipped: no trajectories are logged in this file (log_episodes is 0)"]
    paths, notes = [], []
    for env_name in res.env_names():
        env = res.envs[env_name]
        if env.n_contexts > 1:
            notes.append(f"fig2a: {env_name} skipped: its goal depends on the episode's hidden context "
                         "(the distance to one goal would mislead)")
            continue
        series, note = series_for_env(res, env_name, opt)
        if note:
            notes.append("fig2a: " + note)
        if not series:
            continue
        fig, ax = plt.subplots(figsize=(6.4, 4.0))
        tmax = 1
        for j, s in enumerate(series):
            d, cut = distance_series(res, env, s.runs, opt.max_episodes)
            if cut:
                notes.append(f"fig2a: {env_name}: {s.label}: the first {opt.max_episodes} logged episodes only")
            if d.size == 0:
                continue
            L = res.rows("traj/length", s.runs).ravel()
            tmax = max(tmax, int(L.max()) + 1)
            t = np.arange(d.shape[1])
            with np.errstate(all="ignore"):
                mean = np.nanmean(d, axis=0)
                lo, hi = np.nanpercentile(d, 25, axis=0), np.nanpercentile(d, 75, axis=0)
            color = plt.cm.tab10(j % 10)
            ax.plot(t, mean, color=color, label=f"{s.label} ({d.shape[0]} episodes)")
            ax.fill_between(t, lo, hi, color=color, alpha=0.15, linewidth=0)
        ax.set_xlim(0, tmax)
        ax.set_ylim(bottom=0)
        ax.set_xlabel("time step")
        ax.set_ylabel("shortest-path distance to goal")
        ax.set_title(f"{env_name} ({env.describe()})\nmean over logged episodes, band: 25–75%", fontsize=9)
        ax.legend(fontsize=7)
        paths.append(_save(fig, out_dir, f"fig2a_distance_{env_name}.png", opt))
    return paths, notes


# -- fig2b: performance comparison -------------------------------------------------
def fig2b(res, out_dir, opt):
    notes = _no_done(res, "fig2b")
    if notes:
        return [], notes
    notes = []
    envs = [e for e in res.env_names() if any(len(c.done) for c in res.conditions_in(e))]
    ep = episodes.load(res)
    steps, success = ep.censored, ep.success
    most = max(len(series_for_env(res, e, opt)[0]) for e in envs) if envs else 1
    fig, axes = _grid(len(envs), width=max(3.6, 1.3 * most), height=4.2, max_cols=2)
    for ax, env_name in zip(axes, envs):
        env = res.envs[env_name]
        series, note = series_for_env(res, env_name, opt)
        if note:
            notes.append("fig2b: " + note)
        data = [steps[s.runs].ravel().astype(float) for s in series]
        pos = np.arange(1, len(series) + 1)
        for i, x in enumerate(data):
            if x.size > 1 and np.ptp(x) > 0:
                v = ax.violinplot([x], positions=[pos[i]], widths=0.8, showextrema=False)
                for b in v["bodies"]:
                    b.set_facecolor(plt.cm.tab10(i % 10))
                    b.set_alpha(0.3)
        ax.boxplot(data, positions=pos, widths=0.25, showfliers=True, flierprops={"markersize": 2})
        top = max([float(x.max()) for x in data if x.size] + [1.0])
        for i, s in enumerate(series):
            sr = success[s.runs].mean() if len(s.runs) else math.nan
            ax.text(pos[i], top * 1.04, f"{100 * sr:.0f}%", ha="center", fontsize=7)
        opt_steps = env.dist.ravel()[env.start] if 0 <= env.start < env.dist.size else -1
        if opt_steps > 0:
            ax.axhline(opt_steps, linestyle="--", color="green", linewidth=0.8, label="shortest path")
            ax.legend(fontsize=7, loc="center right")
        ax.set_xticks(pos)
        ax.set_xticklabels([s.label for s in series], rotation=30, ha="right", fontsize=7)
        ax.set_ylim(0, top * 1.12)
        ax.set_ylabel("steps to goal (failed: max_steps)")
        ax.set_title(f"{env_name} ({env.size}); top: success rate", fontsize=9)
    fig.suptitle("Evaluation episodes of done runs", fontsize=10)
    return [_save(fig, out_dir, "fig2b_performance.png", opt)], notes


# -- fig3 / fig4: per-decision logs ------------------------------------------------------
def _first_logged(res, s, dataset, n_actions):
    """(run, episode, values[L, n_actions], actions[L]) of the first logged
    episode of the series whose `dataset` is finite, or None."""
    if not _has_traj(res) or not res.has(dataset):
        return None
    for r in s.runs[:4]:
        L = res.rows("traj/length", [r])[0]
        v = res.rows(dataset, [r])[0]
        a = res.rows("traj/action", [r])[0]
        for k in range(len(L)):
            n = int(L[k])
            x = v[k, :n, :n_actions]
            if n > 0 and np.isfinite(x).any():
                return int(r), k, x.astype(float), a[k, :n]
    return None


def fig3(res, out_dir, opt):
    notes = _no_done(res, "fig3")
    if notes:
        return [], notes
    if not _has_traj(res):
        return [], ["fig3 skipped: no trajectories are logged in this file (log_episodes is 0)"]
    paths, notes, any_agent = [], [], False
    for env_name in res.env_names():
        env = res.envs[env_name]
        series, note = series_for_env(res, env_name, opt)
        rows = [(s, _first_logged(res, s, "traj/p_action", env.n_actions)) for s in series]
        rows = [(s, x) for s, x in rows if x is not None]
        if not rows:
            continue
        any_agent = True
        fig, axes = plt.subplots(len(rows), 1, figsize=(7.0, 2.4 * len(rows)), squeeze=False,
                                 layout="constrained")
        for ax, (s, (r, k, p, a)) in zip(axes[:, 0], rows):
            t = np.arange(p.shape[0])
            for j in range(env.n_actions):
                ax.plot(t, p[:, j], color=ACTION_COLORS[j], label=f"P({ACTIONS[j]})", linewidth=1.3)
            ok = a >= 0
            ax.scatter(t[ok], np.full(ok.sum(), 1.06), c=[ACTION_COLORS[int(x)] for x in a[ok]], s=10,
                       marker="v", clip_on=False)
            ax.set_ylim(0, 1.1)
            ax.set_ylabel("probability")
            ax.set_title(f"{s.label}: run {r} (seed {res.seed[r]}), episode {k}; ▼ chosen action", fontsize=8,
                         pad=9)
            ax.legend(fontsize=6, ncol=env.n_actions, loc="center right")
        axes[-1, 0].set_xlabel("decision (time step)")
        fig.suptitle(f"{env_name}: action probabilities over time", fontsize=10)
        paths.append(_save(fig, out_dir, f"fig3_action_probs_{env_name}.png", opt))
        if note:
            notes.append("fig3: " + note)
    if not any_agent:
        notes.append("fig3 skipped: no agent in this file logs action probabilities (/traj/p_action is NaN "
                     "for every done run; q-learning does not log them)")
    return paths, notes


def fig4(res, out_dir, opt):
    notes = _no_done(res, "fig4")
    if notes:
        return [], notes
    if not _has_traj(res):
        return [], ["fig4 skipped: no trajectories are logged in this file (log_episodes is 0)"]
    paths, notes, any_agent = [], [], False
    parts = [("traj/G", "G (expected free energy)"), ("traj/risk", "risk"), ("traj/ambiguity", "ambiguity")]
    for env_name in res.env_names():
        env = res.envs[env_name]
        series, note = series_for_env(res, env_name, opt)
        rows = [(s, _first_logged(res, s, "traj/G", env.n_actions)) for s in series]
        rows = [(s, x) for s, x in rows if x is not None]
        if not rows:
            continue
        any_agent = True
        fig, axes = plt.subplots(len(rows), 3, figsize=(13.0, 2.6 * len(rows)), squeeze=False,
                                 layout="constrained")
        for i, (s, (r, k, _, a)) in enumerate(rows):
            n = len(a)
            for j, (ds, title) in enumerate(parts):
                ax = axes[i, j]
                if not res.has(ds):
                    ax.set_visible(False)
                    continue
                v = res.rows(ds, [r])[0][k, :n, :env.n_actions].astype(float)
                t = np.arange(n)
                for q in range(env.n_actions):
                    ax.plot(t, v[:, q], color=ACTION_COLORS[q], label=ACTIONS[q], linewidth=1.2)
                ax.set_title(f"{title}" + (f" — {s.label}, run {r}, ep {k}" if j == 0 else ""), fontsize=8)
                ax.set_ylabel("nats", fontsize=8)
                if i == len(rows) - 1:
                    ax.set_xlabel("decision (time step)")
            axes[i, 0].legend(fontsize=6, ncol=env.n_actions)
        fig.suptitle(f"{env_name}: EFE of each first action over time, and its parts", fontsize=10)
        paths.append(_save(fig, out_dir, f"fig4_efe_{env_name}.png", opt))
        if note:
            notes.append("fig4: " + note)
    if not any_agent:
        notes.append("fig4 skipped: no agent in this file logs EFE (/traj/G is NaN for every done run; "
                     "random and q-learning have none, exact-aif and diffusion-aif log it)")
    return paths, notes


# -- EFE estimates against the exact EFE ---------------------------------------------
def efecheck(res, out_dir, opt):
    notes = _no_done(res, "efecheck")
    if notes:
        return [], notes
    if not res.has("efe_check/G_estimate"):
        return [], ["efecheck skipped: this file has no /efe_check (made by an older aif-sweep)"]
    paths, notes, any_agent = [], [], False
    for env_name in res.env_names():
        series, note = series_for_env(res, env_name, opt)
        rows = []
        for s in series:
            n = res.rows("efe_check/n_policies", s.runs)
            if not (n > 0).any():
                continue
            est = res.rows("efe_check/G_estimate", s.runs).astype(float)
            exa = res.rows("efe_check/G_exact", s.runs).astype(float)
            xs, ys = [], []
            for i, d in zip(*np.nonzero(n > 0)):
                k = int(n[i, d])
                e, x = est[i, d, :k], exa[i, d, :k]
                ok = np.isfinite(e) & np.isfinite(x)
                if ok.sum() >= 2:     # centred per decision: a common offset does not change P(pi)
                    xs.append(x[ok] - x[ok].mean())
                    ys.append(e[ok] - e[ok].mean())
            rho = res.rows("efe_check/spearman", s.runs).astype(float)[n > 0]
            if xs:
                rows.append((s, np.concatenate(xs), np.concatenate(ys), rho[np.isfinite(rho)], len(xs)))
        if not rows:
            continue
        any_agent = True
        fig, axes = plt.subplots(len(rows), 2, figsize=(9.0, 3.4 * len(rows)), squeeze=False, layout="constrained")
        for (s, x, y, rho, nd), (a0, a1) in zip(rows, axes):
            a0.scatter(x, y, s=6, alpha=0.4)
            lim = np.nanmax(np.abs(np.concatenate([x, y]))) * 1.05 or 1.0
            a0.plot([-lim, lim], [-lim, lim], "--", color="grey", linewidth=0.8)
            a0.set_xlabel("exact G (centred per decision), nats", fontsize=8)
            a0.set_ylabel("estimated G (centred), nats", fontsize=8)
            a0.set_title(f"{s.label}: {nd} checked decisions", fontsize=8)
            if rho.size:
                a1.hist(rho, bins=np.linspace(-1, 1, 21), color="#4a78b5")
                a1.axvline(np.median(rho), color="black", linewidth=1, label=f"median {np.median(rho):.2f}")
                a1.legend(fontsize=7)
            a1.set_xlabel("Spearman correlation per decision", fontsize=8)
            a1.set_ylabel("decisions", fontsize=8)
        fig.suptitle(f"{env_name}: the agent's EFE estimates against the exact EFE of the same policies",
                     fontsize=10)
        paths.append(_save(fig, out_dir, f"efecheck_{env_name}.png", opt))
        if note:
            notes.append("efecheck: " + note)
    if not any_agent:
        notes.append("efecheck skipped: no agent in this file checks its EFE estimates against the exact EFE "
                     "(/efe_check is empty; diffusion-aif fills it)")
    return paths, notes


# -- learning curves ----------------------------------------------------------------------
def curves(res, out_dir, opt):
    notes = _no_done(res, "curves")
    if notes:
        return [], notes
    if not res.has("train/curve_steps") or res.f["train/curve_steps"].shape[1] == 0:
        return [], ["curves skipped: no learning curves in this file"]
    paths, notes = [], []
    C = res.f["train/curve_steps"].shape[1]
    for env_name in res.env_names():
        series, note = series_for_env(res, env_name, opt)
        drawn = []
        for j, s in enumerate(series):
            cs = res.rows("train/curve_steps", s.runs).astype(float)
            cc = res.rows("train/curve_success", s.runs).astype(float)
            if np.isfinite(cs).any():
                budget = res.rows("runs/train_steps", s.runs).max() if res.has("runs/train_steps") else 0
                drawn.append((j, s, cs, cc, float(budget)))
        if not drawn:
            notes.append(f"curves skipped for {env_name}: no agent on it trains (all curves are NaN)")
            continue
        if note:
            notes.append("curves: " + note)
        fig, axes = plt.subplots(1, 2, figsize=(11.0, 3.8))
        for j, s, cs, cc, budget in drawn:
            frac = (np.arange(C) + 1.0) / C
            x = frac * budget if budget > 0 else frac
            color = plt.cm.tab10(j % 10)
            with np.errstate(all="ignore"), _quiet():
                for ax, y in ((axes[0], cs), (axes[1], cc)):
                    m = np.nanmean(y, axis=0)
                    sd = np.nanstd(y, axis=0)
                    ax.plot(x, m, "-o", markersize=3, color=color, label=f"{s.label} ({len(s.runs)} runs)")
                    if y.shape[0] > 1:
                        ax.fill_between(x, m - sd, m + sd, color=color, alpha=0.12, linewidth=0)
        budgets = {b > 0 for *_, b in drawn}
        xl = "environment steps of training (end of bin)" if budgets == {True} else "fraction of training budget"
        axes[0].set_ylabel("mean steps of training episodes")
        axes[1].set_ylabel("success rate of training episodes")
        axes[1].set_ylim(-0.02, 1.02)
        for ax in axes:
            ax.set_xlabel(xl)
        axes[0].legend(fontsize=7)
        fig.suptitle(f"{env_name}: learning curves (mean ± sd over runs)", fontsize=10)
        paths.append(_save(fig, out_dir, f"curves_{env_name}.png", opt))
    return paths, notes


# -- evaluation at training budgets ----------------------------------------------------------
def budgets(res, out_dir, opt):
    """Success rate and censored steps to goal against the training budget, one curve per
    agent class and parameter values, from separate sets of runs (analysis/budgets.py)."""
    notes = _no_done(res, "budgets")
    if notes:
        return [], notes
    try:
        curves_ = budget_data.curves(res, opt.resamples)
    except budget_data.Skip as e:
        return [], [str(e)]
    notes = []
    if not budget_data.has_curve(curves_):
        return [], ["budgets skipped: no agent class has done runs at two or more training budgets on one "
                    "world (give agent entries of the same type different train_steps)"]
    csv_path = os.path.join(out_dir, "budgets.csv")
    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(budget_data.COLUMNS)
        for row in budget_data.rows(curves_):
            w.writerow(["" if isinstance(row[k], float) and math.isnan(row[k]) else
                        (repr(row[k]) if isinstance(row[k], float) else row[k]) for k in budget_data.COLUMNS])
    paths = []
    for env_name in res.env_names():
        mine = [cv for cv in curves_ if cv.env == env_name]
        if not any(len(cv.points) >= 2 for cv in mine):
            continue
        if len(mine) > opt.max_series:
            notes.append(f"budgets: {env_name}: {len(mine)} curves, more than --max-series {opt.max_series}: "
                         f"the first {opt.max_series} drawn (all in budgets.csv)")
        paths.append(_budget_figure(res.envs[env_name], mine[:opt.max_series], out_dir, opt))
    return paths + [csv_path], notes


def _budget_figure(env, curves_, out_dir, opt):
    fig, axes = plt.subplots(1, 2, figsize=(11.0, 3.9), layout="constrained")
    xs = [p.budget for cv in curves_ for p in cv.points]
    dodge = 0
    for j, cv in enumerate(curves_):
        color = plt.cm.tab10(j % 10)
        x = np.array([p.budget for p in cv.points], dtype=float)
        seeds = sorted({p.stats["seeds"] for p in cv.points})
        label = f"{cv.label} ({'/'.join(map(str, seeds))} seeds)"
        for ax, key in ((axes[0], "steps"), (axes[1], "success")):
            m = np.array([p.stats["mean_steps" if key == "steps" else "success_rate"] for p in cv.points])
            lo = np.array([p.stats[f"{key}_ci_lo"] for p in cv.points], dtype=float)
            hi = np.array([p.stats[f"{key}_ci_hi"] for p in cv.points], dtype=float)
            if len(x) >= 2:
                ax.plot(x, m, "-o", markersize=3.5, color=color, label=label)
                ax.fill_between(x, lo, hi, color=color, alpha=0.15, linewidth=0)
            else:                       # one budget only: a point with its interval, dodged sideways
                err = np.nan_to_num(np.vstack([m - lo, hi - m]))
                ax.errorbar(x * 1.03 ** dodge, m, yerr=err, fmt="s", color=color, markersize=4, capsize=3,
                            label=label + ", one budget")
        dodge += len(x) < 2
    ticks = sorted(set(xs))
    for ax in axes:
        if min(xs) > 0 and max(xs) >= 10 * min(xs):
            ax.set_xscale("log")
        ax.set_xticks(ticks, [f"{b:,}" for b in ticks], fontsize=7)
        ax.minorticks_off()
    if env.n_contexts > 1 and np.isfinite(env.optimal_route):
        axes[0].axhline(env.optimal_route, linestyle="--", color="green", linewidth=0.8,
                        label=f"optimal {env.route_words} ({env.optimal_route:.2f})")
    elif env.n_contexts <= 1 and env.optimal_steps > 0:
        axes[0].axhline(env.optimal_steps, linestyle="--", color="green", linewidth=0.8,
                        label=f"BFS optimal ({env.optimal_steps})")
    axes[0].axhline(env.max_steps, linestyle=":", color="grey", linewidth=0.8,
                    label=f"max_steps ({env.max_steps})")
    axes[0].set_ylim(0, env.max_steps * 1.05)
    axes[0].set_ylabel("steps to goal (failed: max_steps)")
    axes[1].set_ylim(-0.02, 1.02)
    axes[1].set_ylabel("success rate")
    for ax in axes:
        ax.set_xlabel("training budget (environment steps)")
    axes[0].legend(fontsize=7)
    fig.suptitle(f"{env.name} ({env.describe()}): evaluation after each training budget\n"
                 f"mean over seeds, band: 95% percentile bootstrap over seeds", fontsize=10)
    return _save(fig, out_dir, f"budgets_{env.name}.png", opt)


class _quiet:
    def __enter__(self):
        import warnings
        self.w = warnings.catch_warnings()
        self.w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *a):
        self.w.__exit__(*a)


# -- sweep heatmap -----------------------------------------------------------------------------
def _column(res, name):
    """Values of a parameter column per run (str or float; '' / NaN: n/a)."""
    col = res.params[name]
    if col.dtype.kind in "SUO":
        return np.array([x.decode() if isinstance(x, bytes) else str(x) for x in col], dtype=object)
    return np.asarray(col, dtype=float)


def _applies(v):
    return (v != "") if isinstance(v, str) else not (isinstance(v, float) and math.isnan(v))


def _order(values):
    """Numbers ascending; strings in the order of the run table (the job's)."""
    seen = list(dict.fromkeys(values))
    if all(isinstance(v, float) for v in seen):
        return sorted(seen)
    return seen


def heatmap_table(res, opt):
    """(cells, xs, ys, panels, notes) or raises _Skip.  A cell pools every
    evaluation episode of the done runs with those x, y and panel values."""
    names = set(res.param_names)
    for axis in (opt.x, opt.y):
        if axis not in ("grid", "env") and axis not in names:
            hint = " (noise schedules are a diffusion-aif parameter)" if axis == "schedule" else ""
            raise _Skip(f"heatmap skipped: no `{axis}` parameter column in this file{hint}; "
                        f"parameter columns: {', '.join(res.param_names) or 'none'}")
    notes = []
    panel_cols = [p for p in opt.panel if p in names]
    missing = [p for p in opt.panel if p not in names]
    if missing:
        notes.append(f"heatmap: no {', '.join('`' + m + '`' for m in missing)} column: "
                     + ("one panel" if not panel_cols else "panels by " + ", ".join(panel_cols)))
    done = res.done_runs()
    env_col = np.array([res.env[r] for r in range(res.n_runs)], dtype=object)

    def axis_values(axis):
        if axis in ("grid", "env"):
            return env_col
        return _column(res, axis)
    xv, yv = axis_values(opt.x), axis_values(opt.y)
    pv = [np.array(["n/a" if not _applies(v) else v for v in _column(res, p)], dtype=object)
          for p in panel_cols]
    runs = [r for r in done if _applies(xv[r]) and _applies(yv[r])]
    if not runs:
        raise _Skip(f"heatmap skipped: no done run has a `{opt.y}` value" if opt.y not in ("grid", "env")
                    else "heatmap skipped: no done run with the chosen axes")
    if opt.x in ("grid", "env"):
        envs = sorted({xv[r] for r in runs}, key=lambda n: (res.envs[n].rows * res.envs[n].cols,
                                                            int(res.envs[n].attrs.get("index", 0))))
        xs = envs
    else:
        xs = _order([xv[r] for r in runs])
    ys = _order([yv[r] for r in runs])
    panels = list(dict.fromkeys(tuple(p[r] for p in pv) for r in runs))
    panels = sorted(panels, key=lambda t: tuple((0, v) if isinstance(v, float) else (1, str(v)) for v in t))
    ep = episodes.load(res)
    steps, success = ep.censored, ep.success
    cells = {}
    for r in runs:
        key = (tuple(p[r] for p in pv), xv[r], yv[r])
        cells.setdefault(key, []).append(r)
    table = []
    pooled = set()
    for (pkey, x, y), rs in cells.items():
        rs = np.array(sorted(rs))
        conds = sorted({int(res.condition[r]) for r in rs})
        if len(conds) > 1:
            base = res.by_id[conds[0]]
            for c in conds[1:]:
                other = res.by_id[c]
                if other.agent != base.agent:
                    pooled.add("agent")
                for k in set(base.params) | set(other.params):
                    if k not in (opt.x, opt.y, *panel_cols) and base.params.get(k) != other.params.get(k):
                        pooled.add(k)
        value = float(steps[rs].mean()) if opt.metric == "steps" else float(success[rs].mean())
        table.append({"panel": pkey, "x": x, "y": y, "runs": len(rs), "conditions": len(conds),
                      "samples": int(steps[rs].size), "value": value})
    if pooled:
        notes.append("heatmap: cells pool runs that differ in " + ", ".join(sorted(pooled)))
    return table, xs, ys, panels, panel_cols, notes


class _Skip(Exception):
    pass


def _axis_label(res, axis, v):
    if axis in ("grid", "env"):
        return f"{res.envs[v].size}\n{v}"
    return fmt_value(v)


def heatmap(res, out_dir, opt):
    notes = _no_done(res, "heatmap")
    if notes:
        return [], notes
    try:
        table, xs, ys, panels, panel_cols, notes = heatmap_table(res, opt)
    except _Skip as e:
        return [], [str(e)]
    metric = opt.metric
    name = f"heatmap_{metric}"
    xname = "grid size" if opt.x in ("grid", "env") else opt.x
    csv_path = os.path.join(out_dir, name + ".csv")
    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(panel_cols + ["x_" + ("env" if opt.x in ("grid", "env") else opt.x), "y_" + opt.y,
                                 "runs", "conditions", "samples", "mean_" + metric])
        for row in sorted(table, key=lambda d: (panels.index(d["panel"]), xs.index(d["x"]), ys.index(d["y"]))):
            w.writerow([fmt_value(v) for v in row["panel"]] + [fmt_value(row["x"]), fmt_value(row["y"]),
                                                                row["runs"], row["conditions"], row["samples"],
                                                                repr(row["value"])])
    fig, axes = _grid(len(panels), width=max(3.4, 1.0 + 0.9 * len(xs)), height=max(2.8, 1.0 + 0.55 * len(ys)))
    vals = [d["value"] for d in table]
    vmin, vmax = min(vals), max(vals)
    if vmin == vmax:
        vmin, vmax = vmin - 0.5, vmax + 0.5
    cmap = "viridis_r" if metric == "steps" else "viridis"
    im = None
    for ax, pkey in zip(axes, panels):
        M = np.full((len(ys), len(xs)), np.nan)
        for d in table:
            if d["panel"] == pkey:
                M[ys.index(d["y"]), xs.index(d["x"])] = d["value"]
        im = ax.imshow(M, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
        for (i, j), v in np.ndenumerate(M):
            if not np.isnan(v):
                txt = f"{v:.1f}" if metric == "steps" else f"{100 * v:.0f}%"
                frac = (v - vmin) / (vmax - vmin)
                dark = frac > 0.5 if metric == "steps" else frac < 0.5
                ax.text(j, i, txt, ha="center", va="center", fontsize=8, color="white" if dark else "black")
        ax.set_xticks(range(len(xs)))
        ax.set_xticklabels([_axis_label(res, opt.x, v) for v in xs], fontsize=7)
        ax.set_yticks(range(len(ys)))
        ax.set_yticklabels([_axis_label(res, opt.y, v) for v in ys], fontsize=7)
        ax.set_xlabel(xname, fontsize=8)
        if ax.get_subplotspec().is_first_col():
            ax.set_ylabel(opt.y, fontsize=8)
        ptitle = ", ".join(f"{k}={fmt_value(v)}" for k, v in zip(panel_cols, pkey))
        ax.set_title(ptitle or "all runs", fontsize=9)
    if im is not None:
        cb = fig.colorbar(im, ax=list(axes), shrink=0.8)
        cb.set_label("mean steps to goal" if metric == "steps" else "success rate", fontsize=8)
    what = "mean steps to goal" if metric == "steps" else "success rate"
    fig.suptitle(f"{what} over {xname} × {opt.y}" + (f", one panel per {', '.join(panel_cols)}" if panel_cols
                                                      else ""), fontsize=10)
    return [_save(fig, out_dir, name + ".png", opt), csv_path], notes


# -- figctx: the belief about the hidden context over an episode -------------------------
def _aligned_context_belief(b, ctx, K):
    """The belief in each logged episode's true context from b (the belief in
    each of the agent's K contexts, [episodes, T, >= K]) and the true
    contexts: a learner names its contexts itself, so the naming (name[j]:
    the agent's name of the world's context j) that agrees best with the
    final beliefs of the run's episodes is taken, the world's own on a tie
    (the reference's is the world's, which that also finds).  Returns
    (belief [episodes, T], name)."""
    E = b.shape[0]
    last = np.full((E, K), np.nan)
    for e in range(E):
        t = np.flatnonzero(np.isfinite(b[e, :, 0]))
        if t.size:
            last[e] = b[e, t[-1], :K]
    ok = np.isfinite(last[:, 0])
    best, name = -1.0, tuple(range(K))
    if K <= 4:
        for perm in itertools.permutations(range(K)):
            score = float(last[ok, np.asarray(perm)[ctx[ok]]].sum()) if ok.any() else 0.0
            if score > best + 1e-9:
                best, name = score, perm
    elif ok.any():  # K! namings are too many to list: the assignment that maximises the same sum
        W = np.zeros((K, K))
        np.add.at(W, ctx[ok], last[ok])
        _, cols = scipy.optimize.linear_sum_assignment(W, maximize=True)
        if W[np.arange(K), cols].sum() > np.trace(W) + 1e-9:
            name = tuple(int(c) for c in cols)
    own = np.asarray(name)[ctx]
    return np.take_along_axis(b[:, :, :K], own[:, None, None], axis=2)[:, :, 0], name


def figctx(res, out_dir, opt):
    notes = _no_done(res, "figctx")
    if notes:
        return [], notes
    if not _has_traj(res) or not res.has("traj/p_context"):
        return [], ["figctx skipped: no beliefs about a context are logged in this file (log_episodes 0, "
                    "or a file before format version 6)"]
    paths, notes = [], []
    for env_name in res.env_names():
        env = res.envs[env_name]
        if env.n_contexts < 2:
            continue
        cue = set(env.cue_cells)
        series, note = series_for_env(res, env_name, opt)
        rows = []
        for srs in series:
            for r in srs.runs:
                p = res.context_belief(r)
                if np.isfinite(p).any():
                    rows.append((srs, int(r), p))
                    break
        if not rows:
            notes.append(f"figctx: {env_name}: no agent logs a belief about the context")
            continue
        if note:
            notes.append("figctx: " + note)
        fig, axes = plt.subplots(len(rows), 1, figsize=(7.0, 2.3 * len(rows)), squeeze=False, layout="constrained")
        for ax, (srs, r, p) in zip(axes[:, 0], rows):
            L = res.rows("traj/length", [r])[0]
            pos = res.rows("traj/pos", [r])[0]
            ctx = res.rows("eval/context", [r])[0][:len(L)].astype(int)
            b, name = _aligned_context_belief(p, ctx, env.n_contexts)
            for k in range(min(len(L), max(opt.paths, 5))):
                n = int(L[k])
                if n == 0 or not np.isfinite(b[k, :n]).any():
                    continue
                t = np.arange(n)
                color = plt.cm.tab10(k % 10)
                ax.plot(t, b[k, :n], "-", color=color, linewidth=1.4,
                        label=f"ep {k} (context {ctx[k] + 1})")
                at_cue = [i for i in range(n) if int(pos[k, i]) in cue]
                ax.plot(at_cue, b[k, at_cue], "o", color=color, markersize=4)
            ax.set_ylim(-0.03, 1.03)
            ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
            ax.axhline(0.5, color="#999999", linewidth=0.6, linestyle=":")
            ax.set_ylabel("belief in the\ntrue context", fontsize=8)
            naming = "" if name == tuple(range(env.n_contexts)) else \
                " (its names of the world's contexts: " + ", ".join(str(k + 1) for k in name) + ")"
            ax.set_title(f"{srs.label}: run {r} (seed {res.seed[r]}){naming}; ● on a cue", fontsize=8)
            ax.legend(fontsize=6, ncol=3, loc="lower right")
        axes[-1, 0].set_xlabel("decision (time step)")
        fig.suptitle(f"{env_name}: the belief about the hidden context over logged episodes", fontsize=10)
        paths.append(_save(fig, out_dir, f"figctx_belief_{env_name}.png", opt))
    if not paths and not notes:
        notes.append("figctx skipped: no world with hidden contexts in this file")
    return paths, notes


FIGURES = {"fig1": fig1, "fig2a": fig2a, "fig2b": fig2b, "fig3": fig3, "fig4": fig4, "figctx": figctx,
           "efecheck": efecheck,
           "curves": curves, "budgets": budgets, "heatmap": heatmap}
