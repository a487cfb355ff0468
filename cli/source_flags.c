/* The package-source flags every command that takes a PACKAGE shares (template today;
 * install, upgrade and diff use the same helpers). */
#include <stdlib.h>
#include <string.h>

#include "../params/params.h"
#include "../plans/plans.h"
#include "cli.h"
#include "cli_internal.h"

const char kd_cli__source_help[] =
	"PACKAGE is a package folder, a .tgz, an http(s) URL of a .tgz, a git source\n"
	"git+URL[//PATH][?ref=REF] (URL https://, http://, ssh://, git:// or file://; REF a branch, a\n"
	"tag, semver:RANGE for the newest matching tag, or a full commit id; default the remote's\n"
	"HEAD), or a NAME: a package kudoc ships, else NAME in the current repository (repo list).\n"
	"\n"
	"Package source flags:\n"
	"      --git URL                 the package from git (instead of PACKAGE)\n"
	"      --git-ref REF             with --git: branch, tag, semver:RANGE or commit\n"
	"      --git-path PATH           with --git: the package folder in the repository\n"
	"      --git-credentials FILE    HTTPS credentials, lines https://USER:PASSWORD@HOST[/PATH]\n"
	"                                (else KUDOC_GIT_USERNAME/KUDOC_GIT_PASSWORD or KUDOC_GIT_TOKEN)\n"
	"      --git-ssh-key FILE        SSH private key (else ssh-agent; passphrase in\n"
	"                                KUDOC_GIT_SSH_PASSPHRASE)\n"
	"      --git-known-hosts FILE    SSH host keys to trust (default ~/.ssh/known_hosts)\n"
	"      --repo NAME               the repository for a NAME (default: the context)\n"
	"      --operator-version V      the operatorVersion to pick (default the newest)\n"
	"      --app-version V           the appVersion to pick\n"
	"  -P git:PATH                   a parameter file from the package's repository and commit\n";

void kd_cli__source_options(kd_source_options *so, const kd_cli_opts *o)
{
	kd_source_options d = KD_SOURCE_OPTIONS_INIT;
	*so = d;
	so->git_url = o->git;
	so->git_ref = o->git_ref;
	so->git_path = o->git_path;
	so->git_credentials = o->git_credentials;
	so->git_ssh_key = o->git_ssh_key;
	so->git_known_hosts = o->git_known_hosts;
	so->repo = o->repo;
	so->operator_version = o->operator_version;
	so->app_version = o->app_version;
}

int kd_cli__load_source(kd_pkg **pkg, kd_pkg_origin *origin, const kd_cli_opts *o, const char *cmd)
{
	*pkg = NULL;
	if (o->git ? o->nargs != 0 : o->nargs != 1)
		return kd_cli_usage("%s needs exactly one PACKAGE argument, or --git URL instead of it (got %zu argument%s)", cmd,
			o->nargs, o->nargs == 1 ? "" : "s");
	kd_source_options so;
	kd_cli__source_options(&so, o);
	return kd_source_load(pkg, origin, o->git ? NULL : o->args[0], &so);
}

int kd_cli__resolve_params(kd_params **out, const kd_pkg *pkg, const kd_pkg_origin *origin, const kd_cli_opts *o,
	const cJSON *previous)
{
	kd_params *p = NULL;
	int rc;
	*out = NULL;
	kd_source_options so;
	kd_cli__source_options(&so, o);
	if ((rc = kd_params_new(&p, pkg)) != 0) {
		kd_params_free(p);
		return rc;
	}
	if (previous)
		kd_params_add_previous(p, previous);
	for (size_t i = 0; i < o->npfiles; i++) {
		if (strncmp(o->pfiles[i], "git:", 4) == 0) {
			char *data = NULL;
			size_t len = 0;
			if ((rc = kd_source_read_param_file(&data, &len, origin, o->pfiles[i], &so)) != 0) {
				kd_params_free(p);
				return rc;
			}
			kd_params_add_file_text(p, o->pfiles[i], data, len);
			free(data);
		} else {
			kd_params_add_file(p, o->pfiles[i]);
		}
	}
	for (size_t i = 0; i < o->npflags; i++)
		kd_params_add_flag(p, o->pflags[i]);
	if ((rc = kd_params_finish(p)) != 0) {
		kd_params_free(p);
		return rc;
	}
	*out = p;
	return 0;
}
