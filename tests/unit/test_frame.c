/* test_frame.c — record framing (engine/frame.c): every SPEC §2 / refscore A1–A10 rule,
 * with hand-computed kinds, line numbers, offsets, lengths and field counts. */
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "row.h"
#include "testhelp.h"

#define MAXB 1024

/* The expected frame: kind, reason (0 unless a reject), line, offset, len, n_fields
 * (records only), multiline (records only). */
typedef struct want {
  int kind, reason;
  unsigned line;
  size_t offset, len;
  unsigned n_fields;
  int multiline;
} want;

#define REC(line, off, len, nf) {FRAME_RECORD, 0, line, off, len, nf, 0}
#define RECML(line, off, len, nf) {FRAME_RECORD, 0, line, off, len, nf, 1}
#define BLANK(line, off, len) {FRAME_BLANK, 0, line, off, len, 0, 0}
#define REJ(reason, line, off, len) {FRAME_REJECT, reason, line, off, len, 0, 0}
#define WFC LR_REASON_WRONG_FIELD_COUNT
#define UNB LR_REASON_UNBALANCED_QUOTE
#define TOOLONG LR_REASON_RECORD_TOO_LONG

/* Frames data[0, len) as the reader does (ncols -1 until the first record, the header,
 * then its field count) and compares every frame with want[0, n_want), then FRAME_END. */
static void check_frames(const char *what, const char *data, size_t len, size_t max_bytes,
                         const want *w, size_t n_want) {
  frame f;
  frame_rec r;
  long ncols = -1;
  frame_init(&f, data, len, max_bytes);
  for (size_t i = 0; i < n_want; i++) {
    int kind = frame_next(&f, ncols, &r);
    if (kind != w[i].kind || r.line != w[i].line || r.offset != w[i].offset || r.len != w[i].len ||
        (kind == FRAME_REJECT && r.reason != w[i].reason) ||
        (kind == FRAME_RECORD && (r.n_fields != w[i].n_fields || r.multiline != w[i].multiline))) {
      printf("  %s: frame %zu is kind %d reason %d line %llu offset %zu len %zu fields %u multi %d\n", what,
             i, kind, r.reason, (unsigned long long)r.line, r.offset, r.len, r.n_fields, r.multiline);
      TEST_CHECK(!"frame as expected");
      return;
    }
    TEST_CHECK(1);
    if (kind == FRAME_RECORD && ncols < 0) ncols = (long)r.n_fields;
  }
  TEST_EQ_INT(frame_next(&f, ncols, &r), FRAME_END);
  /* END is sticky */
  TEST_EQ_INT(frame_next(&f, ncols, &r), FRAME_END);
}

#define CHECK(what, str, ...)                                                   \
  do {                                                                          \
    static const want w_[] = {__VA_ARGS__};                                     \
    check_frames(what, str, sizeof(str) - 1, MAXB, w_, sizeof w_ / sizeof w_[0]); \
  } while (0)

static void test_empty_inputs(void) {
  frame f;
  frame_rec r;
  frame_init(&f, "", 0, MAXB);
  TEST_EQ_INT(frame_next(&f, -1, &r), FRAME_END);
  frame_init(&f, "\xEF\xBB\xBF", 3, MAXB);
  TEST_EQ_INT(frame_next(&f, -1, &r), FRAME_END);
  TEST_EQ_INT(r.line, 1);
}

static void test_bom(void) {
  /* the BOM is not part of line 1's text, its offset counts from the buffer start */
  CHECK("bom", "\xEF\xBB\xBF" "a,b\n1,2\n", REC(1, 3, 3, 2), REC(2, 7, 3, 2));
  /* a BOM not at offset 0 is text */
  CHECK("bom later", "a\n\xEF\xBB\xBF\n", REC(1, 0, 1, 1), REC(2, 2, 3, 1));
}

static void test_line_ends(void) {
  /* CRLF, lone CR, LF, and no final line break */
  CHECK("mixed", "a,b\r\n1,2\r3,4\n5,6", REC(1, 0, 3, 2), REC(2, 5, 3, 2), REC(3, 9, 3, 2),
        REC(4, 13, 3, 2));
  /* \r\r\n is two breaks with an empty line between */
  CHECK("cr cr lf", "a\r\r\nb\n", REC(1, 0, 1, 1), BLANK(2, 2, 0), REC(3, 4, 1, 1));
  /* a CR inside an unquoted field ends the line and the record (Acme<CR>Corp) */
  CHECK("cr in field", "h\nAcme\rCorp\n", REC(1, 0, 1, 1), REC(2, 2, 4, 1), REC(3, 7, 4, 1));
}

static void test_blank_lines(void) {
  /* blank lines before the header count for line numbers; VT / FF only lines are blank */
  CHECK("blanks", "\n \t\n\v\f\nh1,h2\n\n  \n1,2\n", BLANK(1, 0, 0), BLANK(2, 1, 2), BLANK(3, 4, 2),
        REC(4, 7, 5, 2), BLANK(5, 13, 0), BLANK(6, 14, 2), REC(7, 17, 3, 2));
  /* a VT among text is field content, not blank */
  CHECK("vt text", "h\n\va\n", REC(1, 0, 1, 1), REC(2, 2, 2, 1));
  /* a line of commas is a record of empty fields; one blank-only field line is blank */
  CHECK("commas", "a,b,c\n,,\n , ,\t\n", REC(1, 0, 5, 3), REC(2, 6, 2, 3), REC(3, 9, 5, 3));
}

static void test_quoted_newline(void) {
  /* "x<LF>y",z spans lines 2-3: one record whose len holds the break; the next record
   * is line 4 */
  CHECK("quoted lf", "h1,h2\n\"x\ny\",z\nq,w\n", REC(1, 0, 5, 2), RECML(2, 6, 7, 2), REC(4, 14, 3, 2));
  /* an embedded CRLF and a lone CR each count one line */
  CHECK("quoted crlf cr", "h1,h2\r\n\"a\r\nb\rc\",d\r\ne,f", REC(1, 0, 5, 2), RECML(2, 7, 10, 2),
        REC(5, 19, 3, 2));
  /* a proper multi-line header */
  CHECK("header ml", "\"h\n1\",h2\na,b\n", RECML(1, 0, 8, 2), REC(3, 9, 3, 2));
}

static void test_swallowing_quote(void) {
  /* "ab"cd keeps the field open over lines 2-4 (closed by z"<LF>): a lenient multi-line
   * record is unbalanced_quote on its first line only; the swallowed lines come back:
   * x,y a record, z" (a quote inside an unquoted field is literal) one field: wrong count */
  CHECK("swallow", "h1,h2\n\"ab\"cd,e\nx,y\nz\"\nk,l\n", REC(1, 0, 5, 2), REJ(UNB, 2, 6, 8),
        REC(3, 15, 3, 2), REJ(WFC, 4, 19, 2), REC(5, 22, 3, 2));
  /* the same with the right field count: still unbalanced_quote (A7); x",y is a record */
  CHECK("swallow right count", "h1,h2\n\"ab\"cd,e\nx\",y\n", REC(1, 0, 5, 2), REJ(UNB, 2, 6, 8),
        REC(3, 15, 4, 2));
  /* "ab"cd,e" closed on its own line is one field ab"cd,e: lenient but single-line (A7).
   * Without the last quote the field would stay open past the line break (A1). */
  CHECK("lenient one line", "h\n\"ab\"cd,e\"\n", REC(1, 0, 1, 1), REC(2, 2, 9, 1));
  CHECK("lenient one line open", "h\n\"ab\"cd,e\n", REC(1, 0, 1, 1), REJ(UNB, 2, 2, 8));
  /* "a" "b",c: quote, blank, quote keeps the first quote as data: 2 fields */
  CHECK("quote blank quote", "h1,h2\n\"a\" \"b\",c\n", REC(1, 0, 5, 2), REC(2, 6, 9, 2));
  /* a lenient header spanning lines is rejected too */
  CHECK("lenient header", "\"a\"b\nc\"\nh\n", REJ(UNB, 1, 0, 4), REC(2, 5, 2, 1), REC(3, 8, 1, 1));
}

static void test_eof_in_quotes(void) {
  /* the last line never closes its quote: unbalanced_quote, also on one line (A6) */
  CHECK("eof lenient", "h1,h2\nx,\"ab\"cd", REC(1, 0, 5, 2), REJ(UNB, 2, 6, 8));
  CHECK("eof open", "h1,h2\nx,\"abc\n", REC(1, 0, 5, 2), REJ(UNB, 2, 6, 6));
  /* an unclosed quote at line 2 of 3: reject line 2, lines 3 and 4 are read again */
  CHECK("eof multi", "h1,h2\n\"a,b\n1,2\n3,4\n", REC(1, 0, 5, 2), REJ(UNB, 2, 6, 4), REC(3, 11, 3, 2),
        REC(4, 15, 3, 2));
  /* the closing quote then blanks at the end of input close the field */
  CHECK("eof after quote", "h\n\"a\" \t", REC(1, 0, 1, 1), REC(2, 2, 5, 1));
}

static void test_field_counts(void) {
  CHECK("wfc plain", "a,b\n1,2,3\n4\n5,6\n", REC(1, 0, 3, 2), REJ(WFC, 2, 4, 5), REJ(WFC, 3, 10, 1),
        REC(4, 12, 3, 2));
  CHECK("wfc quoted", "a,b\n\"1\",2,3\n", REC(1, 0, 3, 2), REJ(WFC, 2, 4, 7));
  /* a quote inside an unquoted field is a literal character: a"b,c is 2 fields */
  CHECK("literal quote", "a,b\na\"b,c\n", REC(1, 0, 3, 2), REC(2, 4, 5, 2));
  /* multi-line with the wrong count: unbalanced_quote, first line; y" is then one field */
  CHECK("ml wrong count", "a,b\n\"x\ny\"\n1,2\n", REC(1, 0, 3, 2), REJ(UNB, 2, 4, 2), REJ(WFC, 3, 7, 2),
        REC(4, 10, 3, 2));
  /* a trailing comma after a quoted field gives an empty last field */
  CHECK("trailing comma", "a,b\n\"x\",\n", REC(1, 0, 3, 2), REC(2, 4, 4, 2));
}

/* A buffer of `n` bytes of `c`, with text at the front: callers build long lines. */
static char *make_line(const char *prefix, char fill, size_t n, const char *suffix) {
  size_t lp = strlen(prefix), ls = strlen(suffix);
  char *s = malloc(lp + n + ls + 1);
  memcpy(s, prefix, lp);
  memset(s + lp, fill, n);
  memcpy(s + lp + n, suffix, ls + 1);
  return s;
}

static void test_too_long(void) {
  /* unquoted: 1024 bytes is fine, 1025 is too long (after the header "h\n") */
  char *s = make_line("h\n", 'a', 1024, "\nb\n");
  want w1[] = {REC(1, 0, 1, 1), REC(2, 2, 1024, 1), REC(3, 1027, 1, 1)};
  check_frames("exactly max", s, strlen(s), MAXB, w1, 3);
  free(s);
  s = make_line("h\n", 'a', 1025, "\nb\n");
  want w2[] = {REC(1, 0, 1, 1), REJ(TOOLONG, 2, 2, 1025), REC(3, 1028, 1, 1)};
  check_frames("max+1", s, strlen(s), MAXB, w2, 3);
  free(s);
  /* too long wins over a wrong field count */
  s = make_line("h\n,", 'a', 1024, "\n");
  want w3[] = {REC(1, 0, 1, 1), REJ(TOOLONG, 2, 2, 1025)};
  check_frames("too long wfc", s, strlen(s), MAXB, w3, 2);
  free(s);
  /* quoted: "a...a" of exactly 1024 bytes, then 1025 bytes, without a final newline */
  s = make_line("h\n\"", 'a', 1022, "\"");
  want w4[] = {REC(1, 0, 1, 1), REC(2, 2, 1024, 1)};
  check_frames("quoted exactly max", s, strlen(s), MAXB, w4, 2);
  free(s);
  s = make_line("h\n\"", 'a', 1023, "\"");
  want w5[] = {REC(1, 0, 1, 1), REJ(TOOLONG, 2, 2, 1025)};
  check_frames("quoted max+1 at eof", s, strlen(s), MAXB, w5, 2);
  free(s);
  /* a swallowing quote that runs past the limit is record_too_long, not
   * unbalanced_quote; the swallowed lines come back: 1022 a's then "zz" then a line */
  s = make_line("h\n\"ab\"cd\n", 'a', 1022, "\nzz\n");
  want w6[] = {REC(1, 0, 1, 1), REJ(TOOLONG, 2, 2, 6), REC(3, 9, 1022, 1), REC(4, 1032, 2, 1)};
  check_frames("swallow too long", s, strlen(s), MAXB, w6, 4);
  free(s);
  /* a proper multi-line record over the limit: too long, continuation read alone */
  s = make_line("h\n\"x\n", 'a', 1030, "\"\nb\n");
  want w7[] = {REC(1, 0, 1, 1), REJ(TOOLONG, 2, 2, 2), REJ(TOOLONG, 3, 5, 1031), REC(4, 1037, 1, 1)};
  check_frames("multiline too long", s, strlen(s), MAXB, w7, 4);
  free(s);
  /* the same record at exactly the limit: "x<LF> + 1020 a's + " = 1024 bytes */
  s = make_line("h\n\"x\n", 'a', 1020, "\"\nb\n");
  want w8[] = {REC(1, 0, 1, 1), RECML(2, 2, 1024, 1), REC(4, 1027, 1, 1)};
  check_frames("multiline exactly max", s, strlen(s), MAXB, w8, 3);
  free(s);
}

static void test_record_flags(void) {
  frame f;
  frame_rec r;
  const char *s = "a\n\"b\"\n\"c\nd\"\n";
  frame_init(&f, s, strlen(s), MAXB);
  TEST_EQ_INT(frame_next(&f, -1, &r), FRAME_RECORD);
  TEST_EQ_INT(r.has_quote, 0);
  TEST_EQ_INT(r.multiline, 0);
  TEST_EQ_INT(frame_next(&f, 1, &r), FRAME_RECORD);
  TEST_EQ_INT(r.has_quote, 1);
  TEST_EQ_INT(r.multiline, 0);
  TEST_EQ_INT(frame_next(&f, 1, &r), FRAME_RECORD);
  TEST_EQ_INT(r.has_quote, 1);
  TEST_EQ_INT(r.multiline, 1);
  TEST_EQ_INT(r.line, 3);
}

static void test_long_lines_swar(void) {
  /* commas and the line end at every position of an 8-byte word: the word-at-a-time scan
   * must count the same as a byte loop */
  for (size_t pad = 0; pad < 17; pad++) {
    char *s = make_line("h1,h2,h3\n", 'x', pad, ",y,z\nq,w,e");
    want w[] = {REC(1, 0, 8, 3), REC(2, 9, pad + 4, 3), REC(3, 14 + pad, 5, 3)};
    check_frames("swar", s, strlen(s), MAXB, w, 3);
    free(s);
  }
}

int main(void) {
  test_empty_inputs();
  test_bom();
  test_line_ends();
  test_blank_lines();
  test_quoted_newline();
  test_swallowing_quote();
  test_eof_in_quotes();
  test_field_counts();
  test_too_long();
  test_record_flags();
  test_long_lines_swar();
  return TEST_REPORT();
}
