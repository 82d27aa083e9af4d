/* SPDX-License-Identifier: MIT */
#include "report/filter.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/parse.h"
#include "format/wpd.h"
#include "report/util.h"

void wp_filter__init(struct wp_filter *f)
{
	memset(f, 0, sizeof(*f));
}

void wp_filter__release(struct wp_filter *f)
{
	size_t i;

	for (i = 0; i < f->ncomms; i++)
		free(f->comms[i]);
	free(f->comms);
	memset(f, 0, sizeof(*f));
}

static int add_ids(int *ids, size_t *n, const char *list)
{
	size_t got;
	int ret;

	ret = wp_parse_pid_list(list, ids + *n, WP_FILTER_MAX - *n, &got);
	if (ret)
		return ret;
	*n += got;
	return 0;
}

int wp_filter__add_pids(struct wp_filter *f, const char *list)
{
	return add_ids(f->pids, &f->npids, list);
}

int wp_filter__add_tids(struct wp_filter *f, const char *list)
{
	return add_ids(f->tids, &f->ntids, list);
}

int wp_filter__add_comm(struct wp_filter *f, const char *comm)
{
	char *c = strdup(comm);

	if (!c || WP_GROW(f->comms, f->comms_cap, f->ncomms + 1)) {
		free(c);
		return -ENOMEM;
	}
	f->comms[f->ncomms++] = c;
	return 0;
}

bool wp_filter__active(const struct wp_filter *f)
{
	return f->npids || f->ntids || f->ncomms;
}

static bool has_id(const int *ids, size_t n, uint32_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((uint32_t)ids[i] == id)
			return true;
	return false;
}

static bool comm_eq(const char *want, const char *comm)
{
	size_t n = strlen(comm);

	if (strcmp(want, comm) == 0)
		return true;
	/* the kernel cut the name at WPD_COMM_LEN - 1 bytes */
	return n == WPD_COMM_LEN - 1 && strlen(want) > n && memcmp(want, comm, n) == 0;
}

bool wp_filter__match_ids(const struct wp_filter *f, uint32_t pid, uint32_t tid,
			  const char *comm)
{
	size_t i;

	if (f->npids && !has_id(f->pids, f->npids, pid))
		return false;
	if (f->ntids && !has_id(f->tids, f->ntids, tid))
		return false;
	if (f->ncomms) {
		for (i = 0; i < f->ncomms; i++)
			if (comm_eq(f->comms[i], comm ? comm : ""))
				return true;
		return false;
	}
	return true;
}

bool wp_filter__match(const struct wp_filter *f, const struct wp_group *g)
{
	return wp_filter__match_ids(f, g->pid, g->tid, g->comm);
}

bool wp_filter__match_thread(const struct wp_filter *f, const struct wp_profile *p,
			     const struct wp_thread_acct *t)
{
	size_t i, n;

	if (!f->ncomms || wp_profile__tid_ncomms(p, t->tid) == 0)
		return wp_filter__match_ids(f, t->pid, t->tid, t->comm);
	n = wp_profile__tid_ncomms(p, t->tid);
	for (i = 0; i < n; i++)
		if (wp_filter__match_ids(f, t->pid, t->tid, wp_profile__tid_comm(p, t->tid, i)))
			return true;
	return false;
}
