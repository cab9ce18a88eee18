/* efe_tail: backward induction of expected free energy over states, against
 * closed forms and brute force. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "aif/efe_tail.h"
#include "world/env.h"
#include "unit.h"
#include "unit_world.h"

/* Deterministic and fully observable, goal-only preference: a step away from
 * the goal costs exactly c_goal more than one at it, so the tail is
 * c_goal * (dist - 1) (0 at the goal and next to it). */
static void test_goal_only_closed_form(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    sp.rows = 3;
    sp.cols = 5;
    sp.map = "SF#FF" "FF#FF" "FFFFG";
    gridworld_t g;
    BUILD(g, sp);
    world_knowledge_t k;
    CHECK(world_knowledge_build(&k, &g) == 0);
    double lnp[15];
    efe_pref_t p = {EFE_PREF_GOAL, 1.0, 8.0, 10.0};
    efe_log_preferences(&p, 3, 5, g.goal, NULL, NULL, lnp);
    efe_tail_t t;
    CHECK(efe_tail_alloc(&t, 15, 4) == 0);
    const efe_weights_t w = {1.0, 1.0, EFE_RISK_KL};
    efe_tail_solve(&t, &k.model, lnp, &w, 100, NULL);
    /* (walls are absorbing cells of the true model that never see the goal:
     * their values grow with every step, so the solve runs all 100) */
    for (int s = 0; s < 15; s++) {
        if (g.cells[s] == '#') continue;
        double want = g.dist[s] >= 1 ? 8.0 * (g.dist[s] - 1) : 0.0;
        CHECK_MSG(fabs(t.V[s] - want) < 1e-9, "cell %d: V %.12g, want %g", s, t.V[s], want);
        CHECK_NEAR(t.V[s], t.Vr[s] + t.Va[s], 1e-12);
        CHECK_NEAR(t.Va[s], 0.0, 1e-12);  /* fully observable: no ambiguity */
    }
    efe_tail_free(&t);
    world_knowledge_free(&k);
    gw_free(&g);
}

/* An independent reference: the K-step expectimax over states with dense B,
 * V_k(s) = min_a sum_s' B[a][s][s'] (g(s') + V_{k-1}(s')), from scratch. */
static double ref_value(const gridworld_t *g, const double *cost, int s, int k) {
    if (k == 0) return 0.0;
    const int n = g->n_states;
    double best = INFINITY;
    for (int a = 0; a < g->n_actions; a++) {
        double q = 0.0;
        for (int s2 = 0; s2 < n; s2++) {
            double pr = g->B[((size_t)a * n + s) * n + s2];
            if (pr > 0) q += pr * (cost[s2] + ref_value(g, cost, s2, k - 1));
        }
        if (q < best) best = q;
    }
    return best;
}

/* Slip, partial observability and a hole: the solved tail equals the
 * brute-force recursion up to the constant it is kept relative to, and the
 * per-state cost is w_risk KL[p(o|s) || p~] + w_amb H[p(o|s)] from the dense A
 * (with risk_term expected-cost, w_risk E_p(o|s)[-ln p~] + w_amb H[p(o|s)]). */
static void test_matches_expectimax(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    sp.rows = 2;
    sp.cols = 3;
    sp.map = "SFF" "FHG";
    sp.slip = 0.2;
    double eta[6] = {1.0, 0.6, 0.3, 0.8, 1.0, 1.0};
    sp.eta = eta;
    gridworld_t g;
    BUILD(g, sp);
    world_knowledge_t k;
    CHECK(world_knowledge_build(&k, &g) == 0);
    double lnp[6];
    efe_pref_t p = {EFE_PREF_GOAL, 1.0, 4.0, 3.0};
    efe_log_preferences(&p, 2, 3, g.goal, NULL, k.failure, lnp);
    efe_tail_t t;
    CHECK(efe_tail_alloc(&t, 6, 4) == 0);
    for (int rk = 1; rk >= 0; rk--) {
        const efe_weights_t w = {1.3, 0.6, rk ? EFE_RISK_COST : EFE_RISK_KL};
        double cost[6];
        for (int s = 0; s < 6; s++) {
            double kl = 0.0, h = 0.0, ce = 0.0;
            for (int o = 0; o < 6; o++) {
                double a = g.A[s * 6 + o];
                if (a > 0) { kl += a * (log(a) - lnp[o]); h -= a * log(a); ce -= a * lnp[o]; }
            }
            cost[s] = w.w_risk * (rk ? ce : kl) + w.w_ambiguity * h;
        }
        for (int K = 1; K <= 5; K++) {
            efe_tail_solve(&t, &k.model, lnp, &w, K, NULL);
            CHECK(t.steps == K); /* the hole keeps the values moving: no early stop */
            double ref[6], mn = INFINITY;
            for (int s = 0; s < 6; s++) { ref[s] = ref_value(&g, cost, s, K); if (ref[s] < mn) mn = ref[s]; }
            for (int s = 0; s < 6; s++) {
                CHECK_MSG(fabs(t.V[s] - (ref[s] - mn)) < 1e-9 * (1 + fabs(ref[s])), "K %d cell %d: %.12g vs %.12g", K,
                          s, t.V[s], ref[s] - mn);
                CHECK_NEAR(t.V[s], w.w_risk * t.Vr[s] + w.w_ambiguity * t.Va[s], 1e-9);
            }
        }
    }
    const efe_weights_t w = {1.3, 0.6, EFE_RISK_KL};
    /* A novelty bonus lowers the cost of the cells it is given to. */
    double bonus[6] = {0, 0, 5.0, 0, 0, 0};
    efe_tail_solve(&t, &k.model, lnp, &w, 3, NULL);
    double v0 = t.V[1] - t.V[0];
    efe_tail_solve(&t, &k.model, lnp, &w, 3, bonus);
    CHECK(t.V[1] - t.V[0] < v0); /* cell 1 is next to the bonus */
    efe_tail_free(&t);
    world_knowledge_free(&k);
    gw_free(&g);
}

/* efe_tail_policy_G: without a tail it is efe_policy_G; with one it adds the
 * tail of the belief after the last step. */
static void test_policy_G_with_tail(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    sp.rows = sp.cols = 3;
    sp.slip = 0.1;
    gridworld_t g;
    BUILD(g, sp);
    world_knowledge_t k;
    CHECK(world_knowledge_build(&k, &g) == 0);
    double lnp[9], q0[9] = {0}, work[27], q[9], q2[9];
    efe_pref_t p = {EFE_PREF_GOAL, 1.0, 8.0, 10.0};
    efe_log_preferences(&p, 3, 3, g.goal, NULL, NULL, lnp);
    q0[0] = 0.7;
    q0[1] = 0.3;
    const efe_weights_t w = {1.0, 1.0, EFE_RISK_KL};
    const int pol[2] = {ACT_RIGHT, ACT_DOWN};
    double r1, a1, r2, a2;
    double G1 = efe_policy_G(&k.model, q0, pol, 2, lnp, &w, &r1, &a1, work);
    double G2 = efe_tail_policy_G(&k.model, NULL, q0, pol, 2, lnp, &w, &r2, &a2, work);
    CHECK_NEAR(G1, G2, 1e-12);
    efe_tail_t t;
    CHECK(efe_tail_alloc(&t, 9, 4) == 0);
    efe_tail_solve(&t, &k.model, lnp, &w, 20, NULL);
    double G3 = efe_tail_policy_G(&k.model, &t, q0, pol, 2, lnp, &w, &r2, &a2, work);
    efe_predict_states(&k.model, pol[0], q0, q);
    efe_predict_states(&k.model, pol[1], q, q2);
    double tr, ta;
    efe_tail_of_belief(&t, q2, &tr, &ta);
    CHECK_NEAR(G3, G1 + tr + ta, 1e-9);
    CHECK(tr > 0);
    efe_tail_free(&t);
    world_knowledge_free(&k);
    gw_free(&g);
}

static const unit_test_t tests[] = {
    {"goal_only_closed_form", test_goal_only_closed_form},
    {"matches_expectimax", test_matches_expectimax},
    {"policy_G_with_tail", test_policy_G_with_tail},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
