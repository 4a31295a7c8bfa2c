/* test_extsort.c — extsort against an in-memory stable reference (qsort on (key, add
 * position)): random records with few distinct keys, budgets from the minimum (hundreds of
 * runs, several merge tiers) to huge (no runs), every budget giving the identical sequence;
 * empty input, empty records, records larger than the budget, all-equal keys (stability
 * alone), no temporary files left, and an unusable directory reported by name. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extsort.h"
#include "testhelp.h"

static char tmpdir[] = "/tmp/test_extsort.XXXXXX";

static uint64_t rng;

/* The key is the record's first two bytes (an empty record sorts first, a one-byte record
 * compares by its byte); the rest is payload the comparator ignores, so many records are
 * equal but distinguishable. */
static int key_cmp(const void *a, size_t a_len, const void *b, size_t b_len, void *arg) {
  int *calls = arg;
  if (calls != NULL) (*calls)++;
  size_t ka = a_len < 2 ? a_len : 2, kb = b_len < 2 ? b_len : 2;
  int c = memcmp(a, b, ka < kb ? ka : kb);
  if (c != 0) return c;
  return (ka > kb) - (ka < kb);
}

static int equal_cmp(const void *a, size_t a_len, const void *b, size_t b_len, void *arg) {
  (void)a, (void)a_len, (void)b, (void)b_len, (void)arg;
  return 0;
}

typedef struct rec {
  unsigned char *p;
  size_t len;
  size_t seq; /* add position: the reference's tiebreak */
} rec;

static int rec_ref_cmp(const void *x, const void *y) {
  const rec *a = x, *b = y;
  int c = key_cmp(a->p, a->len, b->p, b->len, NULL);
  if (c != 0) return c;
  return (a->seq > b->seq) - (a->seq < b->seq);
}

/* n records: two key bytes from a few values, a 4-byte sequence number, random payload;
 * every 50th empty, every 37th one byte; big_every > 0 adds a record of big_len bytes. */
static rec *make_records(size_t n, size_t big_every, size_t big_len) {
  rec *r = calloc(n, sizeof *r);
  for (size_t i = 0; i < n; i++) {
    size_t len = i % 50 == 0 ? 0 : i % 37 == 0 ? 1 : 6 + (size_t)(test_xorshift(&rng) % 120);
    if (big_every && i % big_every == big_every / 2) len = big_len;
    r[i].p = malloc(len ? len : 1);
    r[i].len = len;
    r[i].seq = i;
    for (size_t k = 0; k < len; k++) r[i].p[k] = (unsigned char)test_xorshift(&rng);
    if (len >= 1) r[i].p[0] = (unsigned char)('a' + test_xorshift(&rng) % 3);
    if (len >= 2) r[i].p[1] = (unsigned char)('a' + test_xorshift(&rng) % 4);
    if (len >= 6) memcpy(r[i].p + 2, &i, 4);
  }
  return r;
}

static void free_records(rec *r, size_t n) {
  for (size_t i = 0; i < n; i++) free(r[i].p);
  free(r);
}

/* Sorts r with extsort at memory_bytes; checks the output is exactly want (the stable
 * order). Returns the runs spilled; *merges_out the intermediate merges. */
static uint64_t check_sort(const rec *r, size_t n, const rec *want, size_t memory_bytes, extsort_cmp_fn cmp,
                           uint64_t *merges_out) {
  extsort *s = NULL;
  lr_err err;
  lr_err_clear(&err);
  uint64_t runs = 0;
  TEST_EQ_INT(extsort_new(tmpdir, memory_bytes, cmp, NULL, &s, &err), LR_OK);
  int rc = LR_OK;
  for (size_t i = 0; i < n && rc == LR_OK; i++) rc = extsort_add(s, r[i].p, r[i].len, &err);
  TEST_EQ_INT(rc, LR_OK);
  TEST_EQ_INT(extsort_finish(s, &err), LR_OK);
  if (err.code != LR_OK) printf("  %s\n", err.msg);
  TEST_CHECK(test_count_entries(tmpdir) == 0); /* runs have no names */
  const void *got;
  size_t len, i = 0, first_bad = n;
  while ((rc = extsort_next(s, &got, &len, &err)) == 1) {
    if (i >= n || got == NULL || len != want[i].len || memcmp(got, want[i].p, len) != 0) {
      if (first_bad == n) first_bad = i;
    }
    i++;
  }
  TEST_EQ_INT(rc, 0);
  TEST_EQ_INT(i, n);
  if (first_bad != n) printf("  memory %zu: first difference at record %zu\n", memory_bytes, first_bad);
  TEST_EQ_INT(first_bad, n);
  TEST_EQ_INT(extsort_next(s, &got, &len, &err), 0);
  runs = extsort_runs(s);
  if (merges_out) *merges_out = extsort_merges(s);
  extsort_free(s);
  TEST_EQ_INT(test_count_entries(tmpdir), 0);
  return runs;
}

static rec *reference(const rec *r, size_t n) {
  rec *w = malloc((n ? n : 1) * sizeof *w);
  memcpy(w, r, n * sizeof *w);
  qsort(w, n, sizeof *w, rec_ref_cmp);
  return w;
}

static void test_random_budgets(void) {
  rng = 0x2545f4914f6cdd1dull;
  size_t n = 20000;
  rec *r = make_records(n, 0, 0), *want = reference(r, n);
  static const size_t budgets[] = { 0, 1024, 3000, 8192, 100000, 300000, (size_t)1 << 20, (size_t)4 << 20,
                                    (size_t)1 << 30 };
  for (size_t b = 0; b < sizeof budgets / sizeof budgets[0]; b++) {
    uint64_t merges = 0, runs = check_sort(r, n, want, budgets[b], key_cmp, &merges);
    if (budgets[b] <= 300000) TEST_CHECK(runs > 0);
    if (budgets[b] <= 8192) TEST_CHECK(runs > 100 && merges > 10); /* multi-pass, many tiers */
    if (budgets[b] >= ((size_t)4 << 20)) TEST_EQ_INT(runs, 0);      /* ~1.3 MB of records: in memory */
  }
  free(want);
  free_records(r, n);
}

/* Every record equal: the output is the input order, whatever the budget. */
static void test_all_equal(void) {
  rng = 7;
  size_t n = 5000;
  rec *r = make_records(n, 0, 0);
  TEST_CHECK(check_sort(r, n, r, 1024, equal_cmp, NULL) > 0);
  TEST_EQ_INT(check_sort(r, n, r, 1 << 30, equal_cmp, NULL), 0);
  free_records(r, n);
}

/* Records larger than the whole budget, among small ones: each becomes a run of its own. */
static void test_larger_than_memory(void) {
  rng = 99;
  size_t n = 3000;
  rec *r = make_records(n, 400, 200000), *want = reference(r, n);
  check_sort(r, n, want, 1024, key_cmp, NULL);
  check_sort(r, n, want, 100000, key_cmp, NULL);
  check_sort(r, n, want, (size_t)1 << 30, key_cmp, NULL);
  free(want);
  free_records(r, n);
  /* A single record larger than memory, alone. */
  rng = 5;
  r = make_records(1, 1, 50000);
  TEST_EQ_INT(r[0].len, 50000);
  TEST_EQ_INT(check_sort(r, 1, r, 1024, key_cmp, NULL), 1);
  free_records(r, 1);
}

static void test_empty(void) {
  TEST_EQ_INT(check_sort(NULL, 0, NULL, 1024, key_cmp, NULL), 0);
  TEST_EQ_INT(check_sort(NULL, 0, NULL, 1 << 20, key_cmp, NULL), 0);
  /* Only empty records. */
  rec e[3] = { { (unsigned char *)"", 0, 0 }, { (unsigned char *)"", 0, 1 }, { (unsigned char *)"", 0, 2 } };
  TEST_EQ_INT(check_sort(e, 3, e, 1024, key_cmp, NULL), 0);
  extsort_free(NULL);
}

/* Freed half-way through the final merge: nothing left behind (ASan: nothing leaked). */
static void test_free_midway(void) {
  rng = 11;
  size_t n = 2000;
  rec *r = make_records(n, 0, 0);
  extsort *s;
  lr_err err;
  TEST_EQ_INT(extsort_new(tmpdir, 2048, key_cmp, NULL, &s, &err), LR_OK);
  int rc = LR_OK;
  for (size_t i = 0; i < n && rc == LR_OK; i++) rc = extsort_add(s, r[i].p, r[i].len, &err);
  TEST_EQ_INT(rc, LR_OK);
  TEST_EQ_INT(extsort_finish(s, &err), LR_OK);
  const void *got;
  size_t len;
  TEST_EQ_INT(extsort_next(s, &got, &len, &err), 1);
  TEST_EQ_INT(extsort_add(s, "x", 1, &err), LR_ERR_OUTPUT); /* no adds after finish */
  extsort_free(s);
  TEST_EQ_INT(test_count_entries(tmpdir), 0);
  free_records(r, n);
}

/* A directory that does not exist: the first spill fails naming it, and stays failed. */
static void test_bad_dir(void) {
  char missing[sizeof tmpdir + 16];
  snprintf(missing, sizeof missing, "%s/missing", tmpdir);
  extsort *s;
  lr_err err;
  lr_err_clear(&err);
  TEST_EQ_INT(extsort_new(missing, 1024, key_cmp, NULL, &s, &err), LR_OK);
  char bytes[100] = "ab";
  int rc = LR_OK;
  for (int i = 0; i < 100 && rc == LR_OK; i++) rc = extsort_add(s, bytes, sizeof bytes, &err);
  TEST_EQ_INT(rc, LR_ERR_OUTPUT);
  char want[256];
  snprintf(want, sizeof want, "%s: cannot create a temporary file: %s", missing, strerror(ENOENT));
  TEST_EQ_STR(err.msg, want);
  lr_err again;
  lr_err_clear(&again);
  TEST_EQ_INT(extsort_finish(s, &again), LR_ERR_OUTPUT);
  TEST_EQ_STR(again.msg, want);
  extsort_free(s);
}

int main(void) {
  if (mkdtemp(tmpdir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  test_random_budgets();
  test_all_equal();
  test_larger_than_memory();
  test_empty();
  test_free_midway();
  test_bad_dir();
  TEST_EQ_INT(test_count_entries(tmpdir), 0);
  rmdir(tmpdir);
  return TEST_REPORT();
}
