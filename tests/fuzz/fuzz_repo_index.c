/* libFuzzer target for the repository index parser (index.yaml) and the repositories file:
 * no crash, entries keep KUDO's order (grouped by name, newest first), every entry has an
 * operator version, and emitting then parsing again gives the same entries. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/base.h"
#include "../../operator/operator.h"

static void same(const kd_repo_index *a, const kd_repo_index *b)
{
	if (a->nentries != b->nentries)
		abort();
	for (size_t i = 0; i < a->nentries; i++) {
		const kd_repo_entry *x = &a->entries[i], *y = &b->entries[i];
		if (strcmp(x->name, y->name) != 0 || strcmp(x->operator_version, y->operator_version) != 0 ||
			x->nurls != y->nurls)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		kd_base_init();
		init = 1;
	}
	if (size > 65536)
		return 0;
	kd_repo_index *idx = NULL;
	if (kd_repo_index_parse(&idx, "index.yaml", (const char *)data, size) == 0) {
		for (size_t i = 0; i < idx->nentries; i++) {
			if (!idx->entries[i].name || !idx->entries[i].operator_version || !idx->entries[i].operator_version[0])
				abort();
			if (i && strcmp(idx->entries[i - 1].name, idx->entries[i].name) > 0)
				abort();
		}
		kd_buf out = KD_BUF_INIT;
		if (kd_repo_index_emit(&out, idx) != 0)
			abort();
		kd_repo_index *back = NULL;
		/* names and versions that YAML reads as another type (a name "1", a version "1.0")
		 * are emitted quoted, so the round trip must parse */
		if (kd_repo_index_parse(&back, "emitted", out.ptr, out.len) != 0)
			abort();
		same(idx, back);
		for (size_t i = 0; i < idx->nentries; i++)
			kd_repo_index_find(idx, idx->entries[i].name, idx->entries[i].app_version, idx->entries[i].operator_version);
		kd_repo_index_free(back);
		kd_buf_free(&out);
		kd_repo_index_free(idx);
	}
	kd_error_clear();
	return 0;
}
