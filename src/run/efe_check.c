/* efe_check: the EFE error diagnostic of one run (include/run/efe_check.h). */
#include "run/efe_check.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Average ranks (ties share the mean of their positions). */
static void ranks(const float *x, int n, double *r) {
    for (int i = 0; i < n; i++) {
        int less = 0, equal = 0;
        for (int j = 0; j < n; j++) {
            less += x[j] < x[i];
            equal += x[j] == x[i];
        }
        r[i] = less + (equal + 1) / 2.0;
    }
}

/* Spearman's rank correlation; NaN when either side is constant or n < 2. */
float efe_check_spearman(const float *x, const float *y, int n) {
    double rx[RESULT_CHECK_POLICIES], ry[RESULT_CHECK_POLICIES];
    if (n < 2 || n > RESULT_CHECK_POLICIES) return NAN;
    ranks(x, n, rx);
    ranks(y, n, ry);
    double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < n; i++) { mx += rx[i]; my += ry[i]; }
    mx /= n;
    my /= n;
    for (int i = 0; i < n; i++) {
        sxy += (rx[i] - mx) * (ry[i] - my);
        sxx += (rx[i] - mx) * (rx[i] - mx);
        syy += (ry[i] - my) * (ry[i] - my);
    }
    return sxx > 0 && syy > 0 ? (float)(sxy / sqrt(sxx * syy)) : NAN;
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The next naming after a in lexicographic order (a permutation of 0..K-1):
 * 1, or 0 after the last. */
static int next_naming(int *a, int K) {
    int i = K - 2;
    while (i >= 0 && a[i] > a[i + 1]) i--;
    if (i < 0) return 0;
    int j = K - 1;
    while (a[j] < a[i]) j--;
    int t = a[i];
    a[i] = a[j];
    a[j] = t;
    for (int l = i + 1, r = K - 1; l < r; l++, r--) t = a[l], a[l] = a[r], a[r] = t;
    return 1;
}

/* The exact G of each first action from the agent's belief b [K n_cells]
 * read under naming `name` (the world's context j is the agent's name[j]) on
 * the true model, by the belief recursion. */
static void exact_ctx_first(efe_check_t *xc, const double *b, const int *name, float *out, int np) {
    const efe_model_t *tm = xc->tm;
    const int n = tm->n_states, K = xc->K, nc = n / K;
    double *q = xc->work, G[TASK_MAX_ACTIONS], risk[TASK_MAX_ACTIONS], amb[TASK_MAX_ACTIONS];
    for (int j = 0; j < K; j++)
        for (int c = 0; c < nc; c++) q[j * nc + c] = b[name[j] * nc + c];
    efe_ctx_first(&xc->ctx, tm, q, xc->lnp, &xc->w, G, risk, amb);
    for (int p = 0; p < np; p++) out[p] = (float)G[p];
}

int efe_check_init(efe_check_t *xc, const gridworld_t *g, const efe_model_t *tm, int n_check, int n_episodes) {
    memset(xc, 0, sizeof *xc);
    xc->tm = tm;
    xc->work = malloc(sizeof(double) * (2 * (size_t)tm->n_states + (size_t)tm->n_obs));
    if (!xc->work) return -1;
    if (efe_tail_alloc(&xc->tail, tm->n_states, tm->n_actions) != 0) return -1;
    xc->tail_alloc = 1;
    /* a context world with checks: the belief recursion (if its table is
     * built for this world), the checks' beliefs and the episodes' votes */
    const int K = g->n_contexts;
    if (K < 2 || n_check < 1 || !efe_ctx_fits(g->n_states, K)) return 0;
    xc->K = K;
    xc->ep_cap = n_episodes > 0 ? n_episodes : 1;
    xc->check_q = malloc(sizeof(double) * (size_t)n_check * (size_t)tm->n_states);
    xc->lnp = malloc(sizeof(double) * (size_t)tm->n_obs);
    xc->ep_p = malloc(sizeof(float) * (size_t)xc->ep_cap * (size_t)K);
    xc->ep_ctx = malloc(sizeof(int) * (size_t)xc->ep_cap);
    if (!xc->check_q || !xc->lnp || !xc->ep_p || !xc->ep_ctx) return -1;
    xc->ctx_alloc = efe_ctx_alloc(&xc->ctx, g->n_states, K, tm->n_obs, tm->n_actions) == 0;
    return xc->ctx_alloc ? 0 : -1;
}

void efe_check_free(efe_check_t *xc) {
    free(xc->work);
    free(xc->check_q);
    free(xc->lnp);
    free(xc->ep_p);
    free(xc->ep_ctx);
    if (xc->tail_alloc) efe_tail_free(&xc->tail);
    if (xc->ctx_alloc) efe_ctx_free(&xc->ctx);
    memset(xc, 0, sizeof *xc);
}

void efe_check_episode_end(efe_check_t *xc, const float *p_context, int context) {
    if (xc->K < 2 || context < 0 || context >= xc->K || isnan(p_context[0]) || xc->n_ep >= xc->ep_cap) return;
    memcpy(xc->ep_p + (size_t)xc->n_ep * (size_t)xc->K, p_context, sizeof(float) * (size_t)xc->K);
    xc->ep_ctx[xc->n_ep++] = context;
}

void efe_check_naming(const efe_check_t *xc, int *name) {
    const int K = xc->K;
    int a[EFE_CTX_MAX] = {0};
    double best = -INFINITY;
    for (int j = 0; j < K; j++) a[j] = name[j] = j;
    do { /* each naming's agreement, summed over the episodes in their order */
        double agree = 0.0;
        for (int e = 0; e < xc->n_ep; e++) agree += xc->ep_p[(size_t)e * (size_t)K + (size_t)a[xc->ep_ctx[e]]];
        if (agree > best) {
            best = agree;
            memcpy(name, a, sizeof(int) * (size_t)K);
        }
    } while (next_naming(a, K));
}

/* After the evaluation: the naming under which the agent's beliefs at the
 * ends of its episodes put the most weight on their true contexts (the
 * world's own on a tie); the checks' exact values and rank correlations are
 * those under it (scored under the world's naming as they were made). */
static void settle_ctx_naming(efe_check_t *xc, run_result_t *res) {
    if (xc->K < 2 || xc->ctx_checks < 1) return;
    int name[EFE_CTX_MAX], same = 1;
    efe_check_naming(xc, name);
    for (int j = 0; j < xc->K; j++) same &= name[j] == j;
    if (same) return;
    for (int i = 0; i < xc->ctx_checks; i++) {
        float *ex = res->check_exact + (size_t)i * RESULT_CHECK_POLICIES;
        const int np = res->check_n[i];
        if (np < 1) continue;
        exact_ctx_first(xc, xc->check_q + (size_t)i * (size_t)xc->tm->n_states, name, ex, np);
        res->check_rho[i] = efe_check_spearman(res->check_est + (size_t)i * RESULT_CHECK_POLICIES, ex, np);
    }
}

/* G of the agent's exposed candidates under the world's true A and B, from
 * the agent's own belief and preference, with the same planner (a tail after
 * the policy if the agent's G has one), into check slot i. */
void efe_check_score(efe_check_t *xc, const agent_class_t *c, const void *agent, int n_cells, const decision_t *dec,
                     run_result_t *res, int i) {
    const efe_model_t *tm = xc->tm;
    check_context_t ctx = {0}; /* an agent that leaves a field out gets 0, never stack garbage */
    if (!c->check_context || c->check_context(agent, &ctx) != 0 || dec->check_H < 1) return;
    /* a belief over other states than the true model's (the cells alone in a
     * context world) cannot be scored on it */
    if ((ctx.n_states ? ctx.n_states : n_cells) != tm->n_states) return;
    const efe_weights_t w = {ctx.w_risk, ctx.w_ambiguity, ctx.risk_cost ? EFE_RISK_COST : EFE_RISK_KL};
    if (dec->check_ctx) {
        if (!xc->ctx_alloc || dec->check_H != 1 || ctx.tail_steps < 1) return;
        const efe_model_t *m = tm;
        if (!xc->ctx_solved) {
            memcpy(xc->lnp, ctx.lnp, sizeof(double) * (size_t)m->n_obs);
            xc->w = w;
            efe_ctx_solve(&xc->ctx, tm, xc->lnp, &xc->w, ctx.tail_steps);
            xc->ctx_solved = 1;
        }
        int np = dec->n_check < RESULT_CHECK_POLICIES ? dec->n_check : RESULT_CHECK_POLICIES;
        int ident[EFE_CTX_MAX];
        for (int j = 0; j < xc->K; j++) ident[j] = j;
        double *q = xc->check_q + (size_t)i * (size_t)m->n_states;
        memcpy(q, ctx.belief, sizeof(double) * (size_t)m->n_states);
        float *exact = res->check_exact + (size_t)i * RESULT_CHECK_POLICIES;
        exact_ctx_first(xc, q, ident, exact, np); /* the world's naming, until the evaluation settles it */
        res->check_n[i] = np;
        memcpy(res->check_est + (size_t)i * RESULT_CHECK_POLICIES, dec->check_est, sizeof(float) * (size_t)np);
        res->check_rho[i] = efe_check_spearman(dec->check_est, exact, np);
        xc->ctx_checks = i + 1;
        return;
    }
    const efe_tail_t *tail = NULL;
    if (ctx.tail_steps > 0) {
        if (!xc->solved) {
            efe_tail_solve(&xc->tail, tm, ctx.lnp, &w, ctx.tail_steps, NULL);
            xc->solved = 1;
        }
        tail = &xc->tail;
    }
    int np = dec->n_check < RESULT_CHECK_POLICIES ? dec->n_check : RESULT_CHECK_POLICIES;
    float exact[RESULT_CHECK_POLICIES];
    for (int p = 0; p < np; p++) {
        int pol[DECISION_MAX_H];
        for (int h = 0; h < dec->check_H; h++) pol[h] = dec->check_policy[p][h];
        exact[p] = (float)efe_tail_policy_G(tm, tail, ctx.belief, pol, dec->check_H, ctx.lnp, &w, NULL, NULL,
                                            xc->work);
    }
    res->check_n[i] = np;
    memcpy(res->check_est + (size_t)i * RESULT_CHECK_POLICIES, dec->check_est, sizeof(float) * (size_t)np);
    memcpy(res->check_exact + (size_t)i * RESULT_CHECK_POLICIES, exact, sizeof(float) * (size_t)np);
    res->check_rho[i] = efe_check_spearman(dec->check_est, exact, np);
}

void efe_check_finish(efe_check_t *xc, run_result_t *res, int n_checked) {
    settle_ctx_naming(xc, res);
    /* the median of the defined rank correlations (check_rho keeps its order) */
    float rho[n_checked > 0 ? n_checked : 1];
    int nr = 0;
    for (int i = 0; i < n_checked; i++)
        if (!isnan(res->check_rho[i])) rho[nr++] = res->check_rho[i];
    if (nr == 0) return;
    qsort(rho, (size_t)nr, sizeof(float), cmp_float);
    res->check_rho_median = nr % 2 ? rho[nr / 2] : 0.5f * (rho[nr / 2 - 1] + rho[nr / 2]);
}
