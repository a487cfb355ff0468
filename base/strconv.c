/* Go's strconv, YAML 1.1's plain scalars and Go's time layouts, once for the whole program.
 * Checked against Go 1.26's internal/strconv, time/format.go and gopkg.in/yaml.v2 v2.3.0's
 * resolve.go; the comments name the Go function each piece follows. */
#include "strconv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* ---- numbers and booleans (internal/strconv atoi.go, atof.go, atob.go) ------------------ */

/* underscoreOK: '_' only between digits, or between a base prefix and a digit. */
static bool underscore_ok(const char *s, size_t n)
{
	int saw = '^';
	size_t i = 0;
	if (n >= 1 && (s[0] == '-' || s[0] == '+')) {
		s++;
		n--;
	}
	bool hex = false;
	if (n >= 2 && s[0] == '0' && (lower(s[1]) == 'b' || lower(s[1]) == 'o' || lower(s[1]) == 'x')) {
		i = 2;
		saw = '0';
		hex = lower(s[1]) == 'x';
	}
	for (; i < n; i++) {
		if (is_digit(s[i]) || (hex && lower(s[i]) >= 'a' && lower(s[i]) <= 'f')) {
			saw = '0';
			continue;
		}
		if (s[i] == '_') {
			if (saw != '0')
				return false;
			saw = '_';
			continue;
		}
		if (saw == '_')
			return false;
		saw = '!';
	}
	return saw != '_';
}

int kd_go_parse_uint(const char *s, int base, uint64_t *out)
{
	const char *s0 = s;
	size_t n = strlen(s);
	bool base0 = base == 0;
	*out = 0;
	if (n == 0)
		return KD_EINVALID;
	if (base == 0) {
		base = 10;
		if (s[0] == '0') {
			if (n >= 3 && lower(s[1]) == 'b')
				base = 2, s += 2;
			else if (n >= 3 && lower(s[1]) == 'o')
				base = 8, s += 2;
			else if (n >= 3 && lower(s[1]) == 'x')
				base = 16, s += 2;
			else
				base = 8, s += 1;
		}
	} else if (base < 2 || base > 36) {
		return KD_EINVALID;
	}
	uint64_t cutoff = UINT64_MAX / (uint64_t)base + 1, v = 0;
	bool underscores = false;
	for (; *s; s++) {
		int c = (unsigned char)*s, d;
		if (c == '_' && base0) {
			underscores = true;
			continue;
		}
		if (is_digit(c))
			d = c - '0';
		else if (lower(c) >= 'a' && lower(c) <= 'z')
			d = lower(c) - 'a' + 10;
		else
			return KD_EINVALID;
		if (d >= base)
			return KD_EINVALID;
		/* Go stops at the first overflow: later bad characters are not looked at. */
		if (v >= cutoff) {
			*out = UINT64_MAX;
			return KD_ELIMIT;
		}
		v *= (uint64_t)base;
		uint64_t v1 = v + (uint64_t)d;
		if (v1 < v) {
			*out = UINT64_MAX;
			return KD_ELIMIT;
		}
		v = v1;
	}
	if (underscores && !underscore_ok(s0, n))
		return KD_EINVALID;
	*out = v;
	return 0;
}

int kd_go_parse_int(const char *s, int base, int64_t *out)
{
	bool neg = false;
	*out = 0;
	if (!*s)
		return KD_EINVALID;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	uint64_t u;
	int rc = kd_go_parse_uint(s, base, &u);
	if (rc == KD_EINVALID)
		return rc;
	if (!neg && u >= (uint64_t)1 << 63) {
		*out = INT64_MAX;
		return KD_ELIMIT;
	}
	if (neg && u > (uint64_t)1 << 63) {
		*out = INT64_MIN;
		return KD_ELIMIT;
	}
	*out = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 0;
}

/* The length of the common prefix of s and the lower-case word w, ignoring case. */
static size_t prefix_nocase(const char *s, const char *w)
{
	size_t i = 0;
	while (s[i] && w[i] && lower((unsigned char)s[i]) == w[i])
		i++;
	return i;
}

/* readFloat's syntax: [+-] (digits [. digits] | . digits) [e [+-] digits], or 0x hex mantissa
 * with a mandatory p exponent; '_' anywhere, checked by underscoreOK. */
static bool float_syntax(const char *s)
{
	size_t n = strlen(s), i = 0;
	bool underscores = false, hex = false, dot = false, digits = false;
	if (s[i] == '+' || s[i] == '-')
		i++;
	if (i + 2 < n && s[i] == '0' && lower(s[i + 1]) == 'x') {
		hex = true;
		i += 2;
	}
	for (; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '_') {
			underscores = true;
		} else if (c == '.') {
			if (dot)
				break;
			dot = true;
		} else if (is_digit(c) || (hex && lower(c) >= 'a' && lower(c) <= 'f')) {
			digits = true;
		} else {
			break;
		}
	}
	if (!digits)
		return false;
	if (i < n && lower((unsigned char)s[i]) == (hex ? 'p' : 'e')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || !is_digit(s[i]))
			return false;
		for (; i < n && (is_digit(s[i]) || s[i] == '_'); i++)
			if (s[i] == '_')
				underscores = true;
	} else if (hex) {
		return false;
	}
	if (i != n)
		return false;
	return !underscores || underscore_ok(s, n);
}

int kd_go_parse_float(const char *s, double *out)
{
	*out = 0;
	/* special(): inf and infinity take a sign, nan does not */
	const char *p = s;
	int sign = 1;
	if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		p++;
	}
	size_t k = prefix_nocase(p, "infinity");
	if ((k == 3 && !p[3]) || (k == 8 && !p[8])) {
		*out = sign * INFINITY;
		return 0;
	}
	if (p == s && prefix_nocase(s, "nan") == 3 && !s[3]) {
		*out = NAN;
		return 0;
	}
	if (!float_syntax(s))
		return KD_EINVALID;
	/* strtod reads the same grammar once the separators are gone, and rounds as Go does
	 * (correctly); it must not see "inf"/"nan" spellings, which the syntax check excluded. */
	size_t n = strlen(s);
	char stack[64], *t = n < sizeof stack ? stack : kd_malloc(n + 1);
	size_t j = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] != '_')
			t[j++] = s[i];
	t[j] = '\0';
	errno = 0;
	double d = strtod(t, NULL);
	int rc = errno == ERANGE && isinf(d) ? KD_ELIMIT : 0;
	if (t != stack)
		free(t);
	*out = d;
	return rc;
}

int kd_go_parse_bool(const char *s, bool *out)
{
	static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};
	for (size_t i = 0; i < KD_ARRAY_SIZE(t); i++) {
		if (strcmp(s, t[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(s, f[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return KD_EINVALID;
}

/* ---- YAML 1.1 plain scalars (yaml.v2 resolve.go) ----------------------------------------- */

static const struct {
	const char *word;
	kd_y11_kind kind;
	int value; /* bool value, or the float: 0 nan, 1 +inf, -1 -inf */
} y11_words[] = {
	{"y", KD_Y11_BOOL, 1}, {"Y", KD_Y11_BOOL, 1}, {"yes", KD_Y11_BOOL, 1}, {"Yes", KD_Y11_BOOL, 1},
	{"YES", KD_Y11_BOOL, 1}, {"true", KD_Y11_BOOL, 1}, {"True", KD_Y11_BOOL, 1}, {"TRUE", KD_Y11_BOOL, 1},
	{"on", KD_Y11_BOOL, 1}, {"On", KD_Y11_BOOL, 1}, {"ON", KD_Y11_BOOL, 1},
	{"n", KD_Y11_BOOL, 0}, {"N", KD_Y11_BOOL, 0}, {"no", KD_Y11_BOOL, 0}, {"No", KD_Y11_BOOL, 0},
	{"NO", KD_Y11_BOOL, 0}, {"false", KD_Y11_BOOL, 0}, {"False", KD_Y11_BOOL, 0},
	{"FALSE", KD_Y11_BOOL, 0}, {"off", KD_Y11_BOOL, 0}, {"Off", KD_Y11_BOOL, 0}, {"OFF", KD_Y11_BOOL, 0},
	{"", KD_Y11_NULL, 0}, {"~", KD_Y11_NULL, 0}, {"null", KD_Y11_NULL, 0}, {"Null", KD_Y11_NULL, 0},
	{"NULL", KD_Y11_NULL, 0},
	{".nan", KD_Y11_FLOAT, 0}, {".NaN", KD_Y11_FLOAT, 0}, {".NAN", KD_Y11_FLOAT, 0},
	{".inf", KD_Y11_FLOAT, 1}, {".Inf", KD_Y11_FLOAT, 1}, {".INF", KD_Y11_FLOAT, 1},
	{"+.inf", KD_Y11_FLOAT, 1}, {"+.Inf", KD_Y11_FLOAT, 1}, {"+.INF", KD_Y11_FLOAT, 1},
	{"-.inf", KD_Y11_FLOAT, -1}, {"-.Inf", KD_Y11_FLOAT, -1}, {"-.INF", KD_Y11_FLOAT, -1},
};

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool yaml_style_float(const char *s)
{
	if (*s == '+' || *s == '-')
		s++;
	if (*s == '.') {
		s++;
		if (!is_digit(*s))
			return false;
		while (is_digit(*s))
			s++;
	} else {
		if (!is_digit(*s))
			return false;
		while (is_digit(*s))
			s++;
		if (*s == '.') {
			s++;
			while (is_digit(*s))
				s++;
		}
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!is_digit(*s))
			return false;
		while (is_digit(*s))
			s++;
	}
	return *s == '\0';
}

/* parseTimestamp: four digits and '-', then one of yaml.v2's four layouts. */
static bool yaml_timestamp(const char *s)
{
	static const char *const layouts[] = {"2006-1-2T15:4:5.999999999Z07:00", "2006-1-2t15:4:5.999999999Z07:00",
		"2006-1-2 15:4:5.999999999", "2006-1-2"};
	size_t i = 0;
	while (is_digit(s[i]))
		i++;
	if (i != 4 || s[i] != '-')
		return false;
	for (size_t k = 0; k < KD_ARRAY_SIZE(layouts); k++) {
		kd_go_time t;
		if (kd_go_time_parse(&t, layouts[k], s, 0, "UTC") == 0)
			return true;
	}
	return false;
}

static kd_y11_kind set_int(kd_y11_value *v, int64_t i)
{
	v->kind = KD_Y11_INT;
	v->i = i;
	v->f = (double)i;
	return KD_Y11_INT;
}

static kd_y11_kind set_uint(kd_y11_value *v, uint64_t u)
{
	v->kind = KD_Y11_INT;
	v->is_uint = true;
	v->u = u;
	v->f = (double)u;
	return KD_Y11_INT;
}

static kd_y11_kind resolve_number(const char *in, kd_y11_value *v)
{
	if (yaml_timestamp(in))
		return v->kind = KD_Y11_TIMESTAMP;
	size_t n = strlen(in), j = 0;
	char stack[64], *plain = n < sizeof stack ? stack : kd_malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		if (in[i] != '_')
			plain[j++] = in[i];
	plain[j] = '\0';
	int64_t i64;
	uint64_t u64;
	double f;
	kd_y11_kind k = KD_Y11_STR;
	if (kd_go_parse_int(plain, 0, &i64) == 0)
		k = set_int(v, i64);
	else if (kd_go_parse_uint(plain, 0, &u64) == 0)
		k = set_uint(v, u64);
	else if (yaml_style_float(plain) && kd_go_parse_float(plain, &f) == 0)
		v->kind = k = KD_Y11_FLOAT, v->f = f;
	else if (strncmp(plain, "0b", 2) == 0 && kd_go_parse_int(plain + 2, 2, &i64) == 0)
		k = set_int(v, i64);
	else if (strncmp(plain, "0b", 2) == 0 && kd_go_parse_uint(plain + 2, 2, &u64) == 0)
		k = set_uint(v, u64);
	else if (strncmp(plain, "-0b", 3) == 0 && (plain[2] = '-', kd_go_parse_int(plain + 2, 2, &i64) == 0))
		k = set_int(v, i64); /* ParseInt("-" + plain[3:], 2, 64) */
	if (plain != stack)
		free(plain);
	return k;
}

kd_y11_kind kd_yaml11_resolve(const char *s, kd_y11_value *out)
{
	kd_y11_value scratch;
	kd_y11_value *v = out ? out : &scratch;
	memset(v, 0, sizeof(*v));
	int c = (unsigned char)s[0];
	/* resolveTable: only these first characters can start a non-string */
	bool sign = c == '+' || c == '-', digit = is_digit(c);
	if (!(c == '\0' || sign || digit || c == '.' || (c && strchr("yYnNtTfFoO~", c))))
		return v->kind = KD_Y11_STR;
	for (size_t i = 0; i < KD_ARRAY_SIZE(y11_words); i++) {
		/* the first byte first: most scalars that get here ("object", "string" in a CRD) match
		 * no word, and a strcmp per word was a tenth of decoding one */
		if (y11_words[i].word[0] != s[0] || strcmp(s, y11_words[i].word) != 0)
			continue;
		v->kind = y11_words[i].kind;
		if (v->kind == KD_Y11_BOOL)
			v->b = y11_words[i].value != 0;
		else if (v->kind == KD_Y11_FLOAT)
			v->f = y11_words[i].value == 0 ? NAN : y11_words[i].value * INFINITY;
		return v->kind;
	}
	if (c == '.') {
		double f;
		if (kd_go_parse_float(s, &f) == 0) {
			v->f = f;
			return v->kind = KD_Y11_FLOAT;
		}
		return v->kind = KD_Y11_STR;
	}
	if (sign || digit)
		return resolve_number(s, v);
	return v->kind = KD_Y11_STR;
}

bool kd_yaml11_is_base60_float(const char *s)
{
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	if (!is_digit(*p))
		return false;
	while (is_digit(*p) || *p == '_')
		p++;
	int groups = 0;
	while (*p == ':') {
		p++;
		if (p[0] >= '0' && p[0] <= '5' && is_digit(p[1]))
			p += 2;
		else if (is_digit(p[0]))
			p += 1;
		else
			return false;
		groups++;
	}
	if (!groups)
		return false;
	if (*p == '.') {
		p++;
		while (is_digit(*p) || *p == '_')
			p++;
	}
	return *p == '\0';
}

/* ---- Go's calendar (time/time.go) -------------------------------------------------------- */

/* Seconds from the Unix epoch to Go's "absolute zero" (March 1 of year -292277022400); Go
 * computes every presentation in uint64 from there, wrapping for times past its range. */
#define UNIX_TO_ABSOLUTE 9223372028741760000ULL
#define ABSOLUTE_YEARS 292277022400ULL

static const char *const MONTHS[] = {"January", "February", "March", "April", "May", "June", "July", "August",
	"September", "October", "November", "December"};
static const char *const DAYS[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

void kd_go_time_civil(const kd_go_time *t, int64_t *year, int *month, int *day, int *hour, int *min, int *sec,
	int *wday, int *yday)
{
	uint64_t abs = (uint64_t)t->sec + (uint64_t)(int64_t)t->offset + UNIX_TO_ABSOLUTE;
	uint64_t days = abs / 86400;
	/* absDays.split */
	uint64_t d = 4 * days + 3;
	uint64_t century = d / 146097;
	uint32_t cd = (uint32_t)(d % 146097) | 3;
	uint64_t prod = (uint64_t)2939745 * cd;
	uint32_t cyear = (uint32_t)(prod >> 32);
	uint32_t ayday = (uint32_t)prod / 2939745 / 4;
	/* absYday.split */
	uint32_t md = 2141 * ayday + 197913;
	int amonth = (int)(md >> 16), mday = 1 + (int)((md & 0xFFFF) / 2141);
	int janfeb = ayday >= 306;
	int leap = (cyear % 4 == 0) & ((cyear != 0) | (century % 4 == 0));
	if (year)
		*year = (int64_t)(century * 100 - ABSOLUTE_YEARS) + (int64_t)cyear + janfeb;
	if (month)
		*month = amonth - janfeb * 12;
	if (day)
		*day = mday;
	if (yday)
		*yday = (int)ayday + (1 + 31 + 28) + (leap & ~janfeb) - 365 * janfeb;
	if (wday)
		*wday = (int)((days + 3) % 7);
	uint64_t s = abs % 86400;
	if (hour)
		*hour = (int)(s / 3600);
	if (min)
		*min = (int)(s / 60 % 60);
	if (sec)
		*sec = (int)(s % 60);
}

int64_t kd_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool is_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int days_in(int m, int64_t y)
{
	static const int n[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : n[m - 1];
}

/* ---- layouts (time/format.go) ------------------------------------------------------------ */

enum {
	S_NONE,
	S_LONG_MONTH, S_MONTH, S_NUM_MONTH, S_ZERO_MONTH,
	S_LONG_WEEKDAY, S_WEEKDAY,
	S_DAY, S_UNDER_DAY, S_ZERO_DAY, S_UNDER_YDAY, S_ZERO_YDAY,
	S_HOUR, S_HOUR12, S_ZERO_HOUR12, S_MINUTE, S_ZERO_MINUTE, S_SECOND, S_ZERO_SECOND,
	S_LONG_YEAR, S_YEAR, S_PM, S_pm, S_TZ,
	S_ISO_TZ, S_ISO_SECONDS_TZ, S_ISO_SHORT_TZ, S_ISO_COLON_TZ, S_ISO_COLON_SECONDS_TZ,
	S_NUM_TZ, S_NUM_SECONDS_TZ, S_NUM_SHORT_TZ, S_NUM_COLON_TZ, S_NUM_COLON_SECONDS_TZ,
	S_FRAC0, S_FRAC9,
};

typedef struct {
	size_t prefix; /* bytes of literal text before the element */
	int std;
	size_t len;   /* bytes of the element */
	int digits;   /* S_FRAC*: how many */
	char sep;     /* S_FRAC*: '.' or ',' */
} chunk;

static bool starts_lower(const char *s)
{
	return *s >= 'a' && *s <= 'z';
}

/* nextStdChunk */
static chunk next_chunk(const char *l)
{
	chunk c = {0, S_NONE, 0, 0, 0};
	static const int zero_x[] = {S_ZERO_MONTH, S_ZERO_DAY, S_ZERO_HOUR12, S_ZERO_MINUTE, S_ZERO_SECOND, S_YEAR};
	for (size_t i = 0; l[i]; i++) {
		const char *p = l + i;
		int std = S_NONE;
		size_t len = 0;
		switch (p[0]) {
		case 'J':
			if (strncmp(p, "January", 7) == 0)
				std = S_LONG_MONTH, len = 7;
			else if (strncmp(p, "Jan", 3) == 0 && !starts_lower(p + 3))
				std = S_MONTH, len = 3;
			break;
		case 'M':
			if (strncmp(p, "Monday", 6) == 0)
				std = S_LONG_WEEKDAY, len = 6;
			else if (strncmp(p, "Mon", 3) == 0 && !starts_lower(p + 3))
				std = S_WEEKDAY, len = 3;
			else if (strncmp(p, "MST", 3) == 0)
				std = S_TZ, len = 3;
			break;
		case '0':
			if (p[1] >= '1' && p[1] <= '6')
				std = zero_x[p[1] - '1'], len = 2;
			else if (p[1] == '0' && p[2] == '2')
				std = S_ZERO_YDAY, len = 3;
			break;
		case '1':
			if (p[1] == '5')
				std = S_HOUR, len = 2;
			else
				std = S_NUM_MONTH, len = 1;
			break;
		case '2':
			if (strncmp(p, "2006", 4) == 0)
				std = S_LONG_YEAR, len = 4;
			else
				std = S_DAY, len = 1;
			break;
		case '_':
			if (p[1] == '2') {
				if (strncmp(p + 1, "2006", 4) == 0) {
					/* "_2006" is a literal '_' then the year */
					c.prefix = i + 1, c.std = S_LONG_YEAR, c.len = 4;
					return c;
				}
				std = S_UNDER_DAY, len = 2;
			} else if (p[1] == '_' && p[2] == '2') {
				std = S_UNDER_YDAY, len = 3;
			}
			break;
		case '3': std = S_HOUR12, len = 1; break;
		case '4': std = S_MINUTE, len = 1; break;
		case '5': std = S_SECOND, len = 1; break;
		case 'P':
			if (p[1] == 'M')
				std = S_PM, len = 2;
			break;
		case 'p':
			if (p[1] == 'm')
				std = S_pm, len = 2;
			break;
		case '-':
			if (strncmp(p, "-070000", 7) == 0)
				std = S_NUM_SECONDS_TZ, len = 7;
			else if (strncmp(p, "-07:00:00", 9) == 0)
				std = S_NUM_COLON_SECONDS_TZ, len = 9;
			else if (strncmp(p, "-0700", 5) == 0)
				std = S_NUM_TZ, len = 5;
			else if (strncmp(p, "-07:00", 6) == 0)
				std = S_NUM_COLON_TZ, len = 6;
			else if (strncmp(p, "-07", 3) == 0)
				std = S_NUM_SHORT_TZ, len = 3;
			break;
		case 'Z':
			if (strncmp(p, "Z070000", 7) == 0)
				std = S_ISO_SECONDS_TZ, len = 7;
			else if (strncmp(p, "Z07:00:00", 9) == 0)
				std = S_ISO_COLON_SECONDS_TZ, len = 9;
			else if (strncmp(p, "Z0700", 5) == 0)
				std = S_ISO_TZ, len = 5;
			else if (strncmp(p, "Z07:00", 6) == 0)
				std = S_ISO_COLON_TZ, len = 6;
			else if (strncmp(p, "Z07", 3) == 0)
				std = S_ISO_SHORT_TZ, len = 3;
			break;
		case '.':
		case ',':
			if (p[1] == '0' || p[1] == '9') {
				size_t j = 1;
				while (p[j] == p[1])
					j++;
				if (!is_digit(p[j])) {
					c.prefix = i, c.std = p[1] == '0' ? S_FRAC0 : S_FRAC9, c.len = j;
					c.digits = (int)(j - 1);
					c.sep = p[0];
					return c;
				}
			}
			break;
		}
		if (std != S_NONE) {
			c.prefix = i, c.std = std, c.len = len;
			return c;
		}
	}
	c.prefix = strlen(l);
	return c;
}

static void put_int(kd_buf *b, int64_t x, int width)
{
	char t[32];
	int n = 0;
	uint64_t u = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
	if (x < 0)
		kd_buf_putc(b, '-');
	do {
		t[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	for (int i = n; i < width; i++)
		kd_buf_putc(b, '0');
	while (n)
		kd_buf_putc(b, t[--n]);
}

int kd_go_time_format(kd_buf *b, const kd_go_time *t, const char *layout)
{
	int64_t year;
	int month, day, hour, min, sec, wday, yday;
	kd_go_time_civil(t, &year, &month, &day, &hour, &min, &sec, &wday, &yday);
	const char *l = layout;
	while (*l) {
		chunk c = next_chunk(l);
		kd_buf_put(b, l, c.prefix);
		if (c.std == S_NONE)
			break;
		l += c.prefix + c.len;
		int off = t->offset;
		switch (c.std) {
		case S_YEAR: put_int(b, (year < 0 ? -year : year) % 100, 2); break;
		case S_LONG_YEAR: put_int(b, year, 4); break;
		case S_MONTH: kd_buf_put(b, MONTHS[month - 1], 3); break;
		case S_LONG_MONTH: kd_buf_puts(b, MONTHS[month - 1]); break;
		case S_NUM_MONTH: put_int(b, month, 0); break;
		case S_ZERO_MONTH: put_int(b, month, 2); break;
		case S_WEEKDAY: kd_buf_put(b, DAYS[wday], 3); break;
		case S_LONG_WEEKDAY: kd_buf_puts(b, DAYS[wday]); break;
		case S_DAY: put_int(b, day, 0); break;
		case S_UNDER_DAY:
			if (day < 10)
				kd_buf_putc(b, ' ');
			put_int(b, day, 0);
			break;
		case S_ZERO_DAY: put_int(b, day, 2); break;
		case S_UNDER_YDAY:
			if (yday < 100)
				kd_buf_puts(b, yday < 10 ? "  " : " ");
			put_int(b, yday, 0);
			break;
		case S_ZERO_YDAY: put_int(b, yday, 3); break;
		case S_HOUR: put_int(b, hour, 2); break;
		case S_HOUR12: put_int(b, hour % 12 ? hour % 12 : 12, 0); break;
		case S_ZERO_HOUR12: put_int(b, hour % 12 ? hour % 12 : 12, 2); break;
		case S_MINUTE: put_int(b, min, 0); break;
		case S_ZERO_MINUTE: put_int(b, min, 2); break;
		case S_SECOND: put_int(b, sec, 0); break;
		case S_ZERO_SECOND: put_int(b, sec, 2); break;
		case S_PM: kd_buf_puts(b, hour >= 12 ? "PM" : "AM"); break;
		case S_pm: kd_buf_puts(b, hour >= 12 ? "pm" : "am"); break;
		case S_TZ:
			if (t->zone[0]) {
				kd_buf_puts(b, t->zone);
			} else {
				int z = off / 60;
				kd_buf_putc(b, z < 0 ? '-' : '+');
				if (z < 0)
					z = -z;
				put_int(b, z / 60, 2);
				put_int(b, z % 60, 2);
			}
			break;
		case S_FRAC0:
		case S_FRAC9: {
			char frac[10];
			int32_t ns = t->nsec;
			for (int i = 8; i >= 0; i--, ns /= 10)
				frac[i] = (char)('0' + ns % 10);
			int n = c.digits > 9 ? 9 : c.digits;
			if (c.std == S_FRAC9) {
				while (n > 0 && frac[n - 1] == '0')
					n--;
				if (n == 0)
					break;
			}
			kd_buf_putc(b, c.sep);
			kd_buf_put(b, frac, (size_t)n);
			break;
		}
		default: { /* the numeric zones */
			bool iso = c.std == S_ISO_TZ || c.std == S_ISO_SECONDS_TZ || c.std == S_ISO_SHORT_TZ ||
				c.std == S_ISO_COLON_TZ || c.std == S_ISO_COLON_SECONDS_TZ;
			if (off == 0 && iso) {
				kd_buf_putc(b, 'Z');
				break;
			}
			int z = off / 60, absoff = off;
			if (z < 0) {
				kd_buf_putc(b, '-');
				z = -z;
				absoff = -absoff;
			} else {
				kd_buf_putc(b, '+');
			}
			put_int(b, z / 60, 2);
			bool colon = c.std == S_ISO_COLON_TZ || c.std == S_NUM_COLON_TZ || c.std == S_ISO_COLON_SECONDS_TZ ||
				c.std == S_NUM_COLON_SECONDS_TZ;
			if (colon)
				kd_buf_putc(b, ':');
			if (c.std != S_NUM_SHORT_TZ && c.std != S_ISO_SHORT_TZ)
				put_int(b, z % 60, 2);
			if (c.std == S_ISO_SECONDS_TZ || c.std == S_NUM_SECONDS_TZ || c.std == S_NUM_COLON_SECONDS_TZ ||
				c.std == S_ISO_COLON_SECONDS_TZ) {
				if (c.std == S_NUM_COLON_SECONDS_TZ || c.std == S_ISO_COLON_SECONDS_TZ)
					kd_buf_putc(b, ':');
				put_int(b, absoff % 60, 2);
			}
		}
		}
	}
	return b->err;
}

int kd_go_time_string(kd_buf *b, const kd_go_time *t)
{
	return kd_go_time_format(b, t, "2006-01-02 15:04:05.999999999 -0700 MST");
}

/* getnum: one or two digits (exactly two when fixed). */
static bool getnum(const char **v, bool fixed, int *out)
{
	const char *s = *v;
	if (!is_digit(s[0]))
		return false;
	if (!is_digit(s[1])) {
		if (fixed)
			return false;
		*out = s[0] - '0';
		*v = s + 1;
		return true;
	}
	*out = (s[0] - '0') * 10 + (s[1] - '0');
	*v = s + 2;
	return true;
}

/* atoi on exactly n bytes: an optional sign, then digits only. */
static bool atoi_n(const char *s, size_t n, int64_t *out)
{
	bool neg = false;
	size_t i = 0;
	if (n > 0 && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		i = 1;
	}
	int64_t v = 0;
	if (i == n)
		return false;
	for (; i < n; i++) {
		if (!is_digit(s[i]) || v > (INT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = neg ? -v : v;
	return true;
}

/* lookup: a case-insensitive match of one of the names, or of its first three letters. */
static bool lookup_name(const char **v, const char *const *names, int count, bool short3, int *out)
{
	for (int i = 0; i < count; i++) {
		size_t n = short3 ? 3 : strlen(names[i]);
		if (strlen(*v) >= n && strncasecmp(*v, names[i], n) == 0) {
			*v += n;
			*out = i;
			return true;
		}
	}
	return false;
}

/* parseNanoseconds over value[0..nbytes): the separator then digits. */
static bool nanos(const char *v, size_t nbytes, int32_t *out)
{
	if (v[0] != '.' && v[0] != ',')
		return false;
	if (nbytes > 10)
		nbytes = 10;
	int64_t ns;
	if (!atoi_n(v + 1, nbytes - 1, &ns) || ns < 0)
		return false;
	for (size_t i = 0; i < 10 - nbytes; i++)
		ns *= 10;
	*out = (int32_t)ns;
	return true;
}

/* parseTimeZone: the length of a zone abbreviation at v, or 0. */
static size_t zone_len(const char *v)
{
	size_t n = strlen(v);
	if (n < 3)
		return 0;
	if (n >= 4 && (strncmp(v, "ChST", 4) == 0 || strncmp(v, "MeST", 4) == 0))
		return 4;
	if (strncmp(v, "GMT", 3) == 0) {
		/* parseGMT: GMT, or GMT followed by a signed hour offset */
		if (v[3] != '+' && v[3] != '-')
			return 3;
		size_t i = 4;
		int64_t x = 0;
		while (is_digit(v[i]) && i < 8)
			x = x * 10 + (v[i++] - '0');
		if (i == 4 || x > 23)
			return 3;
		return i;
	}
	size_t up = 0;
	while (up < 6 && up < n && v[up] >= 'A' && v[up] <= 'Z')
		up++;
	switch (up) {
	case 3:
		return 3;
	case 4:
		return (v[3] == 'T' || strncmp(v, "WITA", 4) == 0) ? 4 : 0;
	case 5:
		return v[4] == 'T' ? 5 : 0;
	default:
		return 0;
	}
}

int kd_go_time_parse(kd_go_time *out, const char *layout, const char *value, int32_t default_offset,
	const char *default_zone)
{
	int64_t year = 0, x;
	int month = -1, day = -1, yday = -1, hour = 0, min = 0, sec = 0;
	int32_t nsec = 0;
	int zone_off = -1; /* -1: none given */
	bool utc = false, am = false, pm = false;
	char zname[16] = "";
	const char *l = layout, *v = value;
	memset(out, 0, sizeof(*out));
	for (;;) {
		chunk c = next_chunk(l);
		/* skip: the literal prefix; a space matches any run of spaces */
		for (size_t i = 0; i < c.prefix;) {
			if (l[i] == ' ') {
				if (*v && *v != ' ')
					return KD_EINVALID;
				while (i < c.prefix && l[i] == ' ')
					i++;
				while (*v == ' ')
					v++;
				continue;
			}
			if (*v != l[i])
				return KD_EINVALID;
			i++;
			v++;
		}
		if (c.std == S_NONE) {
			if (*v)
				return KD_EINVALID;
			break;
		}
		l += c.prefix + c.len;
		switch (c.std) {
		case S_YEAR:
			if (strlen(v) < 2 || !atoi_n(v, 2, &x))
				return KD_EINVALID;
			v += 2;
			year = x >= 69 ? x + 1900 : x + 2000;
			break;
		case S_LONG_YEAR:
			if (strlen(v) < 4 || !is_digit(v[0]) || !atoi_n(v, 4, &year))
				return KD_EINVALID;
			v += 4;
			break;
		case S_MONTH:
		case S_LONG_MONTH:
			if (!lookup_name(&v, MONTHS, 12, c.std == S_MONTH, &month))
				return KD_EINVALID;
			month++;
			break;
		case S_NUM_MONTH:
		case S_ZERO_MONTH:
			if (!getnum(&v, c.std == S_ZERO_MONTH, &month) || month <= 0 || month > 12)
				return KD_EINVALID;
			break;
		case S_WEEKDAY:
		case S_LONG_WEEKDAY: {
			int w;
			if (!lookup_name(&v, DAYS, 7, c.std == S_WEEKDAY, &w))
				return KD_EINVALID;
			break;
		}
		case S_DAY:
		case S_UNDER_DAY:
		case S_ZERO_DAY:
			if (c.std == S_UNDER_DAY && *v == ' ')
				v++;
			if (!getnum(&v, c.std == S_ZERO_DAY, &day))
				return KD_EINVALID;
			break;
		case S_UNDER_YDAY:
		case S_ZERO_YDAY: {
			for (int i = 0; i < 2 && c.std == S_UNDER_YDAY; i++)
				if (*v == ' ')
					v++;
			int n = 0, i = 0;
			for (; i < 3 && is_digit(v[i]); i++)
				n = n * 10 + (v[i] - '0');
			if (i == 0 || (c.std == S_ZERO_YDAY && i != 3))
				return KD_EINVALID;
			v += i;
			yday = n;
			break;
		}
		case S_HOUR:
			if (!getnum(&v, false, &hour) || hour >= 24)
				return KD_EINVALID;
			break;
		case S_HOUR12:
		case S_ZERO_HOUR12:
			if (!getnum(&v, c.std == S_ZERO_HOUR12, &hour) || hour > 12)
				return KD_EINVALID;
			break;
		case S_MINUTE:
		case S_ZERO_MINUTE:
			if (!getnum(&v, c.std == S_ZERO_MINUTE, &min) || min >= 60)
				return KD_EINVALID;
			break;
		case S_SECOND:
		case S_ZERO_SECOND: {
			if (!getnum(&v, c.std == S_ZERO_SECOND, &sec) || sec >= 60)
				return KD_EINVALID;
			/* a fractional second the layout does not ask for is read all the same */
			if ((v[0] == '.' || v[0] == ',') && is_digit(v[1])) {
				chunk nx = next_chunk(l);
				if (nx.std == S_FRAC0 || nx.std == S_FRAC9)
					break;
				size_t n = 2;
				while (is_digit(v[n]))
					n++;
				if (!nanos(v, n, &nsec))
					return KD_EINVALID;
				v += n;
			}
			break;
		}
		case S_PM:
		case S_pm:
			if (strlen(v) < 2)
				return KD_EINVALID;
			if (strncmp(v, c.std == S_PM ? "PM" : "pm", 2) == 0)
				pm = true;
			else if (strncmp(v, c.std == S_PM ? "AM" : "am", 2) == 0)
				am = true;
			else
				return KD_EINVALID;
			v += 2;
			break;
		case S_TZ: {
			if (strncmp(v, "UTC", 3) == 0) {
				utc = true;
				v += 3;
				break;
			}
			size_t n = zone_len(v);
			if (!n || n >= sizeof zname)
				return KD_EINVALID;
			memcpy(zname, v, n);
			zname[n] = '\0';
			v += n;
			break;
		}
		case S_FRAC0: {
			size_t nd = 1 + (size_t)c.digits;
			if (strlen(v) < nd || !nanos(v, nd, &nsec))
				return KD_EINVALID;
			v += nd;
			break;
		}
		case S_FRAC9: {
			if (!(v[0] == '.' || v[0] == ',') || !is_digit(v[1]))
				break;
			size_t i = 0;
			while (is_digit(v[i + 1]))
				i++;
			if (!nanos(v, 1 + i, &nsec))
				return KD_EINVALID;
			v += 1 + i;
			break;
		}
		default: { /* the numeric zones */
			bool iso = c.std == S_ISO_TZ || c.std == S_ISO_SECONDS_TZ || c.std == S_ISO_SHORT_TZ ||
				c.std == S_ISO_COLON_TZ || c.std == S_ISO_COLON_SECONDS_TZ;
			if (iso && v[0] == 'Z') {
				v++;
				utc = true;
				break;
			}
			size_t n = strlen(v), used;
			const char *hh, *mm = "00", *ss = "00";
			if (c.std == S_ISO_COLON_TZ || c.std == S_NUM_COLON_TZ) {
				if (n < 6 || v[3] != ':')
					return KD_EINVALID;
				hh = v + 1, mm = v + 4, used = 6;
			} else if (c.std == S_NUM_SHORT_TZ || c.std == S_ISO_SHORT_TZ) {
				if (n < 3)
					return KD_EINVALID;
				hh = v + 1, used = 3;
			} else if (c.std == S_ISO_COLON_SECONDS_TZ || c.std == S_NUM_COLON_SECONDS_TZ) {
				if (n < 9 || v[3] != ':' || v[6] != ':')
					return KD_EINVALID;
				hh = v + 1, mm = v + 4, ss = v + 7, used = 9;
			} else if (c.std == S_ISO_SECONDS_TZ || c.std == S_NUM_SECONDS_TZ) {
				if (n < 7)
					return KD_EINVALID;
				hh = v + 1, mm = v + 3, ss = v + 5, used = 7;
			} else {
				if (n < 5)
					return KD_EINVALID;
				hh = v + 1, mm = v + 3, used = 5;
			}
			int h, m, s;
			const char *p;
			if (!(p = hh, getnum(&p, true, &h)) || !(p = mm, getnum(&p, true, &m)) ||
				!(p = ss, getnum(&p, true, &s)))
				return KD_EINVALID;
			if (h > 24 || m > 60 || s > 60 || (v[0] != '+' && v[0] != '-'))
				return KD_EINVALID;
			zone_off = (h * 60 + m) * 60 + s;
			if (v[0] == '-')
				zone_off = -zone_off;
			v += used;
		}
		}
	}
	if (pm && hour < 12)
		hour += 12;
	else if (am && hour == 12)
		hour = 0;
	if (yday >= 0) {
		int m = 0, d = 0;
		if (is_leap(year)) {
			if (yday == 31 + 29)
				m = 2, d = 29;
			else if (yday > 31 + 29)
				yday--;
		}
		if (yday < 1 || yday > 365)
			return KD_EINVALID;
		if (m == 0) {
			static const int before[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365};
			m = (yday - 1) / 31 + 1;
			if (before[m] < yday)
				m++;
			d = yday - before[m - 1];
		}
		if ((month >= 0 && month != m) || (day >= 0 && day != d))
			return KD_EINVALID;
		month = m;
		day = d;
	} else {
		if (month < 0)
			month = 1;
		if (day < 0)
			day = 1;
	}
	if (day < 1 || day > days_in(month, year))
		return KD_EINVALID;
	int64_t wall = kd_days_from_civil(year, month, day) * 86400 + hour * 3600 + min * 60 + sec;
	out->nsec = nsec;
	if (utc) {
		out->sec = wall;
		snprintf(out->zone, sizeof out->zone, "UTC");
	} else if (zone_off != -1) {
		out->sec = wall - zone_off;
		out->offset = zone_off;
		/* Go names the zone after the local one when the offsets agree; kudoc's local zone for
		 * this purpose is the default zone given. */
		if (zone_off == default_offset && default_zone)
			snprintf(out->zone, sizeof out->zone, "%s", default_zone);
	} else if (zname[0]) {
		int off = 0;
		if (strncmp(zname, "GMT", 3) == 0 && zname[3]) {
			int64_t g = 0;
			atoi_n(zname + 3, strlen(zname + 3), &g);
			off = (int)g * 3600;
		}
		out->sec = wall - off;
		out->offset = off;
		snprintf(out->zone, sizeof out->zone, "%s", zname);
	} else if (!default_zone) {
		out->sec = wall;
		return 1;
	} else {
		out->sec = wall - default_offset;
		out->offset = default_offset;
		snprintf(out->zone, sizeof out->zone, "%s", default_zone);
	}
	return 0;
}
