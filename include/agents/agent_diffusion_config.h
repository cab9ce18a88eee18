/* agent_diffusion_config: diffusion-aif's parameters (issue 23).
 *
 * The agent's table of parameters (the job file's keys under a diffusion-aif
 * entry, params.h), what they decode to (dif_cfg_t: one typed field per
 * parameter, decoded once by dif_decode from the job's values), and what
 * follows from them alone or with the task: the checks (dif_check, the
 * class's validate and create), the network's shape and window, the number of
 * candidate policies, the planner's configuration.  agent_diffusion.c reads
 * its parameters only through dif_cfg_t.
 *
 * Adding a parameter: its index below, its field in dif_cfg_t, its row in the
 * table and its line in dif_decode (agent_diffusion_config.c); then its use. */
#ifndef AIF_AGENT_DIFFUSION_CONFIG_H
#define AIF_AGENT_DIFFUSION_CONFIG_H
#include "nn/diffusion.h"
#include "aif/efe.h"
#include "core/params.h"
#include "aif/planner.h"
#include "nn/scorenet.h"
#include "interface/task.h"

/* The parameters' positions in the table (the job's values arrive in this
 * order; the results file's columns follow it). */
enum {
    P_HORIZON, P_CONTEXT, P_SAMPLES, P_MAX_POL, P_GAMMA, P_W_RISK, P_W_AMB, P_RISK_TERM, P_PREF, P_LAMBDA,
    P_C_GOAL, P_HOLE, P_SELECTION,
    P_SCHEDULE, P_T, P_SAMPLER, P_STEPS, P_ETA, P_JUMP, P_RESAMPLE, P_CLIP,
    P_DMODEL, P_HEADS, P_LAYERS, P_LR, P_BATCH, P_ITERS, P_ROUNDS, P_EXPLORE, P_TRAIN_EPS,
    P_WARM, P_AMB_SAMPLES, P_COND, P_PLANNER, P_TAIL, P_TRANS_SAMPLES, P_NOVELTY, P_EXPLORATION,
    P_RBF, P_RBF_CELLS, P_PREDICT, P_SUPPORT, P_LABELS, P_MODEL, P_INFERENCE, P_EM_ROUNDS,
    P_STOP_TOL, P_STOP_EVERY, P_STOP_PATIENCE, P_STOP_WATCH, P_EXPLORE_EPS, P_CTX_TIE, P_BALANCE, P_N
};

enum { PREDICT_SAMPLES = 0, PREDICT_MODEL = 1 };
enum { SUPPORT_MODEL = 0, SUPPORT_DATA = 1, SUPPORT_MOVES = 2 };
enum { EXPLORATION_RANDOM = 0, EXPLORATION_NOVELTY = 1, EXPLORATION_EFE = 2, EXPLORATION_AUTO = 3 };
enum { MODEL_NETWORK = 0, MODEL_COUNTS = 1 };
enum { INFER_FILTER = 0, INFER_INPAINT = 1 };

/* The parameters, decoded once (dif_decode, the only reader of the job's
 * values): validate, size and create all read this. */
typedef struct {
    int horizon, context, samples, max_policies;
    efe_params_t efe;          /* gamma .. selection (efe.h) */
    planner_params_t planner;  /* planner, tail_steps (planner.h) */
    /* the diffusion model and its sampler */
    int schedule, T, cond;
    sampler_config_t sampler;  /* kind, steps (DDIM only), eta, jump, resample, clip */
    int sample_steps;          /* as given (sampler.steps is 0 for ddpm) */
    int d_model, heads, layers, rbf, rbf_cells;
    /* its fits and read-off */
    double lr;
    int batch, train_iters, amb_samples, trans_samples;
    double train_stop;
    int stop_every, stop_patience, stop_watch, balance;
    /* learning and training */
    int rounds, exploration, ctx_tie, warm_start;
    double explore_frac, explore_eps, train_eps, novelty;
    int predict, support, labels, model, inference, em_rounds;
} dif_cfg_t;

extern const param_spec_t dif_params[P_N];

/* The job's values (in the table's order) decoded. */
dif_cfg_t dif_decode(const double *pv);
/* 0, or -1 with a message: what these parameters cannot do (alone, or in this
 * task: its contexts, max_steps, memory, rows per network call). */
int dif_check(const task_t *task, const dif_cfg_t *c, char *err, size_t errlen);
/* Whether they need the network at all. */
int dif_uses_network(const dif_cfg_t *c);
/* The network's window: past tokens before the present one, future ones after. */
void dif_window(const dif_cfg_t *c, int *context, int *horizon);
/* The network's shape for this task. */
scorenet_config_t dif_net_config(const task_t *task, const dif_cfg_t *c);
/* Candidate policies of the sampled prediction: all n_actions^horizon
 * (*enumerate = 1) if at most max_policies, else max_policies rounded down to
 * a multiple of n_actions (*enumerate = 0). */
int dif_n_policies(const dif_cfg_t *c, int n_actions, int *enumerate);
/* The planner's configuration for this task. */
planner_config_t dif_plan_config(const task_t *task, const dif_cfg_t *c);

#endif
