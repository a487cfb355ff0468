/* plans: turning a package, its parameters and a plan into the objects it would apply, checking
 * a package the way `package verify` does, and running plans against a cluster: the status
 * tree, revision records, the instance lock, the executor and the lifecycle operations built on
 * them (install, update, upgrade, rollback, uninstall, trigger, resume). */
#ifndef KD_PLANS_H
#define KD_PLANS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "../base/base.h"
#include "../operator/operator.h"
#include "../kube/kube.h"
#include <signal.h>

/* What a render needs besides the package. */
typedef struct {
	const char *instance;  /* NULL: "<operator>-instance" */
	const char *namespace; /* NULL: "default" */
	const char *plan;      /* NULL: "deploy" */
	const cJSON *params;   /* the .Params map (params/ builds it); borrowed */
	/* Also render the templates of Delete tasks and of Toggle tasks whose parameter is false
	 * (documents with action KD_RENDER_DELETE): what the plan executor deletes. */
	bool with_deletes;
} kd_render_options;
#define KD_RENDER_OPTIONS_INIT {NULL, NULL, NULL, NULL, false}

typedef enum {
	KD_RENDER_APPLY = 0,
	KD_RENDER_DELETE,
} kd_render_action;

/* One document a template produced. */
typedef struct {
	char *template_name; /* relative to templates/ */
	/* The document as rendered (without its separator line when that holds only a comment,
	 * blank lines before and white space after), or `object` printed as YAML when that text
	 * would not read back as `object` (a block scalar at its end, whose final line break
	 * KUDO's split removes; a "---" or "%" line of its own) */
	char *text;
	cJSON *object;       /* the parsed object */
	char *phase, *step, *task;
	int line;            /* where the document starts in the rendered file (1-based) */
	kd_render_action action;
	/* Indexes of the phase, step and task (in the step's list) that produced it. */
	size_t phase_index, step_index, task_index;
} kd_rendered;

typedef struct {
	kd_rendered *docs; /* in plan order */
	size_t ndocs;
	char *instance, *namespace, *plan;
} kd_render_result;

/* Renders every template that the plan's Apply tasks, and Toggle tasks whose parameter is
 * true, would apply, in plan order (phases, then steps, then tasks, then resources). Every
 * document is parsed and must be an object with apiVersion, kind and metadata.name (or
 * generateName); documents empty or holding only comments are dropped. The first problem
 * stops the render with an error naming the template and line. *out is freed with
 * kd_render_result_free. */
int kd_plan_render(kd_render_result **out, const kd_pkg *pkg, const kd_render_options *opts);
void kd_render_result_free(kd_render_result *res);

/* Appends the result as `template` prints it: each document as "---\n# Source: templates/NAME\n"
 * followed by its text. Read back as kubectl reads a stream, every way of printing gives exactly
 * the result's objects. KD_ELIMIT when `out` is full. */
int kd_render_result_print(kd_buf *out, const kd_render_result *res);
/* `template -o yaml`: each object as YAML (yaml.v2's Marshal style) after the same header. */
int kd_render_result_print_yaml(kd_buf *out, const kd_render_result *res);
/* `template -o json`: the objects as the items of a kubectl-style {"apiVersion": "v1",
 * "kind": "List", "items": [...]}, numbers as Go's encoding/json writes them. */
int kd_render_result_print_json(kd_buf *out, const kd_render_result *res);

/* The template data KUDO gives a template (.Name, .Namespace, .OperatorName, ...). New. */
cJSON *kd_plan_template_data(const kd_pkg *pkg, const char *instance, const char *namespace,
	const char *plan, const char *phase, const char *step, const cJSON *params, const cJSON *pipes);

/* Splits a rendered file into documents exactly as KUDO's renderer.YamlToObject does
 * (strings.Split on "\n---"), calling cb for each piece that is not blank (strings.TrimSpace)
 * with the piece as it is (after the first, it begins with the rest of its separator's line),
 * its length and its 1-based first line. A piece holding only comments decodes to null and is
 * skipped by KUDO too. Stops at a non-zero return. */
typedef int (*kd_doc_cb)(const char *text, size_t len, int line, void *ud);
int kd_plan_split_documents(const char *text, size_t len, kd_doc_cb cb, void *ud);

/* The .Params of a render with the package's defaults, a value of its type standing in for
 * each required parameter without one (what verify and benchmarks render with). Fails with
 * params/'s message when a default does not fit its type or enum. */
int kd_plan_default_params(cJSON **out, const kd_pkg *pkg);

/* `package verify`: the findings, each a line "FILE:LINE:COL: message" or "message". */
typedef struct {
	char **errors;
	size_t nerrors;
	char **warnings;
	size_t nwarnings;
} kd_verify_result;

/* Checks the package: semver fields, plans name existing tasks and a deploy plan exists,
 * health hooks name Lua files of the package outside templates/ that parse (a .lua file no
 * hook names is a warning), `leaderElection` names parameters that exist with fitting types,
 * tasks name existing templates and parameters, parameters used in templates are defined
 * and defined ones are used, defaults fit type and enum, triggers name plans, templates
 * parse and every plan renders with the defaults, namespaceManifest rules. Returns 0 when the
 * checks ran (even with errors found); *out is freed with kd_verify_result_free. */
int kd_package_verify(kd_verify_result **out, const kd_pkg *pkg);
void kd_verify_result_free(kd_verify_result *res);

/* ---------------------------------------------------------------------------------------------
 * Plan status: the tree plan -> phases -> steps -> tasks, as KUDO's `plan status` shows it. */

typedef enum {
	KD_EXEC_NEVER_RUN = 0,
	KD_EXEC_PENDING,
	KD_EXEC_IN_PROGRESS,
	KD_EXEC_COMPLETE,
	KD_EXEC_ERROR,       /* transient: the step is retried with backoff */
	KD_EXEC_FATAL_ERROR, /* stops the plan */
} kd_exec_state;

/* "NEVER_RUN", "PENDING", "IN_PROGRESS", "COMPLETE", "ERROR", "FATAL_ERROR". */
const char *kd_exec_state_name(kd_exec_state s);
/* The state named `s`; KD_EINVALID for an unknown name. */
int kd_exec_state_parse(kd_exec_state *out, const char *s);

typedef struct {
	char *name;
	kd_exec_state state;
	char *message;                     /* NULL or "" when none */
	int64_t started_us, finished_us;   /* microseconds since the epoch; 0 when not yet */
} kd_status_head;

typedef struct {
	kd_status_head h;
	char *kind; /* "Apply", "Toggle", ... */
} kd_task_status;

typedef struct {
	kd_status_head h;
	kd_task_status *tasks;
	size_t ntasks;
	char **waiting; /* what the step waits for right now, one line an object; in memory only */
	size_t nwaiting;
	int attempts;   /* how many times the step ran (ERROR retries count) */
	int64_t retry_at_us; /* after an ERROR: not before this time */
} kd_step_status;

typedef struct {
	kd_status_head h;
	kd_pkg_strategy strategy;
	kd_step_status *steps;
	size_t nsteps;
} kd_phase_status;

typedef struct {
	kd_status_head h;
	kd_pkg_strategy strategy;
	kd_phase_status *phases;
	size_t nphases;
} kd_plan_status;

/* A NEVER_RUN tree for plan `plan_name` of `pkg`. KD_ENOTFOUND (usage-class message listing the
 * plans) when there is no such plan. Free with kd_plan_status_free. */
int kd_plan_status_new(kd_plan_status **out, const kd_pkg *pkg, const char *plan_name);
void kd_plan_status_free(kd_plan_status *st);
/* JSON form stored in revision records (times as RFC 3339 with milliseconds). */
cJSON *kd_plan_status_to_json(const kd_plan_status *st);
int kd_plan_status_from_json(kd_plan_status **out, const cJSON *json);
/* A deep copy, what steps wait for included; NULL only if `st` is damaged. */
kd_plan_status *kd_plan_status_dup(const kd_plan_status *st);

/* Appends the tree as KUDO's `plan status` draws it, with task lines and, when `now_us` is not
 * 0, elapsed times of running parts and the objects running steps wait for. */
typedef struct {
	const char *instance;
	const char *operator_version; /* "spark-1.0.0" */
	int64_t now_us;               /* 0: no elapsed times */
	bool tasks;                   /* task lines under each step */
	bool color;                   /* ANSI colours for states (terminals only) */
} kd_plan_status_print_options;
int kd_plan_status_print(kd_buf *out, const kd_plan_status *st, const kd_plan_status_print_options *o);

/* ---------------------------------------------------------------------------------------------
 * Revisions: every install, update, upgrade, rollback and triggered plan of an instance is a
 * revision, recorded in the instance's namespace as a Secret of type kudoc.dev/revision.v1
 * holding gzipped JSON, and its package's files in Secrets of their own (so rollback needs
 * nothing but the cluster). */

#define KD_REVISION_SECRET_TYPE "kudoc.dev/revision.v1"

/* One object a revision applies (or deleted), as recorded. */
typedef struct {
	char *api_version, *kind, *namespace_, *name; /* namespace_ "" for cluster-scoped kinds */
	char *template_name;
	size_t phase_index, step_index;
	bool deleted; /* named by a Delete task or a Toggle task that was off */
	bool keep;    /* annotation kudoc.dev/keep: "true": never pruned */
} kd_rev_object;

typedef struct kd_revision {
	char *instance, *namespace_;
	long number;
	char *operation; /* "install", "update", "upgrade", "rollback", "trigger" */
	char *operator_name, *operator_version, *app_version;
	cJSON *source;      /* where the package came from: {"kind", "source", "url", "ref", "commit", "path"} */
	cJSON *user_params; /* what the user gave (-p/-P), merged over earlier revisions' */
	cJSON *params;      /* the resolved set, template form */
	cJSON *changed;     /* names of the parameters this revision changed (array) */
	long rollback_of;   /* rollback: the revision whose package and parameters it restored */
	cJSON *repairs;     /* `sync --repair` of this revision: [{time, commit, objects}]; NULL when none */
	char *plan;
	kd_plan_status *status;
	kd_rev_object *objects;
	size_t nobjects;
	char *digest; /* sha256 of the rendered objects, hex */
	int64_t created_us;
	int64_t uninstalled_us; /* uninstall --keep-history: when the instance's objects were deleted */
	/* The package (files), loaded on demand: kd_revision_package. */
	kd_pkg_input_file *files;
	char **file_storage; /* owned copies behind files[] */
	size_t nfiles;
	bool files_loaded;
	/* Bookkeeping of the record (not part of it). */
	size_t package_parts;
	size_t record_parts; /* Secrets the record's own text was split across when last saved or read */
} kd_revision;

void kd_revision_free(kd_revision *rev);
/* Frees the n revisions of v and v itself (a list from kd_revision_list). */
void kd_revision_list_free(kd_revision **v, size_t n);
/* The record's JSON (without the package files). New. */
cJSON *kd_revision_to_json(const kd_revision *rev);
int kd_revision_from_json(kd_revision **out, const cJSON *json);

/* Copies the package's files into the revision (what rollback later loads). */
void kd_revision_set_package(kd_revision *rev, const kd_pkg *pkg);

/* Writes the revision's record (creating or replacing it); with `with_package`, also its
 * package Secrets (split in parts under 1 MiB). */
int kd_revision_save(kd_kube_client *c, kd_revision *rev, bool with_package);
/* Reads revision `number` (0: the newest) of an instance. KD_ENOTFOUND when there is none. */
int kd_revision_load(kd_revision **out, kd_kube_client *c, const char *ns, const char *instance, long number);
/* Every revision of the instance, oldest first, without package files. *out is an array of
 * *n pointers; free each with kd_revision_free and the array with free(). */
int kd_revision_list(kd_revision ***out, size_t *n, kd_kube_client *c, const char *ns, const char *instance);
/* The instances that have records in `ns` (NULL: all namespaces): their newest revisions. */
int kd_revision_list_instances(kd_revision ***out, size_t *n, kd_kube_client *c, const char *ns);
/* Loads the revision's package from its Secrets and builds it. *out belongs to the caller. */
int kd_revision_package(kd_pkg **out, kd_kube_client *c, kd_revision *rev);
/* Deletes the revision's record and package Secrets. */
int kd_revision_delete(kd_kube_client *c, const kd_revision *rev);

/* ---------------------------------------------------------------------------------------------
 * The instance lock: a coordination.k8s.io/v1 Lease "kudoc.<instance>" in the instance's
 * namespace, held and renewed by a thread while a command changes the instance. */

typedef struct kd_plan_lock kd_plan_lock;

typedef struct {
	long lease_s;       /* 0: 30 */
	const char *command; /* for the holder identity "host/pid/command" */
	/* The Lease's name; NULL: "kudoc.<instance>", the instance lock. Another name is another
	 * lock with the same rules (`sync` holds "kudoc-sync.<instance>" while it runs). */
	const char *lease_name;
} kd_plan_lock_options;
#define KD_PLAN_LOCK_OPTIONS_INIT {0, NULL, NULL}

/* Takes the lock. KD_ELOCKED when another live holder has it (the message names the holder and
 * since when, and how long until it expires). A Lease whose holder stopped renewing, or whose
 * holder is a process of this host that no longer runs, is taken over. The renewing thread uses
 * its own client made from `cfg` (which must outlive the lock). */
int kd_plan_lock_acquire(kd_plan_lock **out, const kd_kube_config *cfg, const kd_kube_client_options *copts,
	const char *ns, const char *instance, const kd_plan_lock_options *opts);
/* Whether another command holds the instance's lock right now: 0, or KD_ELOCKED with the
 * message naming the holder. Reads only (for commands that find no records: an install that
 * has its lock but has not written its first record yet). */
int kd_plan_lock_check(kd_kube_client *c, const char *ns, const char *instance);
/* True once renewing failed for longer than the lease: another command may have taken over. */
bool kd_plan_lock_lost(const kd_plan_lock *l);
/* Releases the lock (clears the holder) and frees `l`. NULL does nothing. */
void kd_plan_lock_release(kd_plan_lock *l);

/* ---------------------------------------------------------------------------------------------
 * Executing a plan. */

/* Every object of one run of a plan, rendered, labelled and mapped before the first write. */
typedef struct kd_exec_plan kd_exec_plan;

/* Renders rev->plan of `pkg` with rev->params (Apply, Toggle and Delete tasks), adds kudoc's
 * labels and the revision annotation (on pod templates too), sets the namespace of namespaced
 * objects, and maps every object through discovery: an apiVersion/kind that the server does not
 * serve and no CRD of the plan provides fails naming the template, the apiVersion and kind and
 * what the server serves instead. Refuses plans with Pipe tasks. Fills rev->objects and
 * rev->digest, and rev->status when it is NULL. Reads only. */
int kd_exec_prepare(kd_exec_plan **out, const kd_pkg *pkg, kd_revision *rev, kd_kube_client *c);
void kd_exec_plan_free(kd_exec_plan *p);
/* Objects of the prepared plan, in plan order: count, and the i-th (borrowed). */
size_t kd_exec_plan_size(const kd_exec_plan *p);
size_t kd_exec_plan_count(const kd_exec_plan *p, bool deletes);
const cJSON *kd_exec_plan_object(const kd_exec_plan *p, size_t i, bool *deleted, const char **template_name);
/* --dry-run: a server-side dry run of every object the plan applies, printed as a YAML stream
 * (each after "# Source: templates/FILE"), managed fields left out. Writes nothing. */
int kd_exec_dry_run(kd_buf *out, kd_exec_plan *p, kd_kube_client *c);

typedef enum {
	KD_EXEC_EV_STATUS,  /* the status tree changed (and was written) */
	KD_EXEC_EV_WAITING, /* what a step waits for changed */
	KD_EXEC_EV_LOG,     /* a line worth showing (`line`) */
} kd_exec_event;

/* Called with the executor's lock held, from any of its threads: `rev` is stable during the
 * call; do not keep pointers into it. */
typedef void (*kd_exec_observer)(void *payload, kd_exec_event ev, const kd_revision *rev, const char *line);

/* Runs after a step's objects are applied and healthy (Lua health hooks). Returns 0 when the
 * step is healthy, KD_ETIMEOUT at the deadline, KD_ECANCELED when *stop became set, KD_ERROR
 * (fatal, message in `err`) when a hook failed. */
typedef int (*kd_exec_step_hook)(void *payload, kd_kube_client *c, const kd_revision *rev, const kd_pkg *pkg,
	size_t phase, size_t step, int64_t deadline_us, const volatile sig_atomic_t *stop, kd_buf *err);

/* Runs the KudoOperator task `task` of step (phase, step): its child instance installed or
 * changed and its plan COMPLETE. Same return codes as kd_exec_step_hook. */
typedef int (*kd_exec_child_hook)(void *payload, const kd_revision *rev, size_t phase, size_t step, size_t task,
	int64_t deadline_us, const volatile sig_atomic_t *stop, kd_buf *err);

typedef struct {
	kd_kube_client *client;          /* records (the caller's thread) */
	const kd_kube_config *config;    /* each running step makes its own client from it */
	kd_kube_client_options client_options;
	long timeout_ms;                 /* the whole plan; 0: 10 minutes */
	bool force_conflicts;            /* take over fields other managers own */
	bool dry_run;                    /* write no records (used by tests of the scheduler) */
	const volatile sig_atomic_t *interrupt; /* Ctrl-C: stop at once, leave a resumable record */
	kd_plan_lock *lock;              /* a lost lock stops the run */
	kd_exec_observer observer;
	void *observer_payload;
	kd_exec_step_hook step_hook;
	void *step_hook_payload;
	kd_exec_child_hook child_hook;   /* NULL: a plan with KudoOperator tasks is refused */
	void *child_hook_payload;
} kd_exec_options;
#define KD_EXEC_OPTIONS_INIT {0}

/* Runs the prepared plan as revision `rev`, from its first step that is not COMPLETE (a resumed
 * revision continues where it stopped), writing rev's record after every status change.
 * Returns 0 when the plan is COMPLETE; KD_ERROR when it ended in FATAL_ERROR (message: the step
 * and why), KD_ETIMEOUT (message: what it still waits for), KD_ECANCELED when interrupted,
 * KD_ELOCKED when the lock was lost. */
int kd_exec_run(kd_exec_plan *p, kd_revision *rev, const kd_exec_options *o);

/* ---------------------------------------------------------------------------------------------
 * Lifecycle operations. Each reads the instance's records, resolves parameters and prepares
 * every object before the first write; then takes the instance's lock, records a new revision
 * and runs its plan. After a COMPLETE plan, objects earlier revisions applied that this one does
 * not are deleted (unless annotated kudoc.dev/keep: "true") and revisions beyond the history
 * limit are dropped (never the newest good one). An unfinished latest revision (a killed or
 * interrupted command) is resumed first. */

/* One parameter file in memory: `name` is what messages call it (a path, "git:values.yaml"). */
typedef struct {
	const char *name;
	const char *text;
	size_t len;
} kd_op_param_text;

typedef struct {
	const kd_kube_config *config; /* must outlive the call */
	kd_kube_client_options client_options;
	const char *instance;   /* install: NULL gives "<operator>-instance" */
	const char *namespace_; /* NULL: the context's namespace */
	const char *const *pflags; /* -p name=value */
	size_t npflags;
	const char *const *pfiles; /* -P files, read by params/ */
	size_t npfiles;
	/* Parameter files held in memory (-P files read by the caller, -P git:PATH, a KudoOperator
	 * task's rendered parameterFile), applied after `pfiles` and before -p. */
	const kd_op_param_text *ptexts;
	size_t nptexts;
	/* The -P arguments as given, recorded in the revision's source (sync reads the git: ones
	 * again at a new commit). */
	const char *const *pspecs;
	size_t npspecs;
	const cJSON *source;    /* install/upgrade (and update when given: sync): where the package
	                         * came from (recorded) */
	/* update/upgrade: names of earlier user values to forget before resolving (sync: the values
	 * the recorded -P git: files gave, so a key taken out of such a file returns to its default) */
	const char *const *forget;
	size_t nforget;
	const char *plan;       /* trigger: the plan */
	long revision;          /* rollback: the target (0: the previous good one) */
	long timeout_ms;        /* the plan; 0: 10 minutes */
	int history_max;        /* 0: 10; < 0: keep all */
	bool atomic, dry_run, force_conflicts, create_namespace, force, keep_history, delete_crds;
	const volatile sig_atomic_t *interrupt;
	const char *command;    /* for the lock's holder identity */
	kd_buf *dry_run_out;    /* --dry-run: the objects, as the server would store them */
	kd_exec_observer observer;
	void *observer_payload;
	kd_exec_step_hook step_hook;
	void *step_hook_payload;
} kd_op_options;

typedef struct {
	long revision;       /* the revision that ran (or the current one for a no-op) */
	char *plan;
	kd_exec_state state;
	bool noop;           /* nothing to do (update without changes, resume of a COMPLETE plan) */
	long rolled_back_to; /* rollback, or --atomic after a failure */
	char *message;
} kd_op_result;

void kd_op_result_clear(kd_op_result *r);

/* Errors of all: KD_ELOCKED (another command holds the instance), KD_ETIMEOUT, KD_ECANCELED,
 * KD_EUSAGE (a plan or revision that does not exist), KD_ENOTFOUND (no such instance), else
 * KD_ERROR/KD_EINVALID with the message. */
int kd_op_install(kd_op_result *res, const kd_pkg *pkg, const kd_op_options *o);
/* Runs the plan the changed parameters trigger; no change is a no-op. */
int kd_op_update(kd_op_result *res, const kd_op_options *o);
/* A new operator version: `upgrade`, else `update`, else `deploy`; earlier user values kept,
 * the new version's defaults for the rest; a downgrade or the same version needs o->force. */
int kd_op_upgrade(kd_op_result *res, const kd_pkg *pkg, const kd_op_options *o);
/* The package and parameters of o->revision (0: the previous good one) as a new revision,
 * running that package's deploy plan. */
int kd_op_rollback(kd_op_result *res, const kd_op_options *o);
int kd_op_trigger(kd_op_result *res, const kd_op_options *o);
/* Continues the latest revision at its first step not COMPLETE (a FATAL_ERROR plan too). */
int kd_op_resume(kd_op_result *res, const kd_op_options *o);
/* Runs the cleanup plan when the package has one, deletes the instance's objects in reverse
 * apply order (CRDs only with delete_crds) and waits until they are gone, then its records
 * (unless keep_history) and its lock. */
int kd_op_uninstall(kd_op_result *res, const kd_op_options *o);
/* ---- package sources (plans/source.c) -------------------------------------------------------
 * What install, upgrade, diff and template call to turn the PACKAGE argument (or --git) into a
 * loaded package and a record of where it came from. */

/* Where a package came from, as a revision records it. No field ever holds a credential. */
typedef struct {
	char *source; /* the source as given, credentials removed ("git+https://h/r.git//op?ref=v1") */
	char *kind;   /* "dir", "tgz", "shipped", "git", "url", "repo" */
	char *url;    /* git: the repository URL; url: the archive URL; repo: the archive's URL */
	char *ref;    /* git: the ref as given (NULL: the remote's HEAD) */
	char *commit; /* git: the resolved commit, 40 hex digits */
	char *path;   /* git: the package folder in the repository ("" for the root); dir, tgz,
	               * shipped: the absolute path loaded */
	char *repo;   /* repo: the repository's name; git: the ref it resolved to
	               * ("refs/tags/v1.2.0"), NULL for a commit id or HEAD */
	char *digest; /* url, repo, tgz: the archive's sha256 */
} kd_pkg_origin;

void kd_pkg_origin_clear(kd_pkg_origin *o);
/* The origin as a JSON object with the field names above (absent fields left out), for
 * revision records and `-o json`. */
cJSON *kd_pkg_origin_to_json(const kd_pkg_origin *o);
/* The reverse; missing members stay NULL. */
int kd_pkg_origin_from_json(kd_pkg_origin *o, const cJSON *j);

typedef struct {
	/* --git URL --git-ref REF --git-path PATH: when git_url is set, the source argument of
	 * kd_source_load must be NULL or "" (both is a usage error) */
	const char *git_url, *git_ref, *git_path;
	/* credentials and trust for git (see gitops/gitops.h for the environment variables) */
	const char *git_credentials; /* --git-credentials FILE */
	const char *git_ssh_key;     /* --git-ssh-key FILE */
	const char *git_known_hosts; /* --git-known-hosts FILE */
	/* repositories */
	const char *repo;             /* --repo NAME; NULL: the repositories file's context */
	const char *operator_version; /* --operator-version */
	const char *app_version;      /* --app-version */
	/* folders (NULL: the defaults: ${XDG_CACHE_HOME:-~/.cache}/kudoc/git and
	 * ${XDG_CONFIG_HOME:-~/.config}/kudoc) */
	const char *cache_dir;
	const char *config_dir;
	const kd_pkg_load_options *load; /* caps; NULL: the defaults */
} kd_source_options;
#define KD_SOURCE_OPTIONS_INIT {NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL}

/* Loads the package `source` names, in this order:
 *   git+URL...        a git source (gitops/), also when opts->git_url is set
 *   http:// https://  a .tgz to download
 *   an existing path  a package folder or a .tgz/.tar.gz/.tar
 *   a bare NAME       (no '/') a package kudoc ships: $KUDOC_PACKAGES_DIR/NAME, then
 *                     <dir of the binary>/../share/kudoc/packages/NAME, then
 *                     <dir of the binary>/../../packages/NAME (a build in a checkout), then
 *                     NAME in the repository (opts->repo, else the context) with
 *                     opts->operator_version / app_version
 * --operator-version / --app-version given for a source that is not a repository name must
 * match the package loaded (else KD_EINVALID). On success *out is the caller's (kd_pkg_free)
 * and *origin_out is filled (kd_pkg_origin_clear); on failure the error names the source and,
 * for a bare NAME, every place that was tried. origin_out may be NULL. */
/* The folders where kudoc looks for the packages it ships, in order: $KUDOC_PACKAGES_DIR,
 * <dir of the binary>/../share/kudoc/packages (an install prefix), <dir of the binary>/../../packages
 * (zig-out/bin in a checkout). Returns their number; entries are NULL when unknown. The array
 * and its strings are the caller's (free); *labels (may be NULL) names each place. */
size_t kd_source_shipped_dirs(char ***out, const char *const **labels);
int kd_source_load(kd_pkg **out, kd_pkg_origin *origin_out, const char *source, const kd_source_options *opts);

/* Reads a parameter file for -P: "git:PATH" is PATH (relative to the repository root) at the
 * origin's repository and commit (the origin must be a git one; no network when the commit is
 * cached); anything else is a plain file path. *data is NUL-terminated, the caller's. */
int kd_source_read_param_file(char **data, size_t *len, const kd_pkg_origin *origin, const char *spec,
	const kd_source_options *opts);

/* ---------------------------------------------------------------------------------------------
 * Diffs: a line diff (Myers' O(ND) algorithm in linear space) in the unified format, and what an
 * update or upgrade would change, object by object, against the live objects (`diff`). */

typedef struct {
	const char *from_label; /* the "--- " and "+++ " lines; both NULL: no such lines */
	const char *to_label;
	int context;            /* common lines shown around each change; < 0: 3 */
	bool color;             /* ANSI colours (terminals only) */
} kd_diff_options;
#define KD_DIFF_OPTIONS_INIT {NULL, NULL, 3, false}

/* Appends the unified diff (`diff -u`) of text a to text b: the two label lines, then hunks
 * "@@ -l,n +l,n @@" of changed lines with `context` common lines around them; a last line without
 * a newline is followed by "\ No newline at end of file". Sets *differ; appends nothing when the
 * texts are equal. Shortest (minimal) unless the inputs are huge and very different, when a cost
 * cap splits the search early. `o` may be NULL. */
int kd_diff_unified(kd_buf *out, bool *differ, const char *a, size_t alen, const char *b, size_t blen,
	const kd_diff_options *o);

typedef enum {
	KD_OBJ_UNCHANGED = 0,
	KD_OBJ_CHANGED,
	KD_OBJ_ADDED,
	KD_OBJ_REMOVED,
} kd_obj_change_kind;

/* "unchanged", "changed", "added", "removed". */
const char *kd_obj_change_kind_name(kd_obj_change_kind k);

/* One object of a diff. `live` and `after` are what the diff shows: server-owned noise left out
 * and Secret values replaced (see kd_plan_diff); NULL when the object is absent on that side. */
typedef struct {
	kd_obj_change_kind change;
	char *api_version, *kind, *namespace_, *name; /* namespace_ "" for cluster-scoped kinds */
	char *template_name; /* NULL for pruned objects */
	char *note;          /* NULL, or why the object is removed or not checked by the server */
	cJSON *live, *after;
	char *live_yaml, *after_yaml; /* kd_yaml_emit of live and after; "" when absent */
} kd_obj_diff;

typedef struct {
	kd_obj_diff *items; /* the plan's objects in plan order, then the pruned ones */
	size_t nitems;
	size_t changed, added, removed, unchanged;
} kd_plan_diff;

typedef struct {
	bool force_conflicts; /* dry-run as --force-conflicts would apply */
} kd_plan_diff_options;
#define KD_PLAN_DIFF_OPTIONS_INIT {false}

/* What running prepared plan `p` as revision `next` would change against the live objects: each
 * object the plan applies is dry-run applied on the server (server-side apply, dryRun=All) and
 * compared with the live one; objects its Delete and Toggle-off tasks name, and those a COMPLETE
 * `next` would prune (what the revisions `revs` applied and `next` does not), are removed when
 * they exist. Objects whose kind or namespace only this plan creates, and objects with a
 * generated name, cannot be dry-run: they are shown as rendered, with a note.
 * Both sides leave out metadata.managedFields, resourceVersion, generation, uid,
 * creationTimestamp and selfLink, status, and the kudoc.dev/revision annotation (which every
 * object of a new revision gets). A Secret's data and stringData values (and a
 * kubectl.kubernetes.io/last-applied-configuration annotation on it) are replaced by
 * "<redacted>", or "<redacted, changed>" on the after side when the value changes. Writes
 * nothing. *out is freed with kd_plan_diff_free. */
int kd_plan_diff_run(kd_plan_diff **out, kd_exec_plan *p, const kd_revision *next, kd_revision *const *revs,
	size_t nrevs, kd_kube_client *c, const kd_plan_diff_options *o);
void kd_plan_diff_free(kd_plan_diff *d);
/* The diff as data: {"changes": [{change, apiVersion, kind, namespace, name, template, note,
 * live, after, diff}], "summary": {changed, added, removed, unchanged}}. New. */
cJSON *kd_plan_diff_to_json(const kd_plan_diff *d);

/* What kd_op_update (pkg NULL) or kd_op_upgrade (pkg) would do, computed as they compute it
 * (the same records, parameter resolution with earlier user values kept, immutability and
 * trigger rules, version checks) with nothing written and nothing resumed. A package of the
 * installed version without o->force is an update: it runs the installed package. */
typedef struct {
	kd_revision **revs; /* the instance's revisions, oldest first */
	size_t nrevs;
	kd_revision *next;  /* the revision the operation would record; NULL: it would do nothing */
	kd_pkg *installed;  /* the package of the latest revision */
	const kd_pkg *pkg;  /* the package the operation would run: the caller's or `installed` */
	bool upgrade;       /* an upgrade (else an update) */
	bool unfinished;    /* the latest revision's plan has not ended: the operation resumes it first */
} kd_op_preview;

/* Fills *out (owned by the caller: kd_op_preview_clear). Errors are those of kd_op_update and
 * kd_op_upgrade before their first write. */
int kd_op_preview_new(kd_op_preview *out, const kd_pkg *pkg, const kd_op_options *o);
void kd_op_preview_clear(kd_op_preview *pv);

/* ---------------------------------------------------------------------------------------------
 * Sync (plans/sync.c): an instance kept in step with the git source its latest revision records.
 * One run resolves the recorded URL, ref and path again and compares:
 *   - a new commit with another operatorVersion: kd_op_upgrade with the package at that commit
 *     and the recorded -P git: files read at it (an older version, or the same version with other
 *     package files, only with `force`: KD_SYNC_PENDING otherwise);
 *   - a new commit with the installed package whose -P git: files changed: kd_op_update (the
 *     plan the changed values trigger; values a file no longer sets return to their defaults);
 *   - a new commit with neither, or the same commit: no new revision; the live objects are
 *     compared with the latest revision's (kd_plan_diff_run: server-side dry run, managed fields
 *     left out) and differences are drift, re-applied (only the drifted objects) with `repair`,
 *     which the revision's record keeps ("repairs").
 * After a rollback (the latest revision is one), a git change is applied only with `force`
 * (KD_SYNC_PENDING otherwise): the rollback pins the instance until someone moves it on.
 * An instance whose latest revision did not come from git has no ref to follow: only its live
 * objects are compared. */

typedef enum {
	KD_SYNC_IN_SYNC = 0, /* git has nothing new for the instance and the live objects match */
	KD_SYNC_APPLIED,     /* an upgrade or update ran to COMPLETE, or drift was repaired */
	KD_SYNC_DRIFTED,     /* live objects differ from the revision (or its plan did not finish); not repaired */
	KD_SYNC_PENDING,     /* git differs in a way sync applies only with `force` (see above) */
} kd_sync_outcome;

/* "in sync", "applied", "drifted", "pending". */
const char *kd_sync_outcome_name(kd_sync_outcome o);

typedef struct {
	/* config, client_options, instance (required), namespace_, timeout_ms, history_max, atomic,
	 * force_conflicts, interrupt, command, observer: as the lifecycle operations take them. The
	 * package, parameters, source and force fields are sync's own and ignored here. */
	kd_op_options op;
	/* git credentials, known_hosts, the cache folder (git_url/ref/path come from the record) */
	kd_source_options source;
	bool repair; /* re-apply drifted objects; continue an unfinished latest revision */
	bool force;  /* apply a downgrade, a changed package under the same version, a change after a rollback */
} kd_sync_options;

typedef struct {
	kd_sync_outcome outcome;
	const char *action;   /* static: "none", "upgrade", "update", "repair", "resume"; set also
	                       * when that step failed (kd_sync_once's error) */
	long revision;        /* the instance's latest revision afterwards */
	char *commit;         /* the commit the ref resolved to; NULL for a source that is not git */
	char *summary;        /* one line, no newline: what sync found and did */
	kd_plan_diff *drift;  /* the drifted objects (DRIFTED, or what a repair re-applied); NULL else */
	long drift_revision;  /* the revision `drift` compares with */
} kd_sync_result;

void kd_sync_result_clear(kd_sync_result *r);
/* Runs one sync of o->op.instance. Errors (nothing changed in the cluster before the first
 * write): KD_ENOTFOUND (no such instance), KD_ELOCKED (another command holds it), the git
 * source's errors (unknown ref, unreachable, credentials, host key, no operator.yaml), those of
 * kd_op_upgrade/update, KD_ETIMEOUT, KD_ECANCELED; a FATAL_ERROR latest revision is KD_ERROR. */
int kd_sync_once(kd_sync_result *res, const kd_sync_options *o);
/* The name of the Lease a sync of `instance` holds: "kudoc-sync.<instance>". */
void kd_sync_lease_name(kd_buf *out, const char *instance);

#endif
