/* schema.c — loads Table Schema JSON (jansson) into a read-only `schema`, and maps one
 * input's header onto it (SPEC §2, refscore A9).
 *
 * Owns the schema and schema_map allocations it hands out (schema_free,
 * schema_map_release). Every problem in a schema file is LR_ERR_SCHEMA with
 * "FILE:LINE:COL: message". jansson reports positions of syntax errors only: it keeps no
 * positions for decoded values, so for a semantic error (unknown type, constraint,
 * property or format directive, bad aliases) schema_locate re-scans the text, which
 * jansson has already accepted, along the JSON path of the offending value (e.g.
 * fields[3].constraints.pattern) and reports where that value starts; when a key on the
 * path is written with escapes it falls back to the nearest enclosing value it found.
 * Columns count characters from 1, as jansson's do.
 */
#include "schema.h"


#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "values.h"

/* SPEC §2's missing-value tokens: the default of the schema-level missingValues. */
static const char *const schema_default_missing[] = {"",     "n/a",  "N/A",  "NA", "null",
                                                     "NULL", "none", "None", "-"};

/* One step of a JSON path: an object key, or (key == NULL) an array index. */
typedef struct schema_step {
  const char *key;
  size_t index;
} schema_step;

/* What a loader needs to report an error at a position of the schema text. */
typedef struct schema_ctx {
  const char *text;
  size_t len;
  const char *name;
  lr_err *err;
  schema_step path[5]; /* the deepest: fields[k].constraints.enum[i] */
  size_t n_path;
} schema_ctx;

/* ---- positions ---------------------------------------------------------------------- */

/* A cursor over JSON text that jansson has already accepted, so the scanner only needs
 * to skip well-formed values, not to validate them. */
typedef struct schema_scan {
  const char *s;
  size_t len, i;
} schema_scan;

static void schema_scan_ws(schema_scan *sc) {
  while (sc->i < sc->len && (sc->s[sc->i] == ' ' || sc->s[sc->i] == '\t' ||
                             sc->s[sc->i] == '\n' || sc->s[sc->i] == '\r'))
    sc->i++;
}

/* At a '"': moves past the closing quote. */
static void schema_scan_string(schema_scan *sc) {
  sc->i++;
  while (sc->i < sc->len && sc->s[sc->i] != '"') sc->i += sc->s[sc->i] == '\\' ? 2 : 1;
  if (sc->i < sc->len) sc->i++;
}

static void schema_scan_value(schema_scan *sc) {
  char c;
  schema_scan_ws(sc);
  if (sc->i >= sc->len) return;
  c = sc->s[sc->i];
  if (c == '"') {
    schema_scan_string(sc);
  } else if (c == '{' || c == '[') {
    char close = c == '{' ? '}' : ']';
    sc->i++;
    for (;;) {
      schema_scan_ws(sc);
      if (sc->i >= sc->len) return;
      if (sc->s[sc->i] == close) {
        sc->i++;
        return;
      }
      if (sc->s[sc->i] == ',' || sc->s[sc->i] == ':') {
        sc->i++;
        continue;
      }
      schema_scan_value(sc); /* keys are strings, so this skips them too */
    }
  } else {
    while (sc->i < sc->len && strchr(",]} \t\r\n", sc->s[sc->i]) == NULL) sc->i++;
  }
}

/* Byte offset of the value at path[0, n) from the value at the cursor, or of the deepest
 * value on the path that could be found. */
static size_t schema_scan_find(schema_scan *sc, const schema_step *path, size_t n) {
  size_t here, k = 0;
  schema_scan_ws(sc);
  here = sc->i;
  if (n == 0 || sc->i >= sc->len) return here;
  if (path[0].key != NULL ? sc->s[sc->i] != '{' : sc->s[sc->i] != '[') return here;
  sc->i++;
  for (;;) {
    int match = 0;
    schema_scan_ws(sc);
    if (sc->i >= sc->len || sc->s[sc->i] == '}' || sc->s[sc->i] == ']') return here;
    if (path[0].key != NULL) {
      size_t key_start = sc->i + 1, key_len;
      schema_scan_string(sc);
      key_len = sc->i - 1 - key_start;
      match = key_len == strlen(path[0].key) &&
              memcmp(sc->s + key_start, path[0].key, key_len) == 0;
      schema_scan_ws(sc);
      if (sc->i < sc->len && sc->s[sc->i] == ':') sc->i++;
    } else {
      match = k++ == path[0].index;
    }
    if (match) return schema_scan_find(sc, path + 1, n - 1);
    schema_scan_value(sc);
    schema_scan_ws(sc);
    if (sc->i < sc->len && sc->s[sc->i] == ',') sc->i++;
  }
}

/* Line and character column (both from 1) of byte offset off. */
static void schema_line_col(const char *s, size_t off, int *line, int *col) {
  size_t i;
  *line = 1;
  *col = 1;
  for (i = 0; i < off; i++) {
    if (s[i] == '\n') {
      (*line)++;
      *col = 1;
    } else if (((unsigned char)s[i] & 0xC0) != 0x80) {
      (*col)++;
    }
  }
}

/* Sets LR_ERR_SCHEMA at the value cx->path[0, n) points to. */
static int schema_fail(schema_ctx *cx, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int schema_fail(schema_ctx *cx, size_t n, const char *fmt, ...) {
  schema_scan sc = {cx->text, cx->len, 0};
  char msg[768];
  int line, col;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  schema_line_col(cx->text, schema_scan_find(&sc, cx->path, n), &line, &col);
  return lr_err_set(cx->err, LR_ERR_SCHEMA, "%s:%d:%d: %s", cx->name, line, col, msg);
}

/* Sets path step `depth` to an object key and returns the path length including it. */
static size_t schema_at(schema_ctx *cx, size_t depth, const char *key) {
  cx->path[depth].key = key;
  return depth + 1;
}

/* ---- loading ------------------------------------------------------------------------ */

static char **schema_strv_new(size_t n) { return lr_xcalloc(n + 1, sizeof(char *)); }

static void schema_strv_free(char **v, size_t n) {
  size_t i;
  if (v == NULL) return;
  for (i = 0; i < n; i++) free(v[i]);
  free(v);
}

/* strlen of each of v[0, n), or NULL when v is NULL (an absent list). */
static size_t *schema_strv_lens(char *const *v, size_t n) {
  size_t i, *lens;
  if (v == NULL) return NULL;
  lens = lr_xcalloc(n + 1, sizeof *lens);
  for (i = 0; i < n; i++) lens[i] = strlen(v[i]);
  return lens;
}

/* Fills the members schema.h marks as derived: string lengths and the missing-token
 * summary that validate reads per value instead of walking the lists. */
static void schema_derive(schema *s) {
  size_t k;
  for (k = 0; k < s->n_fields; k++) {
    schema_field *f = &s->fields[k];
    f->enum_lens = schema_strv_lens(f->enum_values, f->n_enum);
    f->true_lens = schema_strv_lens(f->true_values, f->n_true);
    f->false_lens = schema_strv_lens(f->false_values, f->n_false);
  }
  s->missing_lens = schema_strv_lens(s->missing_values, s->n_missing);
  for (k = 0; k < s->n_missing; k++) {
    size_t len = s->missing_lens[k];
    if (len > s->missing_max_len) s->missing_max_len = len;
    if (len == 0)
      s->missing_empty = 1;
    else
      s->missing_first[(unsigned char)s->missing_values[k][0]] |=
          (unsigned char)(1u << (len < 7 ? len : 7));
  }
}

/* 1 when s has ASCII whitespace at either end (it could never match a trimmed header). */
static int schema_untrimmed(const char *s) {
  size_t len = strlen(s);
  const char *p = s;
  values_trim(&p, &len);
  return len != strlen(s);
}

/* An array of strings into *out / *n_out. what names the property in messages. */
static int schema_read_strings(schema_ctx *cx, size_t depth, const json_t *arr, const char *what,
                               int allow_empty_strings, char ***out, size_t *n_out) {
  size_t i;
  if (!json_is_array(arr) || json_array_size(arr) == 0)
    return schema_fail(cx, depth, "%s must be a non-empty array of strings", what);
  *out = schema_strv_new(json_array_size(arr));
  *n_out = 0;
  for (i = 0; i < json_array_size(arr); i++) {
    const json_t *v = json_array_get(arr, i);
    cx->path[depth].key = NULL;
    cx->path[depth].index = i;
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
      return schema_fail(cx, depth + 1, "%s must hold strings (without NUL)", what);
    if (!allow_empty_strings && json_string_length(v) == 0)
      return schema_fail(cx, depth + 1, "%s must not hold an empty string", what);
    (*out)[(*n_out)++] = lr_xstrndup(json_string_value(v), json_string_length(v));
  }
  return LR_OK;
}

static int schema_read_type(schema_ctx *cx, size_t depth, const json_t *f, schema_field *sf) {
  static const char *const names[] = {"string", "number", "integer", "boolean", "date"};
  const json_t *t = json_object_get(f, "type");
  const char *name;
  int k;
  sf->type = SCHEMA_STRING; /* Table Schema's default type */
  if (t == NULL) return LR_OK;
  depth = schema_at(cx, depth, "type");
  if (!json_is_string(t))
    return schema_fail(cx, depth, "field '%s': type must be a string", sf->name);
  name = json_string_value(t);
  for (k = 0; k < 5; k++) {
    if (strcmp(name, names[k]) == 0) {
      sf->type = k;
      return LR_OK;
    }
  }
  return schema_fail(cx, depth,
                     "field '%s': unknown type '%s' (supported: string, number, integer, "
                     "boolean, date)", sf->name, name);
}

static int schema_read_format(schema_ctx *cx, size_t depth, const json_t *v, schema_field *sf) {
  const char *fmt;
  char why[512];
  if (!json_is_string(v))
    return schema_fail(cx, depth, "field '%s': format must be a string", sf->name);
  fmt = json_string_value(v);
  if (strcmp(fmt, "default") == 0) return LR_OK;
  if (sf->type == SCHEMA_STRING && strcmp(fmt, "email") == 0) {
    sf->format_email = 1;
    return LR_OK;
  }
  if (sf->type == SCHEMA_DATE) {
    if (strlen(fmt) != json_string_length(v) || !values_check_date_format(fmt, why, sizeof why))
      return schema_fail(cx, depth, "field '%s': %s", sf->name,
                         strlen(fmt) != json_string_length(v) ? "date format holds a NUL" : why);
    sf->date_format = lr_xstrndup(fmt, strlen(fmt));
    return LR_OK;
  }
  return schema_fail(cx, depth, "field '%s': unknown format '%s' for a %s field (allowed: %s)",
                     sf->name, fmt, sf->type == SCHEMA_STRING ? "string" : "non-date",
                     sf->type == SCHEMA_STRING ? "default, email" : "default");
}

static int schema_is_numeric(const schema_field *sf) {
  return sf->type == SCHEMA_NUMBER || sf->type == SCHEMA_INTEGER;
}

static int schema_read_constraints(schema_ctx *cx, size_t depth, const json_t *c,
                                   schema_field *sf) {
  const char *key;
  json_t *v;
  int rc;
  if (!json_is_object(c))
    return schema_fail(cx, depth, "field '%s': constraints must be an object", sf->name);
  json_object_foreach((json_t *)c, key, v) {
    size_t d = schema_at(cx, depth, key);
    if (strcmp(key, "required") == 0 || strcmp(key, "unique") == 0) {
      if (!json_is_boolean(v))
        return schema_fail(cx, d, "field '%s': constraint '%s' must be true or false",
                           sf->name, key);
      if (key[0] == 'r')
        sf->required = json_is_true(v);
      else
        sf->unique = json_is_true(v);
    } else if (strcmp(key, "minimum") == 0 || strcmp(key, "maximum") == 0) {
      if (!schema_is_numeric(sf))
        return schema_fail(cx, d, "field '%s': constraint '%s' applies to number and integer "
                           "fields only", sf->name, key);
      if (!json_is_number(v))
        return schema_fail(cx, d, "field '%s': constraint '%s' must be a number", sf->name, key);
      if (key[1] == 'i') {
        sf->has_minimum = 1;
        sf->minimum = json_number_value(v);
      } else {
        sf->has_maximum = 1;
        sf->maximum = json_number_value(v);
      }
    } else if (strcmp(key, "enum") == 0) {
      if (sf->type != SCHEMA_STRING)
        return schema_fail(cx, d, "field '%s': constraint 'enum' applies to string fields only",
                           sf->name);
      rc = schema_read_strings(cx, d, v, "constraint 'enum'", 1, &sf->enum_values, &sf->n_enum);
      if (rc != LR_OK) return rc;
    } else {
      return schema_fail(cx, d,
                         "field '%s': unknown constraint '%s' (supported: required, unique, "
                         "minimum, maximum, enum)", sf->name, key);
    }
  }
  if (sf->has_minimum && sf->has_maximum && sf->minimum > sf->maximum)
    return schema_fail(cx, depth, "field '%s': minimum is above maximum", sf->name);
  return LR_OK;
}

static int schema_read_group_char(schema_ctx *cx, size_t depth, const json_t *v, schema_field *sf) {
  const char *g = json_is_string(v) ? json_string_value(v) : NULL;
  /* One printable ASCII byte that cannot be confused with the rest of a number. */
  if (g == NULL || json_string_length(v) != 1 || g[0] < 0x20 || g[0] > 0x7E ||
      strchr("0123456789.+-%$", g[0]) != NULL)
    return schema_fail(cx, depth, "field '%s': groupChar must be one ASCII character other "
                       "than a digit, '.', '+', '-', '%%' or '$'", sf->name);
  sf->group_char = g[0];
  return LR_OK;
}

/* One property of a field object, after name and type. */
static int schema_read_property(schema_ctx *cx, size_t depth, const char *key, const json_t *v,
                                schema_field *sf) {
  size_t d = schema_at(cx, depth, key);
  if (strcmp(key, "name") == 0 || strcmp(key, "type") == 0 || strcmp(key, "title") == 0 ||
      strcmp(key, "description") == 0 || strcmp(key, "example") == 0)
    return LR_OK; /* read already, or documentation only */
  if (strcmp(key, "format") == 0) return schema_read_format(cx, d, v, sf);
  if (strcmp(key, "constraints") == 0) return schema_read_constraints(cx, d, v, sf);
  if (strcmp(key, "aliases") == 0) {
    size_t i;
    int rc = schema_read_strings(cx, d, v, "aliases", 0, &sf->aliases, &sf->n_aliases);
    for (i = 0; rc == LR_OK && i < sf->n_aliases; i++) {
      if (schema_untrimmed(sf->aliases[i])) {
        cx->path[d].key = NULL;
        cx->path[d].index = i;
        return schema_fail(cx, d + 1, "field '%s': alias '%s' has blanks at its ends",
                           sf->name, sf->aliases[i]);
      }
    }
    return rc;
  }
  if (strcmp(key, "trueValues") == 0 || strcmp(key, "falseValues") == 0) {
    if (sf->type != SCHEMA_BOOLEAN)
      return schema_fail(cx, d, "field '%s': %s applies to boolean fields only", sf->name, key);
    return key[0] == 't' ? schema_read_strings(cx, d, v, key, 0, &sf->true_values, &sf->n_true)
                         : schema_read_strings(cx, d, v, key, 0, &sf->false_values, &sf->n_false);
  }
  if (strcmp(key, "groupChar") == 0 || strcmp(key, "bareNumber") == 0) {
    if (!schema_is_numeric(sf))
      return schema_fail(cx, d, "field '%s': %s applies to number and integer fields only",
                         sf->name, key);
    if (key[0] == 'g') return schema_read_group_char(cx, d, v, sf);
    if (!json_is_boolean(v))
      return schema_fail(cx, d, "field '%s': bareNumber must be true or false", sf->name);
    sf->bare_number = json_is_true(v);
    return LR_OK;
  }
  return schema_fail(cx, d, "field '%s': unknown property '%s'", sf->name, key);
}

static int schema_read_field(schema_ctx *cx, size_t k, const json_t *f, schema_field *sf) {
  size_t depth = 2;
  const json_t *name = json_object_get(f, "name");
  const char *key;
  json_t *v;
  int rc;
  cx->path[1].key = NULL;
  cx->path[1].index = k;
  sf->group_char = ',';
  if (!json_is_object(f)) return schema_fail(cx, depth, "fields[%zu] must be an object", k);
  if (!json_is_string(name) || json_string_length(name) == 0 ||
      strlen(json_string_value(name)) != json_string_length(name))
    return schema_fail(cx, depth, "fields[%zu] needs a non-empty string 'name'", k);
  sf->name = lr_xstrndup(json_string_value(name), json_string_length(name));
  if (schema_untrimmed(sf->name))
    return schema_fail(cx, schema_at(cx, depth, "name"), "field name '%s' has blanks at its ends",
                       sf->name);
  rc = schema_read_type(cx, depth, f, sf);
  if (rc != LR_OK) return rc;
  json_object_foreach((json_t *)f, key, v) {
    rc = schema_read_property(cx, depth, key, v, sf);
    if (rc != LR_OK) return rc;
  }
  /* The SPEC's one exception to "first column wins" (§2): opt-out flags from several
   * CRM columns combine, which only makes sense for a boolean. */
  if (strcmp(sf->name, "do_not_contact") == 0) {
    if (sf->type != SCHEMA_BOOLEAN)
      return schema_fail(cx, depth, "field 'do_not_contact' must be of type boolean");
    sf->any_true = 1;
  }
  return LR_OK;
}

/* Spelling j of field f: 0 is the name, 1.. the aliases. */
static const char *schema_spelling(const schema_field *f, size_t j) {
  return j == 0 ? f->name : f->aliases[j - 1];
}

/* Every header spelling may select one field only, or mapping would be ambiguous. */
static int schema_check_spellings(schema_ctx *cx, const schema *s) {
  size_t k, j, k2, j2;
  for (k = 0; k < s->n_fields; k++) {
    const schema_field *f = &s->fields[k];
    for (j = 0; j <= f->n_aliases; j++) {
      const char *a = schema_spelling(f, j);
      for (k2 = 0; k2 <= k; k2++) {
        const schema_field *g = &s->fields[k2];
        size_t stop = k2 == k ? j : g->n_aliases + 1;
        for (j2 = 0; j2 < stop; j2++) {
          const char *b = schema_spelling(g, j2);
          if (!values_ascii_ieq(a, strlen(a), b, strlen(b))) continue;
          cx->path[1].key = NULL;
          cx->path[1].index = k;
          if (j == 0)
            return schema_fail(cx, 2, "field name '%s' repeats %s '%s' of field '%s'", a,
                               j2 == 0 ? "the name" : "alias", b, g->name);
          cx->path[2].key = "aliases";
          cx->path[3].key = NULL;
          cx->path[3].index = j - 1;
          return schema_fail(cx, 4, "field '%s': alias '%s' repeats %s '%s' of field '%s'",
                             f->name, a, j2 == 0 ? "the name" : "alias", b, g->name);
        }
      }
    }
  }
  return LR_OK;
}

static int schema_read_root(schema_ctx *cx, const json_t *root, schema *s) {
  const json_t *fields = json_object_get(root, "fields");
  const char *key;
  json_t *v;
  size_t k;
  int rc;
  if (!json_is_object(root)) return schema_fail(cx, 0, "a schema must be a JSON object");
  json_object_foreach((json_t *)root, key, v) {
    size_t d = schema_at(cx, 0, key);
    if (strcmp(key, "missingValues") == 0) {
      rc = schema_read_strings(cx, d, v, "missingValues", 1, &s->missing_values, &s->n_missing);
      if (rc != LR_OK) return rc;
    } else if (strcmp(key, "fields") != 0 && strcmp(key, "title") != 0 &&
               strcmp(key, "description") != 0) {
      return schema_fail(cx, d, "unknown schema property '%s' (supported: fields, "
                         "missingValues, title, description)", key);
    }
  }
  cx->path[0].key = "fields";
  if (!json_is_array(fields) || json_array_size(fields) == 0)
    return schema_fail(cx, 1, "'fields' must be a non-empty array");
  s->fields = lr_xcalloc(json_array_size(fields), sizeof *s->fields);
  for (k = 0; k < json_array_size(fields); k++) {
    s->n_fields = k + 1; /* so schema_free sees what is half-read */
    rc = schema_read_field(cx, k, json_array_get(fields, k), &s->fields[k]);
    if (rc != LR_OK) return rc;
  }
  if (s->missing_values == NULL) {
    size_t n = sizeof schema_default_missing / sizeof schema_default_missing[0];
    s->missing_values = schema_strv_new(n);
    for (k = 0; k < n; k++)
      s->missing_values[k] =
          lr_xstrndup(schema_default_missing[k], strlen(schema_default_missing[k]));
    s->n_missing = n;
  }
  rc = schema_check_spellings(cx, s);
  if (rc == LR_OK) schema_derive(s);
  return rc;
}

int schema_load_text(const char *text, size_t len, const char *name, schema **out, lr_err *err) {
  schema_ctx cx;
  json_error_t je;
  json_t *root;
  schema *s;
  int rc;
  *out = NULL;
  /* Duplicate keys would make one of two spellings silently win. */
  root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  if (root == NULL)
    return lr_err_set(err, LR_ERR_SCHEMA, "%s:%d:%d: %s", name, je.line, je.column, je.text);
  memset(&cx, 0, sizeof cx);
  cx.text = text;
  cx.len = len;
  cx.name = name;
  cx.err = err;
  s = lr_xcalloc(1, sizeof *s);
  s->name = lr_xstrndup(name, strlen(name));
  rc = schema_read_root(&cx, root, s);
  json_decref(root);
  if (rc != LR_OK) {
    schema_free(s);
    return rc;
  }
  *out = s;
  return LR_OK;
}

int schema_load_file(const char *path, schema **out, lr_err *err) {
  unsigned char *text;
  size_t len;
  lr_err read_err;
  *out = NULL;
  if (ingest_read_raw(path, &text, &len, &read_err) != LR_OK)
    return lr_err_set(err, LR_ERR_SCHEMA, "%s (--schema)", read_err.msg);
  int rc = schema_load_text((const char *)text, len, path, out, err);
  free(text);
  return rc;
}

void schema_free(schema *s) {
  size_t k;
  if (s == NULL) return;
  for (k = 0; k < s->n_fields; k++) {
    schema_field *f = &s->fields[k];
    free(f->name);
    schema_strv_free(f->aliases, f->n_aliases);
    schema_strv_free(f->enum_values, f->n_enum);
    free(f->date_format);
    schema_strv_free(f->true_values, f->n_true);
    schema_strv_free(f->false_values, f->n_false);
    free(f->enum_lens);
    free(f->true_lens);
    free(f->false_lens);
  }
  free(s->fields);
  schema_strv_free(s->missing_values, s->n_missing);
  free(s->missing_lens);
  free(s->name);
  free(s);
}

long schema_field_index(const schema *s, const char *name) {
  size_t k;
  for (k = 0; k < s->n_fields; k++)
    if (strcmp(s->fields[k].name, name) == 0) return (long)k;
  return -1;
}

/* ---- header mapping ----------------------------------------------------------------- */

/* Rank of name in field f's [name, aliases...] list, or -1. */
static long schema_spelling_rank(const schema_field *f, const char *name, size_t len) {
  size_t j;
  for (j = 0; j <= f->n_aliases; j++) {
    const char *sp = schema_spelling(f, j);
    if (values_ascii_ieq(name, len, sp, strlen(sp))) return (long)j;
  }
  return -1;
}

/* "lead_id, Id, Lead ID" into buf, cut at its size. */
static void schema_list_spellings(const schema_field *f, char *buf, size_t size) {
  size_t j, used = 0;
  buf[0] = '\0';
  for (j = 0; j <= f->n_aliases && used < size; j++) {
    int w = snprintf(buf + used, size - used, "%s%s", j ? ", " : "", schema_spelling(f, j));
    if (w < 0) break;
    used += (size_t)w;
  }
}

/* The missing-column error for field f (or a must_have name the schema lacks). */
static int schema_map_missing(const schema *s, const char *source, const char *want,
                              lr_err *err) {
  char looked[700];
  long k = schema_field_index(s, want);
  if (k < 0)
    return lr_err_set(err, LR_ERR_SCHEMA, "%s: the schema has no field '%s', which this "
                      "command needs", s->name, want);
  schema_list_spellings(&s->fields[k], looked, sizeof looked);
  return lr_err_set(err, LR_ERR_INPUT, "%s: missing required column '%s' (looked for: %s)",
                    source, want, looked);
}

int schema_map_header(const schema *s, const char *source, const lr_field *names, size_t n,
                      int dup_policy, const char *const *must_have, schema_map *out,
                      lr_err *err) {
  lr_field *trimmed = lr_xcalloc(n, sizeof *trimmed);
  unsigned char *dup = lr_xcalloc(n, 1); /* 1: repeats an earlier column's name */
  long *best_rank = lr_xcalloc(s->n_fields, sizeof *best_rank);
  size_t j, j2, k;
  int rc = LR_OK;
  out->n_cols = n;
  out->col_field = lr_xmalloc(n * sizeof *out->col_field);
  out->field_col = lr_xmalloc(s->n_fields * sizeof *out->field_col);
  for (k = 0; k < s->n_fields; k++) out->field_col[k] = -1;
  for (j = 0; j < n; j++) {
    trimmed[j] = names[j];
    if (trimmed[j].len > 0) values_trim(&trimmed[j].ptr, &trimmed[j].len);
    out->col_field[j] = -1;
  }
  /* Duplicated names (A9): every column, known or not; empty names are exempt. */
  for (j = 0; j < n && rc == LR_OK; j++) {
    for (j2 = 0; j2 < j && trimmed[j].len > 0; j2++) {
      if (dup[j2] ||
          !values_ascii_ieq(trimmed[j].ptr, trimmed[j].len, trimmed[j2].ptr, trimmed[j2].len))
        continue;
      if (dup_policy != SCHEMA_DUP_FIRST) {
        rc = lr_err_set(err, LR_ERR_INPUT, "%s: duplicated column name '%.*s' (columns %zu "
                        "and %zu)", source, (int)trimmed[j].len, trimmed[j].ptr, j2 + 1, j + 1);
        break;
      }
      fprintf(stderr, "leadrank: warning: %s: duplicated column '%.*s' (column %zu) passes "
              "through; using column %zu\n", source, (int)trimmed[j].len, trimmed[j].ptr,
              j + 1, j2 + 1);
      dup[j] = 1;
      break;
    }
  }
  /* Each column selects at most one field: schema_check_spellings made spellings unique. */
  for (j = 0; j < n && rc == LR_OK; j++) {
    for (k = 0; k < s->n_fields && !dup[j]; k++) {
      long r = schema_spelling_rank(&s->fields[k], trimmed[j].ptr, trimmed[j].len);
      long cur = out->field_col[k];
      if (r < 0) continue;
      out->col_field[j] = (long)k;
      if (cur < 0 || r < best_rank[k]) {
        if (cur >= 0 && !s->fields[k].any_true) out->col_field[cur] = -1;
        out->field_col[k] = (long)j;
        best_rank[k] = r;
      } else if (!s->fields[k].any_true) {
        out->col_field[j] = -1;
      }
      break;
    }
  }
  /* Warn about the losers once the winners are known. */
  for (j = 0; j < n && rc == LR_OK; j++) {
    for (k = 0; k < s->n_fields && out->col_field[j] < 0 && !dup[j]; k++) {
      long w = out->field_col[k];
      if (w < 0 || schema_spelling_rank(&s->fields[k], trimmed[j].ptr, trimmed[j].len) < 0)
        continue;
      fprintf(stderr, "leadrank: warning: %s: column '%.*s' also matches field '%s'; using "
              "'%.*s'\n", source, (int)trimmed[j].len, trimmed[j].ptr, s->fields[k].name,
              (int)trimmed[w].len, trimmed[w].ptr);
    }
  }
  for (k = 0; k < s->n_fields && rc == LR_OK; k++)
    if (s->fields[k].required && out->field_col[k] < 0)
      rc = schema_map_missing(s, source, s->fields[k].name, err);
  for (k = 0; must_have != NULL && must_have[k] != NULL && rc == LR_OK; k++) {
    long f = schema_field_index(s, must_have[k]);
    if (f < 0 || out->field_col[f] < 0) rc = schema_map_missing(s, source, must_have[k], err);
  }
  free(trimmed);
  free(dup);
  free(best_rank);
  if (rc != LR_OK) schema_map_release(out);
  return rc;
}

void schema_map_release(schema_map *m) {
  if (m == NULL) return;
  free(m->col_field);
  free(m->field_col);
  m->col_field = NULL;
  m->field_col = NULL;
  m->n_cols = 0;
}
