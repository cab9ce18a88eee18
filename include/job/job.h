/* job: a job file loaded: its text parsed and validated (jobspec.h), then
 * every world it describes built once and checked against it (worlds.h).
 * The one entry point for a caller that runs or checks a job. */
#ifndef AIF_JOB_H
#define AIF_JOB_H
#include <stddef.h>
#include "job/jobspec.h"
#include "job/worlds.h"

/* Parse and validate job text (`path` is used in messages), and build its
 * worlds once into *ws (worlds_build: every world checked against the job;
 * ws NULL: checked, then dropped).  JOB_OK, or JOB_ERR_FILE with a one-line
 * message in err and nothing left to free.  On success the job owns copies of
 * path and text, and the caller frees ws with worlds_free. */
job_status_t job_load(jobspec_t *job, worlds_t *ws, const char *path, const char *text, size_t len,
                      char *err, size_t errlen);
/* job_load without keeping the worlds: 0, or -1 with the message. */
int job_parse(jobspec_t *job, const char *path, const char *text, size_t len, char *err, size_t errlen);

#endif
