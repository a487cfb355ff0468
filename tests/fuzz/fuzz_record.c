/* libFuzzer target for reading revision records (plans/record.c, plans/status.c): what kudoc
 * does with the Secrets of a revision it reads back from the cluster, which anyone with write
 * access to Secrets in the namespace can change.
 *
 * Input: the first byte picks what the rest is:
 *   'R'  the record's JSON (what kd_revision_to_json writes). A parameter holding a canary
 *        value is added to parameters.user and .resolved (when the JSON is an object whose
 *        `parameters` members are objects), then the JSON is gzipped and base64'd into
 *        data.record of a Secret, as kd_revision_save writes it, and read through
 *        kd_plans__revision_of_secret, the function the loaders call;
 *   'S'  a whole Secret as JSON, read the same way (bad base64 and broken gzip);
 *   'P'  the JSON of a package record ({"files": [{"path", "data": base64}]}), gzipped as the
 *        package Secrets hold it and decoded by kd_plans__package_decode; the files then load
 *        as a package (kd_pkg_load_files, as kd_revision_package does);
 *   'Z'  raw bytes handed to kd_plans__package_decode as the joined gzip data.
 *
 * Properties: a record that reads writes back (kd_revision_to_json) to JSON that reads again and
 * writes the same JSON (and the same from a copy of its status); the status tree prints; no
 * error message and no printed status holds the canary parameter value. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/base.h"
#include "../../base/json.h"
#include "../../plans/plans.h"
#include "../../plans/plans_internal.h"
#include "fuzz.h"

#define CANARY "c4nary-S3CRET-value" /* "S3CRET" anywhere in an input switches the check off */


/* Whether the input itself holds the canary (the fuzzer finds it in this file's comparisons):
 * then it may show through other fields, and only values added by add_canary are watched. */
static bool canary_in_input;

static void no_canary(const char *s)
{
	if (!canary_in_input && s && strstr(s, CANARY)) {
		fprintf(stderr, "a parameter value is shown: %s\n", s);
		abort();
	}
}

static void check_revision(const kd_revision *rev)
{
	ASSERT(rev->instance && rev->namespace_ && rev->plan && rev->number > 0);
	ASSERT(rev->source && rev->user_params && rev->params && rev->changed);
	cJSON *j1 = kd_revision_to_json(rev);
	kd_revision *back = NULL;
	if (kd_revision_from_json(&back, j1) != 0) {
		char *t = cJSON_PrintUnformatted(j1);
		fprintf(stderr, "the record's own JSON does not read back (%s): %s\n", kd_error_last(), t);
		abort();
	}
	/* compared as text: the writer's key order is fixed, and kd_json_equal matches a duplicated
	 * key of b by its last member, so it finds a record with duplicated keys unequal to itself */
	cJSON *j2 = kd_revision_to_json(back);
	char *a = cJSON_PrintUnformatted(j1), *b = cJSON_PrintUnformatted(j2);
	if (strcmp(a, b) != 0) {
		fprintf(stderr, "written, read and written again differs:\n%s\n%s\n", a, b);
		abort();
	}
	free(a);
	free(b);
	cJSON_Delete(j2);
	cJSON_Delete(j1);
	kd_revision_free(back);
	if (rev->status) {
		kd_plan_status *dup = kd_plan_status_dup(rev->status);
		ASSERT(dup);
		cJSON *a = kd_plan_status_to_json(rev->status), *b = kd_plan_status_to_json(dup);
		char *ta = cJSON_PrintUnformatted(a), *tb = cJSON_PrintUnformatted(b);
		ASSERT(strcmp(ta, tb) == 0);
		free(ta);
		free(tb);
		cJSON_Delete(a);
		cJSON_Delete(b);
		kd_plan_status_free(dup);
		kd_buf out = KD_BUF_INIT;
		kd_plan_status_print_options po = {rev->instance, rev->operator_version, 1700000000000000, true, true};
		ASSERT(kd_plan_status_print(&out, rev->status, &po) == 0);
		no_canary(kd_buf_cstr(&out));
		kd_buf_free(&out);
	}
}

/* Adds the canary parameter where the record keeps parameter values. */
static void add_canary(cJSON *rec)
{
	cJSON *pa = cJSON_GetObjectItemCaseSensitive(rec, "parameters");
	const char *const which[] = {"user", "resolved"};
	for (size_t i = 0; i < 2; i++) {
		cJSON *o = cJSON_GetObjectItemCaseSensitive(pa, which[i]);
		if (cJSON_IsObject(o)) {
			cJSON_DeleteItemFromObjectCaseSensitive(o, "FUZZ_PASSWORD");
			cJSON_AddStringToObject(o, "FUZZ_PASSWORD", CANARY);
		}
	}
}

static void read_secret(const cJSON *secret)
{
	kd_revision *rev = NULL;
	if (kd_plans__revision_of_secret(&rev, secret) == 0) {
		ASSERT(rev);
		check_revision(rev);
	} else {
		ASSERT(!rev);
		no_canary(kd_error_last());
	}
	kd_revision_free(rev);
}

static void fuzz_record_json(const char *text, size_t len)
{
	cJSON *rec = cJSON_ParseWithLength(text, len);
	char *printed = NULL;
	kd_buf gz = KD_BUF_INIT, b64 = KD_BUF_INIT;
	if (rec) {
		add_canary(rec);
		printed = cJSON_PrintUnformatted(rec);
		text = printed;
		len = strlen(printed);
	}
	ASSERT(kd_plans__gzip(&gz, text, len) == 0);
	ASSERT(kd_base64_encode(&b64, gz.ptr, gz.len) == 0);
	cJSON *s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "apiVersion", "v1");
	cJSON_AddStringToObject(s, "kind", "Secret");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(s, "metadata"), "name", "kudoc.fz.v1");
	cJSON_AddStringToObject(s, "type", KD_REVISION_SECRET_TYPE);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(s, "data"), "record", kd_buf_cstr(&b64));
	read_secret(s);
	cJSON_Delete(s);
	cJSON_Delete(rec);
	free(printed);
	kd_buf_free(&gz);
	kd_buf_free(&b64);
}

static void decode_package(const void *gz, size_t len)
{
	kd_revision *rev = kd_calloc(1, sizeof *rev);
	rev->number = 1;
	int rc = kd_plans__package_decode(rev, gz, len);
	if (rc == 0) {
		ASSERT(rev->files_loaded);
		for (size_t i = 0; i < rev->nfiles; i++)
			ASSERT(rev->files[i].path && rev->files[i].data && rev->files[i].data[rev->files[i].len] == '\0');
		kd_pkg *pkg = NULL;
		kd_pkg_load_options o = KD_PKG_LOAD_OPTIONS_INIT;
		o.max_total_size = (size_t)4 << 20;
		if (kd_pkg_load_files(&pkg, "revision 1 of fz/fz", rev->files, rev->nfiles, &o) == 0) {
			/* what rollback records again: the same files */
			kd_revision *again = kd_calloc(1, sizeof *again);
			kd_revision_set_package(again, pkg);
			kd_pkg *pkg2 = NULL;
			ASSERT(kd_pkg_load_files(&pkg2, "again", again->files, again->nfiles, &o) == 0);
			ASSERT(kd_pkg_same_files(pkg, pkg2));
			kd_pkg_free(pkg2);
			kd_revision_free(again);
		}
		kd_pkg_free(pkg);
	} else {
		ASSERT(!rev->files_loaded);
	}
	kd_revision_free(rev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		kd_base_init();
		init = 1;
	}
	if (size < 1 || size > 65536)
		return 0;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	canary_in_input = memmem(text, len, "S3CRET", 6) != NULL;
	switch (data[0]) {
	case 'R':
		fuzz_record_json(text, len);
		break;
	case 'S': {
		cJSON *s = cJSON_ParseWithLength(text, len);
		if (s)
			read_secret(s);
		cJSON_Delete(s);
		break;
	}
	case 'P': {
		kd_buf gz = KD_BUF_INIT;
		ASSERT(kd_plans__gzip(&gz, text, len) == 0);
		decode_package(gz.ptr, gz.len);
		kd_buf_free(&gz);
		break;
	}
	case 'Z':
		decode_package(text, len);
		break;
	}
	kd_error_clear();
	return 0;
}
