/* scorenet: the transformer denoiser (epsilon prediction) of the diffusion agent.
 *
 *   x (B,L,D_tok) --[features]--linear--> (B,L,d) + pos (L,d) + temb(t) (B,d, same for every token)
 *   features (optional): x with, for each of its first n_coord entries x_i,
 *   sin(2^k pi x_i) and cos(2^k pi x_i) for k < n_fourier appended (Fourier
 *   features, Tancik et al. 2020), and for each (x, y) pair among them radial
 *   basis features exp(-(x - c_k)^2 / (2 s^2)) at n_rbf_x evenly spaced
 *   centres c_k in [-1, 1] (s half their spacing), the same for y with
 *   n_rbf_y: a soft one-hot code of the grid's column and row; with rbf_cells
 *   also their products, a soft one-hot code of the cell.  A network on raw
 *   coordinates learns smooth functions of them fast and a maze's walls
 *   (which are not smooth) very slowly; on the row and column codes a wall is
 *   a conjunction of two features, on the cell code a single one.  The
 *   features are kept sparse (embed.h): a token's bumps far from its
 *   coordinate (below 2.3e-11) are left out, so the embedding's cost does
 *   not grow with the grid.
 *   temb(t) = W2 silu(W1 sinusoid_64(t) + b1) + b2
 *   n_layers x pre-LN block:  r += Wo attn(LN1(r)) + bo;  r += W2 gelu(W1 LN2(r) + b1) + b2
 *   eps = Wout LNf(r) + bout                                          (B,L,D_tok)
 *
 * One contiguous float buffer holds every parameter and one the gradients (layout
 * in docs/nn.md), so Adam, EMA and checkpoints are single loops over
 * scorenet_n_params() floats.  Activations are laid out once for max_batch;
 * forward, loss and backward never allocate.  Single-threaded by design: the
 * caller (runner, benchmark) sets OpenBLAS to one thread. */
#ifndef AIF_SCORENET_H
#define AIF_SCORENET_H
#include <stddef.h>
#include "nn/optim.h"
#include "core/rng.h"

typedef struct {
    int d_model;    /* width d; divisible by n_heads */
    int n_heads;
    int n_layers;
    int L;          /* tokens per window */
    int d_tok;      /* entries per token */
    int t_emb_dim;  /* sinusoidal embedding width (even); 64 by default */
    int n_fourier;  /* Fourier feature frequencies per coordinate (0: none) */
    int n_coord;    /* leading entries of a token that get features (<= d_tok; pairs x, y) */
    int n_rbf_x, n_rbf_y; /* radial basis centres per x / y coordinate (0: none) */
    int rbf_cells;  /* 1: also the products of the x and y bumps (a soft one-hot code of
                       the cell, n_rbf_x n_rbf_y features per pair); needs both > 0 */
    int n_ctx;      /* a context world's context entries (the token's last n_ctx): with rbf_cells,
                       z's cell code once more per context, gated by its entry (embed.h); 0: none */
} scorenet_config_t;

/* Entries per token after the feature map:
 * d_tok + 2 n_coord n_fourier + (n_coord / 2) (n_rbf_x + n_rbf_y + rbf_cells n_rbf_x n_rbf_y)
 * (+ n_ctx n_rbf_x n_rbf_y with rbf_cells and n_coord >= 4). */
int scorenet_d_in(const scorenet_config_t *cfg);

/* Per-layer parameter views into the flat buffer (and the same for gradients). */
typedef struct {
    float *ln1_w, *ln1_b;     /* (d), (d) */
    float *qkv_w, *qkv_b;     /* (3d,d), (3d) */
    float *proj_w, *proj_b;   /* (d,d), (d) */
    float *ln2_w, *ln2_b;     /* (d), (d) */
    float *fc1_w, *fc1_b;     /* (4d,d), (4d) */
    float *fc2_w, *fc2_b;     /* (d,4d), (d) */
} scorenet_block_t;

typedef struct {
    float *tok_w, *tok_b;     /* (d,D_in), (d) */
    float *pos;               /* (L,d) */
    float *t1_w, *t1_b;       /* (d,t_emb_dim), (d) */
    float *t2_w, *t2_b;       /* (d,d), (d) */
    scorenet_block_t *blk;    /* n_layers */
    float *lnf_w, *lnf_b;     /* (d), (d) */
    float *out_w, *out_b;     /* (D_tok,d), (D_tok) */
} scorenet_tensors_t;

/* Activations of one layer, (B*L) rows unless stated. */
typedef struct {
    float *ln1, *ln1_mean, *ln1_rstd;   /* (N,d), (N), (N) */
    float *qkv;                         /* (N,3d) */
    float *att;                         /* (B,H,L,L) */
    float *atty;                        /* (N,d) */
    float *res1;                        /* (N,d) residual after attention */
    float *ln2, *ln2_mean, *ln2_rstd;
    float *fch;                         /* (N,4d) pre-GELU */
    float *fcg;                         /* (N,4d) GELU output */
    float *res2;                        /* (N,d) residual after MLP = next layer's input */
} scorenet_layer_acts_t;

typedef struct {
    scorenet_config_t cfg;
    int max_batch;
    size_t n_params;
    float *params, *grads;              /* n_params each */
    scorenet_tensors_t p, g;            /* views into params and grads */
    /* activations (allocated once for max_batch) */
    float *arena;
    float *tsin, *th, *ta, *temb;       /* (B,t_emb_dim), (B,d) x3 */
    int *feat_idx; float *feat_val;     /* (N,nnz) each: the input features kept (embed.h; NULL: none, x is used) */
    float *feat_wt;                     /* (D_in,d): the token embedding's weights transposed (scratch) */
    float *res0;                        /* (N,d) */
    scorenet_layer_acts_t *la;
    float *lnf, *lnf_mean, *lnf_rstd;   /* (N,d), (N), (N) */
    float *eps;                         /* (N,D_tok) last forward's output */
    /* gradient scratch, shared by all layers */
    float *d_res, *d_ln, *d_atty, *d_qkv, *d_fc, *d_eps, *d_temb, *d_th, *d_scratch;
} scorenet_t;

/* 0 if cfg is usable, else -1 with a message naming the bad field. */
int scorenet_config_check(const scorenet_config_t *cfg, char *err, size_t errn);
size_t scorenet_count_params(const scorenet_config_t *cfg);

/* Allocates everything for batches up to max_batch and initialises the weights
 * from `init` (normal, std 1/sqrt(fan_in), residual projections further scaled by
 * 1/sqrt(2 n_layers), positional embedding std 0.02, biases 0, LN gain 1).
 * Returns 0, or -1 with a message (bad config, out of memory). */
int scorenet_create(scorenet_t *net, const scorenet_config_t *cfg, int max_batch,
                    rng_t *init, char *err, size_t errn);
void scorenet_free(scorenet_t *net);
/* Re-draw the initial weights in place from `init`, exactly as scorenet_create
 * does (the same stream gives the same weights); allocates nothing. */
void scorenet_init_weights(scorenet_t *net, rng_t *init);
size_t scorenet_n_params(const scorenet_t *net);

/* x (B,L,D_tok), t (B) diffusion step (any float scale, |t| < 1e9) -> eps_out
 * (B,L,D_tok) (eps_out may be NULL: the result stays in net->eps).
 * Returns 0, or -1 (nothing computed) unless 1 <= B <= max_batch.  An inference
 * pass: it keeps no per-layer activations, so it cannot be followed by a
 * backward (scorenet_loss_backward runs its own forward). */
int scorenet_forward(scorenet_t *net, const float *x, const float *t, int B, float *eps_out);
/* Forward only: masked MSE of the prediction against eps_target (mask NULL: all).
 * Both loss functions return NAN, computing nothing, unless 1 <= B <= max_batch. */
float scorenet_loss(scorenet_t *net, const float *x, const float *t,
                    const float *eps_target, const float *mask, int B);
/* Forward, loss and backward: net->grads is zeroed, then holds d loss / d params.
 * Returns the loss (mean over the mask's weight, see mse_forward_backward). */
float scorenet_loss_backward(scorenet_t *net, const float *x, const float *t,
                             const float *eps_target, const float *mask, int B);

/* GEMM FLOPs (2 M N K per matrix product, elementwise work not counted) of one
 * forward pass and of one training step (forward + backward) at batch B. */
double scorenet_flops_forward(const scorenet_config_t *cfg, int B);
double scorenet_flops_train(const scorenet_config_t *cfg, int B);

/* ---- checkpoints -------------------------------------------------------------
 * One flat float buffer of scorenet_ckpt_len(cfg, has_ema) floats (docs/nn.md):
 *   [0] magic 0xABCDEF, [1] format version 1,
 *   [2..7] d_model, n_heads, n_layers, L, d_tok, t_emb_dim,
 *   [8..9] n_params = [8] 2^24 + [9], [10..11] Adam step = [10] 2^24 + [11],
 *   [12] 1 if an EMA is stored, else 0, [13] n_fourier + 32 rbf_cells + 64 n_ctx, [14] n_coord,
 *   [15] n_rbf_x + 4096 n_rbf_y
 *   (every entry an integer < 2^24, so exact)
 *   then params, Adam m, Adam v (n_params each) and, only if [12] is 1, the
 *   EMA weights (n_params): header + 3 n_params floats without an EMA,
 *   header + 4 n_params with one.  Each array is stored once.
 * Loading restores everything bit for bit, so a loaded model gives the saved
 * model's outputs and training continues as if never interrupted. */
#define SCORENET_CKPT_HEADER 16
size_t scorenet_ckpt_len(const scorenet_config_t *cfg, int has_ema);
/* Writes scorenet_ckpt_len(cfg, ema != NULL) floats.  adam may be NULL (its
 * slots are then zeros, step 0); ema NULL: no EMA slot. */
void scorenet_ckpt_save(const scorenet_t *net, const adam_t *adam, const ema_t *ema, float *out);
/* Returns 0, or -1 with a message (size, magic or shape mismatch, a length
 * that does not match the EMA flag, bad step count); on failure nothing is
 * changed.  adam/ema may be NULL (their slots are ignored).  A given ema gets
 * the stored EMA, or the parameters if the checkpoint has none. */
int scorenet_ckpt_load(scorenet_t *net, adam_t *adam, ema_t *ema, const float *in,
                       size_t n, char *err, size_t errn);

#endif
