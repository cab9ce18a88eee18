/* diffusion: schedules, training step, DDPM/DDIM samplers with RePaint inpainting.
 * Formulas and references: include/nn/diffusion.h and docs/diffusion.md. */
#include "nn/diffusion.h"
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

const char *const sched_names[] = {"linear", "cosine", "sigmoid", NULL};
const char *const sampler_names[] = {"ddpm", "ddim", NULL};

#define BETA_MAX 0.999       /* clip of cosine and sigmoid betas (Nichol & Dhariwal) */
#define COSINE_S 0.008
#define SIGMOID_START (-3.0) /* Chen 2023 defaults, as in Jabri et al. 2022 */
#define SIGMOID_END 3.0
#define SIGMOID_TAU 1.0
#define MAX_T 100000
#define MAX_SEQ 50000000     /* bound on visited steps of one sampler pass */

static int fail(char *err, size_t errn, const char *fmt, ...) {
    if (err && errn) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errn, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ---- normal deviates ----------------------------------------------------------
 * The sampler draws about one normal per entry per step, so the generator must be
 * cheap next to the network: Marsaglia & Tsang's ziggurat (J. Stat. Softw. 5(8),
 * 2000; 128 layers), fed with 64-bit words: the layer index from the low 7 bits,
 * the signed value from the top 53 (disjoint bits, avoiding the correlation
 * Doornik 2005 found in the 32-bit original).  The words come from the caller's
 * rng_t through an inlined copy of rng_u64 (xoshiro256**, identical output), so
 * the stream stays the run's own and reproducible. */
static inline uint64_t xo_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static inline uint64_t xo_next(rng_t *r) {
    uint64_t *s = r->s;
    const uint64_t result = xo_rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = xo_rotl(s[3], 45);
    return result;
}
static inline double xo_open01(rng_t *r) { return ((double)(xo_next(r) >> 11) + 0.5) * 0x1.0p-53; }

#define ZIG_N 128
#define ZIG_R 3.442619855899
static uint64_t zig_k[ZIG_N];
static double zig_w[ZIG_N], zig_f[ZIG_N];
static int zig_ready;

/* Tables for |value| < 2^52 (the top 53 bits of a word, signed). */
static void zig_init(void) {
    if (zig_ready) return;
    const double m = 0x1.0p52, vn = 9.91256303526217e-3;
    double dn = ZIG_R, tn = dn;
    const double q = vn / exp(-0.5 * dn * dn);
    zig_k[0] = (uint64_t)((dn / q) * m);
    zig_k[1] = 0;
    zig_w[0] = q / m;
    zig_w[ZIG_N - 1] = dn / m;
    zig_f[0] = 1.0;
    zig_f[ZIG_N - 1] = exp(-0.5 * dn * dn);
    for (int i = ZIG_N - 2; i >= 1; i--) {
        dn = sqrt(-2.0 * log(vn / dn + exp(-0.5 * dn * dn)));
        zig_k[i + 1] = (uint64_t)((dn / tn) * m);
        tn = dn;
        zig_f[i] = exp(-0.5 * dn * dn);
        zig_w[i] = dn / m;
    }
    zig_ready = 1;
}

static double zig_slow(rng_t *r, int64_t hz, int iz) {
    for (;;) {
        double x = (double)hz * zig_w[iz];
        if (iz == 0) { /* the tail beyond R (Marsaglia 1964) */
            double y;
            do {
                x = -log(xo_open01(r)) / ZIG_R;
                y = -log(xo_open01(r));
            } while (y + y < x * x);
            return hz > 0 ? ZIG_R + x : -ZIG_R - x;
        }
        if (zig_f[iz] + xo_open01(r) * (zig_f[iz - 1] - zig_f[iz]) < exp(-0.5 * x * x)) return x;
        const uint64_t u = xo_next(r);
        iz = (int)(u & (ZIG_N - 1));
        hz = (int64_t)u >> 11;
        if ((uint64_t)(hz < 0 ? -hz : hz) < zig_k[iz]) return (double)hz * zig_w[iz];
    }
}

/* One standard normal; zig_init() must have run. */
static inline float randn1(rng_t *r) {
    const uint64_t u = xo_next(r);
    const int iz = (int)(u & (ZIG_N - 1));
    const int64_t hz = (int64_t)u >> 11;
    if ((uint64_t)(hz < 0 ? -hz : hz) < zig_k[iz]) return (float)((double)hz * zig_w[iz]);
    return (float)zig_slow(r, hz, iz);
}

void diffusion_randn(rng_t *r, float *out, size_t n) {
    zig_init();
    for (size_t i = 0; i < n; i++) out[i] = randn1(r);
}

/* ---- schedules ---------------------------------------------------------------- */

static double cosine_f(double u) {
    const double v = cos((u + COSINE_S) / (1.0 + COSINE_S) * M_PI * 0.5);
    return v * v;
}
static double sigm(double z) { return 1.0 / (1.0 + exp(-z)); }
static double sigmoid_abar(double u) {
    const double vs = sigm(SIGMOID_START / SIGMOID_TAU), ve = sigm(SIGMOID_END / SIGMOID_TAU);
    return (ve - sigm((u * (SIGMOID_END - SIGMOID_START) + SIGMOID_START) / SIGMOID_TAU)) / (ve - vs);
}

void schedule_free(schedule_t *s) {
    if (!s) return;
    free(s->mem);
    memset(s, 0, sizeof *s);
}

int schedule_create(schedule_t *s, sched_kind_t kind, int T, double beta_start,
                    double beta_end, char *err, size_t errn) {
    memset(s, 0, sizeof *s);
    if (kind < SCHED_LINEAR || kind > SCHED_SIGMOID)
        return fail(err, errn, "noise schedule: unknown kind %d (expected linear, cosine or sigmoid)", (int)kind);
    if (T < 1 || T > MAX_T)
        return fail(err, errn, "noise schedule: T = %d is out of range (1 .. %d)", T, MAX_T);
    if (kind == SCHED_LINEAR) {
        if (beta_start <= 0 || beta_end <= 0) {
            beta_start = 1e-4 * 1000.0 / T;
            beta_end = 0.02 * 1000.0 / T;
            if (beta_end > BETA_MAX) beta_end = BETA_MAX;
            if (beta_start > beta_end) beta_start = beta_end;
        } else if (!(beta_start <= beta_end && beta_end < 1.0) || !isfinite(beta_start))
            return fail(err, errn,
                        "linear noise schedule: need 0 < beta_start <= beta_end < 1, got beta_start = %g, "
                        "beta_end = %g (or give 0 for the defaults 0.1/T .. 20/T)",
                        beta_start, beta_end);
    }
    const size_t n = (size_t)T + 1;
    double *m = calloc(8 * n, sizeof(double));
    if (!m) return fail(err, errn, "noise schedule: out of memory for T = %d", T);
    s->mem = m;
    s->T = T;
    s->kind = kind;
    s->beta = m;
    s->alpha = m + n;
    s->alpha_bar = m + 2 * n;
    s->sqrt_ab = m + 3 * n;
    s->sqrt_1m_ab = m + 4 * n;
    s->post_var = m + 5 * n;
    s->post_c0 = m + 6 * n;
    s->post_ct = m + 7 * n;

    for (int t = 1; t <= T; t++) {
        double b;
        if (kind == SCHED_LINEAR) {
            b = T == 1 ? beta_end : beta_start + (beta_end - beta_start) * (t - 1) / (double)(T - 1);
        } else {
            const double u0 = (t - 1) / (double)T, u1 = t / (double)T;
            double a0, a1;
            if (kind == SCHED_COSINE) {
                a0 = cosine_f(u0) / cosine_f(0);
                a1 = cosine_f(u1) / cosine_f(0);
            } else {
                a0 = sigmoid_abar(u0);
                a1 = sigmoid_abar(u1);
            }
            b = 1.0 - a1 / a0;
            if (b > BETA_MAX) b = BETA_MAX;
            if (b < 0) b = 0; /* not reached: both closed forms decrease */
        }
        s->beta[t] = b;
    }
    s->alpha[0] = s->alpha_bar[0] = s->sqrt_ab[0] = 1.0;
    for (int t = 1; t <= T; t++) {
        const double b = s->beta[t];
        if (!(b > 0 && b < 1)) {
            double bt = b;
            schedule_free(s);
            return fail(err, errn, "noise schedule %s: beta_%d = %g is not in (0, 1)", sched_names[kind], t, bt);
        }
        s->alpha[t] = 1.0 - b;
        s->alpha_bar[t] = s->alpha_bar[t - 1] * s->alpha[t];
        s->sqrt_ab[t] = sqrt(s->alpha_bar[t]);
        s->sqrt_1m_ab[t] = sqrt(1.0 - s->alpha_bar[t]);
        const double ab = s->alpha_bar[t], abp = s->alpha_bar[t - 1];
        s->post_var[t] = b * (1.0 - abp) / (1.0 - ab);
        s->post_c0[t] = b * sqrt(abp) / (1.0 - ab);
        s->post_ct[t] = sqrt(s->alpha[t]) * (1.0 - abp) / (1.0 - ab);
    }
    return 0;
}

void diffusion_q_sample(const schedule_t *s, const float *x0, const float *eps,
                        const int *t, int B, int dim, float *xt) {
    for (int b = 0; b < B; b++) {
        const float ca = (float)s->sqrt_ab[t[b]], cn = (float)s->sqrt_1m_ab[t[b]];
        const size_t o = (size_t)b * dim;
        for (int i = 0; i < dim; i++) xt[o + i] = ca * x0[o + i] + cn * eps[o + i];
    }
}

/* ---- eps predictors and training -------------------------------------------------- */

void diffusion_scorenet_eps(void *ctx, const float *x_t, const float *t, int B, float *eps_out) {
    scorenet_forward((scorenet_t *)ctx, x_t, t, B, eps_out);
}

size_t diffusion_train_scratch_floats(int B, int dim) {
    return 2 * (size_t)B * dim + (size_t)B;
}

float diffusion_train_step(scorenet_t *net, adam_t *adam, ema_t *ema, const schedule_t *s,
                           const float *x0, const float *loss_mask, int B, rng_t *rng,
                           float *scratch) {
    const int dim = net->cfg.L * net->cfg.d_tok;
    const size_t n = (size_t)B * dim;
    float *xt = scratch, *eps = scratch + n, *tf = scratch + 2 * n;
    zig_init();
    for (int b = 0; b < B; b++) {
        const int t = 1 + (int)rng_below(rng, (uint32_t)s->T);
        tf[b] = (float)t;
        const float ca = (float)s->sqrt_ab[t], cn = (float)s->sqrt_1m_ab[t];
        const size_t o = (size_t)b * dim;
        for (int i = 0; i < dim; i++) {
            const float e = randn1(rng);
            eps[o + i] = e;
            xt[o + i] = ca * x0[o + i] + cn * e;
        }
    }
    const float loss = scorenet_loss_backward(net, xt, tf, eps, loss_mask, B);
    if (!isfinite(loss)) return NAN;
    const float norm = adam_step(adam, net->params, net->grads);
    if (!isfinite(norm)) return NAN;
    if (ema) ema_update(ema, net->params);
    return loss;
}

/* ---- samplers -------------------------------------------------------------------- */

sampler_config_t sampler_defaults(void) {
    sampler_config_t c = {.kind = SAMPLER_DDPM, .steps = 0, .ddim_eta = 0.0f, .ddpm_posterior_var = 1,
                          .jump_len = 0, .n_resample = 0, .known_clean = 0, .clip_x0 = 1.0f};
    return c;
}

static int n_steps(const sampler_config_t *c, const schedule_t *s) {
    return (c->kind == SAMPLER_DDPM || c->steps == 0) ? s->T : c->steps;
}
static int resampling_on(const sampler_config_t *c) { return c->jump_len > 0 && c->n_resample > 0; }

int sampler_config_check(const sampler_config_t *c, const schedule_t *s, char *err, size_t errn) {
    if (!s || s->T < 1) return fail(err, errn, "sampler: no noise schedule");
    if (c->kind != SAMPLER_DDPM && c->kind != SAMPLER_DDIM)
        return fail(err, errn, "sampler: unknown kind %d (expected ddpm or ddim)", (int)c->kind);
    if (c->kind == SAMPLER_DDPM && c->steps != 0 && c->steps != s->T)
        return fail(err, errn, "sampler: ddpm uses all T = %d steps, got steps = %d "
                    "(use 0, or the ddim sampler for fewer steps)", s->T, c->steps);
    if (c->kind == SAMPLER_DDIM && (c->steps < 0 || c->steps > s->T))
        return fail(err, errn, "sampler: ddim steps = %d must be in 1 .. T = %d (0 = T)", c->steps, s->T);
    if (!(c->ddim_eta >= 0 && c->ddim_eta <= 1))
        return fail(err, errn, "sampler: ddim_eta = %g must be in [0, 1]", (double)c->ddim_eta);
    if (c->jump_len < 0 || c->n_resample < 0)
        return fail(err, errn, "sampler: jump_len = %d and n_resample = %d must be >= 0",
                    c->jump_len, c->n_resample);
    const int S = n_steps(c, s);
    if (resampling_on(c) && c->jump_len >= S)
        return fail(err, errn, "sampler: jump_len = %d must be smaller than the number of "
                    "reverse steps (%d) for resampling to happen (or set n_resample = 0)",
                    c->jump_len, S);
    if (!(c->clip_x0 >= 0 && isfinite(c->clip_x0)))
        return fail(err, errn, "sampler: clip_x0 = %g must be >= 0 (0 = off)", (double)c->clip_x0);
    return 0;
}

/* The visited step indices (into tau), RePaint's get_schedule_jump: walk down one
 * step at a time; on reaching an index p = 0, j, 2j, ... with p < S - j for the k-th
 * time (k <= n_resample), walk back up j steps.  Writes up to n entries of seq
 * (seq may be NULL) and returns the full count. */
static long build_seq(int S, int j, int r, int *seq, long n) {
    long cnt = 0;
    int t = S;
    int nj = (j > 0 && r > 0) ? (S - 1) / j + 1 : 0; /* jump points p = k j < S - j */
    int *left = NULL;
    if (nj > 0) {
        left = calloc((size_t)nj, sizeof(int));
        if (!left) return -1;
        for (int k = 0; k < nj; k++) left[k] = (k * j < S - j) ? r : 0;
    }
#define PUSH(v) do { if (seq && cnt < n) seq[cnt] = (v); cnt++; } while (0)
    PUSH(t);
    while (t >= 1) {
        t--;
        PUSH(t);
        if (nj > 0 && t % j == 0 && t / j < nj && left[t / j] > 0) {
            left[t / j]--;
            for (int k = 0; k < j; k++) {
                t++;
                PUSH(t);
            }
        }
        if (cnt > MAX_SEQ) break;
    }
#undef PUSH
    free(left);
    return cnt;
}

void sampler_free(sampler_t *sp) {
    if (!sp) return;
    free(sp->tau);
    free(sp->seq);
    free(sp->x);
    free(sp->eps);
    free(sp->tt);
    memset(sp, 0, sizeof *sp);
}

int sampler_create(sampler_t *sp, const schedule_t *s, const sampler_config_t *cfg,
                   int max_batch, int dim, char *err, size_t errn) {
    memset(sp, 0, sizeof *sp);
    if (sampler_config_check(cfg, s, err, errn)) return -1;
    zig_init();
    if (max_batch < 1 || dim < 1)
        return fail(err, errn, "sampler: max_batch = %d and dim = %d must be >= 1", max_batch, dim);
    const int S = n_steps(cfg, s);
    const int j = resampling_on(cfg) ? cfg->jump_len : 0, r = resampling_on(cfg) ? cfg->n_resample : 0;
    const long n_seq = build_seq(S, j, r, NULL, 0);
    if (n_seq < 0) return fail(err, errn, "sampler: out of memory");
    if (n_seq > MAX_SEQ)
        return fail(err, errn, "sampler: %d steps with jump_len %d and n_resample %d visit more than "
                    "%d steps per sample; reduce n_resample", S, cfg->jump_len, cfg->n_resample, MAX_SEQ);
    sp->cfg = *cfg;
    sp->sched = s;
    sp->max_batch = max_batch;
    sp->dim = dim;
    sp->S = S;
    sp->n_seq = (int)n_seq;
    const size_t nx = (size_t)max_batch * dim;
    sp->tau = malloc(((size_t)S + 1) * sizeof(int));
    sp->seq = malloc((size_t)n_seq * sizeof(int));
    sp->x = malloc(nx * sizeof(float));
    sp->eps = malloc(nx * sizeof(float));
    sp->tt = malloc((size_t)max_batch * sizeof(float));
    if (!sp->tau || !sp->seq || !sp->x || !sp->eps || !sp->tt) {
        sampler_free(sp);
        return fail(err, errn, "sampler: out of memory for batch %d x dim %d", max_batch, dim);
    }
    for (int i = 0; i <= S; i++)
        sp->tau[i] = (int)(((long long)2 * i * s->T + S) / (2LL * S)); /* round(i T / S) */
    if (build_seq(S, j, r, sp->seq, n_seq) != n_seq) {
        sampler_free(sp);
        return fail(err, errn, "sampler: out of memory");
    }
    sp->n_calls = 0;
    for (int i = 0; i + 1 < sp->n_seq; i++) sp->n_calls += sp->seq[i + 1] < sp->seq[i];
    return 0;
}

/* Known entries of x set to a fresh draw of q(x_t | known). */
static void paste_known(float *x, const float *known, const unsigned char *mask, size_t n,
                        double sa, double s1, rng_t *rng) {
    const float ca = (float)sa, cn = (float)s1;
    for (size_t i = 0; i < n; i++)
        if (mask[i]) x[i] = ca * known[i] + cn * randn1(rng);
}

int sampler_run(sampler_t *sp, eps_fn_t f, void *ctx, int B, const float *known,
                const unsigned char *mask, rng_t *rng, float *x0_out) {
    if (B < 1 || B > sp->max_batch || !f || !rng || !x0_out) return -1;
    if (!mask) known = NULL;
    if (mask && !known) return -1;
    const schedule_t *s = sp->sched;
    const sampler_config_t *c = &sp->cfg;
    const size_t n = (size_t)B * sp->dim;
    float *x = sp->x, *e = sp->eps;
    const float clip = c->clip_x0;

    for (size_t i = 0; i < n; i++) x[i] = (mask && mask[i]) ? 0.0f : randn1(rng);

    for (int k = 0; k + 1 < sp->n_seq; k++) {
        const int t = sp->tau[sp->seq[k]], u = sp->tau[sp->seq[k + 1]];
        if (u > t) {
            /* RePaint forward jump q(x_u | x_t): the known entries are re-pasted
             * before the next network call, so only the unknown ones are noised. */
            const double ratio = s->alpha_bar[u] / s->alpha_bar[t];
            const float cr = (float)sqrt(ratio), cn = (float)sqrt(1.0 - ratio);
            for (size_t i = 0; i < n; i++)
                if (!(mask && mask[i])) x[i] = cr * x[i] + cn * randn1(rng);
            continue;
        }
        if (mask) {
            if (sp->cfg.known_clean)
                for (size_t i = 0; i < n; i++) { if (mask[i]) x[i] = known[i]; }
            else
                paste_known(x, known, mask, n, s->sqrt_ab[t], s->sqrt_1m_ab[t], rng);
        }
        for (int b = 0; b < B; b++) sp->tt[b] = (float)t;
        f(ctx, x, sp->tt, B, e);

        /* Reverse step t -> u < t, through the predicted x0:
         *   x0^ = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t)   (clipped if asked)
         * DDPM (u = t - 1): x_u = c0_t x0^ + ct_t x_t + sigma_t z
         * DDIM:             x_u = sqrt(abar_u) x0^ + sqrt(1 - abar_u - sigma^2) eps' + sigma z,
         *                   sigma = eta sqrt((1 - abar_u)/(1 - abar_t)) sqrt(1 - abar_t/abar_u),
         *                   eps' = eps, or recomputed from the clipped x0^. */
        const double abt = s->alpha_bar[t], abu = s->alpha_bar[u];
        const float inv_sa = (float)(1.0 / s->sqrt_ab[t]), s1 = (float)s->sqrt_1m_ab[t];
        const float sa = (float)s->sqrt_ab[t];
        float cx0, cxt, ce, sigma;
        if (c->kind == SAMPLER_DDPM) {
            cx0 = (float)s->post_c0[t];
            cxt = (float)s->post_ct[t];
            ce = 0.0f;
            sigma = u == 0 ? 0.0f : (float)sqrt(c->ddpm_posterior_var ? s->post_var[t] : s->beta[t]);
        } else {
            const double sig = u == 0 ? 0.0
                : c->ddim_eta * sqrt((1.0 - abu) / (1.0 - abt)) * sqrt(1.0 - abt / abu);
            double dir = 1.0 - abu - sig * sig;
            cx0 = (float)sqrt(abu);
            cxt = 0.0f;
            ce = (float)sqrt(dir > 0 ? dir : 0.0);
            sigma = (float)sig;
        }
        const int noise = sigma > 0.0f;
        for (size_t i = 0; i < n; i++) {
            if (mask && mask[i]) continue;
            const float xi = x[i], ei = e[i];
            float x0h = (xi - s1 * ei) * inv_sa;
            float ep = ei;
            if (clip > 0.0f) {
                const float x0c = x0h > clip ? clip : (x0h < -clip ? -clip : x0h);
                if (x0c != x0h && ce != 0.0f) ep = (xi - sa * x0c) / s1;
                x0h = x0c;
            }
            float v = cx0 * x0h + cxt * xi + ce * ep;
            if (noise) v += sigma * randn1(rng);
            x[i] = v;
        }
    }
    for (size_t i = 0; i < n; i++) x0_out[i] = (mask && mask[i]) ? known[i] : x[i];
    return 0;
}
