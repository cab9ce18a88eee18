/* agents: every agent behind one interface.
 *
 * An agent is created from the agent's view of its task (task.h): the grid's
 * shape, the actions, the goal's observation and max_steps, plus the oracle
 * distances or the true model only if its parameters ask for them (`needs`).
 * A run is train-then-evaluate.  `train` spends at most the run's budget of
 * environment steps however the agent likes, in episodes it runs itself
 * through env_reset / env_step, reporting finished training episodes and
 * checkpoints through the train_log_t.  Evaluation is driven from outside
 * (run.c): per episode `begin_episode` with the first observation, then `act`
 * once per step with the newest observation (the agent remembers its previous
 * action, so belief filtering needs nothing more).
 *
 * The agent knows nothing of MPI or HDF5, nor of the world's definition.  All
 * its memory is allocated in `create`, its own buffers from one arena
 * (arena.h) that `destroy` frees with one call; `train` and `act` do not
 * allocate.  What is sized by the training budget is sized by
 * task_t.train_steps, which the budget `train` is given never exceeds. */
#ifndef AIF_AGENTS_H
#define AIF_AGENTS_H
#include <signal.h>
#include <stddef.h>
#include "core/params.h"
#include "core/rng.h"
#include "interface/task.h"

#define DECISION_MAX_CHECK 64
#define DECISION_MAX_H 16
#define DECISION_MAX_CONTEXTS TASK_MAX_CONTEXTS /* the most hidden contexts a decision reports a belief about */

/* The cost of an agent's network in one run (agent_class_t.fit_stats). */
typedef struct {
    long fit_steps;            /* gradient steps of its fits */
    double fit_seconds;        /* wall time of its fits */
    double readoff_seconds;    /* wall time reading its model off the network */
} fit_stats_t;

/* What an agent reports about one decision.  Fields it has no notion of are NaN
 * (q-learning and random fill only `action`). */
typedef struct {
    int action;
    float G[TASK_MAX_ACTIONS];          /* expected free energy per first action */
    float risk[TASK_MAX_ACTIONS];       /* its risk part */
    float ambiguity[TASK_MAX_ACTIONS];  /* its ambiguity part */
    float p_action[TASK_MAX_ACTIONS];   /* probability of choosing each action */
    float p_context[DECISION_MAX_CONTEXTS]; /* a world with K hidden contexts: the belief, at this
                                           decision, in each context as the agent names them (the
                                           first K entries, summing to 1); NaN otherwise */
    /* The EFE diagnostic.  The caller sets want_check (after decision_clear);
     * an agent that estimates EFE then exposes its first n_check candidate
     * policies (check_H actions each) with its estimates of their G, and run.c,
     * which has the world, scores the same policies exactly from the true
     * model, given the agent's belief and preference (check_context below). */
    int want_check;
    int n_check;                      /* 0: not done */
    int check_H;
    int check_ctx;                    /* 1: the candidates are the first actions of the belief planner
                                         of a context world (check_H 1), each G the EFE to go over
                                         the belief about the context (efe_ctx.h): scored exactly by
                                         the same recursion on the true model */
    signed char check_policy[DECISION_MAX_CHECK][DECISION_MAX_H];
    float check_est[DECISION_MAX_CHECK];
} decision_t;

void decision_clear(decision_t *d); /* all floats NaN, action -1, no check */

/* What run.c needs, besides the policies, to score an agent's candidates
 * exactly: what the agent believed and preferred at its last decision. */
typedef struct {
    const double *belief;      /* q(s) about the present state [n_states] */
    const double *lnp;         /* ln p~(o) it planned with [its observations] */
    int n_states;              /* states of belief: 0 = the cells; a context world's (cell, context) */
    double w_risk, w_ambiguity;
    int risk_cost;             /* risk_term: 0 = KL, 1 = expected cost (aif/efe.h) */
    int tail_steps;            /* 0: G is the tree's alone; else it adds the tail of
                                  that many backward steps (efe_tail.h) on the agent's model */
} check_context_t;

/* Fill ctx for an agent's check_context; returns 0 (check_context's "has one"). */
int check_context_set(check_context_t *ctx, const double *belief, const double *lnp, double w_risk,
                      double w_ambiguity, int risk_cost, int tail_steps);

/* Training record: a learning curve binned over the step budget, and checkpoints
 * at evenly spaced steps (k * budget / n_ckpt, k = 1..n_ckpt). */
typedef struct {
    long budget;                 /* environment steps allowed */
    long steps_used;             /* set by the agent when train returns */
    long episodes;               /* training episodes finished */
    int curve_points;
    double *bin_steps, *bin_success, *bin_return; /* sums per bin */
    int *bin_count;
    int n_ckpt;
    size_t ckpt_floats;
    float *ckpt_data;            /* [n_ckpt][ckpt_floats] */
    long *ckpt_step;             /* [n_ckpt] */
    int ckpt_done;
    volatile sig_atomic_t *cancel; /* non-zero: stop as soon as possible (may be NULL) */
} train_log_t;

/* Record a finished training episode that ended at cumulative step `step_end`. */
void   trainlog_episode(train_log_t *log, long step_end, int steps, int success, double ret);
/* If a checkpoint is due at cumulative step `steps_done`, the buffer to fill
 * (ckpt_floats floats) and its step is recorded; otherwise NULL.  Call it after
 * every step (cheap) and once more at the end of training. */
float *trainlog_ckpt_slot(train_log_t *log, long steps_done);
int    trainlog_cancelled(const train_log_t *log);

typedef struct agent_class {
    const char *name;
    const char *help;
    const param_spec_t *params;
    int n_params;
    /* TASK_NEEDS_* flags: the knowledge beyond the agent's view that these
     * parameters ask for (may be NULL: none). */
    unsigned (*needs)(const double *pv);
    /* Floats in one checkpoint for this task and these parameters; 0 = none. */
    size_t (*ckpt_floats)(const task_t *task, const double *pv);
    /* Checks that depend on the task (e.g. horizon vs max_steps); may be NULL.
     * The task given here has neither oracle nor truth. */
    int   (*validate)(const task_t *task, const double *pv, char *err, size_t errlen);
    /* init_rng: the run's stream for initial weights (unused by table agents).
     * The task (and what it points to) outlives the agent. */
    void *(*create)(const task_t *task, const double *pv, rng_t *init_rng,
                    char *err, size_t errlen);
    /* Returns 0, or -1 with a message (the run is recorded as failed). */
    int   (*train)(void *self, env_t *env, rng_t *agent_rng, train_log_t *log, char *err, size_t errlen);
    void  (*begin_episode)(void *self, int obs0);
    int   (*act)(void *self, int obs, rng_t *rng, decision_t *d);
    void  (*checkpoint)(const void *self, float *out);
    /* Optional (may be NULL): belief, preference and weights of the last
     * decision, for the EFE diagnostic.  0, or -1 if it has none. */
    int   (*check_context)(const void *self, check_context_t *ctx);
    /* Optional (may be NULL): the agent's generative model as a discrete
     * model over cells (efe.h), for diagnostics: exact-aif's A and B, or what
     * diffusion-aif read off its network.  NULL if it has none (yet). */
    const struct efe_model *(*model)(const void *self);
    /* Optional (may be NULL): how well the model it plans with fits its own
     * data: the mean total variation between its transitions and the
     * normalised counts of its moves under the states it inferred (or was
     * given), over the (state, action) it made at least 5 times; NaN if it
     * learned none. */
    double (*model_fit)(const void *self);
    /* Optional (may be NULL): what its network cost in this run, summed over
     * its fits and read-offs (zeros if it trains no network). */
    void  (*fit_stats)(const void *self, fit_stats_t *out);
    void  (*destroy)(void *self);
} agent_class_t;

extern const agent_class_t *const agent_classes[]; /* NULL-terminated registry */
const agent_class_t *agent_class_find(const char *name);
/* Index of a parameter in a class's table, or -1. */
int agent_param_index(const agent_class_t *c, const char *name);

/* The classes. */
extern const agent_class_t agent_random;
extern const agent_class_t agent_qlearning;
extern const agent_class_t agent_exact_aif;
extern const agent_class_t agent_diffusion_aif;
extern const agent_class_t agent_null;   /* "null-work": benchmarks and fault tests */

#endif
