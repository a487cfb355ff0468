/* Shared machinery of the sprig library: Go-typed argument checks, sprig's conversions,
 * Go's type names, emptiness and equality, Unicode helpers. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <wctype.h>

#include "../base/strconv.h"
#include "sprig_priv.h"

/* ---- Go types ------------------------------------------------------------------------ */

bool kd_tpl__sp_is_time(const cJSON *v)
{
	return cJSON_IsObject(v) && v->child && v->child->string &&
		strcmp(v->child->string, KD_SP_TIME_KEY) == 0;
}

bool kd_tpl__sp_is_semver(const cJSON *v)
{
	return cJSON_IsObject(v) && v->child && v->child->string &&
		strcmp(v->child->string, KD_SP_SEMVER_KEY) == 0;
}

bool kd_tpl__sp_is_list(const cJSON *v)
{
	return cJSON_IsArray(v);
}

const char *kd_tpl__sp_typeof(const cJSON *v)
{
	if (!v || cJSON_IsNull(v))
		return "<nil>";
	if (cJSON_IsString(v))
		return "string";
	if (cJSON_IsBool(v))
		return "bool";
	if (cJSON_IsNumber(v)) {
		if (!(v->type & KD_JSON_INT))
			return "float64";
		return (v->type & KD_SP_INT64) ? "int64" : "int";
	}
	if (cJSON_IsArray(v)) {
		if (v->type & KD_SP_STRS)
			return "[]string";
		if (v->type & KD_SP_INTS)
			return "[]int";
		return "[]interface {}";
	}
	if (kd_tpl__sp_is_time(v))
		return "time.Time";
	if (kd_tpl__sp_is_semver(v))
		return "*semver.Version";
	if (v->type & KD_SP_STRS)
		return "map[string]string";
	return "map[string]interface {}";
}

const char *kd_tpl__sp_kindof(const cJSON *v)
{
	if (!v || cJSON_IsNull(v))
		return "invalid";
	if (cJSON_IsArray(v))
		return "slice";
	if (kd_tpl__sp_is_time(v))
		return "struct";
	if (kd_tpl__sp_is_semver(v))
		return "ptr";
	if (cJSON_IsObject(v))
		return "map";
	return kd_tpl__sp_typeof(v);
}

bool kd_tpl__sp_empty(const cJSON *v)
{
	if (!v || cJSON_IsNull(v))
		return true;
	if (cJSON_IsString(v))
		return v->valuestring[0] == '\0';
	if (cJSON_IsBool(v))
		return cJSON_IsFalse(v);
	if (cJSON_IsNumber(v))
		return v->valuedouble == 0;
	if (kd_tpl__sp_is_time(v) || kd_tpl__sp_is_semver(v))
		return false;
	return v->child == NULL;
}

static bool deep_equal(const cJSON *a, const cJSON *b, int depth)
{
	if (strcmp(kd_tpl__sp_typeof(a), kd_tpl__sp_typeof(b)) != 0)
		return false;
	if (!a || cJSON_IsNull(a))
		return true;
	if (depth > KD_JSON_MAX_DEPTH || kd_stack_low()) {
		kd_tpl__fail_later("value nested too deeply to compare (the limit is %d levels, fewer where the stack runs out)", KD_JSON_MAX_DEPTH);
		return false;
	}
	if (cJSON_IsArray(a)) {
		const cJSON *x = a->child, *y = b->child;
		for (; x && y; x = x->next, y = y->next)
			if (!deep_equal(x, y, depth + 1))
				return false;
		return !x && !y;
	}
	if (cJSON_IsObject(a)) {
		int na = cJSON_GetArraySize(a), nb = cJSON_GetArraySize(b);
		if (na != nb)
			return false;
		for (const cJSON *x = a->child; x; x = x->next) {
			const cJSON *y = kd_tpl__obj_get(NULL, b, x->string);
			if (!y || !deep_equal(x, y, depth + 1))
				return false;
		}
		return true;
	}
	return kd_json_equal(a, b);
}

bool kd_tpl__sp_deep_equal(const cJSON *a, const cJSON *b)
{
	return deep_equal(a, b, 0);
}

/* ---- typed parameters ------------------------------------------------------------------ */

static const char *argtype(const cJSON *v)
{
	return (!v || cJSON_IsNull(v)) ? "interface {}" : kd_tpl__sp_typeof(v);
}

int kd_tpl__sp_arg_str(kd_tpl__call *call, const cJSON *v, const char **out)
{
	if (cJSON_IsString(v)) {
		*out = v->valuestring;
		return 0;
	}
	return kd_tpl__fn_fail(call, "wrong type for value; expected string; got %s", argtype(v));
}

int kd_tpl__sp_arg_int(kd_tpl__call *call, const cJSON *v, int64_t *out)
{
	if (kd_json_is_int(v) && !(v->type & KD_SP_INT64)) {
		*out = kd_json_int(v);
		return 0;
	}
	return kd_tpl__fn_fail(call, "wrong type for value; expected int; got %s", argtype(v));
}

int kd_tpl__sp_arg_bool(kd_tpl__call *call, const cJSON *v, bool *out)
{
	if (cJSON_IsBool(v)) {
		*out = cJSON_IsTrue(v);
		return 0;
	}
	return kd_tpl__fn_fail(call, "wrong type for value; expected bool; got %s", argtype(v));
}

int kd_tpl__sp_arg_float(kd_tpl__call *call, const cJSON *v, double *out)
{
	/* Untyped integer constants convert to float64 parameters; an int result does not, but
	 * the two are indistinguishable here, so ints are accepted. */
	if (cJSON_IsNumber(v) && !(v->type & KD_SP_INT64)) {
		*out = v->valuedouble;
		return 0;
	}
	return kd_tpl__fn_fail(call, "wrong type for value; expected float64; got %s", argtype(v));
}

int kd_tpl__sp_arg_map(kd_tpl__call *call, const cJSON *v)
{
	if (cJSON_IsObject(v) && !kd_tpl__sp_is_time(v) && !kd_tpl__sp_is_semver(v) &&
		!(v->type & KD_SP_STRS))
		return 0;
	return kd_tpl__fn_fail(call, "wrong type for value; expected map[string]interface {}; got %s",
		argtype(v));
}

int kd_tpl__sp_arg_time(kd_tpl__call *call, const cJSON *v, int64_t *sec, int64_t *nsec,
	int *offset, const char **zone)
{
	if (!kd_tpl__sp_is_time(v))
		return kd_tpl__fn_fail(call, "wrong type for value; expected time.Time; got %s",
			argtype(v));
	const cJSON *a = v->child;
	const cJSON *s = cJSON_GetArrayItem(a, 0), *n = cJSON_GetArrayItem(a, 1);
	const cJSON *o = cJSON_GetArrayItem(a, 2), *z = cJSON_GetArrayItem(a, 3);
	*sec = s ? kd_json_int(s) : 0;
	*nsec = n ? kd_json_int(n) : 0;
	*offset = o ? (int)kd_json_int(o) : 0;
	*zone = (z && cJSON_IsString(z)) ? z->valuestring : "UTC";
	return 0;
}

cJSON *kd_tpl__sp_new_time(int64_t sec, int64_t nsec, int offset, const char *zone)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *a = cJSON_AddArrayToObject(o, KD_SP_TIME_KEY);
	cJSON_AddItemToArray(a, kd_json_new_int(sec));
	cJSON_AddItemToArray(a, kd_json_new_int(nsec));
	cJSON_AddItemToArray(a, kd_json_new_int(offset));
	cJSON_AddItemToArray(a, cJSON_CreateString(zone));
	return o;
}

/* ---- sprig's conversions --------------------------------------------------------------- */

int64_t kd_tpl__sp_toint64(const cJSON *v)
{
	if (cJSON_IsString(v)) {
		int64_t i;
		return kd_go_parse_int(v->valuestring, 10, &i) == 0 ? i : 0;
	}
	if (cJSON_IsTrue(v))
		return 1;
	if (cJSON_IsNumber(v)) {
		if (v->type & KD_JSON_INT)
			return kd_json_int(v);
		double d = v->valuedouble;
		/* Go's float->int64 conversion on amd64 yields MinInt64 out of range. */
		if (isnan(d) || d >= 9223372036854775808.0 || d < -9223372036854775808.0)
			return INT64_MIN;
		return (int64_t)d;
	}
	return 0;
}

double kd_tpl__sp_tofloat64(const cJSON *v)
{
	if (cJSON_IsString(v)) {
		double d;
		return kd_go_parse_float(v->valuestring, &d) == 0 ? d : 0;
	}
	if (cJSON_IsTrue(v))
		return 1;
	if (cJSON_IsNumber(v))
		return (v->type & KD_JSON_INT) ? (double)kd_json_int(v) : v->valuedouble;
	return 0;
}

/* ---- strings of values ----------------------------------------------------------------- */

int kd_tpl__sp_strval(kd_buf *b, const cJSON *v)
{
	if (cJSON_IsString(v))
		return kd_buf_puts(b, v->valuestring);
	if (kd_tpl__sp_is_time(v))
		return kd_tpl__sp_time_string(b, v);
	if (kd_tpl__sp_is_semver(v)) {
		const char *s = kd_json_get_str(v, "String");
		return kd_buf_puts(b, s ? s : "");
	}
	return kd_tpl__fmt_value(b, v);
}

bool kd_tpl__sprig_fmt_special(kd_buf *out, const cJSON *v)
{
	if (!kd_tpl__sp_is_time(v) && !kd_tpl__sp_is_semver(v))
		return false;
	kd_tpl__sp_strval(out, v);
	return true;
}

cJSON *kd_tpl__sp_new_strn(const char *s, size_t n)
{
	char *t = kd_strndup(s, n);
	cJSON *r = cJSON_CreateString(t);
	free(t);
	return r;
}

bool kd_tpl__sp_buf_ok(const kd_buf *b)
{
	if (!b->err)
		return true;
	kd_tpl__fail_later("the result exceeds the limit of %zu MiB for one string", b->max >> 20);
	return false;
}

cJSON *kd_tpl__sp_take_buf(kd_buf *b)
{
	cJSON *r;
	if (b->err) {
		kd_tpl__fail_later("the result exceeds the limit of %zu MiB for one string", b->max >> 20);
		r = cJSON_CreateString("");
	} else if (memchr(kd_buf_cstr(b), '\0', b->len)) {
		kd_tpl__fail_later("the result holds a NUL byte (\\x00), which kudoc's strings cannot carry "
				   "(keep binary data base64-encoded)");
		r = cJSON_CreateString("");
	} else {
		r = cJSON_CreateString(kd_buf_cstr(b));
	}
	kd_buf_free(b);
	return r;
}

cJSON *kd_tpl__sp_dup(const cJSON *v)
{
	if (!v)
		return cJSON_CreateNull();
	size_t left = kd_tpl__budget_left(NULL);
	cJSON *d = NULL;
	int rc = kd_json_dup(&d, v, left == SIZE_MAX ? NULL : &left);
	if (rc == KD_ELIMIT) {
		kd_tpl__fail_later("copying the value would take more than the memory left for the template's values");
		return cJSON_CreateNull();
	}
	if (rc) {
		kd_tpl__fail_later("%s", kd_error_last());
		return cJSON_CreateNull();
	}
	return d;
}

/* ---- Unicode ---------------------------------------------------------------------------- */



/* Non-ASCII classification goes through glibc's C.UTF-8 tables, close to Go's unicode. */
static locale_t utf8_locale(void)
{
	static locale_t loc;
	static bool tried;
	if (!tried) {
		loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
		tried = true;
	}
	return loc;
}

uint32_t kd_tpl__sp_to_upper(uint32_t c)
{
	if (c < 0x80)
		return (c >= 'a' && c <= 'z') ? c - 32 : c;
	locale_t l = utf8_locale();
	return l ? (uint32_t)towupper_l((wint_t)c, l) : c;
}

uint32_t kd_tpl__sp_to_title(uint32_t c)
{
	/* The Latin digraphs have a title case distinct from their upper case. */
	if (c >= 0x1C4 && c <= 0x1CC)
		return 0x1C5 + (c - 0x1C4) / 3 * 3;
	if (c >= 0x1F1 && c <= 0x1F3)
		return 0x1F2;
	return kd_tpl__sp_to_upper(c);
}

uint32_t kd_tpl__sp_to_lower(uint32_t c)
{
	if (c < 0x80)
		return (c >= 'A' && c <= 'Z') ? c + 32 : c;
	locale_t l = utf8_locale();
	return l ? (uint32_t)towlower_l((wint_t)c, l) : c;
}

bool kd_tpl__sp_is_upper(uint32_t c)
{
	if (c < 0x80)
		return c >= 'A' && c <= 'Z';
	locale_t l = utf8_locale();
	return l && iswupper_l((wint_t)c, l);
}

bool kd_tpl__sp_is_lower(uint32_t c)
{
	if (c < 0x80)
		return c >= 'a' && c <= 'z';
	locale_t l = utf8_locale();
	return l && iswlower_l((wint_t)c, l);
}

bool kd_tpl__sp_is_letter(uint32_t c)
{
	if (c < 0x80)
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
	if (c == 0xAA || c == 0xB5 || c == 0xBA)
		return true;
	locale_t l = utf8_locale();
	return l && iswalpha_l((wint_t)c, l) && !iswdigit_l((wint_t)c, l);
}

bool kd_tpl__sp_is_digit(uint32_t c)
{
	if (c < 0x80)
		return c >= '0' && c <= '9';
	if (c == 0xB2 || c == 0xB3 || c == 0xB9 || (c >= 0xBC && c <= 0xBE))
		return true; /* Go's IsNumber includes No */
	locale_t l = utf8_locale();
	return l && iswdigit_l((wint_t)c, l);
}

bool kd_tpl__sp_is_space(uint32_t c)
{
	switch (c) {
	case '\t': case '\n': case '\v': case '\f': case '\r': case ' ': case 0x85: case 0xA0:
	case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
		return true;
	}
	return c >= 0x2000 && c <= 0x200A;
}

bool kd_tpl__sp_is_punct(uint32_t c)
{
	if (c < 0x80)
		return c && strchr("!\"#%&'()*,-./:;?@[\\]_{}", (int)c) != NULL;
	switch (c) {
	case 0xA1: case 0xA7: case 0xAB: case 0xB6: case 0xB7: case 0xBB: case 0xBF:
		return true;
	}
	if (c < 0x2000)
		return false;
	locale_t l = utf8_locale();
	return l && iswpunct_l((wint_t)c, l) && c >= 0x2010 && c <= 0x2E4F;
}

void kd_tpl__sp_random(void *buf, size_t n)
{
	unsigned char *p = buf;
	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			abort(); /* no entropy source: nothing sensible to return */
		}
		p += r;
		n -= (size_t)r;
	}
}
