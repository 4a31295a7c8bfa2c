/* ingest.h — bytes in: opens an INPUT (a path or `-` for standard input), detects gzip by
 * its magic bytes (1f 8b), inflates every member, and hands the decompressed text to the
 * scan as it is produced, a step at a time, in bounded memory (ingest_stream_*), or whole
 * (ingest_inflate_buffer, for deals files already in memory).
 *
 * Gzip rules (SPEC §1, refscore A40): all members are read (pigz, bgzip, `cat a.gz b.gz`);
 * NUL bytes after a member are skipped; a truncated member, a CRC or length mismatch,
 * corrupt deflate data, or bytes after a member that do not begin another member are
 * LR_ERR_INPUT with a one-line message naming the input. The inflater is ISA-L when built
 * with LR_HAVE_ISAL, zlib otherwise; both give the same bytes.
 *
 * Ownership is stated at each function. Any thread may work on distinct inputs; one
 * stream is run by one thread while others read what it has published.
 */
#ifndef LR_INGEST_H
#define LR_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "lr_err.h"

/* Reads all of INPUT `path` as stored, without inflating (the Redis cache hashes the
 * stored bytes). *raw_out is malloc'ed (the caller frees it), with a NUL byte after the
 * data. LR_ERR_INPUT naming the input when it cannot be read. */
int ingest_read_raw(const char *path, unsigned char **raw_out, size_t *len_out,
                    lr_err *err) LR_MUST_CHECK;

/* Inflates a gzip byte string (all members) held in memory; same rules and ownership as
 * ingest_read_raw. `name` is used in messages. */
int ingest_inflate_buffer(const char *name, const unsigned char *gz, size_t gz_len,
                          char **data_out, size_t *len_out, lr_err *err) LR_MUST_CHECK;

/* Streaming read, the scan's front end, in bounded memory. The text appears in a region
 * that never moves, reserved at open (address space only: MAP_NORESERVE, backed where it
 * is written) while other threads read the part already published:
 *   stored size known (a regular file): gzip 1033 x stored_size + 1 MiB (deflate expands
 *   at most about 1032:1), plain stored_size + 1; unknown (a pipe): 1 TiB, and a
 *   text that would outgrow it is LR_ERR_INPUT.
 * The stored bytes are read as they are consumed, INGEST_READ_CHUNK at a time, each read
 * ending at a multiple of INGEST_READ_CHUNK in the input's offsets (tests place member
 * boundaries across them): a plain input straight into the region, a gzip input into one
 * window of about that size. So memory is the window plus the text not yet released.
 * One exception, ISA-L builds only: a member ISA-L fails is judged again by zlib from its
 * start (ingest.c says why), so a pipe's window keeps the current member's stored bytes
 * (a regular file is read again instead): a single-member gzip through a pipe is held
 * compressed; multi-member inputs (pigz, bgzip) hold one member at a time.
 * When the region cannot be reserved (ulimit -v, valgrind), open reads the input whole
 * into the heap, inflating it if gzip, and the first step publishes it all.
 *
 * Call order: ingest_stream_open → ingest_stream_step until *done_out (or
 * ingest_stream_run) → ingest_stream_close, or ingest_stream_abort at any point. After a
 * step or run fails, only ingest_stream_abort. The stream owns the fd (standard input is
 * left open), the window and the text until close hands the text over.
 * Threads: one thread at a time steps the stream; any thread may read the text below the
 * count published into *available (loaded with acquire), and may call
 * ingest_stream_release for text it has finished with, concurrently with a step. */
typedef struct ingest_stream ingest_stream;

/* Stored bytes are read at most this many at a time, each read ending at a multiple of it. */
#define INGEST_READ_CHUNK ((size_t)4 << 20)

/* Opens INPUT `path` (`-`: standard input), reads its first two bytes (gzip is detected
 * by its magic bytes, never by the name) and reserves the region. LR_ERR_INPUT naming the
 * input when it cannot be read. */
int ingest_stream_open(const char *path, ingest_stream **out, lr_err *err) LR_MUST_CHECK;

/* The text's address, valid from open until close or abort (bytes below *available). */
const char *ingest_stream_data(const ingest_stream *s);

/* Produces the next min(max_bytes, what is left) bytes of text (max_bytes > 0) and
 * publishes them (store-release into *available, also during the step). Never more than
 * max_bytes, with two exceptions that publish more at once: the heap fallback above (the
 * first step publishes everything), and in an ISA-L build a member that ISA-L rejects
 * and zlib accepts (a bug of ISA-L, never seen: the rest of that member).
 * *done_out = 1 once the whole input is published: the NUL after the text is written
 * then, and the input is closed and its window freed; a step may publish 0 bytes when
 * only trailers or padding were left. Blocks on a pipe until it has the bytes. A damaged
 * gzip input gives the same LR_ERR_INPUT message whatever the steps (SPEC §1 above). */
int ingest_stream_step(ingest_stream *s, size_t max_bytes, _Atomic size_t *available,
                       int *done_out, lr_err *err) LR_MUST_CHECK;

/* Steps until done, 4 MiB of text at a time (the scan's default path). */
int ingest_stream_run(ingest_stream *s, _Atomic size_t *available, lr_err *err) LR_MUST_CHECK;

/* Text below `upto` (at most what is published) will not be read again: its whole pages
 * are given back (madvise MADV_DONTNEED), so RSS stays at what is not yet released. Any
 * thread, concurrently with ingest_stream_step (it touches only pages below upto, which
 * the step never writes again). After a release the text is no longer whole: the stream
 * must end with ingest_stream_abort, not ingest_stream_close. */
void ingest_stream_release(ingest_stream *s, size_t upto);

/* Hands over the whole text once done: *data_out (NUL after len bytes) is released with
 * free() when *map_len_out is 0, else reserve_trim(data, map_len, 0). Frees the stream.
 * Not after ingest_stream_release. */
void ingest_stream_close(ingest_stream *s, char **data_out, size_t *len_out, size_t *map_len_out);

/* Frees everything — the region or heap text, the window, the fd: after a failed step, or
 * instead of close; also how a bounded scan drops an input it has consumed and released.
 * Accepts NULL. */
void ingest_stream_abort(ingest_stream *s);

/* "isa-l" or "zlib": the inflater this build uses (reported by `leadrank --version`). */
const char *ingest_inflater_name(void);

#endif
