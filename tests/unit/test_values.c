/* test_values.c — the single-value rules of SPEC §2 / refscore A12–A17, A23 (values.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testhelp.h"
#include "values.h"

/* Default number syntax (groupChar ',', bareNumber false) on a C string. */
static int num(const char *s, double *x) { return values_parse_number(s, strlen(s), ',', 0, x); }
static int integer(const char *s, double *x) { return values_parse_integer(s, strlen(s), ',', 0, x); }

/* Days of a default-rule date, or INT32_MIN when it is not a date. */
static int32_t date(const char *s) {
  int32_t d;
  return values_parse_date(s, strlen(s), &d) ? d : INT32_MIN;
}

static int32_t fdate(const char *s, const char *fmt) {
  int32_t d;
  return values_parse_date_format(s, strlen(s), fmt, &d) ? d : INT32_MIN;
}

static int utf8(const char *s, size_t len) { return values_utf8_valid(s, len); }

/* Normalised email, or "(invalid)". */
static const char *email(const char *s, char *buf) {
  size_t len = strlen(s);
  if (!values_email_normalize(s, len, buf)) return "(invalid)";
  buf[len] = '\0';
  return buf;
}

static const char *vkey(const char *s, char *buf) {
  buf[values_vertical_key(s, strlen(s), buf)] = '\0';
  return buf;
}

/* A digit string of n copies of c, caller frees. */
static char *repeat(char c, size_t n) {
  char *s = malloc(n + 1);
  memset(s, c, n);
  s[n] = '\0';
  return s;
}

static void test_numbers(void) {
  double x = -1;
  TEST_EQ_INT(num("$1,250,000", &x), VALUES_OK);
  TEST_EQ_DBL(x, 1250000.0);
  TEST_EQ_INT(num("1,5", &x), VALUES_BAD);
  TEST_EQ_INT(num("12,34", &x), VALUES_BAD);
  TEST_EQ_INT(num("1234,567", &x), VALUES_BAD);  /* first group has at most three digits */
  TEST_EQ_INT(num("1,234,56", &x), VALUES_BAD);
  TEST_EQ_INT(num("1,2345", &x), VALUES_BAD);
  TEST_EQ_INT(num(",123", &x), VALUES_BAD);
  TEST_EQ_INT(num("1,,234", &x), VALUES_BAD);
  TEST_EQ_INT(num("0,123", &x), VALUES_OK);
  TEST_EQ_DBL(x, 123.0);
  TEST_EQ_INT(num("12.5%", &x), VALUES_OK);
  TEST_EQ_DBL(x, 12.5);
  TEST_EQ_INT(num("12.5%%", &x), VALUES_BAD);
  TEST_EQ_INT(num("%", &x), VALUES_BAD);
  TEST_EQ_INT(num("5.", &x), VALUES_OK);
  TEST_EQ_DBL(x, 5.0);
  TEST_EQ_INT(num(".5", &x), VALUES_OK);
  TEST_EQ_DBL(x, 0.5);
  TEST_EQ_INT(num(".", &x), VALUES_BAD);
  TEST_EQ_INT(num("", &x), VALUES_BAD);
  TEST_EQ_INT(num("-", &x), VALUES_BAD);
  TEST_EQ_INT(num("$", &x), VALUES_BAD);
  TEST_EQ_INT(num("$-5", &x), VALUES_BAD);
  TEST_EQ_INT(num("-5", &x), VALUES_OK); /* negative → out_of_range is validate's call */
  TEST_EQ_DBL(x, -5.0);
  TEST_EQ_INT(num("-$5", &x), VALUES_OK);
  TEST_EQ_DBL(x, -5.0);
  TEST_EQ_INT(num("+\xE2\x82\xAC" "3", &x), VALUES_OK); /* +€3 */
  TEST_EQ_DBL(x, 3.0);
  TEST_EQ_INT(num("\xC2\xA3" "2.50", &x), VALUES_OK); /* £2.50 */
  TEST_EQ_DBL(x, 2.5);
  TEST_EQ_INT(num("\xE2\x82" "3", &x), VALUES_BAD); /* a cut € is no currency sign */
  TEST_EQ_INT(num("$ 5", &x), VALUES_BAD);
  TEST_EQ_INT(num(" 5", &x), VALUES_BAD);
  TEST_EQ_INT(num("1e5", &x), VALUES_BAD);
  TEST_EQ_INT(num("inf", &x), VALUES_BAD);
  TEST_EQ_INT(num("nan", &x), VALUES_BAD);
  TEST_EQ_INT(num("0x10", &x), VALUES_BAD);
  TEST_EQ_INT(num("--5", &x), VALUES_BAD);
  TEST_EQ_INT(num("5-", &x), VALUES_BAD);
  TEST_EQ_INT(num("-0", &x), VALUES_OK);
  TEST_CHECK(x == 0.0 && signbit(x)); /* as refscore's -float("0.0") */
  /* correctly rounded: 0.1 is the double nearest to 1/10 */
  TEST_EQ_INT(num("0.1", &x), VALUES_OK);
  TEST_EQ_DBL(x, 0.1);
  /* |x| >= 1e15 is out of range, decided on the double */
  TEST_EQ_INT(num("999999999999999", &x), VALUES_OK);
  TEST_EQ_DBL(x, 999999999999999.0);
  TEST_EQ_INT(num("999999999999999.9", &x), VALUES_OK);
  TEST_EQ_DBL(x, 999999999999999.875); /* spacing is 1/8 here */
  TEST_EQ_INT(num("999999999999999.99999999", &x), VALUES_OUT_OF_RANGE); /* rounds to 1e15 */
  TEST_EQ_INT(num("1000000000000000", &x), VALUES_OUT_OF_RANGE);
  TEST_EQ_INT(num("-1,000,000,000,000,000", &x), VALUES_OUT_OF_RANGE);
  TEST_EQ_INT(num("000000000000000000000001.5", &x), VALUES_OK); /* leading zeros are free */
  TEST_EQ_DBL(x, 1.5);
}

static void test_number_huge_and_long(void) {
  double x = -1;
  char *nines = repeat('9', 5000), *buf;
  size_t n;
  TEST_EQ_INT(num(nines, &x), VALUES_OUT_OF_RANGE);
  TEST_EQ_INT(integer(nines, &x), VALUES_OUT_OF_RANGE);
  free(nines);
  /* 1 + 2^-53 is exactly halfway between 1 and 1 + 2^-52: ties to even gives 1; a non-zero
   * digit 1500 places after the point breaks the tie upwards (the sticky digit). */
  buf = malloc(4000);
  strcpy(buf, "1.00000000000000011102230246251565404236316680908203125");
  TEST_EQ_INT(num(buf, &x), VALUES_OK);
  TEST_EQ_DBL(x, 1.0);
  n = strlen(buf);
  memset(buf + n, '0', 1500);
  strcpy(buf + n + 1500, "1");
  TEST_EQ_INT(num(buf, &x), VALUES_OK);
  TEST_EQ_DBL(x, 1.0000000000000002220446049250313080847263336181640625);
  /* the same with trailing zeros only stays on the tie */
  buf[n + 1500] = '0';
  TEST_EQ_INT(num(buf, &x), VALUES_OK);
  TEST_EQ_DBL(x, 1.0);
  free(buf);
}

static void test_number_options(void) {
  double x = -1;
  TEST_EQ_INT(values_parse_number("$5", 2, ',', 1, &x), VALUES_BAD); /* bareNumber */
  TEST_EQ_INT(values_parse_number("5%", 2, ',', 1, &x), VALUES_BAD);
  TEST_EQ_INT(values_parse_number("5", 1, ',', 1, &x), VALUES_OK);
  TEST_EQ_DBL(x, 5.0);
  TEST_EQ_INT(values_parse_number("1'250.5", 7, '\'', 0, &x), VALUES_OK); /* groupChar */
  TEST_EQ_DBL(x, 1250.5);
  TEST_EQ_INT(values_parse_number("1,250", 5, '\'', 0, &x), VALUES_BAD);
}

static void test_integers(void) {
  double x = -1;
  TEST_EQ_INT(integer("3.0", &x), VALUES_OK);
  TEST_EQ_DBL(x, 3.0);
  TEST_EQ_INT(integer("3.000", &x), VALUES_OK);
  TEST_EQ_INT(integer("3.", &x), VALUES_OK);
  TEST_EQ_DBL(x, 3.0);
  TEST_EQ_INT(integer("3.5", &x), VALUES_BAD);
  TEST_EQ_INT(integer("3.05", &x), VALUES_BAD);
  TEST_EQ_INT(integer("1,000", &x), VALUES_OK);
  TEST_EQ_DBL(x, 1000.0);
  TEST_EQ_INT(integer("1,00", &x), VALUES_BAD);
  TEST_EQ_INT(integer("$12", &x), VALUES_OK);
  TEST_EQ_DBL(x, 12.0);
  TEST_EQ_INT(integer("12%", &x), VALUES_BAD); /* no % for integers */
  TEST_EQ_INT(integer("-7", &x), VALUES_OK);
  TEST_EQ_DBL(x, -7.0);
  TEST_EQ_INT(integer("-0", &x), VALUES_OK);
  TEST_CHECK(x == 0.0 && !signbit(x));
  TEST_EQ_INT(integer(".0", &x), VALUES_OK);
  TEST_EQ_DBL(x, 0.0);
  TEST_EQ_INT(integer("9007199254740992", &x), VALUES_OK); /* 2^53 itself */
  TEST_EQ_DBL(x, 9007199254740992.0);
  TEST_EQ_INT(integer("9,007,199,254,740,992", &x), VALUES_OK);
  TEST_EQ_INT(integer("9007199254740993", &x), VALUES_OUT_OF_RANGE);
  TEST_EQ_INT(integer("-9007199254740992", &x), VALUES_OK);
  TEST_EQ_DBL(x, -9007199254740992.0);
  TEST_EQ_INT(integer("-9007199254740993", &x), VALUES_OUT_OF_RANGE);
  TEST_EQ_INT(integer("99999999999999999", &x), VALUES_OUT_OF_RANGE);
  TEST_EQ_INT(integer("0000000000000000000000000000042", &x), VALUES_OK);
  TEST_EQ_DBL(x, 42.0);
  TEST_EQ_INT(integer("99999999999999999999.5", &x), VALUES_BAD); /* integrality first */
  TEST_EQ_INT(integer("1e3", &x), VALUES_BAD);
  TEST_EQ_INT(integer("", &x), VALUES_BAD);
  TEST_EQ_INT(values_parse_integer("$5", 2, ',', 1, &x), VALUES_BAD);
}

static void test_dates(void) {
  int32_t d = 0;
  char out[11];
  TEST_EQ_INT(date("1970-01-01"), 0);
  TEST_EQ_INT(date("1969-12-31"), -1);
  TEST_EQ_INT(date("2000-03-01"), 11017);
  TEST_EQ_INT(date("0001-01-01"), -719162);
  TEST_EQ_INT(date("9999-12-31"), 2932896);
  TEST_EQ_INT(date("0000-01-01"), INT32_MIN);
  TEST_EQ_INT(date("2024-02-29"), 19782); /* leap years: /4, not /100, but /400 */
  TEST_EQ_INT(date("2023-02-29"), INT32_MIN);
  TEST_EQ_INT(date("1900-02-29"), INT32_MIN);
  TEST_EQ_INT(date("1600-02-29"), -135081);
  TEST_EQ_INT(date("2025-02-30"), INT32_MIN);
  TEST_EQ_INT(date("2024-04-31"), INT32_MIN);
  TEST_EQ_INT(date("2024-13-01"), INT32_MIN);
  TEST_EQ_INT(date("2024-00-10"), INT32_MIN);
  TEST_EQ_INT(date("2024-01-00"), INT32_MIN);
  TEST_EQ_INT(date("2024-1-22"), INT32_MIN);
  TEST_EQ_INT(date("24-01-22"), INT32_MIN);
  TEST_EQ_INT(date("2024/01/22"), INT32_MIN);
  TEST_EQ_INT(date("20240122"), INT32_MIN);
  TEST_EQ_INT(date(""), INT32_MIN);
  /* CRM timestamps: the value is the calendar date as written */
  TEST_EQ_INT(date("2024-01-22T20:36:47.000+0000"), 19744);
  TEST_EQ_INT(date("2019-11-11 17:23:34"), 18211);
  TEST_EQ_INT(date("2024-01-22T20:36"), 19744);
  TEST_EQ_INT(date("2024-01-22T20:36Z"), 19744);
  TEST_EQ_INT(date("2024-01-22T23:59:60Z"), 19744); /* leap second */
  TEST_EQ_INT(date("2024-01-22T20:36:47+05:30"), 19744);
  TEST_EQ_INT(date("2024-01-22T20:36:47-0800"), 19744);
  TEST_EQ_INT(date("2024-01-22T20:36:47+99:99"), 19744); /* offset not range-checked */
  TEST_EQ_INT(date("2024-01-22T20:36:47+05"), INT32_MIN);  /* offset needs minutes */
  TEST_EQ_INT(date("2024-01-22T20:36:47+5:30"), INT32_MIN);
  TEST_EQ_INT(date("2024-01-22t20:36:47"), INT32_MIN);
  TEST_EQ_INT(date("2024-01-22T20:36:47z"), INT32_MIN);
  TEST_EQ_INT(date("2024-01-22T24:00"), INT32_MIN);
  TEST_EQ_INT(date("2024-01-22T23:60"), INT32_MIN);
  TEST_EQ_INT(date("2024-01-22T23:59:61"), INT32_MIN);
  TEST_EQ_INT(date("2024-01-22T20:36:47."), INT32_MIN);
  TEST_EQ_INT(date("2024-01-22T20:36.5"), INT32_MIN); /* a fraction needs seconds */
  TEST_EQ_INT(date("2024-01-22T20"), INT32_MIN);
  TEST_EQ_INT(date("2024-01-22T"), INT32_MIN);
  TEST_EQ_INT(date("2024-01-22 "), INT32_MIN);
  TEST_EQ_INT(date("2024-01-22  20:36"), INT32_MIN);
  TEST_EQ_INT(date("2024-01-22Z"), INT32_MIN); /* an offset only follows a time */
  TEST_EQ_INT(date("2024-01-22T20:36:47Z+01:00"), INT32_MIN);
  TEST_EQ_INT(date("2024-01-22T2:36"), INT32_MIN);
  /* plain dates (--as-of) take no time */
  TEST_EQ_INT(values_parse_plain_date("2024-01-22", 10, &d), 1);
  TEST_EQ_INT(d, 19744);
  TEST_EQ_INT(values_parse_plain_date("2024-01-22T00:00", 16, &d), 0);
  TEST_EQ_INT(values_parse_plain_date("2023-02-29", 10, &d), 0);
  TEST_EQ_INT(values_days_from_ymd(2023, 2, 29, &d), -1);
  TEST_EQ_INT(values_days_from_ymd(10000, 1, 1, &d), -1);
  TEST_EQ_INT(values_days_from_ymd(2024, 1, 5, &d), 0);
  TEST_EQ_INT(d, 19727);
  values_format_date(19744, out);
  TEST_EQ_STR(out, "2024-01-22");
  values_format_date(-719162, out);
  TEST_EQ_STR(out, "0001-01-01");
  values_format_date(2932896, out);
  TEST_EQ_STR(out, "9999-12-31");
  values_format_date(-1, out);
  TEST_EQ_STR(out, "1969-12-31");
  values_format_date(19782, out);
  TEST_EQ_STR(out, "2024-02-29");
}

static void test_date_formats(void) {
  char why[256];
  TEST_EQ_INT(fdate("01/22/2024", "%m/%d/%Y"), 19744);
  TEST_EQ_INT(fdate("1/5/2024", "%m/%d/%Y"), 19727); /* one-digit month and day */
  TEST_EQ_INT(fdate("13/01/2024", "%m/%d/%Y"), INT32_MIN);
  TEST_EQ_INT(fdate("02/30/2024", "%m/%d/%Y"), INT32_MIN);
  TEST_EQ_INT(fdate("01/22/24", "%m/%d/%Y"), INT32_MIN); /* %Y is four digits */
  TEST_EQ_INT(fdate("01/22/2024 ", "%m/%d/%Y"), INT32_MIN); /* the whole value */
  TEST_EQ_INT(fdate("01-22-2024", "%m/%d/%Y"), INT32_MIN);
  TEST_EQ_INT(fdate("001/22/2024", "%m/%d/%Y"), INT32_MIN);
  TEST_EQ_INT(fdate("22-01-2024 20:36", "%d-%m-%Y %H:%M"), 19744);
  TEST_EQ_INT(fdate("22-01-2024 24:00", "%d-%m-%Y %H:%M"), INT32_MIN);
  TEST_EQ_INT(fdate("22-01-2024 23:60", "%d-%m-%Y %H:%M"), INT32_MIN);
  TEST_EQ_INT(fdate("22-01-2024", "%d-%m-%Y %H:%M"), INT32_MIN);
  TEST_EQ_INT(fdate("2024-01-22T20:36:60", "%Y-%m-%dT%H:%M:%S"), 19744);
  TEST_EQ_INT(fdate("2024-01-22T20:36:61", "%Y-%m-%dT%H:%M:%S"), INT32_MIN);
  TEST_EQ_INT(fdate("2024-01-22t20:36:00", "%Y-%m-%dT%H:%M:%S"), INT32_MIN);
  TEST_EQ_INT(fdate("2024%01%22", "%Y%%%m%%%d"), 19744);
  TEST_EQ_INT(values_check_date_format("%m/%d/%Y", why, sizeof why), 1);
  TEST_EQ_INT(values_check_date_format("%d-%m-%Y %H:%M", why, sizeof why), 1);
  TEST_EQ_INT(values_check_date_format("%Y%%%m%%%d", why, sizeof why), 1);
  TEST_EQ_INT(values_check_date_format("%d/%m/%y", why, sizeof why), 0);
  TEST_EQ_STR(why, "unknown format directive '%y' in date format '%d/%m/%y' (allowed: %Y %m "
                   "%d %H %M %S %%)");
  TEST_EQ_INT(values_check_date_format("%m/%d", why, sizeof why), 0);
  TEST_EQ_STR(why, "date format '%m/%d' needs %Y, %m and %d");
  TEST_EQ_INT(values_check_date_format("%Y-%m-%d %", why, sizeof why), 0);
  TEST_EQ_STR(why, "date format '%Y-%m-%d %' ends with a lone '%'");
  TEST_EQ_INT(values_check_date_format("%Y-%m-%d-%d", why, sizeof why), 0);
  TEST_EQ_STR(why, "directive '%d' repeated in date format '%Y-%m-%d-%d'");
  TEST_EQ_INT(values_check_date_format("%Y-%m-%d %b", why, sizeof why), 0);
}

static void test_booleans(void) {
  static const char *const yes[] = {"true", "TRUE", "True", "t", "T", "yes", "Yes", "Y", "y", "1",
                                    "tRuE", "yES"};
  static const char *const no[] = {"false", "FALSE", "f", "F", "no", "NO", "n", "N", "0",
                                   "fAlSe", "nO"};
  static const char *const bad[] = {"2", "on", "off", "tru", "yes ", "", "ye", "-1", "00",
                                    "nO!", "nah", "yep", "fals", "truee", "falsey", "ja",
                                    "\xC3\x9F", "x", "N/A", "trUe\t", "0 "};
  size_t k;
  int b;
  for (k = 0; k < sizeof yes / sizeof yes[0]; k++) {
    b = -1;
    TEST_EQ_INT(values_parse_bool(yes[k], strlen(yes[k]), &b), 1);
    TEST_EQ_INT(b, 1);
  }
  for (k = 0; k < sizeof no / sizeof no[0]; k++) {
    b = -1;
    TEST_EQ_INT(values_parse_bool(no[k], strlen(no[k]), &b), 1);
    TEST_EQ_INT(b, 0);
  }
  for (k = 0; k < sizeof bad / sizeof bad[0]; k++)
    TEST_EQ_INT(values_parse_bool(bad[k], strlen(bad[k]), &b), 0);
}

static void test_utf8_and_trim(void) {
  const char *s = "\t\v\f\r\n x y \n";
  size_t len = strlen(s);
  TEST_EQ_INT(utf8("", 0), 1);
  TEST_EQ_INT(utf8("abc", 3), 1);
  TEST_EQ_INT(utf8("\xC3\xA9", 2), 1);             /* é */
  TEST_EQ_INT(utf8("\xE2\x82\xAC", 3), 1);         /* € */
  TEST_EQ_INT(utf8("\xF4\x8F\xBF\xBF", 4), 1);     /* U+10FFFF */
  TEST_EQ_INT(utf8("\xED\x9F\xBF", 3), 1);         /* U+D7FF, just below the surrogates */
  TEST_EQ_INT(utf8("\xC0\xAF", 2), 0);             /* overlong '/' */
  TEST_EQ_INT(utf8("\xC1\xBF", 2), 0);
  TEST_EQ_INT(utf8("\xE0\x80\xAF", 3), 0);
  TEST_EQ_INT(utf8("\xF0\x80\x80\xAF", 4), 0);
  TEST_EQ_INT(utf8("\xED\xA0\x80", 3), 0);         /* U+D800 */
  TEST_EQ_INT(utf8("\xED\xBF\xBF", 3), 0);         /* U+DFFF */
  TEST_EQ_INT(utf8("\xF4\x90\x80\x80", 4), 0);     /* U+110000 */
  TEST_EQ_INT(utf8("\xF5\x80\x80\x80", 4), 0);
  TEST_EQ_INT(utf8("a\0b", 3), 0);                 /* NUL */
  TEST_EQ_INT(utf8("\xC0\x80", 2), 0);             /* overlong NUL */
  TEST_EQ_INT(utf8("\xE2\x82", 2), 0);             /* cut short */
  TEST_EQ_INT(utf8("\xE2\x82x", 3), 0);
  TEST_EQ_INT(utf8("\x80", 1), 0);
  TEST_EQ_INT(utf8("\xFF", 1), 0);
  values_trim(&s, &len);
  TEST_EQ_INT(len, 3);
  TEST_CHECK(memcmp(s, "x y", 3) == 0);
  s = "\xC2\xA0x"; /* NBSP is not ASCII whitespace */
  len = 3;
  values_trim(&s, &len);
  TEST_EQ_INT(len, 3);
  s = " \t ";
  len = 3;
  values_trim(&s, &len);
  TEST_EQ_INT(len, 0);
}

static void test_email_and_keys(void) {
  char buf[64];
  TEST_EQ_STR(email("Ann@Example.COM", buf), "ann@example.com");
  TEST_EQ_STR(email("\xC3\x89VA@X.COM", buf), "\xC3\x89va@x.com"); /* ÉVA@X.COM → Éva@x.com */
  TEST_EQ_STR(email("a@.", buf), "a@."); /* a '.' anywhere in the domain, as specified */
  TEST_EQ_STR(email("a@b.", buf), "a@b.");
  TEST_EQ_STR(email("a@b@c.com", buf), "(invalid)");
  TEST_EQ_STR(email("@x.com", buf), "(invalid)");
  TEST_EQ_STR(email("a@x", buf), "(invalid)");
  TEST_EQ_STR(email("a.b@x", buf), "(invalid)"); /* the '.' must be after the '@' */
  TEST_EQ_STR(email("ann.example.com", buf), "(invalid)");
  TEST_EQ_STR(email("a b@x.com", buf), "(invalid)");
  TEST_EQ_STR(email("a\tb@x.com", buf), "(invalid)");
  TEST_EQ_STR(email("a\x1C" "b@x.com", buf), "(invalid)");          /* U+001C */
  TEST_EQ_STR(email("a\xC2\x85" "b@x.com", buf), "(invalid)");      /* U+0085 */
  TEST_EQ_STR(email("a\xC2\xA0" "b@x.com", buf), "(invalid)");      /* NBSP */
  TEST_EQ_STR(email("a@x\xE1\x9A\x80.com", buf), "(invalid)");      /* U+1680 */
  TEST_EQ_STR(email("a@x\xE2\x80\x8A.com", buf), "(invalid)");      /* U+200A */
  TEST_EQ_STR(email("a@x\xE2\x80\xA8.com", buf), "(invalid)");      /* U+2028 */
  TEST_EQ_STR(email("a@x\xE2\x80\xAF.com", buf), "(invalid)");      /* U+202F */
  TEST_EQ_STR(email("a@x\xE2\x81\x9F.com", buf), "(invalid)");      /* U+205F */
  TEST_EQ_STR(email("a@x\xE3\x80\x80.com", buf), "(invalid)");      /* U+3000 */
  TEST_EQ_STR(email("a\xE2\x80\x8B" "b@x.com", buf), "a\xE2\x80\x8B" "b@x.com"); /* U+200B */
  TEST_EQ_STR(email("a\xEF\xBB\xBF" "b@x.com", buf), "a\xEF\xBB\xBF" "b@x.com"); /* U+FEFF */
  /* bytes from '@' upwards and below 'A' both pass through, lowered where A-Z */
  TEST_EQ_STR(email("X_Y+Z[1]~@Ex-Ample.ORG", buf), "x_y+z[1]~@ex-ample.org");
  TEST_EQ_STR(email("A@B.C", buf), "a@b.c");
  TEST_EQ_STR(email("a.b@", buf), "(invalid)");
  TEST_EQ_STR(email("a@b.c ", buf), "(invalid)");       /* whitespace last */
  TEST_EQ_STR(email("a@b.c", buf), "(invalid)");    /* U+001F */
  TEST_EQ_STR(email("a@b.c", buf), "a@b.c");    /* DEL is not whitespace */
  TEST_EQ_STR(email("a@b.c", buf), "a@b.c");    /* nor is backspace */
  TEST_EQ_STR(email("Ã@Ã.Ã", buf), "Ã@Ã.Ã");
  TEST_EQ_STR(vkey(" HEALTHCARE ", buf), "healthcare");
  TEST_EQ_STR(vkey("\tHealth \t  Care\n", buf), "health care");
  TEST_EQ_STR(vkey("Health\xC2\xA0" "Care", buf), "health\xC2\xA0" "care"); /* A23 */
  TEST_EQ_STR(vkey("\xC3\x89NERGIE", buf), "\xC3\x89nergie");
  TEST_EQ_STR(vkey("  ", buf), "");
  values_ascii_lower("AbC-\xC3\x89", 6, buf);
  TEST_CHECK(memcmp(buf, "abc-\xC3\x89", 6) == 0);
  TEST_EQ_INT(values_ascii_ieq("Lead ID", 7, "lead id", 7), 1);
  TEST_EQ_INT(values_ascii_ieq("\xC3\x89", 2, "\xC3\xA9", 2), 0);
  TEST_EQ_INT(values_ascii_ieq("abc", 3, "abcd", 4), 0);
}

/* values_utf8_valid reads eight ASCII bytes at a time: a NUL, a non-ASCII byte or a bad
 * sequence must be found at every position of a word and at every tail length. */
static void test_utf8_words(void) {
  char buf[40];
  size_t len, pos;
  for (len = 0; len <= 33; len++) {
    memset(buf, 'a', len);
    if (len > 0) buf[len - 1] = '\x7F'; /* DEL is still ASCII */
    TEST_EQ_INT(utf8(buf, len), 1);
  }
  for (pos = 0; pos < 24; pos++) {
    memset(buf, 'a', 24);
    buf[pos] = '\0';
    TEST_EQ_INT(utf8(buf, 24), 0);
    buf[pos] = '\x80'; /* a lone continuation byte */
    TEST_EQ_INT(utf8(buf, 24), 0);
    buf[pos] = '\xFF';
    TEST_EQ_INT(utf8(buf, 24), 0);
    memset(buf, 'a', 26);
    memcpy(buf + pos, "\xC3\xA9", 2); /* é anywhere, then ASCII words again */
    TEST_EQ_INT(utf8(buf, 26), 1);
    buf[25] = '\0'; /* a NUL in the word after a multibyte sequence */
    TEST_EQ_INT(utf8(buf, 26), pos + 2 == 26 ? 1 : 0);
  }
  memset(buf, 'a', 16);
  memcpy(buf + 16, "\xED\xA0\x80", 3); /* a surrogate after two clean words */
  TEST_EQ_INT(utf8(buf, 19), 0);
  memcpy(buf + 16, "\xE2\x82", 2); /* a sequence cut short by the end */
  TEST_EQ_INT(utf8(buf, 18), 0);
  memcpy(buf + 16, "\xF0\x9F\x98\x80", 4); /* U+1F600 ending the text */
  TEST_EQ_INT(utf8(buf, 20), 1);
}

/* Plain decimals go through a division instead of strtod when both operands are exact;
 * every result must still be strtod's correctly rounded double, sign of zero included. */
static void test_number_fast_path(void) {
  static const char *const cases[] = {
      "0.1", "0.2", "0.3", "2.5", "80945.00", "454223228.00", "1.7976931348623157",
      "123456789012345", "12345678901234.5", "0.000000000000000000001", "9.999999999999999",
      "0.0000000000000000000001", "0.00000000000000000000001", "450359962737.0497",
      "1.000000000000000", "9007199254740.993", "0.30000000000000004", "5.", ".5", "0",
      "000000000000000000000000.125", "999999999999999", "99999999999999.99"};
  uint64_t seed = 88172645463325252ULL;
  char buf[64];
  size_t k;
  double x, want;
  for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    want = strtod(cases[k], NULL);
    x = -1;
    TEST_EQ_INT(num(cases[k], &x), VALUES_OK);
    TEST_EQ_DBL(x, want);
  }
  TEST_EQ_INT(num("-0.00", &x), VALUES_OK);
  TEST_CHECK(x == 0.0 && signbit(x));
  TEST_EQ_INT(num("0.00", &x), VALUES_OK);
  TEST_CHECK(x == 0.0 && !signbit(x));
  TEST_EQ_INT(num("-1,234.5%", &x), VALUES_OK);
  TEST_EQ_DBL(x, -1234.5);
  TEST_EQ_INT(num("\xE2\x82\xAC" "0.35", &x), VALUES_OK); /* €0.35 */
  TEST_EQ_DBL(x, 0.35);
  TEST_EQ_INT(num("\xC2\xA3" "7", &x), VALUES_OK); /* £7 */
  TEST_EQ_DBL(x, 7.0);
  TEST_EQ_INT(num("\xE2\x82", &x), VALUES_BAD);   /* half a euro sign */
  TEST_EQ_INT(num("\xC2" "7", &x), VALUES_BAD);
  /* Random decimals of 0..17 integer digits and 0..25 fraction digits, against
   * strtod on the same text (xorshift64: the same cases on every run). */
  size_t n_wrong = 0, n_range = 0;
  for (k = 0; k < 20000; k++) {
    size_t n_int, n_frac, i, n = 0;
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    n_int = seed % 18;
    n_frac = (seed >> 8) % 26;
    if (n_int + n_frac == 0) n_int = 1;
    if (seed >> 63) buf[n++] = '-';
    for (i = 0; i < n_int; i++) buf[n++] = (char)('0' + (seed >> (12 + 3 * (i % 16))) % 10);
    if (n_frac > 0 || (seed >> 62 & 1)) buf[n++] = '.';
    for (i = 0; i < n_frac; i++) buf[n++] = (char)('0' + ((seed >> (5 + 2 * i)) ^ (k + i)) % 10);
    buf[n] = '\0';
    want = strtod(buf, NULL);
    if (fabs(want) >= 1e15) {
      n_range++;
      if (num(buf, &x) == VALUES_OUT_OF_RANGE) continue;
    } else if (num(buf, &x) == VALUES_OK && x == want && !signbit(x) == !signbit(want)) {
      continue;
    }
    if (n_wrong++ < 5) printf("  random decimal %s: got %.17g, want %.17g\n", buf, x, want);
  }
  TEST_EQ_INT(n_wrong, 0);
  TEST_CHECK(n_range > 0 && n_range < 20000); /* the draw covers both outcomes */
}

/* Unsigned digit strings of up to 15 digits skip the scanner: the longer and the signed
 * ones take the general path, with the same results as before. */
static void test_plain_digits(void) {
  double x = -1;
  TEST_EQ_INT(integer("7", &x), VALUES_OK);
  TEST_EQ_DBL(x, 7.0);
  TEST_EQ_INT(integer("007", &x), VALUES_OK);
  TEST_EQ_DBL(x, 7.0);
  TEST_EQ_INT(integer("000000000000007", &x), VALUES_OK);  /* 15 digits */
  TEST_EQ_DBL(x, 7.0);
  TEST_EQ_INT(integer("0000000000000007", &x), VALUES_OK); /* 16 digits */
  TEST_EQ_DBL(x, 7.0);
  TEST_EQ_INT(integer("999999999999999", &x), VALUES_OK);
  TEST_EQ_DBL(x, 999999999999999.0);
  TEST_EQ_INT(integer("4503599627370497", &x), VALUES_OK); /* 2^52 + 1, 16 digits */
  TEST_EQ_DBL(x, 4503599627370497.0);
  TEST_EQ_INT(integer("12a", &x), VALUES_BAD);
  TEST_EQ_INT(integer("1 2", &x), VALUES_BAD);
  TEST_EQ_INT(num("999999999999999", &x), VALUES_OK);
  TEST_EQ_DBL(x, 999999999999999.0);
  TEST_EQ_INT(num("000000000000000", &x), VALUES_OK);
  TEST_CHECK(x == 0.0 && !signbit(x));
  TEST_EQ_INT(num("1000000000000000", &x), VALUES_OUT_OF_RANGE);
  TEST_EQ_INT(num("12a", &x), VALUES_BAD);
  TEST_EQ_INT(values_parse_number("5", 1, ',', 1, &x), VALUES_OK); /* bareNumber too */
  TEST_EQ_DBL(x, 5.0);
}

/* The default rule's YYYY-MM-DD is checked in one pass: a bad byte anywhere fails. */
static void test_date_shape(void) {
  static const char *const bad[] = {"x024-01-22", "2x24-01-22", "20x4-01-22", "202x-01-22",
                                    "2024x01-22", "2024-x1-22", "2024-0x-22", "2024-01x22",
                                    "2024-01-x2", "2024-01-2x", "2024-01-2",  "2024-01",
                                    "2024-01-22x"};
  size_t k;
  for (k = 0; k < sizeof bad / sizeof bad[0]; k++) TEST_EQ_INT(date(bad[k]), INT32_MIN);
  {
    int32_t d = 0;
    TEST_EQ_INT(values_parse_date("2024-01-22\0", 11, &d), 0); /* a NUL after the date */
    TEST_EQ_INT(values_parse_date("2024-01-22", 9, &d), 0);    /* cut by len, not by NUL */
  }
  TEST_EQ_INT(date("2024-12-31"), 20088);
  TEST_EQ_INT(date("1999-09-09"), 10843);
}

int main(void) {
  test_numbers();
  test_number_huge_and_long();
  test_number_options();
  test_integers();
  test_dates();
  test_date_formats();
  test_booleans();
  test_utf8_and_trim();
  test_email_and_keys();
  test_utf8_words();
  test_number_fast_path();
  test_plain_digits();
  test_date_shape();
  return TEST_REPORT();
}
