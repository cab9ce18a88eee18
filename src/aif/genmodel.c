/* genmodel: the model an active-inference agent plans with (include/aif/genmodel.h). */
#include "aif/genmodel.h"
#include <math.h>
#include <string.h>

int genmodel_alloc(genmodel_t *g, arena_t *ar, int n, int na, int b_width, int a_width) {
    return genmodel_alloc_obs(g, ar, n, n, na, b_width, a_width);
}

int genmodel_alloc_obs(genmodel_t *g, arena_t *ar, int n, int no, int na, int b_width, int a_width) {
    memset(g, 0, sizeof *g);
    g->n = n;
    g->no = no;
    g->na = na;
    g->start = arena_alloc(ar, (size_t)n, sizeof(double));
    g->avoid = arena_alloc(ar, (size_t)n, 1);
    g->visited = arena_alloc(ar, (size_t)n, 1);
    g->tried = arena_alloc(ar, (size_t)n * na, 1);
    if (!arena_ok(ar) || efe_model_alloc(&g->m, n, no, na, b_width, a_width) != 0) return -1;
    for (int s = 0; s < n; s++) g->start[s] = 1.0 / n;
    return 0;
}

void genmodel_free(genmodel_t *g) { efe_model_free(&g->m); }

int genmodel_from_truth(genmodel_t *g, const task_truth_t *truth) {
    const efe_model_t *t = truth->model;
    efe_model_t *m = &g->m;
    if (t->n_states != g->n || t->n_obs != g->no || t->n_actions != g->na || t->b_width > m->b_width ||
        t->a_width > m->a_width)
        return -1;
    const int n = g->n;
    for (int r = 0; r < g->na * n; r++)
        for (int k = 0; k < m->b_width; k++) {
            m->b_idx[(size_t)r * m->b_width + k] = k < t->b_width ? t->b_idx[(size_t)r * t->b_width + k] : -1;
            m->b_p[(size_t)r * m->b_width + k] = k < t->b_width ? t->b_p[(size_t)r * t->b_width + k] : 0.0;
        }
    for (int s = 0; s < n; s++)
        for (int k = 0; k < m->a_width; k++) {
            m->a_idx[(size_t)s * m->a_width + k] = k < t->a_width ? t->a_idx[(size_t)s * t->a_width + k] : -1;
            m->a_p[(size_t)s * m->a_width + k] = k < t->a_width ? t->a_p[(size_t)s * t->a_width + k] : 0.0;
        }
    memcpy(m->A, t->A, sizeof(double) * (size_t)n * (size_t)g->no);
    memcpy(m->H_A, t->H_A, sizeof(double) * (size_t)n);
    for (int s = 0; s < n; s++) {
        g->start[s] = truth->start_p ? truth->start_p[s] : s == truth->start;
        g->avoid[s] = truth->failure[s];
        g->visited[s] = 1;
    }
    memset(g->tried, 1, (size_t)n * g->na);
    return 0;
}

void genmodel_absorb(genmodel_t *g, int s) {
    efe_model_t *m = &g->m;
    for (int a = 0; a < g->na; a++) {
        const size_t base = ((size_t)a * g->n + s) * m->b_width;
        m->b_idx[base] = s;
        m->b_p[base] = 1.0;
        for (int k = 1; k < m->b_width; k++) {
            m->b_idx[base + k] = -1;
            m->b_p[base + k] = 0.0;
        }
    }
}

void genmodel_restrict_to_visited(genmodel_t *g) {
    efe_model_t *m = &g->m;
    const int bw = m->b_width;
    for (int r = 0; r < g->na * g->n; r++) {
        int *idx = m->b_idx + (size_t)r * bw;
        double *p = m->b_p + (size_t)r * bw, kept = 0.0;
        if (!g->tried[r]) continue;
        for (int k = 0; k < bw && idx[k] >= 0; k++)
            if (g->visited[idx[k]]) kept += p[k];
        if (kept <= 0.0) continue; /* reaches no visited cell (or only with probability 0): as it is */
        kept = 0.0;
        int j = 0;
        for (int k = 0; k < bw && idx[k] >= 0; k++)
            if (g->visited[idx[k]]) {
                idx[j] = idx[k];
                p[j] = p[k];
                kept += p[j++];
            }
        for (int k = 0; k < j; k++) p[k] /= kept;
        for (int k = j; k < bw; k++) { idx[k] = -1; p[k] = 0.0; }
    }
}

/* Whether the data holds successor t of a move: a slot of its local table
 * (si, sc: width slots) names t with at least min_count moves. */
static int seen_successor(const int *si, const double *sc, int width, int t, double min_count) {
    for (int i = 0; i < width && si[i] >= 0; i++)
        if (si[i] == t && sc[i] >= min_count) return 1;
    return 0;
}

void genmodel_restrict_to_moves(genmodel_t *g, const int *idx_seen, const double *count, int width,
                                 double min_count) {
    efe_model_t *m = &g->m;
    const int bw = m->b_width;
    for (int r = 0; r < g->na * g->n; r++) {
        int *idx = m->b_idx + (size_t)r * bw;
        double *p = m->b_p + (size_t)r * bw, kept = 0.0;
        const int *si = idx_seen + (size_t)r * width;
        const double *sc = count + (size_t)r * width;
        if (!g->tried[r]) continue;
        for (int k = 0; k < bw && idx[k] >= 0; k++)
            if (seen_successor(si, sc, width, idx[k], min_count)) kept += p[k];
        if (kept <= 0.0) continue; /* nothing the data shows has mass: as it is */
        int j = 0;
        for (int k = 0; k < bw && idx[k] >= 0; k++)
            if (seen_successor(si, sc, width, idx[k], min_count)) {
                idx[j] = idx[k];
                p[j++] = p[k] / kept;
            }
        for (int k = j; k < bw; k++) { idx[k] = -1; p[k] = 0.0; }
    }
}

/* After efe_observe found o impossible under prior (and set q to the
 * evidence alone): in a context world, weight the evidence within each
 * context by prior's mass on that context. */
static void keep_context(const genmodel_t *g, const double *prior, int o, double *q) {
    const int nc = g->ctx_cells, K = g->n / nc, no = g->no;
    double pk[TASK_MAX_CONTEXTS] = {0}, z = 0.0;
    if (K > TASK_MAX_CONTEXTS) return;
    for (int k = 0; k < K; k++) {
        for (int c = 0; c < nc; c++) pk[k] += prior[k * nc + c];
        for (int c = 0; c < nc; c++) z += pk[k] * g->m.A[(size_t)(k * nc + c) * no + o];
    }
    if (!(z > 0.0 && isfinite(z))) return;
    for (int k = 0; k < K; k++)
        for (int c = 0; c < nc; c++) q[k * nc + c] = pk[k] * g->m.A[(size_t)(k * nc + c) * no + o] / z;
}

void genmodel_belief_begin(const genmodel_t *g, int o0, double *q) {
    memcpy(q, g->start, sizeof(double) * (size_t)g->n);
    if (efe_observe(&g->m, q, o0) && g->ctx_cells > 0) keep_context(g, g->start, o0, q);
}

void genmodel_belief_step(const genmodel_t *g, int a, int o, double *q, double *tmp) {
    efe_predict_states(&g->m, a, q, tmp);
    memcpy(q, tmp, sizeof(double) * (size_t)g->n);
    if (efe_observe(&g->m, q, o) && g->ctx_cells > 0) keep_context(g, tmp, o, q);
}

void genmodel_preferences(const genmodel_t *g, const efe_pref_t *pref, const task_t *task, unsigned char *scratch,
                          double *lnp) {
    const int nc = task->n_cells;
    if (task->n_contexts > 1) {
        memset(scratch, 0, (size_t)nc);
        for (int s = 0; s < g->n; s++) scratch[s % nc] |= g->avoid[s];
        efe_log_preferences_ctx(pref, nc, task->n_sym, task->goal_sym, scratch, lnp);
    } else {
        efe_log_preferences(pref, task->rows, task->cols, task->goal, task->oracle_dist, g->avoid, lnp);
    }
}
