/* The evaluator: Go text/template's exec.go semantics over cJSON values, with
 * missingkey=error. Values are borrowed wherever possible: a field lookup returns a pointer into
 * its receiver's tree and shares the reference-counted owner of that tree (see kd_tpl__val), so
 * nothing is copied until a function builds a new value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpl_int.h"

#define WALK_BREAK 1
#define WALK_CONTINUE 2
#define STACK_LIMIT ((uintptr_t)2 << 20) /* bytes of C stack the evaluator may use */

typedef kd_tpl__val val;

typedef struct {
	const char *name;
	val v;
} var;

typedef struct {
	const kd_tpl_set *set;
	const char *tname;
	kd_buf *out;
	var *vars;
	int nvars, capvars;
	int floor;
	const kd_tpl__node *at;
	int depth;
	uintptr_t stack_base;
	cJSON *retired; /* detached by functions that mutate in place; freed at the end */
	kd_alloc_gauge gauge, *saved_gauge; /* the memory of the values the execution builds */
	size_t budget;                     /* how much of it they may take */
	uint64_t steps;                    /* actions, function calls and loop passes so far */
	kd_strmap objidx;                  /* large maps' key indexes: object pointer -> objidx */
	kd_buf pending;                    /* kd_tpl__fail_later's reason for the running function */
} state;

struct kd_tpl__call {
	state *s;
	const char *name;
	kd_buf msg;
	bool failed;
	bool raw;       /* the message is the whole error, not "error calling NAME: ..." */
	int result_arg; /* >= 0: the result is that argument itself (a Go map returned by set) */
};

/* The execution running on this thread (kd_tpl_execute does not nest), for the object index
 * that freeing values must keep up to date. */
static _Thread_local state *cur;

static cJSON s_null = {.type = cJSON_NULL};
static cJSON s_true = {.type = cJSON_True};
static cJSON s_false = {.type = cJSON_False};
static cJSON s_novalue = {.type = cJSON_String, .valuestring = (char *)"<no value>"};

static const val none = {NULL, NULL, false};

/* ---- values ---- */
static inline val vref(val v)
{
	if (v.own)
		v.own->rc++;
	return v;
}

static void free_value(cJSON *root);

static inline void vdrop(val *v)
{
	if (v->own && --v->own->rc == 0) {
		free_value(v->own->root);
		free(v->own);
	}
	*v = none;
}

static val vnew(cJSON *root)
{
	kd_tpl__ref *r = kd_malloc(sizeof(*r));
	r->root = root;
	r->rc = 1;
	return (val){root, r, false};
}

static val vbool(bool b)
{
	return (val){b ? &s_true : &s_false, NULL, false};
}

bool kd_tpl__is_nil(const cJSON *v)
{
	return !v || cJSON_IsNull(v);
}

bool kd_tpl__truth(const cJSON *v)
{
	if (!v)
		return false;
	switch (v->type & 0xFF) {
	case cJSON_True:
		return true;
	case cJSON_Number:
		return v->valuedouble != 0;
	case cJSON_String:
		return v->valuestring && v->valuestring[0];
	case cJSON_Array:
	case cJSON_Object:
		return v->child != NULL;
	default:
		return false;
	}
}

static const char *static_type(val v)
{
	return v.iface ? "interface {}" : kd_tpl__type_name(v.v);
}

/* ---- errors ---- */

/* How much of an action an error message quotes: the reason after it must survive. */
#define MAX_CONTEXT 200

static int errorf(state *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int errorf(state *s, const char *fmt, ...)
{
	kd_buf msg = KD_BUF_INIT, ctx = KD_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	kd_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	if (!s->at) {
		kd_error_set_at(KD_ERR_TEMPLATE, s->set->path, 0, 0, "%s", kd_buf_cstr(&msg));
	} else {
		int line, col;
		kd_text_pos(s->set->text, s->set->len, (size_t)s->at->pos, &line, &col);
		/* Go's message: executing "NAME" at <ACTION>: REASON; the action shortened */
		kd_tpl__node_string(&ctx, s->at);
		kd_tpl__shorten(&ctx, MAX_CONTEXT);
		kd_buf q = KD_BUF_INIT;
		kd_tpl__quote(&q, s->tname, strlen(s->tname), false);
		kd_error_set_at(KD_ERR_TEMPLATE, s->set->path, line, col + 1, "executing %s at <%s>: %s", kd_buf_cstr(&q),
			kd_buf_cstr(&ctx), kd_buf_cstr(&msg));
		kd_buf_free(&q);
	}
	kd_buf_free(&msg);
	kd_buf_free(&ctx);
	return KD_ERROR;
}

static int quoted_err(state *s, const char *fmt, const char *str)
{
	kd_buf q = KD_BUF_INIT;
	kd_tpl__quote(&q, str, strlen(str), false);
	int rc = errorf(s, fmt, kd_buf_cstr(&q));
	kd_buf_free(&q);
	return rc;
}

int kd_tpl__fn_fail(kd_tpl__call *call, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (!call) {
		kd_error_vset(KD_ERR_TEMPLATE, fmt, ap);
	} else {
		kd_buf_clear(&call->msg);
		kd_buf_vprintf(&call->msg, fmt, ap);
		call->failed = true;
	}
	va_end(ap);
	return KD_ERROR;
}

void kd_tpl__fn_retire(kd_tpl__call *call, cJSON *detached)
{
	if (!detached)
		return;
	detached->next = detached->prev = NULL;
	if (detached->type & KD_JSON_PINNED)
		return; /* the caller of kd_tpl_execute owns it */
	if (!call) {
		free_value(detached);
		return;
	}
	state *s = call->s;
	if (!s->retired)
		s->retired = cJSON_CreateArray();
	cJSON_AddItemToArray(s->retired, detached);
}

void kd_tpl__fail_later(const char *fmt, ...)
{
	state *s = cur;
	if (!s || s->pending.len)
		return;
	va_list ap;
	va_start(ap, fmt);
	kd_buf_vprintf(&s->pending, fmt, ap);
	va_end(ap);
	if (!s->pending.len)
		kd_buf_puts(&s->pending, "failed");
}

void kd_tpl__fn_return_arg(kd_tpl__call *call, int i)
{
	if (call) /* without an evaluator (unit tests of one function) there is no result */
		call->result_arg = i;
}

/* ---- large maps: key indexes ----
 * cJSON finds a key by walking the members; a map a template grows key by key (set in a loop)
 * or a large parameter map would make every lookup linear. Maps with INDEX_MIN members or more
 * get a hash index on their first lookup, kept up to date by the functions that change maps
 * (put/unset below) and dropped when the map is freed. */
#define INDEX_MIN 32

typedef struct {
	const cJSON *obj; /* also the index's key in objidx: its bytes */
	kd_strmap keys;   /* member name -> member */
} objidx;

static objidx *index_of(state *s, const cJSON *obj)
{
	return s && s->objidx.count ? kd_strmap_get(&s->objidx, (const char *)&obj, sizeof obj) : NULL;
}

static void unindex(state *s, const cJSON *obj)
{
	objidx *ix = kd_strmap_del(&s->objidx, (const char *)&obj, sizeof obj);
	if (ix) {
		kd_strmap_free(&ix->keys);
		free(ix);
	}
}

cJSON *kd_tpl__obj_get(kd_tpl__call *call, const cJSON *obj, const char *key)
{
	if (!obj || !cJSON_IsObject(obj))
		return NULL;
	state *s = call ? call->s : cur;
	objidx *ix = index_of(s, obj);
	if (ix)
		return kd_strmap_get(&ix->keys, key, strlen(key));
	size_t n = 0;
	cJSON *found = NULL;
	for (cJSON *c = obj->child; c; c = c->next, n++)
		if (!found && strcmp(c->string, key) == 0)
			found = c;
	if (n >= INDEX_MIN && s) {
		ix = kd_malloc(sizeof(*ix));
		ix->obj = obj;
		ix->keys = (kd_strmap)KD_STRMAP_INIT;
		/* the first of equal keys wins, as cJSON's own lookup */
		for (cJSON *c = obj->child; c; c = c->next)
			if (!kd_strmap_get(&ix->keys, c->string, strlen(c->string)))
				kd_strmap_put(&ix->keys, c->string, strlen(c->string), c);
		kd_strmap_put(&s->objidx, (const char *)&ix->obj, sizeof ix->obj, ix);
	}
	return found;
}

void kd_tpl__obj_added(kd_tpl__call *call, const cJSON *obj, cJSON *member)
{
	objidx *ix = index_of(call ? call->s : cur, obj);
	if (ix && !kd_strmap_get(&ix->keys, member->string, strlen(member->string)))
		kd_strmap_put(&ix->keys, member->string, strlen(member->string), member);
}

void kd_tpl__obj_removed(kd_tpl__call *call, const cJSON *obj, cJSON *member)
{
	state *s = call ? call->s : cur;
	objidx *ix = index_of(s, obj);
	if (!ix)
		return;
	if (kd_strmap_get(&ix->keys, member->string, strlen(member->string)) != member)
		return;
	/* another member may hold the same key (cJSON allows it): index that one */
	kd_strmap_del(&ix->keys, member->string, strlen(member->string));
	for (cJSON *c = obj->child; c; c = c->next)
		if (c != member && strcmp(c->string, member->string) == 0) {
			kd_strmap_put(&ix->keys, c->string, strlen(c->string), c);
			break;
		}
}

/* Frees a value tree, dropping the indexes of the maps inside it first. */
static void free_value(cJSON *root)
{
	state *s = cur;
	if (s && s->objidx.count && root) {
		/* a walk over the maps of the tree, on a stack of our own */
		const cJSON **st = kd_malloc(64 * sizeof(*st));
		size_t n = 0, cap = 64;
		st[n++] = root;
		while (n && s->objidx.count) {
			const cJSON *x = st[--n];
			if (cJSON_IsObject(x))
				unindex(s, x);
			if (!cJSON_IsObject(x) && !cJSON_IsArray(x))
				continue;
			for (const cJSON *c = x->child; c; c = c->next) {
				if (!c->child)
					continue;
				if (n == cap) {
					cap *= 2;
					st = kd_realloc(st, cap * sizeof(*st));
				}
				st[n++] = c;
			}
		}
		free(st);
	}
	kd_json_delete(root);
}

static void drop_indexes(state *s)
{
	for (size_t i = 0; i < s->objidx.cap; i++) {
		objidx *ix = s->objidx.e[i].val;
		if (ix) {
			kd_strmap_free(&ix->keys);
			free(ix);
		}
	}
	kd_strmap_free(&s->objidx);
}

/* ---- budgets ----
 * What one execution may take: KD_TPL_MAX_STEPS actions, calls and loop passes (a loop or a
 * recursion that does not end fails, naming where it was), and as much memory for the values it
 * builds as its output may take (KD_TPL_MAX_OUTPUT). */
uint64_t kd_tpl__max_steps = KD_TPL_MAX_STEPS;
size_t kd_tpl__max_values = KD_TPL_MAX_VALUES;

static int tick(state *s)
{
	if (++s->steps + s->gauge.total / KD_TPL_STEP_BYTES > kd_tpl__max_steps)
		return errorf(s, "the template did not finish within its budget of %llu steps (actions, function calls, "
			"loop passes, and %d bytes of values built): a loop or recursion too long to finish",
			(unsigned long long)kd_tpl__max_steps, KD_TPL_STEP_BYTES);
	return 0;
}

static int over_budget(state *s)
{
	return errorf(s, "the values the template builds take more than the %zu MiB they may use", s->budget >> 20);
}

bool kd_tpl__budget_spent(kd_tpl__call *call)
{
	state *s = call ? call->s : cur;
	return s && s->gauge.live > s->budget;
}

size_t kd_tpl__budget_left(kd_tpl__call *call)
{
	state *s = call ? call->s : cur;
	if (!s)
		return SIZE_MAX;
	return s->gauge.live < s->budget ? s->budget - s->gauge.live : 0;
}

static int fail_raw(kd_tpl__call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail_raw(kd_tpl__call *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kd_buf_clear(&c->msg);
	kd_buf_vprintf(&c->msg, fmt, ap);
	va_end(ap);
	c->failed = true;
	c->raw = true;
	return KD_ERROR;
}

static int check_stack(state *s)
{
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);
	if ((s->stack_base > here && s->stack_base - here > STACK_LIMIT) || kd_stack_low())
		return errorf(s, "exceeded maximum template depth (%d)", KD_TPL_MAX_EXEC_DEPTH);
	return 0;
}

/* ---- variables ---- */
static void push_var(state *s, const char *name, val v)
{
	if (s->nvars == s->capvars) {
		s->capvars = s->capvars ? s->capvars * 2 : 16;
		s->vars = kd_realloc(s->vars, (size_t)s->capvars * sizeof(*s->vars));
	}
	s->vars[s->nvars].name = name;
	s->vars[s->nvars].v = v;
	s->nvars++;
}

static void pop_vars(state *s, int mark)
{
	while (s->nvars > mark)
		vdrop(&s->vars[--s->nvars].v);
}

/* Takes ownership of v. */
static int set_var(state *s, const char *name, val v)
{
	for (int i = s->nvars - 1; i >= s->floor; i--)
		if (strcmp(s->vars[i].name, name) == 0) {
			vdrop(&s->vars[i].v);
			s->vars[i].v = v;
			return 0;
		}
	vdrop(&v);
	return errorf(s, "undefined variable: %s", name);
}

static void set_top_var(state *s, int n, val v)
{
	vdrop(&s->vars[s->nvars - n].v);
	s->vars[s->nvars - n].v = v;
}

static int var_value(state *s, const char *name, val *out)
{
	for (int i = s->nvars - 1; i >= s->floor; i--)
		if (strcmp(s->vars[i].name, name) == 0) {
			*out = vref(s->vars[i].v);
			return 0;
		}
	*out = none;
	return errorf(s, "undefined variable: %s", name);
}

/* ---- evaluation ---- */
static int eval_pipeline(state *s, val dot, const kd_tpl__node *pipe, val *out);
static int eval_arg(state *s, val dot, const kd_tpl__node *n, val *out);
static int walk(state *s, val dot, const kd_tpl__node *n);

static val dig(val v)
{
	v.iface = false;
	if (v.v && cJSON_IsNull(v.v))
		vdrop(&v);
	return v;
}

static int not_a_function(state *s, const kd_tpl__node *cmd, bool has_final)
{
	if ((cmd && cmd->u.cmd.nargs > 1) || has_final) {
		kd_buf b = KD_BUF_INIT;
		kd_tpl__node_string(&b, cmd->u.cmd.args[0]);
		int rc = errorf(s, "can't give argument to non-function %s", kd_buf_cstr(&b));
		kd_buf_free(&b);
		return rc;
	}
	return 0;
}

static int ideal_constant(state *s, const kd_tpl__node *n, val *out)
{
	s->at = n;
	if (!n->u.konst.v)
		return errorf(s, "%s overflows int", n->u.konst.text);
	*out = (val){n->u.konst.v, NULL, false};
	return 0;
}

/* Takes ownership of receiver. */
static int eval_field(state *s, const char *name, const kd_tpl__node *cmd, bool has_final, val receiver, val *out)
{
	int rc = 0;
	*out = none;
	if (!receiver.v) {
		rc = quoted_err(s, "nil data; no entry for key %s", name);
		goto done;
	}
	if (cJSON_IsNull(receiver.v)) {
		rc = errorf(s, "nil pointer evaluating %s.%s", static_type(receiver), name);
		goto done;
	}
	if (cJSON_IsObject(receiver.v)) {
		if ((cmd && cmd->u.cmd.nargs > 1) || has_final) {
			rc = errorf(s, "%s is not a method but has arguments", name);
			goto done;
		}
		cJSON *child = kd_tpl__obj_get(NULL, receiver.v, name);
		if (!child) {
			rc = quoted_err(s, "map has no entry for key %s", name);
			goto done;
		}
		*out = (val){child, receiver.own, true};
		receiver.own = NULL; /* the reference moves to the result */
		goto done;
	}
	rc = errorf(s, "can't evaluate field %s in type %s", name, static_type(receiver));
done:
	vdrop(&receiver);
	return rc;
}

/* Takes ownership of receiver. */
static int eval_field_chain(state *s, const char *const *ids, int n, const kd_tpl__node *cmd, bool has_final,
	val receiver, val *out)
{
	for (int i = 0; i < n - 1; i++) {
		val next;
		if (eval_field(s, ids[i], NULL, false, receiver, &next))
			return KD_ERROR;
		receiver = next;
	}
	return eval_field(s, ids[n - 1], cmd, has_final, receiver, out);
}

static int eval_field_node(state *s, val dot, const kd_tpl__node *f, const kd_tpl__node *cmd, bool has_final, val *out)
{
	s->at = f;
	return eval_field_chain(s, f->u.field.idents, f->u.field.n, cmd, has_final, vref(dot), out);
}

static int eval_chain_node(state *s, val dot, const kd_tpl__node *c, const kd_tpl__node *cmd, bool has_final, val *out)
{
	s->at = c;
	if (c->u.chain.term->type == N_NIL) {
		kd_buf b = KD_BUF_INIT;
		kd_tpl__node_string(&b, c);
		int rc = errorf(s, "indirection through explicit nil in %s", kd_buf_cstr(&b));
		kd_buf_free(&b);
		return rc;
	}
	val recv;
	if (eval_arg(s, dot, c->u.chain.term, &recv))
		return KD_ERROR;
	return eval_field_chain(s, c->u.chain.idents, c->u.chain.n, cmd, has_final, recv, out);
}

static int eval_variable_node(state *s, val dot, const kd_tpl__node *v, const kd_tpl__node *cmd, bool has_final, val *out)
{
	s->at = v;
	val value;
	if (var_value(s, v->u.field.idents[0], &value))
		return KD_ERROR;
	if (v->u.field.n == 1) {
		if (not_a_function(s, cmd, has_final)) {
			vdrop(&value);
			return KD_ERROR;
		}
		*out = value;
		return 0;
	}
	return eval_field_chain(s, v->u.field.idents + 1, v->u.field.n - 1, cmd, has_final, value, out);
}

/* ---- built-ins ---- */
typedef enum { K_INVALID, K_BOOL, K_INT, K_FLOAT, K_STRING, K_OTHER } kind;

static kind basic_kind(const cJSON *v)
{
	if (kd_tpl__is_nil(v))
		return K_INVALID;
	switch (v->type & 0xFF) {
	case cJSON_True:
	case cJSON_False:
		return K_BOOL;
	case cJSON_Number:
		return kd_json_is_int(v) ? K_INT : K_FLOAT;
	case cJSON_String:
		return K_STRING;
	default:
		return K_OTHER;
	}
}

static int eq2(kd_tpl__call *c, const cJSON *a, const cJSON *b, bool *res)
{
	/* Go's basicKind: lists, maps and nil are all "invalid" kinds */
	kind k1 = basic_kind(a), k2 = basic_kind(b);
	if (k1 == K_OTHER)
		k1 = K_INVALID;
	if (k2 == K_OTHER)
		k2 = K_INVALID;
	bool anil = kd_tpl__is_nil(a), bnil = kd_tpl__is_nil(b);
	*res = false;
	if (k1 != k2) {
		if (!anil && !bnil)
			return kd_tpl__fn_fail(c, "incompatible types for comparison: %s and %s", kd_tpl__type_name(a),
				kd_tpl__type_name(b));
		return 0;
	}
	switch (k1) {
	case K_BOOL:
		*res = cJSON_IsTrue(a) == cJSON_IsTrue(b);
		return 0;
	case K_INT:
		*res = kd_json_int(a) == kd_json_int(b);
		return 0;
	case K_FLOAT:
		*res = a->valuedouble == b->valuedouble;
		return 0;
	case K_STRING:
		*res = strcmp(a->valuestring, b->valuestring) == 0;
		return 0;
	default:
		break;
	}
	cJSON *aa = (cJSON *)a, *bb = (cJSON *)b;
	if (!anil && !bnil && (a->type & 0xFF) != (b->type & 0xFF)) {
		kd_buf t1 = KD_BUF_INIT, t2 = KD_BUF_INIT;
		kd_tpl__sprintf(&t1, "%s", 2, &aa, 1);
		kd_tpl__sprintf(&t2, "%v", 2, &bb, 1);
		kd_tpl__fn_fail(c, "non-comparable types %s: %s, %s: %s", kd_buf_cstr(&t1), kd_tpl__type_name(a),
			kd_tpl__type_name(b), kd_buf_cstr(&t2));
		kd_buf_free(&t1);
		kd_buf_free(&t2);
		return KD_ERROR;
	}
	if (anil || bnil) {
		*res = anil == bnil;
		return 0;
	}
	kd_buf t = KD_BUF_INIT;
	kd_tpl__sprintf(&t, "%s", 2, &bb, 1);
	kd_tpl__fn_fail(c, "non-comparable type %s: %s", kd_buf_cstr(&t), kd_tpl__type_name(b));
	kd_buf_free(&t);
	return KD_ERROR;
}

static int lt2(kd_tpl__call *c, const cJSON *a, const cJSON *b, bool *res)
{
	kind k1 = basic_kind(a), k2 = basic_kind(b);
	*res = false;
	if (k1 == K_INVALID || k1 == K_OTHER || k2 == K_INVALID || k2 == K_OTHER)
		return kd_tpl__fn_fail(c, "invalid type for comparison");
	if (k1 != k2)
		return kd_tpl__fn_fail(c, "incompatible types for comparison: %s and %s", kd_tpl__type_name(a),
			kd_tpl__type_name(b));
	switch (k1) {
	case K_BOOL:
		return kd_tpl__fn_fail(c, "invalid type for comparison");
	case K_INT:
		*res = kd_json_int(a) < kd_json_int(b);
		return 0;
	case K_FLOAT:
		*res = a->valuedouble < b->valuedouble;
		return 0;
	default:
		*res = strcmp(a->valuestring, b->valuestring) < 0;
		return 0;
	}
}

static const cJSON *cv(val v)
{
	return v.v ? v.v : &s_null;
}

static int index_arg(kd_tpl__call *c, val idx, long cap, long *x)
{
	const cJSON *v = idx.v;
	if (kd_tpl__is_nil(v))
		return kd_tpl__fn_fail(c, "cannot index slice/array with nil");
	if (!kd_json_is_int(v))
		return kd_tpl__fn_fail(c, "cannot index slice/array with type %s", kd_tpl__type_name(v));
	int64_t i = kd_json_int(v);
	if (i < 0 || i > cap)
		return kd_tpl__fn_fail(c, "index out of range: %lld", (long long)i);
	*x = (long)i;
	return 0;
}

static int bi_index(kd_tpl__call *c, val *args, int n, val *out)
{
	val item = vref(args[0]);
	*out = none;
	if (kd_tpl__is_nil(item.v)) {
		vdrop(&item);
		return kd_tpl__fn_fail(c, "index of untyped nil");
	}
	for (int i = 1; i < n; i++) {
		if (kd_tpl__is_nil(item.v)) {
			vdrop(&item);
			return kd_tpl__fn_fail(c, "index of nil pointer");
		}
		const cJSON *it = item.v;
		if (cJSON_IsArray(it) || cJSON_IsString(it)) {
			long len = cJSON_IsArray(it) ? (long)cJSON_GetArraySize(it) : (long)strlen(it->valuestring);
			long x;
			if (index_arg(c, args[i], len, &x)) {
				vdrop(&item);
				return KD_ERROR;
			}
			if (x == len) {
				vdrop(&item);
				return kd_tpl__fn_fail(c, "reflect: %s index out of range", cJSON_IsArray(it) ? "slice" : "string");
			}
			if (cJSON_IsArray(it)) {
				cJSON *ch = cJSON_GetArrayItem(it, (int)x);
				item = (val){ch, item.own, true};
			} else {
				val nv = vnew(kd_json_new_int((unsigned char)it->valuestring[x]));
				vdrop(&item);
				item = nv;
			}
		} else if (cJSON_IsObject(it)) {
			const cJSON *k = args[i].v;
			if (kd_tpl__is_nil(k)) {
				vdrop(&item);
				return kd_tpl__fn_fail(c, "value is nil; should be of type string");
			}
			if (!cJSON_IsString(k)) {
				vdrop(&item);
				return kd_tpl__fn_fail(c, "value has type %s; should be string", kd_tpl__type_name(k));
			}
			cJSON *ch = kd_tpl__obj_get(c, it, k->valuestring);
			if (ch) {
				item = (val){ch, item.own, true};
			} else {
				vdrop(&item);
				item = (val){&s_null, NULL, true};
			}
		} else {
			kd_tpl__fn_fail(c, "can't index item of type %s", kd_tpl__type_name(it));
			vdrop(&item);
			return KD_ERROR;
		}
	}
	*out = item;
	return 0;
}

static int bi_slice(kd_tpl__call *c, val *args, int n, val *out)
{
	const cJSON *it = args[0].v;
	*out = none;
	if (kd_tpl__is_nil(it))
		return kd_tpl__fn_fail(c, "slice of untyped nil");
	if (n - 1 > 3)
		return kd_tpl__fn_fail(c, "too many slice indexes: %d", n - 1);
	long cap;
	if (cJSON_IsString(it)) {
		if (n - 1 == 3)
			return kd_tpl__fn_fail(c, "cannot 3-index slice a string");
		cap = (long)strlen(it->valuestring);
	} else if (cJSON_IsArray(it)) {
		cap = cJSON_GetArraySize(it);
	} else {
		return kd_tpl__fn_fail(c, "can't slice item of type %s", kd_tpl__type_name(it));
	}
	long idx[3] = {0, cap, cap};
	for (int i = 1; i < n; i++)
		if (index_arg(c, args[i], cap, &idx[i - 1]))
			return KD_ERROR;
	if (idx[0] > idx[1])
		return kd_tpl__fn_fail(c, "invalid slice index: %ld > %ld", idx[0], idx[1]);
	if (n - 1 == 3 && idx[1] > idx[2])
		return kd_tpl__fn_fail(c, "invalid slice index: %ld > %ld", idx[1], idx[2]);
	if (cJSON_IsString(it)) {
		char *sub = kd_strndup(it->valuestring + idx[0], (size_t)(idx[1] - idx[0]));
		cJSON *r = cJSON_CreateString(sub);
		free(sub);
		*out = vnew(r);
		return 0;
	}
	cJSON *r = cJSON_CreateArray();
	long i = 0;
	size_t left = kd_tpl__budget_left(c);
	for (cJSON *ch = it->child; ch && i < idx[1]; ch = ch->next, i++) {
		if (i < idx[0])
			continue;
		cJSON *d;
		if (kd_json_dup(&d, ch, &left)) {
			free_value(r);
			return kd_tpl__fn_fail(c, "%s", kd_error_last());
		}
		cJSON_AddItemToArray(r, d);
	}
	*out = vnew(r);
	return 0;
}

static int bi_len(kd_tpl__call *c, const cJSON *v, val *out)
{
	if (!v)
		return kd_tpl__fn_fail(c, "reflect: call of reflect.Value.Type on zero Value");
	if (cJSON_IsNull(v))
		return kd_tpl__fn_fail(c, "len of nil pointer");
	long n;
	if (cJSON_IsString(v))
		n = (long)strlen(v->valuestring);
	else if (cJSON_IsArray(v) || cJSON_IsObject(v))
		n = cJSON_GetArraySize(v);
	else
		return kd_tpl__fn_fail(c, "len of type %s", kd_tpl__type_name(v));
	*out = vnew(kd_json_new_int(n));
	return 0;
}

static void escape_html(kd_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '"': kd_buf_puts(b, "&#34;"); break;
		case '\'': kd_buf_puts(b, "&#39;"); break;
		case '&': kd_buf_puts(b, "&amp;"); break;
		case '<': kd_buf_puts(b, "&lt;"); break;
		case '>': kd_buf_puts(b, "&gt;"); break;
		default: kd_buf_putc(b, *s);
		}
	}
}

static void escape_js(kd_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned c = *p;
		switch (c) {
		case '\\': kd_buf_puts(b, "\\\\"); continue;
		case '\'': kd_buf_puts(b, "\\'"); continue;
		case '"': kd_buf_puts(b, "\\\""); continue;
		case '<': kd_buf_puts(b, "\\u003C"); continue;
		case '>': kd_buf_puts(b, "\\u003E"); continue;
		case '&': kd_buf_puts(b, "\\u0026"); continue;
		case '=': kd_buf_puts(b, "\\u003D"); continue;
		}
		if (c < ' ') {
			kd_buf_puts(b, "\\u00");
			kd_buf_putc(b, hex[c >> 4]);
			kd_buf_putc(b, hex[c & 15]);
		} else {
			/* printable runes stay; we do not classify non-ASCII runes (Go escapes the
			 * non-printable ones) */
			kd_buf_putc(b, (char)c);
		}
	}
}

static void escape_url(kd_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned c = *p;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
			c == '.' || c == '~') {
			kd_buf_putc(b, (char)c);
		} else if (c == ' ') {
			kd_buf_putc(b, '+');
		} else {
			kd_buf_putc(b, '%');
			kd_buf_putc(b, hex[c >> 4]);
			kd_buf_putc(b, hex[c & 15]);
		}
	}
}

static int call_builtin(kd_tpl__call *c, kd_tpl__builtin b, val *args, int n, val *out)
{
	*out = none;
	bool r, r2;
	switch (b) {
	case B_NOT:
		*out = vbool(!kd_tpl__truth(args[0].v));
		return 0;
	case B_EQ:
		if (n < 2)
			return kd_tpl__fn_fail(c, "missing argument for comparison");
		for (int i = 1; i < n; i++) {
			if (eq2(c, args[0].v, args[i].v, &r))
				return KD_ERROR;
			if (r) {
				*out = vbool(true);
				return 0;
			}
		}
		*out = vbool(false);
		return 0;
	case B_NE:
		if (eq2(c, args[0].v, args[1].v, &r))
			return KD_ERROR;
		*out = vbool(!r);
		return 0;
	case B_LT:
	case B_GE:
		if (lt2(c, args[0].v, args[1].v, &r))
			return KD_ERROR;
		*out = vbool(b == B_LT ? r : !r);
		return 0;
	case B_LE:
	case B_GT:
		if (lt2(c, args[0].v, args[1].v, &r))
			return KD_ERROR;
		if (!r && eq2(c, args[0].v, args[1].v, &r2))
			return KD_ERROR;
		r = r || r2;
		*out = vbool(b == B_LE ? r : !r);
		return 0;
	case B_LEN:
		return bi_len(c, args[0].v, out);
	case B_INDEX:
		return bi_index(c, args, n, out);
	case B_SLICE:
		return bi_slice(c, args, n, out);
	default:
		break;
	}
	/* the printing functions */
	cJSON *stackv[16];
	cJSON **av = n <= 16 ? stackv : kd_malloc((size_t)n * sizeof(*av));
	bool esc = b == B_HTML || b == B_JS || b == B_URLQUERY;
	for (int i = 0; i < n; i++)
		av[i] = (cJSON *)(esc && kd_tpl__is_nil(args[i].v) ? &s_novalue : cv(args[i]));
	kd_buf o = KD_BUF_INIT;
	o.max = KD_TPL_MAX_STRING;
	int rc = 0;
	if (b == B_PRINTF) {
		if (!cJSON_IsString(av[0])) {
			rc = fail_raw(c, "wrong type for value; expected string; got %s", kd_tpl__type_name(args[0].v));
		} else {
			rc = kd_tpl__sprintf(&o, av[0]->valuestring, strlen(av[0]->valuestring), av + 1, n - 1);
		}
	} else if (b == B_PRINT || b == B_PRINTLN) {
		rc = kd_tpl__sprint(&o, av, n, b == B_PRINTLN);
	} else {
		kd_buf t = KD_BUF_INIT;
		const char *str;
		if (n == 1 && cJSON_IsString(av[0])) {
			str = av[0]->valuestring;
		} else {
			rc = kd_tpl__sprint(&t, av, n, false);
			str = kd_buf_cstr(&t);
		}
		if (b == B_HTML)
			escape_html(&o, str);
		else if (b == B_JS)
			escape_js(&o, str);
		else
			escape_url(&o, str);
		kd_buf_free(&t);
	}
	if (av != stackv)
		free(av);
	if (rc == 0 && o.err)
		rc = kd_tpl__fn_fail(c, "result exceeds the limit of %zu bytes", o.max);
	if (rc == 0 && memchr(kd_buf_cstr(&o), '\0', o.len))
		rc = kd_tpl__fn_fail(c, "result contains a NUL byte (\\x00), which kudoc's strings cannot hold");
	if (rc == 0)
		*out = vnew(cJSON_CreateString(kd_buf_cstr(&o)));
	else if (!c->failed)
		kd_tpl__fn_fail(c, "%s", kd_error_last() ? kd_error_last() : "cannot print the value");
	kd_buf_free(&o);
	return rc;
}

static const struct {
	kd_tpl__builtin b;
	int min;
	bool variadic;
} arity[] = {
	{B_AND, 1, true}, {B_OR, 1, true}, {B_NOT, 1, false}, {B_EQ, 1, true}, {B_NE, 2, false},
	{B_LT, 2, false}, {B_LE, 2, false}, {B_GT, 2, false}, {B_GE, 2, false}, {B_LEN, 1, false},
	{B_INDEX, 1, true}, {B_SLICE, 1, true}, {B_PRINT, 0, true}, {B_PRINTF, 1, true},
	{B_PRINTLN, 0, true}, {B_HTML, 0, true}, {B_JS, 0, true}, {B_URLQUERY, 0, true},
};

/* printf's format is a string parameter: Go rejects other constants before evaluating. */
static int check_format_arg(state *s, const kd_tpl__node *n)
{
	if (n->type != N_NUMBER && n->type != N_BOOL && n->type != N_NIL && n->type != N_DOT)
		return 0;
	s->at = n;
	if (n->type == N_NIL)
		return errorf(s, "cannot assign nil to string");
	if (n->type == N_DOT)
		return 0;
	kd_buf b = KD_BUF_INIT;
	kd_tpl__node_string(&b, n);
	int rc = errorf(s, "expected string; found %s", kd_buf_cstr(&b));
	kd_buf_free(&b);
	return rc;
}

/* Go's evalCall. `cmd` holds the arguments (args[0] is the function), or is NULL when the
 * function is used as an operand without arguments. */
static int eval_call(state *s, val dot, const kd_tpl__node *ident, const kd_tpl__node *cmd, bool has_final,
	val final, val *out)
{
	const char *name = ident->u.ident.name;
	const kd_tpl__fndef *fn = ident->u.ident.fn;
	kd_tpl__builtin b = ident->u.ident.builtin;
	int given = cmd ? cmd->u.cmd.nargs - 1 : 0;
	const kd_tpl__node *const *argn = cmd ? (const kd_tpl__node *const *)cmd->u.cmd.args + 1 : NULL;
	int num_in = given + (has_final ? 1 : 0);
	int min, max;
	if (fn) {
		min = fn->min_args;
		max = fn->max_args;
	} else {
		min = 0;
		max = -1;
		for (size_t i = 0; i < KD_ARRAY_SIZE(arity); i++)
			if (arity[i].b == b) {
				min = arity[i].min;
				max = arity[i].variadic ? -1 : arity[i].min;
			}
	}
	*out = none;
	if (max < 0) {
		if (num_in < min)
			return errorf(s, "wrong number of args for %s: want at least %d got %d", name, min, given);
	} else if (num_in < min || num_in > max) {
		return errorf(s, "wrong number of args for %s: want %d got %d", name, num_in < min ? min : max, num_in);
	}
	if (b == B_AND || b == B_OR) {
		val v = none;
		for (int i = 0; i < given; i++) {
			vdrop(&v);
			if (eval_arg(s, dot, argn[i], &v))
				return KD_ERROR;
			if (kd_tpl__truth(v.v) == (b == B_OR)) {
				*out = v;
				return 0;
			}
		}
		if (has_final) {
			vdrop(&v);
			v = vref(final);
		}
		*out = v;
		return 0;
	}
	val stackv[8];
	val *args = num_in <= 8 ? stackv : kd_malloc((size_t)num_in * sizeof(*args));
	int nargs = 0, rc = 0;
	kd_tpl__call call = {s, name, KD_BUF_INIT, false, false, -1};
	if ((rc = tick(s)))
		goto done;
	for (int i = 0; i < given; i++) {
		if (b == B_PRINTF && i == 0 && (rc = check_format_arg(s, argn[0])))
			goto done;
		if ((rc = eval_arg(s, dot, argn[i], &args[nargs])))
			goto done;
		nargs++;
		if (b == B_PRINTF && i == 0 && !cJSON_IsString(args[0].v)) {
			rc = errorf(s, "wrong type for value; expected string; got %s",
				args[0].v ? kd_tpl__type_name(args[0].v) : "<nil>");
			goto done;
		}
	}
	if (has_final)
		args[nargs++] = vref(final);
	if (fn) {
		cJSON *stackc[8];
		cJSON **cargs = nargs <= 8 ? stackc : kd_malloc((size_t)nargs * sizeof(*cargs));
		for (int i = 0; i < nargs; i++)
			cargs[i] = (cJSON *)cv(args[i]);
		cJSON *res = NULL;
		rc = fn->fn(&res, cargs, nargs, &call);
		if (cargs != stackc)
			free(cargs);
		if (rc == 0 && call.result_arg >= 0 && call.result_arg < nargs) {
			/* the function handed back one of its arguments (a Go map is a reference) */
			free_value(res);
			*out = vref(args[call.result_arg]);
		} else if (rc == 0) {
			*out = res ? vnew(res) : none;
		} else {
			free_value(res);
			if (!call.failed)
				kd_tpl__fn_fail(&call, "%s", kd_error_last() ? kd_error_last() : "failed");
		}
	} else {
		rc = call_builtin(&call, b, args, nargs, out);
	}
	if (rc == 0 && s->pending.len) {
		/* a helper hit a limit: the function's result cannot be used */
		vdrop(out);
		kd_buf_clear(&call.msg);
		kd_buf_put(&call.msg, s->pending.ptr, s->pending.len);
		kd_buf_clear(&s->pending);
		rc = KD_ERROR;
	} else if (rc == 0 && s->gauge.live > s->budget) {
		vdrop(out);
		s->at = cmd ? cmd : ident;
		rc = over_budget(s);
		goto done;
	}
	kd_buf_clear(&s->pending);
	if (rc) {
		s->at = cmd ? cmd : ident;
		if (call.raw)
			rc = errorf(s, "%s", kd_buf_cstr(&call.msg));
		else
			rc = errorf(s, "error calling %s: %s", name, kd_buf_cstr(&call.msg));
	}
done:
	for (int i = 0; i < nargs; i++)
		vdrop(&args[i]);
	if (args != stackv)
		free(args);
	kd_buf_free(&call.msg);
	return rc;
}

static int eval_function(state *s, val dot, const kd_tpl__node *ident, const kd_tpl__node *cmd, bool has_final,
	val final, val *out)
{
	s->at = ident;
	return eval_call(s, dot, ident, cmd, has_final, final, out);
}

static int eval_arg(state *s, val dot, const kd_tpl__node *n, val *out)
{
	s->at = n;
	*out = none;
	switch (n->type) {
	case N_DOT:
		*out = vref(dot);
		return 0;
	case N_NIL: /* Go's zero reflect.Value: an untyped nil */
		return 0;
	case N_FIELD:
		return eval_field_node(s, dot, n, NULL, false, out);
	case N_VAR:
		return eval_variable_node(s, dot, n, NULL, false, out);
	case N_PIPE:
		return eval_pipeline(s, dot, n, out);
	case N_IDENT:
		return eval_function(s, dot, n, NULL, false, none, out);
	case N_CHAIN:
		return eval_chain_node(s, dot, n, NULL, false, out);
	case N_BOOL:
		*out = vbool(n->u.boolean);
		return 0;
	case N_NUMBER:
		return ideal_constant(s, n, out);
	case N_STRING:
		*out = (val){n->u.konst.v, NULL, false};
		return 0;
	default: {
		kd_buf b = KD_BUF_INIT;
		kd_tpl__node_string(&b, n);
		int rc = errorf(s, "can't handle assignment of %s to empty interface argument", kd_buf_cstr(&b));
		kd_buf_free(&b);
		return rc;
	}
	}
}

static int eval_command(state *s, val dot, const kd_tpl__node *cmd, bool has_final, val final, val *out)
{
	const kd_tpl__node *first = cmd->u.cmd.args[0];
	*out = none;
	switch (first->type) {
	case N_FIELD:
		return eval_field_node(s, dot, first, cmd, has_final, out);
	case N_CHAIN:
		return eval_chain_node(s, dot, first, cmd, has_final, out);
	case N_IDENT:
		return eval_function(s, dot, first, cmd, has_final, final, out);
	case N_PIPE:
		if (not_a_function(s, cmd, has_final))
			return KD_ERROR;
		return eval_pipeline(s, dot, first, out);
	case N_VAR:
		return eval_variable_node(s, dot, first, cmd, has_final, out);
	default:
		break;
	}
	s->at = first;
	if (not_a_function(s, cmd, has_final))
		return KD_ERROR;
	switch (first->type) {
	case N_BOOL:
		*out = vbool(first->u.boolean);
		return 0;
	case N_DOT:
		*out = vref(dot);
		return 0;
	case N_NIL:
		return errorf(s, "nil is not a command");
	case N_NUMBER:
		return ideal_constant(s, first, out);
	case N_STRING:
		*out = (val){first->u.konst.v, NULL, false};
		return 0;
	default: {
		kd_buf b = KD_BUF_INIT;
		kd_tpl__node_string(&b, first);
		int rc = quoted_err(s, "can't evaluate command %s", kd_buf_cstr(&b));
		kd_buf_free(&b);
		return rc;
	}
	}
}

static int eval_pipeline(state *s, val dot, const kd_tpl__node *pipe, val *out)
{
	*out = none;
	if (!pipe)
		return 0;
	if (check_stack(s))
		return KD_ERROR;
	s->at = pipe;
	val value = none;
	for (int i = 0; i < pipe->u.pipe.ncmds; i++) {
		val nv;
		int rc = eval_command(s, dot, pipe->u.pipe.cmds[i], i > 0, value, &nv);
		vdrop(&value);
		if (rc)
			return rc;
		value = dig(nv);
	}
	for (int i = 0; i < pipe->u.pipe.ndecl; i++) {
		if (pipe->u.pipe.assign) {
			if (set_var(s, pipe->u.pipe.decl[i], vref(value))) {
				vdrop(&value);
				return KD_ERROR;
			}
		} else {
			push_var(s, pipe->u.pipe.decl[i], vref(value));
		}
	}
	*out = value;
	return 0;
}

/* ---- walking ---- */
static int print_value(state *s, const kd_tpl__node *n, val v)
{
	s->at = n;
	int rc;
	if (kd_tpl__is_nil(v.v))
		rc = kd_buf_puts(s->out, "<no value>");
	else if (cJSON_IsString(v.v))
		rc = kd_buf_puts(s->out, v.v->valuestring);
	else
		rc = kd_tpl__fmt_value(s->out, v.v);
	if (s->out->err)
		return errorf(s, "output exceeds the limit of %zu bytes", s->out->max);
	if (rc)
		return errorf(s, "%s", kd_error_last());
	return 0;
}

static int walk_if_with(state *s, val dot, const kd_tpl__node *n)
{
	int mark = s->nvars;
	val v;
	int rc = eval_pipeline(s, dot, n->u.ctl.pipe, &v);
	if (rc == 0) {
		if (kd_tpl__truth(v.v))
			rc = walk(s, n->type == N_WITH ? v : dot, n->u.ctl.list);
		else if (n->u.ctl.elist)
			rc = walk(s, dot, n->u.ctl.elist);
	}
	vdrop(&v);
	pop_vars(s, mark);
	return rc;
}

static int cmp_members(const void *a, const void *b)
{
	return strcmp((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

/* One pass of the range body; takes ownership of index and elem. Returns 1 to stop. */
static int range_once(state *s, const kd_tpl__node *r, int mark, val index, val elem, int *rc)
{
	const kd_tpl__node *pipe = r->u.ctl.pipe;
	int nd = pipe->u.pipe.ndecl;
	*rc = 0;
	if (nd > 0) {
		if (pipe->u.pipe.assign)
			*rc = set_var(s, pipe->u.pipe.decl[0], nd > 1 ? vref(index) : vref(elem));
		else
			set_top_var(s, 1, vref(elem));
	}
	if (*rc == 0 && nd > 1) {
		if (pipe->u.pipe.assign)
			*rc = set_var(s, pipe->u.pipe.decl[1], vref(elem));
		else
			set_top_var(s, 2, vref(index));
	}
	if (*rc == 0) {
		s->at = r;
		*rc = tick(s);
	}
	if (*rc == 0)
		*rc = walk(s, elem, r->u.ctl.list);
	pop_vars(s, mark);
	vdrop(&index);
	vdrop(&elem);
	if (*rc == WALK_CONTINUE)
		*rc = 0;
	if (*rc == WALK_BREAK) {
		*rc = 0;
		return 1;
	}
	return *rc != 0;
}

static int walk_range(state *s, val dot, const kd_tpl__node *r)
{
	s->at = r;
	int mark0 = s->nvars;
	val v;
	int rc = eval_pipeline(s, dot, r->u.ctl.pipe, &v);
	if (rc) {
		pop_vars(s, mark0);
		return rc;
	}
	int mark = s->nvars;
	int nd = r->u.ctl.pipe->u.pipe.ndecl;
	bool ran = false;
	cJSON **members = NULL;
	const cJSON *x = v.v;
	if (kd_tpl__is_nil(x)) {
		/* nil ranges like an empty map */
	} else if (cJSON_IsNumber(x) && kd_json_is_int(x)) {
		if (nd > 1) {
			kd_buf t = KD_BUF_INIT;
			kd_tpl__fmt_value(&t, x);
			rc = errorf(s, "can't use %s to iterate over more than one variable", kd_buf_cstr(&t));
			kd_buf_free(&t);
			goto done;
		}
		int64_t n = kd_json_int(x);
		for (int64_t i = 0; i < n; i++) {
			ran = true;
			if (range_once(s, r, mark, none, vnew(kd_json_new_int(i)), &rc))
				break;
		}
	} else if (cJSON_IsArray(x)) {
		long i = 0;
		for (cJSON *ch = x->child; ch; ch = ch->next, i++) {
			ran = true;
			val index = nd > 1 ? vnew(kd_json_new_int(i)) : none;
			if (range_once(s, r, mark, index, vref((val){ch, v.own, true}), &rc))
				break;
		}
	} else if (cJSON_IsObject(x)) {
		int n = cJSON_GetArraySize(x);
		if (n > 0) {
			members = kd_malloc((size_t)n * sizeof(*members));
			int k = 0;
			for (cJSON *ch = x->child; ch && k < n; ch = ch->next)
				members[k++] = ch;
			qsort(members, (size_t)k, sizeof(*members), cmp_members);
			for (int i = 0; i < k; i++) {
				ran = true;
				val index = nd > 1 ? vnew(cJSON_CreateString(members[i]->string)) : none;
				if (range_once(s, r, mark, index, vref((val){members[i], v.own, true}), &rc))
					break;
			}
		}
	} else {
		kd_buf t = KD_BUF_INIT;
		kd_tpl__fmt_value(&t, x);
		rc = errorf(s, "range can't iterate over %s", kd_buf_cstr(&t));
		kd_buf_free(&t);
		goto done;
	}
	if (rc == 0 && !ran && r->u.ctl.elist)
		rc = walk(s, dot, r->u.ctl.elist);
done:
	free(members);
	vdrop(&v);
	pop_vars(s, mark0);
	return rc;
}

static int walk_template(state *s, val dot, const kd_tpl__node *t)
{
	s->at = t;
	const kd_tpl__def *def = kd_tpl__lookup_def(s->set, t->u.tmpl.name);
	if (!def)
		return quoted_err(s, "template %s not defined", t->u.tmpl.name);
	if (s->depth >= KD_TPL_MAX_EXEC_DEPTH)
		return errorf(s, "exceeded maximum template depth (%d)", KD_TPL_MAX_EXEC_DEPTH);
	val v;
	if (eval_pipeline(s, dot, t->u.tmpl.pipe, &v))
		return KD_ERROR;
	int saved_floor = s->floor;
	const char *saved_name = s->tname;
	s->floor = s->nvars;
	push_var(s, "$", vref(v));
	s->tname = def->name;
	s->depth++;
	int rc = walk(s, v, def->root);
	s->depth--;
	pop_vars(s, s->floor);
	s->floor = saved_floor;
	s->tname = saved_name;
	vdrop(&v);
	return rc;
}

static int walk(state *s, val dot, const kd_tpl__node *n)
{
	s->at = n;
	if (n->type != N_LIST && tick(s))
		return KD_ERROR;
	switch (n->type) {
	case N_ACTION: {
		if (check_stack(s))
			return KD_ERROR;
		val v;
		if (eval_pipeline(s, dot, n->u.action.pipe, &v))
			return KD_ERROR;
		int rc = 0;
		if (n->u.action.pipe->u.pipe.ndecl == 0)
			rc = print_value(s, n, v);
		vdrop(&v);
		return rc;
	}
	case N_BREAK:
		return WALK_BREAK;
	case N_CONTINUE:
		return WALK_CONTINUE;
	case N_COMMENT:
		return 0;
	case N_IF:
	case N_WITH:
		if (check_stack(s))
			return KD_ERROR;
		return walk_if_with(s, dot, n);
	case N_LIST:
		for (int i = 0; i < n->u.list.n; i++) {
			int rc = walk(s, dot, n->u.list.items[i]);
			if (rc)
				return rc;
		}
		return 0;
	case N_RANGE:
		if (check_stack(s))
			return KD_ERROR;
		return walk_range(s, dot, n);
	case N_TEMPLATE:
		if (check_stack(s))
			return KD_ERROR;
		return walk_template(s, dot, n);
	case N_TEXT:
		if (kd_buf_put(s->out, n->u.text.s, n->u.text.len) || s->out->err)
			return errorf(s, "output exceeds the limit of %zu bytes", s->out->max);
		return 0;
	default:
		return errorf(s, "unknown node");
	}
}

int kd_tpl_execute(kd_buf *out, const kd_tpl_set *set, cJSON *data)
{
	state s;
	memset(&s, 0, sizeof(s));
	s.set = set;
	s.tname = set->name;
	s.out = out;
	s.stack_base = (uintptr_t)__builtin_frame_address(0);
	s.budget = kd_tpl__max_values;
	s.saved_gauge = kd_alloc_gauge_swap(&s.gauge); /* gauge.live and .total start at 0 */
	state *saved_cur = cur;
	cur = &s;
	size_t saved_max = out->max;
	if (out->max == 0 || out->max - out->len > KD_TPL_MAX_OUTPUT)
		out->max = out->len + KD_TPL_MAX_OUTPUT;
	const kd_tpl__def *def = kd_tpl__lookup_def(set, set->name);
	int rc;
	if (out->err) {
		rc = kd_buf_check(out, "template output");
	} else if (!def || !def->root) {
		kd_buf q = KD_BUF_INIT;
		kd_tpl__quote(&q, set->name, strlen(set->name), false);
		rc = kd_error_set_at(KD_ERR_TEMPLATE, set->path, 0, 0, "%s is an incomplete or empty template",
			kd_buf_cstr(&q));
		kd_buf_free(&q);
	} else {
		val dot = {kd_tpl__is_nil(data) ? NULL : data, NULL, false};
		push_var(&s, "$", dot);
		rc = walk(&s, dot, def->root);
		if (rc > 0) /* break/continue cannot escape a range: the parser checks */
			rc = 0;
	}
	pop_vars(&s, 0);
	free(s.vars);
	drop_indexes(&s);
	kd_buf_free(&s.pending);
	cur = saved_cur;
	kd_json_delete(s.retired);
	kd_alloc_gauge_swap(s.saved_gauge);
	out->max = saved_max;
	if (out->len == 0 && rc == 0)
		kd_buf_put(out, "", 0);
	return rc;
}
