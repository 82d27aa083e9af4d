/* SPDX-License-Identifier: MIT */
#include "report/wallclock.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/folded.h"
#include "report/summary.h"
#include "report/util.h"

static inline void sat_add(uint64_t *a, uint64_t b)
{
	*a = *a > UINT64_MAX - b ? UINT64_MAX : *a + b;
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static size_t shown(size_t limit, size_t n)
{
	return limit && limit < n ? limit : n;
}

/* ---- stacks as text and JSON ------------------------------------------- */

void wp_stack_folded(const struct wp_profile *p, const uint32_t *frames, uint32_t n,
		     struct wp_strbuf *b)
{
	uint32_t i;

	for (i = n; i > 0; i--) {
		const struct wp_frame *f = wp_profile__frame(p, frames[i - 1]);

		if (i != n)
			wp_strbuf__addc(b, ';');
		wp_folded_escape(b, f->name);
		wp_strbuf__add(b, wp_folded_suffix(f), strlen(wp_folded_suffix(f)));
	}
}

void wp_stack_json(const struct wp_profile *p, const uint32_t *frames, uint32_t n,
		   struct wp_json *j)
{
	uint32_t i;

	wp_json__begin_array(j);
	for (i = n; i > 0; i--)
		wp_json__str(j, wp_profile__frame(p, frames[i - 1])->name);
	wp_json__end_array(j);
}

static void put_stack(const struct wp_profile *p, const uint32_t *frames, uint32_t n,
		      struct wp_strbuf *b, FILE *f)
{
	wp_strbuf__reset(b);
	wp_stack_folded(p, frames, n, b);
	wp_text_put(f, b->oom || !b->s ? "?" : b->s);
}

/* ---- merging by frame sequence ------------------------------------------- */

static uint64_t frames_hash(const uint32_t *fr, uint32_t n, uint64_t seed)
{
	return wp_hash_bytes(fr, (size_t)n * sizeof(*fr), seed);
}

static bool frames_eq(const uint32_t *a, uint32_t na, const uint32_t *b, uint32_t nb)
{
	return na == nb && (na == 0 || memcmp(a, b, na * sizeof(*a)) == 0);
}

static int frames_cmp(const uint32_t *a, uint32_t na, const uint32_t *b, uint32_t nb)
{
	uint32_t i;

	for (i = 0; i < na && i < nb; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return na < nb ? -1 : na > nb;
}

static int bstack_cmp(const void *x, const void *y)
{
	const struct wp_blocking_stack *a = x, *b = y;

	if (a->total_ns != b->total_ns)
		return a->total_ns > b->total_ns ? -1 : 1;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if (a->reason != b->reason)
		return a->reason < b->reason ? -1 : 1;
	return frames_cmp(a->frames, a->nframes, b->frames, b->nframes);
}

static int bthread_cmp(const void *x, const void *y)
{
	const struct wp_thread_acct *a = *(const struct wp_thread_acct *const *)x;
	const struct wp_thread_acct *b = *(const struct wp_thread_acct *const *)y;

	if (a->offcpu_ns != b->offcpu_ns)
		return a->offcpu_ns > b->offcpu_ns ? -1 : 1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return a->tid < b->tid ? -1 : a->tid > b->tid;
}

static int waker_cmp(const void *x, const void *y)
{
	const struct wp_waker_stat *a = x, *b = y;
	int c;

	if (a->total_ns != b->total_ns)
		return a->total_ns > b->total_ns ? -1 : 1;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->tid != b->tid)
		return a->tid < b->tid ? -1 : 1;
	c = strcmp(a->comm, b->comm);
	if (c)
		return c;
	return frames_cmp(a->frames, a->nframes, b->frames, b->nframes);
}

static int compute_stacks(const struct wp_profile *p, const struct wp_filter *f,
			  struct wp_offcpu_view *v)
{
	struct wp_map idx = { 0 };
	size_t i, cap = 0, ng = wp_profile__ngroups(p);
	int ret = -ENOMEM;

	for (i = 0; i < ng; i++) {
		const struct wp_group *g = wp_profile__group(p, i);
		const uint32_t *fr = wp_profile__group_frames(p, g);
		struct wp_blocking_stack *s;
		uint64_t h, k;

		if (g->kind != WP_EVENT_OFFCPU || (f && !wp_filter__match(f, g)))
			continue;
		sat_add(&v->total_ns, g->weight);
		sat_add(&v->intervals, g->count);
		h = frames_hash(fr, g->nframes, g->reason);
		for (;; h = wp_hash64(h + 1)) {
			if (!wp_map__get(&idx, h, &k))
				break;
			s = &v->stacks[k];
			if (s->reason == g->reason && frames_eq(s->frames, s->nframes, fr, g->nframes))
				goto add;
		}
		if (WP_GROW(v->stacks, cap, v->nstacks + 1) || wp_map__put(&idx, h, v->nstacks))
			goto out;
		s = &v->stacks[v->nstacks++];
		memset(s, 0, sizeof(*s));
		s->frames = fr;
		s->nframes = g->nframes;
		s->nkernel = g->nkernel;
		s->reason = g->reason;
add:
		sat_add(&s->total_ns, g->weight);
		sat_add(&s->count, g->count);
		sat_add(&s->runq_ns, g->runq_ns);
	}
	if (v->nstacks)
		qsort(v->stacks, v->nstacks, sizeof(*v->stacks), bstack_cmp);
	ret = 0;
out:
	wp_map__release(&idx);
	return ret;
}

static int compute_threads(const struct wp_profile *p, const struct wp_filter *f,
			   struct wp_offcpu_view *v)
{
	size_t i, n = wp_profile__nthreads(p);

	v->threads = calloc(n ? n : 1, sizeof(*v->threads));
	if (!v->threads)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const struct wp_thread_acct *t = wp_profile__thread(p, i);

		if (t->offcpu_ns && (!f || wp_filter__match_thread(f, p, t)))
			v->threads[v->nthreads++] = t;
	}
	if (v->nthreads)
		qsort(v->threads, v->nthreads, sizeof(*v->threads), bthread_cmp);
	return 0;
}

static int compute_wakers(const struct wp_profile *p, const struct wp_filter *f,
			  struct wp_offcpu_view *v)
{
	struct wp_map idx = { 0 };
	size_t i, cap = 0, nw = wp_profile__nwakers(p);
	int ret = -ENOMEM;

	for (i = 0; i < nw; i++) {
		const struct wp_waker *w = wp_profile__waker(p, i);
		const uint32_t *fr = wp_profile__waker_frames(p, w);
		const char *comm = w->waker_comm ? w->waker_comm : "";
		struct wp_waker_stat *s;
		uint64_t h, k;

		if (f && !wp_filter__match_ids(f, w->pid, w->tid, w->comm))
			continue;
		h = frames_hash(fr, w->nframes, ((uint64_t)w->waker_pid << 32) | w->waker_tid);
		h = wp_hash_bytes(comm, strlen(comm), h);
		for (;; h = wp_hash64(h + 1)) {
			if (!wp_map__get(&idx, h, &k))
				break;
			s = &v->wakers[k];
			if (s->pid == w->waker_pid && s->tid == w->waker_tid &&
			    strcmp(s->comm, comm) == 0 &&
			    frames_eq(s->frames, s->nframes, fr, w->nframes))
				goto add;
		}
		if (WP_GROW(v->wakers, cap, v->nwakers + 1) || wp_map__put(&idx, h, v->nwakers))
			goto out;
		s = &v->wakers[v->nwakers++];
		memset(s, 0, sizeof(*s));
		s->pid = w->waker_pid;
		s->tid = w->waker_tid;
		s->comm = comm;
		s->frames = fr;
		s->nframes = w->nframes;
		s->nkernel = w->nkernel;
add:
		sat_add(&s->total_ns, w->total_ns);
		sat_add(&s->count, w->count);
	}
	if (v->nwakers)
		qsort(v->wakers, v->nwakers, sizeof(*v->wakers), waker_cmp);
	ret = 0;
out:
	wp_map__release(&idx);
	return ret;
}

int wp_offcpu_view__compute(const struct wp_profile *p, const struct wp_filter *f,
			    struct wp_offcpu_view *v)
{
	memset(v, 0, sizeof(*v));
	if (f && !wp_filter__active(f))
		f = NULL;
	if (compute_stacks(p, f, v) || compute_threads(p, f, v) || compute_wakers(p, f, v)) {
		wp_offcpu_view__release(v);
		return -ENOMEM;
	}
	return 0;
}

void wp_offcpu_view__release(struct wp_offcpu_view *v)
{
	free(v->stacks);
	free(v->threads);
	free(v->wakers);
	memset(v, 0, sizeof(*v));
}

/* ---- text ----------------------------------------------------------------- */

static void reason_ms(FILE *f, const uint64_t *by_reason)
{
	static const unsigned int order[] = {
		WPD_OFF_SLEEP, WPD_OFF_BLOCKED, WPD_OFF_PREEMPTED, WPD_OFF_OTHER, WPD_OFF_UNKNOWN,
	};
	size_t k;

	for (k = 0; k < sizeof(order) / sizeof(order[0]); k++)
		fprintf(f, " %11.3f", ms(by_reason[order[k]]));
}

void wp_offcpu_view__text(const struct wp_profile *p, const struct wp_offcpu_view *v,
			  size_t limit, FILE *f)
{
	struct wp_strbuf b = { 0 };
	size_t i, n;

	n = shown(limit, v->nstacks);
	fprintf(f, "#\n# top %zu of %zu blocking stacks by off-CPU time"
		" (%.3f ms in %" PRIu64 " intervals selected)\n#\n", n, v->nstacks,
		ms(v->total_ns), v->intervals);
	if (!v->nstacks)
		fputs("# no off-CPU time selected\n", f);
	else
		fprintf(f, "# %11s %7s %9s  %-9s  %s\n", "time ms", "time%", "count", "reason",
			"stack (outermost first)");
	for (i = 0; i < n; i++) {
		const struct wp_blocking_stack *s = &v->stacks[i];

		fprintf(f, "  %11.3f %7.2f %9" PRIu64 "  %-9s  ", ms(s->total_ns),
			pct(s->total_ns, v->total_ns), s->count, wp_offcpu_reason__name(s->reason));
		put_stack(p, s->frames, s->nframes, &b, f);
		fputc('\n', f);
	}

	n = shown(limit, v->nthreads);
	fprintf(f, "#\n# top %zu of %zu blocking threads by off-CPU time (ms)\n#\n", n,
		v->nthreads);
	if (v->nthreads)
		fprintf(f, "# %7s %7s %11s %11s %11s %11s %11s %11s %11s  %s\n", "pid", "tid",
			"off-cpu", "sleep", "blocked", "preempted", "other", "unknown", "runq",
			"comm");
	for (i = 0; i < n; i++) {
		const struct wp_thread_acct *t = v->threads[i];

		fprintf(f, "  %7" PRIu32 " %7" PRIu32 " %11.3f", t->pid, t->tid, ms(t->offcpu_ns));
		reason_ms(f, t->offcpu_by_reason_ns);
		fprintf(f, " %11.3f  ", ms(t->runq_ns));
		wp_text_put(f, t->comm);
		fputc('\n', f);
	}

	n = shown(limit, v->nwakers);
	fprintf(f, "#\n# top %zu of %zu wakers by the off-CPU time they ended\n#\n", n,
		v->nwakers);
	if (v->nwakers)
		fprintf(f, "# %11s %9s %7s %7s  %s  %s\n", "time ms", "count", "pid", "tid",
			"comm", "stack (outermost first)");
	for (i = 0; i < n; i++) {
		const struct wp_waker_stat *w = &v->wakers[i];

		fprintf(f, "  %11.3f %9" PRIu64 " %7" PRIu32 " %7" PRIu32 "  ", ms(w->total_ns),
			w->count, w->pid, w->tid);
		wp_text_put(f, w->comm[0] ? w->comm : "?");
		fputs("  ", f);
		put_stack(p, w->frames, w->nframes, &b, f);
		fputc('\n', f);
	}
	wp_strbuf__release(&b);
}

/* ---- JSON ----------------------------------------------------------------- */

static void json_reasons(struct wp_json *j, const uint64_t *by_reason)
{
	static const unsigned int order[] = {
		WPD_OFF_SLEEP, WPD_OFF_BLOCKED, WPD_OFF_PREEMPTED, WPD_OFF_OTHER, WPD_OFF_UNKNOWN,
	};
	size_t k;

	wp_json__begin_object(j);
	for (k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		wp_json__key(j, wp_offcpu_reason__name(order[k]));
		wp_json__u64(j, by_reason[order[k]]);
	}
	wp_json__end_object(j);
}

void wp_offcpu_view__json(const struct wp_profile *p, const struct wp_offcpu_view *v,
			  size_t limit, struct wp_json *j)
{
	size_t i, n;

	wp_json__key(j, "offcpu_selected_ns");
	wp_json__u64(j, v->total_ns);
	wp_json__key(j, "offcpu_intervals_selected");
	wp_json__u64(j, v->intervals);

	wp_json__key(j, "blocking_stacks_total");
	wp_json__u64(j, v->nstacks);
	wp_json__key(j, "blocking_stacks");
	wp_json__begin_array(j);
	for (i = 0, n = shown(limit, v->nstacks); i < n; i++) {
		const struct wp_blocking_stack *s = &v->stacks[i];

		wp_json__begin_object(j);
		wp_json__key(j, "stack");
		wp_stack_json(p, s->frames, s->nframes, j);
		wp_json__key(j, "kernel_frames");
		wp_json__u64(j, s->nkernel);
		wp_json__key(j, "reason");
		wp_json__str(j, wp_offcpu_reason__name(s->reason));
		wp_json__key(j, "total_ns");
		wp_json__u64(j, s->total_ns);
		wp_json__key(j, "count");
		wp_json__u64(j, s->count);
		wp_json__key(j, "runq_ns");
		wp_json__u64(j, s->runq_ns);
		wp_json__key(j, "pct");
		wp_json__double(j, pct(s->total_ns, v->total_ns), 4);
		wp_json__end_object(j);
	}
	wp_json__end_array(j);

	wp_json__key(j, "blocking_threads_total");
	wp_json__u64(j, v->nthreads);
	wp_json__key(j, "blocking_threads");
	wp_json__begin_array(j);
	for (i = 0, n = shown(limit, v->nthreads); i < n; i++) {
		const struct wp_thread_acct *t = v->threads[i];

		wp_json__begin_object(j);
		wp_json__key(j, "pid");
		wp_json__u64(j, t->pid);
		wp_json__key(j, "tid");
		wp_json__u64(j, t->tid);
		wp_json__key(j, "comm");
		wp_json__str(j, t->comm);
		wp_json__key(j, "offcpu_ns");
		wp_json__u64(j, t->offcpu_ns);
		wp_json__key(j, "offcpu_by_reason_ns");
		json_reasons(j, t->offcpu_by_reason_ns);
		wp_json__key(j, "offcpu_intervals");
		wp_json__u64(j, t->offcpu_intervals);
		wp_json__key(j, "offcpu_kernel_not_walked_ns");
		wp_json__u64(j, t->offcpu_kernel_not_walked_ns);
		wp_json__key(j, "runq_ns");
		wp_json__u64(j, t->runq_ns);
		wp_json__end_object(j);
	}
	wp_json__end_array(j);

	wp_json__key(j, "wakers_total");
	wp_json__u64(j, v->nwakers);
	wp_json__key(j, "wakers");
	wp_json__begin_array(j);
	for (i = 0, n = shown(limit, v->nwakers); i < n; i++) {
		const struct wp_waker_stat *w = &v->wakers[i];

		wp_json__begin_object(j);
		wp_json__key(j, "pid");
		wp_json__u64(j, w->pid);
		wp_json__key(j, "tid");
		wp_json__u64(j, w->tid);
		wp_json__key(j, "comm");
		wp_json__str(j, w->comm);
		wp_json__key(j, "total_ns");
		wp_json__u64(j, w->total_ns);
		wp_json__key(j, "count");
		wp_json__u64(j, w->count);
		wp_json__key(j, "stack");
		wp_stack_json(p, w->frames, w->nframes, j);
		wp_json__key(j, "kernel_frames");
		wp_json__u64(j, w->nkernel);
		wp_json__end_object(j);
	}
	wp_json__end_array(j);
}

/* ---- threads -------------------------------------------------------------- */

static bool thread_selected(const struct wp_profile *p, const struct wp_filter *f,
			    const struct wp_thread_acct *t)
{
	return !f || !wp_filter__active(f) || wp_filter__match_thread(f, p, t);
}

void wp_threads__text(const struct wp_profile *p, const struct wp_filter *f, FILE *out)
{
	size_t i, n = wp_profile__nthreads(p), sel = 0;
	uint64_t off = 0, not_walked = 0;
	bool estimated = false;

	for (i = 0; i < n; i++)
		sel += thread_selected(p, f, wp_profile__thread(p, i));
	fprintf(out, "#\n# threads: %zu of %zu; time within the recording per thread (ms)\n#\n",
		sel, n);
	if (!sel) {
		fputs("# no threads selected\n", out);
		return;
	}
	fprintf(out, "# %7s %7s %12s %8s %11s %11s %11s %11s %11s %11s %11s %11s %11s %8s %6s  %s\n",
		"pid", "tid", "on-cpu", "samples", "off-cpu", "sleep", "blocked", "preempted",
		"other", "unknown", "runq", "lifetime", "unaccounted", "coverage", "exited",
		"comm");
	for (i = 0; i < n; i++) {
		const struct wp_thread_acct *t = wp_profile__thread(p, i);

		if (!thread_selected(p, f, t))
			continue;
		fprintf(out, "  %7" PRIu32 " %7" PRIu32 " %11.3f%c %8" PRIu64, t->pid, t->tid,
			ms(t->oncpu_ns), t->oncpu_exact ? ' ' : '*', t->oncpu_samples);
		if (t->offcpu_known) {
			fprintf(out, " %11.3f", ms(t->offcpu_ns));
			reason_ms(out, t->offcpu_by_reason_ns);
			fprintf(out, " %11.3f", ms(t->runq_ns));
		} else {
			fprintf(out, " %11s %11s %11s %11s %11s %11s %11s", "-", "-", "-", "-", "-",
				"-", "-");
		}
		if (t->lifetime_known)
			fprintf(out, " %11.3f", ms(t->lifetime_ns));
		else
			fprintf(out, " %11s", "-");
		if (t->lifetime_known && t->offcpu_known)
			fprintf(out, " %11.3f", ms(t->unaccounted_ns));
		else
			fprintf(out, " %11s", "-");
		if (!isnan(t->coverage))
			fprintf(out, " %7.2f%%", 100.0 * t->coverage);
		else
			fprintf(out, " %8s", "-");
		fprintf(out, " %6s  ", !t->offcpu_known ? "-" : t->exited ? "yes" : "no");
		wp_text_put(out, t->comm);
		fputc('\n', out);
		estimated |= !t->oncpu_exact;
		if (t->offcpu_known) {
			sat_add(&off, t->offcpu_ns);
			sat_add(&not_walked, t->offcpu_kernel_not_walked_ns);
		}
	}
	if (not_walked)
		fprintf(out, "# off-cpu: %.3f ms of it (%.2f%%) without kernel frames: short waits "
			"whose kernel stack was not walked (--off-cpu-kernel-stacks)\n",
			ms(not_walked), pct(not_walked, off));
	if (estimated)
		fprintf(out, "# *: estimated from samples (%" PRIu64 " Hz): no scheduler accounting"
			" (THREAD_TIME) for the thread\n", wp_profile__freq_hz(p));
}

void wp_threads__json(const struct wp_profile *p, const struct wp_filter *f,
		      struct wp_json *j)
{
	size_t i, n = wp_profile__nthreads(p);

	wp_json__key(j, "threads");
	wp_json__begin_array(j);
	for (i = 0; i < n; i++) {
		const struct wp_thread_acct *t = wp_profile__thread(p, i);

		if (!thread_selected(p, f, t))
			continue;
		wp_json__begin_object(j);
		wp_json__key(j, "pid");
		wp_json__u64(j, t->pid);
		wp_json__key(j, "tid");
		wp_json__u64(j, t->tid);
		wp_json__key(j, "comm");
		wp_json__str(j, t->comm);
		wp_json__key(j, "oncpu_ns");
		wp_json__u64(j, t->oncpu_ns);
		wp_json__key(j, "oncpu_exact");
		wp_json__bool(j, t->oncpu_exact);
		wp_json__key(j, "oncpu_samples");
		wp_json__u64(j, t->oncpu_samples);
		wp_json__u64_known(j, "offcpu_ns", t->offcpu_known, t->offcpu_ns);
		wp_json__key(j, "offcpu_by_reason_ns");
		if (t->offcpu_known)
			json_reasons(j, t->offcpu_by_reason_ns);
		else
			wp_json__null(j);
		wp_json__key(j, "offcpu_intervals");
		wp_json__u64(j, t->offcpu_intervals);
		wp_json__u64_known(j, "offcpu_kernel_not_walked_ns", t->offcpu_known, t->offcpu_kernel_not_walked_ns);
		wp_json__u64_known(j, "runq_ns", t->offcpu_known, t->runq_ns);
		wp_json__u64_known(j, "start_ns", t->lifetime_known, t->start_ns);
		wp_json__u64_known(j, "end_ns", t->lifetime_known, t->end_ns);
		wp_json__u64_known(j, "lifetime_ns", t->lifetime_known, t->lifetime_ns);
		wp_json__u64_known(j, "unaccounted_ns", t->lifetime_known && t->offcpu_known, t->unaccounted_ns);
		wp_json__key(j, "coverage");
		wp_json__double(j, t->coverage, 6); /* NaN: null */
		wp_json__key(j, "switches");
		wp_json__u64(j, t->switches);
		wp_json__key(j, "exited");
		wp_json__bool(j, t->exited);
		wp_json__end_object(j);
	}
	wp_json__end_array(j);
}
