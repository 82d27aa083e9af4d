/* SPDX-License-Identifier: MIT */
/*
 * Types shared by the BPF programs (bpf/wp.bpf.c) and wp-record. Fixed
 * width, padding-free, sizes checked on both sides. These structs travel
 * through the BPF ring buffer only: format/ owns the on-disk structs and
 * nothing here is ever written to a .wpd as is.
 *
 * Every ring-buffer record starts with a __u32 type (enum wp_event_type),
 * so new event kinds (off-CPU: scheduler switch/wakeup) can be added to
 * the same ring buffer and object without changing the existing ones.
 */
#ifndef WP_BPF_WP_BPF_H
#define WP_BPF_WP_BPF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Frames per side the BPF side captures (the kernel default of
 * kernel.perf_event_max_stack); wp-record lowers the stack maps' value
 * size when the sysctl is lower. */
#define WP_MAX_FRAMES 127
#define WP_COMM_LEN 16

/* Which tasks are recorded (rodata wp_mode). */
enum wp_target_mode {
	WP_TARGET_SYSTEM = 0, /* every task but the idle tasks and wp-record */
	WP_TARGET_FOLLOW = 1, /* tgids in the "followed" map, plus their new children */
};

enum wp_event_type {
	WP_EV_SAMPLE = 1, /* struct wp_sample_event (+ inline frames) */
	WP_EV_EXEC = 2,   /* struct wp_exec_event */
	WP_EV_OFFCPU = 3, /* struct wp_offcpu_event (bpf/wp_sched.h) (+ inline frames) */
	WP_EV_TASK = 4,   /* struct wp_task_event (bpf/wp_sched.h) */
	WP_EV_USTACK = 20, /* struct wp_ustack_event: a sample with a user stack dump */
	/* struct wp_ustack_event: the user stack of an off-CPU interval, s.time_ns
	 * its start (the OFFCPU event has WP_OF_DUMP_PENDING) */
	WP_EV_OFFCPU_USTACK = 21,
};

/* kstack_id / ustack_id values other than a stack-map id (>= 0). */
#define WP_STACKID_NONE   (-1) /* no frames: see flags for why */
#define WP_STACKID_INLINE (-2) /* frames are in the record (struct wp_sample_inline) */

/* wp_sample_event.flags */
#define WP_SF_KERNEL_MISSING (1u << 0) /* kernel stack capture failed */
#define WP_SF_USER_MISSING   (1u << 1) /* user stack capture failed or empty */
#define WP_SF_NO_USER        (1u << 2) /* kernel thread: no user space */

struct wp_sample_event {
	__u32 type;      /* WP_EV_SAMPLE */
	__u32 flags;     /* WP_SF_* */
	__u64 time_ns;   /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 pid;       /* tgid */
	__u32 tid;
	__u32 cpu;
	__s32 kstack_id; /* id in the "kstacks" map, or WP_STACKID_* */
	__s32 ustack_id; /* id in the "ustacks" map, or WP_STACKID_* */
	__u16 nkernel;   /* frames in kernel[] when kstack_id == INLINE */
	__u16 nuser;     /* frames in user[] when ustack_id == INLINE */
	char comm[WP_COMM_LEN];
};

/* The record reserved when a stack-map id could not be had (bucket
 * collision, map full): the frames travel with the sample, so no stack is
 * lost to collisions. Leaf first, as bpf_get_stack() returns them. */
struct wp_sample_inline {
	struct wp_sample_event s;
	__u64 kernel[WP_MAX_FRAMES];
	__u64 user[WP_MAX_FRAMES];
};

/*
 * --call-graph dwarf: a sample of a user task carries the user registers
 * and a copy of the top of its user stack instead of a user stack id;
 * wp-report unwinds it with the binaries' CFI (report/unwind.c). The
 * record is reserved with wp_dump_size bytes of data[] (a load-time
 * constant), of which dump_size were copied: from the user rsp up, page
 * by page, until wp_dump_size or the first page that cannot be read (the
 * top of the stack mapping).
 */
#define WP_DUMP_MAX   (64u << 10) /* largest --call-graph dwarf,SIZE */
#define WP_DUMP_MIN   64u         /* smallest (a failure test uses it) */
#define WP_UREGS      17          /* x86_64 DWARF registers 0..16 */

struct wp_ustack_event {
	struct wp_sample_event s; /* type WP_EV_USTACK; ustack_id WP_STACKID_NONE */
	__u32 dump_size;          /* bytes of stack in data[] */
	__u32 regs_mask;          /* bit i: regs[i] holds DWARF register i */
	/* x86_64 DWARF numbering: 0 rax, 1 rdx, 2 rcx, 3 rbx, 4 rsi, 5 rdi,
	 * 6 rbp, 7 rsp, 8..15 r8..r15, 16 rip (the return address column) */
	__u64 regs[WP_UREGS];
	__u64 kernel[WP_MAX_FRAMES]; /* s.nkernel frames when s.kstack_id is INLINE */
	__u8 data[];              /* the stack at regs[7] and above */
};

/*
 * --call-graph dwarf, off-CPU: the user stack of a long interval is copied
 * when the thread, switched back in, leaves the system call it blocked in
 * (tp_btf/sys_exit, in its own context: its user registers and stack are
 * still those of the switch-out). The scheduler program that ends such an
 * interval (bpf/sched.bpf.c) puts the thread in map "dump_want" (LRU hash,
 * tid -> this), shared by both objects; sp and ip tell the system call it
 * blocked in from a later one.
 */
struct wp_dump_want {
	__u64 start_ns; /* the interval's start (switch-out) */
	__u64 sp, ip;   /* its user stack pointer and instruction pointer */
};

struct wp_exec_event {
	__u32 type;      /* WP_EV_EXEC */
	__u32 old_tid;   /* the exec'ing thread's tid before exec */
	__u64 time_ns;
	__u32 pid;
	__u32 tid;
	char comm[WP_COMM_LEN]; /* the new comm */
};

/* Kernel symbol lookups (program wp_ksym_resolve, run by wp-record with
 * BPF_PROG_TEST_RUN): up to WP_KSYM_BATCH addresses in, their "%pS" text
 * ("name+0xoff/0xsize [module]") out, through the object's .bss. */
#define WP_KSYM_BATCH 64
#define WP_KSYM_LEN 512

/* Per-CPU counters (map "counters": one element, an array of __u64).
 * WP_CNT_LOST_* are losses; wp-record stores them as "lost.<name>". */
enum wp_counter {
	WP_CNT_LOST_RINGBUF = 0,  /* sample dropped: ring buffer full */
	WP_CNT_LOST_KSTACK,       /* kernel stack not captured */
	WP_CNT_LOST_USTACK,       /* user stack not captured */
	WP_CNT_LOST_EXEC,         /* exec event dropped: ring buffer full */
	WP_CNT_LOST_FOLLOW,       /* new child not followed: map full */
	WP_CNT_SAMPLES,           /* samples sent */
	WP_CNT_KSTACK_INLINE,     /* kernel stack sent inline (no map id) */
	WP_CNT_USTACK_INLINE,     /* user stack sent inline (no map id) */
	WP_CNT_USTACK_EMPTY,      /* user task without a user stack (exiting) */
	WP_CNT_IDLE,              /* samples of the idle task, not recorded */
	WP_CNT_FOLLOWED,          /* children added to the followed map */
	WP_CNT_USTACK_DUMPS,      /* dwarf: samples sent with a user stack dump */
	WP_CNT_USTACK_DUMP_FALLBACK, /* dwarf: no room for a dump, sent with a stack id */
	WP_CNT_OFFCPU_DUMPS,      /* dwarf: off-CPU intervals' user stacks sent */
	WP_CNT_OFFCPU_DUMP_STALE, /* dwarf: thread no longer where it blocked: no dump */
	WP_CNT_MAX,
};

struct wp_counters {
	__u64 c[WP_CNT_MAX];
};

_Static_assert(sizeof(struct wp_sample_event) == 56, "wp_sample_event layout");
_Static_assert(sizeof(struct wp_sample_inline) == 56 + 2 * 8 * WP_MAX_FRAMES,
	       "wp_sample_inline layout");
_Static_assert(sizeof(struct wp_ustack_event) == 56 + 8 + 8 * WP_UREGS + 8 * WP_MAX_FRAMES,
	       "wp_ustack_event layout");
_Static_assert(sizeof(struct wp_dump_want) == 24, "wp_dump_want layout");
_Static_assert(sizeof(struct wp_exec_event) == 40, "wp_exec_event layout");
_Static_assert(sizeof(struct wp_counters) == 8 * WP_CNT_MAX, "wp_counters layout");

#endif
