/* result: the record of one run, as the worker fills it and the store writes it.
 * Fixed-size arrays sized by the sweep's layout, allocated once per worker. */
#ifndef AIF_RESULT_H
#define AIF_RESULT_H
#include <stddef.h>
#include <stdint.h>

#define RESULT_MSG_LEN 256

/* How an evaluation episode ended (/eval/outcome). */
enum { RESULT_GOAL = 0, RESULT_HOLE = 1, RESULT_TIMEOUT = 2 };

/* Run states in /runs/status. */
enum { RUN_PENDING = 0, RUN_DONE = 1, RUN_FAILED = 2, RUN_STARTED = 3 };

typedef struct {
    long n_runs, n_conditions;
    int eval_episodes;   /* E */
    int log_episodes;    /* K: evaluation episodes with a trajectory log */
    int max_steps;       /* T: largest max_steps over the worlds */
    int n_actions;       /* NA: GW_MAX_ACTIONS, so every agent's record has one shape */
    int curve_points;    /* C */
    int n_ckpt;          /* checkpoints per run */
    int n_check;         /* D: decisions per run with the exact-EFE diagnostic */
    int n_contexts;      /* the most hidden contexts of a world of the job (KC: result_ctx_slots) */
} layout_dims_t;

#define RESULT_CHECK_POLICIES 64   /* KP: policies compared per checked decision */
#define RESULT_CONTEXTS 4          /* KC at least: hidden contexts a logged belief has room for */
/* KC: RESULT_CONTEXTS, or the job's most contexts above that (agents.h's
 * DECISION_MAX_CONTEXTS at most), so a job of worlds with up to four keeps
 * the shape it always had. */
static inline int result_ctx_slots(const layout_dims_t *d) {
    return d->n_contexts > RESULT_CONTEXTS ? d->n_contexts : RESULT_CONTEXTS;
}

typedef struct {
    long run_id;
    int status;                  /* RUN_DONE or RUN_FAILED; RUN_PENDING if interrupted */
    char message[RESULT_MSG_LEN];
    int rank;
    double t_start, t_end;       /* unix seconds */
    double train_seconds, eval_seconds;
    int64_t train_steps, train_episodes;
    int64_t fit_steps;           /* gradient steps of the agent's network fits (0: none) */
    double fit_seconds, readoff_seconds; /* their wall time, and reading the model off (0: none) */
    int32_t *eval_steps;         /* [E] */
    uint8_t *eval_success;       /* [E] */
    float   *eval_return;        /* [E] */
    int8_t  *eval_outcome;       /* [E] RESULT_GOAL / RESULT_HOLE / RESULT_TIMEOUT */
    int8_t  *eval_context;       /* [E] the episode's hidden context (0 in a world without contexts) */
    float   *curve_steps;        /* [C] mean steps of training episodes ending in the bin (NaN: none) */
    float   *curve_success;      /* [C] success rate in the bin (NaN: none) */
    float   *curve_return;       /* [C] mean return in the bin (NaN: none) */
    int32_t *curve_episodes;     /* [C] episodes ending in the bin */
    int32_t *traj_len;           /* [K] steps of each logged episode */
    int32_t *traj_pos;           /* [K][T+1] true cell at t = 0..len (-1 after) */
    int32_t *traj_obs;           /* [K][T+1] observed cell */
    int8_t  *traj_action;        /* [K][T] action taken at t (-1 after) */
    float   *traj_G, *traj_risk, *traj_ambiguity, *traj_p_action; /* [K][T][NA] */
    float   *traj_p_context;                                     /* [K][T][KC] */
    int32_t *check_n;            /* [D] policies compared at each checked decision (0: none) */
    float   *check_est, *check_exact; /* [D][KP] the agent's G and the exact G of those policies */
    float   *check_rho;          /* [D] Spearman rank correlation of the two (NaN: undefined) */
    float    check_rho_median;   /* median over the checked decisions (NaN: none) */
    float    model_tv_A, model_tv_B; /* the agent's model against the world's, over the cells it visited (NaN: none) */
    float    model_fit_tv_B;     /* its transitions against the counts of its own moves (NaN: none) */
    size_t   ckpt_floats;        /* floats per checkpoint of this run (0: none) */
    size_t   ckpt_cap;           /* capacity of ckpt per checkpoint */
    float   *ckpt;               /* [n_ckpt][ckpt_floats] */
    int64_t *ckpt_step;          /* [n_ckpt] training step of each checkpoint */
} run_result_t;

int  result_alloc(run_result_t *r, const layout_dims_t *d, size_t ckpt_cap);
/* Back to "nothing recorded": NaN / -1 everywhere, so unused slots are well defined. */
void result_reset(run_result_t *r, const layout_dims_t *d, long run_id);
void result_free(run_result_t *r);

#endif
