/* Internal to plans/: helpers shared by render.c and verify.c. */
#ifndef KD_PLANS_INTERNAL_H
#define KD_PLANS_INTERNAL_H

#include <stdbool.h>

#include "plans.h"

/* Go's strconv.ParseBool; KD_EINVALID for anything else. */
int kd_plans__parse_bool(const char *s, bool *out);
/* The .Pipes map of a plan: its Pipe tasks' keys -> artifact names. New in *out. */
int kd_plans__pipes(cJSON **out, const kd_pkg *pkg, const char *instance, const kd_pkg_plan *plan);
/* Whether a Toggle task's parameter is on, from the .Params map. */
int kd_plans__toggle_value(bool *on, const kd_pkg *pkg, const kd_pkg_task *t, const cJSON *params);

#endif
