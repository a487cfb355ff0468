/* Helpers of the Spark package's end-to-end tests; see spark_e2e.h. */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../base/json.h"
#include "../../params/params.h"
#include "spark_e2e.h"
#include "test.h"

extern char **environ;

int kd_test_spark_kubectl(kd_buf *out, kd_buf *err, const char *stdin_text, const char *const *args)
{
	const char *bin = kd_test_testenv_bin();
	if (!bin) {
		fprintf(stderr, "  KUDOC_TESTENV_BIN is not set (testenv/dev.sh build prints it)\n");
		return -1;
	}
	static int seq;
	char in_path[512], out_path[512], err_path[512];
	int n = ++seq, status = -1;
	snprintf(in_path, sizeof in_path, "%s/kubectl-%d.in", kd_test_tmpdir(), n);
	snprintf(out_path, sizeof out_path, "%s/kubectl-%d.out", kd_test_tmpdir(), n);
	snprintf(err_path, sizeof err_path, "%s/kubectl-%d.err", kd_test_tmpdir(), n);
	kd_test_write_file(in_path, stdin_text ? stdin_text : "", 0600);

	const char *argv[64];
	size_t argc = 0;
	argv[argc++] = bin;
	argv[argc++] = "kubectl";
	argv[argc++] = "--kubeconfig";
	argv[argc++] = kd_test_kubeconfig();
	for (size_t i = 0; args[i] && argc < KD_ARRAY_SIZE(argv) - 1; i++)
		argv[argc++] = args[i];
	argv[argc] = NULL;

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, in_path, O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	pid_t pid;
	int rc = posix_spawn(&pid, bin, &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		fprintf(stderr, "  cannot run %s: %s\n", bin, strerror(rc));
		return -1;
	}
	int ws;
	if (waitpid(pid, &ws, 0) == pid && WIFEXITED(ws))
		status = WEXITSTATUS(ws);
	char *text = NULL;
	if (out && kd_file_read(&text, NULL, out_path, 0) == 0)
		kd_buf_puts(out, text);
	free(text);
	text = NULL;
	if (err && kd_file_read(&text, NULL, err_path, 0) == 0)
		kd_buf_puts(err, text);
	free(text);
	return status;
}

int kd_test_spark_render_plan(kd_test_spark_render *out, const char *plan, const char *instance, const char *ns,
	const char *const *flags, size_t nflags)
{
	return kd_test_spark_render_package(out, "packages/spark", plan, instance, ns, flags, nflags);
}

int kd_test_spark_render_package(kd_test_spark_render *out, const char *package, const char *plan,
	const char *instance, const char *ns, const char *const *flags, size_t nflags)
{
	kd_params *params = NULL;
	cJSON *pmap = NULL;
	kd_buf path = KD_BUF_INIT;
	int rc;
	out->pkg = NULL;
	out->res = NULL;
	kd_buf_printf(&path, "%s/%s", kd_test_root(), package);
	kd_params_options po = KD_PARAMS_OPTIONS_INIT;
	po.flags = flags;
	po.nflags = nflags;
	if ((rc = kd_pkg_load(&out->pkg, kd_buf_cstr(&path), NULL)) != 0 ||
		(rc = kd_params_resolve(&params, out->pkg, &po)) != 0 || (rc = kd_params_to_template(&pmap, params)) != 0)
		goto done;
	kd_render_options ro = KD_RENDER_OPTIONS_INIT;
	ro.instance = instance;
	ro.namespace = ns;
	ro.plan = plan;
	ro.params = pmap;
	rc = kd_plan_render(&out->res, out->pkg, &ro);
done:
	cJSON_Delete(pmap);
	kd_params_free(params);
	kd_buf_free(&path);
	return rc;
}

void kd_test_spark_render_free(kd_test_spark_render *r)
{
	kd_render_result_free(r->res);
	kd_pkg_free(r->pkg);
	r->res = NULL;
	r->pkg = NULL;
}

cJSON *kd_test_spark_find(const kd_test_spark_render *r, const char *kind)
{
	for (size_t i = 0; r->res && i < r->res->ndocs; i++) {
		const char *k = kd_json_get_str(r->res->docs[i].object, "kind");
		if (k && strcmp(k, kind) == 0)
			return r->res->docs[i].object;
	}
	return NULL;
}

void kd_test_spark_delete_cluster_scoped(kd_kube_client *c, const kd_test_spark_render *r)
{
	kd_kube_delete_options o = KD_KUBE_DELETE_OPTIONS_INIT;
	for (size_t i = 0; r->res && i < r->res->ndocs; i++) {
		const cJSON *obj = r->res->docs[i].object;
		const char *kind = kd_json_get_str(obj, "kind");
		if (!kind || (strcmp(kind, "ClusterRole") != 0 && strcmp(kind, "ClusterRoleBinding") != 0))
			continue;
		kd_kube_ref ref = {kd_json_get_str(obj, "apiVersion"), kind, NULL,
			kd_json_get_str(kd_json_get(obj, "metadata"), "name"), NULL};
		int rc = kd_kube_delete(c, &ref, &o);
		CHECK(rc == 0 || rc == KD_ENOTFOUND);
	}
}

static void add_labels(cJSON *meta, const char *instance)
{
	cJSON *labels = cJSON_GetObjectItemCaseSensitive(meta, "labels");
	if (!labels)
		labels = cJSON_AddObjectToObject(meta, "labels");
	cJSON_DeleteItemFromObjectCaseSensitive(labels, "app.kubernetes.io/managed-by");
	cJSON_AddStringToObject(labels, "app.kubernetes.io/managed-by", "kudoc");
	cJSON_DeleteItemFromObjectCaseSensitive(labels, "kudoc.dev/instance");
	cJSON_AddStringToObject(labels, "kudoc.dev/instance", instance);
	cJSON_DeleteItemFromObjectCaseSensitive(labels, "kudoc.dev/operator");
	cJSON_AddStringToObject(labels, "kudoc.dev/operator", "spark");
}

void kd_test_spark_engine_labels(cJSON *obj, const char *instance, int revision)
{
	cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	if (!meta)
		return;
	add_labels(meta, instance);
	cJSON *ann = cJSON_GetObjectItemCaseSensitive(meta, "annotations");
	if (!ann)
		ann = cJSON_AddObjectToObject(meta, "annotations");
	char rev[32];
	snprintf(rev, sizeof rev, "%d", revision);
	cJSON_DeleteItemFromObjectCaseSensitive(ann, "kudoc.dev/revision");
	cJSON_AddStringToObject(ann, "kudoc.dev/revision", rev);
	cJSON *tmeta = kd_json_path(obj, "spec", "template", "metadata", NULL);
	if (tmeta)
		add_labels(tmeta, instance);
}
