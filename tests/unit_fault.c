/* Unit tests for fault: the named SIGKILL points (fault.h).
 *
 * A fault kills the process, so each scenario runs in a child: this binary
 * re-executed with UNIT_FAULT_CHILD set, which starts MPI as a singleton,
 * calls fault_init and walks a fixed sequence of points, writing a progress
 * line to the file UNIT_FAULT_LOG before each (so the parent knows where it
 * died).  The parent (the test) never starts MPI itself: a child forked or
 * spawned from an MPI process would inherit its job's environment.  Checked:
 * unarmed without AIF_FAULT; killed by SIGKILL exactly at the named point's
 * COUNT-th arrival (per name, COUNT 1 by default) with the documented stderr
 * line; never killed at other names (nor at a prefix of one), nor when COUNT
 * exceeds the arrivals, nor when AIF_FAULT_RANK names another rank; scope
 * `rank` still kills the rank itself. */
#include <errno.h>
#include <fcntl.h>
#include <mpi.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "core/fault.h"
#include "unit.h"

extern char **environ;

/* The points the child passes, in order. */
static const char *const walk[] = {"alpha", "beta", "alpha", "beta", "alpha", "gamma"};
#define N_WALK (int)(sizeof walk / sizeof walk[0])

/* ---- the child ------------------------------------------------------------------- */

static int child_main(int argc, char **argv) {
    alarm(120);   /* a hung MPI start-up ends as SIGALRM, not as a pass */
    const char *path = getenv("UNIT_FAULT_LOG");
    int fd = path ? open(path, O_WRONLY | O_CREAT | O_APPEND, 0600) : -1;
    if (fd < 0) return 2;
    MPI_Init(&argc, &argv);
    fault_init();
    dprintf(fd, "armed %d\n", fault_armed);
    for (int i = 0; i < N_WALK; i++) {
        int nth = 0;   /* this arrival's number at walk[i] */
        for (int k = 0; k <= i; k++) nth += !strcmp(walk[k], walk[i]);
        dprintf(fd, "at %s %d\n", walk[i], nth);
        FAULT_POINT(walk[i]);
    }
    dprintf(fd, "end\n");
    close(fd);
    MPI_Finalize();
    return 0;
}

/* ---- the parent ------------------------------------------------------------------ */

static char self_path[4096];

typedef struct {
    int exited, code, signaled, sig;
    char log[2048];   /* the child's progress lines */
    char err[4096];   /* its stderr */
    char last[128];   /* the last progress line (without newline) */
} outcome_t;

static void slurp(const char *path, char *buf, size_t n) {
    buf[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f) return;
    size_t k = fread(buf, 1, n - 1, f);
    buf[k] = 0;
    fclose(f);
}

/* Run the child with the given AIF_FAULT* settings (NULL: unset); 0, or -1 if
 * it could not be started. */
static int run_child(const char *fault, const char *rank, const char *scope, outcome_t *o) {
    memset(o, 0, sizeof *o);
    char dir[] = "/tmp/aif-unit-fault-XXXXXX";
    if (!mkdtemp(dir)) return -1;
    char logp[256], errp[256];
    snprintf(logp, sizeof logp, "%s/log", dir);
    snprintf(errp, sizeof errp, "%s/err", dir);

    /* The environment: ours without any AIF_FAULT*, plus the scenario's. */
    size_t n = 0;
    while (environ[n]) n++;
    char **env = calloc(n + 16, sizeof *env);
    if (!env) return -1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "AIF_FAULT", 9) != 0 && strncmp(environ[i], "UNIT_FAULT_", 11) != 0)
            env[k++] = environ[i];
    char e_fault[128], e_rank[64], e_scope[64], e_log[300];
    env[k++] = "UNIT_FAULT_CHILD=1";
    snprintf(e_log, sizeof e_log, "UNIT_FAULT_LOG=%s", logp);
    env[k++] = e_log;
    env[k++] = "OMPI_ALLOW_RUN_AS_ROOT=1";
    env[k++] = "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1";
    env[k++] = "OPENBLAS_NUM_THREADS=1";
    if (fault) { snprintf(e_fault, sizeof e_fault, "AIF_FAULT=%s", fault); env[k++] = e_fault; }
    if (rank) { snprintf(e_rank, sizeof e_rank, "AIF_FAULT_RANK=%s", rank); env[k++] = e_rank; }
    if (scope) { snprintf(e_scope, sizeof e_scope, "AIF_FAULT_SCOPE=%s", scope); env[k++] = e_scope; }
    env[k] = NULL;

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    char *args[] = {self_path, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, self_path, &fa, NULL, args, env);
    posix_spawn_file_actions_destroy(&fa);
    free(env);
    if (rc != 0) { fprintf(stderr, "posix_spawn %s: %s\n", self_path, strerror(rc)); return -1; }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return -1;
    o->exited = WIFEXITED(st);
    o->code = o->exited ? WEXITSTATUS(st) : -1;
    o->signaled = WIFSIGNALED(st);
    o->sig = o->signaled ? WTERMSIG(st) : 0;
    slurp(logp, o->log, sizeof o->log);
    slurp(errp, o->err, sizeof o->err);
    /* The last complete line. */
    size_t L = strlen(o->log);
    if (L && o->log[L - 1] == '\n') {
        size_t b = L - 1;
        while (b > 0 && o->log[b - 1] != '\n') b--;
        snprintf(o->last, sizeof o->last, "%.*s", (int)(L - 1 - b), o->log + b);
    }
    unlink(logp);
    unlink(errp);
    rmdir(dir);
    return 0;
}

/* The child could not start MPI at all (no log line past start-up): say so. */
#define RUN(fault, rank, scope, o) do { \
    CHECK_MSG(run_child(fault, rank, scope, &(o)) == 0, "could not start the child"); \
    CHECK_MSG(strncmp((o).log, "armed ", 6) == 0, \
              "the child did not get past MPI_Init + fault_init (exit %d, signal %d); stderr:\n%s", \
              (o).code, (o).sig, (o).err); } while (0)

static int count_lines(const char *s, const char *prefix) {
    int n = 0;
    for (const char *p = s; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        n += strncmp(p, prefix, strlen(prefix)) == 0;
    return n;
}

/* Ran the whole walk and exited normally, with `armed` as fault_armed. */
#define CHECK_SURVIVED(o, armed) do { \
    CHECK_MSG((o).exited && (o).code == 0, "exit %d signal %d; stderr:\n%s", (o).code, (o).sig, (o).err); \
    CHECK_MSG(strncmp((o).log, armed ? "armed 1\n" : "armed 0\n", 8) == 0, "log:\n%s", (o).log); \
    CHECK(count_lines((o).log, "at ") == N_WALK); \
    CHECK(!strcmp((o).last, "end")); \
    CHECK_MSG(strstr((o).err, "fault injection") == NULL, "stderr:\n%s", (o).err); } while (0)

/* Killed by SIGKILL right after the progress line `at NAME N` (the point
 * itself), with the line on stderr. */
#define CHECK_KILLED_AT(o, name, nth, whole) do { \
    char want_[128]; \
    CHECK_MSG((o).signaled && (o).sig == SIGKILL, "exit %d signal %d; stderr:\n%s", (o).code, (o).sig, (o).err); \
    CHECK_MSG(strncmp((o).log, "armed 1\n", 8) == 0, "log:\n%s", (o).log); \
    snprintf(want_, sizeof want_, "at %s %d", name, nth); \
    CHECK_MSG(!strcmp((o).last, want_), "died after '%s', want '%s'", (o).last, want_); \
    snprintf(want_, sizeof want_, "aif-sweep: fault injection: SIGKILL at %s (arrival %d) on rank 0%s\n", name, \
             nth, whole ? ", whole job" : ""); \
    CHECK_MSG(strstr((o).err, want_) != NULL, "stderr lacks '%s':\n%s", want_, (o).err); } while (0)

static void unarmed(void) {
    outcome_t o;
    RUN(NULL, NULL, NULL, o);
    CHECK_SURVIVED(o, 0);
    RUN("", NULL, NULL, o);   /* set but empty: not armed */
    CHECK_SURVIVED(o, 0);
}

static void first_arrival(void) {
    outcome_t o;
    RUN("beta", NULL, NULL, o);
    CHECK_KILLED_AT(o, "beta", 1, 1);
    CHECK(count_lines(o.log, "at ") == 2);   /* alpha, then beta: nothing after */
    RUN("gamma:1", NULL, NULL, o);           /* an explicit count of 1, at the last point */
    CHECK_KILLED_AT(o, "gamma", 1, 1);
    CHECK(count_lines(o.log, "at ") == N_WALK);
}

/* Arrivals are counted per name: alpha's third arrival is the walk's fifth point. */
static void nth_arrival(void) {
    outcome_t o;
    RUN("alpha:3", NULL, NULL, o);
    CHECK_KILLED_AT(o, "alpha", 3, 1);
    CHECK(count_lines(o.log, "at ") == 5);
    RUN("beta:2", NULL, NULL, o);
    CHECK_KILLED_AT(o, "beta", 2, 1);
    CHECK(count_lines(o.log, "at ") == 4);
}

static void other_names_pass(void) {
    outcome_t o;
    RUN("delta", NULL, NULL, o);   /* a point the walk never passes */
    CHECK_SURVIVED(o, 1);
    RUN("alph", NULL, NULL, o);    /* a prefix of a point is another name */
    CHECK_SURVIVED(o, 1);
    RUN("alpha:4", NULL, NULL, o); /* more arrivals than there are */
    CHECK_SURVIVED(o, 1);
}

static void rank_filter(void) {
    outcome_t o;
    RUN("alpha", "1", NULL, o);    /* the singleton is rank 0: not armed */
    CHECK_SURVIVED(o, 0);
    RUN("alpha", "0", NULL, o);
    CHECK_KILLED_AT(o, "alpha", 1, 1);
}

static void scope_rank(void) {
    outcome_t o;
    RUN("beta:2", NULL, "rank", o);
    CHECK_KILLED_AT(o, "beta", 2, 0);
    RUN("beta:2", NULL, "job", o);
    CHECK_KILLED_AT(o, "beta", 2, 1);
}

static const unit_test_t tests[] = {
    {"unarmed", unarmed},
    {"first_arrival", first_arrival},
    {"nth_arrival", nth_arrival},
    {"other_names_pass", other_names_pass},
    {"rank_filter", rank_filter},
    {"scope_rank", scope_rank},
    {0, 0},
};

int main(int argc, char **argv) {
    if (getenv("UNIT_FAULT_CHILD")) return child_main(argc, argv);
    ssize_t n = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
    if (n > 0) self_path[n] = 0;
    else snprintf(self_path, sizeof self_path, "%s", argv[0]);
    return unit_main(argc, argv, tests);
}
