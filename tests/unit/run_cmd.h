/* Running a shell command from a test: its stdout, stderr and exit code. Header-only, for the
 * tests that drive the built binary, bash, zsh or tmux. */
#ifndef KD_TEST_RUN_CMD_H
#define KD_TEST_RUN_CMD_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../base/base.h"
#include "test.h"

/* Runs `sh -c CMD` (a format of our own constants and paths, single-quoted by the caller where
 * needed); stdout into `out`, stderr into `err` (both may be NULL). Returns the exit code, or -1
 * when it did not exit normally. */
static int kd_t_sh(kd_buf *out, kd_buf *err, const char *fmt, ...) __attribute__((format(printf, 3, 4), unused));
static int kd_t_sh(kd_buf *out, kd_buf *err, const char *fmt, ...)
{
	static int seq;
	kd_buf cmd = KD_BUF_INIT, errpath = KD_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	kd_buf_vprintf(&cmd, fmt, ap);
	va_end(ap);
	kd_buf_printf(&errpath, "%s/stderr-%d-%d", kd_test_tmpdir(), (int)getpid(), ++seq);
	kd_buf_printf(&cmd, " 2>'%s'", kd_buf_cstr(&errpath));
	FILE *p = popen(kd_buf_cstr(&cmd), "r");
	char chunk[4096];
	size_t n;
	while (p && (n = fread(chunk, 1, sizeof chunk, p)) > 0)
		if (out)
			kd_buf_put(out, chunk, n);
	int st = p ? pclose(p) : -1;
	char *e = NULL;
	if (kd_file_read(&e, NULL, kd_buf_cstr(&errpath), 0) == 0) {
		if (err)
			kd_buf_puts(err, e);
		free(e);
	}
	remove(kd_buf_cstr(&errpath));
	kd_buf_free(&cmd);
	kd_buf_free(&errpath);
	if (out && !out->ptr)
		kd_buf_puts(out, "");
	if (err && !err->ptr)
		kd_buf_puts(err, "");
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* How many lines of `text` contain `needle`. */
static int kd_t_count_lines(const char *text, const char *needle) __attribute__((unused));
static int kd_t_count_lines(const char *text, const char *needle)
{
	int n = 0;
	for (const char *l = text; l && *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		char *line = kd_strndup(l, len);
		if (strstr(line, needle))
			n++;
		free(line);
		l = nl ? nl + 1 : NULL;
	}
	return n;
}

#endif
