/* End-to-end: `./dev demo`'s script (tests/demo.sh), the README's main job, against the e2e
 * cluster with the binary under test as kubectl's plugin: it must run to its end and show what
 * the Spark operator's HA documentation asks a user to check. Removes what it installed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/base.h"
#include "e2e.h"
#include "test.h"

static bool has(const char *text, const char *s)
{
	if (text && strstr(text, s))
		return true;
	fprintf(stderr, "  expected \"%s\" in the demo's output\n", s);
	return false;
}

TEST(e2e_demo_script_runs_the_main_job)
{
	const char *kc = kd_test_kubeconfig();
	if (!CHECK(kc != NULL))
		return;
	/* the e2e cluster's folder: the kubeconfig's */
	char *dir = kd_strdup(kc), *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	char *log = kd_e2e_tmp("demo.log");
	kd_buf cmd = KD_BUF_INIT;
	kd_buf_printf(&cmd, "KUDOC_TESTENV_DIR='%s' '%s/tests/demo.sh' '%s' >'%s' 2>&1 </dev/null", dir, kd_test_root(),
		kd_test_exe(), log);
	int st = system(kd_buf_cstr(&cmd));
	char *out = NULL;
	kd_file_read(&out, NULL, log, 0);
	kd_error_clear();
	if (!CHECK_INT(st, 0))
		fprintf(stderr, "  demo output:\n%s\n", out ? out : "(none)");
	/* through kubectl's plugin discovery, the documented HA install and the checks after it */
	CHECK(has(out, "$ kubectl kudo install spark --namespace=spark-operator -p replicas=3 -p enableLeaderElection=true"));
	CHECK(has(out, "plan deploy COMPLETE"));
	CHECK(has(out, "Plan deploy (serial strategy) [COMPLETE]"));
	CHECK(has(out, "control-plane.alpha.kubernetes.io/leader"));
	CHECK(has(out, "\"holderIdentity\":\"spark-instance-"));
	CHECK(has(out, "ready pods:   3 of 3"));
	CHECK(has(out, "verdict:      healthy"));
	CHECK(has(out, "takeover:     "));
	CHECK(has(out, "recovered:    "));
	CHECK(has(out, "Stop it with ./dev cluster down."));
	/* three operator pods Running */
	int running = 0;
	for (const char *p = out; p && (p = strstr(p, "\nspark-instance-")) != NULL; p++) {
		const char *eol = strchr(p + 1, '\n');
		const char *r = strstr(p, "Running");
		if (r && (!eol || r < eol))
			running++;
	}
	CHECK(running >= 3);

	/* what the demo leaves running, removed for the tests after this one (the namespace stays,
	 * as the demo reuses it: one being deleted would refuse the next demo's install) */
	kd_buf out2 = KD_BUF_INIT, err2 = KD_BUF_INIT;
	const char *un[] = {"uninstall", "--instance", "spark-instance", "-n", "spark-operator", NULL};
	CHECK_INT(kd_e2e_kudo(&out2, &err2, NULL, un), 0);
	kd_buf_free(&out2);
	kd_buf_free(&err2);
	free(out);
	free(log);
	free(dir);
	kd_buf_free(&cmd);
}
