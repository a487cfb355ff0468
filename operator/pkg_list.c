/* `kubectl-kudo package list params|plans|tasks`: tables aligned like kubectl's (columns
 * separated by at least three spaces, no trailing space) and a plan tree like KUDO's. */
#include <stdlib.h>
#include <string.h>

#include "../base/json.h"
#include <stdint.h>
#include "operator.h"

typedef struct {
	char **cells; /* rows * cols */
	size_t rows, cols, cap;
} table;

/* A cell or tree label as the terminal should see it: control characters (C0, DEL, C1, which
 * ESC, OSC and CSI sequences start with) and bidirectional overrides escaped as Go's %q writes
 * them ("\x1b", "\u009b", "\u202e"), bytes that are not UTF-8 as "\xff". Takes `s`. */
static char *escaped(char *s)
{
	bool clean = true;
	for (const unsigned char *c = (const unsigned char *)s; *c && clean; c++)
		clean = *c >= 0x20 && *c < 0x7f;
	if (clean)
		return s;
	kd_buf b = KD_BUF_INIT;
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		int k = kd_utf8_decode(s + i, n - i, &cp);
		if (k <= 0)
			break;
		if (cp == 0xFFFD && k == 1 && (unsigned char)s[i] >= 0x80)
			kd_buf_printf(&b, "\\x%02x", (unsigned char)s[i]);
		else if (cp == '\t')
			kd_buf_puts(&b, "\\t");
		else if (cp == '\n')
			kd_buf_puts(&b, "\\n");
		else if (cp == '\r')
			kd_buf_puts(&b, "\\r");
		else if (cp < 0x20 || cp == 0x7f)
			kd_buf_printf(&b, "\\x%02x", (unsigned)cp);
		else if ((cp >= 0x80 && cp < 0xa0) || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
			cp == 0x200e || cp == 0x200f || cp == 0x061c)
			kd_buf_printf(&b, "\\u%04x", (unsigned)cp);
		else
			kd_buf_put(&b, s + i, (size_t)k);
		i += (size_t)k;
	}
	free(s);
	return kd_buf_detach(&b);
}

static void table_add(table *t, char **row)
{
	for (size_t c = 0; c < t->cols; c++)
		row[c] = escaped(row[c]);
	if (t->rows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = kd_realloc(t->cells, t->cap * t->cols * sizeof(char *));
	}
	memcpy(&t->cells[t->rows * t->cols], row, t->cols * sizeof(char *));
	t->rows++;
}

/* Display width: counts UTF-8 code points, not bytes. */
static size_t width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static int table_print(kd_buf *out, table *t)
{
	int rc = 0;
	size_t *w = kd_calloc(t->cols, sizeof(size_t));
	for (size_t r = 0; r < t->rows; r++)
		for (size_t c = 0; c < t->cols; c++) {
			size_t n = width(t->cells[r * t->cols + c]);
			if (n > w[c])
				w[c] = n;
		}
	for (size_t r = 0; r < t->rows && rc == 0; r++) {
		size_t last = t->cols;
		while (last > 1 && !t->cells[r * t->cols + last - 1][0])
			last--;
		for (size_t c = 0; c < last && rc == 0; c++) {
			const char *s = t->cells[r * t->cols + c];
			rc = kd_buf_puts(out, s);
			if (c + 1 < last)
				rc = rc ? rc : kd_buf_printf(out, "%*s", (int)(w[c] - width(s) + 3), "");
		}
		rc = rc ? rc : kd_buf_putc(out, '\n');
	}
	free(w);
	return rc;
}

static void table_free(table *t)
{
	for (size_t i = 0; i < t->rows * t->cols; i++)
		free(t->cells[i]);
	free(t->cells);
}

/* The first line of `s`, without trailing white space; "" for NULL. */
static char *first_line(const char *s)
{
	if (!s)
		return kd_strdup("");
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	size_t n = strcspn(s, "\r\n");
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return kd_strndup(s, n);
}

/* Cuts a cell to `max` code points, ending it with "..." when cut (a map default would
 * otherwise set the width of the whole column). */
static char *cut(char *s, size_t max)
{
	if (width(s) <= max)
		return s;
	size_t cps = 0, i = 0;
	for (; s[i]; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80 && ++cps > max - 3)
			break;
	s = kd_realloc(s, i + 4);
	memcpy(s + i, "...", 4);
	return s;
}

static char *value_text(const cJSON *v)
{
	char num[64];
	if (!v)
		return kd_strdup("");
	if (cJSON_IsString(v))
		return first_line(v->valuestring);
	if (cJSON_IsNumber(v))
		return kd_strdup(kd_json_fmt_float(num, sizeof num, v->valuedouble));
	if (cJSON_IsBool(v))
		return kd_strdup(cJSON_IsTrue(v) ? "true" : "false");
	char *p = cJSON_PrintUnformatted(v);
	char *r = kd_strdup(p ? p : "");
	free(p);
	return cut(r, 40);
}

static int cmp_param(const void *a, const void *b)
{
	const kd_pkg_param *x = *(const kd_pkg_param *const *)a, *y = *(const kd_pkg_param *const *)b;
	return strcmp(x->name.str, y->name.str);
}

int kd_pkg_list_params(kd_buf *out, const kd_pkg *pkg, unsigned flags)
{
	table t = {NULL, 0, (flags & KD_PKG_LIST_NAMES) ? 1 : 5, 0};
	const kd_pkg_param **ps = kd_calloc(pkg->nparams, sizeof(*ps));
	size_t n = 0;
	int rc;
	for (size_t i = 0; i < pkg->nparams; i++) {
		const kd_pkg_param *p = &pkg->params[i];
		if ((flags & KD_PKG_LIST_REQUIRED) && !kd_pkg_param_needs_value(p))
			continue;
		ps[n++] = p;
	}
	if (n > 1)
		qsort(ps, n, sizeof(*ps), cmp_param);
	if (flags & KD_PKG_LIST_NAMES) {
		char *row[1] = {kd_strdup("NAME")};
		table_add(&t, row);
	} else {
		char *row[5] = {kd_strdup("NAME"), kd_strdup("TYPE"), kd_strdup("DEFAULT"), kd_strdup("REQUIRED"),
			kd_strdup("DESCRIPTION")};
		table_add(&t, row);
	}
	for (size_t i = 0; i < n; i++) {
		const kd_pkg_param *p = ps[i];
		if (flags & KD_PKG_LIST_NAMES) {
			char *row[1] = {kd_strdup(p->name.str)};
			table_add(&t, row);
			continue;
		}
		/* An array or map without default has the default KUDO stores for it, YAML null (and so
		 * needs no value, whatever REQUIRED says: kd_pkg_param_needs_value). REQUIRED is the
		 * field, as KUDO's table shows it. */
		bool implicit = !p->default_value && (p->type == KD_PARAM_ARRAY || p->type == KD_PARAM_MAP);
		char *row[5] = {kd_strdup(p->name.str), kd_strdup(kd_param_type_name(p->type)),
			implicit ? kd_strdup("null") : value_text(p->default_value), kd_strdup(p->required ? "true" : "false"),
			first_line(p->description.str)};
		table_add(&t, row);
	}
	rc = table_print(out, &t);
	table_free(&t);
	free(ps);
	return rc;
}

/* Tree drawing as KUDO's CLI (treeprint) does it. */
static int branch(kd_buf *out, kd_buf *indent, bool last, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int branch(kd_buf *out, kd_buf *indent, bool last, const char *fmt, ...)
{
	va_list ap;
	kd_buf label = KD_BUF_INIT;
	int rc = kd_buf_printf(out, "%s%s ", kd_buf_cstr(indent), last ? "└──" : "├──");
	va_start(ap, fmt);
	kd_buf_vprintf(&label, fmt, ap);
	va_end(ap);
	char *l = escaped(kd_buf_detach(&label));
	rc = rc ? rc : kd_buf_puts(out, l);
	free(l);
	return rc ? rc : kd_buf_putc(out, '\n');
}

static const char *strategy_text(kd_pkg_strategy s)
{
	return s == KD_STRATEGY_SERIAL ? "serial" : "parallel";
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* ", health hooks/x.lua (timeout 5m0s, every 10s)" for a step or task that names a hook. */
static void health_text(kd_buf *out, const kd_pkg_health *h, const char *sep)
{
	if (!h->script.str)
		return;
	kd_buf_printf(out, "%shealth %s", sep, h->script.str);
	if (h->timeout_ms || h->interval_ms) {
		kd_buf_puts(out, " (");
		if (h->timeout_ms) {
			kd_buf_puts(out, "timeout ");
			kd_duration_format(out, (int64_t)h->timeout_ms * 1000000);
		}
		if (h->interval_ms) {
			kd_buf_puts(out, h->timeout_ms ? ", every " : "every ");
			kd_duration_format(out, (int64_t)h->interval_ms * 1000000);
		}
		kd_buf_putc(out, ')');
	}
}

int kd_pkg_list_plans(kd_buf *out, const kd_pkg *pkg)
{
	kd_buf ind = KD_BUF_INIT;
	int rc = kd_buf_puts(out, "plans\n");
	for (size_t i = 0; i < pkg->nplans && rc == 0; i++) {
		const kd_pkg_plan *pl = &pkg->plans[i];
		bool lp = i + 1 == pkg->nplans;
		kd_buf_truncate(&ind, 0);
		rc = branch(out, &ind, lp, "%s (%s)", pl->name.str, strategy_text(pl->strategy));
		kd_buf_puts(&ind, lp ? "    " : "│   ");
		size_t l1 = ind.len;
		for (size_t j = 0; j < pl->nphases && rc == 0; j++) {
			const kd_pkg_phase *ph = &pl->phases[j];
			bool lph = j + 1 == pl->nphases;
			kd_buf_truncate(&ind, l1);
			rc = branch(out, &ind, lph, "[phase] %s (%s)", or_empty(ph->name.str), strategy_text(ph->strategy));
			kd_buf_puts(&ind, lph ? "    " : "│   ");
			size_t l2 = ind.len;
			for (size_t k = 0; k < ph->nsteps && rc == 0; k++) {
				const kd_pkg_step *st = &ph->steps[k];
				bool ls = k + 1 == ph->nsteps;
				kd_buf_truncate(&ind, l2);
				kd_buf h = KD_BUF_INIT;
				health_text(&h, &st->health, " (");
				rc = branch(out, &ind, ls, "[step] %s%s%s", or_empty(st->name.str), kd_buf_cstr(&h),
					h.len ? ")" : "");
				kd_buf_puts(&ind, ls ? "    " : "│   ");
				for (size_t m = 0; m < st->ntasks && rc == 0; m++) {
					const kd_pkg_task *t = kd_pkg_find_task(pkg, st->tasks[m].str);
					kd_buf_clear(&h);
					if (t)
						health_text(&h, &t->health, ", ");
					rc = branch(out, &ind, m + 1 == st->ntasks, "[task] %s (%s%s)", st->tasks[m].str,
						t ? kd_pkg_task_kind_name(t->kind) : "undefined", kd_buf_cstr(&h));
				}
				kd_buf_free(&h);
			}
		}
	}
	kd_buf_free(&ind);
	return rc;
}

static char *task_resources(const kd_pkg_task *t)
{
	kd_buf b = KD_BUF_INIT;
	switch (t->kind) {
	case KD_TASK_APPLY:
	case KD_TASK_DELETE:
	case KD_TASK_TOGGLE:
		if (t->kind == KD_TASK_TOGGLE)
			kd_buf_printf(&b, "parameter=%s%s", or_empty(t->parameter.str), t->nresources ? " " : "");
		for (size_t i = 0; i < t->nresources; i++)
			kd_buf_printf(&b, "%s%s", i ? ", " : "", t->resources[i].str);
		break;
	case KD_TASK_PIPE:
		kd_buf_printf(&b, "pod=%s", or_empty(t->pod.str));
		for (size_t i = 0; i < t->npipes; i++)
			kd_buf_printf(&b, " %s->%s/%s", or_empty(t->pipes[i].file.str), or_empty(t->pipes[i].kind.str),
				or_empty(t->pipes[i].key.str));
		break;
	case KD_TASK_KUDO_OPERATOR:
		kd_buf_printf(&b, "package=%s", or_empty(t->package.str));
		if (t->operator_version.str)
			kd_buf_printf(&b, " operatorVersion=%s", t->operator_version.str);
		if (t->app_version.str)
			kd_buf_printf(&b, " appVersion=%s", t->app_version.str);
		if (t->instance_name.str)
			kd_buf_printf(&b, " instanceName=%s", t->instance_name.str);
		if (t->parameter_file.str)
			kd_buf_printf(&b, " parameterFile=%s", t->parameter_file.str);
		break;
	case KD_TASK_DUMMY:
		kd_buf_printf(&b, "done=%s wantErr=%s", t->done ? "true" : "false", t->want_err ? "true" : "false");
		break;
	}
	return kd_buf_detach(&b);
}

int kd_pkg_list_tasks(kd_buf *out, const kd_pkg *pkg)
{
	table t = {NULL, 0, 3, 0};
	int rc;
	char *hdr[3] = {kd_strdup("NAME"), kd_strdup("KIND"), kd_strdup("RESOURCES")};
	table_add(&t, hdr);
	for (size_t i = 0; i < pkg->ntasks; i++) {
		const kd_pkg_task *k = &pkg->tasks[i];
		char *row[3] = {kd_strdup(k->name.str), kd_strdup(kd_pkg_task_kind_name(k->kind)), task_resources(k)};
		table_add(&t, row);
	}
	rc = table_print(out, &t);
	table_free(&t);
	return rc;
}
