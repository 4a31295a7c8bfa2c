/* summary.c — summary.json: counts over the rows (summary_tally), history statistics, run facts. */
#include "summary.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvw.h"
#include "output.h"

typedef struct summary_count {
  char *key;
  long long n;
} summary_count;

typedef struct summary_map {
  summary_count *items;
  size_t n, cap;
} summary_map;

static void summary_map_add(summary_map *m, const char *key, long long n) {
  for (size_t i = 0; i < m->n; i++)
    if (strcmp(m->items[i].key, key) == 0) {
      m->items[i].n += n;
      return;
    }
  if (m->n == m->cap) {
    m->cap = m->cap ? 2 * m->cap : 16;
    m->items = lr_xrealloc(m->items, m->cap * sizeof *m->items);
  }
  m->items[m->n++] = (summary_count){ lr_xstrndup(key, strlen(key)), n };
}

static int summary_count_cmp(const void *a, const void *b) {
  return strcmp(((const summary_count *)a)->key, ((const summary_count *)b)->key);
}

static void summary_map_release(summary_map *m) {
  for (size_t i = 0; i < m->n; i++) free(m->items[i].key);
  free(m->items);
}

void summary_format_double(double x, char *buf, size_t buf_len) {
  if (!isfinite(x)) {
    snprintf(buf, buf_len, "null");
    return;
  }
  for (int p = 1; p <= 17; p++) {
    snprintf(buf, buf_len, "%.*g", p, x);
    if (strtod(buf, NULL) == x) break;
  }
  /* JSON needs a digit after a sign and no bare "inf"; %g never gives those for finite x,
   * but it may give "1e+20", which is valid JSON. */
}

static void json_string(lr_buf *b, const char *s) {
  static const char hex[] = "0123456789abcdef";
  lr_buf_putc(b, '"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') {
      lr_buf_putc(b, '\\');
      lr_buf_putc(b, (char)*p);
    } else if (*p < 0x20) {
      char esc[6] = { '\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15] };
      lr_buf_put(b, esc, 6);
    } else {
      lr_buf_putc(b, (char)*p);
    }
  }
  lr_buf_putc(b, '"');
}

static void json_key(lr_buf *b, int indent, const char *key, int *first) {
  if (!*first) lr_buf_putc(b, ',');
  *first = 0;
  lr_buf_putc(b, '\n');
  for (int i = 0; i < indent; i++) lr_buf_put(b, "  ", 2);
  json_string(b, key);
  lr_buf_put(b, ": ", 2);
}

static void json_int(lr_buf *b, long long n) {
  char buf[32];
  lr_buf_put(b, buf, (size_t)snprintf(buf, sizeof buf, "%lld", n));
}

static void json_double(lr_buf *b, double x) {
  char buf[40];
  summary_format_double(x, buf, sizeof buf);
  lr_buf_put(b, buf, strlen(buf));
}

static void json_close(lr_buf *b, int indent, char bracket, int empty) {
  if (!empty) {
    lr_buf_putc(b, '\n');
    for (int i = 0; i < indent; i++) lr_buf_put(b, "  ", 2);
  }
  lr_buf_putc(b, bracket);
}

/* A map of counts, keys sorted bytewise, zeros left out. */
static void json_count_map(lr_buf *b, int indent, summary_map *m) {
  if (m->n > 1) qsort(m->items, m->n, sizeof *m->items, summary_count_cmp);
  lr_buf_putc(b, '{');
  int first = 1;
  for (size_t i = 0; i < m->n; i++) {
    if (m->items[i].n == 0) continue;
    json_key(b, indent + 1, m->items[i].key, &first);
    json_int(b, m->items[i].n);
  }
  json_close(b, indent, '}', first);
}

void summary_tally_init(summary_tally *c, const schema *s, int scored) {
  memset(c, 0, sizeof *c);
  c->n_fields = s->n_fields;
  c->scored = scored;
  c->reject = lr_xcalloc((size_t)LR_REASON_COUNT * (s->n_fields + 1), sizeof *c->reject);
}

void summary_tally_release(summary_tally *c) {
  free(c->reject);
  c->reject = NULL;
}

/* Scores exist only when scoring (validate's accepted rows have none). */
void summary_tally_row(summary_tally *c, const table_row *r) {
  c->input_rows++;
  if (r->status == ROW_REJECTED) {
    c->rej++;
    c->reject[(size_t)r->reason * (c->n_fields + 1) + (size_t)(r->reason_field + 1)]++;
  } else if (r->status == ROW_DUPLICATE) {
    c->dup++;
  } else if (c->scored) {
    c->segment[r->score.segment]++;
    if (r->score.disqualify != DQ_NONE) {
      c->disq++;
      c->tiers[4]++;
      c->disqualify[r->score.disqualify]++;
    } else {
      c->ranked++;
      c->tiers[r->score.tier - 'A']++;
      for (int k = 0; k < r->score.n_reasons; k++) c->reason[r->score.reasons[k]]++;
    }
  }
}

void summary_tally_table(summary_tally *c, const table *t) {
  for (size_t i = 0; i < t->n_rows; i++) summary_tally_row(c, table_row_at(t, i));
  c->blank_lines += (long long)t->blank_lines;
}

static void summary_counts(lr_buf *b, const summary_tally *tally, const schema *s) {
  const summary_tally c = *tally;
  const int scored = c.scored;
  size_t n_keys = (size_t)LR_REASON_COUNT * (s->n_fields + 1);
  long long n_ranked = c.ranked, n_disq = c.disq, n_dup = c.dup, n_rej = c.rej;
  const long long *tiers = c.tiers;
  summary_map seg = { 0 }, disq = { 0 }, reasons = { 0 }, rejects = { 0 };
  for (int k = 0; k < SEG_COUNT; k++)
    if (c.segment[k]) summary_map_add(&seg, score_segment_name(k), c.segment[k]);
  for (int k = 1; k < DQ_COUNT; k++)
    if (c.disqualify[k]) summary_map_add(&disq, score_disqualify_name(k), c.disqualify[k]);
  for (int k = 0; k < MODEL_N_COMPONENTS; k++)
    if (c.reason[k]) summary_map_add(&reasons, score_reason_label(k), c.reason[k]);
  char text[300];
  for (size_t k = 0; k < n_keys; k++) {
    if (c.reject[k] == 0) continue;
    table_row key = { .reason = (unsigned char)(k / (s->n_fields + 1)),
                      .reason_field = (int16_t)((long)(k % (s->n_fields + 1)) - 1) };
    output_reason_text(&key, s, text, sizeof text);
    summary_map_add(&rejects, text, c.reject[k]);
  }
  int first = 1;
  lr_buf_putc(b, '{');
  json_key(b, 2, "input_rows", &first);
  json_int(b, c.input_rows);
  if (scored) {
    json_key(b, 2, "ranked", &first);
    json_int(b, n_ranked);
    json_key(b, 2, "disqualified", &first);
    json_int(b, n_disq);
    json_key(b, 2, "duplicates", &first);
    json_int(b, n_dup);
  }
  json_key(b, 2, "rejected", &first);
  json_int(b, n_rej);
  json_key(b, 2, "blank_lines", &first);
  json_int(b, c.blank_lines);
  if (scored) {
    json_key(b, 2, "by_tier", &first);
    lr_buf_putc(b, '{');
    int tfirst = 1;
    static const char *const tier_names[5] = { "A", "B", "C", "D", "X" };
    for (int k = 0; k < 5; k++) {
      json_key(b, 3, tier_names[k], &tfirst);
      json_int(b, tiers[k]);
    }
    json_close(b, 2, '}', 0);
    json_key(b, 2, "by_segment", &first);
    json_count_map(b, 2, &seg);
    json_key(b, 2, "by_disqualify_reason", &first);
    json_count_map(b, 2, &disq);
    json_key(b, 2, "by_reason", &first);
    json_count_map(b, 2, &reasons);
  }
  json_key(b, 2, "by_reject_reason", &first);
  json_count_map(b, 2, &rejects);
  json_close(b, 1, '}', 0);
  summary_map_release(&seg);
  summary_map_release(&disq);
  summary_map_release(&reasons);
  summary_map_release(&rejects);
}

static void summary_history(lr_buf *b, const summary_info *info) {
  const hist_globals *g = history_get_globals(info->history);
  int first = 1;
  lr_buf_putc(b, '{');
  json_key(b, 2, "source", &first);
  json_string(b, info->history_source);
  json_key(b, 2, "cache", &first);
  json_string(b, info->history_cache);
  json_key(b, 2, "deals", &first);
  lr_buf_putc(b, '[');
  for (size_t i = 0; i < info->n_deals; i++) {
    if (i > 0) lr_buf_put(b, ", ", 2);
    json_string(b, info->deals[i]);
  }
  lr_buf_putc(b, ']');
  json_key(b, 2, "deal_rows", &first);
  json_int(b, g->deal_rows);
  json_key(b, 2, "deal_rows_bad", &first);
  json_int(b, g->deal_rows_bad);
  json_key(b, 2, "deal_bad_by_reason", &first);
  summary_map bad = { 0 };
  for (size_t i = 0; i < history_n_bad_reasons(info->history); i++) {
    const char *reason;
    int64_t n;
    history_bad_reason_at(info->history, i, &reason, &n);
    summary_map_add(&bad, reason, n);
  }
  json_count_map(b, 2, &bad);
  summary_map_release(&bad);
  json_key(b, 2, "deal_blank_lines", &first);
  json_int(b, g->deal_blank_lines);
  json_key(b, 2, "deals_used", &first);
  json_int(b, g->N);
  json_key(b, 2, "won", &first);
  json_int(b, g->W);
  json_key(b, 2, "verticals", &first);
  json_int(b, (long long)history_n_verticals(info->history));
  json_key(b, 2, "wr_g", &first);
  json_double(b, g->wr_g);
  json_key(b, 2, "A_g", &first);
  json_double(b, g->A_g);
  json_key(b, 2, "D_g", &first);
  json_double(b, g->D_g);
  json_key(b, 2, "C_g", &first);
  json_double(b, g->C_g);
  json_close(b, 1, '}', 0);
}

int summary_write(const char *outdir, const summary_tally *tally, const schema *s,
                  const summary_info *info, int do_fsync, output_pending *pending, lr_err *err) {
  lr_buf b = { 0 };
  int first = 1;
  lr_buf_putc(&b, '{');
  json_key(&b, 1, "counts", &first);
  summary_counts(&b, tally, s);
  if (info->history != NULL) {
    json_key(&b, 1, "history", &first);
    summary_history(&b, info);
  }
  json_key(&b, 1, "as_of", &first);
  json_string(&b, info->as_of);
  json_key(&b, 1, "threads", &first);
  json_int(&b, info->threads);
  json_key(&b, 1, "timings", &first);
  lr_buf_putc(&b, '{');
  int tfirst = 1;
  for (size_t i = 0; i < info->n_timings; i++) {
    json_key(&b, 2, info->timings[i].stage, &tfirst);
    json_double(&b, info->timings[i].seconds);
  }
  json_close(&b, 1, '}', tfirst);
  json_key(&b, 1, "inputs", &first);
  lr_buf_putc(&b, '[');
  for (size_t i = 0; i < info->n_inputs; i++) {
    if (i > 0) lr_buf_put(&b, ", ", 2);
    json_string(&b, info->inputs[i]);
  }
  lr_buf_putc(&b, ']');
  json_close(&b, 0, '}', 0);
  lr_buf_putc(&b, '\n');
  char path[4096];
  snprintf(path, sizeof path, "%s/summary.json", outdir);
  csvw *w;
  int rc = csvw_open(path, 0, do_fsync, &w, err);
  if (rc == LR_OK) {
    csvw_write(w, b.data, b.len);
    rc = output_pending_add(pending, w, err);
  }
  lr_buf_release(&b);
  return rc;
}
