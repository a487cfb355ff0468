/* params: parameter values of one instance: defaults <- previous revision <- -P files <- -p
 * flags, checked against the package's definitions, and what a change of them means (which
 * plan it triggers, whether it touches an immutable parameter).
 *
 * Values are kept in the form KUDO gives templates (".Params"): parameters of type string,
 * integer, number and boolean as strings, formatted like Go's %v of the YAML value ("true",
 * "3", "0.5", "1e+06"), a -p value verbatim; array and map parameters as cJSON lists/maps
 * (numbers in them are float64, as after KUDO's YAML parse). The same form is what a revision
 * stores and what kd_params_options.previous takes back.
 *
 * Type rules (KUDO's ValidateParameterValueForType):
 *   integer  a YAML number without fraction, or a string Go's strconv.ParseInt(s, 10, 64) accepts
 *   number   a YAML number, or a string strconv.ParseFloat(s, 64) accepts ("1e3", "-0.5", "Inf")
 *   boolean  a YAML boolean, or a string strconv.ParseBool accepts: 1 t T TRUE true True and
 *            0 f F FALSE false False (as KUDO's Toggle tasks read them; kept verbatim)
 *   string   any scalar; lists and maps are refused
 *   array    a YAML list, or a string holding one in YAML (every -p value of an array param)
 *   map      a YAML map, or a string holding one in YAML
 * A value must also be one of the parameter's `enum` (compared in template form) when it has
 * one. A null value in a -P file counts as not given. */
#ifndef KD_PARAMS_H
#define KD_PARAMS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "../base/base.h"
#include "../operator/operator.h"

typedef struct kd_params kd_params;

typedef enum {
	KD_PARAM_SRC_NONE = 0, /* no value: optional, or an array or map without default */
	KD_PARAM_SRC_DEFAULT,
	KD_PARAM_SRC_PREVIOUS,
	KD_PARAM_SRC_FILE,
	KD_PARAM_SRC_FLAG,
} kd_param_source;

/* Splits one -p argument "name=value" at its first '='. The name must be non-empty; the value
 * may be empty. *name_out and *value_out belong to the caller (free()); on error both are NULL
 * and the message names the flag (KD_EUSAGE, class KD_ERR_USAGE). */
int kd_params_parse_flag(char **name_out, char **value_out, const char *arg);

typedef struct {
	const char *const *files; /* -P paths, in command-line order */
	size_t nfiles;
	const char *const *flags; /* -p arguments "name=value", in command-line order */
	size_t nflags;
	/* Values of the previous revision (an object name -> template-form value), applied after
	 * the defaults; names the package no longer defines are dropped. NULL on install. */
	const cJSON *previous;
} kd_params_options;
#define KD_PARAMS_OPTIONS_INIT {NULL, 0, NULL, 0, NULL}

/* Resolves the values of every parameter of `pkg` (borrowed; must outlive *out). Checks every
 * source and the result, and reports ALL problems in one error (KD_EINVALID, class
 * KD_ERR_PARAMS), one line each, naming the flag ("-p replicas=abc: ..."), the -P file's
 * FILE:LINE:COL, or params.yaml's FILE:LINE:COL for a bad default or a missing required value.
 * A -P file that cannot be read or parsed is one problem among the others. */
int kd_params_resolve(kd_params **out, const kd_pkg *pkg, const kd_params_options *opts);

/* The same in steps, for callers that gather sources themselves (and for fuzzing):
 * kd_params_new applies the defaults; each add_* applies one source; kd_params_finish checks
 * required values and returns the problems collected so far as one error (or 0). The add_*
 * functions record problems instead of failing. */
int kd_params_new(kd_params **out, const kd_pkg *pkg);
void kd_params_add_previous(kd_params *p, const cJSON *previous);
/* `text` is the content of a -P file named `name` (YAML: a map of parameter name -> value). */
void kd_params_add_file_text(kd_params *p, const char *name, const char *text, size_t len);
void kd_params_add_file(kd_params *p, const char *path);
void kd_params_add_flag(kd_params *p, const char *arg);
int kd_params_finish(kd_params *p);
/* Number of problems recorded so far. */
size_t kd_params_problem_count(const kd_params *p);

void kd_params_free(kd_params *p);

/* The value of parameter `name` in template form (borrowed), or NULL when the package does not
 * define it or it has no value. */
const cJSON *kd_params_get(const kd_params *p, const char *name);
kd_param_source kd_params_source(const kd_params *p, const char *name);

/* Builds the `.Params` object for templates: every defined parameter, in definition order, its
 * value in template form; one without a value as KUDO gives it: an array parameter as a nil
 * list (an empty array marked KD_JSON_NIL: it prints "[]", toJson gives "null"), a map
 * parameter as null, any other as "". */
int kd_params_to_template(cJSON **out, const kd_params *p);

/* Names (a new cJSON array of strings, definition order) of the parameters whose value in `p`
 * differs from the one in `old` (an object of template-form values; a name missing there
 * counts as null). */
int kd_params_changed(cJSON **out, const kd_params *p, const cJSON *old);

/* Refuses (KD_EINVALID, class KD_ERR_PARAMS) a change of any immutable parameter between `old`
 * and `p`, naming every one of them. */
int kd_params_check_immutable(const kd_params *p, const cJSON *old);

/* The plan a change of the parameters named in `changed` (an array of strings) triggers: each
 * parameter's `trigger`, else the package's `update` plan, else `deploy`. Parameters that name
 * different plans, or a trigger naming a plan the package does not have, are refused
 * (KD_EINVALID). *plan_out is borrowed from `pkg`'s strings; NULL when `changed` is empty. */
int kd_params_plan_for_change(const char **plan_out, const kd_pkg *pkg, const cJSON *changed);

#endif
