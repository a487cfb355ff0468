/* `completion bash|zsh`: the command table agrees with what each command accepts, the scripts
 * load in real shells, and completing words gives what a user expects, checked with bash's own
 * `complete -p` and the completion function, and by typing Tab into bash and zsh in tmux.
 * bash, tmux and zsh are required (./dev installs them): without one these tests fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../base/base.h"
#include "../../cli/cli_internal.h"
#include "run_cmd.h"
#include "test.h"

static char *script_file(const char *shell)
{
	kd_buf s = KD_BUF_INIT, path = KD_BUF_INIT;
	/* the shipped packages, wherever the test binary was built */
	kd_buf_printf(&path, "%s/packages", kd_test_root());
	setenv("KUDOC_PACKAGES_DIR", kd_buf_cstr(&path), 1);
	kd_buf_clear(&path);
	CHECK_INT(kd_cli__completion_script(&s, shell), 0);
	kd_buf_printf(&path, "%s/completion.%s", kd_test_tmpdir(), shell);
	kd_test_write_file(kd_buf_cstr(&path), kd_buf_cstr(&s), 0644);
	kd_buf_free(&s);
	return kd_buf_detach(&path);
}

/* What the bash completion function offers for the words `words` (a bash array body), the
 * cursor on the last one; one candidate a line. */
static char *bash_complete(const char *file, const char *words)
{
	kd_buf out = KD_BUF_INIT;
	int rc = kd_t_sh(&out, NULL,
		"cd '%s' && PATH=\"$(dirname '%s')\":\"$PATH\" bash --norc --noprofile -c 'source \"$0\"; COMP_WORDS=(%s); "
		"COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _kubectl_kudo; [ ${#COMPREPLY[@]} -eq 0 ] || printf \"%%s\\n\" \"${COMPREPLY[@]}\" | sort' '%s'",
		kd_test_tmpdir(), kd_test_exe(), words, file);
	CHECK_INT(rc, 0);
	return kd_buf_detach(&out);
}

TEST(completion_bash_script_loads_and_completes)
{
	char *f = script_file("bash");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	CHECK_INT(kd_t_sh(&out, &err, "bash --norc --noprofile -c 'source \"$0\" && complete -p kubectl-kudo' '%s'", f), 0);
	CHECK_STR(kd_buf_cstr(&out), "complete -F _kubectl_kudo kubectl-kudo\n");
	CHECK_STR(kd_buf_cstr(&err), "");
	struct {
		const char *words, *want;
	} cases[] = {
		{"kubectl-kudo ins", "install\n"},
		{"kubectl-kudo u", "uninstall\nupdate\nupgrade\n"},
		{"kubectl-kudo \"\"",
			"completion\ndiff\nget\ninstall\npackage\nplan\nrepo\nrollback\nsearch\nsync\ntemplate\nuninstall\nupdate\nupgrade\nverify\nversion\n"},
		{"kubectl-kudo plan st", "status\n"},
		{"kubectl-kudo plan \"\"", "history\nresume\nstatus\ntrigger\n"},
		{"kubectl-kudo package list p", "params\nplans\n"},
		{"kubectl-kudo completion \"\"", "bash\nzsh\n"},
		{"kubectl-kudo get \"\"", "instances\n"},
		/* flags of the command the line is in, whatever stands between */
		{"kubectl-kudo diff --inst", "--instance\n"},
		{"kubectl-kudo -v diff ./pkg --instance x --for", "--force\n--force-conflicts\n"},
		{"kubectl-kudo plan status --w", "--wait\n"},
		{"kubectl-kudo install --ti", "--timeout\n"},
		{"kubectl-kudo uninstall --fo", ""},
		{"kubectl-kudo sync --instance x --re", "--repair\n"},
		{"kubectl-kudo sync --git-k", "--git-known-hosts\n"},
		{"kubectl-kudo get instances -A --all", "--all-namespaces\n"},
		/* flag values: after a space, after "=" (bash splits there) and inside "--flag=x" */
		{"kubectl-kudo get instances -o \"\"", "json\nyaml\n"},
		{"kubectl-kudo get instances --output = j", "json\n"},
		{"kubectl-kudo get instances --output =", "json\nyaml\n"},
		{"kubectl-kudo install spark --timeout \"\"", ""},
		/* a flag's value is not a subcommand: "plan" here is the value of --plan */
		{"kubectl-kudo template --plan plan sp", "spark\n"},
		/* PACKAGE: the shipped packages and files */
		{"kubectl-kudo install sp", "spark\n"},
		{"kubectl-kudo upgrade completion.b", "completion.bash\n"},
		{"kubectl-kudo update \"\"", ""},
	};
	for (size_t i = 0; i < KD_ARRAY_SIZE(cases); i++) {
		char *got = bash_complete(f, cases[i].words);
		if (!CHECK_STR(got, cases[i].want))
			fprintf(stderr, "    for: %s\n", cases[i].words);
		free(got);
	}
	kd_buf_free(&out);
	kd_buf_free(&err);
	free(f);
}

TEST(completion_zsh_script_parses)
{
	char *f = script_file("zsh");
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	CHECK_INT(kd_t_sh(&out, &err, "zsh -n '%s'", f), 0);
	CHECK_STR(kd_buf_cstr(&err), "");
	/* and zsh -n does check: a broken script fails */
	kd_buf bad = KD_BUF_INIT;
	kd_buf_printf(&bad, "%s/broken.zsh", kd_test_tmpdir());
	kd_test_write_file(kd_buf_cstr(&bad), "_f() {\n\tcase $1 in\n}\n", 0644);
	CHECK(kd_t_sh(&out, &err, "zsh -n '%s'", kd_buf_cstr(&bad)) != 0);
	kd_buf_free(&bad);
	free(f);
	kd_buf_free(&out);
	kd_buf_free(&err);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Types `keys` (tmux send-keys arguments) into a shell in tmux and waits until the screen
 * holds `want` (or gives up after a while); returns the last screen. */
static char *typed(const char *sock, const char *keys, const char *want)
{
	kd_buf out = KD_BUF_INIT;
	kd_t_sh(NULL, NULL, "tmux -L '%s' send-keys -t t -- %s", sock, keys);
	for (int i = 0; i < 100; i++) {
		sleep_ms(100);
		kd_buf_clear(&out);
		kd_t_sh(&out, NULL, "tmux -L '%s' capture-pane -p -t t", sock);
		if (strstr(kd_buf_cstr(&out), want))
			break;
	}
	return kd_buf_detach(&out);
}

/* A real interactive shell: the script sourced the documented way, then Tab pressed. */
static void shell_in_tmux(const char *shell, const char *start, const char *load)
{
	char sock[64];
	kd_buf out = KD_BUF_INIT;
	snprintf(sock, sizeof(sock), "kudoc-compl-%s-%d", shell, (int)getpid());
	if (!CHECK_INT(kd_t_sh(&out, NULL, "command -v tmux && command -v %s", shell), 0)) {
		fprintf(stderr, "  tmux or %s is missing: ./dev install installs them\n", shell);
		kd_buf_free(&out);
		return;
	}
	CHECK_INT(kd_t_sh(NULL, NULL,
			  "cd '%s' && tmux -L '%s' new-session -d -x 150 -y 30 -s t "
			  "\"env -i PATH=\\\"$(dirname '%s')\\\":/usr/bin:/bin HOME='%s' TERM=xterm %s\"",
			  kd_test_tmpdir(), sock, kd_test_exe(), kd_test_tmpdir(), start),
		0);
	char *s = typed(sock, load, "loaded");
	CHECK(strstr(s, "loaded") != NULL);
	free(s);
	s = typed(sock, "'kubectl-kudo ins' Tab", "kubectl-kudo install");
	/* (capture-pane drops trailing spaces: the next words show that one was added) */
	if (!CHECK(strstr(s, "kubectl-kudo install") != NULL))
		fprintf(stderr, "  %s screen:\n%s\n", shell, s);
	free(s);
	s = typed(sock, "'--time' Tab", "kubectl-kudo install --timeout");
	CHECK(strstr(s, "kubectl-kudo install --timeout") != NULL);
	free(s);
	s = typed(sock, "C-u 'kubectl-kudo plan st' Tab", "kubectl-kudo plan status");
	CHECK(strstr(s, "kubectl-kudo plan status") != NULL);
	free(s);
	s = typed(sock, "'-o j' Tab", "kubectl-kudo plan status -o json");
	CHECK(strstr(s, "kubectl-kudo plan status -o json") != NULL);
	free(s);
	kd_t_sh(NULL, NULL, "tmux -L '%s' kill-server", sock);
	kd_buf_free(&out);
}

TEST(completion_bash_in_a_real_shell)
{
	char *f = script_file("bash");
	free(f);
	shell_in_tmux("bash", "bash --norc --noprofile",
		"'source <(kubectl-kudo completion bash) && echo loaded' Enter");
}

TEST(completion_zsh_in_a_real_shell)
{
	shell_in_tmux("zsh", "zsh -f",
		"'autoload -U compinit && compinit -u && source <(kubectl-kudo completion zsh) && echo loaded' Enter");
}

/* The table says what each command accepts; the commands agree: every flag kd_cli_parse knows,
 * given to every command (with --help, so nothing runs), is taken exactly when the table lists
 * it for that command. */
TEST(completion_table_matches_what_commands_accept)
{
	const char *name, *shortf, *longf;
	bool val;
	int mismatches = 0;
	for (size_t i = 0; kd_cli__command_at(i); i++) {
		const kd_cli_command *cmd = kd_cli__command_at(i);
		for (size_t k = 0; kd_cli__flag_at(k, &name, &shortf, &longf, &val); k++) {
			bool listed = false;
			for (const char *p = cmd->flags; *p;) {
				const char *e = strchr(p, ' ');
				size_t len = e ? (size_t)(e - p) : strlen(p);
				if (len == strlen(name) && strncmp(p, name, len) == 0)
					listed = true;
				p = e ? e + 1 : p + len;
			}
			int rc = kd_t_sh(NULL, NULL, "'%s' %s %s%s --help >/dev/null", kd_test_exe(), cmd->path, longf,
				val ? " x" : "");
			if ((rc == 0) != listed) {
				fprintf(stderr, "  %s %s: the command %s it, the table %s it\n", cmd->path, longf,
					rc == 0 ? "takes" : "refuses", listed ? "lists" : "does not list");
				mismatches++;
			}
		}
		/* and every flag listed has a description for zsh */
		for (size_t k = 0; kd_cli__flag_at(k, &name, &shortf, &longf, &val); k++)
			if (strstr(cmd->flags, name) && !kd_cli__flag_help(name, NULL)) {
				fprintf(stderr, "  flag %s has no description\n", name);
				mismatches++;
			}
	}
	CHECK_INT(mismatches, 0);
}

/* Every command `kubectl-kudo --help` lists is in the table, and the other way round. */
TEST(completion_table_has_every_command_of_the_usage)
{
	kd_buf out = KD_BUF_INIT;
	CHECK_INT(kd_t_sh(&out, NULL, "'%s' --help", kd_test_exe()), 0);
	const char *p = strstr(kd_buf_cstr(&out), "Commands:\n");
	CHECK(p != NULL);
	int missing = 0, listed = 0;
	for (p = p ? strchr(p, '\n') + 1 : ""; *p == ' ';) {
		const char *nl = strchr(p, '\n');
		const char *w = p + strspn(p, " ");
		size_t len = strcspn(w, " \n");
		/* continuation lines are indented further */
		if (w - p == 2) {
			char *word = kd_strndup(w, len);
			listed++;
			bool found = false;
			for (size_t i = 0; kd_cli__command_at(i); i++)
				found = found || strcmp(kd_cli__command_at(i)->path, word) == 0;
			if (!found) {
				fprintf(stderr, "  usage lists %s, the table does not\n", word);
				missing++;
			}
			free(word);
		}
		p = nl ? nl + 1 : "";
	}
	for (size_t i = 0; kd_cli__command_at(i); i++) {
		const char *path = kd_cli__command_at(i)->path;
		if (strchr(path, ' '))
			continue;
		kd_buf needle = KD_BUF_INIT;
		kd_buf_printf(&needle, "\n  %s ", path);
		if (!strstr(kd_buf_cstr(&out), kd_buf_cstr(&needle))) {
			fprintf(stderr, "  the table has %s, the usage does not\n", path);
			missing++;
		}
		kd_buf_free(&needle);
	}
	CHECK(listed >= 12);
	CHECK_INT(missing, 0);
	kd_buf_free(&out);
}
