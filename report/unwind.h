/* SPDX-License-Identifier: MIT */
/*
 * DWARF unwinding of recorded user stacks (--call-graph dwarf): the user
 * registers and a copy of the top of the stack that wp-record took with a
 * sample (USTACK_DUMP records) become the list of return addresses, with
 * the CFI (.eh_frame, else .debug_frame) of the binaries the process had
 * mapped, through libdwfl. See docs/unwinding.md.
 *
 * Everything a file says is untrusted: registers and stack bytes may be
 * anything. Memory reads are confined to the dump (and to the read-only
 * contents of the mapped binaries), the number of frames is bounded, and
 * every failure is classified rather than fatal.
 *
 * Costs are per distinct thing: a binary is opened (and its build-id
 * checked) once per unwinder; a process address space is one Dwfl with
 * one module per binary, reused by every dump of that address space and
 * kept in a small LRU cache.
 */
#ifndef WP_REPORT_UNWIND_H
#define WP_REPORT_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/wpd.h"

/* Frames per stack the unwinder returns at most (then: WP_UNWIND_DEPTH). */
#define WP_UNWIND_MAX_FRAMES 512

/* How an unwinding ended. Names: wp_unwind_reason__name(). */
enum wp_unwind_reason {
	WP_UNWIND_OK = 0,        /* "ok": reached the outermost frame */
	WP_UNWIND_NO_REGS,       /* "no_regs": no pc or stack pointer */
	WP_UNWIND_NO_MAPPING,    /* "no_mapping": a pc outside every recorded mapping */
	WP_UNWIND_NO_BINARY,     /* "binary_missing": a pc's binary is missing or unreadable */
	WP_UNWIND_MISMATCH,      /* "build_id_mismatch": a pc's binary is not the recorded one */
	WP_UNWIND_NO_CFI,        /* "no_cfi": the binary has no CFI for a pc (and frame
				  * pointers did not help) */
	WP_UNWIND_DUMP_LIMIT,    /* "dump_size": needed stack above the dump, which the
				  * recorder cut at its SIZE: a larger SIZE helps */
	WP_UNWIND_OUTSIDE_DUMP,  /* "outside_dump": needed memory that was not copied */
	WP_UNWIND_DEPTH,         /* "depth_limit": more than WP_UNWIND_MAX_FRAMES frames */
	WP_UNWIND_OTHER,         /* "other": libdw failed otherwise (bad CFI, garbage) */
	WP_UNWIND_FOREIGN_ARCH,  /* "foreign_arch": registers of a machine other than
				  * x86_64, or a file recorded on another architecture
				  * (META arch): refused, not unwound */
	WP_UNWIND_NREASONS,
};

const char *wp_unwind_reason__name(unsigned int reason);

struct wp_unwinder;
struct wp_uspace;

struct wp_unwinder_opts {
	const char *symfs;          /* root to find binaries under; NULL or "" for / */
	/* The recording's kernel (uname -r, -m): "[vdso]" is unwound with this
	 * machine's vDSO when its build-id matches the recorded one or, none
	 * recorded, when this machine runs that kernel. NULL: build-id only. */
	const char *kernel_release, *arch;
	size_t max_spaces;          /* address spaces kept (Dwfl); 0: 32 */
	/* wp-record: a recorded binary's file as the recorder holds it (the
	 * very inode mapped, even if deleted since): a new descriptor, or -1
	 * to look it up by path. Its build-id is checked either way. NULL:
	 * by path only. */
	int (*open_bin)(void *ctx, const char *path, const uint8_t *build_id,
			size_t build_id_len);
	void *open_ctx;
};

/* NULL on -ENOMEM. */
struct wp_unwinder *wp_unwinder__new(const struct wp_unwinder_opts *opts);
void wp_unwinder__free(struct wp_unwinder *u); /* u may be NULL */

/*
 * The address space of process pid in generation gen (its exec time), made
 * on first use. It starts empty: the caller adds the mappings it knows,
 * possibly more later (dlopen). The handle is valid until the next
 * wp_unwinder__space() call, which may evict it; *is_new tells the
 * caller to add every mapping again. NULL on -ENOMEM.
 */
struct wp_uspace *wp_unwinder__space(struct wp_unwinder *u, uint32_t pid, uint64_t gen,
				     bool *is_new);

/* An executable mapping of the address space, as MMAP records give it. */
struct wp_umap {
	uint64_t start, end, pgoff;
	const char *path;           /* as recorded; NUL-terminated */
	const uint8_t *build_id;    /* build_id_len bytes, 0: none recorded */
	size_t build_id_len;
};

/* 0 or -ENOMEM. A mapping that cannot be used (file missing, build-id
 * mismatch, overlap) is kept so that failures name the reason. */
int wp_uspace__add_map(struct wp_uspace *s, const struct wp_umap *m);

/*
 * Unwind one dump in an address space: pcs[0] is the interrupted pc, the
 * following ones are return addresses (leaf first, like STACK records).
 * Returns the reason it stopped (WP_UNWIND_OK: the whole stack) and sets
 * *n, frames found even on failure; -ENOMEM.
 */
int wp_uspace__unwind(struct wp_uspace *s, const struct wpd_ustack_dump *d,
		      uint64_t *pcs, size_t max, size_t *n);

/* Unwinds done and the time they took, for diagnostics. */
void wp_unwinder__counts(const struct wp_unwinder *u, uint64_t *unwinds, uint64_t *ns);

#endif
