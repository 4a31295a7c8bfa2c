/* history.c — per-vertical purchase statistics (SPEC §3, refscore A19–A23).
 *
 * Owns the builder (deal rows in, one record each) and the finished, immutable history
 * (sorted vertical keys, their statistics after defaults, the globals and the bad deal
 * row counts) that scoring reads through history_lookup.
 *
 * Design: the builder does not aggregate as it goes. It keeps one compact record per
 * good deal (key and domain bytes live in one arena), and history_builder_finish sorts
 * the records by (vertical key, won first, domain). Each vertical is then one run of the
 * sorted array, the won deals of a run are contiguous and their domains sorted, so the
 * distinct-domain count is a count of changes, and no hash table is needed. Deal files
 * are small next to lead files, so holding them costs little, and sorting makes the
 * result independent of input order.
 *
 * Means follow A22: the exact sum rounded once (a port of CPython's math.fsum), then one
 * division by the count, so results match the Python reference bit for bit and do not
 * depend on summation order.
 */
#include "history.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "values.h"

/* Keys up to this length are computed on the stack in history_lookup: real vertical
 * names are short, and the fallback (malloc) keeps arbitrarily long values correct. */
#define HIST_KEY_STACK 256

/* History defaults when no deal provides the value (SPEC §3, A20). */
#define HIST_DEFAULT_WR_G 0.2
#define HIST_DEFAULT_A_G 10000.0
#define HIST_DEFAULT_D_G 10.0
#define HIST_DEFAULT_C_G 90.0

/* Smoothing strength of the win rate: wr_s = (w + 20·wr_g) / (n + 20). */
#define HIST_SMOOTHING 20.0

/* One good deal row as the builder keeps it until finish. */
typedef struct hist_deal {
  size_t key_off, key_len;  /* vertical key bytes in the arena */
  size_t dom_off, dom_len;  /* lowercase trimmed account_domain bytes in the arena */
  const char *key, *dom;    /* set from the offsets once the arena stops moving */
  double amount, discount, cycle;
  unsigned char has_key, won, has_dom, has_amount, has_discount, has_cycle;
} hist_deal;

typedef struct hist_bad {
  char *reason;
  int64_t count;
} hist_bad;

struct history_builder {
  hist_deal *deals;   /* good deal rows in input order */
  size_t n_deals, cap_deals;
  char *arena;        /* key and domain bytes of every deal */
  size_t arena_len, arena_cap;
  hist_bad *bad;      /* bad rows per reason, in first-seen order (few distinct reasons) */
  size_t n_bad, cap_bad;
  int64_t blank_lines;
};

struct history {
  hist_globals g;
  char **keys;          /* vertical keys, sorted bytewise (NUL-free: text is valid UTF-8 without NUL) */
  size_t *key_lens;
  hist_vstats *stats;   /* parallel to keys */
  size_t n_verticals;
  hist_vstats unseen;   /* unseen or missing vertical */
  hist_bad *bad;        /* sorted bytewise by reason */
  size_t n_bad;
};

/* ---- exact summation (CPython's math.fsum, Shewchuk's algorithm) ---- */

/* Non-overlapping partials of an exact running sum, smallest magnitude first. */
typedef struct hist_fsum {
  double *p;
  size_t n, cap;
} hist_fsum;

static void hist_fsum_add(hist_fsum *s, double x) {
  size_t i = 0;
  for (size_t j = 0; j < s->n; j++) {
    double y = s->p[j];
    if (fabs(x) < fabs(y)) {
      double t = x;
      x = y;
      y = t;
    }
    double hi = x + y;
    double lo = y - (hi - x);
    if (lo != 0.0) s->p[i++] = lo;
    x = hi;
  }
  s->n = i;
  if (x != 0.0) {
    if (s->n == s->cap) {
      s->cap = s->cap ? 2 * s->cap : 32;
      s->p = lr_xrealloc(s->p, s->cap * sizeof *s->p);
    }
    s->p[s->n++] = x;
  }
}

/* The exact sum rounded once to double, half-even across partials as CPython does
 * (values here are finite and < 1e15, so the special-value paths are not needed). */
static double hist_fsum_result(const hist_fsum *s) {
  size_t n = s->n;
  double hi = 0.0, lo = 0.0;
  if (n == 0) return 0.0;
  hi = s->p[--n];
  while (n > 0) {
    double x = hi, y = s->p[--n];
    hi = x + y;
    lo = y - (hi - x);
    if (lo != 0.0) break;
  }
  if (n > 0 && ((lo < 0.0 && s->p[n - 1] < 0.0) || (lo > 0.0 && s->p[n - 1] > 0.0))) {
    double y = lo * 2.0;
    double x = hi + y;
    if (y == x - hi) hi = x;
  }
  return hi;
}

/* ---- small helpers ---- */

static int hist_cmp_bytes(const char *a, size_t alen, const char *b, size_t blen) {
  int r = memcmp(a, b, alen < blen ? alen : blen);
  if (r != 0) return r;
  return (alen > blen) - (alen < blen);
}

/* qsort that accepts an empty (NULL) array: the builder's arrays start unallocated. */
static void hist_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *)) {
  if (n > 1) qsort(base, n, size, cmp);
}

static int hist_cmp_double(const void *pa, const void *pb) {
  double a = *(const double *)pa, b = *(const double *)pb;
  return (a > b) - (a < b);
}

/* Median of m > 0 values (sorts xs in place); even count → (a + b) / 2 in double. */
static double hist_median(double *xs, size_t m) {
  hist_sort(xs, m, sizeof *xs, hist_cmp_double);
  if (m % 2) return xs[m / 2];
  return (xs[m / 2 - 1] + xs[m / 2]) / 2;
}

/* Reserves len bytes at the end of the arena; returns their offset. */
static size_t hist_arena_reserve(history_builder *b, size_t len) {
  size_t off = b->arena_len;
  if (b->arena_len + len > b->arena_cap) {
    size_t cap = b->arena_cap ? b->arena_cap : 4096;
    while (cap < b->arena_len + len) cap *= 2;
    b->arena = lr_xrealloc(b->arena, cap);
    b->arena_cap = cap;
  }
  b->arena_len += len;
  return off;
}

static hist_vstats hist_make_stats(const hist_globals *g, int64_t n, int64_t w, int64_t c,
                                   double A, double D, double C) {
  hist_vstats s;
  s.n = n;
  s.w = w;
  s.c = c;
  s.A = A;
  s.D = D;
  s.C = C;
  s.wr_s = ((double)w + HIST_SMOOTHING * g->wr_g) / ((double)n + HIST_SMOOTHING); /* A24 */
  return s;
}

/* ---- builder ---- */

history_builder *history_builder_new(void) { return lr_xcalloc(1, sizeof(history_builder)); }

void history_builder_free(history_builder *b) {
  if (b == NULL) return;
  for (size_t i = 0; i < b->n_bad; i++) free(b->bad[i].reason);
  free(b->bad);
  free(b->deals);
  free(b->arena);
  free(b);
}

void history_builder_add_deal(history_builder *b, const char *vertical, size_t vertical_len,
                              int won, const char *domain, size_t domain_len,
                              const double *amount, const double *discount,
                              const double *cycle) {
  hist_deal d;
  memset(&d, 0, sizeof d);
  if (vertical != NULL) {
    /* The key is never longer than the value; reserve that, then trim to the real length. */
    size_t off = hist_arena_reserve(b, vertical_len);
    size_t klen = values_vertical_key(vertical, vertical_len, b->arena + off);
    b->arena_len = off + klen;
    /* An all-blank vertical has no key: validate reports it missing, but stay safe. */
    d.has_key = klen > 0;
    d.key_off = off;
    d.key_len = klen;
  }
  d.won = won != 0;
  if (domain != NULL) {
    values_trim(&domain, &domain_len); /* A21: trimmed, ASCII-lowercased */
    if (domain_len > 0) {
      size_t off = hist_arena_reserve(b, domain_len);
      values_ascii_lower(domain, domain_len, b->arena + off);
      d.has_dom = 1;
      d.dom_off = off;
      d.dom_len = domain_len;
    }
  }
  if (amount != NULL) {
    d.has_amount = 1;
    d.amount = *amount;
  }
  if (discount != NULL) {
    d.has_discount = 1;
    d.discount = *discount;
  }
  if (cycle != NULL) {
    d.has_cycle = 1;
    d.cycle = *cycle;
  }
  if (b->n_deals == b->cap_deals) {
    b->cap_deals = b->cap_deals ? 2 * b->cap_deals : 1024;
    b->deals = lr_xrealloc(b->deals, b->cap_deals * sizeof *b->deals);
  }
  b->deals[b->n_deals++] = d;
}

void history_builder_add_bad(history_builder *b, const char *reason) {
  for (size_t i = 0; i < b->n_bad; i++) {
    if (strcmp(b->bad[i].reason, reason) == 0) {
      b->bad[i].count++;
      return;
    }
  }
  if (b->n_bad == b->cap_bad) {
    b->cap_bad = b->cap_bad ? 2 * b->cap_bad : 8;
    b->bad = lr_xrealloc(b->bad, b->cap_bad * sizeof *b->bad);
  }
  b->bad[b->n_bad].reason = lr_xstrndup(reason, strlen(reason));
  b->bad[b->n_bad].count = 1;
  b->n_bad++;
}

void history_builder_add_blank(history_builder *b) { b->blank_lines++; }

/* Sort order of deals: key (deals without one last), won before lost, then domain
 * (deals without one last), so that each vertical's won domains are adjacent. */
static int hist_cmp_deal(const void *pa, const void *pb) {
  const hist_deal *a = pa, *b = pb;
  int r;
  if (a->has_key != b->has_key) return a->has_key ? -1 : 1;
  if (a->has_key && (r = hist_cmp_bytes(a->key, a->key_len, b->key, b->key_len)) != 0) return r;
  if (a->won != b->won) return a->won ? -1 : 1;
  if (a->has_dom != b->has_dom) return a->has_dom ? -1 : 1;
  if (a->has_dom) return hist_cmp_bytes(a->dom, a->dom_len, b->dom, b->dom_len);
  return 0;
}

typedef struct hist_dom {
  const char *p;
  size_t len;
} hist_dom;

static int hist_cmp_dom(const void *pa, const void *pb) {
  const hist_dom *a = pa, *b = pb;
  return hist_cmp_bytes(a->p, a->len, b->p, b->len);
}

static int hist_cmp_bad(const void *pa, const void *pb) {
  return strcmp(((const hist_bad *)pa)->reason, ((const hist_bad *)pb)->reason);
}

/* The sums behind the means and the median of won deals (A20, A22). */
typedef struct hist_won_sums {
  hist_fsum amt, cyc;
  size_t n_amt, n_cyc, n_disc;
  double *disc; /* scratch: one slot per deal */
} hist_won_sums;

static void hist_won_add(hist_won_sums *w, const hist_deal *d) {
  if (d->has_amount) {
    hist_fsum_add(&w->amt, d->amount);
    w->n_amt++;
  }
  if (d->has_cycle) {
    hist_fsum_add(&w->cyc, d->cycle);
    w->n_cyc++;
  }
  if (d->has_discount) w->disc[w->n_disc++] = d->discount;
}

static void hist_won_release(hist_won_sums *w) {
  free(w->amt.p);
  free(w->cyc.p);
}

/* Global statistics over every deal (those without a vertical included, A19). */
static void hist_compute_globals(const history_builder *b, hist_globals *g, double *scratch) {
  hist_won_sums won = { .disc = scratch };
  size_t n_dom = 0;
  hist_dom *doms = lr_xmalloc((b->n_deals ? b->n_deals : 1) * sizeof *doms);
  g->N = (int64_t)b->n_deals;
  g->W = 0;
  for (size_t i = 0; i < b->n_deals; i++) {
    const hist_deal *d = &b->deals[i];
    if (!d->won) continue;
    g->W++;
    hist_won_add(&won, d);
    if (d->has_dom) {
      doms[n_dom].p = d->dom;
      doms[n_dom].len = d->dom_len;
      n_dom++;
    }
  }
  g->wr_g = g->N > 0 ? (double)g->W / (double)g->N : HIST_DEFAULT_WR_G;
  g->A_g = won.n_amt ? hist_fsum_result(&won.amt) / (double)won.n_amt : HIST_DEFAULT_A_G;
  g->C_g = won.n_cyc ? hist_fsum_result(&won.cyc) / (double)won.n_cyc : HIST_DEFAULT_C_G;
  g->D_g = won.n_disc ? hist_median(won.disc, won.n_disc) : HIST_DEFAULT_D_G;
  hist_sort(doms, n_dom, sizeof *doms, hist_cmp_dom);
  g->customers = 0;
  for (size_t i = 0; i < n_dom; i++)
    if (i == 0 || hist_cmp_dom(&doms[i - 1], &doms[i]) != 0) g->customers++;
  free(doms);
  hist_won_release(&won);
}

/* Statistics of one vertical: deals[lo, hi) share a key and are sorted (hist_cmp_deal). */
static hist_vstats hist_compute_vertical(const hist_globals *g, const hist_deal *deals,
                                         size_t lo, size_t hi, double *scratch) {
  hist_won_sums won = { .disc = scratch };
  int64_t w = 0, c = 0;
  const hist_deal *prev_dom = NULL;
  for (size_t i = lo; i < hi && deals[i].won; i++) {
    const hist_deal *d = &deals[i];
    w++;
    if (d->has_dom) {
      if (prev_dom == NULL ||
          hist_cmp_bytes(prev_dom->dom, prev_dom->dom_len, d->dom, d->dom_len) != 0)
        c++;
      prev_dom = d;
    }
    hist_won_add(&won, d);
  }
  hist_vstats s;
  if (w == 0) {
    s = hist_make_stats(g, (int64_t)(hi - lo), 0, 0, g->A_g, g->D_g, g->C_g);
  } else {
    s = hist_make_stats(g, (int64_t)(hi - lo), w, c,
                        won.n_amt ? hist_fsum_result(&won.amt) / (double)won.n_amt : g->A_g,
                        won.n_disc ? hist_median(won.disc, won.n_disc) : g->D_g,
                        won.n_cyc ? hist_fsum_result(&won.cyc) / (double)won.n_cyc : g->C_g);
  }
  hist_won_release(&won);
  return s;
}

history *history_builder_finish(history_builder *b) {
  history *h = lr_xcalloc(1, sizeof *h);
  double *scratch = lr_xmalloc((b->n_deals ? b->n_deals : 1) * sizeof *scratch);
  size_t n_bad_rows = 0;

  /* The arena no longer grows: turn offsets into pointers for sorting. */
  for (size_t i = 0; i < b->n_deals; i++) {
    b->deals[i].key = b->arena + b->deals[i].key_off;
    b->deals[i].dom = b->arena + b->deals[i].dom_off;
  }
  hist_compute_globals(b, &h->g, scratch);
  h->unseen = hist_make_stats(&h->g, 0, 0, 0, h->g.A_g, h->g.D_g, h->g.C_g);

  hist_sort(b->deals, b->n_deals, sizeof *b->deals, hist_cmp_deal);
  size_t n_keyed = 0, n_runs = 0;
  while (n_keyed < b->n_deals && b->deals[n_keyed].has_key) n_keyed++;
  for (size_t i = 0; i < n_keyed; i++)
    if (i == 0 || hist_cmp_bytes(b->deals[i - 1].key, b->deals[i - 1].key_len, b->deals[i].key,
                                 b->deals[i].key_len) != 0)
      n_runs++;
  h->keys = lr_xcalloc(n_runs, sizeof *h->keys);
  h->key_lens = lr_xcalloc(n_runs, sizeof *h->key_lens);
  h->stats = lr_xcalloc(n_runs, sizeof *h->stats);
  for (size_t lo = 0; lo < n_keyed;) {
    const hist_deal *first = &b->deals[lo];
    size_t hi = lo + 1;
    while (hi < n_keyed &&
           hist_cmp_bytes(first->key, first->key_len, b->deals[hi].key, b->deals[hi].key_len) == 0)
      hi++;
    h->keys[h->n_verticals] = lr_xstrndup(first->key, first->key_len);
    h->key_lens[h->n_verticals] = first->key_len;
    h->stats[h->n_verticals] = hist_compute_vertical(&h->g, b->deals, lo, hi, scratch);
    h->n_verticals++;
    lo = hi;
  }

  for (size_t i = 0; i < b->n_bad; i++) n_bad_rows += (size_t)b->bad[i].count;
  hist_sort(b->bad, b->n_bad, sizeof *b->bad, hist_cmp_bad);
  h->bad = b->bad; /* ownership moves to the history */
  h->n_bad = b->n_bad;
  b->bad = NULL;
  b->n_bad = 0;
  h->g.deal_rows_bad = (int64_t)n_bad_rows;
  h->g.deal_rows = (int64_t)b->n_deals + (int64_t)n_bad_rows;
  h->g.deal_blank_lines = b->blank_lines;

  free(scratch);
  history_builder_free(b);
  return h;
}

/* ---- from statistics (the Redis cache path) ---- */

typedef struct hist_order {
  const char *key;
  size_t len, idx;
} hist_order;

static int hist_cmp_order(const void *pa, const void *pb) {
  const hist_order *a = pa, *b = pb;
  return hist_cmp_bytes(a->key, a->len, b->key, b->len);
}

history *history_new_from_stats(const hist_globals *g, const char *const *keys,
                                const hist_vstats *stats, size_t n_verticals,
                                const char *const *bad_reasons, const int64_t *bad_counts,
                                size_t n_bad) {
  history *h = lr_xcalloc(1, sizeof *h);
  hist_order *ord = lr_xcalloc(n_verticals, sizeof *ord);
  h->g = *g;
  h->unseen = hist_make_stats(&h->g, 0, 0, 0, g->A_g, g->D_g, g->C_g);
  for (size_t i = 0; i < n_verticals; i++) {
    ord[i].key = keys[i];
    ord[i].len = strlen(keys[i]);
    ord[i].idx = i;
  }
  hist_sort(ord, n_verticals, sizeof *ord, hist_cmp_order);
  h->keys = lr_xcalloc(n_verticals, sizeof *h->keys);
  h->key_lens = lr_xcalloc(n_verticals, sizeof *h->key_lens);
  h->stats = lr_xcalloc(n_verticals, sizeof *h->stats);
  for (size_t i = 0; i < n_verticals; i++) {
    const hist_vstats *s = &stats[ord[i].idx];
    h->keys[i] = lr_xstrndup(ord[i].key, ord[i].len);
    h->key_lens[i] = ord[i].len;
    /* wr_s is derived, not cached: recompute it exactly as the builder does. */
    h->stats[i] = hist_make_stats(&h->g, s->n, s->w, s->c, s->A, s->D, s->C);
  }
  h->n_verticals = n_verticals;
  free(ord);
  h->bad = lr_xcalloc(n_bad, sizeof *h->bad);
  for (size_t i = 0; i < n_bad; i++) {
    h->bad[i].reason = lr_xstrndup(bad_reasons[i], strlen(bad_reasons[i]));
    h->bad[i].count = bad_counts[i];
  }
  h->n_bad = n_bad;
  hist_sort(h->bad, h->n_bad, sizeof *h->bad, hist_cmp_bad);
  return h;
}

void history_free(history *h) {
  if (h == NULL) return;
  for (size_t i = 0; i < h->n_verticals; i++) free(h->keys[i]);
  for (size_t i = 0; i < h->n_bad; i++) free(h->bad[i].reason);
  free(h->keys);
  free(h->key_lens);
  free(h->stats);
  free(h->bad);
  free(h);
}

/* ---- lookups ---- */

static const hist_vstats *history_find_key(const history *h, const char *key, size_t len) {
  size_t lo = 0, hi = h->n_verticals;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int r = hist_cmp_bytes(h->keys[mid], h->key_lens[mid], key, len);
    if (r == 0) return &h->stats[mid];
    if (r < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return &h->unseen;
}

const hist_vstats *history_lookup(const history *h, const char *vertical, size_t len) {
  char stack[HIST_KEY_STACK];
  char *buf = stack;
  const hist_vstats *s;
  if (vertical == NULL) return &h->unseen;
  if (len > sizeof stack) buf = lr_xmalloc(len);
  size_t klen = values_vertical_key(vertical, len, buf);
  s = klen == 0 ? &h->unseen : history_find_key(h, buf, klen);
  if (buf != stack) free(buf);
  return s;
}

const hist_globals *history_get_globals(const history *h) { return &h->g; }

size_t history_n_verticals(const history *h) { return h->n_verticals; }

void history_vertical_at(const history *h, size_t i, const char **key_out,
                         const hist_vstats **stats_out) {
  *key_out = h->keys[i];
  *stats_out = &h->stats[i];
}

size_t history_n_bad_reasons(const history *h) { return h->n_bad; }

void history_bad_reason_at(const history *h, size_t i, const char **reason_out,
                           int64_t *count_out) {
  *reason_out = h->bad[i].reason;
  *count_out = h->bad[i].count;
}

/* ---- history show ---- */

int history_write_table(const history *h, FILE *out, lr_err *err) {
  fputs("vertical\tn\twon\tcustomers\twin_rate\tsmoothed_win_rate\tavg_deal\tmedian_discount"
        "\tavg_cycle\n",
        out);
  for (size_t i = 0; i < h->n_verticals; i++) {
    const hist_vstats *s = &h->stats[i];
    fprintf(out, "%s\t%lld\t%lld\t%lld\t%.4f\t%.4f\t%.2f\t%.2f\t%.2f\n", h->keys[i],
            (long long)s->n, (long long)s->w, (long long)s->c, (double)s->w / (double)s->n,
            s->wr_s, s->A, s->D, s->C);
  }
  fprintf(out, "*\t%lld\t%lld\t%lld\t%.4f\t%.4f\t%.2f\t%.2f\t%.2f\n", (long long)h->g.N,
          (long long)h->g.W, (long long)h->g.customers, h->g.wr_g, h->g.wr_g, h->g.A_g,
          h->g.D_g, h->g.C_g);
  if (fflush(out) != 0 || ferror(out))
    return lr_err_set(err, LR_ERR_OUTPUT, "history show: cannot write the table");
  return LR_OK;
}
