/* `kubectl-kudo verify leader`: the leader-election check of lua/lib/leader.lua from the
 * command line, and --failover, which deletes the holder and watches another pod take over. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/json.h"
#include "../kube/kube.h"
#include "../lua/lua.h"
#include "../plans/plans.h"
#include "cli.h"
#include "cli_internal.h"

static const char help[] =
	"Usage:\n"
	"  kubectl-kudo verify leader --instance NAME [-n NS] [--lock [NS/]NAME] [--kind configmap|lease]\n"
	"                             [--failover] [--timeout 2m] [--kubeconfig FILE] [--context NAME]\n"
	"\n"
	"Checks an instance's leader election: exactly one Ready pod of the instance (the pods labelled\n"
	"kudoc.dev/instance=NAME in its namespace) holds the lock, and renewed it within its lease\n"
	"duration. Prints the holder, its pod and node, the acquire and renew times, the transitions\n"
	"and the verdict. Exit 0 when healthy, 1 when not.\n"
	"\n"
	"--failover deletes the holder's pod (refused unless at least two pods are Ready), then reports\n"
	"how long it took until another Ready pod of the instance held the lock, the new holder, and\n"
	"whether the instance became healthy again (the check passes and as many pods are Ready as\n"
	"before). Exit 0 when it did, 1 when it did not, 3 when --timeout passed first.\n"
	"\n"
	"Flags:\n"
	"      --instance NAME      the instance (required)\n"
	"  -n, --namespace NS       the instance's namespace (default: the context's)\n"
	"      --lock [NS/]NAME     the lock; NS defaults to the instance's namespace. Without it, the\n"
	"                           lock the instance's package declares (operator.yaml's leaderElection,\n"
	"                           else the Spark package's leaderElection* parameters), with the\n"
	"                           parameters of its latest revision\n"
	"      --kind KIND          configmap or lease (default: a Lease of that name, else the ConfigMap)\n"
	"      --failover           delete the holder's pod and watch another take over\n"
	"      --timeout DURATION   how long --failover waits for the takeover and the recovery (default 2m)\n"
	"\n"
	"Examples:\n"
	"  kubectl kudo verify leader --instance spark -n spark\n"
	"  kubectl kudo verify leader --instance spark -n spark --lock spark/spark-lock --failover\n";

/* The lock the instance's latest revision declares: its package's `leaderElection` (operator.yaml)
 * mapped over the revision's resolved parameters, or the Spark package's parameter names when the
 * package declares none. */
static int instance_lock(kd_lua_lock *out, kd_kube_client *c, const char *ns, const char *instance)
{
	kd_revision *rev = NULL;
	kd_pkg *pkg = NULL;
	int rc = kd_revision_load(&rev, c, ns, instance, 0);
	if (rc == KD_ENOTFOUND)
		kd_error_set(KD_ERR_PLAN,
			"instance %s/%s has no revision records: install it with kubectl-kudo, or name the lock with --lock "
			"[NS/]NAME",
			ns, instance);
	if (rc)
		goto done;
	if ((rc = kd_revision_package(&pkg, c, rev)) != 0) {
		kd_error_set(KD_ERR_PLAN, "the lock comes from the instance's package, which does not load: %s; or name the "
			"lock with --lock [NS/]NAME", kd_error_last() ? kd_error_last() : "failed");
		goto done;
	}
	const kd_pkg_leader_election *le = &pkg->leader_election;
	if (le->declared) {
		/* what the package leaves out is absent, not the Spark package's name */
		kd_lua_lock_mapping m = {le->enabled_param.str ? le->enabled_param.str : "", le->lock_name_param.str,
			le->lock_namespace_param.str ? le->lock_namespace_param.str : "",
			le->lock_kind_param.str ? le->lock_kind_param.str : "", le->default_lock_suffix.str};
		rc = kd_lua_lock_from_params(out, rev->params, instance, ns, &m);
	} else {
		rc = kd_lua_lock_from_params(out, rev->params, instance, ns, NULL);
	}
	if (rc == KD_ENOTFOUND)
		kd_error_set(KD_ERR_LUA, "%s; name the lock with --lock [NS/]NAME", kd_error_last() ? kd_error_last() : "no lock");
done:
	kd_pkg_free(pkg);
	kd_revision_free(rev);
	return rc;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double mono_s(void)
{
	return (double)kd_kube_now_ms() / 1000.0;
}

/* Seconds as a Go duration rounded to 0.1 s ("4.3s", "2m1s"). */
static void put_secs(kd_buf *out, double s)
{
	if (s < 0)
		s = 0;
	kd_duration_format(out, (int64_t)llround(s * 10) * 100000000LL);
}

static void put_time(kd_buf *out, const char *label, const cJSON *t)
{
	if (!cJSON_IsNumber(t)) {
		kd_buf_printf(out, "%-14s-\n", label);
		return;
	}
	char when[64];
	time_t secs = (time_t)floor(t->valuedouble);
	struct tm tm;
	gmtime_r(&secs, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	kd_buf_printf(out, "%-14s%s (", label, when);
	put_secs(out, now_s() - t->valuedouble);
	kd_buf_puts(out, " ago)\n");
}

static const char *str_or(const cJSON *o, const char *key, const char *dflt)
{
	const char *s = kd_json_get_str(o, key);
	return s && *s ? s : dflt;
}

static double num_or(const cJSON *o, const char *key, double dflt)
{
	const cJSON *v = kd_json_get(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static void report(kd_buf *out, const char *instance, const char *ns, const char *lock_ns, const char *lock,
	const kd_lua_leader_result *r)
{
	const cJSON *d = r->details;
	kd_buf_printf(out, "%-14s%s (namespace %s)\n", "instance:", instance, ns);
	kd_buf_printf(out, "%-14s%s %s/%s\n", "lock:", str_or(d, "kind", "lease or configmap"), lock_ns, lock);
	kd_buf_printf(out, "%-14s%s\n", "holder:", str_or(d, "holder", "-"));
	if (kd_json_get_str(d, "pod"))
		kd_buf_printf(out, "%-14s%s (%s)\n", "pod:", str_or(d, "pod", "-"),
			cJSON_IsTrue(kd_json_get(d, "pod_ready")) ? "Ready" : "not Ready");
	else
		kd_buf_printf(out, "%-14s%s\n", "pod:", kd_json_get_str(d, "holder") ? "not a pod of this instance" : "-");
	kd_buf_printf(out, "%-14s%s\n", "node:", str_or(d, "node", "-"));
	put_time(out, "acquired:", kd_json_get(d, "acquire_time"));
	put_time(out, "renewed:", kd_json_get(d, "renew_time"));
	if (cJSON_IsNumber(kd_json_get(d, "lease_duration"))) {
		kd_buf_printf(out, "%-14s", "lease:");
		put_secs(out, num_or(d, "lease_duration", 0));
		kd_buf_putc(out, '\n');
	} else {
		kd_buf_printf(out, "%-14s-\n", "lease:");
	}
	if (cJSON_IsNumber(kd_json_get(d, "transitions")))
		kd_buf_printf(out, "%-14s%.0f\n", "transitions:", num_or(d, "transitions", 0));
	else
		kd_buf_printf(out, "%-14s-\n", "transitions:");
	kd_buf_printf(out, "%-14s%.0f of %.0f", "ready pods:", num_or(d, "pods_ready", 0), num_or(d, "pods", 0));
	const cJSON *names = kd_json_get(d, "ready_pods"), *it;
	if (cJSON_GetArraySize(names) > 0) {
		const char *sep = " (";
		cJSON_ArrayForEach(it, names)
		{
			kd_buf_printf(out, "%s%s", sep, cJSON_IsString(it) ? it->valuestring : "?");
			sep = ", ";
		}
		kd_buf_putc(out, ')');
	}
	kd_buf_putc(out, '\n');
	if (r->healthy)
		kd_buf_printf(out, "%-14shealthy\n", "verdict:");
	else
		kd_buf_printf(out, "%-14snot healthy: %s\n", "verdict:", r->reason ? r->reason : "");
}

static void flush(kd_buf *out)
{
	fwrite(kd_buf_cstr(out), 1, out->len, stdout);
	fflush(stdout);
	kd_buf_clear(out);
}

/* Waits for the lock's holder to change away from `old`. */
typedef struct {
	const char *old;
	char holder[256];
} takeover;

static bool same_holder(const char *holder, const char *pod)
{
	size_t n = strlen(pod);
	return strcmp(holder, pod) == 0 || (strncmp(holder, pod, n) == 0 && holder[n] == '_');
}

static kd_kube_wait_verdict taken_over(void *payload, const kd_kube_ref *ref, const cJSON *obj, char *reason, size_t size)
{
	takeover *t = payload;
	kd_kube_leader_record r = KD_KUBE_LEADER_RECORD_INIT;
	(void)ref;
	if (!obj || kd_kube_leader_parse(&r, obj) != 0) {
		kd_error_clear();
		snprintf(reason, size, "no leader record");
		return KD_KUBE_WAIT_PENDING;
	}
	kd_kube_wait_verdict v = KD_KUBE_WAIT_PENDING;
	if (r.holder && *r.holder && !same_holder(r.holder, t->old)) {
		snprintf(t->holder, sizeof t->holder, "%s", r.holder);
		v = KD_KUBE_WAIT_DONE;
	} else {
		snprintf(reason, size, "still held by %s", r.holder && *r.holder ? r.holder : "nobody");
	}
	kd_kube_leader_record_clear(&r);
	return v;
}

static int failover(kd_buf *out, kd_kube_client *c, const kd_lua_hook_options *ho, const char *lock_ns, const char *lock,
	kd_kube_lock_kind kind, const kd_lua_leader_result *before, long timeout_ms, int *exit_code)
{
	const cJSON *d = before->details;
	const char *pod = kd_json_get_str(d, "pod"), *holder = kd_json_get_str(d, "holder"),
		   *found_kind = kd_json_get_str(d, "kind");
	double ready_before = num_or(d, "pods_ready", 0);
	kd_lua_leader_result now = {0};
	int rc = 0;
	*exit_code = KD_EXIT_FAILURE;
	if (!pod) {
		kd_buf_printf(out, "%-14srefused: %s\n", "failover:",
			holder ? "the lock's holder is not a pod of this instance, so there is nothing to delete"
			       : "nobody holds the lock");
		return 0;
	}
	if (ready_before < 2) {
		kd_buf_printf(out, "%-14srefused: it needs at least two Ready pods of the instance, and %.0f %s Ready\n",
			"failover:", ready_before, ready_before == 1 ? "is" : "are");
		return 0;
	}
	kd_lua_lock_kind_parse(&kind, found_kind);
	kd_kube_ref pod_ref = {"v1", "Pod", ho->namespace_, pod, NULL};
	kd_buf_printf(out, "%-14sdeleting holder pod %s\n", "failover:", pod);
	flush(out);
	double t0 = mono_s(), deadline = t0 + (double)timeout_ms / 1000.0;
	kd_kube_delete_options dopt = KD_KUBE_DELETE_OPTIONS_INIT;
	if ((rc = kd_kube_delete(c, &pod_ref, &dopt)) != 0)
		return rc;

	/* the takeover: the lock's first change to another holder, seen on a watch */
	takeover t = {pod, ""};
	kd_kube_ref lock_ref = {kind == KD_KUBE_LOCK_LEASE ? "coordination.k8s.io/v1" : "v1",
		kind == KD_KUBE_LOCK_LEASE ? "Lease" : "ConfigMap", lock_ns, lock, NULL};
	kd_kube_wait_options wo = KD_KUBE_WAIT_OPTIONS_INIT;
	wo.timeout_ms = timeout_ms;
	wo.predicate = taken_over;
	wo.predicate_payload = &t;
	rc = kd_kube_wait(c, &lock_ref, 1, &wo);
	if (rc == KD_ETIMEOUT) {
		kd_buf_printf(out, "%-14snone within ", "takeover:");
		put_secs(out, (double)timeout_ms / 1000.0);
		kd_buf_puts(out, "\n");
		*exit_code = KD_EXIT_TIMEOUT;
		return 0;
	}
	if (rc)
		return rc;
	double took = mono_s() - t0;
	if ((rc = kd_lua_leader_check(&now, lock_ns, lock, kind, ho)) != 0)
		return rc;
	const char *new_pod = kd_json_get_str(now.details, "pod");
	bool ours = new_pod && same_holder(t.holder, new_pod);
	kd_buf_printf(out, "%-14s", "takeover:");
	put_secs(out, took);
	kd_buf_printf(out, " after the delete: new holder %s (%s)\n", t.holder,
		!ours ? "not a pod of this instance"
		      : cJSON_IsTrue(kd_json_get(now.details, "pod_ready")) ? "Ready" : "not Ready");
	flush(out);

	/* recovery: the check passes and as many pods are Ready as before */
	for (;;) {
		bool ready = now.healthy && num_or(now.details, "pods_ready", 0) >= ready_before;
		if (ready) {
			kd_buf_printf(out, "%-14s", "recovered:");
			put_secs(out, mono_s() - t0);
			kd_buf_printf(out, " after the delete: healthy, %.0f of %.0f pods Ready\n",
				num_or(now.details, "pods_ready", 0), num_or(now.details, "pods", 0));
			*exit_code = ours ? KD_EXIT_OK : KD_EXIT_FAILURE;
			break;
		}
		if (mono_s() >= deadline) {
			kd_buf_printf(out, "%-14snot within ", "recovered:");
			put_secs(out, (double)timeout_ms / 1000.0);
			kd_buf_printf(out, ": %s; %.0f of %.0f pods Ready\n",
				now.healthy ? "fewer pods Ready than before" : (now.reason ? now.reason : "not healthy"),
				num_or(now.details, "pods_ready", 0), num_or(now.details, "pods", 0));
			*exit_code = KD_EXIT_TIMEOUT;
			break;
		}
		struct timespec ts = {0, 250 * 1000000L};
		nanosleep(&ts, NULL);
		if (kd_cli_interrupted) {
			kd_lua_leader_result_clear(&now);
			kd_error_set(KD_ERR_NONE, "interrupted while waiting for the instance to recover");
			return KD_ECANCELED;
		}
		kd_lua_leader_result_clear(&now);
		if ((rc = kd_lua_leader_check(&now, lock_ns, lock, kind, ho)) != 0)
			return rc;
	}
	kd_lua_leader_result_clear(&now);
	return 0;
}

static int verify_leader(const kd_cli_opts *o, int *exit_code)
{
	kd_kube_config *cfg = NULL;
	kd_kube_client *c = NULL;
	kd_lua_leader_result res = {0};
	kd_lua_lock lk = {NULL, NULL, KD_KUBE_LOCK_ANY};
	kd_buf out = KD_BUF_INIT;
	char *lock_ns = NULL;
	const char *lock_name = NULL;
	kd_kube_lock_kind kind = KD_KUBE_LOCK_ANY;
	long timeout_ms = 120000;
	int rc;

	if (o->nargs)
		return kd_cli_usage("verify leader takes no arguments besides its flags (got \"%s\")", o->args[0]);
	if (!o->instance || !*o->instance)
		return kd_cli_usage("verify leader needs --instance NAME");
	if (o->kind && kd_lua_lock_kind_parse(&kind, o->kind) != 0)
		return kd_cli_usage("--kind must be configmap or lease, not \"%s\"", o->kind);
	if ((rc = kd_cli__check_names(o)) != 0 || (rc = kd_cli__timeout_ms(&timeout_ms, o, 120000)) != 0)
		return rc;
	if (o->lock && (!*o->lock || o->lock[strlen(o->lock) - 1] == '/' || o->lock[0] == '/'))
		return kd_cli_usage("--lock must be NAME or NAMESPACE/NAME, not \"%s\"", o->lock);

	kd_kube_client_options cl;
	if ((rc = kd_cli__connect(&cfg, &cl, o)) != 0 || (rc = kd_kube_client_new(&c, cfg, &cl)) != 0)
		goto done;
	const char *ns = kd_kube_client_namespace(c);

	if (o->lock) {
		const char *slash = strchr(o->lock, '/');
		lock_ns = slash ? kd_strndup(o->lock, (size_t)(slash - o->lock)) : kd_strdup(ns);
		lock_name = slash ? slash + 1 : o->lock;
	} else {
		if ((rc = instance_lock(&lk, c, ns, o->instance)) != 0)
			goto done;
		lock_ns = kd_strdup(lk.namespace_);
		lock_name = lk.name;
		if (!o->kind)
			kind = lk.kind;
	}

	kd_lua_hook_options ho = KD_LUA_HOOK_OPTIONS_INIT;
	ho.client = c;
	ho.instance = o->instance;
	ho.namespace_ = ns;
	ho.wall_ms = 60000;
	ho.stop = &kd_cli_interrupted;
	if ((rc = kd_lua_leader_check(&res, lock_ns, lock_name, kind, &ho)) != 0)
		goto done;
	report(&out, o->instance, ns, lock_ns, lock_name, &res);
	flush(&out);
	*exit_code = res.healthy ? KD_EXIT_OK : KD_EXIT_FAILURE;
	if (o->failover) {
		rc = failover(&out, c, &ho, lock_ns, lock_name, kind, &res, timeout_ms, exit_code);
		flush(&out);
	}
done:
	kd_buf_free(&out);
	kd_lua_leader_result_clear(&res);
	kd_lua_lock_clear(&lk);
	free(lock_ns);
	kd_kube_client_free(c);
	kd_kube_config_free(cfg);
	return rc;
}

int kd_cmd_verify(int argc, char **argv)
{
	kd_cli_opts o;
	int exit_code = KD_EXIT_OK;
	const char *sub = argc > 0 ? argv[0] : NULL;
	if (!sub || strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0) {
		if (sub)
			kd_cli__put_help(help);
		else
			fputs(help, stderr);
		return sub ? KD_EXIT_OK : KD_EXIT_USAGE;
	}
	if (strcmp(sub, "leader") != 0) {
		kd_cli_usage("verify: unknown subcommand \"%s\" (want leader)", sub);
		return kd_cli_fail(KD_EUSAGE);
	}
	int rc = kd_cli_parse(&o, argc - 1, argv + 1, kd_cli__command_flags("verify leader"));
	if (rc == 0 && o.help) {
		kd_cli__put_help(help);
		kd_cli_opts_free(&o);
		return KD_EXIT_OK;
	}
	if (rc == 0) {
		kd_cli__catch_signals();
		rc = verify_leader(&o, &exit_code);
	}
	kd_cli_opts_free(&o);
	return rc ? kd_cli_fail(rc) : exit_code;
}
