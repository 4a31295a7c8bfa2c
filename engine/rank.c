/* rank.c — the ranked order: (priority key, row) pairs radix-sorted, then each run of
 * equal priorities ordered by lead_id bytewise (re-derived for those rows only), the runs
 * in parallel. Compact keys only, never rows. */
#include "rank.h"

#include <stdlib.h>
#include <string.h>

#include "lr_err.h"
#include "csvw.h"
#include "par.h"
#include "radix.h"

/* One row of a run of equal priorities; its full lead_id is at ids[off, off + len) once
 * re-derived (only rows whose prefixes tie with a long id need it). */
typedef struct rank_tie {
  const table_row *row;
  uint32_t index;
  size_t off, len;   /* len SIZE_MAX: not re-derived */
} rank_tie;

typedef struct rank_ties_ctx {
  lr_buf ids;
} rank_ties_ctx;

/* Equal lead_ids (absent ones, under a --schema where lead_id is optional) keep input
 * order: qsort_r is not stable, and a spilling run (spill.c) sorts by the same total
 * order, (priority, lead_id, row). */
static int rank_index_cmp(const rank_tie *x, const rank_tie *y) {
  return x->index < y->index ? -1 : x->index > y->index;
}

static int rank_tie_cmp(const void *a, const void *b, void *arg) {
  const rank_tie *x = a, *y = b;
  const rank_ties_ctx *ctx = arg;
  int c = memcmp(x->row->id_prefix, y->row->id_prefix, TABLE_ID_PREFIX);
  if (c != 0) return c;
  if (!x->row->id_long && !y->row->id_long) return rank_index_cmp(x, y);
  /* equal prefixes and a longer id: the full bytes decide (re-derived beforehand) */
  size_t n = x->len < y->len ? x->len : y->len;
  c = memcmp(ctx->ids.data + x->off, ctx->ids.data + y->off, n);
  if (c != 0) return c;
  if (x->len != y->len) return x->len < y->len ? -1 : 1;
  return rank_index_cmp(x, y);
}

/* Orders pairs[start, end) (equal priorities) by lead_id bytewise. */
static void rank_order_ties(const table *t, scan_rederiver *rd, radix_pair *pairs, size_t start,
                            size_t end, rank_ties_ctx *ctx, rank_tie *ties) {
  size_t k = end - start;
  ctx->ids.len = 0;
  for (size_t i = 0; i < k; i++) {
    const table_row *row = table_row_at(t, pairs[start + i].index);
    ties[i] = (rank_tie){ row, pairs[start + i].index, 0, 0 };
    if (!row->id_long) continue;
    lr_field id = scan_rederive_lead_id(rd, pairs[start + i].index);
    ties[i].off = ctx->ids.len;
    ties[i].len = id.len;
    lr_buf_put(&ctx->ids, id.ptr, id.len);
  }
  /* short ids compare by prefix alone; give them their bytes too for mixed pairs */
  for (size_t i = 0; i < k; i++) {
    if (ties[i].row->id_long) continue;
    size_t len = strnlen((const char *)ties[i].row->id_prefix, TABLE_ID_PREFIX);
    ties[i].off = ctx->ids.len;
    ties[i].len = len;
    lr_buf_put(&ctx->ids, (const char *)ties[i].row->id_prefix, len);
  }
  qsort_r(ties, k, sizeof *ties, rank_tie_cmp, ctx);
  for (size_t i = 0; i < k; i++) pairs[start + i].index = ties[i].index;
}

uint32_t *rank_rows(const table *t, scan_rederiver *const *rds, int n_threads, radix_space *space,
                    size_t *n_out) {
  size_t n = 0;
  radix_space_reserve(space, t->n_rows);
  radix_pair *pairs = space->pairs;
  for (size_t i = 0; i < t->n_rows; i++) {
    const table_row *r = table_row_at(t, i);
    if (r->status != ROW_ACCEPTED || r->score.disqualify != DQ_NONE) continue;
    pairs[n++] = (radix_pair){ radix_key_descending(r->score.priority), (uint32_t)i };
  }
  radix_sort_pairs(pairs, n, space->scratch, n_threads);
  radix_run *blocks; /* runs of equal priorities */
  size_t n_blocks = radix_equal_runs(pairs, n, &blocks);
  /* blocks touch disjoint parts of pairs: each is ordered by whichever thread takes it */
#pragma omp parallel num_threads(n_threads)
  {
    rank_ties_ctx ctx = { { 0 } };
    rank_tie *ties = NULL;
    size_t cap = 0;
    scan_rederiver *rd = rds[par_thread_num()];
#pragma omp for schedule(dynamic, 16)
    for (size_t b = 0; b < n_blocks; b++) {
      size_t k = blocks[b].end - blocks[b].start;
      if (k > cap) {
        cap = k;
        ties = lr_xrealloc(ties, cap * sizeof *ties);
      }
      rank_order_ties(t, rd, pairs, blocks[b].start, blocks[b].end, &ctx, ties);
    }
    lr_buf_release(&ctx.ids);
    free(ties);
  }
  free(blocks);
  uint32_t *order = lr_xmalloc((n ? n : 1) * sizeof *order);
  for (size_t i = 0; i < n; i++) order[i] = pairs[i].index;
  *n_out = n;
  return order;
}
