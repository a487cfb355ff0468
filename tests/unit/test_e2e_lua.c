/* End-to-end tests of lua/ and `verify leader` against testenv (KUDOC_E2E=1): hooks run the way
 * the plan engine will run them (kd_lua_hook_run in a loop) against real objects; `verify
 * leader` is the built binary against testenv's leader-election simulator. Each test works in
 * its own namespace and deletes it at the end. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../base/base.h"
#include "../../base/json.h"
#include "../../base/yaml.h"
#include "../../kube/kube.h"
#include "../../lua/lua.h"
#include "test.h"

static cJSON *yaml_obj(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static cJSON *yaml_obj(const char *fmt, ...)
{
	kd_buf b = KD_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	kd_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	cJSON *o = NULL;
	if (kd_yaml_parse_one(&o, NULL, "test.yaml", kd_buf_cstr(&b), b.len))
		fprintf(stderr, "  bad test YAML: %s\n", kd_error_last());
	kd_buf_free(&b);
	return o;
}

static kd_kube_client *admin(void)
{
	kd_kube_config_options co = KD_KUBE_CONFIG_OPTIONS_INIT;
	kd_kube_client_options o = KD_KUBE_CLIENT_OPTIONS_INIT;
	kd_kube_config *cfg = NULL;
	kd_kube_client *c = NULL;
	co.kubeconfig = kd_test_kubeconfig();
	o.discovery_ttl_s = -1;
	if (kd_kube_config_load(&cfg, &co) == 0)
		kd_kube_client_new(&c, cfg, &o);
	kd_kube_config_free(cfg);
	return c;
}

static void apply(kd_kube_client *c, cJSON *obj)
{
	CHECK_INT(kd_kube_apply(NULL, c, obj, NULL), 0);
	cJSON_Delete(obj);
}

static char *make_ns(kd_kube_client *c, const char *prefix)
{
	static int seq;
	kd_buf b = KD_BUF_INIT;
	kd_buf_printf(&b, "kd-e2e-%s-%d-%d", prefix, (int)getpid() % 100000, ++seq);
	apply(c, yaml_obj("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n", kd_buf_cstr(&b)));
	return kd_buf_detach(&b);
}

static void drop_ns(kd_kube_client *c, char *ns)
{
	kd_kube_ref r = {"v1", "Namespace", NULL, ns, NULL};
	kd_kube_delete_options o = KD_KUBE_DELETE_OPTIONS_INIT;
	o.propagation_policy = "Background";
	if (c)
		kd_kube_delete(c, &r, &o);
	free(ns);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static bool has(const char *hay, const char *needle)
{
	bool ok = hay && strstr(hay, needle) != NULL;
	if (!ok)
		fprintf(stderr, "    (\"%s\" not in: %s)\n", needle, hay ? hay : "NULL");
	return ok;
}

/* ---------------------------------------------------------------------------------------------
 * Hooks */

static kd_lua_hook_options opts_for(kd_kube_client *c, const char *ns)
{
	kd_lua_hook_options o = KD_LUA_HOOK_OPTIONS_INIT;
	o.client = c;
	o.instance = "web";
	o.namespace_ = ns;
	o.plan = "deploy";
	o.phase = "main";
	o.step = "app";
	o.revision = 1;
	return o;
}

static const char wait_key_hook[] =
	"local cm = kube.get('v1', 'ConfigMap', 'web-flags')\n"
	"if not cm then\n"
	"  return false, 'configmap web-flags does not exist yet'\n"
	"end\n"
	"local v = (cm.data or {}).ready\n"
	"if v ~= 'yes' then\n"
	"  return false, string.format('web-flags: ready is %s, want yes', tostring(v))\n"
	"end\n"
	"return true\n";

/* The engine's loop: run, and on "waiting" run again after the interval; the test writes the
 * key the hook waits for in the middle. */
typedef struct {
	kd_kube_client *c;
	const char *ns;
	int pauses;
	kd_buf reasons;
} key_writer;

/* The engine's pause: here it writes the key the hook waits for on the second pause. */
static int write_key_on_pause(void *payload, long ms)
{
	key_writer *k = payload;
	(void)ms;
	if (++k->pauses == 2)
		apply(k->c, yaml_obj("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-flags, namespace: %s}\n"
				     "data: {ready: \"yes\"}\n",
			k->ns));
	return 0;
}

static void note_reason(void *payload, const char *reason)
{
	kd_buf_printf(&((key_writer *)payload)->reasons, "%s\n", reason);
}

TEST(e2e_lua_hook_waits_for_configmap_key)
{
	kd_kube_client *c = admin();
	if (!CHECK(c != NULL))
		return;
	char *ns = make_ns(c, "luawait");
	kd_lua_hook_options o = opts_for(c, ns);
	const char *seen[8] = {NULL};
	char *reasons[8] = {NULL};
	bool healthy = false;
	int runs = 0;
	for (runs = 0; runs < 8 && !healthy; runs++) {
		char *reason = NULL;
		int rc = kd_lua_hook_run(&healthy, &reason, "hooks/web-ready.lua", wait_key_hook, sizeof wait_key_hook - 1, &o);
		if (!CHECK_INT(rc, 0))
			break;
		reasons[runs] = reason;
		seen[runs] = reason ? reason : "healthy";
		if (runs == 1)
			apply(c, yaml_obj("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-flags, namespace: %s}\n"
					  "data: {ready: \"no\"}\n",
				ns));
		if (runs == 2)
			apply(c, yaml_obj("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-flags, namespace: %s}\n"
					  "data: {ready: \"yes\"}\n",
				ns));
		if (!healthy)
			sleep_ms(100);
	}
	CHECK(healthy);
	CHECK_INT(runs, 4);
	CHECK_STR(seen[0], "configmap web-flags does not exist yet");
	CHECK_STR(seen[1], "configmap web-flags does not exist yet");
	CHECK_STR(seen[2], "web-flags: ready is no, want yes");
	CHECK_STR(seen[3], "healthy");
	for (int i = 0; i < 8; i++)
		free(reasons[i]);

	/* the same through kd_lua_hook_wait, the loop the plan engine calls */
	kd_kube_ref cm = {"v1", "ConfigMap", ns, "web-flags", NULL};
	CHECK_INT(kd_kube_delete(c, &cm, NULL), 0);
	key_writer k = {c, ns, 0, KD_BUF_INIT};
	kd_lua_wait_options wo = {o, 60000, 100, note_reason, write_key_on_pause, &k};
	char *last = NULL;
	CHECK_INT(kd_lua_hook_wait(&last, "hooks/web-ready.lua", wait_key_hook, sizeof wait_key_hook - 1, &wo), 0);
	CHECK_INT(k.pauses, 2);
	CHECK_STR(kd_buf_cstr(&k.reasons), "configmap web-flags does not exist yet\n");
	CHECK_STR(last, "configmap web-flags does not exist yet");
	free(last);
	kd_buf_free(&k.reasons);
	drop_ns(c, ns);
	kd_kube_client_free(c);
}

TEST(e2e_lua_hook_verdicts_errors_and_caps)
{
	kd_kube_client *c = admin();
	if (!CHECK(c != NULL))
		return;
	char *ns = make_ns(c, "luaverdict");
	kd_lua_hook_options o = opts_for(c, ns);
	apply(c, yaml_obj("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: %s}\n"
			  "spec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n"
			  "  template:\n    metadata:\n      labels: {app: web}\n"
			  "      annotations: {testenv.kudoc.dev/never-ready: \"true\"}\n"
			  "    spec:\n      containers: [{name: web, image: example.com/web:1}]\n",
		ns));
	bool healthy = true;
	char *reason = NULL;
	/* false with a reason built from kudoc's readiness (it names the pod that holds it back) */
	static const char ready_hook[] =
		"local d = kube.get('apps/v1', 'Deployment', 'web')\n"
		"local r = kube.ready(d)\n"
		"if not r.ready then return false, 'web: ' .. r.reason end\n"
		"return true\n";
	int rc = KD_ERROR;
	for (int i = 0; i < 50; i++) {
		free(reason);
		reason = NULL;
		rc = kd_lua_hook_run(&healthy, &reason, "hooks/ready.lua", ready_hook, sizeof ready_hook - 1, &o);
		if (rc || healthy || (reason && strstr(reason, "not ready")))
			break;
		sleep_ms(200); /* until the controller made the pod */
	}
	CHECK_INT(rc, 0);
	CHECK(!healthy);
	CHECK(has(reason, "web: 0/1 replicas "));
	CHECK(has(reason, "; pod web-"));
	CHECK(has(reason, "not ready"));
	free(reason);
	reason = NULL;
	/* the pods of a workload */
	cJSON *out = NULL;
	static const char pods_chunk[] = "local p = kube.pods(kube.get('apps/v1', 'Deployment', 'web')) return #p, p[1].metadata.labels.app";
	CHECK_INT(kd_lua_eval(&out, "hooks/pods.lua", pods_chunk, sizeof pods_chunk - 1, NULL, &o), 0);
	char *js = cJSON_PrintUnformatted(out);
	CHECK_STR(js, "[1,\"web\"]");
	free(js);
	cJSON_Delete(out);
	/* an error fails the step with file:line and a traceback */
	static const char error_hook[] = "local d = kube.get('apps/v1', 'Deployment', 'web')\n"
					 "local function check(x)\n"
					 "  error('web has ' .. x.spec.replicas .. ' replica, the package needs 3')\n"
					 "end\n"
					 "check(d)\n";
	CHECK_INT(kd_lua_hook_run(&healthy, &reason, "hooks/error.lua", error_hook, sizeof error_hook - 1, &o), KD_ERROR);
	CHECK(has(kd_error_last(), "hooks/error.lua:3: web has 1 replica, the package needs 3\nstack traceback:"));
	CHECK(has(kd_error_last(), "hooks/error.lua:5: in main chunk"));
	CHECK(reason == NULL);
	/* a kind the server does not have is an error, a missing object is nil */
	static const char kinds[] = "local ok, e = pcall(kube.get, 'example.com/v1', 'Widget', 'w')\n"
				    "return ok, e, kube.get('v1', 'ConfigMap', 'nope') == nil\n";
	CHECK_INT(kd_lua_eval(&out, "hooks/kinds.lua", kinds, sizeof kinds - 1, NULL, &o), 0);
	js = cJSON_PrintUnformatted(out);
	CHECK(has(js, "[false,\"kube.get: "));
	CHECK(has(js, "\",true]"));
	free(js);
	cJSON_Delete(out);
	/* an infinite loop that keeps calling the cluster: stopped by the wall clock */
	kd_lua_hook_options capped = o;
	capped.instr_limit = (long long)1 << 50;
	capped.wall_ms = 1500;
	static const char loop_hook[] = "local n = 0\nwhile true do\n  n = n + #kube.list('v1', 'ConfigMap')\nend\n";
	CHECK_INT(kd_lua_hook_run(&healthy, &reason, "hooks/loop.lua", loop_hook, sizeof loop_hook - 1, &capped), KD_ELIMIT);
	CHECK(has(kd_error_last(), "hooks/loop.lua:3: stopped: time limit reached (1.5s of wall-clock time)"));
	/* and by the instruction cap with the default wall clock */
	capped = o;
	capped.instr_limit = 20000;
	CHECK_INT(kd_lua_hook_run(&healthy, &reason, "hooks/loop.lua", loop_hook, sizeof loop_hook - 1, &capped), KD_ELIMIT);
	CHECK(has(kd_error_last(), "hooks/loop.lua:3: stopped: instruction limit reached (20000 instructions)"));
	/* an unbounded allocation fed by the cluster: stopped by the memory cap */
	kd_buf big = KD_BUF_INIT;
	for (int i = 0; i < 4000; i++)
		kd_buf_puts(&big, "0123456789abcdef0123456789abcdef0123456789abcdef");
	apply(c, yaml_obj("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big, namespace: %s}\ndata: {blob: %s}\n", ns,
		kd_buf_cstr(&big)));
	kd_buf_free(&big);
	capped = o;
	capped.mem_limit = (size_t)8 << 20;
	static const char grow_hook[] = "local all = {}\nwhile true do\n  all[#all + 1] = kube.list('v1', 'ConfigMap')\nend\n";
	CHECK_INT(kd_lua_hook_run(&healthy, &reason, "hooks/grow.lua", grow_hook, sizeof grow_hook - 1, &capped), KD_ELIMIT);
	CHECK(has(kd_error_last(), "hooks/grow.lua:3: stopped: memory limit reached (8 MiB)"));
	CHECK(reason == NULL);
	drop_ns(c, ns);
	kd_kube_client_free(c);
}

static void collect_log(void *payload, const char *line)
{
	kd_buf_printf(payload, "%s\n", line);
}

TEST(e2e_lua_secret_values_never_reach_a_hook)
{
	kd_kube_client *c = admin();
	if (!CHECK(c != NULL))
		return;
	char *ns = make_ns(c, "luasecret");
	/* values in data, stringData, and kubectl's last-applied copy of the whole object */
	apply(c, yaml_obj("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: %s\n"
			  "  labels: {app: db}\n"
			  "  annotations:\n"
			  "    kubectl.kubernetes.io/last-applied-configuration: '{\"data\":{\"password\":\"aHVudGVyMg==\"}}'\n"
			  "    note: visible\n"
			  "type: Opaque\ndata: {password: aHVudGVyMg==}\nstringData: {token: s3cr3t-t0ken}\n",
		ns));
	kd_buf logs = KD_BUF_INIT;
	kd_lua_hook_options o = opts_for(c, ns);
	o.log = collect_log;
	o.log_payload = &logs;
	static const char chunk[] =
		"local s = kube.get('v1', 'Secret', 'db')\n"
		"local l = kube.list('v1', 'Secret', {labels = {app = 'db'}})\n"
		"log('%s', json.encode(s)) print(json.encode(l))\n"
		"return s, l, s.data == nil, s.stringData == nil\n";
	cJSON *out = NULL;
	CHECK_INT(kd_lua_eval(&out, "hooks/secret.lua", chunk, sizeof chunk - 1, NULL, &o), 0);
	char *js = cJSON_PrintUnformatted(out);
	/* (managedFields keep the names of fields, "f:kubectl.kubernetes.io/last-applied-configuration";
	 * the annotation itself must be gone) */
	const char *forbidden[] = {"aHVudGVyMg", "hunter2", "s3cr3t-t0ken", "\"kubectl.kubernetes.io/last-applied-configuration\""};
	for (size_t i = 0; i < KD_ARRAY_SIZE(forbidden); i++) {
		if (!CHECK(js && strstr(js, forbidden[i]) == NULL))
			fprintf(stderr, "    %s in %s\n", forbidden[i], js);
		CHECK(strstr(kd_buf_cstr(&logs), forbidden[i]) == NULL);
	}
	const cJSON *s = cJSON_GetArrayItem(out, 0), *l = cJSON_GetArrayItem(out, 1);
	char *keys = cJSON_PrintUnformatted(kd_json_get(s, "keys"));
	CHECK_STR(keys, "[\"password\",\"token\"]");
	free(keys);
	CHECK_STR(kd_json_get_str(s, "type"), "Opaque");
	CHECK_STR(kd_json_get_str(kd_json_path(s, "metadata", "annotations", NULL), "note"), "visible");
	CHECK_INT(cJSON_GetArraySize(l), 1);
	keys = cJSON_PrintUnformatted(kd_json_get(cJSON_GetArrayItem(l, 0), "keys"));
	CHECK_STR(keys, "[\"password\",\"token\"]");
	free(keys);
	CHECK(cJSON_IsTrue(cJSON_GetArrayItem(out, 2)));
	CHECK(cJSON_IsTrue(cJSON_GetArrayItem(out, 3)));
	CHECK(has(kd_buf_cstr(&logs), "\"keys\":[\"password\",\"token\"]"));
	free(js);
	cJSON_Delete(out);
	kd_buf_free(&logs);
	drop_ns(c, ns);
	kd_kube_client_free(c);
}

/* ---------------------------------------------------------------------------------------------
 * verify leader (the binary) against the leader-election simulator */

/* Runs the binary with `args` (our own constants) against the test cluster; stdout and stderr
 * together in `out`. */
static int run_kudo(kd_buf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int run_kudo(kd_buf *out, const char *fmt, ...)
{
	kd_buf cmd = KD_BUF_INIT;
	va_list ap;
	kd_buf_clear(out);
	kd_buf_printf(&cmd, "'%s' ", kd_test_exe());
	va_start(ap, fmt);
	kd_buf_vprintf(&cmd, fmt, ap);
	va_end(ap);
	kd_buf_printf(&cmd, " --kubeconfig '%s' 2>&1", kd_test_kubeconfig());
	FILE *p = popen(kd_buf_cstr(&cmd), "r");
	char chunk[4096];
	size_t n;
	while (p && (n = fread(chunk, 1, sizeof chunk, p)) > 0)
		kd_buf_put(out, chunk, n);
	int st = p ? pclose(p) : -1;
	kd_buf_free(&cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* An operator Deployment of `replicas` pods of instance `instance` electing a leader on `lock`. */
static void operator_deployment(kd_kube_client *c, const char *ns, const char *instance, int replicas, const char *lock,
	const char *kind)
{
	apply(c, yaml_obj("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: %s-op, namespace: %s}\n"
			  "spec:\n  replicas: %d\n  selector: {matchLabels: {app: %s-op}}\n"
			  "  template:\n    metadata:\n      labels: {app: %s-op, kudoc.dev/instance: %s}\n"
			  "    spec:\n      containers:\n      - name: operator\n        image: example.com/op:1\n"
			  "        args: [-leader-election=true, -leader-election-lock-name=%s, -leader-election-lock-namespace=%s,"
			  " -leader-election-lock-kind=%s, -leader-election-lease-duration=4s, -leader-election-renew-deadline=3s,"
			  " -leader-election-retry-period=1s]\n",
		instance, ns, replicas, instance, instance, instance, lock, ns, kind));
}

/* Runs `verify leader` until it says healthy (the pods start and elect); returns its exit code. */
static int until_healthy(kd_buf *out, const char *ns, const char *instance, const char *lock, const char *kind)
{
	int code = -1;
	for (int i = 0; i < 120; i++) {
		code = run_kudo(out, "verify leader --instance %s -n %s --lock %s/%s --kind %s", instance, ns, ns, lock, kind);
		if (code == 0 && strstr(kd_buf_cstr(out), "ready pods:   2 of 2"))
			break;
		sleep_ms(500);
	}
	return code;
}

/* The value of "label:" in the report. */
static char *field(const char *report, const char *label)
{
	const char *p = strstr(report, label);
	if (!p)
		return kd_strdup("");
	p += strlen(label);
	while (*p == ' ')
		p++;
	return kd_strndup(p, strcspn(p, "\n"));
}

static void verify_leader_case(const char *kind)
{
	kd_kube_client *c = admin();
	if (!CHECK(c != NULL))
		return;
	char prefix[32];
	snprintf(prefix, sizeof prefix, "leader-%s", kind);
	char *ns = make_ns(c, prefix);
	kd_buf out = KD_BUF_INIT;
	operator_deployment(c, ns, "spark", 2, "spark-lock", kind);
	CHECK_INT(until_healthy(&out, ns, "spark", "spark-lock", kind), 0);
	const char *r = kd_buf_cstr(&out);
	char want[160];
	snprintf(want, sizeof want, "lock:         %s %s/spark-lock\n", kind, ns);
	CHECK(has(r, want));
	char *holder = field(r, "holder:"), *pod = field(r, "pod:");
	CHECK(strncmp(holder, "spark-op-", 9) == 0);
	snprintf(want, sizeof want, "%s (Ready)", holder);
	CHECK_STR(pod, want);
	CHECK(has(r, "node:         testenv-node\n"));
	CHECK(has(r, "lease:        4s\n"));
	CHECK(has(r, "acquired:     20"));
	CHECK(has(r, "renewed:      20"));
	CHECK(has(r, "transitions:  "));
	CHECK(has(r, "verdict:      healthy\n"));

	/* the same check as a hook, through the library */
	kd_lua_hook_options o = opts_for(c, ns);
	o.instance = "spark";
	bool healthy = false;
	char *reason = NULL;
	char hook[256];
	snprintf(hook, sizeof hook, "return kudoc.lib('leader').check{lock = 'spark-lock', kind = '%s'}", kind);
	CHECK_INT(kd_lua_hook_run(&healthy, &reason, "hooks/leader.lua", hook, strlen(hook), &o), 0);
	CHECK(healthy);
	free(reason);

	/* failover: the holder's pod goes, another takes over, the Deployment replaces the pod */
	int code = run_kudo(&out, "verify leader --instance spark -n %s --lock %s/spark-lock --kind %s --failover --timeout 90s",
		ns, ns, kind);
	r = kd_buf_cstr(&out);
	CHECK_INT(code, 0);
	char *old = field(r, "holder:");
	snprintf(want, sizeof want, "failover:     deleting holder pod %s\n", old);
	CHECK(has(r, want));
	char *took = field(r, "takeover:");
	CHECK(has(took, " after the delete: new holder spark-op-"));
	CHECK(has(took, " (Ready)"));
	CHECK(strstr(took, old) == NULL);
	CHECK(has(r, "recovered:    "));
	CHECK(has(r, "after the delete: healthy, 2 of 2 pods Ready\n"));
	fprintf(stderr, "  (%s failover: %s)\n", kind, took);
	free(took);
	free(old);
	free(holder);
	free(pod);

	/* a lock held by a pod of another instance */
	apply(c, yaml_obj("apiVersion: v1\nkind: Pod\nmetadata:\n  name: intruder\n  namespace: %s\n"
			  "  labels: {kudoc.dev/instance: other}\n"
			  "spec:\n  containers:\n  - name: operator\n    image: example.com/op:1\n"
			  "    args: [-leader-election=true, -leader-election-lock-name=shared-lock, -leader-election-lock-kind=%s]\n",
		ns, kind));
	for (int i = 0; i < 120; i++) {
		code = run_kudo(&out, "verify leader --instance other -n %s --lock shared-lock --kind %s", ns, kind);
		if (code == 0)
			break;
		sleep_ms(500);
	}
	CHECK_INT(code, 0); /* the intruder leads its own instance */
	code = run_kudo(&out, "verify leader --instance spark -n %s --lock shared-lock --kind %s", ns, kind);
	CHECK_INT(code, 1);
	r = kd_buf_cstr(&out);
	CHECK(has(r, "holder:       intruder\n"));
	CHECK(has(r, "pod:          not a pod of this instance\n"));
	CHECK(has(r, "verdict:      not healthy: holder intruder is not a pod of this instance\n"));
	/* and there is nothing of ours to fail over */
	code = run_kudo(&out, "verify leader --instance spark -n %s --lock shared-lock --kind %s --failover", ns, kind);
	CHECK_INT(code, 1);
	CHECK(has(kd_buf_cstr(&out), "failover:     refused: the lock's holder is not a pod of this instance"));
	/* one Ready pod is not enough for a failover */
	code = run_kudo(&out, "verify leader --instance other -n %s --lock shared-lock --kind %s --failover", ns, kind);
	CHECK_INT(code, 1);
	CHECK(has(kd_buf_cstr(&out), "failover:     refused: it needs at least two Ready pods of the instance, and 1 is Ready"));
	/* a lock that does not exist */
	code = run_kudo(&out, "verify leader --instance spark -n %s --lock no-such-lock --kind %s", ns, kind);
	CHECK_INT(code, 1);
	snprintf(want, sizeof want, "verdict:      not healthy: no leader record in %s %s/no-such-lock\n", kind, ns);
	CHECK(has(kd_buf_cstr(&out), want));
	kd_buf_free(&out);
	drop_ns(c, ns);
	kd_kube_client_free(c);
}

TEST(e2e_lua_verify_leader_configmap)
{
	verify_leader_case("configmap");
}

TEST(e2e_lua_verify_leader_lease)
{
	verify_leader_case("lease");
}
