/* SPDX-License-Identifier: MIT */
#include "report/options.h"

#include <string.h>

#include "common/log.h"
#include "common/parse.h"
#include "report/summary.h"

/* Long-only shared options take values from here up: the tools' own stay below. */
enum {
	OPT_ONCPU = 1000, OPT_OFFCPU, OPT_UNIT, OPT_SYMFS, OPT_NO_INLINE, OPT_NO_CALIBRATE,
	OPT_PER_THREAD, OPT_TITLE, OPT_INVERTED, OPT_WIDTH, OPT_MIN_WIDTH, OPT_NO_STORED,
};

struct shared_opt {
	unsigned int group; /* 0: every tool */
	struct option opt;
};

static const struct shared_opt shared[] = {
	{ WP_OPTS_INPUT, { "input", required_argument, NULL, 'i' } },
	{ WP_OPTS_FILTER, { "pid", required_argument, NULL, 'p' } },
	{ WP_OPTS_FILTER, { "tid", required_argument, NULL, 't' } },
	{ WP_OPTS_FILTER, { "comm", required_argument, NULL, 'c' } },
	{ WP_OPTS_KINDS, { "on-cpu", no_argument, NULL, OPT_ONCPU } },
	{ WP_OPTS_KINDS, { "off-cpu", no_argument, NULL, OPT_OFFCPU } },
	{ WP_OPTS_UNIT, { "unit", required_argument, NULL, OPT_UNIT } },
	{ WP_OPTS_SYMBOLS, { "symfs", required_argument, NULL, OPT_SYMFS } },
	{ WP_OPTS_SYMBOLS, { "no-inline", no_argument, NULL, OPT_NO_INLINE } },
	{ WP_OPTS_SYMBOLS, { "no-stored-names", no_argument, NULL, OPT_NO_STORED } },
	{ WP_OPTS_CALIBRATE, { "no-calibrate", no_argument, NULL, OPT_NO_CALIBRATE } },
	{ WP_OPTS_PER_THREAD, { "per-thread", no_argument, NULL, OPT_PER_THREAD } },
	{ WP_OPTS_SVG, { "title", required_argument, NULL, OPT_TITLE } },
	{ WP_OPTS_SVG, { "inverted", no_argument, NULL, OPT_INVERTED } },
	{ WP_OPTS_SVG, { "width", required_argument, NULL, OPT_WIDTH } },
	{ WP_OPTS_SVG, { "min-width", required_argument, NULL, OPT_MIN_WIDTH } },
	{ 0, { "verbose", no_argument, NULL, 'v' } },
	{ 0, { "quiet", no_argument, NULL, 'q' } },
	{ 0, { "help", no_argument, NULL, 'h' } },
	{ 0, { "version", no_argument, NULL, 'V' } },
};

#define NSHARED (sizeof(shared) / sizeof(shared[0]))
#define OWN_MAX 32

void wp_opts__init(struct wp_opts *o, const char *prog, void (*usage)(FILE *f),
		   unsigned int groups)
{
	memset(o, 0, sizeof(*o));
	o->prog = prog;
	o->usage = usage;
	o->groups = groups;
	o->min_width = -1;
	wp_filter__init(&o->filter);
}

void wp_opts__release(struct wp_opts *o)
{
	wp_filter__release(&o->filter);
}

/* A shared option: 0, -1 (-h/-V done), 1 or 2 (error reported), or WP_OPTS_UNKNOWN. */
static int take(struct wp_opts *o, int c, const char *arg)
{
	uint64_t v;
	int ret;

	switch (c) {
	case 'i':
		o->input = arg;
		return 0;
	case 'p':
	case 't':
		ret = c == 'p' ? wp_filter__add_pids(&o->filter, arg)
			       : wp_filter__add_tids(&o->filter, arg);
		if (ret) {
			pr_err("invalid --%s '%s': expected ID[,ID...]", c == 'p' ? "pid" : "tid",
			       arg);
			return 2;
		}
		return 0;
	case 'c':
		if (wp_filter__add_comm(&o->filter, arg)) {
			pr_err("out of memory");
			return 1;
		}
		return 0;
	case OPT_ONCPU:
		o->kinds |= 1u << WP_EVENT_ONCPU;
		return 0;
	case OPT_OFFCPU:
		o->kinds |= 1u << WP_EVENT_OFFCPU;
		return 0;
	case OPT_UNIT:
		if (wp_unit__parse(arg, &o->unit)) {
			pr_err("unknown unit '%s': supported units: samples, ns, us, ms", arg);
			return 2;
		}
		o->unit_set = true;
		return 0;
	case OPT_SYMFS:
		o->symfs = arg;
		return 0;
	case OPT_NO_INLINE:
		o->no_inline = true;
		return 0;
	case OPT_NO_STORED:
		o->no_stored_names = true;
		return 0;
	case OPT_NO_CALIBRATE:
		o->no_calibrate = true;
		return 0;
	case OPT_PER_THREAD:
		o->per_thread = true;
		return 0;
	case OPT_TITLE:
		o->title = arg;
		return 0;
	case OPT_INVERTED:
		o->inverted = true;
		return 0;
	case OPT_WIDTH:
		if (wp_parse_u64(arg, 100, 1000000, &v)) {
			pr_err("invalid --width '%s': expected 100 to 1000000 pixels", arg);
			return 2;
		}
		o->width = (unsigned int)v;
		return 0;
	case OPT_MIN_WIDTH:
		if (wp_parse_double(arg, 0, 10000, &o->min_width)) {
			pr_err("invalid --min-width '%s': expected 0 to 10000 pixels", arg);
			return 2;
		}
		return 0;
	case 'v':
		wp_log_verbosity++;
		return 0;
	case 'q':
		wp_log_verbosity = WP_LOG_ERR;
		return 0;
	case 'h':
		o->usage(stdout);
		return -1;
	case 'V':
		printf("%s %s\n", o->prog, WP_VERSION);
		return -1;
	default:
		return WP_OPTS_UNKNOWN;
	}
}

/* After the options: the one input operand, and the defaults. */
static int finish(struct wp_opts *o, int argc, char **argv)
{
	if (o->groups & WP_OPTS_INPUT) {
		if (optind < argc) {
			if (o->input || optind + 1 < argc) {
				pr_err("one input file only (got '%s')", argv[argc - 1]);
				return 2;
			}
			o->input = argv[optind++];
		}
		if (!o->input)
			o->input = "wp.wpd";
	}
	if (!o->kinds) /* wall-clock: both */
		o->kinds = (1u << WP_EVENT_ONCPU) | (1u << WP_EVENT_OFFCPU);
	return 0;
}

int wp_opts__parse(struct wp_opts *o, int argc, char **argv, const char *shortopts,
		   const struct option *own, wp_opts_own_fn fn, void *tool)
{
	struct option longopts[OWN_MAX + NSHARED + 1];
	char letters[64];
	size_t n = 0, i;
	int c, ret;

	for (; own[n].name; n++) {
		if (n == OWN_MAX) {
			pr_err("internal error: too many options");
			return 1;
		}
		longopts[n] = own[n];
	}
	for (i = 0; i < NSHARED; i++)
		if (!shared[i].group || (o->groups & shared[i].group))
			longopts[n++] = shared[i].opt;
	memset(&longopts[n], 0, sizeof(longopts[n]));
	snprintf(letters, sizeof(letters), "%s%s%svqhV", shortopts,
		 o->groups & WP_OPTS_INPUT ? "i:" : "", o->groups & WP_OPTS_FILTER ? "p:t:c:" : "");
	while ((c = getopt_long(argc, argv, letters, longopts, NULL)) != -1) {
		ret = fn(tool, c, optarg);
		if (ret == WP_OPTS_UNKNOWN)
			ret = take(o, c, optarg);
		if (ret == WP_OPTS_UNKNOWN) {
			o->usage(stderr);
			return 2;
		}
		if (ret)
			return ret;
	}
	return finish(o, argc, argv);
}

int wp_opts__load(const struct wp_opts *o, const char *path, struct wp_profile **p)
{
	/* symfs also names the binaries for --call-graph dwarf stacks */
	struct wp_load_opts lo = { .symfs = o->symfs, .no_calibrate = o->no_calibrate };
	struct wp_resolve_opts ro = { .symfs = o->symfs, .no_inline = o->no_inline,
				      .no_stored_names = o->no_stored_names };
	char err[512];

	if (wp_profile__load(path, &lo, p, err, sizeof(err))) {
		pr_err("%s", err);
		return 1;
	}
	wp_summary__warn(*p, path);
	if (wp_profile__resolve(*p, &ro)) {
		pr_err("out of memory");
		return 1;
	}
	return 0;
}
