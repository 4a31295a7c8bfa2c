/* reserve.h — address space that is backed by memory only where it is touched.
 *
 * The streaming scan needs buffers that grow while other threads read them: the inflated
 * input (the inflater appends, the framer and parsers read what is published) and the
 * row table (the framer hands out rows, workers fill them). A reserved region never
 * moves, so nobody reallocates under a reader. Reserving costs address space only
 * (MAP_NORESERVE, anonymous, zero-filled on first touch); RSS grows with what is written.
 */
#ifndef LR_RESERVE_H
#define LR_RESERVE_H

#include <stddef.h>

#include "lr_err.h"

/* Reserves len bytes (rounded up to pages). NULL and LR_ERR_MEMORY on failure. */
void *reserve_map(size_t len, lr_err *err);

/* Returns [p + keep, p + len) to the system, keeping the first keep bytes (rounded up
 * to pages); keep 0 releases everything. Accepts NULL. */
void reserve_trim(void *p, size_t len, size_t keep);

#endif
