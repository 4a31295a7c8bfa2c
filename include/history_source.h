/* history_source.h — where `score` and `history show` get their purchase history from, and
 * what `history build` publishes (SPEC §3):
 *   --history DEALS only         aggregate the files in process          file / local
 *   --redis URL only             the version hist:current names          redis / hit
 *                                (missing, dangling or bad: LR_ERR_SERVICE, exit 3)
 *   --history DEALS --redis URL  the cached version of those files        redis / hit
 *                                else aggregate and publish it (a broken
 *                                version is repaired, with a warning)      file / published
 *                                any Redis failure: warning, aggregate     file / fallback
 *                                (--redis-required: LR_ERR_SERVICE instead)
 * history.source / history.cache in summary.json come from here. The deals files are read
 * once, as stored: their raw bytes give the hid (history_redis.h) and, on a miss, the
 * aggregation. Called once per run, before any parallel region (hiredis contexts are not
 * thread-safe). Warnings go to stderr and never contain the Redis password.
 */
#ifndef LR_HISTORY_SOURCE_H
#define LR_HISTORY_SOURCE_H

#include <stddef.h>

#include "cli.h"
#include "history.h"
#include "history_redis.h"
#include "lr_err.h"
#include "schema.h"

typedef struct history_choice {
  history *history;      /* caller frees with history_free */
  const char *source;    /* "file" or "redis" */
  const char *cache;     /* "hit", "published", "local" or "fallback" */
} history_choice;

/* Resolves the history the options ask for. LR_ERR_SERVICE (exit 3) when a required
 * Redis failed; LR_ERR_INPUT for unreadable deals files; LR_ERR_USAGE for a bad URL. */
int history_source_open(const cli_opts *o, const schema *deals_schema, history_choice *out,
                        lr_err *err) LR_MUST_CHECK;

/* `history build`: aggregates the DEALS files o->inputs, publishes the version and moves
 * hist:current to it (the replaced version gets --ttl). hid_out gets its hid,
 * *n_verticals_out its vertical count. Any Redis failure is LR_ERR_SERVICE. */
int history_source_build(const cli_opts *o, const schema *deals_schema,
                         char hid_out[HISTORY_REDIS_HID_LEN + 1], size_t *n_verticals_out,
                         lr_err *err) LR_MUST_CHECK;

#endif
