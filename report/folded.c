/* SPDX-License-Identifier: MIT */
#include "report/folded.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

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

/* Distinct lines: the arena holds the text, counts[i] its total. */
struct lines {
	struct wp_arena text;
	uint32_t *offs;
	uint64_t *counts;
	size_t n, offs_cap, counts_cap;
	struct wp_map index; /* hash -> line index (probed on collision) */
};

static int lines_add(struct lines *l, const struct wp_strbuf *b, uint64_t count)
{
	uint64_t h = wp_hash_bytes(b->s, b->len, 0), idx;

	for (;; h = wp_hash64(h + 1)) {
		const char *s;

		if (!wp_map__get(&l->index, h, &idx))
			break;
		s = wp_arena__str(&l->text, l->offs[idx]);
		if (strlen(s) == b->len && memcmp(s, b->s, b->len) == 0) {
			l->counts[idx] += count;
			return 0;
		}
	}
	if (WP_GROW(l->offs, l->offs_cap, l->n + 1) ||
	    WP_GROW(l->counts, l->counts_cap, l->n + 1) ||
	    wp_arena__add(&l->text, b->s, b->len, &l->offs[l->n]) ||
	    wp_map__put(&l->index, h, l->n))
		return -ENOMEM;
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
		       struct wp_strbuf *b)
{
	const uint32_t *fr = wp_profile__group_frames(p, g);
	uint32_t i;

	wp_strbuf__reset(b);
	wp_folded_escape(b, g->comm);
	/* frames are leaf first: write them backwards, user root first */
	for (i = g->nframes; i > 0; i--) {
		const struct wp_frame *f = wp_profile__frame(p, fr[i - 1]);

		wp_strbuf__addc(b, ';');
		wp_folded_escape(b, f->name);
		if (f->flags & WP_FRAME_KERNEL)
			wp_strbuf__add(b, "_[k]", 4);
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
		uint64_t v = o->unit == WP_UNIT_SAMPLES ? g->count : g->weight;

		if (o->kinds && !(o->kinds & (1u << g->kind)))
			continue;
		if (o->filter && !wp_filter__match(o->filter, g))
			continue;
		if (v == 0)
			continue;
		build_line(p, g, &b);
		if (b.oom || lines_add(&l, &b, v))
			goto out;
	}
	order = malloc((l.n ? l.n : 1) * sizeof(*order));
	if (!order)
		goto out;
	for (i = 0; i < l.n; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, l.n, sizeof(*order), line_cmp, &l);
	for (i = 0; i < l.n; i++) {
		fputs(wp_arena__str(&l.text, l.offs[order[i]]), f);
		fprintf(f, " %" PRIu64 "\n", l.counts[order[i]]);
		st->total += l.counts[order[i]];
	}
	st->lines = l.n;
	ret = fflush(f) || ferror(f) ? -EIO : 0;
out:
	free(order);
	wp_strbuf__release(&b);
	wp_arena__release(&l.text);
	free(l.offs);
	free(l.counts);
	wp_map__release(&l.index);
	return ret;
}
