"""The code's structure (issue 14; README, "Code structure"):

- the store knows nothing of job files, agents or runs: store.c and store.h,
  with everything they include, reach neither agents.h, jobspec.h nor run.h,
  and only the layers above the store (the runner and main) include store.h;
- src/ and include/ are in folders by layer (core, nn, interface, aif,
  agents, world, job, run, store, sweep) and a file includes headers of its
  own layer and earlier ones only (issue 23);
- no file in src/ is over 1,000 lines and no function over 100;
- only the store includes hdf5.h; a results-file path is spelled in the
  schema file (store_layout.c) alone, and docs/results-format.md lists the
  per-run datasets of its table with their types;
- no include cycle between the C modules (X.c and X.h are module X) and no
  import cycle between the modules of analysis/, function-level imports
  included (issue 23);
- the default build keeps to its documented baseline (x86-64-v3): the binary
  holds no AVX-512 (EVEX-encoded) instruction.  OpenBLAS is a shared library,
  so its own kernels, chosen at run time, are not in the binary.

The function and EVEX scanners are checked on inputs where they must fire,
so a scanner that finds nothing cannot pass for clean code."""
import os
import re
import subprocess

import pytest

from conftest import ROOT as REPO, BIN

SRC = os.path.join(REPO, "src")
INC = os.path.join(REPO, "include")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)

# The layers of src/ and include/, lowest first (README, "Layout of the
# source"): a file includes headers of its own layer and of the layers
# before it, never of one after it.
LAYERS = ("core", "nn", "interface", "aif", "agents", "world", "job", "run", "store", "sweep")


def files():
    """{file name: path} of every .c of src/ and .h of include/ (in its layer's folder)."""
    out = {}
    for top, ext in ((SRC, ".c"), (INC, ".h")):
        for layer in sorted(os.listdir(top)):
            d = os.path.join(top, layer)
            if os.path.isdir(d):
                for name in os.listdir(d):
                    if name.endswith(ext):
                        out[name] = os.path.join(d, name)
    return out


def src(name):
    return files()[name]


def inc(name):
    return files()[name]


def includes(path):
    """The project headers path includes, by file name ("core/rng.h" -> "rng.h")."""
    with open(path) as f:
        return [os.path.basename(h) for h in INCLUDE_RE.findall(f.read())]


def closure(path):
    """Every project header reached from path through #include "..."."""
    known = files()
    seen, todo = set(), list(includes(path))
    while todo:
        h = todo.pop()
        if h in seen or h not in known or not h.endswith(".h"):
            continue
        seen.add(h)
        todo.extend(includes(known[h]))
    return seen


def layer_violations(layer_of, edges):
    """(file, its layer, header, the header's layer) for every include of a
    header of a later layer.  layer_of: file name -> layer; edges: (file,
    header) pairs."""
    rank = {l: i for i, l in enumerate(LAYERS)}
    return [(f, layer_of[f], h, layer_of[h]) for f, h in edges
            if h in layer_of and rank[layer_of[h]] > rank[layer_of[f]]]


def test_layer_checker_sees_an_upward_include():
    layer_of = {"rng.c": "core", "rng.h": "core", "run.h": "run", "env.c": "world"}
    got = layer_violations(layer_of, [("rng.c", "rng.h"), ("rng.c", "run.h"), ("env.c", "rng.h")])
    assert got == [("rng.c", "core", "run.h", "run")]


def test_src_is_in_layers_and_includes_only_downwards():
    """Every .c of src/ and .h of include/ sits in one of the layer folders,
    a module's source and header in the same one; every project include
    names the header's folder ("core/rng.h"); and no file includes a header
    of a later layer."""
    known = files()
    for top in (SRC, INC):
        loose = [n for n in os.listdir(top) if not os.path.isdir(os.path.join(top, n))]
        assert not loose, f"files outside a layer folder in {top}: {loose}"
        assert set(os.listdir(top)) <= set(LAYERS), sorted(set(os.listdir(top)) - set(LAYERS))
    layer_of = {n: os.path.basename(os.path.dirname(p)) for n, p in known.items()}
    for n, p in known.items():
        other = n[:-2] + (".h" if n.endswith(".c") else ".c")
        if other in layer_of:
            assert layer_of[other] == layer_of[n], f"{n} in {layer_of[n]}, {other} in {layer_of[other]}"
    edges, wrong_path = [], []
    for n, p in known.items():
        with open(p) as f:
            for h in INCLUDE_RE.findall(f.read()):
                base = os.path.basename(h)
                if base in known:
                    edges.append((n, base))
                    if h != f"{layer_of[base]}/{base}":
                        wrong_path.append(f"{n}: {h}")
    assert len(edges) > 150, "the include scanner found too few includes"
    assert not wrong_path, wrong_path
    bad = layer_violations(layer_of, edges)
    assert not bad, [f"{f} ({lf}) includes {h} ({lh})" for f, lf, h, lh in bad]


def test_store_knows_no_agents_jobs_or_runs():
    for f in (src("store.c"), src("store_layout.c"), inc("store.h"), inc("store_layout.h")):
        reached = closure(f)
        assert "plan.h" in reached, f"{f} does not reach plan.h: the scanner is broken"
        bad = reached & {"agents.h", "jobspec.h", "run.h", "params.h", "gridworld.h", "task.h"}
        assert not bad, f"{os.path.basename(f)} reaches {sorted(bad)}"
    assert closure(inc("store.h")) <= {"plan.h", "result.h"}
    # The scanner does see a forbidden include where there is one.
    assert "agents.h" in closure(src("plan.c"))


def test_only_the_layers_above_the_store_include_it():
    above = {"main.c", "runner.c", "runner.h", "store.c", "store_layout.c"}
    users, private = set(), set()
    for name, path in files().items():
        got = includes(path)
        if "store.h" in got:
            users.add(name)
        if "store_layout.h" in got:
            private.add(name)
    assert users <= above, f"below the store but including store.h: {sorted(users - above)}"
    assert {"runner.h", "store.c"} <= users
    assert private == {"store.c", "store_layout.c"}, f"store_layout.h is the store's own: {sorted(private)}"


SYSTEM_INCLUDE_RE = re.compile(r'^\s*#\s*include\s+<([^>]+)>', re.M)


def test_only_the_store_reads_and_writes_hdf5():
    """No file outside the store (store.c, store_layout.c, store_check.c and
    the store's private header) includes hdf5.h: main's closing summary and its
    --version read the file and the library through store.h (issue 23)."""
    store = {"store.c", "store_layout.c", "store_check.c", "store_layout.h"}
    users = set()
    for name, path in files().items():
        with open(path) as f:
            if "hdf5.h" in SYSTEM_INCLUDE_RE.findall(f.read()):
                users.add(name)
    assert "store.c" in users, "the scanner missed store.c's #include <hdf5.h>"
    assert users <= store, f"outside the store but including hdf5.h: {sorted(users - store)}"


def test_the_run_loop_knows_no_efe():
    """The EFE diagnostic is efe_check's (issue 23): run.c reaches the exact
    EFE machinery (efe_tail.h, efe_ctx.h) only through efe_check.h, and no
    Spearman or tail solving is written in it."""
    got = set(includes(src("run.c")))
    assert "efe_check.h" in got, "run.c no longer includes efe_check.h: the check is stale"
    assert not got & {"efe_tail.h", "efe_ctx.h", "efe.h"}, sorted(got)
    with open(src("run.c")) as f:
        text = f.read()
    for word in ("spearman", "efe_tail_", "efe_ctx_"):
        assert word not in text, word


GROUPS = ("runs", "eval", "train", "traj", "checkpoints", "efe_check", "model", "envs")
PATH_LITERAL_RE = re.compile(r'"(/(?:%s)(?:/[^"\s]*)?)"' % "|".join(GROUPS))
TABLE_ROW_RE = re.compile(r'\[(DS_\w+)\]\s*=\s*\{"(/[\w/]+)",\s*0,\s*(\d)')


def schema_table():
    """{path: type code} of the per-run dataset table (src/store/store_layout.c, sl_defs)."""
    with open(src("store_layout.c")) as f:
        rows = TABLE_ROW_RE.findall(f.read())
    assert len(rows) > 40, "the table scanner found too few rows"
    return {path: int(code) for _, path, code in rows}


def test_dataset_paths_are_spelled_only_in_the_schema():
    """A results-file path is a string literal of store_layout.c alone (the
    table and the layout); every other file gets it from there."""
    found = {}
    for p in c_sources():
        with open(p) as f:
            for lit in PATH_LITERAL_RE.findall(f.read()):
                found.setdefault(os.path.basename(p), set()).add(lit)
    assert "/runs/status" in found.get("store_layout.c", set()), "the scanner missed the table"
    others = {k: sorted(v) for k, v in found.items() if k != "store_layout.c"}
    assert not others, f"dataset paths spelled outside the schema: {others}"
    assert PATH_LITERAL_RE.findall('x = "/eval/steps"; y = "/envs/%s/cells";') == ["/eval/steps", "/envs/%s/cells"]


DOC_TYPES = {"int8": 0, "uint8": 1, "int32": 2, "int64": 3, "float32": 4, "float64": 5, "string": 6}


def test_results_format_lists_every_dataset_of_the_table():
    """docs/results-format.md's per-run datasets (rows with a shape [R, ...]
    under each group's heading) are exactly the table's, with its types."""
    with open(os.path.join(REPO, "docs", "results-format.md")) as f:
        text = f.read()
    documented, group = {}, None
    for line in text.splitlines():
        m = re.match(r"^## `/(\w+)`", line)
        if line.startswith("## "):
            group = m.group(1) if m else None
            continue
        m = re.match(r"^\| (`[^|]+`) \| `\[R[^`]*\]` (\w+)", line)
        if group and m:
            for name in re.findall(r"`([^`]+)`", m.group(1)):
                documented[f"/{group}/{name}"] = DOC_TYPES.get(m.group(2), -1)
    table = schema_table()
    assert documented.keys() - table.keys() == {"/runs/params"}, sorted(documented.keys() - table.keys())
    assert not table.keys() - documented.keys(), f"not documented: {sorted(table.keys() - documented.keys())}"
    wrong = {p: (documented[p], c) for p, c in table.items() if documented[p] != c}
    assert not wrong, f"documented type code differs from the table's: {wrong}"


def test_results_format_is_generated_from_the_schema():
    """docs/results-format.md's per-run rows are what scripts/update-results-docs.py
    writes from `aif-sweep --results-format` (the writer's table), and the
    analysis requires only datasets the writer writes."""
    p = subprocess.run(["/usr/bin/python3", os.path.join(REPO, "scripts", "update-results-docs.py"), BIN, "--check"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    out = subprocess.run([BIN, "--results-format"], capture_output=True, text=True, check=True).stdout
    printed = {"/" + g + "/" + re.match(r"\| `([^`]+)`", row).group(1)
               for g, row in (line.split("\t", 1) for line in out.splitlines())}
    assert printed == set(schema_table()), "--results-format and the table differ"
    import sys
    sys.path.insert(0, REPO)
    from analysis.results import REQUIRED
    assert {"/" + r for r in REQUIRED} - {"/runs/params"} <= printed, REQUIRED


def c_module_graph():
    """Module -> the modules it includes: X.c and X.h are module X, and
    #include "Y.h" in either is an edge X -> Y (Y a project header, Y != X)."""
    graph, known = {}, files()
    for name, path in known.items():
        mod = name[:-2]
        deps = {h[:-2] for h in includes(path) if h.endswith(".h") and h in known} - {mod}
        graph.setdefault(mod, set()).update(deps)
    return graph


PY_IMPORT_RE = re.compile(r"^\s*(?:from\s+(?:\.|analysis\.?)(\w*)\s+import\s+([\w ,]+)|import\s+analysis\.(\w+))", re.M)


def py_module_graph():
    """Module of analysis/ -> the modules of analysis/ it imports, wherever
    the import statement is (a function-level import is an edge too)."""
    pkg = os.path.join(REPO, "analysis")
    mods = {n[:-3] for n in os.listdir(pkg) if n.endswith(".py")}
    graph = {}
    for m in mods:
        with open(os.path.join(pkg, m + ".py")) as f:
            deps = set()
            for frm, names, imp in PY_IMPORT_RE.findall(f.read()):
                if imp:
                    deps.add(imp)
                elif frm:
                    deps.add(frm)
                else:  # from . import a, b as c
                    deps.update(n.split()[0] for n in names.split(",") if n.strip())
        graph[m] = (deps & mods) - {m}
    return graph


def find_cycle(graph):
    """A cycle of graph as a list of nodes (first == last), or None."""
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for d in sorted(graph.get(n, ())):
            if state.get(d) == 1:
                return stack[stack.index(d):] + [d]
            if d not in state:
                c = visit(d)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            c = visit(n)
            if c:
                return c
    return None


def test_cycle_finder_sees_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
    text = "from .results import DONE\n    from . import verify, stats as S\nimport analysis.codes\n"
    got = set()
    for frm, names, imp in PY_IMPORT_RE.findall(text):
        got |= {imp} if imp else {frm} if frm else {n.split()[0] for n in names.split(",")}
    assert got == {"results", "verify", "stats", "codes"}


def test_no_include_cycle_in_c():
    g = c_module_graph()
    assert {"jobspec", "worlds"} <= g["job"] and "jobspec" in g["worlds"], "the scanner missed includes"
    cycle = find_cycle(g)
    assert cycle is None, "include cycle: " + " -> ".join(cycle)


def test_no_import_cycle_in_analysis():
    g = py_module_graph()
    assert "verify" in g["results"] and "codes" in g["verify"], "the scanner missed imports"
    cycle = find_cycle(g)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_test_tiers_name_real_tests():
    """The fast tier's exclusions (conftest.py) name modules and tests that
    exist, and leave the C unit tests and the structure checks in it."""
    import conftest
    here = os.path.dirname(os.path.abspath(__file__))
    sources = ""
    for m in conftest.FULL_TIER_MODULES:
        assert os.path.exists(os.path.join(here, m + ".py")), m
    for n in os.listdir(here):
        if n.startswith("test_") and n.endswith(".py"):
            with open(os.path.join(here, n)) as f:
                sources += f.read()
    missing = [t for t in conftest.FULL_TIER_TESTS if f"def {t}(" not in sources]
    assert not missing, f"conftest.FULL_TIER_TESTS names tests that do not exist: {missing}"
    for u in conftest.FULL_TIER_UNIT:
        binary, name = u.split("::")
        with open(os.path.join(here, binary + ".c")) as f:
            assert f'{{"{name}",' in f.read(), f"conftest.FULL_TIER_UNIT: {u} does not exist"
    assert not {"test_unit", "test_structure"} & conftest.FULL_TIER_MODULES


def functions(text):
    """(name, first line, lines) of every function definition in C text of
    this project's style: the signature starts in column 0, the body ends at
    the first '}' in column 0.  Counted from the line with the name to the
    closing brace, inclusive."""
    out = []
    lines = text.split("\n")
    i = 0
    sig = re.compile(r"^[A-Za-z_][\w \t\*]*?\b([A-Za-z_]\w*)\s*\(")
    while i < len(lines):
        m = sig.match(lines[i])
        if m and not lines[i].startswith(("typedef", "struct ", "enum ", "#")) and not lines[i].rstrip().endswith(";"):
            # the body opens on this line or on the following lines of the signature
            j = i
            while j < len(lines) and "{" not in lines[j] and not lines[j].rstrip().endswith(";"):
                j += 1
            if j < len(lines) and "{" in lines[j] and not lines[j].rstrip().endswith(";"):
                if re.sub(r"/\*.*?\*/\s*$", "", lines[j]).rstrip().endswith("}"):   # a one-line body
                    out.append((m.group(1), i + 1, j - i + 1))
                    i = j + 1
                    continue
                k = j + 1
                while k < len(lines) and lines[k].rstrip() != "}":
                    k += 1
                out.append((m.group(1), i + 1, k - i + 1))
                i = k + 1
                continue
        i += 1
    return out


def test_function_scanner_sees_long_functions():
    body = "\n".join(f"    x += {n};" for n in range(120))
    text = (f"static int small(int a) {{ return a; }} /* a comment */\n\n"
            f"int big(int x,\n        int y) {{\n{body}\n    return x;\n}}\n\n"
            "static void after(void) {\n    return;\n}\n")
    got = {n: length for n, _, length in functions(text)}
    assert got == {"small": 1, "big": 124, "after": 3}


def c_sources():
    return sorted(p for n, p in files().items() if n.endswith(".c"))


def test_no_source_file_over_1000_lines():
    long = {}
    for p in c_sources():
        with open(p) as f:
            n = sum(1 for _ in f)
        if n > 1000:
            long[os.path.basename(p)] = n
    assert not long, long


def test_no_function_over_100_lines():
    long = []
    for p in c_sources():
        with open(p) as f:
            for name, line, n in functions(f.read()):
                if n > 100:
                    long.append(f"{os.path.basename(p)}:{line} {name} ({n} lines)")
    assert not long, long
    # The scanner found the functions at all.
    with open(src("store.c")) as f:
        names = {n for n, _, _ in functions(f.read())}
    assert {"store_create", "store_open", "store_write_run"} <= names


def pv_reads(text):
    """Functions of C text that read a job value pv[...]: {name: count}."""
    out = {}
    lines = text.split("\n")
    for name, first, n in functions(text):
        k = sum(len(re.findall(r"\bpv\[", l)) for l in lines[first - 1:first - 1 + n])
        if k:
            out[name] = k
    return out


def test_agents_decode_their_parameters_once():
    """Each agent reads the job's values (pv[...]) in its decode function
    only: validate, needs, ckpt_floats and create read the typed struct
    (docs/structure.md, "How a parameter travels")."""
    files = [p for p in c_sources() if os.path.basename(p).startswith("agent_")]
    bad, decoders = [], set()
    for p in files:
        with open(p) as f:
            for name, k in pv_reads(f.read()).items():
                if name.endswith("_decode"):
                    decoders.add(name)
                else:
                    bad.append(f"{os.path.basename(p)}: {name} reads pv[] {k} times")
    assert not bad, bad
    assert {"dif_decode", "exact_decode", "ql_decode", "null_decode"} <= decoders, decoders
    # The scanner sees a read outside a decoder.
    got = pv_reads("static int f(const double *pv) {\n    return (int)pv[3];\n}\n")
    assert got == {"f": 1}


EVEX_RE = re.compile(r"^\s*[0-9a-f]+:\s+((?:[0-9a-f]{2} )+)\s*\t?(\S+)")


def evex_instructions(binary):
    """Instructions of binary encoded with the EVEX prefix (0x62 first, after
    an optional address-size or segment prefix): the AVX-512 encodings, which
    also cover AVX-512 forms on xmm/ymm registers."""
    out = subprocess.run(["objdump", "-d", "-w", binary],
                         capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        m = EVEX_RE.match(line)
        if not m:
            continue
        b = m.group(1).split()
        while b and b[0] in ("67", "2e", "3e", "26", "36", "64", "65"):
            b = b[1:]
        if b and b[0] == "62":
            found.append(line.strip())
    return found


def test_evex_scanner_sees_avx512(tmp_path):
    src = tmp_path / "v.c"
    src.write_text("void add(float *restrict a, const float *restrict b, int n) {\n"
                   "    for (int i = 0; i < n; i++) a[i] += b[i];\n}\n")
    obj = tmp_path / "v.o"
    subprocess.run(["cc", "-O3", "-march=skylake-avx512", "-mprefer-vector-width=512", "-c", str(src),
                    "-o", str(obj)], check=True)
    assert evex_instructions(str(obj)), "the scanner missed AVX-512 code"
    subprocess.run(["cc", "-O3", "-march=x86-64-v3", "-c", str(src), "-o", str(obj)], check=True)
    assert not evex_instructions(str(obj))


def test_default_build_has_no_avx512():
    if not os.path.exists(BIN):
        pytest.skip(f"{BIN} not built")
    with open(os.path.join(REPO, "build", "cflags")) as f:
        flags = f.read()
    assert "-march=x86-64-v3" in flags and "-march=native" not in flags, flags
    found = evex_instructions(BIN)
    assert not found, f"{len(found)} AVX-512 instructions, e.g. {found[:3]}"
