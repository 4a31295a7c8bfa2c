/* unique.c — exact uniqueness of `unique` fields and lead_id: (hash key, row) pairs
 * sorted by the hash's top bits (radix_hash_shift) with a stable radix sort, so rows with
 * equal keys are in input order; within such a run the values are re-derived and
 * compared byte for byte, and the first accepted occurrence of each value wins, the runs
 * in parallel. No hash table, no stored strings. */
#include "unique.h"

#include <stdlib.h>
#include <string.h>

#include "lr_err.h"
#include "par.h"
#include "radix.h"

/* The values of one run's rows, re-derived once (copied: the re-deriver's buffer is
 * reused by the next call). */
typedef struct unique_run {
  char **values;
  size_t *lens;
  size_t cap;
} unique_run;

static void unique_run_load(unique_run *u, scan_rederiver *rd, size_t slot, const radix_pair *pairs,
                            size_t start, size_t end) {
  size_t k = end - start;
  if (k > u->cap) {
    u->values = lr_xrealloc(u->values, k * sizeof *u->values);
    u->lens = lr_xrealloc(u->lens, k * sizeof *u->lens);
    u->cap = k;
  }
  for (size_t e = 0; e < k; e++) {
    lr_field v;
    scan_rederive_unique(rd, pairs[start + e].index, slot, &v);
    u->values[e] = lr_xstrndup(v.ptr, v.len);
    u->lens[e] = v.len;
  }
}

/* Marks repeats within one run of equal keys (pairs[start, end), rows ascending). A run
 * may hold several values (hashes that share their top bits), so each entry is compared
 * with the earlier entries that were kept. */
static void unique_settle_run(table *t, const unique_run *u, int reason, long field,
                              const radix_pair *pairs, size_t start, size_t end) {
  for (size_t k = start + 1; k < end; k++) {
    for (size_t e = start; e < k; e++) {
      if (table_row_at(t, pairs[e].index)->status != ROW_ACCEPTED) continue; /* a repeat itself */
      if (u->lens[k - start] != u->lens[e - start] ||
          memcmp(u->values[k - start], u->values[e - start], u->lens[k - start]) != 0)
        continue;
      table_row *row = table_row_at(t, pairs[k].index);
      row->status = ROW_REJECTED;
      row->reason = (unsigned char)reason;
      row->reason_field = (int16_t)field;
      break;
    }
  }
}

static void unique_apply_one(table *t, scan_rederiver *const *rds, int n_threads, size_t slot,
                             long field, int reason, radix_space *space) {
  radix_pair *pairs = space->pairs;
  size_t n = 0;
  int shift = radix_hash_shift(t->n_rows);
  for (size_t i = 0; i < t->n_rows; i++) {
    if (table_row_at(t, i)->status != ROW_ACCEPTED) continue;
    uint64_t h = *table_unique_at(t, i, slot);
    if (h != 0) pairs[n++] = (radix_pair){ h >> shift, (uint32_t)i };
  }
  radix_sort_pairs(pairs, n, space->scratch, n_threads);
  radix_run *spans;
  size_t n_spans = radix_equal_runs(pairs, n, &spans);
  /* a run touches only its own rows: each is settled by whichever thread takes it */
#pragma omp parallel num_threads(n_threads)
  {
    unique_run u = { 0 };
    scan_rederiver *rd = rds[par_thread_num()];
#pragma omp for schedule(dynamic, 256)
    for (size_t r = 0; r < n_spans; r++) {
      size_t start = spans[r].start, end = spans[r].end;
      unique_run_load(&u, rd, slot, pairs, start, end);
      unique_settle_run(t, &u, reason, field, pairs, start, end);
      for (size_t e = 0; e < end - start; e++) free(u.values[e]);
    }
    free(u.values);
    free(u.lens);
  }
  free(spans);
}

void unique_apply(table *t, scan_rederiver *const *rds, int n_threads, const long *fields,
                  size_t n_fields, long lead_id_field, radix_space *space) {
  if (n_fields == 0 || t->n_rows == 0) return;
  radix_space_reserve(space, t->n_rows);
  for (size_t slot = 0; slot < n_fields; slot++) {
    int reason = fields[slot] == lead_id_field ? LR_REASON_DUPLICATE_LEAD_ID : LR_REASON_DUPLICATE;
    unique_apply_one(t, rds, n_threads, slot, fields[slot], reason, space);
  }
}
