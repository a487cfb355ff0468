#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>

#include "../operator/operator.h"
#include "../plans/plans.h"
#include "cli.h"
#include "cli_internal.h"

static const char help[] =
	"Usage:\n"
	"  kubectl-kudo package verify PACKAGE\n"
	"  kubectl-kudo package list params|plans|tasks PACKAGE\n"
	"  kubectl-kudo package create DIR [--destination DIR] [--overwrite]\n"
	"\n"
	"verify checks a package as KUDO does (versions, plans, tasks, templates, parameters) and\n"
	"renders every plan with the default parameters; it exits 1 when it finds errors.\n"
	"list params prints NAME TYPE DEFAULT REQUIRED DESCRIPTION; list plans the plan tree;\n"
	"list tasks each task's kind and resources.\n"
	"create checks the package folder as verify does and, when it has no errors, writes\n"
	"<name>-<appVersion>_<operatorVersion>.tgz (KUDO's name; <name>-<operatorVersion>.tgz without\n"
	"appVersion) into --destination (default the current folder); -w, --overwrite replaces it.\n"
	"\n"
	"Examples:\n"
	"  kubectl-kudo package verify ./spark\n"
	"  kubectl-kudo package list params ./spark\n"
	"  kubectl-kudo package create ./spark --destination ./repo\n";

int kd_cli__package_create_run(kd_buf *out, const kd_cli_opts *o)
{
	kd_pkg *pkg = NULL;
	kd_verify_result *res = NULL;
	kd_buf tgz = KD_BUF_INIT, target = KD_BUF_INIT;
	char *name = NULL;
	int rc;
	if (o->nargs != 2)
		return kd_cli_usage("package create needs exactly one DIR argument");
	const char *dir = o->args[1];
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return kd_error_set(KD_ERR_PACKAGE, "%s: not a package folder", dir), KD_ENOTFOUND;
	if ((rc = kd_pkg_load(&pkg, dir, NULL)) != 0)
		goto done;
	if ((rc = kd_package_verify(&res, pkg)) != 0)
		goto done;
	if (res->nerrors) {
		for (size_t i = 0; i < res->nerrors; i++)
			kd_buf_printf(out, "Error: %s\n", res->errors[i]);
		kd_error_set(KD_ERR_PACKAGE, "%s is not valid (%zu error%s; see `package verify %s`): no package created", dir,
			res->nerrors, res->nerrors == 1 ? "" : "s", dir);
		rc = KD_EINVALID;
		goto done;
	}
	name = kd_pkg_archive_name(pkg);
	const char *dest = o->destination ? o->destination : ".";
	kd_buf_printf(&target, "%s/%s", dest, name);
	if (stat(dest, &st) != 0 || !S_ISDIR(st.st_mode)) {
		kd_error_set(KD_ERR_PACKAGE, "--destination %s: not a folder", dest);
		rc = KD_ENOTFOUND;
		goto done;
	}
	if (!o->overwrite && stat(kd_buf_cstr(&target), &st) == 0) {
		kd_error_set(KD_ERR_PACKAGE, "%s exists; remove it or use --overwrite", kd_buf_cstr(&target));
		rc = KD_EEXISTS;
		goto done;
	}
	if ((rc = kd_pkg_write_archive(&tgz, pkg)) != 0)
		goto done;
	FILE *f = fopen(kd_buf_cstr(&target), "wb");
	bool ok = f && fwrite(tgz.ptr, 1, tgz.len, f) == tgz.len;
	if (f)
		ok = fclose(f) == 0 && ok;
	if (!ok) {
		rc = kd_error_set_os(errno, "cannot write %s", kd_buf_cstr(&target));
		goto done;
	}
	kd_buf_printf(out, "Package created: %s\n", kd_buf_cstr(&target));
done:
	free(name);
	kd_buf_free(&tgz);
	kd_buf_free(&target);
	kd_verify_result_free(res);
	kd_pkg_free(pkg);
	return rc;
}

int kd_cli__verify_run(kd_buf *out, size_t *errors_out, const char *package)
{
	kd_pkg *pkg = NULL;
	kd_verify_result *res = NULL;
	int rc;
	*errors_out = 0;
	if ((rc = kd_pkg_load(&pkg, package, NULL)) != 0)
		return rc;
	if ((rc = kd_package_verify(&res, pkg)) == 0) {
		for (size_t i = 0; i < res->nwarnings; i++)
			kd_buf_printf(out, "Warning: %s\n", res->warnings[i]);
		for (size_t i = 0; i < res->nerrors; i++)
			kd_buf_printf(out, "Error: %s\n", res->errors[i]);
		const char *name = pkg->name.str ? pkg->name.str : "(unnamed)";
		const char *ver = pkg->operator_version.str ? pkg->operator_version.str : "";
		if (res->nerrors)
			kd_buf_printf(out, "operator %s %s is not valid: %zu error%s, %zu warning%s\n", name, ver, res->nerrors,
				res->nerrors == 1 ? "" : "s", res->nwarnings, res->nwarnings == 1 ? "" : "s");
		else
			kd_buf_printf(out, "operator %s %s is valid: 0 errors, %zu warning%s\n", name, ver, res->nwarnings,
				res->nwarnings == 1 ? "" : "s");
		*errors_out = res->nerrors;
		rc = kd_buf_check(out, "the report");
	}
	kd_verify_result_free(res);
	kd_pkg_free(pkg);
	return rc;
}

int kd_cmd_package(int argc, char **argv)
{
	kd_cli_opts o;
	kd_buf out = KD_BUF_INIT;
	kd_pkg *pkg = NULL;
	/* the flags of the subcommand (the first word that is not a flag) */
	int first = 0;
	while (first < argc && argv[first][0] == '-')
		first++;
	bool create = first < argc && strcmp(argv[first], "create") == 0;
	int rc = kd_cli_parse(&o, argc, argv, create ? kd_cli__command_flags("package create") : "");
	int exit_code = KD_EXIT_OK;
	if (rc)
		goto done;
	if (o.help || o.nargs == 0) {
		fputs(help, o.help ? stdout : stderr);
		exit_code = o.help ? KD_EXIT_OK : KD_EXIT_USAGE;
		goto done;
	}
	const char *sub = o.args[0];
	if (strcmp(sub, "verify") == 0) {
		size_t nerr = 0;
		if (o.nargs != 2) {
			rc = kd_cli_usage("package verify needs exactly one PACKAGE argument");
			goto done;
		}
		if ((rc = kd_cli__verify_run(&out, &nerr, o.args[1])) == 0 && (rc = kd_cli__write_stdout(out.ptr ? out.ptr : "", out.len)) == 0)
			exit_code = nerr ? KD_EXIT_FAILURE : KD_EXIT_OK;
	} else if (strcmp(sub, "list") == 0) {
		if (o.nargs != 3) {
			rc = kd_cli_usage("usage: package list params|plans|tasks PACKAGE");
			goto done;
		}
		const char *what = o.args[1];
		if (strcmp(what, "params") != 0 && strcmp(what, "plans") != 0 && strcmp(what, "tasks") != 0) {
			rc = kd_cli_usage("package list: unknown list \"%s\" (want params, plans or tasks)", what);
			goto done;
		}
		if ((rc = kd_pkg_load(&pkg, o.args[2], NULL)) != 0)
			goto done;
		if (strcmp(what, "params") == 0)
			rc = kd_pkg_list_params(&out, pkg, 0);
		else if (strcmp(what, "plans") == 0)
			rc = kd_pkg_list_plans(&out, pkg);
		else
			rc = kd_pkg_list_tasks(&out, pkg);
		if (rc == 0)
			rc = kd_cli__write_stdout(out.ptr ? out.ptr : "", out.len);
	} else if (strcmp(sub, "create") == 0) {
		rc = kd_cli__package_create_run(&out, &o);
		if (rc)
			fwrite(out.ptr ? out.ptr : "", 1, out.len, stderr);
		else
			rc = kd_cli__write_stdout(out.ptr ? out.ptr : "", out.len);
	} else {
		rc = kd_cli_usage("package: unknown subcommand \"%s\" (want verify, list or create)", sub);
	}
done:
	kd_pkg_free(pkg);
	kd_buf_free(&out);
	kd_cli_opts_free(&o);
	return rc ? kd_cli_fail(rc) : exit_code;
}
