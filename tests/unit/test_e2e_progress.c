/* The progress view of install, for real: in a terminal (tmux: a real pty, captured with
 * capture-pane while the plan runs) the tree is redrawn in place, names what a step waits for
 * and counts time; through a pipe, one line per status change, in order. The package's
 * Deployment becomes ready a few seconds after its pod starts (testenv's ready-after). tmux is
 * required (./dev installs it): without it these tests fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../base/base.h"
#include "../../kube/kube.h"
#include "e2e.h"
#include "run_cmd.h"
#include "test.h"

static void drop_namespace(const char *ns)
{
	kd_e2e_ns_drop(kd_strdup(ns));
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* One terminal: a tmux session running one install, and what capture-pane showed. */
typedef struct {
	const char *session, *instance;
	int cols, rows;
	char **caps;
	size_t ncaps;
	bool done;
} term;

static void term_start(term *t, const char *sock, const char *ns, const char *ready_after)
{
	kd_buf err = KD_BUF_INIT;
	/* The session's shell prints the exit code and stays, so the final screen can be read. */
	int rc = kd_t_sh(NULL, &err,
		"tmux -L '%s' new-session -d -x %d -y %d -s '%s' \"env -u KUDOC_PLAIN TERM=xterm '%s' install '%s/tests/e2e/packages/slowready' "
		"--instance '%s' -n '%s' --create-namespace --kubeconfig '%s' -p readyAfter=%s; echo kudoc-exit=\\$?; sleep 600\"",
		sock, t->cols, t->rows, t->session, kd_test_exe(), kd_test_root(), t->instance, ns, kd_test_kubeconfig(),
		ready_after);
	CHECK_INT(rc, 0);
	if (rc)
		fprintf(stderr, "  tmux: %s\n", kd_buf_cstr(&err));
	kd_buf_free(&err);
}

static void term_capture(term *t, const char *sock)
{
	kd_buf out = KD_BUF_INIT;
	if (kd_t_sh(&out, NULL, "tmux -L '%s' capture-pane -p -t '%s'", sock, t->session) != 0) {
		kd_buf_free(&out);
		return;
	}
	t->caps = kd_realloc(t->caps, (t->ncaps + 1) * sizeof(char *));
	t->caps[t->ncaps++] = kd_buf_detach(&out);
	if (strstr(t->caps[t->ncaps - 1], "kudoc-exit="))
		t->done = true;
}

static void term_free(term *t)
{
	for (size_t i = 0; i < t->ncaps; i++)
		free(t->caps[i]);
	free(t->caps);
}

static const char *const tree_lines[] = {
	"Plan deploy (serial strategy) [", "Phase main (serial strategy) [", "Step config [", "Step app [",
	"Task config (Apply) [", "Task web (Apply) [", "waiting: ", "(Operator-Version: \"slowready-0.1.0\"",
};

/* Each part of the tree at most once on the screen: it was redrawn in place, not again below. */
static bool no_duplicates(const char *screen, const char *what)
{
	bool ok = true;
	for (size_t i = 0; i < KD_ARRAY_SIZE(tree_lines); i++) {
		int n = kd_t_count_lines(screen, tree_lines[i]);
		if (n > 1) {
			fprintf(stderr, "  %s: \"%s\" is on the screen %d times:\n%s\n", what, tree_lines[i], n, screen);
			ok = false;
		}
	}
	return ok;
}

/* The elapsed time on the running plan's line, in seconds; -1 when it is not running. */
static long plan_elapsed(const char *screen)
{
	const char *p = strstr(screen, "Plan deploy (serial strategy) [IN_PROGRESS] ");
	if (!p)
		return -1;
	p += strlen("Plan deploy (serial strategy) [IN_PROGRESS] ");
	char *end = NULL;
	long v = strtol(p, &end, 10);
	if (end == p)
		return -1;
	if (*end == 'm') { /* 1m05s */
		long s = strtol(end + 1, &end, 10);
		v = v * 60 + s;
	}
	return v;
}

TEST(e2e_progress_terminal_tree_redrawn_in_place)
{
	kd_buf out = KD_BUF_INIT;
	if (!CHECK_INT(kd_t_sh(&out, NULL, "command -v tmux"), 0)) {
		fprintf(stderr, "  tmux is missing: ./dev install installs it\n");
		kd_buf_free(&out);
		return;
	}
	kd_buf_free(&out);
	char sock[64], ns[64];
	snprintf(sock, sizeof(sock), "kudoc-test-%d", (int)getpid());
	snprintf(ns, sizeof(ns), "kd-e2e-progress-%d", (int)getpid() % 100000);
	/* The usual view; one whose waiting line is wider than the screen (it would wrap, and a
	 * cursor moved up by the lines printed would miss the tree's top); one with a screen lower
	 * than the tree. */
	term ts[3] = {
		{"plain", "tty-view", 120, 40, NULL, 0, false},
		{"wide", "a-progress-view-instance-whose-name-makes-the-line-wide", 120, 40, NULL, 0, false},
		{"low", "low-screen", 100, 6, NULL, 0, false},
	};
	for (size_t i = 0; i < 3; i++)
		term_start(&ts[i], sock, ns, "4s");
	/* Captures until every install printed its exit code (the deadline only stops a hung run). */
	for (int round = 0; round < 1200; round++) {
		bool all = true;
		for (size_t i = 0; i < 3; i++) {
			if (!ts[i].done)
				term_capture(&ts[i], sock);
			all = all && ts[i].done;
		}
		if (all)
			break;
		sleep_ms(150);
	}
	kd_t_sh(NULL, NULL, "tmux -L '%s' kill-server", sock);

	for (size_t i = 0; i < 3; i++) {
		CHECK(ts[i].done);
		for (size_t k = 0; k < ts[i].ncaps; k++)
			if (!CHECK(no_duplicates(ts[i].caps[k], ts[i].session)))
				break;
	}

	/* The usual view: the waiting line names the Deployment and why, the elapsed time grows,
	 * and the last screen holds the final tree, every step COMPLETE. */
	term *t = &ts[0];
	kd_buf want = KD_BUF_INIT;
	kd_buf_printf(&want, "waiting: Deployment %s/tty-view-web: ", ns);
	bool waited = false;
	long first = -1, last = -1;
	for (size_t k = 0; k < t->ncaps; k++) {
		const char *w = strstr(t->caps[k], kd_buf_cstr(&want));
		if (w && w[want.len] && w[want.len] != '\n') /* a reason follows */
			waited = true;
		long e = plan_elapsed(t->caps[k]);
		if (e >= 0 && first < 0)
			first = e;
		if (e >= 0)
			last = e;
	}
	CHECK(waited);
	CHECK(first >= 0);
	CHECK(last > first);
	const char *fin = t->ncaps ? t->caps[t->ncaps - 1] : "";
	CHECK(strstr(fin, "kudoc-exit=0") != NULL);
	CHECK(strstr(fin, "tty-view (Operator-Version: \"slowready-0.1.0\" Active-Plan: \"deploy\")") != NULL);
	CHECK(strstr(fin, "Plan deploy (serial strategy) [COMPLETE]") != NULL);
	CHECK(strstr(fin, "Phase main (serial strategy) [COMPLETE]") != NULL);
	CHECK(strstr(fin, "Step config [COMPLETE]") != NULL);
	CHECK(strstr(fin, "Step app [COMPLETE]") != NULL);
	CHECK(strstr(fin, "Task web (Apply) [COMPLETE]") != NULL);
	CHECK(strstr(fin, "IN_PROGRESS") == NULL);
	CHECK(strstr(fin, "PENDING") == NULL);
	CHECK(strstr(fin, "waiting:") == NULL);
	CHECK(strstr(fin, "revision 1: plan deploy COMPLETE") != NULL);

	/* The wide one: its waiting line is cut to the screen, and it ends like the other. */
	t = &ts[1];
	bool cut = false;
	for (size_t k = 0; k < t->ncaps; k++) {
		const char *w = strstr(t->caps[k], "waiting: Deployment ");
		const char *nl = w ? strchr(w, '\n') : NULL;
		if (w && nl && nl - w > 3 && strncmp(nl - 3, "\xe2\x80\xa6", 3) == 0)
			cut = true;
	}
	CHECK(cut);
	fin = t->ncaps ? t->caps[t->ncaps - 1] : "";
	CHECK(strstr(fin, "kudoc-exit=0") != NULL);
	CHECK(strstr(fin, "Step app [COMPLETE]") != NULL);

	/* The low one: while it runs, the tree is cut to the screen and says so. */
	t = &ts[2];
	bool more = false;
	for (size_t k = 0; k + 1 < t->ncaps; k++)
		if (strstr(t->caps[k], " more lines"))
			more = true;
	CHECK(more);
	fin = t->ncaps ? t->caps[t->ncaps - 1] : "";
	CHECK(strstr(fin, "kudoc-exit=0") != NULL);

	kd_buf_free(&want);
	for (size_t i = 0; i < 3; i++)
		term_free(&ts[i]);
	drop_namespace(ns);
}

/* Not a terminal: a line per status change (and per new waiting reason), oldest first, each
 * once, no escape sequences; then the final tree. */
TEST(e2e_progress_plain_lines_in_order)
{
	char ns[64];
	snprintf(ns, sizeof(ns), "kd-e2e-plain-%d", (int)getpid() % 100000);
	kd_buf out = KD_BUF_INIT, err = KD_BUF_INIT;
	int rc = kd_t_sh(&out, &err,
		"'%s' install '%s/tests/e2e/packages/slowready' --instance piped -n '%s' --create-namespace --kubeconfig '%s' "
		"-p readyAfter=3s | cat",
		kd_test_exe(), kd_test_root(), ns, kd_test_kubeconfig());
	CHECK_INT(rc, 0);
	const char *text = kd_buf_cstr(&out);
	CHECK(strchr(text, '\033') == NULL);
	kd_buf want = KD_BUF_INIT;
	kd_buf_printf(&want, "revision 1: install of slowready 0.1.0 (plan deploy) in namespace %s", ns);
	char *first = kd_buf_detach(&want);
	kd_buf_printf(&want, "  waiting: Deployment %s/piped-web: ", ns);
	char *waiting = kd_buf_detach(&want);
	const char *expect[] = {first, "plan deploy IN_PROGRESS", "phase main IN_PROGRESS", "step main/config IN_PROGRESS",
		"step main/config COMPLETE", "step main/app IN_PROGRESS", waiting, "step main/app COMPLETE",
		"phase main COMPLETE", "plan deploy COMPLETE"};
	size_t next = 0, nwaiting = 0, stamped = 0;
	bool in_order = true;
	char **seen = NULL;
	size_t nseen = 0;
	for (const char *l = text; *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		char *line = kd_strndup(l, len);
		l = nl ? nl + 1 : l + len;
		/* status lines start with the time: HH:MM:SS */
		bool ts = len > 9 && line[2] == ':' && line[5] == ':' && line[8] == ' ';
		if (!ts) {
			free(line);
			continue;
		}
		stamped++;
		const char *body = line + 9;
		for (size_t i = 0; i < nseen; i++)
			if (strcmp(seen[i], body) == 0) {
				fprintf(stderr, "  printed twice: %s\n", body);
				in_order = false;
			}
		seen = kd_realloc(seen, (nseen + 1) * sizeof(char *));
		seen[nseen++] = kd_strdup(body);
		if (strncmp(body, waiting, strlen(waiting)) == 0 && strlen(body) > strlen(waiting)) {
			nwaiting++;
			if (next == 6)
				next = 7;
			else if (next != 7)
				in_order = false;
		} else if (next < KD_ARRAY_SIZE(expect) && next != 6 && strcmp(body, expect[next]) == 0) {
			next++;
		} else {
			fprintf(stderr, "  unexpected at step %zu: %s\n", next, body);
			in_order = false;
		}
		free(line);
	}
	CHECK(in_order);
	CHECK_INT(next, KD_ARRAY_SIZE(expect));
	CHECK(nwaiting >= 1);
	CHECK(stamped == KD_ARRAY_SIZE(expect) - 1 + nwaiting);
	/* then the final tree, without times of day, and the outcome */
	const char *tree = strstr(text, "piped (Operator-Version: \"slowready-0.1.0\" Active-Plan: \"deploy\")\n");
	CHECK(tree != NULL);
	if (tree) {
		CHECK(strstr(tree, "Step app [COMPLETE]") != NULL);
		CHECK(strstr(tree, "revision 1: plan deploy COMPLETE\n") != NULL);
	}
	for (size_t i = 0; i < nseen; i++)
		free(seen[i]);
	free(seen);
	free(first);
	free(waiting);
	kd_buf_free(&out);
	kd_buf_free(&err);
	drop_namespace(ns);
}
