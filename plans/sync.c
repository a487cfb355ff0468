/* sync: an instance kept in step with the git source its latest revision records (plans.h says
 * what one run decides). It builds on what exists: kd_source_load resolves the recorded URL, ref
 * and path again, kd_op_upgrade / kd_op_update make the change, kd_plan_diff_run compares the
 * live objects with the revision, and a repair re-applies only what drifted, under the
 * instance's lock, and notes it in the revision's record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/json.h"
#include "../params/params.h"
#include "plans.h"
#include "plans_internal.h"

const char *kd_sync_outcome_name(kd_sync_outcome o)
{
	switch (o) {
	case KD_SYNC_APPLIED:
		return "applied";
	case KD_SYNC_DRIFTED:
		return "drifted";
	case KD_SYNC_PENDING:
		return "pending";
	default:
		return "in sync";
	}
}

void kd_sync_lease_name(kd_buf *out, const char *instance)
{
	kd_buf_printf(out, "kudoc-sync.%s", instance);
}

void kd_sync_result_clear(kd_sync_result *r)
{
	free(r->commit);
	free(r->summary);
	kd_plan_diff_free(r->drift);
	memset(r, 0, sizeof(*r));
}

typedef struct {
	const kd_sync_options *o;
	kd_sync_result *res;
	kd_kube_client *c; /* reads, dry runs and repairs; Ctrl-C cancels it */
	const char *ns, *instance;
	kd_revision **revs; /* oldest first */
	size_t nrevs;
	kd_pkg *installed;  /* the latest revision's package, loaded when needed */
	kd_buf line;        /* the summary: what sync found and did, in parts joined by "; " */
	kd_buf notes;       /* and after it, what else it saw */
	bool pending;
	bool reload;        /* an operation ran (and may have resumed a revision): read the records again */
} sync_ctx;

static void part(sync_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void part(sync_ctx *x, const char *fmt, ...)
{
	va_list ap;
	if (x->line.len)
		kd_buf_puts(&x->line, "; ");
	va_start(ap, fmt);
	kd_buf_vprintf(&x->line, fmt, ap);
	va_end(ap);
}

static void note(sync_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(sync_ctx *x, const char *fmt, ...)
{
	va_list ap;
	if (x->notes.len)
		kd_buf_puts(&x->notes, "; ");
	va_start(ap, fmt);
	kd_buf_vprintf(&x->notes, fmt, ap);
	va_end(ap);
}

static void revs_free(sync_ctx *x)
{
	kd_revision_list_free(x->revs, x->nrevs);
	x->revs = NULL;
	x->nrevs = 0;
	kd_pkg_free(x->installed);
	x->installed = NULL;
}

static int load_revs(sync_ctx *x)
{
	revs_free(x);
	return kd_revision_list(&x->revs, &x->nrevs, x->c, x->ns, x->instance);
}

static kd_revision *latest(const sync_ctx *x)
{
	return x->nrevs ? x->revs[x->nrevs - 1] : NULL;
}

static int installed_pkg(sync_ctx *x)
{
	return x->installed ? 0 : kd_revision_package(&x->installed, x->c, latest(x));
}

static kd_exec_state state_of(const kd_revision *r)
{
	return r->status ? r->status->h.state : KD_EXEC_NEVER_RUN;
}

static bool finished(const kd_revision *r)
{
	return state_of(r) == KD_EXEC_COMPLETE || state_of(r) == KD_EXEC_FATAL_ERROR;
}

static const char *str_or(const char *s, const char *dflt)
{
	return s && *s ? s : dflt;
}

/* ---- what git has ---------------------------------------------------------------------------- */

/* The package at the recorded URL, ref and path, as they resolve now. */
static int resolve_git(sync_ctx *x, kd_pkg **pkg, kd_pkg_origin *now, const kd_pkg_origin *was)
{
	kd_source_options so = x->o->source;
	so.git_url = was->url;
	so.git_ref = was->ref;
	so.git_path = was->path ? was->path : "";
	so.repo = so.operator_version = so.app_version = NULL;
	int rc = kd_source_load(pkg, now, NULL, &so);
	if (rc) {
		char *m = kd_strdup(str_or(kd_error_last(), "cannot load the package"));
		kd_error_set(kd_error_last_class(), "sync of instance %s/%s: %s", x->ns, x->instance, m);
		free(m);
	}
	return rc;
}

static void texts_free(kd_op_param_text *t, size_t n)
{
	for (size_t i = 0; t && i < n; i++) {
		free((char *)t[i].name);
		free((char *)t[i].text);
	}
	free(t);
}

static bool is_git_spec(const cJSON *s)
{
	return cJSON_IsString(s) && strncmp(s->valuestring, "git:", 4) == 0;
}

/* The recorded -P git:PATH files (in `specs`, the -P arguments as given), read at origin's
 * commit. Other -P files are not read again: their values are in the earlier user values. */
static int read_git_params(kd_op_param_text **out, size_t *n, const cJSON *specs, const kd_pkg_origin *origin,
	const kd_source_options *so)
{
	size_t cnt = 0, i = 0;
	const cJSON *s;
	int rc = 0;
	*out = NULL;
	*n = 0;
	cJSON_ArrayForEach(s, specs) cnt += is_git_spec(s);
	if (!cnt)
		return 0;
	kd_op_param_text *t = kd_calloc(cnt, sizeof(*t));
	cJSON_ArrayForEach(s, specs)
	{
		if (!is_git_spec(s))
			continue;
		char *data = NULL;
		size_t len = 0;
		if ((rc = kd_source_read_param_file(&data, &len, origin, s->valuestring, so)))
			break;
		t[i].name = kd_strdup(s->valuestring);
		t[i].text = data;
		t[i].len = len;
		i++;
	}
	if (rc) {
		texts_free(t, i);
		return rc;
	}
	*out = t;
	*n = i;
	return 0;
}

static bool same_texts(const kd_op_param_text *a, size_t na, const kd_op_param_text *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i].len != b[i].len || memcmp(a[i].text, b[i].text, a[i].len) != 0)
			return false;
	return true;
}

/* The earlier user values the old -P git: files gave (same value): what the files at the new
 * commit decide again, so that a key taken out of a file returns to its default. A value that
 * differs from the old file's came from a -p (or an update) and stays. */
static void forget_list(char ***out, size_t *n, const kd_pkg *installed, const kd_op_param_text *old, size_t nold,
	const cJSON *user)
{
	kd_params *p = NULL;
	*out = NULL;
	*n = 0;
	if (kd_params_new(&p, installed)) {
		kd_error_clear();
		return;
	}
	for (size_t i = 0; i < nold; i++)
		kd_params_add_file_text(p, old[i].name, old[i].text, old[i].len);
	kd_params_finish(p); /* a problem of the old files does not matter here */
	kd_error_clear();
	for (size_t i = 0; i < installed->nparams; i++) {
		const char *name = installed->params[i].name.str;
		if (!name || kd_params_source(p, name) != KD_PARAM_SRC_FILE)
			continue;
		const cJSON *was = kd_params_get(p, name), *u = kd_json_get(user, name);
		if (was && u && kd_json_equal(was, u)) {
			*out = kd_realloc(*out, (*n + 1) * sizeof(char *));
			(*out)[(*n)++] = kd_strdup(name);
		}
	}
	kd_params_free(p);
}

/* ---- drift ----------------------------------------------------------------------------------- */

static bool same_identity(const cJSON *obj, const kd_obj_diff *it)
{
	const cJSON *md = kd_json_get(obj, "metadata");
	const char *av = str_or(kd_json_get_str(obj, "apiVersion"), ""), *kind = str_or(kd_json_get_str(obj, "kind"), "");
	const char *ns = str_or(kd_json_get_str(md, "namespace"), ""), *name = kd_json_get_str(md, "name");
	const char *s1 = strchr(av, '/'), *s2 = strchr(it->api_version, '/');
	size_t g1 = s1 ? (size_t)(s1 - av) : 0, g2 = s2 ? (size_t)(s2 - it->api_version) : 0;
	return name && g1 == g2 && strncmp(av, it->api_version, g1) == 0 && strcmp(kind, it->kind) == 0 &&
	       strcmp(ns, it->namespace_) == 0 && strcmp(name, it->name) == 0;
}

/* Objects with only metadata.generateName get a new name each run: the diff cannot compare
 * them with anything live, so they are no drift. */
static bool generated(const kd_exec_plan *p, const kd_obj_diff *it)
{
	for (size_t i = 0; i < kd_exec_plan_size(p); i++) {
		const cJSON *o = kd_exec_plan_object(p, i, NULL, NULL);
		const cJSON *md = kd_json_get(o, "metadata");
		const char *name = kd_json_get_str(md, "name"), *gen = kd_json_get_str(md, "generateName");
		const char *kind = kd_json_get_str(o, "kind");
		if ((!name || !*name) && gen && kind && strcmp(gen, it->name) == 0 && strcmp(kind, it->kind) == 0)
			return true;
	}
	return false;
}

static size_t drifted(const kd_plan_diff *d)
{
	return d->changed + d->added + d->removed;
}

static void name_objects(kd_buf *b, const kd_plan_diff *d, bool with_change)
{
	size_t shown = 0, total = drifted(d);
	for (size_t i = 0; i < d->nitems && shown < 5; i++) {
		const kd_obj_diff *it = &d->items[i];
		if (it->change == KD_OBJ_UNCHANGED)
			continue;
		kd_buf_printf(b, "%s%s %s%s%s", shown ? ", " : "", it->kind, it->namespace_, *it->namespace_ ? "/" : "",
			it->name);
		if (with_change)
			kd_buf_printf(b, " (%s)",
				it->change == KD_OBJ_ADDED     ? "missing"
				: it->change == KD_OBJ_REMOVED ? "should be gone"
							       : "changed");
		shown++;
	}
	if (total > shown)
		kd_buf_printf(b, " and %zu more", total - shown);
}

/* The index of the last object of plan `p` that `it` is (what the diff compared), or SIZE_MAX. */
static size_t plan_index(const kd_exec_plan *p, const kd_obj_diff *it)
{
	size_t at = SIZE_MAX;
	for (size_t i = 0; i < kd_exec_plan_size(p); i++) {
		bool deleted = false;
		const cJSON *o = kd_exec_plan_object(p, i, &deleted, NULL);
		if (same_identity(o, it))
			at = deleted ? SIZE_MAX : i;
	}
	return at;
}

/* An object to re-apply: its index in the plan and in the diff. */
typedef struct {
	size_t plan, item;
} apply_at;

static int by_plan_order(const void *a, const void *b)
{
	size_t x = ((const apply_at *)a)->plan, y = ((const apply_at *)b)->plan;
	return x < y ? -1 : x > y;
}

/* The repair as its record keeps it. */
static cJSON *repair_entry(const kd_plan_diff *d, const bool *done, const char *commit)
{
	char t[64];
	cJSON *e = cJSON_CreateObject();
	kd_plans__fmt_time(t, sizeof(t), kd_plans__now_us());
	cJSON_AddStringToObject(e, "time", t);
	cJSON_AddStringToObject(e, "by", "sync");
	if (commit)
		cJSON_AddStringToObject(e, "commit", commit);
	cJSON *objs = cJSON_AddArrayToObject(e, "objects");
	for (size_t i = 0; i < d->nitems; i++) {
		const kd_obj_diff *it = &d->items[i];
		if (it->change == KD_OBJ_UNCHANGED || !done[i])
			continue;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "change",
			it->change == KD_OBJ_ADDED     ? "re-created"
			: it->change == KD_OBJ_REMOVED ? "deleted"
						       : "re-applied");
		cJSON_AddStringToObject(o, "apiVersion", it->api_version);
		cJSON_AddStringToObject(o, "kind", it->kind);
		if (*it->namespace_)
			cJSON_AddStringToObject(o, "namespace", it->namespace_);
		cJSON_AddStringToObject(o, "name", it->name);
		cJSON_AddItemToArray(objs, o);
	}
	return e;
}

/* Re-applies the drifted objects of revision `last` (server-side apply, taking back the fields
 * others changed), deletes those it should not have, notes it in the revision's record and waits
 * until the re-applied objects are ready and the deleted ones gone. Only these objects are
 * touched: no plan runs again (a plan may hold Jobs and steps that must not repeat, and the
 * revision's wanted state has not changed). Under the instance's lock, and only when no other
 * command recorded a revision since the comparison. */
static int repair(sync_ctx *x, const kd_revision *last, kd_exec_plan *plan, const kd_plan_diff *d)
{
	const kd_op_options *op = &x->o->op;
	kd_plan_lock *lock = NULL;
	kd_kube_client *rc_client = NULL;
	kd_revision *cur = NULL;
	kd_kube_ref *applied = NULL, *gone = NULL;
	size_t napplied = 0, ngone = 0, nidx = 0;
	apply_at *idx = kd_calloc(d->nitems ? d->nitems : 1, sizeof(*idx));
	bool *done = kd_calloc(d->nitems ? d->nitems : 1, sizeof(*done));
	int rc;
	kd_plan_lock_options lo = KD_PLAN_LOCK_OPTIONS_INIT;
	lo.command = str_or(op->command, "sync");
	kd_kube_client_options co = op->client_options;
	co.cancel = NULL; /* the record of what was applied is written even after Ctrl-C */
	if ((rc = kd_plan_lock_acquire(&lock, op->config, &co, x->ns, x->instance, &lo)))
		goto done;
	if ((rc = kd_kube_client_new(&rc_client, op->config, &co)))
		goto done;
	if ((rc = kd_revision_load(&cur, rc_client, x->ns, x->instance, 0)))
		goto done;
	if (cur->number != last->number) {
		rc = kd_error_set(KD_ERR_PLAN,
			"instance %s/%s changed while sync compared it (now at revision %ld): nothing was repaired; run "
			"sync again",
			x->ns, x->instance, cur->number);
		rc = KD_ECONFLICT;
		goto done;
	}
	/* deletions first (what the revision deletes or no longer has), then the plan's objects in
	 * plan order */
	for (size_t i = 0; i < d->nitems && !rc; i++) {
		const kd_obj_diff *it = &d->items[i];
		if (it->change == KD_OBJ_REMOVED) {
			kd_kube_ref ref = {it->api_version, it->kind, *it->namespace_ ? it->namespace_ : NULL, it->name, NULL};
			kd_kube_delete_options dopt = KD_KUBE_DELETE_OPTIONS_INIT;
			dopt.propagation_policy = "Background";
			rc = kd_kube_delete(x->c, &ref, &dopt);
			if (rc == KD_ENOTFOUND) {
				kd_error_clear();
				rc = 0;
			}
			if (rc) {
				char *m = kd_strdup(str_or(kd_error_last(), "refused"));
				kd_error_set(KD_ERR_PLAN, "repair of instance %s/%s: deleting %s %s%s%s: %s", x->ns, x->instance,
					it->kind, it->namespace_, *it->namespace_ ? "/" : "", it->name, m);
				free(m);
				break;
			}
			done[i] = true;
			gone = kd_realloc(gone, (ngone + 1) * sizeof(*gone));
			gone[ngone++] = ref;
		} else if (it->change == KD_OBJ_CHANGED || it->change == KD_OBJ_ADDED) {
			size_t at = plan_index(plan, it);
			if (at != SIZE_MAX) {
				idx[nidx].plan = at;
				idx[nidx++].item = i;
			}
		}
	}
	qsort(idx, nidx, sizeof(*idx), by_plan_order);
	for (size_t k = 0; k < nidx && !rc; k++) {
		const char *tname = NULL;
		const cJSON *obj = kd_exec_plan_object(plan, idx[k].plan, NULL, &tname);
		kd_kube_apply_options ao = KD_KUBE_APPLY_OPTIONS_INIT;
		ao.force = true; /* repairing is taking the revision's fields back */
		cJSON *got = NULL;
		rc = kd_kube_apply(&got, x->c, obj, &ao);
		if (rc) {
			char *m = kd_strdup(str_or(kd_error_last(), "refused"));
			kd_error_set(KD_ERR_PLAN, "repair of instance %s/%s: templates/%s: %s", x->ns, x->instance,
				str_or(tname, "?"), m);
			free(m);
		} else {
			/* borrowed from the plan's object (prepared with its namespace), which outlives the waits */
			const cJSON *md = kd_json_get(obj, "metadata");
			kd_kube_ref ref = {kd_json_get_str(obj, "apiVersion"), kd_json_get_str(obj, "kind"),
				kd_json_get_str(md, "namespace"), kd_json_get_str(md, "name"), NULL};
			applied = kd_realloc(applied, (napplied + 1) * sizeof(*applied));
			applied[napplied++] = ref;
			done[idx[k].item] = true;
		}
		cJSON_Delete(got);
	}
	/* what was done is recorded, also when a write above failed halfway */
	if (napplied || ngone) {
		if (!cur->repairs)
			cur->repairs = cJSON_CreateArray();
		cJSON_AddItemToArray(cur->repairs, repair_entry(d, done, x->res->commit));
		char *keep = rc ? kd_strdup(str_or(kd_error_last(), "")) : NULL;
		int src = kd_revision_save(rc_client, cur, false);
		if (keep) {
			kd_error_set(KD_ERR_PLAN, "%s", keep);
			free(keep);
		} else {
			rc = src;
		}
	}
	if (rc)
		goto done;
	long timeout = op->timeout_ms > 0 ? op->timeout_ms : 600000;
	if (ngone) {
		kd_kube_wait_options wo = KD_KUBE_WAIT_OPTIONS_INIT;
		wo.predicate = kd_kube_wait_deleted;
		wo.timeout_ms = timeout;
		rc = kd_kube_wait(x->c, gone, ngone, &wo);
	}
	if (!rc && napplied) {
		kd_kube_wait_options wo = KD_KUBE_WAIT_OPTIONS_INIT;
		wo.timeout_ms = timeout;
		rc = kd_kube_wait(x->c, applied, napplied, &wo);
	}
	if (rc) {
		char *m = kd_strdup(str_or(kd_error_last(), "failed"));
		kd_error_set(KD_ERR_PLAN, "repair of instance %s/%s: the objects were re-applied (and recorded), but %s",
			x->ns, x->instance, rc == KD_ECANCELED ? "the wait for them was interrupted" : m);
		free(m);
	}
done:
	kd_plan_lock_release(lock);
	kd_revision_free(cur);
	kd_kube_client_free(rc_client);
	free(applied);
	free(gone);
	free(idx);
	free(done);
	return rc;
}

/* The same commit (or nothing new at the new one): the live objects against the latest revision. */
static int compare_live(sync_ctx *x)
{
	kd_revision *last = latest(x);
	kd_exec_plan *plan = NULL;
	kd_plan_diff *d = NULL;
	int rc = 0;
	kd_sync_result *res = x->res;
	res->revision = last->number;
	if (!finished(last)) {
		if (!x->o->repair) {
			part(x,
				"drifted: revision %ld (plan %s) has not finished (%s): `plan resume` or `sync --repair` continues it",
				last->number, last->plan, kd_exec_state_name(state_of(last)));
			res->outcome = KD_SYNC_DRIFTED;
			return 0;
		}
		kd_op_options op = x->o->op;
		op.instance = x->instance;
		op.namespace_ = x->ns;
		kd_op_result r = {0};
		res->action = "resume";
		rc = kd_op_resume(&r, &op);
		if (rc == 0) {
			res->revision = r.revision;
			part(x, "resumed: revision %ld, plan %s %s", r.revision, str_or(r.plan, last->plan),
				kd_exec_state_name(r.state));
			if (!x->pending)
				res->outcome = KD_SYNC_APPLIED;
		}
		kd_op_result_clear(&r);
		return rc;
	}
	if (state_of(last) == KD_EXEC_FATAL_ERROR)
		return kd_error_set(KD_ERR_PLAN,
			       "instance %s/%s: its latest revision %ld (%s of %s %s, plan %s) ended in FATAL_ERROR%s%s; sync "
			       "compares only a COMPLETE revision: push a fix to git (a new operatorVersion or parameter "
			       "file), `plan resume` it, or `rollback`",
			       x->ns, x->instance, last->number, str_or(last->operation, "?"), str_or(last->operator_name, ""),
			       str_or(last->operator_version, ""), last->plan, last->status->h.message ? ": " : "",
			       last->status->h.message ? last->status->h.message : ""),
		       KD_ERROR;
	if ((rc = installed_pkg(x)))
		return rc;
	if ((rc = kd_exec_prepare(&plan, x->installed, last, x->c)))
		goto done;
	kd_plan_diff_options dopts = KD_PLAN_DIFF_OPTIONS_INIT;
	/* A field someone changed by hand belongs to their field manager now: compare with what the
	 * revision's apply would take back, not fail on the conflict. */
	dopts.force_conflicts = true;
	if ((rc = kd_plan_diff_run(&d, plan, last, x->revs, x->nrevs, x->c, &dopts)))
		goto done;
	for (size_t i = 0; i < d->nitems; i++) {
		kd_obj_diff *it = &d->items[i];
		if (it->change == KD_OBJ_ADDED && generated(plan, it)) {
			it->change = KD_OBJ_UNCHANGED;
			d->added--;
		}
	}
	res->drift_revision = last->number;
	if (drifted(d) == 0) {
		if (!x->pending) {
			const char *commit = kd_json_get_str(last->source, "commit");
			part(x, "in sync: revision %ld (%s %s, plan %s)", last->number, str_or(last->operator_name, ""),
				str_or(last->operator_version, ""), last->plan);
			if (commit)
				kd_buf_printf(&x->line, " at commit %.12s", commit);
			kd_buf_printf(&x->line, "; %zu object%s match%s the live ones", d->unchanged, d->unchanged == 1 ? "" : "s",
				d->unchanged == 1 ? "es" : "");
			res->outcome = KD_SYNC_IN_SYNC;
		} else {
			part(x, "the live objects match revision %ld", last->number);
		}
		goto done;
	}
	kd_buf names = KD_BUF_INIT;
	name_objects(&names, d, true);
	if (!x->o->repair) {
		part(x, "drifted: %zu of %zu objects differ from revision %ld: %s; not repaired (--repair re-applies %s)",
			drifted(d), drifted(d) + d->unchanged, last->number, kd_buf_cstr(&names), drifted(d) == 1 ? "it" : "them");
		res->outcome = KD_SYNC_DRIFTED;
		kd_buf_free(&names);
	} else {
		kd_buf_free(&names);
		res->action = "repair";
		if ((rc = repair(x, last, plan, d)))
			goto done;
		kd_buf_clear(&names);
		name_objects(&names, d, false);
		part(x, "repaired: %zu object%s back to revision %ld (%s), recorded in revision %ld", drifted(d),
			drifted(d) == 1 ? "" : "s", last->number, kd_buf_cstr(&names), last->number);
		kd_buf_free(&names);
		if (!x->pending)
			res->outcome = KD_SYNC_APPLIED;
	}
	res->drift = d;
	d = NULL;
done:
	kd_plan_diff_free(d);
	kd_exec_plan_free(plan);
	return rc;
}

/* ---- one run --------------------------------------------------------------------------------- */

static int open_ctx(sync_ctx *x, const kd_sync_options *o, kd_sync_result *res)
{
	memset(x, 0, sizeof(*x));
	x->o = o;
	x->res = res;
	x->instance = o->op.instance;
	kd_kube_client_options co = o->op.client_options;
	co.discovery_settle_ms = -1; /* an unserved kind is an answer, not a wait */
	int rc = kd_kube_client_new(&x->c, o->op.config, &co);
	if (rc)
		return rc;
	x->ns = o->op.namespace_ && *o->op.namespace_ ? o->op.namespace_ : kd_kube_client_namespace(x->c);
	return 0;
}

/* git moved on to `now` (another commit than `was`): upgrade, update, or nothing for this
 * instance. *handled false: go on to compare the live objects. */
static int follow_git(sync_ctx *x, bool *handled, kd_pkg *pkg, const kd_pkg_origin *now, const kd_pkg_origin *was)
{
	kd_revision *last = latest(x);
	kd_op_param_text *nt = NULL, *ot = NULL;
	size_t nnew = 0, nold = 0, nforget = 0, nspecs = 0;
	char **forget = NULL, **specs = NULL;
	cJSON *source = NULL;
	kd_op_result r = {0};
	kd_source_options so = x->o->source;
	int rc;
	*handled = false;
	if ((rc = installed_pkg(x)))
		goto done;
	const cJSON *pspecs = kd_json_get(last->source, "parameterFiles");
	if ((rc = read_git_params(&nt, &nnew, pspecs, now, &so))) {
		char *m = kd_strdup(str_or(kd_error_last(), ""));
		kd_error_set(kd_error_last_class(), "sync of instance %s/%s: at commit %.12s: %s", x->ns, x->instance,
			now->commit, m);
		free(m);
		goto done;
	}
	bool old_known = true;
	if (nnew && read_git_params(&ot, &nold, pspecs, was, &so)) {
		/* the recorded commit is gone (a force-push): every value is decided again */
		kd_error_clear();
		old_known = false;
	}
	int cmp = kd_plans__semver_compare(pkg->operator_version.str, last->operator_version);
	bool same_pkg = cmp == 0 && kd_pkg_same_files(pkg, x->installed);
	bool params_changed = nnew && (!old_known || !same_texts(nt, nnew, ot, nold));
	if (same_pkg && !params_changed) {
		note(x, "commit %.12s has nothing new for the instance (revision %ld recorded %.12s)", now->commit,
			last->number, was->commit);
		goto done;
	}
	const char *vold = str_or(last->operator_version, "?"), *vnew = str_or(pkg->operator_version.str, "?");
	if (!x->o->force) {
		kd_buf why = KD_BUF_INIT;
		if (last->operation && strcmp(last->operation, "rollback") == 0)
			kd_buf_printf(&why,
				"revision %ld is a rollback (to revision %ld): sync leaves a rolled-back instance where it is "
				"until --force (or an upgrade or update) moves it on",
				last->number, last->rollback_of);
		else if (cmp < 0)
			kd_buf_printf(&why, "it has %s %s, older than the installed %s: sync downgrades only with --force",
				pkg->name.str, vnew, vold);
		else if (cmp == 0 && !same_pkg)
			kd_buf_printf(&why,
				"its package files differ from the installed %s %s under the same operatorVersion: bump "
				"operatorVersion, or apply it with --force (an upgrade to the same version)",
				pkg->name.str, vold);
		if (why.len) {
			part(x, "pending: commit %.12s (%s) not applied: %s", now->commit, str_or(now->repo, str_or(now->ref, "HEAD")),
				kd_buf_cstr(&why));
			kd_buf_free(&why);
			x->pending = true;
			x->res->outcome = KD_SYNC_PENDING;
			goto done;
		}
		kd_buf_free(&why);
	}
	if (old_known)
		forget_list(&forget, &nforget, x->installed, ot, nold, last->user_params);
	const cJSON *s;
	cJSON_ArrayForEach(s, pspecs)
	{
		if (!cJSON_IsString(s))
			continue;
		specs = kd_realloc(specs, (nspecs + 1) * sizeof(char *));
		specs[nspecs++] = kd_strdup(s->valuestring);
	}
	source = kd_pkg_origin_to_json(now);
	if (pspecs && !nspecs)
		cJSON_AddItemToObject(source, "parameterFiles", cJSON_CreateArray());
	kd_op_options op = x->o->op;
	op.instance = x->instance;
	op.namespace_ = x->ns;
	op.pflags = NULL;
	op.npflags = 0;
	op.pfiles = NULL;
	op.npfiles = 0;
	op.ptexts = nt;
	op.nptexts = nnew;
	op.pspecs = (const char *const *)specs;
	op.npspecs = nspecs;
	op.source = source;
	op.forget = (const char *const *)forget;
	op.nforget = nforget;
	op.force = x->o->force;
	op.dry_run = false;
	bool upgrade = !same_pkg;
	x->res->action = upgrade ? "upgrade" : "update"; /* also when it fails: a plan may have run */
	rc = upgrade ? kd_op_upgrade(&r, pkg, &op) : kd_op_update(&r, &op);
	if (rc)
		goto done;
	if (r.noop) {
		x->res->action = "none";
		x->reload = true;
		note(x, "commit %.12s changed %s but no parameter value (revision %ld stays)", now->commit,
			nnew == 1 ? nt[0].name : "the parameter files", last->number);
		goto done;
	}
	*handled = true;
	x->res->revision = r.revision;
	x->res->outcome = KD_SYNC_APPLIED;
	kd_revision *nr = NULL;
	kd_buf changed = KD_BUF_INIT;
	if (kd_revision_load(&nr, x->c, x->ns, x->instance, r.revision) == 0) {
		const cJSON *v;
		cJSON_ArrayForEach(v, nr->changed) if (cJSON_IsString(v))
			kd_buf_printf(&changed, "%s%s", changed.len ? ", " : "", v->valuestring);
	}
	kd_error_clear();
	kd_revision_free(nr);
	if (upgrade)
		part(x, "upgraded: revision %ld, %s %s -> %s (plan %s %s) at commit %.12s (%s)", r.revision, pkg->name.str,
			vold, vnew, str_or(r.plan, "?"), kd_exec_state_name(r.state), now->commit,
			str_or(now->repo, str_or(now->ref, "HEAD")));
	else
		part(x, "updated: revision %ld, plan %s %s; changed parameters: %s (from %s at commit %.12s)", r.revision,
			str_or(r.plan, "?"), kd_exec_state_name(r.state), changed.len ? kd_buf_cstr(&changed) : "none",
			nnew == 1 ? nt[0].name : "the parameter files", now->commit);
	kd_buf_free(&changed);
done:
	kd_op_result_clear(&r);
	texts_free(nt, nnew);
	texts_free(ot, nold);
	for (size_t i = 0; i < nforget; i++)
		free(forget[i]);
	free(forget);
	for (size_t i = 0; i < nspecs; i++)
		free(specs[i]);
	free(specs);
	cJSON_Delete(source);
	return rc;
}

int kd_sync_once(kd_sync_result *res, const kd_sync_options *o)
{
	sync_ctx x;
	kd_pkg *pkg = NULL;
	kd_pkg_origin was, now;
	memset(&was, 0, sizeof(was));
	memset(&now, 0, sizeof(now));
	memset(res, 0, sizeof(*res));
	res->action = "none";
	if (!o->op.instance)
		return kd_error_set(KD_ERR_USAGE, "sync needs --instance NAME"), KD_EUSAGE;
	int rc = open_ctx(&x, o, res);
	if (rc)
		goto done;
	if ((rc = load_revs(&x)))
		goto done;
	kd_revision *last = latest(&x);
	if (!last) {
		if ((rc = kd_plan_lock_check(x.c, x.ns, x.instance)) == 0) {
			kd_error_set(KD_ERR_PLAN, "instance %s/%s does not exist", x.ns, x.instance);
			rc = KD_ENOTFOUND;
		}
		goto done;
	}
	res->revision = last->number;
	if (last->uninstalled_us) {
		kd_error_set(KD_ERR_PLAN,
			"instance %s/%s was uninstalled with --keep-history (revision %ld): there is nothing to keep in "
			"sync; install it again",
			x.ns, x.instance, last->number);
		rc = KD_ENOTFOUND;
		goto done;
	}
	/* a command running the instance right now: look again later */
	if (!finished(last) && (rc = kd_plan_lock_check(x.c, x.ns, x.instance)))
		goto done;
	kd_pkg_origin_from_json(&was, last->source);
	kd_error_clear();
	bool git = was.kind && strcmp(was.kind, "git") == 0 && was.url && was.commit;
	if (!git) {
		note(&x, "its package is not from git (%s%s%s): there is no ref to follow, only the live objects are compared",
			str_or(was.kind, "source not recorded"), was.source ? " " : "", was.source ? was.source : "");
	} else {
		if ((rc = resolve_git(&x, &pkg, &now, &was)))
			goto done;
		res->commit = kd_strdup(now.commit);
		bool handled = false;
		if (strcmp(now.commit, was.commit) != 0) {
			if ((rc = follow_git(&x, &handled, pkg, &now, &was)))
				goto done;
			if (handled)
				goto done;
			/* an update that changed nothing may have resumed a revision first: read again */
			if (x.reload && (rc = load_revs(&x)))
				goto done;
		}
	}
	rc = compare_live(&x);
done:
	if (rc == 0) {
		if (!x.line.len)
			part(&x, "%s", kd_sync_outcome_name(res->outcome));
		if (x.notes.len)
			kd_buf_printf(&x.line, "; %s", kd_buf_cstr(&x.notes));
		res->summary = kd_buf_detach(&x.line);
	}
	kd_buf_free(&x.line);
	kd_buf_free(&x.notes);
	kd_pkg_free(pkg);
	kd_pkg_origin_clear(&was);
	kd_pkg_origin_clear(&now);
	revs_free(&x);
	kd_kube_client_free(x.c);
	if (rc) {
		free(res->commit);
		res->commit = NULL;
	}
	return rc;
}
