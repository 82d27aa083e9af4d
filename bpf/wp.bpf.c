// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * wp's kernel side.
 *
 *   wp_sample   perf_event (cpu-clock, one per CPU): filter, stack ids,
 *               one ring-buffer record per sample
 *   wp_fork     tp_btf/sched_process_fork: follow new children of followed
 *               processes
 *   wp_exec     tp_btf/sched_process_exec: tell user space to re-read the
 *               process's mappings
 *   wp_exit     tp_btf/sched_process_exit: forget a followed process
 *   wp_sys_exit tp_btf/sys_exit (--call-graph dwarf with off-CPU): the user
 *               stack of a long off-CPU interval, as the thread leaves the
 *               system call it blocked in
 *   wp_ksym_resolve  syscall program run on demand: names the kernel
 *               addresses of new stacks ("%pS"), so wp-record needs
 *               neither /proc/kallsyms (100k+ lines to read) nor CAP_SYSLOG
 *
 * Filtering happens before any stack walk, so unwanted tasks cost a hash
 * lookup. Stacks go into two stack-trace maps (kernel, user) without
 * BPF_F_REUSE_STACKID: an id, once handed out, always means the same
 * stack, and wp-record reads each id once. When a map has no id to give
 * (-EEXIST: another stack owns the bucket; -ENOMEM: full) the frames are
 * copied into a larger ring-buffer record instead, so collisions never
 * lose or corrupt a stack.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "bpf/shared.bpf.h"

#define PF_KTHREAD 0x00200000
#define EFAULT 14

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Set by wp-record between open and load. */
const volatile bool wp_force_inline = false; /* benchmark: never use stack ids */
/* --call-graph dwarf,SIZE: bytes of user stack per sample; 0: fp */
const volatile __u32 wp_dump_size = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct wp_counters);
	__uint(max_entries, 1);
} counters SEC(".maps");

static __always_inline void count(enum wp_counter idx)
{
	__u32 zero = 0;
	struct wp_counters *c = bpf_map_lookup_elem(&counters, &zero);

	/* Atomic: a cpu-clock sample may interrupt a tracepoint program
	 * updating the same CPU's counters. */
	if (c && idx < WP_CNT_MAX)
		__sync_fetch_and_add(&c->c[idx], 1);
}

/* The sample interrupted user mode: the kernel stack is empty, do not ask
 * for it (it costs a callchain setup). Unknown architectures ask. */
static __always_inline bool in_user_mode(struct bpf_perf_event_data *ctx)
{
#if defined(__TARGET_ARCH_x86)
	/* struct pt_regs is ABI (ptrace); cs is its 18th word. Since FRED it
	 * is a u16 in a union, and the ctx may only be read by whole words. */
	return (((const __u64 *)&ctx->regs)[17] & 3) == 3;
#elif defined(__TARGET_ARCH_arm64)
	return (ctx->regs.pstate & 0xf) == 0; /* PSR_MODE_EL0t */
#else
	return false;
#endif
}

static __always_inline void fill_sample(struct wp_sample_event *e, __u64 pid_tgid,
					 __u32 flags, __s32 kid, __s32 uid)
{
	e->type = WP_EV_SAMPLE;
	e->flags = flags;
	e->time_ns = bpf_ktime_get_ns();
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->cpu = bpf_get_smp_processor_id();
	e->kstack_id = kid;
	e->ustack_id = uid;
	e->nkernel = 0;
	e->nuser = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
}

/*
 * --call-graph dwarf: the user registers (saved at the kernel entry, so
 * whether the sample hit user or kernel mode) and the top wp_dump_size
 * bytes of the user stack, copied page by page from rsp so that a copy
 * stops at the top of the stack mapping instead of failing whole.
 * kid: the kernel stack id (or a negative error: copied inline then).
 * 0 sent; -1 no room in the ring buffer (the caller sends a plain sample).
 */
static __always_inline int send_ustack(void *ctx, __u64 pid_tgid, __u32 flags, long kid,
				       bool kernel_wanted, __u32 type, __u64 time_ns)
{
	const __u32 lim = wp_dump_size, cmax = lim < 4096 ? lim : 4096;
	struct task_struct *task = bpf_get_current_task_btf();
	struct wp_ustack_event *e;
	struct pt_regs *regs;
	__u64 sp, off = 0;
	int i;

	e = bpf_ringbuf_reserve(&events, sizeof(*e) + lim, 0);
	if (!e)
		return -1;
	fill_sample(&e->s, pid_tgid, flags, kid >= 0 ? kid : WP_STACKID_NONE, WP_STACKID_NONE);
	e->s.type = type;
	if (time_ns)
		e->s.time_ns = time_ns;
	if (kernel_wanted && kid < 0) {
		long n = bpf_get_stack(ctx, e->kernel, sizeof(e->kernel), 0);

		count(WP_CNT_KSTACK_INLINE);
		if (n < 0) {
			e->s.flags |= WP_SF_KERNEL_MISSING;
			count(WP_CNT_LOST_KSTACK);
		} else {
			e->s.kstack_id = WP_STACKID_INLINE;
			e->s.nkernel = n / sizeof(__u64);
		}
	}
	e->regs_mask = 0;
	e->dump_size = 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
#if defined(__TARGET_ARCH_x86)
	if (regs && (regs->cs & 3) == 3) {
		e->regs[0] = regs->ax;
		e->regs[1] = regs->dx;
		e->regs[2] = regs->cx;
		e->regs[3] = regs->bx;
		e->regs[4] = regs->si;
		e->regs[5] = regs->di;
		e->regs[6] = regs->bp;
		e->regs[7] = regs->sp;
		e->regs[8] = regs->r8;
		e->regs[9] = regs->r9;
		e->regs[10] = regs->r10;
		e->regs[11] = regs->r11;
		e->regs[12] = regs->r12;
		e->regs[13] = regs->r13;
		e->regs[14] = regs->r14;
		e->regs[15] = regs->r15;
		e->regs[16] = regs->ip;
		e->regs_mask = (1u << WP_UREGS) - 1;
	}
#endif
	if (!e->regs_mask) {
		e->s.flags |= WP_SF_USER_MISSING;
		count(WP_CNT_LOST_USTACK);
		goto out;
	}
	sp = e->regs[7];
	/* Up to each page boundary, so a read fails only on a page that
	 * cannot be read. The verifier needs off + chunk <= lim: off stays at
	 * most lim - cmax and the tail is read as the last cmax bytes. */
	for (i = 0; i < WP_DUMP_MAX / 4096 + 1; i++) {
		__u64 chunk = 4096 - ((sp + off) & 4095);

		if (off > lim - cmax)
			break;
		if (chunk > cmax)
			chunk = cmax;
		if (bpf_probe_read_user(e->data + off, chunk, (const void *)(sp + off)))
			goto copied; /* the top of the stack: off is all there is */
		off += chunk;
	}
	if (off < lim &&
	    !bpf_probe_read_user(e->data + (lim - cmax), cmax, (const void *)(sp + lim - cmax)))
		off = lim;
copied:
	e->dump_size = off;
	count(WP_CNT_USTACK_DUMPS);
out:
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("perf_event")
int wp_sample(struct bpf_perf_event_data *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	struct task_struct *task;
	bool kinline = false, uinline = false;
	__u32 flags = 0;
	long kid, uid;

	if ((__u32)pid_tgid == 0) {
		count(WP_CNT_IDLE);
		return 0;
	}
	if (!wanted(tgid))
		return 0;

	task = (struct task_struct *)bpf_get_current_task();
	/* Kernel stack: none when the sample hit user mode. */
	if (in_user_mode(ctx))
		kid = -EFAULT;
	else
		kid = wp_force_inline ? -1 : bpf_get_stackid(ctx, &kstacks, 0);
	if (kid < 0 && kid != -EFAULT)
		kinline = true;
	if (kid < 0)
		kid = WP_STACKID_NONE;

	if (BPF_CORE_READ(task, flags) & PF_KTHREAD) {
		flags |= WP_SF_NO_USER;
		uid = WP_STACKID_NONE;
	} else if (wp_dump_size &&
		   !send_ustack(ctx, pid_tgid, flags, kinline ? -1 : kid, !in_user_mode(ctx),
				WP_EV_USTACK, 0)) {
		count(WP_CNT_SAMPLES);
		return 0;
	} else {
		if (wp_dump_size)
			count(WP_CNT_USTACK_DUMP_FALLBACK);
		uid = wp_force_inline ? -1 : bpf_get_stackid(ctx, &ustacks, BPF_F_USER_STACK);
		if (uid == -EFAULT) {
			/* a user task without user registers: exiting */
			flags |= WP_SF_USER_MISSING;
			count(WP_CNT_USTACK_EMPTY);
		} else if (uid < 0) {
			uinline = true;
		}
		if (uid < 0)
			uid = WP_STACKID_NONE;
	}

	if (!kinline && !uinline) {
		struct wp_sample_event *e;

		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (!e) {
			count(WP_CNT_LOST_RINGBUF);
			return 0;
		}
		fill_sample(e, pid_tgid, flags, kid, uid);
		bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	} else {
		struct wp_sample_inline *e;
		long n;

		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (!e) {
			count(WP_CNT_LOST_RINGBUF);
			return 0;
		}
		fill_sample(&e->s, pid_tgid, flags, kid, uid);
		if (kinline) {
			count(WP_CNT_KSTACK_INLINE);
			n = bpf_get_stack(ctx, e->kernel, sizeof(e->kernel), 0);
			if (n < 0) {
				if (n != -EFAULT) {
					e->s.flags |= WP_SF_KERNEL_MISSING;
					count(WP_CNT_LOST_KSTACK);
				}
			} else {
				e->s.kstack_id = WP_STACKID_INLINE;
				e->s.nkernel = n / sizeof(__u64);
			}
		}
		if (uinline) {
			count(WP_CNT_USTACK_INLINE);
			n = bpf_get_stack(ctx, e->user, sizeof(e->user), BPF_F_USER_STACK);
			if (n <= 0) {
				e->s.flags |= WP_SF_USER_MISSING;
				count(WP_CNT_LOST_USTACK);
			} else {
				e->s.ustack_id = WP_STACKID_INLINE;
				e->s.nuser = n / sizeof(__u64);
			}
		}
		bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	}
	count(WP_CNT_SAMPLES);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(wp_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	__u8 one = 1;

	if (wp_mode != WP_TARGET_FOLLOW || ptgid == ctgid)
		return 0; /* a new thread: its tgid is followed already */
	if (!bpf_map_lookup_elem(&followed, &ptgid))
		return 0;
	if (bpf_map_update_elem(&followed, &ctgid, &one, BPF_ANY))
		count(WP_CNT_LOST_FOLLOW);
	else
		count(WP_CNT_FOLLOWED);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(wp_exec, struct task_struct *p, pid_t old_pid)
{
	__u32 tgid = p->tgid;
	struct wp_exec_event *e;

	if (!wanted(tgid))
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(WP_CNT_LOST_EXEC);
		return 0;
	}
	e->type = WP_EV_EXEC;
	e->old_tid = old_pid;
	e->time_ns = bpf_ktime_get_ns();
	e->pid = tgid;
	e->tid = p->pid;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	/* Wake the consumer: the mappings should be read while they exist. */
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(wp_exit, struct task_struct *p)
{
	__u32 tgid = p->tgid;

	if (wp_mode != WP_TARGET_FOLLOW)
		return 0;
	/* The last thread of the group: the tgid may now be reused by an
	 * unrelated process, which must not be recorded. */
	if (BPF_CORE_READ(p, signal, live.counter) == 0)
		bpf_map_delete_elem(&followed, &tgid);
	return 0;
}

/*
 * --call-graph dwarf with off-CPU recording: a thread whose long off-CPU
 * interval ended (map dump_want, filled by sched.bpf.c at its switch-in)
 * leaves the system call it blocked in: its user registers and stack are
 * those it switched out with; the copy is sent for that interval (its
 * start). The kernel part of the interval's stack is the one taken at the
 * switch-out. Elsewhere (a later system call: it was preempted, or blocked
 * in a page fault) the entry is dropped and the interval keeps its
 * frame-pointer stack.
 */
SEC("tp_btf/sys_exit")
int BPF_PROG(wp_sys_exit, struct pt_regs *sregs, long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct wp_dump_want *w, want;
	struct pt_regs *regs;

	if (!wp_dump_size)
		return 0;
	w = bpf_map_lookup_elem(&dump_want, &tid);
	if (!w)
		return 0;
	want = *w;
	bpf_map_delete_elem(&dump_want, &tid);
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
#if defined(__TARGET_ARCH_x86)
	if (!regs || regs->sp != want.sp || regs->ip != want.ip) {
		count(WP_CNT_OFFCPU_DUMP_STALE);
		return 0;
	}
#else
	return 0;
#endif
	if (!send_ustack(ctx, pid_tgid, 0, -1, false, WP_EV_OFFCPU_USTACK, want.start_ns))
		count(WP_CNT_OFFCPU_DUMPS);
	else
		count(WP_CNT_USTACK_DUMP_FALLBACK); /* no room: the frame-pointer stack stays */
	return 0;
}

/* Filled and read by wp-record around a BPF_PROG_TEST_RUN. */
__u64 wp_ksym_addr[WP_KSYM_BATCH];
__u32 wp_ksym_n;
char wp_ksym_out[WP_KSYM_BATCH][WP_KSYM_LEN];

SEC("syscall")
int wp_ksym_resolve(void *ctx)
{
	int i;

	for (i = 0; i < WP_KSYM_BATCH; i++) {
		__u64 addr;

		if (i >= wp_ksym_n)
			break;
		addr = wp_ksym_addr[i];
		/* sprint_symbol(): "name+0xoff/0xsize [module]", or "0x..." */
		bpf_snprintf(wp_ksym_out[i], WP_KSYM_LEN, "%pS", &addr, sizeof(addr));
	}
	return 0;
}
