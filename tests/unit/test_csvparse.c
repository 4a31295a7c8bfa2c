/* test_csvparse.c — field splitting with libcsv (engine/csvparse.c): fields exactly as
 * libcsv 3.0.3 delivers them in default mode (refscore A1, A2); the two fast paths
 * (csvparse_plain, csvparse_quoted) against libcsv on hand-picked shapes, random records,
 * every record of the conformance files and the generator's dirty data (issue 5). Run
 * from the repository root (tests/run_tests.py does): it reads tests/conformance/ and
 * runs bench/gen_leads.py. */
#include <ftw.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "csvparse.h"
#include "csvw.h"
#include "frame.h"
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

static void test_plain_matches_libcsv(void) {
  static const char alphabet[] = "ab ,\t\v\xc3\xa9x";
  csvparse *slow = csvparse_new(), *fast = csvparse_new();
  lr_buf requoted = { 0 };
  int mismatches = 0, n_verbatim = 0;
  for (int i = 0; i < 200000 && mismatches < 5; i++) {
    char rec[24];
    size_t len = 1 + test_xorshift(&plain_rng) % (sizeof rec - 1);
    for (size_t k = 0; k < len; k++) rec[k] = alphabet[test_xorshift(&plain_rng) % (sizeof alphabet - 1)];
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

/* ---- csvparse_quoted: simply quoted records without libcsv ----------------------- */

typedef struct quoted_stats {
  long records;   /* records libcsv or the fast path split */
  long fast;      /* ... that csvparse_quoted took */
  long verbatim;  /* ... of those, with verbatim 1 */
  long unescaped; /* fields of the fast path copied out of rec (they held `""`) */
  long mismatches;
} quoted_stats;

/* Both splitters on rec. The fast path may decline (0) any record; when it takes one (1),
 * libcsv must read the same bytes as one row with the same fields, verbatim must be
 * csvw_fields_equal_raw's verdict, and every field must point into rec unless its value
 * holds a `"` (only `""` forces a copy). Returns the fast path's answer, or -1 on a
 * mismatch (printed, at most a few). */
static int quoted_vs_libcsv(csvparse *fast, csvparse *lib, const char *rec, size_t len,
                            quoted_stats *st) {
  const lr_field *want, *got = NULL;
  size_t n_want = 0, n_got = 0;
  int verbatim = -1;
  int lib_ok = csvparse_record(lib, rec, len, &want, &n_want) == LR_OK;
  int took = csvparse_quoted(fast, rec, len, &got, &n_got, &verbatim);
  st->records += lib_ok || took;
  if (!took) return 0;
  st->fast++;
  const char *why = NULL;
  if (!lib_ok) why = "libcsv reads no single row";
  else if (n_got != n_want) why = "field count";
  else if (verbatim != csvw_fields_equal_raw(want, n_want, rec, len)) why = "verbatim";
  for (size_t j = 0; why == NULL && j < n_got; j++) {
    if (got[j].len != want[j].len || (got[j].len > 0 && memcmp(got[j].ptr, want[j].ptr, got[j].len) != 0))
      why = "field value";
    else if (!(got[j].ptr >= rec && got[j].ptr + got[j].len <= rec + len)) {
      st->unescaped++;
      if (memchr(got[j].ptr, '"', got[j].len) == NULL) why = "copied a field without a quote";
    }
  }
  if (why == NULL) {
    st->verbatim += verbatim;
    return 1;
  }
  if (st->mismatches++ < 5) {
    printf("  csvparse_quoted differs from libcsv (%s) on [", why);
    for (size_t k = 0; k < len; k++) printf(rec[k] == '\n' ? "\\n" : rec[k] == '\r' ? "\\r" : "%c", rec[k]);
    printf("]\n");
  }
  return -1;
}

/* One hand-picked record: the fast path takes it (want_fast 1, with that verbatim) or
 * leaves it to libcsv (want_fast 0); either way it agrees with libcsv. */
static void check_quoted(csvparse *fast, csvparse *lib, const char *rec, int want_fast, int want_verbatim) {
  quoted_stats st = { 0 };
  int took = quoted_vs_libcsv(fast, lib, rec, strlen(rec), &st);
  if (took != want_fast) printf("  [%s]: fast path %d, want %d\n", rec, took, want_fast);
  TEST_EQ_INT(took, want_fast);
  if (took == 1) TEST_EQ_INT(st.verbatim, want_verbatim);
}

/* The value of field i of the fast path's split of rec. */
static void check_quoted_field(csvparse *p, const char *rec, size_t i, const char *want) {
  const lr_field *f;
  size_t n;
  int verbatim;
  int took = csvparse_quoted(p, rec, strlen(rec), &f, &n, &verbatim);
  TEST_CHECK(took == 1 && i < n && f[i].len == strlen(want) && memcmp(f[i].ptr, want, f[i].len) == 0);
}

static void test_quoted_cases(void) {
  csvparse *fast = csvparse_new(), *lib = csvparse_new();
  /* the common shapes, as careful exporters write them: fast, and copied verbatim */
  check_quoted(fast, lib, "L1,\"Acme, Inc.\",x", 1, 1);
  check_quoted(fast, lib, "\"say \"\"hi\"\"\",b", 1, 1);
  check_quoted(fast, lib, "a,\"line 1\nline 2\",c", 1, 1);
  check_quoted(fast, lib, "a,\"line 1\r\nline 2\rline 3\"", 1, 1);
  check_quoted(fast, lib, "\" padded \",\"\ttab\"", 1, 1);
  check_quoted(fast, lib, "\"\"\"\"", 1, 1);               /* the value `"` */
  check_quoted(fast, lib, "\"\"\"a\"\"\",\"a\"\"\"", 1, 1);  /* `"a"` and `a"` */
  check_quoted(fast, lib, "\"\xc3\xa9, \xe2\x82\xac\",b", 1, 1);
  check_quoted(fast, lib, "a,b c,", 1, 1);                   /* quote-free is simple too */
  /* fast, but not how outputs quote: libcsv's blanks dropped, needless quotes */
  check_quoted(fast, lib, "\"\",x", 1, 0);
  check_quoted(fast, lib, "a,\"\"", 1, 0);
  check_quoted(fast, lib, "\"abc\",d", 1, 0);
  check_quoted(fast, lib, " \"a,b\" ,c", 1, 0);
  check_quoted(fast, lib, "\"a,b\"\t \t", 1, 0);
  check_quoted(fast, lib, "\t\"a,b\"", 1, 0);
  check_quoted(fast, lib, "\"a\"\"b\" ,c", 1, 0);
  check_quoted(fast, lib, " a,\"b,c\"", 1, 0);
  check_quoted(fast, lib, "a ,\"b,c\"", 1, 0);
  check_quoted(fast, lib, " ,\"x,y\"", 1, 0);
  /* a quote inside an unquoted field is data (libcsv), and csvw would quote the field */
  check_quoted(fast, lib, "ab\"c,\"d,e\"", 1, 0);
  check_quoted(fast, lib, "a \"b\" ,c", 1, 0);
  /* the lenient rule, unclosed quotes, line breaks outside quotes, only blanks: libcsv */
  check_quoted(fast, lib, "\"ab\"c", 0, 0);
  check_quoted(fast, lib, "\"ab\"cd,e\"", 0, 0);
  check_quoted(fast, lib, "\"a\" \"b\",c", 0, 0);
  check_quoted(fast, lib, "\"a\"  x,y", 0, 0);
  check_quoted(fast, lib, "\"ab", 0, 0);
  check_quoted(fast, lib, "\"a\"\"", 0, 0);
  check_quoted(fast, lib, "\"\"\"", 0, 0);
  check_quoted(fast, lib, "x,\"", 0, 0);
  check_quoted(fast, lib, "\"a\"\n", 0, 0);
  check_quoted(fast, lib, "\"a\" \r\n", 0, 0);
  check_quoted(fast, lib, "a\n\"b\"", 0, 0);
  check_quoted(fast, lib, "", 0, 0);
  check_quoted(fast, lib, " \t", 0, 0);
  /* the values themselves */
  check_quoted_field(fast, "\"say \"\"hi\"\"\",b", 0, "say \"hi\"");
  check_quoted_field(fast, "\"\",x", 0, "");
  check_quoted_field(fast, " \"  x \" ,y", 0, "  x ");
  check_quoted_field(fast, "a,\"p\nq\"", 1, "p\nq");
  check_quoted_field(fast, "ab\"c ,d", 0, "ab\"c");
  check_quoted_field(fast, "\"a\"\"\"\"b\",c", 0, "a\"\"b");
  /* a record over the field buffer's first capacity, all `""`: the unescaped fields
   * share p's buffer, which must not move under the earlier ones */
  csvparse *fresh = csvparse_new();
  lr_buf rec = { 0 };
  for (int i = 0; i < 200; i++) {
    if (i > 0) lr_buf_putc(&rec, ',');
    lr_buf_put(&rec, "\"q\"\"", 4);
    lr_buf_putc(&rec, (char)('a' + i % 26));
    lr_buf_put(&rec, "\"\"\"", 3);
  }
  quoted_stats st = { 0 };
  TEST_EQ_INT(quoted_vs_libcsv(fresh, lib, rec.data, rec.len, &st), 1);
  TEST_EQ_INT(st.unescaped, 200);
  TEST_EQ_INT(st.verbatim, 1);
  lr_buf_release(&rec);
  csvparse_free(fresh);
  csvparse_free(fast);
  csvparse_free(lib);
}

static uint64_t quoted_rng = 0x2545f4914f6cdd1dull;
static char quoted_pick(const char *alphabet) { return alphabet[test_xorshift(&quoted_rng) % strlen(alphabet)]; }

/* One field of a random record: mostly the shapes exporters write, some broken ones. */
static void quoted_random_field(lr_buf *b) {
  unsigned shape = (unsigned)(test_xorshift(&quoted_rng) % 16);
  size_t len = test_xorshift(&quoted_rng) % 7;
  if (shape < 4) { /* unquoted, possibly with blanks and a literal quote */
    for (size_t k = 0; k < len; k++) lr_buf_putc(b, quoted_pick("ab \t\"\xc3\xa9"));
    return;
  }
  if (shape == 4) return; /* empty */
  for (size_t k = test_xorshift(&quoted_rng) % 4; k > 1; k--) lr_buf_putc(b, quoted_pick(" \t"));
  lr_buf_putc(b, '"');
  for (size_t k = 0; k < len; k++) {
    char c = quoted_pick("ab ,\t\r\n\"\xc3");
    lr_buf_putc(b, c);
    if (c == '"') lr_buf_putc(b, '"');
  }
  if (shape == 15) { /* broken: unclosed, a stray quote, text or a quote after the close */
    const char *tails[] = { "", "\"x", "\" \"y", "\"\"\"", "z\"", "\"\n" };
    const char *t = tails[test_xorshift(&quoted_rng) % 6];
    lr_buf_put(b, t, strlen(t));
    return;
  }
  lr_buf_putc(b, '"');
  for (size_t k = test_xorshift(&quoted_rng) % 4; k > 1; k--) lr_buf_putc(b, quoted_pick(" \t"));
}

/* Random records against libcsv: structured (fields of the shapes above, sometimes with
 * one byte overwritten) and raw strings over the bytes that steer libcsv. */
static void test_quoted_random(void) {
  csvparse *fast = csvparse_new(), *lib = csvparse_new();
  quoted_stats st = { 0 };
  lr_buf rec = { 0 };
  for (int i = 0; i < 300000; i++) {
    rec.len = 0;
    if (i % 3 != 2) {
      size_t nf = 1 + test_xorshift(&quoted_rng) % 6;
      for (size_t j = 0; j < nf; j++) {
        if (j > 0) lr_buf_putc(&rec, ',');
        quoted_random_field(&rec);
      }
      if (rec.len > 0 && test_xorshift(&quoted_rng) % 8 == 0) rec.data[test_xorshift(&quoted_rng) % rec.len] = quoted_pick("\", \n");
    } else {
      size_t len = test_xorshift(&quoted_rng) % 14;
      for (size_t k = 0; k < len; k++) lr_buf_putc(&rec, quoted_pick("a\"\", \t\r\n"));
    }
    lr_buf_putc(&rec, '\0'); /* so rec.data is never NULL; not part of the record */
    quoted_vs_libcsv(fast, lib, rec.data, rec.len - 1, &st);
  }
  printf("  random: %ld records, %ld fast (%ld verbatim, %ld fields unescaped)\n", st.records, st.fast,
         st.verbatim, st.unescaped);
  TEST_EQ_INT(st.mismatches, 0);
  /* the generator's shapes are mostly simple: the fast path must take most records */
  TEST_CHECK(st.fast > st.records / 2);
  TEST_CHECK(st.verbatim > 10000 && st.unescaped > 10000);
  TEST_CHECK(st.fast < st.records); /* and leave the rest to libcsv */
  lr_buf_release(&rec);
  csvparse_free(fast);
  csvparse_free(lib);
}

/* Frames a whole file as scan.c does (ncols -1 until the header record, then its field
 * count when by_header, else never) and checks every record; *quoted_out counts the
 * records with a quote and *quoted_fast those the fast path took. */
static void quoted_check_file(const char *path, int by_header, quoted_stats *st, long *quoted_out,
                              long *quoted_fast) {
  FILE *fp = fopen(path, "rb");
  TEST_CHECK(fp != NULL);
  if (fp == NULL) {
    printf("  cannot open %s (run from the repository root)\n", path);
    return;
  }
  lr_buf text = { 0 };
  char chunk[65536];
  size_t got;
  while ((got = fread(chunk, 1, sizeof chunk, fp)) > 0) lr_buf_put(&text, chunk, got);
  fclose(fp);
  lr_buf_putc(&text, '\0');
  csvparse *fast = csvparse_new(), *lib = csvparse_new();
  frame f;
  frame_rec r;
  long ncols = -1;
  frame_init(&f, text.data, text.len - 1, 65536);
  while (frame_next(&f, ncols, &r) != FRAME_END) {
    if (r.kind != FRAME_RECORD) continue;
    const char *rec = text.data + r.offset;
    int took = quoted_vs_libcsv(fast, lib, rec, r.len, st);
    *quoted_out += r.has_quote;
    *quoted_fast += r.has_quote && took == 1;
    /* a quote-free record is always simple */
    if (!r.has_quote && took != 1) TEST_CHECK(!"quote-free record declined");
    if (by_header && ncols < 0) ncols = r.n_fields;
  }
  csvparse_free(fast);
  csvparse_free(lib);
  lr_buf_release(&text);
}

static quoted_stats conf_stats;
static long conf_files, conf_quoted, conf_quoted_fast;

static int quoted_conf_visit(const char *path, const struct stat *sb, int type, struct FTW *ftw) {
  (void)sb;
  (void)ftw;
  size_t n = strlen(path);
  if (type == FTW_F && n > 4 && strcmp(path + n - 4, ".csv") == 0) {
    conf_files++;
    quoted_check_file(path, 0, &conf_stats, &conf_quoted, &conf_quoted_fast);
  }
  return 0;
}

/* Every record of every CSV file in tests/conformance/ (framed with no field-count rule,
 * so every record is split). */
static void test_quoted_conformance(void) {
  TEST_EQ_INT(nftw("tests/conformance", quoted_conf_visit, 16, FTW_PHYS), 0);
  printf("  conformance: %ld files, %ld records, %ld with a quote, %ld of those fast\n", conf_files,
         conf_stats.records, conf_quoted, conf_quoted_fast);
  TEST_CHECK(conf_files >= 20);
  TEST_EQ_INT(conf_stats.mismatches, 0);
  TEST_CHECK(conf_quoted_fast > 0);
}

/* The generator's dirty data (bench/gen_leads.py, 5% malformed rows of every kind), LF and
 * CRLF, framed as scan.c frames it: every record it produces agrees. */
static void test_quoted_generated(void) {
  char dir[] = "/tmp/lr-test-csvparse-XXXXXX";
  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    TEST_CHECK(!"mkdtemp");
    return;
  }
  static const char *const variants[] = { "--seed 5", "--seed 6 --crlf" };
  for (size_t v = 0; v < 2; v++) {
    char cmd[512], path[128];
    snprintf(cmd, sizeof cmd, "python3 bench/gen_leads.py --rows 20000 --malformed 0.05 %s --out %s/q%zu",
             variants[v], dir, v);
    int rc = system(cmd);
    TEST_EQ_INT(rc, 0);
    if (rc != 0) continue;
    quoted_stats st = { 0 };
    long quoted = 0, quoted_fast = 0;
    snprintf(path, sizeof path, "%s/q%zu.leads.csv", dir, v);
    quoted_check_file(path, 1, &st, &quoted, &quoted_fast);
    printf("  gen_leads %s: %ld records, %ld with a quote, %ld of those fast, %ld verbatim\n", variants[v],
           st.records, quoted, quoted_fast, st.verbatim);
    TEST_EQ_INT(st.mismatches, 0);
    TEST_CHECK(st.records > 19000);
    /* good rows are written the way outputs quote: nearly all quoted records are simple */
    TEST_CHECK(quoted > st.records / 2 && quoted_fast > quoted * 95 / 100);
  }
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) printf("warning: could not remove %s\n", dir);
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
  test_quoted_cases();
  test_quoted_random();
  test_quoted_conformance();
  test_quoted_generated();
  return TEST_REPORT();
}
