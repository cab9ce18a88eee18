/* latent_ctx: a mixture over hidden contexts of the hidden Markov models of
 * latent.h, learned by EM (include/latent_ctx.h). */
#include "latent_ctx.h"
#include <math.h>
#include <string.h>

int latent_ctx_alloc(latent_ctx_t *X, arena_t *ar, const task_t *task, int max_len, long cap,
                     const latent_prior_t *prior) {
    memset(X, 0, sizeof *X);
    if (task->n_contexts < 2 || task->n_contexts > LATENT_CTX_MAX) return -1;
    X->K = task->n_contexts;
    X->nc = task->n_cells;
    X->no = task->n_obs;
    X->rho_prior = 1.0;
    X->cap = cap < 1 ? 1 : cap;
    X->resp = arena_alloc(ar, (size_t)X->K * (size_t)X->cap, sizeof(double));
    if (!X->resp) return -1;
    for (int k = 0; k < X->K; k++) {
        if (latent_alloc(&X->comp[k], ar, task, max_len, prior) != 0) return -1;
        X->rho[k] = 1.0 / X->K;
    }
    return 0;
}

static long closed_tokens(const experience_t *xp) { return xp->open >= 0 ? xp->open : xp->n; }

/* Each component's counts from the responsibilities in X->resp. */
static void counts_from_resp(latent_ctx_t *X, const experience_t *xp) {
    for (int k = 0; k < X->K; k++) latent_counts_clear(&X->comp[k]);
    for (long st = 0, lim = closed_tokens(xp); st < lim; st = xp->end[st] + 1)
        for (int k = 0; k < X->K; k++) {
            const double w = X->resp[(size_t)k * X->cap + st];
            if (w > 0.0) latent_episode_counts(&X->comp[k], xp, st, w);
        }
}

double latent_ctx_estep(latent_ctx_t *X, const experience_t *xp) {
    double total = 0.0;
    for (long st = 0, lim = closed_tokens(xp); st < lim; st = xp->end[st] + 1) {
        double ll[LATENT_CTX_MAX], mx = -INFINITY;
        for (int k = 0; k < X->K; k++) {
            ll[k] = log(X->rho[k]) + latent_episode_loglik(&X->comp[k], xp, st);
            if (ll[k] > mx) mx = ll[k];
        }
        double z = 0.0;
        for (int k = 0; k < X->K; k++) z += exp(ll[k] - mx);
        for (int k = 0; k < X->K; k++) X->resp[(size_t)k * X->cap + st] = exp(ll[k] - mx) / z;
        total += mx + log(z);
    }
    counts_from_resp(X, xp);
    X->loglik = total;
    return total;
}

void latent_ctx_mstep(latent_ctx_t *X) {
    double sum[LATENT_CTX_MAX] = {0}, all = 0.0;
    for (int k = 0; k < X->K; k++) {
        latent_mstep(&X->comp[k]);
        /* an episode's first state counts its responsibility once */
        for (int c = 0; c < X->nc; c++) sum[k] += X->comp[k].c_start[c];
        all += sum[k];
    }
    for (int k = 0; k < X->K; k++) X->rho[k] = (sum[k] + X->rho_prior) / (all + X->K * X->rho_prior);
}

/* The cue symbol an episode saw most often (1..K), or 0. */
static int episode_cue(const latent_ctx_t *X, const experience_t *xp, long st) {
    int count[LATENT_CTX_MAX + 1] = {0}, best = 0;
    for (long i = st; i <= xp->end[st]; i++) {
        const int sym = xp->o[i] / X->nc;
        if (sym >= 1 && sym <= X->K) count[sym]++;
    }
    for (int k = 1; k <= X->K; k++)
        if (count[k] > count[best]) best = k;
    return best;
}

/* One EM run.  It breaks the contexts' symmetry with random
 * responsibilities, Dirichlet(1) per episode; with by_cue, an episode that saw
 * a cue symbol starts with 0.9 on the component of that symbol's number (a
 * naming, not a meaning: which symbol goes with which goal is still learned). */
static int em_once(latent_ctx_t *X, const experience_t *xp, int max_iter, double tol, rng_t *r, int by_cue) {
    long tokens = 0;
    for (long st = 0, lim = closed_tokens(xp); st < lim; st = xp->end[st] + 1) {
        double g[LATENT_CTX_MAX], z = 0.0;
        for (int k = 0; k < X->K; k++) z += g[k] = -log(1.0 - rng_uniform(r));
        const int cue = by_cue ? episode_cue(X, xp, st) : 0;
        for (int k = 0; k < X->K; k++)
            X->resp[(size_t)k * X->cap + st] = cue ? (k == cue - 1 ? 0.9 : 0.1 / (X->K - 1)) : g[k] / z;
        tokens += xp->end[st] - st + 1;
    }
    counts_from_resp(X, xp);
    latent_ctx_mstep(X);
    double prev = -INFINITY;
    int it = 0;
    while (it < max_iter) {
        double ll = latent_ctx_estep(X, xp);
        latent_ctx_mstep(X);
        it++;
        if (tokens == 0 || (isfinite(prev) && (ll - prev) / (double)tokens < tol)) break;
        prev = ll;
    }
    return it;
}

int latent_ctx_em(latent_ctx_t *X, const experience_t *xp, int max_iter, double tol, rng_t *r) {
    /* LATENT_CTX_RESTARTS runs from different random starts; the one of the
     * highest likelihood is kept (run again from its seed: no second copy) */
    rng_t best_start = *r;
    double best = -INFINITY;
    int its = 0;
    int best_k = 0;
    for (int k = 0; k < LATENT_CTX_RESTARTS; k++) {
        rng_t here = *r;
        its += em_once(X, xp, max_iter, tol, r, k == 0);
        if (X->loglik > best) { best = X->loglik; best_start = here; best_k = k; }
    }
    rng_t again = best_start;
    its += em_once(X, xp, max_iter, tol, &again, best_k == 0);
    X->iterations = its;
    return its;
}

void latent_ctx_to_genmodel(const latent_ctx_t *X, genmodel_t *g) {
    const int nc = X->nc, no = X->no, na = g->na;
    efe_model_t *m = &g->m;
    const int bw = m->b_width, aw = m->a_width;
    for (int k = 0; k < X->K; k++) {
        const latent_t *L = &X->comp[k];
        const int off = k * nc;
        for (int a = 0; a < na; a++)
            for (int c = 0; c < nc; c++) {
                const size_t src = ((size_t)a * nc + c) * LATENT_WIDTH, dst = ((size_t)a * g->n + off + c) * bw;
                for (int j = 0; j < bw; j++) {
                    const int s2 = j < LATENT_WIDTH ? L->b_idx[src + j] : -1;
                    m->b_idx[dst + j] = s2 >= 0 ? off + s2 : -1;
                    m->b_p[dst + j] = s2 >= 0 ? L->B[src + j] : 0.0;
                }
                double moves = 0.0;
                for (int j = 0; j < LATENT_WIDTH; j++) moves += L->cB[src + j];
                g->tried[(size_t)a * g->n + off + c] = moves >= 0.5;
            }
        for (int c = 0; c < nc; c++) {
            const int s = off + c;
            const double *row = L->A + (size_t)c * no;
            memcpy(m->A + (size_t)s * no, row, sizeof(double) * (size_t)no);
            efe_model_update_entropy(m, s);
            /* the aw most probable observations (by probability, then index), renormalised */
            int *idx = m->a_idx + (size_t)s * aw;
            double *p = m->a_p + (size_t)s * aw, kept = 0.0;
            int nk = 0;
            for (int o = 0; o < no; o++) {
                if (row[o] <= 0.0 || (nk == aw && row[o] <= p[aw - 1])) continue;
                int j = nk < aw ? nk++ : aw - 1; /* a full list drops its last */
                while (j > 0 && row[o] > p[j - 1]) { idx[j] = idx[j - 1]; p[j] = p[j - 1]; j--; }
                idx[j] = o;
                p[j] = row[o];
            }
            for (int j = 0; j < nk; j++) kept += p[j];
            for (int j = 0; j < nk; j++) p[j] /= kept;
            for (int j = nk; j < aw; j++) { idx[j] = -1; p[j] = 0.0; }
            g->start[s] = X->rho[k] * L->pi[c];
            g->avoid[s] = L->h[c] > 0.5 && L->c_fail[c] >= 0.5;
            g->visited[s] = L->c_visit[c] >= 0.5;
        }
    }
    latent_ctx_absorb(X, g);
}

void latent_ctx_absorb(const latent_ctx_t *X, genmodel_t *g) {
    const int nc = X->nc;
    for (int k = 0; k < X->K; k++) {
        const latent_t *L = &X->comp[k];
        for (int c = 0; c < nc; c++) {
            /* where episodes of this context end at the goal: absorbing, as a goal is */
            const double ends = L->c_success[c], enters = L->c_enter[c];
            if (ends >= 0.5 && ends > 0.5 * enters) genmodel_absorb(g, k * nc + c);
            if (g->avoid[k * nc + c]) genmodel_absorb(g, k * nc + c);
        }
    }
}

void latent_ctx_sample(latent_ctx_t *X, experience_t *xp, rng_t *r) {
    for (long st = 0, lim = closed_tokens(xp); st < lim; st = xp->end[st] + 1) {
        const double u = rng_uniform(r);
        int k = 0;
        for (double acc = X->resp[st]; k < X->K - 1 && u >= acc; acc += X->resp[(size_t)(k + 1) * X->cap + st]) k++;
        latent_episode_sample(&X->comp[k], xp, st, r);
        for (long i = st; i <= xp->end[st]; i++) xp->z[i] += k * X->nc;
    }
}

void latent_ctx_moves(const latent_ctx_t *X, int *idx, double *count) {
    const int nc = X->nc, n = X->K * nc, na = X->comp[0].na;
    for (int k = 0; k < X->K; k++)
        for (int a = 0; a < na; a++)
            for (int c = 0; c < nc; c++) {
                const size_t src = ((size_t)a * nc + c) * LATENT_WIDTH, dst = ((size_t)a * n + k * nc + c) * LATENT_WIDTH;
                for (int j = 0; j < LATENT_WIDTH; j++) {
                    const int s2 = X->comp[k].b_idx[src + j];
                    idx[dst + j] = s2 >= 0 ? k * nc + s2 : -1;
                    count[dst + j] = X->comp[k].cB[src + j];
                }
            }
}
