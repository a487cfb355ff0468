/* Collecting a package's files from a directory, a tar archive (gzip or not) or memory.
 * Every path is checked before anything is kept: no absolute paths, no `..`, no links. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pkg_internal.h"

#define MAX_DEPTH 32

typedef struct {
	kd_pkg *pkg;
	size_t cap;
	size_t total;
	kd_pkg_load_options o;
} collector;

static void opts_init(kd_pkg_load_options *o, const kd_pkg_load_options *given)
{
	kd_pkg_load_options def = KD_PKG_LOAD_OPTIONS_INIT;
	*o = given ? *given : def;
	if (!o->max_file_size)
		o->max_file_size = def.max_file_size;
	if (!o->max_total_size)
		o->max_total_size = def.max_total_size;
	if (!o->max_files)
		o->max_files = def.max_files;
}

static kd_pkg *pkg_new(const char *source)
{
	kd_pkg *pkg = kd_calloc(1, sizeof(*pkg));
	pkg->source = kd_strdup(source ? source : "memory");
	return pkg;
}

/* Makes `raw` a clean relative path into `out`: "./a//b" -> "a/b". Refuses absolute paths and
 * `..`; KD_ENOTFOUND (no error set) when nothing is left (the archive's "./" entry). */
static int clean_path(kd_buf *out, const char *raw, const char *where)
{
	const char *p = raw;
	kd_buf_clear(out);
	if (raw[0] == '/')
		return kd_error_set(KD_ERR_PACKAGE, "%s: entry \"%s\" is an absolute path", where, raw);
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return kd_error_set(KD_ERR_PACKAGE, "%s: entry \"%s\" leaves the package (\"..\")", where, raw);
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (out->len)
				kd_buf_putc(out, '/');
			kd_buf_put(out, p, n);
		}
		p += n;
		if (*p == '/')
			p++;
	}
	return out->len ? 0 : KD_ENOTFOUND;
}

/* Adds a file; takes `data` (allocated) in every case. */
static int add_file(collector *c, const char *path, const char *display, char *data, size_t len)
{
	kd_pkg *pkg = c->pkg;
	if (len > c->o.max_file_size) {
		free(data);
		kd_error_set(KD_ERR_PACKAGE, "%s: file is larger than %zu bytes", display, c->o.max_file_size);
		return KD_ELIMIT;
	}
	if (pkg->nfiles >= c->o.max_files) {
		free(data);
		kd_error_set(KD_ERR_PACKAGE, "%s: package has more than %zu files", pkg->source, c->o.max_files);
		return KD_ELIMIT;
	}
	if (len > c->o.max_total_size - c->total) {
		free(data);
		kd_error_set(KD_ERR_PACKAGE, "%s: package is larger than %zu bytes", pkg->source,
			c->o.max_total_size);
		return KD_ELIMIT;
	}
	c->total += len;
	if (pkg->nfiles == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		pkg->files = kd_realloc(pkg->files, c->cap * sizeof(*pkg->files));
	}
	kd_pkg_file *f = &pkg->files[pkg->nfiles++];
	f->path = kd_strdup(path);
	f->display = kd_strdup(display);
	f->data = data;
	f->len = len;
	return 0;
}

static int finish(kd_pkg **out, kd_pkg *pkg)
{
	int rc = kd_pkg__sort_files(pkg);
	if (rc == 0)
		rc = kd_pkg__decode(pkg);
	if (rc) {
		kd_pkg_free(pkg);
		return rc;
	}
	*out = pkg;
	return 0;
}

/* ---- memory ---- */

int kd_pkg_load_files(kd_pkg **out, const char *source, const kd_pkg_input_file *files, size_t nfiles,
	const kd_pkg_load_options *opts)
{
	collector c = {0};
	kd_buf path = KD_BUF_INIT;
	int rc = 0;
	*out = NULL;
	opts_init(&c.o, opts);
	c.pkg = pkg_new(source);
	for (size_t i = 0; i < nfiles && rc == 0; i++) {
		rc = clean_path(&path, files[i].path ? files[i].path : "", c.pkg->source);
		if (rc == KD_ENOTFOUND)
			rc = kd_error_set(KD_ERR_PACKAGE, "%s: a file without a name", c.pkg->source);
		if (rc)
			break;
		if (files[i].len > c.o.max_file_size) {
			kd_error_set(KD_ERR_PACKAGE, "%s: file is larger than %zu bytes", kd_buf_cstr(&path),
				c.o.max_file_size);
			rc = KD_ELIMIT;
			break;
		}
		char *data = kd_malloc(files[i].len + 1);
		if (files[i].len)
			memcpy(data, files[i].data, files[i].len);
		data[files[i].len] = '\0';
		rc = add_file(&c, kd_buf_cstr(&path), kd_buf_cstr(&path), data, files[i].len);
	}
	kd_buf_free(&path);
	if (rc) {
		kd_pkg_free(c.pkg);
		return rc;
	}
	return finish(out, c.pkg);
}

/* ---- directory ---- */

static int walk_dir(collector *c, kd_buf *abs, kd_buf *rel, int depth)
{
	DIR *dir = NULL;
	struct dirent *de;
	int rc = 0;
	size_t alen = abs->len, rlen = rel->len;
	if (depth > MAX_DEPTH)
		return kd_error_set(KD_ERR_PACKAGE, "%s: folders are nested too deeply", kd_buf_cstr(abs));
	dir = opendir(kd_buf_cstr(abs));
	if (!dir)
		return kd_error_set_os(errno, "%s", kd_buf_cstr(abs));
	while (rc == 0 && (errno = 0, de = readdir(dir)) != NULL) {
		struct stat st;
		if (de->d_name[0] == '.')
			continue; /* ., .., .git, editor files */
		kd_buf_truncate(abs, alen);
		kd_buf_truncate(rel, rlen);
		kd_buf_printf(abs, "/%s", de->d_name);
		kd_buf_printf(rel, "%s%s", rlen ? "/" : "", de->d_name);
		if (lstat(kd_buf_cstr(abs), &st) != 0) {
			rc = kd_error_set_os(errno, "%s", kd_buf_cstr(abs));
		} else if (S_ISLNK(st.st_mode)) {
			rc = kd_error_set(KD_ERR_PACKAGE, "%s: symbolic links are not allowed in a package",
				kd_buf_cstr(abs));
		} else if (S_ISDIR(st.st_mode)) {
			rc = walk_dir(c, abs, rel, depth + 1);
		} else if (S_ISREG(st.st_mode)) {
			char *data = NULL;
			size_t len = 0;
			if ((size_t)st.st_size > c->o.max_file_size) {
				kd_error_set(KD_ERR_PACKAGE, "%s: file is larger than %zu bytes", kd_buf_cstr(abs),
					c->o.max_file_size);
				rc = KD_ELIMIT;
			} else if ((rc = kd_file_read(&data, &len, kd_buf_cstr(abs), c->o.max_file_size)) == 0) {
				rc = add_file(c, kd_buf_cstr(rel), kd_buf_cstr(abs), data, len);
			}
		} else {
			rc = kd_error_set(KD_ERR_PACKAGE, "%s: not a regular file or folder", kd_buf_cstr(abs));
		}
	}
	if (rc == 0 && errno != 0)
		rc = kd_error_set_os(errno, "%s", kd_buf_cstr(abs));
	closedir(dir);
	kd_buf_truncate(abs, alen);
	kd_buf_truncate(rel, rlen);
	return rc;
}

static int load_dir(kd_pkg **out, const char *src, const kd_pkg_load_options *opts)
{
	collector c = {0};
	kd_buf abs = KD_BUF_INIT, rel = KD_BUF_INIT;
	int rc;
	opts_init(&c.o, opts);
	c.pkg = pkg_new(src);
	kd_buf_puts(&abs, src);
	while (abs.len > 1 && abs.ptr[abs.len - 1] == '/')
		kd_buf_truncate(&abs, abs.len - 1);
	rc = walk_dir(&c, &abs, &rel, 0);
	kd_buf_free(&abs);
	kd_buf_free(&rel);
	if (rc) {
		kd_pkg_free(c.pkg);
		return rc;
	}
	return finish(out, c.pkg);
}

/* ---- archive ---- */

/* libarchive's message, with the system's reason when it has one ("Failed to open 'x.tgz':
 * Permission denied"). */
static int archive_fail(struct archive *a, const char *name, const char *fallback)
{
	const char *m = archive_error_string(a);
	int en = archive_errno(a);
	/* libarchive reports format problems as EILSEQ and its own misuse as EINVAL: no reason to add */
	if (en > 0 && en != EILSEQ && en != EINVAL && (!m || !strstr(m, strerror(en))))
		return kd_error_set(KD_ERR_PACKAGE, "%s: %s: %s", name, m ? m : fallback, strerror(en));
	return kd_error_set(KD_ERR_PACKAGE, "%s: %s", name, m ? m : fallback);
}

static int read_entry(collector *c, struct archive *a, struct archive_entry *e, const char *path,
	const char *display)
{
	kd_buf b = KD_BUF_INIT;
	char chunk[16384];
	if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0 &&
		(uint64_t)archive_entry_size(e) > c->o.max_file_size) {
		kd_error_set(KD_ERR_PACKAGE, "%s: file is larger than %zu bytes", display, c->o.max_file_size);
		return KD_ELIMIT;
	}
	b.max = c->o.max_file_size;
	for (;;) {
		la_ssize_t n = archive_read_data(a, chunk, sizeof chunk);
		if (n < 0) {
			kd_buf_free(&b);
			return archive_fail(a, display, "cannot read the entry");
		}
		if (n == 0)
			break;
		if (kd_buf_put(&b, chunk, (size_t)n)) {
			kd_buf_free(&b);
			kd_error_set(KD_ERR_PACKAGE, "%s: file is larger than %zu bytes", display, c->o.max_file_size);
			return KD_ELIMIT;
		}
	}
	size_t len = b.len;
	return add_file(c, path, display, kd_buf_detach(&b), len);
}

/* The package may sit at the top of the archive or in one top-level folder: finds where
 * operator.yaml is and makes paths relative to that folder, dropping what lies outside. */
static int strip_top_folder(kd_pkg *pkg)
{
	const char *top = NULL;
	size_t toplen = 0, kept = 0;
	for (size_t i = 0; i < pkg->nfiles; i++)
		if (strcmp(pkg->files[i].path, "operator.yaml") == 0)
			return 0;
	for (size_t i = 0; i < pkg->nfiles; i++) {
		const char *p = pkg->files[i].path, *s = strchr(p, '/');
		if (!s || strcmp(s + 1, "operator.yaml") != 0)
			continue;
		if (top && (size_t)(s - p) == toplen && strncmp(p, top, toplen) == 0)
			return kd_error_set(KD_ERR_PACKAGE, "%s: holds %s twice", pkg->source, p);
		if (top)
			return kd_error_set(KD_ERR_PACKAGE, "%s: holds more than one package (%.*s/ and %.*s/)",
				pkg->source, (int)toplen, top, (int)(s - p), p);
		top = p;
		toplen = (size_t)(s - p);
	}
	if (!top)
		return kd_error_set(KD_ERR_PACKAGE,
			"%s: not an operator package: no operator.yaml at the top or in a top-level folder", pkg->source);
	char *prefix = kd_strndup(top, toplen + 1); /* "spark/" */
	for (size_t i = 0; i < pkg->nfiles; i++) {
		kd_pkg_file *f = &pkg->files[i];
		if (strncmp(f->path, prefix, toplen + 1) != 0) {
			free(f->path);
			free(f->display);
			free(f->data);
			continue;
		}
		memmove(f->path, f->path + toplen + 1, strlen(f->path + toplen + 1) + 1);
		pkg->files[kept++] = *f;
	}
	pkg->nfiles = kept;
	free(prefix);
	return 0;
}

static int load_archive(kd_pkg **out, const char *name, const char *filename, const void *data, size_t len,
	const kd_pkg_load_options *opts)
{
	collector c = {0};
	struct archive *a = NULL;
	struct archive_entry *e;
	kd_buf path = KD_BUF_INIT, display = KD_BUF_INIT;
	int rc = 0, r;
	*out = NULL;
	opts_init(&c.o, opts);
	c.pkg = pkg_new(name);
	a = archive_read_new();
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	r = filename ? archive_read_open_filename(a, filename, 65536) : archive_read_open_memory(a, data, len);
	if (r != ARCHIVE_OK) {
		rc = archive_fail(a, name, "cannot open the archive");
		goto done;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *raw = archive_entry_pathname(e);
		if (!raw)
			raw = "";
		rc = clean_path(&path, raw, name);
		if (rc == KD_ENOTFOUND && archive_entry_filetype(e) == AE_IFDIR) {
			rc = 0;
			continue;
		}
		if (rc == KD_ENOTFOUND)
			rc = kd_error_set(KD_ERR_PACKAGE, "%s: entry \"%s\" has no name", name, raw);
		if (rc)
			goto done;
		kd_buf_clear(&display);
		kd_buf_printf(&display, "%s:%s", name, kd_buf_cstr(&path));
		if (archive_entry_hardlink(e)) {
			rc = kd_error_set(KD_ERR_PACKAGE, "%s: entry \"%s\" is a hard link, links are not allowed", name,
				raw);
			goto done;
		}
		if (archive_entry_filetype(e) == AE_IFLNK || archive_entry_symlink(e)) {
			rc = kd_error_set(KD_ERR_PACKAGE, "%s: entry \"%s\" is a symbolic link, links are not allowed",
				name, raw);
			goto done;
		}
		if (archive_entry_filetype(e) == AE_IFDIR)
			continue;
		if (archive_entry_filetype(e) != AE_IFREG) {
			rc = kd_error_set(KD_ERR_PACKAGE, "%s: entry \"%s\" is not a regular file or folder", name, raw);
			goto done;
		}
		if ((rc = read_entry(&c, a, e, kd_buf_cstr(&path), kd_buf_cstr(&display))) != 0)
			goto done;
	}
	if (r != ARCHIVE_EOF) {
		rc = archive_fail(a, name, "not a readable tar archive");
		goto done;
	}
	rc = strip_top_folder(c.pkg);
done:
	if (a)
		archive_read_free(a);
	kd_buf_free(&path);
	kd_buf_free(&display);
	if (rc) {
		kd_pkg_free(c.pkg);
		return rc;
	}
	return finish(out, c.pkg);
}

int kd_pkg_load_archive(kd_pkg **out, const char *name, const void *data, size_t len,
	const kd_pkg_load_options *opts)
{
	return load_archive(out, name ? name : "archive", NULL, data ? data : "", len, opts);
}

int kd_pkg_load(kd_pkg **out, const char *src, const kd_pkg_load_options *opts)
{
	struct stat st;
	*out = NULL;
	if (stat(src, &st) != 0) {
		int e = errno;
		kd_error_set_os(e, "%s", src);
		return e == ENOENT ? KD_ENOTFOUND : KD_ERROR;
	}
	if (S_ISDIR(st.st_mode))
		return load_dir(out, src, opts);
	if (S_ISREG(st.st_mode))
		return load_archive(out, src, src, NULL, 0, opts);
	return kd_error_set(KD_ERR_PACKAGE, "%s: not a folder or a .tgz file", src);
}
