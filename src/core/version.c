/* version: rebuilt on every make so the commit recorded in results files is the
 * one that produced them. */
#include "core/version.h"
#ifndef AIF_VERSION
#define AIF_VERSION "0.0.0"
#endif
#ifndef AIF_GIT_COMMIT
#define AIF_GIT_COMMIT "unknown"
#endif
const char *aif_version(void) { return AIF_VERSION; }
const char *aif_git_commit(void) { return AIF_GIT_COMMIT; }
