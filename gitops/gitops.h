/* gitops: operator packages and parameter files from git repositories, through libgit2.
 *
 * A source is `git+URL[//PATH][?ref=REF]` (see gitops/README.md): URL is https, http, ssh,
 * git or file; PATH the package folder inside the repository; REF a branch, a tag,
 * `semver:RANGE` over the tags (the newest match, Masterminds/semver v3 rules), or a full
 * 40-hex commit id; no ref means the remote's HEAD.
 *
 * Repositories are fetched into a cache of bare repositories, one per URL (without
 * credentials), under ${XDG_CACHE_HOME:-~/.cache}/kudoc/git/<sha256 of the URL>. A lock file
 * (flock) serializes two kudoc processes on the same cache entry; objects are never deleted,
 * so readers need no lock. Only the selected tree is read, from the object database: no
 * checkout, no hooks, no submodules (gitlinks are skipped), symbolic links resolved inside
 * the package folder and refused when they leave it, sizes capped.
 *
 * libgit2 1.5 (Debian 12) has no shallow fetch (git_fetch_options.depth arrives in 1.7): the
 * selected ref is fetched with its full history. Built against libgit2 >= 1.7, fetches are
 * shallow (depth 1) except by commit id.
 *
 * Secrets (passwords, tokens, key passphrases) never appear in any string this module
 * returns or in its error messages. */
#ifndef KD_GITOPS_H
#define KD_GITOPS_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/base.h"

/* A parsed git source. */
typedef struct {
	char *url;      /* the repository as fetched: "https://host/org/repo.git", no user or password
	                 * for http(s); ssh URLs keep their user ("ssh://git@host/org/repo.git") */
	char *path;     /* the package folder: "" for the root, else "a/b" (normalized, no "..") */
	char *ref;      /* as given; NULL for the remote's HEAD */
	char *user;     /* user name given in an http(s) URL; NULL when none */
	char *password; /* password given in an http(s) URL; NULL when none. A secret. */
} kd_git_source;

/* True when `s` starts with "git+". */
bool kd_git_is_source(const char *s);

/* Parses "git+URL[//PATH][?ref=REF]". Errors (KD_EINVALID) quote the source with any password
 * removed. Free with kd_git_source_clear. */
int kd_git_source_parse(kd_git_source *out, const char *spec);

/* The same from the flags --git URL --git-ref REF --git-path PATH. URL may carry the "git+"
 * prefix, or be an absolute local path (a file:// repository); ref and path may be NULL. */
int kd_git_source_from_flags(kd_git_source *out, const char *url, const char *ref, const char *path);

/* The source as a string without credentials: "git+URL//PATH?ref=REF". Never NULL. */
char *kd_git_source_string(const kd_git_source *src);
void kd_git_source_clear(kd_git_source *src);

/* Where credentials and trust come from, and the caps on what is read. */
typedef struct {
	const char *cache_dir;        /* NULL: ${XDG_CACHE_HOME:-~/.cache}/kudoc/git */
	const char *credentials_file; /* --git-credentials FILE (README.md gives the format) */
	const char *ssh_key;          /* --git-ssh-key FILE: a private key; NULL: ssh-agent */
	const char *known_hosts;      /* --git-known-hosts FILE; NULL: ~/.ssh/known_hosts */
	size_t max_file_size;         /* one file (default 8 MiB) */
	size_t max_total_size;        /* the whole tree read (default 64 MiB) */
	size_t max_files;             /* files in the tree read (default 20000) */
} kd_git_options;
#define KD_GIT_OPTIONS_INIT {NULL, NULL, NULL, NULL, (size_t)8 << 20, (size_t)64 << 20, 20000}

/* Environment variables read for credentials (values never printed):
 *   KUDOC_GIT_USERNAME, KUDOC_GIT_PASSWORD   HTTP basic auth
 *   KUDOC_GIT_TOKEN                          HTTP bearer token (Authorization: Bearer)
 *   KUDOC_GIT_SSH_PASSPHRASE                 passphrase of --git-ssh-key */
#define KD_GIT_ENV_USERNAME "KUDOC_GIT_USERNAME"
#define KD_GIT_ENV_PASSWORD "KUDOC_GIT_PASSWORD"
#define KD_GIT_ENV_TOKEN "KUDOC_GIT_TOKEN"
#define KD_GIT_ENV_SSH_PASSPHRASE "KUDOC_GIT_SSH_PASSPHRASE"

/* A cached repository with the source's ref resolved to a commit. */
typedef struct kd_git_repo kd_git_repo;

/* Fetches the source's ref into the cache and resolves it. A commit id already in the cache
 * needs no network. Errors name the source (without credentials) and say what failed: an
 * unknown ref lists the branches and tags there are; KD_EAUTH for refused or missing
 * credentials; an SSH host key that is unknown or does not match known_hosts names the host
 * and the key's SHA256 fingerprint. Free with kd_git_repo_free. */
int kd_git_open(kd_git_repo **out, const kd_git_source *src, const kd_git_options *opts);

/* The resolved commit (40 hex digits) and the ref it came from ("refs/tags/v1.2.0",
 * "refs/heads/main"; NULL for a commit id). Borrowed. */
const char *kd_git_commit(const kd_git_repo *r);
const char *kd_git_resolved_ref(const kd_git_repo *r);
void kd_git_repo_free(kd_git_repo *r);

/* One file read from a tree. */
typedef struct {
	char *path; /* relative to the folder read, '/'-separated */
	char *data; /* NUL-terminated */
	size_t len;
} kd_git_file;

typedef struct {
	kd_git_file *files; /* sorted by path */
	size_t nfiles;
} kd_git_tree;

/* Reads every file under `path` ("" for the root) at the resolved commit. Dot-files and
 * dot-folders are skipped (as for a package folder), gitlinks (submodules) are skipped, a
 * symbolic link is read as the file it names when that file is inside `path`, and refused
 * naming the link when it leaves `path` or names a folder. Caps from `opts` (NULL: defaults)
 * give KD_ELIMIT. KD_ENOTFOUND when `path` is not a folder at that commit. */
int kd_git_read_tree(kd_git_tree **out, kd_git_repo *r, const char *path, const kd_git_options *opts);
void kd_git_tree_free(kd_git_tree *t);

/* Reads one file (relative to the repository root) at the resolved commit, following
 * symbolic links that stay inside the repository. At most `max` bytes (0: 8 MiB). */
int kd_git_read_file(char **data, size_t *len, kd_git_repo *r, const char *path, size_t max);

#endif
