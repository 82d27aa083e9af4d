/* SPDX-License-Identifier: MIT */
#include "report/top.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static inline void sat_add(uint64_t *a, uint64_t b)
{
	*a = *a > UINT64_MAX - b ? UINT64_MAX : *a + b;
}

struct sort_ctx {
	const struct wp_profile *p;
	enum wp_sort_key key;
};

static int stat_cmp(const void *a, const void *b, void *arg)
{
	const struct sort_ctx *ctx = arg;
	const struct wp_profile *sort_prof = ctx->p;
	enum wp_sort_key sort_key = ctx->key;
	const struct wp_func_stat *x = a, *y = b;
	uint64_t kx = sort_key == WP_SORT_SELF ? x->self : x->total;
	uint64_t ky = sort_key == WP_SORT_SELF ? y->self : y->total;
	uint64_t ox = sort_key == WP_SORT_SELF ? x->total : x->self;
	uint64_t oy = sort_key == WP_SORT_SELF ? y->total : y->self;
	const struct wp_frame *fx, *fy;
	int c;

	if (kx != ky)
		return kx > ky ? -1 : 1;
	if (ox != oy)
		return ox > oy ? -1 : 1;
	fx = wp_profile__frame(sort_prof, x->frame);
	fy = wp_profile__frame(sort_prof, y->frame);
	c = strcmp(fx->name, fy->name);
	if (c)
		return c;
	c = strcmp(fx->module, fy->module);
	if (c)
		return c;
	return x->frame < y->frame ? -1 : x->frame > y->frame;
}

int wp_top__compute(const struct wp_profile *p, const struct wp_top_opts *o,
		    struct wp_top *out)
{
	size_t nf = wp_profile__nframes(p), ng = wp_profile__ngroups(p), i, n;
	uint64_t *self, *total, *stamp;
	int ret = -ENOMEM;

	memset(out, 0, sizeof(*out));
	self = calloc(nf ? nf : 1, sizeof(*self));
	total = calloc(nf ? nf : 1, sizeof(*total));
	stamp = calloc(nf ? nf : 1, sizeof(*stamp));
	if (!self || !total || !stamp)
		goto out;
	for (i = 0; i < ng; i++) {
		const struct wp_group *g = wp_profile__group(p, i);
		const uint32_t *fr = wp_profile__group_frames(p, g);
		uint64_t v = o->unit == WP_UNIT_SAMPLES ? wp_group__value(p, g, o->unit) : g->weight;
		uint32_t k, leaf = UINT32_MAX;

		if (o->kinds && !(o->kinds & (1u << g->kind)))
			continue;
		if (o->filter && !wp_filter__match(o->filter, g))
			continue;
		sat_add(&out->events, g->count);
		if (g->kind == WP_EVENT_ONCPU)
			sat_add(&out->samples, g->count);
		sat_add(&out->weight, v);
		if (g->kind == WP_EVENT_OFFCPU)
			leaf = wp_profile__reason_frame(p, g->reason);
		if (leaf != UINT32_MAX && leaf < nf) {
			/* the off-CPU pseudo frame is the leaf: self time waiting */
			sat_add(&self[leaf], v);
			sat_add(&total[leaf], v);
		} else if (g->nframes) {
			sat_add(&self[fr[0]], v);
		} else {
			continue;
		}
		for (k = 0; k < g->nframes; k++) {
			if (stamp[fr[k]] == i + 1)
				continue; /* recursion: once per event */
			stamp[fr[k]] = i + 1;
			sat_add(&total[fr[k]], v);
		}
	}
	for (i = 0, n = 0; i < nf; i++)
		n += total[i] != 0;
	out->funcs = calloc(n ? n : 1, sizeof(*out->funcs));
	if (!out->funcs)
		goto out;
	for (i = 0; i < nf; i++) {
		if (!total[i])
			continue;
		out->funcs[out->nfuncs].frame = (uint32_t)i;
		out->funcs[out->nfuncs].self = self[i];
		out->funcs[out->nfuncs].total = total[i];
		out->nfuncs++;
	}
	{
		struct sort_ctx ctx = { .p = p, .key = o->sort };

		qsort_r(out->funcs, out->nfuncs, sizeof(*out->funcs), stat_cmp, &ctx);
	}
	ret = 0;
out:
	free(self);
	free(total);
	free(stamp);
	if (ret)
		wp_top__release(out);
	return ret;
}

void wp_top__release(struct wp_top *t)
{
	free(t->funcs);
	memset(t, 0, sizeof(*t));
}
