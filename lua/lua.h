/* lua: health hooks. A package's Lua script decides whether a step is healthy; kudoc runs it in
 * a fresh Lua 5.4 state per run, in a sandbox with caps, and hands it a small read-only API
 * (params, instance, kube.*, now, log, json, kudoc.lib). lua/README.md documents what a script
 * sees; this header is what C callers (the plan engine, package verify, verify leader) use.
 *
 * The sandbox: the base library without dofile, loadfile, print to stdout (print goes to the
 * log), binary chunks in load, __gc metamethods or collectgarbage beyond "count"; string (no
 * dump), table, math and utf8; no io, os, package/require, debug or coroutine. Caps: memory
 * through the state's allocator, instructions through a count hook (C functions that can loop
 * long, such as pattern matching and table.move, charge their work to the same budget), and
 * wall-clock time per run (kube calls get the rest of it as their deadline). A run that hits a
 * cap stops with KD_ELIMIT and a message naming the script, the cap and the line it was at,
 * even when the script tried to catch it with pcall.
 *
 * Every function returns 0 or a negative KD_E* code and leaves the message (class KD_ERR_LUA)
 * in kd_error_last(). */
#ifndef KD_LUA_H
#define KD_LUA_H

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "../base/base.h"
#include "../kube/kube.h"

#define KD_LUA_DEFAULT_MEM_LIMIT ((size_t)32 << 20)
#define KD_LUA_DEFAULT_INSTR_LIMIT 100000000LL
#define KD_LUA_DEFAULT_WALL_MS 10000L
#define KD_LUA_DEFAULT_INTERVAL_MS 5000L /* health: interval not given */

/* What one hook run sees and may spend. Every pointer is borrowed for the call. */
typedef struct {
	/* The cluster. NULL: offline (package verify, fuzzing): kube.get/list/leader/pods raise
	 * "no cluster connection"; kube.ready still works (without pod reasons). */
	kd_kube_client *client;
	/* The `params` table: the .Params object templates see (params/ builds it; scalars as
	 * strings, arrays and maps as structures). NULL: an empty table. */
	const cJSON *params;
	/* The `instance` table. NULL fields are absent from it; namespace_ is also the default
	 * namespace of kube.get/list and of the leader library. */
	const char *instance, *namespace_, *plan, *phase, *step;
	long revision;
	size_t mem_limit;      /* bytes; 0: KD_LUA_DEFAULT_MEM_LIMIT */
	long long instr_limit; /* VM instructions (plus charged C work); 0: KD_LUA_DEFAULT_INSTR_LIMIT */
	long wall_ms;          /* wall-clock budget of the whole run; 0: KD_LUA_DEFAULT_WALL_MS */
	/* log(fmt, ...) and print(...) lines (no newline, at most 4 KiB each); NULL drops them. */
	void (*log)(void *payload, const char *line);
	void *log_payload;
	/* Ctrl-C: when *stop becomes non-zero the run stops at its next instruction with
	 * KD_ECANCELED (a kube call in flight stops through the client's own cancel flag). NULL:
	 * none. */
	const volatile sig_atomic_t *stop;
} kd_lua_hook_options;
#define KD_LUA_HOOK_OPTIONS_INIT {NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL, NULL, NULL}

/* Runs one hook: loads `src` (text only) as `script_name` (used in messages, e.g.
 * "hooks/operator-ready.lua") in a fresh sandboxed state and calls it.
 *
 * The script returns true (healthy: *healthy_out = true, *reason_out = NULL) or false and a
 * reason (waiting: *healthy_out = false, *reason_out = the reason, owned by the caller, free()).
 * Returns 0 in both cases. `opts` may be NULL (defaults, offline).
 *
 * Errors (*reason_out stays NULL):
 *   KD_ERROR   syntax error, a raised error, or a bad return value; the message is
 *              "hooks/x.lua:LINE: message" followed by "\nstack traceback:\n..." for runtime errors
 *   KD_ELIMIT  a cap was hit: "hooks/x.lua:LINE: stopped: memory limit reached (32 MiB)",
 *              "... instruction limit reached (100000000 instructions)" or
 *              "... time limit reached (10s of wall-clock time)", then the traceback
 *   KD_ECANCELED  *opts->stop became set: "hooks/x.lua:LINE: stopped: canceled"
 *   KD_ETIMEOUT/KD_ECANCELED/... never come from kube calls: a failed kube call raises a Lua
 *              error in the script (which may catch it), so it ends as KD_ERROR */
int kd_lua_hook_run(bool *healthy_out, char **reason_out, const char *script_name, const char *src,
	size_t len, const kd_lua_hook_options *opts);

/* Waiting on a hook, as a plan step does: run it, and while it says "waiting" run it again after
 * the interval (or sooner, when `pause` returns early because a watched object changed), until
 * it is healthy, fails, or the timeout passes. */
typedef struct {
	kd_lua_hook_options run; /* each run; run.wall_ms (default 10 s) is cut to the time left */
	long timeout_ms;         /* the whole wait; 0: 300000 (the plan engine passes the health
				  * timeout, else what is left of the step's) */
	long interval_ms;        /* between runs; 0: KD_LUA_DEFAULT_INTERVAL_MS (5 s) */
	/* Each new reason while waiting (for the progress view and plan status); NULL: none. */
	void (*waiting)(void *payload, const char *reason);
	/* Waits up to `ms`; may return early (a watched object changed). Non-zero: stop now
	 * (KD_ECANCELED). NULL: a plain sleep that wakes for *run.stop within 100 ms. */
	int (*pause)(void *payload, long ms);
	void *payload;
} kd_lua_wait_options;

/* 0 once the hook returned true. KD_ETIMEOUT: "SCRIPT: not healthy after 5m0s: <last reason>".
 * A run's error (KD_ERROR, KD_ELIMIT) ends the wait with that error; KD_ECANCELED when stopped.
 * *last_reason_out (may be NULL) gets the last reason the hook gave, owned by the caller. */
int kd_lua_hook_wait(char **last_reason_out, const char *script_name, const char *src, size_t len,
	const kd_lua_wait_options *opts);

/* Syntax check without running anything (package verify): 0, or KD_ERROR with
 * "script_name:LINE: message". */
int kd_lua_check(const char *script_name, const char *src, size_t len);

/* Runs `src` like a hook, passing `args` (NULL: none) as the chunk's `...` (one argument per
 * element when args is an array, else args itself), and returns every value the chunk returned
 * as a JSON array in *out (owned by the caller). Tables become objects or arrays as json.encode
 * makes them. For tools built on the Lua library (verify leader) and tests. */
int kd_lua_eval(cJSON **out, const char *script_name, const char *src, size_t len, const cJSON *args,
	const kd_lua_hook_options *opts);

/* ---------------------------------------------------------------------------------------------
 * Leader election (lua/lib/leader.lua, run from C) */

typedef struct {
	bool healthy;
	char *reason;  /* NULL when healthy */
	/* What leader.check found (NULL members absent): kind, namespace, lock, holder, pod, node,
	 * pod_ready, lease_duration, acquire_time, renew_time (seconds since the epoch), age (seconds
	 * since the last renewal), transitions, pods, pods_ready, ready_pods (array of names). */
	cJSON *details;
} kd_lua_leader_result;

/* Runs leader.check{namespace=lock_ns, lock=lock_name, kind=...} for the instance of `opts`
 * (opts->instance and opts->namespace_ are required; the pods of the instance are those in
 * opts->namespace_ labelled kudoc.dev/instance=<instance>). kind KD_KUBE_LOCK_ANY tries the
 * Lease, then the ConfigMap. Returns 0 with the verdict in *out (free with
 * kd_lua_leader_result_clear), or an error when the check could not run. */
int kd_lua_leader_check(kd_lua_leader_result *out, const char *lock_ns, const char *lock_name,
	kd_kube_lock_kind kind, const kd_lua_hook_options *opts);
void kd_lua_leader_result_clear(kd_lua_leader_result *r);

/* A leader-election lock as a package's parameters declare it. */
typedef struct {
	char *namespace_, *name;
	kd_kube_lock_kind kind;
} kd_lua_lock;

/* Which parameters declare the lock. NULL fields: the Spark package's names
 * (enableLeaderElection, leaderElectionLockName, leaderElectionLockNamespace,
 * leaderElectionLockKind) and default name "<instance>-lock". */
typedef struct {
	const char *enabled_param;   /* a boolean parameter that must be "true"; "" : no such switch */
	const char *name_param;      /* the lock's name; empty value: "<instance><default_suffix>" */
	const char *namespace_param; /* the lock's namespace; empty value: the instance's namespace */
	const char *kind_param;      /* "configmap" | "lease"; absent or empty: KD_KUBE_LOCK_ANY */
	const char *default_suffix;  /* NULL: "-lock" */
} kd_lua_lock_mapping;
#define KD_LUA_LOCK_MAPPING_INIT {NULL, NULL, NULL, NULL, NULL}

/* Derives the lock from resolved parameters (the .Params object of a revision: values as
 * strings). Pure. KD_ENOTFOUND (with a message saying which parameter is missing or that leader
 * election is off) when the parameters do not declare one; KD_EINVALID for a bad kind value.
 * `mapping` may be NULL. Free with kd_lua_lock_clear. */
int kd_lua_lock_from_params(kd_lua_lock *out, const cJSON *params, const char *instance,
	const char *namespace_, const kd_lua_lock_mapping *mapping);
void kd_lua_lock_clear(kd_lua_lock *l);

/* "configmap", "lease" or "any"; and back (KD_EINVALID for anything else, "" and NULL are any). */
const char *kd_lua_lock_kind_name(kd_kube_lock_kind k);
int kd_lua_lock_kind_parse(kd_kube_lock_kind *out, const char *s);

#endif
