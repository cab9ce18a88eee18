/* agents: every agent behind one interface.
 *
 * A run is train-then-evaluate.  `train` spends at most the run's budget of
 * environment steps however the agent likes (episodes it runs itself with
 * gw_step / gw_observe), reporting finished training episodes and checkpoints
 * through the train_log_t.  Evaluation is driven from outside (run.c): per
 * episode `begin_episode` with the first observation, then `act` once per step
 * with the newest observation (the agent remembers its previous action, so
 * belief filtering needs nothing more).
 *
 * The agent knows nothing of MPI or HDF5.  All its memory is allocated in
 * `create`; `train` and `act` do not allocate. */
#ifndef AIF_AGENTS_H
#define AIF_AGENTS_H
#include <signal.h>
#include <stddef.h>
#include "gridworld.h"
#include "params.h"
#include "rng.h"

#define DECISION_MAX_CHECK 64

/* What an agent reports about one decision.  Fields it has no notion of are NaN
 * (q-learning and random fill only `action`). */
typedef struct {
    int action;
    float G[GW_MAX_ACTIONS];          /* expected free energy per first action */
    float risk[GW_MAX_ACTIONS];       /* its risk part */
    float ambiguity[GW_MAX_ACTIONS];  /* its ambiguity part */
    float p_action[GW_MAX_ACTIONS];   /* probability of choosing each action */
    /* The efe_error diagnostic.  The caller sets want_check (after
     * decision_clear); an agent that estimates EFE then also computes, from the
     * world's true model and given its own inferred belief, the exact G of the
     * same candidate policies (the first n_check of them). */
    int want_check;
    int n_check;                      /* 0: not done */
    float check_est[DECISION_MAX_CHECK];
    float check_exact[DECISION_MAX_CHECK];
} decision_t;

void decision_clear(decision_t *d); /* all floats NaN, action -1, no check */

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
    /* Floats in one checkpoint for this world and these parameters; 0 = none. */
    size_t (*ckpt_floats)(const gridworld_t *env, const double *pv);
    /* Checks that depend on the world (e.g. horizon vs max_steps); may be NULL. */
    int   (*validate)(const gridworld_t *env, const double *pv, char *err, size_t errlen);
    /* init_rng: the run's stream for initial weights (unused by table agents). */
    void *(*create)(const gridworld_t *env, const double *pv, rng_t *init_rng,
                    char *err, size_t errlen);
    /* Returns 0, or -1 with a message (the run is recorded as failed). */
    int   (*train)(void *self, const gridworld_t *env, rng_t *env_rng, rng_t *agent_rng,
                   train_log_t *log, char *err, size_t errlen);
    void  (*begin_episode)(void *self, int obs0);
    int   (*act)(void *self, int obs, rng_t *rng, decision_t *d);
    void  (*checkpoint)(const void *self, float *out);
    /* Optional (may be NULL): the agent's belief q(s_t) over cells about the
     * present state at its last decision (n_states doubles). */
    void  (*belief)(const void *self, double *q_state);
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
