/* efe: expected free energy, shared by every active-inference agent.
 *
 * Notation (docs/efe.md has the derivations and references):
 *   p~(o)  = softmax(C)(o)                     prior preferences over observations
 *   risk_t = KL[q(o_t|pi) || p~(o)]             = sum_o q(o) (ln q(o) - ln p~(o))
 *            or, with risk_term: expected-cost,  sum_o q(o) (- ln p~(o))
 *   amb_t  = E_q(s_t|pi)[H(p(o|s_t))]           = sum_s q(s) H_A(s)
 *   G(pi)  = sum_{t=1..H} w_risk * risk_t + w_ambiguity * amb_t
 *   P(pi)  = softmax(-gamma * G(pi) + ln E(pi))  (E: habit prior; NULL = uniform)
 *   P(a)   = sum_{pi : pi_1 = a} P(pi)           (marginal of the first action)
 * (Friston et al. 2017, "Active inference: a process theory", Neural Comput. 29;
 *  Da Costa et al. 2020, "Active inference on discrete state-spaces: a synthesis",
 *  J. Math. Psychol. 99; Parr, Pezzulo & Friston 2022, "Active Inference", ch. 7.)
 *
 * Conventions: 0 ln 0 = 0 (terms with q <= 0 are dropped, so no eps biases the
 * exact values); ln p~ is always finite because C is finite everywhere; where a
 * distribution is given as probabilities rather than logs, it is floored at
 * EFE_EPS before the log.  Softmaxes go through log-sum-exp.
 *
 * The second half is the exact machinery for a discrete generative model
 * (sparse A and B): prediction, Bayesian filtering and G of a given policy.  The
 * exact-aif agent uses it (with a faster tree walk of its own, checked against
 * efe_policy_G in the tests); the diffusion agent estimates q(o_t|pi) and
 * q(s_t|pi) from samples instead and uses only the first half. */
#ifndef AIF_EFE_H
#define AIF_EFE_H
#include <math.h>
#include <stddef.h>
#include "core/params.h"
#include "core/rng.h"

#define EFE_EPS 1e-16

/* ---- preferences ------------------------------------------------------------ */

/* What the preference is computed from (docs/efe.md):
 *   GOAL:      C(goal) = c_goal, 0 on every other cell: the goal's
 *              observation and nothing else (the default);
 *   MANHATTAN: C(o) = -lambda * (|drow| + |dcol|) to the goal: knows where the
 *              goal is, not the map;
 *   ORACLE:    C(o) = -lambda * shortest-path distance on the true map
 *              ("oracle-distance"): the optimal value function in disguise,
 *              an ablation only. */
typedef enum { EFE_PREF_GOAL = 0, EFE_PREF_MANHATTAN = 1, EFE_PREF_ORACLE = 2 } efe_pref_kind_t;
extern const char *const efe_pref_names[]; /* "goal", "manhattan", "oracle-distance", NULL */

typedef struct {
    efe_pref_kind_t kind;
    double lambda;        /* MANHATTAN, ORACLE: cost per step of distance */
    double c_goal;        /* GOAL: C(goal) */
    double hole_penalty;  /* cells to avoid: C = (lowest floor C) - hole_penalty */
} efe_pref_t;

/* ln p~(o) for the rows*cols observations into lnp.
 *   oracle_dist: the true map's distances (task.h: -1 unreachable, -2 hole);
 *                required for ORACLE, ignored otherwise;
 *   avoid:       NULL, or [rows*cols] flags of cells to avoid: cells in which
 *                an episode ended without the goal, learned from experience
 *                (or, for the reference with the true model, its holes).
 * C_floor, the lowest value of a cell that can still reach the goal, is 0
 * (GOAL), -lambda * (largest distance + 1) (MANHATTAN, ORACLE); unreachable
 * cells get C_floor, cells to avoid (and ORACLE's holes) C_floor -
 * hole_penalty.  Then ln p~ = C - logsumexp(C): every entry is finite. */
void efe_log_preferences(const efe_pref_t *pref, int rows, int cols, int goal, const int *oracle_dist,
                         const unsigned char *avoid, double *lnp);

/* The same (goal preference only) for a world with hidden contexts, over its
 * n_cells * n_sym observations o = sym * n_cells + location (task.h): C(o) =
 * c_goal where sym is the reward symbol goal_sym, wherever it is seen; C =
 * -hole_penalty where sym is 0 (nothing) at a location to avoid (avoid:
 * [n_cells] or NULL: where an episode ended without the goal); 0 elsewhere. */
void efe_log_preferences_ctx(const efe_pref_t *pref, int n_cells, int n_sym, int goal_sym,
                             const unsigned char *avoid, double *lnp);

/* ---- divergences and terms ------------------------------------------------------ */

double efe_logsumexp(const double *x, int n);           /* -inf if n == 0 */
/* out = softmax(x); out may alias x. */
void   efe_softmax(const double *x, int n, double *out);
double efe_entropy(const double *p, int n);             /* -sum p ln p (nats) */
/* KL[q || p] with p given as logs: sum_{q>0} q (ln q - lnp). */
double efe_kl_log(const double *q, const double *lnp, int n);
/* KL[q || p] with p given as probabilities (floored at EFE_EPS). */
double efe_kl(const double *q, const double *p, int n);
/* risk = KL[q(o) || p~] given ln p~. */
static inline double efe_risk(const double *q_obs, const double *lnp, int n_obs) {
    return efe_kl_log(q_obs, lnp, n_obs);
}
/* ambiguity = sum_s q(s) H_A(s). */
double efe_ambiguity(const double *q_state, const double *H_A, int n_states);

/* What the risk term is (parameter risk_term).  KL (the default) holds
 * -H[q(o)], so that risk + ambiguity = E_q(o)[-ln p~(o)] - I_q(s; o): expected
 * cost minus the information gain.  COST is the expected cost E_q(o)[-ln p~(o)]
 * alone (extrinsic value): with w_ambiguity = 0, G then has no epistemic term
 * at all (docs/efe.md). */
typedef enum { EFE_RISK_KL = 0, EFE_RISK_COST = 1 } efe_risk_kind_t;
extern const char *const efe_risk_names[]; /* "kl", "expected-cost", NULL (index = efe_risk_kind_t) */

/* Initialisers that leave risk out get EFE_RISK_KL. */
typedef struct { double w_risk, w_ambiguity; efe_risk_kind_t risk; } efe_weights_t;

/* One observation's share of risk, per unit of its predicted probability q > 0. */
static inline double efe_risk_term(const efe_weights_t *w, double q, double lnp) {
    return w->risk == EFE_RISK_COST ? -lnp : log(q) - lnp;
}
/* The risk term w asks for: efe_risk (KL) or the expected cost. */
double efe_risk_w(const efe_weights_t *w, const double *q_obs, const double *lnp, int n_obs);

static inline double efe_combine(const efe_weights_t *w, double risk, double ambiguity) {
    return w->w_risk * risk + w->w_ambiguity * ambiguity;
}

/* ---- policy posterior and action selection --------------------------------------- */

/* P[i] = softmax(-gamma * G[i] + lnE[i]) over n policies; lnE NULL = uniform habit. */
void efe_policy_posterior(const double *G, const double *lnE, double gamma, int n, double *P);
/* p_action[a] = sum of P[i] over policies whose first action first[i] == a. */
void efe_action_marginals(const double *P, const int *first, int n, int n_actions, double *p_action);

typedef enum { EFE_SELECT_ARGMAX = 0, EFE_SELECT_SAMPLE = 1 } efe_select_t;
extern const char *const efe_select_names[]; /* "argmax", "sample", NULL (index = efe_select_t) */
/* ARGMAX: the most probable action; actions within a relative 1e-9 of the best
 * are tied and one is drawn uniformly with r (r is consumed only on ties).
 * SAMPLE: one draw from p_action.  */
int efe_select_action(const double *p_action, int n_actions, efe_select_t mode, rng_t *r);

/* What a decision logs per first action a (float arrays of n_actions):
 *   G[a]     = min of G(pi) over the policies starting with a (the best
 *              continuation; -> +inf if none), risk[a] and amb[a] are the
 *              unweighted risk and ambiguity sums of that same policy, so
 *              G[a] = w_risk * risk[a] + w_ambiguity * amb[a];
 *   p_act[a] = P(first action = a) under the full posterior. */
void efe_first_action_summary(const double *G, const double *risk, const double *amb,
                              const int *first, int n, int n_actions, const double *p_action,
                              float *G_out, float *risk_out, float *amb_out, float *p_out);

/* ---- the parameters every EFE agent shares ---------------------------------------- */

/* The EFE parameter block: nine consecutive entries of an agent's parameter
 * table (params.h), in this order.  An agent splices EFE_PARAM_SPECS into its
 * table where the block goes (the order of a table is the order of the
 * results file's columns), and reads the block with efe_params_read from the
 * values at that position.  One definition, one help text, one decoding. */
enum {
    EFE_P_GAMMA, EFE_P_W_RISK, EFE_P_W_AMB, EFE_P_RISK_TERM, EFE_P_PREF, EFE_P_LAMBDA, EFE_P_C_GOAL, EFE_P_HOLE,
    EFE_P_SELECTION, EFE_N_PARAMS
};

#define EFE_PARAM_SPECS                                                                              \
    {"gamma", PT_REAL, 16.0, 0.0, 1e4, NULL, "policy precision: P(pi) = softmax(-gamma G(pi))"},     \
    {"w_risk", PT_REAL, 1.0, 0.0, 1e3, NULL, "weight of risk (risk_term) in G"},                     \
    {"w_ambiguity", PT_REAL, 1.0, 0.0, 1e3, NULL, "weight of ambiguity E_q(s|pi) H[p(o|s)] in G"},   \
    {"risk_term", PT_CHOICE, EFE_RISK_KL, 0, 0, efe_risk_names,                                      \
     "risk: kl = KL[q(o|pi) || p~(o)], which holds -H[q(o)] (with the ambiguity term, G = expected "  \
     "cost - information gain); expected-cost = E_q(o|pi)[-ln p~(o)] (extrinsic value alone: with "   \
     "w_ambiguity 0, G has no epistemic term)"},                                                     \
    {"preference", PT_CHOICE, EFE_PREF_GOAL, 0, 0, efe_pref_names,                                   \
     "prior preference p~(o) = softmax(C): goal = c_goal at the goal's observation only; "           \
     "manhattan = -lambda * Manhattan distance to the goal; oracle-distance = -lambda * "            \
     "shortest-path distance on the true map (map-aware shaping: ablations only)"},                  \
    {"lambda", PT_REAL, 1.0, 0.0, 100.0, NULL, "manhattan and oracle-distance: C(o) = -lambda * distance"}, \
    {"c_goal", PT_REAL, 8.0, 0.0, 1e3, NULL, "goal preference: C(goal) = c_goal, 0 on other floor cells"}, \
    {"hole_penalty", PT_REAL, 10.0, 0.0, 1e3, NULL,                                                  \
     "C of a cell where an episode ended without the goal (learned; the true model's holes "         \
     "with model: true), below the lowest floor cell (nats)"},                                       \
    {"selection", PT_CHOICE, EFE_SELECT_ARGMAX, 0, 0, efe_select_names,                              \
     "first action: argmax of P(a) (random among ties) or a sample from P(a)"}

/* The same block as an array (for tests and tools). */
extern const param_spec_t efe_param_specs[EFE_N_PARAMS];

/* What the block decodes to. */
typedef struct {
    double gamma;          /* policy precision */
    efe_weights_t w;       /* w_risk, w_ambiguity, risk_term */
    efe_pref_t pref;       /* preference, lambda, c_goal, hole_penalty */
    efe_select_t sel;      /* selection */
} efe_params_t;

/* Decode the block: pv points at its first value (gamma). */
void efe_params_read(const double *pv, efe_params_t *out);

/* ---- exact discrete generative model ----------------------------------------------- */

/* Sparse rows of fixed width: slot k of row r holds an index (-1 = unused; used
 * slots come first) and its probability. */
typedef struct efe_model {
    int n_states, n_obs, n_actions;
    int b_width;      /* successor slots per (a, s) */
    int *b_idx;       /* [n_actions][n_states][b_width] */
    double *b_p;      /* p(s' = b_idx | s, a) */
    int a_width;      /* observation slots per state */
    int *a_idx;       /* [n_states][a_width] */
    double *a_p;      /* p(o = a_idx | s) */
    double *A;        /* dense [n_states][n_obs] p(o|s) (the filter reads columns) */
    double *H_A;      /* [n_states] entropy of p(o|s) */
} efe_model_t;

/* Allocate with every slot unused (idx -1, p 0) and A zero.  0 or -1 (no memory). */
int  efe_model_alloc(efe_model_t *m, int n_states, int n_obs, int n_actions, int b_width, int a_width);
void efe_model_free(efe_model_t *m);
/* dst = a deep copy of src.  0 or -1 (no memory; dst is then empty). */
int  efe_model_copy(efe_model_t *dst, const efe_model_t *src);
/* Recompute H_A[s] from the dense row A[s]. */
void efe_model_update_entropy(efe_model_t *m, int s);

/* q_next(s') = sum_s q(s) p(s'|s,a).  q_next must not alias q. */
void efe_predict_states(const efe_model_t *m, int a, const double *q, double *q_next);
/* q_obs(o) = sum_s q(s) p(o|s). */
void efe_predict_obs(const efe_model_t *m, const double *q, double *q_obs);
/* Bayes: q(s) <- q(s) p(o|s) / sum.  Returns 0; or 1 if o had probability 0
 * under q (q is then reset to the normalised likelihood p(o|.), or to uniform
 * if no state can emit o). */
int  efe_observe(const efe_model_t *m, double *q, int o);

/* The belief q0 carried through the actions policy[0..H-1]: the risk (of
 * w's kind; w's weights are not used) and ambiguity of each step summed
 * into *risk and *amb; returns the belief after the last step (inside work,
 * 2 * n_states + n_obs doubles). */
const double *efe_rollout(const efe_model_t *m, const double *q0, const int *policy, int H,
                          const double *lnp, const efe_weights_t *w, double *risk, double *amb, double *work);

/* G of one policy (actions policy[0..H-1]) from belief q0, with its risk and
 * ambiguity sums (either may be NULL).  work holds 2 * n_states + n_obs
 * doubles.  Reference implementation: no sharing between policies. */
double efe_policy_G(const efe_model_t *m, const double *q0, const int *policy, int H,
                    const double *lnp, const efe_weights_t *w, double *risk, double *amb,
                    double *work);

#endif
