/* testhelp.h — a tiny unit-test harness (after Redis's testhelp.h).
 *
 * TEST_CHECK(cond) records one check; TEST_EQ_DBL/TEST_EQ_STR/TEST_EQ_INT compare and
 * print both sides on failure. TEST_REPORT() prints "N passed, N failed" for this binary
 * and returns the exit status for main. tests/run_tests.py sums these lines.
 */
#ifndef LR_TESTHELP_H
#define LR_TESTHELP_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int test_passed, test_failed;

#define TEST_CHECK(cond)                                                          \
  do {                                                                            \
    if (cond) {                                                                   \
      test_passed++;                                                              \
    } else {                                                                      \
      test_failed++;                                                              \
      printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                     \
    }                                                                             \
  } while (0)

#define TEST_EQ_INT(got, want)                                                    \
  do {                                                                            \
    long long got_ = (long long)(got), want_ = (long long)(want);                 \
    if (got_ == want_) {                                                          \
      test_passed++;                                                              \
    } else {                                                                      \
      test_failed++;                                                              \
      printf("FAIL %s:%d: %s == %lld, want %lld\n", __FILE__, __LINE__, #got,     \
             got_, want_);                                                        \
    }                                                                             \
  } while (0)

/* Exact comparison of doubles (the SPEC's arithmetic is bit-exact). */
#define TEST_EQ_DBL(got, want)                                                    \
  do {                                                                            \
    double got_ = (got), want_ = (want);                                          \
    if (got_ == want_) {                                                          \
      test_passed++;                                                              \
    } else {                                                                      \
      test_failed++;                                                              \
      printf("FAIL %s:%d: %s == %.17g, want %.17g\n", __FILE__, __LINE__, #got,   \
             got_, want_);                                                        \
    }                                                                             \
  } while (0)

#define TEST_EQ_STR(got, want)                                                    \
  do {                                                                            \
    const char *got_ = (got), *want_ = (want);                                    \
    if (got_ != NULL && want_ != NULL && strcmp(got_, want_) == 0) {              \
      test_passed++;                                                              \
    } else {                                                                      \
      test_failed++;                                                              \
      printf("FAIL %s:%d: %s == \"%s\", want \"%s\"\n", __FILE__, __LINE__, #got, \
             got_ ? got_ : "(null)", want_ ? want_ : "(null)");                   \
    }                                                                             \
  } while (0)

#define TEST_REPORT()                                                             \
  (printf("%d passed, %d failed\n", test_passed, test_failed), test_failed != 0)

/* One step of xorshift64 over *state: deterministic data, so a failure reproduces. Each
 * test keeps its own state and seed. */
static inline uint64_t test_xorshift(uint64_t *state) {
  *state ^= *state << 13;
  *state ^= *state >> 7;
  *state ^= *state << 17;
  return *state;
}

/* Entries in dir besides . and .., or -1 when it cannot be read. */
static inline int test_count_entries(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  if (d == NULL) return -1;
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
  closedir(d);
  return n;
}

#endif
