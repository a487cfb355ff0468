/* Go's fmt over cJSON values: %v printing, Sprint/Sprintln, Sprintf with Go's verbs, flags,
 * width/precision, argument indexes and error forms (%!d(string=x), %!(EXTRA ...), ...), and
 * strconv.Quote. Go types map as: string, int (KD_JSON_INT), float64, bool, []interface {},
 * map[string]interface {}, and nil. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sprig_priv.h"
#include "tpl_int.h"

typedef struct {
	bool minus, plus, sharp, space, zero, plus_v, sharp_v;
	bool wid_present, prec_present;
	int wid, prec;
} ff;

const char *kd_tpl__type_name(const cJSON *v)
{
	if (!v || cJSON_IsNull(v))
		return "<nil>";
	switch (v->type & 0xFF) {
	case cJSON_True:
	case cJSON_False:
		return "bool";
	case cJSON_Number:
		return kd_json_is_int(v) ? "int" : "float64";
	case cJSON_String:
		return "string";
	case cJSON_Array:
		return "[]interface {}";
	case cJSON_Object:
		return "map[string]interface {}";
	default:
		return "interface {}";
	}
}

/* ---- UTF-8 ---- */
/* kd_utf8_decode, with -1 for an invalid byte (printed as \x.. by %q). */
static int dec_rune(const unsigned char *s, size_t n, uint32_t *r)
{
	int len = kd_utf8_decode((const char *)s, n, r);
	return len == 1 && *r == 0xFFFD && s[0] >= 0x80 ? -1 : len;
}


static size_t rune_count(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n;) {
		uint32_t r;
		int l = dec_rune((const unsigned char *)s + i, n - i, &r);
		i += l > 0 ? (size_t)l : 1;
		c++;
	}
	return c;
}

/* Approximates unicode.IsPrint: ASCII graphic and space... Go counts ' ' as printable only in
 * IsPrint (yes), C1 controls and a few format characters are not. */
static bool is_print(uint32_t r)
{
	if (r < 0x20 || r == 0x7f)
		return false;
	if (r < 0x7f)
		return true;
	if (r < 0xA0 || r == 0xAD)
		return false;
	if (r >= 0x2028 && r <= 0x202E)
		return false;
	if (r >= 0x200B && r <= 0x200F)
		return false;
	if (r == 0xFEFF || r == 0xFFFD + 1 || (r >= 0xFFF9 && r <= 0xFFFB))
		return false;
	if (r >= 0xE000 && r <= 0xF8FF)
		return false;
	return true;
}

static void quote_rune_into(kd_buf *b, uint32_t r, int width, char quote, bool ascii)
{
	static const char hex[] = "0123456789abcdef";
	if (width == 1 && r == 0xFFFD) {
		/* an invalid byte: handled by the caller */
	}
	if (r == (uint32_t)quote || r == '\\') {
		kd_buf_putc(b, '\\');
		kd_buf_putc(b, (char)r);
		return;
	}
	if (ascii ? (r < 0x80 && is_print(r)) : is_print(r)) {
		kd_buf_put_utf8(b, r);
		return;
	}
	switch (r) {
	case 7: kd_buf_puts(b, "\\a"); return;
	case 8: kd_buf_puts(b, "\\b"); return;
	case 12: kd_buf_puts(b, "\\f"); return;
	case 10: kd_buf_puts(b, "\\n"); return;
	case 13: kd_buf_puts(b, "\\r"); return;
	case 9: kd_buf_puts(b, "\\t"); return;
	case 11: kd_buf_puts(b, "\\v"); return;
	}
	if (r < ' ' || r == 0x7f) {
		kd_buf_puts(b, "\\x");
		kd_buf_putc(b, hex[r >> 4]);
		kd_buf_putc(b, hex[r & 15]);
	} else if (r < 0x10000) {
		kd_buf_printf(b, "\\u%04x", r);
	} else {
		kd_buf_printf(b, "\\U%08x", r);
	}
}

int kd_tpl__quote(kd_buf *out, const char *s, size_t len, bool ascii)
{
	static const char hex[] = "0123456789abcdef";
	kd_buf_putc(out, '"');
	for (size_t i = 0; i < len;) {
		uint32_t r;
		int l = dec_rune((const unsigned char *)s + i, len - i, &r);
		if (l < 0) {
			unsigned char c = (unsigned char)s[i];
			kd_buf_puts(out, "\\x");
			kd_buf_putc(out, hex[c >> 4]);
			kd_buf_putc(out, hex[c & 15]);
			i++;
			continue;
		}
		quote_rune_into(out, r, l, '"', ascii);
		i += (size_t)l;
	}
	return kd_buf_putc(out, '"');
}

void kd_tpl__shorten(kd_buf *b, size_t max)
{
	bool cut = b->err || b->len > max;
	b->err = 0;
	if (!cut)
		return;
	size_t n = b->len < max ? b->len : max;
	while (n > 0 && ((unsigned char)b->ptr[n] & 0xC0) == 0x80)
		n--; /* not inside a UTF-8 sequence */
	kd_buf_truncate(b, n);
	kd_buf_puts(b, "...");
}

/* ---- padding ---- */
static void write_padding(kd_buf *b, const ff *f, int n)
{
	char c = (f->zero && !f->minus) ? '0' : ' ';
	for (int i = 0; i < n; i++)
		kd_buf_putc(b, c);
}

static void pad(kd_buf *b, const ff *f, const char *s, size_t n)
{
	if (!f->wid_present || f->wid == 0) {
		kd_buf_put(b, s, n);
		return;
	}
	int width = f->wid - (int)rune_count(s, n);
	if (!f->minus) {
		write_padding(b, f, width);
		kd_buf_put(b, s, n);
	} else {
		kd_buf_put(b, s, n);
		write_padding(b, f, width);
	}
}

static void pad_nozero(kd_buf *b, ff *f, const char *s, size_t n)
{
	bool z = f->zero;
	f->zero = false;
	pad(b, f, s, n);
	f->zero = z;
}

/* With a precision, the length of the first f->prec runes of s (Go's %.Ns, %.Nq, %.Nx). */
static size_t prec_cut(const ff *f, const char *s, size_t n)
{
	if (!f->prec_present)
		return n;
	size_t i = 0;
	for (int runes = 0; i < n && runes < f->prec; runes++) {
		uint32_t r;
		int l = dec_rune((const unsigned char *)s + i, n - i, &r);
		i += l > 0 ? (size_t)l : 1;
	}
	return i;
}

/* ---- basic kinds ---- */
static void fmt_s(kd_buf *b, ff *f, const char *s, size_t n)
{
	n = prec_cut(f, s, n);
	pad(b, f, s, n);
}

static void fmt_q(kd_buf *b, ff *f, const char *s, size_t n)
{
	n = prec_cut(f, s, n);
	kd_buf t = KD_BUF_INIT;
	bool backq = f->sharp;
	if (backq) {
		for (size_t i = 0; i < n;) {
			uint32_t r;
			int l = dec_rune((const unsigned char *)s + i, n - i, &r);
			if (l < 0 || r == '`' || r == 0xFEFF || (r < ' ' && r != '\t') || r == 0x7f) {
				backq = false;
				break;
			}
			i += (size_t)l;
		}
	}
	if (backq) {
		kd_buf_putc(&t, '`');
		kd_buf_put(&t, s, n);
		kd_buf_putc(&t, '`');
	} else {
		kd_tpl__quote(&t, s, n, f->plus);
	}
	pad(b, f, t.ptr ? t.ptr : "", t.len);
	kd_buf_free(&t);
}

static void fmt_sx(kd_buf *b, ff *f, const char *s, size_t n, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEFX" : "0123456789abcdefx";
	int length = (int)n;
	if (f->prec_present && f->prec < length)
		length = f->prec;
	int width = 2 * length;
	if (width > 0) {
		if (f->space) {
			if (f->sharp)
				width *= 2;
			width += length - 1;
		} else if (f->sharp) {
			width += 2;
		}
	} else {
		if (f->wid_present)
			write_padding(b, f, f->wid);
		return;
	}
	if (f->wid_present && f->wid > width && !f->minus)
		write_padding(b, f, f->wid - width);
	if (f->sharp) {
		kd_buf_putc(b, '0');
		kd_buf_putc(b, digits[16]);
	}
	for (int i = 0; i < length; i++) {
		if (f->space && i > 0) {
			kd_buf_putc(b, ' ');
			if (f->sharp) {
				kd_buf_putc(b, '0');
				kd_buf_putc(b, digits[16]);
			}
		}
		unsigned char c = (unsigned char)s[i];
		kd_buf_putc(b, digits[c >> 4]);
		kd_buf_putc(b, digits[c & 15]);
	}
	if (f->wid_present && f->wid > width && f->minus)
		write_padding(b, f, f->wid - width);
}

static void fmt_integer(kd_buf *b, ff *f, int64_t sv, int base, int verb, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEFX" : "0123456789abcdefx";
	bool negative = sv < 0;
	uint64_t u = negative ? (uint64_t)0 - (uint64_t)sv : (uint64_t)sv;
	int prec = 0;
	if (f->prec_present) {
		prec = f->prec;
		if (prec == 0 && u == 0) {
			bool z = f->zero;
			f->zero = false;
			if (f->wid_present)
				write_padding(b, f, f->wid);
			f->zero = z;
			return;
		}
	} else if (f->zero && !f->minus && f->wid_present) {
		prec = f->wid;
		if (negative || f->plus || f->space)
			prec--;
	}
	size_t cap = (size_t)prec + 80;
	char *buf = kd_malloc(cap);
	size_t i = cap;
	do {
		buf[--i] = digits[u % (uint64_t)base];
		u /= (uint64_t)base;
	} while (u);
	while (i > 4 && (int)(cap - i) < prec)
		buf[--i] = '0';
	if (f->sharp) {
		if (base == 2) {
			buf[--i] = 'b';
			buf[--i] = '0';
		} else if (base == 8) {
			if (buf[i] != '0')
				buf[--i] = '0';
		} else if (base == 16) {
			buf[--i] = digits[16];
			buf[--i] = '0';
		}
	}
	if (verb == 'O') {
		buf[--i] = 'o';
		buf[--i] = '0';
	}
	if (negative)
		buf[--i] = '-';
	else if (f->plus)
		buf[--i] = '+';
	else if (f->space)
		buf[--i] = ' ';
	pad_nozero(b, f, buf + i, cap - i);
	free(buf);
}

static void fmt_c(kd_buf *b, ff *f, int64_t v)
{
	kd_buf t = KD_BUF_INIT;
	uint32_t r = (v < 0 || v > 0x10FFFF) ? 0xFFFD : (uint32_t)v;
	kd_buf_put_utf8(&t, r);
	pad(b, f, t.ptr, t.len);
	kd_buf_free(&t);
}

static void fmt_qc(kd_buf *b, ff *f, int64_t v)
{
	kd_buf t = KD_BUF_INIT;
	uint32_t r = (v < 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) ? 0xFFFD : (uint32_t)v;
	kd_buf_putc(&t, '\'');
	if (f->sharp && is_print(r))
		kd_buf_put_utf8(&t, r);
	else
		quote_rune_into(&t, r, 0, '\'', f->plus);
	kd_buf_putc(&t, '\'');
	pad(b, f, t.ptr, t.len);
	kd_buf_free(&t);
}

static void fmt_unicode(kd_buf *b, ff *f, int64_t v)
{
	kd_buf t = KD_BUF_INIT;
	uint64_t u = (uint64_t)v;
	int prec = 4;
	if (f->prec_present && f->prec > 4)
		prec = f->prec;
	kd_buf_printf(&t, "U+%0*llX", prec, (unsigned long long)u);
	if (f->sharp && u <= 0x10FFFF && is_print((uint32_t)u)) {
		kd_buf_puts(&t, " '");
		kd_buf_put_utf8(&t, (uint32_t)u);
		kd_buf_putc(&t, '\'');
	}
	pad_nozero(b, f, t.ptr, t.len);
	kd_buf_free(&t);
}

/* strconv.FormatFloat(v, verb, prec, 64) with a leading sign always present. glibc's printf
 * prints the exact decimal expansion at any precision, as Go's does, so precisions are not cut
 * (Go's fmt caps them at about 10^7). */
static void float_num(kd_buf *t, double v, int verb, int prec)
{
	if (isnan(v)) {
		kd_buf_puts(t, "+NaN");
		return;
	}
	if (isinf(v)) {
		kd_buf_puts(t, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	switch (verb) {
	case 'e':
	case 'E':
		kd_buf_printf(t, verb == 'e' ? "%+.*e" : "%+.*E", prec, v);
		break;
	case 'f':
	case 'F':
		kd_buf_printf(t, "%+.*f", prec, v);
		break;
	case 'g':
	case 'G':
		if (prec < 0) {
			char g[64];
			kd_json_fmt_float(g, sizeof(g), v);
			size_t at = t->len;
			kd_buf_printf(t, "%s%s", g[0] == '-' ? "" : "+", g);
			if (verb == 'G' && t->ptr)
				for (char *p = t->ptr + at; *p; p++)
					if (*p == 'e')
						*p = 'E';
		} else {
			kd_buf_printf(t, verb == 'g' ? "%+.*g" : "%+.*G", prec == 0 ? 1 : prec, v);
		}
		break;
	case 'x':
	case 'X': {
		/* C's %a, with Go's two-digit minimum exponent */
		kd_buf a = KD_BUF_INIT;
		if (prec < 0)
			kd_buf_printf(&a, verb == 'x' ? "%+a" : "%+A", v);
		else
			kd_buf_printf(&a, verb == 'x' ? "%+.*a" : "%+.*A", prec, v);
		const char *as = kd_buf_cstr(&a);
		const char *p = strpbrk(as, "pP");
		if (p && (p[1] == '+' || p[1] == '-') && p[2] && !p[3]) {
			size_t off = (size_t)(p - as) + 2;
			kd_buf_put(t, as, off);
			kd_buf_putc(t, '0');
			kd_buf_puts(t, as + off);
		} else {
			kd_buf_puts(t, as);
		}
		kd_buf_free(&a);
		break;
	}
	case 'b': {
		uint64_t bits;
		memcpy(&bits, &v, sizeof(bits));
		int exp = (int)((bits >> 52) & 0x7FF);
		uint64_t mant = bits & (((uint64_t)1 << 52) - 1);
		if (exp == 0)
			exp++;
		else
			mant |= (uint64_t)1 << 52;
		exp -= 1075;
		kd_buf_printf(t, "%s%llup%+d", (bits >> 63) ? "-" : "+", (unsigned long long)mant, exp);
		break;
	}
	default:
		kd_buf_printf(t, "%+g", v);
	}
}

static void fmt_float(kd_buf *b, ff *f, double v, int verb, int prec)
{
	if (f->prec_present)
		prec = f->prec;
	kd_buf t = KD_BUF_INIT;
	float_num(&t, v, verb, prec);
	char *num = t.ptr;
	size_t n = t.len;
	if (f->space && num[0] == '+' && !f->plus)
		num[0] = ' ';
	if (num[1] == 'I' || num[1] == 'N') {
		bool z = f->zero;
		f->zero = false;
		if (num[1] == 'N' && !f->space && !f->plus) {
			num++;
			n--;
		}
		pad(b, f, num, n);
		f->zero = z;
		kd_buf_free(&t);
		return;
	}
	if (f->plus || num[0] != '+') {
		if (f->zero && !f->minus && f->wid_present && f->wid > (int)n) {
			kd_buf_putc(b, num[0]);
			write_padding(b, f, f->wid - (int)n);
			kd_buf_put(b, num + 1, n - 1);
		} else {
			pad(b, f, num, n);
		}
	} else {
		pad(b, f, num + 1, n - 1);
	}
	kd_buf_free(&t);
}

static void print_arg(kd_buf *b, ff *f, const cJSON *v, int verb, int depth);

/* Set when a value was nested deeper than printing follows. */
static _Thread_local bool print_too_deep;

/* The result of one printing call: the depth limit or the buffer's sticky failure. */
static int print_result(const kd_buf *out)
{
	if (print_too_deep)
		return kd_error_set(KD_ERR_TEMPLATE, "value nested too deeply to print (the limit is %d levels, fewer where the stack runs out)", KD_JSON_MAX_DEPTH),
		       KD_ELIMIT;
	if (out->err)
		return kd_buf_check(out, "printed value");
	return 0;
}

static void bad_verb(kd_buf *b, ff *f, const cJSON *v, int verb)
{
	kd_buf_puts(b, "%!");
	kd_buf_put_utf8(b, (uint32_t)verb);
	kd_buf_putc(b, '(');
	if (kd_tpl__is_nil(v)) {
		kd_buf_puts(b, "<nil>");
	} else {
		kd_buf_puts(b, kd_tpl__type_name(v));
		kd_buf_putc(b, '=');
		print_arg(b, f, v, 'v', 0);
	}
	kd_buf_putc(b, ')');
}

static int cmp_members(const void *a, const void *b)
{
	return strcmp((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

/* time.Time and *semver.Version are fmt.Stringers: %v %s %q %x %X print their String(). For
 * other verbs fmt prints the struct: semver's fields are known (major minor patch pre metadata
 * original); a time's are its internal clock words, shown here as a bad verb instead. */
static void print_stringer(kd_buf *b, ff *f, const cJSON *v, int verb, int depth)
{
	kd_buf t = KD_BUF_INIT;
	kd_buf_puts(&t, "");
	kd_tpl__sp_strval(&t, v);
	cJSON str = {.type = cJSON_String, .valuestring = t.ptr};
	if (verb == 'v' || verb == 's' || verb == 'q' || verb == 'x' || verb == 'X') {
		print_arg(b, f, &str, verb == 'v' && f->sharp_v ? 'q' : verb, depth);
	} else if (kd_tpl__sp_is_semver(v)) {
		static const char *const fields[] = {"Major", "Minor", "Patch", "Prerelease", "Metadata", "Original"};
		kd_buf_puts(b, depth ? "0x" : "&{");
		if (depth) {
			/* a pointer inside a composite prints as its address; there is none to print */
			kd_buf_puts(b, "c000000000");
		} else {
			for (size_t i = 0; i < KD_ARRAY_SIZE(fields); i++) {
				if (i)
					kd_buf_putc(b, ' ');
				print_arg(b, f, kd_json_get(v, fields[i]), verb, depth + 1);
			}
			kd_buf_putc(b, '}');
		}
	} else {
		kd_buf_puts(b, "%!");
		kd_buf_put_utf8(b, (uint32_t)verb);
		kd_buf_puts(b, "(time.Time=");
		kd_buf_puts(b, kd_buf_cstr(&t));
		kd_buf_putc(b, ')');
	}
	kd_buf_free(&t);
}

static void print_arg(kd_buf *b, ff *f, const cJSON *v, int verb, int depth)
{
	if (depth > KD_JSON_MAX_DEPTH || (depth > 0 && kd_stack_low())) {
		/* reported by the callers (kd_tpl__fmt_value, kd_tpl__sprint, kd_tpl__sprintf) */
		print_too_deep = true;
		return;
	}
	if (kd_tpl__is_nil(v)) {
		if (depth > 0) {
			kd_buf_puts(b, f->sharp_v ? "interface {}(nil)" : "<nil>");
			return;
		}
		if (verb == 'T' || verb == 'v')
			pad(b, f, "<nil>", 5);
		else
			bad_verb(b, f, v, verb);
		return;
	}
	if (verb == 'T') {
		const char *t = kd_tpl__sp_typeof(v);
		fmt_s(b, f, t, strlen(t));
		return;
	}
	if (kd_tpl__sp_is_time(v) || kd_tpl__sp_is_semver(v)) {
		print_stringer(b, f, v, verb, depth);
		return;
	}
	switch (v->type & 0xFF) {
	case cJSON_True:
	case cJSON_False:
		if (verb == 't' || verb == 'v')
			pad(b, f, cJSON_IsTrue(v) ? "true" : "false", cJSON_IsTrue(v) ? 4 : 5);
		else
			bad_verb(b, f, v, verb);
		return;
	case cJSON_Number:
		if (kd_json_is_int(v)) {
			int64_t i = kd_json_int(v);
			switch (verb) {
			case 'v':
			case 'd':
				fmt_integer(b, f, i, 10, verb, false);
				return;
			case 'b':
				fmt_integer(b, f, i, 2, verb, false);
				return;
			case 'o':
			case 'O':
				fmt_integer(b, f, i, 8, verb, false);
				return;
			case 'x':
				fmt_integer(b, f, i, 16, verb, false);
				return;
			case 'X':
				fmt_integer(b, f, i, 16, verb, true);
				return;
			case 'c':
				fmt_c(b, f, i);
				return;
			case 'q':
				fmt_qc(b, f, i);
				return;
			case 'U':
				fmt_unicode(b, f, i);
				return;
			default:
				bad_verb(b, f, v, verb);
				return;
			}
		}
		switch (verb) {
		case 'v':
			fmt_float(b, f, v->valuedouble, 'g', -1);
			return;
		case 'b':
		case 'g':
		case 'G':
		case 'x':
		case 'X':
			fmt_float(b, f, v->valuedouble, verb, -1);
			return;
		case 'f':
		case 'e':
		case 'E':
		case 'F':
			fmt_float(b, f, v->valuedouble, verb == 'F' ? 'f' : verb, 6);
			return;
		default:
			bad_verb(b, f, v, verb);
			return;
		}
	case cJSON_String: {
		const char *s = v->valuestring ? v->valuestring : "";
		size_t n = strlen(s);
		switch (verb) {
		case 'v':
			if (f->sharp_v)
				fmt_q(b, f, s, n);
			else
				fmt_s(b, f, s, n);
			return;
		case 's':
			fmt_s(b, f, s, n);
			return;
		case 'x':
		case 'X':
			fmt_sx(b, f, s, n, verb == 'X');
			return;
		case 'q':
			fmt_q(b, f, s, n);
			return;
		default:
			bad_verb(b, f, v, verb);
			return;
		}
	}
	case cJSON_Array:
		if (f->sharp_v) {
			kd_buf_puts(b, "[]interface {}{");
			for (const cJSON *c = v->child; c; c = c->next) {
				if (c != v->child)
					kd_buf_puts(b, ", ");
				print_arg(b, f, c, verb, depth + 1);
			}
			kd_buf_putc(b, '}');
		} else {
			kd_buf_putc(b, '[');
			for (const cJSON *c = v->child; c; c = c->next) {
				if (c != v->child)
					kd_buf_putc(b, ' ');
				print_arg(b, f, c, verb, depth + 1);
			}
			kd_buf_putc(b, ']');
		}
		return;
	case cJSON_Object: {
		int n = cJSON_GetArraySize(v);
		cJSON **m = n ? kd_malloc((size_t)n * sizeof(*m)) : NULL;
		int k = 0;
		for (cJSON *c = v->child; c && k < n; c = c->next)
			m[k++] = c;
		if (k > 1)
			qsort(m, (size_t)k, sizeof(*m), cmp_members);
		kd_buf_puts(b, f->sharp_v ? "map[string]interface {}{" : "map[");
		for (int i = 0; i < k; i++) {
			if (i)
				kd_buf_puts(b, f->sharp_v ? ", " : " ");
			cJSON key = {.type = cJSON_String, .valuestring = m[i]->string};
			print_arg(b, f, &key, verb, depth + 1);
			kd_buf_putc(b, ':');
			print_arg(b, f, m[i], verb, depth + 1);
		}
		kd_buf_putc(b, f->sharp_v ? '}' : ']');
		free(m);
		return;
	}
	default:
		kd_buf_puts(b, "?");
	}
}

int kd_tpl__fmt_value(kd_buf *out, const cJSON *v)
{
	ff f;
	memset(&f, 0, sizeof(f));
	print_too_deep = false;
	print_arg(out, &f, v, 'v', 0);
	return print_result(out);
}

int kd_tpl__sprint(kd_buf *out, cJSON *const *args, int nargs, bool ln)
{
	ff f;
	bool prev_string = false;
	print_too_deep = false;
	for (int i = 0; i < nargs; i++) {
		memset(&f, 0, sizeof(f));
		bool is_string = args[i] && cJSON_IsString(args[i]);
		if (i > 0 && (ln || (!is_string && !prev_string)))
			kd_buf_putc(out, ' ');
		print_arg(out, &f, args[i], 'v', 0);
		prev_string = is_string;
	}
	if (ln)
		kd_buf_putc(out, '\n');
	return print_result(out);
}

/* ---- Sprintf ---- */
static bool parsenum(const char *s, size_t start, size_t end, int *num, size_t *newi)
{
	*num = 0;
	bool isnum = false;
	size_t i = start;
	for (; i < end && s[i] >= '0' && s[i] <= '9'; i++) {
		if (*num > 1000000) { /* too large */
			*num = 0;
			*newi = end;
			return false;
		}
		*num = *num * 10 + (s[i] - '0');
		isnum = true;
	}
	*newi = i;
	return isnum;
}

typedef struct {
	bool reordered, good_argnum;
} pstate;

static void arg_number(pstate *ps, int *argnum, const char *fmt, size_t *i, size_t end, int nargs, bool *after)
{
	*after = false;
	if (*i >= end || fmt[*i] != '[')
		return;
	ps->reordered = true;
	/* parseArgNumber on fmt[*i:] */
	const char *s = fmt + *i;
	size_t len = end - *i;
	int index = 0;
	size_t wid = 1;
	bool ok = false;
	if (len >= 3) {
		for (size_t k = 1; k < len; k++) {
			if (s[k] == ']') {
				int n;
				size_t ni;
				bool isnum = parsenum(s, 1, k, &n, &ni);
				if (!isnum || ni != k) {
					wid = k + 1;
					ok = false;
				} else {
					index = n - 1;
					wid = k + 1;
					ok = true;
				}
				break;
			}
		}
	}
	if (ok && index >= 0 && index < nargs) {
		*argnum = index;
		*i += wid;
		*after = true;
		return;
	}
	ps->good_argnum = false;
	*i += wid;
	*after = ok;
}

static bool int_from_arg(cJSON *const *args, int nargs, int *argnum, int *num)
{
	*num = 0;
	bool ok = false;
	if (*argnum < nargs) {
		const cJSON *a = args[*argnum];
		if (kd_json_is_int(a)) {
			int64_t v = kd_json_int(a);
			if (v >= -1000000 && v <= 1000000) {
				*num = (int)v;
				ok = true;
			}
		}
		(*argnum)++;
	}
	return ok;
}

int kd_tpl__sprintf(kd_buf *b, const char *fmt, size_t end, cJSON *const *args, int nargs)
{
	int argnum = 0;
	bool after = false;
	pstate ps = {false, true};
	ff f;
	size_t i = 0;
	print_too_deep = false;
	while (i < end) {
		ps.good_argnum = true;
		size_t lasti = i;
		while (i < end && fmt[i] != '%')
			i++;
		if (i > lasti)
			kd_buf_put(b, fmt + lasti, i - lasti);
		if (i >= end)
			break;
		i++;
		memset(&f, 0, sizeof(f));
		for (; i < end; i++) {
			char c = fmt[i];
			if (c == '#')
				f.sharp = true;
			else if (c == '0')
				f.zero = true;
			else if (c == '+')
				f.plus = true;
			else if (c == '-')
				f.minus = true;
			else if (c == ' ')
				f.space = true;
			else
				break;
		}
		arg_number(&ps, &argnum, fmt, &i, end, nargs, &after);
		if (i < end && fmt[i] == '*') {
			i++;
			f.wid_present = int_from_arg(args, nargs, &argnum, &f.wid);
			if (!f.wid_present)
				kd_buf_puts(b, "%!(BADWIDTH)");
			if (f.wid < 0) {
				f.wid = -f.wid;
				f.minus = true;
				f.zero = false;
			}
			after = false;
		} else {
			size_t ni;
			f.wid_present = parsenum(fmt, i, end, &f.wid, &ni);
			i = ni;
			if (after && f.wid_present)
				ps.good_argnum = false;
		}
		if (i + 1 < end && fmt[i] == '.') {
			i++;
			if (after)
				ps.good_argnum = false;
			arg_number(&ps, &argnum, fmt, &i, end, nargs, &after);
			if (i < end && fmt[i] == '*') {
				i++;
				f.prec_present = int_from_arg(args, nargs, &argnum, &f.prec);
				if (f.prec < 0) {
					f.prec = 0;
					f.prec_present = false;
				}
				if (!f.prec_present)
					kd_buf_puts(b, "%!(BADPREC)");
				after = false;
			} else {
				size_t ni;
				f.prec_present = parsenum(fmt, i, end, &f.prec, &ni);
				i = ni;
				if (!f.prec_present) {
					f.prec = 0;
					f.prec_present = true;
				}
			}
		}
		if (!after)
			arg_number(&ps, &argnum, fmt, &i, end, nargs, &after);
		if (i >= end) {
			kd_buf_puts(b, "%!(NOVERB)");
			break;
		}
		uint32_t verb = (unsigned char)fmt[i];
		int size = 1;
		if (verb >= 0x80) {
			size = dec_rune((const unsigned char *)fmt + i, end - i, &verb);
			if (size < 1)
				size = 1;
		}
		i += (size_t)size;
		if (verb == '%') {
			kd_buf_putc(b, '%');
		} else if (!ps.good_argnum) {
			kd_buf_puts(b, "%!");
			kd_buf_put_utf8(b, verb);
			kd_buf_puts(b, "(BADINDEX)");
		} else if (argnum >= nargs) {
			kd_buf_puts(b, "%!");
			kd_buf_put_utf8(b, verb);
			kd_buf_puts(b, "(MISSING)");
		} else {
			if (verb == 'v') {
				f.sharp_v = f.sharp;
				f.sharp = false;
				f.plus_v = f.plus;
				f.plus = false;
			}
			print_arg(b, &f, args[argnum], (int)verb, 0);
			argnum++;
		}
	}
	if (!ps.reordered && argnum < nargs) {
		memset(&f, 0, sizeof(f));
		kd_buf_puts(b, "%!(EXTRA ");
		for (int k = argnum; k < nargs; k++) {
			if (k > argnum)
				kd_buf_puts(b, ", ");
			if (kd_tpl__is_nil(args[k])) {
				kd_buf_puts(b, "<nil>");
			} else {
				kd_buf_puts(b, kd_tpl__type_name(args[k]));
				kd_buf_putc(b, '=');
				print_arg(b, &f, args[k], 'v', 0);
			}
		}
		kd_buf_putc(b, ')');
	}
	return print_result(b);
}
