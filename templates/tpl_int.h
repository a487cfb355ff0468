/* Internal to templates/: the lexer's tokens, the parse tree, the set, and the helpers the
 * evaluator, the built-ins and the formatter share. */
#ifndef KD_TPL_INT_H
#define KD_TPL_INT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/base.h"
#include "../base/json.h"
#include "templates.h"
#include "tpl_fn.h"

/* Limits against hostile input. */
#define KD_TPL_MAX_PARSE_DEPTH 1000   /* nested control structures and parentheses */
#define KD_TPL_MAX_EXEC_DEPTH 10000   /* nested {{template}} calls */
#define KD_TPL_MAX_OUTPUT ((size_t)256 << 20) /* one execution's output, and its values' memory */
/* The work one execution may do: actions, function calls and loop passes, each a step, and
 * every KD_TPL_STEP_BYTES bytes its values allocate another. */
#define KD_TPL_MAX_STEPS ((uint64_t)10 * 1000 * 1000)
#define KD_TPL_STEP_BYTES 256
/* The budgets in force (KD_TPL_MAX_STEPS, KD_TPL_MAX_VALUES; unit tests lower them to reach
 * them quickly). */
extern uint64_t kd_tpl__max_steps;
extern size_t kd_tpl__max_values;

/* ---- lexer ---- */
typedef enum {
	T_ERROR,
	T_EOF,
	T_TEXT,
	T_COMMENT,
	T_LDELIM,
	T_RDELIM,
	T_SPACE,
	T_ASSIGN,
	T_DECLARE,
	T_PIPE,
	T_STRING,
	T_RAWSTRING,
	T_VARIABLE,
	T_CHARCONST,
	T_NUMBER,
	T_COMPLEX,
	T_FIELD,
	T_IDENT,
	T_BOOL,
	T_LPAREN,
	T_RPAREN,
	T_CHAR,
	T_KEYWORD, /* delimits the keywords below */
	T_BLOCK,
	T_BREAK,
	T_CONTINUE,
	T_DOT,
	T_DEFINE,
	T_ELSE,
	T_END,
	T_IF,
	T_NIL,
	T_RANGE,
	T_TEMPLATE,
	T_WITH,
} kd_tpl__tok_type;

typedef struct {
	kd_tpl__tok_type type;
	int pos;  /* byte offset in the text */
	int line; /* unused: lines are counted from pos when an error needs one */
	const char *val;
	size_t len;
	char *msg; /* T_ERROR: the message (owned by the token array) */
} kd_tpl__tok;

typedef struct {
	kd_tpl__tok *toks;
	int n, cap;
} kd_tpl__toks;

/* Lexes the whole text; the array always ends with T_EOF or T_ERROR. */
void kd_tpl__lex(kd_tpl__toks *out, const char *text, size_t len);
void kd_tpl__toks_free(kd_tpl__toks *t);

/* ---- parse tree ---- */
typedef enum {
	N_TEXT,
	N_ACTION,
	N_COMMENT,
	N_IF,
	N_RANGE,
	N_WITH,
	N_TEMPLATE,
	N_BREAK,
	N_CONTINUE,
	N_LIST,
	N_PIPE,
	N_CMD,
	N_FIELD,
	N_CHAIN,
	N_VAR,
	N_IDENT,
	N_DOT,
	N_NIL,
	N_BOOL,
	N_NUMBER,
	N_STRING,
	N_END,
	N_ELSE,
} kd_tpl__ntype;

typedef enum {
	B_NONE = 0,
	B_AND,
	B_OR,
	B_NOT,
	B_EQ,
	B_NE,
	B_LT,
	B_LE,
	B_GT,
	B_GE,
	B_LEN,
	B_INDEX,
	B_SLICE,
	B_PRINT,
	B_PRINTF,
	B_PRINTLN,
	B_HTML,
	B_JS,
	B_URLQUERY,
} kd_tpl__builtin;

typedef struct kd_tpl__node kd_tpl__node;
struct kd_tpl__node {
	kd_tpl__ntype type;
	int pos;
	int line;
	union {
		struct {
			const char *s;
			size_t len;
		} text;
		struct {
			kd_tpl__node **items;
			int n;
		} list;
		struct {
			kd_tpl__node *pipe;
		} action;
		struct {
			kd_tpl__node *pipe, *list, *elist;
		} ctl;
		struct {
			const char *name;
			const char *quoted;
			kd_tpl__node *pipe; /* may be NULL */
		} tmpl;
		struct {
			const char **decl;
			int ndecl;
			bool assign;
			kd_tpl__node **cmds;
			int ncmds;
		} pipe;
		struct {
			kd_tpl__node **args;
			int nargs;
		} cmd;
		struct { /* N_FIELD: idents without dots; N_VAR: idents[0] is "$x" */
			const char **idents;
			int n;
		} field;
		struct {
			kd_tpl__node *term;
			const char **idents;
			int n;
		} chain;
		struct {
			const char *name;
			const kd_tpl__fndef *fn; /* sprig function, or NULL for a built-in */
			kd_tpl__builtin builtin;
		} ident;
		bool boolean;
		struct {
			cJSON *v; /* in the set's arena; NULL for an int constant that overflows */
			const char *text;
		} konst; /* N_NUMBER, N_STRING (text is the quoted form) */
	} u;
};

typedef struct {
	const char *name;
	kd_tpl__node *root; /* N_LIST */
} kd_tpl__def;

typedef struct kd_tpl__arena kd_tpl__arena;

struct kd_tpl_set {
	char *name;
	char *path; /* what positions in errors name (kd_tpl_parse_path) */
	char *text; /* a copy of the source: text nodes point into it */
	size_t len;
	kd_tpl__arena *arena;
	kd_tpl__def *defs; /* defs[0] is the main template */
	int ndefs, capdefs;
	kd_strmap defmap; /* name -> index + 1 in defs */
};

/* The template `name` of the set, or NULL. */
const kd_tpl__def *kd_tpl__lookup_def(const kd_tpl_set *set, const char *name);

/* Go's Node.String() for error contexts. */
void kd_tpl__node_string(kd_buf *b, const kd_tpl__node *n);
/* Function lookup: the sprig table first, then the built-ins. Returns false when neither has
 * `name`. */
bool kd_tpl__lookup_fn(const char *name, size_t len, const kd_tpl__fndef **fn, kd_tpl__builtin *b);

/* ---- values during execution ----
 * A value is a borrowed cJSON node plus the reference-counted owner of the tree it lives in
 * (NULL for the data tree and the set's constants, which outlive the execution). v == NULL is
 * Go's invalid value (a missing or nil result). `iface` marks values whose static type is
 * interface{} (map and list elements), which only matters for Go's error wording. */
typedef struct kd_tpl__ref {
	cJSON *root;
	long rc;
} kd_tpl__ref;

typedef struct {
	cJSON *v;
	kd_tpl__ref *own;
	bool iface;
} kd_tpl__val;

/* Go type names as reflect prints them ("string", "int", "float64", "[]interface {}", ...). */
const char *kd_tpl__type_name(const cJSON *v);
/* fmt.Sprintf with Go semantics over cJSON args (NULL or cJSON NULL is nil). */
int kd_tpl__sprintf(kd_buf *out, const char *format, size_t flen, cJSON *const *args, int nargs);
/* fmt.Sprint / fmt.Sprintln. */
int kd_tpl__sprint(kd_buf *out, cJSON *const *args, int nargs, bool ln);
/* Cuts what b holds to at most `max` bytes (at a character boundary) followed by "...", when
 * it is longer or its writes failed; clears the buffer's failure. For messages that quote
 * long text. */
void kd_tpl__shorten(kd_buf *b, size_t max);
/* strconv.Quote. */
int kd_tpl__quote(kd_buf *out, const char *s, size_t len, bool ascii);
bool kd_tpl__is_nil(const cJSON *v);

#endif
