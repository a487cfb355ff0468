/* libFuzzer target for the -p parser: kd_params_parse_flag's invariants, then the value's way
 * through kd_params_add_flag for every parameter type (YAML parsing for array and map). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/base.h"
#include "../../operator/operator.h"
#include "../../params/params.h"

static const char op_yaml[] = "apiVersion: kudo.dev/v1beta1\nname: f\nplans:\n  deploy: {}\n";
static const char params_yaml[] = "parameters:\n"
				  "  - name: str\n"
				  "  - name: int\n    type: integer\n    default: 1\n"
				  "  - name: num\n    type: number\n    default: 1\n"
				  "  - name: bool\n    type: boolean\n    default: true\n"
				  "  - name: arr\n    type: array\n    default: []\n"
				  "  - name: map\n    type: map\n    default: {}\n"
				  "  - name: enm\n    enum: [x, 1, true]\n    default: x\n";

static kd_pkg *pkg;

static void init(void)
{
	if (pkg)
		return;
	kd_base_init();
	kd_pkg_input_file f[] = {{"operator.yaml", op_yaml, sizeof op_yaml - 1},
		{"params.yaml", params_yaml, sizeof params_yaml - 1}};
	if (kd_pkg_load_files(&pkg, "fuzz", f, 2, NULL) != 0) {
		fprintf(stderr, "fixture package does not load: %s\n", kd_error_last());
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *arg, *name = NULL, *value = NULL;
	kd_params *p = NULL;
	cJSON *t = NULL;
	init();
	if (size > 4096)
		return 0;
	arg = kd_strndup((const char *)data, size);
	if (kd_params_parse_flag(&name, &value, arg) == 0) {
		size_t nl = strlen(name);
		if (nl == 0 || strchr(name, '=') || strncmp(arg, name, nl) != 0 || arg[nl] != '=' ||
			strcmp(arg + nl + 1, value) != 0)
			abort();
	} else if (name || value || (strchr(arg, '=') && arg[0] != '=')) {
		abort();
	}
	kd_params_new(&p, pkg);
	kd_params_add_flag(p, arg);
	/* the value as every type */
	if (value) {
		static const char *const names[] = {"str", "int", "num", "bool", "arr", "map", "enm"};
		kd_buf b = KD_BUF_INIT;
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
			kd_buf_clear(&b);
			kd_buf_printf(&b, "%s=%s", names[i], value);
			kd_params_add_flag(p, kd_buf_cstr(&b));
		}
		kd_buf_free(&b);
	}
	kd_params_finish(p);
	kd_params_to_template(&t, p);
	cJSON_Delete(t);
	kd_params_free(p);
	free(name);
	free(value);
	free(arg);
	kd_error_clear();
	return 0;
}
