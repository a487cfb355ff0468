#include "e2e.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../base/json.h"
#include "test.h"

extern char **environ;

kd_kube_client *kd_e2e_client(const char *ns)
{
	kd_kube_config *cfg = NULL;
	kd_kube_client *c = NULL;
	kd_kube_config_options co = KD_KUBE_CONFIG_OPTIONS_INIT;
	co.kubeconfig = kd_test_kubeconfig();
	co.namespace_ = ns;
	if (!kd_test_kubeconfig() || kd_kube_config_load(&cfg, &co) != 0) {
		fprintf(stderr, "  cannot load the test cluster's kubeconfig: %s\n", kd_error_last());
		return NULL;
	}
	kd_kube_client_options o = KD_KUBE_CLIENT_OPTIONS_INIT;
	o.discovery_ttl_s = -1;
	if (kd_kube_client_new(&c, cfg, &o) != 0)
		fprintf(stderr, "  cannot make a client: %s\n", kd_error_last());
	kd_kube_config_free(cfg);
	return c;
}

char *kd_e2e_ns(const char *prefix)
{
	static int n;
	kd_buf b = KD_BUF_INIT;
	kd_buf_printf(&b, "%s-%ld-%d", prefix, (long)getpid(), ++n);
	kd_kube_client *c = kd_e2e_client(NULL);
	if (c) {
		cJSON *ns = cJSON_CreateObject();
		cJSON_AddStringToObject(ns, "apiVersion", "v1");
		cJSON_AddStringToObject(ns, "kind", "Namespace");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(ns, "metadata"), "name", kd_buf_cstr(&b));
		if (kd_kube_create(NULL, c, ns) != 0)
			fprintf(stderr, "  cannot create namespace %s: %s\n", kd_buf_cstr(&b), kd_error_last());
		cJSON_Delete(ns);
		kd_kube_client_free(c);
	}
	return kd_buf_detach(&b);
}

void kd_e2e_ns_drop(char *ns)
{
	if (!ns)
		return;
	kd_kube_client *c = kd_e2e_client(NULL);
	if (c) {
		kd_kube_ref r = {"v1", "Namespace", NULL, ns, NULL};
		kd_kube_delete(c, &r, NULL);
		kd_error_clear();
		kd_kube_client_free(c);
	}
	free(ns);
}

const char *kd_e2e_pkg(const char *name)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s/tests/e2e/packages/%s", kd_test_root(), name);
	return path;
}

char *kd_e2e_tmp(const char *name)
{
	kd_buf b = KD_BUF_INIT;
	kd_buf_printf(&b, "%s/%s", kd_test_tmpdir(), name);
	return kd_buf_detach(&b);
}

char **kd_e2e_env(const char *path_first, const char *const *extra)
{
	size_t n = 0, nx = 0;
	while (environ[n])
		n++;
	while (extra && extra[nx])
		nx++;
	char **env = kd_calloc(n + nx + 2, sizeof(char *));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		bool replaced = path_first && strncmp(environ[i], "PATH=", 5) == 0;
		for (size_t j = 0; j < nx && !replaced; j++) {
			const char *eq = strchr(extra[j], '=');
			replaced = eq && strncmp(environ[i], extra[j], (size_t)(eq - extra[j]) + 1) == 0;
		}
		if (!replaced)
			env[k++] = kd_strdup(environ[i]);
	}
	if (path_first) {
		kd_buf b = KD_BUF_INIT;
		kd_buf_printf(&b, "PATH=%s:%s", path_first, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
		env[k++] = kd_buf_detach(&b);
	}
	for (size_t j = 0; j < nx; j++)
		env[k++] = kd_strdup(extra[j]);
	env[k] = NULL;
	return env;
}

void kd_e2e_env_free(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}

/* environ with KUBECONFIG replaced. */
static char **env_with(const char *kubeconfig)
{
	kd_buf b = KD_BUF_INIT;
	kd_buf_printf(&b, "KUBECONFIG=%s", kubeconfig ? kubeconfig : kd_test_kubeconfig());
	const char *extra[] = {kd_buf_cstr(&b), NULL};
	char **env = kd_e2e_env(NULL, extra);
	kd_buf_free(&b);
	return env;
}

static pid_t spawn(const char *prog, const char *const *argv, char **env, const char *out, const char *err)
{
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
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	pid_t pid = -1;
	if (posix_spawn(&pid, prog, &fa, NULL, (char *const *)full, env) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	free(full);
	return pid;
}

int kd_e2e_wait(pid_t pid, int timeout_s)
{
	if (pid <= 0)
		return -1;
	for (int i = 0; i < timeout_s * 20; i++) {
		int st = 0;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		usleep(50000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	fprintf(stderr, "  process %ld did not finish in %d s\n", (long)pid, timeout_s);
	return -1;
}

static void slurp(kd_buf *into, const char *path)
{
	char *data = NULL;
	size_t len = 0;
	if (into && kd_file_read(&data, &len, path, 0) == 0) {
		kd_buf_put(into, data, len);
		free(data);
	}
	unlink(path);
}

int kd_e2e_run(kd_buf *out, kd_buf *err, const char *prog, const char *const *argv, char **env, int timeout_s)
{
	static int seq;
	char *o = NULL, *e = NULL;
	kd_buf b = KD_BUF_INIT;
	kd_buf_printf(&b, "run-%d.out", ++seq);
	o = kd_e2e_tmp(kd_buf_cstr(&b));
	kd_buf_clear(&b);
	kd_buf_printf(&b, "run-%d.err", seq);
	e = kd_e2e_tmp(kd_buf_cstr(&b));
	kd_buf_free(&b);
	pid_t pid = spawn(prog, argv, env ? env : environ, o, e);
	int rc = kd_e2e_wait(pid, timeout_s);
	if (out)
		kd_buf_clear(out);
	if (err)
		kd_buf_clear(err);
	slurp(out, o);
	slurp(err, e);
	unlink(o);
	unlink(e);
	free(o);
	free(e);
	return rc;
}

int kd_e2e_kudo(kd_buf *out, kd_buf *err, const char *kubeconfig, const char *const *argv)
{
	char **env = env_with(kubeconfig);
	int rc = kd_e2e_run(out, err, kd_test_exe(), argv, env, 300);
	kd_e2e_env_free(env);
	return rc;
}

pid_t kd_e2e_kudo_spawn(const char *kubeconfig, const char *const *argv, const char *log)
{
	char **env = env_with(kubeconfig);
	pid_t pid = spawn(kd_test_exe(), argv, env, log, log);
	kd_e2e_env_free(env);
	return pid;
}

int kd_e2e_kubectl(kd_buf *out, const char *const *argv)
{
	size_t n = 0;
	while (argv[n])
		n++;
	const char **full = kd_calloc(n + 4, sizeof(char *));
	full[0] = "kubectl";
	full[1] = "--kubeconfig";
	full[2] = kd_test_kubeconfig();
	for (size_t i = 0; i < n; i++)
		full[i + 3] = argv[i];
	char **env = env_with(NULL);
	kd_buf err = KD_BUF_INIT;
	int rc = kd_e2e_run(out, &err, kd_test_testenv_bin(), full, env, 300);
	if (rc != 0)
		fprintf(stderr, "  kubectl %s: %s\n", argv[0], kd_buf_cstr(&err));
	kd_buf_free(&err);
	kd_e2e_env_free(env);
	free(full);
	return rc;
}

bool kd_e2e_eventually(bool (*pred)(void *), void *arg, int timeout_s)
{
	for (int i = 0; i < timeout_s * 10; i++) {
		if (pred(arg))
			return true;
		usleep(100000);
	}
	return pred(arg);
}
