/* SPDX-License-Identifier: MIT */
/*
 * What every output format decides the same way: which groups are
 * selected, their value in the chosen unit, and how an off-CPU group
 * shows its reason (a "[off-cpu:REASON]" pseudo frame as its leaf).
 */
#include "convert/convert.h"

bool wp_conv_selected(const struct wp_convert_ctx *c, const struct wp_group *g)
{
	if (c->kinds && !(c->kinds & (1u << g->kind)))
		return false;
	return !c->filter || wp_filter__match(c->filter, g);
}

uint64_t wp_conv_value(const struct wp_convert_ctx *c, const struct wp_group *g)
{
	return wp_group__value(c->prof, g, c->unit);
}

const char *wp_conv_unit_name(const struct wp_convert_ctx *c)
{
	return wp_unit__name(c->unit);
}

uint32_t wp_conv_tag_frame(const struct wp_convert_ctx *c, const struct wp_group *g)
{
	if (g->kind == WP_EVENT_ONCPU)
		return UINT32_MAX;
	return wp_profile__reason_frame(c->prof, g->reason);
}

bool wp_conv_offcpu_selected(const struct wp_convert_ctx *c)
{
	return !c->kinds || (c->kinds & (1u << WP_EVENT_OFFCPU));
}

void wp_conv_put_u64(FILE *f, uint64_t v)
{
	char buf[24];
	int i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	fwrite(buf + i, 1, sizeof(buf) - (size_t)i, f);
}
