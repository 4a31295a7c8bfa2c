/* history_load.h — deals exports in, an aggregated history out (the embedded, in-process
 * mode of SPEC §3).
 *
 * Each DEALS file is ingested (plain or gzip), framed with the default 64 KiB record
 * limit, mapped onto the deals schema (its header must have `vertical` and `outcome`),
 * validated row by row and fed to a history_builder; bad deal rows are counted by reason,
 * never fatal, and never written to rejects.csv (A11, A19). Sequential.
 */
#ifndef LR_HISTORY_LOAD_H
#define LR_HISTORY_LOAD_H

#include <stddef.h>

#include "history.h"
#include "lr_err.h"
#include "schema.h"

/* Aggregates the deals files, in order, from their bytes as stored (plain or gzip; read
 * with ingest_read_raw), so a caller that hashed the raw bytes (the Redis cache's hid)
 * need not read them again. names are used in messages. The buffers stay the caller's;
 * the caller frees *out with history_free. */
int history_load_raw(const schema *deals_schema, const char *const *names,
                     const unsigned char *const *raw, const size_t *raw_len, size_t n,
                     history **out, lr_err *err) LR_MUST_CHECK;

#endif
