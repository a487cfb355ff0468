/* Fuzz target: the split of rendered text into documents (KUDO's "\n---" rule) and the three
 * ways `template` prints them. Any bytes become a template's output (the template is
 * {{ .Params.doc }}); when the render succeeds, the text, -o yaml and -o json output, read back
 * as kubectl reads a stream (a "---" line separates documents; empty and null ones are
 * dropped; a List's items count one by one), must give exactly the render's objects. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/base.h"
#include "../../base/json.h"
#include "../../base/yaml.h"
#include "../../operator/operator.h"
#include "../../plans/plans.h"

static const char op[] = "name: f\noperatorVersion: 0.1.0\ntasks:\n  - name: t\n    kind: Apply\n"
			 "    spec:\n      resources: [d.yaml]\nplans:\n  deploy:\n    phases:\n"
			 "      - name: p\n        steps:\n          - name: s\n            tasks: [t]\n";
static const char tpl[] = "{{ .Params.doc }}";

static cJSON *read_back(const char *text)
{
	cJSON *objs = cJSON_CreateArray();
	const char *doc = text, *p = text;
	for (;;) {
		const char *eol = strchr(p, '\n');
		size_t l = eol ? (size_t)(eol - p) : strlen(p);
		int sep = l >= 3 && strncmp(p, "---", 3) == 0 && strspn(p + 3, " \t\r") >= l - 3;
		if (sep || !eol) {
			const char *end = sep ? p : p + l;
			cJSON *all = NULL;
			if (kd_yaml_parse_all(&all, NULL, "printed", doc, (size_t)(end - doc))) {
				fprintf(stderr, "printed output does not parse: %s\n", kd_error_last());
				abort();
			}
			cJSON *first = cJSON_GetArraySize(all) ? cJSON_DetachItemFromArray(all, 0) : NULL;
			cJSON_Delete(all);
			const char *kind = kd_json_get_str(first, "kind");
			if (kind && strcmp(kind, "List") == 0 && cJSON_IsArray(kd_json_get(first, "items"))) {
				cJSON *items = cJSON_DetachItemFromObject(first, "items"), *it;
				while ((it = cJSON_DetachItemFromArray(items, 0)) != NULL)
					cJSON_AddItemToArray(objs, it);
				cJSON_Delete(items);
				cJSON_Delete(first);
			} else if (first && !cJSON_IsNull(first)) {
				cJSON_AddItemToArray(objs, first);
			} else {
				cJSON_Delete(first);
			}
			doc = eol ? eol + 1 : p + l;
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	return objs;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static kd_pkg *pkg;
	if (!pkg) {
		kd_base_init();
		kd_pkg_input_file f[] = {{"operator.yaml", op, sizeof op - 1}, {"templates/d.yaml", tpl, sizeof tpl - 1}};
		if (kd_pkg_load_files(&pkg, "fuzz", f, 2, NULL))
			abort();
	}
	char *text = kd_strndup((const char *)data, size);
	cJSON *params = cJSON_CreateObject();
	cJSON_AddStringToObject(params, "doc", text);
	kd_render_options o = KD_RENDER_OPTIONS_INIT;
	o.params = params;
	kd_render_result *res = NULL;
	if (kd_plan_render(&res, pkg, &o) == 0) {
		for (int how = 0; how < 3; how++) {
			kd_buf out = KD_BUF_INIT;
			int rc = how == 0 ? kd_render_result_print(&out, res)
				 : how == 1 ? kd_render_result_print_yaml(&out, res)
					    : kd_render_result_print_json(&out, res);
			if (rc)
				abort();
			cJSON *back = read_back(kd_buf_cstr(&out));
			if ((size_t)cJSON_GetArraySize(back) != res->ndocs)
				abort();
			for (size_t i = 0; i < res->ndocs; i++)
				if (!kd_json_equal(cJSON_GetArrayItem(back, (int)i), res->docs[i].object)) {
					fprintf(stderr, "format %d, document %zu reads back differently:\n%s\n", how, i,
						kd_buf_cstr(&out));
					abort();
				}
			cJSON_Delete(back);
			kd_buf_free(&out);
		}
	}
	kd_render_result_free(res);
	cJSON_Delete(params);
	free(text);
	kd_error_clear();
	return 0;
}
