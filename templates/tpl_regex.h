/* Internal to templates/: regular expressions as Go's regexp package has them (RE2 syntax,
 * leftmost-first matching), for sprig's regex functions.
 *
 * Why not PCRE2: PCRE2 accepts syntax RE2 refuses (backreferences, lookaround, possessive and
 * atomic groups, \C, \Z, (*VERB)s), so templates KUDO fails would render; it backtracks, so a
 * pattern like (x+x+)+y takes exponential time and its match limit turns into a silent "no
 * match"; and its \s, $ and invalid-UTF-8 handling differ from Go's. This engine parses Go's
 * syntax with Go's checks and error messages (regexp/syntax: Perl flags, repeat counts up to
 * 1000 and their products, nesting depth), and matches with a Pike VM: time linear in
 * pattern size times input length, whatever the pattern, leftmost-first with submatches as
 * Go's reports them. Invalid UTF-8 reads as U+FFFD one byte at a time, as in Go.
 *
 * PCRE2 stays for one job: the Unicode tables behind \p{...} (categories, scripts) and case
 * folding come from the system's libraries (PCRE2's Unicode database, glibc's case mappings)
 * rather than a copy of Go's, so characters new in a later Unicode version can differ. */
#ifndef KD_TPL_REGEX_H
#define KD_TPL_REGEX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../base/base.h"

typedef struct kd_re kd_re;

/* Compiles `pat` (NUL-terminated, Go's regexp.Compile syntax). On a syntax error returns
 * KD_EINVALID with Go's message in `err` ("error parsing regexp: missing closing ): `(a`"). */
int kd_re_compile(kd_re **out, const char *pat, kd_buf *err);
void kd_re_free(kd_re *re);
/* The number of capture groups (not counting the whole match). */
int kd_re_groups(const kd_re *re);
/* The index of the group named name[0..len), or -1. */
int kd_re_group_index(const kd_re *re, const char *name, size_t len);
/* Finds the leftmost-first match in s[0..len) that starts at or after `pos` (assertions see
 * the whole of s). Returns true and fills caps[0 .. 2*(groups+1)) with byte offsets (-1 for a
 * group that did not take part); caps may be NULL when only whether there is a match matters. */
bool kd_re_find(kd_re *re, const char *s, size_t len, size_t pos, ssize_t *caps);

#endif
