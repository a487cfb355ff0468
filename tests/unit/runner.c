#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../base/base.h"
#include "test.h"

#define MAX_TESTS 4096

static struct {
	const char *name;
	kd_test_fn fn;
} tests[MAX_TESTS];
static int ntests;
static int cur_failed;
static int passed, failed;
static const char *root = ".", *exe = "zig-out/bin/kubectl-kudo";

void kd_test_register(const char *name, kd_test_fn fn)
{
	if (ntests < MAX_TESTS) {
		tests[ntests].name = name;
		tests[ntests].fn = fn;
		ntests++;
	}
}

const char *kd_test_root(void)
{
	return root;
}

const char *kd_test_exe(void)
{
	return exe;
}

const char *kd_test_kubeconfig(void)
{
	return getenv("KUDOC_E2E_KUBECONFIG");
}

const char *kd_test_testenv_bin(void)
{
	return getenv("KUDOC_TESTENV_BIN");
}

static char tmpdir[256];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

__attribute__((destructor)) static void rm_tmpdir(void)
{
	if (tmpdir[0])
		nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *kd_test_tmpdir(void)
{
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/kudoc-test-XXXXXX");
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			abort();
		}
	}
	return tmpdir;
}

void kd_test_write_file(const char *path, const char *text, int mode)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		abort();
	}
	fputs(text, f);
	fclose(f);
	chmod(path, (mode_t)mode);
}

bool kd_test_check(bool ok, const char *expr, const char *file, int line)
{
	if (!ok) {
		cur_failed++;
		const char *e = kd_error_last();
		fprintf(stderr, "  %s:%d: CHECK(%s) failed%s%s\n", file, line, expr, e ? "; last error: " : "", e ? e : "");
	}
	return ok;
}

bool kd_test_check_str(const char *got, const char *want, const char *expr, const char *file, int line)
{
	bool ok = (got == NULL && want == NULL) || (got && want && strcmp(got, want) == 0);
	if (!ok) {
		cur_failed++;
		fprintf(stderr, "  %s:%d: %s\n    got:  %s%s%s\n    want: %s%s%s\n", file, line, expr,
			got ? "\"" : "", got ? got : "NULL", got ? "\"" : "", want ? "\"" : "", want ? want : "NULL",
			want ? "\"" : "");
	}
	return ok;
}

bool kd_test_check_int(long long got, long long want, const char *expr, const char *file, int line)
{
	if (got != want) {
		cur_failed++;
		const char *e = kd_error_last();
		fprintf(stderr, "  %s:%d: %s is %lld, want %lld%s%s\n", file, line, expr, got, want,
			e ? "; last error: " : "", e ? e : "");
		return false;
	}
	return true;
}

void kd_test_case_result(const char *name, bool ok, const char *why)
{
	if (ok) {
		passed++;
	} else {
		failed++;
		fprintf(stderr, "FAIL %s\n%s%s", name, why ? why : "", why && why[0] && why[strlen(why) - 1] != '\n' ? "\n" : "");
	}
}

int main(int argc, char **argv)
{
	const char *filter = NULL;
	kd_base_init();
	if (argc > 1)
		root = argv[1];
	if (argc > 2)
		exe = argv[2];
	/* Tests run the binary from other folders (and shells in tmux): make both paths absolute. */
	static char root_abs[4096], exe_abs[4096];
	if (realpath(root, root_abs))
		root = root_abs;
	if (realpath(exe, exe_abs))
		exe = exe_abs;
	if (argc > 3)
		filter = argv[3];
	if (!filter)
		filter = getenv("KD_TEST_FILTER");
	/* Tests named e2e_* need the test cluster: they form their own suite, run with
	 * KUDOC_E2E=1 and KUDOC_E2E_KUBECONFIG set (./dev test does both), and no other. */
	const char *e2e_env = getenv("KUDOC_E2E");
	bool e2e = e2e_env && strcmp(e2e_env, "1") == 0;
	if (e2e && !getenv("KUDOC_E2E_KUBECONFIG")) {
		fprintf(stderr, "KUDOC_E2E=1 needs KUDOC_E2E_KUBECONFIG (the test cluster's kubeconfig)\n");
		printf("0 passed, 1 failed\n");
		return 1;
	}
	for (int i = 0; i < ntests; i++) {
		if (filter && !strstr(tests[i].name, filter))
			continue;
		if ((strncmp(tests[i].name, "e2e_", 4) == 0) != e2e)
			continue;
		cur_failed = 0;
		kd_error_clear();
		tests[i].fn();
		if (cur_failed) {
			failed++;
			fprintf(stderr, "FAIL %s\n", tests[i].name);
		} else {
			passed++;
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
