/* plans: turning a package, its parameters and a plan into the objects it would apply, and
 * checking a package the way `package verify` does. Later: the plan executor and revisions. */
#ifndef KD_PLANS_H
#define KD_PLANS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "../base/base.h"
#include "../operator/operator.h"

/* What a render needs besides the package. */
typedef struct {
	const char *instance;  /* NULL: "<operator>-instance" */
	const char *namespace; /* NULL: "default" */
	const char *plan;      /* NULL: "deploy" */
	const cJSON *params;   /* the .Params map (params/ builds it); borrowed */
	/* Also render the templates of Delete tasks and of Toggle tasks whose parameter is false
	 * (documents with action KD_RENDER_DELETE): what the plan executor deletes. */
	bool with_deletes;
} kd_render_options;
#define KD_RENDER_OPTIONS_INIT {NULL, NULL, NULL, NULL, false}

typedef enum {
	KD_RENDER_APPLY = 0,
	KD_RENDER_DELETE,
} kd_render_action;

/* One document a template produced. */
typedef struct {
	char *template_name; /* relative to templates/ */
	char *text;          /* the document as rendered, trailing blank lines removed */
	cJSON *object;       /* the parsed object */
	char *phase, *step, *task;
	int line;            /* where the document starts in the rendered file (1-based) */
	kd_render_action action;
	/* Indexes of the phase, step and task (in the step's list) that produced it. */
	size_t phase_index, step_index, task_index;
} kd_rendered;

typedef struct {
	kd_rendered *docs; /* in plan order */
	size_t ndocs;
	char *instance, *namespace, *plan;
} kd_render_result;

/* Renders every template that the plan's Apply tasks, and Toggle tasks whose parameter is
 * true, would apply, in plan order (phases, then steps, then tasks, then resources). Every
 * document is parsed and must be an object with apiVersion, kind and metadata.name (or
 * generateName); documents empty or holding only comments are dropped. The first problem
 * stops the render with an error naming the template and line. *out is freed with
 * kd_render_result_free. */
int kd_plan_render(kd_render_result **out, const kd_pkg *pkg, const kd_render_options *opts);
void kd_render_result_free(kd_render_result *res);

/* Appends the result as `template` prints it: each document as "---\n# Source: templates/NAME\n"
 * followed by its text. */
int kd_render_result_print(kd_buf *out, const kd_render_result *res);

/* The template data KUDO gives a template (.Name, .Namespace, .OperatorName, ...). New. */
cJSON *kd_plan_template_data(const kd_pkg *pkg, const char *instance, const char *namespace,
	const char *plan, const char *phase, const char *step, const cJSON *params, const cJSON *pipes);

/* Splits a rendered file into documents as KUDO does (on "\n---"), calling cb for each
 * non-empty one with its text, length and 1-based start line. Stops at a non-zero return. */
typedef int (*kd_doc_cb)(const char *text, size_t len, int line, void *ud);
int kd_plan_split_documents(const char *text, size_t len, kd_doc_cb cb, void *ud);

/* The .Params of a render with the package's defaults, a value of its type standing in for
 * each required parameter without one (what verify and benchmarks render with). Fails with
 * params/'s message when a default does not fit its type or enum. */
int kd_plan_default_params(cJSON **out, const kd_pkg *pkg);

/* `package verify`: the findings, each a line "FILE:LINE:COL: message" or "message". */
typedef struct {
	char **errors;
	size_t nerrors;
	char **warnings;
	size_t nwarnings;
} kd_verify_result;

/* Checks the package: semver fields, plans name existing tasks and a deploy plan exists,
 * tasks name existing templates and parameters, parameters used in templates are defined
 * and defined ones are used, defaults fit type and enum, triggers name plans, templates
 * parse and every plan renders with the defaults, namespaceManifest rules. Returns 0 when the
 * checks ran (even with errors found); *out is freed with kd_verify_result_free. */
int kd_package_verify(kd_verify_result **out, const kd_pkg *pkg);
void kd_verify_result_free(kd_verify_result *res);

#endif
