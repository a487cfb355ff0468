/* Internal to cli/: command bodies that write into a buffer, so tests run them in-process. */
#ifndef KD_CLI_INTERNAL_H
#define KD_CLI_INTERNAL_H

#include "cli.h"

/* `template`: the rendered documents into `out`. */
int kd_cli__template_run(kd_buf *out, const kd_cli_opts *o);
/* `package verify`: the report into `out`; *errors_out gets the number of errors. */
int kd_cli__verify_run(kd_buf *out, size_t *errors_out, const char *package);

#endif
