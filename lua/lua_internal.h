/* Private to lua/: the state of one sandboxed run, shared by the sandbox, the hook API, the
 * JSON conversion and the bounded string/table functions. */
#ifndef KD_LUA_INTERNAL_H
#define KD_LUA_INTERNAL_H

#include <lauxlib.h>
#include <lualib.h>
#include <lua.h>
#include <stdint.h>

#include "lua.h"

/* Which cap stopped the run. */
typedef enum {
	KD_LUA__CAP_NONE = 0,
	KD_LUA__CAP_MEMORY,
	KD_LUA__CAP_INSTRUCTIONS,
	KD_LUA__CAP_TIME,
	KD_LUA__CAP_STOPPED, /* not a cap: the caller's stop flag */
} kd_lua__cap;

typedef struct {
	lua_State *L;
	const char *script;
	const kd_lua_hook_options *opts;
	/* memory */
	size_t mem_used, mem_limit;
	/* instructions: VM instructions counted by the hook, plus work charged by C functions */
	long long instr_used, instr_limit;
	int hook_period;
	/* wall clock (monotonic ms) */
	int64_t start_ms, deadline_ms;
	long wall_ms;
	/* the first cap hit, and the message (with traceback) built where it was hit */
	kd_lua__cap tripped;
	char where[160];
	char *cap_msg;
} kd_lua__ctx;

/* The context of a state (kept as the allocator's userdata). */
kd_lua__ctx *kd_lua__ctx_of(lua_State *L);

/* Adds `n` units of work done by a C function to the instruction count and checks the caps;
 * raises the cap error (it does not return) when one is hit. */
void kd_lua__charge(lua_State *L, long long n);

/* Raises the cap error for a cap already marked in the context. */
int kd_lua__raise_cap(lua_State *L, kd_lua__ctx *c);

/* Replaces string.find/match/gmatch/gsub (table at the top of the stack) with versions whose
 * matching charges its steps to the instruction budget, so no pattern runs unbounded. */
void kd_lua__open_patterns(lua_State *L);

/* JSON <-> Lua. Depth beyond KD_LUA__JSON_MAX_DEPTH is an error (it also stops cycles). */
#define KD_LUA__JSON_MAX_DEPTH 100
#define KD_LUA__JSON_MAX_NODES 1000000
/* Pushes `v` (NULL: nil). JSON null is json.null inside arrays and left out of objects; arrays
 * get the array metatable so they encode back as arrays. May raise (memory, caps, depth). */
void kd_lua__push_json(lua_State *L, const cJSON *v, const char *what);
/* Pushes `v` and frees it, also when the conversion raises. `what` names the caller in errors
 * ("json.decode: JSON nested more than 100 levels"). */
void kd_lua__push_json_owned(lua_State *L, cJSON *v, const char *what);
/* Converts the value at `idx`; NULL with a message in `err` (size `errsize`) when it cannot.
 * Never raises. */
cJSON *kd_lua__to_json(lua_State *L, int idx, char *err, size_t errsize);
/* Installs the `json` table (encode, decode, null, array) as a global and the array metatable. */
void kd_lua__open_json(lua_State *L);
/* Pushes json.null. */
void kd_lua__push_null(lua_State *L);

/* Installs params, instance, kube, now, log, print and kudoc as globals. */
void kd_lua__open_api(lua_State *L, kd_lua__ctx *c);

/* The Lua library built into the binary from the .lua files in lua/lib (generated at build
 * time by build.zig). */
typedef struct {
	const char *name; /* "leader" for lua/lib/leader.lua */
	const unsigned char *text;
	size_t len;
} kd_lua__lib;
extern const kd_lua__lib kd_lua__libs[];
extern const size_t kd_lua__nlibs;

#endif
