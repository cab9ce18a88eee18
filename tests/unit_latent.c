/* unit_latent: hidden states learned from observations alone (latent.h).
 * The forward-backward posterior and likelihood against brute-force
 * enumeration of every state path (under the agent's model, and under one
 * with exact zeros, where the passes touch only each token's support); EM never lowering the likelihood; the
 * backward sampler against the posterior; labelled counts against direct
 * counting; and learning without labels on partially observable, slippery
 * worlds: the model within a stated total variation of the truth, close to
 * the labelled model's, and the holes the agent fell into found. */
#include <stdlib.h>
#include <string.h>
#include "world/env.h"
#include "aif/experience.h"
#include "aif/explore.h"
#include "aif/latent.h"
#include "world/presets.h"
#include "unit.h"
#include "unit_world.h"

static void build_preset(gridworld_t *g, const char *name, double slip, double eta_all) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    char e[256];
    const world_preset_t *w = world_find(name);
    if (!w || world_apply(w, &sp, e, sizeof e) != 0) { fprintf(stderr, "preset %s\n", name); abort(); }
    snprintf(sp.name, sizeof sp.name, "%s", name);
    if (slip >= 0) sp.slip = slip;
    if (eta_all > 0) {
        free(sp.eta);
        sp.eta = NULL;
        sp.eta_all = eta_all;
    }
    build_or_abort(g, &sp);
    free(sp.map);
    free(sp.eta);
}

/* What an agent records: `budget` steps on g, moves from the count-based
 * explorer over observations (as the agents explore), the true cells kept in
 * z for the labelled comparison.  visits (may be NULL): true visits per cell. */
static void record(const gridworld_t *g, experience_t *xp, long budget, uint64_t seed, long *visits) {
    rng_t er, ar;
    rng_seed(&er, seed, 0, RNG_ENV);
    rng_seed(&ar, seed, 0, RNG_AGENT);
    env_t env;
    env_init(&env, g, &er);
    if (visits) env_count_visits(&env, visits);
    explorer_t ex;
    if (explorer_alloc(&ex, g->n_states, g->n_actions, g->max_steps, g->max_steps) != 0) abort();
    long t = 0;
    while (t < budget) {
        int o = env_reset(&env), steps = 0, out = ENV_RUNNING;
        xp_begin(xp, o, env.s);
        explorer_visit(&ex, o);
        while (t < budget && steps < g->max_steps) {
            int a = explorer_act(&ex, o, &ar);
            int o2 = env_step(&env, a, NULL, &out);
            explorer_step(&ex, o, a, o2);
            if (out != ENV_RUNNING) explorer_ended(&ex, o2);
            xp_step(xp, a, o2, env.s);
            o = o2;
            t++;
            steps++;
            if (out != ENV_RUNNING) break;
        }
        xp_end(xp, out == ENV_GOAL ? XP_GOAL : out == ENV_FAILED ? XP_FAILED : XP_CUT);
    }
    explorer_free(&ex);
}

/* ---- exactness on a tiny world --------------------------------------------------- */

/* A 1x3 corridor with noisy observations and slips, its goal at the right
 * end, and a fixed model to compare against enumeration. */
static void tiny(gridworld_t *g, task_t *t) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    sp.rows = 1;
    sp.cols = 3;
    sp.slip = 0.2;
    sp.eta_all = 0.6;
    char e[256];
    if (gw_build(g, &sp, e, sizeof e) != 0) abort();
    task_from_world(t, g, NULL, 0);
}

/* p(o_{0:T}, s_{0:T}) of one path under transitions (b_idx, b_p: bw slots
 * per row) and likelihood A [n][n], with L's start and endings (the same
 * factors as the E-step: start, likelihood, running on or the ending,
 * transitions). */
static double path_prob_under(const latent_t *L, const int *b_idx, const double *b_p, int bw, const double *A,
                              const experience_t *xp, long st, long en, const int *s) {
    const int n = L->n;
    double p = L->pi[s[0]];
    for (long i = st; i <= en; i++) {
        const int z = s[i - st];
        if (i > st) {
            const int a = xp->a[i - 1], prev = s[i - st - 1];
            double b = 0.0;
            for (int k = 0; k < bw; k++)
                if (b_idx[((size_t)a * n + prev) * bw + k] == z) b = b_p[((size_t)a * n + prev) * bw + k];
            p *= b;
        }
        p *= A[(size_t)z * n + xp->o[i]];
        const int last = i == en, ending = xp->ending[i];
        if (last && i > st && ending == XP_GOAL) p *= z == L->goal;
        else if (z == L->goal) p = 0.0;
        else if (i > st) p *= last && ending == XP_FAILED ? L->h[z] : 1.0 - L->h[z];
    }
    return p;
}

/* The same under L's own model. */
static double path_prob(const latent_t *L, const experience_t *xp, long st, long en, const int *s) {
    return path_prob_under(L, L->b_idx, L->B, LATENT_WIDTH, L->A, xp, st, en, s);
}

static void forward_backward_is_exact(void) {
    gridworld_t g;
    task_t t;
    tiny(&g, &t);
    arena_t *ar = arena_create(1 << 16);
    experience_t xp;
    CHECK(xp_alloc(&xp, ar, 50) == 0);
    /* one cut episode and one that reaches the goal */
    const int o1[] = {0, 1, 0, 1, 1}, a1[] = {ACT_RIGHT, ACT_LEFT, ACT_RIGHT, ACT_RIGHT};
    const int o2[] = {0, 1, 2}, a2[] = {ACT_RIGHT, ACT_RIGHT};
    xp_begin(&xp, o1[0], -1);
    for (int i = 0; i < 4; i++) xp_step(&xp, a1[i], o1[i + 1], -1);
    xp_end(&xp, XP_CUT);
    xp_begin(&xp, o2[0], -1);
    for (int i = 0; i < 2; i++) xp_step(&xp, a2[i], o2[i + 1], -1);
    xp_end(&xp, XP_GOAL);
    latent_prior_t pr = latent_prior_defaults();
    latent_t L;
    CHECK(latent_alloc(&L, ar, &t, 8, &pr) == 0);
    /* a model away from the prior: one EM step on this data */
    latent_estep(&L, &xp, NULL);
    latent_mstep(&L);
    double ll = latent_estep(&L, &xp, NULL);
    /* enumeration: every path of each episode */
    double ll_bf = 0.0, visit[3] = {0}, start[3] = {0};
    for (long st = 0; st < xp.n; st = xp.end[st] + 1) {
        const long en = xp.end[st], T = en - st + 1;
        int paths = 1, s[8];
        for (long i = 0; i < T; i++) paths *= 3;
        double Z = 0.0, post[8][3] = {{0}};
        for (int k = 0; k < paths; k++) {
            int x = k;
            for (long i = 0; i < T; i++) { s[i] = x % 3; x /= 3; }
            double p = path_prob(&L, &xp, st, en, s);
            Z += p;
            for (long i = 0; i < T; i++) post[i][s[i]] += p;
        }
        ll_bf += log(Z);
        for (long i = 0; i < T; i++)
            for (int c = 0; c < 3; c++) {
                visit[c] += post[i][c] / Z;
                if (i == 0) start[c] += post[i][c] / Z;
            }
    }
    CHECK_NEAR(ll, ll_bf, 1e-9);
    for (int c = 0; c < 3; c++) {
        CHECK_NEAR(L.c_visit[c], visit[c], 1e-9);
        CHECK_NEAR(L.c_start[c], start[c], 1e-9);
    }
    /* every transition's expected counts sum to one per step */
    double sb = 0.0;
    for (int i = 0; i < 3 * 4 * LATENT_WIDTH; i++) sb += L.cB[i];
    CHECK_NEAR(sb, 6.0, 1e-9);
    arena_free(ar);
    gw_free(&g);
}

/* Under a model with exact zeros (here the true model of a slippery corridor
 * seen exactly but in one noisy cell; diffusion-aif's read-off tables have
 * such zeros), each token's posterior lives on a few cells and the passes
 * touch only those (latent.c): the likelihood and the expected counts still
 * equal enumeration over every path. */
static void sparse_model_estep_is_exact(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    sp.rows = 1;
    sp.cols = 7;
    sp.slip = 0.2;
    double eta[7] = {1, 1, 1, 0.5, 1, 1, 1};
    sp.eta = eta;
    gridworld_t g;
    BUILD(g, sp);
    task_t t;
    task_from_world(&t, &g, NULL, 0);
    efe_model_t m;
    CHECK(env_true_model(&m, &g) == 0);
    arena_t *ar = arena_create(1 << 20);
    experience_t xp;
    CHECK(xp_alloc(&xp, ar, 64) == 0);
    rng_t r;
    rng_seed(&r, 9, 0, RNG_INIT);
    for (int e = 0; e < 6; e++) { /* episodes of at most 7 tokens, mostly to the right */
        int s = g.start;
        xp_begin(&xp, gw_observe(&g, s, &r), -1);
        int k = 0;
        for (; k < 6 && !gw_terminal(&g, s); k++) {
            const int a = rng_uniform(&r) < 0.8 ? ACT_RIGHT : ACT_LEFT;
            s = gw_step(&g, s, a, &r);
            xp_step(&xp, a, gw_observe(&g, s, &r), -1);
        }
        xp_end(&xp, gw_terminal(&g, s) ? XP_GOAL : XP_CUT);
    }
    latent_prior_t pr = latent_prior_defaults();
    latent_t L;
    CHECK(latent_alloc(&L, ar, &t, 8, &pr) == 0);
    const double ll = latent_estep(&L, &xp, &m);
    double ll_bf = 0.0, visit[7] = {0}, start[7] = {0};
    long small = 0, tokens = 0;
    for (long st = 0; st < xp.n; st = xp.end[st] + 1) {
        const long en = xp.end[st], T = en - st + 1;
        long paths = 1;
        int s[8];
        for (long i = 0; i < T; i++) paths *= 7;
        double Z = 0.0, post[8][7] = {{0}};
        for (long k = 0; k < paths; k++) {
            long x = k;
            for (long i = 0; i < T; i++) { s[i] = (int)(x % 7); x /= 7; }
            const double p = path_prob_under(&L, m.b_idx, m.b_p, m.b_width, m.A, &xp, st, en, s);
            Z += p;
            for (long i = 0; i < T; i++) post[i][s[i]] += p;
        }
        CHECK(Z > 0.0);
        ll_bf += log(Z);
        for (long i = 0; i < T; i++) {
            int nz = 0;
            for (int c = 0; c < 7; c++) {
                visit[c] += post[i][c] / Z;
                if (i == 0) start[c] += post[i][c] / Z;
                nz += post[i][c] > 0.0;
            }
            small += nz <= 3;
            tokens++;
        }
    }
    CHECK(small > tokens / 2); /* the posteriors are sparse: the test touches what it means to */
    CHECK_NEAR(ll, ll_bf, 1e-9);
    for (int c = 0; c < 7; c++) {
        CHECK_NEAR(L.c_visit[c], visit[c], 1e-9);
        CHECK_NEAR(L.c_start[c], start[c], 1e-9);
    }
    efe_model_free(&m);
    arena_free(ar);
    gw_free(&g);
}

/* Backward sampling draws each token's state from its posterior marginal. */
static void sampler_matches_posterior(void) {
    gridworld_t g;
    task_t t;
    tiny(&g, &t);
    arena_t *ar = arena_create(1 << 16);
    experience_t xp;
    CHECK(xp_alloc(&xp, ar, 50) == 0);
    const int o1[] = {0, 1, 1, 0, 1}, a1[] = {ACT_RIGHT, ACT_RIGHT, ACT_LEFT, ACT_RIGHT};
    xp_begin(&xp, o1[0], -1);
    for (int i = 0; i < 4; i++) xp_step(&xp, a1[i], o1[i + 1], -1);
    xp_end(&xp, XP_CUT);
    latent_prior_t pr = latent_prior_defaults();
    latent_t L;
    CHECK(latent_alloc(&L, ar, &t, 8, &pr) == 0);
    latent_estep(&L, &xp, NULL);
    latent_mstep(&L);
    double post[5][3];
    latent_estep(&L, &xp, NULL);
    double total[3];
    for (int c = 0; c < 3; c++) total[c] = L.c_visit[c];
    /* each token's posterior marginal, by enumerating the 3^5 paths */
    for (int i = 0; i < 5; i++)
        for (int c = 0; c < 3; c++) post[i][c] = 0.0;
    double Z = 0.0;
    int s[5];
    for (int k = 0; k < 243; k++) {
        int x = k;
        for (int i = 0; i < 5; i++) { s[i] = x % 3; x /= 3; }
        double p = path_prob(&L, &xp, 0, 4, s);
        Z += p;
        for (int i = 0; i < 5; i++) post[i][s[i]] += p;
    }
    rng_t r;
    rng_seed(&r, 5, 0, RNG_AGENT);
    const int N = 40000;
    double freq[5][3] = {{0}};
    for (int k = 0; k < N; k++) {
        latent_sample(&L, &xp, NULL, &r);
        for (int i = 0; i < 5; i++) freq[i][xp.z[i]] += 1.0 / N;
    }
    for (int i = 0; i < 5; i++)
        for (int c = 0; c < 3; c++) CHECK_NEAR(freq[i][c], post[i][c] / Z, 0.01);
    for (int c = 0; c < 3; c++) {
        double m = 0.0;
        for (int i = 0; i < 5; i++) m += post[i][c] / Z;
        CHECK_NEAR(total[c], m, 1e-9);
    }
    arena_free(ar);
    gw_free(&g);
}

/* With labels: exact counts, as counted directly. */
static void labelled_counts(void) {
    gridworld_t g;
    build_preset(&g, "paper8x8", -1, 0);
    task_t t;
    task_from_world(&t, &g, NULL, 0);
    arena_t *ar = arena_create(1 << 20);
    experience_t xp;
    CHECK(xp_alloc(&xp, ar, 2000) == 0);
    record(&g, &xp, 2000, 3, NULL);
    latent_prior_t pr = latent_prior_defaults();
    latent_t L;
    CHECK(latent_alloc(&L, ar, &t, g.max_steps + 1, &pr) == 0);
    latent_count_labels(&L, &xp);
    const int n = g.n_states;
    double *cA = calloc((size_t)n * n, sizeof(double));
    long moves = 0;
    for (long i = 0; i < xp.n; i++) {
        cA[(size_t)xp.z[i] * n + xp.o[i]] += 1.0;
        moves += i < xp.end[i];
    }
    for (size_t i = 0; i < (size_t)n * n; i++) CHECK(cA[i] == L.cA[i]);
    double sb = 0.0;
    for (size_t i = 0; i < (size_t)g.n_actions * n * LATENT_WIDTH; i++) sb += L.cB[i];
    CHECK(sb == (double)moves);
    CHECK(L.tokens == xp.n);
    free(cA);
    arena_free(ar);
    gw_free(&g);
}

/* EM never lowers the likelihood (it minimises the free energy), and learns,
 * from observations alone, a model close to the truth and to the labelled
 * one.  Bounds: TV to the truth over visited cells at most tv_A / tv_B, and
 * at most 0.02 above the labelled model's (the data: the count-based explorer
 * over observations). */
static void learns_world(const char *name, double slip, double eta, long budget, double tv_A, double tv_B) {
    gridworld_t g;
    build_preset(&g, name, slip, eta);
    world_knowledge_t k;
    CHECK(world_knowledge_build(&k, &g) == 0);
    task_t t;
    task_from_world(&t, &g, NULL, 0);
    arena_t *ar = arena_create(1 << 20);
    experience_t xp;
    CHECK(xp_alloc(&xp, ar, budget) == 0);
    long *visits = calloc((size_t)g.n_states, sizeof(long));
    record(&g, &xp, budget, 11, visits);
    const int n = g.n_states, na = g.n_actions;
    double *wS = calloc((size_t)n, sizeof(double)), *wB = calloc((size_t)n * na, sizeof(double)),
           *scratch = calloc((size_t)n, sizeof(double));
    for (int s = 0; s < n; s++) {
        wS[s] = (double)visits[s];
        for (int a = 0; a < na; a++) wB[s * na + a] = (double)visits[s];
    }
    latent_prior_t pr = latent_prior_defaults();
    latent_t L;
    genmodel_t gm;
    CHECK(latent_alloc(&L, ar, &t, g.max_steps + 1, &pr) == 0);
    CHECK(genmodel_alloc(&gm, ar, n, na, LATENT_WIDTH, n) == 0);
    latent_count_labels(&L, &xp);
    latent_to_genmodel(&L, &gm);
    const double lab_A = latent_tv_A(&gm.m, &k.model, wS, 1), lab_B = latent_tv_B(&gm.m, &k.model, wB, 1, scratch);
    latent_reset(&L);
    double prev = -INFINITY;
    for (int it = 0; it < 100; it++) {
        double ll = latent_estep(&L, &xp, NULL);
        CHECK_MSG(ll >= prev - 1e-9 * fabs(prev), "iteration %d: ln p fell from %.9g to %.9g", it, prev, ll);
        latent_mstep(&L);
        if ((ll - prev) / L.tokens < 1e-4) break;
        prev = ll;
    }
    latent_to_genmodel(&L, &gm);
    const double em_A = latent_tv_A(&gm.m, &k.model, wS, 1), em_B = latent_tv_B(&gm.m, &k.model, wB, 1, scratch);
    int holes_visited = 0, found = 0, false_holes = 0, false_known = 0;
    for (int s = 0; s < n; s++) {
        const int hole = g.cells[s] == 'H' && visits[s] > 0;
        holes_visited += hole;
        found += hole && gm.avoid[s];
        false_holes += gm.avoid[s] && !hole;
        false_known += gm.avoid[s] && !hole && visits[s] >= 3;
        if (gm.avoid[s] && !hole)
            printf("  wrongly avoided: cell %d (%c, %ld visits): expected entries %.2f, failures %.2f, h %.2f\n", s,
                   g.cells[s], visits[s], L.c_enter[s], L.c_fail[s], L.h[s]);
    }
    printf("%s slip %.2f eta %.2f (0: its own map), %ld steps: TV to the truth without labels A %.4f B %.4f; with labels A %.4f B %.4f; "
           "holes fallen into %d, found %d, cells wrongly avoided %d\n",
           name, g.slip, eta, budget, em_A, em_B, lab_A, lab_B, holes_visited, found, false_holes);
    CHECK(em_A <= tv_A && em_B <= tv_B);
    CHECK(em_A <= lab_A + 0.02 && em_B <= lab_B + 0.02);
    /* Every hole it fell into is found; a floor cell is avoided only if the
     * agent was (almost) never in it: one ending seen through noise between
     * two holes cannot be told from a hole. */
    CHECK(found == holes_visited && false_known == 0 && false_holes <= 1);
    free(visits);
    free(wS);
    free(wB);
    free(scratch);
    genmodel_free(&gm);
    arena_free(ar);
    world_knowledge_free(&k);
    gw_free(&g);
}

static void learns_paper8x8(void) { learns_world("paper8x8", -1, 0, 6000, 0.05, 0.09); }
static void learns_noisy_slippery_lake(void) { learns_world("frozenlake8x8", 0.1, 0.8, 20000, 0.15, 0.12); }
static void learns_noisy_slippery_maze(void) { learns_world("serpentine9x9", 0.1, 0.8, 20000, 0.06, 0.07); }

static const unit_test_t tests[] = {
    {"forward_backward_is_exact", forward_backward_is_exact},
    {"sparse_model_estep_is_exact", sparse_model_estep_is_exact},
    {"sampler_matches_posterior", sampler_matches_posterior},
    {"labelled_counts", labelled_counts},
    {"learns_paper8x8", learns_paper8x8},
    {"learns_noisy_slippery_lake", learns_noisy_slippery_lake},
    {"learns_noisy_slippery_maze", learns_noisy_slippery_maze},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
