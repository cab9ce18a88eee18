/* latent_ctx: a mixture over hidden contexts of the hidden Markov models of
 * latent.h, learned by EM (include/aif/latent_ctx.h). */
#include "aif/latent_ctx.h"
#include <math.h>
#include <string.h>

int latent_ctx_alloc(latent_ctx_t *X, arena_t *ar, const task_t *task, int max_len, long cap,
                     const latent_prior_t *prior) {
    memset(X, 0, sizeof *X);
    if (task->n_contexts < 2 || task->n_contexts > LATENT_CTX_MAX) return -1;
    X->K = task->n_contexts;
    X->nc = task->n_cells;
    X->no = task->n_obs;
    X->rho_prior = LATENT_CTX_RHO_PRIOR;
    X->cap = cap < 1 ? 1 : cap;
    X->tie = 1;
    X->resp = arena_alloc(ar, (size_t)X->K * (size_t)X->cap, sizeof(double));
    X->tmp = arena_alloc(ar, (size_t)X->nc, sizeof(double));
    X->rank = arena_alloc(ar, (size_t)X->nc, sizeof(int));
    if (!X->resp || !X->tmp || !X->rank) return -1;
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

/* A's location part shared by rows[0..K-1] (one per context, no = n_sym *
 * nc entries, index sym * nc + loc), weighted by w: each row becomes its own
 * symbol marginal times the weighted average of the rows' location
 * marginals.  loc: [nc] scratch. */
static void tie_location(double *const *rows, const double *w, int K, int nc, int n_sym, double *loc) {
    double wsum = 0.0;
    memset(loc, 0, sizeof(double) * (size_t)nc);
    for (int k = 0; k < K; k++) {
        wsum += w[k];
        for (int y = 0; y < n_sym; y++)
            for (int l = 0; l < nc; l++) loc[l] += w[k] * rows[k][y * nc + l];
    }
    for (int l = 0; l < nc; l++) loc[l] /= wsum;
    for (int k = 0; k < K; k++)
        for (int y = 0; y < n_sym; y++) {
            double py = 0.0;
            for (int l = 0; l < nc; l++) py += rows[k][y * nc + l];
            for (int l = 0; l < nc; l++) rows[k][y * nc + l] = py * loc[l];
        }
}

/* The moves (c, a) the counts of component L hold (c's local slots). */
static double moves_made(const latent_t *L, int a, int c) {
    const double *cnt = L->cB + ((size_t)a * L->n + c) * LATENT_WIDTH;
    double m = 0.0;
    for (int j = 0; j < LATENT_WIDTH; j++) m += cnt[j];
    return m;
}

/* The tied M-step's shared parts (latent_ctx.h): each component's posterior
 * means averaged, weighted by its Dirichlet mass (counts plus prior: the
 * posterior mean of the pooled counts). */
static void tie_components(latent_ctx_t *X) {
    const int K = X->K, nc = X->nc, no = X->no, na = X->comp[0].na, n_sym = X->comp[0].n_sym;
    const latent_prior_t *pr = &X->comp[0].prior;
    double w[LATENT_CTX_MAX];
    double *rows[LATENT_CTX_MAX];
    for (int c = 0; c < nc; c++) {
        for (int k = 0; k < K; k++) {
            const double *cnt = X->comp[k].cA + (size_t)c * no;
            w[k] = pr->a_prior + pr->a_self;
            for (int o = 0; o < no; o++) w[k] += cnt[o];
            rows[k] = X->comp[k].A + (size_t)c * no;
        }
        tie_location(rows, w, K, nc, n_sym, X->tmp);
    }
    for (int a = 0; a < na; a++)
        for (int c = 0; c < nc; c++) {
            const size_t base = ((size_t)a * nc + c) * LATENT_WIDTH;
            const int *idx = X->comp[0].b_idx + base;
            int slots = 0;
            while (slots < LATENT_WIDTH && idx[slots] >= 0) slots++;
            double p[LATENT_WIDTH] = {0}, wsum = 0.0;
            for (int k = 0; k < K; k++) {
                const double m = moves_made(&X->comp[k], a, c);
                w[k] = m + slots * pr->b_prior + (m < 0.5 && a < 4 ? pr->b_told : 0.0);
                wsum += w[k];
                for (int j = 0; j < slots; j++) p[j] += w[k] * X->comp[k].B[base + j];
            }
            for (int k = 0; k < K; k++)
                for (int j = 0; j < slots; j++) X->comp[k].B[base + j] = p[j] / wsum;
        }
    double wsum = 0.0;
    memset(X->tmp, 0, sizeof(double) * (size_t)nc);
    for (int k = 0; k < K; k++) {
        w[k] = nc * pr->start_prior;
        for (int c = 0; c < nc; c++) w[k] += X->comp[k].c_start[c];
        wsum += w[k];
        for (int c = 0; c < nc; c++) X->tmp[c] += w[k] * X->comp[k].pi[c];
    }
    for (int k = 0; k < K; k++)
        for (int c = 0; c < nc; c++) X->comp[k].pi[c] = X->tmp[c] / wsum;
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
    if (X->tie) tie_components(X);
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

/* The outcome start's naming: the K locations where the record saw the reward
 * symbol most often (ties by index) get components 0..K-1 (rank[loc], else -1). */
static void reward_ranks(latent_ctx_t *X, const experience_t *xp) {
    int *rank = X->rank;
    double *cnt = X->tmp;
    memset(cnt, 0, sizeof(double) * (size_t)X->nc);
    for (long st = 0, lim = closed_tokens(xp); st < lim; st = xp->end[st] + 1) {
        const int o = xp->o[xp->end[st]];
        if (o / X->nc == X->K + 1) cnt[o % X->nc] += 1.0;
    }
    for (int c = 0; c < X->nc; c++) rank[c] = -1;
    for (int k = 0; k < X->K; k++) {
        int best = -1;
        for (int c = 0; c < X->nc; c++)
            if (rank[c] < 0 && cnt[c] > 0.0 && (best < 0 || cnt[c] > cnt[best])) best = c;
        if (best < 0) break;
        rank[best] = k;
    }
}

/* One EM run.  It breaks the contexts' symmetry with random
 * responsibilities, Dirichlet(1) per episode; with by_cue, an episode that saw
 * a cue symbol starts with 0.9 on the component of that symbol's number (a
 * naming, not a meaning: which symbol goes with which goal is still learned);
 * with rank (the outcome start), an episode that saw the reward at the j-th
 * most rewarded location starts with 0.9 on component j, and one that ended
 * without it there with 0.05 (the rest by its random draw): where a context
 * pays is what tells the contexts apart even when the cue was rarely seen. */
static int em_once(latent_ctx_t *X, const experience_t *xp, int max_iter, double tol, rng_t *r, int by_cue,
                   const int *rank) {
    long tokens = 0;
    for (long st = 0, lim = closed_tokens(xp); st < lim; st = xp->end[st] + 1) {
        double g[LATENT_CTX_MAX], z = 0.0;
        for (int k = 0; k < X->K; k++) z += g[k] = -log(1.0 - rng_uniform(r));
        const int cue = by_cue ? episode_cue(X, xp, st) : 0;
        double *resp = X->resp + st;
        for (int k = 0; k < X->K; k++)
            resp[(size_t)k * X->cap] = cue ? (k == cue - 1 ? 0.9 : 0.1 / (X->K - 1)) : g[k] / z;
        const int o = xp->o[xp->end[st]], j = rank ? rank[o % X->nc] : -1;
        if (j >= 0 && o / X->nc == X->K + 1) /* the reward seen at the j-th reward location */
            for (int k = 0; k < X->K; k++) resp[(size_t)k * X->cap] = k == j ? 0.9 : 0.1 / (X->K - 1);
        else if (j >= 0 && xp->ending[st] == XP_FAILED) /* ended there without it: not that context */
            for (int k = 0; k < X->K; k++)
                resp[(size_t)k * X->cap] = k == j ? 0.05 : z > g[j] ? 0.95 * g[k] / (z - g[j]) : 0.95 / (X->K - 1);
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
    reward_ranks(X, xp);
    for (int k = 0; k < LATENT_CTX_RESTARTS; k++) { /* start 0 by the cue, 1 by the outcomes, the rest at random */
        rng_t here = *r;
        its += em_once(X, xp, max_iter, tol, r, k == 0, k == 1 ? X->rank : NULL);
        if (X->loglik > best) { best = X->loglik; best_start = here; best_k = k; }
    }
    rng_t again = best_start;
    its += em_once(X, xp, max_iter, tol, &again, best_k == 0, best_k == 1 ? X->rank : NULL);
    X->iterations = its;
    return its;
}

/* State s's sparse likelihood row from its dense one: the a_width most
 * probable observations (by probability, then index), renormalised; and its
 * entropy. */
static void sparse_likelihood(efe_model_t *m, int s) {
    const int no = m->n_obs, aw = m->a_width;
    const double *row = m->A + (size_t)s * no;
    efe_model_update_entropy(m, s);
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
}

/* What a tied mixture's record shows of cell c (latent_ctx.h): summed over
 * the contexts when tied (a move or a visit in one context is one in all),
 * else component k's alone. */
static double shown_moves(const latent_ctx_t *X, int k, int a, int c) {
    if (!X->tie) return moves_made(&X->comp[k], a, c);
    double m = 0.0;
    for (int j = 0; j < X->K; j++) m += moves_made(&X->comp[j], a, c);
    return m;
}

static double shown_visits(const latent_ctx_t *X, int k, int c) {
    if (!X->tie) return X->comp[k].c_visit[c];
    double v = 0.0;
    for (int j = 0; j < X->K; j++) v += X->comp[j].c_visit[c];
    return v;
}

void latent_ctx_to_genmodel(const latent_ctx_t *X, genmodel_t *g) {
    const int nc = X->nc, no = X->no, na = g->na;
    efe_model_t *m = &g->m;
    const int bw = m->b_width;
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
                g->tried[(size_t)a * g->n + off + c] = shown_moves(X, k, a, c) >= 0.5;
            }
        for (int c = 0; c < nc; c++) {
            const int s = off + c;
            const double *row = L->A + (size_t)c * no;
            memcpy(m->A + (size_t)s * no, row, sizeof(double) * (size_t)no);
            sparse_likelihood(m, s);
            g->start[s] = X->rho[k] * L->pi[c];
            g->avoid[s] = L->h[c] > 0.5 && L->c_fail[c] >= 0.5;
            g->visited[s] = shown_visits(X, k, c) >= 0.5;
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
        /* the episode's context: k with probability resp[k] */
        const double u = rng_uniform(r);
        int k = 0;
        double acc = X->resp[st];
        while (k < X->K - 1 && u >= acc) acc += X->resp[(size_t)(++k) * X->cap + st];
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
                    for (int i = 0; X->tie && i < X->K; i++)
                        if (i != k) count[dst + j] += X->comp[i].cB[src + j];
                }
            }
}

void latent_ctx_tie_model(const latent_ctx_t *X, genmodel_t *g) {
    const int K = X->K, nc = X->nc, no = X->no, na = g->na, bw = g->m.b_width, n_sym = X->comp[0].n_sym;
    efe_model_t *m = &g->m;
    if (bw > LATENT_CTX_TIE_BW) return; /* the contract: at most LATENT_CTX_TIE_BW slots */
    double w[LATENT_CTX_MAX];
    double *rows[LATENT_CTX_MAX];
    for (int c = 0; c < nc; c++) {
        for (int k = 0; k < K; k++) {
            w[k] = X->comp[k].c_visit[c] + 1.0;
            rows[k] = m->A + (size_t)(k * nc + c) * no;
        }
        tie_location(rows, w, K, nc, n_sym, X->tmp);
        for (int k = 0; k < K; k++) sparse_likelihood(m, k * nc + c);
    }
    /* B: the union of the contexts' successors (cells) in a dense [nc]
     * accumulator, the bw most probable kept in each context's block */
    double *acc = X->tmp;
    memset(acc, 0, sizeof(double) * (size_t)nc);
    int list[LATENT_CTX_MAX * LATENT_CTX_TIE_BW];
    for (int a = 0; a < na; a++)
        for (int c = 0; c < nc; c++) {
            int nl = 0;
            double wsum = 0.0;
            for (int k = 0; k < K; k++) {
                w[k] = moves_made(&X->comp[k], a, c) + 1.0;
                wsum += w[k];
            }
            for (int k = 0; k < K; k++) {
                const size_t base = ((size_t)a * g->n + k * nc + c) * bw;
                for (int j = 0; j < bw && m->b_idx[base + j] >= 0; j++) {
                    const int c2 = m->b_idx[base + j] - k * nc;
                    if (acc[c2] == 0.0) list[nl++] = c2;
                    acc[c2] += w[k] / wsum * m->b_p[base + j];
                }
            }
            /* the bw most probable, by probability then cell */
            int keep[LATENT_CTX_TIE_BW], nk = 0;
            double kept = 0.0;
            for (; nk < bw; nk++) {
                int best = -1;
                for (int i = 0; i < nl; i++) {
                    const int c2 = list[i];
                    if (acc[c2] > 0.0 && (best < 0 || acc[c2] > acc[best] || (acc[c2] == acc[best] && c2 < best)))
                        best = c2;
                }
                if (best < 0) break;
                keep[nk] = best;
                kept += acc[best];
                acc[best] = -acc[best]; /* taken */
            }
            for (int k = 0; k < K; k++) {
                const size_t base = ((size_t)a * g->n + k * nc + c) * bw;
                for (int j = 0; j < bw; j++) {
                    m->b_idx[base + j] = j < nk ? k * nc + keep[j] : -1;
                    m->b_p[base + j] = j < nk ? -acc[keep[j]] / kept : 0.0;
                }
            }
            for (int i = 0; i < nl; i++) acc[list[i]] = 0.0;
        }
}
