/* unit_agent_random: the random baseline through its class interface
 * (agents.h): uniform over its actions (stay included when the world has
 * it), probabilities reported as 1/n, no training budget spent and the
 * environment left alone, and the same stream giving the same actions. */
#include <stdlib.h>
#include <string.h>
#include "interface/agents.h"
#include "world/env.h"
#include "unit.h"
#include "unit_world.h"

static task_t view(int n_actions) {
    task_t t;
    memset(&t, 0, sizeof t);
    t.rows = t.cols = 3;
    t.n_cells = 9;
    t.n_actions = n_actions;
    t.goal = 8;
    t.max_steps = 20;
    return t;
}

static void uniform(int na) {
    task_t t = view(na);
    char err[256] = "";
    void *a = agent_random.create(&t, NULL, NULL, err, sizeof err);
    CHECK_MSG(a, "%s", err);
    rng_t r;
    rng_seed(&r, 3, 1, RNG_EVAL_AGENT);
    enum { N = 50000 };
    long count[TASK_MAX_ACTIONS] = {0};
    agent_random.begin_episode(a, 0);
    for (int i = 0; i < N; i++) {
        decision_t d;
        decision_clear(&d);
        int act = agent_random.act(a, i % 9, &r, &d);
        CHECK(act >= 0 && act < na && d.action == act);
        for (int k = 0; k < na; k++) CHECK(d.p_action[k] == 1.0f / (float)na);
        for (int k = na; k < TASK_MAX_ACTIONS; k++) CHECK(isnan(d.p_action[k]));
        CHECK(isnan(d.G[0]) && d.n_check == 0);
        count[act]++;
    }
    /* Chi-square with na - 1 degrees of freedom: below 20 is far above the
     * 99.9th percentile (18.5 for 4), while one action favoured by 3% is not. */
    double chi = 0, e = (double)N / na;
    for (int k = 0; k < na; k++) chi += (count[k] - e) * (count[k] - e) / e;
    CHECK_MSG(chi < 20, "chi-square %.1f over %d actions", chi, na);
    agent_random.destroy(a);
}

static void test_uniform_four(void) { uniform(4); }
static void test_uniform_with_stay(void) { uniform(5); }

/* It does not learn: no steps used, the environment and its stream untouched,
 * no checkpoint. */
static void test_spends_no_budget(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    sp.rows = sp.cols = 3;
    gridworld_t g;
    char err[256] = "";
    BUILD(g, sp);
    task_t t;
    task_from_world(&t, &g, NULL, 0);
    rng_t er, ar;
    rng_seed(&er, 1, 2, RNG_ENV);
    rng_seed(&ar, 1, 2, RNG_AGENT);
    rng_t er0 = er, ar0 = ar;
    env_t env;
    env_init(&env, &g, &er);
    void *a = agent_random.create(&t, NULL, NULL, err, sizeof err);
    CHECK(a);
    train_log_t log = {.budget = 1000, .steps_used = -1};
    CHECK(agent_random.train(a, &env, &ar, &log, err, sizeof err) == 0);
    CHECK(log.steps_used == 0 && log.episodes == 0);
    CHECK(memcmp(&er, &er0, sizeof er) == 0 && memcmp(&ar, &ar0, sizeof ar) == 0 && env.s == g.start);
    CHECK(agent_random.ckpt_floats == NULL || agent_random.ckpt_floats(&t, NULL) == 0);
    CHECK(agent_random.needs == NULL || agent_random.needs(NULL) == 0);
    agent_random.destroy(a);
    gw_free(&g);
}

/* Its actions are a function of the stream alone. */
static void test_reproducible(void) {
    task_t t = view(4);
    char err[256];
    void *a = agent_random.create(&t, NULL, NULL, err, sizeof err), *b = agent_random.create(&t, NULL, NULL, err, sizeof err);
    CHECK(a && b);
    rng_t ra, rb, rc;
    rng_seed(&ra, 7, 3, RNG_EVAL_AGENT);
    rng_seed(&rb, 7, 3, RNG_EVAL_AGENT);
    rng_seed(&rc, 7, 4, RNG_EVAL_AGENT);
    int differ = 0;
    for (int i = 0; i < 200; i++) {
        decision_t d;
        decision_clear(&d);
        int x = agent_random.act(a, 0, &ra, &d), y = agent_random.act(b, 5, &rb, &d), z = agent_random.act(a, 0, &rc, &d);
        CHECK(x == y);
        differ += x != z;
    }
    CHECK(differ > 50);
    agent_random.destroy(a);
    agent_random.destroy(b);
}

static const unit_test_t tests[] = {
    {"uniform_four", test_uniform_four},
    {"uniform_with_stay", test_uniform_with_stay},
    {"spends_no_budget", test_spends_no_budget},
    {"reproducible", test_reproducible},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
