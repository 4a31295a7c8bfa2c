/* scan.h — the parse+validate(+score) stage: INPUT files in, lead table rows out.
 *
 * For each INPUT in order, in one OpenMP region: thread 0 inflates it (ingest_stream_*)
 * while the other threads take turns as the one framer — which maps the header onto the
 * schema, then cuts batches of records from the text published so far — and parse,
 * validate and (when a scoring plan is given) score the batches. Rows are handed out by
 * the framer in input order and each is written only by the thread that parses it, so the
 * table is the same for any thread count (scan.c explains the finality rule for text that
 * is still arriving).
 *
 * Bounded runs (a sink in the config) instead hand every row to the sink in input order
 * and release the table rows and input text behind them, and the inflating thread stays
 * at most text_window bytes ahead, parsing when it may not inflate (with one thread it
 * does both in turn).
 *
 * The header rules (SPEC §2, A8, A9, A40, A41): the first non-blank record is the header;
 * no header at all, or one that is rejected, not UTF-8, or maps badly, is LR_ERR_INPUT;
 * every later INPUT must map its columns like the first.
 *
 * Call order: scan_inputs once (it fills the table and the header) → later stages →
 * scan_header_release.
 */
#ifndef LR_SCAN_H
#define LR_SCAN_H

#include <stddef.h>

#include "csvparse.h"
#include "frame.h"
#include "history.h"
#include "lr_err.h"
#include "model.h"
#include "schema.h"
#include "score.h"
#include "table.h"

/* What a bounded run needs of an accepted row besides its table_row: the bytes the table
 * keeps only as hashes. Absent values have present 0. */
typedef struct scan_keys {
  const lr_field *unique;              /* [n_unique] the unique fields' values */
  const unsigned char *unique_present; /* [n_unique] */
  lr_field dedupe_key;                 /* score: the SPEC §5 key; len 0: none */
  lr_field lead_id;                    /* score: the trimmed lead_id ("" when absent) */
} scan_keys;

/* A bounded run's sink: receives every row once, in input order (keys NULL for rejected
 * rows), from one thread at a time. text: the raw record (row->len bytes), valid during
 * the call. A non-LR_OK return stops the scan with that error. */
typedef int (*scan_sink_fn)(void *arg, const table_row *row, const char *text,
                            const scan_keys *keys, lr_err *err);

typedef struct scan_config {
  int n_threads;                /* threads of the scan (one inflates while the others parse) */
  const schema *schema;
  int dup_policy;               /* enum schema_dup_policy */
  const char *const *must_have; /* extra fields whose column must exist (NULL-terminated) */
  size_t max_record_bytes;
  const long *unique_fields;    /* schema fields whose value hashes are kept for uniqueness */
  size_t n_unique;
  /* scoring: plan == NULL scans without scoring (validate) */
  const score_plan *plan;
  const model *model;
  const history *history;
  int32_t as_of;
  /* bounded run (--memory): sink != NULL hands every row over as soon as it and all rows
   * before it are scanned; the table then keeps only rows in flight (table_release_rows)
   * and each input at most text_window bytes of text beyond what was handed over. */
  scan_sink_fn sink;
  void *sink_arg;
  size_t text_window;
  /* prepare != NULL: called once, on a thread of the first input's scan while thread 0
   * starts inflating, before any record is parsed (framing goes on meanwhile); with one
   * thread, first. It may set fields of this config that parsing reads (history) through
   * its own pointer to it. A failure ends the scan with prepare's error, before any
   * other. */
  int (*prepare)(void *arg, lr_err *err);
  void *prepare_arg;
} scan_config;

typedef struct scan_header {
  char **names;      /* the first input's header names as libcsv delivered them */
  size_t n_cols;
  schema_map map;    /* the first input's mapping */
} scan_header;

/* Scans every source into t (rows appended in input order; blank lines counted).
 * On error nothing is appended that a caller may use; the message names the input. */
/* *inflate_seconds_out: the time the inflating thread was busy (it overlaps parsing). */
int scan_inputs(table *t, const scan_config *cfg, const char *const *sources,
                size_t n_sources, scan_header *header_out, double *inflate_seconds_out,
                lr_err *err) LR_MUST_CHECK;

void scan_header_release(scan_header *h);

/* Frames the header of one input: skips and counts blank lines, parses the first record
 * with p and returns its fields (owned by p). LR_ERR_INPUT for no header or a bad one. */
int scan_read_header(frame *f, csvparse *p, const char *source, const lr_field **names_out,
                     size_t *n_out, uint64_t *blank_lines_out, lr_err *err) LR_MUST_CHECK;

/* Re-derives what the table keeps only as hashes, from an accepted row's raw text: the row
 * is split and validated again exactly as scan did (so the bytes are the ones scan
 * hashed). One per thread; valid while the table, config and header live. */
typedef struct scan_rederiver scan_rederiver;

/* Caller frees with scan_rederiver_free (accepts NULL). */
scan_rederiver *scan_rederiver_new(const table *t, const scan_config *cfg, const scan_header *hdr);
void scan_rederiver_free(scan_rederiver *r);

/* The value of unique slot `slot` (scan_config.unique_fields[slot]) of row i into *out
 * (owned by r, valid until its next call): 1 when present, 0 when absent. */
int scan_rederive_unique(scan_rederiver *r, size_t i, size_t slot, lr_field *out);

/* The trimmed lead_id of row i (score runs only). */
lr_field scan_rederive_lead_id(scan_rederiver *r, size_t i);

/* The SPEC §5 dedupe key of row i (the bytes table_row.dedupe_hash hashes). */
lr_field scan_rederive_dedupe_key(scan_rederiver *r, size_t i);

#endif
