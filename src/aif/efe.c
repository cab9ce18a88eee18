/* efe: expected free energy, preferences, policy posterior (see include/aif/efe.h and
 * docs/efe.md for the formulas and their references). */
#include "aif/efe.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- preferences ------------------------------------------------------------ */

const char *const efe_pref_names[] = {"goal", "manhattan", "oracle-distance", NULL};

void efe_log_preferences(const efe_pref_t *pref, int rows, int cols, int goal, const int *oracle_dist,
                         const unsigned char *avoid, double *lnp) {
    const int n = rows * cols, gr = goal / cols, gc = goal % cols;
    const int oracle = pref->kind == EFE_PREF_ORACLE && oracle_dist;
    int dmax = 0;
    for (int o = 0; o < n; o++) {
        int d = oracle ? oracle_dist[o] : abs(o / cols - gr) + abs(o % cols - gc);
        if (d > dmax) dmax = d;
    }
    /* The lowest value a cell that reaches the goal can have: cells that cannot
     * (walls never emit an observation; enclosed floor may, through noise) get it. */
    const double c_floor = pref->kind == EFE_PREF_GOAL ? 0.0 : -pref->lambda * (dmax + 1);
    for (int o = 0; o < n; o++) {
        double c;
        if (pref->kind == EFE_PREF_GOAL) c = o == goal ? pref->c_goal : 0.0;
        else if (!oracle) c = -pref->lambda * (abs(o / cols - gr) + abs(o % cols - gc));
        else c = oracle_dist[o] >= 0 ? -pref->lambda * oracle_dist[o] : c_floor;
        int bad = (avoid && avoid[o]) || (oracle && oracle_dist[o] == -2);
        if (bad && o != goal) c = c_floor - pref->hole_penalty;
        lnp[o] = c;
    }
    double z = efe_logsumexp(lnp, n);
    for (int o = 0; o < n; o++) lnp[o] -= z;
}

void efe_log_preferences_ctx(const efe_pref_t *pref, int n_cells, int n_sym, int goal_sym,
                             const unsigned char *avoid, double *lnp) {
    const int n = n_cells * n_sym;
    for (int o = 0; o < n; o++) {
        const int sym = o / n_cells, loc = o % n_cells;
        double c = sym == goal_sym ? pref->c_goal : 0.0;
        if (sym == 0 && avoid && avoid[loc]) c = -pref->hole_penalty;
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

double efe_risk_w(const efe_weights_t *w, const double *q, const double *lnp, int n) {
    if (w->risk != EFE_RISK_COST) return efe_kl_log(q, lnp, n);
    double c = 0.0;
    for (int i = 0; i < n; i++)
        if (q[i] > 0.0) c -= q[i] * lnp[i];
    return c;
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

int efe_model_copy(efe_model_t *dst, const efe_model_t *src) {
    if (efe_model_alloc(dst, src->n_states, src->n_obs, src->n_actions, src->b_width, src->a_width)) return -1;
    size_t nb = (size_t)src->n_actions * src->n_states * src->b_width, na = (size_t)src->n_states * src->a_width;
    memcpy(dst->b_idx, src->b_idx, nb * sizeof *dst->b_idx);
    memcpy(dst->b_p, src->b_p, nb * sizeof *dst->b_p);
    memcpy(dst->a_idx, src->a_idx, na * sizeof *dst->a_idx);
    memcpy(dst->a_p, src->a_p, na * sizeof *dst->a_p);
    memcpy(dst->A, src->A, (size_t)src->n_states * src->n_obs * sizeof *dst->A);
    memcpy(dst->H_A, src->H_A, (size_t)src->n_states * sizeof *dst->H_A);
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

const double *efe_rollout(const efe_model_t *m, const double *q0, const int *policy, int H,
                          const double *lnp, const efe_weights_t *w, double *risk, double *amb, double *work) {
    const int n = m->n_states;
    double *q = work, *q2 = work + n, *qo = work + 2 * n;
    memcpy(q, q0, sizeof(double) * (size_t)n);
    double r = 0.0, am = 0.0;
    for (int t = 0; t < H; t++) {
        efe_predict_states(m, policy[t], q, q2);
        double *tmp = q; q = q2; q2 = tmp;
        efe_predict_obs(m, q, qo);
        r += efe_risk_w(w, qo, lnp, m->n_obs);
        am += efe_ambiguity(q, m->H_A, n);
    }
    *risk = r;
    *amb = am;
    return q;
}

double efe_policy_G(const efe_model_t *m, const double *q0, const int *policy, int H,
                    const double *lnp, const efe_weights_t *w, double *risk, double *amb,
                    double *work) {
    double r, am;
    efe_rollout(m, q0, policy, H, lnp, w, &r, &am, work);
    if (risk) *risk = r;
    if (amb) *amb = am;
    return efe_combine(w, r, am);
}
