/* string.find, string.match, string.gmatch and string.gsub with Lua 5.4's pattern language, in
 * a matcher that counts its steps. The standard library's matcher is a backtracking C loop that
 * never returns to the VM, so a pattern like string.rep("a", 1e5):find(".-.-.-.-b") would run
 * for hours out of reach of the count hook. Here every step is charged to the hook's
 * instruction budget (and the wall-clock check that comes with it), so such a script is stopped
 * like an infinite loop. Results and error messages are those of the standard functions (the
 * unit tests compare the two). */
#include <ctype.h>
#include <string.h>

#include "lua_internal.h"

#define MAX_CAPTURES 32 /* LUA_MAXCAPTURES */
#define MAX_DEPTH 200   /* nesting of the matcher's recursion, as in Lua ("pattern too complex") */
#define CHARGE_EVERY 1024
#define CAP_OPEN (-1)
#define CAP_POSITION (-2)

typedef struct {
	const char *src, *end; /* subject */
	const char *pend;      /* end of the pattern (the pattern is NUL-terminated, as Lua strings are) */
	lua_State *L;
	int depth;
	int level; /* captures in use */
	long long steps;
	struct {
		const char *init;
		ptrdiff_t len; /* or CAP_OPEN, CAP_POSITION */
	} cap[MAX_CAPTURES];
} matcher;

static void step(matcher *m)
{
	if (++m->steps >= CHARGE_EVERY) {
		long long n = m->steps;
		m->steps = 0;
		kd_lua__charge(m->L, n);
	}
}

static void settle(matcher *m)
{
	long long n = m->steps;
	m->steps = 0;
	if (n)
		kd_lua__charge(m->L, n);
}

static void restart(matcher *m)
{
	m->level = 0;
	m->depth = MAX_DEPTH;
}

static void init_matcher(matcher *m, lua_State *L, const char *s, size_t ls, const char *p, size_t lp)
{
	m->L = L;
	m->src = s;
	m->end = s + ls;
	m->pend = p + lp;
	m->steps = 0;
	restart(m);
}

/* The end of the single-character class that starts at p. */
static const char *class_end(matcher *m, const char *p)
{
	char c = *p++;
	if (c == '%') {
		if (p >= m->pend)
			luaL_error(m->L, "malformed pattern (ends with '%%')");
		return p + 1;
	}
	if (c == '[') {
		if (*p == '^')
			p++;
		/* the first character of a set may be ']' itself */
		for (;;) {
			if (p >= m->pend)
				luaL_error(m->L, "malformed pattern (missing ']')");
			char d = *p++;
			if (d == '%' && p < m->pend)
				p++;
			if (*p == ']')
				break;
		}
		return p + 1;
	}
	return p;
}

static bool in_class(int c, int cl)
{
	bool r;
	switch (tolower(cl)) {
	case 'a': r = isalpha(c); break;
	case 'c': r = iscntrl(c); break;
	case 'd': r = isdigit(c); break;
	case 'g': r = isgraph(c); break;
	case 'l': r = islower(c); break;
	case 'p': r = ispunct(c); break;
	case 's': r = isspace(c); break;
	case 'u': r = isupper(c); break;
	case 'w': r = isalnum(c); break;
	case 'x': r = isxdigit(c); break;
	case 'z': r = c == 0; break; /* kept by Lua 5.4 for old scripts */
	default: return cl == c;
	}
	return isupper(cl) ? !r : r;
}

/* `p` at '[', `last` at the closing ']'. */
static bool in_set(int c, const char *p, const char *last)
{
	bool want = true;
	if (p[1] == '^') {
		want = false;
		p++;
	}
	while (++p < last) {
		if (*p == '%') {
			p++;
			if (in_class(c, (unsigned char)*p))
				return want;
		} else if (p[1] == '-' && p + 2 < last) {
			if ((unsigned char)p[0] <= c && c <= (unsigned char)p[2])
				return want;
			p += 2;
		} else if ((unsigned char)*p == c) {
			return want;
		}
	}
	return !want;
}

static bool single(matcher *m, const char *s, const char *p, const char *ep)
{
	if (s >= m->end)
		return false;
	int c = (unsigned char)*s;
	switch (*p) {
	case '.': return true;
	case '%': return in_class(c, (unsigned char)p[1]);
	case '[': return in_set(c, p, ep - 1);
	default: return (unsigned char)*p == c;
	}
}

static const char *match(matcher *m, const char *s, const char *p);

static const char *balanced(matcher *m, const char *s, const char *p)
{
	if (p + 1 >= m->pend)
		luaL_error(m->L, "malformed pattern (missing arguments to '%%b')");
	if (s >= m->end || *s != *p)
		return NULL;
	char open = p[0], close = p[1];
	int depth = 1;
	while (++s < m->end) {
		step(m);
		if (*s == close) {
			if (--depth == 0)
				return s + 1;
		} else if (*s == open) {
			depth++;
		}
	}
	return NULL;
}

static const char *greedy(matcher *m, const char *s, const char *p, const char *ep)
{
	ptrdiff_t n = 0;
	while (single(m, s + n, p, ep)) {
		n++;
		step(m);
	}
	for (; n >= 0; n--) {
		const char *r = match(m, s + n, ep + 1);
		if (r)
			return r;
	}
	return NULL;
}

static const char *lazy(matcher *m, const char *s, const char *p, const char *ep)
{
	for (;;) {
		const char *r = match(m, s, ep + 1);
		if (r)
			return r;
		if (!single(m, s, p, ep))
			return NULL;
		s++;
	}
}

static const char *open_capture(matcher *m, const char *s, const char *p, ptrdiff_t what)
{
	if (m->level >= MAX_CAPTURES)
		luaL_error(m->L, "too many captures");
	m->cap[m->level].init = s;
	m->cap[m->level].len = what;
	m->level++;
	const char *r = match(m, s, p);
	if (!r)
		m->level--;
	return r;
}

static const char *close_capture(matcher *m, const char *s, const char *p)
{
	int l = m->level - 1;
	while (l >= 0 && m->cap[l].len != CAP_OPEN)
		l--;
	if (l < 0)
		luaL_error(m->L, "invalid pattern capture");
	m->cap[l].len = s - m->cap[l].init;
	const char *r = match(m, s, p);
	if (!r)
		m->cap[l].len = CAP_OPEN;
	return r;
}

static int capture_index(matcher *m, int digit)
{
	int l = digit - '1';
	if (l < 0 || l >= m->level || m->cap[l].len == CAP_OPEN)
		luaL_error(m->L, "invalid capture index %%%d", l + 1);
	return l;
}

static const char *backref(matcher *m, const char *s, int digit)
{
	int l = capture_index(m, digit);
	size_t len = (size_t)m->cap[l].len; /* a position capture is huge here and never matches */
	if ((size_t)(m->end - s) >= len && memcmp(m->cap[l].init, s, len) == 0)
		return s + len;
	return NULL;
}

/* Matches pattern p (to m->pend) at s; the end of the match or NULL. */
static const char *match(matcher *m, const char *s, const char *p)
{
	if (m->depth-- == 0)
		luaL_error(m->L, "pattern too complex");
	step(m);
	while (s && p < m->pend) {
		if (*p == '(') {
			if (p[1] == ')')
				s = open_capture(m, s, p + 2, CAP_POSITION);
			else
				s = open_capture(m, s, p + 1, CAP_OPEN);
			break;
		}
		if (*p == ')') {
			s = close_capture(m, s, p + 1);
			break;
		}
		if (*p == '$' && p + 1 == m->pend) {
			s = s == m->end ? s : NULL;
			break;
		}
		if (*p == '%' && p[1] == 'b') {
			s = balanced(m, s, p + 2);
			p += 4;
			continue;
		}
		if (*p == '%' && p[1] == 'f') {
			p += 2;
			if (*p != '[')
				luaL_error(m->L, "missing '[' after '%%f' in pattern");
			const char *ep = class_end(m, p);
			int prev = s == m->src ? '\0' : (unsigned char)s[-1];
			int cur = s < m->end ? (unsigned char)*s : '\0';
			if (in_set(prev, p, ep - 1) || !in_set(cur, p, ep - 1))
				s = NULL;
			p = ep;
			continue;
		}
		if (*p == '%' && isdigit((unsigned char)p[1])) {
			s = backref(m, s, (unsigned char)p[1]);
			p += 2;
			continue;
		}
		const char *ep = class_end(m, p);
		if (!single(m, s, p, ep)) {
			if (*ep == '*' || *ep == '?' || *ep == '-') {
				p = ep + 1; /* the item may match nothing */
				continue;
			}
			s = NULL;
			break;
		}
		switch (*ep) {
		case '?': {
			const char *r = match(m, s + 1, ep + 1);
			if (r) {
				s = r;
				goto out;
			}
			p = ep + 1;
			continue;
		}
		case '+': s = greedy(m, s + 1, p, ep); goto out;
		case '*': s = greedy(m, s, p, ep); goto out;
		case '-': s = lazy(m, s, p, ep); goto out;
		default: s++; p = ep; continue;
		}
	}
out:
	m->depth++;
	return s;
}

/* ---------------------------------------------------------------------------------------------
 * Captures to Lua values */

static void push_capture(matcher *m, int i, const char *s, const char *e)
{
	if (i >= m->level) {
		if (i != 0)
			luaL_error(m->L, "invalid capture index %%%d", i + 1);
		lua_pushlstring(m->L, s, (size_t)(e - s)); /* no captures: the whole match */
		return;
	}
	ptrdiff_t len = m->cap[i].len;
	if (len == CAP_OPEN)
		luaL_error(m->L, "unfinished capture");
	if (len == CAP_POSITION)
		lua_pushinteger(m->L, (lua_Integer)(m->cap[i].init - m->src) + 1);
	else
		lua_pushlstring(m->L, m->cap[i].init, (size_t)len);
}

/* Pushes the captures (or the whole match s..e when there are none and s is set). */
static int push_captures(matcher *m, const char *s, const char *e)
{
	int n = m->level == 0 && s ? 1 : m->level;
	luaL_checkstack(m->L, n, "too many captures");
	for (int i = 0; i < n; i++)
		push_capture(m, i, s, e);
	return n;
}

/* ---------------------------------------------------------------------------------------------
 * The library functions */

static size_t start_index(lua_Integer pos, size_t len)
{
	if (pos > 0)
		return (size_t)pos;
	if (pos == 0 || pos < -(lua_Integer)len)
		return 1;
	return len + (size_t)pos + 1;
}

static bool has_specials(const char *p, size_t lp)
{
	for (size_t i = 0; i < lp; i++)
		if (p[i] && strchr("^$*+?.([%-", p[i]))
			return true;
	return false;
}

/* Plain search for p in s; charges one step per candidate position and per 16 bytes compared. */
static const char *plain_find(matcher *m, const char *s, size_t ls, const char *p, size_t lp)
{
	if (lp == 0)
		return s;
	if (lp > ls)
		return NULL;
	const char *last = s + (ls - lp);
	while (s <= last) {
		const char *hit = memchr(s, *p, (size_t)(last - s) + 1);
		if (!hit)
			return NULL;
		m->steps += (long long)(lp / 16);
		step(m);
		if (memcmp(hit + 1, p + 1, lp - 1) == 0)
			return hit;
		s = hit + 1;
	}
	return NULL;
}

static int find_or_match(lua_State *L, bool find)
{
	size_t ls, lp;
	const char *s = luaL_checklstring(L, 1, &ls);
	const char *p = luaL_checklstring(L, 2, &lp);
	size_t init = start_index(luaL_optinteger(L, 3, 1), ls) - 1;
	matcher m;
	if (init > ls) {
		luaL_pushfail(L);
		return 1;
	}
	init_matcher(&m, L, s, ls, p, lp);
	if (find && (lua_toboolean(L, 4) || !has_specials(p, lp))) {
		const char *hit = plain_find(&m, s + init, ls - init, p, lp);
		settle(&m);
		if (hit) {
			lua_pushinteger(L, (lua_Integer)(hit - s) + 1);
			lua_pushinteger(L, (lua_Integer)(hit - s) + (lua_Integer)lp);
			return 2;
		}
		luaL_pushfail(L);
		return 1;
	}
	bool anchored = *p == '^';
	if (anchored)
		p++;
	const char *at = s + init;
	do {
		restart(&m);
		const char *e = match(&m, at, p);
		if (e) {
			settle(&m);
			if (find) {
				lua_pushinteger(L, (lua_Integer)(at - s) + 1);
				lua_pushinteger(L, (lua_Integer)(e - s));
				return push_captures(&m, NULL, NULL) + 2;
			}
			return push_captures(&m, at, e);
		}
	} while (at++ < m.end && !anchored);
	settle(&m);
	luaL_pushfail(L);
	return 1;
}

static int str_find(lua_State *L)
{
	return find_or_match(L, true);
}

static int str_match(lua_State *L)
{
	return find_or_match(L, false);
}

typedef struct {
	size_t pos;        /* where the next search starts */
	ptrdiff_t last;    /* end of the last match, -1 before the first */
} gmatch_state;

static int gmatch_next(lua_State *L)
{
	size_t ls, lp;
	const char *s = lua_tolstring(L, lua_upvalueindex(1), &ls);
	const char *p = lua_tolstring(L, lua_upvalueindex(2), &lp);
	gmatch_state *g = lua_touserdata(L, lua_upvalueindex(3));
	matcher m;
	init_matcher(&m, L, s, ls, p, lp);
	for (const char *at = s + g->pos; at <= m.end; at++) {
		restart(&m);
		const char *e = match(&m, at, p);
		if (e && e - s != g->last) {
			settle(&m);
			g->pos = (size_t)(e - s);
			g->last = e - s;
			return push_captures(&m, at, e);
		}
	}
	settle(&m);
	g->pos = ls + 1;
	return 0;
}

static int str_gmatch(lua_State *L)
{
	size_t ls;
	luaL_checklstring(L, 1, &ls);
	luaL_checkstring(L, 2);
	size_t init = start_index(luaL_optinteger(L, 3, 1), ls) - 1;
	lua_settop(L, 2);
	gmatch_state *g = lua_newuserdatauv(L, sizeof *g, 0);
	g->pos = init > ls ? ls + 1 : init;
	g->last = -1;
	lua_pushcclosure(L, gmatch_next, 3);
	return 1;
}

/* A replacement string: %0..%9 and %%. */
static void add_template(matcher *m, luaL_Buffer *b, const char *s, const char *e)
{
	size_t l;
	const char *t = lua_tolstring(m->L, 3, &l), *pct;
	while ((pct = memchr(t, '%', l)) != NULL) {
		luaL_addlstring(b, t, (size_t)(pct - t));
		pct++; /* the replacement is NUL-terminated: a '%' at its end sees '\0' */
		if (*pct == '%') {
			luaL_addchar(b, '%');
		} else if (*pct == '0') {
			luaL_addlstring(b, s, (size_t)(e - s));
		} else if (isdigit((unsigned char)*pct)) {
			push_capture(m, *pct - '1', s, e);
			luaL_tolstring(m->L, -1, NULL);
			lua_remove(m->L, -2);
			luaL_addvalue(b);
		} else {
			luaL_error(m->L, "invalid use of '%c' in replacement string", '%');
		}
		l -= (size_t)(pct + 1 - t);
		t = pct + 1;
	}
	luaL_addlstring(b, t, l);
}

static void add_replacement(matcher *m, luaL_Buffer *b, const char *s, const char *e, int type)
{
	lua_State *L = m->L;
	if (type == LUA_TFUNCTION) {
		lua_pushvalue(L, 3);
		int n = push_captures(m, s, e);
		lua_call(L, n, 1);
	} else if (type == LUA_TTABLE) {
		push_capture(m, 0, s, e);
		lua_gettable(L, 3);
	} else {
		add_template(m, b, s, e);
		return;
	}
	if (!lua_toboolean(L, -1)) {
		lua_pop(L, 1);
		luaL_addlstring(b, s, (size_t)(e - s)); /* false or nil: keep the match */
	} else if (!lua_isstring(L, -1)) {
		luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
	} else {
		luaL_addvalue(b);
	}
}

static int str_gsub(lua_State *L)
{
	size_t ls, lp;
	const char *src = luaL_checklstring(L, 1, &ls);
	const char *p = luaL_checklstring(L, 2, &lp);
	const char *last = NULL;
	int type = lua_type(L, 3);
	lua_Integer max = luaL_optinteger(L, 4, (lua_Integer)ls + 1);
	lua_Integer n = 0;
	luaL_argexpected(L, type == LUA_TNUMBER || type == LUA_TSTRING || type == LUA_TFUNCTION || type == LUA_TTABLE, 3,
		"string/function/table");
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	bool anchored = *p == '^';
	if (anchored) {
		p++;
		lp--;
	}
	matcher m;
	init_matcher(&m, L, src, ls, p, lp);
	while (n < max) {
		restart(&m);
		const char *e = match(&m, src, p);
		if (e && e != last) {
			n++;
			add_replacement(&m, &b, src, e, type);
			src = last = e;
		} else if (src < m.end) {
			luaL_addchar(&b, *src++);
		} else {
			break;
		}
		if (anchored)
			break;
	}
	settle(&m);
	luaL_addlstring(&b, src, (size_t)(m.end - src));
	luaL_pushresult(&b);
	lua_pushinteger(L, n);
	return 2;
}

void kd_lua__open_patterns(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{"find", str_find},
		{"match", str_match},
		{"gmatch", str_gmatch},
		{"gsub", str_gsub},
		{NULL, NULL},
	};
	luaL_setfuncs(L, fns, 0);
}
