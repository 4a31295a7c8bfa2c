/* history_redis.c — publishes and loads purchase-history versions in Redis with hiredis
 * (see history_redis.h for the key layout, the validity rules and the round-trip budget).
 * Owns the hid, the value codec and every Redis command leadrank sends. */
#include "history_redis.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>
#include <xxhash.h>

#include "values.h"

/* Attempts at the WATCH/MULTI/EXEC of a publish: each failure means another writer moved
 * hist:current in between, which only a `history build` does; a handful of those racing
 * one publish is already unusual. */
#define HR_PUBLISH_ATTEMPTS 8
#define HR_NUM_LEN 32 /* enough for %.17g and any int64 */

struct history_redis {
  redisContext *c;
  char *prefix;       /* key prefix, e.g. "leadrank:" */
  char where[320];    /* endpoint for messages (redis_url_describe): never the password */
  long timeout_ms;    /* for the "timed out" message */
  long commands;      /* commands appended so far */
  long round_trips;   /* reply batches read so far */
};

/* ---- hid ---- */

void history_redis_hid(const unsigned char *const *bufs, const size_t *lens, size_t n,
                       char hex_out[HISTORY_REDIS_HID_LEN + 1]) {
  static const char tag[] = "leadrank-history-format-1";
  XXH3_state_t *st = XXH3_createState();
  if (st == NULL) {
    fputs("leadrank: out of memory\n", stderr);
    abort();
  }
  XXH3_128bits_reset(st);
  XXH3_128bits_update(st, tag, sizeof tag - 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char len_le[8];
    uint64_t len = (uint64_t)lens[i];
    for (int k = 0; k < 8; k++) len_le[k] = (unsigned char)(len >> (8 * k));
    XXH3_128bits_update(st, len_le, sizeof len_le);
    XXH3_128bits_update(st, bufs[i], lens[i]);
  }
  XXH128_hash_t h = XXH3_128bits_digest(st);
  XXH3_freeState(st);
  snprintf(hex_out, HISTORY_REDIS_HID_LEN + 1, "%016" PRIx64 "%016" PRIx64, (uint64_t)h.high64,
           (uint64_t)h.low64);
}

/* ---- value codec ---- */

static void hr_fields_add(history_redis_fields *f, const char *name, const char *value) {
  f->names = lr_xrealloc(f->names, (f->n + 1) * sizeof *f->names);
  f->values = lr_xrealloc(f->values, (f->n + 1) * sizeof *f->values);
  f->names[f->n] = lr_xstrndup(name, strlen(name));
  f->values[f->n] = lr_xstrndup(value, strlen(value));
  f->n++;
}

static void hr_fields_int(history_redis_fields *f, const char *name, int64_t v) {
  char num[HR_NUM_LEN];
  snprintf(num, sizeof num, "%" PRId64, v);
  hr_fields_add(f, name, num);
}

static void hr_fields_dbl(history_redis_fields *f, const char *name, double v) {
  char num[HR_NUM_LEN];
  snprintf(num, sizeof num, "%.17g", v); /* 17 significant digits read back exactly */
  hr_fields_add(f, name, num);
}

void history_redis_fields_free(history_redis_fields *f) {
  for (size_t i = 0; i < f->n; i++) {
    free(f->names[i]);
    free(f->values[i]);
  }
  free(f->names);
  free(f->values);
  memset(f, 0, sizeof *f);
}

void history_redis_encode_meta(const history *h, history_redis_fields *out) {
  const hist_globals *g = history_get_globals(h);
  memset(out, 0, sizeof *out);
  hr_fields_int(out, "format", HISTORY_REDIS_FORMAT);
  hr_fields_int(out, "N", g->N);
  hr_fields_int(out, "W", g->W);
  hr_fields_int(out, "customers", g->customers);
  hr_fields_dbl(out, "wr_g", g->wr_g);
  hr_fields_dbl(out, "A_g", g->A_g);
  hr_fields_dbl(out, "D_g", g->D_g);
  hr_fields_dbl(out, "C_g", g->C_g);
  hr_fields_int(out, "deal_rows", g->deal_rows);
  hr_fields_int(out, "deal_rows_bad", g->deal_rows_bad);
  hr_fields_int(out, "deal_blank_lines", g->deal_blank_lines);
  for (size_t i = 0; i < history_n_bad_reasons(h); i++) {
    const char *reason;
    int64_t count;
    history_bad_reason_at(h, i, &reason, &count);
    size_t len = strlen(reason) + 5;
    char *name = lr_xmalloc(len);
    snprintf(name, len, "bad:%s", reason);
    hr_fields_int(out, name, count);
    free(name);
  }
  hr_fields_int(out, "V", (int64_t)history_n_verticals(h));
}

void history_redis_encode_vertical(const history *h, size_t i, history_redis_fields *out) {
  const char *key;
  const hist_vstats *s;
  history_vertical_at(h, i, &key, &s);
  memset(out, 0, sizeof *out);
  hr_fields_int(out, "n", s->n);
  hr_fields_int(out, "w", s->w);
  hr_fields_int(out, "c", s->c);
  hr_fields_dbl(out, "A", s->A);
  hr_fields_dbl(out, "D", s->D);
  hr_fields_dbl(out, "C", s->C);
}

/* A decimal integer >= 0 that is all of s (no sign, no blanks, no overflow). */
static int hr_parse_count(const char *s, int64_t *out) {
  int64_t v = 0;
  if (*s == '\0') return 0;
  for (; *s != '\0'; s++) {
    if (*s < '0' || *s > '9') return 0;
    int d = *s - '0';
    if (v > (INT64_MAX - d) / 10) return 0;
    v = v * 10 + d;
  }
  *out = v;
  return 1;
}

/* A finite double >= 0 that is all of s. -0 is refused: it would print "-0.00". */
static int hr_parse_stat(const char *s, double *out) {
  if (*s == '\0' || *s == ' ' || (*s >= '\t' && *s <= '\r')) return 0;
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (*end != '\0' || errno == ERANGE || !isfinite(v) || v < 0 || signbit(v)) return 0;
  *out = v;
  return 1;
}

enum { HR_INT, HR_DBL };

typedef struct hr_slot {
  const char *name;
  int kind;       /* HR_INT or HR_DBL */
  int64_t *i;     /* where an HR_INT goes */
  double *d;      /* where an HR_DBL goes */
} hr_slot;

/* Fills the slots from hash h: every field must be a slot, every slot filled once. */
static int hr_fill_slots(const history_redis_hash *h, hr_slot *slots, size_t n_slots,
                         const char *what, char *why, size_t why_len) {
  unsigned seen = 0; /* n_slots <= 32 */
  for (size_t k = 0; k < h->n; k++) {
    size_t j = 0;
    while (j < n_slots && strcmp(slots[j].name, h->names[k]) != 0) j++;
    if (j == n_slots) {
      snprintf(why, why_len, "%s has an unknown field '%s'", what, h->names[k]);
      return 0;
    }
    if (seen & (1u << j)) {
      snprintf(why, why_len, "%s has field '%s' twice", what, h->names[k]);
      return 0;
    }
    seen |= 1u << j;
    int ok = slots[j].kind == HR_INT ? hr_parse_count(h->values[k], slots[j].i)
                                     : hr_parse_stat(h->values[k], slots[j].d);
    if (!ok) {
      snprintf(why, why_len, "%s field '%s' is not a %s: '%.40s'", what, h->names[k],
               slots[j].kind == HR_INT ? "count" : "finite non-negative number", h->values[k]);
      return 0;
    }
  }
  for (size_t j = 0; j < n_slots; j++)
    if (!(seen & (1u << j))) {
      snprintf(why, why_len, "%s has no field '%s'", what, slots[j].name);
      return 0;
    }
  return 1;
}

typedef struct hr_meta {
  hist_globals g;
  int64_t format, V;
  const char **bad_reasons;
  int64_t *bad_counts;
  size_t n_bad;
} hr_meta;

static int hr_decode_meta(const history_redis_hash *meta, hr_meta *m, char *why, size_t why_len) {
  /* bad:<reason> fields are set aside; the fixed fields go through the slots. */
  const char **names = lr_xcalloc(meta->n + 1, sizeof *names);
  const char **values = lr_xcalloc(meta->n + 1, sizeof *values);
  history_redis_hash fixed = { names, values, 0 };
  m->bad_reasons = lr_xcalloc(meta->n + 1, sizeof *m->bad_reasons);
  m->bad_counts = lr_xcalloc(meta->n + 1, sizeof *m->bad_counts);
  int ok = 1;
  int64_t bad_sum = 0;
  for (size_t k = 0; k < meta->n && ok; k++) {
    if (strncmp(meta->names[k], "bad:", 4) != 0) {
      names[fixed.n] = meta->names[k];
      values[fixed.n++] = meta->values[k];
      continue;
    }
    int64_t count;
    if (meta->names[k][4] == '\0' || !hr_parse_count(meta->values[k], &count) ||
        count > INT64_MAX - bad_sum) {
      snprintf(why, why_len, "meta field '%s' is not a count: '%.40s'", meta->names[k],
               meta->values[k]);
      ok = 0;
      break;
    }
    bad_sum += count;
    m->bad_reasons[m->n_bad] = meta->names[k] + 4;
    m->bad_counts[m->n_bad++] = count;
  }
  hist_globals *g = &m->g;
  hr_slot slots[] = {
    { "format", HR_INT, &m->format, NULL },  { "N", HR_INT, &g->N, NULL },
    { "W", HR_INT, &g->W, NULL },            { "customers", HR_INT, &g->customers, NULL },
    { "wr_g", HR_DBL, NULL, &g->wr_g },      { "A_g", HR_DBL, NULL, &g->A_g },
    { "D_g", HR_DBL, NULL, &g->D_g },        { "C_g", HR_DBL, NULL, &g->C_g },
    { "deal_rows", HR_INT, &g->deal_rows, NULL },
    { "deal_rows_bad", HR_INT, &g->deal_rows_bad, NULL },
    { "deal_blank_lines", HR_INT, &g->deal_blank_lines, NULL },
    { "V", HR_INT, &m->V, NULL },
  };
  if (ok) ok = hr_fill_slots(&fixed, slots, sizeof slots / sizeof slots[0], "meta", why, why_len);
  if (ok && m->format != HISTORY_REDIS_FORMAT) {
    snprintf(why, why_len, "meta has format %" PRId64 ", this build reads %d", m->format,
             HISTORY_REDIS_FORMAT);
    ok = 0;
  }
  if (ok && (g->W > g->N || g->wr_g > 1 || g->deal_rows_bad > g->deal_rows ||
             bad_sum != g->deal_rows_bad)) {
    snprintf(why, why_len, "meta is inconsistent (W > N, wr_g > 1, or bad:* counts do not add "
                           "up to deal_rows_bad)");
    ok = 0;
  }
  free(names);
  free(values);
  return ok;
}

static int hr_decode_vertical(const char *key, const history_redis_hash *h, hist_vstats *s,
                              char *why, size_t why_len) {
  size_t len = strlen(key);
  char *canon = lr_xmalloc(len + 1);
  size_t canon_len = values_vertical_key(key, len, canon);
  int is_key = canon_len == len && canon_len > 0 && memcmp(canon, key, len) == 0;
  free(canon);
  if (!is_key) {
    snprintf(why, why_len, "verticals has '%.60s', which is not a vertical key", key);
    return 0;
  }
  char what[96];
  snprintf(what, sizeof what, "vertical '%.60s'", key);
  memset(s, 0, sizeof *s);
  hr_slot slots[] = {
    { "n", HR_INT, &s->n, NULL }, { "w", HR_INT, &s->w, NULL }, { "c", HR_INT, &s->c, NULL },
    { "A", HR_DBL, NULL, &s->A }, { "D", HR_DBL, NULL, &s->D }, { "C", HR_DBL, NULL, &s->C },
  };
  if (h->n == 0) {
    snprintf(why, why_len, "%s has no hash", what);
    return 0;
  }
  if (!hr_fill_slots(h, slots, sizeof slots / sizeof slots[0], what, why, why_len)) return 0;
  if (s->w > s->n || s->c > s->w) {
    snprintf(why, why_len, "%s is inconsistent (w > n or c > w)", what);
    return 0;
  }
  return 1;
}

int history_redis_decode(const history_redis_hash *meta, const char *const *keys,
                         const history_redis_hash *hashes, size_t n_keys, history **out,
                         char *why, size_t why_len) {
  *out = NULL;
  hr_meta m;
  memset(&m, 0, sizeof m);
  hist_vstats *stats = lr_xcalloc(n_keys + 1, sizeof *stats);
  int ok = hr_decode_meta(meta, &m, why, why_len);
  if (ok && (uint64_t)m.V != (uint64_t)n_keys) {
    snprintf(why, why_len, "meta says V=%" PRId64 " but verticals has %zu keys", m.V, n_keys);
    ok = 0;
  }
  for (size_t i = 0; i < n_keys && ok; i++)
    ok = hr_decode_vertical(keys[i], &hashes[i], &stats[i], why, why_len);
  if (ok)
    *out = history_new_from_stats(&m.g, keys, stats, n_keys, m.bad_reasons, m.bad_counts,
                                  m.n_bad);
  free(stats);
  free(m.bad_reasons);
  free(m.bad_counts);
  return ok;
}

/* ---- talking to Redis ---- */

static int hr_fail(history_redis *r, const char *doing, lr_err *err) {
  const char *why = r->c->errstr;
  /* hiredis reports a command timeout as the EAGAIN of the blocked read. */
  if (r->c->err == REDIS_ERR_IO && strcmp(r->c->errstr, strerror(EAGAIN)) == 0)
    return lr_err_set(err, LR_ERR_SERVICE, "redis %s: %s: timed out after %ld ms (--redis-timeout)",
                      r->where, doing, r->timeout_ms);
  if (r->c->err == REDIS_ERR_EOF) why = "the server closed the connection";
  return lr_err_set(err, LR_ERR_SERVICE, "redis %s: %s: %s", r->where, doing, why);
}

static int hr_append(history_redis *r, int argc, const char **argv, const size_t *lens,
                     lr_err *err) {
  if (redisAppendCommandArgv(r->c, argc, argv, lens) != REDIS_OK)
    return hr_fail(r, "cannot queue a command", err);
  r->commands++;
  return LR_OK;
}

/* Reads the n replies of one pipelined batch into replies[] (caller frees each with
 * freeReplyObject; all NULL on failure). The first redisGetReply writes the whole batch. */
static int hr_collect(history_redis *r, redisReply **replies, size_t n, const char *doing,
                      lr_err *err) {
  r->round_trips++;
  for (size_t i = 0; i < n; i++) {
    void *rep = NULL;
    if (redisGetReply(r->c, &rep) != REDIS_OK || rep == NULL) {
      for (size_t k = 0; k < i; k++) freeReplyObject(replies[k]);
      memset(replies, 0, n * sizeof *replies);
      return hr_fail(r, doing, err);
    }
    replies[i] = rep;
  }
  return LR_OK;
}

static void hr_free_replies(redisReply **replies, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (replies[i] != NULL) freeReplyObject(replies[i]);
}

/* "<prefix>hist:<hid>:<suffix>[<tail>]", malloc'ed. */
static char *hr_key(const history_redis *r, const char *hid, const char *suffix,
                    const char *tail) {
  size_t len = strlen(r->prefix) + 6 + strlen(hid) + 1 + strlen(suffix) +
               (tail != NULL ? strlen(tail) : 0) + 1;
  char *k = lr_xmalloc(len);
  snprintf(k, len, "%shist:%s:%s%s", r->prefix, hid, suffix, tail != NULL ? tail : "");
  return k;
}

static char *hr_current_key(const history_redis *r) {
  size_t len = strlen(r->prefix) + sizeof "hist:current";
  char *k = lr_xmalloc(len);
  snprintf(k, len, "%shist:current", r->prefix);
  return k;
}

/* Appends one command of up to 3 fixed words and the strings of list (may be NULL). */
static int hr_append_words(history_redis *r, const char *const *words, size_t n_words,
                           char *const *list, size_t n_list, lr_err *err) {
  size_t argc = n_words + n_list;
  const char **argv = lr_xcalloc(argc, sizeof *argv);
  size_t *lens = lr_xcalloc(argc, sizeof *lens);
  for (size_t i = 0; i < argc; i++) {
    argv[i] = i < n_words ? words[i] : list[i - n_words];
    lens[i] = strlen(argv[i]);
  }
  int rc = hr_append(r, (int)argc, argv, lens, err);
  free(argv);
  free(lens);
  return rc;
}

static int hr_append_hset(history_redis *r, const char *key, const history_redis_fields *f,
                          lr_err *err) {
  size_t argc = 2 + 2 * f->n;
  const char **argv = lr_xcalloc(argc, sizeof *argv);
  size_t *lens = lr_xcalloc(argc, sizeof *lens);
  argv[0] = "HSET";
  argv[1] = key;
  for (size_t i = 0; i < f->n; i++) {
    argv[2 + 2 * i] = f->names[i];
    argv[3 + 2 * i] = f->values[i];
  }
  for (size_t i = 0; i < argc; i++) lens[i] = strlen(argv[i]);
  int rc = hr_append(r, (int)argc, argv, lens, err);
  free(argv);
  free(lens);
  return rc;
}

int history_redis_connect(const redis_url *u, const char *prefix, long timeout_ms,
                          history_redis **out, lr_err *err) {
  history_redis *r = lr_xcalloc(1, sizeof *r);
  *out = r;
  redis_url_describe(u, r->where, sizeof r->where);
  if (prefix == NULL) prefix = HISTORY_REDIS_DEFAULT_PREFIX;
  r->prefix = lr_xstrndup(prefix, strlen(prefix));
  r->timeout_ms = timeout_ms;
  struct timeval tv = { (time_t)(timeout_ms / 1000), (suseconds_t)((timeout_ms % 1000) * 1000) };
  r->c = u->is_unix ? redisConnectUnixWithTimeout(u->path, tv)
                    : redisConnectWithTimeout(u->host, u->port, tv);
  if (r->c == NULL)
    return lr_err_set(err, LR_ERR_SERVICE, "redis %s: cannot allocate a connection", r->where);
  if (r->c->err) {
    if (r->c->err == REDIS_ERR_IO && strcmp(r->c->errstr, strerror(EINPROGRESS)) == 0)
      return lr_err_set(err, LR_ERR_SERVICE, "redis %s: connect timed out after %ld ms", r->where,
                        timeout_ms);
    return lr_err_set(err, LR_ERR_SERVICE, "redis %s: cannot connect: %s", r->where, r->c->errstr);
  }
  if (redisSetTimeout(r->c, tv) != REDIS_OK) return hr_fail(r, "cannot set the timeout", err);
  size_t n = 0;
  char db[16];
  snprintf(db, sizeof db, "%d", u->db);
  if (u->password != NULL) {
    const char *argv[] = { "AUTH", u->password };
    size_t lens[] = { 4, strlen(u->password) };
    if (hr_append(r, 2, argv, lens, err) != LR_OK) return err->code;
    n++;
  }
  if (u->db != 0) {
    const char *argv[] = { "SELECT", db };
    size_t lens[] = { 6, strlen(db) };
    if (hr_append(r, 2, argv, lens, err) != LR_OK) return err->code;
    n++;
  }
  if (n == 0) return LR_OK;
  redisReply *rep[2] = { NULL, NULL };
  if (hr_collect(r, rep, n, "AUTH/SELECT", err) != LR_OK) return err->code;
  int rc = LR_OK;
  if (u->password != NULL && rep[0]->type == REDIS_REPLY_ERROR) {
    /* Only the error code (WRONGPASS, ERR, ...): never echo anything the password might
     * have been spliced into. */
    size_t code_len = strcspn(rep[0]->str, " ");
    rc = lr_err_set(err, LR_ERR_SERVICE, "redis %s: AUTH refused (%.*s): wrong or missing password",
                    r->where, (int)(code_len < 40 ? code_len : 40), rep[0]->str);
  } else if (u->db != 0 && rep[n - 1]->type == REDIS_REPLY_ERROR) {
    rc = lr_err_set(err, LR_ERR_SERVICE, "redis %s: SELECT %d refused: %.200s", r->where, u->db,
                    rep[n - 1]->str);
  }
  hr_free_replies(rep, n);
  return rc;
}

void history_redis_close(history_redis *r) {
  if (r == NULL) return;
  if (r->c != NULL) redisFree(r->c);
  free(r->prefix);
  free(r);
}

const char *history_redis_where(const history_redis *r) { return r->where; }

void history_redis_counts(const history_redis *r, long *commands_out, long *round_trips_out) {
  *commands_out = r->commands;
  *round_trips_out = r->round_trips;
}

/* An error reply that is not about the data (NOAUTH, LOADING, READONLY, ...): a Redis
 * failure. WRONGTYPE is about the data: a key of ours holds the wrong type, which makes
 * the version malformed (a miss), not Redis unusable. */
static int hr_reply_failed(const history_redis *r, const redisReply *rep, const char *doing,
                           lr_err *err) {
  if (rep->type != REDIS_REPLY_ERROR || strncmp(rep->str, "WRONGTYPE", 9) == 0) return LR_OK;
  return lr_err_set(err, LR_ERR_SERVICE, "redis %s: %s: %.300s", r->where, doing, rep->str);
}

static int hr_is_hid(const char *s, size_t len) {
  if (len != HISTORY_REDIS_HID_LEN) return 0;
  for (size_t i = 0; i < len; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
  return 1;
}

int history_redis_get_current(history_redis *r, char hid_out[HISTORY_REDIS_HID_LEN + 1],
                              int *found, int *valid, lr_err *err) {
  char *key = hr_current_key(r);
  const char *words[] = { "GET", key };
  int rc = hr_append_words(r, words, 2, NULL, 0, err);
  free(key);
  redisReply *rep = NULL;
  if (rc == LR_OK) rc = hr_collect(r, &rep, 1, "GET hist:current", err);
  if (rc != LR_OK) return rc;
  if (hr_reply_failed(r, rep, "GET hist:current", err) != LR_OK) {
    hr_free_replies(&rep, 1);
    return err->code;
  }
  *found = rep->type != REDIS_REPLY_NIL;
  *valid = rep->type == REDIS_REPLY_STRING && hr_is_hid(rep->str, rep->len);
  if (*valid) memcpy(hid_out, rep->str, HISTORY_REDIS_HID_LEN + 1);
  hr_free_replies(&rep, 1);
  return LR_OK;
}

/* Copies a reply's string elements into NUL-terminated strings; 0 when the reply is not
 * an array of strings or one holds a NUL byte (no field leadrank writes does). */
static int hr_strings(const redisReply *rep, char ***out, size_t *n_out) {
  *out = NULL;
  *n_out = 0;
  if (rep->type != REDIS_REPLY_ARRAY) return 0;
  char **s = lr_xcalloc(rep->elements + 1, sizeof *s);
  for (size_t i = 0; i < rep->elements; i++) {
    const redisReply *e = rep->element[i];
    if (e->type != REDIS_REPLY_STRING || memchr(e->str, '\0', e->len) != NULL) {
      for (size_t k = 0; k < i; k++) free(s[k]);
      free(s);
      return 0;
    }
    s[i] = lr_xstrndup(e->str, e->len);
  }
  *out = s;
  *n_out = rep->elements;
  return 1;
}

static void hr_strings_free(char **s, size_t n) {
  for (size_t i = 0; s != NULL && i < n; i++) free(s[i]);
  free(s);
}

/* HGETALL's flat name/value list as a history_redis_hash (pointing into flat). */
static int hr_hash_view(char **flat, size_t n_flat, history_redis_hash *h) {
  if (n_flat % 2 != 0) return 0;
  const char **names = lr_xcalloc(n_flat / 2 + 1, sizeof *names);
  const char **values = lr_xcalloc(n_flat / 2 + 1, sizeof *values);
  for (size_t i = 0; i < n_flat / 2; i++) {
    names[i] = flat[2 * i];
    values[i] = flat[2 * i + 1];
  }
  h->names = names;
  h->values = values;
  h->n = n_flat / 2;
  return 1;
}

static void hr_hash_view_free(history_redis_hash *h) {
  free((void *)h->names);
  free((void *)h->values);
}

int history_redis_load(history_redis *r, const char *hid, history **out, int *damaged,
                       char *why, size_t why_len, lr_err *err) {
  *out = NULL;
  *damaged = 0;
  why[0] = '\0';
  char *meta_key = hr_key(r, hid, "meta", NULL);
  char *set_key = hr_key(r, hid, "verticals", NULL);
  const char *w1[] = { "HGETALL", meta_key };
  const char *w2[] = { "SMEMBERS", set_key };
  redisReply *rep[2] = { NULL, NULL };
  int rc = hr_append_words(r, w1, 2, NULL, 0, err);
  if (rc == LR_OK) rc = hr_append_words(r, w2, 2, NULL, 0, err);
  if (rc == LR_OK) rc = hr_collect(r, rep, 2, "reading the history meta", err);
  free(meta_key);
  free(set_key);
  if (rc != LR_OK) return rc;
  for (size_t i = 0; i < 2 && rc == LR_OK; i++) rc = hr_reply_failed(r, rep[i], "reading the history meta", err);
  if (rc != LR_OK) {
    hr_free_replies(rep, 2);
    return rc;
  }

  char **meta_flat = NULL, **keys = NULL;
  size_t n_meta_flat = 0, n_keys = 0;
  redisReply **vrep = NULL;
  char ***vflat = NULL;
  size_t *n_vflat = NULL;
  history_redis_hash meta = { 0 }, *hashes = NULL;
  int ok = hr_strings(rep[0], &meta_flat, &n_meta_flat) && hr_hash_view(meta_flat, n_meta_flat, &meta);
  int set_ok = hr_strings(rep[1], &keys, &n_keys);
  if (ok && set_ok && meta.n == 0 && n_keys == 0) {
    snprintf(why, why_len, "not in the cache");
    goto done; /* absent: a plain miss */
  }
  *damaged = 1;
  if (!ok || !set_ok) {
    snprintf(why, why_len, "meta or verticals is not of the right type");
    goto done;
  }
  if (meta.n == 0) {
    snprintf(why, why_len, "meta is missing");
    goto done;
  }
  if (n_keys > 0) {
    vrep = lr_xcalloc(n_keys, sizeof *vrep);
    for (size_t i = 0; i < n_keys && rc == LR_OK; i++) {
      char *vkey = hr_key(r, hid, "v:", keys[i]);
      const char *w[] = { "HGETALL", vkey };
      rc = hr_append_words(r, w, 2, NULL, 0, err);
      free(vkey);
    }
    if (rc == LR_OK) rc = hr_collect(r, vrep, n_keys, "reading the vertical statistics", err);
    for (size_t i = 0; i < n_keys && rc == LR_OK; i++)
      rc = hr_reply_failed(r, vrep[i], "reading the vertical statistics", err);
    if (rc != LR_OK) goto done;
  }
  vflat = lr_xcalloc(n_keys + 1, sizeof *vflat);
  n_vflat = lr_xcalloc(n_keys + 1, sizeof *n_vflat);
  hashes = lr_xcalloc(n_keys + 1, sizeof *hashes);
  for (size_t i = 0; i < n_keys; i++) {
    if (!hr_strings(vrep[i], &vflat[i], &n_vflat[i]) || !hr_hash_view(vflat[i], n_vflat[i], &hashes[i])) {
      snprintf(why, why_len, "vertical '%.60s' is not a hash of strings", keys[i]);
      goto done;
    }
  }
  if (history_redis_decode(&meta, (const char *const *)keys, hashes, n_keys, out, why, why_len))
    *damaged = 0;

done:
  for (size_t i = 0; hashes != NULL && i < n_keys; i++) hr_hash_view_free(&hashes[i]);
  free(hashes);
  for (size_t i = 0; vflat != NULL && i < n_keys; i++) hr_strings_free(vflat[i], n_vflat[i]);
  free(vflat);
  free(n_vflat);
  if (vrep != NULL) hr_free_replies(vrep, n_keys);
  free(vrep);
  hr_hash_view_free(&meta);
  hr_strings_free(meta_flat, n_meta_flat);
  hr_strings_free(keys, n_keys);
  hr_free_replies(rep, 2);
  return rc;
}

/* Every key of version hid whose vertical keys are keys[0..n): meta, the set, the hashes.
 * Caller frees with hr_strings_free(list, n + 2). */
static char **hr_version_keys(const history_redis *r, const char *hid, char *const *keys,
                              size_t n) {
  char **list = lr_xcalloc(n + 2, sizeof *list);
  list[0] = hr_key(r, hid, "meta", NULL);
  list[1] = hr_key(r, hid, "verticals", NULL);
  for (size_t i = 0; i < n; i++) list[2 + i] = hr_key(r, hid, "v:", keys[i]);
  return list;
}

static int hr_append_expire(history_redis *r, char *const *list, size_t n, long ttl_seconds,
                            lr_err *err) {
  char ttl[32];
  snprintf(ttl, sizeof ttl, "%ld", ttl_seconds);
  for (size_t i = 0; i < n; i++) {
    const char *w[] = { "EXPIRE", list[i], ttl };
    if (hr_append_words(r, w, 3, NULL, 0, err) != LR_OK) return err->code;
  }
  return LR_OK;
}

/* The MULTI … EXEC of one publish attempt, appended (not yet sent). Returns the number of
 * commands appended in *n_out. */
static int hr_append_transaction(history_redis *r, const char *hid, const history *h,
                                 char *const *stale, size_t n_stale, int make_current,
                                 const char *old, char *const *old_keys, size_t n_old,
                                 long ttl_seconds, size_t *n_out, lr_err *err) {
  size_t V = history_n_verticals(h);
  char **vkeys = lr_xcalloc(V + 1, sizeof *vkeys);
  for (size_t i = 0; i < V; i++) {
    const hist_vstats *s;
    const char *key;
    history_vertical_at(h, i, &key, &s);
    vkeys[i] = (char *)key; /* only read: hr_version_keys copies */
  }
  char **mine = hr_version_keys(r, hid, vkeys, V);
  char **stale_full = hr_version_keys(r, hid, stale, n_stale);
  long before = r->commands;
  const char *multi[] = { "MULTI" };
  const char *del[] = { "DEL" };
  int rc = hr_append_words(r, multi, 1, NULL, 0, err);
  /* Replace, not merge: a repaired hash must lose fields it should not have. */
  if (rc == LR_OK) rc = hr_append_words(r, del, 1, mine, V + 2, err);
  if (rc == LR_OK && n_stale > 0) rc = hr_append_words(r, del, 1, stale_full + 2, n_stale, err);
  for (size_t i = 0; i < V && rc == LR_OK; i++) {
    history_redis_fields f;
    history_redis_encode_vertical(h, i, &f);
    rc = hr_append_hset(r, mine[2 + i], &f, err);
    history_redis_fields_free(&f);
  }
  if (rc == LR_OK && V > 0) {
    const char *sadd[] = { "SADD", mine[1] };
    rc = hr_append_words(r, sadd, 2, vkeys, V, err);
  }
  if (rc == LR_OK) {
    history_redis_fields f;
    history_redis_encode_meta(h, &f);
    rc = hr_append_hset(r, mine[0], &f, err); /* meta last: it is what makes the version exist */
    history_redis_fields_free(&f);
  }
  int is_current = old != NULL && strcmp(old, hid) == 0;
  if (rc == LR_OK && make_current) {
    char *cur = hr_current_key(r);
    const char *set[] = { "SET", cur, hid };
    rc = hr_append_words(r, set, 3, NULL, 0, err);
    free(cur);
    if (rc == LR_OK && old != NULL && !is_current) {
      char **old_full = hr_version_keys(r, old, old_keys, n_old);
      rc = hr_append_expire(r, old_full, n_old + 2, ttl_seconds, err);
      hr_strings_free(old_full, n_old + 2);
    }
  } else if (rc == LR_OK && !is_current) {
    /* A version `score` published is a cache entry, not the current one: let it age out
     * like a replaced version rather than pile up night after night. */
    rc = hr_append_expire(r, mine, V + 2, ttl_seconds, err);
  }
  const char *exec[] = { "EXEC" };
  if (rc == LR_OK) rc = hr_append_words(r, exec, 1, NULL, 0, err);
  *n_out = (size_t)(r->commands - before);
  hr_strings_free(mine, V + 2);
  hr_strings_free(stale_full, n_stale + 2);
  free(vkeys);
  return rc;
}

/* Checks the replies of one transaction. LR_OK with *retry 1 when EXEC was refused
 * because hist:current moved (WATCH). */
static int hr_check_transaction(history_redis *r, redisReply **rep, size_t n, int *retry,
                                lr_err *err) {
  *retry = 0;
  const redisReply *exec = rep[n - 1];
  if (exec->type == REDIS_REPLY_NIL) {
    *retry = 1;
    return LR_OK;
  }
  /* A queued command refused (e.g. OOM under maxmemory) aborts EXEC: report that one. */
  for (size_t i = 0; i < n; i++)
    if (rep[i]->type == REDIS_REPLY_ERROR)
      return lr_err_set(err, LR_ERR_SERVICE, "redis %s: publishing the history failed: %.300s",
                        r->where, rep[i]->str);
  if (exec->type != REDIS_REPLY_ARRAY)
    return lr_err_set(err, LR_ERR_SERVICE, "redis %s: publishing the history failed: EXEC gave no results", r->where);
  for (size_t i = 0; i < exec->elements; i++)
    if (exec->element[i]->type == REDIS_REPLY_ERROR)
      return lr_err_set(err, LR_ERR_SERVICE, "redis %s: publishing the history failed: %.300s",
                        r->where, exec->element[i]->str);
  return LR_OK;
}

/* SMEMBERS of a version's set as strings (an unreadable set counts as empty: its keys
 * simply are not expired or deleted). */
static int hr_read_members(history_redis *r, const char *hid, char ***out, size_t *n_out,
                           lr_err *err) {
  char *set_key = hr_key(r, hid, "verticals", NULL);
  const char *w[] = { "SMEMBERS", set_key };
  redisReply *rep = NULL;
  int rc = hr_append_words(r, w, 2, NULL, 0, err);
  free(set_key);
  if (rc == LR_OK) rc = hr_collect(r, &rep, 1, "reading a version's verticals", err);
  if (rc != LR_OK) return rc;
  if (hr_reply_failed(r, rep, "reading a version's verticals", err) != LR_OK) {
    hr_free_replies(&rep, 1);
    return err->code;
  }
  if (!hr_strings(rep, out, n_out)) {
    *out = NULL;
    *n_out = 0;
  }
  hr_free_replies(&rep, 1);
  return LR_OK;
}

int history_redis_publish(history_redis *r, const char *hid, const history *h,
                          int make_current, long ttl_seconds, lr_err *err) {
  char *cur_key = hr_current_key(r);
  char *set_key = hr_key(r, hid, "verticals", NULL);
  int rc = LR_OK;
  int retry = 1;
  for (int attempt = 0; attempt < HR_PUBLISH_ATTEMPTS && retry && rc == LR_OK; attempt++) {
    /* 1: WATCH current (EXEC fails if anyone moves it), read it and this version's set. */
    const char *watch[] = { "WATCH", cur_key };
    const char *get[] = { "GET", cur_key };
    const char *members[] = { "SMEMBERS", set_key };
    redisReply *rep[3] = { NULL, NULL, NULL };
    rc = hr_append_words(r, watch, 2, NULL, 0, err);
    if (rc == LR_OK) rc = hr_append_words(r, get, 2, NULL, 0, err);
    if (rc == LR_OK) rc = hr_append_words(r, members, 2, NULL, 0, err);
    if (rc == LR_OK) rc = hr_collect(r, rep, 3, "publishing the history", err);
    if (rc != LR_OK) break;
    char old[HISTORY_REDIS_HID_LEN + 1];
    int has_old = rep[1]->type == REDIS_REPLY_STRING && hr_is_hid(rep[1]->str, rep[1]->len);
    if (has_old) memcpy(old, rep[1]->str, sizeof old);
    char **stale = NULL;
    size_t n_stale = 0;
    for (size_t i = 0; i < 3 && rc == LR_OK; i++)
      rc = hr_reply_failed(r, rep[i], "publishing the history", err);
    if (rc == LR_OK && rep[0]->type == REDIS_REPLY_ERROR)
      rc = lr_err_set(err, LR_ERR_SERVICE, "redis %s: WATCH failed: %.200s", r->where, rep[0]->str);
    /* A set of the wrong type has no members to clean up: the DEL replaces it anyway. */
    if (rc == LR_OK && !hr_strings(rep[2], &stale, &n_stale)) {
      stale = NULL;
      n_stale = 0;
    }
    hr_free_replies(rep, 3);
    /* 2 (build only): the keys of the version being replaced, to put a TTL on them. */
    char **old_keys = NULL;
    size_t n_old = 0;
    if (rc == LR_OK && make_current && has_old && strcmp(old, hid) != 0)
      rc = hr_read_members(r, old, &old_keys, &n_old, err);
    /* 3: the transaction. */
    size_t n = 0;
    if (rc == LR_OK)
      rc = hr_append_transaction(r, hid, h, stale, n_stale, make_current, has_old ? old : NULL,
                                 old_keys, n_old, ttl_seconds, &n, err);
    redisReply **trep = n > 0 ? lr_xcalloc(n, sizeof *trep) : NULL;
    if (rc == LR_OK) rc = hr_collect(r, trep, n, "publishing the history", err);
    if (rc == LR_OK) rc = hr_check_transaction(r, trep, n, &retry, err);
    if (trep != NULL) hr_free_replies(trep, n);
    free(trep);
    hr_strings_free(stale, n_stale);
    hr_strings_free(old_keys, n_old);
  }
  if (rc == LR_OK && retry)
    rc = lr_err_set(err, LR_ERR_SERVICE,
                    "redis %s: hist:current kept changing while publishing (%d attempts)", r->where,
                    HR_PUBLISH_ATTEMPTS);
  free(cur_key);
  free(set_key);
  return rc;
}
