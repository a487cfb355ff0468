/* Figures of the plan engine against a real cluster (./dev bench runs it with testenv):
 *   - a 200-object package installed end to end: wall time, peak RSS of kubectl-kudo, API
 *     requests per applied object (counted from its -v request log), and its uninstall; once
 *     with an empty discovery cache (a machine's first install) and once with the cache the
 *     first one left (every later one);
 *   - how long after its last object became ready a plan is COMPLETE (watched from here, with
 *     the record's finish time), median of several runs.
 * Usage: kudoc-clusterbench KUBECONFIG KUBECTL-KUDO */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../base/base.h"
#include "../../base/json.h"
#include "../../kube/kube.h"
#include "../../plans/plans.h"

extern char **environ;

static const char *kubeconfig, *exe, *cache_home;

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	kd_buf p = KD_BUF_INIT;
	kd_buf_printf(&p, "%s/%s", dir, name);
	FILE *f = fopen(kd_buf_cstr(&p), "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "clusterbench: cannot write %s\n", kd_buf_cstr(&p));
		exit(1);
	}
	kd_buf_free(&p);
}

/* A package of `steps` parallel steps, each applying `per_step` ConfigMaps, one Service and one
 * Deployment whose pod is ready after `ready_after`. */
static void make_package(const char *dir, int steps, int per_step, const char *ready_after)
{
	kd_buf b = KD_BUF_INIT;
	kd_buf_printf(&b, "mkdir -p '%s/templates'", dir);
	if (system(kd_buf_cstr(&b)) != 0)
		exit(1);
	kd_buf_clear(&b);
	kd_buf_puts(&b, "apiVersion: kudo.dev/v1beta1\nname: bench\noperatorVersion: 0.1.0\ntasks:\n");
	for (int s = 0; s < steps; s++)
		kd_buf_printf(&b, "  - name: t%d\n    kind: Apply\n    spec:\n      resources: [s%d.yaml]\n", s, s);
	kd_buf_puts(&b, "plans:\n  deploy:\n    strategy: serial\n    phases:\n      - name: all\n        strategy: "
			"parallel\n        steps:\n");
	for (int s = 0; s < steps; s++)
		kd_buf_printf(&b, "          - name: s%d\n            tasks: [t%d]\n", s, s);
	write_file(dir, "operator.yaml", kd_buf_cstr(&b));
	write_file(dir, "params.yaml", "apiVersion: kudo.dev/v1beta1\nparameters: []\n");
	for (int s = 0; s < steps; s++) {
		kd_buf_clear(&b);
		kd_buf_printf(&b,
			"{{- range $i := until %d }}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ $.Name }}-s%d-{{ $i "
			"}}\ndata:\n  index: \"{{ $i }}\"\n  step: \"%d\"\n{{- end }}\n",
			per_step, s, s);
		kd_buf_printf(&b,
			"---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Name }}-s%d\nspec:\n  selector:\n    app: "
			"{{ .Name }}-s%d\n  ports:\n    - port: 80\n",
			s, s);
		kd_buf_printf(&b,
			"---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Name }}-s%d\nspec:\n  replicas: 1\n  "
			"selector:\n    matchLabels:\n      app: {{ .Name }}-s%d\n  template:\n    metadata:\n      labels:\n        "
			"app: {{ .Name }}-s%d\n      annotations:\n        testenv.kudoc.dev/ready-after: \"%s\"\n    spec:\n      "
			"containers:\n        - name: main\n          image: registry.k8s.io/pause:3.9\n",
			s, s, s, ready_after);
		char name[32];
		snprintf(name, sizeof(name), "templates/s%d.yaml", s);
		write_file(dir, name, kd_buf_cstr(&b));
	}
	kd_buf_free(&b);
}

typedef struct {
	int status;
	double wall_ms;
	long maxrss_kb;
	int requests;
} run_result;

/* Runs kubectl-kudo with -v=1, counting the request log lines it writes to stderr. */
static run_result kudo(const char *const *args)
{
	run_result r = {-1, 0, 0, 0};
	char errpath[] = "/tmp/kudoc-clusterbench-XXXXXX";
	int fd = mkstemp(errpath);
	if (fd < 0)
		return r;
	close(fd);
	const char *argv[32];
	int n = 0;
	argv[n++] = exe;
	for (int i = 0; args[i] && n < 29; i++)
		argv[n++] = args[i];
	argv[n++] = "-v=1";
	argv[n] = NULL;
	kd_buf envk = KD_BUF_INIT, envc = KD_BUF_INIT;
	kd_buf_printf(&envk, "KUBECONFIG=%s", kubeconfig);
	kd_buf_printf(&envc, "XDG_CACHE_HOME=%s", cache_home);
	char *env[] = {(char *)kd_buf_cstr(&envk), (char *)kd_buf_cstr(&envc), "PATH=/usr/bin:/bin", NULL};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, errpath, O_WRONLY | O_TRUNC, 0600);
	pid_t pid;
	int64_t t0 = now_us();
	if (posix_spawn(&pid, exe, &fa, NULL, (char *const *)argv, env) == 0) {
		int st = 0;
		struct rusage ru;
		if (wait4(pid, &st, 0, &ru) == pid) {
			r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
			r.maxrss_kb = ru.ru_maxrss;
		}
	}
	r.wall_ms = (double)(now_us() - t0) / 1000.0;
	posix_spawn_file_actions_destroy(&fa);
	kd_buf_free(&envk);
	kd_buf_free(&envc);
	FILE *f = fopen(errpath, "r");
	char line[4096];
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "GET ", 4) == 0 || strncmp(line, "PUT ", 4) == 0 || strncmp(line, "POST ", 5) == 0 ||
			strncmp(line, "PATCH ", 6) == 0 || strncmp(line, "DELETE ", 7) == 0)
			r.requests++;
	if (f)
		fclose(f);
	unlink(errpath);
	return r;
}

static kd_kube_client *client(void)
{
	kd_kube_config *cfg = NULL;
	kd_kube_client *c = NULL;
	kd_kube_config_options co = KD_KUBE_CONFIG_OPTIONS_INIT;
	co.kubeconfig = kubeconfig;
	if (kd_kube_config_load(&cfg, &co) || kd_kube_client_new(&c, cfg, NULL)) {
		fprintf(stderr, "clusterbench: %s\n", kd_error_last());
		exit(1);
	}
	kd_kube_config_free(cfg);
	return c;
}

static void namespace_(kd_kube_client *c, const char *ns, bool create)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "apiVersion", "v1");
	cJSON_AddStringToObject(o, "kind", "Namespace");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "metadata"), "name", ns);
	if (create) {
		kd_kube_create(NULL, c, o);
	} else {
		kd_kube_ref r = {"v1", "Namespace", NULL, ns, NULL};
		kd_kube_delete(c, &r, NULL);
	}
	kd_error_clear();
	cJSON_Delete(o);
}

/* ---- ready -> COMPLETE latency ---- */

typedef struct {
	const char *ns;
	int64_t ready_us;
	volatile sig_atomic_t stop;
	kd_kube_client *c;
} watcher;

static int on_event(void *payload, kd_kube_event_type t, const cJSON *obj)
{
	watcher *w = payload;
	kd_kube_status st;
	kd_kube_status_compute(&st, obj, NULL);
	if (t != KD_KUBE_DELETED && st.state == KD_KUBE_CURRENT && !w->ready_us) {
		w->ready_us = now_us();
		return 1;
	}
	return w->stop ? 1 : 0;
}

static void *watch_main(void *arg)
{
	watcher *w = arg;
	kd_kube_ref ref = {"apps/v1", "Deployment", w->ns, NULL, NULL};
	kd_kube_watch_options wo = KD_KUBE_WATCH_OPTIONS_INIT;
	wo.timeout_ms = 120000;
	wo.resource_version = NULL;
	kd_kube_watch(w->c, &ref, &wo, on_event, w);
	kd_error_clear();
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: kudoc-clusterbench KUBECONFIG KUBECTL-KUDO\n");
		return 2;
	}
	kd_base_init();
	kubeconfig = argv[1];
	exe = argv[2];
	char dir[] = "/tmp/kudoc-clusterbench-pkg-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	kd_kube_client *c = client();
	char ns[64], pkg[256];

	/* 200 objects: 10 parallel steps of 18 ConfigMaps, a Service and a Deployment */
	char cache[300];
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	cache_home = cache; /* empty: the first install fills it */
	snprintf(pkg, sizeof(pkg), "%s/p200", dir);
	make_package(pkg, 10, 18, "1s");
	printf("200-object package (10 parallel steps of 18 ConfigMaps, a Service and a Deployment):\n");
	for (int warm = 0; warm < 2; warm++) {
		snprintf(ns, sizeof(ns), "bench-%ld-%d", (long)getpid(), warm);
		namespace_(c, ns, true);
		const char *inst[] = {"install", pkg, "-n", ns, "--instance", "b", NULL};
		run_result r = kudo(inst);
		printf(" %s discovery cache:\n", warm ? "warm" : "empty");
		printf("  install, end to end              %8.0f ms   exit %d\n", r.wall_ms, r.status);
		printf("  peak RSS of kubectl-kudo         %8.1f MB\n", (double)r.maxrss_kb / 1024.0);
		printf("  API requests                     %8d   (%.2f per applied object)\n", r.requests, r.requests / 200.0);
		const char *un[] = {"uninstall", "--instance", "b", "-n", ns, NULL};
		run_result u = kudo(un);
		printf("  uninstall, until all are gone    %8.0f ms   exit %d, %d requests, peak RSS %.1f MB\n", u.wall_ms,
			u.status, u.requests, (double)u.maxrss_kb / 1024.0);
		namespace_(c, ns, false);
	}

	/* latency: one Deployment ready after 2 s; the plan's end against the moment it was ready */
	snprintf(pkg, sizeof(pkg), "%s/p1", dir);
	make_package(pkg, 1, 0, "2s");
	double lat[5];
	int nl = 0;
	for (int i = 0; i < 5; i++) {
		snprintf(ns, sizeof(ns), "bench-lat-%ld-%d", (long)getpid(), i);
		namespace_(c, ns, true);
		watcher w = {ns, 0, 0, client()};
		pthread_t th;
		pthread_create(&th, NULL, watch_main, &w);
		usleep(200000); /* the watch is established */
		const char *a[] = {"install", pkg, "-n", ns, "--instance", "l", NULL};
		run_result lr = kudo(a);
		w.stop = 1;
		pthread_join(th, NULL);
		kd_revision *rev = NULL;
		if (lr.status == 0 && w.ready_us && kd_revision_load(&rev, c, ns, "l", 1) == 0 && rev->status)
			lat[nl++] = (double)(rev->status->h.finished_us - w.ready_us) / 1000.0;
		kd_error_clear();
		kd_revision_free(rev);
		kd_kube_client_free(w.c);
		namespace_(c, ns, false);
	}
	if (nl) {
		qsort(lat, (size_t)nl, sizeof(double), cmp_double);
		printf("last object ready -> plan COMPLETE (watched here; median of %d)  %6.1f ms  (min %.1f, max %.1f)\n", nl,
			lat[nl / 2], lat[0], lat[nl - 1]);
		/* both watch the same object: the one whose event arrives first wins by a little */
		if (lat[nl / 2] <= 0)
			printf("  (at or below 0: kubectl-kudo recorded COMPLETE before this watch saw the object ready)\n");
	} else {
		printf("last object ready -> plan COMPLETE: no measurement (installs failed)\n");
	}
	kd_kube_client_free(c);
	kd_buf rm = KD_BUF_INIT;
	kd_buf_printf(&rm, "rm -rf '%s'", dir);
	if (system(kd_buf_cstr(&rm)) != 0)
		fprintf(stderr, "clusterbench: cannot remove %s\n", dir);
	kd_buf_free(&rm);
	return 0;
}
