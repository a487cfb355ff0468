/* The binary users run: the documented install (./dev install PREFIX) into a scratch prefix,
 * then kubectl-kudo through the real kubectl's plugin discovery with PREFIX/bin on PATH, the
 * way README tells users to run it: version, template of the package it ships (found in
 * PREFIX/share/kudoc/packages), an offline command loading none of the lazily loaded libraries,
 * a .tgz written and read (libarchive) and a git+file:// source (libgit2) rendered as the folder
 * is, and an install, get and uninstall against the test cluster (the lazily loaded libcurl). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../base/base.h"
#include "e2e.h"
#include "test.h"

extern char **environ;

/* kubectl from PATH (the real one: testenv's in-process kubectl does not dispatch plugins). */
static char *find_on_path(const char *name)
{
	const char *path = getenv("PATH");
	kd_buf b = KD_BUF_INIT;
	for (const char *p = path ? path : ""; *p;) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);
		kd_buf_clear(&b);
		kd_buf_put(&b, p, n);
		kd_buf_printf(&b, "/%s", name);
		if (n && access(kd_buf_cstr(&b), X_OK) == 0)
			return kd_buf_detach(&b);
		p += n + (colon ? 1 : 0);
	}
	kd_buf_free(&b);
	return NULL;
}

/* Runs prog with argv and env (kd_e2e_run), saying what failed. */
static int run(kd_buf *out, kd_buf *err, const char *prog, const char *const *argv, char **env, int timeout_s)
{
	int rc = kd_e2e_run(out, err, prog, argv, env, timeout_s);
	if (rc != 0)
		fprintf(stderr, "  %s %s: exit %d: %.2000s\n", prog, argv[0], rc, kd_buf_cstr(err));
	return rc;
}

static bool is_executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IXUSR);
}

TEST(e2e_install_prefix_kubectl_plugin)
{
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT, ref = KD_BUF_INIT, path = KD_BUF_INIT, kc = KD_BUF_INIT;
	char *prefix = kd_e2e_tmp("prefix with space");
	char *bin = NULL, *kubectl = find_on_path("kubectl"), *ns = NULL;
	char **env = NULL, **env_debug = NULL;

	/* The documented install. A cold optimized build takes minutes on a busy machine; after
	 * ./dev build (which ./dev test runs first) it only copies. */
	kd_buf_printf(&path, "%s/dev", kd_test_root());
	const char *dev_argv[] = {"install", prefix, NULL};
	char **plain = kd_e2e_env("/usr/bin", NULL);
	CHECK_INT(run(&out, &err, kd_buf_cstr(&path), dev_argv, plain, 1200), 0);
	kd_e2e_env_free(plain);
	kd_buf_clear(&path);
	kd_buf_printf(&path, "%s/bin/kubectl-kudo", prefix);
	CHECK(is_executable(kd_buf_cstr(&path)));
	kd_buf_clear(&path);
	kd_buf_printf(&path, "%s/share/kudoc/packages/spark/operator.yaml", prefix);
	CHECK(access(kd_buf_cstr(&path), R_OK) == 0);
	kd_buf_clear(&path);
	kd_buf_printf(&path, "%s/share/kudoc/packages/spark/templates/deployment.yaml", prefix);
	CHECK(access(kd_buf_cstr(&path), R_OK) == 0);

	if (!CHECK(kubectl != NULL)) {
		fprintf(stderr, "  no kubectl on PATH: the plugin test needs the real kubectl\n");
		goto done;
	}
	kd_buf_clear(&path);
	kd_buf_printf(&path, "%s/bin", prefix);
	bin = kd_buf_detach(&path);
	kd_buf_printf(&kc, "KUBECONFIG=%s", kd_test_kubeconfig() ? kd_test_kubeconfig() : "/nonexistent");
	const char *extra[] = {kd_buf_cstr(&kc), NULL};
	env = kd_e2e_env(bin, extra);

	/* kubectl finds kubectl-kudo on PATH and runs it */
	const char *version[] = {"kudo", "version", NULL};
	CHECK_INT(run(&out, &err, kubectl, version, env, 60), 0);
	CHECK(strncmp(kd_buf_cstr(&out), "kubectl-kudo ", 13) == 0);

	/* the shipped package by name, rendered as the binary under test renders the repository's */
	const char *tpl[] = {"kudo", "template", "spark", "-n", "spark-operator", "-p", "replicas=3", "-p",
		"enableLeaderElection=true", NULL};
	CHECK_INT(run(&out, &err, kubectl, tpl, env, 60), 0);
	kd_buf_printf(&path, "%s/packages/spark", kd_test_root());
	const char *tpl_ref[] = {"template", kd_buf_cstr(&path), "-n", "spark-operator", "-p", "replicas=3", "-p",
		"enableLeaderElection=true", NULL};
	CHECK_INT(kd_e2e_kudo(&ref, &err, NULL, tpl_ref), 0);
	CHECK(out.len > 100000); /* the CRDs, the operator and its RBAC */
	CHECK(strstr(kd_buf_cstr(&out), "# Source: templates/deployment.yaml\n") != NULL);
	CHECK(strstr(kd_buf_cstr(&out), "kind: CustomResourceDefinition") != NULL);
	CHECK(out.len == ref.len && memcmp(kd_buf_cstr(&out), kd_buf_cstr(&ref), out.len) == 0);

	/* an offline command loads none of the lazily loaded libraries (ld.so lists what it loads) */
	const char *debug_extra[] = {kd_buf_cstr(&kc), "LD_DEBUG=files", NULL};
	env_debug = kd_e2e_env(bin, debug_extra);
	CHECK_INT(run(&out, &err, kubectl, tpl, env_debug, 60), 0);
	CHECK(strstr(kd_buf_cstr(&err), "libcjson.so") != NULL); /* LD_DEBUG reached kubectl-kudo */
	CHECK(strstr(kd_buf_cstr(&err), "libcurl") == NULL);
	CHECK(strstr(kd_buf_cstr(&err), "libgit2") == NULL);
	CHECK(strstr(kd_buf_cstr(&err), "libarchive") == NULL);
	CHECK(strstr(kd_buf_cstr(&err), "libssl") == NULL);

	/* the other lazily loaded libraries, through the installed binary: libarchive writes and
	 * reads a .tgz, libgit2 reads a git+file:// source; each renders as the folder does */
	{
		kd_buf folder = KD_BUF_INIT, script = KD_BUF_INIT, src = KD_BUF_INIT, tgz = KD_BUF_INIT;
		char *work = kd_e2e_tmp("lazy-libs");
		CHECK(mkdir(work, 0700) == 0);
		kd_buf_clear(&path);
		kd_buf_printf(&path, "%s/bin/kubectl-kudo", prefix);
		/* the git source's cache in the scratch folder, not the user's */
		kd_buf cache = KD_BUF_INIT;
		kd_buf_printf(&cache, "XDG_CACHE_HOME=%s/cache", work);
		const char *git_extra[] = {kd_buf_cstr(&kc), "LD_DEBUG=files", kd_buf_cstr(&cache), NULL};
		char **env_git = kd_e2e_env(bin, git_extra);
		const char *tpl_dir[] = {"template", kd_e2e_pkg("app-0.1.0"), NULL};
		CHECK_INT(run(&folder, &err, kd_buf_cstr(&path), tpl_dir, env, 60), 0);
		CHECK(strstr(kd_buf_cstr(&folder), "kind: ConfigMap") != NULL);
		const char *create[] = {"package", "create", kd_e2e_pkg("app-0.1.0"), "--destination", work, NULL};
		CHECK_INT(run(&out, &err, kd_buf_cstr(&path), create, env, 60), 0);
		kd_buf_printf(&script,
			"set -e; cd '%s'; ls *.tgz; git init -q repo; cp -r '%s' repo/app; cd repo; git add -A;"
			" git -c user.email=t@example.com -c user.name=t commit -qm app",
			work, kd_e2e_pkg("app-0.1.0"));
		const char *sh[] = {"-c", kd_buf_cstr(&script), NULL};
		CHECK_INT(run(&out, &err, "/bin/sh", sh, env, 60), 0);
		kd_buf_printf(&tgz, "%s/", work);
		kd_buf_put(&tgz, out.ptr, out.len && out.ptr[out.len - 1] == '\n' ? out.len - 1 : out.len);
		const char *tpl_tgz[] = {"template", kd_buf_cstr(&tgz), NULL};
		CHECK_INT(run(&out, &err, kd_buf_cstr(&path), tpl_tgz, env_debug, 60), 0);
		CHECK(strstr(kd_buf_cstr(&err), "libarchive.so") != NULL);
		CHECK(strstr(kd_buf_cstr(&err), "libgit2") == NULL);
		CHECK(out.len == folder.len && memcmp(kd_buf_cstr(&out), kd_buf_cstr(&folder), out.len) == 0);
		kd_buf_printf(&src, "git+file://%s/repo//app", work);
		const char *tpl_git[] = {"template", kd_buf_cstr(&src), NULL};
		CHECK_INT(run(&out, &err, kd_buf_cstr(&path), tpl_git, env_git, 60), 0);
		CHECK(strstr(kd_buf_cstr(&err), "libgit2.so") != NULL);
		CHECK(out.len == folder.len && memcmp(kd_buf_cstr(&out), kd_buf_cstr(&folder), out.len) == 0);
		kd_buf_clear(&path);
		kd_buf_free(&folder);
		kd_buf_free(&script);
		kd_buf_free(&src);
		kd_buf_free(&tgz);
		kd_buf_free(&cache);
		kd_e2e_env_free(env_git);
		free(work);
	}

	/* a cluster command: libcurl loaded at its first call, parallel steps, TLS to the cluster */
	ns = kd_e2e_ns("e2e-installed");
	const char *inst[] = {"kudo", "install", kd_e2e_pkg("app-0.1.0"), "-n", ns, "--instance", "shipped", NULL};
	CHECK_INT(run(&out, &err, kubectl, inst, env, 300), 0);
	const char *get[] = {"kudo", "get", "instances", "-n", ns, NULL};
	CHECK_INT(run(&out, &err, kubectl, get, env, 60), 0);
	CHECK(strstr(kd_buf_cstr(&out), "shipped") != NULL);
	const char *un[] = {"kudo", "uninstall", "--instance", "shipped", "-n", ns, NULL};
	CHECK_INT(run(&out, &err, kubectl, un, env, 300), 0);
	CHECK_INT(run(&out, &err, kubectl, get, env, 60), 0);
	CHECK(strstr(kd_buf_cstr(&out), "shipped") == NULL);

done:
	kd_e2e_ns_drop(ns);
	if (env)
		kd_e2e_env_free(env);
	if (env_debug)
		kd_e2e_env_free(env_debug);
	free(bin);
	free(kubectl);
	free(prefix);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_buf_free(&ref);
	kd_buf_free(&path);
	kd_buf_free(&kc);
}
