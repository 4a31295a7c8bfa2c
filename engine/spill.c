/* spill.c — the bounded-memory run (spill.h): rows spooled in input order, compact keys
 * sorted out of core, the fate of every row settled from the sorted keys, then the outputs
 * written from the sorted ranking records and one pass over the spool. Owns the spill
 * directory, the spool, the sorters and the per-row fate bytes. */
#include "spill.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "extsort.h"
#include "radix.h"
#include "spool.h"

/* A row's fate after uniqueness and dedupe: as scanned, rejected by unique slot k
 * (SPILL_FATE_UNIQUE + k), or a duplicate. */
enum { SPILL_FATE_SCANNED = 0, SPILL_FATE_UNIQUE = 1, SPILL_FATE_DUPLICATE = 255 };
#define SPILL_MAX_UNIQUE (SPILL_FATE_DUPLICATE - SPILL_FATE_UNIQUE)

#define SPILL_SPOOL_BUFFER ((size_t)1 << 20)
/* A block of output items is written when it holds this much text. */
#define SPILL_BLOCK_TEXT ((size_t)8 << 20)

struct spill {
  spill_config cfg;
  char dir[4096];
  int dir_made;
  size_t sort_memory;      /* what the sorters may hold, together */
  spool *rows;             /* every row in input order: its table_row, then its text */
  extsort **unique;        /* [n_unique]: (row, value) */
  extsort *dedupe;         /* (row, created_at, lead_id length, lead_id, key) */
  extsort *ranked;         /* (priority key, row, lead_id length, lead_id, table_row, text) */
  unsigned char *fate;     /* [n_rows] */
  size_t n_rows, fate_cap;
  lr_buf rec;              /* the record being built */
};

size_t spill_text_window(size_t memory_bytes, size_t max_record_bytes) {
  size_t floor = 2 * max_record_bytes + ((size_t)24 << 20); /* two records and a batch */
  return memory_bytes / 4 > floor ? memory_bytes / 4 : floor;
}

/* ---- record layouts and their orders ---------------------------------------------- */

static uint64_t spill_get_u64(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

static uint32_t spill_get_u32(const unsigned char *p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

static int spill_cmp_u64(uint64_t a, uint64_t b) { return a < b ? -1 : a > b; }

/* Bytewise, a proper prefix first (memcmp order on the whole strings). */
static int spill_cmp_bytes(const unsigned char *a, size_t a_len, const unsigned char *b, size_t b_len) {
  int c = memcmp(a, b, a_len < b_len ? a_len : b_len);
  if (c != 0) return c;
  return a_len < b_len ? -1 : a_len > b_len;
}

/* unique: [u64 row][value] by (value, row) */
static int spill_cmp_unique(const void *a, size_t a_len, const void *b, size_t b_len, void *arg) {
  (void)arg;
  const unsigned char *x = a, *y = b;
  int c = spill_cmp_bytes(x + 8, a_len - 8, y + 8, b_len - 8);
  return c != 0 ? c : spill_cmp_u64(spill_get_u64(x), spill_get_u64(y));
}

/* dedupe: [u64 row][i32 created][u32 id_len][id][key] by (key, created descending, row) */
#define SPILL_DEDUPE_HEAD 16
static int spill_cmp_dedupe(const void *a, size_t a_len, const void *b, size_t b_len, void *arg) {
  (void)arg;
  const unsigned char *x = a, *y = b;
  size_t xk = SPILL_DEDUPE_HEAD + spill_get_u32(x + 12), yk = SPILL_DEDUPE_HEAD + spill_get_u32(y + 12);
  int c = spill_cmp_bytes(x + xk, a_len - xk, y + yk, b_len - yk);
  if (c != 0) return c;
  int32_t cx = (int32_t)spill_get_u32(x + 8), cy = (int32_t)spill_get_u32(y + 8);
  if (cx != cy) return cx > cy ? -1 : 1;
  return spill_cmp_u64(spill_get_u64(x), spill_get_u64(y));
}

/* ranked: [u64 priority key][u64 row][u32 id_len][id][table_row][text] by (priority
 * descending — radix_key_descending's order —, lead_id, row): rank.c's order */
#define SPILL_RANKED_HEAD 20
static int spill_cmp_ranked(const void *a, size_t a_len, const void *b, size_t b_len, void *arg) {
  (void)arg;
  (void)a_len;
  (void)b_len;
  const unsigned char *x = a, *y = b;
  int c = spill_cmp_u64(spill_get_u64(x), spill_get_u64(y));
  if (c != 0) return c;
  c = spill_cmp_bytes(x + SPILL_RANKED_HEAD, spill_get_u32(x + 16), y + SPILL_RANKED_HEAD, spill_get_u32(y + 16));
  return c != 0 ? c : spill_cmp_u64(spill_get_u64(x + 8), spill_get_u64(y + 8));
}

/* duplicate_of: [u64 row][kept lead_id] by row */
static int spill_cmp_dup_of(const void *a, size_t a_len, const void *b, size_t b_len, void *arg) {
  (void)arg;
  (void)a_len;
  (void)b_len;
  return spill_cmp_u64(spill_get_u64(a), spill_get_u64(b));
}

static void spill_put_u64(lr_buf *b, uint64_t v) { lr_buf_put(b, (const char *)&v, sizeof v); }
static void spill_put_u32(lr_buf *b, uint32_t v) { lr_buf_put(b, (const char *)&v, sizeof v); }

/* ---- collecting ----------------------------------------------------------------- */

int spill_new(const spill_config *cfg, spill **out, lr_err *err) {
  *out = NULL;
  if (cfg->n_unique > SPILL_MAX_UNIQUE)
    return lr_err_set(err, LR_ERR_SCHEMA, "--memory handles at most %d unique fields, not %zu",
                      SPILL_MAX_UNIQUE, cfg->n_unique);
  spill *s = lr_xcalloc(1, sizeof *s);
  s->cfg = *cfg;
  snprintf(s->dir, sizeof s->dir, "%s/.leadrank-spill-%ld", cfg->outdir, (long)getpid());
  int rc = LR_OK;
  if (mkdir(s->dir, 0700) != 0) {
    rc = lr_err_set(err, LR_ERR_OUTPUT, "%s: cannot create the spill directory: %s", s->dir, strerror(errno));
    goto fail;
  }
  s->dir_made = 1;
  /* what the text window leaves: the ranking records carry whole rows, half; dedupe a
   * quarter; the unique fields share the last quarter (the duplicate_of sort reuses it
   * once they are done) */
  size_t window = spill_text_window(cfg->memory_bytes, cfg->max_record_bytes);
  size_t quarter = (cfg->memory_bytes > window ? cfg->memory_bytes - window : 0) / 4;
  if ((rc = spool_new(s->dir, SPILL_SPOOL_BUFFER, &s->rows, err)) != LR_OK) goto fail;
  s->unique = lr_xcalloc(cfg->n_unique + 1, sizeof *s->unique);
  for (size_t k = 0; k < cfg->n_unique; k++)
    if ((rc = extsort_new(s->dir, quarter / cfg->n_unique, spill_cmp_unique, NULL, &s->unique[k], err)) != LR_OK)
      goto fail;
  if (cfg->scoring) {
    if ((rc = extsort_new(s->dir, quarter, spill_cmp_dedupe, NULL, &s->dedupe, err)) != LR_OK) goto fail;
    if ((rc = extsort_new(s->dir, 2 * quarter, spill_cmp_ranked, NULL, &s->ranked, err)) != LR_OK) goto fail;
  }
  s->sort_memory = quarter;
  *out = s;
  return LR_OK;
fail:
  spill_free(s);
  return rc;
}

int spill_put_row(void *arg, const table_row *row, const char *text, const scan_keys *keys, lr_err *err) {
  spill *s = arg;
  uint64_t pos = s->n_rows;
  if (s->n_rows == s->fate_cap) {
    s->fate_cap = s->fate_cap ? 2 * s->fate_cap : ((size_t)1 << 16);
    s->fate = lr_xrealloc(s->fate, s->fate_cap);
  }
  s->fate[s->n_rows++] = SPILL_FATE_SCANNED;
  lr_buf *r = &s->rec;
  r->len = 0;
  lr_buf_put(r, (const char *)row, sizeof *row);
  lr_buf_put(r, text, row->len);
  int rc = spool_put(s->rows, r->data, r->len, err);
  if (rc != LR_OK || keys == NULL) return rc;
  for (size_t k = 0; k < s->cfg.n_unique && rc == LR_OK; k++) {
    if (!keys->unique_present[k]) continue;
    r->len = 0;
    spill_put_u64(r, pos);
    lr_buf_put(r, keys->unique[k].ptr, keys->unique[k].len);
    rc = extsort_add(s->unique[k], r->data, r->len, err);
  }
  if (rc != LR_OK || !s->cfg.scoring) return rc;
  if (keys->dedupe_key.len > 0) {
    r->len = 0;
    spill_put_u64(r, pos);
    spill_put_u32(r, (uint32_t)row->created);
    spill_put_u32(r, (uint32_t)keys->lead_id.len);
    lr_buf_put(r, keys->lead_id.ptr, keys->lead_id.len);
    lr_buf_put(r, keys->dedupe_key.ptr, keys->dedupe_key.len);
    if ((rc = extsort_add(s->dedupe, r->data, r->len, err)) != LR_OK) return rc;
  }
  if (row->score.disqualify != DQ_NONE) return LR_OK;
  r->len = 0;
  spill_put_u64(r, radix_key_descending(row->score.priority));
  spill_put_u64(r, pos);
  spill_put_u32(r, (uint32_t)keys->lead_id.len);
  lr_buf_put(r, keys->lead_id.ptr, keys->lead_id.len);
  lr_buf_put(r, (const char *)row, sizeof *row);
  lr_buf_put(r, text, row->len);
  return extsort_add(s->ranked, r->data, r->len, err);
}

/* ---- settling ------------------------------------------------------------------- */

/* -v: one line per sort once it has all its records. */
static void spill_report(const spill *s, const char *what, const extsort *x) {
  if (s->cfg.verbose)
    fprintf(stderr, "leadrank: spill %-10s %llu sorted runs on disk\n", what, (unsigned long long)extsort_runs(x));
}

/* The key of the current group while a sorted stream is read. */
typedef struct spill_group {
  lr_buf key;
  int started;
} spill_group;

/* 1 when key starts a new group (it differs from the last one, which it replaces). */
static int spill_group_next(spill_group *g, const unsigned char *key, size_t len) {
  if (g->started && spill_cmp_bytes(key, len, (const unsigned char *)g->key.data, g->key.len) == 0) return 0;
  g->key.len = 0;
  lr_buf_put(&g->key, (const char *)key, len);
  g->started = 1;
  return 1;
}

/* Unique slot k: of the rows still as scanned that share a value, the first keeps it. */
static int spill_settle_unique(spill *s, size_t k, lr_err *err) {
  extsort *x = s->unique[k];
  int rc = extsort_finish(x, err);
  spill_report(s, "unique", x);
  spill_group value = { { 0 }, 0 };
  int kept = 0;
  const void *rec;
  size_t len;
  int got = 0;
  while (rc == LR_OK && (got = extsort_next(x, &rec, &len, err)) == 1) {
    const unsigned char *p = rec;
    if (spill_group_next(&value, p + 8, len - 8)) kept = 0;
    uint64_t pos = spill_get_u64(p);
    if (s->fate[pos] != SPILL_FATE_SCANNED) continue;
    if (kept) s->fate[pos] = (unsigned char)(SPILL_FATE_UNIQUE + k);
    kept = 1;
  }
  if (rc == LR_OK) rc = got; /* 0 at the end, else the error */
  lr_buf_release(&value.key);
  extsort_free(x);
  s->unique[k] = NULL;
  return rc;
}

/* Dedupe: of the rows still as scanned that share a key, the first in (created_at
 * descending, row) order is kept; the others become its duplicates, and (row, kept
 * lead_id) goes to *dup_of. */
static int spill_settle_dedupe(spill *s, extsort *dup_of, lr_err *err) {
  extsort *x = s->dedupe;
  int rc = extsort_finish(x, err);
  spill_report(s, "dedupe", x);
  spill_group key = { { 0 }, 0 };
  lr_buf kept_id = { 0 }, r = { 0 };
  int kept = 0;
  const void *rec;
  size_t len;
  int got = 0;
  while (rc == LR_OK && (got = extsort_next(x, &rec, &len, err)) == 1) {
    const unsigned char *p = rec;
    size_t id_len = spill_get_u32(p + 12), key_at = SPILL_DEDUPE_HEAD + id_len;
    if (spill_group_next(&key, p + key_at, len - key_at)) kept = 0;
    uint64_t pos = spill_get_u64(p);
    if (s->fate[pos] != SPILL_FATE_SCANNED) continue;
    if (!kept) {
      kept_id.len = 0;
      lr_buf_put(&kept_id, (const char *)p + SPILL_DEDUPE_HEAD, id_len);
      kept = 1;
      continue;
    }
    s->fate[pos] = SPILL_FATE_DUPLICATE;
    r.len = 0;
    spill_put_u64(&r, pos);
    lr_buf_put(&r, kept_id.data, kept_id.len);
    rc = extsort_add(dup_of, r.data, r.len, err);
  }
  if (rc == LR_OK) rc = got;
  lr_buf_release(&key.key);
  lr_buf_release(&kept_id);
  lr_buf_release(&r);
  extsort_free(x);
  s->dedupe = NULL;
  return rc;
}

/* ---- writing -------------------------------------------------------------------- */

/* A block of items for one output file. Rows are copied to aligned slots (records hold
 * them at any offset); texts and kept ids go to arenas, addressed by offset until the
 * block is written (an arena moves when it grows). */
typedef struct spill_block {
  output_file *file;
  output_item *items;
  table_row *rows;
  size_t *text_at, *id_at;
  lr_buf texts, ids;
  size_t n;
} spill_block;

static void spill_block_init(spill_block *b, output_file *f) {
  memset(b, 0, sizeof *b);
  b->file = f;
  b->items = lr_xmalloc(OUTPUT_BLOCK_ROWS * sizeof *b->items);
  b->rows = lr_xmalloc(OUTPUT_BLOCK_ROWS * sizeof *b->rows);
  b->text_at = lr_xmalloc(OUTPUT_BLOCK_ROWS * sizeof *b->text_at);
  b->id_at = lr_xmalloc(OUTPUT_BLOCK_ROWS * sizeof *b->id_at);
}

static void spill_block_flush(spill_block *b) {
  for (size_t i = 0; i < b->n; i++) {
    b->items[i].row = &b->rows[i];
    b->items[i].text = b->texts.data + b->text_at[i];
    b->items[i].kept_id.ptr = b->ids.data != NULL ? b->ids.data + b->id_at[i] : "";
  }
  output_file_write(b->file, b->items, b->n);
  b->n = 0;
  b->texts.len = 0;
  b->ids.len = 0;
}

static void spill_block_add(spill_block *b, const table_row *row, const char *text, const char *id,
                            size_t id_len, uint64_t rank) {
  size_t i = b->n++;
  b->rows[i] = *row;
  b->text_at[i] = b->texts.len;
  lr_buf_put(&b->texts, text, row->len);
  b->id_at[i] = b->ids.len;
  lr_buf_put(&b->ids, id, id_len);
  b->items[i] = (output_item){ .kept_id = { NULL, id_len }, .rank = rank };
  if (b->n == OUTPUT_BLOCK_ROWS || b->texts.len >= SPILL_BLOCK_TEXT) spill_block_flush(b);
}

/* Frees the block's buffers and returns its file (the block is then empty). */
static output_file *spill_block_release(spill_block *b) {
  free(b->items);
  free(b->rows);
  free(b->text_at);
  free(b->id_at);
  lr_buf_release(&b->texts);
  lr_buf_release(&b->ids);
  output_file *f = b->file;
  b->file = NULL;
  return f;
}

/* Writes what is left, frees the block and hands its file to the pending outputs. */
static int spill_block_finish(spill_block *b, lr_err *err) {
  if (b->n > 0) spill_block_flush(b);
  return output_file_finish(spill_block_release(b), err);
}

static void spill_block_abort(spill_block *b) {
  if (b->file != NULL) output_file_abort(spill_block_release(b));
}

/* ranked.csv: the ranking records in order, without the rows settled out. */
static int spill_write_ranked(spill *s, const table *t, const scan_header *hdr, const output_config *cfg,
                              lr_err *err) {
  output_file *f;
  int rc = extsort_finish(s->ranked, err);
  spill_report(s, "ranked", s->ranked);
  if (rc == LR_OK) rc = output_file_open(cfg, OUTPUT_RANKED, t, hdr, NULL, &f, err);
  if (rc != LR_OK) return rc;
  spill_block b;
  spill_block_init(&b, f);
  uint64_t rank = 0;
  const void *rec;
  size_t len;
  int got;
  while ((got = extsort_next(s->ranked, &rec, &len, err)) == 1) {
    const unsigned char *p = rec;
    if (s->fate[spill_get_u64(p + 8)] != SPILL_FATE_SCANNED) continue;
    size_t row_at = SPILL_RANKED_HEAD + spill_get_u32(p + 16);
    table_row row;
    memcpy(&row, p + row_at, sizeof row);
    spill_block_add(&b, &row, (const char *)p + row_at + sizeof row, NULL, 0, ++rank);
  }
  if ((rc = got) != LR_OK) {
    spill_block_abort(&b);
    return rc;
  }
  extsort_free(s->ranked);
  s->ranked = NULL;
  return spill_block_finish(&b, err);
}

/* The row as the in-memory stages would have left it (unique.c, dedupe.c). */
static void spill_apply_fate(const spill *s, unsigned char fate, table_row *row) {
  if (fate == SPILL_FATE_DUPLICATE) {
    row->status = ROW_DUPLICATE;
  } else if (fate != SPILL_FATE_SCANNED) {
    long field = s->cfg.unique_fields[fate - SPILL_FATE_UNIQUE];
    row->status = ROW_REJECTED;
    row->reason = field == s->cfg.lead_id_field ? LR_REASON_DUPLICATE_LEAD_ID : LR_REASON_DUPLICATE;
    row->reason_field = (int16_t)field;
  }
}

/* The spool in input order: disqualified, duplicates and rejects, and every row tallied. */
static int spill_write_rest(spill *s, const table *t, const scan_header *hdr, const schema *leads_schema,
                            const output_config *cfg, extsort *dup_of, summary_tally *tally,
                            lr_err *err) {
  enum { DISQ, DUP, REJ, N_FILES };
  static const int kinds[N_FILES] = { OUTPUT_DISQUALIFIED, OUTPUT_DUPLICATES, OUTPUT_REJECTS };
  spill_block blocks[N_FILES];
  memset(blocks, 0, sizeof blocks);
  int rc = spool_rewind(s->rows, err);
  if (rc == LR_OK && dup_of != NULL) rc = extsort_finish(dup_of, err);
  for (int k = s->cfg.scoring ? DISQ : REJ; k < N_FILES && rc == LR_OK; k++) {
    output_file *f;
    rc = output_file_open(cfg, kinds[k], t, hdr, leads_schema, &f, err);
    if (rc == LR_OK) spill_block_init(&blocks[k], f);
  }
  const void *rec, *dup_rec = NULL;
  size_t len, dup_len = 0;
  for (uint64_t pos = 0; rc == LR_OK; pos++) {
    int got = spool_next(s->rows, &rec, &len, err);
    if (got != 1) {
      rc = got; /* 0 at the end, else the error */
      break;
    }
    table_row row;
    memcpy(&row, rec, sizeof row);
    const char *text = (const char *)rec + sizeof row;
    spill_apply_fate(s, s->fate[pos], &row);
    summary_tally_row(tally, &row);
    if (row.status == ROW_REJECTED) {
      spill_block_add(&blocks[REJ], &row, text, NULL, 0, 0);
    } else if (row.status == ROW_DUPLICATE) {
      /* duplicate_of records come in row order, one per duplicate */
      int got_dup = extsort_next(dup_of, &dup_rec, &dup_len, err);
      if (got_dup != 1) {
        rc = got_dup != 0 ? got_dup : lr_err_set(err, LR_ERR_OUTPUT, "spill: a duplicate's kept row is missing");
        break;
      }
      spill_block_add(&blocks[DUP], &row, text, (const char *)dup_rec + 8, dup_len - 8, 0);
    } else if (s->cfg.scoring && row.score.disqualify != DQ_NONE) {
      spill_block_add(&blocks[DISQ], &row, text, NULL, 0, 0);
    }
  }
  for (int k = 0; k < N_FILES; k++) {
    if (blocks[k].file == NULL) continue;
    if (rc == LR_OK) rc = spill_block_finish(&blocks[k], err);
    else spill_block_abort(&blocks[k]);
  }
  return rc;
}

int spill_write_outputs(spill *s, const table *t, const scan_header *hdr, const schema *leads_schema,
                        const output_config *cfg, summary_tally *tally, lr_err *err) {
  int rc = LR_OK;
  for (size_t k = 0; k < s->cfg.n_unique && rc == LR_OK; k++) rc = spill_settle_unique(s, k, err);
  extsort *dup_of = NULL;
  if (rc == LR_OK && s->cfg.scoring) {
    rc = extsort_new(s->dir, s->sort_memory, spill_cmp_dup_of, NULL, &dup_of, err);
    if (rc == LR_OK) rc = spill_settle_dedupe(s, dup_of, err);
    if (rc == LR_OK) rc = spill_write_ranked(s, t, hdr, cfg, err);
  }
  if (rc == LR_OK) rc = spill_write_rest(s, t, hdr, leads_schema, cfg, dup_of, tally, err);
  extsort_free(dup_of);
  if (rc == LR_OK) tally->blank_lines += (long long)t->blank_lines;
  return rc;
}

void spill_free(spill *s) {
  if (s == NULL) return;
  spool_free(s->rows);
  if (s->unique != NULL)
    for (size_t k = 0; k < s->cfg.n_unique; k++) extsort_free(s->unique[k]);
  free(s->unique);
  extsort_free(s->dedupe);
  extsort_free(s->ranked);
  free(s->fate);
  lr_buf_release(&s->rec);
  /* the spilled files have no names (spool.h): the directory is empty */
  if (s->dir_made && rmdir(s->dir) != 0)
    fprintf(stderr, "leadrank: warning: cannot remove %s: %s\n", s->dir, strerror(errno));
  free(s);
}
