/* history_load.c — reads deals files through the same CSV and value layers as leads and
 * feeds a history_builder. */
#include "history_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "csvparse.h"
#include "frame.h"
#include "ingest.h"
#include "scan.h"
#include "validate.h"
#include "values.h"

#define DEALS_MAX_RECORD_BYTES 65536

typedef struct deal_cols {
  long vertical, outcome, domain, amount, discount, cycle;
} deal_cols;

static const double *deal_number(const lr_value *vals, long field) {
  return field >= 0 && vals[field].present ? &vals[field].num : NULL;
}

static void history_load_row(history_builder *b, const deal_cols *c, const lr_value *vals) {
  const lr_value *v = &vals[c->vertical];
  const lr_value *d = c->domain >= 0 ? &vals[c->domain] : NULL;
  const lr_value *o = &vals[c->outcome];
  int won = o->str_len == 3 && strncasecmp(o->str, "won", 3) == 0; /* enum [won, lost] */
  history_builder_add_deal(b, v->present ? v->str : NULL, v->present ? v->str_len : 0, won,
                           d != NULL && d->present ? d->str : NULL,
                           d != NULL && d->present ? d->str_len : 0,
                           deal_number(vals, c->amount), deal_number(vals, c->discount),
                           deal_number(vals, c->cycle));
}

/* Aggregates one deals file's decompressed text (data, len) into b. */
static int history_load_text(const schema *s, const deal_cols *cols, const char *path,
                             const char *data, size_t len, history_builder *b, csvparse *p,
                             lr_value *vals, lr_err *err) {
  int rc;
  frame f;
  frame_init(&f, data, len, DEALS_MAX_RECORD_BYTES);
  const lr_field *names;
  size_t n_names;
  uint64_t blanks = 0;
  static const char *const must_have[] = { "vertical", "outcome", NULL };
  schema_map map = { 0 };
  rc = scan_read_header(&f, p, path, &names, &n_names, &blanks, err);
  if (rc == LR_OK) rc = schema_map_header(s, path, names, n_names, SCHEMA_DUP_ERROR, must_have, &map, err);
  if (rc != LR_OK) return rc;
  for (uint64_t i = 0; i < blanks; i++) history_builder_add_blank(b);
  frame_rec rec;
  int kind;
  char reason[256];
  while ((kind = frame_next(&f, (long)n_names, &rec)) != FRAME_END) {
    if (kind == FRAME_BLANK) {
      history_builder_add_blank(b);
      continue;
    }
    if (kind == FRAME_REJECT) {
      history_builder_add_bad(b, lr_reason_name(rec.reason));
      continue;
    }
    const char *text = data + rec.offset;
    const lr_field *fields;
    size_t n;
    if (!values_utf8_valid(text, rec.len)) {
      history_builder_add_bad(b, lr_reason_name(LR_REASON_INVALID_UTF8));
      continue;
    }
    if (csvparse_split(p, text, rec.len, &fields, &n) != LR_OK || n != n_names) {
      history_builder_add_bad(b, lr_reason_name(LR_REASON_WRONG_FIELD_COUNT));
      continue;
    }
    long bad_field = -1;
    int why = validate_record(s, &map, fields, n, vals, &bad_field);
    if (why != LR_REASON_NONE) {
      if (lr_reason_has_column(why) && bad_field >= 0)
        snprintf(reason, sizeof reason, "%s:%s", lr_reason_name(why), s->fields[bad_field].name);
      else
        snprintf(reason, sizeof reason, "%s", lr_reason_name(why));
      history_builder_add_bad(b, reason);
      continue;
    }
    history_load_row(b, cols, vals);
  }
  schema_map_release(&map);
  return LR_OK;
}

/* The deals text of one source: `raw` itself when plain, else inflated into *owned. */
static int history_load_inflate(const char *name, const unsigned char *raw, size_t raw_len,
                                const char **text, size_t *len, char **owned, lr_err *err) {
  *owned = NULL;
  if (raw_len >= 2 && raw[0] == 0x1f && raw[1] == 0x8b) {
    int rc = ingest_inflate_buffer(name, raw, raw_len, owned, len, err);
    *text = *owned;
    return rc;
  }
  *text = (const char *)raw;
  *len = raw_len;
  return LR_OK;
}

static void history_load_columns(const schema *s, deal_cols *cols) {
  *cols = (deal_cols){
    schema_field_index(s, "vertical"), schema_field_index(s, "outcome"),
    schema_field_index(s, "account_domain"), schema_field_index(s, "amount"),
    schema_field_index(s, "discount_pct"), schema_field_index(s, "cycle_days"),
  };
}

int history_load_raw(const schema *s, const char *const *names, const unsigned char *const *raw,
                     const size_t *raw_len, size_t n, history **out, lr_err *err) {
  deal_cols cols;
  history_load_columns(s, &cols);
  if (cols.vertical < 0 || cols.outcome < 0)
    return lr_err_set(err, LR_ERR_SCHEMA, "%s: the deals schema needs fields vertical and outcome", s->name);
  history_builder *b = history_builder_new();
  csvparse *p = csvparse_new();
  lr_value *vals = lr_xcalloc(s->n_fields, sizeof *vals);
  int rc = LR_OK;
  for (size_t i = 0; i < n && rc == LR_OK; i++) {
    const char *text;
    size_t len;
    char *owned;
    rc = history_load_inflate(names[i], raw[i], raw_len[i], &text, &len, &owned, err);
    if (rc == LR_OK) rc = history_load_text(s, &cols, names[i], text, len, b, p, vals, err);
    free(owned);
  }
  free(vals);
  csvparse_free(p);
  if (rc != LR_OK) {
    history_builder_free(b);
    return rc;
  }
  *out = history_builder_finish(b);
  return LR_OK;
}
