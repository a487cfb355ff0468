/* kd_lua_hook_wait: a hook run again and again until it says healthy, as a plan step waits. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lua.h"

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The default pause: sleep, looking at the stop flag every 100 ms. */
static int plain_pause(const volatile sig_atomic_t *stop, long ms)
{
	int64_t end = mono_ms() + ms;
	for (;;) {
		if (stop && *stop)
			return 1;
		int64_t left = end - mono_ms();
		if (left <= 0)
			return 0;
		if (left > 100)
			left = 100;
		struct timespec ts = {0, (long)left * 1000000L};
		nanosleep(&ts, NULL);
	}
}

int kd_lua_hook_wait(char **last_reason_out, const char *script_name, const char *src, size_t len,
	const kd_lua_wait_options *opts)
{
	kd_lua_wait_options o;
	char *last = NULL;
	int rc;
	memset(&o, 0, sizeof o);
	if (opts)
		o = *opts;
	else
		o.run = (kd_lua_hook_options)KD_LUA_HOOK_OPTIONS_INIT;
	long timeout = o.timeout_ms > 0 ? o.timeout_ms : 300000;
	long interval = o.interval_ms > 0 ? o.interval_ms : KD_LUA_DEFAULT_INTERVAL_MS;
	long wall = o.run.wall_ms > 0 ? o.run.wall_ms : KD_LUA_DEFAULT_WALL_MS;
	int64_t deadline = mono_ms() + timeout;
	if (last_reason_out)
		*last_reason_out = NULL;
	for (;;) {
		kd_lua_hook_options run = o.run;
		int64_t left = deadline - mono_ms();
		bool healthy = false;
		char *reason = NULL;
		run.wall_ms = left < wall ? (long)(left > 1 ? left : 1) : wall;
		rc = kd_lua_hook_run(&healthy, &reason, script_name, src, len, &run);
		if (rc == KD_ELIMIT && mono_ms() >= deadline && strstr(kd_error_last() ? kd_error_last() : "", "time limit")) {
			/* the run was cut short by the wait's own deadline: that is the wait timing out */
			rc = 1;
		} else if (rc) {
			break;
		}
		if (healthy) {
			rc = 0;
			break;
		}
		if (reason && (!last || strcmp(last, reason) != 0)) {
			if (o.waiting)
				o.waiting(o.payload, reason);
			free(last);
			last = reason;
			reason = NULL;
		}
		free(reason);
		left = deadline - mono_ms();
		if (rc == 1 || left <= 0) {
			kd_buf d = KD_BUF_INIT;
			kd_duration_format(&d, (int64_t)timeout * 1000000);
			kd_error_set(KD_ERR_LUA, "%s: not healthy after %s%s%s", script_name, kd_buf_cstr(&d), last ? ": " : "",
				last ? last : "");
			kd_buf_free(&d);
			rc = KD_ETIMEOUT;
			break;
		}
		long ms = interval < left ? interval : (long)left;
		int stop = o.pause ? o.pause(o.payload, ms) : plain_pause(o.run.stop, ms);
		if (stop || (o.run.stop && *o.run.stop)) {
			kd_error_set(KD_ERR_LUA, "%s: canceled while waiting", script_name);
			rc = KD_ECANCELED;
			break;
		}
	}
	if (last_reason_out)
		*last_reason_out = last;
	else
		free(last);
	return rc;
}
