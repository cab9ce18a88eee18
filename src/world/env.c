/* env: the world's side of the agent interface (include/world/env.h). */
#include "world/env.h"
#include <stdlib.h>
#include <string.h>

void env_init(env_t *e, const gridworld_t *g, rng_t *rng) {
    e->g = g;
    e->rng = rng;
    e->s = g->start;
    e->ctx = 0;
    e->visits = NULL;
}

/* The observation index of location o with the symbol of cell s in the
 * episode's context (just o without contexts: no draw). */
static int observe(env_t *e, int s) {
    const gridworld_t *g = e->g;
    int o = gw_observe(g, s, e->rng);
    return g->n_contexts > 1 ? gw_symbol(g, s, e->ctx, e->rng) * g->n_states + o : o;
}

void env_count_visits(env_t *e, long *visits) { e->visits = visits; }

int env_reset(env_t *e) {
    const gridworld_t *g = e->g;
    e->s = g->start;
    if (g->n_contexts > 1) { /* one draw: the context, by its probabilities */
        double u = rng_uniform(e->rng), c = 0.0;
        e->ctx = g->n_contexts - 1;
        for (int k = 0; k < g->n_contexts - 1; k++)
            if (u < (c += g->ctx_prob[k])) { e->ctx = k; break; }
    }
    if (e->visits) e->visits[e->s]++;
    return observe(e, e->s);
}

int env_step(env_t *e, int a, double *reward, int *outcome) {
    const gridworld_t *g = e->g;
    e->s = gw_step(g, e->s, a, e->rng);
    int o = observe(e, e->s);
    if (e->visits) e->visits[e->s]++;
    const int end = !gw_terminal(g, e->s) ? ENV_RUNNING : gw_success(g, e->s, e->ctx) ? ENV_GOAL : ENV_FAILED;
    if (reward)
        *reward = g->n_contexts == 1 ? gw_reward(g, e->s)
                  : end == ENV_GOAL  ? g->goal_reward
                  : end == ENV_FAILED ? g->hole_reward : g->step_reward;
    if (outcome) *outcome = end;
    return o;
}

static int row_nonzeros(const double *row, int n) {
    int k = 0;
    for (int j = 0; j < n; j++) k += row[j] > 0.0;
    return k;
}

/* The joint model of a context world (env_true_model). */
static int joint_model(efe_model_t *m, const gridworld_t *g) {
    const int nc = g->n_states, K = g->n_contexts, ns = g->n_sym, na = g->n_actions;
    const int n = nc * K, no = nc * ns;
    int bw = 1, aw = 1;
    for (int r = 0; r < na * nc; r++) {
        int k = row_nonzeros(g->B + (size_t)r * nc, nc);
        if (k > bw) bw = k;
    }
    for (int s = 0; s < nc; s++) {
        int k = row_nonzeros(g->A + (size_t)s * nc, nc);
        if (k * K > aw) aw = k * K; /* a cue cell: every location of the row with each cue symbol */
    }
    if (efe_model_alloc(m, n, no, na, bw, aw)) return -1;
    for (int k = 0; k < K; k++)
        for (int a = 0; a < na; a++)
            for (int c = 0; c < nc; c++) {
                const double *row = g->B + ((size_t)a * nc + c) * nc;
                const size_t r = (size_t)a * n + (size_t)k * nc + c;
                int j = 0;
                for (int c2 = 0; c2 < nc; c2++)
                    if (row[c2] > 0.0) {
                        m->b_idx[r * bw + j] = k * nc + c2;
                        m->b_p[r * bw + j] = row[c2];
                        j++;
                    }
            }
    for (int k = 0; k < K; k++)
        for (int c = 0; c < nc; c++) {
            const int s = k * nc + c;
            const double *row = g->A + (size_t)c * nc;
            double *dense = m->A + (size_t)s * no;
            int j = 0;
            for (int sym = 0; sym < ns; sym++) {
                const double ps = gw_symbol_p(g, c, k, sym);
                if (ps <= 0.0) continue;
                for (int o = 0; o < nc; o++)
                    if (row[o] > 0.0) {
                        const int ob = sym * nc + o;
                        dense[ob] = row[o] * ps;
                        m->a_idx[(size_t)s * aw + j] = ob;
                        m->a_p[(size_t)s * aw + j] = dense[ob];
                        j++;
                    }
            }
            efe_model_update_entropy(m, s);
        }
    return 0;
}

int env_true_model(efe_model_t *m, const gridworld_t *g) {
    if (g->n_contexts > 1) return joint_model(m, g);
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
    const int nc = g->n_states, K = g->n_contexts, n = nc * K;
    memset(k, 0, sizeof *k);
    k->failure = calloc((size_t)n, 1);
    k->wall = calloc((size_t)n, 1);
    k->start_p = calloc((size_t)n, sizeof(double));
    k->oracle_dist = malloc(sizeof(int) * (size_t)nc);
    if (!k->failure || !k->wall || !k->start_p || !k->oracle_dist || env_true_model(&k->model, g)) {
        world_knowledge_free(k);
        return -1;
    }
    for (int s = 0; s < nc; s++)
        k->oracle_dist[s] = g->cells[s] == 'H' ? TASK_DIST_HOLE : g->dist[s] >= 0 ? g->dist[s] : TASK_DIST_UNREACHABLE;
    for (int c = 0; c < K; c++) {
        for (int s = 0; s < nc; s++) {
            k->failure[c * nc + s] = g->cells[s] == 'H' || (g->cells[s] == 'G' && !gw_success(g, s, c));
            k->wall[c * nc + s] = g->cells[s] == '#';
        }
        k->start_p[c * nc + g->start] = g->ctx_prob[c];
    }
    k->truth = (task_truth_t){&k->model, g->start, k->failure, k->wall, k->start_p};
    return 0;
}

void world_knowledge_free(world_knowledge_t *k) {
    efe_model_free(&k->model);
    free(k->failure);
    free(k->wall);
    free(k->oracle_dist);
    free(k->start_p);
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
    t->n_contexts = g->n_contexts;
    t->n_sym = g->n_sym;
    t->n_obs = g->n_states * g->n_sym;
    t->goal = g->n_contexts > 1 ? -1 : g->goal;
    t->goal_sym = g->n_contexts > 1 ? g->n_contexts + 1 : -1;
    t->max_steps = g->max_steps;
    if (k && (needs & TASK_NEEDS_ORACLE)) t->oracle_dist = k->oracle_dist;
    if (k && (needs & TASK_NEEDS_TRUTH)) t->truth = &k->truth;
    if (needs & TASK_NEEDS_LABELS) t->labels = &env_labels;
}
