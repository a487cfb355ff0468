/* Fuzz target: the Go-syntax regular expressions of templates/tpl_regex.c. The input's first
 * line is the pattern, the rest the text: compile, then find every match as FindAll does
 * (advancing past empty matches) and check each span lies inside the text. Syntax errors are
 * expected; crashes, leaks, undefined behaviour and spans out of bounds are not. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/base.h"
#include "../../templates/tpl_regex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		kd_base_init();
		init = 1;
	}
	const char *nl = memchr(data, '\n', size);
	size_t plen = nl ? (size_t)(nl - (const char *)data) : size;
	char *pat = kd_strndup((const char *)data, plen);
	const char *text = nl ? nl + 1 : "";
	size_t tlen = nl ? size - plen - 1 : 0;
	kd_re *re = NULL;
	kd_buf err = KD_BUF_INIT;
	if (strlen(pat) == plen && kd_re_compile(&re, pat, &err) == 0) {
		int ng = kd_re_groups(re);
		ssize_t *caps = kd_malloc(2 * ((size_t)ng + 1) * sizeof(*caps));
		size_t pos = 0;
		for (int n = 0; n < 1000 && pos <= tlen && kd_re_find(re, text, tlen, pos, caps); n++) {
			for (int g = 0; g <= ng; g++)
				if (caps[2 * g] >= 0 && (caps[2 * g] > caps[2 * g + 1] || (size_t)caps[2 * g + 1] > tlen))
					abort();
			if (caps[0] < (ssize_t)pos)
				abort();
			pos = caps[1] > caps[0] ? (size_t)caps[1] : (size_t)caps[1] + 1;
		}
		kd_re_find(re, text, tlen, 0, NULL);
		free(caps);
	}
	kd_re_free(re);
	kd_buf_free(&err);
	free(pat);
	return 0;
}
