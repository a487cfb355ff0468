/* The sprig library called directly through its table (no template engine): Go types of
 * results, sprig's coercions, in-place map edits, failures. Template-level behaviour is
 * checked against the Go reference by the tests/tpl/sprig_* cases. */
#include <stdlib.h>
#include <string.h>

#include "../../base/base.h"
#include "../../base/json.h"
#include "../../templates/sprig_priv.h"
#include "test.h"

static const kd_tpl__fndef *fn(const char *name)
{
	for (const kd_tpl__fndef *f = kd_tpl__sprig_fns; f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

/* Calls `name` with the elements of the JSON array `args_json` (numbers there are float64;
 * an element {"int": N} becomes a Go int). Returns the result (owned) or NULL on failure. */
static cJSON *call(const char *name, const char *args_json)
{
	const kd_tpl__fndef *f = fn(name);
	if (!f)
		return NULL;
	cJSON *arr = cJSON_Parse(args_json);
	int n = cJSON_GetArraySize(arr);
	cJSON **args = kd_calloc((size_t)n + 1, sizeof *args);
	int i = 0;
	for (cJSON *e = arr->child; e; e = e->next, i++) {
		const cJSON *iv = cJSON_IsObject(e) ? kd_json_get(e, "int") : NULL;
		if (iv) {
			cJSON *x = kd_json_new_int((int64_t)iv->valuedouble);
			cJSON_ReplaceItemViaPointer(arr, e, x);
			e = x;
		}
		args[i] = e;
	}
	cJSON *out = NULL;
	if (f->fn(&out, args, n, NULL) < 0)
		out = NULL;
	free(args);
	cJSON_Delete(arr);
	return out;
}

/* The result as "type:json". */
static char *show(const char *name, const char *args_json)
{
	cJSON *r = call(name, args_json);
	if (!r)
		return kd_strdup("FAILED");
	char *j = cJSON_PrintUnformatted(r);
	kd_buf b = KD_BUF_INIT;
	kd_buf_printf(&b, "%s:%s", kd_tpl__sp_typeof(r), j);
	free(j);
	cJSON_Delete(r);
	return kd_buf_detach(&b);
}

#define SHOW(name, args, want)            \
	do {                                  \
		char *s_ = show(name, args);      \
		CHECK_STR(s_, want);              \
		free(s_);                         \
	} while (0)

TEST(sprig_table_is_complete_and_excludes_removed)
{
	static const char *const must[] = {"trim", "upper", "regexReplaceAll", "add", "max", "list",
		"dict", "merge", "default", "toJson", "toYaml", "sha256sum", "semverCompare", "typeOf",
		"date", "uuidv4", "slice", "urlParse", "b32dec", "getHostByName", "tuple", "biggest"};
	for (size_t i = 0; i < KD_ARRAY_SIZE(must); i++)
		CHECK(fn(must[i]) != NULL);
	static const char *const absent[] = {"env", "expandenv", "base", "dir", "clean", "ext",
		"isAbs", "get", "seq", "required", "fromJson", "mustAppend", "dig", "toRawJson"};
	for (size_t i = 0; i < KD_ARRAY_SIZE(absent); i++)
		CHECK(fn(absent[i]) == NULL);
	int n = 0;
	for (const kd_tpl__fndef *f = kd_tpl__sprig_fns; f->name; f++, n++)
		if (f[1].name)
			CHECK(strcmp(f->name, f[1].name) < 0);
	CHECK_INT(n, 136);
}

TEST(sprig_math_returns_int64_with_cast_rules)
{
	SHOW("add", "[1.9, \"3\", true, null]", "int64:5");
	SHOW("add", "[\"3.5\", \"x\", \" 4\"]", "int64:0");
	SHOW("mul", "[\"21\", 2]", "int64:42");
	SHOW("sub", "[{\"int\":1}, 3]", "int64:-2");
	SHOW("div", "[-7, 2]", "int64:-3");
	SHOW("mod", "[-7, 3]", "int64:-1");
	SHOW("max", "[1, \"9\", 3.5]", "int64:9");
	SHOW("min", "[1, \"-9\", 3.5]", "int64:-9");
	SHOW("add1", "[\"41\"]", "int64:42");
	SHOW("int", "[\"12\"]", "int:12");
	SHOW("int64", "[-2.7]", "int64:-2");
	SHOW("float64", "[\"2.5e1\"]", "float64:25");
	SHOW("float64", "[\"1_0\"]", "float64:10");
	SHOW("float64", "[\"_1\"]", "float64:0");
	SHOW("floor", "[\"-1.5\"]", "float64:-2");
	SHOW("ceil", "[1.2]", "float64:2");
	SHOW("round", "[2.675, {\"int\":2}]", "float64:2.68");
	SHOW("toDecimal", "[\"0755\"]", "int64:493");
	SHOW("atoi", "[\"12a\"]", "int:0");
	CHECK(call("div", "[1, 0]") == NULL);
	CHECK(strstr(kd_error_last(), "integer divide by zero") != NULL);
}

TEST(sprig_typed_parameters_refuse_other_types)
{
	CHECK(call("repeat", "[3, \"a\"]") == NULL);
	CHECK_STR(kd_error_last(), "wrong type for value; expected int; got float64");
	CHECK(call("upper", "[1]") == NULL);
	CHECK_STR(kd_error_last(), "wrong type for value; expected string; got float64");
	SHOW("repeat", "[{\"int\":3}, \"ab\"]", "string:\"ababab\"");
	CHECK(call("until", "[null]") == NULL);
	CHECK_STR(kd_error_last(), "wrong type for value; expected int; got interface {}");
}

TEST(sprig_string_results)
{
	SHOW("splitList", "[\",\", \"a,,b\"]", "[]string:[\"a\",\"\",\"b\"]");
	SHOW("split", "[\"/\", \"x/y\"]", "map[string]string:{\"_0\":\"x\",\"_1\":\"y\"}");
	SHOW("splitn", "[\",\", {\"int\":2}, \"a,b,c\"]", "map[string]string:{\"_0\":\"a\",\"_1\":\"b,c\"}");
	SHOW("until", "[{\"int\":3}]", "[]int:[0,1,2]");
	SHOW("toStrings", "[[1, null, \"a\", 0.5]]", "[]string:[\"1\",\"a\",\"0.5\"]");
	SHOW("join", "[\"-\", [1, null, true]]", "string:\"1-true\"");
	SHOW("quote", "[\"a\\\"b\", null, 2]", "string:\"\\\"a\\\\\\\"b\\\" \\\"2\\\"\"");
	SHOW("title", "[\"hello wOrld-x\"]", "string:\"Hello WOrld-X\"");
	SHOW("snakecase", "[\"HTTPServerID\"]", "string:\"http_server_id\"");
	SHOW("camelcase", "[\"foo_bar-baz\"]", "string:\"FooBarBaz\"");
	SHOW("nindent", "[{\"int\":2}, \"a\\nb\"]", "string:\"\\n  a\\n  b\"");
	SHOW("b64dec", "[\"#\"]", "string:\"illegal base64 data at input byte 0\"");
	SHOW("sha1sum", "[\"abc\"]", "string:\"a9993e364706816aba3e25717850c26c9cd0d89d\"");
	SHOW("adler32sum", "[\"abc\"]", "string:\"38600999\"");
	SHOW("toJson", "[{\"b\":[1.5,\"<\"],\"a\":null}]", "string:\"{\\\"a\\\":null,\\\"b\\\":[1.5,\\\"\\\\u003c\\\"]}\"");
	SHOW("toYaml", "[{\"k\":[\"yes\"]}]", "string:\"k:\\n- \\\"yes\\\"\\n\"");
}

TEST(sprig_set_and_merge_edit_the_map_in_place)
{
	const kd_tpl__fndef *set = fn("set"), *merge = fn("merge");
	cJSON *d = cJSON_Parse("{\"a\":1,\"n\":{\"x\":1},\"e\":\"\"}");
	cJSON *k = cJSON_CreateString("b"), *v = cJSON_CreateString("B");
	cJSON *args[3] = {d, k, v};
	cJSON *out = NULL;
	CHECK_INT(set->fn(&out, args, 3, NULL), 0);
	CHECK_STR(kd_json_get_str(d, "b"), "B");
	cJSON_Delete(out);
	cJSON *src = cJSON_Parse("{\"a\":2,\"n\":{\"y\":2},\"e\":\"full\",\"z\":\"\",\"nil\":null}");
	cJSON *margs[2] = {d, src};
	CHECK_INT(merge->fn(&out, margs, 2, NULL), 0);
	char *s = cJSON_PrintUnformatted(d);
	CHECK_STR(s, "{\"a\":1,\"n\":{\"x\":1,\"y\":2},\"e\":\"full\",\"b\":\"B\"}");
	free(s);
	cJSON_Delete(out);
	cJSON_Delete(src);
	cJSON_Delete(k);
	cJSON_Delete(v);
	cJSON_Delete(d);
}

TEST(sprig_lists_and_defaults)
{
	SHOW("uniq", "[[1, 1, \"1\", null, null]]", "[]interface {}:[1,\"1\",null]");
	SHOW("compact", "[[0, \"\", null, false, [], {}, \"x\"]]", "[]interface {}:[\"x\"]");
	SHOW("rest", "[[]]", "[]interface {}:[]");
	SHOW("first", "[[]]", "<nil>:null");
	SHOW("has", "[1, null]", "bool:false");
	SHOW("default", "[\"d\", 0]", "string:\"d\"");
	SHOW("default", "[\"d\"]", "string:\"d\"");
	SHOW("coalesce", "[null, \"\", 0, \"x\"]", "string:\"x\"");
	SHOW("empty", "[{}]", "bool:true");
	CHECK(call("first", "[\"abc\"]") == NULL);
	CHECK_STR(kd_error_last(), "Cannot find first on type string");
	CHECK(call("fail", "[\"stop here\"]") == NULL);
	CHECK_STR(kd_error_last(), "stop here");
	CHECK(call("getHostByName", "[\"localhost\"]") == NULL);
}

TEST(sprig_semver)
{
	SHOW("semverCompare", "[\">= 1.2, < 2\", \"1.9.0\"]", "bool:true");
	SHOW("semverCompare", "[\"^1.2\", \"2.0.0\"]", "bool:false");
	SHOW("semverCompare", "[\"1.1 - 1.3\", \"1.3.0\"]", "bool:true");
	SHOW("semverCompare", "[\">=1.0.0\", \"1.1.0-rc.1\"]", "bool:false");
	SHOW("semverCompare", "[\"1.x || 3.x\", \"3.4.5\"]", "bool:true");
	CHECK(call("semverCompare", "[\">1\", \"x.y\"]") == NULL);
	CHECK_STR(kd_error_last(), "Invalid Semantic Version");
	cJSON *v = call("semver", "[\"v1.2.3-rc.1+b\"]");
	CHECK(kd_tpl__sp_is_semver(v));
	CHECK_STR(kd_tpl__sp_typeof(v), "*semver.Version");
	CHECK_INT(kd_json_int(kd_json_get(v, "Major")), 1);
	CHECK_STR(kd_json_get_str(v, "Prerelease"), "rc.1");
	kd_buf b = KD_BUF_INIT;
	CHECK(kd_tpl__sprig_fmt_special(&b, v));
	CHECK_STR(kd_buf_cstr(&b), "1.2.3-rc.1+b");
	kd_buf_free(&b);
	cJSON_Delete(v);
}

TEST(sprig_dates_and_ids)
{
	SHOW("dateInZone", "[\"2006-01-02T15:04:05.000Z07:00 Mon Jan _2\", {\"int\":1700000000}, \"UTC\"]",
		"string:\"2023-11-14T22:13:20.000Z Tue Nov 14\"");
	SHOW("dateInZone", "[\"3:04:05 PM\", {\"int\":0}, \"Nowhere/Zone\"]", "string:\"12:00:00 AM\"");
	cJSON *t = call("toDate", "[\"2006-01-02 15:04:05 -0700\", \"2020-02-29 23:59:59 +0100\"]");
	CHECK(kd_tpl__sp_is_time(t));
	kd_buf b = KD_BUF_INIT;
	kd_tpl__sp_time_string(&b, t);
	CHECK_STR(kd_buf_cstr(&b), "2020-02-29 23:59:59 +0100 +0100");
	kd_buf_free(&b);
	cJSON *args[1] = {t};
	cJSON *e = NULL;
	CHECK_INT(fn("unixEpoch")->fn(&e, args, 1, NULL), 0);
	CHECK_STR(e->valuestring, "1583017199");
	cJSON_Delete(e);
	cJSON_Delete(t);
	cJSON *u = call("uuidv4", "[]");
	CHECK(u && strlen(u->valuestring) == 36 && u->valuestring[14] == '4');
	cJSON_Delete(u);
	cJSON *r = call("randAlphaNum", "[{\"int\":64}]");
	CHECK(r && strlen(r->valuestring) == 64 && strspn(r->valuestring,
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == 64);
	cJSON_Delete(r);
}

TEST(sprig_regex_go_semantics)
{
	SHOW("regexReplaceAll", "[\"a(x*)b\", \"-ab-axxb-\", \"$1W\"]", "string:\"---\"");
	SHOW("regexReplaceAll", "[\"a(x*)b\", \"-ab-axxb-\", \"${1}W\"]", "string:\"-W-xxW-\"");
	SHOW("regexReplaceAll", "[\"$\", \"a\\n\", \"E\"]", "string:\"a\\nE\"");
	SHOW("regexFindAll", "[\"a*\", \"baaac\", {\"int\":-1}]", "[]string:[\"\",\"aaa\",\"\"]");
	SHOW("regexSplit", "[\"x*\", \"axbc\", {\"int\":-1}]", "[]string:[\"a\",\"b\",\"c\"]");
	SHOW("regexMatch", "[\"[\", \"x\"]", "bool:false");
	CHECK(call("regexFind", "[\"(\", \"x\"]") == NULL);
}
