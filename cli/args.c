#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_internal.h"

typedef enum {
	F_VALUE, /* const char * */
	F_LIST,  /* -p / -P: appended */
	F_BOOL,  /* bool; --x=false turns it off */
} flag_kind;

typedef struct {
	const char *name; /* as in `accepted` */
	const char *shortf;
	const char *longf;
	flag_kind kind;
	size_t off; /* of the field in kd_cli_opts */
} flag_def;

#define V(name, s, l, field) {name, s, l, F_VALUE, offsetof(kd_cli_opts, field)}
#define B(name, s, l, field) {name, s, l, F_BOOL, offsetof(kd_cli_opts, field)}

static const flag_def flags[] = {
	V("instance", NULL, "--instance", instance),
	V("namespace", "-n", "--namespace", namespace),
	V("plan", NULL, "--plan", plan),
	{"p", "-p", "--parameter", F_LIST, 0},
	{"P", "-P", "--parameter-file", F_LIST, 0},
	V("output", "-o", "--output", output),
	V("kubeconfig", NULL, "--kubeconfig", kubeconfig),
	V("context", NULL, "--context", context),
	V("cluster", NULL, "--cluster", cluster),
	V("user", NULL, "--user", user),
	V("timeout", NULL, "--timeout", timeout),
	V("history-max", NULL, "--history-max", history_max),
	V("revision", NULL, "--revision", revision),
	V("name", NULL, "--name", name),
	B("atomic", NULL, "--atomic", atomic),
	B("dry-run", NULL, "--dry-run", dry_run),
	B("create-namespace", NULL, "--create-namespace", create_namespace),
	B("force-conflicts", NULL, "--force-conflicts", force_conflicts),
	B("force", NULL, "--force", force),
	B("keep-history", NULL, "--keep-history", keep_history),
	B("delete-crds", NULL, "--delete-crds", delete_crds),
	B("wait", NULL, "--wait", wait),
	B("all-namespaces", "-A", "--all-namespaces", all_namespaces),
	V("lock", NULL, "--lock", lock),
	V("kind", NULL, "--kind", kind),
	B("failover", NULL, "--failover", failover),
	V("git", NULL, "--git", git),
	V("git-ref", NULL, "--git-ref", git_ref),
	V("git-path", NULL, "--git-path", git_path),
	V("git-credentials", NULL, "--git-credentials", git_credentials),
	V("git-ssh-key", NULL, "--git-ssh-key", git_ssh_key),
	V("git-known-hosts", NULL, "--git-known-hosts", git_known_hosts),
	V("repo", NULL, "--repo", repo),
	V("operator-version", NULL, "--operator-version", operator_version),
	V("app-version", NULL, "--app-version", app_version),
	V("destination", "-d", "--destination", destination),
	V("url", NULL, "--url", url),
	V("merge", NULL, "--merge", merge),
	B("overwrite", "-w", "--overwrite", overwrite),
	B("skip-check", NULL, "--skip-check", skip_check),
	B("all-versions", "-a", "--all-versions", all_versions),
	V("interval", NULL, "--interval", interval),
	B("repair", NULL, "--repair", repair),
};

bool kd_cli__flag_at(size_t i, const char **name, const char **shortf, const char **longf, bool *takes_value)
{
	if (i >= KD_ARRAY_SIZE(flags))
		return false;
	*name = flags[i].name;
	*shortf = flags[i].shortf;
	*longf = flags[i].longf;
	*takes_value = flags[i].kind != F_BOOL;
	return true;
}

static bool accepts(const char *accepted, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = accepted; p && *p;) {
		const char *e = strchr(p, ' ');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

static void push(const char ***arr, size_t *n, const char *v)
{
	*arr = kd_realloc((void *)*arr, (*n + 1) * sizeof(**arr));
	(*arr)[(*n)++] = v;
}

static void set(kd_cli_opts *o, const flag_def *f, const char *v)
{
	if (f->kind == F_LIST) {
		if (strcmp(f->name, "p") == 0)
			push(&o->pflags, &o->npflags, v);
		else
			push(&o->pfiles, &o->npfiles, v);
	} else if (f->kind == F_VALUE) {
		*(const char **)((char *)o + f->off) = v;
	}
}

int kd_cli_parse(kd_cli_opts *o, int argc, char **argv, const char *accepted)
{
	memset(o, 0, sizeof(*o));
	bool only_args = false;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (only_args || a[0] != '-' || strcmp(a, "-") == 0) {
			push(&o->args, &o->nargs, a);
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_args = true;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			o->help = true;
			continue;
		}
		if (strcmp(a, "-v") == 0 || strncmp(a, "-v=", 3) == 0 || strncmp(a, "--v=", 4) == 0) {
			const char *eq = strchr(a, '=');
			const char *num = eq ? eq + 1 : NULL;
			/* -v, -v=N, --v=N, and kubectl's -v N */
			if (!num && i + 1 < argc && argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9' &&
				strspn(argv[i + 1], "0123456789") == strlen(argv[i + 1]))
				num = argv[++i];
			o->verbosity = num ? (int)strtol(num, NULL, 10) : o->verbosity + 1;
			continue;
		}
		const flag_def *f = NULL;
		const char *value = NULL;
		for (size_t k = 0; k < KD_ARRAY_SIZE(flags) && !f; k++) {
			const flag_def *d = &flags[k];
			size_t ll = strlen(d->longf);
			if (strcmp(a, d->longf) == 0 || (d->shortf && strcmp(a, d->shortf) == 0)) {
				f = d;
			} else if (strncmp(a, d->longf, ll) == 0 && a[ll] == '=') {
				f = d;
				value = a + ll + 1;
			} else if (d->shortf && strlen(d->shortf) == 2 && strncmp(a, d->shortf, 2) == 0 && a[2]) {
				f = d; /* -pname=value, -nNS */
				value = a[2] == '=' ? a + 3 : a + 2;
			}
		}
		if (!f || !accepts(accepted, f->name))
			return kd_cli_usage("unknown flag %s", a);
		if (f->kind == F_BOOL) {
			bool on = true;
			if (value && strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
				return kd_cli_usage("flag %s takes true or false, not \"%s\"", f->longf, value);
			if (value && strcmp(value, "false") == 0)
				on = false;
			*(bool *)((char *)o + f->off) = on;
			continue;
		}
		if (!value) {
			if (i + 1 >= argc)
				return kd_cli_usage("flag %s needs a value", a);
			value = argv[++i];
		}
		set(o, f, value);
	}
	return 0;
}

void kd_cli_opts_free(kd_cli_opts *o)
{
	free((void *)o->pflags);
	free((void *)o->pfiles);
	free((void *)o->args);
	memset(o, 0, sizeof(*o));
}

int kd_cli_fail(int rc)
{
	const char *m = kd_error_last();
	/* Messages quote packages, files and flags: control characters (ESC, OSC, BEL, ...) are
	 * shown escaped so that none reaches the terminal as a command. */
	fputs("kubectl-kudo: ", stderr);
	for (const unsigned char *c = (const unsigned char *)(m ? m : "failed"); *c; c++) {
		if ((*c < 0x20 && *c != '\n' && *c != '\t') || *c == 0x7f)
			fprintf(stderr, "\\x%02x", *c);
		else if (*c == 0xc2 && c[1] >= 0x80 && c[1] < 0xa0) /* C1 controls, U+0080-U+009F */
			fprintf(stderr, "\\u%04x", *++c);
		else
			fputc(*c, stderr);
	}
	fputc('\n', stderr);
	return kd_cli__exit_code(rc);
}

int kd_cli_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kd_error_vset(KD_ERR_USAGE, fmt, ap);
	va_end(ap);
	return KD_EUSAGE;
}

int kd_cli__close_stdout(int exit_code)
{
	errno = 0;
	if (fclose(stdout) != 0 && exit_code == KD_EXIT_OK) {
		fprintf(stderr, "kubectl-kudo: writing the output: %s\n", strerror(errno ? errno : EIO));
		return KD_EXIT_FAILURE;
	}
	return exit_code;
}
