/* dedupe.c — duplicate people: (key hash, row) pairs sorted by hash with a stable radix
 * sort; within a run of equal hashes rows are grouped by exact key bytes and each group
 * keeps its latest created_at (tie: the earliest row, which comes first). */
#include "dedupe.h"

#include <stdlib.h>
#include <string.h>

#include "lr_err.h"
#include "radix.h"

static int dedupe_same_key(const table_row *a, const table_row *b) {
  return a->dedupe_key.len == b->dedupe_key.len &&
         memcmp(a->dedupe_key.ptr, b->dedupe_key.ptr, a->dedupe_key.len) == 0;
}

/* Settles one run of equal hashes (rows ascending). Entries already claimed by a group
 * are marked with dup_of; a run holds one key except under a 64-bit collision. */
static void dedupe_settle_run(table *t, const radix_pair *pairs, size_t start, size_t end,
                              unsigned char *grouped) {
  for (size_t g = start; g < end; g++) {
    if (grouped[g - start]) continue;
    table_row *first = table_row_at(t, pairs[g].index);
    uint32_t best = pairs[g].index;
    for (size_t k = g + 1; k < end; k++)
      if (!grouped[k - start] && dedupe_same_key(first, table_row_at(t, pairs[k].index))) {
        grouped[k - start] = 1;
        if (table_row_at(t, pairs[k].index)->created > table_row_at(t, best)->created) best = pairs[k].index;
      }
    for (size_t k = g; k < end; k++) {
      if (k != g && !(grouped[k - start] && dedupe_same_key(first, table_row_at(t, pairs[k].index)))) continue;
      if (pairs[k].index == best) continue;
      table_row_at(t, pairs[k].index)->status = ROW_DUPLICATE;
      table_row_at(t, pairs[k].index)->dup_of = best;
    }
  }
}

void dedupe_apply(table *t) {
  size_t n = 0;
  radix_pair *pairs = lr_xmalloc((t->n_rows ? t->n_rows : 1) * sizeof *pairs);
  for (size_t i = 0; i < t->n_rows; i++) {
    const table_row *r = table_row_at(t, i);
    if (r->status != ROW_ACCEPTED || r->dedupe_key.ptr == NULL) continue;
    pairs[n++] = (radix_pair){ r->dedupe_hash, (uint32_t)i };
  }
  radix_sort_pairs(pairs, n);
  unsigned char *grouped = NULL;
  size_t grouped_cap = 0, start = 0;
  while (start < n) {
    size_t end = start + 1;
    while (end < n && pairs[end].key == pairs[start].key) end++;
    if (end - start > 1) {
      if (end - start > grouped_cap) {
        grouped_cap = end - start;
        grouped = lr_xrealloc(grouped, grouped_cap);
      }
      memset(grouped, 0, end - start);
      dedupe_settle_run(t, pairs, start, end, grouped);
    }
    start = end;
  }
  free(grouped);
  free(pairs);
}
