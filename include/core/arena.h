/* arena: all of one owner's memory, freed with one call.
 *
 * An agent creates one arena in `create`, takes every buffer of its own from
 * it, and frees it in `destroy` with arena_free: no list of frees to keep in
 * step with a list of mallocs.  Blocks are zeroed and aligned to
 * ARENA_ALIGN bytes (a cache line); the arena grows by chunks of at least
 * the size given at creation, so a good estimate means one chunk.  Failure is
 * sticky: after an allocation fails every later one returns NULL too and
 * arena_ok says 0, so a create can take all its blocks and check once.
 * Not thread-safe (an agent is single-threaded). */
#ifndef AIF_ARENA_H
#define AIF_ARENA_H
#include <stddef.h>

#define ARENA_ALIGN 64

typedef struct arena arena_t;

/* A new arena whose chunks hold at least chunk_bytes each; NULL: no memory. */
arena_t *arena_create(size_t chunk_bytes);
/* count * size bytes, zeroed, ARENA_ALIGN-aligned; NULL if out of memory, if
 * count * size overflows, or after an earlier failure.  count 0 gives a valid
 * (unique, zero-length) block. */
void *arena_alloc(arena_t *a, size_t count, size_t size);
/* 1 if every allocation so far succeeded (0 for a NULL arena). */
int arena_ok(const arena_t *a);
/* Bytes handed out so far (rounded up to ARENA_ALIGN per block). */
size_t arena_used(const arena_t *a);
/* Frees every block and the arena itself; a NULL arena is ignored. */
void arena_free(arena_t *a);

#endif
