/* command_run.c — `score` and `validate`: the whole pipeline from INPUTs to OUTDIR.
 *
 * score:    schema, model, history → scan (parse, validate, score in parallel) → unique
 *           → dedupe → rank → the four CSVs and summary.json.
 * validate: schema → scan without scoring → unique → rejects.csv and summary.json (with
 *           -o), and one line of counts on stdout.
 * Everything that can fail for a usage, schema or input reason happens before OUTDIR is
 * touched, so exit 2 publishes nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "lr_clock.h"
#include "dedupe.h"
#include "embedded.h"
#include "history_source.h"
#include "output.h"
#include "par.h"
#include "rank.h"
#include "scan.h"
#include "spill.h"
#include "summary.h"
#include "unique.h"
#include "values.h"

#define RUN_MAX_TIMINGS 8

typedef struct run_state {
  const cli_opts *o;
  int threads;
  char as_of_text[16];
  int32_t as_of;
  schema *leads_schema;
  schema *deals_schema;
  model model;
  score_plan plan;
  history *history;
  const char *history_source;  /* summary.json history.source */
  const char *history_cache;   /* summary.json history.cache */
  table *table;
  scan_config scan;            /* kept after the scan: re-deriving values needs it */
  scan_header header;
  scan_rederiver **rederivers; /* one per thread: unique, dedupe and rank re-derive bytes
                                  in parallel */
  output_pending pending;      /* finished outputs, published together at the end */
  spill *spill;                /* --memory: the bounded run's spilled state */
  summary_tally tally;         /* every row's final status, counted */
  radix_space sort_space;       /* unique, dedupe and rank sort in it, one after another */
  uint32_t *ranked;
  size_t n_ranked;
  long *unique_fields;          /* schema fields checked for uniqueness, lead_id last */
  size_t n_unique;
  double history_seconds;       /* loading the history (beside the first input's inflate) */
  summary_timing timings[RUN_MAX_TIMINGS];
  size_t n_timings;
  double clock;
} run_state;

/* Records `seconds` under `stage`; -v also prints it with the peak RSS so far. */
static void run_record(run_state *r, const char *stage, double seconds) {
  if (r->n_timings < RUN_MAX_TIMINGS) r->timings[r->n_timings++] = (summary_timing){ stage, seconds };
  if (r->o->verbose) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    fprintf(stderr, "leadrank: %-18s %7.3f s   peak RSS %6.0f MiB\n", stage, seconds,
            (double)ru.ru_maxrss / 1024.0);
  }
}

/* Records the seconds since the previous mark under `stage`. */
static void run_mark(run_state *r, const char *stage) {
  double now = lr_clock_seconds();
  run_record(r, stage, now - r->clock);
  r->clock = now;
}

static int run_threads(const cli_opts *o) {
  if (o->threads > 0) return o->threads;
  return par_max_threads(); /* OMP_NUM_THREADS, else the online CPUs */
}

static int run_as_of(run_state *r, lr_err *err) {
  if (r->o->as_of != NULL) {
    if (!values_parse_plain_date(r->o->as_of, strlen(r->o->as_of), &r->as_of))
      return lr_err_set(err, LR_ERR_USAGE, "--as-of must be a YYYY-MM-DD date, not '%s'", r->o->as_of);
  } else {
    r->as_of = (int32_t)(time(NULL) / 86400);
  }
  values_format_date(r->as_of, r->as_of_text);
  return LR_OK;
}

static int run_load_schema(run_state *r, lr_err *err) {
  if (r->o->schema != NULL) return schema_load_file(r->o->schema, &r->leads_schema, err);
  return schema_load_text(embedded_leads_schema, embedded_leads_schema_len,
                          "schemas/leads.schema.json (embedded)", &r->leads_schema, err);
}

/* `unique` fields in schema order, then lead_id last (its reason has the lowest
 * precedence, A5); score always enforces lead_id uniqueness (A18). */
static void run_unique_fields(run_state *r, int scoring) {
  const schema *s = r->leads_schema;
  long lead_id = schema_field_index(s, "lead_id");
  r->n_unique = 0;
  r->unique_fields = lr_xcalloc(s->n_fields + 1, sizeof *r->unique_fields);
  for (size_t f = 0; f < s->n_fields; f++)
    if (s->fields[f].unique && (long)f != lead_id) r->unique_fields[r->n_unique++] = (long)f;
  if (lead_id >= 0 && (scoring || s->fields[lead_id].unique)) r->unique_fields[r->n_unique++] = lead_id;
}

/* mkdir -p: OUTDIR and its missing parents. */
static int run_make_outdir(const char *dir, lr_err *err) {
  char path[4096];
  size_t len = strlen(dir);
  if (len == 0 || len >= sizeof path) return lr_err_set(err, LR_ERR_USAGE, "bad OUTDIR '%s'", dir);
  memcpy(path, dir, len + 1);
  for (size_t i = 1; i <= len; i++) {
    if (path[i] != '/' && path[i] != '\0') continue;
    char saved = path[i];
    path[i] = '\0';
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
      return lr_err_set(err, LR_ERR_OUTPUT, "%s: cannot create directory: %s", path, strerror(errno));
    path[i] = saved;
  }
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
    return lr_err_set(err, LR_ERR_OUTPUT, "%s: not a directory", dir);
  return LR_OK;
}

/* scan_config.prepare of a score run: the purchase history, loaded (or fetched from
 * Redis) while the first input starts to inflate; parsing, which scores, waits for it.
 * The 5M-row bench's deals take 0.2 s of one CPU, which the scan's other CPU had idled. */
static int run_load_history(void *arg, lr_err *err) {
  run_state *r = arg;
  double t0 = lr_clock_seconds();
  history_choice choice;
  int rc = history_source_open(r->o, r->deals_schema, &choice, err);
  if (rc != LR_OK) return rc;
  r->history = choice.history;
  r->history_source = choice.source;
  r->history_cache = choice.cache;
  r->scan.history = choice.history;
  r->history_seconds = lr_clock_seconds() - t0;
  return LR_OK;
}

static int run_scan(run_state *r, int scoring, lr_err *err) {
  static const char *const score_must_have[] = { "lead_id", "created_at", NULL };
  run_unique_fields(r, scoring);
  r->table = table_new(r->n_unique);
  r->scan = (scan_config){
    .n_threads = r->threads,
    .schema = r->leads_schema,
    .dup_policy = r->o->dup_first ? SCHEMA_DUP_FIRST : SCHEMA_DUP_ERROR,
    .must_have = scoring ? score_must_have : NULL,
    .max_record_bytes = (size_t)r->o->max_record_bytes,
    .unique_fields = r->unique_fields,
    .n_unique = r->n_unique,
    .plan = scoring ? &r->plan : NULL,
    .model = &r->model,
    .as_of = r->as_of,
    .prepare = scoring ? run_load_history : NULL,
    .prepare_arg = r,
  };
  long lead_id = schema_field_index(r->leads_schema, "lead_id");
  if (r->o->memory_mb > 0) {
    size_t memory = (size_t)r->o->memory_mb << 20;
    spill_config sc = { r->o->outdir, memory, r->scan.max_record_bytes, r->unique_fields, r->n_unique,
                        lead_id, scoring, r->o->verbose };
    int rc = run_make_outdir(r->o->outdir, err);
    if (rc != LR_OK) return rc;
    output_remove_stale_temps(r->o->outdir);
    if ((rc = spill_new(&sc, &r->spill, err)) != LR_OK) return rc;
    r->scan.sink = spill_put_row;
    r->scan.sink_arg = r->spill;
    r->scan.text_window = spill_text_window(memory, r->scan.max_record_bytes);
  }
  double inflate_seconds = 0;
  int rc = scan_inputs(r->table, &r->scan, r->o->inputs, r->o->n_inputs, &r->header, &inflate_seconds, err);
  if (rc != LR_OK) return rc;
  /* the history load and the inflater run beside the parsers, so their seconds are part
   * of the scan's, not added */
  if (scoring) run_record(r, "history_overlapped", r->history_seconds);
  run_record(r, "inflate_overlapped", inflate_seconds);
  run_mark(r, scoring ? "scan_score" : "scan");
  if (r->spill != NULL) return LR_OK; /* spill_write_outputs settles uniqueness */
  r->rederivers = lr_xcalloc((size_t)r->threads, sizeof *r->rederivers);
  for (int k = 0; k < r->threads; k++) r->rederivers[k] = scan_rederiver_new(r->table, &r->scan, &r->header);
  unique_apply(r->table, r->rederivers, r->threads, r->unique_fields, r->n_unique, lead_id, &r->sort_space);
  return LR_OK;
}

static int run_exit_status(const run_state *r) {
  long long rejected = r->tally.rej, rows = r->tally.input_rows;
  double rate = rows ? (double)rejected / (double)rows : 0.0;
  if (rate > r->o->max_reject_rate) {
    fprintf(stderr, "leadrank: reject rate %.4f (%lld of %lld rows) is over --max-reject-rate %g; "
            "see rejects.csv\n", rate, rejected, rows, r->o->max_reject_rate);
    return 1;
  }
  return 0;
}

static void run_release(run_state *r) {
  output_pending_abort(&r->pending); /* anything not published (a failed run) */
  spill_free(r->spill);
  summary_tally_release(&r->tally);
  free(r->unique_fields);
  if (r->rederivers != NULL)
    for (int k = 0; k < r->threads; k++) scan_rederiver_free(r->rederivers[k]);
  free(r->rederivers);
  free(r->ranked);
  radix_space_release(&r->sort_space);
  scan_header_release(&r->header);
  table_free(r->table);
  history_free(r->history);
  schema_free(r->leads_schema);
  schema_free(r->deals_schema);
}

/* Publishes the finished outputs while another thread frees the table: putting files in
 * place also removes the previous run's files, and freeing gigabytes of text and rows
 * takes the kernel about as long (0.28 s and 0.15 s at 5M rows), so the two overlap. */
static int run_publish(run_state *r, lr_err *err) {
  int rc = LR_OK;
#pragma omp parallel sections num_threads(2)
  {
#pragma omp section
    rc = output_pending_publish(&r->pending, err);
#pragma omp section
    {
      table_free(r->table);
      r->table = NULL;
    }
  }
  return rc;
}

/* Writes summary.json (with the history's part when the run loaded one), then puts every
 * output in place. */
static int run_finish(run_state *r, lr_err *err) {
  const cli_opts *o = r->o;
  summary_info info = {
    .as_of = r->as_of_text, .threads = r->threads, .inputs = o->inputs, .n_inputs = o->n_inputs,
    .timings = r->timings, .n_timings = r->n_timings, .history = r->history,
    .history_source = r->history_source, .history_cache = r->history_cache, .deals = o->history, .n_deals = o->n_history,
  };
  int rc = summary_write(o->outdir, &r->tally, r->leads_schema, &info, o->do_fsync, &r->pending, err);
  if (rc != LR_OK) return rc;
  return run_publish(r, err);
}

static int run_score_steps(run_state *r, lr_err *err) {
  const cli_opts *o = r->o;
  int rc;
  if ((rc = run_as_of(r, err)) != LR_OK) return rc;
  if ((rc = run_load_schema(r, err)) != LR_OK) return rc;
  if ((rc = score_plan_bind(&r->plan, r->leads_schema, err)) != LR_OK) return rc;
  if ((rc = model_load_defaults(&r->model, err)) != LR_OK) return rc;
  if (o->model != NULL && (rc = model_load_file(&r->model, o->model, err)) != LR_OK) return rc;
  if ((rc = schema_load_text(embedded_deals_schema, embedded_deals_schema_len,
                             "schemas/deals.schema.json (embedded)", &r->deals_schema, err)) != LR_OK)
    return rc;
  if ((rc = run_scan(r, 1, err)) != LR_OK) return rc;
  summary_tally_init(&r->tally, r->leads_schema, 1);
  output_config ocfg = { o->outdir, o->gzip, o->do_fsync, r->threads, &r->pending };
  if (r->spill != NULL) {
    if ((rc = spill_write_outputs(r->spill, r->table, &r->header, r->leads_schema, &ocfg, &r->tally, err)) != LR_OK)
      return rc;
    run_mark(r, "settle_write");
  } else {
    dedupe_apply(r->table, r->rederivers, r->threads, &r->sort_space);
    r->ranked = rank_rows(r->table, r->rederivers, r->threads, &r->sort_space, &r->n_ranked);
    radix_space_release(&r->sort_space);
    run_mark(r, "dedupe_rank");
    if ((rc = run_make_outdir(o->outdir, err)) != LR_OK) return rc;
    output_remove_stale_temps(o->outdir);
    if ((rc = output_write_scored(r->table, &r->header, &r->scan, r->leads_schema, r->ranked, r->n_ranked, &ocfg, err)) != LR_OK)
      return rc;
    summary_tally_table(&r->tally, r->table);
    run_mark(r, "write");
  }
  return run_finish(r, err);
}

int command_score(const cli_opts *o, int *exit_out, lr_err *err) {
  run_state r = { .o = o, .threads = run_threads(o), .clock = lr_clock_seconds() };
  par_set_threads(r.threads);
  int rc = run_score_steps(&r, err);
  if (rc == LR_OK) *exit_out = run_exit_status(&r);
  run_release(&r);
  return rc;
}

static void run_validate_print(const run_state *r) {
  printf("input_rows=%lld rejected=%lld blank_lines=%lld\n", r->tally.input_rows, r->tally.rej,
         r->tally.blank_lines);
}

static int run_validate_steps(run_state *r, lr_err *err) {
  const cli_opts *o = r->o;
  int rc;
  if ((rc = run_as_of(r, err)) != LR_OK) return rc;
  if ((rc = run_load_schema(r, err)) != LR_OK) return rc;
  if ((rc = run_scan(r, 0, err)) != LR_OK) return rc;
  summary_tally_init(&r->tally, r->leads_schema, 0);
  output_config ocfg = { o->outdir, o->gzip, o->do_fsync, r->threads, &r->pending };
  if (r->spill != NULL) {
    /* the counts come from writing rejects.csv, so they are printed after it */
    if ((rc = spill_write_outputs(r->spill, r->table, &r->header, r->leads_schema, &ocfg, &r->tally, err)) != LR_OK)
      return rc;
    run_validate_print(r);
    run_mark(r, "settle_write");
  } else {
    summary_tally_table(&r->tally, r->table);
    run_validate_print(r);
    if (o->outdir == NULL) return LR_OK;
    if ((rc = run_make_outdir(o->outdir, err)) != LR_OK) return rc;
    output_remove_stale_temps(o->outdir);
    if ((rc = output_write_rejects(r->table, &r->header, r->leads_schema, &ocfg, err)) != LR_OK) return rc;
    run_mark(r, "write");
  }
  return run_finish(r, err);
}

int command_validate(const cli_opts *o, int *exit_out, lr_err *err) {
  run_state r = { .o = o, .threads = run_threads(o), .clock = lr_clock_seconds() };
  par_set_threads(r.threads);
  int rc = run_validate_steps(&r, err);
  if (rc == LR_OK) *exit_out = run_exit_status(&r);
  run_release(&r);
  return rc;
}
