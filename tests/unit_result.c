/* unit_result: the run record (result.h).  After result_reset every slot of
 * every array is well defined ("nothing recorded": NaN, -1 or 0 as the header
 * says) whatever was there before, since the store writes whole rows, unused
 * slots included; a layout with empty dimensions still allocates; result_free
 * leaves nothing dangling. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "run/result.h"
#include "unit.h"

static int all_nan(const float *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isnan(p[i])) return 0;
    return 1;
}
static int all_i32(const int32_t *p, size_t n, int32_t v) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != v) return 0;
    return 1;
}
static int all_i8(const int8_t *p, size_t n, int8_t v) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != v) return 0;
    return 1;
}

static void test_reset_defines_every_slot(void) {
    const layout_dims_t d = {.n_runs = 4, .n_conditions = 2, .eval_episodes = 3, .log_episodes = 2,
                             .max_steps = 5, .n_actions = 5, .curve_points = 4, .n_ckpt = 2, .n_check = 3};
    const size_t E = 3, K = 2, T = 5, NA = 5, C = 4, D = 3, KP = RESULT_CHECK_POLICIES, CAP = 7;
    run_result_t r;
    CHECK(result_alloc(&r, &d, CAP) == 0);
    CHECK(r.ckpt_cap == CAP);
    /* A previous run's record: every byte set. */
    for (int round = 0; round < 2; round++) {
        memset(r.eval_steps, 0x5a, E * 4); memset(r.eval_success, 1, E); memset(r.eval_return, 0x5a, E * 4);
        memset(r.eval_outcome, 1, E);
        memset(r.curve_steps, 0x5a, C * 4); memset(r.curve_success, 0x5a, C * 4);
        memset(r.curve_return, 0x5a, C * 4); memset(r.curve_episodes, 0x5a, C * 4);
        memset(r.traj_len, 0x5a, K * 4); memset(r.traj_pos, 0x5a, K * (T + 1) * 4);
        memset(r.traj_obs, 0x5a, K * (T + 1) * 4); memset(r.traj_action, 2, K * T);
        memset(r.traj_G, 0x5a, K * T * NA * 4); memset(r.traj_risk, 0x5a, K * T * NA * 4);
        memset(r.traj_ambiguity, 0x5a, K * T * NA * 4); memset(r.traj_p_action, 0x5a, K * T * NA * 4);
        memset(r.check_n, 0x5a, D * 4); memset(r.check_est, 0x5a, D * KP * 4);
        memset(r.check_exact, 0x5a, D * KP * 4); memset(r.check_rho, 0x5a, D * 4);
        memset(r.ckpt, 0x5a, 2 * CAP * 4); memset(r.ckpt_step, 0x5a, 2 * 8);
        r.status = RUN_FAILED; r.rank = 3; r.t_start = r.t_end = 99; r.train_seconds = r.eval_seconds = 9;
        r.train_steps = r.train_episodes = 77; r.check_rho_median = 0.5f; r.ckpt_floats = 6;
        strcpy(r.message, "diverged");

        result_reset(&r, &d, 41 + round);
        CHECK(r.run_id == 41 + round && r.status == RUN_PENDING && r.message[0] == 0 && r.rank == -1);
        CHECK(r.t_start == 0 && r.t_end == 0 && r.train_seconds == 0 && r.eval_seconds == 0);
        CHECK(r.train_steps == 0 && r.train_episodes == 0 && r.ckpt_floats == 0 && isnan(r.check_rho_median));
        CHECK(all_i32(r.eval_steps, E, -1) && all_nan(r.eval_return, E) && all_i8(r.eval_outcome, E, -1));
        for (size_t i = 0; i < E; i++) CHECK(r.eval_success[i] == 0);
        CHECK(all_nan(r.curve_steps, C) && all_nan(r.curve_success, C) && all_nan(r.curve_return, C));
        CHECK(all_i32(r.curve_episodes, C, 0));
        CHECK(all_i32(r.traj_len, K, 0) && all_i32(r.traj_pos, K * (T + 1), -1) && all_i32(r.traj_obs, K * (T + 1), -1));
        CHECK(all_i8(r.traj_action, K * T, -1));
        CHECK(all_nan(r.traj_G, K * T * NA) && all_nan(r.traj_risk, K * T * NA));
        CHECK(all_nan(r.traj_ambiguity, K * T * NA) && all_nan(r.traj_p_action, K * T * NA));
        CHECK(all_i32(r.check_n, D, 0) && all_nan(r.check_est, D * KP) && all_nan(r.check_exact, D * KP));
        CHECK(all_nan(r.check_rho, D));
        CHECK(all_nan(r.ckpt, 2 * CAP) && r.ckpt_step[0] == -1 && r.ckpt_step[1] == -1);
    }
    result_free(&r);
}

/* Empty dimensions (no logged episodes, no curve, no checkpoints, no checks)
 * allocate, reset and free like any other. */
static void test_empty_dimensions(void) {
    const layout_dims_t d = {.n_runs = 1, .n_conditions = 1, .eval_episodes = 1, .log_episodes = 0,
                             .max_steps = 3, .n_actions = 4, .curve_points = 0, .n_ckpt = 0, .n_check = 0};
    run_result_t r;
    CHECK(result_alloc(&r, &d, 0) == 0);
    CHECK(r.eval_steps && r.traj_len && r.ckpt && r.check_n);
    result_reset(&r, &d, 0);
    CHECK(r.eval_steps[0] == -1 && r.status == RUN_PENDING && isnan(r.check_rho_median));
    result_free(&r);
}

/* result_free clears the record: every pointer NULL, so a second free (an
 * error path that frees twice) is harmless. */
static void test_free_clears(void) {
    const layout_dims_t d = {.eval_episodes = 2, .log_episodes = 1, .max_steps = 4, .n_actions = 5,
                             .curve_points = 2, .n_ckpt = 1, .n_check = 1};
    run_result_t r;
    CHECK(result_alloc(&r, &d, 3) == 0);
    result_free(&r);
    CHECK(r.eval_steps == NULL && r.traj_G == NULL && r.ckpt == NULL && r.ckpt_step == NULL);
    CHECK(r.check_rho == NULL && r.curve_episodes == NULL && r.ckpt_cap == 0);
    result_free(&r);
}

static const unit_test_t tests[] = {
    {"reset_defines_every_slot", test_reset_defines_every_slot},
    {"empty_dimensions", test_empty_dimensions},
    {"free_clears", test_free_clears},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
