/* SPDX-License-Identifier: MIT */
/*
 * wp-convert -f speedscope: speedscope's file format
 * (https://www.speedscope.app/file-format-schema.json).
 *
 *   shared.frames  every function of the profile ({name, file}: file is
 *                  its source file where DWARF or the recording say, else
 *                  its binary), or with --lines every (function, source
 *                  line) of the stacks ({name, file, line}: the line the
 *                  function was at: the sample's for the innermost frame,
 *                  the call's for its callers), then the off-CPU pseudo
 *                  frames "[off-cpu:REASON]", "[unknown stack]" and, with
 *                  --merge, thread names
 *   profiles       one "sampled" profile per thread (pid, tid order), or
 *                  one for all threads with --merge (thread name as the
 *                  root frame), unit nanoseconds. Samples are runs in
 *                  time order, so the Time Order view is the thread's
 *                  timeline: consecutive samples of one stack are one
 *                  entry weighing their time; an off-CPU interval is an
 *                  entry ending in its "[off-cpu:REASON]" frame weighing
 *                  its duration. Left Heavy and Sandwich aggregate.
 *   activeProfileIndex  the heaviest thread
 *
 * JSON is written compactly (the files get big); strings are escaped
 * (report/json.h), so any name gives valid JSON.
 */
#include "convert/convert.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "convert/timeline.h"
#include "report/json.h"
#include "report/util.h"

#define NREASONS (WPD_OFF_REASON_MAX + 1)

struct ss {
	struct wp_convert_ctx *c;
	const struct wp_profile *p;
	struct wp_timeline t;
	FILE *out;
	uint32_t nf;          /* profile frames: indexes 0 .. nf - 1 */
	/* --lines: frame k is (lf_frame[k], lf_pos[k]); index by frame << 32 | pos */
	uint32_t *lf_frame, *lf_pos;
	size_t nlf, lf_frame_cap, lf_pos_cap;
	struct wp_map lf_index;
	uint32_t reason_base; /* nf: the reason frames */
	uint32_t unknown;     /* "[unknown stack]" */
	/* --merge: thread names as frames, from unknown + 1 on */
	const char **comms;
	size_t ncomms, comms_cap;
	struct wp_map comm_index; /* hash -> comm (probed) */
};

static void put_str(FILE *f, const char *s)
{
	wp_json_write_string(f, s, strlen(s));
}

/* The frame index of a thread name (--merge). */
static int comm_frame(struct ss *s, const char *comm, uint32_t *id)
{
	uint64_t h = wp_hash_bytes(comm, strlen(comm), 0xc0), idx;

	for (;; h = wp_hash64(h + 1)) {
		if (!wp_map__get(&s->comm_index, h, &idx))
			break;
		if (strcmp(s->comms[idx], comm) == 0) {
			*id = s->unknown + 1 + (uint32_t)idx;
			return 0;
		}
	}
	if (WP_GROW(s->comms, s->comms_cap, s->ncomms + 1) ||
	    wp_map__put(&s->comm_index, h, s->ncomms))
		return -ENOMEM;
	s->comms[s->ncomms] = comm;
	*id = s->unknown + 1 + (uint32_t)s->ncomms++;
	return 0;
}

/* --lines: the speedscope frame of a frame at a source position, made if
 * new (before any index is written: the pseudo frames come after them). */
static int line_frame(struct ss *s, uint32_t frame, uint32_t pos, uint32_t *id)
{
	uint64_t key = (uint64_t)frame << 32 | pos, v;

	if (wp_map__get(&s->lf_index, key, &v)) {
		*id = (uint32_t)v;
		return 0;
	}
	if (s->nlf >= UINT32_MAX / 2 || WP_GROW(s->lf_frame, s->lf_frame_cap, s->nlf + 1) ||
	    WP_GROW(s->lf_pos, s->lf_pos_cap, s->nlf + 1) ||
	    wp_map__put(&s->lf_index, key, s->nlf))
		return -ENOMEM;
	s->lf_frame[s->nlf] = frame;
	s->lf_pos[s->nlf] = pos;
	*id = (uint32_t)s->nlf++;
	return 0;
}

/* --lines: every (frame, position) of the selected runs, in first-use order. */
static int line_frames(struct ss *s)
{
	size_t i, j;
	uint32_t k, id;

	for (i = 0; i < s->t.n; i++) {
		const struct tl_thread *th = &s->t.threads[i];

		for (j = 0; j < th->n; j++) {
			const struct wp_group g = { .frames_off = th->runs[j].frames_off };
			const uint32_t *fr = wp_profile__group_frames(s->p, &g);
			const uint32_t *pos = wp_profile__group_positions(s->p, &g);

			if (!th->runs[j].weight)
				continue;
			for (k = th->runs[j].nframes; k > 0; k--)
				if (line_frame(s, fr[k - 1], pos[k - 1], &id))
					return -ENOMEM;
		}
	}
	s->nf = (uint32_t)s->nlf;
	return 0;
}

static int write_run(struct ss *s, const struct tl_thread *th, const struct tl_run *r,
		     bool first)
{
	const struct wp_group g = { .frames_off = r->frames_off };
	const uint32_t *fr = wp_profile__group_frames(s->p, &g);
	const uint32_t *pos = wp_profile__group_positions(s->p, &g);
	FILE *f = s->out;
	bool sep = false;
	uint32_t k, id;

	if (!first)
		putc(',', f);
	putc('[', f);
	if (s->c->merge) {
		const char *comm = r->comm && r->comm[0] ? r->comm : th->comm;

		if (comm_frame(s, comm[0] ? comm : "[unknown]", &id))
			return -ENOMEM;
		wp_conv_put_u64(f, id);
		sep = true;
	}
	if (!r->nframes) {
		if (sep)
			putc(',', f);
		wp_conv_put_u64(f, s->unknown);
		sep = true;
	}
	for (k = r->nframes; k > 0; k--) {
		id = fr[k - 1];
		if (s->c->lines && line_frame(s, fr[k - 1], pos[k - 1], &id))
			return -ENOMEM;
		if (sep)
			putc(',', f);
		wp_conv_put_u64(f, id);
		sep = true;
	}
	if (r->kind != TL_ONCPU) {
		if (sep)
			putc(',', f);
		wp_conv_put_u64(f, s->reason_base + (r->reason < NREASONS ? r->reason : WPD_OFF_OTHER));
	}
	putc(']', f);
	return 0;
}

static void profile_head(struct ss *s, const char *name, uint64_t total)
{
	FILE *f = s->out;

	fputs("{\"type\":\"sampled\",\"name\":", f);
	put_str(f, name);
	fputs(",\"unit\":\"nanoseconds\",\"startValue\":0,\"endValue\":", f);
	wp_conv_put_u64(f, total);
	fputs(",\"samples\":[", f);
}

static int write_thread(struct ss *s, const struct tl_thread *th)
{
	char name[128];
	size_t i;
	bool first = true;
	FILE *f = s->out;

	snprintf(name, sizeof(name), "%.64s (pid %u, tid %u)", th->comm[0] ? th->comm : "?",
		 th->pid, th->tid);
	profile_head(s, name, th->weight);
	for (i = 0; i < th->n; i++) {
		if (!th->runs[i].weight)
			continue;
		if (write_run(s, th, &th->runs[i], first))
			return -ENOMEM;
		first = false;
	}
	fputs("],\"weights\":[", f);
	first = true;
	for (i = 0; i < th->n; i++) {
		if (!th->runs[i].weight)
			continue;
		if (!first)
			putc(',', f);
		wp_conv_put_u64(f, th->runs[i].weight);
		first = false;
	}
	fputs("]}", f);
	return 0;
}

struct ref {
	uint32_t thread, run;
};

static const struct wp_timeline *sort_t;

static int ref_cmp(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;
	const struct tl_run *rx = &sort_t->threads[x->thread].runs[x->run];
	const struct tl_run *ry = &sort_t->threads[y->thread].runs[y->run];

	if (rx->start != ry->start)
		return rx->start < ry->start ? -1 : 1;
	return rx->seq < ry->seq ? -1 : rx->seq > ry->seq;
}

/* --merge: every thread's runs in one time order. */
static int write_merged(struct ss *s)
{
	const struct wp_timeline *t = &s->t;
	struct ref *refs;
	size_t i, k, n = 0, w = 0;
	uint64_t total = 0;
	bool first = true;
	FILE *f = s->out;

	for (i = 0; i < t->n; i++) {
		n += t->threads[i].n;
		total = total + t->threads[i].weight < total ? UINT64_MAX
								 : total + t->threads[i].weight;
	}
	refs = malloc((n ? n : 1) * sizeof(*refs));
	if (!refs)
		return -ENOMEM;
	for (i = 0; i < t->n; i++)
		for (k = 0; k < t->threads[i].n; k++)
			if (t->threads[i].runs[k].weight)
				refs[w++] = (struct ref){ (uint32_t)i, (uint32_t)k };
	sort_t = t;
	qsort(refs, w, sizeof(*refs), ref_cmp);
	profile_head(s, "all threads", total);
	for (i = 0; i < w; i++) {
		if (write_run(s, &t->threads[refs[i].thread],
			      &t->threads[refs[i].thread].runs[refs[i].run], first)) {
			free(refs);
			return -ENOMEM;
		}
		first = false;
	}
	fputs("],\"weights\":[", f);
	for (i = 0; i < w; i++) {
		if (i)
			putc(',', f);
		wp_conv_put_u64(f, t->threads[refs[i].thread].runs[refs[i].run].weight);
	}
	fputs("]}", f);
	free(refs);
	return 0;
}

static void write_frame(FILE *f, const char *name, const char *file, uint32_t line,
			bool first)
{
	if (!first)
		putc(',', f);
	fputs("{\"name\":", f);
	put_str(f, name[0] ? name : "[unknown]");
	if (file && file[0]) {
		fputs(",\"file\":", f);
		put_str(f, file);
	}
	if (line) {
		fputs(",\"line\":", f);
		wp_conv_put_u64(f, line);
	}
	putc('}', f);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s && s[1] ? s + 1 : path;
}

int wp_convert_speedscope(struct wp_convert_ctx *c)
{
	struct ss s = { .c = c, .p = c->prof, .out = c->out };
	size_t i, heaviest = 0;
	uint32_t k;
	FILE *f = c->out;
	int ret;

	s.nf = (uint32_t)wp_profile__nframes(s.p);
	ret = wp_timeline__build(&s.t, c);
	if (!ret && c->lines)
		ret = line_frames(&s);
	if (ret)
		goto out;
	s.reason_base = s.nf;
	s.unknown = s.nf + NREASONS;
	if (!s.t.events)
		pr_warn("%s: no samples selected: the profile is empty", c->input);
	for (i = 1; i < s.t.n; i++)
		if (s.t.threads[i].weight > s.t.threads[heaviest].weight)
			heaviest = i;

	fputs("{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\","
	      "\"exporter\":\"wp-convert " WP_VERSION "\",\"name\":", f);
	put_str(f, base_name(c->input));
	fprintf(f, ",\"activeProfileIndex\":%zu,\"profiles\":[", c->merge ? 0 : heaviest);
	if (c->merge) {
		ret = write_merged(&s);
	} else {
		for (i = 0; i < s.t.n && !ret; i++) {
			if (i)
				putc(',', f);
			ret = write_thread(&s, &s.t.threads[i]);
		}
	}
	if (ret)
		goto out;
	fputs("],\"shared\":{\"frames\":[", f);
	for (k = 0; k < s.nf; k++) {
		const struct wp_frame *fr = wp_profile__frame(s.p, c->lines ? s.lf_frame[k] : k);
		const struct wp_srcpos *sp = c->lines ? wp_profile__srcpos(s.p, s.lf_pos[k]) : NULL;
		const char *file = sp && sp->file ? sp->file : fr->file ? fr->file : fr->module;

		write_frame(f, fr->name, file, sp ? sp->line : 0, k == 0);
	}
	for (k = 0; k < NREASONS; k++)
		write_frame(f, wp_timeline_reason_frame(k), NULL, 0, s.nf == 0 && k == 0);
	write_frame(f, "[unknown stack]", NULL, 0, false);
	for (i = 0; i < s.ncomms; i++)
		write_frame(f, s.comms[i], NULL, 0, false);
	fputs("]}}\n", f);
	ret = fflush(f) || ferror(f) ? -EIO : 0;
out:
	wp_timeline__release(&s.t);
	free(s.lf_frame);
	free(s.lf_pos);
	wp_map__release(&s.lf_index);
	free(s.comms);
	wp_map__release(&s.comm_index);
	return ret;
}
