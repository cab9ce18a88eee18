/* sweep_fixture: a job text parsed, expanded into runs, its worlds built and
 * its results layout planned, as main.c does it, for the unit tests of the
 * layers that consume a job (plan, store, runner, the checkpoint through the
 * store), and a way to damage the file they write.
 * Header-only: each test binary links tests/unit.c alone. */
#ifndef AIF_SWEEP_FIXTURE_H
#define AIF_SWEEP_FIXTURE_H
#include <hdf5.h>
#include <string.h>
#include "job/job.h"
#include "job/jobspec.h"
#include "run/plan.h"
#include "run/run.h"

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
    if (job_parse(&f->job, path, text, strlen(text), err, n) != 0) return -1;
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

/* Damage a results file behind the store's back: add 1 to the first value of
 * run `run`'s row of a 2-D per-run dataset (read and written as a double, so
 * any numeric type).  0, or -1. */
static inline int sweep_fixture_damage(const char *path, const char *dataset, long run) {
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) return -1;
    hid_t ds = H5Dopen2(f, dataset, H5P_DEFAULT);
    hid_t fs = H5Dget_space(ds);
    hsize_t start[2] = {(hsize_t)run, 0}, count[2] = {1, 1};
    hid_t ms = H5Screate_simple(1, count, NULL);
    double v = 0;
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    herr_t rc = H5Dread(ds, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, &v);
    v += 1;
    if (rc >= 0) rc = H5Dwrite(ds, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, &v);
    H5Sclose(ms);
    H5Sclose(fs);
    H5Dclose(ds);
    H5Fclose(f);
    return rc < 0 ? -1 : 0;
}

#endif
