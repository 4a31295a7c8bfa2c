/* model.c — the scoring model's constants: defaults from the embedded
 * schemas/model.default.json, overrides from a --model file (SPEC §4).
 *
 * Owns the mapping from model keys to struct model members (model_key_slot) and the
 * validation of model files. Both files have one shape: a JSON object whose keys are
 * model keys and whose values are a number or {"value": N, "description": "..."}.
 *
 * jansson gives line and column only for syntax errors, so for an invalid key this file
 * finds the key's position itself (model_find_key_pos): it walks the source text, tracks
 * nesting and strings, and decodes each top-level key with jansson to compare it, so
 * escaped spellings (`"ap\u005fwarm"`) are found too.
 */
#include "model.h"


#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "ingest.h"

/* Name used in messages for the embedded defaults. */
#define MODEL_DEFAULT_NAME "schemas/model.default.json"

typedef struct model_member {
  const char *name;
  size_t offset; /* offsetof(model, member) */
} model_member;

#define MODEL_MEMBER(m) {#m, offsetof(model, m)}

/* Every constant other than the weights, named as its struct member. */
static const model_member model_members[] = {
    MODEL_MEMBER(vb_customers_scale),   MODEL_MEMBER(vb_win_ratio_cap),
    MODEL_MEMBER(ne_event),             MODEL_MEMBER(ne_pain),
    MODEL_MEMBER(af_revenue_share),     MODEL_MEMBER(af_revenue_factor),
    MODEL_MEMBER(af_unknown),           MODEL_MEMBER(ap_warm),
    MODEL_MEMBER(ap_both),              MODEL_MEMBER(ap_one),
    MODEL_MEMBER(ap_none),              MODEL_MEMBER(ap_phone_min_digits),
    MODEL_MEMBER(au_dm),                MODEL_MEMBER(au_other),
    MODEL_MEMBER(pd_discount_scale),    MODEL_MEMBER(pd_per_objection),
    MODEL_MEMBER(pd_per_competitor_quote), MODEL_MEMBER(nh_few_customers),
    MODEL_MEMBER(nh_few_value),         MODEL_MEMBER(er_meeting_weight),
    MODEL_MEMBER(er_scale),             MODEL_MEMBER(er_next_step_factor),
    MODEL_MEMBER(er_decision_date_factor), MODEL_MEMBER(st_age_offset),
    MODEL_MEMBER(st_age_scale),         MODEL_MEMBER(st_idle_offset),
    MODEL_MEMBER(st_idle_scale),        MODEL_MEMBER(seg_price_shopper_pd),
    MODEL_MEMBER(seg_loyal_purchases),  MODEL_MEMBER(seg_new_max_purchases),
    MODEL_MEMBER(seg_new_recent_days),  MODEL_MEMBER(dq_price_buyer_pd),
    MODEL_MEMBER(dq_budget_share),      MODEL_MEMBER(dq_window_shopper_er),
    MODEL_MEMBER(dq_window_shopper_st), MODEL_MEMBER(tier_a_priority),
    MODEL_MEMBER(tier_a_max_risk),      MODEL_MEMBER(tier_b_priority),
    MODEL_MEMBER(tier_c_priority),      MODEL_MEMBER(reason_min_contribution),
};
#define MODEL_N_MEMBERS (sizeof model_members / sizeof model_members[0])
/* Weights, then the members: the slot numbering model_key_slot returns. */
#define MODEL_N_KEYS (2 * MODEL_N_COMPONENTS + MODEL_N_MEMBERS)

static const char *const model_set_names[2] = {"prospect", "customer"};
static const char *const model_component_names[MODEL_N_COMPONENTS] = {
    "VB", "NE", "AF", "AP", "AU", "VP", "PD", "NH", "ER", "NN", "ST", "NA"};

/* Slot number of a model key in [0, MODEL_N_KEYS), or -1 for an unknown key. */
static long model_key_slot(const char *key, size_t len) {
  static const char prefix[] = "weight.";
  if (len > sizeof prefix - 1 && memcmp(key, prefix, sizeof prefix - 1) == 0) {
    const char *rest = key + sizeof prefix - 1;
    size_t rest_len = len - (sizeof prefix - 1);
    for (int s = 0; s < 2; s++) {
      size_t sl = strlen(model_set_names[s]);
      if (rest_len <= sl + 1 || memcmp(rest, model_set_names[s], sl) != 0 || rest[sl] != '.')
        continue;
      for (int c = 0; c < MODEL_N_COMPONENTS; c++)
        if (rest_len - sl - 1 == strlen(model_component_names[c]) &&
            memcmp(rest + sl + 1, model_component_names[c], rest_len - sl - 1) == 0)
          return (long)(s * MODEL_N_COMPONENTS + c);
    }
    return -1;
  }
  for (size_t i = 0; i < MODEL_N_MEMBERS; i++)
    if (strlen(model_members[i].name) == len && memcmp(model_members[i].name, key, len) == 0)
      return (long)(2 * MODEL_N_COMPONENTS + i);
  return -1;
}

static double *model_slot_ptr(model *m, long slot) {
  if (slot < 2 * MODEL_N_COMPONENTS)
    return &m->weight[slot / MODEL_N_COMPONENTS][slot % MODEL_N_COMPONENTS];
  return (double *)((char *)m + model_members[slot - 2 * MODEL_N_COMPONENTS].offset);
}

/* Line and column (1-based, columns in characters as jansson counts them) of the
 * top-level object key equal to key[0, len) in text; 1:1 when it cannot be found. */
static void model_find_key_pos(const char *text, size_t text_len, const char *key, size_t len,
                               int *line_out, int *col_out) {
  int line = 1, col = 0, depth = 0;
  *line_out = 1;
  *col_out = 1;
  for (size_t i = 0; i < text_len; i++) {
    unsigned char ch = (unsigned char)text[i];
    if (ch == '\n') {
      line++;
      col = 0;
      continue;
    }
    if ((ch & 0xC0) != 0x80) col++; /* count characters, not UTF-8 continuation bytes */
    if (ch == '{' || ch == '[') {
      depth++;
    } else if (ch == '}' || ch == ']') {
      depth--;
    } else if (ch == '"') {
      size_t start = i;
      int start_line = line, start_col = col;
      for (i++; i < text_len && text[i] != '"'; i++) {
        if ((text[i] & 0xC0) != 0x80) col++;
        if (text[i] == '\\' && i + 1 < text_len) {
          i++; /* an escaped character, e.g. \" */
          col++;
        }
      }
      if (i < text_len) col++; /* the closing quote */
      /* A key is a string at depth 1 followed by ':' (after blanks). */
      size_t j = i + 1;
      while (j < text_len && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r' || text[j] == '\n'))
        j++;
      if (depth != 1 || j >= text_len || text[j] != ':') continue;
      json_t *s = json_loadb(text + start, i + 1 - start, JSON_DECODE_ANY, NULL);
      int same = s != NULL && json_is_string(s) && json_string_length(s) == len &&
                 memcmp(json_string_value(s), key, len) == 0;
      json_decref(s);
      if (same) {
        *line_out = start_line;
        *col_out = start_col;
        return;
      }
    }
  }
}

/* Reads one key's value: a number, or {"value": N[, "description": "..."]}. Returns NULL
 * on success, else what is wrong with it. */
static const char *model_read_value(json_t *v, double *out) {
  if (json_is_object(v)) {
    const char *k;
    json_t *x;
    json_t *value = NULL;
    json_object_foreach(v, k, x) {
      if (strcmp(k, "value") == 0)
        value = x;
      else if (strcmp(k, "description") == 0) {
        if (!json_is_string(x)) return "\"description\" must be a string";
      } else
        return "only \"value\" and \"description\" are allowed in a model entry";
    }
    if (value == NULL) return "missing \"value\"";
    v = value;
  }
  /* json_is_number excludes true/false/null and strings by type */
  if (!json_is_number(v)) return "value must be a number";
  *out = json_number_value(v);
  if (!isfinite(*out)) return "value must be finite";
  if (*out < 0) return "value must not be negative";
  return NULL;
}

/* Applies the model JSON text to m; with require_all every key must appear (the
 * defaults). name is used in messages. */
static int model_apply_text(model *m, const char *text, size_t len, const char *name,
                            int require_all, lr_err *err) {
  json_error_t jerr;
  json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
  unsigned char seen[MODEL_N_KEYS] = {0};
  model tmp = *m; /* m changes only when the whole file is valid */
  int rc = LR_OK;
  const char *key;
  size_t klen;
  json_t *v;
  if (root == NULL)
    return lr_err_set(err, LR_ERR_SCHEMA, "%s:%d:%d: %s", name, jerr.line, jerr.column, jerr.text);
  if (!json_is_object(root)) {
    rc = lr_err_set(err, LR_ERR_SCHEMA, "%s:1:1: a model file must be a JSON object", name);
    goto done;
  }
  json_object_keylen_foreach(root, key, klen, v) {
    long slot = model_key_slot(key, klen);
    const char *why = slot < 0 ? "unknown model key" : model_read_value(v, model_slot_ptr(&tmp, slot));
    if (why != NULL) {
      int line, col;
      model_find_key_pos(text, len, key, klen, &line, &col);
      rc = lr_err_set(err, LR_ERR_SCHEMA, "%s:%d:%d: \"%s\": %s", name, line, col, key, why);
      goto done;
    }
    seen[slot] = 1;
  }
  if (require_all) {
    for (long s = 0; s < (long)MODEL_N_KEYS; s++) {
      if (seen[s]) continue;
      if (s < 2 * MODEL_N_COMPONENTS)
        rc = lr_err_set(err, LR_ERR_SCHEMA, "%s: missing model key \"weight.%s.%s\"", name,
                        model_set_names[s / MODEL_N_COMPONENTS],
                        model_component_names[s % MODEL_N_COMPONENTS]);
      else
        rc = lr_err_set(err, LR_ERR_SCHEMA, "%s: missing model key \"%s\"", name,
                        model_members[s - 2 * MODEL_N_COMPONENTS].name);
      goto done;
    }
  }
  *m = tmp;
done:
  json_decref(root);
  return rc;
}

int model_load_defaults(model *m, lr_err *err) {
  return model_apply_text(m, embedded_model_default, embedded_model_default_len,
                          MODEL_DEFAULT_NAME, 1, err);
}

int model_load_file(model *m, const char *path, lr_err *err) {
  /* Parsed from memory: the text is needed again for key positions. */
  unsigned char *text;
  size_t len;
  lr_err read_err;
  if (ingest_read_raw(path, &text, &len, &read_err) != LR_OK)
    return lr_err_set(err, LR_ERR_INPUT, "%s (--model)", read_err.msg);
  int rc = model_apply_text(m, (const char *)text, len, path, 0, err);
  free(text);
  return rc;
}
