/* run: one train-then-evaluate run. */
#include "run.h"
#include "efe_tail.h"
#include "efe_ctx.h"
#include "latent.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* Average ranks (ties share the mean of their positions). */
static void ranks(const float *x, int n, double *r) {
    for (int i = 0; i < n; i++) {
        int less = 0, equal = 0;
        for (int j = 0; j < n; j++) {
            less += x[j] < x[i];
            equal += x[j] == x[i];
        }
        r[i] = less + (equal + 1) / 2.0;
    }
}

/* Spearman's rank correlation; NaN when either side is constant or n < 2. */
static float spearman(const float *x, const float *y, int n) {
    double rx[RESULT_CHECK_POLICIES], ry[RESULT_CHECK_POLICIES];
    if (n < 2 || n > RESULT_CHECK_POLICIES) return NAN;
    ranks(x, n, rx);
    ranks(y, n, ry);
    double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < n; i++) { mx += rx[i]; my += ry[i]; }
    mx /= n;
    my /= n;
    for (int i = 0; i < n; i++) {
        sxy += (rx[i] - mx) * (ry[i] - my);
        sxx += (rx[i] - mx) * (rx[i] - mx);
        syy += (ry[i] - my) * (ry[i] - my);
    }
    return sxx > 0 && syy > 0 ? (float)(sxy / sqrt(sxx * syy)) : NAN;
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The exact side of the EFE diagnostic, per run: the true model's tail
 * under the agent's preference and weights, solved at the first check that
 * needs one (evaluation does not change the preference). */
typedef struct {
    efe_tail_t tail;
    int solved;
    double *work;       /* 2 n_states + n_obs doubles */
    /* a 2-context world's belief planner (decision_t.check_ctx): the EFE to
     * go over the belief about the context on the true model, and each
     * check's exact values under the other naming of the agent's contexts
     * (a learner's naming is its own: the one its beliefs at the ends of
     * the evaluation episodes agree with is kept, as analysis figctx does) */
    efe_ctx_t ctx;
    int ctx_alloc, ctx_solved, ctx_checks;
    float *swapped;     /* [n_check][RESULT_CHECK_POLICIES] */
    double agree, disagree;
} exact_side_t;

/* The exact G of each first action from belief q [2 n_cells] (or with the
 * contexts' halves swapped) on the true model, by the belief recursion. */
static void exact_ctx_first(exact_side_t *xs, const efe_model_t *tm, const check_context_t *ctx,
                            const efe_weights_t *w, int swap, float *out, int np) {
    const int n = tm->n_states, nc = n / 2;
    double *q = xs->work, G[TASK_MAX_ACTIONS], risk[TASK_MAX_ACTIONS], amb[TASK_MAX_ACTIONS];
    for (int s = 0; s < n; s++) q[s] = ctx->belief[swap ? (s + nc) % n : s];
    efe_ctx_first(&xs->ctx, tm, q, ctx->lnp, w, G, risk, amb);
    for (int p = 0; p < np; p++) out[p] = (float)G[p];
}

/* In a 2-context world with checks: the belief recursion and the other
 * naming's slots.  0, or -1 (no memory). */
static int exact_side_ctx_alloc(exact_side_t *xs, const gridworld_t *g, const efe_model_t *tm, int n_check) {
    if (g->n_contexts != 2 || n_check < 1) return 0;
    xs->swapped = calloc((size_t)n_check * RESULT_CHECK_POLICIES, sizeof(float));
    xs->ctx_alloc = xs->swapped && efe_ctx_alloc(&xs->ctx, g->n_states, tm->n_obs, tm->n_actions) == 0;
    return xs->ctx_alloc ? 0 : -1;
}

static void exact_side_free(exact_side_t *xs) {
    free(xs->work);
    free(xs->swapped);
    efe_tail_free(&xs->tail);
    if (xs->ctx_alloc) efe_ctx_free(&xs->ctx);
}

/* After the evaluation: if the agent's beliefs at the ends of its episodes
 * name the contexts the other way round, the checks' exact values are those
 * of the swapped belief (and their rank correlations with them). */
static void settle_ctx_naming(const exact_side_t *xs, run_result_t *res) {
    if (xs->ctx_checks < 1 || xs->disagree <= xs->agree) return;
    for (int i = 0; i < xs->ctx_checks; i++) {
        float *ex = res->check_exact + (size_t)i * RESULT_CHECK_POLICIES;
        const int np = res->check_n[i];
        if (np < 1) continue;
        memcpy(ex, xs->swapped + (size_t)i * RESULT_CHECK_POLICIES, sizeof(float) * (size_t)np);
        res->check_rho[i] = spearman(res->check_est + (size_t)i * RESULT_CHECK_POLICIES, ex, np);
    }
}

/* G of the agent's exposed candidates under the world's true A and B, from
 * the agent's own belief and preference, with the same planner (a tail after
 * the policy if the agent's G has one), into check slot i. */
static void score_check(const agent_class_t *c, const void *agent, const world_knowledge_t *k, int n_cells,
                        const decision_t *dec, run_result_t *res, int i, exact_side_t *xs) {
    check_context_t ctx;
    if (!c->check_context || c->check_context(agent, &ctx) != 0 || dec->check_H < 1) return;
    /* a belief over other states than the true model's (the cells alone in a
     * context world) cannot be scored on it */
    if ((ctx.n_states ? ctx.n_states : n_cells) != k->model.n_states) return;
    const efe_weights_t w = {ctx.w_risk, ctx.w_ambiguity};
    if (dec->check_ctx) {
        if (!xs->ctx_alloc || dec->check_H != 1 || ctx.tail_steps < 1) return;
        if (!xs->ctx_solved) {
            efe_ctx_solve(&xs->ctx, &k->model, ctx.lnp, &w, ctx.tail_steps);
            xs->ctx_solved = 1;
        }
        int np = dec->n_check < RESULT_CHECK_POLICIES ? dec->n_check : RESULT_CHECK_POLICIES;
        float exact[RESULT_CHECK_POLICIES];
        exact_ctx_first(xs, &k->model, &ctx, &w, 0, exact, np);
        exact_ctx_first(xs, &k->model, &ctx, &w, 1, xs->swapped + (size_t)i * RESULT_CHECK_POLICIES, np);
        res->check_n[i] = np;
        memcpy(res->check_est + (size_t)i * RESULT_CHECK_POLICIES, dec->check_est, sizeof(float) * (size_t)np);
        memcpy(res->check_exact + (size_t)i * RESULT_CHECK_POLICIES, exact, sizeof(float) * (size_t)np);
        res->check_rho[i] = spearman(dec->check_est, exact, np);
        xs->ctx_checks = i + 1;
        return;
    }
    const efe_tail_t *tail = NULL;
    if (ctx.tail_steps > 0) {
        if (!xs->solved) {
            efe_tail_solve(&xs->tail, &k->model, ctx.lnp, &w, ctx.tail_steps, NULL);
            xs->solved = 1;
        }
        tail = &xs->tail;
    }
    int np = dec->n_check < RESULT_CHECK_POLICIES ? dec->n_check : RESULT_CHECK_POLICIES;
    float exact[RESULT_CHECK_POLICIES];
    for (int p = 0; p < np; p++) {
        int pol[DECISION_MAX_H];
        for (int h = 0; h < dec->check_H; h++) pol[h] = dec->check_policy[p][h];
        exact[p] = (float)efe_tail_policy_G(&k->model, tail, ctx.belief, pol, dec->check_H, ctx.lnp, &w, NULL, NULL,
                                            xs->work);
    }
    res->check_n[i] = np;
    memcpy(res->check_est + (size_t)i * RESULT_CHECK_POLICIES, dec->check_est, sizeof(float) * (size_t)np);
    memcpy(res->check_exact + (size_t)i * RESULT_CHECK_POLICIES, exact, sizeof(float) * (size_t)np);
    res->check_rho[i] = spearman(dec->check_est, exact, np);
}

/* One evaluation episode; logs the trajectory when k >= 0.  The first
 * d->n_check decisions of the run (over all episodes) ask for the EFE
 * diagnostic; *n_checked counts those that gave one. */
static void eval_episode(const agent_class_t *c, void *agent, const gridworld_t *g, const world_knowledge_t *wk,
                         rng_t *env_rng, rng_t *agent_rng, const layout_dims_t *d,
                         run_result_t *res, int e, int k, int *n_checked, exact_side_t *xs) {
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
    float last_pc = NAN;
    c->begin_episode(agent, o);
    if (k >= 0) {
        res->traj_pos[(size_t)k * (T + 1)] = s;
        res->traj_obs[(size_t)k * (T + 1)] = o;
    }
    while (t < g->max_steps) {
        decision_clear(&dec);
        dec.want_check = *n_checked < d->n_check;
        int a = c->act(agent, o, agent_rng, &dec);
        last_pc = dec.p_context;
        if (dec.want_check && dec.n_check > 0) {
            score_check(c, agent, wk, g->n_states, &dec, res, *n_checked, xs);
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
            res->traj_p_context[(size_t)k * T + (size_t)t] = dec.p_context;
        }
        t++;
        if (outcome != ENV_RUNNING) break;
    }
    res->eval_steps[e] = t;
    res->eval_success[e] = outcome == ENV_GOAL;
    res->eval_outcome[e] = (int8_t)(outcome == ENV_GOAL ? RESULT_GOAL : outcome == ENV_FAILED ? RESULT_HOLE : RESULT_TIMEOUT);
    res->eval_context[e] = (int8_t)env_context(&env);
    if (!isnan(last_pc)) { /* which naming of the contexts the agent's last belief agrees with */
        const double right = env_context(&env) == 1 ? last_pc : 1.0 - last_pc;
        xs->agree += right;
        xs->disagree += 1.0 - right;
    }
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

/* The median of the defined rank correlations of the first n checked
 * decisions (left NaN if there is none); check_rho keeps its order. */
static void record_rho_median(run_result_t *res, int n) {
    float rho[n > 0 ? n : 1];
    int nr = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(res->check_rho[i])) rho[nr++] = res->check_rho[i];
    if (nr == 0) return;
    qsort(rho, (size_t)nr, sizeof(float), cmp_float);
    res->check_rho_median = nr % 2 ? rho[nr / 2] : 0.5f * (rho[nr / 2 - 1] + rho[nr / 2]);
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
    const efe_model_t *tm = &wk->model; /* the world's true model: over (cell, context) in a context world */
    exact_side_t xs = {.work = malloc(sizeof(double) * (2 * (size_t)tm->n_states + (size_t)tm->n_obs))};
    void *agent = NULL;
    int rc = 0, n_checked = 0;
    env_t env;
    env_init(&env, g, &env_rng);
    env_count_visits(&env, visits);
    if (!bins || !counts || !xs.work || !visits || efe_tail_alloc(&xs.tail, tm->n_states, tm->n_actions) != 0 ||
        exact_side_ctx_alloc(&xs, g, tm, d->n_check) != 0) {
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
        eval_episode(c, agent, g, wk, &eval_env_rng, &eval_agent_rng, d, res, e,
                     e < d->log_episodes ? e : -1, &n_checked, &xs);
    }
    res->eval_seconds = now_mono() - t0;
    settle_ctx_naming(&xs, res);
    record_rho_median(res, n_checked);
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
    exact_side_free(&xs);
    res->t_end = now_wall();
    return rc;
}
