/* SPDX-License-Identifier: MIT */
/*
 * The scheduler side of a recording (bpf/sched.bpf.c, docs/offcpu.md):
 * load the second BPF object on the maps of the first (ring buffer, stack
 * maps, followed set), attach it, start it, drain its in-kernel
 * aggregation exactly, read its per-thread state, stop it.
 */
#ifndef WP_RECORD_SCHED_H
#define WP_RECORD_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "bpf/wp_sched.h"

struct wp_sched;

struct wp_sched_opts {
	enum wp_target_mode mode;
	uint32_t self_tgid;
	uint64_t min_block_ns;   /* shorter intervals are aggregated in the kernel */
	uint64_t waker_min_ns;   /* waker stacks for waits at least this long */
	bool kstacks_all;        /* kernel stacks of every interval, at switch-out;
				  * else of intervals >= min_block, at switch-in */
	uint64_t kstack_sample_ns; /* not all: one short wait's kernel stack per this
				  * much of a thread's short-wait time (0: none) */
	bool no_agg;             /* tests: send every interval individually */
	uint32_t agg_entries;    /* per aggregation map; 0: default */
	uint32_t max_threads;    /* threads accounted at once; 0: default */
	bool dwarf;              /* --call-graph dwarf: ask for long intervals' user
				  * stacks (map dump_want) */
	uint32_t offcpu_dump_rate; /* with dwarf: at most this many such dumps per
				  * second per CPU, the rest keep fp stacks (0: none) */
};

/* wp.bpf.c's maps the scheduler programs share (wp_session__map_fd()). */
struct wp_sched_maps {
	int events, kstacks, ustacks, followed;
	int dump_want;           /* wp_session__dump_want_fd() */
};

/* --off-cpu-dwarf-rate RATE as a token bucket: one dump per GAP_NS (0:
 * none), a burst of up to RATE / 10 (at least 1) ahead: BURST_NS. */
void wp_sched__dump_bucket(uint32_t rate, uint64_t *gap_ns, uint64_t *burst_ns);

/* Open and load. Errors are reported here, then -errno returned. */
int wp_sched__open(const struct wp_sched_opts *opts, const struct wp_sched_maps *maps,
		   struct wp_sched **out);
/* Attach the programs, start them (the accounting's start time, see
 * wp_sched__t0()) and seed the threads that exist. 0 or -errno (reported). */
int wp_sched__attach(struct wp_sched *s);
uint64_t wp_sched__t0(const struct wp_sched *s);

/*
 * Swap the aggregation maps and call fn for each entry of the one swapped
 * out, deleting it. The swap returns after an RCU grace period, so no
 * program writes to that map any more: nothing is lost or counted twice.
 * *from, *to: the period the entries' intervals ended in. 0 or -errno
 * (fn's error, or a map error).
 */
typedef int (*wp_sched_agg_fn)(void *ctx, const struct wp_agg_key *k, const struct wp_agg_val *v);
int wp_sched__drain(struct wp_sched *s, wp_sched_agg_fn fn, void *ctx, uint64_t *from,
		    uint64_t *to);

/* Call fn for every thread's state; sp: its spilled frames, or NULL. A
 * thread whose state is WP_TS_DEAD is deleted after fn returns 0. */
typedef int (*wp_sched_thread_fn)(void *ctx, uint32_t tid, const struct wp_thread_state *ts,
				  const struct wp_spill *sp);
int wp_sched__threads(struct wp_sched *s, wp_sched_thread_fn fn, void *ctx);

/* Sum the per-CPU counters. 0 or -errno. */
int wp_sched__counters(struct wp_sched *s, struct wp_sched_counters *out);
/* Names: "lost.offcpu_interval", "bpf.offcpu_events"... */
const char *wp_sched_counter_name(enum wp_sched_counter c);
bool wp_sched_counter_is_lost(enum wp_sched_counter c);

/* With kernel.bpf_stats_enabled=1: call fn for each program that ran,
 * with its runs and the total ns spent in it. */
void wp_sched__prog_stats(struct wp_sched *s,
			  void (*fn)(void *ctx, const char *name, uint64_t runs, uint64_t ns),
			  void *ctx);

/* Stop the programs; the maps stay readable. Returns the time they
 * stopped (CLOCK_MONOTONIC ns): the end of the accounting. */
uint64_t wp_sched__detach(struct wp_sched *s);
/* After detach: the kernel stacks of the threads still off-CPU whose
 * stack was not walked at switch-out (--off-cpu-kernel-stacks long),
 * taken from the sleeping threads into the spill map. Failures are warned
 * about: those intervals stay marked as not walked. */
void wp_sched__final_stacks(struct wp_sched *s);
void wp_sched__close(struct wp_sched *s); /* s may be NULL */

#endif
