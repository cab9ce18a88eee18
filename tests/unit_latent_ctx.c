/* unit_latent_ctx: hidden contexts learned from observations alone
 * (latent_ctx.h).  From random-walk episodes of the T-maze with its reliable
 * cue, EM on the mixture: never lowers the log-likelihood; assigns the
 * episodes that saw the cue to the right context (up to which is called
 * which); learns that in each context the cue shows one symbol and the
 * reward is in one arm, the other arm ending the episode without it; and
 * gives the planner a joint model whose start splits over the contexts.
 * Tied (the default) the contexts share the transitions, the start and the
 * location part of the likelihood exactly; untied (the ablation) they learn
 * the same from their own episodes; latent_ctx_tie_model ties a model whose
 * rows differ per context to the weighted averages it states. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "world/env.h"
#include "aif/latent_ctx.h"
#include "unit.h"
#include "unit_world.h"

#define EPISODES 400

/* The location marginal of row A(.|s) at location l. */
static double loc_marginal(const double *row, int nc, int n_sym, int l) {
    double p = 0.0;
    for (int y = 0; y < n_sym; y++) p += row[y * nc + l];
    return p;
}

static double sym_marginal(const double *row, int nc, int y) {
    double p = 0.0;
    for (int l = 0; l < nc; l++) p += row[y * nc + l];
    return p;
}

/* The world of map (rows x cols letters, at most 8 steps; the contexts drawn
 * with probs[n_probs], or uniformly with n_probs 0) and its task. */
static void build_world(gridworld_t *g, task_t *task, const char *map, int rows, int cols, const double *probs,
                        int n_probs, const char *name) {
    static char buf[64];
    snprintf(buf, sizeof buf, "%s", map);
    gw_spec_t sp;
    gw_spec_init(&sp);
    sp.rows = rows;
    sp.cols = cols;
    sp.map = buf;
    sp.max_steps = 8;
    sp.n_ctx_prob = n_probs;
    for (int k = 0; k < n_probs; k++) sp.ctx_prob[k] = probs[k];
    snprintf(sp.name, sizeof sp.name, "%s", name);
    BUILD(*g, sp);
    task_from_world(task, g, NULL, 0);
}

static int random_move(rng_t *pr) { return (int)rng_below(pr, 4); }

/* n_ep episodes of world g recorded into xp (the world's and the mover's
 * random streams from seed), each at most 8 moves drawn by act: each
 * episode's context ctx[ep], first token start[ep] and (saw non-NULL)
 * whether it saw location cue (nc cells). */
static void record(const gridworld_t *g, uint64_t seed, experience_t *xp, int n_ep, int (*act)(rng_t *), int nc,
                   int cue, int *ctx, long *start, int *saw) {
    rng_t er, pr;
    rng_seed(&er, seed, 1, RNG_ENV);
    rng_seed(&pr, seed, 1, RNG_AGENT);
    env_t env;
    env_init(&env, g, &er);
    for (int ep = 0; ep < n_ep; ep++) {
        int o = env_reset(&env), out = ENV_RUNNING, steps = 0;
        ctx[ep] = env_context(&env);
        start[ep] = xp->n;
        if (saw) saw[ep] = 0;
        xp_begin(xp, o, -1);
        while (out == ENV_RUNNING && steps < 8) {
            const int a = act(&pr);
            o = env_step(&env, a, NULL, &out);
            if (saw) saw[ep] |= o % nc == cue;
            xp_step(xp, a, o, -1);
            steps++;
        }
        xp_end(xp, out == ENV_GOAL ? XP_GOAL : out == ENV_FAILED ? XP_FAILED : XP_CUT);
    }
}

static void learn_tmaze(int tie) {
    gridworld_t g;
    task_t task;
    build_world(&g, &task, "1S2" "#C#", 2, 3, NULL, 0, "tmaze");
    const int nc = task.n_cells, no = task.n_obs;
    arena_t *ar = arena_create(1 << 20);
    experience_t xp;
    CHECK(xp_alloc(&xp, ar, EPISODES * 8) == 0);
    int ctx[EPISODES];
    long start[EPISODES];
    int saw_cue[EPISODES];
    record(&g, 7, &xp, EPISODES, random_move, nc, 4, ctx, start, saw_cue);
    latent_ctx_t X;
    latent_prior_t prior = latent_prior_defaults();
    CHECK(latent_ctx_alloc(&X, ar, &task, 9, xp.cap, &prior) == 0);
    CHECK(X.tie == 1); /* the default */
    X.tie = tie;
    rng_t r;
    rng_seed(&r, 7, 1, RNG_INIT);
    latent_ctx_em(&X, &xp, 200, 1e-6, &r);
    /* further iterations never lower the log-likelihood */
    double prev = latent_ctx_estep(&X, &xp);
    for (int it = 0; it < 10; it++) {
        latent_ctx_mstep(&X);
        double ll = latent_ctx_estep(&X, &xp);
        CHECK_MSG(ll >= prev - 1e-9 * fabs(prev), "iteration %d: %.12g after %.12g", it, ll, prev);
        prev = ll;
    }
    latent_ctx_mstep(&X);
    latent_ctx_estep(&X, &xp);
    /* episodes that saw the cue: assigned by their context (one of the two namings) */
    int same = 0, swapped = 0, seen = 0;
    for (int ep = 0; ep < EPISODES; ep++) {
        if (!saw_cue[ep]) continue;
        const int k = X.resp[(size_t)1 * X.cap + start[ep]] > 0.5;
        seen++;
        same += k == ctx[ep];
        swapped += k != ctx[ep];
    }
    const int right = same > swapped ? same : swapped, perm = same < swapped;
    CHECK_MSG(seen > 100 && right >= 0.95 * seen, "%d of %d cue episodes assigned alike", right, seen);
    /* in learned context k (true context k ^ perm): the cue's symbol and the rewarded arm */
    for (int k = 0; k < 2; k++) {
        const int truth = k ^ perm, goal = g.ctx_goal[truth], other = g.ctx_goal[1 - truth];
        const latent_t *L = &X.comp[k];
        const double cue_own = L->A[(size_t)4 * no + (1 + truth) * nc + 4];
        const double reward = L->A[(size_t)goal * no + 3 * nc + goal];
        CHECK_MSG(cue_own > 0.8, "context %d: p(own cue symbol) %.3f", k, cue_own);
        CHECK_MSG(reward > 0.8, "context %d: p(reward | its goal) %.3f", k, reward);
        CHECK_MSG(L->h[other] > 0.5, "context %d: p(ending without the goal | other arm) %.3f", k, L->h[other]);
    }
    CHECK(fabs(X.rho[0] - 0.5) < 0.1 && fabs(X.rho[0] + X.rho[1] - 1.0) < 1e-12);
    /* a sample of the joint states (diffusion-aif's training labels): one
     * context per episode, the cue episodes' the learned naming of their
     * true one; the cells where the observations put them (no location
     * noise in this world) */
    latent_ctx_sample(&X, &xp, &r);
    long tokens = 0, at_obs = 0;
    int cue_right = 0, cue_seen = 0;
    for (int ep = 0; ep < EPISODES; ep++) {
        const long st = start[ep];
        const int k = xp.z[st] / nc;
        CHECK(k == 0 || k == 1);
        for (long i = st; i <= xp.end[st]; i++) {
            CHECK_MSG(xp.z[i] / nc == k, "episode %d changes context at token %ld", ep, i - st);
            tokens++;
            at_obs += xp.z[i] % nc == xp.o[i] % nc;
        }
        if (saw_cue[ep]) {
            cue_seen++;
            cue_right += (k ^ perm) == ctx[ep];
        }
    }
    CHECK_MSG(at_obs >= 0.99 * tokens, "%ld of %ld sampled cells where observed", at_obs, tokens);
    CHECK_MSG(cue_right >= 0.95 * cue_seen, "%d of %d cue episodes sampled in their context", cue_right, cue_seen);
    /* the moves over the joint states: each context's own block */
    int *mi = arena_alloc(ar, (size_t)4 * 2 * nc * LATENT_WIDTH, sizeof(int));
    double *mc = arena_alloc(ar, (size_t)4 * 2 * nc * LATENT_WIDTH, sizeof(double));
    CHECK(mi && mc);
    latent_ctx_moves(&X, mi, mc);
    double moved = 0.0;
    for (int a = 0; a < 4; a++)
        for (int s = 0; s < 2 * nc; s++)
            for (int j = 0; j < LATENT_WIDTH; j++) {
                const size_t at = ((size_t)a * 2 * nc + s) * LATENT_WIDTH + j;
                CHECK(mi[at] < 0 || mi[at] / nc == s / nc);
                const size_t own = ((size_t)a * nc + s % nc) * LATENT_WIDTH + j;
                /* tied: a move in either context is one in both */
                CHECK(mc[at] == (tie ? X.comp[0].cB[own] + X.comp[1].cB[own] : X.comp[s / nc].cB[own]));
                moved += mc[at];
            }
    CHECK(moved > 1000.0);
    /* the planner's joint model */
    genmodel_t gm;
    CHECK(genmodel_alloc_obs(&gm, ar, 2 * nc, no, 4, LATENT_WIDTH, LATENT_CTX_AWIDTH) == 0);
    latent_ctx_to_genmodel(&X, &gm);
    double s0 = 0.0, s1 = 0.0;
    for (int c = 0; c < nc; c++) { s0 += gm.start[c]; s1 += gm.start[nc + c]; }
    CHECK_MSG(fabs(s0 - X.rho[0]) < 1e-9 && fabs(s1 - X.rho[1]) < 1e-9, "%g %g", s0, s1);
    CHECK(gm.start[1] > 0.4 && gm.start[nc + 1] > 0.4); /* the start cell in both */
    for (int k = 0; k < 2; k++) {
        const int truth = k ^ perm, other = g.ctx_goal[1 - truth];
        CHECK_MSG(gm.avoid[k * nc + other], "context %d: the other arm to avoid", k);
        for (int a = 0; a < 4; a++) /* B stays within the context */
            for (int c = 0; c < nc; c++)
                for (int j = 0; j < gm.m.b_width; j++) {
                    int s2 = gm.m.b_idx[((size_t)a * 2 * nc + k * nc + c) * gm.m.b_width + j];
                    CHECK(s2 < 0 || s2 / nc == k);
                }
    }
    for (int s = 0; s < 2 * nc; s++) {
        double sum = 0.0;
        for (int j = 0; j < gm.m.a_width && gm.m.a_idx[(size_t)s * gm.m.a_width + j] >= 0; j++)
            sum += gm.m.a_p[(size_t)s * gm.m.a_width + j];
        CHECK(fabs(sum - 1.0) < 1e-12);
    }
    /* tied: the components' transitions, start and location part are one */
    const int n_sym = task.n_sym;
    double dB = 0.0, dpi = 0.0, dloc = 0.0, dsym = 0.0;
    for (size_t i = 0; i < (size_t)4 * nc * LATENT_WIDTH; i++) dB = fmax(dB, fabs(X.comp[0].B[i] - X.comp[1].B[i]));
    for (int c = 0; c < nc; c++) {
        dpi = fmax(dpi, fabs(X.comp[0].pi[c] - X.comp[1].pi[c]));
        for (int l = 0; l < nc; l++)
            dloc = fmax(dloc, fabs(loc_marginal(X.comp[0].A + (size_t)c * no, nc, n_sym, l) -
                                   loc_marginal(X.comp[1].A + (size_t)c * no, nc, n_sym, l)));
        for (int y = 0; y < n_sym; y++)
            dsym = fmax(dsym, fabs(sym_marginal(X.comp[0].A + (size_t)c * no, nc, y) -
                                   sym_marginal(X.comp[1].A + (size_t)c * no, nc, y)));
    }
    if (tie) {
        CHECK_MSG(dB == 0.0 && dpi == 0.0 && dloc < 1e-12, "B %g pi %g location %g", dB, dpi, dloc);
    } else {
        CHECK_MSG(dB > 1e-3 && dloc > 1e-6, "untied: B %g location %g", dB, dloc);
    }
    CHECK_MSG(dsym > 0.5, "the symbols seen stay the context's own: %g", dsym); /* the cue, the reward */
    if (!tie) {
        /* latent_ctx_tie_model on the untied model: every cell's rows the
         * weighted averages latent_ctx.h states, in both contexts */
        genmodel_t t;
        CHECK(genmodel_alloc_obs(&t, ar, 2 * nc, no, 4, LATENT_WIDTH, LATENT_CTX_AWIDTH) == 0);
        latent_ctx_to_genmodel(&X, &t);
        const int bw = t.m.b_width;
        double *before_A = arena_alloc(ar, (size_t)2 * nc * no, sizeof(double));
        double *before_B = arena_alloc(ar, (size_t)4 * 2 * nc * bw, sizeof(double));
        int *before_i = arena_alloc(ar, (size_t)4 * 2 * nc * bw, sizeof(int));
        CHECK(before_A && before_B && before_i);
        memcpy(before_A, t.m.A, sizeof(double) * (size_t)2 * nc * no);
        memcpy(before_B, t.m.b_p, sizeof(double) * (size_t)4 * 2 * nc * bw);
        memcpy(before_i, t.m.b_idx, sizeof(int) * (size_t)4 * 2 * nc * bw);
        latent_ctx_tie_model(&X, &t);
        for (int c = 0; c < nc; c++) {
            const double w0 = X.comp[0].c_visit[c] + 1.0, w1 = X.comp[1].c_visit[c] + 1.0;
            for (int k = 0; k < 2; k++) {
                const double *row = t.m.A + (size_t)(k * nc + c) * no, *old = before_A + (size_t)(k * nc + c) * no;
                for (int y = 0; y < n_sym; y++)
                    for (int l = 0; l < nc; l++) {
                        const double loc = (w0 * loc_marginal(before_A + (size_t)c * no, nc, n_sym, l) +
                                            w1 * loc_marginal(before_A + (size_t)(nc + c) * no, nc, n_sym, l)) /
                                           (w0 + w1);
                        CHECK(fabs(row[y * nc + l] - sym_marginal(old, nc, y) * loc) < 1e-12);
                    }
                double sum = 0.0;
                for (int j = 0; j < t.m.a_width && t.m.a_idx[(size_t)(k * nc + c) * t.m.a_width + j] >= 0; j++)
                    sum += t.m.a_p[(size_t)(k * nc + c) * t.m.a_width + j];
                CHECK(fabs(sum - 1.0) < 1e-12);
            }
            for (int a = 0; a < 4; a++) {
                double m0 = 1.0, m1 = 1.0, want[16] = {0}, got0[16] = {0}, got1[16] = {0};
                for (int j = 0; j < LATENT_WIDTH; j++) {
                    m0 += X.comp[0].cB[((size_t)a * nc + c) * LATENT_WIDTH + j];
                    m1 += X.comp[1].cB[((size_t)a * nc + c) * LATENT_WIDTH + j];
                }
                for (int k = 0; k < 2; k++)
                    for (int j = 0; j < bw; j++) {
                        const size_t at = ((size_t)a * 2 * nc + k * nc + c) * bw + j;
                        if (before_i[at] >= 0) want[before_i[at] - k * nc] += (k ? m1 : m0) / (m0 + m1) * before_B[at];
                        if (t.m.b_idx[at] >= 0) (k ? got1 : got0)[t.m.b_idx[at] - k * nc] += t.m.b_p[at];
                        CHECK(t.m.b_idx[at] < 0 || t.m.b_idx[at] / nc == k);
                    }
                for (int c2 = 0; c2 < nc; c2++) /* every successor fits the slots here: exact */
                    CHECK_MSG(fabs(got0[c2] - want[c2]) < 1e-12 && fabs(got1[c2] - want[c2]) < 1e-12,
                              "cell %d action %d -> %d: %g %g, want %g", c, a, c2, got0[c2], got1[c2], want[c2]);
            }
        }
        genmodel_free(&t);
    }
    genmodel_free(&gm);
    arena_free(ar);
    gw_free(&g);
}

/* Three contexts (the plus-maze, tied): from random-walk episodes EM
 * assigns >= 95% of the episodes that saw the cue to their context under the
 * best of the six namings, and each learned context has its cue symbol, its
 * rewarded arm, the other two arms ending episodes, and a third of the
 * episodes; the planner's joint model keeps every context's moves in its
 * own block. */
static void test_learns_three_contexts(void) {
    gridworld_t g;
    task_t task;
    build_world(&g, &task, "#3#" "1S2" "#C#", 3, 3, NULL, 0, "plus");
    const int nc = task.n_cells, no = task.n_obs, K = 3, cue = 7, n_ep = 3 * EPISODES / 2;
    CHECK(task.n_contexts == K);
    arena_t *ar = arena_create(1 << 20);
    experience_t xp;
    CHECK(xp_alloc(&xp, ar, (long)n_ep * 8) == 0);
    int *ctx = malloc(sizeof(int) * n_ep), *saw_cue = malloc(sizeof(int) * n_ep);
    long *start = malloc(sizeof(long) * n_ep);
    record(&g, 9, &xp, n_ep, random_move, nc, cue, ctx, start, saw_cue);
    latent_ctx_t X;
    latent_prior_t prior = latent_prior_defaults();
    CHECK(latent_ctx_alloc(&X, ar, &task, 9, xp.cap, &prior) == 0 && X.K == K);
    rng_t r;
    rng_seed(&r, 9, 1, RNG_INIT);
    latent_ctx_em(&X, &xp, 200, 1e-6, &r);
    /* the best naming: perm[learned] = true */
    static const int perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    int best = -1, best_right = -1, seen = 0;
    for (int ep = 0; ep < n_ep; ep++) seen += saw_cue[ep];
    for (int p = 0; p < 6; p++) {
        int right = 0;
        for (int ep = 0; ep < n_ep; ep++) {
            if (!saw_cue[ep]) continue;
            int k = 0;
            for (int j = 1; j < K; j++)
                if (X.resp[(size_t)j * X.cap + start[ep]] > X.resp[(size_t)k * X.cap + start[ep]]) k = j;
            right += perms[p][k] == ctx[ep];
        }
        if (right > best_right) { best_right = right; best = p; }
    }
    CHECK_MSG(seen > 100 && best_right >= 0.95 * seen, "%d of %d cue episodes assigned alike", best_right, seen);
    for (int k = 0; k < K; k++) {
        const int truth = perms[best][k], goal = g.ctx_goal[truth];
        const latent_t *L = &X.comp[k];
        const double cue_own = L->A[(size_t)cue * no + (1 + truth) * nc + cue];
        const double reward = L->A[(size_t)goal * no + (K + 1) * nc + goal];
        CHECK_MSG(cue_own > 0.8, "context %d: p(own cue symbol) %.3f", k, cue_own);
        CHECK_MSG(reward > 0.8, "context %d: p(reward | its goal) %.3f", k, reward);
        for (int j = 0; j < K; j++)
            if (j != truth)
                CHECK_MSG(L->h[g.ctx_goal[j]] > 0.5, "context %d: p(ending | arm %d) %.3f", k, j, L->h[g.ctx_goal[j]]);
        CHECK_MSG(fabs(X.rho[k] - 1.0 / K) < 0.1, "context %d: rho %.3f", k, X.rho[k]);
    }
    genmodel_t gm;
    CHECK(genmodel_alloc_obs(&gm, ar, K * nc, no, 4, LATENT_WIDTH, LATENT_CTX_AWIDTH) == 0);
    latent_ctx_to_genmodel(&X, &gm);
    for (int k = 0; k < K; k++) {
        double sk = 0.0;
        for (int c = 0; c < nc; c++) sk += gm.start[k * nc + c];
        CHECK_MSG(fabs(sk - X.rho[k]) < 1e-9, "context %d: start mass %g", k, sk);
        for (int a = 0; a < 4; a++)
            for (int c = 0; c < nc; c++)
                for (int j = 0; j < gm.m.b_width; j++) {
                    const int s2 = gm.m.b_idx[((size_t)a * K * nc + k * nc + c) * gm.m.b_width + j];
                    CHECK(s2 < 0 || s2 / nc == k);
                }
    }
    genmodel_free(&gm);
    /* one sample of the record's states draws each episode's context with
     * its responsibility: every episode's set to (0.2, 0.5, 0.3), the shares
     * of the contexts drawn over 100 samples of the record (60,000 draws) */
    const double want[3] = {0.2, 0.5, 0.3};
    long drawn[3] = {0}, total = 0;
    for (int ep = 0; ep < n_ep; ep++)
        for (int k = 0; k < K; k++) X.resp[(size_t)k * X.cap + start[ep]] = want[k];
    for (int rep = 0; rep < 100; rep++) {
        latent_ctx_sample(&X, &xp, &r);
        for (int ep = 0; ep < n_ep; ep++, total++) {
            const long en = xp.end[start[ep]];
            for (long i = start[ep]; i <= en; i++) CHECK(xp.z[i] / nc == xp.z[start[ep]] / nc); /* one per episode */
            drawn[xp.z[start[ep]] / nc]++;
        }
    }
    for (int k = 0; k < K; k++)
        CHECK_MSG(fabs((double)drawn[k] / total - want[k]) < 0.01, "context %d drawn %.4f of the time, not %.1f", k,
                  (double)drawn[k] / total, want[k]);
    free(ctx);
    free(saw_cue);
    free(start);
    arena_free(ar);
    gw_free(&g);
}

/* Into an arm: the left (context 1's goal) three times in four. */
static int arm_move(rng_t *pr) { return rng_uniform(pr) < 0.75 ? ACT_LEFT : ACT_RIGHT; }

/* The contexts told apart by outcomes alone: a T-maze record whose episodes
 * never visit the cue (one step into an arm, three times in four the arm
 * of context 1: the contexts' outcomes are unequal) and whose contexts are
 * drawn 0.8 / 0.2.  EM assigns >= 95% of the episodes to their context
 * under one naming: rewarded in an arm, or ended without it in the other. */
static void test_separates_contexts_by_outcomes(void) {
    gridworld_t g;
    task_t task;
    const double probs[2] = {0.8, 0.2};
    build_world(&g, &task, "1S2" "#C#", 2, 3, probs, 2, "tmaze-nocue");
    arena_t *ar = arena_create(1 << 20);
    experience_t xp;
    CHECK(xp_alloc(&xp, ar, EPISODES * 3) == 0);
    int ctx[EPISODES];
    long start[EPISODES];
    record(&g, 5, &xp, EPISODES, arm_move, task.n_cells, -1, ctx, start, NULL);
    for (int ep = 0; ep < EPISODES; ep++) /* one move each: every arm ends an episode */
        CHECK((ep + 1 < EPISODES ? start[ep + 1] : xp.n) - start[ep] == 2 && xp.end[start[ep]] == start[ep] + 1);
    latent_ctx_t X;
    latent_prior_t prior = latent_prior_defaults();
    CHECK(latent_ctx_alloc(&X, ar, &task, 9, xp.cap, &prior) == 0);
    rng_t r;
    rng_seed(&r, 5, 1, RNG_INIT);
    latent_ctx_em(&X, &xp, 200, 1e-6, &r);
    int same = 0;
    for (int ep = 0; ep < EPISODES; ep++) same += (X.resp[(size_t)1 * X.cap + start[ep]] > 0.5) == ctx[ep];
    const int right = same > EPISODES - same ? same : EPISODES - same;
    CHECK_MSG(right >= 0.95 * EPISODES, "%d of %d episodes assigned alike", right, EPISODES);
    arena_free(ar);
    gw_free(&g);
}

static void test_learns_the_tmaze(void) { learn_tmaze(1); }
static void test_learns_the_tmaze_untied(void) { learn_tmaze(0); }

static const unit_test_t tests[] = {
    {"learns_the_tmaze", test_learns_the_tmaze},
    {"learns_the_tmaze_untied", test_learns_the_tmaze_untied},
    {"learns_three_contexts", test_learns_three_contexts},
    {"separates_contexts_by_outcomes", test_separates_contexts_by_outcomes},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
