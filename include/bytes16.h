/* bytes16.h — 16 bytes compared at once, for the framer's scans (frame.c).
 *
 * GCC's vector extension (SSE2 compares on x86-64, NEON on arm64) without intrinsics. A
 * comparison such as `x == ','` gives 0xFF in the lanes that match and 0 elsewhere;
 * bytes16_words reads those lanes as two words, in memory order. Header-only: the
 * framer calls these once per 16 bytes of text.
 */
#ifndef LR_BYTES16_H
#define LR_BYTES16_H

#include <stdint.h>
#include <string.h>

typedef unsigned char bytes16 __attribute__((vector_size(16)));

#define BYTES16_ONES 0x0101010101010101ULL

static inline bytes16 bytes16_load(const char *p) {
  bytes16 x;
  memcpy(&x, p, sizeof x);
  return x;
}

/* The lanes of a comparison result, as two words of 0xFF / 0 bytes. */
static inline void bytes16_words(bytes16 m, uint64_t w[2]) { memcpy(w, &m, 16); }

/* The first matching lane of a comparison result that has one (w: bytes16_words). */
static inline unsigned bytes16_first(const uint64_t w[2]) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return w[0] ? (unsigned)__builtin_ctzll(w[0]) >> 3 : 8 + ((unsigned)__builtin_ctzll(w[1]) >> 3);
#else
  return w[0] ? (unsigned)__builtin_clzll(w[0]) >> 3 : 8 + ((unsigned)__builtin_clzll(w[1]) >> 3);
#endif
}

/* How many lanes match (w: bytes16_words): each word's 0/1 bytes summed into its top byte
 * by a multiply (a popcount without -mpopcnt is a libgcc call). */
static inline uint64_t bytes16_count(const uint64_t w[2]) {
  return (((w[0] & BYTES16_ONES) + (w[1] & BYTES16_ONES)) * BYTES16_ONES) >> 56;
}

#endif
