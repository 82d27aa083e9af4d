/* SPDX-License-Identifier: MIT */
/*
 * The writer side of wp-record: turns BPF ring-buffer events into .wpd
 * records. It owns the output file, the string table, the stack table,
 * the per-process mapping snapshots, the per-thread comm and the set of
 * kernel symbols already stored, and keeps every record a SAMPLES record
 * depends on (STRING, STACK, THREAD, MMAP, KSYM) ahead of it in the file.
 */
#ifndef WP_RECORD_OUTPUT_H
#define WP_RECORD_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/wp_bpf.h"
#include "format/wpd.h"

struct wp_out;
struct wp_symcap_stats;

/* User-space losses, stored as lost.<name> with the BPF ones. */
enum wp_out_lost {
	WP_OUT_LOST_STACK_READ = 0, /* stack id not found in its map */
	WP_OUT_LOST_MMAP,           /* /proc/PID/maps unreadable (process gone) */
	WP_OUT_LOST_BAD_EVENT,      /* malformed ring-buffer record */
	WP_OUT_LOST_MAX,
};

struct wp_out_stats {
	uint64_t samples;       /* samples stored */
	uint64_t stacks;        /* distinct stacks stored */
	uint64_t stack_collisions; /* xxh3 equal, frames differ */
	uint64_t ksyms;         /* KSYM records */
	uint64_t ksym_unresolved; /* kernel frames outside every symbol */
	uint64_t mmaps;         /* MMAP records */
	uint64_t maps_rescans;  /* re-reads of /proc/PID/maps after a miss */
	uint64_t threads;       /* THREAD records */
	uint64_t exec_events;
	uint64_t out_of_order;  /* samples older than the batch's last one */
	uint64_t ustack_dumps;  /* USTACK_DUMP records (--call-graph dwarf) */
	uint64_t ustack_bytes;  /* stack bytes in them */
	uint64_t offcpu_dumps;  /* off-CPU intervals stored with a dump */
	uint64_t offcpu_dumps_missing; /* ... asked for one, stored without */
	uint64_t unwind_stacks, unwind_complete, unwind_ns; /* dumps unwound here */
	uint64_t lost[WP_OUT_LOST_MAX];
};

struct wp_out_opts {
	const char *path;
	bool force;              /* overwrite an existing file */
};

/* Create the output file (O_EXCL unless force). 0 or -errno; the caller
 * reports the error with the path. */
int wp_out__create(const struct wp_out_opts *opts, struct wp_out **out);
/* The file was created by wp_out__create: remove it (setup failed before
 * anything was recorded). */
void wp_out__discard(struct wp_out *o);
/* Start the file: header and META (meta is a key/value list). */
int wp_out__start(struct wp_out *o, uint64_t compat_flags, const struct wpd_buf *meta);

/* Where stacks come from: the BPF stack maps, frames per entry. */
void wp_out__set_stack_maps(struct wp_out *o, int kstacks_fd, int ustacks_fd,
			    unsigned int max_frames);
/* Follow mode records mappings at exec right away; system mode waits for
 * the process's next sample. */
void wp_out__set_eager_maps(struct wp_out *o, bool eager);
/* Name kernel frames with this function (wp_session__ksym_resolve) rather
 * than a table read from /proc/kallsyms; it may return -EOPNOTSUPP. */
typedef int (*wp_ksym_resolver)(void *ctx, const uint64_t *addrs, size_t n,
				char (*names)[WP_KSYM_LEN]);
void wp_out__set_ksym_resolver(struct wp_out *o, wp_ksym_resolver fn, void *ctx);
/* The recording's start (CLOCK_MONOTONIC ns): the time of mappings read
 * from /proc for processes that did not exec while recorded. */
void wp_out__set_start(struct wp_out *o, uint64_t start_ns);
/*
 * --call-graph dwarf: store each dump as a USTACK_DUMP record for the
 * reader to unwind (keep), rather than unwinding it here and storing the
 * stack found (the default: the file then needs no binaries to be read).
 * Before anything is recorded.
 */
void wp_out__set_keep_dumps(struct wp_out *o, bool keep);
/*
 * Embed the symbols of the user binaries hit (SYMBOL, SRCLINE; the
 * default) or not. Before anything is recorded. JIT symbols from perf
 * maps are stored either way.
 */
void wp_out__set_embed_symbols(struct wp_out *o, bool embed);
/* What wp_out__finish() embedded (struct wp_symcap_stats, record/symcap.h). */
const struct wp_symcap_stats *wp_out__symbols_stats(const struct wp_out *o);

/* Load /proc/kallsyms: done by itself when the first kernel frame needs a
 * name and there is no resolver (so after attaching: the first samples
 * do not wait for it). */
int wp_out__load_ksyms(struct wp_out *o);

/* Record the mappings of a process now (-p targets at start). */
int wp_out__snapshot_pid(struct wp_out *o, uint32_t pid, uint64_t time_ns);

/*
 * Scheduler events (record/sched.c, docs/offcpu.md). set_offcpu turns them
 * on: intervals at least min_block_ns long are stored individually
 * (OFFCPU), shorter ones as the kernel aggregated them (OFFCPU_AGG).
 */
struct wp_agg_key;
struct wp_agg_val;
struct wp_thread_state;
struct wp_spill;
struct wp_sched_counters;
int wp_out__set_offcpu(struct wp_out *o, uint64_t min_block_ns);
/* The scheduler programs' counters, for STATS, FINISH and the losses. */
void wp_out__set_sched_counters(struct wp_out *o, const struct wp_sched_counters *c);
/* One aggregate drained from the kernel; then _end writes them as
 * OFFCPU_AGG records for the period [from, to] they ended in. 0 or -errno. */
int wp_out__offcpu_agg(struct wp_out *o, const struct wp_agg_key *k,
		       const struct wp_agg_val *v);
int wp_out__offcpu_agg_end(struct wp_out *o, uint64_t from, uint64_t to);
/*
 * A thread's state read from the kernel at time now: a THREAD_TIME
 * snapshot if it switched since the last one (final: always, and its
 * off-CPU interval still open, up to now); for an exited thread whose
 * exit event was lost, its TASK EXIT and final THREAD_TIME. sp: its
 * spilled frames or NULL. 0 or -errno.
 */
int wp_out__thread_state(struct wp_out *o, uint32_t tid, const struct wp_thread_state *ts,
			 const struct wp_spill *sp, uint64_t now, bool final);
/* After each drain: re-read the mappings of processes that exec'd a few ms
 * ago (the exec's snapshot may predate their libraries). 0 or -errno. */
int wp_out__offcpu_poll(struct wp_out *o);

/* One ring-buffer record (the ring_buffer__new callback). 0 or -errno
 * (a write error; recording must stop). */
int wp_out__event(void *ctx, void *data, size_t size);
/* After a drain: order the drained samples and batch them. */
int wp_out__end_drain(struct wp_out *o);
/* Write pending samples, a STATS record and compress the block. bpf is
 * the BPF counters summed over CPUs (or NULL). */
int wp_out__flush(struct wp_out *o, const struct wp_counters *bpf);
/* Final SAMPLES, STATS and FINISH (extra holds exit_status etc., may be
 * NULL), then close the file. */
int wp_out__finish(struct wp_out *o, const struct wp_counters *bpf,
		   uint64_t duration_ns, uint64_t end_mono_ns,
		   const struct wpd_buf *extra);

const struct wp_out_stats *wp_out__stats(const struct wp_out *o);
uint64_t wp_out__bytes(const struct wp_out *o);
/* Drops so far: BPF counters + user-space losses. */
uint64_t wp_out__lost_total(const struct wp_out *o, const struct wp_counters *bpf);

/* Close without FINISH (error path) and free; o may be NULL. */
void wp_out__free(struct wp_out *o);

/* Names of the BPF counters in STATS ("lost.ringbuf_full", ...). */
const char *wp_counter_name(enum wp_counter c);

#endif
