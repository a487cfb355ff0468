/* The repository cache, fetching and ref resolution. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/semver.h"
#include "gitops_internal.h"

struct kd_git_repo {
	git_repository *repo;
	char *url;
	char *shown; /* the source as errors name it */
	char commit[GIT_OID_HEXSZ + 1];
	char *resolved_ref;
};

const char *kd_git__lg2_message(void)
{
	const git_error *e = git_error_last();
	return e && e->message ? e->message : "unknown libgit2 error";
}

const char *kd_git_commit(const kd_git_repo *r)
{
	return r->commit;
}

const char *kd_git_resolved_ref(const kd_git_repo *r)
{
	return r->resolved_ref;
}

git_repository *kd_git__repo_handle(kd_git_repo *r)
{
	return r->repo;
}

const char *kd_git__repo_shown(const kd_git_repo *r)
{
	return r->shown;
}

void kd_git_repo_free(kd_git_repo *r)
{
	if (!r)
		return;
	git_repository_free(r->repo);
	free(r->url);
	free(r->shown);
	free(r->resolved_ref);
	free(r);
	git_libgit2_shutdown();
}

/* ---- the cache ----------------------------------------------------------------------------- */

static int mkdirs(const char *path)
{
	char *p = kd_strdup(path);
	int rc = 0;
	for (char *s = p + 1; *s && rc == 0; s++) {
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0700) != 0 && errno != EEXIST)
				rc = kd_error_set_os(errno, "cannot create %s", p);
			*s = '/';
		}
	}
	if (rc == 0 && mkdir(p, 0700) != 0 && errno != EEXIST)
		rc = kd_error_set_os(errno, "cannot create %s", p);
	free(p);
	return rc;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static char *default_cache_dir(void)
{
	kd_buf b = KD_BUF_INIT;
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	if (xdg && xdg[0] == '/')
		kd_buf_printf(&b, "%s/kudoc/git", xdg);
	else
		kd_buf_printf(&b, "%s/.cache/kudoc/git", home && *home ? home : "/tmp");
	return kd_buf_detach(&b);
}

/* The cache entry of a URL: sha256 of the URL as kudoc normalized it (no credentials). */
static void cache_key(char out[65], const char *url)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_Digest(url, strlen(url), md, &n, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < 32 && i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int lock_file(int *fd_out, const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return kd_error_set_os(errno, "cannot open the cache lock %s", path);
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			int e = errno;
			close(fd);
			return kd_error_set_os(e, "cannot lock %s", path);
		}
	}
	*fd_out = fd;
	return 0;
}

static int open_cache_repo(git_repository **out, const char *dir)
{
	if (git_repository_open_bare(out, dir) == 0)
		return 0;
	/* absent, or left half made by a process that died: start again */
	struct stat st;
	if (lstat(dir, &st) == 0)
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (git_repository_init(out, dir, 1) != 0)
		return kd_error_set(KD_ERR_GIT, "cannot create the git cache %s: %s", dir, kd_git__lg2_message());
	return 0;
}

/* ---- callbacks ----------------------------------------------------------------------------- */

typedef struct {
	const kd_git_source *src;
	const kd_git_options *opts;
	kd_git__url_parts u;
	const char *shown;
	int userpass_tries, ssh_tries;
	const char *cred_from;
	char msg[1536];
	int code;
} cb_state;

static void cb_fail(cb_state *st, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cb_fail(cb_state *st, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->msg, sizeof st->msg, fmt, ap);
	va_end(ap);
	st->code = code;
}

static const char *local_user(void)
{
	struct passwd *pw = getpwuid(getuid());
	return pw && pw->pw_name ? pw->pw_name : "git";
}

static void free_secret(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void host_port(char *out, size_t n, const kd_git__url_parts *u)
{
	bool dflt = (!strcmp(u->scheme, "ssh") && u->port == 22) || (!strcmp(u->scheme, "https") && u->port == 443) ||
		(!strcmp(u->scheme, "http") && u->port == 80) || (!strcmp(u->scheme, "git") && u->port == 9418);
	if (dflt)
		snprintf(out, n, "%s", u->host);
	else
		snprintf(out, n, "%s:%d", u->host, u->port);
}

static int cred_cb(git_credential **out, const char *url, const char *username_from_url, unsigned int allowed,
	void *payload)
{
	(void)url;
	cb_state *st = payload;
	char hp[300];
	host_port(hp, sizeof hp, &st->u);
	if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
		if (st->userpass_tries++ > 0) {
			cb_fail(st, KD_EAUTH, "%s: %s refused the credentials from %s", st->shown, hp, st->cred_from);
			return GIT_EUSER;
		}
		char *user = NULL, *pass = NULL;
		if (st->src->password) {
			user = kd_strdup(st->src->user ? st->src->user : "");
			pass = kd_strdup(st->src->password);
			st->cred_from = "the URL";
		} else if (st->opts->credentials_file) {
			int rc = kd_git__creds_lookup(&user, &pass, st->opts->credentials_file, &st->u);
			if (rc && rc != KD_ENOTFOUND) {
				cb_fail(st, rc, "%s", kd_error_last());
				return GIT_EUSER;
			}
			st->cred_from = "--git-credentials";
		}
		if (!pass && getenv(KD_GIT_ENV_PASSWORD)) {
			const char *eu = getenv(KD_GIT_ENV_USERNAME);
			free(user);
			user = kd_strdup(eu ? eu : (st->src->user ? st->src->user : "kudoc"));
			pass = kd_strdup(getenv(KD_GIT_ENV_PASSWORD));
			st->cred_from = KD_GIT_ENV_USERNAME "/" KD_GIT_ENV_PASSWORD;
		}
		if (!pass) {
			if (getenv(KD_GIT_ENV_TOKEN) && getenv(KD_GIT_ENV_TOKEN)[0])
				cb_fail(st, KD_EAUTH, "%s: %s refused the token from " KD_GIT_ENV_TOKEN, st->shown, hp);
			else
				cb_fail(st, KD_EAUTH,
					"%s: %s asks for credentials: set " KD_GIT_ENV_USERNAME " and " KD_GIT_ENV_PASSWORD
					" (or " KD_GIT_ENV_TOKEN "), or give --git-credentials FILE%s",
					st->shown, hp, st->opts->credentials_file ? " with a line for this host" : "");
			free(user);
			return GIT_EUSER;
		}
		int rc = git_credential_userpass_plaintext_new(out, user, pass);
		free(user);
		free_secret(pass);
		return rc;
	}
	const char *user = username_from_url && *username_from_url ? username_from_url : local_user();
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user);
	if (allowed & GIT_CREDENTIAL_SSH_KEY) {
		if (st->ssh_tries++ > 0) {
			if (st->opts->ssh_key)
				cb_fail(st, KD_EAUTH, "%s: %s refused the SSH key %s for user %s", st->shown, hp,
					st->opts->ssh_key, user);
			else
				cb_fail(st, KD_EAUTH,
					"%s: %s refused the SSH keys of ssh-agent (SSH_AUTH_SOCK) for user %s, or the "
					"agent holds none (`ssh-add -l` lists them; --git-ssh-key FILE names a key file)",
					st->shown, hp, user);
			return GIT_EUSER;
		}
		if (st->opts->ssh_key) {
			if (access(st->opts->ssh_key, R_OK) != 0) {
				cb_fail(st, KD_ENOTFOUND, "--git-ssh-key %s: cannot read the key: %s", st->opts->ssh_key, strerror(errno));
				return GIT_EUSER;
			}
			kd_buf pub = KD_BUF_INIT;
			kd_buf_printf(&pub, "%s.pub", st->opts->ssh_key);
			bool have_pub = access(kd_buf_cstr(&pub), R_OK) == 0;
			int rc = git_credential_ssh_key_new(out, user, have_pub ? kd_buf_cstr(&pub) : NULL, st->opts->ssh_key,
				getenv(KD_GIT_ENV_SSH_PASSPHRASE));
			kd_buf_free(&pub);
			return rc;
		}
		if (getenv("SSH_AUTH_SOCK") && getenv("SSH_AUTH_SOCK")[0])
			return git_credential_ssh_key_from_agent(out, user);
		cb_fail(st, KD_EAUTH, "%s: %s wants an SSH key: give --git-ssh-key FILE or start ssh-agent (SSH_AUTH_SOCK)",
			st->shown, hp);
		return GIT_EUSER;
	}
	cb_fail(st, KD_EAUTH, "%s: %s asks for a kind of authentication kudoc does not support", st->shown, hp);
	return GIT_EUSER;
}

static char *known_hosts_path(const kd_git_options *opts)
{
	if (opts->known_hosts)
		return kd_strdup(opts->known_hosts);
	kd_buf b = KD_BUF_INIT;
	const char *home = getenv("HOME");
	kd_buf_printf(&b, "%s/.ssh/known_hosts", home && *home ? home : "");
	return kd_buf_detach(&b);
}

static int cert_cb(git_cert *cert, int valid, const char *host, void *payload)
{
	cb_state *st = payload;
	char hp[300];
	host_port(hp, sizeof hp, &st->u);
	(void)host;
	if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2) {
		const git_cert_hostkey *hk = (const git_cert_hostkey *)cert;
		if (!(hk->type & GIT_CERT_SSH_RAW) || !hk->hostkey || !hk->hostkey_len) {
			cb_fail(st, KD_EAUTH, "%s: cannot check the host key of %s (libgit2 gave no key)", st->shown, hp);
			return GIT_ECERTIFICATE;
		}
		const unsigned char *key = (const unsigned char *)hk->hostkey;
		char fp[80], kt[80], where[1100];
		kd_git__fingerprint(fp, sizeof fp, key, hk->hostkey_len);
		kd_git__key_type(kt, sizeof kt, key, hk->hostkey_len);
		char *kh = known_hosts_path(st->opts);
		kd_kh_verdict v;
		int rc = kd_git__known_hosts_check(&v, where, sizeof where, kh, st->u.host, st->u.port, key, hk->hostkey_len);
		if (rc) {
			cb_fail(st, rc, "%s", kd_error_last());
		} else if (v == KD_KH_UNKNOWN) {
			cb_fail(st, KD_EAUTH,
				"%s: host %s is not in known_hosts %s; it offered the %s key %s (check that fingerprint, then add "
				"the key to the file or name another with --git-known-hosts)",
				st->shown, hp, kh, kt, fp);
		} else if (v == KD_KH_MISMATCH) {
			cb_fail(st, KD_EAUTH,
				"%s: the host key of %s does not match known_hosts (%s): it offered the %s key %s. The key changed "
				"or someone is intercepting the connection",
				st->shown, hp, where, kt, fp);
		} else if (v == KD_KH_OTHER) {
			cb_fail(st, KD_EAUTH, "%s: known_hosts %s has no %s key for %s (only other key types); it offered %s",
				st->shown, kh, kt, hp, fp);
		} else if (v == KD_KH_REVOKED) {
			cb_fail(st, KD_EAUTH, "%s: the host key of %s (%s %s) is marked @revoked in %s", st->shown, hp, kt, fp, kh);
		}
		free(kh);
		return v == KD_KH_OK && rc == 0 ? 0 : GIT_ECERTIFICATE;
	}
	if (valid)
		return 0;
	/* libgit2 says only that the check failed: an unknown issuer or a name the certificate
	 * does not carry (mbedTLS, which Debian's libgit2 uses, matches DNS names only) */
	const char *ca_file = getenv("SSL_CERT_FILE");
	if (ca_file && *ca_file)
		cb_fail(st, KD_EAUTH,
			"%s: the TLS certificate of %s is not trusted: no CA in SSL_CERT_FILE %s signed it, or it is "
			"not issued for %s",
			st->shown, hp, ca_file, st->u.host);
	else
		cb_fail(st, KD_EAUTH,
			"%s: the TLS certificate of %s is not trusted: no CA in the system's store signed it, or it is "
			"not issued for %s; to trust a private CA, name its PEM file in SSL_CERT_FILE",
			st->shown, hp, st->u.host);
	return GIT_ECERTIFICATE;
}

/* Sets the error after a failed libgit2 call: what a callback found, else libgit2's text. */
static int lg2_fail(cb_state *st, int lg2rc, const char *doing)
{
	if (st->msg[0]) {
		kd_error_set(KD_ERR_GIT, "%s", st->msg);
		return st->code ? st->code : KD_ERROR;
	}
	kd_error_set(KD_ERR_GIT, "%s: %s: %s", st->shown, doing, kd_git__lg2_message());
	return lg2rc == GIT_EAUTH ? KD_EAUTH : lg2rc == GIT_ENOTFOUND ? KD_ENOTFOUND : KD_ERROR;
}

/* ---- resolving ----------------------------------------------------------------------------- */

static bool is_commit_id(const char *s)
{
	if (!s || strlen(s) != GIT_OID_HEXSZ)
		return false;
	for (const char *p = s; *p; p++)
		if (kd_hex_digit((unsigned char)*p) < 0)
			return false;
	return true;
}

typedef struct {
	char *name;
	git_oid oid;
	char *symref;
} head;

typedef struct {
	head *v;
	size_t n;
} heads;

static void heads_free(heads *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->v[i].name);
		free(h->v[i].symref);
	}
	free(h->v);
	h->v = NULL;
	h->n = 0;
}

static const head *heads_find(const heads *h, const char *name)
{
	for (size_t i = 0; i < h->n; i++)
		if (strcmp(h->v[i].name, name) == 0)
			return &h->v[i];
	return NULL;
}

static void list_names(kd_buf *b, const heads *h, const char *prefix, const char *label)
{
	size_t shown = 0, total = 0, pl = strlen(prefix);
	for (size_t i = 0; i < h->n; i++) {
		const char *n = h->v[i].name;
		if (strncmp(n, prefix, pl) != 0 || strstr(n, "^{}"))
			continue;
		total++;
		if (shown < 20) {
			kd_buf_printf(b, "%s%s", shown ? ", " : label, n + pl);
			shown++;
		}
	}
	if (total > shown)
		kd_buf_printf(b, " and %zu more", total - shown);
	if (!total)
		kd_buf_printf(b, "%snone", label);
}

/* The newest tag matching `range` (Masterminds/semver v3, as Helm and KUDO compare). */
static int pick_semver(char **target, const heads *h, const char *range, const char *shown)
{
	kd_semver_range *r = NULL;
	if (kd_semver_range_parse(&r, range, KD_SEMVER_V3) != 0) {
		kd_error_set(KD_ERR_GIT, "%s: ref semver:%s: %s", shown, range, kd_error_last());
		return KD_EINVALID;
	}
	kd_semver best = KD_SEMVER_INIT;
	const char *best_name = NULL;
	for (size_t i = 0; i < h->n; i++) {
		const char *n = h->v[i].name;
		if (strncmp(n, "refs/tags/", 10) != 0 || strstr(n, "^{}"))
			continue;
		kd_semver v = KD_SEMVER_INIT;
		if (kd_semver_parse(&v, n + 10, KD_SEMVER_V3) != 0)
			continue;
		if (kd_semver_range_check(r, &v) && (!best_name || kd_semver_cmp(&v, &best) > 0)) {
			kd_semver_clear(&best);
			best = v;
			best_name = n;
		} else {
			kd_semver_clear(&v);
		}
	}
	kd_semver_clear(&best);
	kd_semver_range_free(r);
	kd_error_clear();
	if (!best_name) {
		kd_buf b = KD_BUF_INIT;
		list_names(&b, h, "refs/tags/", "tags: ");
		kd_error_set(KD_ERR_GIT, "%s: no tag matches semver:%s (%s)", shown, range, kd_buf_cstr(&b));
		kd_buf_free(&b);
		return KD_ENOTFOUND;
	}
	*target = kd_strdup(best_name);
	return 0;
}

static int choose_target(char **target, const heads *h, const char *ref, const char *shown, const char *url)
{
	if (!ref) {
		const head *hd = heads_find(h, "HEAD");
		if (!hd) {
			kd_error_set(KD_ERR_GIT, "%s: the repository has no HEAD (an empty repository?); give a ref", shown);
			return KD_ENOTFOUND;
		}
		*target = kd_strdup(hd->symref && *hd->symref ? hd->symref : "HEAD");
		return 0;
	}
	if (strncmp(ref, "semver:", 7) == 0)
		return pick_semver(target, h, ref + 7, shown);
	kd_buf b = KD_BUF_INIT;
	const char *tries[3] = {"", "refs/tags/", "refs/heads/"}; /* git's order: tags before branches */
	for (size_t i = strncmp(ref, "refs/", 5) == 0 ? 0 : 1; i < 3; i++) {
		kd_buf_clear(&b);
		kd_buf_printf(&b, "%s%s", tries[i], ref);
		if (heads_find(h, kd_buf_cstr(&b))) {
			*target = kd_buf_detach(&b);
			return 0;
		}
	}
	kd_buf_clear(&b);
	list_names(&b, h, "refs/heads/", "branches: ");
	kd_buf_puts(&b, "; ");
	list_names(&b, h, "refs/tags/", "tags: ");
	kd_error_set(KD_ERR_GIT, "%s: no branch or tag \"%s\" in %s (%s)%s", shown, ref, url, kd_buf_cstr(&b),
		strlen(ref) < GIT_OID_HEXSZ && strspn(ref, "0123456789abcdefABCDEF") == strlen(ref) && strlen(ref) >= 4
			? "; a commit id must be given in full (40 hex digits)"
			: "");
	kd_buf_free(&b);
	return KD_ENOTFOUND;
}

static int peel_commit(char out[GIT_OID_HEXSZ + 1], git_repository *repo, const git_oid *oid, const char *shown,
	const char *what)
{
	git_object *obj = NULL, *commit = NULL;
	int rc = 0;
	if (git_object_lookup(&obj, repo, oid, GIT_OBJECT_ANY) != 0 ||
		git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) != 0) {
		kd_error_set(KD_ERR_GIT, "%s: %s does not name a commit", shown, what);
		rc = KD_ENOTFOUND;
	} else {
		git_oid_tostr(out, GIT_OID_HEXSZ + 1, git_object_id(commit));
	}
	git_object_free(commit);
	git_object_free(obj);
	return rc;
}

static int fetch_and_resolve(kd_git_repo *r, const kd_git_source *src, const kd_git_options *opts, cb_state *st)
{
	git_remote *remote = NULL;
	heads h = {NULL, 0};
	char *target = NULL, *refspec = NULL, *bearer = NULL;
	int rc = 0, lg;
	bool by_commit = is_commit_id(src->ref);
	git_oid want;

	if (by_commit) {
		git_oid_fromstr(&want, src->ref);
		git_commit *c = NULL;
		if (git_commit_lookup(&c, r->repo, &want) == 0) { /* already cached: no network */
			git_oid_tostr(r->commit, sizeof r->commit, &want);
			git_commit_free(c);
			return 0;
		}
	}
	/* An anonymous remote, without the user's url.<base>.insteadOf rewriting: the URL kudoc
	 * records is the one it fetched. */
	git_remote_create_options ro;
	git_remote_create_options_init(&ro, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	ro.repository = r->repo;
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if ((lg = git_remote_create_with_opts(&remote, src->url, &ro)) != 0) {
		rc = lg2_fail(st, lg, "bad remote");
		goto done;
	}
	git_remote_callbacks cbs;
	git_remote_init_callbacks(&cbs, GIT_REMOTE_CALLBACKS_VERSION);
	cbs.credentials = cred_cb;
	cbs.certificate_check = cert_cb;
	cbs.payload = st;
	git_strarray headers = {NULL, 0};
	const char *token = getenv(KD_GIT_ENV_TOKEN);
	bool http = !strcmp(st->u.scheme, "http") || !strcmp(st->u.scheme, "https");
	if (http && token && *token && !src->password) {
		kd_buf b = KD_BUF_INIT;
		kd_buf_printf(&b, "Authorization: Bearer %s", token);
		bearer = kd_buf_detach(&b);
		headers.strings = &bearer;
		headers.count = 1;
	}
	git_remote_connect_options co;
	git_remote_connect_options_init(&co, GIT_REMOTE_CONNECT_OPTIONS_VERSION);
	co.callbacks = cbs;
	co.proxy_opts.type = GIT_PROXY_AUTO;
	co.custom_headers = headers;
	/* a token goes to the host the user named, never to where a redirect points */
	co.follow_redirects = bearer ? GIT_REMOTE_REDIRECT_NONE : GIT_REMOTE_REDIRECT_INITIAL;
	if ((lg = git_remote_connect_ext(remote, GIT_DIRECTION_FETCH, &co)) != 0) {
		rc = lg2_fail(st, lg, "cannot reach the repository");
		goto done;
	}
	const git_remote_head **ls = NULL;
	size_t nls = 0;
	if ((lg = git_remote_ls(&ls, &nls, remote)) != 0) {
		rc = lg2_fail(st, lg, "cannot list the repository's refs");
		goto done;
	}
	h.v = kd_calloc(nls ? nls : 1, sizeof *h.v);
	for (size_t i = 0; i < nls; i++) {
		h.v[h.n].name = kd_strdup(ls[i]->name);
		h.v[h.n].oid = ls[i]->oid;
		h.v[h.n].symref = ls[i]->symref_target ? kd_strdup(ls[i]->symref_target) : NULL;
		h.n++;
	}
	const char *specs[2];
	git_strarray refspecs = {(char **)specs, 0};
	if (by_commit) {
		specs[0] = "+refs/heads/*:refs/heads/*";
		specs[1] = "+refs/tags/*:refs/tags/*";
		refspecs.count = 2;
	} else {
		if ((rc = choose_target(&target, &h, src->ref, st->shown, src->url)) != 0)
			goto done;
		kd_buf b = KD_BUF_INIT;
		if (strcmp(target, "HEAD") == 0)
			kd_buf_puts(&b, "+HEAD:refs/kudoc/HEAD");
		else
			kd_buf_printf(&b, "+%s:%s", target, target);
		refspec = kd_buf_detach(&b);
		specs[0] = refspec;
		refspecs.count = 1;
	}
	git_fetch_options fo;
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	fo.callbacks = cbs;
	fo.proxy_opts.type = GIT_PROXY_AUTO;
	fo.custom_headers = headers;
	fo.follow_redirects = co.follow_redirects;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.prune = GIT_FETCH_NO_PRUNE;
	fo.update_fetchhead = 0;
#if LIBGIT2_VER_MAJOR > 1 || (LIBGIT2_VER_MAJOR == 1 && LIBGIT2_VER_MINOR >= 7)
	if (!by_commit)
		fo.depth = 1;
#endif
	st->userpass_tries = st->ssh_tries = 0; /* a reconnect asks again; only a repeat means refused */
	if ((lg = git_remote_fetch(remote, &refspecs, &fo, NULL)) != 0) {
		rc = lg2_fail(st, lg, "fetch failed");
		goto done;
	}
	if (by_commit) {
		git_commit *c = NULL;
		if (git_commit_lookup(&c, r->repo, &want) != 0) {
			kd_error_set(KD_ERR_GIT, "%s: commit %s is not on any branch or tag of %s", st->shown, src->ref, src->url);
			rc = KD_ENOTFOUND;
			goto done;
		}
		git_commit_free(c);
		git_oid_tostr(r->commit, sizeof r->commit, &want);
	} else {
		const char *local = strcmp(target, "HEAD") == 0 ? "refs/kudoc/HEAD" : target;
		git_oid oid;
		if (git_reference_name_to_id(&oid, r->repo, local) != 0) {
			kd_error_set(KD_ERR_GIT, "%s: the fetch brought no %s", st->shown, target);
			rc = KD_ERROR;
			goto done;
		}
		if ((rc = peel_commit(r->commit, r->repo, &oid, st->shown, target)) != 0)
			goto done;
		r->resolved_ref = strcmp(target, "HEAD") == 0 ? NULL : kd_strdup(target);
	}
done:
	if (remote)
		git_remote_disconnect(remote);
	git_remote_free(remote);
	heads_free(&h);
	free(target);
	free(refspec);
	free_secret(bearer);
	return rc;
}

/* A private CA for https, the way OpenSSL and Go read it: $SSL_CERT_FILE (a PEM bundle) and
 * $SSL_CERT_DIR (a hashed folder) replace the CAs libgit2 was built to trust. libgit2 reads
 * neither variable itself when it uses mbedTLS (Debian's does), so kudoc hands them over; the
 * option replaces the previous set, so each https fetch trusts what the environment says now. */
static int set_ca_locations(const char *shown)
{
	const char *file = getenv("SSL_CERT_FILE"), *dir = getenv("SSL_CERT_DIR");
	file = file && *file ? file : NULL;
	dir = dir && *dir ? dir : NULL;
	if (!file && !dir)
		return 0;
	if (git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file, dir) != 0) {
		const git_error *e = git_error_last();
		return kd_error_set(KD_ERR_GIT,
			"%s: cannot load the CA certificates of SSL_CERT_FILE %s / SSL_CERT_DIR %s: %s", shown,
			file ? file : "(unset)", dir ? dir : "(unset)", e && e->message ? e->message : "libgit2 failed");
	}
	return 0;
}

int kd_git_open(kd_git_repo **out, const kd_git_source *src, const kd_git_options *opts)
{
	*out = NULL;
	kd_git_options dflt = KD_GIT_OPTIONS_INIT;
	if (!opts)
		opts = &dflt;
	git_libgit2_init();
	kd_git_repo *r = kd_calloc(1, sizeof *r);
	r->url = kd_strdup(src->url);
	r->shown = kd_git_source_string(src);
	char *cache = opts->cache_dir ? kd_strdup(opts->cache_dir) : default_cache_dir();
	kd_buf dir = KD_BUF_INIT, lock = KD_BUF_INIT;
	int fd = -1, rc;
	cb_state st;
	memset(&st, 0, sizeof st);
	st.src = src;
	st.opts = opts;
	st.shown = r->shown;
	st.cred_from = "the URL";
	if ((rc = kd_git__url_split(&st.u, src->url)) != 0)
		goto done;
	if (strcmp(st.u.scheme, "https") == 0 && (rc = set_ca_locations(r->shown)) != 0)
		goto done;
	if ((rc = mkdirs(cache)) != 0)
		goto done;
	char key[65];
	cache_key(key, src->url);
	kd_buf_printf(&dir, "%s/%s.git", cache, key);
	kd_buf_printf(&lock, "%s/%s.lock", cache, key);
	if ((rc = lock_file(&fd, kd_buf_cstr(&lock))) != 0)
		goto done;
	if ((rc = open_cache_repo(&r->repo, kd_buf_cstr(&dir))) != 0)
		goto done;
	rc = fetch_and_resolve(r, src, opts, &st);
done:
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
	explicit_bzero(st.msg, sizeof st.msg);
	kd_buf_free(&dir);
	kd_buf_free(&lock);
	free(cache);
	if (rc) {
		kd_git_repo_free(r);
		return rc;
	}
	*out = r;
	return 0;
}
