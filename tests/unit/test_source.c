/* plans/source.c: every kind of package source, through the API and through the built binary,
 * with a KUDO repository that kudoc built itself (package create + repo index) served over
 * HTTP by tests/git/httpd.py. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../base/base.h"
#include "../../operator/operator.h"
#include "../../plans/plans.h"
#include "gitfix.h"
#include "test.h"

/* The repository: DIR/repo/ with gitpkg 0.1.0, 0.2.0, 1.0.0 (appVersion 2.0.0) and small,
 * served on PORT; DIR/bad/ the same with a wrong digest for gitpkg 1.0.0. */
static const char *repo_dir;
static int repo_port = -1, repo_pid = -1;

__attribute__((destructor)) static void stop_repo(void)
{
	kd_gitfix_kill(repo_pid);
}

/* Shell assignments (or `env -u VAR ... A=B`) put right before every kubectl-kudo that kudo()
 * runs, after (so over) its own. */
static const char *kudo_env = "";

static int kudo(kd_buf *out, kd_buf *err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int kudo(kd_buf *out, kd_buf *err, const char *fmt, ...)
{
	kd_buf args = KD_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	kd_buf_vprintf(&args, fmt, ap);
	va_end(ap);
	int rc = kd_gitfix_sh(out, err,
		"cd '%s' && XDG_CONFIG_HOME='%s/config' XDG_CACHE_HOME='%s/cache' KUDOC_PACKAGES_DIR='%s/packages' %s '%s' %s",
		kd_test_root(), repo_dir, repo_dir, kd_test_root(), kudo_env, kd_test_exe(), kd_buf_cstr(&args));
	kd_buf_free(&args);
	return rc;
}

static bool setup_repo(void)
{
	if (repo_port > 0)
		return true;
	repo_dir = kd_gitfix_newdir("kudorepo");
	kd_buf err = KD_BUF_INIT, cmd = KD_BUF_INIT, log = KD_BUF_INIT, pf = KD_BUF_INIT;
	const char *tags[] = {"v0.1.0", "v0.2.0", "v1.0.0"};
	int rc = kd_gitfix_sh(NULL, &err, "mkdir -p '%s/repo' '%s/src' '%s/bad'", repo_dir, repo_dir, repo_dir);
	for (size_t i = 0; i < 3 && rc == 0; i++) {
		rc = kd_gitfix_sh(NULL, &err, "mkdir -p '%s/src/%s' && git -C '%s/repo.git' archive %s pkg | tar -x -C '%s/src/%s'",
			repo_dir, tags[i], kd_gitfix_dir(), tags[i], repo_dir, tags[i]);
		if (rc == 0)
			rc = kudo(NULL, &err, "package create '%s/src/%s/pkg' --destination '%s/repo'", repo_dir, tags[i], repo_dir);
	}
	if (rc == 0)
		rc = kudo(NULL, &err, "package create tests/packages/small -d '%s/repo'", repo_dir);
	kd_buf_printf(&pf, "%s/port", repo_dir);
	kd_buf_printf(&log, "%s/httpd.log", repo_dir);
	kd_buf_printf(&cmd, "python3 '%s/tests/git/httpd.py' --port-file '%s' --root '%s'", kd_test_root(), kd_buf_cstr(&pf),
		repo_dir);
	repo_pid = kd_gitfix_spawn(kd_buf_cstr(&cmd), kd_buf_cstr(&log));
	if (rc == 0 && kd_gitfix_wait_file(kd_buf_cstr(&pf))) {
		repo_port = atoi(kd_gitfix_read(kd_buf_cstr(&pf)));
		rc = kudo(NULL, &err, "repo index '%s/repo' --url http://127.0.0.1:%d/repo", repo_dir, repo_port);
	}
	/* the same packages, but the index lies about gitpkg 1.0.0's digest */
	if (rc == 0)
		rc = kd_gitfix_sh(NULL, &err,
			"cp '%s'/repo/*.tgz '%s/bad/' && d=$(sha256sum '%s/repo/gitpkg-2.0.0_1.0.0.tgz' | cut -c1-64) && "
			"sed \"s/$d/ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff/\" '%s/repo/index.yaml' > '%s/bad/index.yaml'",
			repo_dir, repo_dir, repo_dir, repo_dir, repo_dir);
	if (!CHECK_INT(rc, 0))
		fprintf(stderr, "    setup: %s\n", kd_buf_cstr(&err));
	kd_buf_free(&err);
	kd_buf_free(&cmd);
	kd_buf_free(&log);
	kd_buf_free(&pf);
	return rc == 0 && repo_port > 0;
}

static kd_source_options opts_with_repo(const char *which)
{
	static char cfgdir[600];
	snprintf(cfgdir, sizeof cfgdir, "%s/config-%s/kudoc", repo_dir, which);
	kd_buf text = KD_BUF_INIT, path = KD_BUF_INIT;
	kd_gitfix_sh(NULL, NULL, "mkdir -p '%s'", cfgdir);
	kd_buf_printf(&text, "repoVersion: v1\ncontext: test\nrepositories:\n- name: test\n  url: http://127.0.0.1:%d/%s\n",
		repo_port, which);
	kd_buf_printf(&path, "%s/repositories.yaml", cfgdir);
	kd_test_write_file(kd_buf_cstr(&path), kd_buf_cstr(&text), 0644);
	kd_buf_free(&text);
	kd_buf_free(&path);
	kd_source_options o = KD_SOURCE_OPTIONS_INIT;
	o.config_dir = cfgdir;
	o.cache_dir = kd_gitfix_newdir("gitcache-source");
	return o;
}

TEST(source_repository_names_newest_versions_and_digests)
{
	if (!setup_repo())
		return;
	kd_source_options o = opts_with_repo("repo");
	kd_pkg *pkg = NULL;
	kd_pkg_origin origin;
	CHECK_INT(kd_source_load(&pkg, &origin, "gitpkg", &o), 0);
	CHECK_STR(pkg ? pkg->operator_version.str : NULL, "1.0.0"); /* newest by semver */
	CHECK_STR(origin.kind, "repo");
	CHECK_STR(origin.repo, "test");
	kd_buf want = KD_BUF_INIT;
	kd_buf_printf(&want, "http://127.0.0.1:%d/repo/gitpkg-2.0.0_1.0.0.tgz", repo_port);
	CHECK_STR(origin.url, kd_buf_cstr(&want));
	CHECK(origin.digest && strlen(origin.digest) == 64);
	kd_pkg_free(pkg);
	kd_pkg_origin_clear(&origin);

	o.operator_version = "0.2.0";
	CHECK_INT(kd_source_load(&pkg, &origin, "gitpkg", &o), 0);
	CHECK_STR(pkg ? pkg->operator_version.str : NULL, "0.2.0");
	kd_pkg_free(pkg);
	kd_pkg_origin_clear(&origin);

	o.operator_version = "7.0.0";
	CHECK_INT(kd_source_load(&pkg, &origin, "gitpkg", &o), KD_ENOTFOUND);
	const char *e = kd_error_last();
	CHECK(e && strstr(e, "no operator version found for gitpkg operatorVersion 7.0.0"));
	CHECK(e && strstr(e, "(the checkout)")); /* says where it looked first */
	o.operator_version = NULL;

	CHECK_INT(kd_source_load(&pkg, &origin, "nosuchop", &o), KD_ENOTFOUND);
	CHECK(kd_error_last() && strstr(kd_error_last(), "no operator found for: nosuchop"));

	kd_source_options bad = opts_with_repo("bad");
	CHECK_INT(kd_source_load(&pkg, &origin, "gitpkg", &bad), KD_EINVALID);
	e = kd_error_last();
	CHECK(e && strstr(e, "sha256 digest is") && strstr(e, "the repository index says ffffffffffffffff"));
	CHECK(pkg == NULL);
	bad.operator_version = "0.2.0"; /* the other entries are fine */
	CHECK_INT(kd_source_load(&pkg, &origin, "gitpkg", &bad), 0);
	kd_pkg_free(pkg);
	kd_pkg_origin_clear(&origin);

	/* a URL of a .tgz */
	kd_buf_clear(&want);
	kd_buf_printf(&want, "http://127.0.0.1:%d/repo/small-1.0.0_0.1.0.tgz", repo_port);
	CHECK_INT(kd_source_load(&pkg, &origin, kd_buf_cstr(&want), &o), 0);
	CHECK_STR(origin.kind, "url");
	CHECK_STR(origin.url, kd_buf_cstr(&want));
	CHECK_STR(pkg ? pkg->name.str : NULL, "small");
	kd_pkg_free(pkg);
	kd_pkg_origin_clear(&origin);
	kd_buf_clear(&want);
	kd_buf_printf(&want, "http://127.0.0.1:%d/repo/missing.tgz", repo_port);
	CHECK_INT(kd_source_load(&pkg, &origin, kd_buf_cstr(&want), &o), KD_ENOTFOUND);
	CHECK(kd_error_last() && strstr(kd_error_last(), "the server answered HTTP 404"));
	kd_buf_free(&want);
}

TEST(source_git_dirs_tgz_and_shipped_names)
{
	kd_source_options o = KD_SOURCE_OPTIONS_INIT;
	o.cache_dir = kd_gitfix_newdir("gitcache-source-git");
	o.config_dir = kd_gitfix_newdir("config-empty");
	kd_pkg *pkg = NULL;
	kd_pkg_origin origin;
	kd_buf spec = KD_BUF_INIT;
	kd_buf_printf(&spec, "git+file://%s/repo.git//pkg?ref=semver:^0.1", kd_gitfix_dir());
	CHECK_INT(kd_source_load(&pkg, &origin, kd_buf_cstr(&spec), &o), 0);
	CHECK_STR(origin.kind, "git");
	CHECK_STR(origin.source, kd_buf_cstr(&spec));
	CHECK_STR(origin.ref, "semver:^0.1");
	CHECK_STR(origin.commit, kd_gitfix_rev("v0.1.0"));
	CHECK_STR(origin.path, "pkg");
	CHECK_STR(origin.repo, "refs/tags/v0.1.0");
	CHECK_STR(pkg ? pkg->operator_version.str : NULL, "0.1.0");
	/* -P git:PATH from the same commit: values/prod.yaml only exists from v0.2.0 on */
	char *data = NULL;
	CHECK_INT(kd_source_read_param_file(&data, NULL, &origin, "git:values/prod.yaml", &o), KD_ENOTFOUND);
	CHECK(kd_error_last() && strstr(kd_error_last(), "-P git:values/prod.yaml") && strstr(kd_error_last(), origin.commit));
	/* the origin survives a JSON round trip (a revision record) */
	cJSON *j = kd_pkg_origin_to_json(&origin);
	kd_pkg_origin back;
	CHECK_INT(kd_pkg_origin_from_json(&back, j), 0);
	CHECK_STR(back.commit, origin.commit);
	CHECK_STR(back.url, origin.url);
	CHECK(back.digest == NULL);
	cJSON_Delete(j);
	kd_pkg_origin_clear(&back);
	kd_pkg_free(pkg);
	kd_pkg_origin_clear(&origin);

	/* the flags: --git URL --git-ref --git-path */
	kd_buf u = KD_BUF_INIT;
	kd_buf_printf(&u, "file://%s/repo.git", kd_gitfix_dir());
	o.git_url = kd_buf_cstr(&u);
	o.git_ref = "v0.2.0";
	o.git_path = "pkg";
	CHECK_INT(kd_source_load(&pkg, &origin, NULL, &o), 0);
	CHECK_STR(origin.commit, kd_gitfix_rev("v0.2.0"));
	CHECK_INT(kd_source_read_param_file(&data, NULL, &origin, "git:values/prod.yaml", &o), 0);
	CHECK_STR(data, "greeting: from-git\n");
	free(data);
	kd_pkg_free(pkg);
	kd_pkg_origin_clear(&origin);
	CHECK_INT(kd_source_load(&pkg, &origin, "packages/spark", &o), KD_EUSAGE); /* not both */
	o.git_path = "nopkg";
	o.git_ref = "v1.0.0";
	CHECK_INT(kd_source_load(&pkg, &origin, NULL, &o), KD_ENOTFOUND);
	CHECK(kd_error_last() && strstr(kd_error_last(), "no operator.yaml in nopkg at commit"));
	kd_buf_free(&u);
	o.git_url = o.git_ref = o.git_path = NULL;

	/* a folder, then the same as a .tgz */
	kd_buf path = KD_BUF_INIT;
	kd_buf_printf(&path, "%s/tests/packages/small", kd_test_root());
	CHECK_INT(kd_source_load(&pkg, &origin, kd_buf_cstr(&path), &o), 0);
	CHECK_STR(origin.kind, "dir");
	kd_buf tgz = KD_BUF_INIT, file = KD_BUF_INIT;
	CHECK_INT(kd_pkg_write_archive(&tgz, pkg), 0);
	kd_buf_printf(&file, "%s/small.tgz", kd_gitfix_newdir("tgz"));
	FILE *f = fopen(kd_buf_cstr(&file), "wb");
	fwrite(tgz.ptr, 1, tgz.len, f);
	fclose(f);
	kd_pkg_free(pkg);
	kd_pkg_origin_clear(&origin);
	CHECK_INT(kd_source_load(&pkg, &origin, kd_buf_cstr(&file), &o), 0);
	CHECK_STR(origin.kind, "tgz");
	char dg[65];
	kd_sha256_hex(dg, tgz.ptr, tgz.len);
	CHECK_STR(origin.digest, dg);
	CHECK_INT(pkg ? (long long)pkg->nfiles : -1, 4);
	/* --operator-version must agree with a package given by path */
	o.operator_version = "9.9.9";
	kd_pkg *p2 = NULL;
	CHECK_INT(kd_source_load(&p2, NULL, kd_buf_cstr(&file), &o), KD_EINVALID);
	CHECK(kd_error_last() && strstr(kd_error_last(), "has operatorVersion 0.1.0, not 9.9.9"));
	o.operator_version = NULL;
	kd_pkg_free(pkg);
	kd_pkg_origin_clear(&origin);

	/* reproducible archives: the same package gives the same bytes */
	kd_pkg *again = NULL;
	kd_buf tgz2 = KD_BUF_INIT;
	CHECK_INT(kd_pkg_load(&again, kd_buf_cstr(&path), NULL), 0);
	CHECK_INT(kd_pkg_write_archive(&tgz2, again), 0);
	CHECK(tgz.len == tgz2.len && memcmp(tgz.ptr, tgz2.ptr, tgz.len) == 0);
	kd_pkg_free(again);
	kd_buf_free(&tgz2);

	/* shipped names: $KUDOC_PACKAGES_DIR first, then next to the binary (zig-out/bin/../../packages) */
	const char *ship = kd_gitfix_newdir("shipped");
	kd_gitfix_sh(NULL, NULL, "cp -r '%s' '%s/small2'", kd_buf_cstr(&path), ship);
	setenv("KUDOC_PACKAGES_DIR", ship, 1);
	CHECK_INT(kd_source_load(&pkg, &origin, "small2", &o), 0);
	CHECK_STR(origin.kind, "shipped");
	kd_pkg_free(pkg);
	kd_pkg_origin_clear(&origin);
	unsetenv("KUDOC_PACKAGES_DIR");
	CHECK_INT(kd_source_load(&pkg, &origin, "not/here", &o), KD_ENOTFOUND);
	CHECK(kd_error_last() && strstr(kd_error_last(), "not/here: no such file or folder"));
	kd_buf_free(&path);
	kd_buf_free(&tgz);
	kd_buf_free(&file);
	kd_buf_free(&spec);
}

/* A copy of the binary in an install prefix (PREFIX/bin, PREFIX/share/kudoc/packages) and in
 * a checkout (CO/zig-out/bin, CO/packages) finds the packages shipped beside it. */
TEST(source_shipped_packages_next_to_the_binary)
{
	const char *d = kd_gitfix_newdir("layouts");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	int rc = kd_gitfix_sh(NULL, &err,
		"cd '%s' && mkdir -p prefix/bin prefix/share/kudoc/packages co/zig-out/bin co/packages elsewhere kudoc && "
		"printf 'context: \\\"\\\"\\nrepositories: []\\n' > kudoc/repositories.yaml && "
		"exe=$(cd '%s' && readlink -f '%s') && cp \"$exe\" prefix/bin/kubectl-kudo && cp \"$exe\" co/zig-out/bin/kubectl-kudo && "
		"cp -r '%s/tests/packages/small' prefix/share/kudoc/packages/inprefix && "
		"cp -r '%s/tests/packages/small' co/packages/incheckout",
		d, kd_test_root(), kd_test_exe(), kd_test_root(), kd_test_root());
	if (!CHECK_INT(rc, 0))
		fprintf(stderr, "    %s\n", kd_buf_cstr(&err));
	const char *cases[][2] = {{"prefix/bin", "inprefix"}, {"co/zig-out/bin", "incheckout"}};
	for (size_t i = 0; i < 2; i++) {
		kd_buf_clear(&out);
		kd_buf_clear(&err);
		rc = kd_gitfix_sh(&out, &err, "cd '%s/elsewhere' && env -u KUDOC_PACKAGES_DIR XDG_CONFIG_HOME='%s' ../%s/kubectl-kudo template %s -p owner=me",
			d, d, cases[i][0], cases[i][1]);
		if (!CHECK_INT(rc, 0))
			fprintf(stderr, "    %s\n", kd_buf_cstr(&err));
		CHECK(strstr(kd_buf_cstr(&out), "# Source: templates/configmap.yaml") != NULL);
	}
	/* and a name found nowhere says where it looked */
	kd_buf_clear(&err);
	rc = kd_gitfix_sh(NULL, &err, "cd '%s/elsewhere' && env -u KUDOC_PACKAGES_DIR XDG_CONFIG_HOME='%s' ../prefix/bin/kubectl-kudo template nothere", d, d);
	CHECK_INT(rc, 1);
	kd_buf want = KD_BUF_INIT;
	kd_buf_printf(&want, "tried %s/prefix/share/kudoc/packages/nothere (the install prefix), %s/packages/nothere (the checkout)", d, d);
	if (!CHECK(strstr(kd_buf_cstr(&err), kd_buf_cstr(&want)) != NULL))
		fprintf(stderr, "    %s\n", kd_buf_cstr(&err));
	kd_buf_free(&want);
	kd_buf_free(&out);
	kd_buf_free(&err);
}

#define KUDO(code, ...)                                                  \
	do {                                                                 \
		kd_buf_clear(&out);                                              \
		kd_buf_clear(&err);                                              \
		if (!CHECK_INT(kudo(&out, &err, __VA_ARGS__), code))             \
			fprintf(stderr, "    stderr: %s\n", kd_buf_cstr(&err));      \
	} while (0)

TEST(source_cli_template_from_every_kind_and_repo_commands)
{
	if (!setup_repo())
		return;
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	/* repositories */
	KUDO(0, "repo list");
	CHECK(strstr(kd_buf_cstr(&out), "*community https://kudo-repository.storage.googleapis.com/v1"));
	KUDO(1, "repo add local http://127.0.0.1:%d/nothing", repo_port);
	CHECK(strstr(kd_buf_cstr(&err), "is not a valid operator repository or cannot be reached"));
	KUDO(0, "repo add local http://127.0.0.1:%d/repo", repo_port);
	CHECK_STR(kd_buf_cstr(&out), "\"local\" has been added to your repositories\n");
	KUDO(1, "repo add local http://127.0.0.1:%d/repo", repo_port);
	CHECK(strstr(kd_buf_cstr(&err), "already exists"));
	KUDO(0, "repo context local");
	KUDO(0, "repo list");
	CHECK(strstr(kd_buf_cstr(&out), "*local"));
	KUDO(0, "search");
	CHECK_STR(kd_buf_cstr(&out), "NAME   OPERATOR VERSION APP VERSION\n"
				     "gitpkg 1.0.0            2.0.0\n"
				     "small  0.1.0            1.0.0\n");
	KUDO(0, "search git --all-versions");
	CHECK_STR(kd_buf_cstr(&out), "NAME   OPERATOR VERSION APP VERSION\n"
				     "gitpkg 1.0.0            2.0.0\n"
				     "       0.2.0            2.0.0\n"
				     "       0.1.0            2.0.0\n");
	KUDO(0, "search zzz");
	CHECK_STR(kd_buf_cstr(&out), "no operators found\n");

	/* template from each kind of source */
	KUDO(0, "template gitpkg --operator-version 0.2.0");
	CHECK(strstr(kd_buf_cstr(&out), "version: \"0.2.0\""));
	KUDO(0, "template http://127.0.0.1:%d/repo/gitpkg-2.0.0_0.1.0.tgz", repo_port);
	CHECK(strstr(kd_buf_cstr(&out), "version: \"0.1.0\""));
	KUDO(0, "template '%s/repo/gitpkg-2.0.0_1.0.0.tgz'", repo_dir);
	CHECK(strstr(kd_buf_cstr(&out), "version: \"1.0.0\""));
	KUDO(0, "template '%s/src/v0.1.0/pkg'", repo_dir);
	CHECK(strstr(kd_buf_cstr(&out), "version: \"0.1.0\""));
	KUDO(0, "template 'git+file://%s/repo.git//pkg?ref=v0.2.0' -P git:values/prod.yaml", kd_gitfix_dir());
	CHECK(strstr(kd_buf_cstr(&out), "greeting: \"from-git\""));
	KUDO(0, "template --git '%s/repo.git' --git-path pkg --git-ref dev -p greeting=hi", kd_gitfix_dir());
	CHECK(strstr(kd_buf_cstr(&out), "version: \"1.1.0-rc.1\"") && strstr(kd_buf_cstr(&out), "greeting: \"hi\""));
	KUDO(0, "template spark");
	CHECK(strstr(kd_buf_cstr(&out), "# Source: templates/")); /* kudo() sets KUDOC_PACKAGES_DIR */
	KUDO(1, "template 'git+file://%s/repo.git//evil'", kd_gitfix_dir());
	CHECK(strstr(kd_buf_cstr(&err), "symbolic link evil/templates/leak.yaml -> ../../../../../etc/passwd leaves the package folder"));
	KUDO(1, "template 'git+file://%s/repo.git//pkg?ref=nope'", kd_gitfix_dir());
	CHECK(strstr(kd_buf_cstr(&err), "no branch or tag \"nope\""));
	KUDO(2, "template --git-ref v1 packages/spark");
	KUDO(2, "template");
	CHECK(strstr(kd_buf_cstr(&err), "template needs exactly one PACKAGE argument, or --git URL"));
	KUDO(0, "template --help");
	CHECK(strstr(kd_buf_cstr(&out), "--git-credentials FILE") && strstr(kd_buf_cstr(&out), "Examples:"));

	/* package create and repo index */
	const char *pub = kd_gitfix_newdir("publish");
	KUDO(0, "package create tests/packages/small --destination '%s'", pub);
	CHECK(strstr(kd_buf_cstr(&out), "small-1.0.0_0.1.0.tgz"));
	KUDO(1, "package create tests/packages/small --destination '%s'", pub);
	CHECK(strstr(kd_buf_cstr(&err), "exists; remove it or use --overwrite"));
	KUDO(0, "package create tests/packages/small --destination '%s' -w", pub);
	KUDO(1, "package create tests/verify/%s", "..");
	KUDO(0, "repo index '%s' --url https://ops.example/r --merge '%s/repo/index.yaml'", pub, repo_dir);
	kd_buf ip = KD_BUF_INIT;
	kd_buf_printf(&ip, "%s/index.yaml", pub);
	const char *text = kd_gitfix_read(kd_buf_cstr(&ip));
	/* the local small wins over the merged one; gitpkg comes from the merged index */
	CHECK(strstr(text, "https://ops.example/r/small-1.0.0_0.1.0.tgz") != NULL);
	CHECK(strstr(text, "/repo/small-1.0.0_0.1.0.tgz") == NULL);
	CHECK(strstr(text, "gitpkg-2.0.0_0.1.0.tgz") != NULL);
	KUDO(1, "repo index '%s'", pub);
	CHECK(strstr(kd_buf_cstr(&err), "exists; use --overwrite"));
	KUDO(0, "repo remove local");
	KUDO(1, "repo remove local");
	CHECK(strstr(kd_buf_cstr(&err), "no repo named \"local\" found"));
	kd_buf_free(&ip);
	kd_buf_free(&out);
	kd_buf_free(&err);
}

/* The KUDO repository over HTTPS (issue 11: "KUDO repositories over HTTPS"): the same
 * kudoc-built packages behind tests/git/httpd.py with a certificate for 127.0.0.1 from a test
 * CA. A private CA is trusted through SSL_CERT_FILE (as OpenSSL and Go, so KUDO, read it); a CA
 * that did not sign the certificate, and the system's store, are refused with an error naming
 * the host. The same repository also shows --app-version picking an older entry. */
TEST(source_repository_over_https_with_a_private_ca_and_app_versions)
{
	if (!setup_repo())
		return;
	const char *tls = kd_gitfix_tls();
	const char *d = kd_gitfix_newdir("kudorepo-https");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT, cmd = KD_BUF_INIT, pf = KD_BUF_INIT, log = KD_BUF_INIT, env = KD_BUF_INIT;
	/* small 0.2.0 with appVersion 1.1.0 beside small 0.1.0 (appVersion 1.0.0) */
	int rc = kd_gitfix_sh(NULL, &err,
		"mkdir -p '%s/srv' && cp '%s'/repo/*.tgz '%s/srv/' && cp -r '%s/tests/packages/small' '%s/small2' && "
		"sed -i 's/^operatorVersion: 0.1.0/operatorVersion: 0.2.0/; s/^appVersion: 1.0.0/appVersion: 1.1.0/' '%s/small2/operator.yaml'",
		d, repo_dir, d, kd_test_root(), d, d);
	if (rc == 0)
		rc = kudo(NULL, &err, "package create '%s/small2' -d '%s/srv'", d, d);
	kd_buf_printf(&pf, "%s/port", d);
	kd_buf_printf(&log, "%s/httpd.log", d);
	kd_buf_printf(&cmd, "python3 '%s/tests/git/httpd.py' --port-file '%s' --root '%s/srv' --tls-cert '%s/server.pem' --tls-key '%s/server.key'",
		kd_test_root(), kd_buf_cstr(&pf), d, tls, tls);
	int pid = kd_gitfix_spawn(kd_buf_cstr(&cmd), kd_buf_cstr(&log));
	int port = -1;
	if (CHECK(kd_gitfix_wait_file(kd_buf_cstr(&pf))))
		port = atoi(kd_gitfix_read(kd_buf_cstr(&pf)));
	if (rc == 0)
		rc = kudo(NULL, &err, "repo index '%s/srv' --url https://127.0.0.1:%d/", d, port);
	if (!CHECK_INT(rc, 0) || port < 0) {
		fprintf(stderr, "    setup: %s\n", kd_buf_cstr(&err));
		goto done;
	}
	/* a config of its own, so the other repository tests keep theirs */
	kd_buf_printf(&env, "XDG_CONFIG_HOME='%s/config' SSL_CERT_DIR= SSL_CERT_FILE='%s/ca.pem'", d, tls);
	kudo_env = kd_buf_cstr(&env);

	/* trusted: repo add checks the index, names resolve through it, and the .tgz comes over https */
	KUDO(0, "repo add secure https://127.0.0.1:%d/", port);
	CHECK_STR(kd_buf_cstr(&out), "\"secure\" has been added to your repositories\n");
	KUDO(0, "search --repo secure small --all-versions");
	CHECK_STR(kd_buf_cstr(&out), "NAME  OPERATOR VERSION APP VERSION\n"
				     "small 0.2.0            1.1.0\n"
				     "      0.1.0            1.0.0\n");
	KUDO(0, "template gitpkg --repo secure");
	CHECK(strstr(kd_buf_cstr(&out), "version: \"1.0.0\"") != NULL);
	KUDO(0, "template gitpkg --repo secure --operator-version 0.1.0");
	CHECK(strstr(kd_buf_cstr(&out), "version: \"0.1.0\"") != NULL);
	KUDO(0, "template https://127.0.0.1:%d/gitpkg-2.0.0_0.2.0.tgz", port);
	CHECK(strstr(kd_buf_cstr(&out), "version: \"0.2.0\"") != NULL);

	/* --app-version: the newest entry with that appVersion, not the newest of all */
	KUDO(0, "template small --repo secure -p owner=me");
	CHECK(strstr(kd_buf_cstr(&out), "# Source: templates/configmap.yaml") != NULL);
	kd_buf small_new = KD_BUF_INIT;
	kd_buf_puts(&small_new, kd_buf_cstr(&out));
	KUDO(0, "template small --repo secure --app-version 1.0.0 -p owner=me");
	kd_buf small_old = KD_BUF_INIT;
	kd_buf_puts(&small_old, kd_buf_cstr(&out));
	KUDO(0, "template '%s/repo/small-1.0.0_0.1.0.tgz' -p owner=me", repo_dir);
	CHECK_STR(kd_buf_cstr(&small_old), kd_buf_cstr(&out)); /* it is small 0.1.0 */
	KUDO(0, "template '%s/small2' -p owner=me", d);
	CHECK_STR(kd_buf_cstr(&small_new), kd_buf_cstr(&out)); /* and without the flag small 0.2.0 */
	kd_buf_free(&small_new);
	kd_buf_free(&small_old);
	KUDO(1, "template small --repo secure --app-version 9.9.9");
	CHECK(strstr(kd_buf_cstr(&err), "no operator version found for small appVersion 9.9.9") != NULL);
	CHECK(strstr(kd_buf_cstr(&err), "the index has 1.1.0_0.2.0, 1.0.0_0.1.0") != NULL);
	KUDO(1, "template small --repo secure --app-version 1.1.0 --operator-version 0.1.0");
	CHECK(strstr(kd_buf_cstr(&err), "no operator version found for small appVersion 1.1.0 operatorVersion 0.1.0") != NULL);

	/* a CA that did not sign the server's certificate: refused, naming the host and the CA file */
	kd_buf want = KD_BUF_INIT;
	kd_buf_clear(&env);
	kd_buf_printf(&env, "XDG_CONFIG_HOME='%s/config' SSL_CERT_DIR= SSL_CERT_FILE='%s/other-ca.pem'", d, tls);
	kudo_env = kd_buf_cstr(&env);
	kd_buf_printf(&want, "the TLS certificate of 127.0.0.1:%d is not trusted by SSL_CERT_FILE %s/other-ca.pem", port, tls);
	KUDO(1, "template gitpkg --repo secure");
	if (!CHECK(strstr(kd_buf_cstr(&err), kd_buf_cstr(&want)) != NULL))
		fprintf(stderr, "    stderr: %s\n", kd_buf_cstr(&err));
	CHECK(strstr(kd_buf_cstr(&out), "kind:") == NULL); /* nothing rendered */
	KUDO(1, "template https://127.0.0.1:%d/gitpkg-2.0.0_0.2.0.tgz", port);
	CHECK(strstr(kd_buf_cstr(&err), kd_buf_cstr(&want)) != NULL);
	KUDO(1, "repo add other https://127.0.0.1:%d/", port);
	CHECK(strstr(kd_buf_cstr(&err), "is not a valid operator repository or cannot be reached") != NULL);
	CHECK(strstr(kd_buf_cstr(&err), kd_buf_cstr(&want)) != NULL);
	/* the system's store alone does not know the test CA either, and the error says what to do */
	kd_buf_clear(&env);
	kd_buf_printf(&env, "env -u SSL_CERT_FILE -u SSL_CERT_DIR XDG_CONFIG_HOME='%s/config'", d);
	kudo_env = kd_buf_cstr(&env);
	kd_buf_clear(&want);
	kd_buf_printf(&want, "the TLS certificate of 127.0.0.1:%d is not trusted by the system's CA store", port);
	KUDO(1, "template gitpkg --repo secure");
	CHECK(strstr(kd_buf_cstr(&err), kd_buf_cstr(&want)) != NULL);
	CHECK(strstr(kd_buf_cstr(&err), "to trust a private CA, name its PEM file in SSL_CERT_FILE") != NULL);
	/* a CA file that is not there */
	kd_buf_clear(&env);
	kd_buf_printf(&env, "XDG_CONFIG_HOME='%s/config' SSL_CERT_DIR= SSL_CERT_FILE='%s/nope.pem'", d, tls);
	kudo_env = kd_buf_cstr(&env);
	KUDO(1, "template gitpkg --repo secure");
	CHECK(strstr(kd_buf_cstr(&err), "cannot read the CA certificates of SSL_CERT_FILE") != NULL);
	kd_buf_free(&want);
done:
	kudo_env = "";
	kd_gitfix_kill(pid);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_buf_free(&cmd);
	kd_buf_free(&pf);
	kd_buf_free(&log);
	kd_buf_free(&env);
}

/* package create refuses a package with verify errors: no archive written (nor an existing one
 * overwritten with -w), and the message says why and what to run. */
TEST(source_package_create_refuses_a_package_with_verify_errors)
{
	if (!setup_repo())
		return;
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	const char *d = kd_gitfix_newdir("create-invalid");
	KUDO(1, "package create tests/verify/broken/package -d '%s'", d);
	CHECK(strstr(kd_buf_cstr(&err), "kubectl-kudo: tests/verify/broken/package is not valid (11 errors; see `package "
					"verify tests/verify/broken/package`): no package created") != NULL);
	CHECK(strstr(kd_buf_cstr(&err), "operatorVersion \"1.0.x\" is not a semantic version") != NULL); /* the findings */
	CHECK(strstr(kd_buf_cstr(&out), ".tgz") == NULL);
	kd_buf ls = KD_BUF_INIT;
	kd_gitfix_sh(&ls, NULL, "ls -A '%s'", d);
	CHECK_STR(kd_buf_cstr(&ls), "");

	/* one error in a package that is otherwise fine; its archive already exists and -w is given */
	KUDO(0, "package create tests/packages/small -d '%s'", d);
	kd_buf tgz = KD_BUF_INIT;
	kd_buf_printf(&tgz, "%s/small-1.0.0_0.1.0.tgz", d);
	kd_buf before = KD_BUF_INIT, after = KD_BUF_INIT;
	CHECK_INT(kd_gitfix_sh(&before, NULL, "sha256sum < '%s'", kd_buf_cstr(&tgz)), 0);
	kd_gitfix_sh(NULL, NULL,
		"cp -r '%s/tests/packages/small' '%s/src' && sed -i 's/resources: \\[configmap.yaml\\]/resources: [gone.yaml]/' "
		"'%s/src/operator.yaml'",
		kd_test_root(), d, d);
	KUDO(1, "package create '%s/src' -d '%s' -w", d, d);
	CHECK(strstr(kd_buf_cstr(&err), "task \"app\" names template \"gone.yaml\", which is not in templates/") != NULL);
	CHECK(strstr(kd_buf_cstr(&err), "is not valid (1 error; see `package verify") != NULL);
	CHECK(strstr(kd_buf_cstr(&err), "no package created") != NULL);
	kd_gitfix_sh(&after, NULL, "sha256sum < '%s'", kd_buf_cstr(&tgz));
	CHECK_STR(kd_buf_cstr(&after), kd_buf_cstr(&before));
	kd_buf_clear(&ls);
	kd_gitfix_sh(&ls, NULL, "ls -A '%s'", d);
	CHECK_STR(kd_buf_cstr(&ls), "small-1.0.0_0.1.0.tgz\nsrc\n");
	kd_buf_free(&ls);
	kd_buf_free(&tgz);
	kd_buf_free(&before);
	kd_buf_free(&after);
	kd_buf_free(&out);
	kd_buf_free(&err);
}
