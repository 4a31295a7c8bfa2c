/* test_csvparse.c — field splitting with libcsv (engine/csvparse.c): fields exactly as
 * libcsv 3.0.3 delivers them in default mode (refscore A1, A2). */
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "csvparse.h"
#include "csvw.h"
#include "testhelp.h"

/* Splits rec (a C string, no terminator) and compares with the n expected fields, given
 * as (pointer, length) pairs so embedded line breaks and empty fields are explicit. */
static void check_fields(csvparse *p, const char *what, const char *rec, size_t n,
                         const char *const *want) {
  const lr_field *f;
  size_t nf;
  int rc = csvparse_record(p, rec, strlen(rec), &f, &nf);
  TEST_EQ_INT(rc, LR_OK);
  if (rc != LR_OK) return;
  if (nf != n) {
    printf("  %s: %zu fields, want %zu\n", what, nf, n);
    TEST_CHECK(!"field count");
    return;
  }
  for (size_t i = 0; i < n; i++) {
    if (f[i].len != strlen(want[i]) || memcmp(f[i].ptr, want[i], f[i].len) != 0) {
      printf("  %s: field %zu is \"%.*s\", want \"%s\"\n", what, i, (int)f[i].len, f[i].ptr, want[i]);
      TEST_CHECK(!"field value");
      return;
    }
  }
  TEST_CHECK(1);
}

#define CHECK(p, what, rec, ...)                                             \
  do {                                                                       \
    static const char *const w_[] = {__VA_ARGS__};                           \
    check_fields(p, what, rec, sizeof w_ / sizeof w_[0], w_);                \
  } while (0)

static void test_blanks(csvparse *p) {
  /* blanks before a field, after an unquoted field and after a closing quote are dropped */
  CHECK(p, "blanks", "a, \"b,c\" ,d", "a", "b,c", "d");
  CHECK(p, "blanks unquoted", " x ,y", "x", "y");
  CHECK(p, "tabs", "\ta\t,\t b \t", "a", "b");
  /* ... but kept inside quotes and inside a field */
  CHECK(p, "blanks in quotes", "\"  x \"", "  x ");
  CHECK(p, "inner blank", " New  York ,b", "New  York", "b");
  /* VT and FF are not blanks for libcsv: they are content */
  CHECK(p, "vt", "\va\f,b", "\va\f", "b");
}

static void test_quotes(csvparse *p) {
  CHECK(p, "doubled quote", "\"a\"\"b\",\"\"\"\"", "a\"b", "\"");
  CHECK(p, "empty quoted", "\"\",x", "", "x");
  /* a quote inside an unquoted field is a literal character */
  CHECK(p, "literal quote", "a\"b,c\"", "a\"b", "c\"");
  /* the lenient rule: the quote stays data and the field stays quoted */
  CHECK(p, "lenient", "\"ab\"cd,e\"", "ab\"cd,e");
  CHECK(p, "quote blank quote", "\"a\" \"b\",c", "a\" \"b", "c");
}

static void test_empty_fields(csvparse *p) {
  CHECK(p, "commas", ",,", "", "", "");
  CHECK(p, "trailing comma", "a,", "a", "");
  CHECK(p, "trailing blank field", "a, ", "a", "");
  CHECK(p, "leading empty", ",a", "", "a");
}

static void test_line_breaks(csvparse *p) {
  /* line breaks inside quotes are kept byte for byte */
  CHECK(p, "crlf in quotes", "\"x\r\ny\",z", "x\r\ny", "z");
  CHECK(p, "cr lf in quotes", "\"a\rb\nc\"", "a\rb\nc");
}

static void test_unterminated(csvparse *p) {
  /* a record handed over without a terminator is still submitted (csv_fini) */
  CHECK(p, "no terminator", "a,b", "a", "b");
  /* closing quote and blanks at the end: the quote and blanks are dropped */
  CHECK(p, "quote blanks end", "\"a\" \t", "a");
  /* an unclosed quoted field is delivered as read (the framer rejects these, but the
   * splitter itself must not lose bytes) */
  CHECK(p, "unclosed", "\"ab", "ab");
}

static void test_fresh_parser(void) {
  /* the first field of a new parser is empty: libcsv passes a NULL buffer */
  csvparse *p = csvparse_new();
  CHECK(p, "fresh empty first", ",a", "", "a");
  csvparse_free(p);
  csvparse_free(NULL);
}

static void test_big_record(csvparse *p) {
  /* 300 fields of 40 bytes: the field and span arrays and the byte buffer all grow */
  size_t n = 300, w = 40;
  char *rec = malloc(n * (w + 1));
  for (size_t i = 0; i < n; i++) {
    memset(rec + i * (w + 1), (int)('a' + i % 26), w);
    rec[i * (w + 1) + w] = i + 1 < n ? ',' : '\0';
  }
  const lr_field *f;
  size_t nf;
  TEST_EQ_INT(csvparse_record(p, rec, strlen(rec), &f, &nf), LR_OK);
  TEST_EQ_INT(nf, n);
  int ok = 1;
  for (size_t i = 0; i < nf; i++)
    ok &= f[i].len == w && f[i].ptr[0] == (char)('a' + i % 26) && f[i].ptr[w - 1] == (char)('a' + i % 26);
  TEST_CHECK(ok);
  free(rec);
  /* the next call reuses the buffers and sees only its own fields */
  CHECK(p, "after big", "q", "q");
}

static void test_errors(csvparse *p) {
  const lr_field *f;
  size_t nf;
  /* nothing libcsv delivers as a row: not a framed record */
  TEST_EQ_INT(csvparse_record(p, "", 0, &f, &nf), LR_ERR_INPUT);
  TEST_EQ_INT(csvparse_record(p, " \t", 2, &f, &nf), LR_ERR_INPUT);
  /* two rows: a terminator outside quotes means the framing was wrong */
  TEST_EQ_INT(csvparse_record(p, "a\nb", 3, &f, &nf), LR_ERR_INPUT);
  /* and the parser is clean afterwards */
  CHECK(p, "after errors", "x,y", "x", "y");
}


/* csvparse_plain against libcsv (csvparse_record) on random quote-free records over a
 * nasty alphabet; and whenever it says verbatim, re-quoting its fields gives back the
 * record's own bytes (what output relies on to copy such records as they are). */
static uint64_t plain_rng = 0x9e3779b97f4a7c15ull;
static uint64_t plain_next(void) {
  plain_rng ^= plain_rng << 13;
  plain_rng ^= plain_rng >> 7;
  plain_rng ^= plain_rng << 17;
  return plain_rng;
}

static void test_plain_matches_libcsv(void) {
  static const char alphabet[] = "ab ,\t\v\xc3\xa9x";
  csvparse *slow = csvparse_new(), *fast = csvparse_new();
  lr_buf requoted = { 0 };
  int mismatches = 0, n_verbatim = 0;
  for (int i = 0; i < 200000 && mismatches < 5; i++) {
    char rec[24];
    size_t len = 1 + plain_next() % (sizeof rec - 1);
    for (size_t k = 0; k < len; k++) rec[k] = alphabet[plain_next() % (sizeof alphabet - 1)];
    const lr_field *want, *got;
    size_t n_want, n_got;
    int verbatim;
    if (csvparse_record(slow, rec, len, &want, &n_want) != LR_OK) continue; /* all blanks: no record */
    csvparse_plain(fast, rec, len, &got, &n_got, &verbatim);
    int same = n_want == n_got;
    for (size_t j = 0; same && j < n_got; j++)
      same = want[j].len == got[j].len && memcmp(want[j].ptr, got[j].ptr, got[j].len) == 0;
    if (same && verbatim) {
      n_verbatim++;
      requoted.len = 0;
      for (size_t j = 0; j < n_got; j++) {
        if (j > 0) lr_buf_putc(&requoted, ',');
        csvw_buf_field(&requoted, got[j].ptr, got[j].len);
      }
      same = requoted.len == len && memcmp(requoted.data, rec, len) == 0;
    }
    if (!same) {
      printf("csvparse_plain differs on [%.*s]\n", (int)len, rec);
      mismatches++;
    }
  }
  TEST_EQ_INT(mismatches, 0);
  TEST_CHECK(n_verbatim > 1000);
  lr_buf_release(&requoted);
  csvparse_free(slow);
  csvparse_free(fast);
}

/* Hand-picked: blanks dropped at both ends of every field, kept inside; VT is content. */
static void test_plain_cases(void) {
  csvparse *p = csvparse_new();
  const lr_field *f;
  size_t n;
  int verbatim;
  static const char rec[] = " a , b\tc ,\t,\vd";
  csvparse_plain(p, rec, sizeof rec - 1, &f, &n, &verbatim);
  TEST_EQ_INT(n, 4);
  TEST_CHECK(f[0].len == 1 && memcmp(f[0].ptr, "a", 1) == 0);
  TEST_CHECK(f[1].len == 3 && memcmp(f[1].ptr, "b\tc", 3) == 0);
  TEST_EQ_INT(f[2].len, 0);
  TEST_CHECK(f[3].len == 2 && memcmp(f[3].ptr, "\vd", 2) == 0);
  TEST_EQ_INT(verbatim, 0);
  csvparse_plain(p, "a,b c,", 6, &f, &n, &verbatim);
  TEST_EQ_INT(n, 3);
  TEST_EQ_INT(verbatim, 1);
  csvparse_free(p);
}

int main(void) {
  test_plain_cases();
  test_plain_matches_libcsv();
  csvparse *p = csvparse_new();
  test_blanks(p);
  test_quotes(p);
  test_empty_fields(p);
  test_line_breaks(p);
  test_unterminated(p);
  test_fresh_parser();
  test_big_record(p);
  test_errors(p);
  csvparse_free(p);
  return TEST_REPORT();
}
