/* sprig's urlParse and urlJoin, following Go's net/url Parse and URL.String for the parts
 * sprig exposes (scheme, host, hostname, path, query, opaque, fragment, userinfo). */
#include <stdio.h>
#include <string.h>

#include "sprig_priv.h"

/* url.PathUnescape-like: -1 with the bad escape in *bad on a malformed %XX. */
static int unescape(kd_buf *b, const char *s, size_t n, const char **bad)
{
	kd_buf_puts(b, "");
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n) {
				*bad = s + i;
				return -1;
			}
			int h = kd_hex_digit(s[i + 1]), l = kd_hex_digit(s[i + 2]);
			if (h < 0 || l < 0) {
				*bad = s + i;
				return -1;
			}
			kd_buf_putc(b, (char)(h * 16 + l));
			i += 2;
		} else {
			kd_buf_putc(b, s[i]);
		}
	}
	return 0;
}

static bool unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		c == '_' || c == '.' || c == '~';
}

enum { ENC_PATH, ENC_FRAGMENT, ENC_USER, ENC_HOST };

static void escape(kd_buf *b, const char *s, int mode)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char c = *p;
		bool keep = unreserved(c);
		if (!keep && mode == ENC_HOST)
			keep = c >= 0x80 || strchr("!$&'()*+,;=:[]<>\"", c) != NULL;
		if (!keep && strchr("$&+,/:;=?@", c)) {
			if (mode == ENC_PATH)
				keep = c != '?';
			else if (mode == ENC_FRAGMENT)
				keep = true;
			else if (mode == ENC_USER)
				keep = c != '@' && c != '/' && c != '?' && c != ':';
		}
		if (!keep && mode == ENC_FRAGMENT && strchr("!()*", c))
			keep = true;
		if (keep)
			kd_buf_putc(b, (char)c);
		else
			kd_buf_printf(b, "%%%02X", c);
	}
}

static void add(cJSON *o, const char *k, const char *s, size_t n)
{
	cJSON_AddItemToObject(o, k, kd_tpl__sp_new_strn(s, n));
}

KD_SP_FN(urlParse)
{
	const char *s;
	if (kd_tpl__sp_arg_str(call, args[0], &s) < 0)
		return KD_ERROR;
	cJSON *o = cJSON_CreateObject();
	const char *bad = NULL;
	kd_buf tmp = KD_SP_BUF;
	size_t n = strlen(s);
	const char *hash = strchr(s, '#');
	size_t restlen = hash ? (size_t)(hash - s) : n;
	/* scheme */
	size_t i = 0, sch = 0;
	for (i = 0; i < restlen; i++) {
		char c = s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			continue;
		if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
			if (i == 0)
				break;
			continue;
		}
		if (c == ':') {
			if (i == 0) {
				kd_json_delete(o);
				return kd_tpl__fn_fail(call, "unable to parse url: parse \"%s\": missing protocol scheme", s);
			}
			sch = i;
		}
		break;
	}
	char scheme[64] = "";
	const char *rest = s;
	if (sch) {
		size_t k = sch < sizeof scheme ? sch : sizeof scheme - 1;
		for (size_t j = 0; j < k; j++)
			scheme[j] = (char)((s[j] >= 'A' && s[j] <= 'Z') ? s[j] + 32 : s[j]);
		scheme[k] = '\0';
		rest = s + sch + 1;
	}
	size_t rl = (size_t)(s + restlen - rest);
	const char *q = memchr(rest, '?', rl);
	const char *query = "";
	size_t ql = 0;
	if (q) {
		query = q + 1;
		ql = (size_t)(rest + rl - query);
		rl = (size_t)(q - rest);
	}
	const char *opaque = "", *host = "", *user = NULL, *path = rest;
	size_t ol = 0, hl = 0, ul = 0, pl = rl;
	if (rl > 0 && rest[0] != '/' && sch) {
		opaque = rest;
		ol = rl;
		pl = 0;
	} else if (rl >= 2 && rest[0] == '/' && rest[1] == '/' && (sch || !(rl >= 3 && rest[2] == '/'))) {
		const char *auth = rest + 2;
		const char *slash = memchr(auth, '/', rl - 2);
		size_t al = slash ? (size_t)(slash - auth) : rl - 2;
		path = auth + al;
		pl = rl - 2 - al;
		const char *at = NULL;
		for (size_t j = 0; j < al; j++)
			if (auth[j] == '@')
				at = auth + j;
		if (at) {
			user = auth;
			ul = (size_t)(at - auth);
			host = at + 1;
			hl = al - ul - 1;
		} else {
			host = auth;
			hl = al;
		}
	}
	cJSON_AddStringToObject(o, "scheme", scheme);
	add(o, "host", host, hl);
	/* Hostname: without the port, without IPv6 brackets */
	const char *hn = host;
	size_t hnl = hl;
	if (hl && host[0] == '[') {
		const char *rb = memchr(host, ']', hl);
		hn = host + 1;
		hnl = rb ? (size_t)(rb - host - 1) : hl - 1;
	} else {
		const char *colon = memchr(host, ':', hl);
		if (colon)
			hnl = (size_t)(colon - host);
	}
	add(o, "hostname", hn, hnl);
	if (unescape(&tmp, path, pl, &bad) < 0)
		goto bad_escape;
	cJSON_AddStringToObject(o, "path", kd_buf_cstr(&tmp));
	kd_buf_clear(&tmp);
	add(o, "query", query, ql);
	add(o, "opaque", opaque, ol);
	if (hash) {
		if (unescape(&tmp, hash + 1, strlen(hash + 1), &bad) < 0)
			goto bad_escape;
		cJSON_AddStringToObject(o, "fragment", kd_buf_cstr(&tmp));
		kd_buf_clear(&tmp);
	} else {
		cJSON_AddStringToObject(o, "fragment", "");
	}
	if (user) {
		/* User.String(): the username and password re-escaped */
		const char *colon = memchr(user, ':', ul);
		size_t nl = colon ? (size_t)(colon - user) : ul;
		kd_buf u = KD_SP_BUF;
		kd_buf_puts(&u, "");
		if (unescape(&tmp, user, nl, &bad) < 0) {
			kd_buf_free(&u);
			goto bad_escape;
		}
		escape(&u, kd_buf_cstr(&tmp), ENC_USER);
		kd_buf_clear(&tmp);
		if (colon) {
			if (unescape(&tmp, colon + 1, ul - nl - 1, &bad) < 0) {
				kd_buf_free(&u);
				goto bad_escape;
			}
			kd_buf_putc(&u, ':');
			escape(&u, kd_buf_cstr(&tmp), ENC_USER);
			kd_buf_clear(&tmp);
		}
		cJSON_AddItemToObject(o, "userinfo", kd_tpl__sp_take_buf(&u));
	} else {
		cJSON_AddStringToObject(o, "userinfo", "");
	}
	kd_buf_free(&tmp);
	*out = o;
	return 0;
bad_escape:
	kd_buf_free(&tmp);
	kd_json_delete(o);
	{
		char esc[4] = {0};
		size_t k = strnlen(bad, 3);
		memcpy(esc, bad, k);
		return kd_tpl__fn_fail(call, "unable to parse url: parse \"%s\": invalid URL escape \"%s\"", s, esc);
	}
}

static int dict_str(kd_tpl__call *call, const cJSON *d, const char *key, const char **out)
{
	const cJSON *v = kd_json_get(d, key);
	*out = "";
	if (!v)
		return 0;
	if (!cJSON_IsString(v))
		return kd_tpl__fn_fail(call, "unable to parse %s key, must be of type string, but %s found",
			key, cJSON_IsNull(v) ? "invalid" : kd_tpl__sp_kindof(v));
	*out = v->valuestring;
	return 0;
}

KD_SP_FN(urlJoin)
{
	if (kd_tpl__sp_arg_map(call, args[0]) < 0)
		return KD_ERROR;
	const char *scheme, *host, *path, *query, *opaque, *fragment, *user;
	if (dict_str(call, args[0], "scheme", &scheme) < 0 || dict_str(call, args[0], "host", &host) < 0 ||
		dict_str(call, args[0], "path", &path) < 0 || dict_str(call, args[0], "query", &query) < 0 ||
		dict_str(call, args[0], "opaque", &opaque) < 0 ||
		dict_str(call, args[0], "fragment", &fragment) < 0 ||
		dict_str(call, args[0], "userinfo", &user) < 0)
		return KD_ERROR;
	kd_buf b = KD_SP_BUF;
	kd_buf_puts(&b, "");
	if (scheme[0]) {
		kd_buf_puts(&b, scheme);
		kd_buf_putc(&b, ':');
	}
	if (opaque[0]) {
		kd_buf_puts(&b, opaque);
	} else {
		if (scheme[0] || host[0] || user[0]) {
			if (host[0] || path[0] || user[0])
				kd_buf_puts(&b, "//");
			if (user[0]) {
				kd_buf_puts(&b, user);
				kd_buf_putc(&b, '@');
			}
			escape(&b, host, ENC_HOST);
		}
		kd_buf ep = KD_SP_BUF;
		kd_buf_puts(&ep, "");
		escape(&ep, path, ENC_PATH);
		const char *e = kd_buf_cstr(&ep);
		if (e[0] && e[0] != '/' && host[0])
			kd_buf_putc(&b, '/');
		if (b.len == 0) {
			const char *slash = strchr(e, '/');
			const char *colon = strchr(e, ':');
			if (colon && (!slash || colon < slash))
				kd_buf_puts(&b, "./");
		}
		kd_buf_puts(&b, e);
		kd_buf_free(&ep);
	}
	if (query[0]) {
		kd_buf_putc(&b, '?');
		kd_buf_puts(&b, query);
	}
	if (fragment[0]) {
		kd_buf_putc(&b, '#');
		escape(&b, fragment, ENC_FRAGMENT);
	}
	*out = kd_tpl__sp_take_buf(&b);
	return 0;
}
