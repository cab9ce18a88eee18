/* unit_efe_ctx: the EFE to go over the belief about a hidden context
 * (efe_ctx.h) against the recursion of sophisticated inference computed by
 * brute force: every action and every observation to a depth, with exact
 * Bayes beliefs over (cell, context).  On the T-maze with a reliable cue
 * every belief it reaches lies on the grid, so the two agree to rounding (as
 * differences between actions: the table keeps values relative to their
 * minimum).  And the decision it gives: the cue first.  The same with three
 * contexts (the plus-maze), and the interpolation over the simplex. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "aif/efe_ctx.h"
#include "core/rng.h"
#include "world/env.h"
#include "unit.h"
#include "unit_world.h"

typedef struct {
    const efe_model_t *m;
    const double *lnp;
    efe_weights_t w;
} bf_t;

/* min over actions of (step EFE + expected value after each observation),
 * depth steps to go; q is a joint belief [n].  Q of each action into Qa if given. */
static double brute(const bf_t *b, const double *q, int depth, double *Qa) {
    if (depth == 0) return 0.0;
    const efe_model_t *m = b->m;
    const int n = m->n_states, no = m->n_obs;
    double best = INFINITY;
    double *q2 = malloc(sizeof(double) * (size_t)n), *qo = calloc((size_t)no, sizeof(double)),
           *post = malloc(sizeof(double) * (size_t)n);
    for (int a = 0; a < m->n_actions; a++) {
        efe_predict_states(m, a, q, q2);
        memset(qo, 0, sizeof(double) * (size_t)no);
        efe_predict_obs(m, q2, qo);
        double g = b->w.w_risk * efe_risk_w(&b->w, qo, b->lnp, no) + b->w.w_ambiguity * efe_ambiguity(q2, m->H_A, n);
        for (int o = 0; o < no; o++) {
            if (qo[o] <= 0.0) continue;
            memcpy(post, q2, sizeof(double) * (size_t)n);
            efe_observe(m, post, o);
            g += qo[o] * brute(b, post, depth - 1, NULL);
        }
        if (Qa) Qa[a] = g;
        if (g < best) best = g;
    }
    free(q2);
    free(qo);
    free(post);
    return best;
}

/* A context world's map (rows x cols, K goals, no slip), its true joint
 * model and goal preference; the goals' locations with nothing seen there
 * are to be avoided. */
typedef struct {
    gridworld_t g;
    world_knowledge_t k;
    double lnp[64];
} world_t;

static void world_build(world_t *w, const char *map, int rows, int cols) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    sp.rows = rows;
    sp.cols = cols;
    char buf[64];
    snprintf(buf, sizeof buf, "%s", map);
    sp.map = buf;
    sp.max_steps = 8;
    BUILD(w->g, sp);
    CHECK(world_knowledge_build(&w->k, &w->g) == 0);
    const int nc = w->g.n_states;
    efe_pref_t pref = {EFE_PREF_GOAL, 1.0, 8.0, 10.0};
    unsigned char avoid[16] = {0};
    for (int c = 0; c < nc; c++) avoid[c] = map[c] >= '1' && map[c] <= '9';
    CHECK(w->k.model.n_obs <= 64);
    efe_log_preferences_ctx(&pref, nc, w->g.n_sym, w->g.n_contexts + 1, avoid, w->lnp);
}

static void world_free(world_t *w) {
    world_knowledge_free(&w->k);
    gw_free(&w->g);
}

/* The table's G of each first action against brute force, as differences
 * between actions (the table keeps values relative to their minimum), from
 * the start with each belief about the context in starts [n_starts][K] (grid
 * points, so that every belief reached is one), depths 1..4, with and
 * without the ambiguity term, and with no epistemic term at all (risk_term
 * expected-cost, w_ambiguity 0): the cue is still the best first move, for
 * what knowing the context is worth afterwards (docs/contexts.md). */
static void check_brute_force(world_t *w, const double *starts, int n_starts) {
    const efe_model_t *m = &w->k.model;
    const int nc = w->g.n_states, K = w->g.n_contexts, n = m->n_states;
    double *q = calloc((size_t)n, sizeof(double));
    for (int wi = 0; wi < 3; wi++) { /* risk + ambiguity, risk alone, expected cost alone */
        bf_t b = {m, w->lnp, {1.0, wi ? 0.0 : 1.0, wi == 2 ? EFE_RISK_COST : EFE_RISK_KL}};
        efe_ctx_t t;
        CHECK(efe_ctx_alloc(&t, nc, K, m->n_obs, m->n_actions) == 0);
        for (int depth = 1; depth <= 4; depth++) {
            efe_ctx_solve(&t, m, w->lnp, &b.w, depth - 1);
            for (int st = 0; st < n_starts; st++) {
                memset(q, 0, sizeof(double) * (size_t)n);
                for (int k = 0; k < K; k++) q[k * nc + w->g.start] = starts[st * K + k];
                double Qb[4], G[4], r[4], a[4];
                brute(&b, q, depth, Qb);
                efe_ctx_first(&t, m, q, w->lnp, &b.w, G, r, a);
                for (int x = 1; x < 4; x++)
                    CHECK_MSG(fabs((G[x] - G[0]) - (Qb[x] - Qb[0])) < 1e-9,
                              "K %d variant %d depth %d start %d action %d: table %.12g, brute force %.12g", K, wi,
                              depth, st, x, G[x] - G[0], Qb[x] - Qb[0]);
                for (int x = 0; x < 4; x++) CHECK(fabs(G[x] - (b.w.w_risk * r[x] + b.w.w_ambiguity * a[x])) < 1e-9);
            }
        }
        /* With steps to spare, the cue (down) is the best first move from the
         * uniform belief; from a known context the arm of that context. */
        efe_ctx_solve(&t, m, w->lnp, &b.w, 8);
        double G[4], r[4], a[4];
        memset(q, 0, sizeof(double) * (size_t)n);
        for (int k = 0; k < K; k++) q[k * nc + w->g.start] = 1.0 / K;
        efe_ctx_first(&t, m, q, w->lnp, &b.w, G, r, a);
        for (int x = 0; x < 4; x++)
            CHECK_MSG(x == ACT_DOWN || G[ACT_DOWN] < G[x] - 1e-6, "K %d variant %d: G %g %g %g %g", K, wi, G[0], G[1],
                      G[2], G[3]);
        for (int k = 0; k < K; k++) {
            memset(q, 0, sizeof(double) * (size_t)n);
            q[k * nc + w->g.start] = 1.0;
            efe_ctx_first(&t, m, q, w->lnp, &b.w, G, r, a);
            const int goal = w->g.ctx_goal[k], sr = w->g.start / w->g.cols, sc = w->g.start % w->g.cols;
            const int gr = goal / w->g.cols, gc = goal % w->g.cols;
            const int arm = gr < sr ? ACT_UP : gc < sc ? ACT_LEFT : ACT_RIGHT;
            for (int x = 0; x < 4; x++)
                CHECK_MSG(x == arm || G[arm] < G[x] - 1e-6, "K %d context %d: G %g %g %g %g", K, k, G[0], G[1], G[2],
                          G[3]);
        }
        efe_ctx_free(&t);
    }
    free(q);
}

static void test_matches_brute_force_on_the_tmaze(void) {
    world_t w;
    world_build(&w, "1S2" "#C#", 2, 3);
    const double starts[] = {0.5, 0.5, 1.0, 0.0, 0.25, 0.75};
    check_brute_force(&w, starts, 3);
    world_free(&w);
}

/* Three contexts (the plus-maze: arms left, right and up, the cue below):
 * the beliefs reached from these starts lie on the grid of resolution 21
 * (thirds), or on a face where the value does not depend on them (an arm
 * entered without the reward, where every context left ends the episode). */
static void test_matches_brute_force_with_three_contexts(void) {
    world_t w;
    world_build(&w, "#3#" "1S2" "#C#", 3, 3);
    CHECK(w.g.n_contexts == 3 && efe_ctx_resolution(3) % 3 == 0);
    const double starts[] = {1.0 / 3, 1.0 / 3, 1.0 / 3, 1.0, 0.0, 0.0, 2.0 / 3, 1.0 / 3, 0.0, 0.0, 0.0, 1.0};
    check_brute_force(&w, starts, 4);
    world_free(&w);
}

/* A solve keeps its steps for its iterations (the model is fixed within
 * it): the tables are those of recomputing every step, bit for bit, on
 * slippery worlds with two, three and five contexts and an unreliable cue;
 * with more than two, posteriors share their stencils. */
static void test_kept_steps_change_nothing(void) {
    const char *maps[3] = {"1S2" "#C#", "#3#" "1S2" "#C#", "1F2F3" "FFSFF" "4FCF5"};
    for (int wi = 0; wi < 3; wi++) {
        gw_spec_t sp;
        gw_spec_init(&sp);
        sp.rows = wi ? 3 : 2;
        sp.cols = wi == 2 ? 5 : 3;
        char buf[16];
        snprintf(buf, sizeof buf, "%s", maps[wi]);
        sp.map = buf;
        sp.max_steps = 8;
        sp.slip = 0.2;
        sp.cue_reliability = 0.8;
        gridworld_t g;
        BUILD(g, sp);
        world_knowledge_t k;
        CHECK(world_knowledge_build(&k, &g) == 0);
        const efe_model_t *m = &k.model;
        efe_pref_t pref = {EFE_PREF_GOAL, 1.0, 8.0, 10.0};
        unsigned char avoid[16] = {0};
        double lnp[128];
        CHECK(m->n_obs <= 128);
        efe_log_preferences_ctx(&pref, g.n_states, g.n_sym, g.n_contexts + 1, avoid, lnp);
        const efe_weights_t w = {1.0, 1.0, EFE_RISK_KL};
        efe_ctx_t a, b;
        CHECK(efe_ctx_alloc(&a, g.n_states, g.n_contexts, m->n_obs, m->n_actions) == 0);
        CHECK(efe_ctx_alloc(&b, g.n_states, g.n_contexts, m->n_obs, m->n_actions) == 0);
        b.recompute = 1;
        efe_ctx_solve(&a, m, lnp, &w, 8);
        efe_ctx_solve(&b, m, lnp, &w, 8);
        CHECK(a.ent_d != NULL && b.ent_d == NULL && a.n_ent > 0 && a.steps == b.steps);
        CHECK(g.n_contexts == 2 || (a.n_st > 0 && a.n_st < a.n_ent));
        const size_t n = (size_t)g.n_states * a.M;
        CHECK(memcmp(a.Vr, b.Vr, sizeof(double) * n) == 0 && memcmp(a.Va, b.Va, sizeof(double) * n) == 0);
        efe_ctx_free(&a);
        efe_ctx_free(&b);
        world_knowledge_free(&k);
        gw_free(&g);
    }
}

/* The interpolation: for K = 2..EFE_CTX_MAX and random beliefs (on faces
 * and vertices too), K valid grid points with weights >= 0 summing to 1
 * whose combination of the points' beliefs is the belief itself (so an
 * affine function of the belief is interpolated exactly); a grid point is
 * its own stencil.  Out of range K is refused. */
static void test_stencil_is_barycentric(void) {
    efe_ctx_t t;
    CHECK(efe_ctx_alloc(&t, 1, 1, 4, 4) != 0 && efe_ctx_alloc(&t, 1, EFE_CTX_MAX + 1, 4, 4) != 0);
    CHECK(efe_ctx_points(2) == 41 && efe_ctx_points(3) == 253 && efe_ctx_points(4) == 165);
    CHECK(efe_ctx_points(5) == 126 && efe_ctx_points(6) == 462 && efe_ctx_points(7) == 1716 &&
          efe_ctx_points(8) == 6435 && efe_ctx_points(9) == 24310 && efe_ctx_points(10) == 0);
    /* the size guard: four contexts on any grid up to 64 x 64; nine on at most 43 cells */
    CHECK(efe_ctx_fits(64 * 64, 4) && efe_ctx_fits(43, 9) && !efe_ctx_fits(44, 9) && !efe_ctx_fits(4, 10));
    CHECK(efe_ctx_alloc(&t, 44, 9, 4, 4) != 0);
    rng_t r;
    rng_seed(&r, 3, 0, RNG_INIT);
    for (int K = 2; K <= EFE_CTX_MAX; K++) {
        CHECK(efe_ctx_alloc(&t, 1, K, 4, 4) == 0);
        CHECK(t.M == efe_ctx_points(K));
        for (int trial = 0; trial < 2000 + t.M; trial++) {
            double w[EFE_CTX_MAX], lam[EFE_CTX_MAX], mass = 0.0;
            int idx[EFE_CTX_MAX];
            if (trial < t.M) { /* every grid point, scaled */
                for (int k = 0; k < K; k++) mass += w[k] = 3.0 * t.pbel[(size_t)trial * K + k];
            } else {
                for (int k = 0; k < K; k++) {
                    const double u = rng_uniform(&r);
                    mass += w[k] = u < 0.2 ? 0.0 : u < 0.25 ? 1.0 : -log(u); /* zeros: faces and vertices */
                }
                if (mass == 0.0) mass = w[0] = 1.0;
            }
            efe_ctx_stencil(&t, w, mass, idx, lam);
            double sum = 0.0, rec[EFE_CTX_MAX] = {0};
            for (int m = 0; m < K; m++) {
                CHECK_MSG(idx[m] >= 0 && idx[m] < t.M && lam[m] >= -1e-15, "K %d: point %d weight %g", K, idx[m],
                          lam[m]);
                sum += lam[m];
                for (int k = 0; k < K; k++) rec[k] += lam[m] * t.pbel[(size_t)idx[m] * K + k];
            }
            CHECK_MSG(fabs(sum - 1.0) < 1e-12, "K %d: weights sum to %.15g", K, sum);
            for (int k = 0; k < K; k++)
                CHECK_MSG(fabs(rec[k] - w[k] / mass) < 1e-12, "K %d trial %d: context %d %.15g for %.15g", K, trial,
                          k, rec[k], w[k] / mass);
            if (trial >= t.M && trial <= t.M + K) { /* the uniform belief and each vertex are grid points */
                for (int k = 0; k < K; k++) w[k] = trial == t.M ? 1.0 : k == trial - t.M - 1;
                efe_ctx_stencil(&t, w, trial == t.M ? (double)K : 1.0, idx, lam);
                int on = 0;
                for (int m = 0; m < K; m++) on += lam[m] > 1.0 - 1e-12;
                CHECK_MSG(on == 1, "K %d: %s is not a grid point", K, trial == t.M ? "the uniform belief" : "a vertex");
            }
            if (trial < t.M) {
                double own = 0.0;
                for (int m = 0; m < K; m++) own += idx[m] == trial ? lam[m] : 0.0;
                CHECK_MSG(fabs(own - 1.0) < 1e-12, "K %d: grid point %d weighs %g in its own stencil", K, trial, own);
            }
        }
        efe_ctx_free(&t);
    }
}

static const unit_test_t tests[] = {
    {"matches_brute_force_on_the_tmaze", test_matches_brute_force_on_the_tmaze},
    {"matches_brute_force_with_three_contexts", test_matches_brute_force_with_three_contexts},
    {"stencil_is_barycentric", test_stencil_is_barycentric},
    {"kept_steps_change_nothing", test_kept_steps_change_nothing},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
