/* SPDX-License-Identifier: MIT */
/*
 * Inline chains and source lines from DWARF. See dwarf.h.
 *
 * Per compilation unit, read lazily:
 *   nodes:  one per subprogram with code and per inlined subroutine, with
 *           its parent node, name and (inlined) call site;
 *   ranges: every address range of every node, sorted by start, deeper
 *           nodes after shallower ones at equal starts.
 * The innermost node containing an address: the last range starting at
 * or before it, then up its parents to the first node that contains the
 * address. With properly nested scopes that is the innermost one: any
 * range starting between the innermost scope's start and the address
 * belongs to a scope nested inside it.
 *
 * The line table is copied out of libdw's into two dense arrays (the
 * addresses, then file and line), so that a binary search touches few
 * cache lines: libdw's rows are ~50 bytes each. Node names are read from
 * DWARF the first time a lookup returns them (dwarf_attr_integrate follows
 * abstract origins: most nodes are never asked for).
 */
#include "report/dwarf.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/openfile.h"
#include "report/util.h"

#define NO_NODE UINT32_MAX
#define WALK_MAX 256     /* parents visited per lookup */
#define DEPTH_MAX 512    /* DIE nesting followed */

struct node {
	uint32_t parent;     /* NO_NODE: a root (a subprogram) */
	uint32_t r_off, r_n; /* its ranges in cu->own */
	const char *name;    /* when named */
	Dwarf_Off die;       /* to name it */
	uint32_t call_file, call_line; /* inlined: where it was called */
	bool inlined, named;
};

/* A line-table row; end of a sequence: file NULL and line 0. */
struct row {
	const char *file;
	uint32_t line;
};

struct range {
	uint64_t lo, hi;
	uint32_t node, depth;
};

struct span {
	uint64_t lo, hi;
};

struct cu {
	Dwarf_Die die;
	bool loaded, failed;
	struct node *nodes;
	size_t nnodes, nodes_cap;
	struct range *ranges;
	size_t nranges, ranges_cap;
	struct span *own;     /* each node's ranges, contiguous */
	size_t nown, own_cap;
	Dwarf_Files *files;
	size_t nfiles;
	int version;
	uint64_t *row_addr; /* sorted, as libdw's table */
	struct row *rows;
	size_t nrows;
};

struct cu_range {
	uint64_t lo, hi;
	uint32_t cu;
};

struct wp_dwarf {
	int fd, alt_fd;
	Elf *elf, *alt_elf;
	Dwarf *dw, *alt;
	struct cu *cus;
	size_t ncus, cus_cap;
	struct cu_range *cu_ranges;
	size_t ncu_ranges, cu_ranges_cap;
	size_t units_read;
	struct wp_map cu_by_off; /* CU DIE offset -> index, for the aranges fallback */
};

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	return x->node < y->node ? -1 : x->node > y->node;
}

static int cu_range_cmp(const void *a, const void *b)
{
	const struct cu_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->cu < y->cu ? -1 : x->cu > y->cu;
}

/* ---- opening --------------------------------------------------------- */

/* dwz: the .gnu_debugaltlink file, found by its build-id under symfs. */
static void set_alt(struct wp_dwarf *d, const char *symfs)
{
	const char *name;
	const void *bid;
	char hex[2 * 64 + 1], path[4096];
	ssize_t n;
	Dwarf *alt;
	ssize_t i;
	static const char digits[] = "0123456789abcdef";

	n = dwelf_dwarf_gnu_debugaltlink(d->dw, &name, &bid);
	if (n <= 1 || n > 64)
		return;
	for (i = 0; i < n; i++) {
		hex[2 * i] = digits[((const uint8_t *)bid)[i] >> 4];
		hex[2 * i + 1] = digits[((const uint8_t *)bid)[i] & 15];
	}
	hex[2 * n] = '\0';
	if (snprintf(path, sizeof(path), "%s/usr/lib/debug/.build-id/%.2s/%s.debug",
		     symfs ? symfs : "", hex, hex + 2) >= (int)sizeof(path))
		return;
	d->alt_fd = wp_open_regular(path);
	if (d->alt_fd < 0 && name && name[0] == '/' &&
	    snprintf(path, sizeof(path), "%s%s", symfs ? symfs : "", name) < (int)sizeof(path))
		d->alt_fd = wp_open_regular(path);
	if (d->alt_fd < 0)
		return;
	d->alt_elf = elf_begin(d->alt_fd, ELF_C_READ_MMAP, NULL);
	alt = d->alt_elf ? dwarf_begin_elf(d->alt_elf, DWARF_C_READ, NULL) : NULL;
	if (!alt) {
		pr_debug("cannot read the dwz file %s", path);
		return;
	}
	d->alt = alt;
	dwarf_setalt(d->dw, alt);
}

static int add_cu_ranges(struct wp_dwarf *d, Dwarf_Die *die, uint32_t idx)
{
	Dwarf_Addr base, lo, hi;
	ptrdiff_t off = 0;

	while ((off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0) {
		if (hi <= lo)
			continue;
		if (WP_GROW(d->cu_ranges, d->cu_ranges_cap, d->ncu_ranges + 1))
			return -ENOMEM;
		d->cu_ranges[d->ncu_ranges++] = (struct cu_range){ lo, hi, idx };
	}
	return 0;
}

static int list_units(struct wp_dwarf *d)
{
	Dwarf_CU *cu = NULL, *next;
	Dwarf_Half version;
	uint8_t unit_type;
	Dwarf_Die cudie, subdie;

	while (dwarf_get_units(d->dw, cu, &next, &version, &unit_type, &cudie, &subdie) == 0) {
		cu = next;
		if (unit_type != DW_UT_compile || dwarf_tag(&cudie) != DW_TAG_compile_unit)
			continue; /* type, partial and skeleton units carry no code we read */
		if (d->ncus >= UINT32_MAX - 1 || WP_GROW(d->cus, d->cus_cap, d->ncus + 1))
			return -ENOMEM;
		memset(&d->cus[d->ncus], 0, sizeof(d->cus[0]));
		d->cus[d->ncus].die = cudie;
		d->cus[d->ncus].version = version;
		if (add_cu_ranges(d, &cudie, (uint32_t)d->ncus) ||
		    wp_map__put(&d->cu_by_off, dwarf_dieoffset(&cudie), d->ncus))
			return -ENOMEM;
		d->ncus++;
	}
	if (d->ncu_ranges > 1)
		qsort(d->cu_ranges, d->ncu_ranges, sizeof(*d->cu_ranges), cu_range_cmp);
	return 0;
}

struct wp_dwarf *wp_dwarf__open(int fd, const char *symfs)
{
	struct wp_dwarf *d = calloc(1, sizeof(*d));

	if (!d) {
		close(fd);
		return NULL;
	}
	d->fd = fd;
	d->alt_fd = -1;
	d->elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!d->elf || elf_kind(d->elf) != ELF_K_ELF)
		goto fail;
	d->dw = dwarf_begin_elf(d->elf, DWARF_C_READ, NULL);
	if (!d->dw)
		goto fail;
	set_alt(d, symfs);
	if (list_units(d))
		goto fail;
	return d;
fail:
	wp_dwarf__free(d);
	return NULL;
}

void wp_dwarf__free(struct wp_dwarf *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->ncus; i++) {
		free(d->cus[i].nodes);
		free(d->cus[i].ranges);
		free(d->cus[i].own);
		free(d->cus[i].row_addr);
		free(d->cus[i].rows);
	}
	free(d->cus);
	free(d->cu_ranges);
	wp_map__release(&d->cu_by_off);
	if (d->dw)
		dwarf_end(d->dw);
	if (d->alt)
		dwarf_end(d->alt);
	if (d->alt_elf)
		elf_end(d->alt_elf);
	if (d->alt_fd >= 0)
		close(d->alt_fd);
	if (d->elf)
		elf_end(d->elf);
	if (d->fd >= 0)
		close(d->fd);
	free(d);
}

void wp_dwarf__stats(const struct wp_dwarf *d, size_t *units, size_t *units_read)
{
	*units = d ? d->ncus : 0;
	*units_read = d ? d->units_read : 0;
}

/* ---- reading a unit ---------------------------------------------------- */

static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	const char *s = NULL;

	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &a) ||
	    dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a))
		s = dwarf_formstring(&a);
	if (!s && dwarf_attr_integrate(die, DW_AT_name, &a))
		s = dwarf_formstring(&a);
	return s;
}

static uint32_t attr_u32(Dwarf_Die *die, unsigned int name)
{
	Dwarf_Attribute a;
	Dwarf_Word w;

	if (!dwarf_attr(die, name, &a) || dwarf_formudata(&a, &w) || w > UINT32_MAX)
		return 0;
	return (uint32_t)w;
}

/* A node for die with its ranges; NO_NODE in *id when it has no code. */
static int add_node(struct cu *c, Dwarf_Die *die, uint32_t parent, uint32_t depth,
		    bool inlined, uint32_t *id)
{
	Dwarf_Addr base, lo, hi;
	ptrdiff_t off = 0;
	struct node *n;
	size_t first = c->nown;

	*id = NO_NODE;
	while ((off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0) {
		if (hi <= lo)
			continue;
		if (WP_GROW(c->own, c->own_cap, c->nown + 1))
			return -ENOMEM;
		c->own[c->nown++] = (struct span){ lo, hi };
	}
	if (c->nown == first || c->nnodes >= UINT32_MAX - 1)
		return 0;
	if (WP_GROW(c->nodes, c->nodes_cap, c->nnodes + 1) ||
	    WP_GROW(c->ranges, c->ranges_cap, c->nranges + (c->nown - first)))
		return -ENOMEM;
	n = &c->nodes[c->nnodes];
	n->parent = parent;
	n->r_off = (uint32_t)first;
	n->r_n = (uint32_t)(c->nown - first);
	n->name = NULL;
	n->named = false;
	n->die = dwarf_dieoffset(die);
	n->inlined = inlined;
	n->call_file = inlined ? attr_u32(die, DW_AT_call_file) : 0;
	n->call_line = inlined ? attr_u32(die, DW_AT_call_line) : 0;
	for (; first < c->nown; first++)
		c->ranges[c->nranges++] = (struct range){ c->own[first].lo, c->own[first].hi,
							  (uint32_t)c->nnodes, depth };
	*id = (uint32_t)c->nnodes++;
	return 0;
}

/* Walk the children of die (iteratively would need a stack: the depth is
 * bounded instead). */
static int walk(struct cu *c, Dwarf_Die *parent_die, uint32_t parent, uint32_t depth)
{
	Dwarf_Die child;
	int ret;

	if (depth > DEPTH_MAX || dwarf_child(parent_die, &child) != 0)
		return 0;
	do {
		uint32_t id;

		switch (dwarf_tag(&child)) {
		case DW_TAG_subprogram:
		case DW_TAG_inlined_subroutine:
			ret = add_node(c, &child, parent, depth,
				       dwarf_tag(&child) == DW_TAG_inlined_subroutine, &id);
			if (ret)
				return ret;
			/* an abstract instance or a declaration: no code in it */
			if (id != NO_NODE && (ret = walk(c, &child, id, depth + 1)))
				return ret;
			break;
		case DW_TAG_lexical_block:
		case DW_TAG_try_block:
		case DW_TAG_catch_block:
			if ((ret = walk(c, &child, parent, depth + 1)))
				return ret;
			break;
		case DW_TAG_namespace:    /* Rust and C++ nest functions in these */
		case DW_TAG_module:
		case DW_TAG_class_type:
		case DW_TAG_structure_type:
		case DW_TAG_union_type:
		case DW_TAG_interface_type:
			if (parent == NO_NODE && (ret = walk(c, &child, parent, depth + 1)))
				return ret;
			break;
		default:
			break;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return 0;
}

static int load_lines(struct cu *c)
{
	Dwarf_Lines *lines;
	size_t n, i;

	if (dwarf_getsrclines(&c->die, &lines, &n) != 0 || n == 0)
		return 0;
	c->row_addr = malloc(n * sizeof(*c->row_addr));
	c->rows = malloc(n * sizeof(*c->rows));
	if (!c->row_addr || !c->rows)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		Dwarf_Line *l = dwarf_onesrcline(lines, i);
		Dwarf_Addr a = 0;
		bool end = false;
		int ln = 0;
		const char *f;

		if (!l || dwarf_lineaddr(l, &a))
			continue;
		dwarf_lineendsequence(l, &end);
		if (i && a < c->row_addr[c->nrows - 1])
			continue; /* libdw sorts them: never happens */
		c->row_addr[c->nrows] = a;
		f = end ? NULL : dwarf_linesrc(l, NULL, NULL);
		c->rows[c->nrows].file = f && strcmp(f, "???") != 0 ? f : NULL;
		c->rows[c->nrows].line = !end && dwarf_lineno(l, &ln) == 0 && ln > 0 ? (uint32_t)ln : 0;
		if (end)
			c->rows[c->nrows].file = NULL;
		c->nrows++;
	}
	return 0;
}

static int load_cu(struct wp_dwarf *d, struct cu *c)
{
	int ret;

	c->loaded = true;
	d->units_read++;
	ret = walk(c, &c->die, NO_NODE, 0);
	if (ret)
		return ret;
	if (c->nranges > 1)
		qsort(c->ranges, c->nranges, sizeof(*c->ranges), range_cmp);
	if (dwarf_getsrcfiles(&c->die, &c->files, &c->nfiles) != 0) {
		c->files = NULL;
		c->nfiles = 0;
	}
	return load_lines(c);
}

/* ---- lookups --------------------------------------------------------- */

static struct cu *find_cu(struct wp_dwarf *d, uint64_t addr)
{
	size_t lo = 0, hi = d->ncu_ranges, k;
	Dwarf_Die die;
	uint64_t idx;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->cu_ranges[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (k = 0; k < 4 && lo > 0; k++, lo--)
		if (addr < d->cu_ranges[lo - 1].hi)
			return &d->cus[d->cu_ranges[lo - 1].cu];
	/* units without ranges in their DIE: .debug_aranges */
	if (dwarf_addrdie(d->dw, addr, &die) &&
	    wp_map__get(&d->cu_by_off, dwarf_dieoffset(&die), &idx))
		return &d->cus[idx];
	return NULL;
}

static bool node_has(const struct cu *c, const struct node *n, uint64_t addr)
{
	uint32_t i;

	for (i = 0; i < n->r_n; i++)
		if (addr >= c->own[n->r_off + i].lo && addr < c->own[n->r_off + i].hi)
			return true;
	return false;
}

static uint32_t innermost(const struct cu *c, uint64_t addr)
{
	size_t lo = 0, hi = c->nranges;
	uint32_t id, steps;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->ranges[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NO_NODE;
	if (addr < c->ranges[lo - 1].hi)
		return c->ranges[lo - 1].node;
	for (id = c->ranges[lo - 1].node, steps = 0; id != NO_NODE && steps < WALK_MAX; steps++) {
		if (node_has(c, &c->nodes[id], addr))
			return id;
		id = c->nodes[id].parent;
	}
	return NO_NODE;
}

/* The row for addr: the last at or before it, unless it ends a sequence. */
static const struct row *find_row(const struct cu *c, uint64_t addr)
{
	size_t lo = 0, hi = c->nrows;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->row_addr[mid] <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || (!c->rows[lo - 1].file && !c->rows[lo - 1].line))
		return NULL;
	return &c->rows[lo - 1];
}

static const char *node_name(struct wp_dwarf *d, struct node *n)
{
	Dwarf_Die die;

	if (!n->named) {
		n->named = true;
		n->name = dwarf_offdie(d->dw, n->die, &die) ? die_name(&die) : NULL;
	}
	return n->name;
}

static const char *cu_file(const struct cu *c, uint32_t idx)
{
	const char *s;

	/* DWARF 5 numbers files from 0; before, 0 means none */
	if (!c->files || idx >= c->nfiles || (idx == 0 && c->version < 5))
		return NULL;
	s = dwarf_filesrc(c->files, idx, NULL, NULL);
	return s && strcmp(s, "???") != 0 ? s : NULL;
}

size_t wp_dwarf__lookup(struct wp_dwarf *d, uint64_t vaddr, struct wp_dwarf_frame *out,
			size_t max)
{
	struct cu *c;
	const struct row *row;
	uint32_t id;
	size_t n = 0;

	if (!d || !max)
		return 0;
	c = find_cu(d, vaddr);
	if (!c || c->failed)
		return 0;
	if (!c->loaded && load_cu(d, c)) {
		c->failed = true; /* out of memory: this unit stays unnamed */
		return 0;
	}
	out[0].name = NULL;
	out[0].file = NULL;
	out[0].line = 0;
	row = find_row(c, vaddr);
	if (row) {
		out[0].file = row->file;
		out[0].line = row->line;
	}
	id = innermost(c, vaddr);
	if (id == NO_NODE)
		return row ? 1 : 0;
	out[0].name = node_name(d, &c->nodes[id]);
	n = 1;
	while (c->nodes[id].inlined && c->nodes[id].parent != NO_NODE) {
		const struct node *in = &c->nodes[id];
		size_t k = n < max ? n : max - 1; /* full: keep overwriting the last slot */

		if (max == 1)
			break;
		out[k].file = cu_file(c, in->call_file);
		out[k].line = in->call_line;
		id = in->parent;
		out[k].name = node_name(d, &c->nodes[id]);
		if (n < max)
			n++;
	}
	return n;
}
