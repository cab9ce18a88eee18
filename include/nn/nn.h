/* nn: float32 layers with explicit forward and backward passes.
 *
 * Every tensor is a row-major float buffer owned by the caller (a model struct
 * lays its parameters, gradients and activations out once, for a maximum batch;
 * nothing here allocates).  Shapes are given as ints, N = number of rows (for
 * token-wise layers N = B*T).  Linear weights are (OC, C), as in PyTorch.
 *
 * Gradient conventions (llm.c style, with one deliberate difference):
 *   - parameter gradients (dw, db, ...) always accumulate (+=), so the model
 *     zeroes its one gradient buffer once per step;
 *   - an input gradient `dinp` is WRITTEN (=) by linear, attention, gelu and
 *     silu backward: in the score network each of those inputs has exactly one
 *     consumer, and writing saves a zeroing pass and a read of the destination
 *     per GEMM;
 *   - layernorm_backward ADDS (+=) into dinp: its input is the residual stream,
 *     whose gradient is the sum of the skip path and the branch.
 * Forward passes cache what backward needs (LayerNorm mean and 1/std, attention
 * probabilities) in buffers the caller provides.
 *
 * GEMMs go through cblas_sgemm; the number of OpenBLAS threads is the caller's
 * business (the runner and the benchmark set it to 1, so results do not depend
 * on the machine's core count).  The elementwise kernels use GCC/Clang vector
 * extensions and a polynomial exp, with the same operations lane for lane on
 * every target (docs/nn.md, "Lane layout"), so results are bit-identical from
 * run to run and between the default and NATIVE=1 builds. */
#ifndef AIF_NN_H
#define AIF_NN_H
#include <stddef.h>
#include "core/rng.h"

/* ---- linear ---------------------------------------------------------------
 * inp (N,C), w (OC,C), b (OC) or NULL, out (N,OC), res (N,OC) or NULL.
 * forward: out = res + inp w^T + b.  res may be out itself (accumulate in place)
 * or another buffer (a residual connection: its gradient is dout itself). */
void linear_forward(float *out, const float *inp, const float *w, const float *b,
                    const float *res, int N, int C, int OC);
/* dout (N,OC).  dinp (N,C) written, or skipped when NULL; dw (OC,C) +=;
 * db (OC) += (skipped when NULL). */
void linear_backward(float *dinp, float *dw, float *db, const float *dout,
                     const float *inp, const float *w, int N, int C, int OC);

/* ---- layernorm ------------------------------------------------------------
 * inp, out (N,C); w, b (C); mean, rstd (N) cached for backward; eps 1e-5. */
#define NN_LN_EPS 1e-5f
void layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                       const float *w, const float *b, int N, int C);
/* dinp (N,C) +=, dw, db (C) +=. */
void layernorm_backward(float *dinp, float *dw, float *db, const float *dout,
                        const float *inp, const float *w, const float *mean,
                        const float *rstd, int N, int C);

/* ---- multi-head self-attention (no mask) ---------------------------------
 * qkv (B,T,3C): per token [q | k | v], each split into NH heads of C/NH;
 * out (B,T,C) with heads concatenated; att (B,NH,T,T) softmax probabilities,
 * cached for backward.  Scores are scaled by 1/sqrt(C/NH). */
void attention_forward(float *out, float *att, const float *qkv,
                       int B, int T, int C, int NH);
/* dqkv (B,T,3C) written; dout (B,T,C); scratch (T) floats. */
void attention_backward(float *dqkv, float *scratch, const float *dout, const float *qkv,
                        const float *att, int B, int T, int C, int NH);

/* ---- activations (elementwise, n entries) --------------------------------
 * gelu: tanh approximation, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))),
 * computed as x * sigmoid(2u) (PyTorch's GELU(approximate="tanh")).
 * silu: x * sigmoid(x).  dinp is written and may alias dout (in place). */
void gelu_forward(float *out, const float *inp, size_t n);
void gelu_backward(float *dinp, const float *dout, const float *inp, size_t n);
void silu_forward(float *out, const float *inp, size_t n);
void silu_backward(float *dinp, const float *dout, const float *inp, size_t n);

/* ---- residual and broadcast adds -----------------------------------------
 * residual: out = a + b (n entries); its backward is the identity into both
 * inputs, so a model just lets both inputs' gradients alias dout. */
void residual_forward(float *out, const float *a, const float *b, size_t n);
/* add_rows: x (B,T,C) += pos (T,C) (if not NULL) + per_batch (B,C) (if not NULL).
 * backward: dpos (T,C) += sum over b of dx; dper_batch (B,C) += sum over t
 * (either may be NULL). */
void add_rows_forward(float *x, const float *pos, const float *per_batch, int B, int T, int C);
void add_rows_backward(float *dpos, float *dper_batch, const float *dx, int B, int T, int C);

/* ---- sinusoidal embedding of the diffusion step --------------------------
 * t (B), out (B,dim), dim even, half = dim/2, f_i = 10000^(-i/half):
 * out[b, i] = sin(t_b f_i), out[b, half + i] = cos(t_b f_i).  No parameters and
 * no gradient (t is data). */
void timestep_embedding(float *out, const float *t, int B, int dim);

/* ---- loss -----------------------------------------------------------------
 * Masked mean squared error over n entries: sum m (pred - target)^2 / sum m,
 * m = mask or 1.  Writes dpred = d loss / d pred (may be NULL).  With an
 * all-zero mask the loss and gradient are 0.  Sums in double. */
float mse_forward_backward(float *dpred, const float *pred, const float *target,
                           const float *mask, size_t n);

/* ---- initialisation --------------------------------------------------------
 * w[i] = std * N(0,1) from the given stream, in index order. */
void nn_init_normal(float *w, size_t n, float std, rng_t *r);

#endif
