/* Private to operator/: the step between collecting a package's files and decoding them. */
#ifndef KD_PKG_INTERNAL_H
#define KD_PKG_INTERNAL_H

#include "operator.h"

/* Decodes operator.yaml, params.yaml and the templates of a package whose `source` and
 * `files` (sorted by path) are set. On error the package is left for kd_pkg_free. */
int kd_pkg__decode(kd_pkg *pkg);

/* Sorts files by path and refuses two files with the same path. */
int kd_pkg__sort_files(kd_pkg *pkg);

#endif
