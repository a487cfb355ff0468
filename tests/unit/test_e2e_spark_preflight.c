/* End-to-end: the Spark package's preflight hooks against testenv's apiserver. Without Volcano the
 * batch-scheduler preflight fails naming what to install; with tests/fixtures/volcano-crds.yaml
 * applied (the real kubectl) it passes, and the fixture's PodGroups and Queues are served. The
 * namespaces preflight refuses a lock namespace or job namespace that does not exist, and passes
 * once it does. The test leaves the cluster without Volcano's CRDs, as it found it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../base/json.h"
#include "e2e.h"
#include "spark_e2e.h"
#include "spark_hooks.h"
#include "test.h"

static const char *volcano_crds[] = {"podgroups.scheduling.volcano.sh", "queues.scheduling.volcano.sh"};

typedef struct {
	kd_kube_client *c;
} gone_probe;

static bool volcano_gone(void *ud)
{
	gone_probe *g = ud;
	for (size_t i = 0; i < KD_ARRAY_SIZE(volcano_crds); i++) {
		cJSON *o = NULL;
		kd_kube_ref r = {"apiextensions.k8s.io/v1", "CustomResourceDefinition", NULL, volcano_crds[i], NULL};
		int rc = kd_kube_get(&o, g->c, &r);
		cJSON_Delete(o);
		if (rc != KD_ENOTFOUND)
			return false;
	}
	return true;
}

static void remove_volcano(kd_kube_client *c)
{
	kd_kube_delete_options o = KD_KUBE_DELETE_OPTIONS_INIT;
	for (size_t i = 0; i < KD_ARRAY_SIZE(volcano_crds); i++) {
		kd_kube_ref r = {"apiextensions.k8s.io/v1", "CustomResourceDefinition", NULL, volcano_crds[i], NULL};
		kd_kube_delete(c, &r, &o);
	}
	gone_probe g = {c};
	CHECK(kd_e2e_eventually(volcano_gone, &g, 60));
}

static void run(kd_buf *out, kd_kube_client *c, const char *hook, const char *ns, const char *const *flags,
	size_t nflags)
{
	kd_buf record = KD_BUF_INIT;
	kd_buf_clear(out);
	kd_test_spark_hook h = {hook, flags, nflags, "spark-instance", ns, NULL, c, NULL};
	CHECK_INT(kd_test_spark_hook_run(out, &record, &h), 0);
	kd_buf_free(&record);
}

TEST(e2e_spark_volcano_preflight)
{
	kd_kube_client *c = kd_e2e_client(NULL);
	if (!CHECK(c != NULL))
		return;
	char *ns = kd_e2e_ns("kd-e2e-spark-volcano");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT, fixture = KD_BUF_INIT, queue = KD_BUF_INIT;
	const char *batch[] = {"enableBatchScheduler=true"};
	remove_volcano(c);

	run(&out, c, "volcano-preflight.lua", ns, batch, 1);
	CHECK(strncmp(kd_buf_cstr(&out), "error: ", 7) == 0);
	if (!CHECK(strstr(kd_buf_cstr(&out), "enableBatchScheduler=true needs Volcano, but the cluster does not serve "
		"podgroups.scheduling.volcano.sh and queues.scheduling.volcano.sh (scheduling.volcano.sh/v1beta1): "
		"install Volcano first") != NULL))
		fprintf(stderr, "    got: %s\n", kd_buf_cstr(&out));
	run(&out, c, "volcano-preflight.lua", ns, NULL, 0); /* batch scheduling off: nothing to check */
	CHECK_STR(kd_buf_cstr(&out), "true");

	kd_buf_printf(&fixture, "%s/tests/fixtures/volcano-crds.yaml", kd_test_root());
	kd_buf_printf(&queue, "%s/tests/fixtures/volcano-default-queue.yaml", kd_test_root());
	const char *apply[] = {"apply", "-f", kd_buf_cstr(&fixture), NULL};
	const char *wait[] = {"wait", "--for", "condition=Established", "--timeout=60s",
		"crd/podgroups.scheduling.volcano.sh", "crd/queues.scheduling.volcano.sh", NULL};
	const char *apply_q[] = {"apply", "-f", kd_buf_cstr(&queue), NULL};
	if (!CHECK_INT(kd_test_spark_kubectl(NULL, &err, NULL, apply), 0) ||
		!CHECK_INT(kd_test_spark_kubectl(NULL, &err, NULL, wait), 0) ||
		!CHECK_INT(kd_test_spark_kubectl(NULL, &err, NULL, apply_q), 0))
		fprintf(stderr, "    kubectl: %s\n", kd_buf_cstr(&err));
	run(&out, c, "volcano-preflight.lua", ns, batch, 1);
	CHECK_STR(kd_buf_cstr(&out), "true");

	/* What the operator will create: a PodGroup in the job's namespace, in the default queue. */
	kd_buf pg = KD_BUF_INIT;
	kd_buf_printf(&pg, "apiVersion: scheduling.volcano.sh/v1beta1\nkind: PodGroup\nmetadata:\n  name: spark-pi-pg\n"
		"  namespace: %s\nspec:\n  minMember: 4\n  queue: default\n  priorityClassName: spark-batch\n"
		"  minResources: {cpu: \"5\", memory: 3584Mi}\n", ns);
	const char *apply_pg[] = {"apply", "-f", "-", NULL};
	if (!CHECK_INT(kd_test_spark_kubectl(NULL, &err, kd_buf_cstr(&pg), apply_pg), 0))
		fprintf(stderr, "    kubectl: %s\n", kd_buf_cstr(&err));
	kd_buf_free(&pg);

	remove_volcano(c);
	run(&out, c, "volcano-preflight.lua", ns, batch, 1);
	CHECK(strstr(kd_buf_cstr(&out), "install Volcano first") != NULL);

	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_buf_free(&fixture);
	kd_buf_free(&queue);
	kd_e2e_ns_drop(ns);
	kd_kube_client_free(c);
}

TEST(e2e_spark_namespaces_preflight)
{
	kd_kube_client *c = kd_e2e_client(NULL);
	if (!CHECK(c != NULL))
		return;
	char *ns = kd_e2e_ns("kd-e2e-spark-nsck");
	kd_buf out = KD_BUF_INIT, lock = KD_BUF_INIT, jobs = KD_BUF_INIT, want = KD_BUF_INIT;
	char lockns[64], jobns[64];
	snprintf(lockns, sizeof lockns, "kd-e2e-lock-%d", (int)getpid() % 100000);
	snprintf(jobns, sizeof jobns, "kd-e2e-jobs-%d", (int)getpid() % 100000);
	kd_buf_printf(&lock, "leaderElectionLockNamespace=%s", lockns);
	kd_buf_printf(&jobs, "sparkJobNamespace=%s", jobns);
	const char *ha[] = {"replicas=3", "enableLeaderElection=true", kd_buf_cstr(&lock)};
	const char *job[] = {kd_buf_cstr(&jobs)};

	run(&out, c, "namespaces-preflight.lua", ns, ha, KD_ARRAY_SIZE(ha));
	kd_buf_printf(&want, "error: the leader-election lock's namespace \"%s\" does not exist: create it "
		"(kubectl create namespace %s) or put the lock next to the operator with -p leaderElectionLockNamespace=%s",
		lockns, lockns, ns);
	if (!CHECK(strncmp(kd_buf_cstr(&out), kd_buf_cstr(&want), want.len) == 0))
		fprintf(stderr, "    got:  %s\n    want: %s\n", kd_buf_cstr(&out), kd_buf_cstr(&want));
	run(&out, c, "namespaces-preflight.lua", ns, job, 1);
	CHECK(strstr(kd_buf_cstr(&out), "the Spark job namespace") != NULL);

	const char *mk_lock[] = {"create", "namespace", lockns, NULL};
	const char *mk_jobs[] = {"create", "namespace", jobns, NULL};
	CHECK_INT(kd_test_spark_kubectl(NULL, NULL, NULL, mk_lock), 0);
	CHECK_INT(kd_test_spark_kubectl(NULL, NULL, NULL, mk_jobs), 0);
	run(&out, c, "namespaces-preflight.lua", ns, ha, KD_ARRAY_SIZE(ha));
	CHECK_STR(kd_buf_cstr(&out), "true");
	run(&out, c, "namespaces-preflight.lua", ns, job, 1);
	CHECK_STR(kd_buf_cstr(&out), "true");

	kd_buf_free(&out);
	kd_buf_free(&lock);
	kd_buf_free(&jobs);
	kd_buf_free(&want);
	kd_e2e_ns_drop(kd_strdup(lockns));
	kd_e2e_ns_drop(kd_strdup(jobns));
	kd_e2e_ns_drop(ns);
	kd_kube_client_free(c);
}
