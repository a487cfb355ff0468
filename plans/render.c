/* Rendering a plan offline: which templates a plan applies, with which template data, and the
 * objects they produce. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/json.h"
#include "../base/strconv.h"
#include "../base/yaml.h"
#include "../kube/kube.h"
#include "../templates/templates.h"
#include "plans.h"
#include "plans_internal.h"

cJSON *kd_plan_template_data(const kd_pkg *pkg, const char *instance, const char *namespace, const char *plan,
	const char *phase, const char *step, const cJSON *params, const cJSON *pipes)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "Name", instance);
	cJSON_AddStringToObject(d, "Namespace", namespace);
	cJSON_AddStringToObject(d, "OperatorName", pkg->name.str ? pkg->name.str : "");
	cJSON_AddStringToObject(d, "OperatorVersion", pkg->operator_version.str ? pkg->operator_version.str : "");
	cJSON_AddStringToObject(d, "AppVersion", pkg->app_version.str ? pkg->app_version.str : "");
	cJSON_AddStringToObject(d, "PlanName", plan ? plan : "");
	cJSON_AddStringToObject(d, "PhaseName", phase ? phase : "");
	cJSON_AddStringToObject(d, "StepName", step ? step : "");
	cJSON_AddItemToObject(d, "Params", params ? cJSON_Duplicate(params, 1) : cJSON_CreateObject());
	cJSON_AddItemToObject(d, "Pipes", pipes ? cJSON_Duplicate(pipes, 1) : cJSON_CreateObject());
	return d;
}

/* Appends one part of a pipe artifact name as KUDO writes it: lower-cased, everything but
 * [a-z0-9] removed. */
static void put_sanitized(kd_buf *b, const char *s)
{
	for (; s && *s; s++) {
		char c = (char)tolower((unsigned char)*s);
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			kd_buf_putc(b, c);
	}
}

int kd_plans__pipes(cJSON **out, const kd_pkg *pkg, const char *instance, const kd_pkg_plan *pl)
{
	/* KUDO's .Pipes: for every Pipe task of the plan being run, key ->
	 * <instance>.<plan>.<phase>.<step>.<task>.<key>, each part sanitized. */
	cJSON *pipes = cJSON_CreateObject();
	kd_strmap keys = KD_STRMAP_INIT;
	*out = NULL;
	for (size_t h = 0; h < pl->nphases; h++) {
		const kd_pkg_phase *ph = &pl->phases[h];
		for (size_t s = 0; s < ph->nsteps; s++) {
			const kd_pkg_step *st = &ph->steps[s];
			for (size_t k = 0; k < st->ntasks; k++) {
				const kd_pkg_task *t = kd_pkg_find_task(pkg, st->tasks[k].str ? st->tasks[k].str : "");
				if (!t || t->kind != KD_TASK_PIPE)
					continue;
				for (size_t i = 0; i < t->npipes; i++) {
					const char *key = t->pipes[i].key.str ? t->pipes[i].key.str : "";
					if (kd_strmap_put(&keys, key, strlen(key), (void *)key)) {
						kd_json_delete(pipes);
						kd_strmap_free(&keys);
						return kd_error_set_at(KD_ERR_PACKAGE, pkg->operator_file, t->pipes[i].pos.line,
							t->pipes[i].pos.col, "plan \"%s\" has the pipe key \"%s\" twice", pl->name.str, key);
					}
					const char *parts[] = {instance, pl->name.str, ph->name.str, st->name.str, t->name.str, key};
					kd_buf b = KD_BUF_INIT;
					for (size_t p = 0; p < KD_ARRAY_SIZE(parts); p++) {
						if (p)
							kd_buf_putc(&b, '.');
						put_sanitized(&b, parts[p]);
					}
					cJSON_AddStringToObject(pipes, key, kd_buf_cstr(&b));
					kd_buf_free(&b);
				}
			}
		}
	}
	kd_strmap_free(&keys);
	*out = pipes;
	return 0;
}

/* Advances (*pos, *line) to `to`, counting the lines of the text passed over (kd_text_pos on
 * just that piece keeps the whole split linear). */
static void advance(const char *text, size_t *pos, int *line, size_t to)
{
	int l;
	kd_text_pos(text + *pos, to - *pos, to - *pos, &l, NULL);
	*line += l - 1;
	*pos = to;
}

int kd_plan_split_documents(const char *text, size_t len, kd_doc_cb cb, void *ud)
{
	/* KUDO splits on "\n---". Each piece after the first starts with the rest of the
	 * separator's line; we drop it (and a leading "---" line of the first piece), then leading
	 * blank lines, so the document text and its start line are what a reader sees. */
	size_t pos = 0, start = 0;
	int line = 1;
	bool first = true;
	while (start <= len) {
		const char *sep = NULL;
		for (size_t i = start; i + 3 < len; i++) {
			if (text[i] == '\n' && text[i + 1] == '-' && text[i + 2] == '-' && text[i + 3] == '-') {
				sep = text + i;
				break;
			}
		}
		size_t end = sep ? (size_t)(sep - text) : len;
		size_t s = start;
		if (!first || (len - start >= 3 && strncmp(text + start, "---", 3) == 0)) {
			while (s < end && text[s] != '\n')
				s++;
			if (s < end)
				s++;
		}
		for (;;) { /* blank lines */
			size_t j = s;
			while (j < end && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r'))
				j++;
			if (j < end && text[j] == '\n')
				s = j + 1;
			else
				break;
		}
		/* Empty, or only comments and white space: dropped. */
		bool content = false;
		for (size_t i = s; i < end && !content;) {
			size_t j = i;
			while (j < end && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r'))
				j++;
			if (j < end && text[j] != '\n' && text[j] != '#')
				content = true;
			while (j < end && text[j] != '\n')
				j++;
			i = j + 1;
		}
		if (content) {
			size_t e = end;
			while (e > s && isspace((unsigned char)text[e - 1]))
				e--;
			advance(text, &pos, &line, s);
			int rc = cb(text + s, e - s, line, ud);
			if (rc)
				return rc;
		}
		if (!sep)
			break;
		start = end + 1; /* at the "---" */
		first = false;
	}
	return 0;
}

typedef struct {
	kd_render_result *res;
	const char *tname;
	const char *display;
	const char *phase, *step, *task;
	kd_render_action action;
	size_t phase_index, step_index, task_index;
} doc_ctx;

/* The line of metadata.<field> in the document: parsed again with positions, only on the error
 * path, so a render that passes pays nothing for it. */
static int field_line(const char *text, size_t len, int line, const char *field)
{
	cJSON *obj = NULL;
	kd_yaml_pos *pos = NULL;
	int l = line, col = 0;
	if (kd_yaml_parse_one_at(&obj, &pos, "", text, len, line) == 0) {
		const cJSON *v = kd_json_get(kd_json_get(obj, "metadata"), field);
		if (v && kd_yaml_pos_get(pos, v, &l, &col) != 0)
			l = line;
	}
	kd_error_clear();
	cJSON_Delete(obj);
	kd_yaml_pos_free(pos);
	return l;
}

/* metadata.name, generateName and namespace by Kubernetes' own rules for the kind
 * (kube/names.c), so a name the API server would refuse stops `template` and a plan before
 * anything is printed or applied. */
static int check_names(const cJSON *o, const char *display, const char *text, size_t len, int line)
{
	const char *av = kd_json_get_str(o, "apiVersion"), *kind = kd_json_get_str(o, "kind");
	const cJSON *md = kd_json_get(o, "metadata");
	const char *name = kd_json_get_str(md, "name"), *gen = kd_json_get_str(md, "generateName");
	const cJSON *ns = kd_json_get(md, "namespace");
	char why[1024];
	if (name && *name) {
		if (kd_kube_check_name(why, sizeof(why), av, kind, name, false))
			return kd_error_set_at(KD_ERR_PLAN, display, field_line(text, len, line, "name"), 0, "%s", why);
	} else if (gen && *gen && kd_kube_check_name(why, sizeof(why), av, kind, gen, true)) {
		return kd_error_set_at(KD_ERR_PLAN, display, field_line(text, len, line, "generateName"), 0, "%s", why);
	}
	if (ns && !cJSON_IsNull(ns) && !cJSON_IsString(ns))
		return kd_error_set_at(KD_ERR_PLAN, display, field_line(text, len, line, "namespace"), 0,
			"%s metadata.namespace must be a string", kind);
	if (cJSON_IsString(ns) && *ns->valuestring && kd_kube_check_namespace(why, sizeof(why), ns->valuestring))
		return kd_error_set_at(KD_ERR_PLAN, display, field_line(text, len, line, "namespace"), 0, "%s %s", kind, why);
	return 0;
}

static int check_object(const cJSON *o, const char *display, int line)
{
	if (!cJSON_IsObject(o))
		return kd_error_set_at(KD_ERR_PLAN, display, line, 0,
			"rendered document is not a Kubernetes object (a mapping with apiVersion, kind and metadata)");
	const char *av = kd_json_get_str(o, "apiVersion"), *kind = kd_json_get_str(o, "kind");
	if (!av || !*av)
		return kd_error_set_at(KD_ERR_PLAN, display, line, 0, "rendered object has no apiVersion");
	if (!kind || !*kind)
		return kd_error_set_at(KD_ERR_PLAN, display, line, 0, "rendered object has no kind");
	const cJSON *md = kd_json_get(o, "metadata");
	const char *name = kd_json_get_str(md, "name"), *gen = kd_json_get_str(md, "generateName");
	if ((!name || !*name) && (!gen || !*gen))
		return kd_error_set_at(KD_ERR_PLAN, display, line, 0, "rendered %s has no metadata.name", kind);
	return 0;
}

static int on_doc(const char *text, size_t len, int line, void *ud)
{
	doc_ctx *c = ud;
	cJSON *obj = NULL;
	if (kd_yaml_parse_one_at(&obj, NULL, c->display, text, len, line))
		return KD_ERROR;
	if (cJSON_IsNull(obj)) {
		kd_json_delete(obj);
		return 0;
	}
	if (check_object(obj, c->display, line) || check_names(obj, c->display, text, len, line)) {
		kd_json_delete(obj);
		return KD_ERROR;
	}
	kd_render_result *r = c->res;
	/* the array doubles whenever its length reaches a power of two */
	if ((r->ndocs & (r->ndocs - 1)) == 0)
		r->docs = kd_realloc(r->docs, (r->ndocs ? 2 * r->ndocs : 4) * sizeof(*r->docs));
	kd_rendered *d = &r->docs[r->ndocs++];
	d->template_name = kd_strdup(c->tname);
	d->text = kd_strndup(text, len);
	d->object = obj;
	d->phase = kd_strdup(c->phase);
	d->step = kd_strdup(c->step);
	d->task = kd_strdup(c->task);
	d->line = line;
	d->action = c->action;
	d->phase_index = c->phase_index;
	d->step_index = c->step_index;
	d->task_index = c->task_index;
	return 0;
}

/* Parsed templates, kept for the length of one render: a template used by several steps is
 * parsed once, and freed after its last use. */
typedef struct {
	const char *name;
	kd_tpl_set *set;
	int uses_left; /* references left in the plan */
} tpl_cache_entry;

typedef struct {
	tpl_cache_entry *e;
	size_t n, cap;
	kd_strmap byname; /* name -> index + 1 in e */
	const kd_pkg *pkg;
	const kd_pkg_plan *plan;
	size_t rendered; /* bytes of output so far, for MAX_RENDERED */
} tpl_cache;

/* All the templates a plan renders, counted once: how often Apply and Toggle tasks name each. */
static void count_uses(tpl_cache *c)
{
	const kd_pkg_plan *pl = c->plan;
	for (size_t h = 0; h < pl->nphases; h++)
		for (size_t s = 0; s < pl->phases[h].nsteps; s++) {
			const kd_pkg_step *st = &pl->phases[h].steps[s];
			for (size_t k = 0; k < st->ntasks; k++) {
				const kd_pkg_task *t = kd_pkg_find_task(c->pkg, st->tasks[k].str);
				if (!t || (t->kind != KD_TASK_APPLY && t->kind != KD_TASK_TOGGLE && t->kind != KD_TASK_DELETE))
					continue;
				for (size_t r = 0; r < t->nresources; r++) {
					const char *name = t->resources[r].str;
					if (!name)
						continue;
					uintptr_t i = (uintptr_t)kd_strmap_get(&c->byname, name, strlen(name));
					if (!i) {
						if (c->n == c->cap) {
							c->cap = c->cap ? c->cap * 2 : 16;
							c->e = kd_realloc(c->e, c->cap * sizeof(*c->e));
						}
						c->e[c->n] = (tpl_cache_entry){name, NULL, 0};
						i = ++c->n;
						kd_strmap_put(&c->byname, name, strlen(name), (void *)i);
					}
					c->e[i - 1].uses_left++;
				}
			}
		}
}

static int get_template(tpl_cache_entry **out, tpl_cache *cache, const kd_pkg *pkg, const char *name,
	const char *task)
{
	uintptr_t i = (uintptr_t)kd_strmap_get(&cache->byname, name, strlen(name));
	tpl_cache_entry *ce = i ? &cache->e[i - 1] : NULL;
	if (ce && ce->set) {
		*out = ce;
		return 0;
	}
	const kd_pkg_template *t = kd_pkg_find_template(pkg, name);
	if (!t || !ce)
		return kd_error_set(KD_ERR_PACKAGE, "%s: task \"%s\" names template \"%s\", which is not in templates/",
			pkg->operator_file, task, name),
		       KD_ENOTFOUND;
	if (kd_tpl_parse_path(&ce->set, name, t->file->display, t->file->data, t->file->len))
		return KD_ERROR;
	*out = ce;
	return 0;
}

static void cache_free(tpl_cache *c)
{
	for (size_t i = 0; i < c->n; i++)
		kd_tpl_set_free(c->e[i].set);
	free(c->e);
	kd_strmap_free(&c->byname);
}

/* The bytes of output one render may produce, all templates of the plan together: a template
 * applied by many tasks is rendered each time, and every document is kept until the end. */
#define MAX_RENDERED ((size_t)256 << 20)
size_t kd_plans__max_rendered = MAX_RENDERED;

static int render_resource(doc_ctx *dc, tpl_cache *cache, const kd_pkg *pkg, const char *name, cJSON *data)
{
	tpl_cache_entry *ce = NULL;
	kd_buf out = KD_BUF_INIT;
	int rc = get_template(&ce, cache, pkg, name, dc->task);
	if (rc)
		return rc;
	out.max = cache->rendered < kd_plans__max_rendered ? kd_plans__max_rendered - cache->rendered : 0;
	if (out.max == 0)
		out.max = 1; /* 0 would mean the default cap */
	rc = kd_tpl_execute(&out, ce->set, data);
	if (--ce->uses_left <= 0) {
		kd_tpl_set_free(ce->set);
		ce->set = NULL;
	}
	if (rc && out.err) {
		kd_error_set(KD_ERR_PLAN, "the templates of plan \"%s\" render more than %zu bytes together: %s",
			cache->plan->name.str ? cache->plan->name.str : "", kd_plans__max_rendered, kd_error_last());
		rc = KD_ELIMIT;
	}
	if (rc == 0) {
		cache->rendered += out.len;
		const kd_pkg_template *t = kd_pkg_find_template(pkg, name);
		kd_buf display = KD_BUF_INIT;
		kd_buf_printf(&display, "%s (rendered)", t->file->display);
		dc->tname = name;
		dc->display = kd_buf_cstr(&display);
		rc = kd_plan_split_documents(kd_buf_cstr(&out), out.len, on_doc, dc);
		kd_buf_free(&display);
	}
	kd_buf_free(&out);
	return rc;
}

/* KUDO's task data: a map of its own for every task (.Name, .Namespace, .PlanName, ...), its
 * .Params and .Pipes the plan's shared ones (workflow.ActivePlan's Params map is handed to
 * every task of the pass, so `set .Params` in one template is seen by the templates after it,
 * in the same task and in later ones). The shared trees are attached for the task and taken
 * back after it; they are pinned, so a template that replaces or removes them does not free
 * them. */
static cJSON *task_data(const kd_pkg *pkg, const char *instance, const char *namespace, const char *plan,
	const char *phase, const char *step, cJSON *params, cJSON *pipes)
{
	cJSON *d = kd_plan_template_data(pkg, instance, namespace, plan, phase, step, NULL, NULL);
	kd_json_delete(cJSON_DetachItemFromObjectCaseSensitive(d, "Params"));
	kd_json_delete(cJSON_DetachItemFromObjectCaseSensitive(d, "Pipes"));
	cJSON_AddItemToObject(d, "Params", params);
	cJSON_AddItemToObject(d, "Pipes", pipes);
	return d;
}

static void task_data_free(cJSON *d, cJSON *params, cJSON *pipes)
{
	const cJSON *shared[] = {params, pipes};
	for (size_t i = 0; i < KD_ARRAY_SIZE(shared); i++)
		for (cJSON *c = d->child; c; c = c->next)
			if (c == shared[i]) {
				cJSON_DetachItemViaPointer(d, c);
				break;
			}
	kd_json_delete(d);
}

int kd_plans__toggle_value(bool *on, const kd_pkg *pkg, const kd_pkg_task *t, const cJSON *params)
{
	const char *pn = t->parameter.str;
	if (!pn || !*pn)
		return kd_error_set_at(KD_ERR_PACKAGE, pkg->operator_file, t->pos.line, t->pos.col,
			"Toggle task \"%s\" names no parameter", t->name.str ? t->name.str : "");
	const cJSON *v = kd_json_get(params, pn);
	if (!v)
		return kd_error_set_at(KD_ERR_PACKAGE, pkg->operator_file, t->parameter.pos.line, t->parameter.pos.col,
			"Toggle task \"%s\" names parameter \"%s\", which is not defined", t->name.str ? t->name.str : "", pn);
	if (cJSON_IsBool(v)) {
		*on = cJSON_IsTrue(v);
		return 0;
	}
	/* KUDO's Toggle task reads the value with strconv.ParseBool */
	if (!cJSON_IsString(v) || kd_go_parse_bool(v->valuestring, on))
		return kd_error_set(KD_ERR_PARAMS, "Toggle task \"%s\": parameter \"%s\" is \"%s\", which is not a boolean",
			t->name.str ? t->name.str : "", pn, cJSON_IsString(v) ? v->valuestring : "(not a string)"),
		       KD_EINVALID;
	return 0;
}

int kd_plan_render(kd_render_result **out, const kd_pkg *pkg, const kd_render_options *opts)
{
	kd_render_result *res = kd_calloc(1, sizeof(*res));
	tpl_cache cache = {NULL, 0, 0, KD_STRMAP_INIT, pkg, NULL, 0};
	cJSON *pipes = NULL, *params = NULL;
	int rc = KD_ERROR;
	const char *plan_name = opts && opts->plan ? opts->plan : "deploy";

	*out = NULL;
	if (opts && opts->params) {
		if ((rc = kd_json_dup(&params, opts->params, NULL)) != 0)
			goto done;
	} else {
		params = cJSON_CreateObject();
	}
	params->type |= KD_JSON_PINNED;
	if (opts && opts->instance) {
		res->instance = kd_strdup(opts->instance);
	} else {
		kd_buf b = KD_BUF_INIT;
		kd_buf_printf(&b, "%s-instance", pkg->name.str ? pkg->name.str : "operator");
		res->instance = kd_buf_detach(&b);
	}
	res->namespace = kd_strdup(opts && opts->namespace ? opts->namespace : "default");
	res->plan = kd_strdup(plan_name);

	const kd_pkg_plan *plan = kd_pkg_find_plan(pkg, plan_name);
	if (!plan) {
		kd_buf names = KD_BUF_INIT;
		for (size_t i = 0; i < pkg->nplans; i++)
			kd_buf_printf(&names, "%s%s", i ? ", " : "", pkg->plans[i].name.str);
		kd_error_set(KD_ERR_USAGE, "%s: operator has no plan \"%s\" (plans: %s)", pkg->operator_file, plan_name,
			kd_buf_cstr(&names));
		kd_buf_free(&names);
		rc = KD_ENOTFOUND;
		goto done;
	}
	cache.plan = plan;
	count_uses(&cache);
	if ((rc = kd_plans__pipes(&pipes, pkg, res->instance, plan)) != 0)
		goto done;
	pipes->type |= KD_JSON_PINNED;
	for (size_t h = 0; h < plan->nphases; h++) {
		const kd_pkg_phase *ph = &plan->phases[h];
		for (size_t s = 0; s < ph->nsteps; s++) {
			const kd_pkg_step *st = &ph->steps[s];
			for (size_t k = 0; k < st->ntasks; k++) {
				const char *tn = st->tasks[k].str ? st->tasks[k].str : "";
				const kd_pkg_task *t = kd_pkg_find_task(pkg, tn);
				if (!t) {
					kd_error_set_at(KD_ERR_PACKAGE, pkg->operator_file, st->tasks[k].pos.line, st->tasks[k].pos.col,
						"step \"%s\" names task \"%s\", which is not defined", st->name.str ? st->name.str : "", tn);
					rc = KD_ENOTFOUND;
					goto done;
				}
				bool apply = t->kind == KD_TASK_APPLY;
				bool del = t->kind == KD_TASK_DELETE;
				if (t->kind == KD_TASK_TOGGLE && (rc = kd_plans__toggle_value(&apply, pkg, t, params)) != 0)
					goto done;
				if (t->kind == KD_TASK_TOGGLE && !apply)
					del = true;
				if (!apply && !(del && opts && opts->with_deletes))
					continue;
				doc_ctx dc = {res, NULL, NULL, ph->name.str ? ph->name.str : "", st->name.str ? st->name.str : "",
					tn, apply ? KD_RENDER_APPLY : KD_RENDER_DELETE, h, s, k};
				cJSON *data = task_data(pkg, res->instance, res->namespace, plan_name, ph->name.str, st->name.str,
					params, pipes);
				for (size_t r = 0; r < t->nresources && rc == 0; r++)
					rc = render_resource(&dc, &cache, pkg, t->resources[r].str ? t->resources[r].str : "", data);
				task_data_free(data, params, pipes);
				if (rc)
					goto done;
			}
		}
	}
	*out = res;
	res = NULL;
	rc = 0;
done:
	cache_free(&cache);
	kd_json_delete(pipes);
	kd_json_delete(params);
	kd_render_result_free(res);
	return rc;
}

void kd_render_result_free(kd_render_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; i < res->ndocs; i++) {
		kd_rendered *d = &res->docs[i];
		free(d->template_name);
		free(d->text);
		kd_json_delete(d->object);
		free(d->phase);
		free(d->step);
		free(d->task);
	}
	free(res->docs);
	free(res->instance);
	free(res->namespace);
	free(res->plan);
	free(res);
}

int kd_render_result_print(kd_buf *out, const kd_render_result *res)
{
	/* the documents' text is copied, not formatted: vsnprintf's %s is ~36 instructions a byte,
	 * an eighth of rendering a package with 400 KB of CRDs */
	for (size_t i = 0; i < res->ndocs && !out->err; i++) {
		kd_buf_printf(out, "---\n# Source: templates/%s\n", res->docs[i].template_name);
		kd_buf_puts(out, res->docs[i].text);
		kd_buf_putc(out, '\n');
	}
	return kd_buf_check(out, "the rendered output");
}
