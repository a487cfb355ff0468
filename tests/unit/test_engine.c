/* Unit tests of the plan engine's offline parts: the status tree and its JSON form, revision
 * records, gzip, version order, and the scheduler itself on Dummy-task plans (no cluster). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/json.h"
#include "../../operator/operator.h"
#include "../../plans/plans.h"
#include "../../plans/plans_internal.h"
#include "test.h"

static kd_pkg *pkg_of(const char *operator_yaml)
{
	kd_pkg *pkg = NULL;
	const char *params = "apiVersion: kudo.dev/v1beta1\nparameters: []\n";
	kd_pkg_input_file files[] = {
		{"operator.yaml", operator_yaml, strlen(operator_yaml)},
		{"params.yaml", params, strlen(params)},
	};
	if (kd_pkg_load_files(&pkg, "test", files, 2, NULL) != 0)
		fprintf(stderr, "  %s\n", kd_error_last());
	return pkg;
}

static const char dummy_plans[] = "apiVersion: kudo.dev/v1beta1\n"
				  "name: d\n"
				  "operatorVersion: 1.0.0\n"
				  "tasks:\n"
				  "  - {name: ok, kind: Dummy, spec: {done: true}}\n"
				  "  - {name: soft, kind: Dummy, spec: {wantErr: true}}\n"
				  "  - {name: hard, kind: Dummy, spec: {wantErr: true, fatal: true}}\n"
				  "plans:\n"
				  "  deploy:\n"
				  "    strategy: serial\n"
				  "    phases:\n"
				  "      - name: a\n"
				  "        strategy: parallel\n"
				  "        steps:\n"
				  "          - {name: sx, tasks: [ok]}\n"
				  "          - {name: sy, tasks: [ok, ok]}\n"
				  "      - name: b\n"
				  "        strategy: serial\n"
				  "        steps:\n"
				  "          - {name: sz, tasks: [ok]}\n"
				  "  fatal:\n"
				  "    strategy: serial\n"
				  "    phases:\n"
				  "      - name: m\n"
				  "        strategy: serial\n"
				  "        steps:\n"
				  "          - {name: one, tasks: [ok]}\n"
				  "          - {name: two, tasks: [hard]}\n"
				  "          - {name: three, tasks: [ok]}\n"
				  "  transient:\n"
				  "    phases:\n"
				  "      - name: m\n"
				  "        steps:\n"
				  "          - {name: one, tasks: [soft]}\n";

static kd_revision *rev_for(const kd_pkg *pkg, const char *plan)
{
	kd_revision *rev = kd_calloc(1, sizeof(*rev));
	rev->instance = kd_strdup("i");
	rev->namespace_ = kd_strdup("ns");
	rev->number = 1;
	rev->plan = kd_strdup(plan);
	rev->params = cJSON_CreateObject();
	rev->changed = cJSON_CreateArray();
	if (kd_plan_status_new(&rev->status, pkg, plan) != 0)
		fprintf(stderr, "  %s\n", kd_error_last());
	return rev;
}

/* The executor without a cluster: Dummy tasks need no client; records are not written. */
static int run_offline(const kd_pkg *pkg, kd_revision *rev, long timeout_ms)
{
	kd_exec_plan *p = NULL;
	int rc = kd_exec_prepare(&p, pkg, rev, NULL);
	if (rc)
		return rc;
	kd_exec_options o = KD_EXEC_OPTIONS_INIT;
	o.dry_run = true;
	o.timeout_ms = timeout_ms;
	rc = kd_exec_run(p, rev, &o);
	kd_exec_plan_free(p);
	return rc;
}

TEST(engine_dummy_plan_completes_in_order)
{
	kd_pkg *pkg = pkg_of(dummy_plans);
	if (!CHECK(pkg))
		return;
	kd_revision *rev = rev_for(pkg, "deploy");
	CHECK_INT(run_offline(pkg, rev, 10000), 0);
	kd_plan_status *st = rev->status;
	CHECK_INT(st->h.state, KD_EXEC_COMPLETE);
	CHECK_INT(st->phases[0].h.state, KD_EXEC_COMPLETE);
	CHECK_INT(st->phases[1].steps[0].h.state, KD_EXEC_COMPLETE);
	CHECK_INT(st->phases[0].steps[1].tasks[1].h.state, KD_EXEC_COMPLETE);
	/* the plan is serial: phase b starts after phase a finished */
	CHECK(st->phases[1].h.started_us >= st->phases[0].h.finished_us);
	kd_revision_free(rev);
	kd_pkg_free(pkg);
}

TEST(engine_fatal_step_stops_the_plan)
{
	kd_pkg *pkg = pkg_of(dummy_plans);
	if (!CHECK(pkg))
		return;
	kd_revision *rev = rev_for(pkg, "fatal");
	CHECK_INT(run_offline(pkg, rev, 10000), KD_ERROR);
	CHECK(strstr(kd_error_last(), "step m/two failed: task hard: dummy error") != NULL);
	kd_plan_status *st = rev->status;
	CHECK_INT(st->h.state, KD_EXEC_FATAL_ERROR);
	CHECK_INT(st->phases[0].steps[0].h.state, KD_EXEC_COMPLETE);
	CHECK_INT(st->phases[0].steps[1].h.state, KD_EXEC_FATAL_ERROR);
	CHECK_INT(st->phases[0].steps[2].h.state, KD_EXEC_NEVER_RUN);
	kd_revision_free(rev);
	kd_pkg_free(pkg);
}

TEST(engine_transient_error_is_retried_until_the_deadline)
{
	kd_pkg *pkg = pkg_of(dummy_plans);
	if (!CHECK(pkg))
		return;
	kd_revision *rev = rev_for(pkg, "transient");
	/* wantErr without fatal: ERROR, retried (1 s, 2 s, ...) until the plan's time is up */
	CHECK_INT(run_offline(pkg, rev, 2500), KD_ETIMEOUT);
	kd_step_status *ss = &rev->status->phases[0].steps[0];
	CHECK_INT(ss->h.state, KD_EXEC_ERROR);
	CHECK(ss->attempts >= 2);
	CHECK(ss->h.message && strstr(ss->h.message, "dummy error"));
	CHECK_INT(rev->status->h.state, KD_EXEC_IN_PROGRESS);
	kd_revision_free(rev);
	kd_pkg_free(pkg);
}

TEST(engine_resume_skips_complete_steps)
{
	kd_pkg *pkg = pkg_of(dummy_plans);
	if (!CHECK(pkg))
		return;
	kd_revision *rev = rev_for(pkg, "fatal");
	/* as a record left by a killed command: one COMPLETE, one IN_PROGRESS */
	kd_plan_status *st = rev->status;
	st->h.state = KD_EXEC_IN_PROGRESS;
	st->phases[0].h.state = KD_EXEC_IN_PROGRESS;
	st->phases[0].steps[0].h.state = KD_EXEC_COMPLETE;
	st->phases[0].steps[0].h.finished_us = 42;
	st->phases[0].steps[1].h.state = KD_EXEC_IN_PROGRESS;
	CHECK_INT(run_offline(pkg, rev, 10000), KD_ERROR);
	CHECK_INT(st->phases[0].steps[0].h.finished_us, 42); /* not run again */
	CHECK_INT(st->phases[0].steps[0].attempts, 0);
	CHECK_INT(st->phases[0].steps[1].h.state, KD_EXEC_FATAL_ERROR);
	kd_revision_free(rev);
	kd_pkg_free(pkg);
}

TEST(engine_status_json_round_trip)
{
	kd_pkg *pkg = pkg_of(dummy_plans);
	if (!CHECK(pkg))
		return;
	kd_plan_status *st = NULL, *back = NULL;
	CHECK_INT(kd_plan_status_new(&st, pkg, "deploy"), 0);
	st->h.state = KD_EXEC_IN_PROGRESS;
	st->h.started_us = 1700000000123000;
	st->phases[0].steps[1].h.state = KD_EXEC_ERROR;
	st->phases[0].steps[1].h.message = kd_strdup("API said no");
	st->phases[0].steps[1].attempts = 3;
	cJSON *j = kd_plan_status_to_json(st);
	CHECK_INT(kd_plan_status_from_json(&back, j), 0);
	cJSON *j2 = kd_plan_status_to_json(back);
	CHECK(kd_json_equal(j, j2));
	CHECK_INT(back->phases[0].steps[1].attempts, 3);
	CHECK_STR(back->phases[0].steps[1].h.message, "API said no");
	CHECK_INT(back->h.started_us, 1700000000123000);
	CHECK_STR(kd_json_get_str(j, "started"), "2023-11-14T22:13:20.123Z");
	cJSON_Delete(j);
	cJSON_Delete(j2);
	kd_plan_status_free(back);
	/* a damaged record is an error, not a crash */
	cJSON *bad = cJSON_Parse("{\"name\":\"deploy\",\"status\":\"SOMETHING\"}");
	CHECK(kd_plan_status_from_json(&back, bad) != 0);
	cJSON_Delete(bad);
	/* drawn as KUDO draws it */
	kd_buf b = KD_BUF_INIT;
	kd_plan_status_print_options po = {"i", "d-1.0.0", 0, true, false};
	CHECK_INT(kd_plan_status_print(&b, st, &po), 0);
	CHECK_STR(kd_buf_cstr(&b), "i (Operator-Version: \"d-1.0.0\" Active-Plan: \"deploy\")\n"
				   "└── Plan deploy (serial strategy) [IN_PROGRESS]\n"
				   "    ├── Phase a (parallel strategy) [NEVER_RUN]\n"
				   "    │   ├── Step sx [NEVER_RUN]\n"
				   "    │   │   └── Task ok (Dummy) [NEVER_RUN]\n"
				   "    │   └── Step sy [ERROR] (API said no)\n"
				   "    │       ├── Task ok (Dummy) [NEVER_RUN]\n"
				   "    │       └── Task ok (Dummy) [NEVER_RUN]\n"
				   "    └── Phase b (serial strategy) [NEVER_RUN]\n"
				   "        └── Step sz [NEVER_RUN]\n"
				   "            └── Task ok (Dummy) [NEVER_RUN]\n");
	kd_buf_free(&b);
	kd_plan_status_free(st);
	kd_pkg_free(pkg);
}

TEST(engine_revision_record_round_trip)
{
	kd_pkg *pkg = pkg_of(dummy_plans);
	if (!CHECK(pkg))
		return;
	kd_revision *rev = rev_for(pkg, "deploy");
	rev->operation = kd_strdup("upgrade");
	rev->operator_name = kd_strdup("d");
	rev->operator_version = kd_strdup("1.0.0");
	rev->rollback_of = 0;
	rev->user_params = cJSON_Parse("{\"a\":\"1\"}");
	cJSON_AddStringToObject(rev->params, "a", "1");
	rev->source = cJSON_Parse("{\"kind\":\"git\",\"commit\":\"abc\"}");
	rev->nobjects = 1;
	rev->objects = kd_calloc(1, sizeof(*rev->objects));
	rev->objects[0] = (kd_rev_object){kd_strdup("v1"), kd_strdup("ConfigMap"), kd_strdup("ns"), kd_strdup("c"),
		kd_strdup("c.yaml"), 1, 0, false, true};
	cJSON *j = kd_revision_to_json(rev);
	kd_revision *back = NULL;
	CHECK_INT(kd_revision_from_json(&back, j), 0);
	if (CHECK(back)) {
		cJSON *j2 = kd_revision_to_json(back);
		CHECK(kd_json_equal(j, j2));
		cJSON_Delete(j2);
		CHECK_STR(back->objects[0].name, "c");
		CHECK(back->objects[0].keep);
		CHECK_STR(kd_json_get_str(back->source, "commit"), "abc");
	}
	cJSON_Delete(j);
	kd_revision_free(back);
	kd_revision_free(rev);
	kd_pkg_free(pkg);
}

/* The seed of tests/fuzz/fuzz_record.c is a record kd_revision_to_json writes: an upgrade with
 * user values, a source, objects and a status part way through. The test holds the committed
 * seed to what the encoder writes now (KUDOC_WRITE_FUZZ_SEEDS=1 rewrites it), and reads it the
 * way the loaders read a Secret. */
TEST(engine_record_fuzz_seed)
{
	kd_pkg *pkg = pkg_of(dummy_plans);
	if (!CHECK(pkg))
		return;
	kd_revision *rev = rev_for(pkg, "deploy");
	rev->number = 3;
	rev->operation = kd_strdup("upgrade");
	rev->operator_name = kd_strdup("d");
	rev->operator_version = kd_strdup("1.0.0");
	rev->app_version = kd_strdup("2.4.1");
	rev->user_params = cJSON_Parse("{\"replicas\":\"3\",\"tags\":[\"a\",\"b\"]}");
	cJSON_AddStringToObject(rev->params, "replicas", "3");
	cJSON_AddItemToObject(rev->params, "tags", cJSON_Parse("[\"a\",\"b\"]"));
	cJSON_AddItemToArray(rev->changed, cJSON_CreateString("replicas"));
	rev->source = cJSON_Parse("{\"kind\":\"git\",\"source\":\"git+https://example.com/ops.git//d?ref=v1\","
				  "\"url\":\"https://example.com/ops.git\",\"ref\":\"v1\","
				  "\"commit\":\"0123456789abcdef0123456789abcdef01234567\",\"path\":\"d\"}");
	rev->repairs = cJSON_Parse("[{\"time\":\"2024-01-02T03:04:05.000Z\",\"commit\":\"abc\",\"objects\":1}]");
	rev->digest = kd_strdup("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	rev->created_us = 1704164645123000;
	rev->package_parts = 1;
	rev->nobjects = 2;
	rev->objects = kd_calloc(2, sizeof(*rev->objects));
	rev->objects[0] = (kd_rev_object){kd_strdup("v1"), kd_strdup("ConfigMap"), kd_strdup("ns"), kd_strdup("c"),
		kd_strdup("c.yaml"), 0, 1, false, true};
	rev->objects[1] = (kd_rev_object){kd_strdup("rbac.authorization.k8s.io/v1"), kd_strdup("ClusterRole"),
		kd_strdup(""), kd_strdup("r"), kd_strdup("rbac.yaml"), 1, 0, true, false};
	rev->status->h.state = KD_EXEC_IN_PROGRESS;
	rev->status->h.started_us = 1704164645123000;
	rev->status->phases[0].h.state = KD_EXEC_COMPLETE;
	rev->status->phases[0].steps[1].h.state = KD_EXEC_ERROR;
	rev->status->phases[0].steps[1].h.message = kd_strdup("admission webhook said no");
	rev->status->phases[0].steps[1].attempts = 2;
	cJSON *j = kd_revision_to_json(rev);
	char *text = cJSON_PrintUnformatted(j);
	kd_buf want = KD_BUF_INIT, path = KD_BUF_INIT;
	kd_buf_printf(&want, "R%s", text);
	kd_buf_printf(&path, "%s/tests/fuzz/corpus/record/revision", kd_test_root());
	const char *w = getenv("KUDOC_WRITE_FUZZ_SEEDS");
	if (w && *w) {
		FILE *f = fopen(kd_buf_cstr(&path), "wb");
		if (CHECK(f)) {
			CHECK(fwrite(want.ptr, 1, want.len, f) == want.len);
			fclose(f);
		}
	}
	char *seed = NULL;
	size_t n = 0;
	if (CHECK_INT(kd_file_read(&seed, &n, kd_buf_cstr(&path), 1 << 20), 0))
		CHECK_STR(seed, kd_buf_cstr(&want));
	/* read as a Secret: base64 of the gzipped JSON in data.record */
	kd_buf gz = KD_BUF_INIT, b64 = KD_BUF_INIT;
	CHECK_INT(kd_plans__gzip(&gz, text, strlen(text)), 0);
	CHECK_INT(kd_base64_encode(&b64, gz.ptr, gz.len), 0);
	cJSON *secret = cJSON_CreateObject();
	cJSON_AddStringToObject(cJSON_AddObjectToObject(secret, "data"), "record", kd_buf_cstr(&b64));
	kd_revision *back = NULL;
	CHECK_INT(kd_plans__revision_of_secret(&back, secret), 0);
	if (CHECK(back)) {
		cJSON *j2 = kd_revision_to_json(back);
		CHECK(kd_json_equal(j, j2));
		cJSON_Delete(j2);
		CHECK_INT(back->status->phases[0].steps[1].attempts, 2);
		CHECK(back->objects[1].deleted);
	}
	kd_revision_free(back);
	cJSON_Delete(secret);
	kd_buf_free(&gz);
	kd_buf_free(&b64);
	free(seed);
	kd_buf_free(&want);
	kd_buf_free(&path);
	free(text);
	cJSON_Delete(j);
	kd_revision_free(rev);
	kd_pkg_free(pkg);
}

/* Record times are RFC 3339 with milliseconds, also before 1970 (the fraction counts up from the
 * second before, it is not a negative number) and in years before 1000 (four digits). */
TEST(engine_record_times_before_1970)
{
	char b[64];
	kd_plans__fmt_time(b, sizeof b, -1500000);
	CHECK_STR(b, "1969-12-31T23:59:58.500Z");
	kd_plans__fmt_time(b, sizeof b, -1);
	CHECK_STR(b, "1969-12-31T23:59:59.999Z");
	kd_plans__fmt_time(b, sizeof b, 1704164645123000);
	CHECK_STR(b, "2024-01-02T03:04:05.123Z");
	int64_t us = 0;
	CHECK_INT(kd_kube_time_parse(&us, "0012-03-04T05:06:07.890Z"), 0);
	kd_plans__fmt_time(b, sizeof b, us);
	CHECK_STR(b, "0012-03-04T05:06:07.890Z");
	/* and a status read back from its record keeps its times */
	cJSON *j = cJSON_Parse("{\"name\":\"deploy\",\"status\":\"COMPLETE\",\"started\":\"1012-01-02T03:04:05.123Z\","
			       "\"finished\":\"1969-12-31T23:59:59.5Z\",\"phases\":[]}");
	kd_plan_status *st = NULL;
	CHECK_INT(kd_plan_status_from_json(&st, j), 0);
	if (CHECK(st)) {
		cJSON *back = kd_plan_status_to_json(st);
		CHECK_STR(kd_json_get_str(back, "started"), "1012-01-02T03:04:05.123Z");
		CHECK_STR(kd_json_get_str(back, "finished"), "1969-12-31T23:59:59.500Z");
		cJSON_Delete(back);
	}
	kd_plan_status_free(st);
	cJSON_Delete(j);
}

TEST(engine_gzip_round_trip_and_caps)
{
	kd_buf in = KD_BUF_INIT, gz = KD_BUF_INIT, out = KD_BUF_INIT;
	for (int i = 0; i < 100000; i++)
		kd_buf_printf(&in, "line %d\n", i % 37);
	CHECK_INT(kd_plans__gzip(&gz, in.ptr, in.len), 0);
	CHECK(gz.len < in.len / 10);
	CHECK_INT(kd_plans__gunzip(&out, gz.ptr, gz.len, (size_t)64 << 20), 0);
	CHECK(out.len == in.len && memcmp(out.ptr, in.ptr, in.len) == 0);
	/* a bomb is stopped at the cap */
	kd_buf_clear(&out);
	CHECK(kd_plans__gunzip(&out, gz.ptr, gz.len, 4096) == KD_ELIMIT);
	/* cut data is an error */
	kd_buf_clear(&out);
	CHECK(kd_plans__gunzip(&out, gz.ptr, gz.len / 2, (size_t)64 << 20) != 0);
	kd_buf_free(&in);
	kd_buf_free(&gz);
	kd_buf_free(&out);
}

TEST(engine_semver_order)
{
	CHECK(kd_plans__semver_compare("1.0.0", "1.0.1") < 0);
	CHECK(kd_plans__semver_compare("1.10.0", "1.9.9") > 0);
	CHECK(kd_plans__semver_compare("v2.0.0", "2.0.0") == 0);
	CHECK(kd_plans__semver_compare("1.0.0-rc.1", "1.0.0") < 0);
	CHECK(kd_plans__semver_compare("1.0.0-rc.2", "1.0.0-rc.10") < 0);
	CHECK(kd_plans__semver_compare("1.0.0-alpha", "1.0.0-beta") < 0);
	CHECK(kd_plans__semver_compare("1.0.0-alpha", "1.0.0-alpha.1") < 0);
	CHECK(kd_plans__semver_compare("1.0.0-1", "1.0.0-alpha") < 0);
	CHECK(kd_plans__semver_compare("1.2", "1.2.0") == 0);
	CHECK(kd_plans__semver_compare("1.0.0+build.5", "1.0.0") == 0);
}

/* ---- what the scheduler refuses or holds ------------------------------------------------------ */

static const char pipe_plans[] = "apiVersion: kudo.dev/v1beta1\n"
				 "name: p\n"
				 "operatorVersion: 1.0.0\n"
				 "tasks:\n"
				 "  - {name: config, kind: Apply, spec: {resources: [cm.yaml]}}\n"
				 "  - name: gen\n"
				 "    kind: Pipe\n"
				 "    spec:\n"
				 "      pod: pod.yaml\n"
				 "      pipe: [{file: /tmp/out, kind: ConfigMap, key: out}]\n"
				 "plans:\n"
				 "  deploy:\n"
				 "    phases:\n"
				 "      - name: main\n"
				 "        steps:\n"
				 "          - {name: config, tasks: [config]}\n"
				 "          - {name: gen, tasks: [gen]}\n";

TEST(engine_pipe_task_is_refused_before_anything_runs)
{
	const char *params = "apiVersion: kudo.dev/v1beta1\nparameters: []\n";
	const char *cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata: {}\n";
	const char *pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: g\nspec:\n  containers: [{name: g, image: busybox}]\n";
	kd_pkg_input_file files[] = {
		{"operator.yaml", pipe_plans, strlen(pipe_plans)},
		{"params.yaml", params, strlen(params)},
		{"templates/cm.yaml", cm, strlen(cm)},
		{"templates/pod.yaml", pod, strlen(pod)},
	};
	kd_pkg *pkg = NULL;
	if (!CHECK_INT(kd_pkg_load_files(&pkg, "test", files, 4, NULL), 0)) {
		fprintf(stderr, "  %s\n", kd_error_last());
		return;
	}
	kd_revision *rev = rev_for(pkg, "deploy");
	kd_exec_plan *p = NULL;
	/* no client: the refusal comes before anything would need the cluster */
	CHECK_INT(kd_exec_prepare(&p, pkg, rev, NULL), KD_EINVALID);
	CHECK(p == NULL);
	const char *m = kd_error_last();
	CHECK(m && strstr(m, "plan \"deploy\" uses the Pipe task \"gen\": kudoc does not run Pipe tasks yet, so nothing "
			     "was applied"));
	CHECK(m && strstr(m, "operator.yaml:6:")); /* where the task is declared */
	/* the step before it never ran */
	CHECK_INT(rev->status->phases[0].steps[0].h.state, KD_EXEC_NEVER_RUN);
	kd_exec_plan_free(p);
	kd_revision_free(rev);
	kd_pkg_free(pkg);
}

static const char held_plans[] = "apiVersion: kudo.dev/v1beta1\n"
				 "name: h\n"
				 "operatorVersion: 1.0.0\n"
				 "tasks:\n"
				 "  - {name: ok, kind: Dummy, spec: {done: true}}\n"
				 "  - {name: never, kind: Dummy, spec: {done: false}}\n"
				 "plans:\n"
				 "  deploy:\n"
				 "    strategy: serial\n"
				 "    phases:\n"
				 "      - name: a\n"
				 "        steps:\n"
				 "          - {name: held, tasks: [never]}\n"
				 "      - name: b\n"
				 "        steps:\n"
				 "          - {name: quick, tasks: [ok]}\n"
				 "  together:\n"
				 "    strategy: parallel\n"
				 "    phases:\n"
				 "      - name: a\n"
				 "        steps:\n"
				 "          - {name: held, tasks: [never]}\n"
				 "      - name: b\n"
				 "        steps:\n"
				 "          - {name: quick, tasks: [ok]}\n";

TEST(engine_dummy_not_done_holds_its_step_until_the_timeout)
{
	kd_pkg *pkg = pkg_of(held_plans);
	if (!CHECK(pkg))
		return;
	kd_revision *rev = rev_for(pkg, "deploy");
	CHECK_INT(run_offline(pkg, rev, 1500), KD_ETIMEOUT);
	kd_plan_status *st = rev->status;
	kd_task_status *ts = &st->phases[0].steps[0].tasks[0];
	CHECK_INT(ts->h.state, KD_EXEC_IN_PROGRESS);
	CHECK(ts->h.message && strstr(ts->h.message, "a Dummy task with done: false never completes"));
	CHECK(st->phases[0].steps[0].h.state != KD_EXEC_COMPLETE);
	CHECK(st->h.state != KD_EXEC_COMPLETE);
	/* the plan is serial: phase b waits for a, so it never ran */
	CHECK_INT(st->phases[1].steps[0].h.state, KD_EXEC_NEVER_RUN);
	kd_revision_free(rev);
	kd_pkg_free(pkg);
}

TEST(engine_parallel_plan_runs_its_phases_at_once)
{
	kd_pkg *pkg = pkg_of(held_plans);
	if (!CHECK(pkg))
		return;
	kd_revision *rev = rev_for(pkg, "together");
	CHECK_INT(run_offline(pkg, rev, 1500), KD_ETIMEOUT);
	kd_plan_status *st = rev->status;
	/* phase b did not wait for phase a (which never finishes) */
	CHECK(st->phases[0].steps[0].h.state != KD_EXEC_COMPLETE);
	CHECK_INT(st->phases[1].steps[0].h.state, KD_EXEC_COMPLETE);
	CHECK_INT(st->phases[1].h.state, KD_EXEC_COMPLETE);
	CHECK(st->phases[1].steps[0].h.started_us > 0);
	kd_revision_free(rev);
	kd_pkg_free(pkg);
}
