/* table.h — the lead table: one compact record per input row, the state every stage after
 * parsing reads and updates.
 *
 * Flow: scan (scan.h) appends rows in input order — (input index, line) order, which is
 * the SPEC's "input order" — filling the parse, validate and score results; unique
 * (unique.h) and dedupe (dedupe.h) change `status` of accepted rows; rank (rank.h) orders
 * the ranked ones; output (output.h) writes each row from its raw text, which stays in
 * the input buffers owned by the table.
 *
 * Compact on purpose (the table is most of the memory besides the input text): a row
 * keeps hashes of its lead_id, dedupe key and unique values, never the strings. Hashes
 * only group rows; wherever bytes must be compared (equal hashes, priority ties) or
 * printed (duplicate_of), the stage re-derives them from the row's raw text
 * (scan_rederive_*), which costs a re-parse of the few rows concerned.
 *
 * A bounded run (--memory, scan.h) hands each row to spill.h as soon as it is scanned and
 * frees chunks behind it (table_release_rows); its inputs keep no text.
 *
 * Ownership: the table owns the input texts (freed by table_free) and the rows. Rows live
 * in chunks of TABLE_CHUNK_ROWS under a directory allocated whole at the start:
 * table_grow hands out new rows (adding chunks) while workers fill earlier ones, and
 * nothing they hold ever moves. A row is written by the one thread that scans it, then
 * read-only except for `status`, `reason`, `reason_field` and `dup_of`, which the
 * sequential stages set.
 */
#ifndef LR_TABLE_H
#define LR_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "lr_err.h"
#include "score.h"

enum row_status {
  ROW_REJECTED = 0,  /* reason / reason_field say why */
  ROW_ACCEPTED,      /* passed every rule; becomes ranked or disqualified */
  ROW_DUPLICATE      /* dedupe: dup_of is the kept row */
};

/* What later stages need of a score_result (its component values stay in the scan
 * worker: keeping them would add 96 bytes to every row). */
typedef struct table_score {
  double fit, risk, priority;  /* unrounded */
  unsigned char segment;       /* enum score_segment */
  unsigned char disqualify;    /* enum score_disqualify */
  char tier;                   /* 'A'..'D', 'X' */
  unsigned char n_reasons;
  unsigned char reasons[3];    /* enum model_component, best first */
} table_score;

#define TABLE_ID_PREFIX 16

typedef struct table_row {
  uint64_t line;          /* first physical line in its input */
  size_t offset;          /* raw record text in the input buffer */
  uint64_t dedupe_hash;   /* hash of the SPEC §5 key; 0: the row has no key */
  unsigned char id_prefix[TABLE_ID_PREFIX]; /* lead_id's first bytes, zero-padded: orders
                             priority ties without re-deriving (ids hold no NUL) */
  table_score score;      /* accepted rows, when scoring */
  uint32_t len;           /* raw length (the framer's len) */
  uint32_t input;         /* input index */
  uint32_t dup_of;        /* ROW_DUPLICATE: index of the kept row */
  int32_t created;        /* created_at (days) when scoring */
  int16_t reason_field;   /* schema field of a per-column reason, else -1 */
  unsigned char status;   /* enum row_status */
  unsigned char reason;   /* enum lr_reason when rejected */
  unsigned char verbatim; /* the raw text is what output would write for its fields */
  unsigned char id_long;  /* the lead_id is longer than TABLE_ID_PREFIX bytes */
} table_row;

typedef struct table_input {
  const char *source;     /* the INPUT string as given */
  char *data;             /* decompressed text (owned) */
  size_t len;
  size_t map_len;         /* 0: data is malloc'ed; else a reserved region of this size */
} table_input;

#define TABLE_CHUNK_SHIFT 16
#define TABLE_CHUNK_ROWS ((size_t)1 << TABLE_CHUNK_SHIFT)

typedef struct table {
  table_input *inputs;
  size_t n_inputs;
  table_row **row_chunks;   /* directory: TABLE_MAX_ROWS / TABLE_CHUNK_ROWS entries */
  size_t n_rows;
  uint64_t **unique_chunks; /* per chunk: TABLE_CHUNK_ROWS * n_unique hashes of the values
                               of unique fields (lead_id, `unique` constraints); 0: absent */
  size_t n_unique;
  uint64_t blank_lines;
  size_t n_released_chunks; /* chunks below this were freed (table_release_rows) */
} table;

/* Row indexes are 32-bit (sort keys, dup_of). */
#define TABLE_MAX_ROWS ((size_t)UINT32_MAX)

/* Caller frees with table_free. n_unique: unique-value hashes kept per row. */
table *table_new(size_t n_unique);
void table_free(table *t);

/* Registers an input before its text exists (streaming); returns its index. The text is
 * attached with table_set_input_data when the input is complete. */
uint32_t table_add_input(table *t, const char *source);
/* Takes ownership of the input's text: malloc'ed (map_len 0) or a reserved region. */
void table_set_input_data(table *t, uint32_t input, char *data, size_t len, size_t map_len);

/* Appends n zeroed rows (with unique hash slots) and returns the index of the first, or
 * SIZE_MAX when TABLE_MAX_ROWS would be exceeded. One thread at a time may call it (the
 * framer) while others fill rows handed out earlier. */
size_t table_grow(table *t, size_t n);

/* A bounded run (scan.h) is done with rows below `upto`: the chunks holding only such rows
 * are freed, and those rows must not be read again. The thread that calls it may run
 * beside the one in table_grow (they touch different chunks). */
void table_release_rows(table *t, size_t upto);

/* The grouping hash of a value (never 0, which marks "absent"). */
uint64_t table_hash(const char *s, size_t len);

/* Row i (i < n_rows). */
static inline table_row *table_row_at(const table *t, size_t i) {
  return &t->row_chunks[i >> TABLE_CHUNK_SHIFT][i & (TABLE_CHUNK_ROWS - 1)];
}

/* Row i's hash slot for unique field number `slot`. */
static inline uint64_t *table_unique_at(const table *t, size_t i, size_t slot) {
  return &t->unique_chunks[i >> TABLE_CHUNK_SHIFT][(i & (TABLE_CHUNK_ROWS - 1)) * t->n_unique + slot];
}

/* The raw record text of row r. */
static inline const char *table_row_text(const table *t, const table_row *r) {
  return t->inputs[r->input].data + r->offset;
}

#endif
