/* gridworld: maps, transitions, the observation model, shortest-path distances.
 *
 * Cells are numbered row-major, s = row * cols + col, row 0 at the top.  Every
 * cell is a state (walls included, though no walk ever enters one); the
 * observation space is the same set of cells, so n_obs == n_states.
 *
 * Cell kinds (FrozenLake letters plus '#'): 'S' start, 'F' floor, 'H' hole,
 * 'G' goal, '#' wall.  Entering a hole ends the episode without success; the
 * goal ends it with success.  Both are absorbing in B.
 *
 * Moves: the intended direction with probability 1 - slip, otherwise each of the
 * two perpendicular directions with probability slip / 2.  A move into the
 * border or a wall leaves the agent where it is.  ACT_STAY (only if n_actions
 * is 5) never slips.
 *
 * Observations: in cell s the agent sees s with probability eta[s]; otherwise
 * it sees a cell drawn uniformly from the noise kernel of s: the non-wall cells
 * other than s within Chebyshev distance noise_radius (1 = the 3x3
 * neighbourhood).  If that set is empty it sees s.  This is the likelihood
 * A[s][o] = p(o | s), whose entropy varies with eta.
 *
 * Contexts (docs/contexts.md).  A map with goal digits '1'..'9' instead of
 * 'G' has K >= 2 hidden contexts: each episode draws context k (ctx_prob) and
 * keeps it; the goal of context k is the cell of digit k + 1, and entering
 * another context's goal ends the episode without success (like a hole).
 * Cells 'C' are cues (floor otherwise).  An observation is then a location
 * (drawn as above) and a symbol: 0 = nothing, 1 + j = cue symbol j (at a cue
 * cell: the context's own, 1 + k, with probability cue_rel, else one of the
 * other K - 1 uniformly), K + 1 = reward (entering the context's goal):
 * n_sym = K + 2 symbols, observation index sym * n_states + location.  The
 * fields above stay the cells' (n_states, n_obs, A, B, dist over cells); the
 * joint model over (cell, context) is env.h's.  Without digits K = 1, n_sym =
 * 1 and nothing changes. */
#ifndef AIF_GRIDWORLD_H
#define AIF_GRIDWORLD_H
#ifdef AIF_AGENT_VIEW_ONLY
#error "an agent source must not see the world's definition: it gets only its view (task.h)"
#endif
#include <stddef.h>
#include "core/rng.h"
#include "interface/task.h"   /* the actions (ACT_*) */

#define GW_MAX_ACTIONS TASK_MAX_ACTIONS
#define GW_MAX_CONTEXTS TASK_MAX_CONTEXTS

/* What a job file says about one world (filled by jobspec, consumed by gw_build). */
typedef struct {
    char name[64];
    int rows, cols;          /* size; "size: N" gives N x N */
    char *map;               /* rows*cols letters, row-major, or NULL: all 'F' with
                                start top-left and goal bottom-right */
    int start, goal;         /* cells; -1 = take from the map ('S', 'G') or default corners */
    double slip;             /* [0, 1) */
    double *eta;             /* rows*cols observability levels in [0,1], or NULL: all eta_all */
    double eta_all;          /* used when eta == NULL; 1.0 = fully observable */
    int noise_radius;        /* >= 1 */
    int max_steps;           /* episode cap, >= 1 */
    int n_actions;           /* 4 or 5 (with stay) */
    double step_reward;      /* reward per step (e.g. -0.01), default 0 */
    double goal_reward;      /* reward for reaching the goal, default 1 */
    double hole_reward;      /* reward for falling in a hole, default 0 */
    int n_ctx_prob;          /* context worlds: probabilities given (0 = uniform) */
    double ctx_prob[GW_MAX_CONTEXTS];
    double cue_reliability;  /* context worlds: p(the cue shows the context's own symbol), default 1 */
} gw_spec_t;

typedef struct {
    char name[64];
    int rows, cols, n_states, n_obs, n_actions;
    int start, goal, max_steps;
    double slip, step_reward, goal_reward, hole_reward;
    int noise_radius;
    char *cells;    /* [n_states] kind letters */
    double *eta;    /* [n_states] */
    double *B;      /* [n_actions][n_states][n_states]: B[(a*n + s)*n + s2] = p(s2 | s, a); rows sum to 1 */
    double *A;      /* [n_states][n_obs]: A[s*n_obs + o] = p(o | s); rows sum to 1 */
    double *H_A;    /* [n_states]: entropy (nats) of p(o | s) */
    int *dist;      /* [n_states]: fewest moves to the goal ignoring slips; -1 if unreachable or a wall */
    int *next;      /* [n_actions][n_states]: deterministic successor (no slip) */
    int n_contexts; /* K: 1 without contexts */
    int n_sym;      /* symbols per location: 1, or K + 2 */
    int ctx_goal[GW_MAX_CONTEXTS];   /* goal cell of each context (ctx_goal[0] == goal) */
    double ctx_prob[GW_MAX_CONTEXTS];
    double cue_rel;
    int n_cues;
    double opt_steps; /* context worlds: expected fewest moves (no slip) via the best cue, then the
                         context's goal, never through another goal; without contexts dist[start] */
} gridworld_t;

/* Defaults: 4x4, no map, start top-left, goal bottom-right, slip 0, fully
 * observable, noise_radius 1, max_steps 100, 4 actions, rewards step 0 /
 * goal 1 / hole 0.  The spec does not own map or eta memory: the caller does. */
void gw_spec_init(gw_spec_t *spec);
/* The hidden contexts the spec's map declares (its highest goal digit; 1: none). */
int  gw_spec_contexts(const gw_spec_t *spec);

/* Build a world from its spec.  Returns 0, or -1 with a message in err
 * (e.g. goal unreachable from start, start on a wall).  gw_free releases it. */
int  gw_build(gridworld_t *g, const gw_spec_t *spec, char *err, size_t errlen);
void gw_free(gridworld_t *g);

static inline int gw_row(const gridworld_t *g, int s) { return s / g->cols; }
static inline int gw_col(const gridworld_t *g, int s) { return s % g->cols; }
/* 1 if the episode ends on entering s (goal or hole). */
int  gw_terminal(const gridworld_t *g, int s);

/* Sample s' ~ B(. | s, a) and o ~ A(s, .).  Both consume the given stream only. */
int  gw_step(const gridworld_t *g, int s, int a, rng_t *r);
int  gw_observe(const gridworld_t *g, int s, rng_t *r);
/* Reward for arriving in s2 (goal / hole / step reward). */
double gw_reward(const gridworld_t *g, int s2);

/* Context worlds.  The symbol observed in cell s in context k (draws: at a
 * cue cell with cue_rel < 1, one rng_uniform and, when it says "another
 * symbol", one rng_below(K - 1); nothing elsewhere), and its probability. */
int    gw_symbol(const gridworld_t *g, int s, int k, rng_t *r);
double gw_symbol_p(const gridworld_t *g, int s, int k, int sym);
/* 1 if entering s in context k is a success, 0 otherwise (for any world). */
static inline int gw_success(const gridworld_t *g, int s, int k) {
    return g->n_contexts > 1 ? s == g->ctx_goal[k] : s == g->goal;
}
/* Fewest moves from src to every cell (no slip), never through a terminal
 * cell (one can be the last); -1 where unreachable.  0, or -1 (no memory). */
int    gw_bfs(const gridworld_t *g, int src, int *out);

#endif
