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

#endif
