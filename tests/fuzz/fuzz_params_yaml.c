/* libFuzzer target for the package loaders: the input is read as params.yaml, operator.yaml,
 * both (split at a line "####"), a -P values file, or a .tgz, picked by its first byte. Loaded
 * packages go through the list output and parameter resolution. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/base.h"
#include "../../operator/operator.h"
#include "../../params/params.h"

static const char op_yaml[] = "apiVersion: kudo.dev/v1beta1\n"
			      "name: f\n"
			      "tasks:\n"
			      "  - name: app\n    kind: Apply\n    spec: {resources: [a.yaml]}\n"
			      "plans:\n"
			      "  deploy:\n    strategy: serial\n    phases:\n"
			      "      - name: p\n        steps:\n          - name: s\n            tasks: [app]\n";
static const char params_yaml[] = "parameters:\n"
				  "  - name: s\n"
				  "  - name: i\n    type: integer\n    default: 1\n    trigger: deploy\n"
				  "  - name: a\n    type: array\n    default: [1]\n"
				  "  - name: m\n    type: map\n    default: {k: v}\n    immutable: true\n"
				  "  - name: e\n    enum: [x, 1, true]\n    default: x\n";
static const char tpl[] = "kind: ConfigMap\n";

static void exercise(const kd_pkg *pkg, const char *values, size_t vlen)
{
	kd_buf b = KD_BUF_INIT;
	kd_params *p = NULL;
	cJSON *t = NULL, *changed = NULL;
	const char *plan = NULL;
	kd_pkg_list_params(&b, pkg, 0);
	kd_pkg_list_params(&b, pkg, KD_PKG_LIST_NAMES | KD_PKG_LIST_REQUIRED);
	kd_pkg_list_plans(&b, pkg);
	kd_pkg_list_tasks(&b, pkg);
	kd_buf_free(&b);
	kd_params_new(&p, pkg);
	if (values)
		kd_params_add_file_text(p, "values.yaml", values, vlen);
	kd_params_finish(p);
	kd_params_to_template(&t, p);
	kd_params_add_previous(p, t);
	kd_params_changed(&changed, p, NULL);
	kd_params_plan_for_change(&plan, pkg, changed);
	kd_params_check_immutable(p, NULL);
	cJSON_Delete(changed);
	cJSON_Delete(t);
	kd_params_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int inited;
	kd_pkg *pkg = NULL;
	if (!inited) {
		kd_base_init();
		inited = 1;
	}
	if (size < 1 || size > 65536)
		return 0;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	kd_pkg_input_file f[3] = {{"operator.yaml", op_yaml, sizeof op_yaml - 1},
		{"params.yaml", params_yaml, sizeof params_yaml - 1}, {"templates/a.yaml", tpl, sizeof tpl - 1}};
	switch (data[0] % 5) {
	case 0:
		f[1].data = text;
		f[1].len = len;
		break;
	case 1:
		f[0].data = text;
		f[0].len = len;
		break;
	case 2: {
		const char *sep = memmem(text, len, "\n####\n", 6);
		size_t first = sep ? (size_t)(sep - text) : len;
		f[0].data = text;
		f[0].len = first;
		f[1].data = sep ? sep + 6 : "";
		f[1].len = sep ? len - first - 6 : 0;
		break;
	}
	case 3:
		if (kd_pkg_load_files(&pkg, "fuzz", f, 3, NULL) == 0)
			exercise(pkg, text, len);
		kd_pkg_free(pkg);
		kd_error_clear();
		return 0;
	case 4: {
		kd_pkg_load_options o = KD_PKG_LOAD_OPTIONS_INIT;
		o.max_total_size = (size_t)1 << 20;
		o.max_file_size = (size_t)1 << 18;
		if (kd_pkg_load_archive(&pkg, "fuzz.tgz", text, len, &o) == 0)
			exercise(pkg, NULL, 0);
		kd_pkg_free(pkg);
		kd_error_clear();
		return 0;
	}
	}
	if (kd_pkg_load_files(&pkg, "fuzz", f, 3, NULL) == 0)
		exercise(pkg, NULL, 0);
	kd_pkg_free(pkg);
	kd_error_clear();
	return 0;
}
