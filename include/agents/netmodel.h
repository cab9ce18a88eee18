/* netmodel: diffusion-aif's generative model, a DDPM over trajectory windows
 * of tokens [o, z, a] (tokens.h), and what the agent reads off it.
 *
 * It is fitted on the agent's own record (experience.h): observations,
 * actions, and the states z the record holds (inferred by the agent from the
 * observations, latent.h; the true cells only for the labelled ablation).
 * Conditioned sampling (inpainting) answers four queries, each a pattern of
 * given, generated and null entries (tokens.h): the likelihood p(o|z) and the
 * transitions p(z'|z,a) of every cell, read into the planner's model
 * (genmodel.h); the state given the episode so far; and the window under a
 * candidate policy (the paper's per-policy prediction).  The network is
 * trained with the same patterns, in proportion to their use.
 * docs/diffusion-aif.md has the design and its measurements. */
#ifndef AIF_NETMODEL_H
#define AIF_NETMODEL_H
#include <stdio.h>
#include "interface/agents.h"
#include "core/arena.h"
#include "nn/diffusion.h"
#include "aif/experience.h"
#include "aif/genmodel.h"
#include "nn/optim.h"
#include "nn/scorenet.h"
#include "agents/tokens.h"

#define NETMODEL_TRANS_WIDTH 8   /* successor slots kept per (z, a) of the read-off transitions */

enum { NET_COND_CLEAN = 0, NET_COND_REPAINT = 1 };
/* The query mix the network is trained with, in proportion to the queries'
 * use: MODEL (state 0.4, likelihood 0.2, transition 0.4: prediction model
 * with the network inferring the state), READOFF (likelihood 0.3, transition
 * 0.7: prediction model with the belief filtered on the model read off),
 * SAMPLES (decide 0.6, likelihood 0.2, transition 0.2: the paper's sampled
 * prediction; the read-off still gives the filter and the tail their model). */
enum { NET_MIX_MODEL = 0, NET_MIX_SAMPLES = 1, NET_MIX_READOFF = 2 };
/* What the stopping rule watches: the denoising loss on fixed windows drawn
 * by token (LOSS) or by move (MOVES), or the transitions read off the network
 * for fixed (state, action) pairs of the record with the sampler's noise
 * fixed (READOFF; netmodel_fit). */
enum { NET_WATCH_LOSS = 0, NET_WATCH_READOFF = 1, NET_WATCH_MOVES = 2 };
/* How a training window's present token is drawn (netmodel_fit): TOKENS =
 * uniformly over the record (a context world's likelihood windows over its
 * states first); MOVES = a transition window's over the record's distinct
 * (state, action) moves first, a likelihood window's over its states first. */
enum { NET_BALANCE_TOKENS = 0, NET_BALANCE_MOVES = 1 };

typedef struct {
    scorenet_config_t net;
    float lr;                  /* peak Adam learning rate */
    sched_kind_t schedule;
    int T;                     /* diffusion steps */
    sampler_config_t sampler;
    int cond;                  /* NET_COND_* */
    int mix;                   /* NET_MIX_* */
    int context, horizon;      /* window: context past tokens, the present, horizon future tokens */
    int iters, batch, warm;    /* gradient steps per fit, windows per step, keep weights between fits */
    int amb_samples, trans_samples; /* draws per cell / per (cell, action) when reading the model off */
    int max_batch;             /* rows per network call */
    double stop_tol;           /* the stopping rule (netmodel_fit): relative improvement that counts; 0 = off */
    int stop_every;            /* gradient steps between its checks */
    int stop_patience;         /* checks without that improvement that make a plateau (1..NETMODEL_PATIENCE_MAX) */
    int stop_watch;            /* NET_WATCH_*: what the stopping rule watches */
    int balance;               /* NET_BALANCE_*: how training windows are drawn */
} netmodel_config_t;

#define NETMODEL_MONITOR 256       /* windows (pairs) the stopping rule's loss (read-off) is measured on */
#define NETMODEL_WATCH_SUCC 16     /* distinct successors counted per watched pair */
#define NETMODEL_PATIENCE_MAX 16
#define NETMODEL_DECAY_FRAC 0.25   /* the final decay lasts this fraction of the steps before it */

typedef struct {
    netmodel_config_t cfg;
    const task_t *task;
    int S, NS, NO, NA, D, c, H, L, dim, a_w; /* cells, states, observations (NS = NO = S without contexts) */
    scorenet_t net;
    adam_config_t acfg;
    adam_t adam;
    schedule_t sched;
    sampler_t samp;
    rng_t init_rng;
    tok_layout_t tok;
    float *cell_xy;            /* [S][2] */
    float *known, *x0;         /* [max_batch][dim] */
    unsigned char *mask;       /* [max_batch][dim] */
    double *q;                 /* [max(NS, NO)] */
    int *count;                /* [NS] */
    float *tx, *tmask, *tscratch, *txt, *teps, *tt; /* training batch */
    unsigned char *tknown;
    int mon_n;                 /* the stopping rule's windows, fixed per fit, and its last checks */
    float *mon_x0, *mon_xt, *mon_eps, *mon_mask, *mon_t;
    unsigned char *mon_known;
    double mon_ring[NETMODEL_PATIENCE_MAX];
    int *ro_pair, *ro_mode;    /* [mon_n] the read-off watch's (state * NA + action) and the record's commonest successor */
    int *ro_list;              /* [NS * NA] the distinct pairs of the record, then each pair's watch slot or -1 */
    int *ro_succ;              /* [mon_n][2 * NETMODEL_WATCH_SUCC] successors and their counts */
    double ro_share;           /* the mean share of the commonest successor in the record */
    rng_t ro_rng;              /* the read-off watch's sampler noise, fixed per fit */
    long fit_steps;            /* gradient steps of the last fit */
    FILE *trace;               /* NULL, or where each check's loss is written */
    /* windows drawn per state or per move (netmodel_fit, cfg.balance) */
    xp_group_t by_state;       /* the record's tokens by state */
    xp_group_t by_move;        /* its moves by state and action */
} netmodel_t;

/* Floats in one checkpoint of the network (trained without an EMA). */
size_t netmodel_ckpt_floats(const scorenet_config_t *net);

/* The network, optimiser, schedule and sampler (their own memory, freed by
 * netmodel_free) and its buffers (from arena ar).  0, or -1 with a message. */
int  netmodel_create(netmodel_t *nm, arena_t *ar, const task_t *task, const netmodel_config_t *cfg,
                     const rng_t *init_rng, char *err, size_t errlen);
void netmodel_free(netmodel_t *nm);

/* Fit on every token of xp (its o, z and a; z must be set), at most
 * cfg.iters Adam steps (warm-started unless cfg.warm is 0).  In a world with
 * hidden contexts a likelihood window's present token is drawn uniformly over
 * the states the record holds, then over that state's tokens (p(o|z) is a
 * conditional: how often each z is drawn weights the loss, not the target),
 * so that the states seen at a few tokens (a goal entered in the context
 * where it ends the episode without the reward) weigh as much as the others;
 * elsewhere every window's token is drawn uniformly over the record.  With
 * cfg.balance NET_BALANCE_MOVES, in every world, a likelihood window is drawn
 * so, and a transition window's token uniformly over the distinct (state,
 * action) moves of the record, then over that move's tokens (p(z'|z,a) is
 * a conditional too: a rare move, into a wall, weighs as much as a frequent
 * one).  The stopping rule
 * (cfg.stop_tol > 0, clean conditioning): after the warm-up (5% of the cap)
 * the learning rate stays at its peak; every stop_every steps the denoising
 * loss is measured on NETMODEL_MONITOR windows of the record drawn once per fit
 * (their noise and steps fixed, every step equally often); when the best of
 * the last stop_patience checks is not stop_tol (relative) below the best of
 * the checks before them, the fit decays the rate to a tenth over another
 * NETMODEL_DECAY_FRAC of the steps it has made and stops (a fit that reaches
 * cap / (1 + NETMODEL_DECAY_FRAC) without a plateau decays to end at the cap).
 * With stop_watch NET_WATCH_READOFF the check is instead: one successor
 * generated (fixed sampler noise) for each of NETMODEL_MONITOR (state, action)
 * pairs drawn once per fit over the record's distinct pairs; the end is the
 * share agreeing with the record's commonest successor within stop_tol of the
 * record's own mean share of it, at stop_patience checks in a row.
 * nm->fit_steps: the steps made.  Returns 0 (also when `log`
 * says cancel: the caller checks), or -1 with a message (a loss that is not
 * finite). */
int  netmodel_fit(netmodel_t *nm, const experience_t *xp, rng_t *r, const train_log_t *log, char *err, size_t errlen);

/* Read the likelihood p(o|z) (A dense, its slots and entropy) and the
 * transitions p(z'|z,a) (the NETMODEL_TRANS_WIDTH most frequent successors)
 * of every state off the network into gm->m (which needs that many successor
 * slots and at least a_w observation slots).  The states are the cells, or in
 * a world with hidden contexts the (cell, context) pairs k * n_cells + cell,
 * and a move keeps its state's context (netmodel_next_state). */
void netmodel_read(netmodel_t *nm, genmodel_t *gm, rng_t *r);

/* The belief about the present state given the episode so far (observations
 * hist_o[0..t], actions hist_a[0..t-1]): the histogram of `draws` inpainted
 * present states. */
void netmodel_infer_state(netmodel_t *nm, const int *hist_o, const int *hist_a, int t, int draws, rng_t *r,
                          double *belief);

/* The paper's prediction: for each of K policies (pol [K][H]), M windows
 * inpainted given the episode so far and the policy's actions, into nm->x0
 * (row k * M + m).  netmodel_cell decodes token j (0 = the present) of a row. */
void netmodel_sample_policies(netmodel_t *nm, const int *hist_o, const int *hist_a, int t, const int *pol, int K,
                              int M, rng_t *r);
int  netmodel_cell(const netmodel_t *nm, int row, int j, int off);
/* Token j of a row decoded as a whole state, as an observation; the
 * successor of state z at token 1 (a context world's: z's context kept). */
int  netmodel_state(const netmodel_t *nm, int row, int j);
int  netmodel_obs(const netmodel_t *nm, int row, int j);
int  netmodel_next_state(const netmodel_t *nm, int row, int z);

void netmodel_checkpoint(const netmodel_t *nm, float *out);

#endif
