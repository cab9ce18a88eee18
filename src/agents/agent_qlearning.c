/* q-learning: tabular Q over observations (Watkins & Dayan 1992), epsilon-greedy
 * with epsilon decaying linearly from epsilon_start to epsilon_end over the first
 * epsilon_decay_frac of the step budget.  Greedy ties are broken at random so an
 * untrained table does not walk into a wall forever.
 *
 * Shaping.  To get the same information as an active-inference agent with a
 * shaped preference, the reward can be shaped by a potential (Ng, Harada &
 * Russell 1999): r + discount * Phi(o') - Phi(o), with Phi(o) = -shaping_lambda
 * * d(o), d the Manhattan distance to the goal (`manhattan`, which knows where
 * the goal is, not the map) or the true map's shortest-path distance
 * (`oracle-distance`, an ablation).  Phi is 0 on arriving in a terminal cell,
 * which keeps the optimal policy of the episodic task unchanged. */
/* An agent sees only its view of the task: gridworld.h and env.h refuse to
 * compile here (task.h). */
#define AIF_AGENT_VIEW_ONLY
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "interface/agents.h"
#include "core/arena.h"

enum { P_ALPHA, P_DISCOUNT, P_EPS_START, P_EPS_END, P_EPS_FRAC, P_EVAL_EPS, P_QINIT, P_SHAPING,
       P_SHAPING_LAMBDA, P_N };

enum { SHAPE_NONE = 0, SHAPE_MANHATTAN = 1, SHAPE_ORACLE = 2 };
static const char *const shaping_choices[] = {"none", "manhattan", "oracle-distance", NULL};

static const param_spec_t ql_params[P_N] = {
    [P_ALPHA]     = {"alpha", PT_REAL, 0.2, 1e-6, 1.0, NULL, "learning rate"},
    [P_DISCOUNT]  = {"discount", PT_REAL, 0.95, 0.0, 0.999999, NULL, "discount factor of future reward"},
    [P_EPS_START] = {"epsilon_start", PT_REAL, 1.0, 0.0, 1.0, NULL, "exploration rate at the start of training"},
    [P_EPS_END]   = {"epsilon_end", PT_REAL, 0.05, 0.0, 1.0, NULL, "exploration rate after the decay"},
    [P_EPS_FRAC]  = {"epsilon_decay_frac", PT_REAL, 0.5, 1e-6, 1.0, NULL,
                     "fraction of the training budget over which epsilon decays linearly"},
    [P_EVAL_EPS]  = {"eval_epsilon", PT_REAL, 0.0, 0.0, 1.0, NULL, "exploration rate during evaluation"},
    [P_QINIT]     = {"q_init", PT_REAL, 0.0, -100.0, 100.0, NULL, "initial value of every Q entry"},
    [P_SHAPING]   = {"shaping", PT_CHOICE, SHAPE_NONE, 0, 0, shaping_choices,
                     "potential-based reward shaping: none (sparse reward), manhattan (Phi = -lambda * "
                     "Manhattan distance to the goal), oracle-distance (Phi = -lambda * true shortest-path "
                     "distance: map-aware, for ablations)"},
    [P_SHAPING_LAMBDA] = {"shaping_lambda", PT_REAL, 1.0, 0.0, 100.0, NULL,
                          "shaping: Phi(o) = -shaping_lambda * distance(o)"},
};

/* The parameters, decoded once (ql_decode, the only reader of the job's
 * values).  Adding a parameter: its index, its row, its field, its line. */
typedef struct {
    double alpha, discount, eps0, eps1, eps_frac, eval_eps, q_init, shaping_lambda;
    int shaping;
} ql_cfg_t;

static ql_cfg_t ql_decode(const double *pv) {
    return (ql_cfg_t){.alpha = pv[P_ALPHA], .discount = pv[P_DISCOUNT], .eps0 = pv[P_EPS_START],
                      .eps1 = pv[P_EPS_END], .eps_frac = pv[P_EPS_FRAC], .eval_eps = pv[P_EVAL_EPS],
                      .q_init = pv[P_QINIT], .shaping_lambda = pv[P_SHAPING_LAMBDA], .shaping = (int)pv[P_SHAPING]};
}

typedef struct {
    int n_obs, n_actions, max_steps;
    double alpha, discount, eps0, eps1, eps_frac, eval_eps;
    double *Q;   /* [n_obs][n_actions] */
    double *phi; /* [n_obs] shaping potential, or NULL */
    arena_t *arena;      /* Q, phi and the ql_t itself */
} ql_t;

static size_t ql_ckpt_floats(const task_t *task, const double *pv) {
    return (size_t)task->n_obs * (size_t)task->n_actions;
}

static unsigned ql_needs(const double *pv) {
    return ql_decode(pv).shaping == SHAPE_ORACLE ? TASK_NEEDS_ORACLE : 0u;
}

/* Phi(o) = -lambda * d(o); cells the oracle says cannot reach the goal get the
 * largest distance + 1. */
static int ql_potential(ql_t *q, const task_t *task, int kind, double lambda) {
    if (kind == SHAPE_NONE) return 0;
    if (kind == SHAPE_ORACLE && !task->oracle_dist) return -1;
    q->phi = arena_alloc(q->arena, (size_t)q->n_obs, sizeof(double));
    if (!q->phi) return -1;
    int dmax = 0;
    for (int o = 0; o < q->n_obs; o++) {
        int d = kind == SHAPE_ORACLE ? task->oracle_dist[o] : task_manhattan(task, o, task->goal);
        if (d > dmax) dmax = d;
    }
    for (int o = 0; o < q->n_obs; o++) {
        int d = kind == SHAPE_ORACLE ? task->oracle_dist[o] : task_manhattan(task, o, task->goal);
        q->phi[o] = -lambda * (d >= 0 ? d : dmax + 1);
    }
    return 0;
}

static void ql_destroy(void *self);

static int ql_check(const task_t *task, const ql_cfg_t *c, char *err, size_t n) {
    if (task->n_contexts > 1 && c->shaping != SHAPE_NONE) {
        snprintf(err, n, "q-learning: shaping needs the goal's cell, which world '%s' with hidden contexts does "
                 "not have (use shaping: none)", task->name);
        return -1;
    }
    return 0;
}

static int ql_validate(const task_t *task, const double *pv, char *err, size_t n) {
    const ql_cfg_t c = ql_decode(pv);
    return ql_check(task, &c, err, n);
}

static void *ql_create(const task_t *task, const double *pv, rng_t *init_rng, char *err, size_t n) {
    const ql_cfg_t c = ql_decode(pv);
    if (ql_check(task, &c, err, n)) return NULL;
    arena_t *ar = arena_create(0);
    ql_t *q = arena_alloc(ar, 1, sizeof *q);
    if (!q) {
        arena_free(ar);
        snprintf(err, n, "q-learning: out of memory");
        return NULL;
    }
    q->arena = ar;
    q->n_obs = task->n_obs; /* a context world's observations: location and symbol (task.h) */
    q->n_actions = task->n_actions;
    q->max_steps = task->max_steps;
    q->alpha = c.alpha;
    q->discount = c.discount;
    q->eps0 = c.eps0;
    q->eps1 = c.eps1;
    q->eps_frac = c.eps_frac;
    q->eval_eps = c.eval_eps;
    q->Q = arena_alloc(ar, (size_t)q->n_obs * (size_t)q->n_actions, sizeof(double));
    if (!q->Q || ql_potential(q, task, c.shaping, c.shaping_lambda) != 0) {
        snprintf(err, n, "q-learning: out of memory (or shaping: oracle-distance without the oracle)");
        ql_destroy(q);
        return NULL;
    }
    for (int i = 0; i < q->n_obs * q->n_actions; i++) q->Q[i] = c.q_init;
    return q;
}

static int greedy(const ql_t *q, int o, rng_t *r) {
    const double *row = q->Q + (size_t)o * q->n_actions;
    double best = row[0];
    int nbest = 1, pick = 0;
    for (int a = 1; a < q->n_actions; a++) {
        if (row[a] > best) { best = row[a]; nbest = 1; pick = a; }
        else if (row[a] == best && rng_below(r, (uint32_t)++nbest) == 0) pick = a; /* reservoir */
    }
    return pick;
}

static int eps_greedy(const ql_t *q, int o, double eps, rng_t *r) {
    if (eps > 0 && rng_uniform(r) < eps) return (int)rng_below(r, (uint32_t)q->n_actions);
    return greedy(q, o, r);
}

static void ql_checkpoint(const void *self, float *out) {
    const ql_t *q = self;
    for (int i = 0; i < q->n_obs * q->n_actions; i++) out[i] = (float)q->Q[i];
}

static int ql_train(void *self, env_t *env, rng_t *agent_rng, train_log_t *log, char *err, size_t n) {
    ql_t *q = self;
    long t = 0;
    const double decay_steps = q->eps_frac * (double)log->budget;
    while (t < log->budget && !trainlog_cancelled(log)) {
        int o = env_reset(env);
        double ret = 0;
        int steps = 0, success = 0, ended = 0;
        while (t < log->budget) {
            double frac = decay_steps > 0 ? (double)t / decay_steps : 1.0;
            double eps = frac >= 1.0 ? q->eps1 : q->eps0 + (q->eps1 - q->eps0) * frac;
            int a = eps_greedy(q, o, eps, agent_rng), outcome;
            double rwd;
            int o2 = env_step(env, a, &rwd, &outcome);
            int term = outcome != ENV_RUNNING;
            double *qa = q->Q + (size_t)o * q->n_actions + a;
            double target = rwd;
            if (q->phi) target += (term ? 0.0 : q->discount * q->phi[o2]) - q->phi[o];
            if (!term) {
                const double *row = q->Q + (size_t)o2 * q->n_actions;
                double m = row[0];
                for (int b = 1; b < q->n_actions; b++) m = row[b] > m ? row[b] : m;
                target += q->discount * m;
            }
            *qa += q->alpha * (target - *qa);
            if (!isfinite(*qa)) {
                snprintf(err, n, "q-learning: Q value diverged at training step %ld", t);
                return -1;
            }
            t++;
            steps++;
            ret += rwd;
            float *slot = trainlog_ckpt_slot(log, t);
            if (slot) ql_checkpoint(q, slot);
            o = o2;
            if (term || steps >= q->max_steps) {
                success = outcome == ENV_GOAL;
                ended = 1;
                break;
            }
        }
        if (ended) trainlog_episode(log, t, steps, success, ret);
    }
    log->steps_used = t;
    float *slot;
    while ((slot = trainlog_ckpt_slot(log, log->budget))) ql_checkpoint(q, slot);
    return 0;
}

static void ql_begin(void *self, int obs0) {}

static int ql_act(void *self, int obs, rng_t *rng, decision_t *d) {
    ql_t *q = self;
    int a = eps_greedy(q, obs, q->eval_eps, rng);
    d->action = a;
    return a;
}

static void ql_destroy(void *self) {
    ql_t *q = self;
    if (!q) return;
    arena_free(q->arena); /* Q, phi and the agent */
}

const agent_class_t agent_qlearning = {
    .name = "q-learning",
    .help = "tabular Q-learning over observations, epsilon-greedy with linear decay",
    .params = ql_params,
    .n_params = P_N,
    .needs = ql_needs,
    .ckpt_floats = ql_ckpt_floats,
    .validate = ql_validate,
    .create = ql_create,
    .train = ql_train,
    .begin_episode = ql_begin,
    .act = ql_act,
    .checkpoint = ql_checkpoint,
    .destroy = ql_destroy,
};
