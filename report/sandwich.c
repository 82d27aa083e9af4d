/* SPDX-License-Identifier: MIT */
#include "report/sandwich.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report/summary.h"

#define MIN_SHARE 0.0001 /* nodes under 0.01% of the selection are not shown */

/* Sums saturate: a hostile file's durations must not wrap around. */
static void sat_add(uint64_t *a, uint64_t b)
{
	*a = *a + b < *a ? UINT64_MAX : *a + b;
}

static int tree_init(struct wp_sw_tree *t)
{
	memset(t, 0, sizeof(*t));
	if (WP_GROW(t->nodes, t->cap, 1))
		return -ENOMEM;
	t->nodes[0] = (struct wp_sw_node){ .frame = WP_SW_NONE, .child = WP_SW_NONE,
					   .sibling = WP_SW_NONE };
	t->n = 1;
	return 0;
}

static void tree_release(struct wp_sw_tree *t)
{
	free(t->nodes);
	wp_map__release(&t->index);
	memset(t, 0, sizeof(*t));
}

static int tree_child(struct wp_sw_tree *t, uint32_t parent, uint32_t frame, uint32_t *out)
{
	uint64_t key = ((uint64_t)parent << 32) | frame, v;
	struct wp_sw_node *n;

	if (wp_map__get(&t->index, key, &v)) {
		*out = (uint32_t)v;
		return 0;
	}
	if (t->n >= UINT32_MAX - 1 || WP_GROW(t->nodes, t->cap, t->n + 1) ||
	    wp_map__put(&t->index, key, t->n))
		return -ENOMEM;
	n = &t->nodes[t->n];
	*n = (struct wp_sw_node){ .frame = frame, .child = WP_SW_NONE,
				  .sibling = t->nodes[parent].child };
	t->nodes[parent].child = (uint32_t)t->n;
	*out = (uint32_t)t->n++;
	return 0;
}

/* Add a path (frame ids, from the function outwards) of value v. */
static int tree_add(struct wp_sw_tree *t, const uint32_t *path, size_t n, uint64_t v)
{
	uint32_t cur = 0;
	size_t i;

	sat_add(&t->nodes[0].total, v);
	for (i = 0; i < n; i++) {
		if (tree_child(t, cur, path[i], &cur))
			return -ENOMEM;
		sat_add(&t->nodes[cur].total, v);
	}
	sat_add(&t->nodes[cur].self, v);
	return 0;
}

struct sort_ctx {
	const struct wp_profile *p;
	const struct wp_sw_tree *t;
};

static int node_cmp(const void *a, const void *b, void *arg)
{
	const struct sort_ctx *c = arg;
	const struct wp_sw_node *x = &c->t->nodes[*(const uint32_t *)a];
	const struct wp_sw_node *y = &c->t->nodes[*(const uint32_t *)b];
	int r;

	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	if (x->self != y->self)
		return x->self > y->self ? -1 : 1;
	r = strcmp(wp_profile__frame(c->p, x->frame)->name, wp_profile__frame(c->p, y->frame)->name);
	return r ? r : (x->frame < y->frame ? -1 : x->frame > y->frame);
}

/* Relink every node's children in display order. */
static int tree_sort(const struct wp_profile *p, struct wp_sw_tree *t)
{
	struct sort_ctx c = { p, t };
	uint32_t *kids = malloc(t->n * sizeof(*kids));
	size_t i;

	if (!kids)
		return -ENOMEM;
	for (i = 0; i < t->n; i++) {
		size_t n = 0, k;
		uint32_t c2;

		for (c2 = t->nodes[i].child; c2 != WP_SW_NONE; c2 = t->nodes[c2].sibling)
			kids[n++] = c2;
		if (n < 2)
			continue;
		qsort_r(kids, n, sizeof(*kids), node_cmp, &c);
		t->nodes[i].child = kids[0];
		for (k = 0; k < n; k++)
			t->nodes[kids[k]].sibling = k + 1 < n ? kids[k + 1] : WP_SW_NONE;
	}
	free(kids);
	return 0;
}

int wp_sandwich__compute(const struct wp_profile *p, const char *func,
			 const struct wp_sandwich_opts *o, struct wp_sandwich *out)
{
	size_t nf = wp_profile__nframes(p), ng = wp_profile__ngroups(p), i;
	uint8_t *match = NULL;
	uint32_t *path = NULL;
	int ret = -ENOMEM;

	memset(out, 0, sizeof(*out));
	out->name = func;
	if (tree_init(&out->callers) || tree_init(&out->callees))
		goto out;
	match = calloc(nf ? nf : 1, 1);
	path = malloc((2 * WPD_STACK_MAX_FRAMES + 2) * sizeof(*path));
	if (!match || !path)
		goto out;
	for (i = 0; i < nf; i++)
		if (strcmp(wp_profile__frame(p, (uint32_t)i)->name, func) == 0) {
			match[i] = 1;
			out->nframes++;
		}
	for (i = 0; i < ng; i++) {
		const struct wp_group *g = wp_profile__group(p, i);
		const uint32_t *fr = wp_profile__group_frames(p, g);
		uint32_t tag = g->kind == WP_EVENT_ONCPU ? UINT32_MAX
							 : wp_profile__reason_frame(p, g->reason);
		uint64_t v;
		size_t k, n, outer;

		if (o->kinds && !(o->kinds & (1u << g->kind)))
			continue;
		if (o->filter && !wp_filter__match(o->filter, g))
			continue;
		v = wp_group__value(p, g, o->unit);
		sat_add(&out->weight, v);
		if (!out->nframes || !v)
			continue;
		/* frames are leaf first: the outermost occurrence is the last */
		for (k = g->nframes; k > 0 && !match[fr[k - 1]]; k--)
			;
		if (!k)
			continue;
		outer = k - 1;
		sat_add(&out->total, v);
		if (match[fr[0]] && tag == UINT32_MAX)
			sat_add(&out->self, v); /* the leaf: self, as in the top table */
		/* callers: from the direct caller out to the root */
		for (k = outer + 1, n = 0; k < g->nframes; k++)
			path[n++] = fr[k];
		if (tree_add(&out->callers, path, n, v))
			goto out;
		/* callees: from the direct callee in to the leaf */
		for (k = outer, n = 0; k > 0; k--)
			path[n++] = fr[k - 1];
		if (tag != UINT32_MAX)
			path[n++] = tag;
		if (tree_add(&out->callees, path, n, v))
			goto out;
	}
	if (tree_sort(p, &out->callers) || tree_sort(p, &out->callees))
		goto out;
	/* the roots are the function: show its own self */
	out->callers.nodes[0].self = out->self;
	out->callees.nodes[0].self = out->self;
	ret = 0;
out:
	free(match);
	free(path);
	if (ret)
		wp_sandwich__release(out);
	return ret;
}

void wp_sandwich__release(struct wp_sandwich *s)
{
	tree_release(&s->callers);
	tree_release(&s->callees);
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static bool shown_node(const struct wp_sandwich *s, const struct wp_sw_node *n)
{
	return n->total && (double)n->total >= MIN_SHARE * (double)s->weight;
}

static void text_value(FILE *f, uint64_t v, bool ns)
{
	if (ns)
		fprintf(f, " %11.3f", (double)v / 1e6);
	else
		fprintf(f, " %9" PRIu64, v);
}

struct text_frame {
	uint32_t node, kid;
	uint64_t shown;
};

static void text_line(const struct wp_profile *p, const struct wp_sandwich *s,
		      const struct wp_sw_node *n, size_t depth, bool ns, FILE *f)
{
	const struct wp_frame *fr = n->frame == WP_SW_NONE ? NULL : wp_profile__frame(p, n->frame);

	fprintf(f, "%8.2f %7.2f", pct(n->self, s->weight), pct(n->total, s->weight));
	text_value(f, n->self, ns);
	text_value(f, n->total, ns);
	fprintf(f, "  %*s", (int)(2 * depth), "");
	if (!fr) {
		wp_text_put(f, s->name);
	} else {
		if (fr->flags & WP_FRAME_KERNEL)
			fputs("[k] ", f);
		wp_text_put(f, fr->name);
		if (fr->module[0]) {
			fputs("  (", f);
			wp_text_put(f, fr->module);
			fputc(')', f);
		}
	}
	fputc('\n', f);
}

/* Depth first, children by total; iterative (stacks can be deep). */
static void text_tree(const struct wp_profile *p, const struct wp_sandwich *s,
		      const struct wp_sw_tree *t, uint64_t limit, bool ns, FILE *f)
{
	size_t max = 2 * WPD_STACK_MAX_FRAMES + 4, depth = 0;
	struct text_frame *st = malloc(max * sizeof(*st));

	if (!st)
		return;
	text_line(p, s, &t->nodes[0], 0, ns, f);
	st[0] = (struct text_frame){ 0, t->nodes[0].child, 0 };
	for (;;) {
		uint32_t k = st[depth].kid;

		if (k != WP_SW_NONE && (!limit || st[depth].shown < limit) &&
		    shown_node(s, &t->nodes[k]) && depth + 1 < max) {
			st[depth].kid = t->nodes[k].sibling;
			st[depth].shown++;
			text_line(p, s, &t->nodes[k], depth + 1, ns, f);
			depth++;
			st[depth] = (struct text_frame){ k, t->nodes[k].child, 0 };
			continue;
		}
		if (depth == 0)
			break;
		depth--;
	}
	free(st);
}

void wp_sandwich__text(const struct wp_profile *p, const struct wp_sandwich *s,
		       uint64_t limit, const char *unit_name, FILE *f)
{
	bool ns = strcmp(unit_name, "samples") != 0;
	const char *cols = ns ? "#  self%  total%     self ms    total ms  function\n"
			      : "#  self%  total%      self     total  function\n";

	fputs("#\n# sandwich: ", f);
	wp_text_put(f, s->name);
	fprintf(f, " (%zu frame%s of that name)\n", s->nframes, s->nframes == 1 ? "" : "s");
	fprintf(f, "#   self %.2f%%, total %.2f%% of the selection", pct(s->self, s->weight),
		pct(s->total, s->weight));
	if (ns)
		fprintf(f, " (%.3f ms of %.3f ms)\n", (double)s->total / 1e6, (double)s->weight / 1e6);
	else
		fprintf(f, " (%" PRIu64 " of %" PRIu64 " %s)\n", s->total, s->weight, unit_name);
	fputs("#\n# callers (the function, then who calls it, outwards to the roots)\n", f);
	fputs(cols, f);
	text_tree(p, s, &s->callers, limit, ns, f);
	fputs("#\n# callees (the function, then what it calls, inwards to the leaves)\n", f);
	fputs(cols, f);
	text_tree(p, s, &s->callees, limit, ns, f);
}

static void json_node(const struct wp_profile *p, const struct wp_sandwich *s,
		      const struct wp_sw_tree *t, uint32_t id, uint64_t limit, int depth,
		      struct wp_json *j)
{
	const struct wp_sw_node *n = &t->nodes[id];
	uint32_t k;
	uint64_t shown = 0;

	wp_json__begin_object(j);
	if (n->frame != WP_SW_NONE) {
		const struct wp_frame *fr = wp_profile__frame(p, n->frame);

		wp_json__key(j, "name");
		wp_json__str(j, fr->name);
		wp_json__key(j, "module");
		wp_json__str(j, fr->module);
		wp_json__key(j, "kernel");
		wp_json__bool(j, fr->flags & WP_FRAME_KERNEL);
	}
	wp_json__key(j, "self");
	wp_json__u64(j, n->self);
	wp_json__key(j, "total");
	wp_json__u64(j, n->total);
	wp_json__key(j, "self_pct");
	wp_json__double(j, pct(n->self, s->weight), 4);
	wp_json__key(j, "total_pct");
	wp_json__double(j, pct(n->total, s->weight), 4);
	wp_json__key(j, "children");
	wp_json__begin_array(j);
	/* the writer nests at most WP_JSON_MAX_DEPTH levels: deeper is cut */
	for (k = n->child; k != WP_SW_NONE && depth < WP_JSON_MAX_DEPTH / 2 - 4;
	     k = t->nodes[k].sibling) {
		if (!shown_node(s, &t->nodes[k]) || (limit && shown >= limit))
			break;
		json_node(p, s, t, k, limit, depth + 1, j);
		shown++;
	}
	wp_json__end_array(j);
	wp_json__end_object(j);
}

void wp_sandwich__json(const struct wp_profile *p, const struct wp_sandwich *s,
		       uint64_t limit, struct wp_json *j)
{
	wp_json__key(j, "sandwich");
	wp_json__begin_object(j);
	wp_json__key(j, "function");
	wp_json__str(j, s->name);
	wp_json__key(j, "frames_matched");
	wp_json__u64(j, s->nframes);
	wp_json__key(j, "selected_total");
	wp_json__u64(j, s->weight);
	wp_json__key(j, "self");
	wp_json__u64(j, s->self);
	wp_json__key(j, "total");
	wp_json__u64(j, s->total);
	wp_json__key(j, "self_pct");
	wp_json__double(j, pct(s->self, s->weight), 4);
	wp_json__key(j, "total_pct");
	wp_json__double(j, pct(s->total, s->weight), 4);
	wp_json__key(j, "callers");
	json_node(p, s, &s->callers, 0, limit, 0, j);
	wp_json__key(j, "callees");
	json_node(p, s, &s->callees, 0, limit, 0, j);
	wp_json__end_object(j);
}

size_t wp_sandwich__suggest(const struct wp_profile *p, const char *s, const char **out,
			    size_t n)
{
	size_t nf = wp_profile__nframes(p), i, k, got = 0;

	for (i = 0; i < nf && got < n; i++) {
		const char *name = wp_profile__frame(p, (uint32_t)i)->name;

		if (!strstr(name, s))
			continue;
		for (k = 0; k < got && strcmp(out[k], name) != 0; k++)
			;
		if (k == got)
			out[got++] = name;
	}
	return got;
}
