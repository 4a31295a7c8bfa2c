/* test_history.c — unit tests of engine/history.c (SPEC §3, refscore A19–A23).
 *
 * Expected doubles were computed by hand and checked with refscore.py's build_history on
 * the same deals; the derivation of each is in the comment next to it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "testhelp.h"

static void add(history_builder *b, const char *vertical, int won, const char *domain,
                const double *amount, const double *discount, const double *cycle) {
  history_builder_add_deal(b, vertical, vertical ? strlen(vertical) : 0, won, domain,
                           domain ? strlen(domain) : 0, amount, discount, cycle);
}

static const hist_vstats *look(const history *h, const char *v) {
  return history_lookup(h, v, strlen(v));
}

/* The main data set (19 deals, 16 won):
 *   "health care" (spelled 4 ways): won Acme.com 100/5/30, won ACME.com 200/15/-,
 *     won b.com -/10/60, won (no domain) 300/20/90, lost z.com 1000/50/10
 *   "tenths": 10 won deals of amount 0.1, nothing else
 *   "lostonly": 2 lost deals (q.com, 5/1/1)
 *   no vertical: won Solo.com 50/7/120
 *   "health": won solo.com 9/-/- */
static history *build_main(void) {
  history_builder *b = history_builder_new();
  double a100 = 100, a200 = 200, a300 = 300, a1000 = 1000, a5 = 5, a50 = 50, a9 = 9, tenth = 0.1;
  double d5 = 5, d15 = 15, d10 = 10, d20 = 20, d50 = 50, d1 = 1, d7 = 7;
  double c30 = 30, c60 = 60, c90 = 90, c10 = 10, c1 = 1, c120 = 120;
  add(b, " Health  Care ", 1, "Acme.com", &a100, &d5, &c30);
  add(b, "HEALTH CARE", 1, "ACME.com", &a200, &d15, NULL);
  add(b, "health\tcare", 1, "b.com", NULL, &d10, &c60);
  add(b, "health care", 1, NULL, &a300, &d20, &c90);
  add(b, "health care", 0, "z.com", &a1000, &d50, &c10);
  for (int i = 0; i < 10; i++) add(b, "tenths", 1, NULL, &tenth, NULL, NULL);
  add(b, "LostOnly", 0, "q.com", &a5, &d1, &c1);
  add(b, "LostOnly", 0, "q.com", &a5, &d1, &c1);
  add(b, NULL, 1, "Solo.com", &a50, &d7, &c120);
  add(b, "Health", 1, "solo.com", &a9, NULL, NULL);
  history_builder_add_bad(b, "bad_number:amount");
  history_builder_add_bad(b, "bad_enum:outcome");
  history_builder_add_bad(b, "bad_number:amount");
  history_builder_add_blank(b);
  return history_builder_finish(b);
}

static void test_globals(const history *h) {
  const hist_globals *g = history_get_globals(h);
  TEST_EQ_INT(g->N, 19);
  TEST_EQ_INT(g->W, 16);
  TEST_EQ_DBL(g->wr_g, 16.0 / 19.0); /* 0.8421052631578947 */
  /* won amounts 100+200+300+10*0.1+50+9 = 660 exactly (fsum), over 15 values */
  TEST_EQ_DBL(g->A_g, 44.0);
  /* won discounts 5,15,10,20,7 (odd count): median 10 */
  TEST_EQ_DBL(g->D_g, 10.0);
  /* won cycles 30,60,90,120: mean 75; the deal without a vertical counts (A19) */
  TEST_EQ_DBL(g->C_g, 75.0);
  /* acme.com, b.com, solo.com (Solo.com is the same domain lowercased); lost z.com, q.com no */
  TEST_EQ_INT(g->customers, 3);
  TEST_EQ_INT(g->deal_rows, 22); /* 19 good + 3 bad */
  TEST_EQ_INT(g->deal_rows_bad, 3);
  TEST_EQ_INT(g->deal_blank_lines, 1);
}

static void test_verticals(const history *h) {
  const hist_vstats *s = look(h, "health care");
  TEST_EQ_INT(s->n, 5);
  TEST_EQ_INT(s->w, 4);
  TEST_EQ_INT(s->c, 2);      /* acme.com (two spellings) and b.com; missing not counted */
  TEST_EQ_DBL(s->A, 200.0);  /* (100 + 200 + 300) / 3: the deal without an amount is ignored */
  TEST_EQ_DBL(s->D, 12.5);   /* median of 5,10,15,20 (even): (10 + 15) / 2; lost 50 ignored */
  TEST_EQ_DBL(s->C, 60.0);   /* (30 + 60 + 90) / 3 */
  /* (4 + 20·16/19) / (5 + 20): refscore gives 0.8336842105263158 */
  TEST_EQ_DBL(s->wr_s, 0.8336842105263158);

  /* Lookups key the raw value: trim, collapse blanks, ASCII-lowercase. */
  TEST_CHECK(look(h, "  HEALTH \t\n care ") == s);
  TEST_CHECK(history_lookup(h, "health carex", 11) == s); /* len bounds the value */

  s = look(h, "tenths");
  /* fsum(10 × 0.1) = 1.0 exactly rounded, / 10 = 0.1; a naive loop gives
   * 0.9999999999999999 / 10 = 0.09999999999999999, which this would catch. */
  TEST_EQ_DBL(s->A, 0.1);
  TEST_CHECK(s->A != 0.09999999999999999);
  TEST_EQ_INT(s->c, 0);       /* won deals without domains: w > 0, c = 0 (A21) */
  TEST_EQ_DBL(s->D, 10.0);    /* no discounts → D_g */
  TEST_EQ_DBL(s->C, 75.0);    /* no cycles → C_g */

  s = look(h, "lostonly");    /* w = 0: globals, c = 0 even though lost deals have domains */
  TEST_EQ_INT(s->n, 2);
  TEST_EQ_INT(s->w, 0);
  TEST_EQ_INT(s->c, 0);
  TEST_EQ_DBL(s->A, 44.0);
  TEST_EQ_DBL(s->D, 10.0);
  TEST_EQ_DBL(s->C, 75.0);
  TEST_EQ_DBL(s->wr_s, 0.7655502392344498); /* (0 + 20·16/19) / 22 */

  s = look(h, "health");      /* a key that is a prefix of another */
  TEST_EQ_INT(s->n, 1);
  TEST_EQ_DBL(s->A, 9.0);
  TEST_EQ_DBL(s->wr_s, 0.849624060150376); /* (1 + 20·16/19) / 21 */

  /* unseen and missing: n = w = c = 0, the globals, wr_s = 20·wr_g / 20 */
  const hist_vstats *u = look(h, "retail");
  TEST_CHECK(history_lookup(h, NULL, 0) == u);
  TEST_EQ_INT(u->n, 0);
  TEST_EQ_INT(u->w, 0);
  TEST_EQ_INT(u->c, 0);
  TEST_EQ_DBL(u->A, 44.0);
  TEST_EQ_DBL(u->wr_s, 0.8421052631578947);

  /* A long raw value takes the heap path of history_lookup and still finds its key. */
  char *longv = malloc(1000);
  memset(longv, ' ', 1000);
  memcpy(longv + 500, "Tenths", 6);
  TEST_CHECK(history_lookup(h, longv, 1000) == look(h, "tenths"));
  free(longv);
}

static void test_order_and_bad(const history *h) {
  const char *key;
  const hist_vstats *s;
  int64_t count;
  TEST_EQ_INT(history_n_verticals(h), 4);
  /* bytewise, shorter first on a common prefix; the missing-vertical deal has none */
  history_vertical_at(h, 0, &key, &s);
  TEST_EQ_STR(key, "health");
  history_vertical_at(h, 1, &key, &s);
  TEST_EQ_STR(key, "health care");
  history_vertical_at(h, 2, &key, &s);
  TEST_EQ_STR(key, "lostonly");
  history_vertical_at(h, 3, &key, &s);
  TEST_EQ_STR(key, "tenths");
  TEST_EQ_INT(history_n_bad_reasons(h), 2);
  history_bad_reason_at(h, 0, &key, &count);
  TEST_EQ_STR(key, "bad_enum:outcome");
  TEST_EQ_INT(count, 1);
  history_bad_reason_at(h, 1, &key, &count);
  TEST_EQ_STR(key, "bad_number:amount");
  TEST_EQ_INT(count, 2);
}

static void test_table(const history *h) {
  char *text = NULL;
  size_t len = 0;
  lr_err err;
  lr_err_clear(&err);
  FILE *f = open_memstream(&text, &len);
  TEST_EQ_INT(history_write_table(h, f, &err), LR_OK);
  fclose(f);
  /* Rows as refscore's statistics print with %.4f / %.2f; win_rate = w/n;
   * `*`: N, W, customers, wr_g twice, A_g, D_g, C_g. */
  TEST_EQ_STR(text,
              "vertical\tn\twon\tcustomers\twin_rate\tsmoothed_win_rate\tavg_deal\t"
              "median_discount\tavg_cycle\n"
              "health\t1\t1\t1\t1.0000\t0.8496\t9.00\t10.00\t75.00\n"
              "health care\t5\t4\t2\t0.8000\t0.8337\t200.00\t12.50\t60.00\n"
              "lostonly\t2\t0\t0\t0.0000\t0.7656\t44.00\t10.00\t75.00\n"
              "tenths\t10\t10\t0\t1.0000\t0.8947\t0.10\t10.00\t75.00\n"
              "*\t19\t16\t3\t0.8421\t0.8421\t44.00\t10.00\t75.00\n");
  free(text);
}

/* history_new_from_stats (the Redis path) must answer every lookup exactly as the
 * builder did: give it the builder's statistics in another order, with wr_s zeroed
 * (the cache does not store it). */
static void test_from_stats(const history *h) {
  size_t n = history_n_verticals(h);
  const char *keys[4];
  hist_vstats stats[4];
  const char *reasons[2];
  int64_t counts[2];
  for (size_t i = 0; i < n; i++) {
    const hist_vstats *s;
    history_vertical_at(h, n - 1 - i, &keys[i], &s);
    stats[i] = *s;
    stats[i].wr_s = 0.0;
  }
  history_bad_reason_at(h, 1, &reasons[0], &counts[0]);
  history_bad_reason_at(h, 0, &reasons[1], &counts[1]);
  history *c = history_new_from_stats(history_get_globals(h), keys, stats, n, reasons, counts, 2);
  const char *probes[] = {"health", " Health  CARE", "tenths", "lostonly", "retail", "healt"};
  for (size_t i = 0; i < sizeof probes / sizeof *probes; i++) {
    const hist_vstats *a = look(h, probes[i]), *b = look(c, probes[i]);
    TEST_CHECK(memcmp(a, b, sizeof *a) == 0);
  }
  TEST_CHECK(memcmp(history_lookup(h, NULL, 0), history_lookup(c, NULL, 0), sizeof(hist_vstats)) == 0);
  const char *r;
  int64_t k;
  history_bad_reason_at(c, 0, &r, &k);
  TEST_EQ_STR(r, "bad_enum:outcome");
  TEST_EQ_INT(k, 1);
  const char *key;
  const hist_vstats *s;
  history_vertical_at(c, 0, &key, &s);
  TEST_EQ_STR(key, "health");
  history_free(c);
}

static void test_empty(void) {
  history *h = history_builder_finish(history_builder_new());
  const hist_globals *g = history_get_globals(h);
  /* no deals: the SPEC §3 defaults */
  TEST_EQ_INT(g->N, 0);
  TEST_EQ_DBL(g->wr_g, 0.2);
  TEST_EQ_DBL(g->A_g, 10000.0);
  TEST_EQ_DBL(g->D_g, 10.0);
  TEST_EQ_DBL(g->C_g, 90.0);
  TEST_EQ_DBL(look(h, "x")->wr_s, 0.2); /* (0 + 20·0.2) / 20 */
  TEST_EQ_INT(history_n_verticals(h), 0);
  history_free(h);

  /* deals but no wins: wr_g = 0, and A_g/D_g/C_g keep their defaults (A20) */
  history_builder *b = history_builder_new();
  double a = 7;
  add(b, "x", 0, "d.com", &a, &a, &a);
  h = history_builder_finish(b);
  g = history_get_globals(h);
  TEST_EQ_DBL(g->wr_g, 0.0);
  TEST_EQ_DBL(g->A_g, 10000.0);
  TEST_EQ_DBL(look(h, "x")->wr_s, 0.0 / 21.0);
  history_free(h);
}

/* fsum's final half-even correction: exact sum of 1e-20 + 0.0625 + 999999999999999 is
 * just above the midpoint 999999999999999.0625, so it rounds up to …999.125 (math.fsum);
 * without the correction step (or with a plain loop) it is 999999999999999.0.
 * Mean: 999999999999999.125 / 3 = 333333333333333.06 (Python repr), naive …333.0. */
static void test_fsum_rounding(void) {
  history_builder *b = history_builder_new();
  double xs[] = {1e-20, 0.0625, 999999999999999.0};
  for (int i = 0; i < 3; i++) add(b, "big", 1, NULL, &xs[i], NULL, NULL);
  history *h = history_builder_finish(b);
  TEST_EQ_DBL(look(h, "big")->A, 333333333333333.06);
  TEST_CHECK(look(h, "big")->A != 333333333333333.0);
  history_free(h);
}

int main(void) {
  history *h = build_main();
  test_globals(h);
  test_verticals(h);
  test_order_and_bad(h);
  test_table(h);
  test_from_stats(h);
  history_free(h);
  test_empty();
  test_fsum_rounding();
  return TEST_REPORT();
}
