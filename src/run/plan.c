/* plan: the results layout from the job, its runs, its worlds and the agent
 * classes (see plan.h). */
#include "run/plan.h"
#include "interface/agents.h"
#include "job/jobspec.h"
#include "run/run.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static plan_kind_t kind_of(const param_spec_t *s) { return s->type == PT_CHOICE ? PLAN_TEXT : PLAN_NUMBER; }

static const char *kind_name(plan_kind_t k) { return k == PLAN_TEXT ? "a choice (text)" : "a number"; }

/* The union of the parameter names of the job's agent classes, in first-seen
 * order, into names/kinds (cap PLAN_MAX_COLUMNS); -1 with err on a kind
 * clash or too many names. */
static int collect_columns(const jobspec_t *job, const char **names, plan_kind_t *kinds, int *n_out,
                           char *err, size_t errlen) {
    int n = 0;
    for (int a = 0; a < job->n_agents; a++) {
        const agent_class_t *c = job->agents[a].cls;
        for (int i = 0; i < c->n_params; i++) {
            const param_spec_t *s = &c->params[i];
            int j = 0;
            while (j < n && strcmp(names[j], s->name) != 0) j++;
            if (j < n) {
                if (kinds[j] != kind_of(s)) {
                    snprintf(err, errlen,
                             "parameter %s is %s for agent type %s but %s for an earlier agent type of the "
                             "job: one /runs/params column cannot hold both",
                             s->name, kind_name(kind_of(s)), c->name, kind_name(kinds[j]));
                    return -1;
                }
                continue;
            }
            if (n == PLAN_MAX_COLUMNS) {
                snprintf(err, errlen, "the job's agents have more than %d distinct parameter names: "
                         "/runs/params holds at most %d columns; split the job", PLAN_MAX_COLUMNS,
                         PLAN_MAX_COLUMNS);
                return -1;
            }
            names[n] = s->name;
            kinds[n] = kind_of(s);
            n++;
        }
    }
    *n_out = n;
    return 0;
}

/* The layout's dimensions for n_runs runs of job (n_conditions left 0). */
static layout_dims_t job_dims(const jobspec_t *job, long n_runs) {
    return (layout_dims_t){.n_runs = n_runs, .eval_episodes = job->eval_episodes,
                           .log_episodes = job->log_episodes, .max_steps = jobspec_max_steps(job),
                           .n_actions = GW_MAX_ACTIONS, .curve_points = job->curve_points,
                           .n_ckpt = job->checkpoints, .n_check = job->efe_checks,
                           .n_contexts = jobspec_max_contexts(job)};
}

int plan_count(const jobspec_t *job, layout_dims_t *dims, int *n_number, int *n_text,
               char *err, size_t errlen) {
    const char *names[PLAN_MAX_COLUMNS];
    plan_kind_t kinds[PLAN_MAX_COLUMNS];
    int n = 0;
    if (collect_columns(job, names, kinds, &n, err, errlen) != 0) return -1;
    *n_number = *n_text = 0;
    for (int i = 0; i < n; i++) *(kinds[i] == PLAN_TEXT ? n_text : n_number) += 1;
    *dims = job_dims(job, jobspec_run_count(job));
    return 0;
}

/* The values of every column for every run. */
static int fill_columns(plan_t *p, const jobspec_t *job, const runlist_t *rl) {
    size_t R = (size_t)(rl->n > 0 ? rl->n : 1);
    for (int i = 0; i < p->n_columns; i++) {
        plan_column_t *col = &p->columns[i];
        if (col->kind == PLAN_TEXT) col->text = calloc(R, PLAN_TEXT_LEN);
        else col->number = calloc(R, sizeof(double));
        if (!col->text && !col->number) return -1;
    }
    for (long r = 0; r < rl->n; r++) {
        const run_t *run = &rl->runs[r];
        const agent_class_t *cls = job->agents[run->agent].cls;
        for (int i = 0; i < p->n_columns; i++) {
            plan_column_t *col = &p->columns[i];
            int k = agent_param_index(cls, col->name);
            if (col->kind == PLAN_TEXT) {
                if (k >= 0) param_format(&cls->params[k], run->pv[k], col->text + (size_t)r * PLAN_TEXT_LEN,
                                         PLAN_TEXT_LEN);
            } else {
                col->number[r] = k >= 0 ? run->pv[k] : NAN;
            }
        }
    }
    return 0;
}

/* Runs' identities and the checkpoint map: which runs checkpoint, how many
 * floats, which row of their entry's dataset. */
static void fill_runs(plan_t *p, const jobspec_t *job, const runlist_t *rl, const worlds_t *ws) {
    for (long i = 0; i < rl->n; i++) {
        const run_t *r = &rl->runs[i];
        p->runs[i] = (plan_run_t){.condition = r->condition, .seed = r->seed, .env = r->env,
                                  .seed_index = r->seed_index, .entry = r->agent};
        size_t f = job->checkpoints > 0 ? run_ckpt_floats(job, ws, r) : 0;
        p->ckpt_floats[i] = (int64_t)f;
        p->ckpt_row[i] = f > 0 ? p->entry_rows[r->agent]++ : -1;
        p->train_budget[i] = (int64_t)job->agents[r->agent].train_steps;
        if ((int64_t)f > p->entry_floats[r->agent]) p->entry_floats[r->agent] = (int64_t)f;
        if (f > p->max_ckpt_floats) p->max_ckpt_floats = f;
    }
}

static void fill_worlds(plan_t *p, const jobspec_t *job, const worlds_t *ws) {
    for (int e = 0; e < job->n_envs; e++) {
        const gridworld_t *g = &ws->w[e];
        p->env_name[e] = job->envs[e].name;
        p->worlds[e] = (plan_world_t){.name = g->name, .rows = g->rows, .cols = g->cols, .start = g->start,
                                      .goal = g->goal, .max_steps = g->max_steps, .n_actions = g->n_actions,
                                      .noise_radius = g->noise_radius, .slip = g->slip, .cells = g->cells,
                                      .eta = g->eta, .dist = g->dist, .n_contexts = g->n_contexts,
                                      .ctx_goal = g->ctx_goal, .ctx_prob = g->ctx_prob, .cue_rel = g->cue_rel,
                                      .opt_steps = g->opt_steps};
    }
}

int plan_build(plan_t *p, const jobspec_t *job, const runlist_t *rl, const worlds_t *ws,
               char *err, size_t errlen) {
    memset(p, 0, sizeof *p);
    const char *names[PLAN_MAX_COLUMNS];
    plan_kind_t kinds[PLAN_MAX_COLUMNS];
    if (collect_columns(job, names, kinds, &p->n_columns, err, errlen) != 0) return -1;
    p->job_text = job->text;
    p->job_sha256 = job->sha256;
    p->job_name = job->name;
    p->job_path = job->path;
    p->sweep_seed = job->seed;
    p->dims = job_dims(job, rl->n);
    p->dims.n_conditions = rl->n_conditions;
    size_t R = (size_t)(rl->n > 0 ? rl->n : 1), A = (size_t)job->n_agents, E = (size_t)job->n_envs;
    p->n_entries = job->n_agents;
    p->n_envs = job->n_envs;
    p->runs = calloc(R, sizeof *p->runs);
    p->ckpt_floats = calloc(R, sizeof(int64_t));
    p->ckpt_row = calloc(R, sizeof(int64_t));
    p->train_budget = calloc(R, sizeof(int64_t));
    p->entry_name = calloc(A, sizeof(char *));
    p->entry_type = calloc(A, sizeof(char *));
    p->entry_rows = calloc(A, sizeof(int64_t));
    p->entry_floats = calloc(A, sizeof(int64_t));
    p->env_name = calloc(E ? E : 1, sizeof(char *));
    p->worlds = calloc(E ? E : 1, sizeof *p->worlds);
    p->columns = calloc(p->n_columns ? (size_t)p->n_columns : 1, sizeof *p->columns);
    int ok = p->runs && p->ckpt_floats && p->ckpt_row && p->train_budget && p->entry_name && p->entry_type && p->entry_rows &&
             p->entry_floats && p->env_name && p->worlds && p->columns;
    if (ok) {
        for (int i = 0; i < p->n_columns; i++) p->columns[i] = (plan_column_t){.name = names[i], .kind = kinds[i]};
        ok = fill_columns(p, job, rl) == 0;
    }
    if (!ok) {
        plan_free(p);
        snprintf(err, errlen, "out of memory planning the results layout");
        return -1;
    }
    for (int a = 0; a < job->n_agents; a++) {
        p->entry_name[a] = job->agents[a].label;
        p->entry_type[a] = job->agents[a].cls->name;
    }
    fill_runs(p, job, rl, ws);
    fill_worlds(p, job, ws);
    return 0;
}

void plan_free(plan_t *p) {
    for (int i = 0; p->columns && i < p->n_columns; i++) {
        free(p->columns[i].number);
        free(p->columns[i].text);
    }
    free(p->columns);
    free(p->runs);
    free(p->ckpt_floats);
    free(p->ckpt_row);
    free(p->train_budget);
    free(p->entry_name);
    free(p->entry_type);
    free(p->entry_rows);
    free(p->entry_floats);
    free(p->env_name);
    free(p->worlds);
    memset(p, 0, sizeof *p);
}
