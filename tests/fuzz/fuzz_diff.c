/* Fuzz target: the line diff (plans/diff.c). The input is two texts split at its first NUL
 * byte (or in the middle); the unified diff of a to b must apply to a and give b, and an
 * empty diff must mean a == b. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/base.h"
#include "../../plans/plans.h"
#include "diff_apply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		kd_base_init();
		init = 1;
	}
	const char *s = (const char *)data;
	const char *nul = memchr(s, '\0', size);
	size_t alen = nul ? (size_t)(nul - s) : size / 2;
	const char *b = s + alen + (nul ? 1 : 0);
	size_t blen = size - alen - (nul ? 1 : 0);
	kd_buf d = KD_BUF_INIT, got = KD_BUF_INIT;
	bool differ = false;
	kd_diff_options o = KD_DIFF_OPTIONS_INIT;
	o.from_label = "a";
	o.to_label = "b";
	o.context = (int)(size % 5);
	if (kd_diff_unified(&d, &differ, s, alen, b, blen, &o) != 0)
		abort();
	bool same = alen == blen && memcmp(s, b, alen) == 0;
	if (differ == same || (!differ && d.len != 0))
		abort();
	if (!kd_diff_apply(&got, s, alen, d.ptr ? d.ptr : "", d.len) || got.len != blen ||
		(blen && memcmp(got.ptr, b, blen) != 0))
		abort();
	kd_buf_free(&d);
	kd_buf_free(&got);
	return 0;
}
