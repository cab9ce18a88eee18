/* fault: named kill points for the fault-injection tests (see fault.h). */
#include "core/fault.h"
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

int fault_armed = 0;

#define HOST_LEN 64

static char point[64];
static long count = 1, arrivals = 0;
static int only_rank = -1, my_rank = 0, whole_job = 1, n_peers = 0;
static pid_t *peers;   /* pids of the other ranks on this host */

void fault_init(void) {
    const char *spec = getenv("AIF_FAULT");
    int local = spec && spec[0], any = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &my_rank);
    /* Agree on whether anyone is armed, so the exchange below is collective
     * even if the environment were not forwarded to every rank. */
    MPI_Allreduce(&local, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (!any) return;
    int size;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    struct { char host[HOST_LEN]; long pid; } me, *all = calloc((size_t)size, sizeof me);
    memset(&me, 0, sizeof me);
    gethostname(me.host, HOST_LEN - 1);
    me.pid = (long)getpid();
    if (!all) abort();
    MPI_Allgather(&me, (int)sizeof me, MPI_BYTE, all, (int)sizeof me, MPI_BYTE, MPI_COMM_WORLD);
    peers = calloc((size_t)size, sizeof *peers);
    if (!peers) abort();
    for (int r = 0; r < size; r++)
        if (r != my_rank && strcmp(all[r].host, me.host) == 0) peers[n_peers++] = (pid_t)all[r].pid;
    free(all);
    if (!local) return;

    const char *colon = strchr(spec, ':');
    size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
    if (n >= sizeof point) n = sizeof point - 1;
    memcpy(point, spec, n);
    point[n] = 0;
    if (colon) count = strtol(colon + 1, NULL, 10);
    if (count < 1) count = 1;
    const char *r = getenv("AIF_FAULT_RANK");
    if (r && r[0]) only_rank = atoi(r);
    const char *scope = getenv("AIF_FAULT_SCOPE");
    whole_job = !(scope && strcmp(scope, "rank") == 0);
    fault_armed = only_rank < 0 || only_rank == my_rank;
}

void fault_hit(const char *name) {
    if (strcmp(name, point) != 0 || ++arrivals != count) return;
    char msg[200];
    int len = snprintf(msg, sizeof msg, "aif-sweep: fault injection: SIGKILL at %s (arrival %ld) on rank %d%s\n",
                       name, arrivals, my_rank, whole_job ? ", whole job" : "");
    if (write(STDERR_FILENO, msg, (size_t)len) < 0) { /* nothing to do */ }
    if (whole_job)
        for (int i = 0; i < n_peers; i++) kill(peers[i], SIGKILL);
    raise(SIGKILL);
}
