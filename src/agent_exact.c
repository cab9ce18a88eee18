/* exact-aif: discrete active inference with exact beliefs and exact EFE.
 *
 * Beliefs q(s_t) by Bayesian filtering with A and B, either the world's own
 * (model: true) or the expectations of Dirichlet counts learned during training
 * (model: learned).  Each decision scores every policy (action sequence) of
 * length `horizon` by G(pi) = sum_t w_risk KL[q(o_t|pi) || p~] + w_ambiguity
 * E_q(s_t|pi) H[p(o|s_t)] (efe.h), forms P(pi) = softmax(-gamma G) and picks the
 * first action from its marginal.  docs/efe.md has the formulas and choices.
 *
 * Search.  Policies share prefixes, so they are scored on the tree of action
 * sequences: q(s_t|pi) is propagated once per tree node (a depth-first walk),
 * through the sparse rows of B (at most 3 successors per state and action in a
 * grid world, 5 for a learned B) and of A, touching only the states and
 * observations that carry probability.  When |A|^H exceeds policy_cap (or
 * search: beam), a beam search keeps, for every first action, the best
 * policy_cap / |A|^2 prefixes by partial G at each depth, so at most policy_cap
 * complete policies are scored and every first action keeps its own
 * candidates.  Partial G can only grow with depth (risk and ambiguity are both
 * >= 0), so the beam discards prefixes that are already worse than the ones it
 * keeps; it is exact whenever the width covers the whole tree.
 *
 * Learned model.  Counts a(o|s) and b(s'|s,a) start at dirichlet_prior and grow
 * by one per experienced (s, o) and (s, a, s') during training: as in the
 * diffusion agent's data, the true state is known while training (the logs hold
 * z); evaluation filters on observations only.  The agent knows what its task
 * tells it (task.h): the grid's shape, so moves are local (a successor is the
 * cell itself or one of its four neighbours), and the goal, which ends the
 * episode (absorbing).  Everything else is learned: the start cell (where its
 * training episodes began), the cells in which an episode ended without the
 * goal (absorbing, and avoided through the preference: see efe.h), slip,
 * the observation noise and where moves are blocked.  It does not know the
 * map.
 *
 * True model.  With `model: true` the agent is the reference that has the
 * world's A and B by definition (TASK_NEEDS_TRUTH): also its start cell, its
 * walls (for a uniform initial belief) and its holes (the cells to avoid).
 *
 * Training budget.  With model: true nothing is learned and no step of the
 * budget is spent (steps_used = 0, as for random): the agent is the reference
 * that knows the world.  With model: learned the whole budget is spent, acting
 * at random with probability `explore` and otherwise by planning with the
 * model learned so far. */
/* An agent sees only its view of the task: gridworld.h and env.h refuse to
 * compile here (task.h). */
#define AIF_AGENT_VIEW_ONLY
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agents.h"
#include "arena.h"
#include "efe.h"
#include "efe_tail.h"

enum {
    P_HORIZON, P_GAMMA, P_W_RISK, P_W_AMB, P_PREF, P_LAMBDA, P_C_GOAL, P_HOLE,
    P_SELECTION, P_MODEL, P_SEARCH, P_CAP, P_DIRICHLET, P_EXPLORE, P_START_KNOWN, P_PLANNER, P_TAIL, P_LABELS, P_N
};

static const char *const planner_choices[] = {"tree", "induction", NULL};
enum { PLANNER_TREE = 0, PLANNER_INDUCTION = 1 };

static const char *const model_choices[] = {"true", "learned", NULL};
static const char *const search_choices[] = {"auto", "exhaustive", "beam", NULL};
enum { MODEL_TRUE = 0, MODEL_LEARNED = 1 };
enum { SEARCH_AUTO = 0, SEARCH_EXHAUSTIVE = 1, SEARCH_BEAM = 2 };

#define MAX_CAP 1048576

_Static_assert(P_SELECTION - P_GAMMA + 1 == EFE_N_PARAMS && P_PREF == P_GAMMA + EFE_P_PREF,
               "the EFE block sits at P_GAMMA .. P_SELECTION");

static const param_spec_t exact_params[P_N] = {
    [P_HORIZON]   = {"horizon", PT_INT, 3, 1, 64, NULL, "planning horizon H (actions per policy)"},
    EFE_PARAM_SPECS, /* P_GAMMA .. P_SELECTION (efe.h) */
    [P_MODEL]     = {"model", PT_CHOICE, 0, 0, 0, model_choices,
                     "A and B: the world's own (true), or Dirichlet counts learned in training (learned)"},
    [P_SEARCH]    = {"search", PT_CHOICE, 0, 0, 0, search_choices,
                     "policies: auto = all |A|^H if <= policy_cap else beam; exhaustive = all (error above the cap); beam"},
    [P_CAP]       = {"policy_cap", PT_INT, 4096, 25, MAX_CAP, NULL,
                     "most policies scored per decision (beam width = policy_cap / |A|^2 per first action)"},
    [P_DIRICHLET] = {"dirichlet_prior", PT_REAL, 0.1, 1e-6, 1e3, NULL,
                     "learned model: initial Dirichlet count of every allowed A and B entry"},
    [P_EXPLORE]   = {"explore", PT_REAL, 0.5, 0.0, 1.0, NULL,
                     "learned model: probability of a uniformly random action during training"},
    [P_PLANNER]   = {"planner", PT_CHOICE, PLANNER_INDUCTION, 0, 0, planner_choices,
                     "tree = G over the policy tree of `horizon` steps only (the paper's); induction = the "
                     "tree plus, at its leaves, the EFE of the following tail_steps steps by backward "
                     "induction over the model's states (efe_tail.h)"},
    [P_TAIL]      = {"tail_steps", PT_INT, 0, 0, 100000, NULL,
                     "induction: backward steps after the tree (0 = the world's max_steps)"},
    [P_LABELS]    = {"state_labels", PT_BOOL, 1, 0, 1, NULL,
                     "learned model: count A and B on the true cell of every training step (the paper's reading "
                     "of Algorithm 1, which logs z: privileged information, an ablation) instead of learning "
                     "the states from the observations"},
    [P_START_KNOWN] = {"start_known", PT_BOOL, 1, 0, 1, NULL,
                       "initial belief: the start cell (true: the true model's, or where the training episodes "
                       "began) or uniform over the cells (false)"},
};

/* Successor slots of a learned B: the cell itself, then up, down, left, right. */
#define LB_WIDTH 5

/* A child prefix in the beam: its parent slot, last action and partial sums. */
struct cand { double G, r, a; int parent, action, order; };

typedef struct {
    /* task and parameters */
    task_t task;
    int n, no, na, rows, cols, start, H, max_steps;
    efe_params_t ep;           /* gamma, weights, preference, selection (efe.h) */
    int learned, start_known;
    double prior, explore;
    unsigned char *wall;      /* [n] known walls (true model), else all 0 */
    unsigned char *avoid;     /* [n] cells to avoid: the true model's holes, or learned */
    unsigned char *absorb;    /* [n] cells that end the episode (learned model) */
    efe_model_t m;
    double *lnp;              /* [no] ln p~(o) */
    int use_tail, tail_steps; /* planner: induction */
    efe_tail_t tail;          /* the EFE after the tree's leaves, on m */

    /* belief */
    double *q, *q_tmp;        /* [n] */
    int prev_action;          /* -1 at the start of an episode */

    /* learned model: counts aligned with m's slots */
    double *cA;               /* [n][no] */
    double *cB;               /* [na][n][LB_WIDTH] */

    /* scored policies of one decision */
    int beam;                 /* 0: exhaustive depth-first; 1: beam */
    long max_pol;
    long n_pol;
    double *pol_G, *pol_risk, *pol_amb, *pol_P;
    int *pol_first;

    /* node workspace: one dense belief and support list per depth, zero outside
     * the support; observation scratch */
    double *lvl_q;            /* [H+1][n] */
    int *lvl_supp;            /* [H+1][n] */
    int *lvl_ns;              /* [H+1] */
    double *qo;               /* [no] */
    int *obs_list;            /* [no] */
    unsigned char *mark_s, *mark_o;

    /* beam: two generations of slots, group (first action) major */
    int bw;                   /* prefixes kept per first action */
    double *bq[2];            /* [na*bw][n] */
    int *bsupp[2];            /* [na*bw][n] */
    int *bns[2];              /* [na*bw] */
    double *br[2], *ba[2];    /* partial risk and ambiguity per slot */
    int *bcount[2];           /* [na] live slots per group */
    struct cand *cand;        /* children of one group [bw*na] */
    arena_t *arena;           /* every buffer above, and the exact_t itself */
} exact_t;

/* ---- sizes ---------------------------------------------------------------------- */

/* na^H, saturated at limit + 1. */
static long pow_sat(int na, int H, long limit) {
    long p = 1;
    for (int i = 0; i < H; i++) {
        p *= na;
        if (p > limit) return limit + 1;
    }
    return p;
}

typedef struct { int beam; long bw, max_pol; } plan_shape_t;

static plan_shape_t plan_shape(int na, int H, long cap, int search) {
    plan_shape_t ps = {0, 0, 0};
    long all = pow_sat(na, H, cap);
    ps.beam = search == SEARCH_BEAM || (search == SEARCH_AUTO && all > cap);
    if (!ps.beam) {
        ps.max_pol = all;
        return ps;
    }
    ps.bw = cap / ((long)na * na);
    if (ps.bw < 1) ps.bw = 1;
    long full = pow_sat(na, H >= 2 ? H - 2 : 0, ps.bw); /* wider than this is the whole tree */
    if (ps.bw > full) ps.bw = full;
    ps.max_pol = H == 1 ? na : (long)na * ps.bw * na;
    return ps;
}

/* Bytes the agent allocates (validate refuses absurd ones before create). */
static double exact_bytes(const task_t *task, const double *pv) {
    double n = task->n_cells, no = task->n_cells, na = task->n_actions, H = pv[P_HORIZON];
    plan_shape_t ps = plan_shape(task->n_actions, (int)H, (long)pv[P_CAP], (int)pv[P_SEARCH]);
    double b = 8.0 * (n * no * 2 + n * 6 + no * 3) + 44.0 * ps.max_pol + 12.0 * (H + 1) * n;
    if (pv[P_MODEL] == MODEL_LEARNED) b += 8.0 * (n * no * 2 + 2.0 * na * n * LB_WIDTH);
    else b += 12.0 * na * n * 3 + 12.0 * n * no;
    if (ps.beam) b += 2.0 * na * ps.bw * (12.0 * n + 24.0) + 40.0 * ps.bw * na;
    return b;
}

static size_t exact_ckpt_floats(const task_t *task, const double *pv) {
    if (pv[P_MODEL] != MODEL_LEARNED) return 0;
    return (size_t)task->n_cells * task->n_cells + (size_t)task->n_actions * task->n_cells * LB_WIDTH;
}

static unsigned exact_needs(const double *pv) {
    unsigned k = 0;
    if ((int)pv[P_MODEL] == MODEL_TRUE) k |= TASK_NEEDS_TRUTH;
    else if (pv[P_LABELS] != 0.0) k |= TASK_NEEDS_LABELS;
    if ((int)pv[P_PREF] == EFE_PREF_ORACLE) k |= TASK_NEEDS_ORACLE;
    return k;
}

static int exact_validate(const task_t *task, const double *pv, char *err, size_t errlen) {
    int H = (int)pv[P_HORIZON], na = task->n_actions;
    long cap = (long)pv[P_CAP];
    if (H > task->max_steps) {
        snprintf(err, errlen, "exact-aif: horizon %d exceeds the world's max_steps %d", H, task->max_steps);
        return -1;
    }
    if (cap < (long)na * na) {
        snprintf(err, errlen, "exact-aif: policy_cap %ld is below |A|^2 = %d (%d actions)", cap, na * na, na);
        return -1;
    }
    long all = pow_sat(na, H, MAX_CAP);
    if ((int)pv[P_SEARCH] == SEARCH_EXHAUSTIVE && all > cap) {
        char count[32];
        if (all > MAX_CAP) snprintf(count, sizeof count, "more than %d", MAX_CAP);
        else snprintf(count, sizeof count, "%ld", all);
        snprintf(err, errlen,
                 "exact-aif: search: exhaustive needs |A|^H = %d^%d = %s policies, above policy_cap %ld; "
                 "raise policy_cap, lower horizon, or use search: auto (beam beyond the cap)",
                 na, H, count, cap);
        return -1;
    }
    double gib = exact_bytes(task, pv) / (1024.0 * 1024.0 * 1024.0);
    if (gib > 2.0) {
        snprintf(err, errlen, "exact-aif: would need %.1f GiB for world '%s' (limit 2 GiB); "
                 "lower policy_cap or the world size", gib, task->name);
        return -1;
    }
    return 0;
}

/* ---- learned model ------------------------------------------------------------------- */

static int is_absorbing(const exact_t *x, int s) { return x->absorb[s]; }
static void update_tail(exact_t *x);

/* B row (a, s) from its counts. */
static void learned_refresh_B(exact_t *x, int a, int s) {
    const size_t base = ((size_t)a * x->n + s) * LB_WIDTH;
    double sum = 0.0;
    for (int k = 0; k < LB_WIDTH && x->m.b_idx[base + k] >= 0; k++) sum += x->cB[base + k];
    for (int k = 0; k < LB_WIDTH && x->m.b_idx[base + k] >= 0; k++) x->m.b_p[base + k] = x->cB[base + k] / sum;
}

/* A row s (dense, slots, entropy) from its counts. */
static void learned_refresh_A(exact_t *x, int s) {
    const size_t base = (size_t)s * x->no, sbase = (size_t)s * x->m.a_width;
    double sum = 0.0;
    for (int o = 0; o < x->no; o++) sum += x->cA[base + o];
    for (int o = 0; o < x->no; o++) x->m.A[base + o] = x->cA[base + o] / sum;
    for (int k = 0; k < x->m.a_width && x->m.a_idx[sbase + k] >= 0; k++)
        x->m.a_p[sbase + k] = x->m.A[base + x->m.a_idx[sbase + k]];
    efe_model_update_entropy(&x->m, s);
}

/* The B rows of s: its neighbours on the open grid (and itself) with prior
 * counts, or only itself if s is absorbing. */
static void learned_rows_B(exact_t *x, int s) {
    const int n = x->n;
    for (int a = 0; a < x->na; a++) {
        const size_t base = ((size_t)a * n + s) * LB_WIDTH;
        int k = 0;
        x->m.b_idx[base + k] = s;
        x->cB[base + k++] = x->prior;
        for (int b = 0; b < 4 && !is_absorbing(x, s); b++) {
            int s2 = task_neighbour(&x->task, s, b);
            if (s2 == s) continue;
            x->m.b_idx[base + k] = s2;
            x->cB[base + k++] = x->prior;
        }
        for (; k < LB_WIDTH; k++) { x->m.b_idx[base + k] = -1; x->cB[base + k] = 0.0; }
        learned_refresh_B(x, a, s);
    }
}

/* Slots, prior counts and the expected model they give.  The goal is the one
 * cell known to end the episode. */
static void learned_init(exact_t *x) {
    const int n = x->n, no = x->no, aw = x->m.a_width;
    x->absorb[x->task.goal] = 1;
    for (int s = 0; s < n; s++) learned_rows_B(x, s);
    for (int s = 0; s < n; s++) {
        int k = 0;
        for (int o = 0; o < no; o++) {
            x->cA[(size_t)s * no + o] = x->prior;
            if (k < aw) x->m.a_idx[(size_t)s * aw + k++] = o;
        }
        learned_refresh_A(x, s);
    }
}

/* An episode ended on entering s: s is absorbing from now on, and if the
 * goal was not reached there, a cell to avoid (the preference changes). */
static void learn_ending(exact_t *x, int s, int failed) {
    if (!x->absorb[s]) {
        x->absorb[s] = 1;
        learned_rows_B(x, s);
    }
    if (failed && !x->avoid[s]) {
        x->avoid[s] = 1;
        efe_log_preferences(&x->ep.pref, x->rows, x->cols, x->task.goal, x->task.oracle_dist, x->avoid, x->lnp);
    }
    update_tail(x);
}

static void learn_transition(exact_t *x, int s, int a, int s2) {
    if (is_absorbing(x, s)) return;
    const size_t base = ((size_t)a * x->n + s) * LB_WIDTH;
    for (int k = 0; k < LB_WIDTH && x->m.b_idx[base + k] >= 0; k++)
        if (x->m.b_idx[base + k] == s2) {
            x->cB[base + k] += 1.0;
            learned_refresh_B(x, a, s);
            return;
        }
}

static void learn_observation(exact_t *x, int s, int o) {
    x->cA[(size_t)s * x->no + o] += 1.0;
    learned_refresh_A(x, s);
}

/* ---- create / destroy ------------------------------------------------------------------ */

static void exact_destroy(void *self) {
    exact_t *x = self;
    if (!x) return;
    efe_model_free(&x->m);
    efe_tail_free(&x->tail);
    arena_free(x->arena); /* every buffer of the agent's own, and the agent */
}

/* The scalar settings from the task and the parameters. */
static void exact_read_params(exact_t *x, const task_t *task, const double *pv, int learned) {
    x->task = *task;
    x->n = task->n_cells; x->no = task->n_cells; x->na = task->n_actions;
    x->rows = task->rows; x->cols = task->cols;
    x->H = (int)pv[P_HORIZON];
    x->max_steps = task->max_steps;
    efe_params_read(pv + P_GAMMA, &x->ep);
    x->learned = learned;
    x->start_known = pv[P_START_KNOWN] != 0.0;
    x->prior = pv[P_DIRICHLET];
    x->explore = pv[P_EXPLORE];
    x->prev_action = -1;
    x->start = learned ? -1 : task->truth->start; /* learned: where training episodes begin */
    x->use_tail = (int)pv[P_PLANNER] == PLANNER_INDUCTION;
    x->tail_steps = (int)pv[P_TAIL] > 0 ? (int)pv[P_TAIL] : task->max_steps;
}

/* The agent's own buffers, all from its arena (zeroed): beliefs, the learned
 * counts, the scored policies, the tree walk's levels and the beam. */
static int exact_alloc_buffers(exact_t *x, const plan_shape_t *ps) {
    arena_t *ar = x->arena;
    const size_t n = (size_t)x->n, no = (size_t)x->no, na = (size_t)x->na, H = (size_t)x->H;
    const size_t np = (size_t)ps->max_pol;
    x->wall = arena_alloc(ar, n, 1);
    x->avoid = arena_alloc(ar, n, 1);
    x->absorb = arena_alloc(ar, n, 1);
    x->lnp = arena_alloc(ar, no, sizeof(double));
    x->q = arena_alloc(ar, n, sizeof(double));
    x->q_tmp = arena_alloc(ar, n, sizeof(double));
    if (x->learned) {
        x->cA = arena_alloc(ar, n * no, sizeof(double));
        x->cB = arena_alloc(ar, na * n * LB_WIDTH, sizeof(double));
    }
    x->pol_G = arena_alloc(ar, np, sizeof(double));
    x->pol_risk = arena_alloc(ar, np, sizeof(double));
    x->pol_amb = arena_alloc(ar, np, sizeof(double));
    x->pol_P = arena_alloc(ar, np, sizeof(double));
    x->pol_first = arena_alloc(ar, np, sizeof(int));
    x->lvl_q = arena_alloc(ar, (H + 1) * n, sizeof(double));
    x->lvl_supp = arena_alloc(ar, (H + 1) * n, sizeof(int));
    x->lvl_ns = arena_alloc(ar, H + 1, sizeof(int));
    x->qo = arena_alloc(ar, no, sizeof(double));
    x->obs_list = arena_alloc(ar, no, sizeof(int));
    x->mark_s = arena_alloc(ar, n, 1);
    x->mark_o = arena_alloc(ar, no, 1);
    if (x->beam) {
        const size_t slots = na * (size_t)ps->bw;
        for (int i = 0; i < 2; i++) {
            x->bq[i] = arena_alloc(ar, slots * n, sizeof(double));
            x->bsupp[i] = arena_alloc(ar, slots * n, sizeof(int));
            x->bns[i] = arena_alloc(ar, slots, sizeof(int));
            x->br[i] = arena_alloc(ar, slots, sizeof(double));
            x->ba[i] = arena_alloc(ar, slots, sizeof(double));
            x->bcount[i] = arena_alloc(ar, na, sizeof(int));
        }
        x->cand = arena_alloc(ar, (size_t)ps->bw * na, sizeof *x->cand);
    }
    return arena_ok(ar) ? 0 : -1;
}

/* The model (learned: prior counts; true: a copy of the world's), the
 * preference and the tail on the model.  0, or -1 (no memory). */
static int exact_init_model(exact_t *x, const task_t *task) {
    const int n = x->n;
    if (!x->learned) {
        memcpy(x->wall, task->truth->wall, (size_t)n);
        memcpy(x->avoid, task->truth->failure, (size_t)n);
    }
    efe_log_preferences(&x->ep.pref, x->rows, x->cols, task->goal, task->oracle_dist, x->avoid, x->lnp);
    if (x->learned) {
        if (efe_model_alloc(&x->m, n, x->no, x->na, LB_WIDTH, x->no)) return -1;
        learned_init(x);
    } else if (efe_model_copy(&x->m, task->truth->model)) {
        return -1;
    }
    if (x->use_tail) {
        if (efe_tail_alloc(&x->tail, n, x->na)) return -1;
        update_tail(x);
    }
    return 0;
}

static void *exact_create(const task_t *task, const double *pv, rng_t *init_rng,
                          char *err, size_t errlen) {
    (void)init_rng;
    if (exact_validate(task, pv, err, errlen)) return NULL;
    const int learned = (int)pv[P_MODEL] == MODEL_LEARNED;
    if (!learned && !task->truth) {
        snprintf(err, errlen, "exact-aif: model: true needs the world's true model, which this task does not give");
        return NULL;
    }
    if ((int)pv[P_PREF] == EFE_PREF_ORACLE && !task->oracle_dist) {
        snprintf(err, errlen, "exact-aif: preference: oracle-distance needs the oracle, which this task does not give");
        return NULL;
    }
    const plan_shape_t ps = plan_shape(task->n_actions, (int)pv[P_HORIZON], (long)pv[P_CAP], (int)pv[P_SEARCH]);
    arena_t *ar = arena_create(1u << 20); /* grows for larger worlds */
    exact_t *x = arena_alloc(ar, 1, sizeof *x);
    if (!x) {
        arena_free(ar);
        goto oom;
    }
    x->arena = ar;
    exact_read_params(x, task, pv, learned);
    x->beam = ps.beam;
    x->max_pol = ps.max_pol;
    x->bw = (int)ps.bw;
    if (exact_alloc_buffers(x, &ps) != 0 || exact_init_model(x, task) != 0) {
        exact_destroy(x);
        goto oom;
    }
    return x;
oom:
    snprintf(err, errlen, "exact-aif: out of memory for a %dx%d world (horizon %d, policy_cap %ld)",
             task->rows, task->cols, (int)pv[P_HORIZON], (long)pv[P_CAP]);
    return NULL;
}

/* ---- beliefs ------------------------------------------------------------------------ */

static void belief_begin(exact_t *x, int obs0) {
    const int n = x->n;
    if (x->start_known && x->start >= 0) {
        memset(x->q, 0, sizeof(double) * n);
        x->q[x->start] = 1.0;
    } else {
        int k = 0;
        for (int s = 0; s < n; s++) k += !x->wall[s];
        for (int s = 0; s < n; s++) x->q[s] = x->wall[s] ? 0.0 : 1.0 / k;
    }
    efe_observe(&x->m, x->q, obs0);
    x->prev_action = -1;
}

static void belief_step(exact_t *x, int a, int obs) {
    efe_predict_states(&x->m, a, x->q, x->q_tmp);
    double *t = x->q; x->q = x->q_tmp; x->q_tmp = t;
    efe_observe(&x->m, x->q, obs);
}

/* ---- scoring on the policy tree ----------------------------------------------------- */

/* One tree node: q_out = B_a q_in (q_out zero on entry, its support written to
 * supp_out), with the risk and ambiguity of that step.  Returns |supp_out|. */
static int node_eval(exact_t *x, int a, const double *q_in, const int *supp_in, int ns_in,
                     double *q_out, int *supp_out, double *risk, double *amb) {
    const efe_model_t *m = &x->m;
    const int n = x->n, bw = m->b_width, aw = m->a_width;
    int ns = 0;
    for (int i = 0; i < ns_in; i++) {
        const int s = supp_in[i];
        const double p = q_in[s];
        const size_t base = ((size_t)a * n + s) * bw;
        for (int k = 0; k < bw; k++) {
            const int s2 = m->b_idx[base + k];
            if (s2 < 0) break;
            if (!x->mark_s[s2]) { x->mark_s[s2] = 1; supp_out[ns++] = s2; }
            q_out[s2] += p * m->b_p[base + k];
        }
    }
    double am = 0.0;
    int nobs = 0;
    for (int i = 0; i < ns; i++) {
        const int s = supp_out[i];
        const double p = q_out[s];
        x->mark_s[s] = 0;
        am += p * m->H_A[s];
        const size_t base = (size_t)s * aw;
        for (int k = 0; k < aw; k++) {
            const int o = m->a_idx[base + k];
            if (o < 0) break;
            if (!x->mark_o[o]) { x->mark_o[o] = 1; x->obs_list[nobs++] = o; }
            x->qo[o] += p * m->a_p[base + k];
        }
    }
    double r = 0.0;
    for (int i = 0; i < nobs; i++) {
        const int o = x->obs_list[i];
        const double p = x->qo[o];
        if (p > 0.0) r += p * (log(p) - x->lnp[o]);
        x->qo[o] = 0.0;
        x->mark_o[o] = 0;
    }
    *risk = r;
    *amb = am;
    return ns;
}

static void clear_belief(double *q, const int *supp, int ns) {
    for (int i = 0; i < ns; i++) q[supp[i]] = 0.0;
}

/* The tail after a leaf of the tree: its belief's share of the EFE still to come. */
static void leaf_tail(const exact_t *x, const double *q, const int *supp, int ns, double *r, double *am) {
    if (!x->use_tail) return;
    for (int i = 0; i < ns; i++) {
        const int s = supp[i];
        *r += q[s] * x->tail.Vr[s];
        *am += q[s] * x->tail.Va[s];
    }
}

/* Re-solve the tail on the current model (after it or the preference changed). */
static void update_tail(exact_t *x) {
    if (x->use_tail) efe_tail_solve(&x->tail, &x->m, x->lnp, &x->ep.w, x->tail_steps, NULL);
}

static void record_policy(exact_t *x, int first, double r, double am) {
    long i = x->n_pol++;
    x->pol_first[i] = first;
    x->pol_risk[i] = r;
    x->pol_amb[i] = am;
    x->pol_G[i] = efe_combine(&x->ep.w, r, am);
}

/* Depth-first over all |A|^H sequences; policies are recorded in lexicographic
 * order (first action most significant). */
static void dfs(exact_t *x, int depth, int first, double r_acc, double a_acc) {
    const int n = x->n;
    double *q_in = x->lvl_q + (size_t)depth * n, *q_out = q_in + n;
    int *s_in = x->lvl_supp + (size_t)depth * n, *s_out = s_in + n;
    for (int a = 0; a < x->na; a++) {
        double r, am;
        int ns = node_eval(x, a, q_in, s_in, x->lvl_ns[depth], q_out, s_out, &r, &am);
        x->lvl_ns[depth + 1] = ns;
        int f = depth == 0 ? a : first;
        if (depth + 1 == x->H) {
            leaf_tail(x, q_out, s_out, ns, &r, &am);
            record_policy(x, f, r_acc + r, a_acc + am);
        } else {
            dfs(x, depth + 1, f, r_acc + r, a_acc + am);
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

/* Beam over prefixes, one beam of width bw per first action. */
static void beam_search(exact_t *x) {
    const int n = x->n, na = x->na, H = x->H, bw = x->bw;
    const double *root = x->lvl_q;
    const int *root_s = x->lvl_supp, root_ns = x->lvl_ns[0];
    int cur = 0;
    /* depth 1: one prefix per first action, in slot g * bw */
    for (int g = 0; g < na; g++) {
        const size_t slot = (size_t)g * bw;
        double r, am;
        int ns = node_eval(x, g, root, root_s, root_ns, x->bq[cur] + slot * n, x->bsupp[cur] + slot * n, &r, &am);
        if (H == 1) {
            leaf_tail(x, x->bq[cur] + slot * n, x->bsupp[cur] + slot * n, ns, &r, &am);
            record_policy(x, g, r, am);
            clear_belief(x->bq[cur] + slot * n, x->bsupp[cur] + slot * n, ns);
            continue;
        }
        x->bns[cur][slot] = ns;
        x->br[cur][slot] = r;
        x->ba[cur][slot] = am;
        x->bcount[cur][g] = 1;
    }
    if (H == 1) return;
    double *scratch = x->lvl_q + n;         /* depth-1 level of the DFS buffers, unused here */
    int *scratch_s = x->lvl_supp + n;
    for (int d = 1; d < H; d++) {
        const int nxt = cur ^ 1, last = d == H - 1;
        for (int g = 0; g < na; g++) {
            int nc = 0;
            for (int i = 0; i < x->bcount[cur][g]; i++) {
                const size_t slot = (size_t)g * bw + i;
                for (int a = 0; a < na; a++) {
                    double r, am;
                    int ns = node_eval(x, a, x->bq[cur] + slot * n, x->bsupp[cur] + slot * n,
                                       x->bns[cur][slot], scratch, scratch_s, &r, &am);
                    /* The tail ranks prefixes too (with induction): the beam then
                     * keeps those from which the rest of the episode looks best. */
                    double tr = 0.0, ta = 0.0;
                    leaf_tail(x, scratch, scratch_s, ns, &tr, &ta);
                    clear_belief(scratch, scratch_s, ns);
                    r += x->br[cur][slot];
                    am += x->ba[cur][slot];
                    if (last) { record_policy(x, g, r + tr, am + ta); continue; }
                    x->cand[nc] = (struct cand){efe_combine(&x->ep.w, r + tr, am + ta), r, am, i, a, nc};
                    nc++;
                }
            }
            if (last) continue;
            qsort(x->cand, (size_t)nc, sizeof *x->cand, cmp_candidates);
            int keep = nc < bw ? nc : bw;
            for (int j = 0; j < keep; j++) {
                const struct cand *c = &x->cand[j];
                const size_t from = (size_t)g * bw + c->parent, to = (size_t)g * bw + j;
                double r, am;
                x->bns[nxt][to] = node_eval(x, c->action, x->bq[cur] + from * n, x->bsupp[cur] + from * n,
                                            x->bns[cur][from], x->bq[nxt] + to * n, x->bsupp[nxt] + to * n, &r, &am);
                x->br[nxt][to] = c->r;
                x->ba[nxt][to] = c->a;
            }
            x->bcount[nxt][g] = keep;
        }
        /* retire the current generation: its slots must be zero for reuse */
        for (int g = 0; g < na; g++) {
            for (int i = 0; i < x->bcount[cur][g]; i++) {
                const size_t slot = (size_t)g * bw + i;
                clear_belief(x->bq[cur] + slot * n, x->bsupp[cur] + slot * n, x->bns[cur][slot]);
            }
            x->bcount[cur][g] = 0;
        }
        cur = nxt;
    }
}

/* Root of the tree: the current belief, without states below a relative 1e-12
 * (renormalised).  This bounds the work per decision by the states that carry
 * probability; it changes G by at most ~1e-12 relative. */
static void set_root(exact_t *x) {
    const int n = x->n;
    double *q = x->lvl_q;
    int *supp = x->lvl_supp, ns = 0;
    double mx = 0.0, sum = 0.0;
    for (int s = 0; s < n; s++) if (x->q[s] > mx) mx = x->q[s];
    for (int s = 0; s < n; s++) {
        q[s] = 0.0;
        if (x->q[s] > 1e-12 * mx) { q[s] = x->q[s]; supp[ns++] = s; sum += q[s]; }
    }
    for (int i = 0; i < ns; i++) q[supp[i]] /= sum;
    x->lvl_ns[0] = ns;
}

/* The EFE diagnostic: the first policies in the depth-first (lexicographic)
 * order, whose actions are the base-|A| digits of their index.  Beam search
 * keeps no action sequences, so it exposes none. */
static void expose_policies(const exact_t *x, decision_t *d) {
    if (x->beam || x->H > DECISION_MAX_H) return;
    int n = x->n_pol < DECISION_MAX_CHECK ? (int)x->n_pol : DECISION_MAX_CHECK;
    for (int k = 0; k < n; k++) {
        int i = k;
        for (int h = x->H - 1; h >= 0; h--) { d->check_policy[k][h] = (signed char)(i % x->na); i /= x->na; }
        d->check_est[k] = (float)x->pol_G[k];
    }
    d->check_H = x->H;
    d->n_check = n;
}

/* Score every policy, form P(pi), choose the first action; fill d. */
static int plan(exact_t *x, rng_t *rng, decision_t *d) {
    set_root(x);
    x->n_pol = 0;
    if (x->beam) beam_search(x);
    else dfs(x, 0, -1, 0.0, 0.0);
    efe_policy_posterior(x->pol_G, NULL, x->ep.gamma, (int)x->n_pol, x->pol_P);
    double p_action[TASK_MAX_ACTIONS];
    efe_action_marginals(x->pol_P, x->pol_first, (int)x->n_pol, x->na, p_action);
    int a = efe_select_action(p_action, x->na, x->ep.sel, rng);
    if (d) {
        efe_first_action_summary(x->pol_G, x->pol_risk, x->pol_amb, x->pol_first, (int)x->n_pol, x->na,
                                 p_action, d->G, d->risk, d->ambiguity, d->p_action);
        d->action = a;
        if (d->want_check) expose_policies(x, d);
    }
    return a;
}

/* ---- the agent interface ---------------------------------------------------------------- */

static void exact_begin(void *self, int obs0) { belief_begin(self, obs0); }

static int exact_act(void *self, int obs, rng_t *rng, decision_t *d) {
    exact_t *x = self;
    if (x->prev_action >= 0) belief_step(x, x->prev_action, obs);
    int a = plan(x, rng, d);
    x->prev_action = a;
    return a;
}

static void exact_checkpoint(const void *self, float *out) {
    const exact_t *x = self;
    if (!x->learned) return;
    size_t na = (size_t)x->n * x->no, nb = (size_t)x->na * x->n * LB_WIDTH;
    for (size_t i = 0; i < na; i++) out[i] = (float)x->cA[i];
    for (size_t i = 0; i < nb; i++) out[na + i] = (float)x->cB[i];
}

static int exact_check_context(const void *self, check_context_t *ctx) {
    const exact_t *x = self;
    return check_context_set(ctx, x->q, x->lnp, x->ep.w.w_risk, x->ep.w.w_ambiguity,
                             x->use_tail ? x->tail_steps : 0);
}

static const efe_model_t *exact_model(const void *self) { return &((const exact_t *)self)->m; }

static int exact_train(void *self, env_t *env, rng_t *agent_rng, train_log_t *log, char *err, size_t errlen) {
    exact_t *x = self;
    log->steps_used = 0;
    if (!x->learned) return 0; /* the true model needs no training */
    long t = 0;
    decision_t dec;
    while (t < log->budget && !trainlog_cancelled(log)) {
        int o = env_reset(env), s = x->task.labels->cell(env);
        if (x->start < 0) x->start = s; /* the start cell, from experience */
        learn_observation(x, s, o);
        belief_begin(x, o);
        if (x->explore < 1.0) update_tail(x); /* the model as learned so far */
        double ret = 0.0;
        int steps = 0;
        while (t < log->budget && !trainlog_cancelled(log)) {
            int a, outcome;
            double rwd;
            if (x->explore > 0.0 && rng_uniform(agent_rng) < x->explore)
                a = (int)rng_below(agent_rng, (uint32_t)x->na);
            else
                a = plan(x, agent_rng, &dec);
            int o2 = env_step(env, a, &rwd, &outcome), s2 = x->task.labels->cell(env);
            learn_transition(x, s, a, s2);
            learn_observation(x, s2, o2);
            if (outcome != ENV_RUNNING) learn_ending(x, s2, outcome == ENV_FAILED);
            belief_step(x, a, o2);
            ret += rwd;
            t++;
            steps++;
            float *slot = trainlog_ckpt_slot(log, t);
            if (slot) exact_checkpoint(x, slot);
            s = s2;
            if (outcome != ENV_RUNNING || steps >= x->max_steps) {
                trainlog_episode(log, t, steps, outcome == ENV_GOAL, ret);
                break;
            }
        }
    }
    log->steps_used = t;
    float *slot;
    while ((slot = trainlog_ckpt_slot(log, log->budget))) exact_checkpoint(x, slot);
    update_tail(x);
    x->prev_action = -1;
    return 0;
}

const agent_class_t agent_exact_aif = {
    .name = "exact-aif",
    .help = "discrete active inference: exact Bayes-filter beliefs and exact risk + ambiguity "
            "with the true or a Dirichlet-learned A/B",
    .params = exact_params,
    .n_params = P_N,
    .needs = exact_needs,
    .ckpt_floats = exact_ckpt_floats,
    .validate = exact_validate,
    .create = exact_create,
    .train = exact_train,
    .begin_episode = exact_begin,
    .act = exact_act,
    .checkpoint = exact_checkpoint,
    .check_context = exact_check_context,
    .model = exact_model,
    .destroy = exact_destroy,
};
