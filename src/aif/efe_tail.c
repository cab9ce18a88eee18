/* efe_tail: G beyond the policy tree by backward induction over states
 * (include/aif/efe_tail.h). */
#include "aif/efe_tail.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

int efe_tail_alloc(efe_tail_t *t, int n_states, int n_actions) {
    memset(t, 0, sizeof *t);
    t->n = n_states;
    t->na = n_actions;
    double *buf = calloc((size_t)n_states * 8, sizeof(double));
    if (!buf) return -1;
    t->g_risk = buf;
    t->g_amb = buf + n_states;
    t->Vr = buf + 2 * (size_t)n_states;
    t->Va = buf + 3 * (size_t)n_states;
    t->V = buf + 4 * (size_t)n_states;
    t->nr = buf + 5 * (size_t)n_states;
    t->na_ = buf + 6 * (size_t)n_states;
    t->nv = buf + 7 * (size_t)n_states;
    return 0;
}

void efe_tail_free(efe_tail_t *t) {
    free(t->g_risk);
    memset(t, 0, sizeof *t);
}

/* Per-state risk (KL[p(o|s) || p~], or with risk_term expected-cost
 * E_p(o|s)[-ln p~]) and ambiguity H[p(o|s)] from the sparse rows of A. */
static void state_costs(efe_tail_t *t, const efe_model_t *m, const double *lnp, const efe_weights_t *w,
                        const double *bonus) {
    const int aw = m->a_width;
    for (int s = 0; s < t->n; s++) {
        const size_t base = (size_t)s * aw;
        double r = 0.0;
        for (int k = 0; k < aw && m->a_idx[base + k] >= 0; k++) {
            const double p = m->a_p[base + k];
            if (p > 0.0) r += p * efe_risk_term(w, p, lnp[m->a_idx[base + k]]);
        }
        t->g_risk[s] = r - (bonus ? bonus[s] : 0.0);
        t->g_amb[s] = m->H_A[s];
    }
}

void efe_tail_solve(efe_tail_t *t, const efe_model_t *m, const double *lnp, const efe_weights_t *w,
                    int steps, const double *bonus) {
    const int n = t->n, bw = m->b_width;
    state_costs(t, m, lnp, w, bonus);
    memset(t->Vr, 0, sizeof(double) * (size_t)n);
    memset(t->Va, 0, sizeof(double) * (size_t)n);
    memset(t->V, 0, sizeof(double) * (size_t)n);
    t->steps = 0;
    for (int k = 0; k < steps; k++) {
        double vmin = INFINITY;
        int smin = 0;
        for (int s = 0; s < n; s++) {
            double best = INFINITY, br = 0.0, ba = 0.0;
            for (int a = 0; a < t->na; a++) {
                const size_t base = ((size_t)a * n + s) * bw;
                double r = 0.0, am = 0.0;
                for (int j = 0; j < bw && m->b_idx[base + j] >= 0; j++) {
                    const int s2 = m->b_idx[base + j];
                    const double p = m->b_p[base + j];
                    r += p * (t->g_risk[s2] + t->Vr[s2]);
                    am += p * (t->g_amb[s2] + t->Va[s2]);
                }
                const double q = efe_combine(w, r, am);
                /* Ties keep the lower action: the result does not depend on
                 * rounding in the order of the slots. */
                if (a == 0 || q < best - 1e-12 * fabs(best)) { best = q; br = r; ba = am; }
            }
            t->nr[s] = br;
            t->na_[s] = ba;
            t->nv[s] = best;
            if (best < vmin) { vmin = best; smin = s; }
        }
        /* Relative to the best state: a constant does not change the posterior. */
        const double r0 = t->nr[smin], a0 = t->na_[smin];
        double change = 0.0;
        for (int s = 0; s < n; s++) {
            t->nr[s] -= r0;
            t->na_[s] -= a0;
            t->nv[s] = efe_combine(w, t->nr[s], t->na_[s]);
            double d = fabs(t->nv[s] - t->V[s]);
            if (d > change) change = d;
        }
        double *x;
        x = t->Vr; t->Vr = t->nr; t->nr = x;
        x = t->Va; t->Va = t->na_; t->na_ = x;
        x = t->V; t->V = t->nv; t->nv = x;
        t->steps = k + 1;
        if (change <= 1e-12) break;
    }
}

void efe_tail_of_belief(const efe_tail_t *t, const double *q, double *risk, double *amb) {
    double r = 0.0, a = 0.0;
    for (int s = 0; s < t->n; s++)
        if (q[s] > 0.0) {
            r += q[s] * t->Vr[s];
            a += q[s] * t->Va[s];
        }
    *risk = r;
    *amb = a;
}

double efe_tail_policy_G(const efe_model_t *m, const efe_tail_t *t, const double *q0, const int *policy, int H,
                         const double *lnp, const efe_weights_t *w, double *risk, double *amb, double *work) {
    double r, am;
    const double *q = efe_rollout(m, q0, policy, H, lnp, w, &r, &am, work);
    if (t) {
        double tr, ta;
        efe_tail_of_belief(t, q, &tr, &ta);
        r += tr;
        am += ta;
    }
    if (risk) *risk = r;
    if (amb) *amb = am;
    return efe_combine(w, r, am);
}
