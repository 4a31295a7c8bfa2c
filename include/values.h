/* values.h — parsing and normalising single values (SPEC §2 value rules, refscore A12–A17,
 * A21, A23). Pure functions, no allocation unless stated; any thread may call them. */
#ifndef LR_VALUES_H
#define LR_VALUES_H

#include <stddef.h>
#include <stdint.h>

/* 1 when s[0, len) is strict UTF-8 (no overlongs, no surrogates, <= U+10FFFF) with no NUL. */
int values_utf8_valid(const char *s, size_t len);

/* Trims ASCII whitespace (space, tab, LF, CR, VT, FF) from both ends in place. */
void values_trim(const char **s, size_t *len);

/* Days since 1970-01-01 of a valid proleptic Gregorian date; -1 return when invalid. */
int values_days_from_ymd(int year, int month, int day, int32_t *days_out);

/* Parses a plain `YYYY-MM-DD` (used for --as-of). Returns 1 when valid. */
int values_parse_plain_date(const char *s, size_t len, int32_t *days_out);

/* Formats days since 1970-01-01 as YYYY-MM-DD into out (at least 11 bytes). */
void values_format_date(int32_t days, char *out);

/* Email normalisation (A17): ASCII-lowercases s into out (len bytes, caller-sized) and
 * returns 1 when it is a valid email, 0 when invalid (out is then unspecified). */
int values_email_normalize(const char *s, size_t len, char *out);

/* Vertical key (SPEC §3, A23): trim ASCII whitespace, collapse inner ASCII-whitespace runs
 * to one space, ASCII-lowercase. Writes at most len bytes to out; returns the key length. */
size_t values_vertical_key(const char *s, size_t len, char *out);

/* ASCII-lowercases (A–Z only) s into out (len bytes). */
void values_ascii_lower(const char *s, size_t len, char *out);

/* 1 when a[0, alen) and b[0, blen) are equal ignoring ASCII case (A–Z only, A9, A16). */
int values_ascii_ieq(const char *a, size_t alen, const char *b, size_t blen);

/* Outcome of the typed parsers below. */
enum values_result {
  VALUES_OK = 0,
  VALUES_BAD,          /* not of the type: bad_number / bad_integer */
  VALUES_OUT_OF_RANGE  /* well-formed but beyond the SPEC's global limits (A13, A14) */
};

/* Number (A13): [+-] [$ € £] digits (group_char only between groups of exactly three)
 * [. digits] [%]; `5.` and `.5` are numbers; no exponent, no blanks. bare_number = 1
 * (Table Schema `bareNumber: true`) forbids the currency sign and the `%`. *out is the
 * decimal correctly rounded to double (strtod, C locale), sign applied after rounding.
 * |x| >= 1e15 → VALUES_OUT_OF_RANGE, decided without reading unbounded digit strings
 * into memory. Callers trim first. */
int values_parse_number(const char *s, size_t len, char group_char, int bare_number,
                        double *out);

/* Integer (A14): the number syntax without `%`, integral value (`3.0`, `1,000` ok; `3.5`
 * is VALUES_BAD, decided before range); |x| > 2^53 → VALUES_OUT_OF_RANGE, decided on the
 * digits so any length is safe. *out is exact; `-0` gives +0. */
int values_parse_integer(const char *s, size_t len, char group_char, int bare_number,
                         double *out);

/* Date (A15): YYYY-MM-DD (0001..9999, a real calendar date), optionally `T` or one space
 * and HH:MM[:SS[.fraction]] (H <= 23, M <= 59, S <= 60) and an optional `Z` or ±HH:MM /
 * ±HHMM offset (not range-checked). The value is the calendar date as written.
 * Returns 1 when valid. */
int values_parse_date(const char *s, size_t len, int32_t *days_out);

/* Checks a strptime-style date pattern: only %Y %m %d %H %M %S %% and literal bytes;
 * %Y, %m and %d exactly once each, %H %M %S at most once. Returns 1 when usable, else 0
 * with a one-line reason in why (why_len bytes). */
int values_check_date_format(const char *fmt, char *why, size_t why_len);

/* Matches the whole of s[0, len) against a pattern accepted by values_check_date_format:
 * %Y is exactly four digits, %m %d %H %M %S one or two digits (greedy, as strptime reads
 * them), literals byte for byte (case-sensitive). The date must be real and the time in
 * the A15 ranges. Returns 1 when valid. */
int values_parse_date_format(const char *s, size_t len, const char *fmt, int32_t *days_out);

/* SPEC booleans, ASCII case-insensitive: true ∈ {true t yes y 1}, false ∈ {false f no n 0}.
 * Returns 1 and sets *out (0/1) when s is one of them, else 0. */
int values_parse_bool(const char *s, size_t len, int *out);

#endif
