/* Internal to plans/: helpers shared by render.c and verify.c. */
#ifndef KD_PLANS_INTERNAL_H
#define KD_PLANS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "plans.h"

/* The output one render may produce, every template of the plan together (256 MiB; tests
 * lower it). */
extern size_t kd_plans__max_rendered;
/* The .Pipes map of a plan: its Pipe tasks' keys -> artifact names. New in *out. */
int kd_plans__pipes(cJSON **out, const kd_pkg *pkg, const char *instance, const kd_pkg_plan *plan);
/* Whether a Toggle task's parameter is on, from the .Params map. */
int kd_plans__toggle_value(bool *on, const kd_pkg *pkg, const kd_pkg_task *t, const cJSON *params);

/* Times: now, RFC 3339 UTC with milliseconds, and "5s", "2m03s", "1h02m" for durations. */
int64_t kd_plans__now_us(void);
void kd_plans__fmt_time(char *buf, size_t size, int64_t us);
void kd_plans__fmt_duration(char *buf, size_t size, int64_t us);
void kd_plans__step_waiting_clear(kd_step_status *ss);

/* gzip (RFC 1952) of data, and back; inflating stops at `max` bytes with KD_ELIMIT. */
int kd_plans__gzip(kd_buf *out, const void *data, size_t len);
int kd_plans__gunzip(kd_buf *out, const void *data, size_t len, size_t max);

/* The decoding half of reading revision records (record.c), apart from the cluster so that
 * tests/fuzz/fuzz_record.c runs the same code on bytes: the kd_revision held by one revision
 * Secret (its data.record: base64 of gzipped JSON), new in *out; and the package files of a
 * record from the gzipped JSON its package Secrets hold together (already base64-decoded and
 * joined), into rev->files (rev->files_loaded set on success). */
int kd_plans__revision_of_secret(kd_revision **out, const cJSON *secret);
int kd_plans__package_decode(kd_revision *rev, const void *gz, size_t len);

/* Name of an instance's Lease and of its records. */
void kd_plans__lease_name(kd_buf *out, const char *instance);

/* A DNS-1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters. */
bool kd_plans__dns_label(const char *s);
/* Orders two operator versions as Masterminds/semver does: <0, 0, >0. */
int kd_plans__semver_compare(const char *a, const char *b);
/* Adds kudoc's labels and the revision annotation to an object (and its pod template). */
void kd_plans__enhance(cJSON *obj, const struct kd_exec_plan *p);
/* Whether a live object belongs to `instance` (its kudoc.dev/instance label); *kept: it is
 * annotated kudoc.dev/keep: "true". Pruning and uninstall delete what is ours and not kept. */
bool kd_plans__owned(const cJSON *live, const char *instance, bool *kept);
/* What a COMPLETE `rev` prunes: the objects the revisions before it (`revs`, oldest first) applied,
 * back to the newest good one, that `rev` applies no more, without keep-marked ones. *out is an
 * array (free()) of pointers into `revs`; returns its length. */
size_t kd_plans__prune_candidates(const kd_rev_object ***out, kd_revision *const *revs, size_t nrevs,
	const kd_revision *rev);

#endif
