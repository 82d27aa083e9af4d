/* SPDX-License-Identifier: MIT */
/*
 * The second, time-ordered pass over a .wpd file (see events.h).
 *
 * Each event is matched to the resolved group it was aggregated into at
 * load time: frames depend on (pid, stack, address-space generation),
 * the comm on (tid, comm generation). Two small indexes answer those
 * from the groups, so an event costs two hash look-ups and, only for
 * processes that exec'ed or threads that renamed themselves, two binary
 * searches. If a generation does not match (a THREAD or MMAP_RESET
 * record came after the events it covers, so loading saw an older
 * state), the first generation known for that key is used.
 */
#include "report/events.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/profile_int.h"

/* Chains of groups per key, one entry per distinct generation. */
struct chain_index {
	struct wp_map head; /* key -> group index + 1 */
	uint32_t *next;     /* group index -> next group index + 1 in its chain */
};

struct stream {
	const struct wp_profile *p;
	struct chain_index frames; /* (pid, stack_id) */
	struct chain_index comms;  /* tid */
	wp_event_fn fn;
	void *arg;
};

static void set_err(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* ---- indexes ------------------------------------------------------------- */

static uint64_t group_epoch(const struct wp_group *g, bool frames)
{
	return frames ? g->mm_epoch : g->comm_epoch;
}

static int chain_add(struct chain_index *ci, const struct wp_profile *p, uint64_t key,
		     uint32_t gi, bool frames)
{
	uint64_t head, i;

	if (!wp_map__get(&ci->head, key, &head))
		return wp_map__put(&ci->head, key, (uint64_t)gi + 1);
	/* one entry per generation */
	for (i = head; i; i = ci->next[i - 1])
		if (group_epoch(&p->groups[i - 1], frames) == group_epoch(&p->groups[gi], frames))
			return 0;
	ci->next[gi] = ci->next[head - 1];
	ci->next[head - 1] = gi + 1;
	return 0;
}

static const struct wp_group *chain_find(const struct chain_index *ci,
					 const struct wp_profile *p, uint64_t key,
					 uint64_t epoch, bool frames)
{
	uint64_t head, i;

	if (!wp_map__get(&ci->head, key, &head))
		return NULL;
	for (i = head; i; i = ci->next[i - 1])
		if (group_epoch(&p->groups[i - 1], frames) == epoch)
			return &p->groups[i - 1];
	return &p->groups[head - 1];
}

static int build_indexes(struct stream *s)
{
	const struct wp_profile *p = s->p;
	size_t n = p->ngroups ? p->ngroups : 1, i;

	s->frames.next = calloc(n, sizeof(uint32_t));
	s->comms.next = calloc(n, sizeof(uint32_t));
	if (!s->frames.next || !s->comms.next)
		return -ENOMEM;
	for (i = 0; i < p->ngroups; i++) {
		const struct wp_group *g = &p->groups[i];

		if (chain_add(&s->frames, p, ((uint64_t)g->pid << 32) | g->stack_id,
			      (uint32_t)i, true) ||
		    chain_add(&s->comms, p, g->tid, (uint32_t)i, false))
			return -ENOMEM;
	}
	return 0;
}

static void release_indexes(struct stream *s)
{
	wp_map__release(&s->frames.head);
	wp_map__release(&s->comms.head);
	free(s->frames.next);
	free(s->comms.next);
}

/* Fill e->g from the groups: frames and comm. */
static void attach(struct stream *s, struct wp_event *e)
{
	const struct wp_profile *p = s->p;
	const struct wp_group *fg, *cg;
	const struct tid_state *ts;

	memset(&e->g, 0, sizeof(e->g));
	e->g.pid = e->pid;
	e->g.tid = e->tid;
	e->g.stack_id = e->stack_id;
	e->g.kind = WP_EVENT_ONCPU; /* the model's kinds for off-CPU: see wp-convert */
	e->g.count = 1;
	e->g.comm = "";
	fg = chain_find(&s->frames, p, ((uint64_t)e->pid << 32) | e->stack_id,
			prof_mm_epoch(p, e->pid, e->time_ns), true);
	if (fg) {
		e->g.mm_epoch = fg->mm_epoch;
		e->g.frames_off = fg->frames_off;
		e->g.nframes = fg->nframes;
		e->g.nkernel = fg->nkernel;
	}
	cg = chain_find(&s->comms, p, e->tid, prof_comm_epoch(p, e->tid, e->time_ns), false);
	if (cg) {
		e->g.comm_epoch = cg->comm_epoch;
		e->g.comm = cg->comm ? cg->comm : "";
	} else if ((ts = prof_tid(p, e->tid)) && ts->n) {
		/* a thread known by name but without a group of its own */
		const char *c = prof_str(p, ts->recs[ts->n - 1].comm_str, NULL);

		e->g.comm = c ? c : "";
	}
}

/* ---- records -------------------------------------------------------------- */

static int stream_samples(struct stream *s, const struct wpd_record *rec)
{
	struct wpd_samples_iter it;
	struct wpd_sample smp;
	struct wp_event e;
	int ret;

	if (wpd_samples_iter__init(&it, rec))
		return 0; /* counted by the first pass */
	memset(&e, 0, sizeof(e));
	e.type = WP_EV_SAMPLE;
	e.count = 1;
	while ((ret = wpd_samples_iter__next(&it, &smp)) > 0) {
		e.time_ns = smp.time_ns;
		e.pid = smp.pid;
		e.tid = smp.tid;
		e.cpu = smp.cpu;
		/* a dwarf stack's id: the first with the same frames (the group's) */
		e.stack_id = prof_stack_alias(s->p, smp.stack_id);
		attach(s, &e);
		ret = s->fn(s->arg, &e);
		if (ret)
			return ret;
	}
	return 0;
}

static int stream_offcpu(struct stream *s, const struct wpd_record *rec)
{
	struct wpd_offcpu_iter it;
	struct wpd_offcpu o;
	struct wp_event e;
	int ret;

	if (wpd_offcpu_iter__init(&it, rec))
		return 0;
	memset(&e, 0, sizeof(e));
	e.type = WP_EV_OFFCPU;
	e.count = 1;
	while ((ret = wpd_offcpu_iter__next(&it, &o)) > 0) {
		e.time_ns = o.start_ns;
		e.duration_ns = o.duration_ns;
		e.pid = o.pid;
		e.tid = o.tid;
		e.cpu = o.cpu;
		e.stack_id = prof_stack_alias(s->p, o.stack_id);
		e.reason = o.reason > WPD_OFF_REASON_MAX ? WPD_OFF_OTHER : o.reason;
		e.waker_pid = o.waker_pid;
		e.waker_tid = o.waker_tid;
		attach(s, &e);
		ret = s->fn(s->arg, &e);
		if (ret)
			return ret;
	}
	return 0;
}

static int stream_offcpu_agg(struct stream *s, const struct wpd_record *rec)
{
	struct wpd_offcpu_agg_iter it;
	struct wpd_offcpu_agg a;
	struct wp_event e;
	int ret;

	if (wpd_offcpu_agg_iter__init(&it, rec))
		return 0;
	memset(&e, 0, sizeof(e));
	e.type = WP_EV_OFFCPU_AGG;
	while ((ret = wpd_offcpu_agg_iter__next(&it, &a)) > 0) {
		e.time_ns = it.from_ns;
		e.span_ns = it.to_ns - it.from_ns;
		e.duration_ns = a.total_ns;
		e.count = a.intervals;
		e.pid = a.pid;
		e.tid = a.tid;
		e.stack_id = a.stack_id;
		e.reason = a.reason > WPD_OFF_REASON_MAX ? WPD_OFF_OTHER : a.reason;
		e.waker_pid = a.waker_pid;
		e.waker_tid = a.waker_tid;
		attach(s, &e);
		ret = s->fn(s->arg, &e);
		if (ret)
			return ret;
	}
	return 0;
}

int wp_events__stream(const struct wp_profile *p, const char *path, wp_event_fn fn,
		      void *arg, char *err, size_t err_len)
{
	struct stream s = { .p = p, .fn = fn, .arg = arg };
	struct wpd_reader *r = NULL;
	struct wpd_record rec;
	char rerr[256] = "";
	int ret;

	if (strcmp(path, "-") == 0) {
		set_err(err, err_len, "standard input cannot be read twice: give a file");
		return -EINVAL;
	}
	if (build_indexes(&s)) {
		ret = -ENOMEM;
		set_err(err, err_len, "out of memory");
		goto out;
	}
	ret = wpd_reader__open(path, &r, rerr, sizeof(rerr));
	if (ret < 0) {
		set_err(err, err_len, "%s", rerr[0] ? rerr : strerror(-ret));
		goto out;
	}
	while ((ret = wpd_reader__next(r, &rec)) > 0) {
		switch (rec.type) {
		case WPD_REC_SAMPLES:
			ret = stream_samples(&s, &rec);
			break;
		case WPD_REC_OFFCPU:
			ret = stream_offcpu(&s, &rec);
			break;
		case WPD_REC_OFFCPU_AGG:
			ret = stream_offcpu_agg(&s, &rec);
			break;
		default:
			ret = 0;
			break;
		}
		if (ret)
			goto out;
	}
	if (ret < 0) {
		const char *why = wpd_reader__damage(r);

		set_err(err, err_len, "'%s': read error: %s", path, why ? why : strerror(-ret));
	}
out:
	wpd_reader__free(r);
	release_indexes(&s);
	return ret;
}

/* ---- mappings ------------------------------------------------------------ */

size_t wp_profile__nmappings(const struct wp_profile *p)
{
	return p->nmmaps;
}

void wp_profile__mapping(const struct wp_profile *p, size_t i, struct wp_mapping_info *out)
{
	const struct prof_mmap *m = &p->mmaps[i];
	const char *path = prof_str(p, m->path_str, NULL);

	out->pid = m->pid;
	out->start = m->start;
	out->end = m->end;
	out->pgoff = m->pgoff;
	out->path = path ? path : "";
	out->build_id = m->build_id;
	out->build_id_len = m->build_id_len;
}

bool wp_profile__kernel_range(const struct wp_profile *p, uint64_t *lo, uint64_t *hi)
{
	size_t i;

	if (!p->nksyms)
		return false;
	*lo = UINT64_MAX;
	*hi = 0;
	for (i = 0; i < p->nksyms; i++) {
		uint64_t end = p->ksyms[i].start + (p->ksyms[i].size ? p->ksyms[i].size : 1);

		if (p->ksyms[i].start < *lo)
			*lo = p->ksyms[i].start;
		if (end > *hi)
			*hi = end;
	}
	return true;
}
