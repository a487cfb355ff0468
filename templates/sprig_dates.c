/* sprig's date functions over time.Time values (see sprig_priv.h for their representation).
 * Layouts are Go's reference-time layouts ("2006-01-02T15:04:05Z07:00"). Zones: "UTC" and
 * "Local" (the process's local time); other zone names fall back to UTC, as Go does for a
 * zone it cannot load. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/strconv.h"
#include "sprig_priv.h"

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

/* Go's Time.Format over kudoc's time values (base/strconv.c holds the layouts). */
int kd_tpl__sp_time_format(kd_buf *b, int64_t sec, int64_t nsec, int offset, const char *zone,
	const char *layout)
{
	kd_go_time t = {sec, (int32_t)nsec, offset, ""};
	snprintf(t.zone, sizeof t.zone, "%s", zone ? zone : "");
	return kd_go_time_format(b, &t, layout);
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
	kd_buf b = KD_SP_BUF;
	kd_buf_puts(&b, "");
	int64_t s2, n2;
	int off;
	const char *zn;
	kd_tpl__sp_arg_time(NULL, t, &s2, &n2, &off, &zn);
	kd_tpl__sp_time_format(&b, s2, n2, off, zn, layout);
	kd_json_delete(t);
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
	kd_buf b = KD_SP_BUF;
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

/* sprig's toDate: time.ParseInLocation(layout, value, time.Local); Go's zero time when the
 * value does not fit the layout. */
KD_SP_FN(toDate)
{
	STR_ARG(layout, 0);
	STR_ARG(v, 1);
	kd_go_time t;
	/* a numeric offset equal to the local one takes the local zone's name, as Go's does */
	int loff;
	char name[64];
	local_zone(0, &loff, name, sizeof name);
	int rc = kd_go_time_parse(&t, layout, v, loff, NULL);
	if (rc < 0) {
		*out = kd_tpl__sp_new_time(-62135596800LL, 0, 0, "UTC");
		return 0;
	}
	if (rc == 1) {
		/* no zone in the value: a local wall time; find the offset in effect then */
		int64_t sec = t.sec;
		local_zone(sec, &loff, name, sizeof name);
		sec -= loff;
		local_zone(sec, &loff, name, sizeof name);
		*out = kd_tpl__sp_new_time(sec, t.nsec, loff, name);
		return 0;
	}
	if (!t.zone[0]) {
		local_zone(t.sec, &loff, name, sizeof name);
		if (loff == t.offset) {
			size_t n = strnlen(name, sizeof t.zone - 1);
			memcpy(t.zone, name, n); /* zone abbreviations are short */
			t.zone[n] = '\0';
		}
	}
	*out = kd_tpl__sp_new_time(t.sec, t.nsec, t.offset, t.zone);
	return 0;
}
