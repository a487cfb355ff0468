/* json: helpers over cJSON, kudoc's one value model.
 *
 * Go distinguishes int from float64 where cJSON has only a double. kudoc marks numbers that
 * are integers in Go's sense (int, int64: results of `add`, `len`, `atoi`, literals like `3` in
 * templates) with the KD_JSON_INT bit in `type`. cJSON keeps the bit through cJSON_Duplicate and
 * ignores it in cJSON_IsNumber (which masks the low byte). Numbers parsed from YAML or JSON
 * documents are float64 (no bit), as they are after sigs.k8s.io/yaml's JSON round trip.
 * Integers are exact over Go's whole int64 range: past 2^53 the difference between the value
 * and `valuedouble` (at most 1024) is kept in `valueint`, which cJSON copies and otherwise
 * ignores; always create and read them with kd_json_new_int / kd_json_int.
 *
 * Values can be built deeper than C's stack allows (a template can nest a map a level per loop
 * pass): kd_json_delete and kd_json_dup do not recurse, and every walk that does stops at
 * KD_JSON_MAX_DEPTH. */
#ifndef KD_JSON_H
#define KD_JSON_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "base.h"

#define KD_JSON_INT (1 << 12)
/* A node its creator keeps: when a template detaches it from its data (set or unset replacing a
 * member), the engine lets go of it instead of freeing it. Copies do not inherit the mark. */
#define KD_JSON_PINNED (1 << 16)
/* On an empty array: a Go nil slice, which prints "[]" but encodes to JSON as null (what KUDO
 * gives templates for an array parameter without a default; regexFindAll's nothing). Kept by
 * copies. The templates engine calls it KD_SP_NIL. */
#define KD_JSON_NIL (1 << 17)

static inline bool kd_json_is_int(const cJSON *v)
{
	return v && cJSON_IsNumber(v) && (v->type & KD_JSON_INT);
}
/* A new number marked as a Go int. */
cJSON *kd_json_new_int(int64_t v);
/* The value of a number as a Go int64: exact for kd_json_new_int numbers, truncated and
 * clamped for float64 ones. */
int64_t kd_json_int(const cJSON *v);

/* How deep the recursive walks over values go (toJson, toYaml, fmt printing, equality, ...);
 * deeper values are refused with "value nested too deeply". Go's encoding/json and yaml.v3 have
 * the same depth limit. */
#define KD_JSON_MAX_DEPTH 10000

/* cJSON_Delete without recursion: frees `item` and every sibling after it. */
void kd_json_delete(cJSON *item);
/* A deep copy of `v` (cJSON_Duplicate's result, kudoc's type bits and int64 values kept) made
 * without recursion. `budget`, when not NULL, holds the bytes the copy may take (see
 * kd_json_size) and is decreased by what it took. Fails, setting the error, with KD_ELIMIT when
 * the budget runs out or KD_EINVALID when `v` is deeper than KD_JSON_MAX_DEPTH; *out is then
 * NULL. */
int kd_json_dup(cJSON **out, const cJSON *v, size_t *budget);
/* An estimate of the memory `v` holds (nodes, keys and strings), counted up to `limit`: a value
 * larger than the limit returns limit + 1. */
size_t kd_json_size(const cJSON *v, size_t limit);

/* Deep structural equality (numbers by value, object keys in any order). Values nested deeper
 * than KD_JSON_MAX_DEPTH compare unequal. */
bool kd_json_equal(const cJSON *a, const cJSON *b);

/* The member `key` of an object, compared case-sensitively (cJSON's default lookup is
 * case-insensitive, which is wrong for Kubernetes and for Go maps). Borrowed; NULL if absent. */
cJSON *kd_json_get(const cJSON *obj, const char *key);
/* Walks a path of case-sensitive keys, e.g. kd_json_path(o, "metadata", "name", NULL). */
cJSON *kd_json_path(const cJSON *obj, ...);
/* The string value of member `key`, or NULL when absent or not a string. Borrowed. */
const char *kd_json_get_str(const cJSON *obj, const char *key);

/* Appends a short description of a value for messages ("got ..."): a string quoted with
 * control characters escaped and cut after 80 bytes, numbers as Go prints them, true/false,
 * null, "a list", "a map". With `with_kind`, scalars are prefixed by their kind
 * ("string \"x\"", "number 3", "boolean true"). */
void kd_json_describe(kd_buf *b, const cJSON *v, bool with_kind);

/* Formats a double as Go's strconv.FormatFloat(f, 'g', -1, 64) does, which is also what
 * fmt's %v prints for a float64 ("3", "0.5", "1e+06", "1.234567e+06", "+Inf", "NaN").
 * Writes into buf (at least 32 bytes) and returns it. */
char *kd_json_fmt_float(char *buf, size_t size, double v);
/* The same for strconv.FormatFloat(f, 'g', -1, 32): v rounded to a float32, its shortest
 * digits ("5.7" for 5.7, "3.1415927" for pi, "+Inf" past float32's range). sigs.k8s.io/yaml
 * formats a YAML float that lands in a Go string field so. */
char *kd_json_fmt_float32(char *buf, size_t size, double v);
/* A float64 as Go's encoding/json writes it: the shortest digits that read back as the same
 * number, in plain form for 1e-6 <= |v| < 1e21 (and 0), else as strconv's 'e' with a negative
 * exponent's leading zero dropped ("1.5e-7", "1e+21"). +Inf, -Inf and NaN (which encoding/json
 * refuses) print as kd_json_fmt_float prints them. */
char *kd_json_fmt_number(char *buf, size_t size, double v);

#endif
