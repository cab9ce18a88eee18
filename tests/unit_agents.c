/* unit_agents: the registry and the pieces every agent shares (agents.h):
 * classes found by name with complete tables, decision records cleared to
 * "nothing known", the training curve's bins and the checkpoints' due steps,
 * cancellation, and every learning agent made from its view alone. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "interface/agents.h"
#include "world/env.h"
#include "unit.h"
#include "unit_world.h"

/* Every class is found under its name, has what run.c calls, and declares
 * parameters whose defaults are inside their own ranges. */
static void test_registry(void) {
    const char *want[] = {"random", "q-learning", "exact-aif", "diffusion-aif", "null-work"};
    int n = 0;
    for (; agent_classes[n]; n++) {
        const agent_class_t *c = agent_classes[n];
        CHECK(agent_class_find(c->name) == c);
        for (int j = 0; j < n; j++) CHECK_MSG(strcmp(agent_classes[j]->name, c->name) != 0, "%s twice", c->name);
        CHECK_MSG(c->create && c->train && c->begin_episode && c->act && c->destroy && c->help, "%s", c->name);
        CHECK(c->n_params == 0 || c->params);
        for (int i = 0; i < c->n_params; i++) {
            const param_spec_t *p = &c->params[i];
            CHECK(agent_param_index(c, p->name) == i);
            if (p->type == PT_INT || p->type == PT_REAL)
                CHECK_MSG(p->def >= p->lo && p->def <= p->hi, "%s.%s default %g outside [%g, %g]", c->name,
                          p->name, p->def, p->lo, p->hi);
            if (p->type == PT_CHOICE)
                CHECK_MSG(p->def >= 0 && p->def < param_n_choices(p), "%s.%s", c->name, p->name);
            if (p->type == PT_BOOL) CHECK(p->def == 0 || p->def == 1);
        }
        CHECK(agent_param_index(c, "no-such-parameter") == -1);
    }
    CHECK(n >= 5);
    for (int i = 0; i < 5; i++) CHECK_MSG(agent_class_find(want[i]) != NULL, "%s", want[i]);
    CHECK(agent_class_find("null") == NULL && agent_class_find("") == NULL && agent_class_find("Random") == NULL);
    CHECK(agent_class_find("null-work") == &agent_null && agent_class_find("random") == &agent_random);
}

/* decision_clear: every float NaN, no action, no check. */
static void test_decision_clear(void) {
    decision_t d;
    memset(&d, 0x11, sizeof d);
    d.want_check = 1;
    d.n_check = 5;
    d.check_H = 3;
    decision_clear(&d);
    CHECK(d.action == -1 && d.want_check == 0 && d.n_check == 0 && d.check_H == 0);
    for (int a = 0; a < TASK_MAX_ACTIONS; a++)
        CHECK(isnan(d.G[a]) && isnan(d.risk[a]) && isnan(d.ambiguity[a]) && isnan(d.p_action[a]));
}

/* Episodes are binned by the step at which they ended, over the budget:
 * with budget 100 and 4 bins, steps 1..25 are bin 0, 26..50 bin 1, ...;
 * out-of-range ends are clamped.  Without bins only the count moves. */
static void test_trainlog_bins(void) {
    double steps[4] = {0}, succ[4] = {0}, ret[4] = {0};
    int count[4] = {0};
    train_log_t log = {.budget = 100, .curve_points = 4, .bin_steps = steps, .bin_success = succ,
                       .bin_return = ret, .bin_count = count};
    trainlog_episode(&log, 25, 7, 1, 0.5);
    trainlog_episode(&log, 26, 3, 0, -1.0);
    trainlog_episode(&log, 50, 5, 1, 1.0);
    trainlog_episode(&log, 100, 9, 1, 2.0);
    trainlog_episode(&log, 0, 1, 0, 0.0);       /* clamped into the first bin */
    trainlog_episode(&log, 1000, 2, 0, 0.25);   /* and into the last */
    CHECK(log.episodes == 6);
    CHECK(count[0] == 2 && count[1] == 2 && count[2] == 0 && count[3] == 2);
    CHECK(steps[0] == 8 && steps[1] == 8 && steps[2] == 0 && steps[3] == 11);
    CHECK(succ[0] == 1 && succ[1] == 1 && succ[3] == 1);
    CHECK(ret[0] == 0.5 && ret[1] == 0.0 && ret[3] == 2.25);
    train_log_t none = {.budget = 100, .curve_points = 0};
    trainlog_episode(&none, 10, 1, 1, 1.0);
    CHECK(none.episodes == 1);
}

/* Checkpoint k (1..n) is due at step budget * k / n, each slot handed out
 * once, in order, with the step it was taken at. */
static void test_trainlog_ckpt_slots(void) {
    float data[3 * 2];
    long at[3] = {0};
    train_log_t log = {.budget = 10, .n_ckpt = 3, .ckpt_floats = 2, .ckpt_data = data, .ckpt_step = at};
    CHECK(trainlog_ckpt_slot(&log, 0) == NULL && trainlog_ckpt_slot(&log, 2) == NULL);
    CHECK(trainlog_ckpt_slot(&log, 3) == data && at[0] == 3);
    CHECK(trainlog_ckpt_slot(&log, 3) == NULL && trainlog_ckpt_slot(&log, 5) == NULL);
    CHECK(trainlog_ckpt_slot(&log, 9) == data + 2 && at[1] == 9);   /* late: taken when asked */
    CHECK(trainlog_ckpt_slot(&log, 9) == NULL);
    CHECK(trainlog_ckpt_slot(&log, 10) == data + 4 && at[2] == 10);
    CHECK(trainlog_ckpt_slot(&log, 11) == NULL && trainlog_ckpt_slot(&log, 1000) == NULL);
    CHECK(log.ckpt_done == 3);
    /* An agent without checkpoints never gets a slot. */
    train_log_t none = {.budget = 10, .n_ckpt = 3, .ckpt_floats = 0, .ckpt_data = data, .ckpt_step = at};
    CHECK(trainlog_ckpt_slot(&none, 10) == NULL && none.ckpt_done == 0);
    /* All due at the end of a run that stopped early: the end's step each. */
    long at2[3] = {0};
    train_log_t end = {.budget = 10, .n_ckpt = 3, .ckpt_floats = 2, .ckpt_data = data, .ckpt_step = at2};
    int got = 0;
    while (trainlog_ckpt_slot(&end, 10)) got++;
    CHECK(got == 3 && at2[0] == 10 && at2[2] == 10);
}

static void test_trainlog_cancelled(void) {
    volatile sig_atomic_t flag = 0;
    train_log_t log = {.cancel = NULL};
    CHECK(!trainlog_cancelled(&log));
    log.cancel = &flag;
    CHECK(!trainlog_cancelled(&log));
    flag = 1;
    CHECK(trainlog_cancelled(&log));
}

/* Every learning agent is created from the agent's view alone (no oracle, no
 * truth), with its default parameters. */
static void test_learning_agents_from_view(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    sp.rows = sp.cols = 4;
    sp.map = "SFFF" "F#HF" "FFFF" "FFFG";
    gridworld_t g;
    BUILD(g, sp);
    task_t t;
    task_from_world(&t, &g, NULL, 0);
    const char *names[] = {"random", "q-learning", "exact-aif", "diffusion-aif"};
    for (int i = 0; i < 4; i++) {
        const agent_class_t *c = agent_class_find(names[i]);
        CHECK(c);
        double pv[64];
        for (int j = 0; j < c->n_params; j++) pv[j] = c->params[j].def;
        int m = agent_param_index(c, "model");
        if (m >= 0) pv[m] = param_choice_index(&c->params[m], "learned");
        CHECK_MSG(!c->needs || c->needs(pv) == 0, "%s needs more than its view", names[i]);
        rng_t r;
        rng_seed(&r, 1, 1, RNG_INIT);
        char err[256] = "";
        void *a = c->create(&t, pv, &r, err, sizeof err);
        CHECK_MSG(a != NULL, "%s: %s", names[i], err);
        c->destroy(a);
    }
    /* The reference asks for the truth, and cannot be made without it. */
    const agent_class_t *x = agent_class_find("exact-aif");
    double pv[64];
    for (int j = 0; j < x->n_params; j++) pv[j] = x->params[j].def;
    CHECK(x->needs(pv) == TASK_NEEDS_TRUTH);
    char err[256] = "";
    CHECK(x->create(&t, pv, NULL, err, sizeof err) == NULL && strstr(err, "true model"));
    gw_free(&g);
}

static const unit_test_t tests[] = {
    {"registry", test_registry},
    {"decision_clear", test_decision_clear},
    {"trainlog_bins", test_trainlog_bins},
    {"trainlog_ckpt_slots", test_trainlog_ckpt_slots},
    {"trainlog_cancelled", test_trainlog_cancelled},
    {"learning_agents_from_view", test_learning_agents_from_view},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
