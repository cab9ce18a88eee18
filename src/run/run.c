/* run: one train-then-evaluate run. */
#include "run/run.h"
#include "run/efe_check.h"
#include "aif/latent.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

_Static_assert(RESULT_CONTEXTS <= DECISION_MAX_CONTEXTS && TASK_MAX_CONTEXTS <= DECISION_MAX_CONTEXTS,
               "a decision's belief fills the logged one");

size_t run_ckpt_floats(const jobspec_t *job, const worlds_t *ws, const run_t *run) {
    const agent_class_t *c = job->agents[run->agent].cls;
    task_t task;
    task_from_world(&task, &ws->w[run->env], NULL, 0);
    return c->ckpt_floats ? c->ckpt_floats(&task, run->pv) : 0;
}

static double now_wall(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double now_mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One evaluation episode; logs the trajectory when k >= 0.  The first
 * d->n_check decisions of the run (over all episodes) ask for the EFE
 * diagnostic; *n_checked counts those that gave one. */
static void eval_episode(const agent_class_t *c, void *agent, const gridworld_t *g, rng_t *env_rng,
                         rng_t *agent_rng, const layout_dims_t *d, run_result_t *res, int e, int k, int *n_checked,
                         efe_check_t *xc) {
    const size_t T = (size_t)d->max_steps, NA = (size_t)d->n_actions;
    /* the evaluation's own environment: env_reset and env_step draw from
     * env_rng exactly as the world's gw_step and gw_observe would (and the
     * context and cue symbols in a context world) */
    env_t env;
    env_init(&env, g, env_rng);
    int o = env_reset(&env), s = env.s, outcome = ENV_RUNNING;
    double ret = 0;
    int t = 0;
    decision_t dec;
    float last_pc[DECISION_MAX_CONTEXTS];
    for (int j = 0; j < DECISION_MAX_CONTEXTS; j++) last_pc[j] = NAN;
    c->begin_episode(agent, o);
    if (k >= 0) {
        res->traj_pos[(size_t)k * (T + 1)] = s;
        res->traj_obs[(size_t)k * (T + 1)] = o;
    }
    while (t < g->max_steps) {
        decision_clear(&dec);
        dec.want_check = *n_checked < d->n_check;
        int a = c->act(agent, o, agent_rng, &dec);
        memcpy(last_pc, dec.p_context, sizeof last_pc);
        if (dec.want_check && dec.n_check > 0) {
            efe_check_score(xc, c, agent, g->n_states, &dec, res, *n_checked);
            if (res->check_n[*n_checked] > 0) (*n_checked)++;
        }
        double rwd;
        o = env_step(&env, a, &rwd, &outcome);
        s = env.s;
        ret += rwd;
        if (k >= 0) {
            size_t base = ((size_t)k * T + (size_t)t) * NA;
            res->traj_action[(size_t)k * T + (size_t)t] = (int8_t)a;
            res->traj_pos[(size_t)k * (T + 1) + (size_t)t + 1] = s;
            res->traj_obs[(size_t)k * (T + 1) + (size_t)t + 1] = o;
            memcpy(res->traj_G + base, dec.G, sizeof(float) * NA);
            memcpy(res->traj_risk + base, dec.risk, sizeof(float) * NA);
            memcpy(res->traj_ambiguity + base, dec.ambiguity, sizeof(float) * NA);
            memcpy(res->traj_p_action + base, dec.p_action, sizeof(float) * NA);
            const size_t kc = (size_t)result_ctx_slots(d);
            memcpy(res->traj_p_context + ((size_t)k * T + (size_t)t) * kc, dec.p_context, sizeof(float) * kc);
        }
        t++;
        if (outcome != ENV_RUNNING) break;
    }
    res->eval_steps[e] = t;
    res->eval_success[e] = outcome == ENV_GOAL;
    res->eval_outcome[e] = (int8_t)(outcome == ENV_GOAL ? RESULT_GOAL : outcome == ENV_FAILED ? RESULT_HOLE : RESULT_TIMEOUT);
    res->eval_context[e] = (int8_t)env_context(&env);
    efe_check_episode_end(xc, last_pc, env_context(&env));
    res->eval_return[e] = (float)ret;
    if (k >= 0) res->traj_len[k] = t;
}

/* The training curve: bin sums and counts into per-bin means (NaN: empty). */
static void record_curve(run_result_t *res, const double *bins, const int *counts, int C) {
    for (int b = 0; b < C; b++) {
        res->curve_episodes[b] = counts[b];
        if (counts[b] == 0) continue;
        res->curve_steps[b] = (float)(bins[b] / counts[b]);
        res->curve_success[b] = (float)(bins[C + b] / counts[b]);
        res->curve_return[b] = (float)(bins[2 * C + b] / counts[b]);
    }
}

/* What the agent's network cost (its fits and read-offs), if it has one. */
static void record_fit_stats(const agent_class_t *c, const void *agent, run_result_t *res) {
    fit_stats_t fs = {0, 0, 0};
    if (c->fit_stats) c->fit_stats(agent, &fs);
    res->fit_steps = fs.fit_steps;
    res->fit_seconds = fs.fit_seconds;
    res->readoff_seconds = fs.readoff_seconds;
}

/* The agent's model after training against the world's (over the cells it
 * was in during training, every action of them), and against its own data. */
static int record_model(const agent_class_t *c, const void *agent, const world_knowledge_t *wk, const long *visits,
                        int n_cells, run_result_t *res) {
    if (c->model_fit) res->model_fit_tv_B = (float)c->model_fit(agent);
    const efe_model_t *m = c->model ? c->model(agent) : NULL;
    if (!m) return 0;
    const int n = wk->model.n_states, na = wk->model.n_actions, nc = n_cells;
    if (m->n_states != n || m->n_obs != wk->model.n_obs) return 0; /* not the world's state space: nothing to compare */
    double *w = malloc(sizeof(double) * (size_t)n * (size_t)(na + 2)), *ws = w ? w + (size_t)n * na : NULL,
           *scratch = ws ? ws + n : NULL;
    if (!w) return -1;
    for (int s = 0; s < n; s++) { /* a context world's state (k, cell): the cell's visits */
        ws[s] = (double)visits[s % nc];
        scratch[s] = 0.0;
        for (int a = 0; a < na; a++) w[(size_t)s * na + a] = (double)visits[s % nc];
    }
    res->model_tv_A = (float)latent_tv_A(m, &wk->model, ws, 1.0);
    res->model_tv_B = (float)latent_tv_B(m, &wk->model, w, 1.0, scratch);
    free(w);
    return 0;
}

int run_execute(const jobspec_t *job, const worlds_t *ws, const run_t *run,
                const layout_dims_t *d, run_result_t *res, volatile sig_atomic_t *cancel) {
    const job_agent_t *ja = &job->agents[run->agent];
    const agent_class_t *c = ja->cls;
    const gridworld_t *g = &ws->w[run->env];
    const world_knowledge_t *wk = &ws->k[run->env];
    char err[RESULT_MSG_LEN] = "";
    rng_t env_rng, agent_rng, init_rng, eval_env_rng, eval_agent_rng;
    rng_seed(&env_rng, job->seed, (uint64_t)run->run_id, RNG_ENV);
    rng_seed(&agent_rng, job->seed, (uint64_t)run->run_id, RNG_AGENT);
    rng_seed(&init_rng, job->seed, (uint64_t)run->run_id, RNG_INIT);
    rng_seed(&eval_env_rng, job->seed, (uint64_t)run->run_id, RNG_EVAL_ENV);
    rng_seed(&eval_agent_rng, job->seed, (uint64_t)run->run_id, RNG_EVAL_AGENT);

    result_reset(res, d, run->run_id);
    res->t_start = now_wall();
    task_t task;
    task_from_world(&task, g, wk, c->needs ? c->needs(run->pv) : 0u);
    task.train_steps = ja->train_steps;
    /* With no checkpoint slots (checkpoints: 0) the layout holds none, whatever
     * the agent's size. */
    size_t cf = d->n_ckpt > 0 && c->ckpt_floats ? c->ckpt_floats(&task, run->pv) : 0;
    if (cf > res->ckpt_cap) {
        snprintf(res->message, sizeof res->message,
                 "internal: checkpoint of %zu floats exceeds the layout's %zu", cf, res->ckpt_cap);
        res->status = RUN_FAILED;
        res->t_end = now_wall();
        return 0;
    }
    res->ckpt_floats = cf;

    int C = d->curve_points;
    long *visits = calloc((size_t)g->n_states, sizeof *visits);
    double *bins = calloc((size_t)C * 3, sizeof *bins);
    int *counts = calloc((size_t)C, sizeof *counts);
    efe_check_t xc; /* on the world's true model: over (cell, context) in a context world */
    const int xc_rc = efe_check_init(&xc, g, &wk->model, d->n_check, d->eval_episodes);
    void *agent = NULL;
    int rc = 0, n_checked = 0;
    env_t env;
    env_init(&env, g, &env_rng);
    env_count_visits(&env, visits);
    if (!bins || !counts || !visits || xc_rc != 0) {
        snprintf(err, sizeof err, "out of memory");
        goto failed;
    }
    agent = c->create(&task, run->pv, &init_rng, err, sizeof err);
    if (!agent) {
        if (!err[0]) snprintf(err, sizeof err, "%s: could not create the agent (out of memory?)", c->name);
        goto failed;
    }
    train_log_t log = {
        .budget = ja->train_steps, .curve_points = C,
        .bin_steps = bins, .bin_success = bins + C, .bin_return = bins + 2 * C, .bin_count = counts,
        .n_ckpt = d->n_ckpt, .ckpt_floats = cf, .ckpt_data = res->ckpt, .ckpt_step = res->ckpt_step,
        .cancel = cancel,
    };
    double t0 = now_mono();
    if (c->train(agent, &env, &agent_rng, &log, err, sizeof err) != 0) goto failed;
    if (cancel && *cancel) goto cancelled;
    res->train_seconds = now_mono() - t0;
    res->train_steps = log.steps_used;
    res->train_episodes = log.episodes;
    record_fit_stats(c, agent, res);
    record_curve(res, bins, counts, C);
    if (record_model(c, agent, wk, visits, g->n_states, res) != 0) {
        snprintf(err, sizeof err, "out of memory");
        goto failed;
    }

    t0 = now_mono();
    for (int e = 0; e < d->eval_episodes; e++) {
        if (cancel && *cancel) goto cancelled;
        eval_episode(c, agent, g, &eval_env_rng, &eval_agent_rng, d, res, e, e < d->log_episodes ? e : -1,
                     &n_checked, &xc);
    }
    res->eval_seconds = now_mono() - t0;
    efe_check_finish(&xc, res, n_checked);
    res->status = RUN_DONE;
    goto out;

failed:
    res->status = RUN_FAILED;
    snprintf(res->message, sizeof res->message, "%s", err[0] ? err : "unknown failure");
    goto out;
cancelled:
    res->status = RUN_PENDING;
    snprintf(res->message, sizeof res->message, "interrupted");
    rc = -1;
out:
    if (agent) c->destroy(agent);
    free(bins);
    free(counts);
    free(visits);
    efe_check_free(&xc);
    res->t_end = now_wall();
    return rc;
}
