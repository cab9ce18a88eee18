/* diffusion-aif on a tiny world: the whole loop (exploration, training,
 * inpainting, EFE, action) in seconds, with a network small enough to train
 * here. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "interface/agents.h"
#include "aif/efe.h"
#include "world/env.h"
#include "agents/agent_diffusion_config.h"
#include "aif/latent.h"
#include "unit.h"
#include "unit_world.h"

static const agent_class_t *const X = &agent_diffusion_aif;

static void setp(double *pv, const char *name, double v) {
    int i = agent_param_index(X, name);
    if (i < 0) { fprintf(stderr, "no parameter %s\n", name); abort(); }
    pv[i] = v;
}

/* Small, fast settings: the network and sampler are scaled down, not changed. */
static void small(double *pv) {
    for (int i = 0; i < X->n_params; i++) pv[i] = X->params[i].def;
    setp(pv, "d_model", 32);
    setp(pv, "heads", 2);
    setp(pv, "layers", 1);
    setp(pv, "T", 20);
    setp(pv, "sample_steps", 5);
    setp(pv, "train_iters", 700);
    setp(pv, "batch", 64);
    setp(pv, "samples", 4);
    setp(pv, "horizon", 1);
    setp(pv, "context", 1);
    setp(pv, "amb_samples", 8);
    setp(pv, "trans_samples", 8);
}

/* small() with the default network width (d_model 64, 4 heads, 2 layers),
 * which walls need, and `iters` gradient steps. */
static void walls(double *pv, int iters) {
    small(pv);
    setp(pv, "d_model", 64);
    setp(pv, "heads", 4);
    setp(pv, "layers", 2);
    setp(pv, "train_iters", iters);
}

/* The agent's view of a world (no oracle, no truth). */
static task_t view(const gridworld_t *g) {
    task_t t;
    task_from_world(&t, g, NULL, 0);
    return t;
}

static void world3(gridworld_t *g) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    snprintf(sp.name, sizeof sp.name, "w3");
    sp.rows = sp.cols = 3;
    sp.max_steps = 30;
    build_or_abort(g, &sp);
}

typedef struct { void *agent; double mean_steps, success; } trained_t;

static void *train(const gridworld_t *g, const double *pv, long budget, uint64_t seed) {
    char err[256] = "";
    rng_t init, env, ag;
    rng_seed(&init, seed, 0, RNG_INIT);
    rng_seed(&env, seed, 0, RNG_ENV);
    rng_seed(&ag, seed, 0, RNG_AGENT);
    task_t task = view(g);
    task.train_steps = budget;
    void *a = X->create(&task, pv, &init, err, sizeof err);
    if (!a) { fprintf(stderr, "create: %s\n", err); return NULL; }
    env_t e;
    env_init(&e, g, &env);
    double bins[3] = {0};
    int cnt[1] = {0};
    train_log_t log = {.budget = budget, .curve_points = 1, .bin_steps = bins, .bin_success = bins + 1,
                       .bin_return = bins + 2, .bin_count = cnt};
    if (X->train(a, &e, &ag, &log, err, sizeof err) != 0) {
        fprintf(stderr, "train: %s\n", err);
        X->destroy(a);
        return NULL;
    }
    return a;
}

/* Mean steps and success over n evaluation episodes; with check, also the
 * smallest belief the agent put on the observed cell (full observability). */
static void evaluate(const agent_class_t *c, void *a, const gridworld_t *g, int n, uint64_t seed,
                     double *mean, double *succ, double *min_belief, int *actions, int nact) {
    rng_t env, ag;
    rng_seed(&env, seed, 1, RNG_EVAL_ENV);
    rng_seed(&ag, seed, 1, RNG_EVAL_AGENT);
    long tot = 0, k = 0;
    int ok = 0;
    *min_belief = 1.0;
    for (int e = 0; e < n; e++) {
        int s = g->start, o = gw_observe(g, s, &env), t = 0;
        c->begin_episode(a, o);
        while (t < g->max_steps) {
            decision_t d;
            decision_clear(&d);
            int act = c->act(a, o, &ag, &d);
            if (actions && k < nact) actions[k++] = act;
            check_context_t ctx;
            if (c->check_context && c->check_context(a, &ctx) == 0 && ctx.belief[o] < *min_belief)
                *min_belief = ctx.belief[o];
            s = gw_step(g, s, act, &env);
            o = gw_observe(g, s, &env);
            t++;
            if (gw_terminal(g, s)) break;
        }
        tot += t;
        ok += s == g->goal;
    }
    *mean = (double)tot / n;
    *succ = (double)ok / n;
}

static void beats_random(void) {
    gridworld_t g;
    world3(&g);
    double pv[64];
    small(pv);
    setp(pv, "preference", EFE_PREF_MANHATTAN); /* knows where the goal is, not the map */
    void *a = train(&g, pv, 600, 5);
    CHECK(a != NULL);
    double m, s, mb, rm, rs, rb;
    evaluate(X, a, &g, 20, 5, &m, &s, &mb, NULL, 0);
    rng_t dummy;
    rng_seed(&dummy, 0, 0, 0);
    task_t task = view(&g);
    void *r = agent_random.create(&task, NULL, &dummy, NULL, 0);
    evaluate(&agent_random, r, &g, 200, 5, &rm, &rs, &rb, NULL, 0);
    agent_random.destroy(r);
    X->destroy(a);
    gw_free(&g);
    printf("diffusion-aif: %.2f steps, success %.2f; random: %.2f steps, success %.2f\n", m, s, rm, rs);
    /* Optimal is 4; random needs about 12 on average here. */
    CHECK(s >= rs);
    CHECK(m < 0.6 * rm);
}

/* Under full observability the present state the network inpaints
 * (inference: inpaint) is the observed cell. */
static void infers_observed_state(void) {
    gridworld_t g;
    world3(&g);
    double pv[64];
    small(pv);
    setp(pv, "inference", 1); /* inpaint */
    void *a = train(&g, pv, 600, 9);
    CHECK(a != NULL);
    double m, s, mb;
    evaluate(X, a, &g, 5, 9, &m, &s, &mb, NULL, 0);
    X->destroy(a);
    gw_free(&g);
    printf("smallest belief on the observed cell: %.3f\n", mb);
    CHECK(mb >= 0.75);
}

/* A 5x5 maze: start top-right, goal bottom-right, a wall across row 2 with its
 * only gap at the left.  Shortest path 12 steps; Manhattan distance 4, so a
 * planner that cannot see past the wall presses into it.  Deterministic, fully
 * observable. */
static void maze5(gridworld_t *g) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    snprintf(sp.name, sizeof sp.name, "maze5");
    static char map[] = "FFFFS" "FFFFF" "F####" "FFFFF" "FFFFG";
    sp.map = map;
    sp.rows = sp.cols = 5;
    sp.max_steps = 60;
    build_or_abort(g, &sp);
}

/* Goal-only preference (the default), default planner (induction over the
 * transitions read off the network): the agent learns the wall from its own
 * exploration and walks around it.  The same settings with an untrained
 * network (train_iters 0: the read-off model is noise) or with the paper's
 * short tree (planner tree, horizon 1: G is flat until the goal is in reach)
 * do not. */
static void maze_goal_only(void) {
    gridworld_t g;
    maze5(&g);
    double pv[64];
    walls(pv, 1500);
    double m[3], s[3], mb;
    const char *what[3] = {"induction", "untrained", "tree H1"};
    for (int k = 0; k < 3; k++) {
        double q[64];
        memcpy(q, pv, sizeof q);
        if (k == 1) setp(q, "train_iters", 0);
        if (k == 2) setp(q, "planner", 0);
        void *a = train(&g, q, 1500, 11);
        CHECK(a != NULL);
        evaluate(X, a, &g, 10, 11, &m[k], &s[k], &mb, NULL, 0);
        X->destroy(a);
        printf("maze5 goal-only, %s: success %.2f, mean steps %.2f (optimal 12)\n", what[k], s[k], m[k]);
    }
    gw_free(&g);
    CHECK(s[0] == 1.0 && m[0] <= 15);
    CHECK(s[1] <= 0.5 && m[1] > 2 * m[0]);
    CHECK(s[2] <= 0.5 && m[2] > 2 * m[0]);
}

/* In a deterministic corridor around a wall, every action the trained agent
 * takes along its evaluation episode is one that exact-aif with the world's
 * true model and the same planner ranks best (G within 1e-6 of its minimum:
 * the corridor has ties).  Both get the goal-only preference and the same
 * observations; full observability pins the exact agent's belief to the
 * observed cell whichever action was taken. */
static void first_action_agrees_with_exact(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    snprintf(sp.name, sizeof sp.name, "corridor");
    static char map[] = "SF#FG" "FF#FF" "FFFFF";
    sp.map = map;
    sp.rows = 3;
    sp.cols = 5;
    sp.max_steps = 30;
    gridworld_t g;
    build_or_abort(&g, &sp);
    double pv[64];
    walls(pv, 3000);
    void *a = train(&g, pv, 2000, 21);
    CHECK(a != NULL);

    const agent_class_t *E = &agent_exact_aif;
    double ev[64];
    for (int i = 0; i < E->n_params; i++) ev[i] = E->params[i].def;
    world_knowledge_t kn;
    CHECK(world_knowledge_build(&kn, &g) == 0);
    task_t et;
    task_from_world(&et, &g, &kn, E->needs(ev));
    char err[256] = "";
    void *x = E->create(&et, ev, NULL, err, sizeof err);
    CHECK_MSG(x != NULL, "exact-aif: %s", err);

    rng_t env, ar, xr;
    rng_seed(&env, 21, 1, RNG_EVAL_ENV);
    rng_seed(&ar, 21, 1, RNG_EVAL_AGENT);
    rng_seed(&xr, 21, 2, RNG_EVAL_AGENT);
    int s = g.start, o = gw_observe(&g, s, &env), t = 0, agree = 0;
    X->begin_episode(a, o);
    E->begin_episode(x, o);
    while (t < g.max_steps && !gw_terminal(&g, s)) {
        decision_t dd, dx;
        decision_clear(&dd);
        decision_clear(&dx);
        int act = X->act(a, o, &ar, &dd);
        E->act(x, o, &xr, &dx);
        double gmin = INFINITY;
        for (int b = 0; b < g.n_actions; b++) gmin = fmin(gmin, dx.G[b]);
        if (dx.G[act] <= gmin + 1e-6 * (1 + fabs(gmin))) agree++;
        else printf("at cell %d: diffusion-aif took %d, G %.4f > best %.4f\n", s, act, dx.G[act], gmin);
        s = gw_step(&g, s, act, &env);
        o = gw_observe(&g, s, &env);
        t++;
    }
    printf("corridor: %d of %d actions optimal under the exact planner; reached the goal in %d steps (optimal 8)\n",
           agree, t, t);
    CHECK(s == g.goal);
    CHECK(agree == t && t == 8);
    E->destroy(x);
    X->destroy(a);
    world_knowledge_free(&kn);
    gw_free(&g);
}

/* Probability the read-off model puts on wall cells, over the (cell, action)
 * pairs whose successors also include a floor cell. */
static double wall_mass(const void *a, const gridworld_t *g) {
    const efe_model_t *m = X->model(a);
    double leak = 0.0;
    for (int s = 0; s < g->n_states; s++) {
        if (g->cells[s] == '#') continue;
        for (int b = 0; b < g->n_actions; b++) {
            const size_t base = ((size_t)b * g->n_states + s) * m->b_width;
            double wall = 0.0, floor = 0.0;
            for (int j = 0; j < m->b_width && m->b_idx[base + j] >= 0; j++)
                *(g->cells[m->b_idx[base + j]] == '#' ? &wall : &floor) += m->b_p[base + j];
            if (floor > 0.0) leak += wall;
        }
    }
    return leak;
}

/* support: data.  A briefly trained network leaks some of its samples through
 * the maze's wall; with `support: model` those wall cells stay among the
 * successors, with `support: data` (the default) they are dropped, because
 * the agent was never in them.  The same seed trains the same network either
 * way: only the read-off differs. */
static void support_drops_unvisited(void) {
    gridworld_t g;
    maze5(&g);
    double pv[64];
    walls(pv, 300);
    setp(pv, "trans_samples", 32);
    double leak[2];
    for (int k = 0; k < 2; k++) {
        setp(pv, "support", k);
        void *a = train(&g, pv, 1500, 5);
        CHECK(a != NULL);
        leak[k] = wall_mass(a, &g);
        X->destroy(a);
    }
    printf("maze5, 300 gradient steps: probability on wall cells beside floor successors: support model %.3f, "
           "data %.3f\n", leak[0], leak[1]);
    gw_free(&g);
    CHECK(leak[0] > 0.05);
    CHECK(leak[1] == 0.0);
}

/* Same seeds, same actions: training and decisions are deterministic. */
static void reproducible(void) {
    gridworld_t g;
    world3(&g);
    double pv[64];
    small(pv);
    setp(pv, "train_iters", 200);
    int acts[2][40];
    for (int i = 0; i < 2; i++) {
        void *a = train(&g, pv, 300, 3);
        CHECK(a != NULL);
        double m, s, mb;
        memset(acts[i], 0xff, sizeof acts[i]);
        evaluate(X, a, &g, 3, 3, &m, &s, &mb, acts[i], 40);
        X->destroy(a);
    }
    gw_free(&g);
    CHECK(memcmp(acts[0], acts[1], sizeof acts[0]) == 0);
}

/* A horizon the world cannot hold, heads that do not divide d_model, and a
 * world too large for the dense tables are refused by validate. */
static void validate_refuses(void) {
    gridworld_t g;
    world3(&g);
    double pv[64];
    small(pv);
    char err[256];
    task_t task = view(&g);
    CHECK(X->validate(&task, pv, err, sizeof err) == 0);
    setp(pv, "heads", 3);
    CHECK(X->validate(&task, pv, err, sizeof err) != 0 && strstr(err, "divisible"));
    small(pv);
    setp(pv, "horizon", 8);
    task.max_steps = 5;
    CHECK(X->validate(&task, pv, err, sizeof err) != 0 && strstr(err, "max_steps"));
    /* a world whose dense tables would not fit: refused before anything is allocated */
    small(pv);
    task.max_steps = 100;
    task.rows = task.cols = 100;
    task.n_cells = 10000;
    CHECK(X->validate(&task, pv, err, sizeof err) != 0 && strstr(err, "GiB"));
    task.rows = task.cols = 64;
    task.n_cells = 4096;
    CHECK(X->validate(&task, pv, err, sizeof err) == 0);
    gw_free(&g);
}

/* The settings of Algorithm 1's loop act only with rounds >= 1 (warm_start
 * also with em_rounds >= 1): given another value with rounds 0 each is
 * refused by name; with rounds 1 (or em_rounds 1) it is taken. */
static void loop_settings_need_rounds(void) {
    gridworld_t g;
    world3(&g);
    const task_t task = view(&g);
    const struct { const char *name; double v; } set[] = {
        {"explore_frac", 0.3}, {"train_epsilon", 0.2}, {"novelty", 1.0}, {"warm_start", 0}};
    double pv[64];
    char err[256];
    for (int k = 0; k < 4; k++) {
        small(pv);
        CHECK(X->validate(&task, pv, err, sizeof err) == 0);
        setp(pv, set[k].name, set[k].v);
        CHECK_MSG(X->validate(&task, pv, err, sizeof err) != 0 && strstr(err, set[k].name) &&
                  strstr(err, "rounds is 0"), "%s: %s", set[k].name, err);
        setp(pv, "rounds", 1);
        CHECK_MSG(X->validate(&task, pv, err, sizeof err) == 0, "%s with rounds 1: %s", set[k].name, err);
    }
    small(pv);
    setp(pv, "warm_start", 0);
    setp(pv, "em_rounds", 1);
    CHECK(X->validate(&task, pv, err, sizeof err) == 0);
    gw_free(&g);
}

/* dif_decode puts each parameter in its own field: every parameter given a
 * value of its own (within its range, unlike every other's where it can be),
 * and each field read back. */
static void decode_reads_each_parameter(void) {
    double pv[64];
    for (int i = 0; i < P_N; i++) {
        const param_spec_t *p = &dif_params[i];
        pv[i] = p->type == PT_CHOICE ? (double)(param_n_choices(p) - 1) : p->type == PT_BOOL ? 1.0 - p->def
                : p->type == PT_INT ? (p->lo + i + 1 <= p->hi ? p->lo + i + 1 : p->hi) : p->lo + (p->hi - p->lo) / (i + 7);
    }
    const dif_cfg_t c = dif_decode(pv);
    const struct { int idx; double got; } f[] = {
        {P_HORIZON, c.horizon}, {P_CONTEXT, c.context}, {P_SAMPLES, c.samples}, {P_MAX_POL, c.max_policies},
        {P_GAMMA, c.efe.gamma}, {P_W_RISK, c.efe.w.w_risk}, {P_W_AMB, c.efe.w.w_ambiguity}, {P_RISK_TERM, c.efe.w.risk},
        {P_PREF, c.efe.pref.kind}, {P_LAMBDA, c.efe.pref.lambda}, {P_C_GOAL, c.efe.pref.c_goal},
        {P_HOLE, c.efe.pref.hole_penalty}, {P_SELECTION, c.efe.sel}, {P_SCHEDULE, c.schedule}, {P_T, c.T},
        {P_SAMPLER, c.sampler.kind}, {P_STEPS, c.sample_steps}, {P_ETA, c.sampler.ddim_eta},
        {P_JUMP, c.sampler.jump_len}, {P_RESAMPLE, c.sampler.n_resample}, {P_CLIP, c.sampler.clip_x0},
        {P_DMODEL, c.d_model}, {P_HEADS, c.heads}, {P_LAYERS, c.layers}, {P_LR, c.lr}, {P_BATCH, c.batch},
        {P_ITERS, c.train_iters}, {P_ROUNDS, c.rounds}, {P_EXPLORE, c.explore_frac}, {P_TRAIN_EPS, c.train_eps},
        {P_WARM, c.warm_start}, {P_AMB_SAMPLES, c.amb_samples}, {P_COND, c.cond}, {P_PLANNER, c.planner.kind},
        {P_TAIL, c.planner.tail_steps}, {P_TRANS_SAMPLES, c.trans_samples}, {P_NOVELTY, c.novelty},
        {P_EXPLORATION, c.exploration}, {P_RBF, c.rbf}, {P_RBF_CELLS, c.rbf_cells}, {P_PREDICT, c.predict},
        {P_SUPPORT, c.support}, {P_LABELS, c.labels}, {P_MODEL, c.model}, {P_INFERENCE, c.inference},
        {P_EM_ROUNDS, c.em_rounds}, {P_STOP_TOL, c.train_stop}, {P_STOP_EVERY, c.stop_every},
        {P_STOP_PATIENCE, c.stop_patience}, {P_STOP_WATCH, c.stop_watch}, {P_EXPLORE_EPS, c.explore_eps},
        {P_CTX_TIE, c.ctx_tie}, {P_BALANCE, c.balance}};
    const int n = (int)(sizeof f / sizeof f[0]);
    CHECK(n == P_N); /* every parameter */
    for (int k = 0; k < n; k++)
        CHECK_MSG(fabs(f[k].got - pv[f[k].idx]) <= 1e-6 * fabs(pv[f[k].idx]), "%s: %g, not %g",
                  dif_params[f[k].idx].name, f[k].got, pv[f[k].idx]);
}

/* The model's source is the only difference between the agent and its
 * control: trained on the same world with the same seeds, model: counts and
 * model: network hold the same record, the same inferred states and start;
 * given the same tables (the counts' copied into the network agent's model)
 * they score every decision alike, bit for bit; with their own tables they
 * do not (so the comparison can fail).  The tree planner, whose G reads the
 * tables at the decision (the tail is solved when a model is learned). */
static void counts_and_network_share_the_planner(void) {
    gridworld_t g;
    world3(&g);
    double pv[64];
    small(pv);
    setp(pv, "planner", 0); /* tree */
    setp(pv, "horizon", 2);
    void *net = train(&g, pv, 400, 21);
    setp(pv, "model", 1); /* counts */
    void *cnt = train(&g, pv, 400, 21);
    CHECK(net && cnt);
    CHECK(X->ckpt_floats(&(task_t){.n_cells = 9, .n_actions = 4, .rows = 3, .cols = 3}, pv) == 0);
    double Gn[2][4], Gc[2][4];
    const int obs[3] = {0, 1, 4};
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            /* the counts' tables into the network agent's model */
            const efe_model_t *mc = X->model(cnt);
            efe_model_t *mn = (efe_model_t *)X->model(net);
            CHECK(mc->b_width == mn->b_width && mc->a_width == mn->a_width);
            const size_t nb = (size_t)mc->n_actions * mc->n_states * mc->b_width, na = (size_t)mc->n_states * mc->a_width;
            memcpy(mn->b_idx, mc->b_idx, nb * sizeof *mn->b_idx);
            memcpy(mn->b_p, mc->b_p, nb * sizeof *mn->b_p);
            memcpy(mn->a_idx, mc->a_idx, na * sizeof *mn->a_idx);
            memcpy(mn->a_p, mc->a_p, na * sizeof *mn->a_p);
            memcpy(mn->A, mc->A, (size_t)mc->n_states * mc->n_obs * sizeof *mn->A);
            memcpy(mn->H_A, mc->H_A, (size_t)mc->n_states * sizeof *mn->H_A);
        }
        rng_t r1, r2;
        rng_seed(&r1, 4, 0, RNG_EVAL_AGENT);
        rng_seed(&r2, 4, 0, RNG_EVAL_AGENT);
        X->begin_episode(net, obs[0]);
        X->begin_episode(cnt, obs[0]);
        int same = 1;
        for (int t = 0; t < 3; t++) {
            decision_t dn, dc;
            decision_clear(&dn);
            decision_clear(&dc);
            X->act(net, obs[t], &r1, &dn);
            X->act(cnt, obs[t], &r2, &dc);
            for (int a = 0; a < 4; a++) {
                same &= dn.G[a] == dc.G[a] && dn.p_action[a] == dc.p_action[a];
                if (t == 0) { Gn[pass][a] = dn.G[a]; Gc[pass][a] = dc.G[a]; }
            }
        }
        if (pass == 0) CHECK_MSG(!same, "the network's own tables gave the counts' G: the test cannot tell them apart");
        else CHECK_MSG(same, "same tables, different G: net %g %g %g %g, counts %g %g %g %g", Gn[1][0], Gn[1][1],
                       Gn[1][2], Gn[1][3], Gc[1][0], Gc[1][1], Gc[1][2], Gc[1][3]);
    }
    X->destroy(net);
    X->destroy(cnt);
    gw_free(&g);
}

/* Without state labels, on a slippery, partially observable lake with holes:
 * the counts control's model is close to the world's over the cells it was in,
 * and the cells it avoids are the holes it fell into (read off its preference:
 * a cell to avoid sits hole_penalty below the floor), nothing else. */
static void learns_without_labels(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    static char map[] = "SFFFFFFF" "FFFFFFFF" "FFFHFFFF" "FFFFFHFF" "FFFHFFFF" "FHHFFFHF" "FHFFHFHF" "FFFHFFFG";
    sp.rows = sp.cols = 8;
    sp.map = map;
    sp.slip = 0.1;
    sp.eta_all = 0.8;
    sp.max_steps = 200;
    gridworld_t g;
    char e[256];
    CHECK(gw_build(&g, &sp, e, sizeof e) == 0);
    double pv[64];
    for (int i = 0; i < X->n_params; i++) pv[i] = X->params[i].def;
    setp(pv, "model", 1); /* counts: the learned model without a network, in well under a second */
    const long budget = 20000;
    char err[256] = "";
    rng_t init, er, ar;
    rng_seed(&init, 31, 0, RNG_INIT);
    rng_seed(&er, 31, 0, RNG_ENV);
    rng_seed(&ar, 31, 0, RNG_AGENT);
    task_t task = view(&g);
    task.train_steps = budget;
    CHECK(task.labels == NULL && X->needs(pv) == 0);
    void *a = X->create(&task, pv, &init, err, sizeof err);
    CHECK_MSG(a, "%s", err);
    env_t env;
    env_init(&env, &g, &er);
    long visits[64] = {0};
    env_count_visits(&env, visits);
    double bins[3] = {0};
    int cnt[1] = {0};
    train_log_t log = {.budget = budget, .curve_points = 1, .bin_steps = bins, .bin_success = bins + 1,
                       .bin_return = bins + 2, .bin_count = cnt};
    CHECK(X->train(a, &env, &ar, &log, err, sizeof err) == 0);
    world_knowledge_t k;
    CHECK(world_knowledge_build(&k, &g) == 0);
    double ws[64], wb[64 * 4], scratch[64] = {0};
    for (int s = 0; s < 64; s++) {
        ws[s] = (double)visits[s];
        for (int b = 0; b < 4; b++) wb[s * 4 + b] = (double)visits[s];
    }
    const double tvA = latent_tv_A(X->model(a), &k.model, ws, 1), tvB = latent_tv_B(X->model(a), &k.model, wb, 1, scratch);
    X->begin_episode(a, g.start);
    rng_t r;
    rng_seed(&r, 1, 1, 1);
    X->act(a, g.start, &r, NULL);
    check_context_t ctx;
    CHECK(X->check_context(a, &ctx) == 0);
    double lo = 0.0;
    for (int s = 0; s < 64; s++) lo = ctx.lnp[s] < lo ? ctx.lnp[s] : lo;
    int fell = 0, found = 0, wrong = 0;
    for (int s = 0; s < 64; s++) {
        const int hole = g.cells[s] == 'H' && visits[s] > 0, avoided = ctx.lnp[s] < lo + 1e-9;
        fell += hole;
        found += hole && avoided;
        wrong += avoided && !hole;
    }
    printf("lake, eta 0.8, slip 0.1, no labels: TV to the truth A %.3f B %.3f; holes fallen into %d, avoided %d, "
           "other cells avoided %d; model fit %.3f\n", tvA, tvB, fell, found, wrong, X->model_fit(a));
    CHECK(tvA <= 0.15 && tvB <= 0.12);
    CHECK(fell > 0 && found == fell && wrong == 0);
    CHECK(X->model_fit(a) >= 0.0 && X->model_fit(a) <= 0.05);
    world_knowledge_free(&k);
    X->destroy(a);
    gw_free(&g);
}

/* The labels are the one privileged channel: asked for only by state_labels,
 * and an agent asking for them cannot be made without them. */
static void labels_only_when_asked(void) {
    double pv[64];
    small(pv);
    CHECK(X->needs(pv) == 0);
    setp(pv, "state_labels", 1);
    CHECK(X->needs(pv) == TASK_NEEDS_LABELS);
    gridworld_t g;
    world3(&g);
    task_t task = view(&g);
    task.train_steps = 100;
    rng_t r;
    rng_seed(&r, 1, 0, RNG_INIT);
    char err[256] = "";
    CHECK(X->create(&task, pv, &r, err, sizeof err) == NULL && strstr(err, "state labels"));
    small(pv);
    setp(pv, "model", 1);
    setp(pv, "inference", 1);
    CHECK(X->validate(&task, pv, err, sizeof err) != 0 && strstr(err, "counts"));
    gw_free(&g);
}

static const unit_test_t tests[] = {
    {"counts_and_network_share_the_planner", counts_and_network_share_the_planner},
    {"learns_without_labels", learns_without_labels},
    {"labels_only_when_asked", labels_only_when_asked},
    {"beats_random", beats_random},
    {"infers_observed_state", infers_observed_state},
    {"maze_goal_only", maze_goal_only},
    {"first_action_agrees_with_exact", first_action_agrees_with_exact},
    {"support_drops_unvisited", support_drops_unvisited},
    {"reproducible", reproducible},
    {"validate_refuses", validate_refuses},
    {"loop_settings_need_rounds", loop_settings_need_rounds},
    {"decode_reads_each_parameter", decode_reads_each_parameter},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
