/* bench_diffusion: cost of one conditioned sampling call next to the network's
 * forward time, so the sampler's own overhead (noise draws, re-noising the known
 * entries, the update) is visible.
 *
 *   build/bench/bench_diffusion [--reps N] [--warmup N]
 *
 * Setting: the score network's d64 configuration (d 64, 4 heads, 2 layers,
 * L 9 tokens of 9 entries), batch 512, cosine schedule, T = 50, DDPM, clip 1,
 * an agent-like inpainting mask (the first 4 tokens and every token's last 4
 * entries known), without and with RePaint resampling (jump_len 5, n_resample 2).
 * Weights are the untrained initialisation (the cost does not depend on them).
 * One OpenBLAS thread.  Each time is the median over N repetitions after the
 * warm-up.
 *
 *   sampler_overhead_pct = (t_sampler - n_calls * t_forward) / t_sampler * 100
 *
 * where n_calls * t_forward is the time spent inside the network calls of that
 * same sampling run (clocked around each call), so load from other processes
 * between phases does not skew the ratio.  Also printed: the forward time
 * measured alone (and the overhead computed from it, `_standalone`), and the
 * sampler with a free eps predictor (zeros), i.e. its own cost alone.
 *
 * Prints `bench: NAME VALUE UNIT` lines. */
#include "nn/diffusion.h"
#include "core/rng.h"
#include "nn/scorenet.h"
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

enum { B = 512, T = 50, L = 9, DTOK = 9 };

/* eps predictor that clocks the network calls */
typedef struct { scorenet_t *net; double ms; } timed_t;
static void timed_eps(void *ctx, const float *x, const float *t, int b, float *eps) {
    timed_t *tc = ctx;
    const double t0 = now_ms();
    scorenet_forward(tc->net, x, t, b, eps);
    tc->ms += now_ms() - t0;
}
static void zero_eps(void *ctx, const float *x, const float *t, int b, float *eps) {
    memset(eps, 0, sizeof(float) * (size_t)b * L * DTOK);
}

int main(int argc, char **argv) {
    int reps = 5, warmup = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc) warmup = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--reps N] [--warmup N]\n", argv[0]);
            return 2;
        }
    }
    if (reps < 1) reps = 1;
    if (warmup < 0) warmup = 0;
    openblas_set_num_threads(1);
    printf("bench: openblas_core %s\n", openblas_get_corename());

    char err[256];
    rng_t init, r;
    rng_seed(&init, 1, 0, RNG_INIT);
    rng_seed(&r, 1, 0, RNG_AGENT);
    scorenet_config_t cfg = {64, 4, 2, L, DTOK, 64, 0, 0, 0, 0, 0, 0};
    scorenet_t net;
    schedule_t sched;
    if (scorenet_create(&net, &cfg, B, &init, err, sizeof err) ||
        schedule_create(&sched, SCHED_COSINE, T, 0, 0, err, sizeof err)) {
        fprintf(stderr, "bench_diffusion: %s\n", err);
        return 1;
    }
    const int dim = L * DTOK;
    const size_t n = (size_t)B * dim;
    float *x = malloc(n * sizeof(float)), *eps = malloc(n * sizeof(float));
    float *known = malloc(n * sizeof(float)), *out = malloc(n * sizeof(float));
    float *tt = malloc(B * sizeof(float));
    unsigned char *mask = malloc(n);
    double *ts = malloc((size_t)(reps > 1 ? reps : 1) * sizeof(double));
    for (int b = 0; b < B; b++) {
        tt[b] = (float)(1 + b % T);
        for (int k = 0; k < L; k++)
            for (int i = 0; i < DTOK; i++) {
                const size_t j = (size_t)b * dim + (size_t)k * DTOK + i;
                x[j] = rng_normalf(&r);
                known[j] = rng_uniform(&r) < 0.5 ? -1.0f : 1.0f;
                mask[j] = k < 4 || i >= DTOK - 4;
            }
    }

    for (int w = 0; w < warmup; w++) scorenet_forward(&net, x, tt, B, eps);
    for (int k = 0; k < reps; k++) {
        const double t0 = now_ms();
        for (int c = 0; c < 10; c++) scorenet_forward(&net, x, tt, B, eps);
        ts[k] = (now_ms() - t0) / 10;
    }
    const double fwd = median(ts, reps);
    printf("bench: scorenet_d64_forward_b%d %.3f ms\n", B, fwd);

    static const struct { const char *name; int jump_len, n_resample; } V[2] = {
        {"sampler_ddpm_T50_b512", 0, 0}, {"sampler_ddpm_T50_b512_repaint_j5r2", 5, 2}};
    for (int v = 0; v < 2; v++) {
        sampler_config_t sc = sampler_defaults();
        sc.jump_len = V[v].jump_len;
        sc.n_resample = V[v].n_resample;
        sampler_t sp;
        if (sampler_create(&sp, &sched, &sc, B, dim, err, sizeof err)) {
            fprintf(stderr, "bench_diffusion: %s\n", err);
            return 1;
        }
        timed_t tc = {&net, 0};
        for (int w = 0; w < warmup; w++) sampler_run(&sp, timed_eps, &tc, B, known, mask, &r, out);
        double *in = malloc((size_t)reps * sizeof(double)), *alone = malloc((size_t)reps * sizeof(double));
        for (int k = 0; k < reps; k++) {
            tc.ms = 0;
            double t0 = now_ms();
            sampler_run(&sp, timed_eps, &tc, B, known, mask, &r, out);
            ts[k] = now_ms() - t0;
            in[k] = tc.ms;
            t0 = now_ms();
            sampler_run(&sp, zero_eps, NULL, B, known, mask, &r, out);
            alone[k] = now_ms() - t0;
        }
        /* overhead per repetition, then the median (robust to a slow repetition) */
        double *pct = malloc((size_t)reps * sizeof(double));
        for (int k = 0; k < reps; k++) pct[k] = 100.0 * (ts[k] - in[k]) / ts[k];
        const double ms = median(ts, reps), net_ms = median(in, reps), own = median(alone, reps);
        const double p = median(pct, reps), standalone = sp.n_calls * fwd;
        const char *nm = V[v].name;
        printf("bench: %s %.2f ms\n", nm, ms);
        printf("bench: %s_network_calls %d calls\n", nm, sp.n_calls);
        printf("bench: %s_in_network %.2f ms\n", nm, net_ms);
        printf("bench: %s_vs_in_network %.3f x\n", nm, ms / net_ms);
        printf("bench: %s_no_network %.2f ms\n", nm, own);
        printf("bench: %s %.2f %%\n", v == 0 ? "sampler_overhead_pct" : "sampler_repaint_overhead_pct", p);
        printf("bench: %s_overhead_pct_standalone %.2f %%\n", nm, 100.0 * (ms - standalone) / ms);
        free(in); free(alone); free(pct);
        sampler_free(&sp);
    }
    free(x); free(eps); free(known); free(out); free(tt); free(mask); free(ts);
    scorenet_free(&net);
    schedule_free(&sched);
    return 0;
}
