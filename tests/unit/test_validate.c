/* test_validate.c — validate_record: typed values, every reject reason, input-column-order
 * precedence, missing tokens, custom boolean lists, any_true; validate_field_text
 * (validate.c). */
#include <stdio.h>
#include <string.h>

#include "schema.h"
#include "testhelp.h"
#include "validate.h"

/* Fields: 0 id, 1 when, 2 n, 3 i, 4 b, 5 rel, 6 mail, 7 us_date, 8 oui, 9 do_not_contact,
 * 10 neg, 11 bare. */
static const char *const test_schema_json =
    "{\"fields\": ["
    " {\"name\": \"id\", \"constraints\": {\"required\": true, \"unique\": true}},"
    " {\"name\": \"when\", \"type\": \"date\", \"constraints\": {\"required\": true}},"
    " {\"name\": \"n\", \"type\": \"number\", \"constraints\": {\"minimum\": 0, \"maximum\": 100}},"
    " {\"name\": \"i\", \"type\": \"integer\", \"constraints\": {\"minimum\": 0}},"
    " {\"name\": \"b\", \"type\": \"boolean\"},"
    " {\"name\": \"rel\", \"constraints\": {\"enum\": [\"new\", \"customer\"]}},"
    " {\"name\": \"mail\", \"format\": \"email\"},"
    " {\"name\": \"us_date\", \"type\": \"date\", \"format\": \"%m/%d/%Y\"},"
    " {\"name\": \"oui\", \"type\": \"boolean\", \"trueValues\": [\"Oui\"], \"falseValues\": [\"Non\"]},"
    " {\"name\": \"do_not_contact\", \"type\": \"boolean\", \"aliases\": [\"DoNotCall\", \"HasOptedOutOfEmail\"]},"
    " {\"name\": \"neg\", \"type\": \"integer\"},"
    " {\"name\": \"bare\", \"type\": \"number\", \"bareNumber\": true}"
    "]}";

#define N_FIELDS 12

typedef struct fixture {
  schema *s;
  schema_map m;
  lr_field f[32];
  size_t n;
  lr_value v[N_FIELDS];
  long bad;
} fixture;

/* Splits on '|' (values may hold commas). */
static size_t split(const char *line, lr_field *f) {
  size_t n = 0;
  const char *p = line;
  for (;;) {
    const char *c = strchr(p, '|');
    f[n].ptr = p;
    f[n].len = c ? (size_t)(c - p) : strlen(p);
    n++;
    if (c == NULL) return n;
    p = c + 1;
  }
}

static int fixture_map(fixture *x, const char *header) {
  lr_field names[32];
  size_t n = split(header, names);
  lr_err err;
  int rc = schema_map_header(x->s, "t.csv", names, n, SCHEMA_DUP_ERROR, NULL, &x->m, &err);
  if (rc != LR_OK) printf("map: %s\n", err.msg);
  return rc;
}

/* Validates one '|'-separated row; returns the reason. */
static int row(fixture *x, const char *line) {
  x->n = split(line, x->f);
  x->bad = -1;
  return validate_record(x->s, &x->m, x->f, x->n, x->v, &x->bad);
}

static int str_is(const lr_value *v, const char *want) {
  return v->present && v->str_len == strlen(want) && memcmp(v->str, want, v->str_len) == 0;
}

static const char *const header_all =
    "id|when|n|i|b|rel|mail|us_date|oui|HasOptedOutOfEmail|DoNotCall|neg|bare|extra";

static void test_good_row(fixture *x) {
  TEST_EQ_INT(row(x, " A1 |2024-01-22T20:36:47.000+0000|12.5%|1,000|Yes| Customer | Ann@X.com "
                     "|1/5/2024|Oui|false|true|-3|7.25|###"), LR_REASON_NONE);
  TEST_CHECK(str_is(&x->v[0], "A1")); /* trimmed, case kept */
  TEST_EQ_INT(x->v[1].date, 19744);
  TEST_EQ_DBL(x->v[2].num, 12.5);
  TEST_EQ_DBL(x->v[3].num, 1000.0);
  TEST_CHECK(x->v[4].present && x->v[4].boolean == 1);
  TEST_CHECK(str_is(&x->v[5], "Customer"));
  TEST_EQ_DBL(x->v[5].num, 1.0); /* index of the enum value */
  TEST_CHECK(str_is(&x->v[6], "Ann@X.com")); /* the scorer normalises emails */
  TEST_EQ_INT(x->v[7].date, 19727);
  TEST_CHECK(x->v[8].present && x->v[8].boolean == 1);
  TEST_CHECK(x->v[9].present && x->v[9].boolean == 1);
  TEST_CHECK(str_is(&x->v[9], "true"));
  TEST_EQ_DBL(x->v[10].num, -3.0); /* no minimum: negatives are fine */
  TEST_EQ_DBL(x->v[11].num, 7.25);
  TEST_CHECK(x->v[2].str == x->f[2].ptr); /* values point into the fields */
  /* an invalid email never rejects */
  TEST_EQ_INT(row(x, "A2|2024-01-22|1|1|no|new|not an email|01/22/2024|Non|0|0|0|0|"), LR_REASON_NONE);
  TEST_CHECK(str_is(&x->v[6], "not an email"));
  TEST_EQ_INT(x->v[4].boolean, 0);
  TEST_EQ_INT(x->v[8].boolean, 0);
  TEST_EQ_DBL(x->v[5].num, 0.0);
  /* uniqueness is not validate's business: the same id passes twice */
  TEST_EQ_INT(row(x, "A2|2024-01-22|||||||||||"), LR_REASON_NONE);
}

static void test_missing(fixture *x) {
  size_t k;
  TEST_EQ_INT(row(x, "A3|2024-01-01|n/a|NA|null|None|-||N/A|NULL|none| \t- |"), LR_REASON_NONE);
  for (k = 2; k < N_FIELDS; k++) TEST_EQ_INT(x->v[k].present, 0);
  /* tokens are case-sensitive: `Null` is a value */
  TEST_EQ_INT(row(x, "A3|2024-01-01|Null||||||||||"), LR_REASON_BAD_NUMBER);
  TEST_EQ_INT(x->bad, 2);
  TEST_EQ_INT(row(x, "N/A|2024-01-01|||||||||||"), LR_REASON_MISSING_REQUIRED);
  TEST_EQ_INT(x->bad, 0);
  TEST_EQ_INT(row(x, "A4| \t |||||||||||"), LR_REASON_MISSING_REQUIRED);
  TEST_EQ_INT(x->bad, 1);
}

/* A row of header_all with id "A", when 2024-01-01, `value` in column col, the rest empty. */
static int row_with(fixture *x, size_t col, const char *value) {
  char line[256] = "";
  size_t j;
  for (j = 0; j < 14; j++) {
    const char *v = j == col ? value : j == 0 ? "A" : j == 1 ? "2024-01-01" : "";
    strcat(line, v);
    if (j < 13) strcat(line, "|");
  }
  return row(x, line);
}

static void test_reasons(fixture *x) {
  static const struct {
    size_t col;
    const char *value;
    int reason;
    long field;
  } cases[] = {
      {2, "abc", LR_REASON_BAD_NUMBER, 2},
      {2, "1,5", LR_REASON_BAD_NUMBER, 2},
      {2, "-1", LR_REASON_OUT_OF_RANGE, 2},
      {2, "100.5", LR_REASON_OUT_OF_RANGE, 2},
      {2, "100%", LR_REASON_NONE, -1},
      {3, "3.5", LR_REASON_BAD_INTEGER, 3},
      {3, "-1", LR_REASON_OUT_OF_RANGE, 3},
      {11, "9007199254740993", LR_REASON_OUT_OF_RANGE, 10}, /* global limit, no constraint */
      {11, "-9007199254740992", LR_REASON_NONE, -1},
      {1, "2025-02-30", LR_REASON_BAD_DATE, 1},
      {1, "2024-01-22t10:00", LR_REASON_BAD_DATE, 1},
      {7, "01/22/24", LR_REASON_BAD_DATE, 7},
      {7, "2024-01-22", LR_REASON_BAD_DATE, 7}, /* a format replaces the default rule */
      {4, "maybe", LR_REASON_BAD_BOOLEAN, 4},
      {8, "oui", LR_REASON_BAD_BOOLEAN, 8},  /* custom lists match exactly */
      {8, "true", LR_REASON_BAD_BOOLEAN, 8}, /* ... and replace SPEC's words */
      {5, "former", LR_REASON_BAD_ENUM, 5},
      {5, "NEW", LR_REASON_NONE, -1},
      {10, "x", LR_REASON_BAD_BOOLEAN, 9}, /* COL is the field name, not the header's */
      {12, "$5", LR_REASON_BAD_NUMBER, 11}, /* bareNumber */
      {12, "5%", LR_REASON_BAD_NUMBER, 11},
      {12, "1000000000000000", LR_REASON_OUT_OF_RANGE, 11},
      {13, "anything \xff", LR_REASON_NONE, -1}, /* pass-through columns are not validated */
  };
  size_t k;
  for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    int got = row_with(x, cases[k].col, cases[k].value);
    if (got != cases[k].reason || x->bad != cases[k].field)
      printf("  case %zu: column %zu = '%s'\n", k, cases[k].col, cases[k].value);
    TEST_EQ_INT(got, cases[k].reason);
    TEST_EQ_INT(x->bad, cases[k].field);
  }
}

static void test_column_order(fixture *x) {
  /* several failing columns: the first in input order names the reason */
  TEST_EQ_INT(row(x, "A|2025-02-30|abc||||||||||"), LR_REASON_BAD_DATE);
  TEST_EQ_INT(x->bad, 1);
  TEST_EQ_INT(row(x, "|2024-01-01|abc||||||||||"), LR_REASON_MISSING_REQUIRED);
  TEST_EQ_INT(x->bad, 0);
  schema_map_release(&x->m);
  /* the same columns in another order: now n comes before when and id */
  TEST_EQ_INT(fixture_map(x, "n|when|id"), LR_OK);
  TEST_EQ_INT(row(x, "abc|2025-02-30|A"), LR_REASON_BAD_NUMBER);
  TEST_EQ_INT(x->bad, 2);
  TEST_EQ_INT(row(x, "5|2025-02-30|"), LR_REASON_BAD_DATE);
  TEST_EQ_INT(x->bad, 1);
  TEST_EQ_INT(row(x, "5|2024-02-29|B"), LR_REASON_NONE);
  /* fields without a column are missing */
  TEST_EQ_INT(x->v[4].present, 0);
  TEST_EQ_INT(x->v[9].present, 0);
  TEST_EQ_DBL(x->v[2].num, 5.0);
  TEST_EQ_INT(x->v[1].date, 19782);
  schema_map_release(&x->m);
}

static void test_any_true(fixture *x) {
  TEST_EQ_INT(fixture_map(x, "id|when|HasOptedOutOfEmail|DoNotCall"), LR_OK);
  TEST_EQ_INT(row(x, "A|2024-01-01|false|true"), LR_REASON_NONE);
  TEST_CHECK(x->v[9].present && x->v[9].boolean == 1);
  TEST_CHECK(str_is(&x->v[9], "true"));
  TEST_EQ_INT(row(x, "A|2024-01-01|Y|no"), LR_REASON_NONE);
  TEST_CHECK(x->v[9].boolean == 1 && str_is(&x->v[9], "Y"));
  TEST_EQ_INT(row(x, "A|2024-01-01|0|F"), LR_REASON_NONE);
  TEST_CHECK(x->v[9].present && x->v[9].boolean == 0);
  TEST_CHECK(str_is(&x->v[9], "0"));
  TEST_EQ_INT(row(x, "A|2024-01-01|n/a|1"), LR_REASON_NONE);
  TEST_CHECK(x->v[9].present && x->v[9].boolean == 1);
  TEST_EQ_INT(row(x, "A|2024-01-01||"), LR_REASON_NONE);
  TEST_EQ_INT(x->v[9].present, 0);
  /* every matching column is validated, even after a true one */
  TEST_EQ_INT(row(x, "A|2024-01-01|true|perhaps"), LR_REASON_BAD_BOOLEAN);
  TEST_EQ_INT(x->bad, 9);
  schema_map_release(&x->m);
}

static void test_custom_missing(void) {
  static const char *const json =
      "{\"missingValues\": [\"?\"], \"fields\": [{\"name\": \"s\"}, {\"name\": \"x\", \"type\": \"number\"}]}";
  fixture x;
  lr_err err;
  memset(&x, 0, sizeof x);
  TEST_EQ_INT(schema_load_text(json, strlen(json), "m.json", &x.s, &err), LR_OK);
  if (x.s == NULL) return;
  TEST_EQ_INT(fixture_map(&x, "s|x"), LR_OK);
  TEST_EQ_INT(row(&x, "n/a|?"), LR_REASON_NONE);
  TEST_CHECK(str_is(&x.v[0], "n/a")); /* the schema's list replaces SPEC's */
  TEST_EQ_INT(x.v[1].present, 0);
  TEST_EQ_INT(row(&x, "?|"), LR_REASON_BAD_NUMBER); /* "" is a value now */
  TEST_EQ_INT(x.bad, 1);
  TEST_EQ_INT(x.v[0].present, 0);
  schema_map_release(&x.m);
  schema_free(x.s);
}

static void test_deals_schema(void) {
  fixture x;
  lr_err err;
  memset(&x, 0, sizeof x);
  TEST_EQ_INT(schema_load_file("schemas/deals.schema.json", &x.s, &err), LR_OK);
  if (x.s == NULL) return;
  TEST_EQ_INT(fixture_map(&x, "deal_id|vertical|outcome|amount|discount_pct|cycle_days"), LR_OK);
  TEST_EQ_INT(row(&x, "D1| Healthcare |WON|$12,000|15%|30"), LR_REASON_NONE);
  TEST_EQ_DBL(x.v[schema_field_index(x.s, "outcome")].num, 0.0);
  TEST_EQ_DBL(x.v[schema_field_index(x.s, "amount")].num, 12000.0);
  TEST_EQ_DBL(x.v[schema_field_index(x.s, "discount_pct")].num, 15.0);
  TEST_EQ_INT(row(&x, "D2|x|tie|1|1|1"), LR_REASON_BAD_ENUM);
  TEST_EQ_INT(x.bad, schema_field_index(x.s, "outcome"));
  TEST_EQ_INT(row(&x, "D3|x|null|1|1|1"), LR_REASON_MISSING_REQUIRED);
  TEST_EQ_INT(x.bad, schema_field_index(x.s, "outcome"));
  TEST_EQ_INT(row(&x, "D4|x|lost|1|101|1"), LR_REASON_OUT_OF_RANGE);
  TEST_EQ_INT(x.bad, schema_field_index(x.s, "discount_pct"));
  schema_map_release(&x.m);
  schema_free(x.s);
}

/* The (first byte, length) table and the length bound in front of the token comparison:
 * tokens of 1, 2, 7 and 12 bytes sharing first bytes, values that share a token's first
 * byte and length but not its text, and values longer than every token. */
static void test_missing_table(void) {
  static const char *const json =
      "{\"missingValues\": [\"-\", \"NA\", \"Nothing\", \"not_provided\", \"\"],"
      " \"fields\": [{\"name\": \"s\", \"constraints\": {\"required\": true}},"
      "  {\"name\": \"x\", \"type\": \"integer\"}]}";
  static const char *const missing[] = {"-", "NA", "Nothing", "not_provided", "", " NA ", "\t-"};
  static const char *const present[] = {"+", "N", "Na", "NB", "nA", "NothinG", "Nothin",
                                        "Nothings", "not_provideD", "not_provided_",
                                        "nothing", "--", "-1", "N/A", "null"};
  fixture x;
  lr_err err;
  char line[64];
  size_t k;
  memset(&x, 0, sizeof x);
  TEST_EQ_INT(schema_load_text(json, strlen(json), "t.json", &x.s, &err), LR_OK);
  if (x.s == NULL) return;
  TEST_EQ_INT(fixture_map(&x, "s|x"), LR_OK);
  for (k = 0; k < sizeof missing / sizeof missing[0]; k++) {
    snprintf(line, sizeof line, "%s|1", missing[k]);
    TEST_EQ_INT(row(&x, line), LR_REASON_MISSING_REQUIRED);
    TEST_EQ_INT(x.bad, 0);
    snprintf(line, sizeof line, "a|%s", missing[k]);
    TEST_EQ_INT(row(&x, line), LR_REASON_NONE);
    TEST_EQ_INT(x.v[1].present, 0);
  }
  for (k = 0; k < sizeof present / sizeof present[0]; k++) {
    snprintf(line, sizeof line, "%s|", present[k]);
    TEST_EQ_INT(row(&x, line), LR_REASON_NONE);
    TEST_CHECK(str_is(&x.v[0], present[k]));
  }
  schema_map_release(&x.m);
  schema_free(x.s);
}

/* Values are trimmed only when an end byte is <= ' '; such a byte that is not ASCII
 * whitespace stays part of the value. */
static void test_trim_check(fixture *x) {
  TEST_EQ_INT(fixture_map(x, "id|when|i"), LR_OK);
  TEST_EQ_INT(row(x, " A |2024-01-01| 7"), LR_REASON_NONE);
  TEST_CHECK(str_is(&x->v[0], "A"));
  TEST_EQ_DBL(x->v[3].num, 7.0);
  TEST_EQ_INT(row(x, "A\r|2024-01-01\t|\v7\f"), LR_REASON_NONE);
  TEST_CHECK(str_is(&x->v[0], "A"));
  TEST_EQ_INT(x->v[1].date, 19723);
  TEST_EQ_DBL(x->v[3].num, 7.0);
  TEST_EQ_INT(row(x, "A|2024-01-01|7\x01"), LR_REASON_BAD_INTEGER);
  TEST_EQ_INT(row(x, "\x1F" "A|2024-01-01|7"), LR_REASON_NONE);
  TEST_CHECK(str_is(&x->v[0], "\x1F" "A"));
  TEST_EQ_INT(row(x, "A|2024-01-01| \x01"), LR_REASON_BAD_INTEGER);
  schema_map_release(&x->m);
}

/* trueValues/falseValues match exactly (length included); enum values match by length
 * and ASCII case; a field converted in place keeps nothing of the previous row. */
static void test_lists_and_reuse(fixture *x) {
  TEST_EQ_INT(fixture_map(x, "id|when|oui|rel|n|b"), LR_OK);
  TEST_EQ_INT(row(x, "A|2024-01-01|Oui|CUSTOMER|5|t"), LR_REASON_NONE);
  TEST_CHECK(x->v[8].present && x->v[8].boolean == 1);
  TEST_EQ_DBL(x->v[5].num, 1.0);
  TEST_EQ_DBL(x->v[2].num, 5.0);
  TEST_EQ_INT(x->v[4].boolean, 1);
  TEST_EQ_INT(row(x, "A|2024-01-01|Ou|new|n/a|"), LR_REASON_BAD_BOOLEAN);
  TEST_EQ_INT(row(x, "A|2024-01-01|Ouii|new|n/a|"), LR_REASON_BAD_BOOLEAN);
  TEST_EQ_INT(row(x, "A|2024-01-01|Non|newer|n/a|"), LR_REASON_BAD_ENUM);
  TEST_EQ_INT(row(x, "A|2024-01-01|Non|ne|n/a|"), LR_REASON_BAD_ENUM);
  TEST_EQ_INT(row(x, "A|2024-01-01|Non|NeW|n/a|"), LR_REASON_NONE);
  TEST_CHECK(x->v[8].present && x->v[8].boolean == 0);
  TEST_EQ_DBL(x->v[5].num, 0.0);
  TEST_EQ_INT(x->v[2].present, 0);
  TEST_EQ_DBL(x->v[2].num, 0.0);
  TEST_EQ_INT(x->v[4].present, 0);
  TEST_EQ_INT(x->v[4].boolean, 0);
  schema_map_release(&x->m);
}

/* validate_field_text gives every field (but the any_true one) of an accepted row the
 * presence and text validate_record gave it: trimmed, missing tokens absent, a field
 * without a column absent. */
static void test_field_text(fixture *x) {
  static const struct {
    const char *header, *line;
  } cases[] = {
    { NULL, " A1 |2024-01-22|12.5%|1,000|Yes| Customer | Ann@X.com |1/5/2024|Oui|false|true|-3|7.25|###" },
    { NULL, "A3|2024-01-01|n/a|NA|null|None|-||N/A|NULL|none| \t- |" },
    { NULL, "A2|2024-01-22|||||||||||" },
    { NULL, "\x1F" "A|2024-01-01|\v7\f|||| not an email\t|||||||" },
    { "id|when|i|mail", " B |2024-01-01| 7|n/a" },
    { "mail|id|when", "x@y.z |C|2024-01-01" },
  };
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    TEST_EQ_INT(fixture_map(x, cases[c].header != NULL ? cases[c].header : header_all), LR_OK);
    TEST_EQ_INT(row(x, cases[c].line), LR_REASON_NONE);
    for (long k = 0; k < N_FIELDS; k++) {
      if (x->s->fields[k].any_true) continue;
      lr_value got;
      memset(&got, 0x5a, sizeof got); /* every member it sets is checked below */
      validate_field_text(x->s, &x->m, x->f, x->n, k, &got);
      TEST_EQ_INT(got.present, x->v[k].present);
      if (got.present && x->v[k].present) {
        TEST_CHECK(got.str == x->v[k].str);
        TEST_EQ_INT(got.str_len, x->v[k].str_len);
      }
    }
    schema_map_release(&x->m);
  }
}

int main(void) {
  fixture x;
  lr_err err;
  memset(&x, 0, sizeof x);
  TEST_EQ_INT(schema_load_text(test_schema_json, strlen(test_schema_json), "v.json", &x.s, &err), LR_OK);
  if (x.s == NULL) {
    printf("schema: %s\n", err.msg);
    return TEST_REPORT();
  }
  TEST_EQ_INT(x.s->n_fields, N_FIELDS);
  TEST_EQ_INT(fixture_map(&x, header_all), LR_OK);
  test_good_row(&x);
  test_missing(&x);
  test_reasons(&x);
  test_column_order(&x);
  test_any_true(&x);
  test_field_text(&x);
  test_trim_check(&x);
  test_lists_and_reuse(&x);
  schema_free(x.s);
  test_custom_missing();
  test_missing_table();
  test_deals_schema();
  return TEST_REPORT();
}
