/* score.c — one lead's components, fit, risk, priority, segment, disqualification, tier
 * and reasons (SPEC §4), evaluated as refscore's score() (A24–A32) to the bit.
 *
 * Owns the canonical field names by role (score_plan_bind), the DM title rule (A26) and
 * the label tables. Every formula below keeps refscore's operand order: the build uses
 * -ffp-contract=off, so `a + b * c` is two roundings here as in Python, and a reordered
 * sum would change low bits that ranking compares.
 */
#include "score.h"

#include <math.h>
#include <stdlib.h>

#include "values.h"

/* Canonical field names, in enum score_col order. */
static const char *const score_col_names[SCORE_N_COLS] = {
    "lead_id", "created_at", "company", "domain", "contact_name", "email", "phone", "title",
    "is_decision_maker", "vertical", "country", "employees", "annual_revenue", "budget",
    "lead_source", "relationship", "purchases_count", "last_purchase_at",
    "discount_requested_pct", "price_objections", "competitor_quotes", "info_requests",
    "demo_requests", "meetings_held", "next_step_committed", "decision_date",
    "compelling_event", "pain_stated", "last_activity_at", "owner", "territory", "contact_ok",
    "warm_intro", "first_name", "last_name", "do_not_contact"};

static const char *const score_segment_names[SEG_COUNT] = {
    "prospect_new",        "prospect_aware",          "prospect_former",
    "customer_price_shopper", "customer_loyal",       "customer_new",
    "customer_established", "customer_hybrid",        "customer_bounce_back"};

static const char *const score_disqualify_names[DQ_COUNT] = {
    "", "do_not_contact", "price_buyer_outside_model", "cannot_afford",
    "professional_window_shopper"};

static const char *const score_reason_labels[MODEL_N_COMPONENTS] = {
    "+vertical_buys", "+compelling_need", "+can_afford",      "+approachable",
    "+decision_maker", "+values_not_price", "-price_driven",   "-vertical_no_history",
    "-errand_runner",  "-no_compelling_need", "-stalled_cycle", "-no_authority"};

/* A lower-case word with its length, so that matching never calls strlen. */
typedef struct score_word {
  const char *text;
  size_t len;
} score_word;
#define SCORE_WORD(w) {w, sizeof w - 1}

/* A26 keywords. */
static const score_word score_dm_keywords[] = {
    SCORE_WORD("ceo"),      SCORE_WORD("cto"),        SCORE_WORD("cfo"),
    SCORE_WORD("coo"),      SCORE_WORD("cio"),        SCORE_WORD("cmo"),
    SCORE_WORD("chief"),    SCORE_WORD("founder"),    SCORE_WORD("co-founder"),
    SCORE_WORD("owner"),    SCORE_WORD("president"),  SCORE_WORD("vp"),
    SCORE_WORD("vice president"), SCORE_WORD("director"), SCORE_WORD("head"),
    SCORE_WORD("partner"),  SCORE_WORD("principal")};

/* Emails up to this many bytes are checked in a stack buffer; longer ones (rare, and
 * only possible in schemas without format: email) use the heap. */
#define SCORE_EMAIL_STACK 320

int score_plan_bind(score_plan *p, const schema *s, lr_err *err) {
  for (int i = 0; i < SCORE_N_COLS; i++) p->field[i] = schema_field_index(s, score_col_names[i]);
  if (p->field[SCORE_LEAD_ID] < 0 || p->field[SCORE_CREATED_AT] < 0)
    return lr_err_set(err, LR_ERR_SCHEMA, "%s: scoring needs the fields lead_id and created_at",
                      s->name ? s->name : "schema");
  return LR_OK;
}

const char *score_col_name(int col) {
  return col >= 0 && col < SCORE_N_COLS ? score_col_names[col] : "";
}

const char *score_segment_name(int segment) {
  return segment >= 0 && segment < SEG_COUNT ? score_segment_names[segment] : "";
}

const char *score_disqualify_name(int disqualify) {
  return disqualify >= 0 && disqualify < DQ_COUNT ? score_disqualify_names[disqualify] : "";
}

const char *score_reason_label(int component) {
  return component >= 0 && component < MODEL_N_COMPONENTS ? score_reason_labels[component] : "";
}

/* A26: ASCII letters and digits, `_`, and every byte of a code point >= U+0080. */
static int score_is_word_byte(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         c >= 0x80;
}

static unsigned char score_ascii_lower(unsigned char c) {
  return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* 1 when s[0, len) ASCII-lowercased equals the lower-case word w. */
static int score_equals_lower(const char *s, size_t len, const score_word *w) {
  if (len != w->len) return 0;
  for (size_t i = 0; i < len; i++)
    if (score_ascii_lower((unsigned char)s[i]) != (unsigned char)w->text[i]) return 0;
  return 1;
}

int score_title_is_dm(const char *title, size_t len) {
  const unsigned char *t = (const unsigned char *)title;
  for (size_t i = 0; i < len; i++) {
    if (i > 0 && score_is_word_byte(t[i - 1])) continue;
    /* Most word starts match no keyword's first letter: test that before comparing. */
    const unsigned char first = score_ascii_lower(t[i]);
    for (size_t k = 0; k < sizeof score_dm_keywords / sizeof *score_dm_keywords; k++) {
      const score_word *kw = &score_dm_keywords[k];
      if ((unsigned char)kw->text[0] != first || kw->len > len - i) continue;
      if (!score_equals_lower(title + i, kw->len, kw)) continue;
      if (i + kw->len < len && score_is_word_byte(t[i + kw->len])) continue;
      return 1;
    }
  }
  return 0;
}

/* The value of role `col`, or NULL when the schema lacks the field or the value is missing. */
static const lr_value *score_get(const score_plan *p, const lr_value *vals, int col) {
  long f = p->field[col];
  if (f < 0 || !vals[f].present) return NULL;
  return &vals[f];
}

/* A missing count is 0 (SPEC §4); counts are exact integers in a double already (A24). */
static double score_count(const score_plan *p, const lr_value *vals, int col) {
  const lr_value *v = score_get(p, vals, col);
  return v ? v->num : 0.0;
}

/* Boolean role: 1 true, 0 false, -1 missing. */
static int score_bool(const score_plan *p, const lr_value *vals, int col) {
  const lr_value *v = score_get(p, vals, col);
  return v ? v->boolean != 0 : -1;
}

static double score_clamp(double x) { return x < 0.0 ? 0.0 : (x > 1.0 ? 1.0 : x); }

/* x / y, with y = 0 giving +inf for x > 0 and 0 otherwise (A25). */
static double score_div(double x, double y) {
  if (y != 0) return x / y;
  return x > 0 ? INFINITY : 0.0;
}

static int score_email_valid(const lr_value *v) {
  char stack[SCORE_EMAIL_STACK];
  char *buf = stack;
  int ok;
  if (v == NULL) return 0;
  if (v->str_len > sizeof stack) buf = lr_xmalloc(v->str_len);
  ok = values_email_normalize(v->str, v->str_len, buf);
  if (buf != stack) free(buf);
  return ok;
}

static size_t score_count_digits(const lr_value *v) {
  size_t n = 0;
  if (v == NULL) return 0;
  for (size_t i = 0; i < v->str_len; i++) n += v->str[i] >= '0' && v->str[i] <= '9';
  return n;
}

static int score_is_referral(const lr_value *v) {
  const char *s;
  size_t len;
  if (v == NULL) return 0;
  s = v->str;
  len = v->str_len;
  values_trim(&s, &len);
  static const score_word referral = SCORE_WORD("referral");
  return score_equals_lower(s, len, &referral);
}

/* Relationship enum, matched ASCII case-insensitively (validate has checked it). */
enum score_rel { REL_NEW, REL_AWARE, REL_FORMER, REL_CUSTOMER, REL_RETURNING };

static int score_relationship(const lr_value *v) {
  static const score_word names[] = {SCORE_WORD("new"), SCORE_WORD("aware"),
                                      SCORE_WORD("former_customer"), SCORE_WORD("customer"),
                                      SCORE_WORD("returning_customer")};
  const char *s;
  size_t len;
  if (v == NULL) return REL_NEW; /* missing = new (SPEC §2) */
  s = v->str;
  len = v->str_len;
  values_trim(&s, &len);
  for (int i = 0; i < 5; i++)
    if (score_equals_lower(s, len, &names[i])) return i;
  /* Only a custom schema without the enum constraint gets here: treat as a prospect. */
  return REL_NEW;
}

/* Reasons (A32): contributions (100·w)·value >= threshold, largest first, ties by
 * component order, at most three. */
static void score_reasons(const model *m, const double *w, const double *x, score_result *out) {
  double contrib[MODEL_N_COMPONENTS];
  unsigned char order[MODEL_N_COMPONENTS];
  size_t n = 0;
  for (int i = 0; i < MODEL_N_COMPONENTS; i++) {
    double c = 100 * w[i] * x[i];
    if (!(c >= m->reason_min_contribution)) continue;
    /* insertion keeps equal contributions in component order (stable) */
    size_t j = n++;
    while (j > 0 && contrib[j - 1] < c) {
      contrib[j] = contrib[j - 1];
      order[j] = order[j - 1];
      j--;
    }
    contrib[j] = c;
    order[j] = (unsigned char)i;
  }
  out->n_reasons = (unsigned char)(n < 3 ? n : 3);
  for (size_t i = 0; i < out->n_reasons; i++) out->reasons[i] = order[i];
}

/* score_row's body. email_valid: 1 or 0 when the caller has already normalised the
 * email role, -1 to normalise it here only if the approachability rule needs it. */
static void score_row_with(const score_plan *p, const model *m, const history *h, int32_t as_of,
                           const lr_value *vals, int email_valid, score_result *out) {
  const lr_value *vert = score_get(p, vals, SCORE_VERTICAL);
  const hist_vstats *st = history_lookup(h, vert ? vert->str : NULL, vert ? vert->str_len : 0);
  const double c = (double)st->c, A = st->A, Dv = st->D, C = st->C;
  const double wr_g = history_get_globals(h)->wr_g;
  const lr_value *disc = score_get(p, vals, SCORE_DISCOUNT_REQUESTED_PCT);
  const double d = disc ? disc->num : 0.0;
  const double po = score_count(p, vals, SCORE_PRICE_OBJECTIONS);
  const double cq = score_count(p, vals, SCORE_COMPETITOR_QUOTES);
  const double info = score_count(p, vals, SCORE_INFO_REQUESTS);
  const double demo = score_count(p, vals, SCORE_DEMO_REQUESTS);
  const double meet = score_count(p, vals, SCORE_MEETINGS_HELD);
  const lr_value *budget = score_get(p, vals, SCORE_BUDGET);
  const lr_value *rev = score_get(p, vals, SCORE_ANNUAL_REVENUE);
  double VB, NE, AF, AP, AU, VP, PD, NH, ER, NN, ST, NA;

  int dm = score_bool(p, vals, SCORE_IS_DECISION_MAKER);
  if (dm < 0) {
    const lr_value *title = score_get(p, vals, SCORE_TITLE);
    dm = title ? score_title_is_dm(title->str, title->str_len) : 0;
  }
  const int contact_ok = score_bool(p, vals, SCORE_CONTACT_OK) != 0 &&
                         score_bool(p, vals, SCORE_DO_NOT_CONTACT) != 1;

  /* fit */
  if (st->c == 0) {
    VB = 0.0;
  } else {
    double ratio = st->wr_s / wr_g;
    if (m->vb_win_ratio_cap < ratio) ratio = m->vb_win_ratio_cap; /* min(ratio, cap) */
    VB = (1.0 - exp(-c / m->vb_customers_scale)) * ratio / m->vb_win_ratio_cap;
  }
  NE = (score_get(p, vals, SCORE_COMPELLING_EVENT) ? m->ne_event : 0.0) +
       (score_bool(p, vals, SCORE_PAIN_STATED) == 1 ? m->ne_pain : 0.0);
  if (budget)
    AF = score_clamp(score_div(budget->num, A));
  else if (rev)
    AF = m->af_revenue_factor * score_clamp(score_div(m->af_revenue_share * rev->num, A));
  else
    AF = m->af_unknown;
  if (!contact_ok) {
    AP = 0.0;
  } else if (score_bool(p, vals, SCORE_WARM_INTRO) == 1 ||
             score_is_referral(score_get(p, vals, SCORE_LEAD_SOURCE))) {
    AP = m->ap_warm;
  } else {
    if (email_valid < 0) email_valid = score_email_valid(score_get(p, vals, SCORE_EMAIL));
    int k = email_valid +
            ((double)score_count_digits(score_get(p, vals, SCORE_PHONE)) >= m->ap_phone_min_digits);
    AP = k == 2 ? m->ap_both : (k == 1 ? m->ap_one : m->ap_none);
  }
  AU = dm ? m->au_dm : m->au_other;
  {
    double over = d - Dv;
    if (!(over > 0.0)) over = 0.0; /* max(0, d - D) */
    PD = score_clamp(over / m->pd_discount_scale + m->pd_per_objection * po +
                     m->pd_per_competitor_quote * cq);
  }
  VP = 1.0 - PD;

  /* risk */
  NH = st->c == 0 ? 1.0 : ((double)st->c < m->nh_few_customers ? m->nh_few_value : 0.0);
  {
    const lr_value *decide = score_get(p, vals, SCORE_DECISION_DATE);
    double f = 1.0;
    if (score_bool(p, vals, SCORE_NEXT_STEP_COMMITTED) == 1)
      f = m->er_next_step_factor;
    else if (decide && decide->date >= as_of)
      f = m->er_decision_date_factor;
    ER = score_clamp((info + demo - m->er_meeting_weight * meet) / m->er_scale) * f;
  }
  NN = 1.0 - NE;
  {
    const lr_value *created = score_get(p, vals, SCORE_CREATED_AT);
    const lr_value *lastact = score_get(p, vals, SCORE_LAST_ACTIVITY_AT);
    /* created_at is required; a row without it would have been rejected */
    int64_t created_day = created ? created->date : as_of;
    int64_t last_day = lastact ? lastact->date : created_day;
    int64_t age_days = (int64_t)as_of - created_day;
    double age = (double)(age_days > 0 ? age_days : 0);
    double idle = (double)((int64_t)as_of - last_day);
    double st_age = score_clamp((score_div(age, C) - m->st_age_offset) / m->st_age_scale);
    double st_idle = score_clamp((idle - m->st_idle_offset) / m->st_idle_scale);
    ST = st_idle > st_age ? st_idle : st_age; /* max(st_age, st_idle) */
  }
  NA = dm ? 0.0 : 1.0;

  /* segment */
  {
    const double purch = score_count(p, vals, SCORE_PURCHASES_COUNT);
    const lr_value *lastp = score_get(p, vals, SCORE_LAST_PURCHASE_AT);
    switch (score_relationship(score_get(p, vals, SCORE_RELATIONSHIP))) {
    case REL_NEW: out->segment = SEG_PROSPECT_NEW; break;
    case REL_AWARE: out->segment = SEG_PROSPECT_AWARE; break;
    case REL_FORMER: out->segment = SEG_PROSPECT_FORMER; break;
    case REL_CUSTOMER:
      if (PD >= m->seg_price_shopper_pd)
        out->segment = SEG_CUSTOMER_PRICE_SHOPPER;
      else if (purch >= m->seg_loyal_purchases)
        out->segment = SEG_CUSTOMER_LOYAL;
      else if (purch <= m->seg_new_max_purchases && lastp &&
               (double)((int64_t)as_of - lastp->date) <= m->seg_new_recent_days)
        out->segment = SEG_CUSTOMER_NEW;
      else
        out->segment = SEG_CUSTOMER_ESTABLISHED;
      break;
    default:
      out->segment = PD >= m->seg_price_shopper_pd ? SEG_CUSTOMER_HYBRID : SEG_CUSTOMER_BOUNCE_BACK;
      break;
    }
  }
  const double *w = m->weight[out->segment >= SEG_CUSTOMER_PRICE_SHOPPER ? MODEL_CUSTOMER
                                                                          : MODEL_PROSPECT];
  double *x = out->component;
  x[MODEL_VB] = VB;
  x[MODEL_NE] = NE;
  x[MODEL_AF] = AF;
  x[MODEL_AP] = AP;
  x[MODEL_AU] = AU;
  x[MODEL_VP] = VP;
  x[MODEL_PD] = PD;
  x[MODEL_NH] = NH;
  x[MODEL_ER] = ER;
  x[MODEL_NN] = NN;
  x[MODEL_ST] = ST;
  x[MODEL_NA] = NA;
  double sf = 0.0, sr = 0.0;
  for (int i = MODEL_VB; i <= MODEL_VP; i++) sf += w[i] * x[i];
  for (int i = MODEL_PD; i <= MODEL_NA; i++) sr += w[i] * x[i];
  out->fit = 100 * sf;
  out->risk = 100 * sr;
  out->priority = out->fit * (1 - out->risk / 100);

  /* disqualification: the first rule that matches */
  if (!contact_ok)
    out->disqualify = DQ_DO_NOT_CONTACT;
  else if (PD >= m->dq_price_buyer_pd && st->c == 0)
    out->disqualify = DQ_PRICE_BUYER_OUTSIDE_MODEL;
  else if (budget && budget->num < m->dq_budget_share * A)
    out->disqualify = DQ_CANNOT_AFFORD;
  else if (ER >= m->dq_window_shopper_er && meet == 0 && ST >= m->dq_window_shopper_st)
    out->disqualify = DQ_PROFESSIONAL_WINDOW_SHOPPER;
  else
    out->disqualify = DQ_NONE;

  out->n_reasons = 0;
  if (out->disqualify != DQ_NONE) {
    out->tier = 'X';
    return;
  }
  if (out->priority >= m->tier_a_priority && out->risk < m->tier_a_max_risk)
    out->tier = 'A';
  else if (out->priority >= m->tier_b_priority)
    out->tier = 'B';
  else if (out->priority >= m->tier_c_priority)
    out->tier = 'C';
  else
    out->tier = 'D';
  score_reasons(m, w, x, out);
}

void score_row(const score_plan *p, const model *m, const history *h, int32_t as_of,
               const lr_value *vals, score_result *out) {
  score_row_with(p, m, h, as_of, vals, -1, out);
}

int score_row_email(const score_plan *p, const model *m, const history *h, int32_t as_of,
                    const lr_value *vals, score_result *out, char *email_out) {
  const lr_value *email = score_get(p, vals, SCORE_EMAIL);
  int ok = email != NULL && values_email_normalize(email->str, email->str_len, email_out);
  score_row_with(p, m, h, as_of, vals, ok, out);
  return ok;
}
