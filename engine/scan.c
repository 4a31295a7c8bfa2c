/* scan.c — INPUT files to lead table rows: ingest, frame, header mapping, then the
 * parallel split / validate / score of every record. See scan.h for the contract. */
#include "scan.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csvw.h"
#include "ingest.h"
#include "lr_clock.h"
#include "par.h"
#include "validate.h"
#include "values.h"

/* Per-thread scratch: the libcsv parser, typed values and key buffers. */
typedef struct scan_worker {
  csvparse *parser;
  lr_value *vals;
  lr_buf key;
} scan_worker;

/* The header from its first non-blank frame record: rejected, non-UTF-8 and unsplittable
 * headers are file errors (A8). Fields are owned by p. */
static int scan_header_record(const char *data, const frame_rec *rec, csvparse *p,
                              const char *source, const lr_field **names_out, size_t *n_out,
                              lr_err *err) {
  if (rec->kind == FRAME_END)
    return lr_err_set(err, LR_ERR_INPUT, "%s: empty input, no header row", source);
  if (rec->kind == FRAME_REJECT)
    return lr_err_set(err, LR_ERR_INPUT, "%s:%llu:1: header unreadable (%s)", source,
                      (unsigned long long)rec->line, lr_reason_name(rec->reason));
  const char *text = data + rec->offset;
  if (!values_utf8_valid(text, rec->len))
    return lr_err_set(err, LR_ERR_INPUT, "%s:%llu:1: header is not valid UTF-8", source,
                      (unsigned long long)rec->line);
  if (csvparse_record(p, text, rec->len, names_out, n_out) != LR_OK)
    return lr_err_set(err, LR_ERR_INPUT, "%s:%llu:1: header cannot be parsed", source,
                      (unsigned long long)rec->line);
  return LR_OK;
}

int scan_read_header(frame *f, csvparse *p, const char *source, const lr_field **names_out,
                     size_t *n_out, uint64_t *blank_lines_out, lr_err *err) {
  frame_rec rec;
  uint64_t blanks = 0;
  while (frame_next(f, -1, &rec) == FRAME_BLANK) blanks++;
  *blank_lines_out = blanks;
  return scan_header_record(f->data, &rec, p, source, names_out, n_out, err);
}

/* A41: what column j maps to, as a comparable pair (field index, or -1 and the name). */
static int scan_columns_match(const scan_header *first, const schema_map *m,
                              const lr_field *names) {
  for (size_t j = 0; j < m->n_cols; j++) {
    if (first->map.col_field[j] != m->col_field[j]) return 0;
    if (m->col_field[j] >= 0) continue;
    const char *a = first->names[j], *b = names[j].ptr;
    size_t alen = strlen(a), blen = names[j].len;
    values_trim(&a, &alen);
    values_trim(&b, &blen);
    if (alen != blen) return 0;
    for (size_t k = 0; k < alen; k++) {
      unsigned char x = (unsigned char)a[k], y = (unsigned char)b[k];
      if (x >= 'A' && x <= 'Z') x = (unsigned char)(x + 32);
      if (y >= 'A' && y <= 'Z') y = (unsigned char)(y + 32);
      if (x != y) return 0;
    }
  }
  return 1;
}

/* SPEC §5 / A33: the dedupe key of an accepted, scored row into w->key, or 0 when the
 * row has none. Layout: 'e' + normalised email, or 'd' + lower(domain) + NUL + lower(name). */
static int scan_dedupe_key(const score_plan *plan, const lr_value *vals, int email_ok,
                           scan_worker *w) {
  if (email_ok) { /* score_row_email left 'e' + the normalised email in w->key */
    w->key.len = vals[plan->field[SCORE_EMAIL]].str_len + 1;
    return 1;
  }
  w->key.len = 0;
  const lr_value *domain = plan->field[SCORE_DOMAIN] >= 0 ? &vals[plan->field[SCORE_DOMAIN]] : NULL;
  if (domain == NULL || !domain->present) return 0;
  const lr_value *name = plan->field[SCORE_CONTACT_NAME] >= 0 ? &vals[plan->field[SCORE_CONTACT_NAME]] : NULL;
  const lr_value *first = plan->field[SCORE_FIRST_NAME] >= 0 ? &vals[plan->field[SCORE_FIRST_NAME]] : NULL;
  const lr_value *last = plan->field[SCORE_LAST_NAME] >= 0 ? &vals[plan->field[SCORE_LAST_NAME]] : NULL;
  int has_name = name != NULL && name->present;
  int has_split = first != NULL && first->present && last != NULL && last->present;
  if (!has_name && !has_split) return 0;
  size_t name_len = has_name ? name->str_len : first->str_len + 1 + last->str_len;
  lr_buf_reserve(&w->key, 2 + domain->str_len + name_len);
  char *k = w->key.data;
  k[0] = 'd';
  values_ascii_lower(domain->str, domain->str_len, k + 1);
  k[1 + domain->str_len] = '\0';
  char *n = k + 2 + domain->str_len;
  if (has_name) {
    values_ascii_lower(name->str, name->str_len, n);
  } else {
    values_ascii_lower(first->str, first->str_len, n);
    n[first->str_len] = ' ';
    values_ascii_lower(last->str, last->str_len, n + first->str_len + 1);
  }
  w->key.len = 2 + domain->str_len + name_len;
  return 1;
}

/* Scores w->vals into *full; the email's normalisation serves both the score (A27) and
 * the dedupe key (A33): it is left as 'e' + the email in w->key. Returns 1 when the email
 * is present and valid. */
static int scan_score(const scan_config *cfg, scan_worker *w, score_result *full) {
  const long email_field = cfg->plan->field[SCORE_EMAIL];
  lr_buf_reserve(&w->key, (email_field >= 0 ? w->vals[email_field].str_len : 0) + 1);
  w->key.data[0] = 'e';
  return score_row_email(cfg->plan, cfg->model, cfg->history, cfg->as_of, w->vals, full, w->key.data + 1);
}

/* Splits and validates one record into w->vals: LR_REASON_NONE, or the reject reason with
 * *bad_field. Sets *verbatim for output (scan only). */
static int scan_split_validate(const scan_config *cfg, const schema_map *map, const char *text,
                               size_t len, int has_quote, scan_worker *w, int *verbatim,
                               long *bad_field) {
  const lr_field *fields;
  size_t n;
  if (has_quote) {
    /* simply quoted records (most quoted ones) skip libcsv; the rest go through it */
    if (!csvparse_quoted(w->parser, text, len, &fields, &n, verbatim)) {
      if (csvparse_record(w->parser, text, len, &fields, &n) != LR_OK) n = 0;
      else *verbatim = csvw_fields_equal_raw(fields, n, text, len);
    }
  } else {
    csvparse_plain(w->parser, text, len, &fields, &n, verbatim);
  }
  /* The framer counted the same fields; a mismatch would be a framer/libcsv
   * disagreement, which must still be a visible reject, not a silent loss. */
  if (n != map->n_cols) return LR_REASON_WRONG_FIELD_COUNT;
  return validate_record(cfg->schema, map, fields, n, w->vals, bad_field);
}

/* ---- scan_keys in a batch: a bounded run's accepted rows keep their key bytes until the
 * batch is handed over, each as a 32-bit length (SCAN_KEY_ABSENT: no value) and the
 * bytes; per row the unique values in slot order, then (score) the dedupe key and the
 * lead_id. */

#define SCAN_KEY_ABSENT UINT32_MAX

static void scan_keys_put(lr_buf *b, const char *s, size_t len) {
  uint32_t n = s != NULL ? (uint32_t)len : SCAN_KEY_ABSENT;
  lr_buf_put(b, (const char *)&n, sizeof n);
  if (s != NULL) lr_buf_put(b, s, len);
}

/* Reads one key at *pos into *out; returns 1 when present. */
static int scan_keys_get(const lr_buf *b, size_t *pos, lr_field *out) {
  uint32_t n;
  memcpy(&n, b->data + *pos, sizeof n);
  *pos += sizeof n;
  if (n == SCAN_KEY_ABSENT) {
    *out = (lr_field){ "", 0 };
    return 0;
  }
  *out = (lr_field){ b->data + *pos, n };
  *pos += n;
  return 1;
}

/* Fills one row from its frame record. Runs on many threads: writes only row `ri` and
 * the worker's own scratch. */
static void scan_record(table *t, const scan_config *cfg, const schema_map *map,
                        const char *data, uint32_t input, const frame_rec *rec, size_t ri,
                        scan_worker *w, lr_buf *keys) {
  table_row *row = table_row_at(t, ri);
  const char *text = data + rec->offset;
  row->input = input;
  row->line = rec->line;
  row->offset = rec->offset;
  row->len = (uint32_t)rec->len;
  row->reason_field = -1;
  row->status = ROW_REJECTED;
  if (rec->kind == FRAME_REJECT) {
    row->reason = (unsigned char)rec->reason;
    return;
  }
  if (!values_utf8_valid(text, rec->len)) {
    row->reason = LR_REASON_INVALID_UTF8;
    return;
  }
  int verbatim = 0;
  long bad_field = -1;
  int reason = scan_split_validate(cfg, map, text, rec->len, rec->has_quote, w, &verbatim, &bad_field);
  row->verbatim = (unsigned char)verbatim;
  if (reason != LR_REASON_NONE) {
    row->reason = (unsigned char)reason;
    row->reason_field = (int16_t)bad_field;
    return;
  }
  row->status = ROW_ACCEPTED;
  for (size_t u = 0; u < cfg->n_unique; u++) {
    const lr_value *v = &w->vals[cfg->unique_fields[u]];
    if (v->present) *table_unique_at(t, ri, u) = table_hash(v->str, v->str_len);
    if (keys != NULL) scan_keys_put(keys, v->present ? v->str : NULL, v->str_len);
  }
  if (cfg->plan == NULL) return;
  const lr_value *id = &w->vals[cfg->plan->field[SCORE_LEAD_ID]];
  /* absent (a --schema may leave lead_id optional): str is NULL, the prefix stays empty */
  if (id->present) memcpy(row->id_prefix, id->str, id->str_len < TABLE_ID_PREFIX ? id->str_len : TABLE_ID_PREFIX);
  row->id_long = id->str_len > TABLE_ID_PREFIX;
  row->created = w->vals[cfg->plan->field[SCORE_CREATED_AT]].date;
  score_result full;
  int email_ok = scan_score(cfg, w, &full);
  row->score = (table_score){ full.fit, full.risk, full.priority, full.segment, full.disqualify,
                              full.tier, full.n_reasons, { full.reasons[0], full.reasons[1], full.reasons[2] } };
  int has_key = scan_dedupe_key(cfg->plan, w->vals, email_ok, w);
  if (has_key) row->dedupe_hash = table_hash(w->key.data, w->key.len);
  if (keys != NULL) {
    scan_keys_put(keys, has_key ? w->key.data : "", has_key ? w->key.len : 0);
    scan_keys_put(keys, id->present ? id->str : "", id->present ? id->str_len : 0);
  }
}

/* ---- streaming: one thread inflates, the others frame and parse behind it ----------
 *
 * Thread 0 inflates (ingest_stream_step) and publishes how much of the text is final.
 * Every thread (thread 0 whenever it may not inflate) loops over units of work: hand
 * over parsed batches (bounded runs), parse a framed batch, or — if nobody is framing —
 * become the framer and frame the next batch. Framing is sequential and owns the frame
 * state and table_grow; batches get their rows in order, so the table is the same for
 * any thread count. A frame decision is final only when every byte the framer could have
 * looked at is published: a record scan reaches at most max_record_bytes + 1 bytes past
 * its start, and a record's terminator needs the byte after it (CRLF); a decision that
 * touched unpublished bytes is undone and taken again when more text is there.
 *
 * Bounded runs keep the framed batches in input order (inflight) until they are parsed
 * and handed to the sink, which one thread at a time does; then the rows' chunks and text
 * are given back, and thread 0 inflates only while less than text_window bytes are held.
 * The window exceeds the framer's look-ahead (max_record_bytes + 2) and a batch, so the
 * framer always gets the text it waits for once the batches before it are handed over. */

#define SCAN_BATCH_RECORDS 32768
#define SCAN_BATCH_BYTES ((size_t)8 << 20)
#define SCAN_INFLATE_STEP ((size_t)4 << 20)
/* Batches framed ahead while cfg->prepare runs: a slow history (a Redis timeout) must not
 * let the framer queue the whole input's records (5M rows: +195 MiB peak RSS). */
#define SCAN_UNPREPARED_AHEAD 2

typedef struct scan_batch {
  frame_rec *recs;   /* freed once parsed */
  size_t n;
  size_t first_row;
  size_t end_offset; /* after the last record's text */
  lr_buf keys;       /* bounded runs: the accepted rows' keys (scan_keys_put) */
  int done;          /* bounded runs: parsed, waiting to be handed over */
} scan_batch;

/* A FIFO of batches: [head, head + len). */
typedef struct scan_fifo {
  scan_batch **items;
  size_t head, len, cap;
} scan_fifo;

static void scan_fifo_push(scan_fifo *q, scan_batch *b) {
  if (q->head + q->len == q->cap) {
    if (q->head > 0) { /* slide the live part down before growing */
      memmove(q->items, q->items + q->head, q->len * sizeof *q->items);
      q->head = 0;
    } else {
      q->cap = q->cap ? 2 * q->cap : 16;
      q->items = lr_xrealloc(q->items, q->cap * sizeof *q->items);
    }
  }
  q->items[q->head + q->len++] = b;
}

static scan_batch *scan_fifo_pop(scan_fifo *q) {
  q->len--;
  return q->items[q->head++];
}

static void scan_batch_free(scan_batch *b) {
  free(b->recs);
  lr_buf_release(&b->keys);
  free(b);
}

enum { SCAN_INGESTING, SCAN_INGESTED, SCAN_INGEST_FAILED };

typedef struct scan_stream {
  table *t;
  const scan_config *cfg;
  scan_header *hdr;
  uint32_t input;
  const char *source;
  ingest_stream *in;
  const char *data;             /* the text; bytes below `available` are final */
  _Atomic size_t available;
  _Atomic int ingest_state;     /* SCAN_INGESTING, then _INGESTED or _INGEST_FAILED */
  _Atomic size_t released;      /* bounded: text below this was given back */
  _Atomic int prepared;         /* 0 while cfg->prepare runs: batches wait to be parsed */
  _Atomic int halted;           /* set with `failed`: the inflating thread stops too */
  int bounded;
  size_t window;                /* text held at most (inflated, not given back) */
  par_lock lock;                /* guards the FIFOs, the flags and err */
  scan_fifo queue;              /* framed, waiting for a parser */
  scan_fifo inflight;           /* bounded: every framed batch until handed over */
  int framer_busy, frame_done, retire_busy, failed;
  lr_err err;                   /* the first error */
  /* framer only (whoever holds framer_busy) */
  frame f;
  int started, header_done;
  uint64_t blanks;
} scan_stream;

enum { SCAN_NEXT_OK, SCAN_NEXT_WAIT, SCAN_NEXT_FAILED };

/* Next final frame record into *rec. Returns SCAN_NEXT_WAIT instead of waiting for text
 * when the batch already has records (they go to work first) or when the caller may not
 * wait (the inflating thread: the text comes from itself). */
static int scan_next_final(scan_stream *st, long ncols, int may_wait, frame_rec *rec) {
  size_t margin = st->cfg->max_record_bytes + 2;
  for (;;) {
    int state = atomic_load_explicit(&st->ingest_state, memory_order_acquire);
    if (state == SCAN_INGEST_FAILED) return SCAN_NEXT_FAILED;
    size_t avail = atomic_load_explicit(&st->available, memory_order_acquire);
    int done = state == SCAN_INGESTED;
    if (!st->started && (done || avail >= 3)) { /* the BOM check reads 3 bytes */
      frame_init(&st->f, st->data, avail, st->cfg->max_record_bytes);
      st->started = 1;
    }
    if (st->started) {
      st->f.len = avail;
      if (done) {
        frame_next(&st->f, ncols, rec);
        return SCAN_NEXT_OK;
      }
      if (st->f.pos + margin <= avail) {
        frame saved = st->f;
        frame_next(&st->f, ncols, rec);
        if (rec->offset + rec->len + 2 <= avail) return SCAN_NEXT_OK;
        st->f = saved; /* looked at unpublished bytes (a long blank line): not final */
      }
    }
    if (!may_wait) return SCAN_NEXT_WAIT;
    par_pause();
  }
}

/* Reads and maps the input's header (the framer, once per input): LR_OK, LR_ERR_INPUT
 * (st->err set, or the ingest failed), or -1 when the text is not there yet and the
 * caller may not wait (blank lines read so far stay counted). */
static int scan_stream_header(scan_stream *st, scan_worker *w, int may_wait) {
  frame_rec rec;
  int got;
  while ((got = scan_next_final(st, -1, may_wait, &rec)) == SCAN_NEXT_OK && rec.kind == FRAME_BLANK) st->blanks++;
  if (got == SCAN_NEXT_WAIT) return -1;
  if (got != SCAN_NEXT_OK) return LR_ERR_INPUT;
  const lr_field *names;
  size_t n_names;
  lr_err *err = &st->err;
  int rc = scan_header_record(st->data, &rec, w->parser, st->source, &names, &n_names, err);
  if (rc != LR_OK) return rc;
  schema_map map;
  rc = schema_map_header(st->cfg->schema, st->source, names, n_names, st->cfg->dup_policy,
                         st->cfg->must_have, &map, err);
  if (rc != LR_OK) return rc;
  scan_header *hdr = st->hdr;
  if (st->input == 0) {
    hdr->n_cols = n_names;
    hdr->names = lr_xcalloc(n_names, sizeof *hdr->names);
    for (size_t j = 0; j < n_names; j++) hdr->names[j] = lr_xstrndup(names[j].ptr, names[j].len);
    hdr->map = map;
    return LR_OK;
  }
  int same = map.n_cols == hdr->n_cols && scan_columns_match(hdr, &map, names);
  size_t n_cols = map.n_cols;
  schema_map_release(&map);
  if (!same)
    return lr_err_set(err, LR_ERR_INPUT,
                      "%s: columns do not map like those of %s (the first input): %zu "
                      "columns vs %zu, or a column maps to a different field",
                      st->source, st->t->inputs[0].source, n_cols, hdr->n_cols);
  return LR_OK;
}

enum { SCAN_FRAME_ERROR = -1, SCAN_FRAME_END = 0, SCAN_FRAME_BATCH = 1, SCAN_FRAME_LATER = 2 };

/* Frames the next batch (the framer only): SCAN_FRAME_BATCH (*out), _END (the input is
 * done), _LATER (no text yet and the caller may not wait) or _ERROR (st->err set, or the
 * ingest failed). */
static int scan_frame_batch(scan_stream *st, scan_worker *w, int may_wait, scan_batch **out) {
  if (!st->header_done) {
    int rc = scan_stream_header(st, w, may_wait);
    if (rc == -1) return SCAN_FRAME_LATER;
    if (rc != LR_OK) return SCAN_FRAME_ERROR;
    st->header_done = 1;
  }
  long ncols = (long)st->hdr->n_cols;
  size_t cap = 1024, bytes = 0;
  scan_batch *b = lr_xcalloc(1, sizeof *b);
  b->recs = lr_xmalloc(cap * sizeof *b->recs);
  frame_rec rec;
  int got = SCAN_NEXT_OK;
  while (b->n < SCAN_BATCH_RECORDS && bytes < SCAN_BATCH_BYTES) {
    got = scan_next_final(st, ncols, may_wait && b->n == 0, &rec);
    if (got != SCAN_NEXT_OK || rec.kind == FRAME_END) break;
    if (rec.kind == FRAME_BLANK) {
      st->blanks++;
      continue;
    }
    if (b->n == cap) {
      cap *= 2;
      b->recs = lr_xrealloc(b->recs, cap * sizeof *b->recs);
    }
    b->recs[b->n++] = rec;
    bytes += rec.len;
  }
  if (got == SCAN_NEXT_FAILED || b->n == 0) {
    scan_batch_free(b);
    return got == SCAN_NEXT_FAILED ? SCAN_FRAME_ERROR : got == SCAN_NEXT_WAIT ? SCAN_FRAME_LATER : SCAN_FRAME_END;
  }
  b->end_offset = b->recs[b->n - 1].offset + b->recs[b->n - 1].len;
  b->first_row = table_grow(st->t, b->n);
  if (b->first_row == SIZE_MAX) {
    scan_batch_free(b);
    lr_err_set(&st->err, LR_ERR_INPUT, "%s: more than %zu rows in all inputs", st->source, TABLE_MAX_ROWS);
    return SCAN_FRAME_ERROR;
  }
  *out = b;
  return SCAN_FRAME_BATCH;
}

/* Gives back the text below `upto` (bounded runs; under the lock, so releases are in
 * order). */
static void scan_release_text(scan_stream *st, size_t upto) {
  if (upto <= atomic_load_explicit(&st->released, memory_order_relaxed)) return;
  ingest_stream_release(st->in, upto);
  atomic_store_explicit(&st->released, upto, memory_order_release);
}

/* Hands batches[0, n) (parsed, in input order) to the sink, then frees their rows. */
static int scan_hand_over(scan_stream *st, scan_batch **batches, size_t n, lr_err *err) {
  const scan_config *cfg = st->cfg;
  lr_field unique[cfg->n_unique + 1];
  unsigned char present[cfg->n_unique + 1];
  for (size_t k = 0; k < n; k++) {
    scan_batch *b = batches[k];
    size_t pos = 0;
    for (size_t i = 0; i < b->n; i++) {
      const table_row *row = table_row_at(st->t, b->first_row + i);
      scan_keys keys = { unique, present, { "", 0 }, { "", 0 } };
      if (row->status == ROW_ACCEPTED) {
        for (size_t u = 0; u < cfg->n_unique; u++) present[u] = (unsigned char)scan_keys_get(&b->keys, &pos, &unique[u]);
        if (cfg->plan != NULL) {
          scan_keys_get(&b->keys, &pos, &keys.dedupe_key);
          scan_keys_get(&b->keys, &pos, &keys.lead_id);
        }
      }
      int rc = cfg->sink(cfg->sink_arg, row, st->data + row->offset, row->status == ROW_ACCEPTED ? &keys : NULL, err);
      if (rc != LR_OK) return rc;
    }
  }
  table_release_rows(st->t, batches[n - 1]->first_row + batches[n - 1]->n);
  return LR_OK;
}

/* Hands over the parsed batches at the front of inflight, if no one else does (bounded
 * runs; called with the lock held, which it gives back and takes again). 1: it did. */
static int scan_stream_retire(scan_stream *st) {
  if (st->retire_busy || st->failed) return 0;
  size_t n = 0;
  while (n < st->inflight.len && st->inflight.items[st->inflight.head + n]->done) n++;
  if (n == 0) return 0;
  scan_batch **batches = lr_xmalloc(n * sizeof *batches);
  for (size_t k = 0; k < n; k++) batches[k] = scan_fifo_pop(&st->inflight);
  st->retire_busy = 1;
  par_lock_give(&st->lock);
  lr_err err;
  int rc = scan_hand_over(st, batches, n, &err);
  par_lock_take(&st->lock);
  st->retire_busy = 0;
  if (rc != LR_OK && !st->failed) {
    st->failed = 1;
    atomic_store_explicit(&st->halted, 1, memory_order_relaxed);
    st->err = err;
  }
  if (rc == LR_OK) scan_release_text(st, batches[n - 1]->end_offset);
  for (size_t k = 0; k < n; k++) scan_batch_free(batches[k]);
  free(batches);
  return 1;
}

enum { SCAN_WORK_DONE, SCAN_WORK_DID, SCAN_WORK_IDLE };

/* One unit of work for any thread; may_wait 0 for the inflating thread. */
static int scan_stream_step(scan_stream *st, scan_worker *w, int may_wait) {
  const schema_map *map = &st->hdr->map;
  par_lock_take(&st->lock);
  if (st->bounded && scan_stream_retire(st)) {
    par_lock_give(&st->lock);
    return SCAN_WORK_DID;
  }
  if (st->queue.len > 0 && !st->failed && atomic_load_explicit(&st->prepared, memory_order_acquire)) {
    scan_batch *b = scan_fifo_pop(&st->queue);
    par_lock_give(&st->lock);
    lr_buf *keys = st->bounded ? &b->keys : NULL;
    for (size_t i = 0; i < b->n; i++)
      scan_record(st->t, st->cfg, map, st->data, st->input, &b->recs[i], b->first_row + i, w, keys);
    free(b->recs);
    b->recs = NULL;
    if (!st->bounded) {
      scan_batch_free(b);
      return SCAN_WORK_DID;
    }
    par_lock_take(&st->lock);
    b->done = 1;
    par_lock_give(&st->lock);
    return SCAN_WORK_DID;
  }
  int finished = st->frame_done && st->queue.len == 0 && st->inflight.len == 0 && !st->retire_busy;
  if (finished || st->failed) {
    par_lock_give(&st->lock);
    return SCAN_WORK_DONE;
  }
  int prepared = atomic_load_explicit(&st->prepared, memory_order_acquire);
  if (st->framer_busy || st->frame_done || (!prepared && st->queue.len >= SCAN_UNPREPARED_AHEAD)) {
    par_lock_give(&st->lock);
    return SCAN_WORK_IDLE;
  }
  st->framer_busy = 1;
  par_lock_give(&st->lock);
  scan_batch *b = NULL;
  int got = scan_frame_batch(st, w, may_wait, &b);
  par_lock_take(&st->lock);
  if (got == SCAN_FRAME_BATCH) {
    scan_fifo_push(&st->queue, b);
    if (st->bounded) scan_fifo_push(&st->inflight, b);
  } else if (got == SCAN_FRAME_END) {
    st->frame_done = 1;
  } else if (got == SCAN_FRAME_ERROR) {
    st->failed = 1;
    atomic_store_explicit(&st->halted, 1, memory_order_relaxed);
  }
  /* nothing in flight: the text the framer has passed (blank lines, the header) is done */
  if (st->bounded && st->inflight.len == 0 && !st->retire_busy && got != SCAN_FRAME_ERROR && st->started)
    scan_release_text(st, st->f.pos);
  st->framer_busy = 0;
  par_lock_give(&st->lock);
  return got == SCAN_FRAME_LATER ? SCAN_WORK_IDLE : SCAN_WORK_DID;
}

/* Thread 0: one inflate step if the input is not all there and the window allows it.
 * 1: it inflated (or failed, which the others see in ingest_state). */
static int scan_stream_inflate(scan_stream *st, double *inflate_seconds, lr_err *err) {
  if (atomic_load_explicit(&st->ingest_state, memory_order_relaxed) != SCAN_INGESTING) return 0;
  if (atomic_load_explicit(&st->halted, memory_order_relaxed)) return 0;
  size_t avail = atomic_load_explicit(&st->available, memory_order_relaxed);
  if (avail - atomic_load_explicit(&st->released, memory_order_acquire) >= st->window) return 0;
  int done = 0;
  double t0 = lr_clock_seconds();
  int rc = ingest_stream_step(st->in, SCAN_INFLATE_STEP, &st->available, &done, err);
  *inflate_seconds += lr_clock_seconds() - t0;
  if (rc != LR_OK || done)
    atomic_store_explicit(&st->ingest_state, rc == LR_OK ? SCAN_INGESTED : SCAN_INGEST_FAILED, memory_order_release);
  return 1;
}

/* Every thread's loop until the input is scanned (or failed). */
static void scan_stream_work(scan_stream *st, scan_worker *w, int inflater, double *inflate_seconds,
                             lr_err *ingest_err) {
  for (;;) {
    if (inflater && scan_stream_inflate(st, inflate_seconds, ingest_err)) continue;
    int may_wait = !inflater || atomic_load_explicit(&st->ingest_state, memory_order_acquire) != SCAN_INGESTING;
    int got = scan_stream_step(st, w, may_wait);
    if (got == SCAN_WORK_DONE) return;
    if (got == SCAN_WORK_IDLE) par_pause();
  }
}

/* cfg->prepare on the thread that runs it; a failure ends the scan (under the lock, as
 * every failure). */
static void scan_stream_prepare(scan_stream *st, int *prepare_rc, lr_err *prepare_err) {
  *prepare_rc = st->cfg->prepare(st->cfg->prepare_arg, prepare_err);
  if (*prepare_rc != LR_OK) {
    par_lock_take(&st->lock);
    st->failed = 1;
    atomic_store_explicit(&st->halted, 1, memory_order_relaxed);
    par_lock_give(&st->lock);
  }
  atomic_store_explicit(&st->prepared, 1, memory_order_release);
}

/* with_prepare: run cfg->prepare during this input's scan (the first input's). */
static int scan_one_input(table *t, const scan_config *cfg, const char *source, int with_prepare,
                          scan_header *hdr, scan_worker *workers, int n_workers, double *read_seconds,
                          lr_err *err) {
  ingest_stream *in;
  int rc = ingest_stream_open(source, &in, err);
  if (rc != LR_OK) return rc;
  scan_stream st = { .t = t, .cfg = cfg, .hdr = hdr, .source = source, .in = in,
                     .data = ingest_stream_data(in), .bounded = cfg->sink != NULL,
                     .window = cfg->sink != NULL ? cfg->text_window : SIZE_MAX };
  st.input = table_add_input(t, source);
  atomic_init(&st.available, 0);
  atomic_init(&st.ingest_state, SCAN_INGESTING);
  atomic_init(&st.released, 0);
  atomic_init(&st.prepared, !with_prepare);
  atomic_init(&st.halted, 0);
  lr_err_clear(&st.err);
  int prepare_rc = LR_OK;
  lr_err prepare_err;
  lr_err_clear(&prepare_err);
  par_lock_init(&st.lock);
  lr_err ingest_err;
  lr_err_clear(&ingest_err);
  double ingest_seconds = 0;
#pragma omp parallel num_threads(n_workers)
  {
    int thread = par_thread_num(), team = par_team_size();
    /* thread 1 prepares while thread 0 inflates; a team of one prepares first */
    if (with_prepare && thread == (team > 1 ? 1 : 0)) scan_stream_prepare(&st, &prepare_rc, &prepare_err);
    scan_stream_work(&st, &workers[thread], thread == 0, &ingest_seconds, &ingest_err);
  }
  par_lock_destroy(&st.lock);
  while (st.queue.len > 0) {
    scan_batch *b = scan_fifo_pop(&st.queue);
    if (!st.bounded) scan_batch_free(b); /* bounded: every batch is in inflight too */
  }
  while (st.inflight.len > 0) scan_batch_free(scan_fifo_pop(&st.inflight));
  free(st.queue.items);
  free(st.inflight.items);
  *read_seconds += ingest_seconds;
  int ingest_failed = atomic_load(&st.ingest_state) == SCAN_INGEST_FAILED;
  if (prepare_rc != LR_OK || ingest_failed || st.failed) {
    ingest_stream_abort(in);
    *err = prepare_rc != LR_OK ? prepare_err : ingest_failed ? ingest_err : st.err;
    return err->code;
  }
  t->blank_lines += st.blanks;
  if (st.bounded) { /* every row was handed over: the text is not needed any more */
    ingest_stream_abort(in);
    return LR_OK;
  }
  char *data;
  size_t len, map_len;
  ingest_stream_close(in, &data, &len, &map_len);
  table_set_input_data(t, st.input, data, len, map_len);
  return LR_OK;
}

int scan_inputs(table *t, const scan_config *cfg, const char *const *sources,
                size_t n_sources, scan_header *header_out, double *inflate_seconds_out,
                lr_err *err) {
  memset(header_out, 0, sizeof *header_out);
  int n_workers = cfg->n_threads > 0 ? cfg->n_threads : 1;
  scan_worker *workers = lr_xcalloc((size_t)n_workers, sizeof *workers);
  for (int i = 0; i < n_workers; i++) {
    workers[i].parser = csvparse_new();
    workers[i].vals = lr_xcalloc(cfg->schema->n_fields, sizeof *workers[i].vals);
  }
  double read_seconds = 0;
  int rc = LR_OK;
  for (size_t s = 0; s < n_sources && rc == LR_OK; s++)
    rc = scan_one_input(t, cfg, sources[s], s == 0 && cfg->prepare != NULL, header_out, workers,
                        n_workers, &read_seconds, err);
  for (int i = 0; i < n_workers; i++) {
    csvparse_free(workers[i].parser);
    free(workers[i].vals);
    lr_buf_release(&workers[i].key);
  }
  free(workers);
  *inflate_seconds_out = read_seconds;
  return rc;
}

void scan_header_release(scan_header *h) {
  for (size_t j = 0; j < h->n_cols; j++) free(h->names[j]);
  free(h->names);
  if (h->names != NULL) schema_map_release(&h->map);
  memset(h, 0, sizeof *h);
}

/* ---- re-deriving hashed values ----------------------------------------------------- */

struct scan_rederiver {
  const table *t;
  const scan_config *cfg;
  const schema_map *map;
  scan_worker w;
};

scan_rederiver *scan_rederiver_new(const table *t, const scan_config *cfg, const scan_header *hdr) {
  scan_rederiver *r = lr_xcalloc(1, sizeof *r);
  r->t = t;
  r->cfg = cfg;
  r->map = &hdr->map;
  r->w.parser = csvparse_new();
  r->w.vals = lr_xcalloc(cfg->schema->n_fields, sizeof *r->w.vals);
  return r;
}

void scan_rederiver_free(scan_rederiver *r) {
  if (r == NULL) return;
  csvparse_free(r->w.parser);
  free(r->w.vals);
  lr_buf_release(&r->w.key);
  free(r);
}

/* Row i's values in r->w.vals, as scan validated them (the row was accepted). */
static void scan_rederive_values(scan_rederiver *r, size_t i) {
  const table_row *row = table_row_at(r->t, i);
  const char *text = table_row_text(r->t, row);
  int verbatim;
  long bad_field;
  /* The row was accepted, so the same bytes pass the same rules again: only the values
   * matter. (libcsv splits quote-free records the same way csvparse_plain does.) */
  (void)scan_split_validate(r->cfg, r->map, text, row->len, 1, &r->w, &verbatim, &bad_field);
}

/* Row i's fields split, for the text of a few of them (validate_field_text): the row was
 * accepted, so nothing needs validating again. Converting every value cost most of a
 * dedupe re-derivation (5M rows: 382k re-derived keys). Returns how many fields. */
static size_t scan_rederive_fields(scan_rederiver *r, size_t i, const lr_field **fields) {
  const table_row *row = table_row_at(r->t, i);
  size_t n;
  if (csvparse_split(r->w.parser, table_row_text(r->t, row), row->len, fields, &n) != LR_OK) n = 0;
  return n;
}

int scan_rederive_unique(scan_rederiver *r, size_t i, size_t slot, lr_field *out) {
  long field = r->cfg->unique_fields[slot];
  lr_value *v = &r->w.vals[field];
  if (r->cfg->schema->fields[field].any_true) { /* several columns decide its text */
    scan_rederive_values(r, i);
  } else {
    const lr_field *fields;
    size_t n = scan_rederive_fields(r, i, &fields);
    validate_field_text(r->cfg->schema, r->map, fields, n, field, v);
  }
  *out = (lr_field){ v->str, v->present ? v->str_len : 0 };
  return v->present;
}

lr_field scan_rederive_lead_id(scan_rederiver *r, size_t i) {
  /* Only the one column is needed: the row was accepted, so a non-empty lead_id is
   * valid, and the value is the trimmed field — no validation (rank re-derives many). */
  const table_row *row = table_row_at(r->t, i);
  /* An empty prefix is an empty or absent lead_id (a missing-value token such as `n/a`
   * under a --schema where it is optional): its text is no lead_id. */
  if (!row->id_long && row->id_prefix[0] == '\0') return (lr_field){ "", 0 };
  const char *text = table_row_text(r->t, row);
  const lr_field *fields;
  size_t n;
  if (csvparse_split(r->w.parser, text, row->len, &fields, &n) != LR_OK) n = 0;
  long col = r->map->field_col[r->cfg->plan->field[SCORE_LEAD_ID]];
  if (col < 0 || (size_t)col >= n) return (lr_field){ "", 0 };
  lr_field id = fields[col];
  values_trim(&id.ptr, &id.len);
  return id;
}

lr_field scan_rederive_dedupe_key(scan_rederiver *r, size_t i) {
  static const int key_parts[] = { SCORE_EMAIL, SCORE_DOMAIN, SCORE_CONTACT_NAME, SCORE_FIRST_NAME,
                                   SCORE_LAST_NAME };
  const lr_field *fields;
  size_t n = scan_rederive_fields(r, i, &fields);
  for (size_t k = 0; k < sizeof key_parts / sizeof *key_parts; k++) {
    long field = r->cfg->plan->field[key_parts[k]];
    if (field >= 0) validate_field_text(r->cfg->schema, r->map, fields, n, field, &r->w.vals[field]);
  }
  const long email_field = r->cfg->plan->field[SCORE_EMAIL];
  int email_ok = 0;
  if (email_field >= 0 && r->w.vals[email_field].present) {
    const lr_value *e = &r->w.vals[email_field];
    lr_buf_reserve(&r->w.key, e->str_len + 1);
    r->w.key.data[0] = 'e';
    email_ok = values_email_normalize(e->str, e->str_len, r->w.key.data + 1);
  }
  if (!scan_dedupe_key(r->cfg->plan, r->w.vals, email_ok, &r->w)) r->w.key.len = 0;
  return (lr_field){ r->w.key.data, r->w.key.len };
}
