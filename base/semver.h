/* base/semver: semantic versions and version ranges as Go's Masterminds/semver reads them.
 *
 * Two dialects, because KUDO uses both: sprig v2.22.0's semverCompare is Masterminds/semver
 * v1.5.0 (KD_SEMVER_V1); KUDO 0.19 itself (sorting a repository index) and Helm use
 * Masterminds/semver v3 (KD_SEMVER_V3), which kudoc also uses for `ref=semver:RANGE`.
 *
 * Versions are lenient in both: an optional "v", missing minor/patch as 0 ("1.2" is 1.2.0),
 * then "-prerelease" and "+metadata". Ranges: constraints `=`, `!=`, `>`, `>=`, `<`, `<=`,
 * `~`, `~>`, `^`, wildcards `1.x`/`1.*`, hyphen ranges `1.2 - 1.4`, OR with `||`. AND is a comma
 * in V1; a comma or a space in V3 (">= 1.2 < 2"). The dialects also differ in `^0.x`, `>1.x`,
 * `<1.x` and partial versions ("~1.2"), exactly as the two Go versions do. */
#ifndef KD_SEMVER_H
#define KD_SEMVER_H

#include <stdbool.h>
#include <stdint.h>

typedef enum {
	KD_SEMVER_V1 = 1, /* Masterminds/semver v1.5.0 (sprig) */
	KD_SEMVER_V3 = 3, /* Masterminds/semver v3.1 (KUDO, Helm) */
} kd_semver_dialect;

typedef struct {
	uint64_t major, minor, patch;
	char *pre;  /* prerelease without the '-', "" when none; owned */
	char *meta; /* build metadata without the '+', "" when none; owned */
} kd_semver;
#define KD_SEMVER_INIT {0, 0, 0, NULL, NULL}

/* Parses `s` as NewVersion does. On failure returns KD_EINVALID with the Go library's message
 * ("Invalid Semantic Version", ...) as the last error (class KD_ERR_NONE: callers that know
 * more set their own). Free with kd_semver_clear. */
int kd_semver_parse(kd_semver *v, const char *s, kd_semver_dialect d);
void kd_semver_clear(kd_semver *v);
/* -1, 0, 1 as Version.Compare (metadata ignored). */
int kd_semver_cmp(const kd_semver *a, const kd_semver *b);

typedef struct kd_semver_range kd_semver_range;

/* Parses a range as NewConstraint does; on failure KD_EINVALID with the Go message
 * ("improper constraint: X") as the last error. Free with kd_semver_range_free. */
int kd_semver_range_parse(kd_semver_range **out, const char *text, kd_semver_dialect d);
/* Whether `v` satisfies the range (Constraints.Check). */
bool kd_semver_range_check(const kd_semver_range *r, const kd_semver *v);
void kd_semver_range_free(kd_semver_range *r);

#endif
