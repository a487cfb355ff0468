/* `package verify`: KUDO's package checks plus ours (every plan renders with the defaults). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/json.h"
#include "../base/yaml.h"
#include "../lua/lua.h"
#include "../params/params.h"
#include "../templates/templates.h"
#include "plans.h"
#include "plans_internal.h"

typedef struct {
	kd_verify_result *res;
	const kd_pkg *pkg;
	/* names, hashed once, so that a package with 50,000 tasks or parameters checks in linear time */
	kd_strmap tasks;       /* task name -> task (the first of a name) */
	kd_strmap plan_tasks;  /* task names steps name */
	kd_strmap used_tpls;   /* template names tasks name (resources, pods) */
	kd_strmap params;      /* parameter name -> index + 1 (the first of a name) */
	kd_strmap toggles;     /* parameter names Toggle tasks name */
	kd_strmap groups;      /* group names */
} vctx;

static void put_name(kd_strmap *m, const char *name, void *val)
{
	if (name && !kd_strmap_get(m, name, strlen(name)))
		kd_strmap_put(m, name, strlen(name), val);
}

static bool has_name(const kd_strmap *m, const char *name)
{
	return name && kd_strmap_get(m, name, strlen(name)) != NULL;
}

static void index_names(vctx *v)
{
	const kd_pkg *pkg = v->pkg;
	for (size_t i = 0; i < pkg->ntasks; i++) {
		const kd_pkg_task *t = &pkg->tasks[i];
		put_name(&v->tasks, t->name.str, (void *)t);
		for (size_t r = 0; r < t->nresources; r++)
			put_name(&v->used_tpls, t->resources[r].str, (void *)t);
		if (t->kind == KD_TASK_PIPE)
			put_name(&v->used_tpls, t->pod.str, (void *)t);
		if (t->kind == KD_TASK_KUDO_OPERATOR)
			put_name(&v->used_tpls, t->parameter_file.str, (void *)t);
		if (t->kind == KD_TASK_TOGGLE)
			put_name(&v->toggles, t->parameter.str, (void *)t);
	}
	for (size_t p = 0; p < pkg->nplans; p++)
		for (size_t h = 0; h < pkg->plans[p].nphases; h++)
			for (size_t s = 0; s < pkg->plans[p].phases[h].nsteps; s++) {
				const kd_pkg_step *st = &pkg->plans[p].phases[h].steps[s];
				for (size_t k = 0; k < st->ntasks; k++)
					put_name(&v->plan_tasks, st->tasks[k].str, (void *)st);
			}
	for (size_t i = 0; i < pkg->nparams; i++)
		put_name(&v->params, pkg->params[i].name.str, (void *)(uintptr_t)(i + 1));
	for (size_t g = 0; g < pkg->ngroups; g++)
		put_name(&v->groups, pkg->groups[g].name.str, (void *)&pkg->groups[g]);
}

static void free_names(vctx *v)
{
	kd_strmap *all[] = {&v->tasks, &v->plan_tasks, &v->used_tpls, &v->params, &v->toggles, &v->groups};
	for (size_t i = 0; i < KD_ARRAY_SIZE(all); i++)
		kd_strmap_free(all[i]);
}

static void add(char ***list, size_t *n, const char *file, kd_pkg_pos pos, const char *fmt, va_list ap)
{
	kd_buf b = KD_BUF_INIT;
	if (file)
		kd_buf_put_pos(&b, file, pos.line, pos.col);
	kd_buf_vprintf(&b, fmt, ap);
	if ((*n & (*n - 1)) == 0) /* doubles at every power of two */
		*list = kd_realloc(*list, (*n ? 2 * *n : 4) * sizeof(**list));
	(*list)[(*n)++] = kd_buf_detach(&b);
}

__attribute__((format(printf, 4, 5))) static void err(vctx *v, const char *file, kd_pkg_pos pos, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add(&v->res->errors, &v->res->nerrors, file, pos, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 4, 5))) static void warn(vctx *v, const char *file, kd_pkg_pos pos, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add(&v->res->warnings, &v->res->nwarnings, file, pos, fmt, ap);
	va_end(ap);
}

static const char *s_or(const kd_pkg_str *s, const char *dflt)
{
	return s->str ? s->str : dflt;
}

/* Versions as Masterminds/semver (which KUDO uses) accepts them: an optional "v", one to
 * three numeric parts without leading zeros, then -prerelease and +build. */
static bool is_semver(const char *s)
{
	const char *p = s;
	if (*p == 'v' || *p == 'V')
		p++;
	for (int part = 0; part < 3; part++) {
		if (!isdigit((unsigned char)*p))
			return false;
		if (*p == '0' && isdigit((unsigned char)p[1]))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
		if (*p != '.')
			break;
		if (part == 2)
			return false;
		p++;
	}
	if (*p == '-') {
		p++;
		if (!*p || *p == '+')
			return false;
		while (isalnum((unsigned char)*p) || *p == '-' || *p == '.')
			p++;
	}
	if (*p == '+') {
		p++;
		if (!*p)
			return false;
		while (isalnum((unsigned char)*p) || *p == '-' || *p == '.')
			p++;
	}
	return *p == '\0';
}

static void check_metadata(vctx *v)
{
	const kd_pkg *pkg = v->pkg;
	const char *of = pkg->operator_file;
	if (!pkg->api_version.str)
		err(v, of, pkg->api_version.pos, "apiVersion is missing (want %s)", KD_PKG_API_VERSION);
	else if (strcmp(pkg->api_version.str, KD_PKG_API_VERSION) != 0)
		err(v, of, pkg->api_version.pos, "apiVersion is \"%s\", want %s", pkg->api_version.str, KD_PKG_API_VERSION);
	if (!pkg->name.str || !*pkg->name.str)
		err(v, of, pkg->name.pos, "name is missing");
	if (!pkg->operator_version.str || !*pkg->operator_version.str)
		err(v, of, pkg->operator_version.pos, "operatorVersion is missing");
	else if (!is_semver(pkg->operator_version.str))
		err(v, of, pkg->operator_version.pos, "operatorVersion \"%s\" is not a semantic version",
			pkg->operator_version.str);
	if (pkg->kudo_version.str && *pkg->kudo_version.str && !is_semver(pkg->kudo_version.str))
		err(v, of, pkg->kudo_version.pos, "kudoVersion \"%s\" is not a semantic version", pkg->kudo_version.str);
	if (pkg->kubernetes_version.str && *pkg->kubernetes_version.str && !is_semver(pkg->kubernetes_version.str))
		err(v, of, pkg->kubernetes_version.pos, "kubernetesVersion \"%s\" is not a semantic version",
			pkg->kubernetes_version.str);
}

static void check_plans(vctx *v)
{
	const kd_pkg *pkg = v->pkg;
	const char *of = pkg->operator_file;
	if (!kd_pkg_find_plan(pkg, "deploy"))
		err(v, of, (kd_pkg_pos){0, 0}, "operator has no \"deploy\" plan");
	for (size_t p = 0; p < pkg->nplans; p++) {
		const kd_pkg_plan *pl = &pkg->plans[p];
		if (pl->nphases == 0)
			err(v, of, pl->pos, "plan \"%s\" has no phases", s_or(&pl->name, ""));
		for (size_t h = 0; h < pl->nphases; h++) {
			const kd_pkg_phase *ph = &pl->phases[h];
			if (!ph->name.str || !*ph->name.str)
				err(v, of, ph->pos, "a phase of plan \"%s\" has no name", s_or(&pl->name, ""));
			if (ph->nsteps == 0)
				err(v, of, ph->pos, "phase \"%s\" of plan \"%s\" has no steps", s_or(&ph->name, ""),
					s_or(&pl->name, ""));
			for (size_t s = 0; s < ph->nsteps; s++) {
				const kd_pkg_step *st = &ph->steps[s];
				if (!st->name.str || !*st->name.str)
					err(v, of, st->pos, "a step of phase \"%s\" has no name", s_or(&ph->name, ""));
				for (size_t k = 0; k < st->ntasks; k++) {
					const char *tn = s_or(&st->tasks[k], "");
					if (!has_name(&v->tasks, tn))
						err(v, of, st->tasks[k].pos, "plan \"%s\" step \"%s\" names task \"%s\", which is not defined",
							s_or(&pl->name, ""), s_or(&st->name, ""), tn);
				}
			}
		}
	}
}

static void check_template_ref(vctx *v, const kd_pkg_task *t, const kd_pkg_str *ref, const char *what)
{
	if (!ref->str || !*ref->str)
		err(v, v->pkg->operator_file, ref->pos.line ? ref->pos : t->pos, "task \"%s\" has an empty %s",
			s_or(&t->name, ""), what);
	else if (!kd_pkg_find_template(v->pkg, ref->str))
		err(v, v->pkg->operator_file, ref->pos, "task \"%s\" names template \"%s\", which is not in templates/",
			s_or(&t->name, ""), ref->str);
}

static void check_tasks(vctx *v)
{
	const kd_pkg *pkg = v->pkg;
	const char *of = pkg->operator_file;
	for (size_t i = 0; i < pkg->ntasks; i++) {
		const kd_pkg_task *t = &pkg->tasks[i];
		const char *tn = s_or(&t->name, "");
		if (!*tn)
			err(v, of, t->pos, "a task has no name");
		if (*tn && kd_strmap_get(&v->tasks, tn, strlen(tn)) != t)
			err(v, of, t->name.pos, "task \"%s\" is defined twice", tn);
		switch (t->kind) {
		case KD_TASK_APPLY:
		case KD_TASK_DELETE:
		case KD_TASK_TOGGLE:
			if (t->nresources == 0)
				err(v, of, t->pos, "%s task \"%s\" lists no resources", kd_pkg_task_kind_name(t->kind), tn);
			for (size_t r = 0; r < t->nresources; r++)
				check_template_ref(v, t, &t->resources[r], "resource");
			if (t->kind == KD_TASK_TOGGLE) {
				uintptr_t pi = t->parameter.str ? (uintptr_t)kd_strmap_get(&v->params, t->parameter.str,
										    strlen(t->parameter.str))
								: 0;
				const kd_pkg_param *p = pi ? &pkg->params[pi - 1] : NULL;
				if (!t->parameter.str || !*t->parameter.str)
					err(v, of, t->pos, "Toggle task \"%s\" names no parameter", tn);
				else if (!p)
					err(v, of, t->parameter.pos, "Toggle task \"%s\" names parameter \"%s\", which is not defined", tn,
						t->parameter.str);
				else if (p->type != KD_PARAM_BOOLEAN && p->type != KD_PARAM_STRING)
					err(v, of, t->parameter.pos, "Toggle task \"%s\": parameter \"%s\" is of type %s, want boolean", tn,
						t->parameter.str, kd_param_type_name(p->type));
			}
			break;
		case KD_TASK_PIPE:
			check_template_ref(v, t, &t->pod, "pod");
			if (t->npipes == 0)
				err(v, of, t->pos, "Pipe task \"%s\" lists no pipes", tn);
			for (size_t k = 0; k < t->npipes; k++) {
				const kd_pkg_pipe *pp = &t->pipes[k];
				if (!pp->file.str || !*pp->file.str)
					err(v, of, pp->pos, "Pipe task \"%s\": a pipe has no file", tn);
				if (!pp->key.str || !*pp->key.str)
					err(v, of, pp->pos, "Pipe task \"%s\": a pipe has no key", tn);
				if (!pp->kind.str || (strcmp(pp->kind.str, "Secret") != 0 && strcmp(pp->kind.str, "ConfigMap") != 0))
					err(v, of, pp->kind.pos.line ? pp->kind.pos : pp->pos,
						"Pipe task \"%s\": pipe kind is \"%s\", want Secret or ConfigMap", tn, s_or(&pp->kind, ""));
			}
			break;
		case KD_TASK_KUDO_OPERATOR:
			if (!t->package.str || !*t->package.str)
				err(v, of, t->pos, "KudoOperator task \"%s\" names no package", tn);
			if (t->parameter_file.str && *t->parameter_file.str)
				check_template_ref(v, t, &t->parameter_file, "parameterFile");
			if (t->instance_name.str && *t->instance_name.str && !kd_plans__dns_label(t->instance_name.str))
				err(v, of, t->instance_name.pos,
					"KudoOperator task \"%s\": instanceName \"%s\" is not a DNS-1123 label (lower-case letters, "
					"digits and '-', at most 63 characters; it is not a template)",
					tn, t->instance_name.str);
			break;
		case KD_TASK_DUMMY:
			break;
		}
		if (*tn && !has_name(&v->plan_tasks, tn))
			warn(v, of, t->name.pos, "task \"%s\" is not used by any plan", tn);
	}
	for (size_t i = 0; i < pkg->ntemplates; i++) {
		const char *name = pkg->templates[i].name;
		bool used = (pkg->namespace_manifest.str && strcmp(pkg->namespace_manifest.str, name) == 0) ||
			has_name(&v->used_tpls, name);
		if (!used)
			warn(v, pkg->templates[i].file->display, (kd_pkg_pos){0, 0}, "template is not used by any task");
	}
}

/* ---------------------------------------------------------------------------------------------
 * Health hooks: each names a Lua file of the package, outside templates/, that parses. */

typedef struct {
	const char **paths; /* hook files already checked */
	size_t n;
} hook_seen;

static bool seen_before(hook_seen *hs, const char *path)
{
	for (size_t i = 0; i < hs->n; i++)
		if (strcmp(hs->paths[i], path) == 0)
			return true;
	hs->paths = kd_realloc(hs->paths, (hs->n + 1) * sizeof(*hs->paths));
	hs->paths[hs->n++] = path;
	return false;
}

static bool outside_package(const char *p)
{
	if (p[0] == '/')
		return true;
	for (const char *s = p; s; s = strchr(s, '/') ? strchr(s, '/') + 1 : NULL)
		if (strncmp(s, "..", 2) == 0 && (s[2] == '/' || s[2] == '\0'))
			return true;
	return false;
}

static void check_hook(vctx *v, const kd_pkg_health *h, const char *owner, hook_seen *hs)
{
	const char *of = v->pkg->operator_file, *path = h->script.str;
	if (!path)
		return;
	if (outside_package(path)) {
		err(v, of, h->script.pos, "%s: health hook \"%s\" must be a path inside the package", owner, path);
		return;
	}
	if (strncmp(path, "templates/", 10) == 0) {
		err(v, of, h->script.pos,
			"%s: health hook \"%s\" is under templates/, which holds manifests; put hooks elsewhere (e.g. hooks/)",
			owner, path);
		return;
	}
	const kd_pkg_file *f = kd_pkg_find_file(v->pkg, path);
	if (!f) {
		err(v, of, h->script.pos, "%s names health hook \"%s\", which is not in the package", owner, path);
		return;
	}
	if (seen_before(hs, f->path))
		return;
	if (kd_lua_check(f->path, f->data, f->len) != 0) {
		/* "hooks/x.lua:3: ..." -> "DIR/hooks/x.lua:3: ..." */
		const char *m = kd_error_last() ? kd_error_last() : "";
		size_t n = strlen(f->path);
		if (strncmp(m, f->path, n) == 0)
			err(v, NULL, (kd_pkg_pos){0, 0}, "%s%s", f->display, m + n);
		else
			err(v, f->display, (kd_pkg_pos){0, 0}, "%s", m);
	}
}

static bool hook_named(const kd_pkg *pkg, const char *path)
{
	for (size_t i = 0; i < pkg->ntasks; i++)
		if (pkg->tasks[i].health.script.str && strcmp(pkg->tasks[i].health.script.str, path) == 0)
			return true;
	for (size_t p = 0; p < pkg->nplans; p++)
		for (size_t h = 0; h < pkg->plans[p].nphases; h++)
			for (size_t s = 0; s < pkg->plans[p].phases[h].nsteps; s++) {
				const char *hp = pkg->plans[p].phases[h].steps[s].health.script.str;
				if (hp && strcmp(hp, path) == 0)
					return true;
			}
	return false;
}

static void check_hooks(vctx *v)
{
	const kd_pkg *pkg = v->pkg;
	hook_seen hs = {NULL, 0};
	kd_buf owner = KD_BUF_INIT;
	for (size_t p = 0; p < pkg->nplans; p++)
		for (size_t h = 0; h < pkg->plans[p].nphases; h++)
			for (size_t s = 0; s < pkg->plans[p].phases[h].nsteps; s++) {
				const kd_pkg_step *st = &pkg->plans[p].phases[h].steps[s];
				kd_buf_clear(&owner);
				kd_buf_printf(&owner, "plan \"%s\" step \"%s\"", s_or(&pkg->plans[p].name, ""), s_or(&st->name, ""));
				check_hook(v, &st->health, kd_buf_cstr(&owner), &hs);
			}
	for (size_t i = 0; i < pkg->ntasks; i++) {
		const kd_pkg_task *t = &pkg->tasks[i];
		if (!t->health.script.str)
			continue;
		kd_buf_clear(&owner);
		kd_buf_printf(&owner, "task \"%s\"", s_or(&t->name, ""));
		if (t->kind != KD_TASK_APPLY && t->kind != KD_TASK_TOGGLE) {
			err(v, pkg->operator_file, t->health.pos, "%s is a %s task; health hooks are for Apply and Toggle tasks",
				kd_buf_cstr(&owner), kd_pkg_task_kind_name(t->kind));
			continue;
		}
		check_hook(v, &t->health, kd_buf_cstr(&owner), &hs);
	}
	for (size_t i = 0; i < pkg->nfiles; i++) {
		const kd_pkg_file *f = &pkg->files[i];
		size_t n = strlen(f->path);
		if (n > 4 && strcmp(f->path + n - 4, ".lua") == 0 && !hook_named(pkg, f->path))
			warn(v, f->display, (kd_pkg_pos){0, 0}, "Lua file is not named by any health hook");
	}
	free(hs.paths);
	kd_buf_free(&owner);
}

/* kudoc's `leaderElection:`: every parameter it names exists, with a type its role can use. */
static void check_leader_election(vctx *v)
{
	const kd_pkg *pkg = v->pkg;
	const kd_pkg_leader_election *le = &pkg->leader_election;
	if (!le->declared)
		return;
	const struct {
		const char *key;
		const kd_pkg_str *name;
		bool enabled;
	} roles[] = {
		{"enabledParam", &le->enabled_param, true},
		{"lockNameParam", &le->lock_name_param, false},
		{"lockNamespaceParam", &le->lock_namespace_param, false},
		{"lockKindParam", &le->lock_kind_param, false},
	};
	for (size_t r = 0; r < KD_ARRAY_SIZE(roles); r++) {
		const kd_pkg_str *nm = roles[r].name;
		if (!nm->str)
			continue;
		uintptr_t i = (uintptr_t)kd_strmap_get(&v->params, nm->str, strlen(nm->str));
		if (!i) {
			err(v, pkg->operator_file, nm->pos, "leaderElection: %s names parameter \"%s\", which params.yaml does not define",
				roles[r].key, nm->str);
			continue;
		}
		const kd_pkg_param *p = &pkg->params[i - 1];
		if (roles[r].enabled ? p->type != KD_PARAM_BOOLEAN && p->type != KD_PARAM_STRING : p->type != KD_PARAM_STRING) {
			err(v, pkg->operator_file, nm->pos, "leaderElection: %s parameter \"%s\" is of type %s, want %s", roles[r].key,
				nm->str, kd_param_type_name(p->type), roles[r].enabled ? "boolean (or a string \"true\"/\"false\")" : "string");
			continue;
		}
		if (nm != &le->lock_kind_param)
			continue;
		/* the kind's default and enum values must be kinds verify leader knows */
		kd_kube_lock_kind k;
		if (cJSON_IsString(p->default_value) && kd_lua_lock_kind_parse(&k, p->default_value->valuestring) != 0) {
			kd_error_clear();
			err(v, pkg->params_file, p->default_pos,
				"parameter \"%s\" (leaderElection's lockKindParam): default \"%s\" is not a lock kind (want configmap or lease)",
				nm->str, p->default_value->valuestring);
		}
		const cJSON *e;
		cJSON_ArrayForEach(e, p->enum_values)
		{
			if (cJSON_IsString(e) && kd_lua_lock_kind_parse(&k, e->valuestring) != 0) {
				kd_error_clear();
				err(v, pkg->params_file, p->enum_pos,
					"parameter \"%s\" (leaderElection's lockKindParam): enum value \"%s\" is not a lock kind (want configmap or lease)",
					nm->str, e->valuestring);
			}
		}
	}
	const char *suffix = le->default_lock_suffix.str;
	for (const char *c = suffix; c && *c; c++) {
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '.')) {
			err(v, pkg->operator_file, le->default_lock_suffix.pos,
				"leaderElection: defaultLockSuffix \"%s\" may hold only lower-case letters, digits, '-' and '.' (it ends a lock's name)",
				suffix);
			break;
		}
	}
}

/* Parameters used by templates, gathered by walking their field chains. */
typedef struct {
	vctx *v;
	const kd_pkg_template *tpl;
	bool *used; /* per parameter */
} field_ctx;

static int on_field(const char *chain, int line, int col, void *ud)
{
	field_ctx *fc = ud;
	if (strncmp(chain, "Params.", 7) != 0)
		return 0;
	const char *name = chain + 7;
	size_t n = strcspn(name, ".");
	uintptr_t i = (uintptr_t)kd_strmap_get(&fc->v->params, name, n);
	if (i) {
		fc->used[i - 1] = true;
		return 0;
	}
	err(fc->v, fc->tpl->file->display, (kd_pkg_pos){line, col}, "parameter \"%.*s\" is used but not defined in params.yaml",
		(int)n, name);
	return 0;
}

static void check_params_and_templates(vctx *v)
{
	const kd_pkg *pkg = v->pkg;
	const char *pf = pkg->params_file ? pkg->params_file : "params.yaml";
	bool *used = kd_calloc(pkg->nparams + 1, sizeof(bool));
	kd_strmap lower = KD_STRMAP_INIT; /* lower-cased parameter name -> index + 1 */
	char **lcnames = kd_calloc(pkg->nparams + 1, sizeof(char *));

	for (size_t i = 0; i < pkg->ntemplates; i++) {
		const kd_pkg_template *t = &pkg->templates[i];
		kd_tpl_set *set = NULL;
		if (kd_tpl_parse_path(&set, t->name, t->file->display, t->file->data, t->file->len)) {
			err(v, NULL, (kd_pkg_pos){0, 0}, "%s", kd_error_last());
			continue;
		}
		field_ctx fc = {v, t, used};
		kd_tpl_walk_fields(set, on_field, &fc);
		kd_tpl_set_free(set);
	}
	for (size_t i = 0; i < pkg->nparams; i++) {
		const kd_pkg_param *p = &pkg->params[i];
		const char *pn = s_or(&p->name, "");
		if (!*pn) {
			err(v, pf, p->pos, "a parameter has no name");
			continue;
		}
		if (strpbrk(pn, ":,") || strchr(pn, ' '))
			err(v, pf, p->name.pos, "parameter name \"%s\" contains a character KUDO does not allow (':', ',' or space)", pn);
		/* KUDO compares names without case: the first of a lower-cased name is the one kept */
		kd_buf lc = KD_BUF_INIT;
		for (const char *c = pn; *c; c++)
			kd_buf_putc(&lc, (char)tolower((unsigned char)*c));
		uintptr_t first = (uintptr_t)kd_strmap_get(&lower, kd_buf_cstr(&lc), lc.len);
		if (first)
			err(v, pf, p->name.pos, "parameter \"%s\" is defined twice (also as \"%s\")", pn,
				pkg->params[first - 1].name.str);
		else {
			lcnames[i] = kd_buf_detach(&lc);
			kd_strmap_put(&lower, lcnames[i], strlen(lcnames[i]), (void *)(uintptr_t)(i + 1));
		}
		kd_buf_free(&lc);
		if (p->trigger.str && *p->trigger.str && !kd_pkg_find_plan(pkg, p->trigger.str))
			err(v, pf, p->trigger.pos, "parameter \"%s\" triggers plan \"%s\", which is not defined", pn, p->trigger.str);
		if (p->immutable && kd_pkg_param_needs_value(p))
			err(v, pf, p->pos, "parameter \"%s\" is immutable and required but has no default", pn);
		bool toggled = has_name(&v->toggles, pn);
		if (!used[i] && !toggled)
			warn(v, pf, p->name.pos, "parameter \"%s\" is defined but not used", pn);
		if (p->group.str && *p->group.str) {
			if (!has_name(&v->groups, p->group.str) && pkg->ngroups > 0)
				warn(v, pf, p->group.pos, "parameter \"%s\" is in group \"%s\", which groups: does not define", pn,
					p->group.str);
		}
	}
	/* Defaults against their type and enum: params/ owns those rules and names each one. */
	cJSON *defaults = NULL;
	if (kd_plan_default_params(&defaults, pkg)) {
		/* params/ reports every problem, one a line: one finding each. */
		const char *m = kd_error_last() ? kd_error_last() : "invalid parameter defaults";
		while (*m) {
			size_t n = strcspn(m, "\n");
			if (n)
				err(v, NULL, (kd_pkg_pos){0, 0}, "%.*s", (int)n, m);
			m += n + (m[n] == '\n');
		}
	}
	cJSON_Delete(defaults);
	free(used);
	kd_strmap_free(&lower);
	for (size_t i = 0; i < pkg->nparams; i++)
		free(lcnames[i]);
	free(lcnames);
}

static int collect_doc(const char *text, size_t len, int line, void *ud)
{
	cJSON *obj = NULL;
	if (kd_yaml_parse_one_at(&obj, NULL, "namespaceManifest (rendered)", text, len, line))
		return KD_ERROR;
	if (cJSON_IsNull(obj)) /* only comments */
		cJSON_Delete(obj);
	else
		cJSON_AddItemToArray(ud, obj);
	return 0;
}

static void check_renders(vctx *v)
{
	const kd_pkg *pkg = v->pkg;
	cJSON *params = NULL;
	if (kd_plan_default_params(&params, pkg))
		return; /* reported by check_params_and_templates */
	for (size_t p = 0; p < pkg->nplans; p++) {
		kd_render_result *res = NULL;
		kd_render_options o = KD_RENDER_OPTIONS_INIT;
		o.plan = pkg->plans[p].name.str;
		o.params = params;
		if (!o.plan)
			continue;
		if (kd_plan_render(&res, pkg, &o))
			err(v, NULL, (kd_pkg_pos){0, 0}, "plan \"%s\" does not render with the default parameters: %s", o.plan,
				kd_error_last());
		kd_render_result_free(res);
	}
	/* namespaceManifest: a template that renders to exactly one Namespace. */
	const char *nm = pkg->namespace_manifest.str;
	if (nm && *nm) {
		const kd_pkg_template *t = kd_pkg_find_template(pkg, nm);
		kd_tpl_set *set = NULL;
		kd_buf out = KD_BUF_INIT;
		if (!t) {
			err(v, pkg->operator_file, pkg->namespace_manifest.pos,
				"namespaceManifest names template \"%s\", which is not in templates/", nm);
		} else if (kd_tpl_parse(&set, nm, t->file->data, t->file->len) == 0) {
			cJSON *data = kd_plan_template_data(pkg, "verify-instance", "verify-namespace", "deploy", "", "", params, NULL);
			if (kd_tpl_execute(&out, set, data) == 0) {
				cJSON *docs = cJSON_CreateArray();
				if (kd_plan_split_documents(kd_buf_cstr(&out), out.len, collect_doc, docs)) {
					err(v, NULL, (kd_pkg_pos){0, 0}, "%s", kd_error_last());
				} else if (cJSON_GetArraySize(docs) != 1 ||
					!kd_json_get_str(cJSON_GetArrayItem(docs, 0), "kind") ||
					strcmp(kd_json_get_str(cJSON_GetArrayItem(docs, 0), "kind"), "Namespace") != 0) {
					err(v, pkg->operator_file, pkg->namespace_manifest.pos,
						"namespaceManifest \"%s\" must render to exactly one Namespace object", nm);
				}
				cJSON_Delete(docs);
			} else {
				err(v, NULL, (kd_pkg_pos){0, 0}, "%s", kd_error_last());
			}
			cJSON_Delete(data);
		}
		kd_tpl_set_free(set);
		kd_buf_free(&out);
	}
	cJSON_Delete(params);
}

int kd_plan_default_params(cJSON **out, const kd_pkg *pkg)
{
	kd_params *p = NULL;
	int rc;
	*out = NULL;
	if ((rc = kd_params_new(&p, pkg)) != 0)
		return rc;
	/* A required parameter without a default gets a value of its type, so templates render. */
	for (size_t i = 0; i < pkg->nparams; i++) {
		const kd_pkg_param *d = &pkg->params[i];
		if (!d->name.str || kd_params_get(p, d->name.str) || !kd_pkg_param_needs_value(d))
			continue;
		const char *ph = "placeholder";
		switch (d->type) {
		case KD_PARAM_INTEGER:
		case KD_PARAM_NUMBER:
			ph = "1";
			break;
		case KD_PARAM_BOOLEAN:
			ph = "false";
			break;
		case KD_PARAM_ARRAY:
			ph = "[]";
			break;
		case KD_PARAM_MAP:
			ph = "{}";
			break;
		case KD_PARAM_STRING:
			if (d->enum_values && cJSON_IsString(cJSON_GetArrayItem(d->enum_values, 0)))
				ph = cJSON_GetArrayItem(d->enum_values, 0)->valuestring;
			break;
		}
		kd_buf f = KD_BUF_INIT;
		kd_buf_printf(&f, "%s=%s", d->name.str, ph);
		kd_params_add_flag(p, kd_buf_cstr(&f));
		kd_buf_free(&f);
	}
	if ((rc = kd_params_finish(p)) == 0)
		rc = kd_params_to_template(out, p);
	kd_params_free(p);
	return rc;
}

int kd_package_verify(kd_verify_result **out, const kd_pkg *pkg)
{
	vctx v = {kd_calloc(1, sizeof(kd_verify_result)), pkg, KD_STRMAP_INIT, KD_STRMAP_INIT, KD_STRMAP_INIT,
		KD_STRMAP_INIT, KD_STRMAP_INIT, KD_STRMAP_INIT};
	index_names(&v);
	check_metadata(&v);
	check_plans(&v);
	check_tasks(&v);
	check_hooks(&v);
	check_leader_election(&v);
	check_params_and_templates(&v);
	if (v.res->nerrors == 0)
		check_renders(&v); /* rendering a package with broken references only repeats them */
	free_names(&v);
	*out = v.res;
	return 0;
}

void kd_verify_result_free(kd_verify_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; i < res->nerrors; i++)
		free(res->errors[i]);
	for (size_t i = 0; i < res->nwarnings; i++)
		free(res->warnings[i]);
	free(res->errors);
	free(res->warnings);
	free(res);
}
