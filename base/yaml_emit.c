/* kd_yaml_emit: cJSON -> YAML text exactly as gopkg.in/yaml.v2 v2.3.0's Marshal prints it
 * (the version KUDO 0.19 builds with; its line width is unlimited, so nothing is folded).
 *
 * yaml.v2 decides a string's style in two steps: the encoder asks for a literal block when the
 * string has a "\n", for plain style when the string would read back as a string, else for
 * double quotes; the emitter then downgrades plain to single quotes and single quotes or a
 * literal block to double quotes when the characters do not allow them. Both steps are
 * reproduced here (scalar_style). Map keys are sorted with yaml.v2's "natural" order, which
 * compares runs of digits as numbers. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "strconv.h"
#include "yaml.h"

enum { ST_PLAIN, ST_SINGLE, ST_DOUBLE, ST_LITERAL };

/* ---- what a plain scalar would resolve to (base/strconv.c: yaml.v2's resolve) ------------ */

static bool resolves_to_string(const char *s)
{
	return kd_yaml11_resolve(s, NULL) == KD_Y11_STR;
}

/* ---- the emitter's analysis (emitterc.go analyze_scalar) ---------------------------------- */

static bool printable(const unsigned char *b, size_t i, size_t n)
{
	unsigned char c = b[i], d = i + 1 < n ? b[i + 1] : 0, e = i + 2 < n ? b[i + 2] : 0;
	return c == 0x0A || (c >= 0x20 && c <= 0x7E) || (c == 0xC2 && d >= 0xA0) || (c > 0xC2 && c < 0xED) ||
		(c == 0xED && d < 0xA0) || c == 0xEE ||
		(c == 0xEF && !(d == 0xBB && e == 0xBF) && !(d == 0xBF && (e == 0xBE || e == 0xBF)));
}

static bool is_brk(const unsigned char *b, size_t i, size_t n)
{
	unsigned char c = b[i], d = i + 1 < n ? b[i + 1] : 0, e = i + 2 < n ? b[i + 2] : 0;
	return c == '\r' || c == '\n' || (c == 0xC2 && d == 0x85) ||
		(c == 0xE2 && d == 0x80 && (e == 0xA8 || e == 0xA9));
}

static bool is_blankz(const unsigned char *b, size_t i, size_t n)
{
	return i >= n || b[i] == ' ' || b[i] == '\t' || b[i] == 0 || is_brk(b, i, n);
}

typedef struct {
	bool multiline, block_plain, single, block;
} analysis;

static analysis analyze(const char *s)
{
	const unsigned char *v = (const unsigned char *)s;
	size_t n = strlen(s);
	analysis a = {false, true, true, false};
	if (n == 0)
		return a;
	bool block_ind = false, line_breaks = false, special = false, lead_space = false,
		 lead_break = false, trail_space = false, trail_break = false, break_space = false,
		 space_break = false, prev_space = false, prev_break = false, preceded_ws = true;
	if (n >= 3 && ((v[0] == '-' && v[1] == '-' && v[2] == '-') || (v[0] == '.' && v[1] == '.' && v[2] == '.')))
		block_ind = true;
	/* only valid UTF-8 gets here (write_string emits the rest as !!binary) */
	for (size_t i = 0, w; i < n; i += w) {
		uint32_t c;
		w = (size_t)kd_utf8_decode(s + i, n - i, &c);
		bool followed_ws = i + w >= n || v[i + w] == ' ' || v[i + w] == '\t';
		if (i == 0) {
			switch (v[i]) {
			case '#': case ',': case '[': case ']': case '{': case '}': case '&': case '*': case '!':
			case '|': case '>': case '\'': case '"': case '%': case '@': case '`':
				block_ind = true;
				break;
			case '?': case ':': case '-':
				if (followed_ws)
					block_ind = true;
				break;
			}
		} else {
			if (v[i] == ':' && followed_ws)
				block_ind = true;
			if (v[i] == '#' && preceded_ws)
				block_ind = true;
		}
		if (!printable(v, i, n))
			special = true;
		if (v[i] == ' ') {
			if (i == 0)
				lead_space = true;
			if (i + w == n)
				trail_space = true;
			if (prev_break)
				break_space = true;
			prev_space = true;
			prev_break = false;
		} else if (is_brk(v, i, n)) {
			line_breaks = true;
			if (i == 0)
				lead_break = true;
			if (i + w == n)
				trail_break = true;
			if (prev_space)
				space_break = true;
			prev_space = false;
			prev_break = true;
		} else {
			prev_space = prev_break = false;
		}
		preceded_ws = is_blankz(v, i, n);
	}
	a.multiline = line_breaks;
	a.block_plain = a.single = a.block = true;
	if (lead_space || lead_break || trail_space || trail_break)
		a.block_plain = false;
	if (trail_space)
		a.block = false;
	if (break_space)
		a.block_plain = a.single = false;
	if (space_break || special)
		a.block_plain = a.single = a.block = false;
	if (line_breaks || block_ind)
		a.block_plain = false;
	return a;
}

static int scalar_style(const char *s, bool key)
{
	analysis a = analyze(s);
	int style;
	if (strchr(s, '\n'))
		style = ST_LITERAL;
	else if (resolves_to_string(s) && !kd_yaml11_is_base60_float(s))
		style = ST_PLAIN;
	else
		style = ST_DOUBLE;
	if (key && a.multiline)
		style = ST_DOUBLE;
	if (style == ST_PLAIN) {
		if (!a.block_plain)
			style = ST_SINGLE;
		if (!s[0] && key)
			style = ST_SINGLE;
	}
	if (style == ST_SINGLE && !a.single)
		style = ST_DOUBLE;
	if (style == ST_LITERAL && (!a.block || key))
		style = ST_DOUBLE;
	return style;
}

/* ---- writers ----------------------------------------------------------------------------- */

static void spaces(kd_buf *b, int n)
{
	static const char sp[] = "                                                                ";
	for (; n > 0 && !b->err; n -= 64)
		kd_buf_put(b, sp, n < 64 ? (size_t)n : 64);
}

static void write_double(kd_buf *b, const char *s)
{
	const unsigned char *v = (const unsigned char *)s;
	size_t n = strlen(s);
	kd_buf_putc(b, '"');
	for (size_t i = 0; i < n;) {
		uint32_t c;
		int w = kd_utf8_decode(s + i, n - i, &c);
		/* yaml.v2's is_bom looks at the first three bytes whatever i is: a string that starts
		 * with a BOM has every character escaped. */
		bool bom = n >= 3 && v[0] == 0xEF && v[1] == 0xBB && v[2] == 0xBF;
		if (!printable(v, i, n) || bom || is_brk(v, i, n) || v[i] == '"' || v[i] == '\\') {
			switch (c) {
			case 0x00: kd_buf_puts(b, "\\0"); break;
			case 0x07: kd_buf_puts(b, "\\a"); break;
			case 0x08: kd_buf_puts(b, "\\b"); break;
			case 0x09: kd_buf_puts(b, "\\t"); break;
			case 0x0A: kd_buf_puts(b, "\\n"); break;
			case 0x0B: kd_buf_puts(b, "\\v"); break;
			case 0x0C: kd_buf_puts(b, "\\f"); break;
			case 0x0D: kd_buf_puts(b, "\\r"); break;
			case 0x1B: kd_buf_puts(b, "\\e"); break;
			case 0x22: kd_buf_puts(b, "\\\""); break;
			case 0x5C: kd_buf_puts(b, "\\\\"); break;
			case 0x85: kd_buf_puts(b, "\\N"); break;
			case 0xA0: kd_buf_puts(b, "\\_"); break;
			case 0x2028: kd_buf_puts(b, "\\L"); break;
			case 0x2029: kd_buf_puts(b, "\\P"); break;
			default:
				if (c <= 0xFF)
					kd_buf_printf(b, "\\x%02X", (unsigned)c);
				else if (c <= 0xFFFF)
					kd_buf_printf(b, "\\u%04X", (unsigned)c);
				else
					kd_buf_printf(b, "\\U%08X", (unsigned)c);
			}
		} else {
			kd_buf_put(b, v + i, (size_t)w);
		}
		i += (size_t)w;
	}
	kd_buf_putc(b, '"');
}

static void write_single(kd_buf *b, const char *s)
{
	kd_buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			kd_buf_putc(b, '\'');
		kd_buf_putc(b, *s);
	}
	kd_buf_putc(b, '\'');
}

/* A literal block: header, then the lines at `indent`; empty lines carry no indentation. */
static void write_literal(kd_buf *b, const char *s, int indent)
{
	size_t n = strlen(s);
	kd_buf_putc(b, '|');
	if (s[0] == ' ' || s[0] == '\n')
		kd_buf_putc(b, '2');
	if (n == 0 || s[n - 1] != '\n')
		kd_buf_putc(b, '-');
	else if (n == 1 || s[n - 2] == '\n')
		kd_buf_putc(b, '+');
	kd_buf_putc(b, '\n');
	bool at_line_start = true;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n') {
			kd_buf_putc(b, '\n');
			at_line_start = true;
			continue;
		}
		if (at_line_start)
			spaces(b, indent);
		at_line_start = false;
		kd_buf_putc(b, s[i]);
	}
	if (!at_line_start)
		kd_buf_putc(b, '\n');
}

/* Go's utf8.ValidString. */
static bool valid_utf8(const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		uint32_t c;
		int w = kd_utf8_decode(s + i, n - i, &c);
		if (c == 0xFFFD && w == 1)
			return false;
		i += (size_t)w;
	}
	return true;
}

/* Writes string s where the cursor is, then the line end. `indent` is the block indentation
 * a literal's lines get. */
static void write_string(kd_buf *b, const char *s, int indent, bool key)
{
	if (!valid_utf8(s)) {
		kd_buf_puts(b, "!!binary ");
		kd_base64_encode(b, s, strlen(s));
		if (!key)
			kd_buf_putc(b, '\n');
		return;
	}
	switch (scalar_style(s, key)) {
	case ST_PLAIN: kd_buf_puts(b, s); break;
	case ST_SINGLE: write_single(b, s); break;
	case ST_DOUBLE: write_double(b, s); break;
	default: write_literal(b, s, indent); return;
	}
	if (!key)
		kd_buf_putc(b, '\n');
}

static bool is_time(const cJSON *v)
{
	return cJSON_IsObject(v) && v->child && v->child->string && v->child->string[0] == '\x01';
}

/* Writes a non-container value (or an empty container) and its line end. */
static int write_scalar(kd_buf *b, const cJSON *v, int indent)
{
	char t[64];
	if (!v || cJSON_IsNull(v))
		return kd_buf_puts(b, "null\n");
	if (cJSON_IsTrue(v))
		return kd_buf_puts(b, "true\n");
	if (cJSON_IsFalse(v))
		return kd_buf_puts(b, "false\n");
	if (cJSON_IsNumber(v)) {
		if (kd_json_is_int(v))
			return kd_buf_printf(b, "%lld\n", (long long)kd_json_int(v));
		double d = v->valuedouble;
		if (isnan(d))
			return kd_buf_puts(b, ".nan\n");
		if (isinf(d))
			return kd_buf_puts(b, d > 0 ? ".inf\n" : "-.inf\n");
		kd_json_fmt_float(t, sizeof t, d);
		return kd_buf_printf(b, "%s\n", t);
	}
	if (cJSON_IsString(v)) {
		write_string(b, v->valuestring, indent, false);
		return 0;
	}
	if (cJSON_IsArray(v))
		return kd_buf_puts(b, "[]\n");
	return kd_buf_puts(b, "{}\n");
}

static bool is_container(const cJSON *v)
{
	return (cJSON_IsArray(v) || cJSON_IsObject(v)) && v->child && !is_time(v);
}

/* yaml.v2's keyList.Less for string keys, over runes ([]rune(s): invalid bytes are U+FFFD). */
static uint32_t *runes(const char *s, size_t *n)
{
	size_t len = strlen(s), k = 0;
	uint32_t *r = kd_malloc((len + 1) * sizeof *r);
	for (size_t i = 0; i < len;) {
		int w = kd_utf8_decode(s + i, len - i, &r[k++]);
		i += (size_t)w;
	}
	*n = k;
	return r;
}

static bool letter(uint32_t c)
{
	if (c < 0x80)
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
	return c >= 0xC0 && c != 0xD7 && c != 0xF7; /* good enough beyond ASCII */
}

static bool digit(uint32_t c)
{
	return c >= '0' && c <= '9';
}

static bool key_less(const char *as, const char *bs)
{
	size_t na, nb;
	uint32_t *a = runes(as, &na), *b = runes(bs, &nb);
	bool res = na < nb;
	for (size_t i = 0; i < na && i < nb; i++) {
		if (a[i] == b[i])
			continue;
		bool al = letter(a[i]), bl = letter(b[i]);
		if (al && bl) {
			res = a[i] < b[i];
			goto done;
		}
		if (al || bl) {
			res = bl;
			goto done;
		}
		/* Go's int64 arithmetic, which wraps on overflow (C's signed overflow is undefined):
		 * computed unsigned, compared as int64 */
		uint64_t an = 0, bn = 0;
		size_t ai, bi;
		if (a[i] == '0' || b[i] == '0') {
			for (size_t j = i; j-- > 0 && digit(a[j]);) {
				if (a[j] != '0') {
					an = bn = 1;
					break;
				}
			}
		}
		for (ai = i; ai < na && digit(a[ai]); ai++)
			an = an * 10 + (uint64_t)(a[ai] - '0');
		for (bi = i; bi < nb && digit(b[bi]); bi++)
			bn = bn * 10 + (uint64_t)(b[bi] - '0');
		if (an != bn)
			res = (int64_t)an < (int64_t)bn;
		else if (ai != bi)
			res = ai < bi;
		else
			res = a[i] < b[i];
		goto done;
	}
done:
	free(a);
	free(b);
	return res;
}

static int cmp_keys(const void *x, const void *y)
{
	const char *a = (*(const cJSON *const *)x)->string, *b = (*(const cJSON *const *)y)->string;
	if (key_less(a, b))
		return -1;
	if (key_less(b, a))
		return 1;
	return 0;
}

static int emit_node(kd_buf *b, const cJSON *v, int indent, bool inline_first, int depth);

static bool simple_key(const char *k)
{
	return !strchr(k, '\n') && strlen(k) <= 128 && valid_utf8(k) && !analyze(k).multiline;
}

static int emit_map(kd_buf *b, const cJSON *v, int indent, bool inline_first, int depth)
{
	int n = cJSON_GetArraySize(v);
	const cJSON **m = kd_malloc((size_t)n * sizeof *m);
	int i = 0;
	for (const cJSON *e = v->child; e; e = e->next)
		m[i++] = e;
	qsort(m, (size_t)n, sizeof *m, cmp_keys);
	int rc = 0;
	for (i = 0; i < n && rc == 0; i++) {
		const cJSON *e = m[i];
		if (i > 0 || !inline_first)
			spaces(b, indent);
		if (simple_key(e->string)) {
			write_string(b, e->string, indent + 2, true);
			kd_buf_putc(b, ':');
		} else {
			/* complex key: "? key" then ": value" */
			kd_buf_puts(b, "? ");
			write_string(b, e->string, indent + 2, false);
			spaces(b, indent);
			kd_buf_putc(b, ':');
		}
		if (is_container(e)) {
			if (cJSON_IsArray(e)) {
				kd_buf_putc(b, '\n');
				rc = emit_node(b, e, indent, false, depth + 1);
			} else {
				kd_buf_putc(b, '\n');
				rc = emit_node(b, e, indent + 2, false, depth + 1);
			}
		} else {
			kd_buf_putc(b, ' ');
			rc = write_scalar(b, e, indent + 2);
		}
	}
	free(m);
	return rc;
}

static int emit_seq(kd_buf *b, const cJSON *v, int indent, bool inline_first, int depth)
{
	int rc = 0;
	for (const cJSON *e = v->child; e && rc == 0; e = e->next) {
		if (e != v->child || !inline_first)
			spaces(b, indent);
		kd_buf_puts(b, "- ");
		if (is_container(e))
			rc = emit_node(b, e, indent + 2, true, depth + 1);
		else
			rc = write_scalar(b, e, indent + 2);
	}
	return rc;
}

static int emit_node(kd_buf *b, const cJSON *v, int indent, bool inline_first, int depth)
{
	if (depth > KD_JSON_MAX_DEPTH || kd_stack_low())
		return kd_error_set(KD_ERR_YAML, "yaml: value nested too deeply (the limit is %d levels, fewer where the stack runs out)", KD_JSON_MAX_DEPTH);
	if (!is_container(v))
		return write_scalar(b, v, indent + 2);
	if (cJSON_IsArray(v))
		return emit_seq(b, v, indent, inline_first, depth);
	return emit_map(b, v, indent, inline_first, depth);
}

int kd_yaml_emit(kd_buf *out, const cJSON *v)
{
	kd_buf_puts(out, "");
	int rc = emit_node(out, v, 0, false, 0);
	/* writes past the buffer's cap fail stickily: one check covers them all */
	if (out->err)
		return kd_buf_check(out, "YAML output");
	return rc < 0 ? KD_ERROR : 0;
}
