/* SPDX-License-Identifier: MIT */
/*
 * wp-report --annotate FUNC: a function's machine code (disassembled with
 * capstone) with each instruction's share of the samples taken there,
 * like perf annotate, and the source lines (DWARF) the instructions come
 * from, inlined functions included.
 *
 * FUNC is a symbol name, raw or demangled ("ns::f" also matches
 * "ns::f(int)"). When no function of that name has samples but FUNC was
 * inlined somewhere, the functions it was inlined into are annotated.
 * Samples are on-CPU samples taken in user mode (their leaf IP); the
 * report's filters apply. The code is read from the recorded binary on
 * this machine, only when its build-id is the recorded one; the names a
 * recording stores carry no code, so a missing or different binary is an
 * error that says which file and build-id is needed.
 *
 * Part of wp-report (it links capstone), not of the analysis library.
 */
#ifndef WP_REPORT_ANNOTATE_H
#define WP_REPORT_ANNOTATE_H

#include <stdbool.h>
#include <stdio.h>

#include "report/filter.h"
#include "report/profile.h"

struct wp_annotate_opts {
	const char *func;
	const struct wp_filter *filter; /* NULL: everything */
	bool json;                      /* docs/report-json.md, "annotate" */
};

/*
 * On a resolved profile. 0 annotated; 1 nothing to annotate (an error
 * message was printed: no such function, binary missing or mismatched);
 * -ENOMEM; -EIO (writing out failed).
 */
int wp_annotate(struct wp_profile *p, const struct wp_annotate_opts *o, FILE *out);

#endif
