/* The binary users run: the documented install (./dev install PREFIX) into a scratch prefix,
 * then kubectl-kudo through the real kubectl's plugin discovery with PREFIX/bin on PATH, the
 * way README tells users to run it: version, template of the package it ships (found in
 * PREFIX/share/kudoc/packages), an offline command loading none of the lazily loaded libraries,
 * a .tgz written and read (libarchive) and a git+file:// source (libgit2) rendered as the folder
 * is, and an install, get and uninstall against the test cluster (the lazily loaded libcurl). */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

/* environ with PATH starting at bin_dir and the given extra variables ("NAME=value", NULL-ended). */
static char **env_for(const char *bin_dir, const char *const *extra)
{
	size_t n = 0, nx = 0;
	while (environ[n])
		n++;
	while (extra && extra[nx])
		nx++;
	char **env = kd_calloc(n + nx + 2, sizeof(char *));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		bool replaced = strncmp(environ[i], "PATH=", 5) == 0;
		for (size_t j = 0; j < nx && !replaced; j++) {
			const char *eq = strchr(extra[j], '=');
			replaced = eq && strncmp(environ[i], extra[j], (size_t)(eq - extra[j]) + 1) == 0;
		}
		if (!replaced)
			env[k++] = kd_strdup(environ[i]);
	}
	kd_buf b = KD_BUF_INIT;
	kd_buf_printf(&b, "PATH=%s:%s", bin_dir, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	env[k++] = kd_buf_detach(&b);
	for (size_t j = 0; j < nx; j++)
		env[k++] = kd_strdup(extra[j]);
	env[k] = NULL;
	return env;
}

static void env_free(char **env)
{
	for (size_t i = 0; env[i]; i++)
		free(env[i]);
	free(env);
}

static void slurp(kd_buf *into, const char *path)
{
	char *data = NULL;
	size_t len = 0;
	kd_buf_clear(into);
	if (kd_file_read(&data, &len, path, 0) == 0) {
		kd_buf_put(into, data, len);
		free(data);
	}
	kd_error_clear();
	unlink(path);
}

/* Runs prog (a path) with argv (without the program, NULL-ended) and env; stdout and stderr
 * into out/err. The exit status, or -1 (a signal, or still running after timeout_s: killed). */
static int run(kd_buf *out, kd_buf *err, const char *prog, const char *const *argv, char **env, int timeout_s)
{
	static int seq;
	kd_buf o = KD_BUF_INIT, e = KD_BUF_INIT;
	kd_buf_printf(&o, "%s/install-%d.out", kd_test_tmpdir(), ++seq);
	kd_buf_printf(&e, "%s/install-%d.err", kd_test_tmpdir(), seq);
	size_t n = 0;
	while (argv[n])
		n++;
	const char **full = kd_calloc(n + 2, sizeof(char *));
	full[0] = prog;
	for (size_t i = 0; i < n; i++)
		full[i + 1] = argv[i];
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, kd_buf_cstr(&o), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, kd_buf_cstr(&e), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	pid_t pid = -1;
	int rc = -1;
	if (posix_spawn(&pid, prog, &fa, NULL, (char *const *)full, env) == 0) {
		int st = 0;
		for (int i = 0; i < timeout_s * 20; i++) {
			if (waitpid(pid, &st, WNOHANG) == pid) {
				rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
				pid = -1;
				break;
			}
			usleep(50000);
		}
		if (pid > 0) {
			fprintf(stderr, "  %s did not finish in %d s\n", prog, timeout_s);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
	}
	posix_spawn_file_actions_destroy(&fa);
	free(full);
	slurp(out, kd_buf_cstr(&o));
	slurp(err, kd_buf_cstr(&e));
	if (rc != 0)
		fprintf(stderr, "  %s %s: exit %d: %.2000s\n", prog, argv[0], rc, kd_buf_cstr(err));
	kd_buf_free(&o);
	kd_buf_free(&e);
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
	char **plain = env_for("/usr/bin", NULL);
	CHECK_INT(run(&out, &err, kd_buf_cstr(&path), dev_argv, plain, 1200), 0);
	env_free(plain);
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
	env = env_for(bin, extra);

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
	env_debug = env_for(bin, debug_extra);
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
		char **env_git = env_for(bin, git_extra);
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
		env_free(env_git);
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
		env_free(env);
	if (env_debug)
		env_free(env_debug);
	free(bin);
	free(kubectl);
	free(prefix);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_buf_free(&ref);
	kd_buf_free(&path);
	kd_buf_free(&kc);
}
