/* Leader-election records, from either kind of lock client-go writes:
 *   ConfigMap  metadata.annotations["control-plane.alpha.kubernetes.io/leader"] = JSON
 *              {holderIdentity, leaseDurationSeconds, acquireTime, renewTime, leaderTransitions}
 *   Lease      coordination.k8s.io/v1 spec {holderIdentity, leaseDurationSeconds, acquireTime,
 *              renewTime, leaseTransitions} (times are MicroTime: RFC 3339 with microseconds) */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../base/json.h"
#include "../base/strconv.h"
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

int kd_kube_time_parse(int64_t *out_us, const char *s)
{
	/* client-go reads metav1.Time and MicroTime with time.Parse(time.RFC3339, ...), which takes
	 * fractional seconds too: base/strconv.c has Go's parser */
	kd_go_time t;
	*out_us = 0;
	if (!s || kd_go_time_parse(&t, "2006-01-02T15:04:05Z07:00", s, 0, "UTC") != 0)
		return kd_error_set(KD_ERR_KUBE, "\"%s\" is not an RFC 3339 time", s ? s : ""), KD_EINVALID;
	*out_us = t.sec * 1000000 + t.nsec / 1000;
	return 0;
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
