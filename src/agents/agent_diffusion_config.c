/* agent_diffusion_config: diffusion-aif's parameters, decoded and checked
 * (include/agents/agent_diffusion_config.h). */
/* An agent sees only its view of the task: gridworld.h and env.h refuse to
 * compile here (task.h). */
#define AIF_AGENT_VIEW_ONLY
#include "agents/agent_diffusion_config.h"
#include <stdio.h>
#include <string.h>
#include "aif/latent_ctx.h"
#include "agents/netmodel.h"
#include "agents/tokens.h"

static const char *const predict_choices[] = {"samples", "model", NULL};
static const char *const support_choices[] = {"model", "data", "moves", NULL};
static const char *const exploration_choices[] = {"random", "novelty", "efe", "auto", NULL};
static const char *const cond_choices[] = {"clean", "repaint", NULL};
static const char *const model_choices[] = {"network", "counts", NULL};
static const char *const watch_choices[] = {"loss", "readoff", "moves", NULL};
static const char *const balance_choices[] = {"tokens", "moves", NULL};
static const char *const inference_choices[] = {"filter", "inpaint", NULL};

_Static_assert(P_SELECTION - P_GAMMA + 1 == EFE_N_PARAMS && P_PREF == P_GAMMA + EFE_P_PREF,
               "the EFE block sits at P_GAMMA .. P_SELECTION");
_Static_assert(P_TAIL == P_PLANNER + 1, "the planner block is planner, tail_steps");

const param_spec_t dif_params[P_N] = {
    [P_HORIZON] = {"horizon", PT_INT, 2, 1, 8, NULL, "planning horizon H (actions per policy)"},
    [P_CONTEXT] = {"context", PT_INT, 3, 0, 16, NULL,
                   "past steps in the network's window before the present token (with prediction samples or "
                   "inference inpaint; otherwise the window is the present token and the next)"},
    [P_SAMPLES] = {"samples", PT_INT, 8, 1, 256, NULL,
                   "samples M drawn per candidate policy (prediction samples; inference inpaint draws 4 M)"},
    [P_MAX_POL] = {"max_policies", PT_INT, 64, 4, 1024, NULL,
                   "candidate policies: all |A|^H if at most this many, else (prediction model) a beam of "
                   "this many (planner.h) or (prediction samples) this many drawn at random, equally many "
                   "per first action"},
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
    [P_LR] = {"lr", PT_REAL, 2e-3, 1e-7, 1.0, NULL, "peak Adam learning rate (warm-up over 5% of a fit, cosine decay to lr/10)"},
    [P_BATCH] = {"batch", PT_INT, 128, 1, 4096, NULL, "training batch (windows)"},
    [P_ITERS] = {"train_iters", PT_INT, 6000, 0, 10000000, NULL,
                 "gradient steps per fit: all of them with train_stop 0, else the most a fit may make"},
    [P_STOP_TOL] = {"train_stop", PT_REAL, 0.0, 0.0, 0.5, NULL,
                    "the stopping rule (conditioning clean): a fit holds its peak learning rate until what "
                    "stop_watch watches says it is done, then decays over a quarter of its steps and stops; "
                    "0 = off, train_iters steps with cosine decay (measured: docs/diffusion-aif.md)"},
    [P_STOP_EVERY] = {"stop_every", PT_INT, 100, 1, 100000, NULL, "train_stop: gradient steps between its checks"},
    [P_STOP_PATIENCE] = {"stop_patience", PT_INT, 3, 1, 16, NULL,
                         "train_stop: the checks that end a fit (see stop_watch)"},
    [P_STOP_WATCH] = {"stop_watch", PT_CHOICE, NET_WATCH_LOSS, 0, 0, watch_choices,
                      "what train_stop watches: loss = the denoising loss on 256 fixed windows of the agent's "
                      "data (done: it has not fallen by the fraction train_stop over stop_patience checks); "
                      "readoff = the successor generated for each of 256 fixed (state, action) pairs of the "
                      "agent's data, one draw with fixed sampler noise (done: the share agreeing with the "
                      "record's commonest successor is within train_stop of the record's own share of it, "
                      "at stop_patience checks in a row); moves = the loss rule on 256 fixed windows drawn as "
                      "train_balance moves draws them (a move into a wall counts as much as a frequent one)"},
    [P_BALANCE] = {"train_balance", PT_CHOICE, NET_BALANCE_TOKENS, 0, 0, balance_choices,
                   "how a training window's present token is drawn: tokens = uniformly over the agent's record "
                   "(in a world with hidden contexts a likelihood window over its states first); moves = a "
                   "transition window uniformly over the distinct (state, action) moves of the record first, "
                   "then over that move's tokens, and a likelihood window over its states first (a rare move, "
                   "into a wall, weighs as much as a frequent one; the targets are conditionals, so what changes "
                   "is only how the fit spends its steps)"},
    [P_ROUNDS] = {"rounds", PT_INT, 0, 0, 1000, NULL,
                  "Algorithm 1's loop: rounds of (act on the model learned so far, add the steps, learn again) "
                  "after exploring explore_frac of the budget, in equal shares of the rest; 0 = explore the "
                  "whole budget, learn once (explore_frac, train_epsilon, novelty then do nothing)"},
    [P_EXPLORE] = {"explore_frac", PT_REAL, 0.5, 0.0, 1.0, NULL,
                   "rounds >= 1 (Algorithm 1's loop): fraction of the training budget spent exploring first "
                   "(see exploration); with rounds 0 the whole budget is exploration and another value is "
                   "refused"},
    [P_EXPLORATION] = {"exploration", PT_CHOICE, EXPLORATION_AUTO, 0, 0, exploration_choices,
                       "how the first explore_frac of the budget is spent: random = uniform moves (the "
                       "paper's); novelty = the moves the agent has made least, planned over its own counts "
                       "of its moves between the states it infers (the most probable state of its belief on "
                       "the model learned so far, re-learned as the record grows; explore.h); efe = EFE "
                       "decisions on the counts model of its record, re-learned as the record grows, with "
                       "probability explore_epsilon of a random move; auto = novelty in a world without "
                       "hidden contexts, efe in one with them (docs/contexts.md)"},
    [P_EXPLORE_EPS] = {"explore_epsilon", PT_REAL, 0.5, 0.0, 1.0, NULL,
                       "exploration efe: probability of a uniformly random move"},
    [P_CTX_TIE] = {"context_tie", PT_BOOL, 1, 0, 1, NULL,
                   "a world with hidden contexts (docs/contexts.md): true = the contexts share the transitions, "
                   "the start and the location part of the likelihood (the context changes only the symbols "
                   "seen and where episodes end), in the counts model and in the model read off the network "
                   "alike; false = every (cell, context) has its own rows (the ablation)"},
    [P_TRAIN_EPS] = {"train_epsilon", PT_REAL, 0.1, 0.0, 1.0, NULL,
                     "rounds >= 1: probability of a random action while acting during training (with rounds 0 "
                     "no training step is acted, and another value is refused)"},
    [P_WARM] = {"warm_start", PT_BOOL, 1, 0, 1, NULL,
                "keep weights and Adam state between fits (else re-initialise); there is more than one fit only "
                "with rounds >= 1 or em_rounds >= 1, and false is refused otherwise"},
    [P_AMB_SAMPLES] = {"amb_samples", PT_INT, 32, 1, 1024, NULL,
                       "samples per cell when estimating the likelihood p(o|z) (and its entropy) from the model"},
    [P_COND] = {"conditioning", PT_CHOICE, 0, 0, 0, cond_choices,
                "inpainting: clean = known entries pasted as they are at every reverse step, the network "
                "trained with the same masks (loss on generated entries only); repaint = known entries "
                "re-noised to the current step and pasted (Lugmayr et al. 2022), network trained "
                "unconditionally as in the paper"},
    [P_PLANNER] = PLANNER_PARAM_SPECS, /* P_PLANNER, P_TAIL (planner.h) */
    [P_TRANS_SAMPLES] = {"trans_samples", PT_INT, 32, 1, 1024, NULL,
                         "samples per (cell, action) when reading the transitions p(z'|z,a) off the model"},
    [P_PREDICT] = {"prediction", PT_CHOICE, PREDICT_MODEL, 0, 0, predict_choices,
                   "how a candidate policy's future is predicted: samples = inpaint the whole window under "
                   "it (samples per policy, the paper's; network only); model = carry the belief about the "
                   "present state through the likelihood and transitions of the agent's model, on the "
                   "planner both active-inference agents share (planner.h)"},
    [P_SUPPORT] = {"support", PT_CHOICE, SUPPORT_DATA, 0, 0, support_choices,
                   "successors of the model's transitions: model = as the source gives them; data = from a "
                   "move the agent has made, a cell it has never been in (by its inferred states) is dropped "
                   "if the move also reaches cells it has been in (the network's leaks through walls; a move "
                   "never made, or one that reaches only unvisited cells, keeps them); moves = data, then from a "
                   "move the agent has made, every successor its data never shows that move reaching is dropped "
                   "as well (at least half an expected move; the network's leaks to cells beside a wall)"},
    [P_LABELS] = {"state_labels", PT_BOOL, 0, 0, 1, NULL,
                  "z in the training windows is the true cell of every training step (the paper's reading "
                  "of Algorithm 1: privileged information, an ablation) instead of the state the agent "
                  "infers from its observations (EM, latent.h)"},
    [P_MODEL] = {"model", PT_CHOICE, MODEL_NETWORK, 0, 0, model_choices,
                 "where the likelihood and transitions the agent plans with come from: network = read off the "
                 "diffusion model by inpainting (the agent); counts = normalised counts of the same data "
                 "under the same inferred states (the control: no network is trained)"},
    [P_INFERENCE] = {"inference", PT_CHOICE, INFER_FILTER, 0, 0, inference_choices,
                     "the belief about the present state at a decision: filter = exact Bayes filtering on the "
                     "model the agent plans with; inpaint = the histogram of 4 x samples present states "
                     "inpainted by the network given the episode's last context steps (network only)"},
    [P_EM_ROUNDS] = {"em_rounds", PT_INT, 0, 0, 100, NULL,
                     "network without state labels: after the first fit, this many rounds of (infer the "
                     "states of the record under the model read off the network, refit): EM with the "
                     "network in the loop (0: the states inferred under the counts model)"},
    [P_NOVELTY] = {"novelty", PT_REAL, 4.0, 0.0, 1e3, NULL,
                   "exploration in the training rounds (induction): a cell visited n times in the agent's "
                   "data is worth novelty / sqrt(1 + n) nats less risk (0 = off; never in evaluation; with "
                   "rounds 0 there are no rounds, nor in a world with hidden contexts a bonus, and another "
                   "value is refused)"},
};

dif_cfg_t dif_decode(const double *pv) {
    dif_cfg_t c;
    memset(&c, 0, sizeof c);
    c.horizon = (int)pv[P_HORIZON];
    c.context = (int)pv[P_CONTEXT];
    c.samples = (int)pv[P_SAMPLES];
    c.max_policies = (int)pv[P_MAX_POL];
    efe_params_read(pv + P_GAMMA, &c.efe);
    planner_params_read(pv + P_PLANNER, &c.planner);
    c.schedule = (int)pv[P_SCHEDULE];
    c.T = (int)pv[P_T];
    c.cond = (int)pv[P_COND];
    c.sampler = sampler_defaults();
    c.sampler.kind = (sampler_kind_t)(int)pv[P_SAMPLER];
    c.sample_steps = (int)pv[P_STEPS];
    c.sampler.steps = c.sampler.kind == SAMPLER_DDIM ? c.sample_steps : 0;
    c.sampler.ddim_eta = (float)pv[P_ETA];
    c.sampler.jump_len = (int)pv[P_JUMP];
    c.sampler.n_resample = (int)pv[P_RESAMPLE];
    c.sampler.clip_x0 = (float)pv[P_CLIP];
    c.d_model = (int)pv[P_DMODEL];
    c.heads = (int)pv[P_HEADS];
    c.layers = (int)pv[P_LAYERS];
    c.rbf = pv[P_RBF] != 0.0;
    c.rbf_cells = pv[P_RBF_CELLS] != 0.0;
    c.lr = pv[P_LR];
    c.batch = (int)pv[P_BATCH];
    c.train_iters = (int)pv[P_ITERS];
    c.amb_samples = (int)pv[P_AMB_SAMPLES];
    c.trans_samples = (int)pv[P_TRANS_SAMPLES];
    c.train_stop = pv[P_STOP_TOL];
    c.stop_every = (int)pv[P_STOP_EVERY];
    c.stop_patience = (int)pv[P_STOP_PATIENCE];
    c.stop_watch = (int)pv[P_STOP_WATCH];
    c.balance = (int)pv[P_BALANCE];
    c.rounds = (int)pv[P_ROUNDS];
    c.exploration = (int)pv[P_EXPLORATION];
    c.ctx_tie = pv[P_CTX_TIE] != 0.0;
    c.warm_start = pv[P_WARM] != 0.0;
    c.explore_frac = pv[P_EXPLORE];
    c.explore_eps = pv[P_EXPLORE_EPS];
    c.train_eps = pv[P_TRAIN_EPS];
    c.novelty = pv[P_NOVELTY];
    c.predict = (int)pv[P_PREDICT];
    c.support = (int)pv[P_SUPPORT];
    c.labels = pv[P_LABELS] != 0.0;
    c.model = (int)pv[P_MODEL];
    c.inference = (int)pv[P_INFERENCE];
    c.em_rounds = (int)pv[P_EM_ROUNDS];
    return c;
}

static int ipow(int b, int e) {
    long r = 1;
    for (int i = 0; i < e && r <= 1 << 20; i++) r *= b;
    return r > 1 << 20 ? 1 << 20 : (int)r;
}

int dif_n_policies(const dif_cfg_t *c, int n_actions, int *enumerate) {
    const int all = ipow(n_actions, c->horizon);
    *enumerate = all <= c->max_policies;
    return *enumerate ? all : (c->max_policies / n_actions) * n_actions;
}

/* The network's window: past tokens and future ones beside the present.  With
 * prediction: model and inference: filter (the defaults) every query the
 * network is trained on and asked (the likelihood and the transitions) is
 * about the present token and the next; the other tokens of a longer window
 * would be null in all of them, so the window is those two.  Otherwise
 * context past tokens and the planning horizon's future ones. */
void dif_window(const dif_cfg_t *c, int *context, int *horizon) {
    const int readoff_only = c->predict == PREDICT_MODEL && c->inference != INFER_INPAINT;
    *context = readoff_only ? 0 : c->context;
    *horizon = readoff_only ? 1 : c->horizon;
}

scorenet_config_t dif_net_config(const task_t *task, const dif_cfg_t *c) {
    int context, horizon;
    dif_window(c, &context, &horizon);
    return (scorenet_config_t){c->d_model, c->heads, c->layers, context + 1 + horizon, tok_width(task), 64,
                               0 /* no Fourier features: retired, docs/structure.md */, 4,
                               c->rbf ? task->cols : 0, c->rbf ? task->rows : 0, c->rbf && c->rbf_cells,
                               task->n_contexts > 1 ? task->n_contexts : 0};
}

/* Whether these parameters need the network at all. */
int dif_uses_network(const dif_cfg_t *c) {
    return c->model == MODEL_NETWORK || c->inference == INFER_INPAINT || c->predict == PREDICT_SAMPLES;
}

planner_config_t dif_plan_config(const task_t *task, const dif_cfg_t *c) {
    const int induction = c->planner.kind == PLANNER_INDUCTION;
    return (planner_config_t){c->horizon, c->max_policies, PLAN_SEARCH_AUTO,
                              planner_tail_steps(&c->planner, task->max_steps),
                              /* hidden contexts: decide over the belief about the context */
                              induction && task->n_contexts > 1 ? task->n_cells : 0};
}

/* What diffusion-aif does not do in a world with hidden contexts
 * (docs/contexts.md): a message, or NULL. */
static const char *ctx_refusal(const task_t *env, const dif_cfg_t *c) {
    _Static_assert(LATENT_CTX_MAX >= TASK_MAX_CONTEXTS, "the learner handles every world's contexts");
    if (c->labels) return "state_labels: true (the labels are cells, not (cell, context))";
    if (c->em_rounds > 0) return "em_rounds > 0";
    if (c->predict == PREDICT_SAMPLES) return "prediction: samples";
    if (c->inference == INFER_INPAINT) return "inference: inpaint";
    if (c->efe.pref.kind != EFE_PREF_GOAL) return "a preference other than goal (it needs the map)";
    if (c->rounds > 0 && c->novelty != dif_params[P_NOVELTY].def)
        return "novelty (its planners there take no novelty bonus)";
    return NULL;
}

/* A setting of Algorithm 1's loop that acts only with rounds >= 1 (and
 * warm_start also with em_rounds >= 1), given another value than its default
 * with rounds 0: its name, or NULL (issue 23: options that would do nothing
 * are refused, not ignored). */
static const char *idle_loop_setting(const dif_cfg_t *c) {
    if (c->rounds > 0) return NULL;
    if (c->explore_frac != dif_params[P_EXPLORE].def) return "explore_frac";
    if (c->train_eps != dif_params[P_TRAIN_EPS].def) return "train_epsilon";
    if (c->novelty != dif_params[P_NOVELTY].def) return "novelty";
    if (c->warm_start != (dif_params[P_WARM].def != 0.0) && c->em_rounds == 0) return "warm_start";
    return NULL;
}

/* The checks of the parameters alone, and of them against the task. */
int dif_check(const task_t *env, const dif_cfg_t *c, char *err, size_t n) {
    const char *no = env->n_contexts > 1 ? ctx_refusal(env, c) : NULL, *idle = idle_loop_setting(c);
    if (env->n_contexts > 1 && c->planner.kind == PLANNER_INDUCTION && !efe_ctx_fits(env->n_cells, env->n_contexts)) {
        snprintf(err, n, "diffusion-aif: planner: induction plans over %d cells x %d beliefs about %d hidden contexts "
                 "in world '%s', above the %ld information states it is built for (use planner: tree, or a smaller "
                 "world; docs/contexts.md)", env->n_cells, efe_ctx_points(env->n_contexts), env->n_contexts,
                 env->name, EFE_CTX_MAX_INFO);
        return -1;
    }
    if (no) {
        snprintf(err, n, "diffusion-aif: world '%s' has hidden contexts, and with them it does not take %s "
                 "(docs/contexts.md)", env->name, no);
        return -1;
    }
    if (idle) {
        snprintf(err, n, "diffusion-aif: %s acts only in the training rounds, and rounds is 0 (set rounds >= 1 or "
                 "leave %s out)", idle, idle);
        return -1;
    }
    if (c->model == MODEL_COUNTS && dif_uses_network(c)) {
        snprintf(err, n, "model: counts trains no network, so it needs inference: filter and prediction: model");
        return -1;
    }
    if (c->d_model % c->heads != 0) {
        snprintf(err, n, "d_model %d is not divisible by heads %d", c->d_model, c->heads);
        return -1;
    }
    if (c->horizon > env->max_steps) {
        snprintf(err, n, "horizon %d exceeds the world's max_steps %d", c->horizon, env->max_steps);
        return -1;
    }
    if (c->sampler.kind == SAMPLER_DDIM && c->sample_steps > c->T) {
        snprintf(err, n, "sample_steps %d exceeds T %d", c->sample_steps, c->T);
        return -1;
    }
    /* The dense tables (the counts' A and its counts, the planner's A with its
     * slots, and the network's E-step model) grow with the square of the cells. */
    const double ctx = env->n_contexts > 1 ? env->n_contexts : 1, cells = env->n_cells,
                 obs = env->n_contexts > 1 ? env->n_obs : cells,
                 gib = (36.0 + (c->em_rounds > 0 ? 8.0 : 0.0)) * ctx * cells * obs / 1073741824.0;
    if (gib > 2.0) {
        snprintf(err, n, "diffusion-aif: its dense tables would need %.1f GiB for world '%s' (%d cells; limit 2 GiB)", gib,
                 env->name, env->n_cells);
        return -1;
    }
    int K = ipow(env->n_actions, c->horizon);
    if (K > c->max_policies) K = c->max_policies;
    if ((long)K * (long)c->samples > 65536) {
        snprintf(err, n, "policies x samples = %ld rows per network call; at most 65536", (long)K * (long)c->samples);
        return -1;
    }
    return 0;
}

