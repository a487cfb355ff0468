/* strconv: the syntax rules kudoc shares with Go, written once for the whole program.
 *
 *   - Go's strconv: ParseInt, ParseUint, ParseFloat, ParseBool (what KUDO, sprig and
 *     text/template use to read numbers and booleans);
 *   - YAML 1.1's plain scalars as gopkg.in/yaml.v2 v2.3.0 resolves them (null, booleans,
 *     integers, floats, timestamps), which decide both how kudoc reads YAML and how toYaml
 *     quotes strings;
 *   - Go's time.Parse and Time.Format over reference-time layouts, and the calendar Go's time
 *     package computes with (its wrap-around included, so out-of-range times print as Go's).
 *
 * Nothing here allocates except where a kd_buf is given. */
#ifndef KD_STRCONV_H
#define KD_STRCONV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base.h"

/* strconv.ParseUint(s, base, 64) / ParseInt(s, base, 64); base 0 reads Go's prefixes (0x, 0o,
 * 0b, leading 0 for octal) and allows '_' between digits. Returns 0, KD_EINVALID for a syntax
 * error (*out = 0) or KD_ELIMIT for a value out of range (*out clamped, as Go returns it). */
int kd_go_parse_uint(const char *s, int base, uint64_t *out);
int kd_go_parse_int(const char *s, int base, int64_t *out);
/* strconv.ParseFloat(s, 64): decimal and hexadecimal floats, '_' between digits, "inf",
 * "infinity" and "nan" in any case (signed except nan). Returns 0, KD_EINVALID, or KD_ELIMIT
 * when the value overflows (*out is then ±Inf). */
int kd_go_parse_float(const char *s, double *out);
/* strconv.ParseBool: 1 t T TRUE true True / 0 f F FALSE false False. 0 or KD_EINVALID. */
int kd_go_parse_bool(const char *s, bool *out);

/* What a plain (unquoted, untagged) YAML scalar resolves to in yaml.v2. */
typedef enum {
	KD_Y11_STR,
	KD_Y11_NULL,
	KD_Y11_BOOL,
	KD_Y11_INT,   /* int64, or uint64 when only ParseUint accepts it */
	KD_Y11_FLOAT, /* float64, including .inf and .nan */
	KD_Y11_TIMESTAMP,
} kd_y11_kind;

typedef struct {
	kd_y11_kind kind;
	bool b;       /* KD_Y11_BOOL */
	bool is_uint; /* KD_Y11_INT: the value is u, not i */
	int64_t i;
	uint64_t u;
	double f; /* KD_Y11_FLOAT, and KD_Y11_INT's value as a float64 */
} kd_y11_value;

/* Resolves plain scalar `s` as yaml.v2's resolve("", s) does. `out` may be NULL. ("<<" is a
 * string here: a merge key is recognized by its place, not by resolution.) */
kd_y11_kind kd_yaml11_resolve(const char *s, kd_y11_value *out);
/* yaml.v2's isBase60Float (^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$): strings the
 * encoder quotes although they resolve to strings. */
bool kd_yaml11_is_base60_float(const char *s);

/* A time as Go's time package holds one: seconds and nanoseconds since the Unix epoch, and the
 * zone's offset east of UTC and its name ("" for a zone without a name: Format prints the
 * offset for MST). */
typedef struct {
	int64_t sec;
	int32_t nsec;
	int32_t offset;
	char zone[16];
} kd_go_time;

/* time.Parse(layout, value) for Go's layout elements (January Jan Monday Mon MST 2006 06 01 1
 * 02 2 _2 002 __2 15 03 3 04 4 05 5 PM pm -07:00:00 -070000 -07:00 -0700 -07 Z07:00:00 Z070000
 * Z07:00 Z0700 Z07 .000 .999 ,000 ,999), with its range checks (day in month included). A value
 * that names no zone gets `default_offset` and `default_zone`; with default_zone NULL it is left
 * as its wall clock read as UTC and the function returns 1 (for callers that look the local
 * offset up at that wall time). Returns 0, 1 or KD_EINVALID. */
int kd_go_time_parse(kd_go_time *out, const char *layout, const char *value, int32_t default_offset,
	const char *default_zone);
/* Time.Format(layout), appended to b. */
int kd_go_time_format(kd_buf *b, const kd_go_time *t, const char *layout);
/* Time.String() without a monotonic reading: "2006-01-02 15:04:05.999999999 -0700 MST". */
int kd_go_time_string(kd_buf *b, const kd_go_time *t);
/* The civil date and clock of a time in its zone, as Go computes them (a year past Go's range
 * wraps as Go's does). */
void kd_go_time_civil(const kd_go_time *t, int64_t *year, int *month, int *day, int *hour, int *min,
	int *sec, int *wday, int *yday);
/* Days from 1970-01-01 to year-month-day (proleptic Gregorian; month 1..12). */
int64_t kd_days_from_civil(int64_t year, int month, int day);

#endif
