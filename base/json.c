#include "json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cJSON *kd_json_new_int(int64_t v)
{
	cJSON *n = cJSON_CreateNumber((double)v);
	n->type |= KD_JSON_INT;
	return n;
}

int64_t kd_json_int(const cJSON *v)
{
	double d = v->valuedouble;
	if (d >= 9223372036854775807.0)
		return INT64_MAX;
	if (d <= -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)d;
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

bool kd_json_equal(const cJSON *a, const cJSON *b)
{
	if (a == b)
		return true;
	if (!a || !b || (a->type & 0xFF) != (b->type & 0xFF))
		return false;
	switch (a->type & 0xFF) {
	case cJSON_False:
	case cJSON_True:
	case cJSON_NULL:
		return true;
	case cJSON_Number:
		return a->valuedouble == b->valuedouble;
	case cJSON_String:
	case cJSON_Raw:
		return strcmp(a->valuestring, b->valuestring) == 0;
	case cJSON_Array: {
		const cJSON *x = a->child, *y = b->child;
		for (; x && y; x = x->next, y = y->next)
			if (!kd_json_equal(x, y))
				return false;
		return !x && !y;
	}
	case cJSON_Object: {
		int na = cJSON_GetArraySize(a), nb = cJSON_GetArraySize(b);
		if (na != nb)
			return false;
		for (const cJSON *x = a->child; x; x = x->next)
			if (!kd_json_equal(x, kd_json_get(b, x->string)))
				return false;
		return true;
	}
	}
	return false;
}

char *kd_json_fmt_float(char *buf, size_t size, double v)
{
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
	/* The shortest %e precision that reads back as the same double: Go's shortest digits. */
	for (prec = 0; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec, v);
		if (strtod(tmp, NULL) == v)
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
	/* Go's 'g' with shortest precision switches to exponent form outside [1e-4, 1e6). */
	{
		if (exp10 < -4 || exp10 >= 6) {
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
			int en = snprintf(eb, sizeof(eb), "%02d", e);
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
