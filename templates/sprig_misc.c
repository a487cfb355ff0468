/* sprig's defaults, reflection, hashes, UUIDs, semver (Masterminds/semver v1.5.0, which
 * sprig v2.22.0 uses) and the network function kudoc refuses to run. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../base/semver.h"
#include "sprig_priv.h"

/* ---- defaults ------------------------------------------------------------------------------ */

KD_SP_FN(default)
{
	if (nargs < 2 || kd_tpl__sp_empty(args[1]))
		*out = kd_tpl__sp_dup(args[0]);
	else
		*out = kd_tpl__sp_dup(args[1]);
	return 0;
}

KD_SP_FN(empty)
{
	*out = cJSON_CreateBool(kd_tpl__sp_empty(args[0]));
	return 0;
}

KD_SP_FN(coalesce)
{
	for (int i = 0; i < nargs; i++) {
		if (!kd_tpl__sp_empty(args[i])) {
			*out = kd_tpl__sp_dup(args[i]);
			return 0;
		}
	}
	*out = cJSON_CreateNull();
	return 0;
}

KD_SP_FN(ternary)
{
	bool b;
	if (kd_tpl__sp_arg_bool(call, args[2], &b) < 0)
		return KD_ERROR;
	*out = kd_tpl__sp_dup(b ? args[0] : args[1]);
	return 0;
}

KD_SP_FN(fail)
{
	STR_ARG(msg, 0);
	return kd_tpl__fn_fail(call, "%s", msg);
}

/* ---- reflection ---------------------------------------------------------------------------- */

KD_SP_FN(typeOf)
{
	*out = cJSON_CreateString(kd_tpl__sp_typeof(args[0]));
	return 0;
}

KD_SP_FN(typeIs)
{
	STR_ARG(t, 0);
	*out = cJSON_CreateBool(strcmp(t, kd_tpl__sp_typeof(args[1])) == 0);
	return 0;
}

KD_SP_FN(typeIsLike)
{
	STR_ARG(t, 0);
	const char *have = kd_tpl__sp_typeof(args[1]);
	*out = cJSON_CreateBool(strcmp(t, have) == 0 || (have[0] == '*' && strcmp(t, have + 1) == 0));
	return 0;
}

KD_SP_FN(kindOf)
{
	*out = cJSON_CreateString(kd_tpl__sp_kindof(args[0]));
	return 0;
}

KD_SP_FN(kindIs)
{
	STR_ARG(t, 0);
	*out = cJSON_CreateBool(strcmp(t, kd_tpl__sp_kindof(args[1])) == 0);
	return 0;
}

KD_SP_FN(deepEqual)
{
	*out = cJSON_CreateBool(kd_tpl__sp_deep_equal(args[0], args[1]));
	return 0;
}

/* ---- hashes and ids ------------------------------------------------------------------------ */

static int digest(cJSON **out, kd_tpl__call *call, const cJSON *arg, const EVP_MD *md)
{
	const char *s;
	if (kd_tpl__sp_arg_str(call, arg, &s) < 0)
		return KD_ERROR;
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (!EVP_Digest(s, strlen(s), h, &n, md, NULL))
		return kd_tpl__fn_fail(call, "digest failed");
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	for (unsigned int i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	hex[2 * n] = '\0';
	*out = cJSON_CreateString(hex);
	return 0;
}

KD_SP_FN(sha1sum)
{
	return digest(out, call, args[0], EVP_sha1());
}

KD_SP_FN(sha256sum)
{
	return digest(out, call, args[0], EVP_sha256());
}

KD_SP_FN(adler32sum)
{
	STR_ARG(s, 0);
	uLong a = adler32(1L, (const Bytef *)s, (uInt)strlen(s));
	char t[16];
	snprintf(t, sizeof t, "%lu", (unsigned long)a);
	*out = cJSON_CreateString(t);
	return 0;
}

KD_SP_FN(uuidv4)
{
	unsigned char u[16];
	kd_tpl__sp_random(u, sizeof u);
	u[6] = (unsigned char)((u[6] & 0x0F) | 0x40);
	u[8] = (unsigned char)((u[8] & 0x3F) | 0x80);
	char t[40];
	snprintf(t, sizeof t,
		"%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2],
		u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	*out = cJSON_CreateString(t);
	return 0;
}

KD_SP_FN(getHostByName)
{
	return kd_tpl__fn_fail(call,
		"getHostByName is not supported: kudoc renders templates without network lookups");
}

/* ---- semver (Masterminds/semver v1.5.0, in base/semver.c) -------------------------------- */

KD_SP_FN(semverCompare)
{
	STR_ARG(cs, 0);
	STR_ARG(vs, 1);
	/* The constraint is parsed first: its errors come before the version is looked at. */
	kd_semver_range *r = NULL;
	kd_semver v = KD_SEMVER_INIT;
	if (kd_semver_range_parse(&r, cs, KD_SEMVER_V1) != 0)
		return kd_tpl__fn_fail(call, "%s", kd_error_last());
	if (kd_semver_parse(&v, vs, KD_SEMVER_V1) != 0) {
		kd_semver_range_free(r);
		return kd_tpl__fn_fail(call, "%s", kd_error_last());
	}
	*out = cJSON_CreateBool(kd_semver_range_check(r, &v));
	kd_semver_clear(&v);
	kd_semver_range_free(r);
	return 0;
}

KD_SP_FN(semver)
{
	STR_ARG(s, 0);
	kd_semver v = KD_SEMVER_INIT;
	if (kd_semver_parse(&v, s, KD_SEMVER_V1) != 0)
		return kd_tpl__fn_fail(call, "%s", kd_error_last());
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, KD_SP_SEMVER_KEY, cJSON_CreateTrue());
	int64_t segs[3] = {(int64_t)v.major, (int64_t)v.minor, (int64_t)v.patch};
	const char *names[3] = {"Major", "Minor", "Patch"};
	for (int i = 0; i < 3; i++) {
		cJSON *n = kd_json_new_int(segs[i]);
		n->type |= KD_SP_INT64;
		cJSON_AddItemToObject(o, names[i], n);
	}
	cJSON_AddStringToObject(o, "Prerelease", v.pre);
	cJSON_AddStringToObject(o, "Metadata", v.meta);
	cJSON_AddStringToObject(o, "Original", s);
	kd_buf b = KD_SP_BUF;
	kd_buf_printf(&b, "%lld.%lld.%lld", (long long)v.major, (long long)v.minor, (long long)v.patch);
	if (v.pre[0])
		kd_buf_printf(&b, "-%s", v.pre);
	if (v.meta[0])
		kd_buf_printf(&b, "+%s", v.meta);
	cJSON_AddStringToObject(o, "String", kd_buf_cstr(&b));
	kd_buf_free(&b);
	kd_semver_clear(&v);
	*out = o;
	return 0;
}
