/* Parameter values: merging the sources, checking types and enums, collecting problems. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/json.h"
#include "../base/strconv.h"
#include "../base/yaml.h"
#include "params.h"

/* The error message holds at most a few KiB (base.c): problems past this many bytes are
 * counted, not shown. */
#define MAX_REPORT 3000
/* How much of a -p argument a message quotes. */
#define MAX_ECHO 120

typedef struct {
	const kd_pkg_param *def;
	cJSON *value; /* template form; NULL when none */
	kd_param_source src;
} entry;

struct kd_params {
	const kd_pkg *pkg;
	entry *v;
	size_t n;
	kd_strmap byname; /* name -> entry: lookups stay linear with many parameters */
	kd_buf problems;
	size_t nproblems, nshown;
};

static void vproblem_at(kd_params *p, const char *file, int line, int col, const char *fmt, va_list ap)
{
	p->nproblems++;
	if (p->problems.len > MAX_REPORT)
		return; /* counted, reported as "N more" */
	if (p->problems.len)
		kd_buf_putc(&p->problems, '\n');
	if (file)
		kd_buf_put_pos(&p->problems, file, line, col);
	kd_buf_vprintf(&p->problems, fmt, ap);
	p->nshown++;
}

static void problem(kd_params *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(kd_params *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vproblem_at(p, NULL, 0, 0, fmt, ap);
	va_end(ap);
}

/* A problem at FILE:LINE:COL, the position written by kd_buf_put_pos. */
static void problem_at(kd_params *p, const char *file, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void problem_at(kd_params *p, const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vproblem_at(p, file, line, col, fmt, ap);
	va_end(ap);
}

size_t kd_params_problem_count(const kd_params *p)
{
	return p ? p->nproblems : 0;
}

/* A "FILE:LINE:COL" label for messages that add their own ": " (the position as base writes
 * it, kd_buf_put_pos, without its separator). */
static void put_where(kd_buf *b, const char *file, int line, int col)
{
	size_t at = b->len;
	kd_buf_put_pos(b, file, line, col);
	if (b->len >= at + 2)
		kd_buf_truncate(b, b->len - 2);
}

static entry *find(const kd_params *p, const char *name)
{
	return name ? kd_strmap_get(&p->byname, name, strlen(name)) : NULL;
}

/* Whether `v` is what no_value gives for `d`. */
static bool is_no_value(const kd_pkg_param *d, const cJSON *v)
{
	if (d->type == KD_PARAM_ARRAY)
		return cJSON_IsArray(v) && !v->child && (v->type & KD_JSON_NIL);
	if (d->type == KD_PARAM_MAP)
		return cJSON_IsNull(v);
	return cJSON_IsString(v) && !v->valuestring[0];
}

/* What KUDO's templates see for a parameter without a value: its ParamsMap unwraps the stored
 * default, which is YAML "null" for array and map parameters (convert.WrapParamValue marshals
 * the nil default) and absent for the others. So an array is a nil []interface{} (printed
 * "[]", toJson "null"), a map nil, anything else the empty string. */
static cJSON *no_value(const kd_pkg_param *d)
{
	if (d->type == KD_PARAM_ARRAY) {
		cJSON *a = cJSON_CreateArray();
		a->type |= KD_JSON_NIL;
		return a;
	}
	return d->type == KD_PARAM_MAP ? cJSON_CreateNull() : cJSON_CreateString("");
}

/* ---- Go's strconv (base/strconv.c), as far as parameter values need it ---- */

static bool go_parse_int(const char *s)
{
	int64_t v;
	return kd_go_parse_int(s, 10, &v) == 0;
}

static bool go_parse_float(const char *s)
{
	double d;
	return kd_go_parse_float(s, &d) == 0;
}

static bool go_parse_bool(const char *s)
{
	bool b;
	return kd_go_parse_bool(s, &b) == 0;
}

/* ---- values ---- */


/* Go's %v of a YAML scalar. */
static cJSON *scalar_text(const cJSON *v)
{
	char num[64];
	if (cJSON_IsString(v))
		return cJSON_CreateString(v->valuestring);
	if (cJSON_IsNumber(v))
		return cJSON_CreateString(kd_json_fmt_float(num, sizeof num, v->valuedouble));
	return cJSON_CreateString(cJSON_IsTrue(v) ? "true" : "false");
}

static bool is_scalar(const cJSON *v)
{
	return cJSON_IsString(v) || cJSON_IsNumber(v) || cJSON_IsBool(v);
}

/* The kind of a value for messages, never the value itself: values may be secrets. */
static const char *kind_of(const cJSON *v)
{
	return cJSON_IsString(v) ? "a string" : cJSON_IsNumber(v) ? "a number" : cJSON_IsBool(v) ? "a boolean" :
		cJSON_IsArray(v) ? "a list" : cJSON_IsObject(v) ? "a map" : "null";
}

/* Why the YAML of an array or map value does not parse, without quoting it (an anchor's or
 * tag's name is part of the value): the position in the value and libyaml's problem. */
static void yaml_problem(kd_buf *why)
{
	const char *e = kd_error_last();
	const char *p = e && strncmp(e, "value:", 6) == 0 ? e + 6 : NULL;
	long line = p ? strtol(p, (char **)&p, 10) : 0, col = 0;
	if (p && *p == ':')
		col = strtol(p + 1, (char **)&p, 10);
	if (p && strncmp(p, ": ", 2) == 0)
		p += 2;
	else
		p = NULL;
	kd_buf_puts(why, "not valid YAML");
	if (line > 0)
		kd_buf_printf(why, " at line %ld, column %ld of the value", line, col);
	if (p && !strpbrk(p, "'\"`"))
		kd_buf_printf(why, ": %s", p);
}

/* Converts `v` to the template form for parameter `d`. On a type problem returns NULL with the
 * reason in `why` ("a string that is not an integer"), which names kinds, not the value. */
static cJSON *convert(kd_buf *why, const kd_pkg_param *d, const cJSON *v)
{
	cJSON *r = NULL;
	switch (d->type) {
	case KD_PARAM_STRING:
		if (is_scalar(v))
			r = scalar_text(v);
		else
			kd_buf_printf(why, "got %s, expected a string", kind_of(v));
		break;
	case KD_PARAM_INTEGER:
		if (cJSON_IsString(v) ? go_parse_int(v->valuestring)
				      : cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) &&
					  fabs(v->valuedouble) < 9.3e18)
			r = scalar_text(v);
		else if (is_scalar(v))
			kd_buf_printf(why, "got %s that is not an integer", kind_of(v));
		else
			kd_buf_printf(why, "got %s, expected an integer", kind_of(v));
		break;
	case KD_PARAM_NUMBER:
		if (cJSON_IsString(v) ? go_parse_float(v->valuestring) : cJSON_IsNumber(v))
			r = scalar_text(v);
		else if (is_scalar(v))
			kd_buf_printf(why, "got %s that is not a number", kind_of(v));
		else
			kd_buf_printf(why, "got %s, expected a number", kind_of(v));
		break;
	case KD_PARAM_BOOLEAN:
		if (cJSON_IsString(v) ? go_parse_bool(v->valuestring) : cJSON_IsBool(v))
			r = scalar_text(v);
		else if (is_scalar(v))
			kd_buf_printf(why, "got %s that is not a boolean (true or false)", kind_of(v));
		else
			kd_buf_printf(why, "got %s, expected true or false", kind_of(v));
		break;
	case KD_PARAM_ARRAY:
	case KD_PARAM_MAP: {
		bool want_list = d->type == KD_PARAM_ARRAY;
		const char *what = want_list ? "a list" : "a map";
		cJSON *parsed = NULL;
		const cJSON *s = v;
		if (cJSON_IsString(v)) {
			if (kd_yaml_parse_one(&parsed, NULL, "value", v->valuestring, strlen(v->valuestring))) {
				kd_buf_printf(why, "got a string that is not %s (", what);
				yaml_problem(why);
				kd_buf_putc(why, ')');
				kd_error_clear();
				break;
			}
			s = parsed;
		}
		if (want_list ? cJSON_IsArray(s) : cJSON_IsObject(s)) {
			r = parsed ? parsed : cJSON_Duplicate(s, 1);
			parsed = NULL;
		} else if (s != v) {
			kd_buf_printf(why, "got a string holding %s, expected %s", kind_of(s), what);
		} else {
			kd_buf_printf(why, "got %s, expected %s", kind_of(v), what);
		}
		cJSON_Delete(parsed);
		break;
	}
	}
	return r;
}

/* Go's %v of an enum element, to compare with a scalar value's template form. */
static bool in_enum(const kd_pkg_param *d, const cJSON *val)
{
	const cJSON *e;
	if (!d->enum_values)
		return true;
	cJSON_ArrayForEach(e, d->enum_values)
	{
		if (cJSON_IsString(val) && is_scalar(e)) {
			cJSON *t = scalar_text(e);
			bool eq = strcmp(t->valuestring, val->valuestring) == 0;
			cJSON_Delete(t);
			if (eq)
				return true;
		} else if (kd_json_equal(e, val)) {
			return true;
		}
	}
	return false;
}

static void enum_list(kd_buf *b, const kd_pkg_param *d)
{
	const cJSON *e;
	bool first = true;
	cJSON_ArrayForEach(e, d->enum_values)
	{
		if (!first)
			kd_buf_puts(b, ", ");
		first = false;
		if (is_scalar(e)) {
			cJSON *t = scalar_text(e);
			kd_buf_puts(b, t->valuestring);
			cJSON_Delete(t);
		} else {
			char *s = cJSON_PrintUnformatted(e);
			kd_buf_puts(b, s ? s : "?");
			free(s);
		}
	}
}

/* Checks `v` for parameter `e` and stores it, or records a problem prefixed with `where`
 * ("-p replicas", "vals.yaml:3:4", "params.yaml:9:14: the default of"). No message quotes the
 * value: it may be a secret. */
static void set_value(kd_params *p, entry *e, const cJSON *v, kd_param_source src, const char *where,
	const char *what)
{
	kd_buf why = KD_BUF_INIT;
	const kd_pkg_param *d = e->def;
	cJSON *val = convert(&why, d, v);
	if (!val) {
		problem(p, "%s: %sparameter \"%s\" is of type %s: %s", where, what, d->name.str,
			kd_param_type_name(d->type), kd_buf_cstr(&why));
	} else if (!in_enum(d, val)) {
		kd_buf_clear(&why);
		kd_buf_puts(&why, "the value is not one of: ");
		enum_list(&why, d);
		problem(p, "%s: %sparameter \"%s\": %s", where, what, d->name.str, kd_buf_cstr(&why));
		cJSON_Delete(val);
	} else {
		cJSON_Delete(e->value);
		e->value = val;
		e->src = src;
	}
	kd_buf_free(&why);
}

/* Levenshtein distance, for "did you mean". Names are short; longer ones are not compared. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[65];
	if (la > 64 || lb > 64)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* A name as messages show it: control characters escaped, so a name cannot drive the
 * terminal; long names cut. */
static void put_escaped(kd_buf *b, const char *s)
{
	size_t n = 0;
	for (const unsigned char *c = (const unsigned char *)s; *c && n < MAX_ECHO; c++, n++) {
		if (*c < 0x20 || *c == 0x7f)
			kd_buf_printf(b, "\\x%02x", *c);
		else
			kd_buf_putc(b, (char)*c);
	}
	if (strlen(s) > MAX_ECHO)
		kd_buf_puts(b, "...");
}

static void unknown(kd_params *p, const char *where, const char *name)
{
	const char *best = NULL;
	size_t bd = strlen(name) / 3 + 1; /* at most one edit per three letters */
	for (size_t i = 0; i < p->n; i++) {
		size_t d = distance(name, p->v[i].def->name.str);
		if (d < bd) {
			bd = d;
			best = p->v[i].def->name.str;
		}
	}
	kd_buf shown = KD_BUF_INIT;
	put_escaped(&shown, name);
	if (best)
		problem(p, "%s: unknown parameter \"%s\" (did you mean \"%s\"?)", where, kd_buf_cstr(&shown), best);
	else
		problem(p, "%s: unknown parameter \"%s\"", where, kd_buf_cstr(&shown));
	kd_buf_free(&shown);
}

int kd_params_new(kd_params **out, const kd_pkg *pkg)
{
	kd_params *p = kd_calloc(1, sizeof(*p));
	kd_buf where = KD_BUF_INIT;
	p->pkg = pkg;
	p->n = pkg->nparams;
	p->v = kd_calloc(p->n, sizeof(*p->v));
	for (size_t i = p->n; i-- > 0;) /* the first of a name wins */
		if (pkg->params[i].name.str)
			kd_strmap_put(&p->byname, pkg->params[i].name.str, strlen(pkg->params[i].name.str), &p->v[i]);
	for (size_t i = 0; i < p->n; i++) {
		const kd_pkg_param *d = &pkg->params[i];
		p->v[i].def = d;
		if (!d->default_value)
			continue;
		kd_buf_clear(&where);
		if (d->default_pos.line)
			put_where(&where, pkg->params_file, d->default_pos.line, d->default_pos.col);
		else
			kd_buf_puts(&where, pkg->params_file ? pkg->params_file : "params.yaml");
		set_value(p, &p->v[i], d->default_value, KD_PARAM_SRC_DEFAULT, kd_buf_cstr(&where), "the default of ");
	}
	kd_buf_free(&where);
	*out = p;
	return 0;
}

void kd_params_add_previous(kd_params *p, const cJSON *previous)
{
	const cJSON *v;
	kd_buf where = KD_BUF_INIT;
	cJSON_ArrayForEach(v, previous)
	{
		entry *e = find(p, v->string);
		/* null, or what kd_params_to_template gave for no value: not given before */
		if (!e || cJSON_IsNull(v) || (!e->def->default_value && is_no_value(e->def, v)))
			continue;
		kd_buf_clear(&where);
		kd_buf_printf(&where, "previous value of \"%s\"", v->string);
		set_value(p, e, v, KD_PARAM_SRC_PREVIOUS, kd_buf_cstr(&where), "");
	}
	kd_buf_free(&where);
}

void kd_params_add_file_text(kd_params *p, const char *name, const char *text, size_t len)
{
	cJSON *doc = NULL;
	kd_yaml_pos *pos = NULL;
	const cJSON *v;
	kd_buf where = KD_BUF_INIT;
	/* the first document, as KUDO's yaml.Unmarshal reads it */
	if (kd_yaml_parse_all(&doc, &pos, name, text, len)) {
		problem(p, "%s", kd_error_last() ? kd_error_last() : name);
		goto done;
	}
	{
		cJSON *first = cJSON_GetArraySize(doc) > 0 ? cJSON_DetachItemFromArray(doc, 0) : NULL;
		cJSON_Delete(doc);
		doc = first;
	}
	if (!doc)
		goto done;
	if (cJSON_IsNull(doc))
		goto done;
	if (!cJSON_IsObject(doc)) {
		int line = 1, col = 1;
		kd_yaml_pos_get(pos, doc, &line, &col);
		problem_at(p, name, line, col, "expected a map of parameter names to values");
		goto done;
	}
	cJSON_ArrayForEach(v, doc)
	{
		int line = 0, col = 0;
		entry *e = find(p, v->string);
		kd_buf_clear(&where);
		if (!e) {
			if (kd_yaml_pos_get_key(pos, v, &line, &col) == 0)
				put_where(&where, name, line, col);
			else
				kd_buf_puts(&where, name);
			unknown(p, kd_buf_cstr(&where), v->string);
			continue;
		}
		if (cJSON_IsNull(v))
			continue;
		if (kd_yaml_pos_get(pos, v, &line, &col) == 0)
			put_where(&where, name, line, col);
		else
			kd_buf_puts(&where, name);
		set_value(p, e, v, KD_PARAM_SRC_FILE, kd_buf_cstr(&where), "");
	}
done:
	kd_buf_free(&where);
	cJSON_Delete(doc);
	kd_yaml_pos_free(pos);
}

void kd_params_add_file(kd_params *p, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	if (kd_file_read(&text, &len, path, (size_t)16 << 20)) {
		/* kd_file_read's message starts with the path */
		problem(p, "-P %s", kd_error_last() ? kd_error_last() : path);
		return;
	}
	kd_params_add_file_text(p, path, text, len);
	free(text);
}

int kd_params_parse_flag(char **name_out, char **value_out, const char *arg)
{
	/* The messages never quote the argument: without its '=', the whole of it may be a value
	 * (a token pasted without its name). */
	const char *eq = strchr(arg, '=');
	*name_out = *value_out = NULL;
	if (!eq) {
		kd_error_set(KD_ERR_USAGE, "a -p argument has no '=': expected -p NAME=VALUE");
		return KD_EUSAGE;
	}
	if (eq == arg) {
		kd_error_set(KD_ERR_USAGE, "a -p argument has an empty parameter name: expected -p NAME=VALUE");
		return KD_EUSAGE;
	}
	*name_out = kd_strndup(arg, (size_t)(eq - arg));
	*value_out = kd_strdup(eq + 1);
	return 0;
}

void kd_params_add_flag(kd_params *p, const char *arg)
{
	char *name = NULL, *value = NULL;
	kd_buf where = KD_BUF_INIT;
	if (kd_params_parse_flag(&name, &value, arg)) {
		problem(p, "%s", kd_error_last());
		return;
	}
	/* the flag and the parameter's name, never the value */
	kd_buf_puts(&where, "-p ");
	put_escaped(&where, name);
	entry *e = find(p, name);
	if (!e) {
		unknown(p, kd_buf_cstr(&where), name);
	} else {
		cJSON *v = cJSON_CreateString(value);
		set_value(p, e, v, KD_PARAM_SRC_FLAG, kd_buf_cstr(&where), "");
		cJSON_Delete(v);
	}
	kd_buf_free(&where);
	free(name);
	free(value);
}

int kd_params_finish(kd_params *p)
{
	for (size_t i = 0; i < p->n; i++) {
		const kd_pkg_param *d = p->v[i].def;
		if (!kd_pkg_param_needs_value(d) || p->v[i].value)
			continue;
		if (d->pos.line)
			problem_at(p, p->pkg->params_file, d->pos.line, d->pos.col,
				"parameter \"%s\" is required and has no default: give it with -p %s=VALUE", d->name.str, d->name.str);
		else
			problem(p, "parameter \"%s\" is required and has no default: give it with -p %s=VALUE", d->name.str,
				d->name.str);
	}
	if (!p->nproblems)
		return 0;
	if (p->nshown < p->nproblems)
		kd_error_set(KD_ERR_PARAMS, "%s\n... and %zu more problems", kd_buf_cstr(&p->problems),
			p->nproblems - p->nshown);
	else
		kd_error_set(KD_ERR_PARAMS, "%s", kd_buf_cstr(&p->problems));
	return KD_EINVALID;
}

int kd_params_resolve(kd_params **out, const kd_pkg *pkg, const kd_params_options *opts)
{
	kd_params *p = NULL;
	kd_params_options none = KD_PARAMS_OPTIONS_INIT;
	int rc;
	*out = NULL;
	if (!opts)
		opts = &none;
	kd_params_new(&p, pkg);
	if (opts->previous)
		kd_params_add_previous(p, opts->previous);
	for (size_t i = 0; i < opts->nfiles; i++)
		kd_params_add_file(p, opts->files[i]);
	for (size_t i = 0; i < opts->nflags; i++)
		kd_params_add_flag(p, opts->flags[i]);
	rc = kd_params_finish(p);
	if (rc) {
		kd_params_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void kd_params_free(kd_params *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		cJSON_Delete(p->v[i].value);
	free(p->v);
	kd_strmap_free(&p->byname);
	kd_buf_free(&p->problems);
	free(p);
}

const cJSON *kd_params_get(const kd_params *p, const char *name)
{
	entry *e = p ? find(p, name) : NULL;
	return e ? e->value : NULL;
}

kd_param_source kd_params_source(const kd_params *p, const char *name)
{
	entry *e = p ? find(p, name) : NULL;
	return e ? e->src : KD_PARAM_SRC_NONE;
}

int kd_params_to_template(cJSON **out, const kd_params *p)
{
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; i < p->n; i++)
		cJSON_AddItemToObject(o, p->v[i].def->name.str,
			p->v[i].value ? cJSON_Duplicate(p->v[i].value, 1) : no_value(p->v[i].def));
	*out = o;
	return 0;
}

static bool differs(const entry *e, const cJSON *old)
{
	const cJSON *o = kd_json_get(old, e->def->name.str);
	/* "no value" and the form templates get for it (kd_params_to_template) are the same */
	if (o && (cJSON_IsNull(o) || is_no_value(e->def, o)))
		o = NULL;
	const cJSON *v = e->value && !is_no_value(e->def, e->value) ? e->value : NULL;
	if (!o || !v)
		return o != v;
	return !kd_json_equal(o, v);
}

int kd_params_changed(cJSON **out, const kd_params *p, const cJSON *old)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < p->n; i++)
		if (differs(&p->v[i], old))
			cJSON_AddItemToArray(a, cJSON_CreateString(p->v[i].def->name.str));
	*out = a;
	return 0;
}

int kd_params_check_immutable(const kd_params *p, const cJSON *old)
{
	kd_buf b = KD_BUF_INIT;
	int rc = 0;
	for (size_t i = 0; i < p->n; i++) {
		if (!p->v[i].def->immutable || !differs(&p->v[i], old))
			continue;
		if (b.len)
			kd_buf_putc(&b, '\n');
		kd_buf_printf(&b, "parameter \"%s\" is immutable: it cannot change after the instance is installed",
			p->v[i].def->name.str);
	}
	if (b.len) {
		kd_error_set(KD_ERR_PARAMS, "%s", kd_buf_cstr(&b));
		rc = KD_EINVALID;
	}
	kd_buf_free(&b);
	return rc;
}

int kd_params_plan_for_change(const char **plan_out, const kd_pkg *pkg, const cJSON *changed)
{
	const cJSON *n;
	const char *plan = NULL, *by = NULL;
	*plan_out = NULL;
	cJSON_ArrayForEach(n, changed)
	{
		const kd_pkg_plan *pl = NULL;
		const kd_pkg_param *d;
		if (!cJSON_IsString(n))
			continue;
		d = kd_pkg_find_param(pkg, n->valuestring);
		if (!d) {
			kd_error_set(KD_ERR_PARAMS, "unknown parameter \"%s\"", n->valuestring);
			return KD_EINVALID;
		}
		if (d->trigger.str && d->trigger.str[0]) {
			pl = kd_pkg_find_plan(pkg, d->trigger.str);
			if (!pl) {
				kd_error_set(KD_ERR_PARAMS, "parameter \"%s\" triggers plan \"%s\", which the package does not have",
					d->name.str, d->trigger.str);
				return KD_EINVALID;
			}
		} else {
			pl = kd_pkg_find_plan(pkg, "update");
			if (!pl)
				pl = kd_pkg_find_plan(pkg, "deploy");
			if (!pl) {
				kd_error_set(KD_ERR_PARAMS, "parameter \"%s\" changed, but the package has no update or deploy plan",
					d->name.str);
				return KD_EINVALID;
			}
		}
		if (plan && strcmp(plan, pl->name.str) != 0) {
			kd_error_set(KD_ERR_PARAMS,
				"parameters \"%s\" and \"%s\" trigger different plans (\"%s\" and \"%s\"): change them one at a time",
				by, d->name.str, plan, pl->name.str);
			return KD_EINVALID;
		}
		plan = pl->name.str;
		by = d->name.str;
	}
	*plan_out = plan;
	return 0;
}
