/* KUDO repositories: the repositories file, index.yaml, and packages resolved through them
 * (KUDO 0.19's pkg/kudoctl/util/repo). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../base/json.h"
#include "../base/semver.h"
#include "../base/yaml.h"
#include "operator.h"

#define MAX_INDEX ((size_t)32 << 20)
#define MAX_CONFIG ((size_t)1 << 20)

/* ---- small helpers ------------------------------------------------------------------------- */

/* Go's encoding/json matches keys exactly first, then case-insensitively. */
static cJSON *get_ci(const cJSON *obj, const char *key)
{
	cJSON *c = kd_json_get(obj, key);
	if (c)
		return c;
	for (c = obj ? obj->child : NULL; c; c = c->next)
		if (c->string && strcasecmp(c->string, key) == 0)
			return c;
	return NULL;
}

static int type_error(const kd_yaml_pos *pos, const cJSON *node, const char *field, const char *want)
{
	int line = 0, col = 0;
	kd_buf got = KD_BUF_INIT;
	kd_json_describe(&got, node, true);
	if (pos && kd_yaml_pos_get(pos, node, &line, &col) == 0)
		kd_error_set(KD_ERR_PACKAGE, "%s:%d:%d: %s must be %s, got %s", kd_yaml_pos_name(pos), line, col, field, want,
			kd_buf_cstr(&got));
	else
		kd_error_set(KD_ERR_PACKAGE, "%s must be %s, got %s", field, want, kd_buf_cstr(&got));
	kd_buf_free(&got);
	return KD_EINVALID;
}

/* A string member: NULL when absent or null; an error for another type. */
static int get_str(char **out, const cJSON *obj, const char *key, const kd_yaml_pos *pos)
{
	*out = NULL;
	cJSON *v = get_ci(obj, key);
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v))
		return type_error(pos, v, key, "a string");
	*out = kd_strdup(v->valuestring);
	return 0;
}

static char *dflt_config_dir(void)
{
	kd_buf b = KD_BUF_INIT;
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	if (xdg && xdg[0] == '/')
		kd_buf_printf(&b, "%s/kudoc", xdg);
	else
		kd_buf_printf(&b, "%s/.config/kudoc", home && *home ? home : "/tmp");
	return kd_buf_detach(&b);
}

static int mkdirs(const char *path)
{
	char *p = kd_strdup(path);
	int rc = 0;
	for (char *s = p + 1; *s && rc == 0; s++) {
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0755) != 0 && errno != EEXIST)
				rc = kd_error_set_os(errno, "cannot create %s", p);
			*s = '/';
		}
	}
	if (rc == 0 && mkdir(p, 0755) != 0 && errno != EEXIST)
		rc = kd_error_set_os(errno, "cannot create %s", p);
	free(p);
	return rc;
}

/* Writes `data` to `path` through a temporary file renamed over it. */
static int write_atomic(const char *path, const char *data, size_t len, int mode)
{
	kd_buf tmp = KD_BUF_INIT;
	kd_buf_printf(&tmp, "%s.tmp-%d", path, (int)getpid());
	int rc = 0;
	FILE *f = fopen(kd_buf_cstr(&tmp), "wb");
	if (!f) {
		rc = kd_error_set_os(errno, "cannot write %s", kd_buf_cstr(&tmp));
		goto done;
	}
	bool ok = fwrite(data, 1, len, f) == len;
	ok = fclose(f) == 0 && ok;
	if (!ok || chmod(kd_buf_cstr(&tmp), (mode_t)mode) != 0 || rename(kd_buf_cstr(&tmp), path) != 0) {
		rc = kd_error_set_os(errno, "cannot write %s", path);
		remove(kd_buf_cstr(&tmp));
	}
done:
	kd_buf_free(&tmp);
	return rc;
}

/* ---- the repositories file ----------------------------------------------------------------- */

void kd_repo_config_free(kd_repo_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->nrepos; i++) {
		free(cfg->repos[i].name);
		free(cfg->repos[i].url);
	}
	free(cfg->repos);
	free(cfg->path);
	free(cfg->context);
	free(cfg);
}

static void push_repo(kd_repo_config *cfg, const char *name, const char *url)
{
	cfg->repos = kd_realloc(cfg->repos, (cfg->nrepos + 1) * sizeof *cfg->repos);
	cfg->repos[cfg->nrepos].name = kd_strdup(name);
	cfg->repos[cfg->nrepos].url = kd_strdup(url);
	cfg->nrepos++;
}

int kd_repo_config_load(kd_repo_config **out, const char *config_dir)
{
	*out = NULL;
	kd_repo_config *cfg = kd_calloc(1, sizeof *cfg);
	char *dir = config_dir ? kd_strdup(config_dir) : dflt_config_dir();
	kd_buf path = KD_BUF_INIT;
	kd_buf_printf(&path, "%s/repositories.yaml", dir);
	free(dir);
	cfg->path = kd_buf_detach(&path);
	char *data = NULL;
	size_t len = 0;
	cJSON *doc = NULL;
	kd_yaml_pos *pos = NULL;
	int rc = kd_file_read(&data, &len, cfg->path, MAX_CONFIG);
	if (rc == KD_ENOTFOUND) {
		kd_error_clear();
		cfg->context = kd_strdup(KD_REPO_DEFAULT_NAME);
		push_repo(cfg, KD_REPO_DEFAULT_NAME, KD_REPO_DEFAULT_URL);
		*out = cfg;
		return 0;
	}
	if (rc)
		goto done;
	if ((rc = kd_yaml_parse_one(&doc, &pos, cfg->path, data, len)) != 0)
		goto done;
	if (!cJSON_IsNull(doc) && !cJSON_IsObject(doc)) {
		rc = type_error(pos, doc, "the repositories file", "a map");
		goto done;
	}
	if ((rc = get_str(&cfg->context, doc, "context", pos)) != 0)
		goto done;
	if (!cfg->context)
		cfg->context = kd_strdup("");
	cJSON *list = get_ci(doc, "repositories");
	if (list && !cJSON_IsNull(list) && !cJSON_IsArray(list)) {
		rc = type_error(pos, list, "repositories", "a list");
		goto done;
	}
	for (cJSON *it = list ? list->child : NULL; it; it = it->next) {
		char *name = NULL, *url = NULL;
		if (!cJSON_IsObject(it)) {
			rc = type_error(pos, it, "a repository", "a map with name and url");
			goto done;
		}
		if ((rc = get_str(&name, it, "name", pos)) == 0 && (rc = get_str(&url, it, "url", pos)) == 0)
			push_repo(cfg, name ? name : "", url ? url : "");
		free(name);
		free(url);
		if (rc)
			goto done;
	}
done:
	cJSON_Delete(doc);
	kd_yaml_pos_free(pos);
	free(data);
	if (rc) {
		kd_repo_config_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

int kd_repo_config_save(const kd_repo_config *cfg)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "repoVersion", "v1");
	cJSON_AddStringToObject(doc, "context", cfg->context ? cfg->context : "");
	cJSON *list = cJSON_AddArrayToObject(doc, "repositories");
	for (size_t i = 0; i < cfg->nrepos; i++) {
		cJSON *r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "name", cfg->repos[i].name);
		cJSON_AddStringToObject(r, "url", cfg->repos[i].url);
		cJSON_AddItemToArray(list, r);
	}
	kd_buf text = KD_BUF_INIT;
	int rc = kd_yaml_emit(&text, doc);
	cJSON_Delete(doc);
	char *dir = kd_strdup(cfg->path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = '\0';
	if (rc == 0)
		rc = mkdirs(dir);
	if (rc == 0)
		rc = write_atomic(cfg->path, kd_buf_cstr(&text), text.len, 0644);
	free(dir);
	kd_buf_free(&text);
	return rc;
}

const kd_repo *kd_repo_config_get(const kd_repo_config *cfg, const char *name)
{
	const char *want = name ? name : cfg->context;
	if (!want || !*want) {
		kd_error_set(KD_ERR_PACKAGE, "no repository is the context; choose one with `repo context NAME` (see `repo list`)");
		return NULL;
	}
	for (size_t i = 0; i < cfg->nrepos; i++)
		if (strcmp(cfg->repos[i].name, want) == 0)
			return &cfg->repos[i];
	kd_error_set(KD_ERR_PACKAGE, "no repository named \"%s\" in %s (see `repo list`)", want, cfg->path);
	return NULL;
}

int kd_repo_config_add(kd_repo_config *cfg, const char *name, const char *url)
{
	if (!name || !*name || strcspn(name, " \t\r\n/\\:") != strlen(name))
		return kd_error_set(KD_ERR_USAGE, "repository name \"%s\" must be non-empty, without spaces, '/', '\\' or ':'",
			name ? name : ""), KD_EINVALID;
	if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0 && strncmp(url, "file://", 7) != 0))
		return kd_error_set(KD_ERR_USAGE, "repository URL must start with https://, http:// or file://"), KD_EINVALID;
	for (size_t i = 0; i < cfg->nrepos; i++)
		if (strcmp(cfg->repos[i].name, name) == 0)
			return kd_error_set(KD_ERR_PACKAGE, "repository name (%s) already exists, please specify a different name", name),
			       KD_EEXISTS;
	push_repo(cfg, name, url);
	return 0;
}

int kd_repo_config_remove(kd_repo_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nrepos; i++) {
		if (strcmp(cfg->repos[i].name, name) == 0) {
			free(cfg->repos[i].name);
			free(cfg->repos[i].url);
			memmove(&cfg->repos[i], &cfg->repos[i + 1], (cfg->nrepos - i - 1) * sizeof *cfg->repos);
			cfg->nrepos--;
			return 0;
		}
	}
	return kd_error_set(KD_ERR_PACKAGE, "no repo named \"%s\" found", name), KD_ENOTFOUND;
}

int kd_repo_config_set_context(kd_repo_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nrepos; i++) {
		if (strcmp(cfg->repos[i].name, name) == 0) {
			free(cfg->context);
			cfg->context = kd_strdup(name);
			return 0;
		}
	}
	return kd_error_set(KD_ERR_PACKAGE, "no repo named \"%s\" found", name), KD_ENOTFOUND;
}

/* ---- index.yaml ---------------------------------------------------------------------------- */

static void entry_clear(kd_repo_entry *e)
{
	free(e->name);
	free(e->operator_version);
	free(e->app_version);
	free(e->description);
	free(e->digest);
	for (size_t i = 0; i < e->nmaintainers; i++) {
		free(e->maintainers[i].name);
		free(e->maintainers[i].email);
	}
	free(e->maintainers);
	for (size_t i = 0; i < e->nurls; i++)
		free(e->urls[i]);
	free(e->urls);
	memset(e, 0, sizeof *e);
}

static void entry_copy(kd_repo_entry *dst, const kd_repo_entry *src)
{
	memset(dst, 0, sizeof *dst);
	dst->name = src->name ? kd_strdup(src->name) : NULL;
	dst->operator_version = src->operator_version ? kd_strdup(src->operator_version) : NULL;
	dst->app_version = src->app_version ? kd_strdup(src->app_version) : NULL;
	dst->description = src->description ? kd_strdup(src->description) : NULL;
	dst->digest = src->digest ? kd_strdup(src->digest) : NULL;
	dst->removed = src->removed;
	dst->nmaintainers = src->nmaintainers;
	dst->maintainers = kd_calloc(src->nmaintainers ? src->nmaintainers : 1, sizeof *dst->maintainers);
	for (size_t i = 0; i < src->nmaintainers; i++) {
		dst->maintainers[i].name = src->maintainers[i].name ? kd_strdup(src->maintainers[i].name) : NULL;
		dst->maintainers[i].email = src->maintainers[i].email ? kd_strdup(src->maintainers[i].email) : NULL;
	}
	dst->nurls = src->nurls;
	dst->urls = kd_calloc(src->nurls ? src->nurls : 1, sizeof *dst->urls);
	for (size_t i = 0; i < src->nurls; i++)
		dst->urls[i] = kd_strdup(src->urls[i]);
}

void kd_repo_index_free(kd_repo_index *idx)
{
	if (!idx)
		return;
	for (size_t i = 0; i < idx->nentries; i++)
		entry_clear(&idx->entries[i]);
	free(idx->entries);
	free(idx->api_version);
	free(idx->generated);
	free(idx);
}

kd_repo_index *kd_repo_index_new(void)
{
	kd_repo_index *idx = kd_calloc(1, sizeof *idx);
	idx->api_version = kd_strdup("v1");
	return idx;
}

/* PackageVersions.Less, made a total order: valid versions before ones that do not parse,
 * newer first; ties keep the input order. */
typedef struct {
	const kd_repo_entry *e;
	size_t seq;
	kd_semver app, op;
	bool app_ok, op_ok;
} sort_key;

static int cmp_ver(bool aok, const kd_semver *a, bool bok, const kd_semver *b)
{
	if (aok != bok)
		return aok ? -1 : 1;
	if (!aok)
		return 0;
	return -kd_semver_cmp(a, b);
}

static int cmp_key(const void *pa, const void *pb)
{
	const sort_key *a = pa, *b = pb;
	int d = strcmp(a->e->name ? a->e->name : "", b->e->name ? b->e->name : "");
	if (d)
		return d;
	if ((d = cmp_ver(a->app_ok, &a->app, b->app_ok, &b->app)))
		return d;
	if ((d = cmp_ver(a->op_ok, &a->op, b->op_ok, &b->op)))
		return d;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void index_sort(kd_repo_index *idx)
{
	size_t n = idx->nentries;
	if (n < 2)
		return;
	sort_key *k = kd_calloc(n, sizeof *k);
	for (size_t i = 0; i < n; i++) {
		k[i].e = &idx->entries[i];
		k[i].seq = i;
		k[i].app_ok = idx->entries[i].app_version &&
			kd_semver_parse(&k[i].app, idx->entries[i].app_version, KD_SEMVER_V3) == 0;
		k[i].op_ok = idx->entries[i].operator_version &&
			kd_semver_parse(&k[i].op, idx->entries[i].operator_version, KD_SEMVER_V3) == 0;
	}
	kd_error_clear();
	qsort(k, n, sizeof *k, cmp_key);
	kd_repo_entry *sorted = kd_calloc(n, sizeof *sorted);
	for (size_t i = 0; i < n; i++) {
		sorted[i] = *k[i].e;
		kd_semver_clear(&k[i].app);
		kd_semver_clear(&k[i].op);
	}
	free(idx->entries);
	idx->entries = sorted;
	free(k);
}

static int parse_entry(kd_repo_entry *e, const char *key, const cJSON *it, const kd_yaml_pos *pos)
{
	int rc;
	memset(e, 0, sizeof *e);
	if (!cJSON_IsObject(it))
		return type_error(pos, it, "an index entry", "a map");
	if ((rc = get_str(&e->name, it, "name", pos)) || (rc = get_str(&e->operator_version, it, "operatorVersion", pos)) ||
		(rc = get_str(&e->app_version, it, "appVersion", pos)) ||
		(rc = get_str(&e->description, it, "description", pos)) || (rc = get_str(&e->digest, it, "digest", pos)))
		return rc;
	if (!e->name)
		e->name = kd_strdup(key); /* entries keyed by name; the name field may be left out */
	cJSON *rem = get_ci(it, "removed");
	if (rem && !cJSON_IsNull(rem)) {
		if (!cJSON_IsBool(rem))
			return type_error(pos, rem, "removed", "a boolean");
		e->removed = cJSON_IsTrue(rem);
	}
	cJSON *urls = get_ci(it, "urls");
	if (urls && !cJSON_IsNull(urls)) {
		if (!cJSON_IsArray(urls))
			return type_error(pos, urls, "urls", "a list of strings");
		int n = cJSON_GetArraySize(urls);
		e->urls = kd_calloc((size_t)(n ? n : 1), sizeof *e->urls);
		for (cJSON *u = urls->child; u; u = u->next) {
			if (!cJSON_IsString(u))
				return type_error(pos, u, "urls", "a list of strings");
			e->urls[e->nurls++] = kd_strdup(u->valuestring);
		}
	}
	cJSON *ms = get_ci(it, "maintainers");
	if (ms && !cJSON_IsNull(ms)) {
		if (!cJSON_IsArray(ms))
			return type_error(pos, ms, "maintainers", "a list");
		int n = cJSON_GetArraySize(ms);
		e->maintainers = kd_calloc((size_t)(n ? n : 1), sizeof *e->maintainers);
		for (cJSON *m = ms->child; m; m = m->next) {
			if (!cJSON_IsObject(m))
				return type_error(pos, m, "a maintainer", "a map");
			kd_repo_maintainer *km = &e->maintainers[e->nmaintainers++];
			if ((rc = get_str(&km->name, m, "name", pos)) || (rc = get_str(&km->email, m, "email", pos)))
				return rc;
		}
	}
	return 0;
}

int kd_repo_index_parse(kd_repo_index **out, const char *name, const char *data, size_t len)
{
	*out = NULL;
	cJSON *doc = NULL;
	kd_yaml_pos *pos = NULL;
	kd_repo_index *idx = kd_calloc(1, sizeof *idx);
	int rc;
	if (len > MAX_INDEX) {
		kd_error_set(KD_ERR_PACKAGE, "%s: an index over %zu bytes is refused", name, MAX_INDEX);
		rc = KD_ELIMIT;
		goto done;
	}
	if ((rc = kd_yaml_parse_one(&doc, &pos, name, data, len)) != 0)
		goto done;
	if (!cJSON_IsObject(doc)) {
		rc = type_error(pos, doc, "an index", "a map");
		goto done;
	}
	if ((rc = get_str(&idx->api_version, doc, "apiVersion", pos)) != 0)
		goto done;
	if (!idx->api_version || !*idx->api_version) {
		kd_error_set(KD_ERR_PACKAGE, "%s: validating index file: no API version defined", name);
		rc = KD_EINVALID;
		goto done;
	}
	cJSON *gen = get_ci(doc, "generated");
	if (gen && cJSON_IsString(gen))
		idx->generated = kd_strdup(gen->valuestring);
	else if (gen && !cJSON_IsNull(gen)) {
		rc = type_error(pos, gen, "generated", "a time stamp");
		goto done;
	}
	cJSON *entries = get_ci(doc, "entries");
	if (entries && !cJSON_IsNull(entries) && !cJSON_IsObject(entries)) {
		rc = type_error(pos, entries, "entries", "a map of operator names to lists of versions");
		goto done;
	}
	for (cJSON *op = entries ? entries->child : NULL; op; op = op->next) {
		if (cJSON_IsNull(op))
			continue;
		if (!cJSON_IsArray(op)) {
			rc = type_error(pos, op, op->string, "a list of package versions");
			goto done;
		}
		for (cJSON *it = op->child; it; it = it->next) {
			idx->entries = kd_realloc(idx->entries, (idx->nentries + 1) * sizeof *idx->entries);
			kd_repo_entry *e = &idx->entries[idx->nentries++];
			if ((rc = parse_entry(e, op->string, it, pos)) != 0)
				goto done;
			if (!e->operator_version || !*e->operator_version) {
				int line = 0, col = 0;
				kd_yaml_pos_get(pos, it, &line, &col);
				kd_error_set(KD_ERR_PACKAGE, "%s:%d:%d: validating index file: package %s is missing an operator version",
					name, line, col, e->name);
				rc = KD_EINVALID;
				goto done;
			}
		}
	}
	index_sort(idx);
done:
	cJSON_Delete(doc);
	kd_yaml_pos_free(pos);
	if (rc) {
		kd_repo_index_free(idx);
		return rc;
	}
	*out = idx;
	return 0;
}

int kd_repo_index_emit(kd_buf *out, const kd_repo_index *idx)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "apiVersion", idx->api_version ? idx->api_version : "v1");
	cJSON *entries = cJSON_AddObjectToObject(doc, "entries");
	for (size_t i = 0; i < idx->nentries; i++) {
		const kd_repo_entry *e = &idx->entries[i];
		cJSON *list = kd_json_get(entries, e->name ? e->name : "");
		if (!list) {
			list = cJSON_CreateArray();
			cJSON_AddItemToObject(entries, e->name ? e->name : "", list);
		}
		cJSON *o = cJSON_CreateObject();
		/* omitempty as in KUDO's structs: operatorVersion and urls are always written */
		if (e->name && *e->name)
			cJSON_AddStringToObject(o, "name", e->name);
		cJSON_AddStringToObject(o, "operatorVersion", e->operator_version ? e->operator_version : "");
		if (e->app_version && *e->app_version)
			cJSON_AddStringToObject(o, "appVersion", e->app_version);
		if (e->description && *e->description)
			cJSON_AddStringToObject(o, "description", e->description);
		if (e->nmaintainers) {
			cJSON *ms = cJSON_AddArrayToObject(o, "maintainers");
			for (size_t k = 0; k < e->nmaintainers; k++) {
				cJSON *m = cJSON_CreateObject();
				if (e->maintainers[k].name && *e->maintainers[k].name)
					cJSON_AddStringToObject(m, "name", e->maintainers[k].name);
				if (e->maintainers[k].email && *e->maintainers[k].email)
					cJSON_AddStringToObject(m, "email", e->maintainers[k].email);
				cJSON_AddItemToArray(ms, m);
			}
		}
		if (e->nurls) {
			cJSON *us = cJSON_AddArrayToObject(o, "urls");
			for (size_t k = 0; k < e->nurls; k++)
				cJSON_AddItemToArray(us, cJSON_CreateString(e->urls[k]));
		} else {
			cJSON_AddNullToObject(o, "urls");
		}
		if (e->removed)
			cJSON_AddTrueToObject(o, "removed");
		if (e->digest && *e->digest)
			cJSON_AddStringToObject(o, "digest", e->digest);
		cJSON_AddItemToArray(list, o);
	}
	if (idx->generated)
		cJSON_AddStringToObject(doc, "generated", idx->generated);
	else
		cJSON_AddNullToObject(doc, "generated");
	int rc = kd_yaml_emit(out, doc);
	cJSON_Delete(doc);
	return rc;
}

int kd_repo_index_add(kd_repo_index *idx, const kd_repo_entry *e)
{
	if (!e->operator_version || !*e->operator_version)
		return kd_error_set(KD_ERR_PACKAGE, "operator '%s' is missing operator version", e->name ? e->name : ""),
		       KD_EINVALID;
	const char *app = e->app_version ? e->app_version : "";
	for (size_t i = 0; i < idx->nentries; i++) {
		const kd_repo_entry *x = &idx->entries[i];
		if (strcmp(x->name ? x->name : "", e->name ? e->name : "") == 0 &&
			strcmp(x->app_version ? x->app_version : "", app) == 0 && strcmp(x->operator_version, e->operator_version) == 0)
			return kd_error_set(KD_ERR_PACKAGE, "operator '%s' version: %s_%s already exists", e->name, app,
				e->operator_version),
			       KD_EEXISTS;
	}
	idx->entries = kd_realloc(idx->entries, (idx->nentries + 1) * sizeof *idx->entries);
	entry_copy(&idx->entries[idx->nentries++], e);
	index_sort(idx);
	return 0;
}

const kd_repo_entry *kd_repo_index_find(const kd_repo_index *idx, const char *name, const char *app_version,
	const char *operator_version)
{
	bool any = false;
	for (size_t i = 0; i < idx->nentries; i++) {
		const kd_repo_entry *e = &idx->entries[i];
		if (strcmp(e->name ? e->name : "", name) != 0)
			continue;
		any = true;
		if ((!app_version || strcmp(e->app_version ? e->app_version : "", app_version) == 0) &&
			(!operator_version || strcmp(e->operator_version, operator_version) == 0))
			return e;
	}
	if (!any) {
		kd_error_set(KD_ERR_PACKAGE, "no operator found for: %s", name);
		return NULL;
	}
	kd_buf have = KD_BUF_INIT;
	for (size_t i = 0; i < idx->nentries; i++) {
		const kd_repo_entry *e = &idx->entries[i];
		if (strcmp(e->name ? e->name : "", name) == 0)
			kd_buf_printf(&have, "%s%s%s%s", have.len ? ", " : "", e->app_version ? e->app_version : "",
				e->app_version ? "_" : "", e->operator_version);
	}
	kd_error_set(KD_ERR_PACKAGE, "no operator version found for %s%s%s%s%s (the index has %s)", name,
		app_version ? " appVersion " : "", app_version ? app_version : "", operator_version ? " operatorVersion " : "",
		operator_version ? operator_version : "", kd_buf_cstr(&have));
	kd_buf_free(&have);
	return NULL;
}

static char *index_url(const char *repo_url)
{
	kd_buf b = KD_BUF_INIT;
	size_t n = strlen(repo_url);
	while (n && repo_url[n - 1] == '/')
		n--;
	kd_buf_put(&b, repo_url, n);
	kd_buf_puts(&b, "/index.yaml");
	return kd_buf_detach(&b);
}

int kd_repo_fetch_index(kd_repo_index **out, const char *repo_url)
{
	*out = NULL;
	char *url = index_url(repo_url);
	kd_buf data = KD_BUF_INIT;
	int rc = kd_http_get(&data, url, MAX_INDEX, true);
	if (rc == 0) {
		char *shown = kd_http_display_url(url);
		rc = kd_repo_index_parse(out, shown, data.ptr ? data.ptr : "", data.len);
		free(shown);
	}
	kd_buf_free(&data);
	free(url);
	return rc;
}

void kd_repo_pick_clear(kd_repo_pick *p)
{
	if (!p)
		return;
	free(p->url);
	free(p->digest);
	free(p->operator_version);
	free(p->app_version);
	memset(p, 0, sizeof *p);
}

int kd_repo_load_package(kd_pkg **out, kd_repo_pick *pick, const char *repo_url, const char *name,
	const char *app_version, const char *operator_version, const kd_pkg_load_options *opts)
{
	*out = NULL;
	if (pick)
		memset(pick, 0, sizeof *pick);
	kd_repo_index *idx = NULL;
	int rc = kd_repo_fetch_index(&idx, repo_url);
	if (rc)
		return rc;
	const kd_repo_entry *e = kd_repo_index_find(idx, name, app_version, operator_version);
	if (!e) {
		kd_repo_index_free(idx);
		return KD_ENOTFOUND;
	}
	if (e->nurls == 0) {
		kd_error_set(KD_ERR_PACKAGE, "%s %s in the repository index has no urls", name, e->operator_version);
		kd_repo_index_free(idx);
		return KD_EINVALID;
	}
	char *base = index_url(repo_url);
	kd_pkg_load_options dflt = KD_PKG_LOAD_OPTIONS_INIT;
	if (!opts)
		opts = &dflt;
	kd_buf errs = KD_BUF_INIT;
	bool refused = false;
	rc = KD_ERROR;
	for (size_t i = 0; i < e->nurls && rc != 0 && !refused; i++) {
		char *u = kd_http_resolve_url(base, e->urls[i]);
		if (!u) {
			kd_buf_printf(&errs, "%s%s: not a URL", errs.len ? "; " : "", e->urls[i]);
			continue;
		}
		char *shown = kd_http_display_url(u);
		kd_buf data = KD_BUF_INIT;
		char digest[65];
		rc = kd_http_get(&data, u, opts->max_total_size, false);
		if (rc == 0) {
			kd_sha256_hex(digest, data.ptr ? data.ptr : "", data.len);
			if (e->digest && *e->digest && strcasecmp(e->digest, digest) != 0) {
				/* a wrong digest is not a reason to try a mirror: the index or the server lies */
				kd_error_set(KD_ERR_PACKAGE, "%s: sha256 digest is %s, the repository index says %s; refused", shown,
					digest, e->digest);
				rc = KD_EINVALID;
				refused = true;
			} else {
				rc = kd_pkg_load_archive(out, shown, data.ptr ? data.ptr : "", data.len, opts);
			}
		}
		if (rc == 0 && pick) {
			pick->url = kd_strdup(shown);
			pick->digest = kd_strdup(digest);
			pick->operator_version = kd_strdup(e->operator_version);
			pick->app_version = e->app_version ? kd_strdup(e->app_version) : NULL;
		}
		if (rc)
			kd_buf_printf(&errs, "%s%s", errs.len ? "; " : "", kd_error_last());
		kd_buf_free(&data);
		free(shown);
		free(u);
	}
	if (rc && !refused && e->nurls > 1)
		kd_error_set(KD_ERR_PACKAGE, "%s %s: every URL failed: %s", name, e->operator_version, kd_buf_cstr(&errs));
	kd_buf_free(&errs);
	free(base);
	kd_repo_index_free(idx);
	return rc;
}

/* ---- repo index DIR ------------------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int kd_repo_index_dir(kd_repo_index **out, kd_buf *warnings, const char *dir, const char *url)
{
	*out = NULL;
	DIR *d = opendir(dir);
	if (!d)
		return kd_error_set_os(errno, "cannot read %s", dir), errno == ENOENT ? KD_ENOTFOUND : KD_ERROR;
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l > 4 && strcmp(de->d_name + l - 4, ".tgz") == 0) {
			names = kd_realloc(names, (n + 1) * sizeof *names);
			names[n++] = kd_strdup(de->d_name);
		}
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_str);
	kd_repo_index *idx = kd_repo_index_new();
	char stamp[64];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	idx->generated = kd_strdup(stamp);
	const char *base = url && *url ? url : "http://localhost/";
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		kd_buf path = KD_BUF_INIT;
		kd_buf_printf(&path, "%s/%s", dir, names[i]);
		char *data = NULL;
		size_t len = 0;
		kd_pkg *pkg = NULL;
		int lrc = kd_file_read(&data, &len, kd_buf_cstr(&path), 0);
		if (lrc == 0)
			lrc = kd_pkg_load_archive(&pkg, kd_buf_cstr(&path), data, len, NULL);
		if (lrc) {
			if (warnings)
				kd_buf_printf(warnings, "WARNING: operator: %s is invalid: %s\n", kd_buf_cstr(&path), kd_error_last());
		} else {
			kd_repo_entry e;
			memset(&e, 0, sizeof e);
			char digest[65];
			kd_sha256_hex(digest, data, len);
			kd_buf u = KD_BUF_INIT;
			kd_buf_printf(&u, "%s%s%s", base, base[strlen(base) - 1] == '/' ? "" : "/", names[i]);
			char *ustr = kd_buf_detach(&u);
			e.name = pkg->name.str;
			e.operator_version = pkg->operator_version.str;
			e.app_version = pkg->app_version.str;
			e.description = pkg->description.str;
			e.digest = digest;
			e.urls = &ustr;
			e.nurls = 1;
			kd_repo_maintainer *ms = kd_calloc(pkg->nmaintainers ? pkg->nmaintainers : 1, sizeof *ms);
			for (size_t k = 0; k < pkg->nmaintainers; k++) {
				ms[k].name = pkg->maintainers[k].name.str;
				ms[k].email = pkg->maintainers[k].email.str;
			}
			e.maintainers = ms;
			e.nmaintainers = pkg->nmaintainers;
			if (kd_repo_index_add(idx, &e) != 0 && warnings)
				kd_buf_printf(warnings, "WARNING: %s: %s\n", kd_buf_cstr(&path), kd_error_last());
			free(ms);
			free(ustr);
		}
		kd_pkg_free(pkg);
		free(data);
		kd_buf_free(&path);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	kd_error_clear();
	if (idx->nentries == 0) {
		kd_repo_index_free(idx);
		kd_error_set(KD_ERR_PACKAGE, "%s: no packages discovered (no valid .tgz files)", dir);
		return KD_ENOTFOUND;
	}
	*out = idx;
	return rc;
}
