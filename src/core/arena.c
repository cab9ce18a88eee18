/* arena: chunks of zeroed, aligned blocks, freed together (arena.h). */
#include "core/arena.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct chunk {
    struct chunk *next;
    size_t cap, used;     /* bytes of data, bytes handed out */
    unsigned char *data;  /* ARENA_ALIGN-aligned, cap bytes */
} chunk_t;

struct arena {
    chunk_t *head;        /* newest chunk first */
    size_t chunk_bytes, used;
    int failed;
};

static size_t round_up(size_t n) { return (n + (ARENA_ALIGN - 1)) & ~(size_t)(ARENA_ALIGN - 1); }

arena_t *arena_create(size_t chunk_bytes) {
    arena_t *a = calloc(1, sizeof *a);
    if (a) a->chunk_bytes = chunk_bytes < 4096 ? 4096 : round_up(chunk_bytes);
    return a;
}

static chunk_t *add_chunk(arena_t *a, size_t need) {
    size_t cap = need > a->chunk_bytes ? need : a->chunk_bytes;
    chunk_t *c = malloc(sizeof *c);
    if (!c) return NULL;
    c->data = aligned_alloc(ARENA_ALIGN, cap);
    if (!c->data) { free(c); return NULL; }
    c->cap = cap;
    c->used = 0;
    c->next = a->head;
    a->head = c;
    return c;
}

void *arena_alloc(arena_t *a, size_t count, size_t size) {
    if (!a || a->failed) return NULL;
    if (size && count > (SIZE_MAX - ARENA_ALIGN) / size) { a->failed = 1; return NULL; }
    const size_t n = count * size;
    size_t bytes = round_up(n > 0 ? n : 1);
    chunk_t *c = a->head;
    if (!c || c->cap - c->used < bytes) c = add_chunk(a, bytes);
    if (!c) { a->failed = 1; return NULL; }
    void *p = c->data + c->used;
    /* Zeroed (written) now, so that no page of a block is first touched inside
     * a training step; the chunk's unused tail is never touched. */
    memset(p, 0, bytes);
    c->used += bytes;
    a->used += bytes;
    return p;
}

int arena_ok(const arena_t *a) { return a && !a->failed; }

size_t arena_used(const arena_t *a) { return a ? a->used : 0; }

void arena_free(arena_t *a) {
    if (!a) return;
    for (chunk_t *c = a->head, *next; c; c = next) {
        next = c->next;
        free(c->data);
        free(c);
    }
    free(a);
}
