/* unit_efe_ctx: the EFE to go over the belief about a hidden context
 * (efe_ctx.h) against the recursion of sophisticated inference computed by
 * brute force: every action and every observation to a depth, with exact
 * Bayes beliefs over (cell, context).  On the T-maze with a reliable cue
 * every belief it reaches lies on the grid, so the two agree to rounding (as
 * differences between actions: the table keeps values relative to their
 * minimum).  And the decision it gives: the cue first. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "aif/efe_ctx.h"
#include "world/env.h"
#include "unit.h"

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
        double g = b->w.w_risk * efe_risk(qo, b->lnp, no) + b->w.w_ambiguity * efe_ambiguity(q2, m->H_A, n);
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

static void test_matches_brute_force_on_the_tmaze(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    sp.rows = 2;
    sp.cols = 3;
    sp.map = "1S2" "#C#";
    sp.max_steps = 8;
    gridworld_t g;
    char e[256];
    CHECK_MSG(gw_build(&g, &sp, e, sizeof e) == 0, "%s", e);
    world_knowledge_t k;
    CHECK(world_knowledge_build(&k, &g) == 0);
    const efe_model_t *m = &k.model;
    const int nc = g.n_states, n = m->n_states;
    efe_pref_t pref = {EFE_PREF_GOAL, 1.0, 8.0, 10.0};
    unsigned char avoid[6] = {1, 0, 1, 0, 0, 0}; /* every goal's location with nothing seen there */
    double lnp[24];
    efe_log_preferences_ctx(&pref, nc, g.n_sym, g.n_contexts + 1, avoid, lnp);
    for (int wi = 0; wi < 2; wi++) {
        bf_t b = {m, lnp, {1.0, wi ? 0.0 : 1.0}};
        efe_ctx_t t;
        CHECK(efe_ctx_alloc(&t, nc, m->n_obs, m->n_actions) == 0);
        for (int depth = 1; depth <= 4; depth++) {
            efe_ctx_solve(&t, m, lnp, &b.w, depth - 1);
            /* beliefs: the start in either context (50/50), and after the cue */
            double q[12] = {0};
            const double starts[3][2] = {{0.5, 0.5}, {1.0, 0.0}, {0.25, 0.75}};
            for (int st = 0; st < 3; st++) {
                memset(q, 0, sizeof q);
                q[1] = starts[st][0];
                q[nc + 1] = starts[st][1];
                double Qb[4], G[4], r[4], a[4];
                brute(&b, q, depth, Qb);
                efe_ctx_first(&t, m, q, lnp, &b.w, G, r, a);
                for (int x = 1; x < 4; x++)
                    CHECK_MSG(fabs((G[x] - G[0]) - (Qb[x] - Qb[0])) < 1e-9,
                              "w_amb %d depth %d start %d action %d: table %.12g, brute force %.12g", 1 - wi, depth,
                              st, x, G[x] - G[0], Qb[x] - Qb[0]);
                for (int x = 0; x < 4; x++) CHECK(fabs(G[x] - (b.w.w_risk * r[x] + b.w.w_ambiguity * a[x])) < 1e-9);
            }
            (void)n;
        }
        /* With steps to spare, the cue (down) is the best first move from a 50/50 belief;
         * from a known context the arm of that context (left for context 1). */
        efe_ctx_solve(&t, m, lnp, &b.w, 8);
        double q[12] = {0}, G[4], r[4], a[4];
        q[1] = q[nc + 1] = 0.5;
        efe_ctx_first(&t, m, q, lnp, &b.w, G, r, a);
        for (int x = 0; x < 4; x++) CHECK_MSG(x == ACT_DOWN || G[ACT_DOWN] < G[x] - 1e-6, "G %g %g %g %g", G[0], G[1], G[2], G[3]);
        q[nc + 1] = 0.0;
        q[1] = 1.0;
        efe_ctx_first(&t, m, q, lnp, &b.w, G, r, a);
        for (int x = 0; x < 4; x++) CHECK(x == ACT_LEFT || G[ACT_LEFT] < G[x] - 1e-6);
        efe_ctx_free(&t);
    }
    world_knowledge_free(&k);
    gw_free(&g);
}

static const unit_test_t tests[] = {
    {"matches_brute_force_on_the_tmaze", test_matches_brute_force_on_the_tmaze},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
