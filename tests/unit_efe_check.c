/* unit_efe_check: the EFE error diagnostic's arithmetic (efe_check.h):
 * Spearman's rank correlation against its definition (Pearson's correlation
 * of average ranks, computed here independently), its limits and ties; the
 * median over checked decisions skipping undefined ones; the naming of a
 * context world's contexts settled by the agent's final beliefs; set-up on a
 * world with and without contexts.  Whole runs (the exact side against an
 * agent with the true model, rho 1) are in unit_run.c and test_contexts.py. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "run/efe_check.h"
#include "world/env.h"
#include "world/presets.h"
#include "core/rng.h"
#include "aif/efe.h"
#include "unit.h"

/* Pearson's correlation of the average ranks, written out directly. */
static double reference(const float *x, const float *y, int n) {
    double rx[64], ry[64], m = (n + 1) / 2.0, sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < n; i++) {
        double bx = 1, ex = 0, by = 1, ey = 0; /* rank = 1 + number below + (ties - 1) / 2 */
        for (int j = 0; j < n; j++) {
            if (j == i) continue;
            bx += x[j] < x[i];
            ex += x[j] == x[i];
            by += y[j] < y[i];
            ey += y[j] == y[i];
        }
        rx[i] = bx + ex / 2;
        ry[i] = by + ey / 2;
    }
    for (int i = 0; i < n; i++) {
        sxy += (rx[i] - m) * (ry[i] - m);
        sxx += (rx[i] - m) * (rx[i] - m);
        syy += (ry[i] - m) * (ry[i] - m);
    }
    return sxy / sqrt(sxx * syy);
}

static void spearman_against_its_definition(void) {
    const float up[5] = {1, 2, 3, 4, 5}, sq[5] = {1, 4, 9, 16, 25}, down[5] = {5, 4, 3, 2, 1};
    CHECK_NEAR(efe_check_spearman(up, sq, 5), 1.0, 1e-6);      /* monotone, not linear */
    CHECK_NEAR(efe_check_spearman(up, down, 5), -1.0, 1e-6);
    const float flat[5] = {2, 2, 2, 2, 2};
    CHECK(isnan(efe_check_spearman(up, flat, 5)) && isnan(efe_check_spearman(up, up, 1)));
    CHECK(isnan(efe_check_spearman(up, up, RESULT_CHECK_POLICIES + 1)));
    rng_t r;
    rng_seed(&r, 11, 0, 1);
    for (int trial = 0; trial < 200; trial++) {
        int n = 2 + (int)rng_below(&r, 63);
        float x[64], y[64];
        for (int i = 0; i < n; i++) { /* few distinct values: many ties */
            x[i] = (float)rng_below(&r, 6);
            y[i] = x[i] + (float)rng_below(&r, 4);
        }
        double want = reference(x, y, n);
        float got = efe_check_spearman(x, y, n);
        if (isnan(want)) CHECK(isnan(got));
        else CHECK_MSG(fabs(got - want) < 1e-5, "n %d: %g against %g", n, got, want);
    }
}

static void median_and_naming(void) {
    gridworld_t g;
    gw_spec_t sp;
    gw_spec_init(&sp);
    char e[256];
    CHECK(world_apply(world_find("tmaze"), &sp, e, sizeof e) == 0 && gw_build(&g, &sp, e, sizeof e) == 0);
    world_knowledge_t k;
    CHECK(world_knowledge_build(&k, &g) == 0);
    layout_dims_t d;
    memset(&d, 0, sizeof d);
    d.n_runs = 1;
    d.eval_episodes = 4;
    d.max_steps = g.max_steps;
    d.n_actions = g.n_actions;
    d.n_check = 5;
    run_result_t res;
    CHECK(result_alloc(&res, &d, 0) == 0);
    result_reset(&res, &d, 0);
    efe_check_t xc;
    CHECK(efe_check_init(&xc, &g, &k.model, d.n_check, d.eval_episodes) == 0 && xc.ctx_alloc && xc.K == 2);
    /* the median of the defined correlations: 0.2, 0.4, 0.9 (one NaN skipped) */
    const float rho[4] = {0.9f, NAN, 0.2f, 0.4f};
    for (int i = 0; i < 4; i++) res.check_rho[i] = rho[i];
    efe_check_finish(&xc, &res, 4);
    CHECK_NEAR(res.check_rho_median, 0.4, 1e-7);
    res.check_rho[1] = 0.5f;
    efe_check_finish(&xc, &res, 4);
    CHECK_NEAR(res.check_rho_median, 0.45, 1e-7);
    /* one check from a belief of 0.8 / 0.2 at the start, scored under the
     * world's naming; beliefs that name the contexts the other way round
     * re-score it as the belief 0.2 / 0.8 */
    const int nc = g.n_states, n = k.model.n_states, na = g.n_actions;
    efe_pref_t pref = {EFE_PREF_GOAL, 1.0, 8.0, 10.0};
    efe_log_preferences_ctx(&pref, nc, g.n_sym, g.n_contexts + 1, NULL, xc.lnp);
    xc.w = (efe_weights_t){1.0, 1.0, EFE_RISK_KL};
    efe_ctx_solve(&xc.ctx, &k.model, xc.lnp, &xc.w, g.max_steps);
    xc.ctx_solved = 1;
    double *q = xc.check_q, flip[64] = {0}, Gw[8], Gf[8], r8[8], a8[8];
    CHECK(n <= 64 && na <= 8);
    memset(q, 0, sizeof(double) * (size_t)n);
    q[g.start] = flip[nc + g.start] = 0.8;
    q[nc + g.start] = flip[g.start] = 0.2;
    efe_ctx_first(&xc.ctx, &k.model, q, xc.lnp, &xc.w, Gw, r8, a8);
    efe_ctx_first(&xc.ctx, &k.model, flip, xc.lnp, &xc.w, Gf, r8, a8);
    int differ = 0;
    for (int x = 0; x < na; x++) differ |= (float)Gw[x] != (float)Gf[x];
    CHECK(differ);
    xc.ctx_checks = 1;
    res.check_n[0] = na;
    const float est[5] = {1, 2, 3, 4, 5};
    memcpy(res.check_est, est, sizeof(float) * (size_t)na);
    for (int x = 0; x < na; x++) res.check_exact[x] = (float)Gw[x];
    const float world[4] = {0.1f, 0.9f, NAN, NAN}, none[4] = {NAN, NAN, NAN, NAN}, other[4] = {0.95f, 0.05f, NAN, NAN};
    int name[EFE_CTX_MAX];
    efe_check_episode_end(&xc, world, 1);  /* agrees with the world's naming */
    efe_check_episode_end(&xc, none, 0);   /* no belief: no vote */
    efe_check_naming(&xc, name);
    CHECK(xc.n_ep == 1 && name[0] == 0 && name[1] == 1);
    efe_check_finish(&xc, &res, 1);
    for (int x = 0; x < na; x++) CHECK(res.check_exact[x] == (float)Gw[x]);
    efe_check_episode_end(&xc, other, 1);  /* then the other way round, twice */
    efe_check_episode_end(&xc, world, 0);
    efe_check_naming(&xc, name);
    CHECK(name[0] == 1 && name[1] == 0);
    efe_check_finish(&xc, &res, 1);
    for (int x = 0; x < na; x++) CHECK_MSG(res.check_exact[x] == (float)Gf[x], "%d: %g %g", x, res.check_exact[x], Gf[x]);
    CHECK(res.check_rho[0] == efe_check_spearman(est, res.check_exact, na));
    for (int v = 0; v < 3; v++) efe_check_episode_end(&xc, world, 1); /* votes beyond the episodes: none */
    CHECK(xc.n_ep == d.eval_episodes);
    efe_check_free(&xc);
    CHECK(xc.work == NULL && xc.check_q == NULL);
    efe_check_free(&xc); /* twice is safe */
    result_free(&res);
    world_knowledge_free(&k);
    gw_free(&g);
    free(sp.map);
    free(sp.eta);
    /* three contexts: the naming the beliefs agree with (the world's context j
     * called j + 1 mod 3) */
    gw_spec_init(&sp);
    CHECK(world_apply(world_find("plus-maze"), &sp, e, sizeof e) == 0 && gw_build(&g, &sp, e, sizeof e) == 0);
    CHECK(world_knowledge_build(&k, &g) == 0);
    CHECK(efe_check_init(&xc, &g, &k.model, d.n_check, 3) == 0 && xc.ctx_alloc && xc.K == 3);
    for (int j = 0; j < 3; j++) {
        float b[4] = {0.1f, 0.1f, 0.1f, NAN};
        b[(j + 1) % 3] = 0.8f;
        efe_check_episode_end(&xc, b, j);
    }
    efe_check_naming(&xc, name);
    for (int j = 0; j < 3; j++) CHECK(name[j] == (j + 1) % 3);
    efe_check_free(&xc);
    world_knowledge_free(&k);
    gw_free(&g);
    free(sp.map);
    free(sp.eta);
    /* nine contexts (9! namings): the agent calls the world's context j
     * (j + 4) mod 9, and says so with a belief of 0.6 at each episode's end */
    gw_spec_init(&sp);
    char map9[] = "1F2F3"
                  "FFFFF"
                  "4FSF5"
                  "FFCFF"
                  "6789F";
    sp.rows = sp.cols = 5;
    sp.map = map9;
    CHECK(gw_build(&g, &sp, e, sizeof e) == 0 && g.n_contexts == 9);
    CHECK(world_knowledge_build(&k, &g) == 0);
    CHECK(efe_check_init(&xc, &g, &k.model, 2, 18) == 0 && xc.ctx_alloc && xc.K == 9);
    for (int ep = 0; ep < 18; ep++) {
        const int j = ep % 9;
        float b[DECISION_MAX_CONTEXTS];
        for (int x = 0; x < 9; x++) b[x] = 0.05f;
        b[(j + 4) % 9] = 0.6f;
        efe_check_episode_end(&xc, b, j);
    }
    efe_check_naming(&xc, name);
    for (int j = 0; j < 9; j++) CHECK_MSG(name[j] == (j + 4) % 9, "context %d named %d", j, name[j]);
    efe_check_free(&xc);
    world_knowledge_free(&k);
    gw_free(&g);
    /* a world without contexts has no belief recursion */
    gw_spec_init(&sp);
    CHECK(world_apply(world_find("paper4x4"), &sp, e, sizeof e) == 0 && gw_build(&g, &sp, e, sizeof e) == 0);
    CHECK(world_knowledge_build(&k, &g) == 0);
    CHECK(efe_check_init(&xc, &g, &k.model, 3, 4) == 0 && !xc.ctx_alloc && xc.work != NULL);
    efe_check_free(&xc);
    world_knowledge_free(&k);
    gw_free(&g);
    free(sp.map);
    free(sp.eta);
}

static const unit_test_t tests[] = {
    {"spearman_against_its_definition", spearman_against_its_definition},
    {"median_and_naming", median_and_naming},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
