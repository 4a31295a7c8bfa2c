/* test_model.c — unit tests of engine/model.c: the embedded defaults and --model files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h"
#include "testhelp.h"

/* Writes text to a fresh temporary file whose name is written into path. */
static void write_tmp(char *path, size_t path_len, const char *text) {
  snprintf(path, path_len, "/tmp/lr_test_model_XXXXXX");
  int fd = mkstemp(path);
  FILE *f = fdopen(fd, "w");
  fputs(text, f);
  fclose(f);
}

/* Loads text as a --model file over the defaults; returns the code, fills m and err. */
static int load_text(const char *text, model *m, lr_err *err) {
  char path[64];
  int rc;
  lr_err_clear(err);
  if (model_load_defaults(m, err) != LR_OK) return -1;
  write_tmp(path, sizeof path, text);
  rc = model_load_file(m, path, err);
  /* the message starts with the path; replace it by "F" so tests can pin the text */
  if (rc != LR_OK) {
    size_t pl = strlen(path);
    if (strncmp(err->msg, path, pl) == 0) {
      memmove(err->msg + 1, err->msg + pl, strlen(err->msg + pl) + 1);
      err->msg[0] = 'F';
    }
  }
  unlink(path);
  return rc;
}

static void test_defaults_complete(void) {
  model m;
  lr_err err;
  double *d = (double *)&m;
  size_t n = sizeof m / sizeof(double);
  /* struct model is all doubles: poison every one, load, and none may be left */
  TEST_EQ_INT(sizeof m % sizeof(double), 0);
  for (size_t i = 0; i < n; i++) d[i] = NAN;
  lr_err_clear(&err);
  TEST_EQ_INT(model_load_defaults(&m, &err), LR_OK);
  size_t nan_left = 0;
  for (size_t i = 0; i < n; i++) nan_left += isnan(d[i]) != 0;
  TEST_EQ_INT(nan_left, 0);
  /* spot checks against the SPEC §4 table and text */
  TEST_EQ_DBL(m.weight[MODEL_PROSPECT][MODEL_VB], 0.25);
  TEST_EQ_DBL(m.weight[MODEL_PROSPECT][MODEL_NA], 0.10);
  TEST_EQ_DBL(m.weight[MODEL_CUSTOMER][MODEL_PD], 0.40);
  TEST_EQ_DBL(m.weight[MODEL_CUSTOMER][MODEL_NH], 0.0);
  TEST_EQ_DBL(m.weight[MODEL_CUSTOMER][MODEL_AP], 0.25);
  TEST_EQ_DBL(m.vb_customers_scale, 20);
  TEST_EQ_DBL(m.af_revenue_share, 0.02);
  TEST_EQ_DBL(m.ap_phone_min_digits, 7);
  TEST_EQ_DBL(m.st_idle_scale, 180);
  TEST_EQ_DBL(m.seg_new_recent_days, 180);
  TEST_EQ_DBL(m.dq_budget_share, 0.1);
  TEST_EQ_DBL(m.tier_a_priority, 60);
  TEST_EQ_DBL(m.tier_a_max_risk, 30);
  TEST_EQ_DBL(m.tier_b_priority, 43);
  TEST_EQ_DBL(m.tier_c_priority, 28);
  TEST_EQ_DBL(m.reason_min_contribution, 5.0);
  /* fit weights sum to 1 for both sets, as SPEC §4 says */
  for (int s = 0; s < 2; s++) {
    double sum = 0;
    for (int c = MODEL_VB; c <= MODEL_VP; c++) sum += m.weight[s][c];
    TEST_CHECK(fabs(sum - 1.0) < 1e-12);
  }
}

static void test_overrides(void) {
  model m, def;
  lr_err err;
  lr_err_clear(&err);
  TEST_EQ_INT(model_load_defaults(&def, &err), LR_OK);

  /* a plain number overrides just that key */
  TEST_EQ_INT(load_text("{\"tier_b_priority\": 45}", &m, &err), LR_OK);
  TEST_EQ_DBL(m.tier_b_priority, 45.0);
  TEST_EQ_DBL(m.tier_c_priority, 28.0);
  def.tier_b_priority = 45.0;
  TEST_CHECK(memcmp(&m, &def, sizeof m) == 0); /* nothing else changed */
  def.tier_b_priority = 43.0;

  /* the object form, with and without a description; a weight key */
  TEST_EQ_INT(load_text("{\"weight.customer.NH\": {\"value\": 0.05, \"description\": \"x\"},\n"
                        " \"weight.prospect.VB\": {\"value\": 0.3}}",
                        &m, &err),
              LR_OK);
  TEST_EQ_DBL(m.weight[MODEL_CUSTOMER][MODEL_NH], 0.05);
  TEST_EQ_DBL(m.weight[MODEL_PROSPECT][MODEL_VB], 0.3);
  TEST_EQ_DBL(m.weight[MODEL_PROSPECT][MODEL_NE], 0.20);

  /* an empty object changes nothing; zero is allowed */
  TEST_EQ_INT(load_text("{}", &m, &err), LR_OK);
  TEST_CHECK(memcmp(&m, &def, sizeof m) == 0);
  TEST_EQ_INT(load_text("{\"ap_none\": 0}", &m, &err), LR_OK);
  TEST_EQ_DBL(m.ap_none, 0.0);
}

static void test_errors(void) {
  model m;
  lr_err err;
  /* unknown key: position of its opening quote (line 3, column 3) */
  TEST_EQ_INT(load_text("{\n  \"tier_b_priority\": 45,\n  \"tier_e_priority\": 1\n}", &m, &err),
              LR_ERR_SCHEMA);
  TEST_EQ_STR(err.msg, "F:3:3: \"tier_e_priority\": unknown model key");
  TEST_EQ_DBL(m.tier_b_priority, 43.0); /* nothing applied from a bad file */

  /* a string value; the key text also appears earlier inside a string value, which must
   * not be taken for the key */
  TEST_EQ_INT(load_text("{\"ne_pain\": {\"value\": 0.4, \"description\": \"\\\"ne_event\\\"\"},\n"
                        "\t\"ne_event\": \"0.6\"}",
                        &m, &err),
              LR_ERR_SCHEMA);
  TEST_EQ_STR(err.msg, "F:2:2: \"ne_event\": value must be a number");

  /* negative weight, inside the object form: the top-level key's position */
  TEST_EQ_INT(load_text("{\"ap_one\": 0.5, \"weight.prospect.VB\": {\"value\": -0.1}}", &m, &err),
              LR_ERR_SCHEMA);
  TEST_EQ_STR(err.msg, "F:1:17: \"weight.prospect.VB\": value must not be negative");
  /* columns count characters as jansson does: the two-byte \u00e9 before "zz" is one
   * column, so "zz" opens at column 46 (byte 47) */
  TEST_EQ_INT(load_text("{\"ap_one\": {\"value\": 1, \"description\": \"\xc3\xa9\"}, \"zz\": 1}",
                        &m, &err),
              LR_ERR_SCHEMA);
  TEST_EQ_STR(err.msg, "F:1:46: \"zz\": unknown model key");
  /* a non-ASCII unknown key */
  TEST_EQ_INT(load_text("{\"z\xc3\xa9\": 1}", &m, &err), LR_ERR_SCHEMA);
  TEST_EQ_STR(err.msg, "F:1:2: \"z\xc3\xa9\": unknown model key");

  /* booleans and null are not numbers */
  TEST_EQ_INT(load_text("{\"au_dm\": true}", &m, &err), LR_ERR_SCHEMA);
  TEST_EQ_STR(err.msg, "F:1:2: \"au_dm\": value must be a number");
  TEST_EQ_INT(load_text("{\"au_dm\": {\"value\": null}}", &m, &err), LR_ERR_SCHEMA);
  TEST_EQ_STR(err.msg, "F:1:2: \"au_dm\": value must be a number");
  TEST_EQ_INT(load_text("{\"au_dm\": {\"description\": \"no value\"}}", &m, &err), LR_ERR_SCHEMA);
  TEST_EQ_STR(err.msg, "F:1:2: \"au_dm\": missing \"value\"");
  /* a negative non-weight constant is refused too */
  TEST_EQ_INT(load_text("{ \"st_idle_offset\": -90 }", &m, &err), LR_ERR_SCHEMA);
  TEST_EQ_STR(err.msg, "F:1:3: \"st_idle_offset\": value must not be negative");
  /* an escaped spelling of an unknown key is still found at its position */
  TEST_EQ_INT(load_text("{\"ap\\u005fnone\": 0.1, \"ap\\u005fwarmer\": 1}", &m, &err), LR_ERR_SCHEMA);
  TEST_EQ_STR(err.msg, "F:1:23: \"ap_warmer\": unknown model key");
  /* a key nested inside another entry's object is not a top-level key */
  TEST_EQ_INT(load_text("{\"ne_pain\": {\"value\": 1, \"ne_event\": 2}}", &m, &err), LR_ERR_SCHEMA);
  TEST_EQ_STR(err.msg,
              "F:1:2: \"ne_pain\": only \"value\" and \"description\" are allowed in a model entry");

  /* syntax errors and duplicates: jansson's own position and text */
  TEST_EQ_INT(load_text("{\"au_dm\": 1,\n}", &m, &err), LR_ERR_SCHEMA);
  TEST_CHECK(strncmp(err.msg, "F:2:1: ", 7) == 0);
  TEST_EQ_INT(load_text("{\"au_dm\": 1, \"au_dm\": 2}", &m, &err), LR_ERR_SCHEMA);
  TEST_CHECK(strstr(err.msg, "duplicate") != NULL);
  TEST_EQ_INT(load_text("[1]", &m, &err), LR_ERR_SCHEMA);
  TEST_EQ_STR(err.msg, "F:1:1: a model file must be a JSON object");

  /* a missing file */
  lr_err_clear(&err);
  TEST_EQ_INT(model_load_file(&m, "/nonexistent/model.json", &err), LR_ERR_INPUT);
  TEST_EQ_STR(err.msg, "/nonexistent/model.json: cannot read: No such file or directory (--model)");
}

int main(void) {
  test_defaults_complete();
  test_overrides();
  test_errors();
  return TEST_REPORT();
}
