/* efe_ctx: EFE to go over the belief about a hidden context (include/aif/efe_ctx.h). */
#include "aif/efe_ctx.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

int efe_ctx_alloc(efe_ctx_t *t, int n_cells, int n_obs, int n_actions) {
    memset(t, 0, sizeof *t);
    t->nc = n_cells;
    t->no = n_obs;
    t->na = n_actions;
    t->M = EFE_CTX_GRID;
    const size_t g = (size_t)n_cells * EFE_CTX_GRID, n = 2 * (size_t)n_cells;
    t->Vr = t->vbuf = calloc(4 * g, sizeof(double));
    t->bq = calloc(2 * n + (size_t)n_obs + 2 * (size_t)n_cells, sizeof(double));
    t->bsupp = malloc(sizeof(int) * (2 * n + (size_t)n_obs + (size_t)n_cells));
    t->omark = calloc(n + (size_t)n_obs + (size_t)n_cells, 1);
    if (!t->vbuf || !t->bq || !t->bsupp || !t->omark) {
        efe_ctx_free(t);
        return -1;
    }
    t->Va = t->Vr + g;
    t->nr = t->Vr + 2 * g;
    t->na_ = t->Vr + 3 * g;
    t->qo = t->bq + n;
    t->w0 = t->qo + n_obs;
    t->w1 = t->w0 + n_cells;
    t->olist = t->bsupp + n;
    t->clist = t->olist + n_obs;
    t->cmark = t->omark + n_obs;
    t->rprob = t->w1 + n_cells;
    t->rsupp = t->clist + n_cells;
    return 0;
}

void efe_ctx_free(efe_ctx_t *t) {
    free(t->vbuf); /* the four tables swap places in a solve: vbuf holds their block */
    free(t->bq);
    free(t->bsupp);
    free(t->omark);
    memset(t, 0, sizeof *t);
}

/* Linear interpolation of table T at cell c and belief p. */
static double interp(const efe_ctx_t *t, const double *T, int c, double p) {
    const double x = p * (t->M - 1);
    int j = (int)x;
    if (j >= t->M - 1) j = t->M - 2;
    if (j < 0) j = 0;
    const double f = x - j;
    return (1.0 - f) * T[(size_t)c * t->M + j] + f * T[(size_t)c * t->M + j + 1];
}

/* One step of action a from the joint belief (supp, prob: ns states): its
 * risk and ambiguity, and the tables' value after each observation (cr, ca). */
static void step_value(efe_ctx_t *t, const efe_model_t *m, const double *lnp, const int *supp, const double *prob,
                       int ns, int a, double *risk, double *amb, double *cr, double *ca) {
    const int nc = t->nc, n = 2 * nc, bw = m->b_width, aw = m->a_width, no = t->no;
    /* the predicted joint belief; a state is in the support once (bq > 0 marks it) */
    int nb = 0;
    for (int i = 0; i < ns; i++) {
        const size_t base = ((size_t)a * n + supp[i]) * bw;
        for (int j = 0; j < bw && m->b_idx[base + j] >= 0; j++) {
            const int s2 = m->b_idx[base + j];
            const double pb = prob[i] * m->b_p[base + j];
            if (pb <= 0.0) continue;
            if (t->bq[s2] == 0.0) t->bsupp[nb++] = s2;
            t->bq[s2] += pb;
        }
    }
    double am = 0.0;
    int nobs = 0;
    for (int i = 0; i < nb; i++) {
        const int s2 = t->bsupp[i];
        am += t->bq[s2] * m->H_A[s2];
        for (int k = 0; k < aw; k++) {
            const int o = m->a_idx[(size_t)s2 * aw + k];
            if (o < 0) break;
            if (!t->omark[o]) { t->omark[o] = 1; t->olist[nobs++] = o; }
            t->qo[o] += t->bq[s2] * m->a_p[(size_t)s2 * aw + k];
        }
    }
    double r = 0.0, vr = 0.0, va = 0.0;
    for (int i = 0; i < nobs; i++) {
        const int o = t->olist[i];
        const double po = t->qo[o];
        if (po > 0.0) r += po * (log(po) - lnp[o]);
        /* the posterior after o, per cell: its mass and belief about the context */
        int ncl = 0;
        for (int j = 0; j < nb; j++) {
            const int s2 = t->bsupp[j];
            const double wgt = t->bq[s2] * m->A[(size_t)s2 * no + o];
            if (wgt <= 0.0) continue;
            const int c = s2 % nc;
            if (!t->cmark[c]) { t->cmark[c] = 1; t->clist[ncl++] = c; }
            if (s2 < nc) t->w0[c] += wgt;
            else t->w1[c] += wgt;
        }
        for (int j = 0; j < ncl; j++) {
            const int c = t->clist[j];
            const double mass = t->w0[c] + t->w1[c], p1 = t->w1[c] / mass;
            vr += mass * interp(t, t->Vr, c, p1);
            va += mass * interp(t, t->Va, c, p1);
            t->w0[c] = t->w1[c] = 0.0;
            t->cmark[c] = 0;
        }
        t->qo[o] = 0.0;
        t->omark[o] = 0;
    }
    for (int i = 0; i < nb; i++) t->bq[t->bsupp[i]] = 0.0;
    *risk = r;
    *amb = am;
    *cr = vr;
    *ca = va;
}

void efe_ctx_solve(efe_ctx_t *t, const efe_model_t *m, const double *lnp, const efe_weights_t *w, int steps) {
    const int nc = t->nc, M = t->M;
    const size_t g = (size_t)nc * M;
    memset(t->Vr, 0, sizeof(double) * g);
    memset(t->Va, 0, sizeof(double) * g);
    t->steps = 0;
    for (int it = 0; it < steps; it++) {
        double vmin = INFINITY;
        size_t imin = 0;
        for (int c = 0; c < nc; c++)
            for (int j = 0; j < M; j++) {
                const double p = (double)j / (M - 1);
                int supp[2], ns = 0;
                double prob[2];
                if (p < 1.0) { supp[ns] = c; prob[ns++] = 1.0 - p; }
                if (p > 0.0) { supp[ns] = nc + c; prob[ns++] = p; }
                double best = INFINITY, br = 0.0, ba = 0.0;
                for (int a = 0; a < t->na; a++) {
                    double r, am, cr, ca;
                    step_value(t, m, lnp, supp, prob, ns, a, &r, &am, &cr, &ca);
                    const double q = efe_combine(w, r + cr, am + ca);
                    /* ties keep the lower action, as the induction tail does */
                    if (a == 0 || q < best - 1e-12 * fabs(best)) { best = q; br = r + cr; ba = am + ca; }
                }
                const size_t i = (size_t)c * M + j;
                t->nr[i] = br;
                t->na_[i] = ba;
                if (best < vmin) { vmin = best; imin = i; }
            }
        /* relative to the best information state: a constant does not change a decision */
        const double r0 = t->nr[imin], a0 = t->na_[imin];
        double change = 0.0;
        for (size_t i = 0; i < g; i++) {
            t->nr[i] -= r0;
            t->na_[i] -= a0;
            const double d = fabs(efe_combine(w, t->nr[i], t->na_[i]) - efe_combine(w, t->Vr[i], t->Va[i]));
            if (d > change) change = d;
        }
        double *x = t->Vr; t->Vr = t->nr; t->nr = x;
        x = t->Va; t->Va = t->na_; t->na_ = x;
        t->steps = it + 1;
        if (change <= 1e-12) break;
    }
}

void efe_ctx_first(efe_ctx_t *t, const efe_model_t *m, const double *q, const double *lnp, const efe_weights_t *w,
                   double *G, double *risk, double *amb) {
    const int n = 2 * t->nc;
    double mx = 0.0, sum = 0.0;
    for (int s = 0; s < n; s++) if (q[s] > mx) mx = q[s];
    /* the belief without states below a relative 1e-12 (renormalised), as the planner's root */
    int ns = 0;
    for (int s = 0; s < n; s++)
        if (q[s] > 1e-12 * mx) { t->rsupp[ns] = s; t->rprob[ns++] = q[s]; sum += q[s]; }
    for (int i = 0; i < ns; i++) t->rprob[i] /= sum;
    for (int a = 0; a < t->na; a++) {
        double r, am, cr, ca;
        step_value(t, m, lnp, t->rsupp, t->rprob, ns, a, &r, &am, &cr, &ca);
        risk[a] = r + cr;
        amb[a] = am + ca;
        G[a] = efe_combine(w, risk[a], amb[a]);
    }
}
