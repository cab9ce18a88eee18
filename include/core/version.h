/* version: the software's version and the commit it was built from, as
 * recorded in every results file and printed by --version. */
#ifndef AIF_VERSION_H
#define AIF_VERSION_H

const char *aif_version(void);     /* the VERSION file's text, e.g. "0.4.0" */
const char *aif_git_commit(void);  /* short commit id, "-dirty" if uncommitted changes were built */

#endif
