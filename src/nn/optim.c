/* optim: Adam(W), gradient clipping, EMA.  See include/nn/optim.h. */
#include "nn/optim.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__AVX__)
#include <immintrin.h>
#endif

/* The update loops run a machine register at a time (every entry on its own:
 * the same operations as the scalar loop, which does the tail).  This file is
 * compiled without FMA contraction (ISO C mode), so a*b+c stays a multiply and
 * an add in both forms; sqrt and division are correctly rounded in both, so
 * the results do not depend on the instruction set. */
#if defined(__AVX512F__)
#define OL 16
typedef float ovec __attribute__((vector_size(OL * sizeof(float))));
static inline ovec ov_sqrt(ovec x) { return (ovec)_mm512_sqrt_ps((__m512)x); }
#elif defined(__AVX__)
#define OL 8
typedef float ovec __attribute__((vector_size(OL * sizeof(float))));
static inline ovec ov_sqrt(ovec x) { return (ovec)_mm256_sqrt_ps((__m256)x); }
#endif
#ifdef OL
static inline ovec ov_load(const float *p) { ovec v; memcpy(&v, p, sizeof v); return v; }
static inline void ov_store(float *p, ovec v) { memcpy(p, &v, sizeof v); }
#endif

adam_config_t adam_defaults(void) {
    adam_config_t c = { 1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f, 0.0f };
    return c;
}

int adam_create(adam_t *a, size_t n, const adam_config_t *cfg, char *err, size_t errn) {
    memset(a, 0, sizeof *a);
    const char *bad = NULL;
    if (!(cfg->lr > 0.0f && isfinite(cfg->lr))) bad = "lr must be a positive finite number";
    else if (!(cfg->beta1 >= 0.0f && cfg->beta1 < 1.0f)) bad = "beta1 must be in [0, 1)";
    else if (!(cfg->beta2 >= 0.0f && cfg->beta2 < 1.0f)) bad = "beta2 must be in [0, 1)";
    else if (!(cfg->eps > 0.0f)) bad = "eps must be > 0";
    else if (!(cfg->weight_decay >= 0.0f)) bad = "weight_decay must be >= 0";
    else if (!(cfg->clip_norm >= 0.0f)) bad = "clip_norm must be >= 0 (0 = no clipping)";
    else if (n == 0) bad = "no parameters";
    if (bad) {
        snprintf(err, errn, "adam: %s", bad);
        return -1;
    }
    a->m = calloc(n, sizeof(float));
    a->v = calloc(n, sizeof(float));
    if (!a->m || !a->v) {
        free(a->m);
        free(a->v);
        memset(a, 0, sizeof *a);
        snprintf(err, errn, "adam: out of memory for 2 x %zu floats", n);
        return -1;
    }
    a->cfg = *cfg;
    a->n = n;
    return 0;
}

void adam_free(adam_t *a) {
    free(a->m);
    free(a->v);
    memset(a, 0, sizeof *a);
}

double grad_global_norm(const float *g, size_t n) {
    /* four partial sums: shorter dependency chains, same result every run */
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += (double)g[i] * g[i];
        s1 += (double)g[i + 1] * g[i + 1];
        s2 += (double)g[i + 2] * g[i + 2];
        s3 += (double)g[i + 3] * g[i + 3];
    }
    for (; i < n; i++) s0 += (double)g[i] * g[i];
    return sqrt((s0 + s1) + (s2 + s3));
}

float adam_step(adam_t *a, float *params, const float *grads) {
    const adam_config_t *c = &a->cfg;
    /* The norm is always taken first: a non-finite gradient must not reach the
     * weights or the moments. */
    const double norm = grad_global_norm(grads, a->n);
    if (!isfinite(norm)) return (float)norm;
    float gscale = 1.0f;
    if (c->clip_norm > 0.0f && norm > c->clip_norm) gscale = (float)(c->clip_norm / norm);
    a->step++;
    const double t = (double)a->step;
    const float b1 = c->beta1, b2 = c->beta2;
    const float bc1 = (float)(1.0 / (1.0 - pow(b1, t)));
    const float bc2 = (float)(1.0 / (1.0 - pow(b2, t)));
    const float lr = c->lr, eps = c->eps, decay = 1.0f - c->lr * c->weight_decay;
    float *m = a->m, *v = a->v;
    size_t i = 0;
#ifdef OL
    for (; i + OL <= a->n; i += OL) {
        const ovec g = ov_load(grads + i) * gscale;
        const ovec mi = b1 * ov_load(m + i) + (1.0f - b1) * g;
        const ovec vi = b2 * ov_load(v + i) + (1.0f - b2) * g * g;
        ov_store(m + i, mi);
        ov_store(v + i, vi);
        ov_store(params + i, ov_load(params + i) * decay - lr * (mi * bc1) / (ov_sqrt(vi * bc2) + eps));
    }
#endif
    for (; i < a->n; i++) {
        const float g = grads[i] * gscale;
        const float mi = b1 * m[i] + (1.0f - b1) * g;
        const float vi = b2 * v[i] + (1.0f - b2) * g * g;
        m[i] = mi;
        v[i] = vi;
        params[i] = params[i] * decay - lr * (mi * bc1) / (sqrtf(vi * bc2) + eps);
    }
    return (float)norm;
}

int ema_create(ema_t *e, size_t n, float decay, const float *params, char *err, size_t errn) {
    memset(e, 0, sizeof *e);
    if (!(decay >= 0.0f && decay < 1.0f)) {
        snprintf(err, errn, "ema: decay %g must be in [0, 1)", (double)decay);
        return -1;
    }
    e->w = malloc(n * sizeof(float));
    if (!e->w) {
        snprintf(err, errn, "ema: out of memory for %zu floats", n);
        return -1;
    }
    memcpy(e->w, params, n * sizeof(float));
    e->decay = decay;
    e->n = n;
    return 0;
}

void ema_free(ema_t *e) {
    free(e->w);
    memset(e, 0, sizeof *e);
}

void ema_update(ema_t *e, const float *params) {
    const float d = e->decay, r = 1.0f - e->decay;
    size_t i = 0;
#ifdef OL
    for (; i + OL <= e->n; i += OL) ov_store(e->w + i, d * ov_load(e->w + i) + r * ov_load(params + i));
#endif
    for (; i < e->n; i++) e->w[i] = d * e->w[i] + r * params[i];
}
