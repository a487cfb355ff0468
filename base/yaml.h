/* yaml: YAML text <-> cJSON, with source positions for error messages.
 *
 * Parsing follows what sigs.k8s.io/yaml (gopkg.in/yaml.v2, YAML 1.1) does before Kubernetes or
 * KUDO sees a document: plain scalars resolve to null (~, null, empty), booleans (true/false,
 * yes/no, on/off, y/n in their three casings), integers (decimal, 0x, 0o, leading-0 octal,
 * 0b, with _), floats (incl. .inf/.nan) or strings; quoted and block scalars are strings;
 * merge keys (<<) and anchors/aliases are expanded; mapping keys become strings. */
#ifndef KD_YAML_H
#define KD_YAML_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "base.h"

/* Positions of parsed nodes: a table from cJSON node to 1-based line and column. */
typedef struct kd_yaml_pos kd_yaml_pos;

/* Parses every document of `text` (named `name` in errors) into a new cJSON array, one element
 * per document (an empty document becomes JSON null). On error sets
 * "NAME:LINE:COL: problem" (class KD_ERR_YAML) and returns KD_ERROR. `pos_out` may be NULL;
 * otherwise it receives the position table (free with kd_yaml_pos_free) for every node. */
int kd_yaml_parse_all(cJSON **out, kd_yaml_pos **pos_out, const char *name, const char *text,
	size_t len);
/* Parses exactly one document (an empty input gives JSON null). More than one is an error. */
int kd_yaml_parse_one(cJSON **out, kd_yaml_pos **pos_out, const char *name, const char *text,
	size_t len);

/* Like kd_yaml_parse_one for a slice of a larger file that starts at line `first_line`:
 * positions and error lines are those of the larger file. */
int kd_yaml_parse_one_at(cJSON **out, kd_yaml_pos **pos_out, const char *name, const char *text,
	size_t len, int first_line);

/* Position of a node produced by the parse that made `pos`: 0 and line/col (1-based), or
 * KD_ENOTFOUND. For an object member the position is the one of its value. */
int kd_yaml_pos_get(const kd_yaml_pos *pos, const cJSON *node, int *line, int *col);
/* Position of the key of object member `node` (the value node), or KD_ENOTFOUND. */
int kd_yaml_pos_get_key(const kd_yaml_pos *pos, const cJSON *node, int *line, int *col);
/* The name given at parse time (borrowed). */
const char *kd_yaml_pos_name(const kd_yaml_pos *pos);
void kd_yaml_pos_free(kd_yaml_pos *pos);

/* Appends `v` as YAML the way gopkg.in/yaml.v2's Marshal prints it (sprig's/KUDO's toYaml):
 * block style, map keys sorted, two-space indent, list items not indented under their key,
 * strings quoted only when plain style would change their meaning; ends with a newline
 * (an empty map prints "{}\n", an empty list "[]\n", null "null\n"). */
int kd_yaml_emit(kd_buf *out, const cJSON *v);

#endif
