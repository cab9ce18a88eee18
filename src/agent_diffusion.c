/* diffusion-aif: the paper's agent (Algorithm 1).  A DDPM over trajectory windows
 * of tokens x_k = [o_k, z_k, a_k] is the generative model; conditioned sampling by
 * inpainting infers the hidden states and predicts the future under candidate
 * policies; actions minimise expected free energy (efe module).
 *
 * Window: L = context + 1 + horizon tokens; token `context` (c) is the present.
 * Token layout (D_tok = 4 + n_actions): o as (x, y) in [-1, 1], z as (x, y), the
 * action one-hot in +-1 (all -1: no action, used before the episode started).
 * At a decision, known entries are the past observations and actions, the
 * present observation, and the candidate policy's actions (tokens c .. c+H-1);
 * generated are every z (state inference), and o, z of tokens c+1 .. c+H
 * (prediction).  Training windows come from the agent's own experience, with
 * the true state z logged as Algorithm 1 does.
 *
 * Training (within the run's step budget): explore_frac of the budget exploring
 * (random moves, or by default the least-made moves: explore.h; with rounds 0,
 * the default, the whole budget), then `rounds` rounds of (fit the network on all data so far,
 * warm-started; act with EFE minimisation; add the new steps), and a last fit.
 * After each fit the ambiguity table H(p(o|z)) is re-estimated from the model by
 * inpainting o given z for every cell: the simulator's A is never read.
 *
 * What it knows: the agent's view (task.h) and its own experience; it cannot
 * see the world's definition.  Coordinates decode to the nearest cell of the
 * grid's shape; cells in which a training episode ended without the goal are
 * learned as cells to avoid (efe.h). */
/* An agent sees only its view of the task: gridworld.h and env.h refuse to
 * compile here (task.h). */
#define AIF_AGENT_VIEW_ONLY
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agents.h"
#include "arena.h"
#include "diffusion.h"
#include "efe.h"
#include "efe_tail.h"
#include "explore.h"
#include "scorenet.h"
#include "tokens.h"

enum {
    P_HORIZON, P_CONTEXT, P_SAMPLES, P_MAX_POL, P_GAMMA, P_W_RISK, P_W_AMB, P_PREF, P_LAMBDA,
    P_C_GOAL, P_HOLE, P_SELECTION,
    P_SCHEDULE, P_T, P_SAMPLER, P_STEPS, P_ETA, P_JUMP, P_RESAMPLE, P_CLIP,
    P_DMODEL, P_HEADS, P_LAYERS, P_LR, P_BATCH, P_ITERS, P_ROUNDS, P_EXPLORE, P_TRAIN_EPS,
    P_WARM, P_AMB_SAMPLES, P_COND, P_PLANNER, P_TAIL, P_TRANS_SAMPLES, P_NOVELTY, P_EXPLORATION, P_FOURIER,
    P_RBF, P_RBF_CELLS, P_PREDICT, P_SUPPORT, P_LABELS, P_N
};

static const char *const predict_choices[] = {"samples", "model", NULL};
enum { PREDICT_SAMPLES = 0, PREDICT_MODEL = 1 };

static const char *const support_choices[] = {"model", "data", NULL};
enum { SUPPORT_MODEL = 0, SUPPORT_DATA = 1 };

static const char *const exploration_choices[] = {"random", "novelty", NULL};
enum { EXPLORATION_RANDOM = 0, EXPLORATION_NOVELTY = 1 };

static const char *const planner_choices[] = {"tree", "induction", NULL};
enum { PLANNER_TREE = 0, PLANNER_INDUCTION = 1 };
#define TRANS_WIDTH 8   /* successor slots kept per (z, a) of the learned transitions */

enum { COND_CLEAN = 0, COND_REPAINT = 1 };
static const char *const cond_choices[] = {"clean", "repaint", NULL};

_Static_assert(P_SELECTION - P_GAMMA + 1 == EFE_N_PARAMS && P_PREF == P_GAMMA + EFE_P_PREF,
               "the EFE block sits at P_GAMMA .. P_SELECTION");

static const param_spec_t dif_params[P_N] = {
    [P_HORIZON] = {"horizon", PT_INT, 2, 1, 8, NULL, "planning horizon H (actions per policy)"},
    [P_CONTEXT] = {"context", PT_INT, 3, 0, 16, NULL, "past steps in the window before the present token"},
    [P_SAMPLES] = {"samples", PT_INT, 8, 1, 256, NULL, "samples M drawn per candidate policy"},
    [P_MAX_POL] = {"max_policies", PT_INT, 64, 4, 1024, NULL,
                   "candidate policies K: all |A|^H if at most this many, else this many drawn "
                   "at random (equally many per first action)"},
    EFE_PARAM_SPECS, /* P_GAMMA .. P_SELECTION (efe.h) */
    [P_SCHEDULE] = {"schedule", PT_CHOICE, 1, 0, 0, sched_names, "noise schedule: linear, cosine or sigmoid"},
    [P_T] = {"T", PT_INT, 50, 2, 1000, NULL, "diffusion steps T"},
    [P_SAMPLER] = {"sampler", PT_CHOICE, 1, 0, 0, sampler_names, "reverse sampler: ddpm or ddim"},
    [P_STEPS] = {"sample_steps", PT_INT, 10, 1, 1000, NULL, "DDIM reverse steps (<= T; ddpm always uses T)"},
    [P_ETA] = {"ddim_eta", PT_REAL, 0.0, 0.0, 1.0, NULL, "DDIM eta (0 deterministic, 1 DDPM-like)"},
    [P_JUMP] = {"jump_len", PT_INT, 0, 0, 1000, NULL, "RePaint resampling jump length (0 = plain replacement)"},
    [P_RESAMPLE] = {"n_resample", PT_INT, 0, 0, 20, NULL, "RePaint extra passes per jump (0 = off)"},
    [P_CLIP] = {"clip_x0", PT_REAL, 1.0, 0.0, 100.0, NULL, "clip predicted x0 to [-c, c] (0 = off)"},
    [P_DMODEL] = {"d_model", PT_INT, 64, 8, 1024, NULL, "transformer width"},
    [P_HEADS] = {"heads", PT_INT, 4, 1, 64, NULL, "attention heads (divide d_model)"},
    [P_LAYERS] = {"layers", PT_INT, 2, 1, 32, NULL, "transformer blocks"},
    [P_RBF] = {"rbf", PT_BOOL, 1, 0, 1, NULL,
               "radial-basis features of the o and z coordinates in the network's input: one "
               "Gaussian bump per column and per row (soft one-hot codes of the column and the row), so "
               "that a small network can learn where walls are"},
    [P_RBF_CELLS] = {"rbf_cells", PT_BOOL, 1, 0, 1, NULL,
                     "with rbf (ignored without): also the products of the row and column bumps, a soft "
                     "one-hot code of the cell itself (rows x cols more inputs per coordinate pair), so "
                     "that a wall between two cells is one feature away"},
    [P_FOURIER] = {"fourier", PT_INT, 0, -1, 16, NULL,
                   "Fourier features of the o and z coordinates in the network's input: frequencies "
                   "pi 2^k, k < fourier (0 = none; -1 = ceil(log2 of the grid's longer side), enough to "
                   "tell neighbouring cells apart)"},
    [P_LR] = {"lr", PT_REAL, 2e-3, 1e-7, 1.0, NULL, "peak Adam learning rate (warm-up over 5% of a fit, cosine decay to lr/10)"},
    [P_BATCH] = {"batch", PT_INT, 128, 1, 4096, NULL, "training batch (windows)"},
    [P_ITERS] = {"train_iters", PT_INT, 6000, 0, 10000000, NULL, "gradient steps per fit"},
    [P_ROUNDS] = {"rounds", PT_INT, 0, 0, 1000, NULL,
                  "retraining rounds after exploration (the retraining criterion: equal shares of the "
                  "remaining step budget)"},
    [P_EXPLORE] = {"explore_frac", PT_REAL, 0.5, 0.0, 1.0, NULL,
                   "fraction of the training budget spent exploring first (see exploration); with rounds 0 "
                   "the whole budget is exploration"},
    [P_EXPLORATION] = {"exploration", PT_CHOICE, EXPLORATION_NOVELTY, 0, 0, exploration_choices,
                       "how the first explore_frac of the budget is spent: random = uniform moves (the "
                       "paper's); novelty = the moves the agent has made least, planned over its own counts "
                       "of the transitions it made (explore.h)"},
    [P_TRAIN_EPS] = {"train_epsilon", PT_REAL, 0.1, 0.0, 1.0, NULL,
                     "probability of a random action while acting during training"},
    [P_WARM] = {"warm_start", PT_BOOL, 1, 0, 1, NULL, "keep weights and Adam state between fits (else re-initialise)"},
    [P_AMB_SAMPLES] = {"amb_samples", PT_INT, 32, 1, 1024, NULL,
                       "samples per cell when estimating the likelihood p(o|z) (and its entropy) from the model"},
    [P_COND] = {"conditioning", PT_CHOICE, 0, 0, 0, cond_choices,
                "inpainting: clean = known entries pasted as they are at every reverse step, the network "
                "trained with the same masks (loss on generated entries only); repaint = known entries "
                "re-noised to the current step and pasted (Lugmayr et al. 2022), network trained "
                "unconditionally as in the paper"},
    [P_PLANNER] = {"planner", PT_CHOICE, PLANNER_INDUCTION, 0, 0, planner_choices,
                   "tree = G of each candidate from the sampled window alone (the paper's); induction = "
                   "plus, after the window, the EFE of the following tail_steps steps by backward "
                   "induction over the model the agent read off its network (transitions and likelihood "
                   "by inpainting; efe_tail.h)"},
    [P_TAIL] = {"tail_steps", PT_INT, 0, 0, 100000, NULL,
                "induction: backward steps after the window (0 = the world's max_steps)"},
    [P_TRANS_SAMPLES] = {"trans_samples", PT_INT, 32, 1, 1024, NULL,
                         "samples per (cell, action) when reading the transitions p(z'|z,a) off the model"},
    [P_PREDICT] = {"prediction", PT_CHOICE, PREDICT_MODEL, 0, 0, predict_choices,
                   "how a candidate policy's future is predicted: samples = inpaint the whole window under "
                   "it (samples per policy, the paper's); model = infer the present state by inpainting "
                   "(4 x samples draws) and carry that belief through the likelihood and transitions read "
                   "off the network after each fit (no sampling per policy)"},
    [P_SUPPORT] = {"support", PT_CHOICE, SUPPORT_DATA, 0, 0, support_choices,
                   "successors of the transitions read off the network: model = every cell the samples "
                   "decode to; data = a cell the agent has never been in is dropped from a (cell, action) "
                   "whose samples also reach cells it has been in (the network's leaks through walls, "
                   "into cells its exploration never entered; a move whose samples reach only unvisited "
                   "cells keeps them)"},
    [P_LABELS] = {"state_labels", PT_BOOL, 1, 0, 1, NULL,
                  "log the true cell as z in the training windows (the paper's reading of Algorithm 1: "
                  "privileged information, an ablation) instead of learning the states from the observations"},
    [P_NOVELTY] = {"novelty", PT_REAL, 4.0, 0.0, 1e3, NULL,
                   "exploration in the training rounds (induction): a cell visited n times in the agent's "
                   "data is worth novelty / sqrt(1 + n) nats less risk (0 = off; never in evaluation)"},
};

typedef struct {
    task_t task;
    int S;                     /* cells */
    efe_params_t ep;           /* gamma, weights, preference, selection (efe.h) */
    unsigned char *avoid;      /* [S] cells where a training episode ended without the goal */
    int NA, D, L, c, H, M, K, dim, max_batch, enumerate, cond;
    int iters, batch, rounds, warm, amb_samples;
    double explore, train_eps;
    scorenet_config_t ncfg;
    adam_config_t acfg;
    scorenet_t net;
    adam_t adam;
    schedule_t sched;
    sampler_t samp;
    rng_t init_rng;
    float *cell_xy;            /* [n_states][2] */
    /* decision buffers */
    int *pol;                  /* [K][H] */
    float *known, *x0;         /* [max_batch][dim] */
    unsigned char *mask;       /* [max_batch][dim] */
    double *lnp, *q;           /* [S], [S] */
    /* The model read off the network after each fit: the likelihood p^(o|z)
     * (lm.a_idx / a_p / H_A, a_w slots per cell) and, for the induction
     * planner, the transitions p^(z'|z,a) (lm.b_idx / b_p). */
    int a_w;
    efe_model_t lm;
    int use_tail, tail_steps, trans_samples;
    double novelty;
    efe_tail_t tail;           /* the EFE after the window, on lm */
    double *bonus;             /* [S] novelty of each cell in the training rounds */
    int exploration, predict, support;
    explorer_t explorer;       /* counts of the moves made in training */
    double *work;              /* [3 S] for efe_tail_policy_G */
    int *count;                /* [S] scratch: visits, and decoded successors */
    double *G, *risk, *amb, *P;/* [K] */
    int *first;                /* [K] */
    int *hist_o, *hist_a, t;   /* episode history, [max_steps + 2] */
    /* training */
    float *tx, *tmask, *tscratch, *txt, *teps, *tt;
    unsigned char *tknown;
    long cap, n;               /* dataset tokens */
    int32_t *d_o, *d_z, *d_a;  /* per token */
    int32_t *d_start, *d_end;  /* episode bounds per token (flat indices) */
    uint8_t *d_term;           /* episode ended in an absorbing cell */
    double *belief;            /* [S] inferred present state at the last decision */
    tok_layout_t tok;          /* the window's token layout (tokens.h) */
    arena_t *arena;            /* every buffer above, and the dif_t itself */
} dif_t;

static int ipow(int b, int e) {
    long r = 1;
    for (int i = 0; i < e && r <= 1 << 20; i++) r *= b;
    return r > 1 << 20 ? 1 << 20 : (int)r;
}

/* Fourier frequencies for this task: -1 = enough for the grid's longer side. */
static int fourier_of(const task_t *task, const double *pv) {
    int f = (int)pv[P_FOURIER], side = task->rows > task->cols ? task->rows : task->cols;
    if (f >= 0) return f;
    for (f = 0; (1 << f) < side; f++) {}
    return f;
}

static scorenet_config_t net_config(const task_t *task, const double *pv) {
    const int rbf = (int)pv[P_RBF];
    return (scorenet_config_t){(int)pv[P_DMODEL], (int)pv[P_HEADS], (int)pv[P_LAYERS],
                               (int)pv[P_CONTEXT] + 1 + (int)pv[P_HORIZON], 4 + task->n_actions + N_FLAGS, 64,
                               fourier_of(task, pv), 4, rbf ? task->cols : 0, rbf ? task->rows : 0,
                               rbf && (int)pv[P_RBF_CELLS]};
}

static size_t dif_ckpt_floats(const task_t *task, const double *pv) {
    scorenet_config_t c = net_config(task, pv);
    return scorenet_ckpt_len(&c, 0); /* trained without an EMA: no EMA slot */
}

static unsigned dif_needs(const double *pv) {
    return ((int)pv[P_PREF] == EFE_PREF_ORACLE ? TASK_NEEDS_ORACLE : 0u) |
           (pv[P_LABELS] != 0.0 ? TASK_NEEDS_LABELS : 0u);
}

static int dif_validate(const task_t *env, const double *pv, char *err, size_t n) {
    if ((int)pv[P_DMODEL] % (int)pv[P_HEADS] != 0) {
        snprintf(err, n, "d_model %d is not divisible by heads %d", (int)pv[P_DMODEL], (int)pv[P_HEADS]);
        return -1;
    }
    if ((int)pv[P_HORIZON] > env->max_steps) {
        snprintf(err, n, "horizon %d exceeds the world's max_steps %d", (int)pv[P_HORIZON], env->max_steps);
        return -1;
    }
    if ((int)pv[P_SAMPLER] == SAMPLER_DDIM && (int)pv[P_STEPS] > (int)pv[P_T]) {
        snprintf(err, n, "sample_steps %d exceeds T %d", (int)pv[P_STEPS], (int)pv[P_T]);
        return -1;
    }
    int K = ipow(env->n_actions, (int)pv[P_HORIZON]);
    if (K > (int)pv[P_MAX_POL]) K = (int)pv[P_MAX_POL];
    if ((long)K * (long)pv[P_SAMPLES] > 65536) {
        snprintf(err, n, "policies x samples = %ld rows per network call; at most 65536", (long)K * (long)pv[P_SAMPLES]);
        return -1;
    }
    return 0;
}

static void dif_destroy(void *self) {
    dif_t *a = self;
    if (!a) return;
    scorenet_free(&a->net);
    adam_free(&a->adam);
    sampler_free(&a->samp);
    schedule_free(&a->sched);
    efe_model_free(&a->lm);
    efe_tail_free(&a->tail);
    explorer_free(&a->explorer);
    arena_free(a->arena); /* every buffer of the agent's own, and the agent */
}

/* The scalar settings from the parameters. */
static void dif_read_params(dif_t *a, const task_t *task, const double *pv, const rng_t *init_rng) {
    a->task = *task;
    a->S = task->n_cells;
    a->NA = task->n_actions;
    a->D = 4 + a->NA + N_FLAGS;
    a->cond = (int)pv[P_COND];
    a->c = (int)pv[P_CONTEXT];
    a->H = (int)pv[P_HORIZON];
    a->L = a->c + 1 + a->H;
    a->dim = a->L * a->D;
    a->M = (int)pv[P_SAMPLES];
    int all = ipow(a->NA, a->H);
    a->enumerate = all <= (int)pv[P_MAX_POL];
    a->K = a->enumerate ? all : ((int)pv[P_MAX_POL] / a->NA) * a->NA;
    efe_params_read(pv + P_GAMMA, &a->ep);
    a->iters = (int)pv[P_ITERS];
    a->batch = (int)pv[P_BATCH];
    a->rounds = (int)pv[P_ROUNDS];
    a->warm = pv[P_WARM] != 0;
    a->amb_samples = (int)pv[P_AMB_SAMPLES];
    a->explore = pv[P_EXPLORE];
    a->train_eps = pv[P_TRAIN_EPS];
    a->use_tail = (int)pv[P_PLANNER] == PLANNER_INDUCTION;
    a->tail_steps = (int)pv[P_TAIL] > 0 ? (int)pv[P_TAIL] : task->max_steps;
    a->trans_samples = (int)pv[P_TRANS_SAMPLES];
    a->novelty = pv[P_NOVELTY];
    a->exploration = (int)pv[P_EXPLORATION];
    a->predict = (int)pv[P_PREDICT];
    a->support = (int)pv[P_SUPPORT];
    a->init_rng = *init_rng;
    int rows = a->K * a->M;
    a->max_batch = rows > a->batch ? rows : a->batch;
    if (a->max_batch < 256) a->max_batch = 256;
    a->a_w = a->amb_samples < a->S ? a->amb_samples : a->S;
}

/* The generative model's machinery: network, optimiser, schedule, sampler
 * (each with its own create and free). */
static int dif_create_model(dif_t *a, const task_t *task, const double *pv, rng_t *init_rng, char *err,
                            size_t n) {
    a->ncfg = net_config(task, pv);
    a->acfg = adam_defaults();
    a->acfg.lr = (float)pv[P_LR];
    a->acfg.clip_norm = 1.0f;
    if (scorenet_create(&a->net, &a->ncfg, a->max_batch, init_rng, err, n) != 0) return -1;
    if (adam_create(&a->adam, a->net.n_params, &a->acfg, err, n) != 0) return -1;
    if (schedule_create(&a->sched, (sched_kind_t)(int)pv[P_SCHEDULE], (int)pv[P_T], 0, 0, err, n) != 0) return -1;
    sampler_config_t sc = sampler_defaults();
    sc.kind = (sampler_kind_t)(int)pv[P_SAMPLER];
    sc.steps = sc.kind == SAMPLER_DDIM ? (int)pv[P_STEPS] : 0;
    sc.ddim_eta = (float)pv[P_ETA];
    sc.jump_len = (int)pv[P_JUMP];
    sc.n_resample = (int)pv[P_RESAMPLE];
    sc.clip_x0 = (float)pv[P_CLIP];
    sc.known_clean = a->cond == COND_CLEAN;
    if (sampler_create(&a->samp, &a->sched, &sc, a->max_batch, a->dim, err, n) != 0) return -1;
    int tw = TRANS_WIDTH < a->S ? TRANS_WIDTH : a->S;
    if (efe_model_alloc(&a->lm, a->S, a->S, a->NA, tw, a->a_w) != 0 || efe_tail_alloc(&a->tail, a->S, a->NA) != 0 ||
        explorer_alloc(&a->explorer, a->S, a->NA, task->max_steps, task->max_steps) != 0) {
        snprintf(err, n, "diffusion-aif: out of memory");
        return -1;
    }
    return 0;
}

/* The agent's own buffers, all from its arena: decisions, read-off and training. */
static int dif_alloc_buffers(dif_t *a, char *err, size_t n) {
    arena_t *ar = a->arena;
    const size_t S = (size_t)a->S, B = (size_t)a->max_batch, dim = (size_t)a->dim, K = (size_t)a->K,
                 TB = (size_t)a->batch, hist = (size_t)a->task.max_steps + 2;
    a->cell_xy = arena_alloc(ar, 2 * S, sizeof(float));
    a->pol = arena_alloc(ar, K * (size_t)a->H, sizeof(int));
    a->known = arena_alloc(ar, B * dim, sizeof(float));
    a->x0 = arena_alloc(ar, B * dim, sizeof(float));
    a->mask = arena_alloc(ar, B * dim, 1);
    a->lnp = arena_alloc(ar, S, sizeof(double));
    a->q = arena_alloc(ar, S, sizeof(double));
    a->belief = arena_alloc(ar, S, sizeof(double));
    a->bonus = arena_alloc(ar, S, sizeof(double));
    a->work = arena_alloc(ar, 3 * S, sizeof(double));
    a->count = arena_alloc(ar, S, sizeof(int));
    a->avoid = arena_alloc(ar, S, 1);
    a->G = arena_alloc(ar, K, sizeof(double));
    a->risk = arena_alloc(ar, K, sizeof(double));
    a->amb = arena_alloc(ar, K, sizeof(double));
    a->P = arena_alloc(ar, K, sizeof(double));
    a->first = arena_alloc(ar, K, sizeof(int));
    a->hist_o = arena_alloc(ar, hist, sizeof(int));
    a->hist_a = arena_alloc(ar, hist, sizeof(int));
    a->tx = arena_alloc(ar, TB * dim, sizeof(float));
    a->tmask = arena_alloc(ar, TB * dim, sizeof(float));
    a->tscratch = arena_alloc(ar, diffusion_train_scratch_floats(a->batch, a->dim), sizeof(float));
    a->txt = arena_alloc(ar, TB * dim, sizeof(float));
    a->teps = arena_alloc(ar, TB * dim, sizeof(float));
    a->tt = arena_alloc(ar, TB, sizeof(float));
    a->tknown = arena_alloc(ar, TB * dim, 1);
    /* The training data set: every step plus one closing token per episode,
     * so 2 budget + 2 tokens for the run's budget (task_t.train_steps). */
    const size_t cap = 2 * (size_t)(a->task.train_steps > 0 ? a->task.train_steps : 0) + 2;
    a->cap = (long)cap;
    a->d_o = arena_alloc(ar, cap, sizeof(int32_t));
    a->d_z = arena_alloc(ar, cap, sizeof(int32_t));
    a->d_a = arena_alloc(ar, cap, sizeof(int32_t));
    a->d_start = arena_alloc(ar, cap, sizeof(int32_t));
    a->d_end = arena_alloc(ar, cap, sizeof(int32_t));
    a->d_term = arena_alloc(ar, cap, 1);
    if (!arena_ok(ar)) {
        snprintf(err, n, "diffusion-aif: out of memory (a data set of %ld steps)", a->task.train_steps);
        return -1;
    }
    return 0;
}

/* Before the first fit: every cell is observed as itself and every move stays
 * put (the model knows nothing yet); the preference; enumerated policies. */
static void dif_init_state(dif_t *a, const task_t *task) {
    a->tok = (tok_layout_t){&a->task, a->cell_xy, a->NA, a->D, a->c, a->H, a->L, a->dim};
    for (int s = 0; s < a->S; s++) {
        task_cell_to_xy(task, s, &a->cell_xy[2 * s], &a->cell_xy[2 * s + 1]);
        a->lm.a_idx[(size_t)s * a->a_w] = s;
        a->lm.a_p[(size_t)s * a->a_w] = 1.0;
        a->lm.A[(size_t)s * a->S + s] = 1.0;
        for (int b = 0; b < a->NA; b++) {
            a->lm.b_idx[((size_t)b * a->S + s) * a->lm.b_width] = s;
            a->lm.b_p[((size_t)b * a->S + s) * a->lm.b_width] = 1.0;
        }
    }
    efe_log_preferences(&a->ep.pref, task->rows, task->cols, task->goal, task->oracle_dist, a->avoid, a->lnp);
    if (a->enumerate) {
        for (int k = 0; k < a->K; k++) {
            int x = k;
            for (int h = a->H - 1; h >= 0; h--) { a->pol[k * a->H + h] = x % a->NA; x /= a->NA; }
        }
    }
}

static void *dif_create(const task_t *task, const double *pv, rng_t *init_rng, char *err, size_t n) {
    if ((int)pv[P_PREF] == EFE_PREF_ORACLE && !task->oracle_dist) {
        snprintf(err, n, "diffusion-aif: preference: oracle-distance needs the oracle, which this task does not give");
        return NULL;
    }
    arena_t *ar = arena_create(1u << 20);
    dif_t *a = arena_alloc(ar, 1, sizeof *a);
    if (!a) {
        arena_free(ar);
        snprintf(err, n, "diffusion-aif: out of memory");
        return NULL;
    }
    a->arena = ar;
    dif_read_params(a, task, pv, init_rng);
    if (dif_create_model(a, task, pv, init_rng, err, n) != 0 || dif_alloc_buffers(a, err, n) != 0) {
        dif_destroy(a);
        return NULL;
    }
    dif_init_state(a, task);
    return a;
}

/* ---- deciding ------------------------------------------------------------------------ */

/* Candidate policies for this decision (when not enumerated): equally many per
 * first action, the rest drawn uniformly. */
static void draw_policies(dif_t *a, rng_t *r) {
    if (a->enumerate) return;
    for (int k = 0; k < a->K; k++) {
        a->pol[k * a->H] = k % a->NA;
        for (int h = 1; h < a->H; h++) a->pol[k * a->H + h] = (int)rng_below(r, (uint32_t)a->NA);
    }
}

/* Fill known/mask for every (policy, sample) row from the episode history. */
static void build_rows(dif_t *a) {
    const int D = a->D, dim = a->dim, t = a->t;
    float *row0 = a->known;
    unsigned char *m0 = a->mask;
    memset(row0, 0, sizeof(float) * (size_t)dim);
    tok_pattern(&a->tok, PAT_DECIDE, m0);
    for (int j = -a->c; j <= 0; j++) {
        float *tok = row0 + (j + a->c) * D;
        int s = t + j;
        tok_put_cell(&a->tok, tok, OFF_O, a->hist_o[s < 0 ? 0 : s]);
        if (j < 0) tok_put_action(&a->tok, tok, s < 0 ? -1 : a->hist_a[s]);
    }
    tok_put_flags(&a->tok, row0, m0);
    for (int k = 0; k < a->K; k++) {
        for (int m = 0; m < a->M; m++) {
            size_t r = (size_t)(k * a->M + m) * (size_t)dim;
            if (r) {
                memcpy(a->known + r, row0, sizeof(float) * (size_t)dim);
                memcpy(a->mask + r, m0, (size_t)dim);
            }
            for (int h = 0; h < a->H; h++)
                tok_put_action(&a->tok, a->known + r + (size_t)(a->c + h) * D, a->pol[k * a->H + h]);
        }
    }
}

/* G of every candidate from the samples in x0.  The model's predicted states
 * z_tau (M per policy) and its learned likelihood p^(o|z) give
 * q(o_tau|pi) = 1/M sum_m p^(o | z_tau^m) (a Rao-Blackwellised estimate: far
 * less noisy than the histogram of M sampled observations) and the ambiguity
 * 1/M sum_m H[p^(o | z_tau^m)]. */
static void score_policies(dif_t *a) {
    const int S = a->S, D = a->D;
    double *qo = a->q;
    for (int k = 0; k < a->K; k++) {
        double risk = 0, amb = 0;
        for (int h = 1; h <= a->H; h++) {
            memset(qo, 0, sizeof(double) * (size_t)S);
            double ambh = 0;
            for (int m = 0; m < a->M; m++) {
                const float *tok = a->x0 + (size_t)(k * a->M + m) * (size_t)a->dim + (size_t)(a->c + h) * D;
                int z = tok_decode(&a->tok, tok, OFF_Z);
                const int *idx = a->lm.a_idx + (size_t)z * a->a_w;
                const double *p = a->lm.a_p + (size_t)z * a->a_w;
                for (int j = 0; j < a->a_w && idx[j] >= 0; j++) qo[idx[j]] += p[j] / a->M;
                ambh += a->lm.H_A[z];
                if (h == a->H && a->use_tail) {
                    risk += a->tail.Vr[z] / a->M;
                    amb += a->tail.Va[z] / a->M;
                }
            }
            risk += efe_kl_log(qo, a->lnp, S);
            amb += ambh / a->M;
        }
        a->risk[k] = risk;
        a->amb[k] = amb;
        a->G[k] = efe_combine(&a->ep.w, risk, amb);
        a->first[k] = a->pol[k * a->H];
    }
}

/* The agent's belief about the present state: the distribution of its
 * inferred z over every row of the last decision (state inference). */
static void infer_belief(dif_t *a) {
    const int S = a->S, B = a->K * a->M;
    memset(a->belief, 0, sizeof(double) * (size_t)S);
    for (int r = 0; r < B; r++)
        a->belief[tok_decode(&a->tok, a->x0 + (size_t)r * (size_t)a->dim + (size_t)a->c * a->D, OFF_Z)] += 1.0 / B;
}

static int dif_check_context(const void *self, check_context_t *ctx) {
    const dif_t *a = self;
    return check_context_set(ctx, a->belief, a->lnp, a->ep.w.w_risk, a->ep.w.w_ambiguity,
                             a->use_tail ? a->tail_steps : 0);
}

static const efe_model_t *dif_model(const void *self) { return &((const dif_t *)self)->lm; }

/* The EFE diagnostic: the first candidates and their estimated G; run.c
 * scores the same policies exactly from the belief. */
static void expose_policies(const dif_t *a, decision_t *d) {
    if (a->H > DECISION_MAX_H) return;
    int n = a->K < DECISION_MAX_CHECK ? a->K : DECISION_MAX_CHECK;
    for (int k = 0; k < n; k++) {
        for (int h = 0; h < a->H; h++) d->check_policy[k][h] = (signed char)a->pol[k * a->H + h];
        d->check_est[k] = (float)a->G[k];
    }
    d->check_H = a->H;
    d->n_check = n;
}

/* One EFE decision at the present step (history already holds hist_o[t]).
 * Fills d (may be NULL).  Returns the action. */
/* prediction: model.  The belief about the present state from 4 M draws of
 * z given the episode's history, then each candidate's G carried exactly
 * through the likelihood and transitions read off the network (with the
 * tail after it). */
static void score_by_model(dif_t *a, rng_t *r) {
    const int D = a->D, dim = a->dim, t = a->t, S = a->S;
    int B = 4 * a->M;
    if (B > a->max_batch) B = a->max_batch;
    memset(a->known, 0, sizeof(float) * (size_t)dim);
    tok_pattern(&a->tok, PAT_STATE, a->mask);
    for (int j = -a->c; j <= 0; j++) {
        float *tok = a->known + (j + a->c) * D;
        int s = t + j;
        tok_put_cell(&a->tok, tok, OFF_O, a->hist_o[s < 0 ? 0 : s]);
        if (j < 0) tok_put_action(&a->tok, tok, s < 0 ? -1 : a->hist_a[s]);
    }
    tok_put_flags(&a->tok, a->known, a->mask);
    for (int b = 1; b < B; b++) {
        memcpy(a->known + (size_t)b * dim, a->known, sizeof(float) * (size_t)dim);
        memcpy(a->mask + (size_t)b * dim, a->mask, (size_t)dim);
    }
    sampler_run(&a->samp, diffusion_scorenet_eps, &a->net, B, a->known, a->mask, r, a->x0);
    memset(a->belief, 0, sizeof(double) * (size_t)S);
    for (int b = 0; b < B; b++)
        a->belief[tok_decode(&a->tok, a->x0 + (size_t)b * (size_t)dim + (size_t)a->c * D, OFF_Z)] += 1.0 / B;
    int pol[DECISION_MAX_H];
    for (int k = 0; k < a->K; k++) {
        for (int h = 0; h < a->H; h++) pol[h] = a->pol[k * a->H + h];
        a->G[k] = efe_tail_policy_G(&a->lm, a->use_tail ? &a->tail : NULL, a->belief, pol, a->H, a->lnp, &a->ep.w,
                                    &a->risk[k], &a->amb[k], a->work);
        a->first[k] = pol[0];
    }
}

static int decide(dif_t *a, rng_t *r, decision_t *d) {
    draw_policies(a, r);
    if (a->predict == PREDICT_MODEL) {
        score_by_model(a, r);
    } else {
        build_rows(a);
        int B = a->K * a->M;
        sampler_run(&a->samp, diffusion_scorenet_eps, &a->net, B, a->known, a->mask, r, a->x0);
        score_policies(a);
        infer_belief(a);
    }
    double p_act[TASK_MAX_ACTIONS] = {0};
    efe_policy_posterior(a->G, NULL, a->ep.gamma, a->K, a->P);
    efe_action_marginals(a->P, a->first, a->K, a->NA, p_act);
    int act = efe_select_action(p_act, a->NA, a->ep.sel, r);
    if (d) {
        efe_first_action_summary(a->G, a->risk, a->amb, a->first, a->K, a->NA, p_act, d->G, d->risk,
                                 d->ambiguity, d->p_action);
        d->action = act;
        if (d->want_check) expose_policies(a, d);
    }
    return act;
}

static void dif_begin(void *self, int obs0) {
    dif_t *a = self;
    a->t = 0;
    a->hist_o[0] = obs0;
}

static int dif_act(void *self, int obs, rng_t *rng, decision_t *d) {
    dif_t *a = self;
    if (a->t > a->task.max_steps) a->t = a->task.max_steps; /* never past the history */
    a->hist_o[a->t] = obs;
    int act = decide(a, rng, d);
    a->hist_a[a->t] = act;
    a->t++;
    return act;
}

/* ---- learning -------------------------------------------------------------------------- */

/* Training window centred on dataset token i into x (dim floats) and its loss
 * mask m.  Past the start of the episode: its first token with no action.  Past
 * an absorbing end: the last cell with random actions (it stays there).  Past a
 * truncated end (time limit, budget): unknown, so masked out of the loss. */
static void make_window(const dif_t *a, long i, float *x, float *m, rng_t *r) {
    const int D = a->D;
    long st = a->d_start[i], en = a->d_end[i];
    int term = a->d_term[i];
    for (int j = -a->c; j <= a->H; j++) {
        float *tok = x + (j + a->c) * D;
        float *mt = m + (j + a->c) * D;
        long idx = i + j;
        for (int e = 0; e < D; e++) mt[e] = 1.0f;
        if (idx < st) {
            tok_put_cell(&a->tok, tok, OFF_O, a->d_o[st]);
            tok_put_cell(&a->tok, tok, OFF_Z, a->d_z[st]);
            tok_put_action(&a->tok, tok, -1);
        } else if (idx > en) {
            tok_put_cell(&a->tok, tok, OFF_O, a->d_o[en]);
            tok_put_cell(&a->tok, tok, OFF_Z, a->d_z[en]);
            tok_put_action(&a->tok, tok, (int)rng_below(r, (uint32_t)a->NA));
            if (!term) for (int e = 0; e < D; e++) mt[e] = 0.0f;
        } else {
            tok_put_cell(&a->tok, tok, OFF_O, a->d_o[idx]);
            tok_put_cell(&a->tok, tok, OFF_Z, a->d_z[idx]);
            int act = a->d_a[idx];
            if (act < 0) {
                /* The last token of an episode: at an absorbing cell any action
                 * keeps it there; after a truncation the action is unknown. */
                act = (int)rng_below(r, (uint32_t)a->NA);
                if (!term) for (int e = 0; e < a->NA; e++) mt[OFF_A + e] = 0.0f;
            }
            tok_put_action(&a->tok, tok, act);
        }
    }
}

/* Sampling rows of one pattern in chunks: `per` items (cells, or (cell,
 * action) pairs) of ms samples each per network call. */
static int chunk_items(const dif_t *a, int ms) {
    int per = a->max_batch / ms;
    return per < 1 ? 1 : per;
}

/* The likelihood p^(o|z) and its entropy H for every cell of the grid,
 * estimated from the model: inpaint o at the present token given z there,
 * amb_samples draws per cell, the histogram of the decoded cells.  (Cells the
 * agent never visited, walls among them, get whatever the model generalises
 * to; it does not know which they are.) */
static void estimate_likelihood(dif_t *a, rng_t *r) {
    const int D = a->D, dim = a->dim, S = a->S;
    const int ms = a->amb_samples > a->max_batch ? a->max_batch : a->amb_samples, per = chunk_items(a, ms);
    for (int c0 = 0; c0 < S; c0 += per) {
        int ncell = S - c0 < per ? S - c0 : per;
        int B = ncell * ms;
        memset(a->known, 0, sizeof(float) * (size_t)B * (size_t)dim);
        for (int i = 0; i < ncell; i++) {
            for (int m = 0; m < ms; m++) {
                size_t row = (size_t)(i * ms + m) * (size_t)dim;
                tok_pattern(&a->tok, PAT_LIKELIHOOD, a->mask + row);
                tok_put_cell(&a->tok, a->known + row + (size_t)a->c * D, OFF_Z, c0 + i);
                tok_put_flags(&a->tok, a->known + row, a->mask + row);
            }
        }
        sampler_run(&a->samp, diffusion_scorenet_eps, &a->net, B, a->known, a->mask, r, a->x0);
        for (int i = 0; i < ncell; i++) {
            memset(a->q, 0, sizeof(double) * (size_t)S);
            for (int m = 0; m < ms; m++) {
                const float *tok = a->x0 + (size_t)(i * ms + m) * (size_t)dim + (size_t)a->c * D;
                a->q[tok_decode(&a->tok, tok, OFF_O)] += 1.0 / ms;
            }
            const int z = c0 + i;
            int *idx = a->lm.a_idx + (size_t)z * a->a_w, nz = 0;
            double *p = a->lm.a_p + (size_t)z * a->a_w, *row = a->lm.A + (size_t)z * S;
            a->lm.H_A[z] = efe_entropy(a->q, S);
            for (int o = 0; o < S; o++) {
                row[o] = a->q[o];
                if (a->q[o] <= 0 || nz >= a->a_w) continue;
                idx[nz] = o;
                p[nz++] = a->q[o];
            }
            for (int k = nz; k < a->a_w; k++) { idx[k] = -1; p[k] = 0.0; }
        }
    }
}

/* support: data.  Of the successors decoded for item i (counts in a->count),
 * drop the cells the agent has never been in, unless they are all it
 * decoded.  A move into a cell never entered in a whole budget of directed
 * exploration is one the data says does not happen (a wall); the network
 * predicts it only by generalising from the moves beside it.  This is the
 * pessimism of offline model-based RL towards what lies outside the data's
 * support (MOReL, Kidambi et al. 2020; MOPO, Yu et al. 2020), here applied to
 * successors.  Without it a leak of a few samples in 32 through a wall is, to
 * backward induction, a shortcut worth retrying until it works. */
static void drop_unvisited(dif_t *a, int i, int ms) {
    const int dim = a->dim, D = a->D;
    int seen = 0;
    for (int m = 0; m < ms; m++) {
        const float *tok = a->x0 + (size_t)(i * ms + m) * (size_t)dim + (size_t)(a->c + 1) * D;
        if (a->explorer.seen[tok_decode(&a->tok, tok, OFF_Z)]) { seen = 1; break; }
    }
    if (!seen) return;
    for (int m = 0; m < ms; m++) {
        const float *tok = a->x0 + (size_t)(i * ms + m) * (size_t)dim + (size_t)(a->c + 1) * D;
        int c = tok_decode(&a->tok, tok, OFF_Z);
        if (!a->explorer.seen[c]) a->count[c] = 0;
    }
}

/* The transitions p^(z'|z,a) for every cell and action, read off the model:
 * inpaint the next token given z and a at the present one, trans_samples
 * draws per pair; the most frequent successors (at most the model's
 * b_width), renormalised. */
static void estimate_transitions(dif_t *a, rng_t *r) {
    const int D = a->D, dim = a->dim, S = a->S, bw = a->lm.b_width;
    const int ms = a->trans_samples > a->max_batch ? a->max_batch : a->trans_samples, per = chunk_items(a, ms);
    const int pairs = S * a->NA;
    for (int c0 = 0; c0 < pairs; c0 += per) {
        int np = pairs - c0 < per ? pairs - c0 : per;
        int B = np * ms;
        memset(a->known, 0, sizeof(float) * (size_t)B * (size_t)dim);
        for (int i = 0; i < np; i++) {
            const int z = (c0 + i) / a->NA, act = (c0 + i) % a->NA;
            for (int m = 0; m < ms; m++) {
                size_t row = (size_t)(i * ms + m) * (size_t)dim;
                float *tok = a->known + row + (size_t)a->c * D;
                tok_pattern(&a->tok, PAT_TRANSITION, a->mask + row);
                tok_put_cell(&a->tok, tok, OFF_Z, z);
                tok_put_action(&a->tok, tok, act);
                tok_put_flags(&a->tok, a->known + row, a->mask + row);
            }
        }
        sampler_run(&a->samp, diffusion_scorenet_eps, &a->net, B, a->known, a->mask, r, a->x0);
        for (int i = 0; i < np; i++) {
            const int z = (c0 + i) / a->NA, act = (c0 + i) % a->NA;
            int *idx = a->lm.b_idx + ((size_t)act * S + z) * bw, nz = 0, total = 0;
            double *p = a->lm.b_p + ((size_t)act * S + z) * bw;
            for (int m = 0; m < ms; m++) {
                const float *tok = a->x0 + (size_t)(i * ms + m) * (size_t)dim + (size_t)(a->c + 1) * D;
                a->count[tok_decode(&a->tok, tok, OFF_Z)]++;
            }
            if (a->support == SUPPORT_DATA) drop_unvisited(a, i, ms);
            /* the bw most frequent successors, by count then by cell */
            for (; nz < bw; nz++) {
                int best = -1;
                for (int m = 0; m < ms; m++) {
                    const float *tok = a->x0 + (size_t)(i * ms + m) * (size_t)dim + (size_t)(a->c + 1) * D;
                    int c = tok_decode(&a->tok, tok, OFF_Z);
                    if (a->count[c] > 0 && (best < 0 || a->count[c] > a->count[best] ||
                                            (a->count[c] == a->count[best] && c < best)))
                        best = c;
                }
                if (best < 0) break;
                idx[nz] = best;
                p[nz] = a->count[best];
                total += a->count[best];
                a->count[best] = 0;
            }
            for (int k = 0; k < nz; k++) p[k] /= total;
            for (int k = nz; k < bw; k++) { idx[k] = -1; p[k] = 0.0; }
            for (int m = 0; m < ms; m++) {
                const float *tok = a->x0 + (size_t)(i * ms + m) * (size_t)dim + (size_t)(a->c + 1) * D;
                a->count[tok_decode(&a->tok, tok, OFF_Z)] = 0;
            }
        }
    }
}

/* Conditional training for clean inpainting: the given entries stay clean, the
 * others are noised to a uniform step t, and the loss covers the generated
 * entries only (weighted by the window's validity mask). */
static float clean_train_step(dif_t *a, rng_t *r) {
    const schedule_t *s = &a->sched;
    const size_t dim = (size_t)a->dim;
    for (int b = 0; b < a->batch; b++) {
        int t = 1 + (int)rng_below(r, (uint32_t)s->T);
        float ca = (float)s->sqrt_ab[t], cn = (float)s->sqrt_1m_ab[t];
        a->tt[b] = (float)t;
        size_t o = (size_t)b * dim;
        for (size_t i = 0; i < dim; i++) {
            float e = rng_normalf(r);
            if (a->tknown[o + i]) {
                a->txt[o + i] = a->tx[o + i];
                a->teps[o + i] = 0.0f;
                a->tmask[o + i] = 0.0f;
            } else {
                a->txt[o + i] = ca * a->tx[o + i] + cn * e;
                a->teps[o + i] = e;
            }
        }
    }
    float loss = scorenet_loss_backward(&a->net, a->txt, a->tt, a->teps, a->tmask, a->batch);
    if (!isfinite(loss)) return loss;
    adam_step(&a->adam, a->net.params, a->net.grads);
    return loss;
}

static int fit(dif_t *a, rng_t *r, train_log_t *log, char *err, size_t n) {
    if (a->n > 0 && a->iters > 0 && !a->warm) {
        /* Re-initialise in place: the weights the run started with, a fresh
         * optimiser (what a new network and Adam would be, without allocating). */
        rng_t init = a->init_rng;
        scorenet_init_weights(&a->net, &init);
        memset(a->adam.m, 0, a->adam.n * sizeof(float));
        memset(a->adam.v, 0, a->adam.n * sizeof(float));
        a->adam.step = 0;
        a->adam.cfg = a->acfg;
    }
    for (int it = 0; it < a->iters && a->n > 0; it++) {
        if (trainlog_cancelled(log)) return 0;
        /* Per fit: linear warm-up over the first 5% of the steps, then cosine
         * decay to a tenth of lr; the decay settles the weights the sampler uses. */
        double warm = 0.05 * a->iters < 1 ? 1 : 0.05 * a->iters, rest = a->iters - warm;
        double sc = it < warm ? (it + 1) / warm
                              : rest > 0 ? 0.1 + 0.45 * (1 + cos(M_PI * (it - warm) / rest)) : 1.0;
        a->adam.cfg.lr = (float)(a->acfg.lr * sc);
        for (int b = 0; b < a->batch; b++) {
            long i = (long)rng_below(r, (uint32_t)a->n);
            size_t o = (size_t)b * (size_t)a->dim;
            make_window(a, i, a->tx + o, a->tmask + o, r);
            /* The masks the agent samples with, in proportion to their use. */
            double u = rng_uniform(r);
            int pat = a->predict == PREDICT_MODEL ? (u < 0.4 ? PAT_STATE : u < 0.6 ? PAT_LIKELIHOOD : PAT_TRANSITION)
                      : !a->use_tail ? (u < 0.75 ? PAT_DECIDE : PAT_LIKELIHOOD)
                                     : u < 0.6 ? PAT_DECIDE : u < 0.8 ? PAT_LIKELIHOOD : PAT_TRANSITION;
            tok_pattern(&a->tok, pat, a->tknown + o);
            tok_put_flags(&a->tok, a->tx + o, a->tknown + o);
        }
        float loss = a->cond == COND_CLEAN ? clean_train_step(a, r)
                                           : diffusion_train_step(&a->net, &a->adam, NULL, &a->sched, a->tx,
                                                                  a->tmask, a->batch, r, a->tscratch);
        if (!isfinite(loss)) {
            snprintf(err, n, "diffusion-aif: training loss diverged (not finite) at gradient step %lld",
                     (long long)a->adam.step);
            return -1;
        }
    }
    estimate_likelihood(a, r);
    /* The transitions carry a belief through the policy (prediction: model)
     * and the tail after it (planner: induction). */
    if (a->use_tail || a->predict == PREDICT_MODEL) estimate_transitions(a, r);
    return 0;
}

/* The tail on the model as read off the network.  In the training rounds
 * (explore) a cell the agent has been in n times is worth novelty /
 * sqrt(1 + n) nats less: a drive towards the cells its data knows least,
 * where the model has the most to learn. */
static void solve_tail(dif_t *a, int explore) {
    if (!a->use_tail) return;
    const double *bonus = NULL;
    if (explore && a->novelty > 0) {
        memset(a->count, 0, sizeof(int) * (size_t)a->S);
        for (long i = 0; i < a->n; i++) a->count[a->d_z[i]]++;
        for (int z = 0; z < a->S; z++) a->bonus[z] = a->novelty / sqrt(1.0 + a->count[z]);
        bonus = a->bonus;
    }
    efe_tail_solve(&a->tail, &a->lm, a->lnp, &a->ep.w, a->tail_steps, bonus);
}

static void dif_checkpoint(const void *self, float *out) {
    const dif_t *a = self;
    scorenet_ckpt_save(&a->net, &a->adam, NULL, out);
}

/* Run training episodes until `until` steps are used (the last episode is cut
 * at the budget).  explore: random actions, else EFE decisions. */
static int collect(dif_t *a, env_t *env, rng_t *r, train_log_t *log, long *t, long until, int explore) {
    const int max_steps = a->task.max_steps;
    while (*t < until && !trainlog_cancelled(log)) {
        int o = env_reset(env), s = a->task.labels->cell(env), steps = 0, outcome = ENV_RUNNING;
        double ret = 0;
        long st = a->n;
        dif_begin(a, o);
        explorer_visit(&a->explorer, s);
        for (;;) {
            a->d_o[a->n] = o;
            a->d_z[a->n] = s;
            a->d_a[a->n] = -1;
            a->n++;
            if (outcome != ENV_RUNNING || steps >= max_steps || *t >= until) break;
            int act;
            if (explore && a->exploration == EXPLORATION_NOVELTY) {
                act = explorer_act(&a->explorer, s, r);
                a->hist_o[a->t] = o;
                a->hist_a[a->t] = act;
                a->t++;
            } else if (explore || (a->train_eps > 0 && rng_uniform(r) < a->train_eps)) {
                act = (int)rng_below(r, (uint32_t)a->NA);
                a->hist_o[a->t] = o;
                a->hist_a[a->t] = act;
                a->t++;
            } else {
                act = dif_act(a, o, r, NULL);
            }
            a->d_a[a->n - 1] = act;
            double rwd;
            int s_prev = s;
            o = env_step(env, act, &rwd, &outcome);
            s = a->task.labels->cell(env);
            explorer_step(&a->explorer, s_prev, act, s);
            if (outcome != ENV_RUNNING) explorer_ended(&a->explorer, s);
            ret += rwd;
            steps++;
            (*t)++;
            /* The network as it stands at this step; the one due at the end of
             * the budget is taken after the last fit (dif_train). */
            float *slot = *t < log->budget ? trainlog_ckpt_slot(log, *t) : NULL;
            if (slot) dif_checkpoint(a, slot);
        }
        int term = outcome != ENV_RUNNING;
        for (long i = st; i < a->n; i++) {
            a->d_start[i] = (int32_t)st;
            a->d_end[i] = (int32_t)(a->n - 1);
            a->d_term[i] = (uint8_t)term;
        }
        /* An episode that ended without the goal: its last cell is one to avoid. */
        if (outcome == ENV_FAILED && !a->avoid[s]) {
            a->avoid[s] = 1;
            efe_log_preferences(&a->ep.pref, a->task.rows, a->task.cols, a->task.goal, a->task.oracle_dist, a->avoid,
                                a->lnp);
        }
        if (term || steps >= max_steps) trainlog_episode(log, *t, steps, outcome == ENV_GOAL, ret);
    }
    return 0;
}

static int dif_train(void *self, env_t *env, rng_t *r, train_log_t *log, char *err, size_t n) {
    dif_t *a = self;
    long budget = log->budget;
    if (2 * budget + 2 > a->cap) {
        snprintf(err, n, "diffusion-aif: internal: a training budget of %ld steps, but the task said %ld",
                 budget, a->task.train_steps);
        return -1;
    }
    a->n = 0;
    long t = 0;
    long explore_steps = (long)(a->explore * (double)budget);
    if (a->rounds == 0) explore_steps = budget;
    collect(a, env, r, log, &t, explore_steps, 1);
    if (fit(a, r, log, err, n) != 0) return -1;
    for (int k = 0; k < a->rounds && !trainlog_cancelled(log); k++) {
        long until = explore_steps + (budget - explore_steps) * (k + 1) / a->rounds;
        solve_tail(a, 1);
        collect(a, env, r, log, &t, until, 0);
        if (fit(a, r, log, err, n) != 0) return -1;
    }
    solve_tail(a, 0);
    log->steps_used = t;
    float *slot;
    while ((slot = trainlog_ckpt_slot(log, budget))) dif_checkpoint(a, slot);
    return 0;
}

const agent_class_t agent_diffusion_aif = {
    .name = "diffusion-aif",
    .help = "active inference with a diffusion-model generative model (Algorithm 1 of the paper)",
    .params = dif_params,
    .n_params = P_N,
    .needs = dif_needs,
    .ckpt_floats = dif_ckpt_floats,
    .validate = dif_validate,
    .create = dif_create,
    .train = dif_train,
    .begin_episode = dif_begin,
    .act = dif_act,
    .checkpoint = dif_checkpoint,
    .check_context = dif_check_context,
    .model = dif_model,
    .destroy = dif_destroy,
};
