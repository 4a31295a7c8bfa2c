/* history_redis.h — the Redis cache of aggregated purchase histories (SPEC §3, issue 4).
 *
 * What flows: a finished history (history.h) goes out as one immutable *version* named by
 * its hid; a version comes back as a history equal, lookup for lookup, to the one the
 * builder made (every double is written with %.17g and reads back exactly; wr_s is
 * recomputed by history_new_from_stats). Keys, under a prefix (default "leadrank:"):
 *   hist:<hid>:v:<key>     hash n w c A D C (statistics after defaults)
 *   hist:<hid>:verticals   set of vertical keys
 *   hist:<hid>:meta        hash format=1 N W customers wr_g A_g D_g C_g deal_rows
 *                          deal_rows_bad deal_blank_lines bad:<reason>... V
 *   hist:current           string: the hid `history build` published last
 * (`customers` and `deal_blank_lines` are in meta so that `history show` and summary.json
 * read from Redis are the same as from the files.)
 *
 * A version is valid only when meta exists, every field of meta and of each vertical hash
 * is known, present and parses (decimal integers >= 0, finite doubles >= 0, wr_g <= 1,
 * w <= n, c <= w, W <= N, the bad:* counts add up to deal_rows_bad), and V, the set and
 * the hashes agree. Anything else is a miss, never an error.
 *
 * Round trips (each is one pipelined batch: redisAppendCommand… then redisGetReply…):
 *   connect: AUTH + SELECT together (none when neither is needed)   1
 *   history_redis_get_current: GET                                    1
 *   history_redis_load: HGETALL meta + SMEMBERS, then all V HGETALLs   2 (1 when absent)
 *   history_redis_publish: WATCH + GET current, [SMEMBERS old], then
 *     MULTI, DEL…, HSET…, SADD, HSET meta, [SET current, EXPIRE…], EXEC  2-3
 *     (again only if another writer moved hist:current in between)
 * The number of commands grows with V (one HGETALL / HSET per vertical), never with the
 * number of leads. Publishing is one MULTI/EXEC transaction, so a reader sees a version
 * whole or not at all, and hist:current moves in the same transaction that writes the
 * version it names and puts a TTL on the version it replaces.
 *
 * Errors: anything that goes wrong talking to Redis (unreachable, timeout, closed
 * connection, AUTH refused, an error reply such as OOM under maxmemory) is LR_ERR_SERVICE
 * with a message naming the endpoint (redis_url_describe), never the password. The
 * caller decides whether that is fatal (SPEC §3's fallback rules live in
 * history_source.c).
 *
 * Threads: a history_redis wraps one hiredis context, which is not thread-safe; call it
 * from one thread, outside parallel regions.
 */
#ifndef LR_HISTORY_REDIS_H
#define LR_HISTORY_REDIS_H

#include <stddef.h>

#include "history.h"
#include "lr_err.h"
#include "redis_url.h"

#define HISTORY_REDIS_FORMAT 1
#define HISTORY_REDIS_HID_LEN 32 /* hex digits of a 128-bit XXH3 */
#define HISTORY_REDIS_DEFAULT_PREFIX "leadrank:"

typedef struct history_redis history_redis;

/* The hid of a list of deals files: XXH3-128 over the format version and, per file in
 * order, its length (8 bytes little-endian: "ab"+"c" is not "a"+"bc") and its bytes as
 * stored (compressed or not, so a cache hit needs no inflate). hex_out gets 32 lowercase
 * hex digits and a NUL. */
void history_redis_hid(const unsigned char *const *bufs, const size_t *lens, size_t n,
                       char hex_out[HISTORY_REDIS_HID_LEN + 1]);

/* Connects with connect and command timeouts of timeout_ms, then AUTH (when u has a
 * password) and SELECT (db != 0). prefix NULL: HISTORY_REDIS_DEFAULT_PREFIX (copied).
 * Caller closes *out with history_redis_close, also after a failed call later on. */
int history_redis_connect(const redis_url *u, const char *prefix, long timeout_ms,
                          history_redis **out, lr_err *err) LR_MUST_CHECK;
void history_redis_close(history_redis *r);

/* "127.0.0.1:6379/0": the endpoint for messages (no password). Valid until close. */
const char *history_redis_where(const history_redis *r);

/* Commands sent and round trips made so far (for -v and the round-trip tests). */
void history_redis_counts(const history_redis *r, long *commands_out, long *round_trips_out);

/* GET hist:current. *found 0 when it is not set; hid_out gets the hid when it is. A value
 * that is not 32 hex digits is LR_OK with *found 1 and *valid 0 (a bad current). */
int history_redis_get_current(history_redis *r, char hid_out[HISTORY_REDIS_HID_LEN + 1],
                              int *found, int *valid, lr_err *err) LR_MUST_CHECK;

/* Loads version hid. On a hit *out gets the history (caller frees with history_free); on
 * a miss *out is NULL, *damaged is 1 when some key of the version exists (a broken or
 * partial version: worth a warning) and why gets the reason. */
int history_redis_load(history_redis *r, const char *hid, history **out, int *damaged,
                       char *why, size_t why_len, lr_err *err) LR_MUST_CHECK;

/* Writes version hid of h (replacing whatever its keys held: that is the repair).
 * make_current 0 (`score`): hist:current is not touched; the version gets a TTL of
 * ttl_seconds unless it is the current one (the current version never expires).
 * make_current 1 (`history build`): the version is written without TTL, hist:current is
 * set to hid, and the version it replaces (if another) gets EXPIRE ttl_seconds on all its
 * keys. */
int history_redis_publish(history_redis *r, const char *hid, const history *h,
                          int make_current, long ttl_seconds, lr_err *err) LR_MUST_CHECK;

/* ---- the value codec, without a server (unit-tested) ---- */

/* One Redis hash as name/value C strings (HGETALL's reply split in two arrays). */
typedef struct history_redis_hash {
  const char *const *names;
  const char *const *values;
  size_t n;
} history_redis_hash;

/* The field/value pairs of h's meta hash and of its vertical i's hash, as HSET arguments
 * (names[k], values[k]). Caller frees with history_redis_fields_free. */
typedef struct history_redis_fields {
  char **names;
  char **values;
  size_t n;
} history_redis_fields;
void history_redis_encode_meta(const history *h, history_redis_fields *out);
void history_redis_encode_vertical(const history *h, size_t i, history_redis_fields *out);
void history_redis_fields_free(history_redis_fields *f);

/* A history from a version's replies: meta, the set's members (keys) and each member's
 * hash (hashes[i] belongs to keys[i]). 1 and *out on success; 0 when the version is not
 * valid (see above), with the reason in why. */
int history_redis_decode(const history_redis_hash *meta, const char *const *keys,
                         const history_redis_hash *hashes, size_t n_keys, history **out,
                         char *why, size_t why_len);

#endif
