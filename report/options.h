/* SPDX-License-Identifier: MIT */
/*
 * The command-line options the offline tools (wp-report, wp-convert,
 * wp-diff) share: filters, kinds of time, unit, symbol lookup, the svg
 * options and -v/-q/-h/-V, parsed in one place so they behave alike.
 * Each tool names the groups it accepts and passes its own options
 * (table, short letters, handler); both go through one getopt_long loop.
 */
#ifndef WP_REPORT_OPTIONS_H
#define WP_REPORT_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "report/filter.h"
#include "report/folded.h"
#include "report/profile.h"

/* The groups of shared options a tool accepts (-v -q -h -V always). */
enum wp_opts_group {
	WP_OPTS_INPUT      = 1u << 0, /* -i FILE or one FILE operand (default: wp.wpd) */
	WP_OPTS_FILTER     = 1u << 1, /* -p, -t, -c */
	WP_OPTS_KINDS      = 1u << 2, /* --on-cpu, --off-cpu */
	WP_OPTS_UNIT       = 1u << 3, /* --unit */
	WP_OPTS_SYMBOLS    = 1u << 4, /* --symfs, --no-inline, --no-stored-names */
	WP_OPTS_CALIBRATE  = 1u << 5, /* --no-calibrate */
	WP_OPTS_PER_THREAD = 1u << 6, /* --per-thread */
	WP_OPTS_SVG        = 1u << 7, /* --title, --inverted, --width, --min-width */
};

struct wp_opts {
	/* the tool's, set by wp_opts__init() */
	const char *prog;          /* -V prints "PROG VERSION" */
	void (*usage)(FILE *f);    /* -h: to stdout; a bad option: to stderr */
	unsigned int groups;
	/* what the command line said */
	const char *input;
	struct wp_filter filter;
	uint32_t kinds;            /* bits of WP_EVENT_*; after parsing never 0 (both) */
	enum wp_unit unit;
	bool unit_set;
	const char *symfs;
	bool no_inline, no_calibrate, per_thread;
	bool no_stored_names;      /* names from the files here only */
	const char *title;
	bool inverted;
	unsigned int width;        /* 0: the format's default */
	double min_width;          /* < 0: the format's default */
};

void wp_opts__init(struct wp_opts *o, const char *prog, void (*usage)(FILE *f),
		   unsigned int groups);
void wp_opts__release(struct wp_opts *o);

/*
 * A tool's own option: c as getopt_long returned it, arg its argument.
 * 0 (taken), 1 or 2 (error reported: the exit status), or
 * WP_OPTS_UNKNOWN (not the tool's: usage to stderr, exit 2).
 */
#define WP_OPTS_UNKNOWN (-2)
typedef int (*wp_opts_own_fn)(void *tool, int c, const char *arg);

/*
 * Parse argv: the tool's own options (own, NULL-terminated, values below
 * 1000; shortopts its letters) and the shared groups. Then with
 * WP_OPTS_INPUT the operand, and the defaults (input, both kinds).
 * Operands are left from optind on. 0, -1 (-h or -V done: exit 0), or an
 * exit status (1, 2) with the error reported.
 */
int wp_opts__parse(struct wp_opts *o, int argc, char **argv, const char *shortopts,
		   const struct option *own, wp_opts_own_fn fn, void *tool);

/*
 * Load and resolve the recording at path with the symbol options,
 * warning about what it says was lost. 0, or 1 (error reported; *p is
 * the caller's to free either way).
 */
int wp_opts__load(const struct wp_opts *o, const char *path, struct wp_profile **p);

#endif
