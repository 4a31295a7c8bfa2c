/* radix.h — stable LSD radix sort of (64-bit key, 32-bit index) pairs, the ordering
 * primitive of unique, dedupe and rank: they sort compact keys (a hash, or a priority
 * mapped to an unsigned integer), never rows, then settle equal keys exactly.
 *
 * Stable: pairs with equal keys keep their input order, so callers that feed indexes in
 * input order get "first occurrence first" for free. O(n) time with one scratch array
 * of n pairs, the caller's (radix_space).
 */
#ifndef LR_RADIX_H
#define LR_RADIX_H

#include <stddef.h>
#include <stdint.h>

typedef struct radix_pair {
  uint64_t key;
  uint32_t index;
} radix_pair;

/* Memory to sort in: room for cap pairs to fill and as much scratch. unique, dedupe and
 * rank reuse one space (command_run.c), so each sort writes pages that are already
 * there: with a fresh pair array and scratch per sort, clearing new pages took half of
 * those steps' time (5M rows). */
typedef struct radix_space {
  radix_pair *pairs, *scratch;
  size_t cap;
} radix_space;

/* Room for at least n pairs (contents not kept). */
void radix_space_reserve(radix_space *s, size_t n);
void radix_space_release(radix_space *s);

/* Below this many pairs a sort runs on the calling thread alone. */
#define RADIX_PARALLEL_MIN ((size_t)1 << 16)

/* Sorts pairs[0, n) by key ascending, stably, with scratch[0, n) (not overlapping), on
 * n_threads threads (each pass: every thread counts, then scatters, its own chunk); the
 * result does not depend on n_threads. Call it outside parallel regions. */
void radix_sort_pairs(radix_pair *pairs, size_t n, radix_pair *scratch, int n_threads);

/* A run of two or more pairs with equal keys in a sorted array: pairs[start, end). */
typedef struct radix_run {
  size_t start, end;
} radix_run;

/* The runs of equal keys in sorted pairs[0, n), in order, into *runs_out (caller frees
 * with free(); NULL when there are none); returns how many. Runs share no pairs, so
 * callers settle them in parallel. */
size_t radix_equal_runs(const radix_pair *pairs, size_t n, radix_run **runs_out);

/* How far to shift a 64-bit hash right to get its sort key among n hashes: its top bits
 * only, as many as keep the pairs of different hashes that share a key rare (about
 * n² / 2^(bits + 1), at most ~32k: 32 bits up to 16M hashes, 40 up to 256M, 48 beyond),
 * whole bytes so that no digit is left partly used. Callers group by key and compare the
 * bytes anyway, so a shared key costs one re-derivation; each byte not sorted saves a
 * pass over the pairs. */
int radix_hash_shift(size_t n);

/* A key whose unsigned order is the descending order of x (-0.0 and 0.0 equal; x not NaN). */
uint64_t radix_key_descending(double x);

#endif
