/* unique.h — exact uniqueness over all inputs (SPEC §2, A18): `unique` schema fields and
 * lead_id.
 *
 * In: the lead table after scan, with the values of the unique fields kept per row.
 * Out: later repeats (input order) among ACCEPTED rows become ROW_REJECTED with
 * `duplicate_lead_id` (the lead_id field) or `duplicate:COL`. Only accepted rows register
 * a value, so a row rejected for another rule never blocks a later one. Fields are
 * settled in the order given (callers put lead_id last: its reason has the lowest
 * precedence, A5). Equality is on the exact bytes; hashes only group. Runs of equal
 * sort keys (radix_hash_shift) are settled on n_threads threads (they share no rows, so
 * the result does not depend on the threads); call between parallel regions.
 */
#ifndef LR_UNIQUE_H
#define LR_UNIQUE_H

#include <stddef.h>

#include "radix.h"
#include "scan.h"
#include "table.h"

/* fields[u] is the schema field whose value hashes scan kept in unique slot u;
 * lead_id_field is the schema field whose repeats are `duplicate_lead_id` (-1: none).
 * Thread k re-derives the values of rows whose sort keys are equal with rds[k]. Sorts in
 * space (grown to the table's rows). */
void unique_apply(table *t, scan_rederiver *const *rds, int n_threads, const long *fields,
                  size_t n_fields, long lead_id_field, radix_space *space);

#endif
