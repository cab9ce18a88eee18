/* unit_contexts: worlds with hidden contexts (gridworld.h, env.h;
 * docs/contexts.md).  The map's goal digits and cues parse and are checked;
 * each episode draws its context with the stated probabilities and the cue
 * shows the context's symbol with the stated reliability; the goal of the
 * episode's context ends it with success, another context's without; the
 * joint true model over (cell, context) is the world's; and Bayes filtering
 * on it over (cell, context) equals brute-force enumeration of every path. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "world/env.h"
#include "aif/genmodel.h"
#include "unit.h"
#include "unit_world.h"

/* A world from its map (rows of equal length), or fail the test. */
static int build(gridworld_t *g, gw_spec_t *sp, int rows, int cols, const char *map, char *err, size_t n) {
    gw_spec_init(sp);
    sp->rows = rows;
    sp->cols = cols;
    sp->map = (char *)map;
    sp->max_steps = 20;
    snprintf(sp->name, sizeof sp->name, "ctx");
    return gw_build(g, sp, err, n);
}

static void test_tmaze_parses(void) {
    gw_spec_t sp;
    gridworld_t g;
    char e[256];
    CHECK_MSG(build(&g, &sp, 2, 3, "1S2" "#C#", e, sizeof e) == 0, "%s", e);
    CHECK(g.n_contexts == 2 && g.n_sym == 4 && g.n_cues == 1 && g.ctx_goal[0] == 0 && g.ctx_goal[1] == 2);
    CHECK(g.goal == 0 && g.start == 1 && g.cells[0] == 'G' && g.cells[2] == 'G' && g.cells[4] == 'C');
    CHECK(g.ctx_prob[0] == 0.5 && g.ctx_prob[1] == 0.5 && g.cue_rel == 1.0);
    CHECK_MSG(g.opt_steps == 3.0, "%g", g.opt_steps); /* down to the cue, up, the arm */
    gw_free(&g);
    /* unequal probabilities weigh the routes from the cue: 1 + 0.25 * 2 + 0.75 * 3 */
    gw_spec_init(&sp);
    sp.rows = 1;
    sp.cols = 6;
    sp.map = "1FCSF2";
    sp.n_ctx_prob = 2;
    sp.ctx_prob[0] = 0.25;
    sp.ctx_prob[1] = 0.75;
    BUILD(g, sp);
    CHECK_MSG(g.opt_steps == 3.75, "%g", g.opt_steps);
    gw_free(&g);
    /* a world without digits: K = 1, as before */
    CHECK_MSG(build(&g, &sp, 1, 3, "SFG", e, sizeof e) == 0, "%s", e);
    CHECK(g.n_contexts == 1 && g.n_sym == 1 && g.opt_steps == 2 && g.goal == 2);
    gw_free(&g);
}

static void refused(int rows, int cols, const char *map, const double *probs, int np, double cue, int goal,
                    const char *want) {
    gw_spec_t sp;
    gridworld_t g;
    char e[512] = "";
    gw_spec_init(&sp);
    sp.rows = rows;
    sp.cols = cols;
    sp.map = (char *)map;
    sp.max_steps = 20;
    sp.n_ctx_prob = np;
    for (int k = 0; k < np; k++) sp.ctx_prob[k] = probs[k];
    sp.cue_reliability = cue;
    sp.goal = goal;
    snprintf(sp.name, sizeof sp.name, "w");
    CHECK_MSG(gw_build(&g, &sp, e, sizeof e) != 0, "accepted %s", map);
    CHECK_MSG(strstr(e, want) != NULL, "message \"%s\" lacks \"%s\"", e, want);
    CHECK_MSG(!strncmp(e, "world 'w': ", 11), "message \"%s\" does not name the world", e);
}

static void test_bad_context_worlds(void) {
    const double p3[] = {0.2, 0.3, 0.5}, bad[] = {0.3, 0.3}, zero[] = {0.0, 1.0};
    refused(2, 3, "1S2" "#C1", NULL, 0, 1.0, -1, "map has 2 cells '1': context goals 1..2 must appear once each");
    refused(2, 3, "1SF" "#C#", NULL, 0, 1.0, -1, "one context goal");
    refused(2, 3, "1S3" "#C#", NULL, 0, 1.0, -1, "cells '2': context goals 1..3");
    refused(2, 3, "GS2" "#C#", NULL, 0, 1.0, -1, "both a 'G' and context goals");
    refused(2, 3, "FSG" "#C#", NULL, 0, 1.0, -1, "cue cells 'C' but no context goals");
    refused(2, 3, "1S2" "#C#", p3, 3, 1.0, -1, "contexts: 3 probabilities for the map's 2 context goals");
    refused(2, 3, "1S2" "#C#", bad, 2, 1.0, -1, "contexts: probabilities sum to 0.6");
    refused(2, 3, "1S2" "#C#", zero, 2, 1.0, -1, "contexts[0] = 0, must be in (0, 1]");
    refused(2, 3, "1S2" "#C#", NULL, 0, 1.5, -1, "cue_reliability = 1.5");
    refused(1, 3, "SFG", NULL, 0, 0.9, -1, "cue_reliability: given, but the map has no context goals");
    refused(1, 3, "SFG", bad, 2, 1.0, -1, "contexts: given, but the map has no context goals");
    refused(2, 3, "1S2" "#C#", NULL, 0, 1.0, 2, "goal: a world with contexts has its goals in its map");
    refused(1, 3, "S12", NULL, 0, 1.0, -1, "the goal of context 2 (row 0, col 2) is unreachable");
    refused(2, 3, "1S2" "##C", NULL, 0, 1.0, -1, "the cue at row 1, col 2 is unreachable");
    /* no 'S': the start is cell 0, which must not be a context's goal or a cue */
    refused(2, 3, "2F1" "FCF", NULL, 0, 1.0, -1, "the start (row 0, col 0) is on the goal of context 2");
    refused(2, 3, "CF1" "FF2", NULL, 0, 1.0, -1, "the start (row 0, col 0) is on a cue 'C'");
}

/* Each episode draws its context with the stated probabilities (one draw),
 * keeps it, and the cue shows it with the stated reliability. */
static void test_contexts_and_cues_as_stated(void) {
    gw_spec_t sp;
    gridworld_t g;
    gw_spec_init(&sp);
    sp.rows = 2;
    sp.cols = 3;
    sp.map = "1S2" "#C#";
    sp.max_steps = 8;
    sp.n_ctx_prob = 2;
    sp.ctx_prob[0] = 0.3;
    sp.ctx_prob[1] = 0.7;
    sp.cue_reliability = 0.9;
    BUILD(g, sp);
    rng_t r;
    rng_seed(&r, 5, 2, RNG_ENV);
    env_t env;
    env_init(&env, &g, &r);
    const int N = 40000, nc = g.n_states;
    int ctx1 = 0, right = 0, goals = 0, fails = 0;
    for (int i = 0; i < N; i++) {
        int o = env_reset(&env);
        CHECK(o == 0 * nc + 1); /* the start, nothing to see */
        int k = env_context(&env), out;
        ctx1 += k == 1;
        o = env_step(&env, ACT_DOWN, NULL, &out);
        CHECK(out == ENV_RUNNING && o % nc == 4 && o / nc >= 1 && o / nc <= 2);
        right += o / nc == 1 + k;
        o = env_step(&env, ACT_UP, NULL, &out);
        CHECK(o == 1 && env_context(&env) == k);
        double rew;
        o = env_step(&env, i % 2 ? ACT_LEFT : ACT_RIGHT, &rew, &out);
        const int cell = i % 2 ? 0 : 2, mine = cell == g.ctx_goal[k];
        CHECK(o % nc == cell && out == (mine ? ENV_GOAL : ENV_FAILED) && rew == (mine ? 1.0 : 0.0));
        CHECK(o / nc == (mine ? 3 : 0)); /* the reward symbol at its own goal only */
        goals += mine;
        fails += !mine;
    }
    const double f1 = (double)ctx1 / N, fr = (double)right / N;
    CHECK_MSG(fabs(f1 - 0.7) < 4 * sqrt(0.21 / N), "context 1 in %.4f of episodes", f1);
    CHECK_MSG(fabs(fr - 0.9) < 4 * sqrt(0.09 / N), "cue right in %.4f", fr);
    CHECK(goals + fails == N && goals > 0 && fails > 0);
    gw_free(&g);
}

/* Worlds without contexts draw nothing more: env_reset and env_step are the
 * world's own samplers on the stream, as before contexts existed. */
static void test_no_context_draws_nothing(void) {
    gw_spec_t sp;
    gridworld_t g;
    char e[256];
    CHECK_MSG(build(&g, &sp, 2, 2, "SF" "FG", e, sizeof e) == 0, "%s", e);
    rng_t r1, r2;
    rng_seed(&r1, 9, 1, RNG_ENV);
    r2 = r1;
    env_t env;
    env_init(&env, &g, &r1);
    env_reset(&env);
    CHECK(env_context(&env) == 0 && !memcmp(&r1, &r2, sizeof r1)); /* eta 1, no context: no draw */
    gw_free(&g);
}

/* The joint true model over (cell, context): B moves the cell within the
 * context, A is the location's likelihood times the symbol's. */
static void test_joint_model(void) {
    gw_spec_t sp;
    gridworld_t g;
    gw_spec_init(&sp);
    sp.rows = 2;
    sp.cols = 3;
    sp.map = "1S2" "#C#";
    sp.max_steps = 8;
    sp.slip = 0.2;
    sp.eta_all = 0.8;
    sp.cue_reliability = 0.75;
    BUILD(g, sp);
    world_knowledge_t k;
    CHECK(world_knowledge_build(&k, &g) == 0);
    const efe_model_t *m = &k.model;
    const int nc = g.n_states, K = 2, ns = g.n_sym;
    CHECK(m->n_states == nc * K && m->n_obs == nc * ns && m->n_actions == g.n_actions);
    for (int a = 0; a < m->n_actions; a++)
        for (int s = 0; s < m->n_states; s++) {
            double sum = 0.0;
            for (int j = 0; j < m->b_width; j++) {
                int s2 = m->b_idx[((size_t)a * m->n_states + s) * m->b_width + j];
                if (s2 < 0) break;
                double p = m->b_p[((size_t)a * m->n_states + s) * m->b_width + j];
                CHECK(s2 / nc == s / nc); /* the context stays */
                CHECK(fabs(p - g.B[((size_t)a * nc + s % nc) * nc + s2 % nc]) < 1e-15);
                sum += p;
            }
            CHECK(fabs(sum - 1.0) < 1e-12);
        }
    for (int s = 0; s < m->n_states; s++) {
        double sum = 0.0, h = 0.0;
        for (int o = 0; o < m->n_obs; o++) {
            double want = g.A[(size_t)(s % nc) * nc + o % nc] * gw_symbol_p(&g, s % nc, s / nc, o / nc);
            double got = m->A[(size_t)s * m->n_obs + o];
            CHECK_MSG(fabs(got - want) < 1e-15, "A[%d][%d] %g, want %g", s, o, got, want);
            sum += got;
            if (got > 0) h -= got * log(got);
        }
        CHECK(fabs(sum - 1.0) < 1e-12 && fabs(h - m->H_A[s]) < 1e-12);
    }
    /* the cue cell's symbol is uncertain when the cue is: its entropy shows it */
    CHECK(m->H_A[4] > m->H_A[1] + 0.5);
    /* the other context's goal is a failure, one's own is not; the start in both contexts */
    CHECK(k.failure[0 * nc + 2] && !k.failure[0 * nc + 0] && k.failure[1 * nc + 0] && !k.failure[1 * nc + 2]);
    CHECK(k.wall[3] && k.wall[nc + 3] && !k.wall[nc + 4]);
    CHECK(k.start_p[1] == 0.5 && k.start_p[nc + 1] == 0.5 && k.start_p[0] == 0.0);
    task_t t;
    task_from_world(&t, &g, &k, 0);
    CHECK(t.n_contexts == 2 && t.n_sym == 4 && t.n_obs == 24 && t.goal == -1 && t.goal_sym == 3 && !t.truth);
    CHECK(task_goal_obs(&t, 3 * nc + 0) && task_goal_obs(&t, 3 * nc + 5) && !task_goal_obs(&t, 0));
    world_knowledge_free(&k);
    gw_free(&g);
}

/* Bayes filtering over (cell, context) on the joint model (genmodel.h)
 * equals the brute-force posterior: every path of joint states weighed by
 * the world's own dense A, B and symbol probabilities. */
static void test_filter_matches_brute_force(void) {
    gw_spec_t sp;
    gridworld_t g;
    gw_spec_init(&sp);
    sp.rows = 2;
    sp.cols = 3;
    sp.map = "1S2" "#C#";
    sp.max_steps = 8;
    sp.slip = 0.3;
    sp.eta_all = 0.7;
    sp.cue_reliability = 0.8;
    sp.n_ctx_prob = 2;
    sp.ctx_prob[0] = 0.4;
    sp.ctx_prob[1] = 0.6;
    BUILD(g, sp);
    world_knowledge_t k;
    CHECK(world_knowledge_build(&k, &g) == 0);
    task_t t;
    task_from_world(&t, &g, &k, TASK_NEEDS_TRUTH);
    arena_t *ar = arena_create(1u << 16);
    genmodel_t gm;
    CHECK(genmodel_alloc_obs(&gm, ar, k.model.n_states, k.model.n_obs, g.n_actions, k.model.b_width,
                             k.model.a_width) == 0 &&
          genmodel_from_truth(&gm, t.truth) == 0);
    const int nc = g.n_states, n = nc * 2, T = 4;
    rng_t r;
    rng_seed(&r, 21, 4, RNG_ENV);
    for (int trial = 0; trial < 20; trial++) {
        env_t env;
        env_init(&env, &g, &r);
        int obs[T + 1], act[T];
        obs[0] = env_reset(&env);
        for (int i = 0; i < T; i++) {
            act[i] = (int)rng_below(&r, 4);
            obs[i + 1] = env_step(&env, act[i], NULL, NULL);
        }
        double q[12], tmp[12];
        genmodel_belief_begin(&gm, obs[0], q);
        for (int i = 0; i < T; i++) genmodel_belief_step(&gm, act[i], obs[i + 1], q, tmp);
        /* brute force over the n^(T+1) paths */
        double post[12] = {0}, total = 0.0;
        long paths = 1;
        for (int i = 0; i <= T; i++) paths *= n;
        for (long p = 0; p < paths; p++) {
            int path[T + 1];
            long x = p;
            for (int i = 0; i <= T; i++) { path[i] = (int)(x % n); x /= n; }
            int c0 = path[0] % nc, k0 = path[0] / nc;
            double w = c0 == g.start ? g.ctx_prob[k0] : 0.0;
            for (int i = 0; i <= T && w > 0; i++) {
                int c = path[i] % nc, kk = path[i] / nc;
                if (kk != k0) { w = 0; break; }
                if (i > 0) w *= g.B[((size_t)act[i - 1] * nc + path[i - 1] % nc) * nc + c];
                w *= g.A[(size_t)c * nc + obs[i] % nc] * gw_symbol_p(&g, c, kk, obs[i] / nc);
            }
            post[path[T]] += w;
            total += w;
        }
        CHECK(total > 0);
        for (int s = 0; s < n; s++)
            CHECK_MSG(fabs(q[s] - post[s] / total) < 1e-12, "trial %d state %d: filter %.15g, brute force %.15g",
                      trial, s, q[s], post[s] / total);
    }
    genmodel_free(&gm);
    arena_free(ar);
    world_knowledge_free(&k);
    gw_free(&g);
}

static const unit_test_t tests[] = {
    {"tmaze_parses", test_tmaze_parses},
    {"bad_context_worlds", test_bad_context_worlds},
    {"contexts_and_cues_as_stated", test_contexts_and_cues_as_stated},
    {"no_context_draws_nothing", test_no_context_draws_nothing},
    {"joint_model", test_joint_model},
    {"filter_matches_brute_force", test_filter_matches_brute_force},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
