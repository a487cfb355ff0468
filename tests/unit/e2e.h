/* Helpers for end-to-end tests against testenv: namespaces, running the built kubectl-kudo and
 * the real kubectl, and reading what the cluster holds. */
#ifndef KD_TEST_E2E_H
#define KD_TEST_E2E_H

#include <stdbool.h>
#include <sys/types.h>

#include "../../base/base.h"
#include "../../kube/kube.h"

/* An admin client for the test cluster (NULL when it cannot be made; the test fails). */
kd_kube_client *kd_e2e_client(const char *ns);
/* A fresh namespace "<prefix>-<pid>-<n>", created; free the string with kd_e2e_ns_drop, which
 * also starts its deletion. */
char *kd_e2e_ns(const char *prefix);
void kd_e2e_ns_drop(char *ns);

/* The path of tests/e2e/packages/NAME (static storage, valid until the next call). */
const char *kd_e2e_pkg(const char *name);

/* Runs kubectl-kudo with argv (NULL-terminated, without the program) and KUBECONFIG set to
 * `kubeconfig` (NULL: the test cluster's); captures stdout and stderr. Returns the exit status,
 * or -1 when it did not exit normally (signal) or ran longer than 300 s. */
int kd_e2e_kudo(kd_buf *out, kd_buf *err, const char *kubeconfig, const char *const *argv);
/* The same in the background, output into `log` (a file path). */
pid_t kd_e2e_kudo_spawn(const char *kubeconfig, const char *const *argv, const char *log);
/* Waits for a background process; its exit status, or -1 (signal, or not done in timeout_s:
 * then it is killed). */
int kd_e2e_wait(pid_t pid, int timeout_s);

/* Any program (a path) with argv (without the program) and env (NULL: this process's); stdout
 * and stderr captured. The exit status, or -1 (a signal, or still running after timeout_s:
 * then it is killed). */
int kd_e2e_run(kd_buf *out, kd_buf *err, const char *prog, const char *const *argv, char **env, int timeout_s);
/* This process's environment with `path_first` put before PATH (NULL: PATH as it is) and the
 * "NAME=value" entries of `extra` (NULL-terminated, may be NULL) set. Free with kd_e2e_env_free. */
char **kd_e2e_env(const char *path_first, const char *const *extra);
void kd_e2e_env_free(char **env);

/* The real kubectl (testenv's) against the test cluster: exit status, stdout in `out`. */
int kd_e2e_kubectl(kd_buf *out, const char *const *argv);
/* A file of the scratch folder, "<tmpdir>/<name>" (caller frees). */
char *kd_e2e_tmp(const char *name);

/* Polls `pred` every 100 ms for up to timeout_s; true when it held. */
bool kd_e2e_eventually(bool (*pred)(void *), void *arg, int timeout_s);

#endif
