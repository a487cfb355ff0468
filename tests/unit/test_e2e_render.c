/* End-to-end: what `template` renders is what a real kube-apiserver accepts. Every object of the
 * Spark package's deploy plan in HA mode goes through a server-side dry-run apply with kudoc's own
 * client, so schema, defaulting and admission (e.g. the protected-group CRD annotation) judge it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../base/json.h"
#include "../../kube/kube.h"
#include "../../operator/operator.h"
#include "../../params/params.h"
#include "../../plans/plans.h"
#include "test.h"

static kd_kube_client *e2e_client(const char *ns)
{
	kd_kube_config *cfg = NULL;
	kd_kube_client *c = NULL;
	kd_kube_config_options co = KD_KUBE_CONFIG_OPTIONS_INIT;
	co.kubeconfig = kd_test_kubeconfig();
	co.namespace_ = ns;
	if (!CHECK_INT(kd_kube_config_load(&cfg, &co), 0))
		return NULL;
	kd_kube_client_options o = KD_KUBE_CLIENT_OPTIONS_INIT;
	CHECK_INT(kd_kube_client_new(&c, cfg, &o), 0);
	kd_kube_config_free(cfg);
	return c;
}

TEST(e2e_spark_ha_render_passes_server_dry_run)
{
	char ns[64]; /* unique: an earlier run's namespace may still be terminating */
	snprintf(ns, sizeof ns, "kudoc-e2e-spark-%ld", (long)getpid());
	kd_pkg *pkg = NULL;
	kd_params *params = NULL;
	cJSON *pmap = NULL;
	kd_render_result *res = NULL;
	char path[4096];
	snprintf(path, sizeof path, "%s/packages/spark", kd_test_root());
	kd_kube_client *c = e2e_client(ns);
	if (!c)
		return;

	const char *flags[] = {"replicas=3", "enableLeaderElection=true", "enableWebhook=true"};
	kd_params_options po = KD_PARAMS_OPTIONS_INIT;
	po.flags = flags;
	po.nflags = KD_ARRAY_SIZE(flags);
	CHECK_INT(kd_pkg_load(&pkg, path, NULL), 0);
	CHECK_INT(kd_params_resolve(&params, pkg, &po), 0);
	CHECK_INT(kd_params_to_template(&pmap, params), 0);
	kd_render_options ro = KD_RENDER_OPTIONS_INIT;
	ro.instance = "spark";
	ro.namespace = ns;
	ro.params = pmap;
	if (!CHECK_INT(kd_plan_render(&res, pkg, &ro), 0))
		goto done;
	CHECK(res->ndocs >= 12);

	/* The namespace must exist for namespaced objects to be admitted. */
	cJSON *nsobj = cJSON_CreateObject();
	cJSON_AddStringToObject(nsobj, "apiVersion", "v1");
	cJSON_AddStringToObject(nsobj, "kind", "Namespace");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(nsobj, "metadata"), "name", ns);
	kd_kube_apply_options ao = KD_KUBE_APPLY_OPTIONS_INIT;
	CHECK_INT(kd_kube_apply(NULL, c, nsobj, &ao), 0);
	cJSON_Delete(nsobj);

	ao.dry_run = true;
	for (size_t i = 0; i < res->ndocs; i++) {
		cJSON *stored = NULL;
		int rc = kd_kube_apply(&stored, c, res->docs[i].object, &ao);
		if (!CHECK_INT(rc, 0))
			fprintf(stderr, "    %s (%s): %s\n", res->docs[i].template_name,
				kd_json_get_str(res->docs[i].object, "kind"), kd_error_last());
		/* The dry run answers with the object as it would be stored: defaulted, not persisted. */
		CHECK(stored && kd_json_path(stored, "metadata", "uid", NULL) != NULL);
		cJSON_Delete(stored);
	}
	kd_kube_ref dep = {"apps/v1", "Deployment", ns, "spark-spark-operator", NULL};
	cJSON *none = NULL;
	CHECK_INT(kd_kube_get(&none, c, &dep), KD_ENOTFOUND); /* dry run wrote nothing */
	cJSON_Delete(none);

	kd_kube_ref nsref = {"v1", "Namespace", NULL, ns, NULL};
	kd_kube_delete_options dopt = KD_KUBE_DELETE_OPTIONS_INIT;
	CHECK_INT(kd_kube_delete(c, &nsref, &dopt), 0);
done:
	kd_render_result_free(res);
	cJSON_Delete(pmap);
	kd_params_free(params);
	kd_pkg_free(pkg);
	kd_kube_client_free(c);
}
