/* base: what every kudoc module shares: return codes, the thread's last error, allocation
 * wrappers that abort on exhaustion, and the one growable buffer type (kd_buf). */
#ifndef KD_BASE_H
#define KD_BASE_H

#include <stdarg.h>
#include <stdbool.h>
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
	KD_ECANCELED = -11, /* stopped by the user (Ctrl-C, SIGTERM) */
	KD_ELOCKED = -12,   /* another command holds the instance's lock */
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

/* The calling thread's last error, in parts. `message` is what the CLI prints: the position
 * ("FILE:LINE:COL: ", formatted only here), the problem, then ": CAUSE" when there is one. */
typedef struct {
	kd_error_class klass;
	const char *message; /* never NULL while an error is set */
	const char *file;    /* NULL when the error has no source position */
	int line, col;       /* 1-based; 0 when unknown */
	const char *cause;   /* the lower-level reason (strerror, a server's Status message), or NULL */
} kd_error;

/* Sets the calling thread's last error, replacing any earlier one. Always returns KD_ERROR so
 * callers can write `return kd_error_set(...)`. The message may quote the previous one. */
int kd_error_set(kd_error_class klass, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int kd_error_vset(kd_error_class klass, const char *fmt, va_list ap);
/* The same with a source position: the message becomes "FILE:LINE:COL: problem" ("FILE:LINE:"
 * when col is 0, "FILE: " when line is 0 too). */
int kd_error_set_at(kd_error_class klass, const char *file, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
int kd_error_vset_at(kd_error_class klass, const char *file, int line, int col, const char *fmt, va_list ap);
/* The same with a cause appended (": cause"); `cause` may be NULL. */
int kd_error_set_cause(kd_error_class klass, const char *cause, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Like kd_error_set, with strerror(errnum) as the cause (class KD_ERR_OS). */
int kd_error_set_os(int errnum, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The last error's message (borrowed, valid until the next set/clear), or NULL when none. */
const char *kd_error_last(void);
/* The last error in parts (borrowed, valid until the next set/clear), or NULL when none. */
const kd_error *kd_error_last_info(void);
kd_error_class kd_error_last_class(void);
/* Forgets the last error. A thread that set errors calls it before it ends (the message lives
 * on the heap, reached only from the thread's own storage). */
void kd_error_clear(void);


/* Allocation: abort with a message on exhaustion, so callers never check for NULL. */
void *kd_malloc(size_t n);
void *kd_calloc(size_t count, size_t size);
void *kd_realloc(void *p, size_t n);
char *kd_strdup(const char *s);
char *kd_strndup(const char *s, size_t n);
/* Installs kd_malloc/free as cJSON's allocator. Called once by main and test drivers. */
void kd_base_init(void);
/* A gauge of the memory cJSON values take: while one is installed on a thread, every block
 * cJSON allocates or frees on that thread is added to or taken from `live` (in bytes as
 * malloc_usable_size counts them; frees of blocks counted before stay at 0). Budgets for
 * values a template builds read it; `total` measures work. Returns the gauge it replaces; NULL
 * uninstalls. */
typedef struct {
	size_t live;  /* bytes held now */
	size_t total; /* bytes allocated since it was installed (frees not subtracted) */
} kd_alloc_gauge;
kd_alloc_gauge *kd_alloc_gauge_swap(kd_alloc_gauge *g);

/* kd_buf: a growable byte buffer, always NUL-terminated once anything was written.
 * `max` caps its length (0 means KD_BUF_DEFAULT_MAX). A write past the cap fails with KD_ELIMIT
 * and the failure is sticky, as in libgit2's git_str: every later write fails too and the
 * contents are known to be incomplete, so a caller may ignore the results of single writes and
 * check once with kd_buf_check before using the contents. kd_buf_clear and kd_buf_free reset it. */
#define KD_BUF_DEFAULT_MAX ((size_t)1 << 30)
typedef struct kd_buf {
	char *ptr;
	size_t len;
	size_t cap;
	size_t max;
	int err; /* 0, or the sticky failure (KD_ELIMIT) */
} kd_buf;
#define KD_BUF_INIT {NULL, 0, 0, 0, 0}

int kd_buf_put(kd_buf *b, const void *data, size_t len);
int kd_buf_puts(kd_buf *b, const char *s);
int kd_buf_putc(kd_buf *b, char c);
int kd_buf_printf(kd_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int kd_buf_vprintf(kd_buf *b, const char *fmt, va_list ap);
/* Ensures room for `extra` more bytes (plus the NUL). */
int kd_buf_grow(kd_buf *b, size_t extra);
/* 0 when every write so far succeeded; otherwise sets the error ("... exceeds the limit of N
 * bytes", naming `what` when not NULL) and returns the sticky code. */
int kd_buf_check(const kd_buf *b, const char *what);
/* Appends a position as every message writes it: "FILE:LINE:COL: " (see kd_error_set_at),
 * for reports that gather several problems before setting one error. */
int kd_buf_put_pos(kd_buf *b, const char *file, int line, int col);
/* The contents as a C string; "" for an empty buffer (never NULL). Borrowed. */
const char *kd_buf_cstr(const kd_buf *b);
/* Hands the memory to the caller (free with free()); the buffer is left empty. Never NULL. */
char *kd_buf_detach(kd_buf *b);
void kd_buf_truncate(kd_buf *b, size_t len);
void kd_buf_clear(kd_buf *b);
void kd_buf_free(kd_buf *b);

/* Appends `s` as one line a terminal shows as it is: newlines become spaces, other control
 * characters (ESC, BEL, ...) are written as \xNN, so text from packages or servers cannot move
 * the cursor or retitle the terminal. */
int kd_buf_put_printable(kd_buf *b, const char *s);

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

/* Whether the calling thread's stack is nearly used up (less than 1/16 of it, and at least
 * 512 KiB, left): recursive walks over values that can be built deeper than a C stack holds
 * stop there with an error instead of crashing, in any build. */
bool kd_stack_low(void);

/* kd_strmap: a hash table from byte strings to pointers, for lookups by name that must stay
 * linear in hostile input (keys of one YAML map, anchors, templates, parameters). Keys are
 * borrowed: their bytes must outlive the map. The hash is keyed with a per-process random
 * secret (SipHash-1-3), so crafted keys cannot collide on purpose. */
typedef struct {
	const char *key;
	size_t len;
	uint64_t hash;
	void *val;
} kd_strmap_entry;
typedef struct {
	kd_strmap_entry *e;
	size_t cap, count;
} kd_strmap;
#define KD_STRMAP_INIT {NULL, 0, 0}
/* The value stored under key, or NULL. */
void *kd_strmap_get(const kd_strmap *m, const char *key, size_t len);
/* Stores val (not NULL) under key; returns the value it replaced, or NULL. */
void *kd_strmap_put(kd_strmap *m, const char *key, size_t len, void *val);
/* Removes key; returns its value, or NULL when it was not there. */
void *kd_strmap_del(kd_strmap *m, const char *key, size_t len);
void kd_strmap_free(kd_strmap *m);
/* The keyed hash the map uses, for tables of other shapes. */
uint64_t kd_hash(const void *data, size_t len);

/* Where byte `off` of text[0..len) is: its 1-based line and its 0-based byte column (Go's
 * template errors print that column as is; YAML positions add 1). */
void kd_text_pos(const char *text, size_t len, size_t off, int *line, int *col);

/* Reads a whole file into `out` (NUL-terminated; *len_out without the NUL). Refuses files over
 * `max` bytes (0: 64 MiB) with KD_ELIMIT. KD_ENOTFOUND when it does not exist. */
int kd_file_read(char **out, size_t *len_out, const char *path, size_t max);

/* Go's time.ParseDuration: "300ms", "-1.5h", "2h45m", "0"; units ns, us (µs, μs), ms, s, m, h.
 * KD_EINVALID with Go's reason ("missing unit in duration \"5\"") as the message. */
int kd_duration_parse(int64_t *out, const char *s);
/* Appends Go's time.Duration.String of `ns`: "1h2m3.5s", "5m0s", "1.5ms", "0s". */
int kd_duration_format(kd_buf *out, int64_t ns);

#define KD_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
