/* command_history.c — `history show` (the per-vertical table of SPEC §3 on stdout, from
 * the files or the Redis cache) and `history build` (aggregate DEALS and publish them as
 * the current version in Redis). */
#include <stdio.h>

#include "commands.h"
#include "embedded.h"
#include "history_source.h"

static int command_history_deals_schema(schema **out, lr_err *err) {
  return schema_load_text(embedded_deals_schema, embedded_deals_schema_len,
                          "schemas/deals.schema.json (embedded)", out, err);
}

int command_history_show(const cli_opts *o, lr_err *err) {
  schema *deals;
  int rc = command_history_deals_schema(&deals, err);
  if (rc != LR_OK) return rc;
  history_choice choice = { 0 };
  rc = history_source_open(o, deals, &choice, err);
  if (rc == LR_OK) rc = history_write_table(choice.history, stdout, err);
  history_free(choice.history);
  schema_free(deals);
  return rc;
}

int command_history_build(const cli_opts *o, lr_err *err) {
  schema *deals;
  int rc = command_history_deals_schema(&deals, err);
  if (rc != LR_OK) return rc;
  char hid[HISTORY_REDIS_HID_LEN + 1];
  size_t n_verticals = 0;
  rc = history_source_build(o, deals, hid, &n_verticals, err);
  if (rc == LR_OK) printf("hid=%s verticals=%zu\n", hid, n_verticals);
  schema_free(deals);
  return rc;
}
