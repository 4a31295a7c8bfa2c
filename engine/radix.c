/* radix.c — stable LSD radix sort over 8-bit digits; digits on which every key agrees
 * are skipped (hashes use all eight, priorities usually fewer). */
#include "radix.h"

#include <stdlib.h>
#include <string.h>

#include "lr_err.h"

void radix_space_reserve(radix_space *s, size_t n) {
  if (n <= s->cap && s->pairs != NULL) return;
  radix_space_release(s);
  s->cap = n ? n : 1;
  s->pairs = lr_xmalloc(s->cap * sizeof *s->pairs);
  s->scratch = lr_xmalloc(s->cap * sizeof *s->scratch);
}

void radix_space_release(radix_space *s) {
  free(s->pairs);
  free(s->scratch);
  *s = (radix_space){ 0 };
}

void radix_sort_pairs(radix_pair *pairs, size_t n, radix_pair *scratch) {
  if (n < 2) return;
  size_t (*counts)[256] = lr_xcalloc(8, sizeof *counts);
  for (size_t i = 0; i < n; i++)
    for (int d = 0; d < 8; d++) counts[d][(pairs[i].key >> (8 * d)) & 0xff]++;
  radix_pair *from = pairs, *to = scratch;
  for (int d = 0; d < 8; d++) {
    if (counts[d][(pairs[0].key >> (8 * d)) & 0xff] == n) continue; /* one value: no-op */
    size_t offset[256], sum = 0;
    for (int b = 0; b < 256; b++) {
      offset[b] = sum;
      sum += counts[d][b];
    }
    for (size_t i = 0; i < n; i++) to[offset[(from[i].key >> (8 * d)) & 0xff]++] = from[i];
    radix_pair *swap = from;
    from = to;
    to = swap;
  }
  if (from != pairs) memcpy(pairs, from, n * sizeof *pairs);
  free(counts);
}

uint64_t radix_key_descending(double x) {
  x += 0.0; /* -0.0 becomes 0.0 */
  uint64_t u;
  memcpy(&u, &x, sizeof u);
  /* IEEE bits to an unsigned order that follows the value: flip negatives entirely, set
   * the sign bit of positives; then invert for descending. */
  u = (u >> 63) ? ~u : (u | (UINT64_C(1) << 63));
  return ~u;
}

size_t radix_equal_runs(const radix_pair *pairs, size_t n, radix_run **runs_out) {
  radix_run *runs = NULL;
  size_t n_runs = 0, cap = 0;
  for (size_t start = 0; start < n;) {
    size_t end = start + 1;
    while (end < n && pairs[end].key == pairs[start].key) end++;
    if (end - start > 1) {
      if (n_runs == cap) {
        cap = cap ? 2 * cap : 1024;
        runs = lr_xrealloc(runs, cap * sizeof *runs);
      }
      runs[n_runs++] = (radix_run){ start, end };
    }
    start = end;
  }
  *runs_out = runs;
  return n_runs;
}
