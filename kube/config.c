/* kubeconfig loading: which files, how they merge, and how one context resolves into a
 * kd_kube_config. The rules are kubectl's (client-go clientcmd):
 *   --kubeconfig FILE       exactly that file (it must exist)
 *   KUBECONFIG=a:b:c        those files in order, missing ones skipped; for clusters, users and
 *                           contexts the first file that defines a name wins; current-context
 *                           comes from the first file that sets one
 *   otherwise               ~/.kube/config when it exists, else the in-cluster service account
 * Relative paths (certificate-authority, client-certificate, client-key, tokenFile and an exec
 * command containing a '/') resolve against the folder of the file that defined the entry. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/json.h"
#include "../base/yaml.h"
#include "internal.h"

#define KUBECONFIG_MAX ((size_t)16 << 20)
#define DEFAULT_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

typedef struct {
	const char *name;
	const cJSON *value; /* the "cluster"/"user"/"context" object; borrowed from a doc */
	const char *file;   /* borrowed from the loader */
	const kd_yaml_pos *pos;
} entry;

typedef struct {
	entry *v;
	size_t n, cap;
} entries;

typedef struct {
	cJSON *docs;        /* every parsed file, kept alive for the entries */
	kd_yaml_pos **pos;  /* one per file */
	char **files;       /* one per file */
	size_t nfiles;
	entries clusters, users, contexts;
	const char *current_context; /* borrowed */
	const char *current_file;
} loader;

static void entries_add(entries *e, const char *name, const cJSON *value, const char *file,
	const kd_yaml_pos *pos)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->v[i].name, name) == 0)
			return; /* the first file to define a name wins */
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 8;
		e->v = kd_realloc(e->v, e->cap * sizeof(*e->v));
	}
	e->v[e->n++] = (entry){name, value, file, pos};
}

static const entry *entries_find(const entries *e, const char *name)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->v[i].name, name) == 0)
			return &e->v[i];
	return NULL;
}

static void loader_free(loader *l)
{
	kd_kube__json_scrub_delete(l->docs); /* tokens, keys and passwords are in there */
	for (size_t i = 0; i < l->nfiles; i++) {
		kd_yaml_pos_free(l->pos[i]);
		free(l->files[i]);
	}
	free(l->pos);
	free(l->files);
	free(l->clusters.v);
	free(l->users.v);
	free(l->contexts.v);
	memset(l, 0, sizeof(*l));
}

static int pos_error(const kd_yaml_pos *pos, const char *file, const cJSON *node, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int pos_error(const kd_yaml_pos *pos, const char *file, const cJSON *node, const char *fmt, ...)
{
	int line = 0, col = 0;
	va_list ap;
	if (!pos || !node || kd_yaml_pos_get(pos, node, &line, &col) != 0)
		line = col = 0;
	va_start(ap, fmt);
	kd_error_vset_at(KD_ERR_KUBE, file, line, col, fmt, ap);
	va_end(ap);
	return KD_EINVALID;
}

/* Collects the named entries of one list ("clusters" with member "cluster", ...). */
static int collect_list(loader *l, entries *into, const cJSON *doc, const char *list_key,
	const char *member, const char *file, const kd_yaml_pos *pos)
{
	const cJSON *list = kd_json_get(doc, list_key);
	if (!list || cJSON_IsNull(list))
		return 0;
	if (!cJSON_IsArray(list))
		return pos_error(pos, file, list, "%s must be a list", list_key);
	const cJSON *it;
	cJSON_ArrayForEach(it, list)
	{
		if (!cJSON_IsObject(it))
			return pos_error(pos, file, it, "%s entries must be maps", list_key);
		const char *name = kd_json_get_str(it, "name");
		if (!name || !*name)
			return pos_error(pos, file, it, "%s entry without a name", list_key);
		const cJSON *v = kd_json_get(it, member);
		if (v && !cJSON_IsObject(v) && !cJSON_IsNull(v))
			return pos_error(pos, file, v, "%s \"%s\": %s must be a map", list_key, name, member);
		entries_add(into, name, v && cJSON_IsObject(v) ? v : NULL, file, pos);
	}
	(void)l;
	return 0;
}

/* Adds one kubeconfig document (text) to the loader. */
static int loader_add_text(loader *l, const char *file, const char *text, size_t len)
{
	cJSON *doc = NULL;
	kd_yaml_pos *pos = NULL;
	int rc = kd_yaml_parse_one(&doc, &pos, file, text, len);
	if (rc) {
		rc = KD_EINVALID;
		goto done;
	}
	if (!l->docs)
		l->docs = cJSON_CreateArray();
	l->pos = kd_realloc(l->pos, (l->nfiles + 1) * sizeof(*l->pos));
	l->files = kd_realloc(l->files, (l->nfiles + 1) * sizeof(*l->files));
	l->pos[l->nfiles] = pos;
	l->files[l->nfiles] = kd_strdup(file);
	const char *fname = l->files[l->nfiles];
	l->nfiles++;
	pos = NULL;
	cJSON_AddItemToArray(l->docs, doc);
	const kd_yaml_pos *p = l->pos[l->nfiles - 1];
	if (cJSON_IsNull(doc)) {
		doc = NULL;
		goto done; /* an empty file is an empty config */
	}
	if (!cJSON_IsObject(doc)) {
		rc = pos_error(p, fname, doc, "a kubeconfig must be a map");
		doc = NULL;
		goto done;
	}
	const cJSON *d = doc;
	doc = NULL; /* owned by l->docs now */
	if ((rc = collect_list(l, &l->clusters, d, "clusters", "cluster", fname, p)) ||
		(rc = collect_list(l, &l->users, d, "users", "user", fname, p)) ||
		(rc = collect_list(l, &l->contexts, d, "contexts", "context", fname, p)))
		goto done;
	const cJSON *cc = kd_json_get(d, "current-context");
	if (cc && !cJSON_IsString(cc) && !cJSON_IsNull(cc)) {
		rc = pos_error(p, fname, cc, "current-context must be a string");
		goto done;
	}
	if (!l->current_context && cJSON_IsString(cc) && *cc->valuestring) {
		l->current_context = cc->valuestring;
		l->current_file = fname;
	}
	rc = 0;
done:
	if (doc && !l->docs)
		cJSON_Delete(doc);
	kd_yaml_pos_free(pos);
	return rc;
}

static int loader_add_file(loader *l, const char *path, bool required)
{
	char *text = NULL;
	size_t len = 0;
	int rc = kd_kube__secret_file_read(&text, &len, path, KUBECONFIG_MAX);
	if (rc == KD_ENOTFOUND && !required) {
		kd_error_clear();
		return 0;
	}
	if (rc)
		return rc;
	rc = loader_add_text(l, path, text, len);
	kd_kube__scrub_free(text, len);
	return rc;
}

/* The folder of `file`, for resolving relative paths. */
static char *dir_of(const char *file)
{
	const char *slash = strrchr(file, '/');
	if (!slash)
		return kd_strdup(".");
	if (slash == file)
		return kd_strdup("/");
	return kd_strndup(file, (size_t)(slash - file));
}

static char *resolve_path(const char *file, const char *p)
{
	if (!p || !*p)
		return NULL;
	if (p[0] == '/')
		return kd_strdup(p);
	char *dir = dir_of(file);
	kd_buf b = KD_BUF_INIT;
	if (dir[0] != '/') {
		char cwd[PATH_MAX];
		if (getcwd(cwd, sizeof(cwd)))
			kd_buf_printf(&b, "%s/", cwd);
	}
	if (strcmp(dir, ".") != 0)
		kd_buf_printf(&b, "%s/", dir);
	kd_buf_puts(&b, p);
	free(dir);
	return kd_buf_detach(&b);
}

static char *dup_or_null(const char *s)
{
	return s && *s ? kd_strdup(s) : NULL;
}

void kd_kube_config_free(kd_kube_config *cfg)
{
	if (!cfg)
		return;
	kd_kube__scrub_str(cfg->server); /* may carry user:password@ */
	free(cfg->context_name);
	free(cfg->cluster_name);
	free(cfg->user_name);
	free(cfg->namespace_);
	free(cfg->source);
	free(cfg->ca_file);
	free(cfg->ca_data);
	free(cfg->tls_server_name);
	kd_kube__scrub_str(cfg->proxy_url);
	free(cfg->cert_file);
	free(cfg->key_file);
	kd_kube__scrub_free(cfg->cert_data, cfg->cert_len);
	kd_kube__scrub_free(cfg->key_data, cfg->key_len);
	kd_kube__scrub_str(cfg->token);
	free(cfg->token_file);
	free(cfg->username);
	kd_kube__scrub_str(cfg->password);
	free(cfg->exec_command);
	free(cfg->exec_api_version);
	free(cfg->exec_install_hint);
	/* plugin arguments and environment often carry a credential of their own */
	for (char **a = cfg->exec_args; a && *a; a++)
		kd_kube__scrub_str(*a);
	free(cfg->exec_args);
	for (char **a = cfg->exec_env; a && *a; a++)
		kd_kube__scrub_str(*a);
	free(cfg->exec_env);
	free(cfg);
}

/* A string field of a kubeconfig map; a non-string is an error naming its position. */
static int get_string(const char **out, const cJSON *obj, const char *key, const entry *e)
{
	*out = NULL;
	const cJSON *v = kd_json_get(obj, key);
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v))
		return pos_error(e->pos, e->file, v, "%s \"%s\": %s must be a string", "entry", e->name, key);
	*out = v->valuestring;
	return 0;
}

static int get_bool(bool *out, const cJSON *obj, const char *key, const entry *e)
{
	const cJSON *v = kd_json_get(obj, key);
	if (!v || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsBool(v)) {
		*out = cJSON_IsTrue(v);
		return 0;
	}
	if (cJSON_IsString(v) && (strcmp(v->valuestring, "true") == 0 || strcmp(v->valuestring, "false") == 0)) {
		*out = v->valuestring[0] == 't';
		return 0;
	}
	return pos_error(e->pos, e->file, v, "\"%s\": %s must be true or false", e->name, key);
}

/* Decodes a *-data field. The message never quotes the data. */
static int get_data(char **out, size_t *len, const cJSON *obj, const char *key, const entry *e)
{
	const char *s;
	int rc = get_string(&s, obj, key, e);
	if (rc || !s || !*s)
		return rc;
	if (kd_kube__b64_decode(out, len, s, strlen(s)))
		return pos_error(e->pos, e->file, kd_json_get(obj, key), "\"%s\": %s is not valid base64", e->name, key);
	return 0;
}

static char **strv_add(char **v, size_t *n, char *s)
{
	v = kd_realloc(v, (*n + 2) * sizeof(*v));
	v[(*n)++] = s;
	v[*n] = NULL;
	return v;
}

static int resolve_cluster(kd_kube_config *cfg, const entry *e)
{
	const cJSON *c = e->value;
	const char *server, *ca, *tsn, *proxy;
	int rc;
	if (!c)
		return kd_error_set(KD_ERR_KUBE, "%s: cluster \"%s\" is empty", e->file, e->name), KD_EINVALID;
	if ((rc = get_string(&server, c, "server", e)) || (rc = get_string(&ca, c, "certificate-authority", e)) ||
		(rc = get_string(&tsn, c, "tls-server-name", e)) || (rc = get_string(&proxy, c, "proxy-url", e)) ||
		(rc = get_bool(&cfg->insecure, c, "insecure-skip-tls-verify", e)) ||
		(rc = get_data(&cfg->ca_data, &cfg->ca_len, c, "certificate-authority-data", e)))
		return rc;
	if (!server || !*server)
		return pos_error(e->pos, e->file, c, "cluster \"%s\" has no server", e->name);
	cfg->server = kd_strdup(server);
	/* Trailing slashes would double up with API paths. */
	for (size_t n = strlen(cfg->server); n > 0 && cfg->server[n - 1] == '/'; n--)
		cfg->server[n - 1] = '\0';
	cfg->ca_file = resolve_path(e->file, ca);
	cfg->tls_server_name = dup_or_null(tsn);
	cfg->proxy_url = dup_or_null(proxy);
	return 0;
}

static int resolve_exec(kd_kube_config *cfg, const cJSON *x, const entry *e)
{
	const char *cmd, *apiv, *hint;
	int rc;
	if (!cJSON_IsObject(x))
		return pos_error(e->pos, e->file, x, "user \"%s\": exec must be a map", e->name);
	if ((rc = get_string(&cmd, x, "command", e)) || (rc = get_string(&apiv, x, "apiVersion", e)) ||
		(rc = get_string(&hint, x, "installHint", e)) ||
		(rc = get_bool(&cfg->exec_provide_cluster_info, x, "provideClusterInfo", e)))
		return rc;
	if (!cmd || !*cmd)
		return pos_error(e->pos, e->file, x, "user \"%s\": exec has no command", e->name);
	if (!apiv || (strcmp(apiv, "client.authentication.k8s.io/v1") != 0 &&
			     strcmp(apiv, "client.authentication.k8s.io/v1beta1") != 0))
		return pos_error(e->pos, e->file, x,
			"user \"%s\": exec apiVersion must be client.authentication.k8s.io/v1 or v1beta1", e->name);
	cfg->exec_command = strchr(cmd, '/') ? resolve_path(e->file, cmd) : kd_strdup(cmd);
	cfg->exec_api_version = kd_strdup(apiv);
	cfg->exec_install_hint = dup_or_null(hint);
	size_t n = 0;
	cfg->exec_args = kd_calloc(1, sizeof(char *));
	const cJSON *args = kd_json_get(x, "args"), *it;
	if (args && !cJSON_IsNull(args)) {
		if (!cJSON_IsArray(args))
			return pos_error(e->pos, e->file, args, "user \"%s\": exec args must be a list", e->name);
		cJSON_ArrayForEach(it, args)
		{
			if (!cJSON_IsString(it))
				return pos_error(e->pos, e->file, it, "user \"%s\": exec args must be strings", e->name);
			cfg->exec_args = strv_add(cfg->exec_args, &n, kd_strdup(it->valuestring));
		}
	}
	n = 0;
	cfg->exec_env = kd_calloc(1, sizeof(char *));
	const cJSON *env = kd_json_get(x, "env");
	if (env && !cJSON_IsNull(env)) {
		if (!cJSON_IsArray(env))
			return pos_error(e->pos, e->file, env, "user \"%s\": exec env must be a list", e->name);
		cJSON_ArrayForEach(it, env)
		{
			const char *k = kd_json_get_str(it, "name"), *v = kd_json_get_str(it, "value");
			if (!k || !*k || strchr(k, '=') || !v)
				return pos_error(e->pos, e->file, it, "user \"%s\": exec env entries need a name and a value",
					e->name);
			kd_buf b = KD_BUF_INIT;
			kd_buf_printf(&b, "%s=%s", k, v);
			cfg->exec_env = strv_add(cfg->exec_env, &n, kd_buf_detach(&b));
		}
	}
	return 0;
}

static int resolve_user(kd_kube_config *cfg, const entry *e)
{
	const cJSON *u = e->value;
	const char *cert, *key, *token, *token_file, *user, *pass;
	int rc;
	if (!u)
		return 0;
	if ((rc = get_string(&cert, u, "client-certificate", e)) || (rc = get_string(&key, u, "client-key", e)) ||
		(rc = get_string(&token, u, "token", e)) || (rc = get_string(&token_file, u, "tokenFile", e)) ||
		(rc = get_string(&user, u, "username", e)) || (rc = get_string(&pass, u, "password", e)) ||
		(rc = get_data(&cfg->cert_data, &cfg->cert_len, u, "client-certificate-data", e)) ||
		(rc = get_data(&cfg->key_data, &cfg->key_len, u, "client-key-data", e)))
		return rc;
	if (kd_json_get(u, "auth-provider"))
		return pos_error(e->pos, e->file, kd_json_get(u, "auth-provider"),
			"user \"%s\": auth-provider plugins are not supported (kubectl removed them too); use an exec plugin",
			e->name);
	if ((token && *token) && ((user && *user) || (pass && *pass)))
		return pos_error(e->pos, e->file, u, "user \"%s\": token and username/password are both set", e->name);
	cfg->cert_file = resolve_path(e->file, cert);
	cfg->key_file = resolve_path(e->file, key);
	cfg->token = dup_or_null(token);
	cfg->token_file = resolve_path(e->file, token_file);
	cfg->username = dup_or_null(user);
	cfg->password = pass ? kd_strdup(pass) : NULL;
	const cJSON *x = kd_json_get(u, "exec");
	if (x && !cJSON_IsNull(x))
		return resolve_exec(cfg, x, e);
	return 0;
}

static bool in_cluster_possible(const kd_kube_config_options *opts)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
	if (!host || !*host || !port || !*port)
		return false;
	const char *dir = opts && opts->in_cluster_dir ? opts->in_cluster_dir : DEFAULT_SA_DIR;
	kd_buf p = KD_BUF_INIT;
	kd_buf_printf(&p, "%s/token", dir);
	bool ok = access(kd_buf_cstr(&p), R_OK) == 0;
	kd_buf_free(&p);
	return ok;
}

static int load_in_cluster(kd_kube_config **out, const kd_kube_config_options *opts)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
	const char *dir = opts && opts->in_cluster_dir ? opts->in_cluster_dir : DEFAULT_SA_DIR;
	kd_kube_config *cfg = kd_calloc(1, sizeof(*cfg));
	kd_buf b = KD_BUF_INIT;
	char *ns = NULL;
	size_t nslen = 0;
	int rc = 0;
	cfg->in_cluster = true;
	cfg->source = kd_strdup("in-cluster");
	kd_buf_printf(&b, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port);
	cfg->server = kd_buf_detach(&b);
	kd_buf_printf(&b, "%s/token", dir);
	cfg->token_file = kd_buf_detach(&b);
	kd_buf_printf(&b, "%s/ca.crt", dir);
	cfg->ca_file = kd_buf_detach(&b);
	if (opts && opts->namespace_ && *opts->namespace_) {
		cfg->namespace_ = kd_strdup(opts->namespace_);
	} else {
		kd_buf_printf(&b, "%s/namespace", dir);
		if (kd_file_read(&ns, &nslen, kd_buf_cstr(&b), 4096) == 0) {
			while (nslen && (ns[nslen - 1] == '\n' || ns[nslen - 1] == ' '))
				ns[--nslen] = '\0';
			if (nslen)
				cfg->namespace_ = kd_strdup(ns);
		}
		kd_error_clear();
		kd_buf_free(&b);
	}
	if (!cfg->namespace_)
		cfg->namespace_ = kd_strdup("default");
	*out = cfg;
	cfg = NULL;
	free(ns);
	kd_buf_free(&b);
	kd_kube_config_free(cfg);
	return rc;
}

/* Turns the merged files into the config of one context. */
static int resolve(kd_kube_config **out, loader *l, const kd_kube_config_options *opts, bool allow_in_cluster)
{
	kd_kube_config *cfg = NULL;
	int rc = KD_ERROR;
	const char *ctx_name = opts && opts->context && *opts->context ? opts->context : l->current_context;
	if (!ctx_name) {
		if (allow_in_cluster && l->contexts.n == 0 && l->clusters.n == 0 && in_cluster_possible(opts))
			return load_in_cluster(out, opts);
		if (l->nfiles == 0)
			return kd_error_set(KD_ERR_KUBE,
				       "no kubeconfig found (--kubeconfig, $KUBECONFIG or ~/.kube/config) and not running inside a cluster"),
			       KD_ERROR;
		return kd_error_set(KD_ERR_KUBE, "%s: no current-context is set; name one with --context",
			       l->files[0]),
		       KD_ERROR;
	}
	const entry *ctx = entries_find(&l->contexts, ctx_name);
	if (!ctx) {
		kd_error_set(KD_ERR_KUBE, "context \"%s\" does not exist in %s%s", ctx_name,
			l->nfiles ? l->files[0] : "the kubeconfig", l->nfiles > 1 ? " (and the other KUBECONFIG files)" : "");
		return KD_ENOTFOUND;
	}
	cfg = kd_calloc(1, sizeof(*cfg));
	cfg->context_name = kd_strdup(ctx_name);
	cfg->source = kd_strdup(ctx->file);
	const char *cluster = NULL, *user = NULL, *ns = NULL;
	if (ctx->value) {
		if ((rc = get_string(&cluster, ctx->value, "cluster", ctx)) || (rc = get_string(&user, ctx->value, "user", ctx)) ||
			(rc = get_string(&ns, ctx->value, "namespace", ctx)))
			goto done;
	}
	if (opts && opts->cluster && *opts->cluster)
		cluster = opts->cluster;
	if (opts && opts->user && *opts->user)
		user = opts->user;
	if (!cluster || !*cluster) {
		rc = pos_error(ctx->pos, ctx->file, ctx->value, "context \"%s\" names no cluster", ctx_name);
		goto done;
	}
	const entry *ce = entries_find(&l->clusters, cluster);
	if (!ce) {
		kd_error_set(KD_ERR_KUBE, "cluster \"%s\" of context \"%s\" does not exist", cluster, ctx_name);
		rc = KD_ENOTFOUND;
		goto done;
	}
	cfg->cluster_name = kd_strdup(cluster);
	if ((rc = resolve_cluster(cfg, ce)))
		goto done;
	if (user && *user) {
		const entry *ue = entries_find(&l->users, user);
		if (!ue) {
			kd_error_set(KD_ERR_KUBE, "user \"%s\" of context \"%s\" does not exist", user, ctx_name);
			rc = KD_ENOTFOUND;
			goto done;
		}
		cfg->user_name = kd_strdup(user);
		if ((rc = resolve_user(cfg, ue)))
			goto done;
	}
	if (opts && opts->namespace_ && *opts->namespace_)
		cfg->namespace_ = kd_strdup(opts->namespace_);
	else if (ns && *ns)
		cfg->namespace_ = kd_strdup(ns);
	else
		cfg->namespace_ = kd_strdup("default");
	*out = cfg;
	cfg = NULL;
	rc = 0;
done:
	kd_kube_config_free(cfg);
	return rc;
}

int kd_kube_config_parse(kd_kube_config **out, const char *name, const char *text, size_t len,
	const kd_kube_config_options *opts)
{
	loader l = {0};
	*out = NULL;
	int rc = loader_add_text(&l, name, text, len);
	if (!rc)
		rc = resolve(out, &l, opts, false);
	loader_free(&l);
	return rc;
}

int kd_kube_config_load(kd_kube_config **out, const kd_kube_config_options *opts)
{
	loader l = {0};
	kd_buf path = KD_BUF_INIT;
	char *list = NULL;
	int rc = 0;
	*out = NULL;
	if (opts && opts->kubeconfig && *opts->kubeconfig) {
		rc = loader_add_file(&l, opts->kubeconfig, true);
		if (rc == KD_ENOTFOUND)
			kd_error_set(KD_ERR_KUBE, "kubeconfig %s does not exist", opts->kubeconfig);
		if (!rc)
			rc = resolve(out, &l, opts, false);
		goto done;
	}
	const char *env = getenv("KUBECONFIG");
	if (env && *env) {
		list = kd_strdup(env);
		char *save = NULL;
		for (char *p = list;; p = NULL) {
			char *f = strtok_r(p, ":", &save);
			if (!f)
				break;
			bool seen = false;
			for (size_t i = 0; i < l.nfiles; i++)
				seen = seen || strcmp(l.files[i], f) == 0;
			if (!seen && (rc = loader_add_file(&l, f, false)))
				goto done;
		}
	} else {
		const char *home = getenv("HOME");
		if (home && *home) {
			kd_buf_printf(&path, "%s/.kube/config", home);
			if ((rc = loader_add_file(&l, kd_buf_cstr(&path), false)))
				goto done;
		}
	}
	rc = resolve(out, &l, opts, true);
done:
	free(list);
	kd_buf_free(&path);
	loader_free(&l);
	return rc;
}

const char *kd_kube_config_server(const kd_kube_config *cfg)
{
	return cfg->server;
}
const char *kd_kube_config_namespace(const kd_kube_config *cfg)
{
	return cfg->namespace_ ? cfg->namespace_ : "default";
}
const char *kd_kube_config_context(const kd_kube_config *cfg)
{
	return cfg->context_name;
}
const char *kd_kube_config_cluster(const kd_kube_config *cfg)
{
	return cfg->cluster_name;
}
const char *kd_kube_config_user(const kd_kube_config *cfg)
{
	return cfg->user_name;
}
const char *kd_kube_config_ca_file(const kd_kube_config *cfg)
{
	return cfg->ca_file;
}
const char *kd_kube_config_cert_file(const kd_kube_config *cfg)
{
	return cfg->cert_file;
}
const char *kd_kube_config_key_file(const kd_kube_config *cfg)
{
	return cfg->key_file;
}
const char *kd_kube_config_token_file(const kd_kube_config *cfg)
{
	return cfg->token_file;
}
const char *kd_kube_config_exec_command(const kd_kube_config *cfg)
{
	return cfg->exec_command;
}
bool kd_kube_config_insecure(const kd_kube_config *cfg)
{
	return cfg->insecure;
}
bool kd_kube_config_in_cluster(const kd_kube_config *cfg)
{
	return cfg->in_cluster;
}

const char *kd_kube_config_auth_kind(const kd_kube_config *cfg)
{
	if (cfg->token)
		return "token";
	if (cfg->username || cfg->password)
		return "basic";
	if (cfg->cert_data || cfg->cert_file)
		return "client-certificate";
	if (cfg->token_file)
		return "token-file";
	if (cfg->exec_command)
		return "exec";
	return "none";
}


int kd_kube__b64_decode(char **out, size_t *out_len, const char *in, size_t len)
{
	/* Go's strict decoder, after dropping the white space YAML folding leaves in long values.
	 * Both buffers are sized up front (key data is decoded here): no realloc leaves a copy. */
	kd_buf clean = KD_BUF_INIT, dec = KD_BUF_INIT;
	*out = NULL;
	kd_kube__secret_reserve(&clean, len);
	kd_kube__secret_reserve(&dec, len / 4 * 3 + 3);
	for (size_t i = 0; i < len; i++)
		if (in[i] != ' ' && in[i] != '\t' && in[i] != '\n' && in[i] != '\r')
			kd_buf_putc(&clean, in[i]);
	int rc = kd_base64_decode(&dec, kd_buf_cstr(&clean), clean.len, NULL);
	kd_kube__secret_buf_free(&clean);
	if (rc) {
		kd_kube__secret_buf_free(&dec);
		return KD_EINVALID;
	}
	*out_len = dec.len;
	*out = kd_buf_detach(&dec);
	return 0;
}

static char *dupn(const char *s)
{
	return s ? kd_strdup(s) : NULL;
}

static char *dupmem(const char *s, size_t n)
{
	if (!s)
		return NULL;
	char *p = kd_malloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static char **dupv(char **v)
{
	size_t n = 0;
	for (char **a = v; a && *a; a++)
		n++;
	char **r = kd_calloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		r[i] = kd_strdup(v[i]);
	return r;
}

kd_kube_config *kd_kube__config_dup(const kd_kube_config *s)
{
	kd_kube_config *d = kd_calloc(1, sizeof(*d));
	d->server = dupn(s->server);
	d->context_name = dupn(s->context_name);
	d->cluster_name = dupn(s->cluster_name);
	d->user_name = dupn(s->user_name);
	d->namespace_ = dupn(s->namespace_);
	d->source = dupn(s->source);
	d->ca_file = dupn(s->ca_file);
	d->ca_data = dupmem(s->ca_data, s->ca_len);
	d->ca_len = s->ca_len;
	d->insecure = s->insecure;
	d->tls_server_name = dupn(s->tls_server_name);
	d->proxy_url = dupn(s->proxy_url);
	d->cert_file = dupn(s->cert_file);
	d->key_file = dupn(s->key_file);
	d->cert_data = dupmem(s->cert_data, s->cert_len);
	d->cert_len = s->cert_len;
	d->key_data = dupmem(s->key_data, s->key_len);
	d->key_len = s->key_len;
	d->token = dupn(s->token);
	d->token_file = dupn(s->token_file);
	d->username = dupn(s->username);
	d->password = dupn(s->password);
	d->exec_command = dupn(s->exec_command);
	d->exec_api_version = dupn(s->exec_api_version);
	d->exec_args = s->exec_args ? dupv(s->exec_args) : NULL;
	d->exec_env = s->exec_env ? dupv(s->exec_env) : NULL;
	d->exec_install_hint = dupn(s->exec_install_hint);
	d->exec_provide_cluster_info = s->exec_provide_cluster_info;
	d->in_cluster = s->in_cluster;
	return d;
}
