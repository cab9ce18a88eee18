/* nn: layer kernels.  See include/nn.h for the conventions and docs/nn.md for the
 * backward formulas.
 *
 * Elementwise work uses GCC/Clang vector extensions of 16 floats (one AVX-512
 * register, two AVX2 ones, four SSE ones: the compiler splits as the target
 * needs), with scalar tails, because at -O2 GCC does not vectorise loops whose
 * trip count is not a known multiple of the vector width, nor float reductions
 * at all.  exp is a Cephes-style polynomial (about 1 ulp on the clamped range)
 * so GELU, SiLU and softmax vectorise too. */
#include "nn.h"
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#if defined(__AVX__)
#include <immintrin.h>
#endif

/* Let the compiler fuse a*b+c into FMA instructions (ISO C mode turns that off). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT ON
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=fast")
#endif

/* The vector helpers are all static: the ABI note GCC gives for 64-byte vector
 * arguments on targets without AVX-512 does not concern us. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

#define VL 16
typedef float vf __attribute__((vector_size(VL * sizeof(float))));
typedef int32_t vi __attribute__((vector_size(VL * sizeof(float))));

static inline vf vload(const float *p) { vf v; memcpy(&v, p, sizeof v); return v; }
static inline void vstore(float *p, vf v) { memcpy(p, &v, sizeof v); }
static inline vf vsplat(float x) { return (vf){0} + x; }
static inline vf vsel(vi m, vf a, vf b) { return (vf)(((vi)a & m) | ((vi)b & ~m)); }
#if defined(__AVX512F__)
/* One instruction each where the target has them (the generic forms compile to
 * compare-and-blend sequences). */
static inline vf vmin(vf a, vf b) { return (vf)_mm512_min_ps((__m512)a, (__m512)b); }
static inline vf vmax(vf a, vf b) { return (vf)_mm512_max_ps((__m512)a, (__m512)b); }
#elif defined(__AVX__)
/* Two 8-lane instructions: GCC lowers the generic compare-and-select of a
 * 16-lane vector on AVX2 to scalar code (it made the portable build's GELU and
 * attention three times slower).  Same results as the AVX-512 and the generic
 * forms: min(a, b) is a < b ? a : b, the second operand on NaN or equal zeros. */
typedef union { vf v; __m256 h[2]; } vf_halves;
static inline vf vmin(vf a, vf b) {
    vf_halves x = {a}, y = {b}, r;
    r.h[0] = _mm256_min_ps(x.h[0], y.h[0]);
    r.h[1] = _mm256_min_ps(x.h[1], y.h[1]);
    return r.v;
}
static inline vf vmax(vf a, vf b) {
    vf_halves x = {a}, y = {b}, r;
    r.h[0] = _mm256_max_ps(x.h[0], y.h[0]);
    r.h[1] = _mm256_max_ps(x.h[1], y.h[1]);
    return r.v;
}
#else
static inline vf vmin(vf a, vf b) { return vsel(a < b, a, b); }
static inline vf vmax(vf a, vf b) { return vsel(a > b, a, b); }
#endif
/* 1/x by a true division on every target: an approximate reciprocal (AVX-512's
 * rcp14 and a Newton step) would make the network's numbers depend on the
 * instruction set the binary was built for. */
static inline vf vrecip(vf x) { return 1.0f / x; }
static inline float vhsum(vf v) {
    v += __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
    v += __builtin_shufflevector(v, v, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11);
    v += __builtin_shufflevector(v, v, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
    v += __builtin_shufflevector(v, v, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
    return v[0];
}
/* Partial loads/stores for tails (n < VL); missing lanes read as 0. */
static inline vf vload_n(const float *p, int n) { vf v = {0}; memcpy(&v, p, (size_t)n * sizeof(float)); return v; }
static inline void vstore_n(float *p, vf v, int n) { memcpy(p, &v, (size_t)n * sizeof(float)); }

#if defined(__AVX__) && !defined(__AVX512F__)
/* Without 16-lane registers GCC keeps a loop-carried 16-lane vector in
 * memory; the hottest loops therefore run over each half of the lanes with
 * 8-lane accumulators.  Every lane sees the same operations in the same
 * order, so the results are those of the 16-lane form. */
#define HALF_LANES 1
typedef float vh __attribute__((vector_size(8 * sizeof(float))));
static inline vh hload(const float *p) { vh v; memcpy(&v, p, sizeof v); return v; }
#endif

/* exp(x) for x clamped to [-87, 87] (Cephes expf polynomial, round-to-nearest
 * split x = n ln2 + r, |r| <= ln2/2). */
static inline vf vexp(vf x) {
    x = vmin(vmax(x, vsplat(-87.0f)), vsplat(87.0f));
    const float magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    vf t = x * 1.44269504088896341f + magic;
    vf n = t - magic;
    vi ni = (vi)t - (vi)vsplat(magic);
    vf r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    vf p = vsplat(1.9875691500e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    vf scale = (vf)((ni + 127) << 23);
    return p * scale;
}
static inline vf vsigmoid(vf x) { return vrecip(1.0f + vexp(-x)); }

static inline float dot(const float *a, const float *b, int n) {
    int i = 0;
    vf acc = {0};
    for (; i + VL <= n; i += VL) acc += vload(a + i) * vload(b + i);
    if (i < n) acc += vload_n(a + i, n - i) * vload_n(b + i, n - i);
    return vhsum(acc);
}
/* y += a x */
static inline void axpy(float *y, float a, const float *x, int n) {
    int i = 0;
    for (; i + VL <= n; i += VL) vstore(y + i, vload(y + i) + a * vload(x + i));
    for (; i < n; i++) y[i] += a * x[i];
}
static inline void vadd_into(float *y, const float *x, int n) {
    int i = 0;
    for (; i + VL <= n; i += VL) vstore(y + i, vload(y + i) + vload(x + i));
    for (; i < n; i++) y[i] += x[i];
}

/* ---- linear ---------------------------------------------------------------- */

void linear_forward(float *out, const float *inp, const float *w, const float *b,
                    const float *res, int N, int C, int OC) {
    /* inp is (N,C), w is (OC,C), b is (OC), res and out are (N,OC).
     * res + b is laid into out first and the GEMM accumulates onto it (beta = 1):
     * OpenBLAS clears C itself when beta = 0, so this costs no extra pass. */
    float beta = 0.0f;
    if (res || b) {
        for (int n = 0; n < N; n++) {
            float *o = out + (size_t)n * OC;
            const float *r = res ? res + (size_t)n * OC : NULL;
            int i = 0;
            if (r && b) {
                for (; i + VL <= OC; i += VL) vstore(o + i, vload(r + i) + vload(b + i));
                for (; i < OC; i++) o[i] = r[i] + b[i];
            } else if (b) {
                memcpy(o, b, (size_t)OC * sizeof(float));
            } else if (r != o) {
                memcpy(o, r, (size_t)OC * sizeof(float));
            }
        }
        beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, C,
                1.0f, inp, C, w, C, beta, out, OC);
}

void linear_backward(float *dinp, float *dw, float *db, const float *dout,
                     const float *inp, const float *w, int N, int C, int OC) {
    /* dout is (N,OC); dinp (N,C) = dout w; dw (OC,C) += dout^T inp; db += colsum */
    if (dinp)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, C, OC,
                    1.0f, dout, OC, w, C, 0.0f, dinp, C);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, C, N,
                1.0f, dout, OC, inp, C, 1.0f, dw, C);
    if (db)
        for (int n = 0; n < N; n++) vadd_into(db, dout + (size_t)n * OC, OC);
}

/* ---- layernorm ------------------------------------------------------------- */

void layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                       const float *w, const float *b, int N, int C) {
    /* inp, out are (N,C); w, b are (C); mean, rstd are (N) */
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        float *o = out + (size_t)n * C;
        int i;
        vf acc = {0};
        float tail = 0.0f;
        for (i = 0; i + VL <= C; i += VL) acc += vload(x + i);
        for (; i < C; i++) tail += x[i];
        float m = (vhsum(acc) + tail) / (float)C;
        vf vm = vsplat(m);
        acc = (vf){0};
        tail = 0.0f;
        for (i = 0; i + VL <= C; i += VL) { vf d = vload(x + i) - vm; acc += d * d; }
        for (; i < C; i++) { float d = x[i] - m; tail += d * d; }
        float var = (vhsum(acc) + tail) / (float)C;
        float s = 1.0f / sqrtf(var + NN_LN_EPS);
        for (i = 0; i + VL <= C; i += VL)
            vstore(o + i, (vload(x + i) - vm) * s * vload(w + i) + vload(b + i));
        for (; i < C; i++) o[i] = (x[i] - m) * s * w[i] + b[i];
        mean[n] = m;
        rstd[n] = s;
    }
}

void layernorm_backward(float *dinp, float *dw, float *db, const float *dout,
                        const float *inp, const float *w, const float *mean,
                        const float *rstd, int N, int C) {
    /* dout, inp, dinp are (N,C); w, dw, db are (C); mean, rstd are (N).
     * xhat = (x - mean) rstd, g = dout w:
     * dinp += rstd (g - mean(g) - xhat mean(g xhat)) */
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        const float *dy = dout + (size_t)n * C;
        float *dx = dinp + (size_t)n * C;
        const float m = mean[n], s = rstd[n];
        const vf vm = vsplat(m), vs = vsplat(s);
        int i;
        vf ag = {0}, agx = {0};
        float tg = 0.0f, tgx = 0.0f;
        for (i = 0; i + VL <= C; i += VL) {
            vf xh = (vload(x + i) - vm) * vs;
            vf dyv = vload(dy + i);
            vf g = dyv * vload(w + i);
            ag += g;
            agx += g * xh;
            vstore(db + i, vload(db + i) + dyv);
            vstore(dw + i, vload(dw + i) + xh * dyv);
        }
        for (; i < C; i++) {
            float xh = (x[i] - m) * s, g = dy[i] * w[i];
            tg += g;
            tgx += g * xh;
            db[i] += dy[i];
            dw[i] += xh * dy[i];
        }
        const float gm = (vhsum(ag) + tg) / (float)C;
        const float gxm = (vhsum(agx) + tgx) / (float)C;
        const vf vgm = vsplat(gm), vgxm = vsplat(gxm);
        for (i = 0; i + VL <= C; i += VL) {
            vf xh = (vload(x + i) - vm) * vs;
            vf g = vload(dy + i) * vload(w + i);
            vstore(dx + i, vload(dx + i) + (g - vgm - xh * vgxm) * vs);
        }
        for (; i < C; i++) {
            float xh = (x[i] - m) * s, g = dy[i] * w[i];
            dx[i] += (g - gm - xh * gxm) * s;
        }
    }
}

/* ---- attention ------------------------------------------------------------- */

/* In-place softmax of a row of n scores already scaled. */
static void softmax_row(float *p, int n) {
    float mx = p[0];
    for (int j = 1; j < n; j++) mx = p[j] > mx ? p[j] : mx;
    const vf vmx = vsplat(mx);
    vf acc = {0};
    int j = 0;
    for (; j + VL <= n; j += VL) {
        vf e = vexp(vload(p + j) - vmx);
        acc += e;
        vstore(p + j, e);
    }
    if (j < n) {
        int r = n - j;
        vf e = vexp(vload_n(p + j, r) - vmx);
        vstore_n(p + j, e, r);
        for (int k = 0; k < r; k++) acc[k] += e[k]; /* padding lanes stay out of the sum */
    }
    const float inv = 1.0f / vhsum(acc);
    for (j = 0; j + VL <= n; j += VL) vstore(p + j, vload(p + j) * inv);
    for (; j < n; j++) p[j] *= inv;
}

/* y (n) = sum_j w[j * ws] x_j, x_j = x0 + j * stride, j < T (y written) */
static inline void weighted_rows(float *y, const float *w, size_t ws, const float *x0,
                                 size_t stride, int T, int n) {
    int c = 0;
#ifdef HALF_LANES
    for (; c + VL <= n; c += VL) {
        for (int h = c; h < c + VL; h += 8) {
            vh acc = {0};
            for (int j = 0; j < T; j++) acc += w[j * ws] * hload(x0 + (size_t)j * stride + h);
            memcpy(y + h, &acc, sizeof acc);
        }
    }
#else
    for (; c + VL <= n; c += VL) {
        vf acc = {0};
        for (int j = 0; j < T; j++) acc += w[j * ws] * vload(x0 + (size_t)j * stride + c);
        vstore(y + c, acc);
    }
#endif
    for (; c < n; c++) {
        float acc = 0.0f;
        for (int j = 0; j < T; j++) acc += w[j * ws] * x0[(size_t)j * stride + c];
        y[c] = acc;
    }
}

/* General sizes: a row of scores at a time, T dot products of length hs. */
static void attention_forward_rows(float *out, float *att, const float *qkv,
                                   int B, int T, int C, int NH) {
    const int hs = C / NH, C3 = 3 * C;
    const float scale = 1.0f / sqrtf((float)hs);
    for (int b = 0; b < B; b++) {
        const float *base = qkv + (size_t)b * T * C3;
        for (int h = 0; h < NH; h++) {
            for (int i = 0; i < T; i++) {
                const float *q = base + (size_t)i * C3 + h * hs;
                float *p = att + (((size_t)b * NH + h) * T + i) * T;
                for (int j = 0; j < T; j++)
                    p[j] = scale * dot(q, base + (size_t)j * C3 + C + h * hs, hs);
                softmax_row(p, T);
                weighted_rows(out + ((size_t)b * T + i) * C + h * hs, p, 1,
                              base + 2 * C + h * hs, (size_t)C3, T, hs);
            }
        }
    }
}

/* Short windows (T <= VL, the score network's case).  Vector lanes run over the
 * queries i: with Q^T (hs x VL) made once per head, column j of the scores is
 * hs broadcast-multiply-adds, and the softmax over j is elementwise across the T
 * column vectors, so no horizontal reductions and T independent exps. */
#define ATT_SMALL_MAX_HS 128
/* In-register transpose of a 16 x 16 block: at stage d, rows i and i + d swap
 * their off-diagonal d x d sub-blocks (log2 16 = 4 stages of two-source shuffles). */
#define SHUF(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
static inline void transpose16(vf r[16]) {
    vf a, b;
    /* fully unrolled so that r lives in registers */
#pragma GCC unroll 16
    for (int i = 0; i < 8; i++) {
        a = r[i]; b = r[i + 8];
        r[i] = SHUF(a, b, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
        r[i + 8] = SHUF(a, b, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
    }
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) {
        if (i & 4) continue;
        a = r[i]; b = r[i + 4];
        r[i] = SHUF(a, b, 0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27);
        r[i + 4] = SHUF(a, b, 4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31);
    }
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) {
        if (i & 2) continue;
        a = r[i]; b = r[i + 2];
        r[i] = SHUF(a, b, 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29);
        r[i + 2] = SHUF(a, b, 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31);
    }
#pragma GCC unroll 16
    for (int i = 0; i < 16; i += 2) {
        a = r[i]; b = r[i + 1];
        r[i] = SHUF(a, b, 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
        r[i + 1] = SHUF(a, b, 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
    }
}
#undef SHUF

/* dst[c * VL + j] = src_j[c] for j < T, c < hs; src_j = src + j * stride.
 * Lanes j >= T are left as they are. */
static inline void transpose_head(float *dst, const float *src, size_t stride, int T, int hs) {
    int c0 = 0;
    if (VL == 16) {
        vf r[16];
        for (; c0 + 16 <= hs; c0 += 16) {
#pragma GCC unroll 16
            for (int j = 0; j < 16; j++) r[j] = j < T ? vload(src + (size_t)j * stride + c0) : (vf){0};
            transpose16(r);
#pragma GCC unroll 16
            for (int c = 0; c < 16; c++) vstore(dst + (c0 + c) * VL, r[c]);
        }
    }
    for (int j = 0; j < T; j++)
        for (int c = c0; c < hs; c++) dst[c * VL + j] = src[(size_t)j * stride + c];
}

/* a (T,T) row-major = transpose of pt (rows j, lanes i).  Rows are written as
 * whole vectors while that stays inside the T*T block (a later row's store
 * overwrites the spill), the rest element by element. */
static inline void store_att(float *a, const float *pt, int T) {
    vf r[16];
#pragma GCC unroll 16
    for (int j = 0; j < 16; j++) r[j] = vload(pt + j * VL);
    transpose16(r);
    for (int i = 0; i < T; i++) {
        if (i * T + VL <= T * T) vstore(a + i * T, r[i]);
        else for (int j = 0; j < T; j++) a[i * T + j] = r[i][j];
    }
}
/* pt (rows j, lanes i) = transpose of a (T,T); lanes i >= T are 0. */
static inline void load_att(float *pt, const float *a, int T) {
    vf r[16];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) {
        if (i >= T) r[i] = (vf){0};
        else if (i * T + VL <= T * T) r[i] = vload(a + i * T);
        else { r[i] = (vf){0}; for (int j = 0; j < T; j++) r[i][j] = a[i * T + j]; }
    }
    transpose16(r);
#pragma GCC unroll 16
    for (int j = 0; j < 16; j++) vstore(pt + j * VL, r[j]);
}

/* column vector (lanes i) of sum_c xt[c][i] * r[c] */
static inline vf columns_dot(const float *xt, const float *r, int hs) {
#ifdef HALF_LANES
    float out[VL];
    for (int h = 0; h < VL; h += 8) {
        vh a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
        int c = 0;
        for (; c + 4 <= hs; c += 4) {
            a0 += r[c] * hload(xt + c * VL + h);
            a1 += r[c + 1] * hload(xt + (c + 1) * VL + h);
            a2 += r[c + 2] * hload(xt + (c + 2) * VL + h);
            a3 += r[c + 3] * hload(xt + (c + 3) * VL + h);
        }
        for (; c < hs; c++) a0 += r[c] * hload(xt + c * VL + h);
        vh s = (a0 + a1) + (a2 + a3);
        memcpy(out + h, &s, sizeof s);
    }
    return vload(out);
#else
    vf a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};  /* four chains hide the FMA latency */
    int c = 0;
    for (; c + 4 <= hs; c += 4) {
        a0 += r[c] * vload(xt + c * VL);
        a1 += r[c + 1] * vload(xt + (c + 1) * VL);
        a2 += r[c + 2] * vload(xt + (c + 2) * VL);
        a3 += r[c + 3] * vload(xt + (c + 3) * VL);
    }
    for (; c < hs; c++) a0 += r[c] * vload(xt + c * VL);
    return (a0 + a1) + (a2 + a3);
#endif
}

static void attention_forward_small(float *out, float *att, const float *qkv,
                                    int B, int T, int C, int NH) {
    const int hs = C / NH, C3 = 3 * C;
    const float scale = 1.0f / sqrtf((float)hs);
    float qt[ATT_SMALL_MAX_HS * VL] __attribute__((aligned(64)));
    float pt[VL * VL] __attribute__((aligned(64)));
    vf st[VL];
    memset(qt, 0, sizeof qt); /* lanes >= T stay 0: finite scores nobody reads */
    memset(pt, 0, sizeof pt);
    for (int b = 0; b < B; b++) {
        const float *base = qkv + (size_t)b * T * C3;
        for (int h = 0; h < NH; h++) {
            const float *q0 = base + h * hs, *k0 = base + C + h * hs, *v0 = base + 2 * C + h * hs;
            float *a = att + ((size_t)b * NH + h) * T * T;
            transpose_head(qt, q0, (size_t)C3, T, hs);
            vf mx = vsplat(-FLT_MAX);
            for (int j = 0; j < T; j++) {
                st[j] = scale * columns_dot(qt, k0 + (size_t)j * C3, hs);
                mx = vmax(mx, st[j]);
            }
            vf sum = {0};
            for (int j = 0; j < T; j++) {
                st[j] = vexp(st[j] - mx);
                sum += st[j];
            }
            const vf inv = 1.0f / sum;
            for (int j = 0; j < T; j++) vstore(pt + j * VL, st[j] * inv);
            store_att(a, pt, T);
            for (int i = 0; i < T; i++)
                weighted_rows(out + ((size_t)b * T + i) * C + h * hs, pt + i, VL, v0, (size_t)C3, T, hs);
        }
    }
}

void attention_forward(float *out, float *att, const float *qkv,
                       int B, int T, int C, int NH) {
    /* qkv is (B,T,3C), out is (B,T,C), att is (B,NH,T,T).  Head h of token t
     * reads q, k, v at columns h*hs, C + h*hs, 2C + h*hs of row (b,t). */
    if (T <= VL && C / NH <= ATT_SMALL_MAX_HS) attention_forward_small(out, att, qkv, B, T, C, NH);
    else attention_forward_rows(out, att, qkv, B, T, C, NH);
}

/* General sizes. */
static void attention_backward_rows(float *dqkv, float *scratch, const float *dout,
                                    const float *qkv, const float *att, int B, int T, int C, int NH) {
    const int hs = C / NH, C3 = 3 * C;
    const float scale = 1.0f / sqrtf((float)hs);
    float *dP = scratch;
    for (int b = 0; b < B; b++) {
        const float *base = qkv + (size_t)b * T * C3;
        float *dbase = dqkv + (size_t)b * T * C3;
        for (int h = 0; h < NH; h++) {
            for (int j = 0; j < T; j++) {
                memset(dbase + (size_t)j * C3 + C + h * hs, 0, (size_t)hs * sizeof(float));
                memset(dbase + (size_t)j * C3 + 2 * C + h * hs, 0, (size_t)hs * sizeof(float));
            }
            for (int i = 0; i < T; i++) {
                const float *dy = dout + ((size_t)b * T + i) * C + h * hs;
                const float *q = base + (size_t)i * C3 + h * hs;
                const float *p = att + (((size_t)b * NH + h) * T + i) * T;
                float s = 0.0f;
                for (int j = 0; j < T; j++) {
                    dP[j] = dot(dy, base + (size_t)j * C3 + 2 * C + h * hs, hs);
                    s += p[j] * dP[j];
                }
                for (int j = 0; j < T; j++) dP[j] = scale * p[j] * (dP[j] - s); /* now ds */
                weighted_rows(dbase + (size_t)i * C3 + h * hs, dP, 1, base + C + h * hs,
                              (size_t)C3, T, hs);
                for (int j = 0; j < T; j++) {
                    const size_t rj = (size_t)j * C3;
                    axpy(dbase + rj + C + h * hs, dP[j], q, hs);
                    axpy(dbase + rj + 2 * C + h * hs, p[j], dy, hs);
                }
            }
        }
    }
}

/* T <= VL, lanes over the queries i as in the forward. */
static void attention_backward_small(float *dqkv, const float *dout, const float *qkv,
                                     const float *att, int B, int T, int C, int NH) {
    const int hs = C / NH, C3 = 3 * C;
    const float scale = 1.0f / sqrtf((float)hs);
    float dyt[ATT_SMALL_MAX_HS * VL] __attribute__((aligned(64)));
    float pt[VL * VL] __attribute__((aligned(64))), dst[VL * VL] __attribute__((aligned(64)));
    memset(dyt, 0, sizeof dyt);
    memset(pt, 0, sizeof pt);
    for (int b = 0; b < B; b++) {
        const float *base = qkv + (size_t)b * T * C3;
        float *dbase = dqkv + (size_t)b * T * C3;
        for (int h = 0; h < NH; h++) {
            const float *q0 = base + h * hs, *k0 = base + C + h * hs, *v0 = base + 2 * C + h * hs;
            const float *dy0 = dout + (size_t)b * T * C + h * hs;
            const float *a = att + ((size_t)b * NH + h) * T * T;
            transpose_head(dyt, dy0, (size_t)C, T, hs);
            load_att(pt, a, T);
            /* dP^T[j] = dy_i . v_j (lanes i); s_i = sum_j P_ij dP_ij */
            vf dpt[VL], s = {0};
            for (int j = 0; j < T; j++) {
                dpt[j] = columns_dot(dyt, v0 + (size_t)j * C3, hs);
                s += vload(pt + j * VL) * dpt[j];
            }
            for (int j = 0; j < T; j++)
                vstore(dst + j * VL, scale * vload(pt + j * VL) * (dpt[j] - s));
            for (int i = 0; i < T; i++) /* dq_i = sum_j ds_ij k_j */
                weighted_rows(dbase + (size_t)i * C3 + h * hs, dst + i, VL, k0, (size_t)C3, T, hs);
            for (int j = 0; j < T; j++) { /* dk_j = sum_i ds_ij q_i, dv_j = sum_i P_ij dy_i */
                weighted_rows(dbase + (size_t)j * C3 + C + h * hs, dst + j * VL, 1, q0, (size_t)C3, T, hs);
                weighted_rows(dbase + (size_t)j * C3 + 2 * C + h * hs, pt + j * VL, 1, dy0, (size_t)C, T, hs);
            }
        }
    }
}

void attention_backward(float *dqkv, float *scratch, const float *dout, const float *qkv,
                        const float *att, int B, int T, int C, int NH) {
    /* dout is (B,T,C), qkv and dqkv are (B,T,3C), att is (B,NH,T,T), scratch (T).
     * y_i = sum_j P_ij v_j, P_i = softmax(s_i), s_ij = scale q_i.k_j:
     *   dP_ij = dy_i.v_j, ds_ij = P_ij (dP_ij - sum_k P_ik dP_ik),
     *   dq_i = scale sum_j ds_ij k_j, dk_j = scale sum_i ds_ij q_i, dv_j = sum_i P_ij dy_i */
    if (T <= VL && C / NH <= ATT_SMALL_MAX_HS) attention_backward_small(dqkv, dout, qkv, att, B, T, C, NH);
    else attention_backward_rows(dqkv, scratch, dout, qkv, att, B, T, C, NH);
}
/* ---- activations ----------------------------------------------------------- */

#define GELU_K 0.7978845608028654f /* sqrt(2/pi) */
#define GELU_A 0.044715f

/* gelu(x) = x sigmoid(2u), u = K (x + A x^3) */
static inline vf vgelu(vf x) {
    vf u2 = (2.0f * GELU_K) * (x + GELU_A * x * x * x);
    return x * vsigmoid(u2);
}
/* d gelu / dx = s + x s (1 - s) 2K (1 + 3 A x^2), s = sigmoid(2u) */
static inline vf vgelu_grad(vf x) {
    vf x2 = x * x;
    vf s = vsigmoid((2.0f * GELU_K) * (x + GELU_A * x2 * x));
    return s + x * s * (1.0f - s) * ((2.0f * GELU_K) * (1.0f + 3.0f * GELU_A * x2));
}
static inline vf vsilu_grad(vf x) {
    vf s = vsigmoid(x);
    return s * (1.0f + x * (1.0f - s));
}

#define ELEMENTWISE1(out, inp, n, F) do { \
    size_t i_ = 0; \
    for (; i_ + VL <= (n); i_ += VL) vstore((out) + i_, F(vload((inp) + i_))); \
    if (i_ < (n)) { int r_ = (int)((n) - i_); \
        vstore_n((out) + i_, F(vload_n((inp) + i_, r_)), r_); } } while (0)
#define ELEMENTWISE2(dinp, dout, inp, n, G) do { \
    size_t i_ = 0; \
    for (; i_ + VL <= (n); i_ += VL) \
        vstore((dinp) + i_, vload((dout) + i_) * G(vload((inp) + i_))); \
    if (i_ < (n)) { int r_ = (int)((n) - i_); \
        vstore_n((dinp) + i_, vload_n((dout) + i_, r_) * G(vload_n((inp) + i_, r_)), r_); } \
    } while (0)

static inline vf vsilu(vf x) { return x * vsigmoid(x); }

void gelu_forward(float *out, const float *inp, size_t n) { ELEMENTWISE1(out, inp, n, vgelu); }
void gelu_backward(float *dinp, const float *dout, const float *inp, size_t n) {
    ELEMENTWISE2(dinp, dout, inp, n, vgelu_grad);
}
void silu_forward(float *out, const float *inp, size_t n) { ELEMENTWISE1(out, inp, n, vsilu); }
void silu_backward(float *dinp, const float *dout, const float *inp, size_t n) {
    ELEMENTWISE2(dinp, dout, inp, n, vsilu_grad);
}

/* ---- adds ------------------------------------------------------------------ */

void residual_forward(float *out, const float *a, const float *b, size_t n) {
    size_t i = 0;
    for (; i + VL <= n; i += VL) vstore(out + i, vload(a + i) + vload(b + i));
    for (; i < n; i++) out[i] = a[i] + b[i];
}

void add_rows_forward(float *x, const float *pos, const float *per_batch, int B, int T, int C) {
    /* x is (B,T,C), pos is (T,C), per_batch is (B,C) */
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            float *row = x + ((size_t)b * T + t) * C;
            if (pos) vadd_into(row, pos + (size_t)t * C, C);
            if (per_batch) vadd_into(row, per_batch + (size_t)b * C, C);
        }
}

void add_rows_backward(float *dpos, float *dper_batch, const float *dx, int B, int T, int C) {
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            const float *row = dx + ((size_t)b * T + t) * C;
            if (dpos) vadd_into(dpos + (size_t)t * C, row, C);
            if (dper_batch) vadd_into(dper_batch + (size_t)b * C, row, C);
        }
}

/* ---- timestep embedding, loss, init ---------------------------------------- */

/* sin and cos of 8 doubles: reduce to r in [-pi, pi] (a - 2 pi rint(a / 2 pi), the
 * rint by the 1.5 * 2^52 trick), then Taylor series to r^17 and r^18, whose
 * truncation error on [-pi, pi] is below 2.5e-8, under a float's half ulp of 1. */
typedef double vd __attribute__((vector_size(8 * sizeof(double))));
static inline void vsincos_d(vd a, vd *s, vd *c) {
    const double two_pi = 6.283185307179586476925, magic = 6755399441055744.0;
    vd k = (a * (1.0 / two_pi) + magic) - magic;
    vd r = a - k * two_pi;
    vd r2 = r * r;
    static const double sc[9] = { 1.0, -1.0 / 6, 1.0 / 120, -1.0 / 5040, 1.0 / 362880,
                                  -1.0 / 39916800, 1.0 / 6227020800.0, -1.0 / 1307674368000.0,
                                  1.0 / 355687428096000.0 };
    static const double cc[10] = { 1.0, -1.0 / 2, 1.0 / 24, -1.0 / 720, 1.0 / 40320,
                                   -1.0 / 3628800, 1.0 / 479001600, -1.0 / 87178291200.0,
                                   1.0 / 20922789888000.0, -1.0 / 6402373705728000.0 };
    vd ps = (vd){0} + sc[8], pc = (vd){0} + cc[9];
    for (int i = 7; i >= 0; i--) ps = ps * r2 + sc[i];
    for (int i = 8; i >= 0; i--) pc = pc * r2 + cc[i];
    *s = ps * r;
    *c = pc;
}

void timestep_embedding(float *out, const float *t, int B, int dim) {
    /* t is (B), out is (B,dim): [sin(t f_i) | cos(t f_i)], f_i = 10000^(-i/half) */
    const int half = dim / 2;
    int i = 0;
    for (; i + 8 <= half; i += 8) {
        vd f;
        for (int k = 0; k < 8; k++) f[k] = exp(-log(10000.0) * (double)(i + k) / half);
        for (int b = 0; b < B; b++) {
            float *o = out + (size_t)b * dim;
            vd s, c;
            vsincos_d(f * (double)t[b], &s, &c);
            for (int k = 0; k < 8; k++) { o[i + k] = (float)s[k]; o[half + i + k] = (float)c[k]; }
        }
    }
    for (; i < half; i++) {
        const double f = exp(-log(10000.0) * (double)i / half);
        for (int b = 0; b < B; b++) {
            out[(size_t)b * dim + i] = (float)sin(f * t[b]);
            out[(size_t)b * dim + half + i] = (float)cos(f * t[b]);
        }
    }
}

float mse_forward_backward(float *dpred, const float *pred, const float *target,
                           const float *mask, size_t n) {
    double den = 0.0, num = 0.0;
    for (size_t i = 0; i < n; i++) {
        double m = mask ? (double)mask[i] : 1.0, d = (double)pred[i] - (double)target[i];
        den += m;
        num += m * d * d;
    }
    if (!(den > 0.0)) {
        if (dpred) memset(dpred, 0, n * sizeof(float));
        return 0.0f;
    }
    if (dpred) {
        const float g = (float)(2.0 / den);
        for (size_t i = 0; i < n; i++)
            dpred[i] = g * (mask ? mask[i] : 1.0f) * (pred[i] - target[i]);
    }
    return (float)(num / den);
}

void nn_init_normal(float *w, size_t n, float std, rng_t *r) {
    for (size_t i = 0; i < n; i++) w[i] = std * rng_normalf(r);
}
