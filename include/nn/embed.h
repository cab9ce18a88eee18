/* embed: the score network's token embedding r0 = W f(x) + b on sparse input
 * features.
 *
 * f(x) is the feature map of scorenet.h: a token x (d_tok entries), its first
 * n_coord entries' Fourier features, and for each coordinate pair radial basis
 * bumps exp(-u^2 / 2) of the column and the row and (rbf_cells) their
 * products, one per cell of the grid.  On a 32 x 32 grid that is 2,000+
 * columns, of which a token has a few dozen that are not vanishingly small:
 * a bump more than 3.5 spacings from its centre is below exp(-24.5) = 2.3e-11.
 * So each token keeps, per axis, the EMBED_WINDOW centres nearest its
 * coordinate (the window is shifted inward at the grid's edge, so it always
 * holds min(n, EMBED_WINDOW) centres) and the products of those; every feature
 * dropped is below 2.3e-11 (a dense f(x) differs from this one by no more).
 * The embedding then costs (entries kept) x d per token instead of d_in x d,
 * forward and backward, and its input no longer grows with the grid.
 *
 * With n_ctx > 0 (a world with hidden contexts, rbf_cells on, n_coord >= 4)
 * the second pair's cell code (the state z's) comes once more per context c,
 * times the gate clamp((x_c + 1) / 2, 0, 1) of that context's entry (the
 * token's last n_ctx entries, a one-hot in +-1): the code of the state (cell,
 * context), so that what holds in one cell in one context only is one feature
 * away, as a wall is on the cell code.
 *
 * W is (d, d_in) as every linear weight (nn.h), so checkpoints are unchanged;
 * forward and backward work on a transposed copy in caller-given scratch.
 * Nothing here allocates. */
#ifndef AIF_EMBED_H
#define AIF_EMBED_H
#include <stddef.h>

#define EMBED_WINDOW 7 /* bump centres kept per axis: the nearest, and 3 on each side */

typedef struct {
    int d_tok, n_coord, n_fourier, n_rbf_x, n_rbf_y, rbf_cells, n_ctx;
    int d_in;  /* columns of f(x) (scorenet_d_in) */
    int nnz;   /* entries kept per token (<= d_in) */
} embed_shape_t;

/* The shape of a feature map (arguments as scorenet_config_t's fields, already
 * checked by scorenet_config_check). */
embed_shape_t embed_shape(int d_tok, int n_coord, int n_fourier, int n_rbf_x, int n_rbf_y,
                          int rbf_cells, int n_ctx);

/* The kept entries of f(x) for N tokens x (N, d_tok): column indices idx and
 * values val, (N, nnz) each, in a fixed order per token. */
void embed_features(const embed_shape_t *s, const float *x, int N, int *idx, float *val);

/* out (N, d) = W f + b for the tokens of embed_features; w (d, d_in), b (d);
 * wt: d_in x d floats of scratch. */
void embed_forward(const embed_shape_t *s, float *out, const int *idx, const float *val,
                   const float *w, const float *b, float *wt, int N, int d);

/* dw (d, d_in) += dout^T f, db (d) += the column sums of dout (N, d);
 * dwt: d_in x d floats of scratch.  (f is data: no input gradient.) */
void embed_backward(const embed_shape_t *s, float *dw, float *db, const float *dout, const int *idx,
                    const float *val, float *dwt, int N, int d);

#endif
