/* cli.c — parses and checks the command line (SPEC §1). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "lr_err.h"

enum {
  OPT_HISTORY = 256, OPT_SCHEMA, OPT_MODEL, OPT_AS_OF, OPT_REDIS, OPT_REDIS_REQUIRED,
  OPT_THREADS, OPT_GZIP, OPT_FSYNC, OPT_MAX_REJECT_RATE, OPT_MAX_RECORD_BYTES,
  OPT_DUPLICATE_COLUMNS, OPT_HELP, OPT_PREFIX, OPT_TTL, OPT_REDIS_TIMEOUT, OPT_MEMORY
};

static const struct option cli_long_options[] = {
  { "outdir", required_argument, NULL, 'o' },
  { "history", required_argument, NULL, OPT_HISTORY },
  { "schema", required_argument, NULL, OPT_SCHEMA },
  { "model", required_argument, NULL, OPT_MODEL },
  { "as-of", required_argument, NULL, OPT_AS_OF },
  { "redis", required_argument, NULL, OPT_REDIS },
  { "redis-required", no_argument, NULL, OPT_REDIS_REQUIRED },
  { "prefix", required_argument, NULL, OPT_PREFIX },
  { "ttl", required_argument, NULL, OPT_TTL },
  { "redis-timeout", required_argument, NULL, OPT_REDIS_TIMEOUT },
  { "threads", required_argument, NULL, OPT_THREADS },
  { "gzip", no_argument, NULL, OPT_GZIP },
  { "fsync", no_argument, NULL, OPT_FSYNC },
  { "max-reject-rate", required_argument, NULL, OPT_MAX_REJECT_RATE },
  { "max-record-bytes", required_argument, NULL, OPT_MAX_RECORD_BYTES },
  { "duplicate-columns", required_argument, NULL, OPT_DUPLICATE_COLUMNS },
  { "memory", required_argument, NULL, OPT_MEMORY },
  { "verbose", no_argument, NULL, 'v' },
  { "help", no_argument, NULL, OPT_HELP },
  { NULL, 0, NULL, 0 },
};

const char *cli_usage(void) {
  return "usage:\n"
         "  leadrank score INPUT... -o OUTDIR --history DEALS [--history DEALS...]\n"
         "                [--schema FILE] [--model FILE] [--as-of YYYY-MM-DD] [--threads N]\n"
         "                [--gzip] [--fsync] [--max-reject-rate X] [--max-record-bytes N]\n"
         "                [--duplicate-columns first|error] [--memory MB] [-v]\n"
         "                [--redis URL [--redis-required] [--prefix P] [--ttl DAYS]\n"
         "                 [--redis-timeout MS]]   (--redis alone: use the cached current history)\n"
         "  leadrank validate INPUT... [--schema FILE] [-o OUTDIR] [--threads N]\n"
         "                [--max-reject-rate X] [--max-record-bytes N] [--memory MB]\n"
         "--memory MB: bound memory by spilling sorted runs to a temporary directory in OUTDIR\n"
         "  leadrank history build DEALS... --redis URL [--prefix P] [--ttl DAYS] [--redis-timeout MS]\n"
         "  leadrank history show [--history DEALS...] [--redis URL [--prefix P] [--redis-timeout MS]]\n"
         "URL: redis://[:PASSWORD@]HOST:PORT[/DB] or unix:///path/to/socket; the password may\n"
         "also come from LEADRANK_REDIS_PASSWORD (the URL's wins).\n"
         "  leadrank --version\n"
         "INPUT may be - (standard input); gzip is detected from the magic bytes.\n"
         "Exit: 0 ok; 1 reject rate over --max-reject-rate (outputs written);\n"
         "      2 usage, schema or input error (nothing published); 3 required service failed.\n";
}

static void cli_push(const char ***list, size_t *n, const char *s) {
  *list = lr_xrealloc(*list, (*n + 1) * sizeof **list);
  (*list)[(*n)++] = s;
}

static int cli_parse_long(const char *text, const char *name, long lo, long hi, long *out,
                          lr_err *err) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < lo || v > hi)
    return lr_err_set(err, LR_ERR_USAGE, "%s must be an integer from %ld to %ld, not '%s'", name, lo, hi, text);
  *out = v;
  return LR_OK;
}

static int cli_parse_option(int c, const char *arg, cli_opts *o, lr_err *err) {
  long v;
  char *end;
  switch (c) {
  case 'o': o->outdir = arg; return LR_OK;
  case OPT_HISTORY: cli_push(&o->history, &o->n_history, arg); return LR_OK;
  case OPT_SCHEMA: o->schema = arg; return LR_OK;
  case OPT_MODEL: o->model = arg; return LR_OK;
  case OPT_AS_OF: o->as_of = arg; return LR_OK;
  case OPT_REDIS: o->redis_url = arg; return LR_OK;
  case OPT_REDIS_REQUIRED: o->redis_required = 1; return LR_OK;
  case OPT_PREFIX: o->redis_prefix = arg; return LR_OK;
  case OPT_TTL: return cli_parse_long(arg, "--ttl", 1, 3650, &o->ttl_days, err);
  case OPT_REDIS_TIMEOUT:
    return cli_parse_long(arg, "--redis-timeout", 1, 3600000, &o->redis_timeout_ms, err);
  case OPT_GZIP: o->gzip = 1; return LR_OK;
  case OPT_FSYNC: o->do_fsync = 1; return LR_OK;
  case 'v': o->verbose = 1; return LR_OK;
  case OPT_HELP: o->command = CLI_HELP; return LR_OK;
  case OPT_THREADS:
    if (cli_parse_long(arg, "--threads", 1, 1024, &v, err) != LR_OK) return err->code;
    o->threads = (int)v;
    return LR_OK;
  case OPT_MAX_RECORD_BYTES:
    return cli_parse_long(arg, "--max-record-bytes", 1024, 16777216, &o->max_record_bytes, err);
  case OPT_MEMORY:
    return cli_parse_long(arg, "--memory", CLI_MEMORY_MIN_MB, 1048576, &o->memory_mb, err);
  case OPT_MAX_REJECT_RATE:
    errno = 0;
    o->max_reject_rate = strtod(arg, &end);
    if (errno != 0 || end == arg || *end != '\0' || !(o->max_reject_rate >= 0 && o->max_reject_rate <= 1))
      return lr_err_set(err, LR_ERR_USAGE, "--max-reject-rate must be a number from 0 to 1, not '%s'", arg);
    return LR_OK;
  case OPT_DUPLICATE_COLUMNS:
    if (strcmp(arg, "first") == 0) o->dup_first = 1;
    else if (strcmp(arg, "error") == 0) o->dup_first = 0;
    else return lr_err_set(err, LR_ERR_USAGE, "--duplicate-columns takes 'first' or 'error', not '%s'", arg);
    return LR_OK;
  default:
    return lr_err_set(err, LR_ERR_USAGE, "unknown option (see leadrank --help)");
  }
}

static int cli_check(cli_opts *o, lr_err *err) {
  size_t n_stdin = 0;
  for (size_t i = 0; i < o->n_inputs; i++) n_stdin += strcmp(o->inputs[i], "-") == 0;
  for (size_t i = 0; i < o->n_history; i++) n_stdin += strcmp(o->history[i], "-") == 0;
  if (n_stdin > 1) return lr_err_set(err, LR_ERR_USAGE, "standard input '-' may be given only once");
  switch (o->command) {
  case CLI_SCORE:
    if (o->n_inputs == 0) return lr_err_set(err, LR_ERR_USAGE, "score: no INPUT given");
    if (o->outdir == NULL) return lr_err_set(err, LR_ERR_USAGE, "score: -o OUTDIR is required");
    if (o->n_history == 0 && o->redis_url == NULL)
      return lr_err_set(err, LR_ERR_USAGE,
                        "score needs a purchase history: give the deals export with --history DEALS "
                        "(or a Redis cache with --redis URL)");
    return LR_OK;
  case CLI_VALIDATE:
    if (o->n_inputs == 0) return lr_err_set(err, LR_ERR_USAGE, "validate: no INPUT given");
    if (o->memory_mb > 0 && o->outdir == NULL)
      return lr_err_set(err, LR_ERR_USAGE, "validate --memory spills into OUTDIR: give -o OUTDIR");
    return LR_OK;
  case CLI_HISTORY_BUILD:
    if (o->n_inputs == 0) return lr_err_set(err, LR_ERR_USAGE, "history build: no DEALS file given");
    if (o->redis_url == NULL)
      return lr_err_set(err, LR_ERR_USAGE, "history build publishes to Redis: give --redis URL");
    if (o->n_history > 0)
      return lr_err_set(err, LR_ERR_USAGE, "history build takes the DEALS files as arguments, not --history");
    return LR_OK;
  case CLI_HISTORY_SHOW:
    if (o->n_history == 0 && o->redis_url == NULL)
      return lr_err_set(err, LR_ERR_USAGE, "history show needs --history DEALS (or --redis URL)");
    return LR_OK;
  default:
    return LR_OK;
  }
}

int cli_parse(int argc, char **argv, cli_opts *o, lr_err *err) {
  memset(o, 0, sizeof *o);
  o->max_reject_rate = 0.05;
  o->max_record_bytes = 65536;
  o->redis_timeout_ms = 2000;
  o->ttl_days = 7;
  if (argc < 2) return lr_err_set(err, LR_ERR_USAGE, "no command given\n%s", cli_usage());
  const char *cmd = argv[1];
  int skip = 2;
  if (strcmp(cmd, "score") == 0) o->command = CLI_SCORE;
  else if (strcmp(cmd, "validate") == 0) o->command = CLI_VALIDATE;
  else if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) { o->command = CLI_VERSION; return LR_OK; }
  else if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) { o->command = CLI_HELP; return LR_OK; }
  else if (strcmp(cmd, "history") == 0 && argc >= 3 && strcmp(argv[2], "show") == 0) { o->command = CLI_HISTORY_SHOW; skip = 3; }
  else if (strcmp(cmd, "history") == 0 && argc >= 3 && strcmp(argv[2], "build") == 0) { o->command = CLI_HISTORY_BUILD; skip = 3; }
  else return lr_err_set(err, LR_ERR_USAGE, "unknown command '%s' (see leadrank --help)", cmd);

  /* getopt_long permutes, so options and INPUTs may come in any order; `-` is an INPUT. */
  int sub_argc = argc - skip + 1;
  char **sub_argv = argv + skip - 1;
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(sub_argc, sub_argv, "-o:v", cli_long_options, NULL)) != -1) {
    if (c == 1) {
      cli_push(&o->inputs, &o->n_inputs, optarg);
      continue;
    }
    if (c == '?' || c == ':') {
      const char *bad = sub_argv[optind - 1];
      return lr_err_set(err, LR_ERR_USAGE, "bad option or missing value: '%s' (see leadrank --help)", bad);
    }
    int rc = cli_parse_option(c, optarg, o, err);
    if (rc != LR_OK) return rc;
  }
  if (o->command == CLI_HELP) return LR_OK;
  return cli_check(o, err);
}

void cli_opts_release(cli_opts *o) {
  free(o->inputs);
  free(o->history);
  o->inputs = o->history = NULL;
}
