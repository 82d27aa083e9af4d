/* SPDX-License-Identifier: MIT */
/*
 * Per-thread timelines for the time-ordered formats (speedscope's Time
 * Order view, Chrome trace events), built by the second streaming pass
 * (report/events.h).
 *
 * A thread's timeline is a list of runs in time order: consecutive
 * on-CPU samples of one stack merge into one run (a sample covers one
 * period, calibrated like the profile's weights: the thread's on-CPU
 * weight over its samples), each off-CPU interval is a run of its own,
 * and an OFFCPU_AGG entry (short intervals summed) is a run placed at
 * the end of the period it covers. Memory: one run per change of stack,
 * not one per sample.
 */
#ifndef WP_CONVERT_TIMELINE_H
#define WP_CONVERT_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "convert/convert.h"

enum tl_kind {
	TL_ONCPU = 0,
	TL_OFFCPU,     /* one interval: [start, end) */
	TL_OFFCPU_AGG, /* short intervals summed (weight), at start = end */
};

struct tl_run {
	uint64_t start, end;  /* CLOCK_MONOTONIC ns */
	uint64_t weight;      /* ns */
	uint32_t frames_off;  /* wp_profile__group_frames() of a group with this stack */
	uint32_t nframes;     /* leaf first; 0: no stack known */
	uint32_t count;       /* samples or intervals */
	uint32_t seq;         /* arrival order: ties keep file order */
	uint32_t waker_tid;   /* off-CPU: 0 unknown */
	const char *comm;     /* the thread's name at the time (raw bytes) */
	uint8_t kind;         /* enum tl_kind */
	uint8_t reason;       /* off-CPU: enum wpd_offcpu_reason */
};

struct tl_thread {
	uint32_t pid, tid;
	const char *comm;     /* its latest name in the selection (raw bytes) */
	struct tl_run *runs;
	size_t n, cap;
	uint64_t weight;      /* sum of its runs' weights */
	double ns_per_sample;
};

struct wp_timeline {
	struct tl_thread *threads; /* sorted by pid, tid after build */
	size_t n, cap;
	struct wp_map index;       /* pid << 32 | tid -> thread */
	uint64_t first_ns, last_ns;
	uint64_t events;
	double period_ns;
};

/*
 * Stream c->input again and build the selected events' timelines (runs
 * sorted by time). 0, -ENOMEM, or a stream error (message logged).
 */
int wp_timeline__build(struct wp_timeline *t, struct wp_convert_ctx *c);
void wp_timeline__release(struct wp_timeline *t);

/* "[off-cpu:sleep]" etc. */
const char *wp_timeline_reason_frame(unsigned int reason);

#endif
