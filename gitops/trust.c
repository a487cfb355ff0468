/* Trust and credentials: OpenSSH known_hosts files and git-credential-store files. */
#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitops_internal.h"

#define MAX_TRUST_FILE ((size_t)4 << 20)

int kd_git__url_split(kd_git__url_parts *out, const char *url)
{
	memset(out, 0, sizeof *out);
	const char *sep = strstr(url, "://");
	if (!sep || (size_t)(sep - url) >= sizeof out->scheme)
		return kd_error_set(KD_ERR_GIT, "not a URL"), KD_EINVALID;
	memcpy(out->scheme, url, (size_t)(sep - url));
	/* RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
	for (const char *c = out->scheme; *c; c++)
		if (!(isalpha((unsigned char)*c) || (c > out->scheme && (isdigit((unsigned char)*c) || strchr("+-.", *c)))))
			return kd_error_set(KD_ERR_GIT, "not a URL (bad scheme)"), KD_EINVALID;
	if (!out->scheme[0])
		return kd_error_set(KD_ERR_GIT, "not a URL"), KD_EINVALID;
	const char *auth = sep + 3;
	const char *slash = strchr(auth, '/');
	const char *end = slash ? slash : auth + strlen(auth);
	const char *at = NULL;
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	const char *host = at ? at + 1 : auth;
	const char *colon = NULL;
	if (*host == '[') {
		const char *rb = memchr(host, ']', (size_t)(end - host));
		/* [v6] or [v6]:port, nothing else */
		if (!rb || (rb + 1 < end && rb[1] != ':'))
			return kd_error_set(KD_ERR_GIT, "not a URL (bad IPv6 host)"), KD_EINVALID;
		if (rb + 1 < end)
			colon = rb + 1;
		host++; /* [v6] -> v6 */
		size_t hl = (size_t)(rb - host);
		if (hl >= sizeof out->host)
			return kd_error_set(KD_ERR_GIT, "host name too long"), KD_EINVALID;
		memcpy(out->host, host, hl);
	} else {
		colon = memchr(host, ':', (size_t)(end - host));
		size_t hl = (size_t)((colon ? colon : end) - host);
		if (hl >= sizeof out->host)
			return kd_error_set(KD_ERR_GIT, "host name too long"), KD_EINVALID;
		memcpy(out->host, host, hl);
	}
	if (strcmp(out->scheme, "https") == 0)
		out->port = 443;
	else if (strcmp(out->scheme, "http") == 0)
		out->port = 80;
	else if (strcmp(out->scheme, "ssh") == 0)
		out->port = 22;
	else if (strcmp(out->scheme, "git") == 0)
		out->port = 9418;
	if (colon && colon + 1 < end) {
		long p = 0;
		for (const char *c = colon + 1; c < end; c++) {
			if (*c < '0' || *c > '9' || p > 65535)
				return kd_error_set(KD_ERR_GIT, "bad port in URL"), KD_EINVALID;
			p = p * 10 + (*c - '0');
		}
		if (p < 1 || p > 65535)
			return kd_error_set(KD_ERR_GIT, "bad port in URL"), KD_EINVALID;
		out->port = (int)p;
	}
	snprintf(out->path, sizeof out->path, "%s", slash ? slash : "/");
	return 0;
}

/* ---- known_hosts --------------------------------------------------------------------------- */

/* A NUL-terminated copy of all len bytes (a NUL inside ends the text for the line loops). */
static char *copy_text(const char *text, size_t len)
{
	char *p = kd_malloc(len + 1);
	if (len)
		memcpy(p, text, len);
	p[len] = '\0';
	return p;
}

static bool b64_decode(kd_buf *out, const char *s, size_t n)
{
	return kd_base64_decode(out, s, n, NULL) == 0;
}

void kd_git__fingerprint(char *out, size_t outlen, const unsigned char *key, size_t keylen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_Digest(key, keylen, md, &mdlen, EVP_sha256(), NULL);
	kd_buf b = KD_BUF_INIT;
	kd_base64_encode(&b, md, mdlen);
	while (b.len && b.ptr[b.len - 1] == '=')
		b.len--;
	snprintf(out, outlen, "SHA256:%.*s", (int)b.len, b.ptr ? b.ptr : "");
	kd_buf_free(&b);
}

void kd_git__key_type(char *out, size_t outlen, const unsigned char *key, size_t keylen)
{
	out[0] = '\0';
	if (keylen < 4)
		return;
	size_t n = ((size_t)key[0] << 24) | ((size_t)key[1] << 16) | ((size_t)key[2] << 8) | key[3];
	if (n > keylen - 4 || n >= outlen || n > 64)
		return;
	for (size_t i = 0; i < n; i++)
		if (key[4 + i] < 0x21 || key[4 + i] > 0x7e)
			return;
	memcpy(out, key + 4, n);
	out[n] = '\0';
}

/* OpenSSH's patterns: '*' any run, '?' one character, everything else literal ("[h]:p"). */
static bool wild_match(const char *p, const char *s)
{
	const char *star = NULL, *resume = NULL;
	while (*s) {
		if (*p == '*') {
			star = p++;
			resume = s;
		} else if (*p == '?' || *p == *s) {
			p++;
			s++;
		} else if (star) {
			p = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* One host pattern against the name ("host" or "[host]:port"). */
static bool pattern_match(const char *pat, size_t n, const char *name)
{
	char buf[512];
	if (n >= sizeof buf)
		return false;
	memcpy(buf, pat, n);
	buf[n] = '\0';
	if (strncmp(buf, "|1|", 3) == 0) {
		/* hashed: |1|base64(salt)|base64(HMAC-SHA1(salt, name)) */
		char *bar = strchr(buf + 3, '|');
		if (!bar)
			return false;
		kd_buf salt = KD_BUF_INIT, want = KD_BUF_INIT;
		bool ok = b64_decode(&salt, buf + 3, (size_t)(bar - buf - 3)) && b64_decode(&want, bar + 1, strlen(bar + 1));
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;
		if (ok && salt.len)
			ok = HMAC(EVP_sha1(), salt.ptr, (int)salt.len, (const unsigned char *)name, strlen(name), md, &mdlen) != NULL;
		ok = ok && salt.len && mdlen == want.len && memcmp(md, want.ptr, mdlen) == 0;
		kd_buf_free(&salt);
		kd_buf_free(&want);
		return ok;
	}
	for (char *p = buf; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return wild_match(buf, name);
}

/* Whether the comma-separated pattern list matches (a negated match wins). */
static bool hosts_match(const char *list, size_t n, const char *name)
{
	bool pos = false;
	const char *p = list, *end = list + n;
	while (p < end) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		size_t len = (size_t)((c ? c : end) - p);
		bool neg = len > 0 && *p == '!';
		if (pattern_match(p + neg, len - neg, name)) {
			if (neg)
				return false;
			pos = true;
		}
		p = c ? c + 1 : end;
	}
	return pos;
}

int kd_git__known_hosts_check(kd_kh_verdict *verdict, char *where, size_t where_len, const char *file,
	const char *host, int port, const unsigned char *key, size_t keylen)
{
	*verdict = KD_KH_UNKNOWN;
	if (where_len)
		where[0] = '\0';
	char *data = NULL;
	size_t len = 0;
	int rc = kd_file_read(&data, &len, file, MAX_TRUST_FILE);
	if (rc == KD_ENOTFOUND) {
		kd_error_clear();
		return 0;
	}
	if (!rc)
		rc = kd_git__known_hosts_check_text(verdict, where, where_len, file, data, len, host, port, key, keylen);
	free(data);
	return rc;
}

int kd_git__known_hosts_check_text(kd_kh_verdict *verdict, char *where, size_t where_len, const char *file,
	const char *text, size_t text_len, const char *host, int port, const unsigned char *key, size_t keylen)
{
	*verdict = KD_KH_UNKNOWN;
	if (where_len)
		where[0] = '\0';
	char *data = copy_text(text, text_len); /* split in place below */
	char name[300], lower[256];
	size_t hl = strlen(host);
	if (hl >= sizeof lower)
		hl = sizeof lower - 1;
	for (size_t i = 0; i < hl; i++)
		lower[i] = (host[i] >= 'A' && host[i] <= 'Z') ? (char)(host[i] - 'A' + 'a') : host[i];
	lower[hl] = '\0';
	if (port == 22)
		snprintf(name, sizeof name, "%s", lower);
	else
		snprintf(name, sizeof name, "[%s]:%d", lower, port);
	char ktype[80];
	kd_git__key_type(ktype, sizeof ktype, key, keylen);
	bool ok = false, revoked = false, same_type_other_key = false, other_type = false;
	int lineno = 0, mismatch_line = 0;
	kd_buf blob = KD_BUF_INIT;
	for (char *line = data; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		lineno++;
		/* fields: [@marker] hosts keytype base64 [comment] */
		char *f[4] = {NULL, NULL, NULL, NULL};
		int nf = 0;
		char *p = line;
		while (*p && nf < 4) {
			while (*p == ' ' || *p == '\t' || *p == '\r')
				p++;
			if (!*p || *p == '#')
				break;
			f[nf++] = p;
			while (*p && *p != ' ' && *p != '\t' && *p != '\r')
				p++;
			if (*p)
				*p++ = '\0';
		}
		const char *marker = NULL;
		int base = 0;
		if (nf > 0 && f[0][0] == '@') {
			marker = f[0];
			base = 1;
		}
		if (nf - base >= 3 && hosts_match(f[base], strlen(f[base]), name)) {
			kd_buf_clear(&blob);
			bool same = b64_decode(&blob, f[base + 2], strlen(f[base + 2])) && blob.len == keylen &&
				memcmp(blob.ptr, key, keylen) == 0;
			if (marker && strcmp(marker, "@revoked") == 0) {
				revoked = revoked || same;
			} else if (!marker) { /* @cert-authority lines vouch for certificates, not plain keys */
				if (same)
					ok = true;
				else if (strcmp(f[base + 1], ktype) == 0) {
					same_type_other_key = true;
					if (!mismatch_line)
						mismatch_line = lineno;
				} else
					other_type = true;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	kd_buf_free(&blob);
	free(data);
	if (revoked)
		*verdict = KD_KH_REVOKED;
	else if (ok)
		*verdict = KD_KH_OK;
	else if (same_type_other_key)
		*verdict = KD_KH_MISMATCH;
	else if (other_type)
		*verdict = KD_KH_OTHER;
	if (mismatch_line && where_len)
		snprintf(where, where_len, "%s:%d", file, mismatch_line);
	return 0;
}

/* ---- credentials file ---------------------------------------------------------------------- */

static char *pct_dec(const char *s, size_t n)
{
	kd_buf b = KD_BUF_INIT;
	kd_buf_puts(&b, "");
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < n && (hi = kd_hex_digit((unsigned char)s[i + 1])) >= 0 &&
			(lo = kd_hex_digit((unsigned char)s[i + 2])) >= 0) {
			kd_buf_putc(&b, (char)(hi * 16 + lo));
			i += 2;
		} else {
			kd_buf_putc(&b, s[i]);
		}
	}
	return kd_buf_detach(&b);
}

int kd_git__creds_lookup(char **user, char **pass, const char *file, const kd_git__url_parts *u)
{
	*user = *pass = NULL;
	char *data = NULL;
	size_t len = 0;
	int rc = kd_file_read(&data, &len, file, MAX_TRUST_FILE);
	if (rc == KD_ENOTFOUND)
		return kd_error_set(KD_ERR_GIT, "--git-credentials %s: no such file", file), KD_ENOTFOUND;
	if (rc)
		return rc;
	rc = kd_git__creds_lookup_text(user, pass, file, data, len, u);
	explicit_bzero(data, len);
	free(data);
	return rc;
}

int kd_git__creds_lookup_text(char **user, char **pass, const char *file, const char *text, size_t text_len,
	const kd_git__url_parts *u)
{
	*user = *pass = NULL;
	size_t len = text_len;
	char *data = copy_text(text, text_len); /* split in place below, wiped at the end */
	int lineno = 0;
	int rc;
	rc = KD_ENOTFOUND;
	for (char *line = data; line && *line && rc == KD_ENOTFOUND;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		lineno++;
		size_t n = strlen(line);
		while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
			line[--n] = '\0';
		char *s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s && *s != '#') {
			/* scheme://user:password@host[:port][/path] */
			char *sep = strstr(s, "://");
			char *auth = sep ? sep + 3 : NULL;
			char *slash = auth ? strchr(auth, '/') : NULL;
			char *end = slash ? slash : s + strlen(s);
			char *at = NULL;
			for (char *p = auth; p && p < end; p++)
				if (*p == '@')
					at = p;
			char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
			if (!sep || !at || !colon) {
				/* the line may hold a password: name only the line */
				kd_error_set(KD_ERR_GIT, "%s:%d: want https://USER:PASSWORD@HOST[/PATH]", file, lineno);
				rc = KD_EINVALID;
				break;
			}
			kd_buf hostpart = KD_BUF_INIT;
			kd_buf_put(&hostpart, s, (size_t)(auth - s));
			kd_buf_put(&hostpart, at + 1, strlen(at + 1));
			kd_git__url_parts lp;
			bool match = kd_git__url_split(&lp, kd_buf_cstr(&hostpart)) == 0 && strcmp(lp.scheme, u->scheme) == 0 &&
				strcasecmp(lp.host, u->host) == 0 && lp.port == u->port;
			if (match && slash && strcmp(lp.path, "/") != 0) {
				size_t pl = strlen(lp.path);
				while (pl > 1 && lp.path[pl - 1] == '/')
					pl--;
				match = strncmp(u->path, lp.path, pl) == 0 && (u->path[pl] == '\0' || u->path[pl] == '/');
			}
			kd_buf_free(&hostpart);
			if (match) {
				*user = pct_dec(auth, (size_t)(colon - auth));
				*pass = pct_dec(colon + 1, (size_t)(at - colon - 1));
				rc = 0;
			}
			explicit_bzero(s, strlen(s));
		}
		line = nl ? nl + 1 : NULL;
	}
	explicit_bzero(data, len);
	free(data);
	return rc;
}
