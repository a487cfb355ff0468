/* Line diffs: Myers' O(ND) algorithm in linear space ("An O(ND) Difference Algorithm and Its
 * Variations", 1986, section 4b), searching from both ends for the middle of a shortest edit
 * path and recursing on the two halves, with a cost cap that trades minimality for time on
 * huge, very different inputs; and the unified format of `diff -u` around it. */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../base/json.h"
#include "../base/yaml.h"
#include "plans.h"
#include "plans_internal.h"

typedef struct {
	const char *p;
	size_t len; /* with its '\n' when it has one */
} line;

typedef struct {
	line *v;
	size_t n;
} lines;

static void split_lines(lines *out, const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	if (len && s[len - 1] != '\n')
		n++;
	out->v = kd_calloc(n ? n : 1, sizeof(line));
	out->n = 0;
	size_t start = 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\n') {
			out->v[out->n++] = (line){s + start, i + 1 - start};
			start = i + 1;
		}
	if (start < len)
		out->v[out->n++] = (line){s + start, len - start};
}

static uint64_t hash_line(const line *l)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < l->len; i++) {
		h ^= (unsigned char)l->p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* Gives every distinct line one number, so the search compares integers. */
static void number_lines(long *ia, long *ib, const lines *a, const lines *b)
{
	size_t total = a->n + b->n, cap = 16;
	while (cap < total * 2)
		cap <<= 1;
	struct slot {
		const line *l;
		uint64_t h;
		long id;
	} *tab = kd_calloc(cap, sizeof(*tab));
	long next = 0;
	for (size_t k = 0; k < total; k++) {
		const line *l = k < a->n ? &a->v[k] : &b->v[k - a->n];
		uint64_t h = hash_line(l);
		size_t i = (size_t)h & (cap - 1);
		while (tab[i].l && !(tab[i].h == h && tab[i].l->len == l->len && memcmp(tab[i].l->p, l->p, l->len) == 0))
			i = (i + 1) & (cap - 1);
		if (!tab[i].l) {
			tab[i].l = l;
			tab[i].h = h;
			tab[i].id = next++;
		}
		if (k < a->n)
			ia[k] = tab[i].id;
		else
			ib[k - a->n] = tab[i].id;
	}
	free(tab);
}

typedef struct {
	const long *a, *b;
	bool *del, *ins;  /* a[i] deleted, b[j] inserted */
	long *fwd, *bwd;  /* furthest x per diagonal (x - y), offset so that diagonals may be negative */
	long cost_cap;
} search;

/* A point (*xm, *ym) on a shortest path from (xoff, yoff) to (xlim, ylim), both searches
 * stepping one edit at a time until they meet; diagonals outside the box are kept out with
 * sentinels (-1 forwards, LONG_MAX backwards) beside the live range. */
static void middle(search *s, long xoff, long xlim, long yoff, long ylim, long *xm, long *ym)
{
	long *fd = s->fwd, *bd = s->bwd;
	const long dmin = xoff - ylim, dmax = xlim - yoff;
	const long fmid = xoff - yoff, bmid = xlim - ylim;
	long fmin = fmid, fmax = fmid, bmin = bmid, bmax = bmid;
	const bool odd = ((fmid - bmid) & 1) != 0;
	fd[fmid] = xoff;
	bd[bmid] = xlim;
	for (long cost = 1;; cost++) {
		if (fmin > dmin)
			fd[--fmin - 1] = -1;
		else
			fmin++;
		if (fmax < dmax)
			fd[++fmax + 1] = -1;
		else
			fmax--;
		for (long d = fmax; d >= fmin; d -= 2) {
			long lo = fd[d - 1], hi = fd[d + 1];
			long x = lo < hi ? hi : lo + 1, y = x - d;
			while (x < xlim && y < ylim && s->a[x] == s->b[y])
				x++, y++;
			fd[d] = x;
			if (odd && bmin <= d && d <= bmax && bd[d] <= x) {
				*xm = x;
				*ym = y;
				return;
			}
		}
		if (bmin > dmin)
			bd[--bmin - 1] = LONG_MAX;
		else
			bmin++;
		if (bmax < dmax)
			bd[++bmax + 1] = LONG_MAX;
		else
			bmax--;
		for (long d = bmax; d >= bmin; d -= 2) {
			long lo = bd[d - 1], hi = bd[d + 1];
			long x = lo < hi ? lo : hi - 1, y = x - d;
			while (x > xoff && y > yoff && s->a[x - 1] == s->b[y - 1])
				x--, y--;
			bd[d] = x;
			if (!odd && fmin <= d && d <= fmax && x <= fd[d]) {
				*xm = x;
				*ym = y;
				return;
			}
		}
		if (cost >= s->cost_cap) {
			/* Too expensive: split at the point either search pushed furthest. The result is a
			 * correct diff, not always a shortest one. */
			long best_f = -1, fx = xoff, fy = yoff;
			for (long d = fmax; d >= fmin; d -= 2) {
				long x = fd[d] < xlim ? fd[d] : xlim, y = x - d;
				if (y > ylim) {
					y = ylim;
					x = y + d;
				}
				if (x >= xoff && y >= yoff && x + y > best_f) {
					best_f = x + y;
					fx = x;
					fy = y;
				}
			}
			long best_b = LONG_MAX, bx = xlim, by = ylim;
			for (long d = bmax; d >= bmin; d -= 2) {
				long x = bd[d] > xoff ? bd[d] : xoff, y = x - d;
				if (y < yoff) {
					y = yoff;
					x = y + d;
				}
				if (x <= xlim && y <= ylim && x + y < best_b) {
					best_b = x + y;
					bx = x;
					by = y;
				}
			}
			bool f_ok = best_f >= 0 && !(fx == xlim && fy == ylim) && !(fx == xoff && fy == yoff);
			bool b_ok = best_b != LONG_MAX && !(bx == xoff && by == yoff) && !(bx == xlim && by == ylim);
			if (f_ok && (!b_ok || (fx + fy) - (xoff + yoff) >= (xlim + ylim) - (bx + by))) {
				*xm = fx;
				*ym = fy;
				return;
			}
			if (b_ok) {
				*xm = bx;
				*ym = by;
				return;
			}
			/* Neither moved inside the box (cannot happen after cost >= 1): split in the
			 * middle of a, which still shrinks both halves. */
			*xm = xoff + (xlim - xoff) / 2;
			*ym = yoff;
			return;
		}
	}
}

static void compare(search *s, long xoff, long xlim, long yoff, long ylim)
{
	for (;;) {
		while (xoff < xlim && yoff < ylim && s->a[xoff] == s->b[yoff])
			xoff++, yoff++;
		while (xlim > xoff && ylim > yoff && s->a[xlim - 1] == s->b[ylim - 1])
			xlim--, ylim--;
		if (xoff == xlim) {
			for (long j = yoff; j < ylim; j++)
				s->ins[j] = true;
			return;
		}
		if (yoff == ylim) {
			for (long i = xoff; i < xlim; i++)
				s->del[i] = true;
			return;
		}
		long xm = 0, ym = 0;
		middle(s, xoff, xlim, yoff, ylim, &xm, &ym);
		/* Recurse into the smaller half, loop on the other: the stack stays logarithmic. */
		if ((xm - xoff) + (ym - yoff) < (xlim - xm) + (ylim - ym)) {
			compare(s, xoff, xm, yoff, ym);
			xoff = xm;
			yoff = ym;
		} else {
			compare(s, xm, xlim, ym, ylim);
			xlim = xm;
			ylim = ym;
		}
	}
}

static long isqrt(long v)
{
	long r = 0;
	while ((r + 1) * (r + 1) <= v)
		r++;
	return r;
}

/* ---- unified output ------------------------------------------------------------------------- */

#define C_RESET "\033[0m"
#define C_HEAD "\033[1m"
#define C_HUNK "\033[36m"
#define C_DEL "\033[31m"
#define C_INS "\033[32m"

static void put_line(kd_buf *out, char mark, const line *l, const char *color)
{
	bool nl = l->len && l->p[l->len - 1] == '\n';
	size_t n = nl ? l->len - 1 : l->len;
	if (color)
		kd_buf_puts(out, color);
	kd_buf_putc(out, mark);
	kd_buf_put(out, l->p, n);
	if (color)
		kd_buf_puts(out, C_RESET);
	kd_buf_putc(out, '\n');
	if (!nl)
		kd_buf_puts(out, "\\ No newline at end of file\n");
}

/* "-START,COUNT" as diff -u writes it: the count left out when 1, the line before when 0. */
static void put_range(kd_buf *out, char sign, size_t start, size_t count)
{
	if (count == 1)
		kd_buf_printf(out, "%c%zu", sign, start + 1);
	else
		kd_buf_printf(out, "%c%zu,%zu", sign, count ? start + 1 : start, count);
}

typedef struct {
	size_t ai, an, bj, bn; /* a[ai, ai+an) replaced by b[bj, bj+bn) */
} block;

int kd_diff_unified(kd_buf *out, bool *differ, const char *a_text, size_t alen, const char *b_text, size_t blen,
	const kd_diff_options *o)
{
	kd_diff_options def = KD_DIFF_OPTIONS_INIT;
	lines a, b;
	if (!o)
		o = &def;
	size_t ctx = o->context < 0 ? 3 : (size_t)o->context;
	*differ = false;
	split_lines(&a, a_text ? a_text : "", a_text ? alen : 0);
	split_lines(&b, b_text ? b_text : "", b_text ? blen : 0);
	long na = (long)a.n, nb = (long)b.n;
	long *ia = kd_calloc(a.n + 1, sizeof(long)), *ib = kd_calloc(b.n + 1, sizeof(long));
	number_lines(ia, ib, &a, &b);
	search s = {0};
	s.a = ia;
	s.b = ib;
	s.del = kd_calloc(a.n + 1, sizeof(bool));
	s.ins = kd_calloc(b.n + 1, sizeof(bool));
	/* Diagonals run from -nb-1 to na+1 (the sentinels beside the box included). */
	size_t vn = (size_t)(na + nb + 3);
	long *fv = kd_calloc(vn, sizeof(long)), *bv = kd_calloc(vn, sizeof(long));
	s.fwd = fv + nb + 1;
	s.bwd = bv + nb + 1;
	long cap = isqrt(na + nb);
	s.cost_cap = cap < 256 ? 256 : cap;
	compare(&s, 0, na, 0, nb);

	/* The changes, as blocks of deleted and inserted lines between common ones. */
	block *blocks = NULL;
	size_t nblocks = 0;
	size_t i = 0, j = 0;
	while (i < a.n || j < b.n) {
		if (i < a.n && j < b.n && !s.del[i] && !s.ins[j]) {
			i++, j++;
			continue;
		}
		block bl = {i, 0, j, 0};
		while (i < a.n && (s.del[i] || j >= b.n))
			i++;
		while (j < b.n && (s.ins[j] || i >= a.n))
			j++;
		bl.an = i - bl.ai;
		bl.bn = j - bl.bj;
		blocks = kd_realloc(blocks, (nblocks + 1) * sizeof(*blocks));
		blocks[nblocks++] = bl;
	}
	if (nblocks) {
		*differ = true;
		if (o->from_label || o->to_label) {
			if (o->color)
				kd_buf_puts(out, C_HEAD);
			kd_buf_printf(out, "--- %s", o->from_label ? o->from_label : "");
			if (o->color)
				kd_buf_puts(out, C_RESET);
			kd_buf_putc(out, '\n');
			if (o->color)
				kd_buf_puts(out, C_HEAD);
			kd_buf_printf(out, "+++ %s", o->to_label ? o->to_label : "");
			if (o->color)
				kd_buf_puts(out, C_RESET);
			kd_buf_putc(out, '\n');
		}
	}
	for (size_t k = 0; k < nblocks;) {
		/* One hunk: blocks whose common lines between them fit in twice the context. */
		size_t last = k;
		while (last + 1 < nblocks && blocks[last + 1].ai - (blocks[last].ai + blocks[last].an) <= 2 * ctx)
			last++;
		size_t a0 = blocks[k].ai > ctx ? blocks[k].ai - ctx : 0;
		size_t b0 = blocks[k].bj - (blocks[k].ai - a0);
		size_t aend_changes = blocks[last].ai + blocks[last].an;
		size_t a1 = aend_changes + ctx < a.n ? aend_changes + ctx : a.n;
		size_t b1 = blocks[last].bj + blocks[last].bn + (a1 - aend_changes);
		if (o->color)
			kd_buf_puts(out, C_HUNK);
		kd_buf_puts(out, "@@ ");
		put_range(out, '-', a0, a1 - a0);
		kd_buf_putc(out, ' ');
		put_range(out, '+', b0, b1 - b0);
		kd_buf_puts(out, " @@");
		if (o->color)
			kd_buf_puts(out, C_RESET);
		kd_buf_putc(out, '\n');
		size_t x = a0;
		for (size_t m = k; m <= last; m++) {
			for (; x < blocks[m].ai; x++)
				put_line(out, ' ', &a.v[x], NULL);
			for (size_t d = 0; d < blocks[m].an; d++)
				put_line(out, '-', &a.v[blocks[m].ai + d], o->color ? C_DEL : NULL);
			for (size_t d = 0; d < blocks[m].bn; d++)
				put_line(out, '+', &b.v[blocks[m].bj + d], o->color ? C_INS : NULL);
			x = blocks[m].ai + blocks[m].an;
		}
		for (; x < a1; x++)
			put_line(out, ' ', &a.v[x], NULL);
		k = last + 1;
	}
	free(blocks);
	free(fv);
	free(bv);
	free(s.del);
	free(s.ins);
	free(ia);
	free(ib);
	free(a.v);
	free(b.v);
	return kd_buf_check(out, "diff");
}

/* ---- what a revision would change, object by object ----------------------------------------- */

const char *kd_obj_change_kind_name(kd_obj_change_kind k)
{
	switch (k) {
	case KD_OBJ_CHANGED:
		return "changed";
	case KD_OBJ_ADDED:
		return "added";
	case KD_OBJ_REMOVED:
		return "removed";
	default:
		return "unchanged";
	}
}

/* What the server writes on its own, and kudoc's revision annotation (every object of a new
 * revision gets a new one): left out on both sides, or every object would differ. */
static void drop_noise(cJSON *obj)
{
	static const char *const meta_keys[] = {"managedFields", "resourceVersion", "generation", "uid",
		"creationTimestamp", "selfLink"};
	cJSON *md = kd_json_get(obj, "metadata");
	for (size_t i = 0; i < KD_ARRAY_SIZE(meta_keys); i++)
		cJSON_DeleteItemFromObjectCaseSensitive(md, meta_keys[i]);
	cJSON *ann = kd_json_get(md, "annotations");
	cJSON_DeleteItemFromObjectCaseSensitive(ann, "kudoc.dev/revision");
	if (cJSON_IsObject(ann) && !ann->child)
		cJSON_DeleteItemFromObjectCaseSensitive(md, "annotations");
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
}

static bool is_secret(const cJSON *obj)
{
	const char *av = kd_json_get_str(obj, "apiVersion"), *kind = kd_json_get_str(obj, "kind");
	return av && kind && strcmp(av, "v1") == 0 && strcmp(kind, "Secret") == 0;
}

/* Replaces the values of map `key` of `obj` (data, stringData) with placeholders; on the after
 * side a value that differs from the live one's says so. */
static void redact_map(cJSON *obj, const char *key, const cJSON *live_map, bool after_side)
{
	cJSON *m = kd_json_get(obj, key);
	if (!m)
		return;
	if (!cJSON_IsObject(m)) {
		cJSON_ReplaceItemInObjectCaseSensitive(obj, key, cJSON_CreateString("<redacted>"));
		return;
	}
	for (cJSON *v = m->child; v;) {
		const cJSON *old = after_side ? kd_json_get(live_map, v->string) : NULL;
		bool changed = after_side && old && !kd_json_equal(old, v);
		cJSON *r = cJSON_CreateString(changed ? "<redacted, changed>" : "<redacted>");
		char *k = kd_strdup(v->string);
		cJSON_ReplaceItemInObjectCaseSensitive(m, k, r); /* frees v; r takes its place and key */
		free(k);
		v = r->next;
	}
}

static void redact_annotation(cJSON *obj, const cJSON *live, bool after_side)
{
	static const char key[] = "kubectl.kubernetes.io/last-applied-configuration";
	cJSON *ann = kd_json_path(obj, "metadata", "annotations", NULL);
	cJSON *v = kd_json_get(ann, key);
	if (!v)
		return;
	const cJSON *old = after_side ? kd_json_path(live, "metadata", "annotations", key, NULL) : NULL;
	bool changed = after_side && old && !kd_json_equal(old, v);
	cJSON_ReplaceItemInObjectCaseSensitive(ann, key, cJSON_CreateString(changed ? "<redacted, changed>" : "<redacted>"));
}

/* Secrets: no value is ever shown, on either side. */
static void redact(cJSON *live, cJSON *after)
{
	const cJSON *ref = live && is_secret(live) ? live : NULL;
	cJSON *orig = ref ? cJSON_Duplicate(ref, 1) : NULL;
	if (after && is_secret(after)) {
		redact_map(after, "data", kd_json_get(orig, "data"), true);
		redact_map(after, "stringData", kd_json_get(orig, "stringData"), true);
		redact_annotation(after, orig, true);
	}
	if (live && is_secret(live)) {
		redact_map(live, "data", NULL, false);
		redact_map(live, "stringData", NULL, false);
		redact_annotation(live, NULL, false);
	}
	cJSON_Delete(orig);
}

static bool same_object(const kd_obj_diff *d, const char *api_version, const char *kind, const char *ns,
	const char *name)
{
	const char *s1 = strchr(d->api_version, '/'), *s2 = strchr(api_version, '/');
	size_t g1 = s1 ? (size_t)(s1 - d->api_version) : 0, g2 = s2 ? (size_t)(s2 - api_version) : 0;
	return g1 == g2 && strncmp(d->api_version, api_version, g1) == 0 && strcmp(d->kind, kind) == 0 &&
	       strcmp(d->namespace_, ns) == 0 && strcmp(d->name, name) == 0;
}

/* The item of this object: a new one, or the earlier one (an object a plan applies twice, or
 * applies and later deletes, ends as its last task leaves it). */
static kd_obj_diff *item_for(kd_plan_diff *d, const char *api_version, const char *kind, const char *ns,
	const char *name)
{
	for (size_t i = 0; i < d->nitems; i++)
		if (same_object(&d->items[i], api_version, kind, ns, name)) {
			kd_obj_diff *it = &d->items[i];
			cJSON_Delete(it->live);
			cJSON_Delete(it->after);
			free(it->live_yaml);
			free(it->after_yaml);
			free(it->note);
			free(it->template_name);
			free(it->api_version);
			it->live = it->after = NULL;
			it->live_yaml = it->after_yaml = it->note = it->template_name = NULL;
			it->api_version = kd_strdup(api_version);
			return it;
		}
	d->items = kd_realloc(d->items, (d->nitems + 1) * sizeof(*d->items));
	kd_obj_diff *it = &d->items[d->nitems++];
	memset(it, 0, sizeof(*it));
	it->api_version = kd_strdup(api_version);
	it->kind = kd_strdup(kind);
	it->namespace_ = kd_strdup(ns);
	it->name = kd_strdup(name);
	return it;
}

static void set_note(kd_obj_diff *it, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_note(kd_obj_diff *it, const char *fmt, ...)
{
	kd_buf b = KD_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	kd_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	free(it->note);
	it->note = kd_buf_detach(&b);
}

/* The live object, or NULL (absent, or its kind is not served yet: *served false). */
static int get_live(cJSON **out, bool *served, kd_kube_client *c, const char *api_version, const char *kind,
	const char *ns, const char *name)
{
	kd_kube_mapping m = KD_KUBE_MAPPING_INIT;
	*out = NULL;
	*served = true;
	int rc = kd_kube_mapping_get(&m, c, api_version, kind);
	kd_kube_mapping_clear(&m);
	if (rc == KD_ENOTFOUND) {
		kd_error_clear();
		*served = false;
		return 0;
	}
	if (rc)
		return rc;
	kd_kube_ref ref = {api_version, kind, *ns ? ns : NULL, name, NULL};
	rc = kd_kube_get(out, c, &ref);
	if (rc == KD_ENOTFOUND) {
		kd_error_clear();
		return 0;
	}
	return rc;
}

static void finish_item(kd_obj_diff *it, cJSON *live, cJSON *after)
{
	if (live)
		drop_noise(live);
	if (after)
		drop_noise(after);
	if (live && after)
		it->change = kd_json_equal(live, after) ? KD_OBJ_UNCHANGED : KD_OBJ_CHANGED;
	else if (after)
		it->change = KD_OBJ_ADDED;
	else if (live)
		it->change = KD_OBJ_REMOVED;
	else
		it->change = KD_OBJ_UNCHANGED; /* to be deleted, and already gone */
	redact(live, after);
	it->live = live;
	it->after = after;
}

static bool plan_creates_namespace(const kd_plan_diff *d, const char *ns)
{
	for (size_t i = 0; i < d->nitems; i++) {
		const kd_obj_diff *it = &d->items[i];
		if (strcmp(it->kind, "Namespace") == 0 && strcmp(it->name, ns) == 0 && it->change == KD_OBJ_ADDED)
			return true;
	}
	return false;
}

static int emit_yaml(char **out, const cJSON *v)
{
	kd_buf b = KD_BUF_INIT;
	int rc = v ? kd_yaml_emit(&b, v) : 0;
	if (!rc)
		rc = kd_buf_check(&b, "diff");
	*out = kd_buf_detach(&b);
	return rc;
}

int kd_plan_diff_run(kd_plan_diff **out, kd_exec_plan *p, const kd_revision *next, kd_revision *const *revs,
	size_t nrevs, kd_kube_client *c, const kd_plan_diff_options *o)
{
	kd_plan_diff_options def = KD_PLAN_DIFF_OPTIONS_INIT;
	kd_plan_diff *d = kd_calloc(1, sizeof(*d));
	const kd_rev_object **cand = NULL;
	int rc = 0;
	if (!o)
		o = &def;
	*out = NULL;
	size_t n = kd_exec_plan_size(p);
	for (size_t i = 0; i < n && !rc; i++) {
		bool deleted = false;
		const char *tname = NULL;
		const cJSON *obj = kd_exec_plan_object(p, i, &deleted, &tname);
		const cJSON *md = kd_json_get(obj, "metadata");
		const char *av = kd_json_get_str(obj, "apiVersion"), *kind = kd_json_get_str(obj, "kind");
		const char *ns = kd_json_get_str(md, "namespace"), *name = kd_json_get_str(md, "name");
		cJSON *live = NULL, *after = NULL;
		bool served = true;
		if (!name || !*name) {
			/* metadata.generateName: each run creates a new one */
			kd_obj_diff *it = item_for(d, av, kind, ns ? ns : "", kd_json_get_str(md, "generateName"));
			it->template_name = kd_strdup(tname);
			if (deleted)
				continue;
			set_note(it, "created with a generated name: not checked by the server");
			finish_item(it, NULL, cJSON_Duplicate(obj, 1));
			continue;
		}
		if ((rc = get_live(&live, &served, c, av, kind, ns ? ns : "", name)))
			break;
		kd_obj_diff *it = item_for(d, av, kind, ns ? ns : "", name);
		it->template_name = kd_strdup(tname);
		if (deleted) {
			if (live)
				set_note(it, "deleted by the plan");
			finish_item(it, live, NULL);
			continue;
		}
		if (!served) {
			set_note(it, "its kind comes from a CRD this plan creates: not checked by the server");
			finish_item(it, NULL, cJSON_Duplicate(obj, 1));
			continue;
		}
		if (!live && ns && plan_creates_namespace(d, ns)) {
			set_note(it, "its namespace is created by this plan: not checked by the server");
			finish_item(it, NULL, cJSON_Duplicate(obj, 1));
			continue;
		}
		kd_kube_apply_options ao = KD_KUBE_APPLY_OPTIONS_INIT;
		ao.dry_run = true;
		ao.force = o->force_conflicts;
		rc = kd_kube_apply(&after, c, obj, &ao);
		if (rc) {
			const char *m = kd_error_last();
			char *msg = kd_strdup(m ? m : "");
			kd_error_set(KD_ERR_PLAN, "templates/%s: the server refuses %s %s%s%s: %s%s", tname, kind,
				ns ? ns : "", ns ? "/" : "", name, msg,
				rc == KD_ECONFLICT ? " (another field manager owns these fields; --force-conflicts takes them over)"
						   : "");
			free(msg);
			cJSON_Delete(live);
			break;
		}
		finish_item(it, live, after);
	}
	/* What a COMPLETE run would prune. */
	size_t ncand = rc ? 0 : kd_plans__prune_candidates(&cand, revs, nrevs, next);
	for (size_t k = 0; k < ncand && !rc; k++) {
		const kd_rev_object *ro = cand[k];
		cJSON *live = NULL;
		bool served = true;
		if ((rc = get_live(&live, &served, c, ro->api_version, ro->kind, ro->namespace_, ro->name)))
			break;
		if (!live)
			continue;
		bool kept = false;
		if (!kd_plans__owned(live, next->instance, &kept) || kept) {
			cJSON_Delete(live);
			continue;
		}
		kd_obj_diff *it = item_for(d, ro->api_version, ro->kind, ro->namespace_, ro->name);
		set_note(it, "revision %ld no longer has it: pruned once its plan is COMPLETE", next->number);
		finish_item(it, live, NULL);
	}
	for (size_t i = 0; i < d->nitems && !rc; i++) {
		kd_obj_diff *it = &d->items[i];
		if ((rc = emit_yaml(&it->live_yaml, it->live)) || (rc = emit_yaml(&it->after_yaml, it->after)))
			break;
		switch (it->change) {
		case KD_OBJ_CHANGED:
			d->changed++;
			break;
		case KD_OBJ_ADDED:
			d->added++;
			break;
		case KD_OBJ_REMOVED:
			d->removed++;
			break;
		default:
			d->unchanged++;
		}
	}
	free(cand);
	if (rc) {
		kd_plan_diff_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

void kd_plan_diff_free(kd_plan_diff *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nitems; i++) {
		kd_obj_diff *it = &d->items[i];
		free(it->api_version);
		free(it->kind);
		free(it->namespace_);
		free(it->name);
		free(it->template_name);
		free(it->note);
		cJSON_Delete(it->live);
		cJSON_Delete(it->after);
		free(it->live_yaml);
		free(it->after_yaml);
	}
	free(d->items);
	free(d);
}

cJSON *kd_plan_diff_to_json(const kd_plan_diff *d)
{
	cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "changes");
	for (size_t i = 0; i < d->nitems; i++) {
		const kd_obj_diff *it = &d->items[i];
		if (it->change == KD_OBJ_UNCHANGED)
			continue;
		cJSON *c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "change", kd_obj_change_kind_name(it->change));
		cJSON_AddStringToObject(c, "apiVersion", it->api_version);
		cJSON_AddStringToObject(c, "kind", it->kind);
		if (*it->namespace_)
			cJSON_AddStringToObject(c, "namespace", it->namespace_);
		cJSON_AddStringToObject(c, "name", it->name);
		if (it->template_name)
			cJSON_AddStringToObject(c, "template", it->template_name);
		if (it->note)
			cJSON_AddStringToObject(c, "note", it->note);
		cJSON_AddItemToObject(c, "live", it->live ? cJSON_Duplicate(it->live, 1) : cJSON_CreateNull());
		cJSON_AddItemToObject(c, "after", it->after ? cJSON_Duplicate(it->after, 1) : cJSON_CreateNull());
		kd_buf b = KD_BUF_INIT;
		bool differ = false;
		kd_diff_unified(&b, &differ, it->live_yaml, strlen(it->live_yaml), it->after_yaml, strlen(it->after_yaml), NULL);
		cJSON_AddStringToObject(c, "diff", kd_buf_cstr(&b));
		kd_buf_free(&b);
		cJSON_AddItemToArray(arr, c);
	}
	cJSON *s = cJSON_AddObjectToObject(o, "summary");
	cJSON_AddNumberToObject(s, "changed", (double)d->changed);
	cJSON_AddNumberToObject(s, "added", (double)d->added);
	cJSON_AddNumberToObject(s, "removed", (double)d->removed);
	cJSON_AddNumberToObject(s, "unchanged", (double)d->unchanged);
	return o;
}
