/* unit_agent_null: the null-work agent through its class interface
 * (agents.h).  It learns nothing, but what it writes must be a deterministic
 * function of the run's streams (the fault tests compare killed sweeps with
 * an uninterrupted one): checkpoints at every due slot, equal for equal init
 * streams and different otherwise; every field of a decision filled
 * consistently (G = risk + ambiguity, uniform p_action, the EFE diagnostic
 * when asked); a well-defined belief and preference; and `sleep_ms` that gives
 * way to a stop signal at once. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "interface/agents.h"
#include "unit.h"

static task_t view(void) {
    task_t t;
    memset(&t, 0, sizeof t);
    t.rows = 2;
    t.cols = 3;
    t.n_cells = 6;
    t.n_actions = 4;
    t.goal = 5;
    t.max_steps = 10;
    return t;
}

static void params(double *pv, double ckpt, double sleep_ms) {
    const agent_class_t *c = &agent_null;
    for (int i = 0; i < c->n_params; i++) pv[i] = c->params[i].def;
    pv[agent_param_index(c, "ckpt_floats")] = ckpt;
    pv[agent_param_index(c, "sleep_ms")] = sleep_ms;
}

/* Train into 3 checkpoint slots of 8 floats; 0 or -1. */
static int train_ckpts(uint64_t seed, float *data, long *at, long *steps_used) {
    task_t t = view();
    double pv[8];
    params(pv, 8, 0);
    rng_t init, ar;
    rng_seed(&init, seed, 0, RNG_INIT);
    rng_seed(&ar, seed, 0, RNG_AGENT);
    char err[256] = "";
    void *a = agent_null.create(&t, pv, &init, err, sizeof err);
    if (!a) return -1;
    train_log_t log = {.budget = 500, .n_ckpt = 3, .ckpt_floats = agent_null.ckpt_floats(&t, pv),
                       .ckpt_data = data, .ckpt_step = at};
    int rc = agent_null.train(a, NULL, &ar, &log, err, sizeof err);
    *steps_used = log.ckpt_done == 3 ? log.steps_used : -1;
    agent_null.destroy(a);
    return rc;
}

static void test_checkpoints(void) {
    CHECK(agent_param_index(&agent_null, "ckpt_floats") >= 0 && agent_param_index(&agent_null, "sleep_ms") >= 0);
    task_t t = view();
    double pv[8];
    params(pv, 8, 0);
    CHECK(agent_null.ckpt_floats(&t, pv) == 8);
    float a[24], b[24], c[24];
    long at[3] = {0}, bt[3], ct[3], used;
    memset(a, 0xff, sizeof a);
    CHECK(train_ckpts(11, a, at, &used) == 0);
    CHECK(used == 0);                                       /* no environment steps */
    CHECK(at[0] == 500 && at[1] == 500 && at[2] == 500);    /* all taken at the end of "training" */
    for (int i = 0; i < 24; i++) CHECK(isfinite(a[i]));
    CHECK(memcmp(a, a + 8, 8 * sizeof(float)) != 0 && memcmp(a + 8, a + 16, 8 * sizeof(float)) != 0);
    CHECK(train_ckpts(11, b, bt, &used) == 0 && memcmp(a, b, sizeof a) == 0);
    CHECK(train_ckpts(12, c, ct, &used) == 0 && memcmp(a, c, sizeof a) != 0);
}

static void test_decisions(void) {
    task_t t = view();
    double pv[8];
    params(pv, 0, 0);
    rng_t init, r1, r2;
    rng_seed(&init, 1, 0, RNG_INIT);
    rng_seed(&r1, 1, 0, RNG_EVAL_AGENT);
    r2 = r1;
    char err[256] = "";
    void *a = agent_null.create(&t, pv, &init, err, sizeof err);
    CHECK_MSG(a, "%s", err);
    agent_null.begin_episode(a, 0);
    for (int i = 0; i < 100; i++) {
        decision_t d;
        decision_clear(&d);
        d.want_check = i % 2;
        int obs = i % t.n_cells;
        int act = agent_null.act(a, obs, &r1, &d);
        CHECK(act >= 0 && act < t.n_actions && d.action == act);
        CHECK(act == (int)rng_below(&r2, (uint32_t)t.n_actions));   /* uniform from the evaluation stream */
        for (int k = 0; k < t.n_actions; k++) {
            CHECK(isfinite(d.G[k]) && d.G[k] == d.risk[k] + d.ambiguity[k]);
            CHECK(d.p_action[k] == 0.25f);
        }
        if (!d.want_check) { CHECK(d.n_check == 0); continue; }
        CHECK(d.n_check == DECISION_MAX_CHECK && d.check_H == 2);
        for (int p = 0; p < d.n_check; p++) {
            CHECK(isfinite(d.check_est[p]));
            for (int h = 0; h < d.check_H; h++) CHECK(d.check_policy[p][h] >= 0 && d.check_policy[p][h] < t.n_actions);
        }
    }
    /* What the diagnostic scores against: a distribution and a log-preference. */
    check_context_t ctx;
    memset(&ctx, 0xA5, sizeof ctx); /* every field is set: nothing left from before */
    CHECK(agent_null.check_context && agent_null.check_context(a, &ctx) == 0);
    double sum = 0;
    for (int s = 0; s < t.n_cells; s++) {
        sum += ctx.belief[s];
        CHECK_NEAR(ctx.lnp[s], -log((double)t.n_cells), 1e-12);
    }
    CHECK_NEAR(sum, 1.0, 1e-12);
    CHECK(ctx.w_risk == 1.0 && ctx.w_ambiguity == 1.0 && ctx.tail_steps == 0 && ctx.risk_cost == 0);
    CHECK(ctx.n_states == t.n_cells);
    agent_null.destroy(a);
}

/* An hour's sleep, with the stop flag already raised, returns. */
static void test_sleep_gives_way(void) {
    task_t t = view();
    double pv[8];
    params(pv, 0, 3600e3);
    rng_t init, ar;
    rng_seed(&init, 1, 0, RNG_INIT);
    rng_seed(&ar, 1, 0, RNG_AGENT);
    char err[256] = "";
    void *a = agent_null.create(&t, pv, &init, err, sizeof err);
    CHECK(a);
    volatile sig_atomic_t stop = 1;
    train_log_t log = {.budget = 10, .cancel = &stop};
    /* No time limit is asserted: if the flag were ignored this would sleep an
     * hour, and the suite's time limit fails it. */
    CHECK(agent_null.train(a, NULL, &ar, &log, err, sizeof err) == 0);
    /* And a short sleep does sleep (the parameter is not ignored): a lower
     * bound only, which no load on the machine can break. */
    struct timespec t0, t1;
    agent_null.destroy(a);
    params(pv, 0, 50);
    a = agent_null.create(&t, pv, &init, err, sizeof err);
    CHECK(a);
    train_log_t log2 = {.budget = 10};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(agent_null.train(a, NULL, &ar, &log2, err, sizeof err) == 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    CHECK_MSG(s >= 0.045, "sleep_ms 50 slept %.3f s", s);
    agent_null.destroy(a);
}

static const unit_test_t tests[] = {
    {"checkpoints", test_checkpoints},
    {"decisions", test_decisions},
    {"sleep_gives_way", test_sleep_gives_way},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
