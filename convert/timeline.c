/* SPDX-License-Identifier: MIT */
#include "convert/timeline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "report/events.h"

const char *wp_timeline_reason_frame(unsigned int reason)
{
	static const char *const names[] = {
		"[off-cpu:unknown]", "[off-cpu:sleep]", "[off-cpu:blocked]",
		"[off-cpu:preempted]", "[off-cpu:other]",
	};

	return reason < sizeof(names) / sizeof(names[0]) ? names[reason] : "[off-cpu:other]";
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

struct builder {
	struct wp_timeline *t;
	struct wp_convert_ctx *c;
	bool oncpu, offcpu;
	uint32_t seq;
};

static struct tl_thread *thread_get(struct wp_timeline *t, uint32_t pid, uint32_t tid)
{
	uint64_t key = ((uint64_t)pid << 32) | tid, idx;
	struct tl_thread *th;

	if (wp_map__get(&t->index, key, &idx))
		return &t->threads[idx];
	if (WP_GROW(t->threads, t->cap, t->n + 1) || wp_map__put(&t->index, key, t->n))
		return NULL;
	th = &t->threads[t->n++];
	memset(th, 0, sizeof(*th));
	th->pid = pid;
	th->tid = tid;
	th->comm = "";
	th->ns_per_sample = t->period_ns;
	return th;
}

static int add_event(void *arg, const struct wp_event *e)
{
	struct builder *b = arg;
	struct wp_timeline *t = b->t;
	struct tl_thread *th;
	struct tl_run *r;

	if (e->type == WP_EV_SAMPLE ? !b->oncpu : !b->offcpu)
		return 0;
	if (b->c->filter && !wp_filter__match(b->c->filter, &e->g))
		return 0;
	th = thread_get(t, e->pid, e->tid);
	if (!th)
		return -ENOMEM;
	if (e->g.comm[0])
		th->comm = e->g.comm;
	if (!t->events || e->time_ns < t->first_ns)
		t->first_ns = e->time_ns;
	t->events += e->count;
	if (e->type == WP_EV_SAMPLE) {
		uint64_t w = (uint64_t)(th->ns_per_sample + 0.5);

		if (e->time_ns + w > t->last_ns)
			t->last_ns = e->time_ns + w;
		th->weight = sat_add(th->weight, w);
		r = th->n ? &th->runs[th->n - 1] : NULL;
		/* the next sample of the same stack, at most one period late */
		if (r && r->kind == TL_ONCPU && r->frames_off == e->g.frames_off &&
		    r->nframes == e->g.nframes && r->comm == e->g.comm && e->time_ns >= r->start &&
		    e->time_ns <= r->end + w && r->count < UINT32_MAX) {
			if (e->time_ns + w > r->end)
				r->end = e->time_ns + w;
			r->weight = sat_add(r->weight, w);
			r->count++;
			return 0;
		}
	} else {
		uint64_t end = e->type == WP_EV_OFFCPU ? e->time_ns + e->duration_ns
						       : e->time_ns + e->span_ns;

		if (end > t->last_ns)
			t->last_ns = end;
		th->weight = sat_add(th->weight, e->duration_ns);
	}
	if (WP_GROW(th->runs, th->cap, th->n + 1))
		return -ENOMEM;
	r = &th->runs[th->n++];
	memset(r, 0, sizeof(*r));
	r->frames_off = e->g.frames_off;
	r->nframes = e->g.nframes;
	r->seq = b->seq++;
	r->count = e->count > UINT32_MAX ? UINT32_MAX : (uint32_t)e->count;
	r->reason = (uint8_t)e->reason;
	r->waker_tid = e->waker_tid;
	r->comm = e->g.comm;
	switch (e->type) {
	case WP_EV_SAMPLE:
		r->kind = TL_ONCPU;
		r->start = e->time_ns;
		r->weight = (uint64_t)(th->ns_per_sample + 0.5);
		r->end = e->time_ns + r->weight;
		break;
	case WP_EV_OFFCPU:
		r->kind = TL_OFFCPU;
		r->start = e->time_ns;
		r->end = e->time_ns + e->duration_ns;
		r->weight = e->duration_ns;
		break;
	default:
		r->kind = TL_OFFCPU_AGG;
		r->start = r->end = e->time_ns + e->span_ns;
		r->weight = e->duration_ns;
		break;
	}
	return 0;
}

static int run_cmp(const void *a, const void *b)
{
	const struct tl_run *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int thread_cmp(const void *a, const void *b)
{
	const struct tl_thread *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* Calibrated ns per on-CPU sample of each thread, from the groups. */
static int calibrate(struct wp_timeline *t, const struct wp_profile *p)
{
	size_t i, ng = wp_profile__ngroups(p);
	uint64_t *count = NULL;

	for (i = 0; i < ng; i++) {
		const struct wp_group *g = wp_profile__group(p, i);

		if (g->kind == WP_EVENT_ONCPU && g->count && !thread_get(t, g->pid, g->tid))
			return -ENOMEM;
	}
	count = calloc(t->n ? t->n : 1, sizeof(*count));
	if (!count)
		return -ENOMEM;
	for (i = 0; i < t->n; i++)
		t->threads[i].ns_per_sample = 0;
	for (i = 0; i < ng; i++) {
		const struct wp_group *g = wp_profile__group(p, i);
		uint64_t idx;

		if (g->kind != WP_EVENT_ONCPU || !g->count ||
		    !wp_map__get(&t->index, ((uint64_t)g->pid << 32) | g->tid, &idx))
			continue;
		count[idx] += g->count;
		t->threads[idx].ns_per_sample += (double)g->weight;
	}
	for (i = 0; i < t->n; i++)
		t->threads[i].ns_per_sample = count[i] && t->threads[i].ns_per_sample > 0 ?
			t->threads[i].ns_per_sample / (double)count[i] : t->period_ns;
	free(count);
	return 0;
}

int wp_timeline__build(struct wp_timeline *t, struct wp_convert_ctx *c)
{
	struct builder b = { .t = t, .c = c };
	char err[512] = "";
	size_t i, out;
	int ret;

	memset(t, 0, sizeof(*t));
	t->period_ns = wp_profile__period_ns(c->prof, NULL);
	b.oncpu = !c->kinds || (c->kinds & (1u << WP_EVENT_ONCPU));
	b.offcpu = wp_conv_offcpu_selected(c);
	ret = calibrate(t, c->prof);
	if (ret)
		return ret;
	ret = wp_events__stream(c->prof, c->input, add_event, &b, err, sizeof(err));
	if (ret) {
		if (err[0])
			pr_err("%s", err);
		return ret < 0 ? ret : -ENOMEM;
	}
	/* threads that only had groups of unselected events go */
	for (i = 0, out = 0; i < t->n; i++) {
		if (!t->threads[i].n) {
			free(t->threads[i].runs);
			continue;
		}
		t->threads[out++] = t->threads[i];
	}
	t->n = out;
	wp_map__release(&t->index); /* indexes are stale from here on */
	if (t->n > 1)
		qsort(t->threads, t->n, sizeof(*t->threads), thread_cmp);
	for (i = 0; i < t->n; i++)
		if (t->threads[i].n > 1)
			qsort(t->threads[i].runs, t->threads[i].n, sizeof(struct tl_run), run_cmp);
	return 0;
}

void wp_timeline__release(struct wp_timeline *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->threads[i].runs);
	free(t->threads);
	wp_map__release(&t->index);
	memset(t, 0, sizeof(*t));
}
