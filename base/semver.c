/* Semantic versions and ranges, Masterminds/semver v1.5.0 and v3.1 (see semver.h). The range
 * grammar is Go's regular expressions, run here with PCRE2 (their subset behaves the same). */
#include "semver.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

/* ---- versions ------------------------------------------------------------------------------ */

static bool ident_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

/* [0-9A-Za-z-]+(\.[0-9A-Za-z-]+)* starting at s; returns its length (0: none). */
static size_t dotted_idents(const char *s)
{
	size_t i = 0;
	for (;;) {
		size_t start = i;
		while (ident_char(s[i]))
			i++;
		if (i == start)
			return start == 0 ? 0 : start - 1; /* drop a trailing '.' */
		if (s[i] != '.')
			return i;
		i++;
	}
}

static bool parse_num(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

int kd_semver_parse(kd_semver *v, const char *s, kd_semver_dialect d)
{
	memset(v, 0, sizeof *v);
	/* ^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-IDENTS)?(\+IDENTS)?$ */
	const char *p = s;
	if (*p == 'v')
		p++;
	const char *seg[3] = {NULL, NULL, NULL};
	size_t seglen[3] = {0, 0, 0};
	for (int i = 0; i < 3; i++) {
		const char *q = p;
		if (i > 0) {
			if (*q != '.' || q[1] < '0' || q[1] > '9')
				break;
			q++;
		}
		size_t n = 0;
		while (q[n] >= '0' && q[n] <= '9')
			n++;
		if (n == 0)
			break;
		seg[i] = q;
		seglen[i] = n;
		p = q + n;
	}
	if (!seg[0])
		goto invalid;
	const char *pre = "", *meta = "";
	size_t prelen = 0, metalen = 0;
	if (*p == '-') {
		prelen = dotted_idents(p + 1);
		if (prelen == 0)
			goto invalid;
		pre = p + 1;
		p += 1 + prelen;
	}
	if (*p == '+') {
		metalen = dotted_idents(p + 1);
		if (metalen == 0)
			goto invalid;
		meta = p + 1;
		p += 1 + metalen;
	}
	if (*p)
		goto invalid;
	uint64_t *dst[3] = {&v->major, &v->minor, &v->patch};
	uint64_t max = d == KD_SEMVER_V1 ? (uint64_t)INT64_MAX : UINT64_MAX;
	for (int i = 0; i < 3; i++) {
		if (seg[i] && !parse_num(seg[i], seglen[i], max, dst[i])) {
			kd_error_set(KD_ERR_NONE, "Error parsing version segment: strconv.%s: parsing \"%.*s\": value out of range",
				d == KD_SEMVER_V1 ? "ParseInt" : "ParseUint", (int)seglen[i], seg[i]);
			return KD_EINVALID;
		}
	}
	if (d == KD_SEMVER_V3) {
		/* validatePrerelease: a numeric identifier has no leading zero */
		for (size_t i = 0; i < prelen;) {
			size_t n = strcspn(pre + i, ".");
			if (n > prelen - i)
				n = prelen - i;
			bool numeric = true;
			for (size_t k = 0; k < n; k++)
				numeric = numeric && pre[i + k] >= '0' && pre[i + k] <= '9';
			if (numeric && n > 1 && pre[i] == '0') {
				kd_error_set(KD_ERR_NONE, "Version segment starts with 0");
				return KD_EINVALID;
			}
			i += n + 1;
		}
	}
	v->pre = kd_strndup(pre, prelen);
	v->meta = kd_strndup(meta, metalen);
	return 0;
invalid:
	kd_error_set(KD_ERR_NONE, "Invalid Semantic Version");
	return KD_EINVALID;
}

void kd_semver_clear(kd_semver *v)
{
	if (!v)
		return;
	free(v->pre);
	free(v->meta);
	memset(v, 0, sizeof *v);
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static bool all_digits(const char *s, size_t n, uint64_t *out)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return parse_num(s, n, UINT64_MAX, out);
}

/* comparePrePart on s[0..sn) and o[0..on) */
static int cmp_pre_part(const char *s, size_t sn, const char *o, size_t on)
{
	if (sn == on && memcmp(s, o, sn) == 0)
		return 0;
	if (sn == 0)
		return -1;
	if (on == 0)
		return 1;
	uint64_t si = 0, oi = 0;
	bool snum = all_digits(s, sn, &si), onum = all_digits(o, on, &oi);
	if (!snum && !onum) {
		size_t n = sn < on ? sn : on;
		int c = memcmp(s, o, n);
		if (c == 0)
			c = sn < on ? -1 : 1;
		return c > 0 ? 1 : -1;
	}
	if (!onum)
		return -1;
	if (!snum)
		return 1;
	return si > oi ? 1 : -1;
}

int kd_semver_cmp(const kd_semver *a, const kd_semver *b)
{
	int d;
	if ((d = cmp_u64(a->major, b->major)) || (d = cmp_u64(a->minor, b->minor)) ||
		(d = cmp_u64(a->patch, b->patch)))
		return d;
	const char *p = a->pre ? a->pre : "", *q = b->pre ? b->pre : "";
	if (!*p && !*q)
		return 0;
	if (!*p)
		return 1;
	if (!*q)
		return -1;
	/* part by part; a missing part compares as "" */
	for (;;) {
		size_t i = strcspn(p, "."), j = strcspn(q, ".");
		if ((d = cmp_pre_part(p, i, q, j)))
			return d;
		bool pm = p[i] == '.', qm = q[j] == '.';
		if (!pm && !qm)
			return 0;
		p += i + pm;
		q += j + qm;
		if (!pm)
			p = "";
		if (!qm)
			q = "";
	}
}

/* ---- ranges -------------------------------------------------------------------------------- */

#define CV_CORE "v?([0-9|x|X|\\*]+)(\\.[0-9|x|X|\\*]+)?(\\.[0-9|x|X|\\*]+)?"
#define SV_TAIL "(-([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?(\\+([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?"
#define OPS "!=|>=|=>|<=|=<|~>|>|<|=|~|\\^|"

typedef struct {
	char op[3];
	kd_semver con;
	bool dirty, minor_dirty, patch_dirty;
} constraint;

typedef struct {
	constraint *and;
	size_t n;
} and_group;

struct kd_semver_range {
	kd_semver_dialect d;
	and_group *ors;
	size_t nors;
};

/* Runs `pattern` on s[0..len) from `start`; fills ov with start,end pairs (PCRE2_UNSET when a
 * group did not take part). Returns > 0 on a match. `$` means the end of the text, as in Go. */
static int rx(const char *pattern, const char *s, size_t len, size_t start, PCRE2_SIZE *ov, int nov)
{
	int err;
	PCRE2_SIZE eo;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_DOLLAR_ENDONLY, &err, &eo, NULL);
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

/* Group g of a match as a new string ("" when unset). */
static char *group(const char *s, const PCRE2_SIZE *ov, int g)
{
	if (ov[2 * g] == PCRE2_UNSET)
		return kd_strdup("");
	return kd_strndup(s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
}

static bool is_x(const char *s)
{
	return !strcmp(s, "x") || !strcmp(s, "X") || !strcmp(s, "*");
}

static const char *skip_dot(const char *s)
{
	return s[0] == '.' ? s + 1 : s;
}

static int parse_constraint(constraint *c, const char *s, kd_semver_dialect d)
{
	PCRE2_SIZE ov[24];
	int rc = 0;
	memset(c, 0, sizeof *c);
	if (rx("^\\s*(" OPS ")\\s*(" CV_CORE SV_TAIL ")\\s*$", s, strlen(s), 0, ov, 24) <= 0) {
		kd_error_set(KD_ERR_NONE, "improper constraint: %s", s);
		return KD_EINVALID;
	}
	char *op = group(s, ov, 1), *ver = group(s, ov, 2), *m3 = group(s, ov, 3), *m4 = group(s, ov, 4),
	     *m5 = group(s, ov, 5), *m6 = group(s, ov, 6); /* m6: "-pre" */
	snprintf(c->op, sizeof c->op, "%s", op);
	kd_buf b = KD_BUF_INIT;
	kd_buf_puts(&b, ver);
	bool v3 = d == KD_SEMVER_V3;
	if (is_x(m3) || (v3 && !m3[0])) {
		kd_buf_clear(&b);
		kd_buf_puts(&b, "0.0.0");
		c->dirty = true;
	} else if (is_x(skip_dot(m4)) || !m4[0]) {
		c->minor_dirty = c->dirty = true;
		kd_buf_clear(&b);
		kd_buf_printf(&b, "%s.0.0%s", m3, m6);
	} else if (is_x(skip_dot(m5)) || (v3 && !m5[0])) {
		c->dirty = c->patch_dirty = true;
		kd_buf_clear(&b);
		kd_buf_printf(&b, "%s%s.0%s", m3, m4, m6);
	}
	if (kd_semver_parse(&c->con, kd_buf_cstr(&b), d) != 0) {
		kd_error_set(KD_ERR_NONE, "constraint Parser Error");
		rc = KD_EINVALID;
	}
	kd_buf_free(&b);
	free(op);
	free(ver);
	free(m3);
	free(m4);
	free(m5);
	free(m6);
	return rc;
}

/* rewriteRange: "A - B" becomes ">= A, <= B". */
static void rewrite_ranges(kd_buf *b, const char *s)
{
	const char *pat = "\\s*(" CV_CORE SV_TAIL ")\\s+-\\s+(" CV_CORE SV_TAIL ")\\s*";
	size_t len = strlen(s), pos = 0;
	PCRE2_SIZE ov[46];
	kd_buf_puts(b, "");
	while (pos <= len && rx(pat, s, len, pos, ov, 46) > 0) {
		char *a = group(s, ov, 1), *c = group(s, ov, 11);
		kd_buf_put(b, s + pos, ov[0] - pos);
		kd_buf_printf(b, ">= %s, <= %s", a, c);
		free(a);
		free(c);
		pos = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
	}
	if (pos < len)
		kd_buf_puts(b, s + pos);
}

static void add_constraint(and_group *g, const constraint *c)
{
	g->and = kd_realloc(g->and, (g->n + 1) * sizeof *g->and);
	g->and[g->n++] = *c;
}

/* One OR segment, V1: comma-separated constraints. */
static int parse_and_v1(and_group *g, char *seg)
{
	char *part = seg;
	while (part) {
		char *end = strchr(part, ',');
		if (end)
			*end = '\0';
		constraint c;
		int rc = parse_constraint(&c, part, KD_SEMVER_V1);
		if (end)
			*end = ',';
		if (rc)
			return rc;
		add_constraint(g, &c);
		part = end ? end + 1 : NULL;
	}
	return 0;
}

/* One OR segment, V3: validated as a whole, then each constraint found in it. */
static int parse_and_v3(and_group *g, const char *seg)
{
	PCRE2_SIZE ov[24];
	size_t len = strlen(seg);
	if (rx("^(\\s*(" OPS ")\\s*(" CV_CORE SV_TAIL ")\\s*\\,?)+$", seg, len, 0, ov, 2) <= 0) {
		kd_error_set(KD_ERR_NONE, "improper constraint: %s", seg);
		return KD_EINVALID;
	}
	size_t pos = 0;
	while (pos < len && rx("(" OPS ")\\s*(" CV_CORE SV_TAIL ")", seg, len, pos, ov, 2) > 0) {
		char *one = kd_strndup(seg + ov[0], ov[1] - ov[0]);
		constraint c;
		int rc = parse_constraint(&c, one, KD_SEMVER_V3);
		free(one);
		if (rc)
			return rc;
		add_constraint(g, &c);
		pos = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
	}
	return 0;
}

int kd_semver_range_parse(kd_semver_range **out, const char *text, kd_semver_dialect d)
{
	*out = NULL;
	kd_buf b = KD_BUF_INIT;
	rewrite_ranges(&b, text);
	char *s = kd_buf_detach(&b);
	kd_semver_range *r = kd_calloc(1, sizeof *r);
	r->d = d;
	int rc = 0;
	char *seg = s;
	while (seg && rc == 0) {
		char *end = strstr(seg, "||");
		if (end)
			*end = '\0';
		r->ors = kd_realloc(r->ors, (r->nors + 1) * sizeof *r->ors);
		and_group *g = &r->ors[r->nors++];
		memset(g, 0, sizeof *g);
		rc = d == KD_SEMVER_V1 ? parse_and_v1(g, seg) : parse_and_v3(g, seg);
		seg = end ? end + 2 : NULL;
	}
	free(s);
	if (rc) {
		kd_semver_range_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void kd_semver_range_free(kd_semver_range *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nors; i++) {
		for (size_t k = 0; k < r->ors[i].n; k++)
			kd_semver_clear(&r->ors[i].and[k].con);
		free(r->ors[i].and);
	}
	free(r->ors);
	free(r);
}

static bool has_pre(const kd_semver *v)
{
	return v->pre && v->pre[0];
}

static bool tilde(const kd_semver *v, const constraint *c)
{
	if (has_pre(v) && !has_pre(&c->con))
		return false;
	if (kd_semver_cmp(v, &c->con) < 0)
		return false;
	if (!c->con.major && !c->con.minor && !c->con.patch && !c->minor_dirty && !c->patch_dirty)
		return true;
	if (v->major != c->con.major)
		return false;
	if (v->minor != c->con.minor && !c->minor_dirty)
		return false;
	return true;
}

static bool check_v1(const kd_semver *v, const constraint *c)
{
	const char *op = c->op;
	bool pre_block = has_pre(v) && !has_pre(&c->con);
	int d = kd_semver_cmp(v, &c->con);
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

static bool check_v3(const kd_semver *v, const constraint *c)
{
	const char *op = c->op;
	if (has_pre(v) && !has_pre(&c->con))
		return false; /* every v3 operator refuses prereleases the constraint does not name */
	int d = kd_semver_cmp(v, &c->con);
	if (!strcmp(op, "") || !strcmp(op, "="))
		return c->dirty ? tilde(v, c) : d == 0;
	if (!strcmp(op, "!=")) {
		if (c->dirty) {
			if (c->con.major != v->major)
				return true;
			if (c->con.minor != v->minor && !c->minor_dirty)
				return true;
			if (c->minor_dirty)
				return false;
			if (c->con.patch != v->patch && !c->patch_dirty)
				return true;
			if (c->patch_dirty) {
				kd_semver a = {0, 0, 0, v->pre, NULL}, b = {0, 0, 0, c->con.pre, NULL};
				if (has_pre(v) || has_pre(&c->con))
					return kd_semver_cmp(&a, &b) != 0 || (has_pre(v) != has_pre(&c->con));
				return false;
			}
		}
		return d != 0;
	}
	if (!strcmp(op, ">")) {
		if (!c->dirty)
			return d == 1;
		if (v->major > c->con.major)
			return true;
		if (v->major < c->con.major)
			return false;
		if (c->minor_dirty)
			return false;
		if (c->patch_dirty)
			return v->minor > c->con.minor;
		return d == 1;
	}
	if (!strcmp(op, "<"))
		return d < 0;
	if (!strcmp(op, ">=") || !strcmp(op, "=>"))
		return d >= 0;
	if (!strcmp(op, "<=") || !strcmp(op, "=<")) {
		if (!c->dirty)
			return d <= 0;
		if (v->major > c->con.major)
			return false;
		if (v->major == c->con.major && v->minor > c->con.minor && !c->minor_dirty)
			return false;
		return true;
	}
	if (!strcmp(op, "~") || !strcmp(op, "~>"))
		return tilde(v, c);
	/* ^ */
	if (d < 0)
		return false;
	if (c->con.major > 0 || c->minor_dirty)
		return v->major == c->con.major;
	if (v->major > 0)
		return false;
	if (c->con.minor > 0 || c->patch_dirty)
		return v->minor == c->con.minor;
	if (v->minor > 0)
		return false;
	return v->patch == c->con.patch;
}

bool kd_semver_range_check(const kd_semver_range *r, const kd_semver *v)
{
	for (size_t i = 0; i < r->nors; i++) {
		bool joy = true;
		for (size_t k = 0; k < r->ors[i].n && joy; k++)
			joy = r->d == KD_SEMVER_V1 ? check_v1(v, &r->ors[i].and[k]) : check_v3(v, &r->ors[i].and[k]);
		if (joy)
			return true;
	}
	return false;
}
