/* sync without a cluster: its command line (usage errors, --help with the exit codes), the
 * name of its Lease, and the repairs a revision record keeps across a JSON round trip. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/base.h"
#include "../../base/json.h"
#include "../../plans/plans.h"
#include "run_cmd.h"
#include "test.h"

TEST(sync_command_line_usage_and_help)
{
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	CHECK_INT(kd_t_sh(&out, &err, "'%s' sync", kd_test_exe()), 2);
	CHECK(strstr(kd_buf_cstr(&err), "sync needs --instance NAME") != NULL);
	kd_buf_clear(&err);
	CHECK_INT(kd_t_sh(&out, &err, "'%s' sync --instance a ./pkg", kd_test_exe()), 2);
	CHECK(strstr(kd_buf_cstr(&err), "sync takes no arguments") != NULL);
	kd_buf_clear(&err);
	CHECK_INT(kd_t_sh(&out, &err, "'%s' sync --instance a --interval 500ms", kd_test_exe()), 2);
	CHECK(strstr(kd_buf_cstr(&err), "--interval 500ms: not a duration of at least 1s") != NULL);
	kd_buf_clear(&err);
	CHECK_INT(kd_t_sh(&out, &err, "'%s' sync --instance a --interval soon", kd_test_exe()), 2);
	CHECK(strstr(kd_buf_cstr(&err), "--interval soon") != NULL);
	kd_buf_clear(&err);
	CHECK_INT(kd_t_sh(&out, &err, "'%s' sync --instance Bad_Name", kd_test_exe()), 2);
	CHECK(strstr(kd_buf_cstr(&err), "DNS-1123 label") != NULL);
	kd_buf_clear(&err);
	CHECK_INT(kd_t_sh(&out, &err, "'%s' sync --instance a --git https://x/y.git", kd_test_exe()), 2);
	CHECK(strstr(kd_buf_cstr(&err), "unknown flag --git") != NULL);
	kd_buf_clear(&out);
	CHECK_INT(kd_t_sh(&out, NULL, "'%s' sync --help", kd_test_exe()), 0);
	const char *h = kd_buf_cstr(&out);
	CHECK(strstr(h, "Usage: kubectl-kudo sync --instance NAME") != NULL);
	CHECK(strstr(h, "kudoc-sync.<instance>") != NULL);
	CHECK(strstr(h, "Exit codes: 0 in sync; 5 a change was applied") != NULL);
	CHECK(strstr(h, "6 drifted (reported, not repaired); 7 git has a change") != NULL);
	CHECK(strstr(h, "--git-known-hosts FILE") != NULL);
	kd_buf_clear(&out);
	CHECK_INT(kd_t_sh(&out, NULL, "'%s' --help", kd_test_exe()), 0);
	CHECK(strstr(kd_buf_cstr(&out), "\n  sync --instance NAME") != NULL);
	kd_buf_free(&out);
	kd_buf_free(&err);
}

TEST(sync_lease_name_and_repairs_in_the_record)
{
	kd_buf b = KD_BUF_INIT;
	kd_sync_lease_name(&b, "spark");
	CHECK_STR(kd_buf_cstr(&b), "kudoc-sync.spark");
	kd_buf_free(&b);
	CHECK_STR(kd_sync_outcome_name(KD_SYNC_IN_SYNC), "in sync");
	CHECK_STR(kd_sync_outcome_name(KD_SYNC_DRIFTED), "drifted");

	const char *text = "{\"apiVersion\":\"kudoc.dev/v1\",\"kind\":\"Revision\",\"instance\":\"a\",\"namespace\":\"ns\","
			   "\"revision\":3,\"operation\":\"install\",\"plan\":\"deploy\",\"repairs\":[{\"time\":"
			   "\"2024-01-01T00:00:00.000Z\",\"by\":\"sync\",\"objects\":[{\"change\":\"re-applied\","
			   "\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"namespace\":\"ns\",\"name\":\"a-web\"}]}]}";
	cJSON *j = cJSON_Parse(text);
	kd_revision *rev = NULL;
	CHECK_INT(kd_revision_from_json(&rev, j), 0);
	cJSON_Delete(j);
	if (!CHECK(rev != NULL))
		return;
	CHECK_INT(cJSON_GetArraySize(rev->repairs), 1);
	cJSON *back = kd_revision_to_json(rev);
	const cJSON *rp = kd_json_get(back, "repairs");
	CHECK_INT(cJSON_GetArraySize(rp), 1);
	CHECK_STR(kd_json_get_str(cJSON_GetArrayItem(kd_json_get(cJSON_GetArrayItem(rp, 0), "objects"), 0), "name"), "a-web");
	cJSON_Delete(back);
	kd_revision_free(rev);

	/* a revision never repaired has no "repairs" at all */
	j = cJSON_Parse("{\"kind\":\"Revision\",\"instance\":\"a\",\"namespace\":\"ns\",\"revision\":1,\"plan\":\"deploy\"}");
	CHECK_INT(kd_revision_from_json(&rev, j), 0);
	cJSON_Delete(j);
	CHECK(rev && rev->repairs == NULL);
	back = rev ? kd_revision_to_json(rev) : NULL;
	CHECK(back && kd_json_get(back, "repairs") == NULL);
	cJSON_Delete(back);
	kd_revision_free(rev);
}
