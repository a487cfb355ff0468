/* Reading a folder or a file of the resolved commit straight from the object database. */
#include <stdlib.h>
#include <string.h>

#include "gitops_internal.h"

#define MAX_DEPTH 64
#define MAX_LINK_HOPS 8
#define MAX_LINK_TARGET 4096

typedef struct {
	git_repository *repo;
	git_tree *root;      /* the folder read (links resolve inside it) */
	const char *rootname; /* its path in the repository, for messages ("" for the root) */
	const char *shown;
	const char *commit;
	size_t max_file, max_total, max_files;
	size_t total;
	kd_git_file *files;
	size_t nfiles;
} walk_state;

static void tree_files_free(kd_git_file *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].path);
		free(f[i].data);
	}
	free(f);
}

void kd_git_tree_free(kd_git_tree *t)
{
	if (!t)
		return;
	tree_files_free(t->files, t->nfiles);
	free(t);
}

static const char *in_repo(const walk_state *w, const char *rel, kd_buf *b)
{
	kd_buf_clear(b);
	if (w->rootname[0])
		kd_buf_printf(b, "%s/%s", w->rootname, rel);
	else
		kd_buf_puts(b, rel);
	return kd_buf_cstr(b);
}

/* Joins a link's folder and its target and normalizes; NULL when it climbs out of the root. */
static char *resolve_link(const char *link_path, const char *target)
{
	if (target[0] == '/')
		return NULL;
	kd_buf b = KD_BUF_INIT;
	const char *slash = strrchr(link_path, '/');
	if (slash)
		kd_buf_put(&b, link_path, (size_t)(slash - link_path) + 1);
	kd_buf_puts(&b, target);
	char *joined = kd_buf_detach(&b);
	/* normalize with a stack of components */
	kd_buf out = KD_BUF_INIT;
	kd_buf_puts(&out, "");
	const char *s = joined;
	bool bad = false;
	while (*s && !bad) {
		while (*s == '/')
			s++;
		size_t n = strcspn(s, "/");
		if (n == 0)
			break;
		if (n == 1 && s[0] == '.') {
		} else if (n == 2 && s[0] == '.' && s[1] == '.') {
			if (out.len == 0) {
				bad = true;
			} else {
				char *last = strrchr(out.ptr, '/');
				kd_buf_truncate(&out, last ? (size_t)(last - out.ptr) : 0);
			}
		} else {
			if (out.len)
				kd_buf_putc(&out, '/');
			kd_buf_put(&out, s, n);
		}
		s += n;
	}
	free(joined);
	if (bad || out.len == 0) {
		kd_buf_free(&out);
		return NULL;
	}
	return kd_buf_detach(&out);
}

static int read_blob(char **data, size_t *len, walk_state *w, const git_oid *oid, const char *path, size_t max)
{
	git_odb *odb = NULL;
	size_t size = 0;
	git_object_t type;
	kd_buf name = KD_BUF_INIT;
	int rc = 0;
	if (git_repository_odb(&odb, w->repo) != 0 || git_odb_read_header(&size, &type, odb, oid) != 0) {
		rc = kd_error_set(KD_ERR_GIT, "%s: cannot read %s: %s", w->shown, in_repo(w, path, &name), kd_git__lg2_message());
		goto done;
	}
	if (size > max) {
		kd_error_set(KD_ERR_GIT, "%s: %s is %zu bytes, over the cap of %zu", w->shown, in_repo(w, path, &name), size, max);
		rc = KD_ELIMIT;
		goto done;
	}
	git_blob *blob = NULL;
	if (git_blob_lookup(&blob, w->repo, oid) != 0) {
		rc = kd_error_set(KD_ERR_GIT, "%s: cannot read %s: %s", w->shown, in_repo(w, path, &name), kd_git__lg2_message());
		goto done;
	}
	size_t n = (size_t)git_blob_rawsize(blob);
	*data = kd_malloc(n + 1);
	memcpy(*data, git_blob_rawcontent(blob), n);
	(*data)[n] = '\0';
	*len = n;
	git_blob_free(blob);
done:
	git_odb_free(odb);
	kd_buf_free(&name);
	return rc;
}

/* The regular file a path names inside w->root, following links that stay inside. */
static int read_regular(char **data, size_t *len, walk_state *w, const char *path, const git_tree_entry *entry)
{
	git_tree_entry *owned = NULL;
	char *cur = kd_strdup(path);
	kd_buf name = KD_BUF_INIT;
	int rc = 0;
	for (int hop = 0;; hop++) {
		git_filemode_t mode = git_tree_entry_filemode(entry);
		if (mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE) {
			rc = read_blob(data, len, w, git_tree_entry_id(entry), cur, w->max_file);
			break;
		}
		if (mode != GIT_FILEMODE_LINK) {
			kd_error_set(KD_ERR_GIT, "%s: symbolic link %s names a folder; links to folders are not supported",
				w->shown, in_repo(w, path, &name));
			rc = KD_EINVALID;
			break;
		}
		if (hop >= MAX_LINK_HOPS) {
			kd_error_set(KD_ERR_GIT, "%s: symbolic link %s: more than %d links in a row", w->shown,
				in_repo(w, path, &name), MAX_LINK_HOPS);
			rc = KD_EINVALID;
			break;
		}
		char *target = NULL;
		size_t tlen = 0;
		if ((rc = read_blob(&target, &tlen, w, git_tree_entry_id(entry), cur, MAX_LINK_TARGET)) != 0)
			break;
		char *next = memchr(target, '\0', tlen) ? NULL : resolve_link(cur, target);
		if (!next) {
			kd_error_set(KD_ERR_GIT, "%s: symbolic link %s -> %s leaves the %s; refused", w->shown,
				in_repo(w, path, &name), target, w->rootname[0] ? "package folder" : "repository");
			free(target);
			rc = KD_EINVALID;
			break;
		}
		git_tree_entry_free(owned);
		owned = NULL;
		if (git_tree_entry_bypath(&owned, w->root, next) != 0) {
			kd_error_set(KD_ERR_GIT, "%s: symbolic link %s -> %s: no such file at commit %s", w->shown,
				in_repo(w, path, &name), target, w->commit);
			free(target);
			free(next);
			rc = KD_ENOTFOUND;
			break;
		}
		free(target);
		free(cur);
		cur = next;
		entry = owned;
	}
	git_tree_entry_free(owned);
	free(cur);
	kd_buf_free(&name);
	return rc;
}

static int walk(walk_state *w, git_tree *tree, const char *prefix, int depth)
{
	kd_buf path = KD_BUF_INIT, name = KD_BUF_INIT;
	int rc = 0;
	if (depth > MAX_DEPTH) {
		kd_error_set(KD_ERR_GIT, "%s: folders nested deeper than %d", w->shown, MAX_DEPTH);
		return KD_ELIMIT;
	}
	size_t n = git_tree_entrycount(tree);
	for (size_t i = 0; i < n && rc == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		const char *nm = git_tree_entry_name(e);
		if (nm[0] == '.')
			continue; /* dot-files and dot-folders, as for a package folder */
		kd_buf_clear(&path);
		if (prefix[0])
			kd_buf_printf(&path, "%s/%s", prefix, nm);
		else
			kd_buf_puts(&path, nm);
		git_filemode_t mode = git_tree_entry_filemode(e);
		if (mode == GIT_FILEMODE_COMMIT)
			continue; /* a submodule: never followed */
		if (mode == GIT_FILEMODE_TREE) {
			git_tree *sub = NULL;
			if (git_tree_lookup(&sub, w->repo, git_tree_entry_id(e)) != 0) {
				rc = kd_error_set(KD_ERR_GIT, "%s: cannot read folder %s: %s", w->shown,
					in_repo(w, kd_buf_cstr(&path), &name), kd_git__lg2_message());
				break;
			}
			rc = walk(w, sub, kd_buf_cstr(&path), depth + 1);
			git_tree_free(sub);
			continue;
		}
		if (w->nfiles >= w->max_files) {
			kd_error_set(KD_ERR_GIT, "%s: more than %zu files", w->shown, w->max_files);
			rc = KD_ELIMIT;
			break;
		}
		char *data = NULL;
		size_t len = 0;
		if ((rc = read_regular(&data, &len, w, kd_buf_cstr(&path), e)) != 0)
			break;
		if (len > w->max_total - w->total) {
			free(data);
			kd_error_set(KD_ERR_GIT, "%s: the files under %s are over the cap of %zu bytes", w->shown,
				w->rootname[0] ? w->rootname : "the repository root", w->max_total);
			rc = KD_ELIMIT;
			break;
		}
		w->total += len;
		w->files = kd_realloc(w->files, (w->nfiles + 1) * sizeof *w->files);
		w->files[w->nfiles].path = kd_strdup(kd_buf_cstr(&path));
		w->files[w->nfiles].data = data;
		w->files[w->nfiles].len = len;
		w->nfiles++;
	}
	kd_buf_free(&path);
	kd_buf_free(&name);
	return rc;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const kd_git_file *)a)->path, ((const kd_git_file *)b)->path);
}

/* The tree of the resolved commit at `path` (a folder), into *out. */
static int lookup_tree(git_tree **out, git_tree **root_out, kd_git_repo *r, const char *path)
{
	git_repository *repo = kd_git__repo_handle(r);
	git_oid oid;
	git_commit *c = NULL;
	git_tree *root = NULL;
	int rc = 0;
	*out = NULL;
	git_oid_fromstr(&oid, kd_git_commit(r));
	if (git_commit_lookup(&c, repo, &oid) != 0 || git_commit_tree(&root, c) != 0) {
		rc = kd_error_set(KD_ERR_GIT, "%s: cannot read commit %s: %s", kd_git__repo_shown(r), kd_git_commit(r),
			kd_git__lg2_message());
		goto done;
	}
	if (!path[0]) {
		*out = root;
		root = NULL;
		goto done;
	}
	git_tree_entry *e = NULL;
	if (git_tree_entry_bypath(&e, root, path) != 0 || git_tree_entry_type(e) != GIT_OBJECT_TREE) {
		kd_error_set(KD_ERR_GIT, "%s: no folder %s at commit %s", kd_git__repo_shown(r), path, kd_git_commit(r));
		git_tree_entry_free(e);
		rc = KD_ENOTFOUND;
		goto done;
	}
	if (git_tree_lookup(out, repo, git_tree_entry_id(e)) != 0)
		rc = kd_error_set(KD_ERR_GIT, "%s: cannot read folder %s: %s", kd_git__repo_shown(r), path, kd_git__lg2_message());
	git_tree_entry_free(e);
done:
	git_commit_free(c);
	if (root_out)
		*root_out = root;
	else
		git_tree_free(root);
	return rc;
}

int kd_git_read_tree(kd_git_tree **out, kd_git_repo *r, const char *path, const kd_git_options *opts)
{
	*out = NULL;
	kd_git_options dflt = KD_GIT_OPTIONS_INIT;
	if (!opts)
		opts = &dflt;
	char *norm = NULL;
	int rc = kd_git__norm_path(&norm, path ? path : "", "the package path");
	if (rc)
		return rc;
	git_tree *tree = NULL;
	if ((rc = lookup_tree(&tree, NULL, r, norm)) != 0) {
		free(norm);
		return rc;
	}
	walk_state w;
	memset(&w, 0, sizeof w);
	w.repo = kd_git__repo_handle(r);
	w.root = tree;
	w.rootname = norm;
	w.shown = kd_git__repo_shown(r);
	w.commit = kd_git_commit(r);
	w.max_file = opts->max_file_size;
	w.max_total = opts->max_total_size;
	w.max_files = opts->max_files;
	rc = walk(&w, tree, "", 0);
	git_tree_free(tree);
	free(norm);
	if (rc) {
		tree_files_free(w.files, w.nfiles);
		return rc;
	}
	qsort(w.files, w.nfiles, sizeof *w.files, cmp_file);
	kd_git_tree *t = kd_calloc(1, sizeof *t);
	t->files = w.files;
	t->nfiles = w.nfiles;
	*out = t;
	return 0;
}

int kd_git_read_file(char **data, size_t *len, kd_git_repo *r, const char *path, size_t max)
{
	*data = NULL;
	if (len)
		*len = 0;
	char *norm = NULL;
	int rc = kd_git__norm_path(&norm, path ? path : "", "the file path");
	if (rc)
		return rc;
	git_tree *root = NULL;
	git_tree_entry *e = NULL;
	if ((rc = lookup_tree(&root, NULL, r, "")) != 0)
		goto done;
	if (!norm[0] || git_tree_entry_bypath(&e, root, norm) != 0) {
		kd_error_set(KD_ERR_GIT, "%s: no file %s at commit %s", kd_git__repo_shown(r), norm, kd_git_commit(r));
		rc = KD_ENOTFOUND;
		goto done;
	}
	walk_state w;
	memset(&w, 0, sizeof w);
	w.repo = kd_git__repo_handle(r);
	w.root = root;
	w.rootname = "";
	w.shown = kd_git__repo_shown(r);
	w.commit = kd_git_commit(r);
	w.max_file = max ? max : (size_t)8 << 20;
	size_t n = 0;
	rc = read_regular(data, &n, &w, norm, e);
	if (rc == 0 && len)
		*len = n;
done:
	git_tree_entry_free(e);
	git_tree_free(root);
	free(norm);
	return rc;
}
