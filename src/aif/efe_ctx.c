/* efe_ctx: EFE to go over the belief about a hidden context (include/aif/efe_ctx.h). */
#include "aif/efe_ctx.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A kept posterior (efe_ctx.h): with two contexts the stencil's points are
 * adjacent (j, j + 1) and its weights 1 - f and f, so its mass, f and j are
 * enough (1 - f is recomputed, the same double); with more, its mass and
 * its stencil's index.  ENT_D(K) doubles and ENT_I(K) indices. */
#define ENT_D(K) ((K) == 2 ? 2 : 1)
#define ENT_I(K) 1
size_t efe_ctx_entry_bytes(int K) { return sizeof(double) * (size_t)ENT_D(K) + sizeof(int) * (size_t)ENT_I(K); }

int efe_ctx_resolution(int K) {
    static const int R[EFE_CTX_MAX + 1] = {0, 0, 40, 21, 8, 5, 6, 7, 8, 9};
    return K >= 2 && K <= EFE_CTX_MAX ? R[K] : 0;
}

int efe_ctx_points(int K) {
    const int R = efe_ctx_resolution(K);
    if (!R) return 0;
    long c = 1; /* C(R + K - 1, K - 1) */
    for (int i = 1; i < K; i++) c = c * (R + i) / i;
    return (int)c;
}

int efe_ctx_fits(int n_cells, int K) {
    const int M = efe_ctx_points(K);
    return M > 0 && n_cells > 0 && (long)n_cells * M <= EFE_CTX_MAX_INFO;
}

/* The grid: every cumulative count vector u_1 >= ... >= u_{K-1} (u_i = R times
 * the belief in contexts i..K-1, in [0, R]) gets the next index, in the order
 * of its key sum_i u_i (R+1)^(i-1), so with K = 2 point j is the belief j / R in
 * the second context; its belief pbel, p_k = n_k / R for k >= 1 (n_k = u_k -
 * u_{k+1}) and p_0 the rest.  The vectors are enumerated with u_{K-1} (the
 * key's most significant digit) outermost, each digit from the one after it
 * up to the one before it (R for u_1): the ascending order of their keys. */
static void add_point(efe_ctx_t *t, const int *u, long key) {
    const int K = t->K, R = t->R, m = (int)t->M;
    double *pb = t->pbel + (size_t)m * K, rest = 0.0;
    for (int k = 1; k < K; k++) rest += pb[k] = (double)(u[k] - u[k + 1]) / R;
    pb[0] = u[0] > u[1] ? 1.0 - rest : 0.0;
    t->keys[m] = key;
    if (t->lut) t->lut[key] = m;
    t->M = m + 1;
}

static void enumerate(efe_ctx_t *t, int *u, int i, long key) {
    if (i == 0) { add_point(t, u, key); return; }
    for (u[i] = u[i + 1]; u[i] <= t->R; u[i]++) enumerate(t, u, i - 1, key + u[i] * t->pw[i]);
}

static void build_grid(efe_ctx_t *t) {
    const int K = t->K;
    int u[EFE_CTX_MAX + 1] = {0};
    if (t->lut)
        for (long key = 0; key < t->pw[K]; key++) t->lut[key] = -1;
    u[0] = t->R;
    u[K] = 0;
    t->M = 0;
    enumerate(t, u, K - 1, 0);
}

/* A grid point's index by its key: the dense table, or a binary search of the
 * ascending keys. */
static int point_of(const efe_ctx_t *t, long key) {
    if (t->lut) return t->lut[key];
    int lo = 0, hi = t->M - 1;
    while (lo < hi) {
        const int mid = lo + (hi - lo) / 2;
        if (t->keys[mid] < key) lo = mid + 1;
        else hi = mid;
    }
    return t->keys[lo] == key ? lo : -1;
}

int efe_ctx_alloc(efe_ctx_t *t, int n_cells, int K, int n_obs, int n_actions) {
    memset(t, 0, sizeof *t);
    const int M = efe_ctx_points(K);
    if (!efe_ctx_fits(n_cells, K)) return -1;
    t->nc = n_cells;
    t->K = K;
    t->no = n_obs;
    t->na = n_actions;
    t->R = efe_ctx_resolution(K);
    t->M = M;
    t->pw[1] = 1;
    for (int i = 2; i <= K; i++) t->pw[i] = t->pw[i - 1] * (t->R + 1);
    const size_t g = (size_t)n_cells * M, n = (size_t)K * n_cells;
    t->Vr = t->vbuf = calloc(4 * g, sizeof(double));
    t->pbel = malloc(sizeof(double) * (size_t)M * K);
    t->keys = malloc(sizeof(long) * (size_t)M);
    if (t->pw[K] <= EFE_CTX_DENSE_KEYS) t->lut = malloc(sizeof(int) * (size_t)t->pw[K]);
    t->bq = calloc(3 * n + (size_t)n_obs, sizeof(double));
    t->bsupp = malloc(sizeof(int) * (2 * n + (size_t)n_obs + (size_t)n_cells));
    t->omark = calloc((size_t)n_obs + (size_t)n_cells, 1);
    const int no_lut = t->pw[K] <= EFE_CTX_DENSE_KEYS && !t->lut;
    if (!t->vbuf || !t->pbel || !t->keys || no_lut || !t->bq || !t->bsupp || !t->omark) {
        efe_ctx_free(t);
        return -1;
    }
    build_grid(t);
    t->Va = t->Vr + g;
    t->nr = t->Vr + 2 * g;
    t->na_ = t->Vr + 3 * g;
    t->qo = t->bq + n;
    t->wk = t->qo + n_obs;
    t->rprob = t->wk + n;
    t->olist = t->bsupp + n;
    t->clist = t->olist + n_obs;
    t->rsupp = t->clist + n_cells;
    t->cmark = t->omark + n_obs;
    return 0;
}

void efe_ctx_free(efe_ctx_t *t) {
    free(t->vbuf); /* the four tables swap places in a solve: vbuf holds their block */
    free(t->pbel);
    free(t->lut);
    free(t->keys);
    free(t->bq);
    free(t->bsupp);
    free(t->omark);
    free(t->ent_d);
    free(t->ent_i);
    free(t->ent_off);
    free(t->ent_r);
    free(t->st_lam);
    free(t->st_r);
    free(t->st_idx);
    free(t->st_hash);
    memset(t, 0, sizeof *t);
}

/* The simplex piece of Freudenthal's triangulation holding the belief w / mass
 * (w [K], per context, mass their sum): its K grid points idx and barycentric
 * weights lam (efe_ctx.h).  With cumulative coordinates x_i = R sum_{k>=i} w_k / mass
 * (i = 1..K-1, non-increasing), base v = floor(x) (at most R - 1) and
 * d = x - v: the points v, v + e_s1, v + e_s1 + e_s2, ... with s the indices
 * by d decreasing (ties by index, which keeps every point a grid point),
 * weighted 1 - d_s1, d_s1 - d_s2, ..., d_s(K-1).  With K = 2: the points j and
 * j + 1 around x, weighted 1 - f and f. */
void efe_ctx_stencil(const efe_ctx_t *t, const double *w, double mass, int *idx, double *lam) {
    const int K = t->K, R = t->R;
    int v[EFE_CTX_MAX] = {0}, ord[EFE_CTX_MAX] = {0};
    double d[EFE_CTX_MAX] = {0}, s = 0.0;
    for (int i = K - 1; i >= 1; i--) {
        s += w[i];
        double x = (s / mass) * R;
        if (x > R) x = R;
        int j = (int)x;
        if (j >= R) j = R - 1;
        if (j < 0) j = 0;
        v[i] = j;
        d[i] = x - j;
    }
    for (int i = 1; i < K; i++) { /* insertion sort by d decreasing, stable */
        int j = i - 1;
        while (j >= 1 && d[ord[j]] < d[i]) { ord[j + 1] = ord[j]; j--; }
        ord[j + 1] = i;
    }
    const long *pw = t->pw;
    long key = 0;
    for (int i = 1; i < K; i++) key += v[i] * pw[i];
    idx[0] = point_of(t, key);
    lam[0] = 1.0 - d[ord[1]];
    for (int m = 1; m < K; m++) {
        key += pw[ord[m]];
        idx[m] = point_of(t, key);
        lam[m] = m < K - 1 ? d[ord[m]] - d[ord[m + 1]] : d[ord[m]];
    }
}

/* The table T at cell c over the stencil's points. */
static double interp(const efe_ctx_t *t, const double *T, int c, const int *idx, const double *lam) {
    const double *row = T + (size_t)c * t->M;
    double v = 0.0;
    for (int m = 0; m < t->K; m++) v += lam[m] * row[idx[m]];
    return v;
}

/* The bytes the kept arrays hold at these capacities (efe_ctx.h). */
static size_t kept_bytes(const efe_ctx_t *t, long ent_cap, long st_cap, long hash_cap) {
    return (size_t)ent_cap * efe_ctx_entry_bytes(t->K) +
           (size_t)st_cap * ((sizeof(double) + sizeof(int)) * (size_t)t->K + 2 * sizeof(double)) +
           (size_t)hash_cap * sizeof(long);
}

/* A hash of the stencil's bits (its indices and its weights' bit patterns,
 * one multiply each, then the high bits folded in). */
static uint64_t stencil_hash(const int *idx, const double *lam, int K) {
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (int k = 0; k < K; k++) {
        uint64_t b;
        memcpy(&b, lam + k, sizeof b);
        h = (h ^ (uint64_t)(uint32_t)idx[k]) * 0xff51afd7ed558ccdULL;
        h = (h ^ b) * 0xc4ceb9fe1a85ec53ULL;
    }
    return h ^ (h >> 31);
}

/* 1 if stored stencil s has exactly these indices and weights (bits). */
static int same_stencil(const efe_ctx_t *t, long s, const int *idx, const double *lam) {
    const int K = t->K;
    const int *si = t->st_idx + s * K;
    const double *sl = t->st_lam + s * K;
    for (int k = 0; k < K; k++) {
        uint64_t a, b;
        memcpy(&a, sl + k, sizeof a);
        memcpy(&b, lam + k, sizeof b);
        if (si[k] != idx[k] || a != b) return 0;
    }
    return 1;
}

/* Grow the stencil store to hold one more (doubling; the hash table at four
 * times its capacity, rebuilt): 0, or -1 past EFE_CTX_CACHE_BYTES or out of
 * memory. */
static int grow_stencils(efe_ctx_t *t) {
    const int K = t->K;
    const long cap = t->st_cap ? 2 * t->st_cap : 4096, hcap = 4 * cap;
    if (kept_bytes(t, t->ent_cap, cap, hcap) > (size_t)EFE_CTX_CACHE_BYTES) return -1;
    double *lam = realloc(t->st_lam, sizeof(double) * (size_t)K * (size_t)cap);
    if (lam) t->st_lam = lam;
    int *idx = lam ? realloc(t->st_idx, sizeof(int) * (size_t)K * (size_t)cap) : NULL;
    if (idx) t->st_idx = idx;
    double *r = idx ? realloc(t->st_r, sizeof(double) * 2 * (size_t)cap) : NULL;
    if (r) t->st_r = r;
    long *hash = r ? malloc(sizeof(long) * (size_t)hcap) : NULL;
    if (!hash) return -1;
    free(t->st_hash);
    t->st_hash = hash;
    t->st_cap = cap;
    t->hash_cap = hcap;
    for (long i = 0; i < hcap; i++) hash[i] = -1;
    for (long s = 0; s < t->n_st; s++) {
        long h = (long)(stencil_hash(t->st_idx + s * K, t->st_lam + s * K, K) & (uint64_t)(hcap - 1));
        while (hash[h] >= 0) h = (h + 1) & (hcap - 1);
        hash[h] = s;
    }
    return 0;
}

/* The index of stencil (idx, lam) in the store, added if it is not there
 * (the same bits: the same stencil); -1 when the store cannot grow. */
static long stencil_id(efe_ctx_t *t, const int *idx, const double *lam) {
    const int K = t->K;
    if (t->n_st >= t->st_cap && grow_stencils(t) != 0) return -1;
    const uint64_t hv = stencil_hash(idx, lam, K);
    long h = (long)(hv & (uint64_t)(t->hash_cap - 1));
    for (; t->st_hash[h] >= 0; h = (h + 1) & (t->hash_cap - 1)) {
        const long s = t->st_hash[h];
        if (same_stencil(t, s, idx, lam)) return s;
    }
    const long s = t->n_st++;
    memcpy(t->st_idx + s * K, idx, sizeof(int) * (size_t)K);
    memcpy(t->st_lam + s * K, lam, sizeof(double) * (size_t)K);
    t->st_hash[h] = s;
    return s;
}

/* Append a posterior to the solve's cache (growing it up to
 * EFE_CTX_CACHE_BYTES; beyond, or out of memory, recording stops: -1). */
static void record(efe_ctx_t *t, int c, double mass, const int *idx, const double *lam) {
    const int K = t->K;
    if (t->n_ent == t->ent_cap) {
        const long cap = t->ent_cap ? 2 * t->ent_cap : 4096;
        if (kept_bytes(t, cap, t->st_cap, t->hash_cap) > (size_t)EFE_CTX_CACHE_BYTES) { t->recording = -1; return; }
        double *d = realloc(t->ent_d, sizeof(double) * (size_t)ENT_D(K) * (size_t)cap);
        if (d) t->ent_d = d;
        int *i = d ? realloc(t->ent_i, sizeof(int) * (size_t)ENT_I(K) * (size_t)cap) : NULL;
        if (i) t->ent_i = i;
        if (!d || !i) { t->recording = -1; return; }
        t->ent_cap = cap;
    }
    double *d = t->ent_d + (size_t)ENT_D(K) * (size_t)t->n_ent;
    int *i = t->ent_i + (size_t)ENT_I(K) * (size_t)t->n_ent;
    d[0] = mass;
    if (K == 2) {
        d[1] = lam[1];
        i[0] = c * t->M + idx[0];
        t->n_ent++;
        return;
    }
    int at[EFE_CTX_MAX];
    for (int k = 0; k < K; k++) at[k] = c * t->M + idx[k];
    const long s = stencil_id(t, at, lam);
    if (s < 0 || s > INT32_MAX) { t->recording = -1; return; }
    i[0] = (int)s;
    t->n_ent++;
}

/* One step of action a from the joint belief (supp, prob: ns states): its
 * risk and ambiguity, and the tables' value after each observation (cr, ca). */
static void step_value(efe_ctx_t *t, const efe_model_t *m, const double *lnp, const efe_weights_t *wt,
                       const int *supp, const double *prob, int ns, int a, double *risk, double *amb, double *cr,
                       double *ca) {
    const int nc = t->nc, K = t->K, n = K * nc, bw = m->b_width, aw = m->a_width, no = t->no;
    /* the predicted joint belief; a state is in the support once (bq > 0 marks it) */
    int nb = 0;
    for (int i = 0; i < ns; i++) {
        const size_t base = ((size_t)a * n + supp[i]) * bw;
        for (int j = 0; j < bw && m->b_idx[base + j] >= 0; j++) {
            const int s2 = m->b_idx[base + j];
            const double pb = prob[i] * m->b_p[base + j];
            if (pb <= 0.0) continue;
            if (t->bq[s2] == 0.0) t->bsupp[nb++] = s2;
            t->bq[s2] += pb;
        }
    }
    double am = 0.0;
    int nobs = 0;
    for (int i = 0; i < nb; i++) {
        const int s2 = t->bsupp[i];
        am += t->bq[s2] * m->H_A[s2];
        for (int k = 0; k < aw; k++) {
            const int o = m->a_idx[(size_t)s2 * aw + k];
            if (o < 0) break;
            if (!t->omark[o]) { t->omark[o] = 1; t->olist[nobs++] = o; }
            t->qo[o] += t->bq[s2] * m->a_p[(size_t)s2 * aw + k];
        }
    }
    double r = 0.0, vr = 0.0, va = 0.0;
    for (int i = 0; i < nobs; i++) {
        const int o = t->olist[i];
        const double po = t->qo[o];
        if (po > 0.0) r += po * efe_risk_term(wt, po, lnp[o]);
        /* the posterior after o, per cell: its mass and belief about the context */
        int ncl = 0;
        for (int j = 0; j < nb; j++) {
            const int s2 = t->bsupp[j];
            const double wgt = t->bq[s2] * m->A[(size_t)s2 * no + o];
            if (wgt <= 0.0) continue;
            const int c = s2 % nc;
            if (!t->cmark[c]) { t->cmark[c] = 1; t->clist[ncl++] = c; }
            t->wk[(size_t)(s2 / nc) * nc + c] += wgt;
        }
        for (int j = 0; j < ncl; j++) {
            const int c = t->clist[j];
            double w[EFE_CTX_MAX], lam[EFE_CTX_MAX], mass = 0.0;
            int idx[EFE_CTX_MAX];
            for (int k = 0; k < K; k++) {
                mass += w[k] = t->wk[(size_t)k * nc + c];
                t->wk[(size_t)k * nc + c] = 0.0;
            }
            efe_ctx_stencil(t, w, mass, idx, lam);
            if (t->recording > 0) record(t, c, mass, idx, lam);
            vr += mass * interp(t, t->Vr, c, idx, lam);
            va += mass * interp(t, t->Va, c, idx, lam);
            t->cmark[c] = 0;
        }
        t->qo[o] = 0.0;
        t->omark[o] = 0;
    }
    for (int i = 0; i < nb; i++) t->bq[t->bsupp[i]] = 0.0;
    *risk = r;
    *amb = am;
    *cr = vr;
    *ca = va;
}

/* Grid point j at cell c as a joint belief: its states and probabilities. */
static int point_support(const efe_ctx_t *t, int c, int j, int *supp, double *prob) {
    const double *pb = t->pbel + (size_t)j * t->K;
    int ns = 0;
    for (int k = 0; k < t->K; k++)
        if (pb[k] > 0.0) { supp[ns] = k * t->nc + c; prob[ns++] = pb[k]; }
    return ns;
}

/* Every step of the solve once, kept (efe_ctx.h): 0, or -1 when it would not
 * fit EFE_CTX_CACHE_BYTES (or no memory), and the iterations recompute. */
static int record_steps(efe_ctx_t *t, const efe_model_t *m, const double *lnp, const efe_weights_t *w) {
    const size_t nca = (size_t)t->nc * t->M * t->na;
    if (nca * (sizeof(long) + 2 * sizeof(double)) > (size_t)EFE_CTX_CACHE_BYTES) return -1;
    if (!t->ent_off) {
        t->ent_off = malloc(sizeof(long) * (nca + 1));
        t->ent_r = malloc(sizeof(double) * 2 * nca);
        if (!t->ent_off || !t->ent_r) {
            free(t->ent_off);
            free(t->ent_r);
            t->ent_off = NULL;
            t->ent_r = NULL;
            return -1;
        }
        t->ent_a = t->ent_r + nca;
    }
    t->n_ent = 0;
    t->n_st = 0;
    for (long h = 0; h < t->hash_cap; h++) t->st_hash[h] = -1;
    t->recording = 1;
    size_t i = 0;
    for (int c = 0; c < t->nc && t->recording > 0; c++)
        for (int j = 0; j < t->M && t->recording > 0; j++) {
            int supp[EFE_CTX_MAX];
            double prob[EFE_CTX_MAX], cr, ca;
            const int ns = point_support(t, c, j, supp, prob);
            for (int a = 0; a < t->na; a++, i++) {
                t->ent_off[i] = t->n_ent;
                step_value(t, m, lnp, w, supp, prob, ns, a, &t->ent_r[i], &t->ent_a[i], &cr, &ca);
            }
        }
    t->ent_off[i] = t->n_ent;
    const int ok = t->recording > 0;
    t->recording = 0;
    return ok ? 0 : -1;
}

/* A kept step's value after it: the tables over its posteriors, summed in
 * the order step_value sums them (the same numbers). */
static void kept_value(const efe_ctx_t *t, size_t i, double *cr, double *ca) {
    const int K = t->K;
    const double *Vr = t->Vr, *Va = t->Va;
    const double *d = t->ent_d + (size_t)ENT_D(K) * (size_t)t->ent_off[i];
    const int *ix = t->ent_i + (size_t)ENT_I(K) * (size_t)t->ent_off[i];
    double vr = 0.0, va = 0.0;
    if (K == 2) {
        for (long x = t->ent_off[i]; x < t->ent_off[i + 1]; x++, d += 2, ix++) {
            const double f = d[1], g = 1.0 - f; /* the stencil's 1 - f, recomputed */
            const int j = ix[0];
            vr += d[0] * (0.0 + g * Vr[j] + f * Vr[j + 1]);
            va += d[0] * (0.0 + g * Va[j] + f * Va[j + 1]);
        }
        *cr = vr;
        *ca = va;
        return;
    }
    for (long x = t->ent_off[i]; x < t->ent_off[i + 1]; x++, d++, ix++) { /* the stencils' sums (stencil_sums) */
        vr += d[0] * t->st_r[2 * (size_t)ix[0]];
        va += d[0] * t->st_r[2 * (size_t)ix[0] + 1];
    }
    *cr = vr;
    *ca = va;
}

/* Each kept stencil's value in the present tables, risk and ambiguity parts:
 * interp's sums, in its order. */
static void stencil_sums(efe_ctx_t *t) {
    const int K = t->K;
    for (long s = 0; s < t->n_st; s++) {
        const double *lam = t->st_lam + s * K;
        const int *ix = t->st_idx + s * K;
        double r = 0.0, a = 0.0;
        for (int m = 0; m < K; m++) {
            r += lam[m] * t->Vr[ix[m]];
            a += lam[m] * t->Va[ix[m]];
        }
        t->st_r[2 * s] = r;
        t->st_r[2 * s + 1] = a;
    }
}

void efe_ctx_solve(efe_ctx_t *t, const efe_model_t *m, const double *lnp, const efe_weights_t *w, int steps) {
    const int nc = t->nc, M = t->M, na = t->na;
    const size_t g = (size_t)nc * M;
    memset(t->Vr, 0, sizeof(double) * g);
    memset(t->Va, 0, sizeof(double) * g);
    t->steps = 0;
    const int kept = steps > 0 && !t->recompute && record_steps(t, m, lnp, w) == 0;
    for (int it = 0; it < steps; it++) {
        double vmin = INFINITY;
        size_t imin = 0;
        if (kept && t->K > 2) stencil_sums(t);
        for (int c = 0; c < nc; c++)
            for (int j = 0; j < M; j++) {
                int supp[EFE_CTX_MAX], ns = 0;
                double prob[EFE_CTX_MAX];
                if (!kept) ns = point_support(t, c, j, supp, prob);
                double best = INFINITY, br = 0.0, ba = 0.0;
                for (int a = 0; a < na; a++) {
                    double r, am, cr, ca;
                    const size_t k = ((size_t)c * M + j) * na + a;
                    if (kept) {
                        r = t->ent_r[k];
                        am = t->ent_a[k];
                        kept_value(t, k, &cr, &ca);
                    } else {
                        step_value(t, m, lnp, w, supp, prob, ns, a, &r, &am, &cr, &ca);
                    }
                    const double q = efe_combine(w, r + cr, am + ca);
                    /* ties keep the lower action, as the induction tail does */
                    if (a == 0 || q < best - 1e-12 * fabs(best)) { best = q; br = r + cr; ba = am + ca; }
                }
                const size_t i = (size_t)c * M + j;
                t->nr[i] = br;
                t->na_[i] = ba;
                if (best < vmin) { vmin = best; imin = i; }
            }
        /* relative to the best information state: a constant does not change a decision */
        const double r0 = t->nr[imin], a0 = t->na_[imin];
        double change = 0.0;
        for (size_t i = 0; i < g; i++) {
            t->nr[i] -= r0;
            t->na_[i] -= a0;
            const double d = fabs(efe_combine(w, t->nr[i], t->na_[i]) - efe_combine(w, t->Vr[i], t->Va[i]));
            if (d > change) change = d;
        }
        double *x = t->Vr; t->Vr = t->nr; t->nr = x;
        x = t->Va; t->Va = t->na_; t->na_ = x;
        t->steps = it + 1;
        if (change <= 1e-12) break;
    }
}

void efe_ctx_first(efe_ctx_t *t, const efe_model_t *m, const double *q, const double *lnp, const efe_weights_t *w,
                   double *G, double *risk, double *amb) {
    const int n = t->K * t->nc;
    double mx = 0.0, sum = 0.0;
    for (int s = 0; s < n; s++) if (q[s] > mx) mx = q[s];
    /* the belief without states below a relative 1e-12 (renormalised), as the planner's root */
    int ns = 0;
    for (int s = 0; s < n; s++)
        if (q[s] > 1e-12 * mx) { t->rsupp[ns] = s; t->rprob[ns++] = q[s]; sum += q[s]; }
    for (int i = 0; i < ns; i++) t->rprob[i] /= sum;
    for (int a = 0; a < t->na; a++) {
        double r, am, cr, ca;
        step_value(t, m, lnp, w, t->rsupp, t->rprob, ns, a, &r, &am, &cr, &ca);
        risk[a] = r + cr;
        amb[a] = am + ca;
        G[a] = efe_combine(w, risk[a], amb[a]);
    }
}
