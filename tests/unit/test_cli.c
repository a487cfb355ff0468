/* The built kubectl-kudo, as a user runs it: exit codes, where output goes, help. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../../base/base.h"
#include "../../base/json.h"
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

/* A write that fails (here: a full disk) is an error, whatever the command. */
TEST(cli_output_errors_exit_1)
{
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	static const char *const cmds[] = {
		"template packages/spark >/dev/full",
		"template packages/spark -o json >/dev/full",
		"template packages/spark -o yaml >/dev/full",
		"package list params packages/spark >/dev/full",
		"package list plans packages/spark >/dev/full",
		"package list tasks packages/spark >/dev/full",
		"package verify packages/spark >/dev/full",
		"version >/dev/full",
		"template --help >/dev/full",
		"--help >/dev/full",
	};
	for (size_t i = 0; i < KD_ARRAY_SIZE(cmds); i++) {
		RUN(cmds[i], 1);
		if (!CHECK(strstr(kd_buf_cstr(&err), strerror(ENOSPC)) != NULL))
			fprintf(stderr, "    %s: stderr was: %s\n", cmds[i], kd_buf_cstr(&err));
	}
	kd_buf_free(&out);
	kd_buf_free(&err);
}

TEST(cli_template_usage_errors_exit_2)
{
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	RUN("template packages/spark --plan nosuch", 2);
	CHECK(strstr(kd_buf_cstr(&err), "has no plan \"nosuch\" (plans: ") != NULL);
	RUN("template packages/spark -p replicas", 2);
	CHECK_STR(kd_buf_cstr(&err), "kubectl-kudo: a -p argument has no '=': expected -p NAME=VALUE\n");
	RUN("template packages/spark -p =3", 2);
	RUN("template packages/spark -o xml", 2);
	CHECK(strstr(kd_buf_cstr(&err), "-o xml") != NULL);
	/* -n and --instance are DNS-1123 labels, checked before anything is rendered: the YAML
	 * injection of hostile-inputs.md renders nothing */
	RUN("template packages/spark -n \"$(printf 'evil\\n  labels: {pwn: \\042\\061\\042}\\nkind: Secret')\"", 2);
	CHECK_STR(kd_buf_cstr(&out), "");
	CHECK(strstr(kd_buf_cstr(&err), "-n/--namespace: a namespace must be a DNS-1123 label") != NULL);
	CHECK(strstr(kd_buf_cstr(&err), "\"evil\\x0a  labels: {pwn: \\x221\\x22}\\x0akind: Secret\" is not valid") != NULL);
	RUN("template packages/spark --instance ''", 2);
	CHECK(strstr(kd_buf_cstr(&err), "--instance: an instance name must be a DNS-1123 label") != NULL);
	CHECK(strstr(kd_buf_cstr(&err), "\"\" is not valid: it is empty") != NULL);
	RUN("template packages/spark --instance Spark", 2);
	CHECK(strstr(kd_buf_cstr(&err), "upper-case") != NULL);
	RUN("template packages/spark --instance=-x", 2);
	RUN("template packages/spark -n a234567890123456789012345678901234567890123456789012345678901234", 2);
	CHECK(strstr(kd_buf_cstr(&err), "at most 63 are allowed") != NULL);
	RUN("template packages/spark --instance a234567890123456789012345678901234567890123456789012345 -n x-1", 0);
	kd_buf_free(&out);
	kd_buf_free(&err);
}

/* A parameter's value never appears in an error: a typo in the name, a missing '=', a type. */
TEST(cli_errors_never_echo_parameter_values)
{
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	RUN("template packages/spark -p imagePullSecrets=ghp_0123456789abcdef", 1);
	CHECK(strstr(kd_buf_cstr(&err), "unknown parameter") != NULL);
	CHECK(strstr(kd_buf_cstr(&err), "ghp_") == NULL);
	RUN("template packages/spark -p ghp_0123456789abcdef", 2);
	CHECK(strstr(kd_buf_cstr(&err), "ghp_") == NULL);
	RUN("template packages/spark -p replicas=ghp_0123456789abcdef", 1);
	CHECK(strstr(kd_buf_cstr(&err), "-p replicas: parameter \"replicas\" is of type integer") != NULL);
	CHECK(strstr(kd_buf_cstr(&err), "ghp_") == NULL);
	RUN("template packages/spark -p enableWebhook=ghp_0123456789abcdef", 1);
	CHECK(strstr(kd_buf_cstr(&err), "ghp_") == NULL);
	kd_buf_free(&out);
	kd_buf_free(&err);
}

TEST(cli_template_output_formats)
{
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	RUN("template packages/spark -o json", 0);
	CHECK(strncmp(kd_buf_cstr(&out), "{\n    \"apiVersion\": \"v1\",\n    \"kind\": \"List\",\n    \"items\": [\n", 61) == 0);
	cJSON *list = cJSON_Parse(kd_buf_cstr(&out));
	CHECK(cJSON_GetArraySize(kd_json_get(list, "items")) > 5);
	cJSON_Delete(list);
	RUN("template packages/spark -o yaml", 0);
	CHECK(strncmp(kd_buf_cstr(&out), "---\n# Source: templates/", 24) == 0);
	RUN("template tests/render/string-fields-from-scalars/package -o json", 0);
	CHECK(strstr(kd_buf_cstr(&out), "\"appVersion\": \"3.1415927\"") != NULL);
	kd_buf_free(&out);
	kd_buf_free(&err);
}

/* package list shows what a package holds without letting it drive the terminal. */
TEST(cli_package_list_escapes_control_characters)
{
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT, args = KD_BUF_INIT;
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/esc-pkg", kd_test_tmpdir());
	char path[4200];
	mkdir(dir, 0755);
	snprintf(path, sizeof path, "%s/operator.yaml", dir);
	kd_test_write_file(path,
		"name: esc\noperatorVersion: 0.1.0\ntasks:\n  - name: \"t\\e[2J\"\n    kind: Dummy\n"
		"plans:\n  deploy:\n    phases:\n      - name: \"p\\x9b31m\"\n        steps:\n          - name: s\n"
		"            tasks: [\"t\\e[2J\"]\n",
		0644);
	snprintf(path, sizeof path, "%s/params.yaml", dir);
	kd_test_write_file(path,
		"parameters:\n  - name: \"x\\e]0;owned\\a\"\n    default: \"\\e[31mred\"\n"
		"    description: \"bidi \\u202e txt\"\n",
		0644);
	kd_buf_printf(&args, "package list params '%s'", dir);
	RUN(kd_buf_cstr(&args), 0);
	CHECK(strchr(kd_buf_cstr(&out), '\x1b') == NULL && strchr(kd_buf_cstr(&out), '\a') == NULL);
	CHECK(strstr(kd_buf_cstr(&out), "x\\x1b]0;owned\\x07") != NULL);
	CHECK(strstr(kd_buf_cstr(&out), "\\x1b[31mred") != NULL);
	CHECK(strstr(kd_buf_cstr(&out), "bidi \\u202e txt") != NULL);
	kd_buf_clear(&args);
	kd_buf_printf(&args, "package list plans '%s'", dir);
	RUN(kd_buf_cstr(&args), 0);
	CHECK(strstr(kd_buf_cstr(&out), "[phase] p\\u009b31m") != NULL);
	CHECK(strstr(kd_buf_cstr(&out), "[task] t\\x1b[2J (Dummy)") != NULL);
	kd_buf_clear(&args);
	kd_buf_printf(&args, "package list tasks '%s'", dir);
	RUN(kd_buf_cstr(&args), 0);
	CHECK(strchr(kd_buf_cstr(&out), '\x1b') == NULL);
	kd_buf_free(&args);
	kd_buf_free(&out);
	kd_buf_free(&err);
}
