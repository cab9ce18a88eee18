/* agents: the registry, and the pieces every agent shares (decision records,
 * the training log). */
#include "interface/agents.h"
#include <math.h>
#include <string.h>

const agent_class_t *const agent_classes[] = {
    &agent_random,
    &agent_qlearning,
    &agent_exact_aif,
    &agent_diffusion_aif,
    &agent_null,
    NULL,
};

const agent_class_t *agent_class_find(const char *name) {
    for (int i = 0; agent_classes[i]; i++)
        if (strcmp(agent_classes[i]->name, name) == 0) return agent_classes[i];
    return NULL;
}

int agent_param_index(const agent_class_t *c, const char *name) {
    for (int i = 0; i < c->n_params; i++)
        if (strcmp(c->params[i].name, name) == 0) return i;
    return -1;
}

int check_context_set(check_context_t *ctx, const double *belief, const double *lnp, double w_risk,
                      double w_ambiguity, int risk_cost, int tail_steps) {
    *ctx = (check_context_t){.belief = belief, .lnp = lnp, .w_risk = w_risk, .w_ambiguity = w_ambiguity,
                             .risk_cost = risk_cost, .tail_steps = tail_steps};
    return 0;
}

void decision_clear(decision_t *d) {
    d->action = -1;
    for (int a = 0; a < TASK_MAX_ACTIONS; a++)
        d->G[a] = d->risk[a] = d->ambiguity[a] = d->p_action[a] = NAN;
    for (int k = 0; k < DECISION_MAX_CONTEXTS; k++) d->p_context[k] = NAN;
    d->want_check = 0;
    d->n_check = 0;
    d->check_H = 0;
    d->check_ctx = 0;
}

void trainlog_episode(train_log_t *log, long step_end, int steps, int success, double ret) {
    log->episodes++;
    if (log->curve_points <= 0 || log->budget <= 0) return;
    /* Bin by the step at which the episode ended, so bins are comparable across
     * agents with equal budgets however long their episodes are. */
    long b = (step_end > 0 ? step_end - 1 : 0) * log->curve_points / log->budget;
    if (b < 0) b = 0;
    if (b >= log->curve_points) b = log->curve_points - 1;
    log->bin_steps[b] += steps;
    log->bin_success[b] += success ? 1.0 : 0.0;
    log->bin_return[b] += ret;
    log->bin_count[b]++;
}

float *trainlog_ckpt_slot(train_log_t *log, long steps_done) {
    if (log->ckpt_done >= log->n_ckpt || log->ckpt_floats == 0) return NULL;
    long k = log->ckpt_done + 1;
    long due = log->budget * k / log->n_ckpt;
    if (steps_done < due) return NULL;
    log->ckpt_step[log->ckpt_done] = steps_done;
    return log->ckpt_data + (size_t)log->ckpt_done++ * log->ckpt_floats;
}

int trainlog_cancelled(const train_log_t *log) { return log->cancel && *log->cancel; }
