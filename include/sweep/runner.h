/* runner: the coordinator/worker protocol, signals and progress.
 *
 * Rank 0 hands out run ids on request, dynamically, so fast and slow runs
 * balance; it sleeps between polls instead of spinning in a blocking receive.
 * With one rank, rank 0 runs everything itself.  On SIGTERM, SIGUSR1 or SIGINT
 * rank 0 stops handing out work, a worker abandons its current run (which goes
 * back to pending), and the job closes the file cleanly. */
#ifndef AIF_RUNNER_H
#define AIF_RUNNER_H
#include <mpi.h>
#include <signal.h>
#include "run/run.h"
#include "store/store.h"

/* Exit statuses of aif-sweep (documented in --help and the README). */
enum {
    EXIT_DONE = 0,         /* every run done */
    EXIT_ERROR = 1,        /* runtime error (I/O, MPI) */
    EXIT_USAGE = 2,        /* bad command line or job file; nothing written */
    EXIT_INTERRUPTED = 3,  /* stopped by a signal: finish with --resume */
    EXIT_RUNS_FAILED = 4,  /* sweep complete, but some runs failed (see /runs/message) */
};

typedef struct {
    double progress_seconds;   /* at most one progress line per this many seconds */
    int quiet;                 /* no progress lines */
} runner_opts_t;

extern volatile sig_atomic_t runner_stop;   /* set by the signal handler */
void runner_install_signals(void);

/* (collective) Run every run of sw whose status is pending or started, into
 * the store built from plan.  Returns an EXIT_* status, identical on every
 * rank. */
int runner_run(store_t *st, const plan_t *plan, const sweep_t *sw, const runner_opts_t *opts, MPI_Comm comm);
/* (collective) A barrier that sleeps while it waits instead of spinning. */
void runner_sleepy_barrier(MPI_Comm comm);

#endif
