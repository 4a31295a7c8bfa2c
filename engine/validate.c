/* validate.c — turns one record's text fields into typed lr_values by its schema (SPEC §2
 * value rules, refscore convert_row), or names the first rule it breaks.
 *
 * Owns nothing: vals[].str point into the caller's fields. Columns are visited in input
 * order, so the first failing column gives the reject reason (A5), whatever the schema's
 * field order.
 */
#include "validate.h"

#include <string.h>

#include "values.h"

/* 1 when the trimmed text is one of the schema's missing-value tokens (case-sensitive, A12).
 * This runs for every value of every row: the length bound and the (first byte, length)
 * table that schema load derived from the tokens settle almost every value that is not a
 * token before any comparison. */
static inline int validate_is_missing(const schema *s, const char *v, size_t len) {
  size_t k, i;
  if (len > s->missing_max_len) return 0;
  if (len == 0) return s->missing_empty;
  if (!(s->missing_first[(unsigned char)v[0]] & (1u << (len < 7 ? len : 7)))) return 0;
  for (k = 0; k < s->n_missing; k++) {
    const char *t = s->missing_values[k];
    if (s->missing_lens[k] != len) continue;
    /* tokens are a few bytes: an inline walk is cheaper than a memcmp call */
    for (i = 0; i < len && t[i] == v[i]; i++) continue;
    if (i == len) return 1;
  }
  return 0;
}

/* Index of v in list (exact, as Table Schema compares trueValues/falseValues), or -1. */
static long validate_find_exact(char *const *list, const size_t *lens, size_t n, const char *v,
                                size_t len) {
  size_t k;
  for (k = 0; k < n; k++)
    if (lens[k] == len && memcmp(list[k], v, len) == 0) return (long)k;
  return -1;
}

/* A boolean by the field's own trueValues/falseValues when the schema gives them (Table
 * Schema: exact match), else by the SPEC's words (ASCII case-insensitive). A list the
 * schema leaves out keeps the SPEC's words (§2: "where it leaves a property out"). */
static int validate_bool(const schema_field *f, const char *v, size_t len, int *out) {
  int b;
  if (f->true_values != NULL && validate_find_exact(f->true_values, f->true_lens, f->n_true, v, len) >= 0) {
    *out = 1;
    return 1;
  }
  if (f->false_values != NULL && validate_find_exact(f->false_values, f->false_lens, f->n_false, v, len) >= 0) {
    *out = 0;
    return 1;
  }
  if (!values_parse_bool(v, len, &b)) return 0;
  if ((b && f->true_values != NULL) || (!b && f->false_values != NULL)) return 0;
  *out = b;
  return 1;
}

/* Checks a parsed number against the field's minimum / maximum. */
static int validate_range(const schema_field *f, double x) {
  if (f->has_minimum && x < f->minimum) return LR_REASON_OUT_OF_RANGE;
  if (f->has_maximum && x > f->maximum) return LR_REASON_OUT_OF_RANGE;
  return LR_REASON_NONE;
}

/* Converts one present (non-missing) value of field f into *val. */
static int validate_value(const schema_field *f, const char *v, size_t len, lr_value *val) {
  int rc, b;
  size_t k;
  switch (f->type) {
  case SCHEMA_NUMBER:
    rc = values_parse_number(v, len, f->group_char, f->bare_number, &val->num);
    if (rc != VALUES_OK) return rc == VALUES_BAD ? LR_REASON_BAD_NUMBER : LR_REASON_OUT_OF_RANGE;
    return validate_range(f, val->num);
  case SCHEMA_INTEGER:
    rc = values_parse_integer(v, len, f->group_char, f->bare_number, &val->num);
    if (rc != VALUES_OK) return rc == VALUES_BAD ? LR_REASON_BAD_INTEGER : LR_REASON_OUT_OF_RANGE;
    return validate_range(f, val->num);
  case SCHEMA_DATE:
    rc = f->date_format != NULL ? values_parse_date_format(v, len, f->date_format, &val->date)
                                : values_parse_date(v, len, &val->date);
    return rc ? LR_REASON_NONE : LR_REASON_BAD_DATE;
  case SCHEMA_BOOLEAN:
    if (!validate_bool(f, v, len, &b)) return LR_REASON_BAD_BOOLEAN;
    val->boolean = (unsigned char)b;
    return LR_REASON_NONE;
  default:
    /* Strings, email-format ones included: the scorer normalises emails and an invalid
     * one is absent there, never a reject (SPEC §2). */
    if (f->enum_values == NULL) return LR_REASON_NONE;
    for (k = 0; k < f->n_enum; k++) {
      if (values_ascii_ieq(v, len, f->enum_values[k], f->enum_lens[k])) {
        val->num = (double)k;
        return LR_REASON_NONE;
      }
    }
    return LR_REASON_BAD_ENUM;
  }
}

void validate_field_text(const schema *s, const schema_map *m, const lr_field *fields, size_t n,
                         long k, lr_value *val) {
  memset(val, 0, sizeof *val);
  long col = m->field_col[k];
  if (col < 0 || (size_t)col >= n) return;
  const char *v = fields[col].ptr;
  size_t len = fields[col].len;
  values_trim(&v, &len);
  if (validate_is_missing(s, v, len)) return;
  val->present = 1;
  val->str = v;
  val->str_len = len;
}

int validate_record(const schema *s, const schema_map *m, const lr_field *fields, size_t n,
                    lr_value *vals, long *field_out) {
  size_t j, n_cols = n < m->n_cols ? n : m->n_cols;
  memset(vals, 0, s->n_fields * sizeof *vals);
  for (j = 0; j < n_cols; j++) {
    long k = m->col_field[j];
    const schema_field *f;
    const char *v = fields[j].ptr;
    size_t len = fields[j].len;
    lr_value one, *dst;
    int reason;
    if (k < 0) continue;
    f = &s->fields[k];
    /* ASCII whitespace is all <= ' ': a value with other bytes at both ends (nearly
     * every value) has nothing to trim, and skips the call. */
    if (len > 0 && ((unsigned char)v[0] <= ' ' || (unsigned char)v[len - 1] <= ' '))
      values_trim(&v, &len);
    if (validate_is_missing(s, v, len)) {
      if (f->required) {
        *field_out = k;
        return LR_REASON_MISSING_REQUIRED;
      }
      continue;
    }
    /* Only an any_true field can be fed by several columns (schema_map_header): every
     * other field is converted in place, into the slot zeroed above. */
    dst = &vals[k];
    if (f->any_true) {
      memset(&one, 0, sizeof one);
      dst = &one;
    }
    reason = validate_value(f, v, len, dst);
    if (reason != LR_REASON_NONE) {
      *field_out = k;
      return reason;
    }
    dst->present = 1;
    dst->str = v;
    dst->str_len = len;
    /* do_not_contact (any_true): every matching column is validated, and the value is
     * true when any of them is; the text is that of the first column that decided it. */
    if (dst == &one && !(vals[k].present && (vals[k].boolean || !one.boolean))) vals[k] = one;
  }
  return LR_REASON_NONE;
}
