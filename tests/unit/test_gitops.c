/* gitops: the source parser, and fetching from file:// repositories (the servers are in
 * test_git_servers.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../base/base.h"
#include "../../gitops/gitops.h"
#include "../../gitops/gitops_internal.h"
#include "gitfix.h"
#include "test.h"

TEST(gitops_source_parse)
{
	kd_git_source s;
	CHECK_INT(kd_git_source_parse(&s, "git+https://Host.Example/org/repo.git//path/to/op?ref=v1.2.0"), 0);
	CHECK_STR(s.url, "https://host.example/org/repo.git");
	CHECK_STR(s.path, "path/to/op");
	CHECK_STR(s.ref, "v1.2.0");
	kd_git_source_clear(&s);

	CHECK_INT(kd_git_source_parse(&s, "git+ssh://git@host:2222/org/repo.git//op?ref=main"), 0);
	CHECK_STR(s.url, "ssh://git@host:2222/org/repo.git");
	CHECK_STR(s.path, "op");
	CHECK(s.user == NULL && s.password == NULL);
	kd_git_source_clear(&s);

	CHECK_INT(kd_git_source_parse(&s, "git+file:///srv/repo.git//a/./b/"), 0);
	CHECK_STR(s.url, "file:///srv/repo.git");
	CHECK_STR(s.path, "a/b");
	CHECK(s.ref == NULL);
	kd_git_source_clear(&s);

	CHECK_INT(kd_git_source_parse(&s, "git+git://127.0.0.1:9418/repo.git"), 0);
	CHECK_STR(s.path, "");
	kd_git_source_clear(&s);

	/* credentials leave the URL and never reach a string kudoc prints */
	CHECK_INT(kd_git_source_parse(&s, "git+https://alice:s3cr%40t@host/r.git//p?ref=semver:%3E%3D1.0%20%3C2"), 0);
	CHECK_STR(s.url, "https://host/r.git");
	CHECK_STR(s.user, "alice");
	CHECK_STR(s.password, "s3cr@t");
	CHECK_STR(s.ref, "semver:>=1.0 <2");
	char *str = kd_git_source_string(&s);
	CHECK_STR(str, "git+https://host/r.git//p?ref=semver:>=1.0%20<2");
	free(str);
	kd_git_source_clear(&s);

	const char *bad[][2] = {
		{"git+ftp://host/r.git", "unsupported scheme \"ftp\""},
		{"git+https://host", "no repository path"},
		{"git+https://host/r.git//../x", "goes up with \"..\""},
		{"git+https://host/r.git?ref=", "empty ref"},
		{"git+https://host/r.git?rev=main", "unknown query parameter \"rev\""},
		{"git+ssh://u:pw@host/r.git", "passwords in ssh URLs are not supported"},
		{"git+git@host:org/r.git", "must be a URL"},
		{"git+https://u:hunter2@host/r.git?x=1", "unknown query parameter"},
	};
	for (size_t i = 0; i < KD_ARRAY_SIZE(bad); i++) {
		CHECK_INT(kd_git_source_parse(&s, bad[i][0]), KD_EINVALID);
		const char *e = kd_error_last();
		if (!CHECK(e && strstr(e, bad[i][1])))
			fprintf(stderr, "    %s: %s\n", bad[i][0], e ? e : "(none)");
		CHECK(e && !strstr(e, "hunter2"));
	}

	CHECK_INT(kd_git_source_from_flags(&s, "/srv/repo.git", "main", "/op/"), 0);
	CHECK_STR(s.url, "file:///srv/repo.git");
	CHECK_STR(s.path, "op");
	CHECK_STR(s.ref, "main");
	kd_git_source_clear(&s);
	CHECK_INT(kd_git_source_from_flags(&s, "git+https://h/r.git", NULL, NULL), 0);
	CHECK_STR(s.url, "https://h/r.git");
	CHECK_STR(s.path, "");
	kd_git_source_clear(&s);
	CHECK_INT(kd_git_source_from_flags(&s, "https://h/r.git?ref=x", NULL, NULL), KD_EINVALID);
}

static kd_git_source file_source(const char *path, const char *ref)
{
	kd_git_source s;
	kd_buf url = KD_BUF_INIT;
	kd_buf_printf(&url, "%s/repo.git", kd_gitfix_dir());
	if (kd_git_source_from_flags(&s, kd_buf_cstr(&url), ref, path) != 0)
		memset(&s, 0, sizeof s);
	kd_buf_free(&url);
	return s;
}

static const kd_git_file *find(const kd_git_tree *t, const char *path)
{
	for (size_t i = 0; t && i < t->nfiles; i++)
		if (strcmp(t->files[i].path, path) == 0)
			return &t->files[i];
	return NULL;
}

TEST(gitops_file_refs_resolve_to_their_commits)
{
	kd_git_options o = KD_GIT_OPTIONS_INIT;
	o.cache_dir = kd_gitfix_newdir("gitcache-refs");
	struct {
		const char *ref, *rev, *resolved, *version;
	} cases[] = {
		{NULL, "main", "refs/heads/main", "1.0.0"},
		{"v0.1.0", "v0.1.0", "refs/tags/v0.1.0", "0.1.0"}, /* annotated tag, peeled */
		{"v0.2.0", "v0.2.0", "refs/tags/v0.2.0", "0.2.0"},
		{"dev", "dev", "refs/heads/dev", "1.1.0-rc.1"},
		{"semver:~0.1", "v0.1.0", "refs/tags/v0.1.0", "0.1.0"},
		{"semver:>=0.1.0 <1.0.0", "v0.2.0", "refs/tags/v0.2.0", "0.2.0"},
		{"semver:^1.0", "v1.0.0", "refs/tags/v1.0.0", "1.0.0"}, /* the -rc.1 prerelease is not picked */
		{"semver:>=1.1.0-rc.0", "v1.1.0-rc.1", "refs/tags/v1.1.0-rc.1", "1.1.0-rc.1"},
	};
	for (size_t i = 0; i < KD_ARRAY_SIZE(cases); i++) {
		kd_git_source s = file_source("pkg", cases[i].ref);
		kd_git_repo *r = NULL;
		if (!CHECK_INT(kd_git_open(&r, &s, &o), 0)) {
			kd_git_source_clear(&s);
			continue;
		}
		CHECK_STR(kd_git_commit(r), kd_gitfix_rev(cases[i].rev));
		CHECK_STR(kd_git_resolved_ref(r), cases[i].resolved);
		kd_git_tree *t = NULL;
		CHECK_INT(kd_git_read_tree(&t, r, "pkg", &o), 0);
		const kd_git_file *op = find(t, "operator.yaml");
		kd_buf want = KD_BUF_INIT;
		kd_buf_printf(&want, "operatorVersion: %s\n", cases[i].version);
		if (!CHECK(op && strstr(op->data, kd_buf_cstr(&want))))
			fprintf(stderr, "    ref %s\n", cases[i].ref ? cases[i].ref : "(HEAD)");
		CHECK(find(t, "templates/cm.yaml") != NULL);
		CHECK(find(t, ".hidden") == NULL);
		kd_buf_free(&want);
		kd_git_tree_free(t);
		kd_git_repo_free(r);
		kd_git_source_clear(&s);
	}

	/* a commit id: once cached, no network (the repository may even be gone) */
	const char *c2 = kd_gitfix_rev("v0.2.0");
	kd_git_source s = file_source("pkg", c2);
	kd_git_repo *r = NULL;
	CHECK_INT(kd_git_open(&r, &s, &o), 0);
	CHECK_STR(r ? kd_git_commit(r) : NULL, c2);
	CHECK(r && kd_git_resolved_ref(r) == NULL);
	char *data = NULL;
	size_t len = 0;
	CHECK_INT(r ? kd_git_read_file(&data, &len, r, "values/prod.yaml", 0) : -1, 0);
	CHECK_STR(data, "greeting: from-git\n");
	free(data);
	kd_git_repo_free(r);
	kd_git_source_clear(&s);
}

TEST(gitops_file_errors)
{
	kd_git_options o = KD_GIT_OPTIONS_INIT;
	o.cache_dir = kd_gitfix_newdir("gitcache-errors");
	kd_git_source s = file_source("pkg", "nope");
	kd_git_repo *r = NULL;
	CHECK_INT(kd_git_open(&r, &s, &o), KD_ENOTFOUND);
	const char *e = kd_error_last();
	CHECK(e && strstr(e, "no branch or tag \"nope\""));
	CHECK(e && strstr(e, "branches: dev, main"));
	CHECK(e && strstr(e, "tags: v0.1.0, v0.2.0, v1.0.0, v1.1.0-rc.1"));
	kd_git_source_clear(&s);

	s = file_source("pkg", "semver:>=5");
	CHECK_INT(kd_git_open(&r, &s, &o), KD_ENOTFOUND);
	CHECK(kd_error_last() && strstr(kd_error_last(), "no tag matches semver:>=5"));
	kd_git_source_clear(&s);

	s = file_source("pkg", "0123456789012345678901234567890123456789");
	CHECK_INT(kd_git_open(&r, &s, &o), KD_ENOTFOUND);
	CHECK(kd_error_last() && strstr(kd_error_last(), "is not on any branch or tag"));
	kd_git_source_clear(&s);

	kd_buf url = KD_BUF_INIT;
	kd_buf_printf(&url, "%s/missing.git", kd_gitfix_dir());
	CHECK_INT(kd_git_source_from_flags(&s, kd_buf_cstr(&url), NULL, NULL), 0);
	CHECK(kd_git_open(&r, &s, &o) != 0);
	CHECK(kd_error_last() && strstr(kd_error_last(), "cannot reach the repository"));
	kd_git_source_clear(&s);
	kd_buf_free(&url);

	s = file_source("", NULL);
	CHECK_INT(kd_git_open(&r, &s, &o), 0);
	kd_git_tree *t = NULL;
	CHECK_INT(kd_git_read_tree(&t, r, "evil", &o), KD_EINVALID);
	e = kd_error_last();
	CHECK(e && strstr(e, "symbolic link evil/templates/leak.yaml -> ../../../../../etc/passwd leaves the package folder"));
	CHECK_INT(kd_git_read_tree(&t, r, "linked", &o), 0); /* a link inside the package is read as its file */
	const kd_git_file *cm = find(t, "templates/cm.yaml");
	CHECK(cm && strstr(cm->data, "kind: ConfigMap"));
	kd_git_tree_free(t);
	CHECK_INT(kd_git_read_tree(&t, r, "nothere", &o), KD_ENOTFOUND);
	CHECK(kd_error_last() && strstr(kd_error_last(), "no folder nothere at commit"));
	char *data = NULL;
	CHECK_INT(kd_git_read_file(&data, NULL, r, "values/outside.yaml", 0), 0); /* inside the repository */
	CHECK(data && strstr(data, "greeting"));
	free(data);
	data = NULL;
	CHECK_INT(kd_git_read_file(&data, NULL, r, "evil/templates/leak.yaml", 0), KD_EINVALID);
	CHECK(kd_error_last() && strstr(kd_error_last(), "leaves the repository"));
	/* caps */
	kd_git_options small = o;
	small.max_file_size = 100;
	CHECK_INT(kd_git_read_tree(&t, r, "pkg", &small), KD_ELIMIT);
	CHECK(kd_error_last() && strstr(kd_error_last(), "over the cap of 100"));
	small = o;
	small.max_files = 2;
	CHECK_INT(kd_git_read_tree(&t, r, "pkg", &small), KD_ELIMIT);
	CHECK(kd_error_last() && strstr(kd_error_last(), "more than 2 files"));
	small = o;
	small.max_total_size = 400;
	CHECK_INT(kd_git_read_tree(&t, r, "pkg", &small), KD_ELIMIT);
	kd_git_repo_free(r);
	kd_git_source_clear(&s);
}

/* Two processes fetching into one empty cache entry at once both succeed. */
TEST(gitops_concurrent_fetches_share_the_cache)
{
	kd_git_options o = KD_GIT_OPTIONS_INIT;
	o.cache_dir = kd_gitfix_newdir("gitcache-concurrent");
	pid_t kids[2];
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			kd_git_source s = file_source("pkg", k ? "v0.2.0" : "dev");
			kd_git_repo *r = NULL;
			kd_git_tree *t = NULL;
			int rc = kd_git_open(&r, &s, &o);
			if (rc == 0)
				rc = kd_git_read_tree(&t, r, "pkg", &o);
			if (rc)
				fprintf(stderr, "child %d: %s\n", k, kd_error_last());
			_exit(rc == 0 && t && t->nfiles == 3 ? 0 : 1);
		}
	}
	for (int k = 0; k < 2; k++) {
		int st = 0;
		CHECK(waitpid(kids[k], &st, 0) == kids[k]);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	/* and the cache holds one repository with both refs */
	kd_buf out = KD_BUF_INIT;
	CHECK_INT(kd_gitfix_sh(&out, NULL, "git -C '%s'/*.git show-ref | awk '{print $2}' | sort | tr '\\n' ' '", o.cache_dir), 0);
	CHECK_STR(kd_buf_cstr(&out), "refs/heads/dev refs/tags/v0.2.0 ");
	kd_buf_free(&out);
}

TEST(gitops_known_hosts)
{
	const char *dir = kd_gitfix_newdir("knownhosts");
	kd_buf kh = KD_BUF_INIT, key = KD_BUF_INIT;
	/* an ed25519 key blob: string "ssh-ed25519", string 32 bytes */
	unsigned char blob[51] = {0, 0, 0, 11, 's', 's', 'h', '-', 'e', 'd', '2', '5', '5', '1', '9', 0, 0, 0, 32};
	for (int i = 0; i < 32; i++)
		blob[19 + i] = (unsigned char)i;
	kd_base64_encode(&key, blob, sizeof blob);
	unsigned char other[51];
	memcpy(other, blob, sizeof other);
	other[50] ^= 1;
	kd_buf okey = KD_BUF_INIT;
	kd_base64_encode(&okey, other, sizeof other);
	kd_buf_printf(&kh, "%s/known_hosts", dir);
	kd_buf text = KD_BUF_INIT;
	kd_buf_printf(&text,
		"# comment\n"
		"[127.0.0.1]:2222,other.example ssh-ed25519 %s test\n"
		"changed.example ssh-ed25519 %s\n"
		"*.wild.example,!bad.wild.example ssh-ed25519 %s\n"
		"rsaonly.example ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ==\n"
		"@revoked revoked.example ssh-ed25519 %s\n"
		"revoked.example ssh-ed25519 %s\n"
		/* ssh-keygen -H style entry for hashed.example, salt 16 bytes of 0x01 */
		"|1|AQEBAQEBAQEBAQEBAQEBAQEBAQE=|%s ssh-ed25519 %s\n",
		kd_buf_cstr(&key), kd_buf_cstr(&okey), kd_buf_cstr(&key), kd_buf_cstr(&key), kd_buf_cstr(&key),
		"HASH", kd_buf_cstr(&key));
	/* compute the hashed name with openssl so the test does not trust our HMAC alone */
	kd_buf hash = KD_BUF_INIT;
	CHECK_INT(kd_gitfix_sh(&hash, NULL,
			"printf hashed.example | openssl dgst -sha1 -mac HMAC -macopt hexkey:0101010101010101010101010101010101010101 -binary | base64"),
		0);
	while (hash.len && hash.ptr[hash.len - 1] == '\n')
		kd_buf_truncate(&hash, hash.len - 1);
	char *t = kd_buf_detach(&text);
	char *h = strstr(t, "HASH");
	kd_buf final = KD_BUF_INIT;
	kd_buf_put(&final, t, (size_t)(h - t));
	kd_buf_put(&final, hash.ptr, hash.len);
	kd_buf_puts(&final, h + 4);
	kd_test_write_file(kd_buf_cstr(&kh), kd_buf_cstr(&final), 0600);
	struct {
		const char *host;
		int port;
		const unsigned char *k;
		kd_kh_verdict want;
	} cases[] = {
		{"127.0.0.1", 2222, blob, KD_KH_OK},
		{"127.0.0.1", 22, blob, KD_KH_UNKNOWN}, /* the port is part of the name */
		{"OTHER.example", 22, blob, KD_KH_OK},
		{"changed.example", 22, blob, KD_KH_MISMATCH},
		{"a.wild.example", 22, blob, KD_KH_OK},
		{"bad.wild.example", 22, blob, KD_KH_UNKNOWN},
		{"rsaonly.example", 22, blob, KD_KH_OTHER},
		{"revoked.example", 22, blob, KD_KH_REVOKED},
		{"hashed.example", 22, blob, KD_KH_OK},
		{"hashed.example", 22, other, KD_KH_MISMATCH},
		{"nowhere.example", 22, blob, KD_KH_UNKNOWN},
	};
	for (size_t i = 0; i < KD_ARRAY_SIZE(cases); i++) {
		kd_kh_verdict v;
		char where[600];
		CHECK_INT(kd_git__known_hosts_check(&v, where, sizeof where, kd_buf_cstr(&kh), cases[i].host, cases[i].port,
				  cases[i].k, sizeof blob),
			0);
		if (!CHECK_INT(v, cases[i].want))
			fprintf(stderr, "    host %s:%d\n", cases[i].host, cases[i].port);
	}
	char fp[80];
	kd_git__fingerprint(fp, sizeof fp, blob, sizeof blob);
	kd_buf want = KD_BUF_INIT;
	CHECK_INT(kd_gitfix_sh(&want, NULL, "echo 'x ssh-ed25519 %s' | cut -d' ' -f2- | ssh-keygen -lf - | awk '{print $2}'", kd_buf_cstr(&key)), 0);
	while (want.len && want.ptr[want.len - 1] == '\n')
		kd_buf_truncate(&want, want.len - 1);
	CHECK_STR(fp, kd_buf_cstr(&want));
	kd_buf_free(&want);
	free(t);
	kd_buf_free(&final);
	kd_buf_free(&hash);
	kd_buf_free(&kh);
	kd_buf_free(&key);
	kd_buf_free(&okey);
}

TEST(gitops_credentials_file)
{
	const char *dir = kd_gitfix_newdir("creds");
	kd_buf f = KD_BUF_INIT;
	kd_buf_printf(&f, "%s/creds", dir);
	kd_test_write_file(kd_buf_cstr(&f),
		"# git-credential-store format\n"
		"https://bob:p%40ss@git.example\n"
		"http://carol:pw2@127.0.0.1:8080/team\n",
		0600);
	kd_git__url_parts u;
	char *user = NULL, *pass = NULL;
	CHECK_INT(kd_git__url_split(&u, "https://git.example/org/r.git"), 0);
	CHECK_INT(kd_git__creds_lookup(&user, &pass, kd_buf_cstr(&f), &u), 0);
	CHECK_STR(user, "bob");
	CHECK_STR(pass, "p@ss");
	free(user);
	free(pass);
	CHECK_INT(kd_git__url_split(&u, "http://127.0.0.1:8080/team/r.git"), 0);
	CHECK_INT(kd_git__creds_lookup(&user, &pass, kd_buf_cstr(&f), &u), 0);
	CHECK_STR(user, "carol");
	free(user);
	free(pass);
	CHECK_INT(kd_git__url_split(&u, "http://127.0.0.1:8080/other/r.git"), 0);
	CHECK_INT(kd_git__creds_lookup(&user, &pass, kd_buf_cstr(&f), &u), KD_ENOTFOUND);
	kd_test_write_file(kd_buf_cstr(&f), "https://secretword@host\n", 0600);
	CHECK_INT(kd_git__creds_lookup(&user, &pass, kd_buf_cstr(&f), &u), KD_EINVALID);
	CHECK(kd_error_last() && strstr(kd_error_last(), ":1: want https://USER:PASSWORD@HOST"));
	CHECK(kd_error_last() && !strstr(kd_error_last(), "secretword"));
	kd_buf_free(&f);
}

/* URLs the credential and known_hosts lookups take apart: a scheme as RFC 3986 spells one, an
 * IPv6 host in brackets that close. "#https://..." was taken as the scheme "#https" (found by
 * fuzz_credentials: the credentials file reads that line as a comment). */
TEST(git_url_split_refuses_malformed_schemes_and_hosts)
{
	kd_git__url_parts u;
	CHECK_INT(kd_git__url_split(&u, "git+ssh://h/r.git"), 0);
	CHECK_STR(u.scheme, "git+ssh");
	CHECK_INT(kd_git__url_split(&u, "https://[::1]:8443/r.git"), 0);
	CHECK_STR(u.host, "::1");
	CHECK_INT(u.port, 8443);
	CHECK_INT(kd_git__url_split(&u, "https://[::1]/r.git"), 0);
	CHECK_INT(u.port, 443);
	const char *bad[] = {"#https://h/r.git", "://h/r.git", "1http://h/r", "ht tp://h/r", "https://[tt.j",
		"https://[::1]x/r.git", "https://[::1/r.git"};
	for (size_t i = 0; i < KD_ARRAY_SIZE(bad); i++)
		if (!CHECK_INT(kd_git__url_split(&u, bad[i]), KD_EINVALID))
			fprintf(stderr, "  %s\n", bad[i]);
	kd_error_clear();
}
