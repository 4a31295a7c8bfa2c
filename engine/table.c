/* table.c — the lead table's storage: rows in chunks, unique-value hashes, input texts. */
#include "table.h"

#include <stdlib.h>
#include <xxhash.h>

#include "lr_err.h"
#include "reserve.h"

#define TABLE_N_CHUNKS (TABLE_MAX_ROWS / TABLE_CHUNK_ROWS + 1)

table *table_new(size_t n_unique) {
  table *t = lr_xcalloc(1, sizeof *t);
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
  for (size_t c = t->n_released_chunks; c < TABLE_N_CHUNKS && t->row_chunks[c] != NULL; c++) {
    free(t->row_chunks[c]);
    if (t->unique_chunks != NULL) free(t->unique_chunks[c]);
  }
  free(t->row_chunks);
  free(t->unique_chunks);
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

void table_release_rows(table *t, size_t upto) {
  for (size_t c = t->n_released_chunks; (c + 1) * TABLE_CHUNK_ROWS <= upto; c++) {
    free(t->row_chunks[c]);
    t->row_chunks[c] = NULL;
    if (t->unique_chunks != NULL) {
      free(t->unique_chunks[c]);
      t->unique_chunks[c] = NULL;
    }
    t->n_released_chunks = c + 1;
  }
}

uint64_t table_hash(const char *s, size_t len) {
  uint64_t h = XXH3_64bits(s, len);
  return h != 0 ? h : 1;
}
