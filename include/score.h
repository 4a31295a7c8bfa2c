/* score.h — fit, risk, priority, segment, disqualification, tier and reasons (SPEC §4).
 *
 * Pure functions of (one validated lead, its vertical's statistics, as-of, model): no
 * locks, no shared scratch; any thread may call score_row concurrently. Nothing is
 * allocated except for values too long for a stack buffer (a vertical over 256 bytes, an
 * email over 320). Arithmetic follows refscore A24 to the bit (built with
 * -ffp-contract=off).
 *
 * Call order: score_plan_bind once per schema → score_row per accepted lead.
 */
#ifndef LR_SCORE_H
#define LR_SCORE_H

#include <stdint.h>

#include "history.h"
#include "lr_err.h"
#include "model.h"
#include "row.h"
#include "schema.h"

/* The canonical fields scoring and dedupe read, by role. */
enum score_col {
  SCORE_LEAD_ID, SCORE_CREATED_AT, SCORE_COMPANY, SCORE_DOMAIN, SCORE_CONTACT_NAME,
  SCORE_EMAIL, SCORE_PHONE, SCORE_TITLE, SCORE_IS_DECISION_MAKER, SCORE_VERTICAL,
  SCORE_COUNTRY, SCORE_EMPLOYEES, SCORE_ANNUAL_REVENUE, SCORE_BUDGET, SCORE_LEAD_SOURCE,
  SCORE_RELATIONSHIP, SCORE_PURCHASES_COUNT, SCORE_LAST_PURCHASE_AT,
  SCORE_DISCOUNT_REQUESTED_PCT, SCORE_PRICE_OBJECTIONS, SCORE_COMPETITOR_QUOTES,
  SCORE_INFO_REQUESTS, SCORE_DEMO_REQUESTS, SCORE_MEETINGS_HELD, SCORE_NEXT_STEP_COMMITTED,
  SCORE_DECISION_DATE, SCORE_COMPELLING_EVENT, SCORE_PAIN_STATED, SCORE_LAST_ACTIVITY_AT,
  SCORE_OWNER, SCORE_TERRITORY, SCORE_CONTACT_OK, SCORE_WARM_INTRO, SCORE_FIRST_NAME,
  SCORE_LAST_NAME, SCORE_DO_NOT_CONTACT,
  SCORE_N_COLS
};

typedef struct score_plan {
  long field[SCORE_N_COLS]; /* schema field index per role, or -1 when the schema lacks it */
} score_plan;

enum score_segment {
  SEG_PROSPECT_NEW, SEG_PROSPECT_AWARE, SEG_PROSPECT_FORMER, SEG_CUSTOMER_PRICE_SHOPPER,
  SEG_CUSTOMER_LOYAL, SEG_CUSTOMER_NEW, SEG_CUSTOMER_ESTABLISHED, SEG_CUSTOMER_HYBRID,
  SEG_CUSTOMER_BOUNCE_BACK, SEG_COUNT
};

enum score_disqualify {
  DQ_NONE, DQ_DO_NOT_CONTACT, DQ_PRICE_BUYER_OUTSIDE_MODEL, DQ_CANNOT_AFFORD,
  DQ_PROFESSIONAL_WINDOW_SHOPPER, DQ_COUNT
};

typedef struct score_result {
  double fit, risk, priority;                 /* unrounded */
  double component[MODEL_N_COMPONENTS];       /* VB..VP, PD..NA values in [0, 1] */
  unsigned char segment;                      /* enum score_segment */
  unsigned char disqualify;                   /* enum score_disqualify */
  char tier;                                  /* 'A'..'D', or 'X' when disqualified */
  unsigned char n_reasons;                    /* 0..3 (0 when disqualified) */
  unsigned char reasons[3];                   /* enum model_component, best first */
} score_result;

/* Finds each role's field by its canonical name in s. lead_id and created_at must exist
 * (LR_ERR_SCHEMA otherwise). */
int score_plan_bind(score_plan *p, const schema *s, lr_err *err) LR_MUST_CHECK;

/* Scores one accepted lead (vals indexed by schema field). as_of: days since 1970-01-01. */
void score_row(const score_plan *p, const model *m, const history *h, int32_t as_of,
               const lr_value *vals, score_result *out);

/* score_row, also handing back the A17 normalisation of the lead's email, which the
 * dedupe key (SPEC §5) needs and scoring may compute anyway: one pass instead of two.
 * email_out must hold the email value's str_len bytes. Returns 1 when the email is
 * present and valid (email_out then holds its str_len normalised bytes), else 0 (email_out
 * unspecified). *out is exactly what score_row gives. */
int score_row_email(const score_plan *p, const model *m, const history *h, int32_t as_of,
                    const lr_value *vals, score_result *out, char *email_out);

const char *score_col_name(int col);               /* "lead_id", ... (enum score_col) */
const char *score_segment_name(int segment);       /* "prospect_new", ... */
const char *score_disqualify_name(int disqualify); /* "do_not_contact", ... ("" for DQ_NONE) */
const char *score_reason_label(int component);     /* "+vertical_buys", ..., "-no_authority" */

/* Decision maker (SPEC §4, A26): the title contains a keyword as a whole word. */
int score_title_is_dm(const char *title, size_t len);

#endif
