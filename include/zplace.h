/* zplace.h — memory for an ISA-L deflate stream at an address that cannot change the
 * stream's output (see engine/zplace.c for the ISA-L behaviour this works around). The
 * functions exist only in a build with ISA-L (LR_HAVE_ISAL). */
#ifndef LR_ZPLACE_H
#define LR_ZPLACE_H

#include <stddef.h>
#include <stdint.h>

/* The bits of ISA-L's level-1 hash mask (IGZIP_LVL1_HASH_SIZE, 8K slots): zplace_map's
 * windows agree on this many low bits of the slot, which covers the smaller masks ISA-L
 * uses for short inputs too. */
#define ZPLACE_SLOT_BITS 13

/* The slot ISA-L's level-1 and level-2 deflate bodies file a new stream's third byte
 * under when the isal_zstream starts at addr: the CRC-32C (the crc32 instruction, seed 0)
 * of the low 32 bits of addr >> 16, masked to ZPLACE_SLOT_BITS. */
uint32_t zplace_slot(uintptr_t addr);

/* Maps `bytes` of zeroed, writable memory starting at an address whose zplace_slot is 0,
 * so that an isal_zstream placed at its start encodes the same on every thread and in
 * every process. Returns NULL when no such window could be mapped (out of memory or
 * address space). Release with zplace_unmap(p, bytes). */
void *zplace_map(size_t bytes);
void zplace_unmap(void *p, size_t bytes);

#endif
