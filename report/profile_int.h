/* SPDX-License-Identifier: MIT */
/*
 * Internals of struct wp_profile, shared by profile.c (loading) and
 * resolve.c (symbol resolution). Not for consumers: use profile.h.
 */
#ifndef WP_REPORT_PROFILE_INT_H
#define WP_REPORT_PROFILE_INT_H

#include "report/profile.h"
#include "report/symbols.h"
#include "report/util.h"

struct wp_kv_store {
	struct wp_kv_entry *v;
	size_t n, cap;
};

struct prof_string {
	uint32_t off, len; /* into strs */
};

struct prof_stack {
	uint64_t off;      /* into ips: kernel frames then user frames, leaf first */
	uint32_t flags;
	uint16_t nkernel, nuser;
};

struct prof_mmap {
	uint64_t time, start, end, pgoff;
	uint32_t pid, flags, path_str;
	uint8_t build_id_len;
	uint8_t build_id[WPD_BUILD_ID_MAX];
	uint64_t seq;      /* file order, breaks ties */
	struct wp_dso *dso; /* resolve.c, lazily */
};

struct prof_ksym {
	uint64_t start;
	uint32_t size, name_str, module_str;
};

struct comm_rec {
	uint64_t time;
	uint32_t comm_str;
};

/* Per thread: its names over time, one record per change, sorted by time,
 * and what the scheduler records said about it. */
struct tid_state {
	uint32_t tid;
	struct comm_rec *recs;
	size_t n, cap;
	uint32_t pid;          /* from the latest THREAD/TASK/THREAD_TIME (0: none) */
	bool has_tt, created, exited, task;
	struct wpd_thread_time tt; /* the last THREAD_TIME in the file */
	uint64_t created_ns, exit_ns;
};

/* Per process: exec times (sorted) and, after resolve, its address spaces. */
struct pid_state {
	uint32_t pid;
	uint64_t *resets;
	size_t n, cap;
	uint32_t as_base; /* resolve.c: address space of epoch i is as_base + i */
};

struct wp_profile {
	char *damage;
	struct wp_profile_read read;
	struct wp_kv_store meta, stats;

	struct wp_arena strs;
	struct prof_string *strings;
	size_t nstrings, strings_cap;
	struct wp_map string_ids; /* id -> index */

	uint64_t *ips;
	size_t nips, ips_cap;
	struct prof_stack *stacks;
	size_t nstacks, stacks_cap;
	struct wp_map stack_ids; /* id -> index */

	struct prof_mmap *mmaps;
	size_t nmmaps, mmaps_cap;
	struct prof_ksym *ksyms;
	size_t nksyms, ksyms_cap;

	struct tid_state *tids;
	size_t ntids, tids_cap;
	struct wp_map tid_idx; /* tid -> index */
	bool comm_changes;     /* some thread had two different comms */
	struct pid_state *pids;
	size_t npids, pids_cap;
	struct wp_map pid_idx; /* pid -> index */
	bool resets;           /* some process exec'ed */

	/* groups: open addressing over indexes + 1 */
	struct wp_group *groups;
	size_t ngroups, groups_cap;
	uint32_t *gslots;
	size_t gslots_cap;
	size_t last_group; /* + 1; 0 none: a one-entry cache */

	/* wakers: hash of the key -> index (probed on collision) */
	struct wp_waker *wakers;
	size_t nwakers, wakers_cap;
	struct wp_map waker_idx;

	/* scheduler data and what load derives from it */
	bool sched;                /* wp_profile__has_sched() */
	bool ev_any;
	uint64_t ev_first, ev_last; /* times of timed records other than samples */
	double period_ns;
	bool period_known;
	uint64_t freq_hz;
	size_t calibrated;
	struct wp_thread_acct *threads;
	size_t nthreads;
	struct wp_sched_totals totals;
	uint32_t reason_frames[WP_OFF_NREASONS]; /* + 1; 0 none (resolve.c) */

	/* resolve.c */
	bool resolved;
	struct wp_arena fstrs;   /* frame names and modules */
	struct wp_frame *frames;
	size_t nframes, frames_cap;
	uint32_t *frame_ids;     /* resolved stacks, leaf first */
	size_t nframe_ids, frame_ids_cap;
	uint32_t *frame_pos;     /* parallel to frame_ids: srcpos id, 0 none */
	size_t frame_pos_cap;
	struct wp_srcpos *srcpos; /* id - 1 */
	size_t nsrcpos;
	struct wp_symbolizer *sym;
	struct wp_embedded *emb; /* embedded.c: JITSYM, SYMBOL, SRCLINE as read */
	struct prof_unwind *unw; /* unwind_load.c: USTACK_DUMP records, NULL if none */
};

struct tid_state *prof_tid(const struct wp_profile *p, uint32_t tid);
struct pid_state *prof_pid(const struct wp_profile *p, uint32_t pid);
/*
 * The generations an event at time t belongs to (groups are keyed by them;
 * events.c matches events to groups the same way): the time of the latest
 * exec of pid at or before t (0: none), and the start of the comm run of
 * tid in effect at t (0 for the first run, also for events older than
 * every record: a thread is first seen late).
 */
uint64_t prof_mm_epoch(const struct wp_profile *p, uint32_t pid, uint64_t t);
uint64_t prof_comm_epoch(const struct wp_profile *p, uint32_t tid, uint64_t t);
/* The string (or "" with *ok false) for an id. */
const char *prof_str(const struct wp_profile *p, uint32_t id, uint32_t *len);

/* unwind_load.c: a USTACK_DUMP record (0, 1 malformed, -ENOMEM); after the
 * last record (aliases in groups read before their dump); free. */
int prof_unwind_record(struct wp_profile *p, const struct wpd_record *rec,
		       const struct wp_load_opts *opts);
void prof_unwind_finish(struct wp_profile *p);
/* unwind_load.c: the STATS of stacks wp-record unwound (0 or -ENOMEM). */
int prof_unwind_recorded(struct wp_profile *p);
void prof_unwind_free(struct prof_unwind *u);
uint32_t prof_stack_alias_slow(const struct wp_profile *p, uint32_t id);
/* The id a group uses for stack id: the first id with the same unwound
 * frames (ids defined by USTACK_DUMP records), else id itself. */
static inline uint32_t prof_stack_alias(const struct wp_profile *p, uint32_t id)
{
	return p->unw ? prof_stack_alias_slow(p, id) : id;
}

#endif
