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

#endif
