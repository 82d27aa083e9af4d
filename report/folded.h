/* SPDX-License-Identifier: MIT */
/*
 * Folded stacks (Brendan Gregg's format, read by flamegraph.pl, inferno
 * and speedscope): one line per distinct stack,
 *
 *   comm;root_frame;...;leaf_frame COUNT\n
 *
 * user frames outermost first, then kernel frames suffixed "_[k]" (the
 * colour hint flamegraph.pl and inferno strip). Identical lines are
 * merged; lines are sorted bytewise, so output is deterministic.
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
	WP_UNIT_SAMPLES = 0, /* event counts */
};

/* Append name to b escaped for a folded line. */
void wp_folded_escape(struct wp_strbuf *b, const char *name);

struct wp_folded_opts {
	const struct wp_filter *filter; /* NULL: everything */
	uint32_t kinds;                 /* bit per enum wp_event_kind; 0: all */
	enum wp_unit unit;
};

struct wp_folded_stats {
	uint64_t lines;   /* distinct stacks written */
	uint64_t total;   /* sum of the counts written */
};

/*
 * Write the folded stacks of a resolved profile. 0, -ENOMEM, or -EIO if
 * writing to f failed.
 */
int wp_folded_write(const struct wp_profile *p, const struct wp_folded_opts *o,
		    FILE *f, struct wp_folded_stats *st);

#endif
