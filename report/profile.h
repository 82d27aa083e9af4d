/* SPDX-License-Identifier: MIT */
/*
 * The profile model the offline tools share.
 *
 * wp_profile__load() streams a .wpd file once, block by block, and keeps:
 *   - META and STATS/FINISH key/values (counters: the last record wins),
 *   - the string table, the stack table and the kernel symbols,
 *   - threads (pid, tid, comm over time) and per-process mappings over
 *     time (MMAP, MMAP_RESET at exec),
 *   - the events aggregated into groups: one group per (kind, pid, tid,
 *     stack, address-space generation, comm generation) with a count and
 *     a weight. Individual samples are not kept.
 *
 * wp_profile__resolve() then turns every group's stack into frame ids
 * (function-level, deduplicated) through the symbolizer; every distinct
 * (binary, address) is resolved once, every distinct (stack, address
 * space) once. Consumers (wp-report, wp-convert) iterate the groups.
 *
 * Event kinds: every group carries a kind, a count and a weight in
 * nanoseconds. On-CPU groups count samples; their weight is set once the
 * whole file is read: count x the sampling period (1e9 / sample_freq_hz),
 * or, calibrated (the default), the thread's exact on-CPU time from its
 * THREAD_TIME record shared out over its samples, so that a thread's
 * on-CPU weights add up to its scheduler-measured on-CPU time. Off-CPU
 * groups (one per pid, tid, stack at switch-out, reason and generations)
 * count intervals and weigh the nanoseconds spent off-CPU; OFFCPU events
 * and OFFCPU_AGG entries aggregate into the same groups.
 *
 * Scheduler data also gives per-thread accounting (wp_profile__thread():
 * exact on-CPU time, off-CPU time per reason, lifetime within the
 * recording) and waker entries (who ended the off-CPU intervals, with the
 * waker's stack).
 *
 * Ownership: a wp_profile owns everything reachable from it; pointers it
 * returns stay valid until wp_profile__free().
 */
#ifndef WP_REPORT_PROFILE_H
#define WP_REPORT_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/wpd.h"
#include "report/unwind.h"

struct wp_profile;

enum wp_event_kind {
	WP_EVENT_ONCPU = 0,  /* cpu-clock samples; weight: ns (period or calibrated) */
	WP_EVENT_OFFCPU = 1, /* off-CPU intervals; weight: ns off-CPU */
	WP_EVENT_KIND_MAX,
};

/* "on-cpu", "off-cpu" */
const char *wp_event_kind__name(unsigned int kind);

/* Off-CPU reasons are enum wpd_offcpu_reason; a group's reason is always
 * in 0..WPD_OFF_REASON_MAX (values a file names beyond that count as
 * WPD_OFF_OTHER). */
#define WP_OFF_NREASONS (WPD_OFF_REASON_MAX + 1)
/* "unknown", "sleep", "blocked", "preempted", "other" (out of range: "other") */
const char *wp_offcpu_reason__name(unsigned int reason);

/* A META or STATS/FINISH entry. */
struct wp_kv_entry {
	const char *key;      /* NUL-terminated copy */
	uint8_t type;         /* enum wpd_kv_type (unknown types kept raw) */
	uint64_t u64;         /* WPD_KV_U64 / WPD_KV_I64 */
	const char *str;      /* WPD_KV_STRING: NUL-terminated copy, else NULL */
	uint32_t str_len;
};

/* What reading the file found, beyond the reader's own counts. */
struct wp_profile_read {
	struct wpd_read_stats rd;     /* from libwpd */
	struct wpd_file_info info;
	uint64_t records_undecodable; /* known type whose payload did not decode */
	uint64_t last_block_seq;      /* of the last record read */
	uint64_t samples;             /* samples read (all, before filters) */
	uint64_t first_ns, last_ns;   /* sample times seen (CLOCK_MONOTONIC) */
	/* Dangling references: things that name an id never defined. */
	uint64_t dangling_stack_samples; /* samples naming an unknown stack id */
	uint64_t dangling_strings;       /* thread/mmap/ksym naming an unknown string */
	/* Scheduler data (minor 1), as read: */
	uint64_t offcpu_intervals;       /* individual intervals (OFFCPU) */
	uint64_t offcpu_agg_entries;     /* OFFCPU_AGG entries */
	uint64_t offcpu_agg_intervals;   /* the intervals they sum */
	uint64_t thread_times;           /* THREAD_TIME records */
	uint64_t tasks;                  /* TASK records */
	uint64_t dangling_stack_offcpu;  /* off-CPU intervals naming an unknown stack */
};

/* Frames (function level). */
#define WP_FRAME_KERNEL     (1u << 0) /* kernel code */
#define WP_FRAME_UNRESOLVED (1u << 1) /* no symbol: "[unknown]" or "module+0xOFF" */
#define WP_FRAME_PSEUDO     (1u << 2) /* not code: "[no stack]", "[unknown stack]" */
#define WP_FRAME_INLINED    (1u << 3) /* inlined into the frame after it (DWARF) */
#define WP_FRAME_JIT        (1u << 4) /* JIT code named by the process's perf map */

struct wp_frame {
	const char *name;   /* raw bytes, NUL-terminated: escape for output */
	const char *module; /* binary basename, "[kernel.kallsyms]", "[mod]", or "" */
	uint32_t flags;     /* WP_FRAME_* */
	const char *file;   /* source file of its code (DWARF, first seen), NULL unknown */
};

/* A source position: the line a frame of a stack was at. */
struct wp_srcpos {
	const char *file; /* NULL unknown */
	uint32_t line;    /* 0 unknown */
};

/* One aggregated group of events. */
struct wp_group {
	uint32_t pid, tid;
	uint32_t stack_id;   /* 0: the event had no stack */
	uint32_t kind;       /* enum wp_event_kind */
	uint64_t mm_epoch;   /* internal: address-space generation (exec time) */
	uint64_t comm_epoch; /* internal: comm generation (rename time) */
	uint64_t count;      /* events: on-CPU samples, off-CPU intervals */
	uint64_t weight;     /* nanoseconds (see "Event kinds" above) */
	/* Set by wp_profile__resolve(): */
	const char *comm;    /* raw bytes, NUL-terminated ("" if unknown) */
	uint32_t frames_off; /* into wp_profile__frame_ids() */
	uint32_t nframes;    /* leaf first */
	uint32_t nkernel;    /* the first nkernel frames are kernel frames */
	/* Off-CPU groups (0 for on-CPU ones): */
	uint32_t reason;     /* enum wpd_offcpu_reason, <= WPD_OFF_REASON_MAX */
	uint64_t runq_ns;    /* part of weight spent runnable, waiting for a CPU */
};

/*
 * Called for every individual off-CPU interval (OFFCPU records) while the
 * file is read, in file order (not time order), with the reason already
 * mapped into 0..WPD_OFF_REASON_MAX and runq_ns = duration_ns for a
 * PREEMPTED interval: for consumers that need the intervals' times (a
 * timeline). The profile itself keeps only the aggregates.
 */
typedef void (*wp_offcpu_cb)(void *arg, const struct wpd_offcpu *iv);

struct wp_load_opts {
	int reserved;
	const char *symfs;      /* binaries for unwinding USTACK_DUMP records (NULL: /) */
	bool no_calibrate;      /* on-CPU weights: always count x period */
	wp_offcpu_cb offcpu_cb; /* NULL: none */
	void *cb_arg;
};

/*
 * Read a whole file ("-": standard input). 0 or a negative errno with a
 * message naming the file in err: -ENOENT/-EACCES/..., -EBADMSG (not a .wpd, damaged
 * header, empty), -ENOTSUP (newer major version), -EIO, -ENOMEM. Damage
 * inside the file is not an error: it is counted in wp_profile__read().
 */
int wp_profile__load(const char *path, const struct wp_load_opts *opts,
		     struct wp_profile **out, char *err, size_t err_len);
void wp_profile__free(struct wp_profile *p);

const struct wp_profile_read *wp_profile__read(const struct wp_profile *p);
/* Description of the first damage the reader saw, or NULL. */
const char *wp_profile__damage(const struct wp_profile *p);

/* META entries, in file order (a repeated key keeps its last value). */
size_t wp_profile__nmeta(const struct wp_profile *p);
const struct wp_kv_entry *wp_profile__meta(const struct wp_profile *p, size_t i);
/* STATS and FINISH entries merged (last value wins), in first-seen order. */
size_t wp_profile__nstats(const struct wp_profile *p);
const struct wp_kv_entry *wp_profile__stat(const struct wp_profile *p, size_t i);

/* Lookups by key: NULL / false when absent or of another type. */
const char *wp_profile__meta_str(const struct wp_profile *p, const char *key);
bool wp_profile__meta_u64(const struct wp_profile *p, const char *key, uint64_t *v);
bool wp_profile__stat_u64(const struct wp_profile *p, const char *key, uint64_t *v);

/* The string with this id (NUL-terminated, *len bytes) or NULL. */
const char *wp_profile__string(const struct wp_profile *p, uint32_t id, uint32_t *len);

/*
 * --call-graph dwarf: the user stacks wp_profile__load() unwound from
 * USTACK_DUMP records (docs/unwinding.md). NULL when the file has none.
 * Every dump is counted once by how its unwinding ended; a stack cut
 * short keeps the frames found and shows a "[truncated]" frame at its
 * outermost end.
 */
struct wp_unwind_stats {
	uint64_t dumps;                       /* dumps unwound */
	uint64_t reasons[WP_UNWIND_NREASONS]; /* by ending; [WP_UNWIND_OK]: complete */
	uint64_t dump_bytes;                  /* stack bytes they held */
	uint64_t frames;                      /* user frames found */
	uint64_t redefined;                   /* ignored: their stack id was defined already */
	uint64_t unwinds, ns;                 /* unwinder calls, time they took */
	uint64_t recorded;                    /* of dumps: unwound by wp-record (STATS) */
	uint64_t recorded_ns;                 /* the time wp-record took for them */
	uint64_t fp_fallback;                 /* samples sent with a frame-pointer
					       * stack: no room for their dump */
	uint64_t offcpu_rate_limited;         /* off-CPU intervals with a frame-pointer
					       * stack: over --off-cpu-dwarf-rate */
};
const struct wp_unwind_stats *wp_profile__unwind(const struct wp_profile *p);

/* ---- symbol resolution ---- */

struct wp_resolve_opts {
	const char *symfs; /* look binaries up under this root (NULL: /) */
	bool no_inline;    /* one frame per address: no inlined functions */
	bool no_stored_names; /* ignore SYMBOL/SRCLINE records: files here only */
};

/* Resolve every group's frames and comm. 0 or -ENOMEM. Call once. */
int wp_profile__resolve(struct wp_profile *p, const struct wp_resolve_opts *opts);

size_t wp_profile__ngroups(const struct wp_profile *p);
const struct wp_group *wp_profile__group(const struct wp_profile *p, size_t i);
/* The frame ids of a resolved group, leaf first. */
const uint32_t *wp_profile__group_frames(const struct wp_profile *p,
					 const struct wp_group *g);
size_t wp_profile__nframes(const struct wp_profile *p);
const struct wp_frame *wp_profile__frame(const struct wp_profile *p, uint32_t id);
/*
 * The source positions of a resolved group's frames, parallel to
 * wp_profile__group_frames(): the innermost frame of an address is at the
 * address's line, a frame an inlined one is in at the inlined call's line,
 * and a caller at the line of its call. Ids for wp_profile__srcpos(), 0
 * unknown (kernel, JIT and pseudo frames, --no-inline, no DWARF).
 */
const uint32_t *wp_profile__group_positions(const struct wp_profile *p,
					    const struct wp_group *g);
/* Position id (>= 1) -> file and line; NULL for 0 or out of range. */
const struct wp_srcpos *wp_profile__srcpos(const struct wp_profile *p, uint32_t id);

/* ---- machine-code level (wp-report --annotate) ---- */

struct wp_dso;
struct wp_filter;

/* Where samples were taken: a user-mode IP, as a binary and file offset. */
struct wp_leaf_hit {
	struct wp_dso *dso;  /* report/symbols.h; owned by the profile */
	uint64_t file_off;
	uint64_t count;      /* samples */
};

/*
 * After wp_profile__resolve(): the on-CPU samples taken in user mode (no
 * kernel frame) that pass filter (NULL: all), merged per (binary, file
 * offset) into *out (malloc'd, *n entries; the caller frees). *total gets
 * the number of on-CPU samples passing the filter. 0 or -ENOMEM.
 */
int wp_profile__leaf_hits(struct wp_profile *p, const struct wp_filter *filter,
			  struct wp_leaf_hit **out, size_t *n, uint64_t *total);
/* The binaries the profile's mappings name (after resolve), for lookups. */
size_t wp_profile__ndsos(const struct wp_profile *p);
struct wp_dso *wp_profile__dso(const struct wp_profile *p, size_t i);

/* ---- wall-clock: scheduler data --------------------------------------- */

/*
 * True when the file holds scheduler data: the WPD_FEAT_OFFCPU flag, META
 * off_cpu = 1, or any OFFCPU, OFFCPU_AGG, TASK or THREAD_TIME record.
 * Without it off-CPU time is unknown (not zero).
 */
bool wp_profile__has_sched(const struct wp_profile *p);
/* True when some off-CPU interval was read (OFFCPU or OFFCPU_AGG). */
bool wp_profile__has_offcpu(const struct wp_profile *p);

/*
 * The sampling period in ns, 1e9 / META sample_freq_hz; when the file does
 * not give the frequency, wp-record's default (99 Hz) and *known false.
 * known may be NULL.
 */
double wp_profile__period_ns(const struct wp_profile *p, bool *known);
uint64_t wp_profile__freq_hz(const struct wp_profile *p); /* the one used */
/* Threads whose on-CPU weights were calibrated to THREAD_TIME. */
size_t wp_profile__calibrated_threads(const struct wp_profile *p);

/*
 * After wp_profile__resolve() on a file with off-CPU data: the id of the
 * pseudo frame "[off-cpu:REASON]" (WP_FRAME_PSEUDO) that consumers put
 * after an off-CPU group's stack, as its leaf. UINT32_MAX when there is
 * none (no off-CPU data, or not resolved).
 */
uint32_t wp_profile__reason_frame(const struct wp_profile *p, uint32_t reason);

/*
 * Per-thread accounting, one entry per thread that has samples, off-CPU
 * intervals, a THREAD_TIME or a TASK record; sorted by pid, then tid.
 *
 *  - oncpu_ns: exact (THREAD_TIME's oncpu_ns, oncpu_exact) or, without
 *    one, estimated as oncpu_samples x the sampling period;
 *  - off-CPU: the sums of the thread's OFFCPU and OFFCPU_AGG intervals;
 *  - lifetime within the recording: THREAD_TIME's [first_ns, last_ns];
 *    without one, from its creation (TASK FORK/THREAD) or the recording's
 *    start to its exit (TASK EXIT) or the recording's end;
 *  - unaccounted_ns = lifetime - on - off when positive, else 0;
 *    coverage = (on + off) / lifetime, at most 1.
 * Values are valid only where their *_known flag says so: off-CPU values
 * and lifetimes need scheduler data (and lifetimes the recording's bounds);
 * without scheduler data exited is false: not known.
 */
struct wp_thread_acct {
	uint32_t pid, tid;
	const char *comm;       /* the latest name, raw bytes ("" unknown) */
	uint64_t oncpu_samples;
	uint64_t oncpu_ns;
	bool oncpu_exact;       /* from THREAD_TIME */
	bool offcpu_known;      /* the file has scheduler data */
	uint64_t offcpu_ns;     /* sum over reasons */
	uint64_t offcpu_by_reason_ns[WP_OFF_NREASONS];
	uint64_t offcpu_intervals;
	/* of offcpu_ns, intervals whose kernel stack was not walked (short
	 * waits, --off-cpu-kernel-stacks long): they have user frames only */
	uint64_t offcpu_kernel_not_walked_ns;
	uint64_t runq_ns;       /* waiting for a CPU (preempted + after wakeups) */
	uint64_t switches;      /* THREAD_TIME switches, 0 without one */
	bool lifetime_known;
	uint64_t start_ns, end_ns; /* CLOCK_MONOTONIC */
	uint64_t lifetime_ns;
	uint64_t unaccounted_ns;   /* with offcpu_known && lifetime_known */
	double coverage;           /* likewise, and lifetime_ns > 0; else NaN */
	bool exited;
};

size_t wp_profile__nthreads(const struct wp_profile *p);
const struct wp_thread_acct *wp_profile__thread(const struct wp_profile *p, size_t i);
/* The names a tid had, in time order (raw bytes); for filters. */
size_t wp_profile__tid_ncomms(const struct wp_profile *p, uint32_t tid);
const char *wp_profile__tid_comm(const struct wp_profile *p, uint32_t tid, size_t i);

/* Whole-file totals over every thread (no filter). */
struct wp_sched_totals {
	uint64_t oncpu_ns;        /* sum of the threads' oncpu_ns */
	bool oncpu_exact;         /* every thread's on-CPU time was exact */
	uint64_t offcpu_ns;       /* valid when wp_profile__has_sched() */
	uint64_t offcpu_by_reason_ns[WP_OFF_NREASONS];
	uint64_t runq_ns;
	uint64_t offcpu_intervals;
	uint64_t offcpu_kernel_not_walked_ns; /* of offcpu_ns: no kernel stack walked */
};
const struct wp_sched_totals *wp_profile__totals(const struct wp_profile *p);

/*
 * Wakers: off-CPU intervals that a thread ended by waking the blocked one,
 * aggregated per (woken thread, its comm generation, waker thread, waker
 * stack, reason). total_ns sums the time the woken thread had been waiting
 * when woken: duration - runq_ns (the run-queue tail after the wakeup is
 * not the waker's). Intervals with no waker (0, 0: a timer, an interrupt,
 * or not seen) and PREEMPTED ones are not here.
 */
struct wp_waker {
	uint32_t pid, tid;              /* the woken thread */
	uint32_t waker_pid, waker_tid;
	uint32_t waker_stack_id;        /* 0: none */
	uint32_t reason;                /* of the woken thread's interval */
	uint64_t comm_epoch;            /* internal: the woken thread's */
	uint64_t waker_mm_epoch, waker_comm_epoch; /* internal */
	uint64_t count, total_ns;
	/* Set by wp_profile__resolve(): */
	const char *comm;               /* the woken thread's name */
	const char *waker_comm;         /* the waker's name at the wakeup */
	uint32_t frames_off;            /* the waker's stack, leaf first */
	uint32_t nframes, nkernel;
};

size_t wp_profile__nwakers(const struct wp_profile *p);
const struct wp_waker *wp_profile__waker(const struct wp_profile *p, size_t i);
const uint32_t *wp_profile__waker_frames(const struct wp_profile *p,
					 const struct wp_waker *w);

#endif
