/* kudoc-tplrun TEMPLATE [DATA_JSON]: renders one template file with kudoc's engine, the way
 * tests/goref/run.sh renders it with Go's, so tests/goref/diff.sh can compare the two. The
 * template's name in messages is $GOREF_NAME, else the file's base name. JSON numbers arrive as
 * float64, as Go's encoding/json gives them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/base.h"
#include "../../templates/templates.h"

int main(int argc, char **argv)
{
	char *text = NULL, *json = NULL;
	size_t len = 0;
	cJSON *data = NULL;
	kd_tpl_set *set = NULL;
	kd_buf out = KD_BUF_INIT;
	int rc = 1;

	kd_base_init();
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: kudoc-tplrun TEMPLATE [DATA_JSON]\n");
		return 2;
	}
	const char *name = getenv("GOREF_NAME");
	if (!name || !*name) {
		name = strrchr(argv[1], '/');
		name = name ? name + 1 : argv[1];
	}
	if (kd_file_read(&text, &len, argv[1], 0))
		goto done;
	if (argc == 3) {
		if (kd_file_read(&json, NULL, argv[2], 0))
			goto done;
		data = cJSON_Parse(json);
		if (!data) {
			kd_error_set(KD_ERR_USAGE, "%s: not valid JSON", argv[2]);
			goto done;
		}
	} else {
		data = cJSON_CreateNull();
	}
	if (kd_tpl_parse(&set, name, text, len) || kd_tpl_execute(&out, set, data))
		goto done;
	fwrite(out.ptr ? out.ptr : "", 1, out.len, stdout);
	rc = 0;
done:
	if (rc)
		fprintf(stderr, "%s\n", kd_error_last() ? kd_error_last() : "failed");
	kd_buf_free(&out);
	kd_tpl_set_free(set);
	cJSON_Delete(data);
	free(json);
	free(text);
	return rc;
}
