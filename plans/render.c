/* Rendering a plan offline: which templates a plan applies, with which template data, and the
 * objects they produce. */
#include <ctype.h>
#include <math.h>
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

/* Go's unicode.IsSpace, which strings.TrimSpace uses. */
static bool go_space(uint32_t c)
{
	switch (c) {
	case '\t': case '\n': case '\v': case '\f': case '\r': case ' ': case 0x85: case 0xA0: case 0x1680:
	case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
		return true;
	default:
		return c >= 0x2000 && c <= 0x200A;
	}
}

/* strings.TrimSpace(s) == "" */
static bool go_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t c;
		int k = kd_utf8_decode(s + i, n - i, &c);
		if (!go_space(c) || k <= 0)
			return false; /* an invalid byte decodes as U+FFFD, which is not a space */
		i += (size_t)k;
	}
	return true;
}

int kd_plan_split_documents(const char *text, size_t len, kd_doc_cb cb, void *ud)
{
	/* KUDO's renderer.YamlToObject: strings.Split(text, "\n---"), then every piece that is not
	 * blank after strings.TrimSpace is decoded as it is. A piece after the first begins with
	 * the rest of its separator's line, on that line. */
	size_t start = 0;
	int line = 1;
	for (;;) {
		size_t end = len;
		for (const char *nl = memchr(text + start, '\n', len - start); nl;
			nl = memchr(nl + 1, '\n', len - (size_t)(nl + 1 - text))) {
			size_t i = (size_t)(nl - text);
			if (len - i >= 4 && nl[1] == '-' && nl[2] == '-' && nl[3] == '-') {
				end = i;
				break;
			}
		}
		if (!go_blank(text + start, end - start)) {
			int rc = cb(text + start, end - start, line, ud);
			if (rc)
				return rc;
		}
		if (end == len)
			break;
		for (const char *nl = memchr(text + start, '\n', end + 1 - start); nl;
			nl = memchr(nl + 1, '\n', end - (size_t)(nl - text)))
			line++;
		start = end + 4;
	}
	return 0;
}

/* The length of the line at s (without its '\n'). */
static size_t line_len(const char *s, size_t n)
{
	const char *nl = memchr(s, '\n', n);
	return nl ? (size_t)(nl - s) : n;
}

/* A line holding only white space, or white space and a comment. */
static bool insignificant(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
		i++;
	return i == n || s[i] == '#';
}

/* Whether the line s[0..n) ends in a block scalar header ("|", ">-", "|2+", ... after a space
 * or at the line's start, then only white space or a comment). Errs towards yes. */
static bool block_header(const char *s, size_t n, size_t *at)
{
	/* most lines (a CRD's) hold neither indicator: memchr skips them many bytes at a time */
	if (!memchr(s, '|', n) && !memchr(s, '>', n))
		return false;
	for (size_t i = 0; i < n; i++) {
		if ((s[i] != '|' && s[i] != '>') || (i > 0 && s[i - 1] != ' ' && s[i - 1] != '\t'))
			continue;
		size_t j = i + 1;
		while (j < n && j < i + 3 && (s[j] == '+' || s[j] == '-' || (s[j] >= '1' && s[j] <= '9')))
			j++;
		/* libyaml takes a comment right after the indicators too ("|#x") */
		if (insignificant(s + j, n - j) && (j == n || s[j] == ' ' || s[j] == '\t' || s[j] == '\r' || s[j] == '#')) {
			*at = i;
			return true;
		}
	}
	return false;
}

/* Whether the scalar of a header at s[at] has its parent on this line ("key: |", "- |"), so
 * that a later line indented no more than this one ends it. A header alone on its line (or
 * after a tag or anchor) belongs to a node of an earlier line, whose indentation we do not
 * know. */
static bool parent_on_line(const char *s, size_t at)
{
	size_t e = at;
	while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	if (e == 0)
		return false;
	char c = s[e - 1];
	return c == ':' || ((c == '-' || c == '?') && (e == 1 || s[e - 2] == ' ' || s[e - 2] == '\t'));
}

static bool white(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

static size_t indent_of(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && s[i] == ' ')
		i++;
	return i;
}

/* Whether s[0..n) holds a NEL (C2 85), LS (E2 80 A8) or PS (E2 80 A9). */
static bool other_line_break(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	for (const unsigned char *q = p; (q = memchr(q, 0xc2, (size_t)(end - q))) != NULL; q++)
		if (q + 1 < end && q[1] == 0x85)
			return true;
	for (const unsigned char *q = p; (q = memchr(q, 0xe2, (size_t)(end - q))) != NULL; q++)
		if (q + 2 < end && q[1] == 0x80 && (q[2] == 0xa8 || q[2] == 0xa9))
			return true;
	return false;
}

/* Whether the last node of the document text s[0..n) may be a block scalar, whose value a
 * line break after the text would change: there is a block scalar header, and no line after
 * the last one is indented as little as the header's line (which would end the scalar). */
static bool may_end_in_block_scalar(const char *s, size_t n)
{
	size_t hdr_indent = 0, at;
	bool open = false;
	/* YAML breaks lines at \r, NEL, LS and PS too; lines counted at \n alone would be wrong:
	 * let the caller check such text by parsing it again */
	if (memchr(s, '\r', n) || other_line_break(s, n))
		return true;
	for (size_t i = 0; i < n;) {
		size_t l = line_len(s + i, n - i);
		const char *line = s + i;
		i += l + 1;
		if (open) {
			/* more indented than the header's line (or blank): the scalar's content, where a
			 * "|" is text; anything else, a comment too, ends the scalar */
			if (hdr_indent == (size_t)-1 || white(line, l) || indent_of(line, l) > hdr_indent)
				continue;
			open = false;
		}
		if (block_header(line, l, &at)) {
			open = true;
			/* without its parent on the line, nothing we can see ends the scalar */
			hdr_indent = parent_on_line(line, at) ? indent_of(line, l) : (size_t)-1;
		}
	}
	return open;
}

typedef struct {
	kd_render_result *res;
	const char *tname;
	const char *display;
	const char *rendered; /* the whole rendered file, to tell its first piece */
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

static int wrong_type(const char *display, int line, const char *what, const cJSON *v, const char *want)
{
	kd_buf got = KD_BUF_INIT;
	/* Numbers and booleans are shown: "y" or "1.10" read as YAML 1.1 is the usual surprise. */
	kd_json_describe(&got, v, true);
	kd_error_set_at(KD_ERR_PLAN, display, line, 0, "rendered object: %s must be %s, got %s%s", what, want,
		cJSON_IsString(v) ? "a string" : kd_buf_cstr(&got),
		cJSON_IsBool(v) || cJSON_IsNumber(v) ? " (YAML reads it so unquoted: quote it)" : "");
	kd_buf_free(&got);
	return KD_ERROR;
}

/* A string member that must be there. */
static int required_str(const char **out, const cJSON *o, const char *key, const char *display, int line,
	const char *what)
{
	const cJSON *v = kd_json_get(o, key);
	*out = NULL;
	if (v && !cJSON_IsNull(v) && !cJSON_IsString(v))
		return wrong_type(display, line, what, v, "a string");
	if (v && cJSON_IsString(v))
		*out = v->valuestring;
	return 0;
}

/* JSON, and so the API server, has no infinity or NaN: KUDO fails to encode such an object
 * ("json: unsupported value: +Inf"). Walks without recursion, as values may nest deeply. */
static const cJSON *non_finite(const cJSON *o)
{
	const cJSON **stack = NULL;
	size_t n = 0, cap = 0;
	const cJSON *found = NULL;
	for (const cJSON *it = o->child; it || n;) {
		if (!it) {
			it = stack[--n];
			continue;
		}
		if (cJSON_IsNumber(it) && !isfinite(it->valuedouble)) {
			found = it;
			break;
		}
		if ((cJSON_IsArray(it) || cJSON_IsObject(it)) && it->child) {
			if (it->next) {
				if (n == cap) {
					cap = cap ? cap * 2 : 16;
					stack = kd_realloc(stack, cap * sizeof(*stack));
				}
				stack[n++] = it->next;
			}
			it = it->child;
		} else {
			it = it->next;
		}
	}
	free(stack);
	return found;
}

static int check_object(const cJSON *o, const char *display, int line)
{
	if (!cJSON_IsObject(o))
		return kd_error_set_at(KD_ERR_PLAN, display, line, 0,
			"rendered document is not a Kubernetes object (a mapping with apiVersion, kind and metadata)");
	const char *av, *kind, *name, *gen, *ns;
	if (required_str(&av, o, "apiVersion", display, line, "apiVersion") ||
		required_str(&kind, o, "kind", display, line, "kind"))
		return KD_ERROR;
	if (!av || !*av)
		return kd_error_set_at(KD_ERR_PLAN, display, line, 0, "rendered object has no apiVersion");
	if (!kind || !*kind)
		return kd_error_set_at(KD_ERR_PLAN, display, line, 0, "rendered object has no kind");
	const cJSON *md = kd_json_get(o, "metadata");
	if (md && !cJSON_IsNull(md) && !cJSON_IsObject(md))
		return wrong_type(display, line, "metadata", md, "a map");
	if (required_str(&name, md, "name", display, line, "metadata.name") ||
		required_str(&gen, md, "generateName", display, line, "metadata.generateName") ||
		required_str(&ns, md, "namespace", display, line, "metadata.namespace"))
		return KD_ERROR;
	if ((!name || !*name) && (!gen || !*gen))
		return kd_error_set_at(KD_ERR_PLAN, display, line, 0, "rendered %s has no metadata.name", kind);
	const cJSON *bad = non_finite(o);
	if (bad)
		return kd_error_set_at(KD_ERR_PLAN, display, line, 0,
			"rendered %s holds %s (YAML .inf or .nan), which JSON and so the API server cannot carry", kind,
			isnan(bad->valuedouble) ? "NaN" : "an infinite number");
	return 0;
}

/* The text `template` prints for a document: the piece as rendered, without the rest of its
 * separator's line (or a leading "---" line) when that holds only a comment, without blank lines
 * before and white space after. When that text would read back as something other than `obj`
 * (a block scalar at its end gains a line break, a "---" or "%" line would split it), the
 * object printed as YAML instead. Sets *line_io to the text's first line. */
static char *display_text(const char *text, size_t len, bool first_piece, int *line_io, const cJSON *obj)
{
	size_t s = 0, l = line_len(text, len);
	int line = *line_io;
	/* the file's own first line is a document start only as "---" and then white space or
	 * nothing ("---#x" is content) */
	bool sep_rest = !first_piece || (len >= 3 && memcmp(text, "---", 3) == 0 &&
					       (len == 3 || strchr(" \t\r\n", text[3])));
	size_t skip = first_piece ? 3 : 0;
	if (sep_rest && l >= skip && insignificant(text + skip, l - skip) && l < len) {
		s = l + 1;
		line++;
	}
	while (s < len) {
		l = line_len(text + s, len - s);
		if (!white(text + s, l) || s + l >= len)
			break;
		s += l + 1;
		line++;
	}
	size_t e = len;
	while (e > s && isspace((unsigned char)text[e - 1]))
		e--;
	const char *t = text + s;
	size_t tl = e - s;
	bool verbatim = !(tl >= 3 && memcmp(t, "---", 3) == 0) && !(tl && t[0] == '%') && !memchr(t, '\0', tl);
	if (verbatim && may_end_in_block_scalar(t, tl)) {
		cJSON *again = NULL;
		char *buf = kd_malloc(tl + 2);
		memcpy(buf, t, tl);
		buf[tl] = '\n';
		buf[tl + 1] = '\0';
		verbatim = kd_yaml_parse_one(&again, NULL, "document", buf, tl + 1) == 0 && kd_json_equal(again, obj);
		kd_json_delete(again);
		free(buf);
		kd_error_clear();
	}
	*line_io = line;
	if (verbatim)
		return kd_strndup(t, tl);
	kd_buf b = KD_BUF_INIT;
	kd_yaml_emit(&b, obj);
	/* exactly the one line break the printer adds back: a |+ scalar at the end keeps the rest */
	if (b.len && b.ptr[b.len - 1] == '\n')
		kd_buf_truncate(&b, b.len - 1);
	return kd_buf_detach(&b);
}

static int on_doc(const char *text, size_t len, int line, void *ud)
{
	doc_ctx *c = ud;
	cJSON *obj = NULL;
	/* Parsed exactly as KUDO decodes the piece: a block scalar at its end keeps or lacks its
	 * final line break as the piece does. */
	if (kd_yaml_parse_one_at(&obj, NULL, c->display, text, len, line))
		return KD_ERROR;
	if (cJSON_IsNull(obj)) { /* only comments, or "~": KUDO skips it too */
		kd_json_delete(obj);
		return 0;
	}
	int tline = line;
	char *shown = cJSON_IsObject(obj) ? display_text(text, len, text == c->rendered, &tline, obj) : NULL;
	if (check_object(obj, c->display, tline) || check_names(obj, c->display, text, len, line)) {
		free(shown);
		kd_json_delete(obj);
		return KD_ERROR;
	}
	kd_render_result *r = c->res;
	/* the array doubles whenever its length reaches a power of two */
	if ((r->ndocs & (r->ndocs - 1)) == 0)
		r->docs = kd_realloc(r->docs, (r->ndocs ? 2 * r->ndocs : 4) * sizeof(*r->docs));
	kd_rendered *d = &r->docs[r->ndocs++];
	d->template_name = kd_strdup(c->tname);
	d->text = shown;
	d->object = obj;
	d->phase = kd_strdup(c->phase);
	d->step = kd_strdup(c->step);
	d->task = kd_strdup(c->task);
	d->line = tline;
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
		dc->rendered = kd_buf_cstr(&out);
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
	/* the value itself is not shown: it may be a secret */
	if (!cJSON_IsString(v) || kd_go_parse_bool(v->valuestring, on))
		return kd_error_set(KD_ERR_PARAMS,
			       "Toggle task \"%s\": the value of parameter \"%s\" is %s (Go's strconv.ParseBool: true, false, 1, 0, t, f, ...)",
			       t->name.str ? t->name.str : "", pn,
			       !cJSON_IsString(v) ? "not a string" : v->valuestring[0] ? "not a boolean" : "empty, not a boolean"),
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
				doc_ctx dc = {res, NULL, NULL, NULL, ph->name.str ? ph->name.str : "",
					st->name.str ? st->name.str : "", tn, apply ? KD_RENDER_APPLY : KD_RENDER_DELETE, h, s, k};
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
