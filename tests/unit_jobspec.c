/* unit_jobspec: the job-file schema, its error messages, run expansion and
 * the job's hash.  Bad inputs live in tests/bad_jobs/NAME.yaml, each with a first line
 * `# expect: <substring of the message>`; the test runs from the repository
 * root (AIF_BAD_JOBS overrides the directory). */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "job/job.h"
#include "job/jobspec.h"
#include "core/sha256.h"
#include "unit.h"

/* ---- a test agent class with every parameter type and a validate ---------------- */

static const char *const sched_choices[] = {"linear", "cosine", "sigmoid", NULL};
static const param_spec_t typed_params[] = {
    {"horizon", PT_INT, 3, 1, 1000, NULL, "planning horizon"},
    {"lr", PT_REAL, 0.001, 0.0, 1.0, NULL, "learning rate"},
    {"learn_A", PT_BOOL, 0, 0, 1, NULL, "learn the likelihood"},
    {"schedule", PT_CHOICE, 1, 0, 0, sched_choices, "noise schedule"},
};

static int typed_validate(const task_t *env, const double *pv, char *err, size_t n) {
    if (pv[0] > env->max_steps) {
        snprintf(err, n, "horizon %d exceeds max_steps %d", (int)pv[0], env->max_steps);
        return -1;
    }
    return 0;
}

static const agent_class_t agent_typed = {
    .name = "typed",
    .help = "test class",
    .params = typed_params,
    .n_params = 4,
    .validate = typed_validate,
};

static const agent_class_t *const test_classes[] = {&agent_random, &agent_qlearning, &agent_typed, NULL};

/* Parse `text` with the test classes; 0 or -1, message in err. */
static int parse_with(jobspec_t *job, const char *path, const char *text, char *err, size_t errlen) {
    jobspec_use_agent_classes(test_classes);
    int rc = job_parse(job, path, text, strlen(text), err, errlen);
    jobspec_use_agent_classes(NULL);
    return rc;
}

/* ---- a full valid job --------------------------------------------------------- */

static const char *full_job =
    "# every key\n"                                   /* 1 */
    "name: paper-figs\n"                              /* 2 */
    "seed: 42\n"                                      /* 3 */
    "seeds: [7, 0, 1000000000000]\n"                  /* 4 */
    "train_steps: 2e5\n"                              /* 5 */
    "eval_episodes: 50\n"                             /* 6 */
    "log_episodes: 5\n"                               /* 7 */
    "checkpoints: 4\n"                                /* 8 */
    "curve_points: 40\n"                              /* 9 */
    "output: results/figs.h5\n"                       /* 10 */
    "max_file_gb: 2.5\n"                              /* 11 */
    "environments:\n"                                 /* 12 */
    "  - name: open4\n"                               /* 13 */
    "    rows: 3\n"                                   /* 14 */
    "    cols: 5\n"                                   /* 15 */
    "    start: [0, 1]\n"                             /* 16 */
    "    goal: [2, 4]\n"                              /* 17 */
    "    slip: 1e-3\n"                                /* 18 */
    "    obs_noise: 0.25\n"                           /* 19 */
    "    noise_radius: 2\n"                           /* 20 */
    "    max_steps: 60\n"                             /* 21 */
    "    actions: 5\n"                                /* 22 */
    "    step_reward: -0.01\n"                        /* 23 */
    "    goal_reward: 10\n"                           /* 24 */
    "    hole_reward: -1.5\n"                         /* 25 */
    "  - name: paper8x8\n"                            /* 26 */
    "    map:\n"                                      /* 27 */
    "      - SFFF\n"                                  /* 28 */
    "      - F#HF\n"                                  /* 29 */
    "      - \"#FFF\"\n"                              /* 30 */
    "      - FFFG\n"                                  /* 31 */
    "    obs_noise:\n"                                /* 32 */
    "      - \"0000\"\n"                              /* 33 */
    "      - \"0190\"\n"                              /* 34 */
    "      - '5000'\n"                                /* 35 */
    "      - 0000\n"                                  /* 36 */
    "agents:\n"                                       /* 37 */
    "  - type: q-learning\n"                          /* 38 */
    "    name: ql-fast\n"                             /* 39 */
    "    train_steps: 1000\n"                         /* 40 */
    "    params:\n"                                   /* 41 */
    "      alpha: [0.1, 0.5]\n"                       /* 42 */
    "      discount: 0.9\n"                           /* 43 */
    "  - type: typed\n"                               /* 44 */
    "    params:\n"                                   /* 45 */
    "      horizon: [2, 4.0]\n"                       /* 46 */
    "      learn_A: [true, false]\n"                  /* 47 */
    "      schedule: sigmoid\n"                       /* 48 */
    "  - type: random\n";                             /* 49 */

static void full_job_values(void) {
    jobspec_t j;
    char err[1024];
    int rc = parse_with(&j, "jobs/full.yaml", full_job, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    CHECK(!strcmp(j.path, "jobs/full.yaml"));
    CHECK(j.text_len == strlen(full_job) && !strcmp(j.text, full_job));
    char hex[65];
    sha256_hex(full_job, strlen(full_job), hex);
    CHECK(!strcmp(j.sha256, hex));
    CHECK(!strcmp(j.name, "paper-figs"));
    CHECK(j.seed == 42);
    CHECK(j.n_seeds == 3 && jobspec_seed(&j, 0) == 7 && jobspec_seed(&j, 1) == 0 && jobspec_seed(&j, 2) == 1000000000000LL);
    CHECK(j.train_steps == 200000);
    CHECK(j.eval_episodes == 50 && j.log_episodes == 5 && j.checkpoints == 4 && j.curve_points == 40);
    CHECK(!strcmp(j.output, "results/figs.h5"));
    CHECK(j.max_file_gb == 2.5);
    CHECK(j.n_envs == 2);
    const gw_spec_t *e = &j.envs[0];
    CHECK(!strcmp(e->name, "open4") && e->rows == 3 && e->cols == 5 && e->map == NULL);
    CHECK(e->start == 0 * 5 + 1 && e->goal == 2 * 5 + 4);
    CHECK(e->slip == 1e-3 && e->eta == NULL && e->eta_all == 0.75);
    CHECK(e->noise_radius == 2 && e->max_steps == 60 && e->n_actions == 5);
    CHECK(e->step_reward == -0.01 && e->goal_reward == 10 && e->hole_reward == -1.5);
    CHECK(j.env_line[0] == 13 && j.env_line[1] == 26);
    e = &j.envs[1];
    CHECK(!strcmp(e->name, "paper8x8") && e->rows == 4 && e->cols == 4);
    CHECK(e->map && !strcmp(e->map, "SFFFF#HF#FFFFFFG"));
    CHECK(e->start == -1 && e->goal == -1);
    CHECK(e->eta != NULL);
    CHECK(e->eta[0] == 1.0 && e->eta[5] == 0.9 && e->eta[6] == 1.0 - 0.9 && e->eta[8] == 0.5 && e->eta[15] == 1.0);
    CHECK(e->slip == 0 && e->max_steps == 100 && e->n_actions == 4);
    CHECK(jobspec_max_steps(&j) == 100 && jobspec_max_actions(&j) == 5);

    CHECK(j.n_agents == 3);
    const job_agent_t *a = &j.agents[0];
    CHECK(a->cls == &agent_qlearning && !strcmp(a->label, "ql-fast") && a->line == 38);
    CHECK(a->train_steps == 1000);
    int ia = agent_param_index(a->cls, "alpha"), id = agent_param_index(a->cls, "discount");
    CHECK(ia >= 0 && id >= 0);
    CHECK(a->n_values[ia] == 2 && a->values[ia][0] == 0.1 && a->values[ia][1] == 0.5);
    CHECK(a->n_values[id] == 1 && a->values[id][0] == 0.9);
    for (int k = 0; k < a->cls->n_params; k++)
        if (k != ia && k != id) CHECK(a->n_values[k] == 1 && a->values[k][0] == a->cls->params[k].def);
    CHECK(a->n_combos == 2);
    a = &j.agents[1];
    CHECK(a->cls == &agent_typed && !strcmp(a->label, "typed") && a->line == 44 && a->train_steps == 200000);
    CHECK(a->n_values[0] == 2 && a->values[0][0] == 2 && a->values[0][1] == 4);
    CHECK(a->n_values[1] == 1 && a->values[1][0] == 0.001);
    CHECK(a->n_values[2] == 2 && a->values[2][0] == 1 && a->values[2][1] == 0);
    CHECK(a->n_values[3] == 1 && a->values[3][0] == 2);
    CHECK(a->n_combos == 4);
    a = &j.agents[2];
    CHECK(a->cls == &agent_random && !strcmp(a->label, "random") && a->n_combos == 1 && a->line == 49);

    runlist_t rl;
    CHECK_MSG(jobspec_expand(&j, &rl, err, sizeof err) == 0, "%s", err);
    CHECK(rl.n == (2 + 4 + 1) * 2 * 3 && rl.n_conditions == (2 + 4 + 1) * 2);
    runlist_free(&rl);
    jobspec_free(&j);
    CHECK(j.text == NULL && j.n_envs == 0);
}

/* ---- defaults ----------------------------------------------------------------- */

static void defaults(void) {
    jobspec_t j;
    char err[1024];
    const char *text = "environments:\n  - name: w\nagents:\n  - type: q-learning\n";
    int rc = parse_with(&j, "some/dir/my_job.v2.yaml", text, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    CHECK(!strcmp(j.name, "my_job.v2"));
    CHECK(!strcmp(j.output, "my_job.v2.h5"));
    CHECK(j.seed == 0 && j.n_seeds == 1 && jobspec_seed(&j, 0) == 0);
    CHECK(j.train_steps == 10000 && j.eval_episodes == 20 && j.log_episodes == 2);
    CHECK(j.checkpoints == 1 && j.curve_points == 20 && j.max_file_gb == 50);
    const gw_spec_t *e = &j.envs[0];
    CHECK(e->rows == 4 && e->cols == 4 && e->map == NULL && e->start == -1 && e->goal == -1);
    CHECK(e->slip == 0 && e->eta == NULL && e->eta_all == 1.0 && e->noise_radius == 1);
    CHECK(e->max_steps == 100 && e->n_actions == 4);
    CHECK(e->step_reward == 0 && e->goal_reward == 1 && e->hole_reward == 0);
    const job_agent_t *a = &j.agents[0];
    CHECK(!strcmp(a->label, "q-learning") && a->train_steps == 10000 && a->n_combos == 1);
    for (int k = 0; k < a->cls->n_params; k++)
        CHECK(a->n_values[k] == 1 && a->values[k][0] == a->cls->params[k].def);
    jobspec_free(&j);

    /* log_episodes defaults to min(2, eval_episodes); seeds: N gives 0..N-1;
     * size: N; an empty params mapping; a name without extension. */
    text = "eval_episodes: 1\nseeds: 4\nenvironments:\n  - {name: w, size: 6}\n"
           "agents:\n  - type: typed\n    params: {}\n";
    rc = parse_with(&j, "plain", text, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    CHECK(!strcmp(j.name, "plain") && j.log_episodes == 1);
    CHECK(j.n_seeds == 4 && jobspec_seed(&j, 0) == 0 && jobspec_seed(&j, 3) == 3);
    CHECK(j.envs[0].rows == 6 && j.envs[0].cols == 6);
    CHECK(j.agents[0].values[0][0] == 3 && j.agents[0].values[3][0] == 1);
    jobspec_free(&j);
}

/* ---- expansion ---------------------------------------------------------------- */

static void expand_order(void) {
    /* Two agents x two environments; the first agent sweeps horizon (2 values)
     * x lr (3 values), written in the file in the other order: the table order
     * decides, the last parameter (lr) varying fastest.  Three seeds. */
    const char *text =
        "seeds: [5, 0, 9]\n"
        "environments:\n  - name: e0\n  - name: e1\n    size: 5\n"
        "agents:\n"
        "  - type: typed\n    params:\n      lr: [0.1, 0.2, 0.3]\n      horizon: [1, 2]\n"
        "  - type: random\n";
    jobspec_t j;
    char err[1024];
    CHECK_MSG(parse_with(&j, "x.yaml", text, err, sizeof err) == 0, "%s", err);
    runlist_t rl;
    CHECK_MSG(jobspec_expand(&j, &rl, err, sizeof err) == 0, "%s", err);
    CHECK(rl.n == 42 && rl.n_conditions == 14);
    /* The 14 conditions, written out by hand. */
    static const struct { int agent, env; long combo; double horizon, lr; } cond[14] = {
        {0, 0, 0, 1, 0.1}, {0, 0, 1, 1, 0.2}, {0, 0, 2, 1, 0.3},
        {0, 0, 3, 2, 0.1}, {0, 0, 4, 2, 0.2}, {0, 0, 5, 2, 0.3},
        {0, 1, 0, 1, 0.1}, {0, 1, 1, 1, 0.2}, {0, 1, 2, 1, 0.3},
        {0, 1, 3, 2, 0.1}, {0, 1, 4, 2, 0.2}, {0, 1, 5, 2, 0.3},
        {1, 0, 0, 0, 0},   {1, 1, 0, 0, 0},
    };
    static const int64_t seeds[3] = {5, 0, 9};
    for (long r = 0; r < rl.n; r++) {
        const run_t *u = &rl.runs[r];
        long c = r / 3;
        int s = (int)(r % 3);
        CHECK_MSG(u->run_id == r && u->condition == c && u->seed_index == s && u->seed == seeds[s],
                  "run %ld", r);
        CHECK_MSG(u->agent == cond[c].agent && u->env == cond[c].env && u->combo == cond[c].combo, "run %ld", r);
        if (u->agent == 0) {
            CHECK_MSG(u->pv[0] == cond[c].horizon && u->pv[1] == cond[c].lr, "run %ld", r);
            CHECK(u->pv[2] == 0 && u->pv[3] == 1); /* learn_A, schedule defaults */
        }
        if (s > 0) CHECK(u->pv == rl.runs[r - 1].pv); /* one pv per condition */
    }
    /* Spot checks, by hand: run 17 = condition 5 (e0, horizon 2, lr 0.3), seed 9. */
    CHECK(rl.runs[17].condition == 5 && rl.runs[17].seed == 9 && rl.runs[17].pv[0] == 2 && rl.runs[17].pv[1] == 0.3);
    CHECK(rl.runs[18].env == 1 && rl.runs[18].pv[1] == 0.1 && rl.runs[18].seed == 5);
    CHECK(rl.runs[41].agent == 1 && rl.runs[41].env == 1 && rl.runs[41].condition == 13);
    runlist_free(&rl);

    /* The run cap is enforced at expansion too. */
    int keep = j.n_seeds;
    j.n_seeds = 60000000;
    CHECK(jobspec_expand(&j, &rl, err, sizeof err) != 0);
    CHECK_MSG(strstr(err, "x.yaml: the job expands to 840000000 runs (at most 100000000"), "%s", err);
    CHECK(rl.runs == NULL && rl.n == 0);
    j.n_seeds = keep;
    jobspec_free(&j);
}

/* ---- bad inputs --------------------------------------------------------------- */

static int expect_error(const char *text, const char *want, char *err, size_t errlen) {
    jobspec_t j;
    int rc = parse_with(&j, "t.yaml", text, err, errlen);
    if (rc == 0) {
        jobspec_free(&j);
        snprintf(err, errlen, "(parsed without error)");
        return 0;
    }
    if (j.envs || j.agents || j.text || j.seeds) return 0; /* a failed parse leaves the job empty */
    return strstr(err, want) != NULL && strchr(err, '\n') == NULL;
}

#define ENVS "environments:\n  - name: w\n"

/* Parameter types need the test class (the registered classes have only reals). */
static void bad_params_typed(void) {
    char err[1024];
    static const struct { const char *text, *want; } cases[] = {
        {ENVS "agents:\n  - type: typed\n    params:\n      horizon: 2.5\n",
         "t.yaml:6: agents[0].params.horizon: expected an integer in [1, 1000], got \"2.5\" (not a whole number)"},
        {ENVS "agents:\n  - type: typed\n    params:\n      horizon: 0\n",
         "t.yaml:6: agents[0].params.horizon: expected an integer in [1, 1000], got \"0\""},
        {ENVS "agents:\n  - type: typed\n    params:\n      learn_A: yes\n",
         "t.yaml:6: agents[0].params.learn_A: expected true or false, got \"yes\" (yes/no/on/off are not accepted)"},
        {ENVS "agents:\n  - type: typed\n    params:\n      learn_A: \"true\"\n",
         "t.yaml:6: agents[0].params.learn_A: expected true or false, got the string \"true\" (remove the quotes)"},
        {ENVS "agents:\n  - type: typed\n    params:\n      schedule: quadratic\n",
         "t.yaml:6: agents[0].params.schedule: expected one of linear, cosine, sigmoid, got \"quadratic\""},
        {ENVS "agents:\n  - type: typed\n    params:\n      schedule: [linear, cosine, linear]\n",
         "t.yaml:6: agents[0].params.schedule[2]: duplicate value linear in the sweep list (also [0] on line 6)"},
        {ENVS "agents:\n  - type: typed\n    params:\n      lr: -.inf\n",
         "t.yaml:6: agents[0].params.lr: expected a number in [0, 1], got \"-.inf\" (not a finite number)"},
        {ENVS "agents:\n  - type: typed\n    params:\n      lr: .nan\n",
         "t.yaml:6: agents[0].params.lr: expected a number in [0, 1], got \".nan\" (not a finite number)"},
        {ENVS "agents:\n  - type: typed\n    params:\n      lr: 0x10\n",
         "t.yaml:6: agents[0].params.lr: expected a number in [0, 1], got \"0x10\""},
        {ENVS "agents:\n  - type: typed\n    params:\n      lr:\n",
         "t.yaml:6: agents[0].params.lr: expected a number in [0, 1], got nothing (an empty value)"},
        {ENVS "agents:\n  - type: typed\n    params:\n      horizon: {a: 1}\n",
         "t.yaml:6: agents[0].params.horizon: expected an integer in [1, 1000], got a mapping"},
        {ENVS "agents:\n  - type: typed\n    params: [horizon]\n",
         "t.yaml:5: agents[0].params: expected a mapping of parameter: value (or: [values]), got a list"},
        {ENVS "agents:\n  - type: random\n    params: {alpha: 1}\n",
         "t.yaml:5: agents[0].params.alpha: unknown parameter (random has no parameters)"},
        {ENVS "agents:\n  - type: typed\n    params:\n      horizon: 1\n      horizon: 2\n",
         "t.yaml:7: agents[0].params.horizon: duplicate key (first given on line 6"},
        {ENVS "agents:\n  - type: sarsa\n", "t.yaml:4: agents[0].type: unknown agent type \"sarsa\" (known: random, q-learning, typed)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_MSG(expect_error(cases[i].text, cases[i].want, err, sizeof err), "case %zu: want '%s', got '%s'", i,
                  cases[i].want, err);
}

/* A class's validate runs for every (environment, combination); the message
 * names the entry, the world and the parameters set in the file. */
static void validate_hook(void) {
    char err[1024];
    const char *text = "environments:\n  - name: long\n  - name: short\n    max_steps: 10\n"
                       "agents:\n  - type: random\n  - type: typed\n    name: planner\n"
                       "    params:\n      horizon: [5, 20]\n      schedule: linear\n";
    CHECK_MSG(expect_error(text, "t.yaml:7: agents[1] (planner) on environment short with horizon=20, "
                                 "schedule=linear: horizon 20 exceeds max_steps 10", err, sizeof err),
              "%s", err);
    /* Unswept and default parameters: no "with" part. */
    text = "environments:\n  - name: tiny\n    size: 2\n    max_steps: 2\nagents:\n  - type: typed\n";
    CHECK_MSG(expect_error(text, "t.yaml:6: agents[0] (typed) on environment tiny: horizon 3 exceeds max_steps 2",
                           err, sizeof err), "%s", err);
}

static void bad_misc(void) {
    char err[1024];
    /* A NUL inside the text (e.g. from a broadcast buffer). */
    jobspec_t j;
    const char text[] = "name: a\nseed: 1\0\n";
    CHECK(job_parse(&j, "n.yaml", text, sizeof text - 1, err, sizeof err) != 0);
    CHECK_MSG(!strcmp(err, "n.yaml:2: the file contains a NUL byte (a job file is YAML text)"), "%s", err);
    /* Invalid UTF-8. */
    CHECK(expect_error("name: a\nseed: \xff\n", "t.yaml:2:7: YAML syntax error: invalid leading UTF-8 octet", err,
                       sizeof err));
    /* A newline inside a quoted key stays on one line in the message. */
    CHECK_MSG(expect_error("\"bad\\nkey\": 1\n" ENVS "agents:\n  - type: random\n",
                           "t.yaml:1: bad\\nkey: unknown key in the job (allowed: name, seed,", err, sizeof err),
              "%s", err);
    /* Plain numbers that look right but are not YAML 1.2 numbers, and names. */
    CHECK(expect_error("seed: 1_000\n" ENVS "agents:\n  - type: random\n",
                       "t.yaml:1: seed: expected an integer >= 0, got \"1_000\"", err, sizeof err));
    CHECK(expect_error("name: \"\"\n" ENVS "agents:\n  - type: random\n",
                       "t.yaml:1: name: expected a name of 1 to 63 characters", err, sizeof err));
    CHECK(expect_error(ENVS "agents:\n  - type: random\n    name: "
                       "a234567890123456789012345678901234567890123456789012345678901234\n",
                       "t.yaml:5: agents[0].name: expected a name of 1 to 63 characters from A-Z a-z 0-9 _ . -, got 64 characters",
                       err, sizeof err));
    CHECK(expect_error(ENVS "agents:\n  - random\n",
                       "t.yaml:4: agents[0]: expected a mapping describing an agent (type: ..., params: ...), got \"random\"",
                       err, sizeof err));
}

/* Every file in tests/bad_jobs must fail with its `# expect:` substring. */
static void bad_job_files(void) {
    const char *dir = getenv("AIF_BAD_JOBS");
    if (!dir) dir = "tests/bad_jobs";
    DIR *d = opendir(dir);
    CHECK_MSG(d != NULL, "cannot open %s (run from the repository root)", dir);
    int n = 0, bad = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t L = strlen(de->d_name);
        if (L < 6 || strcmp(de->d_name + L - 5, ".yaml") != 0) continue;
        char path[1024], err[2048], want[512];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        char *text;
        size_t len;
        if (jobspec_read_file(path, &text, &len, err, sizeof err) != 0) {
            fprintf(stderr, "%s: %s\n", path, err);
            bad++;
            continue;
        }
        n++;
        const char *tag = "# expect: ";
        char *nl = strchr(text, '\n');
        if (strncmp(text, tag, strlen(tag)) != 0 || !nl || (size_t)(nl - text) - strlen(tag) >= sizeof want) {
            fprintf(stderr, "%s: first line must be '# expect: <substring>'\n", path);
            bad++;
            free(text);
            continue;
        }
        size_t wl = (size_t)(nl - text) - strlen(tag);
        memcpy(want, text + strlen(tag), wl);
        want[wl] = '\0';
        jobspec_t j;
        int rc = job_parse(&j, path, text, len, err, sizeof err);
        free(text);
        if (rc == 0) {
            fprintf(stderr, "%s: parsed without error (want: %s)\n", path, want);
            jobspec_free(&j);
            bad++;
        } else if (!strstr(err, want) || strncmp(err, path, strlen(path)) != 0 || strchr(err, '\n')) {
            fprintf(stderr, "%s:\n  want: %s\n  got:  %s\n", path, want, err);
            bad++;
        }
    }
    closedir(d);
    CHECK_MSG(n >= 30, "only %d files in %s (want at least 30)", n, dir);
    CHECK_MSG(bad == 0, "%d of %d bad-job files did not fail as expected", bad, n);
}

/* ---- files -------------------------------------------------------------------- */

static void read_file_errors(void) {
    char err[1024], *text = (char *)1;
    size_t len = 7;
    CHECK(jobspec_read_file("jobs/no-such-file.yaml", &text, &len, err, sizeof err) != 0);
    CHECK_MSG(!strcmp(err, "cannot open jobs/no-such-file.yaml: No such file or directory"), "%s", err);
    CHECK(text == NULL && len == 0);
    CHECK(jobspec_read_file("/tmp", &text, &len, err, sizeof err) != 0);
    CHECK_MSG(!strcmp(err, "cannot read /tmp: Is a directory"), "%s", err);

    char path[] = "/tmp/unit_jobspec_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    static const char bin[] = "name: x\nseed: 1\n\0\x01\x02";
    CHECK(write(fd, bin, sizeof bin - 1) == (ssize_t)(sizeof bin - 1));
    close(fd);
    int rc = jobspec_read_file(path, &text, &len, err, sizeof err);
    char want[256];
    snprintf(want, sizeof want, "%s:3: the file contains a NUL byte", path);
    CHECK_MSG(rc != 0 && strstr(err, want), "%s", err);

    /* Larger than the 65,000 bytes a results file's job_yaml attribute holds (sparse, so cheap). */
    fd = open(path, O_WRONLY | O_TRUNC);
    CHECK(fd >= 0);
    CHECK(ftruncate(fd, 65001) == 0);
    close(fd);
    rc = jobspec_read_file(path, &text, &len, err, sizeof err);
    snprintf(want, sizeof want, "%s is larger than 65000 bytes", path);
    CHECK_MSG(rc != 0 && strstr(err, want), "%s", err);

    /* Exactly a good file round-trips, and the parse hashes its bytes. */
    FILE *f = fopen(path, "wb");
    CHECK(f);
    fputs("environments:\n  - name: w\nagents:\n  - type: random\n", f);
    fclose(f);
    rc = jobspec_read_file(path, &text, &len, err, sizeof err);
    unlink(path);
    CHECK_MSG(rc == 0, "%s", err);
    CHECK(len == strlen(text) && text[len] == '\0');
    jobspec_t j;
    rc = job_parse(&j, path, text, len, err, sizeof err);
    char hex[65];
    sha256_hex(text, len, hex);
    free(text);
    CHECK_MSG(rc == 0, "%s", err);
    CHECK(!strcmp(j.sha256, hex) && !strncmp(j.name, "unit_jobspec_", 13));
    jobspec_free(&j);
    jobspec_free(&j); /* twice is harmless */
}

/* Numbers YAML writes in several ways. */
static void number_forms(void) {
    jobspec_t j;
    char err[1024];
    const char *text = "train_steps: 1.5e3\nseed: +3\nmax_file_gb: .5\n"
                       "environments:\n  - {name: w, slip: 5E-2, step_reward: -1, goal_reward: 1., hole_reward: -.25}\n"
                       "agents:\n  - type: typed\n    params: {horizon: 1e2, lr: 0, learn_A: True}\n";
    CHECK_MSG(parse_with(&j, "n.yaml", text, err, sizeof err) == 0, "%s", err);
    CHECK(j.train_steps == 1500 && j.seed == 3 && j.max_file_gb == 0.5);
    CHECK(j.envs[0].slip == 0.05 && j.envs[0].step_reward == -1 && j.envs[0].goal_reward == 1 &&
          j.envs[0].hole_reward == -0.25);
    CHECK(j.agents[0].values[0][0] == 100 && j.agents[0].values[1][0] == 0 && j.agents[0].values[2][0] == 1);
    jobspec_free(&j);
}

static const unit_test_t tests[] = {
    {"full_job_values", full_job_values},
    {"defaults", defaults},
    {"expand_order", expand_order},
    {"number_forms", number_forms},
    {"bad_params_typed", bad_params_typed},
    {"validate_hook", validate_hook},
    {"bad_misc", bad_misc},
    {"bad_job_files", bad_job_files},
    {"read_file_errors", read_file_errors},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
