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
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/parse.h"
#include "convert/convert.h"
#include "report/summary.h"

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
	const char *input;
	const char *output;
	const struct format *format;
	const char *symfs;
	uint32_t kinds;
	enum wp_unit unit;
	bool unit_set, per_thread, no_calibrate;
	bool no_inline;     /* --no-inline */
	struct wp_filter filter;
	/* format options */
	const char *title;
	bool inverted, merge;
	uint64_t width;
	double min_width;
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
"      --title TEXT     svg: the graph's title\n"
"      --inverted       svg: icicle graph (roots on top)\n"
"      --width PX       svg: image width (default: 1200)\n"
"      --min-width PX   svg: leave out frames narrower than PX (default: 0.1)\n"
"      --merge          speedscope: one profile for all threads\n"
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

static int parse_args(int argc, char **argv, struct convert_opts *o)
{
	enum { OPT_SYMFS = 256, OPT_ONCPU, OPT_UNIT, OPT_OFFCPU, OPT_PER_THREAD, OPT_NO_CALIBRATE, OPT_TITLE, OPT_INVERTED, OPT_WIDTH,
	       OPT_MIN_WIDTH, OPT_MERGE, OPT_NO_INLINE = 400 };
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "input", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "pid", required_argument, NULL, 'p' },
		{ "tid", required_argument, NULL, 't' },
		{ "comm", required_argument, NULL, 'c' },
		{ "on-cpu", no_argument, NULL, OPT_ONCPU },
		{ "off-cpu", no_argument, NULL, OPT_OFFCPU },
		{ "per-thread", no_argument, NULL, OPT_PER_THREAD },
		{ "no-calibrate", no_argument, NULL, OPT_NO_CALIBRATE },
		{ "unit", required_argument, NULL, OPT_UNIT },
		{ "symfs", required_argument, NULL, OPT_SYMFS },
		{ "no-inline", no_argument, NULL, OPT_NO_INLINE },
		{ "title", required_argument, NULL, OPT_TITLE },
		{ "inverted", no_argument, NULL, OPT_INVERTED },
		{ "width", required_argument, NULL, OPT_WIDTH },
		{ "min-width", required_argument, NULL, OPT_MIN_WIDTH },
		{ "merge", no_argument, NULL, OPT_MERGE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, ret;

	o->min_width = -1; /* the format's default */
	while ((c = getopt_long(argc, argv, "f:i:o:p:t:c:vqhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->format = find_format(optarg);
			if (!o->format) {
				pr_err("unknown format '%s'", optarg);
				fputs("supported formats: ", stderr);
				list_formats(stderr);
				fputc('\n', stderr);
				return 2;
			}
			break;
		case 'i':
			o->input = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'p':
		case 't':
			ret = c == 'p' ? wp_filter__add_pids(&o->filter, optarg)
				       : wp_filter__add_tids(&o->filter, optarg);
			if (ret) {
				pr_err("invalid --%s '%s': expected ID[,ID...]", c == 'p' ? "pid" : "tid",
				       optarg);
				return 2;
			}
			break;
		case 'c':
			if (wp_filter__add_comm(&o->filter, optarg)) {
				pr_err("out of memory");
				return 1;
			}
			break;
		case OPT_ONCPU:
			o->kinds |= 1u << WP_EVENT_ONCPU;
			break;
		case OPT_OFFCPU:
			o->kinds |= 1u << WP_EVENT_OFFCPU;
			break;
		case OPT_PER_THREAD:
			o->per_thread = true;
			break;
		case OPT_NO_CALIBRATE:
			o->no_calibrate = true;
			break;
		case OPT_UNIT:
			if (wp_unit__parse(optarg, &o->unit)) {
				pr_err("unknown unit '%s': supported units: samples, ns, us, ms", optarg);
				return 2;
			}
			o->unit_set = true;
			break;
		case OPT_SYMFS:
			o->symfs = optarg;
			break;
		case OPT_NO_INLINE:
			o->no_inline = true;
			break;
		case OPT_TITLE:
			o->title = optarg;
			break;
		case OPT_INVERTED:
			o->inverted = true;
			break;
		case OPT_MERGE:
			o->merge = true;
			break;
		case OPT_WIDTH:
			if (wp_parse_u64(optarg, 100, 1000000, &o->width)) {
				pr_err("invalid --width '%s': expected 100 to 1000000 pixels", optarg);
				return 2;
			}
			break;
		case OPT_MIN_WIDTH: {
			char *end;

			errno = 0;
			o->min_width = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o->min_width >= 0) ||
			    o->min_width > 10000) {
				pr_err("invalid --min-width '%s': expected 0 to 10000 pixels", optarg);
				return 2;
			}
			break;
		}
		case 'v':
			wp_log_verbosity++;
			break;
		case 'q':
			wp_log_verbosity = WP_LOG_ERR;
			break;
		case 'h':
			usage(stdout);
			return -1;
		case 'V':
			printf("wp-convert %s\n", WP_VERSION);
			return -1;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		if (o->input || optind + 1 < argc) {
			pr_err("one input file only (got '%s')", argv[argc - 1]);
			return 2;
		}
		o->input = argv[optind];
	}
	if (!o->format) {
		fputs("wp-convert: error: an output format is required: -f FORMAT, one of: ", stderr);
		list_formats(stderr);
		fputc('\n', stderr);
		return 2;
	}
	if (!o->input)
		o->input = "wp.wpd";
	if (!o->kinds) /* wall-clock: both */
		o->kinds = (1u << WP_EVENT_ONCPU) | (1u << WP_EVENT_OFFCPU);
	return 0;
}

/*
 * The output goes to a temporary file renamed over FILE at the end, so
 * a failed conversion never leaves a truncated FILE behind. FILE that
 * is not a regular file (-o /dev/null, a pipe) is written in place:
 * renaming over it would replace the device.
 */
static int write_output(const struct convert_opts *o, struct wp_convert_ctx *ctx)
{
	char *tmp = NULL;
	struct stat st;
	mode_t mask;
	int fd, ret;

	if (!o->output || strcmp(o->output, "-") == 0 ||
	    (stat(o->output, &st) == 0 && !S_ISREG(st.st_mode))) {
		bool std = !o->output || strcmp(o->output, "-") == 0;

		ctx->out = std ? stdout : fopen(o->output, "w");
		if (!ctx->out) {
			pr_err("cannot open '%s': %s", o->output, strerror(errno));
			return 1;
		}
		ret = o->format->write(ctx);
		if (!ret && (fflush(ctx->out) || ferror(ctx->out)))
			ret = -EIO;
		if (!std && fclose(ctx->out) && !ret)
			ret = -EIO;
		if (ret)
			pr_err("cannot write the output: %s", strerror(-ret));
		return ret ? 1 : 0;
	}
	if (asprintf(&tmp, "%s.XXXXXX", o->output) < 0) {
		pr_err("out of memory");
		return 1;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		pr_err("cannot create '%s': %s", tmp, strerror(errno));
		free(tmp);
		return 1;
	}
	mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	ctx->out = fdopen(fd, "w");
	if (!ctx->out) {
		close(fd);
		ret = -errno;
	} else {
		ret = o->format->write(ctx);
		if (fclose(ctx->out) && !ret)
			ret = -errno;
	}
	if (!ret && rename(tmp, o->output))
		ret = -errno;
	if (ret) {
		pr_err("cannot write '%s': %s", o->output, strerror(-ret));
		unlink(tmp);
	}
	free(tmp);
	return ret ? 1 : 0;
}

static int cmd_convert(int argc, char **argv)
{
	struct convert_opts o = { 0 };
	struct wp_resolve_opts ro = { 0 };
	struct wp_load_opts lo = { 0 };
	struct wp_convert_ctx ctx = { 0 };
	struct wp_profile *p = NULL;
	char err[512], spooled[64];
	int ret, spool_fd = -1;

	wp_filter__init(&o.filter);
	ret = parse_args(argc, argv, &o);
	if (ret) {
		ret = ret < 0 ? 0 : ret;
		goto out;
	}
	if (o.format->rereads && strcmp(o.input, "-") == 0) {
		ret = spool_stdin(spooled, sizeof(spooled), &spool_fd);
		if (ret)
			goto out;
		o.input = spooled;
	}
	lo.no_calibrate = o.no_calibrate;
	lo.symfs = o.symfs; /* binaries for --call-graph dwarf stacks */
	ret = wp_profile__load(o.input, &lo, &p, err, sizeof(err));
	if (ret) {
		pr_err("%s", err);
		ret = 1;
		goto out;
	}
	wp_summary__warn(p, o.input);
	ro.symfs = o.symfs;
	ro.no_inline = o.no_inline;
	if (wp_profile__resolve(p, &ro)) {
		pr_err("out of memory");
		ret = 1;
		goto out;
	}
	ctx.input = o.input;
	ctx.prof = p;
	ctx.filter = &o.filter;
	ctx.kinds = o.kinds;
	ctx.unit = o.unit;
	/* samples when only on-CPU data is written, else time */
	if (!o.unit_set)
		ctx.unit = (o.kinds & (1u << WP_EVENT_OFFCPU)) && wp_profile__has_offcpu(p) ?
			   WP_UNIT_US : WP_UNIT_SAMPLES;
	ctx.per_thread = o.per_thread;
	ctx.title = o.title;
	ctx.inverted = o.inverted;
	ctx.width = (unsigned int)o.width;
	ctx.min_width = o.min_width;
	ctx.merge = o.merge;
	ret = write_output(&o, &ctx);
out:
	if (spool_fd >= 0)
		close(spool_fd);
	wp_profile__free(p);
	wp_filter__release(&o.filter);
	return ret;
}

int main(int argc, char **argv)
{
	wp_log_prog = "wp-convert";
	return cmd_convert(argc, argv);
}
