/* libFuzzer target for the operator package reader and what `package verify` and `template` do
 * with a package that loads (operator/pkg_load.c, plans/verify.c, plans/render.c).
 *
 * Input, two forms:
 *   - bytes starting with the gzip magic (1f 8b): a .tgz, loaded with kd_pkg_load_archive;
 *   - anything else: the package's files, separated by lines holding only "%%":
 *         operator.yaml
 *         %%
 *         params.yaml                  (absent when there is no separator)
 *         %%
 *         templates/a.yaml             (absent when there is no second separator)
 *         %%
 *         hooks/health.lua             (the rest of the input, separators included)
 *     loaded with kd_pkg_load_files.
 *
 * A package that loads is verified (kd_package_verify: every offline check, each plan rendered
 * with the defaults), its deploy plan is rendered with the defaults (Delete and Toggle-off
 * documents too) and printed the three ways `template` prints it, and it is written as a .tgz
 * (kd_pkg_write_archive) and read back. Properties: the archive reads back to the same files
 * and the same verify findings (counts: messages name the archive, so their text differs); the
 * archive is the same bytes when written again; every rendered document is an object with
 * apiVersion and kind. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/base.h"
#include "../../base/json.h"
#include "../../operator/operator.h"
#include "../../plans/plans.h"
#include "fuzz.h"


static const kd_pkg_load_options *caps(void)
{
	static kd_pkg_load_options o = KD_PKG_LOAD_OPTIONS_INIT;
	o.max_total_size = (size_t)4 << 20;
	o.max_file_size = (size_t)1 << 20;
	o.max_files = 256;
	return &o;
}

static void render(const kd_pkg *pkg)
{
	cJSON *params = NULL;
	kd_render_result *res = NULL;
	if (kd_plan_default_params(&params, pkg) != 0 || !kd_pkg_find_plan(pkg, "deploy"))
		goto done;
	kd_render_options ro = KD_RENDER_OPTIONS_INIT;
	ro.params = params;
	ro.namespace = "fz";
	ro.with_deletes = true;
	if (kd_plan_render(&res, pkg, &ro) != 0)
		goto done;
	for (size_t i = 0; i < res->ndocs; i++) {
		const kd_rendered *d = &res->docs[i];
		ASSERT(cJSON_IsObject(d->object) && d->text && d->template_name);
		ASSERT(kd_json_get_str(d->object, "apiVersion") && kd_json_get_str(d->object, "kind"));
	}
	kd_buf out = KD_BUF_INIT;
	kd_render_result_print(&out, res);
	kd_buf_clear(&out);
	kd_render_result_print_yaml(&out, res);
	kd_buf_clear(&out);
	kd_render_result_print_json(&out, res);
	kd_buf_free(&out);
done:
	kd_render_result_free(res);
	cJSON_Delete(params);
}

static void exercise(const kd_pkg *pkg)
{
	kd_verify_result *vr = NULL, *vr2 = NULL;
	ASSERT(kd_package_verify(&vr, pkg) == 0);
	render(pkg);
	/* `package create` and back */
	kd_buf tgz = KD_BUF_INIT, tgz2 = KD_BUF_INIT;
	kd_pkg *back = NULL;
	if (kd_pkg_write_archive(&tgz, pkg) == 0) {
		int rc = kd_pkg_load_archive(&back, "fz.tgz", tgz.ptr, tgz.len, caps());
		if (rc != 0) {
			fprintf(stderr, "the written archive does not load: %s\n", kd_error_last());
			abort();
		}
		ASSERT(kd_pkg_same_files(pkg, back));
		ASSERT(kd_package_verify(&vr2, back) == 0);
		if (vr->nerrors != vr2->nerrors || vr->nwarnings != vr2->nwarnings) {
			fprintf(stderr, "verify: %zu errors, %zu warnings; from the archive %zu, %zu\n", vr->nerrors,
				vr->nwarnings, vr2->nerrors, vr2->nwarnings);
			for (size_t i = 0; i < vr->nerrors; i++)
				fprintf(stderr, "  %s\n", vr->errors[i]);
			for (size_t i = 0; i < vr2->nerrors; i++)
				fprintf(stderr, "  archive: %s\n", vr2->errors[i]);
			abort();
		}
		ASSERT(kd_pkg_write_archive(&tgz2, back) == 0);
		ASSERT(tgz.len == tgz2.len && memcmp(tgz.ptr, tgz2.ptr, tgz.len) == 0);
	}
	kd_pkg_free(back);
	kd_buf_free(&tgz);
	kd_buf_free(&tgz2);
	kd_verify_result_free(vr);
	kd_verify_result_free(vr2);
}

/* Where the part at s[0..n) ends: at a line "%%" (true; *skip: the part and the separator) or at
 * the end of the input (false). */
static bool find_sep(const char *s, size_t n, size_t *len, size_t *skip)
{
	for (size_t i = 0; i + 2 <= n; i++) {
		if ((i == 0 || s[i - 1] == '\n') && s[i] == '%' && s[i + 1] == '%' && (i + 2 == n || s[i + 2] == '\n')) {
			*len = i;
			*skip = i + 2 < n ? i + 3 : i + 2;
			return true;
		}
	}
	*len = *skip = n;
	return false;
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
	kd_pkg *pkg = NULL;
	if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
		if (kd_pkg_load_archive(&pkg, "fuzz.tgz", data, size, caps()) == 0)
			exercise(pkg);
	} else {
		static const char *const names[] = {"operator.yaml", "params.yaml", "templates/a.yaml", "hooks/health.lua"};
		kd_pkg_input_file f[4];
		size_t nf = 0, left = size;
		const char *p = (const char *)data;
		for (size_t i = 0; i < 4; i++) {
			size_t n = left, skip = left;
			bool sep = i < 3 && find_sep(p, left, &n, &skip);
			f[nf++] = (kd_pkg_input_file){names[i], p, n};
			if (!sep)
				break;
			p += skip;
			left -= skip;
		}
		if (kd_pkg_load_files(&pkg, NULL, f, nf, caps()) == 0)
			exercise(pkg);
	}
	kd_pkg_free(pkg);
	kd_error_clear();
	return 0;
}
