/* test_radix.c — radix_sort_pairs against a stable reference (qsort on (key, position)),
 * radix_key_descending's order against the doubles' own order, and radix_hash_shift's
 * widths. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "radix.h"
#include "table.h"
#include "testhelp.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;

static int pair_cmp(const void *a, const void *b) {
  const radix_pair *x = a, *y = b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return x->index < y->index ? -1 : (x->index > y->index); /* index = input position */
}

/* Sorts n random keys in space, reused with whatever the previous sort left in it and
 * grown when this one needs more room, and compares with the reference. */
static void check_sort(radix_space *space, size_t n, uint64_t key_mask, int n_threads) {
  radix_space_reserve(space, n);
  radix_pair *a = space->pairs, *b = malloc((n ? n : 1) * sizeof *b);
  for (size_t i = 0; i < n; i++) a[i] = b[i] = (radix_pair){ test_xorshift(&rng) & key_mask, (uint32_t)i };
  radix_sort_pairs(a, n, space->scratch, n_threads);
  qsort(b, n, sizeof *b, pair_cmp);
  int same = 1;
  for (size_t i = 0; i < n; i++) same &= a[i].key == b[i].key && a[i].index == b[i].index;
  TEST_CHECK(same);
  free(b);
}

static void test_sort(void) {
  radix_space space = { 0 };
  /* 1 thread, and 2, 3 and 5 (uneven chunks; more threads than the build or the machine
   * may give: the result must not change), below and above RADIX_PARALLEL_MIN */
  static const int threads[] = { 1, 2, 3, 5 };
  for (size_t t = 0; t < sizeof threads / sizeof *threads; t++) {
    int k = threads[t];
    check_sort(&space, 0, ~0ull, k);
    check_sort(&space, 1, ~0ull, k);
    check_sort(&space, 1000, ~0ull, k);           /* all digits used */
    check_sort(&space, 5000, 0xffull, k);         /* one digit, many ties: stability */
    check_sort(&space, 5000, 0xff00000000ull, k); /* one high digit only */
    check_sort(&space, 5000, 0, k);               /* all equal */
    check_sort(&space, 100000, 0xffffffull, k);   /* three digits: an odd number of passes */
    check_sort(&space, 200003, ~0ull, k);         /* eight passes */
    check_sort(&space, 200003, 0xfull, k);        /* half a digit: long runs of ties */
  }
  radix_space_release(&space);
}

static void test_descending_key(void) {
  static const double xs[] = { -1e300, -100.0, -1e-14, -0.0, 0.0, 1e-300, 0.5, 42.0, 99.9, 100.0,
                               100.00000000000001, 1e300, INFINITY, -INFINITY };
  size_t n = sizeof xs / sizeof xs[0];
  int ordered = 1;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++) {
      uint64_t ki = radix_key_descending(xs[i]), kj = radix_key_descending(xs[j]);
      if (xs[i] > xs[j]) ordered &= ki < kj;
      if (xs[i] == xs[j]) ordered &= ki == kj;
    }
  TEST_CHECK(ordered);
  TEST_EQ_INT(radix_key_descending(-0.0) == radix_key_descending(0.0), 1);
}

/* Runs of two or more equal keys, in order; single keys are not runs. */
static void test_equal_runs(void) {
  radix_pair pairs[] = { { 1, 0 }, { 2, 1 }, { 2, 2 }, { 3, 3 }, { 4, 4 }, { 4, 5 }, { 4, 6 } };
  radix_run *runs;
  size_t n = radix_equal_runs(pairs, 7, &runs);
  TEST_EQ_INT(n, 2);
  TEST_EQ_INT(runs[0].start, 1);
  TEST_EQ_INT(runs[0].end, 3);
  TEST_EQ_INT(runs[1].start, 4);
  TEST_EQ_INT(runs[1].end, 7);
  free(runs);
  TEST_EQ_INT(radix_equal_runs(pairs, 1, &runs), 0);
  TEST_CHECK(runs == NULL);
  TEST_EQ_INT(radix_equal_runs(pairs, 0, &runs), 0);
}

/* Sort keys keep the hash's top 32 bits up to 16M hashes, then 40 up to 256M, then 48. */
static void test_hash_shift(void) {
  TEST_EQ_INT(radix_hash_shift(0), 32);
  TEST_EQ_INT(radix_hash_shift(1), 32);
  TEST_EQ_INT(radix_hash_shift(5000000), 32);
  TEST_EQ_INT(radix_hash_shift((size_t)1 << 24), 32);
  TEST_EQ_INT(radix_hash_shift(((size_t)1 << 24) + 1), 24);
  TEST_EQ_INT(radix_hash_shift((size_t)1 << 28), 24);
  TEST_EQ_INT(radix_hash_shift(((size_t)1 << 28) + 1), 16);
  TEST_EQ_INT(radix_hash_shift((size_t)1 << 32), 16);
  /* tests/integration/test_hash_keys.py relies on these values sharing their sort key in
   * a small file while their hashes differ (found by a search over 2^19 candidates) */
  static const char *const sharing[][2] = {
    { "L0305869", "L0373356" },                            /* lead_ids */
    { "eu140075@example.com", "eu510768@example.com" },    /* dedupe keys: 'e' + email */
  };
  int shift = radix_hash_shift(10);
  for (size_t k = 0; k < sizeof sharing / sizeof *sharing; k++) {
    uint64_t a = table_hash(sharing[k][0], strlen(sharing[k][0]));
    uint64_t b = table_hash(sharing[k][1], strlen(sharing[k][1]));
    TEST_CHECK(a != b);
    TEST_CHECK(a >> shift == b >> shift);
  }
}

int main(void) {
  test_sort();
  test_descending_key();
  test_equal_runs();
  test_hash_shift();
  return TEST_REPORT();
}
