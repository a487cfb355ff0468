/* plans/render.c at scale: many tasks, a template applied by many tasks, the plan's total
 * output cap. The data-driven cases are tests/render/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/base.h"
#include "../../base/json.h"
#include "../../operator/operator.h"
#include "../../plans/plans.h"
#include "../../plans/plans_internal.h"
#include "test.h"

/* A package whose plan has `ntasks` steps, each a task applying `tpl` as t.yaml. */
static kd_pkg *package(int ntasks, const char *tpl)
{
	kd_buf op = KD_BUF_INIT;
	kd_buf_puts(&op, "apiVersion: kudo.dev/v1beta1\nname: big\noperatorVersion: 0.1.0\ntasks:\n");
	for (int i = 0; i < ntasks; i++)
		kd_buf_printf(&op, "  - name: t%d\n    kind: Apply\n    spec:\n      resources: [t.yaml]\n", i);
	kd_buf_puts(&op, "plans:\n  deploy:\n    strategy: serial\n    phases:\n      - name: main\n        strategy: serial\n"
			 "        steps:\n");
	for (int i = 0; i < ntasks; i++)
		kd_buf_printf(&op, "          - name: s%d\n            tasks: [t%d]\n", i, i);
	const char *params = "apiVersion: kudo.dev/v1beta1\nparameters:\n  - name: x\n    default: v\n";
	kd_pkg_input_file f[] = {{"operator.yaml", op.ptr, op.len}, {"params.yaml", params, strlen(params)},
		{"templates/t.yaml", tpl, strlen(tpl)}};
	kd_pkg *pkg = NULL;
	int rc = kd_pkg_load_files(&pkg, "mem", f, KD_ARRAY_SIZE(f), NULL);
	kd_buf_free(&op);
	return rc == 0 ? pkg : NULL;
}

TEST(plans_render_many_tasks)
{
	/* 20,000 tasks: tasks, templates and pipe keys are found by hash, so this is linear */
	kd_pkg *pkg = package(20000, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c-{{ .StepName }}\n");
	if (!CHECK(pkg != NULL))
		return;
	kd_render_result *res = NULL;
	CHECK_INT(kd_plan_render(&res, pkg, NULL), 0);
	if (res) {
		CHECK_INT(res->ndocs, 20000);
		CHECK_STR(res->docs[19999].step, "s19999");
		CHECK_STR(kd_json_get_str(kd_json_get(res->docs[12345].object, "metadata"), "name"), "c-s12345");
	}
	kd_render_result_free(res);
	kd_verify_result *vr = NULL;
	CHECK_INT(kd_package_verify(&vr, pkg), 0);
	CHECK(vr && vr->nerrors == 0);
	kd_verify_result_free(vr);
	kd_pkg_free(pkg);
}

TEST(plans_render_total_output_is_capped)
{
	/* one template of ~100 KB applied by 12 tasks: 1.2 MB in all, past a 1 MB cap */
	kd_pkg *pkg = package(12, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c-{{ .StepName }}\ndata:\n"
				  "  v: {{ repeat 100000 \"a\" }}\n");
	if (!CHECK(pkg != NULL))
		return;
	size_t saved = kd_plans__max_rendered;
	kd_plans__max_rendered = (size_t)1 << 20;
	kd_render_result *res = NULL;
	CHECK(kd_plan_render(&res, pkg, NULL) != 0);
	CHECK(res == NULL);
	CHECK(kd_error_last() && strstr(kd_error_last(), "the templates of plan \"deploy\" render more than 1048576 bytes") &&
		strstr(kd_error_last(), "output exceeds the limit"));
	kd_plans__max_rendered = (size_t)4 << 20;
	CHECK_INT(kd_plan_render(&res, pkg, NULL), 0);
	CHECK(res && res->ndocs == 12);
	kd_render_result_free(res);
	kd_plans__max_rendered = saved;
	kd_pkg_free(pkg);
}

TEST(plans_verify_many_parameters)
{
	/* 20,000 parameters, half of them used: names are hashed in loading, params/ and verify, so
	 * this is linear; each unused one gets its warning, a duplicate its error */
	kd_buf par = KD_BUF_INIT, tpl = KD_BUF_INIT;
	kd_buf_puts(&par, "apiVersion: kudo.dev/v1beta1\nparameters:\n");
	for (int i = 0; i < 20000; i++)
		kd_buf_printf(&par, "  - name: p%d\n    default: \"%d\"\n", i, i);
	kd_buf_puts(&tpl, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n");
	for (int i = 0; i < 20000; i += 2)
		kd_buf_printf(&tpl, "  k%d: {{ .Params.p%d | quote }}\n", i, i);
	const char *op = "apiVersion: kudo.dev/v1beta1\nname: p\noperatorVersion: 0.1.0\ntasks:\n  - name: t\n    kind: Apply\n"
			 "    spec:\n      resources: [t.yaml]\nplans:\n  deploy:\n    phases:\n      - name: m\n        steps:\n"
			 "          - name: s\n            tasks: [t]\n";
	kd_pkg_input_file f[] = {{"operator.yaml", op, strlen(op)}, {"params.yaml", par.ptr, par.len},
		{"templates/t.yaml", tpl.ptr, tpl.len}};
	kd_pkg *pkg = NULL;
	CHECK_INT(kd_pkg_load_files(&pkg, "mem", f, KD_ARRAY_SIZE(f), NULL), 0);
	kd_verify_result *vr = NULL;
	if (pkg) {
		CHECK(kd_pkg_find_param(pkg, "p19999") == &pkg->params[19999]);
		CHECK_INT(kd_package_verify(&vr, pkg), 0);
		CHECK(vr && vr->nerrors == 0 && vr->nwarnings == 10000);
		if (vr && vr->nwarnings)
			CHECK(strstr(vr->warnings[0], "parameter \"p1\" is defined but not used") != NULL);
	}
	kd_verify_result_free(vr);
	kd_pkg_free(pkg);
	/* a repeated name is reported with the first one's line */
	kd_buf_puts(&par, "  - name: p7\n");
	f[1] = (kd_pkg_input_file){"params.yaml", par.ptr, par.len};
	CHECK(kd_pkg_load_files(&pkg, "mem", f, KD_ARRAY_SIZE(f), NULL) != 0);
	CHECK(kd_error_last() && strstr(kd_error_last(), "parameter \"p7\" is defined twice (first at line 17)"));
	kd_buf_free(&par);
	kd_buf_free(&tpl);
}
