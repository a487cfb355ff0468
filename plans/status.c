/* The plan status tree: building it from a package's plan, its JSON form in revision records,
 * and drawing it the way KUDO's `plan status` does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/json.h"
#include "plans.h"
#include "plans_internal.h"

static const char *const state_names[] = {"NEVER_RUN", "PENDING", "IN_PROGRESS", "COMPLETE", "ERROR", "FATAL_ERROR"};

const char *kd_exec_state_name(kd_exec_state s)
{
	return (size_t)s < KD_ARRAY_SIZE(state_names) ? state_names[s] : "UNKNOWN";
}

int kd_exec_state_parse(kd_exec_state *out, const char *s)
{
	for (size_t i = 0; s && i < KD_ARRAY_SIZE(state_names); i++)
		if (strcmp(s, state_names[i]) == 0)
			return *out = (kd_exec_state)i, 0;
	return KD_EINVALID;
}

static void head_init(kd_status_head *h, const char *name)
{
	memset(h, 0, sizeof(*h));
	h->name = kd_strdup(name ? name : "");
}

static void head_free(kd_status_head *h)
{
	free(h->name);
	free(h->message);
}

int kd_plan_status_new(kd_plan_status **out, const kd_pkg *pkg, const char *plan_name)
{
	*out = NULL;
	const kd_pkg_plan *pl = kd_pkg_find_plan(pkg, plan_name);
	if (!pl) {
		kd_buf names = KD_BUF_INIT;
		for (size_t i = 0; i < pkg->nplans; i++)
			kd_buf_printf(&names, "%s%s", i ? ", " : "", pkg->plans[i].name.str);
		kd_error_set(KD_ERR_USAGE, "operator %s has no plan \"%s\" (plans: %s)", pkg->name.str ? pkg->name.str : "",
			plan_name, kd_buf_cstr(&names));
		kd_buf_free(&names);
		return KD_ENOTFOUND;
	}
	kd_plan_status *st = kd_calloc(1, sizeof(*st));
	head_init(&st->h, plan_name);
	st->strategy = pl->strategy;
	st->nphases = pl->nphases;
	st->phases = kd_calloc(pl->nphases, sizeof(*st->phases));
	for (size_t h = 0; h < pl->nphases; h++) {
		const kd_pkg_phase *ph = &pl->phases[h];
		kd_phase_status *ps = &st->phases[h];
		head_init(&ps->h, ph->name.str);
		ps->strategy = ph->strategy;
		ps->nsteps = ph->nsteps;
		ps->steps = kd_calloc(ph->nsteps, sizeof(*ps->steps));
		for (size_t s = 0; s < ph->nsteps; s++) {
			const kd_pkg_step *stp = &ph->steps[s];
			kd_step_status *ss = &ps->steps[s];
			head_init(&ss->h, stp->name.str);
			ss->ntasks = stp->ntasks;
			ss->tasks = kd_calloc(stp->ntasks, sizeof(*ss->tasks));
			for (size_t k = 0; k < stp->ntasks; k++) {
				const kd_pkg_task *t = kd_pkg_find_task(pkg, stp->tasks[k].str ? stp->tasks[k].str : "");
				head_init(&ss->tasks[k].h, stp->tasks[k].str);
				ss->tasks[k].kind = kd_strdup(t ? kd_pkg_task_kind_name(t->kind) : "");
			}
		}
	}
	*out = st;
	return 0;
}

void kd_plans__step_waiting_clear(kd_step_status *ss)
{
	for (size_t i = 0; i < ss->nwaiting; i++)
		free(ss->waiting[i]);
	free(ss->waiting);
	ss->waiting = NULL;
	ss->nwaiting = 0;
}

void kd_plan_status_free(kd_plan_status *st)
{
	if (!st)
		return;
	for (size_t h = 0; h < st->nphases; h++) {
		kd_phase_status *ps = &st->phases[h];
		for (size_t s = 0; s < ps->nsteps; s++) {
			kd_step_status *ss = &ps->steps[s];
			for (size_t k = 0; k < ss->ntasks; k++) {
				head_free(&ss->tasks[k].h);
				free(ss->tasks[k].kind);
			}
			free(ss->tasks);
			kd_plans__step_waiting_clear(ss);
			head_free(&ss->h);
		}
		free(ps->steps);
		head_free(&ps->h);
	}
	free(st->phases);
	head_free(&st->h);
	free(st);
}

/* ---- times ---------------------------------------------------------------------------------- */

void kd_plans__fmt_time(char *buf, size_t size, int64_t us)
{
	/* Seconds rounded down, not toward zero: before 1970 the fraction still counts up from the
	 * second before. The year has four digits, as RFC 3339 (and the parser) wants them. */
	int64_t secs = us / 1000000, frac = us % 1000000;
	if (frac < 0) {
		secs--;
		frac += 1000000;
	}
	time_t t = (time_t)secs;
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	gmtime_r(&t, &tm);
	snprintf(buf, size, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", (long long)tm.tm_year + 1900, tm.tm_mon + 1,
		tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(frac / 1000));
}

int64_t kd_plans__now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void add_time(cJSON *o, const char *key, int64_t us)
{
	if (!us)
		return;
	char b[64];
	kd_plans__fmt_time(b, sizeof(b), us);
	cJSON_AddStringToObject(o, key, b);
}

static int64_t get_time(const cJSON *o, const char *key)
{
	int64_t us = 0;
	const char *s = kd_json_get_str(o, key);
	if (s && kd_kube_time_parse(&us, s) != 0)
		us = 0;
	return us;
}

static void head_to_json(cJSON *o, const kd_status_head *h)
{
	cJSON_AddStringToObject(o, "name", h->name);
	cJSON_AddStringToObject(o, "status", kd_exec_state_name(h->state));
	if (h->message && *h->message)
		cJSON_AddStringToObject(o, "message", h->message);
	add_time(o, "started", h->started_us);
	add_time(o, "finished", h->finished_us);
}

static int head_from_json(kd_status_head *h, const cJSON *o, const char *what)
{
	const char *name = kd_json_get_str(o, "name");
	const char *state = kd_json_get_str(o, "status");
	memset(h, 0, sizeof(*h));
	h->name = kd_strdup(name ? name : "");
	if (!name || kd_exec_state_parse(&h->state, state))
		return kd_error_set(KD_ERR_PLAN, "revision record: %s without a name or a known status", what), KD_EINVALID;
	const char *m = kd_json_get_str(o, "message");
	h->message = m ? kd_strdup(m) : NULL;
	h->started_us = get_time(o, "started");
	h->finished_us = get_time(o, "finished");
	return 0;
}

cJSON *kd_plan_status_to_json(const kd_plan_status *st)
{
	cJSON *o = cJSON_CreateObject();
	head_to_json(o, &st->h);
	cJSON_AddStringToObject(o, "strategy", kd_pkg_strategy_name(st->strategy));
	cJSON *phases = cJSON_AddArrayToObject(o, "phases");
	for (size_t h = 0; h < st->nphases; h++) {
		const kd_phase_status *ps = &st->phases[h];
		cJSON *p = cJSON_CreateObject();
		head_to_json(p, &ps->h);
		cJSON_AddStringToObject(p, "strategy", kd_pkg_strategy_name(ps->strategy));
		cJSON *steps = cJSON_AddArrayToObject(p, "steps");
		for (size_t s = 0; s < ps->nsteps; s++) {
			const kd_step_status *ss = &ps->steps[s];
			cJSON *so = cJSON_CreateObject();
			head_to_json(so, &ss->h);
			if (ss->attempts)
				cJSON_AddNumberToObject(so, "attempts", ss->attempts);
			cJSON *tasks = cJSON_AddArrayToObject(so, "tasks");
			for (size_t k = 0; k < ss->ntasks; k++) {
				cJSON *t = cJSON_CreateObject();
				head_to_json(t, &ss->tasks[k].h);
				cJSON_AddStringToObject(t, "kind", ss->tasks[k].kind);
				cJSON_AddItemToArray(tasks, t);
			}
			cJSON_AddItemToArray(steps, so);
		}
		cJSON_AddItemToArray(phases, p);
	}
	return o;
}

static kd_pkg_strategy strategy_from(const cJSON *o)
{
	const char *s = kd_json_get_str(o, "strategy");
	if (s && strcmp(s, "serial") == 0)
		return KD_STRATEGY_SERIAL;
	if (s && strcmp(s, "parallel") == 0)
		return KD_STRATEGY_PARALLEL;
	return KD_STRATEGY_DEFAULT;
}

int kd_plan_status_from_json(kd_plan_status **out, const cJSON *json)
{
	kd_plan_status *st = kd_calloc(1, sizeof(*st));
	int rc = head_from_json(&st->h, json, "plan");
	*out = NULL;
	st->strategy = strategy_from(json);
	const cJSON *phases = kd_json_get(json, "phases");
	st->nphases = (size_t)cJSON_GetArraySize(phases);
	st->phases = kd_calloc(st->nphases ? st->nphases : 1, sizeof(*st->phases));
	for (size_t h = 0; rc == 0 && h < st->nphases; h++) {
		const cJSON *p = cJSON_GetArrayItem(phases, (int)h);
		kd_phase_status *ps = &st->phases[h];
		rc = head_from_json(&ps->h, p, "phase");
		ps->strategy = strategy_from(p);
		const cJSON *steps = kd_json_get(p, "steps");
		ps->nsteps = (size_t)cJSON_GetArraySize(steps);
		ps->steps = kd_calloc(ps->nsteps ? ps->nsteps : 1, sizeof(*ps->steps));
		for (size_t s = 0; rc == 0 && s < ps->nsteps; s++) {
			const cJSON *so = cJSON_GetArrayItem(steps, (int)s);
			kd_step_status *ss = &ps->steps[s];
			rc = head_from_json(&ss->h, so, "step");
			const cJSON *a = kd_json_get(so, "attempts");
			ss->attempts = cJSON_IsNumber(a) && a->valuedouble >= 0 && a->valuedouble < 1e9 ? (int)a->valuedouble : 0;
			const cJSON *tasks = kd_json_get(so, "tasks");
			ss->ntasks = (size_t)cJSON_GetArraySize(tasks);
			ss->tasks = kd_calloc(ss->ntasks ? ss->ntasks : 1, sizeof(*ss->tasks));
			for (size_t k = 0; rc == 0 && k < ss->ntasks; k++) {
				const cJSON *t = cJSON_GetArrayItem(tasks, (int)k);
				rc = head_from_json(&ss->tasks[k].h, t, "task");
				const char *kind = kd_json_get_str(t, "kind");
				ss->tasks[k].kind = kd_strdup(kind ? kind : "");
			}
		}
	}
	if (rc) {
		kd_plan_status_free(st);
		return rc;
	}
	*out = st;
	return 0;
}

/* ---- drawing -------------------------------------------------------------------------------- */

static const char *color_of(kd_exec_state s)
{
	switch (s) {
	case KD_EXEC_COMPLETE:
		return "\033[32m";
	case KD_EXEC_IN_PROGRESS:
	case KD_EXEC_PENDING:
		return "\033[33m";
	case KD_EXEC_ERROR:
	case KD_EXEC_FATAL_ERROR:
		return "\033[31m";
	default:
		return "\033[2m";
	}
}

void kd_plans__fmt_duration(char *buf, size_t size, int64_t us)
{
	long s = (long)(us / 1000000);
	if (us < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, size, "%lds", s);
	else if (s < 3600)
		snprintf(buf, size, "%ldm%02lds", s / 60, s % 60);
	else
		snprintf(buf, size, "%ldh%02ldm", s / 3600, (s / 60) % 60);
}

static void put_head(kd_buf *out, const kd_status_head *h, const kd_plan_status_print_options *o)
{
	if (o->color)
		kd_buf_printf(out, "[%s%s\033[0m]", color_of(h->state), kd_exec_state_name(h->state));
	else
		kd_buf_printf(out, "[%s]", kd_exec_state_name(h->state));
	if (o->now_us && h->started_us) {
		char d[32];
		int64_t end = h->finished_us ? h->finished_us : o->now_us;
		kd_plans__fmt_duration(d, sizeof(d), end - h->started_us);
		kd_buf_printf(out, " %s", d);
	}
	if (h->message && *h->message) {
		kd_buf_puts(out, " (");
		kd_buf_put_printable(out, h->message);
		kd_buf_puts(out, ")");
	}
}

static const char *strategy_word(kd_pkg_strategy s)
{
	/* An empty strategy runs as parallel in KUDO: say what happens. */
	return s == KD_STRATEGY_SERIAL ? "serial" : "parallel";
}

int kd_plan_status_print(kd_buf *out, const kd_plan_status *st, const kd_plan_status_print_options *o)
{
	kd_plan_status_print_options def = {0};
	if (!o)
		o = &def;
	if (o->instance)
		kd_buf_printf(out, "%s (Operator-Version: \"%s\" Active-Plan: \"%s\")\n", o->instance,
			o->operator_version ? o->operator_version : "", st->h.name);
	const char *ind0 = o->instance ? "└── " : "";
	const char *pad0 = o->instance ? "    " : "";
	kd_buf_printf(out, "%sPlan %s (%s strategy) ", ind0, st->h.name, strategy_word(st->strategy));
	put_head(out, &st->h, o);
	kd_buf_putc(out, '\n');
	for (size_t h = 0; h < st->nphases; h++) {
		const kd_phase_status *ps = &st->phases[h];
		bool last_phase = h + 1 == st->nphases;
		kd_buf_printf(out, "%s%sPhase %s (%s strategy) ", pad0, last_phase ? "└── " : "├── ", ps->h.name,
			strategy_word(ps->strategy));
		put_head(out, &ps->h, o);
		kd_buf_putc(out, '\n');
		const char *pad1 = last_phase ? "    " : "│   ";
		for (size_t s = 0; s < ps->nsteps; s++) {
			const kd_step_status *ss = &ps->steps[s];
			bool last_step = s + 1 == ps->nsteps;
			kd_buf_printf(out, "%s%s%sStep %s ", pad0, pad1, last_step ? "└── " : "├── ", ss->h.name);
			put_head(out, &ss->h, o);
			kd_buf_putc(out, '\n');
			const char *pad2 = last_step ? "    " : "│   ";
			size_t nw = ss->h.state == KD_EXEC_IN_PROGRESS || ss->h.state == KD_EXEC_ERROR ? ss->nwaiting : 0;
			size_t nt = o->tasks ? ss->ntasks : 0;
			for (size_t k = 0; k < nt; k++) {
				const kd_task_status *ts = &ss->tasks[k];
				bool last = k + 1 == nt && nw == 0;
				kd_buf_printf(out, "%s%s%s%sTask %s (%s) ", pad0, pad1, pad2, last ? "└── " : "├── ", ts->h.name,
					ts->kind);
				put_head(out, &ts->h, o);
				kd_buf_putc(out, '\n');
			}
			for (size_t w = 0; w < nw; w++) {
				kd_buf_printf(out, "%s%s%s%s", pad0, pad1, pad2, w + 1 == nw ? "└── " : "├── ");
				kd_buf_puts(out, "waiting: ");
				kd_buf_put_printable(out, ss->waiting[w]);
				kd_buf_putc(out, '\n');
			}
		}
	}
	return kd_buf_check(out, "plan status");
}

/* ---- versions ------------------------------------------------------------------------------- */

typedef struct {
	unsigned long long n[3];
	const char *pre; /* after '-', up to '+' or the end; NULL when none */
	size_t pre_len;
} semv;

static bool semv_parse(semv *v, const char *s)
{
	memset(v, 0, sizeof(*v));
	if (!s)
		return false;
	if (*s == 'v')
		s++;
	for (int i = 0; i < 3; i++) {
		if (*s < '0' || *s > '9')
			return false;
		char *end = NULL;
		v->n[i] = strtoull(s, &end, 10);
		s = end;
		if (*s != '.')
			break;
		s++;
	}
	if (*s == '-') {
		v->pre = ++s;
		while (*s && *s != '+')
			s++;
		v->pre_len = (size_t)(s - v->pre);
	}
	return *s == '\0' || *s == '+';
}

/* Masterminds/semver's order: numbers, then a release above its pre-releases, whose dot parts
 * compare numerically when both are numbers, else as text. */
int kd_plans__semver_compare(const char *a, const char *b)
{
	semv x, y;
	bool okx = semv_parse(&x, a), oky = semv_parse(&y, b);
	if (!okx || !oky)
		return okx == oky ? strcmp(a ? a : "", b ? b : "") : okx ? 1 : -1;
	for (int i = 0; i < 3; i++)
		if (x.n[i] != y.n[i])
			return x.n[i] < y.n[i] ? -1 : 1;
	if (!x.pre || !y.pre)
		return x.pre == y.pre ? 0 : x.pre ? -1 : 1;
	const char *p = x.pre, *q = y.pre, *pe = x.pre + x.pre_len, *qe = y.pre + y.pre_len;
	while (p < pe && q < qe) {
		const char *pd = memchr(p, '.', (size_t)(pe - p)), *qd = memchr(q, '.', (size_t)(qe - q));
		size_t pl = pd ? (size_t)(pd - p) : (size_t)(pe - p), ql = qd ? (size_t)(qd - q) : (size_t)(qe - q);
		bool pn = pl > 0 && strspn(p, "0123456789") >= pl, qn = ql > 0 && strspn(q, "0123456789") >= ql;
		int c;
		if (pn && qn)
			c = pl != ql ? (pl < ql ? -1 : 1) : memcmp(p, q, pl);
		else if (pn != qn)
			c = pn ? -1 : 1;
		else {
			c = memcmp(p, q, pl < ql ? pl : ql);
			if (!c && pl != ql)
				c = pl < ql ? -1 : 1;
		}
		if (c)
			return c < 0 ? -1 : 1;
		p += pl + (pd ? 1 : 0);
		q += ql + (qd ? 1 : 0);
	}
	return p < pe ? 1 : q < qe ? -1 : 0;
}

kd_plan_status *kd_plan_status_dup(const kd_plan_status *st)
{
	kd_plan_status *d = NULL;
	cJSON *j = kd_plan_status_to_json(st);
	int rc = kd_plan_status_from_json(&d, j);
	cJSON_Delete(j);
	if (rc) {
		kd_error_clear();
		return NULL;
	}
	/* what is not in the JSON form */
	for (size_t h = 0; h < st->nphases && h < d->nphases; h++)
		for (size_t s = 0; s < st->phases[h].nsteps && s < d->phases[h].nsteps; s++) {
			const kd_step_status *a = &st->phases[h].steps[s];
			kd_step_status *b = &d->phases[h].steps[s];
			b->retry_at_us = a->retry_at_us;
			b->nwaiting = a->nwaiting;
			b->waiting = a->nwaiting ? kd_calloc(a->nwaiting, sizeof(char *)) : NULL;
			for (size_t w = 0; w < a->nwaiting; w++)
				b->waiting[w] = kd_strdup(a->waiting[w]);
		}
	return d;
}

bool kd_plans__dns_label(const char *s)
{
	char why[256];
	/* the rule namespaces follow: one implementation, in kube/ */
	return s && kd_kube_check_namespace(why, sizeof(why), s) == 0;
}
