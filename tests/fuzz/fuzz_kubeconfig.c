/* Fuzz target: kubeconfig text -> resolved config (kube/config.c), for the current context and
 * for a named one with a namespace override, reading every accessor of what resolved. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/base.h"
#include "../../kube/kube.h"

static void touch(const kd_kube_config *cfg)
{
	const char *s[] = {kd_kube_config_server(cfg), kd_kube_config_namespace(cfg), kd_kube_config_context(cfg),
		kd_kube_config_cluster(cfg), kd_kube_config_user(cfg), kd_kube_config_ca_file(cfg),
		kd_kube_config_cert_file(cfg), kd_kube_config_key_file(cfg), kd_kube_config_token_file(cfg),
		kd_kube_config_exec_command(cfg), kd_kube_config_auth_kind(cfg)};
	size_t n = 0;
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		n += s[i] ? strlen(s[i]) : 0;
	(void)n;
	(void)kd_kube_config_insecure(cfg);
	(void)kd_kube_config_in_cluster(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		kd_base_init();
		init = 1;
	}
	kd_kube_config *cfg = NULL;
	if (kd_kube_config_parse(&cfg, "/fuzz/dir/config", (const char *)data, size, NULL) == 0)
		touch(cfg);
	kd_kube_config_free(cfg);
	cfg = NULL;
	kd_kube_config_options o = KD_KUBE_CONFIG_OPTIONS_INIT;
	o.context = "dev";
	o.namespace_ = "ns";
	if (kd_kube_config_parse(&cfg, "relative/config", (const char *)data, size, &o) == 0)
		touch(cfg);
	kd_kube_config_free(cfg);
	kd_error_clear();
	return 0;
}
