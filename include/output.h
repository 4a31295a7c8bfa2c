/* output.h — the four CSV outputs of SPEC §6, from the lead table.
 *
 * ranked.csv (rank order), disqualified.csv and duplicates.csv (input order), rejects.csv
 * (input order = (input, line) order). Input columns are re-split from each row's raw text
 * with libcsv and re-quoted by the csvw rule, so the table keeps no parsed fields. Rows are
 * formatted in parallel, block by block, and each file is written in order by one writer;
 * the in-memory score run writes ranked.csv and the other files at the same time
 * (output_write_scored). Files are finished under temporary names and published together
 * by the caller (output_pending), so a run's outputs appear all at once or not at all.
 */
#ifndef LR_OUTPUT_H
#define LR_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "csvw.h"
#include "lr_err.h"
#include "scan.h"
#include "schema.h"
#include "table.h"

/* Output files written completely but not yet published (csvw_finish'ed). A run publishes
 * them together at its end, in the order added (summary.json last), so a failure part-way
 * never leaves new files beside old ones; on failure they are all discarded. */
#define OUTPUT_MAX_PENDING 8

typedef struct output_pending {
  csvw *files[OUTPUT_MAX_PENDING];
  size_t n;
} output_pending;

/* Finishes w and adds it to p; on failure w is discarded. */
int output_pending_add(output_pending *p, csvw *w, lr_err *err) LR_MUST_CHECK;
/* Renames every pending file into place, in order; after a failure the rest are discarded. */
int output_pending_publish(output_pending *p, lr_err *err) LR_MUST_CHECK;
/* Discards every pending file (their temporaries are removed). */
void output_pending_abort(output_pending *p);

/* Removes temporaries of leadrank's output names in outdir (DIR/.NAME.tmp-PID), and
 * spill directories (DIR/.leadrank-spill-PID, spill.h), whose PID is no longer running:
 * what a run killed by SIGKILL or a crash left behind. A warning names each one.
 * Temporaries of live processes are left alone. */
void output_remove_stale_temps(const char *outdir);

/* This process's temporary paths of every output name in outdir, into paths[0, max): what
 * a signal handler removes. Returns how many were written. */
size_t output_temp_paths(const char *outdir, long pid, char (*paths)[4096], size_t max);

typedef struct output_config {
  const char *outdir;
  int gzip;      /* NAME.csv.gz instead of NAME.csv */
  int do_fsync;  /* --fsync */
  int n_threads;
  output_pending *pending;  /* where the finished files go */
} output_config;

/* ---- one output file, written from items ---------------------------------------
 * output_file_open (writes the header) → output_file_write … (items in file order) →
 * output_file_finish (the file joins cfg->pending) or output_file_abort. Each
 * output_file_write formats its items in parallel (cfg->n_threads) and appends them in
 * order; call it outside parallel regions. Both the in-memory run (the drivers below)
 * and the spilling run (spill.h) write through it, so the bytes cannot differ. */
enum output_kind { OUTPUT_RANKED, OUTPUT_DISQUALIFIED, OUTPUT_DUPLICATES, OUTPUT_REJECTS,
                   OUTPUT_KIND_COUNT };

/* Items are formatted in blocks of this many (the drivers' unit of work). */
#define OUTPUT_BLOCK_ROWS 16384

/* One row to write, with what its file needs beyond the row. Pointers are the caller's,
 * valid during the output_file_write call. */
typedef struct output_item {
  const table_row *row;
  const char *text;      /* the raw record text (row->len bytes) */
  lr_field kept_id;      /* duplicates.csv: duplicate_of, the kept row's lead_id */
  uint64_t rank;         /* ranked.csv: 1-based */
} output_item;

typedef struct output_file output_file;

/* t: the INPUT names (rejects); hdr: the input columns (every kind but rejects); s: the
 * schema's field names (rejects). */
int output_file_open(const output_config *cfg, int kind, const table *t, const scan_header *hdr,
                     const schema *s, output_file **out, lr_err *err) LR_MUST_CHECK;
void output_file_write(output_file *f, const output_item *items, size_t n);
/* Frees f; the finished file is added to cfg->pending (on failure it is discarded). */
int output_file_finish(output_file *f, lr_err *err) LR_MUST_CHECK;
/* Frees f and discards its file. Accepts NULL. */
void output_file_abort(output_file *f);

/* ---- the in-memory run's drivers ------------------------------------------------- */

/* Writes ranked, disqualified, duplicates and rejects (score). ranked: rank_rows' order;
 * scan: the scan's config, to re-derive the kept rows' lead_ids for duplicate_of; s: the
 * schema's field names (rejects). With two threads or more, ranked.csv is written (and
 * with --gzip compressed) by thread 0 while another thread writes the other three, then
 * helps format ranked.csv's blocks; the files and the order they join cfg->pending are the same
 * either way. Call it outside parallel regions. */
int output_write_scored(const table *t, const scan_header *hdr, const scan_config *scan,
                        const schema *s, const uint32_t *ranked, size_t n_ranked,
                        const output_config *cfg, lr_err *err) LR_MUST_CHECK;

/* Writes rejects.csv (validate). */
int output_write_rejects(const table *t, const scan_header *hdr, const schema *s,
                         const output_config *cfg, lr_err *err) LR_MUST_CHECK;

/* "bad_number:budget": a rejected row's reason as written in rejects.csv. */
void output_reason_text(const table_row *r, const schema *s, char *buf, size_t buf_len);

/* "%.1f" with "-0.0" written "0.0" (A24, A38); buf of at least 32 bytes. */
size_t output_format_score(double x, char *buf);

#endif
