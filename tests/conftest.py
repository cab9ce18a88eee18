"""Shared helpers of the end-to-end tests: run the real aif-sweep through mpirun."""
import hashlib
import os
import subprocess

import h5py
import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "build", "aif-sweep")
MPIRUN = os.path.join(ROOT, "scripts", "mpirun.sh")


def sweep_cmd(job, out=None, np_=1, *args):
    cmd = ["sh", MPIRUN, str(np_), BIN, str(job)]
    if out is not None:
        cmd += ["-o", str(out)]
    return cmd + list(args)


def run_sweep(job, out=None, np_=1, *args, timeout=300, check=False):
    p = subprocess.run(sweep_cmd(job, out, np_, *args), capture_output=True, text=True,
                       timeout=timeout, cwd=ROOT)
    if check and p.returncode != 0:
        raise AssertionError(f"aif-sweep exited {p.returncode}:\n{p.stdout}\n{p.stderr}")
    return p


def tiny_job(name, agent, seeds=1, seed=None):
    """Job text of a 3x3 world, 10 training steps, one evaluation episode and
    no logs, checkpoints or EFE checks: for tests of the runner and the store,
    where what the runs compute does not matter.  `agent` is the YAML of one
    agents entry after "- ", e.g. "type: null-work\n    params: {sleep_ms: 5}"."""
    return (f"name: {name}\n" + (f"seed: {seed}\n" if seed is not None else "") +
            f"seeds: {seeds}\ntrain_steps: 10\neval_episodes: 1\nlog_episodes: 0\ncheckpoints: 0\n"
            f"efe_checks: 0\nenvironments:\n  - name: w\n    size: 3\nagents:\n  - {agent}\n")


def write_job(tmp_path, text, name="job.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def sha256_file(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


# Datasets whose rows must be identical between two sweeps of the same job
# (timings and the rank that ran a run legitimately differ).
DETERMINISTIC = ["runs/status", "runs/train_steps", "runs/train_episodes", "runs/fit_steps", "runs/message",
                 "eval/steps", "eval/success", "eval/return", "eval/outcome",
                 "train/curve_steps", "train/curve_success", "train/curve_return", "train/curve_episodes",
                 "traj/length", "traj/pos", "traj/obs", "traj/action", "traj/G", "traj/risk",
                 "traj/ambiguity", "traj/p_action", "checkpoints/step", "checkpoints/floats",
                 "checkpoints/row", "efe_check/n_policies", "efe_check/G_estimate", "efe_check/G_exact"]


def assert_same_results(a, b):
    """Every run marked done in both files has bit-identical results."""
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        sa, sb = fa["runs/status"][:], fb["runs/status"][:]
        assert (sa == 1).all() and (sb == 1).all(), (sa, sb)
        for name in DETERMINISTIC:
            x, y = fa[name][:], fb[name][:]
            assert x.shape == y.shape, name
            if x.dtype.kind == "f":
                assert np.array_equal(x, y, equal_nan=True), name
            else:
                assert np.array_equal(x, y), name
        for name in fa["checkpoints"]:
            if isinstance(fa["checkpoints"][name], h5py.Dataset) and name not in ("step", "floats", "row"):
                assert np.array_equal(fa["checkpoints"][name][:], fb["checkpoints"][name][:], equal_nan=True)
        assert fa["runs/params"][:].tobytes() == fb["runs/params"][:].tobytes()


@pytest.fixture
def small_job(tmp_path):
    text = """
name: small
seed: 11
seeds: 3
train_steps: 4000
eval_episodes: 6
log_episodes: 2
checkpoints: 2
curve_points: 5
environments:
  - name: paper4x4
    size: 4
    max_steps: 50
  - name: slippy
    size: 5
    slip: 0.2
    obs_noise: 0.3
    max_steps: 60
agents:
  - type: random
  - type: q-learning
    params:
      alpha: [0.2, 0.6]
"""
    return write_job(tmp_path, text)


def descendants(pid):
    """Pids of every process below pid (mpirun's ranks and their helpers)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            kids = [int(k) for k in open(f"/proc/{p}/task/{p}/children").read().split()]
        except OSError:
            kids = []
        out += kids
        todo += kids
    return out


def sweep_ranks(pid):
    """Pids of the aif-sweep processes below pid."""
    res = []
    for p in descendants(pid):
        try:
            if open(f"/proc/{p}/comm").read().strip() == "aif-sweep":
                res.append(p)
        except OSError:
            pass
    return res


# ---- test tiers -------------------------------------------------------------------------
# `make test` (as CI runs it) runs everything.  `make check` is the fast tier,
# for before each commit: every C unit test and the end-to-end tests that take
# a few seconds, i.e. everything except these modules (the sanitizer rebuild,
# fuzzing, the Slurm cluster, fault injection, lock races, damaged files) and
# these tests (each over 3 s on this project's 2-core machine by
# `pytest --durations=0`, 7 December 2026, and a few of 1.2-2.2 s that keep
# the tier under 2 minutes), marked `full` here.
FULL_TIER_MODULES = {"test_hardening", "test_slurm", "test_faults", "test_lock", "test_analysis_damage"}
FULL_TIER_TESTS = {
    "test_resume_after_sigkill_matches_uninterrupted", "test_resume_refuses_other_job_and_foreign_files",
    "test_sigterm_stops_cleanly_then_resume", "test_existing_file_never_overwritten",
    "test_sigusr1_to_mpirun_is_forwarded",
    "test_stopping_rule_stops_before_the_cap_and_reaches_the_goal", "test_small_version_of_job_runs",
    "test_diffusion_aif_and_its_counts_control_learn_the_tmaze",
    "test_learned_exact_aif_learns_the_tmaze_without_labels",
    "test_efe_figures_and_heatmap_panels", "test_make_report_writes_every_table_and_figure",
    "test_rows_not_done_are_never_read", "test_files_that_are_not_results", "test_budget_curves",
    "test_status_of_a_sweep_running_then_killed", "test_each_figure_command",
    "test_figures_say_why_they_are_skipped", "test_agents_without_contexts_refuse_a_context_world",
    "test_exact_reference_visits_the_cue_first_and_takes_the_right_arm",
    "test_three_contexts_the_reference_and_the_learners",
    "test_four_contexts_the_reference_and_the_learners",
}
# C unit tests of the same kind (pytest ids of tests/test_unit.py's cases).
FULL_TIER_UNIT = {"unit_diffusion::trained_walk", "unit_agent_diffusion::maze_goal_only",
                  "unit_agent_diffusion::first_action_agrees_with_exact", "unit_diffusion::gauss_inpaint",
                  "unit_diffusion::trained_mixture", "unit_agent_diffusion::learns_without_labels"}


def pytest_configure(config):
    config.addinivalue_line("markers", "full: only in the full tier (make test), not in make check")


def pytest_collection_modifyitems(config, items):
    for item in items:
        unit = getattr(item, "callspec", None) and item.callspec.id in FULL_TIER_UNIT
        if item.module.__name__ in FULL_TIER_MODULES or item.originalname in FULL_TIER_TESTS or unit:
            item.add_marker(pytest.mark.full)
