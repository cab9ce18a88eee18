/* Unit tests of the optimiser (optim.h): Adam(W) against a transcription of
 * its update in double, gradient clipping by global norm, a non-finite
 * gradient skipped and reported, bad hyper-parameters refused, and the EMA. */
#include "unit.h"
#include "nn/optim.h"
#include "core/rng.h"
#include <stdlib.h>
#include <string.h>

static float *randn(size_t n, float std, rng_t *r) {
    float *p = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = std * rng_normalf(r);
    return p;
}

/* adam_step against a transcription of the AdamW update in double. */
static void test_adam_matches_reference(void) {
    const size_t n = 37;
    rng_t r;
    rng_seed(&r, 8, 0, 0);
    adam_config_t cfg = adam_defaults();
    cfg.lr = 1e-2f;
    cfg.weight_decay = 0.1f;
    adam_t a;
    char err[256];
    CHECK(adam_create(&a, n, &cfg, err, sizeof err) == 0);
    float *p = randn(n, 1, &r);
    double pr[37], m[37] = {0}, v[37] = {0};
    for (size_t i = 0; i < n; i++) pr[i] = p[i];
    for (int step = 1; step <= 5; step++) {
        float *g = randn(n, 1, &r);
        adam_step(&a, p, g);
        for (size_t i = 0; i < n; i++) {
            m[i] = 0.9 * m[i] + 0.1 * g[i];
            v[i] = 0.999 * v[i] + 0.001 * (double)g[i] * g[i];
            double mh = m[i] / (1 - pow(0.9, step)), vh = v[i] / (1 - pow(0.999, step));
            pr[i] = pr[i] * (1 - 1e-2 * 0.1) - 1e-2 * mh / (sqrt(vh) + 1e-8);
        }
        free(g);
    }
    double worst = 0;
    for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs(p[i] - pr[i]));
    long long steps = a.step;
    free(p);
    adam_free(&a);
    CHECK(steps == 5);
    CHECK_MSG(worst < 1e-5, "max deviation %.3g", worst);
}

static void test_adam_clip_and_nonfinite(void) {
    const size_t n = 4;
    adam_config_t cfg = adam_defaults();
    cfg.clip_norm = 1.0f;
    adam_t a, b;
    char err[256];
    CHECK(adam_create(&a, n, &cfg, err, sizeof err) == 0);
    cfg.clip_norm = 0;
    CHECK(adam_create(&b, n, &cfg, err, sizeof err) == 0);
    float pa[4] = {0}, pb[4] = {0};
    float g[4] = { 3, 4, 0, 0 };             /* norm 5 */
    float gs[4] = { 0.6f, 0.8f, 0, 0 };      /* the same clipped to norm 1 */
    float norm = adam_step(&a, pa, g);
    adam_step(&b, pb, gs);
    CHECK_NEAR(norm, 5.0, 1e-6);
    /* first moments show the clipping (the first Adam step itself is scale-free) */
    CHECK_NEAR(a.m[0], b.m[0], 1e-7);
    CHECK_NEAR(a.m[1], b.m[1], 1e-7);
    /* a non-finite gradient is reported and changes nothing */
    float bad[4] = { 1, NAN, 0, 0 };
    float before[4];
    memcpy(before, pa, sizeof before);
    float nn_ = adam_step(&a, pa, bad);
    CHECK(!isfinite(nn_));
    CHECK(a.step == 1);
    CHECK(memcmp(before, pa, sizeof before) == 0);
    adam_free(&a);
    adam_free(&b);
    /* bad hyper-parameters are refused with a message */
    cfg = adam_defaults();
    cfg.beta2 = 1.0f;
    CHECK(adam_create(&a, n, &cfg, err, sizeof err) == -1);
    CHECK(strstr(err, "beta2") != NULL);
}

static void test_ema(void) {
    float p[3] = { 1, 2, 3 };
    ema_t e;
    char err[128];
    CHECK(ema_create(&e, 3, 0.9f, p, err, sizeof err) == 0);
    float q[3] = { 11, 12, 13 };
    ema_update(&e, q);
    CHECK_NEAR(e.w[0], 0.9 * 1 + 0.1 * 11, 1e-6);
    CHECK_NEAR(e.w[2], 0.9 * 3 + 0.1 * 13, 1e-6);
    ema_free(&e);
    CHECK(ema_create(&e, 3, 1.0f, p, err, sizeof err) == -1);
}

int main(int argc, char **argv) {
    static const unit_test_t tests[] = {
        { "adam_matches_reference", test_adam_matches_reference },
        { "adam_clip_and_nonfinite", test_adam_clip_and_nonfinite },
        { "ema", test_ema },
        { 0, 0 },
    };
    return unit_main(argc, argv, tests);
}
