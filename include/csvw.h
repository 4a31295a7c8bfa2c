/* csvw.h — CSV output: the field quoting rule of SPEC §6 and files that appear only when
 * complete.
 *
 * Dialect (refscore A36): UTF-8, `,` between fields, `\n` after every record; a field is
 * enclosed in `"` (inner `"` doubled) if and only if it contains `,`, `"`, CR or LF, or
 * starts or ends with a space or tab.
 *
 * lr_buf is a growable byte buffer; csvw_buf_* append formatted CSV to it (any thread, on
 * its own buffer). csvw is one output file: bytes go to a temporary file beside the final
 * name and csvw_commit renames it into place (with --fsync also fsyncs the file and the
 * directory); csvw_abort removes the temporary. With gzip, the output is a sequence of
 * gzip members, each holding a fixed CSVW_GZIP_MEMBER_BYTES of uncompressed data (the last
 * one less), header MTIME 0, no file name, OS 255 — so the bytes never depend on how
 * writes were split. The members are compressed in parallel (csvw_set_threads), one
 * batch of up to min(threads, 32) members at a time, so a gzip writer holds at most
 * about 8 MiB per member of its batch; the bytes are the same for every thread count.
 * A writer keeps its first error and reports it at commit.
 *
 * Call order: csvw_open → [csvw_set_threads] → csvw_write … → csvw_commit or csvw_abort
 * (both free the csvw); or, to publish several files together, csvw_finish on each, then
 * csvw_publish on each (csvw_abort on each if any finish failed). One calling thread per csvw. Compression opens its own OpenMP
 * region, so call csvw_write outside the caller's parallel regions to get its threads
 * (inside one it runs on the calling thread alone, with the same bytes).
 */
#ifndef LR_CSVW_H
#define LR_CSVW_H

#include <stddef.h>
#include <string.h>

#include "lr_err.h"
#include "row.h"

#define CSVW_GZIP_MEMBER_BYTES ((size_t)4 << 20)

typedef struct lr_buf {
  char *data;
  size_t len;
  size_t cap;
} lr_buf;

/* Room for `extra` more bytes (the slow path of lr_buf_reserve). */
void lr_buf_grow(lr_buf *b, size_t extra);
void lr_buf_release(lr_buf *b); /* frees data; b may be reused after */

/* Inline: formatting an output row appends a dozen small pieces, and a call per piece
 * was a tenth of the run (perf, 5M rows). */
static inline void lr_buf_reserve(lr_buf *b, size_t extra) {
  if (b->cap - b->len < extra) lr_buf_grow(b, extra);
}

static inline void lr_buf_put(lr_buf *b, const char *s, size_t len) {
  if (len == 0) return;
  lr_buf_reserve(b, len);
  memcpy(b->data + b->len, s, len);
  b->len += len;
}

static inline void lr_buf_putc(lr_buf *b, char c) {
  if (b->len == b->cap) lr_buf_grow(b, 1);
  b->data[b->len++] = c;
}

/* Appends one field, quoted by the rule above (no separator). */
void csvw_buf_field(lr_buf *b, const char *s, size_t len);
/* 1 when the field needs quotes under the rule above. */
int csvw_needs_quotes(const char *s, size_t len);

/* A compressor's state for csvw_gzip_member, kept from member to member by one thread at
 * a time. With ISA-L it lies where zplace_map puts it, as its address would otherwise
 * change the encoding (zplace.c). NULL when it cannot be allocated. */
typedef struct csvw_deflater csvw_deflater;
csvw_deflater *csvw_deflater_new(void);
void csvw_deflater_free(csvw_deflater *d);

/* Appends to out one complete gzip member holding in[0..in_len): ISA-L igzip level 1 in
 * a build with ISA-L (LR_HAVE_ISAL), else zlib level 1 (SPEC §6 lets the compressed bytes
 * differ between those builds, not the decompressed ones); header MTIME 0, no file name,
 * XFL 4, OS 255. The bytes depend only on in[0..in_len) — not on what d compressed
 * before, which deflater or thread it is, or what out already holds or its capacity — so
 * several threads may compress members at once, each with its own d and out. Returns
 * LR_OK, or LR_ERR_MEMORY when the compressor cannot allocate what it needs. */
int csvw_gzip_member(csvw_deflater *d, const char *in, size_t in_len, lr_buf *out) LR_MUST_CHECK;

/* 1 when the fields, each written with csvw_buf_field and joined by commas, are exactly
 * raw[0, len): the input was already quoted the way outputs quote, so output may copy the
 * raw record instead of splitting it again. Compares in place, building nothing. */
int csvw_fields_equal_raw(const lr_field *fields, size_t n, const char *raw, size_t len);

typedef struct csvw csvw;

/* Opens a writer whose bytes will appear at final_path on commit. */
int csvw_open(const char *final_path, int gzip, int do_fsync, csvw **out,
              lr_err *err) LR_MUST_CHECK;
/* How many threads compress gzip members (default 1; values below 1 count as 1, and at
 * most 32 members are compressed at once). Changes nothing in the bytes written, and
 * nothing at all for plain output. Meant to be called right after csvw_open; a later
 * call first writes the members already complete. */
void csvw_set_threads(csvw *w, int n_threads);
/* Appends bytes (already formatted CSV). Errors are kept for csvw_commit. */
void csvw_write(csvw *w, const char *s, size_t len);
/* Flushes, finishes gzip, checks every close, renames into place; frees w. The same as
 * csvw_finish then csvw_publish (csvw_abort on a failed finish). */
int csvw_commit(csvw *w, lr_err *err) LR_MUST_CHECK;
/* Flushes, finishes gzip, fsyncs (with do_fsync) and closes, but keeps the file under its
 * temporary name: a run publishes all its outputs only when every one is complete. On
 * failure the caller still owns w and releases it with csvw_abort. */
int csvw_finish(csvw *w, lr_err *err) LR_MUST_CHECK;
/* Renames a finished file into place (and fsyncs the directory with do_fsync); frees w. */
int csvw_publish(csvw *w, lr_err *err) LR_MUST_CHECK;
/* Removes the temporary file; frees w. Accepts NULL. */
void csvw_abort(csvw *w);

/* The temporary name process `pid` writes final_path under (DIR/.NAME.tmp-PID), into
 * buf; returns its length as snprintf does (buf may be NULL with buf_len 0). main uses it
 * to remove temporaries when a signal ends the run. */
int csvw_temp_path(const char *final_path, long pid, char *buf, size_t buf_len);

#endif
