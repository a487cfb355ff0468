/* Data-driven cases run through the command bodies, in-process (so ASan sees them):
 *
 *   tests/render/<case>/package/      the operator package, or
 *   tests/render/<case>/package.path  a file naming it, relative to the case folder
 *   tests/render/<case>/params.yaml   optional, passed as -P params.yaml
 *   tests/render/<case>/args          optional, more arguments, one per line (-p, --instance ...)
 *   tests/render/<case>/expected.yaml the exact output of `template`, or
 *   tests/render/<case>/expected_error.txt  lines that must all occur in the error message
 *
 *   tests/verify/<case>/package/ + expected.txt: the exact `package verify` report, and
 *   exit_code (optional, default 0 when the report has no errors)
 *
 *   tests/render/<case>/kudo-differs.txt  when kudoc differs from KUDO on purpose: how and why
 *                                     (tests/kudoref compares every case with KUDO itself)
 *
 * Each case runs with the case folder as the working directory, so messages name
 * "package/templates/x.yaml". Every case that renders is also printed in the three -o formats
 * and read back as kubectl reads a stream (render_output_reads_back). Adding a case needs no C
 * code; cases must render the same every time (no random or time functions), as KUDO is their
 * oracle. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../base/base.h"
#include "../../base/json.h"
#include "../../base/yaml.h"
#include "../../cli/cli_internal.h"
#include "../../operator/operator.h"
#include "test.h"

static char *read_opt(const char *dir, const char *name)
{
	char path[4608];
	char *data = NULL;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (kd_file_read(&data, NULL, path, 0))
		return NULL;
	return data;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The case folders under root/sub, sorted. */
static char **list_cases(const char *sub, size_t *n)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", kd_test_root(), sub);
	DIR *d = opendir(path);
	char **names = NULL;
	*n = 0;
	if (!d)
		return NULL;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		names = kd_realloc(names, (*n + 1) * sizeof(char *));
		names[(*n)++] = kd_strdup(e->d_name);
	}
	closedir(d);
	qsort(names, *n, sizeof(char *), cmp_names);
	return names;
}

/* Where two texts first differ, for a readable failure. */
static void describe_diff(kd_buf *why, const char *got, const char *want)
{
	int line = 1;
	const char *g = got, *w = want;
	while (*g && *g == *w) {
		if (*g == '\n')
			line++;
		g++;
		w++;
	}
	const char *gl = g, *wl = w;
	while (gl > got && gl[-1] != '\n')
		gl--;
	while (wl > want && wl[-1] != '\n')
		wl--;
	kd_buf_printf(why, "  first difference at line %d\n    got:  %.*s\n    want: %.*s\n", line,
		(int)strcspn(gl, "\n"), gl, (int)strcspn(wl, "\n"), wl);
}

/* The command line of a case: PACKAGE [-P params.yaml] ARGS...; the strings point into
 * *pkg_path and *args, which the caller frees. */
static int case_argv(char **argv, char **pkg_path, char **args, const char *dir)
{
	int argc = 0;
	*args = read_opt(dir, "args");
	*pkg_path = read_opt(dir, "package.path");
	if (*pkg_path)
		(*pkg_path)[strcspn(*pkg_path, "\n")] = '\0';
	argv[argc++] = *pkg_path ? *pkg_path : "package";
	char pp[4608];
	snprintf(pp, sizeof pp, "%s/params.yaml", dir);
	if (access(pp, F_OK) == 0) {
		argv[argc++] = "-P";
		argv[argc++] = "params.yaml";
	}
	for (char *line = *args; line && *line && argc < 250;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (*line)
			argv[argc++] = line;
		line = nl ? nl + 1 : NULL;
	}
	return argc;
}

static void run_render_case(const char *name, const char *dir)
{
	kd_buf why = KD_BUF_INIT, out = KD_BUF_INIT;
	char *args = NULL, *pkg_path = NULL;
	char *expected = read_opt(dir, "expected.yaml");
	char *expected_err = read_opt(dir, "expected_error.txt");
	char *argv[256];
	char cwd[4096];
	bool ok = true;
	int argc = case_argv(argv, &pkg_path, &args, dir);
	if (!getcwd(cwd, sizeof cwd) || chdir(dir) != 0) {
		kd_test_case_result(name, false, "cannot enter the case folder");
		goto done;
	}
	kd_cli_opts o;
	int rc = kd_cli_parse(&o, argc, argv, "instance namespace p P plan output");
	kd_error_clear();
	if (rc == 0)
		rc = kd_cli__template_run(&out, &o);
	kd_cli_opts_free(&o);
	if (chdir(cwd) != 0)
		ok = false;
	if (expected_err) {
		const char *msg = kd_error_last();
		if (rc == 0) {
			ok = false;
			kd_buf_printf(&why, "  rendered without error, want an error\n");
		} else {
			for (char *line = expected_err; line && *line;) {
				char *nl = strchr(line, '\n');
				if (nl)
					*nl = '\0';
				if (*line && (!msg || !strstr(msg, line))) {
					ok = false;
					kd_buf_printf(&why, "  error lacks: %s\n  error was:  %s\n", line, msg ? msg : "(none)");
				}
				line = nl ? nl + 1 : NULL;
			}
		}
	} else if (expected) {
		if (rc != 0) {
			ok = false;
			kd_buf_printf(&why, "  failed: %s\n", kd_error_last() ? kd_error_last() : "(no message)");
		} else if (strcmp(kd_buf_cstr(&out), expected) != 0) {
			ok = false;
			describe_diff(&why, kd_buf_cstr(&out), expected);
			if (getenv("KD_UPDATE_GOLDEN")) {
				char p[4608];
				snprintf(p, sizeof p, "%s/expected.yaml.got", dir);
				FILE *f = fopen(p, "w");
				if (f) {
					fwrite(out.ptr ? out.ptr : "", 1, out.len, f);
					fclose(f);
				}
			}
		}
	} else {
		ok = false;
		kd_buf_puts(&why, "  case has neither expected.yaml nor expected_error.txt\n");
	}
	kd_test_case_result(name, ok, kd_buf_cstr(&why));
done:
	free(pkg_path);
	free(args);
	free(expected);
	free(expected_err);
	kd_buf_free(&why);
	kd_buf_free(&out);
}

TEST(render_cases)
{
	size_t n = 0;
	char **cases = list_cases("tests/render", &n);
	for (size_t i = 0; i < n; i++) {
		char dir[4096], name[512];
		snprintf(dir, sizeof dir, "%s/tests/render/%s", kd_test_root(), cases[i]);
		snprintf(name, sizeof name, "render/%s", cases[i]);
		run_render_case(name, dir);
		free(cases[i]);
	}
	free(cases);
	CHECK(n > 0);
}

/* Splits a printed stream as kubectl's YAML reader does (a line of "---" and white space
 * separates documents) and parses each document; documents that are empty or null (only
 * comments) are dropped, as kubectl drops them. A JSON List's items come out one by one. */
static cJSON *read_back(kd_buf *why, const char *text)
{
	cJSON *objs = cJSON_CreateArray();
	const char *doc = text, *p = text;
	for (;;) {
		const char *eol = strchr(p, '\n');
		size_t l = eol ? (size_t)(eol - p) : strlen(p);
		bool sep = l >= 3 && strncmp(p, "---", 3) == 0 && strspn(p + 3, " \t\r") >= l - 3;
		if (sep || !eol) {
			const char *end = sep ? p : p + l;
			cJSON *all = NULL;
			if (kd_yaml_parse_all(&all, NULL, "printed", doc, (size_t)(end - doc))) {
				kd_buf_printf(why, "  the printed stream does not parse: %s\n", kd_error_last());
				cJSON_Delete(all);
				cJSON_Delete(objs);
				return NULL;
			}
			/* kubectl decodes the first document of a piece; there is never a second */
			cJSON *first = cJSON_GetArraySize(all) ? cJSON_DetachItemFromArray(all, 0) : NULL;
			if (cJSON_GetArraySize(all))
				kd_buf_puts(why, "  a printed document holds a second YAML document\n");
			cJSON_Delete(all);
			const char *kind = kd_json_get_str(first, "kind");
			if (kind && strcmp(kind, "List") == 0 && cJSON_IsArray(kd_json_get(first, "items"))) {
				cJSON *items = cJSON_DetachItemFromObject(first, "items"), *it;
				while ((it = cJSON_DetachItemFromArray(items, 0)) != NULL)
					cJSON_AddItemToArray(objs, it);
				cJSON_Delete(items);
				cJSON_Delete(first);
			} else if (first && !cJSON_IsNull(first)) {
				cJSON_AddItemToArray(objs, first);
			} else {
				cJSON_Delete(first);
			}
			doc = eol ? eol + 1 : p + l;
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	return objs;
}

/* Whatever the output format, the printed stream read back as kubectl reads it gives exactly
 * the objects of the render (so exactly what kudoc applies). */
static void run_read_back_case(const char *name, const char *dir)
{
	static const char *const formats[] = {NULL, "yaml", "json"};
	kd_buf why = KD_BUF_INIT;
	char *args = NULL, *pkg_path = NULL;
	char *argv[256];
	char cwd[4096];
	bool ok = true;
	int argc = case_argv(argv, &pkg_path, &args, dir);
	kd_render_result *res = NULL;
	kd_cli_opts o;
	if (!getcwd(cwd, sizeof cwd) || chdir(dir) != 0) {
		kd_test_case_result(name, false, "cannot enter the case folder");
		goto done;
	}
	int rc = kd_cli_parse(&o, argc, argv, "instance namespace p P plan output");
	if (rc == 0)
		rc = kd_cli__template_render(&res, &o);
	kd_cli_opts_free(&o);
	if (chdir(cwd) != 0)
		ok = false;
	if (rc != 0) {
		kd_buf_printf(&why, "  does not render: %s\n", kd_error_last() ? kd_error_last() : "");
		ok = false;
	}
	for (size_t f = 0; res && f < KD_ARRAY_SIZE(formats); f++) {
		kd_buf printed = KD_BUF_INIT;
		const char *fname = formats[f] ? formats[f] : "text";
		rc = !formats[f] ? kd_render_result_print(&printed, res)
		     : f == 1  ? kd_render_result_print_yaml(&printed, res)
			       : kd_render_result_print_json(&printed, res);
		cJSON *back = rc == 0 ? read_back(&why, kd_buf_cstr(&printed)) : NULL;
		if (!back || (size_t)cJSON_GetArraySize(back) != res->ndocs) {
			ok = false;
			kd_buf_printf(&why, "  -o %s: %d objects read back, the render has %zu\n", fname,
				back ? cJSON_GetArraySize(back) : -1, res->ndocs);
		}
		for (size_t i = 0; back && i < res->ndocs && i < (size_t)cJSON_GetArraySize(back); i++) {
			if (!kd_json_equal(cJSON_GetArrayItem(back, (int)i), res->docs[i].object)) {
				ok = false;
				char *g = cJSON_PrintUnformatted(cJSON_GetArrayItem(back, (int)i));
				char *w = cJSON_PrintUnformatted(res->docs[i].object);
				kd_buf_printf(&why, "  -o %s: object %zu (templates/%s) reads back as\n    %.300s\n  not\n    %.300s\n", fname,
					i + 1, res->docs[i].template_name, g ? g : "?", w ? w : "?");
				free(g);
				free(w);
			}
		}
		cJSON_Delete(back);
		kd_buf_free(&printed);
	}
	kd_test_case_result(name, ok, kd_buf_cstr(&why));
done:
	kd_render_result_free(res);
	free(pkg_path);
	free(args);
	kd_buf_free(&why);
}

TEST(render_output_reads_back)
{
	size_t n = 0, ran = 0;
	char **cases = list_cases("tests/render", &n);
	for (size_t i = 0; i < n; i++) {
		char dir[4096], name[512], exp[4608];
		snprintf(dir, sizeof dir, "%s/tests/render/%s", kd_test_root(), cases[i]);
		snprintf(exp, sizeof exp, "%s/expected.yaml", dir);
		if (access(exp, F_OK) == 0) { /* the cases that render */
			snprintf(name, sizeof name, "read-back/%s", cases[i]);
			run_read_back_case(name, dir);
			ran++;
		}
		free(cases[i]);
	}
	free(cases);
	CHECK(ran > 5);
}

static void run_verify_case(const char *name, const char *dir)
{
	kd_buf why = KD_BUF_INIT, out = KD_BUF_INIT;
	char *expected = read_opt(dir, "expected.txt");
	char cwd[4096];
	size_t nerr = 0;
	bool ok = true;
	if (!expected || !getcwd(cwd, sizeof cwd) || chdir(dir) != 0) {
		kd_test_case_result(name, false, "case needs expected.txt");
		free(expected);
		return;
	}
	kd_error_clear();
	int rc = kd_cli__verify_run(&out, &nerr, "package");
	if (chdir(cwd) != 0)
		ok = false;
	if (rc != 0) {
		/* A package that does not load reports its load error as the whole output. */
		kd_buf_printf(&out, "load error: %s\n", kd_error_last() ? kd_error_last() : "");
	}
	if (strcmp(kd_buf_cstr(&out), expected) != 0) {
		ok = false;
		describe_diff(&why, kd_buf_cstr(&out), expected);
		kd_buf_printf(&why, "  whole output:\n%s", kd_buf_cstr(&out));
	}
	kd_test_case_result(name, ok, kd_buf_cstr(&why));
	free(expected);
	kd_buf_free(&why);
	kd_buf_free(&out);
}

TEST(verify_cases)
{
	size_t n = 0;
	char **cases = list_cases("tests/verify", &n);
	for (size_t i = 0; i < n; i++) {
		char dir[4096], name[512];
		snprintf(dir, sizeof dir, "%s/tests/verify/%s", kd_test_root(), cases[i]);
		snprintf(name, sizeof name, "verify/%s", cases[i]);
		run_verify_case(name, dir);
		free(cases[i]);
	}
	free(cases);
	CHECK(n > 0);
}

/* -o json writes numbers as Go's encoding/json does, so a typed decoder (int32 replicas) reads
 * them; strings escaped as JSON wants. */
TEST(render_print_json_numbers_and_strings)
{
	static const char doc[] = "apiVersion: v1\nkind: X\nmetadata:\n  name: nums\n"
				  "nums: [1000000, 1e21, 1.5e-7, 0.000001, 0.1, -0.0, 123.456, 5e-324, 1.7976931348623157e308, -2, 1e20]\n"
				  "s: \"tab\\there \\\"q\\\" \\\\ \\u0001 \\u007f é\"\n";
	kd_pkg_input_file f[] = {
		{"operator.yaml",
			"name: j\noperatorVersion: 0.1.0\ntasks:\n  - name: t\n    kind: Apply\n    spec:\n"
			"      resources: [d.yaml]\nplans:\n  deploy:\n    phases:\n      - name: p\n        steps:\n"
			"          - name: s\n            tasks: [t]\n",
			0},
		{"templates/d.yaml", doc, sizeof doc - 1},
	};
	f[0].len = strlen(f[0].data);
	kd_pkg *pkg = NULL;
	kd_render_result *res = NULL;
	kd_buf out = KD_BUF_INIT;
	if (!CHECK_INT(kd_pkg_load_files(&pkg, "mem", f, 2, NULL), 0))
		return;
	if (CHECK_INT(kd_plan_render(&res, pkg, NULL), 0) && CHECK_INT(kd_render_result_print_json(&out, res), 0)) {
		const char *o = kd_buf_cstr(&out);
		CHECK(strstr(o, "\"nums\": [\n                1000000,\n                1e+21,\n                1.5e-7,\n"
				"                0.000001,\n                0.1,\n                -0,\n                123.456,\n"
				"                5e-324,\n                1.7976931348623157e+308,\n                -2,\n"
				"                100000000000000000000\n            ]") != NULL);
		CHECK(strstr(o, "\"s\": \"tab\\there \\\"q\\\" \\\\ \\u0001 \\u007f é\"") != NULL);
		if (!strstr(o, "1.5e-7"))
			fprintf(stderr, "%s\n", o);
	}
	kd_buf_free(&out);
	kd_render_result_free(res);
	kd_pkg_free(pkg);
}
