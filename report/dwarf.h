/* SPDX-License-Identifier: MIT */
/*
 * Inline chains and source lines from DWARF (libdw), for the symbolizer.
 *
 * One struct wp_dwarf per file holding .debug_info (a binary or its
 * separate debug file). Opening it lists the compilation units and their
 * address ranges (a sorted table); a unit is read the first time an
 * address falls in it: its subprograms and inlined subroutines become a
 * sorted range table with parent links, its line table is libdw's (a
 * binary search). A lookup is then two binary searches and a walk up the
 * inline chain: no libdw scope search per address.
 *
 * Addresses are ELF virtual addresses of the binary (what DWARF uses).
 * Strings returned point into libdw's data and stay valid until
 * wp_dwarf__free().
 */
#ifndef WP_REPORT_DWARF_H
#define WP_REPORT_DWARF_H

#include <stddef.h>
#include <stdint.h>

struct wp_dwarf;

/*
 * Open the DWARF of the ELF file on fd, which the object takes over
 * (closed by wp_dwarf__free(), or at once on failure). symfs: root under
 * which a .gnu_debugaltlink file (dwz) is looked for ("" or NULL: /).
 * NULL when the file has no DWARF, is not ELF, or memory ran out.
 */
struct wp_dwarf *wp_dwarf__open(int fd, const char *symfs);
void wp_dwarf__free(struct wp_dwarf *dw);

struct wp_dwarf_frame {
	const char *name; /* linkage name (mangled) or name; NULL unknown */
	const char *file; /* source file path; NULL unknown */
	uint32_t line;    /* 0 unknown */
};

/*
 * The frames at vaddr, innermost first: the functions inlined there, then
 * the subprogram they were inlined into. out[0]'s file:line is vaddr's
 * source line; out[i]'s (i > 0) is the call site of out[i - 1]. A subprogram
 * frame with no inlining is 1 frame. Returns the number of frames (at most
 * max; deeper chains keep their innermost max - 1 frames and the
 * subprogram), 1 with a NULL name when only the line is known, 0 when
 * DWARF has nothing for vaddr.
 */
size_t wp_dwarf__lookup(struct wp_dwarf *dw, uint64_t vaddr, struct wp_dwarf_frame *out,
			size_t max);

/* Compilation units listed, and read so far (for benchmarks and -vv). */
void wp_dwarf__stats(const struct wp_dwarf *dw, size_t *units, size_t *units_read);

#endif
