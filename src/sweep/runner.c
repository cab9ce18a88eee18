/* runner: rank 0 coordinates, the other ranks work. */
#include "sweep/runner.h"
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/fault.h"

volatile sig_atomic_t runner_stop = 0;

static void on_signal(int sig) { runner_stop = sig; }

void runner_install_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

enum { TAG_REQUEST = 101, TAG_ASSIGN = 102 };
/* Request payload: {finished run id or -1, its status, leaving (1: this worker stops)}. */

static double mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void fmt_dur(double s, char *buf, size_t n) {
    if (s < 0 || s > 1e8) { snprintf(buf, n, "?"); return; }
    long t = (long)(s + 0.5);
    snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
}

typedef struct {
    long total, done, failed, todo_at_start, finished_now, finished_at_print;
    double t0, last_print;
    const runner_opts_t *opts;
} progress_t;

static void progress(progress_t *p, int running, int force) {
    double now = mono();
    if (p->opts->quiet) return;
    /* A line when something finished since the last one, else a heartbeat a minute. */
    double gap = now - p->last_print;
    if (!force && (gap < p->opts->progress_seconds || (p->finished_now == p->finished_at_print && gap < 60)))
        return;
    p->last_print = now;
    p->finished_at_print = p->finished_now;
    double el = now - p->t0;
    double rate = el > 0 ? (double)p->finished_now / el : 0;
    long left = p->todo_at_start - p->finished_now;
    char e[32], eta[32];
    fmt_dur(el, e, sizeof e);
    fmt_dur(rate > 0 ? (double)left / rate : -1, eta, sizeof eta);
    fprintf(stderr, "aif-sweep: %ld/%ld runs done, %ld failed, %d running | %.2f runs/s | elapsed %s | ETA %s\n",
            p->done, p->total, p->failed, running, rate, e, left > 0 ? eta : "0:00:00");
    fflush(stderr);
}

static void account(progress_t *p, int status) {
    if (status == RUN_DONE) { p->done++; p->finished_now++; }
    else if (status == RUN_FAILED) { p->failed++; p->finished_now++; }
}

/* Execute one run and store it.  Returns the run's final status, or -1 on an
 * I/O error. */
static int do_run(store_t *st, const plan_t *plan, const sweep_t *sw, long id, int rank, run_result_t *res) {
    char err[512];
    if (store_mark_started(st, id, rank, err, sizeof err) != 0) {
        fprintf(stderr, "aif-sweep: rank %d: %s\n", rank, err);
        return -1;
    }
    FAULT_POINT("run_start");
    int rc = run_execute(sw->job, sw->ws, &sw->rl->runs[id], &plan->dims, res, &runner_stop);
    res->rank = rank;
    if (rc != 0) {
        /* Interrupted: the run goes back to pending for --resume. */
        if (store_mark_pending(st, id, err, sizeof err) != 0) {
            fprintf(stderr, "aif-sweep: rank %d: %s\n", rank, err);
            return -1;
        }
        return RUN_PENDING;
    }
    if (res->status == RUN_FAILED)
        fprintf(stderr, "aif-sweep: run %ld failed: %s\n", id, res->message);
    FAULT_POINT("before_write");
    if (store_write_run(st, res, err, sizeof err) != 0) {
        fprintf(stderr, "aif-sweep: rank %d: %s\n", rank, err);
        return -1;
    }
    return res->status;
}

/* CPU time of this process (every thread), user + system. */
static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static void nap(double seconds) {
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Wait for a nonblocking request without spinning a core: test, then nap,
 * the nap doubling from 20 us up to cap_s.  A blocking MPI_Recv or
 * collective busy-polls in Open MPI, so a worker waiting for its reply, or for
 * the last runs of the sweep to finish, would otherwise burn a whole core
 * that oversubscribed ranks need. */
static void wait_sleeping(MPI_Request *req, double cap_s) {
    int flag = 0;
    double s = 20e-6;
    for (;;) {
        MPI_Test(req, &flag, MPI_STATUS_IGNORE);
        if (flag) return;
        nap(s);
        s = s * 2 > cap_s ? cap_s : s * 2;
    }
}

void runner_sleepy_barrier(MPI_Comm comm) {
    MPI_Request req;
    MPI_Ibarrier(comm, &req);
    wait_sleeping(&req, 50e-3);
}

/* What every part of a rank's sweep shares. */
typedef struct {
    store_t *st;
    const plan_t *plan;
    const sweep_t *sw;
    const runner_opts_t *opts;
    MPI_Comm comm;
    int rank, size;
    run_result_t res;      /* workers' (and a lone rank 0's) one record for the whole sweep */
    int io_error;
} sweep_ctx_t;

/* Rank 0: the runs still to do, into todo[*ntodo], counting the finished
 * ones in p.  A finished run counts only if its rows match their checksum
 * (resume): damaged ones are run again.  0, or -1 on an I/O error. */
static int find_todo(sweep_ctx_t *c, progress_t *p, int8_t *status, long *todo, long *ntodo) {
    char err[512];
    const long R = c->plan->dims.n_runs;
    *ntodo = 0;
    if (store_read_status(c->st, status, err, sizeof err) != 0) {
        fprintf(stderr, "aif-sweep: %s\n", err);
        return -1;
    }
    long bad = 0;
    for (long i = 0; i < R; i++) {
        int ok = 1;
        if ((status[i] == RUN_DONE || status[i] == RUN_FAILED) &&
            store_verify_run(c->st, i, status[i], &ok, err, sizeof err) != 0) {
            fprintf(stderr, "aif-sweep: %s\n", err);
            *ntodo = 0;
            return -1;
        }
        if (!ok) {
            if (bad++ < 20)
                fprintf(stderr, "aif-sweep: run %ld is marked %s but fails its checksum (damaged): "
                                "running it again\n", i, status[i] == RUN_DONE ? "done" : "failed");
            todo[(*ntodo)++] = i;
        } else if (status[i] == RUN_DONE) p->done++;
        else if (status[i] == RUN_FAILED) p->failed++;
        else todo[(*ntodo)++] = i;
    }
    if (bad > 20) fprintf(stderr, "aif-sweep: %ld runs failed their checksum in all\n", bad);
    return 0;
}

/* A lone rank 0 runs everything itself. */
static void run_alone(sweep_ctx_t *c, progress_t *p, const long *todo, long ntodo) {
    for (long next = 0; next < ntodo && !runner_stop && !c->io_error;) {
        int s = do_run(c->st, c->plan, c->sw, todo[next++], 0, &c->res);
        if (s < 0) c->io_error = 1;
        else account(p, s);
        progress(p, 0, 0);
    }
}

/* Rank 0 with workers: hand out todo on request until every worker has left.
 * The nap doubles while idle, up to a tenth of the mean time a worker takes
 * for a run, or of the time since the last message if that is longer (within
 * [20 us, 5 ms]): a worker then waits at most ~10% of its time for an answer,
 * and long runs, or a long one after short ones, cost the coordinator almost
 * no CPU. */
static void coordinate(sweep_ctx_t *c, progress_t *p, const long *todo, long ntodo) {
    int active = c->size - 1, running = 0;
    long next = 0;
    double sleep_s = 20e-6, nap_cap = 5e-3, service_avg = 0, last_msg = mono();
    double *assigned_at = calloc((size_t)c->size, sizeof(double));
    if (!assigned_at) { fprintf(stderr, "aif-sweep: out of memory\n"); c->io_error = 1; }
    while (active > 0) {
        int flag = 0;
        MPI_Status ms;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_REQUEST, c->comm, &flag, &ms);
        if (!flag) {
            /* Back off while idle: a blocking receive would spin a core. */
            nap(sleep_s);
            double quiet = (mono() - last_msg) / 10, cap = quiet > nap_cap ? quiet : nap_cap;
            if (cap > 5e-3) cap = 5e-3;
            sleep_s = sleep_s * 2 > cap ? cap : sleep_s * 2;
            progress(p, running, 0);
            continue;
        }
        sleep_s = 20e-6;
        last_msg = mono();
        long msg[3];
        MPI_Recv(msg, 3, MPI_LONG, ms.MPI_SOURCE, TAG_REQUEST, c->comm, MPI_STATUS_IGNORE);
        if (msg[0] >= 0 && assigned_at) {
            double service = mono() - assigned_at[ms.MPI_SOURCE];
            service_avg = service_avg > 0 ? 0.9 * service_avg + 0.1 * service : service;
            nap_cap = service_avg / 10 < 20e-6 ? 20e-6 : service_avg / 10 > 5e-3 ? 5e-3 : service_avg / 10;
        }
        if (msg[0] >= 0) {
            running--;
            if (msg[1] < 0) c->io_error = 1;
            else account(p, (int)msg[1]);
        }
        if (msg[2]) {          /* the worker is leaving (signal or I/O error) */
            active--;
            if (!runner_stop) runner_stop = SIGTERM;
            continue;
        }
        long assign = -1;
        if (!runner_stop && !c->io_error && next < ntodo) assign = todo[next++];
        MPI_Send(&assign, 1, MPI_LONG, ms.MPI_SOURCE, TAG_ASSIGN, c->comm);
        if (assigned_at) assigned_at[ms.MPI_SOURCE] = mono();
        if (assign < 0) active--;
        else running++;
        if (assign >= 0) FAULT_POINT("dispatch");
        progress(p, running, 0);
    }
    free(assigned_at);
}

/* Rank 0's part: find what is left, run or dispatch it, report; the exit code. */
static int coordinator(sweep_ctx_t *c) {
    const long R = c->plan->dims.n_runs;
    int8_t *status = malloc((size_t)(R > 0 ? R : 1));
    long *todo = malloc(sizeof(long) * (size_t)(R > 0 ? R : 1));
    progress_t p = {.total = R, .t0 = mono(), .opts = c->opts};
    p.last_print = p.t0;
    long ntodo = 0;
    if (!status || !todo) {
        fprintf(stderr, "aif-sweep: out of memory\n");
        c->io_error = 1;
    } else if (find_todo(c, &p, status, todo, &ntodo) != 0) {
        c->io_error = 1;
    }
    p.todo_at_start = ntodo;
    const double cpu0 = cpu_seconds();
    if (!c->opts->quiet && ntodo < R)
        fprintf(stderr, "aif-sweep: resuming: %ld runs already done, %ld failed, %ld to run\n",
                p.done, p.failed, ntodo);
    if (c->size == 1) run_alone(c, &p, todo, ntodo);
    else coordinate(c, &p, todo, ntodo);
    /* One machine-readable line for benchmarks: how fast runs went through,
     * and what the coordinator cost while they did. */
    double wall = mono() - p.t0, cpu = cpu_seconds() - cpu0;
    if (!c->opts->quiet)
        fprintf(stderr, "aif-sweep: dispatched %ld runs in %.3f s (%.1f runs/s) on %d rank%s; "
                        "rank 0 CPU %.3f s (%.2f%% of wall)\n",
                p.finished_now, wall, wall > 0 ? (double)p.finished_now / wall : 0.0, c->size,
                c->size > 1 ? "s" : "", cpu, wall > 0 ? 100.0 * cpu / wall : 0.0);
    progress(&p, 0, 1);
    free(status);
    free(todo);
    if (c->io_error) return EXIT_ERROR;
    if (p.done + p.failed < R) return EXIT_INTERRUPTED;
    return p.failed > 0 ? EXIT_RUNS_FAILED : EXIT_DONE;
}

/* A worker: ask for a run, run it, report it with the next request; leave on
 * a stop, an I/O error or the coordinator's -1. */
static void worker(sweep_ctx_t *c) {
    long msg[3] = {-1, 0, 0};
    for (;;) {
        if (runner_stop || c->io_error) msg[2] = 1;
        MPI_Send(msg, 3, MPI_LONG, 0, TAG_REQUEST, c->comm);
        if (msg[2]) break;
        long id;
        MPI_Request req;
        MPI_Irecv(&id, 1, MPI_LONG, 0, TAG_ASSIGN, c->comm, &req);
        wait_sleeping(&req, 5e-3);
        if (id < 0) break;
        int s = do_run(c->st, c->plan, c->sw, id, c->rank, &c->res);
        msg[0] = id;
        msg[1] = s;
        if (s < 0) c->io_error = 1;
    }
}

int runner_run(store_t *st, const plan_t *plan, const sweep_t *sw, const runner_opts_t *opts, MPI_Comm comm) {
    sweep_ctx_t c = {.st = st, .plan = plan, .sw = sw, .opts = opts, .comm = comm};
    MPI_Comm_rank(comm, &c.rank);
    MPI_Comm_size(comm, &c.size);
    int have_res = 0;
    if (c.size == 1 || c.rank != 0) {
        if (result_alloc(&c.res, &plan->dims, plan->max_ckpt_floats) != 0)
            fprintf(stderr, "aif-sweep: rank %d: out of memory for the result record\n", c.rank);
        else
            have_res = 1;
    }
    int alloc_ok = have_res || (c.size > 1 && c.rank == 0), all_alloc = 0;
    MPI_Allreduce(&alloc_ok, &all_alloc, 1, MPI_INT, MPI_LAND, comm);
    if (!all_alloc) {
        if (have_res) result_free(&c.res);
        return EXIT_ERROR;
    }
    int exit_code = EXIT_DONE;
    if (c.rank == 0) exit_code = coordinator(&c);
    else worker(&c);
    if (have_res) result_free(&c.res);
    /* Ranks done early wait here, asleep, for the last runs (the close after
     * this is collective, and would spin). */
    runner_sleepy_barrier(comm);
    MPI_Bcast(&exit_code, 1, MPI_INT, 0, comm);
    return exit_code;
}
