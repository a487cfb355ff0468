/* End-to-end: the Spark package's Deployment in HA mode, rendered by kudoc, labelled as the
 * engine labels it and applied with the real kubectl, runs 3 Ready pods whose container args drive
 * testenv's leader-election simulator: the lock ConfigMap's leader annotation names one of them,
 * with the lease duration the parameters gave, renewed; the package's verify hooks say so; the
 * leader's death hands the lock to another Ready pod; 5 replicas keep the lock; deleting the
 * Deployment satisfies the cleanup plan's hook. Fast lease timings keep the test short. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../base/json.h"
#include "e2e.h"
#include "spark_e2e.h"
#include "spark_hooks.h"
#include "test.h"

typedef struct {
	kd_kube_client *c;
	const char *ns;
	int want;                 /* Ready pods wanted */
	const char *not_holder;   /* a holder that does not count (the deleted leader) */
	char holder[256];         /* out: the holder when the lock is good */
	long transitions, lease_s;
	char ready_names[2048];   /* out: the Ready pods, space-separated */
	int64_t acquire_us, renew_us; /* out: the lock's times when it is good */
} ha_state;

static int ready_pods(ha_state *st)
{
	cJSON *list = NULL;
	kd_kube_ref r = {"v1", "Pod", st->ns, NULL, NULL};
	kd_kube_list_options lo = KD_KUBE_LIST_OPTIONS_INIT;
	/* The engine's label on the pod template makes "the pods of the instance" findable. */
	lo.label_selector = "kudoc.dev/instance=spark-instance,app.kubernetes.io/name=spark-operator";
	int n = 0;
	st->ready_names[0] = '\0';
	if (kd_kube_list(&list, st->c, &r, &lo) == 0) {
		const cJSON *p;
		cJSON_ArrayForEach(p, kd_json_get(list, "items"))
		{
			if (kd_json_path(p, "metadata", "deletionTimestamp", NULL))
				continue;
			const cJSON *cond;
			cJSON_ArrayForEach(cond, kd_json_path(p, "status", "conditions", NULL))
			{
				if (strcmp(kd_json_get_str(cond, "type"), "Ready") == 0 &&
					strcmp(kd_json_get_str(cond, "status"), "True") == 0) {
					n++;
					size_t used = strlen(st->ready_names);
					snprintf(st->ready_names + used, sizeof st->ready_names - used, " %s",
						kd_json_get_str(kd_json_get(p, "metadata"), "name"));
				}
			}
		}
	}
	cJSON_Delete(list);
	return n;
}

static bool pods_ready(void *ud)
{
	ha_state *st = ud;
	return ready_pods(st) == st->want;
}

/* The lock names a Ready pod of the instance (not `not_holder`), renewed within its lease. */
static bool lock_good(void *ud)
{
	ha_state *st = ud;
	kd_kube_leader_record rec = KD_KUBE_LEADER_RECORD_INIT;
	bool ok = false;
	if (ready_pods(st) < 1 || kd_kube_leader_get(&rec, st->c, KD_KUBE_LOCK_CONFIGMAP, st->ns, "spark-operator-lock"))
		goto done;
	char needle[300];
	snprintf(needle, sizeof needle, " %s", rec.holder);
	size_t nl = strlen(needle);
	const char *at = strstr(st->ready_names, needle);
	if (!rec.holder[0] || !at || (at[nl] != ' ' && at[nl] != '\0'))
		goto done;
	if (st->not_holder && strcmp(rec.holder, st->not_holder) == 0)
		goto done;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t age_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000 - rec.renew_time_us;
	if (age_us > (int64_t)rec.lease_duration_s * 1000000)
		goto done;
	snprintf(st->holder, sizeof st->holder, "%s", rec.holder);
	st->transitions = rec.transitions;
	st->lease_s = rec.lease_duration_s;
	st->acquire_us = rec.acquire_time_us;
	st->renew_us = rec.renew_time_us;
	ok = true;
done:
	kd_kube_leader_record_clear(&rec);
	return ok;
}

/* The takeover as the lock itself records it, against the old holder's last renewal read just
 * before its pod was deleted: a new holder acquires the lock only once the lease has run out
 * (not before: two leaders), and then within a few retry periods (the simulator's candidates
 * try every retryPeriod), as client-go's elector does. The times are the electors' own (the
 * ConfigMap annotation has whole seconds, hence a second either way); the old holder may renew
 * once more between the read and the delete. */
static void check_takeover(int64_t old_renew_us, const ha_state *st, long retry_s)
{
	int64_t gap_ms = (st->acquire_us - old_renew_us) / 1000;
	int64_t lease_ms = (int64_t)st->lease_s * 1000, retry_ms = (int64_t)retry_s * 1000;
	fprintf(stderr, "  (takeover: acquired %lld ms after the old holder's last renewal seen; lease %lld ms)\n",
		(long long)gap_ms, (long long)lease_ms);
	CHECK(gap_ms >= lease_ms - 1000);
	CHECK(gap_ms <= lease_ms + retry_ms + 3 * retry_ms + 1000);
}

static const char *lock_flags[] = {"enableLeaderElection=true", "leaderElectionLeaseDuration=4s",
	"leaderElectionRenewDeadline=3s", "leaderElectionRetryPeriod=1s"};

/* The HA deploy plan with `replicas`, the lock in `ns` and the fast timings. */
static bool render_ha(kd_test_spark_render *r, const char *ns, const char *replicas)
{
	kd_buf lockns = KD_BUF_INIT;
	kd_buf_printf(&lockns, "leaderElectionLockNamespace=%s", ns);
	const char *flags[] = {replicas, lock_flags[0], lock_flags[1], lock_flags[2], lock_flags[3], kd_buf_cstr(&lockns)};
	bool ok = CHECK_INT(kd_test_spark_render_plan(r, "deploy", NULL, ns, flags, KD_ARRAY_SIZE(flags)), 0);
	kd_buf_free(&lockns);
	return ok;
}

/* Applies the render's ServiceAccounts, RBAC, Deployment and Services with kubectl, labelled as
 * the engine labels them. */
static bool apply_ha(const char *ns, const char *replicas, int revision)
{
	kd_buf docs = KD_BUF_INIT, err = KD_BUF_INIT;
	kd_test_spark_render r;
	bool ok = render_ha(&r, ns, replicas);
	for (size_t i = 0; ok && i < r.res->ndocs; i++) {
		cJSON *obj = r.res->docs[i].object;
		const char *kind = kd_json_get_str(obj, "kind");
		if (strcmp(kind, "CustomResourceDefinition") == 0)
			continue; /* cluster-wide and not needed by the operator's pods here */
		kd_test_spark_engine_labels(obj, "spark-instance", revision);
		char *json = cJSON_PrintUnformatted(obj);
		kd_buf_printf(&docs, "---\n%s\n", json); /* JSON is YAML */
		free(json);
	}
	const char *args[] = {"apply", "--server-side", "--field-manager=kudoc", "-f", "-", NULL};
	if (ok && !CHECK_INT(kd_test_spark_kubectl(NULL, &err, kd_buf_cstr(&docs), args), 0)) {
		fprintf(stderr, "    kubectl: %s\n", kd_buf_cstr(&err));
		ok = false;
	}
	kd_test_spark_render_free(&r);
	kd_buf_free(&docs);
	kd_buf_free(&err);
	return ok;
}

static void check_hook(const char *hook, const char *ns, kd_kube_client *c, const char *replicas,
	const char *want, const char *want_record)
{
	kd_buf out = KD_BUF_INIT, record = KD_BUF_INIT, lockns = KD_BUF_INIT;
	kd_buf_printf(&lockns, "leaderElectionLockNamespace=%s", ns);
	const char *flags[] = {replicas, lock_flags[0], lock_flags[1], lock_flags[2], lock_flags[3], kd_buf_cstr(&lockns)};
	kd_test_spark_hook h = {hook, flags, KD_ARRAY_SIZE(flags), "spark-instance", ns, NULL, c, NULL};
	CHECK_INT(kd_test_spark_hook_run(&out, &record, &h), 0);
	if (!CHECK_STR(kd_buf_cstr(&out), want))
		fprintf(stderr, "    hook %s\n", hook);
	if (want_record && !CHECK(strstr(kd_buf_cstr(&record), want_record) != NULL))
		fprintf(stderr, "    hook %s called: %s\n", hook, kd_buf_cstr(&record));
	kd_buf_free(&out);
	kd_buf_free(&record);
	kd_buf_free(&lockns);
}

typedef struct {
	kd_kube_client *c;
	const char *ns;
} stopped_probe;

static bool operator_stopped(void *ud)
{
	stopped_probe *sp = ud;
	kd_buf out = KD_BUF_INIT, record = KD_BUF_INIT;
	kd_test_spark_hook h = {"operator-stopped.lua", NULL, 0, "spark-instance", sp->ns, NULL, sp->c, NULL};
	bool ok = kd_test_spark_hook_run(&out, &record, &h) == 0 && strcmp(kd_buf_cstr(&out), "true") == 0;
	kd_buf_free(&out);
	kd_buf_free(&record);
	return ok;
}

TEST(e2e_spark_ha_deployment_elects_and_fails_over)
{
	kd_kube_client *c = kd_e2e_client(NULL);
	if (!CHECK(c != NULL))
		return;
	char *ns = kd_e2e_ns("kd-e2e-spark-ha");
	ha_state st = {c, ns, 3, NULL, "", 0, 0, "", 0, 0};
	kd_test_spark_render cr;
	kd_buf record = KD_BUF_INIT;
	if (!apply_ha(ns, "replicas=3", 1))
		goto done;

	/* 3 Ready pods named after the instance, one of them holding a fresh lock. */
	if (!CHECK(kd_e2e_eventually(pods_ready, &st, 120)))
		goto done;
	if (!CHECK(kd_e2e_eventually(lock_good, &st, 60)))
		goto done;
	CHECK(strncmp(st.holder, "spark-instance-", 15) == 0);
	CHECK_INT(st.lease_s, 4); /* -leader-election-lease-duration=4s reached the elector */
	char first[256];
	snprintf(first, sizeof first, "%s", st.holder);
	long first_transitions = st.transitions;

	/* The lock as the HA documentation shows it: kubectl get configmaps ... -o yaml. */
	kd_buf out = KD_BUF_INIT;
	const char *get_cm[] = {"get", "configmaps", "spark-operator-lock", "-o", "yaml", "-n", ns, NULL};
	CHECK_INT(kd_test_spark_kubectl(&out, NULL, NULL, get_cm), 0);
	CHECK(strstr(kd_buf_cstr(&out), "control-plane.alpha.kubernetes.io/leader") != NULL);
	CHECK(strstr(kd_buf_cstr(&out), first) != NULL);
	kd_buf_free(&out);

	/* The verify step's hooks agree. */
	kd_buf_printf(&record, "leader.check namespace=%s lock=spark-operator-lock kind=configmap pods=3", ns);
	check_hook("operator-ready.lua", ns, c, "replicas=3", "true", NULL);
	check_hook("leader-elected.lua", ns, c, "replicas=3", "true", kd_buf_cstr(&record));

	/* The leader dies: another Ready pod of the instance takes the lock. */
	const char *del[] = {"delete", "pod", first, "-n", ns, "--grace-period=0", "--wait=false", NULL};
	CHECK(lock_good(&st) && strcmp(st.holder, first) == 0);
	int64_t old_renew_us = st.renew_us;
	CHECK_INT(kd_test_spark_kubectl(NULL, NULL, NULL, del), 0);
	st.not_holder = first;
	if (!CHECK(kd_e2e_eventually(lock_good, &st, 60)))
		goto done;
	CHECK(strcmp(st.holder, first) != 0);
	CHECK_INT(st.transitions, first_transitions + 1);
	check_takeover(old_renew_us, &st, 1);
	CHECK(kd_e2e_eventually(pods_ready, &st, 120)); /* the Deployment replaced the pod */
	check_hook("operator-ready.lua", ns, c, "replicas=3", "true", NULL);
	check_hook("leader-elected.lua", ns, c, "replicas=3", "true", NULL);

	/* update -p replicas=5: five pods, the same lock, still held. */
	char second[256];
	snprintf(second, sizeof second, "%s", st.holder);
	if (!apply_ha(ns, "replicas=5", 2))
		goto done;
	st.want = 5;
	st.not_holder = NULL;
	CHECK(kd_e2e_eventually(pods_ready, &st, 120));
	CHECK(kd_e2e_eventually(lock_good, &st, 60));
	CHECK_STR(st.holder, second); /* scaling up does not move the leadership */
	check_hook("operator-ready.lua", ns, c, "replicas=5", "true", NULL);
	check_hook("operator-ready.lua", ns, c, "replicas=3", "false: 5 of 3 operator pods Ready (5 running)", NULL);

	/* The cleanup plan's first step: once the Deployment is gone, no operator pod is left. */
	const char *del_dep[] = {"delete", "deployment", "spark-instance", "-n", ns, "--wait=true", NULL};
	CHECK_INT(kd_test_spark_kubectl(NULL, NULL, NULL, del_dep), 0);
	st.want = 0;
	CHECK(kd_e2e_eventually(pods_ready, &st, 60));
	stopped_probe sp = {c, ns};
	CHECK(kd_e2e_eventually(operator_stopped, &sp, 60));
done:
	if (render_ha(&cr, ns, "replicas=3")) /* deleting the namespace leaves these behind */
		kd_test_spark_delete_cluster_scoped(c, &cr);
	kd_test_spark_render_free(&cr);
	kd_buf_free(&record);
	kd_e2e_ns_drop(ns);
	kd_kube_client_free(c);
}

/* Nothing labelled as the instance's is left in `ns` (the kinds the package creates there). */
static bool instance_gone(void *ud)
{
	ha_state *st = ud;
	const char *kinds[][2] = {{"v1", "Pod"}, {"apps/v1", "Deployment"}, {"batch/v1", "Job"}, {"v1", "Service"},
		{"v1", "ServiceAccount"}, {"rbac.authorization.k8s.io/v1", "Role"},
		{"rbac.authorization.k8s.io/v1", "RoleBinding"}};
	for (size_t i = 0; i < KD_ARRAY_SIZE(kinds); i++) {
		cJSON *list = NULL;
		kd_kube_ref r = {kinds[i][0], kinds[i][1], st->ns, NULL, NULL};
		kd_kube_list_options lo = KD_KUBE_LIST_OPTIONS_INIT;
		lo.label_selector = "kudoc.dev/instance=spark-instance";
		int rc = kd_kube_list(&list, st->c, &r, &lo);
		int n = cJSON_GetArraySize(kd_json_get(list, "items"));
		cJSON_Delete(list);
		if (rc || n > 0)
			return false;
	}
	return true;
}

/* The documented HA install through kubectl-kudo and the plan engine, then what the users
 * do with it: watch the lock, kill the leader, scale with update, try an update the package
 * refuses, uninstall; `verify leader` finds the lock from the instance's parameters. (The plan's
 * verify hooks run in the install; the test also checks what they check, itself.) */
TEST(e2e_spark_kudo_install_ha_failover_update_uninstall)
{
	kd_kube_client *c = kd_e2e_client(NULL);
	if (!CHECK(c != NULL))
		return;
	char *ns = kd_e2e_ns("kd-e2e-spark-kudo");
	ha_state st = {c, ns, 3, NULL, "", 0, 0, "", 0, 0};
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT, lockns = KD_BUF_INIT, pkg = KD_BUF_INIT;
	kd_buf_printf(&lockns, "leaderElectionLockNamespace=%s", ns);
	kd_buf_printf(&pkg, "%s/packages/spark", kd_test_root());

	const char *install[] = {"install", kd_buf_cstr(&pkg), "-n", ns, "-p", "replicas=3", "-p", lock_flags[0],
		"-p", lock_flags[1], "-p", lock_flags[2], "-p", lock_flags[3], "-p", kd_buf_cstr(&lockns), NULL};
	if (!CHECK_INT(kd_e2e_kudo(&out, &err, NULL, install), 0)) {
		fprintf(stderr, "    install: %s%s\n", kd_buf_cstr(&out), kd_buf_cstr(&err));
		goto done;
	}
	CHECK(strstr(kd_buf_cstr(&out), "plan deploy COMPLETE") != NULL);
	/* The plan is COMPLETE once the Deployment rolled out: all 3 Ready, one leading. */
	CHECK(pods_ready(&st));
	CHECK(kd_e2e_eventually(lock_good, &st, 60));
	CHECK(strncmp(st.holder, "spark-instance-", 15) == 0);
	CHECK_INT(st.lease_s, 4);

	/* verify leader without --lock: the Spark package's leaderElection* parameters of the
	 * instance's revision name the lock (a ConfigMap in the namespace the install gave) */
	const char *vl[] = {"verify", "leader", "--instance", "spark-instance", "-n", ns, NULL};
	kd_buf_clear(&out);
	CHECK_INT(kd_e2e_kudo(&out, &err, NULL, vl), 0);
	kd_buf want = KD_BUF_INIT;
	kd_buf_printf(&want, "lock:         configmap %s/spark-operator-lock\n", ns);
	if (!CHECK(strstr(kd_buf_cstr(&out), kd_buf_cstr(&want)) != NULL))
		fprintf(stderr, "    verify leader: %s%s\n", kd_buf_cstr(&out), kd_buf_cstr(&err));
	CHECK(strstr(kd_buf_cstr(&out), "verdict:      healthy\n") != NULL);
	kd_buf_free(&want);

	kd_buf_clear(&out);
	const char *status[] = {"plan", "status", "--instance", "spark-instance", "-n", ns, NULL};
	CHECK_INT(kd_e2e_kudo(&out, &err, NULL, status), 0);
	CHECK(strstr(kd_buf_cstr(&out), "Plan deploy") != NULL);
	CHECK(strstr(kd_buf_cstr(&out), "Phase verify") != NULL);

	/* The leader dies; another Ready pod takes over; the Deployment brings the third back. */
	char first[256];
	snprintf(first, sizeof first, "%s", st.holder);
	const char *del[] = {"delete", "pod", first, "-n", ns, "--grace-period=0", "--wait=false", NULL};
	CHECK(lock_good(&st) && strcmp(st.holder, first) == 0);
	int64_t old_renew_us = st.renew_us;
	CHECK_INT(kd_test_spark_kubectl(NULL, NULL, NULL, del), 0);
	st.not_holder = first;
	if (CHECK(kd_e2e_eventually(lock_good, &st, 60)))
		check_takeover(old_renew_us, &st, 1);
	CHECK(kd_e2e_eventually(pods_ready, &st, 120));

	/* update -p replicas=5: five pods, the lock still held by a pod of the instance. */
	const char *scale[] = {"update", "--instance", "spark-instance", "-n", ns, "-p", "replicas=5", NULL};
	kd_buf_clear(&out);
	if (!CHECK_INT(kd_e2e_kudo(&out, &err, NULL, scale), 0))
		fprintf(stderr, "    update: %s%s\n", kd_buf_cstr(&out), kd_buf_cstr(&err));
	st.want = 5;
	st.not_holder = NULL;
	CHECK(pods_ready(&st));
	CHECK(kd_e2e_eventually(lock_good, &st, 60));

	/* Turning leader election off with 5 replicas is refused before anything changes. */
	const char *off[] = {"update", "--instance", "spark-instance", "-n", ns, "-p", "enableLeaderElection=false", NULL};
	kd_buf_clear(&err);
	CHECK_INT(kd_e2e_kudo(NULL, &err, NULL, off), 1);
	CHECK(strstr(kd_buf_cstr(&err), "replicas=5 needs leader election") != NULL);
	CHECK(pods_ready(&st));

	/* uninstall: the cleanup plan stops the operator and deletes its lock; nothing of the
	 * instance is left; the CRDs stay. */
	const char *uninstall[] = {"uninstall", "--instance", "spark-instance", "-n", ns, NULL};
	kd_buf_clear(&out);
	if (!CHECK_INT(kd_e2e_kudo(&out, &err, NULL, uninstall), 0))
		fprintf(stderr, "    uninstall: %s%s\n", kd_buf_cstr(&out), kd_buf_cstr(&err));
	CHECK(kd_e2e_eventually(instance_gone, &st, 60));
	cJSON *obj = NULL;
	kd_kube_ref lock = {"v1", "ConfigMap", ns, "spark-operator-lock", NULL};
	CHECK_INT(kd_kube_get(&obj, c, &lock), KD_ENOTFOUND);
	cJSON_Delete(obj);
	obj = NULL;
	kd_buf crname = KD_BUF_INIT;
	kd_buf_printf(&crname, "%s-spark-instance-operator", ns);
	kd_kube_ref cr = {"rbac.authorization.k8s.io/v1", "ClusterRole", NULL, kd_buf_cstr(&crname), NULL};
	CHECK_INT(kd_kube_get(&obj, c, &cr), KD_ENOTFOUND);
	cJSON_Delete(obj);
	obj = NULL;
	kd_kube_ref crd = {"apiextensions.k8s.io/v1", "CustomResourceDefinition", NULL, "sparkapplications.sparkoperator.k8s.io", NULL};
	CHECK_INT(kd_kube_get(&obj, c, &crd), 0);
	cJSON_Delete(obj);
	kd_buf_free(&crname);
done:
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_buf_free(&lockns);
	kd_buf_free(&pkg);
	kd_e2e_ns_drop(ns);
	kd_kube_client_free(c);
}
