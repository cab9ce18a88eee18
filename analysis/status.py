"""What a results file holds, also while a sweep is writing it or after it was
killed: runs done / failed / started / pending per condition, failure
messages, which rank ran what, and time per run.

Which columns are trusted for which status (the writer's order, src/store/store.c):
a run's rank is written when it starts (status 3) and again at its end; its
times and message are written at its end (status 1 or 2), before the status.
So: rank for status 1, 2, 3; times for 1 and 2; message for 2.  Nothing of a
pending run (status 0) is read: an abandoned run goes back to pending with
its old rank still in the row.  Nor of a damaged run: one marked done or
failed whose rows fail their checksum (analysis/verify.py), counted apart
from the pending runs.
"""
import json
import os
import time
from datetime import datetime, timezone

import numpy as np

from .results import DONE, FAILED, JOB_TEXT_CHANGED, PENDING, STARTED, STATUS_NAMES, _compress_ids, text


def _over_finite(f, xs):
    """f over the finite values of xs; None when there are none (a run whose
    time the file does not hold is NaN)."""
    xs = np.asarray(xs, dtype=float)
    return float(f(xs[np.isfinite(xs)])) if np.isfinite(xs).any() else None


def _utc(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _dur(s):
    if s is None or not np.isfinite(s):
        return "–"
    s = float(s)
    if s < 10:
        return f"{s:.3f}s"
    if s < 60:
        return f"{s:.1f}s"
    m, s = divmod(int(round(s)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}"


def damaged_mask(res):
    """[R] bool: the runs marked done or failed whose rows fail their checksum
    (res.status holds them as pending, so that nothing of them is read)."""
    mask = np.zeros(res.n_runs, dtype=bool)
    mask[np.asarray(res.damaged, dtype=np.int64)] = True
    return mask


def count_runs(st, damaged):
    """{state: runs} over done, failed, started, pending, then damaged and
    unknown only when there are any."""
    counts = {STATUS_NAMES[k]: int((st == k).sum()) for k in (DONE, FAILED, STARTED)}
    counts["pending"] = int(((st == PENDING) & ~damaged).sum())
    if damaged.any():
        counts["damaged"] = int(damaged.sum())
    other = int(len(st) - sum(counts.values()))
    if other:
        counts["unknown"] = other
    return counts


def collect(res, with_runs=False):
    """The status as a plain dict (what --json prints)."""
    st = res.status
    f = res.f
    R = res.n_runs
    damaged = damaged_mask(res)
    finished = (st == DONE) | (st == FAILED)
    ranked = finished | (st == STARTED)
    rank = np.full(R, -1, dtype=np.int64)
    t0 = np.full(R, np.nan)
    t1 = np.full(R, np.nan)
    train_s = np.full(R, np.nan)
    eval_s = np.full(R, np.nan)
    if R:
        if "runs/rank" in f:
            rank[ranked] = f["runs/rank"][:][ranked]
        for name, arr in (("runs/t_start", t0), ("runs/t_end", t1), ("runs/train_seconds", train_s),
                          ("runs/eval_seconds", eval_s)):
            if name in f:
                arr[finished] = f[name][:][finished]
    messages = {}
    if "runs/message" in f and (st == FAILED).any():
        msg = f["runs/message"][:]
        for r in np.flatnonzero(st == FAILED):
            messages[int(r)] = text(msg[r]).rstrip("\x00").strip()
    dur = t1 - t0
    counts = count_runs(st, damaged)
    out = {
        "file": res.path, "job": res.attrs.get("job_name", ""), "job_path": res.attrs.get("job_path", ""),
        "job_sha256": res.attrs.get("job_sha256", ""), "created": res.attrs.get("created", ""),
        "software_version": res.attrs.get("software_version", ""), "git_commit": res.attrs.get("git_commit", ""),
        "modified": os.path.getmtime(res.path), "runs": R, "n_conditions": len(res.conditions),
        "counts": counts, "complete": counts["done"] + counts["failed"] == R,
        "job_text_ok": res.job_text_ok,
    }
    if finished.any():
        out["first_start"] = float(np.nanmin(t0[finished]))
        out["last_end"] = float(np.nanmax(t1[finished]))
        out["run_seconds_total"] = float(np.nansum(dur[finished]))
        out["run_seconds_mean"] = float(np.nanmean(dur[finished]))
    conds = []
    for c in res.conditions:
        s = st[c.runs]
        fin = c.runs[(s == DONE) | (s == FAILED)]
        conds.append({"condition": c.id, "agent": c.agent, "env": c.env, "params": res.params_text(c),
                      "label": c.label, "runs": len(c.runs),
                      "done": int((s == DONE).sum()), "failed": int((s == FAILED).sum()),
                      "started": int((s == STARTED).sum()),
                      "pending": int(((s == PENDING) & ~damaged[c.runs]).sum()),
                      "damaged": int(damaged[c.runs].sum()),
                      "mean_seconds": _over_finite(np.mean, dur[fin])})
    out["conditions"] = conds
    # Time per run by agent and world, over every finished run of its
    # conditions: what a larger sweep of the same agents and worlds costs per
    # run (for sizing an allocation).
    timing = {}
    for c in res.conditions:
        fin = c.runs[(st[c.runs] == DONE)]
        t = timing.setdefault((c.agent, c.env), [[], [], []])
        t[0] += dur[fin].tolist()
        t[1] += train_s[fin].tolist()
        t[2] += eval_s[fin].tolist()
    out["timing"] = [{"agent": a, "env": e, "runs": len(t[0]),
                      "mean_seconds": _over_finite(np.mean, t[0]), "max_seconds": _over_finite(np.max, t[0]),
                      "train_seconds": _over_finite(np.mean, t[1]), "eval_seconds": _over_finite(np.mean, t[2])}
                     for (a, e), t in timing.items()]
    out["worlds"] = [_world(res.envs[name]) for name in res.env_names()]
    ranks = []
    for k in sorted(set(rank[ranked].tolist())):
        mine = ranked & (rank == k)
        ranks.append({"rank": int(k), "done": int((mine & (st == DONE)).sum()),
                      "failed": int((mine & (st == FAILED)).sum()),
                      "started": int((mine & (st == STARTED)).sum()),
                      "busy_seconds": float(np.nansum(dur[mine & finished])),
                      "runs": _compress_ids(np.flatnonzero(mine))})
    out["ranks"] = ranks
    out["failed"] = [{"run_id": r, "condition": int(res.condition[r]), "rank": int(rank[r]),
                      "describe": res.describe_run(r), "message": m} for r, m in sorted(messages.items())]
    out["started"] = [{"run_id": int(r), "rank": int(rank[r]), "describe": res.describe_run(r)}
                      for r in np.flatnonzero(st == STARTED)]
    out["damaged"] = [{"run_id": int(r), "condition": int(res.condition[r]), "describe": res.describe_run(r)}
                      for r in np.flatnonzero(damaged)]
    if with_runs:
        out["run_list"] = [{"run_id": int(r), "condition": int(res.condition[r]), "seed": int(res.seed[r]),
                            "status": "damaged" if damaged[r] else STATUS_NAMES.get(int(st[r]), str(int(st[r]))),
                            "rank": int(rank[r]) if ranked[r] else None,
                            "t_start": None if np.isnan(t0[r]) else float(t0[r]),
                            "seconds": None if np.isnan(dur[r]) else float(dur[r]),
                            "train_seconds": None if np.isnan(train_s[r]) else float(train_s[r]),
                            "eval_seconds": None if np.isnan(eval_s[r]) else float(eval_s[r])}
                           for r in range(R)]
    return out


def _world(e):
    return {"name": e.name, "rows": e.rows, "cols": e.cols, "describe": e.describe(), "max_steps": e.max_steps,
            "holes": e.holes, "optimal_steps": e.optimal_steps, "n_contexts": e.n_contexts,
            "optimal_route": float(e.optimal_route) if np.isfinite(e.optimal_route) else None,
            "route_words": e.route_words}


def _table(header, body, align=None):
    cols = list(zip(*([header] + body))) if body else [[h] for h in header]
    w = [max(len(str(x)) for x in col) for col in cols]
    align = align or ["<"] * len(header)

    def line(r):
        return "  ".join(f"{str(x):{a}{wi}}" for x, a, wi in zip(r, align, w)).rstrip()
    return [line(header)] + [line(r) for r in body]


def _condition_table(conds, damaged):
    """The per-condition lines (a damaged column when the file has damaged runs)."""
    head = ["cond", "agent", "env", "parameters", "runs", "done", "failed", "started", "pending"]
    body = [[d["condition"], d["agent"], d["env"], d["params"] or "-", d["runs"], d["done"], d["failed"],
             d["started"], d["pending"]] for d in conds]
    if damaged:
        head.append("damaged")
        for row, d in zip(body, conds):
            row.append(d["damaged"])
    for row, d in zip(body, conds):
        row.append(_dur(d["mean_seconds"]))
    return _table(head + ["time/run"], body, ["<"] * 4 + [">"] * (len(head) - 3))


def to_text(s):
    c = s["counts"]
    L = [f"{s['job']} ({s['file']}): {s['runs']} runs in {s['n_conditions']} conditions: "
         f"{c['done']} done, {c['failed']} failed, {c['started']} started, {c['pending']} pending"
         + (f", {c['damaged']} damaged" if c.get("damaged") else "")
         + (f", {c['unknown']} with an unknown status" if c.get("unknown") else "")]
    L.append(f"  created {s['created']} by aifsweep {s['software_version']} (commit {s['git_commit']}); "
             f"job {s['job_path']} sha256 {s['job_sha256'][:16]}...")
    if s.get("job_text_ok") is False:
        L.append(f"  warning: {JOB_TEXT_CHANGED}; see python3 -m analysis verify")
    age = time.time() - s["modified"]
    L.append(f"  file last modified {_utc(s['modified'])} UTC ({_dur(age)} ago)")
    if "first_start" in s:
        L.append(f"  runs finished between {_utc(s['first_start'])} and {_utc(s['last_end'])} UTC; "
                 f"time per run {_dur(s['run_seconds_mean'])} on average, {_dur(s['run_seconds_total'])} in all")
    if s["complete"]:
        L.append("  complete: every run is done" + (" or failed" if c["failed"] else ""))
    else:
        todo = s["runs"] - c["done"] - c["failed"]
        L.append(f"  incomplete: {todo} runs to do. If no sweep is writing this file, finish it with:")
        L.append(f"    aif-sweep {s['job_path'] or 'JOB.yaml'} -o {s['file']} --resume")
    if c["started"]:
        L.append("  'started' runs are running now, or were interrupted by a kill (--resume runs them again)")
    if c.get("damaged"):
        L.append(f"  damaged: runs {_compress_ids([d['run_id'] for d in s['damaged']])} are marked finished but "
                 f"fail their checksum: left out of every table and figure (python3 -m analysis verify; "
                 f"--resume runs them again)")
    ctx = any(w.get("n_contexts", 1) > 1 for w in s["worlds"])
    L += ["", "worlds (optimal: BFS shortest path from the start to the goal, in moves" +
          ("; a world with hidden contexts: the expected moves via a cue, if it has one, to the context's goal):"
           if ctx else "):")]
    body = [[w["name"], w["describe"], w["holes"],
             (f"{w['optimal_route']:.2f} {w.get('route_words', 'via the cue')}" if w["optimal_route"] is not None
              else "not recorded")
             if w.get("n_contexts", 1) > 1
             else w["optimal_steps"] if w["optimal_steps"] >= 0 else "unreachable"] for w in s["worlds"]]
    L += ["  " + x for x in _table(["world", "kind", "holes", "optimal"], body, ["<", "<", ">", ">"])]
    L += ["", "per condition:"] + ["  " + x for x in _condition_table(s["conditions"], c.get("damaged"))]
    L += ["", "time per run by agent and world (runs done; to size a larger sweep of the same runs):"]
    body = [[d["agent"], d["env"], d["runs"], _dur(d["mean_seconds"]), _dur(d["max_seconds"]),
             _dur(d["train_seconds"]), _dur(d["eval_seconds"])] for d in s["timing"] if d["runs"]]
    L += ["  " + x for x in _table(["agent", "env", "runs", "mean", "max", "train", "eval"], body,
                                   ["<", "<", ">", ">", ">", ">", ">"])]
    L += ["", "per rank (runs done, failed or started on it):"]
    if s["ranks"]:
        body = [[d["rank"], d["done"], d["failed"], d["started"], _dur(d["busy_seconds"]), d["runs"]]
                for d in s["ranks"]]
        L += ["  " + x for x in _table(["rank", "done", "failed", "started", "busy", "run ids"], body,
                                       [">", ">", ">", ">", ">", "<"])]
    else:
        L.append("  (no run has started)")
    if s["failed"]:
        L += ["", f"failed runs ({len(s['failed'])}):"]
        L += [f"  {d['describe']} on rank {d['rank']}: {d['message'] or '(no message)'}" for d in s["failed"]]
    if s["started"]:
        L += ["", f"started runs ({len(s['started'])}):"]
        L += [f"  {d['describe']} on rank {d['rank']}" for d in s["started"]]
    if s.get("damaged"):
        L += ["", f"damaged runs ({len(s['damaged'])}: marked finished, their rows fail their checksum):"]
        L += [f"  {d['describe']}" for d in s["damaged"]]
    if "run_list" in s:
        L += ["", "runs:"]
        body = [[d["run_id"], d["condition"], d["seed"], d["status"], "-" if d["rank"] is None else d["rank"],
                 "-" if d["t_start"] is None else _utc(d["t_start"]), _dur(d["seconds"]),
                 _dur(d["train_seconds"]), _dur(d["eval_seconds"])] for d in s["run_list"]]
        L += ["  " + x for x in _table(["run", "cond", "seed", "status", "rank", "start (UTC)", "time", "train",
                                        "eval"], body, [">", ">", ">", "<", ">", "<", ">", ">", ">"])]
    return "\n".join(L) + "\n"


def _finite(x):
    if isinstance(x, float) and not np.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    return x


def to_json(s):
    return json.dumps(_finite(s), indent=1, allow_nan=False, default=str) + "\n"
