/* base/semver: both Masterminds dialects against cases whose answers the Go libraries give. */
#include <stdio.h>
#include <string.h>

#include "../../base/base.h"
#include "../../base/semver.h"
#include "test.h"

typedef struct {
	const char *range, *version;
	int want; /* 1 true, 0 false, -1 range is refused */
} range_case;

static void run_cases(const range_case *cases, size_t n, kd_semver_dialect d)
{
	for (size_t i = 0; i < n; i++) {
		kd_semver_range *r = NULL;
		kd_semver v = KD_SEMVER_INIT;
		int rc = kd_semver_range_parse(&r, cases[i].range, d);
		if (cases[i].want < 0) {
			if (!CHECK(rc == KD_EINVALID))
				fprintf(stderr, "    range %s should be refused\n", cases[i].range);
			kd_semver_range_free(r);
			continue;
		}
		if (!CHECK_INT(rc, 0) || !CHECK_INT(kd_semver_parse(&v, cases[i].version, d), 0)) {
			fprintf(stderr, "    case %s / %s\n", cases[i].range, cases[i].version);
		} else if (!CHECK_INT(kd_semver_range_check(r, &v), cases[i].want)) {
			fprintf(stderr, "    case %s / %s (v%d)\n", cases[i].range, cases[i].version, (int)d);
		}
		kd_semver_clear(&v);
		kd_semver_range_free(r);
	}
}

TEST(semver_v3_ranges)
{
	static const range_case cases[] = {
		{"*", "1.2.3", 1},
		{"0.x.x", "1.2.3", 0},
		{"^0.0.0", "1.2.3", 0},
		{"= 2.0", "2.0.0", 1},
		{"1.x", "1.4", 1},
		{"!=4.1", "4.1.0", 0},
		{"!=4.1-alpha", "4.1.0", 1},
		{"!=4.x", "4.1.0", 0},
		{">1.1", "1.1.0", 0},
		{">1.1", "1.2.0", 1},
		{"<1.x", "1.1.1", 0},
		{"<1.x", "0.1.1", 1},
		{"<=1.1.x", "1.2.500", 0},
		{"<=1.1-a", "0.1.0-alpha", 1},
		{">=1.1", "4.1.0-beta", 0},
		/* AND by space as well as by comma, OR with || */
		{">1.1 <2", "1.2.1", 1},
		{">1.1    <3", "4.3.2", 0},
		{">= 1.1, <2, != 1.2.3 || >= 3", "3.0.0", 1},
		{">=1.1 <2 !=1.2.3 || > 3", "3.1.2", 0},
		{"1.5.0 - 4.5", "3.7.0", 1},
		/* v3's caret below 1.0 */
		{"^0.2.3", "0.2.9", 1},
		{"^0.2.3", "0.3.0", 0},
		{"^0.0.3", "0.0.4", 0},
		{"^1.2", "1.9.0", 1},
		{"^1.2", "2.0.0", 0},
		{"~1.2", "1.2.7", 1},
		{"~1.2", "1.3.0", 0},
		{"~1.1-alpha", "1.1.1-beta", 1},
		{"~1.1.1-beta", "1.1.1", 1},
		{"v1.2.x", "v1.2.4", 1},
		{"", "1.0.0", -1},
		{">= nope", "1.0.0", -1},
	};
	run_cases(cases, KD_ARRAY_SIZE(cases), KD_SEMVER_V3);
}

TEST(semver_v1_ranges_as_sprig)
{
	static const range_case cases[] = {
		{">= 1.2, < 2", "1.9.0", 1},
		{"^1.2", "2.0.0", 0},
		{"^0.2.3", "0.3.0", 1}, /* v1's caret only pins the major version */
		{"1.1 - 1.3", "1.3.0", 1},
		{">=1.0.0", "1.1.0-rc.1", 0},
		{"1.x || 3.x", "3.4.5", 1},
		{">1.1", "1.1.5", 1}, /* v1: not dirty-aware */
		{"=1.x-beta", "1.2.0-beta", 1},
		{">1.1 <2", "1.5.0", -1}, /* no AND by space in v1 */
	};
	run_cases(cases, KD_ARRAY_SIZE(cases), KD_SEMVER_V1);
}

TEST(semver_versions)
{
	kd_semver a = KD_SEMVER_INIT, b = KD_SEMVER_INIT;
	CHECK_INT(kd_semver_parse(&a, "v1.2", KD_SEMVER_V3), 0);
	CHECK(a.major == 1 && a.minor == 2 && a.patch == 0);
	CHECK_STR(a.pre, "");
	kd_semver_clear(&a);
	CHECK_INT(kd_semver_parse(&a, "1.2.3-rc.1+build.5", KD_SEMVER_V3), 0);
	CHECK_STR(a.pre, "rc.1");
	CHECK_STR(a.meta, "build.5");
	CHECK_INT(kd_semver_parse(&b, "1.2.3-rc.10", KD_SEMVER_V3), 0);
	CHECK_INT(kd_semver_cmp(&a, &b), -1); /* numeric identifiers compare as numbers */
	kd_semver_clear(&b);
	CHECK_INT(kd_semver_parse(&b, "1.2.3", KD_SEMVER_V3), 0);
	CHECK_INT(kd_semver_cmp(&a, &b), -1); /* a prerelease sorts before its release */
	CHECK_INT(kd_semver_cmp(&b, &b), 0);
	kd_semver_clear(&a);
	kd_semver_clear(&b);
	CHECK_INT(kd_semver_parse(&a, "1.2.3-rc.1", KD_SEMVER_V3), 0);
	CHECK_INT(kd_semver_parse(&b, "1.2.3-rc.1.a", KD_SEMVER_V3), 0);
	CHECK_INT(kd_semver_cmp(&a, &b), -1);
	kd_semver_clear(&a);
	kd_semver_clear(&b);
	const char *bad[] = {"", "v", "1.", "1.2.3.4", "1.2.3-", "1.2.3-a..b", "1.2.3+", "x.y", " 1.2.3"};
	for (size_t i = 0; i < KD_ARRAY_SIZE(bad); i++) {
		CHECK_INT(kd_semver_parse(&a, bad[i], KD_SEMVER_V3), KD_EINVALID);
		CHECK_STR(kd_error_last(), "Invalid Semantic Version");
	}
	CHECK_INT(kd_semver_parse(&a, "1.2.3-01", KD_SEMVER_V3), KD_EINVALID);
	CHECK_STR(kd_error_last(), "Version segment starts with 0");
	CHECK_INT(kd_semver_parse(&a, "1.2.3-01", KD_SEMVER_V1), 0); /* v1 does not check */
	kd_semver_clear(&a);
	CHECK_INT(kd_semver_parse(&a, "9223372036854775808.0.0", KD_SEMVER_V1), KD_EINVALID);
	CHECK_INT(kd_semver_parse(&a, "9223372036854775808.0.0", KD_SEMVER_V3), 0);
	kd_semver_clear(&a);
	CHECK_INT(kd_semver_parse(&a, "18446744073709551616.0.0", KD_SEMVER_V3), KD_EINVALID);
}
