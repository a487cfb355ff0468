/* kube: kudoc's Kubernetes API client.
 *
 * kubeconfig resolution as kubectl does it, one reused curl handle per client, discovery with a
 * disk cache, server-side apply, get/list/create/delete/patch, watches and a wait helper over
 * them, kstatus-like readiness with reasons a person can act on, and leader-election records.
 *
 * Every fallible function returns 0 or a negative KD_E* code (base/base.h) and leaves the
 * message in kd_error_last(). A Status answered by the API server maps to the matching code
 * (NotFound -> KD_ENOTFOUND, AlreadyExists -> KD_EEXISTS, Conflict -> KD_ECONFLICT,
 * Invalid/BadRequest -> KD_EINVALID, Unauthorized -> KD_EAUTH, Forbidden -> KD_EFORBIDDEN,
 * Timeout/ServerTimeout/504 -> KD_ETIMEOUT) with the server's message and causes intact.
 *
 * Secrets (tokens, passwords, keys, exec plugin output, kubeconfig data) never appear in
 * errors or log lines; an error page that echoes the request has this client's credentials and
 * any Bearer/Basic value replaced by REDACTED. The memory kudoc holds them in is wiped with
 * OPENSSL_cleanse when released (buffers that grow move and wipe instead of realloc); the copies
 * made inside libcurl (request headers, basic-auth credentials, an exec plugin's key) and libyaml
 * (while it parses a kubeconfig) are freed by those libraries without wiping. */
#ifndef KD_KUBE_H
#define KD_KUBE_H

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/base.h"

/* ---------------------------------------------------------------------------------------------
 * Configuration */

/* The resolved connection settings of one context (server, TLS, credentials, namespace). */
typedef struct kd_kube_config kd_kube_config;

typedef struct {
	/* --kubeconfig: this one file, which must exist. NULL: the files of $KUBECONFIG (a ':'
	 * separated list merged by kubectl's rules: the first file to define a cluster, user or
	 * context name wins, current-context from the first file that sets it), else
	 * ~/.kube/config, else the in-cluster service account. */
	const char *kubeconfig;
	const char *context;   /* --context; NULL: the kubeconfig's current-context */
	const char *namespace_; /* -n; NULL: the context's namespace, else "default" */
	/* Where the in-cluster service account lives; NULL: /var/run/secrets/kubernetes.io/serviceaccount.
	 * In-cluster config also needs KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT. */
	const char *in_cluster_dir;
	const char *cluster; /* --cluster: use this cluster entry instead of the context's */
	const char *user;    /* --user: use this user entry instead of the context's */
} kd_kube_config_options;
#define KD_KUBE_CONFIG_OPTIONS_INIT {NULL, NULL, NULL, NULL, NULL, NULL}

/* Loads and resolves the configuration. `opts` may be NULL (all defaults). *out belongs to the
 * caller (kd_kube_config_free). Errors: KD_ENOTFOUND for a missing --kubeconfig file or context,
 * KD_EINVALID for a malformed kubeconfig ("FILE:LINE:COL: problem" where known), KD_ERROR when
 * nothing is configured. */
int kd_kube_config_load(kd_kube_config **out, const kd_kube_config_options *opts);
/* Like kd_kube_config_load over kubeconfig text held in memory (named `name` in errors and used
 * as the base of relative paths: its folder). For tests and fuzzing; no environment is read. */
int kd_kube_config_parse(kd_kube_config **out, const char *name, const char *text, size_t len,
	const kd_kube_config_options *opts);
void kd_kube_config_free(kd_kube_config *cfg);

/* Borrowed views into a loaded config (valid until kd_kube_config_free); NULL when unset. */
const char *kd_kube_config_server(const kd_kube_config *cfg);
const char *kd_kube_config_namespace(const kd_kube_config *cfg); /* never NULL */
const char *kd_kube_config_context(const kd_kube_config *cfg);   /* NULL in-cluster */
const char *kd_kube_config_cluster(const kd_kube_config *cfg);
const char *kd_kube_config_user(const kd_kube_config *cfg);
/* Resolved (absolute) paths of file references; NULL when the kubeconfig gave none. */
const char *kd_kube_config_ca_file(const kd_kube_config *cfg);
const char *kd_kube_config_cert_file(const kd_kube_config *cfg);
const char *kd_kube_config_key_file(const kd_kube_config *cfg);
const char *kd_kube_config_token_file(const kd_kube_config *cfg);
const char *kd_kube_config_exec_command(const kd_kube_config *cfg);
bool kd_kube_config_insecure(const kd_kube_config *cfg);
bool kd_kube_config_in_cluster(const kd_kube_config *cfg);
/* Which kind of credential the user entry has: "exec", "client-certificate", "token",
 * "token-file", "basic", or "none". */
const char *kd_kube_config_auth_kind(const kd_kube_config *cfg);

/* ---------------------------------------------------------------------------------------------
 * Names (pure: no I/O, safe from any thread)
 *
 * Every function here returns 0 when the value is valid, else KD_EINVALID with a message a
 * person can act on in `why` (size `size`): the kind, the field, the value (non-printable
 * bytes as \xNN, cut after 80 characters), what is wrong with it and the rule. They do not
 * touch kd_error_last(). */

typedef enum {
	KD_KUBE_NAME_SUBDOMAIN,    /* DNS-1123 subdomain, at most 253 characters: most kinds, custom resources */
	KD_KUBE_NAME_LABEL,        /* DNS-1123 label, at most 63: core Namespace and Service, apps StatefulSet */
	KD_KUBE_NAME_PATH_SEGMENT, /* only not '.'/'..', no '/' or '%': RBAC kinds, kinds with rules of their own */
} kd_kube_name_rule;

/* The rule Kubernetes 1.37's validation applies to metadata.name of `kind` in `api_version`
 * (the group decides: a Knative serving.knative.dev Service is a subdomain). */
kd_kube_name_rule kd_kube_name_rule_of(const char *api_version, const char *kind);
/* metadata.name (`generate` false) or metadata.generateName (true) of an object of that kind,
 * as the API server checks it (batch CronJob names: at most 52 characters; a generateName as a
 * prefix and as the names generated from it). */
int kd_kube_check_name(char *why, size_t size, const char *api_version, const char *kind, const char *name,
	bool generate);
/* metadata.namespace: a DNS-1123 label. */
int kd_kube_check_namespace(char *why, size_t size, const char *ns);
/* client-go's path-segment rule (IsValidPathSegmentName), which every name and namespace in a
 * request path must pass: not "." or "..", no '/' or '%'. `what` names the value in the
 * message ("ConfigMap name"). */
int kd_kube_check_path_segment(char *why, size_t size, const char *what, const char *s);

/* ---------------------------------------------------------------------------------------------
 * Client */

typedef struct kd_kube_client kd_kube_client;

/* Receives one log line (no newline). */
typedef void (*kd_kube_log_fn)(void *payload, const char *line);

typedef struct {
	/* 0: silent. >= 1: one line per HTTP exchange: method, URL, status, time (and retries).
	 * Nothing else is ever logged, at any level. */
	int verbosity;
	kd_kube_log_fn log; /* NULL: stderr */
	void *log_payload;
	long timeout_ms;         /* one attempt of one request; 0: 30000 */
	long connect_timeout_ms; /* 0: 10000 */
	long budget_ms;          /* all attempts of one request, retries included; 0: 60000 */
	int max_retries;         /* 0: 6; < 0: none */
	/* Root of the discovery cache; NULL: ${XDG_CACHE_HOME:-~/.cache}/kudoc/discovery. */
	const char *cache_dir;
	long discovery_ttl_s; /* 0: 600; < 0: no disk cache */
	const char *field_manager; /* NULL: "kudoc" */
	const char *user_agent;    /* NULL: "kubectl-kudo" */
	/* How long discovery keeps asking when the server does not (yet) serve an apiVersion or
	 * kind: for a moment after a CRD reports Established the apiserver may still answer 404
	 * for its group. 0: 5000; < 0: ask once. */
	long discovery_settle_ms;
	/* Cancellation (Ctrl-C, SIGTERM): when *cancel becomes non-zero, whatever the client is
	 * doing stops within about 100 ms and returns KD_ECANCELED ("... canceled"): a request in
	 * flight (its connection is dropped), a retry's backoff, discovery's settling, an exec
	 * plugin run (the plugin is killed), kd_kube_watch and kd_kube_wait. Nothing is retried
	 * after it. Set it from a signal handler (volatile sig_atomic_t is what one may write
	 * there); several clients may share one flag. NULL: no cancellation. Borrowed: it must
	 * outlive the client. */
	const volatile sig_atomic_t *cancel;
} kd_kube_client_options;
#define KD_KUBE_CLIENT_OPTIONS_INIT {0, NULL, NULL, 0, 0, 0, 0, NULL, 0, NULL, NULL, 0, NULL}

/* Process-wide set-up of libcurl (curl_global_init), done once however often and from however
 * many threads it is called. kd_kube_client_new calls it; a program that starts threads should
 * call it from main before it does (libcurl asks for that), and need not call anything at exit.
 * Returns 0, or KD_ERROR when libcurl cannot be initialised.
 *
 * Threads: a kd_kube_client is not shared between threads, but each thread may have its own and
 * use it at the same time as the others (kube/ keeps no global mutable state; the discovery
 * disk cache is written to a private temporary file and renamed into place). */
int kd_kube_global_init(void);

/* A client for the cluster of `cfg`. The client copies what it needs from cfg (cfg may be freed
 * afterwards). Reads certificate/key/CA files now, into memory. *out belongs to the caller. */
int kd_kube_client_new(kd_kube_client **out, const kd_kube_config *cfg,
	const kd_kube_client_options *opts);
void kd_kube_client_free(kd_kube_client *c);
/* The namespace of the client's context (borrowed, never NULL). */
const char *kd_kube_client_namespace(const kd_kube_client *c);
/* Number of HTTP attempts made so far (retries included); for tests and diagnostics. */
long kd_kube_client_attempts(const kd_kube_client *c);
/* Bounds every request made from now on (retries included) by `deadline_ms`, a point on the
 * monotonic clock in milliseconds (CLOCK_MONOTONIC, as kd_kube_now_ms gives it); 0 removes the
 * bound. A request started after the deadline fails with KD_ETIMEOUT at once. Returns the
 * previous deadline so callers can restore it. (Used to keep a Lua hook's kube calls inside the
 * hook's wall-clock budget.) */
int64_t kd_kube_client_set_deadline(kd_kube_client *c, int64_t deadline_ms);
/* The monotonic clock kd_kube_client_set_deadline uses, in milliseconds. */
int64_t kd_kube_now_ms(void);

/* ---------------------------------------------------------------------------------------------
 * Raw requests */

typedef struct {
	const char *method; /* NULL: GET */
	/* Absolute API path with an optional query, already escaped: "/api/v1/namespaces". */
	const char *path;
	const char *body; /* NULL: no body */
	size_t body_len;
	const char *content_type; /* NULL: application/json when there is a body */
	/* Retry 5xx answers too (they are always retried for GET/HEAD/PUT/DELETE and for
	 * server-side apply). Connection failures before a request was sent and 429 are always
	 * retried. */
	bool idempotent;
} kd_kube_request_options;
#define KD_KUBE_REQUEST_OPTIONS_INIT {NULL, NULL, NULL, 0, NULL, false}

typedef struct {
	long status;         /* HTTP status */
	char *body;          /* NUL-terminated; owned by the response */
	size_t body_len;
} kd_kube_response;
#define KD_KUBE_RESPONSE_INIT {0, NULL, 0}

/* Performs one logical request (with retries inside the budget). Returns 0 whenever an HTTP
 * answer arrived, whatever its status; an error only when none did. Free with
 * kd_kube_response_clear. */
int kd_kube_request(kd_kube_response *out, kd_kube_client *c, const kd_kube_request_options *req);
void kd_kube_response_clear(kd_kube_response *r);
/* Turns a non-2xx answer into the matching error (sets the message, returns the code); 0 for 2xx. */
int kd_kube_status_error(long http_status, const char *body, size_t len);

/* ---------------------------------------------------------------------------------------------
 * Discovery / REST mapping */

typedef struct {
	char *group;    /* "" for the core group */
	char *version;
	char *resource; /* plural: "deployments" */
	char *kind;
	bool namespaced;
} kd_kube_mapping;
#define KD_KUBE_MAPPING_INIT {NULL, NULL, NULL, NULL, false}

/* Maps apiVersion + kind to its resource. Served from memory, then the disk cache (younger than
 * the TTL), then the server; a kind missing from a cached list refreshes it from the server, so
 * CRDs created a moment ago are found. KD_ENOTFOUND: the server has no such kind. Fields belong
 * to `out`; free with kd_kube_mapping_clear. */
int kd_kube_mapping_get(kd_kube_mapping *out, kd_kube_client *c, const char *api_version,
	const char *kind);
void kd_kube_mapping_clear(kd_kube_mapping *m);

/* ---------------------------------------------------------------------------------------------
 * Objects */

typedef struct {
	const char *api_version; /* "apps/v1", "v1" */
	const char *kind;
	const char *namespace_; /* NULL: the client's namespace (ignored for cluster-scoped kinds) */
	const char *name;
	const char *subresource; /* NULL, or "status", "scale", ... */
} kd_kube_ref;

/* Builds the request path for ref (name may be NULL for the collection), e.g.
 * "/apis/apps/v1/namespaces/ns/deployments/web". `ns_all` lists all namespaces. */
int kd_kube_path(kd_buf *out, kd_kube_client *c, const kd_kube_ref *ref, bool ns_all);

/* GET one object. *out belongs to the caller. KD_ENOTFOUND when absent. */
int kd_kube_get(cJSON **out, kd_kube_client *c, const kd_kube_ref *ref);

typedef struct {
	bool force;    /* take over fields owned by other managers instead of KD_ECONFLICT */
	bool dry_run;  /* dryRun=All */
	const char *field_manager; /* NULL: the client's */
	/* fieldValidation: NULL (the server's default, Warn), "Strict" (unknown or duplicate fields
	 * are errors), "Ignore". */
	const char *field_validation;
} kd_kube_apply_options;
#define KD_KUBE_APPLY_OPTIONS_INIT {false, false, NULL, NULL}

/* Server-side apply of `obj` (apiVersion, kind, metadata.name; metadata.namespace or the
 * client's namespace for namespaced kinds). `out` (may be NULL) receives the object as the
 * server stored it. KD_ECONFLICT (message lists the conflicting fields) when another manager
 * owns a field and force is off. */
int kd_kube_apply(cJSON **out, kd_kube_client *c, const cJSON *obj, const kd_kube_apply_options *opts);

/* POST `obj`. KD_EEXISTS when it exists. `out` may be NULL. */
int kd_kube_create(cJSON **out, kd_kube_client *c, const cJSON *obj);
/* PUT `obj` (metadata.resourceVersion gives optimistic concurrency: KD_ECONFLICT). */
int kd_kube_replace(cJSON **out, kd_kube_client *c, const cJSON *obj);
/* PATCH with a patch type: "application/merge-patch+json", "application/json-patch+json",
 * "application/strategic-merge-patch+json". `out` may be NULL. */
int kd_kube_patch(cJSON **out, kd_kube_client *c, const kd_kube_ref *ref, const char *content_type,
	const char *patch);

typedef struct {
	const char *propagation_policy; /* NULL (server default), "Foreground", "Background", "Orphan" */
	long grace_period_s;            /* < 0: unset */
	bool dry_run;
} kd_kube_delete_options;
#define KD_KUBE_DELETE_OPTIONS_INIT {NULL, -1, false}

/* DELETE. KD_ENOTFOUND when it was already gone (callers that do not care check for it). */
int kd_kube_delete(kd_kube_client *c, const kd_kube_ref *ref, const kd_kube_delete_options *opts);

typedef struct {
	const char *label_selector; /* NULL: none */
	const char *field_selector;
	long limit;                 /* page size; 0: 500 */
	bool all_namespaces;
	int pages; /* out: how many pages the last kd_kube_list fetched */
} kd_kube_list_options;
#define KD_KUBE_LIST_OPTIONS_INIT {NULL, NULL, 0, false, 0}

/* Lists every object of ref's kind (ref->name ignored) in its namespace, following `continue`
 * tokens page by page (re-listing from the start if a token expired). *out is a List object
 * {"apiVersion","kind":"<Kind>List","metadata":{"resourceVersion"},"items":[...]} owned by the
 * caller. `opts` may be NULL (it is not const: `pages` is written). */
int kd_kube_list(cJSON **out, kd_kube_client *c, const kd_kube_ref *ref, kd_kube_list_options *opts);

/* ---------------------------------------------------------------------------------------------
 * Watch */

typedef enum {
	KD_KUBE_ADDED,
	KD_KUBE_MODIFIED,
	KD_KUBE_DELETED,
	KD_KUBE_BOOKMARK,
} kd_kube_event_type;

const char *kd_kube_event_type_name(kd_kube_event_type t);

/* Called for each event with the object (borrowed for the call). Return 0 to go on, 1 to stop the
 * watch (kd_kube_watch then returns 0), or a negative code to stop with that error. */
typedef int (*kd_kube_watch_fn)(void *payload, kd_kube_event_type type, const cJSON *object);

typedef struct {
	const char *label_selector;
	const char *field_selector;
	/* Start after this resourceVersion. NULL: list first and report every existing object as
	 * ADDED, then watch from the list's resourceVersion. */
	const char *resource_version;
	long timeout_ms; /* deadline of the whole watch; 0: none. Passing it returns KD_ETIMEOUT */
	bool all_namespaces;
	bool no_bookmarks; /* bookmarks (allowWatchBookmarks) are on unless set */
	int reconnects;    /* out: how many times the stream was re-established */
	int relists;       /* out: how many times a 410 Gone forced a re-list */
} kd_kube_watch_options;
#define KD_KUBE_WATCH_OPTIONS_INIT {NULL, NULL, NULL, 0, false, false, 0, 0}

/* Watches ref's kind in its namespace (ref->name, when set, becomes a metadata.name field
 * selector). A dropped stream is resumed from the last resourceVersion seen (bookmarks
 * included); a 410 Gone re-lists, reports every current object as MODIFIED and objects that
 * vanished in the gap as DELETED, and watches on. */
int kd_kube_watch(kd_kube_client *c, const kd_kube_ref *ref, kd_kube_watch_options *opts,
	kd_kube_watch_fn fn, void *payload);

/* Watches n kinds at once, in this thread: one stream per refs[i] (its kind in its namespace and
 * ref->name, as kd_kube_watch reads a ref), each with opts' selectors, fn getting the events of
 * all of them. Stream i
 * starts after resource_versions[i] (resource_versions NULL or the entry NULL: it lists first,
 * reporting what exists as ADDED); opts->resource_version is not used. reconnects and relists
 * are the sums over the streams. A kind the server does not serve is an error, as is any
 * stream's; callers that want to skip a kind they cannot watch list it first. */
int kd_kube_watch_many(kd_kube_client *c, const kd_kube_ref *refs, const char *const *resource_versions,
	size_t n, kd_kube_watch_options *opts, kd_kube_watch_fn fn, void *payload);

/* ---------------------------------------------------------------------------------------------
 * Readiness */

typedef enum {
	KD_KUBE_CURRENT,
	KD_KUBE_IN_PROGRESS,
	KD_KUBE_FAILED,
	KD_KUBE_NOT_FOUND,
	KD_KUBE_TERMINATING,
} kd_kube_state;

typedef struct {
	kd_kube_state state;
	char reason[512]; /* "" when Current; else what a person can act on */
} kd_kube_status;

/* "Current", "InProgress", "Failed", "NotFound", "Terminating". */
const char *kd_kube_state_name(kd_kube_state s);

/* The readiness of `obj` (NULL: NotFound). `pods` (NULL, a JSON array of Pods, or a PodList)
 * are the workload's pods; when given, an InProgress workload's reason names the first pod
 * that is not ready and why. Pure: no I/O. */
void kd_kube_status_compute(kd_kube_status *out, const cJSON *obj, const cJSON *pods);

/* The pods a Deployment/StatefulSet/DaemonSet/ReplicaSet/Job selects (spec.selector) in its
 * namespace, as a JSON array owned by the caller; an empty array for other kinds. */
int kd_kube_workload_pods(cJSON **out, kd_kube_client *c, const cJSON *obj);

/* Reads obj (by ref) and, for workloads that are not Current, its pods, and computes the status.
 * A missing object is NotFound (returns 0). */
int kd_kube_status_get(kd_kube_status *out, kd_kube_client *c, const kd_kube_ref *ref);

/* ---------------------------------------------------------------------------------------------
 * Waiting */

typedef enum {
	KD_KUBE_WAIT_PENDING = 0,
	KD_KUBE_WAIT_DONE = 1,
	KD_KUBE_WAIT_FAILED = 2,
} kd_kube_wait_verdict;

/* Decides about one object (NULL when it does not exist); may write a reason into `reason`
 * (size `reason_size`). */
typedef kd_kube_wait_verdict (*kd_kube_wait_predicate)(void *payload, const kd_kube_ref *ref,
	const cJSON *obj, char *reason, size_t reason_size);

/* Reports a change of one object's verdict or reason (for progress displays). */
typedef void (*kd_kube_wait_progress)(void *payload, const kd_kube_ref *ref,
	kd_kube_wait_verdict verdict, const char *reason);

typedef struct {
	long timeout_ms; /* 0: 300000 */
	/* NULL: readiness (Current is done, Failed fails the wait at once, the rest is pending). */
	kd_kube_wait_predicate predicate;
	void *predicate_payload;
	kd_kube_wait_progress progress;
	void *progress_payload;
} kd_kube_wait_options;
#define KD_KUBE_WAIT_OPTIONS_INIT {0, NULL, NULL, NULL, NULL}

/* Predicate for waiting until objects are gone. */
kd_kube_wait_verdict kd_kube_wait_deleted(void *payload, const kd_kube_ref *ref, const cJSON *obj,
	char *reason, size_t reason_size);

/* Watches the objects of `refs` (one watch stream per kind and namespace, all at once) until the
 * predicate holds for all of them. KD_ETIMEOUT at the deadline, with every pending object and
 * its reason in the message (workload reasons name the pod that holds it back); KD_ERROR as soon
 * as one object's verdict is FAILED, with its reason. */
int kd_kube_wait(kd_kube_client *c, const kd_kube_ref *refs, size_t n, const kd_kube_wait_options *opts);

/* ---------------------------------------------------------------------------------------------
 * Leader-election records */

typedef enum {
	KD_KUBE_LOCK_ANY,       /* Lease first, then the ConfigMap annotation */
	KD_KUBE_LOCK_CONFIGMAP, /* annotation control-plane.alpha.kubernetes.io/leader */
	KD_KUBE_LOCK_LEASE,     /* coordination.k8s.io/v1 Lease */
} kd_kube_lock_kind;

typedef struct {
	kd_kube_lock_kind kind; /* which one it was read from */
	char *holder;           /* "" when nobody holds it */
	long lease_duration_s;
	int64_t acquire_time_us; /* microseconds since the epoch; 0 when unset */
	int64_t renew_time_us;
	long transitions;
} kd_kube_leader_record;
#define KD_KUBE_LEADER_RECORD_INIT {KD_KUBE_LOCK_ANY, NULL, 0, 0, 0, 0}

/* The record of the lock `name` in `ns` (NULL: client's namespace). KD_ENOTFOUND when there is
 * no such lock (or a ConfigMap without the annotation). Free with kd_kube_leader_record_clear. */
int kd_kube_leader_get(kd_kube_leader_record *out, kd_kube_client *c, kd_kube_lock_kind kind,
	const char *ns, const char *name);
/* Pure: the record in a ConfigMap or Lease object. */
int kd_kube_leader_parse(kd_kube_leader_record *out, const cJSON *obj);
void kd_kube_leader_record_clear(kd_kube_leader_record *r);

/* RFC 3339 ("2024-05-01T10:00:00Z", "...00.123456Z", "...+02:00") to microseconds since the
 * epoch. KD_EINVALID when malformed. */
int kd_kube_time_parse(int64_t *out_us, const char *s);

#endif
