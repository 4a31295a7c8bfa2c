/* output.c — ranked / disqualified / duplicates / rejects CSVs: parallel formatting into
 * per-thread buffers, one ordered writer per file, and the in-memory run's lanes (ranked.csv
 * beside the other three). */
#include "output.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvparse.h"
#include "csvw.h"
#include "par.h"
#include "values.h"

#define REJECT_RAW_MAX 4096
#define OUTPUT_PREFETCH_AHEAD 8

/* One CSV being written: its csvw, and per formatting thread a buffer and a libcsv
 * splitter. */
struct output_file {
  csvw *w;
  int kind;                 /* enum output_kind */
  const table *t;           /* rejects: the INPUT names */
  const schema *s;          /* rejects: field names of per-column reasons */
  int n_threads;
  lr_buf *bufs;             /* [n_threads] */
  csvparse **parsers;       /* [n_threads] */
  output_pending *pending;
};

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

/* Appends ",field" for every input column of the item: the raw text itself when scan
 * found it verbatim (csvparse_plain, csvw_fields_equal_raw), else re-split and re-quoted. */
static void output_put_input_fields(const output_item *it, csvparse *p, lr_buf *out) {
  const table_row *r = it->row;
  if (r->verbatim) {
    lr_buf_putc(out, ',');
    lr_buf_put(out, it->text, r->len);
    return;
  }
  const lr_field *fields;
  size_t n;
  if (csvparse_split(p, it->text, r->len, &fields, &n) != LR_OK) n = 0;
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

/* Decimal, without printf (once per ranked row). */
static void output_put_u64(lr_buf *out, uint64_t v) {
  char digits[20];
  size_t n = 0;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v > 0);
  lr_buf_reserve(out, n);
  while (n > 0) out->data[out->len++] = digits[--n];
}

static void output_format_ranked(const output_file *f, const output_item *it, csvparse *p, lr_buf *out) {
  (void)f;
  const table_row *r = it->row;
  output_put_u64(out, it->rank);
  lr_buf_putc(out, ',');
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
  output_put_input_fields(it, p, out);
  lr_buf_putc(out, '\n');
}

static void output_format_disqualified(const output_file *f, const output_item *it, csvparse *p, lr_buf *out) {
  (void)f;
  const table_row *r = it->row;
  output_put_str(out, score_disqualify_name(r->score.disqualify));
  lr_buf_putc(out, ',');
  output_put_score(out, r->score.fit);
  lr_buf_putc(out, ',');
  output_put_score(out, r->score.risk);
  lr_buf_putc(out, ',');
  output_put_str(out, score_segment_name(r->score.segment));
  output_put_input_fields(it, p, out);
  lr_buf_putc(out, '\n');
}

static void output_format_duplicate(const output_file *f, const output_item *it, csvparse *p, lr_buf *out) {
  (void)f;
  csvw_buf_field(out, it->kept_id.ptr, it->kept_id.len);
  output_put_input_fields(it, p, out);
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

static void output_format_reject(const output_file *f, const output_item *it, csvparse *p, lr_buf *out) {
  (void)p;
  const table_row *r = it->row;
  const char *source = f->t->inputs[r->input].source;
  char text[256];
  csvw_buf_field(out, source, strlen(source));
  lr_buf_put(out, text, (size_t)snprintf(text, sizeof text, ",%llu,", (unsigned long long)r->line));
  output_reason_text(r, f->s, text, sizeof text);
  csvw_buf_field(out, text, strlen(text));
  lr_buf_putc(out, ',');
  lr_buf raw = { 0 };
  output_put_raw(&raw, it->text, r->len);
  csvw_buf_field(out, raw.data ? raw.data : "", raw.len);
  lr_buf_release(&raw);
  lr_buf_putc(out, '\n');
}

typedef void (*output_format_fn)(const output_file *f, const output_item *it, csvparse *p, lr_buf *out);

static const output_format_fn output_formats[OUTPUT_KIND_COUNT] = {
  output_format_ranked, output_format_disqualified, output_format_duplicate, output_format_reject,
};

static const char *const output_file_names[OUTPUT_KIND_COUNT] = {
  "ranked", "disqualified", "duplicates", "rejects",
};

static const char *const output_header_prefixes[OUTPUT_KIND_COUNT] = {
  "rank,priority,fit_score,risk_score,tier,segment,reasons",
  "disqualify_reason,fit_score,risk_score,segment",
  "duplicate_of",
  NULL, /* rejects.csv has its own columns */
};

/* The header line: prefix columns, then the input header names re-quoted. */
static void output_put_header(lr_buf *b, int kind, const scan_header *hdr) {
  if (kind == OUTPUT_REJECTS) {
    output_put_str(b, "source,line,reason,raw\n");
    return;
  }
  output_put_str(b, output_header_prefixes[kind]);
  for (size_t j = 0; j < hdr->n_cols; j++) {
    lr_buf_putc(b, ',');
    csvw_buf_field(b, hdr->names[j], strlen(hdr->names[j]));
  }
  lr_buf_putc(b, '\n');
}

int output_file_open(const output_config *cfg, int kind, const table *t, const scan_header *hdr,
                     const schema *s, output_file **out, lr_err *err) {
  char path[4096];
  *out = NULL;
  snprintf(path, sizeof path, "%s/%s.csv%s", cfg->outdir, output_file_names[kind], cfg->gzip ? ".gz" : "");
  csvw *w;
  int rc = csvw_open(path, cfg->gzip, cfg->do_fsync, &w, err);
  if (rc != LR_OK) return rc;
  output_file *f = lr_xcalloc(1, sizeof *f);
  f->w = w;
  f->kind = kind;
  f->t = t;
  f->s = s;
  f->pending = cfg->pending;
  f->n_threads = cfg->n_threads > 0 ? cfg->n_threads : 1;
  csvw_set_threads(w, f->n_threads);
  f->bufs = lr_xcalloc((size_t)f->n_threads, sizeof *f->bufs);
  f->parsers = lr_xcalloc((size_t)f->n_threads, sizeof *f->parsers);
  for (int k = 0; k < f->n_threads; k++) f->parsers[k] = csvparse_new();
  output_put_header(&f->bufs[0], kind, hdr);
  csvw_write(w, f->bufs[0].data, f->bufs[0].len);
  *out = f;
  return LR_OK;
}

/* Formats items[a, b) into buf. */
static void output_format_slice(const output_file *f, const output_item *items, size_t a, size_t b,
                                csvparse *p, lr_buf *buf) {
  output_format_fn format = output_formats[f->kind];
  buf->len = 0;
  for (size_t i = a; i < b; i++) {
    /* items come in file order (rank order for ranked.csv), their texts scattered over
     * the input: fetch a few steps ahead */
    if (i + OUTPUT_PREFETCH_AHEAD < b) __builtin_prefetch(items[i + OUTPUT_PREFETCH_AHEAD].text);
    format(f, &items[i], p, buf);
  }
}

void output_file_write(output_file *f, const output_item *items, size_t n) {
  int n_slices = f->n_threads;
  size_t per = (n + (size_t)n_slices - 1) / (size_t)n_slices;
#pragma omp parallel for num_threads(n_slices) schedule(static, 1)
  for (int k = 0; k < n_slices; k++) {
    size_t a = (size_t)k * per, b = a + per < n ? a + per : n;
    output_format_slice(f, items, a < n ? a : n, b, f->parsers[k], &f->bufs[k]);
  }
  /* after the region: --gzip compression opens its own */
  for (int k = 0; k < n_slices; k++) csvw_write(f->w, f->bufs[k].data, f->bufs[k].len);
}

static void output_file_release(output_file *f) {
  for (int k = 0; k < f->n_threads; k++) {
    lr_buf_release(&f->bufs[k]);
    csvparse_free(f->parsers[k]);
  }
  free(f->bufs);
  free(f->parsers);
  free(f);
}

int output_file_finish(output_file *f, lr_err *err) {
  csvw *w = f->w;
  output_pending *pending = f->pending;
  output_file_release(f);
  return output_pending_add(pending, w, err);
}

void output_file_abort(output_file *f) {
  if (f == NULL) return;
  csvw_abort(f->w);
  output_file_release(f);
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

/* The in-memory drivers: rows of the table, block by block into items. */

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

/* The items of the block of rows[0, n) that starts at `start` (ranks count from 1 over
 * all of rows); returns how many (OUTPUT_BLOCK_ROWS but for the last block). */
static size_t output_block_items(const table *t, const uint32_t *rows, size_t n, size_t start,
                                 output_item *items) {
  size_t m = n - start < OUTPUT_BLOCK_ROWS ? n - start : OUTPUT_BLOCK_ROWS;
  for (size_t i = 0; i < m; i++) {
    const table_row *r = table_row_at(t, rows[start + i]);
    items[i] = (output_item){ .row = r, .text = table_row_text(t, r), .rank = start + i + 1 };
  }
  return m;
}

/* Writes rows[0, n) of t as one file of `kind`; rd re-derives duplicate_of (duplicates). */
static int output_write_rows(const output_config *cfg, int kind, const table *t, const scan_header *hdr,
                             const schema *s, scan_rederiver *rd, const uint32_t *rows, size_t n,
                             lr_err *err) {
  output_file *f;
  int rc = output_file_open(cfg, kind, t, hdr, s, &f, err);
  if (rc != LR_OK) return rc;
  output_item *items = lr_xmalloc(OUTPUT_BLOCK_ROWS * sizeof *items);
  size_t *kept_off = lr_xmalloc(OUTPUT_BLOCK_ROWS * sizeof *kept_off);
  lr_buf kept = { 0 };
  for (size_t start = 0; start < n; start += OUTPUT_BLOCK_ROWS) {
    size_t m = output_block_items(t, rows, n, start, items);
    if (kind == OUTPUT_DUPLICATES) {
      kept.len = 0;
      for (size_t i = 0; i < m; i++) {
        lr_field id = scan_rederive_lead_id(rd, items[i].row->dup_of);
        kept_off[i] = kept.len;
        items[i].kept_id.len = id.len;
        lr_buf_put(&kept, id.ptr, id.len);
      }
      /* the ids' buffer may have moved while it grew */
      for (size_t i = 0; i < m; i++) items[i].kept_id.ptr = kept.data + kept_off[i];
    }
    output_file_write(f, items, m);
  }
  lr_buf_release(&kept);
  free(kept_off);
  free(items);
  return output_file_finish(f, err);
}

int output_write_rejects(const table *t, const scan_header *hdr, const schema *s,
                         const output_config *cfg, lr_err *err) {
  size_t n;
  uint32_t *rows = output_select(t, ROW_REJECTED, 0, &n);
  int rc = output_write_rows(cfg, OUTPUT_REJECTS, t, hdr, s, NULL, rows, n, err);
  free(rows);
  return rc;
}

/* disqualified.csv, duplicates.csv (duplicate_of re-derived with rd) and rejects.csv, in
 * input order. */
static int output_write_side(const output_config *cfg, const table *t, const scan_header *hdr,
                             const schema *s, scan_rederiver *rd, lr_err *err) {
  size_t n;
  uint32_t *rows = output_select(t, ROW_ACCEPTED, 1, &n);
  int rc = output_write_rows(cfg, OUTPUT_DISQUALIFIED, t, hdr, NULL, NULL, rows, n, err);
  free(rows);
  if (rc != LR_OK) return rc;
  rows = output_select(t, ROW_DUPLICATE, 0, &n);
  rc = output_write_rows(cfg, OUTPUT_DUPLICATES, t, hdr, NULL, rd, rows, n, err);
  free(rows);
  if (rc != LR_OK) return rc;
  return output_write_rejects(t, hdr, s, cfg, err);
}

/* ranked.csv on lanes: its blocks are formatted by any thread into a ring of slots and
 * written in order by thread 0, while one other thread writes the side files (which then
 * helps format). A write(2) to one file holds that file's inode lock, so the kernel's
 * copy into the page cache, most of the write stage, is serial per file: two files
 * written at once overlap their copies. */
typedef struct output_lane {
  const output_file *f;
  const table *t;
  const uint32_t *rows;
  size_t n, n_blocks;
  size_t n_slots;
  lr_buf *slots;             /* [n_slots]: block b is formatted into slots[b % n_slots] */
  _Atomic size_t *ready;     /* [n_slots]: b + 1 once block b is formatted there */
  output_item **items;       /* [team size]: each thread's items of its block */
  _Atomic size_t next_claim; /* the next block to format */
  _Atomic size_t written;    /* blocks written */
} output_lane;

enum { OUTPUT_LANE_FORMATTED, OUTPUT_LANE_FULL, OUTPUT_LANE_ALL_CLAIMED };

/* Claims the next block, if its slot is free, and formats it. */
static int output_lane_format_one(output_lane *l, int thread) {
  size_t b = atomic_load_explicit(&l->next_claim, memory_order_relaxed);
  do {
    if (b >= l->n_blocks) return OUTPUT_LANE_ALL_CLAIMED;
    if (b >= atomic_load_explicit(&l->written, memory_order_acquire) + l->n_slots)
      return OUTPUT_LANE_FULL;
  } while (!atomic_compare_exchange_weak_explicit(&l->next_claim, &b, b + 1, memory_order_relaxed,
                                                  memory_order_relaxed));
  output_item *items = l->items[thread];
  size_t m = output_block_items(l->t, l->rows, l->n, b * OUTPUT_BLOCK_ROWS, items);
  output_format_slice(l->f, items, 0, m, l->f->parsers[thread], &l->slots[b % l->n_slots]);
  atomic_store_explicit(&l->ready[b % l->n_slots], b + 1, memory_order_release);
  return OUTPUT_LANE_FORMATTED;
}

/* Thread 0: writes the blocks in order, formatting one itself when the next is not ready. */
static void output_lane_write(output_lane *l, int thread) {
  for (size_t b = 0; b < l->n_blocks;) {
    if (atomic_load_explicit(&l->ready[b % l->n_slots], memory_order_acquire) == b + 1) {
      const lr_buf *slot = &l->slots[b % l->n_slots];
      csvw_write(l->f->w, slot->data, slot->len);
      atomic_store_explicit(&l->written, ++b, memory_order_release);
    } else if (output_lane_format_one(l, thread) != OUTPUT_LANE_FORMATTED) {
      par_pause();
    }
  }
}

static void output_lane_help(output_lane *l, int thread) {
  int got;
  while ((got = output_lane_format_one(l, thread)) != OUTPUT_LANE_ALL_CLAIMED)
    if (got == OUTPUT_LANE_FULL) par_pause();
}

/* Appends src's files to dst, in order. */
static int output_pending_append(output_pending *dst, output_pending *src, lr_err *err) {
  for (size_t i = 0; i < src->n; i++) {
    if (dst->n == OUTPUT_MAX_PENDING) {
      output_pending_abort(src);
      return lr_err_set(err, LR_ERR_OUTPUT, "too many output files pending");
    }
    dst->files[dst->n++] = src->files[i];
  }
  src->n = 0;
  return LR_OK;
}

static int output_write_lanes(const table *t, const scan_header *hdr, const schema *s,
                              scan_rederiver *rd, const uint32_t *ranked, size_t n_ranked,
                              const output_config *cfg, lr_err *err) {
  output_file *f;
  int rc = output_file_open(cfg, OUTPUT_RANKED, t, hdr, NULL, &f, err);
  if (rc != LR_OK) return rc;
  output_pending side_pending = { .n = 0 };
  output_config side = *cfg;
  side.n_threads = 1;
  side.pending = &side_pending;
  output_lane l = { .f = f, .t = t, .rows = ranked, .n = n_ranked,
                    .n_blocks = (n_ranked + OUTPUT_BLOCK_ROWS - 1) / OUTPUT_BLOCK_ROWS,
                    .n_slots = 2 * (size_t)cfg->n_threads };
  l.slots = lr_xcalloc(l.n_slots, sizeof *l.slots);
  l.ready = lr_xmalloc(l.n_slots * sizeof *l.ready);
  for (size_t k = 0; k < l.n_slots; k++) atomic_init(&l.ready[k], 0);
  l.items = lr_xcalloc((size_t)cfg->n_threads, sizeof *l.items);
  atomic_init(&l.next_claim, 0);
  atomic_init(&l.written, 0);
  lr_err side_err;
  int side_rc = LR_OK;
#pragma omp parallel num_threads(cfg->n_threads)
  {
    int thread = par_thread_num(), team = par_team_size();
    l.items[thread] = lr_xmalloc(OUTPUT_BLOCK_ROWS * sizeof **l.items);
    /* a team of one (OPENMP=0, a thread limit) does both lanes on thread 0 */
    if (thread == (team > 1 ? 1 : 0)) side_rc = output_write_side(&side, t, hdr, s, rd, &side_err);
    if (thread == 0) output_lane_write(&l, thread);
    else output_lane_help(&l, thread);
  }
  for (int k = 0; k < cfg->n_threads; k++) free(l.items[k]);
  free(l.items);
  for (size_t k = 0; k < l.n_slots; k++) lr_buf_release(&l.slots[k]);
  free(l.slots);
  free(l.ready);
  if (side_rc != LR_OK) {
    output_file_abort(f);
    output_pending_abort(&side_pending);
    *err = side_err;
    return side_rc;
  }
  rc = output_file_finish(f, err);
  if (rc != LR_OK) {
    output_pending_abort(&side_pending);
    return rc;
  }
  return output_pending_append(cfg->pending, &side_pending, err);
}

int output_write_scored(const table *t, const scan_header *hdr, const scan_config *scan,
                        const schema *s, const uint32_t *ranked, size_t n_ranked,
                        const output_config *cfg, lr_err *err) {
  scan_rederiver *rd = scan_rederiver_new(t, scan, hdr);
  int rc;
  if (cfg->n_threads >= 2) {
    rc = output_write_lanes(t, hdr, s, rd, ranked, n_ranked, cfg, err);
  } else {
    rc = output_write_rows(cfg, OUTPUT_RANKED, t, hdr, NULL, NULL, ranked, n_ranked, err);
    if (rc == LR_OK) rc = output_write_side(cfg, t, hdr, s, rd, err);
  }
  scan_rederiver_free(rd);
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

/* The PID of a spill directory's name ".leadrank-spill-PID" (spill.h), or 0. */
static long output_spill_pid(const char *entry) {
  static const char prefix[] = ".leadrank-spill-";
  if (strncmp(entry, prefix, sizeof prefix - 1) != 0) return 0;
  const char *digits = entry + sizeof prefix - 1;
  char *end;
  long pid = strtol(digits, &end, 10);
  return end != digits && *end == '\0' && pid > 0 ? pid : 0;
}

void output_remove_stale_temps(const char *outdir) {
  DIR *d = opendir(outdir);
  if (d == NULL) return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    long pid = output_temp_pid(e->d_name), spill_pid = output_spill_pid(e->d_name);
    if (spill_pid != 0) pid = spill_pid;
    if (pid == 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", outdir, e->d_name);
    /* a spill directory holds only nameless files, so it is empty */
    if ((spill_pid != 0 ? rmdir(path) : unlink(path)) == 0)
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
