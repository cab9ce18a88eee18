/* unit_planner: the shared decision (planner.h) against the reference
 * efe_tail_policy_G, policy by policy, on a model that is neither the truth
 * nor sparse like it (one learned from observations, with the tail), for the
 * exhaustive tree and for a beam wide enough to be exact; the beam beyond
 * the cap scores at most policy_cap policies and only upper bounds. */
#include <stdlib.h>
#include <string.h>
#include "world/env.h"
#include "aif/experience.h"
#include "aif/latent.h"
#include "aif/planner.h"
#include "world/presets.h"
#include "unit.h"

typedef struct {
    gridworld_t g;
    task_t t;
    arena_t *ar;
    genmodel_t gm;
    double lnp[64];
    efe_params_t ep;
} fixture_t;

/* paper8x8, and a model learned by EM from 3000 random steps (the planner
 * sees an A row over every observation and learned B rows). */
static int fixture(fixture_t *f) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    char e[256];
    if (world_apply(world_find("paper8x8"), &sp, e, sizeof e) != 0 || gw_build(&f->g, &sp, e, sizeof e) != 0) return -1;
    free(sp.map);
    free(sp.eta);
    task_from_world(&f->t, &f->g, NULL, 0);
    f->ar = arena_create(1 << 20);
    experience_t xp;
    latent_t L;
    latent_prior_t pr = latent_prior_defaults();
    if (xp_alloc(&xp, f->ar, 3000) || latent_alloc(&L, f->ar, &f->t, f->g.max_steps + 1, &pr) ||
        genmodel_alloc(&f->gm, f->ar, 64, 4, LATENT_WIDTH, 64))
        return -1;
    rng_t er, ar;
    rng_seed(&er, 2, 0, RNG_ENV);
    rng_seed(&ar, 2, 0, RNG_AGENT);
    env_t env;
    env_init(&env, &f->g, &er);
    for (long t = 0; t < 3000;) {
        int o = env_reset(&env), out = ENV_RUNNING;
        xp_begin(&xp, o, -1);
        for (int k = 0; k < f->g.max_steps && t < 3000 && out == ENV_RUNNING; k++, t++) {
            int a = (int)rng_below(&ar, 4);
            o = env_step(&env, a, NULL, &out);
            xp_step(&xp, a, o, -1);
        }
        xp_end(&xp, out == ENV_GOAL ? XP_GOAL : XP_CUT);
    }
    latent_em(&L, &xp, 100, 1e-4);
    latent_to_genmodel(&L, &f->gm);
    efe_pref_t pref = {EFE_PREF_GOAL, 1.0, 8.0, 10.0};
    efe_log_preferences(&pref, 8, 8, f->g.goal, NULL, f->gm.avoid, f->lnp);
    f->ep = (efe_params_t){3.0, {1.3, 0.7, EFE_RISK_KL}, pref, EFE_SELECT_ARGMAX};
    return 0;
}

static void fixture_free(fixture_t *f) {
    genmodel_free(&f->gm);
    arena_free(f->ar);
    gw_free(&f->g);
}

/* Every first action's logged G, risk and ambiguity is the minimum over its
 * policies of the reference G (with the tail), and P(a) its posterior marginal. */
static void check_against_reference(const char *search, int tail) {
    fixture_t f;
    CHECK(fixture(&f) == 0);
    planner_config_t cfg = {3, !strcmp(search, "beam") ? 4096 : 64, !strcmp(search, "beam") ? PLAN_SEARCH_BEAM : 0,
                            tail ? 100 : 0, 0};
    planner_t p;
    CHECK(planner_alloc(&p, f.ar, 64, 64, 4, &cfg) == 0);
    planner_set_model(&p, &f.gm.m, f.lnp, &f.ep, NULL);
    double q[64], work[3 * 64];
    genmodel_belief_begin(&f.gm, 9, q); /* an uncertain belief: observed 9 */
    double G[64], R[64], A[64], P[64], pa[4];
    int first[64];
    for (int k = 0; k < 64; k++) {
        int pol[3] = {k / 16, k / 4 % 4, k % 4};
        G[k] = efe_tail_policy_G(&f.gm.m, tail ? &p.tail : NULL, q, pol, 3, f.lnp, &f.ep.w, &R[k], &A[k], work);
        first[k] = pol[0];
    }
    efe_policy_posterior(G, NULL, f.ep.gamma, 64, P);
    efe_action_marginals(P, first, 64, 4, pa);
    decision_t d;
    decision_clear(&d);
    d.want_check = 1;
    rng_t r;
    rng_seed(&r, 1, 1, 1);
    int a = planner_decide(&p, q, &r, &d);
    CHECK(a == d.action);
    for (int b = 0; b < 4; b++) {
        double gmin = INFINITY, rmin = 0, amin = 0;
        for (int k = 0; k < 64; k++)
            if (first[k] == b && G[k] < gmin) { gmin = G[k]; rmin = R[k]; amin = A[k]; }
        CHECK_NEAR(d.G[b], gmin, 1e-6 * fabs(gmin) + 1e-9);
        CHECK_NEAR(d.risk[b], rmin, 1e-6 * fabs(rmin) + 1e-9);
        CHECK_NEAR(d.ambiguity[b], amin, 1e-6 * fabs(amin) + 1e-9);
        CHECK_NEAR(d.p_action[b], pa[b], 1e-6);
    }
    if (!p.shape.beam) {
        CHECK(d.n_check == 64 && d.check_H == 3);
        for (int k = 0; k < 64; k++) CHECK_NEAR(d.check_est[k], G[k], 1e-5 * fabs(G[k]));
    }
    planner_free(&p);
    fixture_free(&f);
}

static void tree_matches_reference(void) { check_against_reference("auto", 0); }
static void tree_with_tail_matches_reference(void) { check_against_reference("auto", 1); }
static void wide_beam_matches_reference(void) { check_against_reference("beam", 1); }

/* Beyond the cap: at most policy_cap policies, each first action's G no
 * better than the exhaustive minimum. */
static void beam_beyond_cap(void) {
    fixture_t f;
    CHECK(fixture(&f) == 0);
    planner_config_t wide = {5, 4096, PLAN_SEARCH_AUTO, 100, 0}, narrow = {5, 64, PLAN_SEARCH_AUTO, 100, 0};
    planner_t pw, pn;
    CHECK(planner_alloc(&pw, f.ar, 64, 64, 4, &wide) == 0 && planner_alloc(&pn, f.ar, 64, 64, 4, &narrow) == 0);
    CHECK(!pw.shape.beam && pn.shape.beam && pn.shape.max_pol <= 64);
    planner_set_model(&pw, &f.gm.m, f.lnp, &f.ep, NULL);
    planner_set_model(&pn, &f.gm.m, f.lnp, &f.ep, NULL);
    double q[64];
    genmodel_belief_begin(&f.gm, 0, q);
    decision_t dw, dn;
    decision_clear(&dw);
    decision_clear(&dn);
    rng_t r;
    rng_seed(&r, 1, 1, 1);
    planner_decide(&pw, q, &r, &dw);
    planner_decide(&pn, q, &r, &dn);
    CHECK(pn.n_pol <= 64 && pw.n_pol == 1024);
    for (int b = 0; b < 4; b++) CHECK(dn.G[b] >= dw.G[b] - 1e-9 * fabs(dw.G[b]));
    planner_free(&pw);
    planner_free(&pn);
    fixture_free(&f);
}

static const unit_test_t tests[] = {
    {"tree_matches_reference", tree_matches_reference},
    {"tree_with_tail_matches_reference", tree_with_tail_matches_reference},
    {"wide_beam_matches_reference", wide_beam_matches_reference},
    {"beam_beyond_cap", beam_beyond_cap},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
