/* SPDX-License-Identifier: MIT */
/*
 * The status line on a terminal: elapsed time, samples, rate, drops and
 * bytes written, redrawn in place about twice a second on stderr.
 */
#ifndef WP_RECORD_STATUS_H
#define WP_RECORD_STATUS_H

#include <stdbool.h>
#include <stdint.h>

struct wp_status {
	bool enabled;
	bool drawn;
	uint64_t last_ns;       /* last redraw */
	uint64_t last_samples;
	uint64_t rate_t0, rate_n0; /* rate measured since the previous redraw */
	double rate;
};

/* Enabled when stderr is a terminal and not quiet. */
void wp_status__init(struct wp_status *st, bool quiet);
/* Redraw if ~0.5 s passed (or force). */
void wp_status__update(struct wp_status *st, uint64_t now_ns, uint64_t elapsed_ns,
		       uint64_t samples, uint64_t drops, uint64_t bytes, bool force);
/* Erase the line before other output. */
void wp_status__clear(struct wp_status *st);

#endif
