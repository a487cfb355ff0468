/* Discovery and REST mapping. Only the group-version a manifest names is fetched
 * (/api/v1 or /apis/GROUP/VERSION), kept in memory, and cached on disk under
 * <cache>/<hash of the server URL>/<group>_<version>.json for the TTL. A kind missing from a
 * cached list sends us back to the server once, so a CRD created a moment ago is found. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../base/json.h"
#include "internal.h"

typedef struct {
	char *gv;
	cJSON *list; /* APIResourceList */
	bool from_server;
	int64_t fetched_ms;
} gv_entry;

struct kd_kube__discovery {
	gv_entry *v;
	size_t n;
};

void kd_kube__discovery_free(kd_kube__discovery *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].gv);
		cJSON_Delete(d->v[i].list);
	}
	free(d->v);
	free(d);
}

void kd_kube_mapping_clear(kd_kube_mapping *m)
{
	free(m->group);
	free(m->version);
	free(m->resource);
	free(m->kind);
	memset(m, 0, sizeof(*m));
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

static void cache_file(kd_buf *out, kd_kube_client *c, const char *group, const char *version)
{
	kd_buf_printf(out, "%s/%016llx/", kd_kube__client_cache_dir(c),
		(unsigned long long)fnv1a(kd_kube__client_server(c)));
	const char *g = *group ? group : "core";
	for (const char *p = g; *p; p++)
		kd_buf_putc(out, *p == '/' ? '_' : *p);
	kd_buf_putc(out, '_');
	for (const char *p = version; *p; p++)
		kd_buf_putc(out, *p == '/' ? '_' : *p);
	kd_buf_puts(out, ".json");
}

static void mkdirs(const char *path)
{
	char *p = kd_strdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0700);
			*s = '/';
		}
	}
	free(p);
}

/* Atomic for readers and for other writers (threads of this process, other kudoc processes):
 * the list goes into a temporary file of its own, created exclusively under a random name, and
 * is renamed over the cache file when complete. */
static void cache_write(kd_kube_client *c, const char *file, const cJSON *list)
{
	kd_buf tmp = KD_BUF_INIT;
	char *text = cJSON_PrintUnformatted(list);
	(void)c;
	mkdirs(file);
	kd_buf_printf(&tmp, "%s.tmp-XXXXXX", file);
	int fd = mkostemp(tmp.ptr, O_CLOEXEC);
	if (fd >= 0) {
		size_t len = strlen(text), off = 0;
		while (off < len) {
			ssize_t w = write(fd, text + off, len - off);
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		close(fd);
		if (off != len || rename(kd_buf_cstr(&tmp), file) != 0)
			unlink(kd_buf_cstr(&tmp));
	}
	/* a cache that cannot be written only costs a request next time */
	free(text);
	kd_buf_free(&tmp);
}

static cJSON *cache_read(kd_kube_client *c, const char *file)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	if (stat(file, &st) != 0 || time(NULL) - st.st_mtime > kd_kube__client_ttl(c) || time(NULL) < st.st_mtime - 60)
		return NULL;
	if (kd_file_read(&text, &len, file, 16 << 20)) {
		kd_error_clear();
		return NULL;
	}
	cJSON *doc = cJSON_ParseWithLength(text, len);
	free(text);
	if (doc && !cJSON_IsArray(kd_json_get(doc, "resources"))) {
		cJSON_Delete(doc);
		doc = NULL;
	}
	return doc;
}

static gv_entry *find_gv(kd_kube__discovery *d, const char *gv)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->v[i].gv, gv) == 0)
			return &d->v[i];
	return NULL;
}

static gv_entry *put_gv(kd_kube__discovery *d, const char *gv, cJSON *list, bool from_server)
{
	gv_entry *e = find_gv(d, gv);
	if (!e) {
		d->v = kd_realloc(d->v, (d->n + 1) * sizeof(*d->v));
		e = &d->v[d->n++];
		e->gv = kd_strdup(gv);
		e->list = NULL;
	}
	cJSON_Delete(e->list);
	e->list = list;
	e->from_server = from_server;
	e->fetched_ms = kd_kube__now_ms();
	return e;
}

static const cJSON *find_kind(const cJSON *list, const char *kind)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, kd_json_get(list, "resources"))
	{
		const char *name = kd_json_get_str(it, "name"), *k = kd_json_get_str(it, "kind");
		if (name && k && !strchr(name, '/') && strcmp(k, kind) == 0)
			return it;
	}
	return NULL;
}

static void split_gv(const char *api_version, char **group, char **version)
{
	const char *slash = strchr(api_version, '/');
	if (slash) {
		*group = kd_strndup(api_version, (size_t)(slash - api_version));
		*version = kd_strdup(slash + 1);
	} else {
		*group = kd_strdup("");
		*version = kd_strdup(api_version);
	}
}

static int fetch_gv(cJSON **out, kd_kube_client *c, const char *group, const char *version, const char *api_version)
{
	kd_buf path = KD_BUF_INIT;
	char *g = curl_easy_escape(NULL, group, 0), *v = curl_easy_escape(NULL, version, 0);
	if (*group)
		kd_buf_printf(&path, "/apis/%s/%s", g, v);
	else
		kd_buf_printf(&path, "/api/%s", v);
	curl_free(g);
	curl_free(v);
	int rc = kd_kube__request_json(out, c, "GET", kd_buf_cstr(&path), NULL, NULL, true);
	if (rc == KD_ENOTFOUND)
		kd_error_set(KD_ERR_KUBE, "the server does not serve apiVersion \"%s\"", api_version);
	kd_buf_free(&path);
	return rc;
}

int kd_kube_mapping_get(kd_kube_mapping *out, kd_kube_client *c, const char *api_version, const char *kind)
{
	kd_kube__discovery **dp = kd_kube__client_discovery(c);
	char *group = NULL, *version = NULL;
	kd_buf file = KD_BUF_INIT;
	cJSON *list = NULL;
	int rc = KD_ENOTFOUND;
	const cJSON *res = NULL;
	gv_entry *e;
	memset(out, 0, sizeof(*out));
	if (!api_version || !*api_version || !kind || !*kind) {
		kd_error_set(KD_ERR_KUBE, "an object needs an apiVersion and a kind");
		return KD_EINVALID;
	}
	if (!*dp)
		*dp = kd_calloc(1, sizeof(**dp));
	split_gv(api_version, &group, &version);
	{
		/* the group and version become path segments of the discovery request */
		char why[640];
		if ((*group && kd_kube_check_path_segment(why, sizeof(why), "apiVersion group", group)) ||
			kd_kube_check_path_segment(why, sizeof(why), "apiVersion version", version)) {
			kd_error_set(KD_ERR_KUBE, "%s", why);
			rc = KD_EINVALID;
			goto done;
		}
	}
	bool use_disk = kd_kube__client_cache_dir(c) && kd_kube__client_ttl(c) > 0;
	if (use_disk)
		cache_file(&file, c, group, version);
	e = find_gv(*dp, api_version);
	if (e)
		res = find_kind(e->list, kind);
	if (!res && !e && use_disk && (list = cache_read(c, kd_buf_cstr(&file)))) {
		e = put_gv(*dp, api_version, list, false);
		list = NULL;
		res = find_kind(e->list, kind);
	}
	if (!res && (!e || !e->from_server || kd_kube__now_ms() - e->fetched_ms > 1000)) {
		/* A miss asks the server again, and keeps asking for a moment: a CRD created an instant
		 * ago may be Established before its group is served. */
		long settle = kd_kube__client_settle_ms(c);
		int64_t deadline = kd_kube__now_ms() + (settle > 0 ? settle : 0);
		long pause = 50;
		for (;;) {
			rc = fetch_gv(&list, c, group, version, api_version);
			if (rc && rc != KD_ENOTFOUND)
				goto done;
			if (rc == 0) {
				e = put_gv(*dp, api_version, list, true);
				list = NULL;
				res = find_kind(e->list, kind);
			}
			if (res || kd_kube__now_ms() + pause > deadline)
				break;
			if ((rc = kd_kube__sleep_ms(c, pause, "discovery")))
				goto done;
			pause = pause * 2 > 1000 ? 1000 : pause * 2;
		}
		if (rc)
			goto done;
		if (use_disk)
			cache_write(c, kd_buf_cstr(&file), e->list);
	}
	if (!res) {
		kd_error_set(KD_ERR_KUBE, "the server has no kind \"%s\" in apiVersion \"%s\"", kind, api_version);
		rc = KD_ENOTFOUND;
		goto done;
	}
	out->group = group;
	out->version = version;
	group = version = NULL;
	out->resource = kd_strdup(kd_json_get_str(res, "name"));
	out->kind = kd_strdup(kind);
	out->namespaced = cJSON_IsTrue(kd_json_get(res, "namespaced"));
	rc = 0;
done:
	cJSON_Delete(list);
	free(group);
	free(version);
	kd_buf_free(&file);
	return rc;
}
