/* Fuzz target: the watch event stream (kube/watch.c). The first byte picks a chunk size; the rest
 * is fed in chunks of that size. Every complete event is parsed, and its object goes through the
 * readiness rules and the leader-record parser, as a watch in a wait would. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/base.h"
#include "../../kube/internal.h"
#include "../../kube/kube.h"

static int on_event(void *payload, const char *json, size_t len)
{
	int type;
	cJSON *obj = NULL;
	(void)payload;
	if (kd_kube__event_parse(&type, &obj, json, len) == 0) {
		kd_kube_status st;
		kd_kube_status_compute(&st, obj, obj);
		kd_kube_leader_record r = KD_KUBE_LEADER_RECORD_INIT;
		kd_kube_leader_parse(&r, obj);
		kd_kube_leader_record_clear(&r);
		kd_buf sel = KD_BUF_INIT;
		cJSON *spec = obj ? cJSON_GetObjectItemCaseSensitive(obj, "spec") : NULL;
		kd_kube__selector_string(&sel, spec ? cJSON_GetObjectItemCaseSensitive(spec, "selector") : NULL);
		kd_buf_free(&sel);
		if (type == KD_KUBE__EVENT_ERROR)
			kd_kube__status_to_error(500, obj);
	}
	cJSON_Delete(obj);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		kd_base_init();
		init = 1;
	}
	if (size < 1)
		return 0;
	size_t chunk = (size_t)data[0] % 64 + 1;
	data++;
	size--;
	kd_kube__stream s = {0};
	s.max = 1 << 16;
	for (size_t off = 0; off < size; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;
		if (kd_kube__stream_feed(&s, (const char *)data + off, n, on_event, NULL) != 0)
			break;
	}
	kd_kube__stream_reset(&s);
	kd_error_clear();
	return 0;
}
