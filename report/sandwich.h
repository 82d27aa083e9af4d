/* SPDX-License-Identifier: MIT */
/*
 * A function's sandwich (speedscope's Sandwich view): who calls it and
 * what it calls, merged over every place it is called from.
 *
 * For each selected event whose stack holds the function (every frame
 * with that name, whatever its module), the function's OUTERMOST
 * occurrence splits the stack in two:
 *   callers: the frames from its caller out to the root, as a tree rooted
 *            at the function (its children are the direct callers);
 *   callees: the frames from its callee in to the leaf (an off-CPU
 *            event's leaf is its "[off-cpu:REASON]" frame), as a tree
 *            rooted at the function.
 * So each event counts once in each tree (recursion shows as the
 * function among its own callees) and both roots' totals are the
 * function's total. A node's self: events whose path ends there (callees:
 * the leaf; callers: the outermost frame); the roots' self is the
 * function's own (events whose leaf it is). Values are in the unit asked
 * (wp_group__value()); shares are of all selected events.
 */
#ifndef WP_REPORT_SANDWICH_H
#define WP_REPORT_SANDWICH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report/filter.h"
#include "report/folded.h"
#include "report/json.h"
#include "report/profile.h"

#define WP_SW_NONE UINT32_MAX

struct wp_sw_node {
	uint32_t frame;   /* wp_profile__frame() id; WP_SW_NONE at the root */
	uint64_t self, total;
	uint32_t child, sibling; /* sorted by total (then name) after compute */
};

struct wp_sw_tree {
	struct wp_sw_node *nodes; /* [0] is the root: the function itself */
	size_t n, cap;
	struct wp_map index;      /* parent << 32 | frame -> node */
};

struct wp_sandwich {
	const char *name;   /* the function asked for */
	size_t nframes;     /* frames with that name */
	uint64_t weight;    /* all selected events' total (the shares' base) */
	uint64_t self, total;
	struct wp_sw_tree callers, callees;
};

struct wp_sandwich_opts {
	const struct wp_filter *filter; /* NULL: everything */
	uint32_t kinds;                 /* bit per enum wp_event_kind; 0: all */
	enum wp_unit unit;
};

/* On a resolved profile. 0 or -ENOMEM; release with wp_sandwich__release(). */
int wp_sandwich__compute(const struct wp_profile *p, const char *func,
			 const struct wp_sandwich_opts *o, struct wp_sandwich *out);
void wp_sandwich__release(struct wp_sandwich *s);

/*
 * Text: the function's self and total, then the callers and callees trees,
 * children by total, at most limit children per node (0: all), nodes under
 * 0.01% left out. unit_name labels the values.
 */
void wp_sandwich__text(const struct wp_profile *p, const struct wp_sandwich *s,
		       uint64_t limit, const char *unit_name, FILE *f);
/* The "sandwich" member of a JSON object (docs/report-json.md). */
void wp_sandwich__json(const struct wp_profile *p, const struct wp_sandwich *s,
		       uint64_t limit, struct wp_json *j);

/* Up to n frame names containing s (for "did you mean"), distinct. */
size_t wp_sandwich__suggest(const struct wp_profile *p, const char *s, const char **out,
			    size_t n);

#endif
