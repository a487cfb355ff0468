/* Helpers of the Spark package's end-to-end tests (tests/unit/test_e2e_spark_*.c) against
 * testenv: a client, namespaces, the real kubectl, the package rendered as the engine will apply
 * it. */
#ifndef KD_TEST_SPARK_E2E_H
#define KD_TEST_SPARK_E2E_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "../../base/base.h"
#include "../../kube/kube.h"
#include "../../operator/operator.h"
#include "../../plans/plans.h"

/* A client for the test cluster (KUDOC_E2E_KUBECONFIG), discovery not cached on disk. */
kd_kube_client *kd_test_spark_client(void);

/* Creates a namespace named PREFIX-PID-N and returns its name (free with kd_test_spark_drop_ns,
 * which also deletes the namespace). */
char *kd_test_spark_make_ns(kd_kube_client *c, const char *prefix);
void kd_test_spark_drop_ns(kd_kube_client *c, char *ns);

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

/* Adds what the engine adds to every object it applies (TEAM.md): labels
 * app.kubernetes.io/managed-by=kudoc, kudoc.dev/instance, kudoc.dev/operator, annotation
 * kudoc.dev/revision, and the same labels on a workload's pod template. */
void kd_test_spark_engine_labels(cJSON *obj, const char *instance, int revision);

/* Polls (every 250 ms, at most `timeout_s`) until pred returns true. pred gets `ud`. */
bool kd_test_spark_eventually(int timeout_s, bool (*pred)(void *ud), void *ud);

#endif
