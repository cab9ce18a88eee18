/* null-work: an agent that learns nothing but fills every field of the run
 * record, so the runner and the store can be measured (make bench) and tested
 * (fault injection) on their own, without the cost of real training.
 *
 * Everything it writes is a deterministic function of the run's random
 * streams: checkpoints of `ckpt_floats` values, G / risk / ambiguity /
 * p_action at every decision, and the exact-EFE diagnostic when asked.  Its
 * actions are uniform from the evaluation stream, like random's.  `sleep_ms`
 * makes each run last about that long without using the CPU (the fault tests
 * need runs that are in flight when the job is killed).
 *
 * Named "null-work" rather than "null": `type: null` is YAML's null value. */
/* An agent sees only its view of the task: gridworld.h and env.h refuse to
 * compile here (task.h). */
#define AIF_AGENT_VIEW_ONLY
#include <math.h>
#include <stdlib.h>
#include <time.h>
#include "interface/agents.h"
#include "core/arena.h"

enum { P_CKPT, P_SLEEP, P_N };

static const param_spec_t null_params[P_N] = {
    [P_CKPT]  = {"ckpt_floats", PT_INT, 1024, 0, 16777216, NULL,
                 "values in each checkpoint (synthetic), so the record has a realistic size"},
    [P_SLEEP] = {"sleep_ms", PT_REAL, 0, 0, 3600e3, NULL,
                 "milliseconds each run sleeps in `training` (no CPU), to simulate slow runs"},
};

typedef struct {
    int n_actions, n_cells;
    double *flat;      /* [2][n_cells] uniform: the belief and the preference (logs) it reports */
    size_t ckpt_floats;
    double sleep_ms;
    uint64_t salt;     /* from the run's init stream: makes checkpoints run-specific */
    arena_t *arena;    /* flat and the null_agent_t itself */
} null_agent_t;

/* The parameters, decoded once. */
typedef struct {
    size_t ckpt_floats;
    double sleep_ms;
} null_cfg_t;

static null_cfg_t null_decode(const double *pv) { return (null_cfg_t){(size_t)pv[P_CKPT], pv[P_SLEEP]}; }

static size_t null_ckpt_floats(const task_t *task, const double *pv) { return null_decode(pv).ckpt_floats; }

static void *null_create(const task_t *task, const double *pv, rng_t *init_rng, char *err, size_t n) {
    arena_t *ar = arena_create(0);
    null_agent_t *a = arena_alloc(ar, 1, sizeof *a);
    double *flat = arena_alloc(ar, 2 * (size_t)task->n_cells, sizeof(double));
    if (!a || !flat) { arena_free(ar); return NULL; }
    a->arena = ar;
    a->flat = flat;
    a->n_actions = task->n_actions;
    a->n_cells = task->n_cells;
    for (int s = 0; s < a->n_cells; s++) {
        a->flat[s] = 1.0 / a->n_cells;
        a->flat[a->n_cells + s] = -log((double)a->n_cells);
    }
    const null_cfg_t c = null_decode(pv);
    a->ckpt_floats = c.ckpt_floats;
    a->sleep_ms = c.sleep_ms;
    a->salt = rng_u64(init_rng);
    return a;
}

static void null_checkpoint(const void *self, float *out) {
    const null_agent_t *a = self;
    for (size_t i = 0; i < a->ckpt_floats; i++) out[i] = (float)((a->salt >> (i % 48)) & 0xffff) + (float)i;
}

/* Sleeps in slices of at most 10 ms so a stop signal is seen quickly. */
static void nap_ms(double ms, const train_log_t *log) {
    while (ms > 0 && !trainlog_cancelled(log)) {
        double s = ms > 10 ? 10 : ms;
        struct timespec ts = {0, (long)(s * 1e6)};
        nanosleep(&ts, NULL);
        ms -= s;
    }
}

/* No learning and no environment steps; checkpoints at their due steps. */
static int null_train(void *self, env_t *env, rng_t *agent_rng, train_log_t *log, char *err, size_t n) {
    null_agent_t *a = self;
    nap_ms(a->sleep_ms, log);
    float *slot;
    while ((slot = trainlog_ckpt_slot(log, log->budget))) {
        null_checkpoint(a, slot);
        a->salt = a->salt * 6364136223846793005ULL + 1442695040888963407ULL;
    }
    log->steps_used = 0;
    return 0;
}

static void null_begin(void *self, int obs0) {}

static int null_act(void *self, int obs, rng_t *rng, decision_t *d) {
    null_agent_t *a = self;
    int act = (int)rng_below(rng, (uint32_t)a->n_actions);
    for (int i = 0; i < a->n_actions; i++) {
        d->risk[i] = (float)obs + 0.25f * (float)i;
        d->ambiguity[i] = 0.5f * (float)i;
        d->G[i] = d->risk[i] + d->ambiguity[i];
        d->p_action[i] = 1.0f / (float)a->n_actions;
    }
    if (d->want_check) {
        d->n_check = DECISION_MAX_CHECK;
        d->check_H = 2;
        for (int k = 0; k < DECISION_MAX_CHECK; k++) {
            d->check_est[k] = (float)((k * 7 + obs) % DECISION_MAX_CHECK);
            d->check_policy[k][0] = (signed char)(k % a->n_actions);
            d->check_policy[k][1] = (signed char)((k / a->n_actions) % a->n_actions);
        }
    }
    d->action = act;
    return act;
}

/* A uniform belief and a flat preference (ln p~ = -ln n), so the exact side
 * of the diagnostic has something well defined to score. */
static int null_check_context(const void *self, check_context_t *ctx) {
    const null_agent_t *a = self;
    check_context_set(ctx, a->flat, a->flat + a->n_cells, 1.0, 1.0, 0, 0); /* every field set */
    ctx->n_states = a->n_cells;
    return 0;
}

static void null_destroy(void *self) {
    null_agent_t *a = self;
    if (a) arena_free(a->arena); /* flat and the agent */
}

const agent_class_t agent_null = {
    .name = "null-work",
    .help = "no learning; fills every field of the record with synthetic values (runner and store benchmarks, fault tests)",
    .params = null_params,
    .n_params = P_N,
    .ckpt_floats = null_ckpt_floats,
    .create = null_create,
    .train = null_train,
    .begin_episode = null_begin,
    .act = null_act,
    .checkpoint = null_checkpoint,
    .check_context = null_check_context,
    .destroy = null_destroy,
};
