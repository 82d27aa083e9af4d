/* SPDX-License-Identifier: MIT */
/*
 * A flame graph: a tree of frame names built from weighted stacks, and
 * its rendering as a self-contained interactive SVG (wp-convert -f svg,
 * wp-diff -f svg).
 *
 *   struct wp_flame *f = wp_flame__new();
 *   wp_flame__intern(f, "main", 4, 0, &id);   ...names once
 *   wp_flame__add(f, path, n, value, 0, false); ...stacks, root first
 *   wp_flame__write_svg(f, &opts, out);
 *   wp_flame__free(f);
 *
 * The SVG is safe for any name: names only ever reach the document as
 * XML text (escaped: & < > " ', control characters and invalid UTF-8
 * replaced by '?'); the script is a constant block that reads names back
 * from the DOM as text and writes them as text, never as markup or code.
 * Memory is proportional to the distinct paths (tree nodes), not to the
 * events added.
 */
#ifndef WP_CONVERT_FLAME_H
#define WP_CONVERT_FLAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Name flags: how a frame is coloured. */
#define WP_FLAME_KERNEL (1u << 0) /* kernel code: its own hue */
#define WP_FLAME_OFFCPU (1u << 1) /* the off-CPU pseudo frame "[off-cpu:REASON]" */
#define WP_FLAME_PSEUDO (1u << 2) /* not code: "[no stack]", "[unknown]"... */
#define WP_FLAME_THREAD (1u << 3) /* a thread-name level */

struct wp_flame;

struct wp_flame *wp_flame__new(void); /* NULL: out of memory */
void wp_flame__free(struct wp_flame *f);

/* The id of a (name, flags) pair, made if new. 0 or -ENOMEM. */
int wp_flame__intern(struct wp_flame *f, const char *name, size_t len, uint32_t flags,
		     uint32_t *id);

/*
 * Add a stack (name ids, root first): value to every node on the path and
 * to the last one's self; before likewise (the baseline of a differential
 * graph, 0 otherwise); offcpu: the value is off-CPU time (colours a frame
 * cool when most of its time is off-CPU). 0 or -ENOMEM.
 */
int wp_flame__add(struct wp_flame *f, const uint32_t *path, size_t n, uint64_t value,
		  double before, bool offcpu);

/* Sum of the values and of the baselines added. */
uint64_t wp_flame__total(const struct wp_flame *f);

struct wp_flame_svg {
	const char *title;     /* NULL: "Flame Graph" / "Icicle Graph" */
	const char *subtitle;  /* NULL: none */
	const char *unit;      /* "samples" or "ns" (shown as time) */
	unsigned int width;    /* pixels; 0: 1200 */
	double min_width;      /* pixels; frames narrower are left out; <0: 0.1 */
	bool inverted;         /* icicle: the root on top */
	/*
	 * Differential: widths are the values, colours each frame's change
	 * in self share from the baseline (red grew, blue shrank), shares
	 * normalised by each side's total.
	 */
	bool diff;
};

/* 0, -ENOMEM, or -EIO if writing failed. */
int wp_flame__write_svg(const struct wp_flame *f, const struct wp_flame_svg *o, FILE *out);

/*
 * Write s as XML character data or attribute value: '&', '<', '>', '"',
 * '\'' as entities; control characters, U+FFFE/U+FFFF and bytes that are
 * not valid UTF-8 as '?'. At most max_cps code points (0: all); a cut
 * name ends in "..".
 */
void wp_xml_put(FILE *out, const char *s, size_t len, size_t max_cps);

#endif
