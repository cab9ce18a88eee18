/* Unit tests for efe: divergences, preferences, risk, ambiguity and G against
 * values computed by hand on tiny worlds (a 1x3 corridor, a 2x2 with a noisy
 * cell), the policy posterior and first-action marginals, selection, and the
 * exact Bayes filter against a brute-force sum over state paths. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aif/efe.h"
#include "world/env.h"
#include "world/gridworld.h"
#include "core/rng.h"
#include "unit.h"
#include "unit_world.h"

static const efe_weights_t W11 = {1.0, 1.0, EFE_RISK_KL};

/* ln p~ of a world as the agents compute it: with the true map's distances
 * (the oracle) and its holes as the cells to avoid. */
static void prefs(const gridworld_t *g, const efe_pref_t *p, double *lnp) {
    world_knowledge_t k;
    if (world_knowledge_build(&k, g) != 0) abort();
    efe_log_preferences(p, g->rows, g->cols, g->goal, k.oracle_dist, k.failure, lnp);
    world_knowledge_free(&k);
}

/* 1x3 corridor: S F G, deterministic, fully observable.  dist = 2 1 0. */
static void spec_corridor(gw_spec_t *sp) {
    gw_spec_init(sp);
    sp->rows = 1;
    sp->cols = 3;
}

/* 2x2:  S F / F G with eta = 1, 0.5, 1, 1: cell 1 is noisy.  Its kernel (radius 1)
 * is {0, 2, 3}, so p(o|s=1) = (1/6, 1/2, 1/6, 1/6).  dist = 2 1 1 0. */
static double eta_2x2[4] = {1.0, 0.5, 1.0, 1.0};
static void spec_2x2(gw_spec_t *sp) {
    gw_spec_init(sp);
    sp->rows = sp->cols = 2;
    sp->eta = eta_2x2;
}

/* Hand values.  Corridor: Z = 1 + e^-1 + e^-2.  2x2: Z = 1 + 2 e^-1 + e^-2.
 * H(1/6, 1/2, 1/6, 1/6) = (1/2) ln 2 + (1/2) ln 6.
 * risk of q(o) = A[1]: -H + sum_o q(o) (dist(o) + ln Z) = -1.2424533 + 1 + 0.6265234. */
#define LNZ_CORRIDOR 0.4076059644443804
#define LNZ_2X2      0.6265233750364457
#define H_NOISY      1.242453324894
#define RISK_NOISY   0.38407005014244555

static void test_logsumexp_softmax(void) {
    double x[3] = {1000.0, 1000.0, -INFINITY};
    CHECK_NEAR(efe_logsumexp(x, 3), 1000.0 + log(2.0), 1e-9);
    CHECK(efe_logsumexp(x, 0) == -INFINITY);
    double p[3];
    efe_softmax(x, 3, p);
    CHECK_NEAR(p[0], 0.5, 1e-15);
    CHECK_NEAR(p[1], 0.5, 1e-15);
    CHECK(p[2] == 0.0);
    double y[2] = {-1e308, 0.0};
    efe_softmax(y, 2, y); /* in place, no overflow */
    CHECK(y[0] == 0.0 && y[1] == 1.0);
    double z[2] = {-INFINITY, -INFINITY};
    efe_softmax(z, 2, z);
    CHECK(z[0] == 0.5 && z[1] == 0.5);
}

static void test_entropy_kl(void) {
    double p[3] = {0.5, 0.25, 0.25};
    CHECK_NEAR(efe_entropy(p, 3), 1.5 * log(2.0), 1e-15);
    double d[3] = {0.0, 1.0, 0.0};
    CHECK(efe_entropy(d, 3) == 0.0); /* 0 ln 0 = 0 */
    double q[2] = {0.5, 0.5}, r[2] = {0.25, 0.75}, lr[2] = {log(0.25), log(0.75)};
    CHECK_NEAR(efe_kl(q, r, 2), 0.14384103622589042, 1e-15);
    CHECK_NEAR(efe_kl_log(q, lr, 2), 0.14384103622589042, 1e-15);
    CHECK_NEAR(efe_kl(q, q, 2), 0.0, 1e-15);
    double q0[2] = {0.0, 1.0}; /* terms with q = 0 vanish even where p = 0 */
    double p0[2] = {0.0, 1.0};
    CHECK_NEAR(efe_kl(q0, p0, 2), 0.0, 1e-15);
    /* p = 0 where q > 0: floored at EFE_EPS, so large but finite */
    double kl = efe_kl(q, p0, 2);
    CHECK(isfinite(kl) && kl > 10.0);
    CHECK_NEAR(kl, 0.5 * (log(0.5) - log(EFE_EPS)) + 0.5 * log(0.5), 1e-9);
}

static void test_preferences_corridor(void) {
    gw_spec_t sp;
    spec_corridor(&sp);
    gridworld_t g;
    BUILD(g, sp);
    double lnp[3];
    efe_pref_t pd = {EFE_PREF_ORACLE, 1.0, 0.0, 10.0};
    prefs(&g, &pd, lnp);
    CHECK_NEAR(lnp[0], -2.0 - LNZ_CORRIDOR, 1e-12);
    CHECK_NEAR(lnp[1], -1.0 - LNZ_CORRIDOR, 1e-12);
    CHECK_NEAR(lnp[2], -LNZ_CORRIDOR, 1e-12);
    /* lambda scales the distances: lambda 2 gives Z = 1 + e^-2 + e^-4 */
    pd.lambda = 2.0;
    prefs(&g, &pd, lnp);
    CHECK_NEAR(lnp[0], -4.0 - log(1.0 + exp(-2.0) + exp(-4.0)), 1e-12);
    /* goal-only: C = (0, 0, 8) */
    efe_pref_t pg = {EFE_PREF_GOAL, 1.0, 8.0, 10.0};
    prefs(&g, &pg, lnp);
    CHECK_NEAR(lnp[2], -0.0006707002860757427, 1e-12);
    CHECK_NEAR(lnp[0], -8.000670700286076, 1e-12);
    CHECK_NEAR(lnp[1], lnp[0], 1e-15);
    gw_free(&g);
}

/* Holes sit hole_penalty below the lowest floor value; walls and enclosed floor
 * take the lowest floor value; everything is finite and normalised. */
static void test_preferences_holes_walls(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    sp.rows = 2;
    sp.cols = 4;
    char map[] = "SFH#" "FFFG"; /* dist 4 3 - - / 3 2 1 0 */
    sp.map = map;
    gridworld_t g;
    BUILD(g, sp);
    double lnp[8];
    efe_pref_t pd = {EFE_PREF_ORACLE, 1.0, 0.0, 10.0};
    prefs(&g, &pd, lnp);
    int dmax = 0;
    for (int s = 0; s < 8; s++) dmax = g.dist[s] > dmax ? g.dist[s] : dmax;
    double c[8];
    for (int s = 0; s < 8; s++) {
        CHECK(isfinite(lnp[s]));
        c[s] = g.dist[s] >= 0 ? -(double)g.dist[s] : -(double)(dmax + 1);
    }
    c[2] -= 10.0; /* hole */
    double z = efe_logsumexp(c, 8), total = 0.0;
    for (int s = 0; s < 8; s++) {
        CHECK_NEAR(lnp[s], c[s] - z, 1e-12);
        total += exp(lnp[s]);
    }
    CHECK_NEAR(total, 1.0, 1e-12);
    CHECK_NEAR(lnp[3] - lnp[2], 10.0, 1e-12); /* wall vs hole */
    gw_free(&g);
}

/* manhattan knows where the goal is, not the map: C = -lambda (|dr| + |dc|)
 * through walls; goal-only with learned cells to avoid puts them
 * hole_penalty below the floor (0); neither needs the oracle. */
static void test_preferences_manhattan_and_avoid(void) {
    const int rows = 2, cols = 4, goal = 7;
    double lnp[8], c[8];
    efe_pref_t pm = {EFE_PREF_MANHATTAN, 0.5, 0.0, 10.0};
    efe_log_preferences(&pm, rows, cols, goal, NULL, NULL, lnp);
    for (int s = 0; s < 8; s++) c[s] = -0.5 * (abs(s / cols - 1) + abs(s % cols - 3));
    double z = efe_logsumexp(c, 8);
    for (int s = 0; s < 8; s++) CHECK_NEAR(lnp[s], c[s] - z, 1e-12);
    unsigned char avoid[8] = {0, 0, 1, 0, 0, 0, 0, 1}; /* the goal itself is never avoided */
    efe_pref_t pg = {EFE_PREF_GOAL, 1.0, 8.0, 10.0};
    efe_log_preferences(&pg, rows, cols, goal, NULL, avoid, lnp);
    for (int s = 0; s < 8; s++) c[s] = s == goal ? 8.0 : s == 2 ? -10.0 : 0.0;
    z = efe_logsumexp(c, 8);
    for (int s = 0; s < 8; s++) CHECK_NEAR(lnp[s], c[s] - z, 1e-12);
    /* manhattan with a cell to avoid: floor - penalty, floor = -lambda (max + 1) = -2.5 */
    efe_log_preferences(&pm, rows, cols, goal, NULL, avoid, lnp);
    for (int s = 0; s < 8; s++) c[s] = -0.5 * (abs(s / cols - 1) + abs(s % cols - 3));
    c[2] = -0.5 * 5 - 10.0;
    z = efe_logsumexp(c, 8);
    for (int s = 0; s < 8; s++) CHECK_NEAR(lnp[s], c[s] - z, 1e-12);
}

static void test_risk_ambiguity_2x2(void) {
    gw_spec_t sp;
    spec_2x2(&sp);
    gridworld_t g;
    BUILD(g, sp);
    efe_model_t m;
    CHECK(env_true_model(&m, &g) == 0);
    CHECK_NEAR(m.H_A[1], H_NOISY, 1e-12);
    CHECK(m.H_A[0] == 0.0 && m.H_A[3] == 0.0);
    double lnp[4];
    efe_pref_t pd = {EFE_PREF_ORACLE, 1.0, 0.0, 10.0};
    prefs(&g, &pd, lnp);
    CHECK_NEAR(lnp[0], -2.0 - LNZ_2X2, 1e-12);
    double qs[4] = {0, 1, 0, 0}, qo[4];
    efe_predict_obs(&m, qs, qo);
    CHECK_NEAR(qo[0], 1.0 / 6, 1e-15);
    CHECK_NEAR(qo[1], 0.5, 1e-15);
    CHECK_NEAR(efe_risk(qo, lnp, 4), RISK_NOISY, 1e-12);
    CHECK_NEAR(efe_ambiguity(qs, m.H_A, 4), H_NOISY, 1e-12);
    /* a half-half belief over cells 1 and 2: q(o) = (1/12, 1/4, 7/12, 1/12) */
    double qh[4] = {0, 0.5, 0.5, 0};
    efe_predict_obs(&m, qh, qo);
    double want[4] = {1.0 / 12, 0.25, 7.0 / 12, 1.0 / 12}, r = 0.0;
    for (int o = 0; o < 4; o++) {
        CHECK_NEAR(qo[o], want[o], 1e-15);
        r += want[o] * (log(want[o]) - lnp[o]);
    }
    CHECK_NEAR(efe_risk(qo, lnp, 4), r, 1e-12);
    CHECK_NEAR(efe_ambiguity(qh, m.H_A, 4), 0.5 * H_NOISY, 1e-12);
    /* risk_term expected-cost: sum_o q(o) (-ln p~(o)), the KL plus the entropy of q(o) */
    const efe_weights_t kl = {1.0, 1.0, EFE_RISK_KL}, cost = {1.0, 1.0, EFE_RISK_COST};
    double c = 0.0, h = 0.0;
    for (int o = 0; o < 4; o++) {
        c -= want[o] * lnp[o];
        h -= want[o] * log(want[o]);
    }
    CHECK_NEAR(efe_risk_w(&cost, qo, lnp, 4), c, 1e-12);
    CHECK_NEAR(efe_risk_w(&cost, qo, lnp, 4), r + h, 1e-12);
    CHECK(efe_risk_w(&kl, qo, lnp, 4) == efe_risk(qo, lnp, 4));
    efe_model_free(&m);
    gw_free(&g);
}

static void test_policy_G_corridor(void) {
    gw_spec_t sp;
    spec_corridor(&sp);
    gridworld_t g;
    BUILD(g, sp);
    efe_model_t m;
    CHECK(env_true_model(&m, &g) == 0);
    double lnp[3], work[9], r, a;
    efe_pref_t pd = {EFE_PREF_ORACLE, 1.0, 0.0, 10.0};
    prefs(&g, &pd, lnp);
    double q0[3] = {1, 0, 0};
    /* right, right: observe 1 then 2: risk = (1 + lnZ) + lnZ, no ambiguity */
    int rr[2] = {ACT_RIGHT, ACT_RIGHT};
    CHECK_NEAR(efe_policy_G(&m, q0, rr, 2, lnp, &W11, &r, &a, work), 1.8152119288887607, 1e-12);
    CHECK_NEAR(r, 1.0 + 2 * LNZ_CORRIDOR, 1e-12);
    CHECK(a == 0.0);
    /* left (bump, stay at 0), right: (2 + lnZ) + (1 + lnZ) */
    int lr[2] = {ACT_LEFT, ACT_RIGHT};
    CHECK_NEAR(efe_policy_G(&m, q0, lr, 2, lnp, &W11, NULL, NULL, work), 3.8152119288887607, 1e-12);
    /* up, down are bumps in a one-row world; the goal is absorbing: right right left */
    int rrl[3] = {ACT_RIGHT, ACT_RIGHT, ACT_LEFT};
    CHECK_NEAR(efe_policy_G(&m, q0, rrl, 3, lnp, &W11, NULL, NULL, work), 1.0 + 3 * LNZ_CORRIDOR, 1e-12);
    int ud[2] = {ACT_UP, ACT_DOWN};
    CHECK_NEAR(efe_policy_G(&m, q0, ud, 2, lnp, &W11, NULL, NULL, work), 4.0 + 2 * LNZ_CORRIDOR, 1e-12);
    /* weights scale the parts */
    efe_weights_t w2 = {2.0, 5.0, EFE_RISK_KL};
    CHECK_NEAR(efe_policy_G(&m, q0, rr, 2, lnp, &w2, NULL, NULL, work), 2 * 1.8152119288887607, 1e-12);
    efe_model_free(&m);
    gw_free(&g);
}

static void test_policy_G_2x2(void) {
    gw_spec_t sp;
    spec_2x2(&sp);
    gridworld_t g;
    BUILD(g, sp);
    efe_model_t m;
    CHECK(env_true_model(&m, &g) == 0);
    double lnp[4], work[12], r, a;
    efe_pref_t pd = {EFE_PREF_ORACLE, 1.0, 0.0, 10.0};
    prefs(&g, &pd, lnp);
    double q0[4] = {1, 0, 0, 0};
    int right[1] = {ACT_RIGHT}, down[1] = {ACT_DOWN};
    /* through the noisy cell: risk 0.38407, ambiguity 1.24245 */
    double G = efe_policy_G(&m, q0, right, 1, lnp, &W11, &r, &a, work);
    CHECK_NEAR(r, RISK_NOISY, 1e-12);
    CHECK_NEAR(a, H_NOISY, 1e-12);
    CHECK_NEAR(G, RISK_NOISY + H_NOISY, 1e-12);
    /* through the clear cell: risk 1 + lnZ, ambiguity 0 */
    G = efe_policy_G(&m, q0, down, 1, lnp, &W11, &r, &a, work);
    CHECK_NEAR(r, 1.0 + LNZ_2X2, 1e-12);
    CHECK(a == 0.0);
    /* With a certain belief and w_risk = w_ambiguity, ambiguity cancels the
     * entropy of q(o) inside risk: both first steps cost E[-ln p~(o)] = 1 + lnZ. */
    CHECK_NEAR(RISK_NOISY + H_NOISY, 1.0 + LNZ_2X2, 1e-12);
    /* w_ambiguity = 0: the noisy cell looks better (risk favours spread outcomes) */
    efe_weights_t w10 = {1.0, 0.0, EFE_RISK_KL};
    CHECK(efe_policy_G(&m, q0, right, 1, lnp, &w10, NULL, NULL, work) <
          efe_policy_G(&m, q0, down, 1, lnp, &w10, NULL, NULL, work));
    /* two steps, right then down: 1 -> 3 (goal, fully observable) */
    int rd[2] = {ACT_RIGHT, ACT_DOWN};
    G = efe_policy_G(&m, q0, rd, 2, lnp, &W11, &r, &a, work);
    CHECK_NEAR(r, RISK_NOISY + LNZ_2X2, 1e-12);
    CHECK_NEAR(a, H_NOISY, 1e-12);
    /* risk_term expected-cost, w_ambiguity 0 (no epistemic term): with a
     * certain state each step costs E[-ln p~(o)], the default's G; the two
     * first steps tie, where w_ambiguity 0 with the KL preferred the noisy cell */
    const efe_weights_t c10 = {1.0, 0.0, EFE_RISK_COST};
    CHECK_NEAR(efe_policy_G(&m, q0, right, 1, lnp, &c10, &r, &a, work), 1.0 + LNZ_2X2, 1e-12);
    CHECK_NEAR(r, RISK_NOISY + H_NOISY, 1e-12);
    CHECK_NEAR(a, H_NOISY, 1e-12);
    CHECK_NEAR(efe_policy_G(&m, q0, down, 1, lnp, &c10, NULL, NULL, work), 1.0 + LNZ_2X2, 1e-12);
    CHECK_NEAR(efe_policy_G(&m, q0, rd, 2, lnp, &c10, NULL, NULL, work),
               efe_policy_G(&m, q0, rd, 2, lnp, &W11, NULL, NULL, work), 1e-12);
    efe_model_free(&m);
    gw_free(&g);
}

static void test_policy_posterior(void) {
    double G[3] = {1.0, 2.0, 3.0}, P[3];
    efe_policy_posterior(G, NULL, 2.0, 3, P);
    CHECK_NEAR(P[0], 0.866813332197335, 1e-14);
    CHECK_NEAR(P[1], 0.11731042782619837, 1e-14);
    CHECK_NEAR(P[2], 0.01587623997646677, 1e-14);
    double lnE[3] = {log(0.2), log(0.3), log(0.5)};
    efe_policy_posterior(G, lnE, 2.0, 3, P);
    CHECK_NEAR(P[0], 0.8007738537094345, 1e-14);
    CHECK_NEAR(P[1], 0.16255943445036022, 1e-14);
    CHECK_NEAR(P[2], 0.03666671184020513, 1e-14);
    /* gamma 0: uniform; huge gamma and G: no overflow, all mass on the best */
    efe_policy_posterior(G, NULL, 0.0, 3, P);
    CHECK_NEAR(P[2], 1.0 / 3, 1e-15);
    double Gbig[2] = {1e6, 1e6 + 1000.0};
    efe_policy_posterior(Gbig, NULL, 1e4, 2, P);
    CHECK(P[0] == 1.0 && P[1] == 0.0);
}

static void test_action_marginals_selection(void) {
    /* 6 policies over 3 first actions */
    double P[6] = {0.1, 0.2, 0.05, 0.05, 0.3, 0.3};
    int first[6] = {0, 0, 1, 1, 2, 2};
    double pa[3];
    efe_action_marginals(P, first, 6, 3, pa);
    CHECK_NEAR(pa[0], 0.3, 1e-15);
    CHECK_NEAR(pa[1], 0.1, 1e-15);
    CHECK_NEAR(pa[2], 0.6, 1e-15);
    rng_t r;
    rng_seed(&r, 1, 2, 3);
    CHECK(efe_select_action(pa, 3, EFE_SELECT_ARGMAX, &r) == 2);
    /* ties are broken uniformly */
    double tie[4] = {0.4, 0.1, 0.4, 0.1};
    int count[4] = {0};
    for (int i = 0; i < 4000; i++) count[efe_select_action(tie, 4, EFE_SELECT_ARGMAX, &r)]++;
    CHECK(count[1] == 0 && count[3] == 0);
    CHECK(abs(count[0] - 2000) < 200 && abs(count[2] - 2000) < 200);
    /* sampling follows the marginal */
    int cs[3] = {0};
    for (int i = 0; i < 20000; i++) cs[efe_select_action(pa, 3, EFE_SELECT_SAMPLE, &r)]++;
    CHECK(fabs(cs[0] / 20000.0 - 0.3) < 0.02);
    CHECK(fabs(cs[1] / 20000.0 - 0.1) < 0.02);
    CHECK(fabs(cs[2] / 20000.0 - 0.6) < 0.02);
}

static void test_first_action_summary(void) {
    double G[6] = {3.0, 2.0, 5.0, 4.0, 1.0, 9.0};
    double R[6] = {1.0, 1.5, 2.0, 2.5, 0.25, 3.0};
    double A[6] = {2.0, 0.5, 3.0, 1.5, 0.75, 6.0};
    int first[6] = {0, 0, 1, 1, 2, 2};
    double pa[3] = {0.2, 0.1, 0.7};
    float g[3], r[3], a[3], p[3];
    efe_first_action_summary(G, R, A, first, 6, 3, pa, g, r, a, p);
    CHECK(g[0] == 2.0f && r[0] == 1.5f && a[0] == 0.5f);
    CHECK(g[1] == 4.0f && r[1] == 2.5f && a[1] == 1.5f);
    CHECK(g[2] == 1.0f && r[2] == 0.25f && a[2] == 0.75f);
    CHECK(p[2] == 0.7f);
}

/* The model's sparse rows carry exactly the dense B and A. */
static void test_model_from_world(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    sp.rows = sp.cols = 4;
    char map[] = "SFFF" "F#FH" "FFFF" "FFFG";
    sp.map = map;
    sp.slip = 0.2;
    sp.eta_all = 0.7;
    gridworld_t g;
    BUILD(g, sp);
    efe_model_t m;
    CHECK(env_true_model(&m, &g) == 0);
    CHECK(m.b_width == 3);
    int n = g.n_states;
    for (int a = 0; a < g.n_actions; a++)
        for (int s = 0; s < n; s++) {
            double row[16] = {0};
            const size_t base = ((size_t)a * n + s) * m.b_width;
            for (int k = 0; k < m.b_width && m.b_idx[base + k] >= 0; k++) row[m.b_idx[base + k]] += m.b_p[base + k];
            for (int s2 = 0; s2 < n; s2++) CHECK(row[s2] == g.B[((size_t)a * n + s) * n + s2]);
        }
    for (int s = 0; s < n; s++) {
        double row[16] = {0};
        for (int k = 0; k < m.a_width && m.a_idx[s * m.a_width + k] >= 0; k++)
            row[m.a_idx[s * m.a_width + k]] += m.a_p[s * m.a_width + k];
        for (int o = 0; o < n; o++) CHECK(row[o] == g.A[s * n + o] && m.A[s * n + o] == g.A[s * n + o]);
    }
    efe_model_free(&m);
    gw_free(&g);
}

/* Filtering against Bayes by brute force: p(s_T | o_0..T, a_0..T-1) from the sum
 * over every path s_0..s_T of p(s_0) prod B prod A, on a slippery 2x2 with a
 * noisy cell and on a 3x3 with a wall. */
static int check_filter(const gw_spec_t *sp, const int *acts, const int *obs, int T) {
    gridworld_t g;
    char e[256];
    if (gw_build(&g, sp, e, sizeof e)) return 0;
    efe_model_t m;
    if (env_true_model(&m, &g)) return 0;
    const int n = g.n_states;
    double q[9] = {0}, q2[9], brute[9] = {0};
    q[g.start] = 1.0;
    efe_observe(&m, q, obs[0]);
    for (int t = 0; t < T; t++) {
        efe_predict_states(&m, acts[t], q, q2);
        memcpy(q, q2, sizeof q);
        if (efe_observe(&m, q, obs[t + 1]) != 0) return 0;
    }
    long paths = 1;
    for (int t = 0; t <= T; t++) paths *= n;
    for (long code = 0; code < paths; code++) {
        int path[16];
        long c = code;
        for (int t = 0; t <= T; t++) { path[t] = (int)(c % n); c /= n; }
        if (path[0] != g.start) continue;
        double w = g.A[path[0] * n + obs[0]];
        for (int t = 0; t < T; t++)
            w *= g.B[((size_t)acts[t] * n + path[t]) * n + path[t + 1]] * g.A[path[t + 1] * n + obs[t + 1]];
        brute[path[T]] += w;
    }
    double z = 0.0;
    for (int s = 0; s < n; s++) z += brute[s];
    int ok = z > 0.0;
    for (int s = 0; s < n && ok; s++)
        if (fabs(brute[s] / z - q[s]) > 1e-12) ok = 0;
    efe_model_free(&m);
    gw_free(&g);
    return ok;
}

static void test_filter_matches_bayes(void) {
    gw_spec_t sp;
    spec_2x2(&sp);
    sp.slip = 0.2;
    int acts[4] = {ACT_RIGHT, ACT_DOWN, ACT_LEFT, ACT_UP};
    int obs[5] = {0, 1, 2, 0, 3};
    CHECK(check_filter(&sp, acts, obs, 4));
    int obs2[5] = {0, 0, 1, 1, 2};
    CHECK(check_filter(&sp, acts, obs2, 4));
    /* 3x3 with a wall in the middle, noisy everywhere */
    gw_spec_init(&sp);
    sp.rows = sp.cols = 3;
    char map[] = "SFF" "F#F" "FFG";
    sp.map = map;
    sp.slip = 0.3;
    sp.eta_all = 0.6;
    int a3[4] = {ACT_DOWN, ACT_DOWN, ACT_RIGHT, ACT_RIGHT};
    int o3[5] = {0, 3, 6, 7, 7};
    CHECK(check_filter(&sp, a3, o3, 4));
}

/* An observation the belief cannot explain resets the belief to the likelihood. */
static void test_observe_impossible(void) {
    gw_spec_t sp;
    spec_corridor(&sp);
    gridworld_t g;
    BUILD(g, sp);
    efe_model_t m;
    CHECK(env_true_model(&m, &g) == 0);
    double q[3] = {1, 0, 0};
    CHECK(efe_observe(&m, q, 0) == 0 && q[0] == 1.0);
    CHECK(efe_observe(&m, q, 2) == 1);
    CHECK(q[0] == 0.0 && q[1] == 0.0 && q[2] == 1.0);
    efe_model_free(&m);
    gw_free(&g);
}

static const unit_test_t tests[] = {
    {"logsumexp_softmax", test_logsumexp_softmax},
    {"entropy_kl", test_entropy_kl},
    {"preferences_corridor", test_preferences_corridor},
    {"preferences_holes_walls", test_preferences_holes_walls},
    {"preferences_manhattan_and_avoid", test_preferences_manhattan_and_avoid},
    {"risk_ambiguity_2x2", test_risk_ambiguity_2x2},
    {"policy_G_corridor", test_policy_G_corridor},
    {"policy_G_2x2", test_policy_G_2x2},
    {"policy_posterior", test_policy_posterior},
    {"action_marginals_selection", test_action_marginals_selection},
    {"first_action_summary", test_first_action_summary},
    {"model_from_world", test_model_from_world},
    {"filter_matches_bayes", test_filter_matches_bayes},
    {"observe_impossible", test_observe_impossible},
    {0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
