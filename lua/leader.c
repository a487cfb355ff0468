/* Leader election from C: the lock of a package's parameters, and leader.check (the one
 * implementation of the rule, in lua/lib/leader.lua) run for `verify leader`. */
#include <stdlib.h>
#include <string.h>

#include "../base/json.h"
#include "lua.h"

const char *kd_lua_lock_kind_name(kd_kube_lock_kind k)
{
	switch (k) {
	case KD_KUBE_LOCK_CONFIGMAP:
		return "configmap";
	case KD_KUBE_LOCK_LEASE:
		return "lease";
	case KD_KUBE_LOCK_ANY:
		break;
	}
	return "any";
}

int kd_lua_lock_kind_parse(kd_kube_lock_kind *out, const char *s)
{
	*out = KD_KUBE_LOCK_ANY;
	if (!s || !*s || strcmp(s, "any") == 0)
		return 0;
	if (strcmp(s, "configmap") == 0 || strcmp(s, "configmaps") == 0 || strcmp(s, "ConfigMap") == 0) {
		*out = KD_KUBE_LOCK_CONFIGMAP;
		return 0;
	}
	if (strcmp(s, "lease") == 0 || strcmp(s, "leases") == 0 || strcmp(s, "Lease") == 0) {
		*out = KD_KUBE_LOCK_LEASE;
		return 0;
	}
	kd_error_set(KD_ERR_LUA, "lock kind \"%s\": want configmap or lease", s);
	return KD_EINVALID;
}

void kd_lua_lock_clear(kd_lua_lock *l)
{
	free(l->namespace_);
	free(l->name);
	memset(l, 0, sizeof(*l));
}

/* A parameter's value as templates see it: a string ("true" for booleans). NULL when absent;
 * "" for null. */
static const char *param_str(const cJSON *params, const char *name, char *buf, size_t size)
{
	const cJSON *v = kd_json_get(params, name);
	if (!v)
		return NULL;
	if (cJSON_IsString(v))
		return v->valuestring;
	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v) ? "true" : "false";
	if (cJSON_IsNumber(v)) {
		kd_json_fmt_float(buf, size, v->valuedouble);
		return buf;
	}
	return "";
}

int kd_lua_lock_from_params(kd_lua_lock *out, const cJSON *params, const char *instance, const char *namespace_,
	const kd_lua_lock_mapping *mapping)
{
	static const kd_lua_lock_mapping spark = {"enableLeaderElection", "leaderElectionLockName",
		"leaderElectionLockNamespace", "leaderElectionLockKind", "-lock"};
	kd_lua_lock_mapping m = mapping ? *mapping : spark;
	char buf[64];
	memset(out, 0, sizeof(*out));
	if (!m.enabled_param)
		m.enabled_param = spark.enabled_param;
	if (!m.name_param)
		m.name_param = spark.name_param;
	if (!m.namespace_param)
		m.namespace_param = spark.namespace_param;
	if (!m.kind_param)
		m.kind_param = spark.kind_param;
	if (!m.default_suffix)
		m.default_suffix = spark.default_suffix;
	if (!cJSON_IsObject(params)) {
		kd_error_set(KD_ERR_LUA, "the instance's parameters are unknown");
		return KD_ENOTFOUND;
	}
	if (*m.enabled_param) {
		const char *on = param_str(params, m.enabled_param, buf, sizeof buf);
		if (!on) {
			kd_error_set(KD_ERR_LUA, "the package has no parameter %s that turns leader election on", m.enabled_param);
			return KD_ENOTFOUND;
		}
		if (strcmp(on, "true") != 0) {
			kd_error_set(KD_ERR_LUA, "leader election is off (%s is \"%s\")", m.enabled_param, on);
			return KD_ENOTFOUND;
		}
	}
	const char *name = param_str(params, m.name_param, buf, sizeof buf);
	if (!name) {
		kd_error_set(KD_ERR_LUA, "the package has no parameter %s naming the leader-election lock", m.name_param);
		return KD_ENOTFOUND;
	}
	if (*name) {
		out->name = kd_strdup(name);
	} else {
		kd_buf b = KD_BUF_INIT;
		if (!instance || !*instance) {
			kd_error_set(KD_ERR_LUA, "%s is empty and the instance has no name to derive the lock's from", m.name_param);
			return KD_ENOTFOUND;
		}
		kd_buf_printf(&b, "%s%s", instance, m.default_suffix);
		out->name = kd_buf_detach(&b);
	}
	const char *ns = param_str(params, m.namespace_param, buf, sizeof buf);
	if (ns && *ns)
		out->namespace_ = kd_strdup(ns);
	else if (namespace_ && *namespace_)
		out->namespace_ = kd_strdup(namespace_);
	else {
		kd_lua_lock_clear(out);
		kd_error_set(KD_ERR_LUA, "%s is empty and the instance's namespace is unknown", m.namespace_param);
		return KD_ENOTFOUND;
	}
	int rc = kd_lua_lock_kind_parse(&out->kind, param_str(params, m.kind_param, buf, sizeof buf));
	if (rc)
		kd_lua_lock_clear(out);
	return rc;
}

void kd_lua_leader_result_clear(kd_lua_leader_result *r)
{
	free(r->reason);
	cJSON_Delete(r->details);
	memset(r, 0, sizeof(*r));
}

static const char check_chunk[] = "return kudoc.lib(\"leader\").check(...)\n";

int kd_lua_leader_check(kd_lua_leader_result *out, const char *lock_ns, const char *lock_name, kd_kube_lock_kind kind,
	const kd_lua_hook_options *opts)
{
	cJSON *args = cJSON_CreateObject(), *res = NULL;
	int rc;
	memset(out, 0, sizeof(*out));
	if (!opts || !opts->instance || !opts->namespace_) {
		cJSON_Delete(args);
		kd_error_set(KD_ERR_LUA, "a leader check needs the instance and its namespace");
		return KD_EINVALID;
	}
	if (lock_ns)
		cJSON_AddStringToObject(args, "namespace", lock_ns);
	cJSON_AddStringToObject(args, "lock", lock_name ? lock_name : "");
	if (kind != KD_KUBE_LOCK_ANY)
		cJSON_AddStringToObject(args, "kind", kd_lua_lock_kind_name(kind));
	rc = kd_lua_eval(&res, "verify-leader", check_chunk, sizeof check_chunk - 1, args, opts);
	cJSON_Delete(args);
	if (rc == KD_ERROR && kd_error_last()) {
		/* A C caller wants the cause ("kube.list: GET ...: Connection refused"), not where in
		 * the library it surfaced nor a Lua traceback. */
		const char *m = kd_error_last(), *p = m;
		if (strncmp(p, "lua/lib/", 8) == 0 && (p = strstr(p, ".lua:")) != NULL) {
			p += 5;
			while (*p >= '0' && *p <= '9')
				p++;
			p = *p == ':' && p[1] == ' ' ? p + 2 : m;
		} else {
			p = m;
		}
		kd_error_set(KD_ERR_LUA, "leader check: %.*s", (int)strcspn(p, "\n"), p);
	}
	if (rc)
		return rc;
	const cJSON *ok = cJSON_GetArrayItem(res, 0), *why = cJSON_GetArrayItem(res, 1);
	if (!cJSON_IsBool(ok)) {
		cJSON_Delete(res);
		kd_error_set(KD_ERR_LUA, "leader.check returned no verdict");
		return KD_ERROR;
	}
	out->healthy = cJSON_IsTrue(ok);
	if (!out->healthy)
		out->reason = kd_strdup(cJSON_IsString(why) ? why->valuestring : "not healthy");
	if (cJSON_GetArraySize(res) > 2 && cJSON_IsObject(cJSON_GetArrayItem(res, 2)))
		out->details = cJSON_DetachItemFromArray(res, 2);
	else
		out->details = cJSON_CreateObject();
	cJSON_Delete(res);
	return 0;
}
