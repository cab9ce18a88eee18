/* latent_ctx: the hidden states of a record from a world with hidden contexts
 * (docs/contexts.md), learned without labels: a mixture of K hidden Markov
 * models over the grid's cells, one per context, the context drawn once per
 * episode with probabilities rho (the agent is told K, nothing else about the
 * contexts).  Each component is a latent_t (latent.h: local moves, the
 * likelihood of every observation, location and symbol, how episodes end in
 * each cell) fitted to the episodes weighted by their responsibility.
 *
 * EM: the E-step gives each episode its posterior over contexts,
 *   r_k(e) = rho_k p(e | k) / sum_j rho_j p(e | j),
 * from each component's forward pass, and each component's expected counts
 * times r_k(e); the M-step is each component's (latent_mstep) and
 * rho_k = (sum_e r_k(e) + rho_prior) / (episodes + K rho_prior), rho_prior =
 * LATENT_CTX_RHO_PRIOR pseudo-episodes per context: the agent is told that K
 * contexts exist, and until its record says otherwise each holds a share of
 * the episodes (a record of few episodes with a cue and a goal otherwise lets
 * EM give one context nearly all of them, a trap the agent's own behaviour
 * then keeps: docs/contexts.md).  The
 * log-likelihood sum_e ln sum_k rho_k p(e | k) plus the priors' log densities
 * never falls (tested on the log-likelihood from convergence).  The
 * contexts are exchangeable a priori, so the first E-step's responsibilities
 * are drawn at random (Dirichlet(1) per episode, from the caller's stream):
 * the symmetry must be broken for EM to move.  EM runs from
 * LATENT_CTX_RESTARTS starts and keeps the most likely (a local optimum can
 * explain one context's episodes by the other's): the first groups the
 * episodes by the cue symbol they saw most (0.9 on component j - 1 for symbol
 * j: a naming only, the symbol's meaning is still learned); the second by
 * their outcomes (0.9 on component j for an episode that saw the reward at
 * the j-th most rewarded location, 0.05 for one that ended there without
 * it); the others are random.  Which learned context is which
 * true one is not identified (and need not be: the agent plans on its own).
 *
 * Tied (X->tie, the default): the context changes only the symbols seen and
 * where episodes end, so the components share what does not depend on it:
 * the transitions B, the start pi and the location part of the likelihood,
 * A_k(sym, loc | c) = A_k(sym | c) A(loc | c).  The M-step gives each
 * component its own posterior means and then replaces the shared parts by
 * their average over the components weighted by each one's Dirichlet mass
 * (its counts plus its prior): the posterior mean of the pooled counts.
 * The symbol part A_k(sym | c) and the endings (h, where episodes reach the
 * goal) stay per context.  Untied (the ablation) every component is its own
 * hidden Markov model, and every difference between two components' rows of
 * the same cell, noise included, is evidence about the context.
 *
 * The model the agent plans with (latent_ctx_to_genmodel) is over the joint
 * states s = k * n_cells + cell, the layout of the true model (env.h). */
#ifndef AIF_LATENT_CTX_H
#define AIF_LATENT_CTX_H
#include "aif/efe_ctx.h"
#include "aif/latent.h"

#define LATENT_CTX_MAX EFE_CTX_MAX /* contexts a learner handles (the belief planner's) */
#define LATENT_CTX_AWIDTH 16  /* observation slots per state in the planner's sparse rows */
#define LATENT_CTX_RESTARTS 4 /* EM runs (by cue, by outcome, two random); the most likely is kept */
#define LATENT_CTX_RHO_PRIOR 10.0 /* Dirichlet pseudo-episodes per context on the context weights rho */
#define LATENT_CTX_TIE_BW 64  /* successor slots latent_ctx_tie_model handles (a wider model is left as it is) */

typedef struct {
    int K, nc, no;
    latent_t comp[LATENT_CTX_MAX];
    double rho[LATENT_CTX_MAX];
    double rho_prior;
    double *resp;             /* [K][cap] r_k of the episode starting at each token */
    long cap;
    double loglik;            /* of the last E-step */
    int iterations;
    int tie;                  /* share B, pi and A's location part across the contexts (1 after alloc) */
    double *tmp;              /* [n_cells] scratch */
    int *rank;                /* [n_cells] the outcome start's naming of the reward locations (-1: none) */
} latent_ctx_t;

/* For a context world's task (K = task->n_contexts <= LATENT_CTX_MAX) and a
 * record of at most cap tokens.  0, or -1 (no memory, or too many contexts). */
int    latent_ctx_alloc(latent_ctx_t *X, arena_t *ar, const task_t *task, int max_len, long cap,
                        const latent_prior_t *prior);
/* EM from random responsibilities (drawn from r) until the log-likelihood
 * rises by less than tol nats per token, at most max_iter iterations.
 * Returns the iterations made. */
int    latent_ctx_em(latent_ctx_t *X, const experience_t *xp, int max_iter, double tol, rng_t *r);
/* One E-step (responsibilities and counts); returns the log-likelihood. */
double latent_ctx_estep(latent_ctx_t *X, const experience_t *xp);
void   latent_ctx_mstep(latent_ctx_t *X);
/* The joint model: A dense and its LATENT_CTX_AWIDTH most probable
 * observations per state (renormalised) as sparse slots, B block-diagonal
 * over the contexts, start rho_k pi_k, the states to avoid (an episode ended
 * there without the goal, as latent_to_genmodel decides) and those where
 * episodes end at the goal (absorbing), visited states and tried moves.  g:
 * K * n_cells states, n_obs observations, LATENT_WIDTH successor slots,
 * LATENT_CTX_AWIDTH observation slots. */
void   latent_ctx_to_genmodel(const latent_ctx_t *X, genmodel_t *g);
/* Make absorbing the states latent_ctx_to_genmodel makes absorbing (where
 * episodes end at the goal, and g->avoid): for a model whose B came from
 * elsewhere (diffusion-aif's network). */
void   latent_ctx_absorb(const latent_ctx_t *X, genmodel_t *g);
/* Tie model g's rows across the contexts as the tied mixture is tied (for a
 * model read off the network, whose rows are read per (cell, context)): for
 * each cell, B(.|c, a) becomes the average of the contexts' rows (the next
 * cell; the context is kept), weighted by the moves (c, a) each context's
 * episodes made plus one, its g->m.b_width most probable successors kept and
 * renormalised; A's location part the average of the contexts' location
 * marginals weighted by the tokens each context's episodes spent in c plus
 * one, times each context's own symbol part (dense A, its sparse rows and
 * entropies).  Before latent_ctx_absorb.  g->m.b_width <= LATENT_CTX_TIE_BW. */
void   latent_ctx_tie_model(const latent_ctx_t *X, genmodel_t *g);
/* One sample of the hidden states of every closed episode of xp, into xp->z as
 * joint states k * n_cells + cell: the context from the episode's
 * responsibilities of the last E-step, then the cells from that component's
 * posterior (latent_episode_sample). */
void   latent_ctx_sample(latent_ctx_t *X, experience_t *xp, rng_t *r);
/* The moves the record shows, over the joint states: idx and count
 * [na][K n_cells][LATENT_WIDTH], each component's local slots (latent.h's
 * b_idx and cB) shifted to its context's block (genmodel_restrict_to_moves). */
void   latent_ctx_moves(const latent_ctx_t *X, int *idx, double *count);

#endif
