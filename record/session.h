/* SPDX-License-Identifier: MIT */
/*
 * The BPF side of a recording: open, configure (rodata, map sizes), load,
 * attach one cpu-clock perf event per online CPU and the process
 * tracepoints, poll the ring buffer, read the counters, detach.
 */
#ifndef WP_RECORD_SESSION_H
#define WP_RECORD_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/wp_bpf.h"

struct wp_session;

struct wp_session_opts {
	enum wp_target_mode mode;
	uint32_t self_tgid;      /* excluded in system mode */
	uint64_t freq;           /* Hz */
	uint64_t ringbuf_bytes;  /* power of two, multiple of the page size */
	bool inline_stacks;      /* never use the stack maps (measurements) */
	uint32_t dump_size;      /* --call-graph dwarf,SIZE: user stack bytes; 0: fp */
	bool offcpu_dumps;       /* dwarf: user stacks of long off-CPU intervals too
				  * (wp_sys_exit; the scheduler programs fill dump_want) */
};

/* Check capabilities and BTF, open and load the BPF object. Errors are
 * reported here (with the reason and what to do), then -errno returned. */
int wp_session__open(const struct wp_session_opts *opts, struct wp_session **out);
/* --call-graph dwarf can be recorded here: x86_64 (the registers' layout)
 * and a kernel with bpf_task_pt_regs() (5.15) */
bool wp_session__dwarf_supported(void);
/* Add a process to the followed set (follow mode, before attaching). */
int wp_session__follow(struct wp_session *s, uint32_t tgid);
/* Attach: tracepoints first (so no child is missed), then the perf events. */
int wp_session__attach(struct wp_session *s);
int wp_session__ncpus(const struct wp_session *s); /* CPUs sampled */
int wp_session__kstacks_fd(const struct wp_session *s);
int wp_session__ustacks_fd(const struct wp_session *s);
/* The ring buffer and the followed set, shared with record/sched.c. */
int wp_session__events_fd(const struct wp_session *s);
int wp_session__followed_fd(const struct wp_session *s);
int wp_session__dump_want_fd(const struct wp_session *s); /* map dump_want */
unsigned int wp_session__max_frames(const struct wp_session *s);

/* Ring buffer: create the consumer, then poll. poll waits at most
 * timeout_ms and always drains what is there (see the note in session.c).
 * Returns records consumed or -errno (a callback's error). */
int wp_session__ringbuf(struct wp_session *s,
			int (*cb)(void *ctx, void *data, size_t size), void *ctx);
int wp_session__poll(struct wp_session *s, int timeout_ms);
/* Drain until empty. */
int wp_session__drain(struct wp_session *s);

/* Name kernel addresses with the kernel's own sprint_symbol() ("%pS":
 * "name+0xoff/0xsize [module]", or "0x..." when unknown), through the
 * wp_ksym_resolve program. ctx is the session. 0, -EOPNOTSUPP (the kernel
 * cannot run it: use /proc/kallsyms), -errno. */
int wp_session__ksym_resolve(void *ctx, const uint64_t *addrs, size_t n,
			     char (*names)[WP_KSYM_LEN]);

/* Sum the per-CPU counters. 0 or -errno. */
int wp_session__counters(struct wp_session *s, struct wp_counters *out);
/* Stop sampling (perf events and tracepoints); maps stay readable. */
void wp_session__detach(struct wp_session *s);
void wp_session__close(struct wp_session *s); /* s may be NULL */

/* Route libbpf's messages through pr_debug (called once). */
void wp_session__setup_libbpf_log(void);

#endif
