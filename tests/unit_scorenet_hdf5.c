/* The score network's checkpoint through the results file: a diffusion-aif run
 * is executed and stored with the real store, the file is read back with plain
 * HDF5, and the checkpoint must be the one the run produced, bit for bit; loaded
 * into a network it must give the outputs of the network loaded from memory,
 * and save back to the same bytes. */
#include <hdf5.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "nn/diffusion.h"
#include "nn/scorenet.h"
#include "store/store.h"
#include "sweep_fixture.h"
#include "unit.h"

static const char JOB[] =
    "name: ckpt\n"
    "seeds: 1\n"
    "train_steps: 200\n"
    "eval_episodes: 1\n"
    "log_episodes: 1\n"
    "checkpoints: 2\n"
    "environments:\n"
    "  - name: w\n"
    "    size: 3\n"
    "    max_steps: 20\n"
    "agents:\n"
    "  - type: diffusion-aif\n"
    "    params: {d_model: 16, heads: 2, layers: 1, T: 10, sample_steps: 3, train_iters: 30,\n"
    "             batch: 16, samples: 2, horizon: 1, context: 1, amb_samples: 2}\n";

static void checkpoint_roundtrip_through_results_file(void) {
    char err[1024];
    sweep_fixture_t sw;
    CHECK_MSG(sweep_fixture_setup(&sw, "ckpt.yaml", JOB, err, sizeof err) == 0, "%s", err);
    const plan_t *plan = &sw.plan;
    char path[] = "/tmp/aif-ckpt-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    unlink(path);

    store_t *st = NULL;
    CHECK_MSG(store_create(&st, path, 0, MPI_COMM_WORLD, plan, err, sizeof err) == 0, "%s", err);
    run_result_t res;
    CHECK(result_alloc(&res, &plan->dims, plan->max_ckpt_floats) == 0);
    CHECK(run_execute(&sw.job, &sw.ws, &sw.rl.runs[0], &plan->dims, &res, NULL) == 0);
    CHECK_MSG(res.status == RUN_DONE, "%s", res.message);
    CHECK(store_write_run(st, &res, err, sizeof err) == 0);
    CHECK(store_close(st, err, sizeof err) == 0);

    /* Read the rows back with plain HDF5. */
    const size_t F = res.ckpt_floats, n = (size_t)plan->dims.n_ckpt * F;
    CHECK(F > SCORENET_CKPT_HEADER);
    float *buf = malloc(sizeof(float) * n);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0);
    hid_t d = H5Dopen2(f, "/checkpoints/diffusion-aif", H5P_DEFAULT);
    CHECK(d >= 0);
    CHECK(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    H5Dclose(d);
    H5Fclose(f);
    unlink(path);
    CHECK(memcmp(buf, res.ckpt, sizeof(float) * n) == 0);

    /* The last checkpoint (end of training) loads, and behaves as the one in
     * memory: same outputs, same bytes when saved again. */
    const float *last = buf + (size_t)(plan->dims.n_ckpt - 1) * F;
    /* the defaults: rbf with the cell code, one bump per row and column of the
     * 3x3 grid; a window of the present token and the next (prediction model,
     * inference filter: context and horizon do not widen it) */
    scorenet_config_t cfg = {16, 2, 1, 2, 4 + 4 + 3, 64, 0, 4, 3, 3, 1, 0};
    CHECK(scorenet_ckpt_len(&cfg, 0) == F);   /* the agent trains without an EMA */
    scorenet_t a, b;
    adam_t aa, ab;
    rng_t r;
    rng_seed(&r, 1, 2, 3);
    CHECK(scorenet_create(&a, &cfg, 4, &r, err, sizeof err) == 0);
    CHECK(scorenet_create(&b, &cfg, 4, &r, err, sizeof err) == 0);
    adam_config_t ac = adam_defaults();
    CHECK(adam_create(&aa, a.n_params, &ac, err, sizeof err) == 0);
    CHECK(adam_create(&ab, b.n_params, &ac, err, sizeof err) == 0);
    CHECK_MSG(scorenet_ckpt_load(&a, &aa, NULL, last, F, err, sizeof err) == 0, "%s", err);
    CHECK(scorenet_ckpt_load(&b, &ab, NULL, res.ckpt + (size_t)(plan->dims.n_ckpt - 1) * F, F, err, sizeof err) == 0);
    float x[4 * 2 * 11], t[4] = {1, 3, 5, 10}, ea[4 * 2 * 11], eb[4 * 2 * 11];
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++) x[i] = rng_normalf(&r);
    scorenet_forward(&a, x, t, 4, ea);
    scorenet_forward(&b, x, t, 4, eb);
    CHECK(memcmp(ea, eb, sizeof ea) == 0);
    float *again = malloc(sizeof(float) * F);
    scorenet_ckpt_save(&a, &aa, NULL, again);
    /* Saved again: the same values (there is no EMA slot without an EMA). */
    CHECK(memcmp(again, last, sizeof(float) * F) == 0);
    CHECK(aa.step > 0);

    free(again);
    free(buf);
    scorenet_free(&a);
    scorenet_free(&b);
    adam_free(&aa);
    adam_free(&ab);
    result_free(&res);
    sweep_fixture_teardown(&sw);
}

static const unit_test_t tests[] = {
    {"checkpoint_roundtrip_through_results_file", checkpoint_roundtrip_through_results_file},
    {0, 0},
};

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rc = unit_main(argc, argv, tests);
    MPI_Finalize();
    return rc;
}
