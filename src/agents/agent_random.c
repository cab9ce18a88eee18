/* random: uniform actions; the baseline with no learning at all. */
/* An agent sees only its view of the task: gridworld.h and env.h refuse to
 * compile here (task.h). */
#define AIF_AGENT_VIEW_ONLY
#include <stdlib.h>
#include "interface/agents.h"

typedef struct { int n_actions; } random_agent_t;

static void *random_create(const task_t *task, const double *pv, rng_t *init_rng, char *err, size_t n) {
    random_agent_t *a = malloc(sizeof *a);
    if (a) a->n_actions = task->n_actions;
    return a;
}

/* It does not learn, so it spends none of its budget. */
static int random_train(void *self, env_t *env, rng_t *agent_rng, train_log_t *log, char *err, size_t n) {
    log->steps_used = 0;
    return 0;
}

static void random_begin(void *self, int obs0) {}

static int random_act(void *self, int obs, rng_t *rng, decision_t *d) {
    random_agent_t *a = self;
    int act = (int)rng_below(rng, (uint32_t)a->n_actions);
    for (int i = 0; i < a->n_actions; i++) d->p_action[i] = 1.0f / (float)a->n_actions;
    d->action = act;
    return act;
}

static void random_destroy(void *self) { free(self); }

const agent_class_t agent_random = {
    .name = "random",
    .help = "uniformly random actions (no learning)",
    .params = NULL,
    .n_params = 0,
    .ckpt_floats = NULL,
    .create = random_create,
    .train = random_train,
    .begin_episode = random_begin,
    .act = random_act,
    .destroy = random_destroy,
};
