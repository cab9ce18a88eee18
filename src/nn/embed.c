/* embed: the token embedding on sparse input features (include/nn/embed.h). */
#include "nn/embed.h"
#include <math.h>
#include <string.h>

/* y += a x over n floats, 8 lanes at a time (the same operations, a multiply
 * then an add, in every build: GCC's -O2 does not vectorise a loop of unknown
 * length by itself, and C11 mode does not contract it into an FMA). */
typedef float v8 __attribute__((vector_size(32), aligned(4)));
static inline void axpy(float *restrict y, const float *restrict x, float a, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8) *(v8 *)(y + i) += a * *(const v8 *)(x + i);
    for (; i < n; i++) y[i] += a * x[i];
}

static int window(int n) { return n < EMBED_WINDOW ? n : EMBED_WINDOW; }

embed_shape_t embed_shape(int d_tok, int n_coord, int n_fourier, int n_rbf_x, int n_rbf_y,
                          int rbf_cells, int n_ctx) {
    const int pairs = (n_rbf_x || n_rbf_y) ? n_coord / 2 : 0;
    if (!rbf_cells || pairs < 2) n_ctx = 0; /* the state's code needs the cell code of z */
    embed_shape_t s = { d_tok, n_coord, n_fourier, n_rbf_x, n_rbf_y, rbf_cells, n_ctx, 0, 0 };
    const int cells = rbf_cells ? n_rbf_x * n_rbf_y : 0, wcells = rbf_cells ? window(n_rbf_x) * window(n_rbf_y) : 0;
    s.d_in = d_tok + 2 * n_coord * n_fourier + pairs * (n_rbf_x + n_rbf_y + cells) + n_ctx * cells;
    s.nnz = d_tok + 2 * n_coord * n_fourier + pairs * (window(n_rbf_x) + window(n_rbf_y) + wcells) + n_ctx * wcells;
    return s;
}

/* The window of bump centres kept for coordinate v on an axis of n centres
 * evenly spaced in [-1, 1] (width half their spacing): its first centre into
 * *first and the bumps into f (window(n) values). */
static void bumps(float v, int n, int *first, float *f) {
    if (n == 1) { *first = 0; f[0] = expf(-0.5f * v * v); return; }
    const float sp = 2.0f / (float)(n - 1), inv = 2.0f / sp;
    const int w = window(n);
    float c = (v + 1.0f) / sp; /* the nearest centre, as a real index */
    if (!(c > -1e6f)) c = -1e6f;
    if (c > 1e6f) c = 1e6f;
    int k0 = (int)lroundf(c) - EMBED_WINDOW / 2;
    if (k0 > n - w) k0 = n - w;
    if (k0 < 0) k0 = 0;
    *first = k0;
    for (int k = 0; k < w; k++) {
        float u = (v - (-1.0f + sp * (float)(k0 + k))) * inv;
        f[k] = expf(-0.5f * u * u);
    }
}

void embed_features(const embed_shape_t *s, const float *x, int N, int *idx, float *val) {
    const int D = s->d_tok, F = s->n_fourier, nx = s->n_rbf_x, ny = s->n_rbf_y;
    const int wx = window(nx), wy = window(ny);
    for (int i = 0; i < N; i++) {
        const float *xi = x + (size_t)i * D;
        int *ix = idx + (size_t)i * s->nnz, col = 0;
        float *f = val + (size_t)i * s->nnz;
        for (int e = 0; e < D; e++) { *ix++ = col++; *f++ = xi[e]; }
        for (int j = 0; j < s->n_coord; j++) {
            float w = (float)M_PI;
            for (int k = 0; k < F; k++, w *= 2.0f) {
                *ix++ = col++; *f++ = sinf(w * xi[j]);
                *ix++ = col++; *f++ = cosf(w * xi[j]);
            }
        }
        for (int j = 0; j + 1 < s->n_coord && (nx || ny); j += 2) {
            int x0 = 0, y0 = 0;
            float *bx = f, *by = f + wx;
            if (nx) bumps(xi[j], nx, &x0, bx);
            if (ny) bumps(xi[j + 1], ny, &y0, by);
            for (int k = 0; k < wx; k++) *ix++ = col + x0 + k;
            col += nx;
            for (int k = 0; k < wy; k++) *ix++ = col + y0 + k;
            col += ny;
            f += wx + wy;
            if (s->rbf_cells) {
                const float *prod = f;
                for (int u = 0; u < wy; u++)
                    for (int v = 0; v < wx; v++) {
                        *ix++ = col + (y0 + u) * nx + x0 + v;
                        *f++ = by[u] * bx[v];
                    }
                col += nx * ny;
                /* z's pair: its cell code once per context, gated by the context's entry */
                for (int c = 0; j == 2 && c < s->n_ctx; c++) {
                    float g = 0.5f * (xi[D - s->n_ctx + c] + 1.0f);
                    g = g < 0.0f ? 0.0f : g > 1.0f ? 1.0f : g;
                    for (int u = 0; u < wy; u++)
                        for (int v = 0; v < wx; v++) {
                            *ix++ = col + (y0 + u) * nx + x0 + v;
                            *f++ = g * prod[u * wx + v];
                        }
                    col += nx * ny;
                }
            }
        }
    }
}

/* dst (c, r) = the transpose of src (r, c), in blocks that stay in cache. */
static void transpose(float *dst, const float *src, int r, int c) {
    enum { BLK = 32 };
    for (int i0 = 0; i0 < r; i0 += BLK)
        for (int j0 = 0; j0 < c; j0 += BLK) {
            const int i1 = i0 + BLK < r ? i0 + BLK : r, j1 = j0 + BLK < c ? j0 + BLK : c;
            for (int i = i0; i < i1; i++)
                for (int j = j0; j < j1; j++) dst[(size_t)j * r + i] = src[(size_t)i * c + j];
        }
}

void embed_forward(const embed_shape_t *s, float *out, const int *idx, const float *val,
                   const float *w, const float *b, float *wt, int N, int d) {
    transpose(wt, w, d, s->d_in);
    for (int n = 0; n < N; n++) {
        float *o = out + (size_t)n * d;
        const int *ix = idx + (size_t)n * s->nnz;
        const float *f = val + (size_t)n * s->nnz;
        if (b) memcpy(o, b, sizeof(float) * (size_t)d);
        else memset(o, 0, sizeof(float) * (size_t)d);
        for (int k = 0; k < s->nnz; k++) {
            const float v = f[k];
            if (v == 0.0f) continue; /* one-hot entries, flags: adding 0 w changes nothing */
            axpy(o, wt + (size_t)ix[k] * d, v, d);
        }
    }
}

void embed_backward(const embed_shape_t *s, float *dw, float *db, const float *dout, const int *idx,
                    const float *val, float *dwt, int N, int d) {
    memset(dwt, 0, sizeof(float) * (size_t)s->d_in * (size_t)d);
    for (int n = 0; n < N; n++) {
        const float *g = dout + (size_t)n * d;
        const int *ix = idx + (size_t)n * s->nnz;
        const float *f = val + (size_t)n * s->nnz;
        if (db) axpy(db, g, 1.0f, d);
        for (int k = 0; k < s->nnz; k++) {
            const float v = f[k];
            if (v == 0.0f) continue;
            axpy(dwt + (size_t)ix[k] * d, g, v, d);
        }
    }
    for (int i = 0; i < d; i++) {
        float *row = dw + (size_t)i * s->d_in;
        for (int j = 0; j < s->d_in; j++) row[j] += dwt[(size_t)j * d + i];
    }
}
