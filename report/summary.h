/* SPDX-License-Identifier: MIT */
/*
 * What a profile is about and how complete it is: the header wp-report
 * prints (text or JSON) and the warnings both offline tools give on
 * stderr for a damaged, truncated or unfinished file.
 */
#ifndef WP_REPORT_SUMMARY_H
#define WP_REPORT_SUMMARY_H

#include <stdio.h>

#include "report/json.h"
#include "report/profile.h"

/* Warnings (stderr, via pr_warn/pr_info) about what reading path found. */
void wp_summary__warn(const struct wp_profile *p, const char *path);

/* "# key: value" header lines. */
void wp_summary__text(const struct wp_profile *p, const char *path, FILE *f);

/*
 * The header's facts as members of the JSON object being written
 * (documented in docs/report-json.md).
 */
void wp_summary__json(const struct wp_profile *p, const char *path, struct wp_json *j);

/*
 * Write s for a terminal or a text file: control characters and bytes
 * that are not valid UTF-8 become '?'.
 */
void wp_text_put(FILE *f, const char *s);
/* Its display width (code points), as wp_text_put writes it. */
size_t wp_text_width(const char *s);

#endif
