/* Revision records. A revision is one Secret "kudoc.<instance>.v<N>" of type
 * kudoc.dev/revision.v1 whose data.record is the gzipped JSON of the revision, plus its
 * package's files in Secrets "kudoc.<instance>.v<N>.pkg<i>" (gzipped JSON split in parts under
 * Kubernetes' 1 MiB Secret limit). The record is small and rewritten after every status change;
 * the package is written once. Labels let `get instances` and `plan history` list them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "../base/json.h"
#include "plans.h"
#include "plans_internal.h"

/* Bytes of gzipped data per package Secret: under 1 MiB once base64'd, with room for metadata. */
#define PART_MAX ((size_t)700 << 10)
#define RECORD_MAX ((size_t)64 << 20)  /* a record or package after gunzip */
#define MAX_PARTS 96                    /* 64 MiB of package, like the package loader's cap */

/* ---- gzip ----------------------------------------------------------------------------------- */

int kd_plans__gzip(kd_buf *out, const void *data, size_t len)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return kd_error_set(KD_ERR_INTERNAL, "zlib: cannot start compressing");
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)len;
	int zr;
	do {
		if (kd_buf_grow(out, 65536)) {
			deflateEnd(&z);
			return KD_ELIMIT;
		}
		z.next_out = (Bytef *)out->ptr + out->len;
		z.avail_out = 65536;
		zr = deflate(&z, Z_FINISH);
		out->len += 65536 - z.avail_out;
	} while (zr == Z_OK || zr == Z_BUF_ERROR);
	deflateEnd(&z);
	out->ptr[out->len] = '\0';
	return zr == Z_STREAM_END ? 0 : kd_error_set(KD_ERR_INTERNAL, "zlib: compressing failed");
}

int kd_plans__gunzip(kd_buf *out, const void *data, size_t len, size_t max)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return kd_error_set(KD_ERR_INTERNAL, "zlib: cannot start decompressing");
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)len;
	int zr = Z_OK;
	while (zr == Z_OK) {
		if (out->len >= max) {
			inflateEnd(&z);
			return kd_error_set(KD_ERR_PLAN, "revision record is larger than %zu bytes", max), KD_ELIMIT;
		}
		if (kd_buf_grow(out, 65536)) {
			inflateEnd(&z);
			return KD_ELIMIT;
		}
		z.next_out = (Bytef *)out->ptr + out->len;
		z.avail_out = 65536;
		zr = inflate(&z, Z_NO_FLUSH);
		out->len += 65536 - z.avail_out;
		if (zr == Z_BUF_ERROR && z.avail_in == 0)
			break;
	}
	inflateEnd(&z);
	out->ptr[out->len] = '\0';
	if (zr != Z_STREAM_END)
		return kd_error_set(KD_ERR_PLAN, "revision record: the gzip data is corrupt or cut"), KD_EINVALID;
	return 0;
}

/* ---- names and labels ----------------------------------------------------------------------- */

void kd_plans__lease_name(kd_buf *out, const char *instance)
{
	kd_buf_printf(out, "kudoc.%s", instance);
}

static void record_name(kd_buf *out, const char *instance, long n)
{
	kd_buf_printf(out, "kudoc.%s.v%ld", instance, n);
}

static void part_name(kd_buf *out, const char *instance, long n, size_t part)
{
	kd_buf_printf(out, "kudoc.%s.v%ld.pkg%zu", instance, n, part);
}

/* Part i >= 1 of a record too large for one Secret (part 0 is the record Secret itself). */
static void record_part_name(kd_buf *out, const char *instance, long n, size_t part)
{
	kd_buf_printf(out, "kudoc.%s.v%ld.rec%zu", instance, n, part);
}

/* How many Secrets of PART_MAX bytes len bytes take (one at least). */
static size_t parts_of(size_t len)
{
	return len ? (len + PART_MAX - 1) / PART_MAX : 1;
}

#define ANN_PARTS "kudoc.dev/record-parts"
#define ANN_GEN "kudoc.dev/record-generation"
/* a part of another generation: the record is being saved, read it again */
#define REC_AGAIN KD_ECONFLICT

/* ---- the model ------------------------------------------------------------------------------ */

static void objects_free(kd_revision *rev)
{
	for (size_t i = 0; i < rev->nobjects; i++) {
		kd_rev_object *o = &rev->objects[i];
		free(o->api_version);
		free(o->kind);
		free(o->namespace_);
		free(o->name);
		free(o->template_name);
	}
	free(rev->objects);
	rev->objects = NULL;
	rev->nobjects = 0;
}

static void files_free(kd_revision *rev)
{
	/* two strings a file: its path and its bytes */
	for (size_t i = 0; rev->file_storage && i < 2 * rev->nfiles; i++)
		free(rev->file_storage[i]);
	free(rev->file_storage);
	free(rev->files);
	rev->files = NULL;
	rev->file_storage = NULL;
	rev->nfiles = 0;
	rev->files_loaded = false;
}

void kd_revision_free(kd_revision *rev)
{
	if (!rev)
		return;
	free(rev->instance);
	free(rev->namespace_);
	free(rev->operation);
	free(rev->operator_name);
	free(rev->operator_version);
	free(rev->app_version);
	cJSON_Delete(rev->source);
	cJSON_Delete(rev->user_params);
	cJSON_Delete(rev->params);
	cJSON_Delete(rev->changed);
	cJSON_Delete(rev->repairs);
	free(rev->plan);
	kd_plan_status_free(rev->status);
	objects_free(rev);
	free(rev->digest);
	files_free(rev);
	free(rev);
}

void kd_revision_list_free(kd_revision **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		kd_revision_free(v[i]);
	free(v);
}

void kd_revision_set_package(kd_revision *rev, const kd_pkg *pkg)
{
	files_free(rev);
	rev->nfiles = pkg->nfiles;
	rev->files = kd_calloc(pkg->nfiles ? pkg->nfiles : 1, sizeof(*rev->files));
	rev->file_storage = kd_calloc(pkg->nfiles ? pkg->nfiles * 2 : 1, sizeof(char *));
	for (size_t i = 0; i < pkg->nfiles; i++) {
		char *path = kd_strdup(pkg->files[i].path);
		char *data = kd_malloc(pkg->files[i].len + 1);
		memcpy(data, pkg->files[i].data, pkg->files[i].len);
		data[pkg->files[i].len] = '\0';
		rev->file_storage[2 * i] = path;
		rev->file_storage[2 * i + 1] = data;
		rev->files[i].path = path;
		rev->files[i].data = data;
		rev->files[i].len = pkg->files[i].len;
	}
	rev->nfiles = pkg->nfiles;
	rev->files_loaded = true;
}

static void add_str(cJSON *o, const char *k, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, k, v);
}

static char *dup_str(const cJSON *o, const char *k)
{
	const char *s = kd_json_get_str(o, k);
	return s ? kd_strdup(s) : NULL;
}

static cJSON *dup_or_new(const cJSON *v, bool array)
{
	if (v)
		return cJSON_Duplicate(v, 1);
	return array ? cJSON_CreateArray() : cJSON_CreateObject();
}

cJSON *kd_revision_to_json(const kd_revision *rev)
{
	cJSON *o = cJSON_CreateObject();
	char b[64];
	cJSON_AddStringToObject(o, "apiVersion", "kudoc.dev/v1");
	cJSON_AddStringToObject(o, "kind", "Revision");
	add_str(o, "instance", rev->instance);
	add_str(o, "namespace", rev->namespace_);
	cJSON_AddNumberToObject(o, "revision", (double)rev->number);
	add_str(o, "operation", rev->operation);
	cJSON *op = cJSON_AddObjectToObject(o, "operator");
	add_str(op, "name", rev->operator_name);
	add_str(op, "version", rev->operator_version);
	add_str(op, "appVersion", rev->app_version);
	cJSON_AddItemToObject(o, "source", dup_or_new(rev->source, false));
	cJSON *pa = cJSON_AddObjectToObject(o, "parameters");
	cJSON_AddItemToObject(pa, "user", dup_or_new(rev->user_params, false));
	cJSON_AddItemToObject(pa, "resolved", dup_or_new(rev->params, false));
	cJSON_AddItemToObject(o, "changed", dup_or_new(rev->changed, true));
	if (rev->rollback_of)
		cJSON_AddNumberToObject(o, "rollbackOf", (double)rev->rollback_of);
	if (cJSON_GetArraySize(rev->repairs) > 0)
		cJSON_AddItemToObject(o, "repairs", cJSON_Duplicate(rev->repairs, 1));
	add_str(o, "plan", rev->plan);
	if (rev->status)
		cJSON_AddItemToObject(o, "status", kd_plan_status_to_json(rev->status));
	cJSON *objs = cJSON_AddArrayToObject(o, "objects");
	for (size_t i = 0; i < rev->nobjects; i++) {
		const kd_rev_object *ro = &rev->objects[i];
		cJSON *x = cJSON_CreateObject();
		add_str(x, "apiVersion", ro->api_version);
		add_str(x, "kind", ro->kind);
		if (ro->namespace_ && *ro->namespace_)
			add_str(x, "namespace", ro->namespace_);
		add_str(x, "name", ro->name);
		add_str(x, "template", ro->template_name);
		cJSON_AddNumberToObject(x, "phase", (double)ro->phase_index);
		cJSON_AddNumberToObject(x, "step", (double)ro->step_index);
		if (ro->deleted)
			cJSON_AddTrueToObject(x, "deleted");
		if (ro->keep)
			cJSON_AddTrueToObject(x, "keep");
		cJSON_AddItemToArray(objs, x);
	}
	add_str(o, "digest", rev->digest);
	if (rev->created_us) {
		kd_plans__fmt_time(b, sizeof(b), rev->created_us);
		cJSON_AddStringToObject(o, "created", b);
	}
	if (rev->uninstalled_us) {
		kd_plans__fmt_time(b, sizeof(b), rev->uninstalled_us);
		cJSON_AddStringToObject(o, "uninstalled", b);
	}
	cJSON_AddNumberToObject(o, "packageParts", (double)rev->package_parts);
	return o;
}

static long num(const cJSON *o, const char *k)
{
	const cJSON *v = kd_json_get(o, k);
	return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e15 ? (long)v->valuedouble : 0;
}

int kd_revision_from_json(kd_revision **out, const cJSON *json)
{
	*out = NULL;
	const char *kind = kd_json_get_str(json, "kind");
	if (!cJSON_IsObject(json) || !kind || strcmp(kind, "Revision") != 0)
		return kd_error_set(KD_ERR_PLAN, "not a kudoc revision record"), KD_EINVALID;
	kd_revision *rev = kd_calloc(1, sizeof(*rev));
	rev->instance = dup_str(json, "instance");
	rev->namespace_ = dup_str(json, "namespace");
	rev->number = num(json, "revision");
	rev->operation = dup_str(json, "operation");
	const cJSON *op = kd_json_get(json, "operator");
	rev->operator_name = dup_str(op, "name");
	rev->operator_version = dup_str(op, "version");
	rev->app_version = dup_str(op, "appVersion");
	rev->source = dup_or_new(kd_json_get(json, "source"), false);
	const cJSON *pa = kd_json_get(json, "parameters");
	rev->user_params = dup_or_new(kd_json_get(pa, "user"), false);
	rev->params = dup_or_new(kd_json_get(pa, "resolved"), false);
	rev->changed = dup_or_new(kd_json_get(json, "changed"), true);
	rev->rollback_of = num(json, "rollbackOf");
	const cJSON *rp = kd_json_get(json, "repairs");
	rev->repairs = cJSON_IsArray(rp) ? cJSON_Duplicate(rp, 1) : NULL;
	rev->plan = dup_str(json, "plan");
	rev->digest = dup_str(json, "digest");
	rev->package_parts = (size_t)num(json, "packageParts");
	const char *created = kd_json_get_str(json, "created");
	if (created)
		kd_kube_time_parse(&rev->created_us, created);
	const char *uninstalled = kd_json_get_str(json, "uninstalled");
	if (uninstalled)
		kd_kube_time_parse(&rev->uninstalled_us, uninstalled);
	if (!rev->instance || !rev->namespace_ || !rev->number || !rev->plan) {
		kd_revision_free(rev);
		return kd_error_set(KD_ERR_PLAN, "revision record without instance, namespace, revision or plan"), KD_EINVALID;
	}
	const cJSON *st = kd_json_get(json, "status");
	if (st && kd_plan_status_from_json(&rev->status, st)) {
		kd_revision_free(rev);
		return KD_EINVALID;
	}
	const cJSON *objs = kd_json_get(json, "objects");
	rev->nobjects = (size_t)cJSON_GetArraySize(objs);
	rev->objects = kd_calloc(rev->nobjects ? rev->nobjects : 1, sizeof(*rev->objects));
	size_t i = 0;
	const cJSON *x;
	cJSON_ArrayForEach(x, objs)
	{
		kd_rev_object *ro = &rev->objects[i++];
		ro->api_version = dup_str(x, "apiVersion");
		ro->kind = dup_str(x, "kind");
		ro->namespace_ = dup_str(x, "namespace");
		if (!ro->namespace_)
			ro->namespace_ = kd_strdup("");
		ro->name = dup_str(x, "name");
		ro->template_name = dup_str(x, "template");
		ro->phase_index = (size_t)num(x, "phase");
		ro->step_index = (size_t)num(x, "step");
		ro->deleted = cJSON_IsTrue(kd_json_get(x, "deleted"));
		ro->keep = cJSON_IsTrue(kd_json_get(x, "keep"));
		if (!ro->api_version || !ro->kind || !ro->name) {
			kd_revision_free(rev);
			return kd_error_set(KD_ERR_PLAN, "revision record: an object without apiVersion, kind or name"),
			       KD_EINVALID;
		}
	}
	*out = rev;
	return 0;
}

/* ---- Secrets -------------------------------------------------------------------------------- */

static cJSON *secret_skeleton(const kd_revision *rev, const char *name, const char *record_kind)
{
	cJSON *s = cJSON_CreateObject();
	char n[32];
	cJSON_AddStringToObject(s, "apiVersion", "v1");
	cJSON_AddStringToObject(s, "kind", "Secret");
	cJSON *md = cJSON_AddObjectToObject(s, "metadata");
	cJSON_AddStringToObject(md, "name", name);
	cJSON_AddStringToObject(md, "namespace", rev->namespace_);
	cJSON *l = cJSON_AddObjectToObject(md, "labels");
	cJSON_AddStringToObject(l, "app.kubernetes.io/managed-by", "kudoc");
	cJSON_AddStringToObject(l, "kudoc.dev/instance", rev->instance);
	cJSON_AddStringToObject(l, "kudoc.dev/record", record_kind);
	snprintf(n, sizeof(n), "%ld", rev->number);
	cJSON_AddStringToObject(l, "kudoc.dev/revision", n);
	cJSON_AddStringToObject(s, "type", KD_REVISION_SECRET_TYPE);
	return s;
}

static int put_secret(kd_kube_client *c, cJSON *secret)
{
	kd_kube_apply_options ao = KD_KUBE_APPLY_OPTIONS_INIT;
	ao.force = true; /* only kudoc writes its records; a stale manager must not block them */
	return kd_kube_apply(NULL, c, secret, &ao);
}

static int save_package(kd_kube_client *c, kd_revision *rev)
{
	cJSON *files = cJSON_CreateArray();
	kd_buf b64 = KD_BUF_INIT, gz = KD_BUF_INIT, name = KD_BUF_INIT;
	char *text = NULL;
	int rc = 0;
	for (size_t i = 0; i < rev->nfiles; i++) {
		cJSON *f = cJSON_CreateObject();
		kd_buf_clear(&b64);
		kd_base64_encode(&b64, rev->files[i].data, rev->files[i].len);
		cJSON_AddStringToObject(f, "path", rev->files[i].path);
		cJSON_AddStringToObject(f, "data", kd_buf_cstr(&b64));
		cJSON_AddItemToArray(files, f);
	}
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddItemToObject(doc, "files", files);
	text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if ((rc = kd_plans__gzip(&gz, text, strlen(text))))
		goto done;
	size_t parts = parts_of(gz.len);
	if (parts > MAX_PARTS) {
		rc = kd_error_set(KD_ERR_PLAN, "the package is too large to record (%zu bytes compressed)", gz.len);
		goto done;
	}
	for (size_t p = 0; p < parts; p++) {
		size_t off = p * PART_MAX, n = gz.len - off < PART_MAX ? gz.len - off : PART_MAX;
		kd_buf_clear(&name);
		part_name(&name, rev->instance, rev->number, p);
		cJSON *s = secret_skeleton(rev, kd_buf_cstr(&name), "package");
		kd_buf_clear(&b64);
		kd_base64_encode(&b64, gz.ptr + off, n);
		if ((rc = kd_buf_check(&b64, "package record")))
			goto loop_done;
		cJSON_AddStringToObject(cJSON_AddObjectToObject(s, "data"), "package", kd_buf_cstr(&b64));
		rc = put_secret(c, s);
	loop_done:
		cJSON_Delete(s);
		if (rc)
			goto done;
	}
	rev->package_parts = parts;
done:
	free(text);
	kd_buf_free(&b64);
	kd_buf_free(&gz);
	kd_buf_free(&name);
	return rc;
}

int kd_revision_save(kd_kube_client *c, kd_revision *rev, bool with_package)
{
	kd_buf name = KD_BUF_INIT, data = KD_BUF_INIT, gz = KD_BUF_INIT;
	cJSON *json = NULL, *s = NULL;
	char *text = NULL;
	int rc = 0;
	if (with_package && (rc = save_package(c, rev)))
		goto done;
	json = kd_revision_to_json(rev);
	text = cJSON_PrintUnformatted(json);
	if ((rc = kd_plans__gzip(&gz, text, strlen(text))))
		goto done;
	/* A record over one Secret's worth goes into parts: the record Secret holds the first, the
	 * Secrets .rec1, .rec2, ... the rest, each marked with this text's generation, written
	 * before the record Secret that names it, so a reader that meets a part of another
	 * generation (a save in between) knows to read again. */
	size_t parts = parts_of(gz.len);
	if (parts > MAX_PARTS) {
		rc = kd_error_set(KD_ERR_PLAN, "revision %ld of %s is too large to record (%zu bytes compressed)", rev->number,
			rev->instance, gz.len);
		goto done;
	}
	char gen[24];
	snprintf(gen, sizeof(gen), "%016llx", (unsigned long long)kd_hash(gz.ptr, gz.len));
	for (size_t p = 1; p < parts; p++) {
		size_t off = p * PART_MAX, n = gz.len - off < PART_MAX ? gz.len - off : PART_MAX;
		kd_buf_clear(&name);
		record_part_name(&name, rev->instance, rev->number, p);
		cJSON *ps = secret_skeleton(rev, kd_buf_cstr(&name), "record-part");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(kd_json_get(ps, "metadata"), "annotations"), ANN_GEN, gen);
		kd_buf_clear(&data);
		kd_base64_encode(&data, gz.ptr + off, n);
		if (!(rc = kd_buf_check(&data, "revision record"))) {
			cJSON_AddStringToObject(cJSON_AddObjectToObject(ps, "data"), "record", kd_buf_cstr(&data));
			rc = put_secret(c, ps);
		}
		cJSON_Delete(ps);
		if (rc)
			goto done;
	}
	kd_buf_clear(&data);
	kd_base64_encode(&data, gz.ptr, gz.len < PART_MAX ? gz.len : PART_MAX);
	if ((rc = kd_buf_check(&data, "revision record")))
		goto done;
	kd_buf_clear(&name);
	record_name(&name, rev->instance, rev->number);
	s = secret_skeleton(rev, kd_buf_cstr(&name), "revision");
	cJSON *l = kd_json_path(s, "metadata", "labels", NULL);
	cJSON_AddStringToObject(l, "kudoc.dev/status",
		rev->status ? kd_exec_state_name(rev->status->h.state) : "NEVER_RUN");
	cJSON *an = cJSON_AddObjectToObject(kd_json_get(s, "metadata"), "annotations");
	if (rev->operator_name)
		cJSON_AddStringToObject(an, "kudoc.dev/operator", rev->operator_name);
	if (rev->operator_version)
		cJSON_AddStringToObject(an, "kudoc.dev/operator-version", rev->operator_version);
	if (parts > 1) {
		char np[24];
		snprintf(np, sizeof(np), "%zu", parts);
		cJSON_AddStringToObject(an, ANN_PARTS, np);
		cJSON_AddStringToObject(an, ANN_GEN, gen);
	}
	cJSON_AddStringToObject(cJSON_AddObjectToObject(s, "data"), "record", kd_buf_cstr(&data));
	if ((rc = put_secret(c, s)))
		goto done;
	/* parts an earlier, longer text of this record left */
	for (size_t p = parts; p < rev->record_parts && !rc; p++) {
		kd_buf_clear(&name);
		record_part_name(&name, rev->instance, rev->number, p);
		kd_kube_ref ref = {"v1", "Secret", rev->namespace_, kd_buf_cstr(&name), NULL};
		kd_kube_delete_options dopt = KD_KUBE_DELETE_OPTIONS_INIT;
		if ((rc = kd_kube_delete(c, &ref, &dopt)) == KD_ENOTFOUND) {
			kd_error_clear();
			rc = 0;
		}
	}
	rev->record_parts = parts;
done:
	cJSON_Delete(json);
	cJSON_Delete(s);
	free(text);
	kd_buf_free(&name);
	kd_buf_free(&data);
	kd_buf_free(&gz);
	return rc;
}

/* The gunzipped bytes of data[key] of a Secret. */
static int secret_payload(kd_buf *out, const cJSON *secret, const char *key)
{
	const char *b64 = kd_json_get_str(kd_json_get(secret, "data"), key);
	const char *name = kd_json_get_str(kd_json_get(secret, "metadata"), "name");
	if (!b64)
		return kd_error_set(KD_ERR_PLAN, "revision record %s has no data.%s", name ? name : "?", key), KD_EINVALID;
	kd_buf gz = KD_BUF_INIT;
	int rc = kd_base64_decode(&gz, b64, strlen(b64), NULL);
	if (rc)
		rc = kd_error_set(KD_ERR_PLAN, "revision record %s: data.%s is not base64", name ? name : "?", key);
	else
		rc = kd_plans__gunzip(out, gz.ptr, gz.len, RECORD_MAX);
	kd_buf_free(&gz);
	return rc;
}

/* The gzipped text of a record split across parts: part 0 from the record Secret, the rest read
 * with c. REC_AGAIN when a part is of another generation (a save in between). */
static int record_parts_gz(kd_buf *gz, const cJSON *secret, size_t parts, const char *gen, kd_kube_client *c)
{
	const cJSON *md = kd_json_get(secret, "metadata");
	const char *name = kd_json_get_str(md, "name"), *ns = kd_json_get_str(md, "namespace");
	const char *inst = kd_json_get_str(kd_json_get(md, "labels"), "kudoc.dev/instance");
	const char *num = kd_json_get_str(kd_json_get(md, "labels"), "kudoc.dev/revision");
	if (!c || !name || !ns || !inst || !num)
		return kd_error_set(KD_ERR_PLAN, "revision record %s is split in %zu parts, which cannot be read here",
			       name ? name : "?", parts),
		       KD_EINVALID;
	const char *b64 = kd_json_get_str(kd_json_get(secret, "data"), "record");
	int rc = b64 ? kd_base64_decode(gz, b64, strlen(b64), NULL) : KD_EINVALID;
	kd_buf pn = KD_BUF_INIT;
	for (size_t p = 1; p < parts && !rc; p++) {
		kd_buf_clear(&pn);
		record_part_name(&pn, inst, strtol(num, NULL, 10), p);
		kd_kube_ref ref = {"v1", "Secret", ns, kd_buf_cstr(&pn), NULL};
		cJSON *ps = NULL;
		if ((rc = kd_kube_get(&ps, c, &ref)) == KD_ENOTFOUND)
			rc = REC_AGAIN; /* a longer text being written, or a shorter one's cleanup */
		const char *pg = kd_json_get_str(kd_json_get(kd_json_get(ps, "metadata"), "annotations"), ANN_GEN);
		const char *pb = kd_json_get_str(kd_json_get(ps, "data"), "record");
		if (!rc && (!pg || strcmp(pg, gen) != 0))
			rc = REC_AGAIN;
		if (rc == REC_AGAIN)
			kd_error_set(KD_ERR_PLAN, "part %s is missing or belongs to another save of the record",
				kd_buf_cstr(&pn));
		if (!rc)
			rc = pb ? kd_base64_decode(gz, pb, strlen(pb), NULL) : KD_EINVALID;
		cJSON_Delete(ps);
	}
	kd_buf_free(&pn);
	if (rc && rc != REC_AGAIN && !kd_error_last())
		kd_error_set(KD_ERR_PLAN, "revision record %s: a part cannot be read", name);
	return rc;
}

/* One revision Secret; with c, the parts of a record split across several are read too. */
static int revision_of_secret_with(kd_revision **out, const cJSON *secret, kd_kube_client *c, size_t *parts_out)
{
	kd_buf text = KD_BUF_INIT;
	cJSON *json = NULL;
	*out = NULL;
	*parts_out = 1;
	const cJSON *an = kd_json_get(kd_json_get(secret, "metadata"), "annotations");
	const char *np = kd_json_get_str(an, ANN_PARTS), *gen = kd_json_get_str(an, ANN_GEN);
	int rc = 0;
	if (np) {
		char *end = NULL;
		unsigned long parts = strtoul(np, &end, 10);
		if (!end || *end || parts < 1 || parts > MAX_PARTS || !gen) {
			const char *name = kd_json_get_str(kd_json_get(secret, "metadata"), "name");
			rc = kd_error_set(KD_ERR_PLAN, "revision record %s: bad %s", name ? name : "?", ANN_PARTS);
			goto done;
		}
		*parts_out = parts;
		kd_buf gz = KD_BUF_INIT;
		rc = record_parts_gz(&gz, secret, parts, gen, c);
		if (!rc)
			rc = kd_plans__gunzip(&text, gz.ptr, gz.len, RECORD_MAX);
		kd_buf_free(&gz);
	} else {
		rc = secret_payload(&text, secret, "record");
	}
	if (rc)
		goto done;
	json = cJSON_ParseWithLength(text.ptr, text.len);
	if (!json) {
		const char *name = kd_json_get_str(kd_json_get(secret, "metadata"), "name");
		rc = kd_error_set(KD_ERR_PLAN, "revision record %s holds no valid JSON", name ? name : "?");
		goto done;
	}
	rc = kd_revision_from_json(out, json);
	if (!rc)
		(*out)->record_parts = *parts_out;
done:
	cJSON_Delete(json);
	kd_buf_free(&text);
	return rc;
}

int kd_plans__revision_of_secret(kd_revision **out, const cJSON *secret)
{
	size_t parts;
	return revision_of_secret_with(out, secret, NULL, &parts);
}

/* The Secret named `name` as a revision, read again while a save in between changes its parts. */
static int revision_named(kd_revision **out, kd_kube_client *c, const char *ns, const char *name, const cJSON *first)
{
	cJSON *s = NULL;
	int rc = 0;
	size_t parts;
	for (int attempt = 0; attempt < 5; attempt++) {
		if (attempt || !first) {
			cJSON_Delete(s);
			s = NULL;
			kd_kube_ref ref = {"v1", "Secret", ns, name, NULL};
			if ((rc = kd_kube_get(&s, c, &ref)))
				break;
		}
		rc = revision_of_secret_with(out, s ? s : first, c, &parts);
		if (rc != REC_AGAIN || attempt == 4)
			break;
		kd_error_clear();
		usleep((useconds_t)(100000 * (attempt + 1)));
	}
	if (rc == REC_AGAIN) {
		/* (the cause: which part; kd_error_set formats before it replaces the error) */
		kd_error_set(KD_ERR_PLAN, "revision record %s/%s cannot be read whole after 5 tries: %s", ns, name,
			kd_error_last() ? kd_error_last() : "a part cannot be read");
		rc = KD_ECONFLICT;
	}
	cJSON_Delete(s);
	return rc;
}

static int cmp_rev(const void *a, const void *b)
{
	const kd_revision *x = *(kd_revision *const *)a, *y = *(kd_revision *const *)b;
	int c = strcmp(x->namespace_, y->namespace_);
	if (!c)
		c = strcmp(x->instance, y->instance);
	if (!c)
		c = x->number < y->number ? -1 : x->number > y->number;
	return c;
}

static int list_records(kd_revision ***out, size_t *n, kd_kube_client *c, const char *ns, const char *selector)
{
	kd_kube_ref ref = {"v1", "Secret", ns, NULL, NULL};
	kd_kube_list_options lo = KD_KUBE_LIST_OPTIONS_INIT;
	cJSON *list = NULL;
	kd_revision **v = NULL;
	size_t nv = 0;
	*out = NULL;
	*n = 0;
	lo.label_selector = selector;
	lo.all_namespaces = ns == NULL;
	lo.field_selector = "type=" KD_REVISION_SECRET_TYPE;
	int rc = kd_kube_list(&list, c, &ref, &lo);
	if (rc)
		return rc;
	const cJSON *it;
	cJSON_ArrayForEach(it, kd_json_get(list, "items"))
	{
		kd_revision *rev = NULL;
		const cJSON *md = kd_json_get(it, "metadata");
		const char *sname = kd_json_get_str(md, "name"), *sns = kd_json_get_str(md, "namespace");
		if ((rc = sname && sns ? revision_named(&rev, c, sns, sname, it) : kd_plans__revision_of_secret(&rev, it)))
			break;
		v = kd_realloc(v, (nv + 1) * sizeof(*v));
		v[nv++] = rev;
	}
	cJSON_Delete(list);
	if (rc) {
		kd_revision_list_free(v, nv);
		return rc;
	}
	if (nv)
		qsort(v, nv, sizeof(*v), cmp_rev);
	*out = v;
	*n = nv;
	return 0;
}

int kd_revision_list(kd_revision ***out, size_t *n, kd_kube_client *c, const char *ns, const char *instance)
{
	kd_buf sel = KD_BUF_INIT;
	kd_buf_printf(&sel, "kudoc.dev/record=revision,kudoc.dev/instance=%s", instance);
	int rc = list_records(out, n, c, ns, kd_buf_cstr(&sel));
	kd_buf_free(&sel);
	return rc;
}

int kd_revision_list_instances(kd_revision ***out, size_t *n, kd_kube_client *c, const char *ns)
{
	kd_revision **all = NULL;
	size_t nall = 0, k = 0;
	int rc = list_records(&all, &nall, c, ns, "kudoc.dev/record=revision");
	if (rc)
		return rc;
	/* Sorted by namespace, instance, number: keep the last of each run. */
	for (size_t i = 0; i < nall; i++) {
		bool last = i + 1 == nall || strcmp(all[i]->namespace_, all[i + 1]->namespace_) != 0 ||
			strcmp(all[i]->instance, all[i + 1]->instance) != 0;
		if (last)
			all[k++] = all[i];
		else
			kd_revision_free(all[i]);
	}
	*out = all;
	*n = k;
	return 0;
}

int kd_revision_load(kd_revision **out, kd_kube_client *c, const char *ns, const char *instance, long number)
{
	*out = NULL;
	if (number <= 0) {
		kd_revision **v = NULL;
		size_t n = 0;
		int rc = kd_revision_list(&v, &n, c, ns, instance);
		if (rc)
			return rc;
		if (n == 0) {
			free(v);
			kd_error_set(KD_ERR_PLAN, "instance %s/%s does not exist (no revision records)", ns, instance);
			return KD_ENOTFOUND;
		}
		*out = v[n - 1];
		for (size_t i = 0; i + 1 < n; i++)
			kd_revision_free(v[i]);
		free(v);
		return 0;
	}
	kd_buf name = KD_BUF_INIT;
	record_name(&name, instance, number);
	kd_kube_ref ref = {"v1", "Secret", ns, kd_buf_cstr(&name), NULL};
	cJSON *s = NULL;
	int rc = kd_kube_get(&s, c, &ref);
	if (rc == KD_ENOTFOUND)
		kd_error_set(KD_ERR_PLAN, "instance %s/%s has no revision %ld", ns, instance, number);
	if (!rc)
		rc = revision_named(out, c, ns, kd_buf_cstr(&name), s);
	cJSON_Delete(s);
	kd_buf_free(&name);
	return rc;
}

int kd_plans__package_decode(kd_revision *rev, const void *gz, size_t len)
{
	kd_buf text = KD_BUF_INIT;
	cJSON *doc = NULL;
	int rc = 0;
	if ((rc = kd_plans__gunzip(&text, gz, len, RECORD_MAX)))
		goto done;
	doc = cJSON_ParseWithLength(text.ptr, text.len);
	const cJSON *files = kd_json_get(doc, "files");
	if (!cJSON_IsArray(files)) {
		rc = kd_error_set(KD_ERR_PLAN, "revision %ld: the package record holds no files", rev->number);
		goto done;
	}
	size_t n = (size_t)cJSON_GetArraySize(files), i = 0;
	files_free(rev);
	rev->files = kd_calloc(n ? n : 1, sizeof(*rev->files));
	rev->file_storage = kd_calloc(n ? 2 * n : 1, sizeof(char *));
	const cJSON *f;
	cJSON_ArrayForEach(f, files)
	{
		const char *path = kd_json_get_str(f, "path"), *data = kd_json_get_str(f, "data");
		kd_buf raw = KD_BUF_INIT;
		if (!path || !data || kd_base64_decode(&raw, data, strlen(data), NULL)) {
			kd_buf_free(&raw);
			rc = kd_error_set(KD_ERR_PLAN, "revision %ld: a damaged file in the package record", rev->number);
			goto done;
		}
		size_t flen = raw.len;
		char *bytes = raw.ptr ? kd_buf_detach(&raw) : kd_strdup("");
		rev->file_storage[2 * i] = kd_strdup(path);
		rev->file_storage[2 * i + 1] = bytes;
		rev->files[i].path = rev->file_storage[2 * i];
		rev->files[i].data = bytes;
		rev->files[i].len = flen;
		rev->nfiles = ++i;
	}
	rev->files_loaded = true;
done:
	cJSON_Delete(doc);
	kd_buf_free(&text);
	return rc;
}

int kd_revision_package(kd_pkg **out, kd_kube_client *c, kd_revision *rev)
{
	kd_buf gz = KD_BUF_INIT, name = KD_BUF_INIT, src = KD_BUF_INIT;
	int rc = 0;
	*out = NULL;
	if (!rev->files_loaded) {
		if (rev->package_parts == 0 || rev->package_parts > MAX_PARTS) {
			rc = kd_error_set(KD_ERR_PLAN, "revision %ld of %s/%s has no recorded package", rev->number,
				rev->namespace_, rev->instance);
			goto done;
		}
		for (size_t p = 0; p < rev->package_parts; p++) {
			kd_buf_clear(&name);
			part_name(&name, rev->instance, rev->number, p);
			kd_kube_ref ref = {"v1", "Secret", rev->namespace_, kd_buf_cstr(&name), NULL};
			cJSON *s = NULL;
			if ((rc = kd_kube_get(&s, c, &ref))) {
				if (rc == KD_ENOTFOUND)
					kd_error_set(KD_ERR_PLAN, "revision %ld of %s/%s: package record %s is missing", rev->number,
						rev->namespace_, rev->instance, kd_buf_cstr(&name));
				goto done;
			}
			const char *b64 = kd_json_get_str(kd_json_get(s, "data"), "package");
			rc = b64 ? kd_base64_decode(&gz, b64, strlen(b64), NULL) : KD_EINVALID;
			cJSON_Delete(s);
			if (rc) {
				rc = kd_error_set(KD_ERR_PLAN, "package record %s is damaged", kd_buf_cstr(&name));
				goto done;
			}
		}
		if ((rc = kd_plans__package_decode(rev, gz.ptr, gz.len)))
			goto done;
	}
	kd_buf_printf(&src, "revision %ld of %s/%s", rev->number, rev->namespace_, rev->instance);
	rc = kd_pkg_load_files(out, kd_buf_cstr(&src), rev->files, rev->nfiles, NULL);
done:
	kd_buf_free(&gz);
	kd_buf_free(&name);
	kd_buf_free(&src);
	return rc;
}

int kd_revision_delete(kd_kube_client *c, const kd_revision *rev)
{
	kd_buf name = KD_BUF_INIT;
	int rc = 0;
	kd_kube_delete_options dopt = KD_KUBE_DELETE_OPTIONS_INIT;
	/* The record first: without it the package parts are orphans nothing reads, but a record
	 * without its package would promise a rollback that cannot happen. */
	record_name(&name, rev->instance, rev->number);
	kd_kube_ref ref = {"v1", "Secret", rev->namespace_, kd_buf_cstr(&name), NULL};
	rc = kd_kube_delete(c, &ref, &dopt);
	if (rc == KD_ENOTFOUND)
		rc = 0;
	for (size_t p = 1; rc == 0 && p < rev->record_parts; p++) {
		kd_buf_clear(&name);
		record_part_name(&name, rev->instance, rev->number, p);
		kd_kube_ref pr = {"v1", "Secret", rev->namespace_, kd_buf_cstr(&name), NULL};
		rc = kd_kube_delete(c, &pr, &dopt);
		if (rc == KD_ENOTFOUND)
			rc = 0;
	}
	for (size_t p = 0; rc == 0 && p < (rev->package_parts ? rev->package_parts : 1); p++) {
		kd_buf_clear(&name);
		part_name(&name, rev->instance, rev->number, p);
		kd_kube_ref pr = {"v1", "Secret", rev->namespace_, kd_buf_cstr(&name), NULL};
		rc = kd_kube_delete(c, &pr, &dopt);
		if (rc == KD_ENOTFOUND)
			rc = 0;
	}
	kd_buf_free(&name);
	return rc;
}
