#include "json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The int64 a double truncates to, clamped (no UB for NaN or out of range values). */
static int64_t dbl_int(double d)
{
	if (d != d)
		return 0;
	if (d >= 9223372036854775807.0)
		return INT64_MAX;
	if (d <= -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)d;
}

#define EXACT_DOUBLE 9007199254740992.0 /* 2^53: below it a double holds every integer */
#define MAX_FIX 1024                   /* the most a double of an int64 can be off by */

cJSON *kd_json_new_int(int64_t v)
{
	cJSON *n = cJSON_CreateNumber((double)v);
	n->type |= KD_JSON_INT;
	n->valueint = 0;
	if (fabs(n->valuedouble) >= EXACT_DOUBLE)
		n->valueint = (int)(v - dbl_int(n->valuedouble));
	return n;
}

int64_t kd_json_int(const cJSON *v)
{
	int64_t base = dbl_int(v->valuedouble);
	/* Only numbers made by kd_json_new_int carry a correction; cJSON's own numbers hold the
	 * clamped value in valueint, which is never within MAX_FIX past 2^53. */
	if ((v->type & KD_JSON_INT) && fabs(v->valuedouble) >= EXACT_DOUBLE && v->valueint >= -MAX_FIX &&
		v->valueint <= MAX_FIX) {
		int64_t fix = v->valueint;
		if ((fix > 0 && base > INT64_MAX - fix) || (fix < 0 && base < INT64_MIN - fix))
			return base;
		return base + fix;
	}
	return base;
}

void kd_json_delete(cJSON *item)
{
	while (item) {
		cJSON *next = item->next;
		if (!(item->type & cJSON_IsReference) && item->child) {
			/* the children go before the siblings: a flat walk instead of recursion */
			cJSON *tail = item->child;
			while (tail->next)
				tail = tail->next;
			tail->next = next;
			next = item->child;
		}
		if (!(item->type & cJSON_IsReference) && item->valuestring)
			cJSON_free(item->valuestring);
		if (!(item->type & cJSON_StringIsConst) && item->string)
			cJSON_free(item->string);
		cJSON_free(item);
		item = next;
	}
}

static size_t node_size(const cJSON *n)
{
	size_t s = sizeof(cJSON);
	if (n->string)
		s += strlen(n->string) + 1;
	if ((cJSON_IsString(n) || cJSON_IsRaw(n)) && n->valuestring)
		s += strlen(n->valuestring) + 1;
	return s;
}

size_t kd_json_size(const cJSON *v, size_t limit)
{
	/* nodes still to visit, on a stack of our own */
	const cJSON *stackv[64], **st = stackv;
	size_t n = 0, cap = 64, total = 0;
	if (v)
		st[n++] = v;
	while (n && total <= limit) {
		const cJSON *x = st[--n];
		total += node_size(x);
		if (!cJSON_IsArray(x) && !cJSON_IsObject(x))
			continue;
		for (const cJSON *c = x->child; c; c = c->next) {
			if (n == cap) {
				cap *= 2;
				if (st == stackv) {
					st = kd_malloc(cap * sizeof(*st));
					memcpy(st, stackv, sizeof(stackv));
				} else {
					st = kd_realloc(st, cap * sizeof(*st));
				}
			}
			st[n++] = c;
		}
	}
	if (st != stackv)
		free(st);
	return total > limit ? limit + 1 : total;
}

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = cJSON_malloc(n);
	memcpy(p, s, n);
	return p;
}

static cJSON *copy_node(const cJSON *s)
{
	cJSON *d = cJSON_CreateNull();
	d->type = s->type & ~(cJSON_IsReference | KD_JSON_PINNED);
	d->valueint = s->valueint;
	d->valuedouble = s->valuedouble;
	if (s->valuestring)
		d->valuestring = dup_str(s->valuestring);
	if (s->string)
		d->string = (s->type & cJSON_StringIsConst) ? s->string : dup_str(s->string);
	return d;
}

int kd_json_dup(cJSON **out, const cJSON *v, size_t *budget)
{
	/* (source, copy, depth) triples whose children are still to be copied */
	typedef struct {
		const cJSON *src;
		cJSON *dst;
		int depth;
	} pend;
	pend *st = NULL;
	size_t n = 0, cap = 0;
	cJSON *root = NULL;
	*out = NULL;
	if (!v)
		return 0;
	size_t need = node_size(v);
	if (budget && need > *budget)
		goto over;
	if (budget)
		*budget -= need;
	root = copy_node(v);
	if (v->child) {
		cap = 64;
		st = kd_malloc(cap * sizeof(*st));
		st[n++] = (pend){v, root, 0};
	}
	while (n) {
		pend p = st[--n];
		if (p.depth >= KD_JSON_MAX_DEPTH) {
			kd_json_delete(root);
			free(st);
			return kd_error_set(KD_ERR_INTERNAL, "value nested too deeply (over %d levels)", KD_JSON_MAX_DEPTH),
			       KD_EINVALID;
		}
		cJSON *tail = NULL;
		for (const cJSON *c = p.src->child; c; c = c->next) {
			need = node_size(c);
			if (budget && need > *budget)
				goto over;
			if (budget)
				*budget -= need;
			cJSON *d = copy_node(c);
			if (tail) {
				tail->next = d;
				d->prev = tail;
			} else {
				p.dst->child = d;
			}
			tail = d;
			p.dst->child->prev = tail;
			if (c->child) {
				if (n == cap) {
					cap *= 2;
					st = kd_realloc(st, cap * sizeof(*st));
				}
				st[n++] = (pend){c, d, p.depth + 1};
			}
		}
	}
	free(st);
	*out = root;
	return 0;
over:
	kd_json_delete(root);
	free(st);
	return kd_error_set(KD_ERR_INTERNAL, "the copy would take more memory than is left for it"), KD_ELIMIT;
}

cJSON *kd_json_get(const cJSON *obj, const char *key)
{
	if (!obj || !cJSON_IsObject(obj))
		return NULL;
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

cJSON *kd_json_path(const cJSON *obj, ...)
{
	va_list ap;
	const char *k;
	const cJSON *cur = obj;
	va_start(ap, obj);
	while (cur && (k = va_arg(ap, const char *)) != NULL)
		cur = kd_json_get(cur, k);
	va_end(ap);
	return (cJSON *)cur;
}

const char *kd_json_get_str(const cJSON *obj, const char *key)
{
	cJSON *v = kd_json_get(obj, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool scalar_equal(const cJSON *a, const cJSON *b)
{
	switch (a->type & 0xFF) {
	case cJSON_False:
	case cJSON_True:
	case cJSON_NULL:
		return true;
	case cJSON_Number:
		if ((a->type & KD_JSON_INT) && (b->type & KD_JSON_INT))
			return kd_json_int(a) == kd_json_int(b);
		return a->valuedouble == b->valuedouble;
	case cJSON_String:
	case cJSON_Raw:
		return strcmp(a->valuestring, b->valuestring) == 0;
	}
	return false;
}

bool kd_json_equal(const cJSON *a, const cJSON *b)
{
	/* A work list of pairs still to compare, each with its depth; object members are matched
	 * through a hash of b's keys. */
	typedef struct {
		const cJSON *a, *b;
		int depth;
	} pair;
	pair *st = kd_malloc(64 * sizeof(*st));
	size_t n = 0, cap = 64;
	bool eq = true;
	st[n++] = (pair){a, b, 0};
	while (n && eq) {
		pair p = st[--n];
		if (p.a == p.b)
			continue;
		if (!p.a || !p.b || (p.a->type & 0xFF) != (p.b->type & 0xFF) || p.depth > KD_JSON_MAX_DEPTH) {
			eq = false;
			break;
		}
		int t = p.a->type & 0xFF;
		if (t != cJSON_Array && t != cJSON_Object) {
			eq = scalar_equal(p.a, p.b);
			continue;
		}
		/* Objects compare as Go decodes them: a key given twice holds its last value, so each
		 * side's members are first reduced to the last of each key (maps `ka`, `kb`). */
		kd_strmap ka = KD_STRMAP_INIT, kb = KD_STRMAP_INIT;
		size_t na = 0, nb = 0;
		bool keyless = false; /* an object member without a key (cJSON allows building one) */
		for (const cJSON *x = p.a->child; x; x = x->next) {
			na++;
			if (t == cJSON_Object && !(keyless |= !x->string))
				kd_strmap_put(&ka, x->string, strlen(x->string), (void *)x);
		}
		for (const cJSON *y = p.b->child; y; y = y->next) {
			nb++;
			if (t == cJSON_Object && !(keyless |= !y->string))
				kd_strmap_put(&kb, y->string, strlen(y->string), (void *)y);
		}
		if (keyless || (t == cJSON_Object ? ka.count != kb.count : na != nb)) {
			eq = false;
		} else {
			const cJSON *y = p.b->child;
			for (const cJSON *x = p.a->child; x && eq; x = x->next, y = y ? y->next : NULL) {
				const cJSON *other = y;
				if (t == cJSON_Object) {
					/* a member that a later member of its key replaces */
					if (kd_strmap_get(&ka, x->string, strlen(x->string)) != x)
						continue;
					other = kd_strmap_get(&kb, x->string, strlen(x->string));
				}
				if (!other) {
					eq = false;
					break;
				}
				if (n == cap) {
					cap *= 2;
					st = kd_realloc(st, cap * sizeof(*st));
				}
				st[n++] = (pair){x, other, p.depth + 1};
			}
		}
		kd_strmap_free(&ka);
		kd_strmap_free(&kb);
	}
	free(st);
	return eq;
}

typedef enum { FMT_G64, FMT_G32, FMT_JSON } fmt_mode;

static char *fmt_float(char *buf, size_t size, double v, fmt_mode mode);

char *kd_json_fmt_float(char *buf, size_t size, double v)
{
	return fmt_float(buf, size, v, FMT_G64);
}

char *kd_json_fmt_float32(char *buf, size_t size, double v)
{
	return fmt_float(buf, size, (double)(float)v, FMT_G32);
}

char *kd_json_fmt_number(char *buf, size_t size, double v)
{
	return fmt_float(buf, size, v, FMT_JSON);
}

static char *fmt_float(char *buf, size_t size, double v, fmt_mode mode)
{
	bool f32 = mode == FMT_G32;
	char tmp[64], digits[32];
	int exp10 = 0, nd = 0, prec;
	if (isnan(v)) {
		snprintf(buf, size, "NaN");
		return buf;
	}
	if (isinf(v)) {
		snprintf(buf, size, v > 0 ? "+Inf" : "-Inf");
		return buf;
	}
	/* The shortest %e precision that reads back as the same double (float): Go's shortest
	 * digits. */
	for (prec = 0; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec, v);
		if (f32 ? strtof(tmp, NULL) == (float)v : strtod(tmp, NULL) == v)
			break;
	}
	const char *p = tmp;
	bool neg = false;
	if (*p == '-') {
		neg = true;
		p++;
	}
	for (; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			digits[nd++] = *p;
	if (*p == 'e')
		exp10 = (int)strtol(p + 1, NULL, 10);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	if (v == 0) {
		nd = 1;
		exp10 = 0;
	}
	size_t o = 0;
#define PUT(c)                       \
	do {                             \
		if (o + 1 < size)            \
			buf[o++] = (c);          \
	} while (0)
	if (neg)
		PUT('-');
	/* Go's 'g' with shortest precision switches to exponent form outside [1e-4, 1e6);
	 * encoding/json outside [1e-6, 1e21) */
	{
		bool expo = mode == FMT_JSON ? v != 0 && (fabs(v) < 1e-6 || fabs(v) >= 1e21) : exp10 < -4 || exp10 >= 6;
		if (expo) {
			PUT(digits[0]);
			if (nd > 1) {
				PUT('.');
				for (int i = 1; i < nd; i++)
					PUT(digits[i]);
			}
			PUT('e');
			PUT(exp10 < 0 ? '-' : '+');
			int e = exp10 < 0 ? -exp10 : exp10;
			char eb[8];
			/* strconv writes two exponent digits at least; encoding/json drops a negative
			 * one's leading zero ("e-07" -> "e-7") */
			int en = snprintf(eb, sizeof(eb), mode == FMT_JSON && exp10 < 0 ? "%d" : "%02d", e);
			for (int i = 0; i < en; i++)
				PUT(eb[i]);
			buf[o] = '\0';
			return buf;
		}
	}
	int dp = exp10 + 1; /* digits before the decimal point */
	if (dp <= 0) {
		PUT('0');
		PUT('.');
		for (int i = 0; i < -dp; i++)
			PUT('0');
		for (int i = 0; i < nd; i++)
			PUT(digits[i]);
	} else {
		for (int i = 0; i < dp; i++)
			PUT(i < nd ? digits[i] : '0');
		if (nd > dp) {
			PUT('.');
			for (int i = dp; i < nd; i++)
				PUT(digits[i]);
		}
	}
#undef PUT
	buf[o] = '\0';
	return buf;
}

void kd_json_describe(kd_buf *b, const cJSON *v, bool with_kind)
{
	char num[64];
	if (cJSON_IsString(v)) {
		const char *s = v->valuestring;
		size_t n = strlen(s);
		kd_buf_puts(b, with_kind ? "string \"" : "\"");
		for (size_t i = 0; i < n && i < 80; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c == '"' || c == '\\')
				kd_buf_printf(b, "\\%c", c);
			else if (c < 0x20 || c == 0x7f)
				kd_buf_printf(b, "\\x%02x", c);
			else
				kd_buf_putc(b, (char)c);
		}
		kd_buf_puts(b, n > 80 ? "...\"" : "\"");
	} else if (cJSON_IsNumber(v)) {
		kd_buf_printf(b, "%s%s", with_kind ? "number " : "", kd_json_fmt_float(num, sizeof num, v->valuedouble));
	} else if (cJSON_IsBool(v)) {
		kd_buf_printf(b, "%s%s", with_kind ? "boolean " : "", cJSON_IsTrue(v) ? "true" : "false");
	} else if (cJSON_IsNull(v)) {
		kd_buf_puts(b, "null");
	} else if (cJSON_IsArray(v)) {
		kd_buf_puts(b, "a list");
	} else if (cJSON_IsObject(v)) {
		kd_buf_puts(b, "a map");
	} else {
		kd_buf_puts(b, "an unknown value");
	}
}
