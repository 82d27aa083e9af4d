/* SPDX-License-Identifier: MIT */
/*
 * Functions ranked by self and total share.
 *
 * self:  events whose leaf frame is the function;
 * total: events whose stack contains the function anywhere, counted once
 *        per event even when it recurses.
 * Shares are of the selected events' total.
 *
 * Off-CPU groups count with their stack and, as leaf (self), the pseudo
 * frame "[off-cpu:REASON]" (wp_profile__reason_frame()). Values are
 * samples with WP_UNIT_SAMPLES (off-CPU time converted at the sampling
 * period), else nanoseconds whatever the time unit (convert to display).
 */
#ifndef WP_REPORT_TOP_H
#define WP_REPORT_TOP_H

#include <stddef.h>
#include <stdint.h>

#include "report/filter.h"
#include "report/folded.h"
#include "report/profile.h"

enum wp_sort_key {
	WP_SORT_SELF = 0,
	WP_SORT_TOTAL,
};

struct wp_func_stat {
	uint32_t frame; /* wp_profile__frame() id */
	uint64_t self, total;
};

struct wp_top {
	struct wp_func_stat *funcs; /* functions with total > 0, sorted */
	size_t nfuncs;
	uint64_t events;            /* selected events: samples + off-CPU intervals */
	uint64_t samples;           /* of which on-CPU samples */
	uint64_t weight;            /* their total in the unit (the shares' base) */
};

struct wp_top_opts {
	const struct wp_filter *filter; /* NULL: everything */
	uint32_t kinds;                 /* bit per enum wp_event_kind; 0: all */
	enum wp_unit unit;
	enum wp_sort_key sort;
};

/* On a resolved profile. 0 or -ENOMEM; release with wp_top__release(). */
int wp_top__compute(const struct wp_profile *p, const struct wp_top_opts *o,
		    struct wp_top *out);
void wp_top__release(struct wp_top *t);

#endif
