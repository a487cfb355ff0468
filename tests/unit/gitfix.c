#include "gitfix.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

int kd_gitfix_sh(kd_buf *out, kd_buf *err, const char *fmt, ...)
{
	kd_buf cmd = KD_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	kd_buf_vprintf(&cmd, fmt, ap);
	va_end(ap);
	char errfile[512];
	snprintf(errfile, sizeof errfile, "%s/sh-stderr-%d", kd_test_tmpdir(), (int)getpid());
	kd_buf full = KD_BUF_INIT;
	kd_buf_printf(&full, "( %s ) 2>'%s'", kd_buf_cstr(&cmd), errfile);
	FILE *p = popen(kd_buf_cstr(&full), "r");
	char chunk[4096];
	size_t n;
	while (p && (n = fread(chunk, 1, sizeof chunk, p)) > 0)
		if (out)
			kd_buf_put(out, chunk, n);
	int st = p ? pclose(p) : -1;
	char *e = NULL;
	if (err && kd_file_read(&e, NULL, errfile, 0) == 0) {
		kd_buf_puts(err, e);
		free(e);
	}
	remove(errfile);
	kd_buf_free(&cmd);
	kd_buf_free(&full);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

const char *kd_gitfix_newdir(const char *name)
{
	static char paths[64][512];
	static int n;
	char *p = paths[n++ % 64];
	snprintf(p, 512, "%s/%s", kd_test_tmpdir(), name);
	kd_gitfix_sh(NULL, NULL, "rm -rf '%s' && mkdir -p '%s'", p, p);
	return p;
}

const char *kd_gitfix_dir(void)
{
	static char dir[512];
	if (!dir[0]) {
		snprintf(dir, sizeof dir, "%s/gitfix", kd_test_tmpdir());
		kd_buf err = KD_BUF_INIT;
		if (kd_gitfix_sh(NULL, &err, "sh '%s/tests/git/make_repo.sh' '%s'", kd_test_root(), dir) != 0) {
			fprintf(stderr, "make_repo.sh failed: %s\n", kd_buf_cstr(&err));
			abort();
		}
		kd_buf_free(&err);
	}
	return dir;
}

const char *kd_gitfix_rev(const char *rev)
{
	static char ids[16][41];
	static int n;
	char *id = ids[n++ % 16];
	kd_buf out = KD_BUF_INIT;
	kd_gitfix_sh(&out, NULL, "git -C '%s/repo.git' rev-parse '%s^{commit}'", kd_gitfix_dir(), rev);
	snprintf(id, 41, "%.40s", kd_buf_cstr(&out));
	kd_buf_free(&out);
	return id;
}
