/* unit: a tiny unit-test harness.  A test binary lists its tests with --list,
 * runs the named ones given as arguments, or all of them; it prints one line per
 * test and closes with "N passed, N failed".  pytest (tests/test_unit.py) runs
 * each test of each binary as its own case. */
#ifndef AIF_UNIT_H
#define AIF_UNIT_H
#include <math.h>
#include <stdio.h>

typedef struct { const char *name; void (*fn)(void); } unit_test_t;

extern int unit_failed;   /* set by a failing CHECK in the current test */

#define CHECK(cond) do { if (!(cond)) { \
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    unit_failed = 1; return; } } while (0)

#define CHECK_MSG(cond, ...) do { if (!(cond)) { \
    fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); \
    unit_failed = 1; return; } } while (0)

#define CHECK_NEAR(a, b, tol) do { double a_ = (a), b_ = (b); \
    if (!(fabs(a_ - b_) <= (tol))) { \
    fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s = %.10g, %s = %.10g, tol %.3g\n", \
            __FILE__, __LINE__, #a, a_, #b, b_, (double)(tol)); \
    unit_failed = 1; return; } } while (0)

int unit_main(int argc, char **argv, const unit_test_t *tests);

#endif
