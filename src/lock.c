/* lock: exclusive use of a results file (include/lock.h). */
#include "lock.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    char host[256], slurm_job[64], slurm_restart[32], started[64], job[1024];
    long pid;
    unsigned long long pid_start;
} holder_t;

/* The lock file's name for results file `path`. */
static void lock_path(const char *path, char *out, size_t n) { snprintf(out, n, "%s.lock", path); }

/* Field 22 of /proc/PID/stat: the process's start time in clock ticks since
 * boot, which tells a reused pid from the holder; 0 if unknown.  *state: field
 * 3 ('Z' for a zombie: killed, not yet reaped), or 0. */
static unsigned long long proc_stat(long pid, char *state) {
    char p[64], buf[1024];
    snprintf(p, sizeof p, "/proc/%ld/stat", pid);
    if (state) *state = 0;
    FILE *f = fopen(p, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *s = strrchr(buf, ')');   /* the command name may hold spaces */
    if (!s) return 0;
    s++;
    unsigned long long v = 0;
    for (int field = 3; field <= 22 && *s; field++) {
        while (*s == ' ') s++;
        if (field == 3 && state) *state = *s;
        if (field == 22) v = strtoull(s, NULL, 10);
        while (*s && *s != ' ') s++;
    }
    return v;
}

static void self_holder(holder_t *h, const char *job_path) {
    memset(h, 0, sizeof *h);
    if (gethostname(h->host, sizeof h->host - 1) != 0) snprintf(h->host, sizeof h->host, "unknown");
    h->pid = (long)getpid();
    h->pid_start = proc_stat(h->pid, NULL);
    const char *j = getenv("SLURM_JOB_ID"), *r = getenv("SLURM_RESTART_COUNT");
    snprintf(h->slurm_job, sizeof h->slurm_job, "%s", j && *j ? j : "-");
    snprintf(h->slurm_restart, sizeof h->slurm_restart, "%s", r && *r ? r : "0");
    time_t t = time(NULL);
    struct tm tmv;
    gmtime_r(&t, &tmv);
    strftime(h->started, sizeof h->started, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    snprintf(h->job, sizeof h->job, "%s", job_path ? job_path : "-");
    /* One token per field: no spaces in the values. */
    for (char *c = h->job; *c; c++)
        if (*c == ' ' || *c == '\n') *c = '_';
}

/* Parse "key=value" tokens; 0 if host and pid were found. */
static int parse_holder(const char *text, holder_t *h) {
    memset(h, 0, sizeof *h);
    int have_host = 0, have_pid = 0;
    const char *s = text;
    while (*s) {
        while (*s == ' ' || *s == '\n') s++;
        const char *eq = strchr(s, '='), *end = s + strcspn(s, " \n");
        if (!eq || eq > end) { s = end; continue; }
        size_t kl = (size_t)(eq - s), vl = (size_t)(end - eq - 1);
        char val[1024];
        snprintf(val, sizeof val, "%.*s", (int)(vl < sizeof val ? vl : sizeof val - 1), eq + 1);
        if (kl == 4 && !strncmp(s, "host", 4)) { snprintf(h->host, sizeof h->host, "%s", val); have_host = 1; }
        else if (kl == 3 && !strncmp(s, "pid", 3)) { h->pid = strtol(val, NULL, 10); have_pid = h->pid > 0; }
        else if (kl == 9 && !strncmp(s, "pid_start", 9)) h->pid_start = strtoull(val, NULL, 10);
        else if (kl == 9 && !strncmp(s, "slurm_job", 9)) snprintf(h->slurm_job, sizeof h->slurm_job, "%s", val);
        else if (kl == 13 && !strncmp(s, "slurm_restart", 13))
            snprintf(h->slurm_restart, sizeof h->slurm_restart, "%s", val);
        else if (kl == 7 && !strncmp(s, "started", 7)) snprintf(h->started, sizeof h->started, "%s", val);
        else if (kl == 3 && !strncmp(s, "job", 3)) snprintf(h->job, sizeof h->job, "%s", val);
        s = end;
    }
    return have_host && have_pid ? 0 : -1;
}

/* The lock's text, or -1 if it cannot be read (errno set). */
static int read_lock(const char *lp, char *buf, size_t n) {
    FILE *f = fopen(lp, "r");
    if (!f) return -1;
    size_t k = fread(buf, 1, n - 1, f);
    fclose(f);
    buf[k] = '\0';
    return 0;
}

/* Why the holder h is gone, into why; 0 if it may still be running. */
static int stale(const holder_t *h, const holder_t *me, char *why, size_t n) {
    if (!strcmp(h->host, me->host)) {
        if (kill((pid_t)h->pid, 0) != 0 && errno == ESRCH) {
            snprintf(why, n, "pid %ld is no longer running on %s", h->pid, h->host);
            return 1;
        }
        char state = 0;
        unsigned long long now = proc_stat(h->pid, &state);
        if (state == 'Z' || state == 'X') {
            snprintf(why, n, "pid %ld on %s was killed (a zombie)", h->pid, h->host);
            return 1;
        }
        if (h->pid_start && now && now != h->pid_start) {
            snprintf(why, n, "pid %ld on %s is now another process", h->pid, h->host);
            return 1;
        }
    }
    if (strcmp(h->slurm_job, "-") != 0 && !strcmp(h->slurm_job, me->slurm_job) &&
        strcmp(h->slurm_restart, me->slurm_restart) != 0) {
        snprintf(why, n, "it is this Slurm job's (%s), from before its restart", h->slurm_job);
        return 1;
    }
    return 0;
}

int lock_acquire(const char *path, const char *job_path, int break_lock, char *note, size_t notelen,
                 char *err, size_t errlen) {
    char lp[4200];
    lock_path(path, lp, sizeof lp);
    holder_t me;
    self_holder(&me, job_path);
    if (note && notelen) note[0] = '\0';
    for (int attempt = 0; attempt < 3; attempt++) {
        int fd = open(lp, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd >= 0) {
            char text[2048];
            int len = snprintf(text, sizeof text,
                               "host=%s pid=%ld pid_start=%llu slurm_job=%s slurm_restart=%s started=%s job=%s\n",
                               me.host, me.pid, me.pid_start, me.slurm_job, me.slurm_restart, me.started, me.job);
            int ok = len > 0 && write(fd, text, (size_t)len) == (ssize_t)len;
            ok = fsync(fd) == 0 && ok;
            ok = close(fd) == 0 && ok;
            if (!ok) {
                snprintf(err, errlen, "cannot write the lock file %s: %s", lp, strerror(errno));
                unlink(lp);
                return LOCK_IO;
            }
            return LOCK_OK;
        }
        if (errno != EEXIST) {
            snprintf(err, errlen, "cannot create the lock file %s: %s", lp, strerror(errno));
            return LOCK_IO;
        }
        char text[2048] = "";
        if (read_lock(lp, text, sizeof text) != 0) continue;   /* removed meanwhile: try again */
        holder_t h;
        int parsed = parse_holder(text, &h) == 0;
        char why[512] = "";
        if (break_lock || (parsed && stale(&h, &me, why, sizeof why))) {
            if (unlink(lp) != 0 && errno != ENOENT) {
                snprintf(err, errlen, "cannot remove the lock file %s: %s", lp, strerror(errno));
                return LOCK_IO;
            }
            if (note && notelen) {
                if (parsed)
                    snprintf(note, notelen, "removed the lock of %s (host %s, pid %ld, since %s): %s", path, h.host,
                             h.pid, h.started[0] ? h.started : "?", break_lock ? "--break-lock" : why);
                else
                    snprintf(note, notelen, "removed the unreadable lock file %s (--break-lock)", lp);
            }
            continue;
        }
        if (parsed)
            snprintf(err, errlen,
                     "%s is in use by another sweep (lock %s: host %s, pid %ld, Slurm job %s, since %s, job file %s); "
                     "wait for it to end, or if it is gone, rerun with --break-lock",
                     path, lp, h.host, h.pid, h.slurm_job[0] ? h.slurm_job : "?", h.started[0] ? h.started : "?",
                     h.job[0] ? h.job : "?");
        else
            snprintf(err, errlen,
                     "%s is locked by %s, which names no holder (a sweep killed while taking it?); "
                     "if no sweep is using the file, rerun with --break-lock", path, lp);
        return LOCK_HELD;
    }
    snprintf(err, errlen, "cannot take the lock %s: it keeps changing (another sweep starting?)", lp);
    return LOCK_HELD;
}

void lock_release(const char *path) {
    char lp[4200], text[2048];
    lock_path(path, lp, sizeof lp);
    if (read_lock(lp, text, sizeof text) != 0) return;
    holder_t h, me;
    self_holder(&me, NULL);
    if (parse_holder(text, &h) == 0 && h.pid == me.pid && !strcmp(h.host, me.host)) unlink(lp);
}
