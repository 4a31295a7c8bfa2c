/* dedupe.c — duplicate people: (key hash, row) pairs sorted by the hash's top bits
 * (radix_hash_shift) with a stable radix sort; within a run of equal sort keys the dedupe
 * keys are re-derived, rows are grouped by exact key bytes, and each group keeps its
 * latest created_at (tie: the earliest row, which comes first). Runs are settled in
 * parallel. */
#include "dedupe.h"

#include <stdlib.h>
#include <string.h>

#include "lr_err.h"
#include "par.h"
#include "radix.h"

/* Settles one run of equal sort keys (rows ascending): keys[e] is the key of pairs[start+e]. */
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

/* One thread's buffers for the keys of a run. */
typedef struct dedupe_scratch {
  char **keys;
  size_t *lens;
  unsigned char *grouped;
  size_t cap;
} dedupe_scratch;

/* Re-derives the keys of one run and settles it (runs share no rows). */
static void dedupe_settle(table *t, scan_rederiver *rd, const radix_pair *pairs, radix_run run,
                          dedupe_scratch *x) {
  size_t k = run.end - run.start;
  if (k > x->cap) {
    x->cap = k;
    x->keys = lr_xrealloc(x->keys, x->cap * sizeof *x->keys);
    x->lens = lr_xrealloc(x->lens, x->cap * sizeof *x->lens);
    x->grouped = lr_xrealloc(x->grouped, x->cap);
  }
  for (size_t e = 0; e < k; e++) {
    lr_field key = scan_rederive_dedupe_key(rd, pairs[run.start + e].index);
    x->keys[e] = lr_xstrndup(key.ptr, key.len);
    x->lens[e] = key.len;
  }
  dedupe_settle_run(t, pairs, run.start, run.end, x->keys, x->lens, x->grouped);
  for (size_t e = 0; e < k; e++) free(x->keys[e]);
}

void dedupe_apply(table *t, scan_rederiver *const *rds, int n_threads, radix_space *space) {
  size_t n = 0;
  radix_space_reserve(space, t->n_rows);
  radix_pair *pairs = space->pairs;
  int shift = radix_hash_shift(t->n_rows);
  for (size_t i = 0; i < t->n_rows; i++) {
    const table_row *r = table_row_at(t, i);
    if (r->status != ROW_ACCEPTED || r->dedupe_hash == 0) continue;
    pairs[n++] = (radix_pair){ r->dedupe_hash >> shift, (uint32_t)i };
  }
  radix_sort_pairs(pairs, n, space->scratch, n_threads);
  radix_run *runs;
  size_t n_runs = radix_equal_runs(pairs, n, &runs);
  /* re-deriving a key re-parses and validates its row: most of this stage's time */
#pragma omp parallel num_threads(n_threads)
  {
    dedupe_scratch x = { 0 };
    scan_rederiver *rd = rds[par_thread_num()];
#pragma omp for schedule(dynamic, 256)
    for (size_t r = 0; r < n_runs; r++) dedupe_settle(t, rd, pairs, runs[r], &x);
    free(x.keys);
    free(x.lens);
    free(x.grouped);
  }
  free(runs);
}
