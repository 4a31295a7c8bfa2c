/* dedupe.c — duplicate people: (key hash, row) pairs sorted by hash with a stable radix
 * sort; within a run of equal hashes the keys are re-derived, rows are grouped by exact
 * key bytes, and each group keeps its latest created_at (tie: the earliest row, which
 * comes first). */
#include "dedupe.h"

#include <stdlib.h>
#include <string.h>

#include "lr_err.h"
#include "radix.h"

/* Settles one run of equal hashes (rows ascending): keys[e] is the key of pairs[start+e]. */
static void dedupe_settle_run(table *t, const radix_pair *pairs, size_t start, size_t end,
                              char **keys, const size_t *lens, unsigned char *grouped) {
  size_t k = end - start;
  memset(grouped, 0, k);
  for (size_t g = 0; g < k; g++) {
    if (grouped[g]) continue;
    grouped[g] = 1;
    uint32_t best = pairs[start + g].index;
    for (size_t e = g + 1; e < k; e++) {
      if (grouped[e] || lens[e] != lens[g] || memcmp(keys[e], keys[g], lens[g]) != 0) continue;
      grouped[e] = 2; /* in g's group */
      if (table_row_at(t, pairs[start + e].index)->created > table_row_at(t, best)->created)
        best = pairs[start + e].index;
    }
    for (size_t e = g; e < k; e++) {
      if (e != g && grouped[e] != 2) continue;
      grouped[e] = 1;
      uint32_t row = pairs[start + e].index;
      if (row == best) continue;
      table_row_at(t, row)->status = ROW_DUPLICATE;
      table_row_at(t, row)->dup_of = best;
    }
  }
}

void dedupe_apply(table *t, scan_rederiver *rd) {
  size_t n = 0;
  radix_pair *pairs = lr_xmalloc((t->n_rows ? t->n_rows : 1) * sizeof *pairs);
  for (size_t i = 0; i < t->n_rows; i++) {
    const table_row *r = table_row_at(t, i);
    if (r->status != ROW_ACCEPTED || r->dedupe_hash == 0) continue;
    pairs[n++] = (radix_pair){ r->dedupe_hash, (uint32_t)i };
  }
  radix_sort_pairs(pairs, n);
  char **keys = NULL;
  size_t *lens = NULL;
  unsigned char *grouped = NULL;
  size_t cap = 0, start = 0;
  while (start < n) {
    size_t end = start + 1;
    while (end < n && pairs[end].key == pairs[start].key) end++;
    size_t k = end - start;
    if (k > 1) {
      if (k > cap) {
        cap = k;
        keys = lr_xrealloc(keys, cap * sizeof *keys);
        lens = lr_xrealloc(lens, cap * sizeof *lens);
        grouped = lr_xrealloc(grouped, cap);
      }
      for (size_t e = 0; e < k; e++) {
        lr_field key = scan_rederive_dedupe_key(rd, pairs[start + e].index);
        keys[e] = lr_xstrndup(key.ptr, key.len);
        lens[e] = key.len;
      }
      dedupe_settle_run(t, pairs, start, end, keys, lens, grouped);
      for (size_t e = 0; e < k; e++) free(keys[e]);
    }
    start = end;
  }
  free(keys);
  free(lens);
  free(grouped);
  free(pairs);
}
