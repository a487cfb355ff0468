/* What a hook sees besides the standard library: params, instance, kube.*, now, log, print and
 * kudoc.lib. Everything is read-only: the kube functions only ever GET, and a Secret reaches a
 * hook without its values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/json.h"
#include "lua_internal.h"

#define LOG_LINE_MAX 4096
#define LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"

static const char libs_key = 0; /* registry: libraries loaded by kudoc.lib */

static kd_lua__ctx *ctx(lua_State *L)
{
	return kd_lua__ctx_of(L);
}

/* ---------------------------------------------------------------------------------------------
 * log, print, now */

static void emit(lua_State *L, const char *line, size_t len)
{
	kd_lua__ctx *c = ctx(L);
	if (!c->opts->log)
		return;
	char buf[LOG_LINE_MAX + 1];
	if (len > LOG_LINE_MAX)
		len = LOG_LINE_MAX;
	memcpy(buf, line, len);
	buf[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\0')
			buf[i] = ' ';
	c->opts->log(c->opts->log_payload, buf);
}

/* log(fmt, ...): string.format, one line. */
static int api_log(lua_State *L)
{
	int n = lua_gettop(L);
	luaL_checkstring(L, 1);
	lua_pushvalue(L, lua_upvalueindex(1)); /* string.format as it was when the run began */
	lua_insert(L, 1);
	lua_call(L, n, 1);
	size_t len;
	const char *s = lua_tolstring(L, -1, &len);
	emit(L, s, len);
	return 0;
}

/* print(...): like Lua's, into the log instead of stdout. */
static int api_print(lua_State *L)
{
	int n = lua_gettop(L);
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	for (int i = 1; i <= n; i++) {
		luaL_tolstring(L, i, NULL);
		if (i > 1)
			luaL_addchar(&b, '\t');
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	size_t len;
	const char *s = lua_tolstring(L, -1, &len);
	emit(L, s, len);
	return 0;
}

/* now(): seconds since the epoch, with microseconds (comparable with kube.leader's times). */
static int api_now(lua_State *L)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)(ts.tv_nsec / 1000) / 1e6);
	return 1;
}

/* ---------------------------------------------------------------------------------------------
 * kube.* */

static kd_kube_client *need_client(lua_State *L, const char *fn)
{
	kd_kube_client *cl = ctx(L)->opts->client;
	if (!cl)
		luaL_error(L, "%s: no cluster connection (the hook runs offline)", fn);
	return cl;
}

/* The namespace argument at idx, else the instance's, else the client's. */
static const char *ns_arg(lua_State *L, int idx)
{
	const char *ns = luaL_optstring(L, idx, NULL);
	if (ns && *ns)
		return ns;
	ns = ctx(L)->opts->namespace_;
	return ns && *ns ? ns : NULL;
}

/* Brackets a kube call with the hook's deadline; checks the caps after it. */
static int64_t begin_call(lua_State *L, kd_kube_client *cl)
{
	kd_lua__charge(L, 1); /* stops here if the budget is already spent */
	return kd_kube_client_set_deadline(cl, ctx(L)->deadline_ms);
}

static void end_call(lua_State *L, kd_kube_client *cl, int64_t prev)
{
	kd_kube_client_set_deadline(cl, prev);
	(void)L;
}

/* Raises `fn: <kube's message>` (the cap error instead when the call ran out of time). */
static int kube_fail(lua_State *L, const char *fn, int rc)
{
	kd_lua__ctx *c = ctx(L);
	if ((rc == KD_ETIMEOUT && kd_kube_now_ms() >= c->deadline_ms) || rc == KD_ECANCELED)
		kd_lua__charge(L, 0); /* raises the time cap or the stop, when that is what it was */
	const char *m = kd_error_last();
	return luaL_error(L, "%s: %s", fn, m ? m : "failed");
}

/* A Secret as hooks see it: metadata (without kubectl's last-applied copy, which holds the
 * data), type, and the names of its keys in `keys`. */
static void redact_secret(cJSON *obj)
{
	cJSON *keys = cJSON_CreateArray(), *it;
	const char *fields[] = {"data", "stringData"};
	for (size_t f = 0; f < KD_ARRAY_SIZE(fields); f++) {
		cJSON_ArrayForEach(it, kd_json_get(obj, fields[f]))
		{
			bool seen = false;
			const cJSON *k;
			cJSON_ArrayForEach(k, keys) seen = seen || strcmp(k->valuestring, it->string) == 0;
			if (it->string && !seen)
				cJSON_AddItemToArray(keys, cJSON_CreateString(it->string));
		}
		cJSON_DeleteItemFromObjectCaseSensitive(obj, fields[f]);
	}
	cJSON *ann = kd_json_path(obj, "metadata", "annotations", NULL);
	if (cJSON_IsObject(ann))
		cJSON_DeleteItemFromObjectCaseSensitive(ann, LAST_APPLIED);
	/* sorted, so what a hook sees does not depend on the server's order */
	int n = cJSON_GetArraySize(keys);
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0; j--) {
			cJSON *a = cJSON_GetArrayItem(keys, j - 1), *b = cJSON_GetArrayItem(keys, j);
			if (strcmp(a->valuestring, b->valuestring) <= 0)
				break;
			char *t = a->valuestring;
			a->valuestring = b->valuestring;
			b->valuestring = t;
		}
	cJSON_AddItemToObject(obj, "keys", keys);
}

/* Looks the kind up (the answer is cached) so Secrets are recognised however they are asked
 * for. *is_secret: the core group's secrets. */
static int map_kind(lua_State *L, kd_kube_client *cl, const char *fn, const char *api_version, const char *kind,
	bool *is_secret)
{
	kd_kube_mapping m = KD_KUBE_MAPPING_INIT;
	int rc = kd_kube_mapping_get(&m, cl, api_version, kind);
	if (rc == 0)
		*is_secret = m.group && !*m.group && m.resource && strcmp(m.resource, "secrets") == 0;
	kd_kube_mapping_clear(&m);
	(void)L;
	(void)fn;
	return rc;
}

/* kube.get(apiVersion, kind, name [, namespace]): the object, or nil when it does not exist. */
static int kube_get(lua_State *L)
{
	const char *av = luaL_checkstring(L, 1), *kind = luaL_checkstring(L, 2), *name = luaL_checkstring(L, 3);
	const char *ns = ns_arg(L, 4);
	kd_kube_client *cl = need_client(L, "kube.get");
	cJSON *obj = NULL;
	bool secret = false;
	int64_t prev = begin_call(L, cl);
	int rc = map_kind(L, cl, "kube.get", av, kind, &secret);
	bool kind_known = rc == 0;
	if (kind_known) {
		kd_kube_ref ref = {av, kind, ns, name, NULL};
		rc = kd_kube_get(&obj, cl, &ref);
	}
	end_call(L, cl, prev);
	if (rc == KD_ENOTFOUND && kind_known) {
		lua_pushnil(L); /* no such object */
		return 1;
	}
	if (rc)
		return kube_fail(L, "kube.get", rc);
	if (secret)
		redact_secret(obj);
	kd_lua__push_json_owned(L, obj, "kube.get");
	kd_lua__charge(L, 1);
	return 1;
}

/* A selector option of kube.list: a string as is, or a table {key = value} as "key=value,..."
 * sorted by key. Pushes the string (it stays on the stack while the call needs it) and returns
 * it; pushes nothing and returns NULL when the option is absent. */
static const char *selector_arg(lua_State *L, int opts, const char *field)
{
	if (lua_type(L, opts) != LUA_TTABLE)
		return NULL;
	int t = lua_getfield(L, opts, field);
	if (t == LUA_TNIL) {
		lua_pop(L, 1);
		return NULL;
	}
	if (t == LUA_TSTRING)
		return lua_tostring(L, -1);
	if (t != LUA_TTABLE)
		luaL_error(L, "kube.list: %s must be a string or a table", field);
	int map = lua_gettop(L);
	lua_newtable(L);
	int terms = lua_gettop(L);
	lua_Integer n = 0;
	lua_pushnil(L);
	while (lua_next(L, map)) {
		int vt = lua_type(L, -1);
		if (lua_type(L, -2) != LUA_TSTRING || (vt != LUA_TSTRING && vt != LUA_TNUMBER && vt != LUA_TBOOLEAN))
			luaL_error(L, "kube.list: %s must map strings to strings", field);
		/* key at terms+1, value at terms+2 (absolute: the pushes below move the top) */
		const char *k = lua_tostring(L, terms + 1);
		const char *v = vt == LUA_TBOOLEAN ? (lua_toboolean(L, terms + 2) ? "true" : "false")
						  : luaL_tolstring(L, terms + 2, NULL);
		lua_pushfstring(L, "%s=%s", k, v);
		lua_rawseti(L, terms, ++n);
		lua_settop(L, terms + 1); /* keep the key */
	}
	/* insertion sort: a selector has a handful of terms */
	for (lua_Integer i = 2; i <= n; i++)
		for (lua_Integer j = i; j > 1; j--) {
			lua_rawgeti(L, terms, j - 1);
			lua_rawgeti(L, terms, j);
			if (strcmp(lua_tostring(L, -2), lua_tostring(L, -1)) <= 0) {
				lua_pop(L, 2);
				break;
			}
			lua_rawseti(L, terms, j - 1);
			lua_rawseti(L, terms, j);
		}
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	for (lua_Integer i = 1; i <= n; i++) {
		if (i > 1)
			luaL_addchar(&b, ',');
		lua_rawgeti(L, terms, i);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	lua_replace(L, map); /* the selector string takes the map's slot */
	lua_settop(L, map);
	return lua_tostring(L, -1);
}

/* kube.list(apiVersion, kind [, {namespace=, labels=, fields=}]): an array of objects. */
static int kube_list(lua_State *L)
{
	const char *av = luaL_checkstring(L, 1), *kind = luaL_checkstring(L, 2);
	const char *ns = NULL;
	if (!lua_isnoneornil(L, 3))
		luaL_checktype(L, 3, LUA_TTABLE);
	lua_settop(L, 3);
	if (lua_type(L, 3) == LUA_TTABLE) {
		if (lua_getfield(L, 3, "namespace") != LUA_TNIL)
			ns = luaL_checkstring(L, -1); /* stays on the stack */
	}
	if (!ns || !*ns)
		ns = ctx(L)->opts->namespace_;
	const char *labels = selector_arg(L, 3, "labels");
	const char *fields = selector_arg(L, 3, "fields");
	kd_kube_client *cl = need_client(L, "kube.list");
	cJSON *list = NULL;
	bool secret = false;
	int64_t prev = begin_call(L, cl);
	int rc = map_kind(L, cl, "kube.list", av, kind, &secret);
	if (rc == 0) {
		kd_kube_ref ref = {av, kind, ns && *ns ? ns : NULL, NULL, NULL};
		kd_kube_list_options lo = KD_KUBE_LIST_OPTIONS_INIT;
		lo.label_selector = labels;
		lo.field_selector = fields;
		rc = kd_kube_list(&list, cl, &ref, &lo);
	}
	end_call(L, cl, prev);
	if (rc)
		return kube_fail(L, "kube.list", rc);
	cJSON *items = cJSON_DetachItemFromObjectCaseSensitive(list, "items");
	cJSON_Delete(list);
	if (!cJSON_IsArray(items)) {
		cJSON_Delete(items);
		items = cJSON_CreateArray();
	}
	cJSON *it;
	cJSON_ArrayForEach(it, items)
	{
		if (secret)
			redact_secret(it);
	}
	kd_lua__push_json_owned(L, items, "kube.list");
	return 1;
}

static kd_kube_client *opt_client(lua_State *L)
{
	return ctx(L)->opts->client;
}

/* kube.ready(obj): {state=, reason=, ready=} by kudoc's readiness rules. */
static int kube_ready(lua_State *L)
{
	char err[256];
	cJSON *obj = NULL, *pods = NULL;
	kd_kube_status st;
	if (!lua_isnoneornil(L, 1)) {
		luaL_checktype(L, 1, LUA_TTABLE);
		obj = kd_lua__to_json(L, 1, err, sizeof err);
		if (!obj)
			return luaL_error(L, "kube.ready: %s", err);
	}
	kd_kube_status_compute(&st, obj, NULL);
	kd_kube_client *cl = opt_client(L);
	if (obj && cl && st.state == KD_KUBE_IN_PROGRESS) {
		/* a workload that is not ready: name the pod that holds it back */
		int64_t prev = kd_kube_client_set_deadline(cl, ctx(L)->deadline_ms);
		int rc = kd_kube_workload_pods(&pods, cl, obj);
		kd_kube_client_set_deadline(cl, prev);
		if (rc == 0 && cJSON_GetArraySize(pods) > 0)
			kd_kube_status_compute(&st, obj, pods);
		kd_error_clear();
	}
	cJSON_Delete(obj);
	cJSON_Delete(pods);
	lua_createtable(L, 0, 3);
	lua_pushstring(L, kd_kube_state_name(st.state));
	lua_setfield(L, -2, "state");
	lua_pushstring(L, st.reason);
	lua_setfield(L, -2, "reason");
	lua_pushboolean(L, st.state == KD_KUBE_CURRENT);
	lua_setfield(L, -2, "ready");
	kd_lua__charge(L, 1);
	return 1;
}

/* kube.pods(obj): the pods a workload selects. */
static int kube_pods(lua_State *L)
{
	char err[256];
	luaL_checktype(L, 1, LUA_TTABLE);
	kd_kube_client *cl = need_client(L, "kube.pods");
	cJSON *obj = kd_lua__to_json(L, 1, err, sizeof err), *pods = NULL;
	if (!obj)
		return luaL_error(L, "kube.pods: %s", err);
	if (!kd_json_path(obj, "metadata", "namespace", NULL) && ctx(L)->opts->namespace_) {
		cJSON *md = kd_json_get(obj, "metadata");
		if (cJSON_IsObject(md))
			cJSON_AddStringToObject(md, "namespace", ctx(L)->opts->namespace_);
	}
	int64_t prev = begin_call(L, cl);
	int rc = kd_kube_workload_pods(&pods, cl, obj);
	end_call(L, cl, prev);
	cJSON_Delete(obj);
	if (rc)
		return kube_fail(L, "kube.pods", rc);
	kd_lua__push_json_owned(L, pods, "kube.pods");
	return 1;
}

static void set_time(lua_State *L, const char *field, int64_t us)
{
	if (!us)
		return;
	lua_pushnumber(L, (lua_Number)(us / 1000000) + (lua_Number)(us % 1000000) / 1e6);
	lua_setfield(L, -2, field);
}

/* kube.leader(namespace, name [, kind]): the leader-election record, or nil when there is no
 * such lock. */
static int kube_leader(lua_State *L)
{
	const char *ns = ns_arg(L, 1), *name = luaL_checkstring(L, 2), *kind = luaL_optstring(L, 3, NULL);
	kd_kube_lock_kind k;
	if (kd_lua_lock_kind_parse(&k, kind) != 0)
		return luaL_error(L, "kube.leader: kind must be \"configmap\" or \"lease\", not \"%s\"", kind);
	kd_kube_client *cl = need_client(L, "kube.leader");
	kd_kube_leader_record r = KD_KUBE_LEADER_RECORD_INIT;
	int64_t prev = begin_call(L, cl);
	int rc = kd_kube_leader_get(&r, cl, k, ns, name);
	end_call(L, cl, prev);
	if (rc == KD_ENOTFOUND) {
		kd_kube_leader_record_clear(&r);
		lua_pushnil(L);
		return 1;
	}
	if (rc) {
		kd_kube_leader_record_clear(&r);
		return kube_fail(L, "kube.leader", rc);
	}
	/* copy to the stack first: r must be freed before anything that can raise */
	char holder[256];
	snprintf(holder, sizeof holder, "%s", r.holder ? r.holder : "");
	kd_kube_leader_record rec = r;
	rec.holder = NULL;
	kd_kube_leader_record_clear(&r);
	lua_createtable(L, 0, 7);
	lua_pushstring(L, holder);
	lua_setfield(L, -2, "holder");
	lua_pushinteger(L, rec.lease_duration_s);
	lua_setfield(L, -2, "lease_duration");
	set_time(L, "acquire_time", rec.acquire_time_us);
	set_time(L, "renew_time", rec.renew_time_us);
	lua_pushinteger(L, rec.transitions);
	lua_setfield(L, -2, "transitions");
	lua_pushstring(L, kd_lua_lock_kind_name(rec.kind));
	lua_setfield(L, -2, "kind");
	return 1;
}

/* ---------------------------------------------------------------------------------------------
 * kudoc.lib */

static int kudoc_lib(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	lua_rawgetp(L, LUA_REGISTRYINDEX, &libs_key);
	int cache = lua_gettop(L);
	if (lua_getfield(L, cache, name) != LUA_TNIL)
		return 1;
	lua_pop(L, 1);
	for (size_t i = 0; i < kd_lua__nlibs; i++) {
		if (strcmp(kd_lua__libs[i].name, name) != 0)
			continue;
		lua_pushfstring(L, "@lua/lib/%s.lua", name);
		int st = luaL_loadbufferx(L, (const char *)kd_lua__libs[i].text, kd_lua__libs[i].len, lua_tostring(L, -1), "t");
		if (st != LUA_OK)
			return lua_error(L);
		lua_call(L, 0, 1);
		if (lua_isnil(L, -1)) {
			lua_pop(L, 1);
			lua_pushboolean(L, 1);
		}
		lua_pushvalue(L, -1);
		lua_setfield(L, cache, name);
		return 1;
	}
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	for (size_t i = 0; i < kd_lua__nlibs; i++) {
		if (i)
			luaL_addstring(&b, ", ");
		luaL_addstring(&b, kd_lua__libs[i].name);
	}
	luaL_pushresult(&b);
	return luaL_error(L, "kudoc.lib: no library \"%s\" (kudoc has: %s)", name, lua_tostring(L, -1));
}

/* ---------------------------------------------------------------------------------------------
 * Installing */

static void set_str(lua_State *L, const char *field, const char *v)
{
	if (!v)
		return;
	lua_pushstring(L, v);
	lua_setfield(L, -2, field);
}

void kd_lua__open_api(lua_State *L, kd_lua__ctx *c)
{
	const kd_lua_hook_options *o = c->opts;

	if (o->params && cJSON_IsObject(o->params))
		kd_lua__push_json(L, o->params, "params");
	else
		lua_newtable(L);
	lua_setglobal(L, "params");

	lua_createtable(L, 0, 6);
	set_str(L, "name", o->instance);
	set_str(L, "namespace", o->namespace_);
	set_str(L, "plan", o->plan);
	set_str(L, "phase", o->phase);
	set_str(L, "step", o->step);
	lua_pushinteger(L, o->revision);
	lua_setfield(L, -2, "revision");
	lua_setglobal(L, "instance");

	static const luaL_Reg kube[] = {
		{"get", kube_get},
		{"list", kube_list},
		{"ready", kube_ready},
		{"pods", kube_pods},
		{"leader", kube_leader},
		{NULL, NULL},
	};
	luaL_newlib(L, kube);
	lua_setglobal(L, "kube");

	lua_register(L, "now", api_now);
	lua_getglobal(L, LUA_STRLIBNAME);
	lua_getfield(L, -1, "format");
	lua_pushcclosure(L, api_log, 1);
	lua_setglobal(L, "log");
	lua_pop(L, 1);
	lua_register(L, "print", api_print);

	lua_newtable(L);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &libs_key);
	lua_createtable(L, 0, 1);
	lua_pushcfunction(L, kudoc_lib);
	lua_setfield(L, -2, "lib");
	lua_setglobal(L, "kudoc");
}
