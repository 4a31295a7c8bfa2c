/* csvparse.h — splits one framed record into fields with libcsv (default mode).
 *
 * In:  the bytes of one record as frame_next delimited it (no terminator).
 * Out: its fields exactly as libcsv 3.0.3 delivers them with csv_init(&p, 0) followed by
 *      csv_fini: quotes removed, `""` unescaped, blanks outside quotes dropped.
 *
 * One csvparse per thread: it owns the libcsv parser and the field buffer. Fields returned
 * by csvparse_record point into that buffer and stay valid until the next call on the same
 * csvparse. Free with csvparse_free (accepts NULL).
 */
#ifndef LR_CSVPARSE_H
#define LR_CSVPARSE_H

#include <stddef.h>

#include "lr_err.h"
#include "row.h"

typedef struct csvparse csvparse;

/* Caller frees with csvparse_free. Aborts on allocation failure. */
csvparse *csvparse_new(void);
void csvparse_free(csvparse *p);

/* Splits rec[0, len) into fields; *fields_out and *n_out describe them (owned by p,
 * valid until the next call). Returns LR_OK, or LR_ERR_INPUT if libcsv fails. */
int csvparse_record(csvparse *p, const char *rec, size_t len, const lr_field **fields_out,
                    size_t *n_out) LR_MUST_CHECK;

/* Splits a record that holds no `"` byte (frame_rec.has_quote == 0, so one physical
 * line) exactly as libcsv would — at every comma, with blanks (space, tab) dropped at both
 * ends of each field — but without copying: the fields point into rec. *verbatim_out is
 * 1 when no blank was dropped, i.e. the record re-quotes (csvw) to its own bytes and output
 * may copy it as it is. Same ownership of the field array as csvparse_record. */
void csvparse_plain(csvparse *p, const char *rec, size_t len, const lr_field **fields_out,
                    size_t *n_out, int *verbatim_out);

/* Splits a record whose quotes are all simple exactly as libcsv would, without libcsv.
 * "Simple": every field, after optional blanks (space, tab), either does not start with
 * `"` (an unquoted field: it runs to the next comma, any `"` in it is data, blanks at both
 * ends are dropped), or is quoted: `"`, then data in which every `"` is doubled (`""`,
 * one quote; commas, CR and LF are data), then the closing `"`, then optional blanks and
 * a comma or the end of rec. Returns 1 and the fields — pointing into rec, except a quoted
 * field that held `""`, which is unescaped into p's buffer — with *verbatim_out equal to
 * csvw_fields_equal_raw(fields, n, rec, len). Returns 0 and leaves the outputs alone for
 * any other record: an unclosed quote, text after a closing quote (libcsv's lenient rule,
 * `"ab"cd`, `"a" "b"`), a CR or LF outside quotes, or only blanks (no libcsv row); the
 * caller then uses csvparse_record. Accepts quote-free records too. Same ownership as
 * csvparse_record. */
int csvparse_quoted(csvparse *p, const char *rec, size_t len, const lr_field **fields_out,
                    size_t *n_out, int *verbatim_out) LR_MUST_CHECK;

/* libcsv's fields of rec, the cheapest way: csvparse_quoted where it applies, else
 * csvparse_record. Same returns and ownership as csvparse_record. */
int csvparse_split(csvparse *p, const char *rec, size_t len, const lr_field **fields_out,
                   size_t *n_out) LR_MUST_CHECK;

#endif
