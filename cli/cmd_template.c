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
	"true) would apply, in plan order, as multi-document YAML.\n"
	"\n"
	"Examples:\n"
	"  kubectl-kudo template ./spark -p replicas=3\n"
	"  kubectl-kudo template 'git+https://git.example/ops/repo.git//spark?ref=semver:~1.2' -P git:envs/prod.yaml\n"
	"\n"
	"Flags:\n"
	"      --instance NAME       instance name (default <operator>-instance)\n"
	"  -n, --namespace NS        namespace (default \"default\")\n"
	"  -p, --parameter NAME=VALUE\n"
	"                            a parameter value; YAML for array and map parameters (repeatable)\n"
	"  -P, --parameter-file FILE a YAML map of parameter values (repeatable; -p wins)\n"
	"      --plan NAME           the plan to render (default deploy)\n"
	"\n";

int kd_cli__template_run(kd_buf *out, const kd_cli_opts *o)
{
	kd_pkg *pkg = NULL;
	kd_params *params = NULL;
	cJSON *pmap = NULL;
	kd_render_result *res = NULL;
	kd_pkg_origin origin;
	int rc;

	memset(&origin, 0, sizeof origin);
	if ((rc = kd_cli__load_source(&pkg, &origin, o, "template")) != 0)
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
	rc = kd_render_result_print(out, res);
done:
	kd_render_result_free(res);
	cJSON_Delete(pmap);
	kd_params_free(params);
	kd_pkg_free(pkg);
	kd_pkg_origin_clear(&origin);
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
		fwrite(out.ptr ? out.ptr : "", 1, out.len, stdout);
	}
	kd_buf_free(&out);
	kd_cli_opts_free(&o);
	return rc ? kd_cli_fail(rc) : KD_EXIT_OK;
}
