#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct {
	const char *name; /* as in `accepted` */
	const char *shortf;
	const char *longf;
	bool takes_value;
} flag_def;

static const flag_def flags[] = {
	{"instance", NULL, "--instance", true},
	{"namespace", "-n", "--namespace", true},
	{"plan", NULL, "--plan", true},
	{"p", "-p", "--parameter", true},
	{"P", "-P", "--parameter-file", true},
	{"output", "-o", "--output", true},
};

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
	if (strcmp(f->name, "instance") == 0)
		o->instance = v;
	else if (strcmp(f->name, "namespace") == 0)
		o->namespace = v;
	else if (strcmp(f->name, "plan") == 0)
		o->plan = v;
	else if (strcmp(f->name, "p") == 0)
		push(&o->pflags, &o->npflags, v);
	else if (strcmp(f->name, "P") == 0)
		push(&o->pfiles, &o->npfiles, v);
	else if (strcmp(f->name, "output") == 0)
		o->output = v;
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
			o->verbosity = eq ? (int)strtol(eq + 1, NULL, 10) : o->verbosity + 1;
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
	fprintf(stderr, "kubectl-kudo: %s\n", m ? m : "failed");
	switch (rc) {
	case KD_EUSAGE:
		return KD_EXIT_USAGE;
	case KD_ETIMEOUT:
		return KD_EXIT_TIMEOUT;
	default:
		return KD_EXIT_FAILURE;
	}
}

int kd_cli_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kd_error_vset(KD_ERR_USAGE, fmt, ap);
	va_end(ap);
	return KD_EUSAGE;
}
