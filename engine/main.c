/* main.c — leadrank's entry point: parses the command line, runs the command, and turns
 * error codes into exit statuses (the only place that does). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "output.h"
#include "ingest.h"

#define LEADRANK_VERSION "0.1.0"
#define MAIN_MAX_TEMPS 9

/* The temporaries this run may write in OUTDIR, computed before any is created so that the
 * signal handler only calls async-signal-safe unlink() and _exit(). */
static char main_temps[MAIN_MAX_TEMPS][4096];
static int main_n_temps;

static void main_on_signal(int sig) {
  for (int i = 0; i < main_n_temps; i++) unlink(main_temps[i]);
  _exit(sig == SIGINT ? 130 : 143);
}

/* SIGINT / SIGTERM: remove half-written outputs (finished ones stay: they were renamed
 * into place complete) and exit 130 / 143. */
static void main_install_signals(const char *outdir) {
  if (outdir != NULL)
    main_n_temps = (int)output_temp_paths(outdir, (long)getpid(), main_temps, MAIN_MAX_TEMPS);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = main_on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

int main(int argc, char **argv) {
  cli_opts o;
  lr_err err;
  lr_err_clear(&err);
  int rc = cli_parse(argc, argv, &o, &err);
  int status = 0;
  if (rc == LR_OK) main_install_signals(o.outdir);
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
