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

#include "../../base/base.h"
#include "../../base/json.h"
#include "../../base/yaml.h"
#include "../../kube/kube.h"
#include "../../operator/operator.h"
#include "../../params/params.h"
#include "test.h"

#define MAX_DEPTH 64

typedef struct {
	cJSON *cluster; /* array of objects */
	kd_buf record;  /* calls of leader.check and log lines */
	char *leader;   /* the mock leader.check's answer */
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
	cJSON *sel = labels ? parse_selector(labels) : NULL;
	if (labels && !sel)
		return luaL_error(L, "kube.list: bad label selector %s", labels);
	hook_env *e = env_of(L);
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

/* kube.ready(obj): kube/'s readiness, {state=, reason=}. */
static int l_ready(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	cJSON *obj = to_json(L, 1, 0);
	kd_kube_status st;
	kd_kube_status_compute(&st, obj, NULL);
	cJSON_Delete(obj);
	lua_createtable(L, 0, 2);
	lua_pushstring(L, kd_kube_state_name(st.state));
	lua_setfield(L, -2, "state");
	lua_pushstring(L, st.reason);
	lua_setfield(L, -2, "reason");
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
	kd_buf_printf(&env_of(L)->record, "log: %s\n", lua_tostring(L, -1));
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

/* leader.check{namespace=, lock=, kind=, pods=}: records its arguments, answers as the case says. */
static int l_leader_check(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	hook_env *e = env_of(L);
	lua_getfield(L, 1, "pods");
	lua_Integer npods = lua_istable(L, -1) ? (lua_Integer)lua_rawlen(L, -1) : -1;
	lua_pop(L, 1);
	char *ns = kd_strdup(field_str(L, 1, "namespace")), *lock = kd_strdup(field_str(L, 1, "lock"));
	kd_buf_printf(&e->record, "leader.check namespace=%s lock=%s kind=%s pods=%lld\n", ns, lock,
		field_str(L, 1, "kind"), (long long)npods);
	free(ns);
	free(lock);
	const char *ans = e->leader ? e->leader : "true";
	if (strncmp(ans, "true", 4) == 0) {
		lua_pushboolean(L, 1);
		return 1;
	}
	const char *reason = strstr(ans, ": ");
	lua_pushboolean(L, 0);
	lua_pushlstring(L, reason ? reason + 2 : "", reason ? strcspn(reason + 2, "\n") : 0);
	return 2;
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

static char *read_opt(const char *dir, const char *name)
{
	char path[4608];
	char *data = NULL;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (kd_file_read(&data, NULL, path, 0))
		return NULL;
	return data;
}

/* Runs the hook; *out gets "true", "false: REASON" or "error: MESSAGE". */
static void run_hook(kd_buf *out, hook_env *env, const char *script, const cJSON *params,
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

static void run_case(const char *name, const char *dir)
{
	kd_buf why = KD_BUF_INIT, got = KD_BUF_INIT, script = KD_BUF_INIT, pkgdir = KD_BUF_INIT;
	hook_env env = {NULL, KD_BUF_INIT, NULL};
	char *hook = read_opt(dir, "hook"), *args = read_opt(dir, "args"), *inst = read_opt(dir, "instance");
	char *cluster = read_opt(dir, "cluster.yaml"), *expected = read_opt(dir, "expected");
	const char *flags[64];
	size_t nflags = 0;
	kd_pkg *pkg = NULL;
	kd_params *params = NULL;
	cJSON *pmap = NULL;
	bool ok = true;

	env.leader = read_opt(dir, "leader");
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
	kd_buf_printf(&pkgdir, "%s/packages/spark", kd_test_root());
	kd_params_options po = KD_PARAMS_OPTIONS_INIT;
	po.flags = flags;
	po.nflags = nflags;
	if (kd_pkg_load(&pkg, kd_buf_cstr(&pkgdir), NULL) || kd_params_resolve(&params, pkg, &po) ||
		kd_params_to_template(&pmap, params)) {
		kd_buf_printf(&why, "  parameters: %s\n", kd_error_last());
		ok = false;
		goto done;
	}
	if (cluster && kd_yaml_parse_all(&env.cluster, NULL, "cluster.yaml", cluster, strlen(cluster))) {
		kd_buf_printf(&why, "  %s\n", kd_error_last());
		ok = false;
		goto done;
	}
	char iname[128] = "spark-instance", ins[128] = "spark-operator";
	if (inst && sscanf(inst, "%127s %127s", iname, ins) != 2) {
		kd_buf_puts(&why, "  instance must be \"NAME NAMESPACE\"\n");
		ok = false;
		goto done;
	}
	kd_buf_printf(&script, "%s/hooks/%s", kd_buf_cstr(&pkgdir), hook);
	run_hook(&got, &env, kd_buf_cstr(&script), pmap, iname, ins);

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
		if (*text && (strstr(kd_buf_cstr(&env.record), text) != NULL) == negate) {
			ok = false;
			kd_buf_printf(&why, "  calls %s: %s\n  calls were:\n%s", negate ? "have" : "lack", text,
				kd_buf_cstr(&env.record));
		}
		line = nl ? nl + 1 : NULL;
	}
done:
	kd_test_case_result(name, ok, kd_buf_cstr(&why));
	cJSON_Delete(pmap);
	kd_params_free(params);
	kd_pkg_free(pkg);
	cJSON_Delete(env.cluster);
	kd_buf_free(&env.record);
	free(env.leader);
	free(hook);
	free(args);
	free(inst);
	free(cluster);
	free(expected);
	kd_buf_free(&why);
	kd_buf_free(&got);
	kd_buf_free(&script);
	kd_buf_free(&pkgdir);
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
