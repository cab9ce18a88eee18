/* job: a job file's text parsed, then its worlds built (include/job/job.h). */
#include "job/job.h"
#include <string.h>

job_status_t job_load(jobspec_t *job, worlds_t *ws, const char *path, const char *text, size_t len,
                      char *err, size_t errlen) {
    if (ws) memset(ws, 0, sizeof *ws);
    if (jobspec_read(job, path, text, len, err, errlen) != 0) return JOB_ERR_FILE;
    /* Every world is built once, here: checked against the job, then handed on
     * in ws (or dropped when the caller only wants the verdict). */
    if (worlds_build(ws, job, err, errlen) == 0) return JOB_OK;
    jobspec_free(job);
    return JOB_ERR_FILE;
}

int job_parse(jobspec_t *job, const char *path, const char *text, size_t len, char *err, size_t errlen) {
    return job_load(job, NULL, path, text, len, err, errlen) == JOB_OK ? 0 : -1;
}
