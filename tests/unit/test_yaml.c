#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/json.h"
#include "../../base/yaml.h"
#include "test.h"

static cJSON *one(const char *text)
{
	cJSON *v = NULL;
	if (kd_yaml_parse_one(&v, NULL, "t.yaml", text, strlen(text)))
		return NULL;
	return v;
}

static char *compact(const char *text)
{
	cJSON *v = one(text);
	if (!v)
		return NULL;
	char *s = cJSON_PrintUnformatted(v);
	cJSON_Delete(v);
	return s;
}

#define CHECK_YAML(text, json)             \
	do {                                   \
		char *s_ = compact(text);          \
		CHECK_STR(s_, json);               \
		free(s_);                          \
	} while (0)

TEST(yaml_scalars_resolve_like_yaml_v2)
{
	CHECK_YAML("a: 1", "{\"a\":1}");
	CHECK_YAML("a: yes\nb: Off\nc: y\nd: 'yes'", "{\"a\":true,\"b\":false,\"c\":true,\"d\":\"yes\"}");
	CHECK_YAML("a: ~\nb:\nc: null\nd: \"\"", "{\"a\":null,\"b\":null,\"c\":null,\"d\":\"\"}");
	CHECK_YAML("a: 0x1F\nb: 017\nc: 0o17\nd: 0b101\ne: 1_000", "{\"a\":31,\"b\":15,\"c\":15,\"d\":5,\"e\":1000}");
	CHECK_YAML("a: 0.5\nb: 1e3\nc: .5\nd: 1.2.3\ne: 08", "{\"a\":0.5,\"b\":1000,\"c\":0.5,\"d\":\"1.2.3\",\"e\":8}");
	CHECK_YAML("a: !!str 3\nb: \"3\"\nc: |\n  x\n  y\n", "{\"a\":\"3\",\"b\":\"3\",\"c\":\"x\\ny\\n\"}");
	CHECK_YAML("- a\n- 2\n- [x, {k: v}]", "[\"a\",2,[\"x\",{\"k\":\"v\"}]]");
	cJSON *v = one("p: .inf\nq: -.Inf\nr: .nan\ny: 1");
	CHECK(v && isinf(kd_json_get(v, "p")->valuedouble) && kd_json_get(v, "p")->valuedouble > 0);
	CHECK(v && isinf(kd_json_get(v, "q")->valuedouble) && kd_json_get(v, "q")->valuedouble < 0);
	CHECK(v && isnan(kd_json_get(v, "r")->valuedouble));
	CHECK(v && kd_json_get(v, "true") != NULL); /* a `y` key is the boolean true in YAML 1.1 */
	cJSON_Delete(v);
}

TEST(yaml_anchors_aliases_and_merge_keys)
{
	CHECK_YAML("base: &b {x: 1, z: 2}\nc:\n  <<: *b\n  z: 3\n", "{\"base\":{\"x\":1,\"z\":2},\"c\":{\"z\":3,\"x\":1}}");
	CHECK_YAML("a: &n 5\nb: *n", "{\"a\":5,\"b\":5}");
	CHECK_YAML("a: &x {k: 1}\na: 2\nb: *x", "{\"a\":2,\"b\":{\"k\":1}}");
	/* Anchors inside merge sources, on keys and on replaced values stay valid (fuzz finding). */
	CHECK_YAML("a: &b {x: 0}\nc:\n  <<: &b {x: 1}\nc:\n  <<: *b\n  w: 2\n", "{\"a\":{\"x\":0},\"c\":{\"w\":2,\"x\":1}}");
	CHECK_YAML("&k key: 1\nother: *k\n", "{\"key\":1,\"other\":\"key\"}");
	kd_error_clear();
	CHECK(one("a: *nope") == NULL);
	CHECK(strstr(kd_error_last(), "t.yaml:1:4: unknown anchor 'nope'") != NULL);
}

TEST(yaml_errors_name_line_and_column)
{
	CHECK(one("a: b\n  c: d\n") == NULL);
	CHECK(kd_error_last() && strstr(kd_error_last(), "t.yaml:2:4: mapping values are not allowed") != NULL);
	CHECK(one("a: [1, 2\n") == NULL);
	CHECK(kd_error_last() && strncmp(kd_error_last(), "t.yaml:2:1:", 11) == 0);
	CHECK(one("a: 1\n---\nb: 2\n") == NULL);
	CHECK(kd_error_last() && strstr(kd_error_last(), "t.yaml:2:1: expected a single document") != NULL);
	CHECK(one("? [a]\n: 1\n") == NULL);
	CHECK(kd_error_last() && strstr(kd_error_last(), "mapping keys must be scalars") != NULL);
}

TEST(yaml_billion_laughs_is_capped)
{
	kd_buf b = KD_BUF_INIT;
	kd_buf_puts(&b, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (int i = 1; i < 12; i++)
		kd_buf_printf(&b, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i - 1,
			i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	cJSON *v = NULL;
	CHECK(kd_yaml_parse_one(&v, NULL, "bomb.yaml", b.ptr, b.len) == KD_ERROR);
	CHECK(kd_error_last() && strstr(kd_error_last(), "document too large") != NULL);
	kd_buf_free(&b);
}

TEST(yaml_multi_documents_and_positions)
{
	const char *t = "a: 1\n---\n# only a comment\n---\nkind: X\nspec:\n  items: [1, 2]\n";
	cJSON *docs = NULL;
	kd_yaml_pos *pos = NULL;
	CHECK_INT(kd_yaml_parse_all(&docs, &pos, "m.yaml", t, strlen(t)), 0);
	CHECK_INT(cJSON_GetArraySize(docs), 3);
	CHECK(cJSON_IsNull(cJSON_GetArrayItem(docs, 1)));
	cJSON *n = kd_json_path(cJSON_GetArrayItem(docs, 2), "spec", "items", NULL);
	int line = 0, col = 0;
	CHECK_INT(kd_yaml_pos_get(pos, n, &line, &col), 0);
	CHECK_INT(line, 7);
	CHECK_INT(col, 10);
	CHECK_INT(kd_yaml_pos_get_key(pos, n, &line, &col), 0);
	CHECK_INT(line, 7);
	CHECK_INT(col, 3);
	CHECK_INT(kd_yaml_pos_get(pos, cJSON_GetArrayItem(n, 1), &line, &col), 0);
	CHECK_INT(col, 14);
	CHECK_STR(kd_yaml_pos_name(pos), "m.yaml");
	cJSON_Delete(docs);
	kd_yaml_pos_free(pos);
}

TEST(yaml_alias_expansion_is_capped_by_bytes)
{
	/* a 1 MB scalar named 100 times through each of three levels of aliases: few nodes, 100 GB
	 * of copies if nothing counted their bytes */
	kd_buf b = KD_BUF_INIT;
	kd_buf_puts(&b, "s: &s ");
	for (int i = 0; i < 1000000; i++)
		kd_buf_putc(&b, 'x');
	kd_buf_puts(&b, "\nl1: &l1 [");
	for (int i = 0; i < 100; i++)
		kd_buf_puts(&b, i ? ", *s" : "*s");
	kd_buf_puts(&b, "]\nl2: &l2 [");
	for (int i = 0; i < 100; i++)
		kd_buf_puts(&b, i ? ", *l1" : "*l1");
	kd_buf_puts(&b, "]\nl3: [");
	for (int i = 0; i < 100; i++)
		kd_buf_puts(&b, i ? ", *l2" : "*l2");
	kd_buf_puts(&b, "]\n");
	cJSON *v = NULL;
	CHECK(kd_yaml_parse_one(&v, NULL, "bytes.yaml", b.ptr, b.len) == KD_ERROR);
	CHECK(kd_error_last() && strstr(kd_error_last(), "bytes.yaml:2:") &&
		strstr(kd_error_last(), "alias and merge expansion over 64 MiB"));
	/* ... and a merge key copying a large map counts the same way */
	kd_buf_clear(&b);
	kd_buf_puts(&b, "m: &m {k: ");
	for (int i = 0; i < 1000000; i++)
		kd_buf_putc(&b, 'y');
	kd_buf_puts(&b, "}\nl:\n");
	for (int i = 0; i < 100; i++)
		kd_buf_printf(&b, "  - {<<: *m, n: %d}\n", i);
	CHECK(kd_yaml_parse_one(&v, NULL, "merge.yaml", b.ptr, b.len) == KD_ERROR);
	CHECK(kd_error_last() && strstr(kd_error_last(), "alias and merge expansion over 64 MiB"));
	kd_buf_free(&b);
}

TEST(yaml_nul_and_bad_bytes_are_errors_at_their_place)
{
	/* "\0" would cut the string where C sees its end */
	CHECK(one("a: 1\nb: \"x\\0y\"\n") == NULL);
	CHECK(kd_error_last() && strstr(kd_error_last(), "t.yaml:2:4: a NUL character (\\0) in a string is not supported"));
	/* reader errors name their line and column (characters), not 1:1 */
	const char bad[] = "a: 1\nb: 2\nc: \xc3\xa9\xff\n";
	cJSON *v = NULL;
	CHECK(kd_yaml_parse_one(&v, NULL, "t.yaml", bad, sizeof bad - 1) == KD_ERROR);
	CHECK(kd_error_last() && strstr(kd_error_last(), "t.yaml:3:5: invalid leading UTF-8 octet"));
	const char nul[] = "a: 1\n\n  b\0c\n";
	CHECK(kd_yaml_parse_one(&v, NULL, "t.yaml", nul, sizeof nul - 1) == KD_ERROR);
	CHECK(kd_error_last() && strstr(kd_error_last(), "t.yaml:3:4: control characters are not allowed (byte 0x00)"));
	/* a slice of a larger file reports the larger file's lines */
	CHECK(kd_yaml_parse_one_at(&v, NULL, "t.yaml", bad, sizeof bad - 1, 10) == KD_ERROR);
	CHECK(kd_error_last() && strstr(kd_error_last(), "t.yaml:12:5:"));
}

TEST(yaml_many_keys_and_anchors_stay_right)
{
	/* 100,000 keys in one map (duplicates found by hash: the last wins) and 100,000 anchors */
	kd_buf b = KD_BUF_INIT;
	kd_buf_puts(&b, "m:\n");
	for (int i = 0; i < 100000; i++)
		kd_buf_printf(&b, "  k%d: %d\n", i, i);
	kd_buf_puts(&b, "  k5: again\n  k99999: last\nl:\n");
	for (int i = 0; i < 100000; i++)
		kd_buf_printf(&b, "  - &a%d v%d\n", i, i);
	kd_buf_puts(&b, "  - &a7 redefined\nr: [*a0, *a7, *a99999]\n");
	cJSON *v = NULL;
	CHECK_INT(kd_yaml_parse_one(&v, NULL, "many.yaml", b.ptr, b.len), 0);
	const cJSON *m = kd_json_get(v, "m");
	CHECK_INT(cJSON_GetArraySize(m), 100000);
	CHECK_STR(kd_json_get_str(m, "k5"), "again");
	CHECK_STR(kd_json_get_str(m, "k99999"), "last");
	CHECK(kd_json_get(m, "k77777") && kd_json_get(m, "k77777")->valuedouble == 77777);
	const cJSON *r = kd_json_get(v, "r");
	CHECK_STR(cJSON_GetArrayItem(r, 0)->valuestring, "v0");
	CHECK_STR(cJSON_GetArrayItem(r, 1)->valuestring, "redefined");
	CHECK_STR(cJSON_GetArrayItem(r, 2)->valuestring, "v99999");
	kd_json_delete(v);
	/* a merge into a large map keeps explicit keys */
	kd_buf_clear(&b);
	kd_buf_puts(&b, "base: &b\n");
	for (int i = 0; i < 100; i++)
		kd_buf_printf(&b, "  k%d: base\n", i);
	kd_buf_puts(&b, "top:\n  <<: *b\n  k3: own\n");
	for (int i = 100; i < 200; i++)
		kd_buf_printf(&b, "  k%d: own\n", i);
	CHECK_INT(kd_yaml_parse_one(&v, NULL, "merge.yaml", b.ptr, b.len), 0);
	const cJSON *top = kd_json_get(v, "top");
	CHECK_INT(cJSON_GetArraySize(top), 200);
	CHECK_STR(kd_json_get_str(top, "k3"), "own");
	CHECK_STR(kd_json_get_str(top, "k50"), "base");
	kd_json_delete(v);
	kd_buf_free(&b);
}
