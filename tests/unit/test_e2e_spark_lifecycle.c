/* End-to-end: the Spark package's lifecycle through kubectl-kudo on testenv, as issue 10 lists
 * it: batch scheduling with and without Volcano (the preflight hook), an upgrade from the older
 * package in tests/fixtures keeping the user's parameters, rollback to revision 1, and
 * uninstall (CRDs only with --delete-crds). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/json.h"
#include "../../plans/plans.h"
#include "e2e.h"
#include "spark_e2e.h"
#include "test.h"

static const char *spark_pkg(void)
{
	static char p[4096];
	snprintf(p, sizeof(p), "%s/packages/spark", kd_test_root());
	return p;
}

static int kubectl_file(const char *verb, const char *file)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", kd_test_root(), file);
	kd_buf err = KD_BUF_INIT;
	const char *argv[] = {verb, "-f", path, NULL};
	int rc = kd_test_spark_kubectl(NULL, &err, NULL, argv);
	if (rc)
		fprintf(stderr, "  kubectl %s -f %s: %s\n", verb, file, kd_buf_cstr(&err));
	kd_buf_free(&err);
	return rc;
}

static char *jsonpath(const char *ns, const char *what, const char *path)
{
	kd_buf out = KD_BUF_INIT, jp = KD_BUF_INIT;
	kd_buf_printf(&jp, "jsonpath=%s", path);
	const char *argv[] = {"get", what, "-n", ns, "-o", kd_buf_cstr(&jp), NULL};
	int rc = kd_test_spark_kubectl(&out, NULL, NULL, argv);
	kd_buf_free(&jp);
	if (rc) {
		kd_buf_free(&out);
		return NULL;
	}
	return kd_buf_detach(&out);
}

/* Whether kubectl get of `what` fails (NotFound). */
static bool gone(const char *ns, const char *what)
{
	char *v = jsonpath(ns, what, "{.metadata.name}");
	bool yes = v == NULL;
	free(v);
	return yes;
}

#define CHECK_JP(ns, what, path, want)                      \
	do {                                                    \
		char *v_ = jsonpath(ns, what, path);                \
		CHECK_STR(v_ ? v_ : "(missing)", want);             \
		free(v_);                                           \
	} while (0)

static bool crd_exists(const char *name)
{
	kd_kube_client *c = kd_e2e_client(NULL);
	cJSON *o = NULL;
	kd_kube_ref r = {"apiextensions.k8s.io/v1", "CustomResourceDefinition", NULL, name, NULL};
	bool yes = c && kd_kube_get(&o, c, &r) == 0;
	cJSON_Delete(o);
	kd_error_clear();
	kd_kube_client_free(c);
	return yes;
}

static void run(int want, kd_buf *out, kd_buf *err, const char *const *argv)
{
	int rc = kd_e2e_kudo(out, err, NULL, argv);
	if (!CHECK_INT(rc, want))
		fprintf(stderr, "  %s: stdout:\n%s\n  stderr:\n%s\n", argv[0], kd_buf_cstr(out), kd_buf_cstr(err));
}

TEST(e2e_spark_batch_scheduler_needs_volcano)
{
	char *ns = kd_e2e_ns("kd-e2e-spark-batch");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT, lockns = KD_BUF_INIT;
	kd_buf_printf(&lockns, "leaderElectionLockNamespace=%s", ns);
	/* no Volcano on the cluster: the preflight stops the plan before anything else is applied */
	if (crd_exists("podgroups.scheduling.volcano.sh"))
		kubectl_file("delete", "tests/fixtures/volcano-crds.yaml");
	const char *batch[] = {"install", spark_pkg(), "-n", ns, "--instance", "batch", "-p", "enableBatchScheduler=true",
		"-p", kd_buf_cstr(&lockns), NULL};
	run(1, &out, &err, batch);
	CHECK(strstr(kd_buf_cstr(&err), "hooks/volcano-preflight.lua") != NULL);
	CHECK(strstr(kd_buf_cstr(&err), "enableBatchScheduler=true needs Volcano") != NULL);
	CHECK(strstr(kd_buf_cstr(&err), "podgroups.scheduling.volcano.sh") != NULL);
	char *dep = jsonpath(ns, "deployments", "{.items[*].metadata.name}");
	CHECK_STR(dep ? dep : "(missing)", "");
	free(dep);
	const char *un[] = {"uninstall", "--instance", "batch", "-n", ns, NULL};
	run(0, &out, &err, un);

	/* with Volcano's CRDs: the operator runs with the batch scheduler (and the webhook it needs) */
	CHECK_INT(kubectl_file("apply", "tests/fixtures/volcano-crds.yaml"), 0);
	run(0, &out, &err, batch);
	char *args = jsonpath(ns, "deployment/batch", "{.spec.template.spec.containers[0].args}");
	CHECK(args && strstr(args, "-enable-batch-scheduler=true"));
	CHECK(args && strstr(args, "-enable-webhook=true"));
	free(args);
	/* the webhook's certificate Job ran to completion before the operator started */
	CHECK_JP(ns, "job/batch-init", "{.status.succeeded}", "1");
	/* what the operator and its certificate script make at run time (testenv runs neither),
	 * which uninstall's cleanup plan must delete: the certificates Secret and the webhook
	 * configuration */
	kd_buf made = KD_BUF_INIT, mwc = KD_BUF_INIT, crb = KD_BUF_INIT;
	kd_buf_printf(&mwc, "mutatingwebhookconfiguration/%s-batch-webhook", ns);
	kd_buf_printf(&crb, "%s-batch-operator", ns);
	kd_buf_printf(&made,
		"apiVersion: v1\nkind: Secret\nmetadata:\n  name: batch-webhook-certs\n  namespace: %s\n"
		"data:\n  ca-cert.pem: Y2E=\n---\n"
		"apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata:\n"
		"  name: %s-batch-webhook\n",
		ns, ns);
	const char *apply_made[] = {"apply", "-f", "-", NULL};
	CHECK_INT(kd_test_spark_kubectl(NULL, &err, kd_buf_cstr(&made), apply_made), 0);
	CHECK_JP(ns, "secret/batch-webhook-certs", "{.metadata.name}", "batch-webhook-certs");
	CHECK_JP(ns, kd_buf_cstr(&mwc), "{.metadata.name}", kd_buf_cstr(&mwc) + strlen("mutatingwebhookconfiguration/"));
	kd_buf what = KD_BUF_INIT;
	kd_buf_printf(&what, "clusterrolebinding/%s", kd_buf_cstr(&crb));
	CHECK_JP(ns, kd_buf_cstr(&what), "{.metadata.name}", kd_buf_cstr(&crb));
	run(0, &out, &err, un);
	/* gone: what the cleanup plan deletes, and the cluster-scoped RBAC the instance applied */
	CHECK(gone(ns, "secret/batch-webhook-certs"));
	CHECK(gone(ns, kd_buf_cstr(&mwc)));
	CHECK(gone(ns, kd_buf_cstr(&what)));
	kd_buf_clear(&what);
	kd_buf_printf(&what, "clusterrole/%s", kd_buf_cstr(&crb));
	CHECK(gone(ns, kd_buf_cstr(&what)));
	CHECK(gone(ns, "job/batch-init"));
	kd_buf_free(&what);
	kd_buf_free(&made);
	kd_buf_free(&mwc);
	kd_buf_free(&crb);
	kubectl_file("delete", "tests/fixtures/volcano-crds.yaml");
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_buf_free(&lockns);
	kd_e2e_ns_drop(ns);
}

TEST(e2e_spark_upgrade_from_1_0_0_then_rollback_and_uninstall)
{
	char *ns = kd_e2e_ns("kd-e2e-spark-upg");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT, lockns = KD_BUF_INIT, old = KD_BUF_INIT;
	kd_buf_printf(&lockns, "leaderElectionLockNamespace=%s", ns);
	kd_buf_printf(&old, "%s/tests/fixtures/spark-1.0.0", kd_test_root());
	const char *install[] = {"install", kd_buf_cstr(&old), "-n", ns, "-p", "replicas=2", "-p",
		"enableLeaderElection=true", "-p", kd_buf_cstr(&lockns), NULL};
	run(0, &out, &err, install);
	CHECK_JP(ns, "deployment/spark-instance", "{.spec.replicas}", "2");

	/* the new version: its upgrade plan, the user's values kept */
	const char *upgrade[] = {"upgrade", spark_pkg(), "--instance", "spark-instance", "-n", ns, NULL};
	run(0, &out, &err, upgrade);
	CHECK(strstr(kd_buf_cstr(&out), "plan upgrade COMPLETE") != NULL);
	kd_kube_client *c = kd_e2e_client(ns);
	kd_revision *r = NULL;
	if (CHECK_INT(kd_revision_load(&r, c, ns, "spark-instance", 2), 0)) {
		CHECK_STR(r->operation, "upgrade");
		CHECK_STR(r->operator_version, "1.1.0");
		CHECK_STR(kd_json_get_str(r->params, "replicas"), "2");
		CHECK_STR(kd_json_get_str(r->params, "enableLeaderElection"), "true");
	}
	kd_revision_free(r);
	CHECK_JP(ns, "deployment/spark-instance", "{.spec.replicas}", "2");
	CHECK_JP(ns, "deployment/spark-instance", "{.metadata.annotations.kudoc\\.dev/revision}", "2");

	/* a change, then back to revision 1: its version and its parameters */
	const char *update[] = {"update", "--instance", "spark-instance", "-n", ns, "-p", "replicas=4", NULL};
	run(0, &out, &err, update);
	CHECK_JP(ns, "deployment/spark-instance", "{.spec.replicas}", "4");
	const char *rollback[] = {"rollback", "--instance", "spark-instance", "-n", ns, "1", NULL};
	run(0, &out, &err, rollback);
	r = NULL;
	if (CHECK_INT(kd_revision_load(&r, c, ns, "spark-instance", 0), 0)) {
		CHECK_STR(r->operation, "rollback");
		CHECK_INT(r->rollback_of, 1);
		CHECK_STR(r->operator_version, "1.0.0");
		CHECK_STR(kd_json_get_str(r->params, "replicas"), "2");
	}
	kd_revision_free(r);
	CHECK_JP(ns, "deployment/spark-instance", "{.spec.replicas}", "2");

	/* uninstall: nothing of the instance is left; the CRDs stay (they hold everyone's
	 * SparkApplications) ... */
	const char *un[] = {"uninstall", "--instance", "spark-instance", "-n", ns, NULL};
	run(0, &out, &err, un);
	CHECK(strstr(kd_buf_cstr(&out), "kept CustomResourceDefinition sparkapplications.sparkoperator.k8s.io") != NULL);
	char *left = jsonpath(ns, "all,configmaps,secrets,serviceaccounts,roles,rolebindings",
		"{.items[?(@.metadata.labels.kudoc\\.dev/instance==\"spark-instance\")].metadata.name}");
	CHECK_STR(left ? left : "(missing)", "");
	free(left);
	CHECK(crd_exists("sparkapplications.sparkoperator.k8s.io"));
	/* ... unless asked for with --delete-crds */
	const char *again[] = {"install", spark_pkg(), "-n", ns, "-p", kd_buf_cstr(&lockns), NULL};
	run(0, &out, &err, again);
	const char *un2[] = {"uninstall", "--instance", "spark-instance", "-n", ns, "--delete-crds", NULL};
	run(0, &out, &err, un2);
	CHECK(!crd_exists("sparkapplications.sparkoperator.k8s.io"));
	CHECK(!crd_exists("scheduledsparkapplications.sparkoperator.k8s.io"));
	kd_kube_client_free(c);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_buf_free(&lockns);
	kd_buf_free(&old);
	kd_e2e_ns_drop(ns);
}
