/* Go's regexp (RE2 syntax, leftmost-first) as a parser, a compiler and a Pike VM. See
 * tpl_regex.h for why, and Go's regexp/syntax for the rules followed: Perl flags
 * (ClassNL | OneLine | PerlX | UnicodeGroups), the checks of parse.go with its error texts, and
 * the program shapes of compile.go (x* of a nullable x as (x+)?, counted repeats expanded). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "tpl_regex.h"

#include <pcre2.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sprig_priv.h"

#define MAX_REPEAT 1000    /* regexp/syntax: {n,m} counts, and their products when nested */
#define MAX_NESTING 1000   /* regexp/syntax's maxHeight */
#define MAX_PROGRAM 500000 /* instructions; Go allows more, but no template needs that many */
#define MAX_RUNE 0x10FFFF
#define MAX_FOLD 0x1FFFF /* no case folding above this code point */

/* ---- code point classes: sorted, merged ranges --------------------------------------------- */

typedef struct {
	uint32_t lo, hi;
} rrange;

typedef struct {
	rrange *r;
	size_t n, cap;
} rclass;

static void cls_add(rclass *c, uint32_t lo, uint32_t hi)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->r = kd_realloc(c->r, c->cap * sizeof(*c->r));
	}
	c->r[c->n++] = (rrange){lo, hi};
}

static int cmp_range(const void *a, const void *b)
{
	const rrange *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo ? 1 : (x->hi < y->hi ? -1 : x->hi > y->hi);
}

static void cls_clean(rclass *c)
{
	if (c->n < 2)
		return;
	qsort(c->r, c->n, sizeof(*c->r), cmp_range);
	size_t w = 0;
	for (size_t i = 1; i < c->n; i++) {
		if (c->r[i].lo <= c->r[w].hi + 1) {
			if (c->r[i].hi > c->r[w].hi)
				c->r[w].hi = c->r[i].hi;
		} else {
			c->r[++w] = c->r[i];
		}
	}
	c->n = w + 1;
}

static void cls_negate(rclass *c)
{
	cls_clean(c);
	rclass n = {NULL, 0, 0};
	uint32_t next = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (c->r[i].lo > next)
			cls_add(&n, next, c->r[i].lo - 1);
		next = c->r[i].hi + 1;
	}
	if (next <= MAX_RUNE)
		cls_add(&n, next, MAX_RUNE);
	free(c->r);
	*c = n;
}

static void cls_append(rclass *dst, const rclass *src, bool negate)
{
	if (!negate) {
		for (size_t i = 0; i < src->n; i++)
			cls_add(dst, src->r[i].lo, src->r[i].hi);
		return;
	}
	rclass t = {NULL, 0, 0};
	cls_append(&t, src, false);
	cls_negate(&t);
	cls_append(dst, &t, false);
	free(t.r);
}

static bool cls_has(const rrange *r, size_t n, uint32_t c)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c < r[mid].lo)
			hi = mid;
		else if (c > r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/* ---- case folding: Go's unicode.SimpleFold orbits, from the C library's case mappings ---- */

static uint32_t *fold_next; /* fold_next[c]: the next code point of c's orbit (c itself if alone) */
static pthread_once_t fold_once = PTHREAD_ONCE_INIT;

static uint32_t fold_key(uint32_t c)
{
	/* U+0130 and U+0131 (dotted and dotless i) fold only in Turkish; Go leaves them alone */
	if (c == 0x130 || c == 0x131)
		return c;
	uint32_t k = kd_tpl__sp_to_lower(kd_tpl__sp_to_upper(c));
	uint32_t l = kd_tpl__sp_to_lower(c);
	if (l == 0x69 && c != 0x49 && c != 0x69)
		return c;
	return k <= MAX_FOLD && k != 0x130 && k != 0x131 ? k : c;
}

static void fold_build(void)
{
	uint32_t *key = kd_malloc((MAX_FOLD + 1) * sizeof(*key));
	uint32_t *last = kd_malloc((MAX_FOLD + 1) * sizeof(*last));
	fold_next = kd_malloc((MAX_FOLD + 1) * sizeof(*fold_next));
	for (uint32_t c = 0; c <= MAX_FOLD; c++) {
		key[c] = fold_key(c);
		last[c] = UINT32_MAX;
		fold_next[c] = c;
	}
	/* link every code point into the ring of its key */
	for (uint32_t c = 0; c <= MAX_FOLD; c++) {
		uint32_t k = key[c];
		if (k == c && last[k] == UINT32_MAX) {
			last[k] = c;
			continue;
		}
		if (last[k] == UINT32_MAX) {
			last[k] = c;
			continue;
		}
		/* insert c after last[k] in the ring */
		uint32_t p = last[k];
		fold_next[c] = fold_next[p];
		fold_next[p] = c;
		last[k] = c;
	}
	free(key);
	free(last);
}

static uint32_t simple_fold(uint32_t c)
{
	if (c > MAX_FOLD)
		return c;
	pthread_once(&fold_once, fold_build);
	return fold_next[c];
}

static void cls_add_folded(rclass *c, uint32_t lo, uint32_t hi)
{
	cls_add(c, lo, hi);
	if (lo > MAX_FOLD)
		return;
	uint32_t top = hi > MAX_FOLD ? MAX_FOLD : hi;
	for (uint32_t x = lo; x <= top; x++)
		for (uint32_t f = simple_fold(x); f != x; f = simple_fold(f))
			if (f < lo || f > hi)
				cls_add(c, f, f);
}

/* ---- Unicode classes: \p{...} through PCRE2's tables ----------------------------------------- */

/* Go's unicode.Scripts names (Unicode 15): regexp/syntax finds a script by its name after
 * canonicalName (first letter upper, the rest lower, '_' '-' ' ' dropped), so in Go 1.26 only
 * the names that canonicalize to themselves are found. */
static const char *const go_scripts[] = {"Adlam", "Ahom", "Anatolian_Hieroglyphs", "Arabic", "Armenian",
	"Avestan", "Balinese", "Bamum", "Bassa_Vah", "Batak", "Bengali", "Bhaiksuki", "Bopomofo", "Brahmi",
	"Braille", "Buginese", "Buhid", "Canadian_Aboriginal", "Carian", "Caucasian_Albanian", "Chakma", "Cham",
	"Cherokee", "Chorasmian", "Common", "Coptic", "Cuneiform", "Cypriot", "Cypro_Minoan", "Cyrillic", "Deseret",
	"Devanagari", "Dives_Akuru", "Dogra", "Duployan", "Egyptian_Hieroglyphs", "Elbasan", "Elymaic", "Ethiopic",
	"Georgian", "Glagolitic", "Gothic", "Grantha", "Greek", "Gujarati", "Gunjala_Gondi", "Gurmukhi", "Han",
	"Hangul", "Hanifi_Rohingya", "Hanunoo", "Hatran", "Hebrew", "Hiragana", "Imperial_Aramaic", "Inherited",
	"Inscriptional_Pahlavi", "Inscriptional_Parthian", "Javanese", "Kaithi", "Kannada", "Katakana", "Kawi",
	"Kayah_Li", "Kharoshthi", "Khitan_Small_Script", "Khmer", "Khojki", "Khudawadi", "Lao", "Latin", "Lepcha",
	"Limbu", "Linear_A", "Linear_B", "Lisu", "Lycian", "Lydian", "Mahajani", "Makasar", "Malayalam", "Mandaic",
	"Manichaean", "Marchen", "Masaram_Gondi", "Medefaidrin", "Meetei_Mayek", "Mende_Kikakui", "Meroitic_Cursive",
	"Meroitic_Hieroglyphs", "Miao", "Modi", "Mongolian", "Mro", "Multani", "Myanmar", "Nabataean", "Nag_Mundari",
	"Nandinagari", "New_Tai_Lue", "Newa", "Nko", "Nushu", "Nyiakeng_Puachue_Hmong", "Ogham", "Ol_Chiki",
	"Old_Hungarian", "Old_Italic", "Old_North_Arabian", "Old_Permic", "Old_Persian", "Old_Sogdian",
	"Old_South_Arabian", "Old_Turkic", "Old_Uyghur", "Oriya", "Osage", "Osmanya", "Pahawh_Hmong", "Palmyrene",
	"Pau_Cin_Hau", "Phags_Pa", "Phoenician", "Psalter_Pahlavi", "Rejang", "Runic", "Samaritan", "Saurashtra",
	"Sharada", "Shavian", "Siddham", "SignWriting", "Sinhala", "Sogdian", "Sora_Sompeng", "Soyombo", "Sundanese",
	"Syloti_Nagri", "Syriac", "Tagalog", "Tagbanwa", "Tai_Le", "Tai_Tham", "Tai_Viet", "Takri", "Tamil",
	"Tangsa", "Tangut", "Telugu", "Thaana", "Thai", "Tibetan", "Tifinagh", "Tirhuta", "Toto", "Ugaritic", "Vai",
	"Vithkuqi", "Wancho", "Warang_Citi", "Yezidi", "Yi", "Zanabazar_Square"};

/* unicode.Categories (canonical names equal the keys but for LC) and CategoryAliases. */
static const char *const go_categories[] = {"C", "Cc", "Cf", "Cn", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu",
	"M", "Mc", "Me", "Mn", "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk",
	"Sm", "So", "Z", "Zl", "Zp", "Zs"};
static const struct {
	const char *alias, *cat;
} go_aliases[] = {{"Cased_Letter", "LC"}, {"Close_Punctuation", "Pe"}, {"Combining_Mark", "M"},
	{"Connector_Punctuation", "Pc"}, {"Control", "Cc"}, {"Currency_Symbol", "Sc"}, {"Dash_Punctuation", "Pd"},
	{"Decimal_Number", "Nd"}, {"Enclosing_Mark", "Me"}, {"Final_Punctuation", "Pf"}, {"Format", "Cf"},
	{"Initial_Punctuation", "Pi"}, {"Letter", "L"}, {"Letter_Number", "Nl"}, {"Line_Separator", "Zl"},
	{"Lowercase_Letter", "Ll"}, {"Mark", "M"}, {"Math_Symbol", "Sm"}, {"Modifier_Letter", "Lm"},
	{"Modifier_Symbol", "Sk"}, {"Nonspacing_Mark", "Mn"}, {"Number", "N"}, {"Open_Punctuation", "Ps"},
	{"Other", "C"}, {"Other_Letter", "Lo"}, {"Other_Number", "No"}, {"Other_Punctuation", "Po"},
	{"Other_Symbol", "So"}, {"Paragraph_Separator", "Zp"}, {"Private_Use", "Co"}, {"Punctuation", "P"},
	{"Separator", "Z"}, {"Space_Separator", "Zs"}, {"Spacing_Mark", "Mc"}, {"Surrogate", "Cs"},
	{"Symbol", "S"}, {"Titlecase_Letter", "Lt"}, {"Unassigned", "Cn"}, {"Uppercase_Letter", "Lu"},
	{"cntrl", "Cc"}, {"digit", "Nd"}, {"punct", "P"}};

/* regexp/syntax's canonicalName, into buf. */
static void canonical(char *buf, size_t cap, const char *name, size_t len)
{
	size_t o = 0;
	bool first = true;
	for (size_t i = 0; i < len && o + 1 < cap; i++) {
		char c = name[i];
		if (c == '_' || c == '-' || c == ' ')
			continue;
		if (first) {
			if (c >= 'a' && c <= 'z')
				c = (char)(c - 32);
			first = false;
		} else if (c >= 'A' && c <= 'Z') {
			c = (char)(c + 32);
		}
		buf[o++] = c;
	}
	buf[o] = '\0';
}

/* The PCRE2 pattern for a run of the class Go's unicodeTable gives `name`, or NULL when Go has
 * no such name. *extra: ranges PCRE2 cannot show (surrogates); *whole: Any. */
static const char *property_pattern(const char *name, size_t len, char *buf, size_t cap, int *special)
{
	char canon[64], c2[64];
	*special = 0;
	if (len >= sizeof canon)
		return NULL;
	canonical(canon, sizeof canon, name, len);
	if (strcmp(canon, "Any") == 0)
		return *special = 1, "";
	if (strcmp(canon, "Ascii") == 0)
		return *special = 2, "";
	if (strcmp(canon, "Assigned") == 0)
		return "\\P{Cn}+";
	if (strcmp(canon, "Lc") == 0)
		return "\\p{L&}+";
	const char *cat = NULL;
	for (size_t i = 0; i < KD_ARRAY_SIZE(go_categories) && !cat; i++)
		if (strcmp(canon, go_categories[i]) == 0)
			cat = go_categories[i];
	for (size_t i = 0; i < KD_ARRAY_SIZE(go_aliases) && !cat; i++) {
		canonical(c2, sizeof c2, go_aliases[i].alias, strlen(go_aliases[i].alias));
		if (strcmp(canon, c2) == 0)
			cat = go_aliases[i].cat;
	}
	if (cat) {
		if (strcmp(cat, "LC") == 0)
			return "\\p{L&}+";
		/* Go's C is Cc|Cf|Co|Cs; PCRE2's includes the unassigned */
		if (strcmp(cat, "C") == 0) {
			*special = 3;
			return "[\\p{Cc}\\p{Cf}\\p{Co}]+";
		}
		if (strcmp(cat, "Cs") == 0)
			return *special = 4, "";
		snprintf(buf, cap, "\\p{%s}+", cat);
		return buf;
	}
	for (size_t i = 0; i < KD_ARRAY_SIZE(go_scripts); i++) {
		if (strcmp(canon, go_scripts[i]) == 0) {
			snprintf(buf, cap, "\\p{sc:%s}+", go_scripts[i]);
			return buf;
		}
	}
	return NULL;
}

/* Every code point (surrogates left out) as UTF-8, once: PCRE2 finds a property's runs there. */
static unsigned char *all_text;
static size_t all_len;
static pthread_once_t all_once = PTHREAD_ONCE_INIT;

#define OFF2 0x80
#define OFF3 (OFF2 + (0x800 - 0x80) * 2)
#define OFF3B (OFF3 + (0xD800 - 0x800) * 3)
#define OFF4 (OFF3B + (0x10000 - 0xE000) * 3)

static void all_build(void)
{
	kd_buf b = KD_BUF_INIT;
	for (uint32_t c = 0; c <= MAX_RUNE; c++) {
		if (c == 0xD800)
			c = 0xE000;
		kd_buf_put_utf8(&b, c);
	}
	all_len = b.len;
	all_text = (unsigned char *)kd_buf_detach(&b);
}

static uint32_t cp_at(size_t off)
{
	if (off < OFF2)
		return (uint32_t)off;
	if (off < OFF3)
		return 0x80 + (uint32_t)((off - OFF2) / 2);
	if (off < OFF3B)
		return 0x800 + (uint32_t)((off - OFF3) / 3);
	if (off < OFF4)
		return 0xE000 + (uint32_t)((off - OFF3B) / 3);
	return 0x10000 + (uint32_t)((off - OFF4) / 4);
}

typedef struct prop_cache {
	struct prop_cache *next;
	char *pattern;
	rclass cls;
} prop_cache;

static prop_cache *props;
static pthread_mutex_t props_lock = PTHREAD_MUTEX_INITIALIZER;

/* Appends the class of a \p name (computed once per process); false when Go has no such
 * name. */
static bool unicode_class(rclass *out, const char *name, size_t len)
{
	char buf[96];
	int special;
	const char *pat = property_pattern(name, len, buf, sizeof buf, &special);
	if (!pat)
		return false;
	if (special == 1) {
		cls_add(out, 0, MAX_RUNE);
		return true;
	}
	if (special == 2) {
		cls_add(out, 0, 0x7F);
		return true;
	}
	if (special == 4) {
		cls_add(out, 0xD800, 0xDFFF);
		return true;
	}
	pthread_mutex_lock(&props_lock);
	prop_cache *pc = props;
	while (pc && strcmp(pc->pattern, pat) != 0)
		pc = pc->next;
	if (!pc) {
		pthread_once(&all_once, all_build);
		pc = kd_calloc(1, sizeof(*pc));
		pc->pattern = kd_strdup(pat);
		int err;
		PCRE2_SIZE eo;
		pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &err, &eo, NULL);
		if (re) {
			pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
			size_t at = 0;
			while (at < all_len && pcre2_match(re, all_text, all_len, at, PCRE2_NO_UTF_CHECK, md, NULL) > 0) {
				PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
				if (ov[1] <= ov[0])
					break;
				size_t last = ov[1] - 1;
				while (last > ov[0] && (all_text[last] & 0xC0) == 0x80)
					last--;
				cls_add(&pc->cls, cp_at(ov[0]), cp_at(last));
				at = ov[1];
			}
			pcre2_match_data_free(md);
			pcre2_code_free(re);
		}
		if (special == 3)
			cls_add(&pc->cls, 0xD800, 0xDFFF);
		cls_clean(&pc->cls);
		pc->next = props;
		props = pc;
	}
	cls_append(out, &pc->cls, false);
	pthread_mutex_unlock(&props_lock);
	return true;
}

/* ---- the syntax tree --------------------------------------------------------------------- */

enum {
	EMPTY_BEGIN_LINE = 1,
	EMPTY_END_LINE = 2,
	EMPTY_BEGIN_TEXT = 4,
	EMPTY_END_TEXT = 8,
	EMPTY_WORD = 16,
	EMPTY_NOT_WORD = 32,
};

typedef enum { R_EMPTY, R_LIT, R_CLASS, R_ANY, R_ANYNL, R_ASSERT, R_CAP, R_CAT, R_ALT, R_REP } rkind;

typedef struct rnode rnode;
struct rnode {
	rkind kind;
	uint32_t rune;  /* R_LIT */
	bool fold;      /* R_LIT: case-insensitive */
	int assert;     /* R_ASSERT: EMPTY_* */
	int cap;        /* R_CAP: group number */
	rclass cls;     /* R_CLASS */
	int min, max;   /* R_REP: max -1 for no upper bound */
	bool nongreedy; /* R_REP */
	rnode **sub;
	size_t nsub, capsub;
	rnode *all_next; /* every node, for freeing */
};

/* parser flags */
enum { F_FOLD = 1, F_MULTI = 2, F_DOTNL = 4, F_NONGREEDY = 8 };

typedef struct {
	const char *whole;
	const char *s; /* cursor */
	const char *end;
	int flags;
	int ncap;
	char **names; /* names[i]: group i+1's name or NULL */
	size_t capnames;
	rnode *all;
	kd_buf *err;
	int depth;
	size_t size; /* instructions the tree will compile to, roughly */
} parser;

static rnode *node(parser *p, rkind k)
{
	rnode *n = kd_calloc(1, sizeof(*n));
	n->kind = k;
	n->all_next = p->all;
	p->all = n;
	return n;
}

static void add_sub(rnode *n, rnode *s)
{
	if (n->nsub == n->capsub) {
		n->capsub = n->capsub ? n->capsub * 2 : 4;
		n->sub = kd_realloc(n->sub, n->capsub * sizeof(*n->sub));
	}
	n->sub[n->nsub++] = s;
}

static void free_nodes(rnode *n)
{
	while (n) {
		rnode *next = n->all_next;
		free(n->sub);
		free(n->cls.r);
		free(n);
		n = next;
	}
}

/* Go's Error: "error parsing regexp: CODE: `EXPR`", the expression shortened when long. */
static int fail(parser *p, const char *code, const char *expr, size_t len)
{
	kd_buf_clear(p->err);
	kd_buf_printf(p->err, "error parsing regexp: %s: `", code);
	size_t n = len > 200 ? 200 : len;
	while (n < len && n > 0 && ((unsigned char)expr[n] & 0xC0) == 0x80)
		n--;
	kd_buf_put(p->err, expr, n);
	kd_buf_puts(p->err, n < len ? "...`" : "`");
	return KD_EINVALID;
}

static int fail_whole(parser *p, const char *code)
{
	return fail(p, code, p->whole, strlen(p->whole));
}

/* nextRune: a valid UTF-8 character, or ErrInvalidUTF8 naming the rest of the expression. */
static int next_rune(parser *p, const char **s, uint32_t *r)
{
	size_t left = (size_t)(p->end - *s);
	int w = kd_utf8_decode(*s, left, r);
	if (w == 1 && *r == 0xFFFD && (unsigned char)**s >= 0x80)
		return fail(p, "invalid UTF-8", *s, left);
	*s += w;
	return 0;
}

static int check_utf8(parser *p, const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t r;
		int w = kd_utf8_decode(s + i, n - i, &r);
		if (w == 1 && r == 0xFFFD && (unsigned char)s[i] >= 0x80)
			return fail(p, "invalid UTF-8", s + i, (size_t)(p->end - (s + i)));
		i += (size_t)w;
	}
	return 0;
}

static bool is_alnum(uint32_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int unhex(uint32_t c)
{
	return c < 0x80 ? kd_hex_digit((int)c) : -1;
}

/* parseEscape: s at the backslash. */
static int parse_escape(parser *p, const char **sp, uint32_t *out)
{
	const char *s = *sp, *t = s + 1;
	if (t >= p->end)
		return fail(p, "trailing backslash at end of expression", "", 0);
	uint32_t c;
	if (next_rune(p, &t, &c))
		return KD_EINVALID;
	switch (c) {
	case '1': case '2': case '3': case '4': case '5': case '6': case '7':
		/* a single non-zero digit would be a backreference, which RE2 does not have */
		if (t >= p->end || *t < '0' || *t > '7')
			break;
		/* fallthrough */
	case '0': {
		uint32_t r = c - '0';
		for (int i = 1; i < 3 && t < p->end && *t >= '0' && *t <= '7'; i++)
			r = r * 8 + (uint32_t)(*t++ - '0');
		*out = r;
		*sp = t;
		return 0;
	}
	case 'x': {
		if (t >= p->end)
			break;
		uint32_t d;
		if (next_rune(p, &t, &d))
			return KD_EINVALID;
		if (d == '{') {
			int nhex = 0;
			uint32_t r = 0;
			for (;;) {
				if (t >= p->end)
					goto bad;
				if (next_rune(p, &t, &d))
					return KD_EINVALID;
				if (d == '}')
					break;
				int v = unhex(d);
				if (v < 0)
					goto bad;
				r = r * 16 + (uint32_t)v;
				if (r > MAX_RUNE)
					goto bad;
				nhex++;
			}
			if (nhex == 0)
				goto bad;
			*out = r;
			*sp = t;
			return 0;
		}
		int x = unhex(d);
		if (t >= p->end)
			goto bad;
		if (next_rune(p, &t, &d))
			return KD_EINVALID;
		int y = unhex(d);
		if (x < 0 || y < 0)
			break;
		*out = (uint32_t)(x * 16 + y);
		*sp = t;
		return 0;
	}
	case 'a': *out = '\a'; *sp = t; return 0;
	case 'f': *out = '\f'; *sp = t; return 0;
	case 'n': *out = '\n'; *sp = t; return 0;
	case 'r': *out = '\r'; *sp = t; return 0;
	case 't': *out = '\t'; *sp = t; return 0;
	case 'v': *out = '\v'; *sp = t; return 0;
	default:
		if (c < 0x80 && !is_alnum(c)) {
			*out = c;
			*sp = t;
			return 0;
		}
	}
bad:
	return fail(p, "invalid escape sequence", s, (size_t)(t - s));
}

/* Perl classes \d \s \w and their negations; true when s starts with one. */
static bool perl_class(const char *s, const char *end, rclass *out, bool *neg)
{
	if (end - s < 2 || s[0] != '\\')
		return false;
	char c = s[1];
	switch (c) {
	case 'd': case 'D':
		cls_add(out, '0', '9');
		break;
	case 's': case 'S':
		cls_add(out, '\t', '\n');
		cls_add(out, '\f', '\r');
		cls_add(out, ' ', ' ');
		break;
	case 'w': case 'W':
		cls_add(out, '0', '9');
		cls_add(out, 'A', 'Z');
		cls_add(out, '_', '_');
		cls_add(out, 'a', 'z');
		break;
	default:
		return false;
	}
	*neg = c == 'D' || c == 'S' || c == 'W';
	return true;
}

/* [:name:] classes (ASCII). 1: parsed, 0: not one, <0: error. */
static int posix_class(parser *p, const char **sp, rclass *out, bool *neg)
{
	const char *s = *sp;
	if (p->end - s < 2 || s[0] != '[' || s[1] != ':')
		return 0;
	const char *e = NULL;
	for (const char *q = s + 2; q + 1 < p->end; q++)
		if (q[0] == ':' && q[1] == ']') {
			e = q;
			break;
		}
	if (!e)
		return 0;
	const char *name = s + 2;
	size_t n = (size_t)(e - name);
	*neg = n > 0 && name[0] == '^';
	if (*neg)
		name++, n--;
	static const struct {
		const char *name;
		const char *ranges; /* pairs */
	} pc[] = {{"alnum", "09AZaz"}, {"alpha", "AZaz"}, {"ascii", "\x01\x7f"}, {"blank", "\t\t  "},
		{"cntrl", "\x01\x1f\x7f\x7f"}, {"digit", "09"}, {"graph", "!~"}, {"lower", "az"}, {"print", " ~"},
		{"punct", "!/:@[`{~"}, {"space", "\t\r  "}, {"upper", "AZ"}, {"word", "09AZ__az"}, {"xdigit", "09AFaf"}};
	for (size_t i = 0; i < KD_ARRAY_SIZE(pc); i++) {
		if (strlen(pc[i].name) != n || strncmp(pc[i].name, name, n) != 0)
			continue;
		for (const char *r = pc[i].ranges; *r; r += 2) {
			uint32_t lo = (unsigned char)r[0], hi = (unsigned char)r[1];
			if (lo == 1 && (strcmp(pc[i].name, "ascii") == 0 || strcmp(pc[i].name, "cntrl") == 0))
				lo = 0; /* the table cannot hold a NUL */
			cls_add(out, lo, hi);
		}
		*sp = e + 2;
		return 1;
	}
	return fail(p, "invalid character class range", s, (size_t)(e + 2 - s));
}

/* \p{Name}, \pN, \P..: 1 parsed, 0 not one, <0 error. */
static int unicode_escape(parser *p, const char **sp, rclass *out, bool *neg)
{
	const char *s = *sp;
	if (p->end - s < 2 || s[0] != '\\' || (s[1] != 'p' && s[1] != 'P'))
		return 0;
	*neg = s[1] == 'P';
	const char *t = s + 2;
	uint32_t c;
	if (t >= p->end)
		return 0; /* Go: nextRune of "" fails quietly, then \p is an invalid escape */
	if (next_rune(p, &t, &c))
		return KD_EINVALID;
	const char *name, *seq_end;
	size_t nlen;
	if (c != '{') {
		name = s + 2;
		nlen = (size_t)(t - name);
		seq_end = t;
	} else {
		const char *e = memchr(s, '}', (size_t)(p->end - s));
		if (!e) {
			if (check_utf8(p, s, (size_t)(p->end - s)))
				return KD_EINVALID;
			return fail(p, "invalid character class range", s, (size_t)(p->end - s));
		}
		name = s + 3;
		nlen = (size_t)(e - name);
		seq_end = e + 1;
		if (check_utf8(p, name, nlen))
			return KD_EINVALID;
	}
	if (nlen > 0 && name[0] == '^') {
		*neg = !*neg;
		name++, nlen--;
	}
	rclass tmp = {NULL, 0, 0};
	if (!unicode_class(&tmp, name, nlen)) {
		free(tmp.r);
		return fail(p, "invalid character class range", s, (size_t)(seq_end - s));
	}
	if (p->flags & F_FOLD) {
		rclass f = {NULL, 0, 0};
		for (size_t i = 0; i < tmp.n; i++)
			cls_add_folded(&f, tmp.r[i].lo, tmp.r[i].hi);
		free(tmp.r);
		tmp = f;
	}
	cls_append(out, &tmp, false);
	free(tmp.r);
	*sp = seq_end;
	return 1;
}

/* Appends a class (negated when neg) to out, folded under (?i). */
static void add_group(parser *p, rclass *out, rclass *g, bool neg)
{
	if (p->flags & F_FOLD) {
		rclass f = {NULL, 0, 0};
		for (size_t i = 0; i < g->n; i++)
			cls_add_folded(&f, g->r[i].lo, g->r[i].hi);
		free(g->r);
		*g = f;
	}
	cls_append(out, g, neg);
	free(g->r);
	g->r = NULL;
	g->n = g->cap = 0;
}

/* parseClass: s at '['. */
static int parse_class(parser *p, rnode **out)
{
	const char *whole = p->s, *t = p->s + 1;
	rnode *n = node(p, R_CLASS);
	bool negate = false;
	if (t < p->end && *t == '^') {
		negate = true;
		t++;
	}
	bool first = true;
	while (t >= p->end || *t != ']' || first) {
		first = false;
		if (t >= p->end)
			return fail(p, "missing closing ]", whole, (size_t)(p->end - whole));
		rclass g = {NULL, 0, 0};
		bool gneg = false;
		int rc;
		if (p->end - t > 2 && t[0] == '[' && t[1] == ':') {
			rc = posix_class(p, &t, &g, &gneg);
			if (rc < 0)
				return free(g.r), rc;
			if (rc > 0) {
				add_group(p, &n->cls, &g, gneg);
				continue;
			}
		}
		rc = unicode_escape(p, &t, &g, &gneg);
		if (rc < 0)
			return free(g.r), rc;
		if (rc > 0) {
			/* unicode_escape folded already */
			cls_append(&n->cls, &g, gneg);
			free(g.r);
			continue;
		}
		if (perl_class(t, p->end, &g, &gneg)) {
			t += 2;
			add_group(p, &n->cls, &g, gneg);
			continue;
		}
		const char *rng = t;
		uint32_t lo, hi;
		if (*t == '\\') {
			if (parse_escape(p, &t, &lo))
				return KD_EINVALID;
		} else if (next_rune(p, &t, &lo)) {
			return KD_EINVALID;
		}
		hi = lo;
		if (p->end - t >= 2 && t[0] == '-' && t[1] != ']') {
			t++;
			if (t >= p->end)
				return fail(p, "missing closing ]", whole, (size_t)(p->end - whole));
			if (*t == '\\') {
				if (parse_escape(p, &t, &hi))
					return KD_EINVALID;
			} else if (next_rune(p, &t, &hi)) {
				return KD_EINVALID;
			}
			if (hi < lo)
				return fail(p, "invalid character class range", rng, (size_t)(t - rng));
		}
		if (p->flags & F_FOLD)
			cls_add_folded(&n->cls, lo, hi);
		else
			cls_add(&n->cls, lo, hi);
	}
	t++; /* ']' */
	cls_clean(&n->cls);
	if (negate)
		cls_negate(&n->cls);
	p->s = t;
	*out = n;
	return 0;
}

/* parseRepeat: {n}, {n,}, {n,m} at s; false when it is not one (then '{' is a literal). */
static bool parse_repeat(const char *s, const char *end, int *min, int *max, const char **rest)
{
	if (s >= end || *s != '{')
		return false;
	s++;
	/* parseInt: no leading zeros; values past 10^8 become -1 */
	int *dst[2] = {min, max};
	for (int k = 0; k < 2; k++) {
		if (k == 1) {
			if (s >= end)
				return false;
			if (*s != ',') {
				*max = *min;
				break;
			}
			s++;
			if (s >= end)
				return false;
			if (*s == '}') {
				*max = -1;
				break;
			}
		}
		if (s >= end || *s < '0' || *s > '9')
			return false;
		if (end - s >= 2 && s[0] == '0' && s[1] >= '0' && s[1] <= '9')
			return false;
		int v = 0;
		for (; s < end && *s >= '0' && *s <= '9'; s++)
			if (v >= 0)
				v = v >= 100000000 ? -1 : v * 10 + (*s - '0');
		*dst[k] = v;
		if (k == 1 && v < 0)
			*min = -1;
	}
	if (s >= end || *s != '}')
		return false;
	*rest = s + 1;
	return true;
}

static bool repeat_valid(const rnode *n, int limit)
{
	if (n->kind == R_REP) {
		int m = n->max;
		if (m == 0)
			return true;
		if (m < 0)
			m = n->min;
		if (m > limit)
			return false;
		if (m > 0)
			limit /= m;
	}
	for (size_t i = 0; i < n->nsub; i++)
		if (!repeat_valid(n->sub[i], limit))
			return false;
	return true;
}

static int parse_alt(parser *p, rnode **out);

static void set_name(parser *p, int cap, char *name)
{
	if ((size_t)cap > p->capnames) {
		size_t nc = p->capnames ? p->capnames * 2 : 8;
		while (nc < (size_t)cap)
			nc *= 2;
		p->names = kd_realloc(p->names, nc * sizeof(*p->names));
		memset(p->names + p->capnames, 0, (nc - p->capnames) * sizeof(*p->names));
		p->capnames = nc;
	}
	p->names[cap - 1] = name;
}

/* A group at '(': (re), (?:re), (?flags), (?flags:re), (?P<name>re), (?<name>re). Sets *out
 * to the node, or NULL for a bare flag group. */
static int parse_group(parser *p, rnode **out)
{
	const char *s = p->s;
	*out = NULL;
	if (p->end - s >= 2 && s[1] == '?') {
		bool with_p = p->end - s > 4 && s[2] == 'P' && s[3] == '<';
		bool with_name = p->end - s > 3 && s[2] == '<';
		if (with_p || with_name) {
			const char *name = s + (with_p ? 4 : 3);
			const char *gt = memchr(s, '>', (size_t)(p->end - s));
			if (!gt) {
				if (check_utf8(p, s, (size_t)(p->end - s)))
					return KD_EINVALID;
				return fail(p, "invalid named capture", s, (size_t)(p->end - s));
			}
			size_t nl = (size_t)(gt - name);
			if (check_utf8(p, name, nl))
				return KD_EINVALID;
			bool ok = nl > 0;
			for (size_t i = 0; i < nl && ok; i++)
				ok = name[i] == '_' || is_alnum((unsigned char)name[i]);
			if (!ok)
				return fail(p, "invalid named capture", s, (size_t)(gt + 1 - s));
			int cap = ++p->ncap;
			set_name(p, cap, kd_strndup(name, nl));
			p->s = gt + 1;
			rnode *n = node(p, R_CAP);
			n->cap = cap;
			int saved = p->flags;
			rnode *body;
			if (parse_alt(p, &body))
				return KD_EINVALID;
			p->flags = saved;
			add_sub(n, body);
			*out = n;
			return 0;
		}
		/* flags: i m s U, '-' once, then ':' (a group) or ')' (for the rest of this one) */
		const char *t = s + 2;
		int flags = p->flags, sign = 1;
		bool saw = false;
		while (t < p->end) {
			uint32_t c;
			if (next_rune(p, &t, &c))
				return KD_EINVALID;
			switch (c) {
			case 'i': flags = sign > 0 ? flags | F_FOLD : flags & ~F_FOLD; saw = true; continue;
			case 'm': flags = sign > 0 ? flags | F_MULTI : flags & ~F_MULTI; saw = true; continue;
			case 's': flags = sign > 0 ? flags | F_DOTNL : flags & ~F_DOTNL; saw = true; continue;
			case 'U': flags = sign > 0 ? flags | F_NONGREEDY : flags & ~F_NONGREEDY; saw = true; continue;
			case '-':
				if (sign < 0)
					break;
				sign = -1;
				saw = false;
				continue;
			case ':':
			case ')':
				if (sign < 0 && !saw)
					break;
				if (c == ')') {
					p->flags = flags;
					p->s = t;
					return 0;
				}
				p->s = t;
				int saved = p->flags;
				p->flags = flags;
				rnode *body;
				if (parse_alt(p, &body))
					return KD_EINVALID;
				p->flags = saved;
				*out = body;
				return 0;
			default:
				break;
			}
			break;
		}
		return fail(p, "invalid or unsupported Perl syntax", s, (size_t)(t - s));
	}
	p->s = s + 1;
	int cap = ++p->ncap;
	set_name(p, cap, NULL);
	rnode *n = node(p, R_CAP);
	n->cap = cap;
	int saved = p->flags;
	rnode *body;
	if (parse_alt(p, &body))
		return KD_EINVALID;
	p->flags = saved;
	add_sub(n, body);
	*out = n;
	return 0;
}

static rnode *lit(parser *p, uint32_t r)
{
	rnode *n = node(p, R_LIT);
	n->rune = r;
	n->fold = (p->flags & F_FOLD) != 0 && simple_fold(r) != r;
	p->size++;
	return n;
}

/* A sequence up to '|' or ')' or the end. */
static int parse_concat(parser *p, rnode **out)
{
	rnode *cat = node(p, R_CAT);
	const char *last_repeat = NULL; /* where the previous repetition operator started */
	while (p->s < p->end && *p->s != '|' && *p->s != ')') {
		const char *t = p->s;
		char c = *t;
		if (c == '*' || c == '+' || c == '?' || c == '{') {
			int min = 0, max = -1;
			const char *after = t + 1;
			if (c == '*')
				min = 0, max = -1;
			else if (c == '+')
				min = 1, max = -1;
			else if (c == '?')
				min = 0, max = 1;
			else if (!parse_repeat(t, p->end, &min, &max, &after)) {
				add_sub(cat, lit(p, '{'));
				p->s = t + 1;
				last_repeat = NULL;
				continue;
			} else if (min < 0 || min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && min > max)) {
				return fail(p, "invalid repeat count", t, (size_t)(after - t));
			}
			bool nongreedy = (p->flags & F_NONGREEDY) != 0;
			if (after < p->end && *after == '?') {
				after++;
				nongreedy = !nongreedy;
			}
			if (last_repeat)
				return fail(p, "invalid nested repetition operator", last_repeat, (size_t)(after - last_repeat));
			if (cat->nsub == 0)
				return fail(p, "missing argument to repetition operator", t, (size_t)(after - t));
			rnode *r = node(p, R_REP);
			r->min = min;
			r->max = max;
			r->nongreedy = nongreedy;
			add_sub(r, cat->sub[cat->nsub - 1]);
			cat->sub[cat->nsub - 1] = r;
			if (c == '{' && (min >= 2 || max >= 2) && !repeat_valid(r, MAX_REPEAT))
				return fail(p, "invalid repeat count", t, (size_t)(after - t));
			p->s = after;
			last_repeat = t;
			continue;
		}
		rnode *a = NULL;
		switch (c) {
		case '(': {
			if (++p->depth > MAX_NESTING)
				return fail_whole(p, "expression nests too deeply");
			if (parse_group(p, &a))
				return KD_EINVALID;
			p->depth--;
			if (a) {
				if (p->s >= p->end || *p->s != ')')
					return fail_whole(p, "missing closing )");
				p->s++;
			}
			break;
		}
		case '^':
			a = node(p, R_ASSERT);
			a->assert = (p->flags & F_MULTI) ? EMPTY_BEGIN_LINE : EMPTY_BEGIN_TEXT;
			p->s++;
			break;
		case '$':
			a = node(p, R_ASSERT);
			a->assert = (p->flags & F_MULTI) ? EMPTY_END_LINE : EMPTY_END_TEXT;
			p->s++;
			break;
		case '.':
			a = node(p, (p->flags & F_DOTNL) ? R_ANY : R_ANYNL);
			p->s++;
			break;
		case '[':
			if (parse_class(p, &a))
				return KD_EINVALID;
			break;
		case '\\': {
			if (p->end - t >= 2) {
				char e = t[1];
				if (e == 'A' || e == 'z' || e == 'b' || e == 'B') {
					a = node(p, R_ASSERT);
					a->assert = e == 'A' ? EMPTY_BEGIN_TEXT : e == 'z' ? EMPTY_END_TEXT
						: e == 'b' ? EMPTY_WORD : EMPTY_NOT_WORD;
					p->s = t + 2;
					break;
				}
				if (e == 'C')
					return fail(p, "invalid escape sequence", t, 2);
				if (e == 'Q') {
					const char *q = t + 2, *qe = NULL;
					for (const char *x = q; x + 1 < p->end; x++)
						if (x[0] == '\\' && x[1] == 'E') {
							qe = x;
							break;
						}
					const char *stop = qe ? qe : p->end;
					while (q < stop) {
						uint32_t r;
						if (next_rune(p, &q, &r))
							return KD_EINVALID;
						add_sub(cat, lit(p, r));
					}
					p->s = qe ? qe + 2 : p->end;
					last_repeat = NULL;
					continue;
				}
			}
			rclass g = {NULL, 0, 0};
			bool gneg = false;
			int rc = unicode_escape(p, &p->s, &g, &gneg);
			if (rc < 0)
				return free(g.r), KD_EINVALID;
			if (rc > 0) {
				a = node(p, R_CLASS);
				cls_append(&a->cls, &g, gneg);
				free(g.r);
				cls_clean(&a->cls);
				break;
			}
			if (perl_class(t, p->end, &g, &gneg)) {
				a = node(p, R_CLASS);
				add_group(p, &a->cls, &g, gneg);
				cls_clean(&a->cls);
				p->s = t + 2;
				break;
			}
			uint32_t r;
			if (parse_escape(p, &p->s, &r))
				return KD_EINVALID;
			a = lit(p, r);
			break;
		}
		default: {
			uint32_t r;
			if (next_rune(p, &p->s, &r))
				return KD_EINVALID;
			a = lit(p, r);
		}
		}
		last_repeat = NULL;
		if (a)
			add_sub(cat, a);
	}
	*out = cat;
	return 0;
}

static int parse_alt(parser *p, rnode **out)
{
	rnode *alt = node(p, R_ALT), *c;
	for (;;) {
		if (parse_concat(p, &c))
			return KD_EINVALID;
		add_sub(alt, c);
		if (p->s < p->end && *p->s == '|') {
			p->s++;
			continue;
		}
		break;
	}
	*out = alt->nsub == 1 ? alt->sub[0] : alt;
	return 0;
}

/* ---- the program ----------------------------------------------------------------------- */

typedef enum { I_CLASS, I_LIT, I_ANY, I_ANYNL, I_SPLIT, I_JMP, I_SAVE, I_ASSERT, I_MATCH, I_FAIL } iop;

typedef struct {
	uint8_t op;
	int x, y;           /* I_SPLIT: x first (preferred); I_JMP: x; I_SAVE: x = slot; I_ASSERT: x = flags */
	uint32_t lit, lit2; /* I_LIT: the rune (and its one fold) */
	uint32_t cls, ncls; /* I_CLASS: ranges in kd_re.ranges */
} inst;

struct kd_re {
	inst *prog;
	size_t n, cap;
	rrange *ranges;
	size_t nranges, capranges;
	int ngroups;
	char **names;
	/* the VM's lists, kept between searches */
	int *sparse, *dense, *tpc;
	ssize_t *caps; /* 2 lists x n threads x ncap slots */
	int ncap;
};

/* A fragment of program: its entry and its dangling exits. As in Go's compiler, the exits
 * form a list threaded through the very fields they will fill: each holds the next exit's
 * id (instruction * 2 + 0 for x, 1 for y, plus 1; 0 ends the list). */
typedef struct {
	int start; /* -1: the empty fragment */
	int head, tail;
	bool nullable;
} frag;

static int emit(kd_re *re, uint8_t op)
{
	if (re->n == re->cap) {
		re->cap = re->cap ? re->cap * 2 : 64;
		re->prog = kd_realloc(re->prog, re->cap * sizeof(*re->prog));
	}
	memset(&re->prog[re->n], 0, sizeof(inst));
	re->prog[re->n].op = op;
	re->prog[re->n].x = re->prog[re->n].y = -1;
	return (int)re->n++;
}

static int *field(kd_re *re, int id)
{
	inst *in = &re->prog[(id - 1) / 2];
	return ((id - 1) & 1) ? &in->y : &in->x;
}

static frag exits(int i, int which)
{
	int id = i * 2 + which + 1;
	return (frag){i, id, id, false};
}

static void patch(kd_re *re, frag *f, int to)
{
	for (int id = f->head; id;) {
		int *fp = field(re, id);
		int next = *fp;
		*fp = to;
		id = next;
	}
	f->head = f->tail = 0;
}

/* dst's exits followed by src's */
static void join_exits(kd_re *re, frag *dst, const frag *src)
{
	if (!src->head)
		return;
	if (!dst->head) {
		dst->head = src->head;
		dst->tail = src->tail;
		return;
	}
	*field(re, dst->tail) = src->head;
	dst->tail = src->tail;
}

static frag single(kd_re *re, uint8_t op, bool nullable)
{
	int i = emit(re, op);
	re->prog[i].x = 0; /* the end of the exit list */
	frag f = exits(i, 0);
	f.nullable = nullable;
	return f;
}

static int compile_node(kd_re *re, const rnode *n, frag *out);

/* x? (the empty way second when greedy) */
static frag quest(kd_re *re, frag f1, bool nongreedy)
{
	int s = emit(re, I_SPLIT);
	frag f;
	if (nongreedy) {
		re->prog[s].y = f1.start;
		re->prog[s].x = 0;
		f = exits(s, 0);
	} else {
		re->prog[s].x = f1.start;
		re->prog[s].y = 0;
		f = exits(s, 1);
	}
	f.nullable = true;
	join_exits(re, &f, &f1);
	return f;
}

/* the loop back from f1's end: split to f1 again or on */
static frag loop(kd_re *re, frag f1, bool nongreedy)
{
	int s = emit(re, I_SPLIT);
	frag f;
	if (nongreedy) {
		re->prog[s].y = f1.start;
		re->prog[s].x = 0;
		f = exits(s, 0);
	} else {
		re->prog[s].x = f1.start;
		re->prog[s].y = 0;
		f = exits(s, 1);
	}
	f.nullable = f1.nullable;
	patch(re, &f1, s);
	return f;
}

static frag plus(kd_re *re, frag f1, bool nongreedy)
{
	int start = f1.start;
	bool nullable = f1.nullable;
	frag l = loop(re, f1, nongreedy);
	l.start = start;
	l.nullable = nullable;
	return l;
}

static frag star(kd_re *re, frag f1, bool nongreedy)
{
	if (f1.nullable) /* (x+)? keeps Go's priorities for a nullable x (golang.org/issue/46123) */
		return quest(re, plus(re, f1, nongreedy), nongreedy);
	frag l = loop(re, f1, nongreedy);
	l.nullable = true;
	return l;
}

static frag cat2(kd_re *re, frag a, frag b)
{
	if (a.start < 0)
		return b;
	if (b.start < 0)
		return a;
	patch(re, &a, b.start);
	frag f = {a.start, b.head, b.tail, a.nullable && b.nullable};
	return f;
}

static frag empty_frag(void)
{
	frag f = {-1, 0, 0, true};
	return f;
}

static int compile_rep(kd_re *re, const rnode *n, frag *out)
{
	const rnode *sub = n->sub[0];
	frag f;
	if (n->max == -1 && n->min <= 1) {
		if (compile_node(re, sub, &f))
			return KD_ELIMIT;
		if (f.start < 0) { /* repeating nothing */
			*out = f;
			return 0;
		}
		*out = n->min == 0 ? star(re, f, n->nongreedy) : plus(re, f, n->nongreedy);
		return 0;
	}
	if (n->min == 0 && n->max == 1) {
		if (compile_node(re, sub, &f))
			return KD_ELIMIT;
		if (f.start < 0) {
			*out = f;
			return 0;
		}
		*out = quest(re, f, n->nongreedy);
		return 0;
	}
	/* Simplify's expansion: x{n,} is n-1 x then x+; x{n,m} is n x then nested (x(x)?)? */
	frag acc = empty_frag();
	if (n->max == -1) {
		for (int i = 0; i < n->min - 1; i++) {
			if (compile_node(re, sub, &f))
				return KD_ELIMIT;
			acc = cat2(re, acc, f);
		}
		if (compile_node(re, sub, &f))
			return KD_ELIMIT;
		if (f.start >= 0)
			f = plus(re, f, n->nongreedy);
		*out = cat2(re, acc, f);
		return 0;
	}
	for (int i = 0; i < n->min; i++) {
		if (compile_node(re, sub, &f))
			return KD_ELIMIT;
		acc = cat2(re, acc, f);
	}
	if (n->max > n->min) {
		/* built inside out: (x(x(x)?)?)? */
		frag suffix;
		if (compile_node(re, sub, &suffix))
			return KD_ELIMIT;
		if (suffix.start >= 0)
			suffix = quest(re, suffix, n->nongreedy);
		for (int i = n->min + 1; i < n->max; i++) {
			if (compile_node(re, sub, &f))
				return KD_ELIMIT;
			f = cat2(re, f, suffix);
			if (f.start >= 0)
				f = quest(re, f, n->nongreedy);
			suffix = f;
		}
		acc = cat2(re, acc, suffix);
	}
	*out = acc;
	return 0;
}

static int compile_node(kd_re *re, const rnode *n, frag *out)
{
	if (re->n > MAX_PROGRAM)
		return KD_ELIMIT;
	switch (n->kind) {
	case R_EMPTY:
		*out = empty_frag();
		return 0;
	case R_LIT: {
		frag f = single(re, I_LIT, false);
		re->prog[f.start].lit = re->prog[f.start].lit2 = n->rune;
		if (n->fold) {
			uint32_t o = simple_fold(n->rune);
			if (simple_fold(o) == n->rune) {
				re->prog[f.start].lit2 = o; /* a pair: the common case */
			} else {
				/* a longer orbit: a class */
				re->prog[f.start].op = I_CLASS;
				rclass c = {NULL, 0, 0};
				cls_add_folded(&c, n->rune, n->rune);
				cls_clean(&c);
				re->prog[f.start].cls = (uint32_t)re->nranges;
				re->prog[f.start].ncls = (uint32_t)c.n;
				for (size_t i = 0; i < c.n; i++) {
					if (re->nranges == re->capranges) {
						re->capranges = re->capranges ? re->capranges * 2 : 16;
						re->ranges = kd_realloc(re->ranges, re->capranges * sizeof(*re->ranges));
					}
					re->ranges[re->nranges++] = c.r[i];
				}
				free(c.r);
			}
		}
		*out = f;
		return 0;
	}
	case R_CLASS: {
		frag f = single(re, I_CLASS, false);
		re->prog[f.start].cls = (uint32_t)re->nranges;
		re->prog[f.start].ncls = (uint32_t)n->cls.n;
		for (size_t i = 0; i < n->cls.n; i++) {
			if (re->nranges == re->capranges) {
				re->capranges = re->capranges ? re->capranges * 2 : 16;
				re->ranges = kd_realloc(re->ranges, re->capranges * sizeof(*re->ranges));
			}
			re->ranges[re->nranges++] = n->cls.r[i];
		}
		if (n->cls.n == 0)
			re->prog[f.start].op = I_FAIL;
		*out = f;
		return 0;
	}
	case R_ANY:
		*out = single(re, I_ANY, false);
		return 0;
	case R_ANYNL:
		*out = single(re, I_ANYNL, false);
		return 0;
	case R_ASSERT: {
		frag f = single(re, I_ASSERT, true);
		re->prog[f.start].y = n->assert;
		*out = f;
		return 0;
	}
	case R_CAP: {
		frag a = single(re, I_SAVE, true), body, b;
		re->prog[a.start].lit = (uint32_t)(2 * n->cap);
		if (compile_node(re, n->sub[0], &body))
			return KD_ELIMIT;
		b = single(re, I_SAVE, true);
		re->prog[b.start].lit = (uint32_t)(2 * n->cap + 1);
		bool nullable = body.start < 0 || body.nullable;
		frag f = cat2(re, cat2(re, a, body), b);
		f.nullable = nullable;
		*out = f;
		return 0;
	}
	case R_CAT: {
		frag acc = empty_frag(), f;
		for (size_t i = 0; i < n->nsub; i++) {
			if (compile_node(re, n->sub[i], &f))
				return KD_ELIMIT;
			acc = cat2(re, acc, f);
		}
		*out = acc;
		return 0;
	}
	case R_ALT: {
		/* a chain of splits, the first alternative preferred */
		frag res = {-1, 0, 0, false};
		int prev_split = -1;
		for (size_t i = 0; i < n->nsub; i++) {
			frag f;
			if (compile_node(re, n->sub[i], &f))
				return KD_ELIMIT;
			if (f.start < 0) /* an empty alternative: a jump that goes straight on */
				f = single(re, I_JMP, true);
			if (i + 1 < n->nsub) {
				int s = emit(re, I_SPLIT);
				re->prog[s].x = f.start;
				if (prev_split >= 0)
					re->prog[prev_split].y = s;
				else
					res.start = s;
				prev_split = s;
			} else if (prev_split >= 0) {
				re->prog[prev_split].y = f.start;
			} else {
				res.start = f.start;
			}
			res.nullable = res.nullable || f.nullable;
			join_exits(re, &res, &f);
		}
		*out = res;
		return 0;
	}
	case R_REP:
		return compile_rep(re, n, out);
	}
	return KD_ELIMIT;
}

/* ---- matching: a Pike VM -------------------------------------------------------------- */

static bool word_char(int32_t c)
{
	return c >= 0 && c < 0x80 && (is_alnum((uint32_t)c) || c == '_');
}

/* The empty-width conditions that hold between runes `before` and `after` (-1: the text's
 * start or end). */
static int empty_at(int32_t before, int32_t after)
{
	int f = 0;
	if (before < 0) {
		f |= EMPTY_BEGIN_TEXT | EMPTY_BEGIN_LINE;
	} else if (before == '\n') {
		f |= EMPTY_BEGIN_LINE;
	}
	if (after < 0) {
		f |= EMPTY_END_TEXT | EMPTY_END_LINE;
	} else if (after == '\n') {
		f |= EMPTY_END_LINE;
	}
	f |= word_char(before) != word_char(after) ? EMPTY_WORD : EMPTY_NOT_WORD;
	return f;
}

/* A list of threads for one position: the pcs entered there (a sparse set, so each is entered
 * once) and, in priority order, the threads waiting for a rune with their captures. */
typedef struct {
	int *sparse, *dense; /* the visited set */
	int nvisited;
	int *tpc; /* threads' pcs */
	ssize_t *caps; /* per thread: ncap slots */
	int n;
} tlist;

static bool visit(tlist *l, int pc)
{
	int i = l->sparse[pc];
	if (i >= 0 && i < l->nvisited && l->dense[i] == pc)
		return false;
	l->sparse[pc] = l->nvisited;
	l->dense[l->nvisited++] = pc;
	return true;
}

typedef struct {
	int pc;
	int slot; /* >= 0: restore caps[slot] = val, then nothing else */
	ssize_t val;
} job;

/* Follows the empty transitions from pc0 at position `pos` (conditions `flags`) and adds the
 * threads that wait for a rune (or match) to l, in priority order, each with its captures.
 * An explicit stack: programs can be long. */
static void add_thread(kd_re *re, tlist *l, int pc0, size_t pos, int flags, ssize_t *caps, job **stk,
	size_t *stkcap)
{
	size_t n = 0;
	job *st = *stk;
	st[n++] = (job){pc0, -1, 0};
	while (n) {
		job j = st[--n];
		if (j.slot >= 0) {
			caps[j.slot] = j.val;
			continue;
		}
		int pc = j.pc;
		if (pc < 0 || !visit(l, pc))
			continue;
		const inst *in = &re->prog[pc];
		if (n + 3 > *stkcap) {
			*stkcap *= 2;
			st = *stk = kd_realloc(st, *stkcap * sizeof(*st));
		}
		switch (in->op) {
		case I_JMP:
			st[n++] = (job){in->x, -1, 0};
			break;
		case I_SPLIT:
			st[n++] = (job){in->y, -1, 0};
			st[n++] = (job){in->x, -1, 0};
			break;
		case I_SAVE:
			if ((int)in->lit < re->ncap) {
				st[n++] = (job){0, (int)in->lit, caps[in->lit]};
				caps[in->lit] = (ssize_t)pos;
			}
			st[n++] = (job){in->x, -1, 0};
			break;
		case I_ASSERT:
			if ((in->y & ~flags) == 0)
				st[n++] = (job){in->x, -1, 0};
			break;
		case I_FAIL:
			break;
		default: /* a thread: its captures copied */
			l->tpc[l->n] = pc;
			memcpy(l->caps + (size_t)l->n * (size_t)re->ncap, caps, (size_t)re->ncap * sizeof(*caps));
			l->n++;
			break;
		}
	}
}

static bool step_matches(const kd_re *re, const inst *in, int32_t r)
{
	if (r < 0)
		return false;
	switch (in->op) {
	case I_LIT:
		return (uint32_t)r == in->lit || (uint32_t)r == in->lit2;
	case I_CLASS:
		return cls_has(re->ranges + in->cls, in->ncls, (uint32_t)r);
	case I_ANY:
		return true;
	case I_ANYNL:
		return r != '\n';
	default:
		return false;
	}
}

static int32_t rune_at(const char *s, size_t len, size_t pos, int *w)
{
	if (pos >= len) {
		*w = 0;
		return -1;
	}
	uint32_t c;
	*w = kd_utf8_decode(s + pos, len - pos, &c);
	return (int32_t)c;
}

static int32_t rune_before(const char *s, size_t pos)
{
	if (pos == 0)
		return -1;
	/* Go decodes the last rune before pos (utf8.DecodeLastRuneInString) */
	size_t i = pos - 1, lim = pos >= 4 ? pos - 4 : 0;
	while (i > lim && ((unsigned char)s[i] & 0xC0) == 0x80)
		i--;
	uint32_t c;
	int w = kd_utf8_decode(s + i, pos - i, &c);
	if ((size_t)w != pos - i)
		return 0xFFFD; /* an invalid last byte */
	return (int32_t)c;
}

bool kd_re_find(kd_re *re, const char *s, size_t len, size_t pos, ssize_t *out)
{
	int n = (int)re->n, ncap = re->ncap;
	if (!re->sparse) {
		re->sparse = kd_malloc(2 * (size_t)n * sizeof(int));
		re->dense = kd_malloc(2 * (size_t)n * sizeof(int));
		re->tpc = kd_malloc(2 * (size_t)n * sizeof(int));
		re->caps = kd_malloc(2 * (size_t)n * (size_t)ncap * sizeof(ssize_t));
		for (int i = 0; i < 2 * n; i++)
			re->sparse[i] = -1;
	}
	tlist lists[2] = {{re->sparse, re->dense, 0, re->tpc, re->caps, 0},
		{re->sparse + n, re->dense + n, 0, re->tpc + n, re->caps + (size_t)n * (size_t)ncap, 0}};
	tlist *cl = &lists[0], *nl = &lists[1];
	size_t stkcap = 64;
	job *stk = kd_malloc(stkcap * sizeof(*stk));
	ssize_t *tmp = kd_malloc((size_t)ncap * sizeof(*tmp)), *best = kd_malloc((size_t)ncap * sizeof(*best));
	bool matched = false;
	int32_t prev = rune_before(s, pos);
	int w;
	int32_t r = rune_at(s, len, pos, &w);
	for (size_t at = pos;;) {
		int flags = empty_at(prev, r);
		if (!matched) {
			/* a new thread for a match starting here, after every thread already running */
			for (int i = 0; i < ncap; i++)
				tmp[i] = -1;
			add_thread(re, cl, 0, at, flags, tmp, &stk, &stkcap);
		}
		if (cl->n == 0 && (matched || r < 0))
			break; /* nothing left that could match */
		int wn;
		int32_t rn = rune_at(s, len, at + (size_t)w, &wn);
		int nflags = empty_at(r, rn);
		for (int i = 0; i < cl->n; i++) {
			const inst *in = &re->prog[cl->tpc[i]];
			ssize_t *tc = cl->caps + (size_t)i * (size_t)ncap;
			if (in->op == I_MATCH) {
				memcpy(best, tc, (size_t)ncap * sizeof(*best));
				matched = true;
				break; /* the threads after this one have lower priority */
			}
			if (step_matches(re, in, r))
				add_thread(re, nl, in->x, at + (size_t)w, nflags, tc, &stk, &stkcap);
		}
		cl->n = cl->nvisited = 0;
		tlist *t = cl;
		cl = nl;
		nl = t;
		if (r < 0 || (matched && !out))
			break; /* the end of the text, or a yes/no question answered */
		at += (size_t)w;
		prev = r;
		r = rn;
		w = wn;
	}
	cl->n = cl->nvisited = nl->n = nl->nvisited = 0;
	if (matched && out)
		memcpy(out, best, (size_t)ncap * sizeof(*out));
	free(stk);
	free(tmp);
	free(best);
	return matched;
}

/* ---- the API ------------------------------------------------------------------------------ */

int kd_re_compile(kd_re **out, const char *pat, kd_buf *err)
{
	parser p = {0};
	*out = NULL;
	p.whole = p.s = pat;
	p.end = pat + strlen(pat);
	p.err = err;
	rnode *root = NULL;
	int rc = parse_alt(&p, &root);
	if (rc == 0 && p.s < p.end) /* a ')' nothing opened */
		rc = fail_whole(&p, "unexpected )");
	kd_re *re = NULL;
	if (rc == 0) {
		re = kd_calloc(1, sizeof(*re));
		re->ngroups = p.ncap;
		re->names = p.names;
		p.names = NULL;
		re->ncap = 2 * (p.ncap + 1);
		/* the whole match is group 0 */
		rnode *g0 = node(&p, R_CAP);
		g0->cap = 0;
		add_sub(g0, root);
		frag f;
		if (compile_node(re, g0, &f) || re->n > MAX_PROGRAM) {
			rc = fail_whole(&p, "expression too large");
		} else {
			int m = emit(re, I_MATCH);
			patch(re, &f, m);
		}
	}
	if (rc && re) {
		p.names = re->names;
		re->names = NULL;
		kd_re_free(re);
		re = NULL;
	}
	for (size_t i = 0; p.names && i < p.capnames; i++)
		free(p.names[i]);
	free(p.names);
	free_nodes(p.all);
	*out = re;
	return rc;
}

void kd_re_free(kd_re *re)
{
	if (!re)
		return;
	for (int i = 0; re->names && i < re->ngroups; i++)
		free(re->names[i]);
	free(re->names);
	free(re->prog);
	free(re->ranges);
	free(re->sparse);
	free(re->dense);
	free(re->tpc);
	free(re->caps);
	free(re);
}

int kd_re_groups(const kd_re *re)
{
	return re->ngroups;
}

int kd_re_group_index(const kd_re *re, const char *name, size_t len)
{
	for (int i = 0; re->names && i < re->ngroups; i++)
		if (re->names[i] && strlen(re->names[i]) == len && memcmp(re->names[i], name, len) == 0)
			return i + 1;
	return -1;
}
