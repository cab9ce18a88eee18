/* unit_params: the parameter schema's helpers (params.h): choices counted and
 * looked up exactly, values formatted as the job file would write them, and
 * reals in the shortest form that reads back as the same double (the results
 * file and the summaries print them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/params.h"
#include "core/rng.h"
#include "unit.h"

static const char *const sched[] = {"linear", "cosine", "sigmoid", NULL};
static const param_spec_t p_choice = {"schedule", PT_CHOICE, 1, 0, 0, sched, "noise schedule"};
static const param_spec_t p_int = {"horizon", PT_INT, 3, 1, 1000000000, NULL, "planning horizon"};
static const param_spec_t p_real = {"lr", PT_REAL, 0.001, 0, 1, NULL, "learning rate"};
static const param_spec_t p_bool = {"learn_A", PT_BOOL, 0, 0, 1, NULL, "learn A"};

static void test_choices(void) {
    CHECK(param_n_choices(&p_choice) == 3);
    CHECK(param_choice_index(&p_choice, "linear") == 0 && param_choice_index(&p_choice, "sigmoid") == 2);
    CHECK(param_choice_index(&p_choice, "Cosine") == -1 && param_choice_index(&p_choice, "cos") == -1);
    CHECK(param_choice_index(&p_choice, "") == -1);
    CHECK(param_n_choices(&p_int) == 0 && param_choice_index(&p_int, "linear") == -1);
}

static void test_format(void) {
    char b[64];
    param_format(&p_int, 7, b, sizeof b);
    CHECK(!strcmp(b, "7"));
    param_format(&p_int, -3, b, sizeof b);
    CHECK(!strcmp(b, "-3"));
    param_format(&p_int, 1e9, b, sizeof b);
    CHECK(!strcmp(b, "1000000000"));
    param_format(&p_bool, 0, b, sizeof b);
    CHECK(!strcmp(b, "false"));
    param_format(&p_bool, 1, b, sizeof b);
    CHECK(!strcmp(b, "true"));
    param_format(&p_choice, 1, b, sizeof b);
    CHECK(!strcmp(b, "cosine"));
    param_format(&p_choice, 3, b, sizeof b);
    CHECK(!strcmp(b, "?"));
    param_format(&p_choice, -1, b, sizeof b);
    CHECK(!strcmp(b, "?"));
    param_format(&p_real, 0.1, b, sizeof b);
    CHECK_MSG(!strcmp(b, "0.1"), "%s", b);
    param_format(&p_real, 0.001, b, sizeof b);
    CHECK_MSG(!strcmp(b, "0.001"), "%s", b);
    param_format(&p_real, 2.5, b, sizeof b);
    CHECK(!strcmp(b, "2.5"));
    param_format(&p_real, 0, b, sizeof b);
    CHECK(!strcmp(b, "0"));
    param_format(&p_real, 1.0 / 3.0, b, sizeof b);
    CHECK_MSG(strtod(b, NULL) == 1.0 / 3.0 && strlen(b) == 18, "%s", b);   /* 0. and 16-17 digits */
    /* A short buffer truncates, never overruns. */
    char s[4] = "xxx";
    param_format(&p_choice, 2, s, sizeof s);
    CHECK(!strcmp(s, "sig"));
}

/* Shortest round trip over many doubles of every magnitude. */
static void test_real_round_trip(void) {
    rng_t r;
    rng_seed(&r, 5, 0, 0);
    char b[64];
    for (int i = 0; i < 20000; i++) {
        double v = (rng_uniform(&r) - 0.5) * pow(10.0, (double)((int)rng_below(&r, 40) - 20));
        param_format(&p_real, v, b, sizeof b);
        CHECK_MSG(strtod(b, NULL) == v, "%.17g printed as %s", v, b);
        /* Shortest: one digit fewer would not read back (unless 6 digits already do). */
        char shorter[64];
        int prec = 0;
        for (int p = 6; p <= 17; p++) {
            snprintf(shorter, sizeof shorter, "%.*g", p, v);
            if (strtod(shorter, NULL) == v) { prec = p; break; }
        }
        CHECK(prec > 0 && !strcmp(shorter, b));
    }
}

static const unit_test_t tests[] = {
    {"choices", test_choices},
    {"format", test_format},
    {"real_round_trip", test_real_round_trip},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
