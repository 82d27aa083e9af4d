/* SPDX-License-Identifier: MIT */
/*
 * wp-convert -f folded: Brendan Gregg's folded stacks, for flamegraph.pl,
 * inferno and speedscope. The format and its escaping are in
 * report/folded.h.
 */
#include "convert/convert.h"

#include <inttypes.h>

#include "common/log.h"

int wp_convert_folded(struct wp_convert_ctx *c)
{
	struct wp_folded_opts o = {
		.filter = c->filter,
		.kinds = c->kinds,
		.unit = c->unit,
		.per_thread = c->per_thread,
	};
	struct wp_folded_stats st;
	int ret;

	ret = wp_folded_write(c->prof, &o, c->out, &st);
	if (ret)
		return ret;
	pr_info("%" PRIu64 " distinct stacks, %" PRIu64 " %s", st.lines, st.total,
		wp_unit__name(c->unit));
	if (st.dropped_lines)
		pr_info("%" PRIu64 " stack%s left out: %" PRIu64 " ns in all, each less than half"
			" a%s %s", st.dropped_lines, st.dropped_lines == 1 ? "" : "s",
			st.dropped_ns, c->unit == WP_UNIT_SAMPLES ? " sampling period:" : "n",
			c->unit == WP_UNIT_SAMPLES ? "use --unit us" : wp_unit__name(c->unit));
	if (!st.lines)
		pr_warn("%s: %s selected: the output is empty", c->input,
			wp_profile__has_offcpu(c->prof) && (c->kinds & (1u << WP_EVENT_OFFCPU)) ?
			"nothing" : "no samples");
	return 0;
}
