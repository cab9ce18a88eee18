/* jobspec: the YAML job file, validated against the schema in code (job.h
 * then checks it against the worlds it describes), and its expansion into
 * the ordered run list.
 *
 * Every error names the file, the line and the key path, e.g.
 *   jobs/x.yaml:12: agents[1].params.alpha: expected a number, got "fast"
 * The strict YAML reading (lines, key paths, numbers, duplicate keys) is
 * yamlread.h's; this module is the schema: which keys exist, their ranges,
 * and the jobspec_t they build.
 *
 * Run order (stable run ids): for each agent entry (file order), for each
 * environment (file order), for each parameter combination (odometer over the
 * agent class's parameter table, the LAST parameter varying fastest), for each
 * seed: run_id = 0, 1, 2, ...  A "condition" is a run without its seed;
 * condition ids count the same way. */
#ifndef AIF_JOBSPEC_H
#define AIF_JOBSPEC_H
#include <stddef.h>
#include <stdint.h>
#include "interface/agents.h"
#include "world/gridworld.h"

typedef struct {
    char label[64];               /* `name:` of the entry, default the type */
    const agent_class_t *cls;
    int line;                     /* line of the entry in the file */
    int *n_values;                /* [cls->n_params]: 1 unless swept */
    double **values;              /* [cls->n_params][n_values[i]] */
    long n_combos;                /* product of n_values */
    long train_steps;             /* this agent's budget (the job's unless overridden) */
    unsigned char *given;         /* [cls->n_params] 1: set in the file (named in validation messages) */
} job_agent_t;

typedef struct jobspec {
    char *path;                   /* as given (used in messages) */
    char *text;                   /* the file's bytes, NUL-terminated */
    size_t text_len;
    char sha256[65];              /* hex digest of text */
    char name[64];
    uint64_t seed;                /* sweep seed */
    int n_seeds;
    int64_t *seeds;               /* seed values of a `seeds:` list; NULL for a count (use jobspec_seed) */
    long train_steps;
    int eval_episodes, log_episodes, checkpoints, curve_points;
    int efe_checks;               /* evaluation decisions per run with the exact-EFE diagnostic */
    char *output;                 /* default results path */
    double max_file_gb;           /* refuse larger layouts without --force */
    int n_envs;
    gw_spec_t *envs;
    int *env_line;
    int n_agents;
    job_agent_t *agents;
} jobspec_t;

typedef struct {
    long run_id;
    long condition;
    int agent;                    /* index into job->agents */
    int env;                      /* index into job->envs */
    int seed_index;
    int64_t seed;
    long combo;                   /* parameter combination within the agent entry */
    const double *pv;             /* [agent cls->n_params] values of this run */
} run_t;

typedef struct runlist {
    long n;
    long n_conditions;
    run_t *runs;
    double *pool;                 /* storage behind every run's pv */
} runlist_t;

/* What went wrong, for the caller to act on (aif-sweep maps kinds to exit
 * statuses) without reading the message. */
typedef enum {
    JOB_OK = 0,
    JOB_ERR_USAGE,    /* the command line (not the job file): the caller's own kind */
    JOB_ERR_FILE,     /* a bad job file: YAML, schema, or a world it describes */
    JOB_ERR_IO,       /* the job file cannot be read (missing, a directory, I/O error) */
} job_status_t;

/* Read a whole file.  *text is NUL-terminated; caller frees.  JOB_ERR_IO, or
 * JOB_ERR_FILE for bytes no job file has (over 16 MB, a NUL byte). */
job_status_t jobspec_read_file(const char *path, char **text, size_t *len, char *err, size_t errlen);
/* Parse and validate job text alone (`path` is used in messages; its worlds
 * are not built: job_load in job.h does both).  0, or -1 with a one-line
 * message in err and nothing left to free.  On success the job owns copies
 * of path and text; free it with jobspec_free. */
int  jobspec_read(jobspec_t *job, const char *path, const char *text, size_t len, char *err, size_t errlen);
void jobspec_free(jobspec_t *job);

/* Parameter values of combination c of an agent entry (odometer, the last
 * parameter fastest) into pv[cls->n_params]. */
void jobspec_combo_values(const job_agent_t *a, long c, double *pv);
/* " with alpha=0.1, horizon=3": the parameters the file set, at values pv
 * ("" when it set none), for messages about one combination. */
void jobspec_given_text(const job_agent_t *a, const double *pv, char *buf, size_t bufsz);
/* The value of seed s (0 <= s < n_seeds): the list's, or s for `seeds: N`. */
int64_t jobspec_seed(const jobspec_t *job, int s);
/* Runs the job expands to (agents' combinations x environments x seeds),
 * from the counts alone. */
long jobspec_run_count(const jobspec_t *job);
int  jobspec_expand(const jobspec_t *job, runlist_t *rl, char *err, size_t errlen);
void runlist_free(runlist_t *rl);

/* Resolve agent `type:` names in `classes` (NULL-terminated) instead of the
 * registry agent_classes[]; NULL restores the registry.  For unit tests that
 * need classes with every parameter type and a `validate`.  Not thread-safe. */
void jobspec_use_agent_classes(const agent_class_t *const *classes);

/* Largest max_steps over the job's worlds, and largest action count. */
int  jobspec_max_steps(const jobspec_t *job);
int  jobspec_max_actions(const jobspec_t *job);
int  jobspec_max_contexts(const jobspec_t *job); /* the most hidden contexts of its worlds (1: none) */

#endif
