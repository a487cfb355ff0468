/* Runs one of the Spark package's Lua hooks (packages/spark/hooks/) under the hook API of issue 9,
 * for the tests: against objects held in memory, or against a real cluster (e2e). */
#ifndef KD_TEST_SPARK_HOOKS_H
#define KD_TEST_SPARK_HOOKS_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "../../base/base.h"
#include "../../kube/kube.h"

typedef struct {
	const char *hook;               /* file name under packages/spark/hooks/ */
	const char *const *flags;       /* -p name=value, the package's defaults for the rest */
	size_t nflags;
	const char *instance;           /* NULL: spark-instance */
	const char *namespace_;         /* NULL: spark-operator */
	const cJSON *cluster;           /* objects kube.* sees (an array), or */
	kd_kube_client *live;           /* a cluster kube.* reads (then leader.check reads the lock) */
	const char *leader;             /* without `live`: leader.check answers "true" or "false: R" */
} kd_test_spark_hook;

/* *out gets "true", "false: REASON" or "error: MESSAGE"; *record the calls of leader.check
 * ("leader.check namespace=NS lock=NAME kind=KIND pods=N") and log lines ("log: ..."). Returns
 * an error only when the package or the parameters do not load. */
int kd_test_spark_hook_run(kd_buf *out, kd_buf *record, const kd_test_spark_hook *h);

#endif
