/* Go's time.Duration text forms: ParseDuration and Duration.String. Package authors write Go
 * durations (KUDO and Kubernetes use them everywhere), so kudoc reads and prints them the same. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base.h"

#define NS_MAX ((uint64_t)1 << 63) /* one past INT64_MAX: the magnitude of INT64_MIN */

static const struct {
	const char *name;
	uint64_t ns;
} units[] = {
	{"ns", 1},
	{"us", 1000},
	{"\xc2\xb5s", 1000}, /* U+00B5 micro sign */
	{"\xce\xbcs", 1000}, /* U+03BC Greek mu */
	{"ms", 1000000},
	{"s", 1000000000},
	{"m", 60ull * 1000000000},
	{"h", 3600ull * 1000000000},
};

static int bad(const char *what, const char *s)
{
	kd_error_set(KD_ERR_NONE, "%s duration \"%s\"", what, s);
	return KD_EINVALID;
}

int kd_duration_parse(int64_t *out_ns, const char *s)
{
	const char *orig = s, *p = s;
	uint64_t total = 0;
	bool neg = false;
	*out_ns = 0;
	if (!s)
		return bad("invalid", "");
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (strcmp(p, "0") == 0)
		return 0;
	if (!*p)
		return bad("invalid", orig);
	while (*p) {
		uint64_t whole = 0, frac = 0;
		double scale = 1;
		bool have_whole = false, have_frac = false, frac_full = false;
		if (*p != '.' && (*p < '0' || *p > '9'))
			return bad("invalid", orig);
		for (; *p >= '0' && *p <= '9'; p++) {
			have_whole = true;
			if (whole > NS_MAX / 10 || whole * 10 + (uint64_t)(*p - '0') > NS_MAX)
				return bad("overflowing", orig);
			whole = whole * 10 + (uint64_t)(*p - '0');
		}
		if (*p == '.') {
			p++;
			/* Digits past what fits are dropped, as Go does; they cannot change the result. */
			for (; *p >= '0' && *p <= '9'; p++) {
				have_frac = true;
				if (frac_full || frac > (NS_MAX - 1) / 10 || frac * 10 + (uint64_t)(*p - '0') > NS_MAX) {
					frac_full = true;
					continue;
				}
				frac = frac * 10 + (uint64_t)(*p - '0');
				scale *= 10;
			}
		}
		if (!have_whole && !have_frac)
			return bad("invalid", orig);
		size_t ulen = 0;
		while (p[ulen] && p[ulen] != '.' && (p[ulen] < '0' || p[ulen] > '9'))
			ulen++;
		if (ulen == 0) {
			kd_error_set(KD_ERR_NONE, "missing unit in duration \"%s\"", orig);
			return KD_EINVALID;
		}
		uint64_t unit = 0;
		for (size_t i = 0; i < KD_ARRAY_SIZE(units); i++)
			if (strlen(units[i].name) == ulen && strncmp(p, units[i].name, ulen) == 0)
				unit = units[i].ns;
		if (!unit) {
			kd_error_set(KD_ERR_NONE, "unknown unit \"%.*s\" in duration \"%s\"", (int)ulen, p, orig);
			return KD_EINVALID;
		}
		p += ulen;
		if (whole > NS_MAX / unit)
			return bad("overflowing", orig);
		uint64_t v = whole * unit;
		if (frac > 0) {
			v += (uint64_t)((double)frac * ((double)unit / scale));
			if (v > NS_MAX)
				return bad("overflowing", orig);
		}
		total += v;
		if (total > NS_MAX)
			return bad("overflowing", orig);
	}
	if (neg) {
		*out_ns = total == NS_MAX ? INT64_MIN : -(int64_t)total;
		return 0;
	}
	if (total > NS_MAX - 1)
		return bad("overflowing", orig);
	*out_ns = (int64_t)total;
	return 0;
}

/* Appends v / 10^prec with the fraction's trailing zeros (and a bare '.') left out. */
static void put_fixed(kd_buf *out, uint64_t v, int prec) /* prec <= 9 */
{
	uint64_t pow = 1;
	for (int i = 0; i < prec; i++)
		pow *= 10;
	kd_buf_printf(out, "%llu", (unsigned long long)(v / pow));
	uint64_t f = v % pow;
	if (!f)
		return;
	char digits[24];
	int n = prec;
	for (int i = prec - 1; i >= 0; i--, f /= 10)
		digits[i] = (char)('0' + f % 10);
	while (n > 0 && digits[n - 1] == '0')
		n--;
	kd_buf_putc(out, '.');
	kd_buf_put(out, digits, (size_t)n);
}

int kd_duration_format(kd_buf *out, int64_t ns)
{
	size_t start = out->len;
	uint64_t u = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
	if (ns < 0)
		kd_buf_putc(out, '-');
	if (u == 0) {
		kd_buf_puts(out, "0s");
	} else if (u < 1000) {
		kd_buf_printf(out, "%lluns", (unsigned long long)u);
	} else if (u < 1000000) {
		put_fixed(out, u, 3);
		kd_buf_puts(out, "\xc2\xb5s");
	} else if (u < 1000000000) {
		put_fixed(out, u, 6);
		kd_buf_puts(out, "ms");
	} else {
		uint64_t secs = u / 1000000000, h = secs / 3600, m = secs / 60 % 60;
		if (h)
			kd_buf_printf(out, "%lluh", (unsigned long long)h);
		if (h || m)
			kd_buf_printf(out, "%llum", (unsigned long long)m);
		put_fixed(out, u % 60000000000ull, 9);
		kd_buf_putc(out, 's');
	}
	return out->len > start ? 0 : KD_ELIMIT;
}
