/* sprig's date functions over time.Time values (see sprig_priv.h for their representation).
 * Layouts are Go's reference-time layouts ("2006-01-02T15:04:05Z07:00"). Zones: "UTC" and
 * "Local" (the process's local time); other zone names fall back to UTC, as Go does for a
 * zone it cannot load. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sprig_priv.h"

static const char *const MONTHS[] = {"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"};
static const char *const DAYS[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday"};

/* Civil date from days since 1970-01-01 (proleptic Gregorian). */
static void civil(int64_t days, int64_t *y, int *m, int *d)
{
	days += 719468;
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	int64_t doe = days - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int64_t floordiv(int64_t a, int64_t b)
{
	return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

/* The local zone's offset and name at unix time `sec`. */
static void local_zone(int64_t sec, int *offset, char *name, size_t cap)
{
	time_t t = (time_t)sec;
	struct tm tm;
	if (localtime_r(&t, &tm)) {
		*offset = (int)tm.tm_gmtoff;
		snprintf(name, cap, "%s", tm.tm_zone ? tm.tm_zone : "UTC");
	} else {
		*offset = 0;
		snprintf(name, cap, "UTC");
	}
}

static cJSON *time_in_zone(int64_t sec, int64_t nsec, const char *zone)
{
	if (strcmp(zone, "Local") == 0) {
		int off;
		char name[64];
		local_zone(sec, &off, name, sizeof name);
		return kd_tpl__sp_new_time(sec, nsec, off, name);
	}
	return kd_tpl__sp_new_time(sec, nsec, 0, "UTC");
}

static void pad(kd_buf *b, int64_t v, int width, char c)
{
	char t[32];
	bool neg = v < 0;
	snprintf(t, sizeof t, "%lld", (long long)(neg ? -v : v));
	if (neg)
		kd_buf_putc(b, '-');
	for (int i = (int)strlen(t); i < width; i++)
		kd_buf_putc(b, c);
	kd_buf_puts(b, t);
}

static bool starts(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

int kd_tpl__sp_time_format(kd_buf *b, int64_t sec, int64_t nsec, int offset, const char *zone,
	const char *layout)
{
	int64_t local = sec + offset;
	int64_t days = floordiv(local, 86400), secs = local - days * 86400;
	int64_t year;
	int mon, day;
	civil(days, &year, &mon, &day);
	int hour = (int)(secs / 3600), min = (int)(secs / 60 % 60), s = (int)(secs % 60);
	int wday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
	int yday = (int)(days - days_from_civil(year, 1, 1)) + 1;
	const char *p = layout;
	while (*p) {
		/* The longest Go std chunk at p, in the order Go's nextStdChunk checks them. */
		if (starts(p, "January")) { kd_buf_puts(b, MONTHS[mon - 1]); p += 7; continue; }
		if (starts(p, "Jan")) { kd_buf_put(b, MONTHS[mon - 1], 3); p += 3; continue; }
		if (starts(p, "Monday")) { kd_buf_puts(b, DAYS[wday]); p += 6; continue; }
		if (starts(p, "Mon")) { kd_buf_put(b, DAYS[wday], 3); p += 3; continue; }
		if (starts(p, "MST")) {
			if (zone[0]) {
				kd_buf_puts(b, zone);
			} else {
				int o = offset < 0 ? -offset : offset;
				kd_buf_putc(b, offset < 0 ? '-' : '+');
				pad(b, o / 3600, 2, '0');
				pad(b, o / 60 % 60, 2, '0');
			}
			p += 3;
			continue;
		}
		if (starts(p, "2006")) { pad(b, year, 4, '0'); p += 4; continue; }
		if (starts(p, "2")) { pad(b, day, 1, '0'); p += 1; continue; }
		if (starts(p, "_2006")) { kd_buf_putc(b, '_'); pad(b, year, 4, '0'); p += 5; continue; }
		if (starts(p, "__2")) { pad(b, yday, 3, ' '); p += 3; continue; }
		if (starts(p, "_2")) { pad(b, day, 2, ' '); p += 2; continue; }
		if (starts(p, "002")) { pad(b, yday, 3, '0'); p += 3; continue; }
		if (starts(p, "01")) { pad(b, mon, 2, '0'); p += 2; continue; }
		if (starts(p, "02")) { pad(b, day, 2, '0'); p += 2; continue; }
		if (starts(p, "03")) { pad(b, hour % 12 ? hour % 12 : 12, 2, '0'); p += 2; continue; }
		if (starts(p, "04")) { pad(b, min, 2, '0'); p += 2; continue; }
		if (starts(p, "05")) { pad(b, s, 2, '0'); p += 2; continue; }
		if (starts(p, "06")) { pad(b, ((year % 100) + 100) % 100, 2, '0'); p += 2; continue; }
		if (starts(p, "1")) {
			if (starts(p, "15")) { pad(b, hour, 2, '0'); p += 2; continue; }
			pad(b, mon, 1, '0'); p += 1; continue;
		}
		if (starts(p, "3")) { pad(b, hour % 12 ? hour % 12 : 12, 1, '0'); p += 1; continue; }
		if (starts(p, "4")) { pad(b, min, 1, '0'); p += 1; continue; }
		if (starts(p, "5")) { pad(b, s, 1, '0'); p += 1; continue; }
		if (starts(p, "PM")) { kd_buf_puts(b, hour >= 12 ? "PM" : "AM"); p += 2; continue; }
		if (starts(p, "pm")) { kd_buf_puts(b, hour >= 12 ? "pm" : "am"); p += 2; continue; }
		if (*p == '-' || *p == 'Z') {
			static const char *const zl[] = {"-07:00:00", "-070000", "-07:00", "-0700", "-07",
				"Z07:00:00", "Z070000", "Z07:00", "Z0700", "Z07"};
			size_t i;
			for (i = 0; i < KD_ARRAY_SIZE(zl); i++)
				if (starts(p, zl[i]))
					break;
			if (i < KD_ARRAY_SIZE(zl)) {
				const char *z = zl[i];
				p += strlen(z);
				if (z[0] == 'Z' && offset == 0) {
					kd_buf_putc(b, 'Z');
					continue;
				}
				int o = offset < 0 ? -offset : offset;
				kd_buf_putc(b, offset < 0 ? '-' : '+');
				pad(b, o / 3600, 2, '0');
				bool colon = strchr(z, ':') != NULL;
				size_t zlen = strlen(z);
				if (zlen >= 5) {
					if (colon)
						kd_buf_putc(b, ':');
					pad(b, o / 60 % 60, 2, '0');
				}
				if (zlen >= 7 && (zlen == 9 || !colon)) {
					if (colon)
						kd_buf_putc(b, ':');
					pad(b, o % 60, 2, '0');
				}
				continue;
			}
		}
		if ((*p == '.' || *p == ',') && (p[1] == '0' || p[1] == '9')) {
			char digit = p[1];
			int n = 1;
			while (p[1 + n] == digit)
				n++;
			/* Go only treats it as fractional seconds when no digit follows. */
			if (!(p[1 + n] >= '0' && p[1 + n] <= '9')) {
				char frac[16];
				snprintf(frac, sizeof frac, "%09lld", (long long)nsec);
				frac[n > 9 ? 9 : n] = '\0';
				if (digit == '9') {
					int k = (int)strlen(frac);
					while (k > 0 && frac[k - 1] == '0')
						frac[--k] = '\0';
					if (k > 0) {
						kd_buf_putc(b, *p);
						kd_buf_puts(b, frac);
					}
				} else {
					kd_buf_putc(b, *p);
					kd_buf_puts(b, frac);
				}
				p += 1 + n;
				continue;
			}
		}
		kd_buf_putc(b, *p++);
	}
	return 0;
}

int kd_tpl__sp_time_string(kd_buf *b, const cJSON *t)
{
	int64_t sec, nsec;
	int off;
	const char *zone;
	kd_tpl__sp_arg_time(NULL, t, &sec, &nsec, &off, &zone);
	return kd_tpl__sp_time_format(b, sec, nsec, off, zone, "2006-01-02 15:04:05.999999999 -0700 MST");
}

static cJSON *now_time(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return time_in_zone(ts.tv_sec, ts.tv_nsec, "Local");
}

KD_SP_FN(now)
{
	*out = now_time();
	return 0;
}

/* dateInZone's `date` argument: a time, or an int/int64 of unix seconds; anything else is now. */
static void date_arg(const cJSON *v, int64_t *sec, int64_t *nsec)
{
	int off;
	const char *zone;
	if (kd_tpl__sp_is_time(v)) {
		kd_tpl__sp_arg_time(NULL, v, sec, nsec, &off, &zone);
		return;
	}
	if (kd_json_is_int(v)) {
		*sec = kd_json_int(v);
		*nsec = 0;
		return;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	*sec = ts.tv_sec;
	*nsec = ts.tv_nsec;
}

static int format_in_zone(cJSON **out, const char *layout, const cJSON *date, const char *zone)
{
	int64_t sec, nsec;
	date_arg(date, &sec, &nsec);
	cJSON *t = time_in_zone(sec, nsec, zone);
	kd_buf b = KD_BUF_INIT;
	kd_buf_puts(&b, "");
	int64_t s2, n2;
	int off;
	const char *zn;
	kd_tpl__sp_arg_time(NULL, t, &s2, &n2, &off, &zn);
	kd_tpl__sp_time_format(&b, s2, n2, off, zn, layout);
	cJSON_Delete(t);
	*out = kd_tpl__sp_take_buf(&b);
	return 0;
}

KD_SP_FN(date)
{
	STR_ARG(layout, 0);
	return format_in_zone(out, layout, args[1], "Local");
}

KD_SP_FN(dateInZone)
{
	STR_ARG(layout, 0);
	STR_ARG(zone, 2);
	return format_in_zone(out, layout, args[1], zone);
}

KD_SP_FN(htmlDate)
{
	return format_in_zone(out, "2006-01-02", args[0], "Local");
}

KD_SP_FN(htmlDateInZone)
{
	STR_ARG(zone, 1);
	return format_in_zone(out, "2006-01-02", args[0], zone);
}

KD_SP_FN(dateModify)
{
	STR_ARG(d, 0);
	int64_t sec, nsec;
	int off;
	const char *zone;
	if (kd_tpl__sp_arg_time(call, args[1], &sec, &nsec, &off, &zone) < 0)
		return KD_ERROR;
	int64_t ns;
	if (kd_duration_parse(&ns, d) != 0) {
		kd_error_clear();
		*out = kd_tpl__sp_dup(args[1]);
		return 0;
	}
	int64_t total = nsec + ns % 1000000000;
	sec += ns / 1000000000 + floordiv(total, 1000000000);
	nsec = total - floordiv(total, 1000000000) * 1000000000;
	*out = kd_tpl__sp_new_time(sec, nsec, off, zone);
	return 0;
}

/* time.Duration.String for whole seconds. */
static void duration_string(kd_buf *b, int64_t secs)
{
	if (secs == 0) {
		kd_buf_puts(b, "0s");
		return;
	}
	if (secs < 0) {
		kd_buf_putc(b, '-');
		secs = -secs;
	}
	int64_t h = secs / 3600, m = secs / 60 % 60, s = secs % 60;
	if (h)
		kd_buf_printf(b, "%lldh", (long long)h);
	if (h || m)
		kd_buf_printf(b, "%lldm", (long long)m);
	kd_buf_printf(b, "%llds", (long long)s);
}

KD_SP_FN(ago)
{
	int64_t sec, nsec;
	const cJSON *v = args[0];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (kd_tpl__sp_is_time(v)) {
		int off;
		const char *zone;
		kd_tpl__sp_arg_time(NULL, v, &sec, &nsec, &off, &zone);
	} else if (kd_json_is_int(v) && !(v->type & KD_SP_INT64 && false)) {
		sec = kd_json_int(v);
		nsec = 0;
	} else {
		sec = ts.tv_sec;
		nsec = ts.tv_nsec;
	}
	double diff = (double)(ts.tv_sec - sec) + (double)(ts.tv_nsec - nsec) / 1e9;
	kd_buf b = KD_BUF_INIT;
	kd_buf_puts(&b, "");
	duration_string(&b, (int64_t)(diff < 0 ? -floor(-diff + 0.5) : floor(diff + 0.5)));
	*out = kd_tpl__sp_take_buf(&b);
	return 0;
}

KD_SP_FN(unixEpoch)
{
	int64_t sec, nsec;
	int off;
	const char *zone;
	if (kd_tpl__sp_arg_time(call, args[0], &sec, &nsec, &off, &zone) < 0)
		return KD_ERROR;
	char t[32];
	snprintf(t, sizeof t, "%lld", (long long)sec);
	*out = cJSON_CreateString(t);
	return 0;
}

/* Reads exactly `w` digits (w > 0) or 1..-w digits (w < 0). */
static bool num(const char **p, int w, int *out)
{
	int n = 0, v = 0, max = w > 0 ? w : -w;
	while (n < max && (*p)[n] >= '0' && (*p)[n] <= '9')
		v = v * 10 + ((*p)[n++] - '0');
	if (n == 0 || (w > 0 && n != w))
		return false;
	*p += n;
	*out = v;
	return true;
}

static bool word(const char **p, const char *const *names, int count, int len, int *out)
{
	for (int i = 0; i < count; i++) {
		size_t n = len ? (size_t)len : strlen(names[i]);
		if (strncasecmp(*p, names[i], n) == 0) {
			*p += n;
			*out = i;
			return true;
		}
	}
	return false;
}

/* time.ParseInLocation for the common layout elements; false when the value does not fit. */
static bool parse_time(const char *layout, const char *v, int64_t *sec, int64_t *nsec, int *off,
	bool *has_off)
{
	int64_t year = 1;
	int mon = 1, day = 1, hour = 0, min = 0, s = 0, x, pm = -1;
	*nsec = 0;
	*off = 0;
	*has_off = false;
	const char *p = layout;
	while (*p) {
		if (starts(p, "January")) { if (!word(&v, MONTHS, 12, 0, &x)) return false; mon = x + 1; p += 7; continue; }
		if (starts(p, "Jan")) { if (!word(&v, MONTHS, 12, 3, &x)) return false; mon = x + 1; p += 3; continue; }
		if (starts(p, "Monday")) { if (!word(&v, DAYS, 7, 0, &x)) return false; p += 6; continue; }
		if (starts(p, "Mon")) { if (!word(&v, DAYS, 7, 3, &x)) return false; p += 3; continue; }
		if (starts(p, "MST")) { int n = 0; while (v[n] >= 'A' && v[n] <= 'Z') n++; if (n < 3) return false; v += n; p += 3; continue; }
		if (starts(p, "2006")) { if (!num(&v, 4, &x)) return false; year = x; p += 4; continue; }
		if (starts(p, "01")) { if (!num(&v, 2, &mon)) return false; p += 2; continue; }
		if (starts(p, "02")) { if (!num(&v, 2, &day)) return false; p += 2; continue; }
		if (starts(p, "_2")) { if (*v == ' ') v++; if (!num(&v, -2, &day)) return false; p += 2; continue; }
		if (starts(p, "03")) { if (!num(&v, 2, &hour)) return false; p += 2; continue; }
		if (starts(p, "04")) { if (!num(&v, 2, &min)) return false; p += 2; continue; }
		if (starts(p, "05")) { if (!num(&v, 2, &s)) return false; p += 2; goto frac; }
		if (starts(p, "06")) { if (!num(&v, 2, &x)) return false; year = x >= 69 ? 1900 + x : 2000 + x; p += 2; continue; }
		if (starts(p, "15")) { if (!num(&v, -2, &hour)) return false; p += 2; continue; }
		if (starts(p, "1")) { if (!num(&v, -2, &mon)) return false; p += 1; continue; }
		if (starts(p, "2")) { if (!num(&v, -2, &day)) return false; p += 1; continue; }
		if (starts(p, "3")) { if (!num(&v, -2, &hour)) return false; p += 1; continue; }
		if (starts(p, "4")) { if (!num(&v, -2, &min)) return false; p += 1; continue; }
		if (starts(p, "5")) { if (!num(&v, -2, &s)) return false; p += 1; goto frac; }
		if (starts(p, "PM") || starts(p, "pm")) {
			if (strncasecmp(v, "PM", 2) == 0) pm = 1; else if (strncasecmp(v, "AM", 2) == 0) pm = 0; else return false;
			v += 2; p += 2; continue;
		}
		if (*p == 'Z' && *v == 'Z' && (starts(p, "Z07:00") || starts(p, "Z0700") || starts(p, "Z07"))) {
			p += starts(p, "Z07:00") ? 6 : starts(p, "Z0700") ? 5 : 3;
			v++;
			*has_off = true;
			continue;
		}
		if (starts(p, "-07:00") || starts(p, "-0700") || starts(p, "-07") || starts(p, "Z07:00") ||
			starts(p, "Z0700") || starts(p, "Z07")) {
			size_t n = starts(p + 1, "07:00") ? 6 : starts(p + 1, "0700") ? 5 : 3;
			int sign = *v == '-' ? -1 : *v == '+' ? 1 : 0, hh, mm = 0;
			if (!sign) return false;
			v++;
			if (!num(&v, 2, &hh)) return false;
			if (n >= 5) { if (n == 6 && *v++ != ':') return false; if (!num(&v, 2, &mm)) return false; }
			*off = sign * (hh * 3600 + mm * 60);
			*has_off = true;
			p += n;
			continue;
		}
		if ((*p == '.' || *p == ',') && (p[1] == '0' || p[1] == '9')) {
			int n = 1;
			while (p[1 + n] == p[1]) n++;
			p += 1 + n;
			goto frac;
		}
		if (*p != *v)
			return false;
		p++, v++;
		continue;
	frac:
		if ((*v == '.' || *v == ',') && v[1] >= '0' && v[1] <= '9') {
			v++;
			int64_t f = 0;
			int n = 0;
			while (*v >= '0' && *v <= '9') {
				if (n < 9) f = f * 10 + (*v - '0'), n++;
				v++;
			}
			while (n++ < 9) f *= 10;
			*nsec = f;
		}
	}
	if (*v)
		return false;
	if (pm == 1 && hour < 12) hour += 12;
	if (pm == 0 && hour == 12) hour = 0;
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || s > 59)
		return false;
	*sec = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + s;
	return true;
}

KD_SP_FN(toDate)
{
	STR_ARG(layout, 0);
	STR_ARG(v, 1);
	int64_t sec, nsec;
	int off;
	bool has_off;
	if (!parse_time(layout, v, &sec, &nsec, &off, &has_off)) {
		*out = kd_tpl__sp_new_time(-62135596800LL, 0, 0, "UTC"); /* Go's zero time */
		return 0;
	}
	if (has_off) {
		sec -= off;
		if (off == 0) {
			*out = kd_tpl__sp_new_time(sec, nsec, 0, "UTC");
			return 0;
		}
		*out = kd_tpl__sp_new_time(sec, nsec, off, "");
		return 0;
	}
	/* Local wall time: find the offset in effect. */
	int loff;
	char name[64];
	local_zone(sec, &loff, name, sizeof name);
	sec -= loff;
	local_zone(sec, &loff, name, sizeof name);
	*out = kd_tpl__sp_new_time(sec, nsec, loff, name);
	return 0;
}
