/* scan.c — INPUT files to lead table rows: ingest, frame, header mapping, then the
 * parallel split / validate / score of every record. See scan.h for the contract. */
#include "scan.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "csvw.h"
#include "ingest.h"
#include "par.h"
#include "validate.h"
#include "values.h"

/* Per-thread scratch: the libcsv parser, typed values and key buffers. */
typedef struct scan_worker {
  csvparse *parser;
  lr_value *vals;
  lr_buf key;
} scan_worker;

static double scan_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int scan_read_header(frame *f, csvparse *p, const char *source, const lr_field **names_out,
                     size_t *n_out, uint64_t *blank_lines_out, lr_err *err) {
  frame_rec rec;
  uint64_t blanks = 0;
  for (;;) {
    int kind = frame_next(f, -1, &rec);
    if (kind == FRAME_END)
      return lr_err_set(err, LR_ERR_INPUT, "%s: empty input, no header row", source);
    if (kind == FRAME_BLANK) {
      blanks++;
      continue;
    }
    break;
  }
  if (rec.kind == FRAME_REJECT)
    return lr_err_set(err, LR_ERR_INPUT, "%s:%llu:1: header unreadable (%s)", source,
                      (unsigned long long)rec.line, lr_reason_name(rec.reason));
  const char *text = f->data + rec.offset;
  if (!values_utf8_valid(text, rec.len))
    return lr_err_set(err, LR_ERR_INPUT, "%s:%llu:1: header is not valid UTF-8", source,
                      (unsigned long long)rec.line);
  if (csvparse_record(p, text, rec.len, names_out, n_out) != LR_OK)
    return lr_err_set(err, LR_ERR_INPUT, "%s:%llu:1: header cannot be parsed", source,
                      (unsigned long long)rec.line);
  *blank_lines_out = blanks;
  return LR_OK;
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
static int scan_dedupe_key(const score_plan *plan, const lr_value *vals, scan_worker *w) {
  const lr_value *email = plan->field[SCORE_EMAIL] >= 0 ? &vals[plan->field[SCORE_EMAIL]] : NULL;
  w->key.len = 0;
  if (email != NULL && email->present) {
    lr_buf_reserve(&w->key, email->str_len + 1);
    w->key.data[0] = 'e';
    if (values_email_normalize(email->str, email->str_len, w->key.data + 1)) {
      w->key.len = email->str_len + 1;
      return 1;
    }
  }
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

/* Fills one row from its frame record. Runs on many threads: writes only row `ri` and
 * the worker's own scratch. */
static void scan_record(table *t, const scan_config *cfg, const schema_map *map,
                        const frame_rec *rec, size_t ri, scan_worker *w, int thread) {
  table_row *row = &t->rows[ri];
  const char *text = t->inputs[row->input].data + rec->offset;
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
  const lr_field *fields;
  size_t n;
  int split_ok = LR_OK;
  if (rec->has_quote) {
    split_ok = csvparse_record(w->parser, text, rec->len, &fields, &n);
    if (split_ok == LR_OK) row->verbatim = (unsigned char)csvw_fields_equal_raw(fields, n, text, rec->len);
  } else {
    int verbatim;
    csvparse_plain(w->parser, text, rec->len, &fields, &n, &verbatim);
    row->verbatim = (unsigned char)verbatim;
  }
  if (split_ok != LR_OK || n != map->n_cols) {
    /* The framer counted the same fields; a mismatch would be a framer/libcsv
     * disagreement, which must still be a visible reject, not a silent loss. */
    row->reason = LR_REASON_WRONG_FIELD_COUNT;
    return;
  }
  long bad_field = -1;
  int reason = validate_record(cfg->schema, map, fields, n, w->vals, &bad_field);
  if (reason != LR_REASON_NONE) {
    row->reason = (unsigned char)reason;
    row->reason_field = (int16_t)bad_field;
    return;
  }
  row->status = ROW_ACCEPTED;
  for (size_t u = 0; u < cfg->n_unique; u++) {
    const lr_value *v = &w->vals[cfg->unique_fields[u]];
    if (v->present) t->unique_values[ri * t->n_unique + u] = table_intern(t, thread, v->str, v->str_len);
  }
  if (cfg->plan == NULL) return;
  const lr_value *lid = &w->vals[cfg->plan->field[SCORE_LEAD_ID]];
  row->lead_id = table_intern(t, thread, lid->str, lid->str_len);
  row->created = w->vals[cfg->plan->field[SCORE_CREATED_AT]].date;
  score_result full;
  score_row(cfg->plan, cfg->model, cfg->history, cfg->as_of, w->vals, &full);
  row->score = (table_score){ full.fit, full.risk, full.priority, full.segment, full.disqualify,
                              full.tier, full.n_reasons, { full.reasons[0], full.reasons[1], full.reasons[2] } };
  if (scan_dedupe_key(cfg->plan, w->vals, w)) {
    row->dedupe_key = table_intern(t, thread, w->key.data, w->key.len);
    row->dedupe_hash = XXH3_64bits(w->key.data, w->key.len);
  }
}

/* Frames one whole input (after its header) into a growable array of frame records. */
static frame_rec *scan_frame_all(frame *f, long ncols, size_t *n_out, uint64_t *blanks) {
  size_t n = 0, cap = 4096;
  frame_rec *recs = lr_xmalloc(cap * sizeof *recs);
  frame_rec rec;
  int kind;
  while ((kind = frame_next(f, ncols, &rec)) != FRAME_END) {
    if (kind == FRAME_BLANK) {
      (*blanks)++;
      continue;
    }
    if (n == cap) {
      cap *= 2;
      recs = lr_xrealloc(recs, cap * sizeof *recs);
    }
    recs[n++] = rec;
  }
  *n_out = n;
  return recs;
}

static int scan_one_input(table *t, const scan_config *cfg, uint32_t input, scan_header *hdr,
                          scan_worker *workers, int n_workers, lr_err *err) {
  const table_input *in = &t->inputs[input];
  frame f;
  frame_init(&f, in->data, in->len, cfg->max_record_bytes);
  const lr_field *names;
  size_t n_names;
  uint64_t blanks = 0;
  int rc = scan_read_header(&f, workers[0].parser, in->source, &names, &n_names, &blanks, err);
  if (rc != LR_OK) return rc;
  schema_map map;
  rc = schema_map_header(cfg->schema, in->source, names, n_names, cfg->dup_policy,
                         cfg->must_have, &map, err);
  if (rc != LR_OK) return rc;
  if (input == 0) {
    hdr->n_cols = n_names;
    hdr->names = lr_xcalloc(n_names, sizeof *hdr->names);
    for (size_t j = 0; j < n_names; j++) hdr->names[j] = lr_xstrndup(names[j].ptr, names[j].len);
    hdr->map = map;
  } else {
    int same = map.n_cols == hdr->n_cols && scan_columns_match(hdr, &map, names);
    size_t n_cols = map.n_cols;
    schema_map_release(&map);
    if (!same)
      return lr_err_set(err, LR_ERR_INPUT,
                        "%s: columns do not map like those of %s (the first input): %zu "
                        "columns vs %zu, or a column maps to a different field",
                        in->source, t->inputs[0].source, n_cols, hdr->n_cols);
  }
  const schema_map *use_map = &hdr->map;
  size_t n_recs;
  frame_rec *recs = scan_frame_all(&f, (long)hdr->n_cols, &n_recs, &blanks);
  t->blank_lines += blanks;
  size_t first = table_grow(t, n_recs);
  for (size_t i = 0; i < n_recs; i++) t->rows[first + i].input = input;
#pragma omp parallel num_threads(n_workers)
  {
    int thread = par_thread_num();
    scan_worker *w = &workers[thread];
#pragma omp for schedule(dynamic, 4096)
    for (size_t i = 0; i < n_recs; i++) scan_record(t, cfg, use_map, &recs[i], first + i, w, thread);
  }
  free(recs);
  return LR_OK;
}

int scan_inputs(table *t, const scan_config *cfg, const char *const *sources,
                size_t n_sources, scan_header *header_out, double *read_seconds_out,
                lr_err *err) {
  memset(header_out, 0, sizeof *header_out);
  int n_workers = t->n_arenas;
  scan_worker *workers = lr_xcalloc((size_t)n_workers, sizeof *workers);
  for (int i = 0; i < n_workers; i++) {
    workers[i].parser = csvparse_new();
    workers[i].vals = lr_xcalloc(cfg->schema->n_fields, sizeof *workers[i].vals);
  }
  double read_seconds = 0;
  int rc = LR_OK;
  for (size_t s = 0; s < n_sources && rc == LR_OK; s++) {
    char *data;
    size_t len;
    double t0 = scan_now();
    rc = ingest_read_all(sources[s], &data, &len, err);
    read_seconds += scan_now() - t0;
    if (rc != LR_OK) break;
    uint32_t input = table_add_input(t, sources[s], data, len);
    rc = scan_one_input(t, cfg, input, header_out, workers, n_workers, err);
  }
  for (int i = 0; i < n_workers; i++) {
    csvparse_free(workers[i].parser);
    free(workers[i].vals);
    lr_buf_release(&workers[i].key);
  }
  free(workers);
  *read_seconds_out = read_seconds;
  return rc;
}

void scan_header_release(scan_header *h) {
  for (size_t j = 0; j < h->n_cols; j++) free(h->names[j]);
  free(h->names);
  if (h->names != NULL) schema_map_release(&h->map);
  memset(h, 0, sizeof *h);
}
