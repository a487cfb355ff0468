/* Data-driven template cases: tests/tpl/<case>/ holds template.tpl, an optional data.json (the
 * dot; an empty map when absent, as tests/goref does) and either expected.txt (the exact
 * output) or expected_error.txt (a substring the error message must contain). The template is
 * parsed under the name "template.tpl". */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/base.h"
#include "../../templates/templates.h"
#include "test.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *read_opt(const char *dir, const char *file, size_t *len)
{
	kd_buf path = KD_BUF_INIT;
	char *s = NULL;
	kd_buf_printf(&path, "%s/%s", dir, file);
	int rc = kd_file_read(&s, len, kd_buf_cstr(&path), 0);
	kd_buf_free(&path);
	return rc == 0 ? s : NULL;
}

static void run_case(const char *root, const char *name)
{
	char why[8192];
	kd_buf dirb = KD_BUF_INIT, labelb = KD_BUF_INIT;
	char *tpl = NULL, *data_s = NULL, *want = NULL, *want_err = NULL;
	size_t tl = 0, dl = 0, wl = 0, el = 0;
	cJSON *data = NULL;
	kd_tpl_set *set = NULL;
	kd_buf out = KD_BUF_INIT;
	bool ok = false;
	why[0] = '\0';
	kd_buf_printf(&dirb, "%s/%s", root, name);
	kd_buf_printf(&labelb, "tpl/%s", name);
	const char *dir = kd_buf_cstr(&dirb);
	tpl = read_opt(dir, "template.tpl", &tl);
	if (!tpl) {
		snprintf(why, sizeof(why), "  no template.tpl");
		goto done;
	}
	data_s = read_opt(dir, "data.json", &dl);
	data = data_s ? cJSON_ParseWithLength(data_s, dl) : cJSON_CreateObject();
	if (data_s && !data && strcmp(data_s, "null") != 0 && strcmp(data_s, "null\n") != 0) {
		snprintf(why, sizeof(why), "  data.json does not parse");
		goto done;
	}
	want = read_opt(dir, "expected.txt", &wl);
	want_err = read_opt(dir, "expected_error.txt", &el);
	if (!want && !want_err) {
		snprintf(why, sizeof(why), "  neither expected.txt nor expected_error.txt");
		goto done;
	}
	int rc = kd_tpl_parse(&set, "template.tpl", tpl, tl);
	if (rc == 0)
		rc = kd_tpl_execute(&out, set, data);
	if (want_err) {
		/* trailing newlines of the file are not part of the substring */
		while (el > 0 && (want_err[el - 1] == '\n' || want_err[el - 1] == '\r'))
			want_err[--el] = '\0';
		const char *msg = rc ? kd_error_last() : NULL;
		if (rc == 0)
			snprintf(why, sizeof(why), "  expected an error containing: %s\n  got output: %s", want_err,
				kd_buf_cstr(&out));
		else if (!msg || !strstr(msg, want_err))
			snprintf(why, sizeof(why), "  expected an error containing: %s\n  got error: %s", want_err,
				msg ? msg : "(none)");
		else
			ok = true;
	} else {
		if (rc != 0)
			snprintf(why, sizeof(why), "  unexpected error: %s", kd_error_last());
		else if (out.len != wl || memcmp(kd_buf_cstr(&out), want, wl) != 0)
			snprintf(why, sizeof(why), "  output differs\n  got:  [%s]\n  want: [%s]", kd_buf_cstr(&out), want);
		else
			ok = true;
	}
done:
	kd_test_case_result(kd_buf_cstr(&labelb), ok, why);
	kd_buf_free(&dirb);
	kd_buf_free(&labelb);
	kd_buf_free(&out);
	kd_tpl_set_free(set);
	cJSON_Delete(data);
	free(tpl);
	free(data_s);
	free(want);
	free(want_err);
}

TEST(templates_data_driven_cases)
{
	kd_buf rootb = KD_BUF_INIT;
	kd_buf_printf(&rootb, "%s/tests/tpl", kd_test_root());
	const char *root = kd_buf_cstr(&rootb);
	DIR *d = opendir(root);
	if (!CHECK(d != NULL)) {
		kd_buf_free(&rootb);
		return;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = kd_realloc(names, cap * sizeof(*names));
		}
		names[n++] = kd_strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		run_case(root, names[i]);
		free(names[i]);
	}
	free(names);
	kd_buf_free(&rootb);
	CHECK(n > 0);
}
