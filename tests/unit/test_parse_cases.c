/* Data-driven package and parameter cases: every folder under tests/parse/ is one case (see
 * tests/parse/README.md). Adding a case needs no C code. KD_PARSE_UPDATE=1 writes the actual
 * output into the expected_*.txt files a case already has (review the diff before keeping it). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../base/base.h"
#include "../../base/json.h"
#include "../../operator/operator.h"
#include "../../params/params.h"
#include "test.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in `dir` that start with `prefix` and end with `suffix`; caller frees. */
static char **list_dir(const char *dir, const char *prefix, const char *suffix, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t cap = 0;
	*n = 0;
	if (!d)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name), sl = strlen(suffix);
		if (de->d_name[0] == '.' || strncmp(de->d_name, prefix, strlen(prefix)) != 0 || l < sl ||
			strcmp(de->d_name + l - sl, suffix) != 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			v = kd_realloc(v, cap * sizeof(char *));
		}
		v[(*n)++] = kd_strdup(de->d_name);
	}
	closedir(d);
	if (*n > 1)
		qsort(v, *n, sizeof(char *), cmp_str);
	return v;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* "dir/name" in a new string. */
static char *join(const char *dir, const char *name)
{
	kd_buf b = KD_BUF_INIT;
	kd_buf_printf(&b, "%s/%s", dir, name);
	return kd_buf_detach(&b);
}

static char *read_opt(const char *dir, const char *name)
{
	char *path = join(dir, name), *text = NULL;
	size_t len;
	if (kd_file_read(&text, &len, path, 0) != 0) {
		kd_error_clear();
		text = NULL;
	}
	free(path);
	return text;
}

static bool update_mode(void)
{
	const char *u = getenv("KD_PARSE_UPDATE");
	return u && *u && strcmp(u, "0") != 0;
}

/* Compares `got` with the case's file `name` when the case has one. */
static void expect_file(kd_buf *why, const char *dir, const char *name, const char *got)
{
	char *want = read_opt(dir, name);
	if (!want)
		return;
	if (strcmp(want, got) != 0) {
		if (update_mode()) {
			char *path = join(dir, name);
			FILE *f = fopen(path, "w");
			if (f) {
				fputs(got, f);
				fclose(f);
			}
			free(path);
		}
		kd_buf_printf(why, "  %s differs\n  --- want\n%s  --- got\n%s", name, want, got);
	}
	free(want);
}

static int has_file(const char *dir, const char *name)
{
	char *path = join(dir, name);
	struct stat st;
	int ok = stat(path, &st) == 0;
	free(path);
	return ok;
}

static void run_case(const char *root, const char *name)
{
	char *dir = NULL, *pkgdir = NULL;
	kd_buf why = KD_BUF_INIT, out = KD_BUF_INIT, casename = KD_BUF_INIT;
	kd_pkg *pkg = NULL;
	kd_params *params = NULL;
	char *expected_error = NULL, *flags_text = NULL;
	char **values = NULL;
	size_t nvalues = 0;
	const char **flags = NULL;
	size_t nflags = 0;
	int rc;

	kd_buf_printf(&out, "%s/tests/parse/%s", root, name);
	dir = kd_buf_detach(&out);
	pkgdir = join(dir, "package");
	kd_buf_printf(&casename, "parse/%s", name);
	expected_error = read_opt(dir, "expected_error.txt");
	kd_error_clear();

	rc = kd_pkg_load(&pkg, pkgdir, NULL);
	if (rc == 0) {
		/* -p flags, one a line; -P files values*.yaml in name order */
		flags_text = read_opt(dir, "flags.txt");
		for (char *p = flags_text; p && *p;) {
			char *nl = strchr(p, '\n');
			if (nl)
				*nl = '\0';
			if (*p) {
				flags = kd_realloc(flags, (nflags + 1) * sizeof(char *));
				flags[nflags++] = p;
			}
			p = nl ? nl + 1 : p + strlen(p);
		}
		values = list_dir(dir, "values", ".yaml", &nvalues);
		for (size_t i = 0; i < nvalues; i++) {
			char *full = join(dir, values[i]);
			free(values[i]);
			values[i] = full;
		}
		kd_params_options po = KD_PARAMS_OPTIONS_INIT;
		po.flags = flags;
		po.nflags = nflags;
		po.files = (const char *const *)values;
		po.nfiles = nvalues;
		rc = kd_params_resolve(&params, pkg, &po);
	}

	if (expected_error) {
		const char *got = kd_error_last() ? kd_error_last() : "";
		if (rc == 0)
			kd_buf_puts(&why, "  loaded without error, expected one\n");
		for (char *p = expected_error; *p;) {
			char *nl = strchr(p, '\n');
			if (nl)
				*nl = '\0';
			if (*p && !strstr(got, p))
				kd_buf_printf(&why, "  error lacks: %s\n", p);
			p = nl ? nl + 1 : p + strlen(p);
		}
		if (why.len)
			kd_buf_printf(&why, "  error was: %s\n", got);
	} else if (rc != 0) {
		kd_buf_printf(&why, "  unexpected error: %s\n", kd_error_last() ? kd_error_last() : "?");
	} else {
		int checked = 0;
		kd_buf_clear(&out);
		kd_pkg_list_params(&out, pkg, 0);
		expect_file(&why, dir, "expected_params.txt", kd_buf_cstr(&out));
		kd_buf_clear(&out);
		kd_pkg_list_plans(&out, pkg);
		expect_file(&why, dir, "expected_plans.txt", kd_buf_cstr(&out));
		kd_buf_clear(&out);
		kd_pkg_list_tasks(&out, pkg);
		expect_file(&why, dir, "expected_tasks.txt", kd_buf_cstr(&out));
		kd_buf_clear(&out);
		for (size_t i = 0; i < pkg->ntemplates; i++)
			kd_buf_printf(&out, "%s\n", pkg->templates[i].name);
		expect_file(&why, dir, "expected_templates.txt", kd_buf_cstr(&out));
		cJSON *tpl = NULL;
		kd_params_to_template(&tpl, params);
		char *js = cJSON_Print(tpl);
		kd_buf_clear(&out);
		kd_buf_printf(&out, "%s\n", js);
		expect_file(&why, dir, "expected_values.json", kd_buf_cstr(&out));
		free(js);
		cJSON_Delete(tpl);
		const char *names[] = {"expected_params.txt", "expected_plans.txt", "expected_tasks.txt",
			"expected_templates.txt", "expected_values.json"};
		for (size_t i = 0; i < KD_ARRAY_SIZE(names); i++)
			checked += has_file(dir, names[i]);
		if (!checked)
			kd_buf_puts(&why, "  the case has neither expected_error.txt nor an expected_*.txt file\n");
	}
	kd_test_case_result(kd_buf_cstr(&casename), why.len == 0, kd_buf_cstr(&why));

	kd_params_free(params);
	kd_pkg_free(pkg);
	free(expected_error);
	free(flags_text);
	free(flags);
	free_list(values, nvalues);
	kd_buf_free(&why);
	kd_buf_free(&out);
	kd_buf_free(&casename);
	free(dir);
	free(pkgdir);
}

TEST(parse_cases)
{
	size_t n = 0;
	char *dir = join(kd_test_root(), "tests/parse");
	char **cases = list_dir(dir, "", "", &n);
	CHECK(n > 0);
	for (size_t i = 0; i < n; i++) {
		char *sub = join(dir, cases[i]);
		struct stat st;
		if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			run_case(kd_test_root(), cases[i]);
		free(sub);
	}
	free_list(cases, n);
	free(dir);
}
