/* env: the world's side of the agent interface (include/env.h). */
#include "env.h"
#include <stdlib.h>
#include <string.h>

void env_init(env_t *e, const gridworld_t *g, rng_t *rng) {
    e->g = g;
    e->rng = rng;
    e->s = g->start;
    e->visits = NULL;
}

void env_count_visits(env_t *e, long *visits) { e->visits = visits; }

int env_reset(env_t *e) {
    e->s = e->g->start;
    if (e->visits) e->visits[e->s]++;
    return gw_observe(e->g, e->s, e->rng);
}

int env_step(env_t *e, int a, double *reward, int *outcome) {
    const gridworld_t *g = e->g;
    e->s = gw_step(g, e->s, a, e->rng);
    int o = gw_observe(g, e->s, e->rng);
    if (e->visits) e->visits[e->s]++;
    if (reward) *reward = gw_reward(g, e->s);
    if (outcome) *outcome = !gw_terminal(g, e->s) ? ENV_RUNNING : e->s == g->goal ? ENV_GOAL : ENV_FAILED;
    return o;
}

static int row_nonzeros(const double *row, int n) {
    int k = 0;
    for (int j = 0; j < n; j++) k += row[j] > 0.0;
    return k;
}

int env_true_model(efe_model_t *m, const gridworld_t *g) {
    int n = g->n_states, no = g->n_obs, na = g->n_actions, bw = 1, aw = 1;
    for (int r = 0; r < na * n; r++) {
        int k = row_nonzeros(g->B + (size_t)r * n, n);
        if (k > bw) bw = k;
    }
    for (int s = 0; s < n; s++) {
        int k = row_nonzeros(g->A + (size_t)s * no, no);
        if (k > aw) aw = k;
    }
    if (efe_model_alloc(m, n, no, na, bw, aw)) return -1;
    for (int r = 0; r < na * n; r++) {
        const double *row = g->B + (size_t)r * n;
        int k = 0;
        for (int s2 = 0; s2 < n; s2++)
            if (row[s2] > 0.0) {
                m->b_idx[(size_t)r * bw + k] = s2;
                m->b_p[(size_t)r * bw + k] = row[s2];
                k++;
            }
    }
    memcpy(m->A, g->A, sizeof(double) * (size_t)n * no);
    for (int s = 0; s < n; s++) {
        const double *row = g->A + (size_t)s * no;
        int k = 0;
        for (int o = 0; o < no; o++)
            if (row[o] > 0.0) {
                m->a_idx[(size_t)s * aw + k] = o;
                m->a_p[(size_t)s * aw + k] = row[o];
                k++;
            }
        m->H_A[s] = g->H_A[s];
    }
    return 0;
}

int world_knowledge_build(world_knowledge_t *k, const gridworld_t *g) {
    const int n = g->n_states;
    memset(k, 0, sizeof *k);
    k->failure = calloc((size_t)n, 1);
    k->wall = calloc((size_t)n, 1);
    k->oracle_dist = malloc(sizeof(int) * (size_t)n);
    if (!k->failure || !k->wall || !k->oracle_dist || env_true_model(&k->model, g)) {
        world_knowledge_free(k);
        return -1;
    }
    for (int s = 0; s < n; s++) {
        k->failure[s] = g->cells[s] == 'H';
        k->wall[s] = g->cells[s] == '#';
        k->oracle_dist[s] = g->cells[s] == 'H' ? TASK_DIST_HOLE : g->dist[s] >= 0 ? g->dist[s] : TASK_DIST_UNREACHABLE;
    }
    k->truth = (task_truth_t){&k->model, g->start, k->failure, k->wall};
    return 0;
}

void world_knowledge_free(world_knowledge_t *k) {
    efe_model_free(&k->model);
    free(k->failure);
    free(k->wall);
    free(k->oracle_dist);
    memset(k, 0, sizeof *k);
}

/* The state labels: the privileged channel of TASK_NEEDS_LABELS. */
static int label_cell(const env_t *e) { return e->s; }
static const task_labels_t env_labels = {label_cell};

void task_from_world(task_t *t, const gridworld_t *g, const world_knowledge_t *k, unsigned needs) {
    memset(t, 0, sizeof *t);
    memcpy(t->name, g->name, sizeof t->name);
    t->name[sizeof t->name - 1] = '\0';
    t->rows = g->rows;
    t->cols = g->cols;
    t->n_cells = g->n_states;
    t->n_actions = g->n_actions;
    t->goal = g->goal;
    t->max_steps = g->max_steps;
    if (k && (needs & TASK_NEEDS_ORACLE)) t->oracle_dist = k->oracle_dist;
    if (k && (needs & TASK_NEEDS_TRUTH)) t->truth = &k->truth;
    if (needs & TASK_NEEDS_LABELS) t->labels = &env_labels;
}
