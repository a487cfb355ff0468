/* sprig's list functions (list.go). They accept any Go slice, return []interface{} copies
 * and panic (an error here) on a value that is not a list, naming its reflect.Kind. */
#include "sprig_priv.h"

/* reflect.TypeOf(nil).Kind() dereferences nil in sprig; other kinds get sprig's message. */
static int not_list(kd_tpl__call *call, const cJSON *v, const char *what)
{
	if (cJSON_IsNull(v))
		return kd_tpl__fn_fail(call, "runtime error: invalid memory address or nil pointer dereference");
	return kd_tpl__fn_fail(call, "Cannot %s type %s", what, kd_tpl__sp_kindof(v));
}

static cJSON *new_list(void)
{
	return cJSON_CreateArray();
}

static void add_dup(cJSON *list, const cJSON *v)
{
	cJSON_AddItemToArray(list, kd_tpl__sp_dup(v));
}

KD_SP_FN(list)
{
	cJSON *l = new_list();
	for (int i = 0; i < nargs; i++)
		add_dup(l, args[i]);
	*out = l;
	return 0;
}

KD_SP_FN(push)
{
	if (!cJSON_IsArray(args[0]))
		return not_list(call, args[0], "push on");
	cJSON *l = new_list();
	for (cJSON *e = args[0]->child; e; e = e->next)
		add_dup(l, e);
	add_dup(l, args[1]);
	*out = l;
	return 0;
}

KD_SP_FN(prepend)
{
	if (!cJSON_IsArray(args[0]))
		return not_list(call, args[0], "prepend on");
	cJSON *l = new_list();
	add_dup(l, args[1]);
	for (cJSON *e = args[0]->child; e; e = e->next)
		add_dup(l, e);
	*out = l;
	return 0;
}

KD_SP_FN(first)
{
	if (!cJSON_IsArray(args[0]))
		return not_list(call, args[0], "find first on");
	*out = kd_tpl__sp_dup(args[0]->child);
	return 0;
}

KD_SP_FN(last)
{
	if (!cJSON_IsArray(args[0]))
		return not_list(call, args[0], "find last on");
	cJSON *e = args[0]->child;
	while (e && e->next)
		e = e->next;
	*out = kd_tpl__sp_dup(e);
	return 0;
}

KD_SP_FN(rest)
{
	if (!cJSON_IsArray(args[0]))
		return not_list(call, args[0], "find rest on");
	if (!args[0]->child) {
		*out = new_list(); /* a nil []interface{}: prints as [] */
		return 0;
	}
	cJSON *l = new_list();
	for (cJSON *e = args[0]->child->next; e; e = e->next)
		add_dup(l, e);
	*out = l;
	return 0;
}

KD_SP_FN(initial)
{
	if (!cJSON_IsArray(args[0]))
		return not_list(call, args[0], "find initial on");
	if (!args[0]->child) {
		*out = new_list();
		return 0;
	}
	cJSON *l = new_list();
	for (cJSON *e = args[0]->child; e && e->next; e = e->next)
		add_dup(l, e);
	*out = l;
	return 0;
}

KD_SP_FN(reverse)
{
	if (!cJSON_IsArray(args[0]))
		return not_list(call, args[0], "find reverse on");
	cJSON *l = new_list();
	for (cJSON *e = args[0]->child; e; e = e->next) {
		cJSON *d = kd_tpl__sp_dup(e);
		if (l->child)
			cJSON_InsertItemInArray(l, 0, d);
		else
			cJSON_AddItemToArray(l, d);
	}
	*out = l;
	return 0;
}

KD_SP_FN(compact)
{
	if (!cJSON_IsArray(args[0]))
		return not_list(call, args[0], "compact");
	cJSON *l = new_list();
	for (cJSON *e = args[0]->child; e; e = e->next)
		if (!kd_tpl__sp_empty(e))
			add_dup(l, e);
	*out = l;
	return 0;
}

static bool in_list(const cJSON *list, const cJSON *v)
{
	for (const cJSON *e = list ? list->child : NULL; e; e = e->next)
		if (kd_tpl__sp_deep_equal(e, v))
			return true;
	return false;
}

KD_SP_FN(uniq)
{
	if (!cJSON_IsArray(args[0]))
		return not_list(call, args[0], "find uniq on");
	cJSON *l = new_list();
	for (cJSON *e = args[0]->child; e; e = e->next)
		if (!in_list(l, e))
			add_dup(l, e);
	*out = l;
	return 0;
}

KD_SP_FN(without)
{
	if (!cJSON_IsArray(args[0]))
		return not_list(call, args[0], "find without on");
	cJSON *l = new_list();
	for (cJSON *e = args[0]->child; e; e = e->next) {
		bool omit = false;
		for (int i = 1; i < nargs && !omit; i++)
			omit = kd_tpl__sp_deep_equal(args[i], e);
		if (!omit)
			add_dup(l, e);
	}
	*out = l;
	return 0;
}

KD_SP_FN(has)
{
	if (cJSON_IsNull(args[1])) {
		*out = cJSON_CreateFalse();
		return 0;
	}
	if (!cJSON_IsArray(args[1]))
		return not_list(call, args[1], "find has on");
	*out = cJSON_CreateBool(in_list(args[1], args[0]));
	return 0;
}

/* sprig's slice replaces text/template's builtin of the same name in KUDO's function map. */
KD_SP_FN(slice)
{
	const cJSON *l = args[0];
	if (!cJSON_IsArray(l)) {
		if (cJSON_IsNull(l))
			return not_list(call, l, "");
		return kd_tpl__fn_fail(call, "list should be type of slice or array but %s",
			kd_tpl__sp_kindof(l));
	}
	int64_t n = cJSON_GetArraySize(l);
	if (n == 0) {
		*out = cJSON_CreateNull();
		return 0;
	}
	int64_t start = 0, end = n;
	if (nargs > 1)
		start = (int64_t)(int)kd_tpl__sp_toint64(args[1]);
	if (nargs > 2)
		end = (int64_t)(int)kd_tpl__sp_toint64(args[2]);
	if (start < 0 || end < start || end > n)
		return kd_tpl__fn_fail(call, "reflect.Value.Slice: slice index out of bounds");
	cJSON *r = new_list();
	r->type |= l->type & (KD_SP_STRS | KD_SP_INTS);
	int64_t i = 0;
	for (cJSON *e = l->child; e && i < end; e = e->next, i++)
		if (i >= start)
			add_dup(r, e);
	*out = r;
	return 0;
}

KD_SP_FN(concat)
{
	cJSON *l = new_list();
	for (int i = 0; i < nargs; i++) {
		if (!cJSON_IsArray(args[i])) {
			kd_json_delete(l);
			if (cJSON_IsNull(args[i]))
				return not_list(call, args[i], "");
			return kd_tpl__fn_fail(call, "Cannot concat type %s as list", kd_tpl__sp_kindof(args[i]));
		}
		for (cJSON *e = args[i]->child; e; e = e->next)
			add_dup(l, e);
	}
	*out = l;
	return 0;
}
