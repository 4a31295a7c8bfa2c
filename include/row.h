/* row.h — the values that flow between parse, validate, score and output.
 *
 * lr_field: one CSV field as libcsv delivered it (quotes removed, outer blanks dropped),
 *   pointing into a buffer owned by whoever produced it (csvparse: valid until its next
 *   call on the same parser).
 * lr_value: one typed, validated value of a schema field (validate fills these; score
 *   reads them). Strings point into the lr_field they came from, trimmed of ASCII
 *   whitespace, so they share that lifetime.
 * lr_reason: why a row was rejected. Names are written by lr_reason_name with the
 *   schema field name appended for the per-column reasons ("bad_number:budget").
 */
#ifndef LR_ROW_H
#define LR_ROW_H

#include <stddef.h>
#include <stdint.h>

typedef struct lr_field {
  const char *ptr; /* not NUL-terminated */
  size_t len;
} lr_field;

typedef struct lr_value {
  unsigned char present; /* 0: missing (a missing-value token or no such column) */
  unsigned char boolean; /* boolean fields */
  int32_t date;          /* date fields: days since 1970-01-01 (may be negative) */
  double num;            /* number and integer fields (integers are exact, |x| <= 2^53) */
  const char *str;       /* every present field: the trimmed text */
  size_t str_len;
} lr_value;

enum lr_reason {
  LR_REASON_NONE = 0,
  LR_REASON_WRONG_FIELD_COUNT,
  LR_REASON_UNBALANCED_QUOTE,
  LR_REASON_RECORD_TOO_LONG,
  LR_REASON_INVALID_UTF8,
  LR_REASON_BAD_NUMBER,      /* per column */
  LR_REASON_BAD_INTEGER,     /* per column */
  LR_REASON_BAD_DATE,        /* per column */
  LR_REASON_BAD_BOOLEAN,     /* per column */
  LR_REASON_BAD_ENUM,        /* per column */
  LR_REASON_OUT_OF_RANGE,    /* per column */
  LR_REASON_MISSING_REQUIRED,/* per column */
  LR_REASON_DUPLICATE_LEAD_ID,
  LR_REASON_DUPLICATE,       /* per column: a `unique` field other than lead_id */
  LR_REASON_COUNT
};

/* "wrong_field_count", "bad_number", ... (without the ":COL" suffix). */
const char *lr_reason_name(int reason);

/* 1 when the reason is written with ":COL". */
int lr_reason_has_column(int reason);

#endif
