/* The unit test harness: TEST(name) { ... } registers a test; CHECK* record failures and let
 * the test go on. The runner (tests/unit/runner.c) runs every test, or those whose name contains
 * argv[3], and ends with the line "N passed, N failed". */
#ifndef KD_TEST_H
#define KD_TEST_H

#include <stdbool.h>
#include <stddef.h>

typedef void (*kd_test_fn)(void);
void kd_test_register(const char *name, kd_test_fn fn);
bool kd_test_check(bool ok, const char *expr, const char *file, int line);
bool kd_test_check_str(const char *got, const char *want, const char *expr, const char *file, int line);
bool kd_test_check_int(long long got, long long want, const char *expr, const char *file, int line);
/* The repository root (argv[1]) and the built kubectl-kudo (argv[2]). */
const char *kd_test_root(void);
const char *kd_test_exe(void);
/* In the e2e suite (tests named e2e_*): the test cluster's kubeconfig, and testenv's binary
 * (for its fault proxy and kubectl), from KUDOC_E2E_KUBECONFIG and KUDOC_TESTENV_BIN. */
const char *kd_test_kubeconfig(void);
const char *kd_test_testenv_bin(void);
/* A scratch folder for this run of the test binary, made on first use and removed with
 * everything in it when the binary exits. */
const char *kd_test_tmpdir(void);
/* Writes `text` to `path` with permissions `mode`; aborts the run if it cannot. */
void kd_test_write_file(const char *path, const char *text, int mode);
/* For data-driven suites: report one case as its own passed/failed entry. */
void kd_test_case_result(const char *name, bool ok, const char *why);

#define TEST(name)                                                              \
	static void name(void);                                                     \
	__attribute__((constructor)) static void name##__reg(void)                  \
	{                                                                           \
		kd_test_register(#name, name);                                          \
	}                                                                           \
	static void name(void)

#define CHECK(cond) kd_test_check((cond), #cond, __FILE__, __LINE__)
#define CHECK_STR(got, want) kd_test_check_str((got), (want), #got, __FILE__, __LINE__)
#define CHECK_INT(got, want) kd_test_check_int((long long)(got), (long long)(want), #got, __FILE__, __LINE__)

#endif
