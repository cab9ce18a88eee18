/* aif-sweep: run a sweep described by a YAML job file into one HDF5 file. */
#include <cblas.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/fault.h"
#include "job/job.h"
#include "job/jobspec.h"
#include "store/lock.h"
#include "run/run.h"
#include "sweep/runner.h"
#include "store/store.h"
#include "store/store_check.h"
#include "core/version.h"

static const char usage[] =
    "usage: aif-sweep JOB.yaml [-o RESULTS.h5] [--resume] [--force] [--break-lock] [--dry-run]\n"
    "                 [--progress SECONDS] [--quiet] [--list-agents] [--results-format]\n"
    "                 [--help] [--version]\n"
    "\n"
    "Runs every run of the sweep described by JOB.yaml (agents x environments x\n"
    "parameter grid x seeds; see jobs/README.md) and stores all results in one\n"
    "HDF5 file (layout: docs/results-format.md).  Launch with mpirun/srun: rank 0\n"
    "coordinates and the other ranks run; with one rank, rank 0 does everything.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE   results file (default: the job's `output`, else NAME.h5)\n"
    "  --resume            finish an existing results file of this same job: runs\n"
    "                      already done or failed are kept, the others are run\n"
    "  --force             replace an existing results file (only a regular file that\n"
    "                      is an aifsweep results file; it is only replaced once the\n"
    "                      new layout is complete), and allow layouts larger than the\n"
    "                      job's max_file_gb\n"
    "  --break-lock        take over RESULTS.lock when the sweep it names is gone and\n"
    "                      this host cannot tell (another host's, or naming no\n"
    "                      holder): never the lock of a sweep running on this host; a\n"
    "                      lock whose holder died on this host, or that this requeued\n"
    "                      Slurm job left, is taken over without it; a refused\n"
    "                      command puts the lock back\n"
    "  --dry-run           print the worlds, the expanded runs and the file size;\n"
    "                      write nothing\n"
    "  --progress SECONDS  at most one progress line per SECONDS on stderr (default 5)\n"
    "  --list-agents       print every agent type and its parameters (Markdown), then exit\n"
    "  --results-format    print the results file's per-run datasets (group, then a\n"
    "                      Markdown row: name, shape and type, units, description),\n"
    "                      then exit\n"
    "  -q, --quiet         no progress lines\n"
    "  -h, --help          this text\n"
    "  -V, --version       version and build information\n"
    "\n"
    "signals: SIGTERM, SIGUSR1 or SIGINT stop the sweep cleanly (runs in progress go\n"
    "back to pending); finish it later with --resume.\n"
    "\n"
    "exclusive use: while a sweep runs, RESULTS.lock beside the file names it (host,\n"
    "pid, Slurm job, start); another sweep, --resume or --force on that file refuses\n"
    "(exit 2) and names the holder.\n"
    "\n"
    "exit status: 0 every run done; 1 runtime error; 2 bad command line or job file\n"
    "(nothing written); 3 stopped by a signal (resume with --resume); 4 sweep\n"
    "complete but some runs failed (their messages are in /runs/message).\n";

typedef struct {
    const char *job_path, *output;
    int resume, force, dry_run, quiet, help, version, list_agents, break_lock, schema;
    double progress;
} cli_t;

static int parse_cli(int argc, char **argv, cli_t *c, char *err, size_t n) {
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'}, {"resume", no_argument, 0, 'r'},
        {"force", no_argument, 0, 'f'},        {"dry-run", no_argument, 0, 'd'},
        {"progress", required_argument, 0, 'p'}, {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},         {"version", no_argument, 0, 'V'},
        {"list-agents", no_argument, 0, 'L'},  {"break-lock", no_argument, 0, 'B'},
        {"results-format", no_argument, 0, 'F'},
        {0, 0, 0, 0},
    };
    memset(c, 0, sizeof *c);
    c->progress = 5.0;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":o:qhV", opts, NULL)) != -1) {
        switch (ch) {
        case 'o': c->output = optarg; break;
        case 'r': c->resume = 1; break;
        case 'f': c->force = 1; break;
        case 'd': c->dry_run = 1; break;
        case 'q': c->quiet = 1; break;
        case 'h': c->help = 1; break;
        case 'V': c->version = 1; break;
        case 'L': c->list_agents = 1; break;
        case 'F': c->schema = 1; break;
        case 'B': c->break_lock = 1; break;
        case 'p': {
            char *end;
            c->progress = strtod(optarg, &end);
            if (*end || !(c->progress >= 0)) {
                snprintf(err, n, "--progress: expected a number of seconds >= 0, got \"%s\"", optarg);
                return -1;
            }
            break;
        }
        case ':': snprintf(err, n, "option %s needs a value", argv[optind - 1]); return -1;
        default: snprintf(err, n, "unknown option %s", argv[optind - 1]); return -1;
        }
    }
    if (c->help || c->version || c->list_agents || c->schema) return 0;
    if (optind >= argc) { snprintf(err, n, "missing the job file (JOB.yaml)"); return -1; }
    if (optind + 1 < argc) { snprintf(err, n, "unexpected argument \"%s\"", argv[optind + 1]); return -1; }
    c->job_path = argv[optind];
    if (c->resume && c->force) { snprintf(err, n, "--resume and --force exclude each other"); return -1; }
    return 0;
}

/* Rank 0 reads the job file and broadcasts its bytes, or the kind of failure:
 * the same status on every rank. */
static job_status_t bcast_job_text(const char *path, char **text, size_t *len, char *err, size_t n, int rank) {
    long L = -(long)JOB_ERR_IO;
    *text = NULL;
    if (rank == 0) {
        job_status_t st = jobspec_read_file(path, text, len, err, n);
        L = st == JOB_OK ? (long)*len : -(long)st;
    }
    MPI_Bcast(&L, 1, MPI_LONG, 0, MPI_COMM_WORLD);
    if (L < 0) return (job_status_t)-L;
    if (rank != 0) {
        *text = malloc((size_t)L + 1);
        if (!*text) { snprintf(err, n, "out of memory"); return JOB_ERR_IO; }
        (*text)[L] = 0;
        *len = (size_t)L;
    }
    MPI_Bcast(*text, (int)L, MPI_CHAR, 0, MPI_COMM_WORLD);
    return JOB_OK;
}

/* Every agent class with its parameter table, as Markdown (jobs/README.md
 * carries this output). */
static void print_agents(void) {
    static const char *const tn[] = {"integer", "real", "boolean", "choice"};
    for (int i = 0; agent_classes[i]; i++) {
        const agent_class_t *c = agent_classes[i];
        printf("**%s** — %s.\n\n", c->name, c->help);
        if (c->n_params == 0) {
            printf("No parameters.\n\n");
            continue;
        }
        printf("| parameter | type | default | range or choices | meaning |\n| --- | --- | --- | --- | --- |\n");
        for (int k = 0; k < c->n_params; k++) {
            const param_spec_t *p = &c->params[k];
            char def[64], range[256] = "";
            param_format(p, p->def, def, sizeof def);
            if (p->type == PT_CHOICE || p->type == PT_BOOL) {
                size_t o = 0;
                for (int j = 0; p->type == PT_CHOICE && p->choices[j]; j++)
                    o += (size_t)snprintf(range + o, sizeof range - o, "%s`%s`", j ? ", " : "", p->choices[j]);
                if (p->type == PT_BOOL) snprintf(range, sizeof range, "`true`, `false`");
            } else {
                snprintf(range, sizeof range, "[%g, %g]", p->lo, p->hi);
            }
            printf("| `%s` | %s | %s | %s | ", p->name, tn[p->type], def, range);
            for (const char *h = p->help; *h; h++) {
                if (*h == '|') putchar('\\');
                putchar(*h);
            }
            printf(" |\n");
        }
        printf("\n");
    }
}

/* One comment line per world: its size, slip, episode cap and the shortest
 * route from start to goal (BFS, ignoring slips), the yardstick for steps. */
static void print_worlds(const worlds_t *ws) {
    for (int e = 0; e < ws->n; e++) {
        const gridworld_t *w = &ws->w[e];
        if (w->n_contexts > 1)
            printf("# world %s: %dx%d, slip %g, max_steps %d, %d hidden contexts, cue reliability %g, optimal "
                   "route %.2f steps expected (%s)\n", w->name, w->rows, w->cols, w->slip, w->max_steps,
                   w->n_contexts, w->cue_rel, w->opt_steps,
                   w->n_cues ? "the cue first, then the context's goal" : "no cue: straight to the context's goal");
        else
            printf("# world %s: %dx%d, slip %g, max_steps %d, optimal path %d steps\n", w->name, w->rows, w->cols,
                   w->slip, w->max_steps, w->dist[w->start]);
    }
}

static void print_dry_run(const jobspec_t *job, const runlist_t *rl, const worlds_t *ws,
                          const plan_t *plan, const char *out) {
    printf("# job %s (%s), sha256 %s\n", job->name, job->path, job->sha256);
    printf("# %ld runs in %ld conditions x %d seeds; output %s\n", rl->n, rl->n_conditions, job->n_seeds, out);
    print_worlds(ws);
    printf("run_id\tcondition\tagent\tenv\tseed\tparams\n");
    for (long i = 0; i < rl->n; i++) {
        const run_t *r = &rl->runs[i];
        const job_agent_t *ja = &job->agents[r->agent];
        printf("%ld\t%ld\t%s\t%s\t%lld\t", r->run_id, r->condition, ja->label, job->envs[r->env].name,
               (long long)r->seed);
        for (int k = 0; k < ja->cls->n_params; k++) {
            char v[64];
            param_format(&ja->cls->params[k], r->pv[k], v, sizeof v);
            printf("%s%s=%s", k ? "," : "", ja->cls->params[k].name, v);
        }
        printf("\n");
    }
    double b = store_estimate_bytes(plan);
    printf("# results file: about %.3g MB (%.0f bytes per run)\n", b / 1e6, rl->n ? b / (double)rl->n : 0);
}

/* Rank 0: per agent and world, runs done, mean steps, success, holes and
 * time-outs, read back from the file through the store (so resumed runs
 * count too; /eval/outcome says how each episode ended). */
static void print_summary(const char *path, const plan_t *plan, const sweep_t *sw) {
    const long R = plan->dims.n_runs;
    const int E = plan->dims.eval_episodes;
    int8_t *status = malloc((size_t)R + 1), *outcome = malloc((size_t)R * (size_t)E + 1);
    int32_t *steps = malloc(sizeof(int32_t) * (size_t)R * (size_t)E + 1);
    char err[1024];
    if (!status || !outcome || !steps) {
        fprintf(stderr, "aif-sweep: no summary: out of memory\n");
    } else if (store_read_outcomes(path, plan, status, steps, outcome, err, sizeof err) != 0) {
        fprintf(stderr, "aif-sweep: no summary: %s\n", err);
    } else {
        const jobspec_t *job = sw->job;
        fprintf(stderr, "%-20s %-16s %6s %6s %11s %9s %7s %9s\n", "agent", "env", "runs", "failed",
                "mean steps", "success", "holes", "time-outs");
        for (int ag = 0; ag < job->n_agents; ag++) {
            for (int e = 0; e < job->n_envs; e++) {
                const int cap = job->envs[e].max_steps;
                long runs = 0, failed = 0, n = 0, ns = 0, nh = 0;
                double sum = 0;
                for (long r = 0; r < R; r++) {
                    const run_t *run = &sw->rl->runs[r];
                    if (run->agent != ag || run->env != e) continue;
                    if (status[r] == RUN_FAILED) failed++;
                    if (status[r] != RUN_DONE) continue;
                    runs++;
                    /* Steps to goal: a missed goal counts max_steps, however
                     * soon the episode ended (a hole). */
                    for (int k = 0; k < E; k++) {
                        const int8_t how = outcome[r * E + k];
                        sum += how == 0 ? steps[r * E + k] : cap;
                        ns += how == 0;
                        nh += how == 1;
                        n++;
                    }
                }
                if (runs + failed == 0) continue;
                fprintf(stderr, "%-20s %-16s %6ld %6ld %11.2f %8.1f%% %6.1f%% %8.1f%%\n", job->agents[ag].label,
                        job->envs[e].name, runs, failed, n ? sum / (double)n : NAN,
                        n ? 100.0 * (double)ns / (double)n : NAN, n ? 100.0 * (double)nh / (double)n : NAN,
                        n ? 100.0 * (double)(n - ns - nh) / (double)n : NAN);
            }
        }
    }
    free(status);
    free(steps);
    free(outcome);
}

static void size_refusal(const char *job_path, double bytes, double limit_gb, const char *at_least) {
    fprintf(stderr,
            "aif-sweep: %s: the results file would take %s%.1f GB, more than max_file_gb = %g; "
            "reduce the sweep (log_episodes, checkpoints, eval_episodes) or pass --force\n",
            job_path, at_least, bytes / 1e9, limit_gb);
}


/* ---- the steps of a sweep ------------------------------------------------------- */

#define GO_ON (-1)   /* a step's "carry on"; any other value is the exit status */

typedef struct {
    cli_t cli;
    int rank, size;
    char err[2048];
    char *text;                   /* the job file's bytes (every rank) */
    size_t len;
    jobspec_t job;
    worlds_t ws;                  /* built with the job: have_job covers both */
    runlist_t rl;
    plan_t plan;
    int have_job, have_rl, have_plan;
    const char *out;              /* the results file */
    const char *locked;           /* the results file whose lock rank 0 holds */
    store_t *st;
    double t_open;                /* seconds to create or open the file */
} session_t;

/* Exit status of a failed job load: every kind is "bad command line or job
 * file" (2), as the usage text promises. */
static int exit_for(job_status_t kind) {
    switch (kind) {
    case JOB_OK: return EXIT_DONE;
    case JOB_ERR_USAGE: return EXIT_USAGE;
    case JOB_ERR_FILE: return EXIT_USAGE;
    case JOB_ERR_IO: return EXIT_USAGE;
    }
    return EXIT_ERROR;
}

/* A refusal to touch an existing file is a usage error; the rest are I/O. */
static int store_failure_exit(int store_rc) { return store_rc == STORE_REFUSED ? EXIT_USAGE : EXIT_ERROR; }

/* Options, and the requests that need no job (--help, --version, --list-agents,
 * --results-format). */
static int step_options(session_t *s, int argc, char **argv) {
    if (parse_cli(argc, argv, &s->cli, s->err, sizeof s->err) != 0) {
        if (s->rank == 0) fprintf(stderr, "aif-sweep: %s (try --help)\n", s->err);
        return exit_for(JOB_ERR_USAGE);
    }
    if (s->cli.list_agents) {
        if (s->rank == 0) print_agents();
        return EXIT_DONE;
    }
    if (s->cli.schema) {
        if (s->rank == 0) store_print_schema(stdout);
        return EXIT_DONE;
    }
    if (!s->cli.help && !s->cli.version) return GO_ON;
    if (s->rank == 0 && s->cli.help) fputs(usage, stdout);
    if (s->rank == 0 && s->cli.version) {
        char h5[32];
        store_hdf5_version(h5, sizeof h5);
        printf("aif-sweep %s (commit %s), HDF5 %s, OpenBLAS %s\n", aif_version(), aif_git_commit(), h5,
               openblas_get_config());
    }
    return EXIT_DONE;
}

/* The job and its worlds, built once.  Every rank parses the same bytes, so
 * all reach the same verdict. */
static int step_load(session_t *s) {
    job_status_t st = bcast_job_text(s->cli.job_path, &s->text, &s->len, s->err, sizeof s->err, s->rank);
    if (st == JOB_OK) st = job_load(&s->job, &s->ws, s->cli.job_path, s->text, s->len, s->err, sizeof s->err);
    if (st != JOB_OK) {
        if (s->rank == 0) fprintf(stderr, "aif-sweep: %s\n", s->err);
        return exit_for(st);
    }
    s->have_job = 1;
    return GO_ON;
}

/* The run list and the file's layout, behind the size guard; --dry-run ends here. */
static int step_plan(session_t *s) {
    const cli_t *c = &s->cli;
    /* The size guard, first from the counts alone: a sweep far over the
     * limit is refused before its runs are expanded (memory and time). */
    layout_dims_t floor_dims;
    int n_number = 0, n_text = 0;
    if (plan_count(&s->job, &floor_dims, &n_number, &n_text, s->err, sizeof s->err) != 0) {
        if (s->rank == 0) fprintf(stderr, "aif-sweep: %s: %s\n", c->job_path, s->err);
        return EXIT_USAGE;
    }
    double floor_bytes = store_estimate_bytes_floor(&floor_dims, n_number, n_text);
    if (!c->resume && !c->force && !c->dry_run && floor_bytes > s->job.max_file_gb * 1e9) {
        if (s->rank == 0) size_refusal(c->job_path, floor_bytes, s->job.max_file_gb, "at least ");
        return EXIT_USAGE;
    }
    if (jobspec_expand(&s->job, &s->rl, s->err, sizeof s->err) != 0) {
        if (s->rank == 0) fprintf(stderr, "aif-sweep: %s: %s\n", c->job_path, s->err);
        return EXIT_USAGE;
    }
    s->have_rl = 1;
    if (plan_build(&s->plan, &s->job, &s->rl, &s->ws, s->err, sizeof s->err) != 0) {
        if (s->rank == 0) fprintf(stderr, "aif-sweep: %s: %s\n", c->job_path, s->err);
        return EXIT_USAGE;
    }
    s->have_plan = 1;
    s->out = c->output ? c->output : s->job.output;
    double bytes = store_estimate_bytes(&s->plan);
    if (c->dry_run) {
        if (s->rank == 0) print_dry_run(&s->job, &s->rl, &s->ws, &s->plan, s->out);
        return EXIT_DONE;
    }
    if (!c->resume && !c->force && bytes > s->job.max_file_gb * 1e9) {
        if (s->rank == 0) size_refusal(c->job_path, bytes, s->job.max_file_gb, "");
        return EXIT_USAGE;
    }
    return GO_ON;
}

/* The results file: checked, locked, then created or opened (collective). */
static int step_open(session_t *s) {
    const cli_t *c = &s->cli;
    /* What is at the output path, checked before anything is written. */
    int out_ok = s->rank != 0 || store_check_output(s->out, c->job_path, c->resume ? 'r' : c->force ? 'f' : 'c',
                                                    s->err, sizeof s->err) == 0;
    MPI_Bcast(&out_ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (!out_ok) {
        if (s->rank == 0) fprintf(stderr, "aif-sweep: %s\n", s->err);
        return EXIT_USAGE;
    }
    if (s->rank == 0 && c->resume && store_check_job_text(s->out) == 0)
        fprintf(stderr, "aif-sweep: warning: %s: its job_yaml does not match its job_sha256 (the stored job text "
                        "was changed); the runs follow %s, whose text has that hash\n", s->out, c->job_path);
    /* The file is this sweep's alone from here to the end. */
    int lk = LOCK_OK;
    char note[1200] = "";
    if (s->rank == 0) lk = lock_acquire(s->out, c->job_path, c->break_lock, note, sizeof note, s->err, sizeof s->err);
    MPI_Bcast(&lk, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (lk != LOCK_OK) {
        if (s->rank == 0) fprintf(stderr, "aif-sweep: %s\n", s->err);
        return lk == LOCK_HELD ? EXIT_USAGE : EXIT_ERROR;
    }
    s->locked = s->out;
    s->t_open = MPI_Wtime();
    int rc = c->resume ? store_open(&s->st, s->out, MPI_COMM_WORLD, &s->plan, s->err, sizeof s->err)
                       : store_create(&s->st, s->out, c->force, MPI_COMM_WORLD, &s->plan, s->err, sizeof s->err);
    s->t_open = MPI_Wtime() - s->t_open;
    /* A lock taken over stays so once the file may have been touched; after a
     * refusal, lock_release puts it back as it was, and nothing is said. */
    if (s->rank == 0 && rc != STORE_REFUSED) {
        lock_opened(s->out);
        if (note[0]) fprintf(stderr, "aif-sweep: %s\n", note);
    }
    if (rc != 0) {
        if (s->rank == 0) fprintf(stderr, "aif-sweep: %s\n", s->err);
        return store_failure_exit(rc);
    }
    return GO_ON;
}

/* s as one shell word: as it is when it holds only characters no shell
 * treats specially, else in single quotes (a quote inside as '\''). */
static const char *shell_quote(const char *s, char *buf, size_t n) {
    if (s[0] && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./+-=:,@%") == strlen(s))
        return s;
    size_t k = 0;
    if (k + 1 < n) buf[k++] = '\'';
    for (const char *p = s; *p && k + 5 < n; p++) {
        if (*p == '\'') {
            memcpy(buf + k, "'\\''", 4);
            k += 4;
        } else {
            buf[k++] = *p;
        }
    }
    if (k + 1 < n) buf[k++] = '\'';
    buf[k] = '\0';
    return buf;
}

/* The sweep itself, then the file closed and (rank 0) the summary. */
static int step_run(session_t *s) {
    const cli_t *c = &s->cli;
    if (s->rank == 0 && !c->quiet) {
        fprintf(stderr, "aif-sweep: %s: %ld runs (%ld conditions x %d seeds) on %d rank%s -> %s\n", s->job.name,
                s->rl.n, s->rl.n_conditions, s->job.n_seeds, s->size, s->size > 1 ? "s" : "", s->out);
        fprintf(stderr, "aif-sweep: %s %s in %.3f s\n", c->resume ? "opened and checked" : "created the layout of",
                s->out, s->t_open);
    }
    runner_opts_t ro = {.progress_seconds = c->progress, .quiet = c->quiet};
    const sweep_t sw = {.job = &s->job, .rl = &s->rl, .ws = &s->ws};
    int code = runner_run(s->st, &s->plan, &sw, &ro, MPI_COMM_WORLD);
    if (store_close(s->st, s->err, sizeof s->err) != 0) {
        if (s->rank == 0) fprintf(stderr, "aif-sweep: %s: %s\n", s->out, s->err);
        code = EXIT_ERROR;
    }
    /* Another sweep replaced the file meanwhile (--force after --break-lock):
     * the runs done here went to the old one. */
    int lost = s->rank == 0 && lock_file_replaced(s->out, s->err, sizeof s->err);
    MPI_Bcast(&lost, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (lost) {
        if (s->rank == 0) fprintf(stderr, "aif-sweep: %s\n", s->err);
        return EXIT_ERROR;
    }
    if (s->rank != 0) return code;
    if (!c->quiet) print_summary(s->out, &s->plan, &sw);
    if (code == EXIT_INTERRUPTED) {
        char qj[8200], qo[8200];
        fprintf(stderr, "aif-sweep: stopped by signal; the file is closed and consistent. "
                        "Finish with: aif-sweep %s -o %s --resume\n", shell_quote(c->job_path, qj, sizeof qj),
                shell_quote(s->out, qo, sizeof qo));
    } else if (code == EXIT_DONE || code == EXIT_RUNS_FAILED)
        fprintf(stderr, "aif-sweep: results in %s%s\n", s->out,
                code == EXIT_RUNS_FAILED ? " (some runs failed: see /runs/message)" : "");
    return code;
}

static void sweep_free(session_t *s) {
    if (s->rank == 0 && s->locked) lock_release(s->locked);
    if (s->have_plan) plan_free(&s->plan);
    if (s->have_rl) runlist_free(&s->rl);
    if (s->have_job) {
        worlds_free(&s->ws);
        jobspec_free(&s->job);
    }
    free(s->text);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    static session_t s;             /* static: zeroed, and its buffers off the stack */
    MPI_Comm_rank(MPI_COMM_WORLD, &s.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &s.size);
    /* One BLAS thread per rank: ranks are the parallelism, and results must not
     * depend on a thread count. */
    openblas_set_num_threads(1);
    runner_install_signals();
    fault_init();

    int code = step_options(&s, argc, argv);
    if (code == GO_ON) code = step_load(&s);
    if (code == GO_ON) code = step_plan(&s);
    if (code == GO_ON) code = step_open(&s);
    if (code == GO_ON) code = step_run(&s);
    sweep_free(&s);
    /* Every rank leaves together, once rank 0 has printed its summary and
     * released the lock: under srun --wait (slurm/sweep.sbatch), the first
     * rank to end starts the clock after which the others are killed, which
     * is what ends a job whose worker died. */
    runner_sleepy_barrier(MPI_COMM_WORLD);
    MPI_Finalize();
    return code;
}
