/* sync: keep an instance in step with the git source its revisions record, once or every
 * --interval, holding the Lease kudoc-sync.<instance> so two syncs never act on one instance.
 * What one run decides is plans/sync.c's (kd_sync_once); this file runs it, prints the drift as
 * a diff and one line per run, and turns the outcome into the exit code. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../base/json.h"
#include "../plans/plans.h"
#include "cli.h"
#include "cli_internal.h"

static const char sync_help[] =
	"Usage: kubectl-kudo sync --instance NAME [flags]\n"
	"\n"
	"Keeps an instance installed from git in step with git. Its latest revision records the\n"
	"repository URL, the ref (a branch, a tag, semver:RANGE or a commit id) and the package path;\n"
	"sync resolves the ref again and\n"
	"  - at a new commit with another operatorVersion, upgrades to it (the upgrade plan, else\n"
	"    update, else deploy) with the -P git:PATH files of the install read at the new commit;\n"
	"  - at a new commit with the installed package but changed -P git:PATH files, runs the plan\n"
	"    the changed parameters trigger, as update does (a key taken out of such a file returns to\n"
	"    its default; values given with -p stay);\n"
	"  - at a new commit with neither (a change elsewhere in the repository) records nothing;\n"
	"  - otherwise compares the live objects with the revision's, as `diff` compares them: each is\n"
	"    dry-run applied on the server and both sides shown as YAML without the fields the server\n"
	"    writes (managedFields, resourceVersion, status, ...), Secret values never shown. A\n"
	"    difference is drift, printed as a diff (--- live, +++ the revision). --repair re-applies\n"
	"    the drifted objects (only those: no plan runs again), taking back fields that someone\n"
	"    changed by hand, deletes objects the revision does not have, waits until they are ready\n"
	"    or gone, and records the repair in the revision (`plan history` shows it).\n"
	"A downgrade, a changed package under the same operatorVersion, and any change from git\n"
	"while the latest revision is a rollback are left as they are unless --force (exit 7). An\n"
	"instance installed from a folder, an archive or a repository has no ref to follow: sync only\n"
	"compares its live objects.\n"
	"\n"
	"With --interval, sync runs again after each interval until SIGINT or SIGTERM, printing one\n"
	"line per run. Every sync holds the Lease kudoc-sync.<instance> in the instance's namespace\n"
	"while it runs: a second loop on the same instance waits as a standby (one line per interval)\n"
	"and takes over when the first stops or stops renewing for 30 s; a single sync is refused\n"
	"while a loop holds it (exit 4).\n"
	"\n"
	"Examples:\n"
	"  kubectl kudo install git+https://git.example.com/ops/operators.git//spark?ref=main \\\n"
	"      -P git:envs/prod.yaml --instance spark -n spark-operator\n"
	"  kubectl kudo sync --instance spark -n spark-operator\n"
	"  kubectl kudo sync --instance spark -n spark-operator --repair --interval 1m\n"
	"\n"
	"Flags:\n"
	"      --instance NAME       the instance (required)\n"
	"      --interval DURATION   run again after each DURATION (30s, 1m, 1h) until stopped\n"
	"      --repair              re-apply drifted objects; continue a revision that did not finish\n"
	"      --force               apply a downgrade, a changed package under the same version, or a\n"
	"                            change after a rollback\n"
	"      --timeout DURATION    how long a plan, or a repair's wait, may take (default 10m)\n"
	"      --atomic              when an upgrade or update fails, roll back to the last good revision\n"
	"      --force-conflicts     an upgrade or update takes over fields other field managers own\n"
	"      --history-max N       revisions to keep (default 10)\n"
	"      --git-credentials FILE  HTTPS credentials, lines https://USER:PASSWORD@HOST[/PATH]\n"
	"                            (else KUDOC_GIT_USERNAME/KUDOC_GIT_PASSWORD or KUDOC_GIT_TOKEN)\n"
	"      --git-ssh-key FILE    SSH private key (else ssh-agent; passphrase in KUDOC_GIT_SSH_PASSPHRASE)\n"
	"      --git-known-hosts FILE  SSH host keys to trust (default ~/.ssh/known_hosts)\n";

static const char sync_exit_help[] =
	"\n"
	"Exit codes: 0 in sync; 5 a change was applied (upgraded, updated, repaired, or an unfinished\n"
	"revision continued); 6 drifted (reported, not repaired); 7 git has a change sync applies only\n"
	"with --force; 1 failed (nothing changed when git cannot be read); 2 usage error; 3 timed out;\n"
	"4 another command holds the instance, or another sync its Lease; 130 interrupted. A loop\n"
	"(--interval) stopped by SIGINT or SIGTERM between runs exits 0.\n";

/* ---- output ---- */

/* The drift as a unified diff per object, from the live object to what revision N applies. */
static int print_drift(kd_buf *out, const kd_sync_result *r, const char *instance, const char *ns, bool color)
{
	const kd_plan_diff *d = r->drift;
	kd_buf_printf(out, "drift of instance %s in namespace %s from revision %ld:\n", instance, ns, r->drift_revision);
	kd_buf side = KD_BUF_INIT;
	kd_buf_printf(&side, "revision %ld", r->drift_revision);
	int rc = kd_cli__print_obj_diffs(out, d, kd_buf_cstr(&side), "not there", color);
	kd_buf_free(&side);
	kd_buf_printf(out, "%zu changed, %zu missing, %zu to delete, %zu unchanged\n", d->changed, d->added, d->removed,
		d->unchanged);
	return rc ? rc : kd_buf_check(out, "drift");
}

static int outcome_code(kd_sync_outcome o)
{
	switch (o) {
	case KD_SYNC_APPLIED:
		return KD_EXIT_SYNC_APPLIED;
	case KD_SYNC_DRIFTED:
		return KD_EXIT_SYNC_DRIFTED;
	case KD_SYNC_PENDING:
		return KD_EXIT_SYNC_PENDING;
	default:
		return KD_EXIT_OK;
	}
}

static void utc_now(char *b, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(b, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void put_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void put_line(const char *fmt, ...)
{
	kd_buf b = KD_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	kd_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	kd_buf_putc(&b, '\n');
	kd_cli__write_stdout(kd_buf_cstr(&b), b.len);
	kd_error_clear();
	kd_buf_free(&b);
}

/* A loop prints one line per run on stdout; what its plans log goes to stderr. */
static void loop_observer(void *payload, kd_exec_event ev, const kd_revision *rev, const char *line)
{
	(void)payload;
	(void)rev;
	if (ev == KD_EXEC_EV_LOG && line)
		fprintf(stderr, "kubectl-kudo: %s\n", line);
}

/* ---- running ---- */

typedef struct {
	const kd_cli_opts *o;
	kd_kube_config *cfg;
	kd_sync_options so;
	kd_buf lease;
	const char *ns;
} sync_run;

static int take_lease(kd_plan_lock **lock, sync_run *s)
{
	kd_plan_lock_options lo = KD_PLAN_LOCK_OPTIONS_INIT;
	lo.command = "sync";
	lo.lease_name = kd_buf_cstr(&s->lease);
	kd_kube_client_options co = s->so.op.client_options;
	co.cancel = NULL; /* released after Ctrl-C too */
	return kd_plan_lock_acquire(lock, s->cfg, &co, s->ns, s->o->instance, &lo);
}

/* After a plan stopped (Ctrl-C, a timeout): how to go on. A repair's error says it itself. */
static void resume_hint(int rc, const kd_sync_result *res, const sync_run *s)
{
	bool plan = strcmp(res->action, "upgrade") == 0 || strcmp(res->action, "update") == 0 ||
		    strcmp(res->action, "resume") == 0;
	if ((rc != KD_ECANCELED && rc != KD_ETIMEOUT) || !plan)
		return;
	char *msg = kd_strdup(kd_error_last() ? kd_error_last() : "stopped");
	kd_error_set(KD_ERR_PLAN, "%s; to continue: kubectl kudo plan resume --instance %s -n %s", msg, s->o->instance,
		s->ns);
	free(msg);
}

static int run_once(sync_run *s)
{
	kd_plan_lock *lock = NULL;
	kd_sync_result res = {0};
	kd_cli_progress *prog = kd_cli__progress_new(stdout);
	kd_buf out = KD_BUF_INIT;
	int rc = take_lease(&lock, s);
	if (rc)
		goto done;
	s->so.op.observer = kd_cli__progress_observer;
	s->so.op.observer_payload = prog;
	rc = kd_sync_once(&res, &s->so);
	bool ran = strcmp(res.action, "upgrade") == 0 || strcmp(res.action, "update") == 0 ||
		   strcmp(res.action, "resume") == 0;
	kd_cli__progress_finish(prog, rc == 0 && ran);
	if (rc) {
		resume_hint(rc, &res, s);
		goto done;
	}
	if (res.drift) {
		const char *term = getenv("TERM");
		bool color = isatty(STDOUT_FILENO) && term && strcmp(term, "dumb") != 0 && !getenv("NO_COLOR");
		if ((rc = print_drift(&out, &res, s->o->instance, s->ns, color)))
			goto done;
	}
	kd_buf_printf(&out, "%s\n", res.summary);
	rc = kd_cli__write_stdout(kd_buf_cstr(&out), out.len);
done:
	kd_plan_lock_release(lock);
	kd_cli__progress_free(prog);
	kd_buf_free(&out);
	int code = rc ? -1 : outcome_code(res.outcome);
	kd_sync_result_clear(&res);
	return rc ? rc : code;
}

/* Sleeps `ms`, waking at once when a signal asked to stop. */
static void nap(long ms)
{
	for (long left = ms; left > 0 && !kd_cli_interrupted; left -= 100) {
		struct timespec ts = {0, (left < 100 ? left : 100) * 1000000L};
		nanosleep(&ts, NULL);
	}
}

static int run_loop(sync_run *s, long interval_ms)
{
	kd_plan_lock *lock = NULL;
	char t[32];
	int rc = 0;
	bool standby_said = false;
	s->so.op.observer = loop_observer;
	s->so.op.observer_payload = NULL;
	char iv[32];
	kd_buf ivb = KD_BUF_INIT;
	kd_duration_format(&ivb, (int64_t)interval_ms * 1000000);
	snprintf(iv, sizeof(iv), "%s", kd_buf_cstr(&ivb));
	kd_buf_free(&ivb);
	fprintf(stderr, "kubectl-kudo: syncing instance %s/%s every %s (Lease %s); SIGINT or SIGTERM stops\n", s->ns,
		s->o->instance, iv, kd_buf_cstr(&s->lease));
	while (!kd_cli_interrupted) {
		if (lock && kd_plan_lock_lost(lock)) {
			kd_plan_lock_release(lock);
			lock = NULL;
			utc_now(t, sizeof(t));
			put_line("%s lost the Lease %s (it was not renewed in time); standing by", t, kd_buf_cstr(&s->lease));
		}
		if (!lock) {
			int lrc = take_lease(&lock, s);
			if (lrc) {
				utc_now(t, sizeof(t));
				put_line("%s %s: %s", t, lrc == KD_ELOCKED ? "standby" : "failed",
					kd_error_last() ? kd_error_last() : "cannot take the Lease");
				standby_said = true;
				nap(interval_ms);
				continue;
			}
			if (standby_said) {
				utc_now(t, sizeof(t));
				put_line("%s took over the Lease %s", t, kd_buf_cstr(&s->lease));
			}
		}
		kd_sync_result res = {0};
		rc = kd_sync_once(&res, &s->so);
		resume_hint(rc, &res, s);
		utc_now(t, sizeof(t));
		if (rc == 0)
			put_line("%s %s", t, res.summary);
		else if (rc != KD_ECANCELED || !kd_cli_interrupted)
			put_line("%s %s: %s", t, rc == KD_ELOCKED ? "locked" : "failed",
				kd_error_last() ? kd_error_last() : "sync failed");
		kd_sync_result_clear(&res);
		if (rc == KD_ECANCELED && kd_cli_interrupted)
			break; /* a plan was interrupted: say how to resume */
		rc = 0;
		kd_error_clear();
		nap(interval_ms);
	}
	kd_plan_lock_release(lock);
	if (rc == KD_ECANCELED)
		return rc;
	utc_now(t, sizeof(t));
	put_line("%s stopped", t);
	return 0;
}

static int run(const kd_cli_opts *o)
{
	sync_run s;
	memset(&s, 0, sizeof(s));
	s.o = o;
	long interval_ms = 0;
	int rc;
	if ((rc = kd_cli__check_names(o)))
		goto done;
	if (!o->instance) {
		rc = kd_cli_usage("sync needs --instance NAME");
		goto done;
	}
	if (o->nargs) {
		rc = kd_cli_usage("sync takes no arguments (got %zu): the package comes from the instance's records", o->nargs);
		goto done;
	}
	if (o->interval) {
		int64_t ns = 0;
		if (kd_duration_parse(&ns, o->interval) != 0 || ns < 1000000000LL) {
			rc = kd_cli_usage("--interval %s: not a duration of at least 1s (write it as 30s, 1m or 1h)", o->interval);
			goto done;
		}
		interval_ms = (long)(ns / 1000000);
	}
	kd_op_options *op = &s.so.op;
	if ((rc = kd_cli__timeout_ms(&op->timeout_ms, o, 0)))
		goto done;
	if (o->history_max) {
		char *end = NULL;
		errno = 0;
		long h = strtol(o->history_max, &end, 10);
		if (errno || !end || *end || end == o->history_max || h < 0) {
			rc = kd_cli_usage("--history-max %s: not a whole number", o->history_max);
			goto done;
		}
		op->history_max = h == 0 ? -1 : (int)(h > 1000 ? 1000 : h);
	}
	if ((rc = kd_cli__connect(&s.cfg, &op->client_options, o)))
		goto done;
	kd_cli__catch_signals();
	s.ns = o->namespace ? o->namespace : kd_kube_config_namespace(s.cfg);
	kd_sync_lease_name(&s.lease, o->instance);
	op->config = s.cfg;
	op->instance = o->instance;
	op->namespace_ = s.ns;
	op->atomic = o->atomic;
	op->force_conflicts = o->force_conflicts;
	op->interrupt = &kd_cli_interrupted;
	op->command = "sync";
	kd_source_options src = KD_SOURCE_OPTIONS_INIT;
	src.git_credentials = o->git_credentials;
	src.git_ssh_key = o->git_ssh_key;
	src.git_known_hosts = o->git_known_hosts;
	s.so.source = src;
	s.so.repair = o->repair;
	s.so.force = o->force;
	rc = interval_ms ? run_loop(&s, interval_ms) : run_once(&s);
done:
	kd_buf_free(&s.lease);
	kd_kube_config_free(s.cfg);
	return rc;
}

int kd_cmd_sync(int argc, char **argv)
{
	kd_cli_opts o;
	int rc = kd_cli_parse(&o, argc, argv, kd_cli__command_flags("sync"));
	if (rc == 0 && o.help) {
		kd_cli__put_help_codes(sync_help, sync_exit_help);
		kd_cli_opts_free(&o);
		return KD_EXIT_OK;
	}
	if (rc == 0)
		rc = run(&o);
	kd_cli_opts_free(&o);
	if (rc < 0)
		return kd_cli_fail(rc);
	return rc;
}
