/* fuzz_split.c — libFuzzer target: csvparse_plain, csvparse_quoted and
 * csvw_fields_equal_raw against libcsv and csvw's own quoting (issue 5: a fast path must
 * be proved identical to libcsv).
 *
 * The input is one record's bytes (what frame_next would delimit). Checks, each an abort:
 *  - no `"`, CR or LF in it and not blank by the framer's rule (A3: only space, tab, VT,
 *    FF, so never a record; libcsv delivers no row for it), i.e. a record scan.c sends to
 *    csvparse_plain: csvparse_plain
 *    delivers exactly csvparse_record's (libcsv's) fields, pointing into the record;
 *    its verbatim flag is 1 exactly when the fields, re-quoted with csvw_buf_field and
 *    joined by commas, give the record's bytes back, and csvw_fields_equal_raw agrees;
 *  - any bytes csvparse_record splits into one row: csvw_fields_equal_raw(fields, record)
 *    is 1 exactly when re-quoting and joining the fields gives the record back (output
 *    copies the raw record only then);
 *  - that re-quoted record (what an output file holds) reads back through libcsv as the
 *    same fields, so copying and re-quoting can never change a value;
 *  - any bytes at all: when csvparse_quoted takes them (returns 1), csvparse_record splits
 *    them into one row with exactly its fields, its verbatim flag is
 *    csvw_fields_equal_raw's verdict on libcsv's fields, and each field points into the
 *    record unless its value holds a `"` (only `""` needs a copy). Declining (0) is
 *    always allowed: those records go to libcsv.
 * With FUZZ_SPLIT_STATS set in the environment it prints at exit how many inputs libcsv
 * read as one row and how many of them the quoted fast path took.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvparse.h"
#include "csvw.h"
#include "fuzzcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fields written the way outputs write a record: csvw_buf_field, joined by commas. */
static void fuzz_join_fields(const lr_field *f, size_t n, lr_buf *out) {
  out->len = 0;
  for (size_t i = 0; i < n; i++) {
    if (i > 0) lr_buf_putc(out, ',');
    csvw_buf_field(out, f[i].ptr, f[i].len);
  }
}

static int fuzz_fields_equal(const lr_field *a, size_t na, const lr_field *b, size_t nb) {
  if (na != nb) return 0;
  for (size_t i = 0; i < na; i++)
    if (!fuzz_bytes_equal(a[i].ptr, a[i].len, b[i].ptr, b[i].len)) return 0;
  return 1;
}

/* The quote-free fast path against libcsv on the same bytes. */
static void fuzz_check_plain(csvparse *plain_p, csvparse *lib_p, const char *rec, size_t len,
                             lr_buf *join) {
  const lr_field *pf, *lf;
  size_t pn, ln;
  int verbatim = -1;
  csvparse_plain(plain_p, rec, len, &pf, &pn, &verbatim);
  FUZZ_REQUIRE(verbatim == 0 || verbatim == 1);
  /* Zero-copy is the point of the fast path: every field lies inside the record. */
  for (size_t i = 0; i < pn; i++)
    FUZZ_REQUIRE(pf[i].ptr >= rec && pf[i].ptr + pf[i].len <= rec + len);

  FUZZ_REQUIRE(csvparse_record(lib_p, rec, len, &lf, &ln) == LR_OK);
  FUZZ_REQUIRE(fuzz_fields_equal(pf, pn, lf, ln));

  fuzz_join_fields(pf, pn, join);
  int same = fuzz_bytes_equal(join->data, join->len, rec, len);
  FUZZ_REQUIRE(verbatim == same);
  FUZZ_REQUIRE(csvw_fields_equal_raw(pf, pn, rec, len) == same);
}

/* Any record libcsv reads as one row: the raw-copy decision and the output round trip. */
static void fuzz_check_quoted(csvparse *lib_p, csvparse *back_p, const char *rec, size_t len,
                              lr_buf *join) {
  const lr_field *f, *bf;
  size_t n, bn;
  if (csvparse_record(lib_p, rec, len, &f, &n) != LR_OK) return; /* several rows: not a record */
  fuzz_join_fields(f, n, join);
  int same = fuzz_bytes_equal(join->data, join->len, rec, len);
  FUZZ_REQUIRE(csvw_fields_equal_raw(f, n, rec, len) == same);
  /* A lone empty field writes nothing, and an empty line is no record for libcsv. */
  if (join->len == 0) return;
  FUZZ_REQUIRE(csvparse_record(back_p, join->data, join->len, &bf, &bn) == LR_OK);
  FUZZ_REQUIRE(fuzz_fields_equal(f, n, bf, bn));
}

/* Inputs seen, inputs libcsv read as one row, and those csvparse_quoted took (for
 * FUZZ_SPLIT_STATS). */
static unsigned long long fuzz_n_inputs, fuzz_n_rows, fuzz_n_fast;

static void fuzz_print_stats(void) {
  fprintf(stderr, "fuzz_split: %llu inputs, %llu one libcsv row, %llu took csvparse_quoted (%.1f%% of rows)\n",
          fuzz_n_inputs, fuzz_n_rows, fuzz_n_fast, fuzz_n_rows ? 100.0 * (double)fuzz_n_fast / (double)fuzz_n_rows : 0.0);
}

/* The simply-quoted fast path against libcsv on the same bytes. */
static void fuzz_check_fast_quoted(csvparse *fast_p, csvparse *lib_p, const char *rec, size_t len) {
  const lr_field *qf = NULL, *lf;
  size_t qn = 0, ln;
  int verbatim = -1;
  int lib_ok = csvparse_record(lib_p, rec, len, &lf, &ln) == LR_OK;
  int took = csvparse_quoted(fast_p, rec, len, &qf, &qn, &verbatim);
  FUZZ_REQUIRE(took == 0 || took == 1);
  fuzz_n_inputs++;
  fuzz_n_rows += lib_ok;
  if (!took) return;
  fuzz_n_fast++;
  FUZZ_REQUIRE(lib_ok);
  FUZZ_REQUIRE(fuzz_fields_equal(qf, qn, lf, ln));
  FUZZ_REQUIRE(verbatim == csvw_fields_equal_raw(lf, ln, rec, len));
  for (size_t i = 0; i < qn; i++)
    FUZZ_REQUIRE((qf[i].ptr >= rec && qf[i].ptr + qf[i].len <= rec + len) ||
                 memchr(qf[i].ptr, '"', qf[i].len) != NULL);
}

/* 1 when frame_next would call the line blank rather than a record. */
static int fuzz_is_blank_line(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\v' && s[i] != '\f') return 0;
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int stats_armed;
  if (!stats_armed) {
    stats_armed = 1;
    if (getenv("FUZZ_SPLIT_STATS") != NULL) atexit(fuzz_print_stats);
  }
  const char *rec = (const char *)data;
  csvparse *a = csvparse_new(), *b = csvparse_new();
  lr_buf join = {0};
  if (memchr(rec, '"', size) == NULL && memchr(rec, '\r', size) == NULL &&
      memchr(rec, '\n', size) == NULL && !fuzz_is_blank_line(rec, size))
    fuzz_check_plain(a, b, rec, size, &join);
  fuzz_check_quoted(a, b, rec, size, &join);
  fuzz_check_fast_quoted(a, b, rec, size);
  lr_buf_release(&join);
  csvparse_free(a);
  csvparse_free(b);
  return 0;
}
