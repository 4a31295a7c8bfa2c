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
 * Records whose quotes are all simple (csvparse_quoted: each quoted field closes with a
 * quote followed by blanks and a comma or the end, every inner quote doubled) are almost
 * as cheap: for them libcsv's FIELD_MIGHT_HAVE_ENDED state only ever sees `""` or the
 * field's end, so a field is its bytes between the quotes, `""` unescaped. Anything else
 * (the lenient rule, an unclosed quote, a line break outside quotes) goes to libcsv.
 * tests/unit/test_csvparse.c and tests/fuzz/fuzz_split.c check both paths against it.
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
#include <stdint.h>
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

/* 0x80 in each byte of x that equals c, 0 elsewhere (as frame.c's frame_swar_eq). */
static inline uint64_t csvparse_swar_eq(uint64_t x, unsigned char c) {
  uint64_t v = x ^ (0x0101010101010101ULL * c);
  return ~(((v & 0x7F7F7F7F7F7F7F7FULL) + 0x7F7F7F7F7F7F7F7FULL) | v | 0x7F7F7F7F7F7F7F7FULL);
}

/* Offset of the first ',', CR or LF in s[0, n), or n: the bytes that end an unquoted field
 * for libcsv, and (inside quotes) make csvw quote a field. eol 0 promises that s holds no
 * CR or LF (true of most records, checked once per record), and then glibc's vectorised
 * memchr finds the comma; else 8 bytes at a time. */
static size_t csvparse_find_sep(const char *s, size_t n, int eol) {
  if (!eol) {
    const char *comma = memchr(s, ',', n);
    return comma == NULL ? n : (size_t)(comma - s);
  }
  size_t i = 0;
  while (i + 8 <= n) {
    uint64_t x;
    memcpy(&x, s + i, sizeof x);
    if (csvparse_swar_eq(x, ',') | csvparse_swar_eq(x, '\r') | csvparse_swar_eq(x, '\n')) break;
    i += 8;
  }
  while (i < n && s[i] != ',' && s[i] != '\r' && s[i] != '\n') i++;
  return i;
}

int csvparse_quoted(csvparse *p, const char *rec, size_t len, const lr_field **fields_out,
                    size_t *n_out, int *verbatim_out) {
  const char *at = rec, *end = rec + len;
  size_t n = 0;
  int verbatim = 1;    /* csvw_fields_equal_raw so far: every raw field is its own re-quoting */
  int unquoted = 0;    /* the last field was unquoted */
  char *out = NULL;    /* next free byte of p->buf for unescaped fields, once reserved */
  /* Line breaks are rare (multi-line quoted notes): knowing there are none lets every
   * separator search below look for commas alone. */
  int eol = memchr(rec, '\n', len) != NULL || memchr(rec, '\r', len) != NULL;
  /* The first quote at or after the current field: unquoted fields (most of them) hold
   * none, which one search per quoted field settles instead of one per field. */
  const char *next_quote = NULL;
  for (;;) {
    /* ROW_NOT_BEGUN / FIELD_NOT_BEGUN: blanks before a field are dropped */
    const char *a = at;
    while (a < end && csvparse_is_blank(*a)) a++;
    if (next_quote == NULL || next_quote < a) {
      next_quote = memchr(a, '"', (size_t)(end - a));
      if (next_quote == NULL) next_quote = end;
    }
    csvparse_reserve_fields(p, n + 1);
    lr_field *f = &p->fields[n++];
    const char *stop; /* the comma that ends the field, or end */
    unquoted = a == end || *a != '"';
    if (unquoted) {
      /* FIELD_BEGUN unquoted: runs to a comma; a quote is data, trailing blanks are
       * dropped. A line break would end libcsv's row: not a record this handles. */
      stop = a + csvparse_find_sep(a, (size_t)(end - a), eol);
      if (stop < end && *stop != ',') return 0;
      const char *b = stop;
      while (b > a && csvparse_is_blank(b[-1])) b--;
      f->ptr = a;
      f->len = (size_t)(b - a);
      /* re-quoted as itself only with no blank dropped and no quote (csvw would quote
       * it); commas and line breaks cannot be in it */
      if (verbatim && (a != at || b != stop || next_quote < b)) verbatim = 0;
    } else {
      /* FIELD_BEGUN quoted: the next quote puts libcsv in FIELD_MIGHT_HAVE_ENDED; a quote
       * right after it is `""` (one quote, still quoted), anything else must be blanks
       * then a comma or the end, or this is not a simple field. */
      const char *data = a + 1, *close, *from = data;
      int doubled = 0;
      for (;;) {
        close = memchr(from, '"', (size_t)(end - from));
        if (close == NULL) return 0; /* unclosed: csv_fini would deliver it as read */
        if (close + 1 < end && close[1] == '"') {
          doubled = 1;
          from = close + 2;
          continue;
        }
        break;
      }
      stop = close + 1;
      while (stop < end && csvparse_is_blank(*stop)) stop++;
      if (stop < end && *stop != ',') return 0; /* the lenient rule, or a line break */
      size_t dlen = (size_t)(close - data);
      if (!doubled) {
        f->ptr = data;
        f->len = dlen;
        /* csvw quotes it (so the raw text is its re-quoting) only if it holds `,`, CR,
         * LF or outer blanks; no `"` here */
        if (verbatim && (a != at || stop != close + 1 || dlen == 0 ||
                         (!csvparse_is_blank(data[0]) && !csvparse_is_blank(data[dlen - 1]) &&
                          csvparse_find_sep(data, dlen, eol) == dlen)))
          verbatim = 0;
      } else {
        /* Unescaped fields never hold more bytes than rec, so one reservation keeps
         * p->buf (and every pointer into it) still for the whole record. */
        if (out == NULL) {
          if (p->buf_cap < len) {
            p->buf_cap = csvparse_grow(p->buf_cap, len);
            p->buf = lr_xrealloc(p->buf, p->buf_cap);
          }
          out = p->buf;
        }
        f->ptr = out;
        for (const char *s = data; s < close;) {
          const char *q = memchr(s, '"', (size_t)(close - s));
          size_t k = q == NULL ? (size_t)(close - s) : (size_t)(q + 1 - s);
          memcpy(out, s, k);
          out += k;
          s += k + (q != NULL); /* skip the second quote of the pair */
        }
        f->len = (size_t)(out - f->ptr);
        /* a `"` in the value: csvw quotes it and doubles it back, so only the blanks
         * around the quotes can differ */
        if (a != at || stop != close + 1) verbatim = 0;
      }
    }
    if (stop == end) break;
    at = stop + 1;
  }
  /* Only blanks: libcsv delivers no row at all. */
  if (n == 1 && unquoted && p->fields[0].len == 0) return 0;
  *fields_out = p->fields;
  *n_out = n;
  *verbatim_out = verbatim;
  return 1;
}

int csvparse_split(csvparse *p, const char *rec, size_t len, const lr_field **fields_out,
                   size_t *n_out) {
  int verbatim;
  if (csvparse_quoted(p, rec, len, fields_out, n_out, &verbatim)) return LR_OK;
  return csvparse_record(p, rec, len, fields_out, n_out);
}
