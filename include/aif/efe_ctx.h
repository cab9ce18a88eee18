/* efe_ctx: expected free energy to go over the belief about a hidden context
 * (docs/contexts.md), for a world with K contexts (2 <= K <= EFE_CTX_MAX) whose
 * model is over the joint states s = k * n_cells + cell (env.h) with the
 * context constant.
 *
 * The induction tail (efe_tail.h) values a state as if it were known when the
 * agent acts there; in a world whose goal depends on a hidden context that
 * makes learning the context worthless, and an agent with a 50/50 belief
 * between two goals stays between them.  Here the value is over information
 * states (cell, p), p = the belief about the context, a point of the simplex
 * of K probabilities on a grid of resolution R (every p_k a multiple of 1/R:
 * efe_ctx_resolution): the recursion of sophisticated inference (Friston et
 * al. 2021, "Sophisticated inference", Neural Comput. 33) in the belief space
 * of the context, with the cell taken as known at each step:
 *   b'(k, c')   = p_k p(c'|c, a)
 *   q(o)        = sum_{k,c'} b'(k, c') p(o|k, c')
 *   g(c, p, a)  = w_risk KL[q(o) || p~(o)] + w_ambiguity sum_{k,c'} b'(k, c') H[p(o|k, c')]
 *   Q_t(c,p,a)  = g(c, p, a) + sum_{o,c'} m(o, c') V_{t-1}(c', p''(o, c'))
 * where m(o, c') = sum_k b'(k, c') p(o|k, c') and p''(o, c') is the posterior
 * belief about the context given o at c', V_0 = 0, V_t = min_a Q_t.  V between
 * grid points is interpolated over the simplex by Freudenthal's triangulation
 * (Lovejoy 1991, "Computationally feasible bounds for partially observed Markov
 * decision processes", Oper. Res. 39): the K grid points of the simplex piece
 * holding p, weighted by p's barycentric coordinates in it; with K = 2 that is
 * linear interpolation between neighbouring points.  The risk of the predicted
 * observation holds the entropy of q(o), so a look at a cue is worth what it
 * tells about the goal.  Values are kept relative to their minimum and split
 * into risk and ambiguity parts along the minimising actions, as the
 * induction tail's are.
 *
 * A decision (efe_ctx_first) takes the agent's joint belief as it is (the
 * cell need not be known) for the first step, then the table. */
#ifndef AIF_EFE_CTX_H
#define AIF_EFE_CTX_H
#include "aif/efe.h"

#define EFE_CTX_MAX 9    /* the most contexts the table is built for (a map's goal digits 1..9) */
#define EFE_CTX_MAX_INFO (1L << 20) /* the most information states (cells x grid points) a table has */
#define EFE_CTX_DENSE_KEYS (1L << 22) /* up to this many keys a point is found in a dense table, else by search */
#define EFE_CTX_CACHE_BYTES (512L << 20) /* the most a solve keeps of its steps (else it recomputes them) */

typedef struct {
    int nc, K, no, na;
    int R, M;                  /* the grid's resolution and its points (efe_ctx_points) */
    int steps;                 /* backward steps taken by the last solve */
    double *Vr, *Va;           /* [nc][M] risk and ambiguity parts of V */
    double *nr, *na_;          /* [nc][M] next iterate */
    double *vbuf;              /* the block of the four tables */
    double *pbel;              /* [M][K] each grid point's belief */
    int *lut;                  /* [pw[K]] a grid point's index by its cumulative counts' key (NULL above
                                  EFE_CTX_DENSE_KEYS keys: then by binary search in keys) */
    long *keys;                /* [M] each grid point's key, ascending */
    long pw[EFE_CTX_MAX + 1];  /* pw[i] = (R+1)^(i-1): the weight of count u_i in a key; pw[K] the keys */
    double *bq, *qo, *wk;      /* scratch: [K nc] predicted joint belief, [no] q(o), [K][nc] per-cell weights */
    int *bsupp, *olist, *clist;
    double *rprob;             /* [K nc] a decision's belief, its support rsupp */
    int *rsupp;
    unsigned char *omark, *cmark;
    /* A solve's steps, kept for its iterations (the model does not change
     * within a solve): each (cell, point, action)'s risk and ambiguity and the
     * posteriors it leads to.  With K = 2 a posterior is its mass and second
     * weight (ent_d) and its first table entry (ent_i; the second is the
     * next, the first weight 1 minus the second).  With K > 2 it is its mass
     * and the index of its stencil (K interpolation weights st_lam and the K
     * table entries c M + point they weigh, st_idx), each distinct stencil
     * kept once (found by the hash st_hash: many posteriors of a solve share
     * one), its values summed once per iteration (st_r).  Recording
     * stops when the arrays would exceed EFE_CTX_CACHE_BYTES. */
    double *ent_d;
    int *ent_i;
    long n_ent, ent_cap, *ent_off;
    double *ent_r, *ent_a;
    double *st_lam, *st_r;     /* st_r: each stencil's risk and ambiguity parts, interleaved */
    int *st_idx;
    long n_st, st_cap, *st_hash, hash_cap;
    int recording;
    int recompute;             /* 1: keep nothing, recompute every step (a check that keeping changes nothing) */
} efe_ctx_t;

/* The grid's resolution for K contexts: 40 for 2 (41 points), 21 for 3 (253),
 * 8 for 4 (165), then K itself (5: 126, 6: 462, 7: 1,716, 8: 6,435, 9: 24,310);
 * a multiple of K, so the uniform belief is a grid point, and every vertex
 * (a context known) is one; 0 for K outside [2, EFE_CTX_MAX]. */
int efe_ctx_resolution(int K);
/* Its points: C(R + K - 1, K - 1); 0 for K outside [2, EFE_CTX_MAX]. */
int efe_ctx_points(int K);
/* 1 if the table for n_cells cells and K contexts is built: 2 <= K <=
 * EFE_CTX_MAX and n_cells * efe_ctx_points(K) <= EFE_CTX_MAX_INFO (its time and
 * memory grow with that count; with up to four contexts every grid of up to
 * 64 x 64 cells fits). */
int efe_ctx_fits(int n_cells, int K);
/* The bytes a solve keeps per posterior of a step (the ent_d and ent_i arrays). */
size_t efe_ctx_entry_bytes(int K);

/* The interpolation at the belief w / mass (w [K], per context; mass their
 * sum > 0): the K grid points idx of Freudenthal's simplex piece holding it
 * and its barycentric weights lam (>= 0, summing to 1, sum_m lam_m pbel[idx_m]
 * = the belief). */
void efe_ctx_stencil(const efe_ctx_t *t, const double *w, double mass, int *idx, double *lam);

/* 0, or -1 (no memory, or !efe_ctx_fits).  efe_ctx_free releases it. */
int  efe_ctx_alloc(efe_ctx_t *t, int n_cells, int K, int n_obs, int n_actions);
void efe_ctx_free(efe_ctx_t *t);

/* V after `steps` backward steps on the joint model m (K * n_cells states;
 * dense A filled).  Stops early once the relative values no longer change. */
void efe_ctx_solve(efe_ctx_t *t, const efe_model_t *m, const double *lnp, const efe_weights_t *w, int steps);

/* The EFE of each first action a from the joint belief q [K n_cells]: the
 * step's risk and ambiguity on m, plus the table's value of the belief after
 * each observation; its risk and ambiguity parts (G = w_r risk + w_a amb). */
void efe_ctx_first(efe_ctx_t *t, const efe_model_t *m, const double *q, const double *lnp, const efe_weights_t *w,
                   double *G, double *risk, double *amb);

#endif
