/* zplace.c — places ISA-L deflate streams where their address cannot change their output.
 *
 * Owns: zplace_map/zplace_unmap, the anonymous mappings csvw_gzip_member puts its
 * isal_zstream and level buffer in, and zplace_slot, the hash that decides where. Built
 * only with ISA-L (LR_HAVE_ISAL): zlib's output does not depend on where its state lies.
 *
 * Why: ISA-L's level-1 and level-2 deflate body (isal_deflate_icf_body_hash_hist_01/02/04,
 * igzip_icf_body_h1_gr_bt.asm, unchanged from 2.30 through 2.32) begins a stream at
 * .write_first_byte, which files position 2 in the hash table under the hash of register
 * rcx >> 16 — but rcx still holds the isal_zstream's address, where the bytes at
 * position 2 were meant. So position 2 lands in slot crc32c((uint32_t)(addr >> 16)) &
 * hash_mask, and when that slot is the slot of the stream's first four bytes, their
 * entry is lost and a later repeat of them is not matched. The output stays valid and
 * decompresses to the same bytes, but its encoding depends on where the struct lies: a
 * thread stack's address, which ASLR moves. In a 5M-row `--gzip` run that made one 4 MiB
 * member of 330 come out different in about one run of twenty. Streams whose addresses
 * share the slot compress alike, so zplace_map hands out only windows of slot 0.
 *
 * The hash is the only thing taken from the address, and it sees bits 16..47: the
 * 64 KiB window the struct starts in. About one window in 2^ZPLACE_SLOT_BITS is of
 * slot 0, so zplace_map walks down from where the kernel would put the mapping (below
 * it the address space is mostly free, as mmap grows down) and maps the first free one
 * with MAP_FIXED_NOREPLACE, which never replaces an existing mapping.
 */
#include "zplace.h"

#if LR_HAVE_ISAL
#include <errno.h>
#include <isa-l.h>
#include <sys/mman.h>

#define ZPLACE_WINDOW_SHIFT 16
/* How far down the walk goes: 2^22 windows (256 GiB) hold about 512 windows of slot 0. */
#define ZPLACE_MAX_WINDOWS ((uintptr_t)1 << 22)
/* Windows below 16 MiB are never tried (mmap_min_addr, the program's own image). */
#define ZPLACE_LOWEST_WINDOW ((uintptr_t)1 << 8)

/* ISA-L's crc32_iscsi with seed 0 is the crc32 instruction's CRC-32C, over the window
 * number's four bytes in register (little-endian) order. */
uint32_t zplace_slot(uintptr_t addr) {
  uint32_t window = (uint32_t)(addr >> ZPLACE_WINDOW_SHIFT);
  return crc32_iscsi((unsigned char *)&window, (int)sizeof window, 0) &
         ((1u << ZPLACE_SLOT_BITS) - 1);
}

void *zplace_map(size_t bytes) {
  void *hint = mmap(NULL, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (hint == MAP_FAILED) return NULL;
  munmap(hint, bytes);
  uintptr_t top = (uintptr_t)hint >> ZPLACE_WINDOW_SHIFT;
  uintptr_t floor = top > ZPLACE_MAX_WINDOWS + ZPLACE_LOWEST_WINDOW ? top - ZPLACE_MAX_WINDOWS
                                                                     : ZPLACE_LOWEST_WINDOW;
  for (uintptr_t w = top; w >= floor; w--) {
    if (zplace_slot(w << ZPLACE_WINDOW_SHIFT) != 0) continue;
    void *want = (void *)(w << ZPLACE_WINDOW_SHIFT);
    void *p = mmap(want, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == want) return p;
    if (p != MAP_FAILED) {
      munmap(p, bytes); /* a kernel before 4.17 takes the address as a mere hint */
    } else if (errno != EEXIST) {
      return NULL;
    }
  }
  return NULL;
}

void zplace_unmap(void *p, size_t bytes) {
  munmap(p, bytes);
}
#endif
