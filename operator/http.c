/* Downloads of repository indexes and package archives (libcurl): size-capped, TLS verified
 * against the system's CA store (or the CAs $SSL_CERT_FILE / $SSL_CERT_DIR name), redirects only
 * to http(s), credentials kept out of messages. */
#include <curl/curl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "operator.h"

typedef struct {
	kd_buf *out;
	size_t max;
	bool over;
} sink;

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	sink *s = ud;
	size_t len = size * n;
	if (s->out->len + len > s->max) {
		s->over = true;
		return 0;
	}
	if (kd_buf_put(s->out, p, len) != 0)
		return 0;
	return len;
}

char *kd_http_display_url(const char *url)
{
	CURLU *u = curl_url();
	char *shown = NULL;
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK) {
		curl_url_set(u, CURLUPART_USER, NULL, 0);
		curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
		char *s = NULL;
		if (curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK) {
			shown = kd_strdup(s);
			curl_free(s);
		}
	}
	curl_url_cleanup(u);
	if (!shown) {
		/* not a URL curl understands: show it only up to any '@' */
		const char *at = strchr(url, '@');
		kd_buf b = KD_BUF_INIT;
		if (at)
			kd_buf_printf(&b, "%.*s***%s", (int)(strstr(url, "://") ? strstr(url, "://") + 3 - url : 0), url, at);
		else
			kd_buf_puts(&b, url);
		shown = kd_buf_detach(&b);
	}
	return shown;
}

char *kd_http_resolve_url(const char *base, const char *ref)
{
	CURLU *u = curl_url();
	char *res = NULL, *s = NULL;
	if (curl_url_set(u, CURLUPART_URL, base, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
		curl_url_set(u, CURLUPART_URL, ref, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK) {
		res = kd_strdup(s);
		curl_free(s);
	}
	curl_url_cleanup(u);
	return res;
}

/* "host:port" of the URL curl last talked to (after redirects), for messages. */
static void effective_host(char *dst, size_t size, CURL *c, const char *url)
{
	char *eff = NULL;
	curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff);
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL;
	snprintf(dst, size, "the server");
	if (curl_url_set(u, CURLUPART_URL, eff ? eff : url, 0) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
		snprintf(dst, size, "%s:%s", host, port);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
}

/* The CA trust of a download: a private CA is trusted the way OpenSSL and Go (so KUDO) read it,
 * $SSL_CERT_FILE a PEM bundle used instead of the system's, $SSL_CERT_DIR a hashed folder. */
static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

int kd_http_get(kd_buf *out, const char *url, size_t max, bool allow_file)
{
	char *shown = kd_http_display_url(url);
	char errbuf[CURL_ERROR_SIZE] = "";
	int rc = 0;
	CURL *c = curl_easy_init();
	if (!c) {
		free(shown);
		return kd_error_set(KD_ERR_PACKAGE, "cannot start libcurl");
	}
	sink s = {out, max ? max : (size_t)64 << 20, false};
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, allow_file ? "http,https,file" : "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	const char *ca_file = env_nonempty("SSL_CERT_FILE"), *ca_dir = env_nonempty("SSL_CERT_DIR");
	if (ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
	if (ca_dir)
		curl_easy_setopt(c, CURLOPT_CAPATH, ca_dir);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s.max);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "kubectl-kudo");
	CURLcode cr = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (s.over || cr == CURLE_FILESIZE_EXCEEDED) {
		kd_error_set(KD_ERR_PACKAGE, "%s: the download is over the cap of %zu bytes", shown, s.max);
		rc = KD_ELIMIT;
	} else if (cr == CURLE_PEER_FAILED_VERIFICATION) {
		char hp[300];
		effective_host(hp, sizeof hp, c, url);
		kd_error_set(KD_ERR_PACKAGE, "%s: the TLS certificate of %s is not trusted by %s%s (%s)%s", shown, hp,
			ca_file ? "SSL_CERT_FILE " : "the system's CA store", ca_file ? ca_file : "",
			errbuf[0] ? errbuf : curl_easy_strerror(cr),
			ca_file ? "" : "; to trust a private CA, name its PEM file in SSL_CERT_FILE");
		rc = KD_EAUTH;
	} else if (cr == CURLE_SSL_CACERT_BADFILE) {
		kd_error_set(KD_ERR_PACKAGE, "%s: cannot read the CA certificates of SSL_CERT_FILE %s / SSL_CERT_DIR %s (%s)",
			shown, ca_file ? ca_file : "(unset)", ca_dir ? ca_dir : "(unset)",
			errbuf[0] ? errbuf : curl_easy_strerror(cr));
		rc = KD_ERROR;
	} else if (cr != CURLE_OK) {
		kd_error_set(KD_ERR_PACKAGE, "%s: cannot download: %s", shown, errbuf[0] ? errbuf : curl_easy_strerror(cr));
		rc = KD_ERROR;
	} else if (status >= 400 || (status != 0 && status < 200)) {
		kd_error_set(KD_ERR_PACKAGE, "%s: the server answered HTTP %ld", shown, status);
		rc = status == 404 ? KD_ENOTFOUND : (status == 401 ? KD_EAUTH : status == 403 ? KD_EFORBIDDEN : KD_ERROR);
	}
	curl_easy_cleanup(c);
	free(shown);
	return rc;
}

void kd_sha256_hex(char out[65], const void *data, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < 32 && i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

int kd_pkg_load_url(kd_pkg **out, char digest_out[65], const char *url, const char *want_digest,
	const kd_pkg_load_options *opts)
{
	*out = NULL;
	kd_pkg_load_options dflt = KD_PKG_LOAD_OPTIONS_INIT;
	if (!opts)
		opts = &dflt;
	kd_buf data = KD_BUF_INIT;
	/* a compressed archive bigger than the whole package may be is refused while downloading */
	int rc = kd_http_get(&data, url, opts->max_total_size, false);
	if (rc)
		goto done;
	char digest[65];
	kd_sha256_hex(digest, data.ptr ? data.ptr : "", data.len);
	char *shown = kd_http_display_url(url);
	if (want_digest && *want_digest && strcasecmp(want_digest, digest) != 0) {
		kd_error_set(KD_ERR_PACKAGE, "%s: sha256 digest is %s, the repository index says %s; refused", shown, digest,
			want_digest);
		rc = KD_EINVALID;
		free(shown);
		goto done;
	}
	if (digest_out)
		memcpy(digest_out, digest, 65);
	rc = kd_pkg_load_archive(out, shown, data.ptr ? data.ptr : "", data.len, opts);
	free(shown);
done:
	kd_buf_free(&data);
	return rc;
}
