/* templates/tpl_regex.c: Go's regexp syntax and leftmost-first matching (the Go-checked
 * template cases are tests/tpl/sprig_regex_* and hostile_regex_*). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/base.h"
#include "../../templates/tpl_regex.h"
#include "test.h"

/* The match of pat in s from pos as "start-end" pairs for every group ("-" when unset), or
 * "nomatch", or "ERR:" and the message. */
static const char *find(const char *pat, const char *s, size_t pos)
{
	static char res[512];
	kd_re *re = NULL;
	kd_buf err = KD_BUF_INIT;
	if (kd_re_compile(&re, pat, &err)) {
		snprintf(res, sizeof res, "ERR:%s", kd_buf_cstr(&err));
		kd_buf_free(&err);
		return res;
	}
	int ng = kd_re_groups(re);
	ssize_t *caps = kd_malloc(2 * ((size_t)ng + 1) * sizeof(*caps));
	if (!kd_re_find(re, s, strlen(s), pos, caps)) {
		snprintf(res, sizeof res, "nomatch");
	} else {
		size_t o = 0;
		res[0] = '\0';
		for (int g = 0; g <= ng && o + 32 < sizeof res; g++) {
			if (caps[2 * g] < 0)
				o += (size_t)snprintf(res + o, sizeof res - o, "%s-", g ? " " : "");
			else
				o += (size_t)snprintf(res + o, sizeof res - o, "%s%zd-%zd", g ? " " : "", caps[2 * g], caps[2 * g + 1]);
		}
	}
	free(caps);
	kd_re_free(re);
	kd_buf_free(&err);
	return res;
}

TEST(regex_leftmost_first_submatches)
{
	CHECK_STR(find("(a|ab)(c|bcd)(d*)", "abcd", 0), "0-4 0-1 1-4 4-4");
	CHECK_STR(find("(a*)+", "b", 0), "0-0 0-0");
	CHECK_STR(find("(a*)*", "b", 0), "0-0 0-0"); /* x* of a nullable x is (x+)? */
	CHECK_STR(find("(a+?)(a*)", "aaa", 0), "0-3 0-1 1-3");
	CHECK_STR(find("(?U)(a+)(a*)", "aaa", 0), "0-1 0-1 1-1");
	CHECK_STR(find("x*", "abc", 1), "1-1");
	CHECK_STR(find("(a)|b", "b", 0), "0-1 -");
	CHECK_STR(find("a{2,3}", "aaaa", 0), "0-3");
	CHECK_STR(find("(a){0}b", "ab", 0), "1-2 -");
	/* assertions see the text before pos */
	CHECK_STR(find("\\bb", "ab b", 1), "3-4");
	CHECK_STR(find("^b", "ab", 1), "nomatch");
	CHECK_STR(find("(?m)^b", "a\nb", 1), "2-3");
	CHECK_STR(find("$", "a\n", 0), "2-2");
	CHECK_STR(find("(?m)$", "a\n", 0), "1-1");
}

TEST(regex_classes_and_folding_as_go)
{
	CHECK_STR(find("[\\s\\S]", "\v", 0), "0-1");
	CHECK_STR(find("\\s", "\v", 0), "nomatch");
	CHECK_STR(find(".", "\xff", 0), "0-1"); /* an invalid byte reads as U+FFFD, one byte wide */
	CHECK_STR(find("\\x{FFFD}", "a\xfe", 0), "1-2");
	CHECK_STR(find("(?i)k+", "kK\xe2\x84\xaa", 0), "0-5"); /* K and the Kelvin sign */
	CHECK_STR(find("(?i)s", "\xc5\xbf", 0), "0-2");        /* long s */
	CHECK_STR(find("(?i)i", "\xc4\xb0", 0), "nomatch");   /* dotted capital I folds only in Turkish */
	CHECK_STR(find("\\p{Greek}+", "ab\xce\xb1\xce\xb2", 0), "2-6");
	CHECK_STR(find("\\P{L}", "ab1", 0), "2-3");
	CHECK_STR(find("[\\p{^L}]", "ab1", 0), "2-3");
	CHECK_STR(find("\\pN", "x\xd9\xa3", 0), "1-3"); /* ARABIC-INDIC DIGIT THREE */
	CHECK_STR(find("[[:^alpha:]]", "ab1", 0), "2-3");
	CHECK_STR(find("\\w+", "a\xc3\xa9", 0), "0-1"); /* \w is ASCII */
	/* Go 1.26 finds scripts only by names that canonicalize to themselves */
	CHECK_STR(find("\\p{Old_Italic}", "x", 0), "ERR:error parsing regexp: invalid character class range: `\\p{Old_Italic}`");
	CHECK_STR(find("\\p{letter}", "x", 0), "0-1");
}

TEST(regex_refuses_what_go_refuses)
{
	static const struct {
		const char *pat, *err;
	} bad[] = {
		{"(a)\\1", "invalid escape sequence: `\\1`"},
		{"a(?=b)", "invalid or unsupported Perl syntax: `(?=`"},
		{"(?<=a)b", "invalid named capture: `(?<=a)b`"},
		{"a++", "invalid nested repetition operator: `++`"},
		{"\\C", "invalid escape sequence: `\\C`"},
		{"\\Z", "invalid escape sequence: `\\Z`"},
		{"(*UTF)a", "missing argument to repetition operator: `*`"},
		{"(?>a)", "invalid or unsupported Perl syntax: `(?>`"},
		{"(a", "missing closing ): `(a`"},
		{"a)", "unexpected ): `a)`"},
		{"a{1001}", "invalid repeat count: `{1001}`"},
		{"(a{100}){20}", "invalid repeat count: `{20}`"},
		{"[z-a]", "invalid character class range: `z-a`"},
		{"x\\", "trailing backslash at end of expression: ``"},
		{"a\xff" "b", "invalid UTF-8: `\xff"},
	};
	for (size_t i = 0; i < KD_ARRAY_SIZE(bad); i++) {
		const char *r = find(bad[i].pat, "", 0);
		if (!CHECK(strncmp(r, "ERR:error parsing regexp: ", 26) == 0 && strstr(r, bad[i].err)))
			fprintf(stderr, "  %s: %s\n", bad[i].pat, r);
	}
	/* nesting past Go's limit */
	kd_buf p = KD_BUF_INIT;
	for (int i = 0; i < 1001; i++)
		kd_buf_putc(&p, '(');
	kd_buf_putc(&p, 'a');
	for (int i = 0; i < 1001; i++)
		kd_buf_putc(&p, ')');
	CHECK(strstr(find(kd_buf_cstr(&p), "a", 0), "expression nests too deeply") != NULL);
	kd_buf_free(&p);
	/* a long pattern is shortened in the message, the reason kept */
	kd_buf_puts(&p, "(");
	for (int i = 0; i < 5000; i++)
		kd_buf_putc(&p, 'x');
	const char *r = find(kd_buf_cstr(&p), "", 0);
	CHECK(strstr(r, "missing closing ): `(xxx") && strstr(r, "...`") && strlen(r) < 400);
	kd_buf_free(&p);
}

TEST(regex_time_is_linear_whatever_the_pattern)
{
	/* Patterns a backtracking matcher takes exponential time on, against 100 KB: a Pike VM
	 * steps through the text once per search, so these finish (and give Go's answers). */
	size_t n = 100000;
	char *s = kd_malloc(n + 2);
	memset(s, 'x', n);
	s[n] = 'z';
	s[n + 1] = '\0';
	CHECK_STR(find("(x+x+)+y|z", s, 0), "100000-100001 -");
	CHECK_STR(find("(x+x+)+y", s, 0), "nomatch");
	CHECK_STR(find("(x*)*z", s, 0), "0-100001 0-100000");
	CHECK_STR(find("(?:x|xx)+$", s, 0), "nomatch");
	free(s);
}
