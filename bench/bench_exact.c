/* bench_exact: time per decision of exact-aif (default parameters: horizon 3,
 * all 4^3 = 64 policies, true model) on three worlds:
 *   4x4   the paper's: fully observable, deterministic;
 *   8x8   the paper's: partially observable (jobs/smoke.yaml's map), slip 0.1;
 *   16x16 partially observable in 4x4 blocks of eta 1 .. 0.2, slip 0.1.
 * Decisions are timed one by one along evaluation episodes; the median is
 * printed.  Reference, measured here on the same worlds: the same 64 policies
 * scored one by one with dense matrix-vector products (q' = B_a^T q, q(o) =
 * A^T q, O(n^2) per step, no prefix sharing), as a direct implementation of
 * the formulas would; its median and the ratio are printed too.
 *
 *   bench: exact_decision_4x4_ms VALUE ms            (and 8x8, 16x16)
 *   bench: dense_decision_4x4_ms VALUE ms
 *   bench: exact_decision_4x4_ms_vs_dense RATIO x    (dense time / exact time)
 *   bench: exact_decision_8x8_h5_ms VALUE ms         (horizon 5: 1024 policies) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "interface/agents.h"
#include "world/env.h"
#include "aif/efe.h"

#define MAX_SAMPLES 4000

static const char *const MAP8[8] = {"00000000", "03300000", "03366000", "00066000",
                                    "00000550", "00880550", "00880000", "00000000"};

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int build(gridworld_t *g, int size, double *eta) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    sp.rows = sp.cols = size;
    sp.max_steps = 25 * size;
    if (size == 8) {
        for (int s = 0; s < 64; s++) eta[s] = 1.0 - (MAP8[s / 8][s % 8] - '0') / 10.0;
        sp.eta = eta;
        sp.slip = 0.1;
    } else if (size == 16) {
        for (int s = 0; s < 256; s++) {
            int br = s / 16 / 4, bc = s % 16 / 4, digit = (br * 3 + bc * 5) % 9;
            eta[s] = 1.0 - digit / 10.0;
        }
        eta[0] = eta[255] = 1.0;
        sp.eta = eta;
        sp.slip = 0.1;
    }
    char err[256];
    if (gw_build(g, &sp, err, sizeof err)) {
        fprintf(stderr, "bench_exact: %s\n", err);
        return -1;
    }
    return 0;
}

/* Median ms per act() over evaluation episodes (at least min_decisions). */
static double time_agent(const gridworld_t *g, int horizon, int min_decisions) {
    const agent_class_t *c = &agent_exact_aif;
    double pv[64];
    for (int i = 0; i < c->n_params; i++) pv[i] = c->params[i].def;
    pv[agent_param_index(c, "horizon")] = horizon;
    char err[256];
    world_knowledge_t kn;
    if (world_knowledge_build(&kn, g) != 0) exit(1);
    task_t task;
    task_from_world(&task, g, &kn, c->needs(pv));
    void *ag = c->create(&task, pv, NULL, err, sizeof err);
    if (!ag) {
        fprintf(stderr, "bench_exact: %s\n", err);
        exit(1);
    }
    static double t[MAX_SAMPLES];
    int k = 0;
    rng_t er, ar;
    rng_seed(&er, 11, 0, RNG_EVAL_ENV);
    rng_seed(&ar, 11, 0, RNG_EVAL_AGENT);
    while (k < min_decisions) {
        int s = g->start, o = gw_observe(g, s, &er);
        c->begin_episode(ag, o);
        for (int step = 0; step < g->max_steps && k < MAX_SAMPLES; step++) {
            decision_t d;
            decision_clear(&d);
            double t0 = now();
            int a = c->act(ag, o, &ar, &d);
            t[k++] = (now() - t0) * 1e3;
            s = gw_step(g, s, a, &er);
            o = gw_observe(g, s, &er);
            if (gw_terminal(g, s)) break;
        }
    }
    c->destroy(ag);
    world_knowledge_free(&kn);
    return median(t, k);
}

/* The reference: every policy of horizon H scored alone with dense products. */
static double dense_decision(const gridworld_t *g, const double *q0, const double *lnp, int H,
                             double *q, double *q2, double *qo, double *G) {
    const int n = g->n_states, no = g->n_obs, na = g->n_actions;
    long n_pol = 1;
    for (int i = 0; i < H; i++) n_pol *= na;
    for (long p = 0; p < n_pol; p++) {
        memcpy(q, q0, sizeof(double) * n);
        double risk = 0.0, amb = 0.0;
        long code = p, div = n_pol / na;
        for (int t = 0; t < H; t++, div /= na) {
            int a = (int)(code / div);
            code %= div;
            for (int j = 0; j < n; j++) q2[j] = 0.0;
            for (int s = 0; s < n; s++)
                for (int j = 0; j < n; j++) q2[j] += g->B[((size_t)a * n + s) * n + j] * q[s];
            for (int o = 0; o < no; o++) qo[o] = 0.0;
            for (int s = 0; s < n; s++)
                for (int o = 0; o < no; o++) qo[o] += g->A[(size_t)s * no + o] * q2[s];
            risk += efe_kl_log(qo, lnp, no);
            amb += efe_ambiguity(q2, g->H_A, n);
            memcpy(q, q2, sizeof(double) * n);
        }
        G[p] = risk + amb;
    }
    double best = G[0];
    for (long p = 1; p < n_pol; p++) best = G[p] < best ? G[p] : best;
    return best;
}

static double time_dense(const gridworld_t *g, int reps) {
    const int n = g->n_states, H = 3;
    double *q0 = calloc((size_t)n, sizeof *q0), *q = malloc(sizeof(double) * n), *q2 = malloc(sizeof(double) * n);
    double *qo = malloc(sizeof(double) * g->n_obs), *lnp = malloc(sizeof(double) * g->n_obs);
    double *G = malloc(sizeof(double) * 1024);
    efe_pref_t pref = {EFE_PREF_GOAL, 1.0, 8.0, 10.0};
    efe_log_preferences(&pref, g->rows, g->cols, g->goal, NULL, NULL, lnp);
    q0[g->start] = 1.0;
    static double t[MAX_SAMPLES];
    volatile double sink = 0.0;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        sink += dense_decision(g, q0, lnp, H, q, q2, qo, G);
        t[r] = (now() - t0) * 1e3;
    }
    (void)sink;
    free(q0); free(q); free(q2); free(qo); free(lnp); free(G);
    return median(t, reps);
}

int main(void) {
    static double eta[256];
    const int sizes[3] = {4, 8, 16};
    for (int i = 0; i < 3; i++) {
        gridworld_t g;
        if (build(&g, sizes[i], eta)) return 1;
        double ms = time_agent(&g, 3, sizes[i] == 16 ? 400 : 1000);
        double ref = time_dense(&g, sizes[i] == 16 ? 15 : 60);
        printf("bench: exact_decision_%dx%d_ms %.4g ms\n", sizes[i], sizes[i], ms);
        printf("bench: dense_decision_%dx%d_ms %.4g ms\n", sizes[i], sizes[i], ref);
        printf("bench: exact_decision_%dx%d_ms_vs_dense %.1f x\n", sizes[i], sizes[i], ref / ms);
        if (sizes[i] == 8) /* a longer horizon: 4^5 = 1024 policies, still all scored */
            printf("bench: exact_decision_8x8_h5_ms %.4g ms\n", time_agent(&g, 5, 300));
        fflush(stdout);
        gw_free(&g);
    }
    return 0;
}
