/* cli.h — the command line (SPEC §1): parsed into one cli_opts, checked, and handed to the
 * command that runs it. Parsing allocates nothing the caller must free except the arrays
 * (cli_opts_release). */
#ifndef LR_CLI_H
#define LR_CLI_H

#include <stddef.h>

#include "lr_err.h"

enum cli_command { CLI_SCORE, CLI_VALIDATE, CLI_HISTORY_SHOW, CLI_VERSION, CLI_HELP,
                   CLI_HISTORY_BUILD };

typedef struct cli_opts {
  int command;                 /* enum cli_command */
  const char **inputs;         /* INPUT... (score, validate) or DEALS... (history build) */
  size_t n_inputs;
  const char **history;        /* --history DEALS (repeatable) */
  size_t n_history;
  const char *outdir;          /* -o */
  const char *schema;          /* --schema FILE (NULL: canonical) */
  const char *model;           /* --model FILE */
  const char *as_of;           /* --as-of (NULL: today UTC) */
  const char *redis_url;       /* --redis URL */
  int redis_required;          /* --redis-required */
  const char *redis_prefix;    /* --prefix P (NULL: "leadrank:") */
  long redis_timeout_ms;       /* --redis-timeout MS: connect and command timeout (2000) */
  long ttl_days;               /* --ttl DAYS: life of a replaced history version (7) */
  int threads;                 /* --threads (0: default) */
  int gzip;                    /* --gzip */
  int do_fsync;                /* --fsync */
  int verbose;                 /* -v */
  int dup_first;               /* --duplicate-columns first */
  double max_reject_rate;      /* --max-reject-rate (default 0.05) */
  long max_record_bytes;       /* --max-record-bytes (default 65536) */
  long memory_mb;              /* --memory MB (0: everything in memory) */
} cli_opts;

/* The smallest --memory: below it the fixed parts (the scan's text window must hold a
 * couple of the largest records and a batch) would be most of the budget. */
#define CLI_MEMORY_MIN_MB 64

/* Parses argv into *o. LR_ERR_USAGE with a message on any problem. */
int cli_parse(int argc, char **argv, cli_opts *o, lr_err *err) LR_MUST_CHECK;
void cli_opts_release(cli_opts *o);

/* The usage text (stdout for --help). */
const char *cli_usage(void);

#endif
