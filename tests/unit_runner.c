/* unit_runner: the sweep driver on one rank (an MPI singleton, where rank 0
 * runs everything itself): every pending run done and stored with a valid
 * checksum; a second pass runs nothing that is done, but runs again a run
 * whose rows were damaged; a raised stop flag leaves the runs pending and
 * says "interrupted"; a run that fails makes the exit status say so, with the
 * others done.  The multi-rank protocol is exercised through mpirun by
 * tests/test_sweep.py and tests/test_faults.py. */
#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sweep/runner.h"
#include "sweep_fixture.h"
#include "unit.h"

static const char JOB[] =
    "name: runner\n"
    "seeds: 3\n"
    "train_steps: 300\n"
    "eval_episodes: 2\n"
    "log_episodes: 1\n"
    "checkpoints: 1\n"
    "environments:\n"
    "  - name: w\n"
    "    size: 3\n"
    "    max_steps: 15\n"
    "agents:\n"
    "  - type: %s\n"
    "  - type: q-learning\n";

/* A test class whose training fails when its `fail` parameter is 1. */
static const param_spec_t fail_params[] = {{"fail", PT_BOOL, 0, 0, 1, NULL, "fail in train"}};
static void *fail_create(const task_t *t, const double *pv, rng_t *r, char *err, size_t n) {
    static double fail;
    fail = pv[0];
    return &fail;
}
static int fail_train(void *self, env_t *e, rng_t *r, train_log_t *log, char *err, size_t n) {
    if (*(double *)self != 0) {
        snprintf(err, n, "told to fail");
        return -1;
    }
    log->steps_used = 0;
    return 0;
}
static void fail_begin(void *self, int o) {}
static int fail_act(void *self, int o, rng_t *r, decision_t *d) { return 0; }
static void fail_destroy(void *self) {}
static const agent_class_t failing = {
    .name = "failing", .help = "test", .params = fail_params, .n_params = 1, .create = fail_create,
    .train = fail_train, .begin_episode = fail_begin, .act = fail_act, .destroy = fail_destroy,
};

static int setup(sweep_fixture_t *f, const char *first_type, char *err, size_t n) {
    static const agent_class_t *const classes[] = {&agent_random, &agent_qlearning, &failing, NULL};
    char text[1024];
    snprintf(text, sizeof text, JOB, first_type);
    jobspec_use_agent_classes(classes);
    int rc = sweep_fixture_setup(f, "runner.yaml", text, err, n);
    jobspec_use_agent_classes(NULL);
    return rc;
}

static const runner_opts_t QUIET = {.progress_seconds = 1e9, .quiet = 1};

/* Create a file at dir/r.h5 for f's plan; the store, or NULL. */
static store_t *create(const sweep_fixture_t *f, const char *dir, char *path, size_t pn, char *err, size_t n) {
    snprintf(path, pn, "%s/r.h5", dir);
    store_t *st = NULL;
    if (store_create(&st, path, 1, MPI_COMM_WORLD, &f->plan, err, n) != 0) return NULL;
    return st;
}

static int read_t_start(const char *path, double *t, long n) {
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t ds = H5Dopen2(file, "/runs/t_start", H5P_DEFAULT);
    herr_t rc = H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, t);
    H5Dclose(ds);
    H5Fclose(file);
    return rc < 0 || n <= 0 ? -1 : 0;
}

static void all_done_then_only_the_damaged_run_again(void) {
    char err[1024], dir[] = "/tmp/aif-unit-runner-XXXXXX", path[128];
    CHECK(mkdtemp(dir) != NULL);
    sweep_fixture_t f;
    CHECK_MSG(setup(&f, "random", err, sizeof err) == 0, "%s", err);
    const sweep_t sw = {.job = &f.job, .rl = &f.rl, .ws = &f.ws};
    const long R = f.plan.dims.n_runs;
    store_t *st = create(&f, dir, path, sizeof path, err, sizeof err);
    CHECK_MSG(st != NULL, "%s", err);
    runner_stop = 0;
    CHECK(runner_run(st, &f.plan, &sw, &QUIET, MPI_COMM_WORLD) == EXIT_DONE);
    int8_t status[8];
    CHECK(R == 6 && store_read_status(st, status, err, sizeof err) == 0);
    for (long i = 0; i < R; i++) {
        int ok = 0;
        CHECK(status[i] == RUN_DONE);
        CHECK(store_verify_run(st, i, RUN_DONE, &ok, err, sizeof err) == 0 && ok);
    }
    CHECK(store_close(st, err, sizeof err) == 0);
    double t0[8], t1[8];
    CHECK(read_t_start(path, t0, R) == 0);

    CHECK(sweep_fixture_damage(path, "/eval/return", 4) == 0);
    usleep(20000);   /* so that a run done again starts at a later t_start */
    CHECK_MSG(store_open(&st, path, MPI_COMM_WORLD, &f.plan, err, sizeof err) == 0, "%s", err);
    CHECK(runner_run(st, &f.plan, &sw, &QUIET, MPI_COMM_WORLD) == EXIT_DONE);
    int ok = 0;
    CHECK(store_verify_run(st, 4, RUN_DONE, &ok, err, sizeof err) == 0 && ok);
    CHECK(store_close(st, err, sizeof err) == 0);
    CHECK(read_t_start(path, t1, R) == 0);
    for (long i = 0; i < R; i++)
        CHECK_MSG(i == 4 ? t1[i] > t0[i] : t1[i] == t0[i], "run %ld: t_start %.6f then %.6f", i, t0[i], t1[i]);
    sweep_fixture_teardown(&f);
    CHECK(unlink(path) == 0 && rmdir(dir) == 0);
}

static void stop_flag_leaves_runs_pending(void) {
    char err[1024], dir[] = "/tmp/aif-unit-runner-XXXXXX", path[128];
    CHECK(mkdtemp(dir) != NULL);
    sweep_fixture_t f;
    CHECK_MSG(setup(&f, "random", err, sizeof err) == 0, "%s", err);
    const sweep_t sw = {.job = &f.job, .rl = &f.rl, .ws = &f.ws};
    store_t *st = create(&f, dir, path, sizeof path, err, sizeof err);
    CHECK_MSG(st != NULL, "%s", err);
    runner_stop = SIGTERM;
    int code = runner_run(st, &f.plan, &sw, &QUIET, MPI_COMM_WORLD);
    runner_stop = 0;
    CHECK_MSG(code == EXIT_INTERRUPTED, "exit %d", code);
    int8_t status[8];
    CHECK(store_read_status(st, status, err, sizeof err) == 0);
    for (long i = 0; i < f.plan.dims.n_runs; i++) CHECK(status[i] == RUN_PENDING);
    CHECK(store_close(st, err, sizeof err) == 0);
    sweep_fixture_teardown(&f);
    CHECK(unlink(path) == 0 && rmdir(dir) == 0);
}

static void failed_run_reported(void) {
    char err[1024], dir[] = "/tmp/aif-unit-runner-XXXXXX", path[128];
    CHECK(mkdtemp(dir) != NULL);
    sweep_fixture_t f;
    CHECK_MSG(setup(&f, "failing\n    params: {fail: [false, true]}", err, sizeof err) == 0, "%s", err);
    const sweep_t sw = {.job = &f.job, .rl = &f.rl, .ws = &f.ws};
    store_t *st = create(&f, dir, path, sizeof path, err, sizeof err);
    CHECK_MSG(st != NULL, "%s", err);
    runner_stop = 0;
    int code = runner_run(st, &f.plan, &sw, &QUIET, MPI_COMM_WORLD);
    CHECK_MSG(code == EXIT_RUNS_FAILED, "exit %d", code);
    int8_t status[16];
    const long R = f.plan.dims.n_runs;
    CHECK(R == 9 && store_read_status(st, status, err, sizeof err) == 0);
    /* Entry 0: fail false (seeds 0-2) done, fail true (3-5) failed; q-learning done. */
    for (long i = 0; i < R; i++)
        CHECK_MSG(status[i] == (i >= 3 && i < 6 ? RUN_FAILED : RUN_DONE), "run %ld status %d", i, status[i]);
    int ok = 0;
    CHECK(store_verify_run(st, 4, RUN_FAILED, &ok, err, sizeof err) == 0 && ok);
    CHECK(store_close(st, err, sizeof err) == 0);
    sweep_fixture_teardown(&f);
    CHECK(unlink(path) == 0 && rmdir(dir) == 0);
}

static const unit_test_t tests[] = {
    {"all_done_then_only_the_damaged_run_again", all_done_then_only_the_damaged_run_again},
    {"stop_flag_leaves_runs_pending", stop_flag_leaves_runs_pending},
    {"failed_run_reported", failed_run_reported},
    {0, 0},
};

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rc = unit_main(argc, argv, tests);
    MPI_Finalize();
    return rc;
}
