/* SPDX-License-Identifier: MIT */
/*
 * What the time-ordered and binary-level outputs need beyond the
 * aggregated groups of profile.h:
 *
 *   - wp_events__stream(): a second streaming pass over the file that
 *     hands every event (on-CPU sample, off-CPU interval, aggregated
 *     short off-CPU intervals) to a callback in file order, each with
 *     its time and the frames and comm of the resolved group it belongs
 *     to. Nothing is kept per event: memory stays bounded, and each
 *     stack is resolved once (by wp_profile__resolve()), not per event.
 *   - wp_profile__mapping(): the recorded executable mappings (path,
 *     build-id, range), for pprof's Mapping table.
 *
 * Event order: samples are in time order within a SAMPLES batch and
 * batches come in order; off-CPU intervals come in stored order, which
 * need not be time order. Consumers that need a timeline sort per thread.
 */
#ifndef WP_REPORT_EVENTS_H
#define WP_REPORT_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report/profile.h"

/* Kinds of event a stream hands out. */
enum wp_event_type {
	WP_EV_SAMPLE = 0,  /* one on-CPU sample at time_ns */
	WP_EV_OFFCPU,      /* one off-CPU interval [time_ns, time_ns + duration_ns) */
	WP_EV_OFFCPU_AGG,  /* count short intervals totalling duration_ns that
			    * ended within [time_ns, time_ns + span_ns] */
};

struct wp_event {
	uint32_t type;         /* enum wp_event_type */
	uint64_t time_ns;      /* CLOCK_MONOTONIC */
	uint64_t duration_ns;  /* 0 for samples */
	uint64_t span_ns;      /* WP_EV_OFFCPU_AGG: the period covered */
	uint64_t count;        /* 1, or the intervals aggregated */
	uint32_t pid, tid, cpu;
	uint32_t stack_id;
	uint32_t reason;       /* enum wpd_offcpu_reason (off-CPU only) */
	uint32_t waker_pid, waker_tid;
	/*
	 * A view of the event as a group: pid, tid, stack_id, comm and the
	 * resolved frames (wp_profile__group_frames()) are set; kind is
	 * WP_EVENT_ONCPU for samples, count 1 and weight 0. nframes is 0
	 * when no group of the profile has this stack (the stack id is
	 * undefined, or the profile does not load this kind of event).
	 */
	struct wp_group g;
};

/* 0 to go on; anything else stops the stream and is returned. */
typedef int (*wp_event_fn)(void *arg, const struct wp_event *e);

/*
 * Stream the events of path (the file p was loaded from; "-" cannot be
 * read twice) through fn. p must be resolved. 0, fn's non-zero return,
 * or a negative errno with a message in err (-ENOMEM, reader errors).
 */
int wp_events__stream(const struct wp_profile *p, const char *path, wp_event_fn fn,
		      void *arg, char *err, size_t err_len);

/* One recorded executable mapping. */
struct wp_mapping_info {
	uint32_t pid;
	uint64_t start, end, pgoff;
	const char *path;       /* "" if unknown */
	const uint8_t *build_id;
	size_t build_id_len;    /* 0: none recorded */
};

size_t wp_profile__nmappings(const struct wp_profile *p);
/* i < wp_profile__nmappings(); pointers valid while p lives. */
void wp_profile__mapping(const struct wp_profile *p, size_t i, struct wp_mapping_info *out);
/* Lowest and highest kernel symbol addresses stored (false: none). */
bool wp_profile__kernel_range(const struct wp_profile *p, uint64_t *lo, uint64_t *hi);

#endif
