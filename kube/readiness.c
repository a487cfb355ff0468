/* Readiness: the kstatus-like verdict of one object, with a reason a person can act on.
 * Pure functions over cJSON objects; kd_kube_workload_pods / kd_kube_status_get add the I/O
 * that names the pod holding a workload back. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/json.h"
#include "internal.h"

const char *kd_kube_state_name(kd_kube_state s)
{
	switch (s) {
	case KD_KUBE_CURRENT:
		return "Current";
	case KD_KUBE_IN_PROGRESS:
		return "InProgress";
	case KD_KUBE_FAILED:
		return "Failed";
	case KD_KUBE_NOT_FOUND:
		return "NotFound";
	case KD_KUBE_TERMINATING:
		return "Terminating";
	}
	return "?";
}

static void set(kd_kube_status *st, kd_kube_state s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set(kd_kube_status *st, kd_kube_state s, const char *fmt, ...)
{
	va_list ap;
	st->state = s;
	va_start(ap, fmt);
	vsnprintf(st->reason, sizeof(st->reason), fmt, ap);
	va_end(ap);
}

static long num(const cJSON *obj, const char *a, const char *b, long def)
{
	return kd_kube__json_long(kd_json_path(obj, a, b, NULL), def);
}

static const cJSON *condition(const cJSON *obj, const char *type)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, kd_json_path(obj, "status", "conditions", NULL))
	{
		const char *t = kd_json_get_str(it, "type");
		if (t && strcmp(t, type) == 0)
			return it;
	}
	return NULL;
}

static bool cond_is(const cJSON *c, const char *status)
{
	const char *s = kd_json_get_str(c, "status");
	return c && s && strcmp(s, status) == 0;
}

static const char *str_or(const char *s, const char *def)
{
	return s && *s ? s : def;
}

/* The generation the controller has not seen yet, or 0. */
static bool generation_pending(kd_kube_status *st, const cJSON *obj)
{
	long gen = num(obj, "metadata", "generation", -1);
	long obs = num(obj, "status", "observedGeneration", -1);
	if (gen >= 0 && obs >= 0 && obs < gen) {
		set(st, KD_KUBE_IN_PROGRESS, "waiting for the controller to observe generation %ld (at %ld)", gen, obs);
		return true;
	}
	return false;
}

/* Why one container is not ready, into buf; false when it is ready. */
static bool container_reason(char *buf, size_t size, const cJSON *cs, bool init)
{
	const char *name = str_or(kd_json_get_str(cs, "name"), "?");
	const char *kind = init ? "init container" : "container";
	const cJSON *state = kd_json_get(cs, "state");
	const cJSON *waiting = kd_json_get(state, "waiting"), *term = kd_json_get(state, "terminated");
	if (init && term) {
		long code = num(term, "exitCode", NULL, 0);
		if (code == 0)
			return false;
		snprintf(buf, size, "%s %s failed (%s, exit code %ld)", kind, name,
			str_or(kd_json_get_str(term, "reason"), "Error"), code);
		return true;
	}
	if (!init && cJSON_IsTrue(kd_json_get(cs, "ready")))
		return false;
	if (waiting) {
		const char *r = kd_json_get_str(waiting, "reason"), *m = kd_json_get_str(waiting, "message");
		snprintf(buf, size, "%s %s not ready (%s)%s%s", kind, name, str_or(r, "waiting"),
			m && *m && r && strcmp(r, "ContainerCreating") != 0 ? ": " : "",
			m && *m && r && strcmp(r, "ContainerCreating") != 0 ? m : "");
		return true;
	}
	if (term) {
		snprintf(buf, size, "%s %s not ready (terminated: %s, exit code %ld)", kind, name,
			str_or(kd_json_get_str(term, "reason"), "Error"), num(term, "exitCode", NULL, 0));
		return true;
	}
	if (kd_json_get(state, "running")) {
		if (init)
			snprintf(buf, size, "%s %s still running", kind, name);
		else
			snprintf(buf, size, "%s %s not ready (running, readiness probe not passing)", kind, name);
		return true;
	}
	snprintf(buf, size, "%s %s not ready", kind, name);
	return true;
}

static bool crash_looping(const cJSON *pod)
{
	const cJSON *cs;
	cJSON_ArrayForEach(cs, kd_json_path(pod, "status", "containerStatuses", NULL))
	{
		const char *r = kd_json_get_str(kd_json_path(cs, "state", "waiting", NULL), "reason");
		if (r && strcmp(r, "CrashLoopBackOff") == 0)
			return true;
	}
	return false;
}

/* Why a pod is not ready ("" and Current when it is). */
static void pod_status(kd_kube_status *st, const cJSON *pod)
{
	const char *phase = str_or(kd_json_get_str(kd_json_get(pod, "status"), "phase"), "Pending");
	if (strcmp(phase, "Succeeded") == 0) {
		set(st, KD_KUBE_CURRENT, "%s", "");
		return;
	}
	if (strcmp(phase, "Failed") == 0) {
		const char *r = kd_json_get_str(kd_json_get(pod, "status"), "reason");
		const char *m = kd_json_get_str(kd_json_get(pod, "status"), "message");
		char cr[256] = "";
		const cJSON *cs;
		cJSON_ArrayForEach(cs, kd_json_path(pod, "status", "containerStatuses", NULL))
		{
			if (container_reason(cr, sizeof(cr), cs, false))
				break;
		}
		set(st, KD_KUBE_FAILED, "pod failed%s%s%s%s%s%s", r ? ": " : "", r ? r : "", m ? " " : "", m ? m : "",
			cr[0] ? "; " : "", cr);
		return;
	}
	if (cond_is(condition(pod, "Ready"), "True")) {
		set(st, KD_KUBE_CURRENT, "%s", "");
		return;
	}
	const cJSON *sched = condition(pod, "PodScheduled");
	if (cond_is(sched, "False")) {
		set(st, KD_KUBE_IN_PROGRESS, "not scheduled (%s)%s%s", str_or(kd_json_get_str(sched, "reason"), "Pending"),
			kd_json_get_str(sched, "message") ? ": " : "", str_or(kd_json_get_str(sched, "message"), ""));
		return;
	}
	char buf[400];
	const cJSON *cs;
	cJSON_ArrayForEach(cs, kd_json_path(pod, "status", "initContainerStatuses", NULL))
	{
		if (container_reason(buf, sizeof(buf), cs, true)) {
			set(st, KD_KUBE_IN_PROGRESS, "%s", buf);
			return;
		}
	}
	cJSON_ArrayForEach(cs, kd_json_path(pod, "status", "containerStatuses", NULL))
	{
		if (container_reason(buf, sizeof(buf), cs, false)) {
			/* kstatus: a crash-looping pod has failed; it will not get better by waiting */
			set(st, crash_looping(pod) ? KD_KUBE_FAILED : KD_KUBE_IN_PROGRESS, "%s", buf);
			return;
		}
	}
	const cJSON *ready = condition(pod, "Ready");
	const char *node = kd_json_get_str(kd_json_get(pod, "spec"), "nodeName");
	if (strcmp(phase, "Pending") == 0 && !(node && *node) && !sched)
		set(st, KD_KUBE_IN_PROGRESS, "waiting to be scheduled");
	else if (strcmp(phase, "Pending") == 0 && !kd_json_path(pod, "status", "containerStatuses", NULL))
		set(st, KD_KUBE_IN_PROGRESS, "containers not started yet%s%s", node && *node ? " on node " : "",
			node && *node ? node : "");
	else if (ready && kd_json_get_str(ready, "reason"))
		set(st, KD_KUBE_IN_PROGRESS, "not ready (%s)", kd_json_get_str(ready, "reason"));
	else
		set(st, KD_KUBE_IN_PROGRESS, "pod %s, not ready", phase);
}

static void deployment_status(kd_kube_status *st, const cJSON *o)
{
	const cJSON *prog = condition(o, "Progressing");
	const char *pr = kd_json_get_str(prog, "reason");
	if (pr && strcmp(pr, "ProgressDeadlineExceeded") == 0) {
		set(st, KD_KUBE_FAILED, "ProgressDeadlineExceeded: %s", str_or(kd_json_get_str(prog, "message"), "no progress"));
		return;
	}
	if (generation_pending(st, o))
		return;
	long want = num(o, "spec", "replicas", 1);
	long replicas = num(o, "status", "replicas", 0), updated = num(o, "status", "updatedReplicas", 0);
	long ready = num(o, "status", "readyReplicas", 0), avail = num(o, "status", "availableReplicas", 0);
	const cJSON *rf = condition(o, "ReplicaFailure");
	const char *extra = cond_is(rf, "True") ? str_or(kd_json_get_str(rf, "message"), "ReplicaFailure") : NULL;
	if (updated < want)
		set(st, KD_KUBE_IN_PROGRESS, "%ld/%ld replicas updated", updated, want);
	else if (replicas > updated)
		set(st, KD_KUBE_IN_PROGRESS, "%ld old replicas pending termination", replicas - updated);
	else if (ready < want)
		set(st, KD_KUBE_IN_PROGRESS, "%ld/%ld replicas ready", ready, want);
	else if (avail < want)
		set(st, KD_KUBE_IN_PROGRESS, "%ld/%ld replicas available", avail, want);
	else {
		set(st, KD_KUBE_CURRENT, "%s", "");
		return;
	}
	if (extra) {
		size_t n = strlen(st->reason);
		snprintf(st->reason + n, sizeof(st->reason) - n, " (ReplicaFailure: %s)", extra);
	}
}

static void statefulset_status(kd_kube_status *st, const cJSON *o)
{
	if (generation_pending(st, o))
		return;
	long want = num(o, "spec", "replicas", 1);
	long ready = num(o, "status", "readyReplicas", 0), replicas = num(o, "status", "replicas", 0);
	long updated = num(o, "status", "updatedReplicas", 0), avail = num(o, "status", "availableReplicas", ready);
	const char *strategy = kd_json_get_str(kd_json_path(o, "spec", "updateStrategy", NULL), "type");
	long partition = num(kd_json_path(o, "spec", "updateStrategy", "rollingUpdate", NULL), "partition", NULL, 0);
	if (replicas < want) {
		set(st, KD_KUBE_IN_PROGRESS, "%ld/%ld replicas created", replicas, want);
		return;
	}
	if (ready < want) {
		set(st, KD_KUBE_IN_PROGRESS, "%ld/%ld replicas ready", ready, want);
		return;
	}
	if (avail < want) {
		set(st, KD_KUBE_IN_PROGRESS, "%ld/%ld replicas available", avail, want);
		return;
	}
	if (!strategy || strcmp(strategy, "OnDelete") != 0) {
		long need = want - partition;
		if (need < 0)
			need = 0;
		if (updated < need) {
			set(st, KD_KUBE_IN_PROGRESS, "rolling update: %ld/%ld replicas updated", updated, need);
			return;
		}
		const char *cur = kd_json_get_str(kd_json_get(o, "status"), "currentRevision");
		const char *upd = kd_json_get_str(kd_json_get(o, "status"), "updateRevision");
		if (partition == 0 && cur && upd && strcmp(cur, upd) != 0) {
			set(st, KD_KUBE_IN_PROGRESS, "rolling update to revision %s in progress", upd);
			return;
		}
	}
	set(st, KD_KUBE_CURRENT, "%s", "");
}

static void daemonset_status(kd_kube_status *st, const cJSON *o)
{
	if (generation_pending(st, o))
		return;
	long desired = num(o, "status", "desiredNumberScheduled", -1);
	if (desired < 0) {
		set(st, KD_KUBE_IN_PROGRESS, "waiting for the controller to report status");
		return;
	}
	long current = num(o, "status", "currentNumberScheduled", 0), updated = num(o, "status", "updatedNumberScheduled", 0);
	long ready = num(o, "status", "numberReady", 0), avail = num(o, "status", "numberAvailable", 0);
	if (current < desired)
		set(st, KD_KUBE_IN_PROGRESS, "%ld/%ld pods scheduled", current, desired);
	else if (updated < desired)
		set(st, KD_KUBE_IN_PROGRESS, "%ld/%ld pods updated", updated, desired);
	else if (ready < desired)
		set(st, KD_KUBE_IN_PROGRESS, "%ld/%ld pods ready", ready, desired);
	else if (avail < desired)
		set(st, KD_KUBE_IN_PROGRESS, "%ld/%ld pods available", avail, desired);
	else
		set(st, KD_KUBE_CURRENT, "%s", "");
}

static void replicaset_status(kd_kube_status *st, const cJSON *o)
{
	if (generation_pending(st, o))
		return;
	long want = num(o, "spec", "replicas", 1);
	long ready = num(o, "status", "readyReplicas", 0), avail = num(o, "status", "availableReplicas", 0);
	long replicas = num(o, "status", "replicas", 0);
	const cJSON *rf = condition(o, "ReplicaFailure");
	if (cond_is(rf, "True"))
		set(st, KD_KUBE_IN_PROGRESS, "ReplicaFailure: %s", str_or(kd_json_get_str(rf, "message"), "pods cannot be created"));
	else if (replicas < want)
		set(st, KD_KUBE_IN_PROGRESS, "%ld/%ld replicas created", replicas, want);
	else if (ready < want)
		set(st, KD_KUBE_IN_PROGRESS, "%ld/%ld replicas ready", ready, want);
	else if (avail < want)
		set(st, KD_KUBE_IN_PROGRESS, "%ld/%ld replicas available", avail, want);
	else if (replicas > want)
		set(st, KD_KUBE_IN_PROGRESS, "%ld extra replicas pending termination", replicas - want);
	else
		set(st, KD_KUBE_CURRENT, "%s", "");
}

static void job_status(kd_kube_status *st, const cJSON *o)
{
	const cJSON *failed = condition(o, "Failed");
	if (cond_is(failed, "True")) {
		const char *r = kd_json_get_str(failed, "reason"), *m = kd_json_get_str(failed, "message");
		set(st, KD_KUBE_FAILED, "Job failed: %s%s%s", str_or(r, "Failed"), m && *m ? " (" : "", m && *m ? m : "");
		if (m && *m) {
			size_t n = strlen(st->reason);
			snprintf(st->reason + n, sizeof(st->reason) - n, ")");
		}
		return;
	}
	if (cond_is(condition(o, "Complete"), "True")) {
		set(st, KD_KUBE_CURRENT, "%s", "");
		return;
	}
	if (cond_is(condition(o, "Suspended"), "True")) {
		set(st, KD_KUBE_IN_PROGRESS, "Job is suspended");
		return;
	}
	long completions = num(o, "spec", "completions", 1);
	long succeeded = num(o, "status", "succeeded", 0), active = num(o, "status", "active", 0);
	long nfailed = num(o, "status", "failed", 0);
	set(st, KD_KUBE_IN_PROGRESS, "Job running: %ld/%ld completions, %ld active, %ld failed", succeeded, completions,
		active, nfailed);
}

static void crd_status(kd_kube_status *st, const cJSON *o)
{
	const cJSON *names = condition(o, "NamesAccepted"), *est = condition(o, "Established");
	if (cond_is(names, "False")) {
		set(st, KD_KUBE_FAILED, "names not accepted (%s): %s", str_or(kd_json_get_str(names, "reason"), "NamesNotAccepted"),
			str_or(kd_json_get_str(names, "message"), ""));
		return;
	}
	if (!cond_is(est, "True")) {
		set(st, KD_KUBE_IN_PROGRESS, "not established yet%s%s", kd_json_get_str(est, "message") ? ": " : "",
			str_or(kd_json_get_str(est, "message"), ""));
		return;
	}
	if (!cond_is(names, "True")) {
		set(st, KD_KUBE_IN_PROGRESS, "names not accepted yet");
		return;
	}
	set(st, KD_KUBE_CURRENT, "%s", "");
}

static void generic_status(kd_kube_status *st, const cJSON *o)
{
	if (generation_pending(st, o))
		return;
	const cJSON *stalled = condition(o, "Stalled"), *rec = condition(o, "Reconciling"), *ready = condition(o, "Ready");
	if (cond_is(stalled, "True")) {
		set(st, KD_KUBE_FAILED, "Stalled: %s%s%s", str_or(kd_json_get_str(stalled, "reason"), "Stalled"),
			kd_json_get_str(stalled, "message") ? ": " : "", str_or(kd_json_get_str(stalled, "message"), ""));
		return;
	}
	if (cond_is(rec, "True")) {
		set(st, KD_KUBE_IN_PROGRESS, "Reconciling: %s%s%s", str_or(kd_json_get_str(rec, "reason"), "Reconciling"),
			kd_json_get_str(rec, "message") ? ": " : "", str_or(kd_json_get_str(rec, "message"), ""));
		return;
	}
	if (ready && !cond_is(ready, "True")) {
		set(st, KD_KUBE_IN_PROGRESS, "not Ready: %s%s%s", str_or(kd_json_get_str(ready, "reason"), "NotReady"),
			kd_json_get_str(ready, "message") ? ": " : "", str_or(kd_json_get_str(ready, "message"), ""));
		return;
	}
	set(st, KD_KUBE_CURRENT, "%s", "");
}

/* Appends "; pod NAME: why" for the first pod of `pods` that is not ready. */
static void add_pod_reason(kd_kube_status *st, const cJSON *pods)
{
	const cJSON *arr = cJSON_IsArray(pods) ? pods : kd_json_get(pods, "items"), *p;
	cJSON_ArrayForEach(p, arr)
	{
		if (kd_json_path(p, "metadata", "deletionTimestamp", NULL))
			continue;
		kd_kube_status ps;
		pod_status(&ps, p);
		if (ps.state == KD_KUBE_CURRENT)
			continue;
		size_t n = strlen(st->reason);
		snprintf(st->reason + n, sizeof(st->reason) - n, "%spod %s: %s", n ? "; " : "",
			str_or(kd_json_path(p, "metadata", "name", NULL) ? kd_json_get_str(kd_json_get(p, "metadata"), "name") : NULL, "?"),
			ps.reason);
		return;
	}
}

void kd_kube_status_compute(kd_kube_status *st, const cJSON *obj, const cJSON *pods)
{
	memset(st, 0, sizeof(*st));
	if (!obj || !cJSON_IsObject(obj)) {
		set(st, KD_KUBE_NOT_FOUND, "not found");
		return;
	}
	const char *kind = str_or(kd_json_get_str(obj, "kind"), "");
	const char *api = str_or(kd_json_get_str(obj, "apiVersion"), "");
	const cJSON *md = kd_json_get(obj, "metadata");
	if (kd_json_get(md, "deletionTimestamp") && !cJSON_IsNull(kd_json_get(md, "deletionTimestamp"))) {
		const cJSON *fin = kd_json_get(md, "finalizers");
		int nf = cJSON_GetArraySize(fin);
		if (nf > 0 && cJSON_IsString(cJSON_GetArrayItem(fin, 0)))
			set(st, KD_KUBE_TERMINATING, "being deleted, waiting for finalizer %s%s", cJSON_GetArrayItem(fin, 0)->valuestring,
				nf > 1 ? " and others" : "");
		else
			set(st, KD_KUBE_TERMINATING, "being deleted");
		return;
	}
	bool core = strcmp(api, "v1") == 0, apps = strcmp(api, "apps/v1") == 0;
	bool workload = false;
	if (apps && strcmp(kind, "Deployment") == 0)
		deployment_status(st, obj), workload = true;
	else if (apps && strcmp(kind, "StatefulSet") == 0)
		statefulset_status(st, obj), workload = true;
	else if (apps && strcmp(kind, "DaemonSet") == 0)
		daemonset_status(st, obj), workload = true;
	else if (apps && strcmp(kind, "ReplicaSet") == 0)
		replicaset_status(st, obj), workload = true;
	else if (strcmp(api, "batch/v1") == 0 && strcmp(kind, "Job") == 0)
		job_status(st, obj), workload = true;
	else if (strncmp(api, "batch/", 6) == 0 && strcmp(kind, "CronJob") == 0)
		generation_pending(st, obj) ? (void)0 : set(st, KD_KUBE_CURRENT, "%s", "");
	else if (core && strcmp(kind, "Pod") == 0)
		pod_status(st, obj);
	else if (core && strcmp(kind, "PersistentVolumeClaim") == 0) {
		const char *ph = str_or(kd_json_get_str(kd_json_get(obj, "status"), "phase"), "Pending");
		if (strcmp(ph, "Bound") == 0)
			set(st, KD_KUBE_CURRENT, "%s", "");
		else if (strcmp(ph, "Lost") == 0)
			set(st, KD_KUBE_FAILED, "PVC lost its volume");
		else
			set(st, KD_KUBE_IN_PROGRESS, "PVC is %s, not Bound", ph);
	} else if (core && strcmp(kind, "Service") == 0) {
		const char *type = kd_json_get_str(kd_json_get(obj, "spec"), "type");
		const cJSON *ing = kd_json_path(obj, "status", "loadBalancer", "ingress", NULL);
		if (type && strcmp(type, "LoadBalancer") == 0 && cJSON_GetArraySize(ing) == 0)
			set(st, KD_KUBE_IN_PROGRESS, "waiting for a load balancer address");
		else
			set(st, KD_KUBE_CURRENT, "%s", "");
	} else if (core && strcmp(kind, "Namespace") == 0) {
		const char *ph = str_or(kd_json_get_str(kd_json_get(obj, "status"), "phase"), "Active");
		if (strcmp(ph, "Terminating") == 0)
			set(st, KD_KUBE_TERMINATING, "namespace is terminating");
		else
			set(st, KD_KUBE_CURRENT, "%s", "");
	} else if (strncmp(api, "apiextensions.k8s.io/", 21) == 0 && strcmp(kind, "CustomResourceDefinition") == 0)
		crd_status(st, obj);
	else
		generic_status(st, obj);
	if (workload && pods && st->state == KD_KUBE_IN_PROGRESS)
		add_pod_reason(st, pods);
}

int kd_kube__selector_string(kd_buf *out, const cJSON *sel)
{
	const cJSON *it;
	bool first = true;
	cJSON_ArrayForEach(it, kd_json_get(sel, "matchLabels"))
	{
		if (!cJSON_IsString(it))
			continue;
		kd_buf_printf(out, "%s%s=%s", first ? "" : ",", it->string, it->valuestring);
		first = false;
	}
	cJSON_ArrayForEach(it, kd_json_get(sel, "matchExpressions"))
	{
		const char *key = kd_json_get_str(it, "key"), *op = kd_json_get_str(it, "operator");
		if (!key || !op)
			continue;
		kd_buf_puts(out, first ? "" : ",");
		first = false;
		if (strcmp(op, "Exists") == 0) {
			kd_buf_puts(out, key);
			continue;
		}
		if (strcmp(op, "DoesNotExist") == 0) {
			kd_buf_printf(out, "!%s", key);
			continue;
		}
		kd_buf_printf(out, "%s %s (", key, strcmp(op, "NotIn") == 0 ? "notin" : "in");
		const cJSON *v;
		bool vf = true;
		cJSON_ArrayForEach(v, kd_json_get(it, "values"))
		{
			if (cJSON_IsString(v))
				kd_buf_printf(out, "%s%s", vf ? "" : ",", v->valuestring), vf = false;
		}
		kd_buf_putc(out, ')');
	}
	return 0;
}

int kd_kube_workload_pods(cJSON **out, kd_kube_client *c, const cJSON *obj)
{
	kd_buf sel = KD_BUF_INIT;
	cJSON *list = NULL;
	int rc = 0;
	*out = cJSON_CreateArray();
	const cJSON *selector = kd_json_path(obj, "spec", "selector", NULL);
	if (!cJSON_IsObject(selector))
		goto done;
	kd_kube__selector_string(&sel, selector);
	if (!sel.len)
		goto done;
	kd_kube_ref r = {"v1", "Pod", kd_json_get_str(kd_json_get(obj, "metadata"), "namespace"), NULL, NULL};
	kd_kube_list_options lo = KD_KUBE_LIST_OPTIONS_INIT;
	lo.label_selector = kd_buf_cstr(&sel);
	if ((rc = kd_kube_list(&list, c, &r, &lo)))
		goto done;
	cJSON *items = kd_json_get(list, "items");
	while (items && items->child)
		cJSON_AddItemToArray(*out, cJSON_DetachItemViaPointer(items, items->child));
done:
	if (rc) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	cJSON_Delete(list);
	kd_buf_free(&sel);
	return rc;
}

int kd_kube_status_get(kd_kube_status *out, kd_kube_client *c, const kd_kube_ref *ref)
{
	cJSON *obj = NULL, *pods = NULL;
	int rc = kd_kube_get(&obj, c, ref);
	if (rc == KD_ENOTFOUND) {
		kd_error_clear();
		kd_kube_status_compute(out, NULL, NULL);
		return 0;
	}
	if (rc)
		return rc;
	kd_kube_status_compute(out, obj, NULL);
	if (out->state == KD_KUBE_IN_PROGRESS || out->state == KD_KUBE_FAILED) {
		if (kd_kube_workload_pods(&pods, c, obj) == 0)
			kd_kube_status_compute(out, obj, pods);
		else
			kd_error_clear();
	}
	cJSON_Delete(pods);
	cJSON_Delete(obj);
	return 0;
}
