/* efe_tail: expected free energy beyond the policy tree, by backward induction
 * over the states of the agent's own model.
 *
 * With a preference for the goal's observation alone, G over a short policy
 * tree is flat until the horizon reaches the goal.  The tail adds, at the
 * tree's leaves, the EFE the agent would still accrue over `steps` more steps
 * if it went on taking its best action in each state it reaches:
 *   g(s)     = w_risk KL[p(o|s) || p~(o)] + w_ambiguity H[p(o|s)]   the EFE of a step spent in s
 *   Q_k(s,a) = sum_s' p(s'|s,a) (g(s') + V_{k-1}(s')),   V_0 = 0,   V_k(s) = min_a Q_k(s,a)
 * on the model (A, B) the agent has: the world's own for the reference, a
 * Dirichlet-learned one, or the one read off the diffusion model.  Nothing
 * else is read.
 *
 * What it is.  Backward induction of G over future states: sophisticated
 * inference (Friston et al. 2021, "Sophisticated inference", Neural Comput.
 * 33) in the limit where each future state is known when the agent acts there
 * (a state-feedback policy, the QMDP approximation), and the expected-cost
 * form of inductive planning (Friston et al. 2023, "Active inference and
 * intentional behaviour"; pymdp's calc_inductive_value_t keeps only whether
 * the goal can be reached within k steps).  With goal-only preferences a step
 * away from the goal costs c_goal more than one at it, so V is c_goal times
 * the expected steps still to go, and a cell that ends the episode without the
 * goal (absorbing, low preference) costs every remaining step: holes are
 * avoided in proportion to the risk of falling in.
 *
 * Values are kept relative to their minimum over states (a constant does not
 * change the policy posterior), and split into their risk and ambiguity parts
 * along the minimising actions, so that V = w_risk Vr + w_ambiguity Va holds
 * and a policy's logged G stays w_risk risk + w_ambiguity ambiguity. */
#ifndef AIF_EFE_TAIL_H
#define AIF_EFE_TAIL_H
#include "aif/efe.h"

typedef struct {
    int n, na;
    int steps;                 /* backward steps taken by the last solve */
    double *g_risk, *g_amb;    /* [n] per-state risk and ambiguity of a step in s */
    double *Vr, *Va, *V;       /* [n] tail risk, ambiguity and V = w_r Vr + w_a Va */
    double *nr, *na_, *nv;     /* [n] next iterate */
} efe_tail_t;

/* 0, or -1 (no memory). */
int  efe_tail_alloc(efe_tail_t *t, int n_states, int n_actions);
void efe_tail_free(efe_tail_t *t);

/* V after `steps` backward steps on model m (n_states must match; m's A rows
 * must have their sparse slots filled).  bonus: NULL, or [n] values
 * subtracted from the per-state risk (a novelty drive for exploration).
 * Stops early once the relative values no longer change (1e-12). */
void efe_tail_solve(efe_tail_t *t, const efe_model_t *m, const double *lnp, const efe_weights_t *w,
                    int steps, const double *bonus);

/* The tail of a belief q over states: *risk = sum q Vr, *amb = sum q Va. */
void efe_tail_of_belief(const efe_tail_t *t, const double *q, double *risk, double *amb);

/* Reference: G of one policy (actions policy[0..H-1]) from belief q0 with the
 * tail after its last step added (t may be NULL: no tail), and its risk and
 * ambiguity parts.  work: 2 n_states + n_obs doubles. */
double efe_tail_policy_G(const efe_model_t *m, const efe_tail_t *t, const double *q0, const int *policy, int H,
                         const double *lnp, const efe_weights_t *w, double *risk, double *amb, double *work);

#endif
