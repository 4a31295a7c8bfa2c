/* dedupe.c — duplicate people: group accepted rows by exact dedupe key (sorted by hash,
 * bytes, row) and keep the latest created_at of each group. */
#include "dedupe.h"

#include <stdlib.h>
#include <string.h>

#include "lr_err.h"


typedef struct dedupe_entry {
  uint64_t hash;
  const char *key;
  uint32_t len;
  uint32_t row;
} dedupe_entry;

static int dedupe_same_key(const dedupe_entry *x, const dedupe_entry *y) {
  return x->hash == y->hash && x->len == y->len && memcmp(x->key, y->key, x->len) == 0;
}

static int dedupe_cmp(const void *a, const void *b) {
  const dedupe_entry *x = a, *y = b;
  if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
  if (x->len != y->len) return x->len < y->len ? -1 : 1;
  int c = memcmp(x->key, y->key, x->len);
  if (c != 0) return c;
  return x->row < y->row ? -1 : (x->row > y->row);
}

void dedupe_apply(table *t) {
  size_t n = 0;
  dedupe_entry *entries = lr_xmalloc((t->n_rows ? t->n_rows : 1) * sizeof *entries);
  for (size_t i = 0; i < t->n_rows; i++) {
    const table_row *r = &t->rows[i];
    if (r->status != ROW_ACCEPTED || r->dedupe_key.ptr == NULL) continue;
    entries[n++] = (dedupe_entry){ r->dedupe_hash, r->dedupe_key.ptr, r->dedupe_key.len, (uint32_t)i };
  }
  qsort(entries, n, sizeof *entries, dedupe_cmp);
  size_t start = 0;
  while (start < n) {
    size_t end = start + 1;
    while (end < n && dedupe_same_key(&entries[start], &entries[end])) end++;
    /* rows within a group are in input order, so a strict > keeps the earliest on ties */
    uint32_t best = entries[start].row;
    for (size_t k = start + 1; k < end; k++)
      if (t->rows[entries[k].row].created > t->rows[best].created) best = entries[k].row;
    for (size_t k = start; k < end; k++) {
      if (entries[k].row == best) continue;
      t->rows[entries[k].row].status = ROW_DUPLICATE;
      t->rows[entries[k].row].dup_of = best;
    }
    start = end;
  }
  free(entries);
}
