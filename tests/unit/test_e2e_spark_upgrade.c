/* End-to-end: what the Spark package's upgrade plan applies fits over what its previous release
 * (tests/fixtures/spark-1.0.0) applied, object by object, on a real apiserver with server-side
 * apply under one field manager, as the engine will do it: the loose CRD schemas tighten, the
 * Deployment (same name and selector) moves from Recreate to a rolling update and a new image,
 * the certificate Job is replaced (its pod template is immutable, hence the plan's Delete step
 * first), and leadership survives: a pod of the new ReplicaSet holds the lock afterwards. The
 * engine's own upgrade test (plans, records, kept parameters, pruning of 1.0.0's ClusterRole) is
 * the lead's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../base/json.h"
#include "e2e.h"
#include "spark_e2e.h"
#include "test.h"

/* Applies every object of the render except those of `skip_kind`, labelled for `revision`. */
static bool apply_all(kd_kube_client *c, kd_test_spark_render *r, int revision, const char *skip_kind)
{
	bool ok = true;
	for (size_t i = 0; i < r->res->ndocs; i++) {
		cJSON *obj = r->res->docs[i].object;
		if (skip_kind && strcmp(kd_json_get_str(obj, "kind"), skip_kind) == 0)
			continue;
		kd_test_spark_engine_labels(obj, "spark-instance", revision);
		if (!CHECK_INT(kd_kube_apply(NULL, c, obj, NULL), 0)) {
			fprintf(stderr, "    revision %d, %s (%s): %s\n", revision, r->res->docs[i].template_name,
				kd_json_get_str(obj, "kind"), kd_error_last());
			ok = false;
		}
	}
	return ok;
}

typedef struct {
	kd_kube_client *c;
	const char *ns;
	const char *image; /* every Ready pod runs it */
	int want;
	char holder[256];
} rollout_probe;

static bool rolled_out_and_led(void *ud)
{
	rollout_probe *p = ud;
	cJSON *list = NULL;
	kd_kube_ref r = {"v1", "Pod", p->ns, NULL, NULL};
	kd_kube_list_options lo = KD_KUBE_LIST_OPTIONS_INIT;
	lo.label_selector = "app.kubernetes.io/instance=spark-instance,app.kubernetes.io/name=spark-operator";
	int ready = 0, other = 0;
	bool holder_ok = false;
	kd_kube_leader_record rec = KD_KUBE_LEADER_RECORD_INIT;
	bool have_rec = kd_kube_leader_get(&rec, p->c, KD_KUBE_LOCK_CONFIGMAP, p->ns, "spark-operator-lock") == 0;
	if (kd_kube_list(&list, p->c, &r, &lo) == 0) {
		const cJSON *pod;
		cJSON_ArrayForEach(pod, kd_json_get(list, "items"))
		{
			const char *img = kd_json_get_str(cJSON_GetArrayItem(kd_json_path(pod, "spec", "containers", NULL), 0), "image");
			if (!img || strcmp(img, p->image) != 0 || kd_json_path(pod, "metadata", "deletionTimestamp", NULL)) {
				other++;
				continue;
			}
			const cJSON *cond;
			cJSON_ArrayForEach(cond, kd_json_path(pod, "status", "conditions", NULL))
			{
				if (strcmp(kd_json_get_str(cond, "type"), "Ready") == 0 && strcmp(kd_json_get_str(cond, "status"), "True") == 0) {
					ready++;
					if (have_rec && strcmp(rec.holder, kd_json_get_str(kd_json_get(pod, "metadata"), "name")) == 0)
						holder_ok = true;
				}
			}
		}
	}
	if (holder_ok)
		snprintf(p->holder, sizeof p->holder, "%s", rec.holder);
	kd_kube_leader_record_clear(&rec);
	cJSON_Delete(list);
	return ready == p->want && other == 0 && holder_ok;
}

TEST(e2e_spark_upgrade_from_1_0_0_applies_over_it)
{
	kd_kube_client *c = kd_e2e_client(NULL);
	if (!CHECK(c != NULL))
		return;
	char *ns = kd_e2e_ns("kd-e2e-spark-upg");
	kd_buf lockns = KD_BUF_INIT;
	kd_buf_printf(&lockns, "leaderElectionLockNamespace=%s", ns);
	/* What the user gave at install; the upgrade keeps it (the engine's job) and adds nothing. */
	const char *user[] = {"replicas=3", "enableLeaderElection=true", "enableWebhook=true", kd_buf_cstr(&lockns)};
	kd_test_spark_render old, upg;
	old.res = upg.res = NULL;
	old.pkg = upg.pkg = NULL;

	if (!CHECK_INT(kd_test_spark_render_package(&old, "tests/fixtures/spark-1.0.0", "deploy", NULL, ns, user,
			KD_ARRAY_SIZE(user)), 0) ||
		!apply_all(c, &old, 1, NULL))
		goto done;
	rollout_probe p = {c, ns, "ghcr.io/kubeflow/spark-operator:v1beta2-1.2.3-3.1.1", 3, ""};
	if (!CHECK(kd_e2e_eventually(rolled_out_and_led, &p, 120)))
		goto done;

	/* The upgrade plan: its Delete step removes the old certificate Job, then everything applies. */
	if (!CHECK_INT(kd_test_spark_render_package(&upg, "packages/spark", "upgrade", NULL, ns, user,
			KD_ARRAY_SIZE(user)), 0))
		goto done;
	kd_kube_ref job = {"batch/v1", "Job", ns, "spark-instance-init", NULL};
	kd_kube_delete_options dopt = KD_KUBE_DELETE_OPTIONS_INIT;
	dopt.propagation_policy = "Background";
	CHECK_INT(kd_kube_delete(c, &job, &dopt), 0);
	kd_kube_wait_options wo = KD_KUBE_WAIT_OPTIONS_INIT;
	wo.timeout_ms = 60000;
	wo.predicate = kd_kube_wait_deleted;
	CHECK_INT(kd_kube_wait(c, &job, 1, &wo), 0);
	if (!apply_all(c, &upg, 2, NULL))
		goto done;

	/* The new operator image runs on 3 Ready pods, one of which holds the lock. */
	p.image = "ghcr.io/kubeflow/spark-operator:v1beta2-1.3.8-3.1.1";
	CHECK(kd_e2e_eventually(rolled_out_and_led, &p, 120));
	CHECK(strncmp(p.holder, "spark-instance-", 15) == 0);

	/* The CRDs now carry the full schema: a wrongly typed field is refused. */
	cJSON *crd = NULL;
	kd_kube_ref cr = {"apiextensions.k8s.io/v1", "CustomResourceDefinition", NULL, "sparkapplications.sparkoperator.k8s.io", NULL};
	CHECK_INT(kd_kube_get(&crd, c, &cr), 0);
	cJSON *spec_schema = kd_json_path(cJSON_GetArrayItem(kd_json_path(crd, "spec", "versions", NULL), 0), "schema",
		"openAPIV3Schema", "properties", "spec", NULL);
	CHECK(kd_json_get(spec_schema, "x-kubernetes-preserve-unknown-fields") == NULL);
	CHECK(kd_json_path(spec_schema, "properties", "executor", "properties", "instances", NULL) != NULL);
	CHECK_STR(kd_json_get_str(kd_json_path(crd, "metadata", "annotations", NULL), "kudoc.dev/keep"), "true");
	cJSON_Delete(crd);

	/* The Deployment moved from Recreate to the HA rolling update. */
	cJSON *dep = NULL;
	kd_kube_ref dr = {"apps/v1", "Deployment", ns, "spark-instance", NULL};
	CHECK_INT(kd_kube_get(&dep, c, &dr), 0);
	CHECK_STR(kd_json_get_str(kd_json_path(dep, "spec", "strategy", NULL), "type"), "RollingUpdate");
	CHECK_INT(cJSON_GetNumberValue(kd_json_path(dep, "spec", "strategy", "rollingUpdate", "maxUnavailable", NULL)), 0);
	cJSON_Delete(dep);
done:
	kd_test_spark_delete_cluster_scoped(c, &old);
	kd_test_spark_delete_cluster_scoped(c, &upg);
	kd_test_spark_render_free(&old);
	kd_test_spark_render_free(&upg);
	kd_buf_free(&lockns);
	kd_e2e_ns_drop(ns);
	kd_kube_client_free(c);
}
