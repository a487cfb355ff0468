/* The HTTP side of the client: one reused curl easy handle, TLS and credentials from the config
 * (kept in memory as curl blobs), retries with backoff and jitter inside a time budget, the
 * server's Status turned into a kudoc error, and -v logging that never shows a secret. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../base/json.h"
#include "internal.h"

#define RESPONSE_MAX ((size_t)256 << 20)
#define TOKEN_FILE_REREAD_MS 60000
#define RETRY_AFTER_MAX_S (1L << 30) /* 34 years */

struct kd_kube_client {
	kd_kube_config *cfg;
	CURL *h;
	char *base_url; /* scheme://host[:port][/prefix], host replaced by tls-server-name */
	struct curl_slist *connect_to;
	/* auth */
	char *token; /* current bearer token (static, from tokenFile, or exec) */
	int64_t token_read_ms;
	kd_kube__exec_cred exec;
	char *ca, *cert, *key; /* PEM blobs */
	size_t ca_len, cert_len, key_len;
	/* options */
	int verbosity;
	kd_kube_log_fn log;
	void *log_payload;
	long timeout_ms, connect_timeout_ms, budget_ms;
	int max_retries;
	char *cache_dir;
	long ttl_s;
	long settle_ms;
	char *field_manager, *user_agent;
	long attempts;
	kd_kube__discovery *disc;
	unsigned rng;
	const volatile sig_atomic_t *cancel;
	CURLM *m; /* drives c->h, so a request can be given up between polls */
	int64_t deadline_ms; /* monotonic; 0: none (kd_kube_client_set_deadline) */
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int kd_kube_global_init(void)
{
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return kd_error_set(KD_ERR_KUBE, "cannot initialise libcurl: %s", curl_easy_strerror(global_rc));
	return 0;
}

bool kd_kube__canceled(const kd_kube_client *c)
{
	return c && c->cancel && *c->cancel;
}

bool kd_kube__client_has_cancel(const kd_kube_client *c)
{
	return c && c->cancel;
}

int kd_kube__cancel_error(const char *what)
{
	kd_error_set(KD_ERR_KUBE, "%s: canceled", what);
	return KD_ECANCELED;
}

int64_t kd_kube__now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t kd_kube_now_ms(void)
{
	return kd_kube__now_ms();
}

long kd_kube__json_long(const cJSON *v, long def)
{
	if (!cJSON_IsNumber(v) || isnan(v->valuedouble))
		return def;
	double d = v->valuedouble;
	if (d >= 9223372036854775807.0) /* 2^63 as a double */
		return LONG_MAX;
	if (d <= -9223372036854775807.0)
		return LONG_MIN;
	return (long)d;
}

void kd_kube__strlcpy(char *dst, size_t size, const char *src)
{
	if (!size)
		return;
	size_t n = strlen(src);
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void kd_kube__log(kd_kube_client *c, int level, const char *fmt, ...)
{
	if (!c || c->verbosity < level)
		return;
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (c->log)
		c->log(c->log_payload, line);
	else
		fprintf(stderr, "%s\n", line);
}

void kd_kube__redact_url(kd_buf *out, const char *url)
{
	const char *scheme = strstr(url, "://");
	const char *start = scheme ? scheme + 3 : url;
	const char *slash = strchr(start, '/');
	const char *at = NULL;
	for (const char *p = start; *p && (!slash || p < slash); p++)
		if (*p == '@')
			at = p;
	if (!at) {
		kd_buf_puts(out, url);
		return;
	}
	kd_buf_put(out, url, (size_t)(start - url));
	kd_buf_puts(out, "REDACTED@");
	kd_buf_puts(out, at + 1);
}

const char *kd_kube__field_manager(const kd_kube_client *c)
{
	return c->field_manager;
}
long kd_kube__budget_ms(const kd_kube_client *c)
{
	return c->budget_ms;
}
long kd_kube__connect_timeout_ms(const kd_kube_client *c)
{
	return c->connect_timeout_ms;
}
kd_kube__discovery **kd_kube__client_discovery(kd_kube_client *c)
{
	return &c->disc;
}
const char *kd_kube__client_server(const kd_kube_client *c)
{
	return c->cfg->server;
}
const char *kd_kube__client_cache_dir(const kd_kube_client *c)
{
	return c->cache_dir;
}
long kd_kube__client_ttl(const kd_kube_client *c)
{
	return c->ttl_s;
}
long kd_kube__client_settle_ms(const kd_kube_client *c)
{
	return c->settle_ms;
}
const char *kd_kube_client_namespace(const kd_kube_client *c)
{
	return kd_kube_config_namespace(c->cfg);
}
long kd_kube_client_attempts(const kd_kube_client *c)
{
	return c->attempts;
}

void kd_kube_client_free(kd_kube_client *c)
{
	if (!c)
		return;
	if (c->h)
		curl_easy_cleanup(c->h);
	if (c->m)
		curl_multi_cleanup(c->m);
	curl_slist_free_all(c->connect_to);
	free(c->base_url);
	kd_kube__scrub_str(c->token);
	kd_kube__exec_cred_clear(&c->exec);
	free(c->ca);
	free(c->cert);
	kd_kube__scrub_free(c->key, c->key_len);
	free(c->cache_dir);
	free(c->field_manager);
	free(c->user_agent);
	kd_kube__discovery_free(c->disc);
	kd_kube_config_free(c->cfg);
	free(c);
}

/* Reads a certificate or credential file (`secret`: into memory that is wiped after use); the
 * message names the file, never its content. */
static int read_blob(char **out, size_t *len, const char *path, const char *what, bool secret)
{
	int rc = secret ? kd_kube__secret_file_read(out, len, path, 1 << 20) : kd_file_read(out, len, path, 1 << 20);
	if (rc)
		kd_error_set(KD_ERR_KUBE, "%s %s: %s", what, path, rc == KD_ENOTFOUND ? "no such file" : "cannot read it");
	return rc;
}

static int read_token_file(kd_kube_client *c)
{
	char *t = NULL;
	size_t n = 0;
	int rc = read_blob(&t, &n, c->cfg->token_file, "token file", true);
	if (rc)
		return rc;
	while (n && (t[n - 1] == '\n' || t[n - 1] == '\r' || t[n - 1] == ' '))
		t[--n] = '\0';
	kd_kube__scrub_str(c->token);
	c->token = t;
	c->token_read_ms = kd_kube__now_ms();
	return 0;
}

static bool is_loopback_host(const char *host)
{
	return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 ||
	       strcmp(host, "[::1]") == 0;
}

/* Works out base_url and, for tls-server-name, a CONNECT_TO mapping: curl verifies the
 * certificate against the URL's host, so the URL carries the TLS name and the connection goes to
 * the real address. */
static int setup_url(kd_kube_client *c)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *scheme = NULL, *url = NULL;
	int rc = KD_EINVALID;
	kd_buf b = KD_BUF_INIT;
	if (curl_url_set(u, CURLUPART_URL, c->cfg->server, 0) != CURLUE_OK ||
		curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
		curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		kd_buf_puts(&b, "");
		kd_kube__redact_url(&b, c->cfg->server);
		kd_error_set(KD_ERR_KUBE, "server %s of cluster \"%s\" is not a URL", kd_buf_cstr(&b),
			c->cfg->cluster_name ? c->cfg->cluster_name : "");
		goto done;
	}
	if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0) {
		kd_error_set(KD_ERR_KUBE, "server of cluster \"%s\": scheme %s is not http or https",
			c->cfg->cluster_name ? c->cfg->cluster_name : "", scheme);
		goto done;
	}
	if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		kd_error_set(KD_ERR_KUBE, "server of cluster \"%s\" has no port", c->cfg->cluster_name ? c->cfg->cluster_name : "");
		goto done;
	}
	if (c->cfg->tls_server_name && strcmp(scheme, "https") == 0) {
		kd_buf_printf(&b, "%s:%s:%s:%s", c->cfg->tls_server_name, port, host, port);
		c->connect_to = curl_slist_append(NULL, kd_buf_cstr(&b));
		kd_buf_clear(&b);
		if (curl_url_set(u, CURLUPART_HOST, c->cfg->tls_server_name, 0) != CURLUE_OK) {
			kd_error_set(KD_ERR_KUBE, "tls-server-name \"%s\" is not a host name", c->cfg->tls_server_name);
			goto done;
		}
	}
	/* no query or fragment in the base */
	curl_url_set(u, CURLUPART_QUERY, NULL, 0);
	curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
	if (curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
		kd_error_set(KD_ERR_KUBE, "server of cluster \"%s\" is not a URL", c->cfg->cluster_name ? c->cfg->cluster_name : "");
		goto done;
	}
	size_t n = strlen(url);
	while (n && url[n - 1] == '/')
		url[--n] = '\0';
	c->base_url = kd_strdup(url);
	/* like Go's ProxyFromEnvironment: loopback servers are never proxied */
	rc = 0;
done:
	curl_free(host);
	curl_free(port);
	curl_free(scheme);
	curl_free(url);
	curl_url_cleanup(u);
	kd_buf_free(&b);
	return rc;
}

int kd_kube_client_new(kd_kube_client **out, const kd_kube_config *cfg, const kd_kube_client_options *opts)
{
	kd_kube_client_options def = KD_KUBE_CLIENT_OPTIONS_INIT;
	kd_kube_client *c = kd_calloc(1, sizeof(*c));
	int rc = KD_ERROR;
	*out = NULL;
	if (!opts)
		opts = &def;
	if ((rc = kd_kube_global_init())) {
		free(c);
		return rc;
	}
	c->cfg = kd_kube__config_dup(cfg);
	c->cancel = opts->cancel;
	c->verbosity = opts->verbosity;
	c->log = opts->log;
	c->log_payload = opts->log_payload;
	c->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 30000;
	c->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 10000;
	c->budget_ms = opts->budget_ms > 0 ? opts->budget_ms : 60000;
	c->max_retries = opts->max_retries == 0 ? 6 : opts->max_retries < 0 ? 0 : opts->max_retries;
	c->ttl_s = opts->discovery_ttl_s ? opts->discovery_ttl_s : 600;
	c->settle_ms = opts->discovery_settle_ms ? opts->discovery_settle_ms : 5000;
	c->field_manager = kd_strdup(opts->field_manager ? opts->field_manager : "kudoc");
	c->user_agent = kd_strdup(opts->user_agent ? opts->user_agent : "kubectl-kudo");
	c->rng = (unsigned)time(NULL) ^ (unsigned)getpid();
	if (opts->cache_dir) {
		c->cache_dir = kd_strdup(opts->cache_dir);
	} else {
		kd_buf b = KD_BUF_INIT;
		const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
		if (xdg && *xdg)
			kd_buf_printf(&b, "%s/kudoc/discovery", xdg);
		else if (home && *home)
			kd_buf_printf(&b, "%s/.cache/kudoc/discovery", home);
		c->cache_dir = b.len ? kd_buf_detach(&b) : NULL;
	}
	if (!c->cfg->server) {
		kd_error_set(KD_ERR_KUBE, "the kubeconfig names no server");
		goto done;
	}
	if ((rc = setup_url(c)))
		goto done;
	/* certificate material now, into memory; data fields win over files (as in client-go) */
	if (c->cfg->ca_data) {
		c->ca = kd_strndup(c->cfg->ca_data, c->cfg->ca_len);
		c->ca_len = c->cfg->ca_len;
	} else if (c->cfg->ca_file && (rc = read_blob(&c->ca, &c->ca_len, c->cfg->ca_file, "certificate-authority", false))) {
		goto done;
	}
	if (c->cfg->cert_data) {
		c->cert = kd_strndup(c->cfg->cert_data, c->cfg->cert_len);
		c->cert_len = c->cfg->cert_len;
	} else if (c->cfg->cert_file && (rc = read_blob(&c->cert, &c->cert_len, c->cfg->cert_file, "client-certificate", false))) {
		goto done;
	}
	if (c->cfg->key_data) {
		c->key = kd_malloc(c->cfg->key_len + 1);
		memcpy(c->key, c->cfg->key_data, c->cfg->key_len);
		c->key[c->cfg->key_len] = '\0';
		c->key_len = c->cfg->key_len;
	} else if (c->cfg->key_file && (rc = read_blob(&c->key, &c->key_len, c->cfg->key_file, "client-key", true))) {
		goto done;
	}
	if (c->ca && c->cfg->insecure) {
		/* client-go refuses the pair too: a CA that is never checked is a mistake */
		kd_error_set(KD_ERR_KUBE,
			"cluster \"%s\": certificate-authority and insecure-skip-tls-verify are both set; a CA is not "
			"checked without verification, remove one of them",
			c->cfg->cluster_name ? c->cfg->cluster_name : "");
		rc = KD_EINVALID;
		goto done;
	}
	if (!c->cert != !c->key) {
		kd_error_set(KD_ERR_KUBE, "user \"%s\": a client certificate needs a client key and vice versa",
			c->cfg->user_name ? c->cfg->user_name : "");
		rc = KD_EINVALID;
		goto done;
	}
	if (c->cfg->token)
		c->token = kd_strdup(c->cfg->token);
	else if (c->cfg->token_file && (rc = read_token_file(c)))
		goto done;
	c->h = curl_easy_init();
	c->m = curl_multi_init();
	if (!c->h || !c->m) {
		kd_error_set(KD_ERR_KUBE, "cannot create a curl handle");
		rc = KD_ERROR;
		goto done;
	}
	*out = c;
	c = NULL;
	rc = 0;
done:
	kd_kube_client_free(c);
	return rc;
}

/* Refreshes what can go stale: a token file that rotates, an exec credential that expires. */
static int refresh_credentials(kd_kube_client *c, bool force)
{
	int rc = 0;
	if (!c->cfg->token && c->cfg->token_file &&
		(force || kd_kube__now_ms() - c->token_read_ms > TOKEN_FILE_REREAD_MS))
		rc = read_token_file(c);
	if (!rc && c->cfg->exec_command && !c->cfg->token && !c->cfg->token_file && !c->cert)
		rc = kd_kube__exec_get(&c->exec, c->cfg, force, c->cancel);
	return rc;
}

void kd_kube__auth_invalidate(kd_kube_client *c)
{
	c->exec.valid = false;
	c->token_read_ms = 0;
}

int kd_kube__setup_handle(kd_kube_client *c, CURL *h, struct curl_slist **headers)
{
	int rc = refresh_credentials(c, false);
	if (rc)
		return rc;
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	/* the path goes out as built: curl would otherwise squash "/./" and "/../" segments */
	curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
	if (c->connect_to)
		curl_easy_setopt(h, CURLOPT_CONNECT_TO, c->connect_to);
	if (c->cfg->proxy_url) {
		curl_easy_setopt(h, CURLOPT_PROXY, c->cfg->proxy_url);
	} else {
		CURLU *u = curl_url();
		char *host = NULL;
		if (curl_url_set(u, CURLUPART_URL, c->cfg->server, 0) == CURLUE_OK &&
			curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && is_loopback_host(host))
			curl_easy_setopt(h, CURLOPT_PROXY, "");
		curl_free(host);
		curl_url_cleanup(u);
	}
	/* headers go to the server only, never to a proxy */
	curl_easy_setopt(h, CURLOPT_HEADEROPT, (long)CURLHEADER_SEPARATE);
	if (c->cfg->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	} else {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
		if (c->ca) {
			/* The kubeconfig's CA is the only trust anchor, as in client-go (tls.Config.RootCAs).
			 * A CAINFO_BLOB alone is not enough: libcurl drops its default CA file for the blob
			 * but keeps its default CA folder (Debian: /etc/ssl/certs, hashed links to every
			 * system CA), so a certificate from any public CA would pass and get our token. */
			struct curl_blob blob = {c->ca, c->ca_len, CURL_BLOB_COPY};
			curl_easy_setopt(h, CURLOPT_CAINFO, NULL);
			curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
			curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
		}
		/* No CA in the kubeconfig: libcurl's defaults, the system store (kubectl does the same). */
	}
	const char *cert = c->cert, *key = c->key;
	size_t cert_len = c->cert_len, key_len = c->key_len;
	/* The client's own key outlives every handle it is set on, so libcurl may borrow it and
	 * makes no copy of it. An exec plugin's key can be renewed while a watch handle still
	 * holds the old one: libcurl copies that one (and frees its copy without wiping). */
	unsigned key_flags = CURL_BLOB_NOCOPY;
	if (!cert && c->exec.valid && c->exec.cert) {
		cert = c->exec.cert;
		cert_len = c->exec.cert_len;
		key = c->exec.key;
		key_len = c->exec.key_len;
		key_flags = CURL_BLOB_COPY;
	}
	if (cert && key) {
		struct curl_blob cb = {(void *)cert, cert_len, CURL_BLOB_COPY};
		struct curl_blob kb = {(void *)key, key_len, key_flags};
		curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cb);
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &kb);
		curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	} else {
		curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, NULL);
		curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, NULL);
	}
	const char *token = c->token ? c->token : (c->exec.valid ? c->exec.token : NULL);
	if (token && *token) {
		kd_buf b = KD_BUF_INIT;
		kd_kube__secret_reserve(&b, strlen(token) + 32);
		kd_buf_printf(&b, "Authorization: Bearer %s", token);
		*headers = curl_slist_append(*headers, kd_buf_cstr(&b));
		kd_kube__secret_buf_free(&b);
	} else if (c->cfg->username || c->cfg->password) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, c->cfg->username ? c->cfg->username : "");
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->cfg->password ? c->cfg->password : "");
	}
	return 0;
}

int kd_kube__url(kd_buf *out, kd_kube_client *c, const char *path)
{
	kd_buf_puts(out, c->base_url);
	if (path[0] != '/')
		kd_buf_putc(out, '/');
	return kd_buf_puts(out, path);
}

int kd_kube__append_query(kd_buf *path, const kd_kube__query *q, size_t n)
{
	bool first = strchr(kd_buf_cstr(path), '?') == NULL;
	for (size_t i = 0; i < n; i++) {
		if (!q[i].value)
			continue;
		char *k = curl_easy_escape(NULL, q[i].key, 0), *v = curl_easy_escape(NULL, q[i].value, 0);
		kd_buf_printf(path, "%c%s=%s", first ? '?' : '&', k, v);
		curl_free(k);
		curl_free(v);
		first = false;
	}
	return 0;
}

typedef struct {
	kd_buf *body;
	long retry_after_s;
} xfer;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	xfer *x = ud;
	size_t len = size * n;
	if (x->body->len + len > RESPONSE_MAX || kd_buf_put(x->body, p, len))
		return 0;
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	xfer *x = ud;
	size_t len = size * n;
	if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		char tmp[32];
		size_t m = len - 12 < sizeof(tmp) - 1 ? len - 12 : sizeof(tmp) - 1;
		memcpy(tmp, p + 12, m);
		tmp[m] = '\0';
		char *end;
		long v = strtol(tmp, &end, 10);
		/* a delay beyond any budget is as good as "never": capped, so that turning it into
		 * milliseconds cannot overflow (strtol gives LONG_MAX for a huge value) */
		if (end != tmp && v >= 0)
			x->retry_after_s = v > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : v;
	}
	return len;
}

static bool retryable_curl_error(CURLcode e, bool idempotent)
{
	switch (e) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return true; /* nothing was sent */
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return idempotent;
	default:
		return false;
	}
}

static unsigned rnd(kd_kube_client *c)
{
	c->rng = c->rng * 1103515245u + 12345u;
	return (c->rng >> 16) & 0x7fff;
}

/* Exponential backoff from 200 ms, capped at 5 s, times a jitter in [0.5, 1.5). */
static long backoff_ms(kd_kube_client *c, int attempt)
{
	long base = 200;
	for (int i = 1; i < attempt && base < 5000; i++)
		base *= 2;
	if (base > 5000)
		base = 5000;
	return base / 2 + (long)((double)base * (double)rnd(c) / 32768.0);
}

int64_t kd_kube_client_set_deadline(kd_kube_client *c, int64_t deadline_ms)
{
	int64_t prev = c->deadline_ms;
	c->deadline_ms = deadline_ms > 0 ? deadline_ms : 0;
	return prev;
}

int kd_kube__sleep_ms(kd_kube_client *c, long ms, const char *what)
{
	int64_t end = kd_kube__now_ms() + ms;
	for (;;) {
		if (kd_kube__canceled(c))
			return kd_kube__cancel_error(what);
		int64_t left = end - kd_kube__now_ms();
		if (left <= 0)
			return 0;
		if (c && c->cancel && left > KD_KUBE__CANCEL_POLL_MS)
			left = KD_KUBE__CANCEL_POLL_MS;
		struct timespec ts = {(time_t)(left / 1000), (long)(left % 1000) * 1000000L};
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
}

/* curl_easy_perform, but through the client's multi handle so that the cancel flag is looked at
 * between polls (libcurl's progress callback alone may stay silent for a second or more while
 * it waits for an answer). *canceled tells the two outcomes apart. */
static CURLcode perform(kd_kube_client *c, bool *canceled)
{
	CURLcode res = CURLE_OK;
	*canceled = false;
	if (curl_multi_add_handle(c->m, c->h) != CURLM_OK)
		return CURLE_FAILED_INIT;
	for (;;) {
		int running = 0;
		if (curl_multi_perform(c->m, &running) != CURLM_OK) {
			res = CURLE_FAILED_INIT;
			break;
		}
		if (!running) {
			CURLMsg *msg;
			int left;
			res = CURLE_GOT_NOTHING;
			while ((msg = curl_multi_info_read(c->m, &left)))
				if (msg->msg == CURLMSG_DONE && msg->easy_handle == c->h)
					res = msg->data.result;
			break;
		}
		if (kd_kube__canceled(c)) {
			*canceled = true;
			res = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
		/* libcurl shortens the wait to its own next timeout (connect, transfer) */
		curl_multi_poll(c->m, NULL, 0, c->cancel ? KD_KUBE__CANCEL_POLL_MS : 1000, NULL);
	}
	curl_multi_remove_handle(c->m, c->h);
	return res;
}

void kd_kube_response_clear(kd_kube_response *r)
{
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
	r->status = 0;
}

int kd_kube_request(kd_kube_response *out, kd_kube_client *c, const kd_kube_request_options *req)
{
	const char *method = req->method ? req->method : "GET";
	bool idem = req->idempotent || strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
		    strcmp(method, "PUT") == 0 || strcmp(method, "DELETE") == 0;
	kd_buf url = KD_BUF_INIT, body = KD_BUF_INIT, logurl = KD_BUF_INIT, logwhat = KD_BUF_INIT;
	struct curl_slist *headers = NULL;
	char errbuf[CURL_ERROR_SIZE];
	int64_t start = kd_kube__now_ms();
	int rc = KD_ERROR, attempt = 0;
	bool reauthed = false;
	memset(out, 0, sizeof(*out));
	kd_kube__url(&url, c, req->path);
	kd_kube__redact_url(&logurl, kd_buf_cstr(&url));
	kd_buf_printf(&logwhat, "%s %s", method, kd_buf_cstr(&logurl));
	body.max = RESPONSE_MAX;
	for (;;) {
		xfer x = {&body, -1};
		long status = 0;
		attempt++;
		c->attempts++;
		kd_buf_clear(&body);
		kd_kube__slist_scrub_free(headers);
		headers = NULL;
		curl_easy_reset(c->h);
		if ((rc = kd_kube__setup_handle(c, c->h, &headers)))
			goto done;
		headers = curl_slist_append(headers, "Accept: application/json");
		if (req->body) {
			kd_buf ct = KD_BUF_INIT;
			kd_buf_printf(&ct, "Content-Type: %s", req->content_type ? req->content_type : "application/json");
			headers = curl_slist_append(headers, kd_buf_cstr(&ct));
			kd_buf_free(&ct);
			curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, req->body);
			curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		}
		headers = curl_slist_append(headers, "Expect:");
		if (strcmp(method, "GET") == 0 && !req->body)
			curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
		else if (strcmp(method, "HEAD") == 0)
			curl_easy_setopt(c->h, CURLOPT_NOBODY, 1L);
		else
			curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, method);
		int64_t elapsed = kd_kube__now_ms() - start;
		long left = c->budget_ms - (long)elapsed;
		if (c->deadline_ms) {
			int64_t until = c->deadline_ms - kd_kube__now_ms();
			if (until < 1) {
				kd_error_set(KD_ERR_KUBE, "%s %s: the caller's deadline passed%s", method, kd_buf_cstr(&logurl),
					attempt > 1 ? " (gave up after retries)" : "");
				rc = KD_ETIMEOUT;
				goto done;
			}
			if (until < left)
				left = (long)until;
		}
		if (left < 1)
			left = 1;
		curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, c->timeout_ms < left ? c->timeout_ms : left);
		curl_easy_setopt(c->h, CURLOPT_URL, kd_buf_cstr(&url));
		curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &x);
		curl_easy_setopt(c->h, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(c->h, CURLOPT_HEADERDATA, &x);
		curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, errbuf);
		errbuf[0] = '\0';
		if (kd_kube__canceled(c)) {
			rc = kd_kube__cancel_error(kd_buf_cstr(&logwhat));
			goto done;
		}
		int64_t t0 = kd_kube__now_ms();
		bool canceled = false;
		CURLcode cr = perform(c, &canceled);
		long took = (long)(kd_kube__now_ms() - t0);
		if (canceled) {
			kd_kube__log(c, 1, "%s %s canceled after %ld ms", method, kd_buf_cstr(&logurl), took);
			rc = kd_kube__cancel_error(kd_buf_cstr(&logwhat));
			goto done;
		}
		curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
		long wait = -1;
		const char *why = NULL;
		char whybuf[CURL_ERROR_SIZE + 64];
		if (cr != CURLE_OK) {
			snprintf(whybuf, sizeof(whybuf), "%s", errbuf[0] ? errbuf : curl_easy_strerror(cr));
			why = whybuf;
			if (retryable_curl_error(cr, idem))
				wait = backoff_ms(c, attempt);
		} else if (status == 429 || (status >= 500 && status != 501 && (idem || x.retry_after_s >= 0))) {
			snprintf(whybuf, sizeof(whybuf), "HTTP %ld", status);
			why = whybuf;
			wait = x.retry_after_s >= 0 ? x.retry_after_s * 1000 + (long)(rnd(c) % 200) : backoff_ms(c, attempt);
		} else if (status == 401 && !reauthed && (c->cfg->exec_command || c->cfg->token_file)) {
			/* the credential may have rotated or expired early: refresh once */
			reauthed = true;
			kd_kube__log(c, 1, "%s %s %ld in %ld ms (refreshing credentials)", method, kd_buf_cstr(&logurl), status, took);
			if ((rc = refresh_credentials(c, true)))
				goto done;
			continue;
		}
		if (why && wait >= 0 && attempt <= c->max_retries &&
			kd_kube__now_ms() - start + wait < c->budget_ms &&
			(!c->deadline_ms || kd_kube__now_ms() + wait < c->deadline_ms)) {
			kd_kube__log(c, 1, "%s %s %s in %ld ms; retrying in %ld ms", method, kd_buf_cstr(&logurl), why, took, wait);
			if ((rc = kd_kube__sleep_ms(c, wait, kd_buf_cstr(&logwhat))))
				goto done;
			continue;
		}
		if (cr != CURLE_OK) {
			kd_kube__log(c, 1, "%s %s failed in %ld ms: %s", method, kd_buf_cstr(&logurl), took, why);
			kd_error_set(KD_ERR_KUBE, "%s %s: %s%s", method, kd_buf_cstr(&logurl), why,
				attempt > 1 ? " (gave up after retries)" : "");
			rc = cr == CURLE_OPERATION_TIMEDOUT ? KD_ETIMEOUT : KD_ERROR;
			goto done;
		}
		long hv = 0;
		curl_easy_getinfo(c->h, CURLINFO_HTTP_VERSION, &hv);
		kd_kube__log(c, 1, "%s %s %ld in %ld ms%s", method, kd_buf_cstr(&logurl), status, took,
			hv == CURL_HTTP_VERSION_2_0 ? " (HTTP/2)" : "");
		out->status = status;
		out->body_len = body.len;
		out->body = kd_buf_detach(&body);
		rc = 0;
		break;
	}
done:
	kd_kube__slist_scrub_free(headers);
	if (c->h) {
		/* the handle must not keep pointers to our stack or headers */
		curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, NULL);
		curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, NULL);
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, NULL);
	}
	kd_buf_free(&url);
	kd_buf_free(&body);
	kd_buf_free(&logurl);
	kd_buf_free(&logwhat);
	return rc;
}

static int code_for(long http, const char *reason)
{
	static const struct {
		const char *reason;
		int code;
	} map[] = {
		{"NotFound", KD_ENOTFOUND},
		{"AlreadyExists", KD_EEXISTS},
		{"Conflict", KD_ECONFLICT},
		{"Invalid", KD_EINVALID},
		{"BadRequest", KD_EINVALID},
		{"Unauthorized", KD_EAUTH},
		{"Forbidden", KD_EFORBIDDEN},
		{"Timeout", KD_ETIMEOUT},
		{"ServerTimeout", KD_ETIMEOUT},
		{"Gone", KD_ENOTFOUND},
	};
	for (size_t i = 0; reason && i < KD_ARRAY_SIZE(map); i++)
		if (strcmp(reason, map[i].reason) == 0)
			return map[i].code;
	switch (http) {
	case 400:
	case 422:
		return KD_EINVALID;
	case 401:
		return KD_EAUTH;
	case 403:
		return KD_EFORBIDDEN;
	case 404:
		return KD_ENOTFOUND;
	case 409:
		return KD_ECONFLICT;
	case 408:
	case 504:
		return KD_ETIMEOUT;
	default:
		return KD_ERROR;
	}
}

int kd_kube__status_to_error(long http, const cJSON *st)
{
	const char *reason = kd_json_get_str(st, "reason"), *msg = kd_json_get_str(st, "message");
	long code = kd_kube__json_long(kd_json_get(st, "code"), 0);
	if (code >= 100 && code < 600)
		http = code;
	kd_buf b = KD_BUF_INIT;
	if (msg && *msg)
		kd_buf_puts(&b, msg);
	else
		kd_buf_printf(&b, "the server answered %ld%s%s", http, reason ? " " : "", reason ? reason : "");
	/* causes the message does not already carry */
	const cJSON *causes = kd_json_path(st, "details", "causes", NULL), *it;
	cJSON_ArrayForEach(it, causes)
	{
		const char *cm = kd_json_get_str(it, "message"), *field = kd_json_get_str(it, "field");
		if (!cm || strstr(kd_buf_cstr(&b), cm))
			continue;
		kd_buf_printf(&b, "; %s%s%s", field ? field : "", field ? ": " : "", cm);
	}
	int rc = code_for(http, reason);
	if (rc == KD_ERROR)
		kd_buf_printf(&b, " (HTTP %ld%s%s)", http, reason ? " " : "", reason ? reason : "");
	kd_error_set(KD_ERR_KUBE, "%s", kd_buf_cstr(&b));
	kd_buf_free(&b);
	return rc;
}

int kd_kube_status_error(long http, const char *body, size_t len)
{
	if (http >= 200 && http < 300)
		return 0;
	cJSON *doc = body && len ? cJSON_ParseWithLength(body, len) : NULL;
	int rc;
	if (doc && cJSON_IsObject(doc) && (kd_json_get_str(doc, "reason") || kd_json_get_str(doc, "message"))) {
		rc = kd_kube__status_to_error(http, doc);
	} else {
		/* not a Status (a proxy's page, say): keep a short, printable excerpt */
		kd_buf b = KD_BUF_INIT;
		kd_buf_printf(&b, "the server answered HTTP %ld", http);
		if (body && len) {
			kd_buf_puts(&b, ": ");
			for (size_t i = 0; i < len && i < 200; i++) {
				kd_buf_putc(&b, (body[i] >= 32 && body[i] < 127) ? body[i] : ' ');
				/* a page that echoes the request (some proxies do) must not echo our
				 * credential into the message */
				static const char *const schemes[] = {"bearer ", "basic "};
				for (size_t k = 0; k < KD_ARRAY_SIZE(schemes); k++) {
					size_t sl = strlen(schemes[k]);
					if (b.len >= sl && strncasecmp(b.ptr + b.len - sl, schemes[k], sl) == 0) {
						while (i + 1 < len && body[i + 1] != ' ' && body[i + 1] != '"' && body[i + 1] != '<' &&
							body[i + 1] != '\r' && body[i + 1] != '\n' && body[i + 1] != '\'')
							i++;
						kd_buf_puts(&b, "REDACTED");
					}
				}
			}
		}
		rc = code_for(http, NULL);
		kd_error_set(KD_ERR_KUBE, "%s", kd_buf_cstr(&b));
		kd_buf_free(&b);
	}
	cJSON_Delete(doc);
	return rc;
}

void kd_kube__redact_error(kd_kube_client *c)
{
	const char *e = kd_error_last();
	if (!e || !c)
		return;
	const char *secrets[] = {c->token, c->exec.valid ? c->exec.token : NULL, c->cfg->token, c->cfg->password};
	kd_buf b = KD_BUF_INIT;
	kd_kube__secret_reserve(&b, strlen(e));
	kd_buf_puts(&b, e);
	bool changed = false;
	for (size_t i = 0; i < KD_ARRAY_SIZE(secrets); i++) {
		const char *sec = secrets[i];
		size_t sl = sec ? strlen(sec) : 0;
		if (sl < 4) /* too short to tell from ordinary text */
			continue;
		char *at;
		while ((at = strstr(b.ptr, sec))) {
			kd_buf r = KD_BUF_INIT;
			kd_kube__secret_reserve(&r, b.len);
			kd_buf_put(&r, b.ptr, (size_t)(at - b.ptr));
			kd_buf_puts(&r, "REDACTED");
			kd_buf_puts(&r, at + sl);
			kd_kube__secret_buf_free(&b);
			b = r;
			changed = true;
		}
	}
	if (changed)
		kd_error_set(kd_error_last_class(), "%s", b.ptr);
	kd_kube__secret_buf_free(&b);
}

int kd_kube__request_json(cJSON **out, kd_kube_client *c, const char *method, const char *path,
	const char *content_type, const char *body, bool idempotent)
{
	kd_kube_response r = KD_KUBE_RESPONSE_INIT;
	kd_kube_request_options req = KD_KUBE_REQUEST_OPTIONS_INIT;
	req.method = method;
	req.path = path;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.content_type = content_type;
	req.idempotent = idempotent;
	if (out)
		*out = NULL;
	int rc = kd_kube_request(&r, c, &req);
	if (rc)
		return rc;
	if ((rc = kd_kube_status_error(r.status, r.body, r.body_len))) {
		kd_kube__redact_error(c);
		goto done;
	}
	if (out) {
		*out = cJSON_ParseWithLength(r.body, r.body_len);
		if (!*out) {
			kd_error_set(KD_ERR_KUBE, "%s %s: the answer is not JSON", method, path);
			rc = KD_ERROR;
		}
	}
done:
	kd_kube_response_clear(&r);
	return rc;
}
