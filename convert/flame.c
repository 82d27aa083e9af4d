/* SPDX-License-Identifier: MIT */
/*
 * Flame graph tree and SVG renderer (see flame.h).
 *
 * Layout, as flamegraph.pl users know it: one row per stack depth, the
 * root ("all") at the bottom (at the top with --inverted), children left
 * to right in name order, each as wide as its share of the total. Frames
 * narrower than min_width pixels are left out with everything above them.
 *
 * The document: a <g id="frames"> of one <g> per frame holding a
 * <title> ("NAME\nVALUE (SHARE)"; the first line is the name the script
 * searches), a <rect> and a <text> label cut to fit. Numbers the script
 * needs are attributes (data-v: the frame's value). The script (a
 * constant) adds click-to-zoom, reset, search with highlighting and the
 * matched share, and a details line on hover.
 */
#include "convert/flame.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/util.h"

#define NO_NODE UINT32_MAX
#define XPAD 10.0
#define FRAME_H 16.0
#define FONT_SIZE 12.0
#define FONT_W 0.59 /* average glyph width / font size (Verdana) */
#define TOP_H 56.0
#define BOTTOM_H 30.0

struct fname {
	uint32_t off, len, flags;
};

struct fnode {
	uint32_t name, parent, child, sibling;
	uint64_t value, self, off;
	double before, before_self;
};

struct wp_flame {
	struct wp_arena text;
	struct fname *names;
	size_t nnames, names_cap;
	struct wp_map name_index; /* hash -> name id (probed on collision) */
	struct fnode *nodes;
	size_t nnodes, nodes_cap;
	struct wp_map children; /* parent << 32 | name -> node */
};

struct wp_flame *wp_flame__new(void)
{
	struct wp_flame *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->nodes = calloc(64, sizeof(*f->nodes));
	if (!f->nodes) {
		free(f);
		return NULL;
	}
	f->nodes_cap = 64;
	f->nnodes = 1; /* the root, "all" (name NO_NODE) */
	f->nodes[0].name = NO_NODE;
	f->nodes[0].parent = NO_NODE;
	f->nodes[0].child = NO_NODE;
	f->nodes[0].sibling = NO_NODE;
	return f;
}

void wp_flame__free(struct wp_flame *f)
{
	if (!f)
		return;
	wp_arena__release(&f->text);
	free(f->names);
	wp_map__release(&f->name_index);
	free(f->nodes);
	wp_map__release(&f->children);
	free(f);
}

int wp_flame__intern(struct wp_flame *f, const char *name, size_t len, uint32_t flags,
		     uint32_t *id)
{
	uint64_t h = wp_hash_bytes(name, len, flags), idx;
	struct fname *n;

	for (;; h = wp_hash64(h + 1)) {
		if (!wp_map__get(&f->name_index, h, &idx))
			break;
		n = &f->names[idx];
		if (n->flags == flags && n->len == len &&
		    memcmp(wp_arena__str(&f->text, n->off), name, len) == 0) {
			*id = (uint32_t)idx;
			return 0;
		}
	}
	if (f->nnames >= UINT32_MAX - 1 || WP_GROW(f->names, f->names_cap, f->nnames + 1))
		return -ENOMEM;
	n = &f->names[f->nnames];
	n->len = (uint32_t)len;
	n->flags = flags;
	if (wp_arena__add(&f->text, name, len, &n->off) ||
	    wp_map__put(&f->name_index, h, f->nnames))
		return -ENOMEM;
	*id = (uint32_t)f->nnames++;
	return 0;
}

static int child_of(struct wp_flame *f, uint32_t parent, uint32_t name, uint32_t *out)
{
	uint64_t key = ((uint64_t)parent << 32) | name, v;
	struct fnode *n;

	if (wp_map__get(&f->children, key, &v)) {
		*out = (uint32_t)v;
		return 0;
	}
	if (f->nnodes >= UINT32_MAX - 1 || WP_GROW(f->nodes, f->nodes_cap, f->nnodes + 1))
		return -ENOMEM;
	n = &f->nodes[f->nnodes];
	memset(n, 0, sizeof(*n));
	n->name = name;
	n->parent = parent;
	n->child = NO_NODE;
	n->sibling = f->nodes[parent].child;
	f->nodes[parent].child = (uint32_t)f->nnodes;
	if (wp_map__put(&f->children, key, f->nnodes))
		return -ENOMEM;
	*out = (uint32_t)f->nnodes++;
	return 0;
}

int wp_flame__add(struct wp_flame *f, const uint32_t *path, size_t n, uint64_t value,
		  double before, bool offcpu)
{
	uint32_t cur = 0;
	size_t i;

	f->nodes[0].value += value;
	f->nodes[0].before += before;
	if (offcpu)
		f->nodes[0].off += value;
	for (i = 0; i < n; i++) {
		struct fnode *nd;

		if (child_of(f, cur, path[i], &cur))
			return -ENOMEM;
		nd = &f->nodes[cur];
		nd->value += value;
		nd->before += before;
		if (offcpu)
			nd->off += value;
	}
	f->nodes[cur].self += value;
	f->nodes[cur].before_self += before;
	return 0;
}

uint64_t wp_flame__total(const struct wp_flame *f)
{
	return f->nodes[0].value;
}

/* ---- text ------------------------------------------------------------- */

void wp_xml_put(FILE *out, const char *s, size_t len, size_t max_cps)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, cps = 0, total = 0;

	if (max_cps) {
		/* count first: a cut name keeps room for ".." */
		for (size_t k = 0; k < len; total++) {
			uint32_t cp;
			size_t l = p[k] >= 0x80 ? wp_utf8_seq(p + k, len - k, &cp) : 1;

			k += l ? l : 1;
		}
		if (total <= max_cps)
			max_cps = 0;
		else
			max_cps = max_cps > 2 ? max_cps - 2 : 0;
	}
	while (i < len) {
		unsigned char c = p[i];
		uint32_t cp;
		size_t l;

		if (max_cps && cps == max_cps) {
			fputs("..", out);
			return;
		}
		cps++;
		if (c < 0x80) {
			i++;
			switch (c) {
			case '&':
				fputs("&amp;", out);
				break;
			case '<':
				fputs("&lt;", out);
				break;
			case '>':
				fputs("&gt;", out);
				break;
			case '"':
				fputs("&quot;", out);
				break;
			case '\'':
				fputs("&apos;", out);
				break;
			default:
				putc(c < 0x20 || c == 0x7f ? '?' : (char)c, out);
				break;
			}
			continue;
		}
		l = wp_utf8_seq(p + i, len - i, &cp);
		if (!l || (cp >= 0x80 && cp < 0xa0) || cp == 0xfffe || cp == 0xffff) {
			putc('?', out);
			i += l ? l : 1;
			continue;
		}
		fwrite(p + i, 1, l, out);
		i += l;
	}
	if (max_cps && cps > max_cps)
		fputs("..", out);
}

static void put_value(FILE *out, uint64_t v, const char *unit)
{
	double d = (double)v;

	if (strcmp(unit, "ns") != 0) {
		fprintf(out, "%" PRIu64 " %s", v, unit);
		return;
	}
	if (d >= 1e9)
		fprintf(out, "%.3f s", d / 1e9);
	else if (d >= 1e6)
		fprintf(out, "%.2f ms", d / 1e6);
	else if (d >= 1e3)
		fprintf(out, "%.1f us", d / 1e3);
	else
		fprintf(out, "%" PRIu64 " ns", v);
}

/* ---- colours ------------------------------------------------------------ */

struct rgb {
	int r, g, b;
};

static struct rgb mix(uint64_t h, int r0, int rr, int g0, int gr, int b0, int br)
{
	double v1 = (double)(h & 0xffff) / 65535.0;
	double v2 = (double)((h >> 16) & 0xffff) / 65535.0;
	double v3 = (double)((h >> 32) & 0xffff) / 65535.0;
	struct rgb c = { r0 + (int)(rr * v1), g0 + (int)(gr * v2), b0 + (int)(br * v3) };

	return c;
}

static struct rgb node_colour(const struct wp_flame *f, const struct fnode *n,
			      const struct wp_flame_svg *o, double maxd, double tot,
			      double tot_before)
{
	const struct fname *nm = n->name == NO_NODE ? NULL : &f->names[n->name];
	uint64_t h = nm ? wp_hash_bytes(wp_arena__str(&f->text, nm->off), nm->len, 7) : 0;

	if (o->diff) {
		double d = (tot > 0 ? (double)n->self / tot : 0) -
			   (tot_before > 0 ? n->before_self / tot_before : 0);
		double s = maxd > 0 ? fabs(d) / maxd : 0;
		int v = 235 - (int)(150 * s);
		struct rgb c = { 235, 235, 235 };

		if (d > 0)
			c = (struct rgb){ 255, v, v };
		else if (d < 0)
			c = (struct rgb){ v, v, 255 };
		return c;
	}
	if (!nm)
		return (struct rgb){ 200, 200, 200 };
	if (nm->flags & WP_FLAME_OFFCPU)
		return mix(h, 30, 40, 70, 50, 200, 55);
	if (n->off * 2 > n->value)
		return mix(h, 70, 60, 130, 60, 210, 45);
	if (nm->flags & WP_FLAME_THREAD)
		return mix(h, 180, 30, 160, 30, 210, 30);
	if (nm->flags & WP_FLAME_PSEUDO)
		return mix(h, 170, 30, 170, 30, 170, 30);
	if (nm->flags & WP_FLAME_KERNEL)
		return mix(h, 90, 70, 175, 55, 60, 50);
	return mix(h, 205, 50, 0, 230, 0, 55);
}

/* ---- the script ---------------------------------------------------------- */

/* Constant: no data ever goes into it (names are read from the DOM). */
static const char script[] =
"\"use strict\";\n"
"var svg, frames, details, matched, unzoombtn, searchbtn, W, pad, total, inverted;\n"
"var fontw = 12 * 0.59, nodes = [], zoomed = null, searching = null;\n"
"function init(evt) {\n"
"\tsvg = document.documentElement;\n"
"\tframes = document.getElementById(\"frames\");\n"
"\tdetails = document.getElementById(\"details\");\n"
"\tmatched = document.getElementById(\"matched\");\n"
"\tunzoombtn = document.getElementById(\"unzoom\");\n"
"\tsearchbtn = document.getElementById(\"search\");\n"
"\tW = +svg.getAttribute(\"width\");\n"
"\tpad = +frames.getAttribute(\"data-pad\");\n"
"\ttotal = +frames.getAttribute(\"data-total\");\n"
"\tinverted = frames.getAttribute(\"data-inverted\") === \"1\";\n"
"\tvar gs = frames.children;\n"
"\tfor (var i = 0; i < gs.length; i++) {\n"
"\t\tvar g = gs[i], r = g.querySelector(\"rect\"), info = g.querySelector(\"title\").textContent;\n"
"\t\tvar nl = info.indexOf(\"\\n\");\n"
"\t\tnodes.push({ g: g, r: r, t: g.querySelector(\"text\"), info: info,\n"
"\t\t\tname: nl < 0 ? info : info.substring(0, nl), v: +g.getAttribute(\"data-v\"),\n"
"\t\t\tx: +r.getAttribute(\"x\"), w: +r.getAttribute(\"width\"), y: +r.getAttribute(\"y\"),\n"
"\t\t\tfill: r.getAttribute(\"fill\") });\n"
"\t\tg.wpIndex = i;\n"
"\t}\n"
"\tframes.addEventListener(\"click\", function (e) { var n = node_of(e.target); if (n) zoom(n); });\n"
"\tframes.addEventListener(\"mouseover\", function (e) {\n"
"\t\tvar n = node_of(e.target);\n"
"\t\tif (n) details.textContent = n.info.replace(\"\\n\", \"  \\u2014  \");\n"
"\t});\n"
"\tframes.addEventListener(\"mouseout\", function () { details.textContent = \" \"; });\n"
"\tunzoombtn.addEventListener(\"click\", unzoom);\n"
"\tsearchbtn.addEventListener(\"click\", search_prompt);\n"
"\twindow.addEventListener(\"keydown\", function (e) {\n"
"\t\tif (e.key === \"F3\" || ((e.ctrlKey || e.metaKey) && (e.key === \"f\" || e.key === \"F\"))) {\n"
"\t\t\te.preventDefault();\n"
"\t\t\tsearch_prompt();\n"
"\t\t} else if (e.key === \"Escape\") {\n"
"\t\t\tunzoom();\n"
"\t\t\treset_search();\n"
"\t\t}\n"
"\t});\n"
"}\n"
"function node_of(el) {\n"
"\twhile (el && el !== frames) {\n"
"\t\tif (el.wpIndex !== undefined) return nodes[el.wpIndex];\n"
"\t\tel = el.parentNode;\n"
"\t}\n"
"\treturn null;\n"
"}\n"
"function fit(n, x, w) {\n"
"\tn.r.setAttribute(\"x\", x.toFixed(2));\n"
"\tn.r.setAttribute(\"width\", w.toFixed(2));\n"
"\tn.t.setAttribute(\"x\", (x + 3).toFixed(2));\n"
"\tvar c = Math.floor((w - 3) / fontw), s = n.name, cps = Array.from(s);\n"
"\tif (c < 3) s = \"\";\n"
"\telse if (cps.length > c) s = cps.slice(0, c - 2).join(\"\") + \"..\";\n"
"\tn.t.textContent = s;\n"
"}\n"
"var EPS = 0.006;\n"
"function zoom(z) {\n"
"\tvar full = W - 2 * pad, scale = full / z.w, x0 = z.x, x1 = z.x + z.w;\n"
"\tzoomed = z;\n"
"\tunzoombtn.classList.remove(\"hide\");\n"
"\tfor (var i = 0; i < nodes.length; i++) {\n"
"\t\tvar n = nodes[i], above = inverted ? n.y < z.y : n.y > z.y;\n"
"\t\tn.g.classList.remove(\"hide\");\n"
"\t\tn.g.classList.remove(\"parent\");\n"
"\t\tif (above) {\n"
"\t\t\tif (n.x <= x0 + EPS && n.x + n.w >= x1 - EPS) {\n"
"\t\t\t\tn.g.classList.add(\"parent\");\n"
"\t\t\t\tfit(n, pad, full);\n"
"\t\t\t} else {\n"
"\t\t\t\tn.g.classList.add(\"hide\");\n"
"\t\t\t}\n"
"\t\t} else if (n.x >= x0 - EPS && n.x + n.w <= x1 + EPS) {\n"
"\t\t\tfit(n, pad + (n.x - x0) * scale, n.w * scale);\n"
"\t\t} else {\n"
"\t\t\tn.g.classList.add(\"hide\");\n"
"\t\t}\n"
"\t}\n"
"}\n"
"function unzoom() {\n"
"\tzoomed = null;\n"
"\tunzoombtn.classList.add(\"hide\");\n"
"\tfor (var i = 0; i < nodes.length; i++) {\n"
"\t\tvar n = nodes[i];\n"
"\t\tn.g.classList.remove(\"hide\");\n"
"\t\tn.g.classList.remove(\"parent\");\n"
"\t\tfit(n, n.x, n.w);\n"
"\t}\n"
"}\n"
"function search_prompt() {\n"
"\tif (searching !== null) {\n"
"\t\treset_search();\n"
"\t\treturn;\n"
"\t}\n"
"\tvar term = prompt(\"Search for (regular expression):\", \"\");\n"
"\tif (term) search(term);\n"
"}\n"
"function reset_search() {\n"
"\tsearching = null;\n"
"\tfor (var i = 0; i < nodes.length; i++) nodes[i].r.setAttribute(\"fill\", nodes[i].fill);\n"
"\tmatched.textContent = \" \";\n"
"\tsearchbtn.textContent = \"Search\";\n"
"}\n"
"/* Highlight frames whose name matches; return the matched share (%). */\n"
"function search(term) {\n"
"\tvar re, hits = [], sum = 0, end = -1, i;\n"
"\ttry { re = new RegExp(term); } catch (e) { re = new RegExp(term.replace(/[.*+?^${}()|[\\]\\\\]/g, \"\\\\$&\")); }\n"
"\tsearching = term;\n"
"\tfor (i = 0; i < nodes.length; i++) {\n"
"\t\tvar n = nodes[i];\n"
"\t\tif (re.test(n.name)) {\n"
"\t\t\tn.r.setAttribute(\"fill\", \"rgb(230,0,230)\");\n"
"\t\t\thits.push(n);\n"
"\t\t} else {\n"
"\t\t\tn.r.setAttribute(\"fill\", n.fill);\n"
"\t\t}\n"
"\t}\n"
"\t/* count a match inside another match once: frames nest by x range */\n"
"\thits.sort(function (a, b) { return a.x - b.x || b.w - a.w; });\n"
"\tfor (i = 0; i < hits.length; i++) {\n"
"\t\tif (hits[i].x + hits[i].w <= end + EPS) continue;\n"
"\t\tsum += hits[i].v;\n"
"\t\tend = hits[i].x + hits[i].w;\n"
"\t}\n"
"\tvar pct = total > 0 ? 100 * sum / total : 0;\n"
"\tmatched.textContent = \"Matched: \" + pct.toFixed(1) + \"%\";\n"
"\tsearchbtn.textContent = \"Reset Search\";\n"
"\treturn pct;\n"
"}\n";

static const char style[] =
"text { font-family: Verdana, sans-serif; font-size: 12px; fill: #000; }\n"
"#title { text-anchor: middle; font-size: 17px; }\n"
"#subtitle { text-anchor: middle; fill: #555; }\n"
"#unzoom, #search { cursor: pointer; fill: #225; text-decoration: underline; }\n"
"#matched, #search { text-anchor: end; }\n"
"#frames > g { cursor: pointer; }\n"
"#frames > g:hover > rect { stroke: #000; stroke-width: 0.5; }\n"
"#frames text { pointer-events: none; }\n"
".hide { display: none; }\n"
".parent { opacity: 0.5; }\n";

/* ---- layout and writing -------------------------------------------------- */

struct layout {
	const struct wp_flame *f;
	const struct wp_flame_svg *o;
	double width, full, min_w, height, tot, tot_before, maxd;
	uint32_t *kids; /* scratch: children of one node */
	FILE *out;
};

static int name_cmp(const void *a, const void *b, void *arg)
{
	const struct wp_flame *f = arg;
	const struct fnode *x = &f->nodes[*(const uint32_t *)a];
	const struct fnode *y = &f->nodes[*(const uint32_t *)b];
	const struct fname *nx = &f->names[x->name], *ny = &f->names[y->name];
	size_t l = nx->len < ny->len ? nx->len : ny->len;
	int c = memcmp(wp_arena__str(&f->text, nx->off), wp_arena__str(&f->text, ny->off), l);

	if (c)
		return c;
	if (nx->len != ny->len)
		return nx->len < ny->len ? -1 : 1;
	return nx->flags < ny->flags ? -1 : nx->flags > ny->flags;
}

/*
 * Children of every node in name order, as one array: ordered[first[i] ..
 * first[i] + nkids[i]). Nodes were linked newest first.
 */
struct order {
	uint32_t *first, *count, *kids;
};

static int build_order(const struct wp_flame *f, struct order *ord)
{
	size_t i, pos = 0;

	ord->first = calloc(f->nnodes, sizeof(uint32_t));
	ord->count = calloc(f->nnodes, sizeof(uint32_t));
	ord->kids = malloc(f->nnodes * sizeof(uint32_t));
	if (!ord->first || !ord->count || !ord->kids)
		return -ENOMEM;
	for (i = 0; i < f->nnodes; i++) {
		uint32_t k;

		ord->first[i] = (uint32_t)pos;
		for (k = f->nodes[i].child; k != NO_NODE; k = f->nodes[k].sibling)
			ord->kids[pos++] = k;
		ord->count[i] = (uint32_t)(pos - ord->first[i]);
		if (ord->count[i] > 1)
			qsort_r(ord->kids + ord->first[i], ord->count[i], sizeof(uint32_t), name_cmp,
				(void *)f);
	}
	return 0;
}

static void release_order(struct order *ord)
{
	free(ord->first);
	free(ord->count);
	free(ord->kids);
}

static void emit_frame(struct layout *L, uint32_t id, double x, double w, size_t depth)
{
	const struct wp_flame *f = L->f;
	const struct fnode *n = &f->nodes[id];
	const struct fname *nm = n->name == NO_NODE ? NULL : &f->names[n->name];
	const char *name = nm ? wp_arena__str(&f->text, nm->off) : "all";
	size_t len = nm ? nm->len : 3;
	double y = L->o->inverted ? TOP_H + (double)depth * FRAME_H
				  : L->height - BOTTOM_H - (double)(depth + 1) * FRAME_H;
	struct rgb c = node_colour(f, n, L->o, L->maxd, L->tot, L->tot_before);
	long chars = (long)floor((w - 3) / (FONT_SIZE * FONT_W));
	FILE *out = L->out;

	fprintf(out, "<g data-v=\"%" PRIu64 "\"><title>", n->value);
	wp_xml_put(out, name, len, 0);
	putc('\n', out);
	put_value(out, n->value, L->o->unit);
	fprintf(out, " (%.2f%%", L->tot > 0 ? 100.0 * (double)n->value / L->tot : 0.0);
	if (nm && (nm->flags & WP_FLAME_KERNEL))
		fputs(", kernel", out);
	if (!L->o->diff && n->off && n->name != NO_NODE && !(nm->flags & WP_FLAME_OFFCPU))
		fprintf(out, ", %.1f%% of it off-CPU", 100.0 * (double)n->off / (double)n->value);
	fputc(')', out);
	if (L->o->diff) {
		double sa = L->tot > 0 ? 100.0 * (double)n->self / L->tot : 0;
		double sb = L->tot_before > 0 ? 100.0 * n->before_self / L->tot_before : 0;
		double ta = L->tot > 0 ? 100.0 * (double)n->value / L->tot : 0;
		double tb = L->tot_before > 0 ? 100.0 * n->before / L->tot_before : 0;

		fprintf(out, "\nself %.2f%% -> %.2f%% (%+.2f), total %.2f%% -> %.2f%% (%+.2f)",
			sb, sa, sa - sb, tb, ta, ta - tb);
	}
	fprintf(out, "</title><rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" "
		"fill=\"rgb(%d,%d,%d)\" rx=\"2\" ry=\"2\"/><text x=\"%.2f\" y=\"%.1f\">",
		x, y, w, FRAME_H - 1, c.r, c.g, c.b, x + 3, y + FRAME_H - 4.5);
	if (chars >= 3)
		wp_xml_put(out, name, len, (size_t)chars);
	fputs("</text></g>\n", out);
}

struct visit {
	uint32_t node, next_kid;
	double x;   /* this node's left edge */
	double cx;  /* the next child's left edge */
};

/*
 * Depth-first over the frames wide enough to draw; calls emit for each
 * (or only measures the depth when emit is false). Iterative: stacks can
 * be thousands of frames deep.
 */
static int walk(struct layout *L, const struct order *ord, bool emit, size_t *max_depth)
{
	const struct wp_flame *f = L->f;
	struct visit *st;
	size_t depth = 0, cap = 64;

	st = malloc(cap * sizeof(*st));
	if (!st)
		return -ENOMEM;
	*max_depth = 0;
	st[0] = (struct visit){ .node = 0, .x = XPAD, .cx = XPAD };
	for (;;) {
		struct visit *v = &st[depth];
		const struct fnode *n = &f->nodes[v->node];
		double w = L->tot > 0 ? (double)n->value / L->tot * L->full : 0;

		if (v->next_kid == 0) {
			/* first visit */
			if (depth > *max_depth)
				*max_depth = depth;
			if (emit)
				emit_frame(L, v->node, v->x, w, depth);
		}
		if (v->next_kid < ord->count[v->node]) {
			uint32_t k = ord->kids[ord->first[v->node] + v->next_kid++];
			double kw = L->tot > 0 ? (double)f->nodes[k].value / L->tot * L->full : 0;
			double kx = v->cx;

			v->cx += kw;
			if (kw < L->min_w)
				continue;
			if (depth + 1 >= cap) {
				struct visit *ns = realloc(st, cap * 2 * sizeof(*st));

				if (!ns) {
					free(st);
					return -ENOMEM;
				}
				st = ns;
				cap *= 2;
			}
			depth++;
			st[depth] = (struct visit){ .node = k, .x = kx, .cx = kx };
			continue;
		}
		if (depth == 0)
			break;
		depth--;
	}
	free(st);
	return 0;
}

/* Largest |change in self share| over the drawn frames (diff colours). */
static double max_delta(const struct wp_flame *f, double tot, double tot_before)
{
	double m = 0;
	size_t i;

	for (i = 1; i < f->nnodes; i++) {
		const struct fnode *n = &f->nodes[i];
		double d = (tot > 0 ? (double)n->self / tot : 0) -
			   (tot_before > 0 ? n->before_self / tot_before : 0);

		if (fabs(d) > m)
			m = fabs(d);
	}
	return m;
}

int wp_flame__write_svg(const struct wp_flame *f, const struct wp_flame_svg *o, FILE *out)
{
	struct layout L = { .f = f, .o = o, .out = out };
	struct order ord = { 0 };
	size_t depth;
	const char *title = o->title ? o->title : o->inverted ? "Icicle Graph" : "Flame Graph";
	int ret;

	L.width = o->width ? o->width : 1200;
	if (L.width < 100)
		L.width = 100;
	L.full = L.width - 2 * XPAD;
	L.min_w = o->min_width < 0 ? 0.1 : o->min_width;
	L.tot = (double)f->nodes[0].value;
	L.tot_before = f->nodes[0].before;
	if (o->diff)
		L.maxd = max_delta(f, L.tot, L.tot_before);
	ret = build_order(f, &ord);
	if (!ret)
		ret = walk(&L, &ord, false, &depth);
	if (ret)
		goto out;
	L.height = TOP_H + BOTTOM_H + (double)(depth + 1) * FRAME_H;

	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
		"height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" onload=\"init(evt)\">\n",
		L.width, L.height, L.width, L.height);
	fprintf(out, "<style type=\"text/css\"><![CDATA[\n%s]]></style>\n", style);
	fprintf(out, "<script type=\"text/ecmascript\"><![CDATA[\n%s]]></script>\n", script);
	fprintf(out, "<rect x=\"0\" y=\"0\" width=\"100%%\" height=\"100%%\" fill=\"#f8f8f8\"/>\n");
	fprintf(out, "<text id=\"title\" x=\"%.1f\" y=\"22\">", L.width / 2);
	wp_xml_put(out, title, strlen(title), 0);
	fputs("</text>\n", out);
	if (o->subtitle) {
		fprintf(out, "<text id=\"subtitle\" x=\"%.1f\" y=\"40\">", L.width / 2);
		wp_xml_put(out, o->subtitle, strlen(o->subtitle), 0);
		fputs("</text>\n", out);
	}
	fprintf(out, "<text id=\"unzoom\" class=\"hide\" x=\"%.1f\" y=\"22\">Reset Zoom</text>\n",
		XPAD);
	fprintf(out, "<text id=\"search\" x=\"%.1f\" y=\"22\">Search</text>\n", L.width - XPAD);
	fprintf(out, "<text id=\"details\" x=\"%.1f\" y=\"%.1f\"> </text>\n", XPAD,
		L.height - 10);
	fprintf(out, "<text id=\"matched\" x=\"%.1f\" y=\"%.1f\"> </text>\n", L.width - XPAD,
		L.height - 10);
	fprintf(out, "<g id=\"frames\" data-pad=\"%.0f\" data-total=\"%" PRIu64 "\" "
		"data-inverted=\"%d\">\n", XPAD, f->nodes[0].value, o->inverted ? 1 : 0);
	ret = walk(&L, &ord, true, &depth);
	if (ret)
		goto out;
	fputs("</g>\n</svg>\n", out);
	ret = fflush(out) || ferror(out) ? -EIO : 0;
out:
	release_order(&ord);
	return ret;
}
