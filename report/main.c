/* SPDX-License-Identifier: MIT */
/*
 * wp-report: what a .wpd recording holds, how complete it is, and where
 * the time went (top functions by self and total share; with scheduler
 * data, off-CPU time: blocking stacks, threads and wakers, and per-thread
 * accounting with --threads).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/parse.h"
#include "report/annotate.h"
#include "report/filter.h"
#include "report/json.h"
#include "report/options.h"
#include "report/profile.h"
#include "report/sandwich.h"
#include "report/summary.h"
#include "report/top.h"
#include "report/wallclock.h"

#define NAME_WIDTH_MAX 60

struct report_opts {
	struct wp_opts common; /* input, filters, kinds, symbols */
	enum wp_sort_key sort;
	uint64_t limit; /* 0: all */
	bool json;
	const char *annotate; /* --annotate FUNC */
	bool threads;       /* --threads */
	bool by_time;       /* the function table is in ns (off-CPU included) */
	bool offcpu_views;  /* blocking stacks, threads, wakers */
	const char *sandwich;            /* --sandwich FUNC */
	const struct wp_sandwich *sw;    /* its result */
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: wp-report [options] [FILE]\n"
"\n"
"Summarise a wp recording: header, drop counters, damage, top functions.\n"
"\n"
"  -i, --input FILE     recording to read (default: wp.wpd; '-': stdin)\n"
"  -s, --sort KEY       rank functions by 'self' (default) or 'total'\n"
"  -n, --limit N        show N functions (default: 20; 0: all)\n"
"  -p, --pid PID[,PID]  only these processes\n"
"  -t, --tid TID[,TID]  only these threads\n"
"  -c, --comm NAME      only threads of this name (repeatable)\n"
"      --on-cpu         only on-CPU time (samples)\n"
"      --off-cpu        only off-CPU time (scheduler events)\n"
"      --threads        per-thread on-CPU, off-CPU and unaccounted time\n"
"      --sandwich FUNC  callers and callees of FUNC, merged over its call sites\n"
"      --no-calibrate   weigh on-CPU samples by the sampling period, not by\n"
"                       the threads' exact on-CPU time\n"
"  -j, --json           print the report as JSON (see wp-report(1))\n"
"      --symfs DIR      look for binaries under DIR\n"
"      --no-inline      no frames for inlined functions (one per address)\n"
"      --no-stored-names\n"
"                       name frames from the files here only, not from the\n"
"                       names stored in the recording\n"
"      --annotate FUNC  FUNC's machine code with each instruction's share of\n"
"                       the samples, and its source lines (needs the binary)\n"
"  -v, --verbose        more diagnostics (repeatable)\n"
"  -q, --quiet          errors only\n"
"  -h, --help           this help\n"
"  -V, --version        print the version\n");
}

static void print_filter_text(const struct wp_filter *f, FILE *out)
{
	size_t i;

	for (i = 0; i < f->npids; i++)
		fprintf(out, "%s%d", i ? "," : " pid ", f->pids[i]);
	for (i = 0; i < f->ntids; i++)
		fprintf(out, "%s%d", i ? "," : " tid ", f->tids[i]);
	for (i = 0; i < f->ncomms; i++) {
		fputs(i ? "," : " comm ", out);
		wp_text_put(out, f->comms[i]);
	}
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static size_t shown(const struct report_opts *o, const struct wp_top *t)
{
	return o->limit && o->limit < t->nfuncs ? (size_t)o->limit : t->nfuncs;
}

static void report_text(const struct wp_profile *p, const struct report_opts *o,
			const struct wp_top *t, FILE *out)
{
	size_t i, n = shown(o, t), w = 8;

	wp_summary__text(p, o->common.input, out);
	if (wp_filter__active(&o->common.filter)) {
		fprintf(out, "# %-13s", "filter:");
		print_filter_text(&o->common.filter, out);
		fprintf(out, "; %" PRIu64 " of %" PRIu64 " samples selected", t->samples,
			wp_profile__read(p)->samples);
		if (o->by_time)
			fprintf(out, ", %" PRIu64 " off-CPU intervals", t->events - t->samples);
		fputc('\n', out);
	}
	if (o->threads) {
		wp_threads__text(p, &o->common.filter, out);
		return;
	}
	fprintf(out, "#\n# top %zu of %zu functions by %s share%s\n#\n", n, t->nfuncs,
		o->sort == WP_SORT_SELF ? "self" : "total",
		!o->by_time ? "" : o->common.kinds == 1u << WP_EVENT_OFFCPU ? " of off-CPU time" :
		" of wall-clock time (on-CPU and off-CPU)");
	if (!t->events) {
		fputs(o->by_time ? "# nothing selected\n" : "# no samples selected\n", out);
		return;
	}
	for (i = 0; i < n; i++) {
		const struct wp_frame *f = wp_profile__frame(p, t->funcs[i].frame);
		size_t fw = wp_text_width(f->name) + strlen(wp_frame_tag(f));

		if (fw > w)
			w = fw;
	}
	if (w > NAME_WIDTH_MAX)
		w = NAME_WIDTH_MAX;
	if (o->by_time)
		fprintf(out, "#  self%%  total%%     self ms    total ms  %-*s  module\n", (int)w,
			"function");
	else
		fprintf(out, "#  self%%  total%%      self     total  %-*s  module\n", (int)w,
			"function");
	for (i = 0; i < n; i++) {
		const struct wp_func_stat *s = &t->funcs[i];
		const struct wp_frame *f = wp_profile__frame(p, s->frame);
		size_t fw = wp_text_width(f->name);

		if (o->by_time)
			fprintf(out, "%8.2f %7.2f %11.3f %11.3f  ", pct(s->self, t->weight),
				pct(s->total, t->weight), (double)s->self / 1e6,
				(double)s->total / 1e6);
		else
			fprintf(out, "%8.2f %7.2f %9" PRIu64 " %9" PRIu64 "  ",
				pct(s->self, t->weight), pct(s->total, t->weight), s->self,
				s->total);
		fputs(wp_frame_tag(f), out);
		fw += strlen(wp_frame_tag(f));
		wp_text_put(out, f->name);
		fprintf(out, "%*s  ", (int)(fw < w ? w - fw : 0), "");
		wp_text_put(out, f->module[0] ? f->module : "-");
		fputc('\n', out);
	}
}

static void json_ids(struct wp_json *j, const char *key, const int *ids, size_t n)
{
	size_t i;

	wp_json__key(j, key);
	wp_json__begin_array(j);
	for (i = 0; i < n; i++)
		wp_json__u64(j, (uint64_t)ids[i]);
	wp_json__end_array(j);
}

static int report_json(const struct wp_profile *p, const struct report_opts *o,
		       const struct wp_top *t, const struct wp_offcpu_view *v, FILE *out)
{
	struct wp_json j;
	size_t i, n = shown(o, t);

	wp_json__init(&j, out);
	wp_json__begin_object(&j);
	wp_summary__json(p, o->common.input, &j);
	wp_json__key(&j, "unit");
	wp_json__str(&j, o->by_time ? "ns" : "samples");
	wp_json__key(&j, "kinds");
	wp_json__begin_array(&j);
	for (i = 0; i < WP_EVENT_KIND_MAX; i++)
		if (o->common.kinds & (1u << i))
			wp_json__str(&j, wp_event_kind__name((unsigned int)i));
	wp_json__end_array(&j);
	wp_json__key(&j, "calibrated_threads");
	wp_json__u64(&j, wp_profile__calibrated_threads(p));
	wp_json__key(&j, "filter");
	wp_json__begin_object(&j);
	json_ids(&j, "pid", o->common.filter.pids, o->common.filter.npids);
	json_ids(&j, "tid", o->common.filter.tids, o->common.filter.ntids);
	wp_json__key(&j, "comm");
	wp_json__begin_array(&j);
	for (i = 0; i < o->common.filter.ncomms; i++)
		wp_json__str(&j, o->common.filter.comms[i]);
	wp_json__end_array(&j);
	wp_json__end_object(&j);
	wp_json__key(&j, "samples_selected");
	wp_json__u64(&j, t->samples);
	wp_json__key(&j, "selected_total");
	wp_json__u64(&j, t->weight);
	wp_json__key(&j, "sort");
	wp_json__str(&j, o->sort == WP_SORT_SELF ? "self" : "total");
	wp_json__key(&j, "limit");
	wp_json__u64(&j, o->limit);
	wp_json__key(&j, "functions_total");
	wp_json__u64(&j, t->nfuncs);
	wp_json__key(&j, "functions");
	wp_json__begin_array(&j);
	for (i = 0; i < n; i++) {
		const struct wp_func_stat *s = &t->funcs[i];
		const struct wp_frame *f = wp_profile__frame(p, s->frame);

		wp_json__begin_object(&j);
		wp_json__key(&j, "name");
		wp_json__str(&j, f->name);
		wp_json__key(&j, "module");
		wp_json__str(&j, f->module);
		wp_json__key(&j, "kernel");
		wp_json__bool(&j, f->flags & WP_FRAME_KERNEL);
		wp_json__key(&j, "inlined");
		wp_json__bool(&j, f->flags & WP_FRAME_INLINED);
		wp_json__key(&j, "jit");
		wp_json__bool(&j, f->flags & WP_FRAME_JIT);
		wp_json__key(&j, "resolved");
		wp_json__bool(&j, !(f->flags & (WP_FRAME_UNRESOLVED | WP_FRAME_PSEUDO)));
		wp_json__key(&j, "self");
		wp_json__u64(&j, s->self);
		wp_json__key(&j, "total");
		wp_json__u64(&j, s->total);
		wp_json__key(&j, "self_pct");
		wp_json__double(&j, pct(s->self, t->weight), 4);
		wp_json__key(&j, "total_pct");
		wp_json__double(&j, pct(s->total, t->weight), 4);
		wp_json__end_object(&j);
	}
	wp_json__end_array(&j);
	if (o->threads || wp_profile__has_sched(p))
		wp_threads__json(p, &o->common.filter, &j);
	if (o->offcpu_views)
		wp_offcpu_view__json(p, v, o->limit, &j);
	if (o->sw)
		wp_sandwich__json(p, o->sw, o->limit, &j);
	wp_json__end_object(&j);
	return wp_json__finish(&j);
}

/* wp-report's own options (the shared ones: report/options.c). */
enum { OPT_THREADS = 256, OPT_SANDWICH, OPT_ANNOTATE };

static int own_option(void *tool, int c, const char *arg)
{
	struct report_opts *o = tool;

	switch (c) {
	case 's':
		if (strcmp(arg, "self") == 0) {
			o->sort = WP_SORT_SELF;
		} else if (strcmp(arg, "total") == 0) {
			o->sort = WP_SORT_TOTAL;
		} else {
			pr_err("unknown sort key '%s': use 'self' or 'total'", arg);
			return 2;
		}
		return 0;
	case 'n':
		if (wp_parse_u64(arg, 0, UINT32_MAX, &o->limit)) {
			pr_err("invalid --limit '%s': expected a number of functions", arg);
			return 2;
		}
		return 0;
	case 'j':
		o->json = true;
		return 0;
	case OPT_ANNOTATE:
		o->annotate = arg;
		return 0;
	case OPT_THREADS:
		o->threads = true;
		return 0;
	case OPT_SANDWICH:
		o->sandwich = arg;
		return 0;
	default:
		return WP_OPTS_UNKNOWN;
	}
}

static int parse_args(int argc, char **argv, struct report_opts *o)
{
	static const struct option longopts[] = {
		{ "sort", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "annotate", required_argument, NULL, OPT_ANNOTATE },
		{ "threads", no_argument, NULL, OPT_THREADS },
		{ "sandwich", required_argument, NULL, OPT_SANDWICH },
		{ NULL, 0, NULL, 0 },
	};

	o->limit = 20;
	return wp_opts__parse(&o->common, argc, argv, "s:n:j", longopts, own_option, o);
}

static int cmd_report(int argc, char **argv)
{
	struct report_opts o = { 0 };
	struct wp_top_opts to = { 0 };
	struct wp_profile *p = NULL;
	struct wp_top t = { 0 };
	struct wp_offcpu_view v = { 0 };
	struct wp_sandwich sw = { 0 };
	int ret;

	wp_opts__init(&o.common, "wp-report", usage,
		      WP_OPTS_INPUT | WP_OPTS_FILTER | WP_OPTS_KINDS | WP_OPTS_SYMBOLS |
		      WP_OPTS_CALIBRATE);
	ret = parse_args(argc, argv, &o);
	if (ret) {
		ret = ret < 0 ? 0 : ret;
		goto out;
	}
	ret = wp_opts__load(&o.common, o.common.input, &p);
	if (ret)
		goto out;
	/* with off-CPU time in it, the function table is by time */
	o.offcpu_views = (o.common.kinds & (1u << WP_EVENT_OFFCPU)) && wp_profile__has_offcpu(p);
	o.by_time = o.offcpu_views;
	to.filter = &o.common.filter;
	to.kinds = o.common.kinds;
	to.unit = o.by_time ? WP_UNIT_NS : WP_UNIT_SAMPLES;
	to.sort = o.sort;
	if (wp_top__compute(p, &to, &t) ||
	    (o.offcpu_views && wp_offcpu_view__compute(p, &o.common.filter, &v))) {
		pr_err("out of memory");
		ret = 1;
		goto out;
	}
	if (o.annotate) {
		struct wp_annotate_opts ao = { .func = o.annotate, .filter = &o.common.filter,
					       .json = o.json };

		ret = wp_annotate(p, &ao, stdout);
		if (ret < 0)
			pr_err(ret == -ENOMEM ? "out of memory" : "cannot write the report: %s",
			       strerror(-ret));
		ret = ret ? 1 : 0;
		goto out;
	}
	if (o.sandwich) {
		struct wp_sandwich_opts so = { .filter = &o.common.filter, .kinds = o.common.kinds,
					       .unit = to.unit };

		if (wp_sandwich__compute(p, o.sandwich, &so, &sw)) {
			pr_err("out of memory");
			ret = 1;
			goto out;
		}
		if (!sw.nframes) {
			const char *like[5];
			size_t i, n = wp_sandwich__suggest(p, o.sandwich, like, 5);

			pr_err("no function named '%s' in %s", o.sandwich, o.common.input);
			for (i = 0; i < n; i++) {
				fputs(i ? ", '" : "wp-report: did you mean '", stderr);
				wp_text_put(stderr, like[i]);
				fputc('\'', stderr);
			}
			if (n)
				fputc('\n', stderr);
			ret = 1;
			goto out;
		}
		o.sw = &sw;
	}
	if (o.json) {
		ret = report_json(p, &o, &t, &v, stdout);
	} else if (o.sw) {
		wp_summary__text(p, o.common.input, stdout);
		wp_sandwich__text(p, &sw, o.limit, o.by_time ? "ns" : "samples", stdout);
		ret = fflush(stdout) || ferror(stdout) ? -EIO : 0;
	} else {
		report_text(p, &o, &t, stdout);
		if (o.offcpu_views && !o.threads)
			wp_offcpu_view__text(p, &v, o.limit, stdout);
		ret = fflush(stdout) || ferror(stdout) ? -EIO : 0;
	}
	if (ret) {
		pr_err("cannot write the report: %s", strerror(-ret));
		ret = 1;
		goto out;
	}
	ret = 0;
out:
	wp_sandwich__release(&sw);
	wp_offcpu_view__release(&v);
	wp_top__release(&t);
	wp_profile__free(p);
	wp_opts__release(&o.common);
	return ret;
}

int main(int argc, char **argv)
{
	wp_log_prog = "wp-report";
	return cmd_report(argc, argv);
}
