/* summary.h — summary.json (SPEC §6, A37): counts, history, as_of, threads, timings,
 * inputs.
 *
 * Written with a small purpose-built emitter rather than jansson: jansson prints doubles
 * with a fixed precision (%.17g), while the SPEC asks for shortest round-trip doubles.
 * Map keys with counts are sorted bytewise and list non-zero counts only; by_tier always
 * has A, B, C, D, X.
 */
#ifndef LR_SUMMARY_H
#define LR_SUMMARY_H

#include <stddef.h>

#include "history.h"
#include "lr_err.h"
#include "output.h"
#include "schema.h"
#include "table.h"

typedef struct summary_timing {
  const char *stage;
  double seconds;
} summary_timing;

typedef struct summary_info {
  const char *as_of;               /* YYYY-MM-DD */
  int threads;
  const char *const *inputs;       /* INPUT strings as given */
  size_t n_inputs;
  const summary_timing *timings;
  size_t n_timings;
  /* score only (history == NULL for validate) */
  const history *history;
  const char *history_source;      /* "file" or "redis" */
  const char *history_cache;       /* "hit", "published", "local", "fallback" */
  const char *const *deals;        /* --history files */
  size_t n_deals;
} summary_info;

/* The counts, by enum index (no string work per row; the JSON maps are built from the
 * non-zero counters when written). Every row is tallied once with its final status:
 * summary_tally_table for a table in memory, summary_tally_row as a spilling run writes
 * its rows. Reject reasons are counted per (reason, field). */
typedef struct summary_tally {
  int scored;                /* score run: accepted rows carry scores */
  size_t n_fields;
  long long input_rows, blank_lines;
  long long ranked, disq, dup, rej, tiers[5];
  long long segment[SEG_COUNT], disqualify[DQ_COUNT], reason[MODEL_N_COMPONENTS];
  long long *reject;         /* [reason * (n_fields + 1) + field + 1] */
} summary_tally;

/* Caller releases with summary_tally_release. */
void summary_tally_init(summary_tally *c, const schema *s, int scored);
void summary_tally_release(summary_tally *c);
void summary_tally_row(summary_tally *c, const table_row *r);
/* Every row of t, and its blank lines. */
void summary_tally_table(summary_tally *c, const table *t);

/* Writes OUTDIR/summary.json under its temporary name and adds it to `pending` (published
 * with the run's other outputs, last). */
int summary_write(const char *outdir, const summary_tally *tally, const schema *s,
                  const summary_info *info, int do_fsync, output_pending *pending,
                  lr_err *err) LR_MUST_CHECK;

/* Shortest "%.{p}g" that reads back as x (JSON has no inf/nan: those are written null). */
void summary_format_double(double x, char *buf, size_t buf_len);

#endif
