/* latent: hidden states learned from observations alone, by EM on a hidden
 * Markov model over the grid's cells (include/aif/latent.h). */
#include "aif/latent.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

latent_prior_t latent_prior_defaults(void) {
    return (latent_prior_t){.a_prior = 1.0, .a_self = 1.0, .b_prior = 0.1, .b_told = 1.0, .start_prior = 0.1,
                            .h_prior = 0.1};
}

/* The model the E-step runs under: B sparse with bw slots per (a, s), A dense. */
typedef struct {
    const int *b_idx;
    const double *b_p;
    int bw;
    const double *A;
} view_t;

static view_t own_view(const latent_t *L) { return (view_t){L->b_idx, L->B, LATENT_WIDTH, L->A}; }
static view_t model_view(const latent_t *L, const efe_model_t *m) {
    return m ? (view_t){m->b_idx, m->b_p, m->b_width, m->A} : own_view(L);
}

int latent_alloc(latent_t *L, arena_t *ar, const task_t *task, int max_len, const latent_prior_t *prior) {
    memset(L, 0, sizeof *L);
    const size_t n = (size_t)task->n_cells, na = (size_t)task->n_actions, nb = na * n * LATENT_WIDTH;
    const size_t no = (size_t)(task->n_obs > 0 ? task->n_obs : task->n_cells);
    L->n = task->n_cells;
    L->no = (int)no;
    L->n_sym = (int)(no / n);
    L->na = task->n_actions;
    L->goal = task->goal; /* -1 in a context world: the goal is a symbol, not a cell */
    L->task = task;
    L->max_len = max_len < 1 ? 1 : max_len;
    L->prior = *prior;
    L->cA = arena_alloc(ar, n * no, sizeof(double));
    L->c_success = arena_alloc(ar, n, sizeof(double));
    L->cB = arena_alloc(ar, nb, sizeof(double));
    L->c_start = arena_alloc(ar, n, sizeof(double));
    L->c_enter = arena_alloc(ar, n, sizeof(double));
    L->c_fail = arena_alloc(ar, n, sizeof(double));
    L->c_visit = arena_alloc(ar, n, sizeof(double));
    L->b_idx = arena_alloc(ar, nb, sizeof(int));
    L->B = arena_alloc(ar, nb, sizeof(double));
    L->A = arena_alloc(ar, n * no, sizeof(double));
    L->pi = arena_alloc(ar, n, sizeof(double));
    L->h = arena_alloc(ar, n, sizeof(double));

    L->alpha = arena_alloc(ar, (size_t)L->max_len * n, sizeof(double));
    L->supp = arena_alloc(ar, (size_t)L->max_len * n, sizeof(int));
    L->nsupp = arena_alloc(ar, (size_t)L->max_len, sizeof(int));
    L->psupp = arena_alloc(ar, n, sizeof(int));
    L->mark = arena_alloc(ar, n, 1);
    L->beta = arena_alloc(ar, n, sizeof(double));
    L->beta2 = arena_alloc(ar, n, sizeof(double));
    L->w = arena_alloc(ar, n, sizeof(double));
    if (!arena_ok(ar)) return -1;
    /* The local slots: the cell itself, then its neighbours on the open grid;
     * the goal ends every episode, so its rows stay put. */
    for (int a = 0; a < L->na; a++)
        for (int s = 0; s < L->n; s++) {
            int *idx = L->b_idx + ((size_t)a * n + s) * LATENT_WIDTH, k = 0;
            idx[k++] = s;
            for (int d = 0; d < 4 && s != L->goal; d++) {
                int s2 = task_neighbour(task, s, d);
                if (s2 != s) idx[k++] = s2;
            }
            for (; k < LATENT_WIDTH; k++) idx[k] = -1;
        }
    latent_reset(L);
    return 0;
}

static void clear_counts(latent_t *L) {
    const size_t n = (size_t)L->n;
    memset(L->cA, 0, sizeof(double) * n * (size_t)L->no);
    memset(L->c_success, 0, sizeof(double) * n);
    memset(L->cB, 0, sizeof(double) * (size_t)L->na * n * LATENT_WIDTH);
    memset(L->c_start, 0, sizeof(double) * n);
    memset(L->c_enter, 0, sizeof(double) * n);
    memset(L->c_fail, 0, sizeof(double) * n);
    memset(L->c_visit, 0, sizeof(double) * n);
    L->loglik = 0.0;
    L->tokens = 0;
}

void latent_reset(latent_t *L) {
    clear_counts(L);
    latent_mstep(L);
}

void latent_mstep(latent_t *L) {
    const int n = L->n, no = L->no;
    const latent_prior_t *pr = &L->prior;
    const double floor_a = pr->a_prior / no, self = pr->a_self / L->n_sym;
    for (int s = 0; s < n; s++) {
        /* a_self on the observations that name the cell: its location, with
         * any symbol alike (a context world), or the cell itself */
        const double *c = L->cA + (size_t)s * no;
        double *row = L->A + (size_t)s * no, sum = pr->a_prior + pr->a_self;
        for (int o = 0; o < no; o++) sum += c[o];
        for (int o = 0; o < no; o++) row[o] = (c[o] + floor_a + (o % n == s ? self : 0.0)) / sum;
    }
    for (int r = 0; r < L->na * n; r++) {
        const int *idx = L->b_idx + (size_t)r * LATENT_WIDTH;
        const double *c = L->cB + (size_t)r * LATENT_WIDTH;
        double *p = L->B + (size_t)r * LATENT_WIDTH, sum = 0.0, moves = 0.0;
        /* A move never made (less than half an expected one): where the
         * action leads on the open grid, as the task says, gets b_told more. */
        for (int k = 0; k < LATENT_WIDTH && idx[k] >= 0; k++) moves += c[k];
        const int a = r / n, s = r % n, told = moves < 0.5 ? task_neighbour(L->task, s, a < 4 ? a : 0) : -1;
        for (int k = 0; k < LATENT_WIDTH && idx[k] >= 0; k++)
            sum += c[k] + pr->b_prior + (idx[k] == told && a < 4 ? pr->b_told : 0.0);
        for (int k = 0; k < LATENT_WIDTH; k++)
            p[k] = idx[k] >= 0 ? (c[k] + pr->b_prior + (idx[k] == told && a < 4 ? pr->b_told : 0.0)) / sum : 0.0;
    }
    double total = 0.0;
    for (int s = 0; s < n; s++) total += L->c_start[s] + pr->start_prior;
    for (int s = 0; s < n; s++) {
        L->pi[s] = (L->c_start[s] + pr->start_prior) / total;
        L->h[s] = s == L->goal ? 0.0 : (L->c_fail[s] + pr->h_prior) / (L->c_enter[s] + pr->h_prior + 1.0);
    }
}

/* The evidence of how the episode went at a token, for state s: at the
 * first token (the start, not entered by a move) only that it is not the
 * goal; at a later one running on (neither the goal nor a hole), or on the
 * last token the ending itself.  The same factors the M-step counts (h from
 * the tokens entered by a move). */
static inline double end_factor(const latent_t *L, int s, int first, int last, int ending) {
    /* A context world has no goal cell: its reward symbol, in A, is the evidence. */
    if (L->goal < 0) return first ? 1.0 : last && ending != XP_CUT ? (ending == XP_FAILED ? L->h[s] : 1.0) : 1.0 - L->h[s];
    if (last && !first && ending == XP_GOAL) return s == L->goal;
    if (s == L->goal) return 0.0;
    if (first) return 1.0;
    return last && ending == XP_FAILED ? L->h[s] : 1.0 - L->h[s];
}

/* The passes touch only the states of each row's support (supp, ascending)
 * and add in the order of a scan over every state, skipping the zeros, so
 * they give the numbers of that scan exactly. */

/* Ascending order of a short list (a prediction's support, nearly sorted). */
static void sort_ascending(int *x, int m) {
    for (int i = 1; i < m; i++) {
        const int v = x[i];
        int j = i - 1;
        while (j >= 0 && x[j] > v) { x[j + 1] = x[j]; j--; }
        x[j + 1] = v;
    }
}

/* The prediction out = B_a prev (out zero on entry) from prev's support ps
 * (nps states, ascending), in the scan's order; its support, ascending, into
 * os.  Returns its size. */
static int predict_support(latent_t *L, const view_t *v, int a, const double *prev, const int *ps, int nps,
                           double *out, int *os) {
    const int n = L->n;
    int m = 0;
    for (int j = 0; j < nps; j++) {
        const int s = ps[j];
        if (prev[s] == 0.0) continue;
        const size_t base = ((size_t)a * n + s) * v->bw;
        for (int k = 0; k < v->bw && v->b_idx[base + k] >= 0; k++) {
            const int s2 = v->b_idx[base + k];
            if (!L->mark[s2]) { L->mark[s2] = 1; os[m++] = s2; }
            out[s2] += prev[s] * v->b_p[base + k];
        }
    }
    if (m > 64 && 4 * m > n) { /* broad: one pass over the marks is ascending */
        m = 0;
        for (int s = 0; s < n; s++)
            if (L->mark[s]) { L->mark[s] = 0; os[m++] = s; }
        return m;
    }
    for (int j = 0; j < m; j++) L->mark[os[j]] = 0;
    sort_ascending(os, m);
    return m;
}

/* Every state with a nonzero entry of x, ascending, into os; returns how many. */
static int support_of(const double *x, int n, int *os) {
    int m = 0;
    for (int s = 0; s < n; s++)
        if (x[s] != 0.0) os[m++] = s;
    return m;
}

/* Forward messages of the episode at tokens [st, en] into L->alpha (one row
 * per token, normalised; its support in L->supp); returns sum ln c_t.  A token
 * whose evidence the model gives probability 0 keeps the prediction alone. */
static double forward(latent_t *L, const experience_t *xp, long st, long en, const view_t *v) {
    const int n = L->n, no = L->no, ending = xp->ending[st];
    double ll = 0.0;
    for (long i = st; i <= en; i++) {
        double *al = L->alpha + (size_t)(i - st) * n;
        int *sp = L->supp + (size_t)(i - st) * n, ns;
        const int o = xp->o[i], last = i == en;
        if (i == st) {
            memcpy(al, L->pi, sizeof(double) * (size_t)n);
            ns = support_of(al, n, sp);
        } else {
            for (int j = 0; j < L->nsupp[i - st]; j++) al[sp[j]] = 0.0; /* the row's last use */
            ns = predict_support(L, v, xp->a[i - 1], al - n, sp - n, L->nsupp[i - 1 - st], al, sp);
        }
        double c = 0.0;
        for (int j = 0; j < ns; j++) {
            const int s = sp[j];
            if (al[s] == 0.0) continue;
            double e = v->A[(size_t)s * no + o] * end_factor(L, s, i == st, last, ending);
            L->w[s] = al[s] * e;
            c += L->w[s];
        }
        if (c > 0.0 && isfinite(c)) {
            /* States below 1e-12 are dropped: it bounds the work by the states
             * that carry probability and changes nothing that is measured. */
            int m = 0;
            for (int j = 0; j < ns; j++) {
                const int s = sp[j];
                al[s] = al[s] == 0.0 || L->w[s] < 1e-12 * c ? 0.0 : L->w[s] / c;
                if (al[s] != 0.0) sp[m++] = s;
            }
            ns = m;
            ll += log(c);
        } else if (last && i > st && ending == XP_GOAL && L->goal >= 0) {
            /* the ending is certain even where the model says it cannot be */
            for (int j = 0; j < ns; j++) al[sp[j]] = 0.0;
            al[L->goal] = 1.0;
            sp[0] = L->goal;
            ns = 1;
        } else {
            double z = 0.0;
            for (int j = 0; j < ns; j++) z += al[sp[j]];
            if (z > 0.0) {
                for (int j = 0; j < ns; j++) al[sp[j]] /= z;
            } else {
                for (int s = 0; s < n; s++) al[s] = 1.0 / n;
                ns = support_of(al, n, sp);
            }
        }
        L->nsupp[i - st] = ns;
    }
    return ll;
}

/* w(s') = p(o_t | s') e_t(s') beta_t(s') / c_t for token t = i (c_t recovered
 * as the normaliser of the prediction times the evidence), on the
 * prediction's support (its states, ascending, into L->psupp, L->npsupp). */
static void backward_weights(latent_t *L, const experience_t *xp, long st, long en, long i, const view_t *v,
                            const double *beta_t) {
    const int n = L->n, no = L->no, o = xp->o[i], a = xp->a[i - 1];
    const double *prev = L->alpha + (size_t)(i - 1 - st) * n;
    double *pred = L->beta2;
    int *ps = L->psupp;
    for (int j = 0; j < L->npsupp; j++) pred[ps[j]] = 0.0; /* its last use */
    const int m = predict_support(L, v, a, prev, L->supp + (size_t)(i - 1 - st) * n, L->nsupp[i - 1 - st], pred, ps);
    L->npsupp = m;
    double c = 0.0;
    for (int j = 0; j < m; j++) {
        const int s = ps[j];
        const double e = v->A[(size_t)s * no + o] * end_factor(L, s, 0, i == en, xp->ending[st]);
        L->w[s] = e * beta_t[s];
        c += pred[s] * e;
    }
    const double inv = c > 0.0 && isfinite(c) ? 1.0 / c : 0.0;
    if (inv == 0.0) {
        /* The evidence was dropped in the forward pass: drop it here too. */
        double z = 0.0;
        for (int j = 0; j < m; j++) z += pred[ps[j]];
        for (int j = 0; j < m; j++) L->w[ps[j]] = z > 0.0 ? beta_t[ps[j]] / z : 0.0;
        return;
    }
    for (int j = 0; j < m; j++) L->w[ps[j]] *= inv;
}

/* The slot of successor s2 in L's local rows of (a, s), or -1. */
static int local_slot(const latent_t *L, int a, int s, int s2) {
    const int *idx = L->b_idx + ((size_t)a * L->n + s) * LATENT_WIDTH;
    for (int k = 0; k < LATENT_WIDTH && idx[k] >= 0; k++)
        if (idx[k] == s2) return k;
    return -1;
}

/* The expected counts of one episode, each times wgt (its responsibility in a
 * mixture; 1 otherwise). */
static void estep_counts(latent_t *L, const experience_t *xp, long st, long en, const view_t *v, double wgt) {
    const int n = L->n, no = L->no;
    L->loglik += forward(L, xp, st, en, v);
    L->tokens += en - st + 1;
    double *beta = L->beta;
    for (int s = 0; s < n; s++) beta[s] = 1.0;
    for (long i = en; i >= st; i--) {
        const double *al = L->alpha + (size_t)(i - st) * n;
        const int *sp = L->supp + (size_t)(i - st) * n, ns = L->nsupp[i - st];
        const int o = xp->o[i];
        for (int j = 0; j < ns; j++) {
            const int s = sp[j];
            const double g = al[s] * beta[s] * wgt;
            if (g == 0.0) continue;
            L->cA[(size_t)s * no + o] += g;
            L->c_visit[s] += g;
            if (i == st) L->c_start[s] += g;
            else L->c_enter[s] += g;
            if (i == en && i > st && xp->ending[st] == XP_FAILED) L->c_fail[s] += g;
            if (i == en && i > st && xp->ending[st] == XP_GOAL) L->c_success[s] += g;
        }
        if (i == st) break;
        /* beta_{i-1}(s) = sum_s' B(s'|s,a) w(s'); xi(s, s') = alpha_{i-1}(s) B(s'|s,a) w(s').
         * beta_{i-1} is 0 off the support of alpha_{i-1} (gamma and xi are 0
         * there): beta_i's entries are cleared first (all of them at the last
         * token, where beta is 1 everywhere). */
        backward_weights(L, xp, st, en, i, v, beta);
        if (i == en) memset(beta, 0, sizeof(double) * (size_t)n);
        else
            for (int j = 0; j < ns; j++) beta[sp[j]] = 0.0;
        const double *prev = al - n;
        const int *pp = sp - n, np = L->nsupp[i - 1 - st];
        const int a = xp->a[i - 1];
        for (int j = 0; j < np; j++) {
            const int s = pp[j];
            if (prev[s] == 0.0) continue;
            const size_t base = ((size_t)a * n + s) * v->bw;
            double b = 0.0;
            for (int k = 0; k < v->bw && v->b_idx[base + k] >= 0; k++) {
                const int s2 = v->b_idx[base + k];
                const double x = v->b_p[base + k] * L->w[s2];
                b += x;
                if (x > 0.0) {
                    const int slot = local_slot(L, a, s, s2);
                    if (slot >= 0) L->cB[((size_t)a * n + s) * LATENT_WIDTH + slot] += prev[s] * x * wgt;
                }
            }
            beta[s] = b;
        }
    }
}

/* Tokens of the closed episodes (an open one is left out). */
static long closed_tokens(const experience_t *xp) { return xp->open >= 0 ? xp->open : xp->n; }

double latent_estep(latent_t *L, const experience_t *xp, const efe_model_t *m) {
    const view_t v = model_view(L, m);
    clear_counts(L);
    for (long st = 0, lim = closed_tokens(xp); st < lim; st = xp->end[st] + 1)
        estep_counts(L, xp, st, xp->end[st], &v, 1.0);
    return L->loglik;
}

void latent_counts_clear(latent_t *L) { clear_counts(L); }

double latent_episode_loglik(latent_t *L, const experience_t *xp, long st) {
    const view_t v = own_view(L);
    return forward(L, xp, st, xp->end[st], &v);
}

void latent_episode_counts(latent_t *L, const experience_t *xp, long st, double weight) {
    const view_t v = own_view(L);
    estep_counts(L, xp, st, xp->end[st], &v, weight);
}

int latent_em(latent_t *L, const experience_t *xp, int max_iter, double tol) {
    double prev = -INFINITY;
    int it = 0;
    while (it < max_iter) {
        double ll = latent_estep(L, xp, NULL);
        latent_mstep(L);
        it++;
        if (L->tokens == 0 || (isfinite(prev) && (ll - prev) / (double)L->tokens < tol)) break;
        prev = ll;
    }
    L->iterations = it;
    return it;
}

void latent_count_labels(latent_t *L, const experience_t *xp) {
    const int n = L->n;
    clear_counts(L);
    for (long i = 0, lim = closed_tokens(xp); i < lim; i++) {
        const long st = xp->start[i], en = xp->end[i];
        const int z = xp->z[i];
        if (z < 0 || z >= n) continue;
        L->cA[(size_t)z * L->no + xp->o[i]] += 1.0;
        L->c_visit[z] += 1.0;
        L->tokens++;
        if (i == st) L->c_start[z] += 1.0;
        else L->c_enter[z] += 1.0;
        if (i == en && i > st && xp->ending[i] == XP_FAILED) L->c_fail[z] += 1.0;
        if (i < en && xp->a[i] >= 0 && xp->z[i + 1] >= 0) {
            const int slot = local_slot(L, xp->a[i], z, xp->z[i + 1]);
            if (slot >= 0) L->cB[((size_t)xp->a[i] * n + z) * LATENT_WIDTH + slot] += 1.0;
        }
    }
    latent_mstep(L);
}

/* A draw from the n weights w (not normalised; their sum given). */
static int draw(const double *w, int n, double sum, rng_t *r) {
    double u = rng_uniform(r) * sum, acc = 0.0;
    int last = 0;
    for (int s = 0; s < n; s++) {
        if (w[s] <= 0.0) continue;
        acc += w[s];
        last = s;
        if (u < acc) return s;
    }
    return last;
}

/* One joint sample of the states of the episode starting at token st under
 * view v, into xp->z (forward filtering, backward sampling). */
static void sample_episode(latent_t *L, experience_t *xp, long st, const view_t *v, rng_t *r) {
    const int n = L->n;
    const long en = xp->end[st];
    forward(L, xp, st, en, v);
    const double *al = L->alpha + (size_t)(en - st) * n;
    double sum = 0.0;
    for (int s = 0; s < n; s++) sum += al[s];
    int z = draw(al, n, sum, r);
    xp->z[en] = z;
    for (long i = en - 1; i >= st; i--) {
        al = L->alpha + (size_t)(i - st) * n;
        const int a = xp->a[i];
        sum = 0.0;
        for (int s = 0; s < n; s++) {
            L->w[s] = 0.0;
            if (al[s] == 0.0) continue;
            const size_t base = ((size_t)a * n + s) * v->bw;
            for (int k = 0; k < v->bw && v->b_idx[base + k] >= 0; k++)
                if (v->b_idx[base + k] == z) L->w[s] = al[s] * v->b_p[base + k];
            sum += L->w[s];
        }
        z = sum > 0.0 ? draw(L->w, n, sum, r) : draw(al, n, 1.0, r);
        xp->z[i] = z;
    }
}

void latent_sample(latent_t *L, experience_t *xp, const efe_model_t *m, rng_t *r) {
    const view_t v = model_view(L, m);
    for (long st = 0, lim = closed_tokens(xp); st < lim; st = xp->end[st] + 1) sample_episode(L, xp, st, &v, r);
}

void latent_episode_sample(latent_t *L, experience_t *xp, long st, rng_t *r) {
    const view_t v = own_view(L);
    sample_episode(L, xp, st, &v, r);
}

void latent_to_genmodel(const latent_t *L, genmodel_t *g) {
    const int n = L->n;
    efe_model_t *m = &g->m;
    for (int r = 0; r < L->na * n; r++)
        for (int k = 0; k < m->b_width; k++) {
            m->b_idx[(size_t)r * m->b_width + k] = k < LATENT_WIDTH ? L->b_idx[(size_t)r * LATENT_WIDTH + k] : -1;
            m->b_p[(size_t)r * m->b_width + k] = k < LATENT_WIDTH ? L->B[(size_t)r * LATENT_WIDTH + k] : 0.0;
        }
    memcpy(m->A, L->A, sizeof(double) * (size_t)n * L->no);
    for (int s = 0; s < n; s++) {
        int k = 0;
        for (int o = 0; o < L->no && k < m->a_width; o++)
            if (L->A[(size_t)s * L->no + o] > 0.0) {
                m->a_idx[(size_t)s * m->a_width + k] = o;
                m->a_p[(size_t)s * m->a_width + k++] = L->A[(size_t)s * L->no + o];
            }
        for (; k < m->a_width; k++) {
            m->a_idx[(size_t)s * m->a_width + k] = -1;
            m->a_p[(size_t)s * m->a_width + k] = 0.0;
        }
        efe_model_update_entropy(m, s);
        g->start[s] = L->pi[s];
        g->avoid[s] = s != L->goal && L->h[s] > 0.5 && L->c_fail[s] >= 0.5;
        g->visited[s] = L->c_visit[s] >= 0.5;
    }
    for (int r = 0; r < L->na * n; r++) {
        double moves = 0.0;
        for (int k = 0; k < LATENT_WIDTH; k++) moves += L->cB[(size_t)r * LATENT_WIDTH + k];
        g->tried[r] = moves >= 0.5;
    }
    genmodel_absorb(g, L->goal);
    for (int s = 0; s < n; s++)
        if (g->avoid[s]) genmodel_absorb(g, s);
}

double latent_tv_B(const efe_model_t *p, const efe_model_t *q, const double *weight, double min_weight,
                   double *scratch) {
    const int n = p->n_states, na = p->n_actions;
    double total = 0.0;
    long rows = 0;
    for (int s = 0; s < n; s++)
        for (int a = 0; a < na; a++) {
            if (weight && weight[(size_t)s * na + a] < min_weight) continue;
            const size_t bp = ((size_t)a * n + s) * p->b_width, bq = ((size_t)a * n + s) * q->b_width;
            for (int k = 0; k < p->b_width && p->b_idx[bp + k] >= 0; k++) scratch[p->b_idx[bp + k]] += p->b_p[bp + k];
            for (int k = 0; k < q->b_width && q->b_idx[bq + k] >= 0; k++) scratch[q->b_idx[bq + k]] -= q->b_p[bq + k];
            double tv = 0.0;
            for (int k = 0; k < p->b_width && p->b_idx[bp + k] >= 0; k++) {
                tv += fabs(scratch[p->b_idx[bp + k]]);
                scratch[p->b_idx[bp + k]] = 0.0;
            }
            for (int k = 0; k < q->b_width && q->b_idx[bq + k] >= 0; k++) {
                tv += fabs(scratch[q->b_idx[bq + k]]);
                scratch[q->b_idx[bq + k]] = 0.0;
            }
            total += 0.5 * tv;
            rows++;
        }
    return rows ? total / rows : NAN;
}

double latent_fit_tv_B(const latent_t *L, const efe_model_t *m, double min_count) {
    const int n = L->n;
    double *scratch = calloc((size_t)n, sizeof(double)), total = 0.0;
    if (!scratch) return NAN;
    long rows = 0;
    for (int r = 0; r < L->na * n; r++) {
        const int *li = L->b_idx + (size_t)r * LATENT_WIDTH, *mi = m->b_idx + (size_t)r * m->b_width;
        const double *c = L->cB + (size_t)r * LATENT_WIDTH, *mp = m->b_p + (size_t)r * m->b_width;
        double sum = 0.0, tv = 0.0;
        for (int k = 0; k < LATENT_WIDTH && li[k] >= 0; k++) sum += c[k];
        if (sum < min_count) continue;
        for (int k = 0; k < LATENT_WIDTH && li[k] >= 0; k++) scratch[li[k]] += c[k] / sum;
        for (int k = 0; k < m->b_width && mi[k] >= 0; k++) scratch[mi[k]] -= mp[k];
        for (int k = 0; k < LATENT_WIDTH && li[k] >= 0; k++) { tv += fabs(scratch[li[k]]); scratch[li[k]] = 0.0; }
        for (int k = 0; k < m->b_width && mi[k] >= 0; k++) { tv += fabs(scratch[mi[k]]); scratch[mi[k]] = 0.0; }
        total += 0.5 * tv;
        rows++;
    }
    free(scratch);
    return rows ? total / rows : NAN;
}

double latent_tv_A(const efe_model_t *p, const efe_model_t *q, const double *wstate, double min_weight) {
    const int n = p->n_states, no = p->n_obs;
    double total = 0.0;
    long rows = 0;
    for (int s = 0; s < n; s++) {
        if (wstate && wstate[s] < min_weight) continue;
        double tv = 0.0;
        for (int o = 0; o < no; o++) tv += fabs(p->A[(size_t)s * no + o] - q->A[(size_t)s * no + o]);
        total += 0.5 * tv;
        rows++;
    }
    return rows ? total / rows : NAN;
}
