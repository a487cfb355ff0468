/* libFuzzer target for the scalar parsers of base/: semantic versions and ranges (semver.c,
 * both dialects), Go durations (duration.c), Go's number and boolean syntax, YAML 1.1 plain
 * scalars and RFC 3339 times (strconv.c).
 *
 * Input: the first byte picks the parser (its value % 7: 0 semver v1, 1 semver v3, 2 duration,
 * 3 integers, 4 floats and booleans, 5 YAML 1.1 scalars, 6 RFC 3339 times); the rest is the
 * text, cut at its first NUL. For semver the text is up to three lines A, B, C: each is read as
 * a version and A also as a range.
 *
 * Properties checked beyond "no crash":
 *   semver    a version prints back ("M.m.p[-pre][+meta]") and re-parses to the same fields;
 *             compare is reflexive, antisymmetric and transitive (except where Masterminds/semver
 *             itself is not: v1 prerelease numbers with leading zeros, "01" vs "1", compare as
 *             less both ways in Go too); a version satisfies "=V", ">=V", "<=V", "~V", "^V" and
 *             not "<V", ">V", "!=V" of its own printed form;
 *   duration  a parsed duration prints (Duration.String) and parses back to the same value,
 *             prints the same again, and "-" + text parses to its negation;
 *   numbers   a parsed int/uint prints in decimal and parses back equal (base 10 and base 0, the
 *             latter also from "0x" hex); a finite float prints with %.17g and parses back to
 *             the same bits; KD_ELIMIT clamps as Go does;
 *   YAML 1.1  an INT's float is its value, its decimal form resolves to the same INT, a BOOL's
 *             value matches ParseBool where both accept the word;
 *   times     an RFC 3339 time formats with RFC3339Nano and parses back to the same instant. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/base.h"
#include "../../base/semver.h"
#include "../../base/strconv.h"
#include "fuzz.h"


/* ---- semver -------------------------------------------------------------------------------- */

static void print_version(kd_buf *b, const kd_semver *v)
{
	kd_buf_printf(b, "%" PRIu64 ".%" PRIu64 ".%" PRIu64, v->major, v->minor, v->patch);
	if (v->pre[0])
		kd_buf_printf(b, "-%s", v->pre);
	if (v->meta[0])
		kd_buf_printf(b, "+%s", v->meta);
}

/* A prerelease part of digits only with a leading zero: where Go's v1 compare is not a order. */
static bool leading_zero_number(const char *pre)
{
	for (const char *p = pre; *p;) {
		size_t n = strcspn(p, ".");
		bool digits = n > 0;
		for (size_t i = 0; i < n; i++)
			digits = digits && p[i] >= '0' && p[i] <= '9';
		if (digits && n > 1 && p[0] == '0')
			return true;
		p += n + (p[n] == '.');
	}
	return false;
}

static int sign(int x)
{
	return x < 0 ? -1 : x > 0;
}

static void check_own_ranges(const kd_semver *v, kd_semver_dialect d)
{
	static const struct {
		const char *op;
		bool want;
	} ops[] = {{"=", true}, {">=", true}, {"<=", true}, {"~", true}, {"^", true}, {"", true}, {"<", false},
		{">", false}, {"!=", false}};
	kd_buf text = KD_BUF_INIT;
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		kd_buf_clear(&text);
		kd_buf_puts(&text, ops[i].op);
		print_version(&text, v);
		kd_semver_range *r = NULL;
		int rc = kd_semver_range_parse(&r, kd_buf_cstr(&text), d);
		if (rc) {
			fprintf(stderr, "range \"%s\" does not parse: %s\n", kd_buf_cstr(&text), kd_error_last());
			abort();
		}
		if (kd_semver_range_check(r, v) != ops[i].want) {
			fprintf(stderr, "range \"%s\" check gives %d\n", kd_buf_cstr(&text), !ops[i].want);
			abort();
		}
		kd_semver_range_free(r);
	}
	kd_buf_free(&text);
}

static void fuzz_semver(char *text, kd_semver_dialect d)
{
	char *line[3] = {text, NULL, NULL};
	for (int i = 1; i < 3; i++) {
		char *nl = line[i - 1] ? strchr(line[i - 1], '\n') : NULL;
		if (nl) {
			*nl = '\0';
			line[i] = nl + 1;
		}
	}
	kd_semver v[3];
	bool ok[3] = {false, false, false};
	kd_buf b = KD_BUF_INIT;
	for (int i = 0; i < 3; i++) {
		if (!line[i] || kd_semver_parse(&v[i], line[i], d) != 0) {
			if (line[i])
				kd_semver_clear(&v[i]);
			continue;
		}
		ok[i] = true;
		ASSERT(v[i].pre && v[i].meta);
		ASSERT(kd_semver_cmp(&v[i], &v[i]) == 0);
		kd_buf_clear(&b);
		print_version(&b, &v[i]);
		kd_semver back;
		ASSERT(kd_semver_parse(&back, kd_buf_cstr(&b), d) == 0);
		ASSERT(back.major == v[i].major && back.minor == v[i].minor && back.patch == v[i].patch);
		ASSERT(strcmp(back.pre, v[i].pre) == 0 && strcmp(back.meta, v[i].meta) == 0);
		ASSERT(kd_semver_cmp(&back, &v[i]) == 0);
		kd_semver_clear(&back);
		check_own_ranges(&v[i], d);
	}
	bool ordered[3];
	for (int i = 0; i < 3; i++)
		ordered[i] = ok[i] && !(d == KD_SEMVER_V1 && leading_zero_number(v[i].pre));
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			if (ordered[i] && ordered[j])
				ASSERT(sign(kd_semver_cmp(&v[i], &v[j])) == -sign(kd_semver_cmp(&v[j], &v[i])));
	if (ordered[0] && ordered[1] && ordered[2]) {
		for (int i = 0; i < 3; i++)
			for (int j = 0; j < 3; j++)
				for (int k = 0; k < 3; k++)
					if (kd_semver_cmp(&v[i], &v[j]) <= 0 && kd_semver_cmp(&v[j], &v[k]) <= 0)
						ASSERT(kd_semver_cmp(&v[i], &v[k]) <= 0);
	}
	/* the first line as a range, checked against the versions */
	kd_semver_range *r = NULL;
	if (kd_semver_range_parse(&r, line[0], d) == 0) {
		for (int i = 0; i < 3; i++)
			if (ok[i]) {
				bool a = kd_semver_range_check(r, &v[i]);
				ASSERT(a == kd_semver_range_check(r, &v[i]));
			}
		kd_semver_range_free(r);
	}
	for (int i = 0; i < 3; i++)
		if (ok[i])
			kd_semver_clear(&v[i]);
	kd_buf_free(&b);
}

/* ---- durations ----------------------------------------------------------------------------- */

static void fuzz_duration(const char *text)
{
	int64_t ns = 0, back = 0;
	if (kd_duration_parse(&ns, text) != 0) {
		ASSERT(ns == 0);
		return;
	}
	kd_buf b = KD_BUF_INIT, b2 = KD_BUF_INIT;
	ASSERT(kd_duration_format(&b, ns) == 0);
	if (kd_duration_parse(&back, kd_buf_cstr(&b)) != 0 || back != ns) {
		fprintf(stderr, "\"%s\" = %" PRId64 " prints as \"%s\", which reads as %" PRId64 "\n", text, ns,
			kd_buf_cstr(&b), back);
		abort();
	}
	ASSERT(kd_duration_format(&b2, back) == 0);
	ASSERT(strcmp(kd_buf_cstr(&b), kd_buf_cstr(&b2)) == 0);
	if (text[0] != '-' && text[0] != '+' && ns != INT64_MIN) {
		kd_buf_clear(&b2);
		kd_buf_printf(&b2, "-%s", text);
		int64_t neg = 0;
		ASSERT(kd_duration_parse(&neg, kd_buf_cstr(&b2)) == 0);
		ASSERT(neg == -ns);
	}
	kd_buf_free(&b);
	kd_buf_free(&b2);
}

/* ---- numbers ------------------------------------------------------------------------------- */

static void fuzz_ints(const char *text)
{
	char buf[64];
	static const int bases[] = {0, 10, 16, 2, 36};
	for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
		int64_t v = 0, back = 0;
		int rc = kd_go_parse_int(text, bases[i], &v);
		if (rc == KD_EINVALID)
			ASSERT(v == 0);
		if (rc == KD_ELIMIT)
			ASSERT(v == INT64_MAX || v == INT64_MIN);
		if (rc == 0) {
			snprintf(buf, sizeof buf, "%" PRId64, v);
			ASSERT(kd_go_parse_int(buf, 10, &back) == 0 && back == v);
			ASSERT(kd_go_parse_int(buf, 0, &back) == 0 && back == v);
		}
		uint64_t u = 0, uback = 0;
		rc = kd_go_parse_uint(text, bases[i], &u);
		if (rc == KD_ELIMIT)
			ASSERT(u == UINT64_MAX);
		if (rc == 0) {
			snprintf(buf, sizeof buf, "%" PRIu64, u);
			ASSERT(kd_go_parse_uint(buf, 10, &uback) == 0 && uback == u);
			snprintf(buf, sizeof buf, "0x%" PRIx64, u);
			ASSERT(kd_go_parse_uint(buf, 0, &uback) == 0 && uback == u);
			/* what reads as unsigned reads as signed when it fits */
			if (u <= (uint64_t)INT64_MAX)
				ASSERT(kd_go_parse_int(text, bases[i], &v) == 0 && (uint64_t)v == u);
		}
	}
}

static void fuzz_floats(const char *text)
{
	double d = 0, back = 0;
	int rc = kd_go_parse_float(text, &d);
	if (rc == KD_EINVALID)
		ASSERT(d == 0);
	if (rc == KD_ELIMIT)
		ASSERT(isinf(d));
	if (rc == 0 && isfinite(d)) {
		char buf[64];
		snprintf(buf, sizeof buf, "%.17g", d);
		ASSERT(kd_go_parse_float(buf, &back) == 0);
		ASSERT(memcmp(&back, &d, sizeof d) == 0);
	}
	/* every integer Go reads in base 10 is a float too, of the nearest value */
	int64_t i = 0;
	if (kd_go_parse_int(text, 10, &i) == 0 && !strchr(text, '_')) {
		ASSERT(rc == 0);
		ASSERT(d == (double)i);
	}
	bool bv;
	if (kd_go_parse_bool(text, &bv) == 0)
		ASSERT(bv == (text[0] == '1' || text[0] == 't' || text[0] == 'T'));
}

static void fuzz_yaml11(const char *text)
{
	kd_y11_value v;
	memset(&v, 0, sizeof v);
	kd_y11_kind k = kd_yaml11_resolve(text, &v);
	ASSERT(k == kd_yaml11_resolve(text, NULL));
	(void)kd_yaml11_is_base60_float(text);
	char buf[64];
	if (k == KD_Y11_INT) {
		if (v.is_uint) {
			ASSERT(v.f == (double)v.u);
			snprintf(buf, sizeof buf, "%" PRIu64, v.u);
		} else {
			ASSERT(v.f == (double)v.i);
			snprintf(buf, sizeof buf, "%" PRId64, v.i);
		}
		kd_y11_value w;
		memset(&w, 0, sizeof w);
		ASSERT(kd_yaml11_resolve(buf, &w) == KD_Y11_INT);
		ASSERT(w.is_uint == v.is_uint && w.i == v.i && w.u == v.u);
	}
	bool b;
	if (k == KD_Y11_BOOL && kd_go_parse_bool(text, &b) == 0)
		ASSERT(b == v.b);
}

/* ---- times --------------------------------------------------------------------------------- */

static void fuzz_time(const char *text)
{
	static const char rfc3339[] = "2006-01-02T15:04:05Z07:00", nano[] = "2006-01-02T15:04:05.999999999Z07:00";
	kd_go_time t, back;
	if (kd_go_time_parse(&t, rfc3339, text, 0, "UTC") != 0)
		return;
	ASSERT(t.nsec >= 0 && t.nsec < 1000000000);
	kd_buf b = KD_BUF_INIT;
	ASSERT(kd_go_time_format(&b, &t, nano) == 0);
	/* a four-digit year prints as one; others (Go prints them too) do not read back */
	int64_t year;
	int mon, day, hour, min, sec, wday, yday;
	kd_go_time_civil(&t, &year, &mon, &day, &hour, &min, &sec, &wday, &yday);
	if (year >= 0 && year <= 9999) {
		if (kd_go_time_parse(&back, rfc3339, kd_buf_cstr(&b), 0, "UTC") != 0) {
			fprintf(stderr, "\"%s\" formats as \"%s\", which does not parse: %s\n", text, kd_buf_cstr(&b),
				kd_error_last());
			abort();
		}
		ASSERT(back.sec == t.sec && back.nsec == t.nsec && back.offset == t.offset);
	}
	kd_buf_clear(&b);
	ASSERT(kd_go_time_string(&b, &t) == 0);
	kd_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		kd_base_init();
		init = 1;
	}
	if (size < 1 || size > 4096)
		return 0;
	char *text = kd_strndup((const char *)data + 1, size - 1);
	switch (data[0] % 7) {
	case 0:
		fuzz_semver(text, KD_SEMVER_V1);
		break;
	case 1:
		fuzz_semver(text, KD_SEMVER_V3);
		break;
	case 2:
		fuzz_duration(text);
		break;
	case 3:
		fuzz_ints(text);
		break;
	case 4:
		fuzz_floats(text);
		break;
	case 5:
		fuzz_yaml11(text);
		break;
	case 6:
		fuzz_time(text);
		break;
	}
	free(text);
	kd_error_clear();
	return 0;
}
