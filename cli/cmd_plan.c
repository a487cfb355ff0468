/* plan status|history|trigger|resume and get instances: reading revision records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../base/json.h"
#include "../plans/plans.h"
#include "cli.h"
#include "cli_internal.h"


static const char plan_help[] =
	"Usage: kubectl-kudo plan status|history|trigger|resume --instance NAME [flags]\n"
	"\n"
	"  plan status --instance NAME [--revision N] [--wait]\n"
	"      the plan of the latest (or given) revision as a tree: plan, phases, steps, tasks,\n"
	"      with status, message and times; --wait redraws it until the plan ends\n"
	"  plan history --instance NAME\n"
	"      every revision: number, operation, operator version, plan, status, start, end, changes\n"
	"  plan trigger --instance NAME --name PLAN\n"
	"      runs a plan of the installed package with the current parameters, as a new revision\n"
	"  plan resume --instance NAME\n"
	"      continues the latest revision at its first step that is not COMPLETE\n"
	"\n"
	"Examples:\n"
	"  kubectl kudo plan status --instance spark-instance -n spark-operator\n"
	"  kubectl kudo plan history --instance spark-instance -n spark-operator -o yaml\n"
	"\n"
	"Flags:\n"
	"      --instance NAME       the instance (required)\n"
	"      --revision N          plan status: this revision instead of the latest\n"
	"      --wait                plan status: keep showing it until the plan ends\n"
	"      --name PLAN           plan trigger: the plan to run\n"
	"      --timeout DURATION    trigger, resume: how long the plan may take (default 10m)\n"
	"  -o, --output yaml|json    status, history: print the records as data\n";

static const char get_help[] =
	"Usage: kubectl-kudo get instances [-n NS | -A] [flags]\n"
	"\n"
	"Lists the instances kudoc installed: name, operator, version, revision, plan and status.\n"
	"\n"
	"Example:\n"
	"  kubectl kudo get instances -A\n"
	"\n"
	"Flags:\n"
	"  -A, --all-namespaces      every namespace\n"
	"  -o, --output yaml|json    the newest revision record of each instance, as data\n";

static int open_client(kd_kube_config **cfg, kd_kube_client **c, const kd_cli_opts *o)
{
	kd_kube_client_options co;
	int rc = kd_cli__connect(cfg, &co, o);
	if (!rc)
		rc = kd_kube_client_new(c, *cfg, &co);
	return rc;
}

static void fmt_time(char *b, size_t n, int64_t us)
{
	if (!us) {
		snprintf(b, n, "-");
		return;
	}
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(b, n, "%Y-%m-%d %H:%M:%S", &tm);
}

/* The tree KUDO's plan status prints: the active plan in full, the package's other plans as
 * NOT ACTIVE. */
static int print_status(kd_buf *out, kd_kube_client *c, kd_revision *rev, bool color)
{
	kd_plan_status_print_options po = {0};
	kd_buf ver = KD_BUF_INIT;
	kd_buf_printf(&ver, "%s-%s", rev->operator_name ? rev->operator_name : "",
		rev->operator_version ? rev->operator_version : "");
	po.instance = rev->instance;
	po.operator_version = kd_buf_cstr(&ver);
	po.tasks = true;
	po.color = color;
	if (rev->status && rev->status->h.state == KD_EXEC_IN_PROGRESS) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		po.now_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	}
	if (rev->uninstalled_us) {
		char t[40];
		time_t sec = (time_t)(rev->uninstalled_us / 1000000);
		struct tm tm;
		gmtime_r(&sec, &tm);
		strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm);
		kd_buf_printf(out, "Instance \"%s\" in namespace \"%s\" was uninstalled at %s; its history was kept "
				   "(install it again, or roll back to a revision).\n",
			rev->instance, rev->namespace_, t);
	}
	kd_buf_printf(out, "Plan(s) for \"%s\" in namespace \"%s\" (revision %ld, %s):\n", rev->instance,
		rev->namespace_, rev->number, rev->operation ? rev->operation : "");
	int rc = rev->status ? kd_plan_status_print(out, rev->status, &po) : 0;
	kd_pkg *pkg = NULL;
	if (rc == 0 && kd_revision_package(&pkg, c, rev) == 0) {
		for (size_t i = 0; i < pkg->nplans; i++) {
			const kd_pkg_plan *pl = &pkg->plans[i];
			if (strcmp(pl->name.str, rev->plan) == 0)
				continue;
			kd_buf_printf(out, "    Plan %s (%s strategy) [NOT ACTIVE]\n", pl->name.str,
				pl->strategy == KD_STRATEGY_SERIAL ? "serial" : "parallel");
		}
	}
	kd_error_clear();
	kd_pkg_free(pkg);
	if (rev->status && (rev->status->h.started_us || rev->status->h.finished_us)) {
		char a[64], b[64];
		fmt_time(a, sizeof(a), rev->status->h.started_us);
		fmt_time(b, sizeof(b), rev->status->h.finished_us);
		kd_buf_printf(out, "started %s, finished %s\n", a, b);
	}
	kd_buf_free(&ver);
	return rc ? rc : kd_buf_check(out, "plan status");
}

static int cmd_status(const kd_cli_opts *o)
{
	kd_kube_config *cfg = NULL;
	kd_kube_client *c = NULL;
	kd_revision *rev = NULL;
	long number = 0;
	int rc = kd_cli__check_output(o);
	if (!rc && !o->instance)
		rc = kd_cli_usage("plan status needs --instance NAME");
	if (!rc && o->revision) {
		char *end = NULL;
		number = strtol(o->revision, &end, 10);
		if (!end || *end || number <= 0)
			rc = kd_cli_usage("--revision %s: not a revision number", o->revision);
	}
	if (!rc)
		rc = open_client(&cfg, &c, o);
	if (rc)
		goto done;
	const char *ns = o->namespace ? o->namespace : kd_kube_client_namespace(c);
	bool tty = isatty(STDOUT_FILENO) && getenv("TERM") && strcmp(getenv("TERM"), "dumb") != 0;
	int drawn = 0;
	kd_cli__catch_signals();
	for (;;) {
		kd_revision_free(rev);
		rev = NULL;
		if ((rc = kd_revision_load(&rev, c, ns, o->instance, number)))
			goto done;
		if (o->output) {
			cJSON *j = kd_revision_to_json(rev);
			rc = kd_cli__print_data(o, j);
			cJSON_Delete(j);
			goto done;
		}
		kd_buf b = KD_BUF_INIT;
		if (drawn)
			kd_buf_printf(&b, "\033[%dA\r\033[J", drawn);
		size_t start = b.len;
		rc = print_status(&b, c, rev, tty);
		drawn = 0;
		for (size_t i = start; i < b.len; i++)
			drawn += b.ptr[i] == '\n';
		if (!rc)
			rc = kd_cli__write_stdout(b.ptr ? b.ptr : "", b.len);
		kd_buf_free(&b);
		if (rc)
			goto done;
		bool ended = !rev->status || rev->status->h.state == KD_EXEC_COMPLETE ||
			rev->status->h.state == KD_EXEC_FATAL_ERROR;
		if (!o->wait || ended)
			break;
		if (!tty)
			drawn = 0; /* not a terminal: print the tree again below */
		for (int i = 0; i < 10 && !kd_cli_interrupted; i++)
			usleep(100000);
		if (kd_cli_interrupted) {
			kd_error_set(KD_ERR_PLAN, "interrupted");
			rc = KD_ECANCELED;
			goto done;
		}
	}
	if (o->wait && rev->status && rev->status->h.state == KD_EXEC_FATAL_ERROR)
		rc = kd_error_set(KD_ERR_PLAN, "plan %s of revision %ld ended in FATAL_ERROR", rev->plan, rev->number);
done:
	kd_revision_free(rev);
	kd_kube_client_free(c);
	kd_kube_config_free(cfg);
	return rc;
}

static void changed_list(kd_buf *b, const kd_revision *r)
{
	const cJSON *v;
	bool first = true;
	if (r->rollback_of)
		kd_buf_printf(b, "rollback to %ld", r->rollback_of), first = false;
	cJSON_ArrayForEach(v, r->changed)
	{
		if (!cJSON_IsString(v))
			continue;
		kd_buf_printf(b, "%s%s", first ? "" : ",", v->valuestring);
		first = false;
	}
	if (first)
		kd_buf_puts(b, "-");
}

static int cmd_history(const kd_cli_opts *o)
{
	kd_kube_config *cfg = NULL;
	kd_kube_client *c = NULL;
	kd_revision **v = NULL;
	size_t n = 0;
	kd_buf out = KD_BUF_INIT;
	int rc = kd_cli__check_output(o);
	if (!rc && !o->instance)
		rc = kd_cli_usage("plan history needs --instance NAME");
	if (!rc)
		rc = open_client(&cfg, &c, o);
	if (rc)
		goto done;
	const char *ns = o->namespace ? o->namespace : kd_kube_client_namespace(c);
	if ((rc = kd_revision_list(&v, &n, c, ns, o->instance)))
		goto done;
	if (n == 0) {
		rc = kd_error_set(KD_ERR_PLAN, "instance %s/%s does not exist (no revision records)", ns, o->instance);
		rc = KD_ENOTFOUND;
		goto done;
	}
	if (o->output) {
		cJSON *arr = cJSON_CreateArray();
		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(arr, kd_revision_to_json(v[i]));
		cJSON *list = cJSON_CreateObject();
		cJSON_AddStringToObject(list, "apiVersion", "kudoc.dev/v1");
		cJSON_AddStringToObject(list, "kind", "RevisionList");
		cJSON_AddItemToObject(list, "items", arr);
		rc = kd_cli__print_data(o, list);
		cJSON_Delete(list);
		goto done;
	}
	kd_buf_printf(&out, "%-9s %-10s %-16s %-9s %-12s %-19s  %-19s  %s\n", "REVISION", "OPERATION", "VERSION", "PLAN",
		"STATUS", "STARTED", "FINISHED", "CHANGED");
	for (size_t i = 0; i < n; i++) {
		kd_revision *r = v[i];
		char a[64], b[64];
		kd_buf ch = KD_BUF_INIT;
		fmt_time(a, sizeof(a), r->status ? r->status->h.started_us : 0);
		fmt_time(b, sizeof(b), r->status ? r->status->h.finished_us : 0);
		changed_list(&ch, r);
		const char *commit = kd_json_get_str(r->source, "commit");
		kd_buf_printf(&out, "%-9ld %-10s %-16s %-9s %-12s %-19s  %-19s  %s", r->number, r->operation ? r->operation : "",
			r->operator_version ? r->operator_version : "", r->plan,
			r->status ? kd_exec_state_name(r->status->h.state) : "NEVER_RUN", a, b, kd_buf_cstr(&ch));
		if (commit)
			kd_buf_printf(&out, " (commit %.12s)", commit);
		kd_buf_putc(&out, '\n');
		kd_buf_free(&ch);
		/* `sync --repair` of this revision: when, and what it put back */
		const cJSON *rp;
		cJSON_ArrayForEach(rp, r->repairs)
		{
			kd_buf_printf(&out, "%-9s repaired %s by %s:", "", kd_json_get_str(rp, "time") ? kd_json_get_str(rp, "time") : "?",
				kd_json_get_str(rp, "by") ? kd_json_get_str(rp, "by") : "sync");
			const cJSON *ob;
			bool first = true;
			cJSON_ArrayForEach(ob, kd_json_get(rp, "objects"))
			{
				const char *ons = kd_json_get_str(ob, "namespace");
				kd_buf_printf(&out, "%s %s %s%s%s (%s)", first ? "" : ",", kd_json_get_str(ob, "kind") ? kd_json_get_str(ob, "kind") : "?",
					ons ? ons : "", ons ? "/" : "", kd_json_get_str(ob, "name") ? kd_json_get_str(ob, "name") : "?",
					kd_json_get_str(ob, "change") ? kd_json_get_str(ob, "change") : "?");
				first = false;
			}
			kd_buf_putc(&out, '\n');
		}
	}
	rc = kd_buf_check(&out, "plan history");
	if (!rc)
		rc = kd_cli__write_stdout(out.ptr ? out.ptr : "", out.len);
done:
	kd_revision_list_free(v, n);
	kd_buf_free(&out);
	kd_kube_client_free(c);
	kd_kube_config_free(cfg);
	return rc;
}

static void age(char *b, size_t n, int64_t us)
{
	if (!us) {
		snprintf(b, n, "-");
		return;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t d = ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 - us) / 1000000;
	if (d < 0)
		d = 0;
	if (d < 120)
		snprintf(b, n, "%lds", (long)d);
	else if (d < 7200)
		snprintf(b, n, "%ldm", (long)(d / 60));
	else if (d < 172800)
		snprintf(b, n, "%ldh", (long)(d / 3600));
	else
		snprintf(b, n, "%ldd", (long)(d / 86400));
}

static int cmd_get(int argc, char **argv)
{
	kd_cli_opts o;
	kd_kube_config *cfg = NULL;
	kd_kube_client *c = NULL;
	kd_revision **v = NULL;
	size_t n = 0;
	kd_buf out = KD_BUF_INIT;
	int rc = kd_cli_parse(&o, argc, argv, kd_cli__command_flags("get instances"));
	if (rc)
		goto done;
	if (o.help) {
		kd_cli__put_help(get_help);
		goto done;
	}
	if (o.nargs != 1 || (strcmp(o.args[0], "instances") != 0 && strcmp(o.args[0], "instance") != 0)) {
		rc = kd_cli_usage("get knows one kind: kubectl-kudo get instances [-n NS | -A]");
		goto done;
	}
	if ((rc = kd_cli__check_output(&o)) || (rc = open_client(&cfg, &c, &o)))
		goto done;
	const char *ns = o.all_namespaces ? NULL : o.namespace ? o.namespace : kd_kube_client_namespace(c);
	if ((rc = kd_revision_list_instances(&v, &n, c, ns)))
		goto done;
	if (o.output) {
		cJSON *arr = cJSON_CreateArray();
		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(arr, kd_revision_to_json(v[i]));
		cJSON *list = cJSON_CreateObject();
		cJSON_AddStringToObject(list, "apiVersion", "kudoc.dev/v1");
		cJSON_AddStringToObject(list, "kind", "RevisionList");
		cJSON_AddItemToObject(list, "items", arr);
		rc = kd_cli__print_data(&o, list);
		cJSON_Delete(list);
		goto done;
	}
	if (n == 0) {
		if (ns)
			fprintf(stderr, "No instances found in namespace %s.\n", ns);
		else
			fprintf(stderr, "No instances found.\n");
		goto done;
	}
	if (!ns)
		kd_buf_printf(&out, "%-20s ", "NAMESPACE");
	kd_buf_printf(&out, "%-24s %-16s %-12s %-9s %-9s %-12s %s\n", "NAME", "OPERATOR", "VERSION", "REVISION", "PLAN",
		"STATUS", "AGE");
	for (size_t i = 0; i < n; i++) {
		kd_revision *r = v[i];
		char a[32];
		age(a, sizeof(a), r->created_us);
		if (!ns)
			kd_buf_printf(&out, "%-20s ", r->namespace_);
		kd_buf_printf(&out, "%-24s %-16s %-12s %-9ld %-9s %-12s %s\n", r->instance,
			r->operator_name ? r->operator_name : "", r->operator_version ? r->operator_version : "", r->number,
			r->plan,
			r->uninstalled_us ? "UNINSTALLED" : r->status ? kd_exec_state_name(r->status->h.state) : "NEVER_RUN", a);
	}
	rc = kd_buf_check(&out, "instances");
	if (!rc)
		rc = kd_cli__write_stdout(out.ptr ? out.ptr : "", out.len);
done:
	kd_revision_list_free(v, n);
	kd_buf_free(&out);
	kd_kube_client_free(c);
	kd_kube_config_free(cfg);
	kd_cli_opts_free(&o);
	if (rc)
		return kd_cli_fail(rc);
	return KD_EXIT_OK;
}

int kd_cmd_get(int argc, char **argv)
{
	return cmd_get(argc, argv);
}

int kd_cmd_plan(int argc, char **argv)
{
	kd_cli_opts o;
	const char *sub = argc > 0 ? argv[0] : NULL;
	int rc;
	if (!sub || strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0) {
		kd_cli__put_help(plan_help);
		return sub ? KD_EXIT_OK : KD_EXIT_USAGE;
	}
	if (strcmp(sub, "status") != 0 && strcmp(sub, "history") != 0 && strcmp(sub, "trigger") != 0 &&
		strcmp(sub, "resume") != 0) {
		kd_cli_usage("unknown plan command \"%s\" (status, history, trigger, resume)", sub);
		return kd_cli_fail(KD_EUSAGE);
	}
	char path[32];
	snprintf(path, sizeof(path), "plan %s", sub);
	const char *accepted = kd_cli__command_flags(path);
	rc = kd_cli_parse(&o, argc - 1, argv + 1, accepted);
	if (rc == 0 && o.help) {
		kd_cli__put_help(plan_help);
		kd_cli_opts_free(&o);
		return KD_EXIT_OK;
	}
	if (rc == 0 && o.nargs)
		rc = kd_cli_usage("plan %s takes no arguments", sub);
	if (rc == 0 && (rc = kd_cli__check_names(&o)) == 0) {
		if (strcmp(sub, "status") == 0)
			rc = cmd_status(&o);
		else if (strcmp(sub, "history") == 0)
			rc = cmd_history(&o);
		else if (strcmp(sub, "trigger") == 0)
			rc = kd_cli__run_op(OP_TRIGGER, &o, "plan trigger");
		else
			rc = kd_cli__run_op(OP_RESUME, &o, "plan resume");
	}
	kd_cli_opts_free(&o);
	return rc ? kd_cli_fail(rc) : KD_EXIT_OK;
}
