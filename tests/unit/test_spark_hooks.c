/* The Spark package's Lua hooks (packages/spark/hooks/), run against the hook API of issue 9
 * (params, instance, kube.get/list/ready/pods, log, kudoc.lib("leader")) over a cluster held in
 * a file, so their decisions are proven before kudoc's own hook runner exists. params are the
 * package's resolved parameters as templates see them (params/), kube.ready is kube/'s real
 * readiness; the sandbox opens only the libraries issue 9 allows.
 *
 *   tests/spark-hooks/<case>/hook         the hook's file name under packages/spark/hooks/
 *   tests/spark-hooks/<case>/args         optional: name=value per line, as -p flags
 *   tests/spark-hooks/<case>/instance     optional: "NAME NAMESPACE" (default spark-instance
 *                                         spark-operator)
 *   tests/spark-hooks/<case>/cluster.yaml optional: the objects kube.* sees, one per document
 *   tests/spark-hooks/<case>/leader       optional: what the mock leader.check returns:
 *                                         "true", or "false: REASON"
 *   tests/spark-hooks/<case>/expected     first line "true", "false[: SUBSTRING]" or
 *                                         "error[: SUBSTRING]"; each further line must occur in
 *                                         the record of calls ("leader.check namespace=...
 *                                         lock=... kind=... pods=N", "log: ..."), or, after a
 *                                         "!", must not
 *
 * When lua/ lands, these cases can run through its runner instead of this stand-in. */
#include <dirent.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../base/base.h"
#include "../../base/json.h"
#include "../../base/yaml.h"
#include "../../kube/kube.h"
#include "../../operator/operator.h"
#include "../../params/params.h"
#include "spark_hooks.h"
#include "test.h"

#define MAX_DEPTH 64

typedef struct {
	cJSON *cluster;         /* array of objects (file mode) */
	kd_kube_client *live;   /* or a real cluster (e2e mode) */
	kd_buf *record;         /* calls of leader.check and log lines */
	const char *leader;     /* the mock leader.check's answer (file mode) */
} hook_env;

static hook_env *env_of(lua_State *L)
{
	lua_getfield(L, LUA_REGISTRYINDEX, "kd_hook_env");
	hook_env *e = lua_touserdata(L, -1);
	lua_pop(L, 1);
	return e;
}

static void push_json(lua_State *L, const cJSON *v, int depth)
{
	luaL_checkstack(L, 4, "json nesting");
	if (depth > MAX_DEPTH || !v || cJSON_IsNull(v)) {
		lua_pushnil(L);
	} else if (cJSON_IsBool(v)) {
		lua_pushboolean(L, cJSON_IsTrue(v));
	} else if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		if (d >= -9007199254740992.0 && d <= 9007199254740992.0 && floor(d) == d)
			lua_pushinteger(L, (lua_Integer)v->valuedouble);
		else
			lua_pushnumber(L, v->valuedouble);
	} else if (cJSON_IsString(v)) {
		lua_pushstring(L, v->valuestring);
	} else if (cJSON_IsArray(v)) {
		lua_createtable(L, cJSON_GetArraySize(v), 0);
		lua_Integer i = 1;
		for (const cJSON *c = v->child; c; c = c->next, i++) {
			push_json(L, c, depth + 1);
			lua_rawseti(L, -2, i);
		}
	} else {
		lua_createtable(L, 0, cJSON_GetArraySize(v));
		for (const cJSON *c = v->child; c; c = c->next) {
			push_json(L, c, depth + 1);
			lua_setfield(L, -2, c->string);
		}
	}
}

/* A Lua value as JSON: a table whose keys are exactly 1..n (n > 0) is an array, any other table an
 * object with its string keys. */
static cJSON *to_json(lua_State *L, int idx, int depth)
{
	idx = lua_absindex(L, idx);
	switch (lua_type(L, idx)) {
	case LUA_TBOOLEAN:
		return cJSON_CreateBool(lua_toboolean(L, idx));
	case LUA_TNUMBER:
		return cJSON_CreateNumber(lua_tonumber(L, idx));
	case LUA_TSTRING:
		return cJSON_CreateString(lua_tostring(L, idx));
	case LUA_TTABLE:
		break;
	default:
		return cJSON_CreateNull();
	}
	if (depth > MAX_DEPTH)
		return cJSON_CreateNull();
	lua_Integer n = (lua_Integer)lua_rawlen(L, idx), count = 0;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		count++;
		lua_pop(L, 1);
	}
	cJSON *out;
	if (n > 0 && count == n) {
		out = cJSON_CreateArray();
		for (lua_Integer i = 1; i <= n; i++) {
			lua_rawgeti(L, idx, i);
			cJSON_AddItemToArray(out, to_json(L, -1, depth + 1));
			lua_pop(L, 1);
		}
		return out;
	}
	out = cJSON_CreateObject();
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		if (lua_type(L, -2) == LUA_TSTRING)
			cJSON_AddItemToObject(out, lua_tostring(L, -2), to_json(L, -1, depth + 1));
		lua_pop(L, 1);
	}
	return out;
}

static const char *meta_str(const cJSON *obj, const char *field)
{
	const cJSON *v = kd_json_path(obj, "metadata", field, NULL);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool str_eq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* Whether every label of `want` (an object of strings) is on `obj`. */
static bool labels_match(const cJSON *obj, const cJSON *want)
{
	const cJSON *have = kd_json_path(obj, "metadata", "labels", NULL);
	for (const cJSON *w = want ? want->child : NULL; w; w = w->next) {
		const cJSON *h = cJSON_GetObjectItemCaseSensitive(have, w->string);
		if (!cJSON_IsString(h) || !cJSON_IsString(w) || strcmp(h->valuestring, w->valuestring) != 0)
			return false;
	}
	return true;
}

/* "a=b,c=d" as an object {a: b, c: d}; NULL for a malformed selector. */
static cJSON *parse_selector(const char *sel)
{
	cJSON *out = cJSON_CreateObject();
	const char *p = sel;
	while (*p) {
		size_t n = strcspn(p, ",");
		const char *eq = memchr(p, '=', n);
		if (!eq || eq == p) {
			cJSON_Delete(out);
			return NULL;
		}
		char *k = kd_strndup(p, (size_t)(eq - p)), *v = kd_strndup(eq + 1, n - (size_t)(eq - p) - 1);
		cJSON_AddStringToObject(out, k, v);
		free(k);
		free(v);
		p += n;
		if (*p == ',')
			p++;
	}
	return out;
}

static bool same_kind(const cJSON *obj, const char *api_version, const char *kind)
{
	return str_eq(kd_json_get_str(obj, "apiVersion"), api_version) && str_eq(kd_json_get_str(obj, "kind"), kind);
}

/* kube.get(apiVersion, kind, name [, namespace]): the object, or nil. Without a namespace only
 * cluster-scoped objects (no metadata.namespace) match. */
static int l_get(lua_State *L)
{
	const char *av = luaL_checkstring(L, 1), *kind = luaL_checkstring(L, 2), *name = luaL_checkstring(L, 3);
	const char *ns = luaL_optstring(L, 4, NULL);
	hook_env *e = env_of(L);
	if (e->live) {
		cJSON *obj = NULL;
		kd_kube_ref ref = {av, kind, ns, name, NULL};
		int rc = kd_kube_get(&obj, e->live, &ref);
		if (rc == KD_ENOTFOUND) {
			lua_pushnil(L);
			return 1;
		}
		if (rc)
			return luaL_error(L, "kube.get: %s", kd_error_last());
		push_json(L, obj, 0);
		cJSON_Delete(obj);
		return 1;
	}
	for (const cJSON *o = e->cluster ? e->cluster->child : NULL; o; o = o->next) {
		if (same_kind(o, av, kind) && str_eq(meta_str(o, "name"), name) && str_eq(meta_str(o, "namespace"), ns)) {
			push_json(L, o, 0);
			return 1;
		}
	}
	lua_pushnil(L);
	return 1;
}

/* kube.list(apiVersion, kind, {namespace=, labels="a=b,..."}): an array of objects. */
static int l_list(lua_State *L)
{
	const char *av = luaL_checkstring(L, 1), *kind = luaL_checkstring(L, 2);
	const char *ns = NULL, *labels = NULL;
	if (lua_istable(L, 3)) {
		lua_getfield(L, 3, "namespace");
		ns = lua_tostring(L, -1);
		lua_getfield(L, 3, "labels");
		labels = lua_tostring(L, -1);
	}
	hook_env *e = env_of(L);
	if (e->live) {
		cJSON *list = NULL;
		kd_kube_ref ref = {av, kind, ns, NULL, NULL};
		kd_kube_list_options lo = KD_KUBE_LIST_OPTIONS_INIT;
		lo.label_selector = labels;
		if (kd_kube_list(&list, e->live, &ref, &lo))
			return luaL_error(L, "kube.list: %s", kd_error_last());
		push_json(L, kd_json_get(list, "items"), 0);
		cJSON_Delete(list);
		return 1;
	}
	cJSON *sel = labels ? parse_selector(labels) : NULL;
	if (labels && !sel)
		return luaL_error(L, "kube.list: bad label selector %s", labels);
	lua_newtable(L);
	lua_Integer i = 1;
	for (const cJSON *o = e->cluster ? e->cluster->child : NULL; o; o = o->next) {
		if (same_kind(o, av, kind) && (!ns || str_eq(meta_str(o, "namespace"), ns)) && labels_match(o, sel)) {
			push_json(L, o, 0);
			lua_rawseti(L, -2, i++);
		}
	}
	cJSON_Delete(sel);
	return 1;
}

/* kube.pods(workload): the pods of its namespace that its spec.selector.matchLabels selects. */
static int l_pods(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	cJSON *obj = to_json(L, 1, 0);
	const cJSON *want = kd_json_path(obj, "spec", "selector", "matchLabels", NULL);
	const char *ns = meta_str(obj, "namespace");
	hook_env *e = env_of(L);
	if (e->live) {
		cJSON *pods = NULL;
		int rc = kd_kube_workload_pods(&pods, e->live, obj);
		cJSON_Delete(obj);
		if (rc)
			return luaL_error(L, "kube.pods: %s", kd_error_last());
		push_json(L, pods, 0);
		cJSON_Delete(pods);
		return 1;
	}
	lua_newtable(L);
	lua_Integer i = 1;
	for (const cJSON *o = e->cluster ? e->cluster->child : NULL; want && o; o = o->next) {
		if (same_kind(o, "v1", "Pod") && str_eq(meta_str(o, "namespace"), ns) && labels_match(o, want)) {
			push_json(L, o, 0);
			lua_rawseti(L, -2, i++);
		}
	}
	cJSON_Delete(obj);
	return 1;
}

/* kube.ready(obj): kube/'s readiness, {state=, reason=, ready=}. */
static int l_ready(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	cJSON *obj = to_json(L, 1, 0);
	kd_kube_status st;
	kd_kube_status_compute(&st, obj, NULL);
	cJSON_Delete(obj);
	lua_createtable(L, 0, 3);
	lua_pushstring(L, kd_kube_state_name(st.state));
	lua_setfield(L, -2, "state");
	lua_pushstring(L, st.reason);
	lua_setfield(L, -2, "reason");
	lua_pushboolean(L, st.state == KD_KUBE_CURRENT);
	lua_setfield(L, -2, "ready");
	return 1;
}

static int l_log(lua_State *L)
{
	int n = lua_gettop(L);
	lua_getglobal(L, "string");
	lua_getfield(L, -1, "format");
	for (int i = 1; i <= n; i++)
		lua_pushvalue(L, i);
	lua_call(L, n, 1);
	kd_buf_printf(env_of(L)->record, "log: %s\n", lua_tostring(L, -1));
	return 0;
}

static int l_now(lua_State *L)
{
	lua_pushinteger(L, 1764576000); /* 2025-12-01T08:00:00Z: fixed, the hooks here do not use it */
	return 1;
}

static const char *field_str(lua_State *L, int idx, const char *name)
{
	lua_getfield(L, idx, name);
	const char *s = lua_isstring(L, -1) ? lua_tostring(L, -1) : "(none)";
	lua_pop(L, 1);
	return s;
}

static bool pod_ready(const cJSON *pod)
{
	if (kd_json_path(pod, "metadata", "deletionTimestamp", NULL))
		return false;
	const cJSON *conds = kd_json_path(pod, "status", "conditions", NULL);
	for (const cJSON *c = conds ? conds->child : NULL; c; c = c->next)
		if (str_eq(kd_json_get_str(c, "type"), "Ready"))
			return str_eq(kd_json_get_str(c, "status"), "True");
	return false;
}

/* In e2e mode, what lua/lib/leader.lua's check decides (issue 9), done here in C: exactly one
 * Ready pod of `pods` holds the ConfigMap lock and renewed it within its lease duration. */
static int live_leader_verdict(kd_buf *reason, kd_kube_client *c, const char *ns, const char *lock,
	const cJSON *pods)
{
	kd_kube_leader_record rec = KD_KUBE_LEADER_RECORD_INIT;
	int rc = kd_kube_leader_get(&rec, c, KD_KUBE_LOCK_CONFIGMAP, ns, lock);
	bool ok = false;
	if (rc == KD_ENOTFOUND) {
		kd_buf_printf(reason, "no leader record in configmap %s/%s", ns, lock);
		goto done;
	}
	if (rc) {
		kd_buf_printf(reason, "%s", kd_error_last());
		goto done;
	}
	const cJSON *holder = NULL;
	for (const cJSON *p = pods ? pods->child : NULL; p; p = p->next)
		if (str_eq(meta_str(p, "name"), rec.holder))
			holder = p;
	if (!holder) {
		kd_buf_printf(reason, "holder %s is not a pod of this instance", rec.holder);
		goto done;
	}
	if (!pod_ready(holder)) {
		kd_buf_printf(reason, "holder %s is not Ready", rec.holder);
		goto done;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t age_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000 - rec.renew_time_us;
	if (age_us > (int64_t)rec.lease_duration_s * 1000000) {
		kd_buf_printf(reason, "lease not renewed for %lld s (duration %ld s)", (long long)(age_us / 1000000),
			rec.lease_duration_s);
		goto done;
	}
	ok = true;
done:
	kd_kube_leader_record_clear(&rec);
	return ok ? 0 : KD_ERROR;
}

/* leader.check{namespace=, lock=, kind=, pods=}: records its arguments; answers as the case says,
 * or, against a real cluster, with the lock's real state. */
static int l_leader_check(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	hook_env *e = env_of(L);
	lua_getfield(L, 1, "pods");
	lua_Integer npods = lua_istable(L, -1) ? (lua_Integer)lua_rawlen(L, -1) : -1;
	cJSON *pods = lua_istable(L, -1) ? to_json(L, -1, 0) : NULL;
	lua_pop(L, 1);
	char *ns = kd_strdup(field_str(L, 1, "namespace")), *lock = kd_strdup(field_str(L, 1, "lock"));
	kd_buf_printf(e->record, "leader.check namespace=%s lock=%s kind=%s pods=%lld\n", ns, lock,
		field_str(L, 1, "kind"), (long long)npods);
	int nret = 1;
	if (e->live) {
		kd_buf reason = KD_BUF_INIT;
		bool ok = live_leader_verdict(&reason, e->live, ns, lock, pods) == 0;
		lua_pushboolean(L, ok);
		if (!ok) {
			lua_pushstring(L, kd_buf_cstr(&reason));
			nret = 2;
		}
		kd_buf_free(&reason);
	} else {
		const char *ans = e->leader ? e->leader : "true";
		const char *reason = strstr(ans, ": ");
		lua_pushboolean(L, strncmp(ans, "true", 4) == 0);
		if (strncmp(ans, "true", 4) != 0) {
			lua_pushlstring(L, reason ? reason + 2 : "", reason ? strcspn(reason + 2, "\n") : 0);
			nret = 2;
		}
	}
	cJSON_Delete(pods);
	free(ns);
	free(lock);
	return nret;
}

static int l_lib(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	if (strcmp(name, "leader") != 0)
		return luaL_error(L, "kudoc.lib: no library %s", name);
	lua_newtable(L);
	lua_pushcfunction(L, l_leader_check);
	lua_setfield(L, -2, "check");
	return 1;
}

static int traceback(lua_State *L)
{
	luaL_traceback(L, L, lua_tostring(L, 1), 1);
	return 1;
}

/* The sandbox of issue 9: base (without dofile/loadfile), string, table, math, utf8. */
static void open_sandbox(lua_State *L)
{
	const luaL_Reg libs[] = {{LUA_GNAME, luaopen_base}, {LUA_STRLIBNAME, luaopen_string},
		{LUA_TABLIBNAME, luaopen_table}, {LUA_MATHLIBNAME, luaopen_math}, {LUA_UTF8LIBNAME, luaopen_utf8}};
	for (size_t i = 0; i < KD_ARRAY_SIZE(libs); i++) {
		luaL_requiref(L, libs[i].name, libs[i].func, 1);
		lua_pop(L, 1);
	}
	lua_pushnil(L);
	lua_setglobal(L, "dofile");
	lua_pushnil(L);
	lua_setglobal(L, "loadfile");
}

static void run_lua(kd_buf *out, hook_env *env, const char *script, const cJSON *params,
	const char *inst_name, const char *inst_ns)
{
	lua_State *L = luaL_newstate();
	open_sandbox(L);
	lua_pushlightuserdata(L, env);
	lua_setfield(L, LUA_REGISTRYINDEX, "kd_hook_env");

	push_json(L, params, 0);
	lua_setglobal(L, "params");
	lua_createtable(L, 0, 6);
	lua_pushstring(L, inst_name);
	lua_setfield(L, -2, "name");
	lua_pushstring(L, inst_ns);
	lua_setfield(L, -2, "namespace");
	lua_pushinteger(L, 1);
	lua_setfield(L, -2, "revision");
	lua_pushstring(L, "deploy");
	lua_setfield(L, -2, "plan");
	lua_setglobal(L, "instance");
	const luaL_Reg kube[] = {{"get", l_get}, {"list", l_list}, {"pods", l_pods}, {"ready", l_ready}, {NULL, NULL}};
	luaL_newlib(L, kube);
	lua_setglobal(L, "kube");
	const luaL_Reg kudoc[] = {{"lib", l_lib}, {NULL, NULL}};
	luaL_newlib(L, kudoc);
	lua_setglobal(L, "kudoc");
	lua_register(L, "log", l_log);
	lua_register(L, "now", l_now);

	lua_pushcfunction(L, traceback);
	int base = lua_gettop(L);
	if (luaL_loadfilex(L, script, "t") != LUA_OK) {
		kd_buf_printf(out, "error: %s", lua_tostring(L, -1));
	} else if (lua_pcall(L, 0, LUA_MULTRET, base) != LUA_OK) {
		kd_buf_printf(out, "error: %s", lua_tostring(L, -1));
	} else if (lua_gettop(L) > base && lua_toboolean(L, base + 1)) {
		kd_buf_puts(out, "true");
	} else if (lua_gettop(L) > base + 1 && lua_isstring(L, base + 2)) {
		kd_buf_printf(out, "false: %s", lua_tostring(L, base + 2));
	} else {
		kd_buf_puts(out, "false");
	}
	lua_close(L);
}

int kd_test_spark_hook_run(kd_buf *out, kd_buf *record, const kd_test_spark_hook *h)
{
	kd_buf pkgdir = KD_BUF_INIT, script = KD_BUF_INIT;
	kd_pkg *pkg = NULL;
	kd_params *params = NULL;
	cJSON *pmap = NULL;
	hook_env env = {(cJSON *)h->cluster, h->live, record, h->leader};
	int rc = KD_ERROR;
	kd_buf_printf(&pkgdir, "%s/packages/spark", kd_test_root());
	kd_params_options po = KD_PARAMS_OPTIONS_INIT;
	po.flags = h->flags;
	po.nflags = h->nflags;
	if (kd_pkg_load(&pkg, kd_buf_cstr(&pkgdir), NULL) || kd_params_resolve(&params, pkg, &po) ||
		kd_params_to_template(&pmap, params))
		goto done;
	kd_buf_printf(&script, "%s/hooks/%s", kd_buf_cstr(&pkgdir), h->hook);
	run_lua(out, &env, kd_buf_cstr(&script), pmap, h->instance ? h->instance : "spark-instance",
		h->namespace_ ? h->namespace_ : "spark-operator");
	rc = 0;
done:
	cJSON_Delete(pmap);
	kd_params_free(params);
	kd_pkg_free(pkg);
	kd_buf_free(&pkgdir);
	kd_buf_free(&script);
	return rc;
}

static char *read_opt(const char *dir, const char *name)
{
	char path[4608];
	char *data = NULL;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (kd_file_read(&data, NULL, path, 0))
		return NULL;
	return data;
}

static void run_case(const char *name, const char *dir)
{
	kd_buf why = KD_BUF_INIT, got = KD_BUF_INIT, record = KD_BUF_INIT;
	char *hook = read_opt(dir, "hook"), *args = read_opt(dir, "args"), *inst = read_opt(dir, "instance");
	char *cluster_text = read_opt(dir, "cluster.yaml"), *expected = read_opt(dir, "expected");
	char *leader = read_opt(dir, "leader");
	cJSON *cluster = NULL;
	const char *flags[64];
	size_t nflags = 0;
	char iname[128] = "spark-instance", ins[128] = "spark-operator";
	bool ok = true;

	if (!hook || !expected) {
		kd_buf_puts(&why, "  the case needs hook and expected\n");
		ok = false;
		goto done;
	}
	hook[strcspn(hook, "\n")] = '\0';
	for (char *line = args; line && *line && nflags < KD_ARRAY_SIZE(flags);) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (*line)
			flags[nflags++] = line;
		line = nl ? nl + 1 : NULL;
	}
	if (cluster_text && kd_yaml_parse_all(&cluster, NULL, "cluster.yaml", cluster_text, strlen(cluster_text))) {
		kd_buf_printf(&why, "  %s\n", kd_error_last());
		ok = false;
		goto done;
	}
	if (inst && sscanf(inst, "%127s %127s", iname, ins) != 2) {
		kd_buf_puts(&why, "  instance must be \"NAME NAMESPACE\"\n");
		ok = false;
		goto done;
	}
	kd_test_spark_hook h = {hook, flags, nflags, iname, ins, cluster, NULL, leader};
	if (kd_test_spark_hook_run(&got, &record, &h)) {
		kd_buf_printf(&why, "  parameters: %s\n", kd_error_last());
		ok = false;
		goto done;
	}

	/* First line: the verdict (and a substring of its reason); then lines of the record. */
	char *rest = strchr(expected, '\n');
	if (rest)
		*rest++ = '\0';
	const char *want = expected, *colon = strstr(expected, ": ");
	size_t kind_len = colon ? (size_t)(colon - want) : strlen(want);
	const char *g = kd_buf_cstr(&got);
	if (strncmp(g, want, kind_len) != 0 || (g[kind_len] != '\0' && g[kind_len] != ':') ||
		(colon && !strstr(g, colon + 2))) {
		ok = false;
		kd_buf_printf(&why, "  want: %s\n  got:  %s\n", want, g);
	}
	for (char *line = rest; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		bool negate = *line == '!';
		const char *text = negate ? line + 1 : line;
		if (*text && (strstr(kd_buf_cstr(&record), text) != NULL) == negate) {
			ok = false;
			kd_buf_printf(&why, "  calls %s: %s\n  calls were:\n%s", negate ? "have" : "lack", text,
				kd_buf_cstr(&record));
		}
		line = nl ? nl + 1 : NULL;
	}
done:
	kd_test_case_result(name, ok, kd_buf_cstr(&why));
	cJSON_Delete(cluster);
	free(leader);
	free(hook);
	free(args);
	free(inst);
	free(cluster_text);
	free(expected);
	kd_buf_free(&why);
	kd_buf_free(&got);
	kd_buf_free(&record);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

TEST(spark_hook_cases)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/tests/spark-hooks", kd_test_root());
	DIR *d = opendir(path);
	char **names = NULL;
	size_t n = 0;
	if (!CHECK(d != NULL))
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		names = kd_realloc(names, (n + 1) * sizeof(char *));
		names[n++] = kd_strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(char *), cmp_names);
	for (size_t i = 0; i < n; i++) {
		char dir[4608], name[512];
		snprintf(dir, sizeof dir, "%s/%s", path, names[i]);
		snprintf(name, sizeof name, "spark-hooks/%s", names[i]);
		run_case(name, dir);
		free(names[i]);
	}
	free(names);
	CHECK(n > 0);
}
