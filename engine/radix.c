/* radix.c — stable LSD radix sort over 8-bit digits; digits on which every key agrees
 * are skipped (hashes use all eight, priorities usually fewer). */
#include "radix.h"

#include <stdlib.h>
#include <string.h>

#include "lr_err.h"
#include "par.h"

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

/* Chunk c of n_chunks is pairs [n * c / n_chunks, n * (c + 1) / n_chunks). */
static size_t radix_chunk(size_t n, int n_chunks, int c) { return n * (size_t)c / (size_t)n_chunks; }

void radix_sort_pairs(radix_pair *pairs, size_t n, radix_pair *scratch, int n_threads) {
  if (n < 2) return;
  int n_chunks = n < RADIX_PARALLEL_MIN || n_threads < 1 ? 1 : n_threads;
  /* counts[c][d][b]: pairs in chunk c's positions whose digit d is b, counted over the
   * input for all digits (their sums decide which passes are needed), then recounted for
   * digit d over the array each later pass reads. */
  size_t (*counts)[8][256] = lr_xcalloc((size_t)n_chunks, sizeof *counts);
  int active[8], n_active = 0;
  radix_pair *result = pairs;
#pragma omp parallel num_threads(n_chunks)
  {
    /* a smaller team than asked for (a thread limit): thread k takes chunks k, k + team, ... */
    int k = par_thread_num(), team = par_team_size();
    for (int c = k; c < n_chunks; c += team)
      for (size_t i = radix_chunk(n, n_chunks, c); i < radix_chunk(n, n_chunks, c + 1); i++)
        for (int d = 0; d < 8; d++) counts[c][d][(pairs[i].key >> (8 * d)) & 0xff]++;
#pragma omp barrier
#pragma omp single
    {
      for (int d = 0; d < 8; d++) { /* a digit every key shares moves nothing: skip it */
        size_t same = 0;
        for (int c = 0; c < n_chunks; c++) same += counts[c][d][(pairs[0].key >> (8 * d)) & 0xff];
        if (same != n) active[n_active++] = d;
      }
      result = n_active % 2 ? scratch : pairs;
    }
    radix_pair *from = pairs, *to = scratch;
    for (int a = 0; a < n_active; a++) {
      int d = active[a];
      if (a > 0) { /* the first pass reads the input, whose counts are there already */
        for (int c = k; c < n_chunks; c += team) {
          memset(counts[c][d], 0, sizeof counts[c][d]);
          for (size_t i = radix_chunk(n, n_chunks, c); i < radix_chunk(n, n_chunks, c + 1); i++)
            counts[c][d][(from[i].key >> (8 * d)) & 0xff]++;
        }
#pragma omp barrier
      }
      for (int c = k; c < n_chunks; c += team) {
        /* chunk c's pairs with digit b go after all pairs with smaller digits and after
         * digit b's pairs of the chunks before c: stable */
        size_t offset[256], below = 0;
        for (int b = 0; b < 256; b++) {
          offset[b] = below;
          for (int c2 = 0; c2 < n_chunks; c2++) {
            if (c2 < c) offset[b] += counts[c2][d][b];
            below += counts[c2][d][b];
          }
        }
        for (size_t i = radix_chunk(n, n_chunks, c); i < radix_chunk(n, n_chunks, c + 1); i++)
          to[offset[(from[i].key >> (8 * d)) & 0xff]++] = from[i];
      }
#pragma omp barrier
      radix_pair *swap = from;
      from = to;
      to = swap;
    }
  }
  if (result != pairs) memcpy(pairs, result, n * sizeof *pairs);
  free(counts);
}

int radix_hash_shift(size_t n) {
  int log2n = n <= 1 ? 0 : 64 - __builtin_clzll((unsigned long long)(n - 1)); /* ceil */
  int bits = 2 * log2n - 16;         /* n² / 2^(bits + 1) <= 2^15 */
  bits = bits <= 32 ? 32 : (bits + 7) / 8 * 8;
  return 64 - bits;
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
