/* fuzz_frame.c — libFuzzer target: the framer's invariants on arbitrary input, and its
 * records against libcsv (issue 5: the framer's state-machine port must agree with libcsv).
 *
 * The input is a whole decompressed file. It is framed as scan.c frames it — ncols -1
 * until the header record, then the header's field count — once with max_record_bytes
 * 1024 (the brief's limit) and once with 7 (so short inputs reach the record_too_long
 * paths and the 8-byte SWAR loops' tails). Checks, each an abort:
 *  - frames come in input order and tile the input: the first starts right after the BOM
 *    (if any), each next one starts right after the previous one's bytes and its line
 *    break (CRLF, CR or LF; none only at the end), FRAME_END sits at the end, and every
 *    call but the last advances (so framing ends);
 *  - each frame's line is 1 + the physical line breaks before it, so lines increase;
 *  - blank lines hold only blanks; rejects and single-line records hold no line break,
 *    multi-line records do; has_quote is whether a `"` is in the record; records fit the
 *    limit and, after the header, have the header's field count; reasons are the framer's;
 *  - every record is one libcsv row of exactly n_fields fields, and a quote-free one
 *    splits with csvparse_plain into the same fields (scan.c's dispatch);
 *  - framing the input as it streams in (scan_next_final's rule: frame a prefix only when
 *    max_record_bytes + 2 bytes follow the position, keep the record only when 2 bytes
 *    follow it) gives exactly the same frames, in steps of 1..128 bytes set by the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "csvparse.h"
#include "frame.h"
#include "fuzzcheck.h"
#include "lr_err.h"
#include "row.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One frame_next call: its record and the frame's position after it. */
typedef struct fuzz_step {
  frame_rec rec;
  size_t pos_after;
  uint64_t line_after;
} fuzz_step;

static int fuzz_is_break(char c) { return c == '\r' || c == '\n'; }

static int fuzz_has_break(const char *s, size_t len) {
  return memchr(s, '\r', len) != NULL || memchr(s, '\n', len) != NULL;
}

/* Physical line breaks in d[a, b), CRLF counted once. */
static uint64_t fuzz_count_breaks(const char *d, size_t a, size_t b) {
  uint64_t n = 0;
  for (size_t i = a; i < b; i++)
    if (d[i] == '\n' || (d[i] == '\r' && !(i + 1 < b && d[i + 1] == '\n'))) n++;
  return n;
}

/* Length of the line break at d[at] (0 at the end of the input). */
static size_t fuzz_break_len(const char *d, size_t n, size_t at) {
  if (at >= n) return 0;
  FUZZ_REQUIRE(fuzz_is_break(d[at]));
  return d[at] == '\r' && at + 1 < n && d[at + 1] == '\n' ? 2 : 1;
}

static int fuzz_fields_equal(const lr_field *a, size_t na, const lr_field *b, size_t nb) {
  if (na != nb) return 0;
  for (size_t i = 0; i < na; i++)
    if (!fuzz_bytes_equal(a[i].ptr, a[i].len, b[i].ptr, b[i].len)) return 0;
  return 1;
}

/* A record's fields: libcsv's count is the framer's, and the fast path agrees. */
static void fuzz_check_record(const char *d, const frame_rec *r, csvparse *lib_p,
                              csvparse *plain_p) {
  const lr_field *lf, *pf;
  size_t ln, pn;
  int verbatim;
  FUZZ_REQUIRE(csvparse_record(lib_p, d + r->offset, r->len, &lf, &ln) == LR_OK);
  FUZZ_REQUIRE(ln == r->n_fields);
  if (r->has_quote) return;
  csvparse_plain(plain_p, d + r->offset, r->len, &pf, &pn, &verbatim);
  FUZZ_REQUIRE(fuzz_fields_equal(pf, pn, lf, ln));
}

/* Frames all of d[0, n) and checks every frame; returns the number of steps in *steps
 * (sized n + 2: at most one frame per byte, plus FRAME_END). */
static size_t fuzz_frame_whole(const char *d, size_t n, size_t max, fuzz_step *steps,
                               csvparse *lib_p, csvparse *plain_p) {
  frame f;
  frame_init(&f, d, n, max);
  size_t expect_off = n >= 3 && memcmp(d, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
  uint64_t expect_line = 1;
  long ncols = -1;
  size_t k = 0;
  for (;;) {
    FUZZ_REQUIRE(k < n + 2);
    frame_rec *r = &steps[k].rec;
    int kind = frame_next(&f, ncols, r);
    steps[k].pos_after = f.pos;
    steps[k].line_after = f.line;
    k++;
    FUZZ_REQUIRE(kind == r->kind);
    FUZZ_REQUIRE(r->offset == expect_off);
    FUZZ_REQUIRE(r->line == expect_line);
    /* A frame never starts between the CR and LF of a CRLF. */
    FUZZ_REQUIRE(!(r->offset > 0 && r->offset < n && d[r->offset - 1] == '\r' && d[r->offset] == '\n'));
    if (kind == FRAME_END) {
      FUZZ_REQUIRE(r->offset == n && r->len == 0);
      return k;
    }
    FUZZ_REQUIRE(r->offset + r->len <= n);
    const char *s = d + r->offset;
    size_t end = r->offset + r->len;
    switch (kind) {
    case FRAME_BLANK:
      for (size_t i = 0; i < r->len; i++)
        FUZZ_REQUIRE(s[i] == ' ' || s[i] == '\t' || s[i] == '\v' || s[i] == '\f');
      FUZZ_REQUIRE(r->reason == LR_REASON_NONE);
      break;
    case FRAME_REJECT:
      FUZZ_REQUIRE(!fuzz_has_break(s, r->len));
      FUZZ_REQUIRE(r->reason == LR_REASON_RECORD_TOO_LONG || r->reason == LR_REASON_UNBALANCED_QUOTE ||
                   (r->reason == LR_REASON_WRONG_FIELD_COUNT && ncols >= 0));
      /* Only the limit makes a quote-free line a reject, besides the field count. */
      if (memchr(s, '"', r->len) == NULL)
        FUZZ_REQUIRE(r->reason != LR_REASON_UNBALANCED_QUOTE);
      break;
    case FRAME_RECORD:
      FUZZ_REQUIRE(r->reason == LR_REASON_NONE);
      FUZZ_REQUIRE(r->len <= max);
      FUZZ_REQUIRE(r->has_quote == (memchr(s, '"', r->len) != NULL));
      FUZZ_REQUIRE(r->multiline == fuzz_has_break(s, r->len));
      FUZZ_REQUIRE(!r->multiline || r->has_quote);
      FUZZ_REQUIRE(r->n_fields >= 1);
      if (ncols >= 0) FUZZ_REQUIRE(r->n_fields == (uint64_t)ncols);
      fuzz_check_record(d, r, lib_p, plain_p);
      if (ncols < 0) ncols = (long)r->n_fields;
      break;
    default:
      FUZZ_REQUIRE(!"unknown frame kind");
    }
    expect_off = end + fuzz_break_len(d, n, end);
    expect_line = r->line + 1 + fuzz_count_breaks(d, r->offset, end);
    FUZZ_REQUIRE(f.pos == expect_off && f.line == expect_line);
    FUZZ_REQUIRE(f.pos > r->offset); /* progress: framing ends */
  }
}

static int fuzz_rec_equal(const frame_rec *a, const frame_rec *b) {
  return a->kind == b->kind && a->reason == b->reason && a->line == b->line &&
         a->offset == b->offset && a->len == b->len && a->n_fields == b->n_fields &&
         a->has_quote == b->has_quote && a->multiline == b->multiline;
}

/* Frames d[0, n) as scan_next_final does while text arrives `step` bytes at a time, and
 * requires the frames of fuzz_frame_whole. */
static void fuzz_frame_streamed(const char *d, size_t n, size_t max, size_t step,
                                const fuzz_step *steps, size_t n_steps) {
  frame f;
  int started = 0;
  size_t avail = 0, margin = max + 2;
  long ncols = -1;
  for (size_t k = 0; k < n_steps; k++) {
    frame_rec r;
    for (;;) {
      int done = avail == n;
      if (!started && (done || avail >= 3)) {
        frame_init(&f, d, avail, max);
        started = 1;
      }
      if (started) {
        f.len = avail;
        if (done) {
          frame_next(&f, ncols, &r);
          break;
        }
        if (f.pos + margin <= avail) {
          frame saved = f;
          frame_next(&f, ncols, &r);
          if (r.offset + r.len + 2 <= avail) break;
          f = saved;
        }
      }
      avail = n - avail > step ? avail + step : n;
    }
    FUZZ_REQUIRE(fuzz_rec_equal(&r, &steps[k].rec));
    FUZZ_REQUIRE(f.pos == steps[k].pos_after && f.line == steps[k].line_after);
    if (r.kind == FRAME_RECORD && ncols < 0) ncols = (long)r.n_fields;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const size_t limits[] = {1024, 7};
  const char *d = (const char *)data;
  fuzz_step *steps = lr_xmalloc((size + 2) * sizeof *steps);
  csvparse *lib_p = csvparse_new(), *plain_p = csvparse_new();
  size_t step = 1 + (size > 0 ? (uint8_t)d[size - 1] % 128 : 0);
  for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
    size_t n_steps = fuzz_frame_whole(d, size, limits[i], steps, lib_p, plain_p);
    fuzz_frame_streamed(d, size, limits[i], step, steps, n_steps);
  }
  csvparse_free(lib_p);
  csvparse_free(plain_p);
  free(steps);
  return 0;
}
