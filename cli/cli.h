/* cli: the kubectl-kudo command line. Each command is a file cmd_*.c with one entry point. */
#ifndef KD_CLI_H
#define KD_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>

#include "../base/base.h"

/* Exit codes, documented in README.md and every command's --help. */
enum {
	KD_EXIT_OK = 0,
	KD_EXIT_FAILURE = 1,
	KD_EXIT_USAGE = 2,
	KD_EXIT_TIMEOUT = 3,
	KD_EXIT_LOCKED = 4,
	/* sync: what one run found (README.md, `sync --help`) */
	KD_EXIT_SYNC_APPLIED = 5, /* a change from git, or a repair, was applied */
	KD_EXIT_SYNC_DRIFTED = 6, /* live objects differ from the revision; reported, not repaired */
	KD_EXIT_SYNC_PENDING = 7, /* git has a change sync applies only with --force */
	KD_EXIT_INTERRUPTED = 130, /* Ctrl-C / SIGTERM: the plan stopped cleanly and can be resumed */
};

/* Parsed flags common to commands. Strings are borrowed from argv. */
typedef struct {
	const char *instance;
	const char *namespace;
	const char *plan;
	const char **pflags; /* -p name=value, in order */
	size_t npflags;
	const char **pfiles; /* -P file, in order */
	size_t npfiles;
	const char **args; /* positional arguments */
	size_t nargs;
	int verbosity;
	bool help;
	const char *output; /* -o */
	/* cluster connection, as kubectl takes them */
	const char *kubeconfig, *context, *cluster, *user;
	/* lifecycle */
	const char *timeout;     /* Go duration */
	const char *history_max;
	const char *revision;
	const char *name;        /* plan trigger --name */
	bool atomic, dry_run, create_namespace, force_conflicts, force, keep_history, delete_crds, wait,
		all_namespaces;
	/* verify leader */
	const char *lock; /* --lock [NS/]NAME */
	const char *kind; /* --kind configmap|lease */
	bool failover;    /* --failover */
	/* package sources (kd_source_options) */
	const char *git, *git_ref, *git_path;                 /* --git --git-ref --git-path */
	const char *git_credentials, *git_ssh_key, *git_known_hosts;
	const char *repo;                                     /* --repo NAME */
	const char *operator_version, *app_version;           /* --operator-version --app-version */
	/* package create, repo index */
	const char *destination; /* -d, --destination */
	const char *url;         /* --url */
	const char *merge;       /* --merge */
	bool overwrite;          /* -w, --overwrite */
	bool skip_check;         /* --skip-check (repo add) */
	bool all_versions;       /* -a, --all-versions (search) */
	/* sync */
	const char *interval; /* --interval DURATION */
	bool repair;          /* --repair */
} kd_cli_opts;

/* Which flags a command accepts: a string of flag names separated by spaces, e.g.
 * "instance namespace p P plan". Boolean flags (failover) take no value; --flag=true|false
 * also works. */
int kd_cli_parse(kd_cli_opts *o, int argc, char **argv, const char *accepted);
void kd_cli_opts_free(kd_cli_opts *o);

/* Sets a usage error (class KD_ERR_USAGE) and returns KD_EUSAGE. */
int kd_cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints the last error as "kubectl-kudo: <message>" (control characters escaped) and returns
 * the exit code for rc. */
int kd_cli_fail(int rc);

/* Ctrl-C and SIGTERM set this (the commands that change a cluster install the handler). */
extern volatile sig_atomic_t kd_cli_interrupted;

int kd_cmd_template(int argc, char **argv);
int kd_cmd_install(int argc, char **argv);
int kd_cmd_update(int argc, char **argv);
int kd_cmd_upgrade(int argc, char **argv);
int kd_cmd_rollback(int argc, char **argv);
int kd_cmd_uninstall(int argc, char **argv);
int kd_cmd_plan(int argc, char **argv);
int kd_cmd_get(int argc, char **argv);
int kd_cmd_diff(int argc, char **argv);
int kd_cmd_completion(int argc, char **argv);
int kd_cmd_package(int argc, char **argv);
int kd_cmd_version(int argc, char **argv);
int kd_cmd_verify(int argc, char **argv);
int kd_cmd_repo(int argc, char **argv);
int kd_cmd_search(int argc, char **argv);
int kd_cmd_sync(int argc, char **argv);

#endif
