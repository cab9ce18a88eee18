/* optim: Adam(W) with optional gradient clipping by global norm, and an EMA of
 * the weights.  Both act on one flat parameter buffer and one flat gradient
 * buffer of n floats (see scorenet.h), so each step is a single loop. */
#ifndef AIF_OPTIM_H
#define AIF_OPTIM_H
#include <stddef.h>

typedef struct {
    float lr;            /* learning rate (> 0) */
    float beta1, beta2;  /* moment decay rates, in [0, 1) */
    float eps;           /* added to sqrt(v_hat) (> 0) */
    float weight_decay;  /* decoupled (AdamW): p -= lr * weight_decay * p; 0 = off.
                            Applies to every parameter (biases and LN gains too),
                            which keeps the update a single loop. */
    float clip_norm;     /* if > 0, gradients are scaled by min(1, clip_norm / ||g||) */
} adam_config_t;

typedef struct {
    adam_config_t cfg;
    size_t n;
    float *m, *v;        /* first and second moments, n each */
    long long step;      /* updates done so far */
} adam_t;

/* lr 1e-3, betas 0.9 / 0.999, eps 1e-8, no weight decay, no clipping. */
adam_config_t adam_defaults(void);
/* Returns 0, or -1 with a message (bad hyper-parameter, out of memory). */
int adam_create(adam_t *a, size_t n, const adam_config_t *cfg, char *err, size_t errn);
void adam_free(adam_t *a);
/* One update of params from grads (grads are not modified).  Returns the global
 * L2 norm of grads before clipping (computed in double), so the caller can
 * detect divergence (a non-finite norm: the update is then skipped, the step
 * count unchanged, and the return value tells the caller to fail the run). */
float adam_step(adam_t *a, float *params, const float *grads);
/* Global L2 norm of g[0..n), accumulated in double. */
double grad_global_norm(const float *g, size_t n);

typedef struct {
    float decay;         /* w = decay w + (1 - decay) p, decay in [0, 1) */
    size_t n;
    float *w;
} ema_t;

/* w starts as a copy of params.  Returns 0, or -1 with a message. */
int ema_create(ema_t *e, size_t n, float decay, const float *params, char *err, size_t errn);
void ema_free(ema_t *e);
void ema_update(ema_t *e, const float *params);

#endif
