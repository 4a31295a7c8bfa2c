/* spool.h — a temporary file of variable-length records, written once, then read in order.
 *
 * The spill path of `--memory MB` (SPEC §6) keeps what does not fit in memory on disk:
 * extsort writes its sorted runs to spools, and stages may spool compact records they
 * will read back once. Modelled on SQLite's PmaWriter/PmaReader (src/vdbesort.c).
 *
 * In:  records (any bytes, any length including 0, larger than the buffer too), copied.
 * Out: the same records, in the order they were put, each valid until the next call.
 * On disk each record is a LEB128 length (1–10 bytes) and then its bytes.
 *
 * The file has no name: it is opened with O_TMPFILE in dir when the file system supports
 * it, else created with mkostemp and unlinked at once. Nothing is ever left in dir, not
 * even after SIGKILL or a crash; the space returns to the file system at spool_free.
 *
 * Call order: spool_new; spool_put any number of times; spool_rewind; spool_next until it
 * returns 0 (spool_rewind again restarts from the first record); spool_free. spool_put
 * after spool_rewind is an error.
 *
 * Return convention of spool_next (and extsort_next, which follows it): 1 a record,
 * 0 the end, anything else an LR_ERR_* code (always >= 2: LR_ERR_OUTPUT or
 * LR_ERR_MEMORY, never LR_ERR_USAGE; checked below) with err filled. Loop with
 *   while ((rc = spool_next(s, &rec, &len, err)) == 1) { ... }  if (rc != 0) return rc;
 *
 * Errors are sticky (SQLite's PmaWriter.eFWErr): the first failure of a write, read or
 * allocation is kept, and every later call returns the same code and message. Writes are
 * buffered, so a write error may surface in a later spool_put or only in spool_rewind,
 * which flushes: a spool whose rewind succeeded holds every record put.
 *
 * Memory: one buffer of buffer_bytes, allocated at the first put and freed by spool_rewind;
 * allocated again (at the size spool_set_buffer last chose) at the first spool_next and
 * freed when spool_next returns 0. A record larger than the buffer is read into a block of
 * exactly its length, held until the next call. So a finished spool that is not being
 * read holds no buffer: extsort keeps many runs and reads them with a budget.
 *
 * Threads: one thread per spool at a time; distinct spools are independent.
 */
#ifndef LR_SPOOL_H
#define LR_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "lr_err.h"

_Static_assert(LR_ERR_OUTPUT > 1 && LR_ERR_MEMORY > 1, "spool_next: 1 means a record, never an error code");

/* Buffers smaller than this are raised to it (room for a length prefix). */
#define SPOOL_BUFFER_MIN 16

typedef struct spool spool;

/* Creates an anonymous spool file in dir (O_TMPFILE when the file system supports it,
 * else mkostemp + immediate unlink: the file has no name, so nothing is left behind even
 * after SIGKILL). buffer_bytes: the write and read buffer (at least SPOOL_BUFFER_MIN).
 * dir is copied (for messages). Caller frees *out with spool_free. On failure *out is
 * NULL and the result LR_ERR_OUTPUT with a message naming dir and the system's reason. */
int spool_new(const char *dir, size_t buffer_bytes, spool **out, lr_err *err) LR_MUST_CHECK;

/* Appends one record (rec[0, len) is copied; rec may be NULL when len is 0). Short writes
 * and EINTR are retried; ENOSPC, EFBIG, EIO, ... are LR_ERR_OUTPUT "DIR: cannot write a
 * temporary file: REASON". */
int spool_put(spool *s, const void *rec, size_t len, lr_err *err) LR_MUST_CHECK;

/* Ends writing (flushes: the first write error is reported here if no put reported it)
 * and starts reading at the first record. Called again while reading, restarts. */
int spool_rewind(spool *s, lr_err *err) LR_MUST_CHECK;

/* Sets the read buffer for the next time one is allocated (after spool_rewind, before
 * the first spool_next); raised to SPOOL_BUFFER_MIN. */
void spool_set_buffer(spool *s, size_t buffer_bytes);

/* Next record: 1 with *rec and *len set (*rec never NULL, even for an empty record; the bytes
 * are the spool's, valid until the next call on s), 0 at the end, else an error code
 * (see the convention above). A file shorter than what was written is LR_ERR_OUTPUT. */
int spool_next(spool *s, const void **rec, size_t *len, lr_err *err) LR_MUST_CHECK;

/* Records put so far. */
uint64_t spool_count(const spool *s);

/* Bytes in the file (length prefixes included) once flushed; buffered bytes count too. */
uint64_t spool_bytes(const spool *s);

/* Closes the file (it vanishes) and frees s. Accepts NULL. */
void spool_free(spool *s);

#endif
