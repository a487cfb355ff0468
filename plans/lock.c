/* The instance lock: a coordination.k8s.io/v1 Lease that a command holds while it changes an
 * instance, renewed by a thread (and, under another name, the Lease a `sync` holds). Another
 * command fails at once naming the holder. Nothing can wedge an instance: a holder that stops
 * renewing loses the Lease after its duration, and a holder that was a process of this host
 * which no longer runs loses it at once. Every write is guarded by the Lease's
 * resourceVersion, so two takers never both win. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../base/json.h"
#include "plans.h"
#include "plans_internal.h"

struct kd_plan_lock {
	kd_kube_client *client; /* the renewing thread's */
	char *ns, *name, *identity;
	long lease_s;
	char *rv; /* resourceVersion of our last write */
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	bool lost;
	int64_t last_renew_us;
	int64_t acquired_us;
	long transitions;
};

static void micro_time(char *buf, size_t size, int64_t us)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char b[32];
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%06ldZ", b, (long)(us % 1000000));
}

static void identity(kd_buf *out, const char *command)
{
	char host[256] = "";
	if (gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "unknown");
	kd_buf_printf(out, "%s/%ld/%s", host, (long)getpid(), command && *command ? command : "kubectl-kudo");
}

/* A holder "host/pid/command" that was a process of this host that is gone. */
static bool holder_dead_here(const char *holder)
{
	char host[256] = "";
	if (gethostname(host, sizeof(host) - 1) != 0)
		return false;
	size_t hl = strlen(host);
	if (strncmp(holder, host, hl) != 0 || holder[hl] != '/')
		return false;
	char *end = NULL;
	errno = 0;
	long pid = strtol(holder + hl + 1, &end, 10);
	if (errno || end == holder + hl + 1 || *end != '/' || pid <= 0 || pid > 4194304)
		return false;
	if (pid == (long)getpid())
		return false;
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

static cJSON *lease_body(const kd_plan_lock *l, const char *holder, int64_t acquire_us, int64_t renew_us,
	long transitions, const char *rv)
{
	char t[64];
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "apiVersion", "coordination.k8s.io/v1");
	cJSON_AddStringToObject(o, "kind", "Lease");
	cJSON *md = cJSON_AddObjectToObject(o, "metadata");
	cJSON_AddStringToObject(md, "name", l->name);
	cJSON_AddStringToObject(md, "namespace", l->ns);
	if (rv)
		cJSON_AddStringToObject(md, "resourceVersion", rv);
	cJSON *lb = cJSON_AddObjectToObject(md, "labels");
	cJSON_AddStringToObject(lb, "app.kubernetes.io/managed-by", "kudoc");
	cJSON *spec = cJSON_AddObjectToObject(o, "spec");
	if (holder) {
		cJSON_AddStringToObject(spec, "holderIdentity", holder);
		cJSON_AddNumberToObject(spec, "leaseDurationSeconds", (double)l->lease_s);
		micro_time(t, sizeof(t), acquire_us);
		cJSON_AddStringToObject(spec, "acquireTime", t);
		micro_time(t, sizeof(t), renew_us);
		cJSON_AddStringToObject(spec, "renewTime", t);
	}
	cJSON_AddNumberToObject(spec, "leaseTransitions", (double)transitions);
	return o;
}

static void keep_rv(kd_plan_lock *l, const cJSON *obj)
{
	const char *rv = kd_json_get_str(kd_json_get(obj, "metadata"), "resourceVersion");
	free(l->rv);
	l->rv = rv ? kd_strdup(rv) : NULL;
}

static void *renew_main(void *arg)
{
	kd_plan_lock *l = arg;
	pthread_mutex_lock(&l->mu);
	while (!l->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		long period_ms = l->lease_s * 1000 / 3;
		ts.tv_sec += period_ms / 1000;
		ts.tv_nsec += (period_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&l->cv, &l->mu, &ts);
		if (l->stop)
			break;
		int64_t now = kd_plans__now_us();
		/* Guarded by the resourceVersion of our last write: a conflict means someone else wrote
		 * the Lease, which only happens once it was taken from us. */
		cJSON *body = lease_body(l, l->identity, l->acquired_us, now, l->transitions, l->rv), *got = NULL;
		pthread_mutex_unlock(&l->mu);
		int rc = kd_kube_replace(&got, l->client, body);
		cJSON_Delete(body);
		pthread_mutex_lock(&l->mu);
		if (rc == 0) {
			keep_rv(l, got);
			l->last_renew_us = now;
		} else if (rc == KD_ECONFLICT || rc == KD_ENOTFOUND ||
			now - l->last_renew_us > (int64_t)l->lease_s * 1000000) {
			l->lost = true;
		}
		cJSON_Delete(got);
	}
	pthread_mutex_unlock(&l->mu);
	kd_error_clear();
	return NULL;
}

static void lock_free(kd_plan_lock *l)
{
	if (!l)
		return;
	kd_kube_client_free(l->client);
	free(l->ns);
	free(l->name);
	free(l->identity);
	free(l->rv);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	free(l);
}

/* What a Lease says about its holder. Strings borrowed from the object. */
typedef struct {
	const char *holder;
	long dur_s;
	int64_t renew_us, acquire_us;
	long transitions;
} lease_view;

static void view_of(lease_view *v, const cJSON *lease, long default_s)
{
	const cJSON *spec = kd_json_get(lease, "spec");
	memset(v, 0, sizeof(*v));
	v->holder = kd_json_get_str(spec, "holderIdentity");
	const cJSON *dur = kd_json_get(spec, "leaseDurationSeconds");
	v->dur_s = cJSON_IsNumber(dur) && dur->valuedouble > 0 && dur->valuedouble < 86400 * 365 ? (long)dur->valuedouble
												       : default_s;
	const char *rt = kd_json_get_str(spec, "renewTime"), *at = kd_json_get_str(spec, "acquireTime");
	if (rt)
		kd_kube_time_parse(&v->renew_us, rt);
	if (at)
		kd_kube_time_parse(&v->acquire_us, at);
	const cJSON *tr = kd_json_get(spec, "leaseTransitions");
	v->transitions = cJSON_IsNumber(tr) && tr->valuedouble >= 0 && tr->valuedouble < 1e9 ? (long)tr->valuedouble : 0;
}

/* Held: a holder that renewed within its lease and is not a dead process of this host. */
static bool held_by_a_live_holder(const lease_view *v, int64_t now)
{
	return v->holder && *v->holder && v->renew_us + (int64_t)v->dur_s * 1000000 > now && !holder_dead_here(v->holder);
}

/* `lease`: NULL for the instance lock, else the name of the other Lease that was asked for. */
static int locked_error(const char *ns, const char *instance, const char *lease, const char *holder,
	int64_t acquire_us, int64_t renew_us, long dur_s)
{
	char since[64] = "an unknown time";
	if (acquire_us)
		kd_plans__fmt_time(since, sizeof(since), acquire_us);
	int64_t left = renew_us + (int64_t)dur_s * 1000000 - kd_plans__now_us();
	char d[32];
	kd_plans__fmt_duration(d, sizeof(d), left > 0 ? left : 0);
	if (lease)
		kd_error_set(KD_ERR_PLAN,
			"instance %s/%s: Lease %s is held by another command: %s (since %s); it expires when its holder "
			"stops renewing it for %lds (in %s at the earliest)",
			ns, instance, lease, holder, since, dur_s, d);
	else
		kd_error_set(KD_ERR_PLAN,
			"instance %s/%s is locked by another command: %s (since %s); the lock expires when its holder "
			"stops renewing it for %lds (in %s at the earliest)",
			ns, instance, holder, since, dur_s, d);
	return KD_ELOCKED;
}

/* 30 s. For tests only: KUDOC_TEST_LEASE_SECONDS (2..30) shortens it, so that an e2e test can
 * see a command renew its Lease over several lease durations without running for minutes. Not a
 * user setting: it is not documented in the help and a value out of range is ignored. */
static long default_lease_s(void)
{
	const char *env = getenv("KUDOC_TEST_LEASE_SECONDS");
	long v = 0;
	if (env && *env) {
		char *end = NULL;
		errno = 0;
		v = strtol(env, &end, 10);
		if (errno || *end || v < 2 || v > 30)
			v = 0;
	}
	return v ? v : 30;
}

int kd_plan_lock_acquire(kd_plan_lock **out, const kd_kube_config *cfg, const kd_kube_client_options *copts,
	const char *ns, const char *instance, const kd_plan_lock_options *opts)
{
	kd_plan_lock *l = kd_calloc(1, sizeof(*l));
	kd_buf b = KD_BUF_INIT;
	int rc;
	*out = NULL;
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	l->lease_s = opts && opts->lease_s > 0 ? opts->lease_s : default_lease_s();
	l->ns = kd_strdup(ns);
	const char *custom = opts && opts->lease_name && *opts->lease_name ? opts->lease_name : NULL;
	if (custom)
		kd_buf_puts(&b, custom);
	else
		kd_plans__lease_name(&b, instance);
	l->name = kd_buf_detach(&b);
	identity(&b, opts ? opts->command : NULL);
	l->identity = kd_buf_detach(&b);
	if ((rc = kd_kube_client_new(&l->client, cfg, copts)))
		goto fail;

	kd_kube_ref ref = {"coordination.k8s.io/v1", "Lease", l->ns, l->name, NULL};
	for (int attempt = 0;; attempt++) {
		if (attempt >= 8) {
			rc = kd_error_set(KD_ERR_PLAN, "instance %s/%s: could not take its lock (it kept changing)", ns, instance);
			goto fail;
		}
		cJSON *cur = NULL, *body = NULL, *got = NULL;
		int64_t now = kd_plans__now_us();
		rc = kd_kube_get(&cur, l->client, &ref);
		if (rc == KD_ENOTFOUND) {
			body = lease_body(l, l->identity, now, now, 0, NULL);
			rc = kd_kube_create(&got, l->client, body);
		} else if (rc == 0) {
			lease_view v;
			view_of(&v, cur, l->lease_s);
			/* Our own identity: a retried write of ours that landed (the answer was lost). */
			bool mine = v.holder && strcmp(v.holder, l->identity) == 0;
			if (!mine && held_by_a_live_holder(&v, now)) {
				rc = locked_error(ns, instance, custom, v.holder, v.acquire_us, v.renew_us, v.dur_s);
				cJSON_Delete(cur);
				goto fail;
			}
			const char *holder = v.holder;
			l->transitions = v.transitions + (holder && *holder && !mine ? 1 : 0);
			body = lease_body(l, l->identity, now, now, l->transitions,
				kd_json_get_str(kd_json_get(cur, "metadata"), "resourceVersion"));
			rc = kd_kube_replace(&got, l->client, body);
		}
		cJSON_Delete(cur);
		cJSON_Delete(body);
		if (rc == KD_EEXISTS || rc == KD_ECONFLICT || rc == KD_ERROR || rc == KD_ETIMEOUT) {
			/* someone was quicker, or the answer was lost on the way: look again */
			cJSON_Delete(got);
			continue;
		}
		if (rc) {
			cJSON_Delete(got);
			goto fail;
		}
		keep_rv(l, got);
		cJSON_Delete(got);
		l->last_renew_us = l->acquired_us = now;
		break;
	}
	if (pthread_create(&l->thread, NULL, renew_main, l) != 0) {
		rc = kd_error_set(KD_ERR_OS, "cannot start the lock's renewing thread");
		goto fail;
	}
	l->started = true;
	*out = l;
	return 0;
fail:
	kd_buf_free(&b);
	lock_free(l);
	return rc;
}

bool kd_plan_lock_lost(const kd_plan_lock *l)
{
	kd_plan_lock *m = (kd_plan_lock *)l;
	pthread_mutex_lock(&m->mu);
	bool lost = m->lost;
	pthread_mutex_unlock(&m->mu);
	return lost;
}

void kd_plan_lock_release(kd_plan_lock *l)
{
	if (!l)
		return;
	if (l->started) {
		pthread_mutex_lock(&l->mu);
		l->stop = true;
		pthread_cond_signal(&l->cv);
		pthread_mutex_unlock(&l->mu);
		pthread_join(l->thread, NULL);
	}
	if (!l->lost) {
		/* Clear the holder, guarded by our resourceVersion: if someone else took the Lease in
		 * the meantime, their hold stays intact. */
		cJSON *body = lease_body(l, NULL, 0, 0, l->transitions, l->rv);
		kd_kube_replace(NULL, l->client, body);
		cJSON_Delete(body);
	}
	lock_free(l);
}

int kd_plan_lock_check(kd_kube_client *c, const char *ns, const char *instance)
{
	kd_buf name = KD_BUF_INIT;
	kd_plans__lease_name(&name, instance);
	kd_kube_ref ref = {"coordination.k8s.io/v1", "Lease", ns, kd_buf_cstr(&name), NULL};
	cJSON *cur = NULL;
	int rc = kd_kube_get(&cur, c, &ref);
	kd_buf_free(&name);
	if (rc) {
		kd_error_clear();
		return 0; /* no Lease (or it cannot be read): nobody says it holds the instance */
	}
	lease_view v;
	view_of(&v, cur, 30);
	if (held_by_a_live_holder(&v, kd_plans__now_us()))
		rc = locked_error(ns, instance, NULL, v.holder, v.acquire_us, v.renew_us, v.dur_s);
	cJSON_Delete(cur);
	return rc;
}
