/* output.c — ranked / disqualified / duplicates / rejects CSVs: parallel formatting into
 * per-thread buffers, one ordered writer per file. */
#include "output.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvparse.h"
#include "csvw.h"
#include "par.h"
#include "values.h"

#define OUTPUT_BLOCK_ROWS 16384
#define REJECT_RAW_MAX 4096
#define OUTPUT_PREFETCH_AHEAD 8

typedef struct output_ctx {
  const table *t;
  const scan_header *hdr;
  const scan_config *scan;  /* for re-deriving lead_ids (duplicate_of) */
  const schema *s;
  const uint32_t *rows;     /* the rows to write, in file order */
} output_ctx;

/* One formatting thread's tools: a libcsv splitter, and a re-deriver for duplicate_of. */
typedef struct output_worker {
  csvparse *parser;
  scan_rederiver *rd;   /* NULL when writing rejects only */
} output_worker;

typedef void (*output_format_fn)(const output_ctx *ctx, size_t i, output_worker *w, lr_buf *out);

/* "%.1f" of the exact binary value, ties to even, as printf rounds (A38), without printf:
 * y = x*10 rounded, e = the exact rounding error (fma), so y + e is x*10 exactly and the
 * fraction of y decides, with e breaking an apparent tie. Falls back to snprintf outside
 * the range where y's integer part is exact. */
size_t output_format_score(double x, char *buf) {
  double y = x * 10.0;
  if (!(fabs(y) < 1e15)) {
    int n = snprintf(buf, 32, "%.1f", x);
    if (strcmp(buf, "-0.0") == 0) n = snprintf(buf, 32, "0.0");
    return (size_t)n;
  }
  double e = fma(x, 10.0, -y);
  double f = floor(y), d = y - f;
  int up = d > 0.5 || (d == 0.5 && (e > 0 || (e == 0 && fmod(f, 2.0) != 0)));
  long long tenths = (long long)f + up;
  int negative = tenths < 0;
  unsigned long long mag = negative ? (unsigned long long)-tenths : (unsigned long long)tenths;
  char tmp[32];
  size_t n = 0;
  tmp[n++] = (char)('0' + mag % 10);
  tmp[n++] = '.';
  mag /= 10;
  do {
    tmp[n++] = (char)('0' + mag % 10);
    mag /= 10;
  } while (mag > 0);
  size_t len = 0;
  if (negative) buf[len++] = '-';
  while (n > 0) buf[len++] = tmp[--n];
  buf[len] = '\0';
  return len;
}

void output_reason_text(const table_row *r, const schema *s, char *buf, size_t buf_len) {
  if (lr_reason_has_column(r->reason) && r->reason_field >= 0)
    snprintf(buf, buf_len, "%s:%s", lr_reason_name(r->reason), s->fields[r->reason_field].name);
  else
    snprintf(buf, buf_len, "%s", lr_reason_name(r->reason));
}

/* Appends ",field" for every input column of row r: the raw text itself when scan found
 * it verbatim (csvparse_plain, csvw_fields_equal_raw), else re-split and re-quoted. */
static void output_put_input_fields(const table *t, const table_row *r, csvparse *p, lr_buf *out) {
  const char *raw = table_row_text(t, r);
  if (r->verbatim) {
    lr_buf_putc(out, ',');
    lr_buf_put(out, raw, r->len);
    return;
  }
  const lr_field *fields;
  size_t n;
  if (csvparse_record(p, table_row_text(t, r), r->len, &fields, &n) != LR_OK) n = 0;
  for (size_t j = 0; j < n; j++) {
    lr_buf_putc(out, ',');
    csvw_buf_field(out, fields[j].ptr, fields[j].len);
  }
}

static void output_put_score(lr_buf *out, double x) {
  char buf[32];
  lr_buf_put(out, buf, output_format_score(x, buf));
}

static void output_put_str(lr_buf *out, const char *s) { lr_buf_put(out, s, strlen(s)); }

static void output_format_ranked(const output_ctx *ctx, size_t i, output_worker *w, lr_buf *out) {
  const table_row *r = table_row_at(ctx->t, ctx->rows[i]);
  char rank[32];
  lr_buf_put(out, rank, (size_t)snprintf(rank, sizeof rank, "%zu,", i + 1));
  output_put_score(out, r->score.priority);
  lr_buf_putc(out, ',');
  output_put_score(out, r->score.fit);
  lr_buf_putc(out, ',');
  output_put_score(out, r->score.risk);
  lr_buf_putc(out, ',');
  lr_buf_putc(out, r->score.tier);
  lr_buf_putc(out, ',');
  output_put_str(out, score_segment_name(r->score.segment));
  lr_buf_putc(out, ',');
  for (int k = 0; k < r->score.n_reasons; k++) {
    if (k > 0) lr_buf_putc(out, ';');
    output_put_str(out, score_reason_label(r->score.reasons[k]));
  }
  output_put_input_fields(ctx->t, r, w->parser, out);
  lr_buf_putc(out, '\n');
}

static void output_format_disqualified(const output_ctx *ctx, size_t i, output_worker *w, lr_buf *out) {
  const table_row *r = table_row_at(ctx->t, ctx->rows[i]);
  output_put_str(out, score_disqualify_name(r->score.disqualify));
  lr_buf_putc(out, ',');
  output_put_score(out, r->score.fit);
  lr_buf_putc(out, ',');
  output_put_score(out, r->score.risk);
  lr_buf_putc(out, ',');
  output_put_str(out, score_segment_name(r->score.segment));
  output_put_input_fields(ctx->t, r, w->parser, out);
  lr_buf_putc(out, '\n');
}

static void output_format_duplicate(const output_ctx *ctx, size_t i, output_worker *w, lr_buf *out) {
  const table_row *r = table_row_at(ctx->t, ctx->rows[i]);
  lr_field kept = scan_rederive_lead_id(w->rd, r->dup_of);
  csvw_buf_field(out, kept.ptr, kept.len);
  output_put_input_fields(ctx->t, r, w->parser, out);
  lr_buf_putc(out, '\n');
}

/* rejects.csv raw (A10): the first 4096 bytes, then every byte that is not part of a
 * well-formed UTF-8 sequence, and every NUL, as \xhh. */
static void output_put_raw(lr_buf *tmp, const char *s, size_t len) {
  static const char hex[] = "0123456789abcdef";
  if (len > REJECT_RAW_MAX) len = REJECT_RAW_MAX;
  size_t i = 0;
  while (i < len) {
    unsigned char c = (unsigned char)s[i];
    size_t seq = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    if (c != 0 && i + seq <= len && (c < 0x80 || c >= 0xc2) && values_utf8_valid(s + i, seq)) {
      lr_buf_put(tmp, s + i, seq);
      i += seq;
      continue;
    }
    char esc[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
    lr_buf_put(tmp, esc, 4);
    i++;
  }
}

static void output_format_reject(const output_ctx *ctx, size_t i, output_worker *w, lr_buf *out) {
  (void)w;
  const table_row *r = table_row_at(ctx->t, ctx->rows[i]);
  const char *source = ctx->t->inputs[r->input].source;
  char text[256];
  csvw_buf_field(out, source, strlen(source));
  lr_buf_put(out, text, (size_t)snprintf(text, sizeof text, ",%llu,", (unsigned long long)r->line));
  output_reason_text(r, ctx->s, text, sizeof text);
  csvw_buf_field(out, text, strlen(text));
  lr_buf_putc(out, ',');
  lr_buf raw = { 0 };
  output_put_raw(&raw, table_row_text(ctx->t, r), r->len);
  csvw_buf_field(out, raw.data ? raw.data : "", raw.len);
  lr_buf_release(&raw);
  lr_buf_putc(out, '\n');
}

/* Writes header + n rows: blocks of rows are split among threads, each formats its slice
 * into its own buffer, then the buffers are written in slice order. */
static int output_write_file(const char *outdir, const char *name, const output_config *cfg,
                             const char *header, const output_ctx *ctx, size_t n,
                             output_format_fn format, lr_err *err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.csv%s", outdir, name, cfg->gzip ? ".gz" : "");
  csvw *w;
  int rc = csvw_open(path, cfg->gzip, cfg->do_fsync, &w, err);
  if (rc != LR_OK) return rc;
  csvw_write(w, header, strlen(header));
  int n_slices = cfg->n_threads > 0 ? cfg->n_threads : 1;
  csvw_set_threads(w, n_slices);
  lr_buf *bufs = lr_xcalloc((size_t)n_slices, sizeof *bufs);
  output_worker *workers = lr_xcalloc((size_t)n_slices, sizeof *workers);
  for (int k = 0; k < n_slices; k++) {
    workers[k].parser = csvparse_new();
    if (ctx->scan != NULL) workers[k].rd = scan_rederiver_new(ctx->t, ctx->scan, ctx->hdr);
  }
  for (size_t start = 0; start < n; start += OUTPUT_BLOCK_ROWS) {
    size_t end = start + OUTPUT_BLOCK_ROWS < n ? start + OUTPUT_BLOCK_ROWS : n;
    size_t per = (end - start + (size_t)n_slices - 1) / (size_t)n_slices;
#pragma omp parallel for num_threads(n_slices) schedule(static, 1)
    for (int k = 0; k < n_slices; k++) {
      size_t a = start + (size_t)k * per, b = a + per < end ? a + per : end;
      bufs[k].len = 0;
      for (size_t i = a; i < b; i++) {
        /* Rows come in file order (rank order for ranked.csv), scattered over the row
         * table and the input text: fetch the row a few steps ahead, its text nearer. */
        if (i + 2 * OUTPUT_PREFETCH_AHEAD < b)
          __builtin_prefetch(table_row_at(ctx->t, ctx->rows[i + 2 * OUTPUT_PREFETCH_AHEAD]));
        if (i + OUTPUT_PREFETCH_AHEAD < b)
          __builtin_prefetch(table_row_text(ctx->t, table_row_at(ctx->t, ctx->rows[i + OUTPUT_PREFETCH_AHEAD])));
        format(ctx, i, &workers[k], &bufs[k]);
      }
    }
    for (int k = 0; k < n_slices; k++) csvw_write(w, bufs[k].data, bufs[k].len);
  }
  for (int k = 0; k < n_slices; k++) {
    lr_buf_release(&bufs[k]);
    csvparse_free(workers[k].parser);
    scan_rederiver_free(workers[k].rd);
  }
  free(bufs);
  free(workers);
  return output_pending_add(cfg->pending, w, err);
}

int output_pending_add(output_pending *p, csvw *w, lr_err *err) {
  int rc = csvw_finish(w, err);
  if (rc == LR_OK && p->n == OUTPUT_MAX_PENDING)
    rc = lr_err_set(err, LR_ERR_OUTPUT, "too many output files pending");
  if (rc != LR_OK) {
    csvw_abort(w);
    return rc;
  }
  p->files[p->n++] = w;
  return LR_OK;
}

int output_pending_publish(output_pending *p, lr_err *err) {
  int rc = LR_OK;
  for (size_t i = 0; i < p->n; i++) {
    if (rc == LR_OK) rc = csvw_publish(p->files[i], err);
    else csvw_abort(p->files[i]);
  }
  p->n = 0;
  return rc;
}

void output_pending_abort(output_pending *p) {
  for (size_t i = 0; i < p->n; i++) csvw_abort(p->files[i]);
  p->n = 0;
}

/* The header line: prefix columns, then the input header names re-quoted. */
static char *output_header(const char *prefix, const scan_header *hdr) {
  lr_buf b = { 0 };
  output_put_str(&b, prefix);
  for (size_t j = 0; j < hdr->n_cols; j++) {
    lr_buf_putc(&b, ',');
    csvw_buf_field(&b, hdr->names[j], strlen(hdr->names[j]));
  }
  lr_buf_putc(&b, '\n');
  lr_buf_putc(&b, '\0');
  return b.data;
}

static uint32_t *output_select(const table *t, int status, int disqualified, size_t *n_out) {
  uint32_t *rows = lr_xmalloc((t->n_rows ? t->n_rows : 1) * sizeof *rows);
  size_t n = 0;
  for (size_t i = 0; i < t->n_rows; i++) {
    const table_row *r = table_row_at(t, i);
    if (r->status != status) continue;
    if (status == ROW_ACCEPTED && (r->score.disqualify != DQ_NONE) != disqualified) continue;
    rows[n++] = (uint32_t)i;
  }
  *n_out = n;
  return rows;
}

int output_write_scored(const table *t, const scan_header *hdr, const scan_config *scan,
                        const uint32_t *ranked, size_t n_ranked, const output_config *cfg,
                        lr_err *err) {
  output_ctx ctx = { .t = t, .hdr = hdr, .scan = scan, .rows = ranked };
  char *header = output_header("rank,priority,fit_score,risk_score,tier,segment,reasons", hdr);
  int rc = output_write_file(cfg->outdir, "ranked", cfg, header, &ctx, n_ranked,
                             output_format_ranked, err);
  free(header);
  if (rc != LR_OK) return rc;

  size_t n;
  uint32_t *rows = output_select(t, ROW_ACCEPTED, 1, &n);
  ctx.rows = rows;
  header = output_header("disqualify_reason,fit_score,risk_score,segment", hdr);
  rc = output_write_file(cfg->outdir, "disqualified", cfg, header, &ctx, n,
                         output_format_disqualified, err);
  free(header);
  free(rows);
  if (rc != LR_OK) return rc;

  rows = output_select(t, ROW_DUPLICATE, 0, &n);
  ctx.rows = rows;
  header = output_header("duplicate_of", hdr);
  rc = output_write_file(cfg->outdir, "duplicates", cfg, header, &ctx, n,
                         output_format_duplicate, err);
  free(header);
  free(rows);
  return rc;
}

int output_write_rejects(const table *t, const schema *s, const output_config *cfg, lr_err *err) {
  size_t n;
  uint32_t *rows = output_select(t, ROW_REJECTED, 0, &n);
  output_ctx ctx = { .t = t, .s = s, .rows = rows };
  int rc = output_write_file(cfg->outdir, "rejects", cfg, "source,line,reason,raw\n", &ctx, n,
                             output_format_reject, err);
  free(rows);
  return rc;
}

/* The output names whose temporaries a run may leave (csvw_temp_path's scheme). */
static const char *const output_names[] = { "ranked.csv", "disqualified.csv", "duplicates.csv",
                                            "rejects.csv", "ranked.csv.gz", "disqualified.csv.gz",
                                            "duplicates.csv.gz", "rejects.csv.gz", "summary.json" };

/* The PID of a temporary's name ".NAME.tmp-PID" for one of output_names, or 0. */
static long output_temp_pid(const char *entry) {
  for (size_t i = 0; i < sizeof output_names / sizeof output_names[0]; i++) {
    size_t n = strlen(output_names[i]);
    if (entry[0] != '.' || strncmp(entry + 1, output_names[i], n) != 0 ||
        strncmp(entry + 1 + n, ".tmp-", 5) != 0)
      continue;
    const char *digits = entry + 1 + n + 5;
    char *end;
    long pid = strtol(digits, &end, 10);
    if (end != digits && *end == '\0' && pid > 0) return pid;
  }
  return 0;
}

void output_remove_stale_temps(const char *outdir) {
  DIR *d = opendir(outdir);
  if (d == NULL) return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    long pid = output_temp_pid(e->d_name);
    if (pid == 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", outdir, e->d_name);
    if (unlink(path) == 0)
      fprintf(stderr, "leadrank: warning: removed %s, left by a run that no longer exists\n", path);
  }
  closedir(d);
}

size_t output_temp_paths(const char *outdir, long pid, char (*paths)[4096], size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < sizeof output_names / sizeof output_names[0] && n < max; i++) {
    char final_path[4096];
    snprintf(final_path, sizeof final_path, "%s/%s", outdir, output_names[i]);
    csvw_temp_path(final_path, pid, paths[n++], sizeof paths[0]);
  }
  return n;
}
