/* `sync` and revisions installed from git, against the test cluster. The repositories hold the
 * e2e package app (tests/e2e/packages/app-0.1.0 ... 0.3.0, tests/git/app_repo.sh) and are served
 * as file://, by `git daemon` (git://), by `git http-backend` behind tests/git/httpd.py (basic
 * auth) and by OpenSSH's sshd (a test host key, user key and known_hosts), all on loopback and
 * started here. kubectl-kudo runs with its own git cache (XDG_CACHE_HOME) in the scratch folder. */
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../base/base.h"
#include "../../base/json.h"
#include "../../gitops/gitops.h"
#include "../../kube/kube.h"
#include "../../plans/plans.h"
#include "e2e.h"
#include "gitfix.h"
#include "run_cmd.h"
#include "test.h"

/* ---- helpers ------------------------------------------------------------------------------------ */

static const char *cache_dir(void)
{
	static char dir[512];
	if (!dir[0])
		snprintf(dir, sizeof(dir), "%s", kd_gitfix_newdir("sync-xdg-cache"));
	return dir;
}

/* Runs kubectl-kudo ARGS -n NS against the test cluster, with `env` (assignments, may be NULL)
 * before it. */
static int kudo(kd_buf *out, kd_buf *err, const char *env, const char *ns, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int kudo(kd_buf *out, kd_buf *err, const char *env, const char *ns, const char *fmt, ...)
{
	kd_buf args = KD_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	kd_buf_vprintf(&args, fmt, ap);
	va_end(ap);
	kd_buf_clear(out);
	kd_buf_clear(err);
	int rc = kd_t_sh(out, err, "cd '%s' && env XDG_CACHE_HOME='%s' %s '%s' %s -n '%s' --kubeconfig '%s'", kd_test_root(),
		cache_dir(), env ? env : "", kd_test_exe(), kd_buf_cstr(&args), ns, kd_test_kubeconfig());
	kd_buf_free(&args);
	return rc;
}

#define RUN(code, env, ns, ...)                                                                         \
	do {                                                                                            \
		int rc_ = kudo(&out, &err, env, ns, __VA_ARGS__);                                           \
		if (!CHECK_INT(rc_, code))                                                                  \
			fprintf(stderr, "  stdout:\n%s\n  stderr:\n%s\n", kd_buf_cstr(&out), kd_buf_cstr(&err)); \
	} while (0)

#define HAS(buf, s)                                                                   \
	do {                                                                              \
		if (!CHECK(strstr(kd_buf_cstr(&(buf)), (s)) != NULL))                         \
			fprintf(stderr, "  expected \"%s\" in:\n%s\n", (s), kd_buf_cstr(&(buf))); \
	} while (0)

#define HAS_NOT(buf, s)                                                               \
	do {                                                                              \
		if (!CHECK(strstr(kd_buf_cstr(&(buf)), (s)) == NULL))                         \
			fprintf(stderr, "  did not expect \"%s\" in:\n%s\n", (s), kd_buf_cstr(&(buf))); \
	} while (0)

/* One error, on one line, said by kubectl-kudo. */
#define ONE_ERROR(buf, s)                                                                          \
	do {                                                                                           \
		HAS(buf, s);                                                                               \
		CHECK(strncmp(kd_buf_cstr(&(buf)), "kubectl-kudo: ", 14) == 0);                            \
		CHECK_INT(kd_t_count_lines(kd_buf_cstr(&(buf)), ""), 1);                                   \
	} while (0)

typedef struct {
	char dir[512];
	char url[640]; /* file:// URL of the bare repository */
} app_repo;

/* Runs tests/git/app_repo.sh CMD DIR ARGS; the commit it prints into `commit` (41 bytes) when
 * not NULL. */
static bool repo_do(const app_repo *r, char *commit, const char *cmd, const char *a1, const char *a2)
{
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	int rc = kd_gitfix_sh(&out, &err, "sh '%s/tests/git/app_repo.sh' %s '%s' %s%s%s %s%s%s", kd_test_root(), cmd, r->dir,
		a1 ? "'" : "", a1 ? a1 : "", a1 ? "'" : "", a2 ? "'" : "", a2 ? a2 : "", a2 ? "'" : "");
	bool ok = CHECK_INT(rc, 0);
	if (!ok)
		fprintf(stderr, "  app_repo.sh %s: %s\n", cmd, kd_buf_cstr(&err));
	if (commit) {
		snprintf(commit, 41, "%s", kd_buf_cstr(&out));
		ok = ok && CHECK_INT(strspn(commit, "0123456789abcdef"), 40);
	}
	kd_buf_free(&out);
	kd_buf_free(&err);
	return ok;
}

static bool repo_init(app_repo *r, const char *name, char *commit)
{
	snprintf(r->dir, sizeof(r->dir), "%s", kd_gitfix_newdir(name));
	snprintf(r->url, sizeof(r->url), "file://%s/repo.git", r->dir);
	if (!repo_do(r, NULL, "init", NULL, NULL))
		return false;
	kd_buf out = KD_BUF_INIT;
	kd_gitfix_sh(&out, NULL, "git -C '%s/repo.git' rev-parse main", r->dir);
	snprintf(commit, 41, "%s", kd_buf_cstr(&out));
	kd_buf_free(&out);
	return strlen(commit) == 40;
}

static kd_revision *rev_of(kd_kube_client *c, const char *ns, const char *inst, long n)
{
	kd_revision *r = NULL;
	if (kd_revision_load(&r, c, ns, inst, n) != 0) {
		fprintf(stderr, "  no revision %ld of %s/%s: %s\n", n, ns, inst, kd_error_last());
		kd_error_clear();
		return NULL;
	}
	return r;
}

static size_t nrevs(kd_kube_client *c, const char *ns, const char *inst)
{
	kd_revision **v = NULL;
	size_t n = 0;
	if (kd_revision_list(&v, &n, c, ns, inst) != 0)
		kd_error_clear();
	for (size_t i = 0; i < n; i++)
		kd_revision_free(v[i]);
	free(v);
	return n;
}

/* The source commit revision `n` of `inst` recorded ("" when none); static storage. */
static const char *rev_commit(kd_kube_client *c, const char *ns, const char *inst, long n)
{
	static char got[64];
	kd_revision *r = rev_of(c, ns, inst, n);
	snprintf(got, sizeof(got), "%s", r && kd_json_get_str(r->source, "commit") ? kd_json_get_str(r->source, "commit") : "");
	kd_revision_free(r);
	return got;
}

static cJSON *get_obj(kd_kube_client *c, const char *ns, const char *av, const char *kind, const char *name)
{
	cJSON *o = NULL;
	kd_kube_ref ref = {av, kind, ns, name, NULL};
	if (kd_kube_get(&o, c, &ref) != 0) {
		kd_error_clear();
		return NULL;
	}
	return o;
}

/* data[key] of ConfigMap `name` ("" when absent); static storage. */
static const char *cm_value(kd_kube_client *c, const char *ns, const char *name, const char *key)
{
	static char v[256];
	cJSON *o = get_obj(c, ns, "v1", "ConfigMap", name);
	const char *s = kd_json_get_str(kd_json_get(o, "data"), key);
	snprintf(v, sizeof(v), "%s", s ? s : "");
	cJSON_Delete(o);
	return v;
}

static long replicas(kd_kube_client *c, const char *ns, const char *name)
{
	cJSON *o = get_obj(c, ns, "apps/v1", "Deployment", name);
	const cJSON *r = kd_json_path(o, "spec", "replicas", NULL);
	long n = cJSON_IsNumber(r) ? (long)r->valuedouble : -1;
	cJSON_Delete(o);
	return n;
}

/* "<resourceVersion of the Deployment>/<of the ConfigMap>": what a failed command must not change. */
static char *state_of(kd_kube_client *c, const char *ns, const char *inst)
{
	kd_buf b = KD_BUF_INIT, n = KD_BUF_INIT;
	kd_buf_printf(&n, "%s-web", inst);
	cJSON *d = get_obj(c, ns, "apps/v1", "Deployment", kd_buf_cstr(&n));
	kd_buf_clear(&n);
	kd_buf_printf(&n, "%s-config", inst);
	cJSON *m = get_obj(c, ns, "v1", "ConfigMap", kd_buf_cstr(&n));
	kd_buf_printf(&b, "%s/%s/%zu", d ? kd_json_get_str(kd_json_get(d, "metadata"), "resourceVersion") : "-",
		m ? kd_json_get_str(kd_json_get(m, "metadata"), "resourceVersion") : "-", nrevs(c, ns, inst));
	cJSON_Delete(d);
	cJSON_Delete(m);
	kd_buf_free(&n);
	return kd_buf_detach(&b);
}

/* Nothing of instance `inst` in the cluster: no records, no objects. */
static bool nothing_of(kd_kube_client *c, const char *ns, const char *inst)
{
	kd_buf sel = KD_BUF_INIT;
	kd_buf_printf(&sel, "kudoc.dev/instance=%s", inst);
	const char *kinds[][2] = {{"v1", "Secret"}, {"v1", "ConfigMap"}, {"apps/v1", "Deployment"}, {"v1", "Service"}};
	size_t n = 0;
	for (size_t i = 0; i < KD_ARRAY_SIZE(kinds); i++) {
		cJSON *list = NULL;
		kd_kube_ref ref = {kinds[i][0], kinds[i][1], ns, NULL, NULL};
		kd_kube_list_options lo = KD_KUBE_LIST_OPTIONS_INIT;
		lo.label_selector = kd_buf_cstr(&sel);
		if (kd_kube_list(&list, c, &ref, &lo) == 0)
			n += (size_t)cJSON_GetArraySize(kd_json_get(list, "items"));
		else
			n++;
		cJSON_Delete(list);
	}
	kd_buf_free(&sel);
	kd_error_clear();
	return n == 0;
}

/* ---- servers ------------------------------------------------------------------------------------ */

typedef struct {
	int pid, port;
} server;

static server start_daemon(const char *base)
{
	server s = {-1, kd_gitfix_free_port()};
	kd_buf cmd = KD_BUF_INIT, log = KD_BUF_INIT;
	kd_buf_printf(&cmd, "git daemon --reuseaddr --export-all --listen=127.0.0.1 --port=%d --base-path='%s' '%s'", s.port,
		base, base);
	kd_buf_printf(&log, "%s/daemon.log", base);
	s.pid = kd_gitfix_spawn(kd_buf_cstr(&cmd), kd_buf_cstr(&log));
	CHECK(kd_gitfix_wait_port(s.port));
	kd_buf_free(&cmd);
	kd_buf_free(&log);
	return s;
}

/* Smart HTTP over `git_root` with basic auth alice / pw-Sync-42. */
static server start_httpd(const char *git_root)
{
	server s = {-1, -1};
	const char *tmp = kd_gitfix_newdir("sync-httpd");
	kd_buf cmd = KD_BUF_INIT, log = KD_BUF_INIT, pf = KD_BUF_INIT;
	kd_buf_printf(&pf, "%s/port", tmp);
	kd_buf_printf(&log, "%s/httpd.log", tmp);
	kd_buf_printf(&cmd, "python3 '%s/tests/git/httpd.py' --port-file '%s' --git-root '%s' --user alice --password pw-Sync-42",
		kd_test_root(), kd_buf_cstr(&pf), git_root);
	s.pid = kd_gitfix_spawn(kd_buf_cstr(&cmd), kd_buf_cstr(&log));
	if (CHECK(kd_gitfix_wait_file(kd_buf_cstr(&pf))))
		s.port = (int)strtol(kd_gitfix_read(kd_buf_cstr(&pf)), NULL, 10);
	kd_buf_free(&cmd);
	kd_buf_free(&log);
	kd_buf_free(&pf);
	return s;
}

typedef struct {
	server srv;
	char dir[512];
	char key[600], known[600], changed[600], lsan[600];
} ssh_server;

/* sshd on loopback with a host key, a user key, known_hosts and a known_hosts that holds
 * another key for the same host. */
static bool start_sshd(ssh_server *s)
{
	snprintf(s->dir, sizeof(s->dir), "%s", kd_gitfix_newdir("sync-sshd"));
	s->srv.port = kd_gitfix_free_port();
	kd_buf err = KD_BUF_INIT;
	int rc = kd_gitfix_sh(NULL, &err,
		"cd '%s' && ssh-keygen -q -t ed25519 -N '' -f host_key && ssh-keygen -q -t ed25519 -N '' -f other_host_key && "
		"ssh-keygen -q -t ed25519 -N '' -f user_key && cp user_key.pub authorized_keys && chmod 600 authorized_keys && "
		"mkdir -p /run/sshd && "
		"printf '[127.0.0.1]:%d %%s\\n' \"$(cut -d' ' -f1,2 host_key.pub)\" > known_hosts && "
		"printf '[127.0.0.1]:%d %%s\\n' \"$(cut -d' ' -f1,2 other_host_key.pub)\" > known_hosts_changed && "
		"printf 'Port %d\\nListenAddress 127.0.0.1\\nHostKey %s/host_key\\nPidFile %s/sshd.pid\\n"
		"AuthorizedKeysFile %s/authorized_keys\\nStrictModes no\\nUsePAM no\\nPasswordAuthentication no\\n"
		"KbdInteractiveAuthentication no\\nPubkeyAuthentication yes\\nPermitRootLogin prohibit-password\\n' > sshd_config && "
		/* libgit2 1.5's SSH transport leaks inside libgit2 and libssh2 per connection (see
		 * test_git_servers.c): the sanitized binary is told to leave those to them */
		"printf 'leak:libssh2\\nleak:libgit2\\n' > lsan.supp",
		s->dir, s->srv.port, s->srv.port, s->srv.port, s->dir, s->dir, s->dir);
	if (!CHECK_INT(rc, 0))
		fprintf(stderr, "  %s\n", kd_buf_cstr(&err));
	kd_buf_free(&err);
	snprintf(s->key, sizeof(s->key), "%s/user_key", s->dir);
	snprintf(s->known, sizeof(s->known), "%s/known_hosts", s->dir);
	snprintf(s->changed, sizeof(s->changed), "%s/known_hosts_changed", s->dir);
	snprintf(s->lsan, sizeof(s->lsan), "LSAN_OPTIONS=suppressions=%s/lsan.supp:print_suppressions=0 SSH_AUTH_SOCK=", s->dir);
	kd_buf cmd = KD_BUF_INIT, log = KD_BUF_INIT;
	kd_buf_printf(&cmd, "/usr/sbin/sshd -D -e -f '%s/sshd_config'", s->dir);
	kd_buf_printf(&log, "%s/sshd.log", s->dir);
	s->srv.pid = kd_gitfix_spawn(kd_buf_cstr(&cmd), kd_buf_cstr(&log));
	bool up = CHECK(kd_gitfix_wait_port(s->srv.port));
	kd_buf_free(&cmd);
	kd_buf_free(&log);
	return rc == 0 && up;
}

/* ---- installs from every kind of ref, each recording its commit ---------------------------------- */

TEST(e2e_sync_installs_from_tag_branch_semver_and_commit_record_the_commit)
{
	char *ns = kd_e2e_ns("kd-gitinst");
	kd_kube_client *c = kd_e2e_client(ns);
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT, want = KD_BUF_INIT;
	app_repo r;
	char c1[41], c2[41], c3[41];
	CHECK(c != NULL);
	if (!repo_init(&r, "sync-inst-repo", c1) || !repo_do(&r, c2, "version", "0.2.0", NULL))
		goto done;
	/* main moves on past v0.2.0: a branch install takes its head, a tag install its tag */
	if (!repo_do(&r, c3, "put", "README", "notes\\n"))
		goto done;

	RUN(0, NULL, ns, "install 'git+%s//app?ref=v0.1.0' --instance by-tag", r.url);
	RUN(0, NULL, ns, "install 'git+%s//app?ref=main' --instance by-branch", r.url);
	RUN(0, NULL, ns, "install 'git+%s//app?ref=semver:~0.1' --instance by-range", r.url);
	RUN(0, NULL, ns, "install --git '%s' --git-ref %s --git-path app --instance by-commit", r.url, c2);
	struct {
		const char *inst, *commit, *ref, *resolved, *version;
	} cases[] = {
		{"by-tag", c1, "v0.1.0", "refs/tags/v0.1.0", "0.1.0"},
		{"by-branch", c3, "main", "refs/heads/main", "0.2.0"},
		{"by-range", c1, "semver:~0.1", "refs/tags/v0.1.0", "0.1.0"},
		{"by-commit", c2, c2, NULL, "0.2.0"},
	};
	for (size_t i = 0; i < KD_ARRAY_SIZE(cases); i++) {
		kd_revision *rev = rev_of(c, ns, cases[i].inst, 1);
		if (!CHECK(rev != NULL))
			continue;
		CHECK_STR(kd_json_get_str(rev->source, "kind"), "git");
		CHECK_STR(kd_json_get_str(rev->source, "commit"), cases[i].commit);
		CHECK_STR(kd_json_get_str(rev->source, "ref"), cases[i].ref);
		CHECK_STR(kd_json_get_str(rev->source, "repo"), cases[i].resolved);
		CHECK_STR(kd_json_get_str(rev->source, "url"), r.url);
		CHECK_STR(kd_json_get_str(rev->source, "path"), "app");
		CHECK_STR(rev->operator_version, cases[i].version);
		kd_revision_free(rev);
		/* plan history shows the commit */
		RUN(0, NULL, ns, "plan history --instance %s", cases[i].inst);
		kd_buf_clear(&want);
		kd_buf_printf(&want, "(commit %.12s)\n", cases[i].commit);
		HAS(out, kd_buf_cstr(&want));
	}
	/* a commit id never moves: sync compares the live objects and is done */
	RUN(0, NULL, ns, "sync --instance by-commit");
	HAS(out, "in sync: revision 1 (app 0.2.0, plan deploy) at commit");

	/* over git:// (git daemon) and smart HTTP with basic auth: the same record, and the
	 * password is nowhere in it */
	server d = start_daemon(r.dir);
	RUN(0, NULL, ns, "install 'git+git://127.0.0.1:%d/repo.git//app?ref=v0.2.0' --instance by-daemon", d.port);
	CHECK_STR(rev_commit(c, ns, "by-daemon", 1), c2);
	server h = start_httpd(r.dir);
	RUN(0, "KUDOC_GIT_USERNAME=alice KUDOC_GIT_PASSWORD=pw-Sync-42", ns,
		"install 'git+http://127.0.0.1:%d/git/repo.git//app?ref=main' --instance by-http", h.port);
	CHECK_STR(rev_commit(c, ns, "by-http", 1), c3);
	RUN(0, NULL, ns, "plan history --instance by-http -o json");
	HAS_NOT(out, "pw-Sync-42");
	HAS_NOT(out, "alice");
	RUN(0, "KUDOC_GIT_USERNAME=alice KUDOC_GIT_PASSWORD=pw-Sync-42", ns, "sync --instance by-http");
	HAS(out, "in sync: revision 1");
	kd_gitfix_kill(d.pid);
	kd_gitfix_kill(h.pid);
done:
	kd_kube_client_free(c);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_buf_free(&want);
	kd_e2e_ns_drop(ns);
}

/* ---- sync follows git ---------------------------------------------------------------------------- */

TEST(e2e_sync_upgrades_updates_reports_and_repairs_drift)
{
	char *ns = kd_e2e_ns("kd-sync");
	kd_kube_client *c = kd_e2e_client(ns);
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT, want = KD_BUF_INIT, kc = KD_BUF_INIT;
	app_repo r;
	char c1[41], c2[41], c3[41], c4[41], c5[41];
	CHECK(c != NULL);
	if (!repo_init(&r, "sync-repo", c1))
		goto done;
	RUN(0, NULL, ns, "install 'git+%s//app?ref=main' -P git:values.yaml --instance s", r.url);
	CHECK_STR(cm_value(c, ns, "s-config", "greeting"), "from-git");
	CHECK_INT(replicas(c, ns, "s-web"), 1);
	RUN(0, NULL, ns, "sync --instance s");
	kd_buf_printf(&want, "in sync: revision 1 (app 0.1.0, plan deploy) at commit %.12s; 4 objects match the live ones\n",
		c1);
	CHECK_STR(kd_buf_cstr(&out), kd_buf_cstr(&want));

	/* a commit that changes nothing of the instance: no revision */
	if (!repo_do(&r, c2, "put", "README", "about\\n"))
		goto done;
	RUN(0, NULL, ns, "sync --instance s");
	kd_buf_clear(&want);
	kd_buf_printf(&want, "commit %.12s has nothing new for the instance (revision 1 recorded %.12s)", c2, c1);
	HAS(out, kd_buf_cstr(&want));
	CHECK_INT(nrevs(c, ns, "s"), 1);

	/* a new operator version: upgraded, the -P git: file read at the new commit */
	if (!repo_do(&r, c3, "version", "0.2.0", NULL))
		goto done;
	RUN(5, NULL, ns, "sync --instance s");
	kd_buf_clear(&want);
	kd_buf_printf(&want, "upgraded: revision 2, app 0.1.0 -> 0.2.0 (plan upgrade COMPLETE) at commit %.12s (refs/heads/main)\n",
		c3);
	HAS(out, kd_buf_cstr(&want));
	kd_revision *rev = rev_of(c, ns, "s", 2);
	if (CHECK(rev != NULL)) {
		CHECK_STR(rev->operation, "upgrade");
		CHECK_STR(kd_json_get_str(rev->source, "commit"), c3);
		const cJSON *pf = kd_json_get(rev->source, "parameterFiles");
		CHECK_INT(cJSON_GetArraySize(pf), 1);
		CHECK_STR(cJSON_IsArray(pf) && pf->child ? pf->child->valuestring : NULL, "git:values.yaml");
	}
	kd_revision_free(rev);
	CHECK_STR(cm_value(c, ns, "s-config", "version"), "0.2.0");
	CHECK_STR(cm_value(c, ns, "s-config", "greeting"), "from-git");

	/* the parameter file changes: the plan the change triggers runs; a key taken out of the
	 * file (replicas) returns to its default */
	if (!repo_do(&r, c4, "put", "values.yaml", "greeting: changed-in-git\\n"))
		goto done;
	RUN(5, NULL, ns, "sync --instance s");
	kd_buf_clear(&want);
	kd_buf_printf(&want, "updated: revision 3, plan deploy COMPLETE; changed parameters: replicas, greeting (from "
			     "git:values.yaml at commit %.12s)\n",
		c4);
	HAS(out, kd_buf_cstr(&want));
	CHECK_STR(cm_value(c, ns, "s-config", "greeting"), "changed-in-git");
	CHECK_INT(replicas(c, ns, "s-web"), 2);
	rev = rev_of(c, ns, "s", 3);
	if (CHECK(rev != NULL)) {
		CHECK_STR(rev->operation, "update");
		CHECK_STR(kd_json_get_str(rev->source, "commit"), c4);
		CHECK(kd_json_get(rev->user_params, "replicas") == NULL);
	}
	kd_revision_free(rev);
	RUN(0, NULL, ns, "sync --instance s");
	HAS(out, "in sync: revision 3");

	/* a change by hand: reported as drift, as a diff, and left alone */
	const char *scale[] = {"-n", ns, "scale", "deployment", "s-web", "--replicas=4", NULL};
	CHECK_INT(kd_e2e_kubectl(&kc, scale), 0);
	const char *del[] = {"-n", ns, "delete", "service", "s-web", NULL};
	CHECK_INT(kd_e2e_kubectl(&kc, del), 0);
	RUN(6, NULL, ns, "sync --instance s");
	kd_buf_clear(&want);
	kd_buf_printf(&want, "drift of instance s in namespace %s from revision 3:\n--- live Deployment %s/s-web\n"
			     "+++ revision 3 Deployment %s/s-web\n",
		ns, ns, ns);
	HAS(out, kd_buf_cstr(&want));
	HAS(out, "-  replicas: 4\n+  replicas: 2\n");
	kd_buf_clear(&want);
	kd_buf_printf(&want, "--- live Service %s/s-web (absent)\n+++ revision 3 Service %s/s-web\n", ns, ns);
	HAS(out, kd_buf_cstr(&want));
	HAS(out, "1 changed, 1 missing, 0 to delete, 3 unchanged\n");
	kd_buf_clear(&want);
	kd_buf_printf(&want, "drifted: 2 of 5 objects differ from revision 3: Deployment %s/s-web (changed), Service %s/s-web "
			     "(missing); not repaired (--repair re-applies them)\n",
		ns, ns);
	HAS(out, kd_buf_cstr(&want));
	HAS_NOT(out, "managedFields");
	CHECK_INT(replicas(c, ns, "s-web"), 4);
	CHECK(get_obj(c, ns, "v1", "Service", "s-web") == NULL);
	CHECK_INT(nrevs(c, ns, "s"), 3);

	/* --repair puts them back, records it, and the next sync finds nothing */
	RUN(5, NULL, ns, "sync --instance s --repair");
	kd_buf_clear(&want);
	kd_buf_printf(&want, "repaired: 2 objects back to revision 3 (Deployment %s/s-web, Service %s/s-web), recorded in revision 3\n",
		ns, ns);
	HAS(out, kd_buf_cstr(&want));
	CHECK_INT(replicas(c, ns, "s-web"), 2);
	cJSON *svc = get_obj(c, ns, "v1", "Service", "s-web");
	CHECK(svc != NULL);
	CHECK_STR(kd_json_get_str(kd_json_path(svc, "metadata", "labels", NULL), "kudoc.dev/instance"), "s");
	cJSON_Delete(svc);
	rev = rev_of(c, ns, "s", 3);
	if (CHECK(rev != NULL) && CHECK(cJSON_GetArraySize(rev->repairs) == 1)) {
		const cJSON *e = rev->repairs->child;
		CHECK_STR(kd_json_get_str(e, "by"), "sync");
		CHECK_STR(kd_json_get_str(e, "commit"), c4);
		CHECK_INT(cJSON_GetArraySize(kd_json_get(e, "objects")), 2);
	}
	kd_revision_free(rev);
	CHECK_INT(nrevs(c, ns, "s"), 3); /* a repair is no new revision */
	RUN(0, NULL, ns, "plan history --instance s");
	kd_buf_clear(&want);
	kd_buf_printf(&want, "by sync: Deployment %s/s-web (re-applied), Service %s/s-web (re-created)\n", ns, ns);
	HAS(out, kd_buf_cstr(&want));
	RUN(0, NULL, ns, "sync --instance s");
	HAS(out, "in sync: revision 3");

	/* the same operatorVersion with other package files: left alone without --force, then
	 * applied with it as upgrade --force applies it */
	if (!repo_do(&r, c5, "put", "app/templates/config.yaml",
		    "apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: {{ .Name }}-config\\ndata:\\n"
		    "  greeting: {{ .Params.greeting | quote }}\\n  version: {{ .OperatorVersion | quote }}\\n"
		    "  storageClass: {{ .Params.storageClass | quote }}\\n  note: same-version\\n"))
		goto done;
	RUN(7, NULL, ns, "sync --instance s");
	kd_buf_clear(&want);
	kd_buf_printf(&want, "pending: commit %.12s (refs/heads/main) not applied: its package files differ from the installed "
			     "app 0.2.0 under the same operatorVersion",
		c5);
	HAS(out, kd_buf_cstr(&want));
	HAS(out, "; the live objects match revision 3");
	CHECK_INT(nrevs(c, ns, "s"), 3);
	CHECK_STR(cm_value(c, ns, "s-config", "note"), "");
	RUN(5, NULL, ns, "sync --instance s --force");
	kd_buf_clear(&want);
	kd_buf_printf(&want, "upgraded: revision 4, app 0.2.0 -> 0.2.0 (plan upgrade COMPLETE) at commit %.12s", c5);
	HAS(out, kd_buf_cstr(&want));
	CHECK_STR(cm_value(c, ns, "s-config", "note"), "same-version");
	CHECK_STR(rev_commit(c, ns, "s", 4), c5);
	/* sync takes nothing but what the records say */
	RUN(2, NULL, ns, "sync --instance s -p replicas=3");
	HAS(err, "unknown flag -p");
	RUN(2, NULL, ns, "sync --instance s ./app");
	HAS(err, "sync takes no arguments");
done:
	kd_kube_client_free(c);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_buf_free(&want);
	kd_buf_free(&kc);
	kd_e2e_ns_drop(ns);
}

/* ---- rollback of a git revision ------------------------------------------------------------------ */

TEST(e2e_sync_rollback_runs_the_recorded_package_and_pins_the_instance)
{
	char *ns = kd_e2e_ns("kd-syncrb");
	kd_kube_client *c = kd_e2e_client(ns);
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT, want = KD_BUF_INIT;
	app_repo r;
	char c1[41], c2[41], c3[41];
	CHECK(c != NULL);
	if (!repo_init(&r, "sync-rb-repo", c1))
		goto done;
	RUN(0, NULL, ns, "install 'git+%s//app?ref=main' -P git:values.yaml --instance rb", r.url);
	if (!repo_do(&r, c2, "version", "0.2.0", NULL))
		goto done;
	RUN(5, NULL, ns, "sync --instance rb");
	CHECK(get_obj(c, ns, "v1", "ConfigMap", "rb-v2") != NULL);
	/* the branch moves on to 0.3.0 before the rollback: the rollback must not take it */
	if (!repo_do(&r, c3, "version", "0.3.0", NULL))
		goto done;
	RUN(0, NULL, ns, "rollback --instance rb 1");
	kd_revision *rev = rev_of(c, ns, "rb", 3);
	if (CHECK(rev != NULL)) {
		CHECK_STR(rev->operation, "rollback");
		CHECK_STR(rev->operator_version, "0.1.0");
		CHECK_STR(kd_json_get_str(rev->source, "commit"), c1);
		CHECK_INT(rev->rollback_of, 1);
	}
	kd_revision_free(rev);
	CHECK_STR(cm_value(c, ns, "rb-config", "version"), "0.1.0");
	CHECK_STR(cm_value(c, ns, "rb-config", "greeting"), "from-git");
	cJSON *v2 = get_obj(c, ns, "v1", "ConfigMap", "rb-v2");
	CHECK(v2 == NULL); /* 0.1.0 has no v2.yaml: pruned */
	cJSON_Delete(v2);
	cJSON *svc = get_obj(c, ns, "v1", "Service", "rb-web");
	CHECK(svc != NULL);
	cJSON_Delete(svc);
	RUN(0, NULL, ns, "plan history --instance rb");
	kd_buf_printf(&want, "rollback to 1 (commit %.12s)\n", c1);
	HAS(out, kd_buf_cstr(&want));

	/* sync leaves the rolled-back instance alone until --force */
	RUN(7, NULL, ns, "sync --instance rb");
	kd_buf_clear(&want);
	kd_buf_printf(&want, "pending: commit %.12s (refs/heads/main) not applied: revision 3 is a rollback (to revision 1)", c3);
	HAS(out, kd_buf_cstr(&want));
	CHECK_INT(nrevs(c, ns, "rb"), 3);
	CHECK_STR(cm_value(c, ns, "rb-config", "version"), "0.1.0");
	RUN(5, NULL, ns, "sync --instance rb --force");
	kd_buf_clear(&want);
	kd_buf_printf(&want, "upgraded: revision 4, app 0.1.0 -> 0.3.0 (plan upgrade COMPLETE) at commit %.12s", c3);
	HAS(out, kd_buf_cstr(&want));
	CHECK_STR(cm_value(c, ns, "rb-config", "version"), "0.3.0");
	svc = get_obj(c, ns, "v1", "Service", "rb-web");
	CHECK(svc == NULL); /* 0.3.0 has no Service */
	cJSON_Delete(svc);
done:
	kd_kube_client_free(c);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_buf_free(&want);
	kd_e2e_ns_drop(ns);
}

/* ---- what cannot be read changes nothing --------------------------------------------------------- */

TEST(e2e_sync_git_errors_are_one_clear_error_and_change_nothing)
{
	char *ns = kd_e2e_ns("kd-syncerr");
	kd_kube_client *c = kd_e2e_client(ns);
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT, want = KD_BUF_INIT;
	app_repo r, bare;
	char c1[41], c2[41], b1[41];
	server d = {-1, -1}, h = {-1, -1};
	ssh_server s;
	memset(&s, 0, sizeof(s));
	s.srv.pid = -1;
	CHECK(c != NULL);
	if (!repo_init(&r, "sync-err-repo", c1) || !start_sshd(&s))
		goto done;
	d = start_daemon(r.dir);
	h = start_httpd(r.dir);
	struct passwd *pw = getpwuid(getuid());
	kd_buf ssh_url = KD_BUF_INIT;
	kd_buf_printf(&ssh_url, "ssh://%s@127.0.0.1:%d%s/repo.git", pw ? pw->pw_name : "root", s.srv.port, r.dir);

	/* install: each error once, on one line, and nothing of the instance in the cluster */
	RUN(1, NULL, ns, "install 'git+%s//app?ref=nosuch' --instance bad-ref", r.url);
	ONE_ERROR(err, "nosuch");
	CHECK(nothing_of(c, ns, "bad-ref"));
	int dead = kd_gitfix_free_port();
	RUN(1, NULL, ns, "install 'git+git://127.0.0.1:%d/repo.git//app' --instance unreachable", dead);
	ONE_ERROR(err, "cannot reach the repository");
	CHECK(nothing_of(c, ns, "unreachable"));
	RUN(1, "KUDOC_GIT_USERNAME=alice KUDOC_GIT_PASSWORD=wrong-Pass-7", ns,
		"install 'git+http://127.0.0.1:%d/git/repo.git//app' --instance wrong-creds", h.port);
	ONE_ERROR(err, "refused the credentials from " KD_GIT_ENV_USERNAME);
	HAS_NOT(err, "wrong-Pass-7");
	CHECK(nothing_of(c, ns, "wrong-creds"));
	RUN(1, s.lsan, ns, "install 'git+%s//app' --git-ssh-key '%s' --git-known-hosts '%s' --instance host-key",
		kd_buf_cstr(&ssh_url), s.key, s.changed);
	kd_buf_clear(&want);
	kd_buf_printf(&want, "the host key of 127.0.0.1:%d does not match known_hosts", s.srv.port);
	ONE_ERROR(err, kd_buf_cstr(&want));
	CHECK(nothing_of(c, ns, "host-key"));
	RUN(1, NULL, ns, "install 'git+%s' --instance no-operator", r.url); /* the root has no operator.yaml */
	ONE_ERROR(err, "no operator.yaml in the repository root at commit");
	CHECK(nothing_of(c, ns, "no-operator"));

	/* the same for sync of instances installed from each server */
	RUN(0, NULL, ns, "install 'git+git://127.0.0.1:%d/repo.git//app?ref=main' --instance from-daemon", d.port);
	RUN(0, "KUDOC_GIT_USERNAME=alice KUDOC_GIT_PASSWORD=pw-Sync-42", ns,
		"install 'git+http://127.0.0.1:%d/git/repo.git//app?ref=main' --instance from-http", h.port);
	RUN(0, s.lsan, ns, "install 'git+%s//app?ref=main' --git-ssh-key '%s' --git-known-hosts '%s' --instance from-ssh",
		kd_buf_cstr(&ssh_url), s.key, s.known);
	CHECK_STR(rev_commit(c, ns, "from-ssh", 1), c1);
	if (!repo_do(&r, b1, "branch", "feature", NULL))
		goto done;
	RUN(0, NULL, ns, "install 'git+%s//app?ref=feature' --instance from-branch", r.url);
	if (!repo_init(&bare, "sync-err-repo2", b1))
		goto done;
	RUN(0, NULL, ns, "install 'git+%s//app' --instance loses-op", bare.url);
	/* git moves on for all of them, so every sync has to fetch */
	if (!repo_do(&r, c2, "version", "0.2.0", NULL) || !repo_do(&bare, NULL, "rm", "app/operator.yaml", NULL))
		goto done;
	const char *insts[] = {"from-daemon", "from-http", "from-ssh", "from-branch", "loses-op"};
	char *before[KD_ARRAY_SIZE(insts)];
	for (size_t i = 0; i < KD_ARRAY_SIZE(insts); i++)
		before[i] = state_of(c, ns, insts[i]);

	RUN(1, "KUDOC_GIT_USERNAME=alice KUDOC_GIT_PASSWORD=wrong-Pass-7", ns, "sync --instance from-http");
	ONE_ERROR(err, "sync of instance");
	HAS(err, "refused the credentials from " KD_GIT_ENV_USERNAME);
	HAS_NOT(err, "wrong-Pass-7");
	RUN(1, s.lsan, ns, "sync --instance from-ssh --git-ssh-key '%s' --git-known-hosts '%s'", s.key, s.changed);
	ONE_ERROR(err, kd_buf_cstr(&want)); /* the host key does not match */
	kd_gitfix_sh(NULL, NULL, "git -C '%s/repo.git' branch -D feature", r.dir);
	RUN(1, NULL, ns, "sync --instance from-branch");
	ONE_ERROR(err, "feature");
	RUN(1, NULL, ns, "sync --instance loses-op");
	ONE_ERROR(err, "no operator.yaml in app at commit");
	kd_gitfix_kill(d.pid);
	d.pid = -1;
	RUN(1, NULL, ns, "sync --instance from-daemon");
	ONE_ERROR(err, "cannot reach the repository");
	for (size_t i = 0; i < KD_ARRAY_SIZE(insts); i++) {
		char *after = state_of(c, ns, insts[i]);
		if (!CHECK_STR(after, before[i]))
			fprintf(stderr, "  instance %s changed\n", insts[i]);
		free(after);
		free(before[i]);
	}
	/* and with what is right, the same syncs go ahead */
	RUN(5, "KUDOC_GIT_USERNAME=alice KUDOC_GIT_PASSWORD=pw-Sync-42", ns, "sync --instance from-http");
	HAS(out, "upgraded: revision 2, app 0.1.0 -> 0.2.0");
	RUN(5, s.lsan, ns, "sync --instance from-ssh --git-ssh-key '%s' --git-known-hosts '%s'", s.key, s.known);
	CHECK_STR(rev_commit(c, ns, "from-ssh", 2), c2);
	kd_buf_free(&ssh_url);
done:
	kd_gitfix_kill(d.pid);
	kd_gitfix_kill(h.pid);
	kd_gitfix_kill(s.srv.pid);
	kd_kube_client_free(c);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_buf_free(&want);
	kd_e2e_ns_drop(ns);
}

/* ---- secrets at the highest verbosity ------------------------------------------------------------ */

/* None of the secrets in `secrets` (NULL-ended), nor an Authorization header, in `buf`. */
static void no_secret_in(const kd_buf *buf, const char *const *secrets, const char *what)
{
	const char *text = kd_buf_cstr(buf);
	for (size_t i = 0; secrets[i]; i++)
		if (*secrets[i] && !CHECK(strstr(text, secrets[i]) == NULL))
			fprintf(stderr, "  %s holds secret #%zu:\n%s\n", what, i, text);
	const char *headers[] = {"Authorization", "authorization:", "Basic ", "Bearer "};
	for (size_t i = 0; i < KD_ARRAY_SIZE(headers); i++)
		if (!CHECK(strstr(text, headers[i]) == NULL))
			fprintf(stderr, "  %s holds \"%s\":\n%s\n", what, headers[i], text);
}

/* git+https (TLS from the test CA, basic auth and a bearer token) with -v 9: wrong and right
 * credentials, a wrong and a right token; neither the password, the token, "user:password",
 * its base64 (a Basic header's value) nor the cluster's own bearer token is printed. */
TEST(e2e_sync_git_https_secrets_never_in_verbose_logs)
{
	char *ns = kd_e2e_ns("kd-syncsecret");
	kd_kube_client *c = kd_e2e_client(ns);
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT, cmd = KD_BUF_INIT, pf = KD_BUF_INIT, log = KD_BUF_INIT;
	kd_buf env = KD_BUF_INIT, b64_right = KD_BUF_INIT, b64_wrong = KD_BUF_INIT, kube_token = KD_BUF_INIT;
	app_repo r;
	char c1[41];
	int pid = -1, port = -1;
	CHECK(c != NULL);
	if (!repo_init(&r, "sync-secret-repo", c1))
		goto done;
	const char *tls = kd_gitfix_tls();
	const char *tmp = kd_gitfix_newdir("sync-httpsd");
	kd_buf_printf(&pf, "%s/port", tmp);
	kd_buf_printf(&log, "%s/httpd.log", tmp);
	kd_buf_printf(&cmd,
		"python3 '%s/tests/git/httpd.py' --port-file '%s' --git-root '%s' --user alice --password pw-Sync-42 --token tok-Sync-9 "
		"--tls-cert '%s/server.pem' --tls-key '%s/server.key'",
		kd_test_root(), kd_buf_cstr(&pf), r.dir, tls, tls);
	pid = kd_gitfix_spawn(kd_buf_cstr(&cmd), kd_buf_cstr(&log));
	if (!CHECK(kd_gitfix_wait_file(kd_buf_cstr(&pf))))
		goto done;
	port = (int)strtol(kd_gitfix_read(kd_buf_cstr(&pf)), NULL, 10);
	kd_gitfix_sh(&b64_right, NULL, "printf %%s alice:pw-Sync-42 | base64 | tr -d '\\n'");
	kd_gitfix_sh(&b64_wrong, NULL, "printf %%s alice:wrong-Pass-7 | base64 | tr -d '\\n'");
	kd_gitfix_sh(&kube_token, NULL, "awk '$1 == \"token:\" {printf \"%%s\", $2; exit}' '%s'", kd_test_kubeconfig());
	const char *secrets[] = {"pw-Sync-42", "wrong-Pass-7", "tok-Sync-9", "tok-WRONG-3", "alice:pw", "alice:wrong",
		kd_buf_cstr(&b64_right), kd_buf_cstr(&b64_wrong), kd_buf_cstr(&kube_token), NULL};
	CHECK(b64_right.len > 0 && b64_wrong.len > 0);

	/* wrong password: one clear error, nothing in the cluster, no secret */
	kd_buf_printf(&env, "SSL_CERT_DIR= SSL_CERT_FILE='%s/ca.pem' KUDOC_GIT_USERNAME=alice KUDOC_GIT_PASSWORD=wrong-Pass-7", tls);
	RUN(1, kd_buf_cstr(&env), ns, "install 'git+https://127.0.0.1:%d/git/repo.git//app?ref=main' --instance bad-pass -v 9", port);
	ONE_ERROR(err, "refused the credentials from " KD_GIT_ENV_USERNAME);
	no_secret_in(&out, secrets, "stdout");
	no_secret_in(&err, secrets, "stderr");
	CHECK(nothing_of(c, ns, "bad-pass"));
	/* a wrong token */
	kd_buf_clear(&env);
	kd_buf_printf(&env, "SSL_CERT_DIR= SSL_CERT_FILE='%s/ca.pem' KUDOC_GIT_TOKEN=tok-WRONG-3", tls);
	RUN(1, kd_buf_cstr(&env), ns, "install 'git+https://127.0.0.1:%d/git/repo.git//app?ref=main' --instance bad-token -v 9", port);
	ONE_ERROR(err, "refused the token from " KD_GIT_ENV_TOKEN);
	no_secret_in(&out, secrets, "stdout");
	no_secret_in(&err, secrets, "stderr");
	CHECK(nothing_of(c, ns, "bad-token"));

	/* the right password: installed from the commit, -v 9 logs the requests, still no secret */
	kd_buf_clear(&env);
	kd_buf_printf(&env, "SSL_CERT_DIR= SSL_CERT_FILE='%s/ca.pem' KUDOC_GIT_USERNAME=alice KUDOC_GIT_PASSWORD=pw-Sync-42", tls);
	RUN(0, kd_buf_cstr(&env), ns, "install 'git+https://127.0.0.1:%d/git/repo.git//app?ref=main' --instance by-pass -v 9", port);
	HAS(err, " 201 in "); /* the verbose log is on: the create requests and their status */
	no_secret_in(&out, secrets, "stdout");
	no_secret_in(&err, secrets, "stderr");
	CHECK_STR(rev_commit(c, ns, "by-pass", 1), c1);
	RUN(0, kd_buf_cstr(&env), ns, "sync --instance by-pass -v 9");
	HAS(err, " 200 in ");
	no_secret_in(&out, secrets, "stdout");
	no_secret_in(&err, secrets, "stderr");
	/* the right token */
	kd_buf_clear(&env);
	kd_buf_printf(&env, "SSL_CERT_DIR= SSL_CERT_FILE='%s/ca.pem' KUDOC_GIT_TOKEN=tok-Sync-9", tls);
	RUN(0, kd_buf_cstr(&env), ns, "install 'git+https://127.0.0.1:%d/git/repo.git//app?ref=main' --instance by-token -v 9", port);
	HAS(err, " 201 in ");
	no_secret_in(&out, secrets, "stdout");
	no_secret_in(&err, secrets, "stderr");
	CHECK_STR(rev_commit(c, ns, "by-token", 1), c1);
	/* the record keeps the URL, not the credentials */
	RUN(0, NULL, ns, "plan history --instance by-pass -o json");
	no_secret_in(&out, secrets, "plan history");
done:
	kd_gitfix_kill(pid);
	kd_kube_client_free(c);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_buf_free(&cmd);
	kd_buf_free(&pf);
	kd_buf_free(&log);
	kd_buf_free(&env);
	kd_buf_free(&b64_right);
	kd_buf_free(&b64_wrong);
	kd_buf_free(&kube_token);
	kd_e2e_ns_drop(ns);
}

/* ---- sync --interval: one loop acts, SIGINT and SIGTERM stop it ---------------------------------- */

typedef struct {
	const char *path, *text;
} log_wait;

static bool log_has(void *arg)
{
	const log_wait *w = arg;
	return strstr(kd_gitfix_read(w->path), w->text) != NULL;
}

static int spawn_loop(const char *ns, const char *inst, const char *log)
{
	kd_buf cmd = KD_BUF_INIT;
	kd_buf_printf(&cmd, "env XDG_CACHE_HOME='%s' '%s' sync --instance %s -n '%s' --kubeconfig '%s' --interval 1s", cache_dir(),
		kd_test_exe(), inst, ns, kd_test_kubeconfig());
	int pid = kd_gitfix_spawn(kd_buf_cstr(&cmd), log);
	kd_buf_free(&cmd);
	return pid;
}

static const char *lease_holder(kd_kube_client *c, const char *ns, const char *name)
{
	static char h[256];
	cJSON *l = get_obj(c, ns, "coordination.k8s.io/v1", "Lease", name);
	const char *s = kd_json_get_str(kd_json_get(l, "spec"), "holderIdentity");
	snprintf(h, sizeof(h), "%s", s ? s : "");
	cJSON_Delete(l);
	return h;
}

typedef struct {
	kd_kube_client *c;
	const char *ns, *lease, *want;
} holder_wait;

static bool holder_is(void *arg)
{
	const holder_wait *w = arg;
	return strstr(lease_holder(w->c, w->ns, w->lease), w->want) != NULL;
}

TEST(e2e_sync_interval_loops_never_both_act_and_stop_cleanly)
{
	char *ns = kd_e2e_ns("kd-syncloop");
	kd_kube_client *c = kd_e2e_client(ns);
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	app_repo r;
	char c1[41], c2[41];
	char *log_a = kd_e2e_tmp("sync-loop-a.log"), *log_b = kd_e2e_tmp("sync-loop-b.log");
	int a = -1, b = -1;
	CHECK(c != NULL);
	if (!repo_init(&r, "sync-loop-repo", c1))
		goto done;
	RUN(0, NULL, ns, "install 'git+%s//app?ref=main' --instance lp", r.url);
	a = spawn_loop(ns, "lp", log_a);
	char who[64];
	snprintf(who, sizeof(who), "/%d/sync", a);
	holder_wait hw = {c, ns, "kudoc-sync.lp", who};
	CHECK(kd_e2e_eventually(holder_is, &hw, 60));
	log_wait wa = {log_a, "in sync: revision 1"};
	CHECK(kd_e2e_eventually(log_has, &wa, 60));
	/* the second loop stands by; a single sync is refused naming the loop */
	b = spawn_loop(ns, "lp", log_b);
	log_wait wb = {log_b, "standby: instance"};
	CHECK(kd_e2e_eventually(log_has, &wb, 60));
	RUN(4, NULL, ns, "sync --instance lp");
	HAS(err, "Lease kudoc-sync.lp is held by another command");
	HAS(err, who);

	/* git moves on: exactly one upgrade, by the loop that holds the Lease */
	if (!repo_do(&r, c2, "version", "0.2.0", NULL))
		goto done;
	log_wait wu = {log_a, "upgraded: revision 2"};
	CHECK(kd_e2e_eventually(log_has, &wu, 120));
	log_wait wi = {log_a, "in sync: revision 2"};
	CHECK(kd_e2e_eventually(log_has, &wi, 60));
	CHECK_INT(nrevs(c, ns, "lp"), 2);
	CHECK(strstr(kd_gitfix_read(log_b), "upgraded") == NULL);
	CHECK(strstr(kd_gitfix_read(log_b), "in sync") == NULL);

	/* SIGINT stops the first at once and releases the Lease; the standby takes over */
	kill(a, SIGINT);
	CHECK_INT(kd_e2e_wait(a, 30), 0);
	a = -1;
	CHECK(strstr(kd_gitfix_read(log_a), " stopped\n") != NULL);
	snprintf(who, sizeof(who), "/%d/sync", b);
	CHECK(kd_e2e_eventually(holder_is, &hw, 60));
	log_wait wt = {log_b, "took over the Lease kudoc-sync.lp"};
	CHECK(kd_e2e_eventually(log_has, &wt, 60));
	log_wait wbi = {log_b, "in sync: revision 2"};
	CHECK(kd_e2e_eventually(log_has, &wbi, 60));
	/* SIGTERM too; then the Lease is free and a single sync goes ahead */
	kill(b, SIGTERM);
	CHECK_INT(kd_e2e_wait(b, 30), 0);
	b = -1;
	CHECK_STR(lease_holder(c, ns, "kudoc-sync.lp"), "");
	RUN(0, NULL, ns, "sync --instance lp");
	CHECK_INT(nrevs(c, ns, "lp"), 2);
	/* uninstall removes the sync Lease with the instance's own */
	RUN(0, NULL, ns, "uninstall --instance lp");
	cJSON *l = get_obj(c, ns, "coordination.k8s.io/v1", "Lease", "kudoc-sync.lp");
	CHECK(l == NULL);
	cJSON_Delete(l);
done:
	if (a > 0)
		kd_gitfix_kill(a);
	if (b > 0)
		kd_gitfix_kill(b);
	free(log_a);
	free(log_b);
	kd_kube_client_free(c);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_e2e_ns_drop(ns);
}

TEST(e2e_sync_interval_interrupted_during_a_plan_says_how_to_resume)
{
	char *ns = kd_e2e_ns("kd-syncint");
	kd_kube_client *c = kd_e2e_client(ns);
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	app_repo r;
	char c1[41], c2[41];
	char *log = kd_e2e_tmp("sync-int.log");
	int a = -1;
	CHECK(c != NULL);
	if (!repo_init(&r, "sync-int-repo", c1))
		goto done;
	RUN(0, NULL, ns, "install 'git+%s//app?ref=main' -P git:values.yaml --instance si", r.url);
	a = spawn_loop(ns, "si", log);
	log_wait w1 = {log, "in sync: revision 1"};
	CHECK(kd_e2e_eventually(log_has, &w1, 60));
	/* the new values make the pods never ready: the update's plan waits */
	if (!repo_do(&r, c2, "put", "values.yaml", "greeting: from-git\\nstuck: true\\n"))
		goto done;
	log_wait w2 = {log, "revision 2: update of app 0.1.0 (plan deploy)"};
	CHECK(kd_e2e_eventually(log_has, &w2, 60));
	kill(a, SIGINT);
	CHECK_INT(kd_e2e_wait(a, 30), 130);
	a = -1;
	const char *text = kd_gitfix_read(log);
	CHECK(strstr(text, "interrupted") != NULL);
	CHECK(strstr(text, "plan resume --instance si") != NULL);
	holder_wait hw = {c, ns, "kudoc-sync.si", ""};
	CHECK_STR(lease_holder(c, ns, hw.lease), "");
	CHECK_STR(lease_holder(c, ns, "kudoc.si"), "");
	/* the next sync reports the unfinished revision as drift and leaves it */
	RUN(6, NULL, ns, "sync --instance si");
	HAS(out, "drifted: revision 2 (plan deploy) has not finished (IN_PROGRESS): `plan resume` or `sync --repair` "
		 "continues it");
	CHECK_INT(nrevs(c, ns, "si"), 2);
done:
	if (a > 0)
		kd_gitfix_kill(a);
	free(log);
	kd_kube_client_free(c);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_e2e_ns_drop(ns);
}

/* An instance from a folder has no ref to follow: sync compares its live objects only. */
TEST(e2e_sync_of_an_instance_not_from_git_compares_the_live_objects)
{
	char *ns = kd_e2e_ns("kd-syncdir");
	kd_kube_client *c = kd_e2e_client(ns);
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT, kc = KD_BUF_INIT, want = KD_BUF_INIT;
	CHECK(c != NULL);
	RUN(0, NULL, ns, "install tests/e2e/packages/app-0.1.0 --instance fd");
	RUN(0, NULL, ns, "sync --instance fd");
	HAS(out, "in sync: revision 1 (app 0.1.0, plan deploy); 4 objects match the live ones; its package is not from git "
		 "(dir tests/e2e/packages/app-0.1.0): there is no ref to follow, only the live objects are compared\n");
	const char *patch[] = {"-n", ns, "patch", "configmap", "fd-config", "--type=merge", "-p",
		"{\"data\":{\"greeting\":\"by-hand\"}}", NULL};
	CHECK_INT(kd_e2e_kubectl(&kc, patch), 0);
	RUN(6, NULL, ns, "sync --instance fd");
	HAS(out, "-  greeting: by-hand\n+  greeting: hello\n");
	kd_buf_printf(&want, "drifted: 1 of 4 objects differ from revision 1: ConfigMap %s/fd-config (changed)", ns);
	HAS(out, kd_buf_cstr(&want));
	RUN(5, NULL, ns, "sync --instance fd --repair");
	CHECK_STR(cm_value(c, ns, "fd-config", "greeting"), "hello");
	RUN(0, NULL, ns, "sync --instance fd");
	/* no instance at all: one error */
	RUN(1, NULL, ns, "sync --instance nosuch");
	ONE_ERROR(err, "instance ");
	HAS(err, "/nosuch does not exist");
	kd_kube_client_free(c);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_buf_free(&kc);
	kd_buf_free(&want);
	kd_e2e_ns_drop(ns);
}
