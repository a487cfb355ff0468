/* sprig's regex functions over PCRE2, made to behave like Go's RE2-based regexp: `$` matches
 * only at the very end, \w \d \b stay ASCII, invalid UTF-8 is matched byte by byte, empty
 * matches advance as Go's FindAll/ReplaceAll/Split advance, and replacement templates expand
 * $1, ${1}, $name, ${name} and $$ as Go's Regexp.Expand does. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "sprig_priv.h"

typedef struct {
	pcre2_code *re;
	pcre2_match_data *md;
	const char *s;
	size_t len;
} rx;

/* RE2's \s is [\t\n\f\r ] where PCRE2's also has \v: rewrite \s and \S (outside \Q..\E;
 * \S inside a class is left alone). */
static char *translate(const char *pat)
{
	kd_buf b = KD_SP_BUF;
	kd_buf_puts(&b, "");
	bool in_class = false, quoted = false;
	for (const char *p = pat; *p; p++) {
		if (quoted) {
			if (p[0] == '\\' && p[1] == 'E')
				quoted = false;
			kd_buf_putc(&b, *p);
			continue;
		}
		if (*p == '\\' && p[1]) {
			char c = p[1];
			if (c == 'Q')
				quoted = true;
			if (c == 's') {
				kd_buf_puts(&b, in_class ? "\\t\\n\\f\\r " : "[\\t\\n\\f\\r ]");
			} else if (c == 'S' && !in_class) {
				kd_buf_puts(&b, "[^\\t\\n\\f\\r ]");
			} else {
				kd_buf_putc(&b, '\\');
				kd_buf_putc(&b, c);
			}
			p++;
			continue;
		}
		if (!in_class && *p == '[') {
			in_class = true;
			kd_buf_putc(&b, *p);
			if (p[1] == '^')
				kd_buf_putc(&b, *++p);
			if (p[1] == ']')
				kd_buf_putc(&b, *++p);
			continue;
		}
		if (in_class && *p == '[' && p[1] == ':') {
			const char *e = strstr(p + 2, ":]");
			if (e) {
				kd_buf_put(&b, p, (size_t)(e + 2 - p));
				p = e + 1;
				continue;
			}
		}
		if (in_class && *p == ']')
			in_class = false;
		kd_buf_putc(&b, *p);
	}
	return kd_buf_detach(&b);
}

/* Compiles `pat` like regexp.MustCompile, failing like its panic. */
static int rx_open(rx *r, kd_tpl__call *call, const char *pat, const char *s)
{
	int err;
	PCRE2_SIZE off;
	memset(r, 0, sizeof *r);
	char *tp = translate(pat);
	r->re = pcre2_compile((PCRE2_SPTR)tp, PCRE2_ZERO_TERMINATED,
		PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY, &err, &off, NULL);
	free(tp);
	if (!r->re) {
		if (!call)
			return KD_ERROR;
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(err, msg, sizeof msg);
		return kd_tpl__fn_fail(call, "regexp: Compile(`%s`): error parsing regexp: %s at offset %zu",
			pat, (const char *)msg, (size_t)off);
	}
	r->md = pcre2_match_data_create_from_pattern(r->re, NULL);
	r->s = s;
	r->len = strlen(s);
	return 0;
}

static void rx_close(rx *r)
{
	pcre2_match_data_free(r->md);
	pcre2_code_free(r->re);
}

/* Finds the leftmost match at or after pos; fills ov (borrowed) and returns true. */
static bool rx_exec(rx *r, size_t pos, PCRE2_SIZE **ov)
{
	int rc = pcre2_match(r->re, (PCRE2_SPTR)r->s, r->len, pos, 0, r->md, NULL);
	if (rc <= 0)
		return false;
	*ov = pcre2_get_ovector_pointer(r->md);
	return true;
}

static size_t rune_width(const char *s, size_t len, size_t pos)
{
	uint32_t c;
	if (pos >= len)
		return 1;
	return (size_t)kd_utf8_decode(s + pos, len - pos, &c);
}

/* Go's allMatches: calls cb for up to n matches (n < 0: all). */
typedef void (*match_cb)(rx *r, PCRE2_SIZE *ov, void *ud);

static void rx_all(rx *r, int64_t n, match_cb cb, void *ud)
{
	size_t pos = 0;
	size_t prev_end = (size_t)-1;
	int64_t count = 0;
	while ((n < 0 || count < n) && pos <= r->len) {
		PCRE2_SIZE *ov;
		if (!rx_exec(r, pos, &ov))
			break;
		bool accept = true;
		size_t a = ov[0], b = ov[1];
		if (b == pos) {
			if (a == prev_end)
				accept = false;
			pos += rune_width(r->s, r->len, pos);
		} else {
			pos = b;
		}
		prev_end = b;
		if (accept) {
			cb(r, ov, ud);
			count++;
		}
	}
}

KD_SP_FN(regexMatch)
{
	STR_ARG(pat, 0);
	STR_ARG(s, 1);
	rx r;
	PCRE2_SIZE *ov;
	bool m = false;
	if (rx_open(&r, NULL, pat, s) == 0) {
		m = rx_exec(&r, 0, &ov);
		rx_close(&r);
	}
	/* sprig ignores the compile error: an invalid pattern just does not match. */
	*out = cJSON_CreateBool(m);
	return 0;
}

KD_SP_FN(regexFind)
{
	STR_ARG(pat, 0);
	STR_ARG(s, 1);
	rx r;
	PCRE2_SIZE *ov;
	if (rx_open(&r, call, pat, s) < 0)
		return KD_ERROR;
	if (rx_exec(&r, 0, &ov))
		*out = kd_tpl__sp_new_strn(s + ov[0], ov[1] - ov[0]);
	else
		*out = cJSON_CreateString("");
	rx_close(&r);
	return 0;
}

static void add_match(rx *r, PCRE2_SIZE *ov, void *ud)
{
	cJSON_AddItemToArray((cJSON *)ud, kd_tpl__sp_new_strn(r->s + ov[0], ov[1] - ov[0]));
}

KD_SP_FN(regexFindAll)
{
	STR_ARG(pat, 0);
	STR_ARG(s, 1);
	INT_ARG(n, 2);
	rx r;
	if (rx_open(&r, call, pat, s) < 0)
		return KD_ERROR;
	cJSON *l = cJSON_CreateArray();
	l->type |= KD_SP_STRS;
	if (n != 0)
		rx_all(&r, n, add_match, l);
	rx_close(&r);
	*out = l; /* Go returns a nil []string for no match; it prints as [] all the same */
	return 0;
}

/* Regexp.Expand's $name / ${name} parsing: 0 and the name span, or -1 when malformed. */
static int extract_name(const char *t, size_t *name_off, size_t *name_len, size_t *used)
{
	size_t i = 0;
	bool brace = false;
	if (t[0] == '{') {
		brace = true;
		i = 1;
	}
	size_t start = i;
	while (t[i]) {
		uint32_t c;
		int k = kd_utf8_decode(t + i, strlen(t + i), &c);
		if (!(c == '_' || kd_tpl__sp_is_letter(c) || (c >= '0' && c <= '9')))
			break;
		i += (size_t)k;
	}
	if (i == start)
		return -1;
	*name_off = start;
	*name_len = i - start;
	if (brace) {
		if (t[i] != '}')
			return -1;
		i++;
	}
	*used = i;
	return 0;
}

static int group_by_name(pcre2_code *re, const char *name, size_t len)
{
	uint32_t count, esize;
	PCRE2_SPTR table;
	pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(re, PCRE2_INFO_NAMEENTRYSIZE, &esize);
	pcre2_pattern_info(re, PCRE2_INFO_NAMETABLE, &table);
	for (uint32_t i = 0; i < count; i++) {
		PCRE2_SPTR e = table + i * esize;
		const char *nm = (const char *)e + 2;
		if (strlen(nm) == len && memcmp(nm, name, len) == 0)
			return (e[0] << 8) | e[1];
	}
	return -1;
}

static void expand(kd_buf *b, rx *r, PCRE2_SIZE *ov, const char *t)
{
	uint32_t ngroups = pcre2_get_ovector_count(r->md);
	while (*t) {
		const char *d = strchr(t, '$');
		if (!d)
			break;
		kd_buf_put(b, t, (size_t)(d - t));
		t = d + 1;
		if (*t == '$') {
			kd_buf_putc(b, '$');
			t++;
			continue;
		}
		size_t no, nl, used;
		if (extract_name(t, &no, &nl, &used) < 0) {
			kd_buf_putc(b, '$');
			continue;
		}
		const char *name = t + no;
		t += used;
		int g = -1;
		bool numeric = true;
		int64_t num = 0;
		for (size_t i = 0; i < nl; i++) {
			if (name[i] < '0' || name[i] > '9') {
				numeric = false;
				break;
			}
			num = num * 10 + (name[i] - '0');
			if (num >= 100000000) {
				numeric = false;
				break;
			}
		}
		if (numeric)
			g = (int)num;
		else
			g = group_by_name(r->re, name, nl);
		if (g >= 0 && (uint32_t)g < ngroups && ov[2 * g] != PCRE2_UNSET)
			kd_buf_put(b, r->s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
	}
	kd_buf_puts(b, t);
}

static int replace_all(cJSON **out, kd_tpl__call *call, cJSON *const *args, bool literal)
{
	STR_ARG(pat, 0);
	STR_ARG(s, 1);
	STR_ARG(repl, 2);
	rx r;
	if (rx_open(&r, call, pat, s) < 0)
		return KD_ERROR;
	kd_buf b = KD_SP_BUF;
	kd_buf_puts(&b, "");
	size_t last = 0, pos = 0;
	while (pos <= r.len) {
		PCRE2_SIZE *ov;
		if (!rx_exec(&r, pos, &ov))
			break;
		size_t a0 = ov[0], a1 = ov[1];
		kd_buf_put(&b, s + last, a0 - last);
		if (a1 > last || a0 == 0) {
			if (literal)
				kd_buf_puts(&b, repl);
			else
				expand(&b, &r, ov, repl);
		}
		last = a1;
		size_t w = rune_width(s, r.len, pos);
		if (pos + w > a1)
			pos += w;
		else if (pos + 1 > a1)
			pos++;
		else
			pos = a1;
	}
	kd_buf_puts(&b, s + last);
	rx_close(&r);
	*out = kd_tpl__sp_take_buf(&b);
	return 0;
}

KD_SP_FN(regexReplaceAll)
{
	return replace_all(out, call, args, false);
}

KD_SP_FN(regexReplaceAllLiteral)
{
	return replace_all(out, call, args, true);
}

typedef struct {
	PCRE2_SIZE *spans;
	size_t n, cap;
} spans;

static void add_span(rx *r, PCRE2_SIZE *ov, void *ud)
{
	spans *sp = ud;
	if (sp->n == sp->cap) {
		sp->cap = sp->cap ? sp->cap * 2 : 16;
		sp->spans = kd_realloc(sp->spans, sp->cap * 2 * sizeof *sp->spans);
	}
	sp->spans[2 * sp->n] = ov[0];
	sp->spans[2 * sp->n + 1] = ov[1];
	sp->n++;
}

KD_SP_FN(regexSplit)
{
	STR_ARG(pat, 0);
	STR_ARG(s, 1);
	INT_ARG(n, 2);
	rx r;
	if (rx_open(&r, call, pat, s) < 0)
		return KD_ERROR;
	cJSON *l = cJSON_CreateArray();
	l->type |= KD_SP_STRS;
	if (n == 0)
		goto done;
	if (pat[0] && !s[0]) {
		cJSON_AddItemToArray(l, cJSON_CreateString(""));
		goto done;
	}
	spans sp = {NULL, 0, 0};
	rx_all(&r, n, add_span, &sp);
	size_t beg = 0, end = 0;
	int64_t got = 0;
	for (size_t i = 0; i < sp.n; i++) {
		if (n > 0 && got == n - 1)
			break;
		end = sp.spans[2 * i];
		if (sp.spans[2 * i + 1] != 0) {
			cJSON_AddItemToArray(l, kd_tpl__sp_new_strn(s + beg, end - beg));
			got++;
		}
		beg = sp.spans[2 * i + 1];
	}
	if (end != r.len)
		cJSON_AddItemToArray(l, cJSON_CreateString(s + beg));
	free(sp.spans);
done:
	rx_close(&r);
	*out = l;
	return 0;
}
