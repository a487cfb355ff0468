/* End-to-end: every object of the Spark package's deploy plan, rendered by kudoc for the modes
 * its documentation describes (HA; batch scheduling with its implied webhook and a job namespace),
 * goes through a server-side dry-run apply with kudoc's client, carrying the labels the engine
 * adds, so schema, defaulting and admission (the protected-group CRD annotation, RBAC rule
 * shapes, label syntax) judge it. Nothing is persisted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/json.h"
#include "e2e.h"
#include "spark_e2e.h"
#include "test.h"

static void dry_run_mode(kd_kube_client *c, const char *mode, const char *ns, const char *const *flags,
	size_t nflags, const char *const *kinds_expected)
{
	kd_test_spark_render r;
	if (!CHECK_INT(kd_test_spark_render_plan(&r, "deploy", NULL, ns, flags, nflags), 0)) {
		fprintf(stderr, "    mode %s: %s\n", mode, kd_error_last());
		kd_test_spark_render_free(&r);
		return;
	}
	kd_kube_apply_options ao = KD_KUBE_APPLY_OPTIONS_INIT;
	ao.dry_run = true;
	for (size_t i = 0; i < r.res->ndocs; i++) {
		cJSON *obj = r.res->docs[i].object, *stored = NULL;
		kd_test_spark_engine_labels(obj, "spark-instance", 1);
		int rc = kd_kube_apply(&stored, c, obj, &ao);
		if (!CHECK_INT(rc, 0))
			fprintf(stderr, "    mode %s: %s (%s): %s\n", mode, r.res->docs[i].template_name,
				kd_json_get_str(obj, "kind"), kd_error_last());
		/* The answer is the object as it would be stored: defaulted, labelled, not persisted. */
		CHECK(stored && kd_json_path(stored, "metadata", "uid", NULL) != NULL);
		CHECK_STR(kd_json_get_str(kd_json_path(stored, "metadata", "labels", NULL), "kudoc.dev/instance"),
			"spark-instance");
		cJSON_Delete(stored);
	}
	for (size_t k = 0; kinds_expected[k]; k++)
		if (!CHECK(kd_test_spark_find(&r, kinds_expected[k]) != NULL))
			fprintf(stderr, "    mode %s renders no %s\n", mode, kinds_expected[k]);
	kd_kube_ref dep = {"apps/v1", "Deployment", ns, "spark-instance", NULL};
	cJSON *none = NULL;
	CHECK_INT(kd_kube_get(&none, c, &dep), KD_ENOTFOUND); /* the dry run wrote nothing */
	cJSON_Delete(none);
	kd_test_spark_render_free(&r);
}

TEST(e2e_spark_render_passes_server_dry_run)
{
	kd_kube_client *c = kd_e2e_client(NULL);
	if (!CHECK(c != NULL))
		return;
	char *ns = kd_e2e_ns("kd-e2e-spark-dry");
	char *jobs = kd_e2e_ns("kd-e2e-spark-jobs");
	kd_buf lockns = KD_BUF_INIT, jobns = KD_BUF_INIT;
	kd_buf_printf(&lockns, "leaderElectionLockNamespace=%s", ns);
	kd_buf_printf(&jobns, "sparkJobNamespace=%s", jobs);

	const char *ha[] = {"replicas=3", "enableLeaderElection=true", kd_buf_cstr(&lockns)};
	const char *ha_kinds[] = {"CustomResourceDefinition", "ServiceAccount", "ClusterRole", "ClusterRoleBinding",
		"Role", "RoleBinding", "Deployment", "Service", NULL};
	dry_run_mode(c, "ha", ns, ha, KD_ARRAY_SIZE(ha), ha_kinds);

	const char *batch[] = {"enableBatchScheduler=true", kd_buf_cstr(&jobns)};
	const char *batch_kinds[] = {"CustomResourceDefinition", "ServiceAccount", "ClusterRole", "Job", "Deployment",
		"Service", NULL};
	dry_run_mode(c, "batch", ns, batch, KD_ARRAY_SIZE(batch), batch_kinds);

	kd_buf_free(&lockns);
	kd_buf_free(&jobns);
	kd_e2e_ns_drop(jobs);
	kd_e2e_ns_drop(ns);
	kd_kube_client_free(c);
}
