/* Unit tests of the sparse token embedding (embed.h) against the dense
 * definition of the feature map (scorenet.h): every column computed. */
#include "unit.h"
#include "nn/embed.h"
#include "core/rng.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The dense feature vector of one token: every column, by the definition
 * (scorenet.h) in the float arithmetic the dense map used. */
static void dense_features(const embed_shape_t *s, const float *x, double *f) {
    int col = 0;
    for (int e = 0; e < s->d_tok; e++) f[col++] = x[e];
    for (int j = 0; j < s->n_coord; j++) {
        float w = (float)M_PI;
        for (int k = 0; k < s->n_fourier; k++, w *= 2.0f) {
            f[col++] = sinf(w * x[j]);
            f[col++] = cosf(w * x[j]);
        }
    }
    for (int j = 0; j + 1 < s->n_coord && (s->n_rbf_x || s->n_rbf_y); j += 2) {
        float bx[64], by[64];
        const int n[2] = { s->n_rbf_x, s->n_rbf_y };
        for (int a = 0; a < 2; a++)
            for (int k = 0; k < n[a]; k++) {
                float v = x[j + a], e;
                if (n[a] == 1) {
                    e = expf(-0.5f * v * v);
                } else {
                    const float sp = 2.0f / (float)(n[a] - 1), inv = 2.0f / sp;
                    const float u = (v - (-1.0f + sp * (float)k)) * inv;
                    e = expf(-0.5f * u * u);
                }
                (a ? by : bx)[k] = e;
            }
        for (int k = 0; k < s->n_rbf_x; k++) f[col++] = bx[k];
        for (int k = 0; k < s->n_rbf_y; k++) f[col++] = by[k];
        if (s->rbf_cells)
            for (int u = 0; u < s->n_rbf_y; u++)
                for (int v = 0; v < s->n_rbf_x; v++) f[col++] = by[u] * bx[v];
        /* the second pair (z): the cell code once per context entry (the
         * token's last n_ctx), times that entry's gate (x + 1) / 2 in [0, 1] */
        for (int c = 0; j == 2 && s->rbf_cells && c < s->n_ctx; c++) {
            const float g = fminf(1.0f, fmaxf(0.0f, 0.5f * (x[s->d_tok - s->n_ctx + c] + 1.0f)));
            for (int u = 0; u < s->n_rbf_y; u++)
                for (int v = 0; v < s->n_rbf_x; v++) f[col++] = g * (by[u] * bx[v]);
        }
    }
}

/* Coordinates across and beyond the grid (noised tokens leave [-1, 1]), some
 * exactly on a centre or half-way between two. */
static float coord(rng_t *r, int i) {
    switch (i % 4) {
    case 0: return (float)(rng_uniform(r) * 3.0 - 1.5);
    case 1: return 2.5f * rng_normalf(r);
    case 2: return -1.0f + 2.0f * (float)rng_below(r, 9) / 8.0f;
    default: return -1.0f + (2.0f * (float)rng_below(r, 16) + 1.0f) / 16.0f;
    }
}

/* Forward and backward agree with the dense product W f + b and dout^T f, and
 * every column a token does not keep is below the documented 2.3e-11. */
static void test_sparse_matches_dense(void) {
    static const int shapes[][7] = {
        /* d_tok, n_coord, n_fourier, n_rbf_x, n_rbf_y, rbf_cells, n_ctx */
        { 14, 4, 0, 32, 32, 1, 0 }, { 14, 4, 0, 9, 15, 1, 0 }, { 10, 4, 2, 5, 3, 1, 0 },
        { 10, 4, 0, 1, 12, 1, 0 }, { 6, 2, 3, 20, 0, 0, 0 }, { 7, 4, 1, 0, 0, 0, 0 },
        { 17, 4, 0, 9, 9, 1, 2 }, { 12, 4, 1, 3, 5, 1, 3 }, { 9, 4, 0, 4, 4, 0, 2 },
    };
    rng_t r;
    rng_seed(&r, 7, 0, RNG_INIT);
    for (size_t sh = 0; sh < sizeof shapes / sizeof shapes[0]; sh++) {
        const int *q = shapes[sh];
        const embed_shape_t s = embed_shape(q[0], q[1], q[2], q[3], q[4], q[5], q[6]);
        const int N = 64, d = 19, Din = s.d_in;
        const int pairs = (q[3] || q[4]) ? q[1] / 2 : 0;
        const int ctx = q[5] && pairs >= 2 ? q[6] : 0; /* the state's code needs z's cell code */
        CHECK(Din == q[0] + 2 * q[1] * q[2] + pairs * (q[3] + q[4] + (q[5] ? q[3] * q[4] : 0)) + ctx * q[3] * q[4]);
        CHECK(s.nnz <= Din);
        float *x = malloc(sizeof(float) * N * q[0]), *w = malloc(sizeof(float) * d * Din), b[19], *out = malloc(sizeof(float) * N * d);
        float *val = malloc(sizeof(float) * N * s.nnz), *wt = malloc(sizeof(float) * Din * d), *dout = malloc(sizeof(float) * N * d);
        float *dw = calloc((size_t)d * Din, sizeof(float)), db[19] = { 0 };
        int *idx = malloc(sizeof(int) * N * s.nnz);
        double *f = malloc(sizeof(double) * Din), *dwr = calloc((size_t)d * Din, sizeof(double)), dbr[19] = { 0 };
        /* the entries after the coordinates: 0/1, or +-1 and in between (the context entries' gates) */
        for (int i = 0; i < N * q[0]; i++)
            x[i] = i % q[0] < q[1] ? coord(&r, i / q[0]) : i % 3 ? (float)rng_below(&r, 2) : (float)(rng_uniform(&r) * 3.0 - 1.5);
        for (int i = 0; i < d * Din; i++) w[i] = rng_normalf(&r);
        for (int i = 0; i < d; i++) b[i] = rng_normalf(&r);
        for (int i = 0; i < N * d; i++) dout[i] = rng_normalf(&r);
        embed_features(&s, x, N, idx, val);
        embed_forward(&s, out, idx, val, w, b, wt, N, d);
        embed_backward(&s, dw, db, dout, idx, val, wt, N, d);
        double worst = 0, worst_f = 0, worst_g = 0, dropped = 0;
        char *kept = malloc((size_t)Din);
        for (int n = 0; n < N; n++) {
            dense_features(&s, x + n * q[0], f);
            memset(kept, 0, (size_t)Din);
            for (int k = 0; k < s.nnz; k++) {
                const int c = idx[n * s.nnz + k];
                if (c < 0 || c >= Din || kept[c]) { dropped = INFINITY; break; } /* a column twice or out of range */
                kept[c] = 1;
                worst_f = fmax(worst_f, fabs(val[n * s.nnz + k] - f[c]));
            }
            for (int c = 0; c < Din; c++)
                if (!kept[c]) dropped = fmax(dropped, fabs(f[c]));
            for (int i = 0; i < d; i++) {
                double acc = b[i], scale = fabs(b[i]);
                for (int c = 0; c < Din; c++) { acc += (double)w[i * Din + c] * f[c]; scale += fabs(w[i * Din + c] * f[c]); }
                worst = fmax(worst, fabs(out[n * d + i] - acc) / (1e-6 + scale));
                dbr[i] += dout[n * d + i];
                for (int c = 0; c < Din; c++) dwr[i * Din + c] += dout[n * d + i] * f[c];
            }
        }
        for (int i = 0; i < d; i++) {
            worst_g = fmax(worst_g, fabs(db[i] - dbr[i]) / (1e-6 + N));
            for (int c = 0; c < Din; c++) worst_g = fmax(worst_g, fabs(dw[i * Din + c] - dwr[i * Din + c]) / (1e-5 + N));
        }
        free(x); free(w); free(out); free(val); free(wt); free(dout); free(dw); free(idx); free(f); free(dwr); free(kept);
        CHECK_MSG(dropped <= 2.3e-11, "shape %zu: a column left out is %.3g", sh, dropped);
        CHECK_MSG(worst_f == 0, "shape %zu: a feature off by %.3g", sh, worst_f);
        CHECK_MSG(worst < 2e-6, "shape %zu: forward off by %.3g (relative)", sh, worst);
        CHECK_MSG(worst_g < 2e-6, "shape %zu: backward off by %.3g (per token)", sh, worst_g);
    }
}

/* The entries kept per token do not grow with the grid past the window. */
static void test_nnz_bounded(void) {
    const embed_shape_t a = embed_shape(14, 4, 0, 8, 8, 1, 0), b = embed_shape(14, 4, 0, 64, 64, 1, 0);
    CHECK(a.nnz == b.nnz);
    CHECK(a.nnz == 14 + 2 * (7 + 7 + 49));
    CHECK(b.d_in == 14 + 2 * (64 + 64 + 64 * 64));
    const embed_shape_t c = embed_shape(14, 4, 0, 3, 5, 1, 0);
    CHECK(c.nnz == c.d_in);
}

int main(int argc, char **argv) {
    static const unit_test_t tests[] = {
        { "sparse_matches_dense", test_sparse_matches_dense },
        { "nnz_bounded", test_nnz_bounded },
        { 0, 0 },
    };
    return unit_main(argc, argv, tests);
}
