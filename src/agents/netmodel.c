/* netmodel: the diffusion model over windows, its training and what the
 * agent reads off it (include/agents/netmodel.h). */
#include "agents/netmodel.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t netmodel_ckpt_floats(const scorenet_config_t *net) { return scorenet_ckpt_len(net, 0); }

static int chunk_items(const netmodel_t *nm, int ms) {
    int per = nm->cfg.max_batch / ms;
    return per < 1 ? 1 : per;
}

int netmodel_create(netmodel_t *nm, arena_t *ar, const task_t *task, const netmodel_config_t *cfg,
                    const rng_t *init_rng, char *err, size_t errlen) {
    memset(nm, 0, sizeof *nm);
    nm->cfg = *cfg;
    nm->task = task;
    nm->S = task->n_cells;
    const int ctx = task->n_contexts > 1;
    nm->NS = ctx ? task->n_cells * task->n_contexts : task->n_cells;
    nm->NO = ctx ? task->n_obs : task->n_cells;
    nm->NA = task->n_actions;
    nm->D = tok_width(task);
    nm->c = cfg->context;
    nm->H = cfg->horizon;
    nm->L = nm->c + 1 + nm->H;
    nm->dim = nm->L * nm->D;
    nm->a_w = cfg->amb_samples < nm->NO ? cfg->amb_samples : nm->NO;
    nm->init_rng = *init_rng;
    nm->acfg = adam_defaults();
    nm->acfg.lr = cfg->lr;
    nm->acfg.clip_norm = 1.0f;
    rng_t init = *init_rng;
    if (scorenet_create(&nm->net, &cfg->net, cfg->max_batch, &init, err, errlen) != 0) return -1;
    if (adam_create(&nm->adam, nm->net.n_params, &nm->acfg, err, errlen) != 0) return -1;
    if (schedule_create(&nm->sched, cfg->schedule, cfg->T, 0, 0, err, errlen) != 0) return -1;
    sampler_config_t sc = cfg->sampler;
    sc.known_clean = cfg->cond == NET_COND_CLEAN;
    if (sampler_create(&nm->samp, &nm->sched, &sc, cfg->max_batch, nm->dim, err, errlen) != 0) return -1;
    const size_t S = (size_t)nm->S, B = (size_t)cfg->max_batch, dim = (size_t)nm->dim, TB = (size_t)cfg->batch;
    nm->cell_xy = arena_alloc(ar, 2 * S, sizeof(float));
    nm->known = arena_alloc(ar, B * dim, sizeof(float));
    nm->x0 = arena_alloc(ar, B * dim, sizeof(float));
    nm->mask = arena_alloc(ar, B * dim, 1);
    nm->q = arena_alloc(ar, (size_t)(nm->NO > nm->NS ? nm->NO : nm->NS), sizeof(double));
    nm->count = arena_alloc(ar, (size_t)nm->NS, sizeof(int));
    nm->tx = arena_alloc(ar, TB * dim, sizeof(float));
    nm->tmask = arena_alloc(ar, TB * dim, sizeof(float));
    nm->tscratch = arena_alloc(ar, diffusion_train_scratch_floats(cfg->batch, nm->dim), sizeof(float));
    nm->txt = arena_alloc(ar, TB * dim, sizeof(float));
    nm->teps = arena_alloc(ar, TB * dim, sizeof(float));
    nm->tt = arena_alloc(ar, TB, sizeof(float));
    nm->tknown = arena_alloc(ar, TB * dim, 1);
    nm->mon_n = cfg->max_batch < NETMODEL_MONITOR ? cfg->max_batch : NETMODEL_MONITOR;
    const size_t MN = (size_t)nm->mon_n;
    nm->mon_x0 = arena_alloc(ar, MN * dim, sizeof(float));
    nm->mon_xt = arena_alloc(ar, MN * dim, sizeof(float));
    nm->mon_eps = arena_alloc(ar, MN * dim, sizeof(float));
    nm->mon_mask = arena_alloc(ar, MN * dim, sizeof(float));
    nm->mon_t = arena_alloc(ar, MN, sizeof(float));
    nm->mon_known = arena_alloc(ar, MN * dim, 1);
    nm->ro_pair = arena_alloc(ar, MN, sizeof(int));
    nm->ro_mode = arena_alloc(ar, MN, sizeof(int));
    nm->ro_succ = arena_alloc(ar, MN * 2 * NETMODEL_WATCH_SUCC, sizeof(int));
    nm->ro_list = arena_alloc(ar, (size_t)nm->NS * (size_t)nm->NA, sizeof(int));
    if (!arena_ok(ar)) {
        snprintf(err, errlen, "diffusion-aif: out of memory");
        return -1;
    }
    nm->tok = tok_layout(task, nm->cell_xy, nm->c, nm->H);
    for (int s = 0; s < nm->S; s++) task_cell_to_xy(task, s, &nm->cell_xy[2 * s], &nm->cell_xy[2 * s + 1]);
    return 0;
}

void netmodel_free(netmodel_t *nm) {
    xp_group_free(&nm->by_state);
    xp_group_free(&nm->by_move);
    scorenet_free(&nm->net);
    adam_free(&nm->adam);
    sampler_free(&nm->samp);
    schedule_free(&nm->sched);
}

void netmodel_checkpoint(const netmodel_t *nm, float *out) { scorenet_ckpt_save(&nm->net, &nm->adam, NULL, out); }

/* ---- training -------------------------------------------------------------------------- */

/* Training window centred on token i of the record into x (dim floats) and
 * its loss mask m.  Past the start of the episode: its first token with no
 * action.  Past an absorbing end (goal, hole): the last cell with random
 * actions (it stays there).  Past a cut end (time limit, budget): unknown, so
 * masked out of the loss. */
static void make_window(const netmodel_t *nm, const experience_t *xp, long i, float *x, float *m, rng_t *r) {
    const int D = nm->D;
    const long st = xp->start[i], en = xp->end[i];
    const int term = xp->ending[i] != XP_CUT;
    for (int j = -nm->c; j <= nm->H; j++) {
        float *tok = x + (j + nm->c) * D;
        float *mt = m + (j + nm->c) * D;
        long idx = i + j;
        for (int e = 0; e < D; e++) mt[e] = 1.0f;
        if (idx < st) {
            tok_put_obs(&nm->tok, tok, xp->o[st]);
            tok_put_state(&nm->tok, tok, xp->z[st]);
            tok_put_action(&nm->tok, tok, -1);
        } else if (idx > en) {
            tok_put_obs(&nm->tok, tok, xp->o[en]);
            tok_put_state(&nm->tok, tok, xp->z[en]);
            tok_put_action(&nm->tok, tok, (int)rng_below(r, (uint32_t)nm->NA));
            if (!term) for (int e = 0; e < D; e++) mt[e] = 0.0f;
        } else {
            tok_put_obs(&nm->tok, tok, xp->o[idx]);
            tok_put_state(&nm->tok, tok, xp->z[idx]);
            int act = xp->a[idx];
            if (act < 0) {
                /* The last token of an episode: at an absorbing cell any action
                 * keeps it there; after a cut the action is unknown. */
                act = (int)rng_below(r, (uint32_t)nm->NA);
                if (!term) for (int e = 0; e < nm->NA; e++) mt[OFF_A + e] = 0.0f;
            }
            tok_put_action(&nm->tok, tok, act);
        }
    }
}

/* Noise a batch for clean inpainting: the given entries stay clean (no
 * target, out of the loss), the others are noised to a uniform step t (or,
 * with stratify, step 1 + b T / B for window b: every step equally often). */
static void noise_clean(const netmodel_t *nm, const float *x, const unsigned char *known, float *mask, int B,
                        int stratify, rng_t *r, float *xt, float *eps, float *tt) {
    const schedule_t *s = &nm->sched;
    const size_t dim = (size_t)nm->dim;
    for (int b = 0; b < B; b++) {
        int t = stratify ? 1 + (int)((long)b * s->T / B) : 1 + (int)rng_below(r, (uint32_t)s->T);
        float ca = (float)s->sqrt_ab[t], cn = (float)s->sqrt_1m_ab[t];
        tt[b] = (float)t;
        size_t o = (size_t)b * dim;
        for (size_t i = 0; i < dim; i++) {
            float e = rng_normalf(r);
            if (known[o + i]) {
                xt[o + i] = x[o + i];
                eps[o + i] = 0.0f;
                mask[o + i] = 0.0f;
            } else {
                xt[o + i] = ca * x[o + i] + cn * e;
                eps[o + i] = e;
            }
        }
    }
}

/* Conditional training for clean inpainting: the loss covers the generated
 * entries only (weighted by the window's validity mask). */
static float clean_train_step(netmodel_t *nm, rng_t *r) {
    noise_clean(nm, nm->tx, nm->tknown, nm->tmask, nm->cfg.batch, 0, r, nm->txt, nm->teps, nm->tt);
    float loss = scorenet_loss_backward(&nm->net, nm->txt, nm->tt, nm->teps, nm->tmask, nm->cfg.batch);
    if (!isfinite(loss)) return loss;
    adam_step(&nm->adam, nm->net.params, nm->net.grads);
    return loss;
}

/* The query pattern of a training window, in proportion to the queries' use. */
static int train_pattern(const netmodel_t *nm, rng_t *r) {
    double u = rng_uniform(r);
    switch (nm->cfg.mix) {
    case NET_MIX_MODEL: return u < 0.4 ? PAT_STATE : u < 0.6 ? PAT_LIKELIHOOD : PAT_TRANSITION;
    case NET_MIX_SAMPLES: return u < 0.6 ? PAT_DECIDE : u < 0.8 ? PAT_LIKELIHOOD : PAT_TRANSITION;
    default: return u < 0.3 ? PAT_LIKELIHOOD : PAT_TRANSITION; /* NET_MIX_READOFF */
    }
}

/* B training windows of the record (its first n tokens) into x, their
 * validity masks into mask and their query patterns into known; bal: drawn
 * by move (NET_BALANCE_MOVES) rather than by token. */
static void draw_windows(netmodel_t *nm, const experience_t *xp, long n, int B, int bal, rng_t *r, float *x,
                         float *mask, unsigned char *known) {
    for (int b = 0; b < B; b++) {
        const int pat = train_pattern(nm, r);
        long i = -1;
        if (pat == PAT_LIKELIHOOD && (nm->tok.n_ctx || bal)) i = xp_group_draw(&nm->by_state, r);
        else if (pat == PAT_TRANSITION && bal) i = xp_group_draw(&nm->by_move, r);
        if (i < 0) i = (long)rng_below(r, (uint32_t)n);
        /* A transition query is about a move made within an episode: its
         * present token is never an episode's last (after an end the
         * padding stays put, which would teach the cells beside the goal
         * and the holes to stick; the model makes those two absorbing
         * itself).  A record without a single move keeps any token. */
        for (int k = 0; pat == PAT_TRANSITION && i >= xp->end[i] && k < 64; k++)
            i = (long)rng_below(r, (uint32_t)n);
        size_t o = (size_t)b * (size_t)nm->dim;
        make_window(nm, xp, i, x + o, mask + o, r);
        tok_pattern(&nm->tok, pat, known + o);
        tok_put_flags(&nm->tok, x + o, known + o);
    }
}

/* The stopping rule's yardstick: the denoising loss of the present weights
 * on NETMODEL_MONITOR windows of the record drawn once per fit (by token, or
 * with the moves watch by move: a move into a wall counts as much as a
 * frequent one), with their noise and steps (every step equally often)
 * fixed, so that two checks differ only by the weights. */
static void monitor_draw(netmodel_t *nm, const experience_t *xp, long n, rng_t *r) {
    const int M = nm->mon_n;
    draw_windows(nm, xp, n, M, nm->cfg.stop_watch == NET_WATCH_MOVES, r, nm->mon_x0, nm->mon_mask, nm->mon_known);
    noise_clean(nm, nm->mon_x0, nm->mon_known, nm->mon_mask, M, 1, r, nm->mon_xt, nm->mon_eps, nm->mon_t);
}

static double monitor_loss(netmodel_t *nm) {
    return scorenet_loss(&nm->net, nm->mon_xt, nm->mon_t, nm->mon_eps, nm->mon_mask, nm->mon_n);
}

/* A move of the record: token i has an action and a successor in its
 * episode, and a state. */
static int is_move(const experience_t *xp, long i) { return xp->a[i] >= 0 && i < xp->end[i] && xp->z[i] >= 0; }

/* The read-off watch: mon_n (state, action) pairs of the record, drawn once
 * per fit uniformly over its distinct pairs (so that rare moves, the walls'
 * among them, count as much as frequent ones; without replacement when there
 * are enough), each with the successor the record shows most often after it
 * (ties: the lower cell); the mean share of that successor among each pair's
 * successors in the record (what a model that draws from the record's own
 * frequencies agrees with it on average); and the sampler noise the checks
 * use. */
static void readoff_draw(netmodel_t *nm, const experience_t *xp, long n, rng_t *r) {
    const int NA = nm->NA, M = nm->mon_n, P = nm->NS * NA, W = NETMODEL_WATCH_SUCC;
    double share = 0;
    int *slot = nm->ro_list; /* first: -2 unseen, -1 seen (then: the list of seen pairs is built in front) */
    for (int p = 0; p < P; p++) slot[p] = -2;
    int np = 0;
    for (long i = 0; i < n; i++)
        if (is_move(xp, i)) slot[xp->z[i] * NA + xp->a[i]] = -1;
    for (int p = 0; p < P; p++)
        if (slot[p] == -1) slot[np++] = p; /* np <= p: the front holds the seen pairs */
    for (int k = 0; k < M; k++) {
        if (np == 0) nm->ro_pair[k] = (int)rng_below(r, (uint32_t)P);
        else if (np >= M) {
            int j = k + (int)rng_below(r, (uint32_t)(np - k)), t = slot[k];
            slot[k] = slot[j];
            slot[j] = t;
            nm->ro_pair[k] = slot[k];
        } else nm->ro_pair[k] = slot[k < np ? k : (int)rng_below(r, (uint32_t)np)];
    }
    /* each pair's watch slot (a pair drawn twice: its first), then the counts */
    for (int p = 0; p < P; p++) slot[p] = -1;
    for (int k = M - 1; k >= 0; k--) slot[nm->ro_pair[k]] = k;
    for (int k = 0; k < M; k++)
        for (int w = 0; w < W; w++) nm->ro_succ[(size_t)k * 2 * W + 2 * w] = -1, nm->ro_succ[(size_t)k * 2 * W + 2 * w + 1] = 0;
    for (long i = 0; i < n; i++) {
        if (!is_move(xp, i)) continue;
        const int k = slot[xp->z[i] * NA + xp->a[i]], s2 = xp->z[i + 1];
        if (k < 0 || s2 < 0) continue;
        int *sc = nm->ro_succ + (size_t)k * 2 * W;
        for (int w = 0; w < W; w++) {
            if (sc[2 * w] == s2) { sc[2 * w + 1]++; break; }
            if (sc[2 * w] < 0) { sc[2 * w] = s2; sc[2 * w + 1] = 1; break; }
        }
    }
    for (int k = 0; k < M; k++) {
        const int *sc = nm->ro_succ + (size_t)slot[nm->ro_pair[k]] * 2 * W;
        int best = -1, bc = 0;
        for (int w = 0; w < W && sc[2 * w] >= 0; w++)
            if (sc[2 * w + 1] > bc || (sc[2 * w + 1] == bc && sc[2 * w] < best)) best = sc[2 * w], bc = sc[2 * w + 1];
        nm->ro_mode[k] = best; /* -1: a pair the record never shows (an empty record) */
        int tot = 0;
        for (int w = 0; w < W && sc[2 * w] >= 0; w++) tot += sc[2 * w + 1];
        share += tot ? (double)bc / tot : 0;
    }
    nm->ro_share = share / M;
    for (int k = 0; k < 4; k++) nm->ro_rng.s[k] = rng_u64(r) | (k == 0);
}

/* The read-off watch's measure: the fraction of the watched pairs whose
 * successor, generated by the present weights with the fixed noise (one draw
 * per pair, as the read-off makes them), is the record's commonest one. */
static double readoff_agreement(netmodel_t *nm) {
    const int M = nm->mon_n, D = nm->D, dim = nm->dim;
    memset(nm->known, 0, sizeof(float) * (size_t)M * (size_t)dim);
    for (int k = 0; k < M; k++) {
        size_t row = (size_t)k * (size_t)dim;
        float *tok = nm->known + row + (size_t)nm->c * D;
        tok_pattern(&nm->tok, PAT_TRANSITION, nm->mask + row);
        tok_put_state(&nm->tok, tok, nm->ro_pair[k] / nm->NA);
        tok_put_action(&nm->tok, tok, nm->ro_pair[k] % nm->NA);
        tok_put_flags(&nm->tok, nm->known + row, nm->mask + row);
    }
    rng_t noise = nm->ro_rng;
    sampler_run(&nm->samp, diffusion_scorenet_eps, &nm->net, M, nm->known, nm->mask, &noise, nm->x0);
    int agree = 0;
    for (int k = 0; k < M; k++) agree += netmodel_next_state(nm, k, nm->ro_pair[k] / nm->NA) == nm->ro_mode[k];
    return (double)agree / M;
}

/* The learning rate at gradient step `it` of a fit, as a fraction of the peak.
 * Without the stopping rule: a linear warm-up over the first 5% of the cap,
 * then cosine decay to a tenth over the rest (the decay settles the weights
 * the sampler uses).  With it: the same warm-up, then the peak until the
 * decay starts at decay_from (the plateau, or late enough to end at the cap),
 * then cosine decay to a tenth until decay_to, where the fit stops. */
static double lr_scale(int it, double warm, double decay_from, double decay_to) {
    if (it < warm) return (it + 1) / warm;
    if (decay_from < 0) return 1.0;
    const double span = decay_to - decay_from;
    if (span <= 0) return 1.0;
    return 0.1 + 0.45 * (1 + cos(M_PI * (it - decay_from) / span));
}

int netmodel_fit(netmodel_t *nm, const experience_t *xp, rng_t *r, const train_log_t *log, char *err, size_t errlen) {
    const int iters = nm->cfg.iters;
    const long n = xp->open >= 0 ? xp->open : xp->n;
    nm->fit_steps = 0;
    if (n > 0 && iters > 0 && !nm->cfg.warm) {
        /* Re-initialise in place: the weights the run started with, a fresh
         * optimiser (what a new network and Adam would be, without allocating). */
        rng_t init = nm->init_rng;
        scorenet_init_weights(&nm->net, &init);
        memset(nm->adam.m, 0, nm->adam.n * sizeof(float));
        memset(nm->adam.v, 0, nm->adam.n * sizeof(float));
        nm->adam.step = 0;
        nm->adam.cfg = nm->acfg;
    }
    const int stop = nm->cfg.stop_tol > 0 && nm->cfg.cond == NET_COND_CLEAN && n > 0;
    const double warm = 0.05 * iters < 1 ? 1 : 0.05 * iters;
    /* without the rule the whole cap after the warm-up is the decay */
    double decay_from = stop ? -1 : warm, decay_to = iters;
    const long late = (long)(iters / (1.0 + NETMODEL_DECAY_FRAC)); /* a decay from here ends at the cap */
    const int P = nm->cfg.stop_patience;
    long checks = 0;
    int quiet = 0; /* the read-off watch: checks in a row within stop_tol */
    double best_before = INFINITY;
    const int watch_ro = nm->cfg.stop_watch == NET_WATCH_READOFF;
    nm->by_state.n_seen = nm->by_move.n_seen = 0;
    const int bal = nm->cfg.balance == NET_BALANCE_MOVES;
    const int by_move = bal || (stop && nm->cfg.stop_watch == NET_WATCH_MOVES);
    if (n > 0 && ((nm->tok.n_ctx || by_move) && xp_group(&nm->by_state, xp, n, nm->NS, nm->NA, XP_BY_STATE) != 0)) {
        snprintf(err, errlen, "diffusion-aif: out of memory (the record's tokens by state)");
        return -1;
    }
    if (n > 0 && by_move && xp_group(&nm->by_move, xp, n, nm->NS, nm->NA, XP_BY_MOVE) != 0) {
        snprintf(err, errlen, "diffusion-aif: out of memory (the record's moves)");
        return -1;
    }
    if (stop) {
        if (watch_ro) readoff_draw(nm, xp, n, r);
        else monitor_draw(nm, xp, n, r);
    }
    for (int it = 0; it < decay_to && n > 0; it++) {
        if (trainlog_cancelled(log)) return 0;
        if (stop && decay_from < 0 && it >= warm && (it % nm->cfg.stop_every == 0 || it >= late)) {
            /* The plateau: the best of the last P checks is not stop_tol
             * (relative) below the best of all the checks before them. */
            int plateau = it >= late;
            if (!plateau && watch_ro) {
                /* the record reproduced: agreement within stop_tol of what
                 * the record's own frequencies would give, P checks in a row */
                const double gap = nm->ro_share - readoff_agreement(nm);
                if (nm->trace) fprintf(nm->trace, "netmodel: step %d read-off gap %.4f (record %.4f)\n", it, gap, nm->ro_share);
                quiet = gap <= nm->cfg.stop_tol ? quiet + 1 : 0;
                plateau = quiet >= P;
            } else if (!plateau) {
                const double v = monitor_loss(nm);
                if (checks >= P) best_before = fmin(best_before, nm->mon_ring[checks % P]);
                nm->mon_ring[checks % P] = v;
                if (nm->trace) fprintf(nm->trace, "netmodel: step %d monitor loss %.6f\n", it, v);
                if (checks++ >= P) {
                    double recent = INFINITY;
                    for (int k = 0; k < P; k++) recent = fmin(recent, nm->mon_ring[k]);
                    plateau = recent > (1.0 - nm->cfg.stop_tol) * best_before;
                }
            }
            if (plateau) {
                long len = (long)(NETMODEL_DECAY_FRAC * it + 0.5);
                if (len < nm->cfg.stop_every) len = nm->cfg.stop_every;
                decay_from = it;
                decay_to = it + len < iters ? (double)(it + len) : (double)iters;
            }
        }
        nm->adam.cfg.lr = (float)(nm->acfg.lr * lr_scale(it, warm, decay_from, decay_to));
        draw_windows(nm, xp, n, nm->cfg.batch, bal, r, nm->tx, nm->tmask, nm->tknown);
        float loss = nm->cfg.cond == NET_COND_CLEAN
                         ? clean_train_step(nm, r)
                         : diffusion_train_step(&nm->net, &nm->adam, NULL, &nm->sched, nm->tx, nm->tmask, nm->cfg.batch,
                                                r, nm->tscratch);
        if (!isfinite(loss)) {
            snprintf(err, errlen, "diffusion-aif: training loss diverged (not finite) at gradient step %lld",
                     (long long)nm->adam.step);
            return -1;
        }
        nm->fit_steps++;
    }
    return 0;
}

/* ---- reading the model off ---------------------------------------------------------- */

static const float *token_of(const netmodel_t *nm, int row, int j) {
    return nm->x0 + (size_t)row * (size_t)nm->dim + (size_t)(nm->c + j) * nm->D;
}

int netmodel_cell(const netmodel_t *nm, int row, int j, int off) { return tok_decode(&nm->tok, token_of(nm, row, j), off); }
int netmodel_state(const netmodel_t *nm, int row, int j) { return tok_decode_state(&nm->tok, token_of(nm, row, j)); }
int netmodel_obs(const netmodel_t *nm, int row, int j) { return tok_decode_obs(&nm->tok, token_of(nm, row, j)); }

/* The successor of state z generated at token 1 of a row: its state; in a
 * world with hidden contexts its cell in z's context (the context is drawn
 * per episode and kept, which the agent is told: the context entries the
 * network generates for the next token are not read). */
int netmodel_next_state(const netmodel_t *nm, int row, int z) {
    if (!nm->tok.n_ctx) return netmodel_state(nm, row, 1);
    return z - z % nm->S + netmodel_cell(nm, row, 1, OFF_Z);
}

/* The likelihood p(o|z) and its entropy H for every state (every cell of
 * the grid; in a context world every (cell, context)): inpaint o at the
 * present token given z there, amb_samples draws per state, the histogram of
 * the decoded observations.  (Cells the agent never visited, walls among
 * them, get whatever the network generalises to.) */
static void read_likelihood(netmodel_t *nm, efe_model_t *m, rng_t *r) {
    const int D = nm->D, dim = nm->dim, S = nm->NS, NO = nm->NO;
    const int ms = nm->cfg.amb_samples > nm->cfg.max_batch ? nm->cfg.max_batch : nm->cfg.amb_samples;
    const int per = chunk_items(nm, ms), aw = m->a_width;
    for (int c0 = 0; c0 < S; c0 += per) {
        int ncell = S - c0 < per ? S - c0 : per;
        int B = ncell * ms;
        memset(nm->known, 0, sizeof(float) * (size_t)B * (size_t)dim);
        for (int i = 0; i < ncell; i++) {
            for (int k = 0; k < ms; k++) {
                size_t row = (size_t)(i * ms + k) * (size_t)dim;
                tok_pattern(&nm->tok, PAT_LIKELIHOOD, nm->mask + row);
                tok_put_state(&nm->tok, nm->known + row + (size_t)nm->c * D, c0 + i);
                tok_put_flags(&nm->tok, nm->known + row, nm->mask + row);
            }
        }
        sampler_run(&nm->samp, diffusion_scorenet_eps, &nm->net, B, nm->known, nm->mask, r, nm->x0);
        for (int i = 0; i < ncell; i++) {
            memset(nm->q, 0, sizeof(double) * (size_t)NO);
            for (int k = 0; k < ms; k++) nm->q[netmodel_obs(nm, i * ms + k, 0)] += 1.0 / ms;
            const int z = c0 + i;
            int *idx = m->a_idx + (size_t)z * aw, nz = 0;
            double *p = m->a_p + (size_t)z * aw, *row = m->A + (size_t)z * NO;
            m->H_A[z] = efe_entropy(nm->q, NO);
            for (int o = 0; o < NO; o++) {
                row[o] = nm->q[o];
                if (nm->q[o] <= 0 || nz >= aw) continue;
                idx[nz] = o;
                p[nz++] = nm->q[o];
            }
            for (int k = nz; k < aw; k++) { idx[k] = -1; p[k] = 0.0; }
        }
    }
}

/* The transitions p(z'|z,a) for every state and action: inpaint the next
 * token given z and a at the present one, trans_samples draws per pair; the
 * most frequent successors (at most the model's b_width), renormalised. */
static void read_transitions(netmodel_t *nm, efe_model_t *m, rng_t *r) {
    const int D = nm->D, dim = nm->dim, S = nm->NS, bw = m->b_width;
    const int ms = nm->cfg.trans_samples > nm->cfg.max_batch ? nm->cfg.max_batch : nm->cfg.trans_samples;
    const int per = chunk_items(nm, ms), pairs = S * nm->NA;
    for (int c0 = 0; c0 < pairs; c0 += per) {
        int np = pairs - c0 < per ? pairs - c0 : per;
        int B = np * ms;
        memset(nm->known, 0, sizeof(float) * (size_t)B * (size_t)dim);
        for (int i = 0; i < np; i++) {
            const int z = (c0 + i) / nm->NA, act = (c0 + i) % nm->NA;
            for (int k = 0; k < ms; k++) {
                size_t row = (size_t)(i * ms + k) * (size_t)dim;
                float *tok = nm->known + row + (size_t)nm->c * D;
                tok_pattern(&nm->tok, PAT_TRANSITION, nm->mask + row);
                tok_put_state(&nm->tok, tok, z);
                tok_put_action(&nm->tok, tok, act);
                tok_put_flags(&nm->tok, nm->known + row, nm->mask + row);
            }
        }
        sampler_run(&nm->samp, diffusion_scorenet_eps, &nm->net, B, nm->known, nm->mask, r, nm->x0);
        for (int i = 0; i < np; i++) {
            const int z = (c0 + i) / nm->NA, act = (c0 + i) % nm->NA;
            int *idx = m->b_idx + ((size_t)act * S + z) * bw, nz = 0, total = 0;
            double *p = m->b_p + ((size_t)act * S + z) * bw;
            for (int k = 0; k < ms; k++) nm->count[netmodel_next_state(nm, i * ms + k, z)]++;
            /* the bw most frequent successors, by count then by cell */
            for (; nz < bw; nz++) {
                int best = -1;
                for (int k = 0; k < ms; k++) {
                    int c = netmodel_next_state(nm, i * ms + k, z);
                    if (nm->count[c] > 0 &&
                        (best < 0 || nm->count[c] > nm->count[best] || (nm->count[c] == nm->count[best] && c < best)))
                        best = c;
                }
                if (best < 0) break;
                idx[nz] = best;
                p[nz] = nm->count[best];
                total += nm->count[best];
                nm->count[best] = 0;
            }
            for (int k = 0; k < nz; k++) p[k] /= total;
            for (int k = nz; k < bw; k++) { idx[k] = -1; p[k] = 0.0; }
            for (int k = 0; k < ms; k++) nm->count[netmodel_next_state(nm, i * ms + k, z)] = 0;
        }
    }
}

void netmodel_read(netmodel_t *nm, genmodel_t *gm, rng_t *r) {
    read_likelihood(nm, &gm->m, r);
    read_transitions(nm, &gm->m, r);
}

/* ---- inference and prediction ---------------------------------------------------------- */

/* The history of the episode into the first row of known (mask pattern pat):
 * observations at the past and present tokens, actions at the past ones. */
static void put_history(netmodel_t *nm, int pat, const int *hist_o, const int *hist_a, int t) {
    const int D = nm->D;
    memset(nm->known, 0, sizeof(float) * (size_t)nm->dim);
    tok_pattern(&nm->tok, pat, nm->mask);
    for (int j = -nm->c; j <= 0; j++) {
        float *tok = nm->known + (j + nm->c) * D;
        int s = t + j;
        tok_put_obs(&nm->tok, tok, hist_o[s < 0 ? 0 : s]);
        if (j < 0) tok_put_action(&nm->tok, tok, s < 0 ? -1 : hist_a[s]);
    }
    tok_put_flags(&nm->tok, nm->known, nm->mask);
}

static void copy_first_row(netmodel_t *nm, int B) {
    const size_t dim = (size_t)nm->dim;
    for (int b = 1; b < B; b++) {
        memcpy(nm->known + (size_t)b * dim, nm->known, sizeof(float) * dim);
        memcpy(nm->mask + (size_t)b * dim, nm->mask, dim);
    }
}

void netmodel_infer_state(netmodel_t *nm, const int *hist_o, const int *hist_a, int t, int draws, rng_t *r,
                          double *belief) {
    const int B = draws > nm->cfg.max_batch ? nm->cfg.max_batch : draws;
    put_history(nm, PAT_STATE, hist_o, hist_a, t);
    copy_first_row(nm, B);
    sampler_run(&nm->samp, diffusion_scorenet_eps, &nm->net, B, nm->known, nm->mask, r, nm->x0);
    memset(belief, 0, sizeof(double) * (size_t)nm->NS);
    for (int b = 0; b < B; b++) belief[netmodel_state(nm, b, 0)] += 1.0 / B;
}

void netmodel_sample_policies(netmodel_t *nm, const int *hist_o, const int *hist_a, int t, const int *pol, int K,
                              int M, rng_t *r) {
    const int D = nm->D;
    put_history(nm, PAT_DECIDE, hist_o, hist_a, t);
    copy_first_row(nm, K * M);
    for (int k = 0; k < K; k++)
        for (int m = 0; m < M; m++) {
            size_t row = (size_t)(k * M + m) * (size_t)nm->dim;
            for (int h = 0; h < nm->H; h++) tok_put_action(&nm->tok, nm->known + row + (size_t)(nm->c + h) * D, pol[k * nm->H + h]);
        }
    sampler_run(&nm->samp, diffusion_scorenet_eps, &nm->net, K * M, nm->known, nm->mask, r, nm->x0);
}
