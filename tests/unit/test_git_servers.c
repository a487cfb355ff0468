/* gitops against real servers on loopback that these tests start: git daemon (git://),
 * git http-backend behind tests/git/httpd.py (smart HTTP, basic auth and bearer tokens), and
 * OpenSSH's sshd with a test host key, a test user key and known_hosts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../base/base.h"
#include "../../gitops/gitops.h"
#include "gitfix.h"
#include "test.h"

static int open_and_read(kd_git_repo **r, const char *spec, const kd_git_options *o)
{
	kd_git_source s;
	int rc = kd_git_source_parse(&s, spec);
	if (rc)
		return rc;
	rc = kd_git_open(r, &s, o);
	if (rc == 0) {
		kd_git_tree *t = NULL;
		rc = kd_git_read_tree(&t, *r, s.path, o);
		if (rc == 0 && t->nfiles != 3)
			rc = kd_error_set(KD_ERR_GIT, "want 3 files, read %zu", t->nfiles);
		kd_git_tree_free(t);
		if (rc) {
			kd_git_repo_free(*r);
			*r = NULL;
		}
	}
	kd_git_source_clear(&s);
	return rc;
}

/* Opens spec and checks the commit it resolves to; returns the rc. */
static int expect_commit(const char *spec, const kd_git_options *o, const char *rev)
{
	kd_git_repo *r = NULL;
	int rc = open_and_read(&r, spec, o);
	if (!CHECK_INT(rc, 0)) {
		fprintf(stderr, "    %s\n", spec);
		return rc;
	}
	if (!CHECK_STR(kd_git_commit(r), kd_gitfix_rev(rev))) {
		fprintf(stderr, "    %s\n", spec);
		rc = KD_ERROR;
	}
	kd_git_repo_free(r);
	return rc;
}

TEST(git_daemon_refs_and_unreachable_server)
{
	const char *dir = kd_gitfix_dir();
	const char *tmp = kd_gitfix_newdir("gitdaemon");
	int port = kd_gitfix_free_port();
	kd_buf cmd = KD_BUF_INIT, log = KD_BUF_INIT, spec = KD_BUF_INIT;
	kd_buf_printf(&cmd, "git daemon --reuseaddr --export-all --listen=127.0.0.1 --port=%d --base-path='%s' '%s'", port,
		dir, dir);
	kd_buf_printf(&log, "%s/daemon.log", tmp);
	int pid = kd_gitfix_spawn(kd_buf_cstr(&cmd), kd_buf_cstr(&log));
	CHECK(kd_gitfix_wait_port(port));
	kd_git_options o = KD_GIT_OPTIONS_INIT;
	o.cache_dir = kd_gitfix_newdir("gitcache-daemon");
	const char *cases[][2] = {
		{"v0.1.0", "v0.1.0"}, {"dev", "dev"}, {"semver:<1", "v0.2.0"}, {NULL, "main"},
	};
	for (size_t i = 0; i < KD_ARRAY_SIZE(cases); i++) {
		kd_buf_clear(&spec);
		kd_buf_printf(&spec, "git+git://127.0.0.1:%d/repo.git//pkg%s%s", port, cases[i][0] ? "?ref=" : "",
			cases[i][0] ? cases[i][0] : "");
		expect_commit(kd_buf_cstr(&spec), &o, cases[i][1]);
	}
	kd_buf_clear(&spec);
	kd_buf_printf(&spec, "git+git://127.0.0.1:%d/repo.git//pkg?ref=%s", port, kd_gitfix_rev("v0.2.0"));
	expect_commit(kd_buf_cstr(&spec), &o, "v0.2.0");
	kd_gitfix_kill(pid);

	/* the server is gone: one clear error naming the source */
	kd_git_repo *r = NULL;
	kd_buf_clear(&spec);
	kd_buf_printf(&spec, "git+git://127.0.0.1:%d/repo.git//pkg?ref=v0.1.0", port);
	CHECK(open_and_read(&r, kd_buf_cstr(&spec), &o) != 0);
	const char *e = kd_error_last();
	CHECK(e && strstr(e, kd_buf_cstr(&spec)) && strstr(e, "cannot reach the repository"));
	kd_buf_free(&cmd);
	kd_buf_free(&log);
	kd_buf_free(&spec);
}

typedef struct {
	int pid, port;
} server;

static server start_httpd(const char *name, const char *extra)
{
	server s = {-1, -1};
	const char *tmp = kd_gitfix_newdir(name);
	kd_buf cmd = KD_BUF_INIT, log = KD_BUF_INIT, pf = KD_BUF_INIT;
	kd_buf_printf(&pf, "%s/port", tmp);
	kd_buf_printf(&log, "%s/httpd.log", tmp);
	kd_buf_printf(&cmd, "python3 '%s/tests/git/httpd.py' --port-file '%s' --git-root '%s' %s", kd_test_root(),
		kd_buf_cstr(&pf), kd_gitfix_dir(), extra);
	s.pid = kd_gitfix_spawn(kd_buf_cstr(&cmd), kd_buf_cstr(&log));
	if (CHECK(kd_gitfix_wait_file(kd_buf_cstr(&pf))))
		s.port = atoi(kd_gitfix_read(kd_buf_cstr(&pf)));
	kd_buf_free(&cmd);
	kd_buf_free(&log);
	kd_buf_free(&pf);
	return s;
}

static void clear_env(void)
{
	unsetenv(KD_GIT_ENV_USERNAME);
	unsetenv(KD_GIT_ENV_PASSWORD);
	unsetenv(KD_GIT_ENV_TOKEN);
}

TEST(git_smart_http_with_basic_auth_and_tokens)
{
	server s = start_httpd("githttp", "--user alice --password 'pw-Xy9#q'");
	kd_git_options o = KD_GIT_OPTIONS_INIT;
	o.cache_dir = kd_gitfix_newdir("gitcache-http");
	kd_buf spec = KD_BUF_INIT;
	kd_buf_printf(&spec, "git+http://127.0.0.1:%d/git/repo.git//pkg?ref=semver:~0.1", s.port);
	kd_git_repo *r = NULL;

	/* no credentials: the error says how to give them */
	clear_env();
	CHECK_INT(open_and_read(&r, kd_buf_cstr(&spec), &o), KD_EAUTH);
	const char *e = kd_error_last();
	CHECK(e && strstr(e, "asks for credentials") && strstr(e, KD_GIT_ENV_USERNAME));

	/* wrong password: refused, and the password is not in the message */
	setenv(KD_GIT_ENV_USERNAME, "alice", 1);
	setenv(KD_GIT_ENV_PASSWORD, "wrong-Secret-77", 1);
	CHECK_INT(open_and_read(&r, kd_buf_cstr(&spec), &o), KD_EAUTH);
	e = kd_error_last();
	CHECK(e && strstr(e, "refused the credentials from " KD_GIT_ENV_USERNAME));
	CHECK(e && !strstr(e, "wrong-Secret-77"));

	/* right ones from the environment */
	setenv(KD_GIT_ENV_PASSWORD, "pw-Xy9#q", 1);
	expect_commit(kd_buf_cstr(&spec), &o, "v0.1.0");

	/* from a credentials file */
	clear_env();
	kd_buf cf = KD_BUF_INIT, line = KD_BUF_INIT;
	kd_buf_printf(&cf, "%s/creds", kd_gitfix_newdir("githttp-creds"));
	kd_buf_printf(&line, "# test\nhttp://alice:pw-Xy9%%23q@127.0.0.1:%d/git\n", s.port);
	kd_test_write_file(kd_buf_cstr(&cf), kd_buf_cstr(&line), 0600);
	kd_git_options of = o;
	of.credentials_file = kd_buf_cstr(&cf);
	kd_buf_clear(&spec);
	kd_buf_printf(&spec, "git+http://127.0.0.1:%d/git/repo.git//pkg?ref=dev", s.port);
	expect_commit(kd_buf_cstr(&spec), &of, "dev");

	/* in the URL: used, and gone from every string kudoc keeps */
	kd_buf_clear(&spec);
	kd_buf_printf(&spec, "git+http://alice:pw-Xy9%%23q@127.0.0.1:%d/git/repo.git//pkg?ref=v0.2.0", s.port);
	expect_commit(kd_buf_cstr(&spec), &o, "v0.2.0");
	kd_buf_clear(&spec);
	kd_buf_printf(&spec, "git+http://alice:bad-Pass-1@127.0.0.1:%d/git/repo.git//pkg?ref=v0.2.0", s.port);
	kd_git_source src;
	CHECK_INT(kd_git_source_parse(&src, kd_buf_cstr(&spec)), 0);
	char *str = kd_git_source_string(&src);
	CHECK(!strstr(str, "bad-Pass-1") && !strstr(str, "alice"));
	free(str);
	CHECK_INT(kd_git_open(&r, &src, &o), KD_EAUTH);
	CHECK(kd_error_last() && !strstr(kd_error_last(), "bad-Pass-1"));
	kd_git_source_clear(&src);
	kd_gitfix_kill(s.pid);
	kd_buf_free(&cf);
	kd_buf_free(&line);

	/* a bearer token */
	server t = start_httpd("githttp-token", "--token tok-ABC-123");
	kd_buf_clear(&spec);
	kd_buf_printf(&spec, "git+http://127.0.0.1:%d/git/repo.git//pkg?ref=v1.0.0", t.port);
	setenv(KD_GIT_ENV_TOKEN, "tok-ABC-123", 1);
	expect_commit(kd_buf_cstr(&spec), &o, "v1.0.0");
	setenv(KD_GIT_ENV_TOKEN, "tok-WRONG-9", 1);
	kd_git_options o2 = o;
	o2.cache_dir = kd_gitfix_newdir("gitcache-http-token");
	CHECK_INT(open_and_read(&r, kd_buf_cstr(&spec), &o2), KD_EAUTH);
	CHECK(kd_error_last() && strstr(kd_error_last(), "refused the token from " KD_GIT_ENV_TOKEN));
	CHECK(kd_error_last() && !strstr(kd_error_last(), "tok-WRONG-9"));
	clear_env();
	kd_gitfix_kill(t.pid);
	kd_buf_free(&spec);
}

/* Restores an environment variable saved by save_env (NULL: it was unset). */
static char *save_env(const char *name)
{
	const char *v = getenv(name);
	return v ? kd_strdup(v) : NULL;
}

static void restore_env(const char *name, char *saved)
{
	if (saved)
		setenv(name, saved, 1);
	else
		unsetenv(name);
	free(saved);
}

/* git's smart HTTP over TLS: a certificate for 127.0.0.1 from a test CA. libgit2 (mbedTLS in
 * Debian's build) does not read SSL_CERT_FILE itself; kudoc hands it over per https fetch, so a
 * private CA is trusted the same way for git and for KUDO repositories. */
TEST(git_smart_https_with_a_private_ca)
{
	const char *tls = kd_gitfix_tls();
	kd_buf extra = KD_BUF_INIT, spec = KD_BUF_INIT, want = KD_BUF_INIT, ca = KD_BUF_INIT, other = KD_BUF_INIT;
	kd_buf_printf(&extra, "--user alice --password 'pw-Tls-5' --tls-cert '%s/server.pem' --tls-key '%s/server.key'", tls, tls);
	kd_buf_printf(&ca, "%s/ca.pem", tls);
	kd_buf_printf(&other, "%s/other-ca.pem", tls);
	server s = start_httpd("githttps", kd_buf_cstr(&extra));
	char *file = save_env("SSL_CERT_FILE"), *dir = save_env("SSL_CERT_DIR");
	unsetenv("SSL_CERT_DIR");
	kd_git_options o = KD_GIT_OPTIONS_INIT;
	o.cache_dir = kd_gitfix_newdir("gitcache-https");
	kd_buf_printf(&spec, "git+https://127.0.0.1:%d/git/repo.git//pkg?ref=v0.2.0", s.port);
	kd_git_repo *r = NULL;
	clear_env();
	setenv(KD_GIT_ENV_USERNAME, "alice", 1);
	setenv(KD_GIT_ENV_PASSWORD, "pw-Tls-5", 1);

	/* a CA that signed nothing here: refused before any credentials are sent */
	setenv("SSL_CERT_FILE", kd_buf_cstr(&other), 1);
	CHECK_INT(open_and_read(&r, kd_buf_cstr(&spec), &o), KD_EAUTH);
	const char *e = kd_error_last();
	kd_buf_printf(&want, "the TLS certificate of 127.0.0.1:%d is not trusted: no CA in SSL_CERT_FILE %s signed it", s.port,
		kd_buf_cstr(&other));
	if (!CHECK(e && strstr(e, kd_buf_cstr(&want)) && strstr(e, kd_buf_cstr(&spec))))
		fprintf(stderr, "    %s\n", e ? e : "(no error)");
	CHECK(e && !strstr(e, "pw-Tls-5"));
	kd_buf log = KD_BUF_INIT;
	kd_buf_printf(&log, "%s/githttps/httpd.log", kd_test_tmpdir());
	CHECK(strstr(kd_gitfix_read(kd_buf_cstr(&log)), "/git/repo.git") == NULL); /* no request got through */

	/* the test CA: the fetch goes ahead, with the credentials */
	setenv("SSL_CERT_FILE", kd_buf_cstr(&ca), 1);
	expect_commit(kd_buf_cstr(&spec), &o, "v0.2.0");
	kd_buf_clear(&spec);
	kd_buf_printf(&spec, "git+https://127.0.0.1:%d/git/repo.git//pkg?ref=semver:~0.1", s.port);
	expect_commit(kd_buf_cstr(&spec), &o, "v0.1.0");

	/* and the option follows the environment: back to the wrong CA, refused again */
	setenv("SSL_CERT_FILE", kd_buf_cstr(&other), 1);
	kd_git_options o2 = o;
	o2.cache_dir = kd_gitfix_newdir("gitcache-https2");
	CHECK_INT(open_and_read(&r, kd_buf_cstr(&spec), &o2), KD_EAUTH);
	CHECK(kd_error_last() && strstr(kd_error_last(), "is not trusted: no CA in SSL_CERT_FILE"));

	/* a CA file that is not a certificate */
	kd_buf_clear(&other);
	kd_buf_printf(&other, "%s/ext", tls);
	setenv("SSL_CERT_FILE", kd_buf_cstr(&other), 1);
	CHECK(open_and_read(&r, kd_buf_cstr(&spec), &o2) != 0);
	CHECK(kd_error_last() && strstr(kd_error_last(), "cannot load the CA certificates of SSL_CERT_FILE"));

	clear_env();
	restore_env("SSL_CERT_FILE", file);
	restore_env("SSL_CERT_DIR", dir);
	kd_gitfix_kill(s.pid);
	kd_buf_free(&extra);
	kd_buf_free(&log);
	kd_buf_free(&spec);
	kd_buf_free(&want);
	kd_buf_free(&ca);
	kd_buf_free(&other);
}

/* libgit2 1.5's SSH transport (Debian 12) leaks about 200 bytes per connection inside libgit2
 * and libssh2 (the known_hosts list it loads for itself, its path buffers, the list of auth
 * methods): the SSH cases run in a child process that leaves without the leak check, and
 * report through its exit status. kudoc's own SSH code (credentials, host key check) frees
 * what it allocates; the other transports run under the leak check. */
static int ssh_body(void)
{
	int fails = 0;
	const char *tmp = kd_gitfix_newdir("gitssh");
	int port = kd_gitfix_free_port();
	kd_buf err = KD_BUF_INIT;
	int rc = kd_gitfix_sh(NULL, &err,
		"cd '%s' && ssh-keygen -q -t ed25519 -N '' -f host_key && ssh-keygen -q -t ed25519 -N '' -f other_host_key && "
		"ssh-keygen -q -t ed25519 -N '' -f user_key && ssh-keygen -q -t ed25519 -N '' -f stranger_key && "
		"cp user_key.pub authorized_keys && chmod 600 authorized_keys && mkdir -p /run/sshd && "
		"printf '[127.0.0.1]:%d %%s\\n' \"$(cut -d' ' -f1,2 host_key.pub)\" > known_hosts && "
		"printf '[127.0.0.1]:%d %%s\\n' \"$(cut -d' ' -f1,2 other_host_key.pub)\" > known_hosts_changed && "
		"printf 'Port %d\\nListenAddress 127.0.0.1\\nHostKey %s/host_key\\nPidFile %s/sshd.pid\\n"
		"AuthorizedKeysFile %s/authorized_keys\\nStrictModes no\\nUsePAM no\\nPasswordAuthentication no\\n"
		"KbdInteractiveAuthentication no\\nPubkeyAuthentication yes\\nPermitRootLogin prohibit-password\\n' > sshd_config",
		tmp, port, port, port, tmp, tmp, tmp);
	if (!CHECK_INT(rc, 0) && ++fails)
		fprintf(stderr, "    %s\n", kd_buf_cstr(&err));
	kd_buf cmd = KD_BUF_INIT, log = KD_BUF_INIT, spec = KD_BUF_INIT, f = KD_BUF_INIT;
	kd_buf_printf(&cmd, "/usr/sbin/sshd -D -e -f '%s/sshd_config'", tmp);
	kd_buf_printf(&log, "%s/sshd.log", tmp);
	int pid = kd_gitfix_spawn(kd_buf_cstr(&cmd), kd_buf_cstr(&log));
	if (!CHECK(kd_gitfix_wait_port(port)) && ++fails)
		fprintf(stderr, "    sshd: %s\n", kd_gitfix_read(kd_buf_cstr(&log)));
	kd_buf key = KD_BUF_INIT, kh = KD_BUF_INIT, khc = KD_BUF_INIT, stranger = KD_BUF_INIT;
	kd_buf_printf(&key, "%s/user_key", tmp);
	kd_buf_printf(&kh, "%s/known_hosts", tmp);
	kd_buf_printf(&khc, "%s/known_hosts_changed", tmp);
	kd_buf_printf(&stranger, "%s/stranger_key", tmp);
	kd_git_options o = KD_GIT_OPTIONS_INIT;
	o.cache_dir = kd_gitfix_newdir("gitcache-ssh");
	o.ssh_key = kd_buf_cstr(&key);
	o.known_hosts = kd_buf_cstr(&kh);
	unsetenv("SSH_AUTH_SOCK");
	struct passwd *pw = getpwuid(getuid());
	kd_buf_printf(&spec, "git+ssh://%s@127.0.0.1:%d%s/repo.git//pkg?ref=v0.2.0", pw ? pw->pw_name : "root", port,
		kd_gitfix_dir());
	fails += expect_commit(kd_buf_cstr(&spec), &o, "v0.2.0") != 0;

	/* the fingerprint ssh-keygen prints for the host key */
	kd_buf fp = KD_BUF_INIT;
	kd_gitfix_sh(&fp, NULL, "ssh-keygen -lf '%s/host_key.pub' | awk '{printf \"%%s\", $2}'", tmp);
	kd_git_repo *r = NULL;
	kd_git_options oc = o;
	oc.known_hosts = kd_buf_cstr(&khc);
	oc.cache_dir = kd_gitfix_newdir("gitcache-ssh2");
	fails += !CHECK_INT(open_and_read(&r, kd_buf_cstr(&spec), &oc), KD_EAUTH);
	const char *e = kd_error_last();
	kd_buf_printf(&f, "the host key of 127.0.0.1:%d does not match known_hosts", port);
	if (!CHECK(e && strstr(e, kd_buf_cstr(&f)) && strstr(e, kd_buf_cstr(&fp))) && ++fails)
		fprintf(stderr, "    fingerprint %s\n", kd_buf_cstr(&fp));

	/* an unknown host */
	kd_buf empty = KD_BUF_INIT;
	kd_buf_printf(&empty, "%s/known_hosts_empty", tmp);
	kd_test_write_file(kd_buf_cstr(&empty), "", 0600);
	oc.known_hosts = kd_buf_cstr(&empty);
	fails += !CHECK_INT(open_and_read(&r, kd_buf_cstr(&spec), &oc), KD_EAUTH);
	e = kd_error_last();
	kd_buf_clear(&f);
	kd_buf_printf(&f, "host 127.0.0.1:%d is not in known_hosts", port);
	fails += !CHECK(e && strstr(e, kd_buf_cstr(&f)) && strstr(e, kd_buf_cstr(&fp)));

	/* a key the server does not know */
	oc.known_hosts = kd_buf_cstr(&kh);
	oc.ssh_key = kd_buf_cstr(&stranger);
	fails += !CHECK_INT(open_and_read(&r, kd_buf_cstr(&spec), &oc), KD_EAUTH);
	e = kd_error_last();
	fails += !CHECK(e && strstr(e, "refused the SSH key"));

	/* no key file: the keys of ssh-agent (one of our own, on a socket in the scratch folder) */
	kd_buf sock = KD_BUF_INIT, alog = KD_BUF_INIT, acmd = KD_BUF_INIT;
	kd_buf_printf(&sock, "%s/agent.sock", tmp);
	kd_buf_printf(&alog, "%s/agent.log", tmp);
	kd_buf_printf(&acmd, "ssh-agent -D -a '%s'", kd_buf_cstr(&sock));
	int agent = kd_gitfix_spawn(kd_buf_cstr(&acmd), kd_buf_cstr(&alog));
	fails += !CHECK(kd_gitfix_wait_file(kd_buf_cstr(&sock)));
	kd_buf_clear(&err);
	rc = kd_gitfix_sh(NULL, &err, "SSH_AUTH_SOCK='%s' ssh-add '%s'", kd_buf_cstr(&sock), kd_buf_cstr(&key));
	if (!CHECK_INT(rc, 0) && ++fails)
		fprintf(stderr, "    ssh-add: %s\n", kd_buf_cstr(&err));
	setenv("SSH_AUTH_SOCK", kd_buf_cstr(&sock), 1);
	kd_git_options oa = o;
	oa.ssh_key = NULL;
	oa.cache_dir = kd_gitfix_newdir("gitcache-ssh-agent");
	fails += expect_commit(kd_buf_cstr(&spec), &oa, "v0.2.0") != 0;
	kd_buf_clear(&spec);
	kd_buf_printf(&spec, "git+ssh://%s@127.0.0.1:%d%s/repo.git//pkg?ref=v1.0.0", pw ? pw->pw_name : "root", port,
		kd_gitfix_dir());
	fails += expect_commit(kd_buf_cstr(&spec), &oa, "v1.0.0") != 0;
	/* the agent holds no key: one clear error */
	kd_gitfix_sh(NULL, NULL, "SSH_AUTH_SOCK='%s' ssh-add -D", kd_buf_cstr(&sock));
	oa.cache_dir = kd_gitfix_newdir("gitcache-ssh-agent2");
	fails += !CHECK_INT(open_and_read(&r, kd_buf_cstr(&spec), &oa), KD_EAUTH);
	e = kd_error_last();
	kd_buf_clear(&f);
	kd_buf_printf(&f, "127.0.0.1:%d refused the SSH keys of ssh-agent (SSH_AUTH_SOCK) for user %s, or the agent holds none",
		port, pw ? pw->pw_name : "root");
	if (!CHECK(e && strstr(e, kd_buf_cstr(&f))) && ++fails)
		fprintf(stderr, "    %s\n", e ? e : "(no error)");
	/* and without an agent or a key file, the error says how to give one */
	unsetenv("SSH_AUTH_SOCK");
	fails += !CHECK_INT(open_and_read(&r, kd_buf_cstr(&spec), &oa), KD_EAUTH);
	e = kd_error_last();
	fails += !CHECK(e && strstr(e, "wants an SSH key: give --git-ssh-key FILE or start ssh-agent (SSH_AUTH_SOCK)"));
	kd_gitfix_kill(agent);
	kd_buf_free(&sock);
	kd_buf_free(&alog);
	kd_buf_free(&acmd);
	kd_gitfix_kill(pid);
	kd_buf_free(&cmd);
	kd_buf_free(&log);
	kd_buf_free(&spec);
	kd_buf_free(&f);
	kd_buf_free(&err);
	kd_buf_free(&key);
	kd_buf_free(&kh);
	kd_buf_free(&khc);
	kd_buf_free(&stranger);
	kd_buf_free(&fp);
	kd_buf_free(&empty);
	return fails;
}

TEST(git_ssh_with_keys_and_known_hosts)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		_exit(ssh_body() ? 1 : 0);
	int st = 0;
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
