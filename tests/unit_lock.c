/* unit_lock: the results file's lock (lock.h), driven directly in a temporary
 * directory: what the lock file holds, a live holder refused with a message
 * that names it, each kind of stale lock taken over with a note saying why
 * (pid gone, a zombie, a reused pid, this Slurm job before its restart),
 * --break-lock, a lock naming no holder, release only by the holder, and a
 * lock that cannot be created.  tests/test_lock.py covers the same through
 * the binary with real sweeps. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lock.h"
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
    CHECK_MSG(strstr(err, "job file a.yaml") && strstr(err, "--break-lock") && strstr(err, results), "%s", err);
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

static const unit_test_t tests[] = {
    {"acquire_release", test_acquire_release},
    {"live_holder_refused", test_live_holder_refused},
    {"break_lock", test_break_lock},
    {"stale_locks_taken_over", test_stale_locks_taken_over},
    {"slurm_restart", test_slurm_restart},
    {"cannot_create", test_cannot_create},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
