/* planner: EFE over the policy tree (and its tail) on a discrete model
 * (include/aif/planner.h; docs/efe.md, section 3). */
#include "aif/planner.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(EFE_CTX_MAX <= DECISION_MAX_CONTEXTS, "a decision reports the belief in every context the planner handles");

const char *const planner_search_names[] = {"auto", "exhaustive", "beam", NULL};
const char *const planner_kind_names[] = {"tree", "induction", NULL};

void planner_params_read(const double *pv, planner_params_t *out) {
    out->kind = (int)pv[0];
    out->tail_steps = (int)pv[1];
}

int planner_tail_steps(const planner_params_t *p, int max_steps) {
    if (p->kind != PLANNER_INDUCTION) return 0;
    return p->tail_steps > 0 ? p->tail_steps : max_steps;
}

/* A child prefix in the beam: its parent slot, last action and partial sums. */
struct cand { double G, r, a; int parent, action, order; };

long planner_pow_sat(int na, int H, long limit) {
    long p = 1;
    for (int i = 0; i < H; i++) {
        p *= na;
        if (p > limit) return limit + 1;
    }
    return p;
}

plan_shape_t planner_shape(int na, const planner_config_t *cfg) {
    plan_shape_t ps = {0, 0, 0};
    const int H = cfg->H;
    const long cap = cfg->policy_cap, all = planner_pow_sat(na, H, cap);
    ps.beam = cfg->search == PLAN_SEARCH_BEAM || (cfg->search == PLAN_SEARCH_AUTO && all > cap);
    if (!ps.beam) {
        ps.max_pol = all;
        return ps;
    }
    ps.bw = cap / ((long)na * na);
    if (ps.bw < 1) ps.bw = 1;
    long full = planner_pow_sat(na, H >= 2 ? H - 2 : 0, ps.bw); /* wider than this is the whole tree */
    if (ps.bw > full) ps.bw = full;
    ps.max_pol = H == 1 ? na : (long)na * ps.bw * na;
    return ps;
}

double planner_bytes(int n, int na, const planner_config_t *cfg) {
    const plan_shape_t ps = planner_shape(na, cfg);
    double b = 8.0 * (n * 3.0) + 44.0 * ps.max_pol + 12.0 * (cfg->H + 1) * n + 64.0 * n;
    if (ps.beam) b += 2.0 * na * ps.bw * (12.0 * n + 24.0) + 40.0 * ps.bw * na;
    if (cfg->ctx_cells > 0) { /* the context table's four arrays, and the steps a solve keeps (about 16 each) */
        const int K = n / cfg->ctx_cells;
        const double pts = (double)cfg->ctx_cells * efe_ctx_points(K);
        b += 32.0 * pts + fmin((double)EFE_CTX_CACHE_BYTES, pts * na * (24.0 + 16.0 * (double)efe_ctx_entry_bytes(K)));
    }
    return b;
}

int planner_alloc(planner_t *p, arena_t *ar, int n, int no, int na, const planner_config_t *cfg) {
    memset(p, 0, sizeof *p);
    p->cfg = *cfg;
    p->n = n;
    p->no = no;
    p->na = na;
    p->H = cfg->H;
    p->shape = planner_shape(na, cfg);
    p->bw = (int)p->shape.bw;
    const size_t H = (size_t)cfg->H, np = (size_t)p->shape.max_pol, un = (size_t)n;
    p->pol_G = arena_alloc(ar, np, sizeof(double));
    p->pol_risk = arena_alloc(ar, np, sizeof(double));
    p->pol_amb = arena_alloc(ar, np, sizeof(double));
    p->pol_P = arena_alloc(ar, np, sizeof(double));
    p->pol_first = arena_alloc(ar, np, sizeof(int));
    p->lvl_q = arena_alloc(ar, (H + 1) * un, sizeof(double));
    p->lvl_supp = arena_alloc(ar, (H + 1) * un, sizeof(int));
    p->lvl_ns = arena_alloc(ar, H + 1, sizeof(int));
    p->qo = arena_alloc(ar, (size_t)no, sizeof(double));
    p->obs_list = arena_alloc(ar, (size_t)no, sizeof(int));
    p->mark_s = arena_alloc(ar, un, 1);
    p->mark_o = arena_alloc(ar, (size_t)no, 1);
    if (p->shape.beam) {
        const size_t slots = (size_t)na * (size_t)p->shape.bw;
        for (int i = 0; i < 2; i++) {
            p->bq[i] = arena_alloc(ar, slots * un, sizeof(double));
            p->bsupp[i] = arena_alloc(ar, slots * un, sizeof(int));
            p->bns[i] = arena_alloc(ar, slots, sizeof(int));
            p->br[i] = arena_alloc(ar, slots, sizeof(double));
            p->ba[i] = arena_alloc(ar, slots, sizeof(double));
            p->bcount[i] = arena_alloc(ar, (size_t)na, sizeof(int));
        }
        p->cand = arena_alloc(ar, (size_t)p->shape.bw * na, sizeof *p->cand);
    }
    if (!arena_ok(ar)) return -1;
    if (cfg->ctx_cells > 0) {
        if (cfg->tail_steps <= 0 || n % cfg->ctx_cells != 0) return -1;
        return efe_ctx_alloc(&p->ctx, cfg->ctx_cells, n / cfg->ctx_cells, no, na);
    }
    if (cfg->tail_steps > 0 && efe_tail_alloc(&p->tail, n, na) != 0) return -1;
    return 0;
}

void planner_free(planner_t *p) {
    efe_tail_free(&p->tail);
    efe_ctx_free(&p->ctx);
}

void planner_set_model(planner_t *p, const efe_model_t *m, const double *lnp, const efe_params_t *ep,
                       const double *bonus) {
    p->m = m;
    p->lnp = lnp;
    p->ep = *ep;
    if (p->cfg.ctx_cells > 0) efe_ctx_solve(&p->ctx, m, lnp, &ep->w, p->cfg.tail_steps);
    else if (p->cfg.tail_steps > 0) efe_tail_solve(&p->tail, m, lnp, &ep->w, p->cfg.tail_steps, bonus);
}

/* One tree node: q_out = B_a q_in (q_out zero on entry, its support written to
 * supp_out), with the risk and ambiguity of that step.  Returns |supp_out|. */
static int node_eval(planner_t *p, int a, const double *q_in, const int *supp_in, int ns_in,
                     double *q_out, int *supp_out, double *risk, double *amb) {
    const efe_model_t *m = p->m;
    const int n = p->n, bw = m->b_width, aw = m->a_width;
    int ns = 0;
    for (int i = 0; i < ns_in; i++) {
        const int s = supp_in[i];
        const double pr = q_in[s];
        const size_t base = ((size_t)a * n + s) * bw;
        for (int k = 0; k < bw; k++) {
            const int s2 = m->b_idx[base + k];
            if (s2 < 0) break;
            if (!p->mark_s[s2]) { p->mark_s[s2] = 1; supp_out[ns++] = s2; }
            q_out[s2] += pr * m->b_p[base + k];
        }
    }
    double am = 0.0;
    int nobs = 0;
    for (int i = 0; i < ns; i++) {
        const int s = supp_out[i];
        const double pr = q_out[s];
        p->mark_s[s] = 0;
        am += pr * m->H_A[s];
        const size_t base = (size_t)s * aw;
        for (int k = 0; k < aw; k++) {
            const int o = m->a_idx[base + k];
            if (o < 0) break;
            if (!p->mark_o[o]) { p->mark_o[o] = 1; p->obs_list[nobs++] = o; }
            p->qo[o] += pr * m->a_p[base + k];
        }
    }
    double r = 0.0;
    for (int i = 0; i < nobs; i++) {
        const int o = p->obs_list[i];
        const double po = p->qo[o];
        if (po > 0.0) r += po * efe_risk_term(&p->ep.w, po, p->lnp[o]);
        p->qo[o] = 0.0;
        p->mark_o[o] = 0;
    }
    *risk = r;
    *amb = am;
    return ns;
}

static void clear_belief(double *q, const int *supp, int ns) {
    for (int i = 0; i < ns; i++) q[supp[i]] = 0.0;
}

/* The tail after a leaf of the tree: its belief's share of the EFE still to come. */
static void leaf_tail(const planner_t *p, const double *q, const int *supp, int ns, double *r, double *am) {
    if (p->cfg.tail_steps <= 0) return;
    for (int i = 0; i < ns; i++) {
        const int s = supp[i];
        *r += q[s] * p->tail.Vr[s];
        *am += q[s] * p->tail.Va[s];
    }
}

static void record_policy(planner_t *p, int first, double r, double am) {
    long i = p->n_pol++;
    p->pol_first[i] = first;
    p->pol_risk[i] = r;
    p->pol_amb[i] = am;
    p->pol_G[i] = efe_combine(&p->ep.w, r, am);
}

/* Depth-first over all |A|^H sequences; policies are recorded in lexicographic
 * order (first action most significant). */
static void dfs(planner_t *p, int depth, int first, double r_acc, double a_acc) {
    const int n = p->n;
    double *q_in = p->lvl_q + (size_t)depth * n, *q_out = q_in + n;
    int *s_in = p->lvl_supp + (size_t)depth * n, *s_out = s_in + n;
    for (int a = 0; a < p->na; a++) {
        double r, am;
        int ns = node_eval(p, a, q_in, s_in, p->lvl_ns[depth], q_out, s_out, &r, &am);
        p->lvl_ns[depth + 1] = ns;
        int f = depth == 0 ? a : first;
        if (depth + 1 == p->H) {
            leaf_tail(p, q_out, s_out, ns, &r, &am);
            record_policy(p, f, r_acc + r, a_acc + am);
        } else {
            dfs(p, depth + 1, f, r_acc + r, a_acc + am);
        }
        clear_belief(q_out, s_out, ns);
    }
}

/* By partial G, then by generation order, so the beam is deterministic. */
static int cmp_candidates(const void *pa, const void *pb) {
    const struct cand *i = pa, *j = pb;
    if (i->G < j->G) return -1;
    if (i->G > j->G) return 1;
    return (i->order > j->order) - (i->order < j->order);
}

/* Depth 1 of the beam: one prefix per first action, in slot g * bw (with H 1
 * they are the policies). */
static void beam_first(planner_t *p, int cur) {
    const int n = p->n, bw = p->bw;
    for (int g = 0; g < p->na; g++) {
        const size_t slot = (size_t)g * bw;
        double r, am;
        int ns = node_eval(p, g, p->lvl_q, p->lvl_supp, p->lvl_ns[0], p->bq[cur] + slot * n,
                           p->bsupp[cur] + slot * n, &r, &am);
        if (p->H == 1) {
            leaf_tail(p, p->bq[cur] + slot * n, p->bsupp[cur] + slot * n, ns, &r, &am);
            record_policy(p, g, r, am);
            clear_belief(p->bq[cur] + slot * n, p->bsupp[cur] + slot * n, ns);
            continue;
        }
        p->bns[cur][slot] = ns;
        p->br[cur][slot] = r;
        p->ba[cur][slot] = am;
        p->bcount[cur][g] = 1;
    }
}

/* The children of group g's prefixes at generation cur into p->cand (or, at
 * the last depth, recorded as policies); returns their number. */
static int beam_children(planner_t *p, int cur, int g, int last) {
    const int n = p->n, bw = p->bw;
    double *scratch = p->lvl_q + n; /* depth-1 level of the DFS buffers, unused here */
    int *scratch_s = p->lvl_supp + n, nc = 0;
    for (int i = 0; i < p->bcount[cur][g]; i++) {
        const size_t slot = (size_t)g * bw + i;
        for (int a = 0; a < p->na; a++) {
            double r, am;
            int ns = node_eval(p, a, p->bq[cur] + slot * n, p->bsupp[cur] + slot * n, p->bns[cur][slot], scratch,
                               scratch_s, &r, &am);
            /* The tail ranks prefixes too (with induction): the beam then
             * keeps those from which the rest of the episode looks best. */
            double tr = 0.0, ta = 0.0;
            leaf_tail(p, scratch, scratch_s, ns, &tr, &ta);
            clear_belief(scratch, scratch_s, ns);
            r += p->br[cur][slot];
            am += p->ba[cur][slot];
            if (last) { record_policy(p, g, r + tr, am + ta); continue; }
            p->cand[nc] = (struct cand){efe_combine(&p->ep.w, r + tr, am + ta), r, am, i, a, nc};
            nc++;
        }
    }
    return nc;
}

/* Beam over prefixes, one beam of width bw per first action. */
static void beam_search(planner_t *p) {
    const int n = p->n, na = p->na, H = p->H, bw = p->bw;
    int cur = 0;
    beam_first(p, cur);
    if (H == 1) return;
    for (int d = 1; d < H; d++) {
        const int nxt = cur ^ 1, last = d == H - 1;
        for (int g = 0; g < na; g++) {
            int nc = beam_children(p, cur, g, last);
            if (last) continue;
            qsort(p->cand, (size_t)nc, sizeof *p->cand, cmp_candidates);
            int keep = nc < bw ? nc : bw;
            for (int j = 0; j < keep; j++) {
                const struct cand *c = &p->cand[j];
                const size_t from = (size_t)g * bw + c->parent, to = (size_t)g * bw + j;
                double r, am;
                p->bns[nxt][to] = node_eval(p, c->action, p->bq[cur] + from * n, p->bsupp[cur] + from * n,
                                            p->bns[cur][from], p->bq[nxt] + to * n, p->bsupp[nxt] + to * n, &r, &am);
                p->br[nxt][to] = c->r;
                p->ba[nxt][to] = c->a;
            }
            p->bcount[nxt][g] = keep;
        }
        /* retire the current generation: its slots must be zero for reuse */
        for (int g = 0; g < na; g++) {
            for (int i = 0; i < p->bcount[cur][g]; i++) {
                const size_t slot = (size_t)g * bw + i;
                clear_belief(p->bq[cur] + slot * n, p->bsupp[cur] + slot * n, p->bns[cur][slot]);
            }
            p->bcount[cur][g] = 0;
        }
        cur = nxt;
    }
}

/* Root of the tree: the belief, without states below a relative 1e-12
 * (renormalised).  This bounds the work per decision by the states that carry
 * probability; it changes G by at most ~1e-12 relative. */
static void set_root(planner_t *p, const double *belief) {
    const int n = p->n;
    double *q = p->lvl_q;
    int *supp = p->lvl_supp, ns = 0;
    double mx = 0.0, sum = 0.0;
    for (int s = 0; s < n; s++) if (belief[s] > mx) mx = belief[s];
    for (int s = 0; s < n; s++) {
        q[s] = 0.0;
        if (belief[s] > 1e-12 * mx) { q[s] = belief[s]; supp[ns++] = s; sum += q[s]; }
    }
    for (int i = 0; i < ns; i++) q[supp[i]] /= sum;
    p->lvl_ns[0] = ns;
}

/* The EFE diagnostic: the first policies in the depth-first (lexicographic)
 * order, whose actions are the base-|A| digits of their index.  Beam search
 * keeps no action sequences, so it exposes none. */
static void expose_policies(const planner_t *p, decision_t *d) {
    if (p->shape.beam || p->H > DECISION_MAX_H) return;
    int n = p->n_pol < DECISION_MAX_CHECK ? (int)p->n_pol : DECISION_MAX_CHECK;
    for (int k = 0; k < n; k++) {
        int i = k;
        for (int h = p->H - 1; h >= 0; h--) { d->check_policy[k][h] = (signed char)(i % p->na); i /= p->na; }
        d->check_est[k] = (float)p->pol_G[k];
    }
    d->check_H = p->H;
    d->n_check = n;
}

/* A decision over the belief about the context: each first action's G from
 * the joint belief q (efe_ctx_first); P(a) = softmax(-gamma G). */
static int decide_ctx(planner_t *p, const double *q, rng_t *r, decision_t *d) {
    double G[TASK_MAX_ACTIONS], risk[TASK_MAX_ACTIONS], amb[TASK_MAX_ACTIONS], pa[TASK_MAX_ACTIONS];
    efe_ctx_first(&p->ctx, p->m, q, p->lnp, &p->ep.w, G, risk, amb);
    efe_policy_posterior(G, NULL, p->ep.gamma, p->na, pa);
    int a = efe_select_action(pa, p->na, p->ep.sel, r);
    if (d) {
        for (int k = 0; k < p->na; k++) {
            d->G[k] = (float)G[k];
            d->risk[k] = (float)risk[k];
            d->ambiguity[k] = (float)amb[k];
            d->p_action[k] = (float)pa[k];
        }
        d->action = a;
        double mass[EFE_CTX_MAX] = {0}, all = 0.0; /* the belief in each context */
        for (int s = 0; s < p->n; s++) mass[s / p->cfg.ctx_cells] += q[s];
        for (int k = 0; k < p->ctx.K; k++) all += mass[k];
        for (int k = 0; k < p->ctx.K && all > 0.0; k++) d->p_context[k] = (float)(mass[k] / all);
        if (d->want_check) { /* the EFE diagnostic: the first actions, scored by run.c on the true model */
            for (int k = 0; k < p->na && k < DECISION_MAX_CHECK; k++) {
                d->check_policy[k][0] = (signed char)k;
                d->check_est[k] = (float)G[k];
            }
            d->n_check = p->na < DECISION_MAX_CHECK ? p->na : DECISION_MAX_CHECK;
            d->check_H = 1;
            d->check_ctx = 1;
        }
    }
    return a;
}

int planner_decide(planner_t *p, const double *q, rng_t *r, decision_t *d) {
    if (p->cfg.ctx_cells > 0) return decide_ctx(p, q, r, d);
    set_root(p, q);
    p->n_pol = 0;
    if (p->shape.beam) beam_search(p);
    else dfs(p, 0, -1, 0.0, 0.0);
    efe_policy_posterior(p->pol_G, NULL, p->ep.gamma, (int)p->n_pol, p->pol_P);
    double p_action[TASK_MAX_ACTIONS];
    efe_action_marginals(p->pol_P, p->pol_first, (int)p->n_pol, p->na, p_action);
    int a = efe_select_action(p_action, p->na, p->ep.sel, r);
    if (d) {
        efe_first_action_summary(p->pol_G, p->pol_risk, p->pol_amb, p->pol_first, (int)p->n_pol, p->na, p_action,
                                 d->G, d->risk, d->ambiguity, d->p_action);
        d->action = a;
        if (d->want_check) expose_policies(p, d);
    }
    return a;
}
