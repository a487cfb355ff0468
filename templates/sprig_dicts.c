/* sprig's dict functions (dict.go). Go maps are references: set, unset, merge and
 * mergeOverwrite change the map they are given (templates rely on `$_ := set $d "k" v`) and
 * return that same map, so these edit the argument in place and hand it back. Members are found
 * through the evaluator's index for large maps (kd_tpl__obj_get), which put and unset keep up
 * to date: a map grown key by key in a loop stays linear. */
#include <stdlib.h>
#include <string.h>

#include "sprig_priv.h"

/* Sets obj[key] = v. A replaced value may still be referenced by the running template (a
 * variable, a range in progress): it is retired to the evaluator, not freed. */
static void put(kd_tpl__call *call, cJSON *obj, const char *key, cJSON *v)
{
	cJSON *old = kd_tpl__obj_get(call, obj, key);
	if (!old) {
		cJSON_AddItemToObject(obj, key, v);
		kd_tpl__obj_added(call, obj, v);
		return;
	}
	/* Keep the key where it was. */
	if (v->string && !(v->type & cJSON_StringIsConst))
		free(v->string);
	v->type &= ~cJSON_StringIsConst;
	v->string = kd_strdup(key);
	cJSON *next = old->next;
	kd_tpl__obj_removed(call, obj, old);
	cJSON_DetachItemViaPointer(obj, old);
	kd_tpl__fn_retire(call, old);
	if (!next) {
		cJSON_AddItemToArray(obj, v);
		kd_tpl__obj_added(call, obj, v);
		return;
	}
	/* Splice v in before `next` (cJSON keeps child->prev pointing at the tail). Debian's
	 * cJSON_InsertItemInArray refuses this case. */
	v->next = next;
	v->prev = next->prev;
	if (next == obj->child)
		obj->child = v;
	else
		v->prev->next = v;
	next->prev = v;
	kd_tpl__obj_added(call, obj, v);
}

KD_SP_FN(dict)
{
	cJSON *d = cJSON_CreateObject();
	for (int i = 0; i < nargs; i += 2) {
		kd_buf k = KD_SP_BUF;
		kd_buf_puts(&k, "");
		kd_tpl__sp_strval(&k, args[i]);
		if (kd_tpl__sp_buf_ok(&k))
			put(call, d, kd_buf_cstr(&k), i + 1 < nargs ? kd_tpl__sp_dup(args[i + 1]) : cJSON_CreateString(""));
		kd_buf_free(&k);
	}
	*out = d;
	return 0;
}

KD_SP_FN(set)
{
	const char *key;
	MAP_ARG(0);
	if (kd_tpl__sp_arg_str(call, args[1], &key) < 0)
		return KD_ERROR;
	put(call, args[0], key, kd_tpl__sp_dup(args[2]));
	kd_tpl__fn_return_arg(call, 0);
	return 0;
}

KD_SP_FN(unset)
{
	const char *key;
	MAP_ARG(0);
	if (kd_tpl__sp_arg_str(call, args[1], &key) < 0)
		return KD_ERROR;
	cJSON *gone = kd_tpl__obj_get(call, args[0], key);
	if (gone) {
		kd_tpl__obj_removed(call, args[0], gone);
		cJSON_DetachItemViaPointer(args[0], gone);
		kd_tpl__fn_retire(call, gone);
	}
	kd_tpl__fn_return_arg(call, 0);
	return 0;
}

KD_SP_FN(hasKey)
{
	const char *key;
	MAP_ARG(0);
	if (kd_tpl__sp_arg_str(call, args[1], &key) < 0)
		return KD_ERROR;
	*out = cJSON_CreateBool(kd_tpl__obj_get(call, args[0], key) != NULL);
	return 0;
}

KD_SP_FN(pluck)
{
	const char *key;
	if (kd_tpl__sp_arg_str(call, args[0], &key) < 0)
		return KD_ERROR;
	for (int i = 1; i < nargs; i++)
		MAP_ARG(i);
	cJSON *l = cJSON_CreateArray();
	for (int i = 1; i < nargs; i++) {
		const cJSON *v = kd_tpl__obj_get(call, args[i], key);
		if (v)
			cJSON_AddItemToArray(l, kd_tpl__sp_dup(v));
	}
	*out = l;
	return 0;
}

static int cmp_member(const void *a, const void *b)
{
	return strcmp((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

/* The members of a map in key order (Go's order is random; sorted is one of its choices and
 * keeps kudoc's output stable). Free the array with free(). */
static cJSON **sorted_members(const cJSON *obj, int *n)
{
	*n = cJSON_GetArraySize(obj);
	cJSON **m = kd_calloc((size_t)*n + 1, sizeof *m);
	int i = 0;
	for (cJSON *e = obj->child; e; e = e->next)
		m[i++] = e;
	qsort(m, (size_t)*n, sizeof *m, cmp_member);
	return m;
}

KD_SP_FN(keys)
{
	for (int i = 0; i < nargs; i++)
		MAP_ARG(i);
	cJSON *l = cJSON_CreateArray();
	l->type |= KD_SP_STRS;
	for (int i = 0; i < nargs; i++) {
		int n;
		cJSON **m = sorted_members(args[i], &n);
		for (int j = 0; j < n; j++)
			cJSON_AddItemToArray(l, cJSON_CreateString(m[j]->string));
		free(m);
	}
	*out = l;
	return 0;
}

KD_SP_FN(values)
{
	MAP_ARG(0);
	cJSON *l = cJSON_CreateArray();
	int n;
	cJSON **m = sorted_members(args[0], &n);
	for (int j = 0; j < n; j++)
		cJSON_AddItemToArray(l, kd_tpl__sp_dup(m[j]));
	free(m);
	*out = l;
	return 0;
}

KD_SP_FN(pick)
{
	MAP_ARG(0);
	const char *k;
	for (int i = 1; i < nargs; i++)
		if (kd_tpl__sp_arg_str(call, args[i], &k) < 0)
			return KD_ERROR;
	cJSON *d = cJSON_CreateObject();
	for (int i = 1; i < nargs; i++) {
		const cJSON *v = kd_tpl__obj_get(call, args[0], args[i]->valuestring);
		if (v)
			put(call, d, args[i]->valuestring, kd_tpl__sp_dup(v));
	}
	*out = d;
	return 0;
}

KD_SP_FN(omit)
{
	MAP_ARG(0);
	const char *k;
	for (int i = 1; i < nargs; i++)
		if (kd_tpl__sp_arg_str(call, args[i], &k) < 0)
			return KD_ERROR;
	cJSON *d = cJSON_CreateObject();
	for (cJSON *e = args[0]->child; e; e = e->next) {
		bool drop = false;
		for (int i = 1; i < nargs && !drop; i++)
			drop = strcmp(args[i]->valuestring, e->string) == 0;
		if (!drop)
			cJSON_AddItemToObject(d, e->string, kd_tpl__sp_dup(e));
	}
	*out = d;
	return 0;
}

/* mergo v0.3.9's deepMerge of map[string]interface{} values (Merge / MergeWithOverwrite):
 * nested maps merge recursively, other values are taken from src when src's value is not
 * empty and (overwrite or dst's value is empty); a nil src value is copied only with
 * overwrite; values of different Go types stop the merge with an error. */
static int merge_map(kd_tpl__call *call, cJSON *dst, const cJSON *src, bool overwrite, int depth)
{
	if (depth > KD_JSON_MAX_DEPTH || kd_stack_low()) {
		kd_tpl__fail_later("value nested too deeply to merge (the limit is %d levels, fewer where the stack runs out)", KD_JSON_MAX_DEPTH);
		return 0;
	}
	for (const cJSON *s = src->child; s; s = s->next) {
		cJSON *d = kd_tpl__obj_get(call, dst, s->string);
		if (cJSON_IsNull(s)) {
			if (overwrite)
				put(call, dst, s->string, cJSON_CreateNull());
			continue;
		}
		if (!d || cJSON_IsNull(d)) {
			if (!kd_tpl__sp_empty(s))
				put(call, dst, s->string, kd_tpl__sp_dup(s));
			continue;
		}
		if (strcmp(kd_tpl__sp_typeof(d), kd_tpl__sp_typeof(s)) != 0)
			return -1;
		if (cJSON_IsObject(d) && !kd_tpl__sp_is_time(d) && !kd_tpl__sp_is_semver(d)) {
			if (merge_map(call, d, s, overwrite, depth + 1) < 0)
				return -1;
			continue;
		}
		if (!kd_tpl__sp_empty(s) && (overwrite || kd_tpl__sp_empty(d)))
			put(call, dst, s->string, kd_tpl__sp_dup(s));
	}
	return 0;
}

static int do_merge(cJSON **out, cJSON *const *args, int nargs, kd_tpl__call *call, bool overwrite)
{
	for (int i = 0; i < nargs; i++)
		MAP_ARG(i);
	for (int i = 1; i < nargs; i++) {
		/* The source may be the destination or inside it (`merge $d $d`): walk a copy. */
		cJSON *src = kd_tpl__sp_dup(args[i]);
		int rc = merge_map(call, args[0], src, overwrite, 0);
		kd_json_delete(src);
		if (rc < 0) {
			*out = cJSON_CreateString(""); /* sprig swallows mergo's error */
			return 0;
		}
	}
	kd_tpl__fn_return_arg(call, 0);
	return 0;
}

KD_SP_FN(merge)
{
	return do_merge(out, args, nargs, call, false);
}

KD_SP_FN(mergeOverwrite)
{
	return do_merge(out, args, nargs, call, true);
}

KD_SP_FN(deepCopy)
{
	if (cJSON_IsNull(args[0]))
		return kd_tpl__fn_fail(call, "reflect: call of reflect.Value.Type on zero Value");
	*out = kd_tpl__sp_dup(args[0]);
	return 0;
}
