/* Shared by the gitops and package-source tests: the fixture repository (tests/git/make_repo.sh)
 * and small process helpers. */
#ifndef KD_TEST_GITFIX_H
#define KD_TEST_GITFIX_H

#include <stdbool.h>

#include "../../base/base.h"

/* The folder holding work/ and repo.git/ of the fixture, made once per test run. */
const char *kd_gitfix_dir(void);
/* The commit a rev names in the fixture's bare repository (rev-parse REV^{commit}); static. */
const char *kd_gitfix_rev(const char *rev);
/* Runs a shell command (our own constants only); returns its exit status, stdout into out
 * when out is not NULL, stderr into err when err is not NULL. */
int kd_gitfix_sh(kd_buf *out, kd_buf *err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A fresh empty folder under the test scratch folder. */
const char *kd_gitfix_newdir(const char *name);
/* A test PKI, made once per test run with openssl: DIR/ca.pem (a test CA), DIR/server.pem and
 * DIR/server.key (a certificate for 127.0.0.1 that CA signed), DIR/other-ca.pem (a CA that signed
 * nothing here). Returns DIR. */
const char *kd_gitfix_tls(void);

/* Test servers (our own processes, stopped by pid). */
/* A TCP port on 127.0.0.1 that was free a moment ago. */
int kd_gitfix_free_port(void);
/* Starts `cmd` (a shell command line of our own constants) in the background with output in
 * LOG; returns its pid (the command is exec'd, so the pid is the server's), or -1. */
int kd_gitfix_spawn(const char *cmd, const char *log);
/* Waits (a readiness wait, at most 20 s) until `path` exists / 127.0.0.1:port accepts. */
bool kd_gitfix_wait_file(const char *path);
bool kd_gitfix_wait_port(int port);
/* Stops a process kd_gitfix_spawn started. */
void kd_gitfix_kill(int pid);
/* Reads a whole small file into a static buffer ("" when missing). */
const char *kd_gitfix_read(const char *path);
#endif
