/* q-learning: potential-based shaping (Ng, Harada & Russell 1999) leaves the
 * greedy policy of a converged learner unchanged, and the shaped agents get
 * no more than their parameters ask for. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "interface/agents.h"
#include "world/env.h"
#include "unit.h"
#include "unit_world.h"

static const agent_class_t *const X = &agent_qlearning;

static void setc(double *pv, const char *name, const char *choice) {
    int i = agent_param_index(X, name);
    if (i < 0 || param_choice_index(&X->params[i], choice) < 0) abort();
    pv[i] = param_choice_index(&X->params[i], choice);
}
static void setp(double *pv, const char *name, double v) {
    int i = agent_param_index(X, name);
    if (i < 0) abort();
    pv[i] = v;
}

/* Trains on g with the given shaping and returns the Q table (caller frees). */
static double *train_q(const gridworld_t *g, const world_knowledge_t *k, const char *shaping, long steps) {
    double pv[32];
    for (int i = 0; i < X->n_params; i++) pv[i] = X->params[i].def;
    setc(pv, "shaping", shaping);
    setp(pv, "alpha", 0.5);
    setp(pv, "epsilon_end", 0.3);
    task_t t;
    task_from_world(&t, g, k, X->needs(pv));
    rng_t init, er, ar;
    rng_seed(&init, 11, 0, RNG_INIT);
    rng_seed(&er, 11, 0, RNG_ENV);
    rng_seed(&ar, 11, 0, RNG_AGENT);
    char err[256] = "";
    void *a = X->create(&t, pv, &init, err, sizeof err);
    if (!a) { fprintf(stderr, "create: %s\n", err); return NULL; }
    double bins[3] = {0};
    int cnt[1] = {0};
    train_log_t log = {.budget = steps, .curve_points = 1, .bin_steps = bins, .bin_success = bins + 1,
                       .bin_return = bins + 2, .bin_count = cnt};
    env_t env;
    env_init(&env, g, &er);
    if (X->train(a, &env, &ar, &log, err, sizeof err) != 0) { X->destroy(a); return NULL; }
    size_t n = X->ckpt_floats(&t, pv);
    float *f = malloc(sizeof(float) * n);
    double *Q = malloc(sizeof(double) * n);
    X->checkpoint(a, f);
    for (size_t i = 0; i < n; i++) Q[i] = f[i];
    free(f);
    X->destroy(a);
    return Q;
}

/* Greedy action of row s, or -1 if the best two are within tol. */
static int greedy(const double *Q, int s, int na, double tol) {
    int best = 0;
    for (int a = 1; a < na; a++) if (Q[s * na + a] > Q[s * na + best]) best = a;
    for (int a = 0; a < na; a++) if (a != best && Q[s * na + a] > Q[s * na + best] - tol) return -1;
    return best;
}

/* A 3x3 serpentine: S right, right, down, down, left, left to G; one optimal
 * action in every cell of the route.  The Manhattan potential points the
 * wrong way (straight down, into the wall), the oracle's the right way; with
 * either, the converged greedy policy is the unshaped one. */
static void test_shaping_keeps_greedy_policy(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    sp.rows = sp.cols = 3;
    sp.map = "SFF" "##F" "GFF";
    sp.max_steps = 40;
    gridworld_t g;
    BUILD(g, sp);
    world_knowledge_t k;
    CHECK(world_knowledge_build(&k, &g) == 0);
    const int route[5] = {0, 1, 2, 5, 8}, want[5] = {ACT_RIGHT, ACT_RIGHT, ACT_DOWN, ACT_DOWN, ACT_LEFT};
    const char *kinds[3] = {"none", "manhattan", "oracle-distance"};
    for (int i = 0; i < 3; i++) {
        double *Q = train_q(&g, &k, kinds[i], 60000);
        CHECK(Q);
        for (int j = 0; j < 5; j++) {
            int a = greedy(Q, route[j], 4, 1e-3);
            CHECK_MSG(a == want[j], "shaping %s: cell %d greedy %d, optimal %d", kinds[i], route[j], a, want[j]);
        }
        int a7 = greedy(Q, 7, 4, 1e-3);
        CHECK_MSG(a7 == ACT_LEFT, "shaping %s: cell 7 greedy %d", kinds[i], a7);
        free(Q);
    }
    world_knowledge_free(&k);
    gw_free(&g);
}

/* Shaping changes what is learned on the way, not where it converges: with
 * the same streams the shaped Q differs from the unshaped one (so the shaping
 * is really applied), by about -Phi(s) at convergence. */
static void test_shaping_is_applied(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    sp.rows = sp.cols = 3;
    sp.map = "SFF" "##F" "GFF";
    sp.max_steps = 40;
    gridworld_t g;
    BUILD(g, sp);
    world_knowledge_t k;
    CHECK(world_knowledge_build(&k, &g) == 0);
    double *Q0 = train_q(&g, &k, "none", 60000), *Q1 = train_q(&g, &k, "oracle-distance", 60000);
    CHECK(Q0 && Q1);
    /* Q_shaped(s, a*) = Q(s, a*) - Phi(s) = Q(s, a*) + dist(s) (lambda 1) */
    for (int s = 0; s < 9; s++) {
        if (k.oracle_dist[s] <= 0) continue;
        int a = greedy(Q0, s, 4, 1e-3);
        CHECK(a >= 0);
        CHECK_MSG(fabs(Q1[s * 4 + a] - (Q0[s * 4 + a] + k.oracle_dist[s])) < 0.05, "cell %d: %g vs %g + %d", s,
                  Q1[s * 4 + a], Q0[s * 4 + a], k.oracle_dist[s]);
    }
    free(Q0);
    free(Q1);
    /* Only oracle-distance asks for the oracle; without it, create refuses. */
    double pv[32];
    for (int i = 0; i < X->n_params; i++) pv[i] = X->params[i].def;
    CHECK(X->needs(pv) == 0);
    setc(pv, "shaping", "manhattan");
    CHECK(X->needs(pv) == 0);
    setc(pv, "shaping", "oracle-distance");
    CHECK(X->needs(pv) == TASK_NEEDS_ORACLE);
    task_t t;
    task_from_world(&t, &g, NULL, 0);
    char err[256] = "";
    CHECK(X->create(&t, pv, NULL, err, sizeof err) == NULL && err[0]);
    world_knowledge_free(&k);
    gw_free(&g);
}

static const unit_test_t tests[] = {
    {"shaping_keeps_greedy_policy", test_shaping_keeps_greedy_policy},
    {"shaping_is_applied", test_shaping_is_applied},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
