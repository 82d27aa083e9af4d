/* SPDX-License-Identifier: MIT */
/*
 * wp-diff: what changed between two profiles of the same workload.
 *
 *   wp-diff [options] BEFORE AFTER
 *
 * Each input is a .wpd recording (recognised by its magic) or a folded
 * stacks file (`stack count` lines, the first field the thread name, as
 * wp-convert -f folded and stackcollapse-perf.pl write them). A
 * recording is folded exactly as `wp-convert -f folded` would (same
 * filters, names, escaping), so a .wpd and its folded file diff alike.
 *
 * Both sides become one table of distinct stacks with a value per side;
 * shares are each side's values over its own total (normalised, the
 * default) so recordings of different lengths compare. From it:
 *   -f text    functions by change in self share (grew first, then the
 *              ones whose total changed, then the ones that shrank), with
 *              absolute (points) and relative deltas, changes under the
 *              noise threshold left out; then the paths that appeared or
 *              vanished;
 *   -f folded  "stack before after" for every stack (before scaled to the
 *              after total unless --no-normalize), for flamegraph.pl's
 *              differential mode (difffolded.pl's output);
 *   -f svg     a differential flame graph: widths from AFTER, colours from
 *              each frame's change in self share (red grew, blue shrank).
 * --fail-above PCT makes the exit status 3 when some function's self share
 * grew by more than PCT points: a CI gate.
 *
 * Memory is proportional to the distinct stacks of both inputs.
 */
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/parse.h"
#include "convert/flame.h"
#include "convert/outfile.h"
#include "report/filter.h"
#include "report/folded.h"
#include "report/options.h"
#include "report/profile.h"
#include "report/summary.h"
#include "report/util.h"

#define EXIT_THRESHOLD 3
#define NAME_WIDTH_MAX 60

enum diff_format { FMT_TEXT, FMT_FOLDED, FMT_SVG };

struct diff_opts {
	const char *in[2];
	const char *output;
	enum diff_format format;
	bool no_normalize;
	double threshold;   /* points of share */
	double fail_above;  /* points; < 0: off */
	uint64_t limit;     /* rows; 0: all */
	struct wp_opts common; /* filters, kinds, unit, symbols, svg */
};

/* ---- the stack table ------------------------------------------------------ */

struct stacks {
	struct wp_arena text;
	uint32_t *offs, *lens;
	double *v[2];
	size_t n, offs_cap, lens_cap, v_cap[2];
	struct wp_map index;
	double total[2];
	uint64_t lines[2];
	bool in_ns[2];   /* the side's values are time (ns), not samples */
};

static int stack_add(struct stacks *s, int side, const char *stack, size_t len, double v)
{
	uint64_t h = wp_hash_bytes(stack, len, 0xd1f), idx;

	for (;; h = wp_hash64(h + 1)) {
		if (!wp_map__get(&s->index, h, &idx))
			break;
		if (s->lens[idx] == len &&
		    memcmp(wp_arena__str(&s->text, s->offs[idx]), stack, len) == 0) {
			s->v[side][idx] += v;
			s->total[side] += v;
			return 0;
		}
	}
	if (s->n >= UINT32_MAX - 1 || WP_GROW(s->offs, s->offs_cap, s->n + 1) ||
	    WP_GROW(s->lens, s->lens_cap, s->n + 1) ||
	    WP_GROW(s->v[0], s->v_cap[0], s->n + 1) || WP_GROW(s->v[1], s->v_cap[1], s->n + 1) ||
	    wp_arena__add(&s->text, stack, len, &s->offs[s->n]) ||
	    wp_map__put(&s->index, h, s->n))
		return -ENOMEM;
	s->lens[s->n] = (uint32_t)len;
	s->v[side][s->n] = 0;
	s->v[!side][s->n] = 0;
	s->v[side][s->n] = v;
	s->total[side] += v;
	s->n++;
	return 0;
}

static void stacks_release(struct stacks *s)
{
	wp_arena__release(&s->text);
	free(s->offs);
	free(s->lens);
	free(s->v[0]);
	free(s->v[1]);
	wp_map__release(&s->index);
}

/*
 * Folded text: "stack count" lines (count: the last space-separated
 * field, a non-negative number). Empty lines are skipped; a malformed
 * line is an error naming it. 0, -ENOMEM, -EBADMSG.
 */
static int parse_folded(struct stacks *s, int side, FILE *f, const char *name)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	uint64_t lineno = 0;
	int ret = 0;

	while ((len = getline(&line, &cap, f)) >= 0) {
		char *sp;
		double v;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		sp = strrchr(line, ' ');
		if (!sp || sp == line) {
			pr_err("%s:%" PRIu64 ": not a folded line (\"stack count\")", name, lineno);
			ret = -EBADMSG;
			break;
		}
		if (wp_parse_double(sp + 1, 0, DBL_MAX, &v)) {
			pr_err("%s:%" PRIu64 ": invalid count '%s'", name, lineno, sp + 1);
			ret = -EBADMSG;
			break;
		}
		while (sp > line && sp[-1] == ' ')
			sp--;
		if (v > 0 && stack_add(s, side, line, (size_t)(sp - line), v)) {
			ret = -ENOMEM;
			break;
		}
		s->lines[side]++;
	}
	if (!ret && ferror(f)) {
		pr_err("cannot read '%s': %s", name, strerror(errno));
		ret = -EIO;
	}
	free(line);
	return ret;
}

static bool is_wpd(const char *path)
{
	char magic[WPD_MAGIC_LEN];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool yes;

	if (fd < 0)
		return false; /* the folded reader reports the error */
	yes = read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
	      memcmp(magic, WPD_MAGIC, WPD_MAGIC_LEN) == 0;
	close(fd);
	return yes;
}

/* Both inputs into the table. 0, or 1 (error reported). */
static int load_inputs(struct diff_opts *o, struct stacks *s)
{
	struct wp_profile *p[2] = { NULL, NULL };
	bool wpd[2], offcpu = false;
	enum wp_unit unit;
	int side, ret = 1;

	for (side = 0; side < 2; side++) {
		wpd[side] = strcmp(o->in[side], "-") != 0 && is_wpd(o->in[side]);
		if (!wpd[side])
			continue;
		if (wp_opts__load(&o->common, o->in[side], &p[side]))
			goto out;
		if (wp_profile__has_offcpu(p[side]))
			offcpu = true;
	}
	/* time when off-CPU time is in either, so both sides count alike */
	unit = o->common.unit_set ? o->common.unit
	       : offcpu && (o->common.kinds & (1u << WP_EVENT_OFFCPU)) ? WP_UNIT_NS : WP_UNIT_SAMPLES;
	for (side = 0; side < 2; side++) {
		FILE *f;
		int r;

		if (wpd[side]) {
			struct wp_folded_opts fo = {
				.filter = &o->common.filter, .kinds = o->common.kinds, .unit = unit,
				.per_thread = o->common.per_thread,
			};
			struct wp_folded_stats st;
			char *buf = NULL;
			size_t len = 0;

			f = open_memstream(&buf, &len);
			if (!f) {
				pr_err("out of memory");
				goto out;
			}
			r = wp_folded_write(p[side], &fo, f, &st);
			if (fclose(f) || r) {
				free(buf);
				pr_err("out of memory");
				goto out;
			}
			f = fmemopen(buf, len ? len : 1, "r");
			if (!f) {
				free(buf);
				pr_err("out of memory");
				goto out;
			}
			if (!len)
				fgetc(f); /* an empty selection: nothing to read */
			r = parse_folded(s, side, f, o->in[side]);
			fclose(f);
			free(buf);
			s->in_ns[side] = unit != WP_UNIT_SAMPLES;
		} else {
			f = strcmp(o->in[side], "-") == 0 ? stdin : fopen(o->in[side], "r");
			if (!f) {
				pr_err("cannot open '%s': %s", o->in[side], strerror(errno));
				goto out;
			}
			r = parse_folded(s, side, f, o->in[side]);
			if (f != stdin)
				fclose(f);
		}
		if (r == -ENOMEM)
			pr_err("out of memory");
		if (r)
			goto out;
		if (s->total[side] == 0)
			pr_warn("%s: no samples%s", o->in[side],
				wpd[side] ? " selected" : " (an empty folded file)");
	}
	ret = 0;
out:
	wp_profile__free(p[0]);
	wp_profile__free(p[1]);
	return ret;
}

/* ---- functions ---------------------------------------------------------------- */

struct func {
	uint32_t name_off, name_len; /* into funcs.text: "NAME" or "THREAD;NAME" */
	double self[2], total[2];
	uint64_t stamp;
	double dself, dtotal; /* share deltas, points */
};

struct funcs {
	struct wp_arena text;
	struct func *f;
	size_t n, cap;
	struct wp_map index;
};

static struct func *func_get(struct funcs *fs, const char *name, size_t len)
{
	uint64_t h = wp_hash_bytes(name, len, 0xf0), idx;
	struct func *f;

	for (;; h = wp_hash64(h + 1)) {
		if (!wp_map__get(&fs->index, h, &idx))
			break;
		f = &fs->f[idx];
		if (f->name_len == len &&
		    memcmp(wp_arena__str(&fs->text, f->name_off), name, len) == 0)
			return f;
	}
	if (WP_GROW(fs->f, fs->cap, fs->n + 1) || wp_map__put(&fs->index, h, fs->n))
		return NULL;
	f = &fs->f[fs->n];
	memset(f, 0, sizeof(*f));
	f->name_len = (uint32_t)len;
	if (wp_arena__add(&fs->text, name, len, &f->name_off))
		return NULL;
	fs->n++;
	return f;
}

/*
 * Self and total per function name, per side. The first field of a stack
 * is the thread: left out, or (--per-thread) part of every function's key.
 */
static int compute_funcs(const struct stacks *s, bool per_thread, struct funcs *fs)
{
	struct wp_strbuf key = { 0 };
	size_t i;
	int ret = -ENOMEM;

	for (i = 0; i < s->n; i++) {
		const char *st = wp_arena__str(&s->text, s->offs[i]);
		const char *end = st + s->lens[i], *p, *thread_end;

		thread_end = memchr(st, ';', s->lens[i]);
		if (!thread_end)
			continue; /* a thread with no frame */
		for (p = thread_end + 1; p <= end;) {
			const char *q = memchr(p, ';', (size_t)(end - p));
			struct func *f;
			int side;

			if (!q)
				q = end;
			wp_strbuf__reset(&key);
			if (per_thread) {
				wp_strbuf__add(&key, st, (size_t)(thread_end - st));
				wp_strbuf__addc(&key, ';');
			}
			wp_strbuf__add(&key, p, (size_t)(q - p));
			if (key.oom || !(f = func_get(fs, key.s, key.len)))
				goto out;
			for (side = 0; side < 2; side++) {
				if (f->stamp != i + 1)
					f->total[side] += s->v[side][i];
				if (q == end)
					f->self[side] += s->v[side][i];
			}
			f->stamp = i + 1;
			p = q + 1;
		}
	}
	ret = 0;
out:
	wp_strbuf__release(&key);
	return ret;
}

static double share(const struct stacks *s, int side, double v)
{
	return s->total[side] > 0 ? 100.0 * v / s->total[side] : 0.0;
}

static int func_cmp(const void *a, const void *b)
{
	const struct func *x = *(const struct func *const *)a;
	const struct func *y = *(const struct func *const *)b;
	/* grew first, then unchanged self (by total change), then shrank */
	int gx = x->dself > 0 ? 0 : x->dself < 0 ? 2 : 1;
	int gy = y->dself > 0 ? 0 : y->dself < 0 ? 2 : 1;

	if (gx != gy)
		return gx - gy;
	if (gx == 0 && x->dself != y->dself)
		return x->dself > y->dself ? -1 : 1;
	if (gx == 2 && x->dself != y->dself)
		return x->dself < y->dself ? -1 : 1;
	if (x->dtotal != y->dtotal)
		return fabs(x->dtotal) > fabs(y->dtotal) ? -1 : 1;
	return x->name_off < y->name_off ? -1 : x->name_off > y->name_off;
}

/* ---- output ------------------------------------------------------------------ */

static void put_rel(FILE *out, double before, double after)
{
	if (before == 0 && after == 0)
		fprintf(out, " %8s", "-");
	else if (before == 0)
		fprintf(out, " %8s", "new");
	else if (after == 0)
		fprintf(out, " %8s", "gone");
	else
		fprintf(out, " %+7.0f%%", 100.0 * (after - before) / before);
}

static void put_value(FILE *out, double v, bool ns, bool sign)
{
	if (ns)
		fprintf(out, sign ? " %+10.3f" : " %10.3f", v / 1e6);
	else
		fprintf(out, sign ? " %+10.0f" : " %10.0f", v);
}

static void put_func_name(FILE *out, const struct funcs *fs, const struct func *f,
			  bool per_thread)
{
	const char *name = wp_arena__str(&fs->text, f->name_off);
	const char *semi = per_thread ? strchr(name, ';') : NULL;
	const char *fn = semi ? semi + 1 : name;
	size_t len = strlen(fn);

	/* "name_[k]" (the folded kernel mark) as wp-report shows it: "[k] name" */
	if (len > 4 && strcmp(fn + len - 4, "_[k]") == 0) {
		char *cut = strndup(fn, len - 4);

		fputs("[k] ", out);
		wp_text_put(out, cut ? cut : fn);
		free(cut);
	} else {
		wp_text_put(out, fn);
	}
	if (semi) {
		char *thread = strndup(name, (size_t)(semi - name));

		fputs("  [", out);
		wp_text_put(out, thread ? thread : "?");
		fputc(']', out);
		free(thread);
	}
}

struct path_ref {
	uint32_t idx;
	double sh;
};

static int path_cmp(const void *a, const void *b)
{
	const struct path_ref *x = a, *y = b;

	if (x->sh != y->sh)
		return x->sh > y->sh ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int paths_section(const struct diff_opts *o, const struct stacks *s, int side,
			 FILE *out)
{
	struct path_ref *r = malloc((s->n ? s->n : 1) * sizeof(*r));
	size_t i, n = 0, shown = 0, below = 0;

	if (!r)
		return -ENOMEM;
	for (i = 0; i < s->n; i++)
		if (s->v[side][i] > 0 && s->v[!side][i] == 0)
			r[n++] = (struct path_ref){ (uint32_t)i, share(s, side, s->v[side][i]) };
	qsort(r, n, sizeof(*r), path_cmp);
	fprintf(out, "#\n# paths that %s (%s only): %zu\n", side ? "appeared" : "vanished",
		side ? "after" : "before", n);
	for (i = 0; i < n; i++) {
		if (r[i].sh < o->threshold) {
			below++;
			continue;
		}
		if (o->limit && shown >= o->limit)
			continue;
		fprintf(out, "%8.2f%%  ", r[i].sh);
		wp_text_put(out, wp_arena__str(&s->text, s->offs[r[i].idx]));
		fputc('\n', out);
		shown++;
	}
	if (below)
		fprintf(out, "#   %zu under the threshold (%.2f%%) not shown\n", below, o->threshold);
	if (o->limit && shown == o->limit && n - below > shown)
		fprintf(out, "#   %zu more not shown (--limit)\n", n - below - shown);
	free(r);
	return 0;
}

static int write_text(const struct diff_opts *o, const struct stacks *s,
		      const struct funcs *fs, struct func **order, size_t nrows,
		      size_t nquiet, FILE *out)
{
	size_t i, w = 8;
	bool ns = s->in_ns[0] || s->in_ns[1];
	const char *unit = ns ? "ms" : "samples";

	fprintf(out, "# before: ");
	wp_text_put(out, o->in[0]);
	fprintf(out, " (%.0f %s)\n# after:  ", ns && s->in_ns[0] ? s->total[0] / 1e6 : s->total[0],
		s->in_ns[0] ? "ms" : "samples");
	wp_text_put(out, o->in[1]);
	fprintf(out, " (%.0f %s)\n", ns && s->in_ns[1] ? s->total[1] / 1e6 : s->total[1],
		s->in_ns[1] ? "ms" : "samples");
	fprintf(out, "# %s; noise threshold %.2f points\n",
		o->no_normalize ? "absolute values (--no-normalize); shares of each side's total"
				: "shares of each side's total (normalised)", o->threshold);
	fprintf(out, "#\n# functions by change in self share: %zu changed, %zu under the threshold\n#\n",
		nrows, nquiet);
	for (i = 0; i < nrows && (!o->limit || i < o->limit); i++) {
		size_t fw = wp_text_width(wp_arena__str(&fs->text, order[i]->name_off));

		if (fw > w)
			w = fw;
	}
	if (w > NAME_WIDTH_MAX)
		w = NAME_WIDTH_MAX;
	if (o->no_normalize)
		fprintf(out, "# %10s %10s %10s %8s  %10s %10s %10s  function (%s)\n", "self:before",
			"after", "delta", "rel", "total:before", "after", "delta", unit);
	else
		fprintf(out, "# %7s %7s %8s %8s  %8s %7s %8s  function\n", "self%:b", "after",
			"delta", "rel", "total%:b", "after", "delta");
	for (i = 0; i < nrows && (!o->limit || i < o->limit); i++) {
		const struct func *f = order[i];

		if (o->no_normalize) {
			fputc(' ', out);
			put_value(out, f->self[0], ns, false);
			put_value(out, f->self[1], ns, false);
			put_value(out, f->self[1] - f->self[0], ns, true);
			put_rel(out, f->self[0], f->self[1]);
			fputc(' ', out);
			put_value(out, f->total[0], ns, false);
			put_value(out, f->total[1], ns, false);
			put_value(out, f->total[1] - f->total[0], ns, true);
		} else {
			fprintf(out, "  %7.2f %7.2f %+8.2f", share(s, 0, f->self[0]),
				share(s, 1, f->self[1]), f->dself);
			put_rel(out, share(s, 0, f->self[0]), share(s, 1, f->self[1]));
			fprintf(out, "  %8.2f %7.2f %+8.2f", share(s, 0, f->total[0]),
				share(s, 1, f->total[1]), f->dtotal);
		}
		fputs("  ", out);
		put_func_name(out, fs, f, o->common.per_thread);
		fputc('\n', out);
	}
	if (o->limit && nrows > o->limit)
		fprintf(out, "# %zu more not shown (--limit)\n", nrows - (size_t)o->limit);
	if (paths_section(o, s, 1, out) || paths_section(o, s, 0, out))
		return -ENOMEM;
	return 0;
}

static int stack_cmp(const void *a, const void *b, void *arg)
{
	const struct stacks *s = arg;
	const char *x = wp_arena__str(&s->text, s->offs[*(const uint32_t *)a]);
	const char *y = wp_arena__str(&s->text, s->offs[*(const uint32_t *)b]);

	return strcmp(x, y);
}

static int write_folded(const struct diff_opts *o, const struct stacks *s, FILE *out)
{
	uint32_t *ord = malloc((s->n ? s->n : 1) * sizeof(*ord));
	double scale = !o->no_normalize && s->total[0] > 0 ? s->total[1] / s->total[0] : 1.0;
	size_t i;

	if (!ord)
		return -ENOMEM;
	for (i = 0; i < s->n; i++)
		ord[i] = (uint32_t)i;
	qsort_r(ord, s->n, sizeof(*ord), stack_cmp, (void *)s);
	for (i = 0; i < s->n; i++) {
		fputs(wp_arena__str(&s->text, s->offs[ord[i]]), out);
		fprintf(out, " %.0f %.0f\n", s->v[0][ord[i]] * scale, s->v[1][ord[i]]);
	}
	free(ord);
	return 0;
}

static int write_svg(const struct diff_opts *o, const struct stacks *s, FILE *out)
{
	struct wp_flame *f = wp_flame__new();
	uint32_t *path = malloc((2 * WPD_STACK_MAX_FRAMES + 4) * sizeof(*path));
	double scale = !o->no_normalize && s->total[0] > 0 ? s->total[1] / s->total[0] : 1.0;
	char subtitle[512];
	struct wp_flame_svg so = {
		.title = o->common.title ? o->common.title : "Differential Flame Graph",
		.unit = s->in_ns[1] ? "ns" : "samples",
		.width = o->common.width,
		.min_width = o->common.min_width,
		.inverted = o->common.inverted,
		.diff = true,
	};
	size_t i;
	int ret = -ENOMEM;

	if (!f || !path)
		goto out;
	for (i = 0; i < s->n; i++) {
		const char *st = wp_arena__str(&s->text, s->offs[i]), *p = st;
		const char *end = st + s->lens[i];
		size_t n = 0;
		bool offcpu = false;

		/* widths are AFTER: a stack only in BEFORE has nothing to draw */
		if (s->v[1][i] <= 0 && s->v[0][i] <= 0)
			continue;
		while (p <= end && n < 2 * WPD_STACK_MAX_FRAMES + 2) {
			const char *q = memchr(p, ';', (size_t)(end - p));
			size_t len;
			uint32_t flags = n == 0 ? WP_FLAME_THREAD : 0;

			if (!q)
				q = end;
			len = (size_t)(q - p);
			if (len > 4 && memcmp(q - 4, "_[k]", 4) == 0) {
				flags |= WP_FLAME_KERNEL;
				len -= 4;
			}
			if (len > 9 && memcmp(p, "[off-cpu:", 9) == 0) {
				flags |= WP_FLAME_OFFCPU;
				offcpu = true;
			}
			if (wp_flame__intern(f, p, len, flags, &path[n++]))
				goto out;
			p = q + 1;
		}
		if (wp_flame__add(f, path, n, (uint64_t)llround(s->v[1][i]), s->v[0][i] * scale,
				  offcpu))
			goto out;
	}
	snprintf(subtitle, sizeof(subtitle), "%s -> %s: red grew, blue shrank (self share)",
		 o->in[0], o->in[1]);
	so.subtitle = subtitle;
	ret = wp_flame__write_svg(f, &so, out);
out:
	wp_flame__free(f);
	free(path);
	return ret;
}

/* ---- command line ----------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
"usage: wp-diff [options] BEFORE AFTER\n"
"\n"
"Compare two profiles (.wpd recordings or folded stacks files).\n"
"\n"
"  -f, --format FORMAT  text (default): functions by change in self share,\n"
"                       paths that appeared or vanished; folded: difffolded\n"
"                       lines 'stack before after'; svg: differential flame graph\n"
"  -o, --output FILE    write here (default: stdout)\n"
"      --no-normalize   absolute values, not shares of each side's total\n"
"      --threshold PCT  hide changes under PCT points of share (default: 0.5)\n"
"      --fail-above PCT exit 3 if a function's self share grew by more than PCT points\n"
"  -n, --limit N        show N functions and N paths per section (default: 30; 0: all)\n"
"  -p, --pid PID[,PID]  recordings: only these processes\n"
"  -t, --tid TID[,TID]  recordings: only these threads\n"
"  -c, --comm NAME      recordings: only threads of this name (repeatable)\n"
"      --on-cpu         recordings: on-CPU samples only\n"
"      --off-cpu        recordings: off-CPU time only (default: both)\n"
"      --unit UNIT      recordings: samples, ns, us, ms (default: samples for\n"
"                       on-CPU data only, else ns)\n"
"      --per-thread     per thread: stacks rooted at comm-TID, functions per thread\n"
"      --symfs DIR      look for binaries under DIR\n"
"      --no-inline      recordings: no frames for inlined functions\n"
"      --no-stored-names\n"
"                       recordings: names from the files here only\n"
"      --title TEXT     svg: the graph's title\n"
"      --inverted       svg: icicle graph\n"
"      --width PX       svg: image width (default: 1200)\n"
"      --min-width PX   svg: leave out frames narrower than PX (default: 0.1)\n"
"  -v, --verbose        more diagnostics (repeatable)\n"
"  -q, --quiet          errors only\n"
"  -h, --help           this help\n"
"  -V, --version        print the version\n"
"\n"
"exit status: 0 done, 1 error, 2 usage, 3 --fail-above exceeded\n");
}

static int parse_pct(const char *opt, const char *s, double *out)
{
	if (wp_parse_double(s, 0, 100, out)) {
		pr_err("invalid %s '%s': expected 0 to 100 (points of share)", opt, s);
		return 2;
	}
	return 0;
}

/* wp-diff's own options (the shared ones: report/options.c). */
enum { OPT_NO_NORMALIZE = 256, OPT_THRESHOLD, OPT_FAIL_ABOVE };

static int own_option(void *tool, int c, const char *arg)
{
	struct diff_opts *o = tool;

	switch (c) {
	case 'f':
		if (strcmp(arg, "text") == 0) {
			o->format = FMT_TEXT;
		} else if (strcmp(arg, "folded") == 0) {
			o->format = FMT_FOLDED;
		} else if (strcmp(arg, "svg") == 0) {
			o->format = FMT_SVG;
		} else {
			pr_err("unknown format '%s': use text, folded or svg", arg);
			return 2;
		}
		return 0;
	case 'o':
		o->output = arg;
		return 0;
	case OPT_NO_NORMALIZE:
		o->no_normalize = true;
		return 0;
	case OPT_THRESHOLD:
		return parse_pct("--threshold", arg, &o->threshold);
	case OPT_FAIL_ABOVE:
		return parse_pct("--fail-above", arg, &o->fail_above);
	case 'n':
		if (wp_parse_u64(arg, 0, UINT32_MAX, &o->limit)) {
			pr_err("invalid --limit '%s': expected a number of rows", arg);
			return 2;
		}
		return 0;
	default:
		return WP_OPTS_UNKNOWN;
	}
}

static int parse_args(int argc, char **argv, struct diff_opts *o)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "no-normalize", no_argument, NULL, OPT_NO_NORMALIZE },
		{ "threshold", required_argument, NULL, OPT_THRESHOLD },
		{ "fail-above", required_argument, NULL, OPT_FAIL_ABOVE },
		{ "limit", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	int ret;

	o->threshold = 0.5;
	o->fail_above = -1;
	o->limit = 30;
	ret = wp_opts__parse(&o->common, argc, argv, "f:o:n:", longopts, own_option, o);
	if (ret)
		return ret;
	if (argc - optind != 2) {
		pr_err("two inputs are needed: BEFORE AFTER (got %d)", argc - optind);
		usage(stderr);
		return 2;
	}
	o->in[0] = argv[optind];
	o->in[1] = argv[optind + 1];
	if (strcmp(o->in[0], "-") == 0 && strcmp(o->in[1], "-") == 0) {
		pr_err("only one input can be standard input");
		return 2;
	}
	return 0;
}

static int write_output(const struct diff_opts *o, const struct stacks *s,
			const struct funcs *fs, struct func **order, size_t nrows,
			size_t nquiet)
{
	struct wp_outfile out;
	int ret;

	if (wp_outfile__open(&out, o->output))
		return 1;
	switch (o->format) {
	case FMT_FOLDED:
		ret = write_folded(o, s, out.f);
		break;
	case FMT_SVG:
		ret = write_svg(o, s, out.f);
		break;
	default:
		ret = write_text(o, s, fs, order, nrows, nquiet, out.f);
		break;
	}
	return wp_outfile__close(&out, ret);
}

static int cmd_diff(int argc, char **argv)
{
	struct diff_opts o = { 0 };
	struct stacks s = { 0 };
	struct funcs fs = { 0 };
	struct func **order = NULL;
	size_t i, nrows = 0, nquiet = 0;
	struct func *worst = NULL;
	int ret;

	wp_opts__init(&o.common, "wp-diff", usage,
		      WP_OPTS_FILTER | WP_OPTS_KINDS | WP_OPTS_UNIT | WP_OPTS_SYMBOLS |
		      WP_OPTS_PER_THREAD | WP_OPTS_SVG);
	ret = parse_args(argc, argv, &o);
	if (ret) {
		ret = ret < 0 ? 0 : ret;
		goto out;
	}
	ret = load_inputs(&o, &s);
	if (ret)
		goto out;
	if (compute_funcs(&s, o.common.per_thread, &fs)) {
		pr_err("out of memory");
		ret = 1;
		goto out;
	}
	order = malloc((fs.n ? fs.n : 1) * sizeof(*order));
	if (!order) {
		pr_err("out of memory");
		ret = 1;
		goto out;
	}
	for (i = 0; i < fs.n; i++) {
		struct func *f = &fs.f[i];

		f->dself = share(&s, 1, f->self[1]) - share(&s, 0, f->self[0]);
		f->dtotal = share(&s, 1, f->total[1]) - share(&s, 0, f->total[0]);
		if (!worst || f->dself > worst->dself)
			worst = f;
		if (fabs(f->dself) < o.threshold && fabs(f->dtotal) < o.threshold) {
			nquiet++;
			continue;
		}
		order[nrows++] = f;
	}
	qsort(order, nrows, sizeof(*order), func_cmp);
	ret = write_output(&o, &s, &fs, order, nrows, nquiet);
	if (ret)
		goto out;
	if (o.fail_above >= 0 && worst && worst->dself > o.fail_above) {
		const char *name = wp_arena__str(&fs.text, worst->name_off);

		fprintf(stderr, "wp-diff: ");
		wp_text_put(stderr, name);
		fprintf(stderr, ": self share grew by %.2f points (%.2f%% -> %.2f%%), above %.2f\n",
			worst->dself, share(&s, 0, worst->self[0]), share(&s, 1, worst->self[1]),
			o.fail_above);
		ret = EXIT_THRESHOLD;
	}
out:
	free(order);
	wp_arena__release(&fs.text);
	free(fs.f);
	wp_map__release(&fs.index);
	stacks_release(&s);
	wp_opts__release(&o.common);
	return ret;
}

int main(int argc, char **argv)
{
	wp_log_prog = "wp-diff";
	return cmd_diff(argc, argv);
}
