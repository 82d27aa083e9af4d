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
	};
	struct wp_folded_stats st;
	int ret;

	ret = wp_folded_write(c->prof, &o, c->out, &st);
	if (ret)
		return ret;
	pr_info("%" PRIu64 " distinct stacks, %" PRIu64 " samples", st.lines, st.total);
	if (!st.lines)
		pr_warn("%s: no samples selected: the output is empty", c->input);
	return 0;
}
