/* unit_genmodel: the planner's model interface.  The truth copied exactly;
 * the belief filter against brute-force Bayes over state paths; absorbing
 * rows; the support-of-the-data rule; in a context world an impossible
 * observation keeps the belief about the context. */
#include <stdlib.h>
#include <string.h>
#include "world/env.h"
#include "aif/genmodel.h"
#include "world/presets.h"
#include "unit.h"

static int build(gridworld_t *g, const char *name, double slip) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    char e[256];
    if (world_apply(world_find(name), &sp, e, sizeof e) != 0) return -1;
    sp.slip = slip;
    if (gw_build(g, &sp, e, sizeof e) != 0) return -1;
    free(sp.map);
    free(sp.eta);
    return 0;
}

static void from_truth(void) {
    gridworld_t g;
    CHECK(build(&g, "frozenlake8x8", 0.1) == 0);
    world_knowledge_t k;
    CHECK(world_knowledge_build(&k, &g) == 0);
    arena_t *ar = arena_create(1 << 16);
    genmodel_t gm;
    CHECK(genmodel_alloc(&gm, ar, g.n_states, g.n_actions, k.model.b_width + 2, k.model.a_width) == 0);
    CHECK(genmodel_from_truth(&gm, &k.truth) == 0);
    for (int s = 0; s < g.n_states; s++) {
        CHECK(gm.start[s] == (s == g.start) && gm.avoid[s] == (g.cells[s] == 'H') && gm.visited[s]);
        for (int o = 0; o < g.n_obs; o++) CHECK(gm.m.A[s * g.n_obs + o] == g.A[s * g.n_obs + o]);
        for (int a = 0; a < g.n_actions; a++) {
            double sum = 0.0;
            const size_t base = ((size_t)a * g.n_states + s) * gm.m.b_width;
            for (int j = 0; j < gm.m.b_width && gm.m.b_idx[base + j] >= 0; j++) {
                CHECK(gm.m.b_p[base + j] == g.B[((size_t)a * g.n_states + s) * g.n_states + gm.m.b_idx[base + j]]);
                sum += gm.m.b_p[base + j];
            }
            CHECK_NEAR(sum, 1.0, 1e-12);
        }
    }
    /* too few slots: refused */
    genmodel_t small;
    CHECK(k.model.b_width == 3 && genmodel_alloc(&small, ar, g.n_states, g.n_actions, 2, k.model.a_width) == 0);
    CHECK(genmodel_from_truth(&small, &k.truth) == -1);
    genmodel_free(&small);
    genmodel_free(&gm);
    arena_free(ar);
    world_knowledge_free(&k);
    gw_free(&g);
}

/* q(s_t | o_0..t, a_0..t-1) by enumerating every path on the true 4x4 world
 * with observation noise and slips, against the filter. */
static void filter_is_bayes(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    sp.rows = sp.cols = 3;
    sp.slip = 0.2;
    sp.eta_all = 0.5;
    gridworld_t g;
    char e[256];
    CHECK(gw_build(&g, &sp, e, sizeof e) == 0);
    world_knowledge_t k;
    CHECK(world_knowledge_build(&k, &g) == 0);
    arena_t *ar = arena_create(1 << 16);
    genmodel_t gm;
    CHECK(genmodel_alloc(&gm, ar, 9, 4, k.model.b_width, k.model.a_width) == 0);
    CHECK(genmodel_from_truth(&gm, &k.truth) == 0);
    const int obs[4] = {0, 1, 4, 4}, act[3] = {ACT_RIGHT, ACT_DOWN, ACT_RIGHT};
    double q[9], tmp[9];
    genmodel_belief_begin(&gm, obs[0], q);
    for (int t = 1; t < 4; t++) genmodel_belief_step(&gm, act[t - 1], obs[t], q, tmp);
    double post[9] = {0}, Z = 0.0;
    for (int k4 = 0; k4 < 9 * 9 * 9 * 9; k4++) {
        int s[4], x = k4;
        for (int t = 0; t < 4; t++) { s[t] = x % 9; x /= 9; }
        double p = gm.start[s[0]] * g.A[s[0] * 9 + obs[0]];
        for (int t = 1; t < 4; t++)
            p *= g.B[((size_t)act[t - 1] * 9 + s[t - 1]) * 9 + s[t]] * g.A[s[t] * 9 + obs[t]];
        post[s[3]] += p;
        Z += p;
    }
    for (int s = 0; s < 9; s++) CHECK_NEAR(q[s], post[s] / Z, 1e-12);
    genmodel_free(&gm);
    arena_free(ar);
    world_knowledge_free(&k);
    gw_free(&g);
}

/* Absorbing rows stay put; the support rule drops unvisited successors only
 * from moves the data holds that also reach visited cells, and renormalises. */
static void absorb_and_support(void) {
    arena_t *ar = arena_create(1 << 16);
    genmodel_t gm;
    CHECK(genmodel_alloc(&gm, ar, 4, 2, 3, 4) == 0);
    /* (a 0, s 0) -> 1 (0.5), 2 (0.3), 3 (0.2); (a 1, s 0) -> 3 only */
    int *i0 = gm.m.b_idx, *i1 = gm.m.b_idx + 4 * 3;
    double *p0 = gm.m.b_p, *p1 = gm.m.b_p + 4 * 3;
    i0[0] = 1; p0[0] = 0.5; i0[1] = 2; p0[1] = 0.3; i0[2] = 3; p0[2] = 0.2;
    i1[0] = 3; p1[0] = 1.0;
    gm.visited[0] = gm.visited[1] = gm.visited[3] = 1;
    genmodel_restrict_to_visited(&gm);
    CHECK(i0[1] == 2); /* the move was never made: the source's word stands */
    gm.tried[0] = gm.tried[4] = 1;   /* (a 0, s 0) and (a 1, s 0) made */
    genmodel_restrict_to_visited(&gm);
    CHECK(i0[0] == 1 && i0[1] == 3 && i0[2] == -1);
    CHECK_NEAR(p0[0], 0.5 / 0.7, 1e-12);
    CHECK_NEAR(p0[1], 0.2 / 0.7, 1e-12);
    gm.visited[3] = 0;
    genmodel_restrict_to_visited(&gm);
    CHECK(i1[0] == 3 && p1[0] == 1.0); /* reaches only unvisited cells: kept */
    genmodel_absorb(&gm, 0);
    CHECK(i0[0] == 0 && p0[0] == 1.0 && i0[1] == -1 && i1[0] == 0 && p1[0] == 1.0);
    genmodel_free(&gm);
    arena_free(ar);
}

/* support: moves drops, from a move the data holds, every successor the
 * data's table does not show with at least min_count moves, renormalises the
 * rest, and leaves moves never made and moves whose shown successors carry
 * no probability as they are. */
static void moves_support(void) {
    arena_t *ar = arena_create(1 << 16);
    genmodel_t gm;
    CHECK(genmodel_alloc(&gm, ar, 4, 2, 3, 4) == 0);
    int *i0 = gm.m.b_idx, *i1 = gm.m.b_idx + 4 * 3, *i2 = gm.m.b_idx + 1 * 3;
    double *p0 = gm.m.b_p, *p1 = gm.m.b_p + 4 * 3, *p2 = gm.m.b_p + 1 * 3;
    i0[0] = 0; p0[0] = 0.6; i0[1] = 1; p0[1] = 0.3; i0[2] = 2; p0[2] = 0.1; /* (a 0, s 0) */
    i1[0] = 3; p1[0] = 1.0;                                             /* (a 1, s 0) */
    i2[0] = 1; p2[0] = 0.7; i2[1] = 2; p2[1] = 0.3;                     /* (a 0, s 1) */
    /* the data's table, width 2: (a 0, s 0) seen to 0 (5 moves) and 1 (0.4, below the bar);
     * (a 1, s 0) seen to 0 only; (a 0, s 1) seen to 2 (3 moves) */
    int si[2 * 4 * 2];
    double sc[2 * 4 * 2];
    for (int k = 0; k < 16; k++) { si[k] = -1; sc[k] = 0.0; }
    si[0] = 0; sc[0] = 5.0; si[1] = 1; sc[1] = 0.4;
    si[8] = 0; sc[8] = 2.0;
    si[2] = 2; sc[2] = 3.0;
    genmodel_restrict_to_moves(&gm, si, sc, 2, 0.5);
    CHECK(i0[0] == 0 && p0[0] == 0.6 && i0[2] == 2); /* no move tried yet: nothing changes */
    gm.tried[0] = gm.tried[1] = gm.tried[4] = 1;
    genmodel_restrict_to_moves(&gm, si, sc, 2, 0.5);
    CHECK(i0[0] == 0 && p0[0] == 1.0 && i0[1] == -1 && p0[1] == 0.0 && i0[2] == -1);
    CHECK(i1[0] == 3 && p1[0] == 1.0); /* the shown successor has no probability: kept */
    CHECK(i2[0] == 2 && p2[0] == 1.0 && i2[1] == -1);
    genmodel_free(&gm);
    arena_free(ar);
}

/* Two contexts of three cells (states k * 3 + c), observations the cells:
 * the belief is on context 0 (0.9) at cell 0, the move predicts cell 1, and
 * cell 2 is seen (a slip the model leaves out).  With ctx_cells the belief
 * restarts at cell 2 keeping the context 0.9 / 0.1; without it, the evidence
 * alone (0.5 / 0.5).  A possible observation is plain Bayes either way. */
static void surprise_keeps_the_context(void) {
    arena_t *ar = arena_create(1 << 16);
    for (int with = 0; with < 2; with++) {
        genmodel_t gm;
        CHECK(genmodel_alloc_obs(&gm, ar, 6, 3, 1, 1, 1) == 0);
        for (int s = 0; s < 6; s++) {
            for (int o = 0; o < 3; o++) gm.m.A[s * 3 + o] = o == s % 3;
            gm.m.b_idx[s] = s % 3 == 0 ? s + 1 : s; /* cell 0 -> 1, the others stay */
            gm.m.b_p[s] = 1.0;
        }
        gm.ctx_cells = with ? 3 : 0;
        double q[6] = {0.9, 0, 0, 0.1, 0, 0}, tmp[6];
        genmodel_belief_step(&gm, 0, 2, q, tmp);
        const double want0 = with ? 0.9 : 0.5;
        CHECK_NEAR(q[2], want0, 1e-12);
        CHECK_NEAR(q[5], 1.0 - want0, 1e-12);
        CHECK(q[0] == 0.0 && q[1] == 0.0 && q[3] == 0.0 && q[4] == 0.0);
        double r[6] = {0.9, 0, 0, 0.1, 0, 0};
        genmodel_belief_step(&gm, 0, 1, r, tmp); /* predicted: Bayes */
        CHECK_NEAR(r[1], 0.9, 1e-12);
        CHECK_NEAR(r[4], 0.1, 1e-12);
        genmodel_free(&gm);
    }
    arena_free(ar);
}

static const unit_test_t tests[] = {
    {"from_truth", from_truth},
    {"filter_is_bayes", filter_is_bayes},
    {"absorb_and_support", absorb_and_support},
    {"surprise_keeps_the_context", surprise_keeps_the_context},
    {"moves_support", moves_support},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
