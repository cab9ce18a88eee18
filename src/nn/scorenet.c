/* scorenet: the transformer denoiser.  See include/nn/scorenet.h and docs/nn.md. */
#include "nn/scorenet.h"
#include "nn/embed.h"
#include "nn/nn.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CKPT_MAGIC 11259375.0f /* 0xABCDEF: an integer a float holds exactly */
#define CKPT_VERSION 1.0f
#define F24 16777216.0 /* 2^24: integers below it are exact in a float */

/* Largest accepted sizes: far beyond this project's needs, small enough that no
 * size computation below can overflow. */
#define MAX_DIM 65536
#define MAX_BATCH (1 << 20)

static embed_shape_t shape_of(const scorenet_config_t *c) {
    return embed_shape(c->d_tok, c->n_coord, c->n_fourier, c->n_rbf_x, c->n_rbf_y, c->rbf_cells, c->n_ctx);
}

int scorenet_config_check(const scorenet_config_t *c, char *err, size_t errn) {
    const char *what = NULL;
    if (c->d_model < 1 || c->d_model > MAX_DIM) what = "d_model must be in [1, 65536]";
    else if (c->n_heads < 1 || c->d_model % c->n_heads) what = "n_heads must be >= 1 and divide d_model";
    else if (c->n_layers < 1 || c->n_layers > 1024) what = "n_layers must be in [1, 1024]";
    else if (c->L < 1 || c->L > MAX_DIM) what = "L (tokens per window) must be in [1, 65536]";
    else if (c->d_tok < 1 || c->d_tok > MAX_DIM) what = "d_tok must be in [1, 65536]";
    else if (c->t_emb_dim < 2 || c->t_emb_dim % 2 || c->t_emb_dim > MAX_DIM)
        what = "t_emb_dim must be even and in [2, 65536]";
    else if (c->n_fourier < 0 || c->n_fourier > 16) what = "n_fourier must be in [0, 16]";
    else if (c->n_coord < 0 || c->n_coord > c->d_tok) what = "n_coord must be in [0, d_tok]";
    else if (c->n_rbf_x < 0 || c->n_rbf_x > 1024 || c->n_rbf_y < 0 || c->n_rbf_y > 1024 ||
             ((c->n_rbf_x || c->n_rbf_y) && c->n_coord % 2))
        what = "n_rbf_x and n_rbf_y must be in [0, 1024] (with an even n_coord)";
    else if (c->rbf_cells != 0 && (c->rbf_cells != 1 || c->n_rbf_x < 1 || c->n_rbf_y < 1 ||
                                   c->n_rbf_x * c->n_rbf_y > 65536))
        what = "rbf_cells must be 0 or 1, and 1 needs n_rbf_x, n_rbf_y >= 1 with a product <= 65536";
    else if (c->n_ctx < 0 || c->n_ctx > 64 || c->n_ctx > c->d_tok - c->n_coord)
        what = "n_ctx must be in [0, 64] and leave the coordinates their entries";
    if (what) {
        snprintf(err, errn, "scorenet: %s (d_model %d, n_heads %d, n_layers %d, L %d, "
                 "d_tok %d, t_emb_dim %d)", what, c->d_model, c->n_heads, c->n_layers,
                 c->L, c->d_tok, c->t_emb_dim);
        return -1;
    }
    return 0;
}

int scorenet_d_in(const scorenet_config_t *c) { return shape_of(c).d_in; }

static int has_features(const scorenet_config_t *c) { return scorenet_d_in(c) > c->d_tok; }

size_t scorenet_count_params(const scorenet_config_t *c) {
    const size_t d = (size_t)c->d_model, D = (size_t)c->d_tok, L = (size_t)c->L,
                 E = (size_t)c->t_emb_dim, Din = (size_t)scorenet_d_in(c);
    const size_t per_layer = 2 * d + (3 * d * d + 3 * d) + (d * d + d) + 2 * d
                           + (4 * d * d + 4 * d) + (4 * d * d + d);
    return (d * Din + d) + L * d + (d * E + d) + (d * d + d)
         + (size_t)c->n_layers * per_layer + 2 * d + (D * d + D);
}

/* Hands out consecutive slices of one buffer, in the documented layout order. */
static float *take(float **cur, size_t n) { float *p = *cur; *cur += n; return p; }

static size_t lay_out(const scorenet_config_t *c, float *base, scorenet_tensors_t *t) {
    const size_t d = (size_t)c->d_model, D = (size_t)c->d_tok, L = (size_t)c->L,
                 E = (size_t)c->t_emb_dim;
    float *cur = base;
    t->tok_w = take(&cur, d * (size_t)scorenet_d_in(c));  t->tok_b = take(&cur, d);
    t->pos = take(&cur, L * d);
    t->t1_w = take(&cur, d * E);   t->t1_b = take(&cur, d);
    t->t2_w = take(&cur, d * d);   t->t2_b = take(&cur, d);
    for (int l = 0; l < c->n_layers; l++) {
        scorenet_block_t *b = &t->blk[l];
        b->ln1_w = take(&cur, d);          b->ln1_b = take(&cur, d);
        b->qkv_w = take(&cur, 3 * d * d);  b->qkv_b = take(&cur, 3 * d);
        b->proj_w = take(&cur, d * d);     b->proj_b = take(&cur, d);
        b->ln2_w = take(&cur, d);          b->ln2_b = take(&cur, d);
        b->fc1_w = take(&cur, 4 * d * d);  b->fc1_b = take(&cur, 4 * d);
        b->fc2_w = take(&cur, 4 * d * d);  b->fc2_b = take(&cur, d);
    }
    t->lnf_w = take(&cur, d);  t->lnf_b = take(&cur, d);
    t->out_w = take(&cur, D * d);  t->out_b = take(&cur, D);
    return (size_t)(cur - base);
}

static void init_weights(scorenet_t *net, rng_t *r) {
    const scorenet_config_t *c = &net->cfg;
    const int d = c->d_model, D = c->d_tok, L = c->L, E = c->t_emb_dim;
    scorenet_tensors_t *p = &net->p;
    const float res_scale = 1.0f / sqrtf(2.0f * (float)c->n_layers);
    memset(net->params, 0, net->n_params * sizeof(float));
    const int Din = scorenet_d_in(c);
    (void)D;
    nn_init_normal(p->tok_w, (size_t)d * Din, 1.0f / sqrtf((float)Din), r);
    nn_init_normal(p->pos, (size_t)L * d, 0.02f, r);
    nn_init_normal(p->t1_w, (size_t)d * E, 1.0f / sqrtf((float)E), r);
    nn_init_normal(p->t2_w, (size_t)d * d, 1.0f / sqrtf((float)d), r);
    for (int l = 0; l < c->n_layers; l++) {
        scorenet_block_t *b = &p->blk[l];
        for (int i = 0; i < d; i++) b->ln1_w[i] = b->ln2_w[i] = 1.0f;
        nn_init_normal(b->qkv_w, (size_t)3 * d * d, 1.0f / sqrtf((float)d), r);
        nn_init_normal(b->proj_w, (size_t)d * d, res_scale / sqrtf((float)d), r);
        nn_init_normal(b->fc1_w, (size_t)4 * d * d, 1.0f / sqrtf((float)d), r);
        nn_init_normal(b->fc2_w, (size_t)4 * d * d, res_scale / sqrtf(4.0f * (float)d), r);
    }
    for (int i = 0; i < d; i++) p->lnf_w[i] = 1.0f;
    nn_init_normal(p->out_w, (size_t)D * d, 1.0f / sqrtf((float)d), r);
}

/* Activation slices are rounded up to 16 floats (64 bytes) so every buffer
 * starts on a cache line.  With a NULL base the layout only measures. */
typedef struct { float *base; size_t off; } cursor_t;
static float *take_act(cursor_t *cur, size_t n) {
    float *p = cur->base ? cur->base + cur->off : NULL;
    cur->off += (n + 15) & ~(size_t)15;
    return p;
}

static size_t lay_out_acts(scorenet_t *net, float *base) {
    const scorenet_config_t *c = &net->cfg;
    const size_t B = (size_t)net->max_batch, d = (size_t)c->d_model, D = (size_t)c->d_tok,
                 L = (size_t)c->L, E = (size_t)c->t_emb_dim, H = (size_t)c->n_heads;
    const size_t N = B * L;
    cursor_t cur0 = { base, 0 }, *cur = &cur0;
    net->tsin = take_act(cur, B * E);
    net->th = take_act(cur, B * d);
    net->ta = take_act(cur, B * d);
    net->temb = take_act(cur, B * d);
    net->feat_val = has_features(c) ? take_act(cur, N * (size_t)shape_of(c).nnz) : NULL;
    net->feat_wt = has_features(c) ? take_act(cur, (size_t)scorenet_d_in(c) * d) : NULL;
    net->res0 = take_act(cur, N * d);
    for (int l = 0; l < c->n_layers; l++) {
        scorenet_layer_acts_t *a = &net->la[l];
        a->ln1 = take_act(cur, N * d);
        a->ln1_mean = take_act(cur, N);
        a->ln1_rstd = take_act(cur, N);
        a->qkv = take_act(cur, N * 3 * d);
        a->att = take_act(cur, B * H * L * L);
        a->atty = take_act(cur, N * d);
        a->res1 = take_act(cur, N * d);
        a->ln2 = take_act(cur, N * d);
        a->ln2_mean = take_act(cur, N);
        a->ln2_rstd = take_act(cur, N);
        a->fch = take_act(cur, N * 4 * d);
        a->fcg = take_act(cur, N * 4 * d);
        a->res2 = take_act(cur, N * d);
    }
    net->lnf = take_act(cur, N * d);
    net->lnf_mean = take_act(cur, N);
    net->lnf_rstd = take_act(cur, N);
    net->eps = take_act(cur, N * D);
    net->d_res = take_act(cur, N * d);
    net->d_ln = take_act(cur, N * d);
    net->d_atty = take_act(cur, N * d);
    net->d_qkv = take_act(cur, N * 3 * d);
    net->d_fc = take_act(cur, N * 4 * d);
    net->d_eps = take_act(cur, N * D);
    net->d_temb = take_act(cur, B * d);
    net->d_th = take_act(cur, B * d);
    net->d_scratch = take_act(cur, L);
    return cur->off;
}

static float *alloc_floats(size_t n) {
    /* 64-byte aligned, and written once now so that no page is first touched
     * (faulted in) inside a training step. */
    size_t bytes = ((n * sizeof(float)) + 63) & ~(size_t)63;
    float *p = aligned_alloc(64, bytes ? bytes : 64);
    if (p) memset(p, 0, bytes);
    return p;
}

int scorenet_create(scorenet_t *net, const scorenet_config_t *cfg, int max_batch,
                    rng_t *init, char *err, size_t errn) {
    memset(net, 0, sizeof *net);
    if (scorenet_config_check(cfg, err, errn)) return -1;
    if (max_batch < 1 || max_batch > MAX_BATCH) {
        snprintf(err, errn, "scorenet: max_batch %d must be in [1, %d]", max_batch, MAX_BATCH);
        return -1;
    }
    net->cfg = *cfg;
    net->max_batch = max_batch;
    net->n_params = scorenet_count_params(cfg);
    net->p.blk = calloc((size_t)cfg->n_layers, sizeof(scorenet_block_t));
    net->g.blk = calloc((size_t)cfg->n_layers, sizeof(scorenet_block_t));
    net->la = calloc((size_t)cfg->n_layers, sizeof(scorenet_layer_acts_t));
    net->params = alloc_floats(net->n_params);
    if (has_features(cfg))
        net->feat_idx = malloc(sizeof(int) * (size_t)max_batch * (size_t)cfg->L * (size_t)shape_of(cfg).nnz);
    net->grads = alloc_floats(net->n_params);
    size_t n_act = 0;
    if (net->la) {
        n_act = lay_out_acts(net, NULL);
        net->arena = alloc_floats(n_act);
    }
    if (!net->p.blk || !net->g.blk || !net->la || !net->params || !net->grads || !net->arena ||
        (has_features(cfg) && !net->feat_idx)) {
        snprintf(err, errn, "scorenet: out of memory (%zu parameters, %zu activation floats "
                 "for max_batch %d)", net->n_params, n_act, max_batch);
        scorenet_free(net);
        return -1;
    }
    lay_out_acts(net, net->arena);
    size_t np = lay_out(cfg, net->params, &net->p);
    size_t ng = lay_out(cfg, net->grads, &net->g);
    if (np != net->n_params || ng != net->n_params) {
        snprintf(err, errn, "scorenet: internal error: layout %zu != count %zu", np, net->n_params);
        scorenet_free(net);
        return -1;
    }
    init_weights(net, init);
    return 0;
}

void scorenet_init_weights(scorenet_t *net, rng_t *init) { init_weights(net, init); }

void scorenet_free(scorenet_t *net) {
    free(net->p.blk);
    free(net->g.blk);
    free(net->la);
    free(net->params);
    free(net->grads);
    free(net->arena);
    free(net->feat_idx);
    memset(net, 0, sizeof *net);
}

size_t scorenet_n_params(const scorenet_t *net) { return net->n_params; }

/* keep_all: every layer writes its own activations, for backward.  Otherwise
 * (inference) all layers reuse layer 0's buffers, so the working set is one
 * layer's and stays in cache. */
static void forward(scorenet_t *net, const float *x, const float *t, int B, int keep_all) {
    const scorenet_config_t *c = &net->cfg;
    const int d = c->d_model, D = c->d_tok, L = c->L, E = c->t_emb_dim, H = c->n_heads;
    const int N = B * L;
    const scorenet_tensors_t *p = &net->p;

    /* diffusion-step embedding (B,d), added to every token */
    timestep_embedding(net->tsin, t, B, E);
    linear_forward(net->th, net->tsin, p->t1_w, p->t1_b, NULL, B, E, d);
    silu_forward(net->ta, net->th, (size_t)B * d);
    linear_forward(net->temb, net->ta, p->t2_w, p->t2_b, NULL, B, d, d);

    if (net->feat_val) {
        const embed_shape_t sh = shape_of(c);
        embed_features(&sh, x, N, net->feat_idx, net->feat_val);
        embed_forward(&sh, net->res0, net->feat_idx, net->feat_val, p->tok_w, p->tok_b, net->feat_wt, N, d);
    } else {
        linear_forward(net->res0, x, p->tok_w, p->tok_b, NULL, N, D, d);
    }
    add_rows_forward(net->res0, p->pos, net->temb, B, L, d);

    const float *r = net->res0;
    for (int l = 0; l < c->n_layers; l++) {
        const scorenet_block_t *w = &p->blk[l];
        scorenet_layer_acts_t *a = &net->la[keep_all ? l : 0];
        /* inference keeps nothing for backward: LN2 reuses LN1's buffer and GELU
         * runs in place, shrinking the working set further */
        float *ln2 = keep_all ? a->ln2 : a->ln1, *fcg = keep_all ? a->fcg : a->fch;
        layernorm_forward(a->ln1, a->ln1_mean, a->ln1_rstd, r, w->ln1_w, w->ln1_b, N, d);
        linear_forward(a->qkv, a->ln1, w->qkv_w, w->qkv_b, NULL, N, d, 3 * d);
        attention_forward(a->atty, a->att, a->qkv, B, L, d, H);
        linear_forward(a->res1, a->atty, w->proj_w, w->proj_b, r, N, d, d);
        layernorm_forward(ln2, a->ln2_mean, a->ln2_rstd, a->res1, w->ln2_w, w->ln2_b, N, d);
        linear_forward(a->fch, ln2, w->fc1_w, w->fc1_b, NULL, N, d, 4 * d);
        gelu_forward(fcg, a->fch, (size_t)N * 4 * d);
        linear_forward(a->res2, fcg, w->fc2_w, w->fc2_b, a->res1, N, 4 * d, d);
        r = a->res2;
    }
    layernorm_forward(net->lnf, net->lnf_mean, net->lnf_rstd, r, p->lnf_w, p->lnf_b, N, d);
    linear_forward(net->eps, net->lnf, p->out_w, p->out_b, NULL, N, d, D);
}

static int batch_ok(const scorenet_t *net, int B) { return B >= 1 && B <= net->max_batch; }

int scorenet_forward(scorenet_t *net, const float *x, const float *t, int B, float *eps_out) {
    if (!batch_ok(net, B)) return -1;
    forward(net, x, t, B, 0);
    if (eps_out) memcpy(eps_out, net->eps, (size_t)B * net->cfg.L * net->cfg.d_tok * sizeof(float));
    return 0;
}

float scorenet_loss(scorenet_t *net, const float *x, const float *t,
                    const float *eps_target, const float *mask, int B) {
    if (!batch_ok(net, B)) return NAN;
    forward(net, x, t, B, 0);
    return mse_forward_backward(NULL, net->eps, eps_target, mask,
                                (size_t)B * net->cfg.L * net->cfg.d_tok);
}

float scorenet_loss_backward(scorenet_t *net, const float *x, const float *t,
                             const float *eps_target, const float *mask, int B) {
    const scorenet_config_t *c = &net->cfg;
    const int d = c->d_model, D = c->d_tok, L = c->L, E = c->t_emb_dim, H = c->n_heads;
    const int N = B * L;
    const scorenet_tensors_t *p = &net->p, *g = &net->g;

    if (!batch_ok(net, B)) return NAN;
    forward(net, x, t, B, 1);
    const float loss = mse_forward_backward(net->d_eps, net->eps, eps_target, mask,
                                            (size_t)N * D);
    memset(net->grads, 0, net->n_params * sizeof(float));

    const float *r_last = net->la[c->n_layers - 1].res2;
    linear_backward(net->d_ln, g->out_w, g->out_b, net->d_eps, net->lnf, p->out_w, N, d, D);
    memset(net->d_res, 0, (size_t)N * d * sizeof(float));
    layernorm_backward(net->d_res, g->lnf_w, g->lnf_b, net->d_ln, r_last, p->lnf_w,
                       net->lnf_mean, net->lnf_rstd, N, d);

    /* d_res carries the gradient of the residual stream down through the layers:
     * each branch's input gradient is added to it by layernorm_backward. */
    for (int l = c->n_layers - 1; l >= 0; l--) {
        const scorenet_block_t *w = &p->blk[l], *gw = &g->blk[l];
        const scorenet_layer_acts_t *a = &net->la[l];
        const float *r_in = l ? net->la[l - 1].res2 : net->res0;
        linear_backward(net->d_fc, gw->fc2_w, gw->fc2_b, net->d_res, a->fcg, w->fc2_w, N, 4 * d, d);
        gelu_backward(net->d_fc, net->d_fc, a->fch, (size_t)N * 4 * d);
        linear_backward(net->d_ln, gw->fc1_w, gw->fc1_b, net->d_fc, a->ln2, w->fc1_w, N, d, 4 * d);
        layernorm_backward(net->d_res, gw->ln2_w, gw->ln2_b, net->d_ln, a->res1, w->ln2_w,
                           a->ln2_mean, a->ln2_rstd, N, d);
        linear_backward(net->d_atty, gw->proj_w, gw->proj_b, net->d_res, a->atty, w->proj_w, N, d, d);
        attention_backward(net->d_qkv, net->d_scratch, net->d_atty, a->qkv, a->att, B, L, d, H);
        linear_backward(net->d_ln, gw->qkv_w, gw->qkv_b, net->d_qkv, a->ln1, w->qkv_w, N, d, 3 * d);
        layernorm_backward(net->d_res, gw->ln1_w, gw->ln1_b, net->d_ln, r_in, w->ln1_w,
                           a->ln1_mean, a->ln1_rstd, N, d);
    }

    /* embeddings: d_res is now d loss / d res0 */
    memset(net->d_temb, 0, (size_t)B * d * sizeof(float));
    add_rows_backward(g->pos, net->d_temb, net->d_res, B, L, d);
    if (net->feat_val) {
        const embed_shape_t sh = shape_of(c);
        embed_backward(&sh, g->tok_w, g->tok_b, net->d_res, net->feat_idx, net->feat_val, net->feat_wt, N, d);
    } else {
        linear_backward(NULL, g->tok_w, g->tok_b, net->d_res, x, p->tok_w, N, D, d);
    }
    linear_backward(net->d_th, g->t2_w, g->t2_b, net->d_temb, net->ta, p->t2_w, B, d, d);
    silu_backward(net->d_th, net->d_th, net->th, (size_t)B * d);
    linear_backward(NULL, g->t1_w, g->t1_b, net->d_th, net->tsin, p->t1_w, B, E, d);
    return loss;
}

/* ---- FLOP counts ------------------------------------------------------------ */

double scorenet_flops_forward(const scorenet_config_t *c, int B) {
    const double d = c->d_model, D = c->d_tok, L = c->L, E = c->t_emb_dim;
    const double N = (double)B * L;
    double f = 2.0 * B * (E * d + d * d);                 /* time MLP */
    f += 2.0 * N * shape_of(c).nnz * d;                   /* token embedding (embed.h: the entries kept) */
    f += c->n_layers * (2.0 * N * 12.0 * d * d            /* qkv, proj, fc1, fc2 */
                        + 4.0 * B * L * L * d);           /* q k^T and P v, all heads */
    f += 2.0 * N * d * D;                                 /* output */
    return f;
}

double scorenet_flops_train(const scorenet_config_t *c, int B) {
    const double d = c->d_model, D = c->d_tok, L = c->L, E = c->t_emb_dim;
    const double N = (double)B * L;
    /* backward: two GEMMs per linear (dW and dinp) except the two whose input is
     * data (token embedding, first time-MLP layer: dW only); attention backward
     * has four products (dP, dq, dk, dv) of the size of one forward product */
    const double Din = shape_of(c).nnz;
    double lin_fwd = 2.0 * B * (E * d + d * d) + 2.0 * N * Din * d
                   + c->n_layers * 2.0 * N * 12.0 * d * d + 2.0 * N * d * D;
    double lin_bwd = 2.0 * lin_fwd - 2.0 * N * Din * d - 2.0 * B * E * d;
    double att_bwd = c->n_layers * 8.0 * B * L * L * d;
    return scorenet_flops_forward(c, B) + lin_bwd + att_bwd;
}

/* ---- checkpoints ------------------------------------------------------------ */

size_t scorenet_ckpt_len(const scorenet_config_t *cfg, int has_ema) {
    return SCORENET_CKPT_HEADER + (has_ema ? 4 : 3) * scorenet_count_params(cfg);
}

static void split24(float *hi, float *lo, unsigned long long v) {
    *hi = (float)(double)(v >> 24);
    *lo = (float)(double)(v & 0xFFFFFFull);
}

void scorenet_ckpt_save(const scorenet_t *net, const adam_t *adam, const ema_t *ema, float *out) {
    const scorenet_config_t *c = &net->cfg;
    const size_t P = net->n_params;
    memset(out, 0, SCORENET_CKPT_HEADER * sizeof(float));
    out[0] = CKPT_MAGIC;
    out[1] = CKPT_VERSION;
    out[2] = (float)c->d_model;
    out[3] = (float)c->n_heads;
    out[4] = (float)c->n_layers;
    out[5] = (float)c->L;
    out[6] = (float)c->d_tok;
    out[7] = (float)c->t_emb_dim;
    split24(&out[8], &out[9], P);
    split24(&out[10], &out[11], adam ? (unsigned long long)adam->step : 0ull);
    out[12] = ema ? 1.0f : 0.0f;
    out[13] = (float)(c->n_fourier + 32 * c->rbf_cells + 64 * c->n_ctx);
    out[14] = (float)c->n_coord;
    out[15] = (float)(c->n_rbf_x + 4096 * c->n_rbf_y);
    float *body = out + SCORENET_CKPT_HEADER;
    memcpy(body, net->params, P * sizeof(float));
    if (adam) {
        memcpy(body + P, adam->m, P * sizeof(float));
        memcpy(body + 2 * P, adam->v, P * sizeof(float));
    } else {
        memset(body + P, 0, 2 * P * sizeof(float));
    }
    if (ema) memcpy(body + 3 * P, ema->w, P * sizeof(float));
}

static int is_uint24(float f) { return f >= 0.0f && f < (float)F24 && f == floorf(f); }

int scorenet_ckpt_load(scorenet_t *net, adam_t *adam, ema_t *ema, const float *in,
                       size_t n, char *err, size_t errn) {
    const scorenet_config_t *c = &net->cfg;
    const size_t P = net->n_params, no_ema = scorenet_ckpt_len(c, 0), with_ema = scorenet_ckpt_len(c, 1);
    if (n != no_ema && n != with_ema) {
        snprintf(err, errn, "checkpoint: %zu floats, but this network (d_model %d, n_heads %d, "
                 "n_layers %d, L %d, d_tok %d) needs %zu (without EMA) or %zu (with)", n, c->d_model,
                 c->n_heads, c->n_layers, c->L, c->d_tok, no_ema, with_ema);
        return -1;
    }
    if (in[0] != CKPT_MAGIC || in[1] != CKPT_VERSION) {
        snprintf(err, errn, "checkpoint: not a scorenet checkpoint of format %d "
                 "(magic %g, version %g): written by another program or damaged",
                 (int)CKPT_VERSION, (double)in[0], (double)in[1]);
        return -1;
    }
    const int dims[9] = { c->d_model, c->n_heads, c->n_layers, c->L, c->d_tok, c->t_emb_dim,
                          c->n_fourier + 32 * c->rbf_cells + 64 * c->n_ctx, c->n_coord, c->n_rbf_x + 4096 * c->n_rbf_y };
    static const char *names[9] = { "d_model", "n_heads", "n_layers", "L", "d_tok", "t_emb_dim",
                                    "n_fourier + 32 rbf_cells + 64 n_ctx", "n_coord", "n_rbf_x + 4096 n_rbf_y" };
    for (int i = 0; i < 9; i++)
        if (in[i < 6 ? 2 + i : 7 + i] != (float)dims[i]) {
            snprintf(err, errn, "checkpoint: %s is %g in the checkpoint but %d in this network",
                     names[i], (double)in[i < 6 ? 2 + i : 7 + i], dims[i]);
            return -1;
        }
    for (int i = 8; i < 12; i++)
        if (!is_uint24(in[i])) {
            snprintf(err, errn, "checkpoint: header entry %d (%g) is not a count: damaged", i,
                     (double)in[i]);
            return -1;
        }
    const unsigned long long np = ((unsigned long long)in[8] << 24) | (unsigned long long)in[9];
    const unsigned long long step = ((unsigned long long)in[10] << 24) | (unsigned long long)in[11];
    if (np != P) {
        snprintf(err, errn, "checkpoint: holds %llu parameters, this network has %zu", np, P);
        return -1;
    }
    if (in[12] != 0.0f && in[12] != 1.0f) {
        snprintf(err, errn, "checkpoint: EMA flag %g is neither 0 nor 1: damaged", (double)in[12]);
        return -1;
    }
    const int has_ema = in[12] == 1.0f;
    if (n != scorenet_ckpt_len(c, has_ema)) {
        snprintf(err, errn, "checkpoint: %zu floats, but its EMA flag says %s an EMA, which takes %zu: "
                 "truncated or damaged", n, has_ema ? "with" : "without", scorenet_ckpt_len(c, has_ema));
        return -1;
    }
    if (adam && adam->n != P) {
        snprintf(err, errn, "checkpoint: optimiser has %zu slots, network %zu", adam->n, P);
        return -1;
    }
    if (ema && ema->n != P) {
        snprintf(err, errn, "checkpoint: EMA has %zu slots, network %zu", ema->n, P);
        return -1;
    }
    const float *body = in + SCORENET_CKPT_HEADER;
    for (size_t i = 0; i < P; i++)
        if (!isfinite(body[i])) {
            snprintf(err, errn, "checkpoint: parameter %zu is not finite: the saved run had "
                     "diverged or the data is damaged", i);
            return -1;
        }
    memcpy(net->params, body, P * sizeof(float));
    if (adam) {
        memcpy(adam->m, body + P, P * sizeof(float));
        memcpy(adam->v, body + 2 * P, P * sizeof(float));
        adam->step = (long long)step;
    }
    if (ema) memcpy(ema->w, has_ema ? body + 3 * P : body, P * sizeof(float));
    return 0;
}
