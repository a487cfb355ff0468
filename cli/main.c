#include <stdio.h>

#include "../base/base.h"

int main(int argc, char **argv)
{
	kd_base_init();
	(void)argc;
	(void)argv;
	printf("kubectl-kudo %s\n", KD_VERSION);
	return 0;
}
