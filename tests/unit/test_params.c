/* params/: -p parsing, type rules, merge order, template form, changes, triggers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/base.h"
#include "../../base/json.h"
#include "../../operator/operator.h"
#include "../../params/params.h"
#include "test.h"

static const char op_yaml[] = "apiVersion: kudo.dev/v1beta1\n"
			      "name: p\n"
			      "operatorVersion: 0.1.0\n"
			      "plans:\n"
			      "  deploy: {}\n"
			      "  update: {}\n"
			      "  scale: {}\n";
static const char params_yaml[] = "apiVersion: kudo.dev/v1beta1\n"
				  "parameters:\n"
				  "  - name: replicas\n"
				  "    type: integer\n"
				  "    default: 1\n"
				  "    trigger: scale\n"
				  "  - name: ratio\n"
				  "    type: number\n"
				  "    default: 0.5\n"
				  "  - name: enabled\n"
				  "    type: boolean\n"
				  "    default: false\n"
				  "  - name: size\n"
				  "    type: integer\n"
				  "    enum: [1, 2, 3]\n"
				  "    default: 2\n"
				  "  - name: list\n"
				  "    type: array\n"
				  "    default: \"[a, b]\"\n"
				  "  - name: labels\n"
				  "    type: map\n"
				  "    default: {app: x, num: 1}\n"
				  "  - name: name\n"
				  "    immutable: true\n"
				  "    default: first\n"
				  "  - name: note\n"
				  "    required: false\n";

static kd_pkg *load(const char *op, const char *params)
{
	kd_pkg_input_file f[] = {{"operator.yaml", op, strlen(op)}, {"params.yaml", params, strlen(params)}};
	kd_pkg *pkg = NULL;
	CHECK_INT(kd_pkg_load_files(&pkg, "mem", f, 2, NULL), 0);
	return pkg;
}

static bool has(const char *s, const char *sub)
{
	return s && strstr(s, sub);
}

TEST(params_parse_flag)
{
	char *n = NULL, *v = NULL;
	CHECK_INT(kd_params_parse_flag(&n, &v, "a=b=c"), 0);
	CHECK_STR(n, "a");
	CHECK_STR(v, "b=c");
	free(n);
	free(v);
	CHECK_INT(kd_params_parse_flag(&n, &v, "empty="), 0);
	CHECK_STR(n, "empty");
	CHECK_STR(v, "");
	free(n);
	free(v);
	CHECK_INT(kd_params_parse_flag(&n, &v, "=3"), KD_EUSAGE);
	CHECK(n == NULL && v == NULL);
	CHECK_STR(kd_error_last(), "a -p argument has an empty parameter name: expected -p NAME=VALUE");
	CHECK_INT(kd_params_parse_flag(&n, &v, "novalue"), KD_EUSAGE);
	/* without its '=' the argument may be a bare value (a token): never quoted */
	CHECK_STR(kd_error_last(), "a -p argument has no '=': expected -p NAME=VALUE");
	CHECK(kd_error_last_class() == KD_ERR_USAGE);
	CHECK_INT(kd_params_parse_flag(&n, &v, ""), KD_EUSAGE);
}

TEST(params_defaults_in_template_form)
{
	kd_pkg *pkg = load(op_yaml, params_yaml);
	kd_params *p = NULL;
	cJSON *t = NULL;
	if (!pkg)
		return;
	CHECK_INT(kd_params_resolve(&p, pkg, NULL), 0);
	CHECK_INT(kd_params_to_template(&t, p), 0);
	char *s = cJSON_PrintUnformatted(t);
	CHECK_STR(s, "{\"replicas\":\"1\",\"ratio\":\"0.5\",\"enabled\":\"false\",\"size\":\"2\",\"list\":[\"a\",\"b\"],"
		     "\"labels\":{\"app\":\"x\",\"num\":1},\"name\":\"first\",\"note\":\"\"}");
	/* an optional string without a value is "" in templates, as in KUDO (StringValue(nil)) */
	free(s);
	CHECK(kd_params_source(p, "replicas") == KD_PARAM_SRC_DEFAULT);
	CHECK(kd_params_source(p, "note") == KD_PARAM_SRC_NONE);
	CHECK(kd_params_get(p, "note") == NULL);
	CHECK(kd_params_get(p, "missing") == NULL);
	/* numbers inside structures stay float64, as KUDO's templates see them */
	const cJSON *labels = kd_params_get(p, "labels");
	CHECK(labels && !kd_json_is_int(kd_json_get(labels, "num")));
	cJSON_Delete(t);
	kd_params_free(p);
	kd_params_free(NULL);
	kd_pkg_free(pkg);
}

TEST(params_type_rules_follow_go_strconv)
{
	kd_pkg *pkg = load(op_yaml, params_yaml);
	if (!pkg)
		return;
	struct {
		const char *flag;
		bool ok;
	} cases[] = {
		{"replicas=3", true},
		{"replicas=-3", true},
		{"replicas=+3", true},
		{"replicas=007", true},
		{"replicas=9223372036854775807", true},
		{"replicas=9223372036854775808", false},
		{"replicas=-9223372036854775808", true},
		{"replicas=3.0", false},
		{"replicas=1e3", false},
		{"replicas=1_000", false},
		{"replicas= 3", false},
		{"replicas=", false},
		{"replicas=0x10", false},
		{"ratio=1", true},
		{"ratio=-0.5", true},
		{"ratio=.5", true},
		{"ratio=5.", true},
		{"ratio=1e-3", true},
		{"ratio=1E+3", true},
		{"ratio=Inf", true},
		{"ratio=-infinity", true},
		{"ratio=NaN", true},
		{"ratio=0x1p-2", true},
		{"ratio=0x10", false},
		{"ratio=1e400", false},
		{"ratio=1e", false},
		{"ratio=.", false},
		{"ratio=abc", false},
		{"ratio=", false},
		{"enabled=true", true},
		{"enabled=True", true},
		{"enabled=TRUE", true},
		{"enabled=t", true},
		{"enabled=T", true},
		{"enabled=1", true},
		{"enabled=false", true},
		{"enabled=F", true},
		{"enabled=0", true},
		{"enabled=yes", false},
		{"enabled=tRUE", false},
		{"enabled=", false},
		{"size=3", true},
		{"size=4", false},
		{"size=03", false},
		{"list=[]", true},
		{"list=[1, {a: b}]", true},
		{"list=- a\n- b", true},
		{"list=a", false},
		{"list={}", false},
		{"list=[", false},
		{"labels={}", true},
		{"labels=a: 1", true},
		{"labels=[a]", false},
		{"labels=", false},
		{"name=anything at all", true},
		{"name=", true},
	};
	for (size_t i = 0; i < KD_ARRAY_SIZE(cases); i++) {
		kd_params *p = NULL;
		kd_params_options o = KD_PARAMS_OPTIONS_INIT;
		const char *f[] = {cases[i].flag};
		o.flags = f;
		o.nflags = 1;
		int rc = kd_params_resolve(&p, pkg, &o);
		if (!CHECK(cases[i].ok ? rc == 0 : rc == KD_EINVALID))
			fprintf(stderr, "    case -p %s\n", cases[i].flag);
		if (!cases[i].ok && rc)
			CHECK(kd_error_last_class() == KD_ERR_PARAMS);
		kd_params_free(p);
	}
	kd_pkg_free(pkg);
}

TEST(params_flag_values_are_verbatim)
{
	kd_pkg *pkg = load(op_yaml, params_yaml);
	kd_params *p = NULL;
	kd_params_options o = KD_PARAMS_OPTIONS_INIT;
	const char *f[] = {"replicas=+007", "enabled=T", "ratio=1e3", "list=[1, x]", "labels=a: {b: 2.5}"};
	if (!pkg)
		return;
	o.flags = f;
	o.nflags = KD_ARRAY_SIZE(f);
	CHECK_INT(kd_params_resolve(&p, pkg, &o), 0);
	CHECK_STR(cJSON_GetStringValue(kd_params_get(p, "replicas")), "+007");
	CHECK_STR(cJSON_GetStringValue(kd_params_get(p, "enabled")), "T");
	CHECK_STR(cJSON_GetStringValue(kd_params_get(p, "ratio")), "1e3");
	char *s = cJSON_PrintUnformatted(kd_params_get(p, "list"));
	CHECK_STR(s, "[1,\"x\"]");
	free(s);
	s = cJSON_PrintUnformatted(kd_params_get(p, "labels"));
	CHECK_STR(s, "{\"a\":{\"b\":2.5}}");
	free(s);
	CHECK(kd_params_source(p, "list") == KD_PARAM_SRC_FLAG);
	kd_params_free(p);
	kd_pkg_free(pkg);
}

TEST(params_file_values_format_like_go)
{
	kd_pkg *pkg = load(op_yaml, params_yaml);
	kd_params *p = NULL;
	if (!pkg)
		return;
	CHECK_INT(kd_params_new(&p, pkg), 0);
	const char *vals = "replicas: 1000000\nratio: 0.1\nenabled: yes\nname: 12.50\nnote: ~\nlist: [1, 2]\n";
	kd_params_add_file_text(p, "v.yaml", vals, strlen(vals));
	CHECK_INT(kd_params_finish(p), 0);
	CHECK_STR(cJSON_GetStringValue(kd_params_get(p, "replicas")), "1e+06");
	CHECK_STR(cJSON_GetStringValue(kd_params_get(p, "ratio")), "0.1");
	CHECK_STR(cJSON_GetStringValue(kd_params_get(p, "enabled")), "true");
	CHECK_STR(cJSON_GetStringValue(kd_params_get(p, "name")), "12.5");
	CHECK(kd_params_get(p, "note") == NULL); /* null counts as not given */
	CHECK(kd_params_source(p, "ratio") == KD_PARAM_SRC_FILE);
	kd_params_free(p);
	kd_pkg_free(pkg);
}

TEST(params_problems_are_collected)
{
	kd_pkg *pkg = load(op_yaml, params_yaml);
	kd_params *p = NULL;
	if (!pkg)
		return;
	CHECK_INT(kd_params_new(&p, pkg), 0);
	kd_params_add_file_text(p, "bad.yaml", "a: [", 4);
	kd_params_add_file(p, "/nonexistent/values.yaml");
	kd_params_add_flag(p, "replica=2");
	kd_params_add_flag(p, "x");
	kd_params_add_flag(p, "size=9");
	CHECK_INT(kd_params_problem_count(p), 5);
	CHECK_INT(kd_params_finish(p), KD_EINVALID);
	const char *e = kd_error_last();
	CHECK(has(e, "bad.yaml:2:1: "));
	CHECK(has(e, "-P /nonexistent/values.yaml: No such file or directory"));
	CHECK(has(e, "-p replica: unknown parameter \"replica\" (did you mean \"replicas\"?)"));
	CHECK(has(e, "a -p argument has no '=': expected -p NAME=VALUE"));
	CHECK(has(e, "-p size: parameter \"size\": the value is not one of: 1, 2, 3"));
	/* one line each */
	int lines = 1;
	for (const char *c = e; c && *c; c++)
		lines += *c == '\n';
	CHECK_INT(lines, 5);
	kd_params_free(p);

	/* a flood of problems is capped */
	CHECK_INT(kd_params_new(&p, pkg), 0);
	for (int i = 0; i < 500; i++)
		kd_params_add_flag(p, "zzzzzzzzzz=1");
	CHECK_INT(kd_params_finish(p), KD_EINVALID);
	CHECK(has(kd_error_last(), "more problems"));
	CHECK(strlen(kd_error_last()) < 4000);
	kd_params_free(p);
	kd_pkg_free(pkg);
}

TEST(params_previous_values_then_flags)
{
	kd_pkg *pkg = load(op_yaml, params_yaml);
	kd_params *p = NULL;
	kd_params_options o = KD_PARAMS_OPTIONS_INIT;
	cJSON *prev = cJSON_Parse("{\"replicas\":\"5\",\"gone\":\"x\",\"list\":[\"z\"],\"name\":\"first\"}");
	const char *f[] = {"replicas=6"};
	if (!pkg)
		return;
	o.previous = prev;
	CHECK_INT(kd_params_resolve(&p, pkg, &o), 0);
	CHECK_STR(cJSON_GetStringValue(kd_params_get(p, "replicas")), "5");
	CHECK(kd_params_source(p, "list") == KD_PARAM_SRC_PREVIOUS);
	cJSON *changed = NULL;
	CHECK_INT(kd_params_changed(&changed, p, prev), 0);
	CHECK_INT(cJSON_GetArraySize(changed), 4); /* ratio, enabled, size, labels were absent; note stays null */
	cJSON_Delete(changed);
	kd_params_free(p);

	o.flags = f;
	o.nflags = 1;
	CHECK_INT(kd_params_resolve(&p, pkg, &o), 0);
	CHECK_STR(cJSON_GetStringValue(kd_params_get(p, "replicas")), "6");
	kd_params_free(p);
	cJSON_Delete(prev);
	kd_pkg_free(pkg);
}

TEST(params_immutable_and_trigger)
{
	kd_pkg *pkg = load(op_yaml, params_yaml);
	kd_params *p = NULL, *old = NULL;
	kd_params_options o = KD_PARAMS_OPTIONS_INIT;
	cJSON *oldv = NULL, *changed = NULL;
	const char *plan = NULL;
	if (!pkg)
		return;
	CHECK_INT(kd_params_resolve(&old, pkg, NULL), 0);
	kd_params_to_template(&oldv, old);

	/* nothing changed: no plan */
	CHECK_INT(kd_params_changed(&changed, old, oldv), 0);
	CHECK_INT(cJSON_GetArraySize(changed), 0);
	CHECK_INT(kd_params_plan_for_change(&plan, pkg, changed), 0);
	CHECK(plan == NULL);
	CHECK_INT(kd_params_check_immutable(old, oldv), 0);
	cJSON_Delete(changed);

	/* replicas triggers scale */
	const char *f1[] = {"replicas=4"};
	o.flags = f1;
	o.nflags = 1;
	o.previous = oldv;
	CHECK_INT(kd_params_resolve(&p, pkg, &o), 0);
	CHECK_INT(kd_params_changed(&changed, p, oldv), 0);
	CHECK_INT(cJSON_GetArraySize(changed), 1);
	CHECK_INT(kd_params_plan_for_change(&plan, pkg, changed), 0);
	CHECK_STR(plan, "scale");
	cJSON_Delete(changed);
	kd_params_free(p);

	/* ratio has no trigger: update */
	const char *f2[] = {"ratio=0.75", "enabled=true"};
	o.flags = f2;
	o.nflags = 2;
	CHECK_INT(kd_params_resolve(&p, pkg, &o), 0);
	CHECK_INT(kd_params_changed(&changed, p, oldv), 0);
	CHECK_INT(kd_params_plan_for_change(&plan, pkg, changed), 0);
	CHECK_STR(plan, "update");
	cJSON_Delete(changed);
	kd_params_free(p);

	/* replicas (scale) and ratio (update) together: refused */
	const char *f3[] = {"replicas=4", "ratio=0.75"};
	o.flags = f3;
	CHECK_INT(kd_params_resolve(&p, pkg, &o), 0);
	CHECK_INT(kd_params_changed(&changed, p, oldv), 0);
	CHECK_INT(kd_params_plan_for_change(&plan, pkg, changed), KD_EINVALID);
	CHECK(has(kd_error_last(), "parameters \"replicas\" and \"ratio\" trigger different plans (\"scale\" and \"update\")"));
	cJSON_Delete(changed);

	/* an immutable parameter cannot change */
	kd_params_free(p);
	const char *f4[] = {"name=second", "replicas=2"};
	o.flags = f4;
	CHECK_INT(kd_params_resolve(&p, pkg, &o), 0);
	CHECK_INT(kd_params_check_immutable(p, oldv), KD_EINVALID);
	CHECK_STR(kd_error_last(), "parameter \"name\" is immutable: it cannot change after the instance is installed");
	kd_params_free(p);

	/* unknown names and missing plans */
	changed = cJSON_Parse("[\"nope\"]");
	CHECK_INT(kd_params_plan_for_change(&plan, pkg, changed), KD_EINVALID);
	cJSON_Delete(changed);
	cJSON_Delete(oldv);
	kd_params_free(old);
	kd_pkg_free(pkg);
}

TEST(params_trigger_fallbacks)
{
	const char *op_deploy_only = "name: p\nplans:\n  deploy: {}\n";
	const char *op_none = "name: p\nplans:\n  other: {}\n";
	const char *pa = "parameters:\n  - name: a\n    default: x\n  - name: b\n    trigger: missing\n    default: y\n";
	kd_pkg *pkg = load(op_deploy_only, pa);
	cJSON *a = cJSON_Parse("[\"a\"]"), *b = cJSON_Parse("[\"b\"]");
	const char *plan = NULL;
	if (pkg) {
		CHECK_INT(kd_params_plan_for_change(&plan, pkg, a), 0);
		CHECK_STR(plan, "deploy");
		CHECK_INT(kd_params_plan_for_change(&plan, pkg, b), KD_EINVALID);
		CHECK(has(kd_error_last(), "triggers plan \"missing\", which the package does not have"));
	}
	kd_pkg_free(pkg);
	pkg = load(op_none, pa);
	if (pkg)
		CHECK_INT(kd_params_plan_for_change(&plan, pkg, a), KD_EINVALID);
	kd_pkg_free(pkg);
	cJSON_Delete(a);
	cJSON_Delete(b);
}

TEST(params_package_without_params)
{
	const char *op = "name: p\n";
	kd_pkg_input_file f[] = {{"operator.yaml", op, strlen(op)}};
	kd_pkg *pkg = NULL;
	kd_params *p = NULL;
	kd_params_options o = KD_PARAMS_OPTIONS_INIT;
	const char *fl[] = {"x=1"};
	cJSON *t = NULL;
	CHECK_INT(kd_pkg_load_files(&pkg, NULL, f, 1, NULL), 0);
	if (!pkg)
		return;
	CHECK_INT(kd_params_resolve(&p, pkg, NULL), 0);
	kd_params_to_template(&t, p);
	CHECK(cJSON_IsObject(t) && cJSON_GetArraySize(t) == 0);
	cJSON_Delete(t);
	kd_params_free(p);
	o.flags = fl;
	o.nflags = 1;
	CHECK_INT(kd_params_resolve(&p, pkg, &o), KD_EINVALID);
	CHECK_STR(kd_error_last(), "-p x: unknown parameter \"x\"");
	kd_pkg_free(pkg);
}

/* KUDO's package conversion marshals a nil array/map default to YAML "null", which counts as a
 * default: `required` (true unless said otherwise) never fires for them. Templates see a nil
 * list (prints "[]", toJson "null") and nil. Other types without a default stay required. */
TEST(params_array_and_map_without_default_are_not_required)
{
	static const char pa[] = "parameters:\n"
				 "  - name: arr\n"
				 "    type: array\n"
				 "  - name: m\n"
				 "    type: map\n"
				 "  - name: num\n"
				 "    type: integer\n";
	kd_pkg *pkg = load(op_yaml, pa);
	kd_params *p = NULL;
	kd_params_options o = KD_PARAMS_OPTIONS_INIT;
	const char *fl[] = {"num=3"};
	cJSON *t = NULL;
	if (!pkg)
		return;
	CHECK(!kd_pkg_param_needs_value(kd_pkg_find_param(pkg, "arr")));
	CHECK(!kd_pkg_param_needs_value(kd_pkg_find_param(pkg, "m")));
	CHECK(kd_pkg_param_needs_value(kd_pkg_find_param(pkg, "num")));
	/* only the integer is missing */
	CHECK_INT(kd_params_resolve(&p, pkg, NULL), KD_EINVALID);
	CHECK(has(kd_error_last(), "parameter \"num\" is required"));
	CHECK(!has(kd_error_last(), "\"arr\"") && !has(kd_error_last(), "\"m\""));
	o.flags = fl;
	o.nflags = 1;
	CHECK_INT(kd_params_resolve(&p, pkg, &o), 0);
	CHECK(kd_params_get(p, "arr") == NULL && kd_params_source(p, "arr") == KD_PARAM_SRC_NONE);
	CHECK_INT(kd_params_to_template(&t, p), 0);
	const cJSON *arr = kd_json_get(t, "arr");
	CHECK(cJSON_IsArray(arr) && cJSON_GetArraySize(arr) == 0 && (arr->type & KD_JSON_NIL));
	CHECK(cJSON_IsNull(kd_json_get(t, "m")));
	/* what templates got counts as no value: nothing changed */
	cJSON *changed = NULL;
	CHECK_INT(kd_params_changed(&changed, p, t), 0);
	CHECK_INT(cJSON_GetArraySize(changed), 0);
	cJSON_Delete(changed);
	/* and given back as the previous revision's values, they stay "no value" */
	kd_params *again = NULL;
	o.previous = t;
	CHECK_INT(kd_params_resolve(&again, pkg, &o), 0);
	CHECK(kd_params_source(again, "arr") == KD_PARAM_SRC_NONE);
	kd_params_free(again);
	cJSON_Delete(t);
	kd_params_free(p);
	kd_pkg_free(pkg);
}

/* A parameter's value may be a secret: no message quotes it, whatever is wrong with it. */
TEST(params_errors_never_quote_values)
{
	static const char pa[] = "parameters:\n"
				 "  - name: imagePullSecret\n"
				 "    default: x\n"
				 "  - name: port\n"
				 "    type: integer\n"
				 "    default: 1\n"
				 "  - name: flag\n"
				 "    type: boolean\n"
				 "    default: true\n"
				 "  - name: tier\n"
				 "    enum: [a, b]\n"
				 "    default: a\n"
				 "  - name: list\n"
				 "    type: array\n"
				 "    default: []\n"
				 "  - name: cfg\n"
				 "    type: map\n"
				 "    default: {}\n";
	const char *flags[] = {
		"imagePullSecre=ghp_SECRET1",  /* a typo in the name */
		"ghp_SECRET2",                 /* no name at all */
		"=ghp_SECRET3",                /* an empty name */
		"port=ghp_SECRET4",            /* not an integer */
		"flag=ghp_SECRET5",            /* not a boolean */
		"tier=ghp_SECRET6",            /* not in the enum */
		"list=*ghp_SECRET7",           /* YAML: an alias to no anchor */
		"cfg=[ghp_SECRET8]",           /* YAML, but not a map */
		"list={ghp_SECRET9: 1}",       /* YAML, but not a list */
	};
	static const char vals[] = "port: ghp_SECRETa\n"
				   "cfg: ghp_SECRETb\n"
				   "tier: [ghp_SECRETc]\n"
				   "imagePullSecrt: ghp_SECRETd\n";
	kd_pkg *pkg = load(op_yaml, pa);
	kd_params *p = NULL;
	if (!pkg)
		return;
	CHECK_INT(kd_params_new(&p, pkg), 0);
	kd_params_add_file_text(p, "vals.yaml", vals, strlen(vals));
	for (size_t i = 0; i < KD_ARRAY_SIZE(flags); i++)
		kd_params_add_flag(p, flags[i]);
	CHECK_INT(kd_params_problem_count(p), 13);
	CHECK_INT(kd_params_finish(p), KD_EINVALID);
	const char *e = kd_error_last();
	CHECK(!has(e, "SECRET"));
	if (has(e, "SECRET"))
		fprintf(stderr, "    the message was:\n%s\n", e);
	/* ... and still says what and where */
	CHECK(has(e, "-p imagePullSecre: unknown parameter \"imagePullSecre\" (did you mean \"imagePullSecret\"?)"));
	CHECK(has(e, "-p port: parameter \"port\" is of type integer: got a string that is not an integer"));
	CHECK(has(e, "-p tier: parameter \"tier\": the value is not one of: a, b"));
	CHECK(has(e, "-p list: parameter \"list\" is of type array: got a string that is not a list (not valid YAML at line 1, column 1 of the value)"));
	CHECK(has(e, "-p cfg: parameter \"cfg\" is of type map: got a string holding a list, expected a map"));
	CHECK(has(e, "vals.yaml:1:7: parameter \"port\" is of type integer"));
	CHECK(has(e, "vals.yaml:3:7: parameter \"tier\" is of type string: got a list, expected a string"));
	kd_params_free(p);
	kd_pkg_free(pkg);
}

/* Names from flags are shown with control characters escaped. */
TEST(params_names_are_escaped_in_messages)
{
	kd_pkg *pkg = load(op_yaml, params_yaml);
	kd_params *p = NULL;
	if (!pkg)
		return;
	CHECK_INT(kd_params_new(&p, pkg), 0);
	kd_params_add_flag(p, "\x1b]0;pwned\x07=1");
	CHECK_INT(kd_params_finish(p), KD_EINVALID);
	CHECK(!has(kd_error_last(), "\x1b"));
	CHECK(has(kd_error_last(), "-p \\x1b]0;pwned\\x07: unknown parameter \"\\x1b]0;pwned\\x07\""));
	kd_params_free(p);
	kd_pkg_free(pkg);
}
