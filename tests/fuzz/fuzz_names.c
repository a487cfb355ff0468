/* Fuzz target: the name rules (kube/names.c) on any bytes. The first byte picks the kind and
 * the check, the rest is the value. Besides crashes and undefined behaviour it traps when the
 * rules contradict each other: a valid name or namespace always makes a valid path segment, a
 * valid subdomain/label stays within its length, and a refusal always says why. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../kube/kube.h"

static const char *const kinds[][2] = {
	{"v1", "ConfigMap"},
	{"v1", "Service"},
	{"v1", "Namespace"},
	{"apps/v1", "StatefulSet"},
	{"rbac.authorization.k8s.io/v1", "Role"},
	{"batch/v1", "CronJob"},
	{"example.com/v1", "Widget"},
	{"networking.k8s.io/v1", "IPAddress"},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	char *v = malloc(size);
	memcpy(v, data + 1, size - 1);
	v[size - 1] = '\0';
	const char *const *k = kinds[data[0] % (sizeof(kinds) / sizeof(kinds[0]))];
	int mode = (data[0] >> 4) % 3;
	char why[1024], seg[1024];
	why[0] = '\0';
	int rc;
	if (mode == 2)
		rc = kd_kube_check_namespace(why, sizeof(why), v);
	else
		rc = kd_kube_check_name(why, sizeof(why), k[0], k[1], v, mode == 1);
	size_t n = strlen(v);
	if (rc != 0 && (rc != KD_EINVALID || why[0] == '\0'))
		__builtin_trap();
	if (rc == 0 && mode != 1 && kd_kube_check_path_segment(seg, sizeof(seg), "value", v) != 0)
		__builtin_trap();
	if (rc == 0 && mode == 2 && n > 63)
		__builtin_trap();
	if (rc == 0 && mode == 0 && kd_kube_name_rule_of(k[0], k[1]) == KD_KUBE_NAME_LABEL && n > 63)
		__builtin_trap();
	if (rc == 0 && mode == 0 && kd_kube_name_rule_of(k[0], k[1]) == KD_KUBE_NAME_SUBDOMAIN && n > 253)
		__builtin_trap();
	free(v);
	return 0;
}
