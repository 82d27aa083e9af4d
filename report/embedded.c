/* SPDX-License-Identifier: MIT */
/*
 * Names stored in the recording. See embedded.h.
 *
 * Records are kept as read (string ids, not strings: a STRING may come
 * after its first use); attach() turns them into names once the whole
 * file is loaded. SYMBOL and SRCLINE go to the symbolizer's DSO of the
 * same (path, build-id) as the MMAP records name it, so a stored name can
 * never be used for a binary with another build-id. JIT symbols are
 * sorted by (pid, start, file order) and looked up by binary search; of
 * the entries covering an address, the one read last wins.
 */
#include "report/embedded.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report/profile_int.h"
#include "report/symbols.h"
#include "report/util.h"

#define JIT_SCAN 64 /* overlapping JIT entries examined per lookup */

struct emb_bin {
	uint32_t path_str;
	uint8_t build_id_len;
	uint8_t build_id[WPD_BUILD_ID_MAX];
};

struct emb_sym {
	uint32_t bin, name_str;
	uint64_t start, size;
};

struct emb_line {
	uint32_t bin;
	uint32_t off, n; /* into frames */
	uint64_t addr;
};

struct emb_jit {
	uint32_t pid, name_str;
	uint64_t start, size;
	uint64_t seq; /* file order */
};

struct wp_embedded {
	struct emb_bin *bins;
	size_t nbins, bins_cap;
	struct wp_map bin_idx; /* hash -> index (probed) */
	struct emb_sym *syms;
	size_t nsyms, syms_cap;
	struct emb_line *lines;
	size_t nlines, lines_cap;
	struct wpd_srcframe *frames;
	size_t nframes, frames_cap;
	struct emb_jit *jits;
	size_t njits, jits_cap;
	struct wp_map jit_pids; /* pid -> 1 */
	bool attached;
};

void wp_embedded__free(struct wp_embedded *e)
{
	if (!e)
		return;
	free(e->bins);
	wp_map__release(&e->bin_idx);
	free(e->syms);
	free(e->lines);
	free(e->frames);
	free(e->jits);
	wp_map__release(&e->jit_pids);
	free(e);
}

static int bin_index(struct wp_embedded *e, const struct wpd_binary *b, uint32_t *out)
{
	uint64_t h = wp_hash_bytes(b->build_id, b->build_id_len,
				   ((uint64_t)b->path_str << 8) | b->build_id_len), idx;

	for (;; h = wp_hash64(h + 1)) {
		const struct emb_bin *x;

		if (!wp_map__get(&e->bin_idx, h, &idx))
			break;
		x = &e->bins[idx];
		if (x->path_str == b->path_str && x->build_id_len == b->build_id_len &&
		    memcmp(x->build_id, b->build_id, b->build_id_len) == 0) {
			*out = (uint32_t)idx;
			return 0;
		}
	}
	if (e->nbins >= UINT32_MAX || WP_GROW(e->bins, e->bins_cap, e->nbins + 1) ||
	    wp_map__put(&e->bin_idx, h, e->nbins))
		return -ENOMEM;
	e->bins[e->nbins].path_str = b->path_str;
	e->bins[e->nbins].build_id_len = b->build_id_len;
	memcpy(e->bins[e->nbins].build_id, b->build_id, WPD_BUILD_ID_MAX);
	*out = (uint32_t)e->nbins++;
	return 0;
}

static int load_symbol(struct wp_embedded *e, const struct wpd_record *rec)
{
	struct wpd_symbol_iter it;
	struct wpd_sym s;
	uint32_t bin;
	int ret;

	if (wpd_symbol_iter__init(&it, rec) < 0)
		return -EBADMSG;
	if (bin_index(e, &it.bin, &bin))
		return -ENOMEM;
	while ((ret = wpd_symbol_iter__next(&it, &s)) == 1) {
		if (s.size == 0 || s.name_str == 0)
			continue;
		if (WP_GROW(e->syms, e->syms_cap, e->nsyms + 1))
			return -ENOMEM;
		e->syms[e->nsyms++] = (struct emb_sym){ bin, s.name_str, s.start, s.size };
	}
	return ret;
}

static int load_srcline(struct wp_embedded *e, const struct wpd_record *rec)
{
	static struct wpd_srcline l; /* 784 bytes: not on the stack */
	struct wpd_srcline_iter it;
	uint32_t bin;
	int ret;

	if (wpd_srcline_iter__init(&it, rec) < 0)
		return -EBADMSG;
	if (bin_index(e, &it.bin, &bin))
		return -ENOMEM;
	while ((ret = wpd_srcline_iter__next(&it, &l)) == 1) {
		uint32_t n = l.nframes < WP_INLINE_MAX ? l.nframes : WP_INLINE_MAX;

		if (e->nframes + n > UINT32_MAX ||
		    WP_GROW(e->frames, e->frames_cap, e->nframes + n) ||
		    WP_GROW(e->lines, e->lines_cap, e->nlines + 1))
			return -ENOMEM;
		/* a chain cut to WP_INLINE_MAX keeps its outermost frame */
		memcpy(e->frames + e->nframes, l.frames, (n - 1) * sizeof(l.frames[0]));
		e->frames[e->nframes + n - 1] = l.frames[l.nframes - 1];
		e->lines[e->nlines++] = (struct emb_line){ bin, (uint32_t)e->nframes, n, l.addr };
		e->nframes += n;
	}
	return ret;
}

static int load_jitsym(struct wp_embedded *e, const struct wpd_record *rec)
{
	struct wpd_jitsym_iter it;
	struct wpd_sym s;
	int ret;

	if (wpd_jitsym_iter__init(&it, rec) < 0)
		return -EBADMSG;
	if (wp_map__put(&e->jit_pids, it.pid, 1))
		return -ENOMEM;
	while ((ret = wpd_jitsym_iter__next(&it, &s)) == 1) {
		if (s.size == 0 || s.name_str == 0)
			continue;
		if (WP_GROW(e->jits, e->jits_cap, e->njits + 1))
			return -ENOMEM;
		e->jits[e->njits] = (struct emb_jit){ it.pid, s.name_str, s.start, s.size, e->njits };
		e->njits++;
	}
	return ret;
}

int wp_embedded__load(struct wp_embedded **ep, const struct wpd_record *rec)
{
	struct wp_embedded *e = *ep;
	int ret;

	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return -ENOMEM;
		*ep = e;
	}
	switch (rec->type) {
	case WPD_REC_SYMBOL:
		ret = load_symbol(e, rec);
		break;
	case WPD_REC_SRCLINE:
		ret = load_srcline(e, rec);
		break;
	case WPD_REC_JITSYM:
		ret = load_jitsym(e, rec);
		break;
	default:
		ret = 0;
	}
	return ret < 0 ? ret : 0;
}

static int jit_cmp(const void *a, const void *b)
{
	const struct emb_jit *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int wp_embedded__attach(struct wp_embedded *e, const struct wp_profile *p,
			struct wp_symbolizer *s)
{
	struct wp_srcframe fr[WP_INLINE_MAX];
	struct wp_dso **dsos;
	size_t i, k;
	int ret = -ENOMEM;

	if (!e || e->attached)
		return 0;
	e->attached = true;
	if (e->njits > 1)
		qsort(e->jits, e->njits, sizeof(*e->jits), jit_cmp);
	if (!s)
		return 0;
	dsos = calloc(e->nbins ? e->nbins : 1, sizeof(*dsos));
	if (!dsos)
		return -ENOMEM;
	for (i = 0; i < e->nbins; i++) {
		const char *path = prof_str(p, e->bins[i].path_str, NULL);

		/* the path as resolve.c names a mapping's DSO */
		if (!path)
			path = "[unknown]";
		else if (!path[0])
			path = "[anon]";
		dsos[i] = wp_symbolizer__dso(s, path, e->bins[i].build_id, e->bins[i].build_id_len);
		if (!dsos[i])
			goto out;
	}
	for (i = 0; i < e->nsyms; i++) {
		const struct emb_sym *x = &e->syms[i];
		struct wp_esym es = { x->start, x->size, prof_str(p, x->name_str, NULL) };

		if (es.name && es.name[0] && wp_dso__add_embedded_sym(dsos[x->bin], &es))
			goto out;
	}
	for (i = 0; i < e->nlines; i++) {
		const struct emb_line *l = &e->lines[i];

		for (k = 0; k < l->n; k++) {
			const struct wpd_srcframe *f = &e->frames[l->off + k];
			const char *name = prof_str(p, f->name_str, NULL);
			const char *file = prof_str(p, f->file_str, NULL);

			fr[k].name = name && name[0] ? name : NULL;
			fr[k].file = file && file[0] ? file : NULL;
			fr[k].line = f->line;
			fr[k].inlined = k + 1 < l->n;
		}
		if (wp_dso__add_embedded_frames(dsos[l->bin], l->addr, fr, l->n))
			goto out;
	}
	ret = 0;
out:
	free(dsos);
	return ret;
}

int wp_embedded__has_jit(const struct wp_embedded *e, uint32_t pid)
{
	uint64_t v;

	return e && wp_map__get(&e->jit_pids, pid, &v);
}

const char *wp_embedded__jit(const struct wp_embedded *e, const struct wp_profile *p,
			     uint32_t pid, uint64_t addr)
{
	const struct emb_jit *best = NULL;
	size_t lo = 0, hi, k;

	if (!e || !e->njits)
		return NULL;
	hi = e->njits;
	/* the first entry after (pid, addr) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct emb_jit *j = &e->jits[mid];

		if (j->pid < pid || (j->pid == pid && j->start <= addr))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (k = 0; k < JIT_SCAN && lo > 0; k++, lo--) {
		const struct emb_jit *j = &e->jits[lo - 1];

		if (j->pid != pid)
			break;
		if (addr - j->start < j->size && (!best || j->seq > best->seq))
			best = j;
	}
	return best ? prof_str(p, best->name_str, NULL) : NULL;
}

void wp_embedded__stats(const struct wp_embedded *e, struct wp_embedded_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!e)
		return;
	st->binaries = e->nbins;
	st->symbols = e->nsyms;
	st->srclines = e->nlines;
	st->jit_symbols = e->njits;
}
