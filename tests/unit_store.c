/* unit_store: the results file through the store's interface, on one rank (an
 * MPI singleton): the layout made from a plan, a run written and verified
 * against its checksum, damage found, resume refusing another job's file,
 * create refusing an existing one, the output-path refusals, the size
 * estimates against the real file, and /runs/params as the plan says. */
#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "store/store.h"
#include "sweep_fixture.h"
#include "unit.h"

static const char JOB[] =
    "name: store%s\n"
    "seeds: 2\n"
    "train_steps: 200\n"
    "eval_episodes: 4\n"
    "log_episodes: 1\n"
    "checkpoints: 2\n"
    "environments:\n"
    "  - name: w\n"
    "    size: 3\n"
    "    max_steps: 20\n"
    "agents:\n"
    "  - type: random\n"
    "  - type: q-learning\n"
    "    params: {alpha: [0.2, 0.5]}\n";

typedef sweep_fixture_t fixture_t;

static int setup(fixture_t *f, const char *variant, char *err, size_t n) {
    char text[1024];
    snprintf(text, sizeof text, JOB, variant);
    return sweep_fixture_setup(f, "store.yaml", text, err, n);
}

#define teardown sweep_fixture_teardown

/* A fresh directory for this test's files. */
static void temp_dir(char *dir, size_t n) {
    snprintf(dir, n, "/tmp/aif-unit-store-XXXXXX");
    if (!mkdtemp(dir)) { perror("mkdtemp"); abort(); }
}

static void remove_dir(const char *dir) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

/* Create, write two runs, close; reopen: statuses and checksums hold; then a
 * changed value fails its run's checksum and only its run's. */
static void write_verify_and_damage(void) {
    char err[1024], dir[64], path[128];
    fixture_t f;
    CHECK_MSG(setup(&f, "", err, sizeof err) == 0, "%s", err);
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/r.h5", dir);
    store_t *st = NULL;
    CHECK_MSG(store_create(&st, path, 0, MPI_COMM_WORLD, &f.plan, err, sizeof err) == 0, "%s", err);
    const long R = f.plan.dims.n_runs;
    int8_t status[16];
    CHECK(R == 6 && store_read_status(st, status, err, sizeof err) == 0);
    for (long i = 0; i < R; i++) CHECK(status[i] == RUN_PENDING);
    run_result_t res;
    CHECK(result_alloc(&res, &f.plan.dims, f.plan.max_ckpt_floats) == 0);
    const long runs[2] = {0, 3};   /* a random run and a q-learning run (with checkpoints) */
    for (int k = 0; k < 2; k++) {
        CHECK(run_execute(&f.job, &f.ws, &f.rl.runs[runs[k]], &f.plan.dims, &res, NULL) == 0);
        CHECK_MSG(res.status == RUN_DONE, "%s", res.message);
        CHECK(store_write_run(st, &res, err, sizeof err) == 0);
    }
    CHECK(f.plan.ckpt_floats[3] > 0);
    CHECK(store_close(st, err, sizeof err) == 0);

    CHECK_MSG(store_open(&st, path, MPI_COMM_WORLD, &f.plan, err, sizeof err) == 0, "%s", err);
    CHECK(store_read_status(st, status, err, sizeof err) == 0);
    for (long i = 0; i < R; i++) CHECK(status[i] == (i == 0 || i == 3 ? RUN_DONE : RUN_PENDING));
    for (int k = 0; k < 2; k++) {
        int ok = -1;
        CHECK(store_verify_run(st, runs[k], RUN_DONE, &ok, err, sizeof err) == 0);
        CHECK_MSG(ok == 1, "run %ld fails its checksum right after writing", runs[k]);
        /* The status is part of the checksum: "failed" does not match a "done" row. */
        CHECK(store_verify_run(st, runs[k], RUN_FAILED, &ok, err, sizeof err) == 0 && ok == 0);
    }
    CHECK(store_close(st, err, sizeof err) == 0);

    CHECK(sweep_fixture_damage(path, "/eval/steps", 3) == 0);
    CHECK_MSG(store_open(&st, path, MPI_COMM_WORLD, &f.plan, err, sizeof err) == 0, "%s", err);
    int ok0 = -1, ok3 = -1;
    CHECK(store_verify_run(st, 0, RUN_DONE, &ok0, err, sizeof err) == 0);
    CHECK(store_verify_run(st, 3, RUN_DONE, &ok3, err, sizeof err) == 0);
    CHECK_MSG(ok0 == 1 && ok3 == 0, "after damaging run 3: run 0 ok %d, run 3 ok %d", ok0, ok3);
    CHECK(store_close(st, err, sizeof err) == 0);
    result_free(&res);
    teardown(&f);
    remove_dir(dir);
}

/* Resume refuses a file of another job; create refuses an existing file
 * unless forced, and --force makes a fresh layout. */
static void open_and_create_refusals(void) {
    char err[1024], dir[64], path[128];
    fixture_t a, b;
    CHECK_MSG(setup(&a, "", err, sizeof err) == 0, "%s", err);
    CHECK_MSG(setup(&b, "-other", err, sizeof err) == 0, "%s", err);
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/r.h5", dir);
    store_t *st = NULL;
    CHECK_MSG(store_create(&st, path, 0, MPI_COMM_WORLD, &a.plan, err, sizeof err) == 0, "%s", err);
    CHECK(store_close(st, err, sizeof err) == 0);
    CHECK(store_open(&st, path, MPI_COMM_WORLD, &b.plan, err, sizeof err) != 0 && st == NULL);
    CHECK_MSG(strstr(err, "different job file"), "%s", err);
    CHECK(store_create(&st, path, 0, MPI_COMM_WORLD, &a.plan, err, sizeof err) != 0);
    CHECK_MSG(strstr(err, "exists") && strstr(err, "--resume"), "%s", err);
    CHECK_MSG(store_create(&st, path, 1, MPI_COMM_WORLD, &b.plan, err, sizeof err) == 0, "%s", err);
    CHECK(store_close(st, err, sizeof err) == 0);
    CHECK_MSG(store_open(&st, path, MPI_COMM_WORLD, &b.plan, err, sizeof err) == 0, "%s", err);
    CHECK(store_close(st, err, sizeof err) == 0);
    /* Not a results file at all. */
    snprintf(path, sizeof path, "%s/plain.txt", dir);
    FILE *fp = fopen(path, "w");
    CHECK(fp != NULL);
    fputs("not hdf5\n", fp);
    fclose(fp);
    CHECK(store_open(&st, path, MPI_COMM_WORLD, &a.plan, err, sizeof err) != 0);
    CHECK_MSG(strstr(err, "not an HDF5 file"), "%s", err);
    teardown(&a);
    teardown(&b);
    remove_dir(dir);
}

static void output_path_refusals(void) {
    char err[1024], dir[64], p[160];
    temp_dir(dir, sizeof dir);
    CHECK(store_check_output("", NULL, 'c', err, sizeof err) != 0 && strstr(err, "empty"));
    snprintf(p, sizeof p, "%s/", dir);
    CHECK(store_check_output(p, NULL, 'c', err, sizeof err) != 0 && strstr(err, "directory"));
    CHECK(store_check_output(dir, NULL, 'f', err, sizeof err) != 0 && strstr(err, "directory"));
    snprintf(p, sizeof p, "%s/job.yaml", dir);
    FILE *fp = fopen(p, "w");
    CHECK(fp != NULL);
    fputs("name: x\n", fp);
    fclose(fp);
    CHECK(store_check_output(p, p, 'f', err, sizeof err) != 0 && strstr(err, "job file itself"));
    CHECK(store_check_output(p, NULL, 'f', err, sizeof err) != 0 && strstr(err, "not an aifsweep results file"));
    snprintf(p, sizeof p, "%s/fifo", dir);
    CHECK(mkfifo(p, 0600) == 0);
    CHECK(store_check_output(p, NULL, 'r', err, sizeof err) != 0 && strstr(err, "not a regular file"));
    snprintf(p, sizeof p, "%s/new/sub/r.h5", dir);
    CHECK_MSG(store_check_output(p, NULL, 'c', err, sizeof err) == 0, "%s", err);
    remove_dir(dir);
}

/* The estimate the size guard uses is a lower bound of the full one, and the
 * full one covers the real file (metadata adds a little). */
static void estimates_against_the_file(void) {
    char err[1024], dir[64], path[128];
    fixture_t f;
    CHECK_MSG(setup(&f, "", err, sizeof err) == 0, "%s", err);
    layout_dims_t d;
    int nn, nt;
    CHECK(plan_count(&f.job, &d, &nn, &nt, err, sizeof err) == 0);
    double floor = store_estimate_bytes_floor(&d, nn, nt), full = store_estimate_bytes(&f.plan);
    CHECK_MSG(floor > 0 && floor < full, "floor %g, full %g", floor, full);
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/r.h5", dir);
    store_t *st = NULL;
    CHECK_MSG(store_create(&st, path, 0, MPI_COMM_WORLD, &f.plan, err, sizeof err) == 0, "%s", err);
    CHECK(store_close(st, err, sizeof err) == 0);
    struct stat sb;
    CHECK(stat(path, &sb) == 0);
    CHECK_MSG((double)sb.st_size >= full && (double)sb.st_size < full * 1.02 + 256e3,
              "file %lld bytes, estimate %.0f", (long long)sb.st_size, full);
    teardown(&f);
    remove_dir(dir);
}

/* /runs/params holds the plan's columns: names, kinds, NaN where a run's agent
 * has no such parameter. */
static void params_table(void) {
    char err[1024], dir[64], path[128];
    fixture_t f;
    CHECK_MSG(setup(&f, "", err, sizeof err) == 0, "%s", err);
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/r.h5", dir);
    store_t *st = NULL;
    CHECK_MSG(store_create(&st, path, 0, MPI_COMM_WORLD, &f.plan, err, sizeof err) == 0, "%s", err);
    CHECK(store_close(st, err, sizeof err) == 0);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t ds = H5Dopen2(file, "/runs/params", H5P_DEFAULT);
    hid_t ft = H5Dget_type(ds);
    CHECK(H5Tget_nmembers(ft) == 8 + f.plan.n_columns);
    CHECK(H5Tget_member_index(ft, "alpha") >= 0 && H5Tget_member_index(ft, "shaping") >= 0);
    /* Read two columns by name. */
    typedef struct { double alpha; char agent[PLAN_NAME_LEN]; } row_t;
    hid_t mt = H5Tcreate(H5T_COMPOUND, sizeof(row_t));
    hid_t s = H5Tcopy(H5T_C_S1);
    H5Tset_size(s, PLAN_NAME_LEN);
    H5Tinsert(mt, "alpha", HOFFSET(row_t, alpha), H5T_NATIVE_DOUBLE);
    H5Tinsert(mt, "agent", HOFFSET(row_t, agent), s);
    row_t rows[6];
    CHECK(H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) >= 0);
    CHECK(strcmp(rows[0].agent, "random") == 0 && isnan(rows[0].alpha) && isnan(rows[1].alpha));
    CHECK(strcmp(rows[2].agent, "q-learning") == 0 && rows[2].alpha == 0.2 && rows[5].alpha == 0.5);
    H5Tclose(s);
    H5Tclose(mt);
    H5Tclose(ft);
    H5Dclose(ds);
    H5Fclose(file);
    teardown(&f);
    remove_dir(dir);
}

static const unit_test_t tests[] = {
    {"write_verify_and_damage", write_verify_and_damage},
    {"open_and_create_refusals", open_and_create_refusals},
    {"output_path_refusals", output_path_refusals},
    {"estimates_against_the_file", estimates_against_the_file},
    {"params_table", params_table},
    {0, 0},
};

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rc = unit_main(argc, argv, tests);
    MPI_Finalize();
    return rc;
}
