/* `zig build bench`: render time per package and peak memory for a synthetic package of
 * 1,000 templates of 100 lines each (the figure: under 50 ms and 30 MB). Prints
 * figures; asserts nothing. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "../../base/base.h"
#include "../../operator/operator.h"
#include "../../plans/plans.h"
#include "../../templates/templates.h"

#define NTEMPLATES 1000
#define LINES 100

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long peak_rss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* A Deployment-like template of exactly LINES lines using the constructs packages use. */
static void make_template(kd_buf *b, int i)
{
	int lines = 0;
#define L(...)                                \
	do {                                      \
		kd_buf_printf(b, __VA_ARGS__);        \
		kd_buf_putc(b, '\n');                 \
		lines++;                              \
	} while (0)
	L("apiVersion: apps/v1");
	L("kind: Deployment");
	L("metadata:");
	L("  name: {{ .Name }}-app-%d", i);
	L("  namespace: {{ .Namespace }}");
	L("  labels:");
	L("    app: {{ .OperatorName | lower }}");
	L("    version: {{ .OperatorVersion | quote }}");
	L("spec:");
	L("  replicas: {{ .Params.replicas }}");
	L("  selector:");
	L("    matchLabels:");
	L("      app: app-%d", i);
	L("  template:");
	L("    metadata:");
	L("      labels:");
	L("        app: app-%d", i);
	L("    spec:");
	L("      containers:");
	L("      - name: main");
	L("        image: {{ .Params.image }}:{{ .AppVersion }}");
	L("        args:");
	L("{{- if eq .Params.enableLeaderElection \"true\" }}");
	L("        - -leader-election=true");
	L("{{- end }}");
	L("        env:");
	while (lines < LINES - 5) {
		L("        - name: VAR_%d", lines);
		L("          value: {{ printf \"%%s-%%d\" .Params.prefix %d | quote }}", lines);
	}
	L("        resources:");
	L("          limits: {cpu: {{ .Params.cpu | default \"1\" | quote }}}");
	L("{{- range $k, $v := .Params.labels }}");
	L("# {{ $k }}={{ $v }}");
	L("{{- end }}");
#undef L
}

static int bench_synthetic(void)
{
	kd_pkg_input_file *files = kd_calloc(NTEMPLATES + 2, sizeof(*files));
	kd_buf *bufs = kd_calloc(NTEMPLATES, sizeof(*bufs));
	char **names = kd_calloc(NTEMPLATES, sizeof(char *));
	kd_buf op = KD_BUF_INIT;
	kd_buf_puts(&op, "apiVersion: kudo.dev/v1beta1\nname: bench\noperatorVersion: 1.0.0\nappVersion: 1.0.0\n"
			 "tasks:\n- name: all\n  kind: Apply\n  spec:\n    resources:\n");
	for (int i = 0; i < NTEMPLATES; i++) {
		make_template(&bufs[i], i);
		kd_buf n = KD_BUF_INIT;
		kd_buf_printf(&n, "templates/t%04d.yaml", i);
		names[i] = kd_buf_detach(&n);
		kd_buf_printf(&op, "    - t%04d.yaml\n", i);
		files[i + 2] = (kd_pkg_input_file){names[i], bufs[i].ptr, bufs[i].len};
	}
	kd_buf_puts(&op, "plans:\n  deploy:\n    strategy: serial\n    phases:\n    - name: main\n      strategy: serial\n"
			 "      steps:\n      - name: all\n        tasks: [all]\n");
	const char *params = "apiVersion: kudo.dev/v1beta1\nparameters:\n- name: replicas\n  default: 3\n"
			     "- name: image\n  default: spark\n- name: enableLeaderElection\n  default: true\n"
			     "- name: prefix\n  default: x\n- name: cpu\n  default: \"2\"\n- name: labels\n  type: map\n"
			     "  default: {a: b, c: d}\n";
	files[0] = (kd_pkg_input_file){"operator.yaml", op.ptr, op.len};
	files[1] = (kd_pkg_input_file){"params.yaml", params, strlen(params)};

	long rss0 = peak_rss_kb();
	double t0 = now_ms();
	kd_pkg *pkg = NULL;
	if (kd_pkg_load_files(&pkg, "bench", files, NTEMPLATES + 2, NULL)) {
		fprintf(stderr, "bench: %s\n", kd_error_last());
		return 1;
	}
	double t1 = now_ms();
	double load_ms = t1 - t0;
	size_t in_bytes = 0;
	for (size_t i = 0; i < pkg->ntemplates; i++)
		in_bytes += pkg->templates[i].file->len;
	cJSON *pm = cJSON_Parse("{\"replicas\":\"3\",\"image\":\"spark\",\"enableLeaderElection\":\"true\","
				"\"prefix\":\"x\",\"cpu\":\"2\",\"labels\":{\"a\":\"b\",\"c\":\"d\"}}");

	/* Stage 1: templates only (parse + execute every template, output kept). */
	cJSON *data = kd_plan_template_data(pkg, "bench-instance", "default", "deploy", "main", "all", pm, NULL);
	size_t out_bytes = 0;
	double r0 = now_ms();
	for (size_t i = 0; i < pkg->ntemplates; i++) {
		kd_tpl_set *set = NULL;
		kd_buf out = KD_BUF_INIT;
		if (kd_tpl_parse(&set, pkg->templates[i].name, pkg->templates[i].file->data, pkg->templates[i].file->len) ||
			kd_tpl_execute(&out, set, data)) {
			fprintf(stderr, "bench: %s\n", kd_error_last());
			return 1;
		}
		out_bytes += out.len;
		kd_buf_free(&out);
		kd_tpl_set_free(set);
	}
	double r1 = now_ms();
	cJSON_Delete(data);
	long rss_mid = peak_rss_kb();

	/* Stage 2: the whole render as `template` runs it: templates, split, YAML decode, checks. */
	t1 = now_ms();
	kd_render_result *res = NULL;
	kd_render_options o = KD_RENDER_OPTIONS_INIT;
	o.params = pm;
	if (kd_plan_render(&res, pkg, &o)) {
		fprintf(stderr, "bench: %s\n", kd_error_last());
		return 1;
	}
	double t2 = now_ms();
	long rss1 = peak_rss_kb();
	printf("synthetic package: %d templates x %d lines (%.1f MB of templates, %.1f MB rendered)\n", NTEMPLATES, LINES,
		in_bytes / 1048576.0, out_bytes / 1048576.0);
	printf("  load package                         %7.1f ms\n", load_ms);
	printf("  render templates (parse + execute)   %7.1f ms   peak RSS %.1f MB above start\n", r1 - r0,
		(rss_mid - rss0) / 1024.0);
	printf("  full render (+ split, YAML decode)   %7.1f ms   peak RSS %.1f MB above start, %zu objects\n",
		t2 - t1, (rss1 - rss0) / 1024.0, res->ndocs);
	kd_render_result_free(res);
	cJSON_Delete(pm);
	kd_pkg_free(pkg);
	for (int i = 0; i < NTEMPLATES; i++) {
		kd_buf_free(&bufs[i]);
		free(names[i]);
	}
	free(bufs);
	free(names);
	free(files);
	kd_buf_free(&op);
	return 0;
}

/* Render time of each real package: packages/ and the render cases. */
static void bench_dir(const char *root, const char *sub, const char *inner)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", root, sub);
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char pk[8192];
		snprintf(pk, sizeof pk, "%s/%s/%s", path, e->d_name, inner);
		kd_pkg *pkg = NULL;
		if (kd_pkg_load(&pkg, pk, NULL))
			continue;
		int iters = 200;
		double t0 = now_ms();
		int ok = 0;
		for (int i = 0; i < iters; i++) {
			kd_render_result *res = NULL;
			kd_render_options o = KD_RENDER_OPTIONS_INIT;
			cJSON *pm = NULL;
			if (kd_plan_default_params(&pm, pkg) == 0) {
				o.params = pm;
				if (kd_plan_render(&res, pkg, &o) == 0)
					ok++;
			}
			kd_render_result_free(res);
			cJSON_Delete(pm);
		}
		double t1 = now_ms();
		if (ok)
			printf("%-40s load+render deploy: %.3f ms per render (%d runs)\n", e->d_name, (t1 - t0) / iters, iters);
		kd_pkg_free(pkg);
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	kd_base_init();
	const char *root = argc > 1 ? argv[1] : ".";
	int rc = bench_synthetic();
	bench_dir(root, "packages", "");
	bench_dir(root, "tests/render", "package");
	return rc;
}
