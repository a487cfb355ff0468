/* sprig's defaults, reflection, hashes, UUIDs, semver (Masterminds/semver v1.5.0, which
 * sprig v2.22.0 uses) and the network function kudoc refuses to run. */
#include <openssl/evp.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "sprig_priv.h"

/* ---- defaults ------------------------------------------------------------------------------ */

KD_SP_FN(default)
{
	if (nargs < 2 || kd_tpl__sp_empty(args[1]))
		*out = kd_tpl__sp_dup(args[0]);
	else
		*out = kd_tpl__sp_dup(args[1]);
	return 0;
}

KD_SP_FN(empty)
{
	*out = cJSON_CreateBool(kd_tpl__sp_empty(args[0]));
	return 0;
}

KD_SP_FN(coalesce)
{
	for (int i = 0; i < nargs; i++) {
		if (!kd_tpl__sp_empty(args[i])) {
			*out = kd_tpl__sp_dup(args[i]);
			return 0;
		}
	}
	*out = cJSON_CreateNull();
	return 0;
}

KD_SP_FN(ternary)
{
	bool b;
	if (kd_tpl__sp_arg_bool(call, args[2], &b) < 0)
		return KD_ERROR;
	*out = kd_tpl__sp_dup(b ? args[0] : args[1]);
	return 0;
}

KD_SP_FN(fail)
{
	STR_ARG(msg, 0);
	return kd_tpl__fn_fail(call, "%s", msg);
}

/* ---- reflection ---------------------------------------------------------------------------- */

KD_SP_FN(typeOf)
{
	*out = cJSON_CreateString(kd_tpl__sp_typeof(args[0]));
	return 0;
}

KD_SP_FN(typeIs)
{
	STR_ARG(t, 0);
	*out = cJSON_CreateBool(strcmp(t, kd_tpl__sp_typeof(args[1])) == 0);
	return 0;
}

KD_SP_FN(typeIsLike)
{
	STR_ARG(t, 0);
	const char *have = kd_tpl__sp_typeof(args[1]);
	*out = cJSON_CreateBool(strcmp(t, have) == 0 || (have[0] == '*' && strcmp(t, have + 1) == 0));
	return 0;
}

KD_SP_FN(kindOf)
{
	*out = cJSON_CreateString(kd_tpl__sp_kindof(args[0]));
	return 0;
}

KD_SP_FN(kindIs)
{
	STR_ARG(t, 0);
	*out = cJSON_CreateBool(strcmp(t, kd_tpl__sp_kindof(args[1])) == 0);
	return 0;
}

KD_SP_FN(deepEqual)
{
	*out = cJSON_CreateBool(kd_tpl__sp_deep_equal(args[0], args[1]));
	return 0;
}

/* ---- hashes and ids ------------------------------------------------------------------------ */

static int digest(cJSON **out, kd_tpl__call *call, const cJSON *arg, const EVP_MD *md)
{
	const char *s;
	if (kd_tpl__sp_arg_str(call, arg, &s) < 0)
		return KD_ERROR;
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (!EVP_Digest(s, strlen(s), h, &n, md, NULL))
		return kd_tpl__fn_fail(call, "digest failed");
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	for (unsigned int i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	hex[2 * n] = '\0';
	*out = cJSON_CreateString(hex);
	return 0;
}

KD_SP_FN(sha1sum)
{
	return digest(out, call, args[0], EVP_sha1());
}

KD_SP_FN(sha256sum)
{
	return digest(out, call, args[0], EVP_sha256());
}

KD_SP_FN(adler32sum)
{
	STR_ARG(s, 0);
	uLong a = adler32(1L, (const Bytef *)s, (uInt)strlen(s));
	char t[16];
	snprintf(t, sizeof t, "%lu", (unsigned long)a);
	*out = cJSON_CreateString(t);
	return 0;
}

KD_SP_FN(uuidv4)
{
	unsigned char u[16];
	kd_tpl__sp_random(u, sizeof u);
	u[6] = (unsigned char)((u[6] & 0x0F) | 0x40);
	u[8] = (unsigned char)((u[8] & 0x3F) | 0x80);
	char t[40];
	snprintf(t, sizeof t,
		"%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2],
		u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	*out = cJSON_CreateString(t);
	return 0;
}

KD_SP_FN(getHostByName)
{
	return kd_tpl__fn_fail(call,
		"getHostByName is not supported: kudoc renders templates without network lookups");
}

/* ---- semver (Masterminds/semver v1.5.0) ---------------------------------------------------- */

typedef struct {
	int64_t major, minor, patch;
	char pre[256];
	char meta[256];
} semv;

#define SV_CORE "v?([0-9]+)(\\.[0-9]+)?(\\.[0-9]+)?"
#define CV_CORE "v?([0-9|x|X|\\*]+)(\\.[0-9|x|X|\\*]+)?(\\.[0-9|x|X|\\*]+)?"
#define SV_TAIL "(-([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?(\\+([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?"

/* Runs `pattern` on s; fills groups (start,end pairs; -1 when unset). Returns the match count
 * (>0) or <= 0 for no match. */
static int rx(const char *pattern, const char *s, size_t len, size_t start, PCRE2_SIZE *ov, int nov)
{
	int err;
	PCRE2_SIZE eo;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &err, &eo, NULL);
	if (!re)
		return -1;
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	int rc = pcre2_match(re, (PCRE2_SPTR)s, len, start, 0, md, NULL);
	if (rc > 0) {
		PCRE2_SIZE *o = pcre2_get_ovector_pointer(md);
		uint32_t n = pcre2_get_ovector_count(md);
		for (int i = 0; i < nov; i++)
			ov[i] = (uint32_t)(i / 2) < n ? o[i] : PCRE2_UNSET;
	}
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	return rc;
}

static void group(char *dst, size_t cap, const char *s, const PCRE2_SIZE *ov, int g)
{
	dst[0] = '\0';
	if (ov[2 * g] == PCRE2_UNSET)
		return;
	size_t n = ov[2 * g + 1] - ov[2 * g];
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s + ov[2 * g], n);
	dst[n] = '\0';
}

/* NewVersion: 0, or -1 with the message in err. */
static int semv_parse(semv *v, const char *s, const char **err)
{
	PCRE2_SIZE ov[20];
	memset(v, 0, sizeof *v);
	if (rx("^" SV_CORE SV_TAIL "$", s, strlen(s), 0, ov, 20) <= 0) {
		*err = "Invalid Semantic Version";
		return -1;
	}
	char t[64];
	int64_t *segs[3] = {&v->major, &v->minor, &v->patch};
	for (int g = 1; g <= 3; g++) {
		group(t, sizeof t, s, ov, g);
		if (!t[0])
			continue;
		if (kd_tpl__sp_parse_int(t[0] == '.' ? t + 1 : t, 10, segs[g - 1]) < 0) {
			*err = "Error parsing version segment: value out of range";
			return -1;
		}
	}
	group(v->pre, sizeof v->pre, s, ov, 5);
	group(v->meta, sizeof v->meta, s, ov, 8);
	return 0;
}

static int cmp64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	if (!*s)
		return false;
	uint64_t v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

static int cmp_pre_part(const char *s, const char *o)
{
	if (strcmp(s, o) == 0)
		return 0;
	if (!*s)
		return -1;
	if (!*o)
		return 1;
	uint64_t si = 0, oi = 0;
	bool sn = parse_u64(s, &si), on = parse_u64(o, &oi);
	if (!sn && !on)
		return strcmp(s, o) > 0 ? 1 : -1;
	if (!on)
		return -1;
	if (!sn)
		return 1;
	return si > oi ? 1 : -1;
}

static int semv_cmp(const semv *a, const semv *b)
{
	int d;
	if ((d = cmp64(a->major, b->major)) || (d = cmp64(a->minor, b->minor)) ||
		(d = cmp64(a->patch, b->patch)))
		return d;
	if (!a->pre[0] && !b->pre[0])
		return 0;
	if (!a->pre[0])
		return 1;
	if (!b->pre[0])
		return -1;
	const char *p = a->pre, *q = b->pre;
	while (*p || *q) {
		char x[256], y[256];
		size_t i = strcspn(p, "."), j = strcspn(q, ".");
		memcpy(x, p, i);
		x[i] = '\0';
		memcpy(y, q, j);
		y[j] = '\0';
		if ((d = cmp_pre_part(x, y)))
			return d;
		p += i + (p[i] == '.');
		q += j + (q[j] == '.');
		if (!*p && !*q)
			break;
	}
	return 0;
}

typedef struct {
	char op[3];
	semv con;
	bool dirty, minor_dirty, patch_dirty;
} constraint;

static bool is_x(const char *s)
{
	return !strcmp(s, "x") || !strcmp(s, "X") || !strcmp(s, "*");
}

static int parse_constraint(constraint *c, const char *s, const char **err)
{
	PCRE2_SIZE ov[24];
	if (rx("^\\s*(!=|>=|=>|<=|=<|~>|>|<|=|~|\\^|)\\s*(" CV_CORE SV_TAIL ")\\s*$", s, strlen(s), 0, ov,
			24) <= 0) {
		*err = "improper constraint";
		return -1;
	}
	char m3[64], m4[64], m5[64], m7[256], ver[400];
	group(c->op, sizeof c->op, s, ov, 1);
	group(ver, sizeof ver, s, ov, 2);
	group(m3, sizeof m3, s, ov, 3);
	group(m4, sizeof m4, s, ov, 4);
	group(m5, sizeof m5, s, ov, 5);
	group(m7, sizeof m7, s, ov, 7); /* "-pre" */
	c->dirty = c->minor_dirty = c->patch_dirty = false;
	const char *m4v = m4[0] == '.' ? m4 + 1 : m4, *m5v = m5[0] == '.' ? m5 + 1 : m5;
	if (is_x(m3)) {
		snprintf(ver, sizeof ver, "0.0.0");
		c->dirty = true;
	} else if (is_x(m4v) || !m4[0]) {
		c->minor_dirty = c->dirty = true;
		snprintf(ver, sizeof ver, "%s.0.0%s", m3, m7);
	} else if (is_x(m5v)) {
		c->dirty = c->patch_dirty = true;
		snprintf(ver, sizeof ver, "%s%s.0%s", m3, m4, m7);
	}
	const char *e2;
	if (semv_parse(&c->con, ver, &e2) < 0) {
		*err = "constraint Parser Error";
		return -1;
	}
	return 0;
}

static bool tilde(const semv *v, const constraint *c)
{
	if (v->pre[0] && !c->con.pre[0])
		return false;
	if (semv_cmp(v, &c->con) < 0)
		return false;
	if (!c->con.major && !c->con.minor && !c->con.patch && !c->minor_dirty && !c->patch_dirty)
		return true;
	if (v->major != c->con.major)
		return false;
	if (v->minor != c->con.minor && !c->minor_dirty)
		return false;
	return true;
}

static bool check(const semv *v, const constraint *c)
{
	const char *op = c->op;
	bool pre_block = v->pre[0] && !c->con.pre[0];
	int d = semv_cmp(v, &c->con);
	if (!strcmp(op, "") || !strcmp(op, "=")) {
		if (pre_block)
			return false;
		return c->dirty ? tilde(v, c) : d == 0;
	}
	if (!strcmp(op, "!=")) {
		if (!c->dirty)
			return d != 0;
		if (pre_block)
			return false;
		if (c->con.major != v->major)
			return true;
		if (c->con.minor != v->minor && !c->minor_dirty)
			return true;
		return false;
	}
	if (pre_block)
		return false;
	if (!strcmp(op, ">"))
		return d == 1;
	if (!strcmp(op, ">=") || !strcmp(op, "=>"))
		return d >= 0;
	if (!strcmp(op, "<") || !strcmp(op, "<=") || !strcmp(op, "=<")) {
		if (!c->dirty)
			return op[1] ? d <= 0 : d < 0;
		if (v->major > c->con.major)
			return false;
		if (v->minor > c->con.minor && !c->minor_dirty)
			return false;
		return true;
	}
	if (!strcmp(op, "~") || !strcmp(op, "~>"))
		return tilde(v, c);
	/* ^ */
	if (d < 0)
		return false;
	return v->major == c->con.major;
}

/* rewriteRange: "A - B" becomes ">= A, <= B". */
static void rewrite_ranges(kd_buf *b, const char *s)
{
	const char *pat = "\\s*(" CV_CORE SV_TAIL ")\\s+-\\s+(" CV_CORE SV_TAIL ")\\s*";
	size_t len = strlen(s), pos = 0;
	PCRE2_SIZE ov[46];
	kd_buf_puts(b, "");
	while (pos <= len && rx(pat, s, len, pos, ov, 46) > 0) {
		char a[300], c[300];
		group(a, sizeof a, s, ov, 1);
		group(c, sizeof c, s, ov, 11);
		kd_buf_put(b, s + pos, ov[0] - pos);
		kd_buf_printf(b, ">= %s, <= %s", a, c);
		pos = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
	}
	if (pos < len)
		kd_buf_puts(b, s + pos);
}

KD_SP_FN(semverCompare)
{
	STR_ARG(cs, 0);
	STR_ARG(vs, 1);
	const char *err = NULL;
	kd_buf b = KD_BUF_INIT;
	rewrite_ranges(&b, cs);
	/* Parse every constraint first: errors come before the version is looked at. */
	bool any_or = false;
	char *text = kd_buf_detach(&b);
	int rc = 0;
	semv v;
	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		if (pass == 1 && semv_parse(&v, vs, &err) < 0) {
			rc = kd_tpl__fn_fail(call, "%s", err);
			break;
		}
		char *or_part = text;
		while (or_part) {
			char *or_end = strstr(or_part, "||");
			if (or_end)
				*or_end = '\0';
			bool joy = true;
			char *and_part = or_part;
			while (and_part) {
				char *and_end = strchr(and_part, ',');
				if (and_end)
					*and_end = '\0';
				constraint c;
				if (parse_constraint(&c, and_part, &err) < 0) {
					if (!strcmp(err, "improper constraint"))
						rc = kd_tpl__fn_fail(call, "improper constraint: %s", and_part);
					else
						rc = kd_tpl__fn_fail(call, "%s", err);
				} else if (pass == 1 && joy && !check(&v, &c)) {
					joy = false;
				}
				if (and_end)
					*and_end = ',';
				if (rc)
					break;
				and_part = and_end ? and_end + 1 : NULL;
			}
			if (or_end) {
				or_end[0] = '|';
				or_end[1] = '|';
			}
			if (rc)
				break;
			if (pass == 1 && joy)
				any_or = true;
			or_part = or_end ? or_end + 2 : NULL;
		}
	}
	free(text);
	if (rc)
		return rc;
	*out = cJSON_CreateBool(any_or);
	return 0;
}

KD_SP_FN(semver)
{
	STR_ARG(s, 0);
	semv v;
	const char *err;
	if (semv_parse(&v, s, &err) < 0)
		return kd_tpl__fn_fail(call, "%s", err);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, KD_SP_SEMVER_KEY, cJSON_CreateTrue());
	int64_t segs[3] = {v.major, v.minor, v.patch};
	const char *names[3] = {"Major", "Minor", "Patch"};
	for (int i = 0; i < 3; i++) {
		cJSON *n = kd_json_new_int(segs[i]);
		n->type |= KD_SP_INT64;
		cJSON_AddItemToObject(o, names[i], n);
	}
	cJSON_AddStringToObject(o, "Prerelease", v.pre);
	cJSON_AddStringToObject(o, "Metadata", v.meta);
	cJSON_AddStringToObject(o, "Original", s);
	kd_buf b = KD_BUF_INIT;
	kd_buf_printf(&b, "%lld.%lld.%lld", (long long)v.major, (long long)v.minor, (long long)v.patch);
	if (v.pre[0])
		kd_buf_printf(&b, "-%s", v.pre);
	if (v.meta[0])
		kd_buf_printf(&b, "+%s", v.meta);
	cJSON_AddStringToObject(o, "String", kd_buf_cstr(&b));
	kd_buf_free(&b);
	*out = o;
	return 0;
}
