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
    CHECK(efe_check_init(&xc, &g, &k.model, d.n_check) == 0 && xc.ctx_alloc && xc.named);
    CHECK(xc.K == 2 && xc.n_names == 2 && xc.name[0][0] == 0 && xc.name[0][1] == 1 && xc.name[1][0] == 1 &&
          xc.name[1][1] == 0);
    /* the median of the defined correlations: 0.2, 0.4, 0.9 (one NaN skipped) */
    const float rho[4] = {0.9f, NAN, 0.2f, 0.4f};
    for (int i = 0; i < 4; i++) res.check_rho[i] = rho[i];
    efe_check_finish(&xc, &res, 4);
    CHECK_NEAR(res.check_rho_median, 0.4, 1e-7);
    res.check_rho[1] = 0.5f;
    efe_check_finish(&xc, &res, 4);
    CHECK_NEAR(res.check_rho_median, 0.45, 1e-7);
    /* beliefs that name the contexts the other way round: the swapped exact values are kept */
    xc.ctx_checks = 1;
    res.check_n[0] = 3;
    const float est[3] = {1, 2, 3}, exact[3] = {3, 2, 1}, swapped[3] = {10, 20, 30};
    memcpy(res.check_est, est, sizeof est);
    memcpy(res.check_exact, exact, sizeof exact);
    memcpy(xc.named, exact, sizeof exact);
    memcpy(xc.named + RESULT_CHECK_POLICIES, swapped, sizeof swapped);
    const float world[4] = {0.1f, 0.9f, NAN, NAN}, none[4] = {NAN, NAN, NAN, NAN}, other[4] = {0.95f, 0.05f, NAN, NAN};
    efe_check_episode_end(&xc, world, 1);  /* agrees with the world's naming */
    efe_check_episode_end(&xc, none, 0);   /* no belief: no vote */
    efe_check_finish(&xc, &res, 1);
    CHECK(res.check_exact[0] == 3 && xc.agree[0] > xc.agree[1]);
    efe_check_episode_end(&xc, other, 1);  /* then the other way round, twice */
    efe_check_episode_end(&xc, world, 0);
    CHECK(xc.agree[1] > xc.agree[0]);
    efe_check_finish(&xc, &res, 1);
    CHECK(res.check_exact[0] == 10 && res.check_exact[2] == 30);
    CHECK_NEAR(res.check_rho[0], 1.0, 1e-6);
    efe_check_free(&xc);
    CHECK(xc.work == NULL && xc.named == NULL);
    efe_check_free(&xc); /* twice is safe */
    result_free(&res);
    world_knowledge_free(&k);
    gw_free(&g);
    free(sp.map);
    free(sp.eta);
    /* three contexts: all six namings, the world's first; the one the
     * beliefs agree with (the world's context j called j + 1 mod 3) is kept */
    gw_spec_init(&sp);
    CHECK(world_apply(world_find("plus-maze"), &sp, e, sizeof e) == 0 && gw_build(&g, &sp, e, sizeof e) == 0);
    CHECK(world_knowledge_build(&k, &g) == 0);
    d.max_steps = g.max_steps;
    CHECK(result_alloc(&res, &d, 0) == 0);
    result_reset(&res, &d, 0);
    CHECK(efe_check_init(&xc, &g, &k.model, d.n_check) == 0 && xc.ctx_alloc && xc.K == 3 && xc.n_names == 6);
    int shifted = -1;
    for (int m = 0; m < 6; m++) {
        int seen = 0, is_shift = 1;
        for (int j = 0; j < 3; j++) {
            seen |= 1 << xc.name[m][j];
            CHECK(m > 0 || xc.name[m][j] == j);
            is_shift &= xc.name[m][j] == (j + 1) % 3;
        }
        CHECK(seen == 7);
        for (int l = 0; l < m; l++) CHECK(memcmp(xc.name[l], xc.name[m], sizeof xc.name[m]) != 0);
        if (is_shift) shifted = m;
        for (int p = 0; p < 3; p++) xc.named[(size_t)m * RESULT_CHECK_POLICIES + p] = (float)(10 * m + p);
    }
    CHECK(shifted > 0);
    xc.ctx_checks = 1;
    res.check_n[0] = 3;
    memcpy(res.check_est, est, sizeof est);
    for (int j = 0; j < 3; j++) {
        float b[4] = {0.1f, 0.1f, 0.1f, NAN};
        b[(j + 1) % 3] = 0.8f;
        efe_check_episode_end(&xc, b, j);
    }
    efe_check_finish(&xc, &res, 1);
    CHECK_MSG(res.check_exact[0] == 10 * shifted && res.check_exact[2] == 10 * shifted + 2, "%g", res.check_exact[0]);
    efe_check_free(&xc);
    result_free(&res);
    world_knowledge_free(&k);
    gw_free(&g);
    free(sp.map);
    free(sp.eta);
    /* a world without contexts has no belief recursion */
    gw_spec_init(&sp);
    CHECK(world_apply(world_find("paper4x4"), &sp, e, sizeof e) == 0 && gw_build(&g, &sp, e, sizeof e) == 0);
    CHECK(world_knowledge_build(&k, &g) == 0);
    CHECK(efe_check_init(&xc, &g, &k.model, 3) == 0 && !xc.ctx_alloc && xc.work != NULL);
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
