/* install, update, upgrade, rollback, uninstall: flags in, a lifecycle operation of plans/,
 * progress out, and the exit code of the outcome. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/json.h"
#include "../operator/operator.h"
#include "../plans/plans.h"
#include "cli.h"
#include "cli_internal.h"


static const char conn_help[] =
	"  -n, --namespace NS        the instance's namespace (default: the context's)\n"
	"      --kubeconfig FILE     kubeconfig (default $KUBECONFIG, else ~/.kube/config)\n"
	"      --context NAME        kubeconfig context (default: its current-context)\n"
	"      --cluster NAME        kubeconfig cluster to use instead of the context's\n"
	"      --user NAME           kubeconfig user to use instead of the context's\n"
	"  -v, -v=N                  log every API request (method, URL, status, time)\n";

static const char exit_help[] =
	"\n"
	"Exit codes: 0 the plan is COMPLETE, 1 failed, 2 usage error, 3 timed out, 4 another command\n"
	"holds the instance's lock, 130 interrupted (resume with `plan resume`).\n";

static const char install_help[] =
	"Usage: kubectl-kudo install PACKAGE [flags]\n"
	"\n"
	"Installs an operator package as a new instance and runs its deploy plan. PACKAGE is a\n"
	"package folder, a .tgz, or the name of a package kudoc ships (spark).\n"
	"\n"
	"Example:\n"
	"  kubectl kudo install spark --namespace=spark-operator -p replicas=3 -p enableLeaderElection=true\n"
	"\n"
	"Flags:\n"
	"      --instance NAME       instance name (default <operator>-instance)\n"
	"  -p, --parameter NAME=VALUE  a parameter value (repeatable; YAML for array/map parameters)\n"
	"  -P, --parameter-file FILE   a YAML map of parameter values (repeatable; -p wins)\n"
	"      --create-namespace    create the namespace when it does not exist\n"
	"      --timeout DURATION    how long the plan may take (default 10m)\n"
	"      --atomic              on failure or timeout, remove what the install applied\n"
	"      --dry-run             render, validate and dry-run everything on the server; write nothing\n"
	"      --force-conflicts     take over fields that another field manager owns\n"
	"      --history-max N       revisions to keep (default 10)\n"
	"  -o, --output yaml|json    print the revision record instead of the final tree\n";

static const char update_help[] =
	"Usage: kubectl-kudo update --instance NAME -p NAME=VALUE... [flags]\n"
	"\n"
	"Changes parameters of an instance and runs the plan the change triggers: the changed\n"
	"parameters' trigger plan, else update, else deploy. Immutable parameters cannot change;\n"
	"changes that trigger two different plans are refused. No change is a no-op.\n"
	"\n"
	"Example:\n"
	"  kubectl kudo update --instance spark-instance -n spark-operator -p replicas=5\n"
	"\n"
	"Flags:\n"
	"      --instance NAME       the instance (required)\n"
	"  -p, --parameter NAME=VALUE  a new parameter value (repeatable)\n"
	"  -P, --parameter-file FILE   a YAML map of parameter values (repeatable; -p wins)\n"
	"      --timeout DURATION    how long the plan may take (default 10m)\n"
	"      --atomic              on failure or timeout, roll back to the last good revision\n"
	"      --dry-run             validate and dry-run on the server; write nothing\n"
	"      --force-conflicts     take over fields that another field manager owns\n"
	"      --history-max N       revisions to keep (default 10)\n"
	"  -o, --output yaml|json    print the revision record instead of the final tree\n";

static const char upgrade_help[] =
	"Usage: kubectl-kudo upgrade PACKAGE --instance NAME [flags]\n"
	"\n"
	"Moves an instance to another version of its operator and runs the new version's upgrade\n"
	"plan (else update, else deploy). Parameters you set before are kept; the others take the\n"
	"new version's defaults. A downgrade (or the same version) needs --force.\n"
	"\n"
	"Example:\n"
	"  kubectl kudo upgrade ./spark-1.1.0 --instance spark-instance -n spark-operator\n"
	"\n"
	"Flags:\n"
	"      --instance NAME       the instance (required)\n"
	"  -p, --parameter NAME=VALUE  a parameter value (repeatable)\n"
	"  -P, --parameter-file FILE   a YAML map of parameter values (repeatable; -p wins)\n"
	"      --force               allow a downgrade or the same version\n"
	"      --timeout DURATION    how long the plan may take (default 10m)\n"
	"      --atomic              on failure or timeout, roll back to the last good revision\n"
	"      --dry-run             validate and dry-run on the server; write nothing\n"
	"      --force-conflicts     take over fields that another field manager owns\n"
	"      --history-max N       revisions to keep (default 10)\n"
	"  -o, --output yaml|json    print the revision record instead of the final tree\n";

static const char rollback_help[] =
	"Usage: kubectl-kudo rollback --instance NAME [REVISION] [flags]\n"
	"\n"
	"Returns an instance to an earlier revision's operator version and parameters by running\n"
	"that revision's deploy plan as a new revision (default: the previous good revision). Only\n"
	"the cluster is needed: every revision record holds its own package.\n"
	"\n"
	"Example:\n"
	"  kubectl kudo rollback --instance spark-instance -n spark-operator 1\n"
	"\n"
	"Flags:\n"
	"      --instance NAME       the instance (required)\n"
	"      --revision N          the revision to return to (or as the argument)\n"
	"      --timeout DURATION    how long the plan may take (default 10m)\n"
	"      --dry-run             validate and dry-run on the server; write nothing\n"
	"      --force-conflicts     take over fields that another field manager owns\n"
	"      --history-max N       revisions to keep (default 10)\n"
	"  -o, --output yaml|json    print the revision record instead of the final tree\n";

static const char uninstall_help[] =
	"Usage: kubectl-kudo uninstall --instance NAME [flags]\n"
	"\n"
	"Runs the package's cleanup plan when it has one, deletes the instance's objects in reverse\n"
	"apply order and waits until they are gone, then its revision records and lock. CRDs stay\n"
	"unless --delete-crds: deleting a CRD deletes every user's objects of that kind.\n"
	"\n"
	"Example:\n"
	"  kubectl kudo uninstall --instance spark-instance -n spark-operator\n"
	"\n"
	"Flags:\n"
	"      --instance NAME       the instance (required)\n"
	"      --keep-history        keep the revision records\n"
	"      --delete-crds         delete the CRDs the instance installed too\n"
	"      --timeout DURATION    how long to wait for the objects to go (default 10m)\n"
	"      --dry-run             say what would be deleted; delete nothing\n";

void kd_cli__put_help_codes(const char *h, const char *exit_codes)
{
	fputs(h, stdout);
	fputs(conn_help, stdout);
	fputs(exit_codes, stdout);
}

void kd_cli__put_help(const char *h)
{
	kd_cli__put_help_codes(h, exit_help);
}

/* ---- the package source ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void kd_cli__shipped_packages(char ***names, size_t *n)
{
	char **dirs = NULL;
	size_t nd = kd_source_shipped_dirs(&dirs, NULL);
	kd_buf probe = KD_BUF_INIT;
	*names = NULL;
	*n = 0;
	for (size_t r = 0; r < nd; r++) {
		DIR *d = dirs[r] ? opendir(dirs[r]) : NULL;
		struct dirent *e;
		while (d && (e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			kd_buf_clear(&probe);
			kd_buf_printf(&probe, "%s/%s/operator.yaml", dirs[r], e->d_name);
			bool dup = false;
			for (size_t i = 0; i < *n && !dup; i++)
				dup = strcmp((*names)[i], e->d_name) == 0;
			if (dup || access(kd_buf_cstr(&probe), F_OK) != 0)
				continue;
			*names = kd_realloc(*names, (*n + 1) * sizeof(char *));
			(*names)[(*n)++] = kd_strdup(e->d_name);
		}
		if (d)
			closedir(d);
	}
	for (size_t r = 0; r < nd; r++)
		free(dirs[r]);
	free(dirs);
	if (*n > 1)
		qsort(*names, *n, sizeof(char *), cmp_str);
	kd_buf_free(&probe);
}

int kd_cli__load_package(kd_pkg **pkg, cJSON **source, const kd_cli_opts *o, const char *cmd)
{
	kd_pkg_origin origin;
	memset(&origin, 0, sizeof(origin));
	*source = NULL;
	int rc = kd_cli__load_source(pkg, &origin, o, cmd);
	if (rc == 0)
		*source = kd_pkg_origin_to_json(&origin);
	kd_pkg_origin_clear(&origin);
	return rc;
}

void kd_cli__param_texts_free(kd_op_param_text *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)t[i].text);
	free(t);
}

int kd_cli__param_texts(kd_op_param_text **out, const cJSON *source, const kd_cli_opts *o)
{
	kd_op_param_text *t = kd_calloc(o->npfiles ? o->npfiles : 1, sizeof(*t));
	kd_pkg_origin origin;
	memset(&origin, 0, sizeof(origin));
	if (source)
		kd_pkg_origin_from_json(&origin, source);
	kd_source_options so;
	kd_cli__source_options(&so, o);
	int rc = 0;
	*out = NULL;
	for (size_t i = 0; i < o->npfiles && !rc; i++) {
		char *data = NULL;
		size_t len = 0;
		if (strncmp(o->pfiles[i], "git:", 4) == 0)
			rc = kd_source_read_param_file(&data, &len, source ? &origin : NULL, o->pfiles[i], &so);
		else if ((rc = kd_file_read(&data, &len, o->pfiles[i], 0)) != 0)
			kd_error_set(KD_ERR_USAGE, "-P %s: %s", o->pfiles[i], kd_error_last() ? kd_error_last() : "cannot read it");
		t[i].name = o->pfiles[i];
		t[i].text = data;
		t[i].len = len;
	}
	kd_pkg_origin_clear(&origin);
	if (rc) {
		kd_cli__param_texts_free(t, o->npfiles);
		return rc;
	}
	*out = t;
	return 0;
}

/* ---- running an operation ---- */


static int parse_long(long *out, const char *flag, const char *s)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || !end || *end || end == s || v < 0)
		return kd_cli_usage("%s %s: not a whole number", flag, s);
	*out = v;
	return 0;
}

int kd_cli__run_op(kd_cli_op kind, const kd_cli_opts *o, const char *cmd)
{
	kd_kube_config *cfg = NULL;
	kd_pkg *pkg = NULL;
	cJSON *source = NULL;
	kd_cli_progress *prog = NULL;
	kd_op_result res = {0};
	kd_buf dry = KD_BUF_INIT;
	int rc;
	kd_op_options oo = {0};
	kd_op_param_text *ptexts = NULL;

	if ((rc = kd_cli__check_names(o)) || (rc = kd_cli__check_output(o)))
		goto done;
	if (kind != OP_INSTALL && !o->instance) {
		rc = kd_cli_usage("%s needs --instance NAME", cmd);
		goto done;
	}
	size_t want_args = (kind == OP_INSTALL || kind == OP_UPGRADE) && !o->git ? 1 : 0;
	if (kind == OP_ROLLBACK && o->nargs == 1 && !o->revision)
		want_args = 1;
	if (o->nargs != want_args) {
		rc = want_args ? kd_cli_usage("%s needs exactly one PACKAGE argument (got %zu)", cmd, o->nargs)
			       : kd_cli_usage("%s takes no arguments (got %zu)", cmd, o->nargs);
		goto done;
	}
	if (kind == OP_TRIGGER && !o->name) {
		rc = kd_cli_usage("plan trigger needs --name PLAN");
		goto done;
	}
	if (kind == OP_UPDATE && o->npflags == 0 && o->npfiles == 0) {
		rc = kd_cli_usage("update needs at least one -p NAME=VALUE or -P FILE");
		goto done;
	}
	if ((rc = kd_cli__timeout_ms(&oo.timeout_ms, o, 0)))
		goto done;
	if (o->history_max) {
		long h = 0;
		if ((rc = parse_long(&h, "--history-max", o->history_max)))
			goto done;
		oo.history_max = h == 0 ? -1 : (int)(h > 1000 ? 1000 : h);
	}
	if (kind == OP_ROLLBACK) {
		const char *r = o->revision ? o->revision : o->nargs ? o->args[0] : NULL;
		if (r && (rc = parse_long(&oo.revision, "revision", r)))
			goto done;
	}
	if (kind == OP_INSTALL || kind == OP_UPGRADE) {
		if ((rc = kd_cli__load_package(&pkg, &source, o, cmd)))
			goto done;
	}
	if ((rc = kd_cli__connect(&cfg, &oo.client_options, o)))
		goto done;
	kd_cli__catch_signals();
	/* Progress goes to stdout, unless stdout carries data (-o, --dry-run). */
	bool data_out = o->output || o->dry_run;
	prog = kd_cli__progress_new(data_out ? stderr : stdout);
	oo.config = cfg;
	oo.instance = o->instance;
	oo.namespace_ = o->namespace;
	oo.pflags = o->pflags;
	oo.npflags = o->npflags;
	/* -P files (local, or git:PATH from the package's repository and commit) are read here */
	if ((rc = kd_cli__param_texts(&ptexts, source, o)))
		goto done;
	oo.ptexts = ptexts;
	oo.nptexts = o->npfiles;
	oo.pspecs = o->pfiles;
	oo.npspecs = o->npfiles;
	oo.source = source;
	oo.atomic = o->atomic;
	oo.dry_run = o->dry_run;
	oo.force_conflicts = o->force_conflicts;
	oo.create_namespace = o->create_namespace;
	oo.force = o->force;
	oo.keep_history = o->keep_history;
	oo.delete_crds = o->delete_crds;
	oo.interrupt = &kd_cli_interrupted;
	oo.command = cmd;
	oo.dry_run_out = &dry;
	oo.observer = kd_cli__progress_observer;
	oo.observer_payload = prog;
	switch (kind) {
	case OP_INSTALL:
		rc = kd_op_install(&res, pkg, &oo);
		break;
	case OP_UPDATE:
		rc = kd_op_update(&res, &oo);
		break;
	case OP_UPGRADE:
		rc = kd_op_upgrade(&res, pkg, &oo);
		break;
	case OP_ROLLBACK:
		rc = kd_op_rollback(&res, &oo);
		break;
	case OP_UNINSTALL:
		rc = kd_op_uninstall(&res, &oo);
		break;
	case OP_TRIGGER:
		oo.plan = o->name;
		rc = kd_op_trigger(&res, &oo);
		break;
	case OP_RESUME:
		rc = kd_op_resume(&res, &oo);
		break;
	}
	kd_cli__progress_finish(prog, !o->dry_run && kind != OP_UNINSTALL && !res.noop);
	if (o->dry_run && rc == 0) {
		rc = kd_cli__write_stdout(dry.ptr ? dry.ptr : "", dry.len);
	} else if (rc == 0 && o->output && res.revision && kind != OP_UNINSTALL) {
		kd_kube_client *c = NULL;
		kd_revision *rev = NULL;
		if ((rc = kd_kube_client_new(&c, cfg, &oo.client_options)) == 0 &&
			(rc = kd_revision_load(&rev, c, o->namespace ? o->namespace : kd_kube_client_namespace(c),
				 o->instance ? o->instance : "", res.revision)) == 0) {
			cJSON *j = kd_revision_to_json(rev);
			rc = kd_cli__print_data(o, j);
			cJSON_Delete(j);
		}
		kd_revision_free(rev);
		kd_kube_client_free(c);
	} else if (rc == 0 && !res.noop && kind != OP_UNINSTALL) {
		char line[512];
		snprintf(line, sizeof(line), "revision %ld: plan %s %s%s\n", res.revision, res.plan ? res.plan : "",
			kd_exec_state_name(res.state), res.rolled_back_to ? " (rolled back)" : "");
		rc = kd_cli__write_stdout(line, strlen(line));
	}
	if (rc == KD_ECANCELED || rc == KD_ETIMEOUT) {
		kd_buf inst = KD_BUF_INIT;
		if (o->instance)
			kd_buf_puts(&inst, o->instance);
		else
			kd_buf_printf(&inst, "%s-instance", pkg && pkg->name.str ? pkg->name.str : "operator");
		const char *m = kd_error_last();
		char *msg = kd_strdup(m ? m : "stopped");
		kd_error_set(KD_ERR_PLAN, "%s; to continue: kubectl kudo plan resume --instance %s -n %s", msg,
			kd_buf_cstr(&inst), o->namespace ? o->namespace : kd_kube_config_namespace(cfg));
		free(msg);
		kd_buf_free(&inst);
	}
done:
	kd_cli__param_texts_free(ptexts, ptexts ? o->npfiles : 0);
	kd_cli__progress_free(prog);
	kd_op_result_clear(&res);
	cJSON_Delete(source);
	kd_pkg_free(pkg);
	kd_kube_config_free(cfg);
	kd_buf_free(&dry);
	return rc;
}

static int command(int argc, char **argv, kd_cli_op kind, const char *cmd, const char *accepted, const char *help)
{
	kd_cli_opts o;
	int rc = kd_cli_parse(&o, argc, argv, accepted);
	if (rc == 0 && o.help) {
		if (kind == OP_INSTALL || kind == OP_UPGRADE) {
			fputs(help, stdout);
			fputs("\n", stdout);
			kd_cli__put_help_codes(kd_cli__source_help, exit_help);
		} else {
			kd_cli__put_help(help);
		}
		kd_cli_opts_free(&o);
		return KD_EXIT_OK;
	}
	if (rc == 0)
		rc = kd_cli__run_op(kind, &o, cmd);
	kd_cli_opts_free(&o);
	if (rc) {
		kd_cli_fail(rc);
		return kd_cli__exit_code(rc);
	}
	return KD_EXIT_OK;
}

int kd_cmd_install(int argc, char **argv)
{
	return command(argc, argv, OP_INSTALL, "install", kd_cli__command_flags("install"), install_help);
}

int kd_cmd_update(int argc, char **argv)
{
	return command(argc, argv, OP_UPDATE, "update", kd_cli__command_flags("update"), update_help);
}

int kd_cmd_upgrade(int argc, char **argv)
{
	return command(argc, argv, OP_UPGRADE, "upgrade", kd_cli__command_flags("upgrade"), upgrade_help);
}

int kd_cmd_rollback(int argc, char **argv)
{
	return command(argc, argv, OP_ROLLBACK, "rollback", kd_cli__command_flags("rollback"), rollback_help);
}

int kd_cmd_uninstall(int argc, char **argv)
{
	return command(argc, argv, OP_UNINSTALL, "uninstall", kd_cli__command_flags("uninstall"), uninstall_help);
}
