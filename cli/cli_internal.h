/* Internal to cli/: command bodies that write into a buffer, so tests run them in-process. */
#ifndef KD_CLI_INTERNAL_H
#define KD_CLI_INTERNAL_H

#include "cli.h"

#include "../params/params.h"
#include "../plans/plans.h"

/* `template`: the rendered documents into `out`, in the -o format. */
int kd_cli__template_run(kd_buf *out, const kd_cli_opts *o);
/* `template` up to the render: the usage checks, the package, its parameters and the objects
 * (*out, free with kd_render_result_free). */
int kd_cli__template_render(kd_render_result **out, const kd_cli_opts *o);
/* `package verify`: the report into `out`; *errors_out gets the number of errors. */
int kd_cli__verify_run(kd_buf *out, size_t *errors_out, const char *package);

/* ---- the cluster commands' shared parts (connect.c) ---- */
#include <stdio.h>
#include <cjson/cJSON.h>
#include "../kube/kube.h"
#include "../plans/plans.h"

/* Ctrl-C and SIGTERM set kd_cli_interrupted instead of killing the process. */
void kd_cli__catch_signals(void);
/* The kubeconfig of --kubeconfig/--context/--cluster/--user/-n, and client options with -v
 * logging to stderr and Ctrl-C cancelling requests. */
int kd_cli__connect(kd_kube_config **cfg, kd_kube_client_options *copts, const kd_cli_opts *o);
/* --timeout as milliseconds (dflt_ms when not given); a usage error when malformed. */
int kd_cli__timeout_ms(long *out, const kd_cli_opts *o, long dflt_ms);
/* The documented exit code of a result code. */
int kd_cli__exit_code(int rc);
/* -o must be yaml or json when given. */
int kd_cli__check_output(const kd_cli_opts *o);
/* Prints `v` as -o asks (yaml or json). */
int kd_cli__print_data(const kd_cli_opts *o, const cJSON *v);
/* Writes to stdout and flushes, turning a failed write into an error. */
int kd_cli__write_stdout(const char *data, size_t len);
/* --instance and -n are DNS-1123 labels (usage errors otherwise, naming the flag, what is
 * wrong and the value with control characters escaped): every command checks before it reads
 * a package, so neither reaches a manifest (a YAML injection through -n otherwise). */
int kd_cli__check_names(const kd_cli_opts *o);
/* The same check for one value; `flag` and `what` ("an instance name") name it. */
int kd_cli__check_label(const char *flag, const char *what, const char *value);
/* main's last step: closes stdout; a failure to (a full disk) becomes exit code 1 with a
 * message, unless exit_code already says failure. Returns the exit code to use. */
int kd_cli__close_stdout(int exit_code);

/* ---- lifecycle commands (cmd_lifecycle.c) ---- */
typedef enum { OP_INSTALL, OP_UPDATE, OP_UPGRADE, OP_ROLLBACK, OP_UNINSTALL, OP_TRIGGER, OP_RESUME } kd_cli_op;
/* Runs one operation with progress and prints its outcome; returns the result code. */
int kd_cli__run_op(kd_cli_op kind, const kd_cli_opts *o, const char *cmd);
/* Prints a command's help followed by the connection flags and the exit codes. */
void kd_cli__put_help(const char *h);
/* Loads PACKAGE (folder, .tgz or a shipped name); *source describes where it came from. */
int kd_cli__load_package(kd_pkg **pkg, cJSON **source, const kd_cli_opts *o, const char *cmd);
/* Every -P of `o` read into memory, in order: "git:PATH" from the repository and commit of
 * `source` (an origin record, NULL for none), other names as files. Free with
 * kd_cli__param_texts_free(t, o->npfiles). */
int kd_cli__param_texts(kd_op_param_text **out, const cJSON *source, const kd_cli_opts *o);
void kd_cli__param_texts_free(kd_op_param_text *t, size_t n);

/* Prints a command's help, the connection flags and `exit_codes` (its own exit-code text). */
void kd_cli__put_help_codes(const char *h, const char *exit_codes);
/* The names of the packages kudoc ships (where `install NAME` finds them), sorted. *names is
 * an array of *n strings; free each and the array. */
void kd_cli__shipped_packages(char ***names, size_t *n);

/* ---- the command table (commands.c) ---- */
typedef struct {
	const char *path;    /* "install", "plan status", "package list params" */
	const char *args;    /* the positional argument's kind for completion ("package"), or NULL */
	const char *flags;   /* the flags it accepts, as kd_cli_parse's `accepted` */
	const char *summary;
} kd_cli_command;
/* The i-th command (NULL past the end). */
const kd_cli_command *kd_cli__command_at(size_t i);
/* The flags `path` accepts; "" for a command not in the table. */
const char *kd_cli__command_flags(const char *path);
/* A flag's description (NULL when it has none) and, in *value, how its value completes. */
const char *kd_cli__flag_help(const char *name, const char **value);
/* The i-th flag kd_cli_parse knows; false past the end. */
bool kd_cli__flag_at(size_t i, const char **name, const char **shortf, const char **longf, bool *takes_value);
/* The completion script for `shell` ("bash" or "zsh"; else a usage error). */
/* Each changed object of d as a unified diff from "live KIND NS/NAME" to "TO_SIDE KIND NS/NAME",
 * an object the change removes noted with `removed` (cmd_diff.c; diff and sync print drift so). */
int kd_cli__print_obj_diffs(kd_buf *out, const kd_plan_diff *d, const char *to_side, const char *removed,
	bool color);

int kd_cli__completion_script(kd_buf *out, const char *shell);

/* ---- progress (progress.c) ---- */
typedef struct kd_cli_progress kd_cli_progress;
kd_cli_progress *kd_cli__progress_new(FILE *out);
/* A kd_exec_observer; the payload is the kd_cli_progress. */
void kd_cli__progress_observer(void *payload, kd_exec_event ev, const kd_revision *rev, const char *line);
/* Stops redrawing; draws the final tree when show_tree. */
void kd_cli__progress_finish(kd_cli_progress *p, bool show_tree);
void kd_cli__progress_free(kd_cli_progress *p);
/* The package-source flags (accepted-flag names for kd_cli_parse, and their --help text). */
#define KD_CLI_SOURCE_FLAGS "git git-ref git-path git-credentials git-ssh-key git-known-hosts repo operator-version app-version"
extern const char kd_cli__source_help[];
void kd_cli__source_options(kd_source_options *so, const kd_cli_opts *o);
/* Loads the package of a command: its one PACKAGE argument, or --git. `cmd` names the command
 * in usage errors. origin may be NULL. */
int kd_cli__load_source(kd_pkg **pkg, kd_pkg_origin *origin, const kd_cli_opts *o, const char *cmd);
/* Parameters from the package's defaults, `previous` (may be NULL), every -P (git:PATH from
 * the origin's repository and commit) and every -p. */
int kd_cli__resolve_params(kd_params **out, const kd_pkg *pkg, const kd_pkg_origin *origin, const kd_cli_opts *o,
	const cJSON *previous);

/* `repo index`, `search`, `package create`: output into `out`. */
int kd_cli__package_create_run(kd_buf *out, const kd_cli_opts *o);
int kd_cli__search_run(kd_buf *out, const kd_cli_opts *o);

#endif
