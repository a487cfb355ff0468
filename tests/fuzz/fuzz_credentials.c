/* libFuzzer target for the small readers of credentials and trust from outside kudoc: an exec
 * credential plugin's output (kube/exec.c), a --git-credentials file and a known_hosts file
 * (gitops/trust.c), and the repositories file (operator/repo.c).
 *
 * Input: the first byte picks the reader (its value % 4), the rest is its text:
 *   0  ExecCredential JSON, read for apiVersion client.authentication.k8s.io/v1 and for any;
 *   1  a credentials file, its first line being the URL to look credentials up for;
 *   2  a known_hosts file, its first line being "HOST PORT" (the key presented is a fixed
 *      ssh-ed25519 blob);
 *   3  repositories.yaml, written to a temporary folder and loaded.
 *
 * Properties: no error message holds the token or client key of the plugin output or any
 * line of the credentials file (where passwords are); a credential that reads is the one the
 * JSON holds; a URL without a matching line finds USER:PASSWORD once a line for it is added;
 * adding a line with the host's key makes a known_hosts verdict OK (unless the key was
 * revoked), adding an @revoked line makes it REVOKED; a repositories file that loads saves and
 * loads again to the same repositories and context. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <errno.h>

#include "../../base/base.h"
#include "../../base/json.h"
#include "../../base/strconv.h"
#include "../../gitops/gitops_internal.h"
#include "../../kube/internal.h"
#include "../../operator/operator.h"
#include "fuzz.h"


static bool contains(const char *hay, const char *needle)
{
	return hay && needle && *needle && strstr(hay, needle);
}

/* ---- exec plugin output -------------------------------------------------------------------- */

/* Whether `secret` shows in the message for a reason other than being the secret: the
 * message quotes kind, apiVersion and expirationTimestamp, which the input may make equal. */
static bool quoted_elsewhere(const cJSON *doc, const char *secret, const char *api)
{
	const char *other[] = {kd_json_get_str(doc, "kind"), kd_json_get_str(doc, "apiVersion"),
		kd_json_get_str(kd_json_get(doc, "status"), "expirationTimestamp"), api,
		"exec plugin: its output has kind (none), want ExecCredential apiVersion clientCertificateData and "
		"clientKeyData must come together neither a token nor a client certificate is not RFC 3339 status "
		"is not a JSON"};
	for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
		if (contains(other[i], secret))
			return true;
	return false;
}

static void fuzz_exec(const char *text, size_t len)
{
	static const char *const apis[] = {"client.authentication.k8s.io/v1", NULL};
	cJSON *doc = cJSON_ParseWithLength(text, len);
	const cJSON *st = kd_json_get(doc, "status");
	const char *tok = kd_json_get_str(st, "token"), *key = kd_json_get_str(st, "clientKeyData"),
		   *cert = kd_json_get_str(st, "clientCertificateData");
	for (size_t i = 0; i < 2; i++) {
		kd_kube__exec_cred cred;
		memset(&cred, 0, sizeof cred);
		int rc = kd_kube__exec_parse(&cred, apis[i], text, len);
		if (rc == 0) {
			ASSERT(doc && cred.valid);
			ASSERT(tok && *tok ? cred.token && strcmp(cred.token, tok) == 0 : cred.token == NULL);
			if (cert && *cert)
				ASSERT(cred.cert && strcmp(cred.cert, cert) == 0 && cred.key && strcmp(cred.key, key) == 0 &&
					cred.key_len == strlen(key));
			else
				ASSERT(!cred.cert && !cred.key);
		} else {
			const char *msg = kd_error_last();
			if ((contains(msg, tok) && !quoted_elsewhere(doc, tok, apis[i])) ||
				(contains(msg, key) && !quoted_elsewhere(doc, key, apis[i]))) {
				fprintf(stderr, "a secret of the plugin output is in the error: %s\n", msg);
				abort();
			}
		}
		kd_kube__exec_cred_clear(&cred);
	}
	cJSON_Delete(doc);
}

/* ---- credentials file ---------------------------------------------------------------------- */

static const char creds_help[] = "want https://USER:PASSWORD@HOST[/PATH]";

static void check_creds_message(const char *msg, const char *file_text)
{
	/* every line, trimmed, that is long enough not to be in the message by chance */
	const char *p = file_text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		const char *s = p;
		size_t m = n;
		while (m && (*s == ' ' || *s == '\t')) {
			s++;
			m--;
		}
		while (m && (s[m - 1] == ' ' || s[m - 1] == '\t' || s[m - 1] == '\r'))
			m--;
		if (m >= 6) {
			char *line = kd_strndup(s, m);
			if (!strstr(creds_help, line) && !strstr("creds.txt", line) && strstr(msg, line)) {
				fprintf(stderr, "a line of the credentials file is in the error: %s\n", msg);
				abort();
			}
			free(line);
		}
		p = nl ? nl + 1 : p + n;
	}
}

static bool plain(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

static void fuzz_creds(const char *text, size_t len)
{
	const char *nl = memchr(text, '\n', len);
	if (!nl)
		return;
	char *url = kd_strndup(text, (size_t)(nl - text));
	const char *file = nl + 1;
	size_t flen = len - (size_t)(nl + 1 - text);
	kd_git__url_parts u;
	char *user = NULL, *pass = NULL;
	if (kd_git__url_split(&u, url) != 0)
		goto done;
	int rc = kd_git__creds_lookup_text(&user, &pass, "creds.txt", file, flen, &u);
	if (rc == 0) {
		ASSERT(user && pass);
	} else {
		ASSERT(!user && !pass);
		if (rc != KD_ENOTFOUND) {
			char *ftext = kd_strndup(file, flen);
			check_creds_message(kd_error_last(), ftext);
			free(ftext);
		}
	}
	/* a line for the URL, added after the others, is found when nothing before it matched */
	if (rc == KD_ENOTFOUND && !memchr(file, '\0', flen) && plain(url) && u.port > 0 && !strpbrk(url, "@[]")) {
		kd_buf f = KD_BUF_INIT;
		kd_buf_put(&f, file, flen);
		kd_buf_printf(&f, "\n%s://fz%%40user:p%%3Ass@%s%s%s:%d%s\n", u.scheme, strchr(u.host, ':') ? "[" : "",
			u.host, strchr(u.host, ':') ? "]" : "", u.port, u.path);
		char *u2 = NULL, *p2 = NULL;
		if (kd_git__creds_lookup_text(&u2, &p2, "creds.txt", f.ptr, f.len, &u) != 0) {
			fprintf(stderr, "no credentials for %s with the line added: %s\n", url, kd_error_last());
			abort();
		}
		ASSERT(strcmp(u2, "fz@user") == 0 && strcmp(p2, "p:ss") == 0);
		free(u2);
		free(p2);
		kd_buf_free(&f);
	}
done:
	free(user);
	free(pass);
	free(url);
}

/* ---- known_hosts --------------------------------------------------------------------------- */

static void fuzz_known_hosts(const char *text, size_t len)
{
	/* string "ssh-ed25519" and 32 bytes of key, as an SSH server presents it */
	unsigned char key[4 + 11 + 4 + 32] = {0, 0, 0, 11, 's', 's', 'h', '-', 'e', 'd', '2', '5', '5', '1', '9', 0, 0, 0, 32};
	for (size_t i = 0; i < 32; i++)
		key[19 + i] = (unsigned char)(i * 7 + 1);
	const char *nl = memchr(text, '\n', len);
	if (!nl)
		return;
	char *first = kd_strndup(text, (size_t)(nl - text));
	const char *file = nl + 1;
	size_t flen = len - (size_t)(nl + 1 - text);
	char *sp = strchr(first, ' ');
	int port = 22;
	if (sp) {
		int64_t p = 0;
		*sp = '\0';
		if (kd_go_parse_int(sp + 1, 10, &p) != 0 || p < 1 || p > 65535) {
			free(first);
			return;
		}
		port = (int)p;
	}
	kd_kh_verdict v;
	char where[600];
	ASSERT(kd_git__known_hosts_check_text(&v, where, sizeof where, "known_hosts", file, flen, first, port, key,
		       sizeof key) == 0);
	if (v == KD_KH_MISMATCH) /* what the error then names */
		ASSERT(strncmp(where, "known_hosts:", 12) == 0);
	/* a host name that is not a pattern, with the entry added at the end */
	size_t hl = strlen(first);
	if (hl > 0 && hl < 200 && plain(first) && !strpbrk(first, "*?,!#|[]@") && !memchr(file, '\0', flen)) {
		kd_buf b64 = KD_BUF_INIT, f = KD_BUF_INIT;
		kd_base64_encode(&b64, key, sizeof key);
		for (int revoke = 0; revoke < 2; revoke++) {
			kd_buf_clear(&f);
			kd_buf_put(&f, file, flen);
			kd_buf_puts(&f, revoke ? "\n@revoked " : "\n");
			if (port == 22)
				kd_buf_printf(&f, "%s", first);
			else
				kd_buf_printf(&f, "[%s]:%d", first, port);
			kd_buf_printf(&f, " ssh-ed25519 %s\n", kd_buf_cstr(&b64));
			kd_kh_verdict v2;
			ASSERT(kd_git__known_hosts_check_text(&v2, where, sizeof where, "known_hosts", f.ptr, f.len, first, port,
				       key, sizeof key) == 0);
			if (revoke ? v2 != KD_KH_REVOKED : v2 != (v == KD_KH_REVOKED ? KD_KH_REVOKED : KD_KH_OK)) {
				fprintf(stderr, "verdict %d for \"%s\" port %d with its key added (%s), was %d\n", (int)v2, first,
					port, revoke ? "revoked" : "trusted", (int)v);
				abort();
			}
		}
		kd_buf_free(&b64);
		kd_buf_free(&f);
	}
	free(first);
}

/* ---- repositories file --------------------------------------------------------------------- */

static char dir1[64], dir2[64];

static void cleanup(void)
{
	char path[128];
	const char *dirs[] = {dir1, dir2};
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s/repositories.yaml", dirs[i]);
		unlink(path);
		rmdir(dirs[i]);
	}
}

static void fuzz_repos(const char *text, size_t len)
{
	char path[128];
	snprintf(path, sizeof path, "%s/repositories.yaml", dir1);
	FILE *fp = fopen(path, "wb");
	ASSERT(fp);
	ASSERT(fwrite(text, 1, len, fp) == len || len == 0);
	fclose(fp);
	kd_repo_config *cfg = NULL, *back = NULL;
	if (kd_repo_config_load(&cfg, dir1) == 0) {
		ASSERT(cfg->context);
		free(cfg->path);
		kd_buf p2 = KD_BUF_INIT;
		kd_buf_printf(&p2, "%s/repositories.yaml", dir2);
		cfg->path = kd_buf_detach(&p2);
		ASSERT(kd_repo_config_save(cfg) == 0);
		if (kd_repo_config_load(&back, dir2) != 0) {
			fprintf(stderr, "the saved repositories file does not load: %s\n", kd_error_last());
			abort();
		}
		ASSERT(strcmp(back->context, cfg->context) == 0 && back->nrepos == cfg->nrepos);
		for (size_t i = 0; i < cfg->nrepos; i++)
			ASSERT(strcmp(back->repos[i].name, cfg->repos[i].name) == 0 &&
				strcmp(back->repos[i].url, cfg->repos[i].url) == 0);
		(void)kd_repo_config_get(cfg, NULL);
	}
	kd_repo_config_free(cfg);
	kd_repo_config_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		kd_base_init();
		snprintf(dir1, sizeof dir1, "/tmp/kudoc-fuzz-creds-%ld-a", (long)getpid());
		snprintf(dir2, sizeof dir2, "/tmp/kudoc-fuzz-creds-%ld-b", (long)getpid());
		ASSERT(mkdir(dir1, 0700) == 0 || errno == EEXIST);
		atexit(cleanup);
		init = 1;
	}
	if (size < 1 || size > 16384)
		return 0;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	switch (data[0] % 4) {
	case 0:
		fuzz_exec(text, len);
		break;
	case 1:
		fuzz_creds(text, len);
		break;
	case 2:
		fuzz_known_hosts(text, len);
		break;
	case 3:
		fuzz_repos(text, len);
		break;
	}
	kd_error_clear();
	return 0;
}
