/* Progress of a running plan. On a terminal: the status tree redrawn in place (plan, phases,
 * steps, tasks, each waiting object with its reason, elapsed times), with log lines above it.
 * Elsewhere (CI, pipes): one line per status change and per change of what a step waits for.
 * Both end with the final tree. The executor calls the observer from its threads with its
 * lock held, so the observer only copies; a ticker thread draws. */
#include <pthread.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../plans/plans.h"
#include "cli.h"
#include "cli_internal.h"

struct kd_cli_progress {
	FILE *out;
	bool tty;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t ticker;
	bool ticking, stop;
	kd_plan_status *snap; /* the newest copy of the tree */
	kd_plan_status *seen; /* plain mode: what was printed already */
	char *instance, *version;
	kd_buf pending_lines; /* log lines to print above the tree */
	int drawn;            /* lines of the tree on screen */
};

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void stamp(char *b, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(b, n, "%H:%M:%S", &tm);
}

static void tree(kd_buf *b, struct kd_cli_progress *p, bool color)
{
	kd_plan_status_print_options po = {p->instance, p->version, now_us(), true, color};
	kd_plan_status_print(b, p->snap, &po);
}

/* Appends line `s` (n bytes, no newline) cut to `cols` columns: escape sequences take no
 * room, a UTF-8 sequence one column. A cut line ends in "…" and resets the colours. */
static void put_fitted(kd_buf *b, const char *s, size_t n, int cols)
{
	int used = 0;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\033') {
			size_t k = i + 1;
			if (k < n && s[k] == '[') {
				k++;
				while (k < n && !((s[k] >= '@' && s[k] <= '~')))
					k++;
				k++;
			}
			kd_buf_put(b, s + i, (k < n ? k : n) - i);
			i = k;
			continue;
		}
		size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
		if (used == cols - 1 && i + len < n) {
			kd_buf_puts(b, "\xe2\x80\xa6\033[0m"); /* … */
			return;
		}
		kd_buf_put(b, s + i, i + len <= n ? len : n - i);
		used++;
		i += len;
	}
}

/* The terminal's size; 0 when unknown. */
static void term_size(FILE *out, int *cols, int *rows)
{
	struct winsize ws;
	*cols = *rows = 0;
	if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0) {
		*cols = ws.ws_col;
		*rows = ws.ws_row;
	}
}

/* Locked. Clears the tree drawn last, prints pending lines, draws the tree again. The tree is
 * fitted to the terminal: a line wider than the screen would wrap and a tree taller than it
 * would scroll, and either way moving the cursor up by the lines drawn would no longer reach
 * the tree's top, leaving copies of it on the screen. The final tree is drawn once, whole. */
static void redraw(struct kd_cli_progress *p, bool final)
{
	kd_buf b = KD_BUF_INIT;
	if (p->drawn > 0)
		kd_buf_printf(&b, "\033[%dA\r\033[J", p->drawn);
	kd_buf_puts(&b, kd_buf_cstr(&p->pending_lines));
	kd_buf_clear(&p->pending_lines);
	p->drawn = 0;
	if (p->snap) {
		kd_buf t = KD_BUF_INIT;
		int cols, rows;
		term_size(p->out, &cols, &rows);
		if (final)
			cols = rows = 0;
		tree(&t, p, true);
		int total = 0;
		for (size_t i = 0; i < t.len; i++)
			total += t.ptr[i] == '\n';
		/* room for the tree: the screen less the line the cursor rests on */
		int room = rows > 2 ? rows - 1 : total;
		const char *line = kd_buf_cstr(&t);
		for (int k = 0; k < total; k++) {
			const char *nl = strchr(line, '\n');
			if (total > room && k == room - 1) {
				kd_buf_printf(&b, "\u2026 %d more lines\n", total - k);
				p->drawn++;
				break;
			}
			if (cols > 1)
				put_fitted(&b, line, (size_t)(nl - line), cols);
			else
				kd_buf_put(&b, line, (size_t)(nl - line));
			kd_buf_putc(&b, '\n');
			p->drawn++;
			line = nl + 1;
		}
		kd_buf_free(&t);
	}
	fwrite(kd_buf_cstr(&b), 1, b.len, p->out);
	fflush(p->out);
	kd_buf_free(&b);
}

static void *tick_main(void *arg)
{
	struct kd_cli_progress *p = arg;
	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		redraw(p, false);
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

kd_cli_progress *kd_cli__progress_new(FILE *out)
{
	struct kd_cli_progress *p = kd_calloc(1, sizeof(*p));
	const char *term = getenv("TERM");
	p->out = out;
	p->tty = isatty(fileno(out)) && term && strcmp(term, "dumb") != 0 && !getenv("KUDOC_PLAIN");
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	return p;
}

/* Plain mode, locked: a line for every part whose state changed, and for every change of what
 * a step waits for. */
static bool ends(kd_exec_state s)
{
	return s == KD_EXEC_COMPLETE || s == KD_EXEC_FATAL_ERROR;
}

/* Plain mode, locked: a line for every part whose state changed, and for every change of what
 * a step waits for. Starts read top-down (plan, phase, step), ends bottom-up. */
static void plain_changes(struct kd_cli_progress *p)
{
	const kd_plan_status *n = p->snap, *o = p->seen;
	char ts[16];
	kd_buf b = KD_BUF_INIT, plan_end = KD_BUF_INIT;
	stamp(ts, sizeof(ts));
	if (!o || o->h.state != n->h.state) {
		kd_buf *t = ends(n->h.state) ? &plan_end : &b;
		kd_buf_printf(t, "%s plan %s %s", ts, n->h.name, kd_exec_state_name(n->h.state));
		if (n->h.message) {
			kd_buf_puts(t, ": ");
			kd_buf_put_printable(t, n->h.message);
		}
		kd_buf_putc(t, '\n');
	}
	for (size_t h = 0; h < n->nphases; h++) {
		const kd_phase_status *np = &n->phases[h], *op = o && h < o->nphases ? &o->phases[h] : NULL;
		bool changed = (!op && np->h.state != KD_EXEC_NEVER_RUN) || (op && op->h.state != np->h.state);
		if (changed && !ends(np->h.state))
			kd_buf_printf(&b, "%s phase %s %s\n", ts, np->h.name, kd_exec_state_name(np->h.state));
		for (size_t s = 0; s < np->nsteps; s++) {
			const kd_step_status *ns = &np->steps[s], *os = op && s < op->nsteps ? &op->steps[s] : NULL;
			bool sc = (!os && ns->h.state != KD_EXEC_NEVER_RUN) || (os && os->h.state != ns->h.state);
			bool msg_changed = os && ns->h.message && (!os->h.message || strcmp(os->h.message, ns->h.message) != 0);
			if (sc || msg_changed) {
				kd_buf_printf(&b, "%s step %s/%s %s", ts, np->h.name, ns->h.name, kd_exec_state_name(ns->h.state));
				if (ns->h.message && ns->h.state != KD_EXEC_COMPLETE) {
					kd_buf_puts(&b, ": ");
					kd_buf_put_printable(&b, ns->h.message);
				}
				kd_buf_putc(&b, '\n');
			}
			for (size_t w = 0; w < ns->nwaiting; w++) {
				bool known = false;
				for (size_t k = 0; os && k < os->nwaiting && !known; k++)
					known = strcmp(os->waiting[k], ns->waiting[w]) == 0;
				if (!known) {
					kd_buf_printf(&b, "%s   waiting: ", ts);
					kd_buf_put_printable(&b, ns->waiting[w]);
					kd_buf_putc(&b, '\n');
				}
			}
		}
		if (changed && ends(np->h.state))
			kd_buf_printf(&b, "%s phase %s %s\n", ts, np->h.name, kd_exec_state_name(np->h.state));
	}
	kd_buf_puts(&b, kd_buf_cstr(&plan_end));
	fwrite(kd_buf_cstr(&b), 1, b.len, p->out);
	fflush(p->out);
	kd_buf_free(&b);
	kd_buf_free(&plan_end);
	kd_plan_status_free(p->seen);
	p->seen = kd_plan_status_dup(n);
}

void kd_cli__progress_observer(void *payload, kd_exec_event ev, const kd_revision *rev, const char *line)
{
	struct kd_cli_progress *p = payload;
	pthread_mutex_lock(&p->mu);
	if (rev && rev->instance && (!p->instance || strcmp(p->instance, rev->instance) != 0)) {
		free(p->instance);
		p->instance = kd_strdup(rev->instance);
	}
	if (rev && rev->operator_name) {
		free(p->version);
		kd_buf v = KD_BUF_INIT;
		kd_buf_printf(&v, "%s-%s", rev->operator_name, rev->operator_version ? rev->operator_version : "");
		p->version = kd_buf_detach(&v);
	}
	if (ev == KD_EXEC_EV_LOG && line) {
		char ts[16];
		stamp(ts, sizeof(ts));
		kd_buf l = KD_BUF_INIT;
		kd_buf_put_printable(&l, line);
		if (p->tty) {
			kd_buf_printf(&p->pending_lines, "%s\n", kd_buf_cstr(&l));
		} else {
			fprintf(p->out, "%s %s\n", ts, kd_buf_cstr(&l));
			fflush(p->out);
		}
		kd_buf_free(&l);
	} else if (rev && rev->status) {
		kd_plan_status *copy = kd_plan_status_dup(rev->status);
		if (copy) {
			kd_plan_status_free(p->snap);
			p->snap = copy;
			if (!p->tty)
				plain_changes(p);
		}
	}
	if (p->tty && !p->ticking) {
		p->ticking = pthread_create(&p->ticker, NULL, tick_main, p) == 0;
	}
	pthread_mutex_unlock(&p->mu);
}

void kd_cli__progress_finish(kd_cli_progress *p, bool show_tree)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	if (p->ticking)
		pthread_join(p->ticker, NULL);
	pthread_mutex_lock(&p->mu);
	if (p->tty) {
		if (!show_tree) {
			kd_plan_status_free(p->snap);
			p->snap = NULL;
		}
		redraw(p, true);
	} else if (show_tree && p->snap) {
		kd_buf b = KD_BUF_INIT;
		tree(&b, p, false);
		fwrite(kd_buf_cstr(&b), 1, b.len, p->out);
		fflush(p->out);
		kd_buf_free(&b);
	}
	pthread_mutex_unlock(&p->mu);
}

void kd_cli__progress_free(kd_cli_progress *p)
{
	if (!p)
		return;
	kd_plan_status_free(p->snap);
	kd_plan_status_free(p->seen);
	free(p->instance);
	free(p->version);
	kd_buf_free(&p->pending_lines);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}
