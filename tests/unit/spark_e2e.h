/* Helpers of the Spark package's end-to-end tests (tests/unit/test_e2e_spark_*.c) against
 * testenv, besides e2e.h's (client, namespaces, polling): the real kubectl with input and error
 * output, the package rendered and labelled as the engine applies it. */
#ifndef KD_TEST_SPARK_E2E_H
#define KD_TEST_SPARK_E2E_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "../../base/base.h"
#include "../../kube/kube.h"
#include "../../operator/operator.h"
#include "../../plans/plans.h"

/* Runs testenv's real kubectl (KUDOC_TESTENV_BIN kubectl --kubeconfig KUBECONFIG ARGS...; args
 * ends with NULL) with `stdin_text` (may be NULL) as its input. Returns its exit status (-1 when
 * it cannot run); stdout and stderr land in `out` and `err` (either may be NULL). */
int kd_test_spark_kubectl(kd_buf *out, kd_buf *err, const char *stdin_text, const char *const *args);

/* The Spark package loaded from packages/spark and a plan rendered with -p `flags`, as the
 * engine will render it for instance `instance` (NULL: spark-instance) in `ns`. */
typedef struct {
	kd_pkg *pkg;
	kd_render_result *res;
} kd_test_spark_render;
int kd_test_spark_render_plan(kd_test_spark_render *out, const char *plan, const char *instance, const char *ns,
	const char *const *flags, size_t nflags);
/* The same for another package folder, relative to the repository (tests/fixtures/spark-1.0.0). */
int kd_test_spark_render_package(kd_test_spark_render *out, const char *package, const char *plan,
	const char *instance, const char *ns, const char *const *flags, size_t nflags);
void kd_test_spark_render_free(kd_test_spark_render *r);
/* The first rendered object of `kind` (borrowed), or NULL. */
cJSON *kd_test_spark_find(const kd_test_spark_render *r, const char *kind);

/* Deletes the ClusterRoles and ClusterRoleBindings of the render (deleting the test's namespace
 * does not). */
void kd_test_spark_delete_cluster_scoped(kd_kube_client *c, const kd_test_spark_render *r);

/* Adds what the engine adds to every object it applies (TEAM.md): labels
 * app.kubernetes.io/managed-by=kudoc, kudoc.dev/instance, kudoc.dev/operator, annotation
 * kudoc.dev/revision, and the same labels on a workload's pod template. */
void kd_test_spark_engine_labels(cJSON *obj, const char *instance, int revision);

#endif
