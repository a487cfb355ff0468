/* `package create`: KUDO's archive name and a reproducible .tgz of a package's files. */
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#include "operator.h"

char *kd_pkg_archive_name(const kd_pkg *pkg)
{
	kd_buf b = KD_BUF_INIT;
	const char *name = pkg->name.str ? pkg->name.str : "operator";
	const char *ov = pkg->operator_version.str ? pkg->operator_version.str : "";
	if (pkg->app_version.str && *pkg->app_version.str)
		kd_buf_printf(&b, "%s-%s_%s.tgz", name, pkg->app_version.str, ov);
	else
		kd_buf_printf(&b, "%s-%s.tgz", name, ov);
	return kd_buf_detach(&b);
}

static la_ssize_t on_write(struct archive *a, void *ud, const void *buf, size_t n)
{
	(void)a;
	return kd_buf_put(ud, buf, n) == 0 ? (la_ssize_t)n : -1;
}

static int on_open_close(struct archive *a, void *ud)
{
	(void)a;
	(void)ud;
	return ARCHIVE_OK;
}

int kd_pkg_write_archive(kd_buf *out, const kd_pkg *pkg)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = NULL;
	int rc = 0;
	if (archive_write_add_filter_gzip(a) != ARCHIVE_OK || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
		archive_write_set_filter_option(a, "gzip", "timestamp", NULL) != ARCHIVE_OK ||
		archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
		archive_write_open2(a, out, on_open_close, on_write, on_open_close, NULL) != ARCHIVE_OK) {
		rc = kd_error_set(KD_ERR_PACKAGE, "cannot write the archive: %s", archive_error_string(a));
		goto done;
	}
	e = archive_entry_new();
	for (size_t i = 0; i < pkg->nfiles && rc == 0; i++) {
		const kd_pkg_file *f = &pkg->files[i];
		archive_entry_clear(e);
		archive_entry_set_pathname(e, f->path);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)f->len);
		archive_entry_set_mtime(e, 0, 0);
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
		archive_entry_set_uname(e, "root");
		archive_entry_set_gname(e, "root");
		if (archive_write_header(a, e) != ARCHIVE_OK ||
			(f->len && archive_write_data(a, f->data, f->len) != (la_ssize_t)f->len))
			rc = kd_error_set(KD_ERR_PACKAGE, "cannot write %s into the archive: %s", f->path, archive_error_string(a));
	}
	if (rc == 0 && archive_write_close(a) != ARCHIVE_OK)
		rc = kd_error_set(KD_ERR_PACKAGE, "cannot write the archive: %s", archive_error_string(a));
done:
	archive_entry_free(e);
	archive_write_free(a);
	return rc;
}
