/* diffusion_synth: train the score network on a synthetic data set and report
 * sample statistics.  Test helper (included by tests/unit_diffusion.c; the
 * Makefile links each unit test from its own .c file, so this is header-only).
 *
 * Data sets (each a generator of a fresh batch [B, dim]):
 *   mixture2d:  L = 1 token of 2 entries; 3 isotropic Gaussians (std 0.08) at
 *               radius 0.6, angles 90, 210, 330 degrees, weights 0.5, 0.3, 0.2.
 *   walk:       L = 5 tokens [x_k, a_k]; x_0 ~ U[-0.3, 0.3], a_k = +-1 with
 *               probability 1/2, x_{k+1} = x_k + 0.15 a_k + 0.02 N(0, 1)
 *               (a noisy deterministic walk: the transition is known exactly).
 * Training: fresh batches every step, Adam with a constant learning rate, EMA of
 * the weights used for sampling. */
#ifndef AIF_DIFFUSION_SYNTH_H
#define AIF_DIFFUSION_SYNTH_H
#include "nn/diffusion.h"
#include "nn/optim.h"
#include "core/rng.h"
#include "nn/scorenet.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SYNTH_MIX_K 3
static const double synth_mix_w[SYNTH_MIX_K] = {0.5, 0.3, 0.2};
static const double synth_mix_deg[SYNTH_MIX_K] = {90.0, 210.0, 330.0};
#define SYNTH_MIX_R 0.6
#define SYNTH_MIX_STD 0.08

static void synth_mix_mean(int k, double *cx, double *cy) {
    const double a = synth_mix_deg[k] * 3.14159265358979323846 / 180.0;
    *cx = SYNTH_MIX_R * cos(a);
    *cy = SYNTH_MIX_R * sin(a);
}

static void synth_mixture2d(rng_t *r, int B, float *x) {
    for (int b = 0; b < B; b++) {
        const int k = rng_categorical(r, synth_mix_w, SYNTH_MIX_K);
        double cx, cy;
        synth_mix_mean(k, &cx, &cy);
        x[2 * b] = (float)(cx + SYNTH_MIX_STD * rng_normal(r));
        x[2 * b + 1] = (float)(cy + SYNTH_MIX_STD * rng_normal(r));
    }
}

#define SYNTH_WALK_L 5
#define SYNTH_WALK_STEP 0.15
#define SYNTH_WALK_NOISE 0.02
static void synth_walk(rng_t *r, int B, float *x) {
    for (int b = 0; b < B; b++) {
        float *w = x + (size_t)b * 2 * SYNTH_WALK_L;
        double p = -0.3 + 0.6 * rng_uniform(r);
        for (int k = 0; k < SYNTH_WALK_L; k++) {
            const double a = rng_below(r, 2) ? 1.0 : -1.0;
            w[2 * k] = (float)p;
            w[2 * k + 1] = (float)a;
            p += SYNTH_WALK_STEP * a + SYNTH_WALK_NOISE * rng_normal(r);
        }
    }
}

typedef void (*synth_gen_fn)(rng_t *r, int B, float *x);

typedef struct {
    scorenet_t net;
    adam_t adam;
    ema_t ema;
    schedule_t sched;
    int dim, batch;
    float *x0, *scratch;
} synth_model_t;

static void synth_model_free(synth_model_t *m) {
    scorenet_free(&m->net);
    adam_free(&m->adam);
    ema_free(&m->ema);
    schedule_free(&m->sched);
    free(m->x0);
    free(m->scratch);
    memset(m, 0, sizeof *m);
}

/* max_batch: largest batch the net will see (training batch or sampling batch). */
static int synth_model_create(synth_model_t *m, const scorenet_config_t *cfg, sched_kind_t kind,
                              int T, float lr, float ema_decay, int batch, int max_batch,
                              uint64_t seed, char *err, size_t errn) {
    memset(m, 0, sizeof *m);
    rng_t init;
    rng_seed(&init, seed, 0, RNG_INIT);
    adam_config_t ac = adam_defaults();
    ac.lr = lr;
    ac.clip_norm = 1.0f;
    if (scorenet_create(&m->net, cfg, max_batch > batch ? max_batch : batch, &init, err, errn) ||
        adam_create(&m->adam, m->net.n_params, &ac, err, errn) ||
        ema_create(&m->ema, m->net.n_params, ema_decay, m->net.params, err, errn) ||
        schedule_create(&m->sched, kind, T, 0, 0, err, errn))
        return -1;
    m->dim = cfg->L * cfg->d_tok;
    m->batch = batch;
    m->x0 = malloc(sizeof(float) * (size_t)batch * m->dim);
    m->scratch = malloc(sizeof(float) * diffusion_train_scratch_floats(batch, m->dim));
    return (m->x0 && m->scratch) ? 0 : -1;
}

/* Trains for `steps` steps on fresh batches; returns the mean loss of the last
 * tenth of the steps (NAN if a step failed), then loads the EMA weights into the
 * net for sampling. */
static float synth_train(synth_model_t *m, synth_gen_fn gen, int steps, rng_t *r) {
    double tail = 0;
    int ntail = 0;
    for (int s = 0; s < steps; s++) {
        gen(r, m->batch, m->x0);
        const float loss = diffusion_train_step(&m->net, &m->adam, &m->ema, &m->sched, m->x0,
                                                NULL, m->batch, r, m->scratch);
        if (!isfinite(loss)) return NAN;
        if (s >= steps - steps / 10) { tail += loss; ntail++; }
    }
    memcpy(m->net.params, m->ema.w, m->net.n_params * sizeof(float));
    return (float)(tail / (ntail ? ntail : 1));
}

/* Mode statistics of 2-D samples xy [n, 2]: weight of each mode (nearest mean),
 * RMS per-coordinate spread around it, and the fraction of samples further than
 * 4 std from every mean (outliers). */
typedef struct {
    double w[SYNTH_MIX_K], std[SYNTH_MIX_K], outlier;
} synth_mix_stats_t;

static synth_mix_stats_t synth_mix_stats(const float *xy, int n) {
    synth_mix_stats_t st;
    memset(&st, 0, sizeof st);
    double ss[SYNTH_MIX_K] = {0};
    int cnt[SYNTH_MIX_K] = {0}, out = 0;
    for (int i = 0; i < n; i++) {
        int best = 0;
        double bd = 1e300;
        for (int k = 0; k < SYNTH_MIX_K; k++) {
            double cx, cy;
            synth_mix_mean(k, &cx, &cy);
            const double d = (xy[2 * i] - cx) * (xy[2 * i] - cx) + (xy[2 * i + 1] - cy) * (xy[2 * i + 1] - cy);
            if (d < bd) { bd = d; best = k; }
        }
        if (sqrt(bd) > 4 * SYNTH_MIX_STD) { out++; continue; }
        cnt[best]++;
        ss[best] += bd;
    }
    for (int k = 0; k < SYNTH_MIX_K; k++) {
        st.w[k] = cnt[k] / (double)n;
        st.std[k] = cnt[k] ? sqrt(ss[k] / (2.0 * cnt[k])) : 0;
    }
    st.outlier = out / (double)n;
    return st;
}

#endif
