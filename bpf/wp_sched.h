/* SPDX-License-Identifier: MIT */
/*
 * Types shared by the scheduler programs (bpf/sched.bpf.c: off-CPU
 * intervals, thread accounting, lifecycle) and wp-record (record/sched.c,
 * record/output.c). Fixed width, padding-free, sizes checked on both
 * sides; ring-buffer and map layouts only, never written to a .wpd as is.
 *
 * The events travel in wp.bpf.c's ring buffer (shared by fd) and start
 * with a __u32 type from enum wp_event_type (bpf/wp_bpf.h).
 */
#ifndef WP_BPF_WP_SCHED_H
#define WP_BPF_WP_SCHED_H

#include "bpf/wp_bpf.h"

/* Off-CPU reasons: the values of enum wpd_offcpu_reason (format/wpd.h),
 * which the BPF side cannot include. */
enum wp_off_reason {
	WP_OFF_UNKNOWN = 0,
	WP_OFF_SLEEP = 1,
	WP_OFF_BLOCKED = 2,
	WP_OFF_PREEMPTED = 3,
	WP_OFF_OTHER = 4,
};

/* Task event kinds: the values of enum wpd_task_kind, plus SEEN. */
enum wp_task_kind {
	WP_TASK_FORK = 1,
	WP_TASK_THREAD = 2,
	WP_TASK_EXEC = 3,
	WP_TASK_EXIT = 4,
	WP_TASK_RENAME = 5,
	WP_TASK_SEEN = 16, /* a thread that existed before recording: its name */
};

/* Stack flags of an interval (flags of struct wp_offcpu_event, of
 * struct wp_agg_key and of struct wp_thread_state). */
#define WP_OF_KERNEL_MISSING  (1u << 0) /* kernel stack capture failed */
#define WP_OF_USER_MISSING    (1u << 1) /* user stack capture failed or empty */
#define WP_OF_NO_USER         (1u << 2) /* kernel thread: no user space */
#define WP_OF_WAKER_KERNEL_MISSING (1u << 3)
#define WP_OF_WAKER_USER_MISSING   (1u << 4)
#define WP_OF_WAKER_NO_USER   (1u << 5)
/* events only: --call-graph dwarf: the thread's user stack is to come in a
 * WP_EV_OFFCPU_USTACK event (bpf/wp_bpf.h, struct wp_dump_want) */
#define WP_OF_DUMP_PENDING    (1u << 6)
/* no kernel stack was walked for the interval, by the policy of
 * --off-cpu-kernel-stacks long (a short wait not sampled); set at
 * switch-out, cleared when the stack is taken at switch-in */
#define WP_OF_KERNEL_NOT_WALKED (1u << 7)
/* struct wp_thread_state.flags only (internal, masked off in events) */
#define WP_TSF_KFROZEN  (1u << 8)  /* take the kernel stack at switch-in */
#define WP_TSF_USPILL   (1u << 9)  /* user frames are in the "spill" map */
#define WP_TSF_EARLY    (1u << 10) /* woken while still switching out */
#define WP_TSF_KSPILL   (1u << 11) /* kernel frames are in the "spill" map */
#define WP_OF_EVENT_MASK 0xffu

/* struct wp_thread_state.state */
enum wp_ts_state {
	WP_TS_ON = 1,   /* on a CPU since in_ns */
	WP_TS_OFF = 2,  /* off-CPU since out_ns, for reason */
	WP_TS_DEAD = 3, /* exited at out_ns; its EXIT event could not be sent:
			 * wp-record collects and deletes it */
};

/*
 * Per-thread scheduler state, map "threads" (hash, tid -> state). The
 * BPF side updates it at every switch, wakeup and fork of a recorded
 * thread; wp-record reads it at flushes (THREAD_TIME snapshots) and at
 * the end (intervals still open, final accounting).
 */
struct wp_thread_state {
	__u64 first_ns;   /* accounting start: recording start or creation */
	__u64 oncpu_ns;   /* on-CPU time of the periods already ended */
	__u64 in_ns;      /* last switch-in (WP_TS_ON) */
	__u64 out_ns;     /* last switch-out (WP_TS_OFF), death (WP_TS_DEAD) */
	__u64 wake_ns;    /* wakeup since out_ns, 0: none */
	__u64 switches;   /* switch-outs */
	__u32 pid;        /* tgid */
	__u32 state;      /* enum wp_ts_state */
	__u32 reason;     /* enum wp_off_reason, when off-CPU */
	__u32 cpu;        /* CPU of the switch-out */
	__s32 kstack_id;  /* stack ids at switch-out, or WP_STACKID_NONE */
	__s32 ustack_id;
	__u32 flags;      /* WP_OF_*, WP_TSF_* */
	__u32 exec_id;    /* task->self_exec_id at switch-out (exec generation) */
	__u32 waker_pid, waker_tid;
	__s32 waker_kstack_id, waker_ustack_id;
	__u64 exec_ns;    /* task->se.sum_exec_runtime at the last switch seen */
	/* short-wait time left to its next sampled kernel walk (0: not
	 * drawn yet; --off-cpu-kernel-sample) */
	__u64 kwalk_left_ns;
};

/*
 * One off-CPU interval sent individually (at least min_block long, or
 * one that could not be aggregated). When kstack_id or ustack_id is
 * WP_STACKID_INLINE the frames follow the struct: nkernel kernel frames,
 * then nuser user frames, leaf first.
 */
struct wp_offcpu_event {
	__u32 type;        /* WP_EV_OFFCPU */
	__u32 reason;      /* enum wp_off_reason */
	__u64 start_ns;    /* switch-out */
	__u64 duration_ns; /* until switch-in */
	__u64 runq_ns;     /* of which runnable, waiting for a CPU */
	__u32 pid, tid;
	__u32 cpu;         /* of the switch-out */
	__u32 flags;       /* WP_OF_* */
	__s32 kstack_id, ustack_id;
	__u32 waker_pid, waker_tid; /* 0: none (timer, interrupt) or unknown */
	__s32 waker_kstack_id, waker_ustack_id;
	__u16 nkernel, nuser;
	__u32 exec_id;
};

struct wp_offcpu_inline {
	struct wp_offcpu_event e;
	__u64 frames[2 * WP_MAX_FRAMES]; /* kernel frames, then user frames */
};

/* Lifecycle: fork, new thread, exec, exit, rename, first sight. */
struct wp_task_event {
	__u32 type;      /* WP_EV_TASK */
	__u32 kind;      /* enum wp_task_kind */
	__u64 time_ns;
	__u32 pid, tid;
	__u32 parent_pid, parent_tid; /* FORK, THREAD */
	char comm[WP_COMM_LEN];
	/* EXIT: the thread's final accounting; EXEC: exec_id */
	__u64 first_ns;
	__u64 oncpu_ns;
	__u64 switches;
	__u32 exec_id;
	__u32 reserved;
};

/*
 * In-kernel aggregation of the intervals shorter than min_block: two
 * hash maps of these, one active (map "agg_slot"), the other drained by
 * wp-record after swapping them (record/sched.c).
 */
struct wp_agg_key {
	__u32 pid, tid;
	__s32 kstack_id, ustack_id;
	__u32 reason;
	__u32 flags;     /* WP_OF_* */
	__u32 waker_pid, waker_tid;
	__s32 waker_kstack_id, waker_ustack_id;
	__u32 exec_id;   /* exec generation: the stack's address space */
	__u32 reserved;
};

struct wp_agg_val {
	__u64 count;
	__u64 total_ns;
	__u64 runq_ns;
};

/* Frames of an interval that have no stack-map id (map "spill", tid ->
 * frames), sent inline when the interval ends: the user frames of a
 * switch-out whose stack found no free id, the kernel frames of a thread
 * asleep when recording began. */
struct wp_spill {
	__u32 nkernel, nuser;
	__u64 kernel[WP_MAX_FRAMES];
	__u64 user[WP_MAX_FRAMES];
};

/* Per-CPU counters of the scheduler programs (map "sched_counters"),
 * stored as "lost.<name>" (losses) and "bpf.<name>". */
enum wp_sched_counter {
	WP_SC_LOST_INTERVAL = 0, /* interval dropped: ring buffer and aggregation map full */
	WP_SC_LOST_STACK,        /* interval kept without its stack (capture failed) */
	WP_SC_LOST_WAKER_STACK,  /* waker kept without its stack */
	WP_SC_LOST_TASK,         /* lifecycle event dropped: ring buffer full */
	WP_SC_LOST_THREAD,       /* thread not accounted: "threads" map full */
	WP_SC_LOST_ACCOUNTING,   /* an exited thread's accounting overwritten before read */
	WP_SC_LOST_MAX_,         /* (marker: counters below are diagnostics) */
	WP_SC_SWITCHES = WP_SC_LOST_MAX_, /* switches with a recorded thread */
	WP_SC_EVENTS,            /* intervals sent individually */
	WP_SC_AGGREGATED,        /* intervals added to the aggregation map */
	WP_SC_AGG_FULL,          /* short interval sent individually: aggregation map full */
	WP_SC_RINGBUF_FULL,      /* long interval aggregated: ring buffer full */
	WP_SC_WAKEUPS,           /* wakeups of recorded threads seen */
	WP_SC_WAKER_STACKS,      /* of which with the waker's stacks */
	WP_SC_EARLY_WAKEUPS,     /* woken before the switch-out finished */
	WP_SC_KSTACK_FROZEN,     /* kernel stacks taken at switch-in (any reason) */
	WP_SC_USTACK_SPILL,      /* user stacks spilled (no map id) */
	WP_SC_EXIT_DEFERRED,     /* exits left for wp-record (ring buffer full) */
	WP_SC_IN_UNSEEN,         /* switch-in not traced, rebuilt from the CPU time */
	WP_SC_OUT_UNSEEN,        /* switch-out not traced, rebuilt from the CPU time */
	WP_SC_KSTACK_SAMPLED,    /* of those, of short waits (sampled) */
	WP_SC_KSTACK_FINAL,      /* kernel stacks of intervals still open at the end */
	WP_SC_DUMP_RATE_LIMITED, /* dwarf: over --off-cpu-dwarf-rate, fp user stack kept */
	WP_SC_MAX,
};

struct wp_sched_counters {
	__u64 c[WP_SC_MAX];
};

_Static_assert(sizeof(struct wp_thread_state) == 112, "wp_thread_state layout");
_Static_assert(sizeof(struct wp_offcpu_event) == 80, "wp_offcpu_event layout");
_Static_assert(sizeof(struct wp_offcpu_inline) == 80 + 16 * WP_MAX_FRAMES,
	       "wp_offcpu_inline layout");
_Static_assert(sizeof(struct wp_task_event) == 80, "wp_task_event layout");
_Static_assert(sizeof(struct wp_agg_key) == 48, "wp_agg_key layout");
_Static_assert(sizeof(struct wp_agg_val) == 24, "wp_agg_val layout");
_Static_assert(sizeof(struct wp_spill) == 8 + 16 * WP_MAX_FRAMES, "wp_spill layout");
_Static_assert(sizeof(struct wp_sched_counters) == 8 * WP_SC_MAX, "wp_sched_counters layout");

#endif
