"""Worlds with hidden contexts through the whole pipeline (docs/contexts.md):
the exact reference with the true model over (cell, context) on the T-maze,
the context of every evaluation episode in the results file, the analysis on
such a file, the learners (exact-aif and diffusion-aif with its counts
control) learning the T-maze from their observations, and the agents and
options that do not handle contexts refusing them with one line that names
the world."""
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

from conftest import BIN, ROOT, run_sweep, write_job

sys.path.insert(0, ROOT)
from analysis import verify  # noqa: E402
from analysis.results import Results  # noqa: E402

TMAZE = """
name: tmaze_ref
seed: 4
seeds: 3
train_steps: 300
eval_episodes: 24
log_episodes: 24
checkpoints: 0
efe_checks: 4
environments:
  - preset: tmaze
  - name: plain
    size: 3
agents:
  - type: exact-aif
    name: exact-goal
    params: {model: true}
  - type: q-learning
  - type: random
"""


def _text(x):
    return x.decode() if isinstance(x, bytes) else str(x)


def test_exact_reference_visits_the_cue_first_and_takes_the_right_arm(tmp_path):
    """On the T-maze the reference (true model over (cell, context)) goes down
    to the cue, back to the junction and into the arm of the episode's
    context: every logged episode, 3 moves, success.  /eval/context holds
    each episode's context (both occur); in a world without contexts it is 0."""
    out = tmp_path / "r.h5"
    run_sweep(write_job(tmp_path, TMAZE), out, 2, check=True, timeout=600)
    with h5py.File(out, "r") as f:
        assert (f["runs/status"][:] == 1).all()
        p = f["runs/params"]
        agent = np.array([_text(x) for x in p["agent"]])
        env = np.array([_text(x) for x in p["env"]])
        ctx, succ, steps = f["eval/context"][:], f["eval/success"][:], f["eval/steps"][:]
        pos, length = f["traj/pos"][:], f["traj/length"][:]
        g = f["envs/tmaze"].attrs
        assert int(g["n_contexts"]) == 2 and _text(g["context_goals"]) == "0 2"
        assert _text(g["cue_reliability"]) == "1" and _text(g["context_probs"]) == "0.5 0.5"
        assert int(f["envs/plain"].attrs["n_contexts"]) == 1
        goals = [0, 2]
        ref = (agent == "exact-goal") & (env == "tmaze")
        for r in np.flatnonzero(ref):
            assert succ[r].all() and (steps[r] == 3).all(), (succ[r], steps[r])
            for e in range(length.shape[1]):
                path = pos[r, e, : length[r, e] + 1]
                assert list(path) == [1, 4, 1, goals[ctx[r, e]]], (r, e, path, ctx[r, e])
        on_tmaze = env == "tmaze"
        assert set(np.unique(ctx[on_tmaze])) == {0, 1}
        assert (ctx[~on_tmaze] == 0).all()
        # the belief about the context at each decision (/traj/p_context): a
        # half before the cue, the episode's context after it (a reliable
        # cue); none for the agents that have none, nor in a world without
        # contexts
        pc = f["traj/p_context"][:]             # [R, K, T, KC]: the belief in each context
        assert pc.shape[3] == 4
        for r in np.flatnonzero(ref):
            for e in range(length.shape[1]):
                assert np.allclose(pc[r, e, 0, :2], 0.5, atol=1e-6), pc[r, e, :4]
                assert np.allclose(pc[r, e, 1:3, 1], ctx[r, e], atol=1e-6), (pc[r, e, :4], ctx[r, e])
                assert np.allclose(pc[r, e, :3, :2].sum(axis=1), 1.0, atol=1e-6)
                assert np.isnan(pc[r, e, 3:]).all() and np.isnan(pc[r, e, :, 2:]).all()
        assert np.isnan(pc[~ref]).all()
        # the EFE diagnostic on the joint state: the belief planner's first
        # actions scored by the same recursion on the true model from the
        # same belief, so the reference's estimates are the exact values
        n, est, exact = f["efe_check/n_policies"][:], f["efe_check/G_estimate"][:], f["efe_check/G_exact"][:]
        rho = f["efe_check/spearman_median"][:]
        for r in np.flatnonzero(ref):
            assert (n[r] == 4).all(), n[r]
            assert np.array_equal(est[r, :, :4], exact[r, :, :4]), (est[r, 0, :4], exact[r, 0, :4])
            assert rho[r] == 1.0, rho[r]
    # the analysis reads such a file like any other
    p = subprocess.run(["/usr/bin/python3", "-m", "analysis", "summary", str(out), "--out", str(tmp_path / "a")],
                       capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert p.returncode == 0, p.stderr
    md = (tmp_path / "a" / "summary.md").read_text()
    assert "tmaze" in md and "cue visits" in md
    assert "tmaze (2x3" in md and "optimal 3.00 steps expected via the cue)" in md  # not one context's BFS distance
    p = subprocess.run(["/usr/bin/python3", "-m", "analysis", "status", str(out)], capture_output=True, text=True,
                       cwd=ROOT, timeout=300)
    assert p.returncode == 0 and "3.00 via the cue" in p.stdout, p.stdout
    # the reference's cells on the cue per logged episode: exactly one (start, cue, junction, arm)
    rows = [l for l in md.split("## tmaze")[1].split("##")[0].splitlines() if "| exact-goal |" in l]
    assert len(rows) == 1 and rows[0].rstrip().endswith("| 1.00 |"), rows
    p = subprocess.run(["/usr/bin/python3", "-m", "analysis", "figctx", str(out), "--out", str(tmp_path / "b")],
                       capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert p.returncode == 0, p.stderr
    png = tmp_path / "b" / "figctx_belief_tmaze.png"
    assert png.is_file() and png.read_bytes()[:4] == b"\x89PNG" and png.stat().st_size > 5000, p.stdout
    assert sorted(os.listdir(tmp_path / "b")) == ["figctx_belief_tmaze.png"]  # the plain world has none
    # a file from before format version 8 held the belief in the second of
    # two contexts, [R, K, T]: the analysis reads it as [1 - p, p] and draws it
    old = tmp_path / "old.h5"
    shutil.copy(out, old)
    with h5py.File(old, "r+") as f:
        second = f["traj/p_context"][:][..., 1]
        del f["traj/p_context"]
        f["traj/p_context"] = second
        f.attrs["format_version"] = 7
        covers = f["runs/crc32"].attrs["covers"].decode().split(",")
        status, crc = f["runs/status"][:], f["runs/crc32"][:]
        agents = [_text(a) for a in f["runs/params"]["agent"]]
        for r in np.flatnonzero(status == 1):
            crc[r] = verify.run_crc(f, int(r), int(status[r]), covers, agents[r])
        f["runs/crc32"][:] = crc
    with Results(out) as new, Results(old) as was:
        assert not was.damaged.size and not was.notes, was.notes
        for r in range(new.n_runs):
            np.testing.assert_allclose(was.context_belief(r), new.context_belief(r)[..., :2], atol=1e-6)
    p = subprocess.run(["/usr/bin/python3", "-m", "analysis", "figctx", str(old), "--out", str(tmp_path / "c")],
                       capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert p.returncode == 0 and (tmp_path / "c" / "figctx_belief_tmaze.png").is_file(), p.stderr


def _refused(tmp_path, agent, want):
    job = write_job(tmp_path, f"""
name: refuse
seeds: 1
train_steps: 100
eval_episodes: 1
environments:
  - preset: tmaze
agents:
  - {agent}
""")
    p = subprocess.run([BIN, str(job), "-o", str(tmp_path / "x.h5")], capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and want in lines[0] and "tmaze" in lines[0], p.stderr
    assert not (tmp_path / "x.h5").exists()


def test_agents_without_contexts_refuse_a_context_world(tmp_path):
    """Agents and options that have no notion of hidden contexts yet say so
    at load time, naming the world (never a silent wrong answer)."""
    
    _refused(tmp_path, "type: diffusion-aif\n    params: {prediction: samples}",
             "hidden contexts, and with them it does not take prediction: samples")
    _refused(tmp_path, "type: diffusion-aif\n    params: {state_labels: true}",
             "does not take state_labels: true")
    _refused(tmp_path, "type: diffusion-aif\n    params: {em_rounds: 1}", "does not take em_rounds > 0")
    _refused(tmp_path, "type: exact-aif\n    params: {model: learned, state_labels: true}",
             "state_labels: the labels are cells, not (cell, context)")
    _refused(tmp_path, "type: exact-aif\n    params: {model: true, preference: manhattan}",
             "preference: manhattan needs the goal's cell")
    _refused(tmp_path, "type: q-learning\n    params: {shaping: manhattan}", "shaping needs the goal's cell")


def test_bad_context_keys_name_their_line(tmp_path):
    """contexts and cue_reliability in a job file: checked with the line."""
    for env, want in [
        ("  - preset: tmaze\n    contexts: [0.5, 0.2]\n", "contexts: probabilities sum to 0.7"),
        ("  - preset: tmaze\n    contexts: 0.5\n", "expected a list of 2 to 9 context probabilities"),
        ("  - preset: tmaze\n    cue_reliability: 2\n", "cue_reliability"),
        ("  - preset: paper4x4\n    cue_reliability: 0.9\n", "cue_reliability: given, but the map has no context"),
    ]:
        job = write_job(tmp_path, "name: bad\nseeds: 1\ntrain_steps: 10\neval_episodes: 1\nenvironments:\n" + env +
                        "agents:\n  - type: random\n")
        p = subprocess.run([BIN, str(job), "--dry-run"], capture_output=True, text=True, timeout=60)
        assert p.returncode != 0 and want in p.stderr and "job.yaml:" in p.stderr, (env, p.stderr)


def test_a_context_world_drawn_in_a_job_file(tmp_path):
    """A map in a job file may hold goal digits and cues (jobs/README.md):
    the world is a context world like the presets, with its optimal route;
    a cue without goal digits is refused with the line."""
    env = ('  - name: corridor\n    map: ["CFF#", "F#F#", "1FF2", "##S#"]\n    slip: 0.1\n'
           '    cue_reliability: 0.9\n')
    job = write_job(tmp_path, "name: own\nseeds: 1\ntrain_steps: 10\neval_episodes: 1\nenvironments:\n" + env +
                    "agents:\n  - type: random\n")
    p = subprocess.run([BIN, str(job), "--dry-run"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "world corridor: 4x4, slip 0.1" in p.stdout and "2 hidden contexts, cue reliability 0.9" in p.stdout, \
        p.stdout
    assert "(the cue first, then the context's goal)" in p.stdout, p.stdout
    # without a cue the optimal route is straight to the episode's goal, and says so
    nocue = write_job(tmp_path, "name: own\nseeds: 1\ntrain_steps: 10\neval_episodes: 1\nenvironments:\n"
                      '  - name: n\n    map: ["1SFF2"]\nagents:\n  - type: random\n')
    p = subprocess.run([BIN, str(nocue), "--dry-run"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "optimal route 2.00 steps expected (no cue: straight to the context's goal)" \
        in p.stdout, p.stdout
    out = tmp_path / "n.h5"
    run_sweep(nocue, out, 1, check=True)
    p = subprocess.run(["/usr/bin/python3", "-m", "analysis", "status", str(out)], capture_output=True, text=True,
                       cwd=ROOT, timeout=300)
    assert p.returncode == 0 and "2.00 to the context's goal (no cue)" in p.stdout, p.stdout
    bad = write_job(tmp_path, "name: own\nseeds: 1\ntrain_steps: 10\neval_episodes: 1\nenvironments:\n"
                    '  - name: c\n    map: ["CFF", "FFG", "SFF"]\nagents:\n  - type: random\n')
    p = subprocess.run([BIN, str(bad), "--dry-run"], capture_output=True, text=True, timeout=60)
    assert p.returncode != 0 and "cue cells 'C' but no context goals" in p.stderr, p.stderr


def test_jobs_readme_context_worlds_table(tmp_path):
    """The table of context worlds in jobs/README.md says what --dry-run
    finds for each: size, slip, max_steps, cue reliability, optimal route."""
    import os
    import re
    readme = open(os.path.join(ROOT, "jobs", "README.md")).read()
    rows = re.findall(r"^\| `([\w.-]+)` \| (\d+)×(\d+) \| [^|]+ \| ([^|]+) \| [^|]+ \| ([\d.]+) \| ([\d.]+) \| "
                      r"([\d.]+) \| (\d+) \|", readme, re.M)
    assert len(rows) == 4, rows
    envs = "".join(f"  - preset: {r[0]}\n" for r in rows)
    job = write_job(tmp_path, f"environments:\n{envs}agents:\n  - type: random\n")
    p = subprocess.run([BIN, str(job), "--dry-run"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    for name, r, c, goals, cue, optimal, slip, max_steps in rows:
        K = goals.count("(")  # one cell per context's goal
        line = (f"# world {name}: {r}x{c}, slip {float(slip):g}, max_steps {max_steps}, {K} hidden contexts, "
                f"cue reliability {float(cue):g}, optimal route {optimal} steps expected (the cue first, then the "
                f"context's goal)")
        assert line in p.stdout.splitlines(), (line, p.stdout)


def test_reference_reads_the_cue_in_the_cue_maze_and_the_state_tail_does_not(tmp_path):
    """The cue-maze: planning over the belief about the context (the default)
    walks to the cue first and reaches the goal it shows; with the tail over
    states (context_tail: state, as if the context were known) no episode
    ever visits the cue."""
    job = write_job(tmp_path, """
name: cuemaze
seed: 9
seeds: 2
train_steps: 0
eval_episodes: 10
log_episodes: 10
checkpoints: 0
efe_checks: 0
environments:
  - preset: cue-maze
agents:
  - type: exact-aif
    name: belief
  - type: exact-aif
    name: state
    params: {context_tail: state}
""")
    out = tmp_path / "c.h5"
    run_sweep(job, out, 1, check=True, timeout=600)
    with h5py.File(out, "r") as f:
        agent = np.array([_text(x) for x in f["runs/params"]["agent"]])
        succ, pos, length = f["eval/success"][:], f["traj/pos"][:], f["traj/length"][:]
        cue = 8 * 9 + 0
        for r in range(len(agent)):
            for e in range(length.shape[1]):
                path = list(pos[r, e, : length[r, e] + 1])
                if agent[r] == "belief":
                    assert cue in path and succ[r, e], (r, e, path)
                    assert path.index(cue) < len(path) - 1  # the cue before the end
                else:
                    assert cue not in path and not succ[r, e], (r, e, path)


def test_what_makes_the_tmaze_reference_read_the_cue(tmp_path):
    """The first decision on the T-maze, read by scripts/first-decision.py
    (jobs/contexts_epistemic.yaml has the 20-seed figures).  The belief
    planner prefers the cue by the value of knowing the context (c_goal = 8
    nats here), and as much with no epistemic term at all (risk_term:
    expected-cost, w_ambiguity 0): the detour is instrumental.  The open-loop
    tree prefers it by the cue's information gain alone, ln 2, and without
    the epistemic term the cue ties with waiting (every decision)."""
    job = write_job(tmp_path, """
name: epistemic
seed: 5
seeds: 2
train_steps: 0
eval_episodes: 4
log_episodes: 4
checkpoints: 0
efe_checks: 0
environments:
  - preset: tmaze
agents:
  - type: exact-aif
    name: belief
  - type: exact-aif
    name: belief-cost
    params: {risk_term: expected-cost, w_ambiguity: 0}
  - type: exact-aif
    name: tree
    params: {planner: tree}
  - type: exact-aif
    name: tree-cost
    params: {planner: tree, risk_term: expected-cost, w_ambiguity: 0}
""")
    out = tmp_path / "e.h5"
    run_sweep(job, out, 1, check=True, timeout=600)
    with h5py.File(out, "r") as f:
        agent = [_text(x) for x in f["runs/params"]["agent"]]
        risk = [_text(x) for x in f["runs/params"]["risk_term"]]
        assert all((r == "expected-cost") == a.endswith("-cost") for a, r in zip(agent, risk)), (agent, risk)
    p = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "first-decision.py"), str(out)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    rows = {}
    for line in p.stdout.splitlines()[2:]:
        cells = [x.strip() for x in line.strip("|").split("|")]
        rows[cells[1]] = cells
    assert set(rows) == {"belief", "belief-cost", "tree", "tree-cost"}, p.stdout
    for name in ("belief", "belief-cost"):
        world, _, n, to_cue, taken, gap, tied, best = rows[name]
        assert (world, n, to_cue, tied, best) == ("tmaze", "8", "100.0%", "0.0%", "down"), rows[name]
        assert abs(float(gap) - 8.0) < 1e-3, rows[name]
    world, _, n, to_cue, taken, gap, tied, best = rows["tree"]
    assert (to_cue, tied, best) == ("100.0%", "0.0%", "down") and abs(float(gap) - np.log(2)) < 1e-3, rows["tree"]
    world, _, n, to_cue, taken, gap, tied, best = rows["tree-cost"]
    assert (tied, best) == ("100.0%", "-") and float(gap) == 0.0, rows["tree-cost"]


def _tmaze_learning_job(tmp_path, name, seeds, train_steps, agents):
    """A job that trains learners on the T-maze and logs every evaluation episode."""
    return write_job(tmp_path, f"""
name: {name}
seed: 3
seeds: {seeds}
train_steps: {train_steps}
eval_episodes: 20
log_episodes: 20
checkpoints: 1
efe_checks: 4
environments:
  - preset: tmaze
agents:
{agents}""")


def test_learned_exact_aif_learns_the_tmaze_without_labels(tmp_path):
    """exact-aif with model: learned, from its own observations only (EM on a
    mixture over the contexts, latent_ctx.h): it learns where the cue is and
    what it means, and then reads it first and takes the right arm."""
    job = _tmaze_learning_job(tmp_path, "learn", 3, 5000, """  - type: exact-aif
    params: {model: learned}
""")
    out = tmp_path / "l.h5"
    run_sweep(job, out, 2, check=True, timeout=600)
    with h5py.File(out, "r") as f:
        assert (f["runs/status"][:] == 1).all()
        succ, pos, length = f["eval/success"][:], f["traj/pos"][:], f["traj/length"][:]
        assert succ.mean() >= 0.9, succ.mean(axis=1)
        cue_first = [pos[r, e, 1] == 4 for r in range(pos.shape[0]) for e in range(length.shape[1])]
        assert np.mean(cue_first) >= 0.9
        assert np.isnan(f["model/tv_B"][:]).all()  # contexts are not identified: no comparison
        # the EFE diagnostic on the joint state, the learner's naming of the
        # contexts matched to the world's by its beliefs: its G ranks the
        # first actions as the true model's does
        assert (f["efe_check/spearman_median"][:] >= 0.8).all(), f["efe_check/spearman_median"][:]


def test_diffusion_aif_and_its_counts_control_learn_the_tmaze(tmp_path):
    """diffusion-aif without labels on the T-maze (docs/contexts.md): it
    explores by EFE on the counts model of its record, infers (cell, context)
    for every step of it, fits the network on windows whose z carries the
    context and plans on the model read off the network; its control plans on
    the counts.  Both read the cue first and take the right arm; the network
    is checkpointed (its tokens are wider: symbol and context entries), and no
    model is compared with the world's (the contexts are not identified)."""
    job = _tmaze_learning_job(tmp_path, "dlearn", 2, 4000, """  - type: diffusion-aif
    params: {train_iters: 2000}
  - type: diffusion-aif
    name: counts
    params: {model: counts}
""")
    out = tmp_path / "d.h5"
    run_sweep(job, out, 2, check=True, timeout=900)
    with h5py.File(out, "r") as f:
        assert (f["runs/status"][:] == 1).all()
        agent = [_text(a) for a in f["runs/params"]["agent"]]
        succ, pos, length = f["eval/success"][:], f["traj/pos"][:], f["traj/length"][:]
        assert np.isnan(f["model/tv_B"][:]).all()
        assert np.isfinite(f["efe_check/spearman_median"][:]).all()  # the diagnostic on the joint state
        params = f["runs/params"][:]
        for r, name in enumerate(agent):
            assert succ[r].mean() >= 0.9, (name, succ[r].mean())
            cue_first = [pos[r, e, 1] == 4 for e in range(length.shape[1])]
            assert np.mean(cue_first) >= 0.9, (name, cue_first)
            assert _text(params["exploration"][r]) == "auto"
            n, row = int(f["checkpoints/floats"][r]), int(f["checkpoints/row"][r])
            if name == "counts":
                assert n == 0  # no network trained
                continue
            w = f["checkpoints/diffusion-aif"][row, -1, :n]
            assert n > 16 and w[0] == 0xABCDEF and np.isfinite(w).all()
            assert int(w[6]) == 4 + 4 + 3 + 4 + 2  # d_tok: o, z, actions, flags, 4 symbols, 2 contexts


# The reference and the two learners of the tests with more than two contexts.
LEARNERS = """agents:
  - type: exact-aif
    name: exact-goal
    params: {model: true}
  - type: exact-aif
    name: exact-learned
    params: {model: learned}
  - type: diffusion-aif
    name: counts
    params: {model: counts}
"""


def _beliefs_and_checks(f, agent, K):
    """Every agent's logged belief is a distribution over the K contexts;
    every checked decision is scored (4 first actions), the reference's
    estimates being the exact values; every run has a rank correlation."""
    pc = f["traj/p_context"][:]
    for r in range(len(agent)):
        b = pc[r, :, :, :K][np.isfinite(pc[r, :, :, 0])]
        assert len(b) > 0 and np.allclose(b.sum(axis=1), 1.0, atol=1e-5) and (b >= 0).all(), agent[r]
        assert np.isnan(pc[r, :, :, K:]).all()
    n, est, exact = f["efe_check/n_policies"][:], f["efe_check/G_estimate"][:], f["efe_check/G_exact"][:]
    rho = f["efe_check/spearman_median"][:]
    assert (n == 4).all(), n
    for r in np.flatnonzero(agent == "exact-goal"):
        assert np.array_equal(est[r, :, :4], exact[r, :, :4]) and rho[r] == 1.0, (est[r, 0, :4], exact[r, 0, :4])
    print("EFE rank correlation (median per run):", list(zip(agent, np.round(rho, 2))))
    assert np.isfinite(rho).all(), rho


def test_three_contexts_the_reference_and_the_learners(tmp_path):
    """The plus-maze (three arms, the cue below the junction): the reference
    plans over the belief about three contexts (efe_ctx.h's grid on the
    simplex) and goes cue, junction, the arm of the episode's context in
    every logged episode; exact-aif's learner (a mixture of three) and
    diffusion-aif's counts control learn it from their observations and read
    the cue first.  /traj/p_context holds the belief in each of the three
    contexts: the reference's a third each at the start and the episode's
    context once it has seen the cue.  The EFE diagnostic scores every
    checked decision, under each learner's own naming of the contexts: the
    reference's estimates are the exact values."""
    job = write_job(tmp_path, """
name: plus
seed: 3
seeds: 2
train_steps: 5000
eval_episodes: 30
log_episodes: 30
checkpoints: 0
efe_checks: 4
environments:
  - preset: plus-maze
""" + LEARNERS)
    out = tmp_path / "p.h5"
    run_sweep(job, out, 2, check=True, timeout=600)
    with h5py.File(out, "r") as f:
        assert (f["runs/status"][:] == 1).all()
        agent = np.array([_text(x) for x in f["runs/params"]["agent"]])
        ctx, succ = f["eval/context"][:], f["eval/success"][:]
        pos, length = f["traj/pos"][:], f["traj/length"][:]
        assert int(f["envs/plus-maze"].attrs["n_contexts"]) == 3
        assert set(np.unique(ctx)) == {0, 1, 2}
        goals = [3, 5, 1]  # the arms of contexts 1, 2, 3: left, right, up
        for r in np.flatnonzero(agent == "exact-goal"):
            assert succ[r].all()
            for e in range(length.shape[1]):
                path = pos[r, e, : length[r, e] + 1]
                assert list(path) == [4, 7, 4, goals[ctx[r, e]]], (r, e, path, ctx[r, e])
        for r in np.flatnonzero(agent != "exact-goal"):
            assert succ[r].mean() >= 0.9, (agent[r], succ[r].mean())
            cue_first = [pos[r, e, 1] == 7 for e in range(length.shape[1])]
            assert np.mean(cue_first) >= 0.9, (agent[r], cue_first)
        pc = f["traj/p_context"][:]
        for r in np.flatnonzero(agent == "exact-goal"):
            for e in range(length.shape[1]):
                assert np.allclose(pc[r, e, 0, :3], 1 / 3, atol=1e-6), pc[r, e, 0]
                assert np.allclose(pc[r, e, 1:3, ctx[r, e]], 1.0, atol=1e-6), (pc[r, e, :3], ctx[r, e])
        _beliefs_and_checks(f, agent, 3)


def test_four_contexts_the_reference_and_the_learners(tmp_path):
    """Four contexts, the most the belief planner handles: a goal in each
    corner of a 3x3 room, the cue below the start.  The reference goes to
    the cue first and then to the goal it shows; exact-aif's learner and
    diffusion-aif's counts control, fitting a mixture of four from their
    observations, reach the goal in >= 90% of the episodes.  /traj/p_context
    holds the belief in each of the four (the reference's a quarter each at
    the start, the episode's context after the cue), and the EFE diagnostic
    scores every checked decision under each learner's own naming of the
    contexts (one of 24)."""
    job = write_job(tmp_path, """
name: four
seed: 7
seeds: 2
train_steps: 4000
eval_episodes: 20
log_episodes: 20
checkpoints: 0
efe_checks: 4
environments:
  - name: four-corners
    map: ["1F2", "FSF", "3C4"]
    max_steps: 10
""" + LEARNERS)
    out = tmp_path / "f.h5"
    run_sweep(job, out, 3, check=True, timeout=600)
    with h5py.File(out, "r") as f:
        assert (f["runs/status"][:] == 1).all()
        agent = np.array([_text(x) for x in f["runs/params"]["agent"]])
        ctx, succ = f["eval/context"][:], f["eval/success"][:]
        pos, length, pc = f["traj/pos"][:], f["traj/length"][:], f["traj/p_context"][:]
        assert int(f["envs/four-corners"].attrs["n_contexts"]) == 4
        assert set(np.unique(ctx)) == {0, 1, 2, 3}
        for r in range(len(agent)):
            assert succ[r].mean() >= 0.9, (agent[r], succ[r].mean())
        for r in np.flatnonzero(agent == "exact-goal"):
            for e in range(length.shape[1]):
                assert pos[r, e, 1] == 7, pos[r, e, :length[r, e] + 1]      # the cue first
                assert np.allclose(pc[r, e, 0], 0.25, atol=1e-6), pc[r, e, 0]
                assert abs(pc[r, e, 1, ctx[r, e]] - 1.0) < 1e-6, (pc[r, e, 1], ctx[r, e])
        _beliefs_and_checks(f, agent, 4)


def test_five_contexts_the_reference_and_the_learners(tmp_path):
    """Five contexts, above the four the belief planner once stopped at (its
    grid on the simplex is then every belief in fifths, 126 points, the
    uniform belief and each known context among them): the reference goes to
    the cue first in every episode and then to the goal it shows; the
    learners fit a mixture of five and reach the goal in >= 90% of the
    episodes.  /traj/p_context has room for the five (KC = 5), the
    reference's belief a fifth each at the start; the EFE diagnostic settles
    each learner's naming among the 120."""
    job = write_job(tmp_path, """
name: five
seed: 7
seeds: 1
train_steps: 3000
eval_episodes: 20
log_episodes: 20
checkpoints: 0
efe_checks: 4
environments:
  - name: five
    map: ["1F2F3", "FFSFF", "4FCF5"]
    max_steps: 12
""" + LEARNERS)
    out = tmp_path / "f.h5"
    run_sweep(job, out, 2, check=True, timeout=600)
    with h5py.File(out, "r") as f:
        assert (f["runs/status"][:] == 1).all()
        agent = np.array([_text(x) for x in f["runs/params"]["agent"]])
        ctx, succ = f["eval/context"][:], f["eval/success"][:]
        pos, length, pc = f["traj/pos"][:], f["traj/length"][:], f["traj/p_context"][:]
        assert int(f["envs/five"].attrs["n_contexts"]) == 5 and pc.shape[-1] == 5
        assert len(set(np.unique(ctx))) >= 4
        for r in range(len(agent)):
            assert succ[r].mean() >= 0.9, (agent[r], succ[r].mean())
            if agent[r] == "exact-goal":
                for e in range(length.shape[1]):
                    assert pos[r, e, 1] == 12, pos[r, e, :length[r, e] + 1]      # the cue first
                    assert np.allclose(pc[r, e, 0], 0.2, atol=1e-6), pc[r, e, 0]
                    assert abs(pc[r, e, 1, ctx[r, e]] - 1.0) < 1e-6, (pc[r, e, 1], ctx[r, e])
        _beliefs_and_checks(f, agent, 5)


def test_a_belief_table_too_large_is_refused(tmp_path):
    """Nine contexts on 45 cells: the belief planner's table would have
    45 x 24,310 information states, above the 2^20 it is built for; each
    agent that would plan over it says so in one line naming the world, and
    nothing is written.  The reference with the tail over states plans
    without it."""
    env = ('  - name: nine\n    map: ["1F2F3F4F5", "FFFFSFFFF", "6F7FCF8F9", "FFFFFFFFF", "FFFFFFFFF"]\n'
           '    max_steps: 30\n')
    for agent, ok in [("type: exact-aif\n    params: {model: true}", False),
                      ("type: exact-aif\n    params: {model: learned}", False),
                      ("type: diffusion-aif", False),
                      ("type: exact-aif\n    params: {model: true, context_tail: state}", True)]:
        job = write_job(tmp_path, "name: nine\nseeds: 1\ntrain_steps: 100\neval_episodes: 1\nenvironments:\n" +
                        env + f"agents:\n  - {agent}\n")
        p = subprocess.run([BIN, str(job), "-o", str(tmp_path / "x.h5"), "--dry-run"], capture_output=True,
                           text=True, timeout=60)
        if ok:
            assert p.returncode == 0, p.stderr
            continue
        lines = p.stderr.strip().splitlines()
        assert p.returncode != 0 and len(lines) == 1, p.stderr
        assert "45 cells x 24310 beliefs about 9 hidden contexts in world 'nine'" in lines[0], lines[0]
        assert "1048576 information states" in lines[0], lines[0]
        assert not (tmp_path / "x.h5").exists()
