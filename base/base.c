#include "base.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <malloc.h>
#include <stdbool.h>
#include <openssl/evp.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/random.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Messages are formatted into a per-thread heap buffer. The cap keeps a runaway message (a
 * quoted multi-megabyte value) from growing without bound; a cut message ends in "...". */
#define ERR_MAX ((size_t)64 << 10)

typedef struct {
	char *msg, *file, *cause;
	size_t cap;
	kd_error info;
	int set;
} err_state;

static _Thread_local err_state err;

static char *dup_or_null(const char *s)
{
	return s ? kd_strdup(s) : NULL;
}

/* Appends to m (capacity ERR_MAX, length *n) what fits of the formatted text. */
static void err_vappend(char *m, size_t *n, const char *fmt, va_list ap)
{
	if (*n + 1 >= ERR_MAX)
		return;
	int k = vsnprintf(m + *n, ERR_MAX - *n, fmt, ap);
	if (k > 0)
		*n = *n + (size_t)k < ERR_MAX ? *n + (size_t)k : ERR_MAX - 1;
}

static void err_append(char *m, size_t *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_vappend(m, n, fmt, ap);
	va_end(ap);
}

static int err_store(kd_error_class klass, const char *file, int line, int col, const char *cause,
	const char *fmt, va_list ap)
{
	/* Everything is formatted into fresh memory first: the arguments may point into the error
	 * being replaced ("%s", kd_error_last()). No kd_buf here: its failures set errors. */
	char *m = kd_malloc(ERR_MAX);
	size_t n = 0;
	m[0] = '\0';
	if (file) {
		if (line > 0 && col > 0)
			err_append(m, &n, "%s:%d:%d: ", file, line, col);
		else if (line > 0)
			err_append(m, &n, "%s:%d: ", file, line);
		else if (*file)
			err_append(m, &n, "%s: ", file);
	}
	err_vappend(m, &n, fmt, ap);
	if (cause && *cause)
		err_append(m, &n, ": %s", cause);
	if (n >= ERR_MAX - 1)
		memcpy(m + ERR_MAX - 4, "...", 4); /* cut: say so */
	char *nfile = dup_or_null(file), *ncause = dup_or_null(cause);
	free(err.msg);
	free(err.file);
	free(err.cause);
	err.msg = kd_realloc(m, strlen(m) + 1);
	err.file = nfile;
	err.cause = ncause;
	err.info.klass = klass;
	err.info.message = err.msg;
	err.info.file = err.file;
	err.info.line = file ? line : 0;
	err.info.col = file ? col : 0;
	err.info.cause = err.cause;
	err.set = 1;
	return KD_ERROR;
}

int kd_error_vset(kd_error_class klass, const char *fmt, va_list ap)
{
	return err_store(klass, NULL, 0, 0, NULL, fmt, ap);
}

int kd_error_set(kd_error_class klass, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_store(klass, NULL, 0, 0, NULL, fmt, ap);
	va_end(ap);
	return KD_ERROR;
}

int kd_error_set_at(kd_error_class klass, const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_store(klass, file ? file : "", line, col, NULL, fmt, ap);
	va_end(ap);
	return KD_ERROR;
}

int kd_error_vset_at(kd_error_class klass, const char *file, int line, int col, const char *fmt, va_list ap)
{
	return err_store(klass, file ? file : "", line, col, NULL, fmt, ap);
}

int kd_error_set_cause(kd_error_class klass, const char *cause, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_store(klass, NULL, 0, 0, cause, fmt, ap);
	va_end(ap);
	return KD_ERROR;
}

int kd_error_set_os(int errnum, const char *fmt, ...)
{
	char cause[256];
	/* strerror is not thread-safe; the GNU strerror_r returns the string it chose. */
	const char *c = strerror_r(errnum, cause, sizeof(cause));
	va_list ap;
	va_start(ap, fmt);
	err_store(KD_ERR_OS, NULL, 0, 0, c, fmt, ap);
	va_end(ap);
	return KD_ERROR;
}

const char *kd_error_last(void)
{
	return err.set ? err.msg : NULL;
}

const kd_error *kd_error_last_info(void)
{
	return err.set ? &err.info : NULL;
}

kd_error_class kd_error_last_class(void)
{
	return err.set ? err.info.klass : KD_ERR_NONE;
}

void kd_error_clear(void)
{
	free(err.msg);
	free(err.file);
	free(err.cause);
	memset(&err, 0, sizeof(err));
}

int kd_buf_put_pos(kd_buf *b, const char *file, int line, int col)
{
	if (line > 0 && col > 0)
		return kd_buf_printf(b, "%s:%d:%d: ", file, line, col);
	if (line > 0)
		return kd_buf_printf(b, "%s:%d: ", file, line);
	return *file ? kd_buf_printf(b, "%s: ", file) : 0;
}

static void oom(size_t n)
{
	fprintf(stderr, "kubectl-kudo: out of memory allocating %zu bytes\n", n);
	abort();
}

void *kd_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *kd_calloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		oom(count * size);
	return p;
}

void *kd_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *kd_strdup(const char *s)
{
	return kd_strndup(s, strlen(s));
}

char *kd_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = kd_malloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

static _Thread_local kd_alloc_gauge *gauge;

kd_alloc_gauge *kd_alloc_gauge_swap(kd_alloc_gauge *g)
{
	kd_alloc_gauge *old = gauge;
	gauge = g;
	return old;
}

static void *cjson_malloc(size_t n)
{
	void *p = kd_malloc(n);
	if (gauge) {
		size_t u = malloc_usable_size(p);
		gauge->live += u;
		gauge->total += u;
	}
	return p;
}

static void cjson_free(void *p)
{
	if (gauge && p) {
		/* memory that was not counted (allocated before the gauge) must not make it wrap */
		size_t u = malloc_usable_size(p);
		gauge->live = gauge->live > u ? gauge->live - u : 0;
	}
	free(p);
}

void kd_base_init(void)
{
	cJSON_Hooks hooks = {cjson_malloc, cjson_free};
	cJSON_InitHooks(&hooks);
}

int kd_buf_grow(kd_buf *b, size_t extra)
{
	if (b->err)
		return b->err;
	size_t max = b->max ? b->max : KD_BUF_DEFAULT_MAX;
	if (extra > max || b->len > max - extra) {
		b->err = KD_ELIMIT;
		kd_error_set(KD_ERR_INTERNAL, "output exceeds the limit of %zu bytes", max);
		return KD_ELIMIT;
	}
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b->ptr = kd_realloc(b->ptr, cap);
	b->cap = cap;
	return 0;
}

int kd_buf_check(const kd_buf *b, const char *what)
{
	if (!b->err)
		return 0;
	size_t max = b->max ? b->max : KD_BUF_DEFAULT_MAX;
	if (what)
		kd_error_set(KD_ERR_INTERNAL, "%s exceeds the limit of %zu bytes", what, max);
	else
		kd_error_set(KD_ERR_INTERNAL, "output exceeds the limit of %zu bytes", max);
	return b->err;
}

int kd_buf_put(kd_buf *b, const void *data, size_t len)
{
	int rc = kd_buf_grow(b, len);
	if (rc)
		return rc;
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int kd_buf_puts(kd_buf *b, const char *s)
{
	return kd_buf_put(b, s, strlen(s));
}

int kd_buf_putc(kd_buf *b, char c)
{
	return kd_buf_put(b, &c, 1);
}

int kd_buf_vprintf(kd_buf *b, const char *fmt, va_list ap)
{
	if (b->err)
		return b->err;
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return kd_error_set(KD_ERR_INTERNAL, "bad format string");
	int rc = kd_buf_grow(b, (size_t)n);
	if (rc)
		return rc;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int kd_buf_printf(kd_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = kd_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

const char *kd_buf_cstr(const kd_buf *b)
{
	return b->ptr ? b->ptr : "";
}

char *kd_buf_detach(kd_buf *b)
{
	char *p = b->ptr ? b->ptr : kd_strdup("");
	b->ptr = NULL;
	b->len = b->cap = 0;
	b->err = 0;
	return p;
}

void kd_buf_truncate(kd_buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->ptr[len] = '\0';
	}
}

void kd_buf_clear(kd_buf *b)
{
	kd_buf_truncate(b, 0);
	b->err = 0;
}

void kd_buf_free(kd_buf *b)
{
	if (!b)
		return;
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
	b->err = 0;
}

int kd_file_read(char **out, size_t *len_out, const char *path, size_t max)
{
	int fd = -1, rc = KD_ERROR;
	kd_buf b = KD_BUF_INIT;
	struct stat st;
	if (max == 0)
		max = (size_t)64 << 20;
	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		kd_error_set_os(e, "%s", path);
		rc = e == ENOENT ? KD_ENOTFOUND : KD_ERROR;
		goto done;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		kd_error_set(KD_ERR_OS, "%s: is a directory", path);
		goto done;
	}
	b.max = max;
	for (;;) {
		char chunk[65536];
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			kd_error_set_os(errno, "%s", path);
			goto done;
		}
		if (n == 0)
			break;
		if (kd_buf_put(&b, chunk, (size_t)n)) {
			kd_error_set(KD_ERR_OS, "%s: larger than %zu bytes", path, max);
			rc = KD_ELIMIT;
			goto done;
		}
	}
	if (len_out)
		*len_out = b.len;
	*out = kd_buf_detach(&b);
	rc = 0;
done:
	if (fd >= 0)
		close(fd);
	kd_buf_free(&b);
	return rc;
}

int kd_utf8_decode(const char *str, size_t n, uint32_t *cp)
{
	static const uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
	const unsigned char *s = (const unsigned char *)str;
	*cp = 0xFFFD;
	if (n == 0)
		return 0;
	unsigned c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
	if (len == 0 || (size_t)len > n || c > 0xF4)
		return 1;
	uint32_t v = c & (0x3Fu >> (len - 1));
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 1;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v < min_for_len[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 1;
	*cp = v;
	return len;
}

int kd_buf_put_utf8(kd_buf *b, uint32_t c)
{
	char t[4];
	size_t n;
	if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		c = 0xFFFD;
	if (c < 0x80) {
		t[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		t[0] = (char)(0xC0 | (c >> 6));
		t[1] = (char)(0x80 | (c & 0x3F));
		n = 2;
	} else if (c < 0x10000) {
		t[0] = (char)(0xE0 | (c >> 12));
		t[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		t[2] = (char)(0x80 | (c & 0x3F));
		n = 3;
	} else {
		t[0] = (char)(0xF0 | (c >> 18));
		t[1] = (char)(0x80 | ((c >> 12) & 0x3F));
		t[2] = (char)(0x80 | ((c >> 6) & 0x3F));
		t[3] = (char)(0x80 | (c & 0x3F));
		n = 4;
	}
	return kd_buf_put(b, t, n);
}

static _Thread_local uintptr_t stack_floor; /* below this address the stack counts as low */

bool kd_stack_low(void)
{
	if (!stack_floor) {
		pthread_attr_t a;
		void *addr = NULL;
		size_t size = 0;
		stack_floor = 1; /* unknown bounds: never low */
		if (pthread_getattr_np(pthread_self(), &a) == 0) {
			if (pthread_attr_getstack(&a, &addr, &size) == 0 && addr && size) {
				size_t margin = size / 16 > ((size_t)512 << 10) ? size / 16 : (size_t)512 << 10;
				if (margin < size)
					stack_floor = (uintptr_t)addr + margin;
			}
			pthread_attr_destroy(&a);
		}
	}
	return (uintptr_t)__builtin_frame_address(0) < stack_floor;
}

/* ---- kd_strmap ---- */

static uint64_t sip_k0, sip_k1;
static pthread_once_t sip_once = PTHREAD_ONCE_INIT;

static void sip_init(void)
{
	uint64_t k[2] = {0, 0};
	if (getrandom(k, sizeof k, GRND_NONBLOCK) != (ssize_t)sizeof k) {
		/* no entropy yet: the clock and an address still differ from run to run */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		k[0] = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32);
		k[1] = (uint64_t)(uintptr_t)&k ^ 0x9e3779b97f4a7c15ULL;
	}
	sip_k0 = k[0];
	sip_k1 = k[1];
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                \
	do {                                                                                        \
		v0 += v1;                                                                               \
		v1 = ROTL(v1, 13);                                                                      \
		v1 ^= v0;                                                                               \
		v0 = ROTL(v0, 32);                                                                      \
		v2 += v3;                                                                               \
		v3 = ROTL(v3, 16);                                                                      \
		v3 ^= v2;                                                                               \
		v0 += v3;                                                                               \
		v3 = ROTL(v3, 21);                                                                      \
		v3 ^= v0;                                                                               \
		v2 += v1;                                                                               \
		v1 = ROTL(v1, 17);                                                                      \
		v1 ^= v2;                                                                               \
		v2 = ROTL(v2, 32);                                                                      \
	} while (0)

/* SipHash-1-3 (one compression round, three finalization rounds). */
uint64_t kd_hash(const void *data, size_t len)
{
	pthread_once(&sip_once, sip_init);
	const unsigned char *p = data;
	uint64_t v0 = sip_k0 ^ 0x736f6d6570736575ULL, v1 = sip_k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = sip_k0 ^ 0x6c7967656e657261ULL, v3 = sip_k1 ^ 0x7465646279746573ULL;
	size_t full = len & ~(size_t)7;
	for (size_t i = 0; i < full; i += 8) {
		uint64_t m;
		memcpy(&m, p + i, 8);
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	uint64_t last = (uint64_t)len << 56;
	for (size_t i = full; i < len; i++)
		last |= (uint64_t)p[i] << (8 * (i - full));
	v3 ^= last;
	SIPROUND;
	v0 ^= last;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static kd_strmap_entry *strmap_slot(kd_strmap_entry *e, size_t cap, const char *key, size_t len, uint64_t h)
{
	for (size_t i = (size_t)h & (cap - 1);; i = (i + 1) & (cap - 1))
		if (!e[i].val || (e[i].hash == h && e[i].len == len && memcmp(e[i].key, key, len) == 0))
			return &e[i];
}

void *kd_strmap_get(const kd_strmap *m, const char *key, size_t len)
{
	if (!m->count)
		return NULL;
	return strmap_slot(m->e, m->cap, key, len, kd_hash(key, len))->val;
}

void *kd_strmap_put(kd_strmap *m, const char *key, size_t len, void *val)
{
	if ((m->count + 1) * 4 > m->cap * 3) {
		size_t ncap = m->cap ? m->cap * 2 : 16;
		kd_strmap_entry *ne = kd_calloc(ncap, sizeof(*ne));
		for (size_t i = 0; i < m->cap; i++)
			if (m->e[i].val)
				*strmap_slot(ne, ncap, m->e[i].key, m->e[i].len, m->e[i].hash) = m->e[i];
		free(m->e);
		m->e = ne;
		m->cap = ncap;
	}
	uint64_t h = kd_hash(key, len);
	kd_strmap_entry *s = strmap_slot(m->e, m->cap, key, len, h);
	void *old = s->val;
	if (!old)
		m->count++;
	*s = (kd_strmap_entry){key, len, h, val};
	return old;
}

void *kd_strmap_del(kd_strmap *m, const char *key, size_t len)
{
	if (!m->count)
		return NULL;
	kd_strmap_entry *s = strmap_slot(m->e, m->cap, key, len, kd_hash(key, len));
	void *old = s->val;
	if (!old)
		return NULL;
	/* backward-shift deletion keeps every probe sequence unbroken */
	size_t i = (size_t)(s - m->e), mask = m->cap - 1;
	for (size_t j = (i + 1) & mask; m->e[j].val; j = (j + 1) & mask) {
		size_t home = (size_t)m->e[j].hash & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->e[i] = m->e[j];
			i = j;
		}
	}
	m->e[i].val = NULL;
	m->count--;
	return old;
}

void kd_strmap_free(kd_strmap *m)
{
	free(m->e);
	m->e = NULL;
	m->cap = m->count = 0;
}

void kd_text_pos(const char *text, size_t len, size_t off, int *line, int *col)
{
	int l = 1;
	size_t ls = 0;
	if (off > len)
		off = len;
	for (const char *p = text, *end = text + off; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++) {
		l++;
		ls = (size_t)(p - text) + 1;
	}
	if (line)
		*line = l;
	if (col)
		*col = (int)(off - ls);
}

int kd_base64_encode(kd_buf *out, const void *data, size_t len)
{
	/* libcrypto's encoder writes exactly 4*ceil(len/3) characters and a NUL. */
	if (len > (size_t)INT_MAX / 2)
		return kd_error_set(KD_ERR_INTERNAL, "base64: input of %zu bytes too large", len), KD_ELIMIT;
	size_t need = 4 * ((len + 2) / 3);
	int rc = kd_buf_grow(out, need);
	if (rc)
		return rc;
	EVP_EncodeBlock((unsigned char *)out->ptr + out->len, (const unsigned char *)data, (int)len);
	out->len += need;
	out->ptr[out->len] = '\0';
	return 0;
}

/* encoding/base64's StdEncoding decoder, checked against Go on sprig's b64dec cases. */
static int b64val(unsigned char c)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(tab, c) : NULL;
	return p ? (int)(p - tab) : -1;
}

int kd_base64_decode(kd_buf *b, const char *src, size_t n, size_t *bad)
{
	size_t si = 0, bad_at = 0;
	while (si < n) {
		unsigned char q[4];
		int j = 0, dlen = 4;
		for (j = 0; j < 4; j++) {
			if (si == n) {
				if (j == 0)
					return 0;
				bad_at = si - (size_t)j;
				goto fail;
			}
			unsigned char in = (unsigned char)src[si++];
			int v = b64val(in);
			if (v >= 0) {
				q[j] = (unsigned char)v;
				continue;
			}
			if (in == '\n' || in == '\r') {
				j--;
				continue;
			}
			if (in != '=') {
				bad_at = si - 1;
				goto fail;
			}
			/* padding */
			if (j == 0 || j == 1) {
				bad_at = si - 1;
				goto fail;
			}
			while (si < n && (src[si] == '\n' || src[si] == '\r'))
				si++;
			if (j == 2) {
				if (si == n) {
					bad_at = n;
					goto fail;
				}
				if (src[si] != '=') {
					bad_at = si - 1;
					goto fail;
				}
				si++;
				while (si < n && (src[si] == '\n' || src[si] == '\r'))
					si++;
			}
			if (si < n) {
				bad_at = si;
				goto fail;
			}
			dlen = j;
			break;
		}
		uint32_t v = 0;
		for (int k = 0; k < 4; k++)
			v = (v << 6) | (k < dlen ? q[k] : 0);
		unsigned char o[3] = {(unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v};
		kd_buf_put(b, o, (size_t)(dlen - 1));
		if (dlen < 4)
			return 0;
	}
	return 0;
fail:
	if (bad)
		*bad = bad_at;
	return KD_EINVALID;
}

int kd_buf_put_printable(kd_buf *b, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n')
			kd_buf_putc(b, ' ');
		else if (c < 0x20 || c == 0x7f)
			kd_buf_printf(b, "\\x%02x", c);
		else
			kd_buf_putc(b, (char)c);
	}
	return b->err;
}
