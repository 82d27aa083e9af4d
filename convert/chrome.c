/* SPDX-License-Identifier: MIT */
/*
 * wp-convert -f chrome: Chrome Trace Event JSON, for Perfetto
 * (ui.perfetto.dev), chrome://tracing and Chrome DevTools.
 *
 *   {"traceEvents": [...], "displayTimeUnit": "ms", "otherData": {...}}
 *
 * Per thread, a flame chart over time: each run of the timeline
 * (convert/timeline.h) is its stack as nested slices, B/E pairs, root
 * first; frames that consecutive runs share stay open, so a function that
 * runs for a second is one slice. An off-CPU interval is its stack at
 * switch-out with a leaf slice "[off-cpu:REASON]" (args: reason, waker
 * tid). Slices on a thread nest strictly and every B has its E: times
 * never go backwards within a thread (an event that overlaps the previous
 * one starts where it ends). Aggregated short off-CPU intervals have no
 * times and are not shown. Metadata events name processes and threads.
 * ts are microseconds from the recording's start (META start_monotonic_ns;
 * else the first event), with ns precision. Every event has a name (E
 * events too: Chrome DevTools' trace engine needs it).
 */
#include "convert/convert.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "convert/timeline.h"
#include "report/json.h"

#define KEY_TAG_BASE 0xfffffff0u /* + reason: the off-CPU leaf */

struct chrome {
	struct wp_convert_ctx *c;
	const struct wp_profile *p;
	FILE *out;
	uint64_t base;
	uint32_t *open; /* frame keys open on the current thread, root first */
	size_t nopen;
	const struct tl_thread *th;
	bool first;
};

static void put_ts(struct chrome *ch, uint64_t t)
{
	uint64_t d = t > ch->base ? t - ch->base : 0;
	char frac[4];

	wp_conv_put_u64(ch->out, d / 1000);
	snprintf(frac, sizeof(frac), "%03u", (unsigned)(d % 1000));
	putc('.', ch->out);
	fputs(frac, ch->out);
}

static void event_head(struct chrome *ch, char ph, uint64_t t)
{
	FILE *f = ch->out;

	fputs(ch->first ? "\n" : ",\n", f);
	ch->first = false;
	fprintf(f, "{\"ph\":\"%c\",\"pid\":%" PRIu32 ",\"tid\":%" PRIu32 ",\"ts\":", ph,
		ch->th->pid, ch->th->tid);
	put_ts(ch, t);
}

/* ,"name":...,"cat":... of a frame key */
static void put_name(struct chrome *ch, uint32_t key)
{
	FILE *f = ch->out;

	fputs(",\"name\":", f);
	if (key >= KEY_TAG_BASE) {
		const char *name = wp_timeline_reason_frame(key - KEY_TAG_BASE);

		wp_json_write_string(f, name, strlen(name));
		fputs(",\"cat\":\"off-cpu\"", f);
	} else {
		const struct wp_frame *fr = wp_profile__frame(ch->p, key);

		wp_json_write_string(f, fr->name[0] ? fr->name : "[unknown]",
				     fr->name[0] ? strlen(fr->name) : 9);
		fputs(fr->flags & WP_FRAME_KERNEL ? ",\"cat\":\"kernel\"" : ",\"cat\":\"user\"", f);
	}
}

static void open_frame(struct chrome *ch, uint32_t key, const struct tl_run *r, uint64_t t)
{
	FILE *f = ch->out;

	event_head(ch, 'B', t);
	put_name(ch, key);
	if (key >= KEY_TAG_BASE) {
		const char *name = wp_offcpu_reason__name(key - KEY_TAG_BASE);

		fputs(",\"args\":{\"reason\":", f);
		wp_json_write_string(f, name, strlen(name));
		if (r->waker_tid)
			fprintf(f, ",\"waker_tid\":%" PRIu32, r->waker_tid);
		putc('}', f);
	}
	putc('}', f);
}

/* E events name their slice too (Chrome DevTools' trace engine wants it) */
static void close_to(struct chrome *ch, size_t depth, uint64_t t)
{
	while (ch->nopen > depth) {
		event_head(ch, 'E', t);
		put_name(ch, ch->open[ch->nopen - 1]);
		putc('}', ch->out);
		ch->nopen--;
	}
}

static int write_thread(struct chrome *ch, const struct tl_thread *th, double tol)
{
	uint64_t now = 0, prev_end = 0;
	size_t i;

	ch->th = th;
	ch->nopen = 0;
	for (i = 0; i < th->n; i++) {
		const struct tl_run *r = &th->runs[i];
		const uint32_t *fr = wp_profile__group_frames(ch->p, &(struct wp_group){
			.frames_off = r->frames_off });
		uint32_t path[2 * WPD_STACK_MAX_FRAMES + 1];
		size_t n = 0, common = 0;
		uint64_t start;
		uint32_t k;

		if (r->kind == TL_OFFCPU_AGG)
			continue;
		for (k = r->nframes; k > 0 && n < 2 * WPD_STACK_MAX_FRAMES; k--)
			path[n++] = fr[k - 1];
		if (r->kind == TL_OFFCPU)
			path[n++] = KEY_TAG_BASE + (r->reason <= WPD_OFF_REASON_MAX ? r->reason
										: WPD_OFF_OTHER);
		if (!n)
			continue;
		/* a gap: the thread was not seen; close everything where it ended */
		if (ch->nopen && (double)r->start > (double)prev_end + tol)
			close_to(ch, 0, prev_end);
		start = r->start > now ? r->start : now;
		while (common < ch->nopen && common < n && ch->open[common] == path[common])
			common++;
		/* the same stack again (two intervals of one reason): a new slice */
		if (common == n && common == ch->nopen)
			common--;
		close_to(ch, common, start);
		for (; ch->nopen < n; ch->nopen++) {
			ch->open[ch->nopen] = path[ch->nopen];
			open_frame(ch, path[ch->nopen], r, start);
		}
		now = start;
		prev_end = r->end > start ? r->end : start;
		if (prev_end > now && r->kind == TL_OFFCPU) {
			/* an off-CPU interval ends where it ends */
			close_to(ch, n - 1, prev_end);
			now = prev_end;
		}
	}
	close_to(ch, 0, prev_end > now ? prev_end : now);
	return 0;
}

static void meta_event(struct chrome *ch, const char *what, uint32_t pid, uint32_t tid,
		       const char *name)
{
	FILE *f = ch->out;

	fputs(ch->first ? "\n" : ",\n", f);
	ch->first = false;
	fprintf(f, "{\"ph\":\"M\",\"name\":\"%s\",\"pid\":%" PRIu32 ",\"tid\":%" PRIu32
		",\"args\":{\"name\":", what, pid, tid);
	wp_json_write_string(f, name, strlen(name));
	fputs("}}", f);
}

int wp_convert_chrome(struct wp_convert_ctx *c)
{
	struct chrome ch = { .c = c, .p = c->prof, .out = c->out, .first = true };
	struct wp_timeline t;
	uint64_t start;
	size_t i;
	FILE *f = c->out;
	int ret;

	ret = wp_timeline__build(&t, c);
	if (ret)
		goto out;
	if (!t.events)
		pr_warn("%s: no samples selected: the trace is empty", c->input);
	/* ts from the recording's start (else the first event) */
	ch.base = t.first_ns;
	if (wp_profile__meta_u64(c->prof, WPD_META_START_MONO, &start) && start <= t.first_ns)
		ch.base = start;
	ch.open = malloc((2 * WPD_STACK_MAX_FRAMES + 2) * sizeof(*ch.open));
	if (!ch.open) {
		ret = -ENOMEM;
		goto out;
	}
	fputs("{\"traceEvents\":[", f);
	for (i = 0; i < t.n; i++) {
		const struct tl_thread *th = &t.threads[i];

		if (i == 0 || th->pid != t.threads[i - 1].pid) {
			/* the process's name: its main thread's, else its first thread's */
			const char *name = th->comm;
			size_t k;

			for (k = i; k < t.n && t.threads[k].pid == th->pid; k++)
				if (t.threads[k].tid == th->pid)
					name = t.threads[k].comm;
			ch.th = th;
			meta_event(&ch, "process_name", th->pid, th->pid, name[0] ? name : "?");
		}
		meta_event(&ch, "thread_name", th->pid, th->tid, th->comm[0] ? th->comm : "?");
	}
	for (i = 0; i < t.n; i++)
		write_thread(&ch, &t.threads[i], t.period_ns / 2);
	fputs("\n],\"displayTimeUnit\":\"ms\",\"otherData\":{\"exporter\":\"wp-convert "
	      WP_VERSION "\",\"input\":", f);
	wp_json_write_string(f, c->input, strlen(c->input));
	fprintf(f, ",\"start_monotonic_ns\":%" PRIu64 "}}\n", ch.base);
	ret = fflush(f) || ferror(f) ? -EIO : 0;
out:
	free(ch.open);
	wp_timeline__release(&t);
	return ret;
}
