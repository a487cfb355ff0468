/* The plan executor: prepares every object of a plan before the first write (render, labels,
 * REST mapping against what the server serves), then runs phases and steps as KUDO does —
 * serial or parallel at plan and phase level, all tasks of a step together — with one worker
 * thread and one API client per running step. Every status change is written to the revision
 * record by the main thread, so a crash leaves a record the next command resumes from. */
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../base/json.h"
#include "../base/yaml.h"
#include "../lua/lua.h"
#include "../params/params.h"
#include "plans.h"
#include "plans_internal.h"

#define DEFAULT_TIMEOUT_MS (10L * 60 * 1000)
#define MAX_WORKERS 16

/* ---- prepared objects ----------------------------------------------------------------------- */

typedef struct {
	cJSON *obj;           /* enhanced: labels, namespace */
	kd_render_action action;
	size_t phase, step, task;
	char *template_name;
	int line;
	bool namespaced;
	bool provided_by_plan; /* its kind comes from a CRD of this plan */
	bool is_crd, is_namespace;
	bool generated;        /* metadata.generateName without a name: created, not applied */
	char *gen_key;         /* label value finding a generated object again on resume */
} prep_obj;

struct kd_exec_plan {
	const kd_pkg *pkg;
	const kd_pkg_plan *plan;
	prep_obj *objs;
	size_t nobjs;
	char *instance, *namespace_;
	long revision;
	char *digest;
};

const char *kd_plans__label_managed = "app.kubernetes.io/managed-by";

static void set_label(cJSON *labels, const char *k, const char *v)
{
	cJSON *old = kd_json_get(labels, k);
	if (old)
		cJSON_ReplaceItemInObjectCaseSensitive(labels, k, cJSON_CreateString(v));
	else
		cJSON_AddStringToObject(labels, k, v);
}

static cJSON *ensure_object(cJSON *parent, const char *key)
{
	cJSON *o = kd_json_get(parent, key);
	if (cJSON_IsObject(o))
		return o;
	if (o)
		cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
	return cJSON_AddObjectToObject(parent, key);
}

static void label_meta(cJSON *meta, const kd_exec_plan *p)
{
	cJSON *l = ensure_object(meta, "labels");
	set_label(l, "app.kubernetes.io/managed-by", "kudoc");
	set_label(l, "kudoc.dev/instance", p->instance);
	set_label(l, "kudoc.dev/operator", p->pkg->name.str ? p->pkg->name.str : "");
}

/* The pod template of a workload, or NULL. */
static cJSON *pod_template(cJSON *obj)
{
	const char *kind = kd_json_get_str(obj, "kind");
	if (!kind)
		return NULL;
	static const char *const wl[] = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job",
		"ReplicationController"};
	for (size_t i = 0; i < KD_ARRAY_SIZE(wl); i++)
		if (strcmp(kind, wl[i]) == 0)
			return kd_json_path(obj, "spec", "template", NULL);
	if (strcmp(kind, "CronJob") == 0)
		return kd_json_path(obj, "spec", "jobTemplate", "spec", "template", NULL);
	return NULL;
}

void kd_plans__enhance(cJSON *obj, const kd_exec_plan *p)
{
	char rev[32];
	cJSON *meta = ensure_object(obj, "metadata");
	label_meta(meta, p);
	snprintf(rev, sizeof(rev), "%ld", p->revision);
	set_label(ensure_object(meta, "annotations"), "kudoc.dev/revision", rev);
	cJSON *tpl = pod_template(obj);
	if (cJSON_IsObject(tpl))
		label_meta(ensure_object(tpl, "metadata"), p);
}

static bool group_kind_eq(const char *api_version, const char *kind, const char *group, const char *k2)
{
	const char *slash = strchr(api_version, '/');
	size_t gl = slash ? (size_t)(slash - api_version) : 0;
	return strcmp(kind, k2) == 0 && strlen(group) == gl && strncmp(api_version, group, gl) == 0;
}

/* Whether a CRD among the plan's objects serves apiVersion/kind; *namespaced from its scope. */
static bool crd_provides(const kd_exec_plan *p, const char *api_version, const char *kind, bool *namespaced)
{
	const char *slash = strchr(api_version, '/');
	const char *version = slash ? slash + 1 : api_version;
	for (size_t i = 0; i < p->nobjs; i++) {
		const cJSON *o = p->objs[i].obj;
		if (!p->objs[i].is_crd || p->objs[i].action != KD_RENDER_APPLY)
			continue;
		const cJSON *spec = kd_json_get(o, "spec");
		const char *group = kd_json_get_str(spec, "group");
		const char *k = kd_json_get_str(kd_json_get(spec, "names"), "kind");
		if (!group || !k || !group_kind_eq(api_version, kind, group, k))
			continue;
		const cJSON *v;
		cJSON_ArrayForEach(v, kd_json_get(spec, "versions"))
		{
			const char *vn = kd_json_get_str(v, "name");
			if (vn && strcmp(vn, version) == 0) {
				const char *scope = kd_json_get_str(spec, "scope");
				*namespaced = !scope || strcmp(scope, "Cluster") != 0;
				return true;
			}
		}
	}
	return false;
}

/* What the server serves of `group` instead, for the message of an unserved apiVersion. */
static void served_instead(kd_buf *out, kd_kube_client *c, const char *api_version, const char *kind)
{
	const char *slash = strchr(api_version, '/');
	kd_buf path = KD_BUF_INIT;
	kd_kube_request_options rq = KD_KUBE_REQUEST_OPTIONS_INIT;
	kd_kube_response r = KD_KUBE_RESPONSE_INIT;
	cJSON *j = NULL;
	bool found = false;
	if (!slash) {
		kd_buf_puts(out, "; the core group serves only v1");
		return;
	}
	kd_buf_puts(&path, "/apis/");
	char *group = kd_strndup(api_version, (size_t)(slash - api_version));
	for (const char *g = group; *g; g++)
		if (!((*g >= 'a' && *g <= 'z') || (*g >= '0' && *g <= '9') || *g == '.' || *g == '-')) {
			free(group);
			kd_buf_free(&path);
			return; /* not a group name: nothing to ask */
		}
	kd_buf_puts(&path, group);
	rq.path = kd_buf_cstr(&path);
	if (kd_kube_request(&r, c, &rq) == 0 && r.status == 200 && (j = cJSON_Parse(r.body))) {
		const cJSON *v;
		cJSON_ArrayForEach(v, kd_json_get(j, "versions"))
		{
			const char *gv = kd_json_get_str(v, "groupVersion");
			if (!gv || strcmp(gv, api_version) == 0)
				continue;
			kd_kube_mapping m = KD_KUBE_MAPPING_INIT;
			if (kd_kube_mapping_get(&m, c, gv, kind) == 0) {
				kd_buf_printf(out, "%s %s %s", found ? "," : "; the server serves", kind, gv);
				found = true;
			}
			kd_kube_mapping_clear(&m);
		}
		if (!found) {
			kd_buf_printf(out, "; the server serves group %s as", group);
			bool first = true;
			cJSON_ArrayForEach(v, kd_json_get(j, "versions"))
			{
				const char *gv = kd_json_get_str(v, "groupVersion");
				if (gv)
					kd_buf_printf(out, "%s %s", first ? "" : ",", gv);
				first = false;
			}
			kd_buf_printf(out, ", without kind %s", kind);
		}
	} else {
		kd_buf_printf(out, "; the server does not serve the group %s at all", group);
	}
	kd_error_clear();
	cJSON_Delete(j);
	kd_kube_response_clear(&r);
	kd_buf_free(&path);
	free(group);
}

static int digest_hex(char **out, const kd_exec_plan *p)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	for (size_t i = 0; i < p->nobjs; i++) {
		if (p->objs[i].action != KD_RENDER_APPLY)
			continue;
		/* Without the revision annotation: the same objects give the same digest. */
		cJSON *c = cJSON_Duplicate(p->objs[i].obj, 1);
		cJSON_DeleteItemFromObjectCaseSensitive(kd_json_path(c, "metadata", "annotations", NULL), "kudoc.dev/revision");
		char *t = cJSON_PrintUnformatted(c);
		EVP_DigestUpdate(ctx, t, strlen(t) + 1);
		free(t);
		cJSON_Delete(c);
	}
	EVP_DigestFinal_ex(ctx, h, &n);
	EVP_MD_CTX_free(ctx);
	kd_buf b = KD_BUF_INIT;
	for (unsigned int i = 0; i < n; i++)
		kd_buf_printf(&b, "%02x", h[i]);
	*out = kd_buf_detach(&b);
	return 0;
}

void kd_exec_plan_free(kd_exec_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nobjs; i++) {
		cJSON_Delete(p->objs[i].obj);
		free(p->objs[i].template_name);
		free(p->objs[i].gen_key);
	}
	free(p->objs);
	free(p->instance);
	free(p->namespace_);
	free(p->digest);
	free(p);
}

static int refuse_unsupported(const kd_pkg *pkg, const kd_pkg_plan *pl)
{
	for (size_t h = 0; h < pl->nphases; h++)
		for (size_t s = 0; s < pl->phases[h].nsteps; s++) {
			const kd_pkg_step *st = &pl->phases[h].steps[s];
			for (size_t k = 0; k < st->ntasks; k++) {
				const kd_pkg_task *t = kd_pkg_find_task(pkg, st->tasks[k].str ? st->tasks[k].str : "");
				if (t && t->kind == KD_TASK_PIPE)
					return kd_error_set_at(KD_ERR_PLAN, pkg->operator_file, t->pos.line, t->pos.col,
						"plan \"%s\" uses the Pipe task \"%s\": kudoc does not run Pipe tasks yet, so nothing was "
						"applied",
						pl->name.str, t->name.str ? t->name.str : ""),
					       KD_EINVALID;
			}
		}
	return 0;
}

int kd_exec_prepare(kd_exec_plan **out, const kd_pkg *pkg, kd_revision *rev, kd_kube_client *c)
{
	kd_exec_plan *p = kd_calloc(1, sizeof(*p));
	kd_render_result *res = NULL;
	kd_buf msg = KD_BUF_INIT;
	int rc;
	*out = NULL;
	p->pkg = pkg;
	p->instance = kd_strdup(rev->instance);
	p->namespace_ = kd_strdup(rev->namespace_);
	p->revision = rev->number;
	p->plan = kd_pkg_find_plan(pkg, rev->plan);
	if (!p->plan) {
		rc = kd_plan_status_new(&rev->status, pkg, rev->plan); /* sets the message */
		goto done;
	}
	if ((rc = refuse_unsupported(pkg, p->plan)))
		goto done;

	kd_render_options ro = KD_RENDER_OPTIONS_INIT;
	ro.instance = rev->instance;
	ro.namespace = rev->namespace_;
	ro.plan = rev->plan;
	ro.params = rev->params;
	ro.with_deletes = true;
	if ((rc = kd_plan_render(&res, pkg, &ro)))
		goto done;

	p->objs = kd_calloc(res->ndocs ? res->ndocs : 1, sizeof(*p->objs));
	for (size_t i = 0; i < res->ndocs; i++) {
		kd_rendered *d = &res->docs[i];
		prep_obj *po = &p->objs[p->nobjs++];
		po->obj = d->object;
		d->object = NULL;
		po->action = d->action;
		po->phase = d->phase_index;
		po->step = d->step_index;
		po->task = d->task_index;
		po->template_name = kd_strdup(d->template_name);
		po->line = d->line;
		const char *kind = kd_json_get_str(po->obj, "kind"), *av = kd_json_get_str(po->obj, "apiVersion");
		po->is_crd = strcmp(kind, "CustomResourceDefinition") == 0 && strncmp(av, "apiextensions.k8s.io/", 21) == 0;
		po->is_namespace = strcmp(kind, "Namespace") == 0 && strcmp(av, "v1") == 0;
	}
	/* Map every object: served by the cluster, or by a CRD this plan applies. */
	for (size_t i = 0; i < p->nobjs; i++) {
		prep_obj *po = &p->objs[i];
		const char *kind = kd_json_get_str(po->obj, "kind"), *av = kd_json_get_str(po->obj, "apiVersion");
		if (crd_provides(p, av, kind, &po->namespaced)) {
			po->provided_by_plan = true;
		} else {
			kd_kube_mapping m = KD_KUBE_MAPPING_INIT;
			rc = kd_kube_mapping_get(&m, c, av, kind);
			if (rc == KD_ENOTFOUND) {
				kd_buf_printf(&msg, "templates/%s:%d: %s %s is not served by the cluster", po->template_name, po->line,
					av, kind);
				served_instead(&msg, c, av, kind);
				kd_buf_puts(&msg, "; nothing was applied");
				kd_error_set(KD_ERR_PLAN, "%s", kd_buf_cstr(&msg));
				rc = KD_EINVALID;
				goto done;
			}
			if (rc)
				goto done;
			po->namespaced = m.namespaced;
			kd_kube_mapping_clear(&m);
		}
		cJSON *meta = ensure_object(po->obj, "metadata");
		if (po->namespaced) {
			const char *ns = kd_json_get_str(meta, "namespace");
			if (!ns || !*ns) {
				cJSON_DeleteItemFromObjectCaseSensitive(meta, "namespace");
				cJSON_AddStringToObject(meta, "namespace", p->namespace_);
			}
		} else {
			cJSON_DeleteItemFromObjectCaseSensitive(meta, "namespace");
		}
		const char *name = kd_json_get_str(meta, "name");
		if ((!name || !*name) && kd_json_get_str(meta, "generateName")) {
			if (po->action == KD_RENDER_DELETE) {
				kd_error_set(KD_ERR_PLAN, "templates/%s:%d: a %s with only metadata.generateName cannot be deleted",
					po->template_name, po->line, kind);
				rc = KD_EINVALID;
				goto done;
			}
			po->generated = true;
			kd_buf b = KD_BUF_INIT;
			kd_buf_printf(&b, "r%ld-%zu", p->revision, i);
			po->gen_key = kd_buf_detach(&b);
		}
		if (po->action == KD_RENDER_APPLY) {
			kd_plans__enhance(po->obj, p);
			if (po->generated)
				set_label(ensure_object(ensure_object(po->obj, "metadata"), "labels"), "kudoc.dev/generated",
					po->gen_key);
		}
	}
	digest_hex(&p->digest, p);

	/* The revision's record of its objects. */
	for (size_t i = 0; i < rev->nobjects; i++) {
		free(rev->objects[i].api_version);
		free(rev->objects[i].kind);
		free(rev->objects[i].namespace_);
		free(rev->objects[i].name);
		free(rev->objects[i].template_name);
	}
	free(rev->objects);
	rev->objects = kd_calloc(p->nobjs ? p->nobjs : 1, sizeof(*rev->objects));
	rev->nobjects = 0;
	for (size_t i = 0; i < p->nobjs; i++) {
		prep_obj *po = &p->objs[i];
		if (po->generated)
			continue; /* recorded under its generated name once created */
		kd_rev_object *ro = &rev->objects[rev->nobjects++];
		const cJSON *meta = kd_json_get(po->obj, "metadata");
		ro->api_version = kd_strdup(kd_json_get_str(po->obj, "apiVersion"));
		ro->kind = kd_strdup(kd_json_get_str(po->obj, "kind"));
		const char *ns = kd_json_get_str(meta, "namespace");
		ro->namespace_ = kd_strdup(ns ? ns : "");
		ro->name = kd_strdup(kd_json_get_str(meta, "name"));
		ro->template_name = kd_strdup(po->template_name);
		ro->phase_index = po->phase;
		ro->step_index = po->step;
		ro->deleted = po->action == KD_RENDER_DELETE;
		const char *keep = kd_json_get_str(kd_json_get(meta, "annotations"), "kudoc.dev/keep");
		ro->keep = keep && strcmp(keep, "true") == 0;
	}
	free(rev->digest);
	rev->digest = kd_strdup(p->digest);
	if (!rev->status && (rc = kd_plan_status_new(&rev->status, pkg, rev->plan)))
		goto done;
	*out = p;
	p = NULL;
	rc = 0;
done:
	kd_render_result_free(res);
	kd_exec_plan_free(p);
	kd_buf_free(&msg);
	return rc;
}

size_t kd_exec_plan_count(const kd_exec_plan *p, bool deletes)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nobjs; i++)
		if ((p->objs[i].action == KD_RENDER_DELETE) == deletes)
			n++;
	return n;
}

const cJSON *kd_exec_plan_object(const kd_exec_plan *p, size_t i, bool *deleted, const char **template_name)
{
	if (i >= p->nobjs)
		return NULL;
	if (deleted)
		*deleted = p->objs[i].action == KD_RENDER_DELETE;
	if (template_name)
		*template_name = p->objs[i].template_name;
	return p->objs[i].obj;
}

size_t kd_exec_plan_size(const kd_exec_plan *p)
{
	return p->nobjs;
}

/* ---- running -------------------------------------------------------------------------------- */

typedef enum { STEP_OK, STEP_ERROR, STEP_FATAL, STEP_TIMEOUT, STEP_CANCELED } step_result;

typedef struct exec_ctx exec_ctx;

typedef struct {
	exec_ctx *x;
	size_t phase, step;
	pthread_t thread;
	bool running, finished;
	step_result result;
	char *message;
	kd_kube_client *client;
} worker;

struct exec_ctx {
	kd_exec_plan *p;
	kd_revision *rev;
	const kd_exec_options *o;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	volatile sig_atomic_t stop; /* workers' clients stop their requests when set */
	worker *workers;            /* one slot per step, flattened */
	size_t nworkers;
	size_t running;
	kd_kube_client **pool;
	size_t npool;
	int64_t deadline_us;
	bool dirty; /* a state change not yet written */
};

static worker *slot(exec_ctx *x, size_t h, size_t s)
{
	size_t k = 0;
	for (size_t i = 0; i < h; i++)
		k += x->rev->status->phases[i].nsteps;
	return &x->workers[k + s];
}

static void notify(exec_ctx *x, kd_exec_event ev, const char *line)
{
	if (x->o->observer)
		x->o->observer(x->o->observer_payload, ev, x->rev, line);
}

static void set_state(kd_status_head *h, kd_exec_state s, const char *message)
{
	int64_t now = kd_plans__now_us();
	if (s == KD_EXEC_IN_PROGRESS && !h->started_us)
		h->started_us = now;
	if (s == KD_EXEC_COMPLETE || s == KD_EXEC_FATAL_ERROR)
		h->finished_us = now;
	else
		h->finished_us = 0;
	h->state = s;
	if (message != h->message) {
		free(h->message);
		h->message = message && *message ? kd_strdup(message) : NULL;
	}
}

/* Locked: the step's tasks all get the step's state (Dummy and KudoOperator tasks are the only
 * ones that finish on their own, and they run to the step's end). */
static void step_state(exec_ctx *x, size_t h, size_t s, kd_exec_state st, const char *msg)
{
	kd_step_status *ss = &x->rev->status->phases[h].steps[s];
	set_state(&ss->h, st, msg);
	for (size_t k = 0; k < ss->ntasks; k++)
		if (ss->tasks[k].h.state != KD_EXEC_COMPLETE || st != KD_EXEC_IN_PROGRESS)
			set_state(&ss->tasks[k].h, st, st == KD_EXEC_COMPLETE ? NULL : ss->tasks[k].h.message);
	x->dirty = true;
}

static kd_kube_client *take_client(exec_ctx *x)
{
	kd_kube_client *c = NULL;
	if (x->npool)
		return x->pool[--x->npool];
	if (!x->o->config)
		return NULL; /* steps without objects (Dummy tasks) need no client */
	kd_kube_client_options co = x->o->client_options;
	co.cancel = &x->stop;
	if (kd_kube_client_new(&c, x->o->config, &co) != 0)
		return NULL;
	return c;
}

/* -- one step -- */

typedef struct {
	exec_ctx *x;
	worker *w;
	kd_kube_ref *refs;
	bool *is_delete;
	size_t *task_of;
	char **reasons;
	size_t n;
	bool failed;
	size_t failed_index;
} wait_state;

static kd_kube_wait_verdict step_predicate(void *payload, const kd_kube_ref *ref, const cJSON *obj, char *reason,
	size_t size)
{
	wait_state *ws = payload;
	size_t i = (size_t)(ref - ws->refs);
	if (ws->is_delete[i])
		return kd_kube_wait_deleted(NULL, ref, obj, reason, size);
	kd_kube_status st;
	kd_kube_status_compute(&st, obj, NULL);
	if (st.state == KD_KUBE_NOT_FOUND)
		snprintf(reason, size, "not found");
	else
		snprintf(reason, size, "%s", st.reason[0] ? st.reason : kd_kube_state_name(st.state));
	if (st.state == KD_KUBE_FAILED && !ws->failed) {
		ws->failed = true;
		ws->failed_index = i;
	}
	return st.state == KD_KUBE_CURRENT ? KD_KUBE_WAIT_DONE
	       : st.state == KD_KUBE_FAILED ? KD_KUBE_WAIT_FAILED
					    : KD_KUBE_WAIT_PENDING;
}

static void step_progress(void *payload, const kd_kube_ref *ref, kd_kube_wait_verdict v, const char *reason)
{
	wait_state *ws = payload;
	exec_ctx *x = ws->x;
	size_t i = (size_t)(ref - ws->refs);
	kd_buf line = KD_BUF_INIT;
	free(ws->reasons[i]);
	ws->reasons[i] = NULL;
	if (v != KD_KUBE_WAIT_DONE) {
		kd_buf_printf(&line, "%s %s%s%s: %s", ref->kind, ref->namespace_ && *ref->namespace_ ? ref->namespace_ : "",
			ref->namespace_ && *ref->namespace_ ? "/" : "", ref->name, reason && *reason ? reason : "pending");
		ws->reasons[i] = kd_buf_detach(&line);
	}
	pthread_mutex_lock(&x->mu);
	kd_step_status *ss = &x->rev->status->phases[ws->w->phase].steps[ws->w->step];
	kd_plans__step_waiting_clear(ss);
	for (size_t k = 0; k < ws->n; k++) {
		if (!ws->reasons[k])
			continue;
		ss->waiting = kd_realloc(ss->waiting, (ss->nwaiting + 1) * sizeof(char *));
		ss->waiting[ss->nwaiting++] = kd_strdup(ws->reasons[k]);
	}
	/* A task is complete once all its objects are. */
	for (size_t t = 0; t < ss->ntasks; t++) {
		bool pending = false, has = false;
		for (size_t k = 0; k < ws->n; k++)
			if (ws->task_of[k] == t) {
				has = true;
				if (ws->reasons[k])
					pending = true;
			}
		if (has && !pending && ss->tasks[t].h.state == KD_EXEC_IN_PROGRESS) {
			set_state(&ss->tasks[t].h, KD_EXEC_COMPLETE, NULL);
			x->dirty = true;
		}
	}
	notify(x, KD_EXEC_EV_WAITING, NULL);
	pthread_mutex_unlock(&x->mu);
	kd_buf_free(&line);
}

static step_result classify(int rc)
{
	switch (rc) {
	case KD_ECANCELED:
		return STEP_CANCELED;
	case KD_ETIMEOUT:
		return STEP_ERROR;
	case KD_EINVALID:
	case KD_ECONFLICT:
	case KD_EFORBIDDEN:
	case KD_EAUTH:
	case KD_EEXISTS:
		return STEP_FATAL;
	default:
		return STEP_ERROR;
	}
}

static void obj_desc(kd_buf *b, const prep_obj *po)
{
	const cJSON *md = kd_json_get(po->obj, "metadata");
	const char *ns = kd_json_get_str(md, "namespace"), *name = kd_json_get_str(md, "name");
	kd_buf_printf(b, "%s %s%s%s", kd_json_get_str(po->obj, "kind"), ns ? ns : "", ns ? "/" : "",
		name ? name : kd_json_get_str(md, "generateName"));
}

static int apply_one(worker *w, kd_kube_client *c, prep_obj *po, cJSON **out)
{
	exec_ctx *x = w->x;
	if (po->generated) {
		/* Created once per revision: on resume, find the one made before the crash. */
		const cJSON *md = kd_json_get(po->obj, "metadata");
		kd_kube_ref ref = {kd_json_get_str(po->obj, "apiVersion"), kd_json_get_str(po->obj, "kind"),
			kd_json_get_str(md, "namespace"), NULL, NULL};
		kd_kube_list_options lo = KD_KUBE_LIST_OPTIONS_INIT;
		kd_buf sel = KD_BUF_INIT;
		cJSON *list = NULL;
		kd_buf_printf(&sel, "kudoc.dev/instance=%s,kudoc.dev/generated=%s", x->p->instance, po->gen_key);
		lo.label_selector = kd_buf_cstr(&sel);
		int rc = kd_kube_list(&list, c, &ref, &lo);
		kd_buf_free(&sel);
		if (rc)
			return rc;
		cJSON *items = kd_json_get(list, "items");
		if (cJSON_GetArraySize(items) > 0) {
			*out = cJSON_DetachItemFromArray(items, 0);
			cJSON_Delete(list);
			return 0;
		}
		cJSON_Delete(list);
		return kd_kube_create(out, c, po->obj);
	}
	kd_kube_apply_options ao = KD_KUBE_APPLY_OPTIONS_INIT;
	ao.force = x->o->force_conflicts;
	int rc = kd_kube_apply(out, c, po->obj, &ao);
	if (rc == KD_ECONFLICT) {
		const char *m = kd_error_last();
		kd_error_set(KD_ERR_PLAN, "%s%s(another field manager owns these fields; --force-conflicts takes them over)",
			m ? m : "", m ? " " : "");
	}
	return rc;
}

/* Records the name the server gave a generated object. Locked by the caller. */
static void record_generated(exec_ctx *x, prep_obj *po, const cJSON *got)
{
	const cJSON *md = kd_json_get(got, "metadata");
	const char *name = kd_json_get_str(md, "name");
	if (!name)
		return;
	kd_revision *rev = x->rev;
	for (size_t i = 0; i < rev->nobjects; i++)
		if (strcmp(rev->objects[i].name, name) == 0 && strcmp(rev->objects[i].kind, kd_json_get_str(po->obj, "kind")) == 0)
			return;
	rev->objects = kd_realloc(rev->objects, (rev->nobjects + 1) * sizeof(*rev->objects));
	kd_rev_object *ro = &rev->objects[rev->nobjects++];
	memset(ro, 0, sizeof(*ro));
	const char *ns = kd_json_get_str(md, "namespace");
	ro->api_version = kd_strdup(kd_json_get_str(po->obj, "apiVersion"));
	ro->kind = kd_strdup(kd_json_get_str(po->obj, "kind"));
	ro->namespace_ = kd_strdup(ns ? ns : "");
	ro->name = kd_strdup(name);
	ro->template_name = kd_strdup(po->template_name);
	ro->phase_index = po->phase;
	ro->step_index = po->step;
	x->dirty = true;
}

static bool stopped(exec_ctx *x)
{
	return x->stop != 0;
}

static void timeout_message(kd_buf *err, kd_kube_client *c, wait_state *ws, long waited_ms);

/* Applies and deletes the step's objects of one pass (CRDs and Namespaces first, then the
 * rest), then waits for them. */
static int run_pass(worker *w, kd_kube_client *c, bool first_pass, bool *any, kd_buf *err)
{
	exec_ctx *x = w->x;
	kd_exec_plan *p = x->p;
	size_t n = 0, cap = 0;
	wait_state ws = {0};
	int rc = 0;
	ws.x = x;
	ws.w = w;
	*any = false;
	for (size_t i = 0; i < p->nobjs; i++) {
		prep_obj *po = &p->objs[i];
		if (po->phase != w->phase || po->step != w->step)
			continue;
		bool early = po->action == KD_RENDER_APPLY && (po->is_crd || po->is_namespace);
		if (early != first_pass)
			continue;
		*any = true;
		if (stopped(x))
			return KD_ECANCELED;
		if (!c) {
			kd_buf_puts(err, kd_error_last() ? kd_error_last() : "no API client");
			return KD_ERROR;
		}
		const cJSON *md = kd_json_get(po->obj, "metadata");
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			ws.refs = kd_realloc(ws.refs, cap * sizeof(*ws.refs));
			ws.is_delete = kd_realloc(ws.is_delete, cap * sizeof(*ws.is_delete));
			ws.task_of = kd_realloc(ws.task_of, cap * sizeof(*ws.task_of));
			ws.reasons = kd_realloc(ws.reasons, cap * sizeof(*ws.reasons));
		}
		kd_kube_ref ref = {kd_json_get_str(po->obj, "apiVersion"), kd_json_get_str(po->obj, "kind"),
			kd_json_get_str(md, "namespace"), kd_json_get_str(md, "name"), NULL};
		if (po->action == KD_RENDER_DELETE) {
			kd_kube_delete_options dopt = KD_KUBE_DELETE_OPTIONS_INIT;
			dopt.propagation_policy = "Background";
			rc = kd_kube_delete(c, &ref, &dopt);
			if (rc == KD_ENOTFOUND) {
				rc = 0;
				continue; /* already gone: nothing to wait for */
			}
			if (rc) {
				kd_buf_puts(err, "delete ");
				obj_desc(err, po);
				kd_buf_printf(err, ": %s", kd_error_last() ? kd_error_last() : "failed");
				goto done;
			}
			ws.is_delete[n] = true;
		} else {
			cJSON *got = NULL;
			rc = apply_one(w, c, po, &got);
			if (rc) {
				kd_buf_printf(err, "templates/%s: apply ", po->template_name);
				obj_desc(err, po);
				kd_buf_printf(err, ": %s", kd_error_last() ? kd_error_last() : "failed");
				goto done;
			}
			if (po->generated) {
				pthread_mutex_lock(&x->mu);
				record_generated(x, po, got);
				pthread_mutex_unlock(&x->mu);
				ref.name = kd_json_get_str(kd_json_get(got, "metadata"), "name");
			}
			/* What the apply answered is often already ready: no need to watch it. */
			kd_kube_status st;
			kd_kube_status_compute(&st, got, NULL);
			if (st.state == KD_KUBE_FAILED) {
				kd_buf_printf(err, "templates/%s: ", po->template_name);
				obj_desc(err, po);
				kd_buf_printf(err, " failed: %s", st.reason);
				cJSON_Delete(got);
				rc = KD_EINVALID; /* fatal */
				goto done;
			}
			bool ready = st.state == KD_KUBE_CURRENT;
			if (!ready && po->generated) {
				/* the wait finds objects by name: keep the generated name alive */
				ref.name = NULL;
				const char *gn = kd_json_get_str(kd_json_get(got, "metadata"), "name");
				for (size_t k = 0; k < x->rev->nobjects && gn; k++)
					if (strcmp(x->rev->objects[k].name, gn) == 0)
						ref.name = x->rev->objects[k].name;
			}
			cJSON_Delete(got);
			if (ready || !ref.name)
				continue;
			ws.is_delete[n] = false;
		}
		ws.refs[n] = ref;
		ws.task_of[n] = po->task;
		ws.reasons[n] = NULL;
		n++;
	}
	ws.n = n;
	if (n) {
		kd_kube_wait_options wo = KD_KUBE_WAIT_OPTIONS_INIT;
		int64_t left = x->deadline_us - kd_plans__now_us();
		wo.timeout_ms = left > 1000 ? (long)(left / 1000) : 1000;
		wo.predicate = step_predicate;
		wo.predicate_payload = &ws;
		wo.progress = step_progress;
		wo.progress_payload = &ws;
		rc = kd_kube_wait(c, ws.refs, n, &wo);
		if (rc == KD_ETIMEOUT) {
			timeout_message(err, c, &ws, wo.timeout_ms);
		} else if (rc && ws.failed) {
			kd_buf_puts(err, kd_error_last() ? kd_error_last() : "failed");
			rc = KD_EINVALID; /* a Failed object: fatal */
		} else if (rc) {
			kd_buf_puts(err, kd_error_last() ? kd_error_last() : "wait failed");
		}
	}
done:
	for (size_t i = 0; i < n; i++)
		free(ws.reasons[i]);
	free(ws.refs);
	free(ws.is_delete);
	free(ws.task_of);
	free(ws.reasons);
	return rc;
}

/* What a timed-out step still waits for: every pending object with its reason, and for
 * workloads the pod that holds each back and why. */
static void timeout_message(kd_buf *err, kd_kube_client *c, wait_state *ws, long waited_ms)
{
	kd_buf_printf(err, "timed out after %lds waiting for ", (waited_ms + 500) / 1000);
	bool first = true;
	for (size_t i = 0; i < ws->n; i++) {
		if (!ws->reasons[i])
			continue;
		const kd_kube_ref *r = &ws->refs[i];
		if (!first)
			kd_buf_puts(err, "; ");
		first = false;
		cJSON *obj = NULL, *pods = NULL;
		kd_kube_status st;
		if (!ws->is_delete[i] && kd_kube_get(&obj, c, r) == 0 && kd_kube_workload_pods(&pods, c, obj) == 0 &&
			cJSON_GetArraySize(pods) > 0) {
			kd_kube_status_compute(&st, obj, pods);
			kd_buf_printf(err, "%s/%s (namespace %s): %s", r->kind, r->name, r->namespace_ ? r->namespace_ : "",
				st.reason[0] ? st.reason : kd_kube_state_name(st.state));
		} else {
			kd_buf_puts(err, ws->reasons[i]);
		}
		kd_error_clear();
		cJSON_Delete(obj);
		cJSON_Delete(pods);
	}
}

static step_result run_dummies(worker *w, kd_buf *err, bool *pending)
{
	exec_ctx *x = w->x;
	const kd_pkg_step *st = &x->p->plan->phases[w->phase].steps[w->step];
	*pending = false;
	for (size_t k = 0; k < st->ntasks; k++) {
		const kd_pkg_task *t = kd_pkg_find_task(x->p->pkg, st->tasks[k].str ? st->tasks[k].str : "");
		if (!t || t->kind != KD_TASK_DUMMY)
			continue;
		if (t->want_err) {
			kd_buf_printf(err, "task %s: dummy error", t->name.str);
			return t->fatal ? STEP_FATAL : STEP_ERROR;
		}
		pthread_mutex_lock(&x->mu);
		kd_task_status *ts = &x->rev->status->phases[w->phase].steps[w->step].tasks[k];
		if (t->done) {
			set_state(&ts->h, KD_EXEC_COMPLETE, NULL);
			x->dirty = true;
		} else {
			*pending = true;
			set_state(&ts->h, KD_EXEC_IN_PROGRESS, "a Dummy task with done: false never completes");
		}
		pthread_mutex_unlock(&x->mu);
	}
	return STEP_OK;
}

/* ---- health hooks (lua/) ---- */

typedef struct {
	worker *w;
	kd_kube_client *c;
	const char *script;
	char *label_selector;
	/* What wakes the hook between runs: the instance's Pods, then each distinct kind (in its
	 * namespace) of the objects the step applies, all selected by the instance's label. Strings
	 * are borrowed from the plan. rvs[i]: where kinds[i]'s watch starts (its list just before
	 * the last run), NULL when it cannot be listed (then it is not watched). */
	kd_kube_ref *kinds;
	char **rvs;
	size_t nkinds;
} hook_ctx;

/* A hook's new reason: what the step waits for, shown by the progress view and kept in the
 * record's step message (so `plan status` elsewhere shows it too). */
static void hook_waiting(void *payload, const char *reason)
{
	hook_ctx *h = payload;
	exec_ctx *x = h->w->x;
	kd_buf line = KD_BUF_INIT;
	kd_buf_printf(&line, "%s: %s", h->script, reason ? reason : "not healthy yet");
	pthread_mutex_lock(&x->mu);
	kd_step_status *ss = &x->rev->status->phases[h->w->phase].steps[h->w->step];
	kd_plans__step_waiting_clear(ss);
	ss->waiting = kd_calloc(1, sizeof(char *));
	ss->waiting[0] = kd_strdup(kd_buf_cstr(&line));
	ss->nwaiting = 1;
	set_state(&ss->h, KD_EXEC_IN_PROGRESS, kd_buf_cstr(&line));
	x->dirty = true;
	notify(x, KD_EXEC_EV_WAITING, NULL);
	pthread_mutex_unlock(&x->mu);
	kd_buf_free(&line);
}

static void hook_log(void *payload, const char *text)
{
	hook_ctx *h = payload;
	exec_ctx *x = h->w->x;
	kd_buf line = KD_BUF_INIT;
	kd_buf_printf(&line, "%s: %s", h->script, text);
	pthread_mutex_lock(&x->mu);
	notify(x, KD_EXEC_EV_LOG, kd_buf_cstr(&line));
	pthread_mutex_unlock(&x->mu);
	kd_buf_free(&line);
}

typedef struct {
	volatile sig_atomic_t *stop;
	bool changed;
} pause_state;

static int on_change(void *payload, kd_kube_event_type t, const cJSON *obj)
{
	(void)obj;
	pause_state *p = payload;
	if (t == KD_KUBE_BOOKMARK)
		return *p->stop ? 1 : 0;
	p->changed = true;
	return 1;
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The kinds a hook watches: one entry per distinct apiVersion, kind and namespace. */
static void hook_kinds(hook_ctx *h)
{
	exec_ctx *x = h->w->x;
	kd_exec_plan *p = x->p;
	h->kinds = kd_calloc(p->nobjs + 1, sizeof(*h->kinds));
	h->rvs = kd_calloc(p->nobjs + 1, sizeof(*h->rvs));
	h->kinds[h->nkinds++] = (kd_kube_ref){"v1", "Pod", p->namespace_, NULL, NULL};
	for (size_t i = 0; i < p->nobjs; i++) {
		const prep_obj *po = &p->objs[i];
		if (po->phase != h->w->phase || po->step != h->w->step || po->action != KD_RENDER_APPLY)
			continue;
		kd_kube_ref r = {kd_json_get_str(po->obj, "apiVersion"), kd_json_get_str(po->obj, "kind"),
			po->namespaced ? kd_json_get_str(kd_json_get(po->obj, "metadata"), "namespace") : NULL, NULL, NULL};
		if (!r.api_version || !r.kind)
			continue;
		if (po->namespaced && !r.namespace_)
			r.namespace_ = p->namespace_;
		size_t k;
		for (k = 0; k < h->nkinds; k++)
			if (strcmp(h->kinds[k].api_version, r.api_version) == 0 && strcmp(h->kinds[k].kind, r.kind) == 0 &&
				same_str(h->kinds[k].namespace_, r.namespace_))
				break;
		if (k == h->nkinds)
			h->kinds[h->nkinds++] = r;
	}
}

/* Where each kind's watch starts: a list of one item gives the current resourceVersion. Taken
 * before each run, so a change while the hook runs still wakes the pause after it. */
static void hook_snapshot(hook_ctx *h)
{
	for (size_t i = 0; i < h->nkinds; i++) {
		kd_kube_list_options lo = KD_KUBE_LIST_OPTIONS_INIT;
		cJSON *list = NULL;
		lo.label_selector = h->label_selector;
		lo.limit = 1;
		free(h->rvs[i]);
		h->rvs[i] = NULL;
		if (kd_kube_list(&list, h->c, &h->kinds[i], &lo) == 0) {
			const char *rv = kd_json_get_str(kd_json_get(list, "metadata"), "resourceVersion");
			h->rvs[i] = rv && *rv ? kd_strdup(rv) : NULL;
		}
		cJSON_Delete(list);
		kd_error_clear();
	}
}

static void hook_kinds_free(hook_ctx *h)
{
	for (size_t i = 0; i < h->nkinds; i++)
		free(h->rvs[i]);
	free(h->rvs);
	free(h->kinds);
}

/* Between hook runs: up to `ms`, ending early when an object of the instance of a watched kind
 * (see hook_ctx) changes; one watch stream per kind, all in this thread. */
static int hook_pause(void *payload, long ms)
{
	hook_ctx *h = payload;
	exec_ctx *x = h->w->x;
	if (stopped(x))
		return 1;
	kd_kube_ref *refs = kd_calloc(h->nkinds, sizeof(*refs));
	const char **rvs = kd_calloc(h->nkinds, sizeof(*rvs));
	size_t n = 0;
	for (size_t i = 0; i < h->nkinds; i++) {
		if (!h->rvs[i])
			continue;
		refs[n] = h->kinds[i];
		rvs[n++] = h->rvs[i];
	}
	int64_t until = kd_plans__now_us() + (int64_t)ms * 1000;
	pause_state ps = {&x->stop, false};
	if (n > 0) {
		kd_kube_watch_options wo = KD_KUBE_WATCH_OPTIONS_INIT;
		wo.label_selector = h->label_selector;
		wo.timeout_ms = ms;
		kd_kube_watch_many(h->c, refs, rvs, n, &wo, on_change, &ps);
		kd_error_clear();
	}
	/* no watch to be had, or it failed: wait out the interval (a broken watch must not make the
	 * hook run without pause) */
	while (!ps.changed && !stopped(x) && kd_plans__now_us() < until)
		usleep(100000);
	free(refs);
	free(rvs);
	if (stopped(x))
		return 1;
	hook_snapshot(h);
	return stopped(x) ? 1 : 0;
}

/* Runs one hook until it is healthy, fails, or its time is up. */
static step_result run_hook(worker *w, kd_kube_client *c, const kd_pkg_health *hh, kd_buf *err)
{
	exec_ctx *x = w->x;
	const kd_pkg *pkg = x->p->pkg;
	const kd_pkg_file *f = kd_pkg_find_file(pkg, hh->script.str);
	if (!f) {
		kd_buf_printf(err, "health hook %s is not in the package", hh->script.str);
		return STEP_FATAL;
	}
	const kd_pkg_phase *ph = &x->p->plan->phases[w->phase];
	hook_ctx h = {w, c, hh->script.str, NULL, NULL, NULL, 0};
	kd_buf sel = KD_BUF_INIT;
	kd_buf_printf(&sel, "kudoc.dev/instance=%s", x->p->instance);
	h.label_selector = kd_buf_detach(&sel);
	hook_kinds(&h);
	hook_snapshot(&h);
	kd_lua_wait_options wo = {KD_LUA_HOOK_OPTIONS_INIT, 0, 0, NULL, NULL, NULL};
	wo.run.client = c;
	wo.run.params = x->rev->params;
	wo.run.instance = x->p->instance;
	wo.run.namespace_ = x->p->namespace_;
	wo.run.plan = x->rev->plan;
	wo.run.phase = ph->name.str;
	wo.run.step = ph->steps[w->step].name.str;
	wo.run.revision = x->rev->number;
	wo.run.log = hook_log;
	wo.run.log_payload = &h;
	wo.run.stop = &x->stop;
	int64_t left_ms = (x->deadline_us - kd_plans__now_us()) / 1000;
	if (left_ms < 1000)
		left_ms = 1000;
	wo.timeout_ms = hh->timeout_ms > 0 && hh->timeout_ms < left_ms ? hh->timeout_ms : (long)left_ms;
	wo.interval_ms = hh->interval_ms;
	wo.waiting = hook_waiting;
	wo.pause = hook_pause;
	wo.payload = &h;
	char *last = NULL;
	int rc = kd_lua_hook_wait(&last, hh->script.str, f->data, f->len, &wo);
	step_result r = STEP_OK;
	if (rc) {
		const char *m = kd_error_last() ? kd_error_last() : "failed";
		kd_buf_puts(err, m);
		r = rc == KD_ETIMEOUT ? STEP_TIMEOUT : rc == KD_ECANCELED || stopped(x) ? STEP_CANCELED : STEP_FATAL;
	} else {
		pthread_mutex_lock(&x->mu);
		kd_step_status *ss = &x->rev->status->phases[w->phase].steps[w->step];
		kd_plans__step_waiting_clear(ss);
		pthread_mutex_unlock(&x->mu);
	}
	free(last);
	free(h.label_selector);
	hook_kinds_free(&h);
	return r;
}

/* The step's hooks once its objects are healthy: each Apply task's, each Toggle task's whose
 * parameter is on, then the step's own. */
static step_result run_hooks(worker *w, kd_kube_client *c, kd_buf *err)
{
	exec_ctx *x = w->x;
	const kd_pkg_step *st = &x->p->plan->phases[w->phase].steps[w->step];
	for (size_t k = 0; k < st->ntasks; k++) {
		const kd_pkg_task *t = kd_pkg_find_task(x->p->pkg, st->tasks[k].str ? st->tasks[k].str : "");
		if (!t || !t->health.script.str)
			continue;
		if (t->kind == KD_TASK_TOGGLE) {
			bool on = false;
			if (kd_plans__toggle_value(&on, x->p->pkg, t, x->rev->params) != 0 || !on) {
				kd_error_clear();
				continue;
			}
		} else if (t->kind != KD_TASK_APPLY) {
			continue;
		}
		step_result r = run_hook(w, c, &t->health, err);
		if (r != STEP_OK)
			return r;
	}
	if (st->health.script.str)
		return run_hook(w, c, &st->health, err);
	return STEP_OK;
}

/* KudoOperator tasks: child instances, one after the other. */
static step_result run_children(worker *w, kd_buf *err)
{
	exec_ctx *x = w->x;
	const kd_pkg_step *st = &x->p->plan->phases[w->phase].steps[w->step];
	for (size_t k = 0; k < st->ntasks; k++) {
		const kd_pkg_task *t = kd_pkg_find_task(x->p->pkg, st->tasks[k].str ? st->tasks[k].str : "");
		if (!t || t->kind != KD_TASK_KUDO_OPERATOR)
			continue;
		if (!x->o->child_hook) {
			kd_buf_printf(err, "task %s: KudoOperator tasks need the lifecycle commands", t->name.str);
			return STEP_FATAL;
		}
		int rc = x->o->child_hook(x->o->child_hook_payload, x->rev, w->phase, w->step, k, x->deadline_us, &x->stop,
			err);
		if (rc == KD_ETIMEOUT)
			return STEP_TIMEOUT;
		if (rc == KD_ECANCELED || stopped(x))
			return rc ? STEP_CANCELED : STEP_OK;
		if (rc)
			return rc == KD_ERROR || rc == KD_EINVALID ? STEP_FATAL : classify(rc);
		pthread_mutex_lock(&x->mu);
		kd_task_status *ts = &x->rev->status->phases[w->phase].steps[w->step].tasks[k];
		set_state(&ts->h, KD_EXEC_COMPLETE, NULL);
		x->dirty = true;
		pthread_mutex_unlock(&x->mu);
	}
	return STEP_OK;
}

static step_result run_step(worker *w, kd_kube_client *c, kd_buf *err)
{
	exec_ctx *x = w->x;
	bool pending = false, any = false;
	step_result r = run_dummies(w, err, &pending);
	if (r != STEP_OK)
		return r;
	if ((r = run_children(w, err)) != STEP_OK)
		return r;
	int rc = run_pass(w, c, true, &any, err);
	if (!rc)
		rc = run_pass(w, c, false, &any, err);
	if (rc == KD_ETIMEOUT)
		return STEP_TIMEOUT;
	if (rc)
		return stopped(x) ? STEP_CANCELED : classify(rc);
	if ((r = run_hooks(w, c, err)) != STEP_OK)
		return r;
	if (x->o->step_hook) {
		rc = x->o->step_hook(x->o->step_hook_payload, c, x->rev, x->p->pkg, w->phase, w->step, x->deadline_us,
			&x->stop, err);
		if (rc == KD_ETIMEOUT)
			return STEP_TIMEOUT;
		if (rc == KD_ECANCELED)
			return STEP_CANCELED;
		if (rc)
			return rc == KD_ERROR ? STEP_FATAL : classify(rc);
	}
	if (pending) {
		/* A Dummy task that is never done holds the step until the plan's time is up. */
		while (!stopped(x) && kd_plans__now_us() < x->deadline_us)
			usleep(50000);
		if (stopped(x))
			return STEP_CANCELED;
		kd_buf_puts(err, "timed out: a Dummy task with done: false never completes");
		return STEP_TIMEOUT;
	}
	return STEP_OK;
}

static void *worker_main(void *arg)
{
	worker *w = arg;
	exec_ctx *x = w->x;
	kd_buf err = KD_BUF_INIT;
	step_result r = run_step(w, w->client, &err);
	pthread_mutex_lock(&x->mu);
	w->result = r;
	free(w->message);
	w->message = kd_buf_detach(&err);
	w->finished = true;
	pthread_cond_broadcast(&x->cv);
	pthread_mutex_unlock(&x->mu);
	kd_error_clear();
	return NULL;
}

/* Locked. Starts the steps that may run now, as the plan's and phases' strategies allow. */
static void schedule(exec_ctx *x)
{
	kd_plan_status *st = x->rev->status;
	int64_t now = kd_plans__now_us();
	for (size_t h = 0; h < st->nphases; h++) {
		kd_phase_status *ps = &st->phases[h];
		if (ps->h.state == KD_EXEC_COMPLETE)
			continue;
		for (size_t s = 0; s < ps->nsteps; s++) {
			kd_step_status *ss = &ps->steps[s];
			if (ss->h.state == KD_EXEC_COMPLETE)
				continue;
			worker *w = slot(x, h, s);
			if (!w->running && ss->retry_at_us <= now && x->running < MAX_WORKERS) {
				if (ps->h.state != KD_EXEC_IN_PROGRESS) {
					set_state(&ps->h, KD_EXEC_IN_PROGRESS, NULL);
					x->dirty = true;
				}
				ss->attempts++;
				ss->retry_at_us = 0;
				step_state(x, h, s, KD_EXEC_IN_PROGRESS, ss->h.state == KD_EXEC_ERROR ? ss->h.message : NULL);
				w->x = x;
				w->phase = h;
				w->step = s;
				w->finished = false;
				w->running = true;
				w->client = take_client(x);
				x->running++;
				if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
					w->running = false;
					x->running--;
					step_state(x, h, s, KD_EXEC_ERROR, "cannot start a thread");
					ss->retry_at_us = now + 1000000;
				}
			}
			if (ps->strategy == KD_STRATEGY_SERIAL)
				break;
		}
		if (st->strategy == KD_STRATEGY_SERIAL)
			break;
	}
}

static int64_t backoff_us(int attempts)
{
	int64_t d = 1000000;
	for (int i = 1; i < attempts && d < 30000000; i++)
		d *= 2;
	return d > 30000000 ? 30000000 : d;
}

/* Locked. Takes in what finished workers found. Returns the plan-level outcome so far:
 * 0 go on, or KD_EINVALID (fatal), KD_ETIMEOUT, KD_ECANCELED. */
static int reap(exec_ctx *x, kd_buf *why)
{
	kd_plan_status *st = x->rev->status;
	int outcome = 0;
	for (size_t h = 0; h < st->nphases; h++) {
		kd_phase_status *ps = &st->phases[h];
		for (size_t s = 0; s < ps->nsteps; s++) {
			worker *w = slot(x, h, s);
			if (!w->running || !w->finished)
				continue;
			pthread_mutex_unlock(&x->mu);
			pthread_join(w->thread, NULL);
			pthread_mutex_lock(&x->mu);
			w->running = false;
			x->running--;
			if (w->client) {
				x->pool = kd_realloc(x->pool, (x->npool + 1) * sizeof(*x->pool));
				x->pool[x->npool++] = w->client;
				w->client = NULL;
			}
			kd_step_status *ss = &ps->steps[s];
			kd_plans__step_waiting_clear(ss);
			switch (w->result) {
			case STEP_OK:
				step_state(x, h, s, KD_EXEC_COMPLETE, NULL);
				break;
			case STEP_ERROR:
				step_state(x, h, s, KD_EXEC_ERROR, w->message);
				ss->retry_at_us = kd_plans__now_us() + backoff_us(ss->attempts);
				break;
			case STEP_FATAL:
				step_state(x, h, s, KD_EXEC_FATAL_ERROR, w->message);
				set_state(&ps->h, KD_EXEC_FATAL_ERROR, NULL);
				set_state(&st->h, KD_EXEC_FATAL_ERROR, NULL);
				if (!why->len)
					kd_buf_printf(why, "step %s/%s failed: %s", ps->h.name, ss->h.name, w->message);
				outcome = KD_EINVALID;
				break;
			case STEP_TIMEOUT:
				step_state(x, h, s, KD_EXEC_IN_PROGRESS, w->message);
				if (!why->len)
					kd_buf_printf(why, "step %s/%s: %s", ps->h.name, ss->h.name, w->message);
				if (!outcome)
					outcome = KD_ETIMEOUT;
				break;
			case STEP_CANCELED:
				step_state(x, h, s, KD_EXEC_IN_PROGRESS, "interrupted");
				if (!outcome)
					outcome = KD_ECANCELED;
				break;
			}
		}
		/* A phase is complete when all its steps are. */
		bool all = true;
		for (size_t s = 0; s < ps->nsteps; s++)
			if (ps->steps[s].h.state != KD_EXEC_COMPLETE)
				all = false;
		if (all && ps->h.state != KD_EXEC_COMPLETE) {
			set_state(&ps->h, KD_EXEC_COMPLETE, NULL);
			x->dirty = true;
		}
	}
	return outcome;
}

static bool plan_complete(const kd_plan_status *st)
{
	for (size_t h = 0; h < st->nphases; h++)
		if (st->phases[h].h.state != KD_EXEC_COMPLETE)
			return false;
	return true;
}

/* Locked. Writes the record when something changed; a failed write is retried next time. */
static int flush(exec_ctx *x, bool force)
{
	if (!x->dirty && !force)
		return 0;
	if (x->o->dry_run) {
		x->dirty = false;
		return 0;
	}
	int rc = kd_revision_save(x->o->client, x->rev, false);
	if (rc == 0)
		x->dirty = false;
	notify(x, KD_EXEC_EV_STATUS, NULL);
	return rc;
}

int kd_exec_run(kd_exec_plan *p, kd_revision *rev, const kd_exec_options *o)
{
	exec_ctx x;
	kd_buf why = KD_BUF_INIT;
	memset(&x, 0, sizeof(x));
	pthread_mutex_init(&x.mu, NULL);
	pthread_cond_init(&x.cv, NULL);
	x.p = p;
	x.rev = rev;
	x.o = o;
	long timeout = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	x.deadline_us = kd_plans__now_us() + (int64_t)timeout * 1000;
	kd_plan_status *st = rev->status;
	for (size_t h = 0; h < st->nphases; h++)
		x.nworkers += st->phases[h].nsteps;
	x.workers = kd_calloc(x.nworkers ? x.nworkers : 1, sizeof(*x.workers));

	int outcome = 0;
	int64_t last_write_fail = 0;
	pthread_mutex_lock(&x.mu);
	/* Resume: what was running when the last command stopped runs again from its start;
	 * complete steps stay complete. */
	if (st->h.state == KD_EXEC_FATAL_ERROR || st->h.state == KD_EXEC_COMPLETE) {
		/* `plan resume` of a finished plan is refused by the caller; here: nothing to do */
	}
	set_state(&st->h, KD_EXEC_IN_PROGRESS, NULL);
	for (size_t h = 0; h < st->nphases; h++)
		for (size_t s = 0; s < st->phases[h].nsteps; s++) {
			kd_step_status *ss = &st->phases[h].steps[s];
			ss->retry_at_us = 0;
			if (ss->h.state != KD_EXEC_COMPLETE && ss->h.state != KD_EXEC_NEVER_RUN)
				set_state(&ss->h, KD_EXEC_PENDING, ss->h.message);
		}
	x.dirty = true;
	int frc = flush(&x, true);
	if (frc) {
		kd_buf_printf(&why, "cannot write the revision record: %s", kd_error_last() ? kd_error_last() : "");
		outcome = KD_ERROR;
	}
	while (!outcome || x.running) {
		int r = reap(&x, &why);
		if (r && (!outcome || outcome == KD_ECANCELED))
			outcome = r;
		if (plan_complete(st) && !x.running && !outcome) {
			set_state(&st->h, KD_EXEC_COMPLETE, NULL);
			x.dirty = true;
			break;
		}
		if (!outcome && o->interrupt && *o->interrupt) {
			outcome = KD_ECANCELED;
			kd_buf_puts(&why, "interrupted");
		}
		if (!outcome && kd_plans__now_us() >= x.deadline_us) {
			outcome = KD_ETIMEOUT;
		}
		if (!outcome && o->lock && kd_plan_lock_lost(o->lock)) {
			outcome = KD_ELOCKED;
			kd_buf_puts(&why, "the instance's lock was lost (another command took it over): stopped");
		}
		if (outcome)
			x.stop = 1;
		else
			schedule(&x);
		int64_t now = kd_plans__now_us();
		if (x.dirty && (now - last_write_fail > 1000000)) {
			if (flush(&x, false))
				last_write_fail = now;
		}
		if (!outcome && !x.running && !plan_complete(st)) {
			/* nothing runs: wait for the next retry */
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		bool any_finished = false;
		for (size_t i = 0; i < x.nworkers; i++)
			if (x.workers[i].running && x.workers[i].finished)
				any_finished = true;
		if (!any_finished && (outcome ? x.running > 0 : true))
			pthread_cond_timedwait(&x.cv, &x.mu, &ts);
	}
	if (outcome == KD_ETIMEOUT && !why.len)
		kd_buf_printf(&why, "plan %s did not complete within %lds", st->h.name, timeout / 1000);
	if (outcome == KD_ETIMEOUT) {
		free(st->h.message);
		st->h.message = kd_strdup("timed out");
	}
	x.dirty = true;
	flush(&x, true);
	pthread_mutex_unlock(&x.mu);

	for (size_t i = 0; i < x.npool; i++)
		kd_kube_client_free(x.pool[i]);
	free(x.pool);
	for (size_t i = 0; i < x.nworkers; i++)
		free(x.workers[i].message);
	free(x.workers);
	pthread_mutex_destroy(&x.mu);
	pthread_cond_destroy(&x.cv);
	int rc = 0;
	if (outcome) {
		kd_error_set(KD_ERR_PLAN, "%s", kd_buf_cstr(&why));
		rc = outcome == KD_EINVALID ? KD_ERROR : outcome;
	}
	kd_buf_free(&why);
	return rc;
}

/* Server-side dry run of every object the plan applies, printed as the YAML stream `template
 * -o yaml` writes. Objects whose kind a CRD of this plan provides cannot be checked before the
 * CRD exists: they are printed as rendered, marked so. */
int kd_exec_dry_run(kd_buf *out, kd_exec_plan *p, kd_kube_client *c)
{
	int rc = 0;
	for (size_t i = 0; i < p->nobjs && !rc; i++) {
		prep_obj *po = &p->objs[i];
		cJSON *got = NULL;
		kd_buf_printf(out, "---\n# Source: templates/%s\n", po->template_name);
		if (po->action == KD_RENDER_DELETE) {
			kd_buf_puts(out, "# deleted by this plan\n");
		} else if (po->provided_by_plan) {
			kd_buf_puts(out, "# not checked by the server: its kind comes from a CRD this plan creates\n");
		} else if (po->generated) {
			kd_buf_puts(out, "# not checked by the server: created with a generated name\n");
		} else {
			kd_kube_apply_options ao = KD_KUBE_APPLY_OPTIONS_INIT;
			ao.dry_run = true;
			rc = kd_kube_apply(&got, c, po->obj, &ao);
			if (rc) {
				kd_buf b = KD_BUF_INIT;
				obj_desc(&b, po);
				kd_error_set(KD_ERR_PLAN, "templates/%s: the server refuses %s: %s", po->template_name,
					kd_buf_cstr(&b), kd_error_last() ? kd_error_last() : "");
				kd_buf_free(&b);
				break;
			}
		}
		cJSON *show = cJSON_Duplicate(got ? got : po->obj, 1);
		cJSON_DeleteItemFromObjectCaseSensitive(kd_json_get(show, "metadata"), "managedFields");
		rc = kd_yaml_emit(out, show);
		cJSON_Delete(show);
		cJSON_Delete(got);
	}
	return rc ? rc : kd_buf_check(out, "dry-run output");
}
