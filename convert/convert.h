/* SPDX-License-Identifier: MIT */
/*
 * wp-convert's output formats (libwpconvert, shared with wp-diff). Each
 * format is one function that writes a resolved profile to an open
 * stream; convert/main.c owns the options, the input and the output file.
 */
#ifndef WP_CONVERT_CONVERT_H
#define WP_CONVERT_CONVERT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "report/filter.h"
#include "report/folded.h"
#include "report/profile.h"

struct wp_convert_ctx {
	const char *input;
	struct wp_profile *prof;        /* loaded and resolved */
	const struct wp_filter *filter;
	uint32_t kinds;                 /* bit per enum wp_event_kind */
	enum wp_unit unit;
	FILE *out;
	/* Format options; formats ignore those they do not use. */
	const char *title;              /* svg: NULL for a default */
	bool inverted;                  /* svg: icicle graph (roots on top) */
	unsigned int width;             /* svg: image width in pixels (0: 1200) */
	double min_width;               /* svg: omit frames narrower (px; <0: 0.1) */
	bool merge;                     /* speedscope: one profile for all threads */
	bool lines;                     /* speedscope: a frame per function and line */
	bool per_thread;                /* folded: root stacks at "comm-TID" */
};

/* 0 or a negative errno (-EIO: writing failed). */
int wp_convert_folded(struct wp_convert_ctx *c);
/* speedscope's JSON file format: a time-ordered sampled profile per thread. */
int wp_convert_speedscope(struct wp_convert_ctx *c);
/* pprof: gzip-compressed profile.proto. */
int wp_convert_pprof(struct wp_convert_ctx *c);
/* A self-contained interactive flame graph (SVG + static script). */
int wp_convert_svg(struct wp_convert_ctx *c);
/* Chrome Trace Event JSON (Perfetto, chrome://tracing): per-thread timeline. */
int wp_convert_chrome(struct wp_convert_ctx *c);

/* ---- helpers the writers share (convert/common.c) ---- */

/* The group passes the kinds and the filter. */
bool wp_conv_selected(const struct wp_convert_ctx *c, const struct wp_group *g);
/* Its value in the context's unit (wp_group__value()). */
uint64_t wp_conv_value(const struct wp_convert_ctx *c, const struct wp_group *g);
/* "samples", "ns", "us", "ms" */
const char *wp_conv_unit_name(const struct wp_convert_ctx *c);
/* The frame id of the off-CPU pseudo frame ("[off-cpu:REASON]") that goes
 * after an off-CPU group's stack as its leaf; UINT32_MAX for on-CPU. */
uint32_t wp_conv_tag_frame(const struct wp_convert_ctx *c, const struct wp_group *g);
/* True if off-CPU events are selected (--off-cpu). */
bool wp_conv_offcpu_selected(const struct wp_convert_ctx *c);
/* Write v in decimal, without printf's format parsing (JSON writers' hot
 * loop: millions of numbers). */
void wp_conv_put_u64(FILE *f, uint64_t v);

#endif
