/* Lifecycle operations on an instance: install, update, upgrade, rollback, trigger, resume and
 * uninstall. Each reads what it needs, resolves parameters and prepares every object before the
 * first write, then takes the instance's lock, records a revision and runs its plan; once the
 * plan is COMPLETE, objects that earlier revisions applied and this one no longer has are
 * pruned, and old revisions beyond the history limit are dropped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/json.h"
#include "../params/params.h"
#include "../templates/templates.h"
#include "plans.h"
#include "plans_internal.h"

#define DEFAULT_HISTORY 10

/* A KudoOperator task of the plan being run, resolved before the first write. */
typedef struct {
	size_t phase, step, task;
	char *task_name;
	char *instance;
	kd_pkg *pkg;
	char *param_text, *param_name; /* the rendered parameterFile; NULL when none */
	kd_op_param_text param_ptext;  /* the same, as kd_op_options takes it */
} child_spec;

typedef struct {
	const kd_op_options *o;
	kd_kube_client *c; /* this thread's: records, preflight, pruning */
	child_spec *children;
	size_t nchildren;
	const char *ns;
	kd_revision **revs; /* the instance's revisions, oldest first */
	size_t nrevs;
} op_ctx;

static void say(op_ctx *x, const kd_revision *rev, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(op_ctx *x, const kd_revision *rev, const char *fmt, ...)
{
	if (!x->o->observer)
		return;
	kd_buf b = KD_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	kd_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	x->o->observer(x->o->observer_payload, KD_EXEC_EV_LOG, rev, kd_buf_cstr(&b));
	kd_buf_free(&b);
}

static void revs_free(op_ctx *x)
{
	kd_revision_list_free(x->revs, x->nrevs);
	x->revs = NULL;
	x->nrevs = 0;
}

static int ctx_open(op_ctx *x, const kd_op_options *o)
{
	memset(x, 0, sizeof(*x));
	x->o = o;
	kd_kube_client_options co = o->client_options;
	co.discovery_settle_ms = -1; /* preflight: an unserved kind is an answer, not a wait */
	/* This client writes the records: after Ctrl-C it still records where the plan stopped
	 * (a second Ctrl-C ends the process at once). */
	co.cancel = NULL;
	int rc = kd_kube_client_new(&x->c, o->config, &co);
	if (rc)
		return rc;
	x->ns = o->namespace_ && *o->namespace_ ? o->namespace_ : kd_kube_client_namespace(x->c);
	return 0;
}

static void children_free(op_ctx *x)
{
	for (size_t i = 0; i < x->nchildren; i++) {
		child_spec *c = &x->children[i];
		free(c->task_name);
		free(c->instance);
		kd_pkg_free(c->pkg);
		free(c->param_text);
		free(c->param_name);
	}
	free(x->children);
	x->children = NULL;
	x->nchildren = 0;
}

static void ctx_close(op_ctx *x)
{
	children_free(x);
	revs_free(x);
	kd_kube_client_free(x->c);
	x->c = NULL;
}

static int load_revs(op_ctx *x, const char *instance)
{
	revs_free(x);
	return kd_revision_list(&x->revs, &x->nrevs, x->c, x->ns, instance);
}

static kd_revision *latest(op_ctx *x)
{
	return x->nrevs ? x->revs[x->nrevs - 1] : NULL;
}

static bool finished(const kd_revision *r)
{
	return r->status && (r->status->h.state == KD_EXEC_COMPLETE || r->status->h.state == KD_EXEC_FATAL_ERROR);
}

/* uninstall --keep-history left the instance's records: its objects are gone. */
static bool uninstalled(const kd_revision *r)
{
	return r && r->uninstalled_us != 0;
}

/* Update, upgrade, trigger and resume need the instance's objects. */
static int refuse_uninstalled(op_ctx *x, const char *instance)
{
	kd_revision *last = latest(x);
	if (!uninstalled(last))
		return 0;
	return kd_error_set(KD_ERR_PLAN,
		       "instance %s/%s was uninstalled with --keep-history (revision %ld): install it again, or roll "
		       "back to one of its revisions",
		       x->ns, instance, last->number),
	       KD_ENOTFOUND;
}

static bool good(const kd_revision *r)
{
	return r->status && r->status->h.state == KD_EXEC_COMPLETE;
}

/* The newest COMPLETE revision older than `before` (0: any). */
static kd_revision *last_good(op_ctx *x, long before)
{
	for (size_t i = x->nrevs; i-- > 0;)
		if (good(x->revs[i]) && (before == 0 || x->revs[i]->number < before))
			return x->revs[i];
	return NULL;
}

void kd_op_result_clear(kd_op_result *r)
{
	free(r->message);
	free(r->plan);
	memset(r, 0, sizeof(*r));
}

static void result_set(kd_op_result *res, const kd_revision *rev)
{
	free(res->plan);
	res->revision = rev->number;
	res->plan = kd_strdup(rev->plan);
	res->state = rev->status ? rev->status->h.state : KD_EXEC_NEVER_RUN;
}

/* Values the user set: what came from -p, -P or an earlier revision's user values. */
static cJSON *user_values(const kd_params *p, const kd_pkg *pkg)
{
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; i < pkg->nparams; i++) {
		const char *name = pkg->params[i].name.str;
		kd_param_source s = kd_params_source(p, name);
		const cJSON *v = kd_params_get(p, name);
		if (v && (s == KD_PARAM_SRC_FLAG || s == KD_PARAM_SRC_FILE || s == KD_PARAM_SRC_PREVIOUS))
			cJSON_AddItemToObject(o, name, cJSON_Duplicate(v, 1));
	}
	return o;
}

/* defaults <- previous <- -P files <- the in-memory file <- -p */
static int params_of(kd_params **out, const kd_pkg *pkg, const kd_op_options *o, const cJSON *previous)
{
	kd_params *p = NULL;
	int rc = kd_params_new(&p, pkg);
	if (rc)
		return rc;
	if (previous)
		kd_params_add_previous(p, previous);
	for (size_t i = 0; i < o->npfiles; i++)
		kd_params_add_file(p, o->pfiles[i]);
	for (size_t i = 0; i < o->nptexts; i++)
		kd_params_add_file_text(p, o->ptexts[i].name ? o->ptexts[i].name : "parameters", o->ptexts[i].text,
			o->ptexts[i].len);
	for (size_t i = 0; i < o->npflags; i++)
		kd_params_add_flag(p, o->pflags[i]);
	if ((rc = kd_params_finish(p))) {
		kd_params_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

/* The template-form parameters of a recorded revision, resolved again from its package and its
 * user values (the record's "resolved" copy is for people to read: JSON cannot say that an
 * array parameter without a default is Go's nil list, which templates print as []). */
static int params_again(cJSON **out, const kd_pkg *pkg, const cJSON *user)
{
	kd_op_options none = {0};
	kd_params *p = NULL;
	*out = NULL;
	int rc = params_of(&p, pkg, &none, user);
	if (!rc)
		rc = kd_params_to_template(out, p);
	kd_params_free(p);
	return rc;
}

static int resolve(cJSON **user, cJSON **resolved, const kd_pkg *pkg, const kd_op_options *o, const cJSON *previous)
{
	kd_params *p = NULL;
	*user = *resolved = NULL;
	int rc = params_of(&p, pkg, o, previous);
	if (!rc)
		rc = kd_params_to_template(resolved, p);
	if (!rc)
		*user = user_values(p, pkg);
	kd_params_free(p);
	return rc;
}

/* The source recorded in a revision: where the package came from, with this command's -P
 * arguments (or, when it gave none, the ones recorded before). */
static cJSON *record_source(const cJSON *src, const kd_op_options *o)
{
	cJSON *s = src ? cJSON_Duplicate(src, 1) : cJSON_CreateObject();
	if (o->npspecs) {
		cJSON_DeleteItemFromObjectCaseSensitive(s, "parameterFiles");
		cJSON *a = cJSON_AddArrayToObject(s, "parameterFiles");
		for (size_t i = 0; i < o->npspecs; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(o->pspecs[i]));
	}
	return s;
}

static kd_revision *new_revision(op_ctx *x, const kd_pkg *pkg, const char *instance, const char *operation,
	const char *plan)
{
	kd_revision *rev = kd_calloc(1, sizeof(*rev));
	kd_revision *last = latest(x);
	rev->instance = kd_strdup(instance);
	rev->namespace_ = kd_strdup(x->ns);
	rev->number = last ? last->number + 1 : 1;
	rev->operation = kd_strdup(operation);
	rev->operator_name = kd_strdup(pkg->name.str ? pkg->name.str : "");
	rev->operator_version = kd_strdup(pkg->operator_version.str ? pkg->operator_version.str : "");
	rev->app_version = pkg->app_version.str ? kd_strdup(pkg->app_version.str) : NULL;
	rev->plan = kd_strdup(plan);
	rev->created_us = kd_plans__now_us();
	rev->changed = cJSON_CreateArray();
	return rev;
}

/* ---- pruning -------------------------------------------------------------------------------- */

static bool is_child_ref(const char *api_version, const char *kind);
static void child_relay(void *payload, kd_exec_event ev, const kd_revision *rev, const char *line);

static bool in_revision(const kd_revision *rev, const kd_rev_object *o)
{
	for (size_t i = 0; i < rev->nobjects; i++) {
		const kd_rev_object *r = &rev->objects[i];
		if (!r->deleted && strcmp(r->kind, o->kind) == 0 && strcmp(r->name, o->name) == 0 &&
			strcmp(r->namespace_, o->namespace_) == 0) {
			/* the same group: apiVersions may differ in version only */
			const char *a = strchr(r->api_version, '/'), *b = strchr(o->api_version, '/');
			size_t la = a ? (size_t)(a - r->api_version) : 0, lb = b ? (size_t)(b - o->api_version) : 0;
			if (la == lb && strncmp(r->api_version, o->api_version, la) == 0)
				return true;
		}
	}
	return false;
}

bool kd_plans__owned(const cJSON *live, const char *instance, bool *kept)
{
	const cJSON *md = kd_json_get(live, "metadata");
	const char *owner = kd_json_get_str(kd_json_get(md, "labels"), "kudoc.dev/instance");
	const char *keep = kd_json_get_str(kd_json_get(md, "annotations"), "kudoc.dev/keep");
	*kept = keep && strcmp(keep, "true") == 0;
	return owner && strcmp(owner, instance) == 0;
}

static bool is_crd(const kd_rev_object *o)
{
	return strcmp(o->kind, "CustomResourceDefinition") == 0 && strncmp(o->api_version, "apiextensions.k8s.io/", 21) == 0;
}

/* Deletes `o` if it still is ours and not marked to keep; adds it to the wait list. CRDs only
 * with `crds` (uninstall --delete-crds, which also overrides kudoc.dev/keep on them): deleting
 * one deletes every object of its kind in the cluster, whoever made them. */
static int delete_ours(op_ctx *x, const kd_rev_object *o, const char *instance, kd_kube_ref **refs, size_t *n,
	bool crds, bool *kept_out)
{
	*kept_out = false;
	kd_kube_ref ref = {o->api_version, o->kind, *o->namespace_ ? o->namespace_ : NULL, o->name, NULL};
	cJSON *live = NULL;
	if (!crds && is_crd(o)) {
		*kept_out = true;
		return 0;
	}
	if (is_child_ref(o->api_version, o->kind)) {
		/* a child instance: uninstalled with everything it has */
		if (!kd_plans__dns_label(o->name))
			return 0; /* never a valid instance: nothing was made of it */
		kd_op_options co = *x->o;
		co.instance = o->name;
		co.namespace_ = o->namespace_;
		co.observer = child_relay;
		co.observer_payload = x;
		kd_op_result r = {0};
		int rc = kd_op_uninstall(&r, &co);
		kd_op_result_clear(&r);
		if (rc == KD_ENOTFOUND) {
			kd_error_clear();
			rc = 0;
		}
		return rc;
	}
	int rc = kd_kube_get(&live, x->c, &ref);
	if (rc == KD_ENOTFOUND) {
		kd_error_clear();
		return 0;
	}
	if (rc)
		return rc;
	bool kept = false;
	bool ours = kd_plans__owned(live, instance, &kept);
	cJSON_Delete(live);
	if (crds && is_crd(o))
		kept = false; /* asked for by name */
	*kept_out = ours && kept;
	if (!ours || kept)
		return 0;
	if (x->o->dry_run) {
		/* what would be deleted: on the list, not deleted */
		*refs = kd_realloc(*refs, (*n + 1) * sizeof(**refs));
		(*refs)[(*n)++] = ref;
		return 0;
	}
	kd_kube_delete_options d = KD_KUBE_DELETE_OPTIONS_INIT;
	d.propagation_policy = "Background";
	rc = kd_kube_delete(x->c, &ref, &d);
	if (rc == KD_ENOTFOUND) {
		kd_error_clear();
		return 0;
	}
	if (rc)
		return rc;
	*refs = kd_realloc(*refs, (*n + 1) * sizeof(**refs));
	(*refs)[(*n)++] = ref;
	return 0;
}

static int wait_gone(op_ctx *x, kd_kube_ref *refs, size_t n)
{
	if (!n)
		return 0;
	kd_kube_wait_options wo = KD_KUBE_WAIT_OPTIONS_INIT;
	wo.predicate = kd_kube_wait_deleted;
	wo.timeout_ms = x->o->timeout_ms > 0 ? x->o->timeout_ms : 600000;
	return kd_kube_wait(x->c, refs, n, &wo);
}

size_t kd_plans__prune_candidates(const kd_rev_object ***out, kd_revision *const *revs, size_t nrevs,
	const kd_revision *rev)
{
	const kd_rev_object **v = NULL;
	size_t n = 0;
	for (size_t i = nrevs; i-- > 0;) {
		const kd_revision *old = revs[i];
		if (old->number >= rev->number)
			continue;
		for (size_t k = old->nobjects; k-- > 0;) {
			const kd_rev_object *o = &old->objects[k];
			if (o->deleted || o->keep || in_revision(rev, o))
				continue;
			bool dup = false;
			for (size_t j = 0; j < n && !dup; j++)
				dup = strcmp(v[j]->kind, o->kind) == 0 && strcmp(v[j]->name, o->name) == 0 &&
					strcmp(v[j]->namespace_, o->namespace_) == 0;
			if (dup)
				continue;
			v = kd_realloc(v, (n + 1) * sizeof(*v));
			v[n++] = o;
		}
		if (good(old))
			break;
	}
	*out = v;
	return n;
}

/* After `rev` completed: what kd_plans__prune_candidates names, when it still is ours. */
static int prune(op_ctx *x, const kd_revision *rev)
{
	kd_kube_ref *refs = NULL;
	const kd_rev_object **cand = NULL;
	size_t n = 0;
	int rc = 0;
	size_t ncand = kd_plans__prune_candidates(&cand, x->revs, x->nrevs, rev);
	for (size_t k = 0; k < ncand && !rc; k++) {
		const kd_rev_object *o = cand[k];
		size_t before = n;
		bool kept = false;
		rc = delete_ours(x, o, rev->instance, &refs, &n, false, &kept);
		if (kept)
			say(x, rev, "kept %s %s%s%s (%s)", o->kind, o->namespace_, *o->namespace_ ? "/" : "", o->name,
				is_crd(o) ? "CRDs are deleted only by uninstall --delete-crds" : "annotated kudoc.dev/keep");
		if (n > before) {
			say(x, rev, "pruned %s %s%s%s (not in revision %ld)", o->kind, o->namespace_,
				*o->namespace_ ? "/" : "", o->name, rev->number);
		}
	}
	if (!rc)
		rc = wait_gone(x, refs, n);
	free(cand);
	free(refs);
	return rc;
}

/* Keeps the newest history_max revisions, and always the newest good one. */
static int prune_history(op_ctx *x, const kd_revision *current)
{
	int max = x->o->history_max == 0 ? DEFAULT_HISTORY : x->o->history_max;
	if (max < 0)
		return 0;
	if (max < 1)
		max = 1;
	/* x->revs holds the revisions before `current`, and current itself when it was resumed */
	bool listed = false;
	for (size_t i = 0; i < x->nrevs && !listed; i++)
		listed = x->revs[i] == current || x->revs[i]->number == current->number;
	size_t keep = (size_t)max;
	size_t total = x->nrevs + (listed ? 0 : 1);
	if (total <= keep)
		return 0;
	size_t drop = total - keep;
	const kd_revision *lg = good(current) ? current : last_good(x, 0);
	for (size_t i = 0; i < x->nrevs && drop > 0; i++) {
		kd_revision *r = x->revs[i];
		if (r == lg || r == current || r->number == current->number || (lg && r->number == lg->number))
			continue;
		int rc = kd_revision_delete(x->c, r);
		if (rc)
			return rc;
		drop--;
	}
	return 0;
}

/* ---- child instances (KudoOperator tasks) ----------------------------------------------------- */

static bool is_child_ref(const char *api_version, const char *kind)
{
	return strcmp(api_version, "kudoc.dev/v1") == 0 && strcmp(kind, "Instance") == 0;
}

/* The package of a KudoOperator task: a folder of the parent package ("./child", "child"). */
static int child_package(kd_pkg **out, const kd_pkg *parent, const kd_pkg_task *t)
{
	const char *p = t->package.str ? t->package.str : "";
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	size_t len = strlen(p);
	while (len && p[len - 1] == '/')
		len--;
	*out = NULL;
	if (!len || p[0] == '/' || strstr(p, "..") || strncmp(p, "templates", 9) == 0)
		return kd_error_set_at(KD_ERR_PACKAGE, parent->operator_file, t->package.pos.line, t->package.pos.col,
			       "KudoOperator task \"%s\": package \"%s\" must be a folder inside this package (for example "
			       "./%s)",
			       t->name.str, t->package.str ? t->package.str : "", t->package.str ? t->package.str : "child"),
		       KD_EINVALID;
	kd_pkg_input_file *files = kd_calloc(parent->nfiles ? parent->nfiles : 1, sizeof(*files));
	size_t n = 0;
	for (size_t i = 0; i < parent->nfiles; i++) {
		const kd_pkg_file *f = &parent->files[i];
		if (strncmp(f->path, p, len) == 0 && f->path[len] == '/') {
			files[n].path = f->path + len + 1;
			files[n].data = f->data;
			files[n].len = f->len;
			n++;
		}
	}
	int rc;
	if (n == 0) {
		rc = kd_error_set_at(KD_ERR_PACKAGE, parent->operator_file, t->package.pos.line, t->package.pos.col,
			"KudoOperator task \"%s\": the package has no folder \"%.*s\" holding the child operator "
			"(kudoc resolves KudoOperator packages from folders inside the parent package)",
			t->name.str, (int)len, p);
		rc = KD_ENOTFOUND;
	} else {
		kd_buf src = KD_BUF_INIT;
		kd_buf_printf(&src, "%s (%.*s/)", parent->source ? parent->source : "package", (int)len, p);
		rc = kd_pkg_load_files(out, kd_buf_cstr(&src), files, n, NULL);
		kd_buf_free(&src);
	}
	free(files);
	return rc;
}

static int render_param_file(char **out, const kd_pkg *pkg, const kd_revision *rev, const char *name,
	const char *phase, const char *step)
{
	const kd_pkg_template *t = kd_pkg_find_template(pkg, name);
	kd_tpl_set *set = NULL;
	kd_buf b = KD_BUF_INIT;
	*out = NULL;
	if (!t)
		return kd_error_set(KD_ERR_PACKAGE, "%s: parameterFile \"%s\" is not in templates/", pkg->operator_file, name),
		       KD_ENOTFOUND;
	int rc = kd_tpl_parse_path(&set, name, t->file->display, t->file->data, t->file->len);
	if (!rc) {
		cJSON *data =
			kd_plan_template_data(pkg, rev->instance, rev->namespace_, rev->plan, phase, step, rev->params, NULL);
		rc = kd_tpl_execute(&b, set, data);
		cJSON_Delete(data);
	}
	kd_tpl_set_free(set);
	if (!rc)
		rc = kd_buf_check(&b, "the rendered parameter file");
	if (!rc)
		*out = kd_buf_detach(&b);
	kd_buf_free(&b);
	return rc;
}

/* Resolves every KudoOperator task of rev's plan (package, instance name, parameters) and
 * checks the child's parameters, before anything is written; records each child instance as an
 * object of the revision (kudoc.dev/v1 Instance) so pruning and uninstall reach it. */
static int prepare_children(op_ctx *x, const kd_pkg *pkg, kd_revision *rev)
{
	children_free(x);
	const kd_pkg_plan *pl = kd_pkg_find_plan(pkg, rev->plan);
	int rc = 0;
	for (size_t h = 0; pl && h < pl->nphases && !rc; h++)
		for (size_t s = 0; s < pl->phases[h].nsteps && !rc; s++) {
			const kd_pkg_step *st = &pl->phases[h].steps[s];
			for (size_t k = 0; k < st->ntasks && !rc; k++) {
				const kd_pkg_task *t = kd_pkg_find_task(pkg, st->tasks[k].str ? st->tasks[k].str : "");
				if (!t || t->kind != KD_TASK_KUDO_OPERATOR)
					continue;
				child_spec c = {h, s, k, kd_strdup(t->name.str ? t->name.str : ""), NULL, NULL, NULL, NULL, {NULL, NULL, 0}};
				rc = child_package(&c.pkg, pkg, t);
				if (!rc && t->operator_version.str && *t->operator_version.str &&
					strcmp(t->operator_version.str, c.pkg->operator_version.str ? c.pkg->operator_version.str : "") != 0)
					rc = kd_error_set(KD_ERR_PACKAGE,
						"KudoOperator task \"%s\" asks for operatorVersion %s; its package is %s", t->name.str,
						t->operator_version.str, c.pkg->operator_version.str);
				if (!rc && t->app_version.str && *t->app_version.str &&
					strcmp(t->app_version.str, c.pkg->app_version.str ? c.pkg->app_version.str : "") != 0)
					rc = kd_error_set(KD_ERR_PACKAGE, "KudoOperator task \"%s\" asks for appVersion %s; its package is %s",
						t->name.str, t->app_version.str, c.pkg->app_version.str ? c.pkg->app_version.str : "none");
				if (!rc) {
					kd_buf b = KD_BUF_INIT;
					if (t->instance_name.str && *t->instance_name.str)
						kd_buf_puts(&b, t->instance_name.str);
					else
						kd_buf_printf(&b, "%s-%s", rev->instance, c.pkg->name.str ? c.pkg->name.str : "child");
					c.instance = kd_buf_detach(&b);
					if (!kd_plans__dns_label(c.instance))
						rc = kd_error_set_at(KD_ERR_PACKAGE, pkg->operator_file, t->instance_name.pos.line,
							t->instance_name.pos.col,
							"KudoOperator task \"%s\": the child instance name \"%s\" is not a DNS-1123 label "
							"(lower-case letters, digits and '-', at most 63 characters)",
							t->name.str, c.instance);
				}
				if (!rc && t->parameter_file.str && *t->parameter_file.str) {
					rc = render_param_file(&c.param_text, pkg, rev, t->parameter_file.str, pl->phases[h].name.str,
						st->name.str);
					kd_buf pn = KD_BUF_INIT;
					kd_buf_printf(&pn, "templates/%s (rendered)", t->parameter_file.str);
					c.param_name = kd_buf_detach(&pn);
					c.param_ptext = (kd_op_param_text){c.param_name, c.param_text,
						c.param_text ? strlen(c.param_text) : 0};
				}
				if (!rc) {
					/* the child's parameters must resolve now, not halfway through the plan */
					kd_op_options co = {0};
					kd_op_param_text pt = {c.param_name, c.param_text, c.param_text ? strlen(c.param_text) : 0};
					co.ptexts = c.param_text ? &pt : NULL;
					co.nptexts = c.param_text ? 1 : 0;
					kd_params *p = NULL;
					rc = params_of(&p, c.pkg, &co, NULL);
					if (rc)
						kd_error_set(KD_ERR_PARAMS, "KudoOperator task \"%s\" (instance %s): %s", t->name.str,
							c.instance, kd_error_last());
					kd_params_free(p);
				}
				x->children = kd_realloc(x->children, (x->nchildren + 1) * sizeof(*x->children));
				x->children[x->nchildren++] = c;
				if (!rc) {
					/* in apply order: after the objects of earlier steps, before later ones */
					rev->objects = kd_realloc(rev->objects, (rev->nobjects + 1) * sizeof(*rev->objects));
					size_t at = 0;
					while (at < rev->nobjects && (rev->objects[at].phase_index < h ||
									     (rev->objects[at].phase_index == h && rev->objects[at].step_index <= s)))
						at++;
					memmove(&rev->objects[at + 1], &rev->objects[at], (rev->nobjects - at) * sizeof(*rev->objects));
					rev->nobjects++;
					kd_rev_object *ro = &rev->objects[at];
					memset(ro, 0, sizeof(*ro));
					ro->api_version = kd_strdup("kudoc.dev/v1");
					ro->kind = kd_strdup("Instance");
					ro->namespace_ = kd_strdup(rev->namespace_);
					ro->name = kd_strdup(c.instance);
					ro->template_name = kd_strdup(t->name.str ? t->name.str : "");
					ro->phase_index = h;
					ro->step_index = s;
				}
			}
		}
	return rc;
}

static void child_relay(void *payload, kd_exec_event ev, const kd_revision *rev, const char *line)
{
	op_ctx *x = payload;
	if (ev != KD_EXEC_EV_LOG || !line || !x->o->observer)
		return;
	kd_buf b = KD_BUF_INIT;
	kd_buf_printf(&b, "child %s: %s", rev && rev->instance ? rev->instance : "", line);
	x->o->observer(x->o->observer_payload, KD_EXEC_EV_LOG, NULL, kd_buf_cstr(&b));
	kd_buf_free(&b);
}

/* Child runs use a copy of the parent's options, with their own instance and parameters. */
static void child_options(kd_op_options *co, const op_ctx *x, const char *ns, const child_spec *c,
	int64_t deadline_us, const volatile sig_atomic_t *stop)
{
	*co = *x->o;
	co->instance = c->instance;
	co->namespace_ = ns;
	co->pflags = NULL;
	co->npflags = 0;
	co->pfiles = NULL;
	co->npfiles = 0;
	co->ptexts = c->param_text ? &c->param_ptext : NULL;
	co->nptexts = c->param_text ? 1 : 0;
	co->pspecs = NULL;
	co->npspecs = 0;
	co->atomic = false;
	co->force = true; /* the parent decides the child's version, up or down */
	co->create_namespace = false;
	co->history_max = 0;
	co->interrupt = stop;
	co->observer = child_relay;
	co->observer_payload = (void *)x;
	int64_t left = deadline_us - kd_plans__now_us();
	co->timeout_ms = left > 1000 ? (long)(left / 1000) : 1000;
}

static int child_hook(void *payload, const kd_revision *rev, size_t phase, size_t step, size_t task,
	int64_t deadline_us, const volatile sig_atomic_t *stop, kd_buf *err)
{
	op_ctx *x = payload;
	const child_spec *c = NULL;
	for (size_t i = 0; i < x->nchildren; i++)
		if (x->children[i].phase == phase && x->children[i].step == step && x->children[i].task == task)
			c = &x->children[i];
	if (!c)
		return kd_buf_printf(err, "KudoOperator task %zu of step %zu: not prepared", task, step), KD_ERROR;
	kd_op_options co;
	child_options(&co, x, rev->namespace_, c, deadline_us, stop);
	cJSON *src = cJSON_CreateObject();
	cJSON_AddStringToObject(src, "kind", "child");
	cJSON_AddStringToObject(src, "parent", rev->instance);
	co.source = src;
	kd_op_result res = {0};
	/* Its own records tell whether the child exists and at which version. */
	kd_kube_client *c2 = NULL;
	kd_revision *last = NULL;
	int rc = kd_kube_client_new(&c2, x->o->config, &x->o->client_options);
	if (!rc) {
		rc = kd_revision_load(&last, c2, rev->namespace_, c->instance, 0);
		if (rc == KD_ENOTFOUND) {
			kd_error_clear();
			rc = kd_op_install(&res, c->pkg, &co);
		} else if (rc == 0) {
			if (kd_plans__semver_compare(last->operator_version, c->pkg->operator_version.str) != 0)
				rc = kd_op_upgrade(&res, c->pkg, &co);
			else
				rc = kd_op_update(&res, &co);
		}
	}
	if (rc)
		kd_buf_printf(err, "task %s: child instance %s: %s", c->task_name, c->instance,
			kd_error_last() ? kd_error_last() : "failed");
	kd_revision_free(last);
	kd_kube_client_free(c2);
	kd_op_result_clear(&res);
	cJSON_Delete(src);
	return rc;
}

/* ---- running a revision --------------------------------------------------------------------- */

static int ensure_namespace(op_ctx *x, bool create)
{
	kd_kube_ref ref = {"v1", "Namespace", NULL, x->ns, NULL};
	cJSON *got = NULL;
	int rc = kd_kube_get(&got, x->c, &ref);
	cJSON_Delete(got);
	if (rc == 0 || rc == KD_EFORBIDDEN) {
		kd_error_clear();
		return 0; /* there, or we may not look: the first write will tell */
	}
	if (rc != KD_ENOTFOUND)
		return rc;
	if (!create)
		return kd_error_set(KD_ERR_PLAN, "namespace %s does not exist (add --create-namespace to create it)", x->ns),
		       KD_ENOTFOUND;
	cJSON *ns = cJSON_CreateObject();
	cJSON_AddStringToObject(ns, "apiVersion", "v1");
	cJSON_AddStringToObject(ns, "kind", "Namespace");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(ns, "metadata"), "name", x->ns);
	rc = kd_kube_create(NULL, x->c, ns);
	cJSON_Delete(ns);
	if (rc && rc != KD_EEXISTS) {
		/* a create is not retried on a server error: it may have landed all the same */
		cJSON *again = NULL;
		if (kd_kube_get(&again, x->c, &ref) == 0)
			rc = 0;
		cJSON_Delete(again);
	}
	if (rc == KD_EEXISTS)
		rc = 0;
	if (rc == 0)
		kd_error_clear();
	return rc;
}

typedef struct {
	op_ctx *x;
	const kd_pkg *pkg;
} hook_ctx;

static int take_lock(op_ctx *x, const char *instance, kd_plan_lock **lock)
{
	kd_plan_lock_options lo = KD_PLAN_LOCK_OPTIONS_INIT;
	lo.command = x->o->command;
	kd_kube_client_options co = x->o->client_options;
	co.cancel = NULL; /* the lock outlives an interrupted plan long enough to record it */
	return kd_plan_lock_acquire(lock, x->o->config, &co, x->ns, instance, &lo);
}

/* Refuses to go on when another command recorded a revision since we looked. */
static int check_unchanged(op_ctx *x, const char *instance, long expected_latest)
{
	kd_revision *cur = NULL;
	int rc = kd_revision_load(&cur, x->c, x->ns, instance, 0);
	long have = rc == 0 ? cur->number : 0;
	kd_revision_free(cur);
	if (rc && rc != KD_ENOTFOUND)
		return rc;
	kd_error_clear();
	if (have != expected_latest)
		return kd_error_set(KD_ERR_PLAN,
			       "instance %s/%s changed while this command prepared (now at revision %ld): run it again", x->ns,
			       instance, have),
		       KD_ECONFLICT;
	return 0;
}

static int exec_revision(op_ctx *x, kd_revision *rev, const kd_pkg *pkg, kd_exec_plan *plan, bool new_record,
	kd_plan_lock *lock)
{
	kd_exec_options eo = KD_EXEC_OPTIONS_INIT;
	eo.client = x->c;
	eo.config = x->o->config;
	eo.client_options = x->o->client_options;
	eo.timeout_ms = x->o->timeout_ms;
	eo.force_conflicts = x->o->force_conflicts;
	eo.interrupt = x->o->interrupt;
	eo.lock = lock;
	eo.observer = x->o->observer;
	eo.observer_payload = x->o->observer_payload;
	eo.step_hook = x->o->step_hook;
	eo.step_hook_payload = x->o->step_hook_payload;
	eo.child_hook = child_hook;
	eo.child_hook_payload = x;
	if (new_record) {
		kd_revision_set_package(rev, pkg);
		int rc = kd_revision_save(x->c, rev, true);
		if (rc)
			return rc;
	}
	return kd_exec_run(plan, rev, &eo);
}

/* The shared tail of every changing operation: prepare, (dry run), lock, record, run, prune. */
static int run_new(op_ctx *x, kd_op_result *res, kd_revision *rev, const kd_pkg *pkg, bool *ran);

static int rollback_to(op_ctx *x, kd_op_result *res, const kd_revision *target, const char *why);

static int finish_run(op_ctx *x, kd_op_result *res, kd_revision *rev, int rc)
{
	result_set(res, rev);
	if (rc == 0 && rev->operation && strcmp(rev->operation, "cleanup") == 0)
		return 0; /* uninstall deletes everything next, in reverse apply order: nothing to prune */
	if (rc == 0) {
		int prc = prune(x, rev);
		if (!prc)
			prc = prune_history(x, rev);
		if (prc)
			say(x, rev, "warning: revision %ld is COMPLETE, but cleaning up after it failed: %s", rev->number,
				kd_error_last() ? kd_error_last() : "");
		kd_error_clear();
		return 0;
	}
	return rc;
}

static int run_new(op_ctx *x, kd_op_result *res, kd_revision *rev, const kd_pkg *pkg, bool *ran)
{
	kd_exec_plan *plan = NULL;
	kd_plan_lock *lock = NULL;
	long expected = latest(x) ? latest(x)->number : 0;
	*ran = false;
	int rc = kd_exec_prepare(&plan, pkg, rev, x->c);
	if (!rc)
		rc = prepare_children(x, pkg, rev);
	if (rc)
		goto done;
	if (x->o->dry_run) {
		rc = x->o->dry_run_out ? kd_exec_dry_run(x->o->dry_run_out, plan, x->c) : 0;
		for (size_t i = 0; !rc && i < x->nchildren; i++) {
			/* what each child would apply, after its parent's objects */
			kd_op_options co;
			child_options(&co, x, rev->namespace_, &x->children[i], kd_plans__now_us() + 600000000, NULL);
			co.observer = NULL;
			kd_op_result r = {0};
			kd_buf_printf(x->o->dry_run_out, "---\n# child instance %s (%s %s)\n", x->children[i].instance,
				x->children[i].pkg->name.str, x->children[i].pkg->operator_version.str);
			rc = kd_op_install(&r, x->children[i].pkg, &co);
			if (rc == KD_EEXISTS) {
				kd_error_clear();
				rc = kd_op_update(&r, &co);
			}
			kd_op_result_clear(&r);
		}
		result_set(res, rev);
		goto done;
	}
	if ((rc = ensure_namespace(x, x->o->create_namespace && rev->number == 1)))
		goto done;
	if ((rc = take_lock(x, rev->instance, &lock)))
		goto done;
	if ((rc = check_unchanged(x, rev->instance, expected)))
		goto done;
	say(x, rev, "revision %ld: %s of %s %s (plan %s) in namespace %s", rev->number, rev->operation,
		rev->operator_name, rev->operator_version, rev->plan, rev->namespace_);
	*ran = true;
	rc = exec_revision(x, rev, pkg, plan, true, lock);
	rc = finish_run(x, res, rev, rc);
done:
	kd_plan_lock_release(lock);
	kd_exec_plan_free(plan);
	return rc;
}

/* --atomic: after a failed revision, back to the last good one (a failed install is removed). */
static int atomic_recover(op_ctx *x, kd_op_result *res, const kd_revision *failed, int rc)
{
	if (!x->o->atomic || rc == KD_ECANCELED || rc == KD_ELOCKED)
		return rc;
	char *why = kd_strdup(kd_error_last() ? kd_error_last() : "failed");
	/* a failed install (also one over the kept history of an uninstalled instance) is removed;
	 * anything else goes back to the last good revision */
	bool install = failed->operation && strcmp(failed->operation, "install") == 0;
	kd_revision *lg = install ? NULL : last_good(x, failed->number);
	int rrc;
	if (lg) {
		say(x, failed, "--atomic: revision %ld failed (%s); rolling back to revision %ld", failed->number, why,
			lg->number);
		long lgn = lg->number;
		rrc = rollback_to(x, res, lg, why);
		if (rrc == 0) {
			res->rolled_back_to = lgn;
			kd_error_set(KD_ERR_PLAN, "revision %ld failed and was rolled back to revision %ld: %s", failed->number,
				lgn, why);
			rrc = rc == KD_ETIMEOUT ? KD_ETIMEOUT : KD_ERROR;
		}
	} else {
		say(x, failed, "--atomic: the install failed (%s); uninstalling", why);
		kd_op_options o2 = *x->o;
		o2.instance = failed->instance;
		o2.namespace_ = x->ns;
		/* an install over the kept history of an uninstalled instance keeps that history */
		o2.keep_history = false;
		for (size_t i = 0; i < x->nrevs; i++)
			o2.keep_history |= x->revs[i]->number < failed->number;
		kd_op_result r2 = {0};
		rrc = kd_op_uninstall(&r2, &o2);
		kd_op_result_clear(&r2);
		if (rrc == 0) {
			kd_error_set(KD_ERR_PLAN, "the install failed and was removed (--atomic): %s", why);
			rrc = rc == KD_ETIMEOUT ? KD_ETIMEOUT : KD_ERROR;
		}
	}
	free(why);
	return rrc;
}

static int rollback_to(op_ctx *x, kd_op_result *res, const kd_revision *target_c, const char *why)
{
	kd_revision *target = (kd_revision *)target_c;
	kd_pkg *pkg = NULL;
	kd_revision *rev = NULL;
	bool ran = false;
	int rc = kd_revision_package(&pkg, x->c, target);
	if (rc)
		return rc;
	/* `target` may be one of x->revs, which the reload below replaces: copy what we need. */
	char *instance = kd_strdup(target->instance);
	long number = target->number;
	cJSON *source = cJSON_Duplicate(target->source, 1), *user = cJSON_Duplicate(target->user_params, 1),
	      *params = NULL;
	if ((rc = params_again(&params, pkg, user)) || (rc = load_revs(x, instance)))
		goto done;
	rev = new_revision(x, pkg, instance, "rollback", "deploy");
	rev->rollback_of = number;
	rev->source = source;
	rev->user_params = user;
	rev->params = params;
	source = user = params = NULL;
	kd_revision *last = latest(x);
	if (last) {
		/* what the rollback changes, against the revision it replaces */
		cJSON *changed = cJSON_CreateArray();
		/* compared as the records hold them (JSON has no nil list) */
		char *text = cJSON_PrintUnformatted(rev->params);
		cJSON *mine = cJSON_Parse(text);
		free(text);
		const cJSON *v;
		cJSON_ArrayForEach(v, mine)
		{
			const cJSON *old = kd_json_get(last->params, v->string);
			if (!old || !kd_json_equal(old, v))
				cJSON_AddItemToArray(changed, cJSON_CreateString(v->string));
		}
		cJSON_Delete(mine);
		cJSON_Delete(rev->changed);
		rev->changed = changed;
	}
	(void)why;
	rc = run_new(x, res, rev, pkg, &ran);
done:
	cJSON_Delete(source);
	cJSON_Delete(user);
	cJSON_Delete(params);
	free(instance);
	kd_revision_free(rev);
	kd_pkg_free(pkg);
	return rc;
}

/* An unfinished latest revision (a command was killed or interrupted) is resumed before anything
 * else happens to the instance. */
static int resume_latest(op_ctx *x, kd_op_result *res, kd_revision *rev, bool fatal_too)
{
	kd_pkg *pkg = NULL;
	kd_exec_plan *plan = NULL;
	kd_plan_lock *lock = NULL;
	int rc = kd_revision_package(&pkg, x->c, rev);
	if (rc)
		return rc;
	if (fatal_too && rev->status && rev->status->h.state == KD_EXEC_FATAL_ERROR) {
		kd_plan_status *st = rev->status;
		for (size_t h = 0; h < st->nphases; h++) {
			if (st->phases[h].h.state == KD_EXEC_FATAL_ERROR)
				st->phases[h].h.state = KD_EXEC_IN_PROGRESS;
			for (size_t s = 0; s < st->phases[h].nsteps; s++)
				if (st->phases[h].steps[s].h.state == KD_EXEC_FATAL_ERROR)
					st->phases[h].steps[s].h.state = KD_EXEC_PENDING;
		}
	}
	/* the parameters it rendered with, exactly: resolved again from the package and user values */
	cJSON_Delete(rev->params);
	rev->params = NULL;
	if ((rc = params_again(&rev->params, pkg, rev->user_params)))
		goto done;
	if ((rc = kd_exec_prepare(&plan, pkg, rev, x->c)) || (rc = prepare_children(x, pkg, rev)))
		goto done;
	if (x->o->dry_run) {
		rc = x->o->dry_run_out ? kd_exec_dry_run(x->o->dry_run_out, plan, x->c) : 0;
		goto done;
	}
	if ((rc = take_lock(x, rev->instance, &lock)))
		goto done;
	if ((rc = check_unchanged(x, rev->instance, rev->number)))
		goto done;
	const char *from = "its first step";
	for (size_t h = 0; h < rev->status->nphases && !strcmp(from, "its first step"); h++)
		for (size_t s = 0; s < rev->status->phases[h].nsteps; s++)
			if (rev->status->phases[h].steps[s].h.state != KD_EXEC_COMPLETE) {
				from = rev->status->phases[h].steps[s].h.name;
				break;
			}
	say(x, rev, "revision %ld: resuming plan %s of %s %s at step %s", rev->number, rev->plan, rev->operator_name,
		rev->operator_version, from);
	rc = exec_revision(x, rev, pkg, plan, false, lock);
	/* The list holds `rev` itself: pruning compares against the revisions before it. */
	rc = finish_run(x, res, rev, rc);
done:
	kd_plan_lock_release(lock);
	kd_exec_plan_free(plan);
	kd_pkg_free(pkg);
	return rc;
}

static int resume_if_unfinished(op_ctx *x, kd_op_result *res, const char *instance)
{
	kd_revision *last = latest(x);
	if (!last || finished(last))
		return 0;
	int rc = resume_latest(x, res, last, false);
	if (rc)
		return rc;
	return load_revs(x, instance);
}

/* ---- the operations ------------------------------------------------------------------------- */

/* An instance without records: not there, or its install holds the lock and has not written
 * its first record yet. */
static int no_instance(op_ctx *x, const char *instance)
{
	int rc = kd_plan_lock_check(x->c, x->ns, instance);
	if (rc)
		return rc;
	kd_error_set(KD_ERR_PLAN, "instance %s/%s does not exist", x->ns, instance);
	return KD_ENOTFOUND;
}

/* What every operation on an existing instance starts with: a client and the instance's
 * revisions, at least one. *last (when asked for) is the latest, borrowed from x. Close x
 * with ctx_close, whatever this returned. */
static int open_instance(op_ctx *x, const kd_op_options *o, kd_revision **last)
{
	if (last)
		*last = NULL;
	if (!o->instance) {
		memset(x, 0, sizeof(*x));
		return kd_error_set(KD_ERR_USAGE, "--instance is required"), KD_EUSAGE;
	}
	int rc = ctx_open(x, o);
	if (!rc)
		rc = load_revs(x, o->instance);
	if (!rc && !latest(x))
		rc = no_instance(x, o->instance);
	if (!rc && last)
		*last = latest(x);
	return rc;
}

static char *default_instance(const kd_pkg *pkg)
{
	kd_buf b = KD_BUF_INIT;
	kd_buf_printf(&b, "%s-instance", pkg->name.str ? pkg->name.str : "operator");
	return kd_buf_detach(&b);
}

int kd_op_install(kd_op_result *res, const kd_pkg *pkg, const kd_op_options *o)
{
	op_ctx x;
	kd_revision *rev = NULL;
	char *instance = o->instance ? kd_strdup(o->instance) : default_instance(pkg);
	bool ran = false;
	memset(res, 0, sizeof(*res));
	int rc = ctx_open(&x, o);
	if (rc)
		goto done;
	if ((rc = load_revs(&x, instance)))
		goto done;
	if (x.nrevs && !uninstalled(latest(&x))) {
		kd_revision *last = latest(&x);
		if (x.nrevs == 1 && !finished(last)) {
			/* the install itself was interrupted: finish it */
			rc = resume_latest(&x, res, last, false);
			goto done;
		}
		rc = kd_error_set(KD_ERR_PLAN,
			"instance %s already exists in namespace %s (revision %ld, %s %s): use update, upgrade or "
			"uninstall",
			instance, x.ns, last->number, last->operator_name, last->operator_version);
		rc = KD_EEXISTS;
		goto done;
	}
	if (!kd_pkg_find_plan(pkg, "deploy")) {
		rc = kd_error_set(KD_ERR_PACKAGE, "%s: operator %s has no deploy plan", pkg->operator_file, pkg->name.str);
		goto done;
	}
	rev = new_revision(&x, pkg, instance, "install", "deploy");
	rev->source = record_source(o->source, o);
	if ((rc = resolve(&rev->user_params, &rev->params, pkg, o, NULL)))
		goto done;
	cJSON_Delete(rev->changed);
	rev->changed = cJSON_CreateArray();
	rc = run_new(&x, res, rev, pkg, &ran);
	if (rc && ran)
		rc = atomic_recover(&x, res, rev, rc);
done:
	kd_revision_free(rev);
	free(instance);
	ctx_close(&x);
	return rc;
}

/* The earlier user values without the ones o->forget names (a copy; the caller frees it). */
static cJSON *forget_values(const cJSON *user, const kd_op_options *o)
{
	cJSON *v = user ? cJSON_Duplicate(user, 1) : cJSON_CreateObject();
	for (size_t i = 0; i < o->nforget; i++)
		cJSON_DeleteItemFromObjectCaseSensitive(v, o->forget[i]);
	return v;
}

/* Update and upgrade: a new revision over the latest one. */
/* With `pv`, stops before the first write and hands what it resolved over to *pv. */
static int change(kd_op_result *res, const kd_pkg *new_pkg, const kd_op_options *o, bool upgrade, kd_op_preview *pv)
{
	op_ctx x;
	kd_revision *rev = NULL;
	kd_pkg *old_pkg = NULL;
	kd_params *np = NULL;
	cJSON *changed = NULL, *old_params = NULL;
	bool ran = false;
	memset(res, 0, sizeof(*res));
	int rc = open_instance(&x, o, NULL);
	if (rc)
		goto done;
	if ((rc = refuse_uninstalled(&x, o->instance)))
		goto done;
	if (pv)
		pv->unfinished = !finished(latest(&x));
	else if ((rc = resume_if_unfinished(&x, res, o->instance)))
		goto done;
	kd_revision *last = latest(&x);
	if ((rc = kd_revision_package(&old_pkg, x.c, last)))
		goto done;
	if (last->status && last->status->h.state == KD_EXEC_FATAL_ERROR && cJSON_GetArraySize(last->changed) > 0) {
		/* KUDO keeps the values of a failed change; say so, as they may be why the next one fails */
		kd_buf names = KD_BUF_INIT;
		const cJSON *v;
		cJSON_ArrayForEach(v, last->changed)
		if (cJSON_IsString(v))
			kd_buf_printf(&names, "%s%s", names.len ? ", " : "", v->valuestring);
		say(&x, last,
			"note: revision %ld ended in FATAL_ERROR; the values it changed (%s) stay set: give them again with -p, "
			"or roll back",
			last->number, kd_buf_cstr(&names));
		kd_buf_free(&names);
	}
	const kd_pkg *pkg = upgrade ? new_pkg : old_pkg;
	if (pv && upgrade && !o->force && kd_plans__semver_compare(pkg->operator_version.str, last->operator_version) == 0) {
		upgrade = false; /* the installed version: what update would do */
		pkg = old_pkg;
	}
	if (upgrade) {
		if (pkg->name.str && last->operator_name && strcmp(pkg->name.str, last->operator_name) != 0) {
			rc = kd_error_set(KD_ERR_PLAN, "instance %s runs operator %s; the package is operator %s", o->instance,
				last->operator_name, pkg->name.str);
			goto done;
		}
		int cmp = kd_plans__semver_compare(pkg->operator_version.str, last->operator_version);
		if (cmp < 0 && !o->force) {
			rc = kd_error_set(KD_ERR_PLAN,
				"%s %s is older than the installed %s: a downgrade needs --force (or use rollback)",
				pkg->name.str, pkg->operator_version.str, last->operator_version);
			goto done;
		}
		if (cmp == 0 && !o->force) {
			rc = kd_error_set(KD_ERR_PLAN,
				"%s %s is already installed: use update to change parameters, or --force to run the upgrade "
				"again",
				pkg->name.str, last->operator_version);
			goto done;
		}
	}
	cJSON *previous = forget_values(last->user_params, o);
	rc = params_of(&np, pkg, o, previous);
	cJSON_Delete(previous);
	if (rc)
		goto done;
	if ((rc = params_again(&old_params, old_pkg, last->user_params)))
		goto done;
	if ((rc = kd_params_check_immutable(np, old_params)))
		goto done;
	if ((rc = kd_params_changed(&changed, np, old_params)))
		goto done;
	const char *plan = NULL;
	if (upgrade) {
		plan = kd_pkg_find_plan(pkg, "upgrade") ? "upgrade" : kd_pkg_find_plan(pkg, "update") ? "update" : "deploy";
	} else {
		if (cJSON_GetArraySize(changed) == 0 && pv) {
			rc = 0;
			goto preview;
		}
		if (cJSON_GetArraySize(changed) == 0) {
			res->noop = true;
			result_set(res, last);
			say(&x, last, "no parameter changes: instance %s/%s stays at revision %ld", x.ns, o->instance,
				last->number);
			rc = 0;
			goto done;
		}
		if ((rc = kd_params_plan_for_change(&plan, pkg, changed)))
			goto done;
	}
	rev = new_revision(&x, pkg, o->instance, upgrade ? "upgrade" : "update", plan);
	rev->source = record_source(o->source ? o->source : last->source, o);
	rev->user_params = user_values(np, pkg);
	if ((rc = kd_params_to_template(&rev->params, np)))
		goto done;
	cJSON_Delete(rev->changed);
	rev->changed = changed;
	changed = NULL;
	if (pv) {
		pv->next = rev;
		rev = NULL;
		goto preview;
	}
	rc = run_new(&x, res, rev, pkg, &ran);
	if (rc && ran)
		rc = atomic_recover(&x, res, rev, rc);
	goto done;
preview:
	pv->upgrade = upgrade;
	pv->pkg = upgrade ? new_pkg : old_pkg;
	pv->installed = old_pkg;
	old_pkg = NULL;
	pv->revs = x.revs;
	pv->nrevs = x.nrevs;
	x.revs = NULL;
	x.nrevs = 0;
done:
	cJSON_Delete(old_params);
	cJSON_Delete(changed);
	kd_params_free(np);
	kd_revision_free(rev);
	kd_pkg_free(old_pkg);
	ctx_close(&x);
	return rc;
}

int kd_op_update(kd_op_result *res, const kd_op_options *o)
{
	return change(res, NULL, o, false, NULL);
}

int kd_op_upgrade(kd_op_result *res, const kd_pkg *pkg, const kd_op_options *o)
{
	return change(res, pkg, o, true, NULL);
}

int kd_op_preview_new(kd_op_preview *out, const kd_pkg *pkg, const kd_op_options *o)
{
	kd_op_result res = {0};
	memset(out, 0, sizeof(*out));
	int rc = change(&res, pkg, o, pkg != NULL, out);
	kd_op_result_clear(&res);
	if (rc)
		kd_op_preview_clear(out);
	return rc;
}

void kd_op_preview_clear(kd_op_preview *pv)
{
	kd_revision_list_free(pv->revs, pv->nrevs);
	kd_revision_free(pv->next);
	kd_pkg_free(pv->installed);
	memset(pv, 0, sizeof(*pv));
}

int kd_op_rollback(kd_op_result *res, const kd_op_options *o)
{
	op_ctx x;
	memset(res, 0, sizeof(*res));
	int rc = open_instance(&x, o, NULL);
	if (rc)
		goto done;
	kd_revision *last = latest(&x), *target = NULL;
	if (o->revision > 0) {
		for (size_t i = 0; i < x.nrevs; i++)
			if (x.revs[i]->number == o->revision)
				target = x.revs[i];
		if (!target) {
			kd_buf have = KD_BUF_INIT;
			for (size_t i = 0; i < x.nrevs; i++)
				kd_buf_printf(&have, "%s%ld", i ? ", " : "", x.revs[i]->number);
			kd_error_set(KD_ERR_PLAN, "instance %s/%s has no revision %ld (it has %s)", x.ns, o->instance,
				o->revision, kd_buf_cstr(&have));
			kd_buf_free(&have);
			rc = KD_ENOTFOUND;
			goto done;
		}
	} else {
		/* the previous good revision; for an uninstalled instance, what it was when uninstalled */
		target = uninstalled(last) && good(last) ? last : last_good(&x, good(last) ? last->number : 0);
		if (!target) {
			rc = kd_error_set(KD_ERR_PLAN, "instance %s/%s has no earlier good revision to roll back to", x.ns,
				o->instance);
			goto done;
		}
	}
	long target_number = target->number;
	rc = rollback_to(&x, res, target, NULL);
	if (rc == 0)
		res->rolled_back_to = target_number;
done:
	ctx_close(&x);
	return rc;
}

int kd_op_trigger(kd_op_result *res, const kd_op_options *o)
{
	op_ctx x;
	kd_pkg *pkg = NULL;
	kd_revision *rev = NULL;
	bool ran = false;
	memset(res, 0, sizeof(*res));
	if (!o->plan)
		return kd_error_set(KD_ERR_USAGE, "--name is required"), KD_EUSAGE;
	int rc = open_instance(&x, o, NULL);
	if (rc || (rc = refuse_uninstalled(&x, o->instance)))
		goto done;
	if ((rc = resume_if_unfinished(&x, res, o->instance)))
		goto done;
	kd_revision *last = latest(&x);
	if ((rc = kd_revision_package(&pkg, x.c, last)))
		goto done;
	if (!kd_pkg_find_plan(pkg, o->plan)) {
		kd_plan_status *tmp = NULL;
		rc = kd_plan_status_new(&tmp, pkg, o->plan);
		rc = KD_EUSAGE;
		goto done;
	}
	rev = new_revision(&x, pkg, o->instance, "trigger", o->plan);
	rev->source = cJSON_Duplicate(last->source, 1);
	rev->user_params = cJSON_Duplicate(last->user_params, 1);
	if ((rc = params_again(&rev->params, pkg, rev->user_params)))
		goto done;
	rc = run_new(&x, res, rev, pkg, &ran);
	if (rc && ran)
		rc = atomic_recover(&x, res, rev, rc);
done:
	kd_revision_free(rev);
	kd_pkg_free(pkg);
	ctx_close(&x);
	return rc;
}

int kd_op_resume(kd_op_result *res, const kd_op_options *o)
{
	op_ctx x;
	kd_revision *last = NULL;
	memset(res, 0, sizeof(*res));
	int rc = open_instance(&x, o, &last);
	if (rc || (rc = refuse_uninstalled(&x, o->instance)))
		goto done;
	if (good(last)) {
		result_set(res, last);
		res->noop = true;
		say(&x, last, "revision %ld (plan %s) is already COMPLETE: nothing to resume", last->number, last->plan);
		goto done;
	}
	rc = resume_latest(&x, res, last, true);
done:
	ctx_close(&x);
	return rc;
}

int kd_op_uninstall(kd_op_result *res, const kd_op_options *o)
{
	op_ctx x;
	kd_pkg *pkg = NULL;
	kd_plan_lock *lock = NULL;
	kd_kube_ref *refs = NULL;
	size_t nrefs = 0;
	kd_revision *last = NULL;
	memset(res, 0, sizeof(*res));
	int rc = open_instance(&x, o, &last);
	if (rc)
		goto done;
	if ((rc = kd_revision_package(&pkg, x.c, last)))
		goto done;
	if (o->dry_run) {
		say(&x, last, "would uninstall %s/%s (%zu revisions)%s", x.ns, o->instance, x.nrevs,
			kd_pkg_find_plan(pkg, "cleanup") ? ", running its cleanup plan first" : "");
	} else if (kd_pkg_find_plan(pkg, "cleanup")) {
		/* The cleanup plan runs as a revision of its own, then everything goes. */
		kd_revision *rev = new_revision(&x, pkg, o->instance, "cleanup", "cleanup");
		rev->source = cJSON_Duplicate(last->source, 1);
		rev->user_params = cJSON_Duplicate(last->user_params, 1);
		if ((rc = params_again(&rev->params, pkg, rev->user_params))) {
			kd_revision_free(rev);
			goto done;
		}
		bool ran = false;
		kd_op_result r2 = {0};
		kd_op_options o2 = *o;
		o2.history_max = -1;
		x.o = &o2;
		rc = run_new(&x, &r2, rev, pkg, &ran);
		x.o = o;
		kd_op_result_clear(&r2);
		if (rc) {
			kd_error_set(KD_ERR_PLAN, "the cleanup plan failed, nothing else was deleted: %s",
				kd_error_last() ? kd_error_last() : "");
			kd_revision_free(rev);
			goto done;
		}
		kd_revision_free(rev);
		if ((rc = load_revs(&x, o->instance)))
			goto done;
		last = latest(&x); /* the list was loaded again: the cleanup revision is the newest */
	}
	/* (another command may have changed the instance since it was read, or between the cleanup
	 * plan's lock and this one) */
	if (!o->dry_run && ((rc = take_lock(&x, o->instance, &lock)) || (rc = check_unchanged(&x, o->instance, last->number))))
		goto done;
	/* Every object any revision applied, newest revision first and in reverse apply order. One
	 * that cannot be deleted does not stop the others; the records stay until all are gone. */
	char *first_error = NULL;
	for (size_t i = x.nrevs; i-- > 0;) {
		const kd_revision *r = x.revs[i];
		for (size_t k = r->nobjects; k-- > 0;) {
			const kd_rev_object *ob = &r->objects[k];
			/* (kudoc.dev/keep is read from the live object: the user may have removed it) */
			if (ob->deleted)
				continue;
			bool dup = false;
			for (size_t j = 0; j < nrefs && !dup; j++)
				dup = strcmp(refs[j].kind, ob->kind) == 0 && strcmp(refs[j].name, ob->name) == 0 &&
					strcmp(refs[j].namespace_ ? refs[j].namespace_ : "", ob->namespace_) == 0;
			if (dup)
				continue;
			size_t before = nrefs;
			bool kept = false;
			int drc = delete_ours(&x, ob, o->instance, &refs, &nrefs, o->delete_crds, &kept);
			if (kept)
				say(&x, last, "%s %s %s%s%s (%s)", o->dry_run ? "would keep" : "kept", ob->kind, ob->namespace_, *ob->namespace_ ? "/" : "", ob->name,
					is_crd(ob) ? "CRDs are deleted only with --delete-crds" : "annotated kudoc.dev/keep");
			if (nrefs > before)
				say(&x, last, "%s %s %s%s%s", o->dry_run ? "would delete" : "deleted", ob->kind, ob->namespace_,
					*ob->namespace_ ? "/" : "", ob->name);
			if (drc && !first_error) {
				kd_buf b = KD_BUF_INIT;
				kd_buf_printf(&b, "%s %s%s%s: %s", ob->kind, ob->namespace_, *ob->namespace_ ? "/" : "", ob->name,
					kd_error_last() ? kd_error_last() : "cannot be deleted");
				first_error = kd_buf_detach(&b);
				rc = drc;
			}
		}
	}
	if (o->dry_run && !first_error)
		goto done;
	int wrc = o->dry_run ? 0 : wait_gone(&x, refs, nrefs);
	if (first_error) {
		kd_error_set(KD_ERR_PLAN, "uninstall of %s/%s is not complete, its records stay: %s", x.ns, o->instance,
			first_error);
		free(first_error);
		goto done;
	}
	if ((rc = wrc))
		goto done;
	if (!o->keep_history) {
		for (size_t i = 0; i < x.nrevs && !rc; i++)
			rc = kd_revision_delete(x.c, x.revs[i]);
	} else if (last && !uninstalled(last)) {
		/* the records say so: commands that need the objects refuse, install starts again */
		last->uninstalled_us = kd_plans__now_us();
		rc = kd_revision_save(x.c, last, false);
	}
	if (rc)
		goto done;
	kd_plan_lock_release(lock);
	lock = NULL;
	if (!o->keep_history) {
		/* its lock, and the Lease a `sync` of it holds (a sync loop still running loses it) */
		for (int k = 0; k < 2 && !rc; k++) {
			kd_buf ln = KD_BUF_INIT;
			if (k == 0)
				kd_plans__lease_name(&ln, o->instance);
			else
				kd_sync_lease_name(&ln, o->instance);
			kd_kube_ref lref = {"coordination.k8s.io/v1", "Lease", x.ns, kd_buf_cstr(&ln), NULL};
			kd_kube_delete_options d = KD_KUBE_DELETE_OPTIONS_INIT;
			rc = kd_kube_delete(x.c, &lref, &d);
			if (rc == KD_ENOTFOUND) {
				kd_error_clear();
				rc = 0;
			}
			kd_buf_free(&ln);
		}
	}
	result_set(res, last);
	say(&x, last, "instance %s/%s uninstalled%s", x.ns, o->instance, o->keep_history ? " (history kept)" : "");
done:
	free(refs);
	kd_plan_lock_release(lock);
	kd_pkg_free(pkg);
	ctx_close(&x);
	return rc;
}
