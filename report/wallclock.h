/* SPDX-License-Identifier: MIT */
/*
 * Wall-clock views of a resolved profile with scheduler data, in text and
 * JSON (shared by wp-report and anyone else):
 *
 *   threads          per thread: on-CPU time, off-CPU time per reason,
 *                    run-queue time, lifetime within the recording and
 *                    what of it is unaccounted (wp_profile__thread());
 *   blocking stacks  off-CPU stacks (at switch-out) by total time, per
 *                    reason, merged across threads;
 *   blocking threads threads by off-CPU time;
 *   wakers           the threads (and their stacks) that ended off-CPU
 *                    intervals by waking the blocked thread, by the time
 *                    the woken threads had been waiting.
 *
 * Filters (--pid, --tid, --comm) select the blocked threads: a waker is
 * listed for the threads it woke that the filter selects.
 * Times are printed in milliseconds (text) and nanoseconds (JSON).
 */
#ifndef WP_REPORT_WALLCLOCK_H
#define WP_REPORT_WALLCLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report/filter.h"
#include "report/json.h"
#include "report/profile.h"
#include "report/util.h"

struct wp_blocking_stack {
	const uint32_t *frames; /* leaf first (wp_profile__frame() ids) */
	uint32_t nframes, nkernel;
	uint32_t reason;
	uint64_t total_ns, count, runq_ns;
};

struct wp_waker_stat {
	uint32_t pid, tid;      /* the waker */
	const char *comm;       /* its name at the wakeups, raw bytes */
	const uint32_t *frames; /* its stack, leaf first */
	uint32_t nframes, nkernel;
	uint64_t total_ns, count;
};

struct wp_offcpu_view {
	struct wp_blocking_stack *stacks; /* by total_ns, largest first */
	size_t nstacks;
	const struct wp_thread_acct **threads; /* off-CPU > 0, largest first */
	size_t nthreads;
	struct wp_waker_stat *wakers;     /* by total_ns, largest first */
	size_t nwakers;
	uint64_t total_ns, intervals;     /* the selected off-CPU time */
};

/* On a resolved profile. 0 or -ENOMEM; release with __release. */
int wp_offcpu_view__compute(const struct wp_profile *p, const struct wp_filter *f,
			    struct wp_offcpu_view *v);
void wp_offcpu_view__release(struct wp_offcpu_view *v);
/* The three tables, at most limit rows each (0: all). */
void wp_offcpu_view__text(const struct wp_profile *p, const struct wp_offcpu_view *v,
			  size_t limit, FILE *f);
/* Members "offcpu_selected_ns", "blocking_stacks", "blocking_threads",
 * "wakers" of the object being written. */
void wp_offcpu_view__json(const struct wp_profile *p, const struct wp_offcpu_view *v,
			  size_t limit, struct wp_json *j);

/* The thread table (every selected thread, by pid then tid). */
void wp_threads__text(const struct wp_profile *p, const struct wp_filter *f, FILE *out);
/* Member "threads": an array of objects (docs/report-json.md). */
void wp_threads__json(const struct wp_profile *p, const struct wp_filter *f,
		      struct wp_json *j);

/* A stack outermost first, as "a;b;c_[k]" (folded escaping), to a buffer. */
void wp_stack_folded(const struct wp_profile *p, const uint32_t *frames, uint32_t n,
		     struct wp_strbuf *b);
/* A JSON array of frame names, outermost first. */
void wp_stack_json(const struct wp_profile *p, const uint32_t *frames, uint32_t n,
		   struct wp_json *j);

#endif
