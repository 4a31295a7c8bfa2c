/* rank.c — the ranked order: (priority key, row) pairs radix-sorted, then each run of
 * equal priorities (rare: identical leads) ordered by lead_id bytewise. Compact keys only,
 * never rows. */
#include "rank.h"

#include <stdlib.h>
#include <string.h>

#include "lr_err.h"
#include "radix.h"

/* qsort context for one run of equal priorities: qsort has none, so the run is sorted as
 * (lead_id pointer, length, row) triples. */
typedef struct rank_tie {
  const char *lead_id;
  uint32_t len;
  uint32_t row;
} rank_tie;

static int rank_tie_cmp(const void *a, const void *b) {
  const rank_tie *x = a, *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->lead_id, y->lead_id, n);
  if (c != 0) return c;
  return x->len < y->len ? -1 : (x->len > y->len);
}

static void rank_order_ties(const table *t, radix_pair *pairs, size_t start, size_t end) {
  size_t k = end - start;
  rank_tie *ties = lr_xmalloc(k * sizeof *ties);
  for (size_t i = 0; i < k; i++) {
    const table_row *r = table_row_at(t, pairs[start + i].index);
    ties[i] = (rank_tie){ r->lead_id.ptr, r->lead_id.len, pairs[start + i].index };
  }
  qsort(ties, k, sizeof *ties, rank_tie_cmp);
  for (size_t i = 0; i < k; i++) pairs[start + i].index = ties[i].row;
  free(ties);
}

uint32_t *rank_rows(const table *t, size_t *n_out) {
  size_t n = 0;
  radix_pair *pairs = lr_xmalloc((t->n_rows ? t->n_rows : 1) * sizeof *pairs);
  for (size_t i = 0; i < t->n_rows; i++) {
    const table_row *r = table_row_at(t, i);
    if (r->status != ROW_ACCEPTED || r->score.disqualify != DQ_NONE) continue;
    pairs[n++] = (radix_pair){ radix_key_descending(r->score.priority), (uint32_t)i };
  }
  radix_sort_pairs(pairs, n);
  for (size_t start = 0; start < n;) {
    size_t end = start + 1;
    while (end < n && pairs[end].key == pairs[start].key) end++;
    if (end - start > 1) rank_order_ties(t, pairs, start, end);
    start = end;
  }
  uint32_t *order = lr_xmalloc((n ? n : 1) * sizeof *order);
  for (size_t i = 0; i < n; i++) order[i] = pairs[i].index;
  free(pairs);
  *n_out = n;
  return order;
}
