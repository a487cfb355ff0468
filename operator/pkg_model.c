/* Decoding operator.yaml and params.yaml into the package model, as KUDO 0.19 does with
 * sigs.k8s.io/yaml: unknown keys are ignored, a known key with a value of the wrong type is an
 * error at the value's position. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/json.h"
#include "../base/yaml.h"
#include "pkg_internal.h"

/* Where values come from: the display name of the file, its text and its position table. */
typedef struct {
	const char *file;
	const kd_yaml_pos *pos;
	const char *text;
	size_t len;
} dec;

static kd_pkg_pos pos_of(const dec *d, const cJSON *n)
{
	kd_pkg_pos p = {0, 0};
	if (n && kd_yaml_pos_get(d->pos, n, &p.line, &p.col) != 0)
		p.line = p.col = 0;
	return p;
}

static kd_pkg_pos key_pos_of(const dec *d, const cJSON *n)
{
	kd_pkg_pos p = {0, 0};
	if (n && kd_yaml_pos_get_key(d->pos, n, &p.line, &p.col) != 0)
		p = pos_of(d, n);
	return p;
}


static int fail_at(const dec *d, kd_pkg_pos p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail_at(const dec *d, kd_pkg_pos p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kd_error_vset_at(KD_ERR_PACKAGE, d->file, p.line, p.col, fmt, ap);
	va_end(ap);
	return KD_ERROR;
}

static int type_err(const dec *d, const cJSON *v, const char *key, const char *want)
{
	kd_buf b = KD_BUF_INIT;
	kd_json_describe(&b, v, true);
	fail_at(d, pos_of(d, v), "\"%s\" must be %s, got %s", key, want, kd_buf_cstr(&b));
	kd_buf_free(&b);
	return KD_ERROR;
}

/* The member for Go struct field `key`. KUDO's sigs.k8s.io/yaml turns the YAML into JSON with
 * the keys of a map sorted (encoding/json marshals a Go map so), and encoding/json then matches
 * keys to fields case-insensitively, each match overwriting the one before: of the keys that
 * match, the greatest in byte order wins ("name" over "Name" over "NAME"). */
static const cJSON *field(const cJSON *obj, const char *key)
{
	const cJSON *it, *found = NULL;
	cJSON_ArrayForEach(it, obj)
	{
		if (it->string && strcasecmp(it->string, key) == 0 && (!found || strcmp(it->string, found->string) > 0))
			found = it;
	}
	return found;
}

/* The plain scalar text a node was parsed from (at most `size` - 1 bytes), or "" when the
 * position is unknown. libyaml's columns count characters. */
static void source_text(char *out, size_t size, const dec *d, const cJSON *v)
{
	kd_pkg_pos p = pos_of(d, v);
	size_t i = 0, o = 0;
	out[0] = '\0';
	if (!d->text || p.line <= 0 || p.col <= 0)
		return;
	for (int line = 1; line < p.line && i < d->len; i++)
		if (d->text[i] == '\n')
			line++;
	for (int col = 1; col < p.col && i < d->len && d->text[i] != '\n'; col++) {
		uint32_t cp;
		int k = kd_utf8_decode(d->text + i, d->len - i, &cp);
		i += k > 0 ? (size_t)k : 1;
	}
	while (i < d->len && o + 1 < size && !strchr(" \t\r\n,]}#", d->text[i]))
		out[o++] = d->text[i++];
	out[o] = '\0';
}

/* Whether YAML 1.1 as yaml.v2 resolves it reads `s` as an integer (strconv.ParseInt or
 * ParseUint with base 0, after removing '_'), and its decimal digits into `dec_out`. */
static bool yaml_int(char *dec_out, size_t size, const char *s)
{
	char t[80];
	size_t n = 0;
	for (; *s && n + 1 < sizeof t; s++)
		if (*s != '_')
			t[n++] = *s;
	t[n] = '\0';
	if (*s || n == 0)
		return false;
	const char *p = t;
	bool neg = *p == '-';
	if (*p == '+' || *p == '-')
		p++;
	int base = 10;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		base = 16, p += 2;
	else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
		base = 8, p += 2;
	else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
		base = 2, p += 2;
	else if (p[0] == '0' && p[1])
		base = 8, p += 1;
	if (!*p)
		return false;
	uint64_t acc = 0;
	for (; *p; p++) {
		int dgt = kd_hex_digit((unsigned char)*p);
		if (dgt < 0 || dgt >= base || acc > (UINT64_MAX - (uint64_t)dgt) / (uint64_t)base)
			return false;
		acc = acc * (uint64_t)base + (uint64_t)dgt;
	}
	if (neg && acc > (uint64_t)INT64_MAX + 1)
		return false; /* below int64, and ParseUint refuses a sign */
	if (neg && acc)
		snprintf(dec_out, size, "-%llu", (unsigned long long)acc);
	else
		snprintf(dec_out, size, "%llu", (unsigned long long)acc);
	return true;
}

/* A YAML number or boolean that lands in a Go string field, as sigs.k8s.io/yaml converts it:
 * integers in decimal (strconv.FormatInt/FormatUint), floats with strconv.FormatFloat(f, 'g',
 * -1, 32) ("5.7", "0.1" for 0.10, "1e+06"), booleans "true"/"false". */
static char *scalar_string(const dec *d, const cJSON *v)
{
	char src[80], num[80];
	if (cJSON_IsBool(v))
		return kd_strdup(cJSON_IsTrue(v) ? "true" : "false");
	source_text(src, sizeof src, d, v);
	if (src[0] && yaml_int(num, sizeof num, src))
		return kd_strdup(num);
	if (!src[0] && v->valuedouble == floor(v->valuedouble) && fabs(v->valuedouble) < 9.2e18) {
		/* no source text (an alias): an integral value is most likely an integer */
		snprintf(num, sizeof num, "%lld", (long long)v->valuedouble);
		return kd_strdup(num);
	}
	return kd_strdup(kd_json_fmt_float32(num, sizeof num, v->valuedouble));
}

/* Optional string member. `coerce`: a number or boolean becomes its text, as sigs.k8s.io/yaml
 * does for a field it can see is a string (not for the fields of the structs TaskSpec embeds:
 * it looks those up as the embedded struct, so KUDO refuses a number there). */
static int str_member(const dec *d, const cJSON *obj, const char *key, kd_pkg_str *out, bool coerce)
{
	const cJSON *v = field(obj, key);
	if (!v || cJSON_IsNull(v))
		return 0;
	if (coerce && (cJSON_IsNumber(v) || cJSON_IsBool(v))) {
		out->str = scalar_string(d, v);
		out->pos = pos_of(d, v);
		return 0;
	}
	if (!cJSON_IsString(v))
		return type_err(d, v, key, "a string");
	out->str = kd_strdup(v->valuestring);
	out->pos = pos_of(d, v);
	return 0;
}

static int get_str(const dec *d, const cJSON *obj, const char *key, kd_pkg_str *out)
{
	return str_member(d, obj, key, out, true);
}

/* A string field of a task's spec, where KUDO takes only strings. */
static int get_spec_str(const dec *d, const cJSON *obj, const char *key, kd_pkg_str *out)
{
	return str_member(d, obj, key, out, false);
}

static int get_bool(const dec *d, const cJSON *obj, const char *key, bool *out)
{
	const cJSON *v = field(obj, key);
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsBool(v))
		return type_err(d, v, key, "a boolean");
	*out = cJSON_IsTrue(v);
	return 0;
}

static int get_int(const dec *d, const cJSON *obj, const char *key, int *out)
{
	const cJSON *v = field(obj, key);
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble > 2147483647.0 ||
		v->valuedouble < -2147483648.0)
		return type_err(d, v, key, "an integer");
	*out = (int)v->valuedouble;
	return 0;
}

/* Optional member that must be a list (or null); *out is borrowed, NULL when absent. */
static int get_list(const dec *d, const cJSON *obj, const char *key, const cJSON **out)
{
	const cJSON *v = field(obj, key);
	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsArray(v))
		return type_err(d, v, key, "a list");
	*out = v;
	return 0;
}

static int get_map(const dec *d, const cJSON *obj, const char *key, const cJSON **out)
{
	const cJSON *v = field(obj, key);
	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsObject(v))
		return type_err(d, v, key, "a map");
	*out = v;
	return 0;
}

/* A list of strings, e.g. `resources: [a.yaml, b.yaml]`; `coerce` as for str_member. */
static int get_str_list(const dec *d, const cJSON *obj, const char *key, kd_pkg_str **out, size_t *n, bool coerce)
{
	const cJSON *l = NULL, *it;
	if (get_list(d, obj, key, &l))
		return KD_ERROR;
	if (!l)
		return 0;
	size_t cnt = (size_t)cJSON_GetArraySize(l), i = 0;
	*out = kd_calloc(cnt, sizeof(**out));
	cJSON_ArrayForEach(it, l)
	{
		bool scalar = coerce && (cJSON_IsNumber(it) || cJSON_IsBool(it));
		if (!cJSON_IsString(it) && !scalar) {
			char what[64];
			snprintf(what, sizeof what, "%s[%zu]", key, i);
			*n = i;
			return type_err(d, it, what, "a string");
		}
		(*out)[i].str = scalar ? scalar_string(d, it) : kd_strdup(it->valuestring);
		(*out)[i].pos = pos_of(d, it);
		i++;
		*n = i;
	}
	return 0;
}

/* A list item that must be a map. */
static int item_map(const dec *d, const cJSON *it, const char *list, size_t i)
{
	char what[64];
	if (cJSON_IsObject(it))
		return 0;
	snprintf(what, sizeof what, "%s[%zu]", list, i);
	return type_err(d, it, what, "a map");
}

/* A Go duration for health's timeout or interval, in milliseconds. */
static int health_duration(const dec *d, const cJSON *h, const char *key, long *ms, kd_pkg_pos *pos)
{
	const cJSON *v = field(h, key);
	int64_t ns = 0;
	if (!v || cJSON_IsNull(v))
		return 0;
	*pos = pos_of(d, v);
	if (!cJSON_IsString(v))
		return type_err(d, v, key, "a duration like 5m or 30s");
	if (kd_duration_parse(&ns, v->valuestring) != 0)
		return fail_at(d, *pos, "\"%s\" must be a duration like 5m or 30s: %s", key, kd_error_last());
	if (ns < 1000000)
		return fail_at(d, *pos, "\"%s\" must be at least 1ms, got \"%s\"", key, v->valuestring);
	if (ns / 1000000 > 365LL * 24 * 3600 * 1000)
		return fail_at(d, *pos, "\"%s\" must be at most a year, got \"%s\"", key, v->valuestring);
	*ms = (long)(ns / 1000000);
	return 0;
}

/* kudoc's `health:` (see kd_pkg_health): a script path, or {script, timeout, interval}. */
static int get_health(const dec *d, const cJSON *obj, kd_pkg_health *out)
{
	const cJSON *h = field(obj, "health"), *it;
	if (!h || cJSON_IsNull(h))
		return 0;
	out->pos = pos_of(d, h);
	if (cJSON_IsString(h)) {
		if (!h->valuestring[0])
			return fail_at(d, out->pos, "\"health\" names no script");
		out->script.str = kd_strdup(h->valuestring);
		out->script.pos = out->pos;
		return 0;
	}
	if (!cJSON_IsObject(h))
		return type_err(d, h, "health", "a script path or a map {script, timeout, interval}");
	cJSON_ArrayForEach(it, h)
	{
		static const char *const known[] = {"script", "timeout", "interval"};
		bool ok = false;
		for (size_t i = 0; i < KD_ARRAY_SIZE(known) && !ok; i++)
			ok = it->string && strcasecmp(it->string, known[i]) == 0;
		if (!ok)
			return fail_at(d, key_pos_of(d, it), "health: unknown key \"%s\" (want script, timeout, interval)",
				it->string ? it->string : "");
	}
	if (get_str(d, h, "script", &out->script) || health_duration(d, h, "timeout", &out->timeout_ms, &out->timeout_pos) ||
		health_duration(d, h, "interval", &out->interval_ms, &out->interval_pos))
		return KD_ERROR;
	if (!out->script.str || !out->script.str[0])
		return fail_at(d, out->script.str ? out->script.pos : out->pos, "\"health\" needs a \"script\"");
	return 0;
}

/* kudoc's top-level `leaderElection:` (see kd_pkg_leader_election). */
static int get_leader_election(const dec *d, const cJSON *doc, kd_pkg_leader_election *out)
{
	static const char *const known[] = {"enabledParam", "lockNameParam", "lockNamespaceParam", "lockKindParam",
		"defaultLockSuffix"};
	const cJSON *le = field(doc, "leaderElection"), *it;
	if (!le || cJSON_IsNull(le))
		return 0;
	out->pos = pos_of(d, le);
	if (!cJSON_IsObject(le))
		return type_err(d, le, "leaderElection",
			"a map {enabledParam, lockNameParam, lockNamespaceParam, lockKindParam, defaultLockSuffix}");
	out->declared = true;
	cJSON_ArrayForEach(it, le)
	{
		bool ok = false;
		for (size_t i = 0; i < KD_ARRAY_SIZE(known) && !ok; i++)
			ok = it->string && strcasecmp(it->string, known[i]) == 0;
		if (!ok)
			return fail_at(d, key_pos_of(d, it),
				"leaderElection: unknown key \"%s\" (want enabledParam, lockNameParam, lockNamespaceParam, "
				"lockKindParam, defaultLockSuffix)",
				it->string ? it->string : "");
	}
	kd_pkg_str *params[] = {&out->enabled_param, &out->lock_name_param, &out->lock_namespace_param,
		&out->lock_kind_param};
	for (size_t i = 0; i < KD_ARRAY_SIZE(params); i++) {
		/* parameter names: strings only (a number is no parameter's name) */
		if (str_member(d, le, known[i], params[i], false))
			return KD_ERROR;
		if (params[i]->str && !params[i]->str[0])
			return fail_at(d, params[i]->pos, "leaderElection: \"%s\" names no parameter", known[i]);
	}
	if (str_member(d, le, "defaultLockSuffix", &out->default_lock_suffix, false))
		return KD_ERROR;
	if (!out->lock_name_param.str)
		return fail_at(d, out->pos, "leaderElection needs \"lockNameParam\": the parameter that names the lock");
	return 0;
}

static int strategy(const dec *d, const cJSON *obj, kd_pkg_strategy *out)
{
	kd_pkg_str s = {NULL, {0, 0}};
	int rc = get_str(d, obj, "strategy", &s);
	if (rc)
		return rc;
	if (!s.str || !s.str[0])
		*out = KD_STRATEGY_DEFAULT;
	else if (strcmp(s.str, "serial") == 0)
		*out = KD_STRATEGY_SERIAL;
	else if (strcmp(s.str, "parallel") == 0)
		*out = KD_STRATEGY_PARALLEL;
	else
		rc = fail_at(d, s.pos, "\"strategy\" must be serial or parallel, got \"%s\"", s.str);
	free(s.str);
	return rc;
}

static const struct {
	const char *name;
	kd_pkg_task_kind kind;
} task_kinds[] = {
	{"Apply", KD_TASK_APPLY},
	{"Delete", KD_TASK_DELETE},
	{"Toggle", KD_TASK_TOGGLE},
	{"Pipe", KD_TASK_PIPE},
	{"KudoOperator", KD_TASK_KUDO_OPERATOR},
	{"Dummy", KD_TASK_DUMMY},
};

const char *kd_pkg_task_kind_name(kd_pkg_task_kind kind)
{
	for (size_t i = 0; i < KD_ARRAY_SIZE(task_kinds); i++)
		if (task_kinds[i].kind == kind)
			return task_kinds[i].name;
	return "?";
}

const char *kd_pkg_strategy_name(kd_pkg_strategy s)
{
	return s == KD_STRATEGY_SERIAL ? "serial" : s == KD_STRATEGY_PARALLEL ? "parallel" : "";
}

static const char *const type_names[] = {"string", "integer", "number", "boolean", "array", "map"};

bool kd_pkg_param_needs_value(const kd_pkg_param *p)
{
	return p && p->required && !p->default_value && p->type != KD_PARAM_ARRAY && p->type != KD_PARAM_MAP;
}

const char *kd_param_type_name(kd_param_type t)
{
	return (unsigned)t < KD_ARRAY_SIZE(type_names) ? type_names[t] : "?";
}

static int decode_task(const dec *d, const cJSON *it, kd_pkg_task *t)
{
	const cJSON *spec = NULL, *pipes = NULL, *p;
	t->pos = pos_of(d, it);
	if (get_str(d, it, "name", &t->name) || get_str(d, it, "kind", &t->kind_name) ||
		get_map(d, it, "spec", &spec))
		return KD_ERROR;
	if (!t->name.str || !t->name.str[0])
		return fail_at(d, t->pos, "task without a name");
	size_t k;
	for (k = 0; k < KD_ARRAY_SIZE(task_kinds); k++)
		if (t->kind_name.str && strcmp(t->kind_name.str, task_kinds[k].name) == 0)
			break;
	if (k == KD_ARRAY_SIZE(task_kinds)) {
		if (!t->kind_name.str)
			return fail_at(d, t->pos,
				"task \"%s\" has no kind, expected one of Apply, Delete, Toggle, Pipe, KudoOperator, Dummy",
				t->name.str);
		return fail_at(d, t->kind_name.pos,
			"task \"%s\": unknown kind \"%s\", expected one of Apply, Delete, Toggle, Pipe, KudoOperator, Dummy",
			t->name.str, t->kind_name.str);
	}
	t->kind = task_kinds[k].kind;
	if (get_health(d, it, &t->health))
		return KD_ERROR;
	if (!spec)
		return 0;
	if (get_str_list(d, spec, "resources", &t->resources, &t->nresources, false) ||
		get_spec_str(d, spec, "parameter", &t->parameter) || get_spec_str(d, spec, "pod", &t->pod) ||
		get_list(d, spec, "pipe", &pipes) || get_spec_str(d, spec, "package", &t->package) ||
		get_spec_str(d, spec, "appVersion", &t->app_version) ||
		get_spec_str(d, spec, "operatorVersion", &t->operator_version) ||
		get_spec_str(d, spec, "instanceName", &t->instance_name) ||
		get_spec_str(d, spec, "parameterFile", &t->parameter_file) || get_bool(d, spec, "done", &t->done) ||
		get_bool(d, spec, "wantErr", &t->want_err) || get_bool(d, spec, "fatal", &t->fatal))
		return KD_ERROR;
	if (!pipes)
		return 0;
	t->pipes = kd_calloc((size_t)cJSON_GetArraySize(pipes), sizeof(*t->pipes));
	cJSON_ArrayForEach(p, pipes)
	{
		kd_pkg_pipe *pp = &t->pipes[t->npipes];
		if (item_map(d, p, "pipe", t->npipes))
			return KD_ERROR;
		t->npipes++;
		pp->pos = pos_of(d, p);
		if (get_spec_str(d, p, "file", &pp->file) || get_spec_str(d, p, "kind", &pp->kind) ||
			get_spec_str(d, p, "key", &pp->key))
			return KD_ERROR;
		if (pp->kind.str && strcmp(pp->kind.str, "Secret") != 0 && strcmp(pp->kind.str, "ConfigMap") != 0)
			return fail_at(d, pp->kind.pos, "pipe \"kind\" must be Secret or ConfigMap, got \"%s\"",
				pp->kind.str);
	}
	return 0;
}

static int decode_plan(const dec *d, const cJSON *pv, kd_pkg_plan *pl)
{
	const cJSON *phases = NULL, *ph, *steps, *st;
	pl->name.str = kd_strdup(pv->string);
	pl->name.pos = key_pos_of(d, pv);
	pl->pos = pos_of(d, pv);
	if (cJSON_IsNull(pv))
		return 0;
	if (!cJSON_IsObject(pv)) {
		char what[300];
		snprintf(what, sizeof what, "plan %.200s", pv->string);
		return type_err(d, pv, what, "a map");
	}
	if (strategy(d, pv, &pl->strategy) || get_list(d, pv, "phases", &phases))
		return KD_ERROR;
	if (!phases)
		return 0;
	pl->phases = kd_calloc((size_t)cJSON_GetArraySize(phases), sizeof(*pl->phases));
	cJSON_ArrayForEach(ph, phases)
	{
		kd_pkg_phase *f = &pl->phases[pl->nphases];
		if (item_map(d, ph, "phases", pl->nphases))
			return KD_ERROR;
		pl->nphases++;
		f->pos = pos_of(d, ph);
		if (get_str(d, ph, "name", &f->name) || strategy(d, ph, &f->strategy) ||
			get_list(d, ph, "steps", &steps))
			return KD_ERROR;
		if (!steps)
			continue;
		f->steps = kd_calloc((size_t)cJSON_GetArraySize(steps), sizeof(*f->steps));
		cJSON_ArrayForEach(st, steps)
		{
			kd_pkg_step *s = &f->steps[f->nsteps];
			if (item_map(d, st, "steps", f->nsteps))
				return KD_ERROR;
			f->nsteps++;
			s->pos = pos_of(d, st);
			if (get_str(d, st, "name", &s->name) || get_str_list(d, st, "tasks", &s->tasks, &s->ntasks, true) ||
				get_health(d, st, &s->health))
				return KD_ERROR;
		}
	}
	return 0;
}

/* apiVersion, when given, must be KUDO's (KUDO refuses other versions). */
static int api_version(const dec *d, const cJSON *doc, kd_pkg_str *out)
{
	if (get_str(d, doc, "apiVersion", out))
		return KD_ERROR;
	if (out->str && strcmp(out->str, KD_PKG_API_VERSION) != 0)
		return fail_at(d, out->pos, "\"apiVersion\" must be \"%s\", got \"%s\"", KD_PKG_API_VERSION,
			out->str);
	return 0;
}

static int top_map(const dec *d, const cJSON *doc)
{
	if (cJSON_IsObject(doc))
		return 0;
	if (cJSON_IsNull(doc))
		return fail_at(d, (kd_pkg_pos){0, 0}, "the file is empty, expected a map");
	kd_buf b = KD_BUF_INIT;
	kd_json_describe(&b, doc, true);
	fail_at(d, pos_of(d, doc), "expected a map at the top, got %s", kd_buf_cstr(&b));
	kd_buf_free(&b);
	return KD_ERROR;
}

static int decode_operator(kd_pkg *pkg, const dec *d, const cJSON *doc)
{
	const cJSON *l = NULL, *it, *plans = NULL;
	if (top_map(d, doc) || api_version(d, doc, &pkg->api_version) || get_str(d, doc, "name", &pkg->name) ||
		get_str(d, doc, "description", &pkg->description) ||
		get_str(d, doc, "operatorVersion", &pkg->operator_version) ||
		get_str(d, doc, "appVersion", &pkg->app_version) ||
		get_str(d, doc, "kudoVersion", &pkg->kudo_version) ||
		get_str(d, doc, "kubernetesVersion", &pkg->kubernetes_version) || get_str(d, doc, "url", &pkg->url) ||
		get_str(d, doc, "namespaceManifest", &pkg->namespace_manifest))
		return KD_ERROR;

	if (get_list(d, doc, "maintainers", &l))
		return KD_ERROR;
	if (l) {
		pkg->maintainers = kd_calloc((size_t)cJSON_GetArraySize(l), sizeof(*pkg->maintainers));
		cJSON_ArrayForEach(it, l)
		{
			kd_pkg_maintainer *m = &pkg->maintainers[pkg->nmaintainers];
			if (item_map(d, it, "maintainers", pkg->nmaintainers))
				return KD_ERROR;
			pkg->nmaintainers++;
			m->pos = pos_of(d, it);
			if (get_str(d, it, "name", &m->name) || get_str(d, it, "email", &m->email))
				return KD_ERROR;
		}
	}

	if (get_list(d, doc, "tasks", &l))
		return KD_ERROR;
	if (l) {
		pkg->tasks = kd_calloc((size_t)cJSON_GetArraySize(l), sizeof(*pkg->tasks));
		kd_strmap names = KD_STRMAP_INIT; /* duplicates found by hash: linear in the task count */
		cJSON_ArrayForEach(it, l)
		{
			kd_pkg_task *t = &pkg->tasks[pkg->ntasks];
			if (item_map(d, it, "tasks", pkg->ntasks) || (pkg->ntasks++, decode_task(d, it, t)))
				return kd_strmap_free(&names), KD_ERROR;
			const char *nm = t->name.str ? t->name.str : "";
			const kd_pkg_task *first = kd_strmap_get(&names, nm, strlen(nm));
			if (first) {
				kd_strmap_free(&names);
				return fail_at(d, t->name.pos, "task \"%s\" is defined twice (first at line %d)", t->name.str,
					first->name.pos.line);
			}
			kd_strmap_put(&names, nm, strlen(nm), t);
		}
		kd_strmap_free(&names);
	}

	if (get_leader_election(d, doc, &pkg->leader_election))
		return KD_ERROR;
	if (get_map(d, doc, "plans", &plans))
		return KD_ERROR;
	if (plans) {
		pkg->plans = kd_calloc((size_t)cJSON_GetArraySize(plans), sizeof(*pkg->plans));
		cJSON_ArrayForEach(it, plans)
		{
			kd_pkg_plan *pl = &pkg->plans[pkg->nplans++];
			if (decode_plan(d, it, pl))
				return KD_ERROR;
		}
	}
	return 0;
}

static int decode_param(const dec *d, const cJSON *it, kd_pkg_param *p)
{
	kd_pkg_str type = {NULL, {0, 0}};
	const cJSON *v;
	int rc = KD_ERROR;
	p->pos = pos_of(d, it);
	p->required = true;
	if (get_str(d, it, "name", &p->name) || get_str(d, it, "displayName", &p->display_name) ||
		get_str(d, it, "description", &p->description) || get_str(d, it, "trigger", &p->trigger) ||
		get_str(d, it, "group", &p->group) || get_str(d, it, "hint", &p->hint) ||
		get_str(d, it, "type", &type) || get_bool(d, it, "required", &p->required) ||
		get_bool(d, it, "immutable", &p->immutable) || get_bool(d, it, "advanced", &p->advanced))
		goto done;
	if (!p->name.str || !p->name.str[0]) {
		fail_at(d, p->pos, "parameter without a name");
		goto done;
	}
	p->type = KD_PARAM_STRING;
	if (type.str && type.str[0]) {
		size_t k;
		for (k = 0; k < KD_ARRAY_SIZE(type_names); k++)
			if (strcmp(type.str, type_names[k]) == 0)
				break;
		if (k == KD_ARRAY_SIZE(type_names)) {
			fail_at(d, type.pos,
				"parameter \"%s\": \"type\" must be one of string, integer, number, boolean, array, map, got \"%s\"",
				p->name.str, type.str);
			goto done;
		}
		p->type = (kd_param_type)k;
		p->type_pos = type.pos;
	}
	v = field(it, "default");
	if (v && !cJSON_IsNull(v)) {
		p->default_value = cJSON_Duplicate(v, 1);
		p->default_pos = pos_of(d, v);
	}
	if (get_list(d, it, "enum", &v))
		goto done;
	if (v) {
		p->enum_values = cJSON_Duplicate(v, 1);
		p->enum_pos = pos_of(d, v);
	}
	rc = 0;
done:
	free(type.str);
	return rc;
}

static int decode_params(kd_pkg *pkg, const dec *d, const cJSON *doc)
{
	const cJSON *l = NULL, *it;
	if (cJSON_IsNull(doc))
		return 0; /* an empty params.yaml: no parameters */
	if (top_map(d, doc) || api_version(d, doc, &pkg->params_api_version) ||
		get_list(d, doc, "parameters", &l))
		return KD_ERROR;
	if (l) {
		pkg->params = kd_calloc((size_t)cJSON_GetArraySize(l), sizeof(*pkg->params));
		kd_strmap names = KD_STRMAP_INIT; /* duplicates found by hash: linear in the parameter count */
		cJSON_ArrayForEach(it, l)
		{
			kd_pkg_param *p = &pkg->params[pkg->nparams];
			if (item_map(d, it, "parameters", pkg->nparams) || (pkg->nparams++, decode_param(d, it, p)))
				return kd_strmap_free(&names), KD_ERROR;
			const char *nm = p->name.str ? p->name.str : "";
			const kd_pkg_param *first = kd_strmap_get(&names, nm, strlen(nm));
			if (first) {
				kd_strmap_free(&names);
				return fail_at(d, p->name.pos, "parameter \"%s\" is defined twice (first at line %d)",
					p->name.str, first->name.pos.line);
			}
			kd_strmap_put(&names, nm, strlen(nm), p);
		}
		kd_strmap_free(&names);
	}
	if (get_list(d, doc, "groups", &l))
		return KD_ERROR;
	if (l) {
		pkg->groups = kd_calloc((size_t)cJSON_GetArraySize(l), sizeof(*pkg->groups));
		cJSON_ArrayForEach(it, l)
		{
			kd_pkg_group *g = &pkg->groups[pkg->ngroups];
			if (item_map(d, it, "groups", pkg->ngroups))
				return KD_ERROR;
			pkg->ngroups++;
			g->pos = pos_of(d, it);
			if (get_str(d, it, "name", &g->name) || get_str(d, it, "displayName", &g->display_name) ||
				get_str(d, it, "description", &g->description) || get_int(d, it, "prio", &g->priority))
				return KD_ERROR;
		}
	}
	return 0;
}

/* The first YAML document of `f`: KUDO's yaml.Unmarshal reads the first and ignores any
 * further ones (a trailing "---" is common). */
static int parse_file(cJSON **doc, kd_yaml_pos **pos, const kd_pkg_file *f)
{
	cJSON *all = NULL;
	*doc = NULL;
	if (kd_yaml_parse_all(&all, pos, f->display, f->data, f->len))
		return KD_ERROR;
	*doc = cJSON_GetArraySize(all) > 0 ? cJSON_DetachItemFromArray(all, 0) : cJSON_CreateNull();
	cJSON_Delete(all);
	return 0;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const kd_pkg_file *)a)->path, ((const kd_pkg_file *)b)->path);
}

int kd_pkg__sort_files(kd_pkg *pkg)
{
	if (pkg->nfiles > 1)
		qsort(pkg->files, pkg->nfiles, sizeof(*pkg->files), cmp_file);
	for (size_t i = 1; i < pkg->nfiles; i++)
		if (strcmp(pkg->files[i - 1].path, pkg->files[i].path) == 0)
			return kd_error_set(KD_ERR_PACKAGE, "%s: the package holds %s twice", pkg->source,
				pkg->files[i].path);
	return 0;
}

int kd_pkg__decode(kd_pkg *pkg)
{
	cJSON *doc = NULL;
	kd_yaml_pos *pos = NULL;
	int rc = KD_ERROR;
	const kd_pkg_file *f;
	dec d;

	f = kd_pkg_find_file(pkg, "operator.yaml");
	if (!f) {
		rc = kd_error_set(KD_ERR_PACKAGE, "%s: not an operator package: operator.yaml is missing",
			pkg->source);
		goto done;
	}
	pkg->operator_file = kd_strdup(f->display);
	if (parse_file(&doc, &pos, f))
		goto done;
	d.file = f->display;
	d.pos = pos;
	d.text = f->data;
	d.len = f->len;
	if (decode_operator(pkg, &d, doc))
		goto done;
	cJSON_Delete(doc);
	kd_yaml_pos_free(pos);
	doc = NULL;
	pos = NULL;

	f = kd_pkg_find_file(pkg, "params.yaml");
	if (f) {
		pkg->params_file = kd_strdup(f->display);
		if (parse_file(&doc, &pos, f))
			goto done;
		d.file = f->display;
		d.pos = pos;
		d.text = f->data;
		d.len = f->len;
		if (decode_params(pkg, &d, doc))
			goto done;
	}

	/* Files are sorted by path, so templates come out sorted by name. */
	pkg->templates = kd_calloc(pkg->nfiles, sizeof(*pkg->templates));
	for (size_t i = 0; i < pkg->nfiles; i++) {
		const char *p = pkg->files[i].path;
		size_t n = strlen(p);
		if (strncmp(p, "templates/", 10) != 0 || n <= 10 + 5 || strcmp(p + n - 5, ".yaml") != 0)
			continue;
		pkg->templates[pkg->ntemplates].name = p + 10;
		pkg->templates[pkg->ntemplates].file = &pkg->files[i];
		pkg->ntemplates++;
	}
	/* tasks and parameters by name, the first of a name winning: lookups stay O(1) in plans
	 * with tens of thousands of tasks */
	kd_strmap *ix = kd_calloc(2, sizeof(*ix));
	for (size_t i = pkg->ntasks; i-- > 0;)
		if (pkg->tasks[i].name.str)
			kd_strmap_put(&ix[0], pkg->tasks[i].name.str, strlen(pkg->tasks[i].name.str), &pkg->tasks[i]);
	for (size_t i = pkg->nparams; i-- > 0;)
		if (pkg->params[i].name.str)
			kd_strmap_put(&ix[1], pkg->params[i].name.str, strlen(pkg->params[i].name.str), &pkg->params[i]);
	pkg->index = ix;
	rc = 0;
done:
	cJSON_Delete(doc);
	kd_yaml_pos_free(pos);
	return rc;
}

static void str_free(kd_pkg_str *s)
{
	free(s->str);
}

static void strs_free(kd_pkg_str *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].str);
	free(v);
}

bool kd_pkg_same_files(const kd_pkg *a, const kd_pkg *b)
{
	if (a->nfiles != b->nfiles)
		return false;
	for (size_t i = 0; i < a->nfiles; i++)
		if (strcmp(a->files[i].path, b->files[i].path) != 0 || a->files[i].len != b->files[i].len ||
			memcmp(a->files[i].data, b->files[i].data, a->files[i].len) != 0)
			return false;
	return true;
}

void kd_pkg_free(kd_pkg *pkg)
{
	if (!pkg)
		return;
	if (pkg->index) {
		kd_strmap_free(&((kd_strmap *)pkg->index)[0]);
		kd_strmap_free(&((kd_strmap *)pkg->index)[1]);
		free(pkg->index);
	}
	free(pkg->source);
	free(pkg->operator_file);
	free(pkg->params_file);
	kd_pkg_str *top[] = {&pkg->api_version, &pkg->name, &pkg->description, &pkg->operator_version,
		&pkg->app_version, &pkg->kudo_version, &pkg->kubernetes_version, &pkg->url,
		&pkg->namespace_manifest, &pkg->params_api_version};
	for (size_t i = 0; i < KD_ARRAY_SIZE(top); i++)
		str_free(top[i]);
	for (size_t i = 0; i < pkg->nmaintainers; i++) {
		str_free(&pkg->maintainers[i].name);
		str_free(&pkg->maintainers[i].email);
	}
	free(pkg->maintainers);
	for (size_t i = 0; i < pkg->ntasks; i++) {
		kd_pkg_task *t = &pkg->tasks[i];
		kd_pkg_str *s[] = {&t->name, &t->kind_name, &t->parameter, &t->pod, &t->package,
			&t->app_version, &t->operator_version, &t->instance_name, &t->parameter_file};
		for (size_t j = 0; j < KD_ARRAY_SIZE(s); j++)
			str_free(s[j]);
		str_free(&t->health.script);
		strs_free(t->resources, t->nresources);
		for (size_t j = 0; j < t->npipes; j++) {
			str_free(&t->pipes[j].file);
			str_free(&t->pipes[j].kind);
			str_free(&t->pipes[j].key);
		}
		free(t->pipes);
	}
	free(pkg->tasks);
	for (size_t i = 0; i < pkg->nplans; i++) {
		kd_pkg_plan *pl = &pkg->plans[i];
		str_free(&pl->name);
		for (size_t j = 0; j < pl->nphases; j++) {
			kd_pkg_phase *ph = &pl->phases[j];
			str_free(&ph->name);
			for (size_t k = 0; k < ph->nsteps; k++) {
				str_free(&ph->steps[k].name);
				str_free(&ph->steps[k].health.script);
				strs_free(ph->steps[k].tasks, ph->steps[k].ntasks);
			}
			free(ph->steps);
		}
		free(pl->phases);
	}
	free(pkg->plans);
	kd_pkg_str *le[] = {&pkg->leader_election.enabled_param, &pkg->leader_election.lock_name_param,
		&pkg->leader_election.lock_namespace_param, &pkg->leader_election.lock_kind_param,
		&pkg->leader_election.default_lock_suffix};
	for (size_t i = 0; i < KD_ARRAY_SIZE(le); i++)
		str_free(le[i]);
	for (size_t i = 0; i < pkg->nparams; i++) {
		kd_pkg_param *p = &pkg->params[i];
		kd_pkg_str *s[] = {&p->name, &p->display_name, &p->description, &p->trigger, &p->group, &p->hint};
		for (size_t j = 0; j < KD_ARRAY_SIZE(s); j++)
			str_free(s[j]);
		cJSON_Delete(p->default_value);
		cJSON_Delete(p->enum_values);
	}
	free(pkg->params);
	for (size_t i = 0; i < pkg->ngroups; i++) {
		str_free(&pkg->groups[i].name);
		str_free(&pkg->groups[i].display_name);
		str_free(&pkg->groups[i].description);
	}
	free(pkg->groups);
	for (size_t i = 0; i < pkg->nfiles; i++) {
		free(pkg->files[i].path);
		free(pkg->files[i].display);
		free(pkg->files[i].data);
	}
	free(pkg->files);
	free(pkg->templates);
	free(pkg);
}

const kd_pkg_param *kd_pkg_find_param(const kd_pkg *pkg, const char *name)
{
	if (pkg && name && pkg->index)
		return kd_strmap_get(&((kd_strmap *)pkg->index)[1], name, strlen(name));
	for (size_t i = 0; pkg && name && i < pkg->nparams; i++)
		if (strcmp(pkg->params[i].name.str, name) == 0)
			return &pkg->params[i];
	return NULL;
}

const kd_pkg_task *kd_pkg_find_task(const kd_pkg *pkg, const char *name)
{
	if (pkg && name && pkg->index)
		return kd_strmap_get(&((kd_strmap *)pkg->index)[0], name, strlen(name));
	for (size_t i = 0; pkg && name && i < pkg->ntasks; i++)
		if (strcmp(pkg->tasks[i].name.str, name) == 0)
			return &pkg->tasks[i];
	return NULL;
}

const kd_pkg_plan *kd_pkg_find_plan(const kd_pkg *pkg, const char *name)
{
	for (size_t i = 0; pkg && name && i < pkg->nplans; i++)
		if (strcmp(pkg->plans[i].name.str, name) == 0)
			return &pkg->plans[i];
	return NULL;
}

const kd_pkg_template *kd_pkg_find_template(const kd_pkg *pkg, const char *name)
{
	/* templates are sorted by name (they come from the sorted files) */
	size_t lo = 0, hi = pkg && name ? pkg->ntemplates : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(pkg->templates[mid].name, name);
		if (c == 0)
			return &pkg->templates[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const kd_pkg_file *kd_pkg_find_file(const kd_pkg *pkg, const char *path)
{
	size_t lo = 0, hi = pkg && path ? pkg->nfiles : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(pkg->files[mid].path, path);
		if (c == 0)
			return &pkg->files[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
