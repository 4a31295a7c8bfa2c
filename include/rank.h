/* rank.h — the order of ranked.csv (SPEC §6): accepted, not disqualified rows by priority
 * descending (full precision), then lead_id ascending bytewise. lead_ids are unique among
 * accepted rows, so the order is total and independent of threads.
 */
#ifndef LR_RANK_H
#define LR_RANK_H

#include <stddef.h>
#include <stdint.h>

#include "scan.h"
#include "table.h"

/* Row indexes of the ranked rows in rank order; caller frees with free(). rd re-derives
 * the lead_ids of rows with equal priorities. */
uint32_t *rank_rows(const table *t, scan_rederiver *rd, size_t *n_out);

#endif
