"""python3 -m analysis COMMAND RESULTS.h5 [options]

Commands:
  report    everything below into --out DIR (default: report), with an index README.md
  summary   the paper's Table I per condition and Welch tests between agents
            (Markdown to stdout; --csv for CSV; --out DIR writes summary.md, summary.csv,
            comparisons.csv)
  status    what the file holds: runs done / failed / started / pending per condition,
            failure messages, ranks, time per run (--runs: every run; --json)
  verify    every finished run against its checksum, and job_sha256 against job_yaml
            (exit 1 naming what fails; every other command leaves damaged runs out)
  figures   every figure into --out DIR
  fig1 fig2a fig2b fig3 fig4 efecheck curves budgets heatmap   one figure into --out DIR

Exit status: 0 done (a figure the file has no data for is skipped with a note,
not an error), 1 unexpected error, or damage found by verify, 2 bad command line
or a file that is not a readable aifsweep results file (one line on stderr; with
AIF_DEBUG=1 in the environment, a read error ends in its Python traceback).
"""
import argparse
import os
import sys

try:
    import numpy  # noqa: F401
    import h5py  # noqa: F401
    import scipy  # noqa: F401
    import matplotlib  # noqa: F401
except ImportError as _e:
    sys.stderr.write(f"analysis: {_e.name} is missing in {sys.executable}: the analysis needs h5py, numpy, scipy "
                     "and matplotlib (Debian: apt-get install python3-h5py python3-numpy python3-scipy "
                     "python3-matplotlib, then use /usr/bin/python3)\n")
    sys.exit(2)

from .results import (JOB_TEXT_CHANGED, READ_ERRORS, Results, ResultsError, damage_message,  # noqa: E402
                      debugging)

# The figure commands (matplotlib is imported only when one runs).
FIGURE_HELP = {"fig1": "the world with logged paths, observability shaded (Fig. 1)",
               "fig2a": "distance to goal over time (Fig. 2a)",
               "fig2b": "steps to goal per condition, box + violin (Fig. 2b)",
               "fig3": "action probabilities over an episode (Fig. 3)",
               "fig4": "EFE, risk and ambiguity per action over an episode (Fig. 4)",
               "figctx": "the belief about the hidden context over logged episodes (worlds with two contexts)",
               "efecheck": "the agent's EFE estimates against the exact EFE of the same policies",
               "curves": "learning curves over training (training episodes)",
               "budgets": "evaluation success and steps to goal against the training budget (runs at several "
                          "train_steps)",
               "heatmap": "sweep heatmap: mean steps over grid size x schedule, a panel per EFE weighting"}


def _figure_options(a):
    from . import figures as F
    opt = F.Options()
    for k in ("max_series", "paths", "dpi", "metric", "x", "y", "resamples"):
        if getattr(a, k, None) is not None:
            setattr(opt, k, getattr(a, k))
    if getattr(a, "panel", None) is not None:
        opt.panel = [p for p in a.panel.split(",") if p and p != "none"]
    return opt


def _outdir(path):
    os.makedirs(path, exist_ok=True)
    return path


def _print_notes(notes):
    for n in notes:
        print(n)


def cmd_summary(res, a):
    from . import episodes, stats
    if a.out:
        for p in stats.write_summary(res, _outdir(a.out), a.unit, a.resamples):
            print(f"wrote {p}")
        return 0
    ep = episodes.load(res)
    conds = stats.condition_table(res, a.unit, a.resamples, ep)
    if a.csv:
        sys.stdout.write(stats.to_csv(conds, stats.condition_columns(res)))
    else:
        sys.stdout.write(stats.to_markdown(res, conds, stats.comparison_table(res, a.unit, ep), a.unit,
                                           resamples=a.resamples, ep=ep))
    return 0


def cmd_status(res, a):
    from . import status
    s = status.collect(res, with_runs=a.runs)
    sys.stdout.write(status.to_json(s) if a.json else status.to_text(s))
    return 0


def run_figures(res, names, out, opt):
    from . import figures as F
    written, notes = [], []
    for name in names:
        w, n = F.FIGURES[name](res, out, opt)
        written += w
        notes += n
        if name == "heatmap" and opt.metric == "steps" and w:
            # Success rates too, on the same axes.
            opt2 = F.Options(**{**opt.__dict__, "metric": "success"})
            w2, _ = F.heatmap(res, out, opt2)
            written += w2
    return written, _merge_notes(notes)


def _merge_notes(notes):
    """'fig1: X', 'fig2a: X' -> 'fig1, fig2a: X' (the same remark from several figures)."""
    merged, order = {}, []
    for n in notes:
        head, sep, rest = n.partition(": ")
        key = rest if sep and head in FIGURE_HELP else n
        if key not in merged:
            merged[key] = []
            order.append(key)
        if sep and head in FIGURE_HELP:
            merged[key].append(head)
    return [(", ".join(merged[k]) + ": " + k) if merged[k] else k for k in order]


def cmd_verify(res, a):
    from . import verify
    f, bad = res.f, res.damaged
    finished = int(((res.status == 1) | (res.status == 2)).sum()) + len(bad)
    ok = True
    if verify.has_checksums(f):
        if len(bad):
            ok = False
            print(f"{res.path}: {len(bad)} of {finished} finished runs fail their checksum: runs "
                  f"{', '.join(str(r) for r in bad)}")
        else:
            print(f"{res.path}: all {finished} finished runs match their checksums")
    else:
        print(f"{res.path}: no per-run checksums (results format version "
              f"{int(f.attrs.get('format_version', 1))}): only the job text is checked")
    j = verify.job_text_ok(f)
    if j is False:
        ok = False
        print(f"{res.path}: {JOB_TEXT_CHANGED}")
    elif j:
        print(f"{res.path}: job_yaml matches job_sha256")
    return 0 if ok else 1


def cmd_figure(res, a):
    names = list(FIGURE_HELP) if a.command == "figures" else [a.command]
    written, notes = run_figures(res, names, _outdir(a.out), _figure_options(a))
    for p in written:
        print(f"wrote {p}")
    _print_notes(notes)
    return 0


def cmd_report(res, a):
    from . import stats, status
    out = _outdir(a.out)
    written = stats.write_summary(res, out, a.unit, a.resamples)
    s = status.collect(res, with_runs=True)
    for name, content in (("status.txt", status.to_text(s)), ("status.json", status.to_json(s))):
        p = os.path.join(out, name)
        with open(p, "w") as f:
            f.write(content)
        written.append(p)
    figs, notes = run_figures(res, list(FIGURE_HELP), out, _figure_options(a))
    written += figs
    index = os.path.join(out, "README.md")
    c = s["counts"]
    with open(index, "w") as f:
        f.write(f"# Report: {res.name}\n\n`{res.path}`: {s['runs']} runs in {s['n_conditions']} conditions; "
                f"{c['done']} done, {c['failed']} failed, {c['started']} started, {c['pending']} pending"
                + (f", {c['damaged']} damaged (fail their checksum)" if c.get("damaged") else "")
                + ". Only done runs are analysed.\n\n")
        if res.job_text_ok is False:
            f.write(f"**Warning:** {JOB_TEXT_CHANGED} (python3 -m analysis verify).\n\n")
        f.write("| file | what |\n|---|---|\n")
        for p in written:
            f.write(f"| [{os.path.basename(p)}]({os.path.basename(p)}) | {_describe(os.path.basename(p))} |\n")
        if notes:
            f.write("\nSkipped or changed:\n\n" + "".join(f"- {n}\n" for n in notes))
    written.append(index)
    for p in written:
        print(f"wrote {p}")
    _print_notes(notes)
    return 0


def _describe(name):
    table = [("summary.md", "Table I per condition, Welch tests between agents (Markdown)"),
             ("summary.csv", "Table I per condition (CSV)"),
             ("comparisons.csv", "Welch's t, p and Cohen's d between agents (CSV)"),
             ("status.txt", "runs done / failed / pending, ranks, times"),
             ("status.json", "the same, for programs"),
             ("fig1_paths_", "the world, observability shaded, logged paths (Fig. 1)"),
             ("fig2a_distance_", "distance to goal over time (Fig. 2a)"),
             ("fig2b_performance", "steps to goal per condition (Fig. 2b)"),
             ("fig3_action_probs_", "action probabilities over an episode (Fig. 3)"),
             ("fig4_efe_", "EFE, risk and ambiguity per action over an episode (Fig. 4)"),
             ("figctx_belief_", "the belief about the hidden context over logged episodes"),
             ("efecheck_", "EFE estimates against the exact EFE of the same policies"),
             ("curves_", "learning curves over training"),
             ("budgets_", "evaluation against the training budget, 95% bootstrap band over seeds"),
             ("budgets.csv", "the budget curves' points (CSV)"),
             ("heatmap_steps.csv", "the heatmap's cells (CSV)"),
             ("heatmap_success.csv", "the heatmap's cells (CSV)"),
             ("heatmap_steps", "sweep heatmap of mean steps"),
             ("heatmap_success", "sweep heatmap of success rate")]
    for prefix, what in table:
        if name.startswith(prefix):
            return what
    return ""


def parser():
    ap = argparse.ArgumentParser(
        prog="python3 -m analysis",
        description="Tables, statistics, figures and status of an aifsweep results file "
                    "(only runs marked done are read).",
        epilog=__doc__[__doc__.index("Exit status"):].strip() + "\n\nSee docs/analysis.md.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def add(name, help_):
        p = sub.add_parser(name, help=help_)
        p.add_argument("results", metavar="RESULTS.h5")
        return p

    def fig_opts(p, out_default=".", heat=True, fig1=True):
        p.add_argument("--out", default=out_default, help=f"directory for the files (default: {out_default})")
        p.add_argument("--max-series", type=int, dest="max_series",
                       help="above this many conditions in a world, one series per agent (default 8)")
        if fig1:
            p.add_argument("--paths", type=int, help="fig1: logged episodes drawn per panel (default 3)")
        p.add_argument("--dpi", type=int, help="resolution of the PNGs (default 120)")
        if not heat:
            return
        p.add_argument("--x", help="heatmap: column axis, a parameter or 'grid' (default grid)")
        p.add_argument("--y", help="heatmap: row axis, a parameter (default schedule)")
        p.add_argument("--panel", help="heatmap: comma-separated parameters, one panel per combination "
                                       "(default w_risk,w_ambiguity; 'none' for one panel)")

    def unit_opts(p):
        p.add_argument("--unit", choices=["run", "episode"], default="run",
                       help="statistical unit: the seed, each run's mean over its episodes (default), or "
                            "the evaluation episode, pooled over runs (pseudo-replication: for comparison only)")
        p.add_argument("--resamples", type=int, default=10000,
                       help="bootstrap resamples of the 95%% intervals (default 10000)")

    p = add("report", "every table and figure into --out")
    fig_opts(p, "report")
    unit_opts(p)
    p = add("summary", "Table I and tests between agents")
    p.add_argument("--out", help="write summary.md, summary.csv and comparisons.csv there")
    p.add_argument("--csv", action="store_true", help="CSV to stdout instead of Markdown")
    unit_opts(p)
    p = add("status", "what the file holds, also while a sweep writes it")
    p.add_argument("--runs", action="store_true", help="also list every run")
    p.add_argument("--json", action="store_true", help="JSON instead of text")
    add("verify", "check every finished run's checksum and the job text's SHA-256")
    p = add("figures", "every figure")
    fig_opts(p)
    for name, help_ in FIGURE_HELP.items():
        p = add(name, help_)
        fig_opts(p, heat=name == "heatmap", fig1=name == "fig1")
        if name == "budgets":
            p.add_argument("--resamples", type=int, default=10000,
                           help="bootstrap resamples of the 95%% bands (default 10000)")
        if name == "heatmap":
            p.add_argument("--metric", choices=["steps", "success"], help="heatmap: value (default steps)")
    return ap


def main(argv=None):
    a = parser().parse_args(argv)
    if getattr(a, "max_series", None) is not None and a.max_series < 1:
        print("analysis: --max-series must be at least 1", file=sys.stderr)
        return 2
    if getattr(a, "resamples", None) is not None and a.resamples < 100:
        print("analysis: --resamples must be at least 100", file=sys.stderr)
        return 2
    try:
        res = Results(a.results)
    except ResultsError as e:
        print(f"analysis: {e}", file=sys.stderr)
        return 2
    try:
        with res:
            rc = run_command(res, a)
    except ResultsError as e:
        print(f"analysis: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except READ_ERRORS as e:
        return refuse(a.results, e)
    if a.command != "verify":            # verify prints what the checks found itself
        for n in res.notes:
            print(n, file=sys.stderr)
    return rc


def run_command(res, a):
    """The exit status of command a.command on the open results file."""
    if a.command == "summary":
        return cmd_summary(res, a)
    if a.command == "status":
        return cmd_status(res, a)
    if a.command == "verify":
        return cmd_verify(res, a)
    if a.command == "report":
        return cmd_report(res, a)
    return cmd_figure(res, a)


def refuse(path, e):
    """Exit status 2 and one line on stderr for exception e raised while a
    command ran: the results file is damaged (HDF5's metadata, or values that
    do not fit), or an output file could not be written.  AIF_DEBUG=1 re-raises
    it (a traceback, for a programming error)."""
    if debugging():
        raise e
    if isinstance(e, OSError) and e.filename is not None and os.path.abspath(str(e.filename)) != \
            os.path.abspath(path):
        print(f"analysis: {e.filename}: {e.strerror or e}", file=sys.stderr)
    else:
        print(f"analysis: {damage_message(path, e)}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
