/* schema.h — Frictionless Table Schema files: loading, and mapping a CSV header onto them.
 *
 * A schema is read once (from a file, or from the JSON text embedded in the binary for the
 * canonical lead and deal schemas) and is then read-only: any thread may read it.
 * Supported (SPEC §2): fields[] with name, type (string, number, integer, boolean, date),
 * format (`email` for strings; a strptime-style pattern of %Y %m %d %H %M %S %% and
 * literals for dates), constraints (required, unique, minimum, maximum, enum),
 * trueValues, falseValues, groupChar, bareNumber, and schema-level missingValues; plus
 * the extension property `aliases` (header spellings of CRM exports). Anything else —
 * an unknown type, constraint or format directive — is LR_ERR_SCHEMA with the schema
 * file's line and column (syntax errors: where jansson stopped; semantic errors: where the
 * offending value starts, e.g. the "money" of `"type": "money"`). Also refused: unknown
 * field properties other than title, description and example; a header spelling (name or
 * alias, ASCII case-insensitive) shared by two fields; a do_not_contact that is not boolean.
 *
 * Call order: schema_load_file / schema_load_text → schema_map_header (once per input)
 * → validate_record (validate.h) per row → schema_map_release → schema_free.
 */
#ifndef LR_SCHEMA_H
#define LR_SCHEMA_H

#include <stddef.h>

#include "lr_err.h"
#include "row.h"

enum schema_type { SCHEMA_STRING, SCHEMA_NUMBER, SCHEMA_INTEGER, SCHEMA_BOOLEAN, SCHEMA_DATE };

typedef struct schema_field {
  char *name;                /* the schema name: used in reject reasons ("bad_date:created_at") */
  char **aliases;            /* other header spellings, in preference order */
  size_t n_aliases;
  int type;                  /* enum schema_type */
  int required;              /* constraints.required: missing value → missing_required:NAME */
  int unique;                /* constraints.unique */
  int has_minimum, has_maximum;
  double minimum, maximum;
  char **enum_values;        /* constraints.enum (ASCII case-insensitive match), or NULL */
  size_t n_enum;
  size_t *enum_lens;         /* strlen of each enum value (validate compares them per row) */
  int format_email;          /* format "email": normalised, invalid → absent, never rejects */
  char *date_format;         /* dates: strptime-style pattern, or NULL for SPEC's default rule */
  char **true_values, **false_values; /* booleans: NULL → SPEC's defaults */
  size_t n_true, n_false;
  size_t *true_lens, *false_lens; /* strlen of each, or NULL with their list */
  char group_char;           /* numbers: thousands separator (default ',') */
  int bare_number;           /* numbers: 0 allows currency signs and a trailing % (SPEC default: 0) */
  int any_true;              /* 1 for do_not_contact: true when any matching column is true */
} schema_field;

typedef struct schema {
  char *name;                /* file path or embedded name, for messages */
  schema_field *fields;
  size_t n_fields;
  char **missing_values;     /* schema-level missingValues (default: SPEC's list) */
  size_t n_missing;
  /* Derived from missing_values at load, so that validate rules out almost every value
   * with one length test and one table lookup instead of comparing it with each token. */
  size_t *missing_lens;      /* strlen of each token */
  size_t missing_max_len;    /* the longest token's length: longer values are never missing */
  int missing_empty;         /* 1 when "" is a token */
  /* Per first byte: bit L (1..7) set when a token of L bytes (L = 7: 7 or more) starts
   * with that byte. */
  unsigned char missing_first[256];
} schema;

/* Loads a schema from a JSON file. Caller frees *out with schema_free. */
int schema_load_file(const char *path, schema **out, lr_err *err) LR_MUST_CHECK;
/* Same from JSON text (name is used in messages). */
int schema_load_text(const char *text, size_t len, const char *name, schema **out,
                     lr_err *err) LR_MUST_CHECK;
void schema_free(schema *s);

/* Index of the field with this exact name, or -1. */
long schema_field_index(const schema *s, const char *name);

/* How one input's columns feed the schema's fields. */
typedef struct schema_map {
  size_t n_cols;
  long *col_field;   /* per column: the field it feeds, or -1 (passes through unvalidated) */
  long *field_col;   /* per field: the column it reads, or -1 (absent: missing in every row) */
} schema_map;

enum schema_dup_policy { SCHEMA_DUP_ERROR, SCHEMA_DUP_FIRST };

/* Maps the header names (as libcsv delivered them) of input `source` onto s: names are
 * trimmed and compared ASCII case-insensitively with each field's [name, aliases...];
 * when several columns match one field the one whose name comes first in that list wins
 * (do_not_contact: every matching column feeds it). Errors (LR_ERR_INPUT, message names
 * `source`): a missing column for a field with constraints.required or named in
 * must_have (NULL-terminated list, may be NULL) — the message names the field and the
 * aliases looked for; a duplicated header name (unless SCHEMA_DUP_FIRST). Warnings
 * (columns that match a field but lose to another, duplicates kept under
 * SCHEMA_DUP_FIRST) go to stderr. Release *out with schema_map_release. */
int schema_map_header(const schema *s, const char *source, const lr_field *names, size_t n,
                      int dup_policy, const char *const *must_have, schema_map *out,
                      lr_err *err) LR_MUST_CHECK;
void schema_map_release(schema_map *m);

#endif
