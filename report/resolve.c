/* SPDX-License-Identifier: MIT */
/*
 * From raw groups to frames.
 *
 * Address spaces: a process has one per exec generation (epoch 0 before
 * its first MMAP_RESET, epoch i after the i-th). A mapping belongs to the
 * generation in effect at its time; a group to the one its mm_epoch names.
 *
 * Caches, so that the work is proportional to distinct things:
 *   (stack, address space) -> resolved frame list     (stack_cache)
 *   (binary, file offset)  -> frame ids               (user_cache, chains)
 *   (address space, addr)  -> JIT frame id            (jit_cache)
 *   kernel address         -> frame id                (kernel_cache)
 *   (name, module, flags)  -> frame id                (frame_index)
 *
 * Inline expansion happens here, once for every consumer: a user address
 * becomes the functions inlined at it (WP_FRAME_INLINED, innermost first)
 * followed by the function the code belongs to, unless
 * wp_resolve_opts.no_inline. Addresses in anonymous executable memory (or
 * in no known mapping) of a process with JIT symbols in the recording are
 * named from them (WP_FRAME_JIT, module "[jit]").
 *
 * Addresses: the leaf IP is looked up as is; a caller's is a return
 * address, looked up at ip - 1 so that a call ending its function (e.g.
 * to a noreturn function) names the caller, not the next function.
 * Unresolved user frames are named "module+0xOFF" with OFF the file
 * offset of that looked-up address.
 */
#include "report/profile_int.h"
#include "report/embedded.h"
#include "report/filter.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NO_AS UINT32_MAX
#define OFF_BITS 44 /* user cache key: dso index << OFF_BITS | file offset */
#define ADDR_BITS 47 /* JIT cache key: address space << ADDR_BITS | address */
#define CHAIN_BITS 6 /* user cache value: chain offset << CHAIN_BITS | frames */
#define USER_FRAMES_MAX (WPD_STACK_MAX_FRAMES * (WP_INLINE_MAX + 1))
#define KSYM_SIZE0_MAX (64u << 10)

struct frame_int {
	uint32_t name_off, module_off, flags;
	uint32_t file_off1; /* its source file in fstrs + 1, 0 unknown */
};

struct pos_int {
	uint32_t file_off1, line;
};

struct rstack {
	uint32_t off, n, nkernel;
};

struct resolver {
	struct wp_profile *p;
	/* address spaces: CSR of mmap indexes, each slice sorted by start */
	uint32_t nas;
	uint32_t *as_off;  /* nas + 1 */
	uint32_t *as_maps;
	uint32_t *as_pid;  /* nas */
	bool no_inline;
	uint32_t *chains;  /* user_cache's frame id lists */
	size_t nchains, chains_cap;
	uint32_t *chains_pos; /* and their source positions */
	size_t chains_pos_cap;
	struct pos_int *pints; /* source positions: id - 1 */
	size_t npints, pints_cap;
	struct wp_map pos_index;
	struct wp_map jit_cache;
	/* frames */
	struct frame_int *fints;
	size_t nfints, fints_cap;
	struct wp_map frame_index;
	struct wp_map user_cache, kernel_cache, stack_cache;
	struct rstack *rstacks;
	size_t nrstacks, rstacks_cap;
	uint32_t unknown_user, no_stack, unknown_stack; /* + 1; 0: not made */
	uint32_t truncated, not_walked;                /* likewise */
	uint32_t *scratch; /* one resolved stack */
	uint32_t *scratch_pos; /* its source positions */
};

/* ---- frames ----------------------------------------------------------- */

static uint64_t frame_hash(const char *name, size_t nlen, const char *mod,
			   size_t mlen, uint32_t flags)
{
	return wp_hash_bytes(name, nlen, wp_hash_bytes(mod, mlen, flags));
}

/* The id of a frame, made if new. 0 and *id, or -ENOMEM. */
static int intern(struct resolver *r, const char *name, size_t nlen,
		  const char *mod, size_t mlen, uint32_t flags, uint32_t *id)
{
	struct wp_profile *p = r->p;
	struct frame_int *f;
	uint64_t h, idx;

	h = frame_hash(name, nlen, mod, mlen, flags);
	for (;; h = wp_hash64(h + 1)) {
		const char *fn, *fm;

		if (!wp_map__get(&r->frame_index, h, &idx))
			break;
		f = &r->fints[idx];
		fn = wp_arena__str(&p->fstrs, f->name_off);
		fm = wp_arena__str(&p->fstrs, f->module_off);
		if (f->flags == flags && strlen(fn) == nlen && memcmp(fn, name, nlen) == 0 &&
		    strlen(fm) == mlen && memcmp(fm, mod, mlen) == 0) {
			*id = (uint32_t)idx;
			return 0;
		}
	}
	if (r->nfints >= UINT32_MAX - 1 || WP_GROW(r->fints, r->fints_cap, r->nfints + 1))
		return -ENOMEM;
	f = &r->fints[r->nfints];
	f->flags = flags;
	f->file_off1 = 0;
	if (wp_arena__add(&p->fstrs, name, nlen, &f->name_off) ||
	    wp_arena__add(&p->fstrs, mod, mlen, &f->module_off) ||
	    wp_map__put(&r->frame_index, h, r->nfints))
		return -ENOMEM;
	*id = (uint32_t)r->nfints++;
	return 0;
}

static int intern_str(struct resolver *r, const char *name, const char *mod,
		      uint32_t flags, uint32_t *id)
{
	return intern(r, name, strlen(name), mod, strlen(mod), flags, id);
}

/* A frame made once and remembered in *slot (id + 1). */
static int fixed_frame(struct resolver *r, uint32_t *slot, const char *name,
		       const char *mod, uint32_t flags, uint32_t *id)
{
	if (!*slot) {
		if (intern_str(r, name, mod, flags, id))
			return -ENOMEM;
		*slot = *id + 1;
	}
	*id = *slot - 1;
	return 0;
}

/* ---- kernel ----------------------------------------------------------- */

static int ksym_cmp(const void *a, const void *b)
{
	const struct prof_ksym *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	/* equal starts: the sized one first, then by name id (stable) */
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->name_str < y->name_str ? -1 : x->name_str > y->name_str;
}

static void sort_ksyms(struct wp_profile *p)
{
	size_t i, out;

	if (p->nksyms > 1)
		qsort(p->ksyms, p->nksyms, sizeof(*p->ksyms), ksym_cmp);
	for (i = 0, out = 0; i < p->nksyms; i++)
		if (!out || p->ksyms[out - 1].start != p->ksyms[i].start)
			p->ksyms[out++] = p->ksyms[i];
	p->nksyms = out;
}

static const struct prof_ksym *ksym_find(const struct wp_profile *p, uint64_t addr)
{
	size_t lo = 0, hi = p->nksyms;
	const struct prof_ksym *k;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->ksyms[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	k = &p->ksyms[lo - 1];
	if (k->size)
		return addr - k->start < k->size ? k : NULL;
	/* size unknown: up to the next stored symbol, within reason */
	if (lo < p->nksyms && addr >= p->ksyms[lo].start)
		return NULL;
	return addr - k->start < KSYM_SIZE0_MAX ? k : NULL;
}

static int kernel_frame(struct resolver *r, uint64_t addr, uint32_t *id)
{
	struct wp_profile *p = r->p;
	const struct prof_ksym *k;
	uint64_t v;
	char modbuf[WPD_STRING_MAX + 3];
	const char *name, *mod = "[kernel.kallsyms]";
	uint32_t nlen, mlen;

	if (wp_map__get(&r->kernel_cache, addr, &v)) {
		*id = (uint32_t)v;
		return 0;
	}
	k = ksym_find(p, addr);
	name = k ? prof_str(p, k->name_str, &nlen) : NULL;
	if (k && k->module_str) {
		const char *m = prof_str(p, k->module_str, &mlen);

		if (m && mlen && mlen <= WPD_STRING_MAX) {
			/* "[ext4]", as perf shows modules */
			modbuf[0] = '[';
			memcpy(modbuf + 1, m, mlen);
			modbuf[mlen + 1] = ']';
			modbuf[mlen + 2] = '\0';
			mod = modbuf;
		}
	}
	if (name && nlen) {
		if (intern(r, name, nlen, mod, strlen(mod), WP_FRAME_KERNEL, id))
			return -ENOMEM;
	} else if (intern_str(r, "[unknown]", mod, WP_FRAME_KERNEL | WP_FRAME_UNRESOLVED, id)) {
		return -ENOMEM;
	}
	return wp_map__put(&r->kernel_cache, addr, *id);
}

/* ---- user ------------------------------------------------------------- */

/* Mapping indexes by start address, then file order. */
static int as_map_cmp(const void *a, const void *b, void *arg)
{
	const struct prof_mmap *maps = arg;
	const struct prof_mmap *x = &maps[*(const uint32_t *)a];
	const struct prof_mmap *y = &maps[*(const uint32_t *)b];

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Number of resets at or before t: the generation a time falls in. */
static uint32_t epoch_index(const struct pid_state *ps, uint64_t t)
{
	size_t lo = 0, hi = ps->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ps->resets[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (uint32_t)lo;
}

static int build_address_spaces(struct resolver *r)
{
	struct wp_profile *p = r->p;
	uint32_t *fill;
	size_t i, total = 0;

	for (i = 0; i < p->npids; i++) {
		p->pids[i].as_base = (uint32_t)total;
		total += p->pids[i].n + 1;
		if (total >= NO_AS)
			return -ENOMEM;
	}
	r->nas = (uint32_t)total;
	r->as_pid = calloc(total + 1, sizeof(*r->as_pid));
	if (!r->as_pid)
		return -ENOMEM;
	for (i = 0; i < p->npids; i++)
		for (size_t k = 0; k <= p->pids[i].n; k++)
			r->as_pid[p->pids[i].as_base + k] = p->pids[i].pid;
	r->as_off = calloc(total + 1, sizeof(*r->as_off));
	r->as_maps = malloc((p->nmmaps ? p->nmmaps : 1) * sizeof(*r->as_maps));
	fill = calloc(total + 1, sizeof(*fill));
	if (!r->as_off || !r->as_maps || !fill) {
		free(fill);
		return -ENOMEM;
	}
	/* every mmap's pid has a pid_state: load_mmap made it */
	for (i = 0; i < p->nmmaps; i++) {
		const struct pid_state *ps = prof_pid(p, p->mmaps[i].pid);

		r->as_off[ps->as_base + epoch_index(ps, p->mmaps[i].time) + 1]++;
	}
	for (i = 0; i < total; i++)
		r->as_off[i + 1] += r->as_off[i];
	for (i = 0; i < p->nmmaps; i++) {
		const struct pid_state *ps = prof_pid(p, p->mmaps[i].pid);
		uint32_t as = ps->as_base + epoch_index(ps, p->mmaps[i].time);

		r->as_maps[r->as_off[as] + fill[as]++] = (uint32_t)i;
	}
	free(fill);
	for (i = 0; i < total; i++)
		qsort_r(r->as_maps + r->as_off[i], r->as_off[i + 1] - r->as_off[i],
			sizeof(*r->as_maps), as_map_cmp, p->mmaps);
	return 0;
}

static struct prof_mmap *map_find(struct resolver *r, uint32_t as, uint64_t ip)
{
	struct wp_profile *p = r->p;
	const uint32_t *m;
	size_t lo, hi, n, k;

	if (as == NO_AS)
		return NULL;
	m = r->as_maps + r->as_off[as];
	n = r->as_off[as + 1] - r->as_off[as];
	lo = 0;
	hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->mmaps[m[mid]].start <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* overlapping maps (a region remapped): the closest start covering ip */
	for (k = 0; k < 8 && lo > 0; k++, lo--) {
		struct prof_mmap *mm = &p->mmaps[m[lo - 1]];

		if (ip < mm->end)
			return mm;
	}
	return NULL;
}

static struct wp_dso *map_dso(struct resolver *r, struct prof_mmap *m)
{
	const char *path;

	if (m->dso)
		return m->dso;
	path = prof_str(r->p, m->path_str, NULL);
	if (!path)
		path = "[unknown]";
	else if (!path[0])
		path = "[anon]";
	m->dso = wp_symbolizer__dso(r->p->sym, path, m->build_id, m->build_id_len);
	return m->dso;
}

/* Anonymous memory: where JIT code lives. */
static bool map_anon(struct resolver *r, const struct prof_mmap *m)
{
	const char *path;

	if (m->flags & WPD_MMAP_ANON_EXEC)
		return true;
	path = prof_str(r->p, m->path_str, NULL);
	return !path || !path[0] || strcmp(path, "//anon") == 0 ||
	       strncmp(path, "[anon", 5) == 0 || strncmp(path, "/memfd:", 7) == 0;
}

/* A JIT symbol of the address space's process: 1 and *id, 0 none. */
static int jit_frame(struct resolver *r, uint32_t as, uint64_t addr, uint32_t *id)
{
	struct wp_profile *p = r->p;
	uint64_t key = ((uint64_t)as << ADDR_BITS) | addr, v;
	bool cacheable = addr < (1ull << ADDR_BITS) && as < (1u << (63 - ADDR_BITS));
	const char *name;

	if (as == NO_AS || !wp_embedded__has_jit(p->emb, r->as_pid[as]))
		return 0;
	if (cacheable && wp_map__get(&r->jit_cache, key, &v)) {
		*id = (uint32_t)v;
		return 1;
	}
	name = wp_embedded__jit(p->emb, p, r->as_pid[as], addr);
	if (!name || !name[0])
		return 0;
	if (intern_str(r, name, "[jit]", WP_FRAME_JIT, id))
		return -ENOMEM;
	if (cacheable && wp_map__put(&r->jit_cache, key, *id))
		return -ENOMEM;
	return 1;
}

static int unresolved_frame(struct resolver *r, struct wp_dso *d, uint64_t off,
			    uint32_t flags, uint32_t *id)
{
	char buf[4096 + 32];
	int n;

	n = snprintf(buf, sizeof(buf), "%s+0x%" PRIx64, wp_dso__name(d), off);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = snprintf(buf, sizeof(buf), "[unknown]");
	return intern(r, buf, (size_t)n, wp_dso__name(d), strlen(wp_dso__name(d)),
		      WP_FRAME_UNRESOLVED | flags, id);
}

/* The id of a source position (0: unknown), made if new; the frame it
 * is a position of takes its file if it has none yet. 0 or -ENOMEM. */
static int srcpos(struct resolver *r, const char *file, uint32_t line, uint32_t frame,
		  uint32_t *id)
{
	struct wp_profile *p = r->p;
	size_t flen = file ? strlen(file) : 0;
	uint64_t h, idx;
	uint32_t off;

	*id = 0;
	if (!flen && !line)
		return 0;
	h = wp_hash_bytes(file ? file : "", flen, 0x5a11ull ^ line);
	for (;; h = wp_hash64(h + 1)) {
		const struct pos_int *q;
		const char *qf;

		if (!wp_map__get(&r->pos_index, h, &idx))
			break;
		q = &r->pints[idx];
		qf = q->file_off1 ? wp_arena__str(&p->fstrs, q->file_off1 - 1) : "";
		if (q->line == line && strlen(qf) == flen && memcmp(qf, file ? file : "", flen) == 0) {
			*id = (uint32_t)idx + 1;
			goto frame_file;
		}
	}
	if (r->npints >= UINT32_MAX - 1 || WP_GROW(r->pints, r->pints_cap, r->npints + 1))
		return -ENOMEM;
	r->pints[r->npints].line = line;
	r->pints[r->npints].file_off1 = 0;
	if (flen) {
		if (wp_arena__add(&p->fstrs, file, flen, &off))
			return -ENOMEM;
		r->pints[r->npints].file_off1 = off + 1;
	}
	if (wp_map__put(&r->pos_index, h, r->npints))
		return -ENOMEM;
	*id = (uint32_t)++r->npints;
frame_file:
	if (!r->fints[frame].file_off1)
		r->fints[frame].file_off1 = r->pints[*id - 1].file_off1;
	return 0;
}

static int named_frame(struct resolver *r, struct wp_dso *d, const char *raw,
		       uint32_t flags, uint32_t *id)
{
	char *pretty = wp_demangle(raw);
	int ret = intern_str(r, pretty ? pretty : raw, wp_dso__name(d), flags, id);

	free(pretty);
	return ret;
}

/* The frames of one looked-up file offset of d into out, their source
 * positions into pos: their count. */
static int dso_frames(struct resolver *r, struct wp_dso *d, uint64_t off, uint32_t *out,
		      uint32_t *pos, uint32_t *n)
{
	struct wp_srcframe fr[WP_INLINE_MAX];
	struct wp_sym sym;
	size_t k, i;

	pos[0] = 0;
	if (r->no_inline) {
		*n = 1;
		if (wp_dso__lookup(d, off, &sym) == 1)
			return named_frame(r, d, sym.name, 0, out);
		return unresolved_frame(r, d, off, 0, out);
	}
	k = wp_dso__lookup_frames(d, off, fr, WP_INLINE_MAX);
	if (k == 0) {
		*n = 1;
		return unresolved_frame(r, d, off, 0, out);
	}
	for (i = 0; i < k; i++) {
		uint32_t flags = fr[i].inlined ? WP_FRAME_INLINED : 0;
		int ret = fr[i].name ? named_frame(r, d, fr[i].name, flags, &out[i])
				     : unresolved_frame(r, d, off, flags, &out[i]);

		if (!ret)
			ret = srcpos(r, fr[i].file, fr[i].line, out[i], &pos[i]);
		if (ret)
			return ret;
	}
	*n = (uint32_t)k;
	return 0;
}

/* The frames of a user address, innermost first, at out (their source
 * positions at pos); *n of them. */
static int user_frames(struct resolver *r, uint32_t as, uint64_t addr, uint32_t *out,
		       uint32_t *pos, uint32_t *n)
{
	struct prof_mmap *m = map_find(r, as, addr);
	struct wp_dso *d;
	uint64_t off, key, v;
	bool cacheable;
	int ret;

	*n = 1;
	pos[0] = 0;
	if (!m || map_anon(r, m)) {
		ret = jit_frame(r, as, addr, out);
		if (ret)
			return ret < 0 ? ret : 0;
	}
	if (!m)
		return fixed_frame(r, &r->unknown_user, "[unknown]", "",
				   WP_FRAME_UNRESOLVED, out);
	d = map_dso(r, m);
	if (!d)
		return -ENOMEM;
	off = addr - m->start + m->pgoff;
	key = ((uint64_t)wp_dso__index(d) << OFF_BITS) | (off & ((1ull << OFF_BITS) - 1));
	cacheable = off < (1ull << OFF_BITS) && wp_dso__index(d) < (1u << (64 - OFF_BITS));
	if (cacheable && wp_map__get(&r->user_cache, key, &v)) {
		*n = (uint32_t)(v & ((1u << CHAIN_BITS) - 1));
		memcpy(out, r->chains + (v >> CHAIN_BITS), *n * sizeof(*out));
		memcpy(pos, r->chains_pos + (v >> CHAIN_BITS), *n * sizeof(*pos));
		return 0;
	}
	ret = dso_frames(r, d, off, out, pos, n);
	if (ret || !cacheable)
		return ret;
	if (WP_GROW(r->chains, r->chains_cap, r->nchains + *n) ||
	    WP_GROW(r->chains_pos, r->chains_pos_cap, r->nchains + *n))
		return -ENOMEM;
	memcpy(r->chains + r->nchains, out, *n * sizeof(*out));
	memcpy(r->chains_pos + r->nchains, pos, *n * sizeof(*pos));
	v = ((uint64_t)r->nchains << CHAIN_BITS) | *n;
	r->nchains += *n;
	return wp_map__put(&r->user_cache, key, v);
}

/* ---- stacks and groups ---------------------------------------------- */

static uint32_t pid_as(const struct wp_profile *p, uint32_t pid, uint64_t mm_epoch)
{
	const struct pid_state *ps = prof_pid(p, pid);

	if (!ps)
		return NO_AS;
	return ps->as_base + (mm_epoch ? epoch_index(ps, mm_epoch) : 0);
}

static int push_frames(struct resolver *r, size_t n, struct rstack *out)
{
	struct wp_profile *p = r->p;

	if (p->nframe_ids + n > UINT32_MAX ||
	    WP_GROW(p->frame_ids, p->frame_ids_cap, p->nframe_ids + n + 1) || /* never NULL */
	    WP_GROW(p->frame_pos, p->frame_pos_cap, p->nframe_ids + n + 1))
		return -ENOMEM;
	memcpy(p->frame_ids + p->nframe_ids, r->scratch, n * sizeof(*r->scratch));
	memcpy(p->frame_pos + p->nframe_ids, r->scratch_pos, n * sizeof(*r->scratch_pos));
	out->off = (uint32_t)p->nframe_ids;
	out->n = (uint32_t)n;
	p->nframe_ids += n;
	return 0;
}

static int resolve_stack(struct resolver *r, uint64_t stack_idx, uint32_t as,
			 struct rstack *out)
{
	const struct prof_stack *st = &r->p->stacks[stack_idx];
	const uint64_t *ips = r->p->ips + st->off;
	uint64_t key = (stack_idx << 32) | as, v;
	bool not_walked = (st->flags & WPD_STACK_KERNEL_NOT_WALKED) && !st->nkernel;
	size_t i, n = 0;

	if (wp_map__get(&r->stack_cache, key, &v)) {
		*out = r->rstacks[v];
		return 0;
	}
	/* an off-CPU interval whose kernel stack was not taken (a short wait,
	 * --off-cpu-kernel-stacks long) says so where its kernel frames
	 * would be, rather than look like a wait in user space */
	if (not_walked &&
	    fixed_frame(r, &r->not_walked, "[kernel stack not walked]", "", WP_FRAME_PSEUDO,
			&r->scratch[n++]))
		return -ENOMEM;
	for (i = 0; i < st->nkernel; i++) {
		uint64_t a = ips[i] - (i > 0 && ips[i]);

		r->scratch_pos[n] = 0;
		if (kernel_frame(r, a, &r->scratch[n++]))
			return -ENOMEM;
	}
	for (i = 0; i < st->nuser; i++) {
		const uint64_t *u = ips + st->nkernel;
		uint64_t a = u[i] - (i > 0 && u[i]);
		uint32_t k;

		if (user_frames(r, as, a, &r->scratch[n], &r->scratch_pos[n], &k))
			return -ENOMEM;
		n += k;
	}
	/* a user stack cut short (unwinding stopped, frame limit) says so
	 * at its outermost end, rather than look like a whole one */
	r->scratch_pos[n] = 0;
	if ((st->flags & WPD_STACK_USER_TRUNCATED) &&
	    fixed_frame(r, &r->truncated, "[truncated]", "", WP_FRAME_PSEUDO, &r->scratch[n++]))
		return -ENOMEM;
	if (push_frames(r, n, out))
		return -ENOMEM;
	out->nkernel = st->nkernel + not_walked;
	if (WP_GROW(r->rstacks, r->rstacks_cap, r->nrstacks + 1))
		return -ENOMEM;
	r->rstacks[r->nrstacks] = *out;
	return wp_map__put(&r->stack_cache, key, r->nrstacks++);
}

static const char *tid_comm(const struct wp_profile *p, uint32_t tid, uint64_t comm_epoch)
{
	const struct tid_state *ts = prof_tid(p, tid);
	size_t lo = 0, hi;
	const char *s;

	if (!ts || !ts->n)
		return "";
	/* the run in effect at the epoch (0: the first run) */
	hi = ts->n;
	while (comm_epoch && lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ts->recs[mid].time <= comm_epoch)
			lo = mid + 1;
		else
			hi = mid;
	}
	s = prof_str(p, ts->recs[lo ? lo - 1 : 0].comm_str, NULL);
	return s ? s : "";
}

static int pseudo_stack(struct resolver *r, uint32_t *slot, const char *name,
			struct rstack *out)
{
	if (fixed_frame(r, slot, name, "", WP_FRAME_PSEUDO, &r->scratch[0]))
		return -ENOMEM;
	r->scratch_pos[0] = 0;
	out->nkernel = 0;
	return push_frames(r, 1, out);
}

/* A stack id in a process's address space: its frames, or a pseudo frame. */
static int resolve_any(struct resolver *r, uint32_t stack_id, uint32_t pid,
		       uint64_t mm_epoch, struct rstack *rs)
{
	struct wp_profile *p = r->p;
	uint64_t idx;

	if (stack_id == 0)
		return pseudo_stack(r, &r->no_stack, "[no stack]", rs);
	if (!wp_map__get(&p->stack_ids, stack_id, &idx))
		return pseudo_stack(r, &r->unknown_stack, "[unknown stack]", rs);
	return resolve_stack(r, idx, pid_as(p, pid, mm_epoch), rs);
}

static int resolve_group(struct resolver *r, struct wp_group *g)
{
	struct rstack rs;

	g->comm = tid_comm(r->p, g->tid, g->comm_epoch);
	if (resolve_any(r, g->stack_id, g->pid, g->mm_epoch, &rs))
		return -ENOMEM;
	g->frames_off = rs.off;
	g->nframes = rs.n;
	g->nkernel = rs.nkernel;
	return 0;
}

static int resolve_waker(struct resolver *r, struct wp_waker *w)
{
	struct rstack rs;

	w->comm = tid_comm(r->p, w->tid, w->comm_epoch);
	w->waker_comm = tid_comm(r->p, w->waker_tid, w->waker_comm_epoch);
	if (resolve_any(r, w->waker_stack_id, w->waker_pid, w->waker_mm_epoch, &rs))
		return -ENOMEM;
	w->frames_off = rs.off;
	w->nframes = rs.n;
	w->nkernel = rs.nkernel;
	return 0;
}

/* "[off-cpu:sleep]"...: the leaf consumers put under an off-CPU stack. */
static int reason_frames(struct resolver *r)
{
	struct wp_profile *p = r->p;
	char name[64];
	uint32_t k, id;

	if (!wp_profile__has_offcpu(p))
		return 0;
	for (k = 0; k < WP_OFF_NREASONS; k++) {
		snprintf(name, sizeof(name), "[off-cpu:%s]", wp_offcpu_reason__name(k));
		if (intern_str(r, name, "", WP_FRAME_PSEUDO, &id))
			return -ENOMEM;
		p->reason_frames[k] = id + 1;
	}
	return 0;
}

static void resolver_release(struct resolver *r)
{
	free(r->as_off);
	free(r->as_maps);
	free(r->as_pid);
	free(r->chains);
	free(r->chains_pos);
	free(r->pints);
	wp_map__release(&r->pos_index);
	wp_map__release(&r->jit_cache);
	free(r->fints);
	wp_map__release(&r->frame_index);
	wp_map__release(&r->user_cache);
	wp_map__release(&r->kernel_cache);
	wp_map__release(&r->stack_cache);
	free(r->rstacks);
	free(r->scratch);
	free(r->scratch_pos);
}

int wp_profile__resolve(struct wp_profile *p, const struct wp_resolve_opts *opts)
{
	struct wp_symbolizer_opts so = {
		.symfs = opts ? opts->symfs : NULL,
		.kernel_release = wp_profile__meta_str(p, WPD_META_KERNEL),
		.arch = wp_profile__meta_str(p, WPD_META_ARCH),
	};
	struct resolver r = { .p = p, .no_inline = opts && opts->no_inline };
	size_t i;
	int ret = -ENOMEM;

	if (p->resolved)
		return 0;
	p->sym = wp_symbolizer__new(&so);
	/* kernel frames, then user frames with their inline chains */
	r.scratch = malloc((WPD_STACK_MAX_FRAMES + USER_FRAMES_MAX + 1) * sizeof(*r.scratch));
	r.scratch_pos = malloc((WPD_STACK_MAX_FRAMES + USER_FRAMES_MAX + 1) * sizeof(*r.scratch_pos));
	if (!p->sym || !r.scratch || !r.scratch_pos ||
	    wp_embedded__attach(p->emb, p, opts && opts->no_stored_names ? NULL : p->sym))
		goto out;
	sort_ksyms(p);
	if (build_address_spaces(&r))
		goto out;
	for (i = 0; i < p->ngroups; i++)
		if (resolve_group(&r, &p->groups[i]))
			goto out;
	for (i = 0; i < p->nwakers; i++)
		if (resolve_waker(&r, &p->wakers[i]))
			goto out;
	if (reason_frames(&r))
		goto out;
	p->frames = calloc(r.nfints ? r.nfints : 1, sizeof(*p->frames));
	if (!p->frames)
		goto out;
	for (i = 0; i < r.nfints; i++) {
		p->frames[i].name = wp_arena__str(&p->fstrs, r.fints[i].name_off);
		p->frames[i].module = wp_arena__str(&p->fstrs, r.fints[i].module_off);
		p->frames[i].flags = r.fints[i].flags;
		p->frames[i].file = r.fints[i].file_off1
				    ? wp_arena__str(&p->fstrs, r.fints[i].file_off1 - 1) : NULL;
	}
	p->nframes = r.nfints;
	p->srcpos = calloc(r.npints ? r.npints : 1, sizeof(*p->srcpos));
	if (!p->srcpos)
		goto out;
	for (i = 0; i < r.npints; i++) {
		p->srcpos[i].file = r.pints[i].file_off1
				    ? wp_arena__str(&p->fstrs, r.pints[i].file_off1 - 1) : NULL;
		p->srcpos[i].line = r.pints[i].line;
	}
	p->nsrcpos = r.npints;
	p->frames_cap = p->nframes;
	p->resolved = true;
	ret = 0;
out:
	resolver_release(&r);
	return ret;
}

/* ---- machine-code level ------------------------------------------------- */

int wp_profile__leaf_hits(struct wp_profile *p, const struct wp_filter *filter,
			  struct wp_leaf_hit **out, size_t *n, uint64_t *total)
{
	struct resolver r = { .p = p };
	struct wp_leaf_hit *v = NULL;
	struct wp_map idx = { 0 };
	size_t i, nv = 0, cap = 0;
	int ret = -ENOMEM;

	*out = NULL;
	*n = 0;
	*total = 0;
	if (!p->resolved || !p->sym)
		return 0;
	if (build_address_spaces(&r))
		goto out;
	for (i = 0; i < p->ngroups; i++) {
		const struct wp_group *g = &p->groups[i];
		const struct prof_stack *st;
		struct prof_mmap *m;
		struct wp_dso *d;
		uint64_t sidx, ip, off, key, at;

		if (g->kind != WP_EVENT_ONCPU || (filter && !wp_filter__match(filter, g)))
			continue;
		*total += g->count;
		if (!g->stack_id || !wp_map__get(&p->stack_ids, g->stack_id, &sidx))
			continue;
		st = &p->stacks[sidx];
		if (st->nkernel || !st->nuser)
			continue; /* in the kernel: not this binary's instruction */
		ip = p->ips[st->off];
		m = map_find(&r, pid_as(p, g->pid, g->mm_epoch), ip);
		if (!m || !(d = map_dso(&r, m)))
			continue;
		off = ip - m->start + m->pgoff;
		key = wp_hash64(((uint64_t)wp_dso__index(d) << 32) ^ wp_hash64(off));
		for (;; key = wp_hash64(key + 1)) {
			if (!wp_map__get(&idx, key, &at) ||
			    (v[at].dso == d && v[at].file_off == off))
				break;
		}
		if (wp_map__get(&idx, key, &at)) {
			v[at].count += g->count;
			continue;
		}
		if (WP_GROW(v, cap, nv + 1) || wp_map__put(&idx, key, nv))
			goto out;
		v[nv++] = (struct wp_leaf_hit){ d, off, g->count };
	}
	*out = v;
	*n = nv;
	v = NULL;
	ret = 0;
out:
	free(v);
	wp_map__release(&idx);
	resolver_release(&r);
	return ret;
}

size_t wp_profile__ndsos(const struct wp_profile *p)
{
	return wp_symbolizer__ndsos(p->sym);
}

struct wp_dso *wp_profile__dso(const struct wp_profile *p, size_t i)
{
	return wp_symbolizer__dso_at(p->sym, i);
}
