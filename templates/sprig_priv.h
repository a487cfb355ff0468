/* Internal to templates/sprig*.c: argument conversion as Go's text/template and sprig v2.22.0
 * do it, Go-typed value constructors and the few Go-valued types (time.Time, *semver.Version)
 * that have no cJSON counterpart.
 *
 * Go values map onto cJSON as: string -> string, int/int64 -> number with KD_JSON_INT,
 * float64 -> number, bool, nil -> null, []interface{} (and []string, []int) -> array,
 * map[string]interface{} -> object. time.Time and *semver.Version are objects whose first member
 * is a marker key (KD_SP_TIME_KEY / KD_SP_SEMVER_KEY) that no template can spell. */
#ifndef KD_SPRIG_PRIV_H
#define KD_SPRIG_PRIV_H

#include <stdint.h>

#include "../base/strconv.h"
#include "tpl_fn.h"

#define KD_SP_TIME_KEY "\x01time"
#define KD_SP_SEMVER_KEY "\x01semver"

/* Finer Go types than cJSON keeps, as more bits in `type` next to KD_JSON_INT (cJSON ignores
 * them and cJSON_Duplicate keeps them). They matter only to typeOf/kindOf/deepEqual and to
 * text/template's argument type checks (an int64 is not accepted where Go wants an int). */
#define KD_SP_INT64 (1 << 13) /* with KD_JSON_INT: int64 (sprig's math results) */
#define KD_SP_STRS (1 << 14)  /* array: []string; object: map[string]string */
#define KD_SP_INTS (1 << 15)  /* array: []int */
#define KD_SP_NIL KD_JSON_NIL /* array: a nil slice (toJson prints null; otherwise an empty list) */

/* Every function has this signature (tpl_fn.h's kd_tpl__fn). */
#define KD_SP_FN(name) int kd_tpl__spf_##name(cJSON **out, cJSON *const *args, int nargs, kd_tpl__call *call)

/* Typed parameters: a Go function parameter of type string/int/bool/map[string]interface{}.
 * A value of another type fails like text/template does ("wrong type for value; expected
 * int; got float64"). */
int kd_tpl__sp_arg_str(kd_tpl__call *call, const cJSON *v, const char **out);
int kd_tpl__sp_arg_int(kd_tpl__call *call, const cJSON *v, int64_t *out);
int kd_tpl__sp_arg_bool(kd_tpl__call *call, const cJSON *v, bool *out);
int kd_tpl__sp_arg_float(kd_tpl__call *call, const cJSON *v, double *out);
int kd_tpl__sp_arg_map(kd_tpl__call *call, const cJSON *v);
int kd_tpl__sp_arg_time(kd_tpl__call *call, const cJSON *v, int64_t *sec, int64_t *nsec,
	int *offset, const char **zone);

/* sprig's own conversions (numeric.go): strings through strconv.ParseInt(s, 10, 64) /
 * ParseFloat (0 when unparsable), bools as 1/0, floats truncated, everything else 0. */
int64_t kd_tpl__sp_toint64(const cJSON *v);
double kd_tpl__sp_tofloat64(const cJSON *v);


/* sprig's strval: strings as is, time and semver via their String(), else fmt's %v. */
int kd_tpl__sp_strval(kd_buf *b, const cJSON *v);
/* fmt's %T of the Go value behind v ("string", "int", "float64", "[]interface {}", ...). */
const char *kd_tpl__sp_typeof(const cJSON *v);
/* reflect.Kind's name ("string", "int", "float64", "slice", "map", "struct", "invalid"). */
const char *kd_tpl__sp_kindof(const cJSON *v);
/* sprig's empty(): nil, false, 0, "", empty list or map; time and semver are never empty. */
bool kd_tpl__sp_empty(const cJSON *v);
/* reflect.DeepEqual over Go-typed values (int 1 and float64 1 differ). */
bool kd_tpl__sp_deep_equal(const cJSON *a, const cJSON *b);

bool kd_tpl__sp_is_time(const cJSON *v);
bool kd_tpl__sp_is_semver(const cJSON *v);
/* A time.Time value: unix seconds, nanoseconds, zone offset in seconds and zone name. */
cJSON *kd_tpl__sp_new_time(int64_t sec, int64_t nsec, int offset, const char *zone);
/* time.Time.String() ("2006-01-02 15:04:05.999999999 -0700 MST"). */
int kd_tpl__sp_time_string(kd_buf *b, const cJSON *t);
/* Formats the time like Go's Time.Format(layout). */
int kd_tpl__sp_time_format(kd_buf *b, int64_t sec, int64_t nsec, int offset, const char *zone,
	const char *layout);

/* A buffer for a function's result: it fails (stickily) past KD_TPL_MAX_STRING. */
#define KD_SP_BUF {NULL, 0, 0, KD_TPL_MAX_STRING, 0}

/* A new string node from bytes (copied) or from a buffer (freed). A buffer that failed or holds
 * a NUL byte fails the running function (kd_tpl__fail_later) and gives "". */
cJSON *kd_tpl__sp_new_strn(const char *s, size_t n);
cJSON *kd_tpl__sp_take_buf(kd_buf *b);
/* For a buffer used as an intermediate: false (and the running function failed, as take_buf
 * would fail it) when its writes failed, so a cut string is never used. */
bool kd_tpl__sp_buf_ok(const kd_buf *b);
/* A deep copy (kd_json_dup) within the execution's memory budget; past it, or for a value too
 * deeply nested, the running function fails (kd_tpl__fail_later) and the copy is a null. */
cJSON *kd_tpl__sp_dup(const cJSON *v);
/* The list behind a Go slice/array argument, or NULL when v is not one. */
bool kd_tpl__sp_is_list(const cJSON *v);

/* Unicode helpers over UTF-8 (Go's unicode package for the common cases). */
uint32_t kd_tpl__sp_to_upper(uint32_t c);
uint32_t kd_tpl__sp_to_lower(uint32_t c);
uint32_t kd_tpl__sp_to_title(uint32_t c); /* unicode.ToTitle */
bool kd_tpl__sp_is_upper(uint32_t c);
bool kd_tpl__sp_is_lower(uint32_t c);
bool kd_tpl__sp_is_letter(uint32_t c);
bool kd_tpl__sp_is_digit(uint32_t c);
bool kd_tpl__sp_is_space(uint32_t c);
bool kd_tpl__sp_is_punct(uint32_t c);

/* For the engine's %v printing: when v is a time.Time or *semver.Version value, appends
 * what Go prints for it (its String()) and returns true; otherwise returns false. */
bool kd_tpl__sprig_fmt_special(kd_buf *out, const cJSON *v);

/* Random bytes from getrandom(2). */
void kd_tpl__sp_random(void *buf, size_t n);

/* Argument checks for KD_SP_FN bodies: declare `var` from args[i] or fail the call with
 * sprig's message. */
#define STR_ARG(var, i)                                          \
	const char *var;                                             \
	if (kd_tpl__sp_arg_str(call, args[i], &var) < 0)             \
		return KD_ERROR
#define INT_ARG(var, i)                                          \
	int64_t var;                                                 \
	if (kd_tpl__sp_arg_int(call, args[i], &var) < 0)             \
		return KD_ERROR
#define MAP_ARG(i)                                               \
	if (kd_tpl__sp_arg_map(call, args[i]) < 0)                   \
		return KD_ERROR

#endif
