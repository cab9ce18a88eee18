/* unit_plan: the results layout derived from a job (plan.h): the parameter
 * table as the union of the agents' parameter names with each run's value,
 * the checkpoint map, the runs' identities, training budgets and worlds, the counts-only
 * estimate agreeing with the full plan, and the refusals (a name with two
 * kinds, more columns than the layout holds). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sweep_fixture.h"
#include "unit.h"

static const char JOB[] =
    "name: plan\n"
    "seeds: 2\n"
    "train_steps: 100\n"
    "eval_episodes: 3\n"
    "log_episodes: 1\n"
    "checkpoints: %d\n"
    "environments:\n"
    "  - name: small\n"
    "    size: 3\n"
    "    max_steps: 20\n"
    "  - name: wide\n"
    "    rows: 2\n"
    "    cols: 5\n"
    "    max_steps: 30\n"
    "agents:\n"
    "  - type: random\n"
    "  - type: q-learning\n"
    "    params: {alpha: [0.2, 0.5], shaping: [none, manhattan]}\n"
    "  - type: exact-aif\n"
    "    name: exact\n"
    "    train_steps: 40\n"
    "    params: {horizon: 1, preference: [goal, manhattan]}\n";

typedef sweep_fixture_t fixture_t;

/* Parse, expand and plan JOB with `ckpt` checkpoints; 0 or -1. */
static int setup(fixture_t *f, int ckpt, char *err, size_t n) {
    char text[2048];
    snprintf(text, sizeof text, JOB, ckpt);
    return sweep_fixture_setup(f, "plan.yaml", text, err, n);
}

#define teardown sweep_fixture_teardown

static const plan_column_t *column(const plan_t *p, const char *name) {
    for (int i = 0; i < p->n_columns; i++)
        if (strcmp(p->columns[i].name, name) == 0) return &p->columns[i];
    return NULL;
}

/* Every parameter name of the classes, once, in first-seen order; each run's
 * value where its class has the parameter, NaN or "" where it has not. */
static void columns_union_and_values(void) {
    char err[512];
    fixture_t f;
    CHECK_MSG(setup(&f, 2, err, sizeof err) == 0, "%s", err);
    const plan_t *p = &f.plan;
    const agent_class_t *q = &agent_qlearning, *x = &agent_exact_aif;
    /* q-learning's names first, in its table's order, then exact-aif's new ones. */
    for (int i = 0; i < q->n_params; i++) CHECK(strcmp(p->columns[i].name, q->params[i].name) == 0);
    int expect = q->n_params;
    for (int i = 0; i < x->n_params; i++) expect += agent_param_index(q, x->params[i].name) < 0;
    CHECK_MSG(p->n_columns == expect, "%d columns, expected %d", p->n_columns, expect);
    CHECK(column(p, "shaping")->kind == PLAN_TEXT && column(p, "alpha")->kind == PLAN_NUMBER);
    CHECK(column(p, "preference")->kind == PLAN_TEXT && column(p, "horizon")->kind == PLAN_NUMBER);
    int seen_alpha[2] = {0, 0};
    for (long r = 0; r < f.rl.n; r++) {
        const run_t *run = &f.rl.runs[r];
        const agent_class_t *c = f.job.agents[run->agent].cls;
        for (int i = 0; i < p->n_columns; i++) {
            const plan_column_t *col = &p->columns[i];
            int k = agent_param_index(c, col->name);
            if (col->kind == PLAN_TEXT) {
                char want[PLAN_TEXT_LEN] = "";
                if (k >= 0) param_format(&c->params[k], run->pv[k], want, sizeof want);
                CHECK_MSG(strcmp(col->text + (size_t)r * PLAN_TEXT_LEN, want) == 0, "run %ld %s: '%s' vs '%s'", r,
                          col->name, col->text + (size_t)r * PLAN_TEXT_LEN, want);
            } else if (k >= 0) {
                CHECK(col->number[r] == run->pv[k]);
            } else {
                CHECK(isnan(col->number[r]));
            }
        }
        if (c == q) seen_alpha[column(p, "alpha")->number[r] == 0.5]++;
    }
    /* The swept values really arrive: half of q-learning's runs at each alpha. */
    CHECK(seen_alpha[0] > 0 && seen_alpha[0] == seen_alpha[1]);
    teardown(&f);
}

/* Runs that checkpoint get consecutive rows of their entry's dataset, in run
 * order; the entry's width is its widest run's. */
static void checkpoint_map(void) {
    char err[512];
    fixture_t f;
    CHECK_MSG(setup(&f, 2, err, sizeof err) == 0, "%s", err);
    const plan_t *p = &f.plan;
    CHECK(p->n_entries == 3);
    CHECK(strcmp(p->entry_name[2], "exact") == 0 && strcmp(p->entry_type[2], "exact-aif") == 0);
    CHECK(strcmp(p->entry_name[0], "random") == 0);
    size_t widest = 0;
    for (int a = 0; a < p->n_entries; a++) {
        int64_t rows = 0, floats = 0;
        for (long r = 0; r < f.rl.n; r++) {
            if (p->runs[r].entry != a) continue;
            size_t want = run_ckpt_floats(&f.job, &f.ws, &f.rl.runs[r]);
            CHECK((size_t)p->ckpt_floats[r] == want);
            if (want == 0) { CHECK(p->ckpt_row[r] == -1); continue; }
            CHECK_MSG(p->ckpt_row[r] == rows, "run %ld: row %lld, expected %lld", r, (long long)p->ckpt_row[r],
                      (long long)rows);
            rows++;
            if ((int64_t)want > floats) floats = (int64_t)want;
            if (want > widest) widest = want;
        }
        CHECK(p->entry_rows[a] == rows && p->entry_floats[a] == floats);
    }
    CHECK(p->entry_rows[0] == 0);     /* random has no checkpoint */
    /* Every q-learning run checkpoints: 2 alphas x 2 shapings x 2 worlds x 2 seeds. */
    CHECK_MSG(p->entry_rows[1] == 16, "%lld", (long long)p->entry_rows[1]);
    CHECK(p->max_ckpt_floats == widest);
    teardown(&f);

    /* Without checkpoint slots, nobody checkpoints. */
    CHECK_MSG(setup(&f, 0, err, sizeof err) == 0, "%s", err);
    for (long r = 0; r < f.rl.n; r++) CHECK(f.plan.ckpt_floats[r] == 0 && f.plan.ckpt_row[r] == -1);
    CHECK(f.plan.max_ckpt_floats == 0);
    teardown(&f);
}

/* The runs' identities, the job's attributes and the worlds as the job built them. */
static void identities_and_worlds(void) {
    char err[512];
    fixture_t f;
    CHECK_MSG(setup(&f, 1, err, sizeof err) == 0, "%s", err);
    const plan_t *p = &f.plan;
    CHECK(p->dims.n_runs == f.rl.n && p->dims.n_conditions == f.rl.n_conditions);
    CHECK(p->dims.eval_episodes == 3 && p->dims.max_steps == 30 && p->dims.n_ckpt == 1);
    CHECK(strcmp(p->job_sha256, f.job.sha256) == 0 && strcmp(p->job_name, "plan") == 0);
    CHECK(p->job_text == f.job.text);
    for (long r = 0; r < f.rl.n; r++) {
        const run_t *run = &f.rl.runs[r];
        const plan_run_t *pr = &p->runs[r];
        CHECK(pr->condition == run->condition && pr->seed == run->seed && pr->env == run->env &&
              pr->seed_index == run->seed_index && pr->entry == run->agent);
        /* the training budget: the entry's own (exact: 40), else the job's (100) */
        CHECK(p->train_budget[r] == (run->agent == 2 ? 40 : 100));
    }
    CHECK(p->n_envs == 2);
    CHECK(strcmp(p->env_name[1], "wide") == 0 && strcmp(p->worlds[1].name, "wide") == 0);
    CHECK(p->worlds[1].rows == 2 && p->worlds[1].cols == 5 && p->worlds[1].max_steps == 30);
    CHECK(p->worlds[0].cells == f.ws.w[0].cells && p->worlds[0].dist == f.ws.w[0].dist);
    CHECK(p->worlds[0].goal == 8 && p->worlds[0].cells[8] == 'G');
    teardown(&f);
}

/* The counts-only dimensions and column kinds agree with the full plan. */
static void count_matches_build(void) {
    char err[512];
    fixture_t f;
    CHECK_MSG(setup(&f, 2, err, sizeof err) == 0, "%s", err);
    layout_dims_t d;
    int nn = -1, nt = -1;
    CHECK_MSG(plan_count(&f.job, &d, &nn, &nt, err, sizeof err) == 0, "%s", err);
    int want_t = 0;
    for (int i = 0; i < f.plan.n_columns; i++) want_t += f.plan.columns[i].kind == PLAN_TEXT;
    CHECK(nt == want_t && nn + nt == f.plan.n_columns);
    layout_dims_t b = f.plan.dims;
    CHECK(d.n_runs == b.n_runs && d.eval_episodes == b.eval_episodes && d.log_episodes == b.log_episodes &&
          d.max_steps == b.max_steps && d.n_actions == b.n_actions && d.curve_points == b.curve_points &&
          d.n_ckpt == b.n_ckpt && d.n_check == b.n_check);
    teardown(&f);
}

/* ---- refusals, with test classes ----------------------------------------------- */

static const char *const mode_choices[] = {"fast", "slow", NULL};
static const param_spec_t text_mode[] = {{"mode", PT_CHOICE, 0, 0, 0, mode_choices, "a choice"}};
static const param_spec_t number_mode[] = {{"mode", PT_REAL, 1, 0, 10, NULL, "a number"}};
static const agent_class_t clash_text = {.name = "clash-text", .help = "test", .params = text_mode, .n_params = 1};
static const agent_class_t clash_number = {.name = "clash-number", .help = "test", .params = number_mode,
                                           .n_params = 1};

#define MANY (PLAN_MAX_COLUMNS + 1)
static char many_names[MANY][16];
static param_spec_t many_params[MANY];
static agent_class_t many = {.name = "many", .help = "test", .params = many_params};
static agent_class_t just_enough = {.name = "enough", .help = "test", .params = many_params,
                                    .n_params = PLAN_MAX_COLUMNS};

static const char TWO_TYPES[] =
    "name: refuse\nseeds: 1\ntrain_steps: 10\neval_episodes: 1\n"
    "environments:\n  - name: w\n    size: 3\n    max_steps: 10\n"
    "agents:\n  - type: %s\n  - type: %s\n    name: second\n";

/* Parse a job of two agent entries of the given types from the test classes
 * and plan it; plan_count's and plan_build's return codes. */
static void plan_two(const char *t1, const char *t2, const agent_class_t *const *classes, int *count_rc,
                     int *build_rc, char *err, size_t n) {
    char text[512];
    snprintf(text, sizeof text, TWO_TYPES, t1, t2);
    fixture_t f;
    memset(&f, 0, sizeof f);
    jobspec_use_agent_classes(classes);
    int rc = job_parse(&f.job, "refuse.yaml", text, strlen(text), err, n);
    jobspec_use_agent_classes(NULL);
    *count_rc = *build_rc = 99;
    if (rc != 0) return;
    layout_dims_t d;
    int nn, nt;
    *count_rc = plan_count(&f.job, &d, &nn, &nt, err, n);
    if (jobspec_expand(&f.job, &f.rl, err, n) == 0 && worlds_build(&f.ws, &f.job, err, n) == 0) {
        char e2[512] = "";
        *build_rc = plan_build(&f.plan, &f.job, &f.rl, &f.ws, e2, sizeof e2);
        if (*build_rc != 0) snprintf(err, n, "%s", e2);
        else plan_free(&f.plan);
    }
    worlds_free(&f.ws);
    runlist_free(&f.rl);
    jobspec_free(&f.job);
}

static void kind_clash_refused(void) {
    static const agent_class_t *const classes[] = {&clash_text, &clash_number, NULL};
    char err[512] = "";
    int c, b;
    plan_two("clash-text", "clash-number", classes, &c, &b, err, sizeof err);
    CHECK_MSG(c == -1 && b == -1, "count %d build %d (%s)", c, b, err);
    CHECK_MSG(strstr(err, "mode") && strstr(err, "clash-number") && strstr(err, "a choice"), "%s", err);
    /* The same class twice is no clash. */
    plan_two("clash-text", "clash-text", classes, &c, &b, err, sizeof err);
    CHECK_MSG(c == 0 && b == 0, "count %d build %d (%s)", c, b, err);
}

static void too_many_columns_refused(void) {
    for (int i = 0; i < MANY; i++) {
        snprintf(many_names[i], sizeof many_names[i], "p%d", i);
        many_params[i] = (param_spec_t){many_names[i], PT_REAL, 0, 0, 1, NULL, "test"};
    }
    many.n_params = MANY;
    static const agent_class_t *const classes[] = {&many, &just_enough, &agent_random, NULL};
    char err[512] = "";
    int c, b;
    plan_two("enough", "random", classes, &c, &b, err, sizeof err);
    CHECK_MSG(c == 0 && b == 0, "%d columns refused: %s", PLAN_MAX_COLUMNS, err);
    plan_two("many", "random", classes, &c, &b, err, sizeof err);
    CHECK_MSG(c == -1 && b == -1, "count %d build %d", c, b);
    CHECK_MSG(strstr(err, "256"), "%s", err);
}

static const unit_test_t tests[] = {
    {"columns_union_and_values", columns_union_and_values},
    {"checkpoint_map", checkpoint_map},
    {"identities_and_worlds", identities_and_worlds},
    {"count_matches_build", count_matches_build},
    {"kind_clash_refused", kind_clash_refused},
    {"too_many_columns_refused", too_many_columns_refused},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
