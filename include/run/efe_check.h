/* efe_check: the EFE error diagnostic of one run.  At its first n_check
 * evaluation decisions an active-inference agent exposes (agents.h, the
 * optional hook `check_context` and decision_t's check_* fields) its first
 * candidate policies, their estimated G, its belief and its preference; this
 * module scores the same policies from the same belief with the world's true
 * A and B (and, with the induction planner, the same tail solved on the true
 * model; in a world with hidden contexts, the belief recursion of
 * efe_ctx.h), and records both with Spearman's rank correlation per decision
 * and its median per run (result.h's check_* fields; docs/diffusion-aif.md,
 * "The EFE error diagnostic").  An agent without the hook gets no check.
 * run.c drives it; it is the only place that knows the diagnostic. */
#ifndef AIF_EFE_CHECK_H
#define AIF_EFE_CHECK_H
#include "interface/agents.h"
#include "aif/efe_ctx.h"
#include "aif/efe_tail.h"
#include "world/gridworld.h"
#include "run/result.h"

/* The exact side, per run: the true model's tail under the agent's
 * preference and weights, solved at the first check that needs one
 * (evaluation does not change the preference); in a world with K hidden
 * contexts the belief recursion, each check's belief, and the agent's beliefs
 * at the ends of the evaluation episodes.  A learner's naming of its contexts
 * is its own: of the K! namings, the one those beliefs agree with best is
 * kept (as analysis figctx does), and the checks are scored under it. */
typedef struct {
    const efe_model_t *tm;  /* the world's true model */
    efe_tail_t tail;
    int tail_alloc, solved;
    double *work;           /* 2 n_states + n_obs doubles */
    efe_ctx_t ctx;
    int ctx_alloc, ctx_solved, ctx_checks;
    int K;                  /* contexts (0: none) */
    double *check_q;        /* [n_check][n_states] each check's belief, as the agent gave it */
    double *lnp;            /* [n_obs] the preference of the first check */
    efe_weights_t w;        /* and its weights */
    float *ep_p;            /* [n_ep][K] the belief in each context (the agent's names) at an episode's end */
    int *ep_ctx;            /* [n_ep] the context the episode was in */
    int n_ep, ep_cap;
} efe_check_t;

/* For world g with true model tm (world_knowledge_t.model), n_check checks
 * and n_episodes evaluation episodes.  0, or -1 (no memory; efe_check_free is
 * still safe). */
int  efe_check_init(efe_check_t *xc, const gridworld_t *g, const efe_model_t *tm, int n_check, int n_episodes);
void efe_check_free(efe_check_t *xc);
/* Score the candidates of decision dec (made with dec->want_check) into check
 * slot i of res: res->check_n[i] > 0 if it was scored (an agent without the
 * hook, or whose belief is not over the true model's states, gives none). */
void efe_check_score(efe_check_t *xc, const agent_class_t *c, const void *agent, int n_cells, const decision_t *dec,
                     run_result_t *res, int i);
/* An evaluation episode ended in context `context` with the agent's belief
 * p_context in each context as it names them (decision_t's; NaN: it has none). */
void efe_check_episode_end(efe_check_t *xc, const float *p_context, int context);
/* The naming the episodes' beliefs agree with best: name[j] the agent's name
 * of the world's context j, the permutation with the largest sum, over the
 * episodes in order, of the belief in the episode's context; the first in
 * lexicographic order (the identity first) on a tie. */
void efe_check_naming(const efe_check_t *xc, int *name);
/* After the evaluation, with n_checked checks made: the naming of the
 * contexts settled (the checks' exact values and correlations under it) and
 * res->check_rho_median (NaN if no check has a defined correlation). */
void efe_check_finish(efe_check_t *xc, run_result_t *res, int n_checked);
/* Spearman's rank correlation with average ranks for ties; NaN when either
 * side is constant, n < 2 or n > RESULT_CHECK_POLICIES. */
float efe_check_spearman(const float *x, const float *y, int n);

#endif
