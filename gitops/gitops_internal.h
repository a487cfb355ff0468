/* Internal to gitops/. */
#ifndef KD_GITOPS_INTERNAL_H
#define KD_GITOPS_INTERNAL_H

#include <git2.h>
#include <stdbool.h>
#include <stddef.h>

#include "../base/base.h"
#include "gitops.h"

int kd_git__norm_path(char **out, const char *p, const char *what);
int kd_git__check_ref(const char *ref, const char *shown);

/* Scheme, host and port of a repository URL (borrowed into `buf`). */
typedef struct {
	char scheme[8];
	char host[256];
	int port; /* the scheme's default when absent */
	char path[1024];
} kd_git__url_parts;
int kd_git__url_split(kd_git__url_parts *out, const char *url);

/* Credentials for an http(s) URL from a credentials file (git-credential-store format, see
 * README.md). 0 with user and pass set (caller frees; pass is a secret) when a line matches,
 * KD_ENOTFOUND when none does, an error naming FILE:LINE for a bad line. */
int kd_git__creds_lookup(char **user, char **pass, const char *file, const kd_git__url_parts *u);
/* The same on the file's text (`file` names it in errors); what kd_git__creds_lookup runs. */
int kd_git__creds_lookup_text(char **user, char **pass, const char *file, const char *text, size_t len,
	const kd_git__url_parts *u);

/* known_hosts: the verdict for `host`:`port` presenting the SSH key blob `key`. */
typedef enum {
	KD_KH_OK,
	KD_KH_UNKNOWN,  /* the host has no entry */
	KD_KH_MISMATCH, /* the host has entries for this key type, none with this key */
	KD_KH_OTHER,    /* the host has entries, only for other key types */
	KD_KH_REVOKED,  /* the key is marked @revoked */
} kd_kh_verdict;
/* Returns 0 and the verdict; an error for a file that cannot be read. `where` gets
 * "FILE:LINE" of a mismatching entry (or ""). A missing file is KD_KH_UNKNOWN. */
int kd_git__known_hosts_check(kd_kh_verdict *verdict, char *where, size_t where_len, const char *file,
	const char *host, int port, const unsigned char *key, size_t keylen);
/* The same on the file's text (`file` names it in `where`); what kd_git__known_hosts_check runs. */
int kd_git__known_hosts_check_text(kd_kh_verdict *verdict, char *where, size_t where_len, const char *file,
	const char *text, size_t len, const char *host, int port, const unsigned char *key, size_t keylen);
/* "SHA256:<base64 without padding>" as ssh-keygen -l prints, into out (>= 64 bytes). */
void kd_git__fingerprint(char *out, size_t outlen, const unsigned char *key, size_t keylen);
/* The key type named inside an SSH key blob ("ssh-ed25519"), into out; "" when unreadable. */
void kd_git__key_type(char *out, size_t outlen, const unsigned char *key, size_t keylen);

/* The repository handle and the source as errors name it (fetch.c, for tree.c). */
git_repository *kd_git__repo_handle(kd_git_repo *r);
const char *kd_git__repo_shown(const kd_git_repo *r);

/* The libgit2 error as text (never holding credentials: libgit2 sees URLs without them). */
const char *kd_git__lg2_message(void);

#endif
