/* ingest.h — bytes in: opens an INPUT (a path or `-` for standard input), detects gzip by
 * its magic bytes (1f 8b), inflates every member, and hands the decompressed text to the
 * scan as it is produced (ingest_stream_*), or whole (ingest_inflate_buffer, for deals
 * files already in memory).
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

/* Streaming read, the scan's front end: the inflated text appears in a region that never
 * moves while another thread reads the part already published.
 *   ingest_stream_open   reads the input as stored; for gzip, reserves the output region
 *   ingest_stream_data   the text's address, valid from open on (bytes below *available)
 *   ingest_stream_run    inflates (one thread), storing with release into *available how
 *                        many bytes are final, every few MiB; LR_OK: all of it published
 *   ingest_stream_close  hands over the text: *data_out (NUL after len bytes) is released
 *                        with free() when *map_len_out is 0, else reserve_trim(data,
 *                        map_len, 0)
 *   ingest_stream_abort  frees everything instead (after a failed run, or none)
 * A plain input is read whole by open and published at once; so is a gzip input when the
 * region cannot be reserved (then open inflates it whole). */
typedef struct ingest_stream ingest_stream;
int ingest_stream_open(const char *path, ingest_stream **out, lr_err *err) LR_MUST_CHECK;
const char *ingest_stream_data(const ingest_stream *s);
int ingest_stream_run(ingest_stream *s, _Atomic size_t *available, lr_err *err) LR_MUST_CHECK;
void ingest_stream_close(ingest_stream *s, char **data_out, size_t *len_out, size_t *map_len_out);
void ingest_stream_abort(ingest_stream *s);

/* "isa-l" or "zlib": the inflater this build uses (reported by `leadrank --version`). */
const char *ingest_inflater_name(void);

#endif
