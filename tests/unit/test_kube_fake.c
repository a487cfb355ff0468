/* kube/ against a scripted fake API server on 127.0.0.1 (plain HTTP, one connection at a time):
 * the cases a real cluster will not produce on demand: a 410 Gone on a watch, Retry-After on 429,
 * a 500 on a non-idempotent request, a rejected credential that an exec plugin renews. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../base/base.h"
#include "../../base/json.h"
#include "../../kube/kube.h"
#include "test.h"

typedef struct fake fake;
/* Answers one request: writes the whole HTTP response into out. */
typedef void (*route_fn)(fake *f, const char *method, const char *target, const char *headers, kd_buf *out);

struct fake {
	int fd, port;
	pthread_t th;
	route_fn route;
	int n;         /* requests served */
	int state;     /* for the route */
	kd_buf log;    /* "METHOD target\n" per request */
	volatile int stop;
};

static void *serve(void *arg)
{
	fake *f = arg;
	while (!f->stop) {
		int c = accept(f->fd, NULL, NULL);
		if (c < 0)
			break;
		if (f->stop) {
			close(c);
			break;
		}
		kd_buf req = KD_BUF_INIT;
		char buf[4096];
		char *end = NULL;
		while (!(end = strstr(kd_buf_cstr(&req), "\r\n\r\n"))) {
			ssize_t n = read(c, buf, sizeof(buf));
			if (n <= 0)
				break;
			kd_buf_put(&req, buf, (size_t)n);
		}
		if (end) {
			/* drain a body */
			const char *cl = strcasestr(kd_buf_cstr(&req), "content-length:");
			size_t want = cl ? strtoul(cl + 15, NULL, 10) : 0;
			size_t have = req.len - (size_t)(end + 4 - req.ptr);
			while (have < want) {
				ssize_t n = read(c, buf, sizeof(buf));
				if (n <= 0)
					break;
				have += (size_t)n;
			}
			char method[16] = "", target[2048] = "";
			sscanf(kd_buf_cstr(&req), "%15s %2047s", method, target);
			kd_buf_printf(&f->log, "%s %s\n", method, target);
			kd_buf out = KD_BUF_INIT;
			f->route(f, method, target, kd_buf_cstr(&req), &out);
			f->n++;
			size_t off = 0;
			while (off < out.len) {
				/* the client may be gone (a canceled request): no SIGPIPE */
				ssize_t w = send(c, out.ptr + off, out.len - off, MSG_NOSIGNAL);
				if (w <= 0)
					break;
				off += (size_t)w;
			}
			kd_buf_free(&out);
		}
		kd_buf_free(&req);
		close(c);
	}
	return NULL;
}

static bool fake_start(fake *f, route_fn route)
{
	memset(f, 0, sizeof(*f));
	f->route = route;
	f->fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {0};
	socklen_t len = sizeof(a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(f->fd, (struct sockaddr *)&a, sizeof(a)) || listen(f->fd, 16) ||
		getsockname(f->fd, (struct sockaddr *)&a, &len))
		return false;
	f->port = ntohs(a.sin_port);
	return pthread_create(&f->th, NULL, serve, f) == 0;
}

static void fake_stop(fake *f)
{
	f->stop = 1;
	/* wake accept() */
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)f->port);
	connect(s, (struct sockaddr *)&a, sizeof(a));
	close(s);
	pthread_join(f->th, NULL);
	close(f->fd);
	kd_buf_free(&f->log);
}

static void respond(kd_buf *out, int status, const char *extra_headers, const char *body)
{
	kd_buf_printf(out, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nConnection: close\r\n%sContent-Length: %zu\r\n\r\n%s",
		status, extra_headers ? extra_headers : "", strlen(body), body);
}

/* A streamed answer without a length: the body ends when the connection closes. */
static void respond_stream(kd_buf *out, const char *body)
{
	kd_buf_printf(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n%s", body);
}

static const char *CORE_V1 = "{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":["
			     "{\"name\":\"configmaps\",\"namespaced\":true,\"kind\":\"ConfigMap\",\"verbs\":[\"get\",\"list\",\"watch\"]},"
			     "{\"name\":\"namespaces\",\"namespaced\":false,\"kind\":\"Namespace\",\"verbs\":[\"get\"]},"
			     "{\"name\":\"namespaces/status\",\"namespaced\":false,\"kind\":\"Namespace\",\"verbs\":[\"get\"]}]}";

static kd_kube_client *fake_client(fake *f, const char *user_yaml, kd_kube_client_options *o)
{
	kd_buf kc = KD_BUF_INIT;
	kd_kube_config *cfg = NULL;
	kd_kube_client *c = NULL;
	kd_buf_printf(&kc, "current-context: x\nclusters:\n- {name: c, cluster: {server: 'http://127.0.0.1:%d'}}\n"
			   "users:\n- name: u\n  user: %s\ncontexts:\n- {name: x, context: {cluster: c, user: u, namespace: ns}}\n",
		f->port, user_yaml ? user_yaml : "{}");
	if (kd_kube_config_parse(&cfg, "/tmp/fake-kubeconfig", kd_buf_cstr(&kc), kc.len, NULL) == 0)
		kd_kube_client_new(&c, cfg, o);
	kd_kube_config_free(cfg);
	kd_buf_free(&kc);
	return c;
}

static kd_kube_client_options quiet(void)
{
	kd_kube_client_options o = KD_KUBE_CLIENT_OPTIONS_INIT;
	o.discovery_ttl_s = -1;
	return o;
}

/* ---------------------------------------------------------------------------------------------
 * 410 Gone: watch from an old resourceVersion, re-list, report the gap */

static void route_gone(fake *f, const char *method, const char *target, const char *headers, kd_buf *out)
{
	if (strcmp(target, "/api/v1") == 0) {
		respond(out, 200, NULL, CORE_V1);
	} else if (strstr(target, "watch=1") && strstr(target, "resourceVersion=5&")) {
		/* x appears, then the server says our resourceVersion is too old */
		respond_stream(out,
			"{\"type\":\"ADDED\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\",\"namespace\":\"ns\",\"resourceVersion\":\"6\"}}}\n"
			"{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"too old resource version: 6 (9)\","
			"\"reason\":\"Expired\",\"code\":410}}\n");
	} else if (strstr(target, "watch=1") && strstr(target, "resourceVersion=10&")) {
		respond_stream(out, "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{\"resourceVersion\":\"11\"}}}\n"
				    "{\"type\":\"ADDED\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"b\",\"namespace\":\"ns\",\"resourceVersion\":\"12\"}}}\n");
	} else if (strncmp(target, "/api/v1/namespaces/ns/configmaps?", 33) == 0 && !strstr(target, "watch=")) {
		respond(out, 200, NULL,
			"{\"kind\":\"ConfigMapList\",\"metadata\":{\"resourceVersion\":\"10\"},\"items\":["
			"{\"metadata\":{\"name\":\"a\",\"namespace\":\"ns\",\"resourceVersion\":\"8\"}}]}");
	} else {
		respond(out, 404, NULL, "{\"kind\":\"Status\",\"reason\":\"NotFound\",\"message\":\"no route\",\"code\":404}");
	}
}

static int record(void *payload, kd_kube_event_type t, const cJSON *obj)
{
	kd_buf *b = payload;
	const char *name = kd_json_get_str(kd_json_get(obj, "metadata"), "name");
	kd_buf_printf(b, "%s %s;", kd_kube_event_type_name(t), name ? name : "");
	return name && strcmp(name, "b") == 0 ? 1 : 0;
}

TEST(kube_fake_watch_gone_relists)
{
	fake f;
	if (!CHECK(fake_start(&f, route_gone)))
		return;
	kd_kube_client_options o = quiet();
	kd_kube_client *c = fake_client(&f, NULL, &o);
	kd_buf got = KD_BUF_INIT;
	if (CHECK(c != NULL)) {
		kd_kube_ref r = {"v1", "ConfigMap", NULL, NULL, NULL};
		kd_kube_watch_options wo = KD_KUBE_WATCH_OPTIONS_INIT;
		wo.resource_version = "5";
		wo.timeout_ms = 10000;
		CHECK_INT(kd_kube_watch(c, &r, &wo, record, &got), 0);
		/* x vanished in the gap: DELETED; a is reported from the re-list; then b */
		CHECK_STR(kd_buf_cstr(&got), "ADDED x;MODIFIED a;DELETED x;BOOKMARK ;ADDED b;");
		CHECK_INT(wo.relists, 1);
		CHECK(strstr(kd_buf_cstr(&f.log), "allowWatchBookmarks=true") != NULL);
	}
	kd_kube_client_free(c);
	kd_buf_free(&got);
	fake_stop(&f);
}

/* ---------------------------------------------------------------------------------------------
 * 429 with Retry-After, 500 on POST */

static void route_throttle(fake *f, const char *method, const char *target, const char *headers, kd_buf *out)
{
	if (strcmp(target, "/api/v1") == 0) {
		respond(out, 200, NULL, CORE_V1);
	} else if (strcmp(method, "GET") == 0) {
		if (f->state++ == 0)
			respond(out, 429, "Retry-After: 1\r\n",
				"{\"kind\":\"Status\",\"reason\":\"TooManyRequests\",\"message\":\"slow down\",\"code\":429}");
		else
			respond(out, 200, NULL, "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"namespace\":\"ns\"}}");
	} else {
		respond(out, 500, NULL, "{\"kind\":\"Status\",\"reason\":\"InternalError\",\"message\":\"etcd is sad\",\"code\":500}");
	}
}

TEST(kube_fake_retry_after_and_no_retry_on_post)
{
	fake f;
	if (!CHECK(fake_start(&f, route_throttle)))
		return;
	kd_kube_client_options o = quiet();
	kd_kube_client *c = fake_client(&f, NULL, &o);
	if (CHECK(c != NULL)) {
		cJSON *obj = NULL;
		kd_kube_ref r = {"v1", "ConfigMap", NULL, "c", NULL};
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		CHECK_INT(kd_kube_get(&obj, c, &r), 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		CHECK((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 950); /* honoured Retry-After */
		CHECK_INT(kd_kube_client_attempts(c), 3);                                           /* discovery + 429 + 200 */
		cJSON_Delete(obj);
		cJSON *cm = cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"n\"}}");
		long before = kd_kube_client_attempts(c);
		CHECK_INT(kd_kube_create(NULL, c, cm), KD_ERROR);
		CHECK_INT(kd_kube_client_attempts(c) - before, 1); /* a POST is not repeated after a 500 */
		CHECK_STR(kd_error_last(), "etcd is sad (HTTP 500 InternalError)");
		cJSON_Delete(cm);
	}
	kd_kube_client_free(c);
	fake_stop(&f);
}

/* ---------------------------------------------------------------------------------------------
 * 401: the exec plugin's credential is renewed once */

static void route_auth(fake *f, const char *method, const char *target, const char *headers, kd_buf *out)
{
	if (!strstr(headers, "Authorization: Bearer tok-2\r\n")) {
		respond(out, 401, NULL, "{\"kind\":\"Status\",\"reason\":\"Unauthorized\",\"message\":\"Unauthorized\",\"code\":401}");
		return;
	}
	if (strcmp(target, "/api/v1") == 0)
		respond(out, 200, NULL, CORE_V1);
	else
		respond(out, 200, NULL, "{\"kind\":\"Namespace\",\"metadata\":{\"name\":\"ns\"}}");
}

TEST(kube_fake_exec_credential_renewed_on_401)
{
	const char *dir = kd_test_tmpdir(); /* removed with its files when the run ends */
	kd_buf script = KD_BUF_INIT, user = KD_BUF_INIT, body = KD_BUF_INIT, count = KD_BUF_INIT;
	kd_buf_printf(&script, "%s/cred.sh", dir);
	kd_buf_printf(&count, "%s/count", dir);
	kd_buf_printf(&body,
		"#!/bin/sh\nn=$(cat '%s' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '%s'\n"
		"printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"tok-%%s\"}}' $n\n",
		kd_buf_cstr(&count), kd_buf_cstr(&count));
	FILE *fp = fopen(kd_buf_cstr(&script), "w");
	fputs(kd_buf_cstr(&body), fp);
	fclose(fp);
	chmod(kd_buf_cstr(&script), 0700);
	kd_buf_printf(&user, "{exec: {apiVersion: client.authentication.k8s.io/v1, command: '%s'}}", kd_buf_cstr(&script));
	fake f;
	if (CHECK(fake_start(&f, route_auth))) {
		kd_kube_client_options o = quiet();
		kd_kube_client *c = fake_client(&f, kd_buf_cstr(&user), &o);
		if (CHECK(c != NULL)) {
			cJSON *obj = NULL;
			kd_kube_ref r = {"v1", "Namespace", NULL, "ns", NULL};
			CHECK_INT(kd_kube_get(&obj, c, &r), 0);
			cJSON_Delete(obj);
			CHECK_INT(kd_kube_get(&obj, c, &r), 0);
			cJSON_Delete(obj);
			char *n = NULL;
			size_t len;
			if (CHECK_INT(kd_file_read(&n, &len, kd_buf_cstr(&count), 0), 0))
				CHECK_STR(n, "2\n"); /* ran, was refused once, ran again, then cached */
			free(n);
		}
		kd_kube_client_free(c);
		fake_stop(&f);
	}
	kd_buf_free(&script);
	kd_buf_free(&user);
	kd_buf_free(&body);
	kd_buf_free(&count);
}

/* ---------------------------------------------------------------------------------------------
 * A rotated token file (as in-cluster service-account tokens rotate) is re-read after a 401 */

static char rot_file[256];

static void route_rotate(fake *f, const char *method, const char *target, const char *headers, kd_buf *out)
{
	if (!strstr(headers, "Authorization: Bearer tok-B\r\n")) {
		/* the kubelet rotates the token while we hold the old one */
		FILE *fp = fopen(rot_file, "w");
		fputs("tok-B\n", fp);
		fclose(fp);
		respond(out, 401, NULL, "{\"kind\":\"Status\",\"reason\":\"Unauthorized\",\"message\":\"Unauthorized\",\"code\":401}");
		return;
	}
	if (strcmp(target, "/api/v1") == 0)
		respond(out, 200, NULL, CORE_V1);
	else
		respond(out, 200, NULL, "{\"kind\":\"Namespace\",\"metadata\":{\"name\":\"ns\"}}");
}

TEST(kube_fake_token_file_rotation)
{
	const char *dir = kd_test_tmpdir(); /* removed with its files when the run ends */
	snprintf(rot_file, sizeof(rot_file), "%s/token", dir);
	FILE *fp = fopen(rot_file, "w");
	fputs("tok-A\n", fp);
	fclose(fp);
	kd_buf user = KD_BUF_INIT;
	kd_buf_printf(&user, "{tokenFile: '%s'}", rot_file);
	fake f;
	if (CHECK(fake_start(&f, route_rotate))) {
		kd_kube_client_options o = quiet();
		kd_kube_client *c = fake_client(&f, kd_buf_cstr(&user), &o);
		if (CHECK(c != NULL)) {
			cJSON *obj = NULL;
			kd_kube_ref r = {"v1", "Namespace", NULL, "ns", NULL};
			CHECK_INT(kd_kube_get(&obj, c, &r), 0);
			cJSON_Delete(obj);
		}
		kd_kube_client_free(c);
		fake_stop(&f);
	}
	/* a token nobody accepts: one refresh, then the server's Unauthorized */
	unlink(rot_file);
	fp = fopen(rot_file, "w");
	fputs("tok-A\n", fp);
	fclose(fp);
	if (CHECK(fake_start(&f, route_auth))) {
		kd_kube_client_options o = quiet();
		kd_kube_client *c = fake_client(&f, kd_buf_cstr(&user), &o);
		if (CHECK(c != NULL)) {
			cJSON *obj = NULL;
			kd_kube_ref r = {"v1", "Namespace", NULL, "ns", NULL};
			CHECK_INT(kd_kube_get(&obj, c, &r), KD_EAUTH);
			CHECK_STR(kd_error_last(), "Unauthorized");
			CHECK_INT(kd_kube_client_attempts(c), 2);
		}
		kd_kube_client_free(c);
		fake_stop(&f);
	}
	kd_buf_free(&user);
}

/* ---------------------------------------------------------------------------------------------
 * A group that is served only after a moment (a CRD just Established) */

static void route_settle(fake *f, const char *method, const char *target, const char *headers, kd_buf *out)
{
	(void)method;
	(void)headers;
	if (strcmp(target, "/apis/g.example/v1") == 0 && f->state++ >= 2)
		respond(out, 200, NULL,
			"{\"kind\":\"APIResourceList\",\"groupVersion\":\"g.example/v1\",\"resources\":["
			"{\"name\":\"widgets\",\"namespaced\":true,\"kind\":\"Widget\",\"verbs\":[\"get\"]}]}");
	else
		respond(out, 404, NULL, "{\"kind\":\"Status\",\"reason\":\"NotFound\",\"message\":\"not found\",\"code\":404}");
}

TEST(kube_fake_discovery_waits_for_a_new_group)
{
	fake f;
	if (!CHECK(fake_start(&f, route_settle)))
		return;
	kd_kube_client_options o = quiet();
	kd_kube_client *c = fake_client(&f, NULL, &o);
	kd_kube_mapping m = KD_KUBE_MAPPING_INIT;
	if (CHECK(c != NULL)) {
		CHECK_INT(kd_kube_mapping_get(&m, c, "g.example/v1", "Widget"), 0);
		CHECK_STR(m.resource, "widgets");
		CHECK_INT(kd_kube_client_attempts(c), 3); /* 404, 404, then served */
		kd_kube_mapping_clear(&m);
	}
	kd_kube_client_free(c);
	/* Without settling, the first 404 is the answer. */
	f.state = 0;
	o.discovery_settle_ms = -1;
	c = fake_client(&f, NULL, &o);
	if (CHECK(c != NULL)) {
		CHECK_INT(kd_kube_mapping_get(&m, c, "g.example/v1", "Widget"), KD_ENOTFOUND);
		CHECK_INT(kd_kube_client_attempts(c), 1);
		CHECK(kd_error_last() && strstr(kd_error_last(), "g.example/v1") != NULL);
	}
	kd_kube_client_free(c);
	fake_stop(&f);
}

/* ---------------------------------------------------------------------------------------------
 * Names that would change the request path are refused before any request; dot segments that
 * a caller does put into a raw path go out as they are (CURLOPT_PATH_AS_IS) */

static void route_any(fake *f, const char *method, const char *target, const char *headers, kd_buf *out)
{
	(void)f;
	(void)method;
	(void)headers;
	if (strcmp(target, "/api/v1") == 0)
		respond(out, 200, NULL, CORE_V1);
	else
		respond(out, 404, NULL, "{\"kind\":\"Status\",\"reason\":\"NotFound\",\"message\":\"nope\",\"code\":404}");
}

TEST(kube_fake_path_segments_refused)
{
	fake f;
	if (!CHECK(fake_start(&f, route_any)))
		return;
	kd_kube_client_options o = quiet();
	kd_kube_client *c = fake_client(&f, NULL, &o);
	if (CHECK(c != NULL)) {
		static const char *const bad[] = {"..", ".", "a/b", "a%2Fb", "../secrets"};
		for (size_t i = 0; i < KD_ARRAY_SIZE(bad); i++) {
			kd_kube_ref r = {"v1", "ConfigMap", NULL, bad[i], NULL};
			CHECK_INT(kd_kube_delete(c, &r, NULL), KD_EINVALID);
			CHECK(kd_error_last() && strstr(kd_error_last(), "ConfigMap name \"") != NULL);
			CHECK(kd_error_last() && strstr(kd_error_last(), bad[i]) != NULL);
			cJSON *obj = NULL;
			CHECK_INT(kd_kube_get(&obj, c, &r), KD_EINVALID);
			kd_kube_ref rn = {"v1", "ConfigMap", bad[i], "ok", NULL};
			CHECK_INT(kd_kube_get(&obj, c, &rn), KD_EINVALID);
			CHECK(kd_error_last() && strstr(kd_error_last(), "namespace \"") != NULL);
		}
		kd_kube_ref sub = {"v1", "ConfigMap", NULL, "ok", "../x"};
		CHECK_INT(kd_kube_delete(c, &sub, NULL), KD_EINVALID);
		cJSON *cm = cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"..\"}}");
		CHECK_INT(kd_kube_apply(NULL, c, cm, NULL), KD_EINVALID);
		cJSON_Delete(cm);
		kd_kube_mapping m = KD_KUBE_MAPPING_INIT;
		CHECK_INT(kd_kube_mapping_get(&m, c, "../v1", "ConfigMap"), KD_EINVALID);
		CHECK(kd_error_last() && strstr(kd_error_last(), "apiVersion group \"..\"") != NULL);
		/* not one request reached the server, not even discovery */
		CHECK_INT(f.n, 0);
		CHECK_INT(kd_kube_client_attempts(c), 0);
		/* a raw path with dot segments is sent unchanged, not squashed into another path */
		kd_kube_response resp = KD_KUBE_RESPONSE_INIT;
		kd_kube_request_options req = KD_KUBE_REQUEST_OPTIONS_INIT;
		req.path = "/api/v1/namespaces/ns/configmaps/../secrets/./x";
		CHECK_INT(kd_kube_request(&resp, c, &req), 0);
		CHECK_INT(resp.status, 404);
		kd_kube_response_clear(&resp);
		CHECK_STR(kd_buf_cstr(&f.log), "GET /api/v1/namespaces/ns/configmaps/../secrets/./x\n");
	}
	kd_kube_client_free(c);
	fake_stop(&f);
}

/* ---------------------------------------------------------------------------------------------
 * A Retry-After far beyond the budget: give up at once with the server's answer (it once
 * overflowed when turned into milliseconds, and the wrapped value could be a short retry) */

static void route_retry_forever(fake *f, const char *method, const char *target, const char *headers, kd_buf *out)
{
	(void)method;
	(void)target;
	(void)headers;
	/* state 0: 18446744073709552 s * 1000 wraps around 2^64 to 384 ms; 1: more than a long */
	respond(out, 429, f->state ? "Retry-After: 99999999999999999999999\r\n" : "Retry-After: 18446744073709552\r\n",
		"{\"kind\":\"Status\",\"reason\":\"TooManyRequests\",\"message\":\"come back much later\",\"code\":429}");
}

TEST(kube_fake_retry_after_huge)
{
	for (int i = 0; i < 2; i++) {
		fake f;
		if (!CHECK(fake_start(&f, route_retry_forever)))
			return;
		f.state = i;
		kd_kube_client_options o = quiet();
		kd_kube_client *c = fake_client(&f, NULL, &o);
		if (CHECK(c != NULL)) {
			kd_kube_response r = KD_KUBE_RESPONSE_INIT;
			kd_kube_request_options req = KD_KUBE_REQUEST_OPTIONS_INIT;
			req.path = "/api/v1/namespaces";
			CHECK_INT(kd_kube_request(&r, c, &req), 0);
			CHECK_INT(r.status, 429);
			CHECK_INT(kd_kube_client_attempts(c), 1);
			kd_kube_response_clear(&r);
		}
		kd_kube_client_free(c);
		fake_stop(&f);
	}
}

/* ---------------------------------------------------------------------------------------------
 * Secrets stay out of logs and messages at any verbosity: the bearer token, a basic-auth
 * password, a Secret's data (read, written, watched), and a credential that a misbehaving
 * server echoes back in an error page */

#define TOKEN "tok-SECRET-4242-abcdef"
#define PASSWORD "pw-SECRET-hunter2"
#define SECRET_DATA "c3VwZXItc2VjcmV0LXZhbHVl" /* base64 of a value nobody may see */

static const char *SECRETS_V1 = "{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":["
				"{\"name\":\"secrets\",\"namespaced\":true,\"kind\":\"Secret\",\"verbs\":[\"get\",\"list\",\"watch\",\"patch\"]}]}";
static const char *SECRET_OBJ = "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\",\"namespace\":\"ns\","
				"\"resourceVersion\":\"3\"},\"data\":{\"password\":\"" SECRET_DATA "\"}}";

static void route_secrets(fake *f, const char *method, const char *target, const char *headers, kd_buf *out)
{
	(void)headers;
	if (strcmp(target, "/api/v1") == 0) {
		respond(out, 200, NULL, SECRETS_V1);
	} else if (strstr(target, "watch=1")) {
		kd_buf ev = KD_BUF_INIT;
		kd_buf_printf(&ev, "{\"type\":\"MODIFIED\",\"object\":%s}\n", SECRET_OBJ);
		respond_stream(out, kd_buf_cstr(&ev));
		kd_buf_free(&ev);
	} else if (strstr(target, "/secrets/echo-status")) {
		respond(out, 403, NULL, "{\"kind\":\"Status\",\"reason\":\"Forbidden\",\"message\":\"credential " TOKEN " / " PASSWORD
					" is not allowed\",\"code\":403}");
	} else if (strstr(target, "/secrets/echo")) {
		/* an error page that quotes the request, credentials included */
		kd_buf page = KD_BUF_INIT;
		kd_buf_printf(&page, "<html><body>Bad request. Yours: GET %s Authorization: Bearer " TOKEN
				     " Authorization: Basic cHc6eA== raw=" TOKEN " raw=" PASSWORD "</body></html>",
			target);
		kd_buf_printf(out, "HTTP/1.1 400 X\r\nContent-Type: text/html\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n%s",
			page.len, kd_buf_cstr(&page));
		kd_buf_free(&page);
	} else if (strcmp(method, "GET") == 0 && f->state++ == 0) {
		respond(out, 500, NULL, "{\"kind\":\"Status\",\"reason\":\"InternalError\",\"message\":\"try again\",\"code\":500}");
	} else {
		respond(out, 200, NULL, SECRET_OBJ);
	}
}

static void collect_log(void *p, const char *line)
{
	kd_buf_printf((kd_buf *)p, "%s\n", line);
}

static int stop_at_first(void *payload, kd_kube_event_type t, const cJSON *obj)
{
	(void)payload;
	(void)t;
	(void)obj;
	return 1;
}

TEST(kube_fake_secrets_never_logged)
{
	const char *users[] = {"{token: '" TOKEN "'}", "{username: admin, password: '" PASSWORD "'}"};
	for (size_t u = 0; u < KD_ARRAY_SIZE(users); u++) {
		fake f;
		if (!CHECK(fake_start(&f, route_secrets)))
			return;
		kd_buf log = KD_BUF_INIT, errors = KD_BUF_INIT;
		kd_kube_client_options o = quiet();
		o.verbosity = 100;
		o.log = collect_log;
		o.log_payload = &log;
		kd_kube_client *c = fake_client(&f, users[u], &o);
		if (CHECK(c != NULL)) {
			cJSON *obj = NULL;
			kd_kube_ref r = {"v1", "Secret", NULL, "s", NULL};
			CHECK_INT(kd_kube_get(&obj, c, &r), 0); /* a 500 first: a retry is logged */
			CHECK_STR(kd_json_get_str(kd_json_get(obj, "data"), "password"), SECRET_DATA);
			CHECK_INT(kd_kube_apply(NULL, c, obj, NULL), 0);
			cJSON_Delete(obj);
			kd_kube_watch_options wo = KD_KUBE_WATCH_OPTIONS_INIT;
			wo.resource_version = "1";
			wo.timeout_ms = 10000;
			CHECK_INT(kd_kube_watch(c, &r, &wo, stop_at_first, NULL), 0);
			kd_kube_ref echo = {"v1", "Secret", NULL, "echo", NULL};
			CHECK_INT(kd_kube_get(&obj, c, &echo), KD_EINVALID);
			kd_buf_printf(&errors, "%s\n", kd_error_last() ? kd_error_last() : "");
			CHECK(kd_error_last() && strstr(kd_error_last(), "HTTP 400") != NULL);
			CHECK(kd_error_last() && strstr(kd_error_last(), "Bearer REDACTED") != NULL);
			kd_kube_ref echo_status = {"v1", "Secret", NULL, "echo-status", NULL};
			CHECK_INT(kd_kube_get(&obj, c, &echo_status), KD_EFORBIDDEN);
			kd_buf_printf(&errors, "%s\n", kd_error_last() ? kd_error_last() : "");
		}
		kd_kube_client_free(c);
		fake_stop(&f);
		/* the log has one line per exchange, retries and watches included ... */
		CHECK(strstr(kd_buf_cstr(&log), "GET http://127.0.0.1:") != NULL);
		CHECK(strstr(kd_buf_cstr(&log), "retrying") != NULL);
		CHECK(strstr(kd_buf_cstr(&log), "WATCH ") != NULL);
		CHECK(strstr(kd_buf_cstr(&log), "PATCH ") != NULL);
		/* ... and no credential, header or Secret data; the messages quote the error pages but
		 * not this client's credential nor any Bearer/Basic value in them */
		const char *cred = u == 0 ? TOKEN : PASSWORD;
		static const char *const never_logged[] = {TOKEN, PASSWORD, SECRET_DATA, "Authorization", "cHc6eA=="};
		for (size_t i = 0; i < KD_ARRAY_SIZE(never_logged); i++)
			if (!CHECK(strstr(kd_buf_cstr(&log), never_logged[i]) == NULL))
				fprintf(stderr, "  logged %s\n  log:\n%s", never_logged[i], kd_buf_cstr(&log));
		const char *never_said[] = {cred, SECRET_DATA, "cHc6eA=="};
		for (size_t i = 0; i < KD_ARRAY_SIZE(never_said); i++)
			if (!CHECK(strstr(kd_buf_cstr(&errors), never_said[i]) == NULL))
				fprintf(stderr, "  said %s\n  errors:\n%s", never_said[i], kd_buf_cstr(&errors));
		kd_buf_free(&log);
		kd_buf_free(&errors);
	}
}

/* ---------------------------------------------------------------------------------------------
 * Cancellation: the flag set while a request waits for its answer, while a retry backs off,
 * while a watch or a wait blocks, and while an exec plugin runs. The server itself sets the
 * flag and then holds the answer back until the test releases it, so a client that did not
 * give up at once would sit there until its 20 s timeout: the tests need no clock. */

static volatile sig_atomic_t cancel_flag;
static int release_fds[2] = {-1, -1};
static int64_t canceled_at_ms;

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* In the server thread: raise the flag, then wait (at most 30 s) for the test to let go. */
static void cancel_and_hold(void)
{
	canceled_at_ms = mono_ms();
	cancel_flag = 1;
	struct pollfd p = {release_fds[0], POLLIN, 0};
	if (poll(&p, 1, 30000) == 1) {
		char ch;
		if (read(release_fds[0], &ch, 1) < 0)
			return;
	}
}

static void release_server(void)
{
	if (write(release_fds[1], "x", 1) != 1)
		fprintf(stderr, "  cannot release the fake server\n");
}

static void route_cancel(fake *f, const char *method, const char *target, const char *headers, kd_buf *out)
{
	(void)method;
	(void)headers;
	if (strcmp(target, "/api/v1") == 0) {
		respond(out, 200, NULL, CORE_V1);
	} else if (strstr(target, "/configmaps/slow")) {
		cancel_and_hold();
		respond(out, 200, NULL, "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"slow\"}}");
	} else if (strstr(target, "/configmaps/busy")) {
		cancel_flag = 1; /* then the client backs off for 30 s */
		respond(out, 503, "Retry-After: 30\r\n", "{\"kind\":\"Status\",\"reason\":\"ServiceUnavailable\",\"message\":\"busy\",\"code\":503}");
	} else if (strstr(target, "watch=1")) {
		cancel_and_hold();
		respond_stream(out, "");
	} else if (strstr(target, "/configmaps?")) {
		respond(out, 200, NULL, "{\"kind\":\"ConfigMapList\",\"metadata\":{\"resourceVersion\":\"7\"},\"items\":[]}");
	} else {
		respond(out, 200, NULL, "{\"kind\":\"Namespace\",\"metadata\":{\"name\":\"ns\"}}");
	}
	f->state++;
}

static kd_kube_client *cancel_client(fake *f, const char *user)
{
	kd_kube_client_options o = quiet();
	o.cancel = &cancel_flag;
	o.timeout_ms = 20000;
	o.budget_ms = 60000;
	cancel_flag = 0;
	return fake_client(f, user, &o);
}

TEST(kube_fake_cancel_request_backoff_watch_wait)
{
	fake f;
	if (!CHECK(pipe(release_fds) == 0) || !CHECK(fake_start(&f, route_cancel)))
		return;
	kd_kube_client *c = cancel_client(&f, NULL);
	if (CHECK(c != NULL)) {
		/* a request in flight */
		cJSON *obj = NULL;
		kd_kube_ref slow = {"v1", "ConfigMap", NULL, "slow", NULL};
		CHECK_INT(kd_kube_get(&obj, c, &slow), KD_ECANCELED);
		int64_t latency = mono_ms() - canceled_at_ms;
		CHECK(kd_error_last() && strstr(kd_error_last(), "/configmaps/slow: canceled") != NULL);
		release_server();
		fprintf(stderr, "  (request in flight: canceled %lld ms after the flag was set)\n", (long long)latency);
		/* the flag stays set: nothing more goes out */
		long before = kd_kube_client_attempts(c);
		CHECK_INT(kd_kube_get(&obj, c, &slow), KD_ECANCELED);
		CHECK_INT(kd_kube_client_attempts(c) - before, 1); /* counted, not sent */
		/* a retry's backoff (Retry-After: 30 s) */
		cancel_flag = 0;
		kd_kube_ref busy = {"v1", "ConfigMap", NULL, "busy", NULL};
		before = kd_kube_client_attempts(c);
		CHECK_INT(kd_kube_get(&obj, c, &busy), KD_ECANCELED);
		CHECK_INT(kd_kube_client_attempts(c) - before, 1);
		CHECK(kd_error_last() && strstr(kd_error_last(), "/configmaps/busy: canceled") != NULL);
		/* a watch whose stream stays silent */
		cancel_flag = 0;
		kd_kube_ref all = {"v1", "ConfigMap", NULL, NULL, NULL};
		kd_kube_watch_options wo = KD_KUBE_WATCH_OPTIONS_INIT;
		wo.resource_version = "5";
		CHECK_INT(kd_kube_watch(c, &all, &wo, stop_at_first, NULL), KD_ECANCELED);
		latency = mono_ms() - canceled_at_ms;
		CHECK_STR(kd_error_last(), "watch ConfigMap: canceled");
		release_server();
		fprintf(stderr, "  (watch: canceled %lld ms after the flag was set)\n", (long long)latency);
		/* a wait for an object that does not come */
		cancel_flag = 0;
		kd_kube_ref x = {"v1", "ConfigMap", NULL, "never", NULL};
		kd_kube_wait_options wt = KD_KUBE_WAIT_OPTIONS_INIT;
		wt.timeout_ms = 60000;
		CHECK_INT(kd_kube_wait(c, &x, 1, &wt), KD_ECANCELED);
		CHECK_STR(kd_error_last(), "wait for ConfigMap/never: canceled");
		release_server();
	}
	kd_kube_client_free(c);
	fake_stop(&f);
	close(release_fds[0]);
	close(release_fds[1]);
}

/* The exec plugin: killed when the flag is raised while it runs. */
typedef struct {
	const char *marker;
	bool raised;
} raiser;

static void *raise_when_started(void *arg)
{
	raiser *r = arg;
	for (int i = 0; i < 3000 && access(r->marker, F_OK) != 0; i++) /* at most 30 s */
		usleep(10000);
	r->raised = access(r->marker, F_OK) == 0;
	cancel_flag = 1;
	kd_error_clear();
	return NULL;
}

TEST(kube_fake_cancel_exec_plugin)
{
	const char *dir = kd_test_tmpdir();
	kd_buf script = KD_BUF_INIT, marker = KD_BUF_INIT, user = KD_BUF_INIT, body = KD_BUF_INIT;
	kd_buf_printf(&script, "%s/slow-cred.sh", dir);
	kd_buf_printf(&marker, "%s/slow-cred.pid", dir);
	unlink(kd_buf_cstr(&marker));
	/* the plugin never answers: it records its pid and sleeps as that same process */
	kd_buf_printf(&body, "#!/bin/sh\necho $$ > '%s.tmp' && mv '%s.tmp' '%s'\nexec sleep 30\n", kd_buf_cstr(&marker),
		kd_buf_cstr(&marker), kd_buf_cstr(&marker));
	kd_test_write_file(kd_buf_cstr(&script), kd_buf_cstr(&body), 0700);
	kd_buf_printf(&user, "{exec: {apiVersion: client.authentication.k8s.io/v1, command: '%s'}}", kd_buf_cstr(&script));
	fake f;
	if (CHECK(fake_start(&f, route_any))) {
		kd_kube_client *c = cancel_client(&f, kd_buf_cstr(&user));
		if (CHECK(c != NULL)) {
			raiser r = {kd_buf_cstr(&marker), false};
			pthread_t th;
			CHECK(pthread_create(&th, NULL, raise_when_started, &r) == 0);
			cJSON *obj = NULL;
			kd_kube_ref ns = {"v1", "Namespace", NULL, "ns", NULL};
			CHECK_INT(kd_kube_get(&obj, c, &ns), KD_ECANCELED);
			CHECK(kd_error_last() && strstr(kd_error_last(), "slow-cred.sh: canceled") != NULL);
			pthread_join(th, NULL);
			CHECK(r.raised);
			char *pid = NULL;
			size_t len = 0;
			if (CHECK_INT(kd_file_read(&pid, &len, kd_buf_cstr(&marker), 0), 0))
				CHECK(kill((pid_t)strtol(pid, NULL, 10), 0) != 0); /* killed and reaped */
			free(pid);
			CHECK_INT(f.n, 0); /* nothing went to the server without a credential */
		}
		kd_kube_client_free(c);
		fake_stop(&f);
	}
	kd_buf_free(&script);
	kd_buf_free(&marker);
	kd_buf_free(&user);
	kd_buf_free(&body);
}

/* ---------------------------------------------------------------------------------------------
 * Threads: each with its own client, requests, discovery (one shared disk cache) and waits at
 * the same time */

static const char *WIDGETS = "{\"kind\":\"APIResourceList\",\"groupVersion\":\"g.example/v1\",\"resources\":["
			     "{\"name\":\"widgets\",\"namespaced\":true,\"kind\":\"Widget\",\"verbs\":[\"get\",\"list\",\"watch\"]}]}";

static void route_threads(fake *f, const char *method, const char *target, const char *headers, kd_buf *out)
{
	(void)f;
	(void)method;
	(void)headers;
	if (strcmp(target, "/api/v1") == 0)
		respond(out, 200, NULL, CORE_V1);
	else if (strcmp(target, "/apis/g.example/v1") == 0)
		respond(out, 200, NULL, WIDGETS);
	else if (strstr(target, "/configmaps?"))
		respond(out, 200, NULL,
			"{\"kind\":\"ConfigMapList\",\"metadata\":{\"resourceVersion\":\"7\"},\"items\":["
			"{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"c\",\"namespace\":\"ns\"}}]}");
	else if (strstr(target, "/configmaps/c"))
		respond(out, 200, NULL, "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"namespace\":\"ns\"}}");
	else
		respond(out, 404, NULL, "{\"kind\":\"Status\",\"reason\":\"NotFound\",\"message\":\"nope\",\"code\":404}");
}

typedef struct {
	fake *f;
	const char *cache;
	int failures;
	char first_error[512];
} worker;

static void *work(void *arg)
{
	worker *w = arg;
	for (int i = 0; i < 25; i++) {
		kd_kube_client_options o = KD_KUBE_CLIENT_OPTIONS_INIT;
		o.cache_dir = w->cache;
		o.discovery_ttl_s = 600;
		o.discovery_settle_ms = -1;
		kd_kube_client *c = fake_client(w->f, NULL, &o);
		cJSON *obj = NULL;
		kd_kube_mapping m = KD_KUBE_MAPPING_INIT;
		kd_kube_ref r = {"v1", "ConfigMap", NULL, "c", NULL};
		kd_kube_wait_options wo = KD_KUBE_WAIT_OPTIONS_INIT;
		wo.timeout_ms = 30000;
		int rc = c ? 0 : KD_ERROR;
		/* a kind the cached list lacks sends every new client to the server, and the list
		 * it gets back is written to the cache: both threads write the same file */
		if (!rc && (rc = kd_kube_mapping_get(&m, c, "g.example/v1", "Gadget")) == KD_ENOTFOUND)
			rc = 0;
		if (!rc)
			rc = kd_kube_mapping_get(&m, c, "g.example/v1", "Widget");
		kd_kube_mapping_clear(&m);
		if (!rc)
			rc = kd_kube_get(&obj, c, &r);
		cJSON_Delete(obj);
		if (!rc)
			rc = kd_kube_wait(c, &r, 1, &wo);
		if (rc && w->failures++ == 0)
			snprintf(w->first_error, sizeof(w->first_error), "%s", kd_error_last() ? kd_error_last() : "?");
		kd_kube_client_free(c);
	}
	kd_error_clear(); /* a thread's last error lives until it is cleared */
	return NULL;
}

TEST(kube_fake_two_threads)
{
	CHECK_INT(kd_kube_global_init(), 0);
	CHECK_INT(kd_kube_global_init(), 0); /* once, however often */
	fake f;
	if (!CHECK(fake_start(&f, route_threads)))
		return;
	kd_buf cache = KD_BUF_INIT;
	kd_buf_printf(&cache, "%s/threads-cache", kd_test_tmpdir());
	worker w[2] = {{&f, kd_buf_cstr(&cache), 0, ""}, {&f, kd_buf_cstr(&cache), 0, ""}};
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&th[i], NULL, work, &w[i]) == 0);
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		if (!CHECK_INT(w[i].failures, 0))
			fprintf(stderr, "  thread %d: %s\n", i, w[i].first_error);
	}
	/* the cache holds whole lists and no temporary file is left behind */
	kd_buf cmd = KD_BUF_INIT;
	kd_buf_printf(&cmd, "test \"$(find '%s' -type f | wc -l)\" = 2 && find '%s' -name '*.json' | xargs -n1 python3 -m json.tool >/dev/null",
		kd_buf_cstr(&cache), kd_buf_cstr(&cache));
	CHECK_INT(system(kd_buf_cstr(&cmd)), 0);
	kd_buf_free(&cmd);
	kd_buf_free(&cache);
	fake_stop(&f);
}

/* The cache's temporary file is private: whatever sits at a predictable name beside the cache
 * file (here a symlink to a file of the user's, as another process could plant) is not used. */
TEST(kube_fake_discovery_cache_temp_is_private)
{
	fake f;
	if (!CHECK(fake_start(&f, route_threads)))
		return;
	kd_buf cache = KD_BUF_INIT, victim = KD_BUF_INIT, cmd = KD_BUF_INIT;
	kd_buf_printf(&cache, "%s/private-cache", kd_test_tmpdir());
	kd_buf_printf(&victim, "%s/victim.txt", kd_test_tmpdir());
	kd_test_write_file(kd_buf_cstr(&victim), "precious\n", 0600);
	kd_kube_client_options o = KD_KUBE_CLIENT_OPTIONS_INIT;
	o.cache_dir = kd_buf_cstr(&cache);
	o.discovery_ttl_s = 600;
	o.discovery_settle_ms = -1;
	kd_kube_client *c = fake_client(&f, NULL, &o);
	kd_kube_mapping m = KD_KUBE_MAPPING_INIT;
	if (CHECK(c != NULL))
		CHECK_INT(kd_kube_mapping_get(&m, c, "g.example/v1", "Widget"), 0);
	kd_kube_mapping_clear(&m);
	kd_kube_client_free(c);
	/* beside the cache file: the names a writer could pick (this process's pid) */
	kd_buf_printf(&cmd,
		"f=$(find '%s' -name 'g.example_v1.json') && test -n \"$f\" && ln -s '%s' \"$f.%d.tmp\" && "
		"ln -s '%s' \"$f.tmp\" && rm \"$f\"",
		kd_buf_cstr(&cache), kd_buf_cstr(&victim), (int)getpid(), kd_buf_cstr(&victim));
	CHECK_INT(system(kd_buf_cstr(&cmd)), 0);
	c = fake_client(&f, NULL, &o);
	if (CHECK(c != NULL))
		CHECK_INT(kd_kube_mapping_get(&m, c, "g.example/v1", "Widget"), 0); /* fetched and written again */
	kd_kube_mapping_clear(&m);
	kd_kube_client_free(c);
	char *v = NULL;
	size_t len = 0;
	CHECK_INT(kd_file_read(&v, &len, kd_buf_cstr(&victim), 0), 0);
	CHECK_STR(v, "precious\n");
	free(v);
	kd_buf_clear(&cmd);
	kd_buf_printf(&cmd, "f=$(find '%s' -name 'g.example_v1.json') && test -f \"$f\" && ! test -L \"$f\" && grep -q widgets \"$f\"",
		kd_buf_cstr(&cache));
	CHECK_INT(system(kd_buf_cstr(&cmd)), 0);
	kd_buf_free(&cmd);
	kd_buf_free(&cache);
	kd_buf_free(&victim);
	fake_stop(&f);
}
