/* rank.c — sorts compact (priority, lead_id, row) keys, never whole rows. */
#include "rank.h"

#include <stdlib.h>
#include <string.h>

#include "lr_err.h"

typedef struct rank_key {
  double priority;
  const char *lead_id;
  uint32_t lead_id_len;
  uint32_t row;
} rank_key;

static int rank_cmp(const void *a, const void *b) {
  const rank_key *x = a, *y = b;
  if (x->priority != y->priority) return x->priority > y->priority ? -1 : 1;
  size_t n = x->lead_id_len < y->lead_id_len ? x->lead_id_len : y->lead_id_len;
  int c = memcmp(x->lead_id, y->lead_id, n);
  if (c != 0) return c;
  if (x->lead_id_len != y->lead_id_len) return x->lead_id_len < y->lead_id_len ? -1 : 1;
  return x->row < y->row ? -1 : (x->row > y->row);
}

uint32_t *rank_rows(const table *t, size_t *n_out) {
  size_t n = 0;
  rank_key *keys = lr_xmalloc((t->n_rows ? t->n_rows : 1) * sizeof *keys);
  for (size_t i = 0; i < t->n_rows; i++) {
    const table_row *r = &t->rows[i];
    if (r->status != ROW_ACCEPTED || r->score.disqualify != DQ_NONE) continue;
    keys[n++] = (rank_key){ r->score.priority, r->lead_id.ptr, r->lead_id.len, (uint32_t)i };
  }
  qsort(keys, n, sizeof *keys, rank_cmp);
  uint32_t *order = lr_xmalloc((n ? n : 1) * sizeof *order);
  for (size_t i = 0; i < n; i++) order[i] = keys[i].row;
  free(keys);
  *n_out = n;
  return order;
}
