/* Memory that holds key material: bearer tokens, passwords, client keys, the kubeconfig text
 * and its parse tree, exec plugin output. It is wiped with OPENSSL_cleanse when we are done
 * with it (a memset before free may be removed by the compiler), and buffers that grow move
 * their contents themselves, wiping the old block, because realloc would leave a copy behind.
 *
 * What this cannot reach: the copies libcurl makes (request headers, the exec plugin's key
 * blob, basic-auth credentials) and libyaml's while it parses a kubeconfig are freed by those
 * libraries without wiping. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

void kd_kube__scrub(void *p, size_t n)
{
	if (p && n)
		OPENSSL_cleanse(p, n);
}

void kd_kube__scrub_free(void *p, size_t n)
{
	kd_kube__scrub(p, n);
	free(p);
}

void kd_kube__scrub_str(char *s)
{
	if (s)
		kd_kube__scrub_free(s, strlen(s));
}

int kd_kube__secret_reserve(kd_buf *b, size_t extra)
{
	if (b->err)
		return b->err;
	size_t max = b->max ? b->max : KD_BUF_DEFAULT_MAX;
	if (extra > max || b->len > max - extra) {
		b->err = KD_ELIMIT; /* sticky, as kd_buf_grow makes it */
		kd_error_set(KD_ERR_INTERNAL, "output exceeds the limit of %zu bytes", max);
		return KD_ELIMIT;
	}
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	char *p = kd_malloc(cap);
	if (b->ptr) {
		memcpy(p, b->ptr, b->len);
		kd_kube__scrub_free(b->ptr, b->cap);
	}
	p[b->len] = '\0';
	b->ptr = p;
	b->cap = cap;
	return 0;
}

int kd_kube__secret_put(kd_buf *b, const void *data, size_t len)
{
	int rc = kd_kube__secret_reserve(b, len);
	return rc ? rc : kd_buf_put(b, data, len);
}

void kd_kube__secret_buf_free(kd_buf *b)
{
	kd_kube__scrub_free(b->ptr, b->cap);
	b->ptr = NULL;
	b->len = b->cap = 0;
	b->err = 0;
}

int kd_kube__secret_file_read(char **out, size_t *len_out, const char *path, size_t max)
{
	kd_buf b = KD_BUF_INIT;
	struct stat st;
	int rc = KD_ERROR;
	*out = NULL;
	*len_out = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		kd_error_set_os(e, "%s", path);
		return e == ENOENT ? KD_ENOTFOUND : KD_ERROR;
	}
	if (fstat(fd, &st) != 0) {
		kd_error_set_os(errno, "%s", path);
		goto done;
	}
	if (S_ISDIR(st.st_mode)) {
		kd_error_set(KD_ERR_OS, "%s: is a directory", path);
		goto done;
	}
	/* straight into a block of the file's size (and one byte to see the end): no chunk
	 * buffer, no growth; a file that grows meanwhile moves by kd_kube__secret_reserve */
	b.max = max + 1;
	if ((size_t)st.st_size > max || kd_kube__secret_reserve(&b, (size_t)st.st_size + 1))
		goto too_big;
	for (;;) {
		if (b.len + 1 >= b.cap && kd_kube__secret_reserve(&b, b.cap))
			goto too_big;
		ssize_t n = read(fd, b.ptr + b.len, b.cap - b.len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			kd_error_set_os(errno, "%s", path);
			goto done;
		}
		if (n == 0)
			break;
		b.len += (size_t)n;
	}
	if (b.len > max)
		goto too_big;
	b.ptr[b.len] = '\0';
	*len_out = b.len;
	*out = b.ptr; /* the caller wipes and frees it: kd_kube__scrub_free(p, len) */
	b.ptr = NULL;
	rc = 0;
	goto done;
too_big:
	kd_error_set(KD_ERR_OS, "%s: larger than %zu bytes", path, max);
	rc = KD_ELIMIT;
done:
	close(fd);
	if (b.ptr)
		kd_kube__secret_buf_free(&b);
	return rc;
}

void kd_kube__json_scrub(cJSON *j)
{
	for (cJSON *x = j; x; x = x->next) {
		/* values only: keys are field names, and may be constants */
		if (x->valuestring)
			kd_kube__scrub(x->valuestring, strlen(x->valuestring));
		if (x->child)
			kd_kube__json_scrub(x->child);
	}
}

void kd_kube__json_scrub_delete(cJSON *j)
{
	if (!j)
		return;
	/* the top node's siblings are not ours */
	if (j->valuestring)
		kd_kube__scrub(j->valuestring, strlen(j->valuestring));
	if (j->child)
		kd_kube__json_scrub(j->child);
	cJSON_Delete(j);
}

void kd_kube__slist_scrub_free(struct curl_slist *l)
{
	for (struct curl_slist *p = l; p; p = p->next)
		if (p->data)
			kd_kube__scrub(p->data, strlen(p->data));
	curl_slist_free_all(l);
}
