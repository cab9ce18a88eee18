/* unit_lock: the results file's lock (lock.h), driven directly in a temporary
 * directory: what the lock file holds, a live holder refused with a message
 * that names it, each kind of stale lock taken over with a note saying why
 * (pid gone, a zombie, a reused pid, this Slurm job before its restart),
 * --break-lock (never of a sweep running on this host), a lock naming no
 * holder, release only by the holder, the lock taken over put back when the
 * command stops before opening the file, a results file replaced under the
 * sweep, a lock that cannot be created, and many processes taking over one
 * stale lock at once.  tests/test_lock.py covers the same through
 * the binary with real sweeps. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "store/lock.h"
#include "unit.h"

static char dir[64], results[128], lockfile[160], host[256];

static void setup(void) {
    snprintf(dir, sizeof dir, "/tmp/unit_lock_XXXXXX");
    if (!mkdtemp(dir)) { perror("mkdtemp"); exit(2); }
    snprintf(results, sizeof results, "%s/r.h5", dir);
    snprintf(lockfile, sizeof lockfile, "%s/r.h5.lock", dir);
    gethostname(host, sizeof host - 1);
    unsetenv("SLURM_JOB_ID");
    unsetenv("SLURM_RESTART_COUNT");
}

static void teardown(void) {
    unlink(lockfile);
    rmdir(dir);
}

static int write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fputs(text, f);
    return fclose(f);
}

static char *read_text(const char *path) {
    static char buf[4096];
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return buf;
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

/* Taken: the file says who holds it; released: gone. */
static void test_acquire_release(void) {
    setup();
    char note[512] = "x", err[1024] = "";
    CHECK_MSG(lock_acquire(results, "jobs/my job.yaml", 0, note, sizeof note, err, sizeof err) == LOCK_OK, "%s", err);
    CHECK(note[0] == 0);
    char *t = read_text(lockfile);
    CHECK(t);
    char want[512];
    snprintf(want, sizeof want, "host=%s pid=%ld pid_start=", host, (long)getpid());
    CHECK_MSG(strncmp(t, want, strlen(want)) == 0, "%s", t);
    CHECK_MSG(strstr(t, " slurm_job=- slurm_restart=0 started=") && strstr(t, " job=jobs/my_job.yaml\n"), "%s", t);
    CHECK(strstr(t, "pid_start=0 ") == NULL);   /* this process's start time is known */
    lock_release(results);
    CHECK(!exists(lockfile));
    lock_release(results);   /* nothing to release: harmless */
    teardown();
}

/* A live holder (this very process, as a second sweep in it would see) is
 * refused, naming host, pid, Slurm job, start and job file, and the way out;
 * the lock is left as it was. */
static void test_live_holder_refused(void) {
    setup();
    char note[512], err[1024] = "";
    CHECK(lock_acquire(results, "a.yaml", 0, note, sizeof note, err, sizeof err) == LOCK_OK);
    char before[4096];
    snprintf(before, sizeof before, "%s", read_text(lockfile));
    CHECK(lock_acquire(results, "b.yaml", 0, note, sizeof note, err, sizeof err) == LOCK_HELD);
    char pid[64];
    snprintf(pid, sizeof pid, "pid %ld,", (long)getpid());
    CHECK_MSG(strstr(err, "is in use by another sweep") && strstr(err, host) && strstr(err, pid), "%s", err);
    CHECK_MSG(strstr(err, "job file a.yaml") && strstr(err, "running on this host") && strstr(err, results) &&
              !strstr(err, "--break-lock"), "%s", err);
    CHECK(!strcmp(before, read_text(lockfile)));
    /* Another host's lock is never judged stale from here. */
    CHECK(write_text(lockfile, "host=elsewhere pid=1 started=then job=x.yaml\n") == 0);
    CHECK(lock_acquire(results, "b.yaml", 0, note, sizeof note, err, sizeof err) == LOCK_HELD);
    CHECK_MSG(strstr(err, "host elsewhere, pid 1,") && strstr(err, "since then"), "%s", err);
    /* Release by someone else's process leaves it. */
    lock_release(results);
    CHECK(exists(lockfile));
    teardown();
}

/* --break-lock removes any lock, with a note naming who held it. */
static void test_break_lock(void) {
    setup();
    char note[512], err[1024] = "";
    CHECK(write_text(lockfile, "host=elsewhere pid=12 started=noon job=x.yaml\n") == 0);
    CHECK_MSG(lock_acquire(results, "b.yaml", 1, note, sizeof note, err, sizeof err) == LOCK_OK, "%s", err);
    CHECK_MSG(strstr(note, "removed the lock of") && strstr(note, "host elsewhere, pid 12, since noon") &&
              strstr(note, "--break-lock"), "%s", note);
    CHECK(strstr(read_text(lockfile), " job=b.yaml"));
    lock_release(results);
    /* A lock that names no holder: refused, and broken the same way. */
    CHECK(write_text(lockfile, "") == 0);
    CHECK(lock_acquire(results, "b.yaml", 0, note, sizeof note, err, sizeof err) == LOCK_HELD);
    CHECK_MSG(strstr(err, "names no holder") && strstr(err, "--break-lock"), "%s", err);
    CHECK(write_text(lockfile, "host=h junk\n") == 0);   /* no pid */
    CHECK(lock_acquire(results, "b.yaml", 0, note, sizeof note, err, sizeof err) == LOCK_HELD);
    CHECK(lock_acquire(results, "b.yaml", 1, note, sizeof note, err, sizeof err) == LOCK_OK);
    CHECK_MSG(strstr(note, "removed the unreadable lock file"), "%s", note);
    lock_release(results);
    teardown();
}

/* --break-lock never removes the lock of a sweep running on this host: its
 * pid running with the recorded start time, or with none recorded (nothing
 * tells it from the holder then).  The lock is left byte for byte. */
static void test_break_lock_spares_live_holder(void) {
    setup();
    char note[512], err[1024] = "", text[512];
    CHECK(lock_acquire(results, "a.yaml", 0, note, sizeof note, err, sizeof err) == LOCK_OK);
    char before[4096];
    snprintf(before, sizeof before, "%s", read_text(lockfile));
    CHECK(lock_acquire(results, "b.yaml", 1, note, sizeof note, err, sizeof err) == LOCK_HELD);
    CHECK_MSG(strstr(err, "is in use by another sweep") && strstr(err, "running on this host") &&
              strstr(err, "--break-lock never removes the lock of a sweep that is running"), "%s", err);
    CHECK(!strcmp(before, read_text(lockfile)));
    pid_t parent = getppid();   /* alive, and not this process */
    snprintf(text, sizeof text, "host=%s pid=%ld started=then job=x.yaml\n", host, (long)parent);
    CHECK(write_text(lockfile, text) == 0);
    CHECK(lock_acquire(results, "b.yaml", 1, note, sizeof note, err, sizeof err) == LOCK_HELD);
    char pid[64];
    snprintf(pid, sizeof pid, "pid %ld,", (long)parent);
    CHECK_MSG(strstr(err, pid) && strstr(err, "running on this host"), "%s", err);
    CHECK(!strcmp(text, read_text(lockfile)));
    teardown();
}

/* A command that stops before it opens the results file (lock_opened not
 * called: refused because the file exists, is another job's, ...) puts back
 * the lock it took over, whether broken (--break-lock, another host) or
 * stale; once the file is opened, the lock taken over is gone for good. */
static void test_refused_command_puts_lock_back(void) {
    setup();
    char note[512], err[1024] = "", text[512];
    const char *other = "host=elsewhere pid=12 slurm_job=77 started=noon job=x.yaml\n";
    CHECK(write_text(lockfile, other) == 0);
    CHECK_MSG(lock_acquire(results, "b.yaml", 1, note, sizeof note, err, sizeof err) == LOCK_OK, "%s", err);
    CHECK(strstr(read_text(lockfile), " job=b.yaml"));
    lock_release(results);
    CHECK_MSG(exists(lockfile) && !strcmp(other, read_text(lockfile)), "%s", read_text(lockfile));
    pid_t dead = fork();
    if (dead == 0) _exit(0);
    CHECK(dead > 0 && waitpid(dead, NULL, 0) == dead);
    snprintf(text, sizeof text, "host=%s pid=%ld pid_start=1 started=then job=old.yaml\n", host, (long)dead);
    CHECK(write_text(lockfile, text) == 0);
    CHECK(lock_acquire(results, "b.yaml", 0, note, sizeof note, err, sizeof err) == LOCK_OK);
    lock_release(results);
    CHECK(!strcmp(text, read_text(lockfile)));
    /* Opened: released for good. */
    CHECK(write_text(lockfile, other) == 0);
    CHECK(lock_acquire(results, "b.yaml", 1, note, sizeof note, err, sizeof err) == LOCK_OK);
    lock_opened(results);
    lock_release(results);
    CHECK(!exists(lockfile));
    teardown();
}

/* lock_file_replaced: the results file at the path is still the one that
 * lock_opened saw, or it is not (replaced by another file, or removed). */
static void test_file_replaced(void) {
    setup();
    char err[1024] = "", other[160];
    snprintf(other, sizeof other, "%s/new.h5", dir);
    CHECK(write_text(results, "mine") == 0);
    CHECK(lock_file_replaced(results, err, sizeof err) == 0);   /* never opened: nothing to say */
    lock_opened(results);
    CHECK(lock_file_replaced(results, err, sizeof err) == 0);
    CHECK(write_text(results, "rewritten in place") == 0);   /* same file */
    CHECK(lock_file_replaced(results, err, sizeof err) == 0);
    CHECK(write_text(other, "another sweep's") == 0 && rename(other, results) == 0);
    CHECK(lock_file_replaced(results, err, sizeof err) == 1);
    CHECK_MSG(strstr(err, results) && strstr(err, "is no longer the file this sweep opened") &&
              strstr(err, "the runs done here are not in it") && !strchr(err, '\n'), "%s", err);
    CHECK(unlink(results) == 0);
    CHECK(lock_file_replaced(results, err, sizeof err) == 1);
    teardown();
}

/* Stale on this host: the pid is gone, is a zombie, or is another process
 * now (its start time differs). */
static void test_stale_locks_taken_over(void) {
    setup();
    char note[512], err[1024] = "", text[512];
    pid_t dead = fork();
    if (dead == 0) _exit(0);
    CHECK(dead > 0 && waitpid(dead, NULL, 0) == dead);
    snprintf(text, sizeof text, "host=%s pid=%ld started=then job=old.yaml\n", host, (long)dead);
    CHECK(write_text(lockfile, text) == 0);
    CHECK_MSG(lock_acquire(results, "b.yaml", 0, note, sizeof note, err, sizeof err) == LOCK_OK, "%s", err);
    CHECK_MSG(strstr(note, "is no longer running") && strstr(note, "since then"), "%s", note);
    lock_release(results);

    pid_t zombie = fork();
    if (zombie == 0) _exit(0);
    CHECK(zombie > 0);
    char stat[64], state = 0;
    snprintf(stat, sizeof stat, "/proc/%ld/stat", (long)zombie);
    for (int i = 0; i < 500 && state != 'Z'; i++) {   /* until it has exited */
        char *s = read_text(stat), *p = s ? strrchr(s, ')') : NULL;
        state = p && p[1] ? p[2] : 0;
        if (state != 'Z') usleep(2000);
    }
    snprintf(text, sizeof text, "host=%s pid=%ld started=then job=old.yaml\n", host, (long)zombie);
    CHECK(write_text(lockfile, text) == 0);
    int rc = lock_acquire(results, "b.yaml", 0, note, sizeof note, err, sizeof err);
    waitpid(zombie, NULL, 0);
    CHECK_MSG(state == 'Z' && rc == LOCK_OK && strstr(note, "was killed (a zombie)"), "state %c rc %d: %s %s",
              state, rc, note, err);
    lock_release(results);

    /* This process's pid, but a start time that is not this process's. */
    snprintf(text, sizeof text, "host=%s pid=%ld pid_start=1 started=then job=old.yaml\n", host, (long)getpid());
    CHECK(write_text(lockfile, text) == 0);
    CHECK(lock_acquire(results, "b.yaml", 0, note, sizeof note, err, sizeof err) == LOCK_OK);
    CHECK_MSG(strstr(note, "is now another process"), "%s", note);
    lock_release(results);
    teardown();
}

/* A requeued Slurm job takes over its own lock from before the restart (on
 * any host); at the same restart count it is a second sweep and refused. */
static void test_slurm_restart(void) {
    setup();
    char note[512], err[1024] = "";
    setenv("SLURM_JOB_ID", "4242", 1);
    setenv("SLURM_RESTART_COUNT", "1", 1);
    CHECK(write_text(lockfile, "host=node7 pid=99 slurm_job=4242 slurm_restart=1 started=now job=x.yaml\n") == 0);
    CHECK(lock_acquire(results, "x.yaml", 0, note, sizeof note, err, sizeof err) == LOCK_HELD);
    CHECK_MSG(strstr(err, "Slurm job 4242"), "%s", err);
    CHECK(write_text(lockfile, "host=node7 pid=99 slurm_job=4242 slurm_restart=0 started=now job=x.yaml\n") == 0);
    CHECK(lock_acquire(results, "x.yaml", 0, note, sizeof note, err, sizeof err) == LOCK_OK);
    CHECK_MSG(strstr(note, "this Slurm job's (4242), from before its restart"), "%s", note);
    CHECK(strstr(read_text(lockfile), "slurm_job=4242 slurm_restart=1 "));
    lock_release(results);
    /* Another job's lock is not ours to take. */
    CHECK(write_text(lockfile, "host=node7 pid=99 slurm_job=17 slurm_restart=0 started=now job=x.yaml\n") == 0);
    CHECK(lock_acquire(results, "x.yaml", 0, note, sizeof note, err, sizeof err) == LOCK_HELD);
    unsetenv("SLURM_JOB_ID");
    unsetenv("SLURM_RESTART_COUNT");
    teardown();
}

/* A lock that cannot be made says where and why. */
static void test_cannot_create(void) {
    setup();
    char note[512], err[1024] = "", path[256];
    snprintf(path, sizeof path, "%s/no/such/dir/r.h5", dir);
    CHECK(lock_acquire(path, "x.yaml", 0, note, sizeof note, err, sizeof err) == LOCK_IO);
    CHECK_MSG(strstr(err, "cannot create the lock file") && strstr(err, "/no/such/dir/r.h5.lock") &&
              strstr(err, strerror(ENOENT)), "%s", err);
    teardown();
}

/* One stale lock found by many processes at the same instant: at most one
 * takes it over.  Each round RACE_PROCS children wait at a barrier (a pipe
 * whose write end the parent closes), call lock_acquire together, report
 * whether they got the lock, and stay alive until every one has reported (so
 * the winner's lock is live for the others, as a running sweep's is).
 *
 * On a busy machine two processes seldom run lock_acquire at the same moment
 * (9 double takeovers in 2,000 rounds before the fix), so the test widens the
 * window a loaded machine opens at random: while race_delay_us is set, this
 * binary's kill() -- which lock.c calls to ask whether a holder is alive,
 * between reading the lock and replacing it -- first sleeps that long. */
#define RACE_ROUNDS 60
#define RACE_PROCS 8

static volatile int race_delay_us;

int kill(pid_t pid, int sig) {
    if (sig == 0 && race_delay_us > 0) usleep((useconds_t)race_delay_us);
    return (int)syscall(SYS_kill, pid, sig);
}

static void race_child(int go, int res, int done) {
    char c, note[512], err[1024];
    while (read(go, &c, 1) > 0) {}
    int rc = lock_acquire(results, "race.yaml", 0, note, sizeof note, err, sizeof err);
    c = rc == LOCK_OK ? 'O' : rc == LOCK_HELD ? 'H' : 'E';
    if (rc == LOCK_IO || (rc == LOCK_HELD && !strstr(err, "is in use by another sweep")))
        fprintf(stderr, "race child %ld: %s\n", (long)getpid(), err);
    if (write(res, &c, 1) != 1) _exit(3);
    while (read(done, &c, 1) > 0) {}
    _exit(0);
}

/* One round: the number of children that took the lock, or -1 on a failure
 * of the test itself; *errors counts children whose lock_acquire failed. */
static int race_round(int *errors) {
    int go[2], res[2], done[2];
    if (pipe(go) != 0 || pipe(res) != 0 || pipe(done) != 0) return -1;
    pid_t kids[RACE_PROCS];
    int n = 0;
    for (; n < RACE_PROCS; n++) {
        kids[n] = fork();
        if (kids[n] < 0) break;
        if (kids[n] == 0) {
            close(go[1]);
            close(res[0]);
            close(done[1]);
            race_child(go[0], res[1], done[0]);
        }
    }
    close(go[0]);
    close(res[1]);
    close(done[0]);
    close(go[1]);   /* all go */
    int won = 0;
    char c;
    for (int i = 0; i < n && read(res[0], &c, 1) == 1; i++) {
        won += c == 'O';
        *errors += c == 'E';
    }
    close(res[0]);
    close(done[1]);   /* all may end */
    for (int i = 0; i < n; i++) waitpid(kids[i], NULL, 0);
    return n == RACE_PROCS ? won : -1;
}

static void test_stale_takeover_race(void) {
    setup();
    pid_t dead = fork();
    if (dead == 0) _exit(0);
    CHECK(dead > 0 && waitpid(dead, NULL, 0) == dead);
    /* pid_start=1: stale even if a child of this test reuses the pid. */
    char text[512];
    snprintf(text, sizeof text, "host=%s pid=%ld pid_start=1 started=then job=old.yaml\n", host, (long)dead);
    int doubled = 0, none = 0, errors = 0, failed = 0;
    race_delay_us = 1000;
    for (int round = 0; round < RACE_ROUNDS && !failed; round++) {
        failed = write_text(lockfile, text) != 0;
        int won = failed ? -1 : race_round(&errors);
        failed = won < 0;
        doubled += won > 1;
        none += won == 0;
    }
    race_delay_us = 0;
    CHECK_MSG(!failed, "a round could not be set up (fork, pipe or writing the lock)");
    CHECK_MSG(doubled == 0 && none == 0 && errors == 0,
              "%d of %d rounds: several processes took the same stale lock; %d: none did; %d errors", doubled,
              RACE_ROUNDS, none, errors);
    teardown();
}

static const unit_test_t tests[] = {
    {"acquire_release", test_acquire_release},
    {"live_holder_refused", test_live_holder_refused},
    {"break_lock", test_break_lock},
    {"break_lock_spares_live_holder", test_break_lock_spares_live_holder},
    {"refused_command_puts_lock_back", test_refused_command_puts_lock_back},
    {"file_replaced", test_file_replaced},
    {"stale_locks_taken_over", test_stale_locks_taken_over},
    {"slurm_restart", test_slurm_restart},
    {"cannot_create", test_cannot_create},
    {"stale_takeover_race", test_stale_takeover_race},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
