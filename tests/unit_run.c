/* unit_run: one train-then-evaluate run (run.h) on a tiny world, without MPI
 * or HDF5.  Every field of the record is well defined and consistent (steps,
 * outcomes, trajectories that walk the grid, the curve's counts); a run is a
 * function of (sweep seed, run id) alone, whatever ran before it in the
 * process; a raised stop flag leaves the run pending; a checkpoint larger
 * than the layout fails the run with a message; the EFE diagnostic fills its
 * slots.  The layout's dimensions are set here as the store would size them
 * (the store is tested elsewhere). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "job/job.h"
#include "run/run.h"
#include "unit.h"

static const char JOB[] =
    "name: unit-run\n"
    "seed: 5\n"
    "seeds: 2\n"
    "train_steps: 400\n"
    "eval_episodes: 4\n"
    "log_episodes: 2\n"
    "checkpoints: 2\n"
    "curve_points: 4\n"
    "efe_checks: 3\n"
    "environments:\n"
    "  - name: w\n"
    "    size: 3\n"
    "    max_steps: 12\n"
    "agents:\n"
    "  - type: random\n"
    "  - type: q-learning\n"
    "  - type: null-work\n"
    "    params: {ckpt_floats: 16}\n";

typedef struct {
    jobspec_t job;
    runlist_t rl;
    worlds_t ws;
    layout_dims_t d;
    size_t cap;
} fixture_t;

static int setup(fixture_t *f, char *err, size_t n) {
    memset(f, 0, sizeof *f);
    if (job_parse(&f->job, "unit-run.yaml", JOB, strlen(JOB), err, n) != 0) return -1;
    if (jobspec_expand(&f->job, &f->rl, err, n) != 0) return -1;
    if (worlds_build(&f->ws, &f->job, err, n) != 0) return -1;
    f->d = (layout_dims_t){.n_runs = f->rl.n, .n_conditions = f->rl.n_conditions,
                           .eval_episodes = f->job.eval_episodes, .log_episodes = f->job.log_episodes,
                           .max_steps = 12, .n_actions = GW_MAX_ACTIONS, .curve_points = f->job.curve_points,
                           .n_ckpt = f->job.checkpoints, .n_check = f->job.efe_checks};
    for (long i = 0; i < f->rl.n; i++) {
        size_t c = run_ckpt_floats(&f->job, &f->ws, &f->rl.runs[i]);
        if (c > f->cap) f->cap = c;
    }
    return 0;
}

static void teardown(fixture_t *f) {
    worlds_free(&f->ws);
    runlist_free(&f->rl);
    jobspec_free(&f->job);
}

/* The first run of the agent entry named `type`. */
static const run_t *run_of(const fixture_t *f, const char *type, int seed_index) {
    for (long i = 0; i < f->rl.n; i++) {
        const run_t *r = &f->rl.runs[i];
        if (!strcmp(f->job.agents[r->agent].cls->name, type) && r->seed_index == seed_index) return r;
    }
    return NULL;
}

static void test_record_consistent(void) {
    char err[1024];
    fixture_t f;
    CHECK_MSG(setup(&f, err, sizeof err) == 0, "%s", err);
    CHECK(f.rl.n == 6 && f.cap >= 16);
    const gridworld_t *g = &f.ws.w[0];
    const size_t T = 12, NA = GW_MAX_ACTIONS;
    run_result_t res;
    CHECK(result_alloc(&res, &f.d, f.cap) == 0);
    const char *types[] = {"random", "q-learning", "null-work"};
    for (int ti = 0; ti < 3; ti++) {
        const run_t *run = run_of(&f, types[ti], 0);
        CHECK(run);
        CHECK(run_execute(&f.job, &f.ws, run, &f.d, &res, NULL) == 0);
        CHECK_MSG(res.status == RUN_DONE && res.message[0] == 0, "%s: %s", types[ti], res.message);
        CHECK(res.run_id == run->run_id && res.t_end >= res.t_start && res.t_start > 0);
        CHECK(res.train_steps >= 0 && res.train_steps <= 400);
        long eps = 0;
        for (int b = 0; b < 4; b++) eps += res.curve_episodes[b];
        CHECK(eps == res.train_episodes);
        if (ti == 1) CHECK(res.train_steps > 0 && res.train_episodes > 0);   /* q-learning learns */
        else CHECK(res.train_steps == 0);
        CHECK(res.ckpt_floats == run_ckpt_floats(&f.job, &f.ws, run));
        for (int e = 0; e < 4; e++) {
            int st = res.eval_steps[e];
            CHECK(st >= 1 && st <= 12);
            CHECK(res.eval_success[e] == (res.eval_outcome[e] == RESULT_GOAL));
            CHECK(res.eval_outcome[e] == RESULT_GOAL || res.eval_outcome[e] == RESULT_TIMEOUT);   /* no holes */
            CHECK(res.eval_outcome[e] != RESULT_TIMEOUT || st == 12);
            if (e >= 2) continue;
            CHECK(res.traj_len[e] == st);
            const int32_t *pos = res.traj_pos + (size_t)e * (T + 1), *obs = res.traj_obs + (size_t)e * (T + 1);
            const int8_t *act = res.traj_action + (size_t)e * T;
            CHECK(pos[0] == g->start);
            for (int t = 0; t <= st; t++) CHECK(pos[t] >= 0 && pos[t] < 9 && obs[t] == pos[t]);  /* fully observable */
            for (int t = st + 1; t <= 12; t++) CHECK(pos[t] == -1 && obs[t] == -1);
            for (int t = 0; t < st; t++) {
                CHECK(act[t] >= 0 && act[t] < g->n_actions);
                CHECK(pos[t + 1] == g->next[act[t] * g->n_states + pos[t]]);   /* deterministic moves */
                if (ti != 1) CHECK(isfinite(res.traj_p_action[((size_t)e * T + t) * NA]));  /* q-learning: action only */
            }
            for (int t = st; t < 12; t++) CHECK(act[t] == -1);
            CHECK((pos[st] == g->goal) == res.eval_success[e]);
        }
    }
    result_free(&res);
    teardown(&f);
}

static int same_record(const run_result_t *a, const run_result_t *b, const layout_dims_t *d) {
    size_t E = (size_t)d->eval_episodes, K = (size_t)d->log_episodes, T = (size_t)d->max_steps;
    size_t NA = (size_t)d->n_actions, C = (size_t)d->curve_points, D = (size_t)d->n_check;
    return !memcmp(a->eval_steps, b->eval_steps, E * 4) && !memcmp(a->eval_success, b->eval_success, E) &&
           !memcmp(a->eval_return, b->eval_return, E * 4) && !memcmp(a->traj_pos, b->traj_pos, K * (T + 1) * 4) &&
           !memcmp(a->traj_obs, b->traj_obs, K * (T + 1) * 4) && !memcmp(a->traj_action, b->traj_action, K * T) &&
           !memcmp(a->traj_G, b->traj_G, K * T * NA * 4) && !memcmp(a->curve_episodes, b->curve_episodes, C * 4) &&
           !memcmp(a->curve_steps, b->curve_steps, C * 4) && !memcmp(a->check_n, b->check_n, D * 4) &&
           !memcmp(a->ckpt, b->ckpt, (size_t)d->n_ckpt * a->ckpt_cap * 4) &&
           !memcmp(a->ckpt_step, b->ckpt_step, (size_t)d->n_ckpt * 8) && a->train_steps == b->train_steps &&
           a->train_episodes == b->train_episodes;
}

/* Run r alone, and after other runs: the same record, bit for bit; the other
 * seed's run of the same condition differs. */
static void test_reproducible(void) {
    char err[1024];
    fixture_t f;
    CHECK_MSG(setup(&f, err, sizeof err) == 0, "%s", err);
    run_result_t a, b;
    CHECK(result_alloc(&a, &f.d, f.cap) == 0 && result_alloc(&b, &f.d, f.cap) == 0);
    const char *types[] = {"random", "q-learning", "null-work"};
    for (int ti = 0; ti < 3; ti++) {
        const run_t *r0 = run_of(&f, types[ti], 0), *r1 = run_of(&f, types[ti], 1);
        CHECK(r0 && r1 && r0->run_id != r1->run_id);
        CHECK(run_execute(&f.job, &f.ws, r0, &f.d, &a, NULL) == 0 && a.status == RUN_DONE);
        for (long i = f.rl.n - 1; i >= 0; i--)    /* everything else, in reverse */
            if (&f.rl.runs[i] != r0) CHECK(run_execute(&f.job, &f.ws, &f.rl.runs[i], &f.d, &b, NULL) == 0);
        CHECK(run_execute(&f.job, &f.ws, r0, &f.d, &b, NULL) == 0);
        CHECK_MSG(same_record(&a, &b, &f.d), "%s: run %ld differs when run again", types[ti], r0->run_id);
        CHECK(run_execute(&f.job, &f.ws, r1, &f.d, &b, NULL) == 0);
        CHECK_MSG(!same_record(&a, &b, &f.d), "%s: runs %ld and %ld equal", types[ti], r0->run_id, r1->run_id);
    }
    result_free(&a);
    result_free(&b);
    teardown(&f);
}

/* A stop flag raised before the run finishes: -1, pending, "interrupted". */
static void test_cancelled(void) {
    char err[1024];
    fixture_t f;
    CHECK_MSG(setup(&f, err, sizeof err) == 0, "%s", err);
    run_result_t res;
    CHECK(result_alloc(&res, &f.d, f.cap) == 0);
    volatile sig_atomic_t stop = 1;
    for (int ti = 0; ti < 2; ti++) {
        const run_t *r = run_of(&f, ti ? "q-learning" : "random", 0);
        CHECK(run_execute(&f.job, &f.ws, r, &f.d, &res, &stop) == -1);
        CHECK(res.status == RUN_PENDING && !strcmp(res.message, "interrupted"));
    }
    result_free(&res);
    teardown(&f);
}

/* A layout too small for the agent's checkpoint: the run fails, saying so. */
static void test_checkpoint_too_large(void) {
    char err[1024];
    fixture_t f;
    CHECK_MSG(setup(&f, err, sizeof err) == 0, "%s", err);
    run_result_t res;
    CHECK(result_alloc(&res, &f.d, 8) == 0);
    CHECK(run_execute(&f.job, &f.ws, run_of(&f, "null-work", 0), &f.d, &res, NULL) == 0);
    CHECK_MSG(res.status == RUN_FAILED && strstr(res.message, "checkpoint of 16 floats exceeds the layout's 8"),
              "%d %s", res.status, res.message);
    result_free(&res);
    teardown(&f);
}

/* The EFE diagnostic: the first efe_checks decisions each compare the
 * agent's candidates with their exact G; the median is of those rhos. */
static void test_efe_check_slots(void) {
    char err[1024];
    fixture_t f;
    CHECK_MSG(setup(&f, err, sizeof err) == 0, "%s", err);
    run_result_t res;
    CHECK(result_alloc(&res, &f.d, f.cap) == 0);
    CHECK(run_execute(&f.job, &f.ws, run_of(&f, "null-work", 0), &f.d, &res, NULL) == 0 && res.status == RUN_DONE);
    float rho[3];
    int nr = 0;
    for (int i = 0; i < 3; i++) {
        CHECK(res.check_n[i] == RESULT_CHECK_POLICIES);
        for (int p = 0; p < RESULT_CHECK_POLICIES; p++)
            CHECK(isfinite(res.check_est[i * RESULT_CHECK_POLICIES + p]) &&
                  isfinite(res.check_exact[i * RESULT_CHECK_POLICIES + p]));
        CHECK(isnan(res.check_rho[i]) || fabsf(res.check_rho[i]) <= 1.0f + 1e-6f);
        if (!isnan(res.check_rho[i])) rho[nr++] = res.check_rho[i];
    }
    if (nr == 0) CHECK(isnan(res.check_rho_median));
    else {
        for (int i = 0; i < nr; i++)   /* the median: as many rhos below as above */
            for (int j = i + 1; j < nr; j++)
                if (rho[j] < rho[i]) { float x = rho[i]; rho[i] = rho[j]; rho[j] = x; }
        float med = nr % 2 ? rho[nr / 2] : 0.5f * (rho[nr / 2 - 1] + rho[nr / 2]);
        CHECK(res.check_rho_median == med);
    }
    /* Random estimates no EFE: no slot filled. */
    CHECK(run_execute(&f.job, &f.ws, run_of(&f, "random", 0), &f.d, &res, NULL) == 0);
    CHECK(res.check_n[0] == 0 && isnan(res.check_rho_median));
    result_free(&res);
    teardown(&f);
}

static const unit_test_t tests[] = {
    {"record_consistent", test_record_consistent},
    {"reproducible", test_reproducible},
    {"cancelled", test_cancelled},
    {"checkpoint_too_large", test_checkpoint_too_large},
    {"efe_check_slots", test_efe_check_slots},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
