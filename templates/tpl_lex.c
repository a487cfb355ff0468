/* The lexer: Go text/template's item stream, produced up front into an array. It stops at the
 * first error (a T_ERROR token with the message) as Go's lexer does; the parser reports it when
 * it reaches it, so the error wording and line match Go's. Comments are dropped, as Go drops
 * them unless ParseComments is set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpl_int.h"

typedef struct {
	const char *s;
	size_t n;
	size_t pos, start;
	int paren;
	kd_tpl__toks *out;
	bool done;
} lexer;

static bool is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_alnum(int c)
{
	/* Bytes of multi-byte UTF-8 sequences count as letters (Go: unicode.IsLetter/IsDigit). */
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c >= 0x80 && c != -1);
}

static int peekc(const lexer *l)
{
	return l->pos < l->n ? (unsigned char)l->s[l->pos] : -1;
}

static int nextc(lexer *l)
{
	if (l->pos >= l->n) {
		l->pos = l->n + 1; /* so that backup returns to n */
		return -1;
	}
	return (unsigned char)l->s[l->pos++];
}

static void backupc(lexer *l)
{
	l->pos--;
}

static kd_tpl__tok *push(lexer *l, kd_tpl__tok_type type, size_t start, size_t end)
{
	kd_tpl__toks *t = l->out;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->toks = kd_realloc(t->toks, (size_t)t->cap * sizeof(*t->toks));
	}
	kd_tpl__tok *k = &t->toks[t->n++];
	memset(k, 0, sizeof(*k));
	k->type = type;
	k->pos = (int)start;
	k->val = l->s + start;
	k->len = end - start;
	return k;
}

static void emit(lexer *l, kd_tpl__tok_type type)
{
	if (l->pos > l->n)
		l->pos = l->n;
	push(l, type, l->start, l->pos);
	l->start = l->pos;
}

static void lex_error(lexer *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void lex_error(lexer *l, const char *fmt, ...)
{
	kd_buf b = KD_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	kd_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	size_t st = l->start > l->n ? l->n : l->start;
	kd_tpl__tok *k = push(l, T_ERROR, st, st);
	k->msg = kd_buf_detach(&b);
	k->val = k->msg;
	k->len = strlen(k->msg);
	l->done = true;
}

/* Go's %#U of a byte we could not use. */
static void bad_char(lexer *l, const char *what, int c)
{
	if (c >= 0x20 && c < 0x7f)
		lex_error(l, "%s U+%04X '%c'", what, c, c);
	else
		lex_error(l, "%s U+%04X", what, c < 0 ? 0xFFFD : c);
}

static bool has_left_trim(const char *s, size_t n)
{
	return n >= 2 && s[0] == '-' && is_space((unsigned char)s[1]);
}

static bool has_right_trim(const char *s, size_t n)
{
	return n >= 2 && is_space((unsigned char)s[0]) && s[1] == '-';
}

static inline bool starts(const lexer *l, size_t pos, const char *p)
{
	size_t pl = p[1] ? 2 : 1; /* only two-byte delimiters and "/" + "*" are asked for */
	return pos <= l->n && l->n - pos >= pl && l->s[pos] == p[0] && (pl == 1 || l->s[pos + 1] == p[1]);
}

/* At " -}}" (trim) or "}}". */
static bool at_right_delim(const lexer *l, bool *trim)
{
	if (l->pos < l->n && has_right_trim(l->s + l->pos, l->n - l->pos) && starts(l, l->pos + 2, "}}")) {
		*trim = true;
		return true;
	}
	*trim = false;
	return starts(l, l->pos, "}}");
}

static bool at_terminator(const lexer *l)
{
	int r = peekc(l);
	if (r == -1 || is_space(r))
		return true;
	switch (r) {
	case '.':
	case ',':
	case '|':
	case ':':
	case ')':
	case '(':
		return true;
	}
	return starts(l, l->pos, "}}");
}

static size_t left_trim_len(const lexer *l, size_t pos)
{
	size_t p = pos;
	while (p < l->n && is_space((unsigned char)l->s[p]))
		p++;
	return p - pos;
}

typedef enum { S_TEXT, S_INSIDE, S_DONE } lstate;

/* Returns S_TEXT after the closing delimiter. */
static lstate lex_right_delim(lexer *l)
{
	bool trim;
	at_right_delim(l, &trim);
	if (trim) {
		l->pos += 2;
		l->start = l->pos;
	}
	l->pos += 2;
	emit(l, T_RDELIM);
	if (trim) {
		l->pos += left_trim_len(l, l->pos);
		l->start = l->pos;
	}
	return S_TEXT;
}

static lstate lex_comment(lexer *l)
{
	l->pos += 2;
	const char *e = l->pos <= l->n ? memmem(l->s + l->pos, l->n - l->pos, "*/", 2) : NULL;
	if (!e) {
		lex_error(l, "unclosed comment");
		return S_DONE;
	}
	l->pos = (size_t)(e - l->s) + 2;
	bool trim;
	if (!at_right_delim(l, &trim)) {
		lex_error(l, "comment ends before closing delimiter");
		return S_DONE;
	}
	if (trim)
		l->pos += 2;
	l->pos += 2;
	if (trim)
		l->pos += left_trim_len(l, l->pos);
	l->start = l->pos;
	return S_TEXT;
}

/* The first "{{" in s[0..n) (Go: strings.Index(text, leftDelim)). memchr jumps between the
 * '{' bytes many at a time, where glibc's memmem steps through a two-byte needle byte by byte:
 * long template text, a CRD's 200 KB, is mostly scanned for this. */
static const char *find_left_delim(const char *s, size_t n)
{
	const char *end = s + n;
	while (s < end) {
		const char *p = memchr(s, '{', (size_t)(end - s));
		if (!p || p + 1 >= end)
			return NULL;
		if (p[1] == '{')
			return p;
		s = p + 1;
	}
	return NULL;
}

static lstate lex_text(lexer *l)
{
	const char *d = l->pos < l->n ? find_left_delim(l->s + l->pos, l->n - l->pos) : NULL;
	if (!d) {
		l->pos = l->n;
		if (l->pos > l->start)
			emit(l, T_TEXT);
		emit(l, T_EOF);
		return S_DONE;
	}
	size_t x = (size_t)(d - l->s);
	if (x > l->start) {
		size_t end = x;
		if (has_left_trim(l->s + x + 2, l->n - x - 2))
			while (end > l->start && is_space((unsigned char)l->s[end - 1]))
				end--;
		if (end > l->start)
			push(l, T_TEXT, l->start, end);
	}
	/* the left delimiter */
	l->start = x;
	l->pos = x + 2;
	bool trim = has_left_trim(l->s + l->pos, l->n - l->pos);
	size_t after = trim ? 2 : 0;
	if (starts(l, l->pos + after, "/*")) {
		l->pos += after;
		l->start = l->pos;
		return lex_comment(l);
	}
	emit(l, T_LDELIM);
	l->pos += after;
	l->start = l->pos;
	l->paren = 0;
	return S_INSIDE;
}

static bool accept(lexer *l, const char *valid)
{
	int c = peekc(l);
	if (c != -1 && c != 0 && strchr(valid, c)) {
		l->pos++;
		return true;
	}
	return false;
}

static void accept_run(lexer *l, const char *valid)
{
	while (accept(l, valid))
		;
}

static bool scan_number(lexer *l)
{
	accept(l, "+-");
	const char *digits = "0123456789_";
	if (accept(l, "0")) {
		if (accept(l, "xX"))
			digits = "0123456789abcdefABCDEF_";
		else if (accept(l, "oO"))
			digits = "01234567_";
		else if (accept(l, "bB"))
			digits = "01_";
	}
	accept_run(l, digits);
	if (accept(l, "."))
		accept_run(l, digits);
	if (strlen(digits) == 11 && accept(l, "eE")) {
		accept(l, "+-");
		accept_run(l, "0123456789_");
	}
	if (strlen(digits) == 23 && accept(l, "pP")) {
		accept(l, "+-");
		accept_run(l, "0123456789_");
	}
	accept(l, "i");
	if (is_alnum(peekc(l))) {
		l->pos++;
		return false;
	}
	return true;
}

static void number_error(lexer *l)
{
	kd_buf q = KD_BUF_INIT;
	size_t end = l->pos > l->n ? l->n : l->pos;
	kd_tpl__quote(&q, l->s + l->start, end - l->start, false);
	lex_error(l, "bad number syntax: %s", kd_buf_cstr(&q));
	kd_buf_free(&q);
}

static lstate lex_number(lexer *l)
{
	if (!scan_number(l)) {
		number_error(l);
		return S_DONE;
	}
	int sign = peekc(l);
	if (sign == '+' || sign == '-') {
		if (!scan_number(l) || l->s[l->pos - 1] != 'i') {
			number_error(l);
			return S_DONE;
		}
		emit(l, T_COMPLEX);
		return S_INSIDE;
	}
	emit(l, T_NUMBER);
	return S_INSIDE;
}

static lstate lex_quoted(lexer *l, int q, kd_tpl__tok_type type, const char *what)
{
	for (;;) {
		int c = nextc(l);
		if (c == '\\' && q != '`') {
			c = nextc(l);
			if (c != -1 && c != '\n')
				continue;
			lex_error(l, "%s", what);
			return S_DONE;
		}
		if (c == -1 || (c == '\n' && q != '`')) {
			lex_error(l, "%s", what);
			return S_DONE;
		}
		if (c == q)
			break;
	}
	emit(l, type);
	return S_INSIDE;
}

static const struct {
	const char *word;
	kd_tpl__tok_type type;
} keywords[] = {
	{"block", T_BLOCK}, {"break", T_BREAK}, {"continue", T_CONTINUE}, {"define", T_DEFINE},
	{"else", T_ELSE}, {"end", T_END}, {"if", T_IF}, {"nil", T_NIL}, {"range", T_RANGE},
	{"template", T_TEMPLATE}, {"with", T_WITH},
};

static lstate lex_identifier(lexer *l)
{
	int c;
	while (is_alnum(c = nextc(l)))
		;
	backupc(l);
	if (!at_terminator(l)) {
		bad_char(l, "bad character", c);
		return S_DONE;
	}
	const char *w = l->s + l->start;
	size_t wl = l->pos - l->start;
	for (size_t i = 0; i < KD_ARRAY_SIZE(keywords) && wl >= 2 && wl <= 8 && w[0] >= 'b' && w[0] <= 'w'; i++)
		if (keywords[i].word[0] == w[0] && strlen(keywords[i].word) == wl && memcmp(keywords[i].word, w, wl) == 0) {
			emit(l, keywords[i].type);
			return S_INSIDE;
		}
	if ((wl == 4 && memcmp(w, "true", 4) == 0) || (wl == 5 && memcmp(w, "false", 5) == 0))
		emit(l, T_BOOL);
	else
		emit(l, T_IDENT);
	return S_INSIDE;
}

static lstate lex_field_or_var(lexer *l, kd_tpl__tok_type type)
{
	if (at_terminator(l)) {
		emit(l, type == T_VARIABLE ? T_VARIABLE : T_DOT);
		return S_INSIDE;
	}
	int c;
	while (is_alnum(c = nextc(l)))
		;
	backupc(l);
	if (!at_terminator(l)) {
		bad_char(l, "bad character", c);
		return S_DONE;
	}
	emit(l, type);
	return S_INSIDE;
}

static lstate lex_space(lexer *l)
{
	int n = 0;
	while (l->pos < l->n && is_space((unsigned char)l->s[l->pos])) {
		l->pos++;
		n++;
	}
	if (has_right_trim(l->s + l->pos - 1, l->n - l->pos + 1) && starts(l, l->pos + 1, "}}")) {
		l->pos--;
		if (n == 1)
			return lex_right_delim(l);
	}
	emit(l, T_SPACE);
	return S_INSIDE;
}

static lstate lex_inside(lexer *l)
{
	bool trim;
	if (at_right_delim(l, &trim)) {
		if (l->paren == 0)
			return lex_right_delim(l);
		lex_error(l, "unclosed left paren");
		return S_DONE;
	}
	int r = nextc(l);
	if (r == -1) {
		lex_error(l, "unclosed action");
		return S_DONE;
	}
	if (is_space(r)) {
		backupc(l);
		return lex_space(l);
	}
	switch (r) {
	case '=':
		emit(l, T_ASSIGN);
		return S_INSIDE;
	case ':':
		if (nextc(l) != '=') {
			lex_error(l, "expected :=");
			return S_DONE;
		}
		emit(l, T_DECLARE);
		return S_INSIDE;
	case '|':
		emit(l, T_PIPE);
		return S_INSIDE;
	case '"':
		return lex_quoted(l, '"', T_STRING, "unterminated quoted string");
	case '`':
		return lex_quoted(l, '`', T_RAWSTRING, "unterminated raw quoted string");
	case '\'':
		return lex_quoted(l, '\'', T_CHARCONST, "unterminated character constant");
	case '$':
		return lex_field_or_var(l, T_VARIABLE);
	case '.':
		if (l->pos < l->n) {
			int c = (unsigned char)l->s[l->pos];
			if (c < '0' || c > '9')
				return lex_field_or_var(l, T_FIELD);
		}
		backupc(l);
		return lex_number(l);
	case '(':
		l->paren++;
		emit(l, T_LPAREN);
		return S_INSIDE;
	case ')':
		l->paren--;
		if (l->paren < 0) {
			lex_error(l, "unexpected right paren");
			return S_DONE;
		}
		emit(l, T_RPAREN);
		return S_INSIDE;
	}
	if (r == '+' || r == '-' || (r >= '0' && r <= '9')) {
		backupc(l);
		return lex_number(l);
	}
	if (is_alnum(r)) {
		backupc(l);
		return lex_identifier(l);
	}
	if (r > 0x20 && r < 0x7f) {
		emit(l, T_CHAR);
		return S_INSIDE;
	}
	bad_char(l, "unrecognized character in action:", r);
	return S_DONE;
}

void kd_tpl__lex(kd_tpl__toks *out, const char *text, size_t len)
{
	lexer l = {text, len, 0, 0, 0, out, false};
	if (out->cap == 0) {
		out->cap = (int)(len / 6) + 16;
		out->toks = kd_malloc((size_t)out->cap * sizeof(*out->toks));
	}
	lstate st = S_TEXT;
	while (st != S_DONE && !l.done)
		st = st == S_TEXT ? lex_text(&l) : lex_inside(&l);
}

void kd_tpl__toks_free(kd_tpl__toks *t)
{
	if (!t)
		return;
	if (t->n > 0) /* only the last token can be an error with a message */
		free(t->toks[t->n - 1].msg);
	free(t->toks);
	t->toks = NULL;
	t->n = t->cap = 0;
}
