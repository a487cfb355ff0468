/* sprig's regex functions over Go's regexp semantics (tpl_regex.c: RE2 syntax, leftmost-first,
 * linear time): empty matches advance as Go's FindAll/ReplaceAll/Split advance, and replacement
 * templates expand $1, ${1}, $name, ${name} and $$ as Go's Regexp.Expand does. */
#include <stdlib.h>
#include <string.h>

#include "sprig_priv.h"
#include "tpl_int.h"
#include "tpl_regex.h"

typedef struct {
	kd_re *re;
	ssize_t *ov; /* 2 * (groups + 1) offsets of the last match */
	const char *s;
	size_t len;
} rx;

/* Go's quote() in regexp's panic message: backquoted when it can be, else strconv.Quote; long
 * patterns shortened so the reason after them stays readable. */
static void quote_pattern(kd_buf *b, const char *pat)
{
	size_t n = strlen(pat), cut = n > 200 ? 200 : n;
	while (cut < n && cut > 0 && ((unsigned char)pat[cut] & 0xC0) == 0x80)
		cut--;
	bool back = true;
	for (size_t i = 0; i < n && back;) {
		uint32_t c;
		int w = kd_utf8_decode(pat + i, n - i, &c);
		if ((w == 1 && c == 0xFFFD && (unsigned char)pat[i] >= 0x80) || c == '`' || c == 0xFEFF ||
			(c < ' ' && c != '\t') || c == 0x7F)
			back = false;
		i += (size_t)w;
	}
	if (back) {
		kd_buf_putc(b, '`');
		kd_buf_put(b, pat, cut);
		kd_buf_puts(b, cut < n ? "...`" : "`");
	} else {
		kd_tpl__quote(b, pat, cut, false);
		if (cut < n)
			kd_buf_puts(b, "...");
	}
}

/* Compiles `pat` like regexp.MustCompile, failing (with a call) like its panic. */
static int rx_open(rx *r, kd_tpl__call *call, const char *pat, const char *s)
{
	kd_buf err = KD_BUF_INIT;
	memset(r, 0, sizeof *r);
	if (kd_re_compile(&r->re, pat, &err)) {
		if (call) {
			kd_buf q = KD_BUF_INIT;
			quote_pattern(&q, pat);
			kd_tpl__fn_fail(call, "regexp: Compile(%s): %s", kd_buf_cstr(&q), kd_buf_cstr(&err));
			kd_buf_free(&q);
		}
		kd_buf_free(&err);
		return KD_ERROR;
	}
	kd_buf_free(&err);
	r->ov = kd_malloc(2 * ((size_t)kd_re_groups(r->re) + 1) * sizeof(*r->ov));
	r->s = s;
	r->len = strlen(s);
	return 0;
}

static void rx_close(rx *r)
{
	kd_re_free(r->re);
	free(r->ov);
}

/* Finds the leftmost match at or after pos; *ov points at its offsets (borrowed). */
static bool rx_exec(rx *r, size_t pos, ssize_t **ov)
{
	if (!kd_re_find(r->re, r->s, r->len, pos, r->ov))
		return false;
	*ov = r->ov;
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
typedef void (*match_cb)(rx *r, ssize_t *ov, void *ud);

static void rx_all(rx *r, int64_t n, match_cb cb, void *ud)
{
	size_t pos = 0;
	size_t prev_end = (size_t)-1;
	int64_t count = 0;
	while ((n < 0 || count < n) && pos <= r->len) {
		ssize_t *ov;
		if (!rx_exec(r, pos, &ov))
			break;
		bool accept = true;
		size_t a = (size_t)ov[0], b = (size_t)ov[1];
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
	bool m = false;
	if (rx_open(&r, NULL, pat, s) == 0) {
		m = kd_re_find(r.re, s, r.len, 0, NULL);
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
	ssize_t *ov;
	if (rx_open(&r, call, pat, s) < 0)
		return KD_ERROR;
	if (rx_exec(&r, 0, &ov))
		*out = kd_tpl__sp_new_strn(s + ov[0], (size_t)(ov[1] - ov[0]));
	else
		*out = cJSON_CreateString("");
	rx_close(&r);
	return 0;
}

static void add_match(rx *r, ssize_t *ov, void *ud)
{
	cJSON_AddItemToArray((cJSON *)ud, kd_tpl__sp_new_strn(r->s + ov[0], (size_t)(ov[1] - ov[0])));
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
	if (!l->child)
		l->type |= KD_SP_NIL; /* Go's FindAllString returns nil when nothing matched */
	*out = l;
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

static void expand(kd_buf *b, rx *r, ssize_t *ov, const char *t)
{
	int ngroups = kd_re_groups(r->re) + 1;
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
			g = kd_re_group_index(r->re, name, nl);
		if (g >= 0 && g < ngroups && ov[2 * g] >= 0)
			kd_buf_put(b, r->s + ov[2 * g], (size_t)(ov[2 * g + 1] - ov[2 * g]));
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
		ssize_t *ov;
		if (!rx_exec(&r, pos, &ov))
			break;
		size_t a0 = (size_t)ov[0], a1 = (size_t)ov[1];
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
	size_t *spans;
	size_t n, cap;
} spans;

static void add_span(rx *r, ssize_t *ov, void *ud)
{
	spans *sp = ud;
	if (sp->n == sp->cap) {
		sp->cap = sp->cap ? sp->cap * 2 : 16;
		sp->spans = kd_realloc(sp->spans, sp->cap * 2 * sizeof *sp->spans);
	}
	sp->spans[2 * sp->n] = (size_t)ov[0];
	sp->spans[2 * sp->n + 1] = (size_t)ov[1];
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
