/* The command table: every command and subcommand, the flags it accepts, its positional
 * argument and a one-line summary. The commands parse their flags from it
 * (kd_cli__command_flags) and `completion bash|zsh` generates both scripts from it, so the
 * scripts cannot offer a flag the command refuses or miss one it takes. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_internal.h"

#define CONN "kubeconfig context cluster user namespace"
#define SOURCE KD_CLI_SOURCE_FLAGS

/* args: the positional argument's kind for completion: "package", or NULL. */
static const kd_cli_command commands[] = {
	{"install", "package", CONN " " SOURCE " instance p P timeout atomic dry-run create-namespace force-conflicts history-max output",
		"install an operator package as an instance and run its deploy plan"},
	{"update", NULL, CONN " instance p P timeout atomic dry-run force-conflicts history-max output",
		"change parameters; runs the plan the change triggers"},
	{"upgrade", "package", CONN " " SOURCE " instance p P timeout atomic dry-run force force-conflicts history-max output",
		"move an instance to another operator version"},
	{"rollback", NULL, CONN " instance revision timeout dry-run force-conflicts history-max output",
		"return to an earlier revision's version and parameters"},
	{"uninstall", NULL, CONN " instance timeout keep-history delete-crds dry-run",
		"run the cleanup plan, delete the instance's objects and records"},
	{"diff", "package", CONN " " SOURCE " instance p P force force-conflicts output",
		"what an upgrade or update would change, against the live objects"},
	{"sync", NULL, CONN " instance interval repair force timeout atomic force-conflicts history-max git-credentials git-ssh-key git-known-hosts",
		"follow the instance's git source: upgrade, update, report or repair drift"},
	{"plan", NULL, "", "show, list, run or continue an instance's plans"},
	{"plan status", NULL, CONN " instance output revision wait", "the plan tree of the latest (or a given) revision"},
	{"plan history", NULL, CONN " instance output", "every revision of an instance"},
	{"plan trigger", NULL, CONN " instance name timeout force-conflicts history-max output",
		"run a plan of the installed package as a new revision"},
	{"plan resume", NULL, CONN " instance timeout force-conflicts history-max output",
		"continue the latest revision at its first step not COMPLETE"},
	{"get", NULL, CONN " all-namespaces output", "list what kudoc installed"},
	{"get instances", NULL, CONN " all-namespaces output", "the instances kudoc installed"},
	{"template", "package", "instance namespace p P plan output " SOURCE, "render the objects a plan would apply, offline"},
	{"package", NULL, "", "check a package, or list its parameters, plans or tasks"},
	{"package verify", "package", "", "check a package the way KUDO does"},
	{"package list", NULL, "", "list a package's parameters, plans or tasks"},
	{"package list params", "package", "", "the package's parameters"},
	{"package list plans", "package", "", "the package's plans"},
	{"package list tasks", "package", "", "the package's tasks"},
	{"verify", NULL, "", "check an instance in the cluster"},
	{"verify leader", NULL, CONN " instance lock kind failover timeout",
		"check (and test) an instance's leader election: one Ready pod holds a fresh lock"},
	{"package create", "package", "destination overwrite", "write the package's .tgz after the checks of verify"},
	{"repo", NULL, "", "KUDO operator repositories"},
	{"repo add", NULL, "skip-check", "add a repository (NAME URL)"},
	{"repo list", NULL, "", "list the repositories; * marks the context"},
	{"repo remove", NULL, "", "remove a repository"},
	{"repo context", NULL, "", "look package names up in this repository"},
	{"repo index", NULL, "url merge overwrite", "write DIR/index.yaml for the .tgz files in DIR"},
	{"search", NULL, "repo all-versions", "list the operators of a repository"},
	{"version", NULL, "output", "print the version"},
	{"completion", NULL, "", "print a shell completion script"},
	{"completion bash", NULL, "", "the bash completion script"},
	{"completion zsh", NULL, "", "the zsh completion script"},
};

/* What each flag is, for zsh's descriptions, and how its value completes. */
static const struct {
	const char *name;
	const char *value; /* NULL: none; "namespace", "instance", "file", "context", or "w1 w2" (words) */
	const char *help;
} flag_help[] = {
	{"instance", "instance", "the instance"},
	{"namespace", "namespace", "the namespace (default: the context's)"},
	{"plan", NULL, "the plan to render (default deploy)"},
	{"p", NULL, "a parameter value NAME=VALUE"},
	{"P", "file", "a YAML file of parameter values"},
	{"output", "yaml json", "print data: yaml or json"},
	{"kubeconfig", "file", "the kubeconfig file"},
	{"context", "context", "the kubeconfig context"},
	{"cluster", NULL, "the kubeconfig cluster to use"},
	{"user", NULL, "the kubeconfig user to use"},
	{"timeout", NULL, "how long it may take (Go duration: 90s, 10m)"},
	{"history-max", NULL, "revisions to keep"},
	{"revision", NULL, "a revision number"},
	{"name", NULL, "the plan to run"},
	{"atomic", NULL, "on failure or timeout, roll back"},
	{"dry-run", NULL, "validate and dry-run on the server; write nothing"},
	{"create-namespace", NULL, "create the namespace when it does not exist"},
	{"force-conflicts", NULL, "take over fields other field managers own"},
	{"force", NULL, "allow a downgrade or the same version"},
	{"keep-history", NULL, "keep the revision records"},
	{"delete-crds", NULL, "delete the CRDs the instance installed too"},
	{"wait", NULL, "keep showing the plan until it ends"},
	{"all-namespaces", NULL, "every namespace"},
	{"lock", NULL, "the leader-election lock, [NAMESPACE/]NAME"},
	{"kind", "configmap lease", "the kind of lock: configmap or lease"},
	{"failover", NULL, "delete the holder's pod and watch another take over"},
	{"git", NULL, "the package from this git repository URL"},
	{"git-ref", NULL, "branch, tag, semver:RANGE or commit id"},
	{"git-path", NULL, "the package folder in the repository"},
	{"git-credentials", "file", "HTTPS credentials file (https://USER:PASSWORD@HOST)"},
	{"git-ssh-key", "file", "SSH private key file"},
	{"git-known-hosts", "file", "known_hosts file for SSH host keys"},
	{"repo", NULL, "the repository (default: the context)"},
	{"operator-version", NULL, "the operatorVersion to pick"},
	{"app-version", NULL, "the appVersion to pick"},
	{"destination", "file", "the folder to write the .tgz into"},
	{"url", NULL, "the URL the index points the packages at"},
	{"merge", "file", "an index (file, folder or repository URL) to merge"},
	{"overwrite", NULL, "replace an existing file"},
	{"skip-check", NULL, "do not download the index to check the URL"},
	{"all-versions", NULL, "every version, not only the newest"},
	{"interval", NULL, "run again after each interval (Go duration: 30s, 1m)"},
	{"repair", NULL, "re-apply the objects that drifted from the revision"},
};

const kd_cli_command *kd_cli__command_at(size_t i)
{
	return i < KD_ARRAY_SIZE(commands) ? &commands[i] : NULL;
}

const char *kd_cli__command_flags(const char *path)
{
	for (size_t i = 0; i < KD_ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].path, path) == 0)
			return commands[i].flags;
	return ""; /* a command missing from the table accepts no flags: its tests show it */
}

const char *kd_cli__flag_help(const char *name, const char **value)
{
	for (size_t i = 0; i < KD_ARRAY_SIZE(flag_help); i++)
		if (strcmp(flag_help[i].name, name) == 0) {
			if (value)
				*value = flag_help[i].value;
			return flag_help[i].help;
		}
	if (value)
		*value = NULL;
	return NULL;
}

static bool has_word(const char *list, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ' ');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && strncmp(p, w, n) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

/* The words that follow `path` as subcommands ("" is the top level). */
static void children(kd_buf *out, const char *path, bool with_help, const char *sep)
{
	size_t pl = strlen(path);
	bool first = true;
	for (size_t i = 0; i < KD_ARRAY_SIZE(commands); i++) {
		const char *p = commands[i].path;
		const char *rest;
		if (pl == 0)
			rest = p;
		else if (strncmp(p, path, pl) == 0 && p[pl] == ' ')
			rest = p + pl + 1;
		else
			continue;
		if (strchr(rest, ' '))
			continue;
		kd_buf_printf(out, "%s%s", first ? "" : sep, rest);
		if (with_help)
			kd_buf_printf(out, ":%s", commands[i].summary);
		first = false;
	}
}

/* Single-quoted for the shell. */
static void squote(kd_buf *out, const char *s)
{
	kd_buf_putc(out, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			kd_buf_puts(out, "'\\''");
		else
			kd_buf_putc(out, *s);
	}
	kd_buf_putc(out, '\'');
}

/* Every form of every flag `path` accepts, -v and --help included. */
static void flag_words(kd_buf *out, const char *path, bool zsh)
{
	const char *accepted = kd_cli__command_flags(path);
	const char *name, *shortf, *longf;
	bool val;
	for (size_t i = 0; kd_cli__flag_at(i, &name, &shortf, &longf, &val); i++) {
		if (!has_word(accepted, name))
			continue;
		const char *h = kd_cli__flag_help(name, NULL);
		if (zsh) {
			kd_buf b = KD_BUF_INIT;
			kd_buf_printf(&b, "%s:%s", longf, h ? h : "");
			squote(out, kd_buf_cstr(&b));
			kd_buf_putc(out, ' ');
			if (shortf) {
				kd_buf_clear(&b);
				kd_buf_printf(&b, "%s:%s", shortf, h ? h : "");
				squote(out, kd_buf_cstr(&b));
				kd_buf_putc(out, ' ');
			}
			kd_buf_free(&b);
		} else {
			kd_buf_printf(out, "%s ", longf);
			if (shortf)
				kd_buf_printf(out, "%s ", shortf);
		}
	}
	if (zsh)
		kd_buf_puts(out, "'--help:show the help' '-v:log every API request'");
	else
		kd_buf_puts(out, "--help -v");
}

/* The packages kudoc ships (for PACKAGE), found where `install NAME` looks. */
static void shipped(kd_buf *out)
{
	char **names = NULL;
	size_t n = 0;
	kd_cli__shipped_packages(&names, &n);
	for (size_t i = 0; i < n; i++) {
		kd_buf_printf(out, "%s%s", i ? " " : "", names[i]);
		free(names[i]);
	}
	free(names);
}

/* Flags whose value is the next word, and the value completions, shared by both scripts. */
static void value_flags(kd_buf *out)
{
	const char *name, *shortf, *longf;
	bool val;
	kd_buf_puts(out, " ");
	for (size_t i = 0; kd_cli__flag_at(i, &name, &shortf, &longf, &val); i++) {
		if (!val)
			continue;
		kd_buf_printf(out, "%s ", longf);
		if (shortf)
			kd_buf_printf(out, "%s ", shortf);
	}
}

/* A `case` arm pattern of one flag's forms: --namespace|-n */
static void forms(kd_buf *out, const char *name)
{
	const char *n, *shortf, *longf;
	bool val;
	for (size_t i = 0; kd_cli__flag_at(i, &n, &shortf, &longf, &val); i++)
		if (strcmp(n, name) == 0) {
			kd_buf_puts(out, longf);
			if (shortf)
				kd_buf_printf(out, "|%s", shortf);
		}
}

static void gen_tables(kd_buf *b, bool zsh)
{
	kd_buf_puts(b, "__kubectl_kudo_subs() {\n\tcase \"$1\" in\n");
	kd_buf t = KD_BUF_INIT;
	for (size_t i = 0; i <= KD_ARRAY_SIZE(commands); i++) {
		const char *path = i == 0 ? "" : commands[i - 1].path;
		kd_buf_clear(&t);
		if (zsh) {
			/* name:summary entries, each quoted */
			size_t pl = strlen(path);
			for (size_t k = 0; k < KD_ARRAY_SIZE(commands); k++) {
				const char *p = commands[k].path, *rest;
				if (pl == 0)
					rest = p;
				else if (strncmp(p, path, pl) == 0 && p[pl] == ' ')
					rest = p + pl + 1;
				else
					continue;
				if (strchr(rest, ' '))
					continue;
				kd_buf e = KD_BUF_INIT;
				kd_buf_printf(&e, "%s:%s", rest, commands[k].summary);
				squote(&t, kd_buf_cstr(&e));
				kd_buf_putc(&t, ' ');
				kd_buf_free(&e);
			}
		} else {
			children(&t, path, false, " ");
		}
		if (!t.len)
			continue;
		kd_buf_puts(b, "\t");
		squote(b, path);
		if (zsh)
			kd_buf_printf(b, ") reply=(%s) ;;\n", kd_buf_cstr(&t));
		else
			kd_buf_printf(b, ") echo '%s' ;;\n", kd_buf_cstr(&t));
	}
	kd_buf_puts(b, zsh ? "\t*) reply=() ;;\n\tesac\n}\n\n" : "\tesac\n}\n\n");

	kd_buf_puts(b, "__kubectl_kudo_flags() {\n\tcase \"$1\" in\n");
	for (size_t i = 0; i < KD_ARRAY_SIZE(commands); i++) {
		kd_buf_clear(&t);
		flag_words(&t, commands[i].path, zsh);
		kd_buf_puts(b, "\t");
		squote(b, commands[i].path);
		if (zsh)
			kd_buf_printf(b, ") reply=(%s) ;;\n", kd_buf_cstr(&t));
		else
			kd_buf_printf(b, ") echo '%s' ;;\n", kd_buf_cstr(&t));
	}
	kd_buf_puts(b, zsh ? "\t*) reply=('--help:show the help') ;;\n\tesac\n}\n\n" : "\t*) echo '--help' ;;\n\tesac\n}\n\n");

	kd_buf_puts(b, "__kubectl_kudo_args() {\n\tcase \"$1\" in\n");
	for (size_t i = 0; i < KD_ARRAY_SIZE(commands); i++) {
		if (!commands[i].args)
			continue;
		kd_buf_puts(b, "\t");
		squote(b, commands[i].path);
		kd_buf_printf(b, ") echo %s ;;\n", commands[i].args);
	}
	kd_buf_puts(b, "\tesac\n}\n\n");
	kd_buf_free(&t);

	kd_buf_puts(b, "__kubectl_kudo_value_flags='");
	value_flags(b);
	kd_buf_puts(b, "'\n__kubectl_kudo_packages=");
	kd_buf p = KD_BUF_INIT;
	shipped(&p);
	squote(b, kd_buf_cstr(&p));
	kd_buf_free(&p);
	kd_buf_puts(b, "\n\n");
	/* value kinds per flag form */
	kd_buf_puts(b, "__kubectl_kudo_value_kind() {\n\tcase \"$1\" in\n");
	for (size_t i = 0; i < KD_ARRAY_SIZE(flag_help); i++) {
		if (!flag_help[i].value)
			continue;
		kd_buf_puts(b, "\t");
		forms(b, flag_help[i].name);
		kd_buf_puts(b, ") echo ");
		squote(b, flag_help[i].value);
		kd_buf_puts(b, " ;;\n");
	}
	kd_buf_puts(b, "\t*) echo none ;;\n\tesac\n}\n\n");
}

/* Shell code both scripts share: the cluster look-ups behind instance, namespace and context
 * values. "$@" holds the connection flags seen on the line (as --flag=value words). */
static const char lookups[] =
	"# Cluster look-ups, with the connection flags given on the line; each gives up after a few\n"
	"# seconds so a slow or absent cluster never hangs the shell.\n"
	"__kubectl_kudo_timeout() {\n"
	"\tif command -v timeout >/dev/null 2>&1; then timeout 5 \"$@\"; else \"$@\"; fi\n"
	"}\n"
	"__kubectl_kudo_instances() {\n"
	"\t__kubectl_kudo_timeout \"$__kubectl_kudo_self\" get instances \"$@\" 2>/dev/null |\n"
	"\t\tawk 'NR > 1 { print $1 }'\n"
	"}\n"
	"__kubectl_kudo_namespaces() {\n"
	"\tcommand -v kubectl >/dev/null 2>&1 || return 0\n"
	"\tlocal a kc=()\n"
	"\tfor a in \"$@\"; do case \"$a\" in --namespace=*) ;; *) kc+=(\"$a\") ;; esac; done\n"
	"\t__kubectl_kudo_timeout kubectl get namespaces -o 'custom-columns=:metadata.name' --no-headers \"${kc[@]}\" "
	"2>/dev/null\n"
	"}\n"
	"__kubectl_kudo_contexts() {\n"
	"\tcommand -v kubectl >/dev/null 2>&1 || return 0\n"
	"\tlocal a kc=()\n"
	"\tfor a in \"$@\"; do case \"$a\" in --kubeconfig=*) kc+=(\"$a\") ;; esac; done\n"
	"\tkubectl config get-contexts -o name \"${kc[@]}\" 2>/dev/null\n"
	"}\n\n";

static const char bash_main[] =
	"_kubectl_kudo() {\n"
	"\tlocal cur=${COMP_WORDS[COMP_CWORD]} cmdpath='' w flag val i=1 subs kind\n"
	"\tlocal -a conn=()\n"
	"\t__kubectl_kudo_self=${COMP_WORDS[0]}\n"
	"\tCOMPREPLY=()\n"
	"\t# The words before the cursor: subcommands, flags and their values, arguments.\n"
	"\twhile [ \"$i\" -lt \"$COMP_CWORD\" ]; do\n"
	"\t\tw=${COMP_WORDS[i]}\n"
	"\t\tif [[ $w == -* ]]; then\n"
	"\t\t\tflag=${w%%=*}\n"
	"\t\t\tval=''\n"
	"\t\t\tif [[ $w == *=* ]]; then\n"
	"\t\t\t\tval=${w#*=}\n"
	"\t\t\telif [[ $__kubectl_kudo_value_flags == *\" $flag \"* ]]; then\n"
	"\t\t\t\tif [ \"${COMP_WORDS[i+1]}\" = '=' ]; then\n"
	"\t\t\t\t\tval=${COMP_WORDS[i+2]}\n"
	"\t\t\t\t\ti=$((i + 2))\n"
	"\t\t\t\telse\n"
	"\t\t\t\t\tval=${COMP_WORDS[i+1]}\n"
	"\t\t\t\t\ti=$((i + 1))\n"
	"\t\t\t\tfi\n"
	"\t\t\tfi\n"
	"\t\t\tcase \"$flag\" in\n"
	"\t\t\t-n | --namespace) conn+=(\"--namespace=$val\") ;;\n"
	"\t\t\t--kubeconfig | --context | --cluster | --user) conn+=(\"$flag=$val\") ;;\n"
	"\t\t\tesac\n"
	"\t\telse\n"
	"\t\t\tsubs=\" $(__kubectl_kudo_subs \"$cmdpath\") \"\n"
	"\t\t\tif [[ $subs == *\" $w \"* ]]; then cmdpath=${cmdpath:+$cmdpath }$w; fi\n"
	"\t\tfi\n"
	"\t\ti=$((i + 1))\n"
	"\tdone\n"
	"\t# The value of a flag: after \"--flag \", \"--flag=\" (bash splits at '=') or \"--flag=x\".\n"
	"\tflag=''\n"
	"\tif [ \"$cur\" = '=' ] && [ \"$COMP_CWORD\" -gt 1 ]; then\n"
	"\t\tflag=${COMP_WORDS[COMP_CWORD-1]}\n"
	"\t\tcur=''\n"
	"\telif [ \"$COMP_CWORD\" -gt 2 ] && [ \"${COMP_WORDS[COMP_CWORD-1]}\" = '=' ]; then\n"
	"\t\tflag=${COMP_WORDS[COMP_CWORD-2]}\n"
	"\telif [ \"$COMP_CWORD\" -gt 1 ] && [[ $__kubectl_kudo_value_flags == *\" ${COMP_WORDS[COMP_CWORD-1]} \"* ]]; then\n"
	"\t\tflag=${COMP_WORDS[COMP_CWORD-1]}\n"
	"\tfi\n"
	"\tif [ -n \"$flag\" ]; then\n"
	"\t\tkind=$(__kubectl_kudo_value_kind \"$flag\")\n"
	"\t\tcase \"$kind\" in\n"
	"\t\tnone) ;;\n"
	"\t\tinstance) COMPREPLY=($(compgen -W \"$(__kubectl_kudo_instances \"${conn[@]}\")\" -- \"$cur\")) ;;\n"
	"\t\tnamespace) COMPREPLY=($(compgen -W \"$(__kubectl_kudo_namespaces \"${conn[@]}\")\" -- \"$cur\")) ;;\n"
	"\t\tcontext) COMPREPLY=($(compgen -W \"$(__kubectl_kudo_contexts \"${conn[@]}\")\" -- \"$cur\")) ;;\n"
	"\t\tfile)\n"
	"\t\t\tcompopt -o filenames 2>/dev/null\n"
	"\t\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
	"\t\t\t;;\n"
	"\t\t*) COMPREPLY=($(compgen -W \"$kind\" -- \"$cur\")) ;;\n"
	"\t\tesac\n"
	"\t\treturn 0\n"
	"\tfi\n"
	"\tif [[ $cur == -* ]]; then\n"
	"\t\tCOMPREPLY=($(compgen -W \"$(__kubectl_kudo_flags \"$cmdpath\")\" -- \"$cur\"))\n"
	"\t\treturn 0\n"
	"\tfi\n"
	"\tsubs=$(__kubectl_kudo_subs \"$cmdpath\")\n"
	"\tif [ -n \"$subs\" ]; then\n"
	"\t\tCOMPREPLY=($(compgen -W \"$subs\" -- \"$cur\"))\n"
	"\t\treturn 0\n"
	"\tfi\n"
	"\tif [ \"$(__kubectl_kudo_args \"$cmdpath\")\" = package ]; then\n"
	"\t\tcompopt -o filenames 2>/dev/null\n"
	"\t\tCOMPREPLY=($(compgen -W \"$__kubectl_kudo_packages\" -- \"$cur\") $(compgen -f -- \"$cur\"))\n"
	"\tfi\n"
	"\treturn 0\n"
	"}\n"
	"\n"
	"complete -F _kubectl_kudo kubectl-kudo\n";

static const char zsh_main[] =
	"_kubectl_kudo() {\n"
	"\tlocal cmdpath='' w flag val i=2 kind cur=$words[CURRENT]\n"
	"\tlocal -a conn reply\n"
	"\t__kubectl_kudo_self=$words[1]\n"
	"\t# The words before the cursor: subcommands, flags and their values, arguments.\n"
	"\twhile (( i < CURRENT )); do\n"
	"\t\tw=$words[i]\n"
	"\t\tif [[ $w == -* ]]; then\n"
	"\t\t\tflag=${w%%=*}\n"
	"\t\t\tval=''\n"
	"\t\t\tif [[ $w == *=* ]]; then\n"
	"\t\t\t\tval=${w#*=}\n"
	"\t\t\telif [[ $__kubectl_kudo_value_flags == *\" $flag \"* ]]; then\n"
	"\t\t\t\t(( i++ ))\n"
	"\t\t\t\tval=$words[i]\n"
	"\t\t\tfi\n"
	"\t\t\tcase $flag in\n"
	"\t\t\t(-n|--namespace) conn+=(\"--namespace=$val\") ;;\n"
	"\t\t\t(--kubeconfig|--context|--cluster|--user) conn+=(\"$flag=$val\") ;;\n"
	"\t\t\tesac\n"
	"\t\telse\n"
	"\t\t\t__kubectl_kudo_subs \"$cmdpath\"\n"
	"\t\t\tif (( ${reply[(I)$w:*]} )); then cmdpath=${cmdpath:+$cmdpath }$w; fi\n"
	"\t\tfi\n"
	"\t\t(( i++ ))\n"
	"\tdone\n"
	"\t# The value of a flag: after \"--flag \" or in \"--flag=...\".\n"
	"\tflag=''\n"
	"\tif [[ $cur == -*=* ]]; then\n"
	"\t\tflag=${cur%%=*}\n"
	"\t\tcompset -P '*='\n"
	"\telif (( CURRENT > 2 )) && [[ $__kubectl_kudo_value_flags == *\" $words[CURRENT-1] \"* ]]; then\n"
	"\t\tflag=$words[CURRENT-1]\n"
	"\tfi\n"
	"\tif [[ -n $flag ]]; then\n"
	"\t\tkind=$(__kubectl_kudo_value_kind \"$flag\")\n"
	"\t\tcase $kind in\n"
	"\t\t(none) _message 'value' ;;\n"
	"\t\t(instance) compadd -- ${(f)\"$(__kubectl_kudo_instances \"${conn[@]}\")\"} ;;\n"
	"\t\t(namespace) compadd -- ${(f)\"$(__kubectl_kudo_namespaces \"${conn[@]}\")\"} ;;\n"
	"\t\t(context) compadd -- ${(f)\"$(__kubectl_kudo_contexts \"${conn[@]}\")\"} ;;\n"
	"\t\t(file) _files ;;\n"
	"\t\t(*) compadd -- ${=kind} ;;\n"
	"\t\tesac\n"
	"\t\treturn 0\n"
	"\tfi\n"
	"\tif [[ $cur == -* ]]; then\n"
	"\t\t__kubectl_kudo_flags \"$cmdpath\"\n"
	"\t\t_describe -t flags 'flag' reply\n"
	"\t\treturn 0\n"
	"\tfi\n"
	"\t__kubectl_kudo_subs \"$cmdpath\"\n"
	"\tif (( ${#reply} )); then\n"
	"\t\t_describe -t commands 'command' reply\n"
	"\t\treturn 0\n"
	"\tfi\n"
	"\tif [[ $(__kubectl_kudo_args \"$cmdpath\") == package ]]; then\n"
	"\t\t[[ -n $__kubectl_kudo_packages ]] && compadd -- ${=__kubectl_kudo_packages}\n"
	"\t\t_files\n"
	"\tfi\n"
	"\treturn 0\n"
	"}\n"
	"\n"
	"if [[ $funcstack[1] == _kubectl-kudo ]]; then\n"
	"\t_kubectl_kudo \"$@\"\n"
	"else\n"
	"\tcompdef _kubectl_kudo kubectl-kudo\n"
	"fi\n";

int kd_cli__completion_script(kd_buf *out, const char *shell)
{
	bool zsh = strcmp(shell, "zsh") == 0;
	if (!zsh && strcmp(shell, "bash") != 0)
		return kd_cli_usage("completion: unknown shell \"%s\" (bash or zsh)", shell);
	if (zsh)
		kd_buf_puts(out, "#compdef kubectl-kudo\n"
				 "# zsh completion for kubectl-kudo, generated by `kubectl-kudo completion zsh` from the\n"
				 "# command table kubectl-kudo parses its flags with. Load it in ~/.zshrc (after compinit):\n"
				 "#   source <(kubectl-kudo completion zsh)\n"
				 "# or save it as _kubectl-kudo in a folder of $fpath.\n\n");
	else
		kd_buf_puts(out, "# bash completion for kubectl-kudo, generated by `kubectl-kudo completion bash` from the\n"
				 "# command table kubectl-kudo parses its flags with. Load it in ~/.bashrc:\n"
				 "#   source <(kubectl-kudo completion bash)\n"
				 "# or save it as ~/.local/share/bash-completion/completions/kubectl-kudo.\n\n");
	gen_tables(out, zsh);
	kd_buf_puts(out, lookups);
	kd_buf_puts(out, zsh ? zsh_main : bash_main);
	return kd_buf_check(out, "completion script");
}

static const char completion_help[] =
	"Usage: kubectl-kudo completion bash|zsh\n"
	"\n"
	"Prints a script that completes kubectl-kudo's commands, subcommands and flags, PACKAGE\n"
	"arguments (folders, .tgz files and the packages kudoc ships) and flag values: --instance from\n"
	"`kubectl-kudo get instances` (with the -n and kubeconfig flags already on the line), -n and\n"
	"--context through kubectl when it is installed, -o, --kubeconfig and -P files. Cluster\n"
	"look-ups give up after 5 seconds.\n"
	"\n"
	"Examples:\n"
	"  source <(kubectl-kudo completion bash)        # in ~/.bashrc\n"
	"  source <(kubectl-kudo completion zsh)         # in ~/.zshrc, after compinit\n"
	"  kubectl-kudo completion bash > ~/.local/share/bash-completion/completions/kubectl-kudo\n"
	"\n"
	"Exit codes: 0 success, 2 usage error.\n";

int kd_cmd_completion(int argc, char **argv)
{
	kd_cli_opts o;
	kd_buf out = KD_BUF_INIT;
	int rc = kd_cli_parse(&o, argc, argv, kd_cli__command_flags("completion"));
	if (rc == 0 && o.help) {
		fputs(completion_help, stdout);
		goto done;
	}
	if (rc == 0 && o.nargs != 1)
		rc = kd_cli_usage("completion needs one shell: bash or zsh");
	if (rc == 0)
		rc = kd_cli__completion_script(&out, o.args[0]);
	if (rc == 0)
		rc = kd_cli__write_stdout(kd_buf_cstr(&out), out.len);
done:
	kd_buf_free(&out);
	kd_cli_opts_free(&o);
	return rc ? kd_cli_fail(rc) : KD_EXIT_OK;
}
