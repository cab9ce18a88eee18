/* env: the bridge between a world and an agent, on the world's side.
 *
 * It builds what an agent is told about a world (task.h) and implements the
 * environment an agent trains in (env_reset / env_step).  It also builds,
 * once per world, what only some may know (world_knowledge_t): the true model
 * for the exact reference agent and for the EFE diagnostic in run.c, and the
 * true map's distances for the `oracle-distance` ablation.  An agent gets a
 * piece of that knowledge only when its parameters ask for it
 * (agent_class_t.needs), through task_t. */
#ifndef AIF_ENV_H
#define AIF_ENV_H
#ifdef AIF_AGENT_VIEW_ONLY
#error "an agent source must not see the world's definition: it gets only its view (task.h)"
#endif
#include "aif/efe.h"
#include "world/gridworld.h"
#include "core/rng.h"
#include "interface/task.h"

struct env {
    const gridworld_t *g;
    rng_t *rng;           /* the environment's stream: slips and observation noise */
    int s;                /* the true cell */
    int ctx;              /* the episode's context (0 in a world without contexts) */
    long *visits;         /* NULL, or [n_states] times each cell was entered or started in */
};

/* An environment on world g drawing from rng (both outlive it); it counts no
 * visits until env_count_visits gives it a zeroed array of n_states. */
void env_init(env_t *e, const gridworld_t *g, rng_t *rng);
void env_count_visits(env_t *e, long *visits);

typedef struct {
    efe_model_t model;        /* the world's A and B, sparse; over (cell, context) in a context world */
    unsigned char *failure;   /* [n] holes (and other contexts' goals) */
    unsigned char *wall;      /* [n] walls */
    double *start_p;          /* [n] p(s_0): the start cell in each context with its probability */
    int *oracle_dist;         /* [n] BFS distance to the goal; TASK_DIST_UNREACHABLE, TASK_DIST_HOLE */
    task_truth_t truth;       /* points into the above */
} world_knowledge_t;

/* 0, or -1 (out of memory).  world_knowledge_free releases it. */
int  world_knowledge_build(world_knowledge_t *k, const gridworld_t *g);
void world_knowledge_free(world_knowledge_t *k);

/* The agent's view of world g: shape, actions, goal, max_steps; plus the
 * oracle distances and the true model from k if `needs` asks for them (k may
 * be NULL unless needs asks for those), and the state labels if it asks for
 * them.  t points into k: k must outlive the agent. */
void task_from_world(task_t *t, const gridworld_t *g, const world_knowledge_t *k, unsigned needs);

/* The world's A and B as a sparse model (nonzero entries).  0 or -1.  In a
 * context world the model is over the joint state s = k * n_cells + cell
 * (n_cells * K states) and the observations o = sym * n_cells + location
 * (n_cells * n_sym): p(s'|s,a) moves the cell within the context, p(o|s) =
 * p(location|cell) p(sym|cell, k) (gridworld.h). */
int  env_true_model(efe_model_t *m, const gridworld_t *g);

/* The episode's context (what the runner records; never an agent's). */
static inline int env_context(const env_t *e) { return e->ctx; }

#endif
