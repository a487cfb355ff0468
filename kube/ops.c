/* Object operations: paths from REST mappings, get, server-side apply, create, replace, patch,
 * delete, and paginated list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/json.h"
#include "internal.h"

#define DEFAULT_PAGE 500

static void put_escaped(kd_buf *b, const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	kd_buf_puts(b, e);
	curl_free(e);
}

/* A value that becomes one segment of the request path: "." and ".." would be resolved away
 * (by curl, by proxies, by the server's router) and '/' or '%' would reach another path, so
 * `DELETE .../configmaps/..` could delete something else. Refused as client-go refuses them. */
static int check_segment(const char *kind, const char *what, const char *value)
{
	char why[640], label[160];
	snprintf(label, sizeof(label), "%s%s%s", kind && *kind ? kind : "", kind && *kind ? " " : "", what);
	if (kd_kube_check_path_segment(why, sizeof(why), label, value) == 0)
		return 0;
	kd_error_set(KD_ERR_KUBE, "%s", why);
	return KD_EINVALID;
}

int kd_kube__ref_path(kd_buf *out, kd_kube_client *c, const kd_kube_ref *ref, bool ns_all, kd_kube_mapping *mapping)
{
	kd_kube_mapping m = KD_KUBE_MAPPING_INIT;
	int rc;
	/* before any request is made for it */
	if ((ref->name && *ref->name && (rc = check_segment(ref->kind, "name", ref->name))) ||
		(ref->name && *ref->name && ref->subresource && *ref->subresource &&
			(rc = check_segment(ref->kind, "subresource", ref->subresource))) ||
		(!ns_all && ref->namespace_ && *ref->namespace_ && (rc = check_segment(NULL, "namespace", ref->namespace_))))
		return rc;
	if ((rc = kd_kube_mapping_get(&m, c, ref->api_version, ref->kind)))
		return rc;
	if (*m.group) {
		kd_buf_puts(out, "/apis/");
		put_escaped(out, m.group);
		kd_buf_putc(out, '/');
	} else {
		kd_buf_puts(out, "/api/");
	}
	put_escaped(out, m.version);
	if (m.namespaced && !ns_all) {
		const char *ns = ref->namespace_ && *ref->namespace_ ? ref->namespace_ : kd_kube_client_namespace(c);
		if ((rc = check_segment(NULL, "namespace", ns))) {
			kd_kube_mapping_clear(&m);
			return rc;
		}
		kd_buf_puts(out, "/namespaces/");
		put_escaped(out, ns);
	}
	kd_buf_putc(out, '/');
	put_escaped(out, m.resource);
	if (ref->name && *ref->name) {
		kd_buf_putc(out, '/');
		put_escaped(out, ref->name);
		if (ref->subresource && *ref->subresource) {
			kd_buf_putc(out, '/');
			put_escaped(out, ref->subresource);
		}
	}
	if (mapping)
		*mapping = m;
	else
		kd_kube_mapping_clear(&m);
	return 0;
}

int kd_kube_path(kd_buf *out, kd_kube_client *c, const kd_kube_ref *ref, bool ns_all)
{
	return kd_kube__ref_path(out, c, ref, ns_all, NULL);
}

int kd_kube_get(cJSON **out, kd_kube_client *c, const kd_kube_ref *ref)
{
	kd_buf path = KD_BUF_INIT;
	*out = NULL;
	int rc = kd_kube__ref_path(&path, c, ref, false, NULL);
	if (!rc)
		rc = kd_kube__request_json(out, c, "GET", kd_buf_cstr(&path), NULL, NULL, true);
	kd_buf_free(&path);
	return rc;
}

/* The ref of a manifest; fields borrowed from obj. */
static int ref_of(kd_kube_ref *ref, const cJSON *obj)
{
	memset(ref, 0, sizeof(*ref));
	ref->api_version = kd_json_get_str(obj, "apiVersion");
	ref->kind = kd_json_get_str(obj, "kind");
	const cJSON *md = kd_json_get(obj, "metadata");
	ref->name = kd_json_get_str(md, "name");
	ref->namespace_ = kd_json_get_str(md, "namespace");
	if (!ref->api_version || !ref->kind) {
		kd_error_set(KD_ERR_KUBE, "object has no apiVersion or kind");
		return KD_EINVALID;
	}
	return 0;
}

static int write_obj(cJSON **out, kd_kube_client *c, const cJSON *obj, const char *method, bool with_name,
	const kd_kube__query *q, size_t nq, const char *content_type)
{
	kd_kube_ref ref;
	kd_buf path = KD_BUF_INIT;
	char *body = NULL;
	int rc = ref_of(&ref, obj);
	if (out)
		*out = NULL;
	if (rc)
		goto done;
	if (with_name && (!ref.name || !*ref.name)) {
		kd_error_set(KD_ERR_KUBE, "%s %s: metadata.name is required", ref.kind, method);
		rc = KD_EINVALID;
		goto done;
	}
	kd_kube_ref r2 = ref;
	if (!with_name)
		r2.name = NULL;
	if ((rc = kd_kube__ref_path(&path, c, &r2, false, NULL)))
		goto done;
	kd_kube__append_query(&path, q, nq);
	body = cJSON_PrintUnformatted(obj);
	rc = kd_kube__request_json(out, c, method, kd_buf_cstr(&path), content_type, body,
		strcmp(method, "PATCH") == 0 /* server-side apply is idempotent */);
done:
	free(body);
	kd_buf_free(&path);
	return rc;
}

int kd_kube_apply(cJSON **out, kd_kube_client *c, const cJSON *obj, const kd_kube_apply_options *opts)
{
	kd_kube_apply_options def = KD_KUBE_APPLY_OPTIONS_INIT;
	if (!opts)
		opts = &def;
	kd_kube__query q[] = {
		{"fieldManager", opts->field_manager ? opts->field_manager : kd_kube__field_manager(c)},
		{"force", opts->force ? "true" : NULL},
		{"dryRun", opts->dry_run ? "All" : NULL},
		{"fieldValidation", opts->field_validation},
	};
	return write_obj(out, c, obj, "PATCH", true, q, KD_ARRAY_SIZE(q), "application/apply-patch+yaml");
}

int kd_kube_create(cJSON **out, kd_kube_client *c, const cJSON *obj)
{
	kd_kube__query q[] = {{"fieldManager", kd_kube__field_manager(c)}};
	return write_obj(out, c, obj, "POST", false, q, 1, "application/json");
}

int kd_kube_replace(cJSON **out, kd_kube_client *c, const cJSON *obj)
{
	kd_kube__query q[] = {{"fieldManager", kd_kube__field_manager(c)}};
	return write_obj(out, c, obj, "PUT", true, q, 1, "application/json");
}

int kd_kube_patch(cJSON **out, kd_kube_client *c, const kd_kube_ref *ref, const char *content_type, const char *patch)
{
	kd_buf path = KD_BUF_INIT;
	if (out)
		*out = NULL;
	int rc = kd_kube__ref_path(&path, c, ref, false, NULL);
	if (!rc) {
		kd_kube__query q[] = {{"fieldManager", kd_kube__field_manager(c)}};
		kd_kube__append_query(&path, q, 1);
		rc = kd_kube__request_json(out, c, "PATCH", kd_buf_cstr(&path),
			content_type ? content_type : "application/merge-patch+json", patch, false);
	}
	kd_buf_free(&path);
	return rc;
}

int kd_kube_delete(kd_kube_client *c, const kd_kube_ref *ref, const kd_kube_delete_options *opts)
{
	kd_kube_delete_options def = KD_KUBE_DELETE_OPTIONS_INIT;
	kd_buf path = KD_BUF_INIT;
	cJSON *body = cJSON_CreateObject();
	char *text = NULL;
	int rc;
	if (!opts)
		opts = &def;
	if (!ref->name || !*ref->name) {
		kd_error_set(KD_ERR_KUBE, "delete %s: no name", ref->kind ? ref->kind : "");
		rc = KD_EINVALID;
		goto done;
	}
	if ((rc = kd_kube__ref_path(&path, c, ref, false, NULL)))
		goto done;
	cJSON_AddStringToObject(body, "kind", "DeleteOptions");
	cJSON_AddStringToObject(body, "apiVersion", "v1");
	if (opts->propagation_policy)
		cJSON_AddStringToObject(body, "propagationPolicy", opts->propagation_policy);
	if (opts->grace_period_s >= 0)
		cJSON_AddNumberToObject(body, "gracePeriodSeconds", (double)opts->grace_period_s);
	if (opts->dry_run) {
		cJSON *a = cJSON_AddArrayToObject(body, "dryRun");
		cJSON_AddItemToArray(a, cJSON_CreateString("All"));
	}
	text = cJSON_PrintUnformatted(body);
	rc = kd_kube__request_json(NULL, c, "DELETE", kd_buf_cstr(&path), "application/json", text, true);
done:
	free(text);
	cJSON_Delete(body);
	kd_buf_free(&path);
	return rc;
}

/* One page; *gone is set for a 410 (expired continue token). */
static int list_page(cJSON **out, bool *gone, kd_kube_client *c, const char *base, const kd_kube_list_options *o,
	long limit, const char *cont)
{
	kd_buf path = KD_BUF_INIT;
	kd_kube_response r = KD_KUBE_RESPONSE_INIT;
	kd_kube_request_options req = KD_KUBE_REQUEST_OPTIONS_INIT;
	char lim[32];
	int rc;
	*out = NULL;
	*gone = false;
	snprintf(lim, sizeof(lim), "%ld", limit);
	kd_buf_puts(&path, base);
	kd_kube__query q[] = {
		{"labelSelector", o->label_selector},
		{"fieldSelector", o->field_selector},
		{"limit", limit > 0 ? lim : NULL},
		{"continue", cont},
	};
	kd_kube__append_query(&path, q, KD_ARRAY_SIZE(q));
	req.path = kd_buf_cstr(&path);
	if ((rc = kd_kube_request(&r, c, &req)))
		goto done;
	if (r.status == 410 && cont) {
		*gone = true;
		goto done;
	}
	if ((rc = kd_kube_status_error(r.status, r.body, r.body_len))) {
		kd_kube__redact_error(c);
		goto done;
	}
	*out = cJSON_ParseWithLength(r.body, r.body_len);
	if (!*out || !cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		kd_error_set(KD_ERR_KUBE, "GET %s: the answer is not a JSON list", base);
		rc = KD_ERROR;
	}
done:
	kd_kube_response_clear(&r);
	kd_buf_free(&path);
	return rc;
}

int kd_kube_list(cJSON **out, kd_kube_client *c, const kd_kube_ref *ref, kd_kube_list_options *opts)
{
	kd_kube_list_options def = KD_KUBE_LIST_OPTIONS_INIT;
	kd_buf base = KD_BUF_INIT;
	kd_kube_mapping m = KD_KUBE_MAPPING_INIT;
	cJSON *result = NULL, *page = NULL, *items = NULL;
	char *cont = NULL;
	int rc;
	if (!opts)
		opts = &def;
	*out = NULL;
	opts->pages = 0;
	kd_kube_ref r = *ref;
	r.name = NULL;
	if ((rc = kd_kube__ref_path(&base, c, &r, opts->all_namespaces, &m)))
		goto done;
	long limit = opts->limit > 0 ? opts->limit : DEFAULT_PAGE;
	result = cJSON_CreateObject();
	cJSON_AddStringToObject(result, "apiVersion", ref->api_version);
	kd_buf kl = KD_BUF_INIT;
	kd_buf_printf(&kl, "%sList", ref->kind);
	cJSON_AddStringToObject(result, "kind", kd_buf_cstr(&kl));
	kd_buf_free(&kl);
	cJSON *md = cJSON_AddObjectToObject(result, "metadata");
	items = cJSON_AddArrayToObject(result, "items");
	for (;;) {
		bool gone;
		if ((rc = list_page(&page, &gone, c, kd_buf_cstr(&base), opts, limit, cont)))
			goto done;
		if (gone) {
			/* the snapshot expired between pages: start over, in one consistent read */
			while (cJSON_GetArraySize(items) > 0)
				cJSON_DeleteItemFromArray(items, 0);
			free(cont);
			cont = NULL;
			limit = 0;
			continue;
		}
		opts->pages++;
		cJSON *pi = kd_json_get(page, "items"), *it;
		while (pi && pi->child) {
			it = cJSON_DetachItemViaPointer(pi, pi->child);
			if (!kd_json_get(it, "apiVersion"))
				cJSON_AddStringToObject(it, "apiVersion", ref->api_version);
			if (!kd_json_get(it, "kind"))
				cJSON_AddStringToObject(it, "kind", ref->kind);
			cJSON_AddItemToArray(items, it);
		}
		const char *rv = kd_json_get_str(kd_json_get(page, "metadata"), "resourceVersion");
		const char *next = kd_json_get_str(kd_json_get(page, "metadata"), "continue");
		if (rv) {
			cJSON_DeleteItemFromObjectCaseSensitive(md, "resourceVersion");
			cJSON_AddStringToObject(md, "resourceVersion", rv);
		}
		free(cont);
		cont = next && *next ? kd_strdup(next) : NULL;
		cJSON_Delete(page);
		page = NULL;
		if (!cont)
			break;
	}
	*out = result;
	result = NULL;
	rc = 0;
done:
	free(cont);
	cJSON_Delete(page);
	cJSON_Delete(result);
	kd_kube_mapping_clear(&m);
	kd_buf_free(&base);
	return rc;
}
