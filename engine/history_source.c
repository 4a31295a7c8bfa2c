/* history_source.c — chooses between the in-process aggregation of the deals files and the
 * Redis cache, per the options, and applies SPEC §3's fallback rules (see
 * history_source.h for the table). Owns those rules; the Redis protocol is
 * history_redis.c's, the aggregation history_load.c's. */
#include "history_source.h"

#include <stdio.h>
#include <stdlib.h>

#include "history_load.h"
#include "history_redis.h"
#include "ingest.h"
#include "redis_url.h"

#define HS_PASSWORD_ENV "LEADRANK_REDIS_PASSWORD"
#define HS_SECONDS_PER_DAY 86400L

/* The deals files as stored, read once. */
typedef struct hs_raw {
  const char *const *names;
  unsigned char **bytes;
  size_t *lens;
  size_t n;
} hs_raw;

static int hs_raw_read(const char *const *paths, size_t n, hs_raw *raw, lr_err *err) {
  raw->names = paths;
  raw->n = n;
  raw->bytes = lr_xcalloc(n, sizeof *raw->bytes);
  raw->lens = lr_xcalloc(n, sizeof *raw->lens);
  for (size_t i = 0; i < n; i++) {
    int rc = ingest_read_raw(paths[i], &raw->bytes[i], &raw->lens[i], err);
    if (rc != LR_OK) return rc;
  }
  return LR_OK;
}

static void hs_raw_release(hs_raw *raw) {
  for (size_t i = 0; raw->bytes != NULL && i < raw->n; i++) free(raw->bytes[i]);
  free(raw->bytes);
  free(raw->lens);
}

static int hs_raw_aggregate(const schema *s, const hs_raw *raw, history **out, lr_err *err) {
  return history_load_raw(s, raw->names, (const unsigned char *const *)raw->bytes, raw->lens,
                          raw->n, out, err);
}

static void hs_raw_hid(const hs_raw *raw, char hid[HISTORY_REDIS_HID_LEN + 1]) {
  history_redis_hid((const unsigned char *const *)raw->bytes, raw->lens, raw->n, hid);
}

static int hs_connect(const cli_opts *o, history_redis **r, lr_err *err) {
  redis_url u;
  *r = NULL;
  int rc = redis_url_parse(o->redis_url, getenv(HS_PASSWORD_ENV), &u, err);
  if (rc != LR_OK) return rc;
  rc = history_redis_connect(&u, o->redis_prefix, o->redis_timeout_ms, r, err);
  redis_url_release(&u);
  return rc;
}

static void hs_report(const cli_opts *o, const history_redis *r, const char *what) {
  if (!o->verbose || r == NULL) return;
  long commands, round_trips;
  history_redis_counts(r, &commands, &round_trips);
  fprintf(stderr, "leadrank: redis %s: %s: %ld commands in %ld round trips\n",
          history_redis_where(r), what, commands, round_trips);
}

/* --redis alone: the version hist:current names, or LR_ERR_SERVICE. */
static int hs_load_current(history_redis *r, history_choice *out, lr_err *err) {
  char hid[HISTORY_REDIS_HID_LEN + 1];
  int found, valid, damaged;
  char why[512];
  int rc = history_redis_get_current(r, hid, &found, &valid, err);
  if (rc != LR_OK) return rc;
  if (!found)
    return lr_err_set(err, LR_ERR_SERVICE,
                      "redis %s: no current purchase history (hist:current is not set): run "
                      "`leadrank history build DEALS... --redis URL` first, or give --history DEALS",
                      history_redis_where(r));
  if (!valid)
    return lr_err_set(err, LR_ERR_SERVICE, "redis %s: hist:current does not hold a history id",
                      history_redis_where(r));
  rc = history_redis_load(r, hid, &out->history, &damaged, why, sizeof why, err);
  if (rc != LR_OK) return rc;
  if (out->history == NULL)
    return lr_err_set(err, LR_ERR_SERVICE,
                      "redis %s: the current purchase history %s is unusable (%s): rebuild it "
                      "with `leadrank history build`, or give --history DEALS",
                      history_redis_where(r), hid, why);
  out->source = "redis";
  out->cache = "hit";
  return LR_OK;
}

/* --history and --redis: hit, or aggregate and publish. A Redis failure returns
 * LR_ERR_SERVICE with out->history possibly already aggregated (the caller falls back
 * to it); an unreadable deals file is its own error. */
static int hs_load_or_publish(const cli_opts *o, const schema *s, history_redis *r,
                              const hs_raw *raw, history_choice *out, lr_err *err) {
  char hid[HISTORY_REDIS_HID_LEN + 1];
  char why[512];
  int damaged;
  hs_raw_hid(raw, hid);
  int rc = history_redis_load(r, hid, &out->history, &damaged, why, sizeof why, err);
  if (rc != LR_OK) return rc;
  if (out->history != NULL) {
    out->source = "redis";
    out->cache = "hit";
    return LR_OK;
  }
  if (damaged)
    fprintf(stderr,
            "leadrank: warning: redis %s: cached purchase history %s is malformed (%s); "
            "recomputing it from the deals files and repairing the cache\n",
            history_redis_where(r), hid, why);
  rc = hs_raw_aggregate(s, raw, &out->history, err);
  if (rc != LR_OK) return rc;
  out->source = "file";
  rc = history_redis_publish(r, hid, out->history, 0, o->ttl_days * HS_SECONDS_PER_DAY, err);
  if (rc != LR_OK) return rc;
  out->cache = "published";
  return LR_OK;
}

int history_source_open(const cli_opts *o, const schema *s, history_choice *out, lr_err *err) {
  out->history = NULL;
  out->source = "file";
  out->cache = "local";
  hs_raw raw = { 0 };
  int rc = hs_raw_read(o->history, o->n_history, &raw, err);
  if (rc == LR_OK && o->redis_url == NULL) rc = hs_raw_aggregate(s, &raw, &out->history, err);
  if (rc != LR_OK || o->redis_url == NULL) {
    hs_raw_release(&raw);
    return rc;
  }
  history_redis *r = NULL;
  rc = hs_connect(o, &r, err);
  if (rc == LR_OK)
    rc = o->n_history == 0 ? hs_load_current(r, out, err) : hs_load_or_publish(o, s, r, &raw, out, err);
  hs_report(o, r, "history");
  history_redis_close(r);
  if (rc == LR_ERR_SERVICE && o->n_history > 0 && !o->redis_required) {
    fprintf(stderr, "leadrank: warning: %s; using the deals files without the cache\n", err->msg);
    lr_err_clear(err);
    rc = out->history != NULL ? LR_OK : hs_raw_aggregate(s, &raw, &out->history, err);
    out->source = "file";
    out->cache = "fallback";
  }
  if (rc != LR_OK) {
    history_free(out->history);
    out->history = NULL;
  }
  hs_raw_release(&raw);
  return rc;
}

int history_source_build(const cli_opts *o, const schema *s,
                         char hid_out[HISTORY_REDIS_HID_LEN + 1], size_t *n_verticals_out,
                         lr_err *err) {
  hs_raw raw = { 0 };
  history *h = NULL;
  history_redis *r = NULL;
  /* Connect first: a build is only useful once published, so fail fast if Redis is away. */
  int rc = hs_connect(o, &r, err);
  if (rc == LR_OK) rc = hs_raw_read(o->inputs, o->n_inputs, &raw, err);
  if (rc == LR_OK) rc = hs_raw_aggregate(s, &raw, &h, err);
  if (rc == LR_OK) {
    hs_raw_hid(&raw, hid_out);
    rc = history_redis_publish(r, hid_out, h, 1, o->ttl_days * HS_SECONDS_PER_DAY, err);
  }
  if (rc == LR_OK) *n_verticals_out = history_n_verticals(h);
  hs_report(o, r, "history build");
  history_redis_close(r);
  history_free(h);
  hs_raw_release(&raw);
  return rc;
}
