/* Watches: the event stream parser, watch streams driven by one curl multi handle (a stream per
 * kind and namespace, each on its own connection), resume from the last resourceVersion, re-list
 * after 410 Gone, and the wait helper on top of them. Events are queued inside curl's callbacks
 * and delivered after curl_multi_perform returns, so callers may use the client from them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/json.h"
#include "internal.h"

#define EVENT_MAX ((size_t)64 << 20)
#define WATCH_SERVER_TIMEOUT_S 290

/* ---------------------------------------------------------------------------------------------
 * Stream parser */

void kd_kube__stream_reset(kd_kube__stream *s)
{
	kd_buf_free(&s->buf);
	size_t max = s->max;
	memset(s, 0, sizeof(*s));
	s->max = max;
}

int kd_kube__stream_feed(kd_kube__stream *s, const char *data, size_t len, kd_kube__stream_fn fn, void *payload)
{
	size_t max = s->max ? s->max : EVENT_MAX;
	size_t start = 0; /* first byte of the current value inside data, when started here */
	for (size_t i = 0; i < len; i++) {
		char ch = data[i];
		if (!s->started) {
			if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t')
				continue;
			if (ch != '{') {
				kd_error_set(KD_ERR_KUBE, "watch stream: unexpected byte 0x%02x between events", (unsigned char)ch);
				return KD_EINVALID;
			}
			s->started = true;
			s->depth = 0;
			s->in_string = s->escape = false;
			start = i;
			kd_buf_clear(&s->buf);
		}
		if (s->in_string) {
			if (s->escape)
				s->escape = false;
			else if (ch == '\\')
				s->escape = true;
			else if (ch == '"')
				s->in_string = false;
		} else if (ch == '"') {
			s->in_string = true;
		} else if (ch == '{' || ch == '[') {
			s->depth++;
		} else if (ch == '}' || ch == ']') {
			s->depth--;
			if (s->depth == 0) {
				if (s->buf.len + (i + 1 - start) > max)
					goto too_big;
				kd_buf_put(&s->buf, data + start, i + 1 - start);
				s->started = false;
				int rc = fn(payload, s->buf.ptr, s->buf.len);
				kd_buf_clear(&s->buf);
				if (rc)
					return rc;
				continue;
			}
			if (s->depth < 0) {
				kd_error_set(KD_ERR_KUBE, "watch stream: unbalanced brackets");
				return KD_EINVALID;
			}
		}
	}
	if (s->started) {
		if (s->buf.len + (len - start) > max)
			goto too_big;
		kd_buf_put(&s->buf, data + start, len - start);
	}
	return 0;
too_big:
	kd_error_set(KD_ERR_KUBE, "watch stream: an event is larger than %zu bytes", max);
	kd_kube__stream_reset(s);
	return KD_ELIMIT;
}

const char *kd_kube_event_type_name(kd_kube_event_type t)
{
	switch (t) {
	case KD_KUBE_ADDED:
		return "ADDED";
	case KD_KUBE_MODIFIED:
		return "MODIFIED";
	case KD_KUBE_DELETED:
		return "DELETED";
	case KD_KUBE_BOOKMARK:
		return "BOOKMARK";
	}
	return "?";
}

int kd_kube__event_parse(int *type_out, cJSON **obj_out, const char *json, size_t len)
{
	static const char *names[] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"};
	cJSON *ev = cJSON_ParseWithLength(json, len);
	int rc = KD_EINVALID;
	*obj_out = NULL;
	if (!ev || !cJSON_IsObject(ev)) {
		kd_error_set(KD_ERR_KUBE, "watch stream: an event is not a JSON object");
		goto done;
	}
	const char *type = kd_json_get_str(ev, "type");
	cJSON *obj = kd_json_get(ev, "object");
	int t = -1;
	for (int i = 0; type && i < (int)KD_ARRAY_SIZE(names); i++)
		if (strcmp(type, names[i]) == 0)
			t = i;
	if (t < 0 || !cJSON_IsObject(obj)) {
		kd_error_set(KD_ERR_KUBE, "watch stream: an event without a known type and an object");
		goto done;
	}
	*type_out = t;
	*obj_out = cJSON_DetachItemViaPointer(ev, obj);
	rc = 0;
done:
	cJSON_Delete(ev);
	return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Watch streams */

typedef struct wstream wstream;
typedef int (*wstream_fn)(wstream *w, kd_kube_event_type type, const cJSON *obj);

struct wstream {
	kd_kube_client *c;
	char *api_version, *kind, *ns;
	char *label_selector, *field_selector;
	bool all_namespaces, bookmarks;
	char *rv;
	bool listed;
	CURL *h;
	struct curl_slist *headers;
	bool active;
	long http_status;
	kd_buf errbody;
	kd_kube__stream parser;
	cJSON *queue; /* array of [type, object] pending delivery */
	bool gone;
	int stream_err; /* set by the parser or an ERROR event */
	char **known;   /* "ns/name" of objects seen, for DELETED after a re-list */
	size_t nknown;
	int64_t next_connect_ms;
	int64_t connected_ms;
	bool got_event; /* since the last connect */
	int64_t failing_since_ms;
	int failures;
	int reconnects, relists;
	wstream_fn fn;
	void *payload;
	int mapping_missing; /* the kind is not served (yet) */
	size_t index;
};

static void known_clear(wstream *w)
{
	for (size_t i = 0; i < w->nknown; i++)
		free(w->known[i]);
	free(w->known);
	w->known = NULL;
	w->nknown = 0;
}

static void obj_key(kd_buf *b, const cJSON *obj)
{
	const cJSON *md = kd_json_get(obj, "metadata");
	const char *ns = kd_json_get_str(md, "namespace"), *name = kd_json_get_str(md, "name");
	kd_buf_printf(b, "%s/%s", ns ? ns : "", name ? name : "");
}

static void known_update(wstream *w, kd_kube_event_type t, const cJSON *obj)
{
	if (t == KD_KUBE_BOOKMARK)
		return;
	kd_buf k = KD_BUF_INIT;
	obj_key(&k, obj);
	size_t i;
	for (i = 0; i < w->nknown; i++)
		if (strcmp(w->known[i], kd_buf_cstr(&k)) == 0)
			break;
	if (t == KD_KUBE_DELETED) {
		if (i < w->nknown) {
			free(w->known[i]);
			w->known[i] = w->known[--w->nknown];
		}
	} else if (i == w->nknown) {
		w->known = kd_realloc(w->known, (w->nknown + 1) * sizeof(char *));
		w->known[w->nknown++] = kd_buf_detach(&k);
	}
	kd_buf_free(&k);
}

static void wstream_disconnect(wstream *w, CURLM *m)
{
	if (w->h) {
		if (w->active)
			curl_multi_remove_handle(m, w->h);
		curl_easy_cleanup(w->h);
		w->h = NULL;
	}
	kd_kube__slist_scrub_free(w->headers);
	w->headers = NULL;
	w->active = false;
}

static void wstream_free(wstream *w, CURLM *m)
{
	if (!w)
		return;
	wstream_disconnect(w, m);
	free(w->api_version);
	free(w->kind);
	free(w->ns);
	free(w->label_selector);
	free(w->field_selector);
	free(w->rv);
	kd_buf_free(&w->errbody);
	kd_kube__stream_reset(&w->parser);
	cJSON_Delete(w->queue);
	known_clear(w);
	free(w);
}

static void set_rv(wstream *w, const char *rv)
{
	if (!rv || !*rv)
		return;
	free(w->rv);
	w->rv = kd_strdup(rv);
}

static int deliver(wstream *w, kd_kube_event_type t, const cJSON *obj)
{
	known_update(w, t, obj);
	set_rv(w, kd_json_get_str(kd_json_get(obj, "metadata"), "resourceVersion"));
	return w->fn(w, t, obj);
}

static kd_kube_ref wref(const wstream *w)
{
	kd_kube_ref r = {w->api_version, w->kind, w->ns, NULL, NULL};
	return r;
}

/* Lists (first time, or after 410 Gone) and reports the objects. */
static int wstream_list(wstream *w, bool relist)
{
	kd_kube_list_options lo = KD_KUBE_LIST_OPTIONS_INIT;
	cJSON *list = NULL;
	char **before = NULL;
	size_t nbefore = 0;
	int rc;
	lo.label_selector = w->label_selector;
	lo.field_selector = w->field_selector;
	lo.all_namespaces = w->all_namespaces;
	kd_kube_ref r = wref(w);
	if ((rc = kd_kube_list(&list, w->c, &r, &lo)))
		goto done;
	if (relist) {
		before = w->known;
		nbefore = w->nknown;
		w->known = NULL;
		w->nknown = 0;
	}
	const cJSON *it;
	cJSON_ArrayForEach(it, kd_json_get(list, "items"))
	{
		if ((rc = deliver(w, relist ? KD_KUBE_MODIFIED : KD_KUBE_ADDED, it)))
			goto done;
	}
	/* objects that vanished while we could not watch */
	for (size_t i = 0; i < nbefore; i++) {
		bool still = false;
		for (size_t j = 0; j < w->nknown && !still; j++)
			still = strcmp(before[i], w->known[j]) == 0;
		if (still)
			continue;
		const char *slash = strchr(before[i], '/');
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "apiVersion", w->api_version);
		cJSON_AddStringToObject(o, "kind", w->kind);
		cJSON *md = cJSON_AddObjectToObject(o, "metadata");
		cJSON_AddStringToObject(md, "name", slash + 1);
		if (slash != before[i]) {
			char *ns = kd_strndup(before[i], (size_t)(slash - before[i]));
			cJSON_AddStringToObject(md, "namespace", ns);
			free(ns);
		}
		rc = w->fn(w, KD_KUBE_DELETED, o);
		cJSON_Delete(o);
		if (rc)
			goto done;
	}
	free(w->rv);
	w->rv = NULL;
	set_rv(w, kd_json_get_str(kd_json_get(list, "metadata"), "resourceVersion"));
	w->listed = true;
	if (relist)
		w->relists++;
	/* a sync point: everything that exists has been reported */
	rc = w->fn(w, KD_KUBE_BOOKMARK, NULL);
done:
	for (size_t i = 0; i < nbefore; i++)
		free(before[i]);
	free(before);
	cJSON_Delete(list);
	return rc;
}

static int on_event_json(void *ud, const char *json, size_t len)
{
	wstream *w = ud;
	int type;
	cJSON *obj = NULL;
	int rc = kd_kube__event_parse(&type, &obj, json, len);
	if (rc)
		return rc;
	if (type == KD_KUBE__EVENT_ERROR) {
		long code = kd_kube__json_long(kd_json_get(obj, "code"), 500);
		if (code == 410) {
			w->gone = true;
			cJSON_Delete(obj);
			return 1; /* stop reading this stream */
		}
		rc = kd_kube__status_to_error(code, obj);
		cJSON_Delete(obj);
		return rc ? rc : KD_ERROR;
	}
	w->got_event = true;
	cJSON *pair = cJSON_CreateArray();
	cJSON_AddItemToArray(pair, cJSON_CreateNumber(type));
	cJSON_AddItemToArray(pair, obj);
	cJSON_AddItemToArray(w->queue, pair);
	return 0;
}

static size_t on_watch_body(char *p, size_t size, size_t n, void *ud)
{
	wstream *w = ud;
	size_t len = size * n;
	if (!w->http_status)
		curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &w->http_status);
	if (w->http_status != 200) {
		if (w->errbody.len < 65536)
			kd_buf_put(&w->errbody, p, len);
		return len;
	}
	int rc = kd_kube__stream_feed(&w->parser, p, len, on_event_json, w);
	if (rc) {
		if (rc < 0)
			w->stream_err = rc;
		return 0; /* aborts the transfer */
	}
	return len;
}

static int wstream_connect(wstream *w, CURLM *m)
{
	kd_buf path = KD_BUF_INIT, url = KD_BUF_INIT;
	char to[32];
	int rc;
	kd_kube_ref r = wref(w);
	if (!w->listed) {
		if ((rc = wstream_list(w, false)))
			goto done;
	}
	if ((rc = kd_kube__ref_path(&path, w->c, &r, w->all_namespaces, NULL)))
		goto done;
	snprintf(to, sizeof(to), "%d", WATCH_SERVER_TIMEOUT_S);
	kd_kube__query q[] = {
		{"watch", "1"},
		{"resourceVersion", w->rv},
		{"allowWatchBookmarks", w->bookmarks ? "true" : NULL},
		{"labelSelector", w->label_selector},
		{"fieldSelector", w->field_selector},
		{"timeoutSeconds", to},
	};
	kd_kube__append_query(&path, q, KD_ARRAY_SIZE(q));
	kd_kube__url(&url, w->c, kd_buf_cstr(&path));
	w->h = curl_easy_init();
	if (!w->h) {
		rc = kd_error_set(KD_ERR_KUBE, "cannot create a curl handle");
		goto done;
	}
	if ((rc = kd_kube__setup_handle(w->c, w->h, &w->headers)))
		goto done;
	w->headers = curl_slist_append(w->headers, "Accept: application/json");
	curl_easy_setopt(w->h, CURLOPT_HTTPHEADER, w->headers);
	curl_easy_setopt(w->h, CURLOPT_URL, kd_buf_cstr(&url));
	curl_easy_setopt(w->h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(w->h, CURLOPT_WRITEFUNCTION, on_watch_body);
	curl_easy_setopt(w->h, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(w->h, CURLOPT_PRIVATE, w);
	/* a stream that stays silent far past the server's own timeout is dead */
	curl_easy_setopt(w->h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(w->h, CURLOPT_LOW_SPEED_TIME, (long)WATCH_SERVER_TIMEOUT_S + 60);
	w->http_status = 0;
	kd_buf_clear(&w->errbody);
	kd_kube__stream_reset(&w->parser);
	w->gone = false;
	w->stream_err = 0;
	curl_multi_add_handle(m, w->h);
	w->active = true;
	w->connected_ms = kd_kube__now_ms();
	w->got_event = false;
	kd_buf lu = KD_BUF_INIT;
	kd_kube__redact_url(&lu, kd_buf_cstr(&url));
	kd_kube__log(w->c, 1, "WATCH %s", kd_buf_cstr(&lu));
	kd_buf_free(&lu);
	rc = 0;
done:
	if (rc)
		wstream_disconnect(w, m);
	kd_buf_free(&path);
	kd_buf_free(&url);
	return rc;
}

static long backoff(int failures)
{
	long ms = 250;
	for (int i = 1; i < failures && ms < 4000; i++)
		ms *= 2;
	return ms > 4000 ? 4000 : ms;
}

/* A finished transfer: decide whether to resume, re-list, or fail. */
static int wstream_done(wstream *w, CURLM *m, CURLcode res)
{
	long status = w->http_status;
	if (!status)
		curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &status);
	int stream_err = w->stream_err;
	wstream_disconnect(w, m);
	int64_t now = kd_kube__now_ms();
	if (stream_err) {
		kd_kube__stream_reset(&w->parser);
		return stream_err;
	}
	if (w->gone || status == 410) {
		kd_kube__log(w->c, 1, "WATCH %s: resourceVersion too old (410 Gone), re-listing", w->kind);
		w->gone = false;
		w->failures = 0;
		w->failing_since_ms = 0;
		int rc = wstream_list(w, true);
		if (rc)
			return rc;
		w->next_connect_ms = now;
		return 0;
	}
	if (res == CURLE_OK && status == 200) {
		/* the server closed the watch (its timeout): resume at once, unless it keeps closing
		 * streams as soon as they open, which must not become a busy loop */
		w->reconnects++;
		if (w->got_event || now - w->connected_ms > 5000) {
			w->failures = 0;
			w->failing_since_ms = 0;
			w->next_connect_ms = now;
		} else {
			w->failures++;
			w->next_connect_ms = now + backoff(w->failures);
		}
		return 0;
	}
	if (res == CURLE_OK && status == 401) {
		kd_kube__auth_invalidate(w->c);
		if (w->failures == 0) {
			w->failures++;
			w->next_connect_ms = now;
			return 0;
		}
	}
	if (res == CURLE_OK && status != 429 && status < 500) {
		int rc = kd_kube_status_error(status, w->errbody.ptr, w->errbody.len);
		kd_kube__redact_error(w->c);
		return rc;
	}
	/* a dropped connection, 429 or 5xx: resume from the last resourceVersion */
	if (!w->failing_since_ms)
		w->failing_since_ms = now;
	if (now - w->failing_since_ms > kd_kube__budget_ms(w->c)) {
		kd_error_set(KD_ERR_KUBE, "watch %s: the server has been unreachable for %ld s (%s)", w->kind,
			(long)((now - w->failing_since_ms) / 1000),
			res != CURLE_OK ? curl_easy_strerror(res) : "HTTP error");
		return KD_ERROR;
	}
	w->failures++;
	w->reconnects++;
	w->next_connect_ms = now + backoff(w->failures);
	kd_kube__log(w->c, 1, "WATCH %s interrupted (%s); resuming from resourceVersion %s", w->kind,
		res != CURLE_OK ? curl_easy_strerror(res) : "HTTP error", w->rv ? w->rv : "(none)");
	return 0;
}

static int wstream_flush(wstream *w)
{
	int rc = 0;
	while (!rc && w->queue && w->queue->child) {
		cJSON *pair = cJSON_DetachItemViaPointer(w->queue, w->queue->child);
		int t = (int)pair->child->valuedouble;
		const cJSON *obj = pair->child->next;
		rc = deliver(w, (kd_kube_event_type)t, obj);
		if (!rc)
			w->failures = 0, w->failing_since_ms = 0;
		cJSON_Delete(pair);
	}
	return rc;
}

/* Runs the streams until a callback stops (returns > 0: result 0) or fails, or the deadline. */
static int run_streams(kd_kube_client *c, wstream **ws, size_t n, CURLM *m, int64_t deadline_ms)
{
	int rc = 0;
	for (;;) {
		int64_t now = kd_kube__now_ms();
		if (kd_kube__canceled(c))
			return KD_ECANCELED; /* the caller says what was canceled */
		if (deadline_ms && now >= deadline_ms)
			return KD_ETIMEOUT;
		long wait_ms = kd_kube__client_has_cancel(c) ? KD_KUBE__CANCEL_POLL_MS : 1000;
		for (size_t i = 0; i < n; i++) {
			wstream *w = ws[i];
			if (w->active)
				continue;
			if (now >= w->next_connect_ms) {
				rc = wstream_connect(w, m);
				if (rc > 0)
					return 0;
				if (rc == KD_ENOTFOUND && w->mapping_missing >= 0 && !w->listed) {
					/* the kind is not served (yet): a CRD may be on its way */
					w->mapping_missing++;
					w->next_connect_ms = now + 500;
					rc = w->fn(w, KD_KUBE_BOOKMARK, NULL);
					if (rc > 0)
						return 0;
					if (rc)
						return rc;
					continue;
				}
				if (rc == KD_ERROR && !w->listed) {
					/* listing failed after retries: keep trying within the budget */
					if (!w->failing_since_ms)
						w->failing_since_ms = now;
					if (now - w->failing_since_ms > kd_kube__budget_ms(w->c))
						return rc;
					w->failures++;
					w->next_connect_ms = now + backoff(w->failures);
					continue;
				}
				if (rc)
					return rc;
				/* the initial list may already satisfy the caller */
				rc = wstream_flush(w);
				if (rc > 0)
					return 0;
				if (rc)
					return rc;
			} else if (w->next_connect_ms - now < wait_ms) {
				wait_ms = (long)(w->next_connect_ms - now);
			}
		}
		int running = 0;
		curl_multi_perform(m, &running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			wstream *w = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&w);
			CURLcode res = msg->data.result;
			/* deliver what arrived before the stream ended */
			rc = wstream_flush(w);
			if (rc > 0)
				return 0;
			if (rc)
				return rc;
			if ((rc = wstream_done(w, m, res)) != 0)
				return rc > 0 ? 0 : rc;
		}
		for (size_t i = 0; i < n; i++) {
			rc = wstream_flush(ws[i]);
			if (rc > 0)
				return 0;
			if (rc)
				return rc;
		}
		if (deadline_ms && deadline_ms - kd_kube__now_ms() < wait_ms)
			wait_ms = (long)(deadline_ms - kd_kube__now_ms());
		if (wait_ms < 0)
			wait_ms = 0;
		curl_multi_poll(m, NULL, 0, (int)wait_ms, NULL);
	}
}

static wstream *wstream_new(kd_kube_client *c, const char *api_version, const char *kind, const char *ns,
	const char *ls, const char *fs, bool all_ns, bool bookmarks, wstream_fn fn, void *payload)
{
	wstream *w = kd_calloc(1, sizeof(*w));
	w->c = c;
	w->api_version = kd_strdup(api_version);
	w->kind = kd_strdup(kind);
	w->ns = ns ? kd_strdup(ns) : NULL;
	w->label_selector = ls ? kd_strdup(ls) : NULL;
	w->field_selector = fs ? kd_strdup(fs) : NULL;
	w->all_namespaces = all_ns;
	w->bookmarks = bookmarks;
	w->queue = cJSON_CreateArray();
	w->fn = fn;
	w->payload = payload;
	return w;
}

/* ---------------------------------------------------------------------------------------------
 * kd_kube_watch */

typedef struct {
	kd_kube_watch_fn fn;
	void *payload;
} watch_ctx;

static int watch_adapter(wstream *w, kd_kube_event_type t, const cJSON *obj)
{
	watch_ctx *x = w->payload;
	if (!obj)
		return 0; /* sync point after a list */
	return x->fn(x->payload, t, obj);
}

int kd_kube_watch_many(kd_kube_client *c, const kd_kube_ref *refs, const char *const *resource_versions, size_t n,
	kd_kube_watch_options *opts, kd_kube_watch_fn fn, void *payload)
{
	kd_kube_watch_options def = KD_KUBE_WATCH_OPTIONS_INIT;
	watch_ctx x = {fn, payload};
	kd_buf fs = KD_BUF_INIT, what = KD_BUF_INIT;
	if (!opts)
		opts = &def;
	if (n == 0)
		return 0;
	CURLM *m = curl_multi_init();
	wstream **ws = kd_calloc(n, sizeof(*ws));
	for (size_t i = 0; i < n; i++) {
		const kd_kube_ref *ref = &refs[i];
		kd_buf_clear(&fs);
		if (ref->name && *ref->name) {
			kd_buf_printf(&fs, "metadata.name=%s", ref->name);
			if (opts->field_selector)
				kd_buf_printf(&fs, ",%s", opts->field_selector);
		}
		ws[i] = wstream_new(c, ref->api_version, ref->kind, ref->namespace_, opts->label_selector,
			fs.len ? kd_buf_cstr(&fs) : opts->field_selector, opts->all_namespaces, !opts->no_bookmarks, watch_adapter,
			&x);
		ws[i]->index = i;
		ws[i]->mapping_missing = -1; /* a missing kind is an error here */
		const char *rv = resource_versions ? resource_versions[i] : NULL;
		if (rv) {
			ws[i]->rv = kd_strdup(rv);
			ws[i]->listed = true;
		}
		kd_buf_printf(&what, "%s%s", i ? ", " : "", ref->kind);
	}
	int64_t deadline = opts->timeout_ms > 0 ? kd_kube__now_ms() + opts->timeout_ms : 0;
	int rc = run_streams(c, ws, n, m, deadline);
	if (rc == KD_ETIMEOUT)
		kd_error_set(KD_ERR_KUBE, "watch %s: no end within %ld ms", kd_buf_cstr(&what), opts->timeout_ms);
	if (rc == KD_ECANCELED) {
		kd_buf msg = KD_BUF_INIT;
		kd_buf_printf(&msg, "watch %s", kd_buf_cstr(&what));
		kd_kube__cancel_error(kd_buf_cstr(&msg));
		kd_buf_free(&msg);
	}
	opts->reconnects = opts->relists = 0;
	for (size_t i = 0; i < n; i++) {
		opts->reconnects += ws[i]->reconnects;
		opts->relists += ws[i]->relists;
		wstream_free(ws[i], m);
	}
	free(ws);
	curl_multi_cleanup(m);
	kd_buf_free(&fs);
	kd_buf_free(&what);
	return rc;
}

int kd_kube_watch(kd_kube_client *c, const kd_kube_ref *ref, kd_kube_watch_options *opts, kd_kube_watch_fn fn,
	void *payload)
{
	kd_kube_watch_options def = KD_KUBE_WATCH_OPTIONS_INIT;
	if (!opts)
		opts = &def;
	const char *rv[1] = {opts->resource_version};
	return kd_kube_watch_many(c, ref, rv, 1, opts, fn, payload);
}

/* ---------------------------------------------------------------------------------------------
 * kd_kube_wait */

typedef struct {
	const kd_kube_ref *ref;
	char *ns; /* resolved */
	cJSON *obj;
	kd_kube_wait_verdict verdict;
	char reason[512];
	bool evaluated;
	size_t stream;
} wait_item;

typedef struct {
	kd_kube_client *c;
	wait_item *items;
	size_t n;
	const kd_kube_wait_options *opts;
	size_t failed; /* index + 1 of a FAILED item */
} wait_ctx;

static kd_kube_wait_verdict readiness_predicate(void *payload, const kd_kube_ref *ref, const cJSON *obj, char *reason,
	size_t size)
{
	kd_kube_status st;
	kd_kube_status_compute(&st, obj, NULL);
	if (st.state == KD_KUBE_NOT_FOUND)
		snprintf(reason, size, "not found");
	else if (st.state == KD_KUBE_TERMINATING)
		snprintf(reason, size, "terminating%s%s", st.reason[0] ? ": " : "", st.reason);
	else
		kd_kube__strlcpy(reason, size, st.reason);
	return st.state == KD_KUBE_CURRENT ? KD_KUBE_WAIT_DONE
	       : st.state == KD_KUBE_FAILED ? KD_KUBE_WAIT_FAILED
					    : KD_KUBE_WAIT_PENDING;
}

kd_kube_wait_verdict kd_kube_wait_deleted(void *payload, const kd_kube_ref *ref, const cJSON *obj, char *reason,
	size_t size)
{
	if (!obj)
		return KD_KUBE_WAIT_DONE;
	snprintf(reason, size, kd_json_path(obj, "metadata", "deletionTimestamp", NULL) ? "being deleted" : "still exists");
	return KD_KUBE_WAIT_PENDING;
}

static void evaluate(wait_ctx *x, wait_item *it)
{
	char reason[512] = "";
	kd_kube_wait_predicate p = x->opts->predicate ? x->opts->predicate : readiness_predicate;
	kd_kube_wait_verdict v = p(x->opts->predicate_payload, it->ref, it->obj, reason, sizeof(reason));
	bool changed = !it->evaluated || v != it->verdict || strcmp(reason, it->reason) != 0;
	it->evaluated = true;
	it->verdict = v;
	kd_kube__strlcpy(it->reason, sizeof(it->reason), reason);
	if (changed && x->opts->progress)
		x->opts->progress(x->opts->progress_payload, it->ref, v, it->reason);
	if (v == KD_KUBE_WAIT_FAILED && !x->failed)
		x->failed = (size_t)(it - x->items) + 1;
}

static int wait_check(wait_ctx *x)
{
	if (x->failed)
		return 1;
	for (size_t i = 0; i < x->n; i++)
		if (!x->items[i].evaluated || x->items[i].verdict != KD_KUBE_WAIT_DONE)
			return 0;
	return 1;
}

static int wait_event(wstream *w, kd_kube_event_type t, const cJSON *obj)
{
	wait_ctx *x = w->payload;
	if (!obj) {
		/* sync point (list complete, or the kind is not served yet): what was not reported
		 * does not exist */
		for (size_t i = 0; i < x->n; i++) {
			wait_item *it = &x->items[i];
			if (it->stream == w->index && !it->evaluated)
				evaluate(x, it);
		}
		return wait_check(x);
	}
	if (t == KD_KUBE_BOOKMARK)
		return 0;
	const cJSON *md = kd_json_get(obj, "metadata");
	const char *name = kd_json_get_str(md, "name"), *ns = kd_json_get_str(md, "namespace");
	for (size_t i = 0; i < x->n; i++) {
		wait_item *it = &x->items[i];
		if (it->stream != w->index || !name || strcmp(it->ref->name, name) != 0)
			continue;
		if (it->ns && ns && strcmp(it->ns, ns) != 0)
			continue;
		cJSON_Delete(it->obj);
		it->obj = t == KD_KUBE_DELETED ? NULL : cJSON_Duplicate(obj, true);
		evaluate(x, it);
	}
	return wait_check(x);
}

static bool is_workload(const char *kind)
{
	static const char *k[] = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"};
	for (size_t i = 0; i < KD_ARRAY_SIZE(k); i++)
		if (strcmp(kind, k[i]) == 0)
			return true;
	return false;
}

/* "Kind/name: reason", with the pod that holds a workload back when readiness is the test. */
static void describe(kd_buf *b, wait_ctx *x, wait_item *it)
{
	kd_buf_printf(b, "%s/%s", it->ref->kind, it->ref->name);
	if (it->ns && x->n > 0)
		kd_buf_printf(b, " (namespace %s)", it->ns);
	if (!x->opts->predicate && it->obj && is_workload(it->ref->kind)) {
		cJSON *pods = NULL;
		if (kd_kube_workload_pods(&pods, x->c, it->obj) == 0) {
			kd_kube_status st;
			kd_kube_status_compute(&st, it->obj, pods);
			kd_buf_printf(b, ": %s", st.reason[0] ? st.reason : kd_kube_state_name(st.state));
			cJSON_Delete(pods);
			return;
		}
		kd_error_clear();
	}
	kd_buf_printf(b, ": %s", it->reason[0] ? it->reason : "pending");
}

int kd_kube_wait(kd_kube_client *c, const kd_kube_ref *refs, size_t n, const kd_kube_wait_options *opts)
{
	kd_kube_wait_options def = KD_KUBE_WAIT_OPTIONS_INIT;
	wait_ctx x = {0};
	wstream **ws = NULL;
	size_t nws = 0;
	CURLM *m = NULL;
	kd_buf msg = KD_BUF_INIT;
	int rc = 0;
	if (!opts)
		opts = &def;
	if (n == 0)
		return 0;
	x.c = c;
	x.n = n;
	x.opts = opts;
	x.items = kd_calloc(n, sizeof(*x.items));
	m = curl_multi_init();
	for (size_t i = 0; i < n; i++) {
		wait_item *it = &x.items[i];
		kd_kube_mapping mp = KD_KUBE_MAPPING_INIT;
		it->ref = &refs[i];
		if (!refs[i].name || !refs[i].kind || !refs[i].api_version) {
			rc = kd_error_set(KD_ERR_KUBE, "wait: every object needs an apiVersion, a kind and a name");
			rc = KD_EINVALID;
			goto done;
		}
		int mr = kd_kube_mapping_get(&mp, c, refs[i].api_version, refs[i].kind);
		if (mr && mr != KD_ENOTFOUND) {
			rc = mr;
			goto done;
		}
		kd_error_clear();
		/* an unknown kind may become known (CRD on its way): assume namespaced as given */
		if (mr || mp.namespaced)
			it->ns = kd_strdup(refs[i].namespace_ && *refs[i].namespace_ ? refs[i].namespace_ : kd_kube_client_namespace(c));
		kd_kube_mapping_clear(&mp);
		size_t s;
		for (s = 0; s < nws; s++) {
			wstream *w = ws[s];
			if (strcmp(w->api_version, refs[i].api_version) == 0 && strcmp(w->kind, refs[i].kind) == 0 &&
				((!w->ns && !it->ns) || (w->ns && it->ns && strcmp(w->ns, it->ns) == 0)))
				break;
		}
		if (s == nws) {
			ws = kd_realloc(ws, (nws + 1) * sizeof(*ws));
			ws[nws] = wstream_new(c, refs[i].api_version, refs[i].kind, it->ns, NULL, NULL, false, true, wait_event, &x);
			ws[nws]->index = nws;
			nws++;
		}
		it->stream = s;
	}
	/* one object per stream: let the server filter */
	for (size_t s = 0; s < nws; s++) {
		size_t count = 0, last = 0;
		for (size_t i = 0; i < n; i++)
			if (x.items[i].stream == s)
				count++, last = i;
		if (count == 1) {
			kd_buf fs = KD_BUF_INIT;
			kd_buf_printf(&fs, "metadata.name=%s", refs[last].name);
			ws[s]->field_selector = kd_buf_detach(&fs);
		}
	}
	long timeout = opts->timeout_ms > 0 ? opts->timeout_ms : 300000;
	rc = run_streams(c, ws, nws, m, kd_kube__now_ms() + timeout);
	if (rc == KD_ECANCELED) {
		kd_buf_puts(&msg, "wait for");
		for (size_t i = 0; i < n; i++) {
			if (x.items[i].evaluated && x.items[i].verdict == KD_KUBE_WAIT_DONE)
				continue;
			kd_buf_printf(&msg, " %s/%s", refs[i].kind, refs[i].name);
		}
		kd_kube__cancel_error(kd_buf_cstr(&msg));
	} else if (rc == 0 && x.failed) {
		describe(&msg, &x, &x.items[x.failed - 1]);
		kd_error_set(KD_ERR_KUBE, "%s", kd_buf_cstr(&msg));
		rc = KD_ERROR;
	} else if (rc == KD_ETIMEOUT) {
		kd_buf_printf(&msg, "timed out after %ld s waiting for ", timeout / 1000);
		bool first = true;
		for (size_t i = 0; i < n; i++) {
			if (x.items[i].evaluated && x.items[i].verdict == KD_KUBE_WAIT_DONE)
				continue;
			if (!first)
				kd_buf_puts(&msg, "; ");
			first = false;
			describe(&msg, &x, &x.items[i]);
		}
		kd_error_set(KD_ERR_KUBE, "%s", kd_buf_cstr(&msg));
	}
done:
	for (size_t s = 0; s < nws; s++)
		wstream_free(ws[s], m);
	free(ws);
	for (size_t i = 0; i < n; i++) {
		cJSON_Delete(x.items[i].obj);
		free(x.items[i].ns);
	}
	free(x.items);
	if (m)
		curl_multi_cleanup(m);
	kd_buf_free(&msg);
	return rc;
}
