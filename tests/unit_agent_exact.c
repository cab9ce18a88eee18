/* Unit tests for the exact-aif agent, end to end through its class interface:
 * the tree search against the reference efe_policy_G, the beam, the decision
 * record, optimality on the paper's 4x4, success on the paper's 8x8, the
 * epistemic preference for observable routes, and the learned model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "interface/agents.h"
#include "aif/latent.h"
#include "aif/efe.h"
#include "world/env.h"
#include "world/gridworld.h"
#include "unit.h"
#include "unit_world.h"

static const agent_class_t *const X = &agent_exact_aif;

/* The class's defaults, except the preference: these tests of the machinery
 * (search, beliefs, the learned model) use the map-aware oracle-distance
 * preference, under which a short horizon suffices; the tests that are about
 * the goal-only preference say so. */
static void defaults(double *pv) {
    for (int i = 0; i < X->n_params; i++) pv[i] = X->params[i].def;
    pv[agent_param_index(X, "preference")] = EFE_PREF_ORACLE;
}

/* Sets a parameter by name (choices by their text). */
static void setp(double *pv, const char *name, double v) {
    int i = agent_param_index(X, name);
    if (i < 0) { fprintf(stderr, "no parameter %s\n", name); abort(); }
    pv[i] = v;
}
static void setc(double *pv, const char *name, const char *choice) {
    int i = agent_param_index(X, name);
    if (i < 0) { fprintf(stderr, "no parameter %s\n", name); abort(); }
    int k = param_choice_index(&X->params[i], choice);
    if (k < 0) { fprintf(stderr, "no choice %s for %s\n", choice, name); abort(); }
    pv[i] = k;
}

/* The knowledge behind the agents of the current test (at most KN_SLOTS at
 * once), released with the world by free_world. */
#define KN_SLOTS 8
static world_knowledge_t kn[KN_SLOTS];
static task_t kn_task[KN_SLOTS];
static int kn_used;

static task_t *task_for(const gridworld_t *g, const double *pv) {
    int i = kn_used++ % KN_SLOTS;
    world_knowledge_free(&kn[i]);
    if (world_knowledge_build(&kn[i], g) != 0) abort();
    task_from_world(&kn_task[i], g, &kn[i], X->needs(pv));
    kn_task[i].train_steps = 10000; /* the largest budget a test trains with */
    return &kn_task[i];
}

static void free_world(gridworld_t *g) {
    for (int i = 0; i < KN_SLOTS; i++) world_knowledge_free(&kn[i]);
    kn_used = 0;
    gw_free(g);
}

static void *create(const gridworld_t *g, const double *pv) {
    char err[256] = "";
    void *a = X->create(task_for(g, pv), pv, NULL, err, sizeof err);
    if (!a) fprintf(stderr, "create: %s\n", err);
    return a;
}

/* The agent's view alone (validate and ckpt_floats see nothing more). */
static task_t view(const gridworld_t *g) {
    task_t t;
    task_from_world(&t, g, NULL, 0);
    return t;
}

/* The paper's 8x8 (jobs/smoke.yaml): eta = 1 - digit / 10, slip 0.1. */
static const char *const MAP8[8] = {"00000000", "03300000", "03366000", "00066000",
                                    "00000550", "00880550", "00880000", "00000000"};
static double eta8[64];
static void spec_paper8x8(gw_spec_t *sp) {
    gw_spec_init(sp);
    sp->rows = sp->cols = 8;
    sp->slip = 0.1;
    sp->max_steps = 200;
    for (int s = 0; s < 64; s++) eta8[s] = 1.0 - (MAP8[s / 8][s % 8] - '0') / 10.0;
    sp->eta = eta8;
}

typedef struct { int success; double mean_steps; int min_steps, max_steps; } eval_t;

/* n evaluation episodes as run.c drives them; visit[s] counts episodes that
 * entered s (may be NULL). */
static eval_t evaluate(void *ag, const gridworld_t *g, int n, uint64_t seed, int *visit) {
    eval_t ev = {0, 0.0, 1 << 30, 0};
    rng_t er, ar;
    rng_seed(&er, seed, 0, RNG_EVAL_ENV);
    rng_seed(&ar, seed, 0, RNG_EVAL_AGENT);
    unsigned char *seen = calloc((size_t)g->n_states, 1);
    long total = 0;
    for (int e = 0; e < n; e++) {
        memset(seen, 0, (size_t)g->n_states);
        int s = g->start, o = gw_observe(g, s, &er), t = 0;
        X->begin_episode(ag, o);
        while (t < g->max_steps) {
            decision_t d;
            decision_clear(&d);
            int a = X->act(ag, o, &ar, &d);
            s = gw_step(g, s, a, &er);
            o = gw_observe(g, s, &er);
            seen[s] = 1;
            t++;
            if (gw_terminal(g, s)) break;
        }
        ev.success += s == g->goal;
        total += t;
        if (t < ev.min_steps) ev.min_steps = t;
        if (t > ev.max_steps) ev.max_steps = t;
        if (visit)
            for (int c = 0; c < g->n_states; c++) visit[c] += seen[c];
    }
    free(seen);
    ev.mean_steps = (double)total / n;
    return ev;
}

/* ---- the class ------------------------------------------------------------------ */

static void test_params_table(void) {
    CHECK(agent_class_find("exact-aif") == X);
    const char *need[] = {"horizon", "gamma", "w_risk", "w_ambiguity", "risk_term", "preference", "lambda",
                          "selection", "model", "policy_cap", "dirichlet_prior"};
    for (size_t i = 0; i < sizeof need / sizeof *need; i++) CHECK_MSG(agent_param_index(X, need[i]) >= 0, "%s", need[i]);
    for (int i = 0; i < X->n_params; i++) {
        const param_spec_t *p = &X->params[i];
        /* names shared with q-learning would have to mean the same thing */
        CHECK(strcmp(p->name, "alpha") != 0 && strcmp(p->name, "discount") != 0);
        for (int j = 0; j < i; j++) CHECK(strcmp(p->name, X->params[j].name) != 0);
        if (p->type == PT_CHOICE) CHECK(p->def >= 0 && p->def < param_n_choices(p));
        else if (p->type != PT_BOOL) CHECK(p->def >= p->lo && p->def <= p->hi);
        CHECK(p->help && p->help[0]);
    }
    const param_spec_t *m = &X->params[agent_param_index(X, "model")];
    CHECK(param_choice_index(m, "true") == 0 && param_choice_index(m, "learned") == 1);
}

static void test_validate(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    sp.max_steps = 5;
    gridworld_t g;
    BUILD(g, sp);
    task_t tv = view(&g);
    double pv[64];
    char err[512];
    defaults(pv);
    CHECK(X->validate(&tv, pv, err, sizeof err) == 0);
    setp(pv, "horizon", 6);
    CHECK(X->validate(&tv, pv, err, sizeof err) != 0 && strstr(err, "horizon") && strstr(err, "max_steps"));
    CHECK(X->create(&tv, pv, NULL, err, sizeof err) == NULL); /* create refuses it too */
    free_world(&g);
    sp.max_steps = 100;
    BUILD(g, sp);
    tv = view(&g);
    defaults(pv);
    setp(pv, "horizon", 7); /* 4^7 = 16384 > 4096 */
    CHECK(X->validate(&tv, pv, err, sizeof err) == 0); /* auto: beam */
    setc(pv, "search", "exhaustive");
    CHECK(X->validate(&tv, pv, err, sizeof err) != 0);
    CHECK_MSG(strstr(err, "4^7 = 16384") && strstr(err, "policy_cap 4096"), "%s", err);
    setp(pv, "policy_cap", 16384);
    CHECK(X->validate(&tv, pv, err, sizeof err) == 0);
    setp(pv, "policy_cap", 15);
    CHECK(X->validate(&tv, pv, err, sizeof err) != 0 && strstr(err, "|A|^2"));
    free_world(&g);
}

/* ---- the search against the reference -------------------------------------------- */

/* Along an episode on the paper's 8x8, every decision's per-action record equals
 * the brute force over all policies with efe_policy_G from the same filtered
 * belief (the test filters with efe_observe / efe_predict_states itself);
 * with either risk term. */
static void tree_matches_reference(efe_risk_kind_t risk) {
    gw_spec_t sp;
    spec_paper8x8(&sp);
    gridworld_t g;
    BUILD(g, sp);
    double pv[64];
    defaults(pv);
    setc(pv, "planner", "tree"); /* the tree alone: no tail beyond the horizon */
    setp(pv, "horizon", 3);
    setp(pv, "gamma", 2.0); /* soft enough that every p_action is visible */
    setp(pv, "w_ambiguity", 0.7);
    setp(pv, "w_risk", 1.3);
    if (risk == EFE_RISK_COST) setc(pv, "risk_term", "expected-cost");
    void *ag = create(&g, pv);
    CHECK(ag);
    efe_model_t m;
    CHECK(env_true_model(&m, &g) == 0);
    double lnp[64], q[64] = {0}, q2[64], work[3 * 64];
    efe_pref_t pref = {EFE_PREF_ORACLE, 1.0, 8.0, 10.0};
    efe_log_preferences(&pref, g.rows, g.cols, g.goal, kn[0].oracle_dist, kn[0].failure, lnp);
    const efe_weights_t w = {1.3, 0.7, risk};
    rng_t er, ar;
    rng_seed(&er, 3, 1, RNG_EVAL_ENV);
    rng_seed(&ar, 3, 1, RNG_EVAL_AGENT);
    int s = g.start, o = gw_observe(&g, s, &er), prev = -1;
    X->begin_episode(ag, o);
    q[g.start] = 1.0;
    efe_observe(&m, q, o);
    for (int t = 0; t < 12 && !gw_terminal(&g, s); t++) {
        if (prev >= 0) {
            efe_predict_states(&m, prev, q, q2);
            memcpy(q, q2, sizeof q);
            efe_observe(&m, q, o);
        }
        double G[64], R[64], A[64], P[64], pa[4];
        int first[64];
        for (int p = 0; p < 64; p++) {
            int pol[3] = {p / 16, p / 4 % 4, p % 4};
            G[p] = efe_policy_G(&m, q, pol, 3, lnp, &w, &R[p], &A[p], work);
            first[p] = pol[0];
        }
        efe_policy_posterior(G, NULL, 2.0, 64, P);
        efe_action_marginals(P, first, 64, 4, pa);
        decision_t d;
        decision_clear(&d);
        int a = X->act(ag, o, &ar, &d);
        CHECK(a == d.action && a >= 0 && a < 4);
        for (int b = 0; b < 4; b++) {
            double gmin = INFINITY, rmin = 0, amin = 0;
            for (int p = 0; p < 64; p++)
                if (first[p] == b && G[p] < gmin) { gmin = G[p]; rmin = R[p]; amin = A[p]; }
            CHECK_NEAR(d.G[b], gmin, 1e-5 * fabs(gmin) + 1e-6);
            CHECK_NEAR(d.risk[b], rmin, 1e-5 * fabs(rmin) + 1e-6);
            CHECK_NEAR(d.ambiguity[b], amin, 1e-5 * fabs(amin) + 1e-6);
            CHECK_NEAR(d.p_action[b], pa[b], 1e-6);
        }
        prev = a;
        s = gw_step(&g, s, a, &er);
        o = gw_observe(&g, s, &er);
    }
    efe_model_free(&m);
    X->destroy(ag);
    free_world(&g);
}

static void test_tree_matches_reference(void) { tree_matches_reference(EFE_RISK_KL); }
static void test_tree_matches_reference_expected_cost(void) { tree_matches_reference(EFE_RISK_COST); }

/* The decision record: P(a) sums to 1, G = w_risk risk + w_amb ambiguity, and
 * the slot of a missing 5th action stays NaN. */
static void test_decision_record(void) {
    gw_spec_t sp;
    spec_paper8x8(&sp);
    gridworld_t g;
    BUILD(g, sp);
    double pv[64];
    defaults(pv);
    setp(pv, "w_risk", 0.5);
    setp(pv, "w_ambiguity", 2.0);
    void *ag = create(&g, pv);
    CHECK(ag);
    X->begin_episode(ag, g.start);
    rng_t r;
    rng_seed(&r, 1, 1, 1);
    decision_t d;
    decision_clear(&d);
    int a = X->act(ag, g.start, &r, &d);
    CHECK(d.action == a);
    double sum = 0.0;
    for (int b = 0; b < 4; b++) {
        CHECK(isfinite(d.G[b]) && d.risk[b] >= 0 && d.ambiguity[b] >= 0);
        CHECK_NEAR(d.G[b], 0.5 * d.risk[b] + 2.0 * d.ambiguity[b], 1e-5 * d.G[b]);
        sum += d.p_action[b];
    }
    CHECK_NEAR(sum, 1.0, 1e-6);
    CHECK(isnan(d.G[4]) && isnan(d.risk[4]) && isnan(d.ambiguity[4]) && isnan(d.p_action[4]));
    /* argmax picks the most probable first action */
    for (int b = 0; b < 4; b++) CHECK(d.p_action[b] <= d.p_action[a]);
    X->destroy(ag);
    free_world(&g);
}

/* search: beam with a width that covers the tree is the exhaustive search. */
static void test_beam_equals_exhaustive_when_wide(void) {
    gw_spec_t sp;
    spec_paper8x8(&sp);
    gridworld_t g;
    BUILD(g, sp);
    double pv[64];
    defaults(pv);
    setp(pv, "horizon", 4);
    setp(pv, "gamma", 3.0);
    void *ex = create(&g, pv);
    setc(pv, "search", "beam");
    void *bm = create(&g, pv);
    CHECK(ex && bm);
    rng_t er, r1, r2;
    rng_seed(&er, 9, 0, RNG_EVAL_ENV);
    rng_seed(&r1, 9, 0, RNG_EVAL_AGENT);
    rng_seed(&r2, 9, 0, RNG_EVAL_AGENT);
    int s = g.start, o = gw_observe(&g, s, &er);
    X->begin_episode(ex, o);
    X->begin_episode(bm, o);
    for (int t = 0; t < 30 && !gw_terminal(&g, s); t++) {
        decision_t d1, d2;
        decision_clear(&d1);
        decision_clear(&d2);
        int a1 = X->act(ex, o, &r1, &d1), a2 = X->act(bm, o, &r2, &d2);
        CHECK(a1 == a2);
        for (int b = 0; b < 4; b++) {
            CHECK_NEAR(d1.G[b], d2.G[b], 1e-6 * fabs(d1.G[b]));
            CHECK_NEAR(d1.p_action[b], d2.p_action[b], 1e-6);
        }
        s = gw_step(&g, s, a1, &er);
        o = gw_observe(&g, s, &er);
    }
    X->destroy(ex);
    X->destroy(bm);
    free_world(&g);
}

/* Beyond the cap: the beam's best G per first action can only be above the
 * exhaustive one (it scores a subset), and the agent still plans well. */
static void test_beam_beyond_cap(void) {
    gw_spec_t sp;
    spec_paper8x8(&sp);
    gridworld_t g;
    BUILD(g, sp);
    double pv[64];
    defaults(pv);
    setp(pv, "horizon", 6);
    void *ex = create(&g, pv); /* 4^6 = 4096 policies: exhaustive */
    setp(pv, "policy_cap", 64); /* beam of 4 prefixes per first action */
    void *bm = create(&g, pv);
    CHECK(ex && bm);
    rng_t r;
    rng_seed(&r, 1, 1, 1);
    decision_t d1, d2;
    X->begin_episode(ex, g.start);
    X->begin_episode(bm, g.start);
    decision_clear(&d1);
    decision_clear(&d2);
    X->act(ex, g.start, &r, &d1);
    X->act(bm, g.start, &r, &d2);
    for (int b = 0; b < 4; b++) CHECK(d2.G[b] >= d1.G[b] - 1e-5f * fabsf(d1.G[b]));
    eval_t ev = evaluate(bm, &g, 20, 4, NULL);
    CHECK_MSG(ev.success == 20, "beam agent: %d/20", ev.success);
    X->destroy(ex);
    X->destroy(bm);
    /* 4x4 with horizon 8 (65536 sequences, default cap 4096): still optimal */
    free_world(&g);
    gw_spec_init(&sp);
    BUILD(g, sp);
    defaults(pv);
    setp(pv, "horizon", 8);
    bm = create(&g, pv);
    CHECK(bm);
    ev = evaluate(bm, &g, 10, 5, NULL);
    CHECK(ev.success == 10 && ev.max_steps == 6);
    X->destroy(bm);
    free_world(&g);
}

/* ---- behaviour ------------------------------------------------------------------- */

/* The paper's 4x4 (fully observable, deterministic): with the true model and
 * the defaults (horizon 3, gamma 16, distance preference lambda 1, argmax),
 * every evaluation episode takes the optimal 6 steps; so do horizons 1..5, and
 * the goal-only preference once the horizon reaches the goal (6). */
static void test_optimal_4x4(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    gridworld_t g;
    BUILD(g, sp);
    CHECK(g.dist[g.start] == 6);
    double pv[64];
    defaults(pv);
    void *ag = create(&g, pv);
    CHECK(ag);
    eval_t ev = evaluate(ag, &g, 100, 1, NULL);
    CHECK_MSG(ev.success == 100 && ev.min_steps == 6 && ev.max_steps == 6,
              "success %d, steps %d..%d", ev.success, ev.min_steps, ev.max_steps);
    X->destroy(ag);
    for (int H = 1; H <= 5; H++) {
        setp(pv, "horizon", H);
        ag = create(&g, pv);
        CHECK(ag);
        ev = evaluate(ag, &g, 20, 2, NULL);
        CHECK_MSG(ev.success == 20 && ev.max_steps == 6, "horizon %d: %d..%d", H, ev.min_steps, ev.max_steps);
        X->destroy(ag);
    }
    defaults(pv);
    setc(pv, "preference", "goal");
    setp(pv, "horizon", 6);
    ag = create(&g, pv);
    CHECK(ag);
    ev = evaluate(ag, &g, 20, 3, NULL);
    CHECK_MSG(ev.success == 20 && ev.max_steps == 6, "goal preference: %d..%d", ev.min_steps, ev.max_steps);
    X->destroy(ag);
    /* an unknown start (uniform initial belief) changes nothing when o = s */
    defaults(pv);
    setp(pv, "start_known", 0);
    ag = create(&g, pv);
    ev = evaluate(ag, &g, 20, 3, NULL);
    CHECK(ev.success == 20 && ev.max_steps == 6);
    X->destroy(ag);
    free_world(&g);
}

/* The paper's 8x8 (partially observable, slip 0.1), true model, defaults.
 * Optimal without slips is 14 steps; slips cost extra steps. */
static void test_paper8x8_success(void) {
    gw_spec_t sp;
    spec_paper8x8(&sp);
    gridworld_t g;
    BUILD(g, sp);
    double pv[64];
    defaults(pv);
    void *ag = create(&g, pv);
    CHECK(ag);
    eval_t ev = evaluate(ag, &g, 200, 7, NULL);
    printf("paper8x8 exact-aif (true model, H 3, gamma 16): success %.3f, mean steps %.2f (min %d, max %d)\n",
           ev.success / 200.0, ev.mean_steps, ev.min_steps, ev.max_steps);
    CHECK(ev.success >= 190);
    CHECK(ev.mean_steps < 20.0);
    X->destroy(ag);
    setc(pv, "selection", "sample");
    ag = create(&g, pv);
    ev = evaluate(ag, &g, 100, 8, NULL);
    printf("paper8x8 exact-aif (selection sample): success %.3f, mean steps %.2f\n", ev.success / 100.0,
           ev.mean_steps);
    CHECK(ev.success >= 95);
    X->destroy(ag);
    free_world(&g);
}

/* Epistemic value.  A 5x5 ring around a block of walls: from S two routes of
 * equal length (8) reach G, right-then-down along the top, or down-then-right
 * along the left.  The two cells after S on the left route (5 and 10) are
 * unobservable (eta 0: the agent sees a neighbour instead); the mirror cells on
 * the top route are observable.  The map is symmetric about the diagonal and
 * the noise kernels of cells 5 and 10 have the same mean distance to the goal
 * as the cells themselves, so the preferences alone do not favour either route.
 * Moves slip (0.2), so predicted beliefs are uncertain and observations carry
 * information.
 *   w_ambiguity = 1: G = E[-ln p~(o)] - I(s; o): the observable route, whose
 *                    observations resolve that uncertainty, is preferred;
 *   w_ambiguity = 0: risk alone rewards the spread q(o) of the noisy cells, so
 *                    the observable route is not preferred.
 * (With certain beliefs, slip 0, and w_ambiguity = w_risk the two routes tie
 * exactly: ambiguity cancels the entropy of q(o) inside risk - docs/efe.md.) */
static void test_epistemic_route(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    sp.rows = sp.cols = 5;
    char map[] = "SFFFF" "F###F" "F###F" "F###F" "FFFFG";
    sp.map = map;
    sp.slip = 0.2;
    double eta[25];
    for (int s = 0; s < 25; s++) eta[s] = 1.0;
    eta[5] = eta[10] = 0.0;
    sp.eta = eta;
    gridworld_t g;
    BUILD(g, sp);
    double pv[64];
    double p_right[2], p_down[2];
    int via_dark[2];
    for (int k = 0; k < 2; k++) {
        defaults(pv);
        setp(pv, "w_ambiguity", k == 0 ? 1.0 : 0.0);
        void *ag = create(&g, pv);
        CHECK(ag);
        rng_t r;
        rng_seed(&r, 1, 1, 1);
        decision_t d;
        decision_clear(&d);
        X->begin_episode(ag, g.start);
        X->act(ag, g.start, &r, &d);
        p_right[k] = d.p_action[ACT_RIGHT];
        p_down[k] = d.p_action[ACT_DOWN];
        int visit[25] = {0};
        eval_t ev = evaluate(ag, &g, 200, 11, visit);
        CHECK(ev.success == 200);
        via_dark[k] = visit[10];
        printf("epistemic: w_ambiguity %g: P(right) %.4f P(down) %.4f G(right) %.4f G(down) %.4f; "
               "episodes through the unobservable cell 10: %d/200\n",
               k == 0 ? 1.0 : 0.0, p_right[k], p_down[k], d.G[ACT_RIGHT], d.G[ACT_DOWN], visit[10]);
        X->destroy(ag);
    }
    CHECK(p_right[0] > 0.9 && p_down[0] < 0.1);   /* w_ambiguity 1: observable route */
    CHECK(p_right[1] < 0.5 && p_down[1] > 0.5);   /* w_ambiguity 0: not */
    CHECK(via_dark[0] < 60 && via_dark[1] > 120);
    /* no slip, certain beliefs, w_ambiguity = w_risk: an exact tie */
    free_world(&g);
    sp.slip = 0.0;
    BUILD(g, sp);
    defaults(pv);
    void *ag = create(&g, pv);
    rng_t r;
    rng_seed(&r, 1, 1, 1);
    decision_t d;
    decision_clear(&d);
    X->begin_episode(ag, g.start);
    X->act(ag, g.start, &r, &d);
    CHECK_NEAR(d.G[ACT_RIGHT], d.G[ACT_DOWN], 1e-5);
    CHECK(d.ambiguity[ACT_DOWN] > 1.0 && d.ambiguity[ACT_RIGHT] == 0.0);
    X->destroy(ag);
    free_world(&g);
}

/* Holes beside the diagonal of a slippery 4x4:
 *   S F F F
 *   F F F F      from (2,1) every move can slip into a hole; the top-right
 *   H F F F      route is as short (6) and never one slip from a hole
 *   H H F G
 * The agent, preferring any floor cell to a hole (hole_penalty), keeps to safe
 * cells; how much risk it still takes for a shorter route is set by
 * hole_penalty against lambda. */
static void test_avoids_holes(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    char map[] = "SFFF" "FFFF" "HFFF" "HHFG";
    sp.map = map;
    sp.slip = 0.2;
    gridworld_t g;
    BUILD(g, sp);
    double pv[64];
    defaults(pv);
    void *ag = create(&g, pv);
    CHECK(ag);
    int visit[16] = {0};
    eval_t ev = evaluate(ag, &g, 200, 12, visit);
    printf("holes (hole_penalty 10): success %d/200, mean steps %.2f, episodes entering the risky cell (2,1): %d\n",
           ev.success, ev.mean_steps, visit[9]);
    CHECK(ev.success >= 190);
    X->destroy(ag);
    /* A larger penalty trades more steps for less risk (from (1,0), reached by a
     * slip, moving right risks the hole (2,0); going back up does not). */
    setp(pv, "hole_penalty", 30.0);
    ag = create(&g, pv);
    int visit2[16] = {0};
    eval_t ev2 = evaluate(ag, &g, 200, 12, visit2);
    printf("holes (hole_penalty 30): success %d/200, mean steps %.2f\n", ev2.success, ev2.mean_steps);
    CHECK(ev2.success >= 197 && ev2.success >= ev.success);
    X->destroy(ag);
    free_world(&g);
}

/* ---- training ---------------------------------------------------------------------- */

typedef struct {
    train_log_t log;
    double bins[30];
    int counts[10];
    float *ckpt;
    long ckpt_step[2];
} tlog_t;

static void tlog_init(tlog_t *t, long budget, size_t ckpt_floats) {
    memset(t, 0, sizeof *t);
    t->ckpt = ckpt_floats ? calloc(2 * ckpt_floats, sizeof(float)) : NULL;
    t->log.budget = budget;
    t->log.curve_points = 10;
    t->log.bin_steps = t->bins;
    t->log.bin_success = t->bins + 10;
    t->log.bin_return = t->bins + 20;
    t->log.bin_count = t->counts;
    t->log.n_ckpt = 2;
    t->log.ckpt_floats = ckpt_floats;
    t->log.ckpt_data = t->ckpt;
    t->log.ckpt_step = t->ckpt_step;
}

static void test_true_model_no_training(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    gridworld_t g;
    BUILD(g, sp);
    task_t tv = view(&g);
    double pv[64];
    defaults(pv);
    CHECK(X->ckpt_floats(&tv, pv) == 0);
    void *ag = create(&g, pv);
    tlog_t t;
    tlog_init(&t, 5000, 0);
    rng_t er, ar;
    rng_seed(&er, 1, 0, RNG_ENV);
    rng_seed(&ar, 1, 0, RNG_AGENT);
    char err[256];
    env_t env;
    env_init(&env, &g, &er);
    CHECK(X->train(ag, &env, &ar, &t.log, err, sizeof err) == 0);
    CHECK(t.log.steps_used == 0 && t.log.episodes == 0 && t.log.ckpt_done == 0);
    X->destroy(ag);
    free_world(&g);
}

/* The learned model on the 4x4: trained on 1000 steps of experience it reaches
 * the goal optimally; the checkpoints hold the Dirichlet counts, which grew by
 * one per step (B) and per observation (A). */
static void test_learned_model_4x4(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    gridworld_t g;
    BUILD(g, sp);
    task_t tv = view(&g);
    double pv[64];
    defaults(pv);
    setc(pv, "model", "learned");
    setp(pv, "dirichlet_prior", 0.1);
    size_t cf = X->ckpt_floats(&tv, pv);
    CHECK(cf == 16 * 16 + 4 * 16 * 5);
    void *ag = create(&g, pv);
    CHECK(ag);
    tlog_t t;
    tlog_init(&t, 1000, cf);
    rng_t er, ar;
    rng_seed(&er, 2, 0, RNG_ENV);
    rng_seed(&ar, 2, 0, RNG_AGENT);
    float *prior = calloc(cf, sizeof(float));
    X->checkpoint(ag, prior);
    char err[256];
    env_t env;
    env_init(&env, &g, &er);
    CHECK(X->train(ag, &env, &ar, &t.log, err, sizeof err) == 0);
    CHECK(t.log.steps_used == 1000 && t.log.episodes > 0 && t.log.ckpt_done == 2);
    CHECK(t.ckpt_step[0] == 500 && t.ckpt_step[1] == 1000);
    double grownA = 0.0, grownB = 0.0;
    const float *last = t.ckpt + cf;
    for (size_t i = 0; i < 256; i++) { CHECK(last[i] >= prior[i]); grownA += last[i] - prior[i]; }
    for (size_t i = 256; i < cf; i++) { CHECK(last[i] >= prior[i]); grownB += last[i] - prior[i]; }
    CHECK_NEAR(grownB, 1000.0, 1e-3);
    /* one observation per step plus one at the start of every episode begun */
    CHECK(grownA >= 1000.0 + t.log.episodes && grownA <= 1000.0 + t.log.episodes + 1);
    eval_t ev = evaluate(ag, &g, 30, 2, NULL);
    CHECK_MSG(ev.success == 30 && ev.max_steps == 6, "learned: %d/30, steps %d..%d", ev.success,
              ev.min_steps, ev.max_steps);
    /* what it learned is the world: its transitions and likelihood far closer
     * to the truth than those of the same agent untrained, which knows only
     * its prior (on this open grid the prior's moves already lead to the goal) */
    world_knowledge_t wk;
    CHECK(world_knowledge_build(&wk, &g) == 0);
    double scratch[16] = {0};
    const double tvB = latent_tv_B(X->model(ag), &wk.model, NULL, 0, scratch), tvA = latent_tv_A(X->model(ag), &wk.model, NULL, 0);
    free(prior);
    free(t.ckpt);
    X->destroy(ag);
    ag = create(&g, pv);
    const double tvB0 = latent_tv_B(X->model(ag), &wk.model, NULL, 0, scratch), tvA0 = latent_tv_A(X->model(ag), &wk.model, NULL, 0);
    printf("4x4 learned model, TV to the truth: trained A %.3f B %.3f, untrained A %.3f B %.3f\n", tvA, tvB, tvA0, tvB0);
    CHECK(tvA < 0.5 * tvA0 && tvB < 0.5 * tvB0);
    world_knowledge_free(&wk);
    X->destroy(ag);
    free_world(&g);
}

/* Learned model on the paper's 8x8, from random exploration. */
static void test_learned_paper8x8(void) {
    gw_spec_t sp;
    spec_paper8x8(&sp);
    gridworld_t g;
    BUILD(g, sp);
    task_t tv = view(&g);
    double pv[64];
    defaults(pv);
    setc(pv, "model", "learned");
    setp(pv, "explore", 1.0);
    void *ag = create(&g, pv);
    CHECK(ag);
    tlog_t t;
    tlog_init(&t, 10000, X->ckpt_floats(&tv, pv));
    rng_t er, ar;
    rng_seed(&er, 4, 0, RNG_ENV);
    rng_seed(&ar, 4, 0, RNG_AGENT);
    char err[256];
    env_t env;
    env_init(&env, &g, &er);
    CHECK(X->train(ag, &env, &ar, &t.log, err, sizeof err) == 0);
    eval_t ev = evaluate(ag, &g, 100, 4, NULL);
    printf("paper8x8 exact-aif (learned model, 10000 steps of random exploration): success %.2f, mean steps %.2f\n",
           ev.success / 100.0, ev.mean_steps);
    CHECK(ev.success >= 90);
    free(t.ckpt);
    X->destroy(ag);
    free_world(&g);
}

/* Same streams, same actions (selection: sample draws from the agent stream). */
static void test_reproducible(void) {
    gw_spec_t sp;
    spec_paper8x8(&sp);
    gridworld_t g;
    BUILD(g, sp);
    double pv[64];
    defaults(pv);
    setc(pv, "selection", "sample");
    setp(pv, "gamma", 2.0);
    void *a1 = create(&g, pv), *a2 = create(&g, pv);
    eval_t e1 = evaluate(a1, &g, 5, 13, NULL), e2 = evaluate(a2, &g, 5, 13, NULL);
    CHECK(e1.success == e2.success && e1.mean_steps == e2.mean_steps && e1.max_steps == e2.max_steps);
    X->destroy(a1);
    X->destroy(a2);
    free_world(&g);
}

static const unit_test_t tests[] = {
    {"params_table", test_params_table},
    {"validate", test_validate},
    {"tree_matches_reference", test_tree_matches_reference},
    {"tree_matches_reference_expected_cost", test_tree_matches_reference_expected_cost},
    {"decision_record", test_decision_record},
    {"beam_equals_exhaustive_when_wide", test_beam_equals_exhaustive_when_wide},
    {"beam_beyond_cap", test_beam_beyond_cap},
    {"optimal_4x4", test_optimal_4x4},
    {"paper8x8_success", test_paper8x8_success},
    {"epistemic_route", test_epistemic_route},
    {"avoids_holes", test_avoids_holes},
    {"true_model_no_training", test_true_model_no_training},
    {"learned_model_4x4", test_learned_model_4x4},
    {"learned_paper8x8", test_learned_paper8x8},
    {"reproducible", test_reproducible},
    {0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
