#include <stdio.h>

#include "cli.h"

int kd_cmd_version(int argc, char **argv)
{
	kd_cli_opts o;
	int rc = kd_cli_parse(&o, argc, argv, "output");
	if (rc)
		return kd_cli_fail(rc);
	if (o.help) {
		printf("Usage: kubectl-kudo version [-o json]\n\nPrints kudoc's version and the package API it reads.\n\n"
		       "Example:\n  kubectl kudo version\n");
	} else if (o.output && o.output[0] == 'j') {
		printf("{\"version\":\"%s\",\"packageAPI\":\"kudo.dev/v1beta1\"}\n", KD_VERSION);
	} else {
		printf("kubectl-kudo %s (packages kudo.dev/v1beta1)\n", KD_VERSION);
	}
	kd_cli_opts_free(&o);
	return 0;
}
