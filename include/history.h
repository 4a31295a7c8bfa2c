/* history.h — purchase history: per-vertical statistics of the deals (SPEC §3).
 *
 * The one interface scoring sees: a read-only lookup from a lead's vertical to the
 * statistics after defaults (hist_vstats). A history is made either by aggregating deal
 * rows (history_builder_*: the embedded, in-process mode) or from statistics already
 * aggregated elsewhere (history_new_from_stats: the Redis cache), and both give the same
 * bytes downstream. Once finished it is immutable: any thread may call history_lookup.
 *
 * Call order: history_builder_new → history_builder_add_deal / _add_bad per deal row →
 * history_builder_finish (frees the builder) → history_lookup … → history_free.
 */
#ifndef LR_HISTORY_H
#define LR_HISTORY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lr_err.h"

typedef struct hist_vstats {
  int64_t n;      /* deals in the vertical */
  int64_t w;      /* won deals */
  int64_t c;      /* distinct lowercase account_domain among won deals */
  double A;       /* mean amount of won deals (after defaults) */
  double D;       /* median discount_pct of won deals (after defaults) */
  double C;       /* mean cycle_days of won deals (after defaults) */
  double wr_s;    /* smoothed win rate (w + 20·wr_g) / (n + 20) */
} hist_vstats;

typedef struct hist_globals {
  int64_t N, W;                 /* all deals, won deals */
  int64_t customers;            /* distinct lowercase account_domain among all won deals */
  double wr_g, A_g, D_g, C_g;   /* global statistics after defaults */
  int64_t deal_rows;            /* deal records read (good + bad) */
  int64_t deal_rows_bad;        /* deal records rejected */
  int64_t deal_blank_lines;
} hist_globals;

typedef struct history history;
typedef struct history_builder history_builder;

/* Caller finishes with history_builder_finish (or frees with history_builder_free). */
history_builder *history_builder_new(void);
void history_builder_free(history_builder *b);

/* One good deal row. vertical/domain: the trimmed values, NULL when missing; amount,
 * discount, cycle: NULL when missing. won: 1 won, 0 lost. */
void history_builder_add_deal(history_builder *b, const char *vertical, size_t vertical_len,
                              int won, const char *domain, size_t domain_len,
                              const double *amount, const double *discount,
                              const double *cycle);
/* One bad deal row, counted under its reason ("bad_number:amount"). */
void history_builder_add_bad(history_builder *b, const char *reason);
/* One blank line in a deals file. */
void history_builder_add_blank(history_builder *b);

/* Aggregates (SPEC §3, A19–A23, exact sums) and frees b. Caller frees with history_free. */
history *history_builder_finish(history_builder *b);

/* A history from already-aggregated statistics (keys are vertical keys, any order; they
 * are copied). bad_reasons/bad_counts: the per-reason bad deal row counts. */
history *history_new_from_stats(const hist_globals *g, const char *const *keys,
                                const hist_vstats *stats, size_t n_verticals,
                                const char *const *bad_reasons, const int64_t *bad_counts,
                                size_t n_bad);
void history_free(history *h);

/* The statistics for a lead's vertical value as written (trimmed or not; the vertical key
 * is computed here); vertical NULL (missing) or unseen → the unseen statistics. */
const hist_vstats *history_lookup(const history *h, const char *vertical, size_t len);

const hist_globals *history_get_globals(const history *h);

/* Verticals in bytewise key order: i in [0, history_n_verticals). */
size_t history_n_verticals(const history *h);
void history_vertical_at(const history *h, size_t i, const char **key_out,
                         const hist_vstats **stats_out);

/* Bad deal row counts by reason, in bytewise reason order. */
size_t history_n_bad_reasons(const history *h);
void history_bad_reason_at(const history *h, size_t i, const char **reason_out,
                           int64_t *count_out);

/* `history show`: the TSV table of SPEC §3 (header line, one row per vertical sorted
 * bytewise, then `*` for the globals). Returns LR_OK or LR_ERR_OUTPUT. */
int history_write_table(const history *h, FILE *out, lr_err *err) LR_MUST_CHECK;

#endif
