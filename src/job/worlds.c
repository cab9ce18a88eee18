/* worlds: the job's worlds, built once per process from its environment
 * entries and checked against the job (include/job/worlds.h). */
#include "job/worlds.h"
#include "job/yamlread.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Environment e of the job into w (and its knowledge into k, unless NULL);
 * nothing to free on failure. */
static int build_one(yr_t *r, const jobspec_t *job, int e, gridworld_t *w, world_knowledge_t *k) {
    char msg[1024];
    int rc = 0;
    size_t m = yr_key(r, "environments");
    yr_idx(r, e);
    if (gw_build(w, &job->envs[e], msg, sizeof msg)) {
        rc = yr_fail(r, job->env_line[e], "%s", msg);
    } else if (k && world_knowledge_build(k, w)) {
        gw_free(w);
        rc = yr_fail(r, job->env_line[e], "environment %s: out of memory for its true model", job->envs[e].name);
    }
    if (rc == 0) yr_restore(r, m);
    return rc;
}

/* The job on world e: the goal within max_steps, and every agent class's own
 * checks for each of its parameter combinations (pv: room for the most). */
static int job_fits_world(yr_t *r, const jobspec_t *job, int e, const gridworld_t *w, double *pv) {
    /* Every episode would end unfinished: refuse rather than report 0%. */
    if (w->opt_steps > w->max_steps) {
        yr_key(r, "environments");
        yr_idx(r, e);
        if (w->n_contexts > 1)
            return yr_fail(r, job->env_line[e],
                           "environment %s: max_steps %d is below the expected shortest route %s the context's "
                           "goal (%.2f steps)", job->envs[e].name, w->max_steps,
                           w->n_cues ? "via the cue to" : "(no cue) to", w->opt_steps);
        return yr_fail(r, job->env_line[e],
                       "environment %s: max_steps %d is below the shortest path from start to goal (%d steps): "
                       "no episode could reach the goal", job->envs[e].name, w->max_steps, w->dist[w->start]);
    }
    task_t task;
    task_from_world(&task, w, NULL, 0);
    for (int a = 0; a < job->n_agents; a++) {
        const job_agent_t *ag = &job->agents[a];
        if (!ag->cls->validate) continue;
        for (long c = 0; c < ag->n_combos; c++) {
            char msg[1024], with[512];
            jobspec_combo_values(ag, c, pv);
            if (ag->cls->validate(&task, pv, msg, sizeof msg) == 0) continue;
            jobspec_given_text(ag, pv, with, sizeof with);
            return yr_fail(r, ag->line, "agents[%d] (%s) on environment %s%s: %s", a, ag->label,
                           job->envs[e].name, with, msg[0] ? msg : "invalid (no reason given)");
        }
    }
    return 0;
}

int worlds_build(worlds_t *ws, const jobspec_t *job, char *err, size_t errlen) {
    yr_t r;
    yr_init(&r, job->path ? job->path : "(job)", NULL, 0, err, errlen);
    int np = 1, rc = 0;
    for (int a = 0; a < job->n_agents; a++)
        if (job->agents[a].cls->n_params > np) np = job->agents[a].cls->n_params;
    double *pv = malloc((size_t)np * sizeof *pv);
    if (ws) {
        memset(ws, 0, sizeof *ws);
        ws->w = calloc((size_t)job->n_envs, sizeof *ws->w);
        ws->k = calloc((size_t)job->n_envs, sizeof *ws->k);
    }
    if (!pv || (ws && (!ws->w || !ws->k))) rc = yr_fail(&r, 1, "out of memory building worlds");
    for (int e = 0; e < job->n_envs && rc == 0; e++) {
        gridworld_t alone, *w = ws ? &ws->w[e] : &alone;
        rc = build_one(&r, job, e, w, ws ? &ws->k[e] : NULL);
        if (rc) break;
        if (ws) ws->n++;
        rc = job_fits_world(&r, job, e, w, pv);
        if (!ws) gw_free(&alone);
    }
    free(pv);
    if (rc && ws) worlds_free(ws);
    return rc;
}

void worlds_free(worlds_t *ws) {
    for (int i = 0; i < ws->n; i++) {
        gw_free(&ws->w[i]);
        world_knowledge_free(&ws->k[i]);
    }
    free(ws->w);
    free(ws->k);
    ws->w = NULL;
    ws->k = NULL;
    ws->n = 0;
}
