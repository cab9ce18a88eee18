/* Unit tests for rng: reproducible, independent streams and the moments of
 * each distribution.  Seeds are fixed, so every statistical check is
 * deterministic; bounds are ~5 standard errors so a correct generator passes
 * with a wide margin and a biased one does not. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "core/rng.h"
#include "unit.h"

#define N_DRAWS 1000000

static void test_determinism(void) {
    rng_t a, b;
    rng_seed(&a, 12345, 17, RNG_AGENT);
    rng_seed(&b, 12345, 17, RNG_AGENT);
    for (int i = 0; i < 10000; i++) CHECK(rng_u64(&a) == rng_u64(&b));
    /* Derived draws follow the same stream. */
    rng_seed(&a, 7, 0, RNG_ENV);
    rng_seed(&b, 7, 0, RNG_ENV);
    for (int i = 0; i < 1000; i++) {
        CHECK(rng_uniform(&a) == rng_uniform(&b));
        CHECK(rng_below(&a, 1000003) == rng_below(&b, 1000003));
        CHECK(rng_normal(&a) == rng_normal(&b));
    }
}

/* Streams that differ in any one of (seed, run, purpose) share no outputs at the
 * same positions and are not shifted copies of each other over a window. */
static void test_streams_differ(void) {
    enum { K = 4, N = 2000 };
    static uint64_t out[K][N];
    rng_t r[K];
    rng_seed(&r[0], 1, 1, RNG_ENV);
    rng_seed(&r[1], 2, 1, RNG_ENV);
    rng_seed(&r[2], 1, 2, RNG_ENV);
    rng_seed(&r[3], 1, 1, RNG_AGENT);
    for (int k = 0; k < K; k++)
        for (int i = 0; i < N; i++) out[k][i] = rng_u64(&r[k]);
    for (int k = 0; k < K; k++)
        for (int j = k + 1; j < K; j++) {
            int same = 0;
            for (int i = 0; i < N; i++) same += out[k][i] == out[j][i];
            CHECK_MSG(same == 0, "streams %d and %d agree at %d positions", k, j, same);
            /* First output of one must not appear in the first N of the other. */
            for (int i = 0; i < N; i++) CHECK(out[j][i] != out[k][0]);
        }
    /* Swapping run and purpose must not give the same stream. */
    rng_t x, y;
    rng_seed(&x, 5, 3, 4);
    rng_seed(&y, 5, 4, 3);
    CHECK(rng_u64(&x) != rng_u64(&y));
}

static void test_uniform(void) {
    rng_t r;
    rng_seed(&r, 99, 1, RNG_INIT);
    double sum = 0, sum2 = 0, lo = 1, hi = 0;
    long below_tenth = 0;
    for (int i = 0; i < N_DRAWS; i++) {
        double u = rng_uniform(&r);
        CHECK(u >= 0.0 && u < 1.0);
        sum += u;
        sum2 += u * u;
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
        below_tenth += u < 0.1;
    }
    double mean = sum / N_DRAWS, var = sum2 / N_DRAWS - mean * mean;
    CHECK_NEAR(mean, 0.5, 5 * sqrt(1.0 / 12 / N_DRAWS));
    CHECK_NEAR(var, 1.0 / 12, 5 * sqrt(1.0 / 180 / N_DRAWS)); /* var of (u - 1/2)^2 is 1/180 */
    CHECK_NEAR((double)below_tenth / N_DRAWS, 0.1, 5 * sqrt(0.09 / N_DRAWS));
    CHECK(lo < 1e-4 && hi > 1 - 1e-4);
}

/* Chi-square over 7 buckets: 6 degrees of freedom, 0.1% critical value 22.46. */
static void test_below_chi_square(void) {
    rng_t r;
    rng_seed(&r, 2024, 5, RNG_AGENT);
    long counts[7] = {0};
    const long n = 700000;
    for (long i = 0; i < n; i++) {
        uint32_t k = rng_below(&r, 7);
        CHECK(k < 7);
        counts[k]++;
    }
    double chi2 = 0, expect = n / 7.0;
    for (int k = 0; k < 7; k++) chi2 += (counts[k] - expect) * (counts[k] - expect) / expect;
    CHECK_MSG(chi2 < 22.46, "chi2 = %g", chi2);
    for (int i = 0; i < 1000; i++) CHECK(rng_below(&r, 1) == 0);
    /* Near the top of the range the rejection step matters; values stay in range
     * and the top third is hit a third of the time. */
    const uint32_t big = 3u << 30;
    long top = 0;
    for (long i = 0; i < 300000; i++) {
        uint32_t v = rng_below(&r, big);
        CHECK(v < big);
        top += v >= 2u << 30;
    }
    CHECK_NEAR(top / 300000.0, 1.0 / 3, 5 * sqrt(2.0 / 9 / 300000));
}

static void test_normal_moments(void) {
    rng_t r;
    rng_seed(&r, 31337, 2, RNG_INIT);
    double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
    long within1 = 0;
    for (int i = 0; i < N_DRAWS; i++) {
        double z = rng_normal(&r);
        CHECK(isfinite(z));
        s1 += z;
        s2 += z * z;
        s3 += z * z * z;
        s4 += z * z * z * z;
        within1 += fabs(z) < 1.0;
    }
    double n = N_DRAWS;
    CHECK_NEAR(s1 / n, 0.0, 5 * sqrt(1.0 / n));
    CHECK_NEAR(s2 / n, 1.0, 5 * sqrt(2.0 / n));
    CHECK_NEAR(s3 / n, 0.0, 5 * sqrt(15.0 / n));
    CHECK_NEAR(s4 / n, 3.0, 5 * sqrt(96.0 / n));
    CHECK_NEAR(within1 / n, 0.682689492, 5 * sqrt(0.2167 / n));
    float f = 0;
    for (int i = 0; i < 1000; i++) {
        f = rng_normalf(&r);
        CHECK(isfinite(f) && fabsf(f) < 10.0f);
    }
}

static void categorical_matches(const double *w, int k, const double *p, uint64_t seed) {
    rng_t r;
    rng_seed(&r, seed, 0, RNG_AGENT);
    long counts[8] = {0};
    for (int i = 0; i < N_DRAWS; i++) {
        int c = rng_categorical(&r, w, k);
        CHECK(c >= 0 && c < k);
        counts[c]++;
    }
    for (int c = 0; c < k; c++) {
        double f = (double)counts[c] / N_DRAWS;
        CHECK_MSG(fabs(f - p[c]) <= 5 * sqrt(p[c] * (1 - p[c]) / N_DRAWS) + 1e-12,
                  "bucket %d: freq %g vs p %g", c, f, p[c]);
    }
}

static void test_categorical(void) {
    /* Unnormalised weights; zeros and negatives are never drawn. */
    const double w1[5] = {1, 0, 5, 4, -2};
    const double p1[5] = {0.1, 0, 0.5, 0.4, 0};
    categorical_matches(w1, 5, p1, 1);
    /* All zero: uniform. */
    const double w2[4] = {0, 0, 0, 0};
    const double p2[4] = {0.25, 0.25, 0.25, 0.25};
    categorical_matches(w2, 4, p2, 2);
    /* A tiny weight is still drawn at its rate. */
    const double w3[3] = {1e-3, 1, 0};
    const double p3[3] = {1e-3 / 1.001, 1 / 1.001, 0};
    categorical_matches(w3, 3, p3, 3);
    /* One-hot. */
    const double w4[3] = {0, 2.5, 0};
    const double p4[3] = {0, 1, 0};
    categorical_matches(w4, 3, p4, 4);
}

static const unit_test_t tests[] = {
    {"determinism", test_determinism},
    {"streams_differ", test_streams_differ},
    {"uniform", test_uniform},
    {"below_chi_square", test_below_chi_square},
    {"normal_moments", test_normal_moments},
    {"categorical", test_categorical},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
