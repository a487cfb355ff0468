/* base/strconv.c (Go's strconv, YAML 1.1 scalars, Go's time layouts) and the base helpers the
 * hostile-input fixes rest on: kd_strmap, exact int64 numbers, cJSON copy and free without
 * recursion, kd_text_pos. Expected values are Go 1.26's answers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/base.h"
#include "../../base/json.h"
#include "../../base/strconv.h"
#include "test.h"

TEST(strconv_parse_int_as_go)
{
	int64_t v;
	CHECK_INT(kd_go_parse_int("9223372036854775807", 10, &v), 0);
	CHECK_INT(v, INT64_MAX);
	CHECK_INT(kd_go_parse_int("-9223372036854775808", 10, &v), 0);
	CHECK_INT(v, INT64_MIN);
	/* out of range: ErrRange with the value clamped, as Go returns it */
	CHECK_INT(kd_go_parse_int("9223372036854775808", 10, &v), KD_ELIMIT);
	CHECK_INT(v, INT64_MAX);
	CHECK_INT(kd_go_parse_int("-9223372036854775809", 10, &v), KD_ELIMIT);
	CHECK_INT(v, INT64_MIN);
	/* base 0: prefixes and underscores between digits */
	CHECK_INT(kd_go_parse_int("0x_1F", 0, &v), 0);
	CHECK_INT(v, 31);
	CHECK_INT(kd_go_parse_int("0o17", 0, &v), 0);
	CHECK_INT(v, 15);
	CHECK_INT(kd_go_parse_int("017", 0, &v), 0);
	CHECK_INT(v, 15);
	CHECK_INT(kd_go_parse_int("-0b101", 0, &v), 0);
	CHECK_INT(v, -5);
	CHECK_INT(kd_go_parse_int("1_000", 0, &v), 0);
	CHECK_INT(v, 1000);
	CHECK_INT(kd_go_parse_int("1__0", 0, &v), KD_EINVALID);
	CHECK_INT(kd_go_parse_int("_10", 0, &v), KD_EINVALID);
	CHECK_INT(kd_go_parse_int("1_000", 10, &v), KD_EINVALID); /* only base 0 takes '_' */
	CHECK_INT(kd_go_parse_int("0x", 0, &v), KD_EINVALID);
	CHECK_INT(kd_go_parse_int("", 10, &v), KD_EINVALID);
	CHECK_INT(kd_go_parse_int("+", 10, &v), KD_EINVALID);
	CHECK_INT(kd_go_parse_int("08", 0, &v), KD_EINVALID);
	uint64_t u;
	CHECK_INT(kd_go_parse_uint("18446744073709551615", 10, &u), 0);
	CHECK(u == UINT64_MAX);
	CHECK_INT(kd_go_parse_uint("18446744073709551616", 10, &u), KD_ELIMIT);
	CHECK_INT(kd_go_parse_uint("-1", 10, &u), KD_EINVALID);
}

TEST(strconv_parse_float_and_bool_as_go)
{
	double d;
	CHECK_INT(kd_go_parse_float("1e3", &d), 0);
	CHECK(d == 1000);
	CHECK_INT(kd_go_parse_float(".5", &d), 0);
	CHECK(d == 0.5);
	CHECK_INT(kd_go_parse_float("1_000.5", &d), 0);
	CHECK(d == 1000.5);
	CHECK_INT(kd_go_parse_float("0x1p-2", &d), 0);
	CHECK(d == 0.25);
	CHECK_INT(kd_go_parse_float("0x1", &d), KD_EINVALID); /* hex needs its p exponent */
	CHECK_INT(kd_go_parse_float("-Infinity", &d), 0);
	CHECK(isinf(d) && d < 0);
	CHECK_INT(kd_go_parse_float("nan", &d), 0);
	CHECK(isnan(d));
	CHECK_INT(kd_go_parse_float("+nan", &d), KD_EINVALID);
	CHECK_INT(kd_go_parse_float("infin", &d), KD_EINVALID);
	CHECK_INT(kd_go_parse_float("1e400", &d), KD_ELIMIT);
	CHECK_INT(kd_go_parse_float("1e", &d), KD_EINVALID);
	CHECK_INT(kd_go_parse_float("", &d), KD_EINVALID);
	bool b;
	CHECK_INT(kd_go_parse_bool("T", &b), 0);
	CHECK(b);
	CHECK_INT(kd_go_parse_bool("False", &b), 0);
	CHECK(!b);
	CHECK_INT(kd_go_parse_bool("yes", &b), KD_EINVALID);
	CHECK_INT(kd_go_parse_bool("tRUE", &b), KD_EINVALID);
}

TEST(strconv_yaml11_resolves_like_yaml_v2)
{
	static const struct {
		const char *s;
		kd_y11_kind k;
	} cases[] = {
		{"", KD_Y11_NULL}, {"~", KD_Y11_NULL}, {"Null", KD_Y11_NULL}, {"nULL", KD_Y11_STR},
		{"y", KD_Y11_BOOL}, {"OFF", KD_Y11_BOOL}, {"oN", KD_Y11_STR}, {"12", KD_Y11_INT},
		{"0x1F", KD_Y11_INT}, {"1_000", KD_Y11_INT}, {"-0b11", KD_Y11_INT}, {"0o17", KD_Y11_INT},
		{"18446744073709551615", KD_Y11_INT}, {"99999999999999999999", KD_Y11_FLOAT},
		{"0x99999999999999999999", KD_Y11_STR}, {"1e5", KD_Y11_FLOAT}, {".5", KD_Y11_FLOAT},
		{"+.5", KD_Y11_FLOAT}, {"._5", KD_Y11_STR}, {".inf", KD_Y11_FLOAT}, {"+inf", KD_Y11_STR},
		{"2001-02-28", KD_Y11_TIMESTAMP}, {"2001-02-30", KD_Y11_STR}, {"2001-1-2 3:4:5", KD_Y11_TIMESTAMP},
		{"2001-12-14t21:59:43.10-05:00", KD_Y11_TIMESTAMP}, {"2001-12-14T21:59:43", KD_Y11_STR},
		{"12:30", KD_Y11_STR}, {"<<", KD_Y11_STR}, {"0b", KD_Y11_STR}, {"abc", KD_Y11_STR},
	};
	for (size_t i = 0; i < KD_ARRAY_SIZE(cases); i++) {
		kd_y11_kind k = kd_yaml11_resolve(cases[i].s, NULL);
		if (!CHECK(k == cases[i].k))
			fprintf(stderr, "  resolving \"%s\" gave %d, want %d\n", cases[i].s, k, cases[i].k);
	}
	kd_y11_value v;
	CHECK_INT(kd_yaml11_resolve("9007199254740993", &v), KD_Y11_INT);
	CHECK_INT(v.i, 9007199254740993LL);
	CHECK(kd_yaml11_is_base60_float("1:20"));
	CHECK(!kd_yaml11_is_base60_float("1:60"));
}

TEST(strconv_go_time_parse_and_format)
{
	kd_go_time t;
	kd_buf b = KD_BUF_INIT;
	CHECK_INT(kd_go_time_parse(&t, "2006-01-02T15:04:05Z07:00", "2024-05-01T12:00:00.5+02:00", 0, "UTC"), 0);
	CHECK_INT(t.sec, 1714557600);
	CHECK_INT(t.nsec, 500000000);
	CHECK_INT(t.offset, 7200);
	kd_go_time_string(&b, &t);
	CHECK_STR(kd_buf_cstr(&b), "2024-05-01 12:00:00.5 +0200 +0200");
	kd_buf_clear(&b);
	/* Go's range checks: day in month, hour below 24, no 't' for 'T' */
	CHECK_INT(kd_go_time_parse(&t, "2006-01-02", "2024-02-30", 0, "UTC"), KD_EINVALID);
	CHECK_INT(kd_go_time_parse(&t, "2006-01-02", "2024-02-29", 0, "UTC"), 0);
	CHECK_INT(kd_go_time_parse(&t, "15:04", "24:00", 0, "UTC"), KD_EINVALID);
	CHECK_INT(kd_go_time_parse(&t, "2006-01-02T15:04:05Z07:00", "2024-05-01t10:00:00Z", 0, "UTC"), KD_EINVALID);
	/* no zone in the value and no default zone: the wall clock, and 1 */
	CHECK_INT(kd_go_time_parse(&t, "2006-01-02 15:04", "1970-01-02 00:00", 0, NULL), 1);
	CHECK_INT(t.sec, 86400);
	/* formatting at Go's extremes wraps as Go's calendar does */
	kd_go_time big = {INT64_MAX, 0, 0, "UTC"};
	kd_go_time_format(&b, &big, "2006-01-02 15:04:05 Mon");
	CHECK_STR(kd_buf_cstr(&b), "292277026596-12-04 15:30:07 Sun");
	kd_buf_clear(&b);
	kd_go_time zero = {-62135596800LL, 0, 0, "UTC"};
	kd_go_time_format(&b, &zero, "Jan _2 2006 __2 002 3:04PM .000 ,999 Z07:00 -0700 MST");
	CHECK_STR(kd_buf_cstr(&b), "Jan  1 0001   1 001 12:00AM .000  Z +0000 UTC");
	kd_buf_free(&b);
	CHECK_INT(kd_days_from_civil(1970, 1, 1), 0);
	CHECK_INT(kd_days_from_civil(2000, 3, 1), 11017);
}

TEST(strmap_keeps_every_key)
{
	kd_strmap m = KD_STRMAP_INIT;
	char (*keys)[16] = kd_calloc(100000, 16);
	for (int i = 0; i < 100000; i++) {
		snprintf(keys[i], 16, "k%d", i);
		CHECK(kd_strmap_put(&m, keys[i], strlen(keys[i]), keys[i]) == NULL);
	}
	CHECK_INT(m.count, 100000);
	CHECK(kd_strmap_get(&m, "k77777", 6) == keys[77777]);
	CHECK(kd_strmap_get(&m, "k100000", 7) == NULL);
	/* every second key removed: the rest still found (deletion keeps probe chains whole) */
	for (int i = 0; i < 100000; i += 2)
		CHECK(kd_strmap_del(&m, keys[i], strlen(keys[i])) == keys[i]);
	int found = 0, gone = 0;
	for (int i = 0; i < 100000; i++) {
		void *v = kd_strmap_get(&m, keys[i], strlen(keys[i]));
		found += v == keys[i];
		gone += v == NULL;
	}
	CHECK_INT(found, 50000);
	CHECK_INT(gone, 50000);
	CHECK(kd_strmap_put(&m, "k1", 2, "x") == keys[1]);
	kd_strmap_free(&m);
	free(keys);
}

TEST(json_ints_are_exact_past_2_53)
{
	static const int64_t vals[] = {9007199254740993LL, INT64_MAX, INT64_MIN, INT64_MAX - 1, -9007199254740993LL,
		1LL << 62, 3};
	for (size_t i = 0; i < KD_ARRAY_SIZE(vals); i++) {
		cJSON *n = kd_json_new_int(vals[i]);
		cJSON *d = NULL;
		CHECK_INT(kd_json_int(n), vals[i]);
		CHECK_INT(kd_json_dup(&d, n, NULL), 0);
		CHECK_INT(kd_json_int(d), vals[i]);
		kd_json_delete(n);
		kd_json_delete(d);
	}
	/* a cJSON number marked later keeps its plain value (its valueint is not a correction) */
	cJSON *c = cJSON_CreateNumber(12345678901234567890.0);
	c->type |= KD_JSON_INT;
	CHECK_INT(kd_json_int(c), INT64_MAX);
	kd_json_delete(c);
	cJSON *a = kd_json_new_int(9007199254740993LL), *b = kd_json_new_int(9007199254740992LL);
	CHECK(!kd_json_equal(a, b));
	kd_json_delete(a);
	kd_json_delete(b);
}

/* A value nested `depth` levels: {"a": {"a": ... {}}}, built without recursion. */
static cJSON *deep(int depth)
{
	cJSON *root = cJSON_CreateObject(), *c = root;
	for (int i = 0; i < depth; i++) {
		cJSON *n = cJSON_CreateObject();
		cJSON_AddItemToObject(c, "a", n);
		c = n;
	}
	return root;
}

TEST(json_deep_values_copy_free_and_compare_without_recursion)
{
	cJSON *v = deep(300000), *d = NULL;
	/* deeper than the limit: refused, nothing leaked */
	CHECK_INT(kd_json_dup(&d, v, NULL), KD_EINVALID);
	CHECK(d == NULL);
	CHECK(strstr(kd_error_last(), "nested too deeply") != NULL);
	CHECK(!kd_json_equal(v, v->child) && kd_json_equal(v, v));
	CHECK(kd_json_size(v, (size_t)1 << 40) > (size_t)300000 * sizeof(cJSON));
	kd_json_delete(v); /* 300,000 levels freed: recursion here would overflow the stack */
	v = deep(5000);
	CHECK_INT(kd_json_dup(&d, v, NULL), 0);
	CHECK(kd_json_equal(v, d));
	kd_json_delete(d);
	/* the budget: a copy larger than what is left is refused before it is made */
	size_t budget = 1000;
	CHECK_INT(kd_json_dup(&d, v, &budget), KD_ELIMIT);
	CHECK(d == NULL);
	budget = (size_t)1 << 30;
	CHECK_INT(kd_json_dup(&d, v, &budget), 0);
	CHECK(budget < ((size_t)1 << 30) - 5000 * sizeof(cJSON));
	/* a pinned node's copy is not pinned */
	v->type |= KD_JSON_PINNED;
	kd_json_delete(d);
	CHECK_INT(kd_json_dup(&d, v, NULL), 0);
	CHECK(!(d->type & KD_JSON_PINNED));
	kd_json_delete(d);
	kd_json_delete(v);
}

/* encoding/json's float64, as json.Marshal prints it (checked against Go 1.22). */
TEST(json_fmt_number_is_encoding_json)
{
	struct {
		double v;
		const char *want;
	} cases[] = {
		{0, "0"}, {-0.0, "-0"}, {1, "1"}, {-2.5, "-2.5"}, {0.1, "0.1"}, {1e6, "1000000"}, {1e20, "100000000000000000000"},
		{1e21, "1e+21"}, {1.5e21, "1.5e+21"}, {123456789012345678.0, "123456789012345680"}, {1e-6, "0.000001"},
		{1.5e-7, "1.5e-7"}, {1e-7, "1e-7"}, {1e-10, "1e-10"}, {-3.25e-12, "-3.25e-12"}, {1.7976931348623157e308,
		"1.7976931348623157e+308"}, {5e-324, "5e-324"}, {0.000123, "0.000123"}, {3.14159, "3.14159"},
	};
	char buf[64];
	for (size_t i = 0; i < KD_ARRAY_SIZE(cases); i++)
		if (!CHECK_STR(kd_json_fmt_number(buf, sizeof buf, cases[i].v), cases[i].want))
			fprintf(stderr, "  case %zu\n", i);
}

/* Objects compare as Go decodes them: the last member of a key given twice is its value. */
TEST(json_equal_objects_with_a_key_given_twice)
{
	struct {
		const char *a, *b;
		bool eq;
	} cases[] = {
		{"{\"k\":1,\"k\":2}", "{\"k\":1,\"k\":2}", true}, /* itself (its copy) */
		{"{\"k\":1,\"k\":2}", "{\"k\":2}", true},
		{"{\"k\":2}", "{\"k\":1,\"k\":2}", true},
		{"{\"k\":1,\"k\":2}", "{\"k\":1}", false},
		{"{\"a\":1,\"k\":1,\"k\":2}", "{\"k\":2,\"a\":1}", true},
		{"{\"a\":1,\"k\":2}", "{\"k\":2,\"b\":1}", false},
		{"{\"k\":1,\"k\":1}", "{\"k\":1,\"j\":1}", false},
		{"[{\"x\":{\"y\":0,\"y\":[1]}}]", "[{\"x\":{\"y\":[1]}}]", true},
	};
	for (size_t i = 0; i < KD_ARRAY_SIZE(cases); i++) {
		cJSON *a = cJSON_Parse(cases[i].a), *b = cJSON_Parse(cases[i].b);
		CHECK(a && b);
		if (!CHECK(kd_json_equal(a, b) == cases[i].eq) || !CHECK(kd_json_equal(b, a) == cases[i].eq))
			fprintf(stderr, "  %s vs %s\n", cases[i].a, cases[i].b);
		cJSON_Delete(a);
		cJSON_Delete(b);
	}
	/* a member without a key never equals anything but itself */
	cJSON *a = cJSON_Parse("{\"k\":1}"), *b = cJSON_Parse("{\"k\":1}");
	free(b->child->string);
	b->child->string = NULL;
	CHECK(!kd_json_equal(a, b) && !kd_json_equal(b, a) && kd_json_equal(b, b));
	cJSON_Delete(a);
	cJSON_Delete(b);
}

TEST(text_pos_counts_lines_and_bytes)
{
	const char *t = "ab\ncd\n\nxyz";
	int line, col;
	kd_text_pos(t, strlen(t), 0, &line, &col);
	CHECK(line == 1 && col == 0);
	kd_text_pos(t, strlen(t), 4, &line, &col);
	CHECK(line == 2 && col == 1);
	kd_text_pos(t, strlen(t), 9, &line, &col);
	CHECK(line == 4 && col == 2);
	kd_text_pos(t, strlen(t), 99, &line, &col); /* past the end: the end */
	CHECK(line == 4 && col == 3);
	CHECK(!kd_stack_low());
}
