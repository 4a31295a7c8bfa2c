/* extsort.c — external merge sort of variable-length records (extsort.h).
 *
 * Owns: the block (record bytes from the front, the index from the back), the runs (each
 * a spool with its tier), the final merge's readers and heap, and the first error.
 *
 * The block: records are appended at mem[0, used); the index entry of the i-th record
 * added since the last spill sits at the back, slot i counted from the end, so both ends
 * grow towards each other and one capacity check (used + 2 * n * entry <= cap) covers
 * bytes, index and the merge sort's scratch. Sorting reverses the index into add order
 * and merge-sorts it bottom up (stable: on equal records the left, earlier one goes
 * first) with the free middle of the block as scratch. The block grows by doubling up to
 * its share of the budget, so a small sort touches little memory.
 *
 * Runs and tiers: a spilled run is tier 0; F consecutive runs of tier t merge into one of
 * tier t + 1 (a base-F counter), so each record is rewritten about log_F(runs) times, the
 * fewest a merge with F buffers allows, and at most (F - 1) runs per tier stay open.
 */
#include "extsort.h"

#include <stdlib.h>
#include <string.h>

enum extsort_state { EXTSORT_ADDING, EXTSORT_IN_MEMORY, EXTSORT_MERGING };

#define EXTSORT_BLOCK_FIRST ((size_t)64 << 10) /* the block's first capacity */
#define EXTSORT_INSERTION 8                   /* index slices insertion-sorted before merging */
#define EXTSORT_FULL (-1)                     /* extsort_block_room: spill first */

typedef struct extsort_entry {
  size_t off; /* record bytes at mem + off */
  size_t len;
} extsort_entry;

typedef struct extsort_run {
  spool *sp;     /* rewound: holds no buffer until read */
  unsigned tier; /* 0 spilled; t + 1 merged from F runs of tier t */
} extsort_run;

typedef struct extsort_reader {
  spool *sp;       /* not owned (the run's) */
  const void *rec; /* its current record */
  size_t len;
} extsort_reader;

/* A k-way merge: a min-heap of reader numbers ordered by (record, reader number). */
typedef struct extsort_merger {
  extsort_reader *readers;
  size_t *heap;
  size_t n_heap;
  int pending; /* heap[0]'s record was handed out: advance it at the next call */
} extsort_merger;

struct extsort {
  extsort_cmp_fn cmp;
  void *arg;
  char *dir;            /* where runs go, for spool_new */
  size_t memory_bytes;  /* the budget */
  size_t fanin;         /* F */
  size_t write_bytes;   /* buffer of a run being spilled */
  int state;            /* enum extsort_state */

  unsigned char *mem;   /* the block, NULL until the first add (and after tier merges) */
  size_t cap;           /* its capacity, a multiple of sizeof(extsort_entry) */
  size_t cap_max;       /* memory_bytes - write_bytes, rounded down likewise */
  size_t used;          /* record bytes at its front */
  size_t n_entries;     /* records in it */

  extsort_entry *sorted; /* EXTSORT_IN_MEMORY: the sorted index (inside mem) */
  size_t next_entry;     /* EXTSORT_IN_MEMORY: the next one to hand out */

  extsort_run *runs;    /* in add order: run i holds records added before run i + 1's */
  size_t n_runs, runs_cap;
  uint64_t n_spilled;   /* extsort_runs */
  uint64_t n_merged;    /* extsort_merges */
  extsort_merger final; /* EXTSORT_MERGING */

  lr_err failed;        /* the first error; inner functions write it directly */
};

static size_t extsort_min(size_t a, size_t b) { return a < b ? a : b; }

int extsort_new(const char *dir, size_t memory_bytes, extsort_cmp_fn cmp, void *arg, extsort **out, lr_err *err) {
  (void)err;
  extsort *s = lr_xcalloc(1, sizeof *s);
  s->cmp = cmp;
  s->arg = arg;
  s->dir = lr_xstrndup(dir, strlen(dir));
  s->memory_bytes = memory_bytes < EXTSORT_MEMORY_MIN ? EXTSORT_MEMORY_MIN : memory_bytes;
  size_t f = s->memory_bytes / EXTSORT_READER_MIN;
  s->fanin = f < 3 ? 2 : extsort_min(f - 1, EXTSORT_FANIN_MAX);
  s->write_bytes = extsort_min(s->memory_bytes / 16, EXTSORT_BUFFER_MAX);
  s->cap_max = (s->memory_bytes - s->write_bytes) / sizeof(extsort_entry) * sizeof(extsort_entry);
  s->state = EXTSORT_ADDING;
  lr_err_clear(&s->failed);
  *out = s;
  return LR_OK;
}

/* ---- the block ---------------------------------------------------------------------- */

static extsort_entry *extsort_slot(const extsort *s, size_t i) {
  return (extsort_entry *)(void *)(s->mem + s->cap) - (i + 1);
}

static int extsort_entry_cmp(const extsort *s, const extsort_entry *a, const extsort_entry *b) {
  return s->cmp(s->mem + a->off, a->len, s->mem + b->off, b->len, s->arg);
}

/* Sorts the index stably; returns the sorted array (in the index's place or the scratch
 * just below it). */
static extsort_entry *extsort_sort_block(extsort *s) {
  size_t n = s->n_entries;
  extsort_entry *a = extsort_slot(s, n - 1), *b = a - n; /* a: slots n-1..0; b: scratch */
  for (size_t i = 0, j = n - 1; i < j; i++, j--) {
    extsort_entry t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  for (size_t lo = 0; lo < n; lo += EXTSORT_INSERTION) {
    size_t hi = extsort_min(lo + EXTSORT_INSERTION, n);
    for (size_t i = lo + 1; i < hi; i++) {
      extsort_entry t = a[i];
      size_t j = i;
      for (; j > lo && extsort_entry_cmp(s, &t, &a[j - 1]) < 0; j--) a[j] = a[j - 1];
      a[j] = t;
    }
  }
  for (size_t width = EXTSORT_INSERTION; width < n; width *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * width) {
      size_t mid = extsort_min(lo + width, n), hi = extsort_min(lo + 2 * width, n), i = lo, j = mid, k = lo;
      while (i < mid && j < hi) b[k++] = extsort_entry_cmp(s, &a[j], &a[i]) < 0 ? a[j++] : a[i++];
      while (i < mid) b[k++] = a[i++];
      while (j < hi) b[k++] = a[j++];
    }
    extsort_entry *t = a;
    a = b;
    b = t;
  }
  return a;
}

/* Makes room for a record of len bytes (len + 2 entries fit in cap_max): grows the block,
 * else returns EXTSORT_FULL (spill first). */
static int extsort_block_room(extsort *s, size_t len) {
  size_t need = s->used + len + 2 * (s->n_entries + 1) * sizeof(extsort_entry);
  if (need <= s->cap) return LR_OK;
  if (s->cap == s->cap_max) return EXTSORT_FULL;
  size_t cap = s->cap ? 2 * s->cap : EXTSORT_BLOCK_FIRST;
  if (cap < need) cap = need;
  cap = (cap + sizeof(extsort_entry) - 1) / sizeof(extsort_entry) * sizeof(extsort_entry);
  if (cap > s->cap_max) cap = s->cap_max;
  if (cap < need) return EXTSORT_FULL;
  unsigned char *mem = realloc(s->mem, cap);
  if (mem == NULL)
    return lr_err_set(&s->failed, LR_ERR_MEMORY, "cannot allocate %zu bytes to sort records (memory budget %zu)",
                      cap, s->memory_bytes);
  size_t index_bytes = s->n_entries * sizeof(extsort_entry);
  memmove(mem + cap - index_bytes, mem + s->cap - index_bytes, index_bytes);
  s->mem = mem;
  s->cap = cap;
  return LR_OK;
}

static void extsort_block_drop(extsort *s) {
  free(s->mem);
  s->mem = NULL;
  s->cap = s->used = s->n_entries = 0;
}

/* ---- runs --------------------------------------------------------------------------- */

static void extsort_push_run(extsort *s, spool *sp, unsigned tier) {
  if (s->n_runs == s->runs_cap) {
    s->runs_cap = s->runs_cap ? 2 * s->runs_cap : 16;
    s->runs = lr_xrealloc(s->runs, s->runs_cap * sizeof *s->runs);
  }
  s->runs[s->n_runs++] = (extsort_run){ sp, tier };
}

/* Writes records (the sorted block, or one record) as a new tier-0 run. */
static int extsort_write_run(extsort *s, const extsort_entry *order, size_t n, const void *one, size_t one_len) {
  spool *sp;
  int rc = spool_new(s->dir, s->write_bytes, &sp, &s->failed);
  if (rc != LR_OK) return rc;
  if (order != NULL) {
    for (size_t i = 0; i < n && rc == LR_OK; i++) rc = spool_put(sp, s->mem + order[i].off, order[i].len, &s->failed);
  } else {
    rc = spool_put(sp, one, one_len, &s->failed);
  }
  if (rc == LR_OK) rc = spool_rewind(sp, &s->failed); /* flushes, frees the write buffer */
  if (rc != LR_OK) {
    spool_free(sp);
    return rc;
  }
  extsort_push_run(s, sp, 0);
  s->n_spilled++;
  return LR_OK;
}

static int extsort_merger_less(const extsort *s, const extsort_merger *m, size_t i, size_t j) {
  const extsort_reader *a = &m->readers[i], *b = &m->readers[j];
  int c = s->cmp(a->rec, a->len, b->rec, b->len, s->arg);
  return c < 0 || (c == 0 && i < j);
}

static void extsort_merger_sift(const extsort *s, extsort_merger *m, size_t i) {
  size_t n = m->n_heap, *h = m->heap;
  for (;;) {
    size_t l = 2 * i + 1, best = i;
    if (l < n && extsort_merger_less(s, m, h[l], h[best])) best = l;
    if (l + 1 < n && extsort_merger_less(s, m, h[l + 1], h[best])) best = l + 1;
    if (best == i) return;
    size_t t = h[i];
    h[i] = h[best];
    h[best] = t;
    i = best;
  }
}

static void extsort_merger_free(extsort_merger *m) {
  free(m->readers);
  free(m->heap);
  memset(m, 0, sizeof *m);
}

/* Starts merging runs[first, first + k): each reader gets a buffer of buffer_bytes. */
static int extsort_merger_start(extsort *s, extsort_merger *m, size_t first, size_t k, size_t buffer_bytes) {
  m->readers = lr_xcalloc(k, sizeof *m->readers);
  m->heap = lr_xcalloc(k, sizeof *m->heap);
  m->n_heap = 0;
  m->pending = 0;
  for (size_t i = 0; i < k; i++) {
    extsort_reader *r = &m->readers[i];
    r->sp = s->runs[first + i].sp;
    spool_set_buffer(r->sp, buffer_bytes);
    int rc = spool_next(r->sp, &r->rec, &r->len, &s->failed);
    if (rc == 1) m->heap[m->n_heap++] = i;
    else if (rc != 0) return rc;
  }
  for (size_t i = m->n_heap / 2; i-- > 0;) extsort_merger_sift(s, m, i);
  return LR_OK;
}

/* The merge's next record, with spool_next's convention. */
static int extsort_merger_next(extsort *s, extsort_merger *m, const void **rec, size_t *len) {
  if (m->pending) {
    extsort_reader *r = &m->readers[m->heap[0]];
    int rc = spool_next(r->sp, &r->rec, &r->len, &s->failed);
    if (rc == 0) m->heap[0] = m->heap[--m->n_heap];
    else if (rc != 1) return rc;
    m->pending = 0;
    extsort_merger_sift(s, m, 0);
  }
  if (m->n_heap == 0) return 0;
  const extsort_reader *top = &m->readers[m->heap[0]];
  *rec = top->rec;
  *len = top->len;
  m->pending = 1;
  return 1;
}

/* Merges runs[first, first + k) into one run of the next tier, in their place. The block
 * must be empty (the merge's buffers take the budget). */
static int extsort_merge_runs(extsort *s, size_t first, size_t k) {
  size_t buffer_bytes = extsort_min(s->memory_bytes / (k + 1), EXTSORT_BUFFER_MAX);
  extsort_merger m = { 0 };
  spool *out = NULL;
  int rc = spool_new(s->dir, buffer_bytes, &out, &s->failed);
  if (rc == LR_OK) rc = extsort_merger_start(s, &m, first, k, buffer_bytes);
  const void *rec;
  size_t len;
  while (rc == LR_OK && (rc = extsort_merger_next(s, &m, &rec, &len)) == 1) rc = spool_put(out, rec, len, &s->failed);
  if (rc == LR_OK) rc = spool_rewind(out, &s->failed);
  extsort_merger_free(&m);
  if (rc != LR_OK) {
    spool_free(out);
    return rc;
  }
  unsigned tier = 0;
  for (size_t i = first; i < first + k; i++) {
    if (s->runs[i].tier + 1 > tier) tier = s->runs[i].tier + 1;
    spool_free(s->runs[i].sp);
  }
  s->runs[first] = (extsort_run){ out, tier };
  memmove(&s->runs[first + 1], &s->runs[first + k], (s->n_runs - first - k) * sizeof *s->runs);
  s->n_runs -= k - 1;
  s->n_merged++;
  return LR_OK;
}

/* While the last F runs share a tier, merges them (the base-F counter). */
static int extsort_merge_tiers(extsort *s) {
  size_t f = s->fanin;
  while (s->n_runs >= f) {
    size_t first = s->n_runs - f;
    for (size_t i = first + 1; i < s->n_runs; i++)
      if (s->runs[i].tier != s->runs[first].tier) return LR_OK;
    extsort_block_drop(s);
    int rc = extsort_merge_runs(s, first, f);
    if (rc != LR_OK) return rc;
  }
  return LR_OK;
}

/* Sorts the block and writes it as a run (nothing when empty). */
static int extsort_spill(extsort *s) {
  if (s->n_entries == 0) return LR_OK;
  int rc = extsort_write_run(s, extsort_sort_block(s), s->n_entries, NULL, 0);
  if (rc != LR_OK) return rc;
  s->used = s->n_entries = 0;
  return extsort_merge_tiers(s);
}

/* ---- the interface ------------------------------------------------------------------ */

static int extsort_report(extsort *s, int rc, lr_err *err) {
  if (rc != LR_OK && rc != 1 && err != NULL) *err = s->failed;
  return rc;
}

static int extsort_add_inner(extsort *s, const void *rec, size_t len) {
  if (s->state != EXTSORT_ADDING)
    return lr_err_set(&s->failed, LR_ERR_OUTPUT, "%s: extsort_add after extsort_finish (internal error)", s->dir);
  if (len > s->cap_max - 2 * sizeof(extsort_entry)) {
    /* Too large for the block by itself: spill what is there (earlier records, earlier
     * run), then the record alone as the next run. */
    int rc = extsort_spill(s);
    if (rc == LR_OK) rc = extsort_write_run(s, NULL, 0, rec, len);
    if (rc == LR_OK) rc = extsort_merge_tiers(s);
    return rc;
  }
  int rc = extsort_block_room(s, len);
  if (rc == EXTSORT_FULL) {
    rc = extsort_spill(s);
    if (rc == LR_OK) rc = extsort_block_room(s, len); /* an empty block has room: cap_max fits len */
  }
  if (rc != LR_OK) return rc;
  if (len > 0) memcpy(s->mem + s->used, rec, len);
  *extsort_slot(s, s->n_entries) = (extsort_entry){ s->used, len };
  s->n_entries++;
  s->used += len;
  return LR_OK;
}

int extsort_add(extsort *s, const void *rec, size_t len, lr_err *err) {
  if (s->failed.code != LR_OK) return extsort_report(s, s->failed.code, err);
  return extsort_report(s, extsort_add_inner(s, rec, len), err);
}

static int extsort_finish_inner(extsort *s) {
  if (s->state != EXTSORT_ADDING)
    return lr_err_set(&s->failed, LR_ERR_OUTPUT, "%s: extsort_finish called twice (internal error)", s->dir);
  if (s->n_runs == 0) {
    s->sorted = s->n_entries ? extsort_sort_block(s) : NULL;
    s->next_entry = 0;
    s->state = EXTSORT_IN_MEMORY;
    return LR_OK;
  }
  int rc = extsort_spill(s);
  if (rc != LR_OK) return rc;
  extsort_block_drop(s);
  /* Merge the smallest (last) runs until F are left: the first merge takes just enough
   * to make the count a fit, later ones F at a time. */
  while (s->n_runs > s->fanin) {
    size_t k = extsort_min(s->fanin, s->n_runs - s->fanin + 1);
    rc = extsort_merge_runs(s, s->n_runs - k, k);
    if (rc != LR_OK) return rc;
  }
  s->state = EXTSORT_MERGING;
  return extsort_merger_start(s, &s->final, 0, s->n_runs, extsort_min(s->memory_bytes / s->n_runs, EXTSORT_BUFFER_MAX));
}

int extsort_finish(extsort *s, lr_err *err) {
  if (s->failed.code != LR_OK) return extsort_report(s, s->failed.code, err);
  return extsort_report(s, extsort_finish_inner(s), err);
}

int extsort_next(extsort *s, const void **rec, size_t *len, lr_err *err) {
  *rec = NULL;
  *len = 0;
  if (s->failed.code != LR_OK) return extsort_report(s, s->failed.code, err);
  if (s->state == EXTSORT_ADDING)
    return extsort_report(
        s, lr_err_set(&s->failed, LR_ERR_OUTPUT, "%s: extsort_next before extsort_finish (internal error)", s->dir), err);
  if (s->state == EXTSORT_MERGING) return extsort_report(s, extsort_merger_next(s, &s->final, rec, len), err);
  if (s->next_entry == s->n_entries) return 0;
  const extsort_entry *e = &s->sorted[s->next_entry++];
  *rec = s->mem + e->off;
  *len = e->len;
  return 1;
}

uint64_t extsort_runs(const extsort *s) { return s->n_spilled; }

uint64_t extsort_merges(const extsort *s) { return s->n_merged; }

void extsort_free(extsort *s) {
  if (s == NULL) return;
  extsort_merger_free(&s->final);
  for (size_t i = 0; i < s->n_runs; i++) spool_free(s->runs[i].sp);
  free(s->runs);
  free(s->mem);
  free(s->dir);
  free(s);
}
