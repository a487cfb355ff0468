/* End-to-end: the Spark package's CRDs, applied for real to testenv, accept the SparkApplications
 * a user writes (packages/spark/examples/, every field issue 10 lists) through the real kubectl,
 * keep every field (nothing pruned), serve the status subresource, and make the apiserver refuse
 * wrongly typed fields with its own message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/json.h"
#include "e2e.h"
#include "spark_e2e.h"
#include "test.h"

static char *example_path(const char *name)
{
	kd_buf b = KD_BUF_INIT;
	kd_buf_printf(&b, "%s/packages/spark/examples/%s", kd_test_root(), name);
	return kd_buf_detach(&b);
}

/* The example pyspark-pi.yaml with `from` replaced by `to` (first occurrence) and a new name. */
static char *mutated_example(const char *name, const char *from, const char *to)
{
	char *path = example_path("pyspark-pi.yaml"), *text = NULL;
	kd_buf b = KD_BUF_INIT;
	if (kd_file_read(&text, NULL, path, 0) == 0) {
		const char *at = strstr(text, from), *nm = strstr(text, "name: pyspark-pi\n");
		if (at && nm && nm < at) {
			kd_buf_put(&b, text, (size_t)(nm - text));
			kd_buf_printf(&b, "name: %s\n", name);
			const char *after = nm + strlen("name: pyspark-pi\n");
			kd_buf_put(&b, after, (size_t)(at - after));
			kd_buf_puts(&b, to);
			kd_buf_puts(&b, at + strlen(from));
		}
	}
	free(text);
	free(path);
	return kd_buf_detach(&b);
}

static cJSON *kubectl_get_json(const char *ns, const char *what, const char *name)
{
	kd_buf out = KD_BUF_INIT;
	const char *args[] = {"get", what, name, "-n", ns, "-o", "json", NULL};
	cJSON *o = NULL;
	if (kd_test_spark_kubectl(&out, NULL, NULL, args) == 0)
		o = cJSON_Parse(kd_buf_cstr(&out));
	kd_buf_free(&out);
	return o;
}

/* Applies `manifest` with kubectl and expects the apiserver to refuse it with `message`. */
static void refused(const char *ns, const char *what, const char *name, const char *manifest, const char *message)
{
	kd_buf err = KD_BUF_INIT;
	const char *args[] = {"apply", "-n", ns, "-f", "-", NULL};
	CHECK(manifest[0] != '\0');
	int rc = kd_test_spark_kubectl(NULL, &err, manifest, args);
	CHECK(rc != 0 && rc != -1);
	if (!CHECK(strstr(kd_buf_cstr(&err), message) != NULL))
		fprintf(stderr, "    want: %s\n    kubectl said: %s\n", message, kd_buf_cstr(&err));
	cJSON *none = kubectl_get_json(ns, what, name);
	CHECK(none == NULL); /* nothing was stored */
	cJSON_Delete(none);
	kd_buf_free(&err);
}

TEST(e2e_spark_crds_accept_real_spark_applications)
{
	kd_kube_client *c = kd_e2e_client(NULL);
	if (!CHECK(c != NULL))
		return;
	char *ns = kd_e2e_ns("kd-e2e-spark-apps");
	kd_test_spark_render r;
	if (!CHECK_INT(kd_test_spark_render_plan(&r, "deploy", NULL, ns, NULL, 0), 0))
		goto done;

	/* The CRDs, applied as the engine applies them, then Established. */
	kd_kube_ref refs[2];
	size_t nrefs = 0;
	for (size_t i = 0; i < r.res->ndocs && nrefs < 2; i++) {
		cJSON *obj = r.res->docs[i].object;
		if (strcmp(kd_json_get_str(obj, "kind"), "CustomResourceDefinition") != 0)
			continue;
		kd_test_spark_engine_labels(obj, "spark-instance", 1);
		if (!CHECK_INT(kd_kube_apply(NULL, c, obj, NULL), 0))
			goto done;
		refs[nrefs++] = (kd_kube_ref){"apiextensions.k8s.io/v1", "CustomResourceDefinition", NULL,
			kd_json_get_str(kd_json_get(obj, "metadata"), "name"), NULL};
	}
	CHECK_INT(nrefs, 2);
	kd_kube_wait_options wo = KD_KUBE_WAIT_OPTIONS_INIT;
	wo.timeout_ms = 60000;
	if (!CHECK_INT(kd_kube_wait(c, refs, nrefs, &wo), 0))
		goto done;

	/* Both examples, through the real kubectl. */
	char *volcano = example_path("pyspark-pi-volcano.yaml"), *basic = example_path("pyspark-pi.yaml");
	kd_buf err = KD_BUF_INIT;
	const char *apply_v[] = {"apply", "-n", ns, "-f", volcano, NULL};
	const char *apply_b[] = {"apply", "-n", ns, "-f", basic, NULL};
	if (!CHECK_INT(kd_test_spark_kubectl(NULL, &err, NULL, apply_v), 0) ||
		!CHECK_INT(kd_test_spark_kubectl(NULL, &err, NULL, apply_b), 0))
		fprintf(stderr, "    kubectl: %s\n", kd_buf_cstr(&err));
	kd_buf_free(&err);
	free(volcano);
	free(basic);

	/* Every listed field arrived as written, with its type (nothing pruned or coerced). */
	cJSON *app = kubectl_get_json(ns, "sparkapplication", "pyspark-pi-volcano");
	cJSON *spec = kd_json_get(app, "spec");
	CHECK_STR(kd_json_get_str(spec, "type"), "Python");
	CHECK_STR(kd_json_get_str(spec, "pythonVersion"), "3");
	CHECK_STR(kd_json_get_str(spec, "mode"), "cluster");
	CHECK_STR(kd_json_get_str(spec, "image"), "gcr.io/spark-operator/spark-py:v3.1.1");
	CHECK_STR(kd_json_get_str(spec, "imagePullPolicy"), "IfNotPresent");
	CHECK_STR(kd_json_get_str(spec, "mainApplicationFile"), "local:///opt/spark/examples/src/main/python/pi.py");
	CHECK_STR(kd_json_get_str(spec, "sparkVersion"), "3.1.1");
	CHECK(cJSON_IsString(cJSON_GetArrayItem(kd_json_get(spec, "arguments"), 0)));
	CHECK_STR(kd_json_get_str(spec, "batchScheduler"), "volcano");
	CHECK_STR(kd_json_get_str(kd_json_get(spec, "batchSchedulerOptions"), "priorityClassName"), "spark-batch");
	CHECK_INT(cJSON_GetNumberValue(kd_json_get(spec, "timeToLiveSeconds")), 86400);
	cJSON *rp = kd_json_get(spec, "restartPolicy");
	CHECK_STR(kd_json_get_str(rp, "type"), "OnFailure");
	CHECK_INT(cJSON_GetNumberValue(kd_json_get(rp, "onFailureRetries")), 3);
	CHECK_INT(cJSON_GetNumberValue(kd_json_get(rp, "onFailureRetryInterval")), 10);
	CHECK_INT(cJSON_GetNumberValue(kd_json_get(rp, "onSubmissionFailureRetries")), 5);
	CHECK_INT(cJSON_GetNumberValue(kd_json_get(rp, "onSubmissionFailureRetryInterval")), 20);
	cJSON *drv = kd_json_get(spec, "driver"), *exe = kd_json_get(spec, "executor");
	CHECK_INT(cJSON_GetNumberValue(kd_json_get(drv, "cores")), 1);
	CHECK_STR(kd_json_get_str(drv, "coreLimit"), "1200m");
	CHECK_STR(kd_json_get_str(drv, "memory"), "512m");
	CHECK_STR(kd_json_get_str(kd_json_get(drv, "labels"), "version"), "3.1.1");
	CHECK_STR(kd_json_get_str(drv, "serviceAccount"), "spark-instance-spark");
	CHECK_INT(cJSON_GetNumberValue(kd_json_get(exe, "cores")), 2);
	CHECK_INT(cJSON_GetNumberValue(kd_json_get(exe, "instances")), 3);
	CHECK_STR(kd_json_get_str(exe, "memory"), "1g");
	cJSON *term = cJSON_GetArrayItem(kd_json_path(exe, "affinity", "nodeAffinity",
		"requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms", NULL), 0);
	cJSON *expr = cJSON_GetArrayItem(kd_json_get(term, "matchExpressions"), 0);
	CHECK_STR(kd_json_get_str(expr, "key"), "kubernetes.io/os");
	CHECK_STR(kd_json_get_str(expr, "operator"), "In");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(kd_json_get(expr, "values"), 0)), "linux");
	cJSON_Delete(app);

	/* The status subresource is served. */
	kd_buf path = KD_BUF_INIT;
	kd_buf_printf(&path, "/apis/sparkoperator.k8s.io/v1beta2/namespaces/%s/sparkapplications/pyspark-pi/status", ns);
	const char *raw[] = {"get", "--raw", kd_buf_cstr(&path), NULL};
	CHECK_INT(kd_test_spark_kubectl(NULL, NULL, NULL, raw), 0);
	kd_buf_free(&path);

	/* A ScheduledSparkApplication whose template is a whole SparkApplicationSpec. */
	const char *sched =
		"apiVersion: sparkoperator.k8s.io/v1beta2\n"
		"kind: ScheduledSparkApplication\n"
		"metadata:\n  name: nightly-pi\n"
		"spec:\n"
		"  schedule: \"@daily\"\n"
		"  concurrencyPolicy: Forbid\n"
		"  successfulRunHistoryLimit: 3\n"
		"  template:\n"
		"    type: Python\n"
		"    pythonVersion: \"3\"\n"
		"    mode: cluster\n"
		"    mainApplicationFile: local:///opt/spark/examples/src/main/python/pi.py\n"
		"    sparkVersion: \"3.1.1\"\n"
		"    restartPolicy: {type: Never}\n"
		"    driver: {cores: 1, memory: 512m, serviceAccount: spark-instance-spark}\n"
		"    executor: {cores: 1, instances: 2, memory: 512m}\n";
	const char *apply_s[] = {"apply", "-n", ns, "-f", "-", NULL};
	kd_buf serr = KD_BUF_INIT;
	if (!CHECK_INT(kd_test_spark_kubectl(NULL, &serr, sched, apply_s), 0))
		fprintf(stderr, "    kubectl: %s\n", kd_buf_cstr(&serr));
	cJSON *s = kubectl_get_json(ns, "scheduledsparkapplication", "nightly-pi");
	CHECK_INT(cJSON_GetNumberValue(kd_json_path(s, "spec", "template", "executor", "instances", NULL)), 2);
	CHECK_STR(kd_json_get_str(kd_json_get(s, "spec"), "schedule"), "@daily");
	cJSON_Delete(s);
	kd_buf_free(&serr);
	refused(ns, "scheduledsparkapplication", "bad-suspend",
		"apiVersion: sparkoperator.k8s.io/v1beta2\nkind: ScheduledSparkApplication\nmetadata:\n  name: bad-suspend\n"
		"spec:\n  schedule: \"@daily\"\n  suspend: \"yes\"\n  template:\n    type: Scala\n    sparkVersion: \"3.1.1\"\n"
		"    driver: {}\n    executor: {}\n",
		"spec.suspend in body must be of type boolean: \"string\"");

	/* Wrong types and values, refused by the apiserver with its own words. */
	char *m = mutated_example("bad-instances", "instances: 2", "instances: \"two\"");
	refused(ns, "sparkapplication", "bad-instances", m,
		"spec.executor.instances: Invalid value: \"string\": spec.executor.instances in body must be of type integer: \"string\"");
	free(m);
	m = mutated_example("bad-retries", "onFailureRetries: 3", "onFailureRetries: \"3\"");
	refused(ns, "sparkapplication", "bad-retries", m,
		"spec.restartPolicy.onFailureRetries: Invalid value: \"string\": spec.restartPolicy.onFailureRetries in body must be of type integer: \"string\"");
	free(m);
	m = mutated_example("bad-cores", "    cores: 1\n    coreLimit", "    cores: one\n    coreLimit");
	refused(ns, "sparkapplication", "bad-cores", m, "spec.driver.cores in body must be of type integer: \"string\"");
	free(m);
	m = mutated_example("bad-labels", "    labels:\n      version: 3.1.1", "    labels:\n      version: 3.1");
	refused(ns, "sparkapplication", "bad-labels", m, "spec.driver.labels.version in body must be of type string: \"number\"");
	free(m);
	m = mutated_example("bad-type", "type: Python", "type: Pyton");
	refused(ns, "sparkapplication", "bad-type", m, "spec.type: Unsupported value: \"Pyton\"");
	free(m);
	m = mutated_example("bad-affinity", "  executor:\n", "  executor:\n    affinity:\n      nodeAffinity:\n        requiredDuringSchedulingIgnoredDuringExecution: [linux]\n");
	refused(ns, "sparkapplication", "bad-affinity", m,
		"spec.executor.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution in body must be of type object: \"array\"");
	free(m);
	/* The schema is closed where the Go types are: an unknown field is refused, not kept. */
	m = mutated_example("bad-unknown", "  driver:\n", "  notDriver:\n");
	refused(ns, "sparkapplication", "bad-unknown", m, "unknown field \"spec.notDriver\"");
	free(m);
	m = mutated_example("bad-no-driver", "  driver:\n    cores: 1\n    coreLimit: 1200m\n    memory: 512m\n"
		"    labels:\n      version: 3.1.1\n    serviceAccount: spark-instance-spark\n", "");
	refused(ns, "sparkapplication", "bad-no-driver", m, "spec.driver: Required value");
	free(m);
done:
	kd_test_spark_render_free(&r);
	kd_e2e_ns_drop(ns);
	kd_kube_client_free(c);
}
