/* table.c — the lead table's storage: rows, input buffers and per-thread string arenas. */
#include "table.h"

#include <stdlib.h>
#include <string.h>

#include "lr_err.h"
#include "reserve.h"

#define ARENA_CHUNK_BYTES ((size_t)1 << 20)

struct table_arena_chunk {
  table_arena_chunk *next;
  size_t used, cap;
  char bytes[];
};

#define TABLE_N_CHUNKS (TABLE_MAX_ROWS / TABLE_CHUNK_ROWS + 1)

table *table_new(int n_threads, size_t n_unique) {
  table *t = lr_xcalloc(1, sizeof *t);
  t->n_arenas = n_threads > 0 ? n_threads : 1;
  t->arenas = lr_xcalloc((size_t)t->n_arenas, sizeof *t->arenas);
  t->n_unique = n_unique;
  t->row_chunks = lr_xcalloc(TABLE_N_CHUNKS, sizeof *t->row_chunks);
  if (n_unique > 0) t->unique_chunks = lr_xcalloc(TABLE_N_CHUNKS, sizeof *t->unique_chunks);
  return t;
}

void table_free(table *t) {
  if (t == NULL) return;
  for (size_t i = 0; i < t->n_inputs; i++) {
    if (t->inputs[i].map_len != 0) reserve_trim(t->inputs[i].data, t->inputs[i].map_len, 0);
    else free(t->inputs[i].data);
  }
  free(t->inputs);
  for (size_t c = 0; c < TABLE_N_CHUNKS && t->row_chunks[c] != NULL; c++) {
    free(t->row_chunks[c]);
    if (t->unique_chunks != NULL) free(t->unique_chunks[c]);
  }
  free(t->row_chunks);
  free(t->unique_chunks);
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

uint32_t table_add_input(table *t, const char *source) {
  t->inputs = lr_xrealloc(t->inputs, (t->n_inputs + 1) * sizeof *t->inputs);
  t->inputs[t->n_inputs] = (table_input){ .source = source };
  return (uint32_t)t->n_inputs++;
}

void table_set_input_data(table *t, uint32_t input, char *data, size_t len, size_t map_len) {
  t->inputs[input].data = data;
  t->inputs[input].len = len;
  t->inputs[input].map_len = map_len;
}

size_t table_grow(table *t, size_t n) {
  size_t first = t->n_rows;
  if (n > TABLE_MAX_ROWS - first) return SIZE_MAX;
  t->n_rows += n;
  for (size_t c = first >> TABLE_CHUNK_SHIFT; c <= (t->n_rows - 1) >> TABLE_CHUNK_SHIFT && n > 0; c++) {
    if (t->row_chunks[c] != NULL) continue;
    t->row_chunks[c] = lr_xcalloc(TABLE_CHUNK_ROWS, sizeof **t->row_chunks);
    if (t->n_unique > 0) t->unique_chunks[c] = lr_xcalloc(TABLE_CHUNK_ROWS * t->n_unique, sizeof **t->unique_chunks);
  }
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
