/* unique.c — exact uniqueness of `unique` fields and lead_id, by sorting (hash, bytes,
 * row) so that the first accepted occurrence wins without a hash table. */
#include "unique.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "lr_err.h"

typedef struct unique_entry {
  uint64_t hash;
  const char *ptr;
  uint32_t len;
  uint32_t row;
} unique_entry;

static int unique_cmp(const void *a, const void *b) {
  const unique_entry *x = a, *y = b;
  if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
  if (x->len != y->len) return x->len < y->len ? -1 : 1;
  int c = memcmp(x->ptr, y->ptr, x->len);
  if (c != 0) return c;
  return x->row < y->row ? -1 : (x->row > y->row);
}

static void unique_apply_one(table *t, size_t slot, long field, int reason,
                             unique_entry *entries) {
  size_t n = 0;
  for (size_t i = 0; i < t->n_rows; i++) {
    if (t->rows[i].status != ROW_ACCEPTED) continue;
    const table_str *v = &t->unique_values[i * t->n_unique + slot];
    if (v->ptr == NULL) continue;
    entries[n++] = (unique_entry){ XXH3_64bits(v->ptr, v->len), v->ptr, v->len, (uint32_t)i };
  }
  qsort(entries, n, sizeof *entries, unique_cmp);
  for (size_t i = 1; i < n; i++) {
    const unique_entry *prev = &entries[i - 1], *cur = &entries[i];
    if (prev->hash != cur->hash || prev->len != cur->len || memcmp(prev->ptr, cur->ptr, cur->len) != 0)
      continue;
    table_row *row = &t->rows[cur->row];
    row->status = ROW_REJECTED;
    row->reason = (unsigned char)reason;
    row->reason_field = (int16_t)field;
  }
}

void unique_apply(table *t, const long *fields, size_t n_fields, long lead_id_field) {
  if (n_fields == 0 || t->n_rows == 0) return;
  unique_entry *entries = lr_xmalloc(t->n_rows * sizeof *entries);
  for (size_t u = 0; u < n_fields; u++) {
    int reason = fields[u] == lead_id_field ? LR_REASON_DUPLICATE_LEAD_ID : LR_REASON_DUPLICATE;
    unique_apply_one(t, u, fields[u], reason, entries);
  }
  free(entries);
}
