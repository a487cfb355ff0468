/* Offline tests of kube/: kubeconfig loading and merging, Status -> error, secrets kept out of
 * messages and logs, exec credentials, leader records, times, the watch stream parser, and the
 * data-driven readiness cases in tests/kube/readiness/<case>/. */
#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../base/base.h"
#include "../../base/json.h"
#include "../../base/yaml.h"
#include "../../kube/internal.h"
#include "../../kube/kube.h"
#include "test.h"

static char *tpath(const char *name)
{
	kd_buf b = KD_BUF_INIT;
	kd_buf_printf(&b, "%s/%s", kd_test_tmpdir(), name);
	return kd_buf_detach(&b);
}

static const char *KC1 =
	"apiVersion: v1\n"
	"kind: Config\n"
	"current-context: dev\n"
	"clusters:\n"
	"- name: c1\n"
	"  cluster:\n"
	"    server: https://127.0.0.1:6443/\n"
	"    certificate-authority: certs/ca.crt\n"
	"    tls-server-name: kubernetes\n"
	"- name: c2\n"
	"  cluster:\n"
	"    server: https://10.0.0.2\n"
	"    insecure-skip-tls-verify: true\n"
	"users:\n"
	"- name: u1\n"
	"  user:\n"
	"    client-certificate: u1.crt\n"
	"    client-key: /abs/u1.key\n"
	"- name: u2\n"
	"  user:\n"
	"    token: s3cr3t-t0ken-abcdef\n"
	"- name: u3\n"
	"  user:\n"
	"    exec:\n"
	"      apiVersion: client.authentication.k8s.io/v1\n"
	"      command: ./bin/cred-helper\n"
	"      args: [get, --x]\n"
	"      env: [{name: FOO, value: bar}]\n"
	"contexts:\n"
	"- name: dev\n"
	"  context: {cluster: c1, user: u1, namespace: team-a}\n"
	"- name: prod\n"
	"  context: {cluster: c2, user: u2}\n"
	"- name: ex\n"
	"  context: {cluster: c1, user: u3}\n";

TEST(kube_config_parse_basic)
{
	kd_kube_config *cfg = NULL;
	CHECK_INT(kd_kube_config_parse(&cfg, "/home/me/.kube/config", KC1, strlen(KC1), NULL), 0);
	if (!cfg)
		return;
	CHECK_STR(kd_kube_config_server(cfg), "https://127.0.0.1:6443");
	CHECK_STR(kd_kube_config_context(cfg), "dev");
	CHECK_STR(kd_kube_config_namespace(cfg), "team-a");
	CHECK_STR(kd_kube_config_ca_file(cfg), "/home/me/.kube/certs/ca.crt");
	CHECK_STR(kd_kube_config_cert_file(cfg), "/home/me/.kube/u1.crt");
	CHECK_STR(kd_kube_config_key_file(cfg), "/abs/u1.key");
	CHECK_STR(kd_kube_config_auth_kind(cfg), "client-certificate");
	CHECK(!kd_kube_config_insecure(cfg));
	kd_kube_config_free(cfg);
}

TEST(kube_config_context_and_namespace)
{
	kd_kube_config *cfg = NULL;
	kd_kube_config_options o = KD_KUBE_CONFIG_OPTIONS_INIT;
	o.context = "prod";
	CHECK_INT(kd_kube_config_parse(&cfg, "/k/config", KC1, strlen(KC1), &o), 0);
	if (cfg) {
		CHECK_STR(kd_kube_config_namespace(cfg), "default");
		CHECK_STR(kd_kube_config_auth_kind(cfg), "token");
		CHECK(kd_kube_config_insecure(cfg));
		kd_kube_config_free(cfg);
	}
	o.namespace_ = "override";
	CHECK_INT(kd_kube_config_parse(&cfg, "/k/config", KC1, strlen(KC1), &o), 0);
	if (cfg) {
		CHECK_STR(kd_kube_config_namespace(cfg), "override");
		kd_kube_config_free(cfg);
	}
	o.context = "ex";
	o.namespace_ = NULL;
	CHECK_INT(kd_kube_config_parse(&cfg, "/k/config", KC1, strlen(KC1), &o), 0);
	if (cfg) {
		CHECK_STR(kd_kube_config_exec_command(cfg), "/k/./bin/cred-helper");
		CHECK_STR(kd_kube_config_auth_kind(cfg), "exec");
		kd_kube_config_free(cfg);
	}
	/* --cluster and --user override the context's */
	o.context = "dev";
	o.cluster = "c2";
	o.user = "u2";
	CHECK_INT(kd_kube_config_parse(&cfg, "/k/config", KC1, strlen(KC1), &o), 0);
	if (cfg) {
		CHECK_STR(kd_kube_config_server(cfg), "https://10.0.0.2");
		CHECK_STR(kd_kube_config_auth_kind(cfg), "token");
		CHECK_STR(kd_kube_config_namespace(cfg), "team-a");
		kd_kube_config_free(cfg);
	}
	o.cluster = o.user = NULL;
	o.context = "nope";
	CHECK_INT(kd_kube_config_parse(&cfg, "/k/config", KC1, strlen(KC1), &o), KD_ENOTFOUND);
	CHECK(cfg == NULL);
	CHECK(strstr(kd_error_last(), "\"nope\"") != NULL);
}

TEST(kube_config_errors_have_positions)
{
	const char *bad = "clusters:\n- name: c\n  cluster:\n    server: 42\ncontexts:\n- name: x\n  context: {cluster: c}\ncurrent-context: x\n";
	kd_kube_config *cfg = NULL;
	CHECK_INT(kd_kube_config_parse(&cfg, "kc.yaml", bad, strlen(bad), NULL), KD_EINVALID);
	CHECK(kd_error_last() && strstr(kd_error_last(), "kc.yaml:4:13:") != NULL);
	const char *nocur = "clusters: []\n";
	CHECK(kd_kube_config_parse(&cfg, "kc.yaml", nocur, strlen(nocur), NULL) != 0);
	const char *badb64 = "clusters:\n- name: c\n  cluster:\n    server: https://x\n    certificate-authority-data: '!!notbase64-SECRETDATA'\n"
			     "contexts:\n- name: x\n  context: {cluster: c}\ncurrent-context: x\n";
	CHECK_INT(kd_kube_config_parse(&cfg, "kc.yaml", badb64, strlen(badb64), NULL), KD_EINVALID);
	CHECK(kd_error_last() && strstr(kd_error_last(), "SECRETDATA") == NULL);
	CHECK(kd_error_last() && strstr(kd_error_last(), "kc.yaml:5:") != NULL);
	const char *ap = "users:\n- name: u\n  user:\n    auth-provider: {name: gcp}\nclusters:\n- name: c\n  cluster: {server: https://x}\n"
			 "contexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n";
	CHECK_INT(kd_kube_config_parse(&cfg, "kc.yaml", ap, strlen(ap), NULL), KD_EINVALID);
}

TEST(kube_config_data_fields_decode)
{
	/* "hello" and "world" in base64; a long value folded over lines by YAML still decodes */
	const char *kc = "clusters:\n- name: c\n  cluster:\n    server: https://x:1\n    certificate-authority-data: aGVsbG8=\n"
			 "users:\n- name: u\n  user:\n    client-certificate-data: d29ybGQ=\n    client-key-data: d29y\n      bGQ=\n"
			 "contexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n";
	kd_kube_config *cfg = NULL;
	CHECK_INT(kd_kube_config_parse(&cfg, "kc", kc, strlen(kc), NULL), 0);
	if (cfg) {
		CHECK_INT(cfg->ca_len, 5);
		CHECK_STR(cfg->ca_data, "hello");
		CHECK_STR(cfg->cert_data, "world");
		CHECK_STR(cfg->key_data, "world");
		kd_kube_config_free(cfg);
	}
}

/* Saves and restores the environment variables a kubeconfig load reads. */
typedef struct {
	char *kubeconfig, *home, *host, *port;
} saved_env;

static char *dup_env(const char *n)
{
	const char *v = getenv(n);
	return v ? kd_strdup(v) : NULL;
}

static void env_save(saved_env *s)
{
	s->kubeconfig = dup_env("KUBECONFIG");
	s->home = dup_env("HOME");
	s->host = dup_env("KUBERNETES_SERVICE_HOST");
	s->port = dup_env("KUBERNETES_SERVICE_PORT");
}

static void restore(const char *n, char *v)
{
	if (v)
		setenv(n, v, 1);
	else
		unsetenv(n);
	free(v);
}

static void env_restore(saved_env *s)
{
	restore("KUBECONFIG", s->kubeconfig);
	restore("HOME", s->home);
	restore("KUBERNETES_SERVICE_HOST", s->host);
	restore("KUBERNETES_SERVICE_PORT", s->port);
}

TEST(kube_config_kubeconfig_list_merge)
{
	saved_env se;
	env_save(&se);
	char *a = tpath("a.yaml"), *b = tpath("b.yaml"), *missing = tpath("missing.yaml");
	char *sub = tpath("sub");
	mkdir(sub, 0700);
	char *c = tpath("sub/c.yaml");
	/* a: no current-context; defines cluster "shared" -> https://a */
	kd_test_write_file(a, "clusters:\n- name: shared\n  cluster: {server: 'https://a:1'}\n"
		      "contexts:\n- name: ctx-b\n  context: {cluster: shared, user: ub, namespace: from-a}\n",
		0600);
	/* b: current-context ctx-b; redefines "shared" (loses) and context ctx-b (loses) */
	kd_test_write_file(b, "current-context: ctx-b\nclusters:\n- name: shared\n  cluster: {server: 'https://b:1'}\n"
		      "users:\n- name: ub\n  user: {tokenFile: tok}\n"
		      "contexts:\n- name: ctx-b\n  context: {cluster: shared, user: ub, namespace: from-b}\n",
		0600);
	/* c: a later current-context that must not win */
	kd_test_write_file(c, "current-context: other\nusers:\n- name: ub\n  user: {token: later}\n", 0600);
	kd_buf list = KD_BUF_INIT;
	kd_buf_printf(&list, "%s:%s::%s:%s", a, missing, b, c);
	setenv("KUBECONFIG", kd_buf_cstr(&list), 1);
	kd_kube_config *cfg = NULL;
	CHECK_INT(kd_kube_config_load(&cfg, NULL), 0);
	if (cfg) {
		CHECK_STR(kd_kube_config_context(cfg), "ctx-b");
		CHECK_STR(kd_kube_config_server(cfg), "https://a:1");
		CHECK_STR(kd_kube_config_namespace(cfg), "from-a");
		/* user ub comes from b, so its tokenFile resolves against b's folder */
		char *want = tpath("tok");
		CHECK_STR(kd_kube_config_token_file(cfg), want);
		CHECK_STR(kd_kube_config_auth_kind(cfg), "token-file");
		free(want);
		kd_kube_config_free(cfg);
	}
	/* --kubeconfig wins over KUBECONFIG, and must exist */
	kd_kube_config_options o = KD_KUBE_CONFIG_OPTIONS_INIT;
	o.kubeconfig = missing;
	CHECK_INT(kd_kube_config_load(&cfg, &o), KD_ENOTFOUND);
	o.kubeconfig = c;
	o.context = "nope";
	CHECK_INT(kd_kube_config_load(&cfg, &o), KD_ENOTFOUND);
	/* ~/.kube/config when KUBECONFIG is unset */
	unsetenv("KUBECONFIG");
	char *home = tpath("home");
	char *kd = tpath("home/.kube");
	char *kf = tpath("home/.kube/config");
	mkdir(home, 0700);
	mkdir(kd, 0700);
	kd_test_write_file(kf, "current-context: h\nclusters:\n- {name: hc, cluster: {server: 'http://127.0.0.1:9'}}\n"
		       "contexts:\n- {name: h, context: {cluster: hc}}\n",
		0600);
	setenv("HOME", home, 1);
	CHECK_INT(kd_kube_config_load(&cfg, NULL), 0);
	if (cfg) {
		CHECK_STR(kd_kube_config_server(cfg), "http://127.0.0.1:9");
		CHECK_STR(kd_kube_config_auth_kind(cfg), "none");
		kd_kube_config_free(cfg);
	}
	free(home);
	free(kd);
	free(kf);
	kd_buf_free(&list);
	free(a);
	free(b);
	free(c);
	free(sub);
	free(missing);
	env_restore(&se);
}

TEST(kube_config_in_cluster)
{
	saved_env se;
	env_save(&se);
	char *sa = tpath("sa"), *home = tpath("emptyhome");
	mkdir(sa, 0700);
	mkdir(home, 0700);
	char *t = tpath("sa/token"), *ca = tpath("sa/ca.crt"), *ns = tpath("sa/namespace");
	kd_test_write_file(t, "sa-token\n", 0600);
	kd_test_write_file(ca, "-----BEGIN CERTIFICATE-----\n", 0600);
	kd_test_write_file(ns, "spark-ns\n", 0600);
	unsetenv("KUBECONFIG");
	setenv("HOME", home, 1);
	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	kd_kube_config_options o = KD_KUBE_CONFIG_OPTIONS_INIT;
	o.in_cluster_dir = sa;
	kd_kube_config *cfg = NULL;
	CHECK_INT(kd_kube_config_load(&cfg, &o), 0);
	if (cfg) {
		CHECK(kd_kube_config_in_cluster(cfg));
		CHECK_STR(kd_kube_config_server(cfg), "https://10.96.0.1:443");
		CHECK_STR(kd_kube_config_namespace(cfg), "spark-ns");
		CHECK_STR(kd_kube_config_token_file(cfg), t);
		CHECK_STR(kd_kube_config_ca_file(cfg), ca);
		kd_kube_config_free(cfg);
	}
	unsetenv("KUBERNETES_SERVICE_HOST");
	CHECK_INT(kd_kube_config_load(&cfg, &o), KD_ERROR);
	CHECK(strstr(kd_error_last(), "no kubeconfig found") != NULL);
	free(sa);
	free(home);
	free(t);
	free(ca);
	free(ns);
	env_restore(&se);
}

TEST(kube_status_error_mapping)
{
	static const struct {
		long http;
		const char *body;
		int code;
		const char *msg;
	} cases[] = {
		{404, "{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"deployments.apps \\\"web\\\" not found\",\"reason\":\"NotFound\",\"code\":404}",
			KD_ENOTFOUND, "deployments.apps \"web\" not found"},
		{409, "{\"kind\":\"Status\",\"message\":\"configmaps \\\"c\\\" already exists\",\"reason\":\"AlreadyExists\",\"code\":409}", KD_EEXISTS,
			"configmaps \"c\" already exists"},
		{409, "{\"kind\":\"Status\",\"message\":\"Apply failed with 1 conflict: conflict with \\\"other\\\": .data.k\",\"reason\":\"Conflict\",\"code\":409}",
			KD_ECONFLICT, "Apply failed with 1 conflict: conflict with \"other\": .data.k"},
		{422, "{\"kind\":\"Status\",\"message\":\"Deployment.apps \\\"x\\\" is invalid\",\"reason\":\"Invalid\",\"code\":422,"
		      "\"details\":{\"causes\":[{\"field\":\"spec.replicas\",\"message\":\"must be >= 0\"}]}}",
			KD_EINVALID, "Deployment.apps \"x\" is invalid; spec.replicas: must be >= 0"},
		{401, "{\"kind\":\"Status\",\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\",\"code\":401}", KD_EAUTH, "Unauthorized"},
		{403, "{\"kind\":\"Status\",\"message\":\"pods is forbidden: User \\\"bob\\\" cannot list\",\"reason\":\"Forbidden\",\"code\":403}",
			KD_EFORBIDDEN, "pods is forbidden: User \"bob\" cannot list"},
		{504, "{\"kind\":\"Status\",\"message\":\"request timed out\",\"reason\":\"Timeout\",\"code\":504}", KD_ETIMEOUT, "request timed out"},
		{500, "{\"kind\":\"Status\",\"message\":\"etcd fell over\",\"reason\":\"InternalError\",\"code\":500}", KD_ERROR,
			"etcd fell over (HTTP 500 InternalError)"},
		{502, "Bad Gateway\n", KD_ERROR, "the server answered HTTP 502: Bad Gateway "},
		{200, "{}", 0, NULL},
	};
	for (size_t i = 0; i < KD_ARRAY_SIZE(cases); i++) {
		kd_error_clear();
		CHECK_INT(kd_kube_status_error(cases[i].http, cases[i].body, strlen(cases[i].body)), cases[i].code);
		if (cases[i].msg)
			CHECK_STR(kd_error_last(), cases[i].msg);
	}
}

typedef struct {
	kd_buf lines;
} logcap;

static void capture(void *payload, const char *line)
{
	logcap *l = payload;
	kd_buf_printf(&l->lines, "%s\n", line);
}

TEST(kube_secrets_never_in_errors_or_logs)
{
	/* Port 9 on loopback: nothing listens, every attempt fails with a connection error. */
	const char *kc = "current-context: x\nclusters:\n- name: c\n  cluster: {server: 'https://user:pw-SECRET1@127.0.0.1:9', proxy-url: 'http://puser:pw-SECRET2@127.0.0.1:9'}\n"
			 "users:\n- name: u\n  user: {token: tok-SECRET3}\n- name: b\n  user: {username: bob, password: pw-SECRET4}\n"
			 "contexts:\n- name: ctx-token\n  context: {cluster: c, user: u}\n- name: ctx-basic\n  context: {cluster: c, user: b}\n";
	const char *ctxs[] = {"ctx-token", "ctx-basic"};
	for (size_t i = 0; i < 2; i++) {
		kd_kube_config_options co = KD_KUBE_CONFIG_OPTIONS_INIT;
		co.context = ctxs[i];
		kd_kube_config *cfg = NULL;
		kd_kube_client *c = NULL;
		logcap lc = {KD_BUF_INIT};
		if (!CHECK_INT(kd_kube_config_parse(&cfg, "kc", kc, strlen(kc), &co), 0))
			continue;
		kd_kube_client_options o = KD_KUBE_CLIENT_OPTIONS_INIT;
		o.verbosity = 10;
		o.log = capture;
		o.log_payload = &lc;
		o.budget_ms = 700;
		o.discovery_ttl_s = -1;
		CHECK_INT(kd_kube_client_new(&c, cfg, &o), 0);
		if (c) {
			cJSON *obj = NULL;
			kd_kube_ref r = {"v1", "ConfigMap", "ns", "n", NULL};
			CHECK(kd_kube_get(&obj, c, &r) != 0);
			const char *e = kd_error_last();
			CHECK(e != NULL);
			for (int s = 1; s <= 4; s++) {
				char secret[32];
				snprintf(secret, sizeof(secret), "SECRET%d", s);
				CHECK(e && strstr(e, secret) == NULL);
				CHECK(strstr(kd_buf_cstr(&lc.lines), secret) == NULL);
			}
			CHECK(strstr(kd_buf_cstr(&lc.lines), "GET https://REDACTED@127.0.0.1:9/api/v1") != NULL);
			CHECK(kd_kube_client_attempts(c) > 1); /* connection errors are retried */
		}
		kd_kube_client_free(c);
		kd_kube_config_free(cfg);
		kd_buf_free(&lc.lines);
	}
}

static const char *EXEC_SCRIPT =
	"#!/bin/sh\n"
	"n=$(cat \"$COUNTER\" 2>/dev/null || echo 0); echo $((n+1)) > \"$COUNTER\"\n"
	"echo \"$KUBERNETES_EXEC_INFO\" > \"$COUNTER.info\"\n"
	"echo \"$@\" > \"$COUNTER.args\"\n"
	"printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%s\",\"expirationTimestamp\":\"%s\"}}' \"$TOKEN\" \"$EXPIRES\"\n";

static int exec_runs(const char *counter)
{
	char *t = NULL;
	size_t n;
	if (kd_file_read(&t, &n, counter, 100))
		return 0;
	int v = (int)strtol(t, NULL, 10);
	free(t);
	return v;
}

TEST(kube_exec_credential_cache)
{
	char *script = tpath("cred.sh"), *counter = tpath("cred.count");
	kd_test_write_file(script, EXEC_SCRIPT, 0700);
	unlink(counter);
	kd_buf kc = KD_BUF_INIT;
	kd_buf_printf(&kc,
		"current-context: x\nclusters:\n- {name: c, cluster: {server: 'https://127.0.0.1:9', certificate-authority-data: aGVsbG8=}}\n"
		"users:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: %s\n"
		"      args: [one, two]\n      provideClusterInfo: true\n"
		"      env: [{name: COUNTER, value: '%s'}, {name: TOKEN, value: exec-tok}, {name: EXPIRES, value: '2999-01-01T00:00:00Z'}]\n"
		"contexts:\n- {name: x, context: {cluster: c, user: u}}\n",
		script, counter);
	kd_kube_config *cfg = NULL;
	CHECK_INT(kd_kube_config_parse(&cfg, "/tmp/kc", kd_buf_cstr(&kc), kc.len, NULL), 0);
	if (!cfg)
		goto out;
	kd_kube__exec_cred cred = {0};
	CHECK_INT(kd_kube__exec_get(&cred, cfg, false, NULL), 0);
	CHECK_STR(cred.token, "exec-tok");
	CHECK_INT(kd_kube__exec_get(&cred, cfg, false, NULL), 0);
	CHECK_INT(exec_runs(counter), 1); /* cached until it expires */
	kd_buf p = KD_BUF_INIT;
	char *info = NULL, *args = NULL;
	size_t n;
	kd_buf_printf(&p, "%s.info", counter);
	if (CHECK_INT(kd_file_read(&info, &n, kd_buf_cstr(&p), 0), 0)) {
		CHECK(strstr(info, "\"kind\":\"ExecCredential\"") != NULL);
		CHECK(strstr(info, "\"certificate-authority-data\":\"aGVsbG8=\"") != NULL);
		CHECK(strstr(info, "\"server\":\"https://127.0.0.1:9\"") != NULL);
	}
	kd_buf_printf(&p, ".args");
	kd_buf_clear(&p);
	kd_buf_printf(&p, "%s.args", counter);
	if (CHECK_INT(kd_file_read(&args, &n, kd_buf_cstr(&p), 0), 0))
		CHECK_STR(args, "one two\n");
	/* an expired credential runs the plugin again */
	kd_kube__exec_cred_clear(&cred);
	for (char **e = cfg->exec_env; *e; e++)
		if (strncmp(*e, "EXPIRES=", 8) == 0) {
			free(*e);
			*e = kd_strdup("EXPIRES=2001-01-01T00:00:00.5Z");
		}
	CHECK_INT(kd_kube__exec_get(&cred, cfg, false, NULL), 0);
	CHECK_INT(kd_kube__exec_get(&cred, cfg, false, NULL), 0);
	CHECK_INT(exec_runs(counter), 3);
	/* a failing plugin: the error names the command, not the output */
	for (char **e = cfg->exec_env; *e; e++)
		if (strncmp(*e, "TOKEN=", 6) == 0) {
			free(*e);
			*e = kd_strdup("TOKEN=bad\"json-SECRET");
		}
	CHECK(kd_kube__exec_get(&cred, cfg, true, NULL) != 0);
	CHECK(strstr(kd_error_last(), "SECRET") == NULL);
	kd_kube__exec_cred_clear(&cred);
	free(info);
	free(args);
	kd_buf_free(&p);
	kd_kube_config_free(cfg);
out:
	kd_buf_free(&kc);
	free(script);
	free(counter);
}

TEST(kube_exec_parse)
{
	kd_kube__exec_cred c = {0};
	const char *v1b = "{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\","
			  "\"status\":{\"clientCertificateData\":\"CERT\",\"clientKeyData\":\"KEY\"}}";
	CHECK_INT(kd_kube__exec_parse(&c, "client.authentication.k8s.io/v1beta1", v1b, strlen(v1b)), 0);
	CHECK_STR(c.cert, "CERT");
	CHECK_STR(c.key, "KEY");
	CHECK(c.token == NULL && c.expires_us == 0);
	CHECK(kd_kube__exec_parse(&c, "client.authentication.k8s.io/v1", v1b, strlen(v1b)) != 0);
	const char *nost = "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\"}";
	CHECK(kd_kube__exec_parse(&c, "client.authentication.k8s.io/v1", nost, strlen(nost)) != 0);
	kd_kube__exec_cred_clear(&c);
}

TEST(kube_time_parse)
{
	int64_t us;
	CHECK_INT(kd_kube_time_parse(&us, "1970-01-01T00:00:00Z"), 0);
	CHECK_INT(us, 0);
	CHECK_INT(kd_kube_time_parse(&us, "2024-05-01T10:00:00Z"), 0);
	CHECK_INT(us, 1714557600LL * 1000000);
	CHECK_INT(kd_kube_time_parse(&us, "2024-05-01T10:00:00.123456Z"), 0);
	CHECK_INT(us, 1714557600LL * 1000000 + 123456);
	CHECK_INT(kd_kube_time_parse(&us, "2024-05-01T12:00:00.5+02:00"), 0);
	CHECK_INT(us, 1714557600LL * 1000000 + 500000);
	CHECK_INT(kd_kube_time_parse(&us, "2024-02-30T00:00:00Z"), KD_EINVALID);
	CHECK_INT(kd_kube_time_parse(&us, "2024-05-01 10:00"), KD_EINVALID);
	CHECK_INT(kd_kube_time_parse(&us, "2024-05-01T10:00:00"), KD_EINVALID);
}

TEST(kube_leader_parse)
{
	const char *cm = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"lock\",\"annotations\":{"
			 "\"control-plane.alpha.kubernetes.io/leader\":\"{\\\"holderIdentity\\\":\\\"spark-0\\\",\\\"leaseDurationSeconds\\\":15,"
			 "\\\"acquireTime\\\":\\\"2024-05-01T10:00:00Z\\\",\\\"renewTime\\\":\\\"2024-05-01T10:00:05Z\\\",\\\"leaderTransitions\\\":2}\"}}}";
	cJSON *o = cJSON_Parse(cm);
	kd_kube_leader_record r = KD_KUBE_LEADER_RECORD_INIT;
	CHECK_INT(kd_kube_leader_parse(&r, o), 0);
	CHECK_STR(r.holder, "spark-0");
	CHECK_INT(r.kind, KD_KUBE_LOCK_CONFIGMAP);
	CHECK_INT(r.lease_duration_s, 15);
	CHECK_INT(r.transitions, 2);
	CHECK_INT(r.renew_time_us - r.acquire_time_us, 5000000);
	kd_kube_leader_record_clear(&r);
	cJSON_Delete(o);
	const char *lease = "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{\"name\":\"l\"},\"spec\":{"
			    "\"holderIdentity\":\"spark-1\",\"leaseDurationSeconds\":10,\"acquireTime\":\"2024-05-01T10:00:00.000000Z\","
			    "\"renewTime\":\"2024-05-01T10:00:01.250000Z\",\"leaseTransitions\":4}}";
	o = cJSON_Parse(lease);
	CHECK_INT(kd_kube_leader_parse(&r, o), 0);
	CHECK_STR(r.holder, "spark-1");
	CHECK_INT(r.kind, KD_KUBE_LOCK_LEASE);
	CHECK_INT(r.transitions, 4);
	CHECK_INT(r.renew_time_us - r.acquire_time_us, 1250000);
	kd_kube_leader_record_clear(&r);
	cJSON_Delete(o);
	o = cJSON_Parse("{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"}}");
	CHECK_INT(kd_kube_leader_parse(&r, o), KD_ENOTFOUND);
	cJSON_Delete(o);
	o = cJSON_Parse("{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\",\"annotations\":{\"control-plane.alpha.kubernetes.io/leader\":\"nope\"}}}");
	CHECK_INT(kd_kube_leader_parse(&r, o), KD_EINVALID);
	cJSON_Delete(o);
	kd_kube_leader_record_clear(&r);
}

typedef struct {
	kd_buf got;
} events;

static int collect_event(void *payload, const char *json, size_t len)
{
	events *e = payload;
	int type;
	cJSON *obj = NULL;
	if (kd_kube__event_parse(&type, &obj, json, len))
		return KD_EINVALID;
	kd_buf_printf(&e->got, "%d:%s;", type, kd_json_get_str(kd_json_get(obj, "metadata"), "name"));
	cJSON_Delete(obj);
	return 0;
}

TEST(kube_watch_stream_parser)
{
	const char *stream = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a}{\\\"\"}}}\n"
			     "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"b\"},\"x\":[1,{\"y\":\"]\"}]}}\n"
			     "  {\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"name\":\"\",\"resourceVersion\":\"9\"}}}\n"
			     "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"c\"}}}\n";
	size_t len = strlen(stream);
	const char *want = "0:a}{\";1:b;3:;2:c;";
	/* every split point, and byte by byte */
	for (size_t cut = 0; cut <= len; cut++) {
		kd_kube__stream s = {0};
		events e = {KD_BUF_INIT};
		CHECK_INT(kd_kube__stream_feed(&s, stream, cut, collect_event, &e), 0);
		CHECK_INT(kd_kube__stream_feed(&s, stream + cut, len - cut, collect_event, &e), 0);
		if (!CHECK_STR(kd_buf_cstr(&e.got), want))
			break;
		kd_kube__stream_reset(&s);
		kd_buf_free(&e.got);
	}
	kd_kube__stream s = {0};
	events e = {KD_BUF_INIT};
	for (size_t i = 0; i < len; i++)
		CHECK_INT(kd_kube__stream_feed(&s, stream + i, 1, collect_event, &e), 0);
	CHECK_STR(kd_buf_cstr(&e.got), want);
	kd_kube__stream_reset(&s);
	kd_buf_free(&e.got);
	/* garbage between events and oversized events are errors */
	CHECK_INT(kd_kube__stream_feed(&s, "x{}", 3, collect_event, &e), KD_EINVALID);
	kd_kube__stream_reset(&s);
	s.max = 8;
	CHECK_INT(kd_kube__stream_feed(&s, "{\"a\":\"0123456789\"}", 18, collect_event, &e), KD_ELIMIT);
	kd_kube__stream_reset(&s);
	kd_buf_free(&e.got);
}

TEST(kube_selector_string)
{
	cJSON *sel = cJSON_Parse("{\"matchLabels\":{\"app\":\"spark\",\"tier\":\"x\"},\"matchExpressions\":["
				 "{\"key\":\"env\",\"operator\":\"In\",\"values\":[\"a\",\"b\"]},{\"key\":\"k\",\"operator\":\"Exists\"},"
				 "{\"key\":\"d\",\"operator\":\"DoesNotExist\"},{\"key\":\"n\",\"operator\":\"NotIn\",\"values\":[\"z\"]}]}");
	kd_buf b = KD_BUF_INIT;
	kd_kube__selector_string(&b, sel);
	CHECK_STR(kd_buf_cstr(&b), "app=spark,tier=x,env in (a,b),k,!d,n notin (z)");
	kd_buf_free(&b);
	cJSON_Delete(sel);
}

static cJSON *read_json(const char *path)
{
	char *t = NULL;
	size_t n;
	if (kd_file_read(&t, &n, path, 0))
		return NULL;
	cJSON *j = cJSON_ParseWithLength(t, n);
	free(t);
	return j;
}

TEST(kube_readiness_cases)
{
	kd_buf dir = KD_BUF_INIT;
	kd_buf_printf(&dir, "%s/tests/kube/readiness", kd_test_root());
	DIR *d = opendir(kd_buf_cstr(&dir));
	CHECK(d != NULL);
	if (!d) {
		kd_buf_free(&dir);
		return;
	}
	struct dirent *de;
	int n = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		kd_buf p = KD_BUF_INIT;
		kd_buf_printf(&p, "%s/%s/object.json", kd_buf_cstr(&dir), de->d_name);
		cJSON *obj = read_json(kd_buf_cstr(&p));
		kd_buf_clear(&p);
		kd_buf_printf(&p, "%s/%s/pods.json", kd_buf_cstr(&dir), de->d_name);
		cJSON *pods = read_json(kd_buf_cstr(&p));
		kd_buf_clear(&p);
		kd_buf_printf(&p, "%s/%s/expected.txt", kd_buf_cstr(&dir), de->d_name);
		char *want = NULL;
		size_t wl = 0;
		kd_file_read(&want, &wl, kd_buf_cstr(&p), 0);
		while (want && wl && want[wl - 1] == '\n')
			want[--wl] = '\0';
		kd_kube_status st;
		kd_kube_status_compute(&st, obj, pods);
		kd_buf got = KD_BUF_INIT;
		kd_buf_puts(&got, kd_kube_state_name(st.state));
		if (st.reason[0])
			kd_buf_printf(&got, ": %s", st.reason);
		kd_buf name = KD_BUF_INIT;
		kd_buf_printf(&name, "kube_readiness/%s", de->d_name);
		bool ok = obj && want && strcmp(kd_buf_cstr(&got), want) == 0;
		kd_buf why = KD_BUF_INIT;
		kd_buf_printf(&why, "got \"%s\", want \"%s\"", kd_buf_cstr(&got), want ? want : "(no expected.txt)");
		kd_test_case_result(kd_buf_cstr(&name), ok, ok ? NULL : kd_buf_cstr(&why));
		n++;
		kd_buf_free(&why);
		kd_buf_free(&name);
		kd_buf_free(&got);
		free(want);
		cJSON_Delete(obj);
		cJSON_Delete(pods);
		kd_buf_free(&p);
	}
	closedir(d);
	CHECK(n >= 30);
	/* NULL is NotFound */
	kd_kube_status st;
	kd_kube_status_compute(&st, NULL, NULL);
	CHECK_INT(st.state, KD_KUBE_NOT_FOUND);
	kd_buf_free(&dir);
}

TEST(kube_redact_url)
{
	kd_buf b = KD_BUF_INIT;
	kd_kube__redact_url(&b, "https://u:p@h:1/a@b");
	CHECK_STR(kd_buf_cstr(&b), "https://REDACTED@h:1/a@b");
	kd_buf_clear(&b);
	kd_kube__redact_url(&b, "https://h:1/x?y=@");
	CHECK_STR(kd_buf_cstr(&b), "https://h:1/x?y=@");
	kd_buf_free(&b);
}

/* tests/kube/names.yaml: the name rules, case by case (see the file's header). */
TEST(kube_name_cases)
{
	kd_buf path = KD_BUF_INIT;
	char *text = NULL;
	size_t len = 0;
	cJSON *cases = NULL;
	kd_buf_printf(&path, "%s/tests/kube/names.yaml", kd_test_root());
	if (!CHECK_INT(kd_file_read(&text, &len, kd_buf_cstr(&path), 0), 0) ||
		!CHECK_INT(kd_yaml_parse_one(&cases, NULL, kd_buf_cstr(&path), text, len), 0))
		goto done;
	const cJSON *c;
	int n = 0;
	cJSON_ArrayForEach(c, cases)
	{
		const char *av = kd_json_get_str(c, "apiVersion"), *kind = kd_json_get_str(c, "kind");
		const char *want = kd_json_get_str(c, "error");
		const char *field = NULL, *value = NULL;
		static const char *const fields[] = {"name", "generateName", "namespace", "segment"};
		for (size_t i = 0; i < KD_ARRAY_SIZE(fields) && !value; i++)
			if ((value = kd_json_get_str(c, fields[i])))
				field = fields[i];
		if (!CHECK(value != NULL))
			continue;
		const cJSON *rep = kd_json_get(c, "repeat");
		kd_buf v = KD_BUF_INIT;
		for (int r = 0; r < (cJSON_IsNumber(rep) ? rep->valueint : 1); r++)
			kd_buf_puts(&v, value);
		char why[1024] = "";
		int rc;
		if (strcmp(field, "namespace") == 0)
			rc = kd_kube_check_namespace(why, sizeof(why), kd_buf_cstr(&v));
		else if (strcmp(field, "segment") == 0)
			rc = kd_kube_check_path_segment(why, sizeof(why), "value", kd_buf_cstr(&v));
		else
			rc = kd_kube_check_name(why, sizeof(why), av, kind, kd_buf_cstr(&v), strcmp(field, "generateName") == 0);
		bool ok = want ? rc == KD_EINVALID && strstr(why, want) != NULL : rc == 0 && why[0] == '\0';
		kd_buf name = KD_BUF_INIT, msg = KD_BUF_INIT;
		kd_buf_printf(&name, "kube_names/%s %s %s=%.40s", av ? av : "", kind ? kind : "", field, value);
		kd_buf_printf(&msg, "  rc %d, message: %s\n  want: %s\n", rc, why, want ? want : "(valid)");
		kd_test_case_result(kd_buf_cstr(&name), ok, ok ? NULL : kd_buf_cstr(&msg));
		kd_buf_free(&name);
		kd_buf_free(&msg);
		kd_buf_free(&v);
		n++;
	}
	CHECK(n >= 50);
	/* the rule table itself */
	CHECK_INT(kd_kube_name_rule_of("v1", "Service"), KD_KUBE_NAME_LABEL);
	CHECK_INT(kd_kube_name_rule_of("serving.knative.dev/v1", "Service"), KD_KUBE_NAME_SUBDOMAIN);
	CHECK_INT(kd_kube_name_rule_of("rbac.authorization.k8s.io/v1", "Role"), KD_KUBE_NAME_PATH_SEGMENT);
	CHECK_INT(kd_kube_name_rule_of(NULL, NULL), KD_KUBE_NAME_SUBDOMAIN);
done:
	cJSON_Delete(cases);
	free(text);
	kd_buf_free(&path);
}

/* Numbers from the server beyond a long saturate instead of being cast (undefined behaviour). */
TEST(kube_leader_parse_huge_numbers)
{
	cJSON *lease = cJSON_Parse("{\"kind\":\"Lease\",\"spec\":{\"holderIdentity\":\"a\",\"leaseDurationSeconds\":1e300,"
				   "\"leaseTransitions\":-1e400}}");
	kd_kube_leader_record r = KD_KUBE_LEADER_RECORD_INIT;
	CHECK_INT(kd_kube_leader_parse(&r, lease), 0);
	CHECK(r.lease_duration_s == LONG_MAX);
	CHECK(r.transitions == LONG_MIN);
	kd_kube_leader_record_clear(&r);
	cJSON_Delete(lease);
	cJSON *st = cJSON_Parse("{\"kind\":\"Status\",\"code\":1e300,\"reason\":\"Weird\",\"message\":\"m\"}");
	CHECK_INT(kd_kube__status_to_error(503, st), KD_ERROR);
	CHECK_STR(kd_error_last(), "m (HTTP 503 Weird)"); /* an impossible code is ignored */
	cJSON_Delete(st);
	cJSON *one = cJSON_CreateNumber(2.9);
	CHECK_INT(kd_kube__json_long(one, 7), 2);
	CHECK_INT(kd_kube__json_long(NULL, 7), 7);
	cJSON_Delete(one);
}

/* The helpers for memory that holds key material (kube/secret.c). */
TEST(kube_secret_buffers)
{
	/* growth moves the contents (no realloc) and keeps them whole */
	kd_buf b = KD_BUF_INIT;
	kd_buf want = KD_BUF_INIT;
	for (int i = 0; i < 2000; i++) {
		char piece[16];
		int n = snprintf(piece, sizeof(piece), "k%d;", i);
		CHECK_INT(kd_kube__secret_put(&b, piece, (size_t)n), 0);
		kd_buf_put(&want, piece, (size_t)n);
	}
	CHECK_STR(kd_buf_cstr(&b), kd_buf_cstr(&want));
	size_t cap = b.cap;
	CHECK_INT(kd_kube__secret_reserve(&b, 10), 0); /* room already there: no move */
	CHECK(b.cap == cap);
	kd_kube__secret_buf_free(&b);
	CHECK(b.ptr == NULL && b.len == 0 && b.cap == 0);
	b.max = 8;
	CHECK_INT(kd_kube__secret_put(&b, "12345678", 8), 0);
	CHECK_INT(kd_kube__secret_put(&b, "9", 1), KD_ELIMIT);
	CHECK_STR(kd_buf_cstr(&b), "12345678");
	kd_kube__secret_buf_free(&b);
	kd_buf_free(&want);

	/* files are read whole, of any size; errors name the file, never its content */
	static const size_t sizes[] = {0, 1, 4095, 4096, 70001};
	char *path = tpath("secret-file");
	for (size_t i = 0; i < KD_ARRAY_SIZE(sizes); i++) {
		kd_buf text = KD_BUF_INIT;
		for (size_t k = 0; k < sizes[i]; k++)
			kd_buf_putc(&text, (char)('a' + k % 26));
		kd_test_write_file(path, kd_buf_cstr(&text), 0600);
		char *got = NULL;
		size_t len = 99;
		CHECK_INT(kd_kube__secret_file_read(&got, &len, path, 1 << 20), 0);
		CHECK_INT(len, sizes[i]);
		CHECK(got && strcmp(got, kd_buf_cstr(&text)) == 0);
		kd_kube__scrub_free(got, len);
		kd_buf_free(&text);
	}
	kd_test_write_file(path, "sekrit-token-value", 0600);
	char *got = NULL;
	size_t len = 0;
	CHECK_INT(kd_kube__secret_file_read(&got, &len, path, 5), KD_ELIMIT);
	CHECK(got == NULL);
	CHECK(kd_error_last() && strstr(kd_error_last(), "secret-file") && !strstr(kd_error_last(), "sekrit"));
	CHECK_INT(kd_kube__secret_file_read(&got, &len, kd_test_tmpdir(), 100), KD_ERROR);
	CHECK_INT(kd_kube__secret_file_read(&got, &len, "/nonexistent/kudoc/x", 100), KD_ENOTFOUND);
	free(path);

	/* a parse tree is wiped value by value (keys stay: they are field names) */
	cJSON *tree = cJSON_Parse("{\"status\":{\"token\":\"abc\",\"list\":[\"x\",{\"key\":\"pem\"}],\"n\":1}}");
	kd_kube__json_scrub(tree);
	const cJSON *st = kd_json_get(tree, "status");
	CHECK(kd_json_get(st, "token") && kd_json_get(st, "token")->valuestring[0] == '\0');
	CHECK(cJSON_GetArrayItem(kd_json_get(st, "list"), 0)->valuestring[0] == '\0');
	CHECK(kd_json_get(cJSON_GetArrayItem(kd_json_get(st, "list"), 1), "key")->valuestring[0] == '\0');
	CHECK_INT(kd_json_get(st, "n")->valueint, 1);
	kd_kube__json_scrub_delete(tree);
	kd_kube__json_scrub_delete(NULL);

	/* key data decodes through presized buffers: same bytes as before, folded or not */
	char *dec = NULL;
	size_t dl = 0;
	CHECK_INT(kd_kube__b64_decode(&dec, &dl, "aGVs\n bG8g\td29y bGQ=", 20), 0);
	CHECK(dec && dl == 11 && memcmp(dec, "hello world", 11) == 0);
	kd_kube__scrub_free(dec, dl);
	CHECK_INT(kd_kube__b64_decode(&dec, &dl, "a!==", 4), KD_EINVALID);
	CHECK(dec == NULL);
}
