/* End-to-end: what `template` prints, in each of its formats, read by the real kubectl gives
 * exactly the objects kudoc applies. `kubectl create --dry-run=client -o json -f FILE`
 * (testenv's kubectl, which asks the test cluster for the kinds' mappings) reads the stream as
 * `kubectl apply -f` does and prints what it read; `apply --dry-run=client` would print, for an
 * object that already exists (the CRDs other tests installed), the live object patched. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../base/json.h"
#include "../../cli/cli_internal.h"
#include "e2e.h"
#include "test.h"

/* kubectl's additions to what it read: the last-applied annotation (and the annotations map it
 * made for it), and the default namespace it fills in for namespaced objects without one. */
static void drop_kubectl_additions(cJSON *got, const cJSON *want)
{
	cJSON *md = kd_json_get(got, "metadata");
	const cJSON *wmd = kd_json_get(want, "metadata");
	cJSON *ann = kd_json_get(md, "annotations");
	if (ann) {
		cJSON_DeleteItemFromObjectCaseSensitive(ann, "kubectl.kubernetes.io/last-applied-configuration");
		if (!ann->child && !kd_json_get(wmd, "annotations"))
			cJSON_DeleteItemFromObjectCaseSensitive(md, "annotations");
	}
	if (!kd_json_get(wmd, "namespace"))
		cJSON_DeleteItemFromObjectCaseSensitive(md, "namespace");
}

static void check_case(const char *name, const char *const *args, size_t nargs)
{
	static const char *const formats[] = {"text", "yaml", "json"};
	char *argv[32];
	size_t argc = 0;
	for (size_t i = 0; i < nargs && argc < 30; i++)
		argv[argc++] = (char *)args[i];
	kd_cli_opts o;
	kd_render_result *res = NULL;
	char cwd[4096];
	if (!CHECK(getcwd(cwd, sizeof cwd) && chdir(kd_test_root()) == 0))
		return;
	int rc = kd_cli_parse(&o, (int)argc, argv, "instance namespace p P plan output");
	if (CHECK_INT(rc, 0))
		CHECK_INT(kd_cli__template_render(&res, &o), 0);
	kd_cli_opts_free(&o);
	CHECK(chdir(cwd) == 0);
	for (size_t f = 0; res && f < KD_ARRAY_SIZE(formats); f++) {
		kd_buf printed = KD_BUF_INIT, out = KD_BUF_INIT;
		CHECK_INT(f == 0 ? kd_render_result_print(&printed, res)
			  : f == 1 ? kd_render_result_print_yaml(&printed, res)
				   : kd_render_result_print_json(&printed, res),
			0);
		char file[256];
		snprintf(file, sizeof file, "template-%s-%s.out", name, formats[f]);
		char *path = kd_e2e_tmp(file);
		kd_test_write_file(path, kd_buf_cstr(&printed), 0600);
		const char *kargv[] = {"create", "--dry-run=client", "-o", "json", "-f", path, NULL};
		if (CHECK_INT(kd_e2e_kubectl(&out, kargv), 0)) {
			/* one JSON object after the other (a List when kubectl makes one) */
			cJSON *got = cJSON_CreateArray();
			const char *p = kd_buf_cstr(&out), *end = NULL;
			while (*p) {
				cJSON *o = cJSON_ParseWithOpts(p, &end, false);
				if (!CHECK(o != NULL))
					break;
				const char *kind = kd_json_get_str(o, "kind");
				if (kind && strcmp(kind, "List") == 0) {
					cJSON *items = cJSON_DetachItemFromObject(o, "items"), *it;
					while ((it = cJSON_DetachItemFromArray(items, 0)) != NULL)
						cJSON_AddItemToArray(got, it);
					cJSON_Delete(items);
					cJSON_Delete(o);
				} else {
					cJSON_AddItemToArray(got, o);
				}
				p = end;
				while (*p == '\n' || *p == ' ')
					p++;
			}
			size_t n = (size_t)cJSON_GetArraySize(got);
			if (!CHECK_INT(n, res->ndocs))
				fprintf(stderr, "    %s -o %s\n", name, formats[f]);
			for (size_t i = 0; i < n && i < res->ndocs; i++) {
				cJSON *g = cJSON_GetArrayItem(got, (int)i);
				drop_kubectl_additions(g, res->docs[i].object);
				if (!CHECK(kd_json_equal(g, res->docs[i].object))) {
					char *a = cJSON_PrintUnformatted(g), *b = cJSON_PrintUnformatted(res->docs[i].object);
					fprintf(stderr, "    %s -o %s, object %zu:\n    kubectl: %.400s\n    kudoc:   %.400s\n", name,
						formats[f], i + 1, a, b);
					free(a);
					free(b);
				}
			}
			cJSON_Delete(got);
		}
		free(path);
		kd_buf_free(&printed);
		kd_buf_free(&out);
	}
	kd_render_result_free(res);
}

TEST(e2e_template_output_reads_back_through_kubectl)
{
	/* block scalars at the ends of documents, separators with comments, empty documents */
	static const char *const splits[] = {"tests/render/documents-as-kudo-splits/package"};
	/* nil lists, "" for optional scalars, toJson/toPrettyJson in values */
	static const char *const nodefault[] = {"tests/render/params-without-default/package"};
	static const char *const scalars[] = {"tests/render/string-fields-from-scalars/package"};
	static const char *const spark[] = {"packages/spark", "--instance", "spark", "-n", "spark-system", "-p",
		"replicas=3", "-p", "enableLeaderElection=true", "-p", "enableWebhook=true"};
	check_case("splits", splits, KD_ARRAY_SIZE(splits));
	check_case("nodefault", nodefault, KD_ARRAY_SIZE(nodefault));
	check_case("scalars", scalars, KD_ARRAY_SIZE(scalars));
	check_case("spark", spark, KD_ARRAY_SIZE(spark));
}
