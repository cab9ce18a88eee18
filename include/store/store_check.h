/* store_check: what a sweep reads of an existing results file before it
 * resumes it, on one process, with plain (serial) HDF5.
 *
 * A resume writes only the rows of the runs not done, so damage elsewhere
 * (a group's B-tree or symbol table, an object header, an attribute, the
 * parameters table) would go unnoticed and the sweep would report success
 * on a file its readers cannot read.  And the job text the file stores is
 * what a user is told to resume from, so an edit of it is said. */
#ifndef AIF_STORE_CHECK_H
#define AIF_STORE_CHECK_H
#include <stddef.h>

/* Read every piece of HDF5 metadata of the file at path: every object the
 * root reaches (its header), every attribute (its value), every dataset's
 * dataspace, type and creation properties, every chunked dataset's chunk
 * index, and every unchunked dataset of at most 4 MB whole (the parameters
 * table and the world maps).  0 if all of it reads; -1 with err naming the
 * file and the first object that does not. */
int store_check_metadata(const char *path, char *err, size_t errlen);

/* Whether the root attribute job_yaml is the text whose SHA-256 is
 * job_sha256: 1 yes, 0 no (edited or damaged), -1 cannot be read. */
int store_check_job_text(const char *path);

#endif
