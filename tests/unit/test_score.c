/* test_score.c — unit tests of engine/score.c (SPEC §4, refscore A24–A32).
 *
 * The history is made with history_new_from_stats so every statistic is chosen by hand:
 *   globals wr_g 0.2, A_g 10000, D_g 10, C_g 90 (unseen: c 0, A 10000, D 10, C 90)
 *   "saas"   n 40, w 20, c 10, A 20000, D 10, C 30   (wr_s (20+4)/60 = 0.4: ratio 2, capped)
 *   "retail" n 30, w 3,  c 2,  A 5000,  D 20, C 100  (wr_s (3+4)/50 = 0.14: ratio 0.7)
 *   "zero"   n 5,  w 5,  c 5,  A 0,     D 0,  C 0    (A25 divisions)
 * The base lead is created on the as-of day and has nothing else, so ST = 0, AF = 0.3,
 * AP = 0.1, AU = 0.3. Full-precision fit/risk/priority values were computed by hand in
 * the order of A24 and checked against refscore.py's score() on the same lead and
 * statistics (printed with repr); small components are derived in the comments.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "model.h"
#include "schema.h"
#include "score.h"
#include "testhelp.h"

#define AS_OF 20000

static schema_field full_fields[SCORE_N_COLS];
static schema full_schema;
static score_plan plan;
static model mdl;
static history *hist;

typedef struct lead {
  lr_value v[SCORE_N_COLS]; /* the full schema lists the roles in enum order */
} lead;

static void lead_init(lead *l) {
  memset(l, 0, sizeof *l);
  l->v[SCORE_LEAD_ID].present = 1;
  l->v[SCORE_LEAD_ID].str = "L1";
  l->v[SCORE_LEAD_ID].str_len = 2;
  l->v[SCORE_CREATED_AT].present = 1;
  l->v[SCORE_CREATED_AT].date = AS_OF;
}
static void set_str(lead *l, int col, const char *s) {
  l->v[col].present = 1;
  l->v[col].str = s;
  l->v[col].str_len = strlen(s);
}
static void set_num(lead *l, int col, double x) {
  l->v[col].present = 1;
  l->v[col].num = x;
  l->v[col].str = "n";
  l->v[col].str_len = 1;
}
static void set_bool(lead *l, int col, int b) {
  l->v[col].present = 1;
  l->v[col].boolean = (unsigned char)b;
  l->v[col].str = b ? "true" : "false";
  l->v[col].str_len = strlen(l->v[col].str);
}
/* A date `days` from as-of (negative: before). */
static void set_date(lead *l, int col, int days) {
  l->v[col].present = 1;
  l->v[col].date = AS_OF + days;
  l->v[col].str = "d";
  l->v[col].str_len = 1;
}
static score_result run_m(const lead *l, const model *m) {
  score_result r;
  memset(&r, 0xAB, sizeof r);
  score_row(&plan, m, hist, AS_OF, l->v, &r);
  return r;
}
static score_result run(const lead *l) { return run_m(l, &mdl); }

static void setup(void) {
  lr_err err;
  lr_err_clear(&err);
  for (int i = 0; i < SCORE_N_COLS; i++) full_fields[i].name = (char *)score_col_name(i);
  full_schema.name = "full";
  full_schema.fields = full_fields;
  full_schema.n_fields = SCORE_N_COLS;
  TEST_EQ_INT(score_plan_bind(&plan, &full_schema, &err), LR_OK);
  TEST_EQ_INT(model_load_defaults(&mdl, &err), LR_OK);
  hist_globals g;
  memset(&g, 0, sizeof g);
  g.N = 100;
  g.W = 20;
  g.wr_g = 0.2;
  g.A_g = 10000;
  g.D_g = 10;
  g.C_g = 90;
  const char *keys[] = {"saas", "retail", "zero"};
  hist_vstats st[3] = {{40, 20, 10, 20000, 10, 30, 0}, {30, 3, 2, 5000, 20, 100, 0}, {5, 5, 5, 0, 0, 0, 0}};
  hist = history_new_from_stats(&g, keys, st, 3, NULL, NULL, 0);
}

static void test_base(void) {
  lead l;
  lead_init(&l);
  score_result r = run(&l);
  const double *x = r.component;
  TEST_EQ_DBL(x[MODEL_VB], 0.0);  /* unseen: c = 0 */
  TEST_EQ_DBL(x[MODEL_NE], 0.0);
  TEST_EQ_DBL(x[MODEL_AF], 0.3);  /* neither budget nor revenue */
  TEST_EQ_DBL(x[MODEL_AP], 0.1);  /* contact ok, no email, no phone */
  TEST_EQ_DBL(x[MODEL_AU], 0.3);  /* no flag, no title */
  TEST_EQ_DBL(x[MODEL_VP], 1.0);
  TEST_EQ_DBL(x[MODEL_PD], 0.0);  /* d missing → 0; max(0, 0 − 10) = 0 */
  TEST_EQ_DBL(x[MODEL_NH], 1.0);
  TEST_EQ_DBL(x[MODEL_ER], 0.0);
  TEST_EQ_DBL(x[MODEL_NN], 1.0);
  TEST_EQ_DBL(x[MODEL_ST], 0.0);  /* age 0, idle 0 */
  TEST_EQ_DBL(x[MODEL_NA], 1.0);
  /* sf = .2·.3 + .15·.1 + .1·.3 + .1·1 = 0.205 → 20.5; sr = .2 + .15 + .1 accumulated
   * from 0 gives 0.44999999999999996 → 44.99999999999999; priority = 20.5·(1 − 0.45) */
  TEST_EQ_DBL(r.fit, 20.5);
  TEST_EQ_DBL(r.risk, 44.99999999999999);
  TEST_EQ_DBL(r.priority, 11.275);
  TEST_EQ_INT(r.segment, SEG_PROSPECT_NEW);
  TEST_EQ_INT(r.disqualify, DQ_NONE);
  TEST_EQ_INT(r.tier, 'D');
  /* contributions NH 20, NN 15, VP 10, NA 10, AF 6, AU 3, AP 1.5: VP and NA tie at 10 and
   * VP (a fit component) comes first; NA is the fourth and is dropped */
  TEST_EQ_INT(r.n_reasons, 3);
  TEST_EQ_INT(r.reasons[0], MODEL_NH);
  TEST_EQ_INT(r.reasons[1], MODEL_NN);
  TEST_EQ_INT(r.reasons[2], MODEL_VP);
}

static void test_vb(void) {
  lead l;
  lead_init(&l);
  set_str(&l, SCORE_VERTICAL, " SaaS "); /* looked up by key: trimmed, lowercased */
  score_result r = run(&l);
  /* c 10: (1 − e^(−0.5)) · min(0.4/0.2, 1.5) / 1.5 = 1 − e^(−0.5) */
  TEST_EQ_DBL(r.component[MODEL_VB], 0.3934693402873666);
  TEST_EQ_DBL(r.component[MODEL_NH], 0.0); /* c 10 ≥ 5 */
  /* refscore: fit 30.336733507184167, risk 25.0, priority 22.752550130388126 */
  TEST_EQ_DBL(r.fit, 30.336733507184167);
  TEST_EQ_DBL(r.risk, 25.0);
  TEST_EQ_DBL(r.priority, 22.752550130388126);

  set_str(&l, SCORE_VERTICAL, "retail");
  r = run(&l);
  /* (1 − e^(−0.1)) · (0.14/0.2 = 0.7000000000000001) / 1.5, left to right (refscore) */
  TEST_EQ_DBL(r.component[MODEL_VB], 0.04440920491655223);
  TEST_EQ_DBL(r.component[MODEL_NH], 0.5); /* 0 < c = 2 < 5 */

  set_str(&l, SCORE_VERTICAL, "zero");
  r = run(&l);
  TEST_EQ_DBL(r.component[MODEL_NH], 0.0); /* c = 5 is not < 5 */
}

static void test_ne(void) {
  lead l;
  lead_init(&l);
  set_str(&l, SCORE_COMPELLING_EVENT, "merger");
  TEST_EQ_DBL(run(&l).component[MODEL_NE], 0.6);
  TEST_EQ_DBL(run(&l).component[MODEL_NN], 0.4);
  set_bool(&l, SCORE_PAIN_STATED, 1);
  TEST_EQ_DBL(run(&l).component[MODEL_NE], 1.0); /* 0.6 + 0.4 */
  TEST_EQ_DBL(run(&l).component[MODEL_NN], 0.0);
  lead_init(&l);
  set_bool(&l, SCORE_PAIN_STATED, 1);
  TEST_EQ_DBL(run(&l).component[MODEL_NE], 0.4);
  TEST_EQ_DBL(run(&l).component[MODEL_NN], 0.6);
  set_bool(&l, SCORE_PAIN_STATED, 0);
  TEST_EQ_DBL(run(&l).component[MODEL_NE], 0.0);
}

static void test_af(void) {
  lead l;
  lead_init(&l);
  set_num(&l, SCORE_BUDGET, 2500);
  TEST_EQ_DBL(run(&l).component[MODEL_AF], 0.25); /* 2500 / A_g 10000 */
  set_num(&l, SCORE_ANNUAL_REVENUE, 1e9);
  TEST_EQ_DBL(run(&l).component[MODEL_AF], 0.25); /* budget wins over revenue */
  set_num(&l, SCORE_BUDGET, 20000);
  TEST_EQ_DBL(run(&l).component[MODEL_AF], 1.0);  /* clamp(2) */
  lead_init(&l);
  set_num(&l, SCORE_ANNUAL_REVENUE, 1e6);
  TEST_EQ_DBL(run(&l).component[MODEL_AF], 0.7);  /* 0.7 · clamp(0.02·1e6 / 1e4 = 2) */
  set_num(&l, SCORE_ANNUAL_REVENUE, 100000);
  /* 0.7 · (0.02·100000 / 10000 = 0.2) = 0.13999999999999999 in double */
  score_result r = run(&l);
  TEST_EQ_DBL(r.component[MODEL_AF], 0.13999999999999999);
  TEST_EQ_DBL(r.fit, 17.299999999999997); /* refscore */
  TEST_EQ_DBL(r.priority, 9.514999999999999);
}

static void test_ap(void) {
  lead l;
  lead_init(&l);
  set_str(&l, SCORE_EMAIL, "Ann@Example.COM");
  set_str(&l, SCORE_PHONE, "+1 (555) 010-1234"); /* 11 ASCII digits */
  TEST_EQ_DBL(run(&l).component[MODEL_AP], 0.7);
  set_str(&l, SCORE_PHONE, "555-01-01"); /* 7 digits: enough */
  TEST_EQ_DBL(run(&l).component[MODEL_AP], 0.7);
  set_str(&l, SCORE_PHONE, "555-01-0"); /* 6 digits: not a phone */
  TEST_EQ_DBL(run(&l).component[MODEL_AP], 0.5);
  set_str(&l, SCORE_EMAIL, "ann@example"); /* no dot in the domain: invalid */
  TEST_EQ_DBL(run(&l).component[MODEL_AP], 0.1);
  set_str(&l, SCORE_PHONE, "5550101x");
  TEST_EQ_DBL(run(&l).component[MODEL_AP], 0.5);
  set_str(&l, SCORE_LEAD_SOURCE, "Referral");
  TEST_EQ_DBL(run(&l).component[MODEL_AP], 1.0); /* ASCII case-insensitive */
  set_str(&l, SCORE_LEAD_SOURCE, "referrals");
  TEST_EQ_DBL(run(&l).component[MODEL_AP], 0.5);
  set_bool(&l, SCORE_WARM_INTRO, 1);
  TEST_EQ_DBL(run(&l).component[MODEL_AP], 1.0);
  set_bool(&l, SCORE_CONTACT_OK, 0);
  score_result r = run(&l);
  TEST_EQ_DBL(r.component[MODEL_AP], 0.0); /* contact not ok beats warm intro */
  TEST_EQ_INT(r.disqualify, DQ_DO_NOT_CONTACT);
  set_bool(&l, SCORE_CONTACT_OK, 1);
  set_bool(&l, SCORE_DO_NOT_CONTACT, 1);
  r = run(&l);
  TEST_EQ_DBL(r.component[MODEL_AP], 0.0);
  TEST_EQ_INT(r.disqualify, DQ_DO_NOT_CONTACT);
  set_bool(&l, SCORE_DO_NOT_CONTACT, 0);
  TEST_EQ_DBL(run(&l).component[MODEL_AP], 1.0);

  /* a long email takes the heap path and is still valid */
  char *longmail = malloc(1001);
  memset(longmail, 'a', 1000);
  memcpy(longmail + 990, "@x.com", 7);
  lead_init(&l);
  set_str(&l, SCORE_EMAIL, longmail);
  TEST_EQ_DBL(run(&l).component[MODEL_AP], 0.5);
  free(longmail);
}

static void test_dm(void) {
  lead l;
  lead_init(&l);
  set_str(&l, SCORE_TITLE, "Co-Founder & CEO");
  TEST_EQ_DBL(run(&l).component[MODEL_AU], 1.0);
  TEST_EQ_DBL(run(&l).component[MODEL_NA], 0.0);
  set_bool(&l, SCORE_IS_DECISION_MAKER, 0); /* the flag wins over the title */
  TEST_EQ_DBL(run(&l).component[MODEL_AU], 0.3);
  TEST_EQ_DBL(run(&l).component[MODEL_NA], 1.0);
  set_str(&l, SCORE_TITLE, "Intern");
  set_bool(&l, SCORE_IS_DECISION_MAKER, 1);
  TEST_EQ_DBL(run(&l).component[MODEL_AU], 1.0);

#define DM(s) score_title_is_dm(s, strlen(s))
  TEST_EQ_INT(DM("Co-Founder"), 1);      /* `-` is a boundary */
  TEST_EQ_INT(DM("Sub-Director"), 1);
  TEST_EQ_INT(DM("Directors"), 0);       /* followed by a letter */
  TEST_EQ_INT(DM("Head\xc2\xa0of Sales"), 0); /* NBSP (>= U+0080) is a word character */
  TEST_EQ_INT(DM("Head of Sales"), 1);
  TEST_EQ_INT(DM("CEO\xe2\x80\x93" "Founder"), 0); /* en dash joins both words */
  TEST_EQ_INT(DM("\xc3\xa9" "ceo"), 0);  /* é before */
  TEST_EQ_INT(DM("vice president"), 1);
  /* "vice president" needs one space, but two spaces still hold the keyword
   * "president" as a whole word, so the title is a DM either way */
  TEST_EQ_INT(DM("Vice  President"), 1);
  TEST_EQ_INT(DM("VicePresident"), 0);
  TEST_EQ_INT(DM("VP, Sales"), 1);
  TEST_EQ_INT(DM("vp_sales"), 0);        /* `_` is a word character */
  TEST_EQ_INT(DM("cto2"), 0);
  TEST_EQ_INT(DM("Ownership lead"), 0);
  TEST_EQ_INT(DM("co-owner"), 1);
  TEST_EQ_INT(DM("Managing Partner."), 1);
  TEST_EQ_INT(DM("PRINCIPAL"), 1);
  TEST_EQ_INT(DM("Chief"), 1);
  TEST_EQ_INT(DM("Sales Manager"), 0);
  TEST_EQ_INT(DM(""), 0);
  TEST_EQ_INT(score_title_is_dm("cfox", 3), 1); /* len bounds the title */
  /* every keyword, found by its first letter and length, alone and at a title's end */
  static const char *const kws[] = {"CEO", "cto", "Cfo", "COO", "cio", "CMO", "Chief", "founder",
                                    "co-founder", "Owner", "president", "VP", "Vice President",
                                    "director", "HEAD", "partner", "principal"};
  char title[64];
  for (size_t k = 0; k < sizeof kws / sizeof *kws; k++) {
    TEST_EQ_INT(DM(kws[k]), 1);
    snprintf(title, sizeof title, "Acting %s", kws[k]);
    TEST_EQ_INT(DM(title), 1);
    snprintf(title, sizeof title, "%sx", kws[k]);
    TEST_EQ_INT(DM(title), 0);
    TEST_EQ_INT(score_title_is_dm(kws[k], strlen(kws[k]) - 1), 0); /* one byte short */
  }
  TEST_EQ_INT(DM("C"), 0);
  TEST_EQ_INT(DM("co"), 0);
  TEST_EQ_INT(DM("Co-Fou"), 0);
#undef DM
}

static void test_pd(void) {
  lead l;
  lead_init(&l);
  set_str(&l, SCORE_VERTICAL, "retail"); /* D = 20 */
  set_num(&l, SCORE_DISCOUNT_REQUESTED_PCT, 10);
  TEST_EQ_DBL(run(&l).component[MODEL_PD], 0.0); /* below the median: max(0, −10) */
  set_num(&l, SCORE_DISCOUNT_REQUESTED_PCT, 30);
  TEST_EQ_DBL(run(&l).component[MODEL_PD], 0.4); /* 10 / 25 */
  set_num(&l, SCORE_PRICE_OBJECTIONS, 1);
  score_result r = run(&l);
  TEST_EQ_DBL(r.component[MODEL_PD], 0.52);      /* 0.4 + 0.12 */
  TEST_EQ_DBL(r.component[MODEL_VP], 0.48);
  TEST_EQ_DBL(r.risk, 48.0);                     /* refscore */
  TEST_EQ_DBL(r.priority, 8.53331966391518);
  set_num(&l, SCORE_COMPETITOR_QUOTES, 2);
  r = run(&l);
  /* 0.4 + 0.12 + 0.3 (0.15·2), left to right: 0.8200000000000001 (refscore) */
  TEST_EQ_DBL(r.component[MODEL_PD], 0.8200000000000001);
  TEST_EQ_DBL(r.component[MODEL_VP], 0.17999999999999994);
  TEST_EQ_DBL(r.fit, 13.410230122913806);
  TEST_EQ_DBL(r.risk, 55.50000000000001);
  TEST_EQ_DBL(r.priority, 5.967552404696643);
  set_num(&l, SCORE_COMPETITOR_QUOTES, 5);
  TEST_EQ_DBL(run(&l).component[MODEL_PD], 1.0); /* clamp */
}

static void test_er(void) {
  lead l;
  lead_init(&l);
  set_num(&l, SCORE_INFO_REQUESTS, 3);
  set_num(&l, SCORE_DEMO_REQUESTS, 2);
  set_num(&l, SCORE_MEETINGS_HELD, 1);
  TEST_EQ_DBL(run(&l).component[MODEL_ER], 0.5); /* (3 + 2 − 2·1) / 6 · 1 */
  set_date(&l, SCORE_DECISION_DATE, -1);
  TEST_EQ_DBL(run(&l).component[MODEL_ER], 0.5); /* a past decision date: f = 1 */
  set_date(&l, SCORE_DECISION_DATE, 0);
  TEST_EQ_DBL(run(&l).component[MODEL_ER], 0.25); /* on the as-of day counts: f = 0.5 */
  set_bool(&l, SCORE_NEXT_STEP_COMMITTED, 1);
  TEST_EQ_DBL(run(&l).component[MODEL_ER], 0.125); /* next step wins: f = 0.25 */
  set_bool(&l, SCORE_NEXT_STEP_COMMITTED, 0);
  TEST_EQ_DBL(run(&l).component[MODEL_ER], 0.25);
  set_num(&l, SCORE_MEETINGS_HELD, 4);
  TEST_EQ_DBL(run(&l).component[MODEL_ER], 0.0); /* negative → clamp 0 */
  set_num(&l, SCORE_MEETINGS_HELD, 0);
  set_num(&l, SCORE_INFO_REQUESTS, 30);
  TEST_EQ_DBL(run(&l).component[MODEL_ER], 0.5); /* clamp(32/6) · 0.5 */
  /* A24: 2^53 + 1 − 2·2^52 rounds to 0 in double */
  lead_init(&l);
  set_num(&l, SCORE_INFO_REQUESTS, 9007199254740992.0);
  set_num(&l, SCORE_DEMO_REQUESTS, 1);
  set_num(&l, SCORE_MEETINGS_HELD, 4503599627370496.0);
  TEST_EQ_DBL(run(&l).component[MODEL_ER], 0.0);
}

static void test_st(void) {
  lead l;
  lead_init(&l);
  set_date(&l, SCORE_CREATED_AT, -180);
  /* unseen C 90: age part (180/90 − 1.5)/2.5 = 0.2; idle part (180 − 90)/180 = 0.5 */
  score_result r = run(&l);
  TEST_EQ_DBL(r.component[MODEL_ST], 0.5);
  TEST_EQ_DBL(r.risk, 50.0);
  set_date(&l, SCORE_LAST_ACTIVITY_AT, -100);
  /* idle part 10/180 = 0.0555…, so the age part 0.2 is the max */
  TEST_EQ_DBL(run(&l).component[MODEL_ST], 0.2);
  set_date(&l, SCORE_LAST_ACTIVITY_AT, 30);
  TEST_EQ_DBL(run(&l).component[MODEL_ST], 0.2); /* idle −30: clamped to 0 */
  lead_init(&l);
  set_date(&l, SCORE_CREATED_AT, -178);
  r = run(&l);
  TEST_EQ_DBL(r.component[MODEL_ST], 0.4888888888888889); /* 88/180 > (178/90 − 1.5)/2.5 */
  TEST_EQ_DBL(r.risk, 49.888888888888886);
  TEST_EQ_DBL(r.priority, 10.272777777777776);
  lead_init(&l);
  set_date(&l, SCORE_CREATED_AT, 10); /* future: age max(0, −10) = 0, idle −10 */
  TEST_EQ_DBL(run(&l).component[MODEL_ST], 0.0);
  lead_init(&l);
  set_str(&l, SCORE_VERTICAL, "saas");
  set_date(&l, SCORE_CREATED_AT, -400);
  set_date(&l, SCORE_LAST_ACTIVITY_AT, 0);
  TEST_EQ_DBL(run(&l).component[MODEL_ST], 1.0); /* (400/30 − 1.5)/2.5 > 1 */
}

/* A25: A = 0 and C = 0 in the "zero" vertical. */
static void test_divisions(void) {
  lead l;
  lead_init(&l);
  set_str(&l, SCORE_VERTICAL, "zero");
  set_num(&l, SCORE_BUDGET, 100);
  score_result r = run(&l);
  TEST_EQ_DBL(r.component[MODEL_AF], 1.0); /* 100/0 = +inf → clamp 1 */
  TEST_EQ_INT(r.disqualify, DQ_NONE);      /* 100 < 0.1·0 is false */
  set_num(&l, SCORE_BUDGET, 0);
  r = run(&l);
  TEST_EQ_DBL(r.component[MODEL_AF], 0.0); /* 0/0 → 0 */
  TEST_EQ_INT(r.disqualify, DQ_NONE);      /* 0 < 0 is false */
  lead_init(&l);
  set_str(&l, SCORE_VERTICAL, "zero");
  set_num(&l, SCORE_ANNUAL_REVENUE, 5);
  TEST_EQ_DBL(run(&l).component[MODEL_AF], 0.7); /* 0.7 · clamp(0.1/0 = inf) */
  set_num(&l, SCORE_ANNUAL_REVENUE, 0);
  TEST_EQ_DBL(run(&l).component[MODEL_AF], 0.0);
  TEST_EQ_DBL(run(&l).component[MODEL_ST], 0.0); /* age 0: 0/0 → 0 */
  set_date(&l, SCORE_CREATED_AT, -1);
  set_date(&l, SCORE_LAST_ACTIVITY_AT, 0);
  TEST_EQ_DBL(run(&l).component[MODEL_ST], 1.0); /* age 1: 1/0 = inf → clamp 1 */
  /* D = 0: any discount counts */
  set_num(&l, SCORE_DISCOUNT_REQUESTED_PCT, 5);
  TEST_EQ_DBL(run(&l).component[MODEL_PD], 0.2);
}

static void test_segments(void) {
  lead l;
  struct {
    const char *rel;
    double purchases; /* < 0: missing */
    int last_purchase; /* days from as-of; 999: missing */
    double discount;   /* PD = max(0, discount − 10)/25 with the unseen D = 10 */
    int want;
  } cases[] = {
      {NULL, -1, 999, 0, SEG_PROSPECT_NEW},            /* missing relationship = new */
      {"New", -1, 999, 0, SEG_PROSPECT_NEW},
      {"Aware", 5, 999, 30, SEG_PROSPECT_AWARE},        /* signals do not matter */
      {"FORMER_CUSTOMER", -1, 999, 0, SEG_PROSPECT_FORMER},
      {"customer", 5, 0, 22.5, SEG_CUSTOMER_PRICE_SHOPPER}, /* PD 12.5/25 = 0.5 exactly */
      {"customer", 5, 0, 22, SEG_CUSTOMER_LOYAL},           /* PD 0.48 */
      {"customer", 3, 999, 0, SEG_CUSTOMER_LOYAL},
      {"customer", 2, 0, 0, SEG_CUSTOMER_ESTABLISHED},      /* 2: neither ≥ 3 nor ≤ 1 */
      {"customer", 1, -180, 0, SEG_CUSTOMER_NEW},           /* 180 days: within */
      {"customer", 1, -181, 0, SEG_CUSTOMER_ESTABLISHED},
      {"customer", 0, 40, 0, SEG_CUSTOMER_NEW},             /* a future purchase counts */
      {"customer", -1, -10, 0, SEG_CUSTOMER_NEW},           /* missing purchases = 0 */
      {"customer", 1, 999, 0, SEG_CUSTOMER_ESTABLISHED},    /* no last purchase */
      {"Returning_Customer", -1, 999, 22.5, SEG_CUSTOMER_HYBRID},
      {"returning_customer", -1, 999, 22, SEG_CUSTOMER_BOUNCE_BACK},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    lead_init(&l);
    if (cases[i].rel) set_str(&l, SCORE_RELATIONSHIP, cases[i].rel);
    if (cases[i].purchases >= 0) set_num(&l, SCORE_PURCHASES_COUNT, cases[i].purchases);
    if (cases[i].last_purchase != 999) set_date(&l, SCORE_LAST_PURCHASE_AT, cases[i].last_purchase);
    set_num(&l, SCORE_DISCOUNT_REQUESTED_PCT, cases[i].discount);
    score_result r = run(&l);
    if (r.segment != cases[i].want) printf("segment case %zu\n", i);
    TEST_EQ_INT(r.segment, cases[i].want);
  }
}

static void test_customer_weights(void) {
  lead l;
  lead_init(&l);
  set_str(&l, SCORE_RELATIONSHIP, "customer");
  score_result r = run(&l);
  TEST_EQ_INT(r.segment, SEG_CUSTOMER_ESTABLISHED);
  /* customer weights: sf = .2·.3 + .25·.1 + .1·.3 + .15·1 = 0.265; sr = .4·0 + 0·1 + .15·1
   * + .1·1 = 0.25; the same lead as a prospect has fit 20.5, risk 45 */
  TEST_EQ_DBL(r.fit, 26.5);
  TEST_EQ_DBL(r.risk, 25.0);
  TEST_EQ_DBL(r.priority, 19.875);
  /* VP .15·1 = 15 ties NN 15: fit first; NH weighs 0 for customers */
  TEST_EQ_INT(r.n_reasons, 3);
  TEST_EQ_INT(r.reasons[0], MODEL_VP);
  TEST_EQ_INT(r.reasons[1], MODEL_NN);
  TEST_EQ_INT(r.reasons[2], MODEL_NA);

  lead_init(&l);
  set_str(&l, SCORE_VERTICAL, "saas");
  set_str(&l, SCORE_RELATIONSHIP, "customer");
  set_num(&l, SCORE_PURCHASES_COUNT, 3);
  set_num(&l, SCORE_BUDGET, 30000);
  set_str(&l, SCORE_EMAIL, "x@y.io");
  set_bool(&l, SCORE_IS_DECISION_MAKER, 1);
  set_str(&l, SCORE_COMPELLING_EVENT, "merger");
  r = run(&l);
  TEST_EQ_INT(r.segment, SEG_CUSTOMER_LOYAL);
  /* VB 0.3934693402873666, NE .6, AF 1, AP .5, AU 1, VP 1; risk NN .4·.15 = 6 (refscore) */
  TEST_EQ_DBL(r.fit, 72.4020401043105);
  TEST_EQ_DBL(r.risk, 6.0);
  TEST_EQ_DBL(r.priority, 68.05791769805187);
  TEST_EQ_INT(r.tier, 'A');
  /* AF 20, VP 15, AP 12.5, NE 9, AU 10, VB 5.9: three best */
  TEST_EQ_INT(r.reasons[0], MODEL_AF);
  TEST_EQ_INT(r.reasons[1], MODEL_VP);
  TEST_EQ_INT(r.reasons[2], MODEL_AP);
}

static void test_disqualify(void) {
  lead l;
  /* every rule matches: do_not_contact is first */
  lead_init(&l);
  set_bool(&l, SCORE_CONTACT_OK, 0);
  set_num(&l, SCORE_DISCOUNT_REQUESTED_PCT, 100);
  set_num(&l, SCORE_BUDGET, 1);
  set_num(&l, SCORE_INFO_REQUESTS, 6);
  set_date(&l, SCORE_CREATED_AT, -400);
  score_result r = run(&l);
  TEST_EQ_INT(r.disqualify, DQ_DO_NOT_CONTACT);
  TEST_EQ_INT(r.tier, 'X');
  TEST_EQ_INT(r.n_reasons, 0);
  set_bool(&l, SCORE_CONTACT_OK, 1);
  TEST_EQ_INT(run(&l).disqualify, DQ_PRICE_BUYER_OUTSIDE_MODEL);
  set_num(&l, SCORE_DISCOUNT_REQUESTED_PCT, 30); /* PD (30 − 10)/25 = 0.8 exactly, c = 0 */
  TEST_EQ_INT(run(&l).disqualify, DQ_PRICE_BUYER_OUTSIDE_MODEL);
  set_num(&l, SCORE_DISCOUNT_REQUESTED_PCT, 29.9);
  TEST_EQ_INT(run(&l).disqualify, DQ_CANNOT_AFFORD); /* 1 < 0.1 · 10000 */
  set_num(&l, SCORE_BUDGET, 1000);                  /* 1000 < 1000 is false */
  TEST_EQ_INT(run(&l).disqualify, DQ_PROFESSIONAL_WINDOW_SHOPPER); /* ER 1, no meetings, ST 1 */
  set_num(&l, SCORE_BUDGET, 999.99);
  TEST_EQ_INT(run(&l).disqualify, DQ_CANNOT_AFFORD);

  /* price buyer needs c = 0: retail (c 2) with PD 1 is not, and falls to cannot_afford */
  lead_init(&l);
  set_str(&l, SCORE_VERTICAL, "retail");
  set_num(&l, SCORE_DISCOUNT_REQUESTED_PCT, 100);
  set_num(&l, SCORE_BUDGET, 499);                   /* < 0.1 · 5000 */
  TEST_EQ_INT(run(&l).disqualify, DQ_CANNOT_AFFORD);
  set_num(&l, SCORE_BUDGET, 500);
  TEST_EQ_INT(run(&l).disqualify, DQ_NONE);

  /* window shopper: ER ≥ 0.9, meetings 0, ST ≥ 0.5 */
  lead_init(&l);
  set_num(&l, SCORE_INFO_REQUESTS, 6);
  set_date(&l, SCORE_CREATED_AT, -180);            /* ST 0.5 exactly */
  TEST_EQ_INT(run(&l).disqualify, DQ_PROFESSIONAL_WINDOW_SHOPPER);
  set_date(&l, SCORE_CREATED_AT, -178);            /* ST 0.4888… */
  TEST_EQ_INT(run(&l).disqualify, DQ_NONE);
  set_date(&l, SCORE_CREATED_AT, -180);
  set_num(&l, SCORE_INFO_REQUESTS, 8);
  set_num(&l, SCORE_MEETINGS_HELD, 1);             /* ER (8 − 2)/6 = 1 but a meeting */
  TEST_EQ_INT(run(&l).disqualify, DQ_NONE);
  set_num(&l, SCORE_MEETINGS_HELD, 0);
  set_num(&l, SCORE_INFO_REQUESTS, 5);             /* ER 5/6 < 0.9 */
  TEST_EQ_INT(run(&l).disqualify, DQ_NONE);
  set_num(&l, SCORE_INFO_REQUESTS, 6);
  set_date(&l, SCORE_DECISION_DATE, 5);            /* f 0.5: ER 0.5 */
  TEST_EQ_INT(run(&l).disqualify, DQ_NONE);
}

/* Tier thresholds compare the unrounded values: put a threshold exactly on the lead's
 * priority (or risk) and one ulp above it. */
static void test_tiers(void) {
  lead l;
  model m = mdl;
  lead_init(&l);
  set_str(&l, SCORE_VERTICAL, "retail");
  set_num(&l, SCORE_BUDGET, 2500);
  set_str(&l, SCORE_EMAIL, "a@b.co");
  set_str(&l, SCORE_PHONE, "+1 (555) 010-1234");
  set_str(&l, SCORE_TITLE, "Sales Director");
  set_str(&l, SCORE_COMPELLING_EVENT, "x");
  set_bool(&l, SCORE_PAIN_STATED, 1);
  score_result r = run(&l);
  /* refscore: fit 61.6102301229138, risk 10.0, priority 55.44920711062242 → B */
  TEST_EQ_DBL(r.fit, 61.6102301229138);
  TEST_EQ_DBL(r.risk, 10.0);
  TEST_EQ_DBL(r.priority, 55.44920711062242);
  TEST_EQ_INT(r.tier, 'B');
  /* NE 20, AP .15·.7 = 10.5, AF .2·.5 = 10, AU 10, VP 10: AF before AU and VP (ties) */
  TEST_EQ_INT(r.reasons[0], MODEL_NE);
  TEST_EQ_INT(r.reasons[1], MODEL_AP);
  TEST_EQ_INT(r.reasons[2], MODEL_AF);
  double p = r.priority;
  m.tier_a_priority = p;
  TEST_EQ_INT(run_m(&l, &m).tier, 'A');            /* priority ≥ threshold, risk 10 < 30 */
  m.tier_a_max_risk = 10.0;
  TEST_EQ_INT(run_m(&l, &m).tier, 'B');            /* risk < 10 is false */
  m = mdl;
  m.tier_a_priority = nextafter(p, INFINITY);
  TEST_EQ_INT(run_m(&l, &m).tier, 'B');
  m.tier_b_priority = nextafter(p, INFINITY);
  TEST_EQ_INT(run_m(&l, &m).tier, 'C');
  m.tier_c_priority = p;
  TEST_EQ_INT(run_m(&l, &m).tier, 'C');
  m.tier_c_priority = nextafter(p, INFINITY);
  TEST_EQ_INT(run_m(&l, &m).tier, 'D');
}

static void test_reasons_threshold(void) {
  lead l;
  model m = mdl;
  /* only three weights: VP .1, PD .25, NA .05 (100·w exact: 10, 25, 5) */
  memset(m.weight, 0, sizeof m.weight);
  m.weight[MODEL_PROSPECT][MODEL_VP] = 0.1;
  m.weight[MODEL_PROSPECT][MODEL_PD] = 0.25;
  m.weight[MODEL_PROSPECT][MODEL_NA] = 0.05;
  m.weight[MODEL_PROSPECT][MODEL_AU] = 0.1; /* AU 0.3: contribution 3, below 5 */
  lead_init(&l);
  set_num(&l, SCORE_DISCOUNT_REQUESTED_PCT, 15); /* PD 5/25 = 0.2: 25 · 0.2 = 5.0 exactly */
  score_result r = run_m(&l, &m);
  /* VP 10·0.8 = 8, PD 5.0, NA 5·1 = 5.0 (tie: PD first, component order) */
  TEST_EQ_INT(r.n_reasons, 3);
  TEST_EQ_INT(r.reasons[0], MODEL_VP);
  TEST_EQ_INT(r.reasons[1], MODEL_PD);
  TEST_EQ_INT(r.reasons[2], MODEL_NA);
  set_num(&l, SCORE_DISCOUNT_REQUESTED_PCT, 14.99); /* PD 0.1996: 4.99 < 5 */
  r = run_m(&l, &m);
  TEST_EQ_INT(r.n_reasons, 2);
  TEST_EQ_INT(r.reasons[0], MODEL_VP);
  TEST_EQ_INT(r.reasons[1], MODEL_NA);
  m.reason_min_contribution = 9;
  r = run_m(&l, &m);
  TEST_EQ_INT(r.n_reasons, 0); /* VP 10·0.8004 = 8.004 */
  /* the default model with the same lead: PD 0.2 contributes 5.0 among larger ones */
  set_num(&l, SCORE_DISCOUNT_REQUESTED_PCT, 15);
  r = run(&l);
  TEST_EQ_DBL(r.fit, 18.5);
  TEST_EQ_DBL(r.risk, 50.0);
  TEST_EQ_INT(r.reasons[0], MODEL_NH);
  TEST_EQ_INT(r.reasons[1], MODEL_NN);
  TEST_EQ_INT(r.reasons[2], MODEL_NA); /* NA 10 beats VP 10·0.8 = 8 */
}

/* A schema without most canonical fields: absent roles are missing in every row. */
static void test_absent_fields(void) {
  schema_field f[3];
  schema s;
  score_plan p;
  lr_err err;
  memset(f, 0, sizeof f);
  f[0].name = "created_at";
  f[1].name = "budget";
  f[2].name = "lead_id";
  s.name = "small";
  s.fields = f;
  s.n_fields = 3;
  lr_err_clear(&err);
  TEST_EQ_INT(score_plan_bind(&p, &s, &err), LR_OK);
  TEST_EQ_INT(p.field[SCORE_LEAD_ID], 2);
  TEST_EQ_INT(p.field[SCORE_CREATED_AT], 0);
  TEST_EQ_INT(p.field[SCORE_BUDGET], 1);
  TEST_EQ_INT(p.field[SCORE_CONTACT_OK], -1);
  lr_value v[3];
  memset(v, 0, sizeof v);
  v[0].present = 1;
  v[0].date = AS_OF;
  v[1].present = 1;
  v[1].num = 2500;
  v[2].present = 1;
  v[2].str = "L";
  v[2].str_len = 1;
  score_result r;
  score_row(&p, &mdl, hist, AS_OF, v, &r);
  TEST_EQ_DBL(r.component[MODEL_AF], 0.25);
  TEST_EQ_DBL(r.component[MODEL_AP], 0.1); /* contact_ok absent = true */
  TEST_EQ_INT(r.segment, SEG_PROSPECT_NEW);
  TEST_EQ_INT(r.disqualify, DQ_NONE);

  s.n_fields = 2; /* no lead_id */
  TEST_EQ_INT(score_plan_bind(&p, &s, &err), LR_ERR_SCHEMA);
  TEST_EQ_STR(err.msg, "small: scoring needs the fields lead_id and created_at");
}

static void test_names(void) {
  TEST_EQ_STR(score_segment_name(SEG_PROSPECT_NEW), "prospect_new");
  TEST_EQ_STR(score_segment_name(SEG_CUSTOMER_PRICE_SHOPPER), "customer_price_shopper");
  TEST_EQ_STR(score_segment_name(SEG_CUSTOMER_BOUNCE_BACK), "customer_bounce_back");
  TEST_EQ_STR(score_disqualify_name(DQ_NONE), "");
  TEST_EQ_STR(score_disqualify_name(DQ_PROFESSIONAL_WINDOW_SHOPPER), "professional_window_shopper");
  TEST_EQ_STR(score_reason_label(MODEL_VB), "+vertical_buys");
  TEST_EQ_STR(score_reason_label(MODEL_VP), "+values_not_price");
  TEST_EQ_STR(score_reason_label(MODEL_PD), "-price_driven");
  TEST_EQ_STR(score_reason_label(MODEL_NA), "-no_authority");
}

/* score_row_email: the same score as score_row, plus the normalised email for the dedupe
 * key, whatever branch of the approachability rule the lead takes. */
static void test_row_email(void) {
  static const char *const mails[] = {"Ann@Example.COM", "ann@example", "a b@x.com", NULL};
  lead l;
  char out[64];
  for (int variant = 0; variant < 3; variant++) {
    for (size_t k = 0; k < sizeof mails / sizeof *mails; k++) {
      lead_init(&l);
      set_str(&l, SCORE_PHONE, "555-01-01");
      if (variant == 1) set_bool(&l, SCORE_WARM_INTRO, 1);   /* email not needed for AP */
      if (variant == 2) set_bool(&l, SCORE_CONTACT_OK, 0);
      if (mails[k] != NULL) set_str(&l, SCORE_EMAIL, mails[k]);
      score_result a = run(&l), b;
      memset(&b, 0xAB, sizeof b);
      memset(out, 0, sizeof out);
      int ok = score_row_email(&plan, &mdl, hist, AS_OF, l.v, &b, out);
      TEST_EQ_INT(ok, k == 0);
      TEST_CHECK(memcmp(&a, &b, sizeof a) == 0);
      if (k == 0) TEST_EQ_STR(out, "ann@example.com");
    }
  }
  lead_init(&l);
  set_str(&l, SCORE_PHONE, "555-01-01");
  set_str(&l, SCORE_EMAIL, "Ann@Example.COM");
  score_result r;
  TEST_EQ_INT(score_row_email(&plan, &mdl, hist, AS_OF, l.v, &r, out), 1);
  TEST_EQ_DBL(r.component[MODEL_AP], 0.7);
}

int main(void) {
  setup();
  test_base();
  test_vb();
  test_ne();
  test_af();
  test_ap();
  test_dm();
  test_pd();
  test_er();
  test_st();
  test_divisions();
  test_segments();
  test_customer_weights();
  test_disqualify();
  test_tiers();
  test_reasons_threshold();
  test_absent_fields();
  test_names();
  test_row_email();
  history_free(hist);
  return TEST_REPORT();
}
