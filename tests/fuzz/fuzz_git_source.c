/* libFuzzer target for the git source parser (git+URL//PATH?ref=REF and the --git flags):
 * no crash, and for what parses: the URL has no password, the path no "..", the string form
 * parses back to the same source and never holds the password. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/base.h"
#include "../../gitops/gitops.h"

static void same(const kd_git_source *a, const kd_git_source *b)
{
	if (strcmp(a->url, b->url) != 0 || strcmp(a->path, b->path) != 0 || (!a->ref != !b->ref) ||
		(a->ref && strcmp(a->ref, b->ref) != 0))
		abort();
}

static void check(const kd_git_source *s)
{
	if (!s->url || !s->path)
		abort();
	if (strstr(s->path, "..") && (strcmp(s->path, "..") == 0 || strncmp(s->path, "../", 3) == 0 ||
		strstr(s->path, "/../") || (strlen(s->path) >= 3 && strcmp(s->path + strlen(s->path) - 3, "/..") == 0)))
		abort();
	if (s->path[0] == '/' || (s->path[0] && s->path[strlen(s->path) - 1] == '/'))
		abort();
	char *str = kd_git_source_string(s);
	if (s->password && s->password[0] && strstr(str + 4, s->password) && !strstr(s->url, s->password) &&
		!strstr(s->path, s->password) && !(s->ref && strstr(s->ref, s->password)))
		abort();
	kd_git_source back;
	if (kd_git_source_parse(&back, str) != 0)
		abort();
	same(s, &back);
	kd_git_source_clear(&back);
	free(str);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		kd_base_init();
		init = 1;
	}
	if (size > 4096)
		return 0;
	char *in = kd_strndup((const char *)data, size);
	kd_git_source s;
	if (kd_git_source_parse(&s, in) == 0) {
		check(&s);
		kd_git_source_clear(&s);
	}
	/* the flags: split the input at the first two newlines into URL, ref, path */
	char *ref = strchr(in, '\n'), *path = NULL;
	if (ref) {
		*ref++ = '\0';
		path = strchr(ref, '\n');
		if (path)
			*path++ = '\0';
	}
	if (kd_git_source_from_flags(&s, in, ref && *ref ? ref : NULL, path) == 0) {
		check(&s);
		kd_git_source_clear(&s);
	}
	free(in);
	kd_error_clear();
	return 0;
}
