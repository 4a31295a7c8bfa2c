/* values.c — the value rules of SPEC §2 for one value at a time: UTF-8, trimming, numbers,
 * integers, dates (default rule and `format` patterns), booleans, emails, vertical keys.
 *
 * Owns nothing: every function reads its arguments and writes only its out-parameters,
 * so any thread may call any of them. Parsers are hand-written scanners rather than
 * sscanf/strptime/strtod on raw text because those accept more than the SPEC allows
 * (leading blanks, exponents, hex, locale-dependent separators, variable-width years).
 */
#include "values.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2^53: the largest magnitude an integer value may have (A14). */
#define VALUES_INT_LIMIT 9007199254740992ULL
/* A number's double must stay below this magnitude (A13). */
#define VALUES_NUM_LIMIT 1e15
/* Fraction digits handed to strtod. Every midpoint between two doubles below 1e15 has at
 * most 1075 digits after the point, so keeping 1100 digits and replacing the rest by one
 * sticky non-zero digit never moves a value across a midpoint: rounding stays correct
 * while the buffer stays on the stack. */
#define VALUES_FRAC_KEEP 1100

static int values_is_digit(char c) { return c >= '0' && c <= '9'; }

static int values_is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static char values_lower_char(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

/* Decodes one strict UTF-8 sequence at s[0, len); returns its length and the code point,
 * or 0 when s does not start with a well-formed sequence. */
static size_t values_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp_out) {
  uint32_t cp;
  size_t n, k;
  if (s[0] < 0x80) {
    *cp_out = s[0];
    return 1;
  }
  if (s[0] >= 0xC2 && s[0] <= 0xDF) {
    n = 2;
    cp = s[0] & 0x1F;
  } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
    n = 3;
    cp = s[0] & 0x0F;
  } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
    n = 4;
    cp = s[0] & 0x07;
  } else {
    return 0; /* continuation byte, overlong lead C0/C1, or F5..FF */
  }
  if (len < n) return 0;
  for (k = 1; k < n; k++) {
    if ((s[k] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[k] & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) return 0; /* overlong */
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0;                        /* surrogate */
  if (cp > 0x10FFFF) return 0;
  *cp_out = cp;
  return n;
}

/* Eight bytes that are all in 1..0x7F (ASCII without NUL) need no decoding: a byte has
 * its high bit set only when it is >= 0x80 or, after subtracting 1 from every byte, when
 * it was 0 (a borrow can only start at a zero byte, so it never hides or invents one). */
#define VALUES_BYTES_01 0x0101010101010101ULL
#define VALUES_BYTES_80 0x8080808080808080ULL

int values_utf8_valid(const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < len) {
    uint32_t cp;
    size_t n;
    while (len - i >= 8) { /* whole records are mostly ASCII: skip them a word at a time */
      uint64_t w;
      memcpy(&w, p + i, 8);
      if (((w | (w - VALUES_BYTES_01)) & VALUES_BYTES_80) != 0) break;
      i += 8;
    }
    if (i == len) break;
    if (p[i] != 0 && p[i] < 0x80) {
      i++;
      continue;
    }
    n = values_utf8_decode(p + i, len - i, &cp);
    if (n == 0 || cp == 0) return 0;
    i += n;
  }
  return 1;
}

void values_trim(const char **s, size_t *len) {
  const char *p = *s;
  size_t n = *len;
  while (n > 0 && values_is_ascii_space(p[0])) {
    p++;
    n--;
  }
  while (n > 0 && values_is_ascii_space(p[n - 1])) n--;
  *s = p;
  *len = n;
}

void values_ascii_lower(const char *s, size_t len, char *out) {
  size_t i;
  for (i = 0; i < len; i++) out[i] = values_lower_char(s[i]);
}

int values_ascii_ieq(const char *a, size_t alen, const char *b, size_t blen) {
  size_t i;
  if (alen != blen) return 0;
  for (i = 0; i < alen; i++)
    if (values_lower_char(a[i]) != values_lower_char(b[i])) return 0;
  return 1;
}

/* ---- dates ------------------------------------------------------------------------- */

static int values_is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int values_month_days(int y, int m) {
  static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return (m == 2 && values_is_leap(y)) ? 29 : days[m - 1];
}

int values_days_from_ymd(int year, int month, int day, int32_t *days_out) {
  int y, era, yoe, doy, doe;
  if (year < 1 || year > 9999 || month < 1 || month > 12) return -1;
  if (day < 1 || day > values_month_days(year, month)) return -1;
  /* Howard Hinnant's days_from_civil: years start in March so the leap day is last. */
  y = year - (month <= 2);
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  *days_out = (int32_t)(era * 146097 + doe - 719468);
  return 0;
}

void values_format_date(int32_t days, char *out) {
  /* Hinnant's civil_from_days, the inverse of values_days_from_ymd. */
  long z = (long)days + 719468;
  long era = (z >= 0 ? z : z - 146096) / 146097;
  long doe = z - era * 146097;
  long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long mp = (5 * doy + 2) / 153;
  long d = doy - (153 * mp + 2) / 5 + 1;
  long m = mp < 10 ? mp + 3 : mp - 9;
  long y = yoe + era * 400 + (m <= 2);
  /* No parser produces a year outside 0001..9999; clamping keeps the 11-byte contract. */
  if (y < 0) y = 0;
  if (y > 9999) y = 9999;
  out[0] = (char)('0' + y / 1000);
  out[1] = (char)('0' + y / 100 % 10);
  out[2] = (char)('0' + y / 10 % 10);
  out[3] = (char)('0' + y % 10);
  out[4] = '-';
  out[5] = (char)('0' + m / 10);
  out[6] = (char)('0' + m % 10);
  out[7] = '-';
  out[8] = (char)('0' + d / 10);
  out[9] = (char)('0' + d % 10);
  out[10] = '\0';
}

/* Reads exactly n ASCII digits at s[*i] into *v; 0 when they are not there. */
static int values_read_fixed(const char *s, size_t len, size_t *i, size_t n, int *v) {
  size_t k;
  int x = 0;
  if (len - *i < n) return 0;
  for (k = 0; k < n; k++) {
    char c = s[*i + k];
    if (!values_is_digit(c)) return 0;
    x = x * 10 + (c - '0');
  }
  *i += n;
  *v = x;
  return 1;
}

/* The digit value of byte c, or a value above 9 when c is not an ASCII digit. */
static unsigned values_digit(char c) { return (unsigned)(unsigned char)c - '0'; }

/* Reads `YYYY-MM-DD` at the start of s; sets *i past it. Every date value of every row
 * starts here, so the fixed shape is checked in one straight pass over its ten bytes. */
static int values_read_ymd(const char *s, size_t len, size_t *i, int32_t *days_out) {
  const char *p = s + *i;
  if (len - *i < 10 || p[4] != '-' || p[7] != '-') return 0;
  unsigned y0 = values_digit(p[0]), y1 = values_digit(p[1]), y2 = values_digit(p[2]),
           y3 = values_digit(p[3]), m0 = values_digit(p[5]), m1 = values_digit(p[6]),
           d0 = values_digit(p[8]), d1 = values_digit(p[9]);
  if (y0 > 9 || y1 > 9 || y2 > 9 || y3 > 9 || m0 > 9 || m1 > 9 || d0 > 9 || d1 > 9) return 0;
  if (values_days_from_ymd((int)(y0 * 1000 + y1 * 100 + y2 * 10 + y3), (int)(m0 * 10 + m1),
                           (int)(d0 * 10 + d1), days_out) != 0)
    return 0;
  *i += 10;
  return 1;
}

int values_parse_plain_date(const char *s, size_t len, int32_t *days_out) {
  size_t i = 0;
  int32_t days;
  if (!values_read_ymd(s, len, &i, &days) || i != len) return 0;
  *days_out = days;
  return 1;
}

/* The time part of A15 after the `T` or space: HH:MM[:SS[.fraction]][Z|±HH[:]MM]. */
static int values_read_time(const char *s, size_t len, size_t i) {
  int h, mi, sec, oh, om;
  if (!values_read_fixed(s, len, &i, 2, &h) || i >= len || s[i] != ':') return 0;
  i++;
  if (!values_read_fixed(s, len, &i, 2, &mi)) return 0;
  if (h > 23 || mi > 59) return 0;
  if (i < len && s[i] == ':') {
    i++;
    if (!values_read_fixed(s, len, &i, 2, &sec) || sec > 60) return 0;
    if (i < len && s[i] == '.') {
      size_t start = ++i;
      while (i < len && values_is_digit(s[i])) i++;
      if (i == start) return 0;
    }
  }
  if (i == len) return 1;
  if (s[i] == 'Z') return i + 1 == len;
  if (s[i] != '+' && s[i] != '-') return 0;
  i++;
  if (!values_read_fixed(s, len, &i, 2, &oh)) return 0;
  if (i < len && s[i] == ':') i++;
  /* The offset is not range-checked (A15): only its shape matters. */
  return values_read_fixed(s, len, &i, 2, &om) && i == len;
}

int values_parse_date(const char *s, size_t len, int32_t *days_out) {
  size_t i = 0;
  int32_t days;
  if (!values_read_ymd(s, len, &i, &days)) return 0;
  if (i < len) {
    if (s[i] != 'T' && s[i] != ' ') return 0;
    if (!values_read_time(s, len, i + 1)) return 0;
  }
  *days_out = days;
  return 1;
}

int values_check_date_format(const char *fmt, char *why, size_t why_len) {
  int seen[128] = {0};
  const char *p;
  for (p = fmt; *p != '\0'; p++) {
    if (*p != '%') continue;
    p++;
    switch (*p) {
    case 'Y': case 'm': case 'd': case 'H': case 'M': case 'S':
      if (seen[(unsigned char)*p]++) {
        snprintf(why, why_len, "directive '%%%c' repeated in date format '%s'", *p, fmt);
        return 0;
      }
      break;
    case '%':
      break;
    case '\0':
      snprintf(why, why_len, "date format '%s' ends with a lone '%%'", fmt);
      return 0;
    default:
      snprintf(why, why_len,
               "unknown format directive '%%%c' in date format '%s' (allowed: %%Y %%m %%d "
               "%%H %%M %%S %%%%)", *p, fmt);
      return 0;
    }
  }
  if (!seen['Y'] || !seen['m'] || !seen['d']) {
    snprintf(why, why_len, "date format '%s' needs %%Y, %%m and %%d", fmt);
    return 0;
  }
  return 1;
}

/* One or two digits (greedy) at s[*i]. */
static int values_read_1or2(const char *s, size_t len, size_t *i, int *v) {
  if (*i >= len || !values_is_digit(s[*i])) return 0;
  *v = s[(*i)++] - '0';
  if (*i < len && values_is_digit(s[*i])) *v = *v * 10 + (s[(*i)++] - '0');
  return 1;
}

int values_parse_date_format(const char *s, size_t len, const char *fmt, int32_t *days_out) {
  int y = 0, m = 0, d = 0, h = 0, mi = 0, sec = 0;
  size_t i = 0;
  const char *p;
  int32_t days;
  for (p = fmt; *p != '\0'; p++) {
    int ok;
    if (*p != '%' || p[1] == '%') {
      if (*p == '%') p++; /* %% is a literal percent sign */
      if (i >= len || s[i] != *p) return 0;
      i++;
      continue;
    }
    p++;
    switch (*p) {
    case 'Y': ok = values_read_fixed(s, len, &i, 4, &y); break;
    case 'm': ok = values_read_1or2(s, len, &i, &m); break;
    case 'd': ok = values_read_1or2(s, len, &i, &d); break;
    case 'H': ok = values_read_1or2(s, len, &i, &h); break;
    case 'M': ok = values_read_1or2(s, len, &i, &mi); break;
    case 'S': ok = values_read_1or2(s, len, &i, &sec); break;
    default: return 0; /* rejected at schema load; never reached with a checked pattern */
    }
    if (!ok) return 0;
  }
  if (i != len || h > 23 || mi > 59 || sec > 60) return 0;
  if (values_days_from_ymd(y, m, d, &days) != 0) return 0;
  *days_out = days;
  return 1;
}

/* ---- numbers ----------------------------------------------------------------------- */

/* The syntax shared by numbers and integers, split into its parts. */
typedef struct values_numtext {
  int negative;
  const char *int_part; /* digits and group characters, as written */
  size_t int_len;
  const char *frac;     /* digits after the point */
  size_t frac_len;
} values_numtext;

/* Bytes of a currency sign ($, €, £ in UTF-8) at s, or 0. */
static size_t values_currency_len(const char *s, size_t len) {
  /* Byte tests rather than memcmp: this runs for every number and integer value, and
   * almost all of them start with a digit. */
  if (len == 0) return 0;
  if (s[0] == '$') return 1;
  if (s[0] == '\xE2' && len >= 3 && s[1] == '\x82' && s[2] == '\xAC') return 3;
  if (s[0] == '\xC2' && len >= 2 && s[1] == '\xA3') return 2;
  return 0;
}

static int values_scan_number(const char *s, size_t len, char group_char, int bare_number,
                              int allow_percent, values_numtext *out) {
  size_t i = 0, run;
  out->negative = 0;
  if (i < len && (s[i] == '+' || s[i] == '-')) out->negative = s[i++] == '-';
  if (!bare_number) i += values_currency_len(s + i, len - i);
  out->int_part = s + i;
  for (run = 0; i < len && values_is_digit(s[i]); i++) run++;
  if (run > 0 && i < len && s[i] == group_char) {
    if (run > 3) return 0; /* the first group has one to three digits */
    while (i < len && s[i] == group_char) {
      i++;
      for (run = 0; i < len && values_is_digit(s[i]); i++) run++;
      if (run != 3) return 0; /* every later group has exactly three */
    }
  }
  out->int_len = (size_t)(s + i - out->int_part);
  out->frac = s + i;
  out->frac_len = 0;
  if (i < len && s[i] == '.') {
    out->frac = s + ++i;
    while (i < len && values_is_digit(s[i])) i++;
    out->frac_len = (size_t)(s + i - out->frac);
  }
  if (out->int_len == 0 && out->frac_len == 0) return 0;
  if (allow_percent && !bare_number && i < len && s[i] == '%') i++;
  return i == len;
}

/* A plain digit string of at most 15 digits (most counts and many amounts) into *out:
 * its value is below 10^15 < 2^53, so the double is exact and in range for numbers and
 * integers alike, and the general scanner can be skipped. Returns 0 for anything else. */
static int values_plain_digits(const char *s, size_t len, double *out) {
  uint64_t v = 0;
  size_t i;
  if (len == 0 || len > 15) return 0;
  for (i = 0; i < len; i++) {
    unsigned d = values_digit(s[i]);
    if (d > 9) return 0;
    v = v * 10 + d;
  }
  *out = (double)v;
  return 1;
}

/* Exact powers of ten: 10^22 is the largest whose double is exact (5^22 < 2^53). */
static const double values_pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The value of t without strtod when that is provably the same double (Clinger's fast
 * path): at most 15 significant digits make an integer m < 10^15 < 2^53 and at most 22
 * fraction digits a divisor 10^f, both exact doubles, so the one IEEE division m / 10^f
 * is the correctly rounded decimal, as strtod's result is. (x86-64 and every other
 * FLT_EVAL_METHOD 0 target divide in double, not in a wider format.) Returns 0 when the
 * text is outside those bounds. */
static int values_number_fast(const values_numtext *t, char group_char, double *out) {
  uint64_t m = 0;
  size_t i, sig = 0;
  if (t->frac_len >= sizeof values_pow10 / sizeof values_pow10[0]) return 0;
  for (i = 0; i < t->int_len; i++) {
    char c = t->int_part[i];
    if (c == group_char || (c == '0' && sig == 0)) continue;
    if (++sig > 15) return 0;
    m = m * 10 + (uint64_t)(c - '0');
  }
  for (i = 0; i < t->frac_len; i++) {
    char c = t->frac[i];
    if (c == '0' && sig == 0) continue;
    if (++sig > 15) return 0;
    m = m * 10 + (uint64_t)(c - '0');
  }
  *out = (double)m / values_pow10[t->frac_len];
  return 1;
}

int values_parse_number(const char *s, size_t len, char group_char, int bare_number,
                        double *out) {
  values_numtext t;
  char buf[16 + 1 + VALUES_FRAC_KEEP + 2];
  size_t i, n = 0, sig = 0, keep;
  double x;
  if (values_plain_digits(s, len, out)) return VALUES_OK;
  if (!values_scan_number(s, len, group_char, bare_number, 1, &t)) return VALUES_BAD;
  if (values_number_fast(&t, group_char, &x)) {
    /* m < 10^15 and f >= 0 keep x < 10^15: the fast path is never out of range. */
    *out = t.negative ? -x : x;
    return VALUES_OK;
  }
  for (i = 0; i < t.int_len; i++) {
    char c = t.int_part[i];
    if (c == group_char || (c == '0' && sig == 0)) continue;
    /* 16 significant integer digits mean >= 10^15: out of range whatever follows, and
     * the copy below never needs more than 15. */
    if (++sig > 15) return VALUES_OUT_OF_RANGE;
    buf[n++] = c;
  }
  if (n == 0) buf[n++] = '0';
  buf[n++] = '.';
  keep = t.frac_len < VALUES_FRAC_KEEP ? t.frac_len : VALUES_FRAC_KEEP;
  memcpy(buf + n, t.frac, keep);
  n += keep;
  for (i = keep; i < t.frac_len; i++) {
    if (t.frac[i] != '0') { /* the sticky digit: see VALUES_FRAC_KEEP */
      buf[n++] = '1';
      break;
    }
  }
  buf[n] = '\0';
  /* strtod rounds correctly; leadrank never calls setlocale, so '.' is the point. */
  x = strtod(buf, NULL);
  if (x >= VALUES_NUM_LIMIT) return VALUES_OUT_OF_RANGE;
  *out = t.negative ? -x : x;
  return VALUES_OK;
}

int values_parse_integer(const char *s, size_t len, char group_char, int bare_number,
                         double *out) {
  values_numtext t;
  uint64_t v = 0;
  size_t i, sig = 0;
  if (values_plain_digits(s, len, out)) return VALUES_OK;
  if (!values_scan_number(s, len, group_char, bare_number, 0, &t)) return VALUES_BAD;
  for (i = 0; i < t.frac_len; i++)
    if (t.frac[i] != '0') return VALUES_BAD; /* integrality before range (A14) */
  for (i = 0; i < t.int_len; i++) {
    char c = t.int_part[i];
    if (c == group_char || (c == '0' && sig == 0)) continue;
    /* 2^53 has 16 digits: a 17th significant digit is out of range without overflow. */
    if (++sig > 16) return VALUES_OUT_OF_RANGE;
    v = v * 10 + (uint64_t)(c - '0');
  }
  if (v > VALUES_INT_LIMIT) return VALUES_OUT_OF_RANGE;
  *out = (t.negative && v != 0) ? -(double)v : (double)v;
  return VALUES_OK;
}

/* ---- booleans, emails, vertical keys ------------------------------------------------ */

int values_parse_bool(const char *s, size_t len, int *out) {
  char w[5];
  int v;
  /* The words differ in length or first letter: one lowered copy and one comparison
   * decide, instead of ten case-insensitive ones. */
  if (len == 0 || len > sizeof w) return 0;
  values_ascii_lower(s, len, w);
  switch (len) {
  case 1:
    if (w[0] == 't' || w[0] == 'y' || w[0] == '1')
      v = 1;
    else if (w[0] == 'f' || w[0] == 'n' || w[0] == '0')
      v = 0;
    else
      return 0;
    break;
  case 2: v = memcmp(w, "no", 2) == 0 ? 0 : -1; break;
  case 3: v = memcmp(w, "yes", 3) == 0 ? 1 : -1; break;
  case 4: v = memcmp(w, "true", 4) == 0 ? 1 : -1; break;
  default: v = memcmp(w, "false", 5) == 0 ? 0 : -1; break;
  }
  if (v < 0) return 0;
  *out = v;
  return 1;
}

/* The whitespace code points of A17 (Python's str.isspace set). */
static int values_is_unicode_space(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 ||
         cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

int values_email_normalize(const char *s, size_t len, char *out) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0, at = 0, n_at = 0;
  int dot_after_at = 0;
  /* One pass lowers, looks for whitespace and finds the `@` and the dot after it; only
   * non-ASCII bytes are decoded (for the Unicode whitespace of A17). On whitespace it
   * stops early: out is unspecified for an invalid email. */
  while (i < len) {
    unsigned char c = p[i];
    uint32_t cp;
    size_t n;
    if (c >= 'A' && c < 0x80) { /* letters and most other ASCII: nothing to look for */
      out[i++] = values_lower_char((char)c);
      continue;
    }
    if (c < 0x80) {
      if (c <= ' ' && values_is_unicode_space(c)) return 0; /* ASCII spaces are <= ' ' */
      out[i] = (char)c;
      if (c == '@') {
        n_at++;
        at = i;
      } else if (c == '.' && n_at > 0) {
        dot_after_at = 1;
      }
      i++;
      continue;
    }
    n = values_utf8_decode(p + i, len - i, &cp);
    if (n == 0) { /* the caller checked UTF-8; a stray byte is simply not whitespace */
      out[i++] = (char)c;
      continue;
    }
    if (values_is_unicode_space(cp)) return 0;
    memcpy(out + i, p + i, n);
    i += n;
  }
  return n_at == 1 && at > 0 && dot_after_at;
}

size_t values_vertical_key(const char *s, size_t len, char *out) {
  size_t i, n = 0;
  int in_space = 0;
  values_trim(&s, &len);
  for (i = 0; i < len; i++) {
    if (values_is_ascii_space(s[i])) {
      in_space = 1;
      continue;
    }
    if (in_space) out[n++] = ' '; /* trimmed, so a run is always followed by a character */
    in_space = 0;
    out[n++] = values_lower_char(s[i]);
  }
  return n;
}
