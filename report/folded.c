/* SPDX-License-Identifier: MIT */
#include "report/folded.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

const char *wp_unit__name(enum wp_unit u)
{
	switch (u) {
	case WP_UNIT_NS:
		return "ns";
	case WP_UNIT_US:
		return "us";
	case WP_UNIT_MS:
		return "ms";
	default:
		return "samples";
	}
}

int wp_unit__parse(const char *name, enum wp_unit *u)
{
	static const enum wp_unit all[] = { WP_UNIT_SAMPLES, WP_UNIT_NS, WP_UNIT_US, WP_UNIT_MS };
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(name, wp_unit__name(all[i])) == 0) {
			*u = all[i];
			return 0;
		}
	}
	return -EINVAL;
}

static uint64_t div_round(uint64_t v, uint64_t d)
{
	return v / d + (v % d >= d - d / 2); /* half up, without overflow */
}

uint64_t wp_unit__from_ns(const struct wp_profile *p, uint64_t ns, enum wp_unit u)
{
	switch (u) {
	case WP_UNIT_NS:
		return ns;
	case WP_UNIT_US:
		return div_round(ns, 1000u);
	case WP_UNIT_MS:
		return div_round(ns, 1000000u);
	default: {
		/* ns / (1e9 / freq), exactly: ns * freq / 1e9 */
		unsigned __int128 x = (unsigned __int128)ns * wp_profile__freq_hz(p) + 500000000u;

		x /= 1000000000u;
		return x > UINT64_MAX ? UINT64_MAX : (uint64_t)x;
	}
	}
}

uint64_t wp_group__value(const struct wp_profile *p, const struct wp_group *g,
			 enum wp_unit u)
{
	if (u == WP_UNIT_SAMPLES && g->kind == WP_EVENT_ONCPU)
		return g->count;
	return wp_unit__from_ns(p, g->weight, u);
}

void wp_folded_escape(struct wp_strbuf *b, const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n = strlen(name), i = 0;

	if (n == 0) {
		wp_strbuf__add(b, "[unknown]", 9);
		return;
	}
	while (i < n) {
		unsigned char c = s[i];
		uint32_t cp;
		size_t len;

		if (c >= 0x20 && c < 0x7f) {
			wp_strbuf__addc(b, c == ';' ? ':' : (char)c);
			i++;
			continue;
		}
		len = c >= 0x80 ? wp_utf8_seq(s + i, n - i, &cp) : 0;
		if (len == 0) {
			wp_strbuf__addc(b, '?'); /* control byte, DEL, invalid UTF-8 */
			i++;
			continue;
		}
		wp_strbuf__add(b, s + i, len);
		i += len;
	}
}


const char *wp_folded_suffix(const struct wp_frame *f)
{
	if (f->flags & WP_FRAME_KERNEL)
		return "_[k]";
	if (f->flags & WP_FRAME_INLINED)
		return "_[i]";
	if (f->flags & WP_FRAME_JIT)
		return "_[j]";
	return "";
}

const char *wp_frame_tag(const struct wp_frame *f)
{
	if (f->flags & WP_FRAME_KERNEL)
		return "[k] ";
	if (f->flags & WP_FRAME_INLINED)
		return "[i] ";
	if (f->flags & WP_FRAME_JIT)
		return "[j] ";
	return "";
}

/*
 * Distinct lines: the arena holds the text, counts[i] its exact total
 * (samples, or ns: in_ns[i]), converted and rounded when written.
 */
struct lines {
	struct wp_arena text;
	uint32_t *offs;
	uint64_t *counts;
	bool *in_ns;
	size_t n, offs_cap, counts_cap, in_ns_cap;
	struct wp_map index; /* hash -> line index (probed on collision) */
};

static int lines_add(struct lines *l, const struct wp_strbuf *b, uint64_t count, bool in_ns)
{
	uint64_t h = wp_hash_bytes(b->s, b->len, 0), idx;

	for (;; h = wp_hash64(h + 1)) {
		const char *s;

		if (!wp_map__get(&l->index, h, &idx))
			break;
		s = wp_arena__str(&l->text, l->offs[idx]);
		if (strlen(s) == b->len && memcmp(s, b->s, b->len) == 0) {
			/* a line is on- or off-CPU (the marker): one unit per line */
			l->counts[idx] = l->counts[idx] > UINT64_MAX - count ?
					 UINT64_MAX : l->counts[idx] + count;
			return 0;
		}
	}
	if (WP_GROW(l->offs, l->offs_cap, l->n + 1) ||
	    WP_GROW(l->counts, l->counts_cap, l->n + 1) ||
	    WP_GROW(l->in_ns, l->in_ns_cap, l->n + 1) ||
	    wp_arena__add(&l->text, b->s, b->len, &l->offs[l->n]) ||
	    wp_map__put(&l->index, h, l->n))
		return -ENOMEM;
	l->in_ns[l->n] = in_ns;
	l->counts[l->n++] = count;
	return 0;
}

static int line_cmp(const void *a, const void *b, void *arg)
{
	const struct lines *l = arg;

	return strcmp(wp_arena__str(&l->text, l->offs[*(const uint32_t *)a]),
		      wp_arena__str(&l->text, l->offs[*(const uint32_t *)b]));
}

static void build_line(const struct wp_profile *p, const struct wp_group *g,
		       bool per_thread, struct wp_strbuf *b)
{
	const uint32_t *fr = wp_profile__group_frames(p, g);
	char tid[16];
	uint32_t i;

	wp_strbuf__reset(b);
	wp_folded_escape(b, g->comm);
	if (per_thread) {
		snprintf(tid, sizeof(tid), "-%" PRIu32, g->tid);
		wp_strbuf__add(b, tid, strlen(tid));
	}
	/* frames are leaf first: write them backwards, user root first */
	for (i = g->nframes; i > 0; i--) {
		const struct wp_frame *f = wp_profile__frame(p, fr[i - 1]);

		wp_strbuf__addc(b, ';');
		wp_folded_escape(b, f->name);
		wp_strbuf__add(b, wp_folded_suffix(f), strlen(wp_folded_suffix(f)));
	}
	if (g->kind == WP_EVENT_OFFCPU) {
		const char *r = wp_offcpu_reason__name(g->reason);

		wp_strbuf__add(b, ";[off-cpu:", 10);
		wp_strbuf__add(b, r, strlen(r));
		wp_strbuf__addc(b, ']');
	}
}

int wp_folded_write(const struct wp_profile *p, const struct wp_folded_opts *o,
		    FILE *f, struct wp_folded_stats *st)
{
	struct lines l;
	struct wp_strbuf b = { 0 };
	uint32_t *order = NULL;
	size_t i, n = wp_profile__ngroups(p);
	int ret = -ENOMEM;

	memset(&l, 0, sizeof(l));
	memset(st, 0, sizeof(*st));
	for (i = 0; i < n; i++) {
		const struct wp_group *g = wp_profile__group(p, i);
		bool in_ns = !(o->unit == WP_UNIT_SAMPLES && g->kind == WP_EVENT_ONCPU);
		uint64_t v = in_ns ? g->weight : g->count;

		if (o->kinds && !(o->kinds & (1u << g->kind)))
			continue;
		if (o->filter && !wp_filter__match(o->filter, g))
			continue;
		if (v == 0)
			continue;
		build_line(p, g, o->per_thread, &b);
		if (b.oom || lines_add(&l, &b, v, in_ns))
			goto out;
	}
	order = malloc((l.n ? l.n : 1) * sizeof(*order));
	if (!order)
		goto out;
	for (i = 0; i < l.n; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, l.n, sizeof(*order), line_cmp, &l);
	for (i = 0; i < l.n; i++) {
		uint32_t k = order[i];
		uint64_t v = l.in_ns[k] ? wp_unit__from_ns(p, l.counts[k], o->unit) : l.counts[k];

		if (v == 0) {
			st->dropped_lines++;
			st->dropped_ns += l.in_ns[k] ? l.counts[k] : 0;
			continue;
		}
		fputs(wp_arena__str(&l.text, l.offs[k]), f);
		fprintf(f, " %" PRIu64 "\n", v);
		st->total += v;
		st->lines++;
	}
	ret = fflush(f) || ferror(f) ? -EIO : 0;
out:
	free(order);
	wp_strbuf__release(&b);
	wp_arena__release(&l.text);
	free(l.offs);
	free(l.counts);
	free(l.in_ns);
	wp_map__release(&l.index);
	return ret;
}
