"""Opening and reading an aifsweep results file (docs/results-format.md).

`Results` validates the file once, then gives the run table, the conditions,
the worlds, and rows of any dataset for chosen runs.  Everything that analyses
results goes through `done_runs()` / `Condition.done`: a row whose status is
not 1 is never read as data.
"""
import math
import os
from dataclasses import dataclass, field

import numpy as np

os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")
import h5py  # noqa: E402

from .codes import DONE, FAILED, PENDING, STARTED, STATUS_NAMES, text  # noqa: E402,F401 (re-exported)

FORMAT = "aifsweep-results"
FORMAT_VERSION = 8   # 4: /runs/fit_steps, fit_seconds, readoff_seconds (not required); 5: /eval/context (not required);
                     # 6: /traj/p_context (not required); 7: /runs/train_budget (not required: budgets.py
                     # reads job_yaml without it); 8: /traj/p_context [R, K, T, KC], the belief in each
                     # context (6 and 7: [R, K, T], the belief in the second of two: context_belief reads both)
JOB_TEXT_CHANGED = "job_yaml does not match job_sha256 (the stored job text was changed)"
ACTIONS = ["up", "down", "left", "right", "stay"]
# The run table's fixed columns; every field after seed_index is a parameter.
FIXED_COLUMNS = ["run_id", "condition", "agent", "agent_type", "env", "env_index", "seed", "seed_index"]
REQUIRED = ["runs/params", "runs/status", "eval/steps", "eval/success"]
# What h5py and numpy raise when HDF5's own metadata in a file is damaged (a
# symbol table, a local heap, an object header): caught where a file is read
# as a whole (Results, python3 -m analysis), never one access at a time.
READ_ERRORS = (OSError, KeyError, ValueError, RuntimeError, TypeError, IndexError)


class ResultsError(Exception):
    """A file that cannot be analysed; str(e) is a one-line message naming it."""


def fmt_value(v):
    """A parameter value as the job file would write it."""
    if isinstance(v, str):
        return v
    v = float(v)
    if math.isnan(v):
        return ""
    return f"{v:g}"


@dataclass
class Env:
    name: str
    rows: int
    cols: int
    cells: np.ndarray        # [rows, cols] str (S F H G #)
    eta: np.ndarray          # [rows, cols] float
    dist: np.ndarray         # [rows, cols] int (-1: unreachable or wall)
    start: int
    goal: int
    max_steps: int
    n_actions: int
    slip: float
    attrs: dict = field(default_factory=dict)

    @property
    def size(self):
        return f"{self.rows}x{self.cols}"

    @property
    def optimal_steps(self):
        """BFS shortest path from the start to the goal (moves; -1: unreachable or unknown)."""
        if not 0 <= self.start < self.dist.size:
            return -1
        return int(self.dist.ravel()[self.start])

    @property
    def n_contexts(self):
        """Hidden contexts of the world (1: none; docs/contexts.md)."""
        return int(self.attrs.get("n_contexts", 1))

    @property
    def context_goals(self):
        """The goal cell of each context ([goal] without contexts)."""
        if self.n_contexts <= 1:
            return [self.goal]
        return [int(x) for x in str(self.attrs.get("context_goals", "")).split()]

    @property
    def optimal_route(self):
        """A context world: the expected moves of the best route via a cue to the
        goal it shows (the file's `optimal_route`; NaN when absent or no contexts)."""
        try:
            return float(self.attrs["optimal_route"]) if self.n_contexts > 1 else float("nan")
        except (KeyError, ValueError, TypeError):
            return float("nan")

    @property
    def route_words(self):
        """What optimal_route is: via a cue, or (no cue) straight to the episode's goal."""
        return "via the cue" if self.cue_cells else "to the context's goal (no cue)"

    @property
    def cue_cells(self):
        """The cells (row * cols + col) of the cues, 'C' in the map (none without contexts)."""
        return sorted(int(r) * self.cols + int(c) for (r, c), kind in np.ndenumerate(self.cells) if kind == "C")

    @property
    def holes(self):
        return int((self.cells == "H").sum())

    @property
    def fully_observable(self):
        return bool(np.all(self.eta[self.cells != "#"] >= 1.0))

    def describe(self):
        obs = "fully observable" if self.fully_observable else \
            f"partially observable (eta {np.min(self.eta[self.cells != '#']):g}..1)"
        dyn = "deterministic" if self.slip == 0 else f"slip {self.slip:g}"
        ctx = ""
        if self.n_contexts > 1:
            rel = str(self.attrs.get("cue_reliability", "1"))
            rel = rel.decode() if isinstance(rel, bytes) else rel
            try:
                rel = f"{float(rel):g}"  # stored as text with every digit of the double
            except ValueError:
                pass
            ctx = f", {self.n_contexts} hidden contexts (cue reliability {rel})"
        return f"{self.size}, {obs}, {dyn}{ctx}, max {self.max_steps} steps"


@dataclass
class Condition:
    id: int
    agent: str
    agent_type: str
    env: str
    params: dict             # every parameter column that applies to this agent
    runs: np.ndarray         # run ids of the condition (every status)
    done: np.ndarray         # run ids whose status is 1
    label: str = ""          # agent name + the parameters swept for this agent


def _compress_ids(ids):
    """[0,1,2,5,7,8] -> '0-2,5,7-8'."""
    ids = sorted(int(i) for i in ids)
    out, i = [], 0
    while i < len(ids):
        j = i
        while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
            j += 1
        out.append(str(ids[i]) if i == j else f"{ids[i]}-{ids[j]}")
        i = j + 1
    return ",".join(out)


class Results:
    """A validated, read-only results file.  Use as a context manager."""

    def __init__(self, path):
        self.path = str(path)
        self.f = _open_checked(self.path)
        try:
            self._load()
        except ResultsError:
            self.f.close()
            raise
        except READ_ERRORS as e:
            self.f.close()
            if debugging():
                raise
            raise ResultsError(damage_message(self.path, e)) from None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.f is not None:
            self.f.close()
            self.f = None

    # -- loading ---------------------------------------------------------------
    def _load(self):
        f = self.f
        # One line each, for stderr: what the file's checks found (printed by
        # python3 -m analysis once the command has run; verify says it itself).
        self.notes = []
        self.attrs = {k: (text(v) if isinstance(v, (bytes, np.bytes_, str)) else v) for k, v in f.attrs.items()}
        p = f["runs/params"][:]
        names = list(p.dtype.names or [])
        missing = [c for c in ("run_id", "condition", "agent", "env", "seed", "seed_index") if c not in names]
        if missing:
            raise ResultsError(f"{self.path}: damaged results file: /runs/params lacks {', '.join(missing)}")
        self.params = p
        self.n_runs = len(p)
        self.status = np.asarray(f["runs/status"][:], dtype=np.int64)
        if self.status.shape != (self.n_runs,):
            raise ResultsError(f"{self.path}: damaged results file: /runs/status has shape "
                               f"{self.status.shape}, /runs/params {self.n_runs} rows")
        # Finished runs whose rows fail their checksum are left out (as if
        # never run), with a note: analysis/verify.py.
        from . import verify
        self.agent_of_run = [text(x) for x in p["agent"]]
        self.damaged = verify.damaged_runs(f, self.status, self.agent_of_run)
        if len(self.damaged):
            self.notes.append(f"analysis: {self.path}: {len(self.damaged)} finished run(s) fail their checksum "
                              f"and are left out ({_compress_ids(self.damaged)}); see python3 -m analysis "
                              f"verify")
            self.status = self.status.copy()
            self.status[self.damaged] = PENDING
        self.job_text_ok = verify.job_text_ok(f)
        if self.job_text_ok is False:
            self.notes.append(f"analysis: {self.path}: {JOB_TEXT_CHANGED}; see python3 -m analysis verify")
        self.param_names = names[names.index("seed_index") + 1:]
        self.agent = np.array([text(x) for x in p["agent"]], dtype=object)
        self.agent_type = np.array([text(x) for x in p["agent_type"]], dtype=object) \
            if "agent_type" in names else self.agent.copy()
        self.env = np.array([text(x) for x in p["env"]], dtype=object)
        self.condition = np.asarray(p["condition"], dtype=np.int64)
        self.seed = np.asarray(p["seed"], dtype=np.int64)
        self.envs = {}
        if "envs" in f:
            for name in f["envs"]:
                self.envs[name] = self._load_env(name)
        for name in sorted(set(self.env)):
            if name not in self.envs:
                raise ResultsError(f"{self.path}: damaged results file: no /envs/{name} for the runs on it")
        self._build_conditions()

    def _load_env(self, name):
        g = self.f["envs"][name]
        a = {k: (text(v) if isinstance(v, (bytes, np.bytes_, str)) else v) for k, v in g.attrs.items()}
        cells = np.array([[chr(c) for c in row] for row in g["cells"][:]])
        return Env(name=name, rows=int(a["rows"]), cols=int(a["cols"]), cells=cells,
                   eta=np.asarray(g["eta"][:], dtype=float), dist=np.asarray(g["dist"][:], dtype=int),
                   start=int(a.get("start", 0)), goal=int(a.get("goal", -1)),
                   max_steps=int(a.get("max_steps", 0)), n_actions=int(a.get("n_actions", 4)),
                   slip=float(a.get("slip", 0) or 0), attrs=a)

    def _param_value(self, row, name):
        v = self.params[name][row]
        if isinstance(v, (bytes, np.bytes_)):
            return text(v)
        return float(v)

    @staticmethod
    def _applies(v):
        return v != "" if isinstance(v, str) else not math.isnan(v)

    def _build_conditions(self):
        order = np.argsort(self.condition, kind="stable")
        cond_ids, starts = np.unique(self.condition[order], return_index=True)
        groups = np.split(order, starts[1:]) if len(order) else []
        self.conditions = []
        for cid, rows in zip(cond_ids, groups):
            r0 = rows[0]
            params = {}
            for name in self.param_names:
                v = self._param_value(r0, name)
                if self._applies(v):
                    params[name] = v
            self.conditions.append(Condition(
                id=int(cid), agent=self.agent[r0], agent_type=self.agent_type[r0], env=self.env[r0],
                params=params, runs=np.sort(rows), done=np.sort(rows[self.status[rows] == DONE])))
        # Swept parameters of each agent entry: those that take several values.
        self.swept = {}
        for c in self.conditions:
            self.swept.setdefault(c.agent, {})
            for k, v in c.params.items():
                self.swept[c.agent].setdefault(k, set()).add(v)
        self.swept = {a: [k for k in self.param_names if len(d.get(k, ())) > 1] for a, d in self.swept.items()}
        for c in self.conditions:
            c.label = self.label(c)
        self.by_id = {c.id: c for c in self.conditions}

    # -- queries -----------------------------------------------------------------
    def label(self, c):
        parts = [f"{k}={fmt_value(c.params[k])}" for k in self.swept.get(c.agent, []) if k in c.params]
        return c.agent + (" " + ",".join(parts) if parts else "")

    def params_text(self, c, only_swept=True):
        keys = self.swept.get(c.agent, []) if only_swept else list(c.params)
        return ", ".join(f"{k}={fmt_value(c.params[k])}" for k in keys if k in c.params)

    def done_runs(self):
        return np.flatnonzero(self.status == DONE)

    def conditions_in(self, env):
        return [c for c in self.conditions if c.env == env]

    def env_names(self):
        """Worlds in the order of the job file (their index)."""
        return sorted(self.envs, key=lambda n: (int(self.envs[n].attrs.get("index", 0)), n))

    def has(self, name):
        return name in self.f and isinstance(self.f[name], h5py.Dataset)

    def rows(self, name, run_ids):
        """Rows of dataset `name` for the given runs (in the order given)."""
        ds = self.f[name]
        ids = np.asarray(run_ids, dtype=np.int64)
        if ids.size == 0:
            return np.zeros((0,) + ds.shape[1:], dtype=ds.dtype)
        if ds.nbytes <= 256 << 20:          # small: one read, then index
            return ds[:][ids]
        uniq, inv = np.unique(ids, return_inverse=True)
        if uniq.size == 1:
            return ds[int(uniq[0]):int(uniq[0]) + 1][inv]
        return ds[uniq.tolist()][inv]

    def context_belief(self, r):
        """Run r's belief about the hidden context at each logged decision,
        [log_episodes, T, KC]: the probability of each context as the agent
        names them (NaN where it has none).  A file before format version 8
        holds the belief in the second of two contexts; it is read as
        [1 - p, p]."""
        p = self.rows("traj/p_context", [r])[0].astype(float)
        if p.ndim == 3:
            return p
        return np.stack([1.0 - p, p], axis=-1)

    def describe_run(self, r):
        c = self.by_id[int(self.condition[r])]
        ptxt = self.params_text(c)
        return f"run {r} ({c.agent} on {c.env}{', ' + ptxt if ptxt else ''}, seed {self.seed[r]})"

    @property
    def name(self):
        return self.attrs.get("job_name", os.path.basename(self.path))


def _open_checked(path):
    """Open `path` read-only, or raise ResultsError saying what it is instead."""
    if not os.path.exists(path):
        if os.path.exists(path + ".partial"):
            raise ResultsError(f"{path}: no such file ({path}.partial exists: a sweep is still creating "
                               f"the layout, or was killed while creating it)")
        raise ResultsError(f"{path}: no such file")
    if os.path.isdir(path):
        raise ResultsError(f"{path}: is a directory, not a results file")
    try:
        with open(path, "rb"):
            pass
    except OSError as e:
        raise ResultsError(f"{path}: cannot read: {e.strerror}") from None
    try:
        is_h5 = h5py.is_hdf5(path)
    except OSError:
        is_h5 = False
    if not is_h5:
        raise ResultsError(f"{path}: not an HDF5 file")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise ResultsError(f"{path}: cannot open as HDF5: {e}") from None
    try:
        fmt = f.attrs.get("format")
        if fmt is None or text(fmt) != FORMAT:
            what = "no root attribute format" if fmt is None else f"its format attribute is \"{text(fmt)}\""
            raise ResultsError(f"{path}: not an aifsweep results file ({what}, "
                               f"expected \"{FORMAT}\")")
        ver = f.attrs.get("format_version")
        if ver is not None and int(ver) > FORMAT_VERSION:
            raise ResultsError(f"{path}: results format version {int(ver)} is newer than this analysis "
                               f"reads ({FORMAT_VERSION}); update aifsweep")
        for name in REQUIRED:
            if name not in f or not isinstance(f[name], h5py.Dataset):
                raise ResultsError(f"{path}: damaged results file: /{name} is missing")
    except ResultsError:
        f.close()
        raise
    except READ_ERRORS as e:
        f.close()
        if debugging():
            raise
        raise ResultsError(damage_message(path, e)) from None
    return f


def debugging():
    """Whether AIF_DEBUG is set (not 0): read errors then end in their traceback."""
    return os.environ.get("AIF_DEBUG", "") not in ("", "0")


def damage_message(path, e):
    """One line (without 'analysis: ') for exception e raised while reading the
    results file at path: the file, the first object HDF5 cannot read (when a
    walk of the file's metadata finds one) and HDF5's or numpy's words."""
    msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
    msg = " ".join(str(msg).split()) or type(e).__name__
    what = first_unreadable(path)
    if what is not None:
        return f"{path}: damaged results file: cannot read {what} ({msg})"
    if _raised_by_h5py(e):
        return f"{path}: damaged results file: HDF5 cannot read it ({msg})"
    return (f"{path}: cannot analyse it ({type(e).__name__}: {msg}): values that do not fit, or a bug of "
            f"the analysis (AIF_DEBUG=1 shows the traceback)")


def _raised_by_h5py(e):
    """Whether exception e comes from inside h5py (HDF5 refused a read), not from the analysis itself."""
    tb = e.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and str(tb.tb_frame.f_globals.get("__name__", "")).split(".")[0] == "h5py"


def first_unreadable(path, depth=4):
    """The first group, dataset or attribute of the file at path whose metadata
    HDF5 cannot read (names, shapes, types, attribute values, a dataset's first
    element), e.g. '/runs/t_start' or 'attribute job_yaml of /'; None when all
    can be read.  Walks at most `depth` levels (a results file has 3)."""
    try:
        with h5py.File(path, "r") as f:
            return _unreadable_in(f, "/", depth)
    except READ_ERRORS:
        return "its root group"


def _unreadable_in(obj, name, depth):
    """first_unreadable below the open group or dataset obj, called name."""
    try:
        h5py.h5o.get_info(obj.id)        # what `name in f` reads: the header, a group's B-tree and heap
        attrs = list(obj.attrs.keys())
    except READ_ERRORS:
        return name
    for key in attrs:
        try:
            obj.attrs[key]
        except READ_ERRORS:
            return f"attribute {key} of {name}"
    if isinstance(obj, h5py.Dataset):
        try:
            if obj.shape and obj.size:
                obj[(0,) * obj.ndim]
        except READ_ERRORS:
            return name
        return None
    try:
        keys = list(obj.keys())
    except READ_ERRORS:
        return name
    for key in keys:
        child = name.rstrip("/") + "/" + key
        try:
            sub = obj[key]
        except READ_ERRORS:
            return child
        bad = _unreadable_in(sub, child, depth - 1) if depth > 0 else None
        if bad is not None:
            return bad
    return None


def open_results(path):
    return Results(path)
