/* SPDX-License-Identifier: MIT */
/*
 * USTACK_DUMP records while a profile loads (--call-graph dwarf): each is
 * unwound at once (report/unwind.c) in the address space its process had
 * at the dump's time, and the stack it defines joins the stack table, so
 * that everything downstream (groups, resolve, every output) sees an
 * ordinary stack. Dumps are not kept: memory stays bounded by distinct
 * stacks, not samples.
 *
 * Stack ids: a dump defines its own id (one per sample). Unwound stacks
 * with the same frames are one table entry, under the first id that
 * produced them; later ids become aliases of it, and groups are keyed by
 * the first id (prof_stack_alias()), so samples with the same unwound
 * stack aggregate as they would with frame pointers.
 *
 * A dump whose unwinding stopped early keeps the frames found and gets
 * WPD_STACK_USER_TRUNCATED, which resolve.c shows as a "[truncated]"
 * frame at the outermost end. Every dump is counted by how its unwinding
 * ended (wp_profile__unwind()).
 */
#include "report/profile_int.h"
#include "report/unwind.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct pid_maps {
	uint32_t *idx; /* indexes into p->mmaps of this pid's mappings, in file order */
	size_t n, cap;
};

struct prof_unwind {
	struct wp_unwinder *uw;
	bool uw_done;             /* the unwinder was released: no more dumps */
	size_t mmaps_seen;        /* p->mmaps indexed into by_pid so far */
	struct pid_maps *pids;
	size_t npids, pids_cap;
	struct wp_map pid_idx;    /* pid -> index in pids */
	struct wp_map cursor;     /* hash(pid, gen) -> pid mappings added to the space */
	struct wp_map dedup;      /* hash(frames) -> stack index << 32 | first id, probed */
	struct wp_map alias;      /* id -> first id with the same frames */
	uint64_t *pcs;            /* WP_UNWIND_MAX_FRAMES */
	uint64_t *frames;         /* kernel + user frames of the stack being made */
	struct wp_unwind_stats st;
};

void prof_unwind_free(struct prof_unwind *u)
{
	size_t i;

	if (!u)
		return;
	wp_unwinder__free(u->uw);
	for (i = 0; i < u->npids; i++)
		free(u->pids[i].idx);
	free(u->pids);
	wp_map__release(&u->pid_idx);
	wp_map__release(&u->cursor);
	wp_map__release(&u->dedup);
	wp_map__release(&u->alias);
	free(u->pcs);
	free(u->frames);
	free(u);
}

uint32_t prof_stack_alias_slow(const struct wp_profile *p, uint32_t id)
{
	uint64_t v;

	return wp_map__get(&p->unw->alias, id, &v) ? (uint32_t)v : id;
}

const struct wp_unwind_stats *wp_profile__unwind(const struct wp_profile *p)
{
	return p->unw && (p->unw->st.dumps || p->unw->st.fp_fallback ||
			  p->unw->st.offcpu_rate_limited) ? &p->unw->st : NULL;
}

static struct pid_maps *pid_maps(struct prof_unwind *u, uint32_t pid, bool add)
{
	uint64_t idx;

	if (wp_map__get(&u->pid_idx, pid, &idx))
		return &u->pids[idx];
	if (!add)
		return NULL;
	if (WP_GROW(u->pids, u->pids_cap, u->npids + 1) ||
	    wp_map__put(&u->pid_idx, pid, u->npids))
		return NULL;
	memset(&u->pids[u->npids], 0, sizeof(u->pids[0]));
	return &u->pids[u->npids++];
}

/* Index the mappings read since the last dump by pid. */
static int index_mmaps(struct wp_profile *p, struct prof_unwind *u)
{
	for (; u->mmaps_seen < p->nmmaps; u->mmaps_seen++) {
		struct pid_maps *pm = pid_maps(u, p->mmaps[u->mmaps_seen].pid, true);

		if (!pm || WP_GROW(pm->idx, pm->cap, pm->n + 1))
			return -ENOMEM;
		pm->idx[pm->n++] = (uint32_t)u->mmaps_seen;
	}
	return 0;
}

/* The address space of pid at time t, with every mapping known so far. */
static struct wp_uspace *space_of(struct wp_profile *p, struct prof_unwind *u,
				  uint32_t pid, uint64_t t)
{
	uint64_t gen = prof_mm_epoch(p, pid, t), key, done = 0;
	struct pid_maps *pm = pid_maps(u, pid, false);
	struct wp_uspace *s;
	bool is_new;
	size_t j;

	s = wp_unwinder__space(u->uw, pid, gen, &is_new);
	if (!s)
		return NULL;
	key = wp_hash64(((uint64_t)pid << 32 | 0x5bd1e995u) ^ wp_hash64(gen));
	if (!is_new)
		wp_map__get(&u->cursor, key, &done);
	for (j = done; pm && j < pm->n; j++) {
		const struct prof_mmap *m = &p->mmaps[pm->idx[j]];
		struct wp_umap um = {
			.start = m->start, .end = m->end, .pgoff = m->pgoff,
			.build_id = m->build_id, .build_id_len = m->build_id_len,
		};

		if (prof_mm_epoch(p, pid, m->time) != gen)
			continue;
		um.path = prof_str(p, m->path_str, NULL);
		if (!um.path)
			um.path = "";
		if (wp_uspace__add_map(s, &um))
			return NULL;
	}
	if (wp_map__put(&u->cursor, key, pm ? pm->n : 0))
		return NULL;
	return s;
}

static uint64_t frames_hash(uint32_t flags, uint16_t nk, uint16_t nu, const uint64_t *f)
{
	uint64_t h = wp_hash64((uint64_t)flags << 32 | (uint64_t)nk << 16 | nu);
	size_t i;

	for (i = 0; i < (size_t)nk + nu; i++)
		h = wp_hash64(h ^ f[i]);
	return h;
}

/*
 * Define stack id with these frames, or make it an alias of the first id
 * that had them. 0 or -ENOMEM.
 */
static int define_stack(struct wp_profile *p, struct prof_unwind *u, uint32_t id,
			uint32_t flags, uint16_t nk, uint16_t nu)
{
	const uint64_t *f = u->frames;
	uint64_t h = frames_hash(flags, nk, nu, f), v;
	struct prof_stack *e;
	size_t n = (size_t)nk + nu;

	for (;; h = wp_hash64(h + 1)) {
		if (!wp_map__get(&u->dedup, h, &v))
			break;
		e = &p->stacks[v >> 32];
		if (e->flags == flags && e->nkernel == nk && e->nuser == nu &&
		    !memcmp(p->ips + e->off, f, n * sizeof(*f)))
			return wp_map__put(&u->alias, id, (uint32_t)v);
	}
	if (WP_GROW(p->stacks, p->stacks_cap, p->nstacks + 1) ||
	    WP_GROW(p->ips, p->ips_cap, p->nips + n + 1) ||
	    wp_map__put(&p->stack_ids, id, p->nstacks) ||
	    wp_map__put(&u->dedup, h, (uint64_t)p->nstacks << 32 | id))
		return -ENOMEM;
	e = &p->stacks[p->nstacks++];
	e->off = p->nips;
	e->flags = flags;
	e->nkernel = nk;
	e->nuser = nu;
	memcpy(p->ips + p->nips, f, n * sizeof(*f));
	p->nips += n;
	return 0;
}

/* The recording's architecture is known and is not x86_64. */
static bool foreign_arch(const struct wp_profile *p)
{
	const char *arch = wp_profile__meta_str(p, WPD_META_ARCH);

	return arch && strcmp(arch, "x86_64") != 0;
}

int prof_unwind_record(struct wp_profile *p, const struct wpd_record *rec,
		       const struct wp_load_opts *opts)
{
	struct prof_unwind *u = p->unw;
	struct wpd_ustack_dump d;
	struct wp_uspace *s;
	uint32_t flags = 0;
	uint16_t nk = 0;
	uint64_t idx;
	size_t n = 0;
	int reason;

	if (wpd_decode_ustack_dump(rec, &d))
		return 1;
	if (!u) {
		u = p->unw = calloc(1, sizeof(*u));
		if (!u)
			return -ENOMEM;
		u->pcs = malloc(WP_UNWIND_MAX_FRAMES * sizeof(*u->pcs));
		u->frames = malloc((WPD_STACK_MAX_FRAMES + WP_UNWIND_MAX_FRAMES) *
				   sizeof(*u->frames));
		if (!u->pcs || !u->frames)
			return -ENOMEM;
	}
	if (wp_map__get(&p->stack_ids, d.stack_id, &idx) ||
	    wp_map__get(&u->alias, d.stack_id, &idx)) {
		u->st.redefined++; /* ids are defined once: the first wins */
		return 0;
	}
	if (u->uw_done)
		return 0; /* after the last record: nothing comes any more */
	if (!u->uw) {
		struct wp_unwinder_opts uo = {
			.symfs = opts ? opts->symfs : NULL,
			.kernel_release = wp_profile__meta_str(p, WPD_META_KERNEL),
			.arch = wp_profile__meta_str(p, WPD_META_ARCH),
		};

		u->uw = wp_unwinder__new(&uo);
		if (!u->uw)
			return -ENOMEM;
	}
	if (index_mmaps(p, u))
		return -ENOMEM;

	/* kernel frames and flags: the STACK the dump names */
	if (d.kernel_stack_id) {
		if (wp_map__get(&p->stack_ids, d.kernel_stack_id, &idx)) {
			const struct prof_stack *k = &p->stacks[idx];

			nk = k->nkernel;
			memcpy(u->frames, p->ips + k->off, nk * sizeof(*u->frames));
			flags = k->flags & (WPD_STACK_KERNEL_TRUNCATED | WPD_STACK_KERNEL_MISSING);
		} else {
			flags = WPD_STACK_KERNEL_MISSING; /* dangling: that block was lost */
		}
	}
	/* a dump says its registers' machine, the recording its architecture
	 * (META arch): both must be x86_64, or the bytes would be unwound
	 * with the wrong layout */
	if (foreign_arch(p)) {
		reason = WP_UNWIND_FOREIGN_ARCH;
	} else {
		s = space_of(p, u, d.pid, d.time_ns);
		if (!s)
			return -ENOMEM;
		reason = wp_uspace__unwind(s, &d, u->pcs, WP_UNWIND_MAX_FRAMES, &n);
		if (reason < 0)
			return reason;
	}
	if (n > WPD_STACK_MAX_FRAMES) {
		n = WPD_STACK_MAX_FRAMES; /* as a STACK record could hold */
		if (reason == WP_UNWIND_OK)
			reason = WP_UNWIND_DEPTH;
	}
	if (reason != WP_UNWIND_OK)
		flags |= n ? WPD_STACK_USER_TRUNCATED : WPD_STACK_USER_MISSING | WPD_STACK_USER_TRUNCATED;
	memcpy(u->frames + nk, u->pcs, n * sizeof(*u->frames));
	u->st.dumps++;
	u->st.reasons[reason < WP_UNWIND_NREASONS ? reason : WP_UNWIND_OTHER]++;
	u->st.dump_bytes += d.dump_len;
	u->st.frames += n;
	return define_stack(p, u, d.stack_id, flags, nk, (uint16_t)n);
}

/*
 * Stacks wp-record unwound itself (the default since it can): STATS
 * "unwind.*" count them by how they ended; their frames are ordinary
 * STACK records. Counted with the dumps unwound here, if a file has both.
 */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

int prof_unwind_recorded(struct wp_profile *p)
{
	struct wp_unwind_stats *st;
	uint64_t stacks = 0, fallback = 0, limited = 0, v;
	char key[64];
	unsigned int i;

	/* samples whose dump found no room in the ring buffer and were sent
	 * with a frame-pointer stack: the bound on dwarf's cost, said next to
	 * what it bounds (all of them, when no dump fitted at all) */
	wp_profile__stat_u64(p, "bpf.user_stack_dump_fallback", &fallback);
	/* and off-CPU intervals over --off-cpu-dwarf-rate, the bound on the
	 * dumps -F does not bound */
	wp_profile__stat_u64(p, "bpf.offcpu_dump_rate_limited", &limited);
	if (!wp_profile__stat_u64(p, WPD_STAT_UNWIND_PREFIX "stacks", &stacks))
		stacks = 0;
	if (!stacks && !fallback && !limited)
		return 0;
	if (!p->unw) {
		p->unw = calloc(1, sizeof(*p->unw));
		if (!p->unw)
			return -ENOMEM;
		p->unw->uw_done = true;
	}
	st = &p->unw->st;
	st->fp_fallback = fallback;
	st->offcpu_rate_limited = limited;
	/* whatever a hostile file says: sums saturate, and the reasons
	 * cannot count more stacks than there are */
	st->recorded = stacks;
	st->dumps = sat_add(st->dumps, stacks);
	for (i = 0; i < WP_UNWIND_NREASONS; i++) {
		snprintf(key, sizeof(key), WPD_STAT_UNWIND_PREFIX "%s", wp_unwind_reason__name(i));
		if (wp_profile__stat_u64(p, key, &v))
			st->reasons[i] = sat_add(st->reasons[i], v < stacks ? v : stacks);
	}
	if (st->reasons[WP_UNWIND_OK] > st->dumps)
		st->reasons[WP_UNWIND_OK] = st->dumps;
	if (wp_profile__stat_u64(p, WPD_STAT_UNWIND_PREFIX "frames", &v))
		st->frames = sat_add(st->frames, v);
	if (wp_profile__stat_u64(p, WPD_STAT_UNWIND_PREFIX "ns", &v))
		st->recorded_ns = v;
	return 0;
}

void prof_unwind_finish(struct wp_profile *p)
{
	struct prof_unwind *u = p->unw;
	size_t i;

	if (!u)
		return;
	wp_unwinder__counts(u->uw, &u->st.unwinds, &u->st.ns);
	/* the Dwfls and open binaries are no longer needed */
	wp_unwinder__free(u->uw);
	u->uw = NULL;
	u->uw_done = true;
	/* samples read before their dump (not what wp-record writes) */
	for (i = 0; u->alias.n && i < p->ngroups; i++)
		p->groups[i].stack_id = prof_stack_alias(p, p->groups[i].stack_id);
	for (i = 0; u->alias.n && i < p->nwakers; i++)
		p->wakers[i].waker_stack_id = prof_stack_alias(p, p->wakers[i].waker_stack_id);
}
