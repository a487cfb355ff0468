/* End-to-end tests of the plan engine and the lifecycle commands: the built kubectl-kudo
 * against testenv's real control plane, checked through exit codes, output, the revision
 * records and the real kubectl. Packages under tests/e2e/packages/. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../base/json.h"
#include "../../plans/plans.h"
#include "e2e.h"
#include "test.h"

/* ---- helpers -------------------------------------------------------------------------------- */

static kd_revision *record(const char *ns, const char *instance, long n)
{
	kd_kube_client *c = kd_e2e_client(ns);
	kd_revision *rev = NULL;
	if (c && kd_revision_load(&rev, c, ns, instance, n) != 0)
		rev = NULL;
	kd_error_clear();
	kd_kube_client_free(c);
	return rev;
}

static const kd_step_status *step_of(const kd_revision *rev, const char *phase, const char *step)
{
	if (!rev || !rev->status)
		return NULL;
	for (size_t h = 0; h < rev->status->nphases; h++) {
		const kd_phase_status *ps = &rev->status->phases[h];
		if (strcmp(ps->h.name, phase) != 0)
			continue;
		for (size_t s = 0; s < ps->nsteps; s++)
			if (strcmp(ps->steps[s].h.name, step) == 0)
				return &ps->steps[s];
	}
	return NULL;
}

static kd_exec_state step_state(const kd_revision *rev, const char *phase, const char *step)
{
	const kd_step_status *s = step_of(rev, phase, step);
	return s ? s->h.state : (kd_exec_state)-1;
}

static kd_exec_state plan_state(const kd_revision *rev)
{
	return rev && rev->status ? rev->status->h.state : (kd_exec_state)-1;
}

/* The object as JSON (NULL when absent). */
static cJSON *get(const char *ns, const char *api_version, const char *kind, const char *name)
{
	kd_kube_client *c = kd_e2e_client(ns);
	cJSON *o = NULL;
	kd_kube_ref r = {api_version, kind, ns, name, NULL};
	if (c && kd_kube_get(&o, c, &r) != 0)
		o = NULL;
	kd_error_clear();
	kd_kube_client_free(c);
	return o;
}

static bool exists(const char *ns, const char *api_version, const char *kind, const char *name)
{
	cJSON *o = get(ns, api_version, kind, name);
	bool yes = o != NULL;
	cJSON_Delete(o);
	return yes;
}

static int count_labelled(const char *ns, const char *api_version, const char *kind, const char *selector)
{
	kd_kube_client *c = kd_e2e_client(ns);
	kd_kube_ref r = {api_version, kind, ns, NULL, NULL};
	kd_kube_list_options lo = KD_KUBE_LIST_OPTIONS_INIT;
	cJSON *list = NULL;
	int n = -1;
	lo.label_selector = selector;
	if (c && kd_kube_list(&list, c, &r, &lo) == 0)
		n = cJSON_GetArraySize(kd_json_get(list, "items"));
	cJSON_Delete(list);
	kd_error_clear();
	kd_kube_client_free(c);
	return n;
}

/* kubectl get KIND NAME -n NS -o jsonpath=PATH */
static char *kubectl_jsonpath(const char *ns, const char *what, const char *path)
{
	kd_buf out = KD_BUF_INIT, jp = KD_BUF_INIT;
	kd_buf_printf(&jp, "jsonpath=%s", path);
	const char *argv[] = {"get", what, "-n", ns, "-o", kd_buf_cstr(&jp), NULL};
	int rc = kd_e2e_kubectl(&out, argv);
	kd_buf_free(&jp);
	if (rc != 0) {
		kd_buf_free(&out);
		return NULL;
	}
	return kd_buf_detach(&out);
}

static bool contains(const kd_buf *b, const char *s)
{
	return strstr(kd_buf_cstr(b), s) != NULL;
}

#define CHECK_CONTAINS(buf, s)                                                                  \
	do {                                                                                        \
		if (!CHECK(contains(&(buf), s)))                                                        \
			fprintf(stderr, "  expected \"%s\" in:\n%s\n", s, kd_buf_cstr(&(buf)));             \
	} while (0)

#define KUDO(code, ...)                                                                         \
	do {                                                                                        \
		const char *argv_[] = {__VA_ARGS__, NULL};                                              \
		int rc_ = kd_e2e_kudo(&out, &err, NULL, argv_);                                         \
		if (!CHECK_INT(rc_, code))                                                              \
			fprintf(stderr, "  stdout:\n%s\n  stderr:\n%s\n", kd_buf_cstr(&out), kd_buf_cstr(&err)); \
	} while (0)

/* ---- plans: serial, parallel, fatal ----------------------------------------------------------- */

TEST(e2e_engine_serial_and_parallel_steps)
{
	char *ns = kd_e2e_ns("kd-eng");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	KUDO(0, "install", kd_e2e_pkg("engine"), "-n", ns);
	CHECK_CONTAINS(out, "revision 1: plan deploy COMPLETE");
	kd_revision *r1 = record(ns, "engine-instance", 1);
	CHECK_INT(plan_state(r1), KD_EXEC_COMPLETE);
	const kd_step_status *a = step_of(r1, "one", "first"), *b = step_of(r1, "one", "second"),
			     *c = step_of(r1, "one", "third");
	if (CHECK(a && b && c)) {
		CHECK(a->h.state == KD_EXEC_COMPLETE && b->h.state == KD_EXEC_COMPLETE && c->h.state == KD_EXEC_COMPLETE);
		/* serial: each starts after the one before it finished */
		CHECK(b->h.started_us >= a->h.finished_us);
		CHECK(c->h.started_us >= b->h.finished_us);
	}

	/* A phase with parallel steps: the three Deployments wait together. */
	KUDO(0, "plan", "trigger", "--instance", "engine-instance", "-n", ns, "--name", "parallel");
	kd_revision *r2 = record(ns, "engine-instance", 2);
	CHECK_INT(plan_state(r2), KD_EXEC_COMPLETE);
	a = step_of(r2, "together", "a");
	b = step_of(r2, "together", "b");
	c = step_of(r2, "together", "c");
	if (CHECK(a && b && c)) {
		int64_t last_start = a->h.started_us, first_end = a->h.finished_us;
		const kd_step_status *all[] = {a, b, c};
		for (int i = 0; i < 3; i++) {
			if (all[i]->h.started_us > last_start)
				last_start = all[i]->h.started_us;
			if (all[i]->h.finished_us < first_end)
				first_end = all[i]->h.finished_us;
		}
		/* every step was running before any finished: they overlapped */
		CHECK(last_start < first_end);
	}
	CHECK(exists(ns, "apps/v1", "Deployment", "engine-instance-c"));

	/* The same Deployments with a serial phase: b starts once a is done. */
	KUDO(0, "plan", "trigger", "--instance", "engine-instance", "-n", ns, "--name", "serial");
	kd_revision *r3 = record(ns, "engine-instance", 3);
	a = step_of(r3, "inturn", "a");
	b = step_of(r3, "inturn", "b");
	if (CHECK(a && b))
		CHECK(b->h.started_us >= a->h.finished_us);
	/* engine-instance-c is not in the serial plan: pruned once it completed */
	CHECK(!exists(ns, "apps/v1", "Deployment", "engine-instance-c"));

	/* A plan with parallel phases: phase right's step ran while phase left's did (each waits
	 * for its Deployment's pods, ready after 3 s) */
	KUDO(0, "plan", "trigger", "--instance", "engine-instance", "-n", ns, "--name", "phases");
	kd_revision *r4 = record(ns, "engine-instance", 4);
	CHECK_INT(plan_state(r4), KD_EXEC_COMPLETE);
	a = step_of(r4, "left", "a");
	b = step_of(r4, "right", "b");
	if (CHECK(a && b)) {
		CHECK(a->h.state == KD_EXEC_COMPLETE && b->h.state == KD_EXEC_COMPLETE);
		CHECK(b->h.started_us < a->h.finished_us);
		CHECK(a->h.started_us < b->h.finished_us);
	}
	kd_revision_free(r4);

	kd_revision_free(r1);
	kd_revision_free(r2);
	kd_revision_free(r3);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_e2e_ns_drop(ns);
}

TEST(e2e_engine_fatal_error_stops_the_plan)
{
	char *ns = kd_e2e_ns("kd-fatal");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	KUDO(0, "install", kd_e2e_pkg("engine"), "-n", ns, "--instance", "f");
	KUDO(1, "plan", "trigger", "--instance", "f", "-n", ns, "--name", "fatal");
	CHECK_CONTAINS(err, "step main/boom failed");
	CHECK_CONTAINS(err, "dummy error");
	kd_revision *r = record(ns, "f", 2);
	CHECK_INT(plan_state(r), KD_EXEC_FATAL_ERROR);
	CHECK_INT(step_state(r, "main", "fine"), KD_EXEC_COMPLETE);
	CHECK_INT(step_state(r, "main", "boom"), KD_EXEC_FATAL_ERROR);
	CHECK_INT(step_state(r, "main", "never"), KD_EXEC_NEVER_RUN);
	/* plan status shows the same, in KUDO's layout */
	KUDO(0, "plan", "status", "--instance", "f", "-n", ns);
	CHECK_CONTAINS(out, "Plan fatal (serial strategy) [FATAL_ERROR]");
	CHECK_CONTAINS(out, "Step boom [FATAL_ERROR]");
	CHECK_CONTAINS(out, "Step never [NEVER_RUN]");
	CHECK_CONTAINS(out, "Plan deploy (serial strategy) [NOT ACTIVE]");
	kd_revision_free(r);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_e2e_ns_drop(ns);
}

/* ---- ERROR, then recovery ----------------------------------------------------------------------- */

typedef struct {
	const char *ns, *instance;
} rec_ref;

static bool step_errored(void *arg)
{
	rec_ref *r = arg;
	kd_revision *rev = record(r->ns, r->instance, 1);
	const kd_step_status *s = step_of(rev, "main", "elsewhere");
	bool yes = s && s->h.state == KD_EXEC_ERROR && s->attempts >= 1;
	kd_revision_free(rev);
	return yes;
}

TEST(e2e_engine_error_is_retried_until_it_recovers)
{
	char *ns = kd_e2e_ns("kd-recover");
	char later[128];
	snprintf(later, sizeof(later), "%s-later", ns);
	char *log = kd_e2e_tmp("recover.log"), param[200];
	snprintf(param, sizeof(param), "otherNamespace=%s", later);
	const char *argv[] = {"install", kd_e2e_pkg("recover"), "-n", ns, "-p", param, "--timeout", "2m", NULL};
	pid_t pid = kd_e2e_kudo_spawn(NULL, argv, log);
	rec_ref rr = {ns, "recover-instance"};
	/* the namespace the ConfigMap goes to does not exist yet: the step fails, transiently */
	CHECK(kd_e2e_eventually(step_errored, &rr, 60));
	kd_revision *r = record(ns, "recover-instance", 1);
	const kd_step_status *s = step_of(r, "main", "elsewhere");
	if (CHECK(s && s->h.message))
		CHECK(strstr(s->h.message, "not found") != NULL);
	CHECK_INT(plan_state(r), KD_EXEC_IN_PROGRESS);
	kd_revision_free(r);
	char *ns2 = kd_strdup(later);
	{
		kd_kube_client *c = kd_e2e_client(NULL);
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "apiVersion", "v1");
		cJSON_AddStringToObject(o, "kind", "Namespace");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "metadata"), "name", ns2);
		CHECK_INT(kd_kube_create(NULL, c, o), 0);
		cJSON_Delete(o);
		kd_kube_client_free(c);
	}
	CHECK_INT(kd_e2e_wait(pid, 120), 0);
	r = record(ns, "recover-instance", 1);
	CHECK_INT(plan_state(r), KD_EXEC_COMPLETE);
	s = step_of(r, "main", "elsewhere");
	if (CHECK(s))
		CHECK(s->attempts >= 2);
	CHECK(exists(later, "v1", "ConfigMap", "recover-instance-elsewhere"));
	kd_revision_free(r);
	kd_e2e_ns_drop(ns2);
	free(log);
	kd_e2e_ns_drop(ns);
}

/* ---- the lifecycle of a package with real objects ------------------------------------------------ */

static char *cm_value(const char *ns, const char *name, const char *key)
{
	kd_buf p = KD_BUF_INIT;
	kd_buf_printf(&p, "{.data.%s}", key);
	kd_buf what = KD_BUF_INIT;
	kd_buf_printf(&what, "configmap/%s", name);
	char *v = kubectl_jsonpath(ns, kd_buf_cstr(&what), kd_buf_cstr(&p));
	kd_buf_free(&p);
	kd_buf_free(&what);
	return v;
}

#define CHECK_CM(ns, name, key, want)                       \
	do {                                                    \
		char *v_ = cm_value(ns, name, key);                 \
		CHECK_STR(v_ ? v_ : "(missing)", want);             \
		free(v_);                                           \
	} while (0)

#define CHECK_JP(ns, what, path, want)                      \
	do {                                                    \
		char *v_ = kubectl_jsonpath(ns, what, path);        \
		CHECK_STR(v_ ? v_ : "(missing)", want);             \
		free(v_);                                           \
	} while (0)

/* Server-side applies data.greeting of ConfigMap NAME as field manager MANAGER. */
static void put_greeting(const char *ns, const char *name, const char *value, const char *manager)
{
	kd_kube_client *c = kd_e2e_client(ns);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "apiVersion", "v1");
	cJSON_AddStringToObject(o, "kind", "ConfigMap");
	cJSON *md = cJSON_AddObjectToObject(o, "metadata");
	cJSON_AddStringToObject(md, "name", name);
	cJSON_AddStringToObject(md, "namespace", ns);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "data"), "greeting", value);
	kd_kube_apply_options ao = KD_KUBE_APPLY_OPTIONS_INIT;
	ao.force = true;
	ao.field_manager = manager;
	CHECK_INT(kd_kube_apply(NULL, c, o, &ao), 0);
	cJSON_Delete(o);
	kd_kube_client_free(c);
}

TEST(e2e_engine_install_update_upgrade_rollback_uninstall)
{
	char *ns = kd_e2e_ns("kd-life");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	char p01[4096], p02[4096], p03[4096];
	snprintf(p01, sizeof(p01), "%s", kd_e2e_pkg("app-0.1.0"));
	snprintf(p02, sizeof(p02), "%s", kd_e2e_pkg("app-0.2.0"));
	snprintf(p03, sizeof(p03), "%s", kd_e2e_pkg("app-0.3.0"));

	/* install: objects, labels on them and on pod templates, the revision annotation; -o json
	 * prints the revision record as data instead of the tree */
	KUDO(0, "install", p01, "-n", ns, "--instance", "web", "-p", "greeting=hi", "-o", "json");
	{
		cJSON *j = cJSON_Parse(kd_buf_cstr(&out));
		if (!CHECK(j))
			fprintf(stderr, "  stdout:\n%s\n", kd_buf_cstr(&out));
		CHECK_STR(kd_json_get_str(j, "kind"), "Revision");
		CHECK_STR(kd_json_get_str(j, "operation"), "install");
		CHECK_STR(kd_json_get_str(kd_json_get(kd_json_get(j, "parameters"), "user"), "greeting"), "hi");
		CHECK_STR(kd_json_get_str(kd_json_get(j, "status"), "status"), "COMPLETE");
		cJSON_Delete(j);
	}
	CHECK(!contains(&out, "Plan deploy (serial strategy)"));
	CHECK_CM(ns, "web-config", "greeting", "hi");
	CHECK_CM(ns, "web-config", "version", "0.1.0");
	CHECK_JP(ns, "deployment/web-web", "{.spec.replicas}", "2");
	CHECK_JP(ns, "deployment/web-web", "{.metadata.labels.app\\.kubernetes\\.io/managed-by}", "kudoc");
	CHECK_JP(ns, "deployment/web-web", "{.metadata.labels.kudoc\\.dev/instance}", "web");
	CHECK_JP(ns, "deployment/web-web", "{.metadata.labels.kudoc\\.dev/operator}", "app");
	CHECK_JP(ns, "deployment/web-web", "{.metadata.annotations.kudoc\\.dev/revision}", "1");
	CHECK_JP(ns, "deployment/web-web", "{.spec.template.metadata.labels.kudoc\\.dev/instance}", "web");
	CHECK_JP(ns, "deployment/web-web", "{.spec.selector.matchLabels}", "{\"app\":\"web-web\"}");
	CHECK_JP(ns, "service/web-web", "{.metadata.labels.kudoc\\.dev/instance}", "web");
	CHECK_INT(count_labelled(ns, "v1", "Pod", "kudoc.dev/instance=web"), 2);
	CHECK(!exists(ns, "v1", "ConfigMap", "web-extra"));
	/* the same install again is refused */
	KUDO(1, "install", p01, "-n", ns, "--instance", "web");
	CHECK_CONTAINS(err, "already exists");

	/* update: the changed parameter's plan (deploy: the package has no update plan) */
	KUDO(0, "update", "--instance", "web", "-n", ns, "-p", "replicas=3");
	CHECK_JP(ns, "deployment/web-web", "{.spec.replicas}", "3");
	CHECK_JP(ns, "deployment/web-web", "{.metadata.annotations.kudoc\\.dev/revision}", "2");
	CHECK_CM(ns, "web-config", "greeting", "hi"); /* kept */
	KUDO(0, "update", "--instance", "web", "-n", ns, "-p", "replicas=3");
	CHECK_CONTAINS(out, "no parameter changes");
	KUDO(1, "update", "--instance", "web", "-n", ns, "-p", "storageClass=fast");
	CHECK_CONTAINS(err, "storageClass");
	CHECK_CONTAINS(err, "immutable");
	/* a Toggle: on applies, off deletes */
	KUDO(0, "update", "--instance", "web", "-n", ns, "-p", "withExtra=true");
	CHECK(exists(ns, "v1", "ConfigMap", "web-extra"));
	KUDO(0, "update", "--instance", "web", "-n", ns, "-p", "withExtra=false");
	CHECK(!exists(ns, "v1", "ConfigMap", "web-extra"));

	/* upgrade: the upgrade plan, the user's values kept, the new version's defaults */
	KUDO(0, "upgrade", p02, "--instance", "web", "-n", ns);
	kd_revision *r = record(ns, "web", 0);
	if (CHECK(r)) {
		CHECK_STR(r->plan, "upgrade");
		CHECK_STR(r->operation, "upgrade");
		CHECK_STR(r->operator_version, "0.2.0");
	}
	kd_revision_free(r);
	CHECK_CM(ns, "web-config", "greeting", "hi");
	CHECK_CM(ns, "web-config", "version", "0.2.0");
	CHECK_CM(ns, "web-v2", "color", "blue");
	CHECK_JP(ns, "deployment/web-web", "{.spec.replicas}", "3");
	/* a field another manager took (kubectl scale) is a conflict naming it; --force-conflicts
	 * takes it back */
	{
		kd_buf ko = KD_BUF_INIT;
		const char *scale[] = {"scale", "deployment/web-web", "-n", ns, "--replicas=1", NULL};
		CHECK_INT(kd_e2e_kubectl(&ko, scale), 0);
		kd_buf_free(&ko);
	}
	KUDO(1, "update", "--instance", "web", "-n", ns, "-p", "replicas=4");
	CHECK_CONTAINS(err, "conflict");
	CHECK_CONTAINS(err, ".spec.replicas");
	CHECK_CONTAINS(err, "--force-conflicts");
	KUDO(0, "update", "--instance", "web", "-n", ns, "-p", "replicas=3", "--force-conflicts");
	CHECK_JP(ns, "deployment/web-web", "{.spec.replicas}", "3");
	/* 0.3.0 drops the Service: pruned after its plan completes; a ConfigMap the user marked
	 * kudoc.dev/keep stays even when a later revision drops it */
	{
		kd_buf ko = KD_BUF_INIT;
		const char *keep[] = {"annotate", "configmap/web-v2", "-n", ns, "kudoc.dev/keep=true", NULL};
		CHECK_INT(kd_e2e_kubectl(&ko, keep), 0);
		kd_buf_free(&ko);
	}
	KUDO(0, "upgrade", p03, "--instance", "web", "-n", ns, "-p", "color=red");
	CHECK(!exists(ns, "v1", "Service", "web-web"));
	CHECK_CM(ns, "web-v2", "color", "red");
	CHECK_CM(ns, "web-v3", "added", "in 0.3.0"); /* only 0.3.0 has it, not annotated keep */
	r = record(ns, "web", 0);
	long v3 = r ? r->number : 0;
	kd_revision_free(r);
	/* a downgrade needs --force; the same version too */
	KUDO(1, "upgrade", p02, "--instance", "web", "-n", ns);
	CHECK_CONTAINS(err, "--force");
	KUDO(1, "upgrade", p03, "--instance", "web", "-n", ns);
	CHECK_CONTAINS(err, "already installed");

	/* rollback to revision 1: its version, objects and parameters; later objects deleted */
	KUDO(0, "rollback", "--instance", "web", "-n", ns, "1");
	r = record(ns, "web", 0);
	long rb = r ? r->number : 0;
	if (CHECK(r)) {
		CHECK_STR(r->operation, "rollback");
		CHECK_INT(r->rollback_of, 1);
		CHECK_STR(r->operator_version, "0.1.0");
		CHECK_INT(plan_state(r), KD_EXEC_COMPLETE);
	}
	kd_revision_free(r);
	CHECK_CM(ns, "web-config", "version", "0.1.0");
	CHECK_CM(ns, "web-config", "greeting", "hi");
	CHECK_JP(ns, "deployment/web-web", "{.spec.replicas}", "2");
	CHECK(exists(ns, "v1", "Service", "web-web"));
	CHECK(exists(ns, "v1", "ConfigMap", "web-v2")); /* kept, as annotated */
	CHECK(!exists(ns, "v1", "ConfigMap", "web-v3")); /* a later revision's object: deleted */

	/* plan status of an earlier revision, and the tree as data */
	KUDO(0, "plan", "status", "--instance", "web", "-n", ns, "--revision", "1");
	CHECK_CONTAINS(out, "(revision 1, install)");
	CHECK_CONTAINS(out, "Operator-Version: \"app-0.1.0\"");
	CHECK_CONTAINS(out, "Phase config (serial strategy) [COMPLETE]");
	KUDO(0, "plan", "status", "--instance", "web", "-n", ns, "-o", "json");
	{
		cJSON *j = cJSON_Parse(kd_buf_cstr(&out));
		CHECK_INT((long)cJSON_GetNumberValue(kd_json_get(j, "revision")), rb);
		CHECK_STR(kd_json_get_str(j, "operation"), "rollback");
		const cJSON *ph = cJSON_GetArrayItem(kd_json_get(kd_json_get(j, "status"), "phases"), 1);
		CHECK_STR(kd_json_get_str(ph, "name"), "web");
		CHECK_STR(kd_json_get_str(ph, "status"), "COMPLETE");
		const cJSON *st = cJSON_GetArrayItem(kd_json_get(ph, "steps"), 0);
		CHECK_STR(kd_json_get_str(st, "name"), "web");
		cJSON_Delete(j);
	}

	/* history: every revision with what it changed */
	KUDO(0, "plan", "history", "--instance", "web", "-n", ns);
	CHECK_CONTAINS(out, "install");
	CHECK_CONTAINS(out, "replicas");
	CHECK_CONTAINS(out, "rollback to 1");
	KUDO(0, "plan", "history", "--instance", "web", "-n", ns, "-o", "json");
	cJSON *hist = cJSON_Parse(kd_buf_cstr(&out));
	CHECK(cJSON_GetArraySize(kd_json_get(hist, "items")) == (int)rb);
	cJSON_Delete(hist);
	KUDO(0, "get", "instances", "-n", ns);
	CHECK_CONTAINS(out, "web");
	CHECK_CONTAINS(out, "COMPLETE");

	/* rollback without a revision: the previous good one (the 0.3.0 upgrade), its parameters
	 * (replicas 3, not revision 1's 2) and its objects again */
	KUDO(0, "rollback", "--instance", "web", "-n", ns);
	r = record(ns, "web", 0);
	if (CHECK(r)) {
		CHECK_INT(r->number, rb + 1);
		CHECK_STR(r->operation, "rollback");
		CHECK_INT(r->rollback_of, v3);
		CHECK_STR(r->operator_version, "0.3.0");
		CHECK_INT(plan_state(r), KD_EXEC_COMPLETE);
	}
	kd_revision_free(r);
	CHECK_JP(ns, "deployment/web-web", "{.spec.replicas}", "3");
	CHECK_CM(ns, "web-config", "version", "0.3.0");
	CHECK_CM(ns, "web-v3", "added", "in 0.3.0");
	CHECK(!exists(ns, "v1", "Service", "web-web"));
	/* a downgrade with --force runs (and its objects come back) */
	KUDO(0, "upgrade", p02, "--instance", "web", "-n", ns, "--force");
	r = record(ns, "web", 0);
	if (CHECK(r)) {
		CHECK_STR(r->operation, "upgrade");
		CHECK_STR(r->operator_version, "0.2.0");
		CHECK_INT(plan_state(r), KD_EXEC_COMPLETE);
	}
	kd_revision_free(r);
	CHECK_CM(ns, "web-config", "version", "0.2.0");
	CHECK(exists(ns, "v1", "Service", "web-web"));
	CHECK(!exists(ns, "v1", "ConfigMap", "web-v3"));
	/* a conflict names the manager that owns the field (here another server-side apply) */
	put_greeting(ns, "web-config", "theirs", "someone-else");
	KUDO(1, "update", "--instance", "web", "-n", ns, "-p", "greeting=mine");
	CHECK_CONTAINS(err, "conflict with \"someone-else\"");
	CHECK_CONTAINS(err, ".data.greeting");
	CHECK_CM(ns, "web-config", "greeting", "theirs");
	KUDO(0, "update", "--instance", "web", "-n", ns, "-p", "greeting=hi", "--force-conflicts");
	CHECK_CM(ns, "web-config", "greeting", "hi");

	/* uninstall: nothing of the instance is left but what the user marked to keep (checked
	 * through the real kubectl) */
	KUDO(0, "uninstall", "--instance", "web", "-n", ns);
	CHECK_CONTAINS(out, "kept ConfigMap");
	kd_buf kout = KD_BUF_INIT;
	const char *argv[] = {"get", "all,configmaps,secrets,leases", "-n", ns, "-l", "kudoc.dev/instance=web", "-o", "name",
		NULL};
	CHECK_INT(kd_e2e_kubectl(&kout, argv), 0);
	CHECK_STR(kd_buf_cstr(&kout), "configmap/web-v2\n");
	const char *argv2[] = {"get", "leases,secrets", "-n", ns, "-o", "name", NULL};
	CHECK_INT(kd_e2e_kubectl(&kout, argv2), 0);
	CHECK(!strstr(kd_buf_cstr(&kout), "kudoc."));
	KUDO(1, "plan", "status", "--instance", "web", "-n", ns);
	CHECK_CONTAINS(err, "does not exist");
	kd_buf_free(&kout);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_e2e_ns_drop(ns);
}

TEST(e2e_engine_history_limit_and_large_records)
{
	char *ns = kd_e2e_ns("kd-hist");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	/* a package with a 1.5 MB file (random, so gzip cannot shrink it): records split */
	char *dir = kd_e2e_tmp("bigpkg");
	kd_buf cmd = KD_BUF_INIT;
	kd_buf_printf(&cmd, "rm -rf '%s' && cp -r '%s' '%s' && head -c 1100000 /dev/urandom | base64 > '%s/NOTES.txt'", dir,
		kd_e2e_pkg("app-0.1.0"), dir, dir);
	CHECK_INT(system(kd_buf_cstr(&cmd)), 0);
	kd_buf_free(&cmd);
	KUDO(0, "install", dir, "-n", ns, "--instance", "big", "--history-max", "2");
	kd_revision *r = record(ns, "big", 1);
	if (CHECK(r))
		CHECK(r->package_parts >= 2);
	kd_revision_free(r);
	KUDO(0, "update", "--instance", "big", "-n", ns, "-p", "greeting=a", "--history-max", "2");
	KUDO(0, "update", "--instance", "big", "-n", ns, "-p", "greeting=b", "--history-max", "2");
	KUDO(0, "update", "--instance", "big", "-n", ns, "-p", "greeting=c", "--history-max", "2");
	CHECK_INT(count_labelled(ns, "v1", "Secret", "kudoc.dev/instance=big,kudoc.dev/record=revision"), 2);
	CHECK(record(ns, "big", 1) == NULL);
	/* the package of a split record loads back: roll back to the oldest kept revision */
	KUDO(0, "rollback", "--instance", "big", "-n", ns, "3");
	CHECK_CM(ns, "big-config", "greeting", "b");
	free(dir);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_e2e_ns_drop(ns);
}

/* A revision record too large for one Secret (a parameter of 800 KB of random text, which
 * gzip cannot shrink): its text is split across the record Secret and .rec parts, reads back
 * whole, is rewritten on every status change and by later commands, and goes with uninstall. */
TEST(e2e_engine_revision_record_over_one_secret_splits)
{
	char *ns = kd_e2e_ns("kd-bigrec");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT, cmd = KD_BUF_INIT;
	char *dir = kd_e2e_tmp("bigrec"), *values = kd_e2e_tmp("bigrec-values.yaml");
	kd_buf_printf(&cmd,
		"rm -rf '%s' && cp -r '%s' '%s' && printf -- '  - name: blob\\n    description: kept, never used\\n"
		"    default: \"\"\\n' >> '%s/params.yaml' && { printf 'blob: '; head -c 600000 /dev/urandom | base64 -w0; "
		"echo; } > '%s'",
		dir, kd_e2e_pkg("app-0.1.0"), dir, dir, values);
	CHECK_INT(system(kd_buf_cstr(&cmd)), 0);
	KUDO(0, "install", dir, "-n", ns, "--instance", "big", "-P", values);
	kd_revision *r = record(ns, "big", 1);
	size_t blob_len = 0;
	if (CHECK(r)) {
		CHECK(r->record_parts >= 2);
		CHECK_INT(plan_state(r), KD_EXEC_COMPLETE);
		const char *blob = kd_json_get_str(r->user_params, "blob");
		blob_len = blob ? strlen(blob) : 0;
		CHECK(blob_len == 800000);
	}
	kd_revision_free(r);
	CHECK(count_labelled(ns, "v1", "Secret", "kudoc.dev/instance=big,kudoc.dev/record=record-part") >= 1);
	/* later commands read it whole, and keep the user's value */
	KUDO(0, "update", "--instance", "big", "-n", ns, "-p", "greeting=split");
	CHECK_CM(ns, "big-config", "greeting", "split");
	r = record(ns, "big", 2);
	if (CHECK(r)) {
		CHECK(r->record_parts >= 2);
		const char *blob = kd_json_get_str(r->user_params, "blob");
		CHECK(blob && strlen(blob) == blob_len);
	}
	kd_revision_free(r);
	KUDO(0, "plan", "history", "--instance", "big", "-n", ns);
	CHECK_CONTAINS(out, "greeting");
	CHECK(strstr(kd_buf_cstr(&out), "blob:") == NULL); /* (a value never shows) */
	KUDO(0, "get", "instances", "-n", ns);
	CHECK_CONTAINS(out, "big");
	KUDO(0, "uninstall", "--instance", "big", "-n", ns);
	CHECK_INT(count_labelled(ns, "v1", "Secret", "kudoc.dev/instance=big"), 0);
	/* a part gone: the record cannot be read whole, and the message names the part */
	KUDO(0, "install", dir, "-n", ns, "--instance", "torn", "-P", values);
	const char *rm[] = {"delete", "secret", "kudoc.torn.v1.rec1", "-n", ns, NULL};
	kd_buf kout = KD_BUF_INIT;
	CHECK_INT(kd_e2e_kubectl(&kout, rm), 0);
	kd_buf_free(&kout);
	KUDO(1, "plan", "status", "--instance", "torn", "-n", ns);
	CHECK_CONTAINS(err, "cannot be read whole");
	CHECK_CONTAINS(err, "part kudoc.torn.v1.rec1 is missing");
	free(dir);
	free(values);
	kd_buf_free(&cmd);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_e2e_ns_drop(ns);
}

/* ---- health: timeouts and failures ----------------------------------------------------------------- */

TEST(e2e_engine_never_ready_times_out_naming_it)
{
	char *ns = kd_e2e_ns("kd-stuck");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	KUDO(3, "install", kd_e2e_pkg("never-ready"), "-n", ns, "--timeout", "8s");
	CHECK_CONTAINS(err, "Deployment/never-ready-instance-stuck");
	CHECK_CONTAINS(err, "pod never-ready-instance-stuck-");
	/* and why: the replicas, and each waiting pod with its reason ("container main not ready
	 * (running, readiness probe not passing)", or still pending when the machine is slow) */
	CHECK_CONTAINS(err, "0/2 replicas ready");
	const char *pod = strstr(kd_buf_cstr(&err), "pod never-ready-instance-stuck-");
	const char *why = pod ? strstr(pod, ": ") : NULL;
	CHECK(why && why[2] && why[2] != '\n');
	CHECK_CONTAINS(err, "plan resume --instance never-ready-instance");
	kd_revision *r = record(ns, "never-ready-instance", 1);
	CHECK_INT(plan_state(r), KD_EXEC_IN_PROGRESS);
	kd_revision_free(r);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_e2e_ns_drop(ns);
}

TEST(e2e_engine_failing_job_fails_the_plan)
{
	char *ns = kd_e2e_ns("kd-job");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	KUDO(1, "install", kd_e2e_pkg("failing-job"), "-n", ns, "--timeout", "5m");
	CHECK_CONTAINS(err, "Job/failing-job-instance-migrate");
	CHECK_CONTAINS(err, "BackoffLimitExceeded");
	kd_revision *r = record(ns, "failing-job-instance", 1);
	CHECK_INT(plan_state(r), KD_EXEC_FATAL_ERROR);
	CHECK_INT(step_state(r, "main", "migrate"), KD_EXEC_FATAL_ERROR);
	CHECK_INT(step_state(r, "main", "after"), KD_EXEC_NEVER_RUN);
	CHECK(!exists(ns, "v1", "ConfigMap", "failing-job-instance-after"));
	kd_revision_free(r);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_e2e_ns_drop(ns);
}

TEST(e2e_engine_unserved_api_fails_before_any_write)
{
	char *ns = kd_e2e_ns("kd-unserved");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	KUDO(1, "install", kd_e2e_pkg("unserved"), "-n", ns);
	CHECK_CONTAINS(err, "templates/pdb.yaml");
	CHECK_CONTAINS(err, "policy/v1beta1 PodDisruptionBudget is not served");
	CHECK_CONTAINS(err, "PodDisruptionBudget policy/v1");
	CHECK_CONTAINS(err, "nothing was applied");
	CHECK(!exists(ns, "v1", "ConfigMap", "unserved-instance-config"));
	CHECK_INT(count_labelled(ns, "v1", "Secret", "kudoc.dev/instance=unserved-instance"), 0);
	CHECK(!exists(ns, "coordination.k8s.io/v1", "Lease", "kudoc.unserved-instance"));
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_e2e_ns_drop(ns);
}

/* ---- the lock ----------------------------------------------------------------------------------- */

typedef struct {
	const char *ns, *name;
} lease_ref;

static bool lease_held(void *arg)
{
	lease_ref *l = arg;
	cJSON *o = get(l->ns, "coordination.k8s.io/v1", "Lease", l->name);
	const char *h = kd_json_get_str(kd_json_get(o, "spec"), "holderIdentity");
	bool yes = h && *h;
	cJSON_Delete(o);
	return yes;
}

static void put_lease(const char *ns, const char *name, const char *holder, long age_s)
{
	kd_kube_client *c = kd_e2e_client(ns);
	char t[64];
	time_t when = time(NULL) - age_s;
	struct tm tm;
	gmtime_r(&when, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S.000000Z", &tm);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "apiVersion", "coordination.k8s.io/v1");
	cJSON_AddStringToObject(o, "kind", "Lease");
	cJSON *md = cJSON_AddObjectToObject(o, "metadata");
	cJSON_AddStringToObject(md, "name", name);
	cJSON_AddStringToObject(md, "namespace", ns);
	cJSON *spec = cJSON_AddObjectToObject(o, "spec");
	cJSON_AddStringToObject(spec, "holderIdentity", holder);
	cJSON_AddNumberToObject(spec, "leaseDurationSeconds", 30);
	cJSON_AddStringToObject(spec, "acquireTime", t);
	cJSON_AddStringToObject(spec, "renewTime", t);
	kd_kube_apply_options ao = KD_KUBE_APPLY_OPTIONS_INIT;
	ao.force = true;
	ao.field_manager = "someone-else";
	CHECK_INT(kd_kube_apply(NULL, c, o, &ao), 0);
	cJSON_Delete(o);
	kd_kube_client_free(c);
}

TEST(e2e_engine_lock_refuses_a_second_command_and_expires)
{
	char *ns = kd_e2e_ns("kd-lock");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	char *log = kd_e2e_tmp("lock.log");
	const char *argv[] = {"install", kd_e2e_pkg("slow"), "-n", ns, "-p", "readyAfter=8s", NULL};
	pid_t pid = kd_e2e_kudo_spawn(NULL, argv, log);
	lease_ref l = {ns, "kudoc.slow-instance"};
	/* as soon as it holds the lock: even before its first record is written, a second
	 * command is told who holds the instance */
	CHECK(kd_e2e_eventually(lease_held, &l, 30));
	char pidstr[32];
	snprintf(pidstr, sizeof(pidstr), "/%ld/install", (long)pid);
	KUDO(4, "update", "--instance", "slow-instance", "-n", ns, "-p", "readyAfter=1s");
	CHECK_CONTAINS(err, "locked by another command");
	CHECK_CONTAINS(err, pidstr);
	CHECK_INT(kd_e2e_wait(pid, 120), 0);
	/* released: the next command goes ahead */
	CHECK(!lease_held(&l));

	/* a holder on another host that stopped renewing an hour ago: taken over */
	put_lease(ns, "kudoc.slow-instance", "elsewhere/4242/install", 3600);
	KUDO(0, "update", "--instance", "slow-instance", "-n", ns, "-p", "readyAfter=1s");
	/* a fresh holder on another host: refused */
	put_lease(ns, "kudoc.slow-instance", "elsewhere/4242/install", 0);
	KUDO(4, "update", "--instance", "slow-instance", "-n", ns, "-p", "readyAfter=2s");
	CHECK_CONTAINS(err, "elsewhere/4242/install");
	/* a fresh holder that was a process of this host that is gone: taken over at once */
	pid_t dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	char host[256] = "", holder[512];
	gethostname(host, sizeof(host) - 1);
	snprintf(holder, sizeof(holder), "%s/%ld/install", host, (long)dead);
	put_lease(ns, "kudoc.slow-instance", holder, 0);
	KUDO(0, "update", "--instance", "slow-instance", "-n", ns, "-p", "readyAfter=2s");
	free(log);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_e2e_ns_drop(ns);
}

/* ---- SIGKILL at any point, then resume ------------------------------------------------------------- */

typedef struct {
	const char *ns, *instance, *phase, *step;
	kd_exec_state want;
} step_wait;

static bool step_reached(void *arg)
{
	step_wait *w = arg;
	kd_revision *r = record(w->ns, w->instance, 1);
	bool yes = step_state(r, w->phase, w->step) == w->want;
	kd_revision_free(r);
	return yes;
}

static bool rev2_waiting(void *arg)
{
	const char *ns = arg;
	kd_revision *r = record(ns, "slow-instance", 0);
	bool yes = r && r->number == 2 && step_state(r, "main", "wait") == KD_EXEC_IN_PROGRESS;
	kd_revision_free(r);
	return yes;
}

/* Every object of the slow package exists exactly once and the plan is COMPLETE. */
static void check_slow_complete(const char *ns, int configmaps)
{
	kd_revision *r = record(ns, "slow-instance", 0);
	CHECK_INT(plan_state(r), KD_EXEC_COMPLETE);
	kd_revision_free(r);
	CHECK_INT(count_labelled(ns, "v1", "ConfigMap", "kudoc.dev/instance=slow-instance"), configmaps + 1);
	CHECK_INT(count_labelled(ns, "batch/v1", "Job", "kudoc.dev/instance=slow-instance"), 1);
	CHECK_INT(count_labelled(ns, "apps/v1", "Deployment", "kudoc.dev/instance=slow-instance"), 1);
}

/* The Lease has been renewed for more than `min_s` seconds since it was taken. */
typedef struct {
	const char *ns, *name;
	int64_t min_s;
} lease_age;

static bool lease_renewed_for(void *arg)
{
	lease_age *a = arg;
	cJSON *o = get(a->ns, "coordination.k8s.io/v1", "Lease", a->name);
	const cJSON *spec = kd_json_get(o, "spec");
	const char *h = kd_json_get_str(spec, "holderIdentity"), *at = kd_json_get_str(spec, "acquireTime"),
		   *rt = kd_json_get_str(spec, "renewTime");
	int64_t a_us = 0, r_us = 0;
	bool yes = h && *h && at && rt && kd_kube_time_parse(&a_us, at) == 0 && kd_kube_time_parse(&r_us, rt) == 0 &&
		   r_us - a_us > a->min_s * 1000000;
	cJSON_Delete(o);
	kd_error_clear();
	return yes;
}

/* With a 3 s lease (the test-only KUDOC_TEST_LEASE_SECONDS), an install that runs for about 15 s
 * keeps its lock: once the Lease was renewed past three lease durations, a second command is still
 * refused, naming the holder and since when; then the install completes. */
TEST(e2e_engine_lock_is_renewed_while_a_long_command_runs)
{
	char *ns = kd_e2e_ns("kd-renew");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	char *log = kd_e2e_tmp("renew.log");
	const char *argv[] = {"install", kd_e2e_pkg("slow"), "-n", ns, "-p", "readyAfter=15s", NULL};
	setenv("KUDOC_TEST_LEASE_SECONDS", "3", 1);
	pid_t pid = kd_e2e_kudo_spawn(NULL, argv, log);
	unsetenv("KUDOC_TEST_LEASE_SECONDS");
	lease_ref l = {ns, "kudoc.slow-instance"};
	CHECK(kd_e2e_eventually(lease_held, &l, 30));
	cJSON *lease = get(ns, "coordination.k8s.io/v1", "Lease", "kudoc.slow-instance");
	CHECK_INT((long)cJSON_GetNumberValue(kd_json_get(kd_json_get(lease, "spec"), "leaseDurationSeconds")), 3);
	cJSON_Delete(lease);
	lease_age a = {ns, "kudoc.slow-instance", 10};
	CHECK(kd_e2e_eventually(lease_renewed_for, &a, 60));
	/* still running: the wait step has not finished */
	kd_revision *r = record(ns, "slow-instance", 1);
	CHECK_INT(step_state(r, "main", "wait"), KD_EXEC_IN_PROGRESS);
	kd_revision_free(r);
	char pidstr[32];
	snprintf(pidstr, sizeof(pidstr), "/%ld/install (since ", (long)pid);
	KUDO(4, "update", "--instance", "slow-instance", "-n", ns, "-p", "readyAfter=1s");
	CHECK_CONTAINS(err, "locked by another command");
	CHECK_CONTAINS(err, pidstr);
	CHECK_CONTAINS(err, "stops renewing it for 3s");
	CHECK_INT(kd_e2e_wait(pid, 120), 0);
	check_slow_complete(ns, 3);
	CHECK(!lease_held(&l));
	free(log);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_e2e_ns_drop(ns);
}

TEST(e2e_engine_plan_status_wait_follows_a_running_plan)
{
	char *ns = kd_e2e_ns("kd-pwait");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	char *log = kd_e2e_tmp("pwait.log");
	const char *argv[] = {"install", kd_e2e_pkg("slow"), "-n", ns, "-p", "readyAfter=4s", NULL};
	pid_t pid = kd_e2e_kudo_spawn(NULL, argv, log);
	step_wait w = {ns, "slow-instance", "main", "first", KD_EXEC_COMPLETE};
	CHECK(kd_e2e_eventually(step_reached, &w, 30));
	/* not a terminal: the tree again on each change, ending with the plan COMPLETE */
	KUDO(0, "plan", "status", "--instance", "slow-instance", "-n", ns, "--wait");
	CHECK_CONTAINS(out, "Step wait [IN_PROGRESS]");
	CHECK_CONTAINS(out, "Plan deploy (serial strategy) [COMPLETE]");
	CHECK_INT(kd_e2e_wait(pid, 60), 0);
	free(log);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_e2e_ns_drop(ns);
}

TEST(e2e_engine_ctrl_c_stops_cleanly_and_says_how_to_resume)
{
	char *ns = kd_e2e_ns("kd-int");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	char *log = kd_e2e_tmp("int.log");
	const char *argv[] = {"install", kd_e2e_pkg("slow"), "-n", ns, "-p", "readyAfter=10s", NULL};
	pid_t pid = kd_e2e_kudo_spawn(NULL, argv, log);
	step_wait w = {ns, "slow-instance", "main", "wait", KD_EXEC_IN_PROGRESS};
	CHECK(kd_e2e_eventually(step_reached, &w, 30));
	kill(pid, SIGINT);
	/* it stops at once: well before the Deployment could become ready */
	CHECK_INT(kd_e2e_wait(pid, 5), 130);
	char *text = NULL;
	if (CHECK_INT(kd_file_read(&text, NULL, log, 0), 0)) {
		CHECK(strstr(text, "interrupted") != NULL);
		CHECK(strstr(text, "plan resume --instance slow-instance") != NULL);
	}
	free(text);
	kd_revision *r = record(ns, "slow-instance", 1);
	const kd_step_status *s = step_of(r, "main", "wait");
	if (CHECK(s)) {
		CHECK_INT(s->h.state, KD_EXEC_IN_PROGRESS);
		CHECK(s->h.message && strcmp(s->h.message, "interrupted") == 0);
	}
	kd_revision_free(r);
	/* the lock was released: resuming needs no wait for it to expire */
	KUDO(0, "plan", "resume", "--instance", "slow-instance", "-n", ns);
	check_slow_complete(ns, 3);
	free(log);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_e2e_ns_drop(ns);
}

/* A resumed revision is already in the instance's list: --history-max counts it once, so
 * resuming revision 2 with --history-max 2 keeps revision 1 (it was counted twice, and
 * revision 1 deleted). */
TEST(e2e_engine_resume_counts_its_revision_once_for_history_max)
{
	char *ns = kd_e2e_ns("kd-hist");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	char *log = kd_e2e_tmp("hist.log");
	KUDO(0, "install", kd_e2e_pkg("slow"), "-n", ns, "-p", "readyAfter=1s");
	const char *argv[] = {"update", "--instance", "slow-instance", "-n", ns, "-p", "readyAfter=10s", NULL};
	pid_t pid = kd_e2e_kudo_spawn(NULL, argv, log);
	/* revision 2 waits for its Deployment */
	CHECK(kd_e2e_eventually(rev2_waiting, ns, 30));
	kill(pid, SIGINT);
	CHECK_INT(kd_e2e_wait(pid, 10), 130);
	KUDO(0, "plan", "resume", "--instance", "slow-instance", "-n", ns, "--history-max", "2");
	kd_revision *r1 = record(ns, "slow-instance", 1), *r2 = record(ns, "slow-instance", 2);
	CHECK(r1 != NULL);
	if (CHECK(r2 != NULL))
		CHECK_INT(plan_state(r2), KD_EXEC_COMPLETE);
	kd_revision_free(r1);
	kd_revision_free(r2);
	/* the next revision makes three: the oldest goes */
	KUDO(0, "update", "--instance", "slow-instance", "-n", ns, "-p", "readyAfter=1s", "--history-max", "2");
	r1 = record(ns, "slow-instance", 1);
	CHECK(r1 == NULL);
	kd_revision_free(r1);
	r2 = record(ns, "slow-instance", 2);
	CHECK(r2 != NULL);
	kd_revision_free(r2);
	free(log);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_e2e_ns_drop(ns);
}

TEST(e2e_engine_sigkill_during_a_wait_then_resume)
{
	char *ns = kd_e2e_ns("kd-kill1");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	char *log = kd_e2e_tmp("kill1.log");
	const char *argv[] = {"install", kd_e2e_pkg("slow"), "-n", ns, "-p", "readyAfter=6s", NULL};
	pid_t pid = kd_e2e_kudo_spawn(NULL, argv, log);
	step_wait w = {ns, "slow-instance", "main", "wait", KD_EXEC_IN_PROGRESS};
	CHECK(kd_e2e_eventually(step_reached, &w, 30));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	KUDO(0, "plan", "resume", "--instance", "slow-instance", "-n", ns);
	CHECK_CONTAINS(out, "resuming plan deploy");
	CHECK_CONTAINS(out, "at step wait");
	check_slow_complete(ns, 3);
	free(log);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_e2e_ns_drop(ns);
}

TEST(e2e_engine_sigkill_between_steps_then_next_command_resumes)
{
	char *ns = kd_e2e_ns("kd-kill2");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	char *log = kd_e2e_tmp("kill2.log");
	const char *argv[] = {"install", kd_e2e_pkg("slow"), "-n", ns, "-p", "readyAfter=1s", NULL};
	pid_t pid = kd_e2e_kudo_spawn(NULL, argv, log);
	step_wait w = {ns, "slow-instance", "main", "first", KD_EXEC_COMPLETE};
	CHECK(kd_e2e_eventually(step_reached, &w, 30));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/* the next command on the instance finishes the interrupted install first */
	KUDO(0, "update", "--instance", "slow-instance", "-n", ns, "-p", "configMaps=4");
	CHECK_CONTAINS(out, "resuming plan deploy");
	kd_revision *r = record(ns, "slow-instance", 1);
	CHECK_INT(plan_state(r), KD_EXEC_COMPLETE);
	kd_revision_free(r);
	check_slow_complete(ns, 4);
	free(log);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_e2e_ns_drop(ns);
}

/* The fault proxy slows every request, so the kill lands while objects are being applied. */
typedef struct {
	pid_t pid;
	char *kubeconfig;
} fproxy;

static bool proxy_up(fproxy *p, const char *const *faults)
{
	const char *bin = kd_test_testenv_bin();
	char *dir = kd_strdup(kd_test_kubeconfig());
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	static int n;
	kd_buf k = KD_BUF_INIT, lg = KD_BUF_INIT;
	kd_buf_printf(&k, "%s/fproxy-%d.kubeconfig", kd_test_tmpdir(), ++n);
	kd_buf_printf(&lg, "%s/fproxy-%d.log", kd_test_tmpdir(), n);
	p->kubeconfig = kd_buf_detach(&k);
	const char *argv[32] = {bin, "proxy", "--listen", "127.0.0.1:0", "--dir", dir, "--kubeconfig-out", p->kubeconfig};
	int a = 8;
	for (size_t i = 0; faults[i] && a < 30; i++)
		argv[a++] = faults[i];
	argv[a] = NULL;
	pid_t pid = fork();
	if (pid == 0) {
		FILE *f = freopen(kd_buf_cstr(&lg), "w", stdout);
		(void)f;
		dup2(1, 2);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	p->pid = pid;
	kd_buf_free(&lg);
	free(dir);
	for (int i = 0; i < 200; i++) {
		if (access(p->kubeconfig, R_OK) == 0)
			return true;
		usleep(50000);
	}
	return false;
}

static void proxy_down(fproxy *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
	}
	free(p->kubeconfig);
}

typedef struct {
	const char *ns;
	int at_least;
} cm_count;

static bool some_applied(void *arg)
{
	cm_count *c = arg;
	return count_labelled(c->ns, "v1", "ConfigMap", "kudoc.dev/instance=slow-instance") >= c->at_least;
}

TEST(e2e_engine_sigkill_during_apply_then_resume)
{
	char *ns = kd_e2e_ns("kd-kill3");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	fproxy p = {0};
	const char *faults[] = {"--delay", "250ms", "--delay-rate", "1", NULL};
	if (!CHECK(proxy_up(&p, faults)))
		goto done;
	char *log = kd_e2e_tmp("kill3.log");
	const char *argv[] = {"install", kd_e2e_pkg("slow"), "-n", ns, "-p", "configMaps=16", "-p", "readyAfter=1s", NULL};
	pid_t pid = kd_e2e_kudo_spawn(p.kubeconfig, argv, log);
	cm_count cc = {ns, 3};
	CHECK(kd_e2e_eventually(some_applied, &cc, 60));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	kd_revision *r = record(ns, "slow-instance", 1);
	CHECK_INT(step_state(r, "main", "first"), KD_EXEC_IN_PROGRESS);
	kd_revision_free(r);
	CHECK(count_labelled(ns, "v1", "ConfigMap", "kudoc.dev/instance=slow-instance") < 16);
	KUDO(0, "plan", "resume", "--instance", "slow-instance", "-n", ns);
	check_slow_complete(ns, 16);
	free(log);
done:
	proxy_down(&p);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_e2e_ns_drop(ns);
}

TEST(e2e_engine_install_through_faults)
{
	char *ns = kd_e2e_ns("kd-faults");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	fproxy p = {0};
	const char *faults[] = {"--reset", "0.1", "--status500", "0.1", "--status429", "0.1", "--retry-after", "1", "--seed",
		"11", NULL};
	if (!CHECK(proxy_up(&p, faults)))
		goto done;
	const char *argv[] = {"install", kd_e2e_pkg("app-0.1.0"), "-n", ns, "--instance", "faulty", NULL};
	int rc = kd_e2e_kudo(&out, &err, p.kubeconfig, argv);
	if (!CHECK_INT(rc, 0))
		fprintf(stderr, "%s\n%s\n", kd_buf_cstr(&out), kd_buf_cstr(&err));
	kd_revision *r = record(ns, "faulty", 1);
	CHECK_INT(plan_state(r), KD_EXEC_COMPLETE);
	kd_revision_free(r);
	CHECK(exists(ns, "apps/v1", "Deployment", "faulty-web"));
	CHECK(exists(ns, "v1", "Service", "faulty-web"));
done:
	proxy_down(&p);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_e2e_ns_drop(ns);
}

TEST(e2e_engine_atomic_rolls_back)
{
	char *ns = kd_e2e_ns("kd-atomic");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	KUDO(0, "install", kd_e2e_pkg("app-0.1.0"), "-n", ns, "--instance", "at", "-p", "greeting=good");
	/* an update whose pods never become ready, with --atomic: back to revision 1 */
	KUDO(3, "update", "--instance", "at", "-n", ns, "-p", "stuck=true", "--timeout", "6s", "--atomic");
	CHECK_CONTAINS(err, "rolled back to revision 1");
	kd_revision *r = record(ns, "at", 0);
	if (CHECK(r)) {
		CHECK_INT(r->number, 3);
		CHECK_STR(r->operation, "rollback");
		CHECK_INT(plan_state(r), KD_EXEC_COMPLETE);
	}
	kd_revision_free(r);
	CHECK_JP(ns, "deployment/at-web", "{.spec.replicas}", "2");
	/* an install that fails with --atomic leaves nothing */
	KUDO(1, "install", kd_e2e_pkg("failing-job"), "-n", ns, "--atomic");
	CHECK_CONTAINS(err, "removed (--atomic)");
	CHECK(!exists(ns, "batch/v1", "Job", "failing-job-instance-migrate"));
	CHECK_INT(count_labelled(ns, "v1", "Secret", "kudoc.dev/instance=failing-job-instance"), 0);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_e2e_ns_drop(ns);
}

TEST(e2e_engine_dry_run_writes_nothing)
{
	char *ns = kd_e2e_ns("kd-dry");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	KUDO(0, "install", kd_e2e_pkg("app-0.1.0"), "-n", ns, "--instance", "dry", "--dry-run");
	CHECK_CONTAINS(out, "# Source: templates/deployment.yaml");
	CHECK_CONTAINS(out, "uid:"); /* as the server would store it */
	CHECK(!exists(ns, "apps/v1", "Deployment", "dry-web"));
	CHECK_INT(count_labelled(ns, "v1", "Secret", "kudoc.dev/instance=dry"), 0);

	/* on an installed instance: an update and an uninstall that only say what they would do */
	KUDO(0, "install", kd_e2e_pkg("app-0.1.0"), "-n", ns, "--instance", "wet", "-p", "greeting=one");
	int records = count_labelled(ns, "v1", "Secret", "kudoc.dev/instance=wet");
	CHECK(records >= 1);
	KUDO(0, "update", "--instance", "wet", "-n", ns, "-p", "greeting=two", "--dry-run");
	CHECK_CONTAINS(out, "greeting: two");
	CHECK_CM(ns, "wet-config", "greeting", "one");
	CHECK_INT(count_labelled(ns, "v1", "Secret", "kudoc.dev/instance=wet"), records);
	KUDO(0, "uninstall", "--instance", "wet", "-n", ns, "--dry-run");
	char line[256];
	snprintf(line, sizeof(line), "would delete Deployment %s/wet-web", ns);
	CHECK_CONTAINS(err, line); /* (what it does and would do goes to stderr, as progress) */
	snprintf(line, sizeof(line), "would delete ConfigMap %s/wet-config", ns);
	CHECK_CONTAINS(err, line);
	CHECK(strstr(kd_buf_cstr(&err), "deleted ") == NULL);
	CHECK(strstr(kd_buf_cstr(&err), "uninstalled") == NULL);
	CHECK(exists(ns, "apps/v1", "Deployment", "wet-web"));
	CHECK_CM(ns, "wet-config", "greeting", "one");
	CHECK_INT(count_labelled(ns, "v1", "Secret", "kudoc.dev/instance=wet"), records);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_e2e_ns_drop(ns);
}

/* ---- KudoOperator: child instances ------------------------------------------------------------ */

TEST(e2e_engine_kudo_operator_child_instance)
{
	char *ns = kd_e2e_ns("kd-child");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	KUDO(0, "install", kd_e2e_pkg("parent"), "-n", ns, "--instance", "shop", "-p", "dbSize=large");
	CHECK_CONTAINS(out, "child shop-db: revision 1: install of db 0.3.0");
	/* the child has records of its own, its parameters from the parent's parameterFile */
	kd_revision *c = record(ns, "shop-db", 1);
	if (CHECK(c)) {
		CHECK_STR(c->operator_name, "db");
		CHECK_INT(plan_state(c), KD_EXEC_COMPLETE);
	}
	kd_revision_free(c);
	CHECK_CM(ns, "shop-db-config", "size", "large");
	CHECK_CM(ns, "shop-db-config", "owner", "shop");
	KUDO(0, "get", "instances", "-n", ns);
	CHECK_CONTAINS(out, "shop-db");
	/* a change of the parent's parameter reaches the child as an update */
	KUDO(0, "update", "--instance", "shop", "-n", ns, "-p", "dbSize=huge");
	CHECK_CM(ns, "shop-db-config", "size", "huge");
	c = record(ns, "shop-db", 0);
	if (CHECK(c))
		CHECK_INT(c->number, 2);
	kd_revision_free(c);
	/* uninstalling the parent uninstalls the child, in reverse apply order */
	KUDO(0, "uninstall", "--instance", "shop", "-n", ns);
	char own[256];
	snprintf(own, sizeof(own), "deleted ConfigMap %s/shop-own", ns);
	const char *o1 = strstr(kd_buf_cstr(&out), own), *o2 = strstr(kd_buf_cstr(&out), "child shop-db:");
	if (!CHECK(o1 && o2 && o1 < o2))
		fprintf(stderr, "%s\n", kd_buf_cstr(&out));
	CHECK(!exists(ns, "v1", "ConfigMap", "shop-db-config"));
	CHECK_INT(count_labelled(ns, "v1", "Secret", "kudoc.dev/record=revision"), 0);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_e2e_ns_drop(ns);
}

/* ---- Lua health hooks in plans ---------------------------------------------------------------- */

static bool step_message_has(void *arg)
{
	step_wait *w = arg;
	kd_revision *r = record(w->ns, w->instance, 1);
	const kd_step_status *s = step_of(r, w->phase, w->step);
	bool yes = s && s->h.message && strstr(s->h.message, "waiting for ConfigMap");
	kd_revision_free(r);
	return yes;
}

static void put_signal(const char *ns, const char *name, const char *value)
{
	kd_kube_client *c = kd_e2e_client(ns);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "apiVersion", "v1");
	cJSON_AddStringToObject(o, "kind", "ConfigMap");
	cJSON *md = cJSON_AddObjectToObject(o, "metadata");
	cJSON_AddStringToObject(md, "name", name);
	cJSON_AddStringToObject(md, "namespace", ns);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "data"), "go", value);
	kd_kube_apply_options ao = KD_KUBE_APPLY_OPTIONS_INIT;
	ao.field_manager = "the-test";
	CHECK_INT(kd_kube_apply(NULL, c, o, &ao), 0);
	cJSON_Delete(o);
	kd_kube_client_free(c);
}

/* The newest revision runs the watched plan, and its gate step's hook says it waits. */
static bool gate_waiting(void *arg)
{
	rec_ref *rr = arg;
	kd_revision *r = record(rr->ns, rr->instance, 0);
	const kd_step_status *s = r && r->plan && strcmp(r->plan, "watched") == 0 ? step_of(r, "main", "gate") : NULL;
	bool yes = s && s->h.message && strstr(s->h.message, "hooks/wait-gate.lua: gate h-gate is closed");
	kd_revision_free(r);
	return yes;
}

TEST(e2e_engine_health_hooks_decide_when_a_step_is_done)
{
	char *ns = kd_e2e_ns("kd-hooks");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	char *log = kd_e2e_tmp("hooks.log");
	const char *argv[] = {"install", kd_e2e_pkg("hooks"), "-n", ns, "--instance", "h", "--timeout", "2m", NULL};
	pid_t pid = kd_e2e_kudo_spawn(NULL, argv, log);
	/* the task's hook passed; the step's hook says what it waits for, in the record */
	step_wait w = {ns, "h", "main", "config", KD_EXEC_IN_PROGRESS};
	CHECK(kd_e2e_eventually(step_message_has, &w, 60));
	KUDO(0, "plan", "status", "--instance", "h", "-n", ns);
	CHECK_CONTAINS(out, "hooks/wait-signal.lua: waiting for ConfigMap h-signal");
	/* a wrong value: still waiting, with the new reason */
	put_signal(ns, "h-signal", "no");
	sleep(2);
	/* the right one: the step, and the plan, complete */
	put_signal(ns, "h-signal", "yes");
	CHECK_INT(kd_e2e_wait(pid, 60), 0);
	char *text = NULL;
	if (CHECK_INT(kd_file_read(&text, NULL, log, 0), 0)) {
		CHECK(strstr(text, "says go=no") != NULL);
		CHECK(strstr(text, "hooks/wait-signal.lua: signal h-signal arrived") != NULL); /* its log() */
	}
	free(text);
	kd_revision *r = record(ns, "h", 1);
	CHECK_INT(plan_state(r), KD_EXEC_COMPLETE);
	kd_revision_free(r);

	/* a hook raising an error fails its step, naming the script and line */
	KUDO(1, "plan", "trigger", "--instance", "h", "-n", ns, "--name", "raise");
	CHECK_CONTAINS(err, "hooks/raise.lua:2: the database is not there");
	r = record(ns, "h", 2);
	CHECK_INT(step_state(r, "main", "boom"), KD_EXEC_FATAL_ERROR);
	kd_revision_free(r);
	/* an endless loop is stopped by the instruction cap */
	KUDO(1, "plan", "trigger", "--instance", "h", "-n", ns, "--name", "spin");
	CHECK_CONTAINS(err, "hooks/spin.lua:");
	CHECK_CONTAINS(err, "instruction limit");
	/* A change of an object the step applied (its ConfigMap, labelled with the instance) wakes
	 * the step's hook: its interval (60s) is longer than the plan's timeout (30s), so the plan
	 * can complete only when the change wakes it. */
	char *wlog = kd_e2e_tmp("hooks-watched.log");
	const char *trig[] = {"plan", "trigger", "--instance", "h", "-n", ns, "--name", "watched", "--timeout", "30s", NULL};
	pid = kd_e2e_kudo_spawn(NULL, trig, wlog);
	rec_ref g = {ns, "h"};
	CHECK(kd_e2e_eventually(gate_waiting, &g, 25));
	put_signal(ns, "h-gate", "yes");
	CHECK_INT(kd_e2e_wait(pid, 60), 0);
	r = record(ns, "h", 0);
	if (CHECK(r != NULL)) {
		CHECK_STR(r->plan, "watched");
		CHECK_INT(plan_state(r), KD_EXEC_COMPLETE);
	}
	kd_revision_free(r);
	text = NULL;
	if (CHECK_INT(kd_file_read(&text, NULL, wlog, 0), 0))
		CHECK(strstr(text, "hooks/wait-gate.lua: gate h-gate opened") != NULL);
	free(text);
	free(wlog);

	/* a hook that is never healthy: its own timeout, with its last reason */
	KUDO(3, "plan", "trigger", "--instance", "h", "-n", ns, "--name", "never");
	CHECK_CONTAINS(err, "hooks/never.lua: not healthy after 3s: never healthy, by design");

	free(log);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_e2e_ns_drop(ns);
}

/* ---- verify leader: the lock the package declares (operator.yaml leaderElection) ---------------- */

typedef struct {
	const char *ns, *instance, *want; /* want: a line the report must hold */
	kd_buf out;
	int code;
} leader_wait;

/* `verify leader` without --lock says healthy and names the lock `want` says. */
static bool leader_healthy(void *arg)
{
	leader_wait *l = arg;
	const char *argv[] = {"verify", "leader", "--instance", l->instance, "-n", l->ns, NULL};
	kd_buf err = KD_BUF_INIT;
	kd_buf_clear(&l->out);
	l->code = kd_e2e_kudo(&l->out, &err, NULL, argv);
	kd_buf_put(&l->out, kd_buf_cstr(&err), err.len);
	kd_buf_free(&err);
	return l->code == 0 && strstr(kd_buf_cstr(&l->out), l->want) && strstr(kd_buf_cstr(&l->out), "ready pods:   2 of 2");
}

TEST(e2e_engine_verify_leader_finds_the_lock_the_package_declares)
{
	char *ns = kd_e2e_ns("kd-elect");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT, want = KD_BUF_INIT;
	/* the package's own parameter names (haLockName, ...), none of the Spark package's */
	KUDO(0, "install", kd_e2e_pkg("elect"), "-n", ns, "--instance", "ha");
	/* an empty haLockName: "<instance>" + the declared suffix, in the instance's namespace */
	kd_buf_printf(&want, "lock:         lease %s/ha-election\n", ns);
	leader_wait l = {ns, "ha", kd_buf_cstr(&want), KD_BUF_INIT, -1};
	if (!CHECK(kd_e2e_eventually(leader_healthy, &l, 60)))
		fprintf(stderr, "  verify leader (exit %d):\n%s\n", l.code, kd_buf_cstr(&l.out));
	CHECK_CONTAINS(l.out, "verdict:      healthy\n");
	CHECK_CONTAINS(l.out, "holder:       ha-op-");

	/* another name and kind through the parameters: verify leader follows them */
	KUDO(0, "update", "--instance", "ha", "-n", ns, "-p", "haLockName=custom-lock", "-p", "haLockKind=configmap");
	kd_buf_clear(&want);
	kd_buf_printf(&want, "lock:         configmap %s/custom-lock\n", ns);
	l.want = kd_buf_cstr(&want);
	if (!CHECK(kd_e2e_eventually(leader_healthy, &l, 60)))
		fprintf(stderr, "  verify leader (exit %d):\n%s\n", l.code, kd_buf_cstr(&l.out));

	/* leader election off: there is no lock to check, and verify leader says why */
	KUDO(0, "update", "--instance", "ha", "-n", ns, "-p", "haEnabled=false", "-p", "replicas=1");
	KUDO(1, "verify", "leader", "--instance", "ha", "-n", ns);
	CHECK_CONTAINS(err, "leader election is off (haEnabled is \"false\"); name the lock with --lock [NS/]NAME");
	kd_buf_free(&l.out);
	kd_buf_free(&want);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_e2e_ns_drop(ns);
}

/* ---- packages in the style of KUDO's community operators --------------------------------------- */

TEST(e2e_engine_community_style_packages_install_as_kudo_would)
{
	char *ns = kd_e2e_ns("kd-community");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	/* the classic first operator: no parameter given, defaults only */
	KUDO(0, "install", kd_e2e_pkg("community/first-operator"), "-n", ns);
	CHECK_JP(ns, "deployment/nginx-deployment", "{.status.readyReplicas}", "2");
	/* a ZooKeeper-style package: a StatefulSet with volume claims, headless and client
	 * Services, a policy/v1 PodDisruptionBudget, a validation Job after the main phase, an
	 * array parameter without a default (not required, as in KUDO) */
	KUDO(0, "install", kd_e2e_pkg("community/zk"), "-n", ns, "--instance", "zk", "-p", "NODE_COUNT=3");
	CHECK_JP(ns, "statefulset/zk", "{.status.readyReplicas}", "3");
	CHECK_JP(ns, "job/zk-validation", "{.status.succeeded}", "1");
	CHECK_JP(ns, "pvc/zk-datadir-zk-0", "{.status.phase}", "Bound");
	CHECK_CM(ns, "zk-bootstrap", "jvm", "");
	/* a parameter whose trigger is a plan that refuses the change (the package's own rule); as
	 * in KUDO the value stays set, so the way back is a rollback */
	KUDO(1, "update", "--instance", "zk", "-n", ns, "-p", "DISK_SIZE=10Gi");
	CHECK_CONTAINS(err, "step not-allowed/not-allowed failed");
	KUDO(0, "rollback", "--instance", "zk", "-n", ns);
	/* the Toggle turns the metrics Service on; only that parameter changed (an array parameter
	 * without a default stays Go's nil list through the records) */
	KUDO(0, "update", "--instance", "zk", "-n", ns, "-p", "METRICS_ENABLED=true");
	CHECK(exists(ns, "v1", "Service", "zk-metrics"));
	kd_revision *r = record(ns, "zk", 0);
	if (CHECK(r)) {
		CHECK_INT(cJSON_GetArraySize(r->changed), 1);
		CHECK_STR(cJSON_GetArrayItem(r->changed, 0)->valuestring, "METRICS_ENABLED");
	}
	kd_revision_free(r);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_e2e_ns_drop(ns);
}

/* ---- what a plan may hold, what is refused ------------------------------------------------------ */

/* A Pipe task is refused before anything is written: no record, no Lease, no object. */
TEST(e2e_engine_pipe_task_is_refused_before_any_write)
{
	char *ns = kd_e2e_ns("kd-pipe");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT, kout = KD_BUF_INIT;
	KUDO(1, "install", kd_e2e_pkg("pipe"), "-n", ns);
	CHECK_CONTAINS(err, "uses the Pipe task \"gen\": kudoc does not run Pipe tasks yet, so nothing was applied");
	const char *argv[] = {"get", "configmaps,secrets,leases,pods", "-n", ns, "-o", "name", NULL};
	CHECK_INT(kd_e2e_kubectl(&kout, argv), 0);
	CHECK_STR(kd_buf_cstr(&kout), "configmap/kube-root-ca.crt\n");
	kd_buf_free(&kout);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_e2e_ns_drop(ns);
}

/* One step holds a custom resource before its CRD, and a ConfigMap before the Namespace it goes
 * into: the CRD and the Namespace are applied (and the CRD established) first. */
TEST(e2e_engine_crds_and_namespaces_of_a_step_go_first)
{
	char *ns = kd_e2e_ns("kd-crdns");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT, group = KD_BUF_INIT, space = KD_BUF_INIT, crd = KD_BUF_INIT;
	kd_buf gp = KD_BUF_INIT, sp = KD_BUF_INIT, ko = KD_BUF_INIT;
	kd_buf_printf(&group, "%s.kudoc.test", ns); /* CRDs are cluster-wide: one group per run */
	kd_buf_printf(&space, "%s-space", ns);
	kd_buf_printf(&crd, "widgets.%s", kd_buf_cstr(&group));
	kd_buf_printf(&gp, "group=%s", kd_buf_cstr(&group));
	kd_buf_printf(&sp, "space=%s", kd_buf_cstr(&space));
	KUDO(0, "install", kd_e2e_pkg("crdns"), "-n", ns, "-p", kd_buf_cstr(&gp), "-p", kd_buf_cstr(&sp));
	CHECK_CONTAINS(out, "revision 1: plan deploy COMPLETE");
	kd_revision *r = record(ns, "crdns-instance", 1);
	CHECK_INT(plan_state(r), KD_EXEC_COMPLETE);
	kd_revision_free(r);
	CHECK(exists(NULL, "apiextensions.k8s.io/v1", "CustomResourceDefinition", kd_buf_cstr(&crd)));
	kd_buf av = KD_BUF_INIT;
	kd_buf_printf(&av, "%s/v1", kd_buf_cstr(&group));
	cJSON *w = get(ns, kd_buf_cstr(&av), "Widget", "crdns-instance-widget");
	CHECK((long)cJSON_GetNumberValue(kd_json_get(kd_json_get(w, "spec"), "size")) == 3);
	cJSON_Delete(w);
	CHECK(exists(NULL, "v1", "Namespace", kd_buf_cstr(&space)));
	CHECK_CM(kd_buf_cstr(&space), "crdns-instance-in-space", "where", kd_buf_cstr(&space));
	KUDO(0, "uninstall", "--instance", "crdns-instance", "-n", ns);
	/* CRDs stay after uninstall (as in KUDO); this test's own is removed here */
	const char *del[] = {"delete", "crd", kd_buf_cstr(&crd), "--ignore-not-found", "--wait=false", NULL};
	CHECK_INT(kd_e2e_kubectl(&ko, del), 0);
	const char *delns[] = {"delete", "namespace", kd_buf_cstr(&space), "--ignore-not-found", "--wait=false", NULL};
	CHECK_INT(kd_e2e_kubectl(&ko, delns), 0);
	kd_buf_free(&av);
	kd_buf_free(&ko);
	kd_buf_free(&gp);
	kd_buf_free(&sp);
	kd_buf_free(&group);
	kd_buf_free(&space);
	kd_buf_free(&crd);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_e2e_ns_drop(ns);
}

/* get instances -A lists two namespaces' instances; uninstall --keep-history deletes the objects but
 * leaves the revision records, which plan history still reads. */
TEST(e2e_engine_get_all_namespaces_and_uninstall_keep_history)
{
	char *ns1 = kd_e2e_ns("kd-ga"), *ns2 = kd_e2e_ns("kd-gb");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	KUDO(0, "install", kd_e2e_pkg("app-0.1.0"), "-n", ns1, "--instance", "one", "-p", "replicas=1");
	KUDO(0, "install", kd_e2e_pkg("app-0.1.0"), "-n", ns2, "--instance", "two", "-p", "replicas=1");
	KUDO(0, "update", "--instance", "two", "-n", ns2, "-p", "greeting=again");
	KUDO(0, "get", "instances", "-A");
	const char *lines[][2] = {{ns1, "one"}, {ns2, "two"}};
	for (int i = 0; i < 2; i++) {
		/* one line per instance: its namespace, then its name */
		const char *at = strstr(kd_buf_cstr(&out), lines[i][0]);
		if (CHECK(at)) {
			const char *eol = strchr(at, '\n');
			const char *name = strstr(at, lines[i][1]);
			CHECK(name && (!eol || name < eol));
		}
	}
	KUDO(0, "get", "instances", "-n", ns1);
	CHECK(!contains(&out, ns2));

	KUDO(0, "uninstall", "--instance", "two", "-n", ns2, "--keep-history");
	CHECK_CONTAINS(out, "uninstalled (history kept)");
	CHECK(!exists(ns2, "v1", "ConfigMap", "two-config"));
	CHECK(!exists(ns2, "apps/v1", "Deployment", "two-web"));
	CHECK_INT(count_labelled(ns2, "v1", "Secret", "kudoc.dev/instance=two,kudoc.dev/record=revision"), 2);
	KUDO(0, "plan", "history", "--instance", "two", "-n", ns2);
	CHECK_CONTAINS(out, "install");
	CHECK_CONTAINS(out, "greeting");
	/* the records say it was uninstalled (as Helm marks such a release): commands that need its
	 * objects refuse, rollback restores it, install starts it again with the history kept */
	KUDO(0, "get", "instances", "-n", ns2);
	CHECK_CONTAINS(out, "UNINSTALLED");
	KUDO(0, "plan", "status", "--instance", "two", "-n", ns2);
	CHECK_CONTAINS(out, "was uninstalled at ");
	KUDO(1, "update", "--instance", "two", "-n", ns2, "-p", "greeting=nope");
	CHECK_CONTAINS(err, "was uninstalled with --keep-history (revision 2): install it again, or roll back");
	CHECK(!exists(ns2, "v1", "ConfigMap", "two-config"));
	KUDO(1, "plan", "resume", "--instance", "two", "-n", ns2);
	CHECK_CONTAINS(err, "was uninstalled with --keep-history");
	KUDO(0, "rollback", "--instance", "two", "-n", ns2);
	CHECK_CM(ns2, "two-config", "greeting", "again");
	kd_revision *r = record(ns2, "two", 0);
	if (CHECK(r)) {
		CHECK_INT(r->number, 3);
		CHECK_INT(r->rollback_of, 2);
		CHECK(r->uninstalled_us == 0);
	}
	kd_revision_free(r);
	KUDO(0, "uninstall", "--instance", "two", "-n", ns2, "--keep-history");
	KUDO(0, "install", kd_e2e_pkg("app-0.1.0"), "-n", ns2, "--instance", "two", "-p", "greeting=fresh");
	CHECK_CM(ns2, "two-config", "greeting", "fresh");
	r = record(ns2, "two", 0);
	if (CHECK(r)) {
		CHECK_INT(r->number, 4);
		CHECK_STR(r->operation, "install");
	}
	kd_revision_free(r);
	KUDO(0, "get", "instances", "-n", ns2);
	CHECK(!contains(&out, "UNINSTALLED"));
	/* the other namespace's instance is untouched */
	CHECK(exists(ns1, "v1", "ConfigMap", "one-config"));
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_e2e_ns_drop(ns1);
	kd_e2e_ns_drop(ns2);
}
