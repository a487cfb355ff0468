/* YAML text -> cJSON with libyaml's event parser, resolving plain scalars as yaml.v2 does. */
#include "yaml.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "json.h"

/* Caps against hostile input: aliases can expand a small file into a huge tree. */
#define MAX_NODES 2000000
#define MAX_DEPTH 512

/* ---- position table: open addressing keyed by node pointer ---- */

typedef struct {
	const cJSON *node;
	int line, col, kline, kcol;
} pos_entry;

struct kd_yaml_pos {
	char *name;
	pos_entry *tab;
	size_t cap, count;
};

static size_t ptr_hash(const void *p, size_t cap)
{
	uintptr_t x = (uintptr_t)p;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x & (cap - 1);
}

static void pos_put(kd_yaml_pos *t, const cJSON *node, int line, int col, int kline, int kcol)
{
	if (!t)
		return;
	if ((t->count + 1) * 2 > t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 256;
		pos_entry *nt = kd_calloc(ncap, sizeof(*nt));
		for (size_t i = 0; i < t->cap; i++) {
			if (!t->tab[i].node)
				continue;
			size_t h = ptr_hash(t->tab[i].node, ncap);
			while (nt[h].node)
				h = (h + 1) & (ncap - 1);
			nt[h] = t->tab[i];
		}
		free(t->tab);
		t->tab = nt;
		t->cap = ncap;
	}
	size_t h = ptr_hash(node, t->cap);
	while (t->tab[h].node && t->tab[h].node != node)
		h = (h + 1) & (t->cap - 1);
	if (!t->tab[h].node)
		t->count++;
	t->tab[h] = (pos_entry){node, line, col, kline, kcol};
}

static const pos_entry *pos_find(const kd_yaml_pos *t, const cJSON *node)
{
	if (!t || !t->cap || !node)
		return NULL;
	size_t h = ptr_hash(node, t->cap);
	while (t->tab[h].node) {
		if (t->tab[h].node == node)
			return &t->tab[h];
		h = (h + 1) & (t->cap - 1);
	}
	return NULL;
}

int kd_yaml_pos_get(const kd_yaml_pos *pos, const cJSON *node, int *line, int *col)
{
	const pos_entry *e = pos_find(pos, node);
	if (!e)
		return KD_ENOTFOUND;
	if (line)
		*line = e->line;
	if (col)
		*col = e->col;
	return 0;
}

int kd_yaml_pos_get_key(const kd_yaml_pos *pos, const cJSON *node, int *line, int *col)
{
	const pos_entry *e = pos_find(pos, node);
	if (!e || !e->kline)
		return KD_ENOTFOUND;
	if (line)
		*line = e->kline;
	if (col)
		*col = e->kcol;
	return 0;
}

const char *kd_yaml_pos_name(const kd_yaml_pos *pos)
{
	return pos ? pos->name : NULL;
}

void kd_yaml_pos_free(kd_yaml_pos *pos)
{
	if (!pos)
		return;
	free(pos->name);
	free(pos->tab);
	free(pos);
}

/* ---- scalar resolution (yaml.v2's resolve table for YAML 1.1) ---- */

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

static const char *const null_words[] = {"", "~", "null", "Null", "NULL", NULL};
static const char *const true_words[] = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", NULL};
static const char *const false_words[] = {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", NULL};

/* Go's strconv.ParseInt(s, 0, 64) / ParseUint, after yaml.v2 removed underscores. */
static bool parse_go_int(const char *s, double *out)
{
	const char *p = s;
	bool neg = false;
	int base = 10;
	if (*p == '+' || *p == '-') {
		neg = *p == '-';
		p++;
	}
	if (!*p)
		return false;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	} else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O')) {
		base = 8;
		p += 2;
	} else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B')) {
		base = 2;
		p += 2;
	} else if (p[0] == '0' && p[1]) {
		base = 8;
		p += 1;
	}
	if (!*p)
		return false;
	double v = 0;
	unsigned long long acc = 0;
	bool overflow = false;
	for (; *p; p++) {
		int d;
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			return false;
		if (d >= base)
			return false;
		if (acc > (~0ULL - (unsigned)d) / (unsigned)base)
			overflow = true;
		acc = acc * (unsigned)base + (unsigned)d;
	}
	if (overflow)
		return false; /* yaml.v2 would then try float; plain digits resolve below */
	v = (double)acc;
	if (neg && acc > 9223372036854775808ULL)
		return false;
	*out = neg ? -v : v;
	return true;
}

/* yaml.v2's float pattern: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool is_yaml_float(const char *s)
{
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	} else {
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p == '.') {
			p++;
			while (*p >= '0' && *p <= '9')
				p++;
		}
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

/* Whether a plain scalar can resolve to anything but a string: only when it starts like a
 * null, boolean, number or special float does the full resolution run. */
static bool maybe_typed(const char *s)
{
	switch (s[0]) {
	case '\0': case '~': case 'n': case 'N': case 'y': case 'Y': case 't': case 'T': case 'f':
	case 'F': case 'o': case 'O': case '+': case '-': case '.':
	case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
		return true;
	default:
		return false;
	}
}

static cJSON *resolve_plain(const char *s)
{
	if (!maybe_typed(s))
		return cJSON_CreateString(s);
	if (in_list(s, null_words))
		return cJSON_CreateNull();
	if (in_list(s, true_words))
		return cJSON_CreateTrue();
	if (in_list(s, false_words))
		return cJSON_CreateFalse();
	if (strcmp(s, ".inf") == 0 || strcmp(s, ".Inf") == 0 || strcmp(s, ".INF") == 0 || strcmp(s, "+.inf") == 0 ||
		strcmp(s, "+.Inf") == 0 || strcmp(s, "+.INF") == 0)
		return cJSON_CreateNumber(INFINITY);
	if (strcmp(s, "-.inf") == 0 || strcmp(s, "-.Inf") == 0 || strcmp(s, "-.INF") == 0)
		return cJSON_CreateNumber(-INFINITY);
	if (strcmp(s, ".nan") == 0 || strcmp(s, ".NaN") == 0 || strcmp(s, ".NAN") == 0)
		return cJSON_CreateNumber(NAN);
	char c = s[0];
	if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
		size_t n = strlen(s);
		char *plain = kd_malloc(n + 1);
		size_t j = 0;
		for (size_t i = 0; i < n; i++)
			if (s[i] != '_')
				plain[j++] = s[i];
		plain[j] = '\0';
		double v;
		cJSON *res = NULL;
		if (parse_go_int(plain, &v))
			res = cJSON_CreateNumber(v);
		else if (is_yaml_float(plain))
			res = cJSON_CreateNumber(strtod(plain, NULL));
		free(plain);
		if (res)
			return res;
	}
	return cJSON_CreateString(s);
}

static cJSON *resolve_tagged(const char *tag, const char *s, bool *bad)
{
	*bad = false;
	if (strcmp(tag, YAML_STR_TAG) == 0 || strcmp(tag, "!") == 0 || strcmp(tag, "tag:yaml.org,2002:binary") == 0)
		return cJSON_CreateString(s);
	if (strcmp(tag, YAML_NULL_TAG) == 0)
		return cJSON_CreateNull();
	cJSON *v = resolve_plain(s);
	if (strcmp(tag, YAML_BOOL_TAG) == 0 && !cJSON_IsBool(v))
		*bad = true;
	if ((strcmp(tag, YAML_INT_TAG) == 0 || strcmp(tag, YAML_FLOAT_TAG) == 0) && !cJSON_IsNumber(v))
		*bad = true;
	return v;
}

/* ---- the event-driven builder ---- */

typedef struct {
	cJSON *node;   /* the container */
	char *key;     /* mapping: the key waiting for its value */
	int kline, kcol;
	bool key_is_merge;
	cJSON *merges; /* mapping: values of "<<" keys, merged at the end */
} frame;

typedef struct {
	char *name;
	cJSON *node; /* borrowed from the tree */
} anchor;

typedef struct {
	const char *name;
	int line_offset; /* added to every reported line: the text is a slice of a larger file */
	kd_yaml_pos *pos;
	frame stack[MAX_DEPTH];
	int depth;
	anchor *anchors;
	size_t nanchors, capanchors;
	size_t nodes;
	cJSON *doc;       /* the current document's root */
	cJSON *graveyard; /* values replaced by a duplicate key: anchors may still point into them */
} builder;

static int count_nodes(const cJSON *n)
{
	int c = 1;
	for (const cJSON *x = n->child; x; x = x->next)
		c += count_nodes(x);
	return c;
}

static int err_at(builder *b, const yaml_mark_t *m, const char *fmt, const char *arg)
{
	char msg[512];
	snprintf(msg, sizeof(msg), fmt, arg);
	return kd_error_set(KD_ERR_YAML, "%s:%zu:%zu: %s", b->name, m->line + 1 + (size_t)b->line_offset,
		m->column + 1, msg);
}

static void add_anchor(builder *b, const yaml_char_t *name, cJSON *node)
{
	if (!name)
		return;
	for (size_t i = 0; i < b->nanchors; i++) {
		if (strcmp(b->anchors[i].name, (const char *)name) == 0) {
			b->anchors[i].node = node;
			return;
		}
	}
	if (b->nanchors == b->capanchors) {
		b->capanchors = b->capanchors ? b->capanchors * 2 : 8;
		b->anchors = kd_realloc(b->anchors, b->capanchors * sizeof(*b->anchors));
	}
	b->anchors[b->nanchors].name = kd_strdup((const char *)name);
	b->anchors[b->nanchors].node = node;
	b->nanchors++;
}

static void drop_anchors(builder *b)
{
	for (size_t i = 0; i < b->nanchors; i++)
		free(b->anchors[i].name);
	b->nanchors = 0;
}

/* Keeps a node that left the tree alive until the parse ends: anchors may still name it. */
static void bury(builder *b, cJSON *v)
{
	if (!b->graveyard)
		b->graveyard = cJSON_CreateArray();
	cJSON_AddItemToArray(b->graveyard, v);
}

/* Gives a finished node to its parent (or makes it the document). Takes ownership of `v`. */
static int attach(builder *b, cJSON *v, const yaml_mark_t *m, bool is_container)
{
	if (++b->nodes > MAX_NODES) {
		cJSON_Delete(v);
		return err_at(b, m, "%s", "document too large (over 2000000 nodes after alias expansion)");
	}
	int off = b->line_offset;
	if (b->depth == 0) {
		pos_put(b->pos, v, (int)m->line + 1 + off, (int)m->column + 1, 0, 0);
		b->doc = v;
		return 0;
	}
	frame *f = &b->stack[b->depth - 1];
	if (cJSON_IsArray(f->node)) {
		pos_put(b->pos, v, (int)m->line + 1 + off, (int)m->column + 1, 0, 0);
		cJSON_AddItemToArray(f->node, v);
		return 0;
	}
	/* A mapping: this node is either a key or a value. */
	if (!f->key) {
		if (is_container) {
			cJSON_Delete(v);
			return err_at(b, m, "%s", "mapping keys must be scalars");
		}
		char nb[64];
		const char *k;
		if (cJSON_IsString(v))
			k = v->valuestring;
		else if (cJSON_IsNull(v))
			k = "null";
		else if (cJSON_IsTrue(v))
			k = "true";
		else if (cJSON_IsFalse(v))
			k = "false";
		else
			k = kd_json_fmt_float(nb, sizeof nb, v->valuedouble);
		f->key = kd_strdup(k);
		f->kline = (int)m->line + 1 + off;
		f->kcol = (int)m->column + 1;
		bury(b, v); /* an anchor may name the key */
		return 0;
	}
	if (f->key_is_merge) {
		if (!f->merges)
			f->merges = cJSON_CreateArray();
		cJSON_AddItemToArray(f->merges, v);
	} else {
		pos_put(b->pos, v, (int)m->line + 1 + off, (int)m->column + 1, f->kline, f->kcol);
		/* A repeated key: the last one wins, as in yaml.v2. */
		cJSON *old = cJSON_DetachItemFromObjectCaseSensitive(f->node, f->key);
		if (old)
			bury(b, old);
		/* cJSON frees item->string with the allocator kd_strdup used: hand the key over. An
		 * alias's copy carries the anchored node's own key; drop it. */
		if (v->string && !(v->type & cJSON_StringIsConst))
			free(v->string);
		v->type &= ~cJSON_StringIsConst;
		v->string = f->key;
		f->key = NULL;
		cJSON_AddItemToArray(f->node, v);
	}
	free(f->key);
	f->key = NULL;
	f->key_is_merge = false;
	return 0;
}

static int merge_one(builder *b, cJSON *into, const cJSON *src, const yaml_mark_t *m)
{
	if (!cJSON_IsObject(src))
		return err_at(b, m, "%s", "map merge requires map or sequence of maps as the value");
	for (const cJSON *x = src->child; x; x = x->next) {
		if (kd_json_get(into, x->string))
			continue;
		b->nodes += (size_t)count_nodes(x);
		if (b->nodes > MAX_NODES)
			return err_at(b, m, "%s", "document too large (over 2000000 nodes after alias expansion)");
		cJSON_AddItemToObject(into, x->string, cJSON_Duplicate(x, 1));
	}
	return 0;
}

static int finish_mapping(builder *b, frame *f, const yaml_mark_t *m)
{
	int rc = 0;
	if (!f->merges)
		return 0;
	/* Explicit keys win over merged ones; earlier merge sources win over later ones. */
	for (const cJSON *mv = f->merges->child; mv && !rc; mv = mv->next) {
		if (cJSON_IsArray(mv)) {
			for (const cJSON *e = mv->child; e && !rc; e = e->next)
				rc = merge_one(b, f->node, e, m);
		} else {
			rc = merge_one(b, f->node, mv, m);
		}
	}
	bury(b, f->merges); /* anchors may point into the merge sources */
	f->merges = NULL;
	return rc;
}

static int push(builder *b, cJSON *container, const yaml_mark_t *m)
{
	if (b->depth >= MAX_DEPTH) {
		cJSON_Delete(container);
		return err_at(b, m, "%s", "nesting too deep (over 512 levels)");
	}
	frame *f = &b->stack[b->depth++];
	memset(f, 0, sizeof(*f));
	f->node = container;
	return 0;
}

static void unwind(builder *b)
{
	while (b->depth > 0) {
		frame *f = &b->stack[--b->depth];
		free(f->key);
		cJSON_Delete(f->merges);
		cJSON_Delete(f->node);
	}
	cJSON_Delete(b->doc);
	b->doc = NULL;
}

static bool is_merge_key(const frame *f, const yaml_event_t *ev)
{
	return cJSON_IsObject(f->node) && !f->key && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		strcmp((const char *)ev->data.scalar.value, "<<") == 0;
}

static int parse(cJSON **out, kd_yaml_pos **pos_out, const char *name, const char *text, size_t len, bool one,
	int first_line)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	builder b;
	cJSON *docs = cJSON_CreateArray();
	int rc = KD_ERROR, ndocs = 0;
	bool done = false, have_event = false;

	memset(&b, 0, sizeof(b));
	b.name = name ? name : "<input>";
	b.line_offset = first_line > 1 ? first_line - 1 : 0;
	*out = NULL;
	if (pos_out) {
		*pos_out = NULL;
		b.pos = kd_calloc(1, sizeof(*b.pos));
		b.pos->name = kd_strdup(b.name);
	}
	if (!yaml_parser_initialize(&parser)) {
		kd_error_set(KD_ERR_INTERNAL, "libyaml: cannot initialize parser");
		goto done;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);

	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			const char *ctx = parser.context;
			kd_error_set(KD_ERR_YAML, "%s:%zu:%zu: %s%s%s", b.name,
				parser.problem_mark.line + 1 + (size_t)b.line_offset,
				parser.problem_mark.column + 1, parser.problem ? parser.problem : "invalid YAML",
				ctx ? " " : "", ctx ? ctx : "");
			goto fail;
		}
		have_event = true;
		const yaml_mark_t *m = &ev.start_mark;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (one && ndocs == 1) {
				err_at(&b, m, "%s", "expected a single document, found a second one");
				goto fail;
			}
			break;
		case YAML_DOCUMENT_END_EVENT:
			cJSON_AddItemToArray(docs, b.doc ? b.doc : cJSON_CreateNull());
			b.doc = NULL;
			ndocs++;
			drop_anchors(&b);
			break;
		case YAML_SCALAR_EVENT: {
			const char *s = (const char *)ev.data.scalar.value;
			cJSON *v;
			if (b.depth > 0 && is_merge_key(&b.stack[b.depth - 1], &ev)) {
				frame *f = &b.stack[b.depth - 1];
				f->key = kd_strdup("<<");
				f->key_is_merge = true;
				break;
			}
			if (b.depth > 0 && cJSON_IsObject(b.stack[b.depth - 1].node) && !b.stack[b.depth - 1].key &&
				!ev.data.scalar.anchor && !ev.data.scalar.tag &&
				(ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE || !maybe_typed(s))) {
				/* The common key: a string as written, no node needed. */
				frame *f = &b.stack[b.depth - 1];
				f->key = kd_strndup(s, ev.data.scalar.length);
				f->kline = (int)m->line + 1 + b.line_offset;
				f->kcol = (int)m->column + 1;
				break;
			}
			if (ev.data.scalar.tag) {
				bool bad;
				v = resolve_tagged((const char *)ev.data.scalar.tag, s, &bad);
				if (bad) {
					cJSON_Delete(v);
					err_at(&b, m, "cannot decode value as %s", (const char *)ev.data.scalar.tag);
					goto fail;
				}
			} else if (ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
				v = resolve_plain(s);
			} else {
				v = cJSON_CreateString(s);
			}
			add_anchor(&b, ev.data.scalar.anchor, v);
			if (attach(&b, v, m, false))
				goto fail;
			break;
		}
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT: {
			cJSON *c = ev.type == YAML_SEQUENCE_START_EVENT ? cJSON_CreateArray() : cJSON_CreateObject();
			const yaml_char_t *anc = ev.type == YAML_SEQUENCE_START_EVENT ? ev.data.sequence_start.anchor
											: ev.data.mapping_start.anchor;
			if (b.depth > 0) {
				frame *f = &b.stack[b.depth - 1];
				if (cJSON_IsObject(f->node) && !f->key) {
					cJSON_Delete(c);
					err_at(&b, m, "%s", "mapping keys must be scalars");
					goto fail;
				}
			}
			add_anchor(&b, anc, c);
			pos_put(b.pos, c, (int)m->line + 1 + b.line_offset, (int)m->column + 1, 0, 0);
			if (push(&b, c, m))
				goto fail;
			break;
		}
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT: {
			frame *f = &b.stack[b.depth - 1];
			if (ev.type == YAML_MAPPING_END_EVENT && finish_mapping(&b, f, m))
				goto fail;
			cJSON *c = f->node;
			int line = 0, col = 0;
			kd_yaml_pos_get(b.pos, c, &line, &col);
			f->node = NULL;
			free(f->key);
			f->key = NULL;
			b.depth--;
			yaml_mark_t start = *m;
			if (line) {
				start.line = (size_t)(line - 1 - b.line_offset);
				start.column = (size_t)col - 1;
			}
			if (attach(&b, c, &start, true))
				goto fail;
			break;
		}
		case YAML_ALIAS_EVENT: {
			const char *an = (const char *)ev.data.alias.anchor;
			cJSON *target = NULL;
			for (size_t i = 0; i < b.nanchors; i++)
				if (strcmp(b.anchors[i].name, an) == 0)
					target = b.anchors[i].node;
			if (!target) {
				err_at(&b, m, "unknown anchor '%s' referenced", an);
				goto fail;
			}
			/* An alias of a container still being built would be a cycle. */
			for (int i = 0; i < b.depth; i++) {
				if (b.stack[i].node == target) {
					err_at(&b, m, "anchor '%s' refers to a node that contains it", an);
					goto fail;
				}
			}
			b.nodes += (size_t)count_nodes(target);
			if (b.nodes > MAX_NODES) {
				err_at(&b, m, "%s", "document too large (over 2000000 nodes after alias expansion)");
				goto fail;
			}
			if (b.depth > 0 && cJSON_IsObject(b.stack[b.depth - 1].node) && !b.stack[b.depth - 1].key &&
				!cJSON_IsString(target) && !cJSON_IsNumber(target) && !cJSON_IsBool(target) &&
				!cJSON_IsNull(target)) {
				err_at(&b, m, "%s", "mapping keys must be scalars");
				goto fail;
			}
			cJSON *copy = cJSON_Duplicate(target, 1);
			b.nodes--; /* attach counts the root again */
			if (attach(&b, copy, m, cJSON_IsObject(copy) || cJSON_IsArray(copy)))
				goto fail;
			break;
		}
		default:
			break;
		}
		yaml_event_delete(&ev);
		have_event = false;
	}
	if (one) {
		cJSON *d = cJSON_GetArraySize(docs) ? cJSON_DetachItemFromArray(docs, 0) : cJSON_CreateNull();
		cJSON_Delete(docs);
		docs = d;
	}
	*out = docs;
	docs = NULL;
	if (pos_out) {
		*pos_out = b.pos;
		b.pos = NULL;
	}
	rc = 0;
	goto cleanup;
fail:
	if (have_event)
		yaml_event_delete(&ev);
	unwind(&b);
cleanup:
	yaml_parser_delete(&parser);
done:
	drop_anchors(&b);
	free(b.anchors);
	cJSON_Delete(b.graveyard);
	cJSON_Delete(b.doc);
	cJSON_Delete(docs);
	kd_yaml_pos_free(b.pos);
	return rc;
}

int kd_yaml_parse_all(cJSON **out, kd_yaml_pos **pos_out, const char *name, const char *text, size_t len)
{
	return parse(out, pos_out, name, text, len, false, 1);
}

int kd_yaml_parse_one(cJSON **out, kd_yaml_pos **pos_out, const char *name, const char *text, size_t len)
{
	return parse(out, pos_out, name, text, len, true, 1);
}

int kd_yaml_parse_one_at(cJSON **out, kd_yaml_pos **pos_out, const char *name, const char *text, size_t len,
	int first_line)
{
	return parse(out, pos_out, name, text, len, true, first_line);
}
