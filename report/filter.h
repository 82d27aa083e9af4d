/* SPDX-License-Identifier: MIT */
/*
 * Which events a tool looks at: --pid, --tid, --comm (shared by wp-report
 * and wp-convert). Within one option the values are alternatives (any
 * matches); different options must all match. An empty filter matches
 * everything.
 */
#ifndef WP_REPORT_FILTER_H
#define WP_REPORT_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report/profile.h"

#define WP_FILTER_MAX 1024 /* values per option */

struct wp_filter {
	int pids[WP_FILTER_MAX];
	size_t npids;
	int tids[WP_FILTER_MAX];
	size_t ntids;
	char **comms;
	size_t ncomms, comms_cap;
};

/* zero it, or call this */
void wp_filter__init(struct wp_filter *f);
void wp_filter__release(struct wp_filter *f);

/* Add "PID[,PID...]". 0, -EINVAL (syntax), -E2BIG (too many). */
int wp_filter__add_pids(struct wp_filter *f, const char *list);
int wp_filter__add_tids(struct wp_filter *f, const char *list);
/*
 * Add a thread name. The kernel keeps 15 bytes of a name, so a longer
 * NAME also matches a comm that is its first 15 bytes. 0 or -ENOMEM.
 */
int wp_filter__add_comm(struct wp_filter *f, const char *comm);

bool wp_filter__active(const struct wp_filter *f);
/* The group must have been resolved (for its comm). */
bool wp_filter__match(const struct wp_filter *f, const struct wp_group *g);
/* A thread's row: its pid and tid, and with --comm any name it had. */
bool wp_filter__match_thread(const struct wp_filter *f, const struct wp_profile *p,
			     const struct wp_thread_acct *t);
/* Fields, for other records (wakers: the woken thread at the time). */
bool wp_filter__match_ids(const struct wp_filter *f, uint32_t pid, uint32_t tid,
			  const char *comm);

#endif
