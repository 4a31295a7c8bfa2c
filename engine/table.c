/* table.c — the lead table's storage: rows, input buffers and per-thread string arenas. */
#include "table.h"

#include <stdlib.h>
#include <string.h>

#include "lr_err.h"

#define ARENA_CHUNK_BYTES ((size_t)1 << 20)

struct table_arena_chunk {
  table_arena_chunk *next;
  size_t used, cap;
  char bytes[];
};

table *table_new(int n_threads, size_t n_unique) {
  table *t = lr_xcalloc(1, sizeof *t);
  t->n_arenas = n_threads > 0 ? n_threads : 1;
  t->arenas = lr_xcalloc((size_t)t->n_arenas, sizeof *t->arenas);
  t->n_unique = n_unique;
  return t;
}

void table_free(table *t) {
  if (t == NULL) return;
  for (size_t i = 0; i < t->n_inputs; i++) free(t->inputs[i].data);
  free(t->inputs);
  free(t->rows);
  free(t->unique_values);
  for (int a = 0; a < t->n_arenas; a++) {
    table_arena_chunk *c = t->arenas[a];
    while (c != NULL) {
      table_arena_chunk *next = c->next;
      free(c);
      c = next;
    }
  }
  free(t->arenas);
  free(t);
}

uint32_t table_add_input(table *t, const char *source, char *data, size_t len) {
  t->inputs = lr_xrealloc(t->inputs, (t->n_inputs + 1) * sizeof *t->inputs);
  t->inputs[t->n_inputs] = (table_input){ .source = source, .data = data, .len = len };
  return (uint32_t)t->n_inputs++;
}

size_t table_grow(table *t, size_t n) {
  size_t first = t->n_rows;
  if (n == 0) return first;
  if (first + n > t->cap_rows) {
    size_t cap = t->cap_rows ? t->cap_rows : 1024;
    while (cap < first + n) cap *= 2;
    t->rows = lr_xrealloc(t->rows, cap * sizeof *t->rows);
    if (t->n_unique > 0)
      t->unique_values = lr_xrealloc(t->unique_values, cap * t->n_unique * sizeof *t->unique_values);
    t->cap_rows = cap;
  }
  memset(t->rows + first, 0, n * sizeof *t->rows);
  if (t->n_unique > 0)
    memset(t->unique_values + first * t->n_unique, 0, n * t->n_unique * sizeof *t->unique_values);
  t->n_rows += n;
  return first;
}

table_str table_intern(table *t, int thread, const char *s, size_t len) {
  table_arena_chunk *c = t->arenas[thread];
  if (c == NULL || c->cap - c->used < len) {
    size_t cap = len > ARENA_CHUNK_BYTES ? len : ARENA_CHUNK_BYTES;
    table_arena_chunk *fresh = lr_xmalloc(sizeof *fresh + cap);
    fresh->next = c;
    fresh->used = 0;
    fresh->cap = cap;
    t->arenas[thread] = c = fresh;
  }
  char *dst = c->bytes + c->used;
  if (len > 0) memcpy(dst, s, len);
  c->used += len;
  return (table_str){ .ptr = dst, .len = (uint32_t)len };
}
