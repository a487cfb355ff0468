/* The parser: Go text/template's grammar and parse-time checks (undefined functions and
 * variables, break/continue outside range, pipeline shape), building a tree in an arena owned
 * by the set.
 *
 * Errors unwind with longjmp, the way Go's parser panics: every allocation made while parsing
 * lives in the set's arena or constant list (freed with the set) or in the parser's scratch
 * stacks (freed by kd_tpl_parse), so nothing leaks on the way out. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/strconv.h"
#include "tpl_int.h"

/* ---- arena ---- */
struct kd_tpl__arena {
	struct kd_tpl__arena *next;
	size_t used, cap;
	_Alignas(16) unsigned char data[];
};

static void *arena_alloc(kd_tpl_set *set, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	kd_tpl__arena *a = set->arena;
	if (!a || a->cap - a->used < n) {
		size_t cap = a ? a->cap * 2 : set->len * 4 + 1024;
		if (cap > (size_t)1 << 20)
			cap = (size_t)1 << 20;
		if (cap < n)
			cap = n;
		kd_tpl__arena *b = kd_malloc(sizeof(*b) + cap);
		b->used = 0;
		b->cap = cap;
		b->next = a;
		set->arena = b;
		a = b;
	}
	void *p = a->data + a->used;
	a->used += n;
	memset(p, 0, n);
	return p;
}

static char *arena_strndup(kd_tpl_set *set, const char *s, size_t n)
{
	char *p = arena_alloc(set, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* ---- function lookup ---- */
static const struct {
	const char *name;
	kd_tpl__builtin b;
} builtins[] = {
	{"and", B_AND}, {"eq", B_EQ}, {"ge", B_GE}, {"gt", B_GT}, {"html", B_HTML},
	{"index", B_INDEX}, {"js", B_JS}, {"le", B_LE}, {"len", B_LEN}, {"lt", B_LT},
	{"ne", B_NE}, {"not", B_NOT}, {"or", B_OR}, {"print", B_PRINT}, {"printf", B_PRINTF},
	{"println", B_PRINTLN}, {"slice", B_SLICE}, {"urlquery", B_URLQUERY},
};

/* One hash table over both, built once: parse-time lookups are a large part of parse time. */
typedef struct {
	const char *name;
	const kd_tpl__fndef *fn;
	kd_tpl__builtin b;
} fentry;

static fentry *ftab;
static size_t fmask;
static pthread_once_t ftab_once = PTHREAD_ONCE_INIT;

static uint32_t fhash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static fentry *fslot(const char *name, size_t len)
{
	for (size_t i = fhash(name, len) & fmask;; i = (i + 1) & fmask) {
		fentry *e = &ftab[i];
		if (!e->name || (strncmp(e->name, name, len) == 0 && e->name[len] == '\0'))
			return e;
	}
}

static void ftab_build(void)
{
	size_t n = KD_ARRAY_SIZE(builtins);
	for (const kd_tpl__fndef *d = kd_tpl__sprig_fns; d->name; d++)
		n++;
	size_t cap = 16;
	while (cap < 2 * n)
		cap *= 2;
	ftab = kd_calloc(cap, sizeof(*ftab));
	fmask = cap - 1;
	for (size_t i = 0; i < KD_ARRAY_SIZE(builtins); i++) {
		fentry *e = fslot(builtins[i].name, strlen(builtins[i].name));
		e->name = builtins[i].name;
		e->b = builtins[i].b;
	}
	/* sprig's table wins over a built-in of the same name, as Go's Funcs does */
	for (const kd_tpl__fndef *d = kd_tpl__sprig_fns; d->name; d++) {
		fentry *e = fslot(d->name, strlen(d->name));
		e->name = d->name;
		e->fn = d;
		e->b = B_NONE;
	}
}

bool kd_tpl__lookup_fn(const char *name, size_t len, const kd_tpl__fndef **fn, kd_tpl__builtin *bi)
{
	pthread_once(&ftab_once, ftab_build);
	fentry *e = fslot(name, len);
	*fn = e->fn;
	*bi = e->b;
	return e->name != NULL;
}

/* ---- Go's strconv.Unquote / UnquoteChar ---- */


/* One (possibly escaped) character of a quoted literal. Returns bytes consumed or -1; *val is
 * the rune, *byte_val whether it is a single raw byte (\x, octal). */
static int unquote_char(const char *s, size_t n, char quote, uint32_t *val, bool *raw_byte)
{
	*raw_byte = false;
	if (n == 0)
		return -1;
	unsigned char c = (unsigned char)s[0];
	if (c == (unsigned char)quote && (quote == '\'' || quote == '"'))
		return -1;
	if (c >= 0x80) {
		int l = kd_utf8_decode(s, n, val);
		if (*val == 0xFFFD && l == 1)
			*raw_byte = true, *val = c;
		return l;
	}
	if (c != '\\') {
		*val = c;
		return 1;
	}
	if (n < 2)
		return -1;
	c = (unsigned char)s[1];
	switch (c) {
	case 'a': *val = 7; return 2;
	case 'b': *val = 8; return 2;
	case 'f': *val = 12; return 2;
	case 'n': *val = 10; return 2;
	case 'r': *val = 13; return 2;
	case 't': *val = 9; return 2;
	case 'v': *val = 11; return 2;
	case '\\': *val = '\\'; return 2;
	case '\'':
	case '"':
		if (c != (unsigned char)quote)
			return -1;
		*val = c;
		return 2;
	case 'x':
	case 'u':
	case 'U': {
		int nd = c == 'x' ? 2 : c == 'u' ? 4 : 8;
		if (n < (size_t)(2 + nd))
			return -1;
		uint32_t v = 0;
		for (int i = 0; i < nd; i++) {
			int h = kd_hex_digit((unsigned char)s[2 + i]);
			if (h < 0)
				return -1;
			v = v * 16 + (uint32_t)h;
		}
		if (c == 'x') {
			*raw_byte = true;
		} else if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
			return -1;
		}
		*val = v;
		return 2 + nd;
	}
	}
	if (c >= '0' && c <= '7') {
		if (n < 4)
			return -1;
		uint32_t v = 0;
		for (int i = 0; i < 3; i++) {
			int d = (unsigned char)s[1 + i] - '0';
			if (d < 0 || d > 7)
				return -1;
			v = v * 8 + (uint32_t)d;
		}
		if (v > 255)
			return -1;
		*val = v;
		*raw_byte = true;
		return 4;
	}
	return -1;
}

/* strconv.Unquote of a "..." or `...` literal into b. Returns false on invalid syntax. */
static bool unquote(kd_buf *b, const char *s, size_t n)
{
	if (n < 2 || s[n - 1] != s[0])
		return false;
	if (s[0] == '`') {
		for (size_t i = 1; i + 1 < n; i++) {
			if (s[i] == '`')
				return false;
			if (s[i] != '\r')
				kd_buf_putc(b, s[i]);
		}
		kd_buf_put(b, "", 0);
		return true;
	}
	if (s[0] != '"')
		return false;
	size_t i = 1;
	kd_buf_put(b, "", 0);
	while (i < n - 1) {
		uint32_t v;
		bool raw;
		if (s[i] == '\n')
			return false;
		int l = unquote_char(s + i, n - 1 - i, '"', &v, &raw);
		if (l < 0)
			return false;
		if (raw)
			kd_buf_putc(b, (char)v);
		else if (l == 1 || s[i] == '\\')
			kd_buf_put_utf8(b, v);
		else
			kd_buf_put(b, s + i, (size_t)l);
		i += (size_t)l;
	}
	return true;
}

/* ---- parser ---- */
typedef struct {
	kd_tpl_set *set;
	kd_tpl__toks toks;
	int i;
	int maxread;
	const char *name;
	const char **vars;
	int nvars, capvars;
	int var_floor; /* variables below belong to an enclosing template */
	kd_tpl__node **nstk;
	int nn, capn;
	const char **sstk;
	int ns, caps;
	int range_depth;
	int depth;
	int action_pos; /* where the action being parsed starts, or -1 */
	jmp_buf jb;
} parser;

static int line_of(const parser *p, int pos)
{
	int line;
	kd_text_pos(p->set->text, p->set->len, (size_t)pos, &line, NULL);
	return line;
}

/* A parse error at the last token read, as Go reports it (Go names only the line; the column
 * is where that token starts). */
static void perr(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void perr(parser *p, const char *fmt, ...)
{
	kd_buf b = KD_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	kd_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	int line, col;
	kd_text_pos(p->set->text, p->set->len, (size_t)p->toks.toks[p->maxread].pos, &line, &col);
	kd_error_set_at(KD_ERR_TEMPLATE, p->set->path, line, col + 1, "%s", kd_buf_cstr(&b));
	kd_buf_free(&b);
	longjmp(p->jb, 1);
}

static kd_tpl__tok *tok_at(parser *p, int k)
{
	if (k >= p->toks.n)
		k = p->toks.n - 1;
	if (k > p->maxread)
		p->maxread = k;
	return &p->toks.toks[k];
}

static kd_tpl__tok *next(parser *p)
{
	kd_tpl__tok *t = tok_at(p, p->i);
	if (p->i < p->toks.n - 1 || (t->type != T_EOF && t->type != T_ERROR))
		p->i++;
	else
		p->i = p->toks.n; /* past the end: backup returns to the last token */
	return t;
}

static void backup(parser *p)
{
	p->i--;
}

static kd_tpl__tok *peek(parser *p)
{
	return tok_at(p, p->i);
}

static kd_tpl__tok *next_non_space(parser *p)
{
	kd_tpl__tok *t;
	do
		t = next(p);
	while (t->type == T_SPACE);
	return t;
}

static kd_tpl__tok *peek_non_space(parser *p)
{
	kd_tpl__tok *t = next_non_space(p);
	backup(p);
	return t;
}

/* Go's item.String(). */
static void tok_string(kd_buf *b, const kd_tpl__tok *t)
{
	if (t->type == T_EOF) {
		kd_buf_puts(b, "EOF");
	} else if (t->type == T_ERROR) {
		kd_buf_puts(b, t->msg);
	} else if (t->type > T_KEYWORD) {
		kd_buf_printf(b, "<%.*s>", (int)t->len, t->val);
	} else {
		/* %.10q: at most 10 runes, then "..." when longer than 10 bytes */
		size_t n = 0, runes = 0;
		while (n < t->len && runes < 10) {
			uint32_t r;
			int l = kd_utf8_decode(t->val + n, t->len - n, &r);
			n += (size_t)(l ? l : 1);
			runes++;
		}
		kd_tpl__quote(b, t->val, t->len > 10 ? n : t->len, false);
		if (t->len > 10)
			kd_buf_puts(b, "...");
	}
}

static void unexpected(parser *p, const kd_tpl__tok *t, const char *context) __attribute__((noreturn));
static void unexpected(parser *p, const kd_tpl__tok *t, const char *context)
{
	kd_buf b = KD_BUF_INIT;
	if (t->type == T_ERROR) {
		kd_buf_puts(&b, t->msg);
		int aline = p->action_pos >= 0 ? line_of(p, p->action_pos) : 0;
		if (aline != 0 && aline != line_of(p, t->pos)) {
			size_t ml = strlen(t->msg);
			bool action = ml >= 7 && strcmp(t->msg + ml - 7, " action") == 0;
			kd_buf_printf(&b, " %sstarted at %s:%d", action ? "" : "in action ", p->set->path, aline);
		}
	} else {
		kd_buf_puts(&b, "unexpected ");
		tok_string(&b, t);
		kd_buf_printf(&b, " in %s", context);
	}
	/* perr copies the message before it unwinds: free ours first, through a bounded copy */
	kd_tpl__shorten(&b, 400);
	char msg[512];
	snprintf(msg, sizeof(msg), "%s", kd_buf_cstr(&b));
	kd_buf_free(&b);
	perr(p, "%s", msg);
}

static kd_tpl__node *new_node(parser *p, kd_tpl__ntype type, int pos, int line)
{
	kd_tpl__node *n = arena_alloc(p->set, sizeof(*n));
	n->type = type;
	n->pos = pos;
	n->line = line;
	return n;
}

/* Scratch stacks: children are pushed while a list is built, then moved into the arena. */
static int nmark(parser *p)
{
	return p->nn;
}

static void npush(parser *p, kd_tpl__node *n)
{
	if (p->nn == p->capn) {
		p->capn = p->capn ? p->capn * 2 : 64;
		p->nstk = kd_realloc(p->nstk, (size_t)p->capn * sizeof(*p->nstk));
	}
	p->nstk[p->nn++] = n;
}

static kd_tpl__node **npop(parser *p, int mark, int *count)
{
	*count = p->nn - mark;
	kd_tpl__node **a = NULL;
	if (*count) {
		a = arena_alloc(p->set, (size_t)*count * sizeof(*a));
		memcpy(a, p->nstk + mark, (size_t)*count * sizeof(*a));
	}
	p->nn = mark;
	return a;
}

static void spush(parser *p, const char *s)
{
	if (p->ns == p->caps) {
		p->caps = p->caps ? p->caps * 2 : 32;
		p->sstk = kd_realloc(p->sstk, (size_t)p->caps * sizeof(*p->sstk));
	}
	p->sstk[p->ns++] = s;
}

static const char **spop(parser *p, int mark, int *count)
{
	*count = p->ns - mark;
	const char **a = NULL;
	if (*count) {
		a = arena_alloc(p->set, (size_t)*count * sizeof(*a));
		memcpy(a, p->sstk + mark, (size_t)*count * sizeof(*a));
	}
	p->ns = mark;
	return a;
}

static void push_var(parser *p, const char *name)
{
	if (p->nvars == p->capvars) {
		p->capvars = p->capvars ? p->capvars * 2 : 16;
		p->vars = kd_realloc(p->vars, (size_t)p->capvars * sizeof(*p->vars));
	}
	p->vars[p->nvars++] = name;
}

/* Constants live in the arena: marked as references so that a cJSON_Duplicate copies them
 * and nothing ever frees their parts. */
static cJSON *const_number(parser *p, double d)
{
	cJSON *v = arena_alloc(p->set, sizeof(*v));
	v->type = cJSON_Number | cJSON_IsReference;
	v->valuedouble = d;
	return v;
}

static cJSON *const_int(parser *p, int64_t i)
{
	cJSON *v = arena_alloc(p->set, sizeof(*v));
	cJSON *t = kd_json_new_int(i); /* the exact int64 form, copied into the arena */
	*v = *t;
	kd_json_delete(t);
	v->type |= cJSON_IsReference;
	return v;
}

static cJSON *const_string(parser *p, const char *s, size_t n)
{
	cJSON *v = arena_alloc(p->set, sizeof(*v));
	v->type = cJSON_String | cJSON_IsReference;
	v->valuestring = arena_strndup(p->set, s, n);
	return v;
}

static void enter(parser *p)
{
	if (++p->depth > KD_TPL_MAX_PARSE_DEPTH)
		perr(p, "max expression depth exceeded");
}

static bool is_empty_tree(const kd_tpl__node *n)
{
	if (!n)
		return true;
	switch (n->type) {
	case N_LIST:
		for (int i = 0; i < n->u.list.n; i++)
			if (!is_empty_tree(n->u.list.items[i]))
				return false;
		return true;
	case N_COMMENT:
		return true;
	case N_TEXT:
		for (size_t i = 0; i < n->u.text.len; i++) {
			unsigned char c = (unsigned char)n->u.text.s[i];
			if (!(c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'))
				return false;
		}
		return true;
	default:
		return false;
	}
}

const kd_tpl__def *kd_tpl__lookup_def(const kd_tpl_set *set, const char *name)
{
	uintptr_t i = (uintptr_t)kd_strmap_get(&set->defmap, name, strlen(name));
	return i ? &set->defs[i - 1] : NULL;
}

static void add_def(parser *p, const char *name, kd_tpl__node *root)
{
	kd_tpl_set *s = p->set;
	uintptr_t at = (uintptr_t)kd_strmap_get(&s->defmap, name, strlen(name));
	if (at) {
		int i = (int)at - 1;
		if (is_empty_tree(s->defs[i].root)) {
			s->defs[i].root = root;
			return;
		}
		if (!is_empty_tree(root)) {
			kd_buf q = KD_BUF_INIT;
			kd_tpl__quote(&q, name, strlen(name), false);
			char msg[300];
			snprintf(msg, sizeof(msg), "%s", kd_buf_cstr(&q));
			kd_buf_free(&q);
			perr(p, "template: multiple definition of template %s", msg);
		}
		return;
	}
	if (s->ndefs == s->capdefs) {
		s->capdefs = s->capdefs ? s->capdefs * 2 : 4;
		s->defs = kd_realloc(s->defs, (size_t)s->capdefs * sizeof(*s->defs));
	}
	s->defs[s->ndefs].name = name;
	s->defs[s->ndefs].root = root;
	s->ndefs++;
	kd_strmap_put(&s->defmap, name, strlen(name), (void *)(uintptr_t)s->ndefs);
}

static kd_tpl__node *pipeline(parser *p, const char *context, kd_tpl__tok_type end);
static kd_tpl__node *item_list(parser *p, kd_tpl__node **end);

static const char *unquote_name(parser *p, const kd_tpl__tok *t)
{
	kd_buf b = KD_BUF_INIT;
	if (!unquote(&b, t->val, t->len)) {
		kd_buf_free(&b);
		perr(p, "invalid syntax");
	}
	if (memchr(kd_buf_cstr(&b), '\0', b.len)) {
		kd_buf_free(&b);
		perr(p, "template name with a NUL byte (\\x00): kudoc's strings cannot hold one");
	}
	char *s = arena_strndup(p->set, kd_buf_cstr(&b), b.len);
	kd_buf_free(&b);
	return s;
}

static kd_tpl__node *new_number(parser *p, const kd_tpl__tok *t)
{
	kd_tpl__node *n = new_node(p, N_NUMBER, t->pos, t->line);
	char *text = arena_strndup(p->set, t->val, t->len);
	n->u.konst.text = text;
	if (t->type == T_COMPLEX || (t->len > 0 && text[t->len - 1] == 'i'))
		perr(p, "complex numbers are not supported: %s", text);
	if (t->type == T_CHARCONST) {
		uint32_t r;
		bool raw;
		int l = unquote_char(text + 1, t->len - 1, '\'', &r, &raw);
		if (l < 0 || (size_t)l + 2 != t->len || text[l + 1] != '\'')
			perr(p, "malformed character constant: %s", text);
		cJSON *v = const_int(p, (int64_t)r);
		n->u.konst.v = v;
		return n;
	}
	/* parse.newNumber: integer syntax first (0x123 ...), then float; base/strconv.c has Go's
	 * strconv rules, underscores and prefixes included */
	uint64_t u = 0;
	int64_t iv = 0;
	double f = 0;
	bool is_uint = kd_go_parse_uint(text, 0, &u) == 0;
	bool is_int = kd_go_parse_int(text, 0, &iv) == 0;
	bool is_float = false;
	if (is_int) {
		is_float = true;
		f = (double)iv;
	} else if (is_uint) {
		is_float = true;
		f = (double)u;
	} else if (kd_go_parse_float(text, &f) == 0) {
		if (!strpbrk(text, ".eEpP"))
			perr(p, "integer overflow: \"%s\"", text);
		is_float = true;
		if (f >= -9223372036854775808.0 && f < 9223372036854775808.0 && (double)(int64_t)f == f) {
			is_int = true;
			iv = (int64_t)f;
		}
	}
	if (!is_int && !is_uint && !is_float)
		perr(p, "illegal number syntax: \"%s\"", text);
	/* exec's idealConstant: float syntax gives a float64, else an int, else "overflows int" */
	bool hexint = t->len > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X') && !strpbrk(text, "pP");
	cJSON *v = NULL;
	if (is_float && !hexint && strpbrk(text, ".eEpP"))
		v = const_number(p, f);
	else if (is_int)
		v = const_int(p, iv);
	/* v == NULL: an unsigned value that overflows int, reported at execution as Go does */
	n->u.konst.v = v;
	return n;
}

static kd_tpl__node *use_var(parser *p, const kd_tpl__tok *t)
{
	kd_tpl__node *n = new_node(p, N_VAR, t->pos, t->line);
	const char *name = arena_strndup(p->set, t->val, t->len);
	const char **ids = arena_alloc(p->set, sizeof(*ids));
	ids[0] = name;
	n->u.field.idents = ids;
	n->u.field.n = 1;
	for (int i = p->nvars - 1; i >= p->var_floor; i--)
		if (strcmp(p->vars[i], name) == 0)
			return n;
	perr(p, "undefined variable \"%s\"", name);
}

static kd_tpl__node *term(parser *p)
{
	kd_tpl__tok *t = next_non_space(p);
	kd_tpl__node *n;
	switch (t->type) {
	case T_IDENT: {
		n = new_node(p, N_IDENT, t->pos, t->line);
		if (!kd_tpl__lookup_fn(t->val, t->len, &n->u.ident.fn, &n->u.ident.builtin))
			perr(p, "function \"%.*s\" not defined", (int)t->len, t->val);
		n->u.ident.name = n->u.ident.fn ? n->u.ident.fn->name : arena_strndup(p->set, t->val, t->len);
		return n;
	}
	case T_DOT:
		return new_node(p, N_DOT, t->pos, t->line);
	case T_NIL:
		return new_node(p, N_NIL, t->pos, t->line);
	case T_VARIABLE:
		return use_var(p, t);
	case T_FIELD: {
		n = new_node(p, N_FIELD, t->pos, t->line);
		const char **ids = arena_alloc(p->set, sizeof(*ids));
		ids[0] = arena_strndup(p->set, t->val + 1, t->len - 1);
		n->u.field.idents = ids;
		n->u.field.n = 1;
		return n;
	}
	case T_BOOL:
		n = new_node(p, N_BOOL, t->pos, t->line);
		n->u.boolean = t->len == 4;
		return n;
	case T_CHARCONST:
	case T_COMPLEX:
	case T_NUMBER:
		return new_number(p, t);
	case T_LPAREN: {
		enter(p);
		kd_tpl__node *pipe = pipeline(p, "parenthesized pipeline", T_RPAREN);
		p->depth--;
		return pipe;
	}
	case T_STRING:
	case T_RAWSTRING: {
		n = new_node(p, N_STRING, t->pos, t->line);
		n->u.konst.text = arena_strndup(p->set, t->val, t->len);
		kd_buf b = KD_BUF_INIT;
		if (!unquote(&b, t->val, t->len)) {
			kd_buf_free(&b);
			perr(p, "invalid syntax");
		}
		if (memchr(kd_buf_cstr(&b), '\0', b.len)) {
			kd_buf_free(&b);
			perr(p, "string constant with a NUL byte (\\x00): kudoc's strings cannot hold one");
		}
		cJSON *v = const_string(p, kd_buf_cstr(&b), b.len);
		kd_buf_free(&b);
		n->u.konst.v = v;
		return n;
	}
	default:
		backup(p);
		return NULL;
	}
}

static kd_tpl__node *operand(parser *p)
{
	kd_tpl__node *n = term(p);
	if (!n)
		return NULL;
	if (peek(p)->type != T_FIELD)
		return n;
	kd_tpl__tok *ft = peek(p);
	int pos = ft->pos, line = ft->line;
	int mark = p->ns;
	if (n->type == N_FIELD || n->type == N_VAR)
		for (int i = 0; i < n->u.field.n; i++)
			spush(p, n->u.field.idents[i]);
	while (peek(p)->type == T_FIELD) {
		kd_tpl__tok *t = next(p);
		spush(p, arena_strndup(p->set, t->val + 1, t->len - 1));
	}
	switch (n->type) {
	case N_FIELD:
	case N_VAR: {
		kd_tpl__node *c = new_node(p, n->type, pos, line);
		c->u.field.idents = spop(p, mark, &c->u.field.n);
		return c;
	}
	case N_BOOL:
	case N_STRING:
	case N_NUMBER:
	case N_NIL:
	case N_DOT: {
		kd_buf b = KD_BUF_INIT;
		kd_tpl__node_string(&b, n);
		kd_buf q = KD_BUF_INIT;
		kd_tpl__quote(&q, b.ptr ? b.ptr : "", b.len, false);
		char msg[256];
		snprintf(msg, sizeof(msg), "%s", kd_buf_cstr(&q));
		kd_buf_free(&b);
		kd_buf_free(&q);
		perr(p, "unexpected . after term %s", msg);
	}
	default: {
		kd_tpl__node *c = new_node(p, N_CHAIN, pos, line);
		c->u.chain.term = n;
		c->u.chain.idents = spop(p, mark, &c->u.chain.n);
		return c;
	}
	}
}

static kd_tpl__node *command(parser *p)
{
	kd_tpl__tok *first = peek_non_space(p);
	kd_tpl__node *cmd = new_node(p, N_CMD, first->pos, first->line);
	int mark = nmark(p);
	for (;;) {
		peek_non_space(p);
		kd_tpl__node *o = operand(p);
		if (o)
			npush(p, o);
		kd_tpl__tok *t = next(p);
		if (t->type == T_SPACE)
			continue;
		if (t->type == T_RDELIM || t->type == T_RPAREN)
			backup(p);
		else if (t->type != T_PIPE)
			unexpected(p, t, "operand");
		break;
	}
	cmd->u.cmd.args = npop(p, mark, &cmd->u.cmd.nargs);
	if (cmd->u.cmd.nargs == 0)
		perr(p, "empty command");
	return cmd;
}

static void check_pipeline(parser *p, kd_tpl__node *pipe, const char *context)
{
	if (pipe->u.pipe.ncmds == 0)
		perr(p, "missing value for %s", context);
	for (int i = 1; i < pipe->u.pipe.ncmds; i++) {
		switch (pipe->u.pipe.cmds[i]->u.cmd.args[0]->type) {
		case N_BOOL:
		case N_DOT:
		case N_NIL:
		case N_NUMBER:
		case N_STRING:
			perr(p, "non executable command in pipeline stage %d", i + 1);
		default:
			break;
		}
	}
}

static kd_tpl__node *pipeline(parser *p, const char *context, kd_tpl__tok_type end)
{
	kd_tpl__tok *first = peek_non_space(p);
	kd_tpl__node *pipe = new_node(p, N_PIPE, first->pos, first->line);
	int smark = p->ns;
	bool is_range = strcmp(context, "range") == 0;
decls:
	if (peek_non_space(p)->type == T_VARIABLE) {
		int vi = p->i;
		kd_tpl__tok *v = next(p);
		kd_tpl__tok *nx = peek_non_space(p);
		if (nx->type == T_ASSIGN || nx->type == T_DECLARE) {
			pipe->u.pipe.assign = nx->type == T_ASSIGN;
			next_non_space(p);
			const char *name = arena_strndup(p->set, v->val, v->len);
			spush(p, name);
			push_var(p, name);
		} else if (nx->type == T_CHAR && nx->len == 1 && nx->val[0] == ',') {
			next_non_space(p);
			const char *name = arena_strndup(p->set, v->val, v->len);
			spush(p, name);
			push_var(p, name);
			if (is_range && p->ns - smark < 2) {
				kd_tpl__tok_type t = peek_non_space(p)->type;
				if (t == T_VARIABLE || t == T_RDELIM || t == T_RPAREN)
					goto decls;
				perr(p, "range can only initialize variables");
			}
			perr(p, "too many declarations in %s", context);
		} else {
			p->i = vi;
		}
	}
	pipe->u.pipe.decl = spop(p, smark, &pipe->u.pipe.ndecl);
	int mark = nmark(p);
	for (;;) {
		kd_tpl__tok *t = next_non_space(p);
		if (t->type == end) {
			pipe->u.pipe.cmds = npop(p, mark, &pipe->u.pipe.ncmds);
			check_pipeline(p, pipe, context);
			return pipe;
		}
		switch (t->type) {
		case T_BOOL:
		case T_CHARCONST:
		case T_COMPLEX:
		case T_DOT:
		case T_FIELD:
		case T_IDENT:
		case T_NUMBER:
		case T_NIL:
		case T_RAWSTRING:
		case T_STRING:
		case T_VARIABLE:
		case T_LPAREN:
			backup(p);
			npush(p, command(p));
			break;
		default:
			unexpected(p, t, context);
		}
	}
}

static kd_tpl__node *if_control(parser *p);
static kd_tpl__node *with_control(parser *p);

static kd_tpl__node *parse_control(parser *p, kd_tpl__ntype type, const char *context)
{
	enter(p);
	int saved = p->nvars;
	kd_tpl__node *pipe = pipeline(p, context, T_RDELIM);
	kd_tpl__node *n = new_node(p, type, pipe->pos, pipe->line);
	n->u.ctl.pipe = pipe;
	if (type == N_RANGE)
		p->range_depth++;
	kd_tpl__node *next_n;
	n->u.ctl.list = item_list(p, &next_n);
	if (type == N_RANGE)
		p->range_depth--;
	if (next_n->type == N_ELSE) {
		if (type == N_IF && peek(p)->type == T_IF) {
			next(p);
			kd_tpl__node *el = new_node(p, N_LIST, next_n->pos, next_n->line);
			int mark = nmark(p);
			kd_tpl__node *inner = if_control(p);
			npush(p, inner);
			el->u.list.items = npop(p, mark, &el->u.list.n);
			n->u.ctl.elist = el;
		} else if (type == N_WITH && peek(p)->type == T_WITH) {
			next(p);
			kd_tpl__node *el = new_node(p, N_LIST, next_n->pos, next_n->line);
			int mark = nmark(p);
			kd_tpl__node *inner = with_control(p);
			npush(p, inner);
			el->u.list.items = npop(p, mark, &el->u.list.n);
			n->u.ctl.elist = el;
		} else {
			n->u.ctl.elist = item_list(p, &next_n);
			if (next_n->type != N_END) {
				kd_buf b = KD_BUF_INIT;
				kd_tpl__node_string(&b, next_n);
				char msg[64];
				snprintf(msg, sizeof(msg), "%s", kd_buf_cstr(&b));
				kd_buf_free(&b);
				perr(p, "expected end; found %s", msg);
			}
		}
	}
	p->nvars = saved;
	p->depth--;
	return n;
}

static kd_tpl__node *if_control(parser *p)
{
	return parse_control(p, N_IF, "if");
}

static kd_tpl__node *with_control(parser *p)
{
	return parse_control(p, N_WITH, "with");
}

static kd_tpl__tok *expect(parser *p, kd_tpl__tok_type type, const char *context)
{
	kd_tpl__tok *t = next_non_space(p);
	if (t->type != type)
		unexpected(p, t, context);
	return t;
}

static const char *template_name(parser *p, kd_tpl__tok *t, const char *context)
{
	if (t->type != T_STRING && t->type != T_RAWSTRING)
		unexpected(p, t, context);
	return unquote_name(p, t);
}

/* Parses a define or block body as a template of its own (fresh variables, no enclosing
 * range) and adds it to the set. */
static void parse_body(parser *p, const char *name, const char *context)
{
	int saved_n = p->nvars, saved_floor = p->var_floor, saved_range = p->range_depth;
	p->var_floor = p->nvars;
	p->range_depth = 0;
	push_var(p, "$");
	kd_tpl__node *end;
	kd_tpl__node *root = item_list(p, &end);
	p->nvars = saved_n;
	p->var_floor = saved_floor;
	p->range_depth = saved_range;
	if (end->type != N_END) {
		kd_buf b = KD_BUF_INIT;
		kd_tpl__node_string(&b, end);
		char msg[64];
		snprintf(msg, sizeof(msg), "%s", kd_buf_cstr(&b));
		kd_buf_free(&b);
		perr(p, "unexpected %s in %s", msg, context);
	}
	add_def(p, name, root);
}

static kd_tpl__node *action(parser *p)
{
	kd_tpl__tok *t = next_non_space(p);
	switch (t->type) {
	case T_BLOCK: {
		kd_tpl__tok *nt = next_non_space(p);
		const char *name = template_name(p, nt, "block clause");
		kd_tpl__node *pipe = pipeline(p, "block clause", T_RDELIM);
		enter(p);
		parse_body(p, name, "block clause");
		p->depth--;
		kd_tpl__node *n = new_node(p, N_TEMPLATE, nt->pos, nt->line);
		n->u.tmpl.name = name;
		n->u.tmpl.quoted = arena_strndup(p->set, nt->val, nt->len);
		n->u.tmpl.pipe = pipe;
		return n;
	}
	case T_BREAK:
	case T_CONTINUE: {
		bool brk = t->type == T_BREAK;
		kd_tpl__tok *nt = next_non_space(p);
		if (nt->type != T_RDELIM)
			unexpected(p, nt, brk ? "{{break}}" : "{{continue}}");
		if (p->range_depth == 0)
			perr(p, "%s outside {{range}}", brk ? "{{break}}" : "{{continue}}");
		return new_node(p, brk ? N_BREAK : N_CONTINUE, t->pos, t->line);
	}
	case T_ELSE: {
		kd_tpl__tok *pk = peek_non_space(p);
		if (pk->type == T_IF || pk->type == T_WITH)
			return new_node(p, N_ELSE, pk->pos, pk->line);
		kd_tpl__tok *e = expect(p, T_RDELIM, "else");
		return new_node(p, N_ELSE, e->pos, e->line);
	}
	case T_END: {
		kd_tpl__tok *e = expect(p, T_RDELIM, "end");
		return new_node(p, N_END, e->pos, e->line);
	}
	case T_IF:
		return if_control(p);
	case T_RANGE:
		return parse_control(p, N_RANGE, "range");
	case T_WITH:
		return with_control(p);
	case T_TEMPLATE: {
		kd_tpl__tok *nt = next_non_space(p);
		const char *name = template_name(p, nt, "template clause");
		kd_tpl__node *n = new_node(p, N_TEMPLATE, nt->pos, nt->line);
		n->u.tmpl.name = name;
		n->u.tmpl.quoted = arena_strndup(p->set, nt->val, nt->len);
		if (next_non_space(p)->type != T_RDELIM) {
			backup(p);
			n->u.tmpl.pipe = pipeline(p, "template clause", T_RDELIM);
		}
		return n;
	}
	default:
		break;
	}
	backup(p);
	kd_tpl__tok *pk = peek(p);
	kd_tpl__node *n = new_node(p, N_ACTION, pk->pos, pk->line);
	n->u.action.pipe = pipeline(p, "command", T_RDELIM);
	return n;
}

static kd_tpl__node *text_or_action(parser *p)
{
	kd_tpl__tok *t = next_non_space(p);
	switch (t->type) {
	case T_TEXT: {
		kd_tpl__node *n = new_node(p, N_TEXT, t->pos, t->line);
		n->u.text.s = t->val;
		n->u.text.len = t->len;
		return n;
	}
	case T_LDELIM: {
		p->action_pos = t->pos;
		kd_tpl__node *n = action(p);
		p->action_pos = -1;
		return n;
	}
	default:
		unexpected(p, t, "input");
	}
}

static kd_tpl__node *item_list(parser *p, kd_tpl__node **end)
{
	kd_tpl__tok *first = peek_non_space(p);
	kd_tpl__node *list = new_node(p, N_LIST, first->pos, first->line);
	int mark = nmark(p);
	while (peek_non_space(p)->type != T_EOF) {
		kd_tpl__node *n = text_or_action(p);
		if (n->type == N_END || n->type == N_ELSE) {
			list->u.list.items = npop(p, mark, &list->u.list.n);
			*end = n;
			return list;
		}
		npush(p, n);
	}
	perr(p, "unexpected EOF");
}

static void parse_all(parser *p)
{
	kd_tpl__node *root = new_node(p, N_LIST, peek(p)->pos, peek(p)->line);
	int mark = nmark(p);
	while (peek(p)->type != T_EOF) {
		if (peek(p)->type == T_LDELIM) {
			int di = p->i;
			next(p);
			if (next_non_space(p)->type == T_DEFINE) {
				kd_tpl__tok *nt = next_non_space(p);
				if (nt->type != T_STRING && nt->type != T_RAWSTRING)
					unexpected(p, nt, "define clause");
				const char *name = unquote_name(p, nt);
				expect(p, T_RDELIM, "define clause");
				/* the children collected so far stay on the stack below the body's */
				parse_body(p, name, "define clause");
				continue;
			}
			p->i = di;
		}
		kd_tpl__node *n = text_or_action(p);
		if (n->type == N_END || n->type == N_ELSE)
			perr(p, "unexpected %s", n->type == N_END ? "{{end}}" : "{{else}}");
		npush(p, n);
	}
	root->u.list.items = npop(p, mark, &root->u.list.n);
	add_def(p, p->set->name, root);
}

/* No local of this function changes between setjmp and longjmp. */
static int run_parser(parser *p)
{
	if (setjmp(p->jb))
		return KD_ERROR;
	parse_all(p);
	return 0;
}

int kd_tpl_parse(kd_tpl_set **out, const char *name, const char *text, size_t len)
{
	return kd_tpl_parse_path(out, name, name, text, len);
}

int kd_tpl_parse_path(kd_tpl_set **out, const char *name, const char *path, const char *text, size_t len)
{
	kd_tpl_set *set = NULL;
	parser *p = NULL;
	int rc = KD_ERROR;
	*out = NULL;
	if (len > (size_t)INT32_MAX) {
		kd_error_set_at(KD_ERR_TEMPLATE, path, 0, 0, "template too large");
		goto done;
	}
	set = kd_calloc(1, sizeof(*set));
	set->name = kd_strdup(name);
	set->path = kd_strdup(path ? path : name);
	set->text = kd_malloc(len + 1);
	memcpy(set->text, text, len);
	set->text[len] = '\0';
	set->len = len;
	p = kd_calloc(1, sizeof(*p));
	p->set = set;
	p->name = set->name;
	p->action_pos = -1;
	kd_tpl__lex(&p->toks, set->text, len);
	push_var(p, "$");
	rc = run_parser(p);
done:
	if (p) {
		kd_tpl__toks_free(&p->toks);
		free(p->vars);
		free(p->nstk);
		free(p->sstk);
		free(p);
	}
	if (rc == 0)
		*out = set;
	else
		kd_tpl_set_free(set);
	return rc;
}

void kd_tpl_set_free(kd_tpl_set *set)
{
	if (!set)
		return;
	kd_tpl__arena *a = set->arena;
	while (a) {
		kd_tpl__arena *n = a->next;
		free(a);
		a = n;
	}
	free(set->defs);
	kd_strmap_free(&set->defmap);
	free(set->text);
	free(set->path);
	free(set->name);
	free(set);
}

/* ---- Go's Node.String() ---- */
static void pipe_string(kd_buf *b, const kd_tpl__node *n)
{
	for (int i = 0; i < n->u.pipe.ndecl; i++) {
		if (i)
			kd_buf_puts(b, ", ");
		kd_buf_puts(b, n->u.pipe.decl[i]);
	}
	if (n->u.pipe.ndecl)
		kd_buf_puts(b, n->u.pipe.assign ? " = " : " := ");
	for (int i = 0; i < n->u.pipe.ncmds; i++) {
		if (i)
			kd_buf_puts(b, " | ");
		kd_tpl__node_string(b, n->u.pipe.cmds[i]);
	}
}

void kd_tpl__node_string(kd_buf *b, const kd_tpl__node *n)
{
	if (!n)
		return;
	switch (n->type) {
	case N_TEXT:
		kd_tpl__quote(b, n->u.text.s, n->u.text.len, false);
		break;
	case N_ACTION:
		kd_buf_puts(b, "{{");
		pipe_string(b, n->u.action.pipe);
		kd_buf_puts(b, "}}");
		break;
	case N_COMMENT:
		break;
	case N_IF:
	case N_RANGE:
	case N_WITH:
		kd_buf_puts(b, n->type == N_IF ? "{{if " : n->type == N_RANGE ? "{{range " : "{{with ");
		pipe_string(b, n->u.ctl.pipe);
		kd_buf_puts(b, "}}");
		kd_tpl__node_string(b, n->u.ctl.list);
		if (n->u.ctl.elist) {
			kd_buf_puts(b, "{{else}}");
			kd_tpl__node_string(b, n->u.ctl.elist);
		}
		kd_buf_puts(b, "{{end}}");
		break;
	case N_TEMPLATE:
		kd_buf_puts(b, "{{template ");
		kd_tpl__quote(b, n->u.tmpl.name, strlen(n->u.tmpl.name), false);
		if (n->u.tmpl.pipe) {
			kd_buf_putc(b, ' ');
			pipe_string(b, n->u.tmpl.pipe);
		}
		kd_buf_puts(b, "}}");
		break;
	case N_BREAK:
		kd_buf_puts(b, "{{break}}");
		break;
	case N_CONTINUE:
		kd_buf_puts(b, "{{continue}}");
		break;
	case N_LIST:
		for (int i = 0; i < n->u.list.n; i++)
			kd_tpl__node_string(b, n->u.list.items[i]);
		break;
	case N_PIPE:
		pipe_string(b, n);
		break;
	case N_CMD:
		for (int i = 0; i < n->u.cmd.nargs; i++) {
			if (i)
				kd_buf_putc(b, ' ');
			const kd_tpl__node *a = n->u.cmd.args[i];
			if (a->type == N_PIPE) {
				kd_buf_putc(b, '(');
				pipe_string(b, a);
				kd_buf_putc(b, ')');
			} else {
				kd_tpl__node_string(b, a);
			}
		}
		break;
	case N_FIELD:
		for (int i = 0; i < n->u.field.n; i++) {
			kd_buf_putc(b, '.');
			kd_buf_puts(b, n->u.field.idents[i]);
		}
		break;
	case N_VAR:
		for (int i = 0; i < n->u.field.n; i++) {
			if (i)
				kd_buf_putc(b, '.');
			kd_buf_puts(b, n->u.field.idents[i]);
		}
		break;
	case N_CHAIN:
		if (n->u.chain.term->type == N_PIPE) {
			kd_buf_putc(b, '(');
			pipe_string(b, n->u.chain.term);
			kd_buf_putc(b, ')');
		} else {
			kd_tpl__node_string(b, n->u.chain.term);
		}
		for (int i = 0; i < n->u.chain.n; i++) {
			kd_buf_putc(b, '.');
			kd_buf_puts(b, n->u.chain.idents[i]);
		}
		break;
	case N_IDENT:
		kd_buf_puts(b, n->u.ident.name);
		break;
	case N_DOT:
		kd_buf_putc(b, '.');
		break;
	case N_NIL:
		kd_buf_puts(b, "nil");
		break;
	case N_BOOL:
		kd_buf_puts(b, n->u.boolean ? "true" : "false");
		break;
	case N_NUMBER:
	case N_STRING:
		kd_buf_puts(b, n->u.konst.text);
		break;
	case N_END:
		kd_buf_puts(b, "{{end}}");
		break;
	case N_ELSE:
		kd_buf_puts(b, "{{else}}");
		break;
	}
}

/* ---- field chains for package verify ---- */
typedef struct {
	const kd_tpl_set *set;
	kd_tpl_field_cb cb;
	void *ud;
	kd_buf chain;
} walker;


static int report(walker *w, const kd_tpl__node *n, const char *const *ids, int nids)
{
	if (nids == 0)
		return 0;
	kd_buf_clear(&w->chain);
	for (int i = 0; i < nids; i++) {
		if (i)
			kd_buf_putc(&w->chain, '.');
		kd_buf_puts(&w->chain, ids[i]);
	}
	int line, col, start = n->pos;
	if (n->type == N_FIELD && n->u.field.n > 1)
		start -= 1 + (int)strlen(n->u.field.idents[0]);
	else if (n->type == N_VAR)
		start -= (int)strlen(n->u.field.idents[0]);
	kd_text_pos(w->set->text, w->set->len, (size_t)start, &line, &col);
	col++;
	return w->cb(kd_buf_cstr(&w->chain), line, col, w->ud);
}

static int walk_node(walker *w, const kd_tpl__node *n)
{
	int rc = 0;
	if (!n)
		return 0;
	switch (n->type) {
	case N_ACTION:
		return walk_node(w, n->u.action.pipe);
	case N_IF:
	case N_RANGE:
	case N_WITH:
		if ((rc = walk_node(w, n->u.ctl.pipe)) || (rc = walk_node(w, n->u.ctl.list)))
			return rc;
		return walk_node(w, n->u.ctl.elist);
	case N_TEMPLATE:
		return walk_node(w, n->u.tmpl.pipe);
	case N_LIST:
		for (int i = 0; i < n->u.list.n; i++)
			if ((rc = walk_node(w, n->u.list.items[i])))
				return rc;
		return 0;
	case N_PIPE:
		for (int i = 0; i < n->u.pipe.ncmds; i++)
			if ((rc = walk_node(w, n->u.pipe.cmds[i])))
				return rc;
		return 0;
	case N_CMD:
		for (int i = 0; i < n->u.cmd.nargs; i++)
			if ((rc = walk_node(w, n->u.cmd.args[i])))
				return rc;
		return 0;
	case N_FIELD:
		return report(w, n, n->u.field.idents, n->u.field.n);
	case N_VAR:
		if (strcmp(n->u.field.idents[0], "$") == 0)
			return report(w, n, n->u.field.idents + 1, n->u.field.n - 1);
		return 0;
	case N_CHAIN:
		return walk_node(w, n->u.chain.term);
	default:
		return 0;
	}
}

int kd_tpl_walk_fields(const kd_tpl_set *set, kd_tpl_field_cb cb, void *ud)
{
	walker w = {set, cb, ud, KD_BUF_INIT};
	int rc = 0;
	for (int i = 0; i < set->ndefs && rc == 0; i++)
		rc = walk_node(&w, set->defs[i].root);
	kd_buf_free(&w.chain);
	return rc;
}
