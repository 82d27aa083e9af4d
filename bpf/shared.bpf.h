/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * What wp.bpf.c and sched.bpf.c share: the target's settings, the maps that
 * sched.bpf.c takes from wp.bpf.c by fd (record/sched.c reuses them, so
 * the definitions must be the same: one definition here), and the filter.
 * Included once by each program, after vmlinux.h and libbpf's headers.
 */
#ifndef WP_SHARED_BPF_H
#define WP_SHARED_BPF_H

#include "bpf/wp_bpf.h"

/* Set by wp-record between open and load. */
const volatile __u32 wp_mode = WP_TARGET_SYSTEM;
const volatile __u32 wp_self_tgid = 0; /* excluded in system mode */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); /* set by wp-record */
} events SEC(".maps");

/* stack ids mean the same in samples and off-CPU intervals */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, WP_MAX_FRAMES * sizeof(__u64));
	__uint(max_entries, 8192);
} kstacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, WP_MAX_FRAMES * sizeof(__u64));
	__uint(max_entries, 16384);
} ustacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);   /* tgid */
	__type(value, __u8);
	__uint(max_entries, 32768);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* small in practice; fast to create */
} followed SEC(".maps");

/* tid -> the off-CPU interval whose user stack is wanted (struct
 * wp_dump_want): filled by sched.bpf.c, taken by wp.bpf.c's wp_sys_exit.
 * LRU: a thread that never leaves its system call (it exits, it was not
 * in one) does not hold an entry for ever. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __u32);
	__type(value, struct wp_dump_want);
	__uint(max_entries, 16384);
} dump_want SEC(".maps");

/* The task group is recorded: everything but the idle tasks and wp-record
 * itself system-wide, else the followed processes. */
static __always_inline bool wanted(__u32 tgid)
{
	if (wp_mode == WP_TARGET_SYSTEM)
		return tgid != 0 && tgid != wp_self_tgid;
	return bpf_map_lookup_elem(&followed, &tgid) != NULL;
}

#endif
