/* Leader-election records, from either kind of lock client-go writes:
 *   ConfigMap  metadata.annotations["control-plane.alpha.kubernetes.io/leader"] = JSON
 *              {holderIdentity, leaseDurationSeconds, acquireTime, renewTime, leaderTransitions}
 *   Lease      coordination.k8s.io/v1 spec {holderIdentity, leaseDurationSeconds, acquireTime,
 *              renewTime, leaseTransitions} (times are MicroTime: RFC 3339 with microseconds) */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../base/json.h"
#include "internal.h"

#define LEADER_ANNOTATION "control-plane.alpha.kubernetes.io/leader"

static const char *str_or_q(const char *s)
{
	return s ? s : "?";
}

void kd_kube_leader_record_clear(kd_kube_leader_record *r)
{
	free(r->holder);
	memset(r, 0, sizeof(*r));
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int kd_kube_time_parse(int64_t *out_us, const char *s)
{
	int Y, M, D, h, mi, sec;
	size_t len = s ? strlen(s) : 0;
	*out_us = 0;
	if (len < 20 || digits(s, 4, &Y) || s[4] != '-' || digits(s + 5, 2, &M) || s[7] != '-' || digits(s + 8, 2, &D) ||
		(s[10] != 'T' && s[10] != 't' && s[10] != ' ') || digits(s + 11, 2, &h) || s[13] != ':' ||
		digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &sec))
		goto bad;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
	if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || (M == 2 && D == 29 && !leap) || h > 23 || mi > 59 || sec > 60)
		goto bad;
	const char *p = s + 19;
	int64_t frac_us = 0;
	if (*p == '.') {
		p++;
		int n = 0;
		int64_t scale = 100000;
		while (isdigit((unsigned char)*p)) {
			if (n < 6) {
				frac_us += (*p - '0') * scale;
				scale /= 10;
			}
			n++;
			p++;
		}
		if (n == 0 || n > 9)
			goto bad;
	}
	int64_t off_s = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
			goto bad;
		off_s = (int64_t)(oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		goto bad;
	}
	if (*p)
		goto bad;
	int64_t t = days_from_civil(Y, M, D) * 86400 + h * 3600 + mi * 60 + (sec == 60 ? 59 : sec) - off_s;
	*out_us = t * 1000000 + frac_us;
	return 0;
bad:
	kd_error_set(KD_ERR_KUBE, "\"%s\" is not an RFC 3339 time", s ? s : "");
	return KD_EINVALID;
}

static int get_time(int64_t *out, const cJSON *o, const char *key)
{
	const char *s = kd_json_get_str(o, key);
	*out = 0;
	if (!s || !*s)
		return 0;
	return kd_kube_time_parse(out, s);
}

static long get_long(const cJSON *o, const char *key)
{
	return kd_kube__json_long(kd_json_get(o, key), 0);
}

static int fill(kd_kube_leader_record *out, const cJSON *rec, const char *transitions_key, kd_kube_lock_kind kind)
{
	kd_kube_leader_record r = KD_KUBE_LEADER_RECORD_INIT;
	int rc;
	r.kind = kind;
	if ((rc = get_time(&r.acquire_time_us, rec, "acquireTime")) || (rc = get_time(&r.renew_time_us, rec, "renewTime")))
		return rc;
	const char *h = kd_json_get_str(rec, "holderIdentity");
	r.holder = kd_strdup(h ? h : "");
	r.lease_duration_s = get_long(rec, "leaseDurationSeconds");
	r.transitions = get_long(rec, transitions_key);
	*out = r;
	return 0;
}

int kd_kube_leader_parse(kd_kube_leader_record *out, const cJSON *obj)
{
	const char *kind = kd_json_get_str(obj, "kind");
	memset(out, 0, sizeof(*out));
	if (kind && strcmp(kind, "Lease") == 0) {
		const cJSON *spec = kd_json_get(obj, "spec");
		if (!cJSON_IsObject(spec))
			spec = NULL;
		cJSON *empty = NULL;
		if (!spec)
			spec = empty = cJSON_CreateObject();
		int rc = fill(out, spec, "leaseTransitions", KD_KUBE_LOCK_LEASE);
		cJSON_Delete(empty);
		return rc;
	}
	if (kind && strcmp(kind, "ConfigMap") == 0) {
		const char *ann = kd_json_get_str(kd_json_path(obj, "metadata", "annotations", NULL), LEADER_ANNOTATION);
		if (!ann) {
			kd_error_set(KD_ERR_KUBE, "ConfigMap %s has no %s annotation",
				str_or_q(kd_json_get_str(kd_json_get(obj, "metadata"), "name")), LEADER_ANNOTATION);
			return KD_ENOTFOUND;
		}
		cJSON *rec = cJSON_Parse(ann);
		if (!cJSON_IsObject(rec)) {
			cJSON_Delete(rec);
			kd_error_set(KD_ERR_KUBE, "ConfigMap %s: the %s annotation is not a JSON leader record",
				str_or_q(kd_json_get_str(kd_json_get(obj, "metadata"), "name")), LEADER_ANNOTATION);
			return KD_EINVALID;
		}
		int rc = fill(out, rec, "leaderTransitions", KD_KUBE_LOCK_CONFIGMAP);
		cJSON_Delete(rec);
		return rc;
	}
	kd_error_set(KD_ERR_KUBE, "a leader record lives in a ConfigMap or a Lease, not in %s", kind ? kind : "(no kind)");
	return KD_EINVALID;
}

int kd_kube_leader_get(kd_kube_leader_record *out, kd_kube_client *c, kd_kube_lock_kind kind, const char *ns,
	const char *name)
{
	cJSON *obj = NULL;
	int rc = KD_ENOTFOUND;
	memset(out, 0, sizeof(*out));
	if (kind == KD_KUBE_LOCK_ANY || kind == KD_KUBE_LOCK_LEASE) {
		kd_kube_ref r = {"coordination.k8s.io/v1", "Lease", ns, name, NULL};
		rc = kd_kube_get(&obj, c, &r);
		if (!rc) {
			rc = kd_kube_leader_parse(out, obj);
			goto done;
		}
		if (rc != KD_ENOTFOUND || kind == KD_KUBE_LOCK_LEASE)
			goto done;
	}
	kd_kube_ref r = {"v1", "ConfigMap", ns, name, NULL};
	if ((rc = kd_kube_get(&obj, c, &r)))
		goto done;
	rc = kd_kube_leader_parse(out, obj);
done:
	if (rc == KD_ENOTFOUND && kind == KD_KUBE_LOCK_ANY && !obj)
		kd_error_set(KD_ERR_KUBE, "no leader-election lock \"%s\" (neither a Lease nor a ConfigMap) in namespace %s",
			name, ns ? ns : kd_kube_client_namespace(c));
	cJSON_Delete(obj);
	return rc;
}
