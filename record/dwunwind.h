/* SPDX-License-Identifier: MIT */
/*
 * --call-graph dwarf, unwound by the recorder (docs/unwinding.md): each
 * user stack dump is unwound when it arrives, while the binaries it goes
 * through are still there, with the analysis library's unwinder
 * (report/unwind.c) and the files record/symcap.c keeps open since each
 * mapping appeared (the very inodes mapped). The recording then holds
 * ordinary STACK records: reading it needs neither the binaries nor their
 * CFI. Nothing is kept per sample: memory is bounded by the binaries and
 * address spaces (an LRU of Dwfls), as in the reader.
 */
#ifndef WP_RECORD_DWUNWIND_H
#define WP_RECORD_DWUNWIND_H

#include <stddef.h>
#include <stdint.h>

#include "format/wpd.h"
#include "record/procmaps.h"
#include "report/unwind.h"

struct wp_symcap;
struct wp_dwunwind;

struct wp_dwunwind_stats {
	uint64_t stacks;                      /* dumps unwound */
	uint64_t reasons[WP_UNWIND_NREASONS]; /* by how they ended */
	uint64_t frames;                      /* user frames found */
	uint64_t ns;                          /* CPU time spent unwinding */
};

/* Binaries are taken from c's open files first (c may be NULL). NULL on -ENOMEM. */
struct wp_dwunwind *wp_dwunwind__new(struct wp_symcap *c);
void wp_dwunwind__free(struct wp_dwunwind *u); /* u may be NULL */

/*
 * Unwind dump d of process pid in its exec generation gen, whose
 * executable mappings are maps; maps_seq changes whenever maps gains a
 * mapping (they are then told to the address space again). pcs as
 * wp_uspace__unwind(). Returns the reason it stopped, or -ENOMEM.
 */
int wp_dwunwind__run(struct wp_dwunwind *u, uint32_t pid, uint64_t gen,
		     const struct wp_map_list *maps, uint64_t maps_seq,
		     const struct wpd_ustack_dump *d, uint64_t *pcs, size_t max, size_t *n);

const struct wp_dwunwind_stats *wp_dwunwind__stats(const struct wp_dwunwind *u);

#endif
