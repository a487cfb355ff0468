/* Fuzz target: the template engine (templates/), on any bytes: parse the input as a template,
 * walk its field chains, and execute it against a small fixed data tree with an output cap.
 * Execution errors are expected; crashes, leaks and undefined behaviour are not. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/base.h"
#include "../../base/json.h"
#include "../../templates/templates.h"

static const char data_json[] =
	"{\"Name\":\"inst\",\"Namespace\":\"ns\",\"OperatorName\":\"op\",\"OperatorVersion\":\"1.0.0\","
	"\"Params\":{\"replicas\":\"3\",\"enabled\":\"true\",\"empty\":\"\",\"n\":2.5,\"i\":1,"
	"\"list\":[\"a\",\"b\",1,null,{\"k\":\"v\"}],\"map\":{\"b\":[1,2],\"a\":{\"x\":null}},\"nil\":null},"
	"\"Pipes\":{}}";

static int count_field(const char *chain, int line, int col, void *ud)
{
	(void)chain;
	(void)line;
	(void)col;
	(*(int *)ud)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cJSON *dot;
	if (!dot) {
		kd_base_init();
		dot = cJSON_Parse(data_json);
	}
	kd_tpl_set *set = NULL;
	if (kd_tpl_parse(&set, "fuzz.tpl", (const char *)data, size) == 0) {
		int n = 0;
		kd_tpl_walk_fields(set, count_field, &n);
		/* templates may change their data (set, unset): each input gets a copy of its own */
		cJSON *data_copy = NULL;
		kd_json_dup(&data_copy, dot, NULL);
		kd_buf out = KD_BUF_INIT;
		out.max = (size_t)1 << 20;
		kd_tpl_execute(&out, set, data_copy);
		kd_buf_free(&out);
		kd_json_delete(data_copy);
		/* the set is reusable and must not have been changed by the first run */
		kd_buf out2 = KD_BUF_INIT;
		out2.max = (size_t)1 << 16;
		kd_tpl_execute(&out2, set, NULL);
		kd_buf_free(&out2);
	}
	kd_tpl_set_free(set);
	return 0;
}
