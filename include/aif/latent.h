/* latent: the hidden states of an agent's experience, learned without labels.
 *
 * The agent's generative model is a hidden Markov model over the cells of a
 * grid of known shape (task.h): a start distribution pi(s), transitions
 * B(s'|s,a) whose successors are the cell itself or one of its four
 * neighbours on the open grid (the shape says which cells are neighbours; the
 * walls, the slip and the map are learned), a likelihood A(o|s) over every
 * observation, and how an episode ends on entering a cell: at the goal (the
 * goal's cell, which the agent is told, ends every episode that enters it) or
 * without it, with a learned probability h(s) (the holes).  What the agent
 * experiences (experience.h: observations, actions, endings) is all it is fit
 * to.
 *
 * Learning is expectation-maximisation (Baum-Welch; Rabiner 1989, "A tutorial
 * on hidden Markov models", Proc. IEEE 77), which minimises the variational
 * free energy of the data under the model, F = E_q[-ln p(o, s | theta)] - H[q]
 * plus the Dirichlet priors' terms: the E-step sets q(s_{0:T}) to the exact
 * posterior of each episode under the current model by the forward-backward
 * recursions (F = -ln p(o | theta) there), the M-step sets the model to the
 * Dirichlet posterior means given q's expected counts.  F never rises from one
 * iteration to the next (tests/unit_latent.c checks it), and EM stops when it
 * falls by less than `tol` nats per token.
 *
 * Priors (the Dirichlet counts every estimate starts from):
 *   A(.|s): a_prior spread evenly over every observation, plus a_self on
 *           o = s: a priori an observation names the cell it was made in.
 *           That is what an observation means here (observations are cells),
 *           and it is what ties each latent state to one cell: without it the
 *           states could be relabelled at no cost;
 *   B(.|s,a): b_prior on each allowed successor, and for a move the data
 *           holds no instance of, b_told more on the cell the action leads
 *           to on the open grid (the task tells the actions' meaning, not
 *           where walls are): an untried move is expected to do what it
 *           says until the agent has made it;
 *   pi:     start_prior on every cell; h(s): Beta(h_prior, 1).
 * With state labels (the ablation) the same priors take exact counts instead
 * of expected ones (latent_count_labels).
 *
 * The E-step can also run under another model's A and B (diffusion-aif's
 * tables read off its network), keeping pi and h: latent_estep takes them.
 * latent_sample draws one joint state sequence per episode from the posterior
 * (forward filtering, backward sampling), as the labels of a network's
 * training windows.
 *
 * Memory: A and its counts are dense (n x n doubles each); the forward pass
 * keeps one [max_len][n] array, and each row's support (its nonzero states,
 * [max_len][n] ints: the passes touch only those, in the order of a full
 * scan, so the numbers are a full scan's); all allocated in latent_alloc. */
#ifndef AIF_LATENT_H
#define AIF_LATENT_H
#include "core/arena.h"
#include "aif/efe.h"
#include "aif/experience.h"
#include "aif/genmodel.h"
#include "core/rng.h"
#include "interface/task.h"

#define LATENT_WIDTH 5   /* successor slots per (s, a): the cell itself, then up, down, left, right */

typedef struct {
    double a_prior;      /* A: Dirichlet mass per row, spread over every observation */
    double a_self;       /* A: extra Dirichlet count on observing the cell itself */
    double b_prior;      /* B: Dirichlet count per allowed successor */
    double b_told;       /* B of a move never made: extra count on where the action leads on the open grid */
    double start_prior;  /* pi: Dirichlet count per cell */
    double h_prior;      /* h: Beta(h_prior, 1) on ending without the goal */
} latent_prior_t;

latent_prior_t latent_prior_defaults(void); /* a_prior 1, a_self 1, b_prior 0.1, b_told 1, start 0.1, h 0.1 */

typedef struct {
    int n, no, n_sym, na, goal, max_len; /* cells, observations (n * n_sym), actions; goal -1: a context world */
    latent_prior_t prior;
    const task_t *task;
    /* expected (or labelled) counts of the last E-step */
    double *cA;          /* [n][no] observation o in state s */
    double *c_success;   /* [n] episodes that ended at the goal on entering s */
    double *cB;          /* [na][n][LATENT_WIDTH] on the local slots */
    double *c_start;     /* [n] first states */
    double *c_enter;     /* [n] steps that entered s (every token but an episode's first) */
    double *c_fail;      /* [n] episodes that ended without the goal on entering s */
    double *c_visit;     /* [n] tokens in s */
    /* the model they give (posterior means) */
    int *b_idx;          /* [na][n][LATENT_WIDTH] the local slots (-1: none) */
    double *B;           /* [na][n][LATENT_WIDTH] */
    double *A;           /* [n][no] */
    double *pi;          /* [n] */
    double *h;           /* [n] probability that entering s ends the episode without the goal */
    /* the last E-step */
    double loglik;       /* ln p(data | model), summed over episodes */
    long tokens;
    int iterations;      /* of the last latent_em */
    /* workspace */
    double *alpha;       /* [max_len][n] scaled forward messages */
    int *supp;           /* [max_len][n] each alpha row's support: its nonzero states, ascending (a superset
                            of them may hold zeros), so that the passes touch only those */
    int *nsupp;          /* [max_len] its size */
    int *psupp;          /* [n] the support of a prediction (beta2's) */
    int npsupp;          /* its size; alpha rows and beta2 are 0 off their supports */
    unsigned char *mark; /* [n] all 0 between uses */
    double *beta, *beta2, *w; /* [n] */
} latent_t;

/* For a task (shape, goal, actions) and episodes of at most max_len tokens. */
int  latent_alloc(latent_t *L, arena_t *ar, const task_t *task, int max_len, const latent_prior_t *prior);
/* The model of the priors alone (no counts). */
void latent_reset(latent_t *L);

/* A view of a model to run the E-step under: A dense [n][n] and B sparse
 * (efe_model_t's b_idx / b_p), with L's own pi and h. */
/* One E-step over every closed episode of xp under model m (NULL: L's own),
 * into L's counts; returns the log-likelihood ln p(data | model). */
double latent_estep(latent_t *L, const experience_t *xp, const efe_model_t *m);
/* The M-step: L's model from its counts and the priors. */
void   latent_mstep(latent_t *L);
/* EM from L's current model until the free energy falls by less than tol
 * nats per token, at most max_iter iterations; ends on an M-step.  Returns
 * the iterations made. */
int    latent_em(latent_t *L, const experience_t *xp, int max_iter, double tol);
/* The pieces of a weighted E-step (a mixture over hidden contexts,
 * latent_ctx.h): clear the counts; the log-likelihood of the episode starting
 * at token st under L's own model; its expected counts times weight. */
void   latent_counts_clear(latent_t *L);
double latent_episode_loglik(latent_t *L, const experience_t *xp, long st);
void   latent_episode_counts(latent_t *L, const experience_t *xp, long st, double weight);
/* Exact counts from the states in xp->z (the labelled ablation), then the M-step. */
void   latent_count_labels(latent_t *L, const experience_t *xp);

/* One joint sample of the states of every closed episode under model m (NULL:
 * L's own) into xp->z. */
void   latent_sample(latent_t *L, experience_t *xp, const efe_model_t *m, rng_t *r);
/* The same for the one episode starting at token st, under L's own model. */
void   latent_episode_sample(latent_t *L, experience_t *xp, long st, rng_t *r);

/* The posterior-mean model as the planner's interface: A, B (absorbing goal
 * and cells to avoid), start, the cells to avoid (h > 0.5 with at least half
 * an expected failure), the visited cells (at least half an expected visit)
 * and the moves tried (at least half an expected move).  g must have LATENT_WIDTH successor slots and n observation slots. */
void   latent_to_genmodel(const latent_t *L, genmodel_t *g);

/* Mean total variation between the rows of two models' transitions,
 * 1/2 sum_s' |p(s'|s,a) - q(s'|s,a)|, over the (s, a) with weight[s * na + a]
 * >= min_weight (weight NULL: all); and between the likelihoods' rows over the
 * s with wstate[s] >= min_weight.  NaN if no row qualifies.  Scratch: [n]. */
double latent_tv_B(const efe_model_t *p, const efe_model_t *q, const double *weight, double min_weight,
                   double *scratch);
double latent_tv_A(const efe_model_t *p, const efe_model_t *q, const double *wstate, double min_weight);
/* How well model m fits L's data: the mean total variation between m's
 * transitions and the normalised counts of the last E-step (or the labelled
 * counts, no prior), over the (s, a) with at least min_count moves.  NaN if
 * none has (or out of memory). */
double latent_fit_tv_B(const latent_t *L, const efe_model_t *m, double min_count);

#endif
