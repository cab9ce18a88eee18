/* sweep_fixture: a job text parsed, expanded into runs, its worlds built and
 * its results layout planned, as main.c does it, for the unit tests of the
 * layers that consume a job (plan, store, the checkpoint through the store).
 * Header-only: each test binary links tests/unit.c alone. */
#ifndef AIF_SWEEP_FIXTURE_H
#define AIF_SWEEP_FIXTURE_H
#include <string.h>
#include "jobspec.h"
#include "plan.h"
#include "run.h"

typedef struct {
    jobspec_t job;
    runlist_t rl;
    worlds_t ws;
    plan_t plan;
} sweep_fixture_t;

/* 0, or -1 with the failing step's message in err; teardown is safe after
 * either. */
static inline int sweep_fixture_setup(sweep_fixture_t *f, const char *path, const char *text, char *err,
                                      size_t n) {
    memset(f, 0, sizeof *f);
    if (jobspec_parse(&f->job, path, text, strlen(text), err, n) != 0) return -1;
    if (jobspec_expand(&f->job, &f->rl, err, n) != 0) return -1;
    if (worlds_build(&f->ws, &f->job, err, n) != 0) return -1;
    return plan_build(&f->plan, &f->job, &f->rl, &f->ws, err, n);
}

static inline void sweep_fixture_teardown(sweep_fixture_t *f) {
    plan_free(&f->plan);
    worlds_free(&f->ws);
    runlist_free(&f->rl);
    jobspec_free(&f->job);
}

#endif
