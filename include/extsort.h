/* extsort.h — external merge sort of variable-length records within a memory budget.
 *
 * The `--memory MB` path (SPEC §6) settles uniqueness, dedupe and ranking from spilled,
 * sorted compact records: stages add records here, then read them back in order.
 * Modelled on SQLite's VdbeSorter (src/vdbesort.c): sorted runs in temporary files, then a
 * k-way merge.
 *
 * In:  records (any bytes, any length, copied) and a comparator (cmp, arg) that is a
 *      total preorder: records it calls equal may differ.
 * Out: the records in ascending cmp order; records that compare equal in the order they
 *      were added (stable). So the output never depends on memory_bytes: the same records
 *      in, the same sequence out, for any budget (the unit test checks it).
 *
 * How: added records are copied into one block that holds their bytes at its front and an
 * index (offset, length) at its back; when the block reaches its share of the budget the
 * index is merge-sorted (stable) and the records are written in order as a run: a spool
 * (spool.h; nameless temporary files in dir, so nothing is left behind even after
 * SIGKILL). Runs are read back through a min-heap keyed by (record, run number): on ties
 * the earlier run wins, and earlier runs hold earlier records, so the merge is stable.
 * When nothing was spilled, extsort_finish sorts in memory and writes nothing.
 *
 * Memory (memory_bytes, raised to EXTSORT_MEMORY_MIN): the block (record bytes plus 32
 * bytes of index and sort scratch per record) plus the buffer of the run being written
 * stay within it; during a merge of k runs, k read buffers (and the output run's buffer
 * in an intermediate merge) share it, at most EXTSORT_BUFFER_MAX each. The fan-in F is
 * memory_bytes / EXTSORT_READER_MIN - 1, between 2 and EXTSORT_FANIN_MAX: whenever the
 * last F runs are equal-sized tiers (F runs spilled, F tier-1 merges, ...) they are merged
 * into one run of the next tier while adding (this also bounds the open files), and
 * extsort_finish merges the smallest tail runs until F are left for the final merge. Each
 * merge takes consecutive runs, so stability holds at every tier. Beyond the budget: O(F)
 * bookkeeping, and a record larger than a read buffer is held whole while it is current.
 * A record too large for the block by itself (about memory_bytes or more) becomes a run
 * of its own, written straight from the caller's memory: it still works, it only costs
 * its own length when read back.
 *
 * Call order: extsort_new; extsort_add any number of times; extsort_finish; extsort_next
 * until it returns 0; extsort_free (at any point: it removes every temporary file).
 * Errors are sticky: after one, every call returns the same code and message. Errors
 * about dir (missing, not writable, disk full) surface at the first spill.
 *
 * Threads: one thread per extsort at a time (sequential inside); distinct extsorts are
 * independent. cmp is called only from the calling thread.
 */
#ifndef LR_EXTSORT_H
#define LR_EXTSORT_H

#include <stddef.h>
#include <stdint.h>

#include "lr_err.h"
#include "spool.h"

#define EXTSORT_MEMORY_MIN ((size_t)1 << 10)   /* smaller budgets are raised to this */
#define EXTSORT_READER_MIN ((size_t)64 << 10)  /* budget per run reader when choosing the fan-in */
#define EXTSORT_BUFFER_MAX ((size_t)256 << 10) /* no I/O buffer is larger: more does not read faster */
#define EXTSORT_FANIN_MAX 128                  /* runs merged at once, and about the open files */

/* <0, 0, >0 as a sorts before, equal to, after b. */
typedef int (*extsort_cmp_fn)(const void *a, size_t a_len, const void *b, size_t b_len, void *arg);

typedef struct extsort extsort;

/* A sorter whose runs go to nameless files in dir (copied). memory_bytes bounds what it
 * holds (see above). Caller frees *out with extsort_free. Allocates nothing large: the
 * block grows with what is added. */
int extsort_new(const char *dir, size_t memory_bytes, extsort_cmp_fn cmp, void *arg, extsort **out,
                lr_err *err) LR_MUST_CHECK;

/* Copies rec[0, len) in (rec may be NULL when len is 0). When the block is full, sorts it
 * and writes a run (a spool), and merges tiers (above). LR_ERR_OUTPUT naming dir when a
 * run cannot be written, LR_ERR_MEMORY when the block cannot grow. */
int extsort_add(extsort *s, const void *rec, size_t len, lr_err *err) LR_MUST_CHECK;

/* No more adds. Nothing spilled: sorts in memory. Else writes the last run, merges until
 * at most F runs remain and starts the final merge. */
int extsort_finish(extsort *s, lr_err *err) LR_MUST_CHECK;

/* Next record in order: 1 with *rec and *len set (*rec never NULL; valid until the next call
 * on s), 0 at the end, else an LR_ERR_* code >= 2 (the convention of spool_next). */
int extsort_next(extsort *s, const void **rec, size_t *len, lr_err *err) LR_MUST_CHECK;

/* Runs spilled from memory (0: everything was sorted in memory). */
uint64_t extsort_runs(const extsort *s);

/* Runs written by intermediate merges (0: at most F runs, one final merge). */
uint64_t extsort_merges(const extsort *s);

/* Frees s, its memory and its temporary files. Accepts NULL. */
void extsort_free(extsort *s);

#endif
