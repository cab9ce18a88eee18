/* nn: layer kernels.  See include/nn/nn.h for the conventions and docs/nn.md for the
 * backward formulas.
 *
 * Elementwise work uses GCC/Clang vector extensions, with scalar tails, because
 * at -O2 GCC does not vectorise loops whose trip count is not a known multiple
 * of the vector width, nor float reductions at all.  The arithmetic is defined
 * on 16 lanes (one AVX-512 register) and computed a machine register at a time
 * (see "register-width vectors" below), so every build does the same
 * operations lane for lane.  exp is a Cephes-style polynomial (about 1 ulp on
 * the clamped range) so GELU, SiLU and softmax vectorise too. */
#include "nn/nn.h"
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

/* The sum of a 16-lane vector: lane k + lane k ^ d for d = 8, 4, 2, 1. */
static inline float vhsum(vf v) {
    v += __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
    v += __builtin_shufflevector(v, v, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11);
    v += __builtin_shufflevector(v, v, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
    v += __builtin_shufflevector(v, v, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
    return v[0];
}

/* ---- register-width vectors ------------------------------------------------
 * The arithmetic is defined on 16 lanes, but a target without AVX-512 has no
 * 16-lane registers: there GCC keeps every 16-lane value that lives across a
 * loop iteration (an accumulator, a running max) in memory, and lowers a
 * 16-lane compare-and-select to scalar code.  The kernels therefore compute
 * on vr, RL lanes = one machine register (8 on AVX2, VL elsewhere), and run
 * a 16-lane vector as VL / RL parts, part p holding lanes p*RL .. p*RL+RL-1.
 * Every lane goes through the same operations in the same order as in the
 * 16-lane form, so each build's results are those of the 16-lane code (and
 * the portable and native builds agree bit for bit).  Where 16 lanes are
 * summed across (add_part, rhsum), the parts are added first, which is the first
 * step of vhsum's tree (lane k plus lane k + 8), and the rest of the tree
 * runs inside one register. */
#if defined(__AVX__) && !defined(__AVX512F__)
#define RL 8
#else
#define RL VL
#endif
typedef float vr __attribute__((vector_size(RL * sizeof(float))));
typedef int32_t vri __attribute__((vector_size(RL * sizeof(float))));

static inline vr rload(const float *p) { vr v; memcpy(&v, p, sizeof v); return v; }
static inline void rstore(float *p, vr v) { memcpy(p, &v, sizeof v); }
static inline vr rsplat(float x) { return (vr){0} + x; }
static inline vr rsel(vri m, vr a, vr b) { return (vr)(((vri)a & m) | ((vri)b & ~m)); }
/* Partial loads/stores for tails (0 <= n <= RL); missing lanes read as 0. */
static inline vr rload_n(const float *p, int n) { vr v = {0}; memcpy(&v, p, (size_t)n * sizeof(float)); return v; }
static inline void rstore_n(float *p, vr v, int n) { memcpy(p, &v, (size_t)n * sizeof(float)); }
/* How many of a tail's n lanes fall into the part starting at lane l. */
static inline int part_n(int n, int l) { return n <= l ? 0 : n - l >= RL ? RL : n - l; }
#if RL == 16 && defined(__AVX512F__)
/* One instruction each where the target has them (the generic forms compile to
 * compare-and-blend sequences).  Same results as the generic forms: min(a, b)
 * is a < b ? a : b, the second operand on NaN or equal zeros. */
static inline vr rmin(vr a, vr b) { return (vr)_mm512_min_ps((__m512)a, (__m512)b); }
static inline vr rmax(vr a, vr b) { return (vr)_mm512_max_ps((__m512)a, (__m512)b); }
#elif RL == 8 && defined(__AVX__)
static inline vr rmin(vr a, vr b) { return (vr)_mm256_min_ps((__m256)a, (__m256)b); }
static inline vr rmax(vr a, vr b) { return (vr)_mm256_max_ps((__m256)a, (__m256)b); }
#else
static inline vr rmin(vr a, vr b) { return rsel(a < b, a, b); }
static inline vr rmax(vr a, vr b) { return rsel(a > b, a, b); }
#endif
/* Sum of the 16 lanes held as parts: the parts' sum is the first step of
 * vhsum's tree, then the rest of the tree (lane k + lane k ^ d, d = RL/2 .. 1)
 * within the register. */
static inline float rhsum(vr v) {
#if RL == 16
    return vhsum(v);
#else
    v += __builtin_shufflevector(v, v, 4, 5, 6, 7, 0, 1, 2, 3);
    v += __builtin_shufflevector(v, v, 2, 3, 0, 1, 6, 7, 4, 5);
    v += __builtin_shufflevector(v, v, 1, 0, 3, 2, 5, 4, 7, 6);
    return v[0];
#endif
}
/* Running total of the parts of a 16-lane accumulator, part l = 0, RL, ...:
 * the first part as it is (adding it to a zero would turn -0 into +0). */
static inline vr add_part(vr total, vr part, int l) { return l ? total + part : part; }
/* 1/x by a true division on every target: an approximate reciprocal (AVX-512's
 * rcp14 and a Newton step) would make the network's numbers depend on the
 * instruction set the binary was built for. */
static inline vr rrecip(vr x) { return 1.0f / x; }

/* Software prefetch (it moves no data the arithmetic sees).  In training the
 * backward kernels read activations saved long before, and the forward ones
 * read what a GEMM has just written, mostly out of L2; the hardware
 * prefetcher alone left GELU's backward waiting on memory half the time.
 * prefetch_ahead: element i + PF_AHEAD of a stream of n; prefetch_rows:
 * every cache line of `rows` rows of n floats, `stride` floats apart. */
#define PF_AHEAD 512
static inline void prefetch_ahead(const float *p, size_t i, size_t n) {
    if (i + PF_AHEAD < n) __builtin_prefetch(p + i + PF_AHEAD);
}
static inline void prefetch_rows(const float *p, size_t stride, int rows, int n) {
    for (int j = 0; j < rows; j++)
        for (int c = 0; c < n; c += 16) __builtin_prefetch(p + (size_t)j * stride + c);
}

/* exp(x) for x clamped to [-87, 87] (Cephes expf polynomial, round-to-nearest
 * split x = n ln2 + r, |r| <= ln2/2). */
static inline vr rexp(vr x) {
    x = rmin(rmax(x, rsplat(-87.0f)), rsplat(87.0f));
    const float magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    vr t = x * 1.44269504088896341f + magic;
    vr n = t - magic;
    vri ni = (vri)t - (vri)rsplat(magic);
    vr r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    vr p = rsplat(1.9875691500e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    vr scale = (vr)((ni + 127) << 23);
    return p * scale;
}
static inline vr rsigmoid(vr x) { return rrecip(1.0f + rexp(-x)); }

/* Dot product: lane k of a 16-lane accumulator sums a[i] b[i] over i = k mod 16
 * (the tail's missing lanes add 0 * 0), then vhsum; one part at a time. */
static inline float dot(const float *a, const float *b, int n) {
    const int nv = n - n % VL;
    vr total = {0};
    for (int l = 0; l < VL; l += RL) {
        vr acc = {0};
        for (int i = l; i < nv; i += VL) acc += rload(a + i) * rload(b + i);
        if (nv < n) {
            const int k = part_n(n - nv, l);
            acc += rload_n(a + nv + l, k) * rload_n(b + nv + l, k);
        }
        total = add_part(total, acc, l);
    }
    return rhsum(total);
}
/* Elementwise loops run over the same vector part (i < n - n % VL) and
 * scalar tail as the 16-lane form, a register at a time. */
/* y += a x */
static inline void axpy(float *y, float a, const float *x, int n) {
    const int nv = n - n % VL;
    int i = 0;
    for (; i < nv; i += RL) rstore(y + i, rload(y + i) + a * rload(x + i));
    for (; i < n; i++) y[i] += a * x[i];
}
static inline void vadd_into(float *y, const float *x, int n) {
    const int nv = n - n % VL;
    int i = 0;
    for (; i < nv; i += RL) rstore(y + i, rload(y + i) + rload(x + i));
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
                for (; i < OC - OC % VL; i += RL) rstore(o + i, rload(r + i) + rload(b + i));
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
    /* inp, out are (N,C); w, b are (C); mean, rstd are (N).
     * The sums are those of a 16-lane accumulator (lane k sums i = k mod 16 in
     * order) then vhsum, with a scalar tail: each part's lanes are summed over
     * the row, then the parts are added (see add_part). */
    const int Cv = C - C % VL;
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        float *o = out + (size_t)n * C;
        int i;
        vr total = {0};
        for (int l = 0; l < VL; l += RL) {
            vr acc = {0};
            for (i = l; i < Cv; i += VL) acc += rload(x + i);
            total = add_part(total, acc, l);
        }
        float tail = 0.0f;
        for (i = Cv; i < C; i++) tail += x[i];
        const float m = (rhsum(total) + tail) / (float)C;
        const vr vm = rsplat(m);
        for (int l = 0; l < VL; l += RL) {
            vr acc = {0};
            for (i = l; i < Cv; i += VL) { vr d = rload(x + i) - vm; acc += d * d; }
            total = add_part(total, acc, l);
        }
        tail = 0.0f;
        for (i = Cv; i < C; i++) { float d = x[i] - m; tail += d * d; }
        const float var = (rhsum(total) + tail) / (float)C;
        const float s = 1.0f / sqrtf(var + NN_LN_EPS);
        for (i = 0; i < Cv; i += RL)
            rstore(o + i, (rload(x + i) - vm) * s * rload(w + i) + rload(b + i));
        for (; i < C; i++) o[i] = (x[i] - m) * s * w[i] + b[i];
        mean[n] = m;
        rstd[n] = s;
    }
}

/* Rows ahead that layernorm_backward prefetches. */
#define LN_PF_ROWS 4
void layernorm_backward(float *dinp, float *dw, float *db, const float *dout,
                        const float *inp, const float *w, const float *mean,
                        const float *rstd, int N, int C) {
    /* dout, inp, dinp are (N,C); w, dw, db are (C); mean, rstd are (N).
     * xhat = (x - mean) rstd, g = dout w:
     * dinp += rstd (g - mean(g) - xhat mean(g xhat)).
     * The two sums run a part at a time as in layernorm_forward. */
    const int Cv = C - C % VL;
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        const float *dy = dout + (size_t)n * C;
        float *dx = dinp + (size_t)n * C;
        const float m = mean[n], s = rstd[n];
        const vr vm = rsplat(m), vs = rsplat(s);
        if (n + LN_PF_ROWS < N) {
            const size_t ahead = (size_t)LN_PF_ROWS * C;
            prefetch_rows(x + ahead, 0, 1, C);
            prefetch_rows(dy + ahead, 0, 1, C);
            prefetch_rows(dx + ahead, 0, 1, C);
        }
        int i;
        vr sg = {0}, sgx = {0};
        for (int l = 0; l < VL; l += RL) {
            vr ag = {0}, agx = {0};
            for (i = l; i < Cv; i += VL) {
                vr xh = (rload(x + i) - vm) * vs;
                vr dyv = rload(dy + i);
                vr g = dyv * rload(w + i);
                ag += g;
                agx += g * xh;
                rstore(db + i, rload(db + i) + dyv);
                rstore(dw + i, rload(dw + i) + xh * dyv);
            }
            sg = add_part(sg, ag, l);
            sgx = add_part(sgx, agx, l);
        }
        float tg = 0.0f, tgx = 0.0f;
        for (i = Cv; i < C; i++) {
            float xh = (x[i] - m) * s, g = dy[i] * w[i];
            tg += g;
            tgx += g * xh;
            db[i] += dy[i];
            dw[i] += xh * dy[i];
        }
        const float gm = (rhsum(sg) + tg) / (float)C;
        const float gxm = (rhsum(sgx) + tgx) / (float)C;
        const vr vgm = rsplat(gm), vgxm = rsplat(gxm);
        for (i = 0; i < Cv; i += RL) {
            vr xh = (rload(x + i) - vm) * vs;
            vr g = rload(dy + i) * rload(w + i);
            rstore(dx + i, rload(dx + i) + (g - vgm - xh * vgxm) * vs);
        }
        for (; i < C; i++) {
            float xh = (x[i] - m) * s, g = dy[i] * w[i];
            dx[i] += (g - gm - xh * gxm) * s;
        }
    }
}

/* ---- attention ------------------------------------------------------------- */

/* In-place softmax of a row of n scores already scaled.  The sum is that of a
 * 16-lane accumulator (the tail's padding lanes left out) then vhsum, a part
 * at a time. */
static void softmax_row(float *p, int n) {
    float mx = p[0];
    for (int j = 1; j < n; j++) mx = p[j] > mx ? p[j] : mx;
    const vr vmx = rsplat(mx);
    const int nv = n - n % VL;
    vr total = {0};
    for (int l = 0; l < VL; l += RL) {
        vr acc = {0};
        for (int j = l; j < nv; j += VL) {
            vr e = rexp(rload(p + j) - vmx);
            acc += e;
            rstore(p + j, e);
        }
        if (nv < n) {
            const int k = part_n(n - nv, l);
            vr e = rexp(rload_n(p + nv + l, k) - vmx);
            rstore_n(p + nv + l, e, k);
            for (int q = 0; q < k; q++) acc[q] += e[q]; /* padding lanes stay out of the sum */
        }
        total = add_part(total, acc, l);
    }
    const float inv = 1.0f / rhsum(total);
    int j = 0;
    for (; j < nv; j += RL) rstore(p + j, rload(p + j) * inv);
    for (; j < n; j++) p[j] *= inv;
}

/* y (n) = sum_j w[j * ws] x_j, x_j = x0 + j * stride, j < T (y written).
 * Each register-width part of y is summed over j in its own register; two
 * parts at a time share each broadcast weight (the loop is bound by loads:
 * a weight and a row part per multiply-add otherwise). */
static inline void weighted_rows(float *y, const float *w, size_t ws, const float *x0,
                                 size_t stride, int T, int n) {
    const int nv = n - n % VL;
    int c = 0;
    for (; c + 2 * RL <= nv; c += 2 * RL) {
        vr acc0 = {0}, acc1 = {0};
        for (int j = 0; j < T; j++) {
            const float *xj = x0 + (size_t)j * stride + c;
            const float wj = w[j * ws];
            acc0 += wj * rload(xj);
            acc1 += wj * rload(xj + RL);
        }
        rstore(y + c, acc0);
        rstore(y + c + RL, acc1);
    }
    for (; c < nv; c += RL) {
        vr acc = {0};
        for (int j = 0; j < T; j++) acc += w[j * ws] * rload(x0 + (size_t)j * stride + c);
        rstore(y + c, acc);
    }
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
/* In-register transposes of an RL x RL block (RL registers of RL lanes): at
 * stage d, rows i and i + d swap their off-diagonal d x d sub-blocks (log2 RL
 * stages of two-source shuffles).  The 16 x 16 matrices below are moved as
 * RL x RL blocks, so that on AVX2 every shuffle is an 8-lane one (GCC lowers
 * 16-lane shuffles there partly through memory); transposes only move data. */
#define SHUF(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#if RL == 16
static inline void transpose_block(vr r[16]) {
    vr a, b;
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
#elif RL == 8
static inline void transpose_block(vr r[8]) {
    vr a, b;
#pragma GCC unroll 8
    for (int i = 0; i < 4; i++) {
        a = r[i]; b = r[i + 4];
        r[i] = SHUF(a, b, 0, 1, 2, 3, 8, 9, 10, 11);
        r[i + 4] = SHUF(a, b, 4, 5, 6, 7, 12, 13, 14, 15);
    }
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) {
        if (i & 2) continue;
        a = r[i]; b = r[i + 2];
        r[i] = SHUF(a, b, 0, 1, 8, 9, 4, 5, 12, 13);
        r[i + 2] = SHUF(a, b, 2, 3, 10, 11, 6, 7, 14, 15);
    }
#pragma GCC unroll 8
    for (int i = 0; i < 8; i += 2) {
        a = r[i]; b = r[i + 1];
        r[i] = SHUF(a, b, 0, 8, 2, 10, 4, 12, 6, 14);
        r[i + 1] = SHUF(a, b, 1, 9, 3, 11, 5, 13, 7, 15);
    }
}
#else
#error "transpose_block: no form for this register width"
#endif
#undef SHUF

/* dst[c * VL + j] = src_j[c] for j < T, c < hs; src_j = src + j * stride.
 * Lanes j >= T of the blocks moved are zeroed, the others left as they are. */
static inline void transpose_head(float *dst, const float *src, size_t stride, int T, int hs) {
    int c0 = 0;
    vr r[RL];
    for (; c0 + RL <= hs; c0 += RL) {
        for (int j0 = 0; j0 < T; j0 += RL) {
#pragma GCC unroll 16
            for (int j = 0; j < RL; j++)
                r[j] = j0 + j < T ? rload(src + (size_t)(j0 + j) * stride + c0) : (vr){0};
            transpose_block(r);
#pragma GCC unroll 16
            for (int c = 0; c < RL; c++) rstore(dst + (c0 + c) * VL + j0, r[c]);
        }
    }
    for (int j = 0; j < T; j++)
        for (int c = c0; c < hs; c++) dst[c * VL + j] = src[(size_t)j * stride + c];
}

/* a (T,T) row-major = transpose of pt (rows j, lanes i), an RL x RL block at a
 * time.  Block rows are written as whole registers while that stays inside the
 * T*T block, the rest element by element.  Only a row's last block can spill
 * past the row's end, onto the first columns of later rows: the blocks of a
 * band of rows are therefore written last block first, and the bands in
 * order, so that every spill is overwritten by a later store. */
static inline void store_att(float *a, const float *pt, int T) {
    vr r[RL];
    for (int i0 = 0; i0 < T; i0 += RL) {
        for (int j0 = (T - 1) / RL * RL; j0 >= 0; j0 -= RL) {
#pragma GCC unroll 16
            for (int j = 0; j < RL; j++) r[j] = rload(pt + (j0 + j) * VL + i0);
            transpose_block(r);
            for (int i = i0; i < T && i < i0 + RL; i++) {
                if (i * T + j0 + RL <= T * T) rstore(a + i * T + j0, r[i - i0]);
                else for (int j = j0; j < T; j++) a[i * T + j] = r[i - i0][j - j0];
            }
        }
    }
}
/* pt (rows j, lanes i) = transpose of a (T,T), an RL x RL block at a time;
 * lanes i >= T of the blocks moved are 0, blocks wholly past T are left as
 * they are (the caller zeroes pt once). */
static inline void load_att(float *pt, const float *a, int T) {
    vr r[RL];
    for (int i0 = 0; i0 < T; i0 += RL) {
        for (int j0 = 0; j0 < T; j0 += RL) {
#pragma GCC unroll 16
            for (int ii = 0; ii < RL; ii++) {
                const int i = i0 + ii;
                if (i >= T) r[ii] = (vr){0};
                else if (i * T + j0 + RL <= T * T) r[ii] = rload(a + i * T + j0);
                else { r[ii] = (vr){0}; for (int j = j0; j < T; j++) r[ii][j - j0] = a[i * T + j]; }
            }
            transpose_block(r);
#pragma GCC unroll 16
            for (int j = 0; j < RL; j++) rstore(pt + (j0 + j) * VL + i0, r[j]);
        }
    }
}

/* Lanes i .. i + RL - 1 of the column vector sum_c xt[c][i] r[c]: xt points at
 * lane i of row 0, rows VL floats apart.  Four chains hide the FMA latency. */
static inline vr columns_dot(const float *xt, const float *r, int hs) {
    vr a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    int c = 0;
    for (; c + 4 <= hs; c += 4) {
        a0 += r[c] * rload(xt + c * VL);
        a1 += r[c + 1] * rload(xt + (c + 1) * VL);
        a2 += r[c + 2] * rload(xt + (c + 2) * VL);
        a3 += r[c + 3] * rload(xt + (c + 3) * VL);
    }
    for (; c < hs; c++) a0 += r[c] * rload(xt + c * VL);
    return (a0 + a1) + (a2 + a3);
}

static void attention_forward_small(float *out, float *att, const float *qkv,
                                    int B, int T, int C, int NH) {
    const int hs = C / NH, C3 = 3 * C;
    const float scale = 1.0f / sqrtf((float)hs);
    float qt[ATT_SMALL_MAX_HS * VL] __attribute__((aligned(64)));
    float pt[VL * VL] __attribute__((aligned(64)));
    memset(qt, 0, sizeof qt); /* lanes >= T stay 0: finite scores nobody reads */
    memset(pt, 0, sizeof pt);
    for (int b = 0; b < B; b++) {
        const float *base = qkv + (size_t)b * T * C3;
        for (int h = 0; h < NH; h++) {
            const float *q0 = base + h * hs, *k0 = base + C + h * hs, *v0 = base + 2 * C + h * hs;
            float *a = att + ((size_t)b * NH + h) * T * T;
            transpose_head(qt, q0, (size_t)C3, T, hs);
            /* The softmax over j, a register of queries (lanes l ..) at a time:
             * T score vectors do not fit in AVX2's registers alongside the
             * running max and sum, so they go through pt (row j, lane i), which
             * the stores leave holding the probabilities.  Parts wholly past T
             * hold no query and are skipped. */
            for (int l = 0; l < T; l += RL) {
                float *pl = pt + l;
                vr mx = rsplat(-FLT_MAX);
                for (int j = 0; j < T; j++) {
                    vr sj = scale * columns_dot(qt + l, k0 + (size_t)j * C3, hs);
                    rstore(pl + j * VL, sj);
                    mx = rmax(mx, sj);
                }
                vr sum = {0};
                for (int j = 0; j < T; j++) {
                    vr e = rexp(rload(pl + j * VL) - mx);
                    sum += e;
                    rstore(pl + j * VL, e);
                }
                const vr inv = 1.0f / sum;
                for (int j = 0; j < T; j++) rstore(pl + j * VL, rload(pl + j * VL) * inv);
            }
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
            if (b + 1 < B) { /* this head's inputs for the next batch entry */
                for (int part = 0; part < 3; part++)
                    prefetch_rows(q0 + (size_t)T * C3 + part * C, (size_t)C3, T, hs);
                prefetch_rows(dy0 + (size_t)T * C, (size_t)C, T, hs);
                prefetch_rows(a + (size_t)NH * T * T, 0, 1, T * T);
            }
            transpose_head(dyt, dy0, (size_t)C, T, hs);
            load_att(pt, a, T);
            /* dP^T[j] = dy_i . v_j (lanes i); s_i = sum_j P_ij dP_ij; a register
             * of queries at a time, dP^T kept in dst (see the forward). */
            for (int l = 0; l < T; l += RL) {
                const float *pl = pt + l;
                float *dl = dst + l;
                vr s = {0};
                for (int j = 0; j < T; j++) {
                    vr dp = columns_dot(dyt + l, v0 + (size_t)j * C3, hs);
                    rstore(dl + j * VL, dp);
                    s += rload(pl + j * VL) * dp;
                }
                for (int j = 0; j < T; j++)
                    rstore(dl + j * VL, scale * rload(pl + j * VL) * (rload(dl + j * VL) - s));
            }
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
static inline vr rgelu(vr x) {
    vr u2 = (2.0f * GELU_K) * (x + GELU_A * x * x * x);
    return x * rsigmoid(u2);
}
/* d gelu / dx = s + x s (1 - s) 2K (1 + 3 A x^2), s = sigmoid(2u) */
static inline vr rgelu_grad(vr x) {
    vr x2 = x * x;
    vr s = rsigmoid((2.0f * GELU_K) * (x + GELU_A * x2 * x));
    return s + x * s * (1.0f - s) * ((2.0f * GELU_K) * (1.0f + 3.0f * GELU_A * x2));
}
static inline vr rsilu(vr x) { return x * rsigmoid(x); }
static inline vr rsilu_grad(vr x) {
    vr s = rsigmoid(x);
    return s * (1.0f + x * (1.0f - s));
}

/* Each entry is computed on its own, so these run a register at a time, the
 * last partial register through a partial load and store; the inputs are
 * prefetched (see prefetch_ahead). */
#define ELEMENTWISE1(out, inp, n, F) do { \
    size_t i_ = 0; \
    for (; i_ + RL <= (n); i_ += RL) { \
        prefetch_ahead((inp), i_, (n)); \
        rstore((out) + i_, F(rload((inp) + i_))); \
    } \
    if (i_ < (n)) { int r_ = (int)((n) - i_); \
        rstore_n((out) + i_, F(rload_n((inp) + i_, r_)), r_); } } while (0)
#define ELEMENTWISE2(dinp, dout, inp, n, G) do { \
    size_t i_ = 0; \
    for (; i_ + RL <= (n); i_ += RL) { \
        prefetch_ahead((inp), i_, (n)); \
        prefetch_ahead((dout), i_, (n)); \
        rstore((dinp) + i_, rload((dout) + i_) * G(rload((inp) + i_))); \
    } \
    if (i_ < (n)) { int r_ = (int)((n) - i_); \
        rstore_n((dinp) + i_, rload_n((dout) + i_, r_) * G(rload_n((inp) + i_, r_)), r_); } \
    } while (0)

void gelu_forward(float *out, const float *inp, size_t n) { ELEMENTWISE1(out, inp, n, rgelu); }
void gelu_backward(float *dinp, const float *dout, const float *inp, size_t n) {
    ELEMENTWISE2(dinp, dout, inp, n, rgelu_grad);
}
void silu_forward(float *out, const float *inp, size_t n) { ELEMENTWISE1(out, inp, n, rsilu); }
void silu_backward(float *dinp, const float *dout, const float *inp, size_t n) {
    ELEMENTWISE2(dinp, dout, inp, n, rsilu_grad);
}

/* ---- adds ------------------------------------------------------------------ */

void residual_forward(float *out, const float *a, const float *b, size_t n) {
    size_t i = 0;
    for (; i < n - n % VL; i += RL) rstore(out + i, rload(a + i) + rload(b + i));
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

/* sin and cos of RD doubles (a register's worth: 4 on AVX2, 8 with AVX-512):
 * reduce to r in [-pi, pi] (a - 2 pi rint(a / 2 pi), the rint by the
 * 1.5 * 2^52 trick), then Taylor series to r^17 and r^18, whose truncation
 * error on [-pi, pi] is below 2.5e-8, under a float's half ulp of 1.  Each
 * lane on its own: the width changes nothing in the results, but a vector
 * wider than a register would keep the polynomials in memory. */
#define RD (RL / 2)
typedef double vd __attribute__((vector_size(RD * sizeof(double))));
typedef float vdf __attribute__((vector_size(RD * sizeof(float))));
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
    /* t is (B), out is (B,dim): [sin(t f_i) | cos(t f_i)], f_i = 10000^(-i/half).
     * Frequencies in groups of 8 by the polynomial (RD at a time), the rest
     * by libm. */
    const int half = dim / 2;
    int i = 0;
    for (; i + 8 <= half; i += 8) {
        double f[8];
        for (int k = 0; k < 8; k++) f[k] = exp(-log(10000.0) * (double)(i + k) / half);
        for (int b = 0; b < B; b++) {
            float *o = out + (size_t)b * dim;
            for (int k = 0; k < 8; k += RD) {
                vd fk, s, c;
                memcpy(&fk, f + k, sizeof fk);
                vsincos_d(fk * (double)t[b], &s, &c);
                const vdf sf = __builtin_convertvector(s, vdf), cf = __builtin_convertvector(c, vdf);
                memcpy(o + i + k, &sf, sizeof sf);
                memcpy(o + half + i + k, &cf, sizeof cf);
            }
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
