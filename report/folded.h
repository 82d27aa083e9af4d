/* SPDX-License-Identifier: MIT */
/*
 * Folded stacks (Brendan Gregg's format, read by flamegraph.pl, inferno
 * and speedscope): one line per distinct stack,
 *
 *   comm;root_frame;...;leaf_frame COUNT\n
 *
 * user frames outermost first, then kernel frames suffixed "_[k]" (the
 * colour hint flamegraph.pl and inferno strip); inlined functions are
 * suffixed "_[i]" and JIT code named by a perf map "_[j]", the same
 * tools' hints for those. Identical lines are merged; lines are sorted
 * bytewise, so output is deterministic.
 *
 * Off-CPU groups are the thread's stack at switch-out followed by one
 * pseudo frame naming the reason, "[off-cpu:sleep]", "[off-cpu:blocked]",
 * "[off-cpu:preempted]", "[off-cpu:other]", "[off-cpu:unknown]": they
 * share the on-CPU stacks' code paths (a hot/cold flame graph) and stay
 * distinguishable. With per_thread the first field is "comm-TID".
 *
 * Counts are integers in the unit: samples (on-CPU: sample counts;
 * off-CPU: time at the sampling period), or time (ns, us, ms: on-CPU
 * weights, i.e. the calibrated period). Each line's exact total is
 * rounded to the nearest integer once; a line that rounds to 0 is left
 * out (counted in wp_folded_stats).
 *
 * Escaping, so that no name can break the line format: ';' (the frame
 * separator) becomes ':', control characters (newline, CR, tab, ...) and
 * bytes that are not valid UTF-8 become '?'; an empty name is written
 * "[unknown]". Everything else, spaces included, is kept: readers split
 * the count off at the last space.
 */
#ifndef WP_REPORT_FOLDED_H
#define WP_REPORT_FOLDED_H

#include <stdint.h>
#include <stdio.h>

#include "report/filter.h"
#include "report/profile.h"
#include "report/util.h"

enum wp_unit {
	WP_UNIT_SAMPLES = 0, /* on-CPU: sample counts; off-CPU: time / period */
	WP_UNIT_NS,
	WP_UNIT_US,
	WP_UNIT_MS,
};

/* "samples", "ns", "us", "ms" */
const char *wp_unit__name(enum wp_unit u);
/* 0 and *u, or -EINVAL for an unknown name. */
int wp_unit__parse(const char *name, enum wp_unit *u);
/* ns in the unit, rounded to the nearest (samples: at the sampling period). */
uint64_t wp_unit__from_ns(const struct wp_profile *p, uint64_t ns, enum wp_unit u);
/*
 * A group's value in the unit, rounded: on-CPU in samples is its count,
 * anything else its weight (ns) converted with wp_unit__from_ns().
 */
uint64_t wp_group__value(const struct wp_profile *p, const struct wp_group *g,
			 enum wp_unit u);

/* Append name to b escaped for a folded line. */
void wp_folded_escape(struct wp_strbuf *b, const char *name);
/* A frame's folded suffix: "_[k]" kernel, "_[i]" inlined, "_[j]" JIT, or "". */
const char *wp_folded_suffix(const struct wp_frame *f);
/* The tag text output puts before a frame's name: "[k] ", "[i] ", "[j] " or "". */
const char *wp_frame_tag(const struct wp_frame *f);

struct wp_folded_opts {
	const struct wp_filter *filter; /* NULL: everything */
	uint32_t kinds;                 /* bit per enum wp_event_kind; 0: all */
	enum wp_unit unit;
	bool per_thread;                /* root "comm-TID" instead of "comm" */
};

struct wp_folded_stats {
	uint64_t lines;   /* distinct stacks written */
	uint64_t total;   /* sum of the counts written */
	uint64_t dropped_lines; /* stacks whose count rounded to 0, left out */
	uint64_t dropped_ns;    /* their time */
};

/*
 * Write the folded stacks of a resolved profile. 0, -ENOMEM, or -EIO if
 * writing to f failed.
 */
int wp_folded_write(const struct wp_profile *p, const struct wp_folded_opts *o,
		    FILE *f, struct wp_folded_stats *st);

#endif
