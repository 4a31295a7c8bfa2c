/* fuzzcheck.h — the one assertion the fuzz targets use, and their shared byte helpers.
 *
 * FUZZ_REQUIRE prints the failed condition with its file and line, then aborts: libFuzzer
 * (and replay_main.c) treat the abort as a crash and keep the input that caused it. The
 * targets run in builds with and without NDEBUG, so they cannot rely on assert().
 */
#ifndef LR_FUZZCHECK_H
#define LR_FUZZCHECK_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_REQUIRE(cond)                                                          \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                      \
    }                                                                               \
  } while (0)

/* 1 when a[0, alen) and b[0, blen) hold the same bytes (memcmp needs non-NULL pointers
 * even for zero lengths, and an empty field may point nowhere). */
static inline int fuzz_bytes_equal(const char *a, size_t alen, const char *b, size_t blen) {
  return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

#endif
