/* Unit tests of the nn layers (the optimiser's are in unit_optim.c).
 *
 * Gradient checks: every layer's backward is compared with central finite
 * differences of the scalar J = sum_i out_i R_i (R random, so dout = R), over
 * every input and parameter entry, for several shapes (vector-width multiples
 * and ragged tails, heads > 1, T > 1).  Tolerance (see fd_close): the forward
 * runs in float32, so J carries rounding noise of about FLT_EPSILON * sum|out_i R_i|;
 * divided by the 2h of the difference quotient (h = 1e-2 on O(1) inputs) that is
 * ~1e-5 * sum|out R| absolute, while the truncation error h^2 f'''/6 is ~2e-5
 * relative for these smooth functions.  We accept |a - n| <= 1e-3 * (1 + |n|) +
 * 20 * noise: about two orders of magnitude above the errors observed (largest
 * seen ~3e-5), and three below what any wrong term in a formula produces (O(|grad|)). */
#include "unit.h"
#include "nn/nn.h"
#include "core/rng.h"
#include <cblas.h>
#include <float.h>
#include <stdlib.h>
#include <string.h>

static void one_thread(void) { openblas_set_num_threads(1); }

static float *randn(size_t n, float std, rng_t *r) {
    float *p = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = std * rng_normalf(r);
    return p;
}
static float *zeros(size_t n) { return calloc(n ? n : 1, sizeof(float)); }

/* ---- the finite-difference machinery ------------------------------------------ */

typedef struct {
    void (*fwd)(void *ctx);
    void *ctx;
    const float *out, *R;   /* the forward's output and the random cotangent */
    size_t n_out;
} objective_t;

static double J(const objective_t *o) {
    o->fwd(o->ctx);
    double s = 0;
    for (size_t i = 0; i < o->n_out; i++) s += (double)o->out[i] * o->R[i];
    return s;
}

/* Rounding noise of J(+h) - J(-h): only the outputs that changed contribute
 * (the rest are recomputed bit for bit and cancel), each with ~1 ulp. */
static double fd_noise(const objective_t *o, const float *out_plus) {
    double a = 0;
    for (size_t i = 0; i < o->n_out; i++)
        if (out_plus[i] != o->out[i])
            a += (fabs((double)out_plus[i]) + fabs((double)o->out[i])) * fabs((double)o->R[i]);
    return a * FLT_EPSILON;
}

/* |a - fd| <= 1e-4 |fd| + 1e-6 + 8 noise / (2h): 1e-4 covers the truncation
 * error h^2 f'''/6 of h = 1e-2 on O(1) inputs; 8 x the rounding estimate covers
 * the float forward's few ulp per output. */
static double fd_tol(double num, double noise, double h) {
    return 1e-4 * fabs(num) + 1e-6 + 8.0 * noise / (2.0 * h);
}

/* Compares analytic[i] with d J / d x[i] for every i; prints the first bad entry.
 * Returns 1 when all agree.  NN_FD_VERBOSE=1 prints the worst error/tolerance. */
static int gradcheck(const char *what, float *x, size_t n, const float *analytic,
                     const objective_t *o, double h) {
    double worst = 0;
    float *plus = malloc(o->n_out * sizeof(float));
    int ok = 1;
    for (size_t i = 0; i < n && ok; i++) {
        float keep = x[i];
        x[i] = keep + (float)h;
        double hp = (double)x[i] - keep;      /* the step actually taken in float */
        double jp = J(o);
        memcpy(plus, o->out, o->n_out * sizeof(float));
        x[i] = keep - (float)h;
        double hm = keep - (double)x[i];
        double jm = J(o);
        double noise = fd_noise(o, plus);
        x[i] = keep;
        double num = (jp - jm) / (hp + hm);
        double ratio = fabs(analytic[i] - num) / fd_tol(num, noise, h);
        if (ratio > worst) worst = ratio;
        if (ratio > 1.0) {
            fprintf(stderr, "%s[%zu]: analytic %.8g, finite difference %.8g (tolerance %.3g)\n",
                    what, i, (double)analytic[i], num, fd_tol(num, noise, h));
            ok = 0;
        }
    }
    free(plus);
    J(o); /* leave the forward state as it was */
    if (getenv("NN_FD_VERBOSE")) fprintf(stderr, "  %-24s worst error/tolerance %.3g\n", what, worst);
    return ok;
}

/* ---- linear --------------------------------------------------------------------- */

typedef struct { float *out, *inp, *w, *b, *res; int N, C, OC; } lin_ctx;
static void lin_fwd(void *p) {
    lin_ctx *c = p;
    linear_forward(c->out, c->inp, c->w, c->b, c->res, c->N, c->C, c->OC);
}

static void test_linear_gradcheck(void) {
    one_thread();
    static const int shapes[][3] = { {1, 1, 1}, {5, 3, 7}, {9, 16, 32}, {17, 20, 33}, {4, 64, 9} };
    rng_t r;
    rng_seed(&r, 1, 0, 0);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int variant = 0; variant < 3; variant++) { /* 0: bias, 1: no bias, 2: bias + residual */
            const int N = shapes[s][0], C = shapes[s][1], OC = shapes[s][2];
            lin_ctx c = { zeros((size_t)N * OC), randn((size_t)N * C, 1, &r),
                          randn((size_t)OC * C, 0.5f, &r), variant == 1 ? NULL : randn(OC, 0.5f, &r),
                          variant == 2 ? randn((size_t)N * OC, 1, &r) : NULL, N, C, OC };
            float *R = randn((size_t)N * OC, 1, &r);
            float *dinp = randn((size_t)N * C, 1, &r); /* garbage: must be overwritten */
            float *dw = zeros((size_t)OC * C), *db = zeros(OC);
            lin_fwd(&c);
            linear_backward(dinp, dw, c.b ? db : NULL, R, c.inp, c.w, N, C, OC);
            objective_t o = { lin_fwd, &c, c.out, R, (size_t)N * OC };
            int ok = gradcheck("linear dinp", c.inp, (size_t)N * C, dinp, &o, 1e-2)
                  && gradcheck("linear dw", c.w, (size_t)OC * C, dw, &o, 1e-2)
                  && (!c.b || gradcheck("linear db", c.b, OC, db, &o, 1e-2))
                  && (!c.res || gradcheck("linear dres (= dout)", c.res, (size_t)N * OC, R, &o, 1e-2));
            /* accumulation: a second backward doubles dw */
            float w0 = dw[0];
            linear_backward(NULL, dw, NULL, R, c.inp, c.w, N, C, OC);
            int acc_ok = fabsf(dw[0] - 2 * w0) <= 1e-5f * (1 + fabsf(w0));
            free(c.out); free(c.inp); free(c.w); free(c.b); free(c.res);
            free(R); free(dinp); free(dw); free(db);
            CHECK_MSG(ok, "shape N=%d C=%d OC=%d variant %d", N, C, OC, variant);
            CHECK(acc_ok);
        }
}

/* ---- layernorm ------------------------------------------------------------------ */

typedef struct { float *out, *mean, *rstd, *inp, *w, *b; int N, C; } ln_ctx;
static void ln_fwd(void *p) {
    ln_ctx *c = p;
    layernorm_forward(c->out, c->mean, c->rstd, c->inp, c->w, c->b, c->N, c->C);
}

static void test_layernorm_gradcheck(void) {
    static const int shapes[][2] = { {1, 2}, {3, 5}, {4, 16}, {2, 37}, {3, 64} };
    rng_t r;
    rng_seed(&r, 2, 0, 0);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const int N = shapes[s][0], C = shapes[s][1];
        const size_t n = (size_t)N * C;
        ln_ctx c = { zeros(n), zeros(N), zeros(N), randn(n, 1, &r), randn(C, 1, &r),
                     randn(C, 1, &r), N, C };
        for (size_t i = 0; i < n; i++) c.inp[i] += 0.5f; /* a non-zero mean */
        float *R = randn(n, 1, &r);
        float *dinp0 = randn(n, 1, &r), *dinp = malloc(n * sizeof(float));
        memcpy(dinp, dinp0, n * sizeof(float));
        float *dw = zeros(C), *db = zeros(C);
        ln_fwd(&c);
        layernorm_backward(dinp, dw, db, R, c.inp, c.w, c.mean, c.rstd, N, C);
        for (size_t i = 0; i < n; i++) dinp[i] -= dinp0[i]; /* it adds: take the increment */
        /* normalised rows: mean 0, variance 1 before the affine map */
        double m = 0;
        for (int i = 0; i < C; i++) m += (c.inp[i] - c.mean[0]) * c.rstd[0];
        objective_t o = { ln_fwd, &c, c.out, R, n };
        int ok = fabs(m) < 1e-4 * C
              && gradcheck("layernorm dinp", c.inp, n, dinp, &o, 1e-2)
              && gradcheck("layernorm dw", c.w, C, dw, &o, 1e-2)
              && gradcheck("layernorm db", c.b, C, db, &o, 1e-2);
        free(c.out); free(c.mean); free(c.rstd); free(c.inp); free(c.w); free(c.b);
        free(R); free(dinp0); free(dinp); free(dw); free(db);
        CHECK_MSG(ok, "shape N=%d C=%d", N, C);
    }
}

/* ---- attention ------------------------------------------------------------------ */

typedef struct { float *out, *att, *qkv; int B, T, C, NH; } att_ctx;
static void att_fwd(void *p) {
    att_ctx *c = p;
    attention_forward(c->out, c->att, c->qkv, c->B, c->T, c->C, c->NH);
}

static void test_attention_gradcheck(void) {
    /* B, T, C, NH: head sizes 4, 16 (one vector), 10 and 20 (ragged), 32 (two) */
    static const int shapes[][4] = { {1, 1, 4, 1}, {2, 3, 8, 2}, {2, 5, 32, 2},
                                     {1, 9, 40, 4}, {2, 4, 40, 2}, {1, 3, 64, 2}, {2, 17, 16, 4} };
    rng_t r;
    rng_seed(&r, 3, 0, 0);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const int B = shapes[s][0], T = shapes[s][1], C = shapes[s][2], NH = shapes[s][3];
        const size_t n_in = (size_t)B * T * 3 * C, n_out = (size_t)B * T * C;
        att_ctx c = { zeros(n_out), zeros((size_t)B * NH * T * T), randn(n_in, 1, &r), B, T, C, NH };
        float *R = randn(n_out, 1, &r);
        float *dqkv = randn(n_in, 1, &r), *scratch = zeros(T);
        att_fwd(&c);
        /* every probability row sums to 1 */
        int rows_ok = 1;
        for (int i = 0; i < B * NH * T; i++) {
            double sum = 0;
            for (int j = 0; j < T; j++) sum += c.att[(size_t)i * T + j];
            rows_ok &= fabs(sum - 1) < 1e-5;
        }
        attention_backward(dqkv, scratch, R, c.qkv, c.att, B, T, C, NH);
        objective_t o = { att_fwd, &c, c.out, R, n_out };
        int ok = rows_ok && gradcheck("attention dqkv", c.qkv, n_in, dqkv, &o, 1e-2);
        free(c.out); free(c.att); free(c.qkv); free(R); free(dqkv); free(scratch);
        CHECK_MSG(ok, "shape B=%d T=%d C=%d NH=%d", B, T, C, NH);
    }
}

/* A head sees only its own columns: with one token per batch the output is v. */
static void test_attention_single_token_is_v(void) {
    const int B = 3, T = 1, C = 12, NH = 3;
    rng_t r;
    rng_seed(&r, 4, 0, 0);
    float *qkv = randn((size_t)B * 3 * C, 1, &r), *out = zeros((size_t)B * C), *att = zeros(B * NH);
    attention_forward(out, att, qkv, B, T, C, NH);
    int ok = 1;
    for (int b = 0; b < B; b++)
        for (int i = 0; i < C; i++) ok &= out[b * C + i] == qkv[b * 3 * C + 2 * C + i];
    for (int i = 0; i < B * NH; i++) ok &= att[i] == 1.0f;
    free(qkv); free(out); free(att);
    CHECK(ok);
}

/* ---- activations ---------------------------------------------------------------- */

typedef struct { float *out, *inp; size_t n; int silu; } act_ctx;
static void act_fwd(void *p) {
    act_ctx *c = p;
    if (c->silu) silu_forward(c->out, c->inp, c->n);
    else gelu_forward(c->out, c->inp, c->n);
}

static void test_activation_gradcheck(void) {
    static const size_t sizes[] = { 1, 7, 16, 33, 100 };
    rng_t r;
    rng_seed(&r, 5, 0, 0);
    for (int silu = 0; silu < 2; silu++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            const size_t n = sizes[s];
            act_ctx c = { zeros(n), randn(n, 3, &r), n, silu };
            float *R = randn(n, 1, &r), *dinp = zeros(n);
            act_fwd(&c);
            if (silu) silu_backward(dinp, R, c.inp, n);
            else gelu_backward(dinp, R, c.inp, n);
            objective_t o = { act_fwd, &c, c.out, R, n };
            int ok = gradcheck(silu ? "silu" : "gelu", c.inp, n, dinp, &o, 1e-2);
            /* in place (dinp aliasing dout) gives the same */
            float *inplace = malloc(n * sizeof(float));
            memcpy(inplace, R, n * sizeof(float));
            if (silu) silu_backward(inplace, inplace, c.inp, n);
            else gelu_backward(inplace, inplace, c.inp, n);
            ok &= memcmp(inplace, dinp, n * sizeof(float)) == 0;
            free(c.out); free(c.inp); free(R); free(dinp); free(inplace);
            CHECK_MSG(ok, "%s n=%zu", silu ? "silu" : "gelu", n);
        }
}

/* The vectorised exp-based GELU and SiLU against libm in double, far into the
 * tails (where the exp argument is clamped). */
static void test_activation_accuracy(void) {
    enum { n = 4001 };
    float *x = malloc(n * sizeof(float)), *g = malloc(n * sizeof(float)), *s = malloc(n * sizeof(float));
    for (int i = 0; i < n; i++) x[i] = -100.0f + 0.05f * (float)i;
    gelu_forward(g, x, n);
    silu_forward(s, x, n);
    double worst_g = 0, worst_s = 0;
    for (int i = 0; i < n; i++) {
        double xi = x[i];
        double u = 0.7978845608028654 * (xi + 0.044715 * xi * xi * xi);
        double gr = 0.5 * xi * (1.0 + tanh(u));
        double sr = xi / (1.0 + exp(-xi));
        double eg = fabs(g[i] - gr) / (1e-6 + fabs(gr)), es = fabs(s[i] - sr) / (1e-6 + fabs(sr));
        if (fabs(gr) < 1e-30) eg = fabs(g[i] - gr);
        if (fabs(sr) < 1e-30) es = fabs(s[i] - sr);
        worst_g = eg > worst_g ? eg : worst_g;
        worst_s = es > worst_s ? es : worst_s;
    }
    free(x); free(g); free(s);
    CHECK_MSG(worst_g < 1e-5 && worst_s < 1e-5, "relative error gelu %.3g silu %.3g", worst_g, worst_s);
}

/* ---- adds, embedding, loss ------------------------------------------------------ */

typedef struct { float *x, *x0, *pos, *pb; int B, T, C; } rows_ctx;
static void rows_fwd(void *p) {
    rows_ctx *c = p;
    memcpy(c->x, c->x0, (size_t)c->B * c->T * c->C * sizeof(float));
    add_rows_forward(c->x, c->pos, c->pb, c->B, c->T, c->C);
}

static void test_add_rows_gradcheck(void) {
    const int B = 3, T = 4, C = 19;
    const size_t n = (size_t)B * T * C;
    rng_t r;
    rng_seed(&r, 6, 0, 0);
    rows_ctx c = { zeros(n), randn(n, 1, &r), randn((size_t)T * C, 1, &r), randn((size_t)B * C, 1, &r), B, T, C };
    float *R = randn(n, 1, &r), *dpos = zeros((size_t)T * C), *dpb = zeros((size_t)B * C);
    rows_fwd(&c);
    add_rows_backward(dpos, dpb, R, B, T, C);
    objective_t o = { rows_fwd, &c, c.x, R, n };
    int ok = gradcheck("dpos", c.pos, (size_t)T * C, dpos, &o, 1e-2)
          && gradcheck("dper_batch", c.pb, (size_t)B * C, dpb, &o, 1e-2);
    float y[4];
    residual_forward(y, (const float[]){1, 2, 3, 4}, (const float[]){10, 20, 30, 40}, 4);
    ok &= y[0] == 11 && y[3] == 44;
    free(c.x); free(c.x0); free(c.pos); free(c.pb); free(R); free(dpos); free(dpb);
    CHECK(ok);
}

/* Against libm in double: dims whose half is a multiple of the 8-wide vector
 * path and one with a tail, steps from 0 to large and negative. */
static void test_timestep_embedding(void) {
    static const int dims[] = { 64, 20, 2 };
    const float t[5] = { 0.0f, 1.0f, 999.0f, 12345.5f, -3.25f };
    float out[5 * 64];
    for (size_t k = 0; k < sizeof dims / sizeof dims[0]; k++) {
        const int dim = dims[k], half = dim / 2;
        timestep_embedding(out, t, 5, dim);
        for (int b = 0; b < 5; b++)
            for (int i = 0; i < half; i++) {
                double f = pow(10000.0, -(double)i / half);
                CHECK_NEAR(out[b * dim + i], sin((double)t[b] * f), 2e-7);
                CHECK_NEAR(out[b * dim + half + i], cos((double)t[b] * f), 2e-7);
            }
    }
    /* distinct steps give distinct embeddings */
    timestep_embedding(out, t, 5, 64);
    double dist = 0;
    for (int i = 0; i < 64; i++) dist += fabs(out[64 + i] - out[2 * 64 + i]);
    CHECK(dist > 1.0);
}

typedef struct { float *pred, *target, *mask, *loss; size_t n; } mse_ctx;
static void mse_fwd(void *p) {
    mse_ctx *c = p;
    c->loss[0] = mse_forward_backward(NULL, c->pred, c->target, c->mask, c->n);
}

static void test_mse_masked(void) {
    const size_t n = 23;
    rng_t r;
    rng_seed(&r, 7, 0, 0);
    float *mask = zeros(n);
    for (size_t i = 0; i < n; i++) mask[i] = (i % 3 == 0) ? 0.0f : 1.0f;
    float loss = 0, one = 1;
    mse_ctx c = { randn(n, 1, &r), randn(n, 1, &r), mask, &loss, n };
    float *d = zeros(n);
    float l = mse_forward_backward(d, c.pred, c.target, mask, n);
    double ref = 0, cnt = 0;
    for (size_t i = 0; i < n; i++)
        if (mask[i] != 0) { ref += (c.pred[i] - c.target[i]) * (c.pred[i] - c.target[i]); cnt++; }
    CHECK_NEAR(l, ref / cnt, 1e-6 * (1 + ref / cnt));
    objective_t o = { mse_fwd, &c, &loss, &one, 1 };
    int ok = gradcheck("mse dpred", c.pred, n, d, &o, 1e-2);
    for (size_t i = 0; i < n; i++) ok &= mask[i] != 0 || d[i] == 0.0f;
    /* an all-zero mask: loss 0, gradient 0, no NaN */
    memset(mask, 0, n * sizeof(float));
    d[0] = 5;
    float l0 = mse_forward_backward(d, c.pred, c.target, mask, n);
    ok &= l0 == 0.0f && d[0] == 0.0f;
    free(c.pred); free(c.target); free(mask); free(d);
    CHECK(ok);
}

int main(int argc, char **argv) {
    static const unit_test_t tests[] = {
        { "linear_gradcheck", test_linear_gradcheck },
        { "layernorm_gradcheck", test_layernorm_gradcheck },
        { "attention_gradcheck", test_attention_gradcheck },
        { "attention_single_token_is_v", test_attention_single_token_is_v },
        { "activation_gradcheck", test_activation_gradcheck },
        { "activation_accuracy", test_activation_accuracy },
        { "add_rows_gradcheck", test_add_rows_gradcheck },
        { "timestep_embedding", test_timestep_embedding },
        { "mse_masked", test_mse_masked },
        { 0, 0 },
    };
    return unit_main(argc, argv, tests);
}
