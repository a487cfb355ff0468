/* The built kubectl-kudo, as a user runs it: exit codes, where output goes, help. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../../base/base.h"
#include "test.h"

/* Runs the binary with `args` (a shell fragment of our own constants) from the repository
 * root; captures stdout and stderr separately. */
static int run(kd_buf *out, kd_buf *err, const char *args)
{
	char errfile[] = "/tmp/kudoc-test-stderr-XXXXXX";
	int fd = mkstemp(errfile);
	if (fd < 0)
		return -1;
	kd_buf cmd = KD_BUF_INIT;
	kd_buf_printf(&cmd, "cd '%s' && '%s' %s 2>'%s'", kd_test_root(), kd_test_exe(), args, errfile);
	FILE *p = popen(kd_buf_cstr(&cmd), "r");
	char chunk[4096];
	size_t n;
	while (p && (n = fread(chunk, 1, sizeof chunk, p)) > 0)
		kd_buf_put(out, chunk, n);
	int st = p ? pclose(p) : -1;
	char *e = NULL;
	if (kd_file_read(&e, NULL, errfile, 0) == 0) {
		kd_buf_puts(err, e);
		free(e);
	}
	remove(errfile);
	kd_buf_free(&cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define RUN(args, code)                                 \
	do {                                                \
		kd_buf_clear(&out);                             \
		kd_buf_clear(&err);                             \
		CHECK_INT(run(&out, &err, args), code);         \
	} while (0)

TEST(cli_exit_codes_and_streams)
{
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	RUN("version", 0);
	CHECK(strncmp(kd_buf_cstr(&out), "kubectl-kudo ", 13) == 0);
	RUN("--help", 0);
	CHECK(strstr(kd_buf_cstr(&out), "template PACKAGE") != NULL);
	RUN("", 2);
	CHECK(strstr(kd_buf_cstr(&err), "Usage:") != NULL);
	RUN("frobnicate", 2);
	CHECK(strstr(kd_buf_cstr(&err), "unknown command \"frobnicate\"") != NULL);
	RUN("template packages/spark --bogus", 2);
	CHECK_STR(kd_buf_cstr(&err), "kubectl-kudo: unknown flag --bogus\n");
	CHECK_STR(kd_buf_cstr(&out), "");
	RUN("template packages/spark -p", 2);
	CHECK(strstr(kd_buf_cstr(&err), "flag -p needs a value") != NULL);
	RUN("template --help", 0);
	CHECK(strstr(kd_buf_cstr(&out), "--instance NAME") != NULL);
	kd_buf_free(&out);
	kd_buf_free(&err);
}

TEST(cli_template_renders_spark_ha)
{
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	RUN("template packages/spark --instance spark -n spark-system -p replicas=3 -p enableLeaderElection=true", 0);
	CHECK(strstr(kd_buf_cstr(&out), "# Source: templates/deployment.yaml\n") != NULL);
	CHECK(strstr(kd_buf_cstr(&out), "  replicas: 3\n") != NULL);
	CHECK(strstr(kd_buf_cstr(&out), "- -leader-election=true\n") != NULL);
	CHECK(strstr(kd_buf_cstr(&out), "- \"-leader-election-lock-namespace=spark-operator\"\n") != NULL);
	CHECK_STR(kd_buf_cstr(&err), "");
	/* Flag forms: --instance=NAME, -nNS, --parameter=k=v */
	RUN("template packages/spark --instance=s2 -nother --parameter=replicas=2 --parameter=enableLeaderElection=true", 0);
	CHECK(strstr(kd_buf_cstr(&out), "kind: Deployment\nmetadata:\n  name: s2\n  namespace: other\n") != NULL);
	CHECK(strstr(kd_buf_cstr(&out), "  replicas: 2\n") != NULL);
	/* Nothing on stdout when parameters are wrong; every problem on stderr at once. */
	RUN("template packages/spark -p replicas=three -p nosuch=1", 1);
	CHECK_STR(kd_buf_cstr(&out), "");
	CHECK(strstr(kd_buf_cstr(&err), "-p replicas: ") != NULL);
	CHECK(strstr(kd_buf_cstr(&err), "three") == NULL); /* values are never echoed */
	CHECK(strstr(kd_buf_cstr(&err), "nosuch") != NULL);
	kd_buf_free(&out);
	kd_buf_free(&err);
}

TEST(cli_package_verify_and_list)
{
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	RUN("package verify packages/spark", 0);
	CHECK(strstr(kd_buf_cstr(&out), "operator spark 1.1.0 is valid: 0 errors, 0 warnings") != NULL);
	RUN("package verify tests/verify/broken/package", 1);
	CHECK(strstr(kd_buf_cstr(&out), "is not valid: 11 errors") != NULL);
	RUN("package verify tests/no-such-package", 1);
	CHECK(strstr(kd_buf_cstr(&err), "tests/no-such-package") != NULL);
	RUN("package list plans packages/spark", 0);
	CHECK(strstr(kd_buf_cstr(&out), "deploy (serial)") != NULL);
	RUN("package list tasks packages/spark", 0);
	CHECK(strstr(kd_buf_cstr(&out), "webhook-init") != NULL);
	RUN("package list params packages/spark", 0);
	CHECK(strstr(kd_buf_cstr(&out), "enableLeaderElection") != NULL);
	RUN("package list things packages/spark", 2);
	CHECK(strstr(kd_buf_cstr(&err), "unknown list \"things\"") != NULL);
	kd_buf_free(&out);
	kd_buf_free(&err);
}
