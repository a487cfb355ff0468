/* sprig's encodings: base64/base32 (Go's StdEncoding, padded; decode errors come back as the
 * error text, as sprig returns them), toJson/toPrettyJson (encoding/json: sorted keys, HTML
 * escaping, Go's float format; an unencodable value gives ""), and KUDO's toYaml. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/yaml.h"
#include "sprig_priv.h"

static const char B32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

KD_SP_FN(b64enc)
{
	STR_ARG(s, 0);
	kd_buf b = KD_SP_BUF;
	kd_buf_puts(&b, "");
	kd_base64_encode(&b, s, strlen(s));
	*out = kd_tpl__sp_take_buf(&b);
	return 0;
}

KD_SP_FN(b64dec)
{
	STR_ARG(s, 0);
	kd_buf b = KD_SP_BUF;
	kd_buf_puts(&b, "");
	size_t bad = 0;
	if (kd_base64_decode(&b, s, strlen(s), &bad)) {
		kd_buf_clear(&b);
		kd_buf_printf(&b, "illegal base64 data at input byte %zu", bad);
	}
	*out = kd_tpl__sp_take_buf(&b);
	return 0;
}

KD_SP_FN(b32enc)
{
	STR_ARG(s, 0);
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	static const int chars_for[6] = {0, 2, 4, 5, 7, 8};
	kd_buf b = KD_SP_BUF;
	kd_buf_puts(&b, "");
	for (size_t i = 0; i < n; i += 5) {
		size_t k = n - i < 5 ? n - i : 5;
		uint64_t v = 0;
		for (size_t j = 0; j < 5; j++)
			v = (v << 8) | (j < k ? p[i + j] : 0);
		for (int j = 0; j < 8; j++)
			kd_buf_putc(&b, j < chars_for[k] ? B32[(v >> (35 - 5 * j)) & 31] : '=');
	}
	*out = kd_tpl__sp_take_buf(&b);
	return 0;
}

KD_SP_FN(b32dec)
{
	STR_ARG(s, 0);
	kd_buf b = KD_SP_BUF;
	kd_buf_puts(&b, "");
	size_t n = strlen(s), si = 0;
	bool bad = false;
	size_t bad_at = 0;
	while (si < n && !bad) {
		unsigned char q[8] = {0};
		int dlen = 8, j;
		for (j = 0; j < 8; j++) {
			if (si == n) {
				if (j == 0)
					goto out;
				bad = true, bad_at = si - (size_t)j;
				break;
			}
			unsigned char in = (unsigned char)s[si++];
			if (in == '\n' || in == '\r') {
				j--;
				continue;
			}
			const char *p = in ? strchr(B32, in) : NULL;
			if (p) {
				q[j] = (unsigned char)(p - B32);
				continue;
			}
			if (in != '=' || j < 2) {
				bad = true, bad_at = si - 1;
				break;
			}
			/* the rest must be padding up to 8 chars, then the end */
			size_t pads = 1;
			while (si < n && (s[si] == '=' || s[si] == '\n' || s[si] == '\r'))
				pads += s[si++] == '=';
			if ((size_t)j + pads != 8 || si < n || !(j == 2 || j == 4 || j == 5 || j == 7)) {
				bad = true, bad_at = si < n ? si : ((size_t)j + pads < 8 ? n : si - 1);
				break;
			}
			dlen = j;
			break;
		}
		if (bad)
			break;
		uint64_t v = 0;
		for (int k = 0; k < 8; k++)
			v = (v << 5) | q[k];
		static const int bytes_for[9] = {0, 0, 1, 0, 2, 3, 0, 4, 5};
		for (int k = 0; k < bytes_for[dlen]; k++)
			kd_buf_putc(&b, (char)(v >> (32 - 8 * k)));
		if (dlen < 8)
			break;
	}
out:
	if (bad) {
		kd_buf_clear(&b);
		kd_buf_printf(&b, "illegal base32 data at input byte %zu", bad_at);
	}
	*out = kd_tpl__sp_take_buf(&b);
	return 0;
}

/* ---- JSON ----------------------------------------------------------------------------------- */

static void json_str(kd_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(s);
	kd_buf_putc(b, '"');
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			if (c == '"' || c == '\\') {
				kd_buf_putc(b, '\\');
				kd_buf_putc(b, (char)c);
			} else if (c == '\n') {
				kd_buf_puts(b, "\\n");
			} else if (c == '\r') {
				kd_buf_puts(b, "\\r");
			} else if (c == '\t') {
				kd_buf_puts(b, "\\t");
			} else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
				kd_buf_puts(b, "\\u00");
				kd_buf_putc(b, hex[c >> 4]);
				kd_buf_putc(b, hex[c & 15]);
			} else {
				kd_buf_putc(b, (char)c);
			}
			i++;
			continue;
		}
		uint32_t cp;
		int k = kd_utf8_decode(s + i, n - i, &cp);
		if (cp == 0xFFFD && k == 1)
			kd_buf_puts(b, "\\ufffd");
		else if (cp == 0x2028 || cp == 0x2029)
			kd_buf_printf(b, "\\u%04x", (unsigned)cp);
		else
			kd_buf_put(b, s + i, (size_t)k);
		i += (size_t)k;
	}
	kd_buf_putc(b, '"');
}

/* encoding/json's float64 format: 'f' for 1e-6 <= |f| < 1e21, else 'e' with a short exponent. */
/* encoding/json's float64 (toJson, toPrettyJson) */
static void json_float(kd_buf *b, double d)
{
	char t[64];
	kd_buf_puts(b, kd_json_fmt_number(t, sizeof t, d));
}

static int cmp_member(const void *a, const void *b)
{
	return strcmp((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

static int json_val(kd_buf *b, const cJSON *v, const char *indent, int depth);

static void newline(kd_buf *b, const char *indent, int depth)
{
	/* indent is "  ": whole runs of it at a time */
	static const char sp[] = "                                                                ";
	if (!indent)
		return;
	kd_buf_putc(b, '\n');
	for (int n = 2 * depth; n > 0 && !b->err; n -= 64)
		kd_buf_put(b, sp, n < 64 ? (size_t)n : 64);
}

static int json_val(kd_buf *b, const cJSON *v, const char *indent, int depth)
{
	if (depth > KD_JSON_MAX_DEPTH || kd_stack_low()) {
		/* Go's encoder has no depth limit; kudoc's stack has one */
		kd_tpl__fail_later("value nested too deeply to encode (the limit is %d levels, fewer where the stack runs out)", KD_JSON_MAX_DEPTH);
		return -1;
	}
	if (b->err)
		return -1; /* past the string limit: take_buf reports it */
	if (!v || cJSON_IsNull(v))
		return kd_buf_puts(b, "null");
	if (cJSON_IsTrue(v))
		return kd_buf_puts(b, "true");
	if (cJSON_IsFalse(v))
		return kd_buf_puts(b, "false");
	if (cJSON_IsString(v)) {
		json_str(b, v->valuestring);
		return 0;
	}
	if (cJSON_IsNumber(v)) {
		if (v->type & KD_JSON_INT)
			return kd_buf_printf(b, "%lld", (long long)kd_json_int(v));
		if (isnan(v->valuedouble) || isinf(v->valuedouble))
			return -1;
		json_float(b, v->valuedouble);
		return 0;
	}
	if (kd_tpl__sp_is_time(v) || kd_tpl__sp_is_semver(v)) {
		kd_buf t = KD_SP_BUF;
		kd_buf_puts(&t, "");
		if (kd_tpl__sp_is_time(v)) {
			int64_t sec, nsec;
			int off;
			const char *zone;
			kd_tpl__sp_arg_time(NULL, v, &sec, &nsec, &off, &zone);
			kd_tpl__sp_time_format(&t, sec, nsec, off, zone, "2006-01-02T15:04:05.999999999Z07:00");
		} else {
			kd_tpl__sp_strval(&t, v);
		}
		json_str(b, kd_buf_cstr(&t));
		kd_buf_free(&t);
		return 0;
	}
	if (cJSON_IsArray(v)) {
		if (!v->child)
			return kd_buf_puts(b, (v->type & KD_SP_NIL) ? "null" : "[]");
		kd_buf_putc(b, '[');
		for (const cJSON *e = v->child; e; e = e->next) {
			newline(b, indent, depth + 1);
			if (json_val(b, e, indent, depth + 1) < 0)
				return -1;
			if (e->next)
				kd_buf_putc(b, ',');
		}
		newline(b, indent, depth);
		return kd_buf_putc(b, ']');
	}
	int n = cJSON_GetArraySize(v);
	if (n == 0)
		return kd_buf_puts(b, "{}");
	const cJSON **m = kd_calloc((size_t)n, sizeof *m);
	int i = 0;
	for (const cJSON *e = v->child; e; e = e->next)
		m[i++] = e;
	qsort(m, (size_t)n, sizeof *m, cmp_member);
	int rc = 0;
	kd_buf_putc(b, '{');
	for (i = 0; i < n && rc == 0; i++) {
		newline(b, indent, depth + 1);
		json_str(b, m[i]->string);
		kd_buf_puts(b, indent ? ": " : ":");
		rc = json_val(b, m[i], indent, depth + 1);
		if (i + 1 < n)
			kd_buf_putc(b, ',');
	}
	free(m);
	if (rc)
		return rc;
	newline(b, indent, depth);
	return kd_buf_putc(b, '}');
}

static int to_json(cJSON **out, const cJSON *v, const char *indent)
{
	kd_buf b = KD_SP_BUF;
	kd_buf_puts(&b, "");
	/* json.Marshal's errors (NaN, Inf) give "", as sprig returns; a buffer past its limit is
	 * left failed for take_buf to report */
	if (json_val(&b, v, indent, 0) < 0 && !b.err)
		kd_buf_clear(&b);
	*out = kd_tpl__sp_take_buf(&b);
	return 0;
}

KD_SP_FN(toJson)
{
	return to_json(out, args[0], NULL);
}

KD_SP_FN(toPrettyJson)
{
	return to_json(out, args[0], "  ");
}

/* KUDO v0.19's renderer.ToYaml: yaml.Marshal's text as is (trailing newline kept). */
KD_SP_FN(toYaml)
{
	kd_buf b = KD_SP_BUF;
	kd_buf_puts(&b, "");
	if (kd_yaml_emit(&b, args[0]) < 0) {
		kd_buf_free(&b);
		const char *e = kd_error_last();
		return kd_tpl__fn_fail(call, "%s", e ? e : "cannot marshal value");
	}
	*out = kd_tpl__sp_take_buf(&b);
	return 0;
}
