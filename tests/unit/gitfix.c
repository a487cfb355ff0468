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

const char *kd_gitfix_tls(void)
{
	static char dir[512];
	if (!dir[0]) {
		snprintf(dir, sizeof dir, "%s/tls", kd_test_tmpdir());
		kd_buf err = KD_BUF_INIT;
		/* 127.0.0.1 as an IP and as a DNS name: libcurl (OpenSSL) matches an IP address against
		 * IP entries, the mbedTLS of Debian's libgit2 only against DNS names */
		int rc = kd_gitfix_sh(NULL, &err,
			"rm -rf '%s' && mkdir -p '%s' && cd '%s' && "
			"openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=kudoc test CA' -keyout ca.key -out ca.pem && "
			"openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=kudoc other CA' -keyout other-ca.key -out other-ca.pem && "
			"openssl req -newkey rsa:2048 -nodes -subj '/CN=127.0.0.1' -keyout server.key -out server.csr && "
			"printf 'subjectAltName=IP:127.0.0.1,DNS:127.0.0.1\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > ext && "
			"openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile ext -out server.pem",
			dir, dir, dir);
		if (rc != 0) {
			fprintf(stderr, "test PKI: %s\n", kd_buf_cstr(&err));
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

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>

int kd_gitfix_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof a;
	int port = -1;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

int kd_gitfix_spawn(const char *cmd, const char *log)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setpgid(0, 0);
		kd_buf c = KD_BUF_INIT;
		kd_buf_printf(&c, "exec %s >'%s' 2>&1 </dev/null", cmd, log);
		execl("/bin/sh", "sh", "-c", kd_buf_cstr(&c), (char *)NULL);
		_exit(127);
	}
	return (int)pid;
}

static void nap(void)
{
	struct timespec ts = {0, 50 * 1000 * 1000};
	nanosleep(&ts, NULL);
}

bool kd_gitfix_wait_file(const char *path)
{
	for (int i = 0; i < 400; i++) {
		if (access(path, F_OK) == 0)
			return true;
		nap();
	}
	return false;
}

bool kd_gitfix_wait_port(int port)
{
	for (int i = 0; i < 400; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a;
		memset(&a, 0, sizeof a);
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a.sin_port = htons((uint16_t)port);
		int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
		close(fd);
		if (ok)
			return true;
		nap();
	}
	return false;
}

void kd_gitfix_kill(int pid)
{
	if (pid <= 0)
		return;
	kill((pid_t)pid, SIGTERM);
	int st;
	waitpid((pid_t)pid, &st, 0);
}

const char *kd_gitfix_read(const char *path)
{
	static char *last;
	free(last);
	last = NULL;
	size_t len = 0;
	if (kd_file_read(&last, &len, path, 0) != 0) {
		kd_error_clear();
		return "";
	}
	return last;
}
