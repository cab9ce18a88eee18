/* exact-aif: discrete active inference with exact beliefs and exact EFE.
 *
 * Beliefs q(s_t) by Bayesian filtering with A and B (genmodel.h), either the
 * world's own (model: true) or learned in training (model: learned).  Each
 * decision is the planner's (planner.h): every policy of length `horizon`
 * scored by G(pi) = sum_t w_risk KL[q(o_t|pi) || p~] + w_ambiguity
 * E_q(s_t|pi) H[p(o|s_t)] on the policy tree (a beam beyond policy_cap), with
 * the induction tail at its leaves, P(pi) = softmax(-gamma G), the first
 * action from its marginal.  docs/efe.md has the formulas and choices.
 *
 * Learned model.  The agent records what it experiences (experience.h:
 * observations, actions, how episodes ended) and learns A, B, the start
 * distribution and the cells to avoid from that alone, by EM over the hidden
 * states (latent.h): the true cell is never given (`state_labels: true`
 * counts on it instead: the paper's reading of Algorithm 1, a privileged
 * ablation).  It knows what its task tells it (task.h): the grid's shape, so
 * moves are local (a successor is the cell itself or one of its four
 * neighbours), and the goal, which ends the episode.  The model is re-learned
 * whenever the record has grown by a quarter since the last time, and at the
 * end of training.
 *
 * True model.  With `model: true` the agent is the reference that has the
 * world's A and B by definition (TASK_NEEDS_TRUTH): also its start cell, its
 * walls (for a uniform initial belief) and its holes (the cells to avoid).
 *
 * Training budget.  With model: true nothing is learned and no step of the
 * budget is spent (steps_used = 0, as for random): the agent is the reference
 * that knows the world.  With model: learned the whole budget is spent, acting
 * at random with probability `explore` and otherwise by planning with the
 * model learned so far. */
/* An agent sees only its view of the task: gridworld.h and env.h refuse to
 * compile here (task.h). */
#define AIF_AGENT_VIEW_ONLY
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "interface/agents.h"
#include "core/arena.h"
#include "aif/efe.h"
#include "aif/experience.h"
#include "aif/genmodel.h"
#include "aif/latent.h"
#include "aif/latent_ctx.h"
#include "aif/planner.h"

enum {
    P_HORIZON, P_GAMMA, P_W_RISK, P_W_AMB, P_RISK_TERM, P_PREF, P_LAMBDA, P_C_GOAL, P_HOLE,
    P_SELECTION, P_MODEL, P_SEARCH, P_CAP, P_DIRICHLET, P_EXPLORE, P_START_KNOWN, P_PLANNER, P_TAIL, P_LABELS,
    P_CTX_TAIL, P_CTX_TIE, P_N
};


static const char *const model_choices[] = {"true", "learned", NULL};
static const char *const ctx_tail_choices[] = {"belief", "state", NULL};
enum { CTX_TAIL_BELIEF = 0, CTX_TAIL_STATE = 1 };
enum { MODEL_TRUE = 0, MODEL_LEARNED = 1 };

#define MAX_CAP 1048576

_Static_assert(P_SELECTION - P_GAMMA + 1 == EFE_N_PARAMS && P_PREF == P_GAMMA + EFE_P_PREF,
               "the EFE block sits at P_GAMMA .. P_SELECTION");
_Static_assert(P_TAIL == P_PLANNER + 1, "the planner block is planner, tail_steps");

static const param_spec_t exact_params[P_N] = {
    [P_HORIZON]   = {"horizon", PT_INT, 3, 1, 64, NULL, "planning horizon H (actions per policy)"},
    EFE_PARAM_SPECS, /* P_GAMMA .. P_SELECTION (efe.h) */
    [P_MODEL]     = {"model", PT_CHOICE, 0, 0, 0, model_choices,
                     "A and B: the world's own (true), or learned in training from what the agent experiences "
                     "(learned: EM over the hidden states, latent.h; with state_labels, counts on the true cell)"},
    [P_SEARCH]    = {"search", PT_CHOICE, 0, 0, 0, planner_search_names,
                     "policies: auto = all |A|^H if <= policy_cap else beam; exhaustive = all (error above the cap); beam"},
    [P_CAP]       = {"policy_cap", PT_INT, 4096, 25, MAX_CAP, NULL,
                     "most policies scored per decision (beam width = policy_cap / |A|^2 per first action)"},
    [P_DIRICHLET] = {"dirichlet_prior", PT_REAL, 0.1, 1e-6, 1e3, NULL,
                     "learned model: Dirichlet count every allowed successor of B (the cell itself and its "
                     "neighbours) starts with"},
    [P_EXPLORE]   = {"explore", PT_REAL, 0.5, 0.0, 1.0, NULL,
                     "learned model: probability of a uniformly random action during training"},
    [P_PLANNER]   = PLANNER_PARAM_SPECS, /* P_PLANNER, P_TAIL (planner.h) */
    [P_LABELS]    = {"state_labels", PT_BOOL, 0, 0, 1, NULL,
                     "learned model: count A and B on the true cell of every training step (the paper's reading "
                     "of Algorithm 1, which logs z: privileged information, an ablation) instead of learning "
                     "the states from the observations"},
    [P_CTX_TAIL]  = {"context_tail", PT_CHOICE, CTX_TAIL_BELIEF, 0, 0, ctx_tail_choices,
                     "induction in a world with hidden contexts (docs/contexts.md): belief = the EFE to go over "
                     "the belief about the context (a look at a cue is worth what it tells); state = the tail "
                     "over states, as if the context were known (the ablation: no value in learning it)"},
    [P_CTX_TIE]   = {"context_tie", PT_BOOL, 1, 0, 1, NULL,
                     "learned model in a world with hidden contexts (docs/contexts.md): true = the contexts share "
                     "the transitions, the start and the location part of the likelihood (the context changes "
                     "only the symbols seen and where episodes end); false = each context's model is its own "
                     "(the ablation)"},
    [P_START_KNOWN] = {"start_known", PT_BOOL, 1, 0, 1, NULL,
                       "initial belief: the start (true: the true model's start cell, or the learned start "
                       "distribution) or uniform over the cells (false)"},
};

/* The parameters, decoded once (exact_decode, the only reader of the job's
 * values): validate, size and create all read this.  Adding a parameter: its
 * index, its row in the table, its field here and its line in exact_decode. */
typedef struct {
    int horizon;
    efe_params_t efe;          /* gamma .. selection (efe.h) */
    planner_params_t planner;  /* planner, tail_steps (planner.h) */
    int model, search, start_known, labels, context_tail, context_tie;
    long policy_cap;
    double dirichlet_prior, explore;
} exact_cfg_t;

static exact_cfg_t exact_decode(const double *pv) {
    exact_cfg_t c;
    memset(&c, 0, sizeof c);
    c.horizon = (int)pv[P_HORIZON];
    efe_params_read(pv + P_GAMMA, &c.efe);
    planner_params_read(pv + P_PLANNER, &c.planner);
    c.model = (int)pv[P_MODEL];
    c.search = (int)pv[P_SEARCH];
    c.policy_cap = (long)pv[P_CAP];
    c.dirichlet_prior = pv[P_DIRICHLET];
    c.explore = pv[P_EXPLORE];
    c.start_known = pv[P_START_KNOWN] != 0.0;
    c.labels = pv[P_LABELS] != 0.0;
    c.context_tail = (int)pv[P_CTX_TAIL];
    c.context_tie = pv[P_CTX_TIE] != 0.0;
    return c;
}

typedef struct {
    task_t task;
    int n, no, na, H, max_steps; /* states (cells, or (cell, context)), observations, actions */
    exact_cfg_t c;             /* its parameters */
    efe_params_t ep;           /* gamma, weights, preference, selection (efe.h) */
    int learned, labels, start_known;
    int tail_steps;            /* planner: induction (0: tree alone) */
    genmodel_t gm;             /* the model: the truth, or learned */
    double *lnp;               /* [no] ln p~(o) */
    unsigned char *avoid_loc;  /* [n_cells] a context world's locations to avoid */
    planner_t plan;
    double *q, *q_tmp;         /* [n] belief */
    int prev_action;           /* -1 at the start of an episode */
    /* learned model */
    experience_t xp;
    latent_t lat;
    int ctx_world;             /* hidden contexts (K = 2): the mixture below instead of lat */
    latent_ctx_t latc;
    long refit_at;             /* re-learn once the record holds this many tokens */
    arena_t *arena;            /* every buffer above, and the exact_t itself */
} exact_t;

#define EM_MAX_ITER 100
#define EM_TOL 1e-4            /* nats per token */

/* ---- sizes ---------------------------------------------------------------------- */

static planner_config_t plan_config(const task_t *task, const exact_cfg_t *c) {
    const int induction = c->planner.kind == PLANNER_INDUCTION;
    return (planner_config_t){c->horizon, c->policy_cap, c->search, planner_tail_steps(&c->planner, task->max_steps),
                              /* hidden contexts: decide over the belief about the context */
                              induction && task->n_contexts > 1 && c->context_tail == CTX_TAIL_BELIEF
                                  ? task->n_cells : 0};
}

/* Bytes the agent allocates (validate refuses absurd ones before create). */
static double exact_bytes(const task_t *task, const exact_cfg_t *c) {
    const planner_config_t pc = plan_config(task, c);
    double n = task->n_cells, na = task->n_actions;
    double b = planner_bytes(task->n_cells, task->n_actions, &pc) + 8.0 * n * 6 + 20.0 * n * n + 12.0 * na * n * 5;
    if (c->model == MODEL_LEARNED)
        b += 16.0 * n * n + 24.0 * na * n * LATENT_WIDTH + 8.0 * (task->max_steps + 1.0) * n +
             25.0 * (2.0 * task->train_steps + 2);
    return b;
}

static size_t exact_ckpt_floats(const task_t *task, const double *pv) {
    const exact_cfg_t c = exact_decode(pv);
    if (c.model != MODEL_LEARNED || task->n_contexts > 1) return 0; /* a context world's mixture: none */
    return (size_t)task->n_cells * task->n_cells + (size_t)task->n_actions * task->n_cells * LATENT_WIDTH;
}

static unsigned exact_needs(const double *pv) {
    const exact_cfg_t c = exact_decode(pv);
    unsigned k = 0;
    if (c.model == MODEL_TRUE) k |= TASK_NEEDS_TRUTH;
    else if (c.labels) k |= TASK_NEEDS_LABELS;
    if (c.efe.pref.kind == EFE_PREF_ORACLE) k |= TASK_NEEDS_ORACLE;
    return k;
}

/* What these parameters cannot do in this task (its contexts, max_steps, the
 * policies the search needs, memory): 0, or -1 with a message. */
static int exact_check(const task_t *task, const exact_cfg_t *c, char *err, size_t errlen) {
    const int H = c->horizon, na = task->n_actions, learned = c->model == MODEL_LEARNED;
    const long cap = c->policy_cap;
    if (H > task->max_steps) {
        snprintf(err, errlen, "exact-aif: horizon %d exceeds the world's max_steps %d", H, task->max_steps);
        return -1;
    }
    _Static_assert(LATENT_CTX_MAX >= TASK_MAX_CONTEXTS, "model: learned handles every world's contexts");
    if (task->n_contexts > 1 && learned && c->labels) {
        snprintf(err, errlen, "exact-aif: state_labels: the labels are cells, not (cell, context): not for world "
                 "'%s' with hidden contexts", task->name);
        return -1;
    }
    if (task->n_contexts > 1 && c->planner.kind == PLANNER_INDUCTION && c->context_tail == CTX_TAIL_BELIEF &&
        !efe_ctx_fits(task->n_cells, task->n_contexts)) {
        snprintf(err, errlen, "exact-aif: planner: induction plans over %d cells x %d beliefs about %d hidden "
                 "contexts in world '%s', above the %ld information states it is built for (use context_tail: "
                 "state, planner: tree, or a smaller world; docs/contexts.md)", task->n_cells,
                 efe_ctx_points(task->n_contexts), task->n_contexts, task->name, EFE_CTX_MAX_INFO);
        return -1;
    }
    if (task->n_contexts > 1 && c->efe.pref.kind != EFE_PREF_GOAL) {
        snprintf(err, errlen, "exact-aif: preference: %s needs the goal's cell, which world '%s' with hidden "
                 "contexts does not have (use preference: goal)", efe_pref_names[c->efe.pref.kind], task->name);
        return -1;
    }
    if (cap < (long)na * na) {
        snprintf(err, errlen, "exact-aif: policy_cap %ld is below |A|^2 = %d (%d actions)", cap, na * na, na);
        return -1;
    }
    long all = planner_pow_sat(na, H, MAX_CAP);
    if (c->search == PLAN_SEARCH_EXHAUSTIVE && all > cap) {
        char count[32];
        if (all > MAX_CAP) snprintf(count, sizeof count, "more than %d", MAX_CAP);
        else snprintf(count, sizeof count, "%ld", all);
        snprintf(err, errlen,
                 "exact-aif: search: exhaustive needs |A|^H = %d^%d = %s policies, above policy_cap %ld; "
                 "raise policy_cap, lower horizon, or use search: auto (beam beyond the cap)",
                 na, H, count, cap);
        return -1;
    }
    double gib = exact_bytes(task, c) / (1024.0 * 1024.0 * 1024.0);
    if (gib > 2.0) {
        snprintf(err, errlen, "exact-aif: would need %.1f GiB for world '%s' (limit 2 GiB); "
                 "lower policy_cap or the world size", gib, task->name);
        return -1;
    }
    return 0;
}

static int exact_validate(const task_t *task, const double *pv, char *err, size_t errlen) {
    const exact_cfg_t c = exact_decode(pv);
    return exact_check(task, &c, err, errlen);
}

/* ---- the model ------------------------------------------------------------------------ */

/* The preference and the planner after the model changed. */
static void model_changed(exact_t *x) {
    genmodel_preferences(&x->gm, &x->ep.pref, &x->task, x->avoid_loc, x->lnp);
    planner_set_model(&x->plan, &x->gm.m, x->lnp, &x->ep, NULL);
}

/* The initial belief when the start is not taken as known: uniform over the
 * cells (the true model's floor cells). */
static void uniform_start(exact_t *x) {
    const unsigned char *wall = x->learned ? NULL : x->task.truth->wall;
    int k = 0;
    for (int s = 0; s < x->n; s++) k += !(wall && wall[s]);
    for (int s = 0; s < x->n; s++) x->gm.start[s] = wall && wall[s] ? 0.0 : 1.0 / k;
}

/* Learn the model from the record so far: EM from the current model (or
 * exact counts on the labels), then the genmodel, preference and planner. */
static void relearn(exact_t *x, rng_t *r) {
    if (x->ctx_world) {
        latent_ctx_em(&x->latc, &x->xp, EM_MAX_ITER, EM_TOL, r);
        latent_ctx_to_genmodel(&x->latc, &x->gm);
    } else {
        if (x->labels) latent_count_labels(&x->lat, &x->xp);
        else latent_em(&x->lat, &x->xp, EM_MAX_ITER, EM_TOL);
        latent_to_genmodel(&x->lat, &x->gm);
    }
    if (!x->start_known) uniform_start(x);
    model_changed(x);
    x->refit_at = x->xp.n + x->xp.n / 4 + 1;
}

/* ---- create / destroy ------------------------------------------------------------------ */

static void exact_destroy(void *self) {
    exact_t *x = self;
    if (!x) return;
    genmodel_free(&x->gm);
    planner_free(&x->plan);
    arena_free(x->arena); /* every buffer of the agent's own, and the agent */
}

/* What follows from the task and the parameters. */
static void exact_derive(exact_t *x, const task_t *task) {
    const exact_cfg_t *c = &x->c;
    const int learned = c->model == MODEL_LEARNED;
    x->task = *task;
    x->n = task->n_cells * task->n_contexts; /* a context world's states: (cell, context) */
    x->no = task->n_obs;
    x->na = task->n_actions;
    x->H = c->horizon;
    x->max_steps = task->max_steps;
    x->ep = c->efe;
    x->learned = learned;
    x->labels = learned && c->labels;
    x->start_known = c->start_known;
    x->prev_action = -1;
}

/* Buffers and the model (learned: the priors' model; true: the world's).
 * 0, or -1 (no memory). */
static int exact_init(exact_t *x, const task_t *task) {
    arena_t *ar = x->arena;
    const int n = x->n;
    const planner_config_t pc = plan_config(task, &x->c);
    x->lnp = arena_alloc(ar, (size_t)x->no, sizeof(double));
    x->avoid_loc = arena_alloc(ar, (size_t)task->n_cells, 1);
    x->q = arena_alloc(ar, (size_t)n, sizeof(double));
    x->q_tmp = arena_alloc(ar, (size_t)n, sizeof(double));
    if (!arena_ok(ar) || planner_alloc(&x->plan, ar, n, x->no, x->na, &pc) != 0) return -1;
    if (!x->learned) {
        if (genmodel_alloc_obs(&x->gm, ar, n, x->no, x->na, task->truth->model->b_width,
                               task->truth->model->a_width) != 0 ||
            genmodel_from_truth(&x->gm, task->truth) != 0)
            return -1;
        if (task->n_contexts > 1) x->gm.ctx_cells = task->n_cells;
        if (!x->start_known) uniform_start(x);
        model_changed(x);
        return 0;
    }
    latent_prior_t prior = latent_prior_defaults();
    prior.b_prior = x->c.dirichlet_prior;
    x->ctx_world = task->n_contexts > 1;
    if (x->ctx_world) {
        /* a mixture over the contexts (latent_ctx.h); its sparse rows keep the
         * most probable observations of each state */
        if (genmodel_alloc_obs(&x->gm, ar, n, x->no, x->na, LATENT_WIDTH, LATENT_CTX_AWIDTH) != 0 ||
            xp_alloc(&x->xp, ar, task->train_steps) != 0 ||
            latent_ctx_alloc(&x->latc, ar, &x->task, task->max_steps + 1, x->xp.cap, &prior) != 0)
            return -1;
        x->latc.tie = x->c.context_tie;
        x->gm.ctx_cells = task->n_cells;
        latent_ctx_to_genmodel(&x->latc, &x->gm);
    } else {
        if (genmodel_alloc(&x->gm, ar, n, x->na, LATENT_WIDTH, n) != 0 ||
            xp_alloc(&x->xp, ar, task->train_steps) != 0 ||
            latent_alloc(&x->lat, ar, &x->task, task->max_steps + 1, &prior) != 0)
            return -1;
        latent_to_genmodel(&x->lat, &x->gm);
    }
    if (!x->start_known) uniform_start(x);
    model_changed(x);
    x->refit_at = 64;
    return 0;
}

static void *exact_create(const task_t *task, const double *pv, rng_t *init_rng,
                          char *err, size_t errlen) {
    (void)init_rng;
    const exact_cfg_t c = exact_decode(pv);
    if (exact_check(task, &c, err, errlen)) return NULL;
    const int learned = c.model == MODEL_LEARNED;
    if (!learned && !task->truth) {
        snprintf(err, errlen, "exact-aif: model: true needs the world's true model, which this task does not give");
        return NULL;
    }
    if (c.efe.pref.kind == EFE_PREF_ORACLE && !task->oracle_dist) {
        snprintf(err, errlen, "exact-aif: preference: oracle-distance needs the oracle, which this task does not give");
        return NULL;
    }
    if (learned && c.labels && !task->labels) {
        snprintf(err, errlen, "exact-aif: state_labels: true needs the state labels, which this task does not give");
        return NULL;
    }
    arena_t *ar = arena_create(1u << 20); /* grows for larger worlds */
    exact_t *x = arena_alloc(ar, 1, sizeof *x);
    if (!x) {
        arena_free(ar);
        goto oom;
    }
    x->arena = ar;
    x->c = c;
    exact_derive(x, task);
    if (exact_init(x, task) != 0) {
        exact_destroy(x);
        goto oom;
    }
    return x;
oom:
    snprintf(err, errlen, "exact-aif: out of memory for a %dx%d world (horizon %d, policy_cap %ld)",
             task->rows, task->cols, c.horizon, c.policy_cap);
    return NULL;
}

/* ---- the agent interface ---------------------------------------------------------------- */

static void exact_begin(void *self, int obs0) {
    exact_t *x = self;
    genmodel_belief_begin(&x->gm, obs0, x->q);
    x->prev_action = -1;
}

static int exact_act(void *self, int obs, rng_t *rng, decision_t *d) {
    exact_t *x = self;
    if (x->prev_action >= 0) genmodel_belief_step(&x->gm, x->prev_action, obs, x->q, x->q_tmp);
    int a = planner_decide(&x->plan, x->q, rng, d);
    x->prev_action = a;
    return a;
}

/* The learned model's counts: A's [n][n], then B's [na][n][LATENT_WIDTH]. */
static void exact_checkpoint(const void *self, float *out) {
    const exact_t *x = self;
    if (!x->learned || x->ctx_world) return;
    size_t na = (size_t)x->n * x->n, nb = (size_t)x->na * x->n * LATENT_WIDTH;
    for (size_t i = 0; i < na; i++) out[i] = (float)x->lat.cA[i];
    for (size_t i = 0; i < nb; i++) out[na + i] = (float)x->lat.cB[i];
}

static int exact_check_context(const void *self, check_context_t *ctx) {
    const exact_t *x = self;
    check_context_set(ctx, x->q, x->lnp, x->ep.w.w_risk, x->ep.w.w_ambiguity, x->ep.w.risk == EFE_RISK_COST,
                      x->plan.cfg.tail_steps);
    ctx->n_states = x->n;
    return 0;
}

/* A learned model of a context world is not compared with the world's: which
 * learned context is which true one is not identified (latent_ctx.h). */
static const efe_model_t *exact_model(const void *self) {
    const exact_t *x = self;
    return x->learned && x->ctx_world ? NULL : &x->gm.m;
}

static double exact_model_fit(const void *self) {
    const exact_t *x = self;
    return x->learned && !x->ctx_world ? latent_fit_tv_B(&x->lat, &x->gm.m, 5.0) : NAN;
}

static int label(const exact_t *x, const env_t *env) { return x->labels ? x->task.labels->cell(env) : -1; }

static int exact_train(void *self, env_t *env, rng_t *agent_rng, train_log_t *log, char *err, size_t errlen) {
    exact_t *x = self;
    log->steps_used = 0;
    if (!x->learned) return 0; /* the true model needs no training */
    if (2 * log->budget + 2 > x->xp.cap) {
        snprintf(err, errlen, "exact-aif: internal: a training budget of %ld steps, but the task said %ld",
                 log->budget, x->task.train_steps);
        return -1;
    }
    long t = 0;
    decision_t dec; /* the record of a training decision: written, never read */
    decision_clear(&dec);
    while (t < log->budget && !trainlog_cancelled(log)) {
        int o = env_reset(env);
        xp_begin(&x->xp, o, label(x, env));
        exact_begin(x, o);
        double ret = 0.0;
        int steps = 0, outcome = ENV_RUNNING;
        while (t < log->budget && !trainlog_cancelled(log)) {
            double rwd;
            int a;
            if (x->c.explore > 0.0 && rng_uniform(agent_rng) < x->c.explore) a = (int)rng_below(agent_rng, (uint32_t)x->na);
            else a = exact_act(x, o, agent_rng, &dec);
            x->prev_action = a;
            o = env_step(env, a, &rwd, &outcome);
            xp_step(&x->xp, a, o, label(x, env));
            genmodel_belief_step(&x->gm, a, o, x->q, x->q_tmp);
            x->prev_action = -1; /* the belief is up to date */
            ret += rwd;
            t++;
            steps++;
            /* the model as last learned; the one due at the end of the
             * budget is taken after the last learning, below */
            float *slot = t < log->budget ? trainlog_ckpt_slot(log, t) : NULL;
            if (slot) exact_checkpoint(x, slot);
            if (outcome != ENV_RUNNING || steps >= x->max_steps) {
                trainlog_episode(log, t, steps, outcome == ENV_GOAL, ret);
                break;
            }
        }
        xp_end(&x->xp, outcome == ENV_GOAL ? XP_GOAL : outcome == ENV_FAILED ? XP_FAILED : XP_CUT);
        if (x->c.explore < 1.0 && x->xp.n >= x->refit_at) relearn(x, agent_rng);
    }
    log->steps_used = t;
    relearn(x, agent_rng);
    float *slot;
    while ((slot = trainlog_ckpt_slot(log, log->budget))) exact_checkpoint(x, slot);
    x->prev_action = -1;
    return 0;
}

const agent_class_t agent_exact_aif = {
    .name = "exact-aif",
    .help = "discrete active inference: exact Bayes-filter beliefs and exact risk + ambiguity "
            "with the true A/B or A/B learned from its own observations",
    .params = exact_params,
    .n_params = P_N,
    .needs = exact_needs,
    .ckpt_floats = exact_ckpt_floats,
    .validate = exact_validate,
    .create = exact_create,
    .train = exact_train,
    .begin_episode = exact_begin,
    .act = exact_act,
    .checkpoint = exact_checkpoint,
    .check_context = exact_check_context,
    .model = exact_model,
    .model_fit = exact_model_fit,
    .destroy = exact_destroy,
};
