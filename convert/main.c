/* SPDX-License-Identifier: MIT */
/*
 * wp-convert: a .wpd recording to formats other tools read.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "convert/convert.h"
#include "convert/outfile.h"
#include "report/options.h"

struct format {
	const char *name;
	int (*write)(struct wp_convert_ctx *c);
	const char *what;
	bool rereads; /* a second, time-ordered pass over the input */
};

static const struct format formats[] = {
	{ "folded", wp_convert_folded, "folded stacks for flamegraph.pl, inferno, speedscope", false },
	{ "speedscope", wp_convert_speedscope, "speedscope JSON: per-thread timelines", true },
	{ "pprof", wp_convert_pprof, "gzipped profile.proto: go tool pprof, Pyroscope, Parca", false },
	{ "svg", wp_convert_svg, "interactive flame graph (self-contained SVG)", false },
	{ "chrome", wp_convert_chrome, "Chrome trace events JSON: Perfetto, chrome://tracing", true },
};

#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

struct convert_opts {
	struct wp_opts common; /* input, filters, kinds, unit, symbols, svg */
	const char *output;
	const struct format *format;
	bool merge;         /* --merge (speedscope) */
	bool lines;         /* --lines (speedscope) */
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
"usage: wp-convert -f FORMAT [options] [FILE]\n"
"\n"
"Convert a wp recording for other tools.\n"
"\n"
"  -f, --format FORMAT  output format (required), one of:\n");
	for (i = 0; i < NFORMATS; i++)
		fprintf(f, "                         %-10s %s\n", formats[i].name, formats[i].what);
	fprintf(f,
"  -i, --input FILE     recording to read (default: wp.wpd; '-': stdin)\n"
"  -o, --output FILE    write here (default: stdout)\n"
"  -p, --pid PID[,PID]  only these processes\n"
"  -t, --tid TID[,TID]  only these threads\n"
"  -c, --comm NAME      only threads of this name (repeatable)\n"
"      --on-cpu         on-CPU samples only\n"
"      --off-cpu        off-CPU time only (default: both, wall-clock)\n"
"      --unit UNIT      count unit: 'samples', 'ns', 'us' or 'ms' (default:\n"
"                       samples for on-CPU data only, else us)\n"
"      --per-thread     folded: root each stack at comm-TID\n"
"      --no-calibrate   weigh on-CPU samples by the sampling period, not by\n"
"                       the threads' exact on-CPU time\n"
"      --symfs DIR      look for binaries under DIR\n"
"      --no-inline      no frames for inlined functions (one per address)\n"
"      --no-stored-names\n"
"                       name frames from the files here only, not from the\n"
"                       names stored in the recording\n"
"      --title TEXT     svg: the graph's title\n"
"      --inverted       svg: icicle graph (roots on top)\n"
"      --width PX       svg: image width (default: 1200)\n"
"      --min-width PX   svg: leave out frames narrower than PX (default: 0.1)\n"
"      --merge          speedscope: one profile for all threads\n"
"      --lines          speedscope: a frame per function and source line\n"
"  -v, --verbose        more diagnostics (repeatable)\n"
"  -q, --quiet          errors only\n"
"  -h, --help           this help\n"
"  -V, --version        print the version\n"
"\n"
"example: wp-convert -f folded -i wp.wpd | flamegraph.pl > flame.svg\n");
}

static const struct format *find_format(const char *name)
{
	size_t i;

	for (i = 0; i < NFORMATS; i++)
		if (strcmp(formats[i].name, name) == 0)
			return &formats[i];
	return NULL;
}

static void list_formats(FILE *f)
{
	size_t i;

	for (i = 0; i < NFORMATS; i++)
		fprintf(f, "%s%s", i ? ", " : "", formats[i].name);
}

/*
 * Formats that read the input twice cannot read a pipe twice: standard
 * input is copied to an unlinked temporary file, read as /proc/self/fd/N.
 * 0 (path set; *fd to close) or 1 (error reported).
 */
static int spool_stdin(char *path, size_t len, int *fd)
{
	char tmpl[4096];
	const char *dir = getenv("TMPDIR");
	char buf[1 << 16];
	ssize_t n;

	snprintf(tmpl, sizeof(tmpl), "%s/wp-convert.XXXXXX", dir && *dir ? dir : "/tmp");
	*fd = mkstemp(tmpl);
	if (*fd < 0) {
		pr_err("cannot create '%s' for standard input: %s", tmpl, strerror(errno));
		return 1;
	}
	unlink(tmpl);
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(*fd, buf, (size_t)n) != n) {
			pr_err("cannot copy standard input: %s", strerror(errno));
			return 1;
		}
	}
	snprintf(path, len, "/proc/self/fd/%d", *fd);
	return 0;
}

/* wp-convert's own options (the shared ones: report/options.c). */
enum { OPT_MERGE = 256, OPT_LINES };

static int own_option(void *tool, int c, const char *arg)
{
	struct convert_opts *o = tool;

	switch (c) {
	case 'f':
		o->format = find_format(arg);
		if (!o->format) {
			pr_err("unknown format '%s'", arg);
			fputs("supported formats: ", stderr);
			list_formats(stderr);
			fputc('\n', stderr);
			return 2;
		}
		return 0;
	case 'o':
		o->output = arg;
		return 0;
	case OPT_MERGE:
		o->merge = true;
		return 0;
	case OPT_LINES:
		o->lines = true;
		return 0;
	default:
		return WP_OPTS_UNKNOWN;
	}
}

static int parse_args(int argc, char **argv, struct convert_opts *o)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "merge", no_argument, NULL, OPT_MERGE },
		{ "lines", no_argument, NULL, OPT_LINES },
		{ NULL, 0, NULL, 0 },
	};
	int ret;

	ret = wp_opts__parse(&o->common, argc, argv, "f:o:", longopts, own_option, o);
	if (ret)
		return ret;
	if (!o->format) {
		fputs("wp-convert: error: an output format is required: -f FORMAT, one of: ", stderr);
		list_formats(stderr);
		fputc('\n', stderr);
		return 2;
	}
	return 0;
}

static int write_output(const struct convert_opts *o, struct wp_convert_ctx *ctx)
{
	struct wp_outfile out;

	if (wp_outfile__open(&out, o->output))
		return 1;
	ctx->out = out.f;
	return wp_outfile__close(&out, o->format->write(ctx));
}

static int cmd_convert(int argc, char **argv)
{
	struct convert_opts o = { 0 };
	struct wp_convert_ctx ctx = { 0 };
	struct wp_profile *p = NULL;
	char spooled[64];
	int ret, spool_fd = -1;

	wp_opts__init(&o.common, "wp-convert", usage,
		      WP_OPTS_INPUT | WP_OPTS_FILTER | WP_OPTS_KINDS | WP_OPTS_UNIT |
		      WP_OPTS_SYMBOLS | WP_OPTS_CALIBRATE | WP_OPTS_PER_THREAD | WP_OPTS_SVG);
	ret = parse_args(argc, argv, &o);
	if (ret) {
		ret = ret < 0 ? 0 : ret;
		goto out;
	}
	if (o.format->rereads && strcmp(o.common.input, "-") == 0) {
		ret = spool_stdin(spooled, sizeof(spooled), &spool_fd);
		if (ret)
			goto out;
		o.common.input = spooled;
	}
	ret = wp_opts__load(&o.common, o.common.input, &p);
	if (ret)
		goto out;
	ctx.input = o.common.input;
	ctx.prof = p;
	ctx.filter = &o.common.filter;
	ctx.kinds = o.common.kinds;
	ctx.unit = o.common.unit;
	/* samples when only on-CPU data is written, else time */
	if (!o.common.unit_set)
		ctx.unit = (o.common.kinds & (1u << WP_EVENT_OFFCPU)) && wp_profile__has_offcpu(p) ?
			   WP_UNIT_US : WP_UNIT_SAMPLES;
	ctx.per_thread = o.common.per_thread;
	ctx.title = o.common.title;
	ctx.inverted = o.common.inverted;
	ctx.width = o.common.width;
	ctx.min_width = o.common.min_width;
	ctx.merge = o.merge;
	ctx.lines = o.lines;
	ret = write_output(&o, &ctx);
out:
	if (spool_fd >= 0)
		close(spool_fd);
	wp_profile__free(p);
	wp_opts__release(&o.common);
	return ret;
}

int main(int argc, char **argv)
{
	wp_log_prog = "wp-convert";
	return cmd_convert(argc, argv);
}
