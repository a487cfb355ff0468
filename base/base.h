/* base: what every kudoc module shares: return codes, the thread's last error, allocation
 * wrappers that abort on exhaustion, and the one growable buffer type (kd_buf). */
#ifndef KD_BASE_H
#define KD_BASE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Return codes. 0 is success; every fallible function returns one of these and passes codes
 * from below up unchanged. */
enum {
	KD_OK = 0,
	KD_ERROR = -1,      /* generic failure; the message is in kd_error_last() */
	KD_ENOTFOUND = -2,  /* object, file, key or name does not exist */
	KD_ECONFLICT = -3,  /* concurrent modification or field-manager conflict */
	KD_EEXISTS = -4,    /* already exists */
	KD_EINVALID = -5,   /* input rejected by validation (ours or the server's) */
	KD_EAUTH = -6,      /* unauthenticated */
	KD_EFORBIDDEN = -7, /* authenticated but not allowed */
	KD_ETIMEOUT = -8,   /* a deadline passed */
	KD_EUSAGE = -9,     /* bad command line */
	KD_ELIMIT = -10,    /* a size or count cap was hit */
};

/* Error classes say which layer found the problem. */
typedef enum {
	KD_ERR_NONE = 0,
	KD_ERR_OS,
	KD_ERR_YAML,
	KD_ERR_TEMPLATE,
	KD_ERR_PACKAGE,
	KD_ERR_PARAMS,
	KD_ERR_USAGE,
	KD_ERR_KUBE,
	KD_ERR_LUA,
	KD_ERR_GIT,
	KD_ERR_PLAN,
	KD_ERR_INTERNAL,
} kd_error_class;

/* Sets the calling thread's last error, replacing any earlier one. Always returns KD_ERROR so
 * callers can write `return kd_error_set(...)`. */
int kd_error_set(kd_error_class klass, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int kd_error_vset(kd_error_class klass, const char *fmt, va_list ap);
/* Like kd_error_set, appending ": strerror(errno)" for the errno given. */
int kd_error_set_os(int errnum, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The last error's message (borrowed, valid until the next set/clear), or NULL when none. */
const char *kd_error_last(void);
kd_error_class kd_error_last_class(void);
void kd_error_clear(void);

/* Allocation: abort with a message on exhaustion, so callers never check for NULL. */
void *kd_malloc(size_t n);
void *kd_calloc(size_t count, size_t size);
void *kd_realloc(void *p, size_t n);
char *kd_strdup(const char *s);
char *kd_strndup(const char *s, size_t n);
/* Installs kd_malloc/free as cJSON's allocator. Called once by main and test drivers. */
void kd_base_init(void);

/* kd_buf: a growable byte buffer, always NUL-terminated once anything was written.
 * `max` caps its length (0 means KD_BUF_DEFAULT_MAX); writes past the cap fail with KD_ELIMIT
 * and leave the buffer as it was. */
#define KD_BUF_DEFAULT_MAX ((size_t)1 << 30)
typedef struct {
	char *ptr;
	size_t len;
	size_t cap;
	size_t max;
} kd_buf;
#define KD_BUF_INIT {NULL, 0, 0, 0}

int kd_buf_put(kd_buf *b, const void *data, size_t len);
int kd_buf_puts(kd_buf *b, const char *s);
int kd_buf_putc(kd_buf *b, char c);
int kd_buf_printf(kd_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int kd_buf_vprintf(kd_buf *b, const char *fmt, va_list ap);
/* Ensures room for `extra` more bytes (plus the NUL). */
int kd_buf_grow(kd_buf *b, size_t extra);
/* The contents as a C string; "" for an empty buffer (never NULL). Borrowed. */
const char *kd_buf_cstr(const kd_buf *b);
/* Hands the memory to the caller (free with free()); the buffer is left empty. Never NULL. */
char *kd_buf_detach(kd_buf *b);
void kd_buf_truncate(kd_buf *b, size_t len);
void kd_buf_clear(kd_buf *b);
void kd_buf_free(kd_buf *b);

/* Standard base64 with padding (Go's base64.StdEncoding), appended to `out`. */
int kd_base64_encode(kd_buf *out, const void *data, size_t len);
/* Decodes standard base64 as Go's StdEncoding.DecodeString does (\r and \n ignored, padding
 * required and checked) and appends the bytes to `out`. On bad input returns KD_EINVALID and,
 * when `bad` is not NULL, the input offset Go reports ("illegal base64 data at input byte N");
 * `out` may then hold a partial result. */
int kd_base64_decode(kd_buf *out, const char *src, size_t n, size_t *bad);

/* The value of hex digit c, or -1. */
static inline int kd_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* UTF-8 as Go's unicode/utf8 reads it: decodes one sequence of s[0..n), returning its length;
 * an invalid or truncated sequence gives U+FFFD and length 1, empty input U+FFFD and 0. */
int kd_utf8_decode(const char *s, size_t n, uint32_t *cp);
/* Appends code point `cp` as UTF-8; surrogates and values past U+10FFFF become U+FFFD. */
int kd_buf_put_utf8(kd_buf *b, uint32_t cp);

/* Reads a whole file into `out` (NUL-terminated; *len_out without the NUL). Refuses files over
 * `max` bytes (0: 64 MiB) with KD_ELIMIT. KD_ENOTFOUND when it does not exist. */
int kd_file_read(char **out, size_t *len_out, const char *path, size_t max);

#define KD_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
