/* End-to-end tests of kube/ against testenv's real control plane. Run only with KUDOC_E2E=1 and
 * KUDOC_E2E_KUBECONFIG set (KUDOC_TESTENV_BIN for the fault proxy). Each test works in its own
 * namespace and deletes it at the end. */
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../base/base.h"
#include "../../base/json.h"
#include "../../base/yaml.h"
#include "../../kube/kube.h"
#include "test.h"

extern char **environ;

static char *epath(const char *name)
{
	kd_buf b = KD_BUF_INIT;
	kd_buf_printf(&b, "%s/%s", kd_test_tmpdir(), name);
	return kd_buf_detach(&b);
}

/* The testenv state folder: the kubeconfig's folder (pki/, admin-token). */
static char *testenv_dir(void)
{
	const char *kc = kd_test_kubeconfig();
	const char *slash = strrchr(kc, '/');
	return slash ? kd_strndup(kc, (size_t)(slash - kc)) : kd_strdup(".");
}

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

static kd_kube_client *client_for(const char *kubeconfig, const char *context, kd_kube_client_options *o)
{
	kd_kube_config_options co = KD_KUBE_CONFIG_OPTIONS_INIT;
	kd_kube_config *cfg = NULL;
	kd_kube_client *c = NULL;
	kd_kube_client_options def = KD_KUBE_CLIENT_OPTIONS_INIT;
	co.kubeconfig = kubeconfig;
	co.context = context;
	if (!o) {
		o = &def;
		o->discovery_ttl_s = -1;
	}
	if (kd_kube_config_load(&cfg, &co) == 0)
		kd_kube_client_new(&c, cfg, o);
	kd_kube_config_free(cfg);
	return c;
}

static kd_kube_client *admin(void)
{
	return client_for(kd_test_kubeconfig(), NULL, NULL);
}

static char *make_ns(kd_kube_client *c, const char *prefix)
{
	static int seq;
	kd_buf b = KD_BUF_INIT;
	kd_buf_printf(&b, "kd-e2e-%s-%d-%d", prefix, (int)getpid() % 100000, ++seq);
	cJSON *ns = yaml_obj("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n", kd_buf_cstr(&b));
	CHECK_INT(kd_kube_apply(NULL, c, ns, NULL), 0);
	cJSON_Delete(ns);
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

/* A quick authenticated request: list namespaces. */
static int can_list(kd_kube_client *c)
{
	cJSON *l = NULL;
	kd_kube_ref r = {"v1", "Namespace", NULL, NULL, NULL};
	kd_kube_list_options o = KD_KUBE_LIST_OPTIONS_INIT;
	int rc = kd_kube_list(&l, c, &r, &o);
	if (!rc && cJSON_GetArraySize(kd_json_get(l, "items")) < 1)
		rc = KD_ERROR;
	cJSON_Delete(l);
	return rc;
}

/* ---------------------------------------------------------------------------------------------
 * kubeconfig variants */

TEST(e2e_kube_kubeconfig_cert_data)
{
	kd_kube_client *c = client_for(kd_test_kubeconfig(), "testenv", NULL);
	CHECK(c != NULL);
	if (c)
		CHECK_INT(can_list(c), 0);
	kd_kube_client_free(c);
}

typedef struct {
	kd_buf lines;
} logs;

static void logline(void *p, const char *line)
{
	kd_buf_printf(&((logs *)p)->lines, "%s\n", line);
}

static char *admin_token(void)
{
	char *dir = testenv_dir(), *tok = NULL;
	size_t n = 0;
	kd_buf p = KD_BUF_INIT;
	kd_buf_printf(&p, "%s/admin-token", dir);
	if (kd_file_read(&tok, &n, kd_buf_cstr(&p), 0) == 0)
		while (n && tok[n - 1] == '\n')
			tok[--n] = '\0';
	kd_buf_free(&p);
	free(dir);
	return tok;
}

TEST(e2e_kube_kubeconfig_token)
{
	logs lg = {KD_BUF_INIT};
	kd_kube_client_options o = KD_KUBE_CLIENT_OPTIONS_INIT;
	o.verbosity = 10;
	o.log = logline;
	o.log_payload = &lg;
	o.discovery_ttl_s = -1;
	kd_kube_client *c = client_for(kd_test_kubeconfig(), "testenv-token", &o);
	CHECK(c != NULL);
	if (c) {
		CHECK_INT(can_list(c), 0);
		cJSON *obj = NULL;
		kd_kube_ref r = {"v1", "ConfigMap", "default", "kd-e2e-does-not-exist", NULL};
		CHECK_INT(kd_kube_get(&obj, c, &r), KD_ENOTFOUND);
		CHECK(strstr(kd_error_last(), "\"kd-e2e-does-not-exist\" not found") != NULL);
		char *tok = admin_token();
		CHECK(tok && *tok);
		/* -v shows method, URL, status, time; never the token */
		CHECK(strstr(kd_buf_cstr(&lg.lines), "GET https://127.0.0.1:") != NULL);
		CHECK(strstr(kd_buf_cstr(&lg.lines), " 404 in ") != NULL);
		CHECK(strstr(kd_buf_cstr(&lg.lines), "(HTTP/2)") != NULL); /* the apiserver offers h2 */
		fprintf(stderr, "  (-v log:\n%s  )\n", kd_buf_cstr(&lg.lines));
		if (tok && *tok) {
			CHECK(strstr(kd_buf_cstr(&lg.lines), tok) == NULL);
			CHECK(strstr(kd_error_last(), tok) == NULL);
		}
		free(tok);
	}
	kd_kube_client_free(c);
	kd_buf_free(&lg.lines);
}

static int copy_file(const char *from, const char *to)
{
	char *t = NULL;
	size_t n;
	int rc = kd_file_read(&t, &n, from, 0);
	if (!rc)
		kd_test_write_file(to, t, 0600);
	free(t);
	return rc;
}

static const char *server_of(void)
{
	static char server[256];
	kd_kube_config *cfg = NULL;
	kd_kube_config_options co = KD_KUBE_CONFIG_OPTIONS_INIT;
	co.kubeconfig = kd_test_kubeconfig();
	if (kd_kube_config_load(&cfg, &co) == 0) {
		snprintf(server, sizeof(server), "%s", kd_kube_config_server(cfg));
		kd_kube_config_free(cfg);
	}
	return server;
}

TEST(e2e_kube_kubeconfig_cert_files)
{
	char *dir = testenv_dir();
	char *sub = epath("files"), *certs = epath("files/certs");
	mkdir(sub, 0700);
	mkdir(certs, 0700);
	const char *names[] = {"ca.crt", "admin.crt", "admin.key"};
	for (size_t i = 0; i < 3; i++) {
		kd_buf f = KD_BUF_INIT, t = KD_BUF_INIT;
		kd_buf_printf(&f, "%s/pki/%s", dir, names[i]);
		kd_buf_printf(&t, "%s/%s", certs, names[i]);
		CHECK_INT(copy_file(kd_buf_cstr(&f), kd_buf_cstr(&t)), 0);
		kd_buf_free(&f);
		kd_buf_free(&t);
	}
	kd_buf kc = KD_BUF_INIT;
	kd_buf_printf(&kc,
		"apiVersion: v1\nkind: Config\ncurrent-context: files\n"
		"clusters:\n- name: c\n  cluster:\n    server: %s\n    certificate-authority: certs/ca.crt\n"
		"users:\n- name: u\n  user:\n    client-certificate: certs/admin.crt\n    client-key: ./certs/admin.key\n"
		"contexts:\n- name: files\n  context: {cluster: c, user: u, namespace: kube-system}\n",
		server_of());
	char *kcp = epath("files/kubeconfig");
	kd_test_write_file(kcp, kd_buf_cstr(&kc), 0600);
	/* from another working directory: paths resolve against the kubeconfig's folder */
	kd_kube_client *c = client_for(kcp, NULL, NULL);
	CHECK(c != NULL);
	if (c) {
		CHECK_STR(kd_kube_client_namespace(c), "kube-system");
		CHECK_INT(can_list(c), 0);
	}
	kd_kube_client_free(c);
	free(kcp);
	kd_buf_free(&kc);
	free(sub);
	free(certs);
	free(dir);
}

TEST(e2e_kube_kubeconfig_exec_plugin)
{
	char *tok = admin_token();
	char *script = epath("exec-cred.sh"), *count = epath("exec-cred.count");
	kd_buf s = KD_BUF_INIT, kc = KD_BUF_INIT;
	kd_buf_printf(&s,
		"#!/bin/sh\n"
		"n=$(cat '%s' 2>/dev/null || echo 0); echo $((n+1)) > '%s'\n"
		"case \"$KUBERNETES_EXEC_INFO\" in *ExecCredential*) ;; *) exit 3;; esac\n"
		"[ \"$1\" = get-token ] || exit 4\n"
		"printf '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%%s\"}}' \"$TESTENV_TOKEN\"\n",
		count, count);
	kd_test_write_file(script, kd_buf_cstr(&s), 0700);
	unlink(count);
	char *dir = testenv_dir();
	kd_buf_printf(&kc,
		"apiVersion: v1\nkind: Config\ncurrent-context: ex\n"
		"clusters:\n- name: c\n  cluster:\n    server: %s\n    certificate-authority: %s/pki/ca.crt\n"
		"users:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
		"      command: ./exec-cred.sh\n      args: [get-token]\n      env: [{name: TESTENV_TOKEN, value: '%s'}]\n"
		"contexts:\n- name: ex\n  context: {cluster: c, user: u}\n",
		server_of(), dir, tok ? tok : "");
	char *kcp = epath("exec-kubeconfig");
	kd_test_write_file(kcp, kd_buf_cstr(&kc), 0600);
	kd_kube_client *c = client_for(kcp, NULL, NULL);
	CHECK(c != NULL);
	if (c) {
		CHECK_INT(can_list(c), 0);
		CHECK_INT(can_list(c), 0);
		char *n = NULL;
		size_t len;
		if (CHECK_INT(kd_file_read(&n, &len, count, 0), 0))
			CHECK_STR(n, "1\n"); /* the credential was cached */
		free(n);
	}
	kd_kube_client_free(c);
	free(kcp);
	free(dir);
	kd_buf_free(&s);
	kd_buf_free(&kc);
	free(script);
	free(count);
	free(tok);
}

/* An exec plugin that answers with a client certificate instead of a token (kept in memory). */
TEST(e2e_kube_kubeconfig_exec_plugin_cert)
{
	char *dir = testenv_dir();
	char *script = epath("exec-cert.sh");
	kd_buf s = KD_BUF_INIT, kc = KD_BUF_INIT;
	kd_buf_printf(&s,
		"#!/bin/sh\n"
		"esc() { awk '{printf \"%%s\\\\n\", $0}' \"$1\"; }\n"
		"printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{'\n"
		"printf '\"clientCertificateData\":\"%%s\",' \"$(esc '%s/pki/admin.crt')\"\n"
		"printf '\"clientKeyData\":\"%%s\",' \"$(esc '%s/pki/admin.key')\"\n"
		"printf '\"expirationTimestamp\":\"2999-01-01T00:00:00Z\"}}'\n",
		dir, dir);
	kd_test_write_file(script, kd_buf_cstr(&s), 0700);
	kd_buf_printf(&kc,
		"current-context: ex\nclusters:\n- name: c\n  cluster:\n    server: %s\n    certificate-authority: %s/pki/ca.crt\n"
		"users:\n- name: u\n  user:\n    exec: {apiVersion: client.authentication.k8s.io/v1, command: '%s'}\n"
		"contexts:\n- name: ex\n  context: {cluster: c, user: u}\n",
		server_of(), dir, script);
	char *kcp = epath("exec-cert-kubeconfig");
	kd_test_write_file(kcp, kd_buf_cstr(&kc), 0600);
	kd_kube_client *c = client_for(kcp, NULL, NULL);
	CHECK(c != NULL);
	if (c)
		CHECK_INT(can_list(c), 0);
	kd_kube_client_free(c);
	free(kcp);
	free(script);
	free(dir);
	kd_buf_free(&s);
	kd_buf_free(&kc);
}

TEST(e2e_kube_kubeconfig_list)
{
	char *tok = admin_token(), *dir = testenv_dir();
	char *a = epath("list-a.yaml"), *b = epath("list-b.yaml");
	kd_buf ka = KD_BUF_INIT, kb = KD_BUF_INIT, env = KD_BUF_INIT;
	/* a: the context and a cluster entry that must lose to nothing (b has a decoy with the same name
	 * pointing nowhere, which must not win because a comes first) */
	kd_buf_printf(&ka,
		"current-context: merged\nclusters:\n- name: c\n  cluster:\n    server: %s\n    certificate-authority: %s/pki/ca.crt\n"
		"contexts:\n- name: merged\n  context: {cluster: c, user: u, namespace: default}\n",
		server_of(), dir);
	kd_buf_printf(&kb,
		"current-context: decoy\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:9'}\n"
		"users:\n- name: u\n  user: {token: '%s'}\n",
		tok ? tok : "");
	kd_test_write_file(a, kd_buf_cstr(&ka), 0600);
	kd_test_write_file(b, kd_buf_cstr(&kb), 0600);
	kd_buf_printf(&env, "%s:%s/does-not-exist:%s", a, kd_test_tmpdir(), b);
	char *old = getenv("KUBECONFIG") ? kd_strdup(getenv("KUBECONFIG")) : NULL;
	setenv("KUBECONFIG", kd_buf_cstr(&env), 1);
	kd_kube_client *c = client_for(NULL, NULL, NULL);
	CHECK(c != NULL);
	if (c)
		CHECK_INT(can_list(c), 0);
	kd_kube_client_free(c);
	if (old)
		setenv("KUBECONFIG", old, 1);
	else
		unsetenv("KUBECONFIG");
	free(old);
	kd_buf_free(&ka);
	kd_buf_free(&kb);
	kd_buf_free(&env);
	free(a);
	free(b);
	free(tok);
	free(dir);
}

/* ---------------------------------------------------------------------------------------------
 * apply, list, discovery */

TEST(e2e_kube_apply_create_update_conflict)
{
	kd_kube_client *c = admin();
	if (!CHECK(c != NULL))
		return;
	char *ns = make_ns(c, "apply");
	cJSON *cm = yaml_obj("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: %s}\ndata: {a: '1', b: x}\n", ns);
	cJSON *got = NULL;
	CHECK_INT(kd_kube_apply(&got, c, cm, NULL), 0);
	CHECK_STR(kd_json_get_str(kd_json_get(got, "data"), "a"), "1");
	const char *rv1 = kd_json_get_str(kd_json_get(got, "metadata"), "resourceVersion");
	char *rv1d = rv1 ? kd_strdup(rv1) : NULL;
	cJSON_Delete(got);
	cJSON_Delete(cm);
	/* update: change a, drop b (server-side apply removes fields we no longer own) */
	cm = yaml_obj("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: %s}\ndata: {a: '2'}\n", ns);
	CHECK_INT(kd_kube_apply(&got, c, cm, NULL), 0);
	CHECK_STR(kd_json_get_str(kd_json_get(got, "data"), "a"), "2");
	CHECK(kd_json_get(kd_json_get(got, "data"), "b") == NULL);
	CHECK(rv1d && strcmp(rv1d, kd_json_get_str(kd_json_get(got, "metadata"), "resourceVersion")) != 0);
	cJSON_Delete(got);
	cJSON_Delete(cm);
	free(rv1d);
	/* another manager changing a field we own: conflict, with the server's message */
	cm = yaml_obj("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: %s}\ndata: {a: '3'}\n", ns);
	kd_kube_apply_options ao = KD_KUBE_APPLY_OPTIONS_INIT;
	ao.field_manager = "someone-else";
	CHECK_INT(kd_kube_apply(NULL, c, cm, &ao), KD_ECONFLICT);
	CHECK(strstr(kd_error_last(), "conflict") != NULL);
	CHECK(strstr(kd_error_last(), ".data.a") != NULL);
	ao.force = true;
	CHECK_INT(kd_kube_apply(&got, c, cm, &ao), 0);
	CHECK_STR(kd_json_get_str(kd_json_get(got, "data"), "a"), "3");
	cJSON_Delete(got);
	/* create of an existing object */
	CHECK_INT(kd_kube_create(NULL, c, cm), KD_EEXISTS);
	/* an invalid object: the server's causes reach us */
	cJSON *bad = yaml_obj("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Not_Valid, namespace: %s}\n", ns);
	CHECK_INT(kd_kube_apply(NULL, c, bad, NULL), KD_EINVALID);
	CHECK(strstr(kd_error_last(), "Not_Valid") != NULL);
	cJSON_Delete(bad);
	/* delete, then it is gone */
	kd_kube_ref r = {"v1", "ConfigMap", ns, "cfg", NULL};
	CHECK_INT(kd_kube_delete(c, &r, NULL), 0);
	CHECK_INT(kd_kube_delete(c, &r, NULL), KD_ENOTFOUND);
	cJSON_Delete(cm);
	drop_ns(c, ns);
	kd_kube_client_free(c);
}

TEST(e2e_kube_list_pagination)
{
	kd_kube_client *c = admin();
	if (!CHECK(c != NULL))
		return;
	char *ns = make_ns(c, "list");
	for (int i = 0; i < 5; i++) {
		cJSON *cm = yaml_obj("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-%d, namespace: %s, labels: {set: five}}\n", i, ns);
		CHECK_INT(kd_kube_create(NULL, c, cm), 0);
		cJSON_Delete(cm);
	}
	cJSON *other = yaml_obj("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other, namespace: %s}\n", ns);
	CHECK_INT(kd_kube_create(NULL, c, other), 0);
	cJSON_Delete(other);
	kd_kube_ref r = {"v1", "ConfigMap", ns, NULL, NULL};
	kd_kube_list_options o = KD_KUBE_LIST_OPTIONS_INIT;
	o.limit = 2;
	o.label_selector = "set=five";
	cJSON *l = NULL;
	CHECK_INT(kd_kube_list(&l, c, &r, &o), 0);
	CHECK_INT(cJSON_GetArraySize(kd_json_get(l, "items")), 5);
	CHECK_INT(o.pages, 3);
	CHECK_STR(kd_json_get_str(l, "kind"), "ConfigMapList");
	CHECK_STR(kd_json_get_str(cJSON_GetArrayItem(kd_json_get(l, "items"), 0), "kind"), "ConfigMap");
	cJSON_Delete(l);
	o.label_selector = NULL;
	o.field_selector = "metadata.name=other";
	CHECK_INT(kd_kube_list(&l, c, &r, &o), 0);
	CHECK_INT(cJSON_GetArraySize(kd_json_get(l, "items")), 1);
	cJSON_Delete(l);
	drop_ns(c, ns);
	kd_kube_client_free(c);
}

static bool file_exists_under(const char *dir, const char *suffix)
{
	kd_buf cmd = KD_BUF_INIT;
	kd_buf_printf(&cmd, "find '%s' -name '*%s' | grep -q .", dir, suffix);
	bool ok = system(kd_buf_cstr(&cmd)) == 0;
	kd_buf_free(&cmd);
	return ok;
}

TEST(e2e_kube_discovery_new_crd)
{
	char *cache = epath("discovery-cache");
	kd_kube_client_options o = KD_KUBE_CLIENT_OPTIONS_INIT;
	o.cache_dir = cache;
	o.discovery_ttl_s = 600;
	kd_kube_client *c = client_for(kd_test_kubeconfig(), NULL, &o);
	if (!CHECK(c != NULL))
		return;
	char *ns = make_ns(c, "crd");
	char group[64];
	snprintf(group, sizeof(group), "g%d.e2e.kudoc.dev", (int)getpid());
	/* the group does not exist yet */
	kd_kube_mapping m = KD_KUBE_MAPPING_INIT;
	kd_buf av = KD_BUF_INIT;
	kd_buf_printf(&av, "%s/v1", group);
	CHECK_INT(kd_kube_mapping_get(&m, c, kd_buf_cstr(&av), "Widget"), KD_ENOTFOUND);
	cJSON *crd = yaml_obj(
		"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.%s}\n"
		"spec:\n  group: %s\n  scope: Namespaced\n  names: {plural: widgets, singular: widget, kind: Widget}\n"
		"  versions:\n  - name: v1\n    served: true\n    storage: true\n"
		"    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}\n",
		group, group);
	CHECK_INT(kd_kube_apply(NULL, c, crd, NULL), 0);
	kd_buf name = KD_BUF_INIT;
	kd_buf_printf(&name, "widgets.%s", group);
	kd_kube_ref cr = {"apiextensions.k8s.io/v1", "CustomResourceDefinition", NULL, kd_buf_cstr(&name), NULL};
	kd_kube_wait_options wo = KD_KUBE_WAIT_OPTIONS_INIT;
	wo.timeout_ms = 30000;
	CHECK_INT(kd_kube_wait(c, &cr, 1, &wo), 0);
	/* the same client: its cached miss must not hide the new kind */
	CHECK_INT(kd_kube_mapping_get(&m, c, kd_buf_cstr(&av), "Widget"), 0);
	CHECK_STR(m.resource, "widgets");
	CHECK(m.namespaced);
	kd_kube_mapping_clear(&m);
	cJSON *w = yaml_obj("apiVersion: %s/v1\nkind: Widget\nmetadata: {name: w1, namespace: %s}\nspec: {size: 3}\n", group, ns);
	CHECK_INT(kd_kube_apply(NULL, c, w, NULL), 0);
	cJSON_Delete(w);
	CHECK(file_exists_under(cache, "_v1.json"));
	kd_kube_client_free(c);
	/* a new client finds it through the disk cache */
	c = client_for(kd_test_kubeconfig(), NULL, &o);
	if (c) {
		long before = kd_kube_client_attempts(c);
		CHECK_INT(kd_kube_mapping_get(&m, c, kd_buf_cstr(&av), "Widget"), 0);
		CHECK_INT(kd_kube_client_attempts(c), before);
		kd_kube_mapping_clear(&m);
		kd_kube_ref cref = {"apiextensions.k8s.io/v1", "CustomResourceDefinition", NULL, kd_buf_cstr(&name), NULL};
		CHECK_INT(kd_kube_delete(c, &cref, NULL), 0);
	}
	cJSON_Delete(crd);
	kd_buf_free(&name);
	kd_buf_free(&av);
	drop_ns(c, ns);
	kd_kube_client_free(c);
	free(cache);
}

/* ---------------------------------------------------------------------------------------------
 * The fault proxy */

typedef struct {
	pid_t pid;
	int port;
	char *kubeconfig;
} proxy;

static int free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {0};
	socklen_t len = sizeof(a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(s, (struct sockaddr *)&a, sizeof(a));
	getsockname(s, (struct sockaddr *)&a, &len);
	close(s);
	return ntohs(a.sin_port);
}

static bool port_open(int port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	bool ok = connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(s);
	return ok;
}

/* Starts `testenv proxy` on 127.0.0.1:port (0: a free one) with extra fault flags. */
static bool proxy_start(proxy *p, int port, const char *const *faults)
{
	const char *bin = kd_test_testenv_bin();
	if (!bin || !*bin) {
		fprintf(stderr, "  KUDOC_TESTENV_BIN is not set\n");
		return false;
	}
	char *dir = testenv_dir();
	char listen[64];
	p->port = port ? port : free_port();
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", p->port);
	if (!p->kubeconfig) {
		kd_buf k = KD_BUF_INIT;
		kd_buf_printf(&k, "%s/proxy-%d.kubeconfig", kd_test_tmpdir(), p->port);
		p->kubeconfig = kd_buf_detach(&k);
	}
	unlink(p->kubeconfig);
	const char *argv[32] = {bin, "proxy", "--listen", listen, "--dir", dir, "--kubeconfig-out", p->kubeconfig};
	int n = 8;
	for (size_t i = 0; faults && faults[i] && n < 30; i++)
		argv[n++] = faults[i];
	argv[n] = NULL;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	kd_buf logp = KD_BUF_INIT;
	kd_buf_printf(&logp, "%s/proxy-%d.log", kd_test_tmpdir(), p->port);
	posix_spawn_file_actions_addopen(&fa, 1, kd_buf_cstr(&logp), O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, kd_buf_cstr(&logp), O_WRONLY | O_CREAT | O_APPEND, 0600);
	int err = posix_spawn(&p->pid, bin, &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	kd_buf_free(&logp);
	free(dir);
	if (err)
		return false;
	for (int i = 0; i < 200; i++) {
		if (port_open(p->port) && access(p->kubeconfig, R_OK) == 0)
			return true;
		usleep(50000);
	}
	return false;
}

static void proxy_kill(proxy *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		p->pid = 0;
	}
}

static void proxy_free(proxy *p)
{
	proxy_kill(p);
	free(p->kubeconfig);
	p->kubeconfig = NULL;
}

TEST(e2e_kube_retry_429_500)
{
	proxy p = {0};
	const char *faults[] = {"--status429", "0.25", "--status500", "0.25", "--retry-after", "1", "--seed", "7", NULL};
	if (!CHECK(proxy_start(&p, 0, faults))) {
		proxy_free(&p);
		return;
	}
	kd_kube_client *direct = admin();
	char *ns = make_ns(direct, "retry");
	kd_kube_client_options o = KD_KUBE_CLIENT_OPTIONS_INIT;
	o.discovery_ttl_s = -1;
	o.max_retries = 10;
	kd_kube_client *c = client_for(p.kubeconfig, NULL, &o);
	CHECK(c != NULL);
	if (c) {
		int ok = 0;
		for (int i = 0; i < 8; i++) {
			cJSON *cm = yaml_obj("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: r%d, namespace: %s}\ndata: {i: '%d'}\n", i, ns, i);
			ok += kd_kube_apply(NULL, c, cm, NULL) == 0; /* PATCH apply: idempotent, retried on 5xx */
			cJSON *got = NULL;
			kd_kube_ref r = {"v1", "ConfigMap", ns, NULL, NULL};
			char name[16];
			snprintf(name, sizeof(name), "r%d", i);
			r.name = name;
			ok += kd_kube_get(&got, c, &r) == 0;
			cJSON_Delete(got);
			cJSON_Delete(cm);
		}
		CHECK_INT(ok, 16);
		/* at half the requests faulted, there were retries */
		CHECK(kd_kube_client_attempts(c) > 20);
	}
	kd_kube_client_free(c);
	drop_ns(direct, ns);
	kd_kube_client_free(direct);
	proxy_free(&p);
}

TEST(e2e_kube_retry_connection_resets)
{
	proxy p = {0};
	const char *faults[] = {"--reset", "0.4", "--seed", "11", NULL};
	if (!CHECK(proxy_start(&p, 0, faults))) {
		proxy_free(&p);
		return;
	}
	kd_kube_client_options o = KD_KUBE_CLIENT_OPTIONS_INIT;
	o.discovery_ttl_s = -1;
	o.max_retries = 10;
	kd_kube_client *c = client_for(p.kubeconfig, NULL, &o);
	if (CHECK(c != NULL)) {
		int ok = 0;
		for (int i = 0; i < 10; i++)
			ok += can_list(c) == 0; /* GETs are retried after a reset */
		CHECK_INT(ok, 10);
		CHECK(kd_kube_client_attempts(c) > 11);
	}
	kd_kube_client_free(c);
	proxy_free(&p);
}

typedef struct {
	proxy *p;
	kd_kube_client *direct;
	const char *ns;
	int phase;
	kd_buf seen;
} watch_state;

static int on_watch(void *payload, kd_kube_event_type t, const cJSON *obj)
{
	watch_state *s = payload;
	if (t == KD_KUBE_BOOKMARK)
		return 0;
	const char *name = kd_json_get_str(kd_json_get(obj, "metadata"), "name");
	kd_buf_printf(&s->seen, "%s %s;", kd_kube_event_type_name(t), name ? name : "?");
	if (t == KD_KUBE_ADDED && name && strcmp(name, "w1") == 0 && s->phase == 0) {
		/* drop every connection through the proxy, change the cluster meanwhile, come back */
		s->phase = 1;
		int port = s->p->port;
		proxy_kill(s->p);
		cJSON *cm = yaml_obj("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: w2, namespace: %s}\n", s->ns);
		kd_kube_create(NULL, s->direct, cm);
		cJSON_Delete(cm);
		proxy_start(s->p, port, NULL);
	}
	if (t == KD_KUBE_ADDED && name && strcmp(name, "w2") == 0)
		return 1;
	return 0;
}

TEST(e2e_kube_watch_survives_dropped_connection)
{
	proxy p = {0};
	if (!CHECK(proxy_start(&p, 0, NULL))) {
		proxy_free(&p);
		return;
	}
	kd_kube_client *direct = admin();
	char *ns = make_ns(direct, "watch");
	kd_kube_client *c = client_for(p.kubeconfig, NULL, NULL);
	watch_state s = {&p, direct, ns, 0, KD_BUF_INIT};
	CHECK(c != NULL);
	if (c) {
		/* start watching from now: create w1 once the list is done */
		cJSON *l = NULL;
		kd_kube_ref r = {"v1", "ConfigMap", ns, NULL, NULL};
		CHECK_INT(kd_kube_list(&l, c, &r, NULL), 0);
		const char *rv = kd_json_get_str(kd_json_get(l, "metadata"), "resourceVersion");
		cJSON *cm = yaml_obj("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: w1, namespace: %s}\n", ns);
		CHECK_INT(kd_kube_create(NULL, direct, cm), 0);
		cJSON_Delete(cm);
		kd_kube_watch_options wo = KD_KUBE_WATCH_OPTIONS_INIT;
		wo.resource_version = rv;
		wo.timeout_ms = 30000;
		CHECK_INT(kd_kube_watch(c, &r, &wo, on_watch, &s), 0);
		CHECK(wo.reconnects >= 1);
		CHECK(strstr(kd_buf_cstr(&s.seen), "ADDED w1;") != NULL);
		CHECK(strstr(kd_buf_cstr(&s.seen), "ADDED w2;") != NULL);
		cJSON_Delete(l);
	}
	kd_buf_free(&s.seen);
	kd_kube_client_free(c);
	drop_ns(direct, ns);
	kd_kube_client_free(direct);
	proxy_free(&p);
}

static int count_events(void *payload, kd_kube_event_type t, const cJSON *obj)
{
	int *n = payload;
	if (t == KD_KUBE_ADDED || t == KD_KUBE_MODIFIED)
		(*n)++;
	return *n >= 2 ? 1 : 0;
}

/* From a resourceVersion long past: the server either replays from it or answers 410 Gone, and
 * then the watch re-lists (the 410 path itself is pinned down offline in test_kube_fake.c). */
TEST(e2e_kube_watch_from_old_resource_version)
{
	kd_kube_client *c = admin();
	if (!CHECK(c != NULL))
		return;
	char *ns = make_ns(c, "gone");
	cJSON *cm = yaml_obj("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: g1, namespace: %s}\n", ns);
	CHECK_INT(kd_kube_create(NULL, c, cm), 0);
	cJSON_Delete(cm);
	cm = yaml_obj("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: g2, namespace: %s}\n", ns);
	CHECK_INT(kd_kube_create(NULL, c, cm), 0);
	cJSON_Delete(cm);
	/* resourceVersion 1 is long compacted away: the server answers 410 Gone */
	kd_kube_ref r = {"v1", "ConfigMap", ns, NULL, NULL};
	kd_kube_watch_options wo = KD_KUBE_WATCH_OPTIONS_INIT;
	wo.resource_version = "1";
	wo.timeout_ms = 20000;
	int n = 0;
	int rc = kd_kube_watch(c, &r, &wo, count_events, &n);
	/* some servers still have rv 1 in the watch cache window; either way both objects arrive */
	CHECK_INT(rc, 0);
	CHECK(n >= 2);
	drop_ns(c, ns);
	kd_kube_client_free(c);
}

/* ---------------------------------------------------------------------------------------------
 * Readiness against real controllers */

static void on_progress(void *payload, const kd_kube_ref *ref, kd_kube_wait_verdict v, const char *reason)
{
	kd_buf_printf((kd_buf *)payload, "%s/%s %d %s\n", ref->kind, ref->name, (int)v, reason);
}

TEST(e2e_kube_readiness_deployment_ready_and_unready)
{
	kd_kube_client *c = admin();
	if (!CHECK(c != NULL))
		return;
	char *ns = make_ns(c, "ready");
	const char *tmpl =
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: %s, namespace: %s}\n"
		"spec:\n  replicas: 2\n  selector: {matchLabels: {app: %s}}\n"
		"  template:\n    metadata:\n      labels: {app: %s}\n      annotations: {%s}\n"
		"    spec:\n      containers:\n      - {name: operator, image: example.com/op:1}\n";
	cJSON *good = yaml_obj(tmpl, "good", ns, "good", "good", "testenv.kudoc.dev/ready-after: 1s");
	cJSON *bad = yaml_obj(tmpl, "stuck", ns, "stuck", "stuck", "testenv.kudoc.dev/never-ready: 'true'");
	CHECK_INT(kd_kube_apply(NULL, c, good, NULL), 0);
	CHECK_INT(kd_kube_apply(NULL, c, bad, NULL), 0);
	kd_kube_ref g = {"apps/v1", "Deployment", ns, "good", NULL};
	kd_kube_wait_options wo = KD_KUBE_WAIT_OPTIONS_INIT;
	kd_buf prog = KD_BUF_INIT;
	wo.timeout_ms = 60000;
	wo.progress = on_progress;
	wo.progress_payload = &prog;
	CHECK_INT(kd_kube_wait(c, &g, 1, &wo), 0);
	/* the progress reports went through the rollout and ended done */
	CHECK(strstr(kd_buf_cstr(&prog), "Deployment/good 0 ") != NULL);
	CHECK(strstr(kd_buf_cstr(&prog), "Deployment/good 1 \n") != NULL);
	kd_buf_free(&prog);
	wo.progress = NULL;
	kd_kube_ref both[2] = {{"apps/v1", "Deployment", ns, "good", NULL}, {"apps/v1", "Deployment", ns, "stuck", NULL}};
	wo.timeout_ms = 8000;
	CHECK_INT(kd_kube_wait(c, both, 2, &wo), KD_ETIMEOUT);
	const char *e = kd_error_last();
	CHECK(e && strstr(e, "Deployment/stuck") != NULL);
	CHECK(e && strstr(e, "0/2 replicas ready") != NULL);
	CHECK(e && strstr(e, "pod stuck-") != NULL);
	CHECK(e && strstr(e, "container operator not ready") != NULL);
	CHECK(e && strstr(e, "Deployment/good") == NULL);
	if (e)
		fprintf(stderr, "  (wait said: %s)\n", e);
	kd_kube_status st;
	CHECK_INT(kd_kube_status_get(&st, c, &both[1]), 0);
	CHECK_INT(st.state, KD_KUBE_IN_PROGRESS);
	CHECK(strstr(st.reason, "pod stuck-") != NULL);
	cJSON_Delete(good);
	cJSON_Delete(bad);
	drop_ns(c, ns);
	kd_kube_client_free(c);
}

TEST(e2e_kube_readiness_failing_job)
{
	kd_kube_client *c = admin();
	if (!CHECK(c != NULL))
		return;
	char *ns = make_ns(c, "job");
	cJSON *job = yaml_obj(
		"apiVersion: batch/v1\nkind: Job\nmetadata: {name: migrate, namespace: %s}\n"
		"spec:\n  backoffLimit: 0\n  template:\n    metadata:\n      annotations: {testenv.kudoc.dev/fail: 'true'}\n"
		"    spec:\n      restartPolicy: Never\n      containers:\n      - {name: migrate, image: example.com/m:1}\n",
		ns);
	CHECK_INT(kd_kube_apply(NULL, c, job, NULL), 0);
	kd_kube_ref r = {"batch/v1", "Job", ns, "migrate", NULL};
	kd_kube_wait_options wo = KD_KUBE_WAIT_OPTIONS_INIT;
	wo.timeout_ms = 60000;
	time_t t0 = time(NULL);
	CHECK_INT(kd_kube_wait(c, &r, 1, &wo), KD_ERROR);
	const char *e = kd_error_last();
	CHECK(e && strstr(e, "Job failed: BackoffLimitExceeded") != NULL);
	CHECK(time(NULL) - t0 < 50); /* a failure ends the wait, not the deadline */
	if (e)
		fprintf(stderr, "  (wait said: %s)\n", e);
	cJSON_Delete(job);
	drop_ns(c, ns);
	kd_kube_client_free(c);
}

/* ---------------------------------------------------------------------------------------------
 * Leader records written by testenv's simulator */

static kd_kube_wait_verdict has_holder(void *payload, const kd_kube_ref *ref, const cJSON *obj, char *reason, size_t size)
{
	kd_kube_leader_record r = KD_KUBE_LEADER_RECORD_INIT;
	if (!obj || kd_kube_leader_parse(&r, obj) != 0) {
		snprintf(reason, size, "no leader record yet");
		kd_error_clear();
		return KD_KUBE_WAIT_PENDING;
	}
	bool held = r.holder && *r.holder;
	kd_kube_leader_record_clear(&r);
	snprintf(reason, size, held ? "" : "nobody holds it");
	return held ? KD_KUBE_WAIT_DONE : KD_KUBE_WAIT_PENDING;
}

TEST(e2e_kube_leader_records)
{
	kd_kube_client *c = admin();
	if (!CHECK(c != NULL))
		return;
	char *ns = make_ns(c, "leader");
	const char *kinds[] = {"configmap", "lease"};
	for (int i = 0; i < 2; i++) {
		cJSON *pod = yaml_obj(
			"apiVersion: v1\nkind: Pod\nmetadata: {name: op-%s, namespace: %s}\n"
			"spec:\n  containers:\n  - name: operator\n    image: example.com/op:1\n"
			"    args: [--leader-election=true, --leader-election-lock-name=lock-%s, --leader-election-lock-namespace=%s,"
			" --leader-election-lock-kind=%s]\n",
			kinds[i], ns, kinds[i], ns, kinds[i]);
		CHECK_INT(kd_kube_apply(NULL, c, pod, NULL), 0);
		cJSON_Delete(pod);
	}
	char cmname[64], lname[64];
	snprintf(cmname, sizeof(cmname), "lock-configmap");
	snprintf(lname, sizeof(lname), "lock-lease");
	kd_kube_ref locks[2] = {{"v1", "ConfigMap", ns, cmname, NULL}, {"coordination.k8s.io/v1", "Lease", ns, lname, NULL}};
	kd_kube_wait_options wo = KD_KUBE_WAIT_OPTIONS_INIT;
	wo.timeout_ms = 60000;
	wo.predicate = has_holder;
	CHECK_INT(kd_kube_wait(c, locks, 2, &wo), 0);
	kd_kube_leader_record r = KD_KUBE_LEADER_RECORD_INIT;
	CHECK_INT(kd_kube_leader_get(&r, c, KD_KUBE_LOCK_CONFIGMAP, ns, "lock-configmap"), 0);
	CHECK_STR(r.holder, "op-configmap");
	CHECK_INT(r.kind, KD_KUBE_LOCK_CONFIGMAP);
	CHECK(r.lease_duration_s > 0);
	CHECK(r.renew_time_us >= r.acquire_time_us && r.acquire_time_us > 1600000000LL * 1000000);
	kd_kube_leader_record_clear(&r);
	CHECK_INT(kd_kube_leader_get(&r, c, KD_KUBE_LOCK_ANY, ns, "lock-lease"), 0);
	CHECK_STR(r.holder, "op-lease");
	CHECK_INT(r.kind, KD_KUBE_LOCK_LEASE);
	CHECK(r.lease_duration_s > 0);
	CHECK(r.renew_time_us >= r.acquire_time_us && r.acquire_time_us > 1600000000LL * 1000000);
	kd_kube_leader_record_clear(&r);
	/* ANY falls back to the ConfigMap lock */
	CHECK_INT(kd_kube_leader_get(&r, c, KD_KUBE_LOCK_ANY, ns, "lock-configmap"), 0);
	CHECK_INT(r.kind, KD_KUBE_LOCK_CONFIGMAP);
	kd_kube_leader_record_clear(&r);
	CHECK_INT(kd_kube_leader_get(&r, c, KD_KUBE_LOCK_ANY, ns, "no-such-lock"), KD_ENOTFOUND);
	kd_kube_leader_record_clear(&r);
	drop_ns(c, ns);
	kd_kube_client_free(c);
}

/* tls-server-name decides the name the certificate is checked against; insecure-skip-tls-verify
 * turns the check off (and only then does a foreign CA work). */
TEST(e2e_kube_kubeconfig_tls_server_name_and_insecure)
{
	char *tok = admin_token(), *dir = testenv_dir();
	const char *variants[][2] = {
		{"tls-server-name: kubernetes.default", "ok"},
		{"tls-server-name: wrong.example.com", "fail"},
		{"insecure-skip-tls-verify: true", "ok"},
	};
	for (size_t i = 0; i < KD_ARRAY_SIZE(variants); i++) {
		kd_buf kc = KD_BUF_INIT;
		bool insecure = strstr(variants[i][0], "insecure") != NULL;
		kd_buf_printf(&kc,
			"current-context: x\nclusters:\n- name: c\n  cluster:\n    server: %s\n    %s\n%s%s%s"
			"users:\n- name: u\n  user: {token: '%s'}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n",
			server_of(), variants[i][0], insecure ? "" : "    certificate-authority: ", insecure ? "" : dir,
			insecure ? "" : "/pki/ca.crt\n", tok ? tok : "");
		char *kcp = epath("tls-kubeconfig");
		kd_test_write_file(kcp, kd_buf_cstr(&kc), 0600);
		kd_kube_client_options o = KD_KUBE_CLIENT_OPTIONS_INIT;
		o.discovery_ttl_s = -1;
		o.budget_ms = 3000;
		kd_kube_client *c = client_for(kcp, NULL, &o);
		if (CHECK(c != NULL)) {
			int rc = can_list(c);
			if (strcmp(variants[i][1], "ok") == 0) {
				if (!CHECK_INT(rc, 0))
					fprintf(stderr, "  variant: %s\n", variants[i][0]);
			} else {
				CHECK(rc != 0);
				CHECK(strstr(kd_error_last(), "wrong.example.com") != NULL || strstr(kd_error_last(), "certificate") != NULL);
			}
		}
		kd_kube_client_free(c);
		free(kcp);
		kd_buf_free(&kc);
	}
	free(tok);
	free(dir);
}

/* ---------------------------------------------------------------------------------------------
 * TLS trust: a kubeconfig CA replaces the system store
 *
 * The hole this pins down: a server whose certificate a *system* CA signed must be refused when
 * the kubeconfig names another CA, before anything (the bearer token) is sent. So the system
 * store must trust the cluster's CA. The test changes nothing on the machine: a child process
 * gets its own mount namespace (root only, as in CI) in which /etc/ssl/certs holds just the
 * cluster CA, both as ca-certificates.crt (libcurl's CA file) and as its OpenSSL hash link (the
 * CA folder). The fault proxy stands in for the server: it serves a certificate the cluster CA
 * signed and counts the HTTP requests that reach it. */

typedef struct {
	const char *kubeconfig;
	int ok_wanted; /* 1: the request must succeed; 0: it must fail with a certificate error */
} trust_case;

/* In the child: one authenticated request; exit 0 when the outcome is the wanted one. The
 * message goes back through fd. */
static int trust_child(const trust_case *tc, int fd)
{
	kd_kube_client_options o = KD_KUBE_CLIENT_OPTIONS_INIT;
	o.discovery_ttl_s = -1;
	o.budget_ms = 5000;
	kd_kube_client *c = client_for(tc->kubeconfig, NULL, &o);
	int rc = c ? can_list(c) : KD_ERROR;
	const char *e = kd_error_last();
	dprintf(fd, "%s", e ? e : "(no error)");
	kd_kube_client_free(c);
	if (tc->ok_wanted)
		return rc == 0 ? 0 : 1;
	return rc != 0 && e && (strstr(e, "certificate") || strstr(e, "SSL")) ? 0 : 1;
}

/* Runs trust_child in a private mount namespace whose system trust store is the folder
 * `store`. Returns true when the child saw the wanted outcome; its message into msg. */
static bool with_system_store(const char *store, const trust_case *tc, kd_buf *msg)
{
	int p[2];
	if (pipe(p) != 0)
		return false;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
			mount(store, "/etc/ssl/certs", NULL, MS_BIND, NULL) != 0) {
			dprintf(p[1], "private mount namespace: %s (the test needs root)", strerror(errno));
			_exit(2);
		}
		_exit(trust_child(tc, p[1]));
	}
	close(p[1]);
	char buf[1024];
	ssize_t n;
	while ((n = read(p[0], buf, sizeof(buf))) > 0)
		kd_buf_put(msg, buf, (size_t)n);
	close(p[0]);
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return false;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* The proxy's request counter (its stats path is answered by the proxy itself). */
static long proxy_requests(const char *proxy_kubeconfig)
{
	kd_kube_client *c = client_for(proxy_kubeconfig, NULL, NULL);
	kd_kube_response r = KD_KUBE_RESPONSE_INIT;
	kd_kube_request_options req = KD_KUBE_REQUEST_OPTIONS_INIT;
	long n = -1;
	req.path = "/testenv-proxy/stats";
	if (c && kd_kube_request(&r, c, &req) == 0 && r.status == 200) {
		cJSON *st = cJSON_Parse(r.body);
		const cJSON *v = kd_json_get(st, "requests");
		if (cJSON_IsNumber(v))
			n = (long)v->valueint;
		cJSON_Delete(st);
	}
	kd_kube_response_clear(&r);
	kd_kube_client_free(c);
	return n;
}

TEST(e2e_kube_kubeconfig_wrong_ca_fails)
{
	char *dir = testenv_dir(), *tok = admin_token();
	char *key = epath("other-ca.key"), *crt = epath("other-ca.crt"), *store = epath("system-store");
	kd_buf cmd = KD_BUF_INIT, path = KD_BUF_INIT, kc = KD_BUF_INIT, msg = KD_BUF_INIT;
	proxy p = {0};
	kd_kube_config *pcfg = NULL;
	/* a CA that did not sign the server's certificate */
	kd_buf_printf(&cmd,
		"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout '%s' -out '%s' -days 1 "
		"-subj /CN=not-the-cluster-ca >/dev/null 2>&1",
		key, crt);
	CHECK_INT(system(kd_buf_cstr(&cmd)), 0);
	/* the system store of the child: the cluster CA as the CA file and as a hashed link */
	mkdir(store, 0755);
	kd_buf_clear(&cmd);
	kd_buf_printf(&cmd,
		"cp '%s/pki/ca.crt' '%s/ca-certificates.crt' && "
		"ln -s ca-certificates.crt \"%s/$(openssl x509 -hash -noout -in '%s/pki/ca.crt').0\"",
		dir, store, store, dir);
	CHECK_INT(system(kd_buf_cstr(&cmd)), 0);
	if (!CHECK(proxy_start(&p, 0, NULL)))
		goto done;
	kd_kube_config_options co = KD_KUBE_CONFIG_OPTIONS_INIT;
	co.kubeconfig = p.kubeconfig;
	if (!CHECK_INT(kd_kube_config_load(&pcfg, &co), 0))
		goto done;
	const char *server = kd_kube_config_server(pcfg);

	/* 1. the kubeconfig names another CA: refused in the handshake, no request reaches the
	 * server (so the token was never sent), though the system store trusts its certificate */
	kd_buf_printf(&kc,
		"current-context: x\nclusters:\n- name: c\n  cluster:\n    server: %s\n    certificate-authority: %s\n"
		"users:\n- name: u\n  user: {token: '%s'}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n",
		server, crt, tok ? tok : "");
	char *wrong = epath("wrong-ca-kubeconfig");
	kd_test_write_file(wrong, kd_buf_cstr(&kc), 0600);
	trust_case t1 = {wrong, 0};
	if (!CHECK(with_system_store(store, &t1, &msg)))
		fprintf(stderr, "  wrong CA: %s\n", kd_buf_cstr(&msg));
	CHECK(tok && strstr(kd_buf_cstr(&msg), tok) == NULL);
	CHECK_INT(proxy_requests(p.kubeconfig), 0);
	/* the same as data */
	kd_buf_clear(&kc);
	kd_buf_clear(&msg);
	char *pem = NULL;
	size_t pem_len = 0;
	CHECK_INT(kd_file_read(&pem, &pem_len, crt, 0), 0);
	kd_buf b64 = KD_BUF_INIT;
	kd_base64_encode(&b64, pem ? pem : "", pem_len);
	kd_buf_printf(&kc,
		"current-context: x\nclusters:\n- name: c\n  cluster:\n    server: %s\n    certificate-authority-data: %s\n"
		"users:\n- name: u\n  user: {token: '%s'}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n",
		server, kd_buf_cstr(&b64), tok ? tok : "");
	char *wrong_data = epath("wrong-ca-data-kubeconfig");
	kd_test_write_file(wrong_data, kd_buf_cstr(&kc), 0600);
	trust_case t2 = {wrong_data, 0};
	if (!CHECK(with_system_store(store, &t2, &msg)))
		fprintf(stderr, "  wrong CA data: %s\n", kd_buf_cstr(&msg));
	CHECK_INT(proxy_requests(p.kubeconfig), 0);

	/* 2. no CA in the kubeconfig: the system store decides, and in the child it trusts the
	 * server (which shows that case 1 was refused by the kubeconfig CA, not by the store) */
	kd_buf_clear(&kc);
	kd_buf_clear(&msg);
	kd_buf_printf(&kc,
		"current-context: x\nclusters:\n- name: c\n  cluster:\n    server: %s\n"
		"users:\n- name: u\n  user: {token: '%s'}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n",
		server, tok ? tok : "");
	char *system_ca = epath("system-ca-kubeconfig");
	kd_test_write_file(system_ca, kd_buf_cstr(&kc), 0600);
	trust_case t3 = {system_ca, 1};
	if (!CHECK(with_system_store(store, &t3, &msg)))
		fprintf(stderr, "  system store: %s\n", kd_buf_cstr(&msg));
	CHECK(proxy_requests(p.kubeconfig) > 0);
	/* ... and the machine's real store does not know the cluster CA */
	kd_kube_client_options o = KD_KUBE_CLIENT_OPTIONS_INIT;
	o.discovery_ttl_s = -1;
	o.budget_ms = 5000;
	kd_kube_client *c = client_for(system_ca, NULL, &o);
	if (CHECK(c != NULL))
		CHECK(can_list(c) != 0);
	kd_kube_client_free(c);

	/* 3. insecure-skip-tls-verify next to a CA is refused, as client-go does */
	kd_buf_clear(&kc);
	kd_buf_printf(&kc,
		"current-context: x\nclusters:\n- name: c\n  cluster:\n    server: %s\n    certificate-authority: %s\n"
		"    insecure-skip-tls-verify: true\n"
		"users:\n- name: u\n  user: {token: '%s'}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n",
		server, crt, tok ? tok : "");
	char *both = epath("insecure-and-ca-kubeconfig");
	kd_test_write_file(both, kd_buf_cstr(&kc), 0600);
	c = client_for(both, NULL, &o);
	CHECK(c == NULL);
	CHECK(kd_error_last() && strstr(kd_error_last(), "insecure-skip-tls-verify") != NULL);
	kd_kube_client_free(c);
	free(both);
	free(system_ca);
	free(wrong_data);
	free(wrong);
	free(pem);
	kd_buf_free(&b64);
done:
	kd_kube_config_free(pcfg);
	proxy_free(&p);
	kd_buf_free(&cmd);
	kd_buf_free(&path);
	kd_buf_free(&kc);
	kd_buf_free(&msg);
	free(key);
	free(crt);
	free(store);
	free(tok);
	free(dir);
}

/* ---------------------------------------------------------------------------------------------
 * Cancellation of a wait on an object that never becomes ready: the flag is raised from the
 * wait's own progress report, so the wait is known to be under way; without cancellation it
 * would run into its 120 s deadline. */

static volatile sig_atomic_t e2e_cancel;

static void cancel_on_progress(void *payload, const kd_kube_ref *ref, kd_kube_wait_verdict v, const char *reason)
{
	(void)ref;
	(void)v;
	(void)reason;
	(*(int *)payload)++;
	e2e_cancel = 1;
}

TEST(e2e_kube_cancel_wait_never_ready)
{
	kd_kube_client *admin_c = admin();
	if (!CHECK(admin_c != NULL))
		return;
	char *ns = make_ns(admin_c, "cancel");
	cJSON *d = yaml_obj(
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: stuck, namespace: %s}\n"
		"spec:\n  replicas: 1\n  selector: {matchLabels: {app: stuck}}\n"
		"  template:\n    metadata:\n      labels: {app: stuck}\n      annotations: {testenv.kudoc.dev/never-ready: 'true'}\n"
		"    spec:\n      containers:\n      - {name: c, image: example.com/c:1}\n",
		ns);
	CHECK_INT(kd_kube_apply(NULL, admin_c, d, NULL), 0);
	kd_kube_client_options o = KD_KUBE_CLIENT_OPTIONS_INIT;
	o.discovery_ttl_s = -1;
	o.cancel = &e2e_cancel;
	e2e_cancel = 0;
	kd_kube_client *c = client_for(kd_test_kubeconfig(), NULL, &o);
	if (CHECK(c != NULL)) {
		kd_kube_ref r = {"apps/v1", "Deployment", ns, "stuck", NULL};
		kd_kube_wait_options wo = KD_KUBE_WAIT_OPTIONS_INIT;
		int reports = 0;
		wo.timeout_ms = 120000;
		wo.progress = cancel_on_progress;
		wo.progress_payload = &reports;
		CHECK_INT(kd_kube_wait(c, &r, 1, &wo), KD_ECANCELED);
		CHECK_STR(kd_error_last(), "wait for Deployment/stuck: canceled");
		CHECK(reports >= 1);
		/* the flag still up, the next request does not go out */
		CHECK_INT(can_list(c), KD_ECANCELED);
	}
	kd_kube_client_free(c);
	cJSON_Delete(d);
	drop_ns(admin_c, ns);
	kd_kube_client_free(admin_c);
}

/* ---------------------------------------------------------------------------------------------
 * Two threads, each with its own client, applying, waiting for readiness, listing and deleting
 * at the same time (the plan engine runs parallel steps like this). */

typedef struct {
	const char *ns;
	const char *name;
	int failures;
	char first_error[512];
} e2e_worker;

static void *e2e_work(void *arg)
{
	e2e_worker *w = arg;
	kd_kube_client *c = admin();
	int rc = c ? 0 : KD_ERROR;
	for (int i = 0; !rc && i < 3; i++) {
		cJSON *d = yaml_obj(
			"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: %s-%d, namespace: %s}\n"
			"spec:\n  replicas: 2\n  selector: {matchLabels: {app: %s-%d}}\n"
			"  template:\n    metadata:\n      labels: {app: %s-%d}\n      annotations: {testenv.kudoc.dev/ready-after: 1s}\n"
			"    spec:\n      containers:\n      - {name: c, image: example.com/c:1}\n",
			w->name, i, w->ns, w->name, i, w->name, i);
		cJSON *cm = yaml_obj("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s-%d, namespace: %s}\ndata: {i: '%d'}\n",
			w->name, i, w->ns, i);
		char nm[64];
		snprintf(nm, sizeof(nm), "%s-%d", w->name, i);
		kd_kube_ref dr = {"apps/v1", "Deployment", w->ns, nm, NULL};
		kd_kube_ref cr = {"v1", "ConfigMap", w->ns, nm, NULL};
		kd_kube_wait_options wo = KD_KUBE_WAIT_OPTIONS_INIT;
		wo.timeout_ms = 60000;
		cJSON *l = NULL;
		kd_kube_ref all = {"v1", "ConfigMap", w->ns, NULL, NULL};
		if ((rc = kd_kube_apply(NULL, c, d, NULL)) || (rc = kd_kube_apply(NULL, c, cm, NULL)) ||
			(rc = kd_kube_wait(c, &dr, 1, &wo)) || (rc = kd_kube_list(&l, c, &all, NULL)) ||
			(rc = kd_kube_delete(c, &cr, NULL)))
			snprintf(w->first_error, sizeof(w->first_error), "%s", kd_error_last() ? kd_error_last() : "?");
		cJSON_Delete(l);
		cJSON_Delete(d);
		cJSON_Delete(cm);
	}
	w->failures = rc ? 1 : 0;
	kd_kube_client_free(c);
	kd_error_clear(); /* a thread's last error lives until it is cleared */
	return NULL;
}

TEST(e2e_kube_two_threads)
{
	CHECK_INT(kd_kube_global_init(), 0);
	kd_kube_client *c = admin();
	if (!CHECK(c != NULL))
		return;
	char *ns = make_ns(c, "threads");
	e2e_worker w[2] = {{ns, "a", 0, ""}, {ns, "b", 0, ""}};
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&th[i], NULL, e2e_work, &w[i]) == 0);
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		if (!CHECK_INT(w[i].failures, 0))
			fprintf(stderr, "  thread %s: %s\n", w[i].name, w[i].first_error);
	}
	drop_ns(c, ns);
	kd_kube_client_free(c);
}
