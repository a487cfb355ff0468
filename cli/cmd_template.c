#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../operator/operator.h"
#include "../params/params.h"
#include "../plans/plans.h"
#include "cli.h"
#include "cli_internal.h"

static const char help[] =
	"Usage: kubectl-kudo template PACKAGE [flags]\n"
	"       kubectl-kudo template --git URL [--git-ref REF] [--git-path PATH] [flags]\n"
	"\n"
	"Renders, offline, every object the plan's Apply tasks (and Toggle tasks whose parameter is\n"
	"true) would apply, in plan order, as multi-document YAML: each document as the template\n"
	"rendered it, after a \"# Source: templates/FILE\" line.\n"
	"\n"
	"Examples:\n"
	"  kubectl-kudo template ./spark -p replicas=3\n"
	"  kubectl-kudo template 'git+https://git.example/ops/repo.git//spark?ref=semver:~1.2' -P git:envs/prod.yaml\n"
	"\n"
	"Flags:\n"
	"      --instance NAME       instance name, a DNS-1123 label (default <operator>-instance)\n"
	"  -n, --namespace NS        namespace, a DNS-1123 label (default \"default\")\n"
	"  -o, --output FORMAT       yaml: the decoded objects as YAML; json: a kubectl-style v1 List\n"
	"  -p, --parameter NAME=VALUE\n"
	"                            a parameter value; YAML for array and map parameters (repeatable)\n"
	"  -P, --parameter-file FILE a YAML map of parameter values (repeatable; -p wins)\n"
	"      --plan NAME           the plan to render (default deploy)\n"
	"\n"
	"Whatever the format, kubectl reading the output (kubectl apply -f -) gets exactly the\n"
	"objects kudoc applies.\n";

/* What can be wrong with the command line itself, checked before the package is read (the
 * PACKAGE argument and --git are kd_cli__load_source's). */
static int check_usage(const kd_cli_opts *o)
{
	if (kd_cli__check_output(o) || kd_cli__check_names(o))
		return KD_EUSAGE;
	for (size_t i = 0; i < o->npflags; i++) {
		char *name = NULL, *value = NULL;
		int rc = kd_params_parse_flag(&name, &value, o->pflags[i]);
		free(name);
		free(value);
		if (rc)
			return rc;
	}
	return 0;
}

/* After loading: the plan must exist and the default instance name must be usable. */
static int check_package_usage(const kd_pkg *pkg, const kd_cli_opts *o)
{
	const char *plan = o->plan ? o->plan : "deploy";
	if (!kd_pkg_find_plan(pkg, plan)) {
		kd_buf names = KD_BUF_INIT;
		for (size_t i = 0; i < pkg->nplans; i++)
			kd_buf_printf(&names, "%s%s", i ? ", " : "", pkg->plans[i].name.str);
		kd_cli_usage("--plan: %s has no plan \"%s\" (plans: %s)", pkg->operator_file, plan,
			pkg->nplans ? kd_buf_cstr(&names) : "none");
		kd_buf_free(&names);
		return KD_EUSAGE;
	}
	if (!o->instance) {
		kd_buf def = KD_BUF_INIT;
		kd_buf_printf(&def, "%s-instance", pkg->name.str ? pkg->name.str : "operator");
		int rc = kd_cli__check_label("the default instance name (give --instance NAME)", "an instance name",
			kd_buf_cstr(&def));
		kd_buf_free(&def);
		return rc;
	}
	return 0;
}

int kd_cli__template_render(kd_render_result **out, const kd_cli_opts *o)
{
	kd_pkg *pkg = NULL;
	kd_params *params = NULL;
	cJSON *pmap = NULL;
	kd_render_result *res = NULL;
	kd_pkg_origin origin;
	int rc;

	*out = NULL;
	memset(&origin, 0, sizeof origin);
	if ((rc = check_usage(o)) != 0)
		return rc;
	if ((rc = kd_cli__load_source(&pkg, &origin, o, "template")) != 0)
		goto done;
	if ((rc = check_package_usage(pkg, o)) != 0)
		goto done;
	if ((rc = kd_cli__resolve_params(&params, pkg, &origin, o, NULL)) != 0)
		goto done;
	if ((rc = kd_params_to_template(&pmap, params)) != 0)
		goto done;
	kd_render_options ro = KD_RENDER_OPTIONS_INIT;
	ro.instance = o->instance;
	ro.namespace = o->namespace;
	ro.plan = o->plan;
	ro.params = pmap;
	if ((rc = kd_plan_render(&res, pkg, &ro)) != 0)
		goto done;
	*out = res;
	res = NULL;
done:
	kd_render_result_free(res);
	cJSON_Delete(pmap);
	kd_params_free(params);
	kd_pkg_free(pkg);
	kd_pkg_origin_clear(&origin);
	return rc;
}

int kd_cli__template_run(kd_buf *out, const kd_cli_opts *o)
{
	kd_render_result *res = NULL;
	int rc = kd_cli__template_render(&res, o); /* -o is checked there: absent, yaml or json */
	if (rc == 0)
		rc = !o->output			      ? kd_render_result_print(out, res)
		     : strcmp(o->output, "json") == 0 ? kd_render_result_print_json(out, res)
						      : kd_render_result_print_yaml(out, res);
	kd_render_result_free(res);
	return rc;
}

int kd_cmd_template(int argc, char **argv)
{
	kd_cli_opts o;
	kd_buf out = KD_BUF_INIT;
	int rc = kd_cli_parse(&o, argc, argv, kd_cli__command_flags("template"));
	if (rc == 0 && o.help) {
		fputs(help, stdout);
		fputs(kd_cli__source_help, stdout);
	} else if (rc == 0 && (rc = kd_cli__template_run(&out, &o)) == 0) {
		rc = kd_cli__write_stdout(out.ptr ? out.ptr : "", out.len);
	}
	kd_buf_free(&out);
	kd_cli_opts_free(&o);
	return rc ? kd_cli_fail(rc) : KD_EXIT_OK;
}
