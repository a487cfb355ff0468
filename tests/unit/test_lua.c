/* lua/: the sandbox (what is absent, what each cap stops), errors with file:line and a
 * traceback, the return protocol, the API offline, JSON, the bounded pattern functions (against
 * the real string library), and leader.lua's verdicts against a stand-in cluster. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "../../base/base.h"
#include "../../base/json.h"
#include "../../lua/lua.h"
#include "test.h"

/* Runs `src` as hooks/NAME and returns the code; the verdict in *healthy / *reason. */
static int hook(const char *name, const char *src, const kd_lua_hook_options *o, bool *healthy, char **reason)
{
	char script[128];
	snprintf(script, sizeof script, "hooks/%s", name);
	kd_error_clear();
	return kd_lua_hook_run(healthy, reason, script, src, strlen(src), o);
}

/* The chunk's return values as compact JSON ("" and the error in kd_error_last() on failure). */
static char *eval(const char *src, const kd_lua_hook_options *o)
{
	cJSON *out = NULL;
	kd_error_clear();
	if (kd_lua_eval(&out, "hooks/eval.lua", src, strlen(src), NULL, o) != 0)
		return kd_strdup("");
	char *s = cJSON_PrintUnformatted(out);
	cJSON_Delete(out);
	return s;
}

#define CHECK_EVAL(src, want)                  \
	do {                                       \
		char *got_ = eval((src), NULL);        \
		CHECK_STR(got_, (want));               \
		free(got_);                            \
	} while (0)

static bool has(const char *hay, const char *needle)
{
	bool ok = hay && strstr(hay, needle) != NULL;
	if (!ok)
		fprintf(stderr, "    (\"%s\" not in: %s)\n", needle, hay ? hay : "NULL");
	return ok;
}

TEST(lua_sandbox_forbidden_absent)
{
	const char *absent[] = {"io", "os", "require", "package", "debug", "coroutine", "dofile", "loadfile", "warn",
		"string.dump", "utf8 == nil and nil or nil"};
	for (size_t i = 0; i + 1 < KD_ARRAY_SIZE(absent); i++) {
		char src[128];
		snprintf(src, sizeof src, "return %s == nil", absent[i]);
		char *got = eval(src, NULL);
		if (!CHECK_STR(got, "[true]"))
			fprintf(stderr, "    %s is reachable\n", absent[i]);
		free(got);
	}
	/* what must be there */
	CHECK_EVAL("return type(string.format), type(table.concat), type(math.floor), type(utf8.char), type(pcall), "
		   "type(load), type(setmetatable), type(print)",
		"[\"function\",\"function\",\"function\",\"function\",\"function\",\"function\",\"function\",\"function\"]");
	/* collectgarbage: "count" only */
	CHECK_EVAL("return type(collectgarbage('count')), collectgarbage('count') > 0", "[\"number\",true]");
	CHECK_EVAL("return pcall(collectgarbage)", "[false,\"collectgarbage: only \\\"count\\\" is "
						   "available in hooks, not \\\"collect\\\"\"]");
	CHECK_EVAL("local ok, e = pcall(collectgarbage, 'stop') return ok", "[false]");
	/* load: text only, whatever mode is asked for */
	CHECK_EVAL("local f, e = load('\\27Lua\\84\\0\\25\\147\\r\\n\\26\\n') return f == nil, (e:find('binary') ~= nil)",
		"[true,true]");
	CHECK_EVAL("local f, e = load('\\27Lua\\84', 'x', 'b') return f == nil, (e:find('binary') ~= nil)", "[true,true]");
	CHECK_EVAL("return load('return 1 + 1')()", "[2]");
	CHECK_EVAL("return load('return ...', 'c', 't', {})(5)", "[5]");
	/* no finalizers: they run with the hook off */
	CHECK_EVAL("return pcall(setmetatable, {}, {__gc = function() end})",
		"[false,\"setmetatable: __gc metamethods are not available in hooks\"]");
	CHECK_EVAL("local t = setmetatable({}, {__index = {a = 1}}) return t.a", "[1]");
	/* the json array metatable cannot be reached */
	CHECK_EVAL("return getmetatable(json.decode('[]'))", "[\"json.array\"]");
}

TEST(lua_cap_instructions)
{
	kd_lua_hook_options o = KD_LUA_HOOK_OPTIONS_INIT;
	bool h;
	char *r = NULL;
	o.instr_limit = 100000;
	CHECK_INT(hook("loop.lua", "local n = 0\nwhile true do\n  n = n + 1\nend\n", &o, &h, &r), KD_ELIMIT);
	const char *e = kd_error_last();
	CHECK(has(e, "hooks/loop.lua:3: stopped: instruction limit reached (100000 instructions)") ||
		has(e, "hooks/loop.lua:2: stopped: instruction limit reached (100000 instructions)"));
	CHECK(has(e, "stack traceback:"));
	CHECK(r == NULL);
	/* catching the cap does not help */
	CHECK_INT(hook("catch.lua",
			  "while true do\n  pcall(function() while true do end end)\nend\n", &o, &h, &r),
		KD_ELIMIT);
	CHECK(has(kd_error_last(), "hooks/catch.lua:2: stopped: instruction limit reached"));
	CHECK_INT(hook("xpcall.lua",
			  "local function h() while true do end end\n"
			  "for i = 1, 1e9 do xpcall(function() while true do end end, h) end\n",
			  &o, &h, &r),
		KD_ELIMIT);
	CHECK(has(kd_error_last(), "instruction limit reached"));
	/* C loops charge their work: a backtracking pattern, table.move over a huge range */
	CHECK_INT(hook("pattern.lua", "local s = string.rep('a', 100000)\nreturn s:find('.-.-.-.-b')\n", &o, &h, &r),
		KD_ELIMIT);
	CHECK(has(kd_error_last(), "hooks/pattern.lua:2: stopped: instruction limit reached"));
	CHECK_INT(hook("gsub.lua", "local s = string.rep('a', 100000)\nreturn s:gsub('a*a*a*a*b', 'x')\n", &o, &h, &r),
		KD_ELIMIT);
	CHECK(has(kd_error_last(), "hooks/gsub.lua:2: stopped: instruction limit reached"));
	CHECK_INT(hook("move.lua", "local t = {}\ntable.move(t, 1, 1e15, 2)\n", &o, &h, &r), KD_ELIMIT);
	CHECK(has(kd_error_last(), "hooks/move.lua:2: stopped: instruction limit reached"));
	CHECK_INT(hook("insert.lua", "local t = setmetatable({}, {__len = function() return 1e15 end})\n"
				     "table.insert(t, 1, 'x')\n",
			  &o, &h, &r),
		KD_ELIMIT);
	CHECK(has(kd_error_last(), "hooks/insert.lua:2: stopped: instruction limit reached"));
	/* a script well inside the budget is not stopped */
	CHECK_INT(hook("ok.lua", "local n = 0 for i = 1, 1000 do n = n + i end return n == 500500", &o, &h, &r), 0);
	CHECK(h);
}

TEST(lua_cap_memory)
{
	kd_lua_hook_options o = KD_LUA_HOOK_OPTIONS_INIT;
	bool h;
	char *r = NULL;
	o.mem_limit = (size_t)4 << 20;
	CHECK_INT(hook("grow.lua", "local t = {}\nfor i = 1, 1e9 do\n  t[i] = string.rep('x', 100) .. i\nend\n", &o, &h, &r),
		KD_ELIMIT);
	const char *e = kd_error_last();
	CHECK(has(e, "hooks/grow.lua:3: stopped: memory limit reached (4 MiB)"));
	CHECK(r == NULL);
	/* one huge allocation in a C function, caught by the script: still stopped */
	CHECK_INT(hook("rep.lua", "local ok = pcall(string.rep, 'x', 1e9)\nlocal t = {}\nreturn true\n", &o, &h, &r),
		KD_ELIMIT);
	CHECK(has(kd_error_last(), "hooks/rep.lua:"));
	CHECK(has(kd_error_last(), "stopped: memory limit reached (4 MiB)"));
	/* the default cap is 32 MiB */
	CHECK_INT(hook("big.lua", "local s = string.rep('x', 40 * 1024 * 1024)\n", NULL, &h, &r), KD_ELIMIT);
	CHECK(has(kd_error_last(), "memory limit reached (32 MiB)"));
	/* a script that fits is unaffected */
	CHECK_INT(hook("fits.lua", "local s = string.rep('x', 1024 * 1024) return #s == 1048576", &o, &h, &r), 0);
	CHECK(h);
}

TEST(lua_cap_time)
{
	kd_lua_hook_options o = KD_LUA_HOOK_OPTIONS_INIT;
	bool h;
	char *r = NULL;
	o.instr_limit = (long long)1 << 60;
	o.wall_ms = 300;
	CHECK_INT(hook("spin.lua", "local x = 0\nwhile true do x = x + 1 end\n", &o, &h, &r), KD_ELIMIT);
	CHECK(has(kd_error_last(), "hooks/spin.lua:2: stopped: time limit reached (300ms of wall-clock time)"));
	/* the caps stop a loop inside a library function too, naming the script first */
	o.wall_ms = 10000;
	o.instr_limit = 200000;
	o.instance = "i";
	o.namespace_ = "n";
	o.instr_limit = 3000000;
	CHECK_INT(hook("lib.lua", "local leader = kudoc.lib('leader')\nlocal p = {}\n"
				  "for i = 1, 100000 do p[i] = {metadata = {name = 'p' .. i}} end\n"
				  "return leader.check{lock = 'x', pods = p}\n",
			  &o, &h, &r),
		KD_ELIMIT);
	CHECK(has(kd_error_last(), "hooks/lib.lua: lua/lib/leader.lua:"));
	CHECK(has(kd_error_last(), ": stopped: instruction limit reached (3000000 instructions)"));
}

static volatile sig_atomic_t stop_flag;

static void stop_on_log(void *payload, const char *line)
{
	(void)payload;
	(void)line;
	stop_flag = 1;
}

TEST(lua_stop_flag_cancels_a_run)
{
	kd_lua_hook_options o = KD_LUA_HOOK_OPTIONS_INIT;
	bool h;
	char *r = NULL;
	o.stop = &stop_flag;
	o.log = stop_on_log;
	/* set while the script runs (the log callback sets it), caught or not */
	stop_flag = 0;
	CHECK_INT(hook("stop.lua", "log('go')\nwhile true do pcall(function() end) end\n", &o, &h, &r), KD_ECANCELED);
	CHECK(has(kd_error_last(), "hooks/stop.lua:2: stopped: canceled"));
	/* set before: nothing runs past the first instructions */
	CHECK_INT(hook("stop2.lua", "return true", &o, &h, &r), KD_ECANCELED);
	stop_flag = 0;
	CHECK_INT(hook("stop3.lua", "return true", &o, &h, &r), 0);
	CHECK(h);
}

TEST(lua_errors_carry_file_line_and_traceback)
{
	bool h;
	char *r = NULL;
	CHECK_INT(hook("boom.lua", "local x = 1\nlocal function f()\n  error('boom')\nend\nf()\n", NULL, &h, &r), KD_ERROR);
	const char *e = kd_error_last();
	CHECK(e && strncmp(e, "hooks/boom.lua:3: boom\nstack traceback:\n", 39) == 0);
	CHECK(has(e, "hooks/boom.lua:5:"));
	/* an error value without a position gets the line it was raised at */
	CHECK_INT(hook("level0.lua", "\nerror('no position', 0)\n", NULL, &h, &r), KD_ERROR);
	CHECK(has(kd_error_last(), "hooks/level0.lua:2: no position"));
	CHECK_INT(hook("table.lua", "error({code = 1})\n", NULL, &h, &r), KD_ERROR);
	CHECK(has(kd_error_last(), "hooks/table.lua:1: (error object is a table value)"));
	/* a runtime error in the VM */
	CHECK_INT(hook("nil.lua", "local t\nreturn t.x\n", NULL, &h, &r), KD_ERROR);
	CHECK(has(kd_error_last(), "hooks/nil.lua:2: attempt to index a nil value (local 't')"));
	/* a syntax error names file and line */
	CHECK_INT(hook("syntax.lua", "local a = 1\nlocal = 2\n", NULL, &h, &r), KD_ERROR);
	CHECK(has(kd_error_last(), "hooks/syntax.lua:2:"));
	CHECK_INT(kd_lua_check("hooks/syntax.lua", "local a = 1\nlocal = 2\n", 22), KD_ERROR);
	CHECK(has(kd_error_last(), "hooks/syntax.lua:2: <name> expected near '='"));
	CHECK_INT(kd_lua_check("hooks/fine.lua", "return true", 11), 0);
	/* check does not run anything */
	CHECK_INT(kd_lua_check("hooks/loop.lua", "while true do end", 17), 0);
	CHECK(r == NULL);
}

TEST(lua_return_protocol)
{
	bool h = false;
	char *r = NULL;
	CHECK_INT(hook("t.lua", "return true", NULL, &h, &r), 0);
	CHECK(h);
	CHECK(r == NULL);
	CHECK_INT(hook("f.lua", "return false, 'deployment web: 1/3 replicas ready'", NULL, &h, &r), 0);
	CHECK(!h);
	CHECK_STR(r, "deployment web: 1/3 replicas ready");
	free(r);
	CHECK_INT(hook("f2.lua", "return false", NULL, &h, &r), 0);
	CHECK(!h);
	CHECK_STR(r, "not healthy yet (the hook gave no reason)");
	free(r);
	CHECK_INT(hook("multi.lua", "return false, 'line one\\nline two'", NULL, &h, &r), 0);
	CHECK_STR(r, "line one line two");
	free(r);
	r = NULL;
	CHECK_INT(hook("s.lua", "return 'yes'", NULL, &h, &r), KD_ERROR);
	CHECK_STR(kd_error_last(), "hooks/s.lua: the hook returned string; a hook returns true, or false and a reason");
	CHECK_INT(hook("none.lua", "local x = 1", NULL, &h, &r), KD_ERROR);
	CHECK(has(kd_error_last(), "hooks/none.lua: the hook returned nothing"));
	CHECK_INT(hook("badreason.lua", "return false, {}", NULL, &h, &r), KD_ERROR);
	CHECK(has(kd_error_last(), "the reason must be a string"));
	CHECK(r == NULL);
}

static void collect_log(void *payload, const char *line)
{
	kd_buf_printf(payload, "%s\n", line);
}

TEST(lua_api_offline)
{
	kd_lua_hook_options o = KD_LUA_HOOK_OPTIONS_INIT;
	kd_buf logs = KD_BUF_INIT;
	cJSON *params = cJSON_Parse("{\"replicas\":\"3\",\"enabled\":\"true\",\"list\":[1,\"a\"],\"map\":{\"k\":\"v\"}}");
	o.params = params;
	o.instance = "spark";
	o.namespace_ = "spark-system";
	o.plan = "deploy";
	o.phase = "operator";
	o.step = "operator";
	o.revision = 4;
	o.log = collect_log;
	o.log_payload = &logs;
	char *got = eval("return params.replicas, params.enabled, params.list[2], params.map.k, instance.name, "
			 "instance.namespace, instance.revision, instance.plan, instance.phase, instance.step",
		&o);
	CHECK_STR(got, "[\"3\",\"true\",\"a\",\"v\",\"spark\",\"spark-system\",4,\"deploy\",\"operator\",\"operator\"]");
	free(got);
	got = eval("log('replicas=%s n=%d', params.replicas, 2) print('a', 1, true) return 1", &o);
	CHECK_STR(got, "[1]");
	CHECK_STR(kd_buf_cstr(&logs), "replicas=3 n=2\na\t1\ttrue\n");
	free(got);
	/* kube.* need a cluster, except kube.ready */
	got = eval("return pcall(kube.get, 'v1', 'ConfigMap', 'x')", &o);
	CHECK_STR(got, "[false,\"kube.get: no cluster connection (the hook runs offline)\"]");
	free(got);
	got = eval("local ok, e = pcall(kube.list, 'v1', 'Pod') return ok, e", &o);
	CHECK(has(got, "kube.list: no cluster connection"));
	free(got);
	got = eval("local r = kube.ready({apiVersion='v1', kind='Pod', metadata={name='p'}, status={phase='Running', "
		   "conditions={{type='Ready', status='True'}}}}) return r.state, r.ready, r.reason",
		&o);
	CHECK_STR(got, "[\"Current\",true,\"\"]");
	free(got);
	got = eval("local r = kube.ready(nil) return r.state, r.ready", &o);
	CHECK_STR(got, "[\"NotFound\",false]");
	free(got);
	got = eval("local t = now() return type(t), t > 1.6e9", &o);
	CHECK_STR(got, "[\"number\",true]");
	free(got);
	got = eval("return type(kudoc.lib('leader').check), kudoc.lib('leader') == kudoc.lib('leader')", &o);
	CHECK_STR(got, "[\"function\",true]");
	free(got);
	got = eval("return pcall(kudoc.lib, 'nope')", &o);
	CHECK_STR(got, "[false,\"kudoc.lib: no library \\\"nope\\\" (kudoc has: leader)\"]");
	free(got);
	/* no params: an empty table */
	CHECK_EVAL("return next(params) == nil, instance.name == nil", "[true,true]");
	cJSON_Delete(params);
	kd_buf_free(&logs);
}

TEST(lua_json)
{
	CHECK_EVAL("return json.encode(json.decode('{\"b\":[],\"a\":[1,2.5,\"x\",null,{}],\"c\":null}'))",
		"[\"{\\\"a\\\":[1,2.5,\\\"x\\\",null,{}],\\\"b\\\":[]}\"]");
	CHECK_EVAL("return json.encode({z = 1, a = {true, false}, m = json.array{}})",
		"[\"{\\\"a\\\":[true,false],\\\"m\\\":[],\\\"z\\\":1}\"]");
	CHECK_EVAL("local v = json.decode('[1, null, 3]') return #v, v[2] == json.null", "[3,true]");
	CHECK_EVAL("local v = json.decode('{\"n\": 3, \"f\": 0.5}') return math.type(v.n), math.type(v.f)",
		"[\"integer\",\"float\"]");
	CHECK_EVAL("local t = {} t.self = t return pcall(json.encode, t)",
		"[false,\"json.encode: a value nested more than 100 levels (or a table that contains "
		"itself)\"]");
	CHECK_EVAL("return pcall(json.encode, {1, nil, 3})",
		"[false,\"json.encode: a list with holes has no JSON form (use json.null for missing "
		"items)\"]");
	CHECK_EVAL("return pcall(json.encode, {1, a = 2})",
		"[false,\"json.encode: a table mixes list items and named keys\"]");
	CHECK_EVAL("return pcall(json.encode, 0/0)",
		"[false,\"json.encode: NaN and infinity have no JSON form\"]");
	CHECK_EVAL("return pcall(json.encode, print)", "[false,\"json.encode: a function has no JSON form\"]");
	CHECK_EVAL("return pcall(json.decode, '{\"a\": }')", "[false,\"json.decode: invalid JSON at byte 7\"]");
	CHECK_EVAL("return pcall(json.decode, '[1] x')",
		"[false,\"json.decode: invalid JSON at byte 5 (text after the value)\"]");
	CHECK_EVAL("return pcall(json.decode, string.rep('[', 200) .. string.rep(']', 200))",
		"[false,\"json.decode: JSON nested more than 100 levels\"]");
	/* kd_lua_eval hands return values back through the same conversion */
	CHECK_EVAL("return nil, 1.5, 'x', {k = {1}}", "[null,1.5,\"x\",{\"k\":[1]}]");
}

/* The bounded string functions give what the standard ones give, errors included. */
TEST(lua_patterns_match_the_standard_library)
{
	static const char cases[] =
		"local R = {}\n"
		"local function show(v) if type(v) == 'string' or type(v) == 'number' or type(v) == 'boolean' or v == nil then return string.format('%q', v) end return type(v) end\n"
		"local function T(f, ...)\n"
		"  local a = table.pack(...)\n"
		"  for i = 1, a.n do a[i] = show(a[i]) end\n"
		"  local r = table.pack(pcall(string[f], ...))\n"
		"  for i = 1, r.n do r[i] = tostring(r[i]) end\n"
		"  R[#R + 1] = f .. '(' .. table.concat(a, ', ', 1, a.n) .. '): ' .. table.concat(r, '|', 1, r.n)\n"
		"end\n"
		"local function G(s, p, init)\n"
		"  local out = {}\n"
		"  local ok, e = pcall(function() for a, b, c in string.gmatch(s, p, init) do out[#out + 1] = tostring(a) .. ',' .. tostring(b) .. ',' .. tostring(c) end end)\n"
		"  R[#R + 1] = 'gmatch: ' .. tostring(ok) .. ' ' .. tostring(e) .. ' ' .. table.concat(out, ';')\n"
		"end\n"
		"local subjects = {'', 'hello world', 'key = value', 'aaa', '  x  ', 'THE (quick) fox', 'a.b.c', "
		"'[[x]]', 'f(a(b)c)d', 'caf\\195\\169', 'a\\0b', '-12.5e3', 'THE', 'x=1, y=22, z=333'}\n"
		"local patterns = {'', 'o', 'l+', 'l*', 'l-o', 'l?', '^h', 'd$', '^$', '(%w+)', '(%w+) (%w+)', '()', "
		"'(%a+) ?= ?(%a+)', '%s*(.-)%s*$', '%((%a+)%)', '[%w_]+', '[^%s]+', '[a-c]+', '[]]', '[^]]+', '%b()', "
		"'%f[%w]%w+', '%f[%W]', '(a)%1', '(.)%1', '.-', 'x*', '%d+', '[%d%.eE%-]+', '%.', '[.]', '%', '[a', "
		"'(()', '%b', '%f', '%1', '(a', 'a)', '%g+', '%p', '%c', '%x+', '%u+', '%l+', '[%a-]', '[a-]', '[-a]', "
		"'%z', '\\0', '^(%w+)=(%w+)', '(%w+)=(%w+)', '()ll()', '.', '..', '(h)(e)(l)(l)(o)', "
		"string.rep('(a)', 33), string.rep('a?', 8) .. string.rep('a', 8), '[%]', '[\\255]', '%f[a-z]'}\n"
		"for _, s in ipairs(subjects) do\n"
		"  for _, p in ipairs(patterns) do\n"
		"    T('find', s, p) T('find', s, p, 3) T('find', s, p, -2) T('find', s, p, 1, true) T('find', s, p, 100)\n"
		"    T('match', s, p) T('match', s, p, 2) T('match', s, p, -3)\n"
		"    T('gsub', s, p, '<%0>') T('gsub', s, p, '%1', 2) T('gsub', s, p, '%%') T('gsub', s, p, '%2')\n"
		"    T('gsub', s, p, '%') T('gsub', s, p, {hello = 'HI', o = false, l = 1}) T('gsub', s, p, function(a, b) return b end)\n"
		"    T('gsub', s, p, function() return {} end) T('gsub', s, p, 5)\n"
		"    G(s, p) G(s, p, 4) G(s, p, -1)\n"
		"  end\n"
		"end\n"
		"T('gsub', 'abc', 'b', true) T('find', 1234, 23) T('gsub', 'x', 'x', 'y', -1) T('find', 'x', nil)\n"
		"T('find', string.rep('x', 300), string.rep('x?', 300)) T('match', string.rep('x', 199), string.rep('x?', 199))\n"
		"T('gsub', 'hello', '(l)(l)', '%2%1') T('gsub', 'abc', '%w', '%0%0') T('gsub', 'a b', '()', '%1')\n"
		"return (table.concat(R, '\\n'):gsub('\\0', '<NUL>'))\n";
	/* the standard library */
	lua_State *L = luaL_newstate();
	luaL_openlibs(L);
	CHECK_INT(luaL_loadbufferx(L, cases, sizeof cases - 1, "=cases", "t"), LUA_OK);
	int st = lua_pcall(L, 0, 1, 0);
	CHECK_INT(st, LUA_OK);
	const char *want = lua_tostring(L, -1);
	/* ours */
	cJSON *out = NULL;
	CHECK_INT(kd_lua_eval(&out, "cases", cases, sizeof cases - 1, NULL, NULL), 0);
	const char *got = cJSON_GetStringValue(cJSON_GetArrayItem(out, 0));
	if (!CHECK(got && want && strcmp(got, want) == 0) && got && want) {
		/* show the first line that differs */
		const char *a = got, *b = want;
		while (*a && *a == *b)
			a++, b++;
		while (a > got && a[-1] != '\n')
			a--, b--;
		fprintf(stderr, "    ours: %.*s\n    std:  %.*s\n", (int)strcspn(a, "\n"), a, (int)strcspn(b, "\n"), b);
	}
	size_t lines = 0;
	for (const char *p = got ? got : ""; *p; p++)
		lines += *p == '\n';
	CHECK(lines > 10000);
	cJSON_Delete(out);
	lua_close(L);
}

/* leader.lua against a stand-in for the cluster: the hook replaces kube.leader, kube.list,
 * kube.get and now before the library runs. */
static char *leader_case(const char *setup)
{
	kd_buf src = KD_BUF_INIT;
	kd_lua_hook_options o = KD_LUA_HOOK_OPTIONS_INIT;
	o.instance = "spark";
	o.namespace_ = "spark-ns";
	kd_buf_printf(&src,
		"local real_ready = kube.ready\n"
		"local function pod(name, ready, node)\n"
		"  return {metadata = {name = name, namespace = 'spark-ns', labels = {['kudoc.dev/instance'] = 'spark'}},\n"
		"          spec = {nodeName = node or 'node-1'},\n"
		"          status = {phase = 'Running', conditions = {{type = 'Ready', status = ready and 'True' or 'False', reason = 'ContainersNotReady'}}}}\n"
		"end\n"
		"local PODS = {pod('spark-a', true), pod('spark-b', true)}\n"
		"local REC = {holder = 'spark-a', lease_duration = 15, acquire_time = 900, renew_time = 995, transitions = 2, kind = 'configmap'}\n"
		"local NOW = 1000\n"
		"local asked = {}\n"
		"%s\n"
		"now = function() return NOW end\n"
		"kube = {ready = real_ready,\n"
		"  leader = function(ns, name, kind) asked.leader = ns .. '/' .. name .. '/' .. tostring(kind) return REC end,\n"
		"  list = function(av, kind, o) asked.list = o.namespace .. ' ' .. o.labels['kudoc.dev/instance'] return PODS end,\n"
		"  get = function(av, kind, name, ns) for _, p in ipairs(PODS) do if p.metadata.name == name then return p end end end}\n"
		"local ok, why, found = kudoc.lib('leader').check{namespace = 'lock-ns', lock = 'spark-lock', kind = OPTS_KIND, pods = OPTS_PODS}\n"
		"return ok, why, found.pod, found.pods_ready, asked.leader, asked.list\n",
		setup);
	char *got = eval(kd_buf_cstr(&src), &o);
	kd_buf_free(&src);
	return got;
}

#define CHECK_LEADER(setup, want)               \
	do {                                        \
		char *got_ = leader_case(setup);        \
		CHECK_STR(got_, want);                  \
		free(got_);                             \
	} while (0)

TEST(lua_leader_check_verdicts)
{
	CHECK_LEADER("OPTS_KIND = 'configmap'",
		"[true,null,\"spark-a\",2,\"lock-ns/spark-lock/configmap\",\"spark-ns spark\"]");
	/* client-go's "<pod>_<uuid>" identities */
	CHECK_LEADER("REC.holder = 'spark-b_0f6c1a1e-6a55-4b39-9c6e-25c54d6bd6f3'",
		"[true,null,\"spark-b\",2,\"lock-ns/spark-lock/nil\",\"spark-ns spark\"]");
	CHECK_LEADER("REC = nil OPTS_KIND = 'configmap'",
		"[false,\"no leader record in configmap lock-ns/spark-lock\",null,2,\"lock-ns/spark-lock/configmap\",\"spark-ns "
		"spark\"]");
	CHECK_LEADER("REC = nil",
		"[false,\"no leader record in lease or configmap lock-ns/spark-lock\",null,2,\"lock-ns/spark-lock/nil\","
		"\"spark-ns spark\"]");
	CHECK_LEADER("REC.holder = ''", "[false,\"nobody holds the configmap lock-ns/spark-lock\",null,2,"
					"\"lock-ns/spark-lock/nil\",\"spark-ns spark\"]");
	CHECK_LEADER("REC.holder = 'spark-7f9c-abc'",
		"[false,\"holder spark-7f9c-abc is not a pod of this instance\",null,2,\"lock-ns/spark-lock/nil\",\"spark-ns "
		"spark\"]");
	CHECK_LEADER("NOW = 1026",
		"[false,\"lease not renewed for 31 s (duration 15 s)\",\"spark-a\",2,\"lock-ns/spark-lock/nil\",\"spark-ns spark\"]");
	CHECK_LEADER("PODS[1] = pod('spark-a', false)",
		"[false,\"holder spark-a is not Ready (not Ready: ContainersNotReady)\",\"spark-a\",1,\"lock-ns/spark-lock/nil\","
		"\"spark-ns spark\"]");
	CHECK_LEADER("PODS[1].metadata.deletionTimestamp = '2024-01-01T00:00:00Z'",
		"[false,\"holder spark-a is not Ready (terminating)\",\"spark-a\",1,\"lock-ns/spark-lock/nil\",\"spark-ns spark\"]");
	/* pods given by name, one of which does not exist */
	CHECK_LEADER("OPTS_PODS = {'spark-b', 'spark-gone'} REC.holder = 'spark-gone'",
		"[false,\"holder spark-gone is not Ready (no such pod)\",\"spark-gone\",1,\"lock-ns/spark-lock/nil\",null]");
	CHECK_LEADER("OPTS_PODS = {pod('other', true)}",
		"[false,\"holder spark-a is not a pod of this instance\",null,1,\"lock-ns/spark-lock/nil\",null]");
	/* argument errors name the caller's line */
	char *got = eval("return pcall(kudoc.lib('leader').check, {})", NULL);
	CHECK(has(got, "leader.check: lock= (the name of the lock) is needed"));
	free(got);
	got = eval("return pcall(kudoc.lib('leader').check, {lock = 'x', namespace = 'n', kind = 'etcd'})", NULL);
	CHECK(has(got, "leader.check: kind must be \\\"configmap\\\" or \\\"lease\\\", not etcd"));
	free(got);
}

TEST(lua_lock_from_params)
{
	kd_lua_lock l;
	cJSON *p = cJSON_Parse("{\"enableLeaderElection\":\"true\",\"leaderElectionLockName\":\"\","
			       "\"leaderElectionLockNamespace\":\"\"}");
	CHECK_INT(kd_lua_lock_from_params(&l, p, "spark", "spark-system", NULL), 0);
	CHECK_STR(l.name, "spark-lock");
	CHECK_STR(l.namespace_, "spark-system");
	CHECK_INT(l.kind, KD_KUBE_LOCK_ANY);
	kd_lua_lock_clear(&l);
	cJSON_ReplaceItemInObject(p, "leaderElectionLockName", cJSON_CreateString("op-lock"));
	cJSON_ReplaceItemInObject(p, "leaderElectionLockNamespace", cJSON_CreateString("locks"));
	cJSON_AddStringToObject(p, "leaderElectionLockKind", "lease");
	CHECK_INT(kd_lua_lock_from_params(&l, p, "spark", "spark-system", NULL), 0);
	CHECK_STR(l.name, "op-lock");
	CHECK_STR(l.namespace_, "locks");
	CHECK_INT(l.kind, KD_KUBE_LOCK_LEASE);
	kd_lua_lock_clear(&l);
	cJSON_ReplaceItemInObject(p, "leaderElectionLockKind", cJSON_CreateString("etcd"));
	CHECK_INT(kd_lua_lock_from_params(&l, p, "spark", "spark-system", NULL), KD_EINVALID);
	cJSON_ReplaceItemInObject(p, "enableLeaderElection", cJSON_CreateString("false"));
	CHECK_INT(kd_lua_lock_from_params(&l, p, "spark", "spark-system", NULL), KD_ENOTFOUND);
	CHECK_STR(kd_error_last(), "leader election is off (enableLeaderElection is \"false\")");
	/* another package's names */
	kd_lua_lock_mapping m = KD_LUA_LOCK_MAPPING_INIT;
	cJSON *q = cJSON_Parse("{\"ha\":true,\"lock\":\"\"}");
	m.enabled_param = "ha";
	m.name_param = "lock";
	m.default_suffix = "-leader";
	CHECK_INT(kd_lua_lock_from_params(&l, q, "kafka", "data", &m), 0);
	CHECK_STR(l.name, "kafka-leader");
	CHECK_STR(l.namespace_, "data");
	kd_lua_lock_clear(&l);
	CHECK_INT(kd_lua_lock_from_params(&l, q, "kafka", "data", NULL), KD_ENOTFOUND);
	CHECK(has(kd_error_last(), "no parameter enableLeaderElection"));
	CHECK_INT(kd_lua_lock_from_params(&l, NULL, "kafka", "data", NULL), KD_ENOTFOUND);
	cJSON_Delete(p);
	cJSON_Delete(q);
}

TEST(lua_durations_go_syntax)
{
	const struct {
		const char *in;
		int64_t ns;
		const char *out;
	} ok[] = {{"0", 0, "0s"}, {"5s", 5000000000LL, "5s"}, {"5m", 300000000000LL, "5m0s"},
		{"1h30m", 5400000000000LL, "1h30m0s"}, {"1.5s", 1500000000LL, "1.5s"}, {"300ms", 300000000LL, "300ms"},
		{"-1.5h", -5400000000000LL, "-1h30m0s"}, {".5s", 500000000LL, "500ms"}, {"1us", 1000, "1\xc2\xb5s"},
		{"2h45m10.25s", 9910250000000LL, "2h45m10.25s"}, {"+3ns", 3, "3ns"}, {"1.000000001s", 1000000001, "1.000000001s"}};
	for (size_t i = 0; i < KD_ARRAY_SIZE(ok); i++) {
		int64_t ns = -1;
		kd_buf b = KD_BUF_INIT;
		CHECK_INT(kd_duration_parse(&ns, ok[i].in), 0);
		CHECK_INT(ns, ok[i].ns);
		kd_duration_format(&b, ns);
		CHECK_STR(kd_buf_cstr(&b), ok[i].out);
		kd_buf_free(&b);
	}
	const char *bad[][2] = {{"", "invalid duration \"\""}, {"5", "missing unit in duration \"5\""},
		{"1d", "unknown unit \"d\" in duration \"1d\""}, {"1e3s", "unknown unit \"e\" in duration \"1e3s\""},
		{".s", "invalid duration \".s\""}, {"0x10s", "unknown unit \"x\" in duration \"0x10s\""},
		{"9999999999h", "overflowing duration \"9999999999h\""}, {"-", "invalid duration \"-\""}};
	for (size_t i = 0; i < KD_ARRAY_SIZE(bad); i++) {
		int64_t ns;
		CHECK_INT(kd_duration_parse(&ns, bad[i][0]), KD_EINVALID);
		CHECK_STR(kd_error_last(), bad[i][1]);
	}
}

/* The built binary's `verify leader` command line (no cluster needed for these). */
static int run_kudo(kd_buf *out, const char *args)
{
	kd_buf cmd = KD_BUF_INIT, kc = KD_BUF_INIT;
	kd_buf_printf(&kc, "%s/offline-kubeconfig", kd_test_tmpdir());
	kd_test_write_file(kd_buf_cstr(&kc),
		"apiVersion: v1\nkind: Config\ncurrent-context: x\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:9'}\n"
		"users:\n- name: u\n  user: {token: t}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n",
		0600);
	kd_buf_clear(out);
	kd_buf_printf(&cmd, "'%s' %s --kubeconfig '%s' 2>&1", kd_test_exe(), args, kd_buf_cstr(&kc));
	FILE *p = popen(kd_buf_cstr(&cmd), "r");
	char chunk[4096];
	size_t n;
	while (p && (n = fread(chunk, 1, sizeof chunk, p)) > 0)
		kd_buf_put(out, chunk, n);
	int st = p ? pclose(p) : -1;
	kd_buf_free(&cmd);
	kd_buf_free(&kc);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(cli_verify_leader_usage)
{
	kd_buf out = KD_BUF_INIT;
	CHECK_INT(run_kudo(&out, "verify leader -n default"), 2);
	CHECK_STR(kd_buf_cstr(&out), "kubectl-kudo: verify leader needs --instance NAME\n");
	/* without --lock the lock comes from the instance's revision records: it asks the cluster */
	CHECK_INT(run_kudo(&out, "verify leader --instance x"), 1);
	CHECK(has(kd_buf_cstr(&out), "127.0.0.1"));
	CHECK_INT(run_kudo(&out, "verify leader --instance x --lock y --kind etcd"), 2);
	CHECK_STR(kd_buf_cstr(&out), "kubectl-kudo: --kind must be configmap or lease, not \"etcd\"\n");
	CHECK_INT(run_kudo(&out, "verify leader --instance x --lock y --timeout soon"), 2);
	CHECK(has(kd_buf_cstr(&out), "--timeout soon: not a duration"));
	CHECK_INT(run_kudo(&out, "verify leader --instance x --lock ns/ "), 2);
	CHECK(has(kd_buf_cstr(&out), "--lock must be NAME or NAMESPACE/NAME"));
	CHECK_INT(run_kudo(&out, "verify leader --instance x --lock y --failover=maybe"), 2);
	CHECK(has(kd_buf_cstr(&out), "flag --failover takes true or false, not \"maybe\""));
	CHECK_INT(run_kudo(&out, "verify leader --instance x extra"), 2);
	CHECK_INT(run_kudo(&out, "verify nothing"), 2);
	CHECK(has(kd_buf_cstr(&out), "verify: unknown subcommand \"nothing\" (want leader)"));
	CHECK_INT(run_kudo(&out, "verify --help"), 0);
	CHECK(has(kd_buf_cstr(&out), "--failover deletes the holder's pod"));
	CHECK(has(kd_buf_cstr(&out), "--kubeconfig"));
	CHECK_INT(run_kudo(&out, "verify leader --instance Bad_Name --lock y"), 2);
	CHECK(has(kd_buf_cstr(&out), "--instance: an instance name must be a DNS-1123 label"));
	kd_buf_free(&out);
}

typedef struct {
	int pauses, reasons;
	char last[128];
	int stop_after;
} waitlog;

static void on_waiting(void *payload, const char *reason)
{
	waitlog *w = payload;
	w->reasons++;
	snprintf(w->last, sizeof w->last, "%s", reason);
}

static int on_pause(void *payload, long ms)
{
	waitlog *w = payload;
	(void)ms;
	w->pauses++;
	return w->stop_after && w->pauses >= w->stop_after;
}

TEST(lua_hook_wait_until_healthy_timeout_error_stop)
{
	char start[64];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(start, sizeof start, "{\"start\":\"%.6f\"}", (double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
	cJSON *params = cJSON_Parse(start);
	static const char src[] = "if now() < tonumber(params.start) + 0.3 then return false, 'not yet' end return true";
	kd_lua_wait_options o = {KD_LUA_HOOK_OPTIONS_INIT, 5000, 20, on_waiting, NULL, NULL};
	waitlog w = {0, 0, "", 0};
	o.run.params = params;
	o.payload = &w;
	char *last = NULL;
	/* the default pause: healthy after about 0.3 s, one reason reported once */
	CHECK_INT(kd_lua_hook_wait(&last, "hooks/w.lua", src, sizeof src - 1, &o), 0);
	CHECK_INT(w.reasons, 1);
	CHECK_STR(w.last, "not yet");
	CHECK_STR(last, "not yet");
	free(last);
	/* never healthy: the timeout names the script and the last reason */
	static const char never[] = "return false, 'replicas 1/3'";
	o.timeout_ms = 200;
	CHECK_INT(kd_lua_hook_wait(&last, "hooks/never.lua", never, sizeof never - 1, &o), KD_ETIMEOUT);
	CHECK_STR(kd_error_last(), "hooks/never.lua: not healthy after 200ms: replicas 1/3");
	free(last);
	/* an error ends the wait at once */
	static const char bad[] = "error('broken')";
	o.timeout_ms = 5000;
	CHECK_INT(kd_lua_hook_wait(NULL, "hooks/bad.lua", bad, sizeof bad - 1, &o), KD_ERROR);
	CHECK(has(kd_error_last(), "hooks/bad.lua:1: broken"));
	/* the engine's pause: runs again when it returns, stops when it says so */
	o.pause = on_pause;
	w.pauses = 0;
	w.stop_after = 3;
	CHECK_INT(kd_lua_hook_wait(NULL, "hooks/never.lua", never, sizeof never - 1, &o), KD_ECANCELED);
	CHECK_INT(w.pauses, 3);
	CHECK_STR(kd_error_last(), "hooks/never.lua: canceled while waiting");
	cJSON_Delete(params);
}
