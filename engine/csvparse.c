/* csvparse.c — splits one framed record into fields with the real libcsv (csvparse.h).
 *
 * Owns: one libcsv parser in default mode (csv_init(&p, 0)) and the buffers the fields
 * of the last record live in. The framer (frame.c) has already decided where the record
 * ends with a port of the same state machine; using libcsv itself here keeps field
 * contents exactly what SPEC §2 promises ("CSV as libcsv reads it").
 *
 * Records without a quote (most of a real export) take csvparse_plain instead: for them
 * libcsv's state machine reduces to "split at commas, drop blanks at field ends", which a
 * memchr loop does without copying; test_csvparse checks the two agree on random input.
 *
 * Per record: csv_parse over the bytes, then csv_fini, which submits a record that has no
 * terminator (frame_rec.len never includes one) and resets the parser for the next call.
 * libcsv hands each field to a callback in its own entry buffer, so the callback appends
 * the bytes to one growing buffer and records (offset, length); pointers are built only
 * at the end because the buffer may move while it grows. Buffers keep their capacity
 * between records, so a steady stream of records allocates nothing.
 */
#include "csvparse.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>

typedef struct csvparse_span {
  size_t off; /* into csvparse.buf */
  size_t len;
} csvparse_span;

struct csvparse {
  struct csv_parser parser; /* libcsv state, reset by csv_fini after every record */
  char *buf;                /* field bytes of the current record, back to back */
  size_t buf_len, buf_cap;
  csvparse_span *spans;     /* one per field, in order */
  lr_field *fields;         /* built from spans once the record is complete */
  size_t n_fields, fields_cap;
  size_t n_rows;            /* rows libcsv ended: exactly 1 for a framed record */
};

/* Capacity at least `need`, doubling so growth is amortised. */
static size_t csvparse_grow(size_t cap, size_t need) {
  if (cap == 0) cap = 256;
  while (cap < need) cap *= 2;
  return cap;
}

static void csvparse_reserve_fields(csvparse *p, size_t n);

/* libcsv field callback. `field` may be NULL when the field is empty and libcsv has not
 * allocated its entry buffer yet. */
static void csvparse_on_field(void *field, size_t len, void *data) {
  csvparse *p = data;
  if (p->buf_len + len > p->buf_cap) {
    p->buf_cap = csvparse_grow(p->buf_cap, p->buf_len + len);
    p->buf = lr_xrealloc(p->buf, p->buf_cap);
  }
  if (len != 0) memcpy(p->buf + p->buf_len, field, len);
  csvparse_reserve_fields(p, p->n_fields + 1);
  p->spans[p->n_fields].off = p->buf_len;
  p->spans[p->n_fields].len = len;
  p->n_fields++;
  p->buf_len += len;
}

/* libcsv row callback: the terminator (-1 from csv_fini) does not matter, only the count. */
static void csvparse_on_row(int terminator, void *data) {
  csvparse *p = data;
  (void)terminator;
  p->n_rows++;
}

csvparse *csvparse_new(void) {
  csvparse *p = lr_xcalloc(1, sizeof *p);
  /* Start with room so field pointers never derive from a NULL buffer (all-empty record). */
  p->buf_cap = csvparse_grow(0, 1);
  p->buf = lr_xmalloc(p->buf_cap);
  /* csv_init fails only for a NULL parser; its entry buffer is allocated on first use. */
  (void)csv_init(&p->parser, 0);
  return p;
}

void csvparse_free(csvparse *p) {
  if (p == NULL) return;
  csv_free(&p->parser);
  free(p->buf);
  free(p->spans);
  free(p->fields);
  free(p);
}

int csvparse_record(csvparse *p, const char *rec, size_t len, const lr_field **fields_out,
                    size_t *n_out) {
  p->buf_len = 0;
  p->n_fields = 0;
  p->n_rows = 0;
  *fields_out = NULL;
  *n_out = 0;
  size_t done = csv_parse(&p->parser, rec, len, csvparse_on_field, csvparse_on_row, p);
  if (done != len) {
    /* Default mode has no parse errors: this is libcsv failing to grow its buffer. Start
     * a fresh parser so the next record does not inherit the half-parsed state. */
    csv_free(&p->parser);
    (void)csv_init(&p->parser, 0);
    return LR_ERR_INPUT;
  }
  csv_fini(&p->parser, csvparse_on_field, csvparse_on_row, p);
  /* A framed, non-blank record is exactly one libcsv row with at least one field; the
   * framer and libcsv disagreeing would be a bug, reported rather than hidden. */
  if (p->n_rows != 1 || p->n_fields == 0) return LR_ERR_INPUT;
  for (size_t i = 0; i < p->n_fields; i++) {
    p->fields[i].ptr = p->buf + p->spans[i].off;
    p->fields[i].len = p->spans[i].len;
  }
  *fields_out = p->fields;
  *n_out = p->n_fields;
  return LR_OK;
}

/* Room for at least n fields in p->fields. */
static void csvparse_reserve_fields(csvparse *p, size_t n) {
  if (n <= p->fields_cap) return;
  p->fields_cap = csvparse_grow(p->fields_cap, n);
  p->spans = lr_xrealloc(p->spans, p->fields_cap * sizeof *p->spans);
  p->fields = lr_xrealloc(p->fields, p->fields_cap * sizeof *p->fields);
}

static int csvparse_is_blank(char c) { return c == ' ' || c == '\t'; }

void csvparse_plain(csvparse *p, const char *rec, size_t len, const lr_field **fields_out,
                    size_t *n_out, int *verbatim_out) {
  size_t n = 0;
  int verbatim = 1;
  const char *at = rec, *end = rec + len;
  for (;;) {
    const char *comma = memchr(at, ',', (size_t)(end - at));
    const char *stop = comma != NULL ? comma : end;
    const char *a = at, *b = stop;
    while (a < b && csvparse_is_blank(*a)) a++;
    while (b > a && csvparse_is_blank(b[-1])) b--;
    if (a != at || b != stop) verbatim = 0;
    csvparse_reserve_fields(p, n + 1);
    p->fields[n].ptr = a;
    p->fields[n].len = (size_t)(b - a);
    n++;
    if (comma == NULL) break;
    at = comma + 1;
  }
  *fields_out = p->fields;
  *n_out = n;
  *verbatim_out = verbatim;
}
