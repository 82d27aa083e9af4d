/* SPDX-License-Identifier: MIT */
/*
 * wp-convert -f svg: an interactive flame graph of the selected groups
 * (convert/flame.c renders it). Each stack is
 *
 *   thread name; outermost frame; ...; leaf [; [off-cpu:REASON]]
 *
 * as in the folded output, so the graph and `wp-convert -f folded |
 * flamegraph.pl` agree. Memory: the distinct paths, not the events.
 */
#include "convert/convert.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "convert/flame.h"

static uint32_t frame_flags(const struct wp_frame *fr)
{
	uint32_t fl = 0;

	if (fr->flags & WP_FRAME_KERNEL)
		fl |= WP_FLAME_KERNEL;
	if (fr->flags & WP_FRAME_PSEUDO)
		fl |= WP_FLAME_PSEUDO;
	if (strncmp(fr->name, "[off-cpu:", 9) == 0 && (fr->flags & WP_FRAME_PSEUDO))
		fl |= WP_FLAME_OFFCPU;
	return fl;
}

/* The flame name id of a profile frame, interned once. */
static int flame_name(struct wp_flame *f, const struct wp_profile *p, uint32_t *map,
		      uint32_t frame, uint32_t *id)
{
	const struct wp_frame *fr;
	int ret;

	if (map[frame] != UINT32_MAX) {
		*id = map[frame];
		return 0;
	}
	fr = wp_profile__frame(p, frame);
	ret = wp_flame__intern(f, fr->name[0] ? fr->name : "[unknown]",
			       fr->name[0] ? strlen(fr->name) : 9, frame_flags(fr), id);
	if (!ret)
		map[frame] = *id;
	return ret;
}

int wp_convert_svg(struct wp_convert_ctx *c)
{
	const struct wp_profile *p = c->prof;
	size_t ng = wp_profile__ngroups(p), nf = wp_profile__nframes(p), i;
	struct wp_flame *f = wp_flame__new();
	uint32_t *map = malloc((nf ? nf : 1) * sizeof(*map));
	uint32_t *path = malloc((2 * WPD_STACK_MAX_FRAMES + 2) * sizeof(*path));
	uint64_t on = 0, off = 0, events = 0;
	char subtitle[256];
	struct wp_flame_svg o = {
		.title = c->title,
		.unit = wp_conv_unit_name(c),
		.width = c->width,
		.min_width = c->min_width,
		.inverted = c->inverted,
	};
	int ret = -ENOMEM;

	if (!f || !map || !path)
		goto out;
	memset(map, 0xff, (nf ? nf : 1) * sizeof(*map));
	for (i = 0; i < ng; i++) {
		const struct wp_group *g = wp_profile__group(p, i);
		const uint32_t *fr = wp_profile__group_frames(p, g);
		uint64_t v = wp_conv_value(c, g);
		uint32_t tag = wp_conv_tag_frame(c, g), k;
		size_t n = 0;

		if (!wp_conv_selected(c, g) || v == 0)
			continue;
		if (wp_flame__intern(f, g->comm[0] ? g->comm : "[unknown]",
				     g->comm[0] ? strlen(g->comm) : 9, WP_FLAME_THREAD, &path[n++]))
			goto out;
		for (k = g->nframes; k > 0; k--)
			if (flame_name(f, p, map, fr[k - 1], &path[n++]))
				goto out;
		if (tag != UINT32_MAX && flame_name(f, p, map, tag, &path[n++]))
			goto out;
		if (wp_flame__add(f, path, n, v, 0, g->kind != WP_EVENT_ONCPU))
			goto out;
		if (g->kind == WP_EVENT_ONCPU)
			on += v;
		else
			off += v;
		events += g->count;
	}
	if (!events)
		pr_warn("%s: no samples selected: the graph is empty", c->input);
	if (c->unit == WP_UNIT_SAMPLES)
		snprintf(subtitle, sizeof(subtitle), "%" PRIu64 " samples%s", on + off,
			 off ? "; off-CPU in blue" : "");
	else
		snprintf(subtitle, sizeof(subtitle), "on-CPU %.3f s, off-CPU %.3f s (blue)",
			 (double)on / 1e9, (double)off / 1e9);
	o.subtitle = subtitle;
	ret = wp_flame__write_svg(f, &o, c->out);
out:
	wp_flame__free(f);
	free(map);
	free(path);
	return ret;
}
