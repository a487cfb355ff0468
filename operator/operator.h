/* operator: KUDO operator packages (kudo.dev/v1beta1): loading from a directory, a .tgz or
 * memory, the read-only package model, and the `package list` tables.
 *
 * A loaded package is plain data: every struct below is owned by the kd_pkg it was reached
 * from and lives until kd_pkg_free. Callers read the fields and never modify or free them.
 *
 * Strings from YAML are kd_pkg_str: the text (NULL when the key is absent or null) and the
 * 1-based position of the value in its file (0:0 when unknown or absent), so later checks
 * (package verify, parameter validation) can say "FILE:LINE:COL: ...". Which file a position
 * belongs to follows from where the field lives: operator.yaml fields use pkg->operator_file,
 * parameter and group fields use pkg->params_file.
 *
 * Decoding follows KUDO 0.19 (sigs.k8s.io/yaml into Go structs): keys KUDO does not know are
 * ignored; a known key with a value of the wrong YAML type (a number where a string belongs,
 * "yes please" for a boolean, ...) is an error naming FILE:LINE:COL and what was expected. */
#ifndef KD_OPERATOR_H
#define KD_OPERATOR_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "../base/base.h"

#define KD_PKG_API_VERSION "kudo.dev/v1beta1"

typedef struct {
	int line, col; /* 1-based; 0 when unknown */
} kd_pkg_pos;

typedef struct {
	char *str; /* NULL when absent or null in the YAML */
	kd_pkg_pos pos;
} kd_pkg_str;

/* One file of the package, as read. `path` is relative to the package root with '/'
 * separators ("operator.yaml", "templates/rbac/role.yaml"); `display` is the name used in
 * error messages: "DIR/templates/x.yaml" for a directory, "ARCHIVE:spark/templates/x.yaml"
 * for a .tgz (the entry as stored), the bare path for packages loaded from memory. */
typedef struct {
	char *path;
	char *display;
	char *data; /* NUL-terminated; may contain NUL bytes before `len` */
	size_t len;
} kd_pkg_file;

/* A template: a file under templates/ whose name ends in ".yaml". */
typedef struct {
	const char *name; /* relative to templates/: "deployment.yaml", "rbac/role.yaml" */
	const kd_pkg_file *file;
} kd_pkg_template;

typedef struct {
	kd_pkg_str name, email;
	kd_pkg_pos pos;
} kd_pkg_maintainer;

typedef enum {
	KD_TASK_APPLY,
	KD_TASK_DELETE,
	KD_TASK_TOGGLE,
	KD_TASK_PIPE,
	KD_TASK_KUDO_OPERATOR,
	KD_TASK_DUMMY,
} kd_pkg_task_kind;

/* A Pipe task's output: `file` written by the pod becomes `key` of a Secret or ConfigMap. */
typedef struct {
	kd_pkg_str file, kind, key;
	kd_pkg_pos pos;
} kd_pkg_pipe;

/* A health hook: kudoc's own `health:` key on a step or on an Apply/Toggle task (KUDO ignores
 * keys it does not know, so such a package still loads in KUDO):
 *   health: hooks/operator-ready.lua                             # short form
 *   health: {script: hooks/x.lua, timeout: 5m, interval: 10s}    # long form
 * timeout and interval are Go durations. The plan engine runs the script (lua/) after the
 * step's objects are applied and healthy, again when a watched object changes (a Pod of the
 * instance, or an object of the instance of a kind the step applied) and at least every interval, until it returns true, fails, or the timeout passes. */
typedef struct {
	kd_pkg_str script;      /* path relative to the package root; str NULL: no hook */
	long timeout_ms;        /* 0: not given (the step's or command's timeout applies) */
	kd_pkg_pos timeout_pos; /* 0:0 when not given */
	long interval_ms;       /* 0: not given (5 s: lua/'s KD_LUA_DEFAULT_INTERVAL_MS) */
	kd_pkg_pos interval_pos;
	kd_pkg_pos pos;         /* the `health` value */
} kd_pkg_health;

/* A task. KUDO's TaskSpec is one flat struct, so every spec field is read whatever the kind;
 * the comment says which kind uses it. */
typedef struct {
	kd_pkg_str name;
	kd_pkg_str kind_name; /* as written: "Apply", "KudoOperator", ... */
	kd_pkg_task_kind kind;
	kd_pkg_pos pos; /* the task's list item */
	/* Apply, Delete, Toggle: template names */
	kd_pkg_str *resources;
	size_t nresources;
	/* Toggle */
	kd_pkg_str parameter;
	/* Pipe */
	kd_pkg_str pod;
	kd_pkg_pipe *pipes;
	size_t npipes;
	/* KudoOperator */
	kd_pkg_str package, app_version, operator_version, instance_name, parameter_file;
	/* Dummy */
	bool done, want_err, fatal;
	/* kudoc: `health` next to name/kind/spec (meant for Apply and Toggle tasks) */
	kd_pkg_health health;
} kd_pkg_task;

/* A plan's or phase's strategy. DEFAULT (empty/absent) behaves as parallel, as in KUDO. */
typedef enum {
	KD_STRATEGY_DEFAULT = 0,
	KD_STRATEGY_SERIAL,
	KD_STRATEGY_PARALLEL,
} kd_pkg_strategy;

typedef struct {
	kd_pkg_str name;
	kd_pkg_pos pos;
	kd_pkg_str *tasks; /* task names */
	size_t ntasks;
	kd_pkg_health health; /* kudoc: `health` on the step */
} kd_pkg_step;

typedef struct {
	kd_pkg_str name;
	kd_pkg_pos pos;
	kd_pkg_strategy strategy;
	kd_pkg_step *steps;
	size_t nsteps;
} kd_pkg_phase;

typedef struct {
	kd_pkg_str name; /* the key in `plans:`; pos is the key's position */
	kd_pkg_pos pos;
	kd_pkg_strategy strategy;
	kd_pkg_phase *phases;
	size_t nphases;
} kd_pkg_plan;

typedef enum {
	KD_PARAM_STRING = 0, /* also the type of parameters without `type` */
	KD_PARAM_INTEGER,
	KD_PARAM_NUMBER,
	KD_PARAM_BOOLEAN,
	KD_PARAM_ARRAY,
	KD_PARAM_MAP,
} kd_param_type;

typedef struct {
	kd_pkg_str name, display_name, description, trigger, group, hint;
	kd_pkg_pos pos;           /* the parameter's list item */
	kd_param_type type;
	kd_pkg_pos type_pos;      /* 0:0 when `type` is absent */
	/* The default as written in YAML (a scalar, or a list/map for array and map parameters,
	 * or a string holding YAML for them); NULL when absent or null. */
	cJSON *default_value;
	kd_pkg_pos default_pos;
	bool required;            /* true unless `required: false`; see kd_pkg_param_needs_value */
	bool immutable, advanced;
	/* The `enum` list (owned by the package), NULL when absent. */
	cJSON *enum_values;
	kd_pkg_pos enum_pos;
} kd_pkg_param;

typedef struct {
	kd_pkg_str name, display_name, description;
	int priority; /* `prio` in params.yaml, as KUDO names it */
	kd_pkg_pos pos;
} kd_pkg_group;

/* kudoc's top-level `leaderElection:` in operator.yaml (KUDO 0.19 ignores unknown top-level keys:
 * its reader decodes operator.yaml with sigs.k8s.io/yaml into packages.OperatorFile, which has
 * no such field): which parameters of the package declare the operator's leader-election lock,
 * so `verify leader` finds it without --lock. Every value names a parameter of params.yaml:
 *   leaderElection:
 *     enabledParam: haEnabled          # optional: a parameter that must be "true"
 *     lockNameParam: haLock            # required: the lock's name
 *     lockNamespaceParam: haLockNs     # optional: empty value or absent: the instance's namespace
 *     lockKindParam: haLockKind        # optional: configmap | lease; absent: Lease, else ConfigMap
 *     defaultLockSuffix: -election     # optional: an empty lock name means "<instance><suffix>"
 *                                      # (default "-lock")
 * Keys match case-insensitively, as KUDO's own keys do; an unknown key is an error. The fields
 * mirror lua/'s kd_lua_lock_mapping. */
typedef struct {
	bool declared;   /* the key is present (and not null) */
	kd_pkg_pos pos;  /* the `leaderElection` value */
	kd_pkg_str enabled_param, lock_name_param, lock_namespace_param, lock_kind_param;
	kd_pkg_str default_lock_suffix; /* str NULL: not given */
} kd_pkg_leader_election;

typedef struct kd_pkg {
	char *source;        /* as given to the loader ("memory" for kd_pkg_load_files) */
	char *operator_file; /* display names of operator.yaml and params.yaml */
	char *params_file;   /* NULL when the package has no params.yaml */

	/* operator.yaml */
	kd_pkg_str api_version, name, description, operator_version, app_version, kudo_version,
		kubernetes_version, url, namespace_manifest;
	kd_pkg_maintainer *maintainers;
	size_t nmaintainers;
	kd_pkg_task *tasks;
	size_t ntasks;
	kd_pkg_plan *plans; /* in file order */
	size_t nplans;
	kd_pkg_leader_election leader_election; /* kudoc: `leaderElection` */

	/* params.yaml */
	kd_pkg_str params_api_version;
	kd_pkg_param *params; /* in file order */
	size_t nparams;
	kd_pkg_group *groups;
	size_t ngroups;

	/* every regular file of the package, sorted by path; templates point into them */
	kd_pkg_file *files;
	size_t nfiles;
	kd_pkg_template *templates; /* sorted by name */
	size_t ntemplates;

	void *index; /* private to operator/: tasks and parameters by name (kd_pkg_find_*) */
} kd_pkg;

/* Caps on what a package may hold; a package over a cap is refused with KD_ELIMIT. */
typedef struct {
	size_t max_file_size;  /* bytes of one file (default 8 MiB) */
	size_t max_total_size; /* bytes of all files together (default 64 MiB) */
	size_t max_files;      /* number of files (default 20000) */
} kd_pkg_load_options;
#define KD_PKG_LOAD_OPTIONS_INIT {(size_t)8 << 20, (size_t)64 << 20, 20000}

/* Loads the package at `src`: a directory holding operator.yaml, or a .tgz/.tar.gz/.tar file
 * whose operator.yaml is either at the top or inside one top-level folder (the usual
 * `kubectl kudo package create` layout). Archive entries that are absolute, contain `..`,
 * are symbolic or hard links or special files are refused, naming the entry; symbolic links
 * in a directory package are refused too. Dot-files and dot-folders (.git, ...) of a directory
 * package are skipped. `opts` may be NULL for the defaults. On success *out belongs to the
 * caller (kd_pkg_free); on failure *out is NULL and the error says FILE:LINE:COL. */
int kd_pkg_load(kd_pkg **out, const char *src, const kd_pkg_load_options *opts);

/* One file handed to kd_pkg_load_files. */
typedef struct {
	const char *path; /* relative to the package root: "operator.yaml", "templates/a.yaml" */
	const char *data;
	size_t len;
} kd_pkg_input_file;

/* Builds a package from files in memory (copied; the caller keeps its own). `source` names
 * the package in errors and may be NULL. The files must include operator.yaml. */
int kd_pkg_load_files(kd_pkg **out, const char *source, const kd_pkg_input_file *files,
	size_t nfiles, const kd_pkg_load_options *opts);

/* Loads a package from the bytes of a .tgz/.tar.gz/.tar archive held in memory (a download),
 * with the rules of kd_pkg_load. `name` names the archive in errors. */
int kd_pkg_load_archive(kd_pkg **out, const char *name, const void *data, size_t len,
	const kd_pkg_load_options *opts);

/* Frees the package and everything reached from it. NULL does nothing. */
void kd_pkg_free(kd_pkg *pkg);
/* Whether a and b hold the same files (paths and bytes, in the same order). */
bool kd_pkg_same_files(const kd_pkg *a, const kd_pkg *b);

/* Look-ups by name; results are borrowed from `pkg`, NULL when there is none. */
const kd_pkg_param *kd_pkg_find_param(const kd_pkg *pkg, const char *name);
const kd_pkg_task *kd_pkg_find_task(const kd_pkg *pkg, const char *name);
const kd_pkg_plan *kd_pkg_find_plan(const kd_pkg *pkg, const char *name);
const kd_pkg_template *kd_pkg_find_template(const kd_pkg *pkg, const char *name);
const kd_pkg_file *kd_pkg_find_file(const kd_pkg *pkg, const char *path);

/* Whether an install must give the parameter a value: it is required and has no default.
 * Array and map parameters never must: KUDO stores their missing default as YAML null
 * (convert.WrapParamValue), which counts as a default, so `required` never fires for them. */
bool kd_pkg_param_needs_value(const kd_pkg_param *p);

/* Names as written in packages: "Apply", "serial" ("" for DEFAULT), "integer", ... */
const char *kd_pkg_task_kind_name(kd_pkg_task_kind kind);
const char *kd_pkg_strategy_name(kd_pkg_strategy s);
const char *kd_param_type_name(kd_param_type t);

/* `kubectl-kudo package list params|plans|tasks`. Each appends to `out` and returns 0 (or
 * KD_ELIMIT when `out` is full).
 *
 * params: a table NAME TYPE DEFAULT REQUIRED DESCRIPTION sorted by name, as KUDO's CLI sorts
 * it; DEFAULT of array/map parameters is printed as compact JSON, "null" when missing (what
 * KUDO stores for it), a missing default of other types as empty; REQUIRED is the `required`
 * field; DESCRIPTION is its first line. Cells show control characters escaped, as do the plan
 * tree and the task table. Flags: KD_PKG_LIST_NAMES prints only the names (one a line),
 * KD_PKG_LIST_REQUIRED keeps only parameters that must be given (kd_pkg_param_needs_value). */
#define KD_PKG_LIST_NAMES 1u
#define KD_PKG_LIST_REQUIRED 2u
int kd_pkg_list_params(kd_buf *out, const kd_pkg *pkg, unsigned flags);
/* plans: a tree "plans" → "deploy (serial)" → "[phase] main (parallel)" → "[step] app" →
 * "[task] app (Apply)"; plans in file order. */
int kd_pkg_list_plans(kd_buf *out, const kd_pkg *pkg);
/* tasks: a table NAME KIND RESOURCES in file order; RESOURCES lists the templates of Apply,
 * Delete and Toggle (Toggle adds "parameter=X"), the pod and pipes of Pipe, the package of
 * KudoOperator and done/wantErr of Dummy. */
int kd_pkg_list_tasks(kd_buf *out, const kd_pkg *pkg);

/* ---- URLs and KUDO repositories (operator/http.c, operator/repo.c, operator/pkg_write.c) ---- */

/* Downloads `url` into `out` (at most `max` bytes; 0: 64 MiB): http and https (and file://
 * when allow_file), TLS verified against the system's CA store, or instead the PEM bundle
 * $SSL_CERT_FILE names (and the hashed folder $SSL_CERT_DIR), up to 5 redirects to http(s).
 * Errors name the URL without user or password: KD_ENOTFOUND for HTTP 404, KD_EAUTH for 401 and
 * for a certificate that is not trusted (naming host:port), KD_ELIMIT over the cap. */
int kd_http_get(kd_buf *out, const char *url, size_t max, bool allow_file);
/* `url` without user and password, for messages. Caller frees. */
char *kd_http_display_url(const char *url);
/* `ref` resolved against `base` (an absolute ref is returned as is). NULL when either is not
 * a URL. Caller frees. */
char *kd_http_resolve_url(const char *base, const char *ref);
/* Lower-case hex SHA-256 of the bytes. */
void kd_sha256_hex(char out[65], const void *data, size_t len);

/* Downloads a .tgz package and loads it. When want_digest is set, the archive's sha256 must
 * equal it (else KD_EINVALID naming both). digest_out (may be NULL) gets the archive's sha256. */
int kd_pkg_load_url(kd_pkg **out, char digest_out[65], const char *url, const char *want_digest,
	const kd_pkg_load_options *opts);

/* A configured repository. */
typedef struct {
	char *name;
	char *url;
} kd_repo;

/* The repositories file: KUDO's repositories.yaml format (repoVersion, context, repositories
 * [{name, url}]), kept at CONFIG_DIR/repositories.yaml, CONFIG_DIR being
 * ${XDG_CONFIG_HOME:-~/.config}/kudoc. Without the file, KUDO's defaults: the repository
 * "community" (https://kudo-repository.storage.googleapis.com/v1) as the context. */
typedef struct {
	char *path;
	char *context; /* "" when none */
	kd_repo *repos;
	size_t nrepos;
} kd_repo_config;

#define KD_REPO_DEFAULT_NAME "community"
#define KD_REPO_DEFAULT_URL "https://kudo-repository.storage.googleapis.com/v1"

/* config_dir NULL: the default above. */
int kd_repo_config_load(kd_repo_config **out, const char *config_dir);
/* Writes the file (creating its folder), atomically (a temporary file renamed over it). */
int kd_repo_config_save(const kd_repo_config *cfg);
/* KD_EEXISTS when the name is taken; KD_EINVALID for a bad name or URL. */
int kd_repo_config_add(kd_repo_config *cfg, const char *name, const char *url);
/* KD_ENOTFOUND when there is no such repository. */
int kd_repo_config_remove(kd_repo_config *cfg, const char *name);
int kd_repo_config_set_context(kd_repo_config *cfg, const char *name);
/* The repository named `name`, or the context's when name is NULL; NULL when none (with the
 * error set). Borrowed. */
const kd_repo *kd_repo_config_get(const kd_repo_config *cfg, const char *name);
void kd_repo_config_free(kd_repo_config *cfg);

typedef struct {
	char *name, *email;
} kd_repo_maintainer;

/* One package version of an index (KUDO's PackageVersion: Metadata + urls, removed, digest). */
typedef struct {
	char *name, *operator_version, *app_version, *description;
	kd_repo_maintainer *maintainers;
	size_t nmaintainers;
	char **urls;
	size_t nurls;
	bool removed;
	char *digest; /* sha256 hex of the .tgz; NULL when the index gives none */
} kd_repo_entry;

/* An index.yaml. Entries are grouped by name (names sorted) and within a name newest first,
 * as KUDO sorts them: by appVersion, then operatorVersion (Masterminds/semver v3), entries
 * whose version does not parse last. */
typedef struct {
	char *api_version;
	char *generated; /* RFC 3339, NULL when absent */
	kd_repo_entry *entries;
	size_t nentries;
} kd_repo_index;

/* Parses an index as KUDO does (apiVersion required, every entry needs operatorVersion; keys
 * case-insensitive; a value of the wrong type is an error naming NAME:LINE:COL). */
int kd_repo_index_parse(kd_repo_index **out, const char *name, const char *data, size_t len);
/* Appends the index as YAML (keys sorted, as KUDO's yaml.Marshal writes it). */
int kd_repo_index_emit(kd_buf *out, const kd_repo_index *idx);
/* Adds a copy of `e`; KD_EEXISTS when the index has that name with the same appVersion and
 * operatorVersion (KUDO's AddPackageVersion). Keeps the order. */
int kd_repo_index_add(kd_repo_index *idx, const kd_repo_entry *e);
kd_repo_index *kd_repo_index_new(void);
/* KUDO's FindFirstMatch: the newest entry of `name` whose appVersion / operatorVersion equal
 * the given ones (NULL: any). NULL with the error set when none. Borrowed. */
const kd_repo_entry *kd_repo_index_find(const kd_repo_index *idx, const char *name, const char *app_version,
	const char *operator_version);
void kd_repo_index_free(kd_repo_index *idx);

/* Downloads and parses REPO_URL/index.yaml (http, https or file). */
int kd_repo_fetch_index(kd_repo_index **out, const char *repo_url);

/* `repo index DIR`: an index of every .tgz file in DIR (sorted by file name), each entry's URL being
 * URL/FILE (URL NULL: "http://localhost/", KUDO's default). Archives that do not load are
 * left out and named in *warnings (one line each; may be NULL). */
int kd_repo_index_dir(kd_repo_index **out, kd_buf *warnings, const char *dir, const char *url);

/* What a package resolved through a repository came from. */
typedef struct {
	char *url;    /* the archive's URL (without credentials) */
	char *digest; /* its sha256 */
	char *operator_version, *app_version;
} kd_repo_pick;
void kd_repo_pick_clear(kd_repo_pick *p);

/* Resolves `name` in the repository at repo_url (newest unless the versions say otherwise),
 * downloads the archive (trying each URL of the entry in turn), checks its digest and loads
 * it. */
int kd_repo_load_package(kd_pkg **out, kd_repo_pick *pick, const char *repo_url, const char *name,
	const char *app_version, const char *operator_version, const kd_pkg_load_options *opts);

/* KUDO's archive name: "<name>-<appVersion>_<operatorVersion>.tgz", or
 * "<name>-<operatorVersion>.tgz" without appVersion. Caller frees. */
char *kd_pkg_archive_name(const kd_pkg *pkg);
/* The package's files as a reproducible .tgz (files at the top level, mode 0644, owner
 * root/0, time 0; gzip without a time stamp): the same package gives the same bytes. */
int kd_pkg_write_archive(kd_buf *out, const kd_pkg *pkg);

#endif
