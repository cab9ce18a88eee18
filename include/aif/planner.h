/* planner: one decision of an active-inference agent on a discrete model,
 * whatever the model's source (genmodel.h): exact-aif and diffusion-aif both
 * decide through it, so two agents that differ in their model's source alone
 * decide alike on the same model.
 *
 * Every policy (action sequence) of length H from the agent's belief q(s) is
 * scored by G(pi) = sum_t w_risk KL[q(o_t|pi) || p~] + w_ambiguity
 * E_q(s_t|pi) H[p(o|s_t)] (efe.h), plus, with the induction tail, the EFE of
 * the rest of the episode at the leaves (efe_tail.h); P(pi) = softmax(-gamma
 * G), the first action from its marginal.
 *
 * Search.  Policies share prefixes, so they are scored on the tree of action
 * sequences: q(s_t|pi) is propagated once per tree node (depth first),
 * through the sparse rows of B and A, touching only the states and
 * observations that carry probability.  When |A|^H exceeds policy_cap (or
 * search: beam), a beam keeps, for every first action, the best
 * policy_cap / |A|^2 prefixes by partial G (with the tail, by partial G plus
 * the tail of the prefix's belief) at each depth, so at most policy_cap
 * complete policies are scored and every first action keeps its own
 * candidates; it is exact whenever its width covers the whole tree
 * (docs/efe.md, section 3).
 *
 * Hidden contexts.  In a world with K hidden contexts (docs/contexts.md;
 * states s = k * n_cells + cell) and the induction tail, ctx_cells > 0 makes
 * the planner decide over the belief about the context instead (efe_ctx.h):
 * each first action's EFE from the joint belief, one step on the model and
 * then the EFE to go over (cell, belief about the context).  Such a decision
 * exposes its first actions to the EFE diagnostic (check_ctx: scored by the
 * same recursion on the true model, not as a tree's policies) and reports the
 * belief about the context (decision_t's p_context). */
#ifndef AIF_PLANNER_H
#define AIF_PLANNER_H
#include "interface/agents.h"
#include "core/arena.h"
#include "aif/efe.h"
#include "aif/efe_ctx.h"
#include "aif/efe_tail.h"
#include "core/rng.h"

enum { PLAN_SEARCH_AUTO = 0, PLAN_SEARCH_EXHAUSTIVE = 1, PLAN_SEARCH_BEAM = 2 };
extern const char *const planner_search_names[]; /* "auto", "exhaustive", "beam", NULL */

/* The planning parameters both active-inference agents share, `planner` and
 * `tail_steps`: two consecutive entries of an agent's table (params.h), put
 * there with [P_PLANNER] = PLANNER_PARAM_SPECS (the second lands at
 * P_PLANNER + 1) and decoded with planner_params_read.  One definition, one
 * help text, one decoding. */
enum { PLANNER_TREE = 0, PLANNER_INDUCTION = 1 };
extern const char *const planner_kind_names[]; /* "tree", "induction", NULL */
#define PLANNER_PARAM_SPECS                                                                          \
    {"planner", PT_CHOICE, PLANNER_INDUCTION, 0, 0, planner_kind_names,                              \
     "tree = G over the policy tree of `horizon` steps only (the paper's); induction = the tree "    \
     "plus, at its leaves, the EFE of the following tail_steps steps by backward induction over "    \
     "the model's states (efe_tail.h)"},                                                             \
    {"tail_steps", PT_INT, 0, 0, 100000, NULL,                                                       \
     "induction: backward steps after the tree (0 = the world's max_steps)"}
/* What the block decodes to: the values as the job gave them. */
typedef struct {
    int kind;           /* PLANNER_TREE or PLANNER_INDUCTION */
    int tail_steps;     /* as given: 0 = the world's max_steps */
} planner_params_t;
/* Decode the block: pv points at its first value (planner). */
void planner_params_read(const double *pv, planner_params_t *out);
/* The tail's length: 0 for the tree alone, else tail_steps, or max_steps
 * where tail_steps is 0. */
int planner_tail_steps(const planner_params_t *p, int max_steps);

typedef struct {
    int H;              /* horizon: actions per policy */
    long policy_cap;    /* most policies scored per decision */
    int search;         /* PLAN_SEARCH_* */
    int tail_steps;     /* 0: no tail (the tree alone); else backward steps of the tail */
    int ctx_cells;      /* 0, or the cells of a K-context world: decide over the belief about the
                           context (needs tail_steps > 0; n = K ctx_cells states, 2 <= K <= EFE_CTX_MAX) */
} planner_config_t;

/* The search's shape: beam or not, its width per first action, and the most
 * policies one decision scores. */
typedef struct { int beam; long bw, max_pol; } plan_shape_t;
plan_shape_t planner_shape(int n_actions, const planner_config_t *cfg);
/* na^H, saturated at limit + 1. */
long planner_pow_sat(int na, int H, long limit);
/* Bytes a planner for n states takes (validate refuses absurd ones before create). */
double planner_bytes(int n, int n_actions, const planner_config_t *cfg);

struct cand;
typedef struct {
    planner_config_t cfg;
    int n, no, na, H;
    plan_shape_t shape;
    const efe_model_t *m;     /* the model it plans on (planner_set_model) */
    const double *lnp;        /* ln p~(o) [no] */
    efe_params_t ep;          /* gamma, weights, selection */
    efe_tail_t tail;          /* the EFE after the tree's leaves, on m (tail_steps > 0, no ctx_cells) */
    efe_ctx_t ctx;            /* the EFE to go over the belief about the context (ctx_cells > 0) */
    /* scored policies of one decision */
    long n_pol;
    double *pol_G, *pol_risk, *pol_amb, *pol_P;
    int *pol_first;
    /* node workspace: one dense belief and support list per depth */
    double *lvl_q;            /* [H+1][n] */
    int *lvl_supp;            /* [H+1][n] */
    int *lvl_ns;              /* [H+1] */
    double *qo;               /* [no] */
    int *obs_list;            /* [no] */
    unsigned char *mark_s, *mark_o;
    /* beam: two generations of slots, group (first action) major */
    int bw;
    double *bq[2];            /* [na*bw][n] */
    int *bsupp[2];            /* [na*bw][n] */
    int *bns[2];              /* [na*bw] */
    double *br[2], *ba[2];    /* partial risk and ambiguity per slot */
    int *bcount[2];           /* [na] live slots per group */
    struct cand *cand;        /* children of one group [bw*na] */
} planner_t;

/* Buffers for n states, no observations and na actions, from arena ar (the
 * tail or the context table with malloc: planner_free releases it).  0, or -1
 * (no memory, or ctx_cells that do not make n). */
int  planner_alloc(planner_t *p, arena_t *ar, int n, int no, int na, const planner_config_t *cfg);
void planner_free(planner_t *p);

/* Plan on model m with preference lnp and the EFE parameters ep (all three
 * outlive the planner or the next call); re-solves the tail (bonus: NULL, or
 * per-state values subtracted from its risk: efe_tail_solve) or the context
 * table (ctx_cells; no bonus).  Call again
 * whenever the model or the preference changed. */
void planner_set_model(planner_t *p, const efe_model_t *m, const double *lnp, const efe_params_t *ep,
                       const double *bonus);

/* One decision from belief q [n]: scores every policy, forms P(pi), picks
 * the first action (r is consumed by ties or sampling); fills d (may be NULL):
 * G, risk, ambiguity and P per first action, and with d->want_check the
 * first DECISION_MAX_CHECK policies in depth-first order (none for a beam). */
int  planner_decide(planner_t *p, const double *q, rng_t *r, decision_t *d);

#endif
