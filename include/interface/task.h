/* task: what an agent is told, and the environment it acts in.
 *
 * An agent knows the grid's shape (to decode coordinates), its actions, the
 * goal's observation, the episode cap, and its own experience.  Never the map,
 * the observability levels, shortest-path distances, A or B: no field here
 * holds them, and the learning agents' sources cannot reach the world's
 * definition (gridworld.h) at all; tests/test_view.py checks their include
 * graph.
 *
 * An agent learns from what it experiences: in training, env_reset and
 * env_step give it its observation, the world's reward and how the step ended
 * the episode (goal, or ended without it); never the hidden (true) cell.
 *
 * Three kinds of knowledge are handed over only when an agent's parameters ask
 * for them (agent_class_t.needs), and are labelled as what they are:
 *   - TASK_NEEDS_ORACLE: shortest-path distances on the true map, for the
 *     `oracle-distance` preference (an ablation: it is the optimal value
 *     function in disguise) and q-learning's matching shaping;
 *   - TASK_NEEDS_TRUTH: the world's true A and B, its start cell and which
 *     cells end an episode without the goal: exact-aif with `model: true`,
 *     the reference that by definition has the true model;
 *   - TASK_NEEDS_LABELS: the true cell after each training step, for the
 *     paper's reading of Algorithm 1 (the state z logged in the training
 *     data: `state_labels: true`, a privileged-information ablation).
 *
 * Cells are numbered row-major, s = row * cols + col, row 0 at the top.
 * Observations are cells too (n_obs == n_cells), except in a world with hidden
 * contexts, where an observation is a location and a symbol (n_obs =
 * n_cells * n_sym) and the goal is the reward symbol wherever it is seen. */
#ifndef AIF_TASK_H
#define AIF_TASK_H
#include <stddef.h>

enum { ACT_UP = 0, ACT_DOWN = 1, ACT_LEFT = 2, ACT_RIGHT = 3, ACT_STAY = 4 };
#define TASK_MAX_ACTIONS 5
#define TASK_MAX_CONTEXTS 9
extern const char *const task_action_names[TASK_MAX_ACTIONS]; /* "up","down","left","right","stay" */

/* oracle_dist values besides distances. */
#define TASK_DIST_UNREACHABLE (-1)   /* wall or floor cut off from the goal */
#define TASK_DIST_HOLE (-2)          /* a hole: entering it ends the episode without the goal */

struct efe_model;

/* The reference's knowledge of the true world (TASK_NEEDS_TRUTH only).  Its
 * arrays have one entry per state: n_cells, or n_cells * n_contexts in a
 * context world (state k * n_cells + cell; env.h). */
typedef struct {
    const struct efe_model *model;     /* the true A and B (efe.h) */
    int start;                         /* start cell */
    const unsigned char *failure;      /* [n] 1: entering it ends the episode without the goal */
    const unsigned char *wall;         /* [n] 1: a wall (never entered, never observed) */
    const double *start_p;             /* [n] p(s_0) */
} task_truth_t;

enum { TASK_NEEDS_ORACLE = 1u, TASK_NEEDS_TRUTH = 2u, TASK_NEEDS_LABELS = 4u };

/* Opaque: defined on the world's side (env.h), never visible to an agent. */
typedef struct env env_t;

/* The state labels (TASK_NEEDS_LABELS only): the true cell the environment is
 * in after the last env_reset / env_step. */
typedef struct {
    int (*cell)(const env_t *e);
} task_labels_t;

typedef struct {
    char name[64];          /* the world's name, for messages */
    int rows, cols, n_cells;
    int n_actions;          /* 4, or 5 with stay */
    int n_contexts;         /* K hidden contexts (1: none; docs/contexts.md) */
    int n_sym;              /* symbols per location: 1, or K + 2 (0 nothing, 1..K cue symbols, K + 1 reward) */
    int n_obs;              /* observations: n_cells * n_sym, o = sym * n_cells + location */
    int goal;               /* the goal's observation (its cell); -1 in a context world */
    int goal_sym;           /* a context world's rewarded outcome: the symbol K + 1; -1 without contexts */
    int max_steps;          /* episode cap */
    long train_steps;       /* the run's training budget in environment steps: train's
                               log->budget never exceeds it (0: not known, no training) */
    const int *oracle_dist; /* [n_cells] or NULL: see TASK_NEEDS_ORACLE */
    const task_truth_t *truth; /* or NULL: see TASK_NEEDS_TRUTH */
    const task_labels_t *labels; /* or NULL: see TASK_NEEDS_LABELS */
} task_t;

/* Coordinates of cell s scaled to [-1, 1] (x: column, y: row), and the cell
 * nearest to a point in that scale: the grid's shape is all they use. */
void task_cell_to_xy(const task_t *t, int s, float *x, float *y);
int  task_xy_to_cell(const task_t *t, float x, float y);
/* 1 if observation o is the goal's (the goal's cell, or the reward symbol). */
static inline int task_goal_obs(const task_t *t, int o) {
    return t->n_contexts > 1 ? o / t->n_cells == t->goal_sym : o == t->goal;
}
/* Moves between cells ignoring walls: where action a leads from s on an open
 * grid of this shape (the border stops it). */
int  task_neighbour(const task_t *t, int s, int a);
/* |drow| + |dcol| between two cells. */
int  task_manhattan(const task_t *t, int s1, int s2);

/* ---- the environment an agent trains in ------------------------------------------ */

/* How a step ended the episode, if it did. */
enum { ENV_RUNNING = 0, ENV_GOAL = 1, ENV_FAILED = 2 };

/* Start an episode: returns the first observation. */
int env_reset(env_t *e);
/* Take action a: returns the next observation; *reward the world's reward,
 * *outcome ENV_RUNNING / ENV_GOAL / ENV_FAILED (either may be NULL).  The
 * step cap is the agent's to keep (task.max_steps).  Neither call tells the
 * true cell: only task_t.labels does, for an agent that asked for it. */
int env_step(env_t *e, int a, double *reward, int *outcome);

#endif
