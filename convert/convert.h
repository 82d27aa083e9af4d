/* SPDX-License-Identifier: MIT */
/*
 * wp-convert's output formats (libwpconvert, shared with wp-diff). Each
 * format is one function that writes a resolved profile to an open
 * stream; convert/main.c owns the options, the input and the output file.
 */
#ifndef WP_CONVERT_CONVERT_H
#define WP_CONVERT_CONVERT_H

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
};

/* 0 or a negative errno (-EIO: writing failed). */
int wp_convert_folded(struct wp_convert_ctx *c);

#endif
