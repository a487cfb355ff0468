/* The line diff of plans/diff.c: exact unified output on small cases, and on thousands of
 * random pairs that the diff applies (turns a into b) and is as short as an edit can be. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/base.h"
#include "../../plans/plans.h"
#include "../fuzz/diff_apply.h"
#include "test.h"

static char *udiff(const char *a, const char *b, int context, bool *differ)
{
	kd_buf out = KD_BUF_INIT;
	kd_diff_options o = KD_DIFF_OPTIONS_INIT;
	bool d = false;
	o.from_label = "a";
	o.to_label = "b";
	o.context = context;
	CHECK_INT(kd_diff_unified(&out, &d, a, strlen(a), b, strlen(b), &o), 0);
	if (differ)
		*differ = d;
	return kd_buf_detach(&out);
}

TEST(diff_unified_small_cases)
{
	bool differ = true;
	char *d = udiff("a\nb\nc\n", "a\nb\nc\n", 3, &differ);
	CHECK_STR(d, "");
	CHECK(!differ);
	free(d);

	d = udiff("a\nb\nc\n", "a\nx\nc\n", 3, &differ);
	CHECK(differ);
	CHECK_STR(d, "--- a\n+++ b\n@@ -1,3 +1,3 @@\n a\n-b\n+x\n c\n");
	free(d);

	/* from and to nothing: diff -u's "-0,0" and "+0,0" */
	d = udiff("", "x\ny\n", 3, NULL);
	CHECK_STR(d, "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n");
	free(d);
	d = udiff("x\n", "", 3, NULL);
	CHECK_STR(d, "--- a\n+++ b\n@@ -1 +0,0 @@\n-x\n");
	free(d);

	/* a last line without its newline */
	d = udiff("one\ntwo", "one\ntwo\n", 3, NULL);
	CHECK_STR(d, "--- a\n+++ b\n@@ -1,2 +1,2 @@\n one\n-two\n\\ No newline at end of file\n+two\n");
	free(d);

	/* an insertion in the middle: one line before it, then the context after */
	d = udiff("1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\n4\nnew\n5\n6\n7\n8\n", 3, NULL);
	CHECK_STR(d, "--- a\n+++ b\n@@ -2,6 +2,7 @@\n 2\n 3\n 4\n+new\n 5\n 6\n 7\n");
	free(d);

	/* context 0, and the count left out when it is 1 */
	d = udiff("1\n2\n3\n", "1\nx\n3\n", 0, NULL);
	CHECK_STR(d, "--- a\n+++ b\n@@ -2 +2 @@\n-2\n+x\n");
	free(d);
}

/* Changes six common lines apart share a hunk (2 x 3 lines of context); seven apart do not. */
TEST(diff_unified_hunks_join_within_twice_the_context)
{
	const char *base = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\nn\no\n";
	char *d = udiff(base, "A\nb\nc\nd\ne\nf\ng\nH\ni\nj\nk\nl\nm\nn\no\n", 3, NULL);
	CHECK_STR(d, "--- a\n+++ b\n@@ -1,11 +1,11 @@\n-a\n+A\n b\n c\n d\n e\n f\n g\n-h\n+H\n i\n j\n k\n");
	free(d);
	d = udiff(base, "A\nb\nc\nd\ne\nf\ng\nh\nI\nj\nk\nl\nm\nn\no\n", 3, NULL);
	CHECK_STR(d, "--- a\n+++ b\n@@ -1,4 +1,4 @@\n-a\n+A\n b\n c\n d\n@@ -6,7 +6,7 @@\n f\n g\n h\n-i\n+I\n j\n k\n l\n");
	free(d);
}

TEST(diff_unified_colour_only_when_asked)
{
	kd_buf out = KD_BUF_INIT;
	kd_diff_options o = KD_DIFF_OPTIONS_INIT;
	bool differ;
	o.from_label = "live";
	o.to_label = "after";
	CHECK_INT(kd_diff_unified(&out, &differ, "a\n", 2, "b\n", 2, &o), 0);
	CHECK(strchr(kd_buf_cstr(&out), '\033') == NULL);
	kd_buf_clear(&out);
	o.color = true;
	CHECK_INT(kd_diff_unified(&out, &differ, "a\n", 2, "b\n", 2, &o), 0);
	CHECK(strstr(kd_buf_cstr(&out), "\033[31m-a\033[0m\n") != NULL);
	CHECK(strstr(kd_buf_cstr(&out), "\033[32m+b\033[0m\n") != NULL);
	CHECK(strstr(kd_buf_cstr(&out), "\033[36m@@ -1 +1 @@\033[0m\n") != NULL);
	kd_buf_free(&out);
}

static unsigned long long rng = 88172645463325252ULL;
static unsigned next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng >> 32);
}

static void random_text(kd_buf *b, size_t n, unsigned alphabet)
{
	for (size_t i = 0; i < n; i++)
		kd_buf_printf(b, "l%u\n", next_rand() % alphabet);
}

/* The shortest edit: n + m - 2 * LCS, by dynamic programming over lines. */
static size_t shortest(const char *a, const char *b)
{
	kd_da_line *al = NULL, *bl = NULL;
	size_t na = kd_da_lines(&al, a, strlen(a)), nb = kd_da_lines(&bl, b, strlen(b));
	size_t *row = kd_calloc((nb + 1) * (na + 1), sizeof(size_t));
	for (size_t i = 1; i <= na; i++)
		for (size_t j = 1; j <= nb; j++) {
			bool eq = al[i - 1].len == bl[j - 1].len && memcmp(al[i - 1].p, bl[j - 1].p, al[i - 1].len) == 0;
			size_t up = row[(i - 1) * (nb + 1) + j], left = row[i * (nb + 1) + j - 1];
			size_t diag = row[(i - 1) * (nb + 1) + j - 1] + 1;
			row[i * (nb + 1) + j] = eq ? diag : up > left ? up : left;
		}
	size_t lcs = row[na * (nb + 1) + nb];
	free(row);
	free(al);
	free(bl);
	return na + nb - 2 * lcs;
}

static size_t edits_in(const char *d)
{
	size_t n = 0;
	for (const char *p = d; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p))
		if ((*p == '-' && strncmp(p, "--- ", 4) != 0) || (*p == '+' && strncmp(p, "+++ ", 4) != 0))
			n++;
	return n;
}

TEST(diff_random_pairs_apply_and_are_shortest)
{
	int bad_apply = 0, not_shortest = 0;
	for (int round = 0; round < 3000; round++) {
		kd_buf a = KD_BUF_INIT, b = KD_BUF_INIT, got = KD_BUF_INIT;
		unsigned alphabet = 2 + next_rand() % 6;
		random_text(&a, next_rand() % 40, alphabet);
		if (next_rand() % 3 == 0) {
			/* b: a with a few edits, the common case of a diff */
			kd_buf_puts(&b, kd_buf_cstr(&a));
			size_t cut = b.len ? next_rand() % b.len : 0;
			while (cut && b.ptr[cut - 1] != '\n')
				cut--;
			kd_buf_truncate(&b, cut);
			random_text(&b, next_rand() % 4, alphabet);
			const char *rest = kd_buf_cstr(&a) + (cut < a.len ? cut : a.len);
			kd_buf_puts(&b, rest);
		} else {
			random_text(&b, next_rand() % 40, alphabet);
		}
		if (next_rand() % 5 == 0 && b.len)
			kd_buf_truncate(&b, b.len - 1); /* no newline at the end */
		int ctx = (int)(next_rand() % 4);
		bool differ = false;
		char *d = udiff(kd_buf_cstr(&a), kd_buf_cstr(&b), ctx, &differ);
		bool same = strcmp(kd_buf_cstr(&a), kd_buf_cstr(&b)) == 0;
		if (differ == same)
			bad_apply++;
		if (!kd_diff_apply(&got, a.ptr ? a.ptr : "", a.len, d, strlen(d)) || strcmp(kd_buf_cstr(&got), kd_buf_cstr(&b)) != 0)
			bad_apply++;
		if (edits_in(d) != shortest(kd_buf_cstr(&a), kd_buf_cstr(&b)))
			not_shortest++;
		free(d);
		kd_buf_free(&a);
		kd_buf_free(&b);
		kd_buf_free(&got);
	}
	CHECK_INT(bad_apply, 0);
	CHECK_INT(not_shortest, 0);
}

/* Big and very different: past the cost cap the diff may be longer than the shortest, but it
 * still turns a into b. */
TEST(diff_large_inputs_still_apply)
{
	kd_buf a = KD_BUF_INIT, b = KD_BUF_INIT, got = KD_BUF_INIT, d = KD_BUF_INIT;
	random_text(&a, 20000, 50);
	random_text(&b, 20000, 50);
	bool differ = false;
	CHECK_INT(kd_diff_unified(&d, &differ, a.ptr, a.len, b.ptr, b.len, NULL), 0);
	CHECK(differ);
	CHECK(kd_diff_apply(&got, a.ptr, a.len, kd_buf_cstr(&d), d.len));
	CHECK(got.len == b.len && memcmp(got.ptr, b.ptr, b.len) == 0);
	kd_buf_free(&a);
	kd_buf_free(&b);
	kd_buf_free(&got);
	kd_buf_free(&d);
}
