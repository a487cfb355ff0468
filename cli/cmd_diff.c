/* diff: what an upgrade or update would change, object by object, against the live objects.
 * Nothing is written: the parameters resolve as the operation resolves them (plans/'s preview),
 * every object is dry-run applied on the server and compared with what is there. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/json.h"
#include "../operator/operator.h"
#include "../plans/plans.h"
#include "cli.h"
#include "cli_internal.h"

static const char diff_help[] =
	"Usage: kubectl-kudo diff [PACKAGE] --instance NAME [flags]\n"
	"\n"
	"Shows what `upgrade PACKAGE` (PACKAGE holds another operator version than the instance runs)\n"
	"or `update` (the same version, or no PACKAGE: new -p/-P values) would change, object by\n"
	"object, against the live objects. Parameters resolve as upgrade and update resolve them: the\n"
	"values you set before are kept. Each object the plan applies is dry-run applied on the server\n"
	"(server-side apply with dryRun=All: nothing is written) and compared with the live one, both\n"
	"printed as YAML with sorted keys, as a unified diff (3 lines of context). New objects show as\n"
	"all added; objects the plan deletes, and objects the new revision no longer has (pruned once\n"
	"its plan is COMPLETE), as all removed. Unchanged objects are only counted. The last line sums\n"
	"up: \"3 changed, 1 added, 1 removed, 12 unchanged\".\n"
	"\n"
	"Left out on both sides, because the server writes them on its own and they would only be\n"
	"noise: metadata.managedFields (which manager set which field, and when), resourceVersion and\n"
	"generation (they change with every write), uid and creationTimestamp (given once the object\n"
	"is stored, so a new object's dry run invents them), selfLink, status (what controllers\n"
	"observe, not what is applied), and kudoc's annotation kudoc.dev/revision (every object of a\n"
	"new revision gets the new number). A Secret's values are never printed: each key of data and\n"
	"stringData shows as <redacted>, or <redacted, changed> on the after side.\n"
	"\n"
	"Examples:\n"
	"  kubectl kudo diff ./spark-1.2.0 --instance spark-instance -n spark-operator\n"
	"  kubectl kudo diff --instance spark-instance -n spark-operator -p replicas=5\n"
	"\n"
	"Flags:\n"
	"      --instance NAME       the instance (required)\n"
	"  -p, --parameter NAME=VALUE  a parameter value (repeatable; YAML for array/map parameters)\n"
	"  -P, --parameter-file FILE   a YAML map of parameter values (repeatable; -p wins)\n"
	"      --force               diff a downgrade, or an upgrade to the installed version (as\n"
	"                            upgrade --force would run it)\n"
	"      --force-conflicts     dry-run taking over fields other managers own (as the command would\n"
	"                            with --force-conflicts)\n"
	"  -o, --output yaml|json    the changes as data (live, after and the diff of each object)\n";

static const char diff_exit_help[] =
	"\n"
	"Exit codes (as diff(1) and kubectl diff): 0 nothing would change, 1 something would change,\n"
	"2 usage error or failure, 3 a request timed out, 130 interrupted.\n";

/* Where the instance stands and what would run, for the first line and -o. */
static void describe(kd_buf *b, const kd_op_preview *pv)
{
	const kd_revision *last = pv->nrevs ? pv->revs[pv->nrevs - 1] : NULL;
	const kd_revision *n = pv->next;
	kd_buf_printf(b, "%s of instance %s in namespace %s", pv->upgrade ? "upgrade" : "update", n->instance,
		n->namespace_);
	if (pv->upgrade)
		kd_buf_printf(b, " from %s %s to %s", last ? last->operator_name : "", last ? last->operator_version : "",
			n->operator_version);
	else
		kd_buf_printf(b, ", %s %s", n->operator_name, n->operator_version);
	kd_buf_printf(b, " (plan %s, revision %ld", n->plan, n->number);
	const cJSON *v;
	bool first = true;
	cJSON_ArrayForEach(v, n->changed)
	{
		if (!cJSON_IsString(v))
			continue;
		kd_buf_printf(b, "%s%s", first ? "; changed parameters: " : ", ", v->valuestring);
		first = false;
	}
	kd_buf_puts(b, ")");
}

static void label(kd_buf *b, const char *side, const kd_obj_diff *it, const char *extra)
{
	kd_buf t = KD_BUF_INIT;
	kd_buf_printf(&t, "%s %s ", side, it->kind);
	if (*it->namespace_)
		kd_buf_printf(&t, "%s/", it->namespace_);
	kd_buf_puts(&t, it->name);
	if (extra)
		kd_buf_printf(&t, " (%s)", extra);
	kd_buf_put_printable(b, kd_buf_cstr(&t));
	kd_buf_free(&t);
}

int kd_cli__print_obj_diffs(kd_buf *out, const kd_plan_diff *d, const char *to_side, const char *removed, bool color)
{
	int rc = 0;
	for (size_t i = 0; i < d->nitems && !rc; i++) {
		const kd_obj_diff *it = &d->items[i];
		if (it->change == KD_OBJ_UNCHANGED)
			continue;
		kd_buf from = KD_BUF_INIT, to = KD_BUF_INIT, note = KD_BUF_INIT;
		label(&from, "live", it, it->change == KD_OBJ_ADDED ? "absent" : NULL);
		if (it->change == KD_OBJ_REMOVED)
			kd_buf_printf(&note, "%s%s%s", removed, it->note ? ": " : "", it->note ? it->note : "");
		else if (it->note)
			kd_buf_puts(&note, it->note);
		label(&to, to_side, it, note.len ? kd_buf_cstr(&note) : NULL);
		kd_diff_options o = KD_DIFF_OPTIONS_INIT;
		o.from_label = kd_buf_cstr(&from);
		o.to_label = kd_buf_cstr(&to);
		o.color = color;
		bool differ = false;
		rc = kd_diff_unified(out, &differ, it->live_yaml, strlen(it->live_yaml), it->after_yaml,
			strlen(it->after_yaml), &o);
		kd_buf_free(&from);
		kd_buf_free(&to);
		kd_buf_free(&note);
	}
	return rc;
}

static int print_text(kd_buf *out, const kd_op_preview *pv, const kd_plan_diff *d, bool color)
{
	describe(out, pv);
	kd_buf_puts(out, ":\n");
	int rc = kd_cli__print_obj_diffs(out, d, "after", "removed", color);
	kd_buf_printf(out, "%zu changed, %zu added, %zu removed, %zu unchanged\n", d->changed, d->added, d->removed,
		d->unchanged);
	return rc ? rc : kd_buf_check(out, "diff");
}

static cJSON *as_data(const kd_op_preview *pv, const kd_plan_diff *d, const char *instance, const char *ns)
{
	const kd_revision *last = pv->nrevs ? pv->revs[pv->nrevs - 1] : NULL;
	cJSON *o = d ? kd_plan_diff_to_json(d) : cJSON_CreateObject();
	cJSON *head = cJSON_CreateObject();
	cJSON_AddStringToObject(head, "apiVersion", "kudoc.dev/v1");
	cJSON_AddStringToObject(head, "kind", "Diff");
	cJSON_AddStringToObject(head, "instance", pv->next ? pv->next->instance : instance);
	cJSON_AddStringToObject(head, "namespace", pv->next ? pv->next->namespace_ : ns);
	cJSON_AddStringToObject(head, "operation", pv->upgrade ? "upgrade" : "update");
	if (last) {
		cJSON_AddStringToObject(head, "operator", last->operator_name ? last->operator_name : "");
		cJSON_AddStringToObject(head, "fromVersion", last->operator_version ? last->operator_version : "");
		cJSON_AddNumberToObject(head, "currentRevision", (double)last->number);
	}
	if (pv->next) {
		cJSON_AddStringToObject(head, "toVersion", pv->next->operator_version);
		cJSON_AddStringToObject(head, "plan", pv->next->plan);
		cJSON_AddNumberToObject(head, "revision", (double)pv->next->number);
		cJSON_AddItemToObject(head, "changedParameters", cJSON_Duplicate(pv->next->changed, 1));
	} else {
		cJSON_AddBoolToObject(head, "noop", true);
		cJSON_AddItemToObject(head, "changes", cJSON_CreateArray());
		cJSON *s = cJSON_AddObjectToObject(head, "summary");
		cJSON_AddNumberToObject(s, "changed", 0);
		cJSON_AddNumberToObject(s, "added", 0);
		cJSON_AddNumberToObject(s, "removed", 0);
		cJSON_AddNumberToObject(s, "unchanged", 0);
	}
	/* the header first, then changes and summary */
	cJSON *item;
	while ((item = o->child) != NULL) {
		cJSON_DetachItemViaPointer(o, item);
		cJSON_AddItemToObject(head, item->string, cJSON_Duplicate(item, 1));
		cJSON_Delete(item);
	}
	cJSON_Delete(o);
	return head;
}

/* 0: nothing would change; 1: something would; else an error code. */
static int run(const kd_cli_opts *o)
{
	kd_kube_config *cfg = NULL;
	kd_kube_client *c = NULL;
	kd_pkg *pkg = NULL;
	cJSON *source = NULL;
	kd_op_preview pv = {0};
	kd_exec_plan *plan = NULL;
	kd_plan_diff *d = NULL;
	kd_buf out = KD_BUF_INIT;
	kd_op_options oo = {0};
	kd_op_param_text *ptexts = NULL;
	int rc;

	if ((rc = kd_cli__check_names(o)) || (rc = kd_cli__check_output(o)))
		goto done;
	if (!o->instance) {
		rc = kd_cli_usage("diff needs --instance NAME");
		goto done;
	}
	if (o->nargs > 1) {
		rc = kd_cli_usage("diff takes at most one PACKAGE argument (got %zu)", o->nargs);
		goto done;
	}
	if (o->nargs == 0 && !o->git && o->npflags == 0 && o->npfiles == 0) {
		rc = kd_cli_usage("diff needs a PACKAGE (for an upgrade) or -p NAME=VALUE / -P FILE (for an update)");
		goto done;
	}
	if ((o->nargs == 1 || o->git) && (rc = kd_cli__load_package(&pkg, &source, o, "diff")))
		goto done;
	if ((rc = kd_cli__param_texts(&ptexts, source, o)))
		goto done;
	if ((rc = kd_cli__connect(&cfg, &oo.client_options, o)))
		goto done;
	kd_cli__catch_signals();
	oo.client_options.discovery_settle_ms = -1; /* an unserved kind is an answer here, not a wait */
	if ((rc = kd_kube_client_new(&c, cfg, &oo.client_options)))
		goto done;
	oo.config = cfg;
	oo.instance = o->instance;
	oo.namespace_ = o->namespace;
	oo.pflags = o->pflags;
	oo.npflags = o->npflags;
	oo.ptexts = ptexts;
	oo.nptexts = o->npfiles;
	oo.source = source;
	oo.force = o->force;
	oo.force_conflicts = o->force_conflicts;
	oo.interrupt = &kd_cli_interrupted;
	oo.command = "diff";
	if ((rc = kd_op_preview_new(&pv, pkg, &oo)))
		goto done;
	const kd_revision *last = pv.nrevs ? pv.revs[pv.nrevs - 1] : NULL;
	if (pv.unfinished && last)
		fprintf(stderr,
			"kubectl-kudo: note: revision %ld (plan %s) has not finished; %s would first resume it, and this "
			"diff compares with the objects as they are now\n",
			last->number, last->plan, pv.upgrade ? "upgrade" : "update");
	if (pkg && !pv.upgrade && pv.installed && !kd_pkg_same_files(pkg, pv.installed))
		fprintf(stderr,
			"kubectl-kudo: note: %s has the installed version %s, but its files differ from the installed "
			"package's: update runs the installed package, and that is what this diff shows (--force shows "
			"what upgrade --force would apply)\n",
			o->args[0], pv.installed->operator_version.str ? pv.installed->operator_version.str : "");
	if (!pv.next) {
		if (o->output) {
			cJSON *j = as_data(&pv, NULL, o->instance, o->namespace);
			rc = kd_cli__print_data(o, j);
			cJSON_Delete(j);
		} else {
			kd_buf_printf(&out, "no parameter changes: update would do nothing (instance %s stays at revision %ld)\n",
				o->instance, last ? last->number : 0L);
			kd_buf_puts(&out, "0 changed, 0 added, 0 removed, 0 unchanged\n");
			rc = kd_cli__write_stdout(kd_buf_cstr(&out), out.len);
		}
		goto done;
	}
	if ((rc = kd_exec_prepare(&plan, pv.pkg, pv.next, c)))
		goto done;
	kd_plan_diff_options dopts = KD_PLAN_DIFF_OPTIONS_INIT;
	dopts.force_conflicts = o->force_conflicts;
	if ((rc = kd_plan_diff_run(&d, plan, pv.next, pv.revs, pv.nrevs, c, &dopts)))
		goto done;
	if (o->output) {
		cJSON *j = as_data(&pv, d, o->instance, o->namespace);
		rc = kd_cli__print_data(o, j);
		cJSON_Delete(j);
	} else {
		const char *term = getenv("TERM");
		bool color = isatty(STDOUT_FILENO) && term && strcmp(term, "dumb") != 0 && !getenv("NO_COLOR");
		if (!(rc = print_text(&out, &pv, d, color)))
			rc = kd_cli__write_stdout(kd_buf_cstr(&out), out.len);
	}
	if (!rc)
		rc = d->changed + d->added + d->removed > 0 ? 1 : 0;
done:
	if (rc < 0 && kd_cli_interrupted && rc != KD_EUSAGE)
		rc = KD_ECANCELED;
	kd_cli__param_texts_free(ptexts, ptexts ? o->npfiles : 0);
	kd_buf_free(&out);
	kd_plan_diff_free(d);
	kd_exec_plan_free(plan);
	kd_op_preview_clear(&pv);
	kd_kube_client_free(c);
	kd_kube_config_free(cfg);
	cJSON_Delete(source);
	kd_pkg_free(pkg);
	return rc;
}

int kd_cmd_diff(int argc, char **argv)
{
	kd_cli_opts o;
	int rc = kd_cli_parse(&o, argc, argv, kd_cli__command_flags("diff"));
	if (rc == 0 && o.help) {
		fputs(diff_help, stdout);
		fputs("\n", stdout);
		kd_cli__put_help_codes(kd_cli__source_help, diff_exit_help);
		kd_cli_opts_free(&o);
		return KD_EXIT_OK;
	}
	if (rc == 0)
		rc = run(&o);
	kd_cli_opts_free(&o);
	if (rc == 0 || rc == 1)
		return rc;
	kd_cli_fail(rc);
	/* diff(1)'s convention: 1 means "they differ", so a failure is 2 */
	int code = kd_cli__exit_code(rc);
	return code == KD_EXIT_FAILURE ? KD_EXIT_USAGE : code;
}
