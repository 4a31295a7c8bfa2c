/* test_output.c — output_format_score (the "%.1f" of scores without printf) against
 * printf itself, on hand-picked ties and on random values. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "testhelp.h"

/* 1 when output_format_score(x) equals printf's "%.1f" (with -0.0 written 0.0). */
static int score_matches_printf(double x) {
  char want[64], got[64];
  snprintf(want, sizeof want, "%.1f", x);
  if (strcmp(want, "-0.0") == 0) strcpy(want, "0.0");
  output_format_score(x, got);
  if (strcmp(got, want) == 0) return 1;
  printf("x=%.17g: got %s want %s\n", x, got, want);
  return 0;
}

/* Deterministic xorshift so failures reproduce. */
static uint64_t rng_state = 88172645463325252ull;

static void test_format_score(void) {
  /* hand-picked: exact ties go to even (0.25 -> 0.2, 0.75 -> 0.8), 0.35 is stored below .35,
   * tiny negatives print 0.0 (A24), 100.0 and the customer-weight 100.00000000000001 */
  TEST_EQ_STR((output_format_score(0.25, (char[32]){ 0 }), "0.2"), "0.2");
  static const double cases[] = { 0.0, -0.0, 0.25, 0.75, 0.35, 0.05, -0.05, -1e-14, 1e-14,
                                  99.95, 100.0, 100.00000000000001, 59.95, 42.95, 27.95,
                                  12.345, 0.95, 1.05, 2.5, -2.5, 1e14, -1e14, 123456789.25 };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) TEST_CHECK(score_matches_printf(cases[i]));
  int mismatches = 0;
  for (int i = 0; i < 200000 && mismatches < 5; i++) {
    /* scores live in [-1, 101]; also exact multiples of 0.05 (the tie cases), and any
     * finite double the fast path accepts */
    mismatches += !score_matches_printf((double)(test_xorshift(&rng_state) % 2040000) / 20000.0 - 1.0);
    mismatches += !score_matches_printf((double)(int64_t)(test_xorshift(&rng_state) % 4000) * 0.05 - 50.0);
    double r;
    memcpy(&r, &(uint64_t){ test_xorshift(&rng_state) }, sizeof r);
    if (isfinite(r) && fabs(r) < 1e20) mismatches += !score_matches_printf(r);
  }
  TEST_EQ_INT(mismatches, 0);
}

int main(void) {
  test_format_score();
  return TEST_REPORT();
}
