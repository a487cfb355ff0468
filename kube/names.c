/* Object names as Kubernetes (v1.37) validates them, so a bad name is caught offline, naming
 * the template, instead of by the API server in the middle of a plan.
 *
 * Which rule a kind's metadata.name follows (k8s.io/kubernetes pkg/apis/.../validation):
 *   DNS-1123 label      core Namespace, core Service (RelaxedServiceNameValidation, GA and
 *                       locked on in 1.37; older servers want a DNS-1035 label, starting with a
 *                       letter), apps StatefulSet
 *   path segment only   rbac.authorization.k8s.io Role, ClusterRole, RoleBinding,
 *                       ClusterRoleBinding; and kinds with rules of their own that we do not
 *                       repeat (IPAddress, CertificateSigningRequest, LeaseCandidate,
 *                       StorageVersion, ClusterTrustBundle), so we never refuse what the server
 *                       takes
 *   DNS-1123 subdomain  everything else, custom resources included; a batch CronJob name also
 *                       has at most 52 characters (its Jobs append 11)
 * metadata.namespace is always a DNS-1123 label.
 *
 * generateName is checked twice, as the server does: as a prefix (a trailing '-' is allowed; the
 * server masks it by dropping the last two characters and appending 'a', which we repeat), and as
 * the name it generates (the prefix cut to 58 characters plus five random letters/digits). */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define SUBDOMAIN_MAX 253
#define LABEL_MAX 63
#define CRONJOB_MAX 52
#define GENERATED_PREFIX_MAX 58 /* 63 - the 5 random characters */

typedef struct {
	const char *group; /* "" core */
	const char *kind;
	kd_kube_name_rule rule;
} rule_entry;

static const rule_entry rules[] = {
	{"", "Namespace", KD_KUBE_NAME_LABEL},
	{"", "Service", KD_KUBE_NAME_LABEL},
	{"apps", "StatefulSet", KD_KUBE_NAME_LABEL},
	{"rbac.authorization.k8s.io", "Role", KD_KUBE_NAME_PATH_SEGMENT},
	{"rbac.authorization.k8s.io", "ClusterRole", KD_KUBE_NAME_PATH_SEGMENT},
	{"rbac.authorization.k8s.io", "RoleBinding", KD_KUBE_NAME_PATH_SEGMENT},
	{"rbac.authorization.k8s.io", "ClusterRoleBinding", KD_KUBE_NAME_PATH_SEGMENT},
	{"networking.k8s.io", "IPAddress", KD_KUBE_NAME_PATH_SEGMENT},
	{"certificates.k8s.io", "CertificateSigningRequest", KD_KUBE_NAME_PATH_SEGMENT},
	{"certificates.k8s.io", "ClusterTrustBundle", KD_KUBE_NAME_PATH_SEGMENT},
	{"coordination.k8s.io", "LeaseCandidate", KD_KUBE_NAME_PATH_SEGMENT},
	{"internal.apiserver.k8s.io", "StorageVersion", KD_KUBE_NAME_PATH_SEGMENT},
};

/* The group of an apiVersion ("apps/v1" -> "apps", "v1" -> ""), as a length. */
static size_t group_len(const char *api_version)
{
	const char *slash = api_version ? strchr(api_version, '/') : NULL;
	return slash ? (size_t)(slash - api_version) : 0;
}

kd_kube_name_rule kd_kube_name_rule_of(const char *api_version, const char *kind)
{
	size_t gl = group_len(api_version);
	for (size_t i = 0; kind && i < KD_ARRAY_SIZE(rules); i++)
		if (strlen(rules[i].group) == gl && strncmp(rules[i].group, api_version, gl) == 0 &&
			strcmp(rules[i].kind, kind) == 0)
			return rules[i].rule;
	return KD_KUBE_NAME_SUBDOMAIN;
}

/* The rule in words, for messages. */
static void rule_text(char *out, size_t size, kd_kube_name_rule r, size_t max)
{
	switch (r) {
	case KD_KUBE_NAME_LABEL:
		snprintf(out, size, "a DNS-1123 label of at most %zu characters: lower-case letters, digits and '-', "
				    "starting and ending with a letter or digit", max);
		return;
	case KD_KUBE_NAME_SUBDOMAIN:
		snprintf(out, size, "a DNS-1123 subdomain of at most %zu characters: lower-case letters, digits, '-' "
				    "and '.', each part between dots starting and ending with a letter or digit", max);
		return;
	case KD_KUBE_NAME_PATH_SEGMENT:
		snprintf(out, size, "usable as a URL path segment: not '.' or '..', without '/' or '%%'");
		return;
	}
	out[0] = '\0';
}

/* The name as messages show it: printable ASCII, other bytes as \xNN, cut after 80. */
static void shown(char *out, size_t size, const char *s)
{
	size_t o = 0, i = 0;
	for (; s[i] && i < 80 && o + 5 < size; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
	}
	if (s[i] && o + 4 < size) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static bool alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* What is wrong with `s` under `rule` (max: its length cap), into why; false when nothing. */
static bool problem(char *why, size_t size, const char *s, kd_kube_name_rule rule, size_t max)
{
	size_t n = strlen(s);
	if (n == 0) {
		snprintf(why, size, "it is empty");
		return true;
	}
	if (rule == KD_KUBE_NAME_PATH_SEGMENT) {
		if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
			snprintf(why, size, "it may not be '%s'", s);
			return true;
		}
		const char *bad = strpbrk(s, "/%");
		if (bad) {
			snprintf(why, size, "it may not contain '%c'", *bad);
			return true;
		}
		return false;
	}
	if (n > max) {
		snprintf(why, size, "it has %zu characters, at most %zu are allowed", n, max);
		return true;
	}
	bool dots = rule == KD_KUBE_NAME_SUBDOMAIN;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (alnum(c) || c == '-' || (dots && c == '.'))
			continue;
		if (c >= 'A' && c <= 'Z')
			snprintf(why, size, "it has the upper-case letter '%c' (character %zu); names are lower case", c, i + 1);
		else if (c == '.')
			snprintf(why, size, "it has a '.' (character %zu), which a DNS-1123 label does not allow", i + 1);
		else if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
			snprintf(why, size, "it has the byte 0x%02x (character %zu)", (unsigned char)c, i + 1);
		else
			snprintf(why, size, "it has '%c' (character %zu)", c, i + 1);
		return true;
	}
	/* each part between dots (the whole name for a label) starts and ends alphanumeric */
	for (size_t start = 0; start <= n;) {
		size_t end = start;
		while (end < n && s[end] != '.')
			end++;
		if (end == start) {
			snprintf(why, size, "%s", start == 0 ? "it starts with '.'" : end == n ? "it ends with '.'" : "it has two dots in a row");
			return true;
		}
		if (!alnum(s[start]) || !alnum(s[end - 1])) {
			bool first = !alnum(s[start]);
			char c = first ? s[start] : s[end - 1];
			if (start == 0 && end == n)
				snprintf(why, size, "it %s with '%c'", first ? "starts" : "ends", c);
			else
				snprintf(why, size, "its part \"%.*s\" %s with '%c'", (int)(end - start), s + start,
					first ? "starts" : "ends", c);
			return true;
		}
		start = end + 1;
	}
	return false;
}

static size_t max_of(kd_kube_name_rule rule, const char *api_version, const char *kind)
{
	if (rule == KD_KUBE_NAME_LABEL)
		return LABEL_MAX;
	if (kind && strcmp(kind, "CronJob") == 0 && group_len(api_version) == 5 && strncmp(api_version, "batch", 5) == 0)
		return CRONJOB_MAX;
	return SUBDOMAIN_MAX;
}

int kd_kube_check_path_segment(char *why, size_t size, const char *what, const char *s)
{
	char p[256], sh[400];
	if (!problem(p, sizeof(p), s ? s : "", KD_KUBE_NAME_PATH_SEGMENT, 0))
		return 0;
	shown(sh, sizeof(sh), s ? s : "");
	snprintf(why, size, "%s \"%s\" cannot be used in a request path: %s", what, sh, p);
	return KD_EINVALID;
}

/* generateName: the prefix check (trailing '-' masked as the server masks it), then the check of
 * a name generated from it. */
static bool prefix_problem(char *p, size_t size, const char *prefix, kd_kube_name_rule rule, size_t max)
{
	size_t n = strlen(prefix);
	if (rule == KD_KUBE_NAME_PATH_SEGMENT)
		return problem(p, size, prefix, rule, max); /* RBAC checks a prefix as a whole name */
	if (n > max + 1) {
		snprintf(p, size, "it has %zu characters, at most %zu are allowed", n, max);
		return true;
	}
	char masked[SUBDOMAIN_MAX + 8];
	if (n > 1 && prefix[n - 1] == '-')
		snprintf(masked, sizeof(masked), "%.*sa", (int)(n - 2), prefix);
	else
		snprintf(masked, sizeof(masked), "%s", prefix);
	if (problem(p, size, masked, rule, max))
		return true;
	char gen[GENERATED_PREFIX_MAX + 8], inner[256];
	snprintf(gen, sizeof(gen), "%.*sbcdfg", (int)(n > GENERATED_PREFIX_MAX ? GENERATED_PREFIX_MAX : n), prefix);
	if (!problem(inner, sizeof(inner), gen, rule, max))
		return false;
	snprintf(p, size, "the names generated from it would not be valid (%s)", inner);
	return true;
}

int kd_kube_check_name(char *why, size_t size, const char *api_version, const char *kind, const char *name,
	bool generate)
{
	kd_kube_name_rule rule = kd_kube_name_rule_of(api_version, kind);
	size_t max = max_of(rule, api_version, kind);
	const char *k = kind && *kind ? kind : "object";
	const char *field = generate ? "generateName" : "name";
	char p[384], rt[256], sh[400];
	if (!name)
		name = "";
	if (!(generate ? prefix_problem(p, sizeof(p), name, rule, max) : problem(p, sizeof(p), name, rule, max)))
		return 0;
	rule_text(rt, sizeof(rt), rule, max);
	shown(sh, sizeof(sh), name);
	snprintf(why, size, "%s %s \"%s\" is not valid: %s; a %s %s must be %s", k, field, sh, p, k, field, rt);
	return KD_EINVALID;
}

int kd_kube_check_namespace(char *why, size_t size, const char *ns)
{
	char p[256], rt[256], sh[400];
	if (!problem(p, sizeof(p), ns ? ns : "", KD_KUBE_NAME_LABEL, LABEL_MAX))
		return 0;
	rule_text(rt, sizeof(rt), KD_KUBE_NAME_LABEL, LABEL_MAX);
	shown(sh, sizeof(sh), ns ? ns : "");
	snprintf(why, size, "namespace \"%s\" is not valid: %s; a namespace must be %s", sh, p, rt);
	return KD_EINVALID;
}
