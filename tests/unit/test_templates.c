/* Unit tests of the template engine: the public API (parse, execute, walk_fields, limits) and
 * the internals the function library relies on (value printing, truth, function failures).
 * Go-semantics cases live as data under tests/tpl/ (test_tpl_cases.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/base.h"
#include "../../base/json.h"
#include "../../templates/templates.h"
#include "../../templates/tpl_int.h"
#include "test.h"

/* Renders `tpl` with `json` as dot; returns the output (static buffer) or "ERR:<message>". */
static const char *render(const char *tpl, const char *json)
{
	static char res[8192];
	kd_tpl_set *set = NULL;
	kd_buf out = KD_BUF_INIT;
	cJSON *data = json ? cJSON_Parse(json) : NULL;
	int rc = kd_tpl_parse(&set, "t", tpl, strlen(tpl));
	if (rc == 0)
		rc = kd_tpl_execute(&out, set, data);
	if (rc)
		snprintf(res, sizeof(res), "ERR:%s", kd_error_last());
	else
		snprintf(res, sizeof(res), "%s", kd_buf_cstr(&out));
	kd_buf_free(&out);
	kd_tpl_set_free(set);
	cJSON_Delete(data);
	return res;
}

TEST(templates_basic_render)
{
	CHECK_STR(render("a {{ .x }} b", "{\"x\":\"X\"}"), "a X b");
	CHECK_STR(render("{{ .n }} {{ 3 }} {{ 2.5 }}", "{\"n\":1000000}"), "1e+06 3 2.5");
	CHECK_STR(render("", NULL), "");
	CHECK_STR(render("{{ if eq .p \"true\" }}on{{ else }}off{{ end }}", "{\"p\":\"true\"}"), "on");
	CHECK_STR(render("{{ .x }}", "{\"x\":null}"), "<no value>");
	CHECK_STR(render("{{ print .x }}", "{\"x\":null}"), "<nil>");
}

TEST(templates_errors_are_template_class_with_location)
{
	kd_tpl_set *set = NULL;
	const char *src = "line1\n  {{ .Params.nope }}\n";
	CHECK_INT(kd_tpl_parse(&set, "deploy.yaml", src, strlen(src)), 0);
	cJSON *data = cJSON_Parse("{\"Params\":{}}");
	kd_buf out = KD_BUF_INIT;
	CHECK_INT(kd_tpl_execute(&out, set, data), KD_ERROR);
	CHECK(kd_error_last_class() == KD_ERR_TEMPLATE);
	CHECK_STR(kd_error_last(),
		"deploy.yaml:2:13: executing \"deploy.yaml\" at <.Params.nope>: map has no entry for key \"nope\"");
	/* the position is also in the error's parts */
	CHECK_STR(kd_error_last_info()->file, "deploy.yaml");
	CHECK_INT(kd_error_last_info()->line, 2);
	CHECK_INT(kd_error_last_info()->col, 13);
	CHECK_STR(kd_buf_cstr(&out), "line1\n  ");
	kd_buf_free(&out);
	cJSON_Delete(data);
	kd_tpl_set_free(set);

	set = NULL;
	CHECK_INT(kd_tpl_parse(&set, "x.yaml", "a\n{{ nosuch 1 }}", 15), KD_ERROR);
	CHECK(set == NULL);
	CHECK(kd_error_last_class() == KD_ERR_TEMPLATE);
	CHECK_STR(kd_error_last(), "x.yaml:2:4: function \"nosuch\" not defined");
	CHECK_INT(kd_tpl_parse(&set, "x.yaml", "{{ if 1 }}", 10), KD_ERROR);
	CHECK_STR(kd_error_last(), "x.yaml:1:11: unexpected EOF");
	/* a parse names the path it is given, and the name stays the template's */
	CHECK_INT(kd_tpl_parse_path(&set, "x.yaml", "pkg/templates/x.yaml", "a\n{{ nosuch 1 }}", 15), KD_ERROR);
	CHECK_STR(kd_error_last(), "pkg/templates/x.yaml:2:4: function \"nosuch\" not defined");
	kd_tpl_set_free(NULL);
}

TEST(templates_set_is_reusable_and_data_untouched)
{
	const char *src = "{{ range $k, $v := .m }}{{ $k }}={{ $v }};{{ end }}{{ $x := .l }}{{ $x = 1 }}{{ .l }}";
	kd_tpl_set *set = NULL;
	CHECK_INT(kd_tpl_parse(&set, "t", src, strlen(src)), 0);
	cJSON *data = cJSON_Parse("{\"m\":{\"b\":1,\"a\":[1,2]},\"l\":[\"x\"]}");
	char *before = cJSON_PrintUnformatted(data);
	for (int i = 0; i < 3; i++) {
		kd_buf out = KD_BUF_INIT;
		CHECK_INT(kd_tpl_execute(&out, set, data), 0);
		CHECK_STR(kd_buf_cstr(&out), "a=[1 2];b=1;[x]");
		kd_buf_free(&out);
	}
	char *after = cJSON_PrintUnformatted(data);
	CHECK_STR(after, before);
	free(before);
	free(after);
	cJSON_Delete(data);
	kd_tpl_set_free(set);
}

TEST(templates_appends_to_existing_buffer)
{
	kd_tpl_set *set = NULL;
	CHECK_INT(kd_tpl_parse(&set, "t", "{{ 1 }}", 7), 0);
	kd_buf out = KD_BUF_INIT;
	kd_buf_puts(&out, "pre:");
	CHECK_INT(kd_tpl_execute(&out, set, NULL), 0);
	CHECK_STR(kd_buf_cstr(&out), "pre:1");
	kd_buf_free(&out);
	kd_tpl_set_free(set);
}

typedef struct {
	char chains[16][64];
	int lines[16], cols[16];
	int n;
} fields;

static int collect(const char *chain, int line, int col, void *ud)
{
	fields *f = ud;
	if (f->n < 16) {
		snprintf(f->chains[f->n], sizeof(f->chains[0]), "%s", chain);
		f->lines[f->n] = line;
		f->cols[f->n] = col;
		f->n++;
	}
	return 0;
}

static int stop_at_second(const char *chain, int line, int col, void *ud)
{
	return ++*(int *)ud == 2 ? 7 : 0;
}

TEST(templates_walk_fields)
{
	const char *src = "{{ .Params.replicas }}\n"
			  "  {{ if eq $.Params.x \"1\" }}{{ $v := .Name }}{{ $v.y }}{{ end }}\n"
			  "{{ define \"d\" }}{{ .Params.inDefine | printf \"%s\" }}{{ (index .A 1).b }}{{ end }}";
	kd_tpl_set *set = NULL;
	CHECK_INT(kd_tpl_parse(&set, "t", src, strlen(src)), 0);
	fields f;
	memset(&f, 0, sizeof(f));
	CHECK_INT(kd_tpl_walk_fields(set, collect, &f), 0);
	CHECK_INT(f.n, 5);
	/* the main template comes after defines in the set; find by name */
	bool seen_rep = false, seen_x = false, seen_name = false, seen_def = false, seen_a = false;
	for (int i = 0; i < f.n; i++) {
		if (strcmp(f.chains[i], "Params.replicas") == 0) {
			seen_rep = true;
			CHECK_INT(f.lines[i], 1);
			CHECK_INT(f.cols[i], 4);
		} else if (strcmp(f.chains[i], "Params.x") == 0) {
			seen_x = true;
			CHECK_INT(f.lines[i], 2);
			CHECK_INT(f.cols[i], 12);
		} else if (strcmp(f.chains[i], "Name") == 0) {
			seen_name = true;
		} else if (strcmp(f.chains[i], "Params.inDefine") == 0) {
			seen_def = true;
			CHECK_INT(f.lines[i], 3);
		} else if (strcmp(f.chains[i], "A") == 0) {
			seen_a = true;
		}
	}
	CHECK(seen_rep && seen_x && seen_name && seen_def && seen_a);
	int calls = 0;
	CHECK_INT(kd_tpl_walk_fields(set, stop_at_second, &calls), 7);
	CHECK_INT(calls, 2);
	kd_tpl_set_free(set);
}

TEST(templates_value_printing_and_truth)
{
	kd_buf b = KD_BUF_INIT;
	cJSON *v = cJSON_Parse("{\"b\":[1,\"x\",null,true],\"a\":{\"z\":0.5,\"y\":1e21},\"c\":\"s\"}");
	CHECK_INT(kd_tpl__fmt_value(&b, v), 0);
	CHECK_STR(kd_buf_cstr(&b), "map[a:map[y:1e+21 z:0.5] b:[1 x <nil> true] c:s]");
	kd_buf_clear(&b);
	cJSON *i = kd_json_new_int(-42);
	kd_tpl__fmt_value(&b, i);
	CHECK_STR(kd_buf_cstr(&b), "-42");
	CHECK(kd_tpl__truth(i));
	cJSON_Delete(i);
	CHECK(!kd_tpl__truth(NULL));
	cJSON *z = cJSON_CreateNumber(0);
	CHECK(!kd_tpl__truth(z));
	cJSON_Delete(z);
	cJSON *e = cJSON_CreateArray();
	CHECK(!kd_tpl__truth(e));
	cJSON_Delete(e);
	CHECK(kd_tpl__truth(v));
	kd_buf_clear(&b);
	cJSON *args[2] = {cJSON_GetObjectItem(v, "c"), cJSON_GetObjectItem(v, "b")};
	CHECK_INT(kd_tpl__sprintf(&b, "%5s|%v|%d", 10, args, 2), 0);
	CHECK_STR(kd_buf_cstr(&b), "    s|[1 x <nil> true]|%!d(MISSING)");
	cJSON_Delete(v);
	kd_buf_free(&b);
	/* outside an execution, a function failure lands in the last error */
	CHECK_INT(kd_tpl__fn_fail(NULL, "bad %d", 3), KD_ERROR);
	CHECK_STR(kd_error_last(), "bad 3");
}

TEST(templates_output_cap)
{
	const char *src = "{{ range .l }}{{ range $.l }}{{ range $.l }}0123456789{{ end }}{{ end }}{{ end }}";
	kd_tpl_set *set = NULL;
	CHECK_INT(kd_tpl_parse(&set, "t", src, strlen(src)), 0);
	cJSON *data = cJSON_Parse("{\"l\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]}");
	kd_buf out = KD_BUF_INIT;
	out.max = 1000;
	CHECK_INT(kd_tpl_execute(&out, set, data), KD_ERROR);
	CHECK(strstr(kd_error_last(), "output exceeds") != NULL);
	CHECK(out.len <= 1000);
	CHECK_INT((long long)out.max, 1000);
	kd_buf_free(&out);
	cJSON_Delete(data);
	kd_tpl_set_free(set);
}

TEST(templates_hostile_nesting_fails_cleanly)
{
	kd_buf src = KD_BUF_INIT;
	for (int i = 0; i < 5000; i++)
		kd_buf_puts(&src, "{{ if 1 }}");
	kd_tpl_set *set = NULL;
	CHECK_INT(kd_tpl_parse(&set, "t", src.ptr, src.len), KD_ERROR);
	CHECK(strstr(kd_error_last(), "max expression depth exceeded") != NULL);
	kd_buf_clear(&src);
	kd_buf_puts(&src, "{{ print ");
	for (int i = 0; i < 5000; i++)
		kd_buf_puts(&src, "(print ");
	CHECK_INT(kd_tpl_parse(&set, "t", src.ptr, src.len), KD_ERROR);
	kd_buf_free(&src);
	/* unbounded template recursion stops with Go's message, not a stack overflow */
	const char *rec = "{{ define \"r\" }}{{ if 1 }}{{ with . }}{{ template \"r\" . }}{{ end }}{{ end }}{{ end }}"
			  "{{ template \"r\" 1 }}";
	const char *r = render(rec, NULL);
	CHECK(strncmp(r, "ERR:t:1:", 8) == 0);
	CHECK(strstr(r, "exceeded maximum template depth (10000)") != NULL);
}

TEST(templates_lookup_precedence)
{
	const kd_tpl__fndef *fn;
	kd_tpl__builtin b;
	CHECK(kd_tpl__lookup_fn("printf", 6, &fn, &b));
	CHECK(kd_tpl__lookup_fn("eq", 2, &fn, &b));
	CHECK(!kd_tpl__lookup_fn("nosuchfunction", 14, &fn, &b));
	CHECK(!kd_tpl__lookup_fn("call", 4, &fn, &b));
	/* every sprig entry is found as itself, so it wins over a built-in of the same name */
	for (const kd_tpl__fndef *d = kd_tpl__sprig_fns; d->name; d++) {
		CHECK(kd_tpl__lookup_fn(d->name, strlen(d->name), &fn, &b));
		CHECK(fn == d);
	}
}

TEST(templates_parsed_set_renders_the_same_every_time)
{
	/* A parsed set is reused across steps (plans/ caches it): executing it must not change it
	 * or the data. Speed is measured by `zig build bench`, not asserted here. */
	kd_buf src = KD_BUF_INIT, first = KD_BUF_INIT;
	for (int i = 0; i < 25; i++) {
		kd_buf_printf(&src, "  name: {{ .Name }}-%d\n", i);
		kd_buf_puts(&src, "  {{- if eq .Params.enabled \"true\" }}\n  replicas: {{ .Params.replicas }}\n  {{- end }}\n");
		kd_buf_puts(&src, "  {{ $x := 0 }}{{ range $k, $v := .Params.map }}{{ $x = $k }}{{ $k }}={{ $v }} {{ end }}{{ $x }}\n");
	}
	cJSON *data = cJSON_Parse("{\"Name\":\"n\",\"Params\":{\"enabled\":\"true\",\"replicas\":\"3\","
				  "\"map\":{\"b\":\"2\",\"a\":\"1\"}}}");
	char *before = cJSON_PrintUnformatted(data);
	kd_tpl_set *set = NULL;
	CHECK_INT(kd_tpl_parse(&set, "t", src.ptr, src.len), 0);
	CHECK_INT(kd_tpl_execute(&first, set, data), 0);
	CHECK(strstr(kd_buf_cstr(&first), "  name: n-24\n  replicas: 3\n  a=1 b=2 b\n") != NULL);
	for (int i = 0; i < 50; i++) {
		kd_buf out = KD_BUF_INIT;
		CHECK_INT(kd_tpl_execute(&out, set, data), 0);
		CHECK_STR(kd_buf_cstr(&out), kd_buf_cstr(&first));
		kd_buf_free(&out);
	}
	char *after = cJSON_PrintUnformatted(data);
	CHECK_STR(after, before);
	free(before);
	free(after);
	kd_tpl_set_free(set);
	kd_buf_free(&first);
	kd_buf_free(&src);
	cJSON_Delete(data);
}

/* Renders src with a budget lowered to `steps` (0: the default); "ERR:..." on failure. */
static const char *render_budget(const char *src, uint64_t steps, size_t values)
{
	uint64_t s0 = kd_tpl__max_steps;
	size_t v0 = kd_tpl__max_values;
	if (steps)
		kd_tpl__max_steps = steps;
	if (values)
		kd_tpl__max_values = values;
	const char *r = render(src, "{}");
	kd_tpl__max_steps = s0;
	kd_tpl__max_values = v0;
	return r;
}

TEST(templates_execution_budget_stops_runaway_work)
{
	/* nested ranges that would run 10^14 passes: stopped, naming where */
	const char *r = render_budget("x\n{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}", 100000, 0);
	CHECK(strncmp(r, "ERR:t:2:", 8) == 0 && strstr(r, "did not finish within its budget of 100000 steps"));
	/* doubly recursive define: 2^40 calls */
	r = render_budget("{{ define \"r\" }}{{ if lt . 40 }}{{ template \"r\" (add . 1) }}{{ template \"r\" (add . 1) }}"
			  "{{ end }}{{ end }}{{ template \"r\" 0 }}",
		100000, 0);
	CHECK(strncmp(r, "ERR:t:1:", 8) == 0 && strstr(r, "executing \"r\"") && strstr(r, "did not finish"));
	/* a loop that builds and drops large values counts their bytes as work */
	r = render_budget("{{ range until 100 }}{{ $x := until 100000 }}{{ end }}", 1000000, 0);
	CHECK(strstr(r, "did not finish within its budget"));
	/* under the budget, the same templates finish */
	CHECK_STR(render_budget("{{ range until 10 }}{{ range until 10 }}.{{ end }}{{ end }}", 1000, 0),
		"....................................................................................................");
}

TEST(templates_value_memory_budget)
{
	/* values built and kept count; values dropped do not */
	const char *r = render_budget("{{ $l := list }}{{ range until 100 }}{{ $l = append $l (repeat 10000 \"a\") }}{{ end }}",
		0, 200000);
	CHECK(strstr(r, "ERR:t:1:") && (strstr(r, "take more than") || strstr(r, "memory left")));
	CHECK_STR(render_budget("{{ range until 100 }}{{ $x := repeat 10000 \"a\" }}{{ end }}ok", 0, 200000), "ok");
	/* a copy that would not fit is refused before it is made */
	r = render_budget("{{ $s := repeat 150000 \"a\" }}{{ $l := list $s $s $s }}", 0, 400000);
	CHECK(strstr(r, "error calling list: copying the value would take more than the memory left"));
	/* one string past 64 MiB: an error, never a cut value */
	r = render("{{ $s := repeat 1000 (repeat 40000 \"a\") }}{{ cat $s $s | len }}", "{}");
	CHECK(strstr(r, "error calling cat: the result exceeds the limit of 64 MiB for one string"));
}

TEST(templates_data_is_changed_in_place_and_detached_nodes_freed)
{
	kd_tpl_set *set = NULL;
	const char *src = "{{ $_ := set .Params \"added\" 1 }}{{ $_ := unset .Params \"gone\" }}"
			  "{{ $_ := set . \"Pinned\" \"replaced\" }}{{ $_ := set .Params \"big\" (dict \"a\" 1) }}";
	CHECK_INT(kd_tpl_parse(&set, "t", src, strlen(src)), 0);
	cJSON *data = cJSON_Parse("{\"Params\":{\"gone\":{\"deep\":[1,2,3]},\"big\":\"old\"}}");
	cJSON *pinned = cJSON_CreateString("kept");
	pinned->type |= KD_JSON_PINNED;
	cJSON_AddItemToObject(data, "Pinned", pinned);
	kd_buf out = KD_BUF_INIT;
	CHECK_INT(kd_tpl_execute(&out, set, data), 0);
	/* the changes are in the caller's tree (Go maps are references) */
	const cJSON *p = kd_json_get(data, "Params");
	CHECK(kd_json_get(p, "added") && kd_json_int(kd_json_get(p, "added")) == 1);
	CHECK(!kd_json_get(p, "gone"));
	CHECK(cJSON_IsObject(kd_json_get(p, "big")));
	CHECK_STR(kd_json_get_str(data, "Pinned"), "replaced");
	/* the pinned node was let go, not freed: still ours (ASan would see a double free) */
	CHECK_STR(pinned->valuestring, "kept");
	CHECK(pinned->next == NULL && pinned->prev == NULL);
	kd_json_delete(pinned);
	/* the same tree again: what the first run set is there for the second */
	const char *src2 = "{{ .Params.added }} {{ hasKey .Params \"gone\" }}";
	kd_tpl_set *set2 = NULL;
	CHECK_INT(kd_tpl_parse(&set2, "t2", src2, strlen(src2)), 0);
	kd_buf_clear(&out);
	CHECK_INT(kd_tpl_execute(&out, set2, data), 0);
	CHECK_STR(kd_buf_cstr(&out), "1 false");
	kd_buf_free(&out);
	kd_tpl_set_free(set);
	kd_tpl_set_free(set2);
	kd_json_delete(data);
}

TEST(templates_many_defines_and_large_maps_stay_linear)
{
	/* 200,000 defines (found by hash) and a map of 50,000 keys read through its index */
	kd_buf src = KD_BUF_INIT;
	for (int i = 0; i < 200000; i++)
		kd_buf_printf(&src, "{{ define \"d%d\" }}%d{{ end }}", i, i);
	kd_buf_puts(&src, "{{ template \"d199999\" }} {{ template \"d7\" }}");
	kd_tpl_set *set = NULL;
	CHECK_INT(kd_tpl_parse(&set, "t", src.ptr, src.len), 0);
	kd_buf out = KD_BUF_INIT;
	CHECK_INT(kd_tpl_execute(&out, set, NULL), 0);
	CHECK_STR(kd_buf_cstr(&out), "199999 7");
	kd_tpl_set_free(set);
	kd_buf_free(&out);
	kd_buf_free(&src);
	CHECK_STR(render("{{ $d := dict }}{{ range $i := until 50000 }}{{ $_ := set $d (printf \"k%d\" $i) $i }}{{ end }}"
			 "{{ $n := 0 }}{{ range $i := until 50000 }}{{ if hasKey $d (printf \"k%d\" $i) }}{{ $n = add $n 1 }}{{ end }}{{ end }}"
			 "{{ $n }} {{ index $d \"k49999\" }} {{ $_ := unset $d \"k5\" }}{{ hasKey $d \"k5\" }} {{ len $d }}",
			 "{}"),
		"50000 49999 false 49999");
	/* a duplicate define is still refused */
	CHECK(strstr(render("{{ define \"a\" }}1{{ end }}{{ define \"a\" }}2{{ end }}", "{}"), "multiple definition of template"));
}
