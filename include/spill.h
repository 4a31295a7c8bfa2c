/* spill.h — the bounded-memory run (`--memory MB`): uniqueness, dedupe, ranking and the
 * outputs settled out of core, from spilled, sorted compact records (SPEC §6), so that
 * memory stays near MB whatever the number of rows, and INPUT is read once.
 *
 * Flow. The scan (scan.h, with a sink) hands over every row once, in input order, as soon
 * as it and every row before it are scanned: spill_put_row. The row, with its raw text,
 * goes to a spool (input order); an accepted row's unique values, dedupe key and ranking
 * key go to external sorts (extsort.h), the ranking key carrying the whole row so ranked
 * rows come back in rank order with their text. spill_write_outputs then settles:
 *   1. each unique field in turn: records sorted by (value, row); the first accepted row
 *      of each value keeps it, later ones are rejected (as unique.c does in memory);
 *   2. dedupe: records sorted by (key, created_at descending, row): the first row of a key
 *      still accepted is kept, the others are duplicates of it (as dedupe.c does);
 *   3. ranked.csv from the ranking sort, (priority descending, lead_id, row), skipping
 *      rows that 1-2 took out (as rank.c orders them);
 *   4. one pass over the spool in input order: disqualified.csv, duplicates.csv (with
 *      duplicate_of from a sort of (row, kept lead_id)) and rejects.csv, and the counts.
 * Exact throughout: every comparison is on the bytes, no hash decides anything. The
 * files are written through output_file (output.h), so they are the bytes an in-memory
 * run writes.
 *
 * What stays in memory besides the sorters' budgets: one byte per row (its fate after
 * 1-2). Everything spilled lives in anonymous files in OUTDIR/.leadrank-spill-PID/, a
 * directory spill_free removes (a run killed outright leaves it empty; the next run in
 * OUTDIR removes it, output_remove_stale_temps).
 *
 * Threads: spill_put_row is called by one thread at a time (the scan's retiring thread);
 * spill_write_outputs formats in parallel through output_file.
 */
#ifndef LR_SPILL_H
#define LR_SPILL_H

#include <stddef.h>

#include "lr_err.h"
#include "output.h"
#include "scan.h"
#include "schema.h"
#include "summary.h"
#include "table.h"

typedef struct spill_config {
  const char *outdir;          /* the spill directory is made inside it */
  size_t memory_bytes;         /* --memory: the scan's text window, the rest for the sorters */
  size_t max_record_bytes;     /* sizes the text window (spill_text_window) */
  const long *unique_fields;   /* schema fields checked for uniqueness, lead_id last */
  size_t n_unique;
  long lead_id_field;          /* its rejects read duplicate_lead_id; -1: none */
  int scoring;                 /* score (dedupe, ranking) or validate (uniqueness only) */
  int verbose;                 /* -v: say how many sorted runs each sort spilled */
} spill_config;

/* The share of --memory the scan's text window gets: a quarter, but at least two of the
 * largest records and a batch (the rest goes to the sorters). */
size_t spill_text_window(size_t memory_bytes, size_t max_record_bytes);

typedef struct spill spill;

/* Makes the spill directory. Caller frees with spill_free. LR_ERR_OUTPUT naming the
 * directory when it cannot be made. */
int spill_new(const spill_config *cfg, spill **out, lr_err *err) LR_MUST_CHECK;

/* The scan's sink (scan_sink_fn): arg is the spill. */
int spill_put_row(void *arg, const table_row *row, const char *text, const scan_keys *keys,
                  lr_err *err) LR_MUST_CHECK;

/* Settles and writes the four CSVs (score) or rejects.csv (validate) into cfg->pending,
 * tallying every row into *tally (initialised by the caller). t: the INPUT names. */
int spill_write_outputs(spill *s, const table *t, const scan_header *hdr, const schema *leads_schema,
                        const output_config *cfg, summary_tally *tally, lr_err *err) LR_MUST_CHECK;

/* Closes every spilled file and removes the directory. Accepts NULL. */
void spill_free(spill *s);

#endif
