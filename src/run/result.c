#include "run/result.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ALLOC(p, n) do { size_t n_ = (size_t)(n); (p) = calloc(n_ > 0 ? n_ : 1, sizeof *(p)); if (!(p)) goto fail; } while (0)

int result_alloc(run_result_t *r, const layout_dims_t *d, size_t ckpt_cap) {
    memset(r, 0, sizeof *r);
    size_t E = (size_t)d->eval_episodes, K = (size_t)d->log_episodes, T = (size_t)d->max_steps;
    size_t NA = (size_t)d->n_actions, C = (size_t)d->curve_points;
    ALLOC(r->eval_steps, E);
    ALLOC(r->eval_success, E);
    ALLOC(r->eval_return, E);
    ALLOC(r->eval_outcome, E);
    ALLOC(r->eval_context, E);
    ALLOC(r->curve_steps, C);
    ALLOC(r->curve_success, C);
    ALLOC(r->curve_return, C);
    ALLOC(r->curve_episodes, C);
    ALLOC(r->traj_len, K);
    ALLOC(r->traj_pos, K * (T + 1));
    ALLOC(r->traj_obs, K * (T + 1));
    ALLOC(r->traj_action, K * T);
    ALLOC(r->traj_G, K * T * NA);
    ALLOC(r->traj_risk, K * T * NA);
    ALLOC(r->traj_ambiguity, K * T * NA);
    ALLOC(r->traj_p_action, K * T * NA);
    ALLOC(r->traj_p_context, K * T * (size_t)result_ctx_slots(d));
    ALLOC(r->check_n, d->n_check);
    ALLOC(r->check_est, (size_t)d->n_check * RESULT_CHECK_POLICIES);
    ALLOC(r->check_exact, (size_t)d->n_check * RESULT_CHECK_POLICIES);
    ALLOC(r->check_rho, d->n_check);
    r->ckpt_cap = ckpt_cap;
    ALLOC(r->ckpt, (size_t)d->n_ckpt * ckpt_cap);
    ALLOC(r->ckpt_step, d->n_ckpt);
    return 0;
fail:
    result_free(r);
    return -1;
}

static void fill_f(float *p, size_t n, float v) { for (size_t i = 0; i < n; i++) p[i] = v; }
static void fill_i32(int32_t *p, size_t n, int32_t v) { for (size_t i = 0; i < n; i++) p[i] = v; }

void result_reset(run_result_t *r, const layout_dims_t *d, long run_id) {
    size_t E = (size_t)d->eval_episodes, K = (size_t)d->log_episodes, T = (size_t)d->max_steps;
    size_t NA = (size_t)d->n_actions, C = (size_t)d->curve_points;
    r->run_id = run_id;
    r->status = RUN_PENDING;
    r->message[0] = 0;
    r->rank = -1;
    r->t_start = r->t_end = r->train_seconds = r->eval_seconds = 0;
    r->train_steps = r->train_episodes = r->fit_steps = 0;
    r->fit_seconds = r->readoff_seconds = 0;
    fill_i32(r->eval_steps, E, -1);
    memset(r->eval_success, 0, E);
    fill_f(r->eval_return, E, NAN);
    memset(r->eval_outcome, 0xff, E);
    memset(r->eval_context, 0xff, E);
    fill_f(r->curve_steps, C, NAN);
    fill_f(r->curve_success, C, NAN);
    fill_f(r->curve_return, C, NAN);
    fill_i32(r->curve_episodes, C, 0);
    fill_i32(r->traj_len, K, 0);
    fill_i32(r->traj_pos, K * (T + 1), -1);
    fill_i32(r->traj_obs, K * (T + 1), -1);
    memset(r->traj_action, 0xff, K * T);
    fill_f(r->traj_G, K * T * NA, NAN);
    fill_f(r->traj_risk, K * T * NA, NAN);
    fill_f(r->traj_ambiguity, K * T * NA, NAN);
    fill_f(r->traj_p_action, K * T * NA, NAN);
    fill_f(r->traj_p_context, K * T * (size_t)result_ctx_slots(d), NAN);
    fill_i32(r->check_n, (size_t)d->n_check, 0);
    fill_f(r->check_est, (size_t)d->n_check * RESULT_CHECK_POLICIES, NAN);
    fill_f(r->check_exact, (size_t)d->n_check * RESULT_CHECK_POLICIES, NAN);
    fill_f(r->check_rho, (size_t)d->n_check, NAN);
    r->check_rho_median = NAN;
    r->model_tv_A = r->model_tv_B = r->model_fit_tv_B = NAN;
    r->ckpt_floats = 0;
    fill_f(r->ckpt, (size_t)d->n_ckpt * r->ckpt_cap, NAN);
    for (int i = 0; i < d->n_ckpt; i++) r->ckpt_step[i] = -1;
}

void result_free(run_result_t *r) {
    free(r->eval_steps); free(r->eval_success); free(r->eval_return); free(r->eval_outcome); free(r->eval_context);
    free(r->curve_steps); free(r->curve_success); free(r->curve_return); free(r->curve_episodes);
    free(r->traj_len); free(r->traj_pos); free(r->traj_obs); free(r->traj_action);
    free(r->traj_G); free(r->traj_risk); free(r->traj_ambiguity); free(r->traj_p_action);
    free(r->traj_p_context);
    free(r->check_n); free(r->check_est); free(r->check_exact); free(r->check_rho);
    free(r->ckpt); free(r->ckpt_step);
    memset(r, 0, sizeof *r);
}
