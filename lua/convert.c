/* JSON (cJSON) <-> Lua values, and the `json` table hooks see.
 *
 *   JSON            Lua
 *   object          table with string keys (null members left out)
 *   array           table 1..n with the array metatable (so [] encodes back as [])
 *   null            json.null inside arrays
 *   number          integer when it is integral and exact (|v| < 2^53), else float
 *   string, bool    string, boolean
 *
 * Both directions stop at KD_LUA__JSON_MAX_DEPTH levels (which also stops a table that contains
 * itself) and KD_LUA__JSON_MAX_NODES values; the work is charged to the instruction budget. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/json.h"
#include "lua_internal.h"

static const char null_key = 0;      /* address of json.null (a light userdata) */
static const char array_mt_key = 0;  /* registry key of the array metatable */

void kd_lua__push_null(lua_State *L)
{
	lua_pushlightuserdata(L, (void *)&null_key);
}

static bool is_null(lua_State *L, int idx)
{
	return lua_type(L, idx) == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == (void *)&null_key;
}

typedef struct {
	long long nodes;
	const char *what; /* names the caller in errors: "json.decode", "kube.get" */
} push_state;

static void push_value(lua_State *L, const cJSON *v, int depth, push_state *ps)
{
	if (depth > KD_LUA__JSON_MAX_DEPTH)
		luaL_error(L, "%s: JSON nested more than %d levels", ps->what, KD_LUA__JSON_MAX_DEPTH);
	if (++ps->nodes > KD_LUA__JSON_MAX_NODES)
		luaL_error(L, "%s: JSON with more than %d values", ps->what, KD_LUA__JSON_MAX_NODES);
	if ((ps->nodes & 255) == 0)
		kd_lua__charge(L, 256);
	luaL_checkstack(L, 4, "JSON nested too deep");
	if (!v) {
		lua_pushnil(L);
	} else if (cJSON_IsNull(v)) {
		kd_lua__push_null(L);
	} else if (cJSON_IsBool(v)) {
		lua_pushboolean(L, cJSON_IsTrue(v));
	} else if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		if (d == floor(d) && fabs(d) < 9007199254740992.0)
			lua_pushinteger(L, (lua_Integer)d);
		else
			lua_pushnumber(L, d);
	} else if (cJSON_IsString(v)) {
		lua_pushstring(L, v->valuestring ? v->valuestring : "");
	} else if (cJSON_IsArray(v)) {
		const cJSON *it;
		lua_Integer i = 0;
		lua_createtable(L, cJSON_GetArraySize(v), 0);
		cJSON_ArrayForEach(it, v)
		{
			push_value(L, it, depth + 1, ps);
			lua_rawseti(L, -2, ++i);
		}
		lua_rawgetp(L, LUA_REGISTRYINDEX, &array_mt_key);
		lua_setmetatable(L, -2);
	} else if (cJSON_IsObject(v)) {
		const cJSON *it;
		lua_createtable(L, 0, cJSON_GetArraySize(v));
		cJSON_ArrayForEach(it, v)
		{
			if (!it->string || cJSON_IsNull(it))
				continue;
			push_value(L, it, depth + 1, ps);
			lua_setfield(L, -2, it->string);
		}
	} else {
		lua_pushnil(L);
	}
}

void kd_lua__push_json(lua_State *L, const cJSON *v, const char *what)
{
	push_state ps = {0, what ? what : "JSON"};
	push_value(L, v, 0, &ps);
	kd_lua__charge(L, ps.nodes & 255);
}

static int push_protected(lua_State *L)
{
	kd_lua__push_json(L, lua_touserdata(L, 1), lua_touserdata(L, 2));
	return 1;
}

void kd_lua__push_json_owned(lua_State *L, cJSON *v, const char *what)
{
	lua_pushcfunction(L, push_protected);
	lua_pushlightuserdata(L, v);
	lua_pushlightuserdata(L, (void *)what);
	int st = lua_pcall(L, 2, 1, 0);
	cJSON_Delete(v);
	if (st != LUA_OK)
		lua_error(L); /* the conversion's error, now that nothing is left to free */
}

/* ---------------------------------------------------------------------------------------------
 * Lua -> JSON (never raises: the callers free what they hold first) */

typedef struct {
	char *err;
	size_t errsize;
	long long nodes;
	bool failed;
} conv;

static cJSON *fail(conv *cv, const char *fmt, const char *arg)
{
	if (!cv->failed)
		snprintf(cv->err, cv->errsize, fmt, arg);
	cv->failed = true;
	return NULL;
}

static cJSON *convert(lua_State *L, int idx, int depth, conv *cv);

static int cmp_members(const void *a, const void *b)
{
	return strcmp((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

/* Reorders the n members of obj by key (cJSON keeps the last member in child->prev). */
static void sort_members(cJSON *obj, size_t n)
{
	if (n < 2)
		return;
	cJSON **v = kd_malloc(n * sizeof *v), *it;
	size_t i = 0;
	for (it = obj->child; it && i < n; it = it->next)
		v[i++] = it;
	n = i;
	qsort(v, n, sizeof *v, cmp_members);
	for (i = 0; i < n; i++) {
		v[i]->next = i + 1 < n ? v[i + 1] : NULL;
		v[i]->prev = i > 0 ? v[i - 1] : v[n - 1];
	}
	obj->child = v[0];
	free(v);
}

static cJSON *convert_table(lua_State *L, int idx, int depth, conv *cv)
{
	bool marked = false;
	if (lua_getmetatable(L, idx)) {
		lua_rawgetp(L, LUA_REGISTRYINDEX, &array_mt_key);
		marked = lua_rawequal(L, -1, -2);
		lua_pop(L, 2);
	}
	/* What keys does it have? */
	lua_Integer count = 0, max_int = 0;
	bool strings = false, ints = false;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		count++;
		if (lua_type(L, -1) == LUA_TSTRING) {
			strings = true;
		} else if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1) {
			ints = true;
			if (lua_tointeger(L, -1) > max_int)
				max_int = lua_tointeger(L, -1);
		} else {
			char what[64];
			if (lua_type(L, -1) == LUA_TNUMBER)
				snprintf(what, sizeof what, "number %.14g", (double)lua_tonumber(L, -1));
			else
				snprintf(what, sizeof what, "%s", luaL_typename(L, -1));
			lua_pop(L, 1);
			return fail(cv, "a table key (%s) has no JSON form: keys are strings, or 1..n in a list", what);
		}
	}
	if (strings && (ints || marked))
		return fail(cv, "%s", "a table mixes list items and named keys");
	if (ints && max_int != count)
		return fail(cv, "%s", "a list with holes has no JSON form (use json.null for missing items)");
	if (ints || marked) {
		cJSON *arr = cJSON_CreateArray();
		for (lua_Integer i = 1; i <= max_int; i++) {
			lua_rawgeti(L, idx, i);
			cJSON *e = convert(L, lua_gettop(L), depth + 1, cv);
			lua_pop(L, 1);
			if (!e) {
				cJSON_Delete(arr);
				return NULL;
			}
			cJSON_AddItemToArray(arr, e);
		}
		return arr;
	}
	/* An object. Nothing here may raise (see kd_lua__to_json): members are taken in table
	 * order with lua_next and sorted afterwards, so the output does not depend on hashing. */
	cJSON *obj = cJSON_CreateObject();
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		size_t klen;
		const char *k = lua_tolstring(L, -2, &klen); /* a string key: no conversion */
		cJSON *e = strlen(k) != klen ? fail(cv, "%s", "a key holding a NUL byte has no JSON form")
					       : convert(L, lua_gettop(L), depth + 1, cv);
		lua_pop(L, 1);
		if (!e) {
			lua_pop(L, 1);
			cJSON_Delete(obj);
			return NULL;
		}
		cJSON_AddItemToObject(obj, k, e);
	}
	sort_members(obj, (size_t)count);
	return obj;
}

static cJSON *convert(lua_State *L, int idx, int depth, conv *cv)
{
	if (depth > KD_LUA__JSON_MAX_DEPTH)
		return fail(cv, "a value nested more than %s levels (or a table that contains itself)", "100");
	if (++cv->nodes > KD_LUA__JSON_MAX_NODES)
		return fail(cv, "%s", "more than 1000000 values");
	if (!lua_checkstack(L, 6))
		return fail(cv, "%s", "nested too deep");
	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		return cJSON_CreateNull();
	case LUA_TBOOLEAN:
		return cJSON_CreateBool(lua_toboolean(L, idx));
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx)) {
			lua_Integer i = lua_tointeger(L, idx);
			cJSON *n = kd_json_new_int((int64_t)i);
			return n;
		} else {
			double d = lua_tonumber(L, idx);
			if (isnan(d) || isinf(d))
				return fail(cv, "%s", "NaN and infinity have no JSON form");
			return cJSON_CreateNumber(d);
		}
	case LUA_TSTRING: {
		size_t len;
		const char *s = lua_tolstring(L, idx, &len);
		if (strlen(s) != len)
			return fail(cv, "%s", "a string holding a NUL byte has no JSON form");
		return cJSON_CreateString(s);
	}
	case LUA_TTABLE:
		return convert_table(L, idx, depth, cv);
	case LUA_TLIGHTUSERDATA:
		if (is_null(L, idx))
			return cJSON_CreateNull();
		/* fall through */
	default:
		return fail(cv, "a %s has no JSON form", luaL_typename(L, idx));
	}
}

cJSON *kd_lua__to_json(lua_State *L, int idx, char *err, size_t errsize)
{
	conv cv = {err, errsize, 0, false};
	err[0] = '\0';
	cJSON *v = convert(L, lua_absindex(L, idx), 0, &cv);
	if (!v && !cv.failed)
		snprintf(err, errsize, "cannot convert the value");
	return v;
}

/* ---------------------------------------------------------------------------------------------
 * json.* */

static int push_text(lua_State *L)
{
	lua_pushstring(L, lua_touserdata(L, 1));
	return 1;
}

static int json_encode(lua_State *L)
{
	char err[256];
	luaL_checkany(L, 1);
	bool pretty = lua_toboolean(L, 2);
	cJSON *v = kd_lua__to_json(L, 1, err, sizeof err);
	if (!v)
		return luaL_error(L, "json.encode: %s", err);
	char *text = pretty ? cJSON_Print(v) : cJSON_PrintUnformatted(v);
	cJSON_Delete(v);
	if (!text)
		return luaL_error(L, "json.encode: out of memory");
	size_t len = strlen(text);
	/* pushing may raise (the memory cap): do it protected so `text` is freed either way */
	lua_pushcfunction(L, push_text);
	lua_pushlightuserdata(L, text);
	int st = lua_pcall(L, 1, 1, 0);
	free(text);
	if (st != LUA_OK)
		return lua_error(L);
	kd_lua__charge(L, (long long)(len / 16));
	return 1;
}

static int json_decode(lua_State *L)
{
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);
	kd_lua__ctx *c = kd_lua__ctx_of(L);
	size_t cap = c->mem_limit / 4 > ((size_t)1 << 20) ? c->mem_limit / 4 : ((size_t)1 << 20);
	if (len > cap)
		return luaL_error(L, "json.decode: the text is %I bytes, over the cap of %I", (lua_Integer)len, (lua_Integer)cap);
	kd_lua__charge(L, (long long)(len / 16));
	const char *end = NULL;
	cJSON *v = cJSON_ParseWithLengthOpts(s, len, &end, false);
	if (!v) {
		size_t at = end && end >= s && end <= s + len ? (size_t)(end - s) : 0;
		return luaL_error(L, "json.decode: invalid JSON at byte %I", (lua_Integer)at + 1);
	}
	/* trailing non-space text is an error, as in Go's encoding/json */
	while (end < s + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
		end++;
	if (end != s + len) {
		cJSON_Delete(v);
		return luaL_error(L, "json.decode: invalid JSON at byte %I (text after the value)", (lua_Integer)(end - s) + 1);
	}
	kd_lua__push_json_owned(L, v, "json.decode");
	return 1;
}

/* json.array(t): marks t as a list, so an empty one encodes as []. */
static int json_array(lua_State *L)
{
	if (lua_isnoneornil(L, 1))
		lua_newtable(L);
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	lua_rawgetp(L, LUA_REGISTRYINDEX, &array_mt_key);
	lua_setmetatable(L, 1);
	return 1;
}

void kd_lua__open_json(lua_State *L)
{
	/* The array metatable; __metatable keeps scripts from reaching (and changing) it. */
	lua_createtable(L, 0, 1);
	lua_pushliteral(L, "json.array");
	lua_setfield(L, -2, "__metatable");
	lua_rawsetp(L, LUA_REGISTRYINDEX, &array_mt_key);

	static const luaL_Reg fns[] = {
		{"encode", json_encode},
		{"decode", json_decode},
		{"array", json_array},
		{NULL, NULL},
	};
	luaL_newlib(L, fns);
	kd_lua__push_null(L);
	lua_setfield(L, -2, "null");
	lua_setglobal(L, "json");
}
