/* Fuzz target: the YAML loader (base/yaml.c), on any bytes: parse every document with
 * positions, look up the position of every node, and print what parsed back as JSON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/base.h"
#include "../../base/json.h"
#include "../../base/yaml.h"

static void walk(const kd_yaml_pos *pos, const cJSON *n)
{
	int line, col;
	kd_yaml_pos_get(pos, n, &line, &col);
	kd_yaml_pos_get_key(pos, n, &line, &col);
	for (const cJSON *c = n->child; c; c = c->next)
		walk(pos, c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		kd_base_init();
		init = 1;
	}
	cJSON *docs = NULL;
	kd_yaml_pos *pos = NULL;
	if (kd_yaml_parse_all(&docs, &pos, "fuzz.yaml", (const char *)data, size) == 0) {
		walk(pos, docs);
		char *s = cJSON_PrintUnformatted(docs);
		free(s);
	}
	cJSON_Delete(docs);
	kd_yaml_pos_free(pos);
	cJSON *one = NULL;
	if (kd_yaml_parse_one_at(&one, NULL, "fuzz.yaml", (const char *)data, size, 7) == 0)
		cJSON_Delete(one);
	return 0;
}
