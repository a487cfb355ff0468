/* kube internals shared by the module's files (not part of the public interface). */
#ifndef KD_KUBE_INTERNAL_H
#define KD_KUBE_INTERNAL_H

#include <curl/curl.h>
#include <time.h>

#include "kube.h"

struct kd_kube_config {
	char *server;
	char *context_name, *cluster_name, *user_name;
	char *namespace_;
	char *source; /* kubeconfig file the context came from (for messages), or "in-cluster" */
	/* TLS */
	char *ca_file;
	char *ca_data; /* PEM, decoded */
	size_t ca_len;
	bool insecure;
	char *tls_server_name;
	char *proxy_url;
	/* credentials */
	char *cert_file, *key_file;
	char *cert_data, *key_data;
	size_t cert_len, key_len;
	char *token;
	char *token_file;
	char *username, *password;
	/* exec plugin */
	char *exec_command;
	char *exec_api_version;
	char **exec_args; /* NULL-terminated */
	char **exec_env;  /* NULL-terminated "NAME=value" */
	char *exec_install_hint;
	bool exec_provide_cluster_info;
	bool in_cluster;
};

kd_kube_config *kd_kube__config_dup(const kd_kube_config *cfg);

/* base64 (standard alphabet, whitespace ignored, padding optional). *out is NUL-terminated. */
int kd_kube__b64_decode(char **out, size_t *out_len, const char *in, size_t len);

/* Exec credentials. */
typedef struct {
	char *token;
	char *cert, *key;
	size_t cert_len, key_len;
	int64_t expires_us; /* 0: never */
	bool valid;
	int runs; /* how many times the plugin ran (tests) */
} kd_kube__exec_cred;

/* Returns the cached credential, or runs the plugin when there is none, it expired, or `force`. */
int kd_kube__exec_get(kd_kube__exec_cred *cred, const kd_kube_config *cfg, bool force,
	const volatile sig_atomic_t *cancel);
void kd_kube__exec_cred_clear(kd_kube__exec_cred *cred);
/* Parses an ExecCredential document (pure). */
int kd_kube__exec_parse(kd_kube__exec_cred *cred, const char *api_version, const char *json,
	size_t len);

/* Status -> error */
int kd_kube__status_to_error(long http_status, const cJSON *status);

/* Client internals used by discovery/ops/watch. */
typedef struct {
	const char *key;
	const char *value;
} kd_kube__query;

/* Appends "?k=v&..." (escaped; NULL values skipped) to path. */
int kd_kube__append_query(kd_buf *path, const kd_kube__query *q, size_t n);
/* Request that parses a JSON answer; non-2xx become errors. *out may be NULL to drop the body. */
int kd_kube__request_json(cJSON **out, kd_kube_client *c, const char *method, const char *path,
	const char *content_type, const char *body, bool idempotent);
/* Builds a full URL for an API path into out (with the tls-server-name rewrite). */
int kd_kube__url(kd_buf *out, kd_kube_client *c, const char *path);
/* Configures a fresh easy handle for the client (TLS, auth headers). `headers` receives a list the
 * caller frees after the transfer. */
int kd_kube__setup_handle(kd_kube_client *c, CURL *h, struct curl_slist **headers);
/* Logs a line at verbosity >= level. */
void kd_kube__log(kd_kube_client *c, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Monotonic milliseconds. */
int64_t kd_kube__now_ms(void);
/* URL without userinfo (for logs and messages). */
void kd_kube__redact_url(kd_buf *out, const char *url);
const char *kd_kube__field_manager(const kd_kube_client *c);
long kd_kube__budget_ms(const kd_kube_client *c);
long kd_kube__connect_timeout_ms(const kd_kube_client *c);
/* After a 401 on a stream: drop cached credentials so the next handle setup refreshes them. */
void kd_kube__auth_invalidate(kd_kube_client *c);

/* Discovery internals */
typedef struct kd_kube__discovery kd_kube__discovery;
void kd_kube__discovery_free(kd_kube__discovery *d);
kd_kube__discovery **kd_kube__client_discovery(kd_kube_client *c);
const char *kd_kube__client_server(const kd_kube_client *c);
const char *kd_kube__client_cache_dir(const kd_kube_client *c);
long kd_kube__client_ttl(const kd_kube_client *c);
long kd_kube__client_settle_ms(const kd_kube_client *c);
/* Sleeps ms, waking every CANCEL_POLL_MS to look at the client's cancel flag: 0, or
 * KD_ECANCELED (message set, naming `what`). */
int kd_kube__sleep_ms(kd_kube_client *c, long ms, const char *what);
/* How often a blocked wait looks at a cancel flag. */
#define KD_KUBE__CANCEL_POLL_MS 50
/* True once the client's cancel flag is set; _has_cancel: the client has a flag at all. */
bool kd_kube__canceled(const kd_kube_client *c);
bool kd_kube__client_has_cancel(const kd_kube_client *c);
/* Sets "<what>: canceled" and returns KD_ECANCELED. */
int kd_kube__cancel_error(const char *what);

/* Resolves ref's mapping and namespace; `ns_out` borrowed (NULL for cluster-scoped). */
int kd_kube__ref_path(kd_buf *out, kd_kube_client *c, const kd_kube_ref *ref, bool ns_all,
	kd_kube_mapping *mapping);

/* Watch event stream parser: splits a byte stream into top-level JSON values (the API server
 * writes one event object per line, but chunk boundaries fall anywhere). */
typedef struct {
	kd_buf buf;      /* bytes of the value being collected */
	int depth;
	bool in_string, escape;
	bool started;
	size_t max; /* cap of one event (0: 64 MiB) */
} kd_kube__stream;

typedef int (*kd_kube__stream_fn)(void *payload, const char *json, size_t len);
/* Feeds bytes; calls fn for every complete top-level value. Returns fn's non-zero result, or
 * KD_ELIMIT for an oversized event, else 0. */
int kd_kube__stream_feed(kd_kube__stream *s, const char *data, size_t len, kd_kube__stream_fn fn,
	void *payload);
void kd_kube__stream_reset(kd_kube__stream *s);

/* Parses one watch event {"type":..,"object":..}. type_out: 0..3 event types, 4 ERROR. *obj_out
 * is detached from the event and owned by the caller. */
#define KD_KUBE__EVENT_ERROR 4
int kd_kube__event_parse(int *type_out, cJSON **obj_out, const char *json, size_t len);

/* A JSON number as a long: `def` when v is not a number (or NaN), saturated at LONG_MIN/LONG_MAX
 * beyond them (a C cast of an out-of-range double is undefined, and on x86 turns 1e300 into
 * LONG_MIN). Every integer read from an answer of the server goes through this. */
long kd_kube__json_long(const cJSON *v, long def);

/* Key material (kube/secret.c): wiped with OPENSSL_cleanse, never by a memset the compiler may
 * drop; buffers holding it grow by moving and wiping, never by realloc. */
void kd_kube__scrub(void *p, size_t n);
void kd_kube__scrub_free(void *p, size_t n);
void kd_kube__scrub_str(char *s); /* a NUL-terminated secret; NULL is fine */
/* Room for `extra` more bytes in a kd_buf that holds secrets (honours b->max: KD_ELIMIT). After
 * it, kd_buf_put/printf of up to `extra` bytes do not reallocate. */
int kd_kube__secret_reserve(kd_buf *b, size_t extra);
int kd_kube__secret_put(kd_buf *b, const void *data, size_t len);
void kd_kube__secret_buf_free(kd_buf *b); /* wipes the whole capacity */
/* kd_file_read for a file holding secrets (kubeconfig, token, client key): read straight into
 * one block; free with kd_kube__scrub_free(*out, *len_out). Errors name the file only. */
int kd_kube__secret_file_read(char **out, size_t *len_out, const char *path, size_t max);
/* Wipes every string value of a parsed tree (its keys are left); _delete then deletes it. */
void kd_kube__json_scrub(cJSON *j);
void kd_kube__json_scrub_delete(cJSON *j);
/* Wipes the strings of a header list (Authorization), then frees it. */
void kd_kube__slist_scrub_free(struct curl_slist *l);

/* When the last error quotes one of c's credentials (a server that echoes the request), puts
 * REDACTED in its place. Called wherever an answer's text becomes the message. */
void kd_kube__redact_error(kd_kube_client *c);

/* Formats "%s" into a fixed buffer safely. */
void kd_kube__strlcpy(char *dst, size_t size, const char *src);

/* Label selector string from a LabelSelector object (matchLabels + matchExpressions). */
int kd_kube__selector_string(kd_buf *out, const cJSON *selector);

#endif
