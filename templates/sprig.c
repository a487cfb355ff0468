/* Placeholder until the sprig library lands: an empty function table. */
#include "tpl_fn.h"

const kd_tpl__fndef kd_tpl__sprig_fns[] = {
	{NULL, NULL, 0, 0},
};
