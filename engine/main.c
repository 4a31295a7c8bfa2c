/* main.c — leadrank's entry point: parses the command line, runs the command, and turns
 * error codes into exit statuses (the only place that does). */
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "ingest.h"

#define LEADRANK_VERSION "0.1.0"

int main(int argc, char **argv) {
  cli_opts o;
  lr_err err;
  lr_err_clear(&err);
  int rc = cli_parse(argc, argv, &o, &err);
  int status = 0;
  if (rc == LR_OK) {
    switch (o.command) {
    case CLI_VERSION:
      printf("leadrank %s (inflate: %s)\n", LEADRANK_VERSION, ingest_inflater_name());
      break;
    case CLI_HELP:
      fputs(cli_usage(), stdout);
      break;
    case CLI_SCORE:
      rc = command_score(&o, &status, &err);
      break;
    case CLI_VALIDATE:
      rc = command_validate(&o, &status, &err);
      break;
    case CLI_HISTORY_SHOW:
      rc = command_history_show(&o, &err);
      break;
    case CLI_HISTORY_BUILD:
      rc = command_history_build(&o, &err);
      break;
    }
  }
  cli_opts_release(&o);
  if (rc != LR_OK) {
    fprintf(stderr, "leadrank: %s\n", err.msg);
    return lr_err_exit_status(rc);
  }
  if (fflush(stdout) != 0) {
    perror("leadrank: stdout");
    return 2;
  }
  return status;
}
