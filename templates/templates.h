/* templates: a Go text/template-compatible engine (missingkey=error) with sprig's text
 * functions and toYaml, evaluating over cJSON values (see base/json.h for the int marking).
 *
 * One kd_tpl_set holds the templates parsed from one source text (a file): the main template
 * under the name given to kd_tpl_parse and every {{define}}d one, as Go's Template.Parse does.
 * KUDO renders each file in a set of its own, so defines do not cross files. */
#ifndef KD_TEMPLATES_H
#define KD_TEMPLATES_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "../base/base.h"

typedef struct kd_tpl_set kd_tpl_set;

/* Parses `text` as template `name`. Fails (KD_ERROR, class KD_ERR_TEMPLATE) on a syntax error
 * or a call to a function that does not exist, naming it, as Go does at parse time; the message
 * starts with the position, "PATH:LINE:COL: " (kd_error_set_at), where PATH is `path` (e.g. the
 * package's "pkg/templates/cm.yaml") and COL counts bytes from 1. kd_tpl_parse uses the name as
 * the path. *out is freed with kd_tpl_set_free. */
int kd_tpl_parse(kd_tpl_set **out, const char *name, const char *text, size_t len);
int kd_tpl_parse_path(kd_tpl_set **out, const char *name, const char *path, const char *text, size_t len);

/* Executes the main template with `data` as dot and `$`, appending the output to `out`.
 * Errors read like Go's after the position: `PATH:LINE:COL: executing "NAME" at <.Params.x>:
 * map has no entry for key "x"`. On error `out` may hold partial output (and `out` must not be
 * in a failed state when called).
 *
 * `data` is the template's to change: as in Go, where maps are references, `set`, `unset`,
 * `merge` and `mergeOverwrite` on it (`{{ $_ := set .Params "x" 1 }}`) change it in place, and
 * the change is still there when the call returns, for whatever the caller runs next with the
 * same tree. Nodes a template detaches from `data` (the member `set` replaces, the one `unset`
 * removes) are freed when the execution ends, unless they carry KD_JSON_PINNED (base/json.h):
 * then the caller still owns them. The caller decides what is shared: plans/render.c shares
 * one .Params map across a whole plan, as KUDO does.
 *
 * Budgets (each an error naming the template and line): the output and, separately, the memory
 * of the values the template builds, KD_TPL_MAX_OUTPUT (256 MiB) each; one string 64 MiB; 10
 * million steps of work (actions, function calls, loop passes, and a step per 256 bytes of
 * values allocated), which stops a loop or recursion that would not end in practice. */
int kd_tpl_execute(kd_buf *out, const kd_tpl_set *set, cJSON *data);

/* Calls `cb` for every field chain the templates of `set` mention, with its position: for
 * `.Params.replicas` the chain is "Params.replicas"; for `$.Params.x` also "Params.x"; chains
 * on variables other than `$` are not reported. line and col (both 1-based) are where the chain
 * starts. Used by `package verify` to find parameters
 * used but not defined. Stops and returns cb's value when it is non-zero. */
typedef int (*kd_tpl_field_cb)(const char *chain, int line, int col, void *ud);
int kd_tpl_walk_fields(const kd_tpl_set *set, kd_tpl_field_cb cb, void *ud);

void kd_tpl_set_free(kd_tpl_set *set);

#endif
