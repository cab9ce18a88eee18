/* explore: directed exploration from the agent's own experience.
 *
 * In active inference the epistemic value of a move includes the information
 * it brings about the model's parameters ("novelty"): for Dirichlet counts of
 * the transitions it shrinks as 1 / count (Friston et al. 2017, "Active
 * inference, curiosity and insight", Neural Comput. 29; Schwartenbeck et al.
 * 2019, eLife 8).  The explorer makes that drive plan: it keeps the counts
 * n(s, a, s') of the moves the agent has made between the states it takes
 * itself to be in (diffusion-aif: the states it infers from its observations,
 * docs/latent.md; the cells are just labels here), and chooses the move that
 * minimises, by backward induction over the states seen so far,
 *   Q(s, a) = -novelty                                   if the move was never made (n(s, a) = 0)
 *           = min(-novelty / sqrt(1 + n(s, a)) + e(s, a) dead_end,  sum_s' p(s'|s,a) (1 + V(s')))   otherwise,
 *   V(s)    = min_a Q(s, a),    V = dead_end on a state where an episode ended,
 * with p the counts' frequencies and e(s, a) the share of the move's
 * successors where an episode ended: a step costs 1, and making a move is
 * worth its information, novelty / sqrt(1 + n) for a move made n times (a
 * count-based bonus as in MBIE-EB, Strehl & Littman 2008; the whole of
 * `novelty` for a move never made, since nothing is known of where it leads),
 * less the episode it ends where it ended one before (a move into a hole is
 * bought with the rest of the episode), after which the plan ends.  So it walks to the nearest cell with a move it
 * has never made and makes it; once every move within reach has been made, it
 * walks to the moves it has made least for their distance, so its data covers
 * every move of the maze (a random walk would leave its far end nearly
 * unseen); and it keeps away from the cells where its episodes ended (holes,
 * and the goal once found).  It knows only the cells it has been in and the moves it
 * has made there: no map, no model beyond its counts; ties are broken at
 * random. */
#ifndef AIF_EXPLORE_H
#define AIF_EXPLORE_H
#include "core/rng.h"

#define EXPLORE_WIDTH 6   /* successor slots per (cell, action): itself, 4 neighbours, one spare */

typedef struct {
    int n, na;
    double novelty;             /* the worth of a move never made */
    double dead_end;            /* V of a cell where an episode ended */
    int *succ;                  /* [n][na][EXPLORE_WIDTH] successors seen (-1: free slot) */
    int *cnt;                   /* [n][na][EXPLORE_WIDTH] times seen */
    int *tried;                 /* [n][na] times the move was made */
    unsigned char *ended;       /* [n] an episode ended on entering it */
    unsigned char *seen;        /* [n] the agent has been there */
    double *V;                  /* [n] */
    double *now;                /* [n][na] the worth of making the move now (q_value's first term) */
    double *p;                  /* [n][na][EXPLORE_WIDTH] the successors' frequencies cnt / tried */
    int dirty;                  /* counts changed since the last solve */
} explorer_t;

/* 0, or -1 (no memory). */
int  explorer_alloc(explorer_t *x, int n_cells, int n_actions, double novelty, double dead_end);
void explorer_free(explorer_t *x);
/* Forget every count (keeps the memory and the settings). */
void explorer_clear(explorer_t *x);
/* Experience: the agent was in s (e.g. at the start of an episode), made move
 * a from s and arrived in s2, an episode ended on entering s. */
void explorer_visit(explorer_t *x, int s);
void explorer_step(explorer_t *x, int s, int a, int s2);
void explorer_ended(explorer_t *x, int s);
/* The move to make in s (re-solves the values first if the counts changed). */
int  explorer_act(explorer_t *x, int s, rng_t *r);

#endif
