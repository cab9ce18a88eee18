/* q-learning: tabular Q over observations (Watkins & Dayan 1992), epsilon-greedy
 * with epsilon decaying linearly from epsilon_start to epsilon_end over the first
 * epsilon_decay_frac of the step budget.  Greedy ties are broken at random so an
 * untrained table does not walk into a wall forever. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agents.h"

enum { P_ALPHA, P_DISCOUNT, P_EPS_START, P_EPS_END, P_EPS_FRAC, P_EVAL_EPS, P_QINIT, P_N };

static const param_spec_t ql_params[P_N] = {
    [P_ALPHA]     = {"alpha", PT_REAL, 0.2, 1e-6, 1.0, NULL, "learning rate"},
    [P_DISCOUNT]  = {"discount", PT_REAL, 0.95, 0.0, 0.999999, NULL, "discount factor of future reward"},
    [P_EPS_START] = {"epsilon_start", PT_REAL, 1.0, 0.0, 1.0, NULL, "exploration rate at the start of training"},
    [P_EPS_END]   = {"epsilon_end", PT_REAL, 0.05, 0.0, 1.0, NULL, "exploration rate after the decay"},
    [P_EPS_FRAC]  = {"epsilon_decay_frac", PT_REAL, 0.5, 1e-6, 1.0, NULL,
                     "fraction of the training budget over which epsilon decays linearly"},
    [P_EVAL_EPS]  = {"eval_epsilon", PT_REAL, 0.0, 0.0, 1.0, NULL, "exploration rate during evaluation"},
    [P_QINIT]     = {"q_init", PT_REAL, 0.0, -100.0, 100.0, NULL, "initial value of every Q entry"},
};

typedef struct {
    int n_obs, n_actions;
    double alpha, discount, eps0, eps1, eps_frac, eval_eps;
    double *Q; /* [n_obs][n_actions] */
} ql_t;

static size_t ql_ckpt_floats(const gridworld_t *env, const double *pv) {
    return (size_t)env->n_obs * (size_t)env->n_actions;
}

static void *ql_create(const gridworld_t *env, const double *pv, rng_t *init_rng, char *err, size_t n) {
    ql_t *q = calloc(1, sizeof *q);
    if (!q) return NULL;
    q->n_obs = env->n_obs;
    q->n_actions = env->n_actions;
    q->alpha = pv[P_ALPHA];
    q->discount = pv[P_DISCOUNT];
    q->eps0 = pv[P_EPS_START];
    q->eps1 = pv[P_EPS_END];
    q->eps_frac = pv[P_EPS_FRAC];
    q->eval_eps = pv[P_EVAL_EPS];
    q->Q = malloc(sizeof(double) * (size_t)q->n_obs * (size_t)q->n_actions);
    if (!q->Q) { free(q); return NULL; }
    for (int i = 0; i < q->n_obs * q->n_actions; i++) q->Q[i] = pv[P_QINIT];
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

static int ql_train(void *self, const gridworld_t *env, rng_t *env_rng, rng_t *agent_rng,
                    train_log_t *log, char *err, size_t n) {
    ql_t *q = self;
    long t = 0;
    const double decay_steps = q->eps_frac * (double)log->budget;
    while (t < log->budget && !trainlog_cancelled(log)) {
        int s = env->start, o = gw_observe(env, s, env_rng);
        double ret = 0;
        int steps = 0, success = 0, ended = 0;
        while (t < log->budget) {
            double frac = decay_steps > 0 ? (double)t / decay_steps : 1.0;
            double eps = frac >= 1.0 ? q->eps1 : q->eps0 + (q->eps1 - q->eps0) * frac;
            int a = eps_greedy(q, o, eps, agent_rng);
            int s2 = gw_step(env, s, a, env_rng);
            int o2 = gw_observe(env, s2, env_rng);
            double rwd = gw_reward(env, s2);
            int term = gw_terminal(env, s2);
            double *qa = q->Q + (size_t)o * q->n_actions + a;
            double target = rwd;
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
            s = s2;
            o = o2;
            if (term || steps >= env->max_steps) {
                success = s2 == env->goal;
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
    free(q->Q);
    free(q);
}

const agent_class_t agent_qlearning = {
    .name = "q-learning",
    .help = "tabular Q-learning over observations, epsilon-greedy with linear decay",
    .params = ql_params,
    .n_params = P_N,
    .ckpt_floats = ql_ckpt_floats,
    .create = ql_create,
    .train = ql_train,
    .begin_episode = ql_begin,
    .act = ql_act,
    .checkpoint = ql_checkpoint,
    .destroy = ql_destroy,
};
