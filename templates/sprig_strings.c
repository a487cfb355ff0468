/* sprig's string functions (strings.go plus the goutils/xstrings helpers it calls). Byte and
 * rune handling follows Go's: most goutils helpers walk bytes, strings.* walk runes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sprig_priv.h"

/* Argument helpers: each fetches args[i] with the Go parameter type the sprig signature has. */
static int ret_str(cJSON **out, const char *s)
{
	*out = cJSON_CreateString(s);
	return 0;
}

static int ret_buf(cJSON **out, kd_buf *b)
{
	*out = kd_tpl__sp_take_buf(b);
	return 0;
}

static int ret_bool(cJSON **out, bool v)
{
	*out = cJSON_CreateBool(v);
	return 0;
}

/* ---- trimming ------------------------------------------------------------------------ */

static bool in_cutset(uint32_t c, const char *cut)
{
	size_t n = strlen(cut);
	for (size_t i = 0; i < n;) {
		uint32_t d;
		i += (size_t)kd_utf8_decode(cut + i, n - i, &d);
		if (c == d)
			return true;
	}
	return false;
}

/* The rune that ends at s[end-1]: its start offset. */
static size_t rune_start_before(const char *s, size_t end)
{
	size_t i = end - 1;
	size_t lim = end >= 4 ? end - 4 : 0;
	while (i > lim && ((unsigned char)s[i] & 0xC0) == 0x80)
		i--;
	uint32_t c;
	if ((size_t)kd_utf8_decode(s + i, end - i, &c) != end - i)
		return end - 1;
	return i;
}

/* strings.Trim / TrimSpace: cut == NULL trims Unicode white space. */
static cJSON *trim_runes(const char *s, const char *cut)
{
	size_t n = strlen(s), a = 0, z = n;
	while (a < z) {
		uint32_t c;
		int k = kd_utf8_decode(s + a, z - a, &c);
		if (cut ? !in_cutset(c, cut) : !kd_tpl__sp_is_space(c))
			break;
		a += (size_t)k;
	}
	while (z > a) {
		size_t st = rune_start_before(s, z);
		uint32_t c;
		kd_utf8_decode(s + st, z - st, &c);
		if (cut ? !in_cutset(c, cut) : !kd_tpl__sp_is_space(c))
			break;
		z = st;
	}
	return kd_tpl__sp_new_strn(s + a, z - a);
}

KD_SP_FN(trim)
{
	STR_ARG(s, 0);
	*out = trim_runes(s, NULL);
	return 0;
}

KD_SP_FN(trimAll)
{
	STR_ARG(cut, 0);
	STR_ARG(s, 1);
	*out = cut[0] ? trim_runes(s, cut) : cJSON_CreateString(s);
	return 0;
}

KD_SP_FN(trimPrefix)
{
	STR_ARG(p, 0);
	STR_ARG(s, 1);
	size_t n = strlen(p);
	return ret_str(out, strncmp(s, p, n) == 0 ? s + n : s);
}

KD_SP_FN(trimSuffix)
{
	STR_ARG(p, 0);
	STR_ARG(s, 1);
	size_t n = strlen(p), m = strlen(s);
	if (n <= m && memcmp(s + m - n, p, n) == 0) {
		*out = kd_tpl__sp_new_strn(s, m - n);
		return 0;
	}
	return ret_str(out, s);
}

/* ---- case ------------------------------------------------------------------------------ */

static cJSON *map_runes(const char *s, uint32_t (*f)(uint32_t))
{
	kd_buf b = KD_SP_BUF;
	size_t n = strlen(s);
	kd_buf_puts(&b, "");
	for (size_t i = 0; i < n;) {
		uint32_t c;
		i += (size_t)kd_utf8_decode(s + i, n - i, &c);
		kd_buf_put_utf8(&b, f(c));
	}
	return kd_tpl__sp_take_buf(&b);
}

KD_SP_FN(upper)
{
	STR_ARG(s, 0);
	*out = map_runes(s, kd_tpl__sp_to_upper);
	return 0;
}

KD_SP_FN(lower)
{
	STR_ARG(s, 0);
	*out = map_runes(s, kd_tpl__sp_to_lower);
	return 0;
}

/* strings.Title's notion of a word boundary. */
static bool title_sep(uint32_t c)
{
	if (c < 0x80) {
		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
			return false;
		return true;
	}
	if (kd_tpl__sp_is_letter(c) || kd_tpl__sp_is_digit(c))
		return false;
	return kd_tpl__sp_is_space(c);
}

KD_SP_FN(title)
{
	STR_ARG(s, 0);
	kd_buf b = KD_SP_BUF;
	kd_buf_puts(&b, "");
	uint32_t prev = ' ';
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		uint32_t c;
		i += (size_t)kd_utf8_decode(s + i, n - i, &c);
		kd_buf_put_utf8(&b, title_sep(prev) ? kd_tpl__sp_to_title(c) : c);
		prev = c;
	}
	return ret_buf(out, &b);
}

KD_SP_FN(untitle)
{
	STR_ARG(s, 0);
	kd_buf b = KD_SP_BUF;
	kd_buf_puts(&b, "");
	bool next = true;
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		uint32_t c;
		i += (size_t)kd_utf8_decode(s + i, n - i, &c);
		if (kd_tpl__sp_is_space(c)) {
			next = true;
		} else if (next) {
			c = kd_tpl__sp_to_lower(c);
			next = false;
		}
		kd_buf_put_utf8(&b, c);
	}
	return ret_buf(out, &b);
}

KD_SP_FN(swapcase)
{
	STR_ARG(s, 0);
	kd_buf b = KD_SP_BUF;
	kd_buf_puts(&b, "");
	bool ws = true;
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		uint32_t c;
		i += (size_t)kd_utf8_decode(s + i, n - i, &c);
		if (kd_tpl__sp_is_upper(c)) {
			c = kd_tpl__sp_to_lower(c);
			ws = false;
		} else if (kd_tpl__sp_is_lower(c)) {
			c = ws ? kd_tpl__sp_to_title(c) : kd_tpl__sp_to_upper(c);
			ws = false;
		} else {
			ws = kd_tpl__sp_is_space(c);
		}
		kd_buf_put_utf8(&b, c);
	}
	return ret_buf(out, &b);
}

/* ---- pieces ------------------------------------------------------------------------------ */

KD_SP_FN(repeat)
{
	INT_ARG(count, 0);
	STR_ARG(s, 1);
	if (count < 0)
		return kd_tpl__fn_fail(call, "strings: negative Repeat count");
	size_t n = strlen(s);
	if (n == 0 || count == 0)
		return ret_str(out, ""); /* strings.Repeat returns at once, whatever the count */
	if ((uint64_t)count > KD_TPL_MAX_STRING / n)
		return kd_tpl__fn_fail(call, "repeat: a result of %lld x %zu bytes exceeds the limit of %zu MiB for one string",
			(long long)count, n, KD_TPL_MAX_STRING >> 20);
	kd_buf b = KD_SP_BUF;
	kd_buf_puts(&b, "");
	for (int64_t i = 0; i < count; i++)
		kd_buf_put(&b, s, n);
	return ret_buf(out, &b);
}

static int slice_err(kd_tpl__call *call, int64_t lo, bool has_lo, int64_t hi, size_t len,
	bool hi_vs_len)
{
	if (hi_vs_len)
		return kd_tpl__fn_fail(call, "runtime error: slice bounds out of range [:%lld] with length %zu",
			(long long)hi, len);
	if (!has_lo)
		return kd_tpl__fn_fail(call, "runtime error: slice bounds out of range [:%lld]", (long long)hi);
	return kd_tpl__fn_fail(call, "runtime error: slice bounds out of range [%lld:%lld]",
		(long long)lo, (long long)hi);
}

/* Go's s[lo:hi] with its panics. */
static int go_slice(cJSON **out, kd_tpl__call *call, const char *s, int64_t lo, int64_t hi)
{
	size_t n = strlen(s);
	if (hi < 0)
		return slice_err(call, 0, false, hi, n, false);
	if ((uint64_t)hi > n)
		return slice_err(call, 0, false, hi, n, true);
	if (lo < 0 || lo > hi)
		return slice_err(call, lo, true, hi, n, false);
	*out = kd_tpl__sp_new_strn(s + lo, (size_t)(hi - lo));
	return 0;
}

KD_SP_FN(substr)
{
	INT_ARG(start, 0);
	INT_ARG(end, 1);
	STR_ARG(s, 2);
	int64_t n = (int64_t)strlen(s);
	if (start < 0)
		return go_slice(out, call, s, 0, end);
	if (end < 0 || end > n)
		return go_slice(out, call, s, start, n);
	return go_slice(out, call, s, start, end);
}

KD_SP_FN(trunc)
{
	INT_ARG(c, 0);
	STR_ARG(s, 1);
	if ((int64_t)strlen(s) <= c)
		return ret_str(out, s);
	return go_slice(out, call, s, 0, c);
}

/* strings.Replace(s, old, new, -1), including the empty-old case (insert around runes). */
static void replace_all(kd_buf *b, const char *s, const char *old, const char *new)
{
	size_t lo = strlen(old), n = strlen(s);
	kd_buf_puts(b, "");
	if (lo == 0) {
		kd_buf_puts(b, new);
		for (size_t i = 0; i < n;) {
			uint32_t c;
			int k = kd_utf8_decode(s + i, n - i, &c);
			kd_buf_put(b, s + i, (size_t)k);
			kd_buf_puts(b, new);
			i += (size_t)k;
		}
		return;
	}
	const char *p = s, *q;
	while ((q = strstr(p, old))) {
		kd_buf_put(b, p, (size_t)(q - p));
		kd_buf_puts(b, new);
		p = q + lo;
	}
	kd_buf_puts(b, p);
}

KD_SP_FN(replace)
{
	STR_ARG(old, 0);
	STR_ARG(new, 1);
	STR_ARG(s, 2);
	kd_buf b = KD_SP_BUF;
	replace_all(&b, s, old, new);
	return ret_buf(out, &b);
}

KD_SP_FN(contains)
{
	STR_ARG(sub, 0);
	STR_ARG(s, 1);
	return ret_bool(out, strstr(s, sub) != NULL);
}

KD_SP_FN(hasPrefix)
{
	STR_ARG(p, 0);
	STR_ARG(s, 1);
	return ret_bool(out, strncmp(s, p, strlen(p)) == 0);
}

KD_SP_FN(hasSuffix)
{
	STR_ARG(p, 0);
	STR_ARG(s, 1);
	size_t n = strlen(p), m = strlen(s);
	return ret_bool(out, n <= m && memcmp(s + m - n, p, n) == 0);
}

/* ---- quoting and joining ------------------------------------------------------------------ */

static bool go_printable(uint32_t c)
{
	if (c < 0x20 || c == 0x7F)
		return false;
	if (c >= 0x80 && c <= 0x9F)
		return false;
	if (c == 0xAD || c == 0x2028 || c == 0x2029 || c == 0xFEFF || (c >= 0x200B && c <= 0x200F) ||
		(c >= 0x202A && c <= 0x202E) || (c >= 0x2060 && c <= 0x206F) || (c >= 0xE000 && c <= 0xF8FF) ||
		c == 0xFFFD + 1 || c == 0xFFFE || c == 0xFFFF)
		return false;
	return true;
}

/* strconv.Quote */
static void go_quote(kd_buf *b, const char *s)
{
	size_t n = strlen(s);
	kd_buf_putc(b, '"');
	for (size_t i = 0; i < n;) {
		uint32_t c;
		int k = kd_utf8_decode(s + i, n - i, &c);
		if (c == 0xFFFD && k == 1 && (unsigned char)s[i] >= 0x80) {
			kd_buf_printf(b, "\\x%02x", (unsigned char)s[i]);
		} else if (c == '"' || c == '\\') {
			kd_buf_putc(b, '\\');
			kd_buf_putc(b, (char)c);
		} else if (go_printable(c)) {
			kd_buf_put(b, s + i, (size_t)k);
		} else {
			switch (c) {
			case '\a': kd_buf_puts(b, "\\a"); break;
			case '\b': kd_buf_puts(b, "\\b"); break;
			case '\f': kd_buf_puts(b, "\\f"); break;
			case '\n': kd_buf_puts(b, "\\n"); break;
			case '\r': kd_buf_puts(b, "\\r"); break;
			case '\t': kd_buf_puts(b, "\\t"); break;
			case '\v': kd_buf_puts(b, "\\v"); break;
			default:
				if (c < 0x20 || c == 0x7F)
					kd_buf_printf(b, "\\x%02x", (unsigned)c);
				else if (c < 0x10000)
					kd_buf_printf(b, "\\u%04x", (unsigned)c);
				else
					kd_buf_printf(b, "\\U%08x", (unsigned)c);
			}
		}
		i += (size_t)k;
	}
	kd_buf_putc(b, '"');
}

KD_SP_FN(quote)
{
	kd_buf b = KD_SP_BUF, v = KD_SP_BUF;
	kd_buf_puts(&b, "");
	bool first = true;
	for (int i = 0; i < nargs; i++) {
		if (cJSON_IsNull(args[i]))
			continue;
		kd_buf_clear(&v);
		kd_buf_puts(&v, "");
		kd_tpl__sp_strval(&v, args[i]);
		if (!kd_tpl__sp_buf_ok(&v))
			break;
		if (!first)
			kd_buf_putc(&b, ' ');
		first = false;
		go_quote(&b, kd_buf_cstr(&v));
	}
	kd_buf_free(&v);
	return ret_buf(out, &b);
}

/* squote and cat: the non-nil arguments printed with %v, joined by `sep`, each wrapped in q. */
static int join_values(cJSON **out, cJSON *const *args, int nargs, const char *q)
{
	kd_buf b = KD_SP_BUF;
	kd_buf_puts(&b, "");
	bool first = true;
	for (int i = 0; i < nargs; i++) {
		if (cJSON_IsNull(args[i]))
			continue;
		if (!first)
			kd_buf_putc(&b, ' ');
		first = false;
		kd_buf_puts(&b, q);
		kd_tpl__sp_strval(&b, args[i]);
		kd_buf_puts(&b, q);
	}
	return ret_buf(out, &b);
}

KD_SP_FN(squote)
{
	return join_values(out, args, nargs, "'");
}

KD_SP_FN(cat)
{
	return join_values(out, args, nargs, "");
}

static int do_indent(cJSON **out, kd_tpl__call *call, cJSON *const *args, bool lead_nl)
{
	INT_ARG(spaces, 0);
	STR_ARG(s, 1);
	if (spaces < 0)
		return kd_tpl__fn_fail(call, "strings: negative Repeat count");
	if (spaces > (1 << 20))
		return kd_tpl__fn_fail(call, "indent: %lld spaces is too many", (long long)spaces);
	kd_buf pad = KD_SP_BUF, nlpad = KD_SP_BUF, b = KD_SP_BUF;
	kd_buf_puts(&pad, "");
	for (int64_t i = 0; i < spaces; i++)
		kd_buf_putc(&pad, ' ');
	kd_buf_putc(&nlpad, '\n');
	kd_buf_puts(&nlpad, kd_buf_cstr(&pad));
	kd_buf_puts(&b, lead_nl ? "\n" : "");
	kd_buf_puts(&b, kd_buf_cstr(&pad));
	kd_buf tmp = KD_SP_BUF;
	replace_all(&tmp, s, "\n", kd_buf_cstr(&nlpad));
	if (kd_tpl__sp_buf_ok(&tmp))
		kd_buf_puts(&b, kd_buf_cstr(&tmp));
	kd_buf_free(&tmp);
	kd_buf_free(&pad);
	kd_buf_free(&nlpad);
	return ret_buf(out, &b);
}

KD_SP_FN(indent)
{
	return do_indent(out, call, args, false);
}

KD_SP_FN(nindent)
{
	return do_indent(out, call, args, true);
}

/* strings.SplitN(s, sep, n) into a new []string array. */
static cJSON *go_split(const char *s, const char *sep, int64_t n)
{
	cJSON *a = cJSON_CreateArray();
	a->type |= KD_SP_STRS;
	if (n == 0)
		return a;
	size_t ls = strlen(sep), len = strlen(s);
	if (ls == 0) {
		int64_t count = 0;
		for (size_t i = 0; i < len;) {
			uint32_t c;
			size_t k = (size_t)kd_utf8_decode(s + i, len - i, &c);
			if (n > 0 && count == n - 1)
				k = len - i;
			if ((count & 1023) == 0 && kd_tpl__budget_spent(NULL)) {
				kd_tpl__fail_later("the list takes more memory than the template may use");
				return a;
			}
			cJSON_AddItemToArray(a, kd_tpl__sp_new_strn(s + i, k));
			count++;
			i += k;
		}
		return a;
	}
	const char *p = s, *q;
	int64_t count = 0;
	while ((n < 0 || count < n - 1) && (q = strstr(p, sep))) {
		if ((count & 1023) == 0 && kd_tpl__budget_spent(NULL)) {
			kd_tpl__fail_later("the list takes more memory than the template may use");
			return a;
		}
		cJSON_AddItemToArray(a, kd_tpl__sp_new_strn(p, (size_t)(q - p)));
		count++;
		p = q + ls;
	}
	cJSON_AddItemToArray(a, cJSON_CreateString(p));
	return a;
}

KD_SP_FN(splitList)
{
	STR_ARG(sep, 0);
	STR_ARG(s, 1);
	*out = go_split(s, sep, -1);
	return 0;
}

static cJSON *to_index_map(cJSON *list)
{
	cJSON *m = cJSON_CreateObject();
	m->type |= KD_SP_STRS;
	int i = 0;
	for (cJSON *e = list->child; e; e = e->next, i++) {
		char key[32];
		snprintf(key, sizeof key, "_%d", i);
		cJSON_AddItemToObject(m, key, cJSON_CreateString(e->valuestring));
	}
	kd_json_delete(list);
	return m;
}

KD_SP_FN(split)
{
	STR_ARG(sep, 0);
	STR_ARG(s, 1);
	*out = to_index_map(go_split(s, sep, -1));
	return 0;
}

KD_SP_FN(splitn)
{
	STR_ARG(sep, 0);
	INT_ARG(n, 1);
	STR_ARG(s, 2);
	*out = to_index_map(go_split(s, sep, n));
	return 0;
}

/* sprig's strslice: a list's non-nil items as strings; nil -> []; a scalar -> [it]. */
static cJSON *strslice(const cJSON *v)
{
	cJSON *a = cJSON_CreateArray();
	a->type |= KD_SP_STRS;
	if (cJSON_IsArray(v)) {
		for (const cJSON *e = v->child; e; e = e->next) {
			if (cJSON_IsNull(e))
				continue;
			kd_buf b = KD_SP_BUF;
			kd_buf_puts(&b, "");
			kd_tpl__sp_strval(&b, e);
			cJSON_AddItemToArray(a, kd_tpl__sp_take_buf(&b));
		}
	} else if (!cJSON_IsNull(v)) {
		kd_buf b = KD_SP_BUF;
		kd_buf_puts(&b, "");
		kd_tpl__sp_strval(&b, v);
		cJSON_AddItemToArray(a, kd_tpl__sp_take_buf(&b));
	}
	return a;
}

KD_SP_FN(toStrings)
{
	*out = strslice(args[0]);
	return 0;
}

KD_SP_FN(toString)
{
	kd_buf b = KD_SP_BUF;
	kd_buf_puts(&b, "");
	kd_tpl__sp_strval(&b, args[0]);
	return ret_buf(out, &b);
}

KD_SP_FN(join)
{
	STR_ARG(sep, 0);
	cJSON *a = strslice(args[1]);
	kd_buf b = KD_SP_BUF;
	kd_buf_puts(&b, "");
	for (cJSON *e = a->child; e; e = e->next) {
		if (e != a->child)
			kd_buf_puts(&b, sep);
		kd_buf_puts(&b, e->valuestring);
	}
	kd_json_delete(a);
	return ret_buf(out, &b);
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

KD_SP_FN(sortAlpha)
{
	const cJSON *v = args[0];
	if (!cJSON_IsArray(v)) {
		cJSON *a = cJSON_CreateArray();
		a->type |= KD_SP_STRS;
		kd_buf b = KD_SP_BUF;
		kd_buf_puts(&b, "");
		kd_tpl__sp_strval(&b, v);
		cJSON_AddItemToArray(a, kd_tpl__sp_take_buf(&b));
		*out = a;
		return 0;
	}
	cJSON *a = strslice(v);
	int n = cJSON_GetArraySize(a);
	const char **ss = kd_calloc((size_t)n + 1, sizeof *ss);
	int i = 0;
	for (cJSON *e = a->child; e; e = e->next)
		ss[i++] = e->valuestring;
	qsort(ss, (size_t)n, sizeof *ss, cmp_str);
	cJSON *r = cJSON_CreateArray();
	r->type |= KD_SP_STRS;
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(r, cJSON_CreateString(ss[i]));
	free(ss);
	kd_json_delete(a);
	*out = r;
	return 0;
}

/* ---- goutils ------------------------------------------------------------------------------ */

static cJSON *abbreviate(const char *s, int64_t offset, int64_t width, bool *err)
{
	int64_t n = (int64_t)strlen(s);
	*err = false;
	if (n == 0)
		return cJSON_CreateString("");
	if (width < 4) {
		*err = true;
		return NULL;
	}
	if (n <= width)
		return cJSON_CreateString(s);
	if (offset > n)
		offset = n;
	if (n - offset < width - 3)
		offset = n - (width - 3);
	if (offset <= 4) {
		kd_buf b = KD_SP_BUF;
		kd_buf_put(&b, s, (size_t)(width - 3));
		kd_buf_puts(&b, "...");
		return kd_tpl__sp_take_buf(&b);
	}
	if (width < 7) {
		*err = true;
		return NULL;
	}
	kd_buf b = KD_SP_BUF;
	kd_buf_puts(&b, "...");
	if (offset + width - 3 < n) {
		bool e2;
		cJSON *r = abbreviate(s + offset, 0, width - 3, &e2);
		if (r) {
			kd_buf_puts(&b, r->valuestring);
			kd_json_delete(r);
		}
	} else {
		kd_buf_puts(&b, s + (n - (width - 3)));
	}
	return kd_tpl__sp_take_buf(&b);
}

KD_SP_FN(abbrev)
{
	INT_ARG(width, 0);
	STR_ARG(s, 1);
	if (width < 4)
		return ret_str(out, s);
	bool err;
	cJSON *r = abbreviate(s, 0, width, &err);
	*out = r ? r : cJSON_CreateString("");
	return 0;
}

KD_SP_FN(abbrevboth)
{
	INT_ARG(left, 0);
	INT_ARG(right, 1);
	STR_ARG(s, 2);
	if (right < 4 || (left > 0 && right < 7))
		return ret_str(out, s);
	bool err;
	cJSON *r = abbreviate(s, left, right, &err);
	*out = r ? r : cJSON_CreateString("");
	return 0;
}

/* goutils treats each byte as a rune (rune(str[i])); bytes >= 0x80 are re-encoded. */
static bool byte_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || c == 0x85 || c == 0xA0;
}

static void put_byte_rune(kd_buf *b, unsigned char c)
{
	kd_buf_put_utf8(b, c);
}

KD_SP_FN(initials)
{
	STR_ARG(s, 0);
	kd_buf b = KD_SP_BUF;
	kd_buf_puts(&b, "");
	bool gap = true;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (byte_space(*p)) {
			gap = true;
		} else if (gap) {
			put_byte_rune(&b, *p);
			gap = false;
		}
	}
	return ret_buf(out, &b);
}

KD_SP_FN(nospace)
{
	STR_ARG(s, 0);
	bool any = false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		any |= byte_space(*p);
	if (!any)
		return ret_str(out, s);
	kd_buf b = KD_SP_BUF;
	kd_buf_puts(&b, "");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (!byte_space(*p))
			put_byte_rune(&b, *p);
	return ret_buf(out, &b);
}

static cJSON *wrap_custom(const char *s, int64_t width, const char *nl, bool long_words)
{
	size_t n = strlen(s);
	if (n == 0)
		return cJSON_CreateString("");
	if (!nl[0])
		nl = "\n";
	if (width < 1)
		width = 1;
	size_t w = (size_t)width, off = 0;
	kd_buf b = KD_SP_BUF;
	kd_buf_puts(&b, "");
	while (n - off > w) {
		if (s[off] == ' ') {
			off++;
			continue;
		}
		/* last space within s[off : off+w+1] */
		size_t end = off + w + 1, at = (size_t)-1;
		for (size_t i = off; i < end && i < n; i++)
			if (s[i] == ' ')
				at = i;
		if (at != (size_t)-1) {
			kd_buf_put(&b, s + off, at - off);
			kd_buf_puts(&b, nl);
			off = at + 1;
		} else if (long_words) {
			kd_buf_put(&b, s + off, w);
			kd_buf_puts(&b, nl);
			off += w;
		} else {
			const char *sp = strchr(s + off + w, ' ');
			if (!sp) {
				kd_buf_puts(&b, s + off);
				off = n;
			} else {
				kd_buf_put(&b, s + off, (size_t)(sp - (s + off)));
				kd_buf_puts(&b, nl);
				off = (size_t)(sp - s) + 1;
			}
		}
	}
	kd_buf_puts(&b, s + off);
	return kd_tpl__sp_take_buf(&b);
}

KD_SP_FN(wrap)
{
	INT_ARG(w, 0);
	STR_ARG(s, 1);
	*out = wrap_custom(s, w, "", false);
	return 0;
}

KD_SP_FN(wrapWith)
{
	INT_ARG(w, 0);
	STR_ARG(sep, 1);
	STR_ARG(s, 2);
	*out = wrap_custom(s, w, sep, true);
	return 0;
}

KD_SP_FN(plural)
{
	STR_ARG(one, 0);
	STR_ARG(many, 1);
	INT_ARG(count, 2);
	return ret_str(out, count == 1 ? one : many);
}

/* ---- xstrings ----------------------------------------------------------------------------- */

static bool is_connector(uint32_t c)
{
	return c == '-' || c == '_' || kd_tpl__sp_is_space(c);
}

static bool is_alphabet(uint32_t c)
{
	if (!kd_tpl__sp_is_letter(c))
		return false;
	if (c < 0x2E80)
		return true;
	return !(c >= 0x4E00 && c <= 0x9FCC) && !(c >= 0x3400 && c <= 0x4DB5) &&
		!(c >= 0x20000 && c <= 0x2A6D6);
}

KD_SP_FN(camelcase)
{
	STR_ARG(s, 0);
	kd_buf b = KD_SP_BUF;
	kd_buf_puts(&b, "");
	size_t n = strlen(s), i = 0;
	uint32_t r0 = 0, r1;
	int sz = 0;
	while (i < n) {
		sz = kd_utf8_decode(s + i, n - i, &r0);
		i += (size_t)sz;
		if (!is_connector(r0)) {
			r0 = kd_tpl__sp_to_upper(r0);
			break;
		}
		kd_buf_put_utf8(&b, r0);
	}
	if (i >= n) {
		if (sz != 0) /* as xstrings: an all-connector input repeats its last rune */
			kd_buf_put_utf8(&b, r0);
		return ret_buf(out, &b);
	}
	while (i < n) {
		r1 = r0;
		sz = kd_utf8_decode(s + i, n - i, &r0);
		i += (size_t)sz;
		if (is_connector(r0) && is_connector(r1)) {
			kd_buf_put_utf8(&b, r1);
			continue;
		}
		if (is_connector(r1)) {
			r0 = kd_tpl__sp_to_upper(r0);
		} else {
			r0 = kd_tpl__sp_to_lower(r0);
			kd_buf_put_utf8(&b, r1);
		}
	}
	kd_buf_put_utf8(&b, r0);
	return ret_buf(out, &b);
}

enum { W_INVALID, W_NUMBER, W_UPPER, W_ALPHA, W_CONNECTOR, W_PUNCT, W_OTHER };

typedef struct {
	const char *s;
	size_t n;
} span;

/* Decodes the rune at s (n bytes left), skipping invalid bytes; *size counts all bytes used.
 * When no valid rune remains, returns `prev`. */
static uint32_t next_valid(const char *s, size_t n, uint32_t prev, size_t *size)
{
	*size = 0;
	while (n > 0) {
		uint32_t c;
		int k = kd_utf8_decode(s, n, &c);
		*size += (size_t)k;
		if (!(c == 0xFFFD && k == 1 && (unsigned char)s[0] >= 0x80) && c != 0xFFFD)
			return c;
		s += k;
		n -= (size_t)k;
	}
	return prev;
}

/* Splits the next word off `rem`: its type, the word and what remains. */
static int next_word(span *rem, span *word)
{
	const char *str = rem->s;
	size_t len = rem->n;
	word->s = str;
	word->n = 0;
	if (len == 0)
		return W_INVALID;
	size_t off = 0, size;
	const char *r_s = str;
	size_t r_n = len;
	uint32_t r = next_valid(r_s, r_n, 0xFFFD, &size);
	off += size;
	int wt;
#define ADV() (r_s += size, r_n -= size)
	if (r == 0xFFFD) {
		word->n = off;
		rem->s = str + off;
		rem->n = len - off;
		return W_INVALID;
	}
	if (is_connector(r)) {
		wt = W_CONNECTOR;
		ADV();
		while (r_n > 0) {
			r = next_valid(r_s, r_n, r, &size);
			if (!is_connector(r))
				break;
			off += size;
			ADV();
		}
	} else if (kd_tpl__sp_is_punct(r)) {
		wt = W_PUNCT;
		ADV();
		while (r_n > 0) {
			r = next_valid(r_s, r_n, r, &size);
			if (!kd_tpl__sp_is_punct(r))
				break;
			off += size;
			ADV();
		}
	} else if (kd_tpl__sp_is_upper(r)) {
		wt = W_UPPER;
		ADV();
		if (r_n > 0) {
			r = next_valid(r_s, r_n, r, &size);
			if (kd_tpl__sp_is_upper(r)) {
				size_t prev = size;
				off += size;
				ADV();
				while (r_n > 0) {
					r = next_valid(r_s, r_n, r, &size);
					if (!kd_tpl__sp_is_upper(r))
						break;
					prev = size;
					off += size;
					ADV();
				}
				if (r_n > 0 && is_alphabet(r)) {
					off -= prev;
					r_s = str + off;
					r_n = len - off;
				}
			} else if (is_alphabet(r)) {
				off += size;
				ADV();
				while (r_n > 0) {
					r = next_valid(r_s, r_n, r, &size);
					if (!is_alphabet(r) || kd_tpl__sp_is_upper(r))
						break;
					off += size;
					ADV();
				}
			}
		}
	} else if (is_alphabet(r)) {
		wt = W_ALPHA;
		ADV();
		while (r_n > 0) {
			r = next_valid(r_s, r_n, r, &size);
			if (!is_alphabet(r) || kd_tpl__sp_is_upper(r))
				break;
			off += size;
			ADV();
		}
	} else if (kd_tpl__sp_is_digit(r)) {
		wt = W_NUMBER;
		ADV();
		while (r_n > 0) {
			r = next_valid(r_s, r_n, r, &size);
			if (!kd_tpl__sp_is_digit(r))
				break;
			off += size;
			ADV();
		}
	} else {
		wt = W_OTHER;
		ADV();
		while (r_n > 0) {
			r = next_valid(r_s, r_n, r, &size);
			if (size == 0 || is_connector(r) || is_alphabet(r) || kd_tpl__sp_is_digit(r) ||
				kd_tpl__sp_is_punct(r))
				break;
			off += size;
			ADV();
		}
	}
#undef ADV
	word->n = off;
	rem->s = r_s;
	rem->n = r_n;
	return wt;
}

static void lower_word(kd_buf *b, int wt, span w, char conn)
{
	if (wt != W_UPPER && wt != W_CONNECTOR) {
		kd_buf_put(b, w.s, w.n);
		return;
	}
	for (size_t i = 0; i < w.n;) {
		uint32_t c;
		i += (size_t)kd_utf8_decode(w.s + i, w.n - i, &c);
		if (is_connector(c))
			kd_buf_putc(b, conn);
		else if (kd_tpl__sp_is_upper(c))
			kd_buf_put_utf8(b, kd_tpl__sp_to_lower(c));
		else
			kd_buf_put_utf8(b, c);
	}
}

static cJSON *to_lower_case(const char *s, char conn)
{
	kd_buf b = KD_SP_BUF;
	kd_buf_puts(&b, "");
	span rem = {s, strlen(s)}, word;
	if (rem.n == 0)
		return kd_tpl__sp_take_buf(&b);
	int wt = next_word(&rem, &word);
	while (rem.n > 0) {
		if (wt != W_CONNECTOR)
			lower_word(&b, wt, word, conn);
		int prev = wt;
		span last = word;
		wt = next_word(&rem, &word);
		switch (prev) {
		case W_NUMBER:
			while (wt == W_ALPHA || wt == W_NUMBER) {
				lower_word(&b, wt, word, conn);
				wt = next_word(&rem, &word);
			}
			if (wt != W_INVALID && wt != W_PUNCT)
				kd_buf_putc(&b, conn);
			break;
		case W_CONNECTOR:
			lower_word(&b, prev, last, conn);
			break;
		case W_PUNCT:
			break;
		default:
			if (wt != W_NUMBER) {
				if (wt != W_CONNECTOR && wt != W_PUNCT)
					kd_buf_putc(&b, conn);
				break;
			}
			if (rem.n == 0)
				break;
			last = word;
			wt = next_word(&rem, &word);
			if (wt != W_ALPHA) {
				lower_word(&b, W_NUMBER, last, conn);
				if (wt != W_CONNECTOR && wt != W_PUNCT)
					kd_buf_putc(&b, conn);
				break;
			}
			kd_buf_putc(&b, conn);
			lower_word(&b, W_NUMBER, last, conn);
			while (wt == W_ALPHA || wt == W_NUMBER) {
				lower_word(&b, wt, word, conn);
				wt = next_word(&rem, &word);
			}
			if (wt != W_INVALID && wt != W_CONNECTOR && wt != W_PUNCT)
				kd_buf_putc(&b, conn);
		}
	}
	lower_word(&b, wt, word, conn);
	return kd_tpl__sp_take_buf(&b);
}

KD_SP_FN(snakecase)
{
	STR_ARG(s, 0);
	*out = to_lower_case(s, '_');
	return 0;
}

KD_SP_FN(kebabcase)
{
	STR_ARG(s, 0);
	*out = to_lower_case(s, '-');
	return 0;
}

/* ---- random ------------------------------------------------------------------------------- */

static uint32_t rand_below(uint32_t n)
{
	uint32_t lim = UINT32_MAX - UINT32_MAX % n, r;
	do
		kd_tpl__sp_random(&r, sizeof r);
	while (r >= lim);
	return r % n;
}

KD_SP_FN(shuffle)
{
	STR_ARG(s, 0);
	size_t n = strlen(s), cnt = 0;
	uint32_t *rs = kd_calloc(n + 1, sizeof *rs);
	for (size_t i = 0; i < n;)
		i += (size_t)kd_utf8_decode(s + i, n - i, &rs[cnt++]);
	for (size_t i = cnt; i > 1; i--) {
		size_t j = rand_below((uint32_t)i);
		uint32_t t = rs[i - 1];
		rs[i - 1] = rs[j];
		rs[j] = t;
	}
	kd_buf b = KD_SP_BUF;
	kd_buf_puts(&b, "");
	for (size_t i = 0; i < cnt; i++)
		kd_buf_put_utf8(&b, rs[i]);
	free(rs);
	return ret_buf(out, &b);
}

static int rand_from(cJSON **out, kd_tpl__call *call, cJSON *const *args, const char *set)
{
	INT_ARG(count, 0);
	if (count <= 0)
		return ret_str(out, "");
	if (count > (1 << 20))
		return kd_tpl__fn_fail(call, "random string of %lld characters is too long", (long long)count);
	uint32_t n = (uint32_t)strlen(set);
	kd_buf b = KD_SP_BUF;
	for (int64_t i = 0; i < count; i++)
		kd_buf_putc(&b, set[rand_below(n)]);
	return ret_buf(out, &b);
}

#define ALPHA "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define DIGITS "0123456789"

KD_SP_FN(randAlphaNum)
{
	return rand_from(out, call, args, ALPHA DIGITS);
}

KD_SP_FN(randAlpha)
{
	return rand_from(out, call, args, ALPHA);
}

KD_SP_FN(randNumeric)
{
	return rand_from(out, call, args, DIGITS);
}

KD_SP_FN(randAscii)
{
	char set[96];
	for (int i = 0; i < 95; i++)
		set[i] = (char)(32 + i);
	set[95] = '\0';
	return rand_from(out, call, args, set);
}

KD_SP_FN(hello)
{
	return ret_str(out, "Hello!");
}
