/* rank.h — the order of ranked.csv (SPEC §6): accepted, not disqualified rows by priority
 * descending (full precision), then lead_id ascending bytewise, then input order (equal
 * lead_ids are absent ones, under a --schema where lead_id is optional): a total order,
 * independent of threads.
 */
#ifndef LR_RANK_H
#define LR_RANK_H

#include <stddef.h>
#include <stdint.h>

#include "radix.h"
#include "scan.h"
#include "table.h"

/* Row indexes of the ranked rows in rank order; caller frees with free(). Runs of equal
 * priorities are ordered on n_threads threads, thread k re-deriving lead_ids with rds[k].
 * Sorts in space (grown to the table's rows). */
uint32_t *rank_rows(const table *t, scan_rederiver *const *rds, int n_threads, radix_space *space,
                    size_t *n_out);

#endif
