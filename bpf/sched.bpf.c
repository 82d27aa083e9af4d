// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * wp's scheduler programs: off-CPU intervals, exact per-thread accounting
 * and lifecycle events (docs/offcpu.md). A second object next to wp.bpf.c;
 * the ring buffer, the stack maps and the followed map are wp.bpf.c's
 * (bpf/shared.bpf.h), shared by fd (record/sched.c), so stack ids mean the same in samples
 * and intervals. --no-off-cpu does not load it at all.
 *
 *   wp_switch   tp_btf/sched_switch: on-CPU time of prev, its stacks and
 *               reason at switch-out; next's interval ends: sent (at least
 *               min_block, or not aggregatable) or aggregated in the kernel
 *   wp_waking   tp_btf/sched_waking: who woke a recorded thread (the task
 *               running the wakeup) and, for waits of at least
 *               waker_min_ns, its stacks
 *   wp_fork_t   tp_btf/sched_process_fork: new threads and processes
 *   wp_exec_t   tp_btf/sched_process_exec: exec generation, name
 *   wp_rename   tp_btf/task_rename: comm changes
 *   wp_seed     iter/task, run once at the start: state for the recorded
 *               threads that exist, so a thread that never switches is
 *               accounted too (and one blocked since before the start gets
 *               its kernel stack)
 *
 * Cost: everything is keyed by a hash lookup of the tid, so a thread that
 * is not recorded costs two lookups per switch and nothing else; stacks are
 * walked only for recorded threads, and waker stacks only for long waits.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "bpf/shared.bpf.h"
#include "bpf/wp_sched.h"

#define PF_KTHREAD 0x00200000
#define EFAULT 14
#define EEXIST 17

/* task->__state bits (include/linux/sched.h) */
#define TASK_INTERRUPTIBLE   0x0001
#define TASK_UNINTERRUPTIBLE 0x0002
#define TASK_DEAD            0x0080
#define TASK_NOLOAD          0x0400

/* A tracepoint's kernel stacks begin with the tracing machinery's frames
 * (this program, bpf_trace_run*, __traceiter_* when several programs are
 * attached): wp-record drops them by name (record/output.c), so they are
 * not skipped here by a count that depends on the kernel. */
#define TP_SKIP 0

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Set by wp-record between open and load. */
const volatile __u64 wp_min_block_ns = 1000000;
const volatile __u64 wp_waker_min_ns = 1000000;
/* --off-cpu-kernel-stacks all: the kernel stack of every interval, walked
 * at switch-out. Otherwise (long, the default) only intervals of at least
 * min_block get theirs, taken from the sleeping thread at switch-in (it
 * has not run since: the stack it switched out with), and short waits one
 * per wp_kstack_sample_ns of a thread's short-wait time (0: none). */
const volatile bool wp_kstacks_all = false;
const volatile __u64 wp_kstack_sample_ns = 10000000;
/* every interval individually: for the test that proves the
 * aggregation exact */
const volatile bool wp_no_agg = false;
/* THREAD_SIZE: a task's kernel stack (16 KiB on x86_64 and arm64 without
 * KASAN); interrupts run on stacks of their own, outside it */
const volatile __u64 wp_thread_size = 16384;

/* --call-graph dwarf: ask wp.bpf.c's wp_sys_exit for the user stack of
 * each interval sent individually (map dump_want) */
const volatile bool wp_dwarf = false;
/* --off-cpu-dwarf-rate: those dumps are bounded per CPU by a token bucket
 * (each costs an 8 KiB copy and ~20 us of unwinding in wp-record, and
 * off-CPU intervals are not bounded by -F): one per wp_dump_gap_ns, up to
 * wp_dump_burst_ns ahead (burst - 1 gaps); 0: no dumps for intervals.
 * The others keep their frame-pointer stack, counted. */
const volatile __u64 wp_dump_gap_ns = 10000000;
const volatile __u64 wp_dump_burst_ns = 90000000;

/* Recording start (CLOCK_MONOTONIC), written by wp-record once every
 * program is attached; 0: not started, every program returns at once. */
__u64 wp_t0 = 0;

/* ---- this object's maps (those shared with wp.bpf.c: shared.bpf.h) ---- */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32); /* tid */
	__type(value, struct wp_thread_state);
	__uint(max_entries, 65536); /* set by wp-record */
	__uint(map_flags, BPF_F_NO_PREALLOC);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32); /* tid */
	__type(value, struct wp_spill);
	__uint(max_entries, 65536); /* set by wp-record */
	__uint(map_flags, BPF_F_NO_PREALLOC);
} spill SEC(".maps");

/* index 1 stays zero: the template of a new spill entry (index 0 unused) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct wp_spill);
	__uint(max_entries, 2);
} spill_zero SEC(".maps");

struct agg_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct wp_agg_key);
	__type(value, struct wp_agg_val);
	__uint(max_entries, 16384); /* set by wp-record */
} agg0 SEC(".maps"), agg1 SEC(".maps");

/* The aggregation map in use. wp-record swaps the other one in; the
 * update returns after an RCU grace period (the kernel waits for the
 * running programs on a map-in-map update), so the map swapped out has
 * no writer left and is drained exactly. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct agg_map);
} agg_slot SEC(".maps") = {
	.values = { &agg0 },
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct wp_sched_counters);
	__uint(max_entries, 1);
} sched_counters SEC(".maps");

/* Room to build an interval with inline frames (sched_switch only: it
 * runs with interrupts off, nothing else on this CPU uses it meanwhile). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct wp_offcpu_inline);
	__uint(max_entries, 1);
} scratch SEC(".maps");

/* the time from which this CPU may ask for the next off-CPU dump (a
 * GCRA token bucket: one u64; written by sched_switch only, which runs
 * with interrupts off) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} dump_budget SEC(".maps");

/* where a program's stack pointer is read back as a number */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} sp_slot SEC(".maps");

static __always_inline void scount(enum wp_sched_counter idx)
{
	__u32 zero = 0;
	struct wp_sched_counters *c = bpf_map_lookup_elem(&sched_counters, &zero);

	/* atomic: a wakeup in an interrupt may run amid another program */
	if (c && idx < WP_SC_MAX)
		__sync_fetch_and_add(&c->c[idx], 1);
}

/*
 * The current context is an interrupt (hard or soft, NMI): the task it
 * interrupted did not do the wakeup. preempt_count is a per-CPU variable
 * that a kernel without CONFIG_KALLSYMS_ALL does not let a program
 * address, so:
 *  - an interrupt of kernel code runs on a per-CPU stack of its own, and
 *    this program's frame is on the stack it runs on: outside cur's
 *    kernel stack means an interrupt (the pointer is read back as a
 *    number through a map, which CAP_PERFMON allows);
 *  - on x86_64 an interrupt of user code stays on the task's stack, but
 *    then the task entered the kernel through it: its entry frame's
 *    orig_ax is the vector's complement (negative), where a system call
 *    has its number and an exception its error code. (The exit path of
 *    such an entry, signals included, is taken for the interrupt too.)
 *  - softirqs run by ksoftirqd are on its stack: that kernel thread is
 *    told by its name.
 */
static __always_inline bool in_interrupt(struct task_struct *cur)
{
	volatile __u64 marker = 0;
	__u32 zero = 0;
	__u64 *slot = bpf_map_lookup_elem(&sp_slot, &zero), sp;
	char c[10];

	if (!slot)
		return false;
	*slot = (__u64)&marker;
	sp = *(volatile __u64 *)slot;
	if (sp - (__u64)cur->stack >= wp_thread_size)
		return true;
	if (!(cur->flags & PF_KTHREAD)) {
#if defined(__TARGET_ARCH_x86)
		struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(cur);

		return regs && (long)regs->orig_ax < 0;
#else
		return false;
#endif
	}
	__builtin_memcpy(c, cur->comm, sizeof(c));
	return c[0] == 'k' && c[1] == 's' && c[2] == 'o' && c[3] == 'f' && c[4] == 't' &&
	       c[5] == 'i' && c[6] == 'r' && c[7] == 'q' && c[8] == 'd' && c[9] == '/';
}

static __always_inline __u32 reason_of(bool preempt, unsigned int st)
{
	if (preempt || !st)
		return WP_OFF_PREEMPTED; /* still runnable */
	if (st & TASK_INTERRUPTIBLE)
		return WP_OFF_SLEEP;
	if (st & TASK_UNINTERRUPTIBLE)
		return (st & TASK_NOLOAD) ? WP_OFF_SLEEP : WP_OFF_BLOCKED; /* TASK_IDLE */
	return WP_OFF_OTHER;
}

static __always_inline void send_task(__u32 kind, __u64 now, struct task_struct *t,
				      const struct wp_thread_state *ts)
{
	struct wp_task_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		scount(WP_SC_LOST_TASK);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = WP_EV_TASK;
	e->kind = kind;
	e->time_ns = now;
	e->pid = t->tgid;
	e->tid = t->pid;
	bpf_probe_read_kernel(e->comm, sizeof(e->comm), t->comm);
	if (ts) {
		e->first_ns = ts->first_ns;
		e->oncpu_ns = ts->oncpu_ns;
		e->switches = ts->switches;
		e->exec_id = ts->exec_id;
	}
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

/* A thread not seen before: off-CPU since the start (reason UNKNOWN),
 * or on a CPU since then (running). */
static __always_inline struct wp_thread_state *new_thread(struct task_struct *t, __u32 tid,
							  bool running, __u64 now)
{
	struct wp_thread_state ts, *old;

	__builtin_memset(&ts, 0, sizeof(ts));
	ts.first_ns = wp_t0;
	ts.pid = t->tgid;
	ts.exec_id = (__u32)t->self_exec_id;
	ts.exec_ns = t->se.sum_exec_runtime;
	ts.kstack_id = WP_STACKID_NONE;
	ts.ustack_id = WP_STACKID_NONE;
	ts.waker_kstack_id = WP_STACKID_NONE;
	ts.waker_ustack_id = WP_STACKID_NONE;
	if (running) {
		ts.state = WP_TS_ON;
		ts.in_ns = wp_t0;
	} else {
		ts.state = WP_TS_OFF;
		ts.out_ns = wp_t0;
		ts.reason = WP_OFF_UNKNOWN;
		ts.cpu = bpf_get_smp_processor_id();
	}
	old = bpf_map_lookup_elem(&threads, &tid);
	if (old && old->state == WP_TS_DEAD)
		scount(WP_SC_LOST_ACCOUNTING); /* tid reused before wp-record read it */
	if (bpf_map_update_elem(&threads, &tid, &ts, BPF_ANY)) {
		scount(WP_SC_LOST_THREAD);
		return NULL;
	}
	send_task(WP_TASK_SEEN, now, t, NULL);
	return bpf_map_lookup_elem(&threads, &tid);
}

/* The state of a recorded thread, NULL for one that is not recorded. */
static __always_inline struct wp_thread_state *thread_of(struct task_struct *t, __u32 tid)
{
	struct wp_thread_state *ts = bpf_map_lookup_elem(&threads, &tid);

	if (ts && ts->pid == t->tgid && ts->state != WP_TS_DEAD)
		return ts;
	return NULL;
}

/* ---- intervals ------------------------------------------------------------ */

static __always_inline int agg_add(const struct wp_thread_state *ts, __u32 tid,
				   __u32 flags, __s32 kid, __s32 uid, __u64 dur, __u64 runq)
{
	struct wp_agg_val *v, nv;
	struct wp_agg_key k;
	__u32 zero = 0;
	void *inner;
	long err;

	if (wp_no_agg)
		return -1;
	__builtin_memset(&k, 0, sizeof(k));
	k.pid = ts->pid;
	k.tid = tid;
	k.kstack_id = kid;
	k.ustack_id = uid;
	k.reason = ts->reason;
	k.flags = flags;
	k.waker_pid = ts->waker_pid;
	k.waker_tid = ts->waker_tid;
	k.waker_kstack_id = ts->waker_kstack_id;
	k.waker_ustack_id = ts->waker_ustack_id;
	k.exec_id = ts->exec_id;
	inner = bpf_map_lookup_elem(&agg_slot, &zero);
	if (!inner)
		return -1;
	v = bpf_map_lookup_elem(inner, &k);
	if (!v) {
		nv.count = 1;
		nv.total_ns = dur;
		nv.runq_ns = runq;
		err = bpf_map_update_elem(inner, &k, &nv, BPF_NOEXIST);
		if (!err)
			return 0;
		if (err != -EEXIST)
			return -1; /* full */
		v = bpf_map_lookup_elem(inner, &k);
		if (!v)
			return -1;
	}
	__sync_fetch_and_add(&v->count, 1);
	__sync_fetch_and_add(&v->total_ns, dur);
	__sync_fetch_and_add(&v->runq_ns, runq);
	return 0;
}

static __always_inline void fill_event(struct wp_offcpu_event *e,
				       const struct wp_thread_state *ts, __u32 tid,
				       __u64 dur, __u64 runq)
{
	e->type = WP_EV_OFFCPU;
	e->reason = ts->reason;
	e->start_ns = ts->out_ns;
	e->duration_ns = dur;
	e->runq_ns = runq;
	e->pid = ts->pid;
	e->tid = tid;
	e->cpu = ts->cpu;
	e->flags = ts->flags & WP_OF_EVENT_MASK;
	e->kstack_id = ts->kstack_id;
	e->ustack_id = ts->ustack_id;
	e->waker_pid = ts->waker_pid;
	e->waker_tid = ts->waker_tid;
	e->waker_kstack_id = ts->waker_kstack_id;
	e->waker_ustack_id = ts->waker_ustack_id;
	e->nkernel = 0;
	e->nuser = 0;
	e->exec_id = ts->exec_id;
}

/*
 * An interval with inline frames: kernel frames from the spill map (a
 * thread asleep since before the start) or from the sleeping thread itself
 * (next, not running yet: its kernel stack is the one it switched out
 * with), user frames from the spill map. 0 sent, -1 not.
 */
static __always_inline void want_dump(struct wp_offcpu_event *e, const struct wp_thread_state *ts,
				      struct task_struct *t, __u32 tid, __u64 now);

static __always_inline int send_inline(struct wp_thread_state *ts, struct task_struct *next,
				       __u32 tid, __u64 dur, __u64 runq, bool kframes, bool dump)
{
	struct wp_spill *sp = NULL;
	struct wp_offcpu_inline *b;
	__u32 zero = 0, nk = 0, nu = 0;
	__u64 size;
	long n;

	b = bpf_map_lookup_elem(&scratch, &zero);
	if (!b)
		return -1;
	fill_event(&b->e, ts, tid, dur, runq);
	if (ts->flags & (WP_TSF_KSPILL | WP_TSF_USPILL))
		sp = bpf_map_lookup_elem(&spill, &tid);
	if (ts->flags & WP_TSF_KSPILL) {
		if (sp) {
			nk = sp->nkernel;
			if (nk > WP_MAX_FRAMES)
				nk = WP_MAX_FRAMES;
			if (bpf_probe_read_kernel(b->frames, nk * sizeof(__u64), sp->kernel))
				nk = 0;
		}
	} else if (kframes) {
		n = bpf_get_task_stack(next, b->frames, WP_MAX_FRAMES * sizeof(__u64), 0);
		scount(WP_SC_KSTACK_FROZEN);
		if (n > 0)
			nk = n / sizeof(__u64);
	}
	if (nk > WP_MAX_FRAMES)
		nk = WP_MAX_FRAMES;
	if (nk) {
		b->e.kstack_id = WP_STACKID_INLINE;
		b->e.flags &= ~(WP_OF_KERNEL_MISSING | WP_OF_KERNEL_NOT_WALKED);
	} else if (kframes || (ts->flags & WP_TSF_KSPILL)) {
		b->e.flags = (b->e.flags & ~WP_OF_KERNEL_NOT_WALKED) | WP_OF_KERNEL_MISSING;
		scount(WP_SC_LOST_STACK);
	}
	if (ts->flags & WP_TSF_USPILL) {
		if (sp) {
			nu = sp->nuser;
			if (nu > WP_MAX_FRAMES)
				nu = WP_MAX_FRAMES;
			if (bpf_probe_read_kernel(&b->frames[nk], nu * sizeof(__u64), sp->user))
				nu = 0;
		}
		if (nu) {
			b->e.ustack_id = WP_STACKID_INLINE;
			b->e.flags &= ~WP_OF_USER_MISSING;
		} else {
			b->e.flags |= WP_OF_USER_MISSING;
			scount(WP_SC_LOST_STACK);
		}
	}
	if (sp)
		bpf_map_delete_elem(&spill, &tid);
	if (dump)
		want_dump(&b->e, ts, next, tid, ts->out_ns + dur);
	b->e.nkernel = nk;
	b->e.nuser = nu;
	size = sizeof(b->e) + (__u64)(nk + nu) * sizeof(__u64);
	if (size > sizeof(*b))
		size = sizeof(*b);
	if (bpf_ringbuf_output(&events, b, size, BPF_RB_NO_WAKEUP))
		return -1;
	return 0;
}

/*
 * --call-graph dwarf: an interval sent individually gets the user stack
 * the thread blocked with, copied when it leaves that system call
 * (wp.bpf.c's wp_sys_exit): its user registers, saved at the kernel entry,
 * say where. Not for a preempted thread (no system call to leave) nor one
 * without user space.
 */
/* Within this CPU's --off-cpu-dwarf-rate: take a token. */
static __always_inline bool dump_allowed(__u64 now)
{
	__u32 zero = 0;
	__u64 *next;

	if (!wp_dump_gap_ns)
		return false;
	next = bpf_map_lookup_elem(&dump_budget, &zero);
	if (!next || *next > now + wp_dump_burst_ns)
		return false;
	*next = (*next > now ? *next : now) + wp_dump_gap_ns;
	return true;
}

static __always_inline void want_dump(struct wp_offcpu_event *e, const struct wp_thread_state *ts,
				      struct task_struct *t, __u32 tid, __u64 now)
{
	struct pt_regs *regs;
	struct wp_dump_want w;

	if (ts->reason == WP_OFF_PREEMPTED || ts->reason == WP_OFF_UNKNOWN ||
	    (ts->flags & WP_OF_NO_USER))
		return;
#if defined(__TARGET_ARCH_x86)
	regs = (struct pt_regs *)bpf_task_pt_regs(t);
	if (!regs || (regs->cs & 3) != 3)
		return;
	w.start_ns = ts->out_ns;
	w.sp = regs->sp;
	w.ip = regs->ip;
	if (!dump_allowed(now)) {
		scount(WP_SC_DUMP_RATE_LIMITED); /* its frame-pointer stack stays */
		return;
	}
#else
	return; /* dumps are x86_64's (wp.bpf.c) */
#endif
	if (!bpf_map_update_elem(&dump_want, &tid, &w, BPF_ANY))
		e->flags |= WP_OF_DUMP_PENDING;
}

/* The short-wait time to the next sampled kernel walk. */
static __always_inline __u64 sample_gap(void)
{
	__u64 g = wp_kstack_sample_ns / 2 +
		  (wp_kstack_sample_ns >> 10) * (bpf_get_prandom_u32() & 1023);

	return g ? g : 1;
}

/*
 * A thread's off-CPU interval ends at now: send it, or aggregate it.
 * asleep: t has not run since (its kernel stack is the one it switched out
 * with); false when the switch-in was not seen and t is running.
 */
static __always_inline void end_interval(struct wp_thread_state *ts, struct task_struct *next,
					 __u32 tid, __u64 now, bool asleep)
{
	__u64 dur = now > ts->out_ns ? now - ts->out_ns : 0, runq = 0;
	bool long_one = dur >= wp_min_block_ns;
	bool unwalked = ts->flags & WP_OF_KERNEL_NOT_WALKED;
	bool sampled = false, kframes;
	struct wp_offcpu_event *e;

	/* Short waits: a kernel walk at marks wp_kstack_sample_ns apart on
	 * average along the thread's short-wait time, of the wait the mark
	 * falls in (so a wait's chance of a walk is in proportion to its
	 * length). The distance to the next mark is random, uniform in
	 * [1/2, 3/2) of the period: fixed ones could fall in step with a
	 * periodic workload and walk the same kind of wait every time. The
	 * next gap starts at the mark, inside the walked wait; a wait that
	 * spans two marks is walked once. */
	if (unwalked && !long_one && asleep && wp_kstack_sample_ns) {
		if (!ts->kwalk_left_ns)
			ts->kwalk_left_ns = sample_gap();
		if (dur >= ts->kwalk_left_ns) {
			__u64 over = dur - ts->kwalk_left_ns, g = sample_gap();

			ts->kwalk_left_ns = g > over ? g - over : g;
			sampled = true;
		} else {
			ts->kwalk_left_ns -= dur;
		}
	}
	kframes = (ts->flags & WP_TSF_KFROZEN) || sampled ||
		  (unwalked && long_one && ts->reason != WP_OFF_UNKNOWN);
	if (!asleep && kframes) {
		/* too late for the stack it switched out with */
		kframes = false;
		ts->flags = (ts->flags & ~(WP_TSF_KFROZEN | WP_OF_KERNEL_NOT_WALKED)) |
			    WP_OF_KERNEL_MISSING;
		scount(WP_SC_LOST_STACK);
	}

	if (ts->reason == WP_OFF_PREEMPTED)
		runq = dur;
	else if (ts->wake_ns)
		runq = now > ts->wake_ns ? now - ts->wake_ns : 0;
	if (runq > dur)
		runq = dur;

	if (kframes || (ts->flags & (WP_TSF_USPILL | WP_TSF_KSPILL))) {
		/* frames that have no stack id: only an individual record has room */
		if (!send_inline(ts, next, tid, dur, runq, kframes, wp_dwarf && long_one && asleep)) {
			if (sampled)
				scount(WP_SC_KSTACK_SAMPLED);
			scount(WP_SC_EVENTS);
			return;
		}
		/* no room: the time still counts, without those frames */
		scount(WP_SC_LOST_STACK);
		if (kframes)
			ts->flags &= ~WP_OF_KERNEL_NOT_WALKED;
		if (!agg_add(ts, tid, (ts->flags & WP_OF_EVENT_MASK) |
			     ((ts->flags & (WP_TSF_KFROZEN | WP_TSF_KSPILL)) || kframes ?
			      WP_OF_KERNEL_MISSING : 0) |
			     ((ts->flags & WP_TSF_USPILL) ? WP_OF_USER_MISSING : 0),
			     ts->kstack_id, ts->ustack_id, dur, runq)) {
			scount(WP_SC_RINGBUF_FULL);
			scount(WP_SC_AGGREGATED);
		} else {
			scount(WP_SC_LOST_INTERVAL);
		}
		if (ts->flags & (WP_TSF_USPILL | WP_TSF_KSPILL))
			bpf_map_delete_elem(&spill, &tid);
		return;
	}
	if (!long_one) {
		if (!agg_add(ts, tid, ts->flags & WP_OF_EVENT_MASK, ts->kstack_id, ts->ustack_id,
			     dur, runq)) {
			scount(WP_SC_AGGREGATED);
			return;
		}
		scount(WP_SC_AGG_FULL);
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		fill_event(e, ts, tid, dur, runq);
		if (wp_dwarf && long_one && asleep)
			want_dump(e, ts, next, tid, now);
		bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
		scount(WP_SC_EVENTS);
		return;
	}
	if (long_one && !agg_add(ts, tid, ts->flags & WP_OF_EVENT_MASK, ts->kstack_id,
				 ts->ustack_id, dur, runq)) {
		scount(WP_SC_RINGBUF_FULL);
		scount(WP_SC_AGGREGATED);
		return;
	}
	scount(WP_SC_LOST_INTERVAL);
}

/* ---- switch --------------------------------------------------------------- */

/* A fresh spill entry for tid (a per-CPU zeroed template: the value is
 * too big for the stack). */
static __always_inline struct wp_spill *spill_get(__u32 tid)
{
	__u32 one = 1;
	struct wp_spill *zero = bpf_map_lookup_elem(&spill_zero, &one);

	if (!zero || bpf_map_update_elem(&spill, &tid, zero, BPF_ANY))
		return NULL;
	return bpf_map_lookup_elem(&spill, &tid);
}

static __always_inline void switch_out(void *ctx, struct wp_thread_state *ts,
				       struct task_struct *prev, __u32 tid, bool preempt,
				       unsigned int prev_state, __u64 now)
{
	__u32 flags = 0, keep;
	long kid, uid;

	__u64 rt = prev->se.sum_exec_runtime;

	if (ts->state == WP_TS_OFF) {
		/* Its switch-in was not traced (it happens: the switch out of
		 * some tasks is not). It has run since, for rt - exec_ns of CPU
		 * time, up to now: the interval ended that long ago. */
		__u64 run = rt > ts->exec_ns ? rt - ts->exec_ns : 0, in;

		in = now > run ? now - run : 0;
		if (in < ts->out_ns)
			in = ts->out_ns;
		end_interval(ts, prev, tid, in, false);
		ts->in_ns = in;
		ts->state = WP_TS_ON;
		scount(WP_SC_IN_UNSEEN);
	}
	if (now > ts->in_ns)
		ts->oncpu_ns += now - ts->in_ns;
	ts->exec_ns = rt;
	ts->switches++;
	if (prev_state & TASK_DEAD) {
		/* its last switch: the final accounting goes with the exit */
		struct wp_task_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

		ts->out_ns = now;
		if (!e) {
			/* wp-record reads it from the map at its next flush */
			ts->state = WP_TS_DEAD;
			scount(WP_SC_EXIT_DEFERRED);
			return;
		}
		__builtin_memset(e, 0, sizeof(*e));
		e->type = WP_EV_TASK;
		e->kind = WP_TASK_EXIT;
		e->time_ns = now;
		e->pid = ts->pid;
		e->tid = tid;
		bpf_probe_read_kernel(e->comm, sizeof(e->comm), prev->comm);
		e->first_ns = ts->first_ns;
		e->oncpu_ns = ts->oncpu_ns;
		e->switches = ts->switches;
		e->exec_id = ts->exec_id;
		bpf_ringbuf_submit(e, 0);
		bpf_map_delete_elem(&threads, &tid);
		return;
	}

	ts->reason = reason_of(preempt, prev_state);
	ts->out_ns = now;
	ts->cpu = bpf_get_smp_processor_id();
	/* Inside execve its user registers stay the old program's (the new
	 * one's entry is set at the very end), though past the point of no
	 * return self_exec_id already counts the new one: its stack is of the
	 * generation it had before. */
	if (!BPF_CORE_READ_BITFIELD(prev, in_execve))
		ts->exec_id = (__u32)prev->self_exec_id;
	/* a wakeup that came while it was still switching out is this
	 * sleep's (wp_waking): keep it; anything else is stale */
	keep = ts->flags & WP_TSF_EARLY;
	if (!keep || ts->reason == WP_OFF_PREEMPTED) {
		ts->wake_ns = 0;
		ts->waker_pid = 0;
		ts->waker_tid = 0;
		ts->waker_kstack_id = WP_STACKID_NONE;
		ts->waker_ustack_id = WP_STACKID_NONE;
		ts->flags = 0;
	} else {
		ts->flags &= WP_OF_WAKER_KERNEL_MISSING | WP_OF_WAKER_USER_MISSING |
			     WP_OF_WAKER_NO_USER;
	}

	kid = WP_STACKID_NONE;
	if (wp_kstacks_all) {
		kid = bpf_get_stackid(ctx, &kstacks, TP_SKIP);
		if (kid < 0) {
			/* no id: taken again from the sleeping thread at switch-in */
			flags |= WP_TSF_KFROZEN;
			kid = WP_STACKID_NONE;
		}
	} else {
		/* taken at switch-in if the interval is long, or sampled */
		flags |= WP_OF_KERNEL_NOT_WALKED;
	}
	if (prev->flags & PF_KTHREAD) {
		flags |= WP_OF_NO_USER;
		uid = WP_STACKID_NONE;
	} else {
		uid = bpf_get_stackid(ctx, &ustacks, BPF_F_USER_STACK);
		if (uid == -EFAULT) {
			flags |= WP_OF_USER_MISSING; /* no user frames (exiting) */
		} else if (uid < 0) {
			/* no id (bucket taken, map full): keep the frames aside */
			struct wp_spill *sp = spill_get(tid);

			if (sp) {
				long n = bpf_get_stack(ctx, sp->user, sizeof(sp->user),
						       BPF_F_USER_STACK);

				if (n > 0) {
					sp->nuser = n / sizeof(__u64);
					flags |= WP_TSF_USPILL;
					scount(WP_SC_USTACK_SPILL);
				} else {
					bpf_map_delete_elem(&spill, &tid);
					flags |= WP_OF_USER_MISSING;
					scount(WP_SC_LOST_STACK);
				}
			} else {
				flags |= WP_OF_USER_MISSING;
				scount(WP_SC_LOST_STACK);
			}
		}
		if (uid < 0)
			uid = WP_STACKID_NONE;
	}
	ts->kstack_id = kid;
	ts->ustack_id = uid;
	ts->flags |= flags;
	ts->state = WP_TS_OFF;
}

static __always_inline void switch_in(struct wp_thread_state *ts, struct task_struct *next,
				      __u32 tid, __u64 now)
{
	__u64 rt = next->se.sum_exec_runtime;

	if (ts->state == WP_TS_ON) {
		/* Its switch-out was not traced: it ran rt - exec_ns more,
		 * then waited for a reason and at a stack unknown. */
		__u64 run = rt > ts->exec_ns ? rt - ts->exec_ns : 0, out = ts->in_ns + run;

		if (out > now)
			out = now;
		if (out > ts->in_ns)
			ts->oncpu_ns += out - ts->in_ns;
		ts->switches++;
		ts->out_ns = out;
		ts->reason = WP_OFF_UNKNOWN;
		ts->cpu = bpf_get_smp_processor_id();
		ts->kstack_id = WP_STACKID_NONE;
		ts->ustack_id = WP_STACKID_NONE;
		ts->waker_pid = 0;
		ts->waker_tid = 0;
		ts->waker_kstack_id = WP_STACKID_NONE;
		ts->waker_ustack_id = WP_STACKID_NONE;
		ts->wake_ns = 0;
		ts->flags = 0;
		ts->state = WP_TS_OFF;
		scount(WP_SC_OUT_UNSEEN);
	}
	end_interval(ts, next, tid, now, true);
	ts->exec_ns = rt;
	ts->state = WP_TS_ON;
	ts->in_ns = now;
	ts->wake_ns = 0;
	ts->flags = 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(wp_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	__u32 ptid = prev->pid, ntid = next->pid;
	struct wp_thread_state *ps = NULL, *ns = NULL;
	__u64 now;

	if (!wp_t0)
		return 0;
	/* Filter first: a lookup per side, stacks only for recorded threads;
	 * a thread not seen yet is recorded if wanted. */
	now = 0;
	if (ptid) {
		ps = thread_of(prev, ptid);
		if (!ps && !(prev_state & TASK_DEAD) && wanted(prev->tgid)) {
			now = bpf_ktime_get_ns();
			ps = new_thread(prev, ptid, true, now);
		}
		if (ps) {
			if (!now)
				now = bpf_ktime_get_ns();
			switch_out(ctx, ps, prev, ptid, preempt, prev_state, now);
			scount(WP_SC_SWITCHES);
		}
	}
	if (ntid) {
		ns = thread_of(next, ntid);
		if (!ns && wanted(next->tgid)) {
			if (!now)
				now = bpf_ktime_get_ns();
			ns = new_thread(next, ntid, false, now);
		}
		if (ns) {
			if (!now)
				now = bpf_ktime_get_ns();
			switch_in(ns, next, ntid, now);
		}
	}
	return 0;
}

/* ---- wakeups ------------------------------------------------------------- */

SEC("tp_btf/sched_waking")
int BPF_PROG(wp_waking, struct task_struct *p)
{
	__u32 tid = p->pid;
	struct wp_thread_state *ts;
	struct task_struct *cur;
	__u64 now, pid_tgid;
	__u32 flags = 0;
	long kid, uid;
	bool early;

	if (!wp_t0)
		return 0;
	ts = bpf_map_lookup_elem(&threads, &tid);
	if (!ts)
		return 0;
	if (ts->state == WP_TS_OFF) {
		early = false;
	} else if (ts->state == WP_TS_ON && !p->on_rq) {
		/* dequeued for a sleep whose switch-out is still under way on
		 * its CPU: this wakeup ends that sleep */
		early = true;
	} else {
		return 0; /* not sleeping after all: no interval */
	}
	now = bpf_ktime_get_ns();
	pid_tgid = bpf_get_current_pid_tgid();
	cur = bpf_get_current_task_btf();
	scount(WP_SC_WAKEUPS);
	ts->wake_ns = now;
	ts->waker_kstack_id = WP_STACKID_NONE;
	ts->waker_ustack_id = WP_STACKID_NONE;
	if ((__u32)pid_tgid == 0 || in_interrupt(cur)) {
		/* a timer or an interrupt: no thread did it */
		ts->waker_pid = 0;
		ts->waker_tid = 0;
	} else {
		ts->waker_pid = pid_tgid >> 32;
		ts->waker_tid = (__u32)pid_tgid;
		/* the waker's stacks, for waits worth a timeline entry */
		if (!early && now - ts->out_ns >= wp_waker_min_ns) {
			kid = bpf_get_stackid(ctx, &kstacks, TP_SKIP);
			if (kid < 0) {
				flags |= WP_OF_WAKER_KERNEL_MISSING;
				scount(WP_SC_LOST_WAKER_STACK);
			} else {
				ts->waker_kstack_id = kid;
			}
			if (cur->flags & PF_KTHREAD) {
				flags |= WP_OF_WAKER_NO_USER;
			} else {
				uid = bpf_get_stackid(ctx, &ustacks, BPF_F_USER_STACK);
				if (uid >= 0) {
					ts->waker_ustack_id = uid;
				} else {
					flags |= WP_OF_WAKER_USER_MISSING;
					if (uid != -EFAULT)
						scount(WP_SC_LOST_WAKER_STACK);
				}
			}
			scount(WP_SC_WAKER_STACKS);
		}
	}
	ts->flags = (ts->flags & ~(WP_OF_WAKER_KERNEL_MISSING | WP_OF_WAKER_USER_MISSING |
				   WP_OF_WAKER_NO_USER)) | flags;
	if (early) {
		ts->flags |= WP_TSF_EARLY;
		scount(WP_SC_EARLY_WAKEUPS);
	}
	return 0;
}

/* ---- lifecycle ------------------------------------------------------------ */

SEC("tp_btf/sched_process_fork")
int BPF_PROG(wp_fork_t, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid, tid = child->pid;
	struct wp_thread_state ts, *old;
	struct wp_task_event *e;
	__u64 now;

	if (!wp_t0)
		return 0;
	/* follow mode: the parent's process is followed (wp.bpf.c's wp_fork
	 * adds a new process to the map, maybe after this runs) */
	if (!wanted(wp_mode == WP_TARGET_FOLLOW ? ptgid : ctgid))
		return 0;
	now = bpf_ktime_get_ns();
	/* runnable from now on, until its first switch-in */
	__builtin_memset(&ts, 0, sizeof(ts));
	ts.first_ns = now;
	ts.out_ns = now;
	ts.state = WP_TS_OFF;
	ts.reason = WP_OFF_PREEMPTED;
	ts.pid = ctgid;
	ts.cpu = bpf_get_smp_processor_id();
	ts.exec_id = (__u32)child->self_exec_id;
	ts.exec_ns = child->se.sum_exec_runtime;
	ts.kstack_id = WP_STACKID_NONE;
	ts.ustack_id = WP_STACKID_NONE;
	ts.waker_kstack_id = WP_STACKID_NONE;
	ts.waker_ustack_id = WP_STACKID_NONE;
	old = bpf_map_lookup_elem(&threads, &tid);
	if (old && old->state == WP_TS_DEAD)
		scount(WP_SC_LOST_ACCOUNTING);
	if (bpf_map_update_elem(&threads, &tid, &ts, BPF_ANY))
		scount(WP_SC_LOST_THREAD);

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		scount(WP_SC_LOST_TASK);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = WP_EV_TASK;
	e->kind = ptgid == ctgid ? WP_TASK_THREAD : WP_TASK_FORK;
	e->time_ns = now;
	e->pid = ctgid;
	e->tid = tid;
	e->parent_pid = ptgid;
	e->parent_tid = parent->pid;
	bpf_probe_read_kernel(e->comm, sizeof(e->comm), child->comm);
	e->first_ns = now;
	e->exec_id = ts.exec_id;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(wp_exec_t, struct task_struct *p, pid_t old_pid)
{
	__u32 tid = p->pid, old = old_pid;
	struct wp_thread_state *ts;

	if (!wp_t0)
		return 0;
	if (old != tid) {
		/* exec from a thread other than the leader: it took over the
		 * leader's tid (de_thread) */
		ts = bpf_map_lookup_elem(&threads, &old);
		if (ts) {
			struct wp_thread_state copy = *ts;

			bpf_map_update_elem(&threads, &tid, &copy, BPF_ANY);
			bpf_map_delete_elem(&threads, &old);
		}
	}
	ts = bpf_map_lookup_elem(&threads, &tid);
	if (!ts)
		return 0;
	ts->exec_id = (__u32)p->self_exec_id;
	/* after wp.bpf.c's exec event (attached first): MMAP_RESET is written
	 * before this generation's first aggregated interval */
	send_task(WP_TASK_EXEC, bpf_ktime_get_ns(), p, ts);
	return 0;
}

SEC("tp_btf/task_rename")
int BPF_PROG(wp_rename, struct task_struct *task, const char *comm)
{
	__u32 tid = task->pid;
	struct wp_thread_state *ts;
	struct wp_task_event *e;

	if (!wp_t0)
		return 0;
	ts = bpf_map_lookup_elem(&threads, &tid);
	if (!ts || ts->state == WP_TS_DEAD)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		scount(WP_SC_LOST_TASK);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = WP_EV_TASK;
	e->kind = WP_TASK_RENAME;
	e->time_ns = bpf_ktime_get_ns();
	e->pid = task->tgid;
	e->tid = tid;
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), comm);
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

/* ---- the threads that exist at the start ---------------------------------- */

SEC("iter/task")
int wp_seed(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;
	struct wp_thread_state ts;
	struct wp_spill *sp;
	__u64 sw;
	__u32 tid;
	long n;

	if (!t || !wp_t0)
		return 0;
	tid = t->pid;
	if (!tid || t->exit_state || !wanted(t->tgid))
		return 0;
	if (bpf_map_lookup_elem(&threads, &tid))
		return 0; /* a switch saw it already */
	__builtin_memset(&ts, 0, sizeof(ts));
	ts.first_ns = wp_t0;
	ts.pid = t->tgid;
	ts.exec_id = (__u32)t->self_exec_id;
	ts.exec_ns = t->se.sum_exec_runtime;
	ts.kstack_id = WP_STACKID_NONE;
	ts.ustack_id = WP_STACKID_NONE;
	ts.waker_kstack_id = WP_STACKID_NONE;
	ts.waker_ustack_id = WP_STACKID_NONE;
	ts.cpu = t->thread_info.cpu;
	if (t->on_cpu) {
		ts.state = WP_TS_ON;
		ts.in_ns = wp_t0;
	} else {
		/* off-CPU since before the start: its kernel stack now is the
		 * one it switched out with, if it does not run meanwhile (the
		 * switch counts tell) */
		ts.state = WP_TS_OFF;
		ts.out_ns = wp_t0;
		ts.reason = WP_OFF_UNKNOWN;
		sw = t->nvcsw + t->nivcsw;
		sp = spill_get(tid);
		if (sp) {
			n = bpf_get_task_stack(t, sp->kernel, sizeof(sp->kernel), 0);
			if (n > 0 && !t->on_cpu && t->nvcsw + t->nivcsw == sw) {
				sp->nkernel = n / sizeof(__u64);
				ts.flags |= WP_TSF_KSPILL;
			} else {
				bpf_map_delete_elem(&spill, &tid);
			}
		}
	}
	/* a switch may have created it meanwhile: that one is right */
	if (bpf_map_update_elem(&threads, &tid, &ts, BPF_NOEXIST)) {
		if (ts.flags & WP_TSF_KSPILL)
			bpf_map_delete_elem(&spill, &tid);
		return 0;
	}
	send_task(WP_TASK_SEEN, wp_t0, t, NULL);
	return 0;
}

/* ---- the intervals still open at the end ------------------------------------ */

/*
 * Run once by wp-record after the other programs are detached, before it
 * reads the threads' state: a thread still off-CPU whose kernel stack was
 * not walked at switch-out (--off-cpu-kernel-stacks long) gets it now from
 * the sleeping thread, if it has not run since its switch-out: its CPU
 * time (sum_exec_runtime, which grows whenever it runs) is the one noted
 * then, before and after the walk. The frames go to the spill map, where
 * wp-record finds them (WP_TSF_KSPILL).
 */
SEC("iter/task")
int wp_final(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;
	struct wp_thread_state *ts;
	struct wp_spill *sp;
	bool fresh = false;
	__u32 tid;
	long n;

	if (!t || !wp_t0)
		return 0;
	tid = t->pid;
	ts = bpf_map_lookup_elem(&threads, &tid);
	if (!ts || ts->state != WP_TS_OFF || !(ts->flags & WP_OF_KERNEL_NOT_WALKED) ||
	    (ts->flags & WP_TSF_KSPILL) || ts->reason == WP_OFF_UNKNOWN)
		return 0;
	if (t->on_cpu || t->se.sum_exec_runtime != ts->exec_ns)
		return 0;
	sp = bpf_map_lookup_elem(&spill, &tid); /* its user frames, maybe */
	if (!sp) {
		sp = spill_get(tid);
		fresh = true;
	}
	if (!sp)
		return 0;
	n = bpf_get_task_stack(t, sp->kernel, sizeof(sp->kernel), 0);
	if (n > 0 && !t->on_cpu && t->se.sum_exec_runtime == ts->exec_ns) {
		sp->nkernel = n / sizeof(__u64);
		ts->flags = (ts->flags & ~WP_OF_KERNEL_NOT_WALKED) | WP_TSF_KSPILL;
		scount(WP_SC_KSTACK_FINAL);
	} else if (fresh) {
		bpf_map_delete_elem(&spill, &tid);
	}
	return 0;
}
