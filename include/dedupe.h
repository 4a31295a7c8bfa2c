/* dedupe.h — SPEC §5 duplicates over every accepted row (A33, A34).
 *
 * In: the lead table after unique_apply; accepted rows carry the hash of their dedupe key
 * (or 0: none); rd re-derives the keys of rows whose hashes share their sort key
 * (radix_hash_shift).
 * Out: of the accepted rows sharing a key, the one with the latest created_at stays
 * ROW_ACCEPTED (tie: earliest in input order); the others become ROW_DUPLICATE with
 * dup_of = the kept row. Runs before ranked / disqualified are decided, so the duplicate
 * of a disqualified row is still a duplicate. Exact on the key bytes; the hash only
 * groups. Runs of equal sort keys are settled in parallel on n_threads threads, thread k
 * re-deriving with rds[k]: a run touches only its own rows, so the result does not depend
 * on the threads.
 */
#ifndef LR_DEDUPE_H
#define LR_DEDUPE_H

#include "radix.h"
#include "scan.h"
#include "table.h"

void dedupe_apply(table *t, scan_rederiver *const *rds, int n_threads, radix_space *space);

#endif
