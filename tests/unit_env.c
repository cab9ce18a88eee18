/* unit_env: the world's side of the agent interface (env.h).  What
 * task_from_world hands over; env_reset / env_step as exactly the world's
 * samplers on one stream, with the world's outcomes and rewards; the true
 * model (env_true_model) as a sparse copy of the world's dense B and A; and
 * what world_knowledge_build marks (holes, walls, oracle distances). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "world/env.h"
#include "unit.h"
#include "unit_world.h"

/* What the world side hands over: shape, actions, goal, max_steps; the oracle
 * and the truth only when asked. */
static void test_task_from_world(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    sp.rows = 2;
    sp.cols = 4;
    sp.map = "SFH#" "FFFG";
    sp.max_steps = 17;
    sp.n_actions = 5;
    snprintf(sp.name, sizeof sp.name, "w");
    gridworld_t g;
    BUILD(g, sp);
    world_knowledge_t k;
    CHECK(world_knowledge_build(&k, &g) == 0);
    task_t t;
    task_from_world(&t, &g, &k, 0);
    CHECK(t.rows == 2 && t.cols == 4 && t.n_cells == 8 && t.n_actions == 5 && t.goal == 7 && t.max_steps == 17);
    CHECK(!strcmp(t.name, "w") && t.oracle_dist == NULL && t.truth == NULL);
    task_from_world(&t, &g, &k, TASK_NEEDS_ORACLE);
    CHECK(t.oracle_dist && t.truth == NULL);
    CHECK(t.oracle_dist[0] == 4 && t.oracle_dist[2] == TASK_DIST_HOLE && t.oracle_dist[3] == TASK_DIST_UNREACHABLE);
    task_from_world(&t, &g, &k, TASK_NEEDS_TRUTH);
    CHECK(t.oracle_dist == NULL && t.truth && t.truth->start == 0);
    CHECK(t.truth->failure[2] == 1 && t.truth->failure[7] == 0 && t.truth->wall[3] == 1);
    CHECK(t.labels == NULL);
    /* The state labels only when asked for, and then the environment's true cell. */
    task_from_world(&t, &g, NULL, TASK_NEEDS_LABELS);
    CHECK(t.labels && t.truth == NULL && t.oracle_dist == NULL);
    rng_t r;
    rng_seed(&r, 3, 1, RNG_ENV);
    env_t env;
    env_init(&env, &g, &r);
    long visits[8] = {0};
    env_count_visits(&env, visits);
    env_reset(&env);
    CHECK(t.labels->cell(&env) == 0);
    env_step(&env, ACT_DOWN, NULL, NULL);
    CHECK(t.labels->cell(&env) == 4 && env.s == 4);
    env_step(&env, ACT_RIGHT, NULL, NULL);
    CHECK(t.labels->cell(&env) == 5);
    env_reset(&env);
    CHECK(visits[0] == 2 && visits[4] == 1 && visits[5] == 1 && visits[1] == 0);
    world_knowledge_free(&k);
    gw_free(&g);
}

/* The environment an agent trains in: outcomes and rewards as the world says. */
static void test_env_steps(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    sp.rows = 2;
    sp.cols = 3;
    sp.map = "SHF" "FFG";
    gridworld_t g;
    BUILD(g, sp);
    rng_t r;
    rng_seed(&r, 1, 2, 3);
    env_t env;
    env_init(&env, &g, &r);
    int s, outcome;
    double rew;
    CHECK(env_reset(&env) == 0 && (s = env.s) == 0);
    CHECK(env_step(&env, ACT_RIGHT, &rew, &outcome) == 1 && env.s == 1 && outcome == ENV_FAILED);
    CHECK(env_reset(&env) == 0 && env.s == 0);
    CHECK(env_step(&env, ACT_DOWN, &rew, &outcome) == 3 && outcome == ENV_RUNNING && rew == 0.0);
    CHECK(env_step(&env, ACT_RIGHT, &rew, &outcome) == 4 && outcome == ENV_RUNNING);
    CHECK(env_step(&env, ACT_RIGHT, &rew, &outcome) == 5 && outcome == ENV_GOAL && rew == 1.0);
    gw_free(&g);
}

/* A world with everything env.c copies: slips (up to three successors per
 * move), partial observability (several observations per cell), a wall and
 * a hole, five actions. */
static int build_rich(gridworld_t *g) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    sp.rows = 3;
    sp.cols = 4;
    sp.map = "SF#F" "FFHF" "FFFG";
    sp.slip = 0.2;
    sp.eta_all = 0.6;
    sp.n_actions = 5;
    sp.max_steps = 30;
    char e[256];
    return gw_build(g, &sp, e, sizeof e);
}

/* The sparse true model holds every nonzero of B and A, with the world's
 * probabilities, in as many slots as the fullest row needs; unused slots are
 * empty (idx -1, p 0), and the dense A and the entropies are the world's. */
static void test_true_model_is_the_world(void) {
    gridworld_t g;
    CHECK(build_rich(&g) == 0);
    efe_model_t m;
    CHECK(env_true_model(&m, &g) == 0);
    const int n = g.n_states, no = g.n_obs, na = g.n_actions;
    CHECK(m.n_states == n && m.n_obs == no && m.n_actions == na);
    int widest_b = 0, widest_a = 0;
    double *dense = calloc((size_t)n, sizeof *dense);
    CHECK(dense);
    for (int r = 0; r < na * n; r++) {
        memset(dense, 0, sizeof *dense * (size_t)n);
        int used = 0;
        for (int k = 0; k < m.b_width; k++) {
            int s2 = m.b_idx[(size_t)r * m.b_width + k];
            double p = m.b_p[(size_t)r * m.b_width + k];
            if (s2 < 0) { CHECK(p == 0.0); continue; }
            CHECK(s2 < n && p > 0.0);
            dense[s2] += p;
            used++;
        }
        if (used > widest_b) widest_b = used;
        for (int s2 = 0; s2 < n; s2++)
            CHECK_MSG(dense[s2] == g.B[(size_t)r * n + s2], "B row %d, s' %d", r, s2);
    }
    free(dense);
    for (int s = 0; s < n; s++) {
        double sum = 0;
        int used = 0;
        for (int k = 0; k < m.a_width; k++) {
            int o = m.a_idx[(size_t)s * m.a_width + k];
            double p = m.a_p[(size_t)s * m.a_width + k];
            if (o < 0) { CHECK(p == 0.0); continue; }
            CHECK(p == g.A[(size_t)s * no + o] && p > 0.0);
            sum += p;
            used++;
        }
        if (used > widest_a) widest_a = used;
        CHECK_NEAR(sum, 1.0, 1e-12);
        CHECK(m.H_A[s] == g.H_A[s]);
    }
    CHECK(memcmp(m.A, g.A, sizeof(double) * (size_t)n * no) == 0);
    /* Slots as wide as the fullest row: intended move plus two slips; an
     * interior cell sees itself or one of its 3x3 neighbours. */
    CHECK(m.b_width == widest_b && widest_b == 3);
    CHECK(m.a_width == widest_a && widest_a > 3);
    efe_model_free(&m);
    gw_free(&g);
}

/* What only some may know, marked cell by cell from the map. */
static void test_knowledge_marks_the_map(void) {
    gridworld_t g;
    CHECK(build_rich(&g) == 0);
    world_knowledge_t k;
    CHECK(world_knowledge_build(&k, &g) == 0);
    for (int s = 0; s < g.n_states; s++) {
        CHECK(k.failure[s] == (g.cells[s] == 'H'));
        CHECK(k.wall[s] == (g.cells[s] == '#'));
        int want = g.cells[s] == 'H' ? TASK_DIST_HOLE : g.dist[s] >= 0 ? g.dist[s] : TASK_DIST_UNREACHABLE;
        CHECK_MSG(k.oracle_dist[s] == want, "cell %d: %d, want %d", s, k.oracle_dist[s], want);
    }
    CHECK(k.oracle_dist[2] == TASK_DIST_UNREACHABLE && k.oracle_dist[6] == TASK_DIST_HOLE);
    CHECK(k.oracle_dist[g.goal] == 0 && k.oracle_dist[0] == 5);
    CHECK(k.truth.model == &k.model && k.truth.start == g.start);
    CHECK(k.truth.failure == k.failure && k.truth.wall == k.wall);
    world_knowledge_free(&k);
    CHECK(k.failure == NULL && k.wall == NULL && k.oracle_dist == NULL && k.model.A == NULL);
    gw_free(&g);
}

/* env_step is gw_step then gw_observe on the environment's stream, in that
 * order (so runs are reproducible from the stream alone); env_reset puts the
 * agent back on the start cell and draws one observation; the out-pointers
 * may be NULL. */
static void test_env_is_the_world_samplers(void) {
    gridworld_t g;
    CHECK(build_rich(&g) == 0);
    rng_t r_env, r_ref;
    rng_seed(&r_env, 9, 4, RNG_ENV);
    r_ref = r_env;
    env_t env;
    env_init(&env, &g, &r_env);
    int s, s_ref = g.start, moved = 0, noisy = 0;
    int o = env_reset(&env);
    s = env.s;
    CHECK(s == g.start && o == gw_observe(&g, g.start, &r_ref));
    for (int t = 0; t < 400; t++) {
        int a = t % g.n_actions, outcome;
        double rew;
        o = env_step(&env, a, &rew, &outcome);
        s = env.s;
        s_ref = gw_step(&g, s_ref, a, &r_ref);
        int o_ref = gw_observe(&g, s_ref, &r_ref);
        CHECK_MSG(s == s_ref && o == o_ref, "t %d: (%d, %d) vs (%d, %d)", t, s, o, s_ref, o_ref);
        CHECK(rew == gw_reward(&g, s));
        CHECK(outcome == (!gw_terminal(&g, s) ? ENV_RUNNING : s == g.goal ? ENV_GOAL : ENV_FAILED));
        moved += s != g.start;
        noisy += o != s;
        if (outcome != ENV_RUNNING) {
            o = env_reset(&env);
            CHECK(env.s == g.start && o == gw_observe(&g, g.start, &r_ref));
            s_ref = g.start;
        }
    }
    CHECK(moved > 0 && noisy > 0);
    /* NULL out-pointers: the step still happens and draws the same numbers. */
    rng_t before = r_env;
    env_reset(&env);
    env_step(&env, ACT_RIGHT, NULL, NULL);
    CHECK(memcmp(&before, &r_env, sizeof before) != 0);
    gw_free(&g);
}

/* Rewards and outcomes as the world's spec says, hole and goal alike. */
static void test_env_rewards(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    sp.rows = 1;
    sp.cols = 4;
    sp.map = "HSFG";
    sp.step_reward = -0.25;
    sp.goal_reward = 2.0;
    sp.hole_reward = -1.5;
    gridworld_t g;
    BUILD(g, sp);
    rng_t r;
    rng_seed(&r, 1, 1, RNG_ENV);
    env_t env;
    env_init(&env, &g, &r);
    int s, outcome;
    double rew;
    CHECK(env_reset(&env) == 1 && (s = env.s) == 1);
    env_step(&env, ACT_UP, &rew, &outcome); /* the border: stays */
    s = env.s;
    CHECK(s == 1 && rew == -0.25 && outcome == ENV_RUNNING);
    env_step(&env, ACT_LEFT, &rew, &outcome);
    s = env.s;
    CHECK(s == 0 && rew == -1.5 && outcome == ENV_FAILED);
    env_reset(&env);
    s = env.s;
    env_step(&env, ACT_RIGHT, &rew, &outcome);
    s = env.s;
    CHECK(s == 2 && rew == -0.25 && outcome == ENV_RUNNING);
    env_step(&env, ACT_RIGHT, &rew, &outcome);
    s = env.s;
    CHECK(s == 3 && rew == 2.0 && outcome == ENV_GOAL);
    gw_free(&g);
}

static const unit_test_t tests[] = {
    {"task_from_world", test_task_from_world},
    {"env_steps", test_env_steps},
    {"true_model_is_the_world", test_true_model_is_the_world},
    {"knowledge_marks_the_map", test_knowledge_marks_the_map},
    {"env_is_the_world_samplers", test_env_is_the_world_samplers},
    {"env_rewards", test_env_rewards},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
