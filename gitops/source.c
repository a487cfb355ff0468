/* Git source specs: "git+URL[//PATH][?ref=REF]" and the --git flags. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "gitops.h"
#include "gitops_internal.h"

#define MAX_SPEC 8192

bool kd_git_is_source(const char *s)
{
	return s && strncmp(s, "git+", 4) == 0;
}

void kd_git_source_clear(kd_git_source *src)
{
	if (!src)
		return;
	free(src->url);
	free(src->path);
	free(src->ref);
	free(src->user);
	if (src->password) {
		explicit_bzero(src->password, strlen(src->password));
		free(src->password);
	}
	memset(src, 0, sizeof *src);
}

static int pct_decode(char **out, const char *s, size_t n, const char *what)
{
	kd_buf b = KD_BUF_INIT;
	kd_buf_puts(&b, "");
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n) {
				kd_buf_free(&b);
				return kd_error_set(KD_ERR_GIT, "bad %%-escape in %s", what), KD_EINVALID;
			}
			int hi = kd_hex_digit((unsigned char)s[i + 1]), lo = kd_hex_digit((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				kd_buf_free(&b);
				return kd_error_set(KD_ERR_GIT, "bad %%-escape in %s", what), KD_EINVALID;
			}
			kd_buf_putc(&b, (char)(hi * 16 + lo));
			i += 2;
		} else {
			kd_buf_putc(&b, s[i]);
		}
	}
	*out = kd_buf_detach(&b);
	return 0;
}

/* Normalizes a folder inside the repository: "" or "a/b"; refuses "..", control characters. */
int kd_git__norm_path(char **out, const char *p, const char *what)
{
	kd_buf b = KD_BUF_INIT;
	kd_buf_puts(&b, "");
	const char *s = p;
	while (*s) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		size_t n = strcspn(s, "/");
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			kd_buf_free(&b);
			kd_error_set(KD_ERR_GIT, "%s \"%s\" goes up with \"..\"; give a folder inside the repository", what, p);
			return KD_EINVALID;
		}
		for (size_t i = 0; i < n; i++) {
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
				kd_buf_free(&b);
				kd_error_set(KD_ERR_GIT, "%s holds a control character", what);
				return KD_EINVALID;
			}
		}
		if (!(n == 1 && s[0] == '.')) {
			if (b.len)
				kd_buf_putc(&b, '/');
			kd_buf_put(&b, s, n);
		}
		s += n;
	}
	*out = kd_buf_detach(&b);
	return 0;
}

static bool scheme_is(const char *s, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(s, name, n) == 0;
}

/* Splits "scheme://[userinfo@]host[:port]/path" into the parts kudoc keeps. `url` has no
 * query and no package path. The password (if any) goes to src->password only. */
static int parse_repo_url(kd_git_source *src, const char *url, size_t n, const char *shown)
{
	const char *sep = NULL;
	for (size_t i = 0; i + 2 < n; i++) {
		if (url[i] == ':' && url[i + 1] == '/' && url[i + 2] == '/') {
			sep = url + i;
			break;
		}
		if (url[i] == '/' || url[i] == '@')
			break;
	}
	if (!sep) {
		kd_error_set(KD_ERR_GIT, "%s: the repository must be a URL (https://, http://, ssh://, git:// or file://)", shown);
		return KD_EINVALID;
	}
	size_t sl = (size_t)(sep - url);
	const char *scheme = NULL;
	const char *known[] = {"https", "http", "ssh", "git", "file"};
	for (size_t i = 0; i < KD_ARRAY_SIZE(known); i++)
		if (scheme_is(url, sl, known[i]))
			scheme = known[i];
	if (!scheme) {
		kd_error_set(KD_ERR_GIT, "%s: unsupported scheme \"%.*s\" (want https, http, ssh, git or file)", shown, (int)sl, url);
		return KD_EINVALID;
	}
	const char *auth = sep + 3, *end = url + n;
	const char *slash = memchr(auth, '/', (size_t)(end - auth));
	if (!slash || slash + 1 >= end) {
		kd_error_set(KD_ERR_GIT, "%s: no repository path in the URL", shown);
		return KD_EINVALID;
	}
	/* userinfo: the last '@' of the authority */
	const char *at = NULL;
	for (const char *p = auth; p < slash; p++)
		if (*p == '@')
			at = p;
	const char *host = at ? at + 1 : auth;
	char *user = NULL, *pass = NULL;
	int rc = 0;
	if (at) {
		const char *colon = memchr(auth, ':', (size_t)(at - auth));
		if ((rc = pct_decode(&user, auth, (size_t)((colon ? colon : at) - auth), "the URL's user name")) != 0)
			goto done;
		if (colon && (rc = pct_decode(&pass, colon + 1, (size_t)(at - colon - 1), "the URL's password")) != 0)
			goto done;
		if (strcmp(scheme, "git") == 0 || strcmp(scheme, "file") == 0) {
			kd_error_set(KD_ERR_GIT, "%s: %s:// URLs take no user name or password", shown, scheme);
			rc = KD_EINVALID;
			goto done;
		}
		if (strcmp(scheme, "ssh") == 0 && pass) {
			kd_error_set(KD_ERR_GIT, "%s: passwords in ssh URLs are not supported; use a key (--git-ssh-key or ssh-agent)", shown);
			rc = KD_EINVALID;
			goto done;
		}
	}
	if (host == slash && strcmp(scheme, "file") != 0) {
		kd_error_set(KD_ERR_GIT, "%s: no host in the URL", shown);
		rc = KD_EINVALID;
		goto done;
	}
	/* host: a name, an IPv4 address or [IPv6], then an optional :port */
	{
		const char *p = host;
		if (p < slash && *p == '[') {
			while (p < slash && *p != ']')
				p++;
			p += p < slash;
		} else {
			while (p < slash && (isalnum((unsigned char)*p) || *p == '.' || *p == '-' || *p == '_' || *p == '~'))
				p++;
		}
		if (p < slash && *p == ':') {
			const char *d = ++p;
			while (p < slash && isdigit((unsigned char)*p))
				p++;
			if (p == d)
				p = d - 1; /* "host:" without a port */
		}
		if (p != slash) {
			kd_error_set(KD_ERR_GIT, "%s: bad host in the URL", shown);
			rc = KD_EINVALID;
			goto done;
		}
	}
	for (const char *p = host; p < end; p++) {
		if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
			kd_error_set(KD_ERR_GIT, "%s: the URL holds a space or control character", shown);
			rc = KD_EINVALID;
			goto done;
		}
	}
	kd_buf b = KD_BUF_INIT;
	kd_buf_printf(&b, "%s://", scheme);
	if (user && strcmp(scheme, "ssh") == 0)
		kd_buf_put(&b, auth, (size_t)(at - auth) + 1); /* the user as written, then '@' */
	for (const char *p = host; p < slash; p++)
		kd_buf_putc(&b, (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p);
	size_t plen = (size_t)(end - slash);
	while (plen > 1 && slash[plen - 1] == '/')
		plen--;
	if (plen <= 1) {
		kd_buf_free(&b);
		kd_error_set(KD_ERR_GIT, "%s: no repository path in the URL", shown);
		rc = KD_EINVALID;
		goto done;
	}
	kd_buf_put(&b, slash, plen);
	src->url = kd_buf_detach(&b);
	if (strcmp(scheme, "ssh") != 0) {
		src->user = user;
		src->password = pass;
		user = pass = NULL;
	}
done:
	free(user);
	if (pass) {
		explicit_bzero(pass, strlen(pass));
		free(pass);
	}
	return rc;
}

/* The spec with any password replaced, for error messages. */
static char *shown_spec(const char *spec)
{
	kd_buf b = KD_BUF_INIT;
	const char *sep = strstr(spec, "://");
	const char *slash = sep ? strchr(sep + 3, '/') : NULL;
	const char *at = NULL;
	if (sep)
		for (const char *p = sep + 3; *p && (!slash || p < slash); p++)
			if (*p == '@')
				at = p;
	if (at) {
		kd_buf_put(&b, spec, (size_t)(sep + 3 - spec));
		kd_buf_puts(&b, "***@");
		kd_buf_puts(&b, at + 1);
	} else {
		kd_buf_puts(&b, spec);
	}
	return kd_buf_detach(&b);
}

int kd_git_source_parse(kd_git_source *out, const char *spec)
{
	memset(out, 0, sizeof *out);
	if (!kd_git_is_source(spec))
		return kd_error_set(KD_ERR_GIT, "not a git source (want git+URL)"), KD_EINVALID;
	if (strlen(spec) > MAX_SPEC)
		return kd_error_set(KD_ERR_GIT, "git source longer than %d bytes", MAX_SPEC), KD_ELIMIT;
	char *shown = shown_spec(spec);
	const char *rest = spec + 4;
	const char *q = strchr(rest, '?');
	size_t ulen = q ? (size_t)(q - rest) : strlen(rest);
	int rc = 0;
	/* the package path follows the first "//" after the authority's end */
	const char *sep = strstr(rest, "://");
	const char *pathsep = NULL;
	if (sep && sep < rest + ulen) {
		const char *auth_end = memchr(sep + 3, '/', (size_t)(rest + ulen - (sep + 3)));
		if (auth_end) {
			for (const char *p = auth_end + 1; p + 1 < rest + ulen; p++) {
				if (p[0] == '/' && p[1] == '/') {
					pathsep = p;
					break;
				}
			}
		}
	}
	size_t repolen = pathsep ? (size_t)(pathsep - rest) : ulen;
	if ((rc = parse_repo_url(out, rest, repolen, shown)) != 0)
		goto done;
	if (pathsep) {
		char *raw = NULL;
		if ((rc = pct_decode(&raw, pathsep + 2, (size_t)(rest + ulen - (pathsep + 2)), "the package path")) != 0)
			goto done;
		rc = kd_git__norm_path(&out->path, raw, "the package path");
		free(raw);
		if (rc)
			goto done;
	} else {
		out->path = kd_strdup("");
	}
	if (q) {
		const char *p = q + 1;
		while (*p) {
			size_t n = strcspn(p, "&");
			if (n >= 4 && strncmp(p, "ref=", 4) == 0) {
				if (n == 4) {
					kd_error_set(KD_ERR_GIT, "%s: empty ref (write ?ref=BRANCH, TAG, semver:RANGE or COMMIT, or leave it out for HEAD)", shown);
					rc = KD_EINVALID;
					goto done;
				}
				if (out->ref) {
					kd_error_set(KD_ERR_GIT, "%s: ref= given twice", shown);
					rc = KD_EINVALID;
					goto done;
				}
				if ((rc = pct_decode(&out->ref, p + 4, n - 4, "ref=")) != 0)
					goto done;
			} else if (n > 0) {
				kd_error_set(KD_ERR_GIT, "%s: unknown query parameter \"%.*s\" (only ref=REF is understood)", shown,
					(int)strcspn(p, "=&"), p);
				rc = KD_EINVALID;
				goto done;
			}
			p += n + (p[n] == '&');
		}
		if (!out->ref) {
			kd_error_set(KD_ERR_GIT, "%s: empty ref (write ?ref=BRANCH, TAG, semver:RANGE or COMMIT, or leave it out for HEAD)", shown);
			rc = KD_EINVALID;
			goto done;
		}
	}
	if (out->ref && (rc = kd_git__check_ref(out->ref, shown)) != 0)
		goto done;
done:
	free(shown);
	if (rc)
		kd_git_source_clear(out);
	return rc;
}

int kd_git__check_ref(const char *ref, const char *shown)
{
	if (!*ref) {
		kd_error_set(KD_ERR_GIT, "%s: empty ref", shown);
		return KD_EINVALID;
	}
	for (const char *p = ref; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			kd_error_set(KD_ERR_GIT, "%s: the ref holds a control character", shown);
			return KD_EINVALID;
		}
	}
	return 0;
}

int kd_git_source_from_flags(kd_git_source *out, const char *url, const char *ref, const char *path)
{
	memset(out, 0, sizeof *out);
	if (!url || !*url)
		return kd_error_set(KD_ERR_GIT, "--git needs a repository URL"), KD_EINVALID;
	if (strlen(url) > MAX_SPEC || (ref && strlen(ref) > MAX_SPEC) || (path && strlen(path) > MAX_SPEC))
		return kd_error_set(KD_ERR_GIT, "--git flags longer than %d bytes", MAX_SPEC), KD_ELIMIT;
	kd_buf b = KD_BUF_INIT;
	const char *u = kd_git_is_source(url) ? url + 4 : url;
	if (u[0] == '/')
		kd_buf_printf(&b, "file://%s", u);
	else
		kd_buf_puts(&b, u);
	char *shown = shown_spec(kd_buf_cstr(&b));
	int rc = 0;
	if (strchr(kd_buf_cstr(&b), '?')) {
		kd_error_set(KD_ERR_GIT, "--git %s: give the ref with --git-ref, not in the URL", shown);
		rc = KD_EINVALID;
		goto done;
	}
	if ((rc = parse_repo_url(out, b.ptr, b.len, shown)) != 0)
		goto done;
	if (strstr(strstr(out->url, "://") + 3, "//")) {
		kd_error_set(KD_ERR_GIT, "--git %s: give the package folder with --git-path, not after \"//\" in the URL", shown);
		rc = KD_EINVALID;
		goto done;
	}
	if ((rc = kd_git__norm_path(&out->path, path ? path : "", "--git-path")) != 0)
		goto done;
	if (ref) {
		if ((rc = kd_git__check_ref(ref, "--git-ref")) != 0)
			goto done;
		out->ref = kd_strdup(ref);
	}
done:
	free(shown);
	kd_buf_free(&b);
	if (rc)
		kd_git_source_clear(out);
	return rc;
}

char *kd_git_source_string(const kd_git_source *src)
{
	kd_buf b = KD_BUF_INIT;
	kd_buf_printf(&b, "git+%s", src->url ? src->url : "");
	if (src->path && *src->path) {
		kd_buf_puts(&b, "//");
		for (const char *p = src->path; *p; p++) {
			if (*p == '%' || *p == '?' || *p == '#' || *p == ' ')
				kd_buf_printf(&b, "%%%02X", (unsigned char)*p);
			else
				kd_buf_putc(&b, *p);
		}
	}
	if (src->ref) {
		kd_buf_puts(&b, "?ref=");
		for (const char *p = src->ref; *p; p++) {
			if (*p == '%' || *p == '&' || *p == '#' || *p == ' ')
				kd_buf_printf(&b, "%%%02X", (unsigned char)*p);
			else
				kd_buf_putc(&b, *p);
		}
	}
	return kd_buf_detach(&b);
}
