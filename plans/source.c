/* The package source resolver: PACKAGE argument (or --git) -> a loaded package + its origin. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/json.h"
#include "../gitops/gitops.h"
#include "plans.h"

void kd_pkg_origin_clear(kd_pkg_origin *o)
{
	if (!o)
		return;
	free(o->source);
	free(o->kind);
	free(o->url);
	free(o->ref);
	free(o->commit);
	free(o->path);
	free(o->repo);
	free(o->digest);
	memset(o, 0, sizeof *o);
}

#define ORIGIN_FIELDS(X) X(source) X(kind) X(url) X(ref) X(commit) X(path) X(repo) X(digest)

cJSON *kd_pkg_origin_to_json(const kd_pkg_origin *o)
{
	cJSON *j = cJSON_CreateObject();
#define ADD(f) \
	if (o->f)  \
		cJSON_AddStringToObject(j, #f, o->f);
	ORIGIN_FIELDS(ADD)
#undef ADD
	return j;
}

int kd_pkg_origin_from_json(kd_pkg_origin *o, const cJSON *j)
{
	memset(o, 0, sizeof *o);
	if (!cJSON_IsObject(j))
		return kd_error_set(KD_ERR_PLAN, "a package origin must be a JSON object"), KD_EINVALID;
#define GET(f)                                    \
	{                                             \
		const char *v = kd_json_get_str(j, #f);   \
		o->f = v ? kd_strdup(v) : NULL;           \
	}
	ORIGIN_FIELDS(GET)
#undef GET
	return 0;
}

static void set_origin(kd_pkg_origin *o, const char *kind, const char *source)
{
	kd_pkg_origin_clear(o);
	o->kind = kd_strdup(kind);
	o->source = kd_strdup(source);
}

/* The absolute path, resolved when it exists, else with "." and ".." folded lexically. */
static char *abs_path(const char *p)
{
	char buf[PATH_MAX];
	if (realpath(p, buf))
		return kd_strdup(buf);
	kd_buf out = KD_BUF_INIT, whole = KD_BUF_INIT;
	if (p[0] != '/' && getcwd(buf, sizeof buf))
		kd_buf_printf(&whole, "%s/", buf);
	kd_buf_puts(&whole, p);
	for (const char *s = kd_buf_cstr(&whole); *s;) {
		while (*s == '/')
			s++;
		size_t n = strcspn(s, "/");
		if (n == 0)
			break;
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			char *last = out.ptr ? strrchr(out.ptr, '/') : NULL;
			kd_buf_truncate(&out, last ? (size_t)(last - out.ptr) : 0);
		} else if (!(n == 1 && s[0] == '.')) {
			kd_buf_putc(&out, '/');
			kd_buf_put(&out, s, n);
		}
		s += n;
	}
	if (!out.len)
		kd_buf_putc(&out, '/');
	kd_buf_free(&whole);
	return kd_buf_detach(&out);
}

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

/* ---- git ----------------------------------------------------------------------------------- */

static void git_options(kd_git_options *g, const kd_source_options *opts)
{
	kd_git_options d = KD_GIT_OPTIONS_INIT;
	*g = d;
	g->cache_dir = opts->cache_dir;
	g->credentials_file = opts->git_credentials;
	g->ssh_key = opts->git_ssh_key;
	g->known_hosts = opts->git_known_hosts;
	if (opts->load) {
		g->max_file_size = opts->load->max_file_size;
		g->max_total_size = opts->load->max_total_size;
		g->max_files = opts->load->max_files;
	}
}

static int load_git(kd_pkg **out, kd_pkg_origin *o, const kd_git_source *src, const kd_source_options *opts)
{
	kd_git_options g;
	git_options(&g, opts);
	kd_git_repo *r = NULL;
	kd_git_tree *t = NULL;
	kd_pkg_input_file *files = NULL;
	char *shown = kd_git_source_string(src);
	int rc;
	if ((rc = kd_git_open(&r, src, &g)) != 0)
		goto done;
	if ((rc = kd_git_read_tree(&t, r, src->path, &g)) != 0)
		goto done;
	bool has_op = false;
	files = kd_calloc(t->nfiles ? t->nfiles : 1, sizeof *files);
	for (size_t i = 0; i < t->nfiles; i++) {
		files[i].path = t->files[i].path;
		files[i].data = t->files[i].data;
		files[i].len = t->files[i].len;
		has_op = has_op || strcmp(t->files[i].path, "operator.yaml") == 0;
	}
	if (!has_op) {
		kd_error_set(KD_ERR_PACKAGE, "%s: no operator.yaml in %s at commit %s", shown,
			src->path[0] ? src->path : "the repository root", kd_git_commit(r));
		rc = KD_ENOTFOUND;
		goto done;
	}
	/* files are named "git+URL//PATH@COMMIT:FILE" in errors */
	kd_buf name = KD_BUF_INIT;
	kd_buf_printf(&name, "git+%s%s%s@%.12s", src->url, src->path[0] ? "//" : "", src->path, kd_git_commit(r));
	rc = kd_pkg_load_files(out, kd_buf_cstr(&name), files, t->nfiles, opts->load);
	kd_buf_free(&name);
	if (rc)
		goto done;
	if (o) {
		set_origin(o, "git", shown);
		o->url = kd_strdup(src->url);
		o->ref = src->ref ? kd_strdup(src->ref) : NULL;
		o->commit = kd_strdup(kd_git_commit(r));
		o->path = kd_strdup(src->path);
		o->repo = kd_git_resolved_ref(r) ? kd_strdup(kd_git_resolved_ref(r)) : NULL;
	}
done:
	free(files);
	kd_git_tree_free(t);
	kd_git_repo_free(r);
	free(shown);
	return rc;
}

/* ---- shipped packages ---------------------------------------------------------------------- */

static char *exe_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	char *slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	return kd_strdup(buf);
}

size_t kd_source_shipped_dirs(char ***out, const char *const **labels_out)
{
	static const char *const labels[3] = {"$KUDOC_PACKAGES_DIR", "the install prefix", "the checkout"};
	const char *env = getenv("KUDOC_PACKAGES_DIR");
	char *ed = exe_dir();
	char **dirs = kd_calloc(3, sizeof(char *));
	kd_buf b = KD_BUF_INIT;
	dirs[0] = env && *env ? kd_strdup(env) : NULL;
	if (ed) {
		kd_buf_printf(&b, "%s/../share/kudoc/packages", ed);
		dirs[1] = kd_buf_detach(&b);
		kd_buf_printf(&b, "%s/../../packages", ed);
		dirs[2] = kd_buf_detach(&b);
	}
	free(ed);
	*out = dirs;
	if (labels_out)
		*labels_out = labels;
	return 3;
}

static bool valid_name(const char *s)
{
	if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (const char *p = s; *p; p++)
		if (*p == '/' || (unsigned char)*p < 0x20)
			return false;
	return true;
}

/* ---- versions ------------------------------------------------------------------------------ */

static int check_versions(const kd_pkg *pkg, const char *source, const kd_source_options *opts)
{
	const char *ov = pkg->operator_version.str ? pkg->operator_version.str : "";
	const char *av = pkg->app_version.str ? pkg->app_version.str : "";
	if (opts->operator_version && strcmp(opts->operator_version, ov) != 0)
		return kd_error_set(KD_ERR_PACKAGE, "%s has operatorVersion %s, not %s (--operator-version)", source, ov,
			opts->operator_version),
		       KD_EINVALID;
	if (opts->app_version && strcmp(opts->app_version, av) != 0)
		return kd_error_set(KD_ERR_PACKAGE, "%s has appVersion %s, not %s (--app-version)", source, av[0] ? av : "(none)",
			opts->app_version),
		       KD_EINVALID;
	return 0;
}

int kd_source_load(kd_pkg **out, kd_pkg_origin *origin_out, const char *source, const kd_source_options *opts)
{
	*out = NULL;
	kd_source_options dflt = KD_SOURCE_OPTIONS_INIT;
	if (!opts)
		opts = &dflt;
	kd_pkg_origin o;
	memset(&o, 0, sizeof o);
	kd_git_source gs;
	memset(&gs, 0, sizeof gs);
	kd_buf tried = KD_BUF_INIT, path = KD_BUF_INIT;
	char *shown = NULL;
	int rc = 0;

	if (opts->git_url) {
		if (source && *source) {
			kd_error_set(KD_ERR_USAGE, "give the package either as PACKAGE or with --git, not both");
		rc = KD_EUSAGE;
			goto done;
		}
		if ((rc = kd_git_source_from_flags(&gs, opts->git_url, opts->git_ref, opts->git_path)) != 0)
			goto done;
		rc = load_git(out, &o, &gs, opts);
		goto loaded;
	}
	if (!source || !*source) {
		kd_error_set(KD_ERR_USAGE, "no package given (a folder, a .tgz, a URL, git+URL or a name)");
		rc = KD_EUSAGE;
		goto done;
	}
	if (opts->git_ref || opts->git_path) {
		kd_error_set(KD_ERR_USAGE, "--git-ref and --git-path need --git URL (or write git+URL//PATH?ref=REF)");
		rc = KD_EUSAGE;
		goto done;
	}
	if (kd_git_is_source(source)) {
		if ((rc = kd_git_source_parse(&gs, source)) != 0)
			goto done;
		rc = load_git(out, &o, &gs, opts);
		goto loaded;
	}
	if (strncmp(source, "http://", 7) == 0 || strncmp(source, "https://", 8) == 0) {
		char digest[65];
		if ((rc = kd_pkg_load_url(out, digest, source, NULL, opts->load)) != 0)
			goto done;
		shown = kd_http_display_url(source);
		set_origin(&o, "url", shown);
		o.url = kd_strdup(shown);
		o.digest = kd_strdup(digest);
		goto loaded;
	}
	if (exists(source)) {
		if ((rc = kd_pkg_load(out, source, opts->load)) != 0)
			goto done;
		bool dir = is_dir(source);
		set_origin(&o, dir ? "dir" : "tgz", source);
		o.path = abs_path(source);
		if (!dir) {
			char *data = NULL;
			size_t len = 0;
			if (kd_file_read(&data, &len, source, opts->load ? opts->load->max_total_size : 0) == 0) {
				char digest[65];
				kd_sha256_hex(digest, data, len);
				o.digest = kd_strdup(digest);
			}
			free(data);
			kd_error_clear();
		}
		goto loaded;
	}
	if (!valid_name(source)) {
		kd_error_set(KD_ERR_PACKAGE, "%s: no such file or folder", source);
		rc = KD_ENOTFOUND;
		goto done;
	}
	/* a bare name: the packages kudoc ships, then the repository */
	{
		char **cands = NULL;
		const char *const *labels = NULL;
		size_t nc = kd_source_shipped_dirs(&cands, &labels);
		bool found = false;
		for (size_t i = 0; i < nc && !found && rc == 0; i++) {
			if (!cands[i])
				continue;
			kd_buf_clear(&path);
			kd_buf_printf(&path, "%s/%s", cands[i], source);
			char *abs = abs_path(kd_buf_cstr(&path));
			kd_buf_printf(&tried, "%s%s (%s)", tried.len ? ", " : "", abs, labels[i]);
			if (is_dir(abs)) {
				found = true;
				rc = kd_pkg_load(out, abs, opts->load);
				if (rc == 0) {
					set_origin(&o, "shipped", source);
					o.path = abs;
					abs = NULL;
				}
			}
			free(abs);
		}
		for (size_t i = 0; i < nc; i++)
			free(cands[i]);
		free(cands);
		if (found) {
			if (rc)
				goto done;
			goto loaded;
		}
	}
	{
		kd_repo_config *cfg = NULL;
		if ((rc = kd_repo_config_load(&cfg, opts->config_dir)) != 0)
			goto done;
		const kd_repo *repo = kd_repo_config_get(cfg, opts->repo);
		if (!repo) {
			kd_error_set(KD_ERR_PACKAGE, "%s: not a file or folder and not a package kudoc ships (tried %s); %s", source,
				kd_buf_cstr(&tried), kd_error_last());
			kd_repo_config_free(cfg);
			rc = KD_ENOTFOUND;
			goto done;
		}
		kd_repo_pick pick;
		rc = kd_repo_load_package(out, &pick, repo->url, source, opts->app_version, opts->operator_version, opts->load);
		if (rc) {
			char *ru = kd_http_display_url(repo->url);
			kd_error_set(KD_ERR_PACKAGE, "%s: not a file or folder and not a package kudoc ships (tried %s); repository %s (%s): %s",
				source, kd_buf_cstr(&tried), repo->name, ru, kd_error_last());
			free(ru);
			kd_repo_config_free(cfg);
			goto done;
		}
		set_origin(&o, "repo", source);
		o.repo = kd_strdup(repo->name);
		o.url = pick.url;
		o.digest = pick.digest;
		pick.url = pick.digest = NULL;
		kd_repo_pick_clear(&pick);
		kd_repo_config_free(cfg);
	}
loaded:
	if (rc == 0 && strcmp(o.kind ? o.kind : "", "repo") != 0)
		rc = check_versions(*out, o.source ? o.source : source, opts);
	if (rc) {
		kd_pkg_free(*out);
		*out = NULL;
		goto done;
	}
	if (origin_out) {
		*origin_out = o;
		memset(&o, 0, sizeof o);
	}
done:
	kd_pkg_origin_clear(&o);
	kd_git_source_clear(&gs);
	kd_buf_free(&tried);
	kd_buf_free(&path);
	free(shown);
	return rc;
}

int kd_source_read_param_file(char **data, size_t *len, const kd_pkg_origin *origin, const char *spec,
	const kd_source_options *opts)
{
	*data = NULL;
	if (len)
		*len = 0;
	kd_source_options dflt = KD_SOURCE_OPTIONS_INIT;
	if (!opts)
		opts = &dflt;
	if (strncmp(spec, "git:", 4) != 0) {
		int rc = kd_file_read(data, len, spec, 0);
		if (rc == KD_ENOTFOUND)
			kd_error_set(KD_ERR_PARAMS, "-P %s: no such file", spec);
		return rc;
	}
	if (!origin || !origin->kind || strcmp(origin->kind, "git") != 0 || !origin->url || !origin->commit)
		return kd_error_set(KD_ERR_USAGE, "-P %s: git: parameter files need a package from git (git+URL or --git)", spec),
		       KD_EUSAGE;
	kd_git_source src;
	memset(&src, 0, sizeof src);
	int rc = kd_git_source_from_flags(&src, origin->url, origin->commit, NULL);
	if (rc)
		return rc;
	kd_git_options g;
	git_options(&g, opts);
	kd_git_repo *r = NULL;
	if ((rc = kd_git_open(&r, &src, &g)) == 0) {
		size_t n = 0;
		rc = kd_git_read_file(data, &n, r, spec + 4, g.max_file_size);
		if (rc == 0 && len)
			*len = n;
		if (rc)
			kd_error_set(kd_error_last_class(), "-P %s: %s", spec, kd_error_last());
	}
	kd_git_repo_free(r);
	kd_git_source_clear(&src);
	return rc;
}
