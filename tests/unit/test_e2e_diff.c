/* `diff` against the test cluster: an upgrade's and an update's changes object by object
 * against the live objects (a live edit shows), Secrets never printed, -o json, exit codes,
 * nothing written; and instance names completing through `get instances`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../base/base.h"
#include "../../base/json.h"
#include "../../kube/kube.h"
#include "e2e.h"
#include "run_cmd.h"
#include "test.h"

static const char *const secrets[] = {"first-secret-value", "second-secret-value", "admin-user-value",
	"changed-by-hand-value",
	/* and their base64 forms, as data holds them */
	"Zmlyc3Qtc2VjcmV0LXZhbHVl", "c2Vjb25kLXNlY3JldC12YWx1ZQ==", "YWRtaW4tdXNlci12YWx1ZQ=="};

static bool no_secret(const kd_buf *out, const kd_buf *err)
{
	bool ok = true;
	for (size_t i = 0; i < KD_ARRAY_SIZE(secrets); i++)
		if (strstr(kd_buf_cstr(out), secrets[i]) || strstr(kd_buf_cstr(err), secrets[i])) {
			fprintf(stderr, "  a Secret value was printed: %s\n", secrets[i]);
			ok = false;
		}
	return ok;
}

/* Runs kubectl-kudo with `args` against the test cluster's namespace `ns`. */
static int kudo(kd_buf *out, kd_buf *err, const char *ns, const char *args)
{
	kd_buf_clear(out);
	kd_buf_clear(err);
	return kd_t_sh(out, err, "cd '%s' && '%s' %s -n '%s' --kubeconfig '%s'", kd_test_root(), kd_test_exe(), args, ns,
		kd_test_kubeconfig());
}

static bool live_exists(kd_kube_client *c, const char *ns, const char *name)
{
	cJSON *o = NULL;
	kd_kube_ref r = {"v1", "ConfigMap", ns, name, NULL};
	int rc = kd_kube_get(&o, c, &r);
	cJSON_Delete(o);
	kd_error_clear();
	return rc == 0;
}

TEST(e2e_diff_upgrade_update_and_live_edits)
{
	char ns[64];
	snprintf(ns, sizeof(ns), "kd-e2e-diff-%d", (int)getpid() % 100000);
	kd_kube_client *c = kd_e2e_client(NULL);
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT, want = KD_BUF_INIT;
	CHECK(c != NULL);
	CHECK_INT(kudo(&out, &err, ns, "install tests/e2e/packages/difftest/0.1.0 --instance dt --create-namespace"), 0);

	/* the upgrade: one changed line, a changed Secret key, one new object, one pruned */
	CHECK_INT(kudo(&out, &err, ns, "diff tests/e2e/packages/difftest/0.2.0 --instance dt"), 1);
	const char *o = kd_buf_cstr(&out);
	kd_buf_printf(&want,
		"upgrade of instance dt in namespace %s from difftest 0.1.0 to 0.2.0 (plan deploy, revision 2; changed "
		"parameters: password):\n--- live ConfigMap %s/dt-config\n+++ after ConfigMap %s/dt-config\n"
		"@@ -6,7 +6,7 @@\n   line3: three\n   line4: four\n   line5: five\n-  mode: a\n+  mode: b\n   size: \"1\"\n"
		" kind: ConfigMap\n metadata:\n--- live Secret %s/dt-secret\n+++ after Secret %s/dt-secret\n"
		"@@ -1,6 +1,6 @@\n apiVersion: v1\n data:\n-  password: <redacted>\n+  password: <redacted, changed>\n"
		"   user: <redacted>\n kind: Secret\n metadata:\n",
		ns, ns, ns, ns, ns);
	CHECK(strncmp(o, kd_buf_cstr(&want), want.len) == 0);
	if (strncmp(o, kd_buf_cstr(&want), want.len) != 0)
		fprintf(stderr, "  got:\n%s\n  want to start with:\n%s\n", o, kd_buf_cstr(&want));
	kd_buf_clear(&want);
	kd_buf_printf(&want, "--- live ConfigMap %s/dt-new (absent)\n+++ after ConfigMap %s/dt-new\n@@ -0,0 +1,11 @@\n"
			     "+apiVersion: v1\n+data:\n+  fresh: \"yes\"\n",
		ns, ns);
	CHECK(strstr(o, kd_buf_cstr(&want)) != NULL);
	kd_buf_clear(&want);
	kd_buf_printf(&want,
		"--- live ConfigMap %s/dt-old\n+++ after ConfigMap %s/dt-old (removed: revision 2 no longer has it: pruned "
		"once its plan is COMPLETE)\n@@ -1,11 +0,0 @@\n-apiVersion: v1\n-data:\n-  gone: soon\n",
		ns, ns);
	CHECK(strstr(o, kd_buf_cstr(&want)) != NULL);
	CHECK(strstr(o, "dt-same") == NULL); /* unchanged: counted, not shown */
	size_t ol = strlen(o);
	static const char summary[] = "2 changed, 1 added, 1 removed, 1 unchanged\n";
	CHECK(ol > strlen(summary) && strcmp(o + ol - strlen(summary), summary) == 0);
	/* the server's own fields and the revision annotation are left out; no colour in a pipe */
	CHECK(strstr(o, "managedFields") == NULL);
	CHECK(strstr(o, "resourceVersion") == NULL);
	CHECK(strstr(o, "uid:") == NULL);
	CHECK(strstr(o, "creationTimestamp") == NULL);
	CHECK(strstr(o, "kudoc.dev/revision") == NULL);
	CHECK(strchr(o, '\033') == NULL);
	CHECK(no_secret(&out, &err));

	/* -o json: the same as data */
	CHECK_INT(kudo(&out, &err, ns, "diff tests/e2e/packages/difftest/0.2.0 --instance dt -o json"), 1);
	cJSON *j = cJSON_Parse(kd_buf_cstr(&out));
	CHECK(j != NULL);
	CHECK_STR(kd_json_get_str(j, "operation"), "upgrade");
	CHECK_STR(kd_json_get_str(j, "toVersion"), "0.2.0");
	const cJSON *sum = kd_json_get(j, "summary");
	CHECK_INT(kd_json_get(sum, "changed") ? kd_json_get(sum, "changed")->valueint : -1, 2);
	CHECK_INT(kd_json_get(sum, "unchanged") ? kd_json_get(sum, "unchanged")->valueint : -1, 1);
	const cJSON *ch;
	int n = 0;
	bool secret_ok = false;
	cJSON_ArrayForEach(ch, kd_json_get(j, "changes"))
	{
		n++;
		if (kd_json_get_str(ch, "kind") && strcmp(kd_json_get_str(ch, "kind"), "Secret") == 0)
			secret_ok = strcmp(kd_json_get_str(kd_json_path(ch, "after", "data", NULL), "password"),
					    "<redacted, changed>") == 0 &&
				    strstr(kd_json_get_str(ch, "diff"), "+  password: <redacted, changed>\n") != NULL;
	}
	CHECK_INT(n, 4);
	CHECK(secret_ok);
	cJSON_Delete(j);
	CHECK(no_secret(&out, &err));

	/* an update: the same version with a new value, earlier values kept */
	CHECK_INT(kudo(&out, &err, ns, "diff --instance dt -p greeting=hi"), 1);
	o = kd_buf_cstr(&out);
	CHECK(strstr(o, "update of instance dt in namespace") != NULL);
	CHECK(strstr(o, "-  greeting: hello\n+  greeting: hi\n") != NULL);
	CHECK(strstr(o, "1 changed, 0 added, 0 removed, 3 unchanged\n") != NULL);
	/* a value only a Secret holds: shown as changed, never printed */
	CHECK_INT(kudo(&out, &err, ns, "diff --instance dt -p password=changed-by-hand-value"), 1);
	CHECK(strstr(kd_buf_cstr(&out), "+  password: <redacted, changed>\n") != NULL);
	CHECK(no_secret(&out, &err));
	/* nothing to change: exit 0 */
	CHECK_INT(kudo(&out, &err, ns, "diff --instance dt -p greeting=hello"), 0);
	CHECK(strstr(kd_buf_cstr(&out), "no parameter changes") != NULL);
	CHECK_INT(kudo(&out, &err, ns, "diff tests/e2e/packages/difftest/0.1.0 --instance dt"), 0);

	/* a live edit: the diff is against what is there, not against the record. Another field
	 * manager now owns the field: the upgrade would fail on the conflict, so the diff does, and
	 * with --force-conflicts it shows the field taken back */
	kd_kube_ref same = {"v1", "ConfigMap", ns, "dt-same", NULL};
	CHECK_INT(kd_kube_patch(NULL, c, &same, "application/merge-patch+json", "{\"data\":{\"x\":\"edited\"}}"), 0);
	CHECK_INT(kudo(&out, &err, ns, "diff tests/e2e/packages/difftest/0.2.0 --instance dt"), 2);
	CHECK(strstr(kd_buf_cstr(&err), "templates/same.yaml: the server refuses ConfigMap") != NULL);
	CHECK(strstr(kd_buf_cstr(&err), ".data.x") != NULL);
	CHECK(strstr(kd_buf_cstr(&err), "--force-conflicts") != NULL);
	CHECK_INT(kudo(&out, &err, ns, "diff tests/e2e/packages/difftest/0.2.0 --instance dt --force-conflicts"), 1);
	kd_buf_clear(&want);
	kd_buf_printf(&want, "--- live ConfigMap %s/dt-same\n+++ after ConfigMap %s/dt-same\n", ns, ns);
	CHECK(strstr(kd_buf_cstr(&out), kd_buf_cstr(&want)) != NULL);
	CHECK(strstr(kd_buf_cstr(&out), "-  x: edited\n+  x: \"1\"\n") != NULL);
	CHECK(strstr(kd_buf_cstr(&out), "3 changed, 1 added, 1 removed, 0 unchanged\n") != NULL);

	/* diff wrote nothing: one revision, the old object still there, the new one not */
	CHECK_INT(kudo(&out, &err, ns, "plan history --instance dt -o json"), 0);
	j = cJSON_Parse(kd_buf_cstr(&out));
	CHECK_INT(cJSON_GetArraySize(kd_json_get(j, "items")), 1);
	cJSON_Delete(j);
	CHECK(live_exists(c, ns, "dt-old"));
	CHECK(!live_exists(c, ns, "dt-new"));

	/* after the upgrade, diffing it again finds nothing: the dry-run matches what is stored */
	CHECK_INT(kudo(&out, &err, ns, "upgrade tests/e2e/packages/difftest/0.2.0 --instance dt --force-conflicts"), 0);
	CHECK(!live_exists(c, ns, "dt-old"));
	CHECK_INT(kudo(&out, &err, ns, "diff tests/e2e/packages/difftest/0.2.0 --instance dt --force"), 0);
	CHECK(strstr(kd_buf_cstr(&out), "0 changed, 0 added, 0 removed, 4 unchanged\n") != NULL);
	/* without --force, the same version is an update with no changes */
	CHECK_INT(kudo(&out, &err, ns, "diff tests/e2e/packages/difftest/0.2.0 --instance dt"), 0);
	CHECK(strstr(kd_buf_cstr(&out), "no parameter changes") != NULL);
	/* a downgrade is refused as upgrade refuses it: an error, exit 2 */
	CHECK_INT(kudo(&out, &err, ns, "diff tests/e2e/packages/difftest/0.1.0 --instance dt"), 2);
	CHECK(strstr(kd_buf_cstr(&err), "a downgrade needs --force") != NULL);
	CHECK_INT(kudo(&out, &err, ns, "diff tests/e2e/packages/difftest/0.1.0 --instance dt --force"), 1);
	CHECK(strstr(kd_buf_cstr(&out), "+  gone: soon\n") != NULL);

	/* usage and missing instances */
	CHECK_INT(kudo(&out, &err, ns, "diff tests/e2e/packages/difftest/0.2.0"), 2);
	CHECK(strstr(kd_buf_cstr(&err), "diff needs --instance NAME") != NULL);
	CHECK_INT(kudo(&out, &err, ns, "diff tests/e2e/packages/difftest/0.2.0 --instance nosuch"), 2);
	CHECK(strstr(kd_buf_cstr(&err), "does not exist") != NULL);

	/* bash completes --instance from `get instances` (of the program on the line) in the
	 * namespace on the line */
	kd_buf_clear(&out);
	kd_buf_clear(&err);
	CHECK_INT(kd_t_sh(&out, &err,
			  "cd '%s' && bash -c 'source <(\"$0\" completion bash); "
			  "COMP_WORDS=(\"$0\" diff -n %s --kubeconfig \"$1\" --instance \"\"); COMP_CWORD=7; "
			  "_kubectl_kudo; printf \"%%s\\n\" \"${COMPREPLY[@]}\"' '%s' '%s'",
			  kd_test_tmpdir(), ns, kd_test_exe(), kd_test_kubeconfig()),
		0);
	CHECK_STR(kd_buf_cstr(&out), "dt\n");

	/* colour on a terminal only: the same diff in tmux has it (the pipe above had none) */
	char sock[64];
	snprintf(sock, sizeof(sock), "kudoc-diff-%d", (int)getpid());
	CHECK_INT(kd_t_sh(NULL, NULL,
			  "cd '%s' && tmux -L '%s' new-session -d -x 120 -y 40 -s t \"'%s' diff "
			  "tests/e2e/packages/difftest/0.1.0 --force --instance dt -n '%s' --kubeconfig '%s'; echo kudoc-exit=\\$?; "
			  "sleep 60\"",
			  kd_test_root(), sock, kd_test_exe(), ns, kd_test_kubeconfig()),
		0);
	for (int i = 0; i < 300 && !strstr(kd_buf_cstr(&out), "kudoc-exit="); i++) {
		usleep(100000);
		kd_buf_clear(&out);
		kd_t_sh(&out, NULL, "tmux -L '%s' capture-pane -e -p -S - -t t", sock);
	}
	kd_t_sh(NULL, NULL, "tmux -L '%s' kill-server", sock);
	CHECK(strstr(kd_buf_cstr(&out), "kudoc-exit=1") != NULL);
	/* (tmux writes a colour where it changes: the first line of a run of + or - lines) */
	CHECK(strstr(kd_buf_cstr(&out), "\033[32m+  mode: a") != NULL);
	CHECK(strstr(kd_buf_cstr(&out), "\033[31m-  mode: b") != NULL);
	CHECK(strstr(kd_buf_cstr(&out), "\033[32m+apiVersion: v1") != NULL);

	CHECK_INT(kudo(&out, &err, ns, "uninstall --instance dt"), 0);
	kd_kube_ref nsr = {"v1", "Namespace", NULL, ns, NULL};
	kd_kube_delete_options d = KD_KUBE_DELETE_OPTIONS_INIT;
	kd_kube_delete(c, &nsr, &d);
	kd_error_clear();
	kd_kube_client_free(c);
	kd_buf_free(&out);
	kd_buf_free(&err);
	kd_buf_free(&want);
}
