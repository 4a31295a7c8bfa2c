/* row.c — names of reject reasons (the vocabulary of rejects.csv and summary.json). */
#include "row.h"

static const char *const reason_names[LR_REASON_COUNT] = {
  [LR_REASON_NONE] = "none",
  [LR_REASON_WRONG_FIELD_COUNT] = "wrong_field_count",
  [LR_REASON_UNBALANCED_QUOTE] = "unbalanced_quote",
  [LR_REASON_RECORD_TOO_LONG] = "record_too_long",
  [LR_REASON_INVALID_UTF8] = "invalid_utf8",
  [LR_REASON_BAD_NUMBER] = "bad_number",
  [LR_REASON_BAD_INTEGER] = "bad_integer",
  [LR_REASON_BAD_DATE] = "bad_date",
  [LR_REASON_BAD_BOOLEAN] = "bad_boolean",
  [LR_REASON_BAD_ENUM] = "bad_enum",
  [LR_REASON_OUT_OF_RANGE] = "out_of_range",
  [LR_REASON_MISSING_REQUIRED] = "missing_required",
  [LR_REASON_DUPLICATE_LEAD_ID] = "duplicate_lead_id",
  [LR_REASON_DUPLICATE] = "duplicate",
};

const char *lr_reason_name(int reason) {
  if (reason < 0 || reason >= LR_REASON_COUNT) return "unknown";
  return reason_names[reason];
}

int lr_reason_has_column(int reason) {
  return reason >= LR_REASON_BAD_NUMBER && reason != LR_REASON_DUPLICATE_LEAD_ID;
}
