/* Exec credential plugins (client.authentication.k8s.io/v1 and v1beta1): run the command with
 * its args and env plus KUBERNETES_EXEC_INFO, read an ExecCredential from its stdout, keep it
 * until its expirationTimestamp. The plugin's output holds secrets: it is never quoted in an
 * error. Its stderr goes to ours, as with kubectl (prompts and hints are meant for the user). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../base/json.h"
#include "internal.h"

extern char **environ;

#define EXEC_OUTPUT_MAX ((size_t)1 << 20)
#define EXEC_TIMEOUT_MS 60000

void kd_kube__exec_cred_clear(kd_kube__exec_cred *cred)
{
	kd_kube__scrub_str(cred->token);
	kd_kube__scrub_free(cred->key, cred->key_len);
	free(cred->cert);
	int runs = cred->runs;
	memset(cred, 0, sizeof(*cred));
	cred->runs = runs;
}

static int64_t wall_us(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

int kd_kube__exec_parse(kd_kube__exec_cred *cred, const char *api_version, const char *json, size_t len)
{
	cJSON *doc = cJSON_ParseWithLength(json, len);
	int rc = KD_EAUTH;
	kd_kube__exec_cred c = {0};
	if (!doc || !cJSON_IsObject(doc)) {
		kd_error_set(KD_ERR_KUBE, "exec plugin: its output is not a JSON ExecCredential");
		goto done;
	}
	const char *kind = kd_json_get_str(doc, "kind"), *av = kd_json_get_str(doc, "apiVersion");
	if (!kind || strcmp(kind, "ExecCredential") != 0) {
		kd_error_set(KD_ERR_KUBE, "exec plugin: its output has kind %s%s%s, want ExecCredential", kind ? "\"" : "",
			kind ? kind : "(none)", kind ? "\"" : "");
		goto done;
	}
	if (api_version && (!av || strcmp(av, api_version) != 0)) {
		kd_error_set(KD_ERR_KUBE, "exec plugin: its output has apiVersion %s, want %s", av ? av : "(none)", api_version);
		goto done;
	}
	const cJSON *st = kd_json_get(doc, "status");
	if (!cJSON_IsObject(st)) {
		kd_error_set(KD_ERR_KUBE, "exec plugin: its ExecCredential has no status");
		goto done;
	}
	const char *tok = kd_json_get_str(st, "token"), *cert = kd_json_get_str(st, "clientCertificateData"),
		   *key = kd_json_get_str(st, "clientKeyData"), *exp = kd_json_get_str(st, "expirationTimestamp");
	if ((cert && *cert) != (key && *key)) {
		kd_error_set(KD_ERR_KUBE, "exec plugin: clientCertificateData and clientKeyData must come together");
		goto done;
	}
	if (!(tok && *tok) && !(cert && *cert)) {
		kd_error_set(KD_ERR_KUBE, "exec plugin: its ExecCredential has neither a token nor a client certificate");
		goto done;
	}
	if (exp && *exp && kd_kube_time_parse(&c.expires_us, exp)) {
		kd_error_set(KD_ERR_KUBE, "exec plugin: expirationTimestamp \"%s\" is not RFC 3339", exp);
		goto done;
	}
	c.token = tok && *tok ? kd_strdup(tok) : NULL;
	if (cert && *cert) {
		c.cert = kd_strdup(cert);
		c.cert_len = strlen(cert);
		c.key = kd_strdup(key);
		c.key_len = strlen(key);
	}
	c.valid = true;
	c.runs = cred->runs;
	kd_kube__exec_cred_clear(cred);
	*cred = c;
	memset(&c, 0, sizeof(c));
	rc = 0;
done:
	kd_kube__json_scrub_delete(doc); /* the token and key are in the parse tree too */
	kd_kube__exec_cred_clear(&c);
	return rc;
}


static char *exec_info(const kd_kube_config *cfg)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "apiVersion", cfg->exec_api_version);
	cJSON_AddStringToObject(o, "kind", "ExecCredential");
	cJSON *spec = cJSON_AddObjectToObject(o, "spec");
	cJSON_AddBoolToObject(spec, "interactive", false);
	if (cfg->exec_provide_cluster_info) {
		cJSON *cl = cJSON_AddObjectToObject(spec, "cluster");
		cJSON_AddStringToObject(cl, "server", cfg->server ? cfg->server : "");
		if (cfg->tls_server_name)
			cJSON_AddStringToObject(cl, "tls-server-name", cfg->tls_server_name);
		if (cfg->insecure)
			cJSON_AddBoolToObject(cl, "insecure-skip-tls-verify", true);
		if (cfg->proxy_url)
			cJSON_AddStringToObject(cl, "proxy-url", cfg->proxy_url);
		char *ca = NULL;
		size_t calen = 0;
		const char *cad = cfg->ca_data;
		size_t cadl = cfg->ca_len;
		if (!cad && cfg->ca_file && kd_file_read(&ca, &calen, cfg->ca_file, 1 << 20) == 0) {
			cad = ca;
			cadl = calen;
		}
		kd_error_clear();
		if (cad) {
			kd_buf b = KD_BUF_INIT;
			kd_base64_encode(&b, cad, cadl);
			cJSON_AddStringToObject(cl, "certificate-authority-data", kd_buf_cstr(&b));
			kd_buf_free(&b);
		}
		free(ca);
	}
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static int run_plugin(kd_buf *out, const kd_kube_config *cfg, const volatile sig_atomic_t *cancel)
{
	int pipefd[2] = {-1, -1}, rc = KD_EAUTH, status = 0;
	pid_t pid = -1;
	char **argv = NULL, **envp = NULL, *info = NULL;
	size_t nenv = 0, nargs = 0;
	posix_spawn_file_actions_t fa;
	bool fa_init = false;

	for (char **a = cfg->exec_args; a && *a; a++)
		nargs++;
	argv = kd_calloc(nargs + 2, sizeof(char *));
	argv[0] = cfg->exec_command;
	for (size_t i = 0; i < nargs; i++)
		argv[i + 1] = cfg->exec_args[i];
	for (char **e = environ; e && *e; e++)
		nenv++;
	for (char **e = cfg->exec_env; e && *e; e++)
		nenv++;
	envp = kd_calloc(nenv + 2, sizeof(char *));
	size_t k = 0;
	/* the plugin's env entries override ours */
	for (char **e = environ; e && *e; e++) {
		bool shadowed = strncmp(*e, "KUBERNETES_EXEC_INFO=", 21) == 0;
		const char *eq = strchr(*e, '=');
		size_t nl = eq ? (size_t)(eq - *e) + 1 : strlen(*e);
		for (char **x = cfg->exec_env; !shadowed && x && *x; x++)
			shadowed = strncmp(*x, *e, nl) == 0;
		if (!shadowed)
			envp[k++] = *e;
	}
	for (char **x = cfg->exec_env; x && *x; x++)
		envp[k++] = *x;
	kd_buf ib = KD_BUF_INIT;
	char *json = exec_info(cfg);
	kd_buf_printf(&ib, "KUBERNETES_EXEC_INFO=%s", json);
	free(json);
	info = kd_buf_detach(&ib);
	envp[k++] = info;
	envp[k] = NULL;

	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		kd_error_set_os(errno, "exec plugin %s: pipe", cfg->exec_command);
		goto done;
	}
	posix_spawn_file_actions_init(&fa);
	fa_init = true;
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	int err = strchr(cfg->exec_command, '/') ? posix_spawn(&pid, cfg->exec_command, &fa, NULL, argv, envp)
						   : posix_spawnp(&pid, cfg->exec_command, &fa, NULL, argv, envp);
	close(pipefd[1]);
	pipefd[1] = -1;
	if (err) {
		pid = -1;
		kd_error_set(KD_ERR_KUBE, "exec plugin %s: %s%s%s", cfg->exec_command, strerror(err),
			cfg->exec_install_hint ? "; " : "", cfg->exec_install_hint ? cfg->exec_install_hint : "");
		goto done;
	}
	int64_t deadline = kd_kube__now_ms() + EXEC_TIMEOUT_MS;
	for (;;) {
		int64_t left = deadline - kd_kube__now_ms();
		if (left <= 0) {
			kill(pid, SIGKILL);
			kd_error_set(KD_ERR_KUBE, "exec plugin %s: no answer within %d s", cfg->exec_command,
				EXEC_TIMEOUT_MS / 1000);
			goto done;
		}
		if (cancel && *cancel) {
			kill(pid, SIGKILL);
			kd_kube__cancel_error(cfg->exec_command);
			rc = KD_ECANCELED;
			goto done;
		}
		if (cancel && left > KD_KUBE__CANCEL_POLL_MS)
			left = KD_KUBE__CANCEL_POLL_MS;
		struct pollfd p = {pipefd[0], POLLIN, 0};
		int pr = poll(&p, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0)
			continue; /* nothing yet: look at the deadline and the cancel flag again */
		char chunk[4096];
		ssize_t n = read(pipefd[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			kd_error_set_os(errno, "exec plugin %s: read", cfg->exec_command);
			goto done;
		}
		if (n == 0)
			break;
		if (out->len + (size_t)n > EXEC_OUTPUT_MAX) {
			kill(pid, SIGKILL);
			kd_error_set(KD_ERR_KUBE, "exec plugin %s: output larger than %zu bytes", cfg->exec_command,
				EXEC_OUTPUT_MAX);
			kd_kube__scrub(chunk, sizeof(chunk));
			goto done;
		}
		kd_kube__secret_put(out, chunk, (size_t)n);
		kd_kube__scrub(chunk, (size_t)n);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		kd_error_set(KD_ERR_KUBE, "exec plugin %s failed (%s %d)", cfg->exec_command,
			WIFEXITED(status) ? "exit status" : "signal", WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		goto done;
	}
	rc = 0;
done:
	if (pid > 0) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (fa_init)
		posix_spawn_file_actions_destroy(&fa);
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	free(argv);
	free(envp);
	free(info);
	return rc;
}

int kd_kube__exec_get(kd_kube__exec_cred *cred, const kd_kube_config *cfg, bool force,
	const volatile sig_atomic_t *cancel)
{
	kd_buf out = KD_BUF_INIT;
	int rc;
	/* a credential about to expire is renewed a little early */
	if (!force && cred->valid && (cred->expires_us == 0 || wall_us() + 5000000 < cred->expires_us))
		return 0;
	cred->runs++;
	rc = run_plugin(&out, cfg, cancel);
	if (!rc)
		rc = kd_kube__exec_parse(cred, cfg->exec_api_version, out.ptr ? out.ptr : "", out.len);
	kd_kube__secret_buf_free(&out);
	return rc;
}
