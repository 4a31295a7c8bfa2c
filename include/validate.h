/* validate.h — the value rules of SPEC §2 applied to one parsed record.
 *
 * In:  the record's fields (one per header column) and the schema_map of its input.
 * Out: one lr_value per schema field, or the first failing rule as a reject reason.
 * Pure functions of their arguments: any thread may call them concurrently.
 * Uniqueness (constraints.unique, lead_id) is decided later over all rows, not here.
 *
 * Per field type, a present value carries: str/str_len (the trimmed text, always);
 * num (number, integer; for a string field with constraints.enum, the index of the
 * matching enum value, so callers need not compare spellings again); date (date);
 * boolean (boolean). An email-format field keeps its trimmed text: normalising it and
 * treating an invalid one as absent is the caller's business (SPEC §2: never a reject).
 * An any_true field (do_not_contact) is validated in every column that feeds it and is
 * true when any of them is.
 */
#ifndef LR_VALIDATE_H
#define LR_VALIDATE_H

#include <stddef.h>

#include "row.h"
#include "schema.h"

/* Validates fields[0, n) (n == m->n_cols) into vals[0, s->n_fields). Returns
 * LR_REASON_NONE when every rule passes, else the reason of the first failing column in
 * input column order, with *field_out = that schema field's index. vals[].str point into
 * fields. Does not check UTF-8 (the caller checks the whole raw record first, A5/A8). */
int validate_record(const schema *s, const schema_map *m, const lr_field *fields, size_t n,
                    lr_value *vals, long *field_out);

/* Field k of a record that validate_record accepted, as it set present, str and str_len
 * (the trimmed text; absent when its column is missing, out of the record, or holds a
 * missing-value token), without converting the value: re-deriving a key of an accepted
 * row needs its text only. k must not be an any_true field (several columns feed one). */
void validate_field_text(const schema *s, const schema_map *m, const lr_field *fields, size_t n,
                         long k, lr_value *val);

#endif
