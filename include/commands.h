/* commands.h — the commands of SPEC §1, each run from parsed options. They return an
 * lr_code (and fill err); *exit_out gets the process exit status on success (0, or 1 when
 * the reject rate is over --max-reject-rate). Only main prints errors. */
#ifndef LR_COMMANDS_H
#define LR_COMMANDS_H

#include "cli.h"
#include "lr_err.h"

int command_score(const cli_opts *o, int *exit_out, lr_err *err) LR_MUST_CHECK;
int command_validate(const cli_opts *o, int *exit_out, lr_err *err) LR_MUST_CHECK;
int command_history_show(const cli_opts *o, lr_err *err) LR_MUST_CHECK;
/* `history build DEALS... --redis URL`: prints `hid=<hex> verticals=V` on stdout. */
int command_history_build(const cli_opts *o, lr_err *err) LR_MUST_CHECK;

#endif
