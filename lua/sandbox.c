/* The sandbox: one fresh Lua state per run with a capped allocator, a count hook for the
 * instruction and wall-clock caps, only the safe parts of the standard library, and a protected
 * main function so that no Lua error ever reaches C unprotected. */
#include <limits.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/json.h"
#include "lua_internal.h"

/* Extra memory a run may use after it hit the memory cap, so that stopping it (building the
 * message and traceback) does not itself fail. */
#define MEM_HEADROOM ((size_t)1 << 20)
/* VM instructions between two checks of the caps. */
#define HOOK_PERIOD 1000
/* Longest reason a hook may return (the progress view shows it on one line). */
#define REASON_MAX 1024

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

kd_lua__ctx *kd_lua__ctx_of(lua_State *L)
{
	void *ud = NULL;
	lua_getallocf(L, &ud);
	return ud;
}

static void hook(lua_State *L, lua_Debug *ar);

/* Marks a cap as hit and makes the hook fire on every instruction from now on, so the run
 * stops at the next one even if the script catches the error. Safe inside the allocator. */
static void trip(kd_lua__ctx *c, kd_lua__cap cap)
{
	if (c->tripped == KD_LUA__CAP_NONE)
		c->tripped = cap;
	if (c->L) {
		c->hook_period = 1;
		lua_sethook(c->L, hook, LUA_MASKCOUNT, 1);
	}
}

static void *lalloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	kd_lua__ctx *c = ud;
	size_t old = ptr ? osize : 0; /* without a block, osize tells the kind of object */
	if (nsize == 0) {
		c->mem_used -= old;
		free(ptr);
		return NULL;
	}
	if (nsize > old) {
		size_t limit = c->mem_limit + (c->tripped ? MEM_HEADROOM : 0);
		if (nsize - old > limit || c->mem_used + (nsize - old) > limit) {
			trip(c, KD_LUA__CAP_MEMORY);
			return NULL;
		}
	}
	void *np = realloc(ptr, nsize);
	if (!np)
		return NULL;
	c->mem_used = c->mem_used - old + nsize;
	return np;
}

/* "file:line" of the innermost Lua function running (C functions have no line). */
static void find_where(lua_State *L, char *out, size_t size, const char *fallback)
{
	lua_Debug ar;
	for (int level = 0; lua_getstack(L, level, &ar); level++) {
		if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
			snprintf(out, size, "%s:%d", ar.short_src, ar.currentline);
			return;
		}
	}
	snprintf(out, size, "%s", fallback);
}

static void cap_text(char *out, size_t size, const kd_lua__ctx *c)
{
	switch (c->tripped) {
	case KD_LUA__CAP_MEMORY:
		if (c->mem_limit % ((size_t)1 << 20) == 0)
			snprintf(out, size, "memory limit reached (%zu MiB)", c->mem_limit >> 20);
		else
			snprintf(out, size, "memory limit reached (%zu bytes)", c->mem_limit);
		break;
	case KD_LUA__CAP_INSTRUCTIONS:
		snprintf(out, size, "instruction limit reached (%lld instructions)", c->instr_limit);
		break;
	case KD_LUA__CAP_TIME: {
		kd_buf d = KD_BUF_INIT;
		kd_duration_format(&d, (int64_t)c->wall_ms * 1000000);
		snprintf(out, size, "time limit reached (%s of wall-clock time)", kd_buf_cstr(&d));
		kd_buf_free(&d);
		break;
	}
	case KD_LUA__CAP_STOPPED:
		snprintf(out, size, "canceled");
		break;
	case KD_LUA__CAP_NONE:
		snprintf(out, size, "stopped");
		break;
	}
}

/* The message of the cap that stopped the run: "SCRIPT:LINE: stopped: CAP". When the line is
 * in another chunk (a library), the script is named first. */
static void cap_message(kd_buf *out, const kd_lua__ctx *c)
{
	char text[128];
	cap_text(text, sizeof text, c);
	size_t n = strlen(c->script);
	if (strncmp(c->where, c->script, n) != 0 || (c->where[n] != ':' && c->where[n] != '\0'))
		kd_buf_printf(out, "%s: ", c->script);
	kd_buf_printf(out, "%s: stopped: %s", c->where, text);
}

int kd_lua__raise_cap(lua_State *L, kd_lua__ctx *c)
{
	if (!c->cap_msg) {
		kd_buf m = KD_BUF_INIT;
		find_where(L, c->where, sizeof c->where, c->script);
		cap_message(&m, c);
		/* Stored first: if the traceback cannot be built, the message still names the line. */
		c->cap_msg = kd_buf_detach(&m);
		luaL_traceback(L, L, c->cap_msg, 0);
		free(c->cap_msg);
		c->cap_msg = kd_strdup(lua_tostring(L, -1));
		lua_pop(L, 1);
	}
	lua_pushstring(L, "stopped by a kudoc hook cap");
	return lua_error(L);
}

static void check_caps(lua_State *L, kd_lua__ctx *c)
{
	if (c->tripped == KD_LUA__CAP_NONE) {
		if (c->opts->stop && *c->opts->stop)
			trip(c, KD_LUA__CAP_STOPPED);
		else if (c->instr_used > c->instr_limit)
			trip(c, KD_LUA__CAP_INSTRUCTIONS);
		else if (mono_ms() >= c->deadline_ms)
			trip(c, KD_LUA__CAP_TIME);
		else
			return;
	}
	kd_lua__raise_cap(L, c);
}

static void hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	kd_lua__ctx *c = kd_lua__ctx_of(L);
	c->instr_used += c->hook_period;
	check_caps(L, c);
}

void kd_lua__charge(lua_State *L, long long n)
{
	kd_lua__ctx *c = kd_lua__ctx_of(L);
	if (n > 0)
		c->instr_used = c->instr_used > LLONG_MAX - n ? LLONG_MAX : c->instr_used + n;
	check_caps(L, c);
}

/* ---------------------------------------------------------------------------------------------
 * The base library, narrowed */

/* load: text chunks only (a binary chunk could break the VM's invariants). */
static int safe_load(lua_State *L)
{
	int n = lua_gettop(L);
	if (n < 3) {
		lua_settop(L, 3);
		n = 3;
	}
	lua_pushliteral(L, "t");
	lua_replace(L, 3);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, n, LUA_MULTRET);
	return lua_gettop(L);
}

/* setmetatable without __gc: a finalizer runs with hooks off, so it could loop forever. */
static int safe_setmetatable(lua_State *L)
{
	if (lua_type(L, 2) == LUA_TTABLE) {
		lua_pushliteral(L, "__gc");
		if (lua_rawget(L, 2) != LUA_TNIL)
			return luaL_error(L, "setmetatable: __gc metamethods are not available in hooks");
		lua_pop(L, 1);
	}
	int n = lua_gettop(L);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, n, 1);
	return 1;
}

/* xpcall's message handler runs while Lua unwinds; for an error raised by the count hook that
 * happens with hooks still off, so a handler that loops would never be stopped. After a cap
 * was hit the handler is skipped (the run is over anyway). */
static int guarded_handler(lua_State *L)
{
	if (kd_lua__ctx_of(L)->tripped)
		return 1;
	int n = lua_gettop(L);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, n, 1);
	return 1;
}

static int safe_xpcall(lua_State *L)
{
	luaL_checkany(L, 2);
	lua_pushvalue(L, 2);
	lua_pushcclosure(L, guarded_handler, 1);
	lua_replace(L, 2);
	int n = lua_gettop(L);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, n, LUA_MULTRET);
	return lua_gettop(L);
}

static int safe_collectgarbage(lua_State *L)
{
	const char *opt = luaL_optstring(L, 1, "collect");
	if (strcmp(opt, "count") != 0)
		return luaL_error(L, "collectgarbage: only \"count\" is available in hooks, not \"%s\"", opt);
	int kb = lua_gc(L, LUA_GCCOUNT), b = lua_gc(L, LUA_GCCOUNTB);
	lua_pushnumber(L, (lua_Number)kb + (lua_Number)b / 1024.0);
	return 1;
}

/* Wraps the function `name` of the table at the top of the stack: `fn` gets the original as its
 * first upvalue. */
static void wrap(lua_State *L, const char *name, lua_CFunction fn)
{
	lua_getfield(L, -1, name);
	lua_pushcclosure(L, fn, 1);
	lua_setfield(L, -2, name);
}

/* table functions whose C loops run as long as the numbers they are given say: they charge that
 * work before they start. */
static int call_original(lua_State *L)
{
	int n = lua_gettop(L);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, n, LUA_MULTRET);
	return lua_gettop(L);
}

static lua_Integer len_of(lua_State *L, int idx)
{
	if (lua_type(L, idx) != LUA_TTABLE && !luaL_getmetafield(L, idx, "__len"))
		return 0; /* the original raises the proper error */
	if (lua_type(L, idx) != LUA_TTABLE)
		lua_pop(L, 1);
	return luaL_len(L, idx);
}

static int charged_move(lua_State *L)
{
	int okf = 0, oke = 0;
	lua_Integer f = lua_tointegerx(L, 2, &okf), e = lua_tointegerx(L, 3, &oke);
	if (okf && oke && e >= f)
		kd_lua__charge(L, (long long)((lua_Unsigned)e - (lua_Unsigned)f) + 1);
	return call_original(L);
}

static int charged_insert(lua_State *L)
{
	int ok = 0;
	if (lua_gettop(L) == 3) {
		lua_Integer pos = lua_tointegerx(L, 2, &ok), n = len_of(L, 1);
		if (ok && n >= pos)
			kd_lua__charge(L, (long long)((lua_Unsigned)n - (lua_Unsigned)pos) + 1);
	}
	return call_original(L);
}

static int charged_remove(lua_State *L)
{
	int ok = 0;
	if (lua_gettop(L) >= 2) {
		lua_Integer pos = lua_tointegerx(L, 2, &ok), n = len_of(L, 1);
		if (ok && n >= pos)
			kd_lua__charge(L, (long long)((lua_Unsigned)n - (lua_Unsigned)pos) + 1);
	}
	return call_original(L);
}

static int charged_sort(lua_State *L)
{
	lua_Integer n = len_of(L, 1);
	if (n > 1) {
		long long lg = 1;
		while (lg < 63 && ((lua_Integer)1 << lg) < n)
			lg++;
		kd_lua__charge(L, (long long)n * lg);
	}
	return call_original(L);
}

static int charged_concat(lua_State *L)
{
	int oki = 0, okj = 0;
	lua_Integer i = lua_isnoneornil(L, 3) ? 1 : lua_tointegerx(L, 3, &oki);
	lua_Integer j = lua_isnoneornil(L, 4) ? len_of(L, 1) : lua_tointegerx(L, 4, &okj);
	if ((oki || lua_isnoneornil(L, 3)) && (okj || lua_isnoneornil(L, 4)) && j >= i)
		kd_lua__charge(L, (long long)((lua_Unsigned)j - (lua_Unsigned)i) + 1);
	return call_original(L);
}

static void open_sandbox(lua_State *L, kd_lua__ctx *c)
{
	static const struct {
		const char *name;
		lua_CFunction open;
	} libs[] = {
		{LUA_GNAME, luaopen_base},
		{LUA_STRLIBNAME, luaopen_string},
		{LUA_TABLIBNAME, luaopen_table},
		{LUA_MATHLIBNAME, luaopen_math},
		{LUA_UTF8LIBNAME, luaopen_utf8},
	};
	for (size_t i = 0; i < KD_ARRAY_SIZE(libs); i++) {
		luaL_requiref(L, libs[i].name, libs[i].open, 1);
		lua_pop(L, 1);
	}
	lua_pushglobaltable(L);
	static const char *const drop[] = {"dofile", "loadfile", "warn", "print"};
	for (size_t i = 0; i < KD_ARRAY_SIZE(drop); i++) {
		lua_pushnil(L);
		lua_setfield(L, -2, drop[i]);
	}
	wrap(L, "load", safe_load);
	wrap(L, "setmetatable", safe_setmetatable);
	wrap(L, "xpcall", safe_xpcall);
	lua_pushcfunction(L, safe_collectgarbage);
	lua_setfield(L, -2, "collectgarbage");
	lua_pop(L, 1);

	lua_getglobal(L, LUA_STRLIBNAME);
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	kd_lua__open_patterns(L);
	lua_pop(L, 1);

	lua_getglobal(L, LUA_TABLIBNAME);
	wrap(L, "move", charged_move);
	wrap(L, "insert", charged_insert);
	wrap(L, "remove", charged_remove);
	wrap(L, "sort", charged_sort);
	wrap(L, "concat", charged_concat);
	lua_pop(L, 1);

	/* The registry's table of loaded libraries stays: scripts cannot reach it, and error
	 * messages use it to name functions ("bad argument #1 to 'string.rep'"). */
	kd_lua__open_json(L);
	kd_lua__open_api(L, c);
}

/* ---------------------------------------------------------------------------------------------
 * Running */

typedef enum { RUN_HOOK, RUN_EVAL, RUN_CHECK } run_mode;

typedef struct {
	kd_lua__ctx *c;
	run_mode mode;
	const char *src;
	size_t len;
	const cJSON *args;
	/* results */
	bool healthy;
	char *reason;
	cJSON *values;
	char *bad_return; /* why the return value is not a verdict */
	bool load_failed;
} run_state;

/* Message handler: the error with file:line (added when the error value has none) and a
 * traceback. A cap error is left alone: its message was built where the cap was hit. */
static int msgh(lua_State *L)
{
	kd_lua__ctx *c = kd_lua__ctx_of(L);
	if (c->tripped)
		return 1;
	const char *msg = lua_tostring(L, 1);
	if (!msg) {
		if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
			msg = lua_tostring(L, -1);
		else
			msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
	}
	/* "file:LINE:" at the start? */
	const char *colon = strchr(msg, ':');
	bool located = false;
	if (colon && colon > msg) {
		const char *d = colon + 1;
		while (*d >= '0' && *d <= '9')
			d++;
		located = d > colon + 1 && *d == ':';
	}
	if (!located) {
		char where[160];
		find_where(L, where, sizeof where, c->script);
		msg = lua_pushfstring(L, "%s: %s", where, msg);
	}
	luaL_traceback(L, L, msg, 1);
	return 1;
}

static void push_args(lua_State *L, const cJSON *args, int *nargs)
{
	*nargs = 0;
	if (!args)
		return;
	if (cJSON_IsArray(args)) {
		const cJSON *a;
		int n = cJSON_GetArraySize(args);
		luaL_checkstack(L, n, "too many arguments");
		cJSON_ArrayForEach(a, args)
		{
			kd_lua__push_json(L, a, "arguments");
			(*nargs)++;
		}
		return;
	}
	kd_lua__push_json(L, args, "arguments");
	*nargs = 1;
}

static void collect_verdict(lua_State *L, run_state *rs, int first, int top)
{
	int n = top - first + 1;
	const char *script = rs->c->script;
	kd_buf b = KD_BUF_INIT;
	if (n < 1 || lua_type(L, first) != LUA_TBOOLEAN) {
		kd_buf_printf(&b, "%s: the hook returned %s; a hook returns true, or false and a reason", script,
			n < 1 ? "nothing" : lua_typename(L, lua_type(L, first)));
		rs->bad_return = kd_buf_detach(&b);
		return;
	}
	rs->healthy = lua_toboolean(L, first);
	if (rs->healthy)
		return;
	int t = n >= 2 ? lua_type(L, first + 1) : LUA_TNIL;
	if (t == LUA_TNIL) {
		rs->reason = kd_strdup("not healthy yet (the hook gave no reason)");
		return;
	}
	if (t != LUA_TSTRING && t != LUA_TNUMBER) {
		kd_buf_printf(&b, "%s: the hook returned false and a %s; the reason must be a string", script,
			lua_typename(L, t));
		rs->bad_return = kd_buf_detach(&b);
		return;
	}
	size_t len;
	const char *r = lua_tolstring(L, first + 1, &len);
	if (len > REASON_MAX) {
		len = REASON_MAX;
		while (len > 0 && ((unsigned char)r[len] & 0xC0) == 0x80)
			len--; /* do not cut a UTF-8 sequence */
	}
	rs->reason = kd_strndup(r, len);
	for (char *p = rs->reason; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
}

static void collect_values(lua_State *L, run_state *rs, int first, int top)
{
	char err[256];
	cJSON *arr = cJSON_CreateArray();
	for (int i = first; i <= top; i++) {
		cJSON *v = kd_lua__to_json(L, i, err, sizeof err);
		if (!v) {
			cJSON_Delete(arr);
			luaL_error(L, "%s: return value %d: %s", rs->c->script, i - first + 1, err);
			return;
		}
		cJSON_AddItemToArray(arr, v);
	}
	rs->values = arr;
}

static int pmain(lua_State *L)
{
	run_state *rs = lua_touserdata(L, 1);
	kd_lua__ctx *c = rs->c;
	kd_buf chunk = KD_BUF_INIT;
	if (rs->mode != RUN_CHECK)
		open_sandbox(L, c);
	lua_pushcfunction(L, msgh);
	int h = lua_gettop(L);
	kd_buf_printf(&chunk, "@%s", c->script);
	int st = luaL_loadbufferx(L, rs->src, rs->len, kd_buf_cstr(&chunk), "t");
	kd_buf_free(&chunk);
	if (st != LUA_OK) {
		rs->load_failed = true;
		return lua_error(L);
	}
	if (rs->mode == RUN_CHECK)
		return 0;
	if (c->opts->stop && *c->opts->stop)
		trip(c, KD_LUA__CAP_STOPPED);
	if (c->tripped) /* stopped already, or the memory cap while setting up */
		return kd_lua__raise_cap(L, c);
	int nargs = 0;
	push_args(L, rs->args, &nargs);
	c->hook_period = c->instr_limit < HOOK_PERIOD ? (int)(c->instr_limit > 0 ? c->instr_limit : 1) : HOOK_PERIOD;
	lua_sethook(L, hook, LUA_MASKCOUNT, c->hook_period);
	st = lua_pcall(L, nargs, LUA_MULTRET, h);
	lua_sethook(L, NULL, 0, 0);
	if (st != LUA_OK)
		return lua_error(L);
	if (rs->mode == RUN_HOOK)
		collect_verdict(L, rs, h + 1, lua_gettop(L));
	else
		collect_values(L, rs, h + 1, lua_gettop(L));
	return 0;
}

static int run(run_state *rs, const char *script_name, const kd_lua_hook_options *opts)
{
	static const kd_lua_hook_options defaults = KD_LUA_HOOK_OPTIONS_INIT;
	kd_lua__ctx c;
	int rc = 0;
	memset(&c, 0, sizeof c);
	if (!opts)
		opts = &defaults;
	c.script = script_name && *script_name ? script_name : "hook";
	c.opts = opts;
	c.mem_limit = opts->mem_limit ? opts->mem_limit : KD_LUA_DEFAULT_MEM_LIMIT;
	c.instr_limit = opts->instr_limit > 0 ? opts->instr_limit : KD_LUA_DEFAULT_INSTR_LIMIT;
	c.wall_ms = opts->wall_ms > 0 ? opts->wall_ms : KD_LUA_DEFAULT_WALL_MS;
	c.start_ms = mono_ms();
	c.deadline_ms = c.start_ms + c.wall_ms;
	snprintf(c.where, sizeof c.where, "%s", c.script);
	rs->c = &c;

	lua_State *L = lua_newstate(lalloc, &c);
	if (!L) {
		c.tripped = KD_LUA__CAP_MEMORY;
		kd_buf m = KD_BUF_INIT;
		cap_message(&m, &c);
		kd_error_set(KD_ERR_LUA, "%s", kd_buf_cstr(&m));
		kd_buf_free(&m);
		return KD_ELIMIT;
	}
	c.L = L;
	lua_pushcfunction(L, pmain);
	lua_pushlightuserdata(L, rs);
	int st = lua_pcall(L, 1, 0, 0);
	lua_sethook(L, NULL, 0, 0);
	if (c.tripped) {
		if (c.cap_msg) {
			kd_error_set(KD_ERR_LUA, "%s", c.cap_msg);
		} else {
			/* stopped before the hook could say where (e.g. while loading) */
			kd_buf m = KD_BUF_INIT;
			cap_message(&m, &c);
			kd_error_set(KD_ERR_LUA, "%s", kd_buf_cstr(&m));
			kd_buf_free(&m);
		}
		rc = c.tripped == KD_LUA__CAP_STOPPED ? KD_ECANCELED : KD_ELIMIT;
	} else if (st != LUA_OK) {
		const char *m = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
		if (st == LUA_ERRMEM)
			kd_error_set(KD_ERR_LUA, "%s: out of memory", c.script);
		else
			kd_error_set(KD_ERR_LUA, "%s", m ? m : "the hook failed");
		rc = KD_ERROR;
	} else if (rs->bad_return) {
		kd_error_set(KD_ERR_LUA, "%s", rs->bad_return);
		rc = KD_ERROR;
	}
	lua_close(L);
	free(c.cap_msg);
	free(rs->bad_return);
	rs->bad_return = NULL;
	if (rc) {
		free(rs->reason);
		rs->reason = NULL;
		cJSON_Delete(rs->values);
		rs->values = NULL;
	}
	return rc;
}

int kd_lua_hook_run(bool *healthy_out, char **reason_out, const char *script_name, const char *src, size_t len,
	const kd_lua_hook_options *opts)
{
	run_state rs;
	memset(&rs, 0, sizeof rs);
	rs.mode = RUN_HOOK;
	rs.src = src;
	rs.len = len;
	*healthy_out = false;
	*reason_out = NULL;
	int rc = run(&rs, script_name, opts);
	if (rc)
		return rc;
	*healthy_out = rs.healthy;
	*reason_out = rs.reason;
	return 0;
}

int kd_lua_eval(cJSON **out, const char *script_name, const char *src, size_t len, const cJSON *args,
	const kd_lua_hook_options *opts)
{
	run_state rs;
	memset(&rs, 0, sizeof rs);
	rs.mode = RUN_EVAL;
	rs.src = src;
	rs.len = len;
	rs.args = args;
	*out = NULL;
	int rc = run(&rs, script_name, opts);
	if (rc == 0)
		*out = rs.values;
	return rc;
}

int kd_lua_check(const char *script_name, const char *src, size_t len)
{
	run_state rs;
	kd_lua_hook_options o = KD_LUA_HOOK_OPTIONS_INIT;
	memset(&rs, 0, sizeof rs);
	rs.mode = RUN_CHECK;
	rs.src = src;
	rs.len = len;
	/* Parsing needs memory in proportion to the source, not to what the script would do. */
	o.mem_limit = len * 16 + ((size_t)8 << 20);
	return run(&rs, script_name, &o);
}
