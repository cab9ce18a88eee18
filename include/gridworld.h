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
 * A[s][o] = p(o | s), whose entropy varies with eta. */
#ifndef AIF_GRIDWORLD_H
#define AIF_GRIDWORLD_H
#ifdef AIF_AGENT_VIEW_ONLY
#error "an agent source must not see the world's definition: it gets only its view (task.h)"
#endif
#include <stddef.h>
#include "rng.h"
#include "task.h"   /* the actions (ACT_*) */

#define GW_MAX_ACTIONS TASK_MAX_ACTIONS

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
} gridworld_t;

/* Defaults: 4x4, no map, start top-left, goal bottom-right, slip 0, fully
 * observable, noise_radius 1, max_steps 100, 4 actions, rewards step 0 /
 * goal 1 / hole 0.  The spec does not own map or eta memory: the caller does. */
void gw_spec_init(gw_spec_t *spec);

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

#endif
