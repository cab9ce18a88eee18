/* unit_world: a unit test's grid world (world/gridworld.h) built in one line,
 * the build's error message in the test's failure. */
#ifndef AIF_UNIT_WORLD_H
#define AIF_UNIT_WORLD_H
#include <stdio.h>
#include <stdlib.h>
#include "world/gridworld.h"
#include "unit.h"

/* In a test: gw_build of spec into g; a refused spec fails the test with
 * gw_build's message. */
#define BUILD(g, spec) do { char e_[256]; \
    CHECK_MSG(gw_build(&(g), &(spec), e_, sizeof e_) == 0, "gw_build: %s", e_); } while (0)

/* In a helper that cannot fail a test: the same, a refused spec aborts the
 * test binary with gw_build's message. */
static inline void build_or_abort(gridworld_t *g, const gw_spec_t *spec) {
    char e[256];
    if (gw_build(g, spec, e, sizeof e) != 0) {
        fprintf(stderr, "gw_build: %s\n", e);
        abort();
    }
}

#endif
