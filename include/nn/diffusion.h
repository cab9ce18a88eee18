/* diffusion: noise schedules, DDPM training, DDPM/DDIM sampling, RePaint inpainting.
 *
 * Notation (docs/diffusion.md has the formulas and references):
 *   q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I),   abar_t = prod_{s<=t} alpha_s,
 *   alpha_t = 1 - beta_t,  t = 1..T  (Ho et al. 2020, Eq. 4).
 * The network predicts eps from (x_t, t); every sampler works through the
 * eps_fn_t callback, so it runs the same with the score network or with an exact
 * analytic eps (used by the tests).
 *
 * Data are flat: a sample is `dim` floats (a trajectory window [L, D_tok] row-major,
 * dim = L * D_tok); a batch is [B, dim].  Schedule tables are double precision;
 * the sampler's state is float.  Nothing here allocates after *_create, and
 * nothing here touches MPI, HDF5 or the environment. */
#ifndef AIF_DIFFUSION_H
#define AIF_DIFFUSION_H
#include <stddef.h>
#include "nn/optim.h"
#include "core/rng.h"
#include "nn/scorenet.h"

/* ---- noise schedules ----------------------------------------------------------- */

typedef enum { SCHED_LINEAR = 0, SCHED_COSINE = 1, SCHED_SIGMOID = 2 } sched_kind_t;
/* {"linear", "cosine", "sigmoid", NULL}: usable as a PT_CHOICE choices list; the
 * index is the sched_kind_t value. */
extern const char *const sched_names[];

/* Tables have T + 1 entries indexed by the step t = 0..T.  Entry 0 is the clean
 * data: beta[0] = 0, alpha[0] = alpha_bar[0] = 1, posterior entries 0.
 *
 *   linear  (Ho et al. 2020):  beta_t = beta_start + (beta_end - beta_start) (t-1)/(T-1)
 *           (T = 1: beta_1 = beta_end, so the one step reaches noise).
 *   cosine  (Nichol & Dhariwal 2021, s = 0.008):  abar(t) = f(t)/f(0),
 *           f(t) = cos^2(((t/T + s)/(1 + s)) pi/2);  beta_t = min(1 - abar_t/abar_{t-1}, 0.999)
 *           and abar recomputed as the product of the clipped alphas.
 *           beta_start / beta_end are ignored.
 *   sigmoid (Jabri et al. 2022; Chen 2023, "On the importance of noise scheduling",
 *           start -3, end 3, tau 1):  abar(t) = (v_end - sig((t/T (end-start) + start)/tau))
 *           / (v_end - v_start), v = sig(end/tau), sig(start/tau); beta clipped at
 *           0.999 as for cosine.  beta_start / beta_end are ignored.
 *
 * Linear defaults: beta_start <= 0 or beta_end <= 0 selects Ho et al.'s 1e-4 and
 * 0.02 scaled by 1000/T (Nichol & Dhariwal's convention), so abar_T ~ 4e-5 for any
 * T >= ~20 (with T = 50: 0.002 .. 0.4).  Explicit values are used as given and must
 * satisfy 0 < beta_start <= beta_end < 1.
 * Endpoints: abar_0 = 1 (by definition) and abar is strictly decreasing.  Cosine
 * and sigmoid reach abar(T) = 0 in closed form, so their last beta is the clip
 * 0.999 and abar_T = 0.001 abar_{T-1} (tiny but > 0, so every table is finite). */
typedef struct {
    int T;
    sched_kind_t kind;
    double *beta;          /* beta_t */
    double *alpha;         /* 1 - beta_t */
    double *alpha_bar;     /* prod_{s=1..t} alpha_s */
    double *sqrt_ab;       /* sqrt(alpha_bar_t) */
    double *sqrt_1m_ab;    /* sqrt(1 - alpha_bar_t) */
    double *post_var;      /* beta~_t = beta_t (1 - abar_{t-1}) / (1 - abar_t); post_var[1] = 0 */
    double *post_c0;       /* posterior mean coefficient of x_0:
                              beta_t sqrt(abar_{t-1}) / (1 - abar_t) */
    double *post_ct;       /* posterior mean coefficient of x_t:
                              sqrt(alpha_t) (1 - abar_{t-1}) / (1 - abar_t) */
    double *mem;           /* one allocation behind all tables */
} schedule_t;

/* 1 <= T <= 100000.  Returns 0, or -1 with a message (bad T, bad betas, out of
 * memory); on failure *s is left empty (schedule_free is safe). */
int  schedule_create(schedule_t *s, sched_kind_t kind, int T, double beta_start,
                     double beta_end, char *err, size_t errn);
void schedule_free(schedule_t *s);

/* Forward noising q(x_t | x_0) with given noise: x_t = sqrt(abar_t) x0 + sqrt(1-abar_t) eps.
 * x0, eps, xt [B, dim]; t[B] integer steps in 0..T.  xt may alias x0. */
void diffusion_q_sample(const schedule_t *s, const float *x0, const float *eps,
                        const int *t, int B, int dim, float *xt);

/* n standard normal deviates from r (ziggurat, 64-bit words of r's stream), the
 * generator every function here uses for its noise. */
void diffusion_randn(rng_t *r, float *out, size_t n);

/* ---- eps predictors -------------------------------------------------------------- */

/* x_t [B, dim], t[B] the step (the integer t in 1..T, as a float) -> eps_out [B, dim].
 * Must not keep pointers to its arguments. */
typedef void (*eps_fn_t)(void *ctx, const float *x_t, const float *t, int B, float *eps_out);

/* Adapter for the score network: ctx is a scorenet_t*, dim must equal L * d_tok
 * and B <= the net's max_batch.  The network sees the integer step t (1..T) as a
 * float, exactly as diffusion_train_step gives it during training. */
void diffusion_scorenet_eps(void *ctx, const float *x_t, const float *t, int B, float *eps_out);

/* ---- training -------------------------------------------------------------------- */

/* Floats of scratch diffusion_train_step needs for B samples of dim entries. */
size_t diffusion_train_scratch_floats(int B, int dim);

/* One eps-prediction step (Ho et al. 2020, Algorithm 1): t ~ U{1..T} and
 * eps ~ N(0, I) per sample (from rng, in sample order), x_t by q_sample, loss =
 * masked MSE(net(x_t, t), eps), backward, adam_step, then ema_update if ema is not
 * NULL.  x0 [B, dim] with dim = L * d_tok, B <= net->max_batch.
 * loss_mask: [B, dim] weights (1 = real entry, 0 = padding), or NULL for all;
 * the loss is sum(m (pred - eps)^2) / sum(m) (scorenet_loss_backward).
 * Returns the loss; returns NAN when the loss or the gradient norm is not finite
 * (the update was then skipped by adam_step: the caller should fail the run). */
float diffusion_train_step(scorenet_t *net, adam_t *adam, ema_t *ema, const schedule_t *s,
                           const float *x0, const float *loss_mask, int B, rng_t *rng,
                           float *scratch);

/* ---- reverse samplers with inpainting ------------------------------------------ */

typedef enum { SAMPLER_DDPM = 0, SAMPLER_DDIM = 1 } sampler_kind_t;
extern const char *const sampler_names[];   /* {"ddpm", "ddim", NULL} */

typedef struct {
    sampler_kind_t kind;
    int steps;              /* DDIM: number of reverse steps S, 1 <= S <= T, on the
                               subsequence tau_i = round(i T / S), i = 0..S (tau_S = T);
                               0 means T.  DDPM: must be 0 or T (it always uses all T). */
    float ddim_eta;         /* DDIM: 0 = deterministic, 1 = DDPM-like variance; in [0, 1] */
    int ddpm_posterior_var; /* DDPM: 1 = sigma_t^2 = beta~_t (posterior variance),
                               0 = sigma_t^2 = beta_t.  No noise is added at the last step. */
    int jump_len;           /* RePaint resampling (Lugmayr et al. 2022): after reaching
                               a step index that is a multiple of jump_len (counting
                               reverse steps of the sampler's own sequence, 0 = the
                               end), the state is re-noised jump_len steps up and
                               those steps are redone; 0 = off. */
    int n_resample;         /* extra passes over each jump_len segment (RePaint's
                               jump_n_sample - 1); 0 = off (plain replacement). */
    int known_clean;        /* 1: known entries are pasted as they are (not re-noised) before
                               every network call, for a network trained with the known
                               entries clean (conditional training); 0 = RePaint's
                               re-noising (the default). */
    float clip_x0;          /* > 0: the predicted x_0 is clipped to [-clip_x0, clip_x0]
                               before the update (1 for data in [-1, 1]); 0 = off. */
} sampler_config_t;

/* DDPM, posterior variance, no resampling, clip_x0 = 1 (the agent's data lie in
 * [-1, 1]; without the clip, an eps error d at t = T becomes an x0 error
 * d / sqrt(abar_T), ~1000 d for cosine at T = 50: see docs/diffusion.md). */
sampler_config_t sampler_defaults(void);
/* 0 if cfg is usable with schedule s, else -1 with a message naming the field. */
int sampler_config_check(const sampler_config_t *cfg, const schedule_t *s, char *err, size_t errn);

typedef struct {
    sampler_config_t cfg;
    const schedule_t *sched;  /* borrowed: must outlive the sampler */
    int max_batch, dim;
    int S;                    /* reverse steps in one pass */
    int *tau;                 /* (S + 1): timesteps of the pass, tau[0] = 0, tau[S] = T */
    int *seq;                 /* (n_seq): step indices into tau visited, RePaint-style;
                                 a decrease is a reverse step (one network call),
                                 an increase a forward re-noising jump */
    int n_seq;
    int n_calls;              /* network calls per sampler_run (any batch size) */
    float *x, *eps, *tt;      /* scratch: [max_batch, dim] x2, [max_batch] */
} sampler_t;

/* Returns 0, or -1 with a message (bad config, sizes, out of memory). */
int  sampler_create(sampler_t *sp, const schedule_t *s, const sampler_config_t *cfg,
                    int max_batch, int dim, char *err, size_t errn);
void sampler_free(sampler_t *sp);

/* Draws B samples into x0_out [B, dim] (1 <= B <= max_batch).
 * Conditioning by inpainting: mask [B, dim] (1 = known) with the known values in
 * known [B, dim]; both NULL for unconditional sampling.  x_T ~ N(0, I); before
 * every network call the known entries hold a fresh draw of q(x_t | known)
 * (re-noised to the current step; with cfg.known_clean, `known` itself), the
 * unknown ones the sampler's state; the known entries of x0_out are exactly
 * `known`.  Each row is an independent
 * chain, so K candidate policies x M samples go in as one batch of B = K M rows.
 * Random numbers come from rng in a fixed order: a given (config, B, mask, rng
 * state, eps_fn) gives identical output.  No allocation.
 * Returns 0, or -1 if B is out of range (nothing is drawn then). */
int sampler_run(sampler_t *sp, eps_fn_t f, void *ctx, int B, const float *known,
                const unsigned char *mask, rng_t *rng, float *x0_out);

#endif
