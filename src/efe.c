/* efe: expected free energy, preferences, policy posterior (see include/efe.h and
 * docs/efe.md for the formulas and their references). */
#include "efe.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- preferences ------------------------------------------------------------ */

void efe_log_preferences(const gridworld_t *g, const efe_pref_t *pref, double *lnp) {
    int n = g->n_obs, dmax = 0;
    for (int o = 0; o < n; o++)
        if (g->dist[o] > dmax) dmax = g->dist[o];
    const int by_dist = pref->kind == EFE_PREF_DISTANCE;
    /* The lowest value a cell that reaches the goal can have: cells that cannot
     * (walls never emit an observation; enclosed floor may, through noise) get it. */
    const double c_floor = by_dist ? -pref->lambda * (dmax + 1) : 0.0;
    for (int o = 0; o < n; o++) {
        double c;
        if (g->cells[o] == 'H') c = c_floor - pref->hole_penalty;
        else if (g->dist[o] < 0) c = c_floor;
        else if (by_dist) c = -pref->lambda * g->dist[o];
        else c = o == g->goal ? pref->c_goal : 0.0;
        lnp[o] = c;
    }
    double z = efe_logsumexp(lnp, n);
    for (int o = 0; o < n; o++) lnp[o] -= z;
}

/* ---- divergences and terms ------------------------------------------------------ */

double efe_logsumexp(const double *x, int n) {
    double m = -INFINITY;
    for (int i = 0; i < n; i++)
        if (x[i] > m) m = x[i];
    if (!isfinite(m)) return m; /* empty, all -inf, or a +inf/NaN present */
    double s = 0.0;
    for (int i = 0; i < n; i++) s += exp(x[i] - m);
    return m + log(s);
}

void efe_softmax(const double *x, int n, double *out) {
    if (n <= 0) return;
    double m = -INFINITY;
    for (int i = 0; i < n; i++)
        if (x[i] > m) m = x[i];
    if (!isfinite(m)) {
        /* All -inf (or a +inf: nothing sensible to rank): uniform. */
        for (int i = 0; i < n; i++) out[i] = 1.0 / n;
        return;
    }
    double s = 0.0;
    for (int i = 0; i < n; i++) {
        out[i] = exp(x[i] - m); /* <= 1, and the max term is exactly 1: s >= 1 */
        s += out[i];
    }
    for (int i = 0; i < n; i++) out[i] /= s;
}

double efe_entropy(const double *p, int n) {
    double h = 0.0;
    for (int i = 0; i < n; i++)
        if (p[i] > 0.0) h -= p[i] * log(p[i]);
    return h;
}

double efe_kl_log(const double *q, const double *lnp, int n) {
    double kl = 0.0;
    for (int i = 0; i < n; i++)
        if (q[i] > 0.0) kl += q[i] * (log(q[i]) - lnp[i]);
    return kl;
}

double efe_kl(const double *q, const double *p, int n) {
    double kl = 0.0;
    for (int i = 0; i < n; i++)
        if (q[i] > 0.0) kl += q[i] * (log(q[i]) - log(p[i] > EFE_EPS ? p[i] : EFE_EPS));
    return kl;
}

double efe_ambiguity(const double *q_state, const double *H_A, int n_states) {
    double a = 0.0;
    for (int s = 0; s < n_states; s++)
        if (q_state[s] > 0.0) a += q_state[s] * H_A[s];
    return a;
}

/* ---- policy posterior and action selection --------------------------------------- */

void efe_policy_posterior(const double *G, const double *lnE, double gamma, int n, double *P) {
    for (int i = 0; i < n; i++) P[i] = -gamma * G[i] + (lnE ? lnE[i] : 0.0);
    efe_softmax(P, n, P);
}

void efe_action_marginals(const double *P, const int *first, int n, int n_actions, double *p_action) {
    for (int a = 0; a < n_actions; a++) p_action[a] = 0.0;
    for (int i = 0; i < n; i++)
        if (first[i] >= 0 && first[i] < n_actions) p_action[first[i]] += P[i];
}

int efe_select_action(const double *p_action, int n_actions, efe_select_t mode, rng_t *r) {
    if (mode == EFE_SELECT_SAMPLE) return rng_categorical(r, p_action, n_actions);
    double best = -INFINITY;
    for (int a = 0; a < n_actions; a++)
        if (p_action[a] > best) best = p_action[a];
    const double cut = best - 1e-9 * fabs(best);
    int n_tied = 0, pick = 0;
    for (int a = 0; a < n_actions; a++)
        if (p_action[a] >= cut) {
            if (n_tied == 0) pick = a;
            n_tied++;
        }
    if (n_tied <= 1) return pick;
    uint32_t k = rng_below(r, (uint32_t)n_tied);
    for (int a = 0; a < n_actions; a++)
        if (p_action[a] >= cut && k-- == 0) return a;
    return pick;
}

void efe_first_action_summary(const double *G, const double *risk, const double *amb,
                              const int *first, int n, int n_actions, const double *p_action,
                              float *G_out, float *risk_out, float *amb_out, float *p_out) {
    for (int a = 0; a < n_actions; a++) {
        G_out[a] = INFINITY;
        risk_out[a] = amb_out[a] = NAN;
        p_out[a] = (float)p_action[a];
    }
    for (int i = 0; i < n; i++) {
        int a = first[i];
        if (a < 0 || a >= n_actions || !(G[i] < G_out[a])) continue;
        G_out[a] = (float)G[i];
        risk_out[a] = (float)risk[i];
        amb_out[a] = (float)amb[i];
    }
}

/* ---- exact discrete generative model ----------------------------------------------- */

int efe_model_alloc(efe_model_t *m, int n_states, int n_obs, int n_actions, int b_width, int a_width) {
    memset(m, 0, sizeof *m);
    m->n_states = n_states;
    m->n_obs = n_obs;
    m->n_actions = n_actions;
    m->b_width = b_width;
    m->a_width = a_width;
    size_t nb = (size_t)n_actions * n_states * b_width, na = (size_t)n_states * a_width;
    m->b_idx = malloc(nb * sizeof *m->b_idx);
    m->b_p = calloc(nb, sizeof *m->b_p);
    m->a_idx = malloc(na * sizeof *m->a_idx);
    m->a_p = calloc(na, sizeof *m->a_p);
    m->A = calloc((size_t)n_states * n_obs, sizeof *m->A);
    m->H_A = calloc((size_t)n_states, sizeof *m->H_A);
    if (!m->b_idx || !m->b_p || !m->a_idx || !m->a_p || !m->A || !m->H_A) {
        efe_model_free(m);
        return -1;
    }
    for (size_t i = 0; i < nb; i++) m->b_idx[i] = -1;
    for (size_t i = 0; i < na; i++) m->a_idx[i] = -1;
    return 0;
}

void efe_model_free(efe_model_t *m) {
    free(m->b_idx);
    free(m->b_p);
    free(m->a_idx);
    free(m->a_p);
    free(m->A);
    free(m->H_A);
    memset(m, 0, sizeof *m);
}

static int row_nonzeros(const double *row, int n) {
    int k = 0;
    for (int j = 0; j < n; j++) k += row[j] > 0.0;
    return k;
}

int efe_model_from_world(efe_model_t *m, const gridworld_t *g) {
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

void efe_model_update_entropy(efe_model_t *m, int s) {
    m->H_A[s] = efe_entropy(m->A + (size_t)s * m->n_obs, m->n_obs);
}

void efe_predict_states(const efe_model_t *m, int a, const double *q, double *q_next) {
    const int n = m->n_states, bw = m->b_width;
    memset(q_next, 0, sizeof(double) * (size_t)n);
    for (int s = 0; s < n; s++) {
        if (q[s] == 0.0) continue;
        const size_t base = ((size_t)a * n + s) * bw;
        for (int k = 0; k < bw && m->b_idx[base + k] >= 0; k++)
            q_next[m->b_idx[base + k]] += q[s] * m->b_p[base + k];
    }
}

void efe_predict_obs(const efe_model_t *m, const double *q, double *q_obs) {
    const int aw = m->a_width;
    memset(q_obs, 0, sizeof(double) * (size_t)m->n_obs);
    for (int s = 0; s < m->n_states; s++) {
        if (q[s] == 0.0) continue;
        const size_t base = (size_t)s * aw;
        for (int k = 0; k < aw && m->a_idx[base + k] >= 0; k++)
            q_obs[m->a_idx[base + k]] += q[s] * m->a_p[base + k];
    }
}

int efe_observe(const efe_model_t *m, double *q, int o) {
    const int n = m->n_states, no = m->n_obs;
    double z = 0.0;
    for (int s = 0; s < n; s++) z += q[s] * m->A[(size_t)s * no + o];
    if (z > 0.0 && isfinite(z)) {
        for (int s = 0; s < n; s++) q[s] = q[s] * m->A[(size_t)s * no + o] / z;
        return 0;
    }
    /* The observation contradicts the belief (a model that is wrong, or one
     * learned from too little data): restart from the evidence alone. */
    z = 0.0;
    for (int s = 0; s < n; s++) z += m->A[(size_t)s * no + o];
    for (int s = 0; s < n; s++) q[s] = z > 0.0 ? m->A[(size_t)s * no + o] / z : 1.0 / n;
    return 1;
}

double efe_policy_G(const efe_model_t *m, const double *q0, const int *policy, int H,
                    const double *lnp, const efe_weights_t *w, double *risk, double *amb,
                    double *work) {
    const int n = m->n_states;
    double *q = work, *q2 = work + n, *qo = work + 2 * n;
    memcpy(q, q0, sizeof(double) * (size_t)n);
    double r = 0.0, am = 0.0;
    for (int t = 0; t < H; t++) {
        efe_predict_states(m, policy[t], q, q2);
        double *tmp = q; q = q2; q2 = tmp;
        efe_predict_obs(m, q, qo);
        r += efe_risk(qo, lnp, m->n_obs);
        am += efe_ambiguity(q, m->H_A, n);
    }
    if (risk) *risk = r;
    if (amb) *amb = am;
    return efe_combine(w, r, am);
}
