/* YAML text -> cJSON with libyaml's event parser, resolving plain scalars as yaml.v2 does. */
#include "yaml.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "json.h"
#include "strconv.h"

/* Caps against hostile input: aliases can expand a small file into a huge tree. */
#define MAX_NODES 2000000
#define MAX_DEPTH 512
/* Bytes that alias and merge expansion may add to one parse: a large anchored scalar named
 * many times grows by its size each time, which a node count does not see. */
#define MAX_COPIED (64 << 20)

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

/* ---- scalar resolution (base/strconv.c holds yaml.v2's rules) ---- */

/* Whether a plain scalar can resolve to anything but a string (yaml.v2's resolveTable): keys
 * that cannot are taken as written without building a node. */
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
	kd_y11_value v;
	switch (kd_yaml11_resolve(s, &v)) {
	case KD_Y11_NULL:
		return cJSON_CreateNull();
	case KD_Y11_BOOL:
		return cJSON_CreateBool(v.b);
	case KD_Y11_INT:
	case KD_Y11_FLOAT:
		/* float64 either way: what sigs.k8s.io/yaml's JSON round trip leaves */
		return cJSON_CreateNumber(v.f);
	default:
		/* strings, and timestamps, which kudoc keeps as written */
		return cJSON_CreateString(s);
	}
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

/* A mapping's keys are found through a hash once it has this many: duplicate keys and merges
 * stay linear in the size of the map. */
#define KEY_INDEX_MIN 8

typedef struct {
	cJSON *node;   /* the container */
	char *key;     /* mapping: the key waiting for its value */
	int kline, kcol;
	bool key_is_merge;
	cJSON *merges; /* mapping: values of "<<" keys, merged at the end */
	size_t nmembers;
	kd_strmap keys; /* mapping: key -> member, once nmembers >= KEY_INDEX_MIN */
} frame;

typedef struct {
	const char *name;
	int line_offset; /* added to every reported line: the text is a slice of a larger file */
	const char *text;
	size_t len;
	kd_yaml_pos *pos;
	frame stack[MAX_DEPTH];
	int depth;
	kd_strmap anchors; /* name -> node (borrowed from the tree or the graveyard) */
	char **names;      /* the anchor names the map's keys point into */
	size_t nnames, capnames;
	size_t nodes;
	size_t copied; /* bytes alias and merge expansion added */
	cJSON *doc;       /* the current document's root */
	cJSON *graveyard; /* values replaced by a duplicate key: anchors may still point into them */
} builder;

static int err_at(builder *b, const yaml_mark_t *m, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int err_at(builder *b, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kd_error_vset_at(KD_ERR_YAML, b->name, (int)m->line + 1 + b->line_offset, (int)m->column + 1, fmt, ap);
	va_end(ap);
	return KD_ERROR;
}

static int too_large(builder *b, const yaml_mark_t *m)
{
	if (b->copied > MAX_COPIED)
		return err_at(b, m, "document too large (alias and merge expansion over %d MiB)", MAX_COPIED >> 20);
	return err_at(b, m, "document too large (over %d nodes after alias expansion)", MAX_NODES);
}

/* Counts an expansion of `v` against the caps: its nodes and its bytes. */
static int charge(builder *b, const cJSON *v, const yaml_mark_t *m)
{
	size_t left = MAX_COPIED - b->copied;
	size_t sz = kd_json_size(v, left);
	b->copied += sz;
	/* every node is at least sizeof(cJSON) bytes: that bounds the node count too */
	b->nodes += sz / sizeof(cJSON);
	if (sz > left || b->nodes > MAX_NODES)
		return too_large(b, m);
	return 0;
}

static void add_anchor(builder *b, const yaml_char_t *name, cJSON *node)
{
	if (!name)
		return;
	size_t n = strlen((const char *)name);
	if (kd_strmap_get(&b->anchors, (const char *)name, n)) {
		/* a redefinition: the later node wins, under the first copy of the name */
		for (size_t i = b->nnames; i-- > 0;)
			if (strcmp(b->names[i], (const char *)name) == 0) {
				kd_strmap_put(&b->anchors, b->names[i], n, node);
				return;
			}
	}
	if (b->nnames == b->capnames) {
		b->capnames = b->capnames ? b->capnames * 2 : 8;
		b->names = kd_realloc(b->names, b->capnames * sizeof(*b->names));
	}
	char *copy = kd_strndup((const char *)name, n);
	b->names[b->nnames++] = copy;
	kd_strmap_put(&b->anchors, copy, n, node);
}

static cJSON *find_anchor(builder *b, const char *name)
{
	return kd_strmap_get(&b->anchors, name, strlen(name));
}

static void drop_anchors(builder *b)
{
	kd_strmap_free(&b->anchors);
	for (size_t i = 0; i < b->nnames; i++)
		free(b->names[i]);
	b->nnames = 0;
}

/* Keeps a node that left the tree alive until the parse ends: anchors may still name it. */
static void bury(builder *b, cJSON *v)
{
	if (!b->graveyard)
		b->graveyard = cJSON_CreateArray();
	cJSON_AddItemToArray(b->graveyard, v);
}

/* The member of mapping frame f under `key`, or NULL. */
static cJSON *frame_member(frame *f, const char *key)
{
	if (f->nmembers < KEY_INDEX_MIN) {
		for (cJSON *c = f->node->child; c; c = c->next)
			if (strcmp(c->string, key) == 0)
				return c;
		return NULL;
	}
	return kd_strmap_get(&f->keys, key, strlen(key));
}

/* Appends member v (its key set) to mapping frame f, indexing it. */
static void frame_add(frame *f, cJSON *v)
{
	cJSON_AddItemToArray(f->node, v);
	f->nmembers++;
	if (f->nmembers == KEY_INDEX_MIN) {
		for (cJSON *c = f->node->child; c; c = c->next)
			kd_strmap_put(&f->keys, c->string, strlen(c->string), c);
	} else if (f->nmembers > KEY_INDEX_MIN) {
		kd_strmap_put(&f->keys, v->string, strlen(v->string), v);
	}
}

/* Takes a member out of mapping frame f (it keeps its key). */
static void frame_remove(frame *f, cJSON *old)
{
	if (f->nmembers >= KEY_INDEX_MIN)
		kd_strmap_del(&f->keys, old->string, strlen(old->string));
	cJSON_DetachItemViaPointer(f->node, old);
	f->nmembers--;
	if (f->nmembers < KEY_INDEX_MIN)
		kd_strmap_free(&f->keys);
}

/* Gives a finished node to its parent (or makes it the document). Takes ownership of `v`. */
static int attach(builder *b, cJSON *v, const yaml_mark_t *m, bool is_container)
{
	if (++b->nodes > MAX_NODES) {
		kd_json_delete(v);
		return too_large(b, m);
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
			kd_json_delete(v);
			return err_at(b, m, "mapping keys must be scalars");
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
		cJSON *old = frame_member(f, f->key);
		if (old) {
			frame_remove(f, old);
			bury(b, old);
		}
		/* cJSON frees item->string with the allocator kd_strdup used: hand the key over. An
		 * alias's copy carries the anchored node's own key; drop it. */
		if (v->string && !(v->type & cJSON_StringIsConst))
			cJSON_free(v->string);
		v->type &= ~cJSON_StringIsConst;
		v->string = f->key;
		f->key = NULL;
		frame_add(f, v);
	}
	free(f->key);
	f->key = NULL;
	f->key_is_merge = false;
	return 0;
}

static int merge_one(builder *b, frame *f, const cJSON *src, const yaml_mark_t *m)
{
	if (!cJSON_IsObject(src))
		return err_at(b, m, "map merge requires map or sequence of maps as the value");
	for (const cJSON *x = src->child; x; x = x->next) {
		if (frame_member(f, x->string))
			continue;
		if (charge(b, x, m))
			return KD_ERROR;
		cJSON *copy = NULL;
		if (kd_json_dup(&copy, x, NULL))
			return err_at(b, m, "%s", kd_error_last());
		frame_add(f, copy);
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
				rc = merge_one(b, f, e, m);
		} else {
			rc = merge_one(b, f, mv, m);
		}
	}
	bury(b, f->merges); /* anchors may point into the merge sources */
	f->merges = NULL;
	return rc;
}

static int push(builder *b, cJSON *container, const yaml_mark_t *m)
{
	if (b->depth >= MAX_DEPTH) {
		kd_json_delete(container);
		return err_at(b, m, "nesting too deep (over %d levels)", MAX_DEPTH);
	}
	frame *f = &b->stack[b->depth++];
	memset(f, 0, sizeof(*f));
	f->node = container;
	return 0;
}

static void frame_done(frame *f)
{
	free(f->key);
	f->key = NULL;
	kd_strmap_free(&f->keys);
}

static void unwind(builder *b)
{
	while (b->depth > 0) {
		frame *f = &b->stack[--b->depth];
		frame_done(f);
		kd_json_delete(f->merges);
		kd_json_delete(f->node);
	}
	kd_json_delete(b->doc);
	b->doc = NULL;
}

static bool is_merge_key(const frame *f, const yaml_event_t *ev)
{
	return cJSON_IsObject(f->node) && !f->key && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		strcmp((const char *)ev->data.scalar.value, "<<") == 0;
}

/* libyaml's own error, at its position: reader errors (bad UTF-8, control characters) carry a
 * byte offset instead of a mark, which is turned into the line and column the other errors
 * count (characters, 1-based). */
static void parser_error(builder *b, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "invalid YAML";
	if (p->error == YAML_READER_ERROR) {
		size_t off = p->problem_offset < b->len ? p->problem_offset : b->len;
		int line, col;
		kd_text_pos(b->text, b->len, off, &line, &col);
		int chars = 0;
		for (size_t i = off - (size_t)col; i < off; i++)
			chars += ((unsigned char)b->text[i] & 0xC0) != 0x80;
		if (p->problem_value >= 0)
			kd_error_set_at(KD_ERR_YAML, b->name, line + b->line_offset, chars + 1, "%s (byte 0x%02X)", problem,
				(unsigned)p->problem_value & 0xFF);
		else
			kd_error_set_at(KD_ERR_YAML, b->name, line + b->line_offset, chars + 1, "%s", problem);
		return;
	}
	const char *ctx = p->context;
	kd_error_set_at(KD_ERR_YAML, b->name, (int)p->problem_mark.line + 1 + b->line_offset,
		(int)p->problem_mark.column + 1, "%s%s%s", problem, ctx ? " " : "", ctx ? ctx : "");
}

static int parse(cJSON **out, kd_yaml_pos **pos_out, const char *name, const char *text, size_t len, bool one,
	int first_line)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	builder *bp = kd_calloc(1, sizeof(*bp)); /* the frame stack is too large for C's */
	builder *b = bp;
	cJSON *docs = cJSON_CreateArray();
	int rc = KD_ERROR, ndocs = 0;
	bool done = false, have_event = false;

	b->name = name ? name : "<input>";
	b->line_offset = first_line > 1 ? first_line - 1 : 0;
	b->text = text;
	b->len = len;
	*out = NULL;
	if (pos_out) {
		*pos_out = NULL;
		b->pos = kd_calloc(1, sizeof(*b->pos));
		b->pos->name = kd_strdup(b->name);
	}
	if (!yaml_parser_initialize(&parser)) {
		kd_error_set(KD_ERR_INTERNAL, "libyaml: cannot initialize parser");
		goto done;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);

	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			parser_error(b, &parser);
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
				err_at(b, m, "expected a single document, found a second one");
				goto fail;
			}
			break;
		case YAML_DOCUMENT_END_EVENT:
			cJSON_AddItemToArray(docs, b->doc ? b->doc : cJSON_CreateNull());
			b->doc = NULL;
			ndocs++;
			drop_anchors(b);
			break;
		case YAML_SCALAR_EVENT: {
			const char *s = (const char *)ev.data.scalar.value;
			cJSON *v;
			if (memchr(s, '\0', ev.data.scalar.length)) {
				/* "\0" in a double-quoted scalar: C strings would silently cut it here */
				err_at(b, m, "a NUL character (\\0) in a string is not supported");
				goto fail;
			}
			if (b->depth > 0 && is_merge_key(&b->stack[b->depth - 1], &ev)) {
				frame *f = &b->stack[b->depth - 1];
				f->key = kd_strdup("<<");
				f->key_is_merge = true;
				break;
			}
			if (b->depth > 0 && cJSON_IsObject(b->stack[b->depth - 1].node) && !b->stack[b->depth - 1].key &&
				!ev.data.scalar.anchor && !ev.data.scalar.tag &&
				(ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE || !maybe_typed(s))) {
				/* The common key: a string as written, no node needed. */
				frame *f = &b->stack[b->depth - 1];
				f->key = kd_strndup(s, ev.data.scalar.length);
				f->kline = (int)m->line + 1 + b->line_offset;
				f->kcol = (int)m->column + 1;
				break;
			}
			if (ev.data.scalar.tag) {
				bool bad;
				v = resolve_tagged((const char *)ev.data.scalar.tag, s, &bad);
				if (bad) {
					kd_json_delete(v);
					err_at(b, m, "cannot decode value as %s", (const char *)ev.data.scalar.tag);
					goto fail;
				}
			} else if (ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
				v = resolve_plain(s);
			} else {
				v = cJSON_CreateString(s);
			}
			add_anchor(b, ev.data.scalar.anchor, v);
			if (attach(b, v, m, false))
				goto fail;
			break;
		}
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT: {
			cJSON *c = ev.type == YAML_SEQUENCE_START_EVENT ? cJSON_CreateArray() : cJSON_CreateObject();
			const yaml_char_t *anc = ev.type == YAML_SEQUENCE_START_EVENT ? ev.data.sequence_start.anchor
											: ev.data.mapping_start.anchor;
			if (b->depth > 0) {
				frame *f = &b->stack[b->depth - 1];
				if (cJSON_IsObject(f->node) && !f->key) {
					kd_json_delete(c);
					err_at(b, m, "mapping keys must be scalars");
					goto fail;
				}
			}
			add_anchor(b, anc, c);
			pos_put(b->pos, c, (int)m->line + 1 + b->line_offset, (int)m->column + 1, 0, 0);
			if (push(b, c, m))
				goto fail;
			break;
		}
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT: {
			frame *f = &b->stack[b->depth - 1];
			if (ev.type == YAML_MAPPING_END_EVENT && finish_mapping(b, f, m))
				goto fail;
			cJSON *c = f->node;
			int line = 0, col = 0;
			kd_yaml_pos_get(b->pos, c, &line, &col);
			f->node = NULL;
			frame_done(f);
			b->depth--;
			yaml_mark_t start = *m;
			if (line) {
				start.line = (size_t)(line - 1 - b->line_offset);
				start.column = (size_t)col - 1;
			}
			if (attach(b, c, &start, true))
				goto fail;
			break;
		}
		case YAML_ALIAS_EVENT: {
			const char *an = (const char *)ev.data.alias.anchor;
			cJSON *target = find_anchor(b, an);
			if (!target) {
				err_at(b, m, "unknown anchor '%.200s%s' referenced", an, strlen(an) > 200 ? "..." : "");
				goto fail;
			}
			/* An alias of a container still being built would be a cycle. */
			for (int i = 0; i < b->depth; i++) {
				if (b->stack[i].node == target) {
					err_at(b, m, "anchor '%.200s%s' refers to a node that contains it", an,
						strlen(an) > 200 ? "..." : "");
					goto fail;
				}
			}
			if (charge(b, target, m))
				goto fail;
			if (b->depth > 0 && cJSON_IsObject(b->stack[b->depth - 1].node) && !b->stack[b->depth - 1].key &&
				!cJSON_IsString(target) && !cJSON_IsNumber(target) && !cJSON_IsBool(target) &&
				!cJSON_IsNull(target)) {
				err_at(b, m, "mapping keys must be scalars");
				goto fail;
			}
			cJSON *copy = NULL;
			if (kd_json_dup(&copy, target, NULL)) {
				err_at(b, m, "%s", kd_error_last());
				goto fail;
			}
			b->nodes--; /* attach counts the root again */
			if (attach(b, copy, m, cJSON_IsObject(copy) || cJSON_IsArray(copy)))
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
		kd_json_delete(docs);
		docs = d;
	}
	*out = docs;
	docs = NULL;
	if (pos_out) {
		*pos_out = b->pos;
		b->pos = NULL;
	}
	rc = 0;
	goto cleanup;
fail:
	if (have_event)
		yaml_event_delete(&ev);
	unwind(b);
cleanup:
	yaml_parser_delete(&parser);
done:
	drop_anchors(b);
	free(b->names);
	kd_json_delete(b->graveyard);
	kd_json_delete(b->doc);
	kd_json_delete(docs);
	kd_yaml_pos_free(b->pos);
	free(bp);
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
