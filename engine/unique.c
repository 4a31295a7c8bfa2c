/* unique.c — exact uniqueness of `unique` fields and lead_id: (hash, row) pairs sorted by
 * hash with a stable radix sort, so rows with equal hashes are in input order; within
 * such a run values are compared byte for byte, and the first accepted occurrence of each
 * value wins. No hash table. */
#include "unique.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "lr_err.h"
#include "radix.h"

static int unique_same(const table_str *a, const table_str *b) {
  return a->len == b->len && memcmp(a->ptr, b->ptr, a->len) == 0;
}

/* Marks repeats within one run of equal hashes (pairs[start, end), rows ascending). A run
 * holds one value except under a 64-bit collision, so each entry is compared with the
 * earlier entries that were kept. */
static void unique_settle_run(table *t, size_t slot, long field, int reason,
                              const radix_pair *pairs, size_t start, size_t end) {
  for (size_t k = start + 1; k < end; k++) {
    const table_str *v = table_unique_at(t, pairs[k].index, slot);
    for (size_t e = start; e < k; e++) {
      const table_row *earlier = table_row_at(t, pairs[e].index);
      if (earlier->status != ROW_ACCEPTED) continue; /* a repeat itself: not a first one */
      if (!unique_same(v, table_unique_at(t, pairs[e].index, slot))) continue;
      table_row *row = table_row_at(t, pairs[k].index);
      row->status = ROW_REJECTED;
      row->reason = (unsigned char)reason;
      row->reason_field = (int16_t)field;
      break;
    }
  }
}

static void unique_apply_one(table *t, size_t slot, long field, int reason, radix_pair *pairs) {
  size_t n = 0;
  for (size_t i = 0; i < t->n_rows; i++) {
    if (table_row_at(t, i)->status != ROW_ACCEPTED) continue;
    const table_str *v = table_unique_at(t, i, slot);
    if (v->ptr == NULL) continue;
    pairs[n++] = (radix_pair){ XXH3_64bits(v->ptr, v->len), (uint32_t)i };
  }
  radix_sort_pairs(pairs, n);
  size_t start = 0;
  while (start < n) {
    size_t end = start + 1;
    while (end < n && pairs[end].key == pairs[start].key) end++;
    if (end - start > 1) unique_settle_run(t, slot, field, reason, pairs, start, end);
    start = end;
  }
}

void unique_apply(table *t, const long *fields, size_t n_fields, long lead_id_field) {
  if (n_fields == 0 || t->n_rows == 0) return;
  radix_pair *pairs = lr_xmalloc(t->n_rows * sizeof *pairs);
  for (size_t u = 0; u < n_fields; u++) {
    int reason = fields[u] == lead_id_field ? LR_REASON_DUPLICATE_LEAD_ID : LR_REASON_DUPLICATE;
    unique_apply_one(t, u, fields[u], reason, pairs);
  }
  free(pairs);
}
