/* What the cluster commands share: the kubeconfig flags, request logging for -v, Ctrl-C, the
 * exit code of a result, -o output of data. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/json.h"
#include "../base/yaml.h"
#include "cli.h"
#include "cli_internal.h"

volatile sig_atomic_t kd_cli_interrupted = 0;

static void on_signal(int sig)
{
	if (kd_cli_interrupted) {
		/* a second Ctrl-C: the user does not want to wait for the clean stop */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	kd_cli_interrupted = 1;
	static const char msg[] = "\nkubectl-kudo: interrupted: stopping (press Ctrl-C again to quit at once)\n";
	ssize_t n = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)n;
}

void kd_cli__catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void log_line(void *payload, const char *line)
{
	(void)payload;
	fprintf(stderr, "%s\n", line);
}

int kd_cli__connect(kd_kube_config **cfg, kd_kube_client_options *copts, const kd_cli_opts *o)
{
	kd_kube_config_options co = KD_KUBE_CONFIG_OPTIONS_INIT;
	kd_kube_client_options def = KD_KUBE_CLIENT_OPTIONS_INIT;
	co.kubeconfig = o->kubeconfig;
	co.context = o->context;
	co.namespace_ = o->namespace;
	co.cluster = o->cluster;
	co.user = o->user;
	*copts = def;
	copts->verbosity = o->verbosity;
	copts->log = log_line;
	copts->cancel = &kd_cli_interrupted;
	return kd_kube_config_load(cfg, &co);
}

int kd_cli__timeout_ms(long *out, const kd_cli_opts *o, long dflt_ms)
{
	*out = dflt_ms;
	if (!o->timeout)
		return 0;
	int64_t ns = 0;
	if (kd_duration_parse(&ns, o->timeout) != 0 || ns <= 0)
		return kd_cli_usage("--timeout %s: not a duration (write it as 90s, 10m or 1h30m)", o->timeout);
	*out = (long)(ns / 1000000);
	if (*out < 1)
		*out = 1;
	return 0;
}

int kd_cli__exit_code(int rc)
{
	switch (rc) {
	case 0:
		return KD_EXIT_OK;
	case KD_EUSAGE:
		return KD_EXIT_USAGE;
	case KD_ETIMEOUT:
		return KD_EXIT_TIMEOUT;
	case KD_ELOCKED:
		return KD_EXIT_LOCKED;
	case KD_ECANCELED:
		return KD_EXIT_INTERRUPTED;
	default:
		return KD_EXIT_FAILURE;
	}
}

int kd_cli__check_output(const kd_cli_opts *o)
{
	if (o->output && strcmp(o->output, "yaml") != 0 && strcmp(o->output, "json") != 0)
		return kd_cli_usage("-o %s: the output formats are yaml and json", o->output);
	return 0;
}

int kd_cli__print_data(const kd_cli_opts *o, const cJSON *v)
{
	kd_buf b = KD_BUF_INIT;
	int rc = 0;
	if (strcmp(o->output, "json") == 0) {
		char *t = cJSON_Print(v);
		kd_buf_puts(&b, t);
		kd_buf_putc(&b, '\n');
		free(t);
	} else {
		rc = kd_yaml_emit(&b, v);
	}
	if (!rc)
		rc = kd_cli__write_stdout(b.ptr ? b.ptr : "", b.len);
	kd_buf_free(&b);
	return rc;
}

int kd_cli__write_stdout(const char *data, size_t len)
{
	if ((len && fwrite(data, 1, len, stdout) != len) || fflush(stdout) != 0)
		return kd_error_set_os(errno ? errno : EIO, "writing to standard output");
	return 0;
}

/* kube/names.c's DNS-1123 label rule. An instance name becomes label values and Secret and
 * Lease names: the namespace rule fits all of them. The message shows the value escaped. */
int kd_cli__check_label(const char *flag, const char *what, const char *value)
{
	char why[768];
	if (kd_kube_check_namespace(why, sizeof(why), value ? value : "") == 0)
		return 0;
	/* kube's message: namespace "SHOWN" is not valid: WHY; a namespace must be RULE. Said as
	 * "FLAG: WHAT must be RULE; "SHOWN" is not valid: WHY". */
	static const char head[] = "namespace ", tail[] = "; a namespace must ";
	const char *must = strstr(why, tail);
	if (strncmp(why, head, strlen(head)) == 0 && must)
		kd_cli_usage("%s: %s must %s; %.*s", flag, what, must + strlen(tail), (int)(must - why - strlen(head)),
			why + strlen(head));
	else
		kd_cli_usage("%s: %s", flag, why);
	return KD_EUSAGE;
}

int kd_cli__check_names(const kd_cli_opts *o)
{
	if (o->instance && kd_cli__check_label("--instance", "an instance name", o->instance))
		return KD_EUSAGE;
	if (o->namespace && kd_cli__check_label("-n/--namespace", "a namespace", o->namespace))
		return KD_EUSAGE;
	return 0;
}
