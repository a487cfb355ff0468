/* operator/: loading packages from folders, .tgz files (written here with libarchive) and
 * memory; the model's fields and positions; the package list output. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../base/base.h"
#include "../../base/json.h"
#include "../../operator/operator.h"
#include "test.h"

static const char mini_op[] = "apiVersion: kudo.dev/v1beta1\n"
			      "name: mini\n"
			      "operatorVersion: 0.1.0\n"
			      "tasks:\n"
			      "  - name: app\n"
			      "    kind: Apply\n"
			      "    spec:\n"
			      "      resources: [cm.yaml, rbac/role.yaml]\n"
			      "plans:\n"
			      "  deploy:\n"
			      "    phases:\n"
			      "      - name: main\n"
			      "        steps:\n"
			      "          - name: app\n"
			      "            tasks: [app]\n";
static const char mini_params[] = "apiVersion: kudo.dev/v1beta1\n"
				  "parameters:\n"
				  "  - name: replicas\n"
				  "    default: 1\n";

/* ---- temp folders ---- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_rf(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *temp_dir(void)
{
	char tmpl[] = "/tmp/kudoc-test-XXXXXX";
	char *d = mkdtemp(tmpl);
	return d ? kd_strdup(d) : NULL;
}

static char *path_in(const char *dir, const char *name)
{
	kd_buf b = KD_BUF_INIT;
	kd_buf_printf(&b, "%s/%s", dir, name);
	return kd_buf_detach(&b);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char *p = path_in(dir, name);
	/* make parent folders */
	for (char *s = p + strlen(dir) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	FILE *f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	free(p);
}

/* ---- archives ---- */

typedef struct {
	char type; /* f file, d folder, l symlink, h hard link, p fifo */
	const char *path;
	const char *data; /* file content or link target */
} ent;

/* Writes a tar (gzip'd when gz) with the entries; returns its path (caller frees). */
static char *make_tar(const char *dir, const char *name, const ent *e, size_t n, bool gz)
{
	char *path = path_in(dir, name);
	struct archive *a = archive_write_new();
	if (gz)
		archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	if (archive_write_open_filename(a, path) != ARCHIVE_OK) {
		archive_write_free(a);
		free(path);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();
		archive_entry_set_pathname(ae, e[i].path);
		archive_entry_set_perm(ae, 0644);
		size_t len = 0;
		switch (e[i].type) {
		case 'f':
			len = strlen(e[i].data);
			archive_entry_set_filetype(ae, AE_IFREG);
			break;
		case 'd':
			archive_entry_set_filetype(ae, AE_IFDIR);
			break;
		case 'l':
			archive_entry_set_filetype(ae, AE_IFLNK);
			archive_entry_set_symlink(ae, e[i].data);
			break;
		case 'h':
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_hardlink(ae, e[i].data);
			break;
		case 'p':
			archive_entry_set_filetype(ae, AE_IFIFO);
			break;
		}
		archive_entry_set_size(ae, (la_int64_t)len);
		archive_write_header(a, ae);
		if (len)
			archive_write_data(a, e[i].data, len);
		archive_entry_free(ae);
	}
	archive_write_close(a);
	archive_write_free(a);
	return path;
}

static char *make_tgz(const char *dir, const char *name, const ent *e, size_t n)
{
	return make_tar(dir, name, e, n, true);
}

/* Loads a tgz made of `e` and returns the code; *err gets a copy of the error (or NULL). */
static int load_tgz(const ent *e, size_t n, char **err, const kd_pkg_load_options *o)
{
	char *dir = temp_dir(), *tgz = make_tgz(dir, "p.tgz", e, n);
	kd_pkg *pkg = NULL;
	int rc = kd_pkg_load(&pkg, tgz, o);
	*err = rc && kd_error_last() ? kd_strdup(kd_error_last()) : NULL;
	kd_pkg_free(pkg);
	free(tgz);
	rm_rf(dir);
	free(dir);
	return rc;
}

static bool has(const char *s, const char *sub)
{
	return s && strstr(s, sub);
}

TEST(operator_tgz_with_top_folder)
{
	ent e[] = {
		{'d', "mini/", NULL},
		{'f', "mini/operator.yaml", mini_op},
		{'f', "mini/params.yaml", mini_params},
		{'d', "mini/templates/", NULL},
		{'f', "mini/templates/cm.yaml", "kind: ConfigMap\n"},
		{'f', "mini/templates/rbac/role.yaml", "kind: Role\n"},
		{'f', "mini/templates/notes.txt", "not a template\n"},
		{'f', "mini/README.md", "# mini\n"},
	};
	char *dir = temp_dir(), *tgz = make_tgz(dir, "mini-0.1.0.tgz", e, KD_ARRAY_SIZE(e));
	kd_pkg *pkg = NULL;
	CHECK_INT(kd_pkg_load(&pkg, tgz, NULL), 0);
	if (pkg) {
		CHECK_STR(pkg->name.str, "mini");
		CHECK_INT(pkg->ntemplates, 2);
		CHECK(kd_pkg_find_template(pkg, "cm.yaml") != NULL);
		CHECK(kd_pkg_find_template(pkg, "rbac/role.yaml") != NULL);
		CHECK(kd_pkg_find_template(pkg, "notes.txt") == NULL);
		CHECK(kd_pkg_find_file(pkg, "templates/notes.txt") != NULL);
		CHECK(kd_pkg_find_file(pkg, "README.md") != NULL);
		const kd_pkg_template *t = kd_pkg_find_template(pkg, "rbac/role.yaml");
		if (t) {
			CHECK_STR(t->file->data, "kind: Role\n");
			CHECK(has(t->file->display, "mini-0.1.0.tgz:mini/templates/rbac/role.yaml"));
		}
		CHECK(has(pkg->operator_file, "mini-0.1.0.tgz:mini/operator.yaml"));
		CHECK_INT(pkg->nparams, 1);
	}
	kd_pkg_free(pkg);
	free(tgz);
	rm_rf(dir);
	free(dir);
}

TEST(operator_tgz_flat_and_plain_tar_and_memory)
{
	ent e[] = {
		{'f', "./operator.yaml", mini_op},
		{'f', "./templates/cm.yaml", "kind: ConfigMap\n"},
	};
	char *dir = temp_dir();
	char *tgz = make_tgz(dir, "flat.tgz", e, KD_ARRAY_SIZE(e));
	char *tar = make_tar(dir, "flat.tar", e, KD_ARRAY_SIZE(e), false);
	kd_pkg *pkg = NULL;
	CHECK_INT(kd_pkg_load(&pkg, tgz, NULL), 0);
	CHECK(pkg && pkg->ntemplates == 1 && pkg->params_file == NULL && pkg->nparams == 0);
	kd_pkg_free(pkg);
	pkg = NULL;
	CHECK_INT(kd_pkg_load(&pkg, tar, NULL), 0);
	kd_pkg_free(pkg);
	pkg = NULL;

	char *bytes = NULL;
	size_t len = 0;
	CHECK_INT(kd_file_read(&bytes, &len, tgz, 0), 0);
	CHECK_INT(kd_pkg_load_archive(&pkg, "download.tgz", bytes, len, NULL), 0);
	if (pkg)
		CHECK(has(pkg->operator_file, "download.tgz:operator.yaml"));
	kd_pkg_free(pkg);
	pkg = NULL;
	/* a truncated download */
	CHECK(kd_pkg_load_archive(&pkg, "download.tgz", bytes, len / 2, NULL) != 0);
	CHECK(pkg == NULL);
	CHECK(has(kd_error_last(), "download.tgz"));
	free(bytes);
	free(tgz);
	free(tar);
	rm_rf(dir);
	free(dir);
}

TEST(operator_tgz_refuses_escaping_entries)
{
	char *err = NULL;
	ent dotdot[] = {{'f', "mini/operator.yaml", mini_op}, {'f', "mini/../../evil.yaml", "x: 1\n"}};
	CHECK(load_tgz(dotdot, 2, &err, NULL) != 0);
	CHECK(has(err, "entry \"mini/../../evil.yaml\" leaves the package"));
	free(err);

	ent abs[] = {{'f', "/etc/cron.d/evil", "x\n"}, {'f', "mini/operator.yaml", mini_op}};
	CHECK(load_tgz(abs, 2, &err, NULL) != 0);
	CHECK(has(err, "entry \"/etc/cron.d/evil\" is an absolute path"));
	free(err);

	ent sym[] = {{'f', "mini/operator.yaml", mini_op}, {'l', "mini/templates/cm.yaml", "/etc/passwd"}};
	CHECK(load_tgz(sym, 2, &err, NULL) != 0);
	CHECK(has(err, "entry \"mini/templates/cm.yaml\" is a symbolic link"));
	free(err);

	ent hard[] = {{'f', "mini/operator.yaml", mini_op}, {'h', "mini/templates/cm.yaml", "mini/operator.yaml"}};
	CHECK(load_tgz(hard, 2, &err, NULL) != 0);
	CHECK(has(err, "entry \"mini/templates/cm.yaml\" is a hard link"));
	free(err);

	ent fifo[] = {{'f', "mini/operator.yaml", mini_op}, {'p', "mini/templates/pipe", NULL}};
	CHECK(load_tgz(fifo, 2, &err, NULL) != 0);
	CHECK(has(err, "entry \"mini/templates/pipe\" is not a regular file"));
	free(err);
}

TEST(operator_tgz_layout_errors)
{
	char *err = NULL;
	ent none[] = {{'f', "mini/templates/cm.yaml", "kind: ConfigMap\n"}};
	CHECK(load_tgz(none, 1, &err, NULL) != 0);
	CHECK(has(err, "no operator.yaml at the top or in a top-level folder"));
	free(err);

	ent two[] = {{'f', "a/operator.yaml", mini_op}, {'f', "b/operator.yaml", mini_op}};
	CHECK(load_tgz(two, 2, &err, NULL) != 0);
	CHECK(has(err, "holds more than one package (a/ and b/)"));
	free(err);

	ent deep[] = {{'f', "x/mini/operator.yaml", mini_op}};
	CHECK(load_tgz(deep, 1, &err, NULL) != 0);
	free(err);

	ent dup[] = {{'f', "operator.yaml", mini_op}, {'f', "./operator.yaml", mini_op}};
	CHECK(load_tgz(dup, 2, &err, NULL) != 0);
	CHECK(has(err, "holds operator.yaml twice"));
	free(err);

	/* the same in a top folder: one package whose operator.yaml comes twice, not two packages */
	ent dup_top[] = {{'f', "pkg/operator.yaml", mini_op}, {'f', "pkg/operator.yaml", mini_op}};
	CHECK(load_tgz(dup_top, 2, &err, NULL) != 0);
	CHECK(has(err, "holds pkg/operator.yaml twice"));
	CHECK(!has(err, "more than one package"));
	free(err);

	/* an archive that cannot be read gives the system's reason (reading /proc/self/mem at
	 * offset 0 fails with EIO; permissions would not stop root) */
	kd_pkg *unread = NULL;
	CHECK(kd_pkg_load(&unread, "/proc/self/mem", NULL) != 0);
	CHECK(has(kd_error_last(), "/proc/self/mem: "));
	CHECK(has(kd_error_last(), strerror(EIO)));

	/* not an archive at all */
	char *dir = temp_dir();
	write_file(dir, "junk.tgz", "this is not gzip\n");
	char *p = path_in(dir, "junk.tgz");
	kd_pkg *pkg = NULL;
	CHECK(kd_pkg_load(&pkg, p, NULL) != 0);
	CHECK(has(kd_error_last(), "junk.tgz"));
	free(p);
	rm_rf(dir);
	free(dir);
}

TEST(operator_tgz_size_caps)
{
	char *err = NULL;
	char big[5000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ent e[] = {{'f', "mini/operator.yaml", mini_op}, {'f', "mini/templates/big.yaml", big},
		{'f', "mini/templates/a.yaml", "a: 1\n"}};
	kd_pkg_load_options o = KD_PKG_LOAD_OPTIONS_INIT;
	o.max_file_size = 4096;
	CHECK_INT(load_tgz(e, 3, &err, &o), KD_ELIMIT);
	CHECK(has(err, "p.tgz:mini/templates/big.yaml: file is larger than 4096 bytes"));
	free(err);

	o = (kd_pkg_load_options)KD_PKG_LOAD_OPTIONS_INIT;
	o.max_total_size = 5000;
	CHECK_INT(load_tgz(e, 3, &err, &o), KD_ELIMIT);
	CHECK(has(err, "package is larger than 5000 bytes"));
	free(err);

	o = (kd_pkg_load_options)KD_PKG_LOAD_OPTIONS_INIT;
	o.max_files = 2;
	CHECK_INT(load_tgz(e, 3, &err, &o), KD_ELIMIT);
	CHECK(has(err, "more than 2 files"));
	free(err);
}

TEST(operator_dir_skips_dot_files_refuses_symlinks)
{
	char *dir = temp_dir();
	kd_pkg *pkg = NULL;
	write_file(dir, "operator.yaml", mini_op);
	write_file(dir, "templates/cm.yaml", "kind: ConfigMap\n");
	write_file(dir, ".git/config", "[core]\n");
	write_file(dir, "templates/.cm.yaml.swp", "junk");
	CHECK_INT(kd_pkg_load(&pkg, dir, NULL), 0);
	if (pkg) {
		CHECK_INT(pkg->nfiles, 2);
		CHECK_INT(pkg->ntemplates, 1);
	}
	kd_pkg_free(pkg);
	pkg = NULL;

	/* a trailing slash is fine */
	char *slash = path_in(dir, "");
	CHECK_INT(kd_pkg_load(&pkg, slash, NULL), 0);
	if (pkg)
		CHECK(has(pkg->operator_file, "/operator.yaml") && !has(pkg->operator_file, "//"));
	kd_pkg_free(pkg);
	pkg = NULL;
	free(slash);

	char *link = path_in(dir, "templates/secret.yaml");
	CHECK_INT(symlink("/etc/passwd", link), 0);
	CHECK(kd_pkg_load(&pkg, dir, NULL) != 0);
	CHECK(has(kd_error_last(), "templates/secret.yaml: symbolic links are not allowed"));
	free(link);
	rm_rf(dir);
	free(dir);

	CHECK_INT(kd_pkg_load(&pkg, "/nonexistent/kudoc/pkg", NULL), KD_ENOTFOUND);
	CHECK(pkg == NULL);
}

TEST(operator_load_files_from_memory)
{
	kd_pkg_input_file f[] = {
		{"operator.yaml", mini_op, sizeof mini_op - 1},
		{"templates/cm.yaml", "kind: ConfigMap\n", 16},
		{"./templates//rbac/role.yaml", "kind: Role\n", 11},
	};
	kd_pkg *pkg = NULL;
	CHECK_INT(kd_pkg_load_files(&pkg, NULL, f, KD_ARRAY_SIZE(f), NULL), 0);
	CHECK(pkg && kd_pkg_find_template(pkg, "rbac/role.yaml"));
	kd_pkg_free(pkg);
	pkg = NULL;

	kd_pkg_input_file bad[] = {{"operator.yaml", mini_op, sizeof mini_op - 1}, {"templates/../../x.yaml", "a", 1}};
	CHECK(kd_pkg_load_files(&pkg, "mem", bad, 2, NULL) != 0);
	CHECK(has(kd_error_last(), "leaves the package"));

	kd_pkg_input_file none[] = {{"templates/cm.yaml", "a: 1", 4}};
	CHECK(kd_pkg_load_files(&pkg, "mem", none, 1, NULL) != 0);
	CHECK(has(kd_error_last(), "mem: not an operator package: operator.yaml is missing"));

	/* an empty operator.yaml */
	kd_pkg_input_file empty[] = {{"operator.yaml", "", 0}};
	CHECK(kd_pkg_load_files(&pkg, "mem", empty, 1, NULL) != 0);
	CHECK(has(kd_error_last(), "operator.yaml: the file is empty, expected a map"));
	kd_pkg_free(NULL);
}

static kd_pkg *load_case(const char *name)
{
	kd_buf b = KD_BUF_INIT;
	kd_pkg *pkg = NULL;
	kd_buf_printf(&b, "%s/tests/parse/%s/package", kd_test_root(), name);
	CHECK_INT(kd_pkg_load(&pkg, kd_buf_cstr(&b), NULL), 0);
	kd_buf_free(&b);
	return pkg;
}

TEST(operator_model_of_full_package)
{
	kd_pkg *pkg = load_case("full_valid");
	if (!pkg)
		return;
	CHECK_STR(pkg->api_version.str, "kudo.dev/v1beta1");
	CHECK_STR(pkg->name.str, "spark");
	CHECK_INT(pkg->name.pos.line, 2);
	CHECK_INT(pkg->name.pos.col, 7);
	CHECK_STR(pkg->operator_version.str, "1.2.3");
	CHECK_STR(pkg->app_version.str, "3.0.0");
	CHECK_STR(pkg->kudo_version.str, "0.19.0");
	CHECK_STR(pkg->kubernetes_version.str, "1.27.0");
	CHECK_STR(pkg->url.str, "https://spark.apache.org/");
	CHECK_STR(pkg->namespace_manifest.str, "ns.yaml");
	CHECK_INT(pkg->nmaintainers, 2);
	CHECK_STR(pkg->maintainers[1].email.str, "grace@example.com");

	CHECK_INT(pkg->ntasks, 6);
	const kd_pkg_task *t = kd_pkg_find_task(pkg, "app");
	CHECK(t && t->kind == KD_TASK_APPLY && t->nresources == 3);
	if (t) {
		CHECK_STR(t->resources[2].str, "rbac/role.yaml");
		CHECK_INT(t->resources[2].pos.line, 22);
		CHECK_INT(t->resources[2].pos.col, 11);
	}
	t = kd_pkg_find_task(pkg, "cleanup");
	CHECK(t && t->kind == KD_TASK_DELETE);
	t = kd_pkg_find_task(pkg, "monitoring");
	CHECK(t && t->kind == KD_TASK_TOGGLE && t->parameter.str && strcmp(t->parameter.str, "enableMetrics") == 0);
	t = kd_pkg_find_task(pkg, "gen-certs");
	CHECK(t && t->kind == KD_TASK_PIPE && t->npipes == 2);
	if (t && t->npipes == 2) {
		CHECK_STR(t->pod.str, "pipe-pod.yaml");
		CHECK_STR(t->pipes[1].kind.str, "ConfigMap");
		CHECK_STR(t->pipes[0].key.str, "cert");
		CHECK_STR(t->pipes[0].file.str, "/tmp/cert.pem");
	}
	t = kd_pkg_find_task(pkg, "zk");
	CHECK(t && t->kind == KD_TASK_KUDO_OPERATOR);
	if (t) {
		CHECK_STR(t->package.str, "zookeeper");
		CHECK_STR(t->app_version.str, "3.6.2");
		CHECK_STR(t->operator_version.str, "0.3.0");
		CHECK_STR(t->instance_name.str, "zk-1");
		CHECK_STR(t->parameter_file.str, "zk-params.yaml");
	}
	t = kd_pkg_find_task(pkg, "wait");
	CHECK(t && t->kind == KD_TASK_DUMMY && t->done && !t->want_err);
	CHECK(kd_pkg_find_task(pkg, "nope") == NULL);

	CHECK_INT(pkg->nplans, 3);
	CHECK_STR(pkg->plans[0].name.str, "deploy");
	CHECK_STR(pkg->plans[1].name.str, "update");
	CHECK_STR(pkg->plans[2].name.str, "cleanup");
	const kd_pkg_plan *pl = kd_pkg_find_plan(pkg, "deploy");
	CHECK(pl && pl->strategy == KD_STRATEGY_SERIAL && pl->nphases == 2);
	if (pl && pl->nphases == 2) {
		CHECK_INT(pl->name.pos.line, 59);
		CHECK_INT(pl->name.pos.col, 3);
		CHECK(pl->phases[0].strategy == KD_STRATEGY_PARALLEL);
		CHECK_STR(pl->phases[1].steps[1].tasks[1].str, "monitoring");
	}
	pl = kd_pkg_find_plan(pkg, "cleanup");
	CHECK(pl && pl->strategy == KD_STRATEGY_DEFAULT);

	CHECK_INT(pkg->nparams, 10);
	const kd_pkg_param *p = kd_pkg_find_param(pkg, "replicas");
	CHECK(p && p->type == KD_PARAM_INTEGER && p->required && !p->immutable);
	if (p) {
		CHECK_STR(p->display_name.str, "Replicas");
		CHECK_STR(p->description.str, "Number of replicas.\nSecond line is not listed.\n");
		CHECK_STR(p->group.str, "core");
		CHECK_STR(p->hint.str, "between 1 and 9");
		CHECK(cJSON_IsNumber(p->default_value) && p->default_value->valuedouble == 3);
		CHECK_INT(p->default_pos.line, 8);
		CHECK_INT(p->default_pos.col, 14);
	}
	p = kd_pkg_find_param(pkg, "ratio");
	CHECK(p && p->type == KD_PARAM_NUMBER && p->advanced);
	p = kd_pkg_find_param(pkg, "enableMetrics");
	CHECK(p && p->type == KD_PARAM_BOOLEAN && p->trigger.str && strcmp(p->trigger.str, "update") == 0);
	p = kd_pkg_find_param(pkg, "mode");
	CHECK(p && p->immutable && cJSON_GetArraySize(p->enum_values) == 2);
	p = kd_pkg_find_param(pkg, "password");
	CHECK(p && p->type == KD_PARAM_STRING && p->required && !p->default_value);
	p = kd_pkg_find_param(pkg, "nodeSelector");
	CHECK(p && p->type == KD_PARAM_MAP && !p->required && cJSON_IsObject(p->default_value));
	p = kd_pkg_find_param(pkg, "args");
	CHECK(p && p->type == KD_PARAM_ARRAY && cJSON_IsArray(p->default_value));
	CHECK_INT(pkg->ngroups, 1);
	CHECK_STR(pkg->groups[0].display_name.str, "Core settings");
	CHECK_INT(pkg->groups[0].priority, 1);

	CHECK_STR(kd_pkg_task_kind_name(KD_TASK_KUDO_OPERATOR), "KudoOperator");
	CHECK_STR(kd_pkg_strategy_name(KD_STRATEGY_DEFAULT), "");
	CHECK_STR(kd_param_type_name(KD_PARAM_MAP), "map");
	kd_pkg_free(pkg);
}

TEST(operator_list_params_flags)
{
	kd_pkg *pkg = load_case("full_valid");
	kd_buf b = KD_BUF_INIT;
	if (!pkg)
		return;
	CHECK_INT(kd_pkg_list_params(&b, pkg, KD_PKG_LIST_NAMES), 0);
	CHECK_STR(kd_buf_cstr(&b), "NAME\nargs\nbigNumber\nenableMetrics\nmode\nnodeSelector\noptional\npassword\n"
				   "ratio\nreplicas\nyesFlag\n");
	kd_buf_clear(&b);
	CHECK_INT(kd_pkg_list_params(&b, pkg, KD_PKG_LIST_REQUIRED | KD_PKG_LIST_NAMES), 0);
	CHECK_STR(kd_buf_cstr(&b), "NAME\npassword\n");
	kd_buf_clear(&b);
	b.max = 10;
	CHECK_INT(kd_pkg_list_tasks(&b, pkg), KD_ELIMIT);
	kd_buf_free(&b);
	kd_pkg_free(pkg);
}

TEST(operator_list_params_cuts_long_defaults)
{
	const char *op = "apiVersion: kudo.dev/v1beta1\nname: x\noperatorVersion: 1.0.0\n";
	const char *pa = "parameters:\n- name: big\n  type: map\n  default: {alpha: aaaaaaaaaaaa, beta: bbbbbbbbbbbbbb, gamma: cccccccccccccc}\n"
			 "- name: small\n  default: ok\n";
	kd_pkg_input_file f[] = {{"operator.yaml", op, strlen(op)}, {"params.yaml", pa, strlen(pa)}};
	kd_pkg *pkg = NULL;
	kd_buf b = KD_BUF_INIT;
	CHECK_INT(kd_pkg_load_files(&pkg, "mem", f, KD_ARRAY_SIZE(f), NULL), 0);
	CHECK_INT(kd_pkg_list_params(&b, pkg, 0), 0);
	/* 37 characters of the JSON, then "...": the column stays 40 wide. */
	CHECK(strstr(kd_buf_cstr(&b), "{\"alpha\":\"aaaaaaaaaaaa\",\"beta\":\"bbbbb...") != NULL);
	CHECK(strstr(kd_buf_cstr(&b), "small   string   ok  ") != NULL);
	kd_buf_free(&b);
	kd_pkg_free(pkg);
}

/* kudoc's `leaderElection:`: each parameter name with its position, keys case-insensitive;
 * absent: not declared. */
TEST(operator_model_leader_election)
{
	kd_buf b = KD_BUF_INIT;
	kd_pkg *pkg = NULL;
	kd_buf_printf(&b, "%s/tests/verify/leader_election_valid/package", kd_test_root());
	if (!CHECK_INT(kd_pkg_load(&pkg, kd_buf_cstr(&b), NULL), 0))
		goto done;
	const kd_pkg_leader_election *le = &pkg->leader_election;
	CHECK(le->declared);
	CHECK_INT(le->pos.line, 6);
	CHECK_STR(le->enabled_param.str, "haEnabled");
	CHECK_INT(le->enabled_param.pos.line, 6);
	CHECK_INT(le->enabled_param.pos.col, 17);
	CHECK_STR(le->lock_name_param.str, "haLockName");
	CHECK_STR(le->lock_namespace_param.str, "haLockNs"); /* written LOCKNAMESPACEPARAM */
	CHECK_INT(le->lock_namespace_param.pos.line, 8);
	CHECK_STR(le->lock_kind_param.str, "haLockKind");
	CHECK_STR(le->default_lock_suffix.str, "-election");
	kd_pkg_free(pkg);
	pkg = NULL;

	/* without the key, and with it null */
	static const char op[] = "apiVersion: kudo.dev/v1beta1\nname: a\noperatorVersion: 0.1.0\nleaderElection: null\n";
	kd_pkg_input_file f[] = {{"operator.yaml", op, sizeof op - 1}};
	if (CHECK_INT(kd_pkg_load_files(&pkg, "mem", f, 1, NULL), 0)) {
		CHECK(!pkg->leader_election.declared);
		CHECK(pkg->leader_election.lock_name_param.str == NULL);
	}
	kd_pkg_free(pkg);
	pkg = NULL;
	kd_pkg_input_file g[] = {{"operator.yaml", mini_op, sizeof mini_op - 1}};
	if (CHECK_INT(kd_pkg_load_files(&pkg, "mem", g, 1, NULL), 0))
		CHECK(!pkg->leader_election.declared);
done:
	kd_pkg_free(pkg);
	kd_buf_free(&b);
}
