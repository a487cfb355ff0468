/* Applies a unified diff (what kd_diff_unified writes) to text `a`, checking every context and
 * removed line against `a` and every hunk's counts, so tests can prove a diff turns a into b.
 * Shared by the unit tests and the fuzz target; header-only (each includes it once). */
#ifndef KD_TEST_DIFF_APPLY_H
#define KD_TEST_DIFF_APPLY_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/base.h"

typedef struct {
	const char *p;
	size_t len; /* with the '\n' when there is one */
} kd_da_line;

static size_t kd_da_lines(kd_da_line **out, const char *s, size_t len)
{
	size_t n = 0, cap = 8, start = 0;
	*out = kd_malloc(cap * sizeof(**out));
	for (size_t i = 0; i <= len; i++) {
		if ((i < len && s[i] == '\n') || (i == len && start < len)) {
			if (n == cap)
				*out = kd_realloc(*out, (cap *= 2) * sizeof(**out));
			size_t end = i < len ? i + 1 : i;
			(*out)[n++] = (kd_da_line){s + start, end - start};
			start = end;
		}
	}
	return n;
}

static bool kd_da_num(const char **p, size_t *v)
{
	if (**p < '0' || **p > '9')
		return false;
	*v = 0;
	while (**p >= '0' && **p <= '9')
		*v = *v * 10 + (size_t)(*(*p)++ - '0');
	return true;
}

/* "-START[,COUNT]": the 0-based first line and the count. */
static bool kd_da_range(const char **p, char sign, size_t *start, size_t *count)
{
	if (**p != sign)
		return false;
	(*p)++;
	size_t s = 0, c = 1;
	if (!kd_da_num(p, &s))
		return false;
	if (**p == ',') {
		(*p)++;
		if (!kd_da_num(p, &c))
			return false;
	}
	*start = c == 0 ? s : s - 1;
	*count = c;
	return c == 0 || s >= 1;
}

/* The result of applying `diff` to `a` in *out; false (with out partly written) when the diff
 * is malformed or does not fit `a`. An empty diff gives `a`. */
static bool kd_diff_apply(kd_buf *out, const char *a, size_t alen, const char *diff, size_t dlen)
{
	kd_da_line *al = NULL, *dl = NULL;
	size_t na = kd_da_lines(&al, a, alen), nd = kd_da_lines(&dl, diff, dlen);
	size_t ai = 0, k = 0;
	bool ok = true;
	if (nd >= 2 && strncmp(dl[0].p, "--- ", 4) == 0 && strncmp(dl[1].p, "+++ ", 4) == 0)
		k = 2;
	while (ok && k < nd) {
		const char *p = dl[k].p;
		size_t as = 0, ac = 0, bs = 0, bc = 0;
		if (strncmp(p, "@@ ", 3) != 0) {
			ok = false;
			break;
		}
		p += 3;
		if (!kd_da_range(&p, '-', &as, &ac) || *p++ != ' ' || !kd_da_range(&p, '+', &bs, &bc) ||
			strncmp(p, " @@\n", 4) != 0 || as < ai || as > na) {
			ok = false;
			break;
		}
		k++;
		for (; ai < as; ai++)
			kd_buf_put(out, al[ai].p, al[ai].len);
		/* the new side's start must be where the output stands, in lines */
		size_t out_lines = 0;
		for (size_t i = 0; i < out->len; i++)
			out_lines += out->ptr[i] == '\n';
		if (bs != out_lines && !(bc == 0 && bs == out_lines))
			ok = false;
		size_t seen_a = 0, seen_b = 0;
		while (ok && k < nd && dl[k].p[0] != '@') {
			const kd_da_line *l = &dl[k++];
			char mark = l->p[0];
			kd_da_line body = {l->p + 1, l->len - 1};
			/* "\ No newline at end of file" takes the newline off the line before */
			bool no_nl = k < nd && dl[k].p[0] == '\\';
			if (no_nl) {
				k++;
				if (body.len && body.p[body.len - 1] == '\n')
					body.len--;
			}
			if (mark == ' ' || mark == '-') {
				if (ai >= na || al[ai].len != body.len || memcmp(al[ai].p, body.p, body.len) != 0) {
					ok = false;
					break;
				}
				ai++;
				seen_a++;
			}
			if (mark == ' ' || mark == '+') {
				kd_buf_put(out, body.p, body.len);
				seen_b++;
			}
			if (mark != ' ' && mark != '-' && mark != '+')
				ok = false;
		}
		if (seen_a != ac || seen_b != bc)
			ok = false;
	}
	for (; ok && ai < na; ai++)
		kd_buf_put(out, al[ai].p, al[ai].len);
	free(al);
	free(dl);
	return ok;
}

#endif
