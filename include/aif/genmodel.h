/* genmodel: the generative model an active-inference agent plans with, one
 * interface whatever its source.
 *
 * Three sources fill it: the world's truth (exact-aif with `model: true`, the
 * reference), counts of the agent's own data (latent.h: exact-aif with
 * `model: learned`, diffusion-aif with `model: counts`, the control), and the
 * network (diffusion-aif with `model: network`, the agent, which reads the
 * likelihood and transitions off its diffusion model).  The belief filter
 * below and the planner (planner.h) read nothing else, so two agents that
 * differ in the source alone differ in nothing else.
 *
 * Cells are states and observations alike (task.h).  A cell to avoid is one
 * in which an episode ended without the goal (the true holes for the
 * reference; learned from experience otherwise); it and the goal are
 * absorbing: their rows of B stay put. */
#ifndef AIF_GENMODEL_H
#define AIF_GENMODEL_H
#include "core/arena.h"
#include "aif/efe.h"
#include "interface/task.h"

typedef struct {
    int n, no, na;            /* states, observations (n but in a context world), actions */
    efe_model_t m;            /* p(o|s) dense and sparse, its entropy; p(s'|s,a) sparse */
    double *start;            /* [n] p(s_0) before the first observation */
    unsigned char *avoid;     /* [n] cells to avoid (an episode ended there without the goal) */
    unsigned char *visited;   /* [n] cells its data has been in (all, for the truth) */
    unsigned char *tried;     /* [na][n] moves its data holds (at least half an expected one; all, for the truth) */
    int ctx_cells;            /* 0, or in a world with hidden contexts its cells (states k * ctx_cells + cell;
                                 set by the agent): see the belief filter below */
} genmodel_t;

/* Buffers for n cells, na actions, b_width successor and a_width observation
 * slots (efe_model_alloc; the rest from arena ar).  0, or -1 (no memory).
 * Starts as "no knowledge": every row of A and B empty, start uniform. */
int  genmodel_alloc(genmodel_t *g, arena_t *ar, int n, int na, int b_width, int a_width);
/* The same with no observations (a context world's model: n_cells * n_sym). */
int  genmodel_alloc_obs(genmodel_t *g, arena_t *ar, int n, int no, int na, int b_width, int a_width);
void genmodel_free(genmodel_t *g);

/* The world's truth: its A and B, start distribution and holes (task_truth_t).
 * 0, or -1 if the sizes do not fit the buffers. */
int  genmodel_from_truth(genmodel_t *g, const task_truth_t *truth);

/* Make the rows of B of cell s stay put (an absorbing cell). */
void genmodel_absorb(genmodel_t *g, int s);

/* The support of the data: from each move (s, a) the data holds (`tried`)
 * whose successors include a cell the data has been in, drop those it has
 * never been in, and renormalise (docs/diffusion-aif.md, "Support of the
 * data").  A move never made keeps what the source says of it. */
void genmodel_restrict_to_visited(genmodel_t *g);

/* The support of the moves (`support: moves`): from each move (s, a) the data
 * holds (`tried`), drop every successor the data never shows that move
 * reaching, and renormalise; what the data shows is a local table
 * (idx_seen, count: [na][n][width], latent.h's cB) in which a successor
 * counts with at least min_count moves.  A move whose shown successors carry
 * no probability, or a move never made, keeps what the source says. */
void genmodel_restrict_to_moves(genmodel_t *g, const int *idx_seen, const double *count, int width,
                                double min_count);

/* ln p~(o) [no] for an agent planning on g with preference pref in task's
 * world: efe_log_preferences with g's cells to avoid; in a world with hidden
 * contexts efe_log_preferences_ctx, a location to avoid being one where a
 * state of any context is to avoid (scratch: [n_cells]). */
void genmodel_preferences(const genmodel_t *g, const efe_pref_t *pref, const task_t *task, unsigned char *scratch,
                          double *lnp);

/* Belief filtering (exact Bayes on the model).  q: [n].
 * begin: q(s_0) proportional to start(s) p(o_0|s) (if o_0 has probability 0
 * under that, the normalised likelihood p(o_0|.) alone: efe_observe);
 * step:  q(s') proportional to sum_s q(s) p(s'|s,a) p(o|s') (tmp: [n]).
 * With ctx_cells, an observation of probability 0 under the prediction (a
 * move the model never predicts: a slip its transitions leave out) restarts
 * the cells from the evidence within each context but keeps the predicted
 * belief about the context, q(k, c) proportional to p_k p(o|k, c) with p_k
 * the prediction's mass on context k: the context is kept by the model, and
 * a surprise about the location says nothing about it (unless p(o|k, .) is 0
 * in every context the prediction holds: the evidence alone). */
void genmodel_belief_begin(const genmodel_t *g, int o0, double *q);
void genmodel_belief_step(const genmodel_t *g, int a, int o, double *q, double *tmp);

#endif
