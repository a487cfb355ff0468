/* `repo add|list|remove|context|index` and `search`: KUDO repositories. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../operator/operator.h"
#include "cli.h"
#include "cli_internal.h"

static const char repo_help[] =
	"Usage:\n"
	"  kubectl-kudo repo add NAME URL [--skip-check]\n"
	"  kubectl-kudo repo list\n"
	"  kubectl-kudo repo remove NAME\n"
	"  kubectl-kudo repo context NAME\n"
	"  kubectl-kudo repo index DIR [--url URL] [--merge INDEX] [--overwrite]\n"
	"\n"
	"KUDO operator repositories: an HTTP(S) folder holding index.yaml and package .tgz files.\n"
	"The list lives in ${XDG_CONFIG_HOME:-~/.config}/kudoc/repositories.yaml (KUDO's format);\n"
	"without it the list is KUDO's default, \"community\". The context (marked * by list) is\n"
	"the repository a package NAME is looked up in (install NAME, template NAME, search).\n"
	"\n"
	"add checks that URL/index.yaml can be read and parsed (--skip-check: do not).\n"
	"index writes DIR/index.yaml for every .tgz in DIR (made by `package create`), each with\n"
	"its sha256 digest and the URL URL/FILE (default http://localhost/). --merge INDEX (a file,\n"
	"a folder holding index.yaml, or a repository URL) adds the entries of another index that\n"
	"DIR does not have. An existing DIR/index.yaml is replaced only with --overwrite, or when\n"
	"it is the one --merge names.\n"
	"\n"
	"Examples:\n"
	"  kubectl-kudo repo add local http://127.0.0.1:8080/repo\n"
	"  kubectl-kudo repo list\n"
	"  kubectl-kudo repo context local\n"
	"  kubectl-kudo repo remove local\n"
	"  kubectl-kudo package create ./spark --destination ./repo && kubectl-kudo repo index ./repo --url https://ops.example/repo\n";

static const char search_help[] =
	"Usage: kubectl-kudo search [TEXT] [--repo NAME] [--all-versions]\n"
	"\n"
	"Lists the operators of the repository (default: the context) whose name contains TEXT:\n"
	"the newest version of each, or every version with -a, --all-versions.\n"
	"\n"
	"Examples:\n"
	"  kubectl-kudo search spark\n"
	"  kubectl-kudo search --repo local --all-versions\n";

static int load_cfg(kd_repo_config **cfg)
{
	return kd_repo_config_load(cfg, NULL);
}

static int repo_add(kd_buf *out, const kd_cli_opts *o)
{
	if (o->nargs != 3)
		return kd_cli_usage("repo add needs NAME and URL");
	kd_repo_config *cfg = NULL;
	int rc = load_cfg(&cfg);
	if (rc)
		return rc;
	const char *name = o->args[1], *url = o->args[2];
	if ((rc = kd_repo_config_add(cfg, name, url)) == 0 && !o->skip_check) {
		kd_repo_index *idx = NULL;
		if ((rc = kd_repo_fetch_index(&idx, url)) != 0) {
			char *shown = kd_http_display_url(url);
			kd_error_set(KD_ERR_PACKAGE, "looks like \"%s\" is not a valid operator repository or cannot be reached: %s "
				"(--skip-check adds it anyway)", shown, kd_error_last());
			free(shown);
		}
		kd_repo_index_free(idx);
	}
	if (rc == 0 && (rc = kd_repo_config_save(cfg)) == 0)
		kd_buf_printf(out, "\"%s\" has been added to your repositories\n", name);
	kd_repo_config_free(cfg);
	return rc;
}

static int repo_list(kd_buf *out, const kd_cli_opts *o)
{
	if (o->nargs != 1)
		return kd_cli_usage("repo list takes no arguments");
	kd_repo_config *cfg = NULL;
	int rc = load_cfg(&cfg);
	if (rc)
		return rc;
	if (cfg->nrepos == 0) {
		kd_repo_config_free(cfg);
		return kd_error_set(KD_ERR_PACKAGE, "no repositories to show"), KD_ENOTFOUND;
	}
	size_t w = 4;
	for (size_t i = 0; i < cfg->nrepos; i++) {
		size_t l = strlen(cfg->repos[i].name) + (strcmp(cfg->repos[i].name, cfg->context) == 0);
		if (l > w)
			w = l;
	}
	kd_buf_printf(out, "%-*s URL\n", (int)w, "NAME");
	for (size_t i = 0; i < cfg->nrepos; i++) {
		char *u = kd_http_display_url(cfg->repos[i].url);
		kd_buf name = KD_BUF_INIT;
		kd_buf_printf(&name, "%s%s", strcmp(cfg->repos[i].name, cfg->context) == 0 ? "*" : "", cfg->repos[i].name);
		kd_buf_printf(out, "%-*s %s\n", (int)w, kd_buf_cstr(&name), u);
		kd_buf_free(&name);
		free(u);
	}
	kd_repo_config_free(cfg);
	return 0;
}

static int repo_remove(kd_buf *out, const kd_cli_opts *o)
{
	if (o->nargs != 2)
		return kd_cli_usage("repo remove needs NAME");
	kd_repo_config *cfg = NULL;
	int rc = load_cfg(&cfg);
	if (rc)
		return rc;
	if ((rc = kd_repo_config_remove(cfg, o->args[1])) == 0 && (rc = kd_repo_config_save(cfg)) == 0)
		kd_buf_printf(out, "\"%s\" has been removed from your repositories\n", o->args[1]);
	kd_repo_config_free(cfg);
	return rc;
}

static int repo_context(kd_buf *out, const kd_cli_opts *o)
{
	if (o->nargs != 2)
		return kd_cli_usage("repo context needs NAME");
	kd_repo_config *cfg = NULL;
	int rc = load_cfg(&cfg);
	if (rc)
		return rc;
	if ((rc = kd_repo_config_set_context(cfg, o->args[1])) == 0 && (rc = kd_repo_config_save(cfg)) == 0)
		kd_buf_printf(out, "Repository context is now \"%s\"\n", o->args[1]);
	kd_repo_config_free(cfg);
	return rc;
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* --merge: a local index file, a folder holding index.yaml, or a repository URL. */
static int load_merge(kd_repo_index **out, const char *m)
{
	struct stat st;
	if (strncmp(m, "http://", 7) == 0 || strncmp(m, "https://", 8) == 0 || strncmp(m, "file://", 7) == 0) {
		size_t n = strlen(m);
		if (n > 5 && strcmp(m + n - 5, ".yaml") == 0) {
			kd_buf data = KD_BUF_INIT;
			int rc = kd_http_get(&data, m, (size_t)32 << 20, true);
			if (rc == 0)
				rc = kd_repo_index_parse(out, m, data.ptr ? data.ptr : "", data.len);
			kd_buf_free(&data);
			return rc;
		}
		return kd_repo_fetch_index(out, m);
	}
	kd_buf path = KD_BUF_INIT;
	if (stat(m, &st) == 0 && S_ISDIR(st.st_mode))
		kd_buf_printf(&path, "%s/index.yaml", m);
	else
		kd_buf_puts(&path, m);
	char *data = NULL;
	size_t len = 0;
	int rc = kd_file_read(&data, &len, kd_buf_cstr(&path), (size_t)32 << 20);
	if (rc == KD_ENOTFOUND)
		kd_error_set(KD_ERR_PACKAGE, "--merge %s: no such file", kd_buf_cstr(&path));
	if (rc == 0)
		rc = kd_repo_index_parse(out, kd_buf_cstr(&path), data, len);
	free(data);
	kd_buf_free(&path);
	return rc;
}

static int repo_index(kd_buf *out, kd_buf *warn, const kd_cli_opts *o)
{
	if (o->nargs != 2)
		return kd_cli_usage("repo index needs exactly one DIR argument");
	const char *dir = o->args[1];
	kd_buf target = KD_BUF_INIT, text = KD_BUF_INIT;
	kd_repo_index *idx = NULL, *merge = NULL;
	int rc = 0;
	struct stat st;
	kd_buf_printf(&target, "%s/index.yaml", dir);
	bool merging_self = false;
	if (o->merge) {
		kd_buf mp = KD_BUF_INIT;
		if (stat(o->merge, &st) == 0 && S_ISDIR(st.st_mode))
			kd_buf_printf(&mp, "%s/index.yaml", o->merge);
		else
			kd_buf_puts(&mp, o->merge);
		merging_self = same_file(kd_buf_cstr(&mp), kd_buf_cstr(&target));
		kd_buf_free(&mp);
	}
	if (!o->overwrite && !merging_self && stat(kd_buf_cstr(&target), &st) == 0) {
		kd_error_set(KD_ERR_PACKAGE, "%s exists; use --overwrite to replace it, or --merge it", kd_buf_cstr(&target));
		rc = KD_EEXISTS;
		goto done;
	}
	if (o->merge && (rc = load_merge(&merge, o->merge)) != 0)
		goto done;
	if ((rc = kd_repo_index_dir(&idx, warn, dir, o->url)) != 0)
		goto done;
	for (size_t i = 0; merge && i < merge->nentries; i++)
		kd_repo_index_add(idx, &merge->entries[i]); /* local packages win over the merged index */
	kd_error_clear();
	if ((rc = kd_repo_index_emit(&text, idx)) != 0)
		goto done;
	FILE *f = fopen(kd_buf_cstr(&target), "wb");
	bool ok = f && fwrite(text.ptr, 1, text.len, f) == text.len;
	if (f)
		ok = fclose(f) == 0 && ok;
	if (!ok) {
		rc = kd_error_set_os(errno, "cannot write %s", kd_buf_cstr(&target));
		goto done;
	}
	kd_buf_printf(out, "index %s created.\n", kd_buf_cstr(&target));
done:
	kd_repo_index_free(idx);
	kd_repo_index_free(merge);
	kd_buf_free(&text);
	kd_buf_free(&target);
	return rc;
}

int kd_cmd_repo(int argc, char **argv)
{
	kd_cli_opts o;
	kd_buf out = KD_BUF_INIT, warn = KD_BUF_INIT;
	/* the flags of the subcommand (the first word that is not a flag) */
	int first = 0;
	while (first < argc && argv[first][0] == '-')
		first++;
	kd_buf path = KD_BUF_INIT;
	kd_buf_printf(&path, "repo %s", first < argc ? argv[first] : "");
	int rc = kd_cli_parse(&o, argc, argv, first < argc ? kd_cli__command_flags(kd_buf_cstr(&path)) : "");
	kd_buf_free(&path);
	int code = KD_EXIT_OK;
	if (rc)
		goto done;
	if (o.help || o.nargs == 0) {
		fputs(repo_help, o.help ? stdout : stderr);
		code = o.help ? KD_EXIT_OK : KD_EXIT_USAGE;
		goto done;
	}
	const char *sub = o.args[0];
	if (strcmp(sub, "add") == 0)
		rc = repo_add(&out, &o);
	else if (strcmp(sub, "list") == 0)
		rc = repo_list(&out, &o);
	else if (strcmp(sub, "remove") == 0 || strcmp(sub, "rm") == 0)
		rc = repo_remove(&out, &o);
	else if (strcmp(sub, "context") == 0)
		rc = repo_context(&out, &o);
	else if (strcmp(sub, "index") == 0)
		rc = repo_index(&out, &warn, &o);
	else
		rc = kd_cli_usage("repo: unknown subcommand \"%s\" (want add, list, remove, context or index)", sub);
	fwrite(warn.ptr ? warn.ptr : "", 1, warn.len, stderr);
	if (rc == 0)
		fwrite(out.ptr ? out.ptr : "", 1, out.len, stdout);
done:
	kd_buf_free(&out);
	kd_buf_free(&warn);
	kd_cli_opts_free(&o);
	return rc ? kd_cli_fail(rc) : code;
}

int kd_cli__search_run(kd_buf *out, const kd_cli_opts *o)
{
	if (o->nargs > 1)
		return kd_cli_usage("search takes at most one TEXT argument");
	const char *text = o->nargs ? o->args[0] : "";
	kd_repo_config *cfg = NULL;
	kd_repo_index *idx = NULL;
	int rc = load_cfg(&cfg);
	if (rc)
		return rc;
	const kd_repo *r = kd_repo_config_get(cfg, o->repo);
	if (!r) {
		rc = KD_ENOTFOUND;
		goto done;
	}
	if ((rc = kd_repo_fetch_index(&idx, r->url)) != 0) {
		kd_error_set(KD_ERR_PACKAGE, "could not download repository index file of %s: %s", r->name, kd_error_last());
		goto done;
	}
	/* entries come grouped by name, newest first */
	size_t wn = 4, wo = 16, found = 0;
	for (size_t i = 0; i < idx->nentries; i++) {
		const kd_repo_entry *e = &idx->entries[i];
		if (strstr(e->name, text) && strlen(e->name) > wn)
			wn = strlen(e->name);
		if (strstr(e->name, text) && strlen(e->operator_version) > wo)
			wo = strlen(e->operator_version);
	}
	const char *prev = NULL;
	for (size_t i = 0; i < idx->nentries; i++) {
		const kd_repo_entry *e = &idx->entries[i];
		if (!strstr(e->name, text))
			continue;
		bool first = !prev || strcmp(prev, e->name) != 0;
		if (!first && !o->all_versions)
			continue;
		if (!found)
			kd_buf_printf(out, "%-*s %-*s %s\n", (int)wn, "NAME", (int)wo, "OPERATOR VERSION", "APP VERSION");
		kd_buf_printf(out, "%-*s %-*s %s\n", (int)wn, first ? e->name : "", (int)wo, e->operator_version,
			e->app_version ? e->app_version : "");
		prev = e->name;
		found++;
	}
	if (!found)
		kd_buf_puts(out, "no operators found\n");
done:
	kd_repo_index_free(idx);
	kd_repo_config_free(cfg);
	return rc;
}

int kd_cmd_search(int argc, char **argv)
{
	kd_cli_opts o;
	kd_buf out = KD_BUF_INIT;
	int rc = kd_cli_parse(&o, argc, argv, kd_cli__command_flags("search"));
	if (rc == 0 && o.help)
		fputs(search_help, stdout);
	else if (rc == 0 && (rc = kd_cli__search_run(&out, &o)) == 0)
		fwrite(out.ptr ? out.ptr : "", 1, out.len, stdout);
	kd_buf_free(&out);
	kd_cli_opts_free(&o);
	return rc ? kd_cli_fail(rc) : KD_EXIT_OK;
}
