/* Internal to templates/: the interface between the evaluator and the function library.
 *
 * A function receives its evaluated arguments (borrowed; never NULL: Go's nil is a cJSON NULL
 * node) and returns a new value in *out (owned by the evaluator), or fails through
 * kd_tpl__fn_fail, whose message the evaluator wraps as Go does:
 *   template: NAME:L:C: executing "NAME" at <fn>: error calling fn: MESSAGE
 * Integers in Go's sense carry KD_JSON_INT (base/json.h); float64 values do not. */
#ifndef KD_TPL_FN_H
#define KD_TPL_FN_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "../base/base.h"
#include "../base/json.h"

typedef struct kd_tpl__call kd_tpl__call; /* opaque call context, owned by the evaluator */

/* The longest string one function (or print, printf) may build, as Go's memory would allow
 * but a render never needs. */
#define KD_TPL_MAX_STRING ((size_t)64 << 20)
/* The memory all the values one execution builds may take at a time (its output cap). */
#define KD_TPL_MAX_VALUES ((size_t)256 << 20)

typedef int (*kd_tpl__fn)(cJSON **out, cJSON *const *args, int nargs, kd_tpl__call *call);

typedef struct {
	const char *name;
	kd_tpl__fn fn;
	int min_args; /* Go's arity: calls with fewer arguments fail */
	int max_args; /* -1: variadic */
} kd_tpl__fndef;

/* Records a function failure; returns KD_ERROR. */
int kd_tpl__fn_fail(kd_tpl__call *call, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Hands over a node that a function detached from a value it mutated in place (the old value
 * `set` replaces, the entry `unset` removes, ...). Other values of the execution (variables,
 * a range in progress) may still point into it, as Go's garbage collector would keep it alive;
 * the evaluator frees it when the execution ends. With call == NULL it is freed at once. */
void kd_tpl__fn_retire(kd_tpl__call *call, cJSON *detached);

/* Makes the call's result argument i itself instead of *out (which the evaluator then frees):
 * Go maps are references, so `set $d "k" v` returns $d, not a copy. */
void kd_tpl__fn_return_arg(kd_tpl__call *call, int i);

/* Map members by key, through the evaluator's hash index for large maps. Functions that add or
 * remove members of a map they were given report it, so the index stays true. `call` may be
 * NULL (the running execution is used). */
cJSON *kd_tpl__obj_get(kd_tpl__call *call, const cJSON *obj, const char *key);
void kd_tpl__obj_added(kd_tpl__call *call, const cJSON *obj, cJSON *member);
void kd_tpl__obj_removed(kd_tpl__call *call, const cJSON *obj, cJSON *member);

/* The memory budget for the values an execution builds: whether it is spent, and how many
 * bytes are left (SIZE_MAX outside an execution). Loops that build large values check it. */
bool kd_tpl__budget_spent(kd_tpl__call *call);
size_t kd_tpl__budget_left(kd_tpl__call *call);

/* Fails the function running now after it returns, whatever it returns (the first reason
 * wins): for helpers without a call context that hit a limit (a copy over the memory budget, a
 * buffer past KD_TPL_MAX_STRING, a NUL byte in a result). */
void kd_tpl__fail_later(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The sprig library (templates/sprig*.c): a NULL-name-terminated table. */
extern const kd_tpl__fndef kd_tpl__sprig_fns[];

/* Go's fmt value printing for %v (used by print, printf, toString, ...): strings as is,
 * float64 via kd_json_fmt_float, ints as decimal, bools, nil as "<nil>", lists as "[a b]",
 * maps as "map[k:v k2:v2]" with sorted keys. */
int kd_tpl__fmt_value(kd_buf *out, const cJSON *v);
/* Go's truthiness (text/template's isTrue): false, 0, "", nil, empty list/map are false. */
bool kd_tpl__truth(const cJSON *v);

#endif
