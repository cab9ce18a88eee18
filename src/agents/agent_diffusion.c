/* diffusion-aif: the paper's agent (Algorithm 1).  A DDPM over trajectory
 * windows of tokens [o, z, a] is the generative model (netmodel.h); it
 * infers hidden states and predicts by inpainting; actions minimise expected
 * free energy.
 *
 * What it knows: its view of the task (task.h) and its own experience: the
 * observations, its actions, how episodes ended (experience.h).  Never the
 * hidden state: the z of its training windows are the states it infers from
 * its observations (EM over a hidden Markov model of its record, latent.h),
 * unless `state_labels: true` (the paper's reading of Algorithm 1, which logs
 * the true state: a privileged-information ablation).  It cannot see the
 * world's definition; coordinates decode to the nearest cell of the grid's
 * shape.
 *
 * Training (within the run's step budget): explore_frac of the budget
 * exploring (the least-made moves between the states it infers, explore.h;
 * EFE decisions on the counts model of its record, the default in a world
 * with hidden contexts; or random moves; with rounds 0, the default, the
 * whole budget), then learn;
 * then `rounds` rounds of (act with EFE minimisation, add the new steps,
 * learn again).  Learning: infer the states of the record (EM on counts),
 * then take the likelihood p(o|z) and the transitions p(z'|z,a) from the
 * source `model` names: the network, fitted on the windows and read off by
 * inpainting (the agent), or the counts of the same data under the same
 * states (the control, no network).  The start distribution and the cells to
 * avoid (where an episode ended without the goal) come from the inferred
 * states in both.  Deciding is the planner's (planner.h) on that model, from
 * a belief about the present state filtered on it (or inpainted by the
 * network); the paper's per-policy sampled prediction is an option.
 *
 * In a world with hidden contexts (docs/contexts.md) the states are (cell,
 * context): the record's states come from a mixture over the contexts
 * (latent_ctx.h), the network's tokens carry the symbol and the context
 * (tokens.h), and the planner decides over the belief about the context. */
/* An agent sees only its view of the task: gridworld.h and env.h refuse to
 * compile here (task.h). */
#define AIF_AGENT_VIEW_ONLY
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "interface/agents.h"
#include "core/arena.h"
#include "agents/agent_diffusion_config.h"
#include "aif/efe.h"
#include "aif/experience.h"
#include "aif/explore.h"
#include "aif/genmodel.h"
#include "aif/latent.h"
#include "aif/latent_ctx.h"
#include "agents/netmodel.h"
#include "aif/planner.h"

#define EM_MAX_ITER 100
#define EM_TOL 1e-4        /* nats per token */

typedef struct {
    task_t task;
    int S, NA, H, M, K, enumerate;
    int ctx;                   /* a world with hidden contexts: states (cell, context), latc instead of lat */
    int NS, NO;                /* states and observations (both S without contexts) */
    dif_cfg_t c;               /* its parameters */
    efe_params_t ep;           /* gamma, weights, preference, selection (efe.h) */
    int exploration;           /* the explorer: auto resolved for the world */
    int em_rounds;             /* network EM rounds that apply (0 with labels or the counts model) */
    int use_net;               /* the parameters need the network */
    int tail_steps;            /* planner: induction (0: none) */
    netmodel_t nm;             /* the network (model: network, or anything that samples from it) */
    genmodel_t gm;             /* the model the agent plans with */
    latent_t lat;              /* the states of its record, and the counts model */
    latent_ctx_t latc;         /* the same in a world with hidden contexts: a mixture over them */
    int *mv_idx;               /* ctx, support moves: the moves the record shows over the joint states */
    double *mv_cnt;
    unsigned char *avoid_loc;  /* [S] scratch of the preference */
    experience_t xp;           /* its record */
    explorer_t explorer;       /* counts of its moves between the states it infers */
    planner_t plan;
    fit_stats_t stats;         /* this run's fits and read-offs */
    efe_model_t em_model;      /* the network's tables as pseudo-counts, for its E-steps (em_rounds) */
    double *lnp;               /* [NO] */
    double *belief, *q_tmp, *bonus; /* [NS] */
    /* the paper's sampled prediction */
    int *pol;                  /* [K][H] */
    double *G, *risk, *amb, *P;/* [K] */
    int *first;                /* [K] */
    int *hist_o, *hist_a, t;   /* episode history, [max_steps + 2] */
    long refit_at;             /* exploring: re-learn the states once the record holds this many tokens */
    int noted;                 /* training: hist_o[t] and the belief are up to date before the next act */
    arena_t *arena;            /* every buffer above, and the dif_t itself */
} dif_t;

static size_t dif_ckpt_floats(const task_t *task, const double *pv) {
    const dif_cfg_t c = dif_decode(pv);
    if (!dif_uses_network(&c)) return 0;
    scorenet_config_t nc = dif_net_config(task, &c);
    return netmodel_ckpt_floats(&nc);
}

static unsigned dif_needs(const double *pv) {
    const dif_cfg_t c = dif_decode(pv);
    return (c.efe.pref.kind == EFE_PREF_ORACLE ? TASK_NEEDS_ORACLE : 0u) | (c.labels ? TASK_NEEDS_LABELS : 0u);
}

static int dif_validate(const task_t *env, const double *pv, char *err, size_t n) {
    const dif_cfg_t c = dif_decode(pv);
    return dif_check(env, &c, err, n);
}

static void dif_destroy(void *self) {
    dif_t *a = self;
    if (!a) return;
    if (a->use_net) netmodel_free(&a->nm);
    genmodel_free(&a->gm);
    planner_free(&a->plan);
    efe_model_free(&a->em_model);
    explorer_free(&a->explorer);
    arena_free(a->arena); /* every buffer of the agent's own, and the agent */
}

/* What follows from the parameters and the task. */
static void dif_derive(dif_t *a, const task_t *task) {
    const dif_cfg_t *c = &a->c;
    a->task = *task;
    a->S = task->n_cells;
    a->ctx = task->n_contexts > 1;
    a->NS = a->ctx ? task->n_cells * task->n_contexts : a->S;
    a->NO = a->ctx ? task->n_obs : a->S;
    a->NA = task->n_actions;
    a->H = c->horizon;
    a->M = c->samples;
    a->K = dif_n_policies(c, a->NA, &a->enumerate);
    a->ep = c->efe;
    a->tail_steps = dif_plan_config(task, c).tail_steps;
    a->exploration = c->exploration;
    if (a->exploration == EXPLORATION_AUTO) a->exploration = a->ctx ? EXPLORATION_EFE : EXPLORATION_NOVELTY;
    a->em_rounds = c->labels || c->model != MODEL_NETWORK ? 0 : c->em_rounds;
    a->use_net = dif_uses_network(c);
}

static netmodel_config_t netmodel_config(const dif_t *a, const task_t *task) {
    const dif_cfg_t *p = &a->c;
    netmodel_config_t c;
    memset(&c, 0, sizeof c);
    c.net = dif_net_config(task, p);
    c.lr = (float)p->lr;
    c.schedule = (sched_kind_t)p->schedule;
    c.T = p->T;
    c.sampler = p->sampler;
    c.cond = p->cond;
    c.mix = p->predict != PREDICT_MODEL ? NET_MIX_SAMPLES : p->inference == INFER_INPAINT ? NET_MIX_MODEL : NET_MIX_READOFF;
    dif_window(p, &c.context, &c.horizon);
    c.iters = p->train_iters;
    c.batch = p->batch;
    c.warm = p->warm_start;
    c.amb_samples = p->amb_samples;
    c.trans_samples = p->trans_samples;
    c.stop_tol = p->train_stop;
    c.stop_every = p->stop_every;
    c.stop_patience = p->stop_patience;
    c.stop_watch = p->stop_watch;
    c.balance = p->balance;
    int rows = a->K * a->M;
    c.max_batch = rows > c.batch ? rows : c.batch;
    if (c.max_batch < 256) c.max_batch = 256;
    return c;
}

/* The agent's own buffers, all from its arena. */
static int dif_alloc(dif_t *a, const task_t *task, const rng_t *init_rng, char *err, size_t n) {
    arena_t *ar = a->arena;
    const size_t NS = (size_t)a->NS, K = (size_t)a->K, hist = (size_t)task->max_steps + 2;
    a->lnp = arena_alloc(ar, (size_t)a->NO, sizeof(double));
    a->belief = arena_alloc(ar, NS, sizeof(double));
    a->q_tmp = arena_alloc(ar, NS, sizeof(double));
    a->bonus = arena_alloc(ar, NS, sizeof(double));
    a->avoid_loc = arena_alloc(ar, (size_t)a->S, 1);
    a->pol = arena_alloc(ar, K * (size_t)a->H, sizeof(int));
    a->G = arena_alloc(ar, K, sizeof(double));
    a->risk = arena_alloc(ar, K, sizeof(double));
    a->amb = arena_alloc(ar, K, sizeof(double));
    a->P = arena_alloc(ar, K, sizeof(double));
    a->first = arena_alloc(ar, K, sizeof(int));
    a->hist_o = arena_alloc(ar, hist, sizeof(int));
    a->hist_a = arena_alloc(ar, hist, sizeof(int));
    const planner_config_t pc = dif_plan_config(task, &a->c);
    const latent_prior_t prior = latent_prior_defaults();
    const int bw = NETMODEL_TRANS_WIDTH > LATENT_WIDTH ? NETMODEL_TRANS_WIDTH : LATENT_WIDTH;
    /* a context world's observation slots: what the read-off can fill, and at
     * least as many as the counts model keeps (latent_ctx.h) */
    int aw = a->S;
    if (a->ctx) {
        aw = a->c.amb_samples < a->NO ? a->c.amb_samples : a->NO;
        if (aw < LATENT_CTX_AWIDTH) aw = LATENT_CTX_AWIDTH < a->NO ? LATENT_CTX_AWIDTH : a->NO;
    }
    if (a->ctx) {
        a->mv_idx = arena_alloc(ar, (size_t)a->NA * NS * LATENT_WIDTH, sizeof(int));
        a->mv_cnt = arena_alloc(ar, (size_t)a->NA * NS * LATENT_WIDTH, sizeof(double));
    }
    if (!arena_ok(ar) || xp_alloc(&a->xp, ar, task->train_steps) != 0 ||
        (a->ctx ? latent_ctx_alloc(&a->latc, ar, &a->task, task->max_steps + 1, a->xp.cap, &prior)
                : latent_alloc(&a->lat, ar, &a->task, task->max_steps + 1, &prior)) != 0 ||
        genmodel_alloc_obs(&a->gm, ar, a->NS, a->NO, a->NA, bw, aw) != 0 ||
        planner_alloc(&a->plan, ar, a->NS, a->NO, a->NA, &pc) != 0 ||
        explorer_alloc(&a->explorer, a->S, a->NA, task->max_steps, task->max_steps) != 0 ||
        (a->em_rounds > 0 && efe_model_alloc(&a->em_model, a->S, a->S, a->NA, bw + LATENT_WIDTH, 1) != 0)) {
        snprintf(err, n, "diffusion-aif: out of memory (a data set of %ld steps)", task->train_steps);
        return -1;
    }
    if (a->ctx) {
        a->latc.tie = a->c.ctx_tie;
        a->gm.ctx_cells = a->S;
    }
    if (a->use_net) {
        const netmodel_config_t nc = netmodel_config(a, task);
        if (netmodel_create(&a->nm, ar, &a->task, &nc, init_rng, err, n) != 0) return -1;
        a->nm.trace = getenv("AIF_TRACE_FIT") ? stderr : NULL; /* docs/diffusion-aif.md: a debugging aid */
    }
    return 0;
}

/* The preference and the planner on the current model (bonus: novelty, or NULL). */
static void model_changed(dif_t *a, const double *bonus) {
    genmodel_preferences(&a->gm, &a->ep.pref, &a->task, a->avoid_loc, a->lnp);
    planner_set_model(&a->plan, &a->gm.m, a->lnp, &a->ep, bonus);
}

/* The model of the counts under the states last inferred (latent.h, or in a
 * world with hidden contexts latent_ctx.h). */
static void counts_model(dif_t *a) {
    if (a->ctx) latent_ctx_to_genmodel(&a->latc, &a->gm);
    else latent_to_genmodel(&a->lat, &a->gm);
}

static void *dif_create(const task_t *task, const double *pv, rng_t *init_rng, char *err, size_t n) {
    const dif_cfg_t c = dif_decode(pv);
    if (c.efe.pref.kind == EFE_PREF_ORACLE && !task->oracle_dist) {
        snprintf(err, n, "diffusion-aif: preference: oracle-distance needs the oracle, which this task does not give");
        return NULL;
    }
    if (c.labels && !task->labels) {
        snprintf(err, n, "diffusion-aif: state_labels: true needs the state labels, which this task does not give");
        return NULL;
    }
    if (dif_check(task, &c, err, n) != 0) return NULL;
    arena_t *ar = arena_create(1u << 20);
    dif_t *a = arena_alloc(ar, 1, sizeof *a);
    if (!a) {
        arena_free(ar);
        snprintf(err, n, "diffusion-aif: out of memory");
        return NULL;
    }
    a->arena = ar;
    a->c = c;
    dif_derive(a, task);
    if (dif_alloc(a, task, init_rng, err, n) != 0) {
        dif_destroy(a);
        return NULL;
    }
    /* Before any learning: the priors' model (every observation names its
     * cell, moves stay put or go to a neighbour); the enumerated policies. */
    counts_model(a);
    model_changed(a, NULL);
    a->refit_at = 64;
    if (a->enumerate)
        for (int k = 0; k < a->K; k++) {
            int x = k;
            for (int h = a->H - 1; h >= 0; h--) { a->pol[k * a->H + h] = x % a->NA; x /= a->NA; }
        }
    return a;
}

/* ---- deciding ------------------------------------------------------------------------ */

/* Candidate policies for this decision (when not enumerated): equally many per
 * first action, the rest drawn uniformly. */
static void draw_policies(dif_t *a, rng_t *r) {
    if (a->enumerate) return;
    for (int k = 0; k < a->K; k++) {
        a->pol[k * a->H] = k % a->NA;
        for (int h = 1; h < a->H; h++) a->pol[k * a->H + h] = (int)rng_below(r, (uint32_t)a->NA);
    }
}

/* prediction: samples.  G of every candidate from its M inpainted windows: the
 * predicted states z_tau and the model's likelihood give q(o_tau|pi) = 1/M
 * sum_m p(o | z_tau^m) (Rao-Blackwellised: far less noisy than the histogram
 * of sampled observations) and the ambiguity 1/M sum_m H[p(o | z_tau^m)];
 * with the tail, that of the sampled z_H. */
static void score_policies(dif_t *a) {
    const int S = a->S, aw = a->gm.m.a_width;
    const efe_model_t *m = &a->gm.m;
    double *qo = a->q_tmp;
    for (int k = 0; k < a->K; k++) {
        double risk = 0, amb = 0;
        for (int h = 1; h <= a->H; h++) {
            memset(qo, 0, sizeof(double) * (size_t)S);
            double ambh = 0;
            for (int s = 0; s < a->M; s++) {
                int z = netmodel_cell(&a->nm, k * a->M + s, h, OFF_Z);
                const int *idx = m->a_idx + (size_t)z * aw;
                const double *p = m->a_p + (size_t)z * aw;
                for (int j = 0; j < aw && idx[j] >= 0; j++) qo[idx[j]] += p[j] / a->M;
                ambh += m->H_A[z];
                if (h == a->H && a->tail_steps > 0) {
                    risk += a->plan.tail.Vr[z] / a->M;
                    amb += a->plan.tail.Va[z] / a->M;
                }
            }
            risk += efe_risk_w(&a->ep.w, qo, a->lnp, S);
            amb += ambh / a->M;
        }
        a->risk[k] = risk;
        a->amb[k] = amb;
        a->G[k] = efe_combine(&a->ep.w, risk, amb);
        a->first[k] = a->pol[k * a->H];
    }
}

/* The EFE diagnostic of the sampled prediction: the first candidates and
 * their estimated G. */
static void expose_policies(const dif_t *a, decision_t *d) {
    if (a->H > DECISION_MAX_H) return;
    int n = a->K < DECISION_MAX_CHECK ? a->K : DECISION_MAX_CHECK;
    for (int k = 0; k < n; k++) {
        for (int h = 0; h < a->H; h++) d->check_policy[k][h] = (signed char)a->pol[k * a->H + h];
        d->check_est[k] = (float)a->G[k];
    }
    d->check_H = a->H;
    d->n_check = n;
}

static int decide_by_samples(dif_t *a, rng_t *r, decision_t *d) {
    draw_policies(a, r);
    netmodel_sample_policies(&a->nm, a->hist_o, a->hist_a, a->t, a->pol, a->K, a->M, r);
    score_policies(a);
    if (a->c.inference == INFER_INPAINT) {
        /* the belief: the present z of every row */
        memset(a->belief, 0, sizeof(double) * (size_t)a->S);
        for (int row = 0; row < a->K * a->M; row++) a->belief[netmodel_cell(&a->nm, row, 0, OFF_Z)] += 1.0 / (a->K * a->M);
    }
    double p_act[TASK_MAX_ACTIONS] = {0};
    efe_policy_posterior(a->G, NULL, a->ep.gamma, a->K, a->P);
    efe_action_marginals(a->P, a->first, a->K, a->NA, p_act);
    int act = efe_select_action(p_act, a->NA, a->ep.sel, r);
    if (d) {
        efe_first_action_summary(a->G, a->risk, a->amb, a->first, a->K, a->NA, p_act, d->G, d->risk, d->ambiguity,
                                 d->p_action);
        d->action = act;
        if (d->want_check) expose_policies(a, d);
    }
    return act;
}

/* The belief about the present state, now that hist_o[t] is in: filtered on
 * the agent's model (or inpainted by the network: inference inpaint with
 * prediction model; with prediction samples the windows give it). */
static void filter_belief(dif_t *a) {
    if (a->t == 0) genmodel_belief_begin(&a->gm, a->hist_o[0], a->belief);
    else genmodel_belief_step(&a->gm, a->hist_a[a->t - 1], a->hist_o[a->t], a->belief, a->q_tmp);
}

static void update_belief(dif_t *a, rng_t *r) {
    if (a->c.inference == INFER_FILTER) {
        filter_belief(a);
    } else if (a->c.predict == PREDICT_MODEL) {
        netmodel_infer_state(&a->nm, a->hist_o, a->hist_a, a->t, 4 * a->M, r, a->belief);
    }
}

static void dif_begin(void *self, int obs0) {
    dif_t *a = self;
    a->t = 0;
    a->hist_o[0] = obs0;
    a->noted = 0;
}

static int dif_act(void *self, int obs, rng_t *rng, decision_t *d) {
    dif_t *a = self;
    if (a->t > a->task.max_steps) a->t = a->task.max_steps; /* never past the history */
    if (!a->noted) {
        a->hist_o[a->t] = obs;
        update_belief(a, rng);
    }
    a->noted = 0;
    int act = a->c.predict == PREDICT_MODEL ? planner_decide(&a->plan, a->belief, rng, d) : decide_by_samples(a, rng, d);
    a->hist_a[a->t] = act;
    a->t++;
    return act;
}

/* In training the history is kept step by step: dif_observe puts an
 * observation in (at the episode's start too) and filters the belief on the
 * model learned so far, which the explorer reads; dif_note adds a move the
 * agent made without deciding (exploring).  A dif_act that follows finds its
 * observation in place and, with inference filter, its belief too. */
static void dif_observe(dif_t *a, int obs) {
    if (a->t > a->task.max_steps) a->t = a->task.max_steps;
    a->hist_o[a->t] = obs;
    filter_belief(a);
    a->noted = a->c.inference == INFER_FILTER;
}

static void dif_note(dif_t *a, int act) {
    a->hist_a[a->t] = act;
    a->t++;
}

static int dif_check_context(const void *self, check_context_t *ctx) {
    const dif_t *a = self;
    check_context_set(ctx, a->belief, a->lnp, a->ep.w.w_risk, a->ep.w.w_ambiguity, a->ep.w.risk == EFE_RISK_COST,
                      a->tail_steps);
    ctx->n_states = a->NS;
    return 0;
}

/* A model of a world with hidden contexts is not compared with the world's:
 * which learned context is which true one is not identified (latent_ctx.h). */
static const efe_model_t *dif_model(const void *self) {
    const dif_t *a = self;
    return a->ctx ? NULL : &a->gm.m;
}

static double dif_model_fit(const void *self) {
    const dif_t *a = self;
    return a->ctx ? NAN : latent_fit_tv_B(&a->lat, &a->gm.m, 5.0);
}

static void dif_fit_stats(const void *self, fit_stats_t *out) { *out = ((const dif_t *)self)->stats; }

static void dif_checkpoint(const void *self, float *out) {
    const dif_t *a = self;
    if (a->use_net) netmodel_checkpoint(&a->nm, out);
}

/* ---- learning -------------------------------------------------------------------------- */

/* The network's tables as the model of an E-step: its samples taken as
 * counts (amb_samples per cell, trans_samples per move) under the counts
 * model's priors, so that nothing it has not sampled is impossible. */
static void em_model_from_network(dif_t *a) {
    const int S = a->S, NA = a->NA, bw = a->em_model.b_width, gbw = a->gm.m.b_width;
    const latent_prior_t *pr = &a->lat.prior;
    const double ma = a->nm.cfg.amb_samples, mt = a->nm.cfg.trans_samples;
    for (int s = 0; s < S; s++) {
        const double *src = a->gm.m.A + (size_t)s * S;
        double *dst = a->em_model.A + (size_t)s * S;
        for (int o = 0; o < S; o++)
            dst[o] = (ma * src[o] + pr->a_prior / S + (o == s ? pr->a_self : 0.0)) / (ma + pr->a_prior + pr->a_self);
    }
    for (int r = 0; r < NA * S; r++) {
        int *idx = a->em_model.b_idx + (size_t)r * bw, k = 0;
        double *p = a->em_model.b_p + (size_t)r * bw, sum = 0.0;
        const int *gi = a->gm.m.b_idx + (size_t)r * gbw;
        const double *gp = a->gm.m.b_p + (size_t)r * gbw;
        for (int j = 0; j < gbw && gi[j] >= 0; j++) { idx[k] = gi[j]; p[k++] = mt * gp[j]; }
        const int *li = a->lat.b_idx + (size_t)r * LATENT_WIDTH;
        for (int j = 0; j < LATENT_WIDTH && li[j] >= 0; j++) {
            int found = -1;
            for (int i = 0; i < k; i++) if (idx[i] == li[j]) found = i;
            if (found < 0) { idx[k] = li[j]; p[k] = 0.0; found = k++; }
            p[found] += pr->b_prior;
        }
        for (int i = 0; i < k; i++) sum += p[i];
        for (int i = 0; i < k; i++) p[i] /= sum;
        for (int i = k; i < bw; i++) { idx[i] = -1; p[i] = 0.0; }
    }
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Fit the network on the record and read the model off it, timed. */
static int fit_and_read(dif_t *a, rng_t *r, const train_log_t *log, char *err, size_t n) {
    const double t0 = now_s();
    if (netmodel_fit(&a->nm, &a->xp, r, log, err, n) != 0) return -1;
    const double t1 = now_s();
    netmodel_read(&a->nm, &a->gm, r);
    a->stats.fit_steps += a->nm.fit_steps;
    a->stats.fit_seconds += t1 - t0;
    a->stats.readoff_seconds += now_s() - t1;
    return 0;
}

/* The states of the record: exact counts on the labels, or EM (on the
 * mixture over the contexts in a context world) and, with sample, one joint
 * sample of the states from its posterior into the record's z. */
static void infer_states(dif_t *a, rng_t *r, int sample) {
    if (a->ctx) {
        latent_ctx_em(&a->latc, &a->xp, EM_MAX_ITER, EM_TOL, r);
        if (sample) latent_ctx_sample(&a->latc, &a->xp, r);
    } else if (a->c.labels) {
        latent_count_labels(&a->lat, &a->xp);
    } else {
        latent_em(&a->lat, &a->xp, EM_MAX_ITER, EM_TOL);
        if (sample) latent_sample(&a->lat, &a->xp, NULL, r);
    }
}

/* Learn from the record: the states (labels, or EM on counts and one sample
 * of the states from its posterior), the counts model, and with the network
 * its fit and read-off (and em_rounds of E-steps under it); then the cells to
 * avoid, the support rule, the preference and the planner.  bonus: the
 * novelty bonus for acting in the training rounds (NULL after training). */
static int learn(dif_t *a, rng_t *r, const train_log_t *log, int for_rounds, char *err, size_t n) {
    infer_states(a, r, 1);
    counts_model(a);
    if (a->c.model == MODEL_NETWORK && a->ctx) {
        if (fit_and_read(a, r, log, err, n) != 0) return -1;
        if (a->latc.tie) latent_ctx_tie_model(&a->latc, &a->gm);
        latent_ctx_absorb(&a->latc, &a->gm); /* the goal's and the avoided states, as the counts say */
    } else if (a->c.model == MODEL_NETWORK) {
        if (fit_and_read(a, r, log, err, n) != 0) return -1;
        for (int k = 0; k < a->em_rounds && !trainlog_cancelled(log); k++) {
            em_model_from_network(a);
            latent_sample(&a->lat, &a->xp, &a->em_model, r);
            if (fit_and_read(a, r, log, err, n) != 0) return -1;
        }
        genmodel_absorb(&a->gm, a->task.goal);
        for (int s = 0; s < a->S; s++)
            if (a->gm.avoid[s]) genmodel_absorb(&a->gm, s);
    }
    if (a->task.goal >= 0) a->gm.visited[a->task.goal] = 1; /* the goal is told, and reachable */
    if (a->c.support != SUPPORT_MODEL) genmodel_restrict_to_visited(&a->gm);
    if (a->c.support == SUPPORT_MOVES && a->ctx) {
        latent_ctx_moves(&a->latc, a->mv_idx, a->mv_cnt);
        genmodel_restrict_to_moves(&a->gm, a->mv_idx, a->mv_cnt, LATENT_WIDTH, 0.5);
    } else if (a->c.support == SUPPORT_MOVES) {
        genmodel_restrict_to_moves(&a->gm, a->lat.b_idx, a->lat.cB, LATENT_WIDTH, 0.5);
    }
    const double *bonus = NULL;
    if (for_rounds && a->c.novelty > 0) {
        for (int s = 0; s < a->NS; s++) {
            const double visits = a->ctx ? a->latc.comp[s / a->S].c_visit[s % a->S] : a->lat.c_visit[s];
            a->bonus[s] = a->c.novelty / sqrt(1.0 + visits);
        }
        bonus = a->bonus;
    }
    model_changed(a, bonus);
    return 0;
}

/* Where the explorer takes the agent to be: the true cell with state labels;
 * otherwise the most probable state of its belief, filtered on the model
 * learned so far (before any learning, the priors' model: the observed
 * cell). */
static int explore_state(const dif_t *a, const env_t *env) {
    if (a->c.labels) return a->task.labels->cell(env);
    int best = 0;
    if (a->ctx) {
        /* the most probable cell, whatever the context */
        double pb = -1.0;
        for (int c = 0; c < a->S; c++) {
            double p = 0.0;
            for (int s = c; s < a->NS; s += a->S) p += a->belief[s];
            if (p > pb) { pb = p; best = c; }
        }
        return best;
    }
    for (int s = 1; s < a->S; s++)
        if (a->belief[s] > a->belief[best]) best = s;
    return best;
}

/* Exploring by EFE, once the record has grown by a quarter: the counts
 * model of the record (its states inferred again), and the planner on it. */
static void efe_relearn(dif_t *a, rng_t *r) {
    if (a->xp.n < a->refit_at) return;
    infer_states(a, r, 0);
    counts_model(a);
    if (a->c.support != SUPPORT_MODEL) genmodel_restrict_to_visited(&a->gm);
    model_changed(a, NULL);
    a->refit_at = a->xp.n + a->xp.n / 4 + 64;
}

/* While exploring without labels, once the record has grown by a quarter:
 * learn the states from it (EM, warm-started), filter on the model they give,
 * and rebuild the explorer's counts from one sample of the record's states,
 * so that it plans over the states the agent infers rather than over its
 * noisy observations. */
static void explore_relearn(dif_t *a, rng_t *r) {
    if (a->c.labels || a->exploration != EXPLORATION_NOVELTY || a->xp.n < a->refit_at) return;
    infer_states(a, r, 1); /* the model below does not depend on the sample */
    counts_model(a);
    explorer_clear(&a->explorer);
    const experience_t *x = &a->xp;
    const int S = a->S; /* the explorer's states are cells (a context world's: whatever the context) */
    for (long st = 0; st < x->n; st = x->end[st] + 1) {
        explorer_visit(&a->explorer, x->z[st] % S);
        for (long i = st; i < x->end[st]; i++) explorer_step(&a->explorer, x->z[i] % S, x->a[i], x->z[i + 1] % S);
        if (x->ending[st] != XP_CUT) explorer_ended(&a->explorer, x->z[x->end[st]] % S);
    }
    a->refit_at = x->n + x->n / 4 + 64;
}

/* Run training episodes until `until` steps are used (the last episode is cut
 * at the budget).  explore: the explorer's (or random) moves, else EFE
 * decisions with probability train_epsilon of a random move. */
static void collect(dif_t *a, env_t *env, rng_t *r, train_log_t *log, long *t, long until, int explore) {
    const int max_steps = a->task.max_steps;
    const int by_efe = explore && a->exploration == EXPLORATION_EFE;
    if (by_efe) explore = 0; /* it acts as in the training rounds, on the counts model */
    const double eps = by_efe ? a->c.explore_eps : a->c.train_eps;
    while (*t < until && !trainlog_cancelled(log)) {
        int o = env_reset(env), steps = 0, outcome = ENV_RUNNING;
        double ret = 0;
        xp_begin(&a->xp, o, a->c.labels ? a->task.labels->cell(env) : -1);
        dif_begin(a, o);
        dif_observe(a, o);
        int xs = explore ? explore_state(a, env) : 0;
        if (explore) explorer_visit(&a->explorer, xs);
        while (outcome == ENV_RUNNING && steps < max_steps && *t < until) {
            int act;
            if (explore && a->exploration == EXPLORATION_NOVELTY) {
                act = explorer_act(&a->explorer, xs, r);
                dif_note(a, act);
            } else if (explore || (eps > 0 && rng_uniform(r) < eps)) {
                act = (int)rng_below(r, (uint32_t)a->NA);
                dif_note(a, act);
            } else {
                act = dif_act(a, o, r, NULL);
            }
            double rwd;
            int o2 = env_step(env, act, &rwd, &outcome);
            xp_step(&a->xp, act, o2, a->c.labels ? a->task.labels->cell(env) : -1);
            dif_observe(a, o2);
            if (explore) {
                const int xs2 = explore_state(a, env);
                explorer_step(&a->explorer, xs, act, xs2);
                if (outcome != ENV_RUNNING) explorer_ended(&a->explorer, xs2);
                xs = xs2;
            }
            o = o2;
            ret += rwd;
            steps++;
            (*t)++;
            /* The network as it stands at this step; the one due at the end of
             * the budget is taken after the last fit (dif_train). */
            float *slot = *t < log->budget ? trainlog_ckpt_slot(log, *t) : NULL;
            if (slot) dif_checkpoint(a, slot);
        }
        xp_end(&a->xp, outcome == ENV_GOAL ? XP_GOAL : outcome == ENV_FAILED ? XP_FAILED : XP_CUT);
        if (outcome != ENV_RUNNING || steps >= max_steps) trainlog_episode(log, *t, steps, outcome == ENV_GOAL, ret);
        if (explore) explore_relearn(a, r);
        if (by_efe) efe_relearn(a, r);
    }
}

static int dif_train(void *self, env_t *env, rng_t *r, train_log_t *log, char *err, size_t n) {
    dif_t *a = self;
    const long budget = log->budget;
    if (2 * budget + 2 > a->xp.cap) {
        snprintf(err, n, "diffusion-aif: internal: a training budget of %ld steps, but the task said %ld", budget,
                 a->task.train_steps);
        return -1;
    }
    xp_clear(&a->xp);
    long t = 0, explore_steps = a->c.rounds == 0 ? budget : (long)(a->c.explore_frac * (double)budget);
    collect(a, env, r, log, &t, explore_steps, 1);
    if (learn(a, r, log, a->c.rounds > 0, err, n) != 0) return -1;
    for (int k = 0; k < a->c.rounds && !trainlog_cancelled(log); k++) {
        long until = explore_steps + (budget - explore_steps) * (k + 1) / a->c.rounds;
        collect(a, env, r, log, &t, until, 0);
        if (learn(a, r, log, k + 1 < a->c.rounds, err, n) != 0) return -1;
    }
    log->steps_used = t;
    float *slot;
    while ((slot = trainlog_ckpt_slot(log, budget))) dif_checkpoint(a, slot);
    return 0;
}

const agent_class_t agent_diffusion_aif = {
    .name = "diffusion-aif",
    .help = "active inference with a diffusion-model generative model (Algorithm 1 of the paper)",
    .params = dif_params,
    .n_params = P_N,
    .needs = dif_needs,
    .ckpt_floats = dif_ckpt_floats,
    .validate = dif_validate,
    .create = dif_create,
    .train = dif_train,
    .begin_episode = dif_begin,
    .act = dif_act,
    .checkpoint = dif_checkpoint,
    .check_context = dif_check_context,
    .model = dif_model,
    .model_fit = dif_model_fit,
    .fit_stats = dif_fit_stats,
    .destroy = dif_destroy,
};
