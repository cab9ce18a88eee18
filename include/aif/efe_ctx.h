/* efe_ctx: expected free energy to go over the belief about a hidden context
 * (docs/contexts.md), for a world with two contexts whose model is over the
 * joint states s = k * n_cells + cell (env.h) with the context constant.
 *
 * The induction tail (efe_tail.h) values a state as if it were known when the
 * agent acts there; in a world whose goal depends on a hidden context that
 * makes learning the context worthless, and an agent with a 50/50 belief
 * between two goals stays between them.  Here the value is over information
 * states (cell, p), p = the belief that the context is the second one, on a
 * grid of EFE_CTX_GRID points: the recursion of sophisticated inference
 * (Friston et al. 2021, "Sophisticated inference", Neural Comput. 33) in the
 * belief space of the context, with the cell taken as known at each step:
 *   b'(k, c')   = p_k p(c'|c, a)                                   (p_0 = 1 - p, p_1 = p)
 *   q(o)        = sum_{k,c'} b'(k, c') p(o|k, c')
 *   g(c, p, a)  = w_risk KL[q(o) || p~(o)] + w_ambiguity sum_{k,c'} b'(k, c') H[p(o|k, c')]
 *   Q_t(c,p,a)  = g(c, p, a) + sum_{o,c'} m(o, c') V_{t-1}(c', p''(o, c'))
 * where m(o, c') = sum_k b'(k, c') p(o|k, c') and p''(o, c') is the posterior
 * belief about the context given o at c' (V linear between grid points),
 * V_0 = 0, V_t = min_a Q_t.  The risk of the predicted observation holds the
 * entropy of q(o), so a look at a cue is worth what it tells about the goal.
 * Values are kept relative to their minimum and split into risk and ambiguity
 * parts along the minimising actions, as the induction tail's are.
 *
 * A decision (efe_ctx_first) takes the agent's joint belief as it is (the
 * cell need not be known) for the first step, then the table. */
#ifndef AIF_EFE_CTX_H
#define AIF_EFE_CTX_H
#include "aif/efe.h"

#define EFE_CTX_GRID 41  /* belief grid points: p = j / 40 */

typedef struct {
    int nc, no, na, M;
    int steps;                 /* backward steps taken by the last solve */
    double *Vr, *Va;           /* [nc][M] risk and ambiguity parts of V */
    double *nr, *na_;          /* [nc][M] next iterate */
    double *vbuf;              /* the block of the four tables */
    double *bq, *qo, *w0, *w1; /* scratch: [2 nc] predicted joint belief, [no] q(o), [nc] per-cell weights */
    int *bsupp, *olist, *clist;
    double *rprob;             /* [2 nc] a decision's belief, its support rsupp */
    int *rsupp;
    unsigned char *omark, *cmark;
} efe_ctx_t;

/* 0, or -1 (no memory).  efe_ctx_free releases it. */
int  efe_ctx_alloc(efe_ctx_t *t, int n_cells, int n_obs, int n_actions);
void efe_ctx_free(efe_ctx_t *t);

/* V after `steps` backward steps on the joint model m (2 * n_cells states;
 * dense A filled).  Stops early once the relative values no longer change. */
void efe_ctx_solve(efe_ctx_t *t, const efe_model_t *m, const double *lnp, const efe_weights_t *w, int steps);

/* The EFE of each first action a from the joint belief q [2 n_cells]: the
 * step's risk and ambiguity on m, plus the table's value of the belief after
 * each observation; its risk and ambiguity parts (G = w_r risk + w_a amb). */
void efe_ctx_first(efe_ctx_t *t, const efe_model_t *m, const double *q, const double *lnp, const efe_weights_t *w,
                   double *G, double *risk, double *amb);

#endif
