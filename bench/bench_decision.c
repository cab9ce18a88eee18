/* bench_decision: time of one diffusion-aif decision with the default settings
 * (planner induction, prediction model; one core) on the 4x4, 8x8 and 16x16
 * worlds (a default decision runs no network: the belief is filtered and G
 * summed on the model read off after training), next to the network part a
 * decision with inference: inpaint would add and to exact-aif's
 * decision on the same world.  Decision time hardly depends on the weights,
 * but it does on the model read off them (how many successors each move
 * has), so the agent first trains briefly (a few gradient steps on a short
 * exploration) to have a read-off model of realistic width. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "interface/agents.h"
#include "world/env.h"
#include "nn/scorenet.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void setp(const agent_class_t *c, double *pv, const char *name, double v) {
    int i = agent_param_index(c, name);
    if (i >= 0) pv[i] = v;
}

/* Median ms per act() over n decisions after warm-up, walking the world; with
 * train_steps > 0 the agent first trains (train_iters 50) on that many steps. */
static double time_decisions(const agent_class_t *c, const gridworld_t *g, int n, long train_steps) {
    double pv[128];
    for (int i = 0; i < c->n_params; i++) pv[i] = c->params[i].def;
    if (train_steps > 0) setp(c, pv, "train_iters", 50);
    rng_t init, r, env;
    rng_seed(&init, 1, 0, RNG_INIT);
    rng_seed(&r, 1, 0, RNG_AGENT);
    rng_seed(&env, 1, 0, RNG_ENV);
    char err[256];
    world_knowledge_t kn;
    if (world_knowledge_build(&kn, g) != 0) exit(1);
    task_t task;
    task_from_world(&task, g, &kn, c->needs ? c->needs(pv) : 0u);
    task.train_steps = train_steps;
    void *a = c->create(&task, pv, &init, err, sizeof err);
    if (!a) { fprintf(stderr, "%s: %s\n", c->name, err); exit(1); }
    if (train_steps > 0 && c->train) {
        rng_t er;
        rng_seed(&er, 1, 0, RNG_ENV);
        env_t e;
        env_init(&e, g, &er);
        double bins[3] = {0};
        int cnt[1] = {0};
        train_log_t log = {.budget = train_steps, .curve_points = 1, .bin_steps = bins, .bin_success = bins + 1,
                           .bin_return = bins + 2, .bin_count = cnt};
        if (c->train(a, &e, &r, &log, err, sizeof err) != 0) { fprintf(stderr, "%s: %s\n", c->name, err); exit(1); }
    }
    double *t = malloc(sizeof(double) * (size_t)n);
    int s = g->start, o = s;
    c->begin_episode(a, o);
    for (int i = -5, k = 0; i < n; i++) {
        decision_t d;
        decision_clear(&d);
        double t0 = now();
        int act = c->act(a, o, &r, &d);
        if (i >= 0) t[k++] = 1e3 * (now() - t0);
        s = gw_step(g, s, act, &env);
        o = gw_observe(g, s, &env);
        if (gw_terminal(g, s) || (i + 6) % 20 == 0) {
            s = g->start;
            o = s;
            c->begin_episode(a, o);
        }
    }
    qsort(t, (size_t)n, sizeof(double), cmp);
    double med = t[n / 2];
    free(t);
    c->destroy(a);
    world_knowledge_free(&kn);
    return med;
}

static void build(gridworld_t *g, const char *name, int size, double slip, int max_steps) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    snprintf(sp.name, sizeof sp.name, "%s", name);
    sp.rows = sp.cols = size;
    sp.slip = slip;
    sp.max_steps = max_steps;
    char err[256];
    if (gw_build(g, &sp, err, sizeof err) != 0) { fprintf(stderr, "%s\n", err); exit(1); }
}

int main(void) {
    openblas_set_num_threads(1);
    gridworld_t g;
    char err[256];
    build(&g, "paper4x4", 4, 0.0, 100);

    const agent_class_t *c = &agent_diffusion_aif;
    double ms = time_decisions(c, &g, 60, 500);
    double ex = time_decisions(&agent_exact_aif, &g, 200, 0);
    /* A default decision runs no network (inference: filter, prediction: model:
     * the belief is filtered and G is summed on the model read off after
     * training).  For reference, the network part a decision with
     * inference: inpaint adds: one sampler run of 4 M state-inference draws
     * over that mode's window (context + 1 + horizon tokens). */
    int H = 0, M = 0, ctx = 0, d = 0, heads = 0, layers = 0, steps = 0;
    for (int i = 0; i < c->n_params; i++) {
        const char *n = c->params[i].name;
        int v = (int)c->params[i].def;
        if (!strcmp(n, "horizon")) H = v;
        else if (!strcmp(n, "samples")) M = v;
        else if (!strcmp(n, "context")) ctx = v;
        else if (!strcmp(n, "d_model")) d = v;
        else if (!strcmp(n, "heads")) heads = v;
        else if (!strcmp(n, "layers")) layers = v;
        else if (!strcmp(n, "sample_steps")) steps = v;
    }
    int B = 4 * M; /* prediction: model: the state-inference draws, one sampler run */
    scorenet_config_t cfg = {d, heads, layers, ctx + 1 + H, 4 + g.n_actions + 3, 64, 0, 4, g.cols, g.rows, 1, 0};
    scorenet_t net;
    rng_t init;
    rng_seed(&init, 2, 0, RNG_INIT);
    if (scorenet_create(&net, &cfg, B, &init, err, sizeof err) != 0) { fprintf(stderr, "%s\n", err); return 1; }
    float *x = calloc((size_t)B * (size_t)(cfg.L * cfg.d_tok), sizeof(float));
    float *tt = calloc((size_t)B, sizeof(float));
    double f[41];
    for (int i = 0; i < 41; i++) {
        double t0 = now();
        scorenet_forward(&net, x, tt, B, NULL);
        f[i] = 1e3 * (now() - t0);
    }
    qsort(f, 41, sizeof(double), cmp);
    printf("bench: decision_4x4_ms %.3f ms\n", ms);
    printf("bench: decision_4x4_inpaint_batch %d rows   (inference: inpaint, not the default)\n", B);
    printf("bench: decision_4x4_inpaint_network_ms %.3f ms   (what that mode adds to a decision)\n", f[20] * steps);
    printf("bench: exact_aif_decision_4x4_ms %.4f ms\n", ex);
    printf("bench: decision_4x4_vs_exact_aif %.1f x\n", ms / ex);
    /* Larger worlds: the network call is the same; the policies' G on the
     * read-off model grows with the belief's support and the grid. */
    const struct { const char *name; int size; double slip; int max_steps; long train; } W[] = {
        {"8x8", 8, 0.1, 200, 1000}, {"16x16", 16, 0.1, 400, 2000}};
    for (int w = 0; w < 2; w++) {
        gridworld_t gw;
        build(&gw, W[w].name, W[w].size, W[w].slip, W[w].max_steps);
        double dm = time_decisions(c, &gw, 60, W[w].train), xm = time_decisions(&agent_exact_aif, &gw, 200, 0);
        printf("bench: decision_%s_ms %.3f ms%s\n", W[w].name, dm, w == 1 ? "   target <= 100 ms" : "");
        printf("bench: exact_aif_decision_%s_ms %.4f ms\n", W[w].name, xm);
        printf("bench: decision_%s_vs_exact_aif %.1f x\n", W[w].name, dm / xm);
        gw_free(&gw);
    }
    free(x);
    free(tt);
    scorenet_free(&net);
    gw_free(&g);
    return 0;
}
