/* SPDX-License-Identifier: MIT */
/*
 * BPF events to .wpd records. See output.h.
 *
 * Record order: everything a sample needs (its stack, the stack's kernel
 * symbols, strings, the thread's comm, the process's mappings) is written
 * while the sample is handled, and the sample itself only goes into the
 * SAMPLES batch, which is written later: dependencies always come first.
 * Before an exec's MMAP_RESET the batch is written out, so samples taken
 * before the exec also come before it in the file.
 */
#include "record/output.h"
#include "record/ksyms.h"
#include "record/procmaps.h"
#include "record/sched.h"
#include "record/stacks.h"
#include "record/symcap.h"
#include "record/dwunwind.h"
#include "common/u64map.h"
#include "common/log.h"

#include <bpf/bpf.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

/* A SAMPLES record is written when the batch reaches this many samples. */
#define SAMPLES_BATCH 4096
/* Re-read a process's maps at most this often after a miss; doubled after
 * each re-read that finds nothing new (up to 2^7 times). */
#define RESCAN_MIN_NS (100ull * 1000 * 1000)
#define RESCAN_MAX_SHIFT 7

struct str_ent {
	uint64_t hash;
	uint32_t id;
	uint32_t len;
	char *s;
};

struct thread_ent {
	uint32_t pid;
	uint32_t comm_str;
	char comm[WP_COMM_LEN];
};

struct proc {
	uint32_t pid;
	bool known;         /* mappings read (or tried) since the last exec */
	bool dumped;        /* a user stack dump was seen since the last exec */
	uint32_t backoff;   /* re-reads in a row that found nothing new */
	uint64_t last_scan; /* CLOCK_MONOTONIC ns */
	uint64_t epoch;     /* time of its last exec seen, 0: none */
	uint64_t maps_seq;  /* changes when maps gains a mapping (dwunwind.c) */
	struct wp_map_list maps;
};

/* A stack-map entry, read once per id. */
struct id_frames {
	uint64_t *frames;
	uint16_t n;
	uint8_t state; /* 0: not read, 1: read, 2: read failed */
};

struct ksym_range {
	uint64_t start, end;
};

/* An off-CPU interval whose user stack is to come (WP_OF_DUMP_PENDING). */
struct dump_wait {
	struct wpd_offcpu iv; /* stack_id: its frame-pointer stack, if none comes */
	uint32_t kstack;      /* its kernel frames alone, for the dump */
	uint32_t flushes;     /* flushes since it came */
};

struct pending {
	struct wpd_sample s;
	uint64_t seq;
};

struct wp_out {
	int fd;
	char *path;
	struct wpd_writer *w;
	struct wpd_buf buf;

	struct str_ent *strs;
	size_t strs_cap, strs_len;

	struct wp_map tid_idx; /* tid -> index in threads */
	struct thread_ent *threads;
	size_t nthreads, threads_cap;

	struct wp_map pid_idx; /* pid -> index in procs */
	struct proc **procs;
	size_t nprocs, procs_cap;
	struct wp_buildid_cache *bids;
	struct wp_symcap *symcap; /* names for a self-contained file */
	bool eager_maps;
	uint64_t start_ns;        /* recording start (MMAP time of /proc reads) */

	struct wp_stacks *stacks;
	int kfd, ufd;
	unsigned int max_frames;
	struct id_frames *kids, *uids;
	size_t nkids, nuids;
	uint64_t *scratch;
	struct wp_map pairs; /* (kernel id, user id, flags) -> stack id */

	wp_ksym_resolver ksym_resolve;
	void *ksym_ctx;
	struct ksym_range *kr;    /* symbols stored, sorted by start */
	size_t nkr, kr_cap;
	struct wp_map kunres;  /* addresses the resolver could not name */
	uint64_t *kq;             /* addresses to resolve */
	size_t nkq, kq_cap;
	char (*knames)[WP_KSYM_LEN];
	size_t knames_cap;
	/* without a resolver: /proc/kallsyms */
	struct wp_ksyms *ksyms;
	uint8_t *ksym_done;
	bool ksyms_tried;

	struct pending *pend;
	size_t npend, pend_cap;
	uint64_t seq;
	struct wpd_samples_builder sb;

	struct offcpu *off;       /* scheduler events: NULL without them */

	struct wp_out_stats st;
	/* --call-graph dwarf: off-CPU intervals waiting for their user stack */
	struct dump_wait *dw;
	size_t ndw, dw_cap;
	/* --call-graph dwarf: dumps unwound here (NULL until the first one),
	 * unless keep_dumps: USTACK_DUMP records for the reader to unwind */
	bool keep_dumps;
	struct wp_dwunwind *dwu;
	uint64_t *upcs;
	uint64_t maps_seq;
};

/* The scheduler events' part ("scheduler events" below). */
struct offcpu;
static void offcpu_free(struct offcpu *f);
static uint64_t offcpu_lost(const struct wp_out *o);

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

const char *wp_counter_name(enum wp_counter c)
{
	static const char *const names[WP_CNT_MAX] = {
		[WP_CNT_LOST_RINGBUF] = "lost.ringbuf_full",
		[WP_CNT_LOST_KSTACK] = "lost.kernel_stack",
		[WP_CNT_LOST_USTACK] = "lost.user_stack",
		[WP_CNT_LOST_EXEC] = "lost.exec_event",
		[WP_CNT_LOST_FOLLOW] = "lost.follow_map_full",
		[WP_CNT_SAMPLES] = "bpf.samples",
		[WP_CNT_KSTACK_INLINE] = "bpf.kernel_stack_inline",
		[WP_CNT_USTACK_INLINE] = "bpf.user_stack_inline",
		[WP_CNT_USTACK_EMPTY] = "bpf.user_stack_empty",
		[WP_CNT_IDLE] = "bpf.idle_samples",
		[WP_CNT_FOLLOWED] = "bpf.children_followed",
		[WP_CNT_USTACK_DUMPS] = "bpf.user_stack_dumps",
		[WP_CNT_USTACK_DUMP_FALLBACK] = "bpf.user_stack_dump_fallback",
		[WP_CNT_OFFCPU_DUMPS] = "bpf.offcpu_dumps",
		[WP_CNT_OFFCPU_DUMP_STALE] = "bpf.offcpu_dump_stale",
	};

	return (unsigned int)c < WP_CNT_MAX ? names[c] : "unknown";
}

static const char *const out_lost_names[WP_OUT_LOST_MAX] = {
	[WP_OUT_LOST_STACK_READ] = "lost.stack_read",
	[WP_OUT_LOST_MMAP] = "lost.mmap_snapshot",
	[WP_OUT_LOST_BAD_EVENT] = "lost.bad_event",
};

static bool counter_is_lost(enum wp_counter c)
{
	return c <= WP_CNT_LOST_FOLLOW;
}

/* ---- lifecycle ------------------------------------------------------ */

int wp_out__create(const struct wp_out_opts *opts, struct wp_out **out)
{
	struct wp_out *o;
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (opts->force ? O_TRUNC : O_EXCL);

	*out = NULL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->fd = -1;
	o->kfd = o->ufd = -1;
	wpd_buf__init(&o->buf);
	wp_map__init(&o->tid_idx);
	wp_map__init(&o->pid_idx);
	wp_map__init(&o->pairs);
	wp_map__init(&o->kunres);
	wpd_samples_builder__init(&o->sb);
	o->path = strdup(opts->path);
	o->stacks = wp_stacks__new();
	o->bids = wp_buildid_cache__new();
	o->symcap = wp_symcap__new(true);
	if (!o->path || !o->stacks || !o->bids || !o->symcap) {
		wp_out__free(o);
		return -ENOMEM;
	}
	o->fd = open(opts->path, flags, 0644);
	if (o->fd < 0) {
		int err = -errno;

		wp_out__free(o);
		return err;
	}
	*out = o;
	return 0;
}

void wp_out__discard(struct wp_out *o)
{
	if (!o || !o->path)
		return;
	wpd_writer__close(o->w);
	o->w = NULL;
	unlink(o->path);
}

int wp_out__start(struct wp_out *o, uint64_t compat_flags, const struct wpd_buf *meta)
{
	struct wpd_writer_opts wo = { .compat_flags = compat_flags };
	int err;

	err = wpd_writer__new(o->fd, &wo, &o->w);
	if (err)
		return err;
	return wpd_writer__add_buf(o->w, WPD_REC_META, meta);
}

void wp_out__set_stack_maps(struct wp_out *o, int kstacks_fd, int ustacks_fd,
			    unsigned int max_frames)
{
	o->kfd = kstacks_fd;
	o->ufd = ustacks_fd;
	o->max_frames = max_frames;
	free(o->scratch);
	o->scratch = calloc(max_frames ? max_frames : 1, sizeof(uint64_t));
}

void wp_out__set_eager_maps(struct wp_out *o, bool eager)
{
	o->eager_maps = eager;
}

void wp_out__set_ksym_resolver(struct wp_out *o, wp_ksym_resolver fn, void *ctx)
{
	o->ksym_resolve = fn;
	o->ksym_ctx = ctx;
}

void wp_out__set_start(struct wp_out *o, uint64_t start_ns)
{
	o->start_ns = start_ns;
}

int wp_out__load_ksyms(struct wp_out *o)
{
	uint64_t t0 = mono_ns();
	int err;

	o->ksyms_tried = true;
	err = wp_ksyms__load("/proc/kallsyms", &o->ksyms);
	if (err) {
		pr_warn("cannot read /proc/kallsyms: %s: kernel frames will have no names",
			strerror(-err));
		return 0;
	}
	if (wp_ksyms__hidden(o->ksyms)) {
		pr_warn("kernel symbol addresses are hidden (kernel.kptr_restrict, or no "
			"CAP_SYSLOG): kernel frames will have no names (counted as ksym_unresolved)");
		return 0;
	}
	o->ksym_done = calloc(wp_ksyms__count(o->ksyms), 1);
	if (!o->ksym_done)
		return -ENOMEM;
	pr_debug("loaded %zu kernel symbols in %.1f ms", wp_ksyms__count(o->ksyms),
		 (mono_ns() - t0) / 1e6);
	return 0;
}

void wp_out__free(struct wp_out *o)
{
	size_t i;

	if (!o)
		return;
	if (o->w)
		wpd_writer__close(o->w);
	if (o->fd >= 0)
		close(o->fd);
	free(o->path);
	wpd_buf__release(&o->buf);
	for (i = 0; i < o->strs_cap; i++)
		free(o->strs[i].s);
	free(o->strs);
	wp_map__release(&o->tid_idx);
	free(o->threads);
	wp_map__release(&o->pid_idx);
	for (i = 0; i < o->nprocs; i++) {
		wp_map_list__release(&o->procs[i]->maps);
		free(o->procs[i]);
	}
	free(o->procs);
	wp_buildid_cache__free(o->bids);
	wp_symcap__free(o->symcap);
	wp_dwunwind__free(o->dwu);
	free(o->upcs);
	wp_stacks__free(o->stacks);
	for (i = 0; i < o->nkids; i++)
		free(o->kids[i].frames);
	for (i = 0; i < o->nuids; i++)
		free(o->uids[i].frames);
	free(o->kids);
	free(o->uids);
	free(o->scratch);
	wp_map__release(&o->pairs);
	wp_ksyms__free(o->ksyms);
	free(o->ksym_done);
	free(o->kr);
	wp_map__release(&o->kunres);
	free(o->kq);
	free(o->knames);
	free(o->pend);
	free(o->dw);
	wpd_samples_builder__release(&o->sb);
	offcpu_free(o->off);
	free(o);
}

const struct wp_out_stats *wp_out__stats(const struct wp_out *o)
{
	return &o->st;
}

uint64_t wp_out__bytes(const struct wp_out *o)
{
	return o->w ? wpd_writer__bytes(o->w) : 0;
}

uint64_t wp_out__lost_total(const struct wp_out *o, const struct wp_counters *bpf)
{
	uint64_t n = 0;
	int i;

	for (i = 0; bpf && i < WP_CNT_MAX; i++)
		if (counter_is_lost(i))
			n += bpf->c[i];
	for (i = 0; i < WP_OUT_LOST_MAX; i++)
		n += o->st.lost[i];
	return n + offcpu_lost(o);
}

/* ---- strings -------------------------------------------------------- */

static int strs_grow(struct wp_out *o)
{
	size_t ncap = o->strs_cap ? o->strs_cap * 2 : 1024, i, j;
	struct str_ent *n = calloc(ncap, sizeof(*n));

	if (!n)
		return -ENOMEM;
	for (i = 0; i < o->strs_cap; i++) {
		if (!o->strs[i].s)
			continue;
		for (j = o->strs[i].hash & (ncap - 1); n[j].s; j = (j + 1) & (ncap - 1))
			;
		n[j] = o->strs[i];
	}
	free(o->strs);
	o->strs = n;
	o->strs_cap = ncap;
	return 0;
}

/* The id of s, writing a STRING record the first time. */
static int intern(struct wp_out *o, const char *s, size_t len, uint32_t *id)
{
	uint64_t h = XXH3_64bits(s, len);
	size_t i;
	int err;

	if (len > WPD_STRING_MAX)
		len = WPD_STRING_MAX;
	if ((o->strs_len + 1) * 4 > o->strs_cap * 3) {
		err = strs_grow(o);
		if (err)
			return err;
	}
	for (i = h & (o->strs_cap - 1); o->strs[i].s; i = (i + 1) & (o->strs_cap - 1)) {
		if (o->strs[i].hash == h && o->strs[i].len == len &&
		    !memcmp(o->strs[i].s, s, len)) {
			*id = o->strs[i].id;
			return 0;
		}
	}
	o->strs[i].s = malloc(len + 1);
	if (!o->strs[i].s)
		return -ENOMEM;
	memcpy(o->strs[i].s, s, len);
	o->strs[i].s[len] = '\0';
	o->strs[i].hash = h;
	o->strs[i].len = (uint32_t)len;
	o->strs[i].id = (uint32_t)++o->strs_len;
	*id = o->strs[i].id;
	wpd_encode_string(&o->buf, *id, s, (uint32_t)len);
	return wpd_writer__add_buf(o->w, WPD_REC_STRING, &o->buf);
}

/* ---- threads -------------------------------------------------------- */

static int thread_seen(struct wp_out *o, uint32_t pid, uint32_t tid,
		       const char comm[WP_COMM_LEN], uint64_t time_ns)
{
	uint64_t *idx = wp_map__ref(&o->tid_idx, tid);
	struct thread_ent *t;
	struct wpd_thread th;
	int err;

	if (idx) {
		t = &o->threads[*idx];
		if (t->pid == pid && !memcmp(t->comm, comm, WP_COMM_LEN))
			return 0;
	} else {
		if (o->nthreads == o->threads_cap) {
			size_t ncap = o->threads_cap ? o->threads_cap * 2 : 256;
			struct thread_ent *n = realloc(o->threads, ncap * sizeof(*n));

			if (!n)
				return -ENOMEM;
			o->threads = n;
			o->threads_cap = ncap;
		}
		if (wp_map__put(&o->tid_idx, tid, o->nthreads))
			return -ENOMEM;
		t = &o->threads[o->nthreads++];
	}
	t->pid = pid;
	memcpy(t->comm, comm, WP_COMM_LEN);
	err = intern(o, comm, strnlen(comm, WP_COMM_LEN), &t->comm_str);
	if (err)
		return err;
	th.time_ns = time_ns;
	th.pid = pid;
	th.tid = tid;
	th.comm_str = t->comm_str;
	wpd_encode_thread(&o->buf, &th);
	o->st.threads++;
	return wpd_writer__add_buf(o->w, WPD_REC_THREAD, &o->buf);
}

/* ---- processes and mappings ----------------------------------------- */

static struct proc *proc_find(struct wp_out *o, uint32_t pid)
{
	uint64_t *idx = wp_map__ref(&o->pid_idx, pid);

	return idx ? o->procs[*idx] : NULL;
}

static struct proc *proc_get(struct wp_out *o, uint32_t pid)
{
	struct proc *p = proc_find(o, pid);

	if (p)
		return p;
	if (o->nprocs == o->procs_cap) {
		size_t ncap = o->procs_cap ? o->procs_cap * 2 : 64;
		struct proc **n = realloc(o->procs, ncap * sizeof(*n));

		if (!n)
			return NULL;
		o->procs = n;
		o->procs_cap = ncap;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	wp_map_list__init(&p->maps);
	if (wp_map__put(&o->pid_idx, pid, o->nprocs)) {
		free(p);
		return NULL;
	}
	o->procs[o->nprocs++] = p;
	return p;
}

static int write_mmap(struct wp_out *o, uint32_t pid, const struct wp_procmap *m,
		      uint64_t time_ns)
{
	struct wpd_mmap r = { 0 };
	int err;

	err = intern(o, m->path, strlen(m->path), &r.path_str);
	if (err)
		return err;
	r.time_ns = time_ns;
	r.pid = pid;
	r.start = m->start;
	r.end = m->end;
	r.pgoff = m->pgoff;
	if (m->anon)
		r.flags |= WPD_MMAP_ANON_EXEC;
	if (m->build_id_len) {
		r.flags |= WPD_MMAP_BUILD_ID;
		r.build_id_len = m->build_id_len;
		memcpy(r.build_id, m->build_id, m->build_id_len);
	}
	wpd_encode_mmap(&o->buf, &r);
	o->st.mmaps++;
	err = wpd_writer__add_buf(o->w, WPD_REC_MMAP, &o->buf);
	if (!err)
		wp_symcap__map(o->symcap, pid, m); /* keep the file open */
	return err;
}

/* (Re-)read the mappings of p; write MMAP records for those not written
 * yet. Returns the number of new mappings, or -errno for write errors
 * (an unreadable process is counted, not an error). */
static int proc_scan(struct wp_out *o, struct proc *p, uint64_t time_ns)
{
	struct wp_map_list cur;
	size_t i;
	int err, added = 0;

	wp_map_list__init(&cur);
	p->known = true;
	p->last_scan = mono_ns();
	err = wp_procmaps__read((int)p->pid, o->bids, &cur);
	if (err) {
		wp_map_list__release(&cur);
		if (err == -ENOMEM)
			return err;
		pr_debug("cannot read the mappings of pid %u: %s", p->pid, strerror(-err));
		o->st.lost[WP_OUT_LOST_MMAP]++;
		return 0;
	}
	for (i = 0; i < cur.n; i++) {
		const struct wp_procmap *old = wp_map_list__find(&p->maps, cur.v[i].start);

		if (old && wp_procmap__same(old, &cur.v[i]))
			continue;
		err = write_mmap(o, p->pid, &cur.v[i], time_ns);
		if (err) {
			wp_map_list__release(&cur);
			return err;
		}
		added++;
	}
	wp_map_list__release(&p->maps);
	p->maps = cur;
	if (added)
		p->maps_seq = ++o->maps_seq;
	return added;
}

static int proc_rescan(struct wp_out *o, struct proc *p, uint64_t time_ns)
{
	uint64_t now = mono_ns(), wait;
	int n;

	wait = RESCAN_MIN_NS << (p->backoff < RESCAN_MAX_SHIFT ? p->backoff : RESCAN_MAX_SHIFT);
	if (now - p->last_scan < wait)
		return 0;
	o->st.maps_rescans++;
	n = proc_scan(o, p, time_ns);
	if (n < 0)
		return n;
	p->backoff = n ? 0 : p->backoff + 1;
	return 0;
}

int wp_out__snapshot_pid(struct wp_out *o, uint32_t pid, uint64_t time_ns)
{
	struct proc *p = proc_get(o, pid);
	int n;

	if (!p)
		return -ENOMEM;
	n = proc_scan(o, p, time_ns);
	return n < 0 ? n : 0;
}

/* ---- samples -------------------------------------------------------- */

static int emit_samples(struct wp_out *o)
{
	int err;

	if (!o->sb.count)
		return 0;
	wpd_samples_builder__finish(&o->sb);
	err = wpd_writer__add_buf(o->w, WPD_REC_SAMPLES, &o->sb.buf);
	wpd_samples_builder__reset(&o->sb);
	return err;
}

static int cmp_pending(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;

	if (x->s.time_ns != y->s.time_ns)
		return x->s.time_ns < y->s.time_ns ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int wp_out__end_drain(struct wp_out *o)
{
	size_t i;
	int err;

	if (!o->npend)
		return 0;
	/* The ring buffer is filled in reserve order by all CPUs; sort what
	 * one drain brought so the batch's time deltas stay exact. */
	qsort(o->pend, o->npend, sizeof(*o->pend), cmp_pending);
	for (i = 0; i < o->npend; i++) {
		if (wpd_samples_builder__add(&o->sb, &o->pend[i].s) == 1)
			o->st.out_of_order++;
		o->st.samples++;
		if (o->sb.count >= SAMPLES_BATCH) {
			err = emit_samples(o);
			if (err) {
				o->npend = 0;
				return err;
			}
		}
	}
	o->npend = 0;
	if (o->sb.buf.oom)
		return -ENOMEM;
	return 0;
}

/* Frames of a stack-map id, read from the map the first time. */
static const struct id_frames *id_frames(struct wp_out *o, bool kernel, uint32_t id)
{
	struct id_frames **tab = kernel ? &o->kids : &o->uids;
	size_t *n = kernel ? &o->nkids : &o->nuids;
	struct id_frames *e;
	unsigned int i;

	if (id >= *n) {
		size_t ncap = *n ? *n : 256;
		struct id_frames *t;

		while (ncap <= id)
			ncap *= 2;
		t = realloc(*tab, ncap * sizeof(*t));
		if (!t)
			return NULL;
		memset(t + *n, 0, (ncap - *n) * sizeof(*t));
		*tab = t;
		*n = ncap;
	}
	e = &(*tab)[id];
	if (e->state)
		return e;
	e->state = 2;
	if (bpf_map_lookup_elem(kernel ? o->kfd : o->ufd, &id, o->scratch)) {
		o->st.lost[WP_OUT_LOST_STACK_READ]++;
		return e;
	}
	for (i = 0; i < o->max_frames && o->scratch[i]; i++)
		;
	e->frames = malloc((i ? i : 1) * sizeof(uint64_t));
	if (!e->frames)
		return e;
	memcpy(e->frames, o->scratch, i * sizeof(uint64_t));
	e->n = (uint16_t)i;
	e->state = 1;
	return e;
}

static int write_ksym(struct wp_out *o, uint64_t start, uint64_t size, const char *name,
		      const char *mod)
{
	struct wpd_ksym k;
	int err;

	k.start = start;
	k.size = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
	k.module_str = 0;
	err = intern(o, name, strlen(name), &k.name_str);
	if (!err && mod)
		err = intern(o, mod, strlen(mod), &k.module_str);
	if (err)
		return err;
	wpd_encode_ksym(&o->buf, &k);
	err = wpd_writer__add_buf(o->w, WPD_REC_KSYM, &o->buf);
	if (!err)
		o->st.ksyms++;
	return err;
}

/* Address a reader looks up for kernel frame i: the leaf as is, return
 * addresses minus one (the call, not what follows it). */
static uint64_t frame_lookup_addr(const uint64_t *frames, uint16_t i)
{
	return i ? frames[i] - 1 : frames[i];
}

/* Without a resolver: the /proc/kallsyms table. */
static int write_ksyms_kallsyms(struct wp_out *o, const uint64_t *frames, uint16_t n)
{
	uint16_t i;
	int err;

	if (!o->ksyms_tried) {
		err = wp_out__load_ksyms(o);
		if (err)
			return err;
	}
	for (i = 0; i < n; i++) {
		long idx = o->ksym_done ? wp_ksyms__find(o->ksyms, frame_lookup_addr(frames, i)) : -1;
		const struct wp_ksym_ent *e;

		if (idx < 0) {
			o->st.ksym_unresolved++;
			continue;
		}
		if (o->ksym_done[idx])
			continue;
		o->ksym_done[idx] = 1;
		e = wp_ksyms__get(o->ksyms, idx);
		err = write_ksym(o, e->start, e->size, wp_ksyms__name(o->ksyms, e),
				 wp_ksyms__module(o->ksyms, e));
		if (err)
			return err;
	}
	return 0;
}

/* Index of the first stored symbol starting after addr. */
static size_t kr_upper(const struct wp_out *o, uint64_t addr)
{
	size_t lo = 0, hi = o->nkr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (o->kr[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool kr_has(const struct wp_out *o, uint64_t addr)
{
	size_t i = kr_upper(o, addr);

	return i && addr < o->kr[i - 1].end;
}

static int kr_add(struct wp_out *o, uint64_t start, uint64_t end)
{
	size_t i = kr_upper(o, start);

	if (o->nkr == o->kr_cap) {
		size_t ncap = o->kr_cap ? o->kr_cap * 2 : 256;
		struct ksym_range *n = realloc(o->kr, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		o->kr = n;
		o->kr_cap = ncap;
	}
	memmove(o->kr + i + 1, o->kr + i, (o->nkr - i) * sizeof(*o->kr));
	o->kr[i].start = start;
	o->kr[i].end = end > start ? end : start + 1;
	o->nkr++;
	return 0;
}

/* "name+0xoff/0xsize" or "name+0xoff/0xsize [module]"; false for "0x..." */
static bool parse_sprint_symbol(char *s, const char **name, const char **mod,
				uint64_t *off, uint64_t *size)
{
	char *br = strstr(s, " ["), *plus;
	unsigned long long o, sz;

	*mod = NULL;
	if (br) {
		char *end = strchr(br + 2, ']');

		if (!end)
			return false;
		*end = '\0';
		*br = '\0';
		*mod = br + 2;
	}
	plus = strrchr(s, '+');
	if (!plus || plus == s || sscanf(plus + 1, "0x%llx/0x%llx", &o, &sz) != 2)
		return false;
	*plus = '\0';
	*name = s;
	*off = o;
	*size = sz;
	return true;
}

/* KSYM records for the symbols the kernel frames of a new stack fall in,
 * each stored once. */
static int write_ksyms(struct wp_out *o, const uint64_t *frames, uint16_t n)
{
	uint16_t i;
	size_t j;
	int err;

	if (!o->ksym_resolve)
		return write_ksyms_kallsyms(o, frames, n);
	o->nkq = 0;
	for (i = 0; i < n; i++) {
		uint64_t a = frame_lookup_addr(frames, i);

		if (kr_has(o, a))
			continue;
		if (wp_map__ref(&o->kunres, a)) {
			o->st.ksym_unresolved++;
			continue;
		}
		for (j = 0; j < o->nkq && o->kq[j] != a; j++)
			;
		if (j < o->nkq)
			continue;
		if (o->nkq == o->kq_cap) {
			size_t ncap = o->kq_cap ? o->kq_cap * 2 : 128;
			uint64_t *q = realloc(o->kq, ncap * sizeof(*q));
			char (*names)[WP_KSYM_LEN] = realloc(o->knames, ncap * sizeof(*names));

			if (q)
				o->kq = q;
			if (names)
				o->knames = names;
			if (!q || !names)
				return -ENOMEM;
			o->kq_cap = ncap;
		}
		o->kq[o->nkq++] = a;
	}
	if (!o->nkq)
		return 0;
	err = o->ksym_resolve(o->ksym_ctx, o->kq, o->nkq, o->knames);
	if (err) {
		if (err != -EOPNOTSUPP)
			pr_warn("kernel symbol lookup failed: %s: reading /proc/kallsyms instead",
				strerror(-err));
		o->ksym_resolve = NULL;
		return write_ksyms_kallsyms(o, frames, n);
	}
	for (j = 0; j < o->nkq; j++) {
		const char *name, *mod;
		uint64_t off, size;

		if (kr_has(o, o->kq[j]))
			continue; /* another address of a symbol just stored */
		if (!parse_sprint_symbol(o->knames[j], &name, &mod, &off, &size) ||
		    off > o->kq[j]) {
			if (wp_map__put(&o->kunres, o->kq[j], 1))
				return -ENOMEM;
			o->st.ksym_unresolved++;
			continue;
		}
		err = write_ksym(o, o->kq[j] - off, size, name, mod);
		if (!err)
			err = kr_add(o, o->kq[j] - off, o->kq[j] - off + size);
		if (err)
			return err;
	}
	return 0;
}

/* Queue a sample for the next SAMPLES batch. */
static int add_pending(struct wp_out *o, const struct wp_sample_event *e, uint32_t stack_id)
{
	struct pending *pe;

	if (o->npend == o->pend_cap) {
		size_t ncap = o->pend_cap ? o->pend_cap * 2 : 1024;
		struct pending *n = realloc(o->pend, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		o->pend = n;
		o->pend_cap = ncap;
	}
	pe = &o->pend[o->npend++];
	pe->s.time_ns = e->time_ns;
	pe->s.pid = e->pid;
	pe->s.tid = e->tid;
	pe->s.cpu = e->cpu;
	pe->s.stack_id = stack_id;
	pe->seq = o->seq++;
	return 0;
}

/*
 * The frames of one half of a stack: read from the stack map by id, or
 * the event's own (WP_STACKID_INLINE, at most WP_MAX_FRAMES). A map entry
 * that could not be read leaves none and adds missing to *flags.
 * 0 or -ENOMEM.
 */
static int event_frames(struct wp_out *o, bool kernel, int32_t id, const uint64_t *inl,
			uint16_t ninl, uint32_t missing, const uint64_t **frames, uint16_t *n,
			uint32_t *flags)
{
	if (id >= 0) {
		const struct id_frames *f = id_frames(o, kernel, (uint32_t)id);

		if (!f)
			return -ENOMEM;
		if (f->state == 1) {
			*frames = f->frames;
			*n = f->n;
		} else {
			*flags |= missing;
		}
	} else if (id == WP_STACKID_INLINE) {
		*frames = inl;
		*n = ninl < WP_MAX_FRAMES ? ninl : WP_MAX_FRAMES;
	}
	return 0;
}

static int on_sample(struct wp_out *o, const struct wp_sample_event *e, size_t size)
{
	const struct wp_sample_inline *ei = (const void *)e;
	const uint64_t *kf = NULL, *uf = NULL;
	uint16_t nk = 0, nu = 0;
	uint32_t flags = 0, stack_id = 0;
	uint64_t pair_key = 0, *cached = NULL;
	struct proc *p = NULL;
	bool is_new;
	int err;

	if ((e->kstack_id == WP_STACKID_INLINE || e->ustack_id == WP_STACKID_INLINE) &&
	    size < sizeof(*ei)) {
		o->st.lost[WP_OUT_LOST_BAD_EVENT]++;
		return 0;
	}

	if (!(e->flags & WP_SF_NO_USER)) {
		p = proc_get(o, e->pid);
		if (!p)
			return -ENOMEM;
		if (!p->known) {
			/* Mappings that predate the first sample: as of the
			 * process's exec, or of the recording's start. */
			err = proc_scan(o, p, p->epoch ? p->epoch : o->start_ns);
			if (err < 0)
				return err;
		}
	}
	err = thread_seen(o, e->pid, e->tid, e->comm, e->time_ns);
	if (err)
		return err;

	if (e->flags & WP_SF_KERNEL_MISSING)
		flags |= WPD_STACK_KERNEL_MISSING;
	if (e->flags & WP_SF_USER_MISSING)
		flags |= WPD_STACK_USER_MISSING;
	if (e->flags & WP_SF_NO_USER)
		flags |= WPD_STACK_NO_USER;

	err = event_frames(o, true, e->kstack_id, (const uint64_t *)ei->kernel, e->nkernel,
			   WPD_STACK_KERNEL_MISSING, &kf, &nk, &flags);
	if (!err)
		err = event_frames(o, false, e->ustack_id, (const uint64_t *)ei->user, e->nuser,
				   WPD_STACK_USER_MISSING, &uf, &nu, &flags);
	if (err)
		return err;
	if (o->max_frames && nk >= o->max_frames)
		flags |= WPD_STACK_KERNEL_TRUNCATED;
	if (o->max_frames && nu >= o->max_frames)
		flags |= WPD_STACK_USER_TRUNCATED;

	/* Both ids from the maps: the pair identifies the stack. */
	if (e->kstack_id != WP_STACKID_INLINE && e->ustack_id != WP_STACKID_INLINE) {
		pair_key = (uint64_t)(uint32_t)(e->kstack_id + 2) << 32 |
			   (uint64_t)(uint32_t)(e->ustack_id + 2) << 5 | flags;
		cached = wp_map__ref(&o->pairs, pair_key);
	}
	if (cached) {
		stack_id = (uint32_t)*cached;
	} else {
		err = wp_stacks__intern(o->stacks, flags, kf, nk, uf, nu, &stack_id, &is_new);
		if (err)
			return err;
		if (is_new) {
			uint16_t i;

			/* A return address outside every mapping: dlopen. */
			for (i = 1; p && i < nu; i++) {
				if (!wp_map_list__find(&p->maps, uf[i])) {
					err = proc_rescan(o, p, e->time_ns);
					if (err)
						return err;
					break;
				}
			}
			err = write_ksyms(o, kf, nk);
			if (err)
				return err;
			wpd_encode_stack(&o->buf, stack_id, flags, kf, nk, uf, nu);
			err = wpd_writer__add_buf(o->w, WPD_REC_STACK, &o->buf);
			if (err)
				return err;
			o->st.stacks++;
		}
		if (pair_key && wp_map__put(&o->pairs, pair_key, stack_id))
			return -ENOMEM;
	}
	/* The sampled IP outside every known mapping: dlopen, JIT. */
	if (p && nu && !wp_map_list__find(&p->maps, uf[0])) {
		err = proc_rescan(o, p, e->time_ns);
		if (err)
			return err;
	}
	/* The addresses to name at the end (record/symcap.c). */
	if (p && nu) {
		err = wp_symcap__sample(o->symcap, e->pid, stack_id, &p->maps, uf, nu);
		if (err)
			return err;
	}

	return add_pending(o, e, stack_id);
}

/* The machine the registers of USTACK_DUMP records belong to. */
#if defined(__x86_64__)
#define WP_DUMP_MACHINE EM_X86_64
#else
#define WP_DUMP_MACHINE EM_NONE
#endif

/* A stack of the stack table, its STACK record (and KSYMs) written the
 * first time. */
static int stack_id_of(struct wp_out *o, uint32_t flags, const uint64_t *kf, uint16_t nk,
		       const uint64_t *uf, uint16_t nu, uint32_t *id)
{
	bool is_new;
	int err;

	err = wp_stacks__intern(o->stacks, flags, kf, nk, uf, nu, id, &is_new);
	if (err || !is_new)
		return err;
	err = write_ksyms(o, kf, nk);
	if (err)
		return err;
	wpd_encode_stack(&o->buf, *id, flags, kf, nk, uf, nu);
	err = wpd_writer__add_buf(o->w, WPD_REC_STACK, &o->buf);
	if (!err)
		o->st.stacks++;
	return err;
}

/* A well-formed dump event: its size, and the size the BPF side reserved. */
static bool ustack_ok(struct wp_out *o, const struct wp_ustack_event *e, size_t size,
		      uint32_t *lim)
{
	if (size < sizeof(*e) || size - sizeof(*e) > WP_DUMP_MAX ||
	    e->dump_size > size - sizeof(*e)) {
		o->st.lost[WP_OUT_LOST_BAD_EVENT]++;
		return false;
	}
	*lim = (uint32_t)(size - sizeof(*e));
	return true;
}

/* The mappings a dump of p needs, read again if they may have changed. */
static int dump_maps(struct wp_out *o, struct proc *p, uint64_t ip, uint64_t time_ns)
{
	/*
	 * The reader needs every mapping the unwinding goes through, but only
	 * the IP is known here: re-read the maps at the first dump after an
	 * exec (the libraries are mapped after the exec event), then as often
	 * as proc_rescan()'s backoff allows, for libraries loaded later.
	 * Before the dump record: the mappings it needs come first.
	 */
	if (!p->dumped) {
		p->dumped = true;
		p->last_scan = 0;
	}
	/* the IP outside every mapping known: a library loaded just now (the
	 * dynamic loader at work): read them now, not after the backoff (at
	 * most once a millisecond) */
	if (!wp_map_list__find(&p->maps, ip) && mono_ns() - p->last_scan >= 1000000)
		p->last_scan = 0;
	return proc_rescan(o, p, time_ns);
}

/* The dump of event e as a USTACK_DUMP (stack_id and kernel_stack_id left 0). */
static void dump_of(const struct wp_ustack_event *e, uint32_t lim, uint64_t time_ns,
		    struct wpd_ustack_dump *d)
{
	const struct wp_sample_event *se = &e->s;
	unsigned int i;

	memset(d, 0, sizeof(*d));
	d->time_ns = time_ns;
	d->pid = se->pid;
	d->tid = se->tid;
	d->machine = WP_DUMP_MACHINE;
	d->flags = e->dump_size >= lim ? WPD_USTACK_AT_LIMIT : 0;
	for (i = 0; i < WP_UREGS; i++) {
		if (e->regs_mask >> i & 1) {
			d->regs_mask |= 1ull << i;
			d->regs[i] = e->regs[i];
		}
	}
	d->dump_addr = e->regs[7];
	d->dump_len = e->dump_size;
	d->dump = e->data;
}

/*
 * The stack of a dump, unwound now (record/dwunwind.c): kernel frames kf
 * (flags kflags) and the user frames found, an ordinary STACK (deduplicated
 * as usual), its id in *id. A stack that could not be unwound to its
 * outermost frame keeps the frames found and is marked
 * WPD_STACK_USER_TRUNCATED; every dump is counted by how it ended.
 */
static int unwind_dump(struct wp_out *o, struct proc *p, const struct wp_ustack_event *e,
		       uint32_t lim, uint32_t kflags, const uint64_t *kf, uint16_t nk,
		       uint64_t time_ns, uint32_t *id)
{
	struct wpd_ustack_dump d;
	uint32_t flags = kflags;
	size_t n = 0;
	int err, reason;

	err = dump_maps(o, p, e->regs[16], time_ns);
	if (err)
		return err;
	if (!o->dwu) {
		o->dwu = wp_dwunwind__new(o->symcap);
		o->upcs = malloc(WP_UNWIND_MAX_FRAMES * sizeof(*o->upcs));
		if (!o->dwu || !o->upcs)
			return -ENOMEM;
	}
	dump_of(e, lim, time_ns, &d);
	reason = wp_dwunwind__run(o->dwu, p->pid, p->epoch, &p->maps, p->maps_seq, &d,
				  o->upcs, WP_UNWIND_MAX_FRAMES, &n);
	if (reason < 0)
		return reason;
	if (reason != WP_UNWIND_OK)
		flags |= n ? WPD_STACK_USER_TRUNCATED
			   : WPD_STACK_USER_MISSING | WPD_STACK_USER_TRUNCATED;
	err = stack_id_of(o, flags, kf, nk, o->upcs, (uint16_t)n, id);
	if (err)
		return err;
	o->st.ustack_dumps++;
	o->st.ustack_bytes += e->dump_size;
	o->st.unwind_stacks = wp_dwunwind__stats(o->dwu)->stacks;
	o->st.unwind_complete = wp_dwunwind__stats(o->dwu)->reasons[WP_UNWIND_OK];
	o->st.unwind_ns = wp_dwunwind__stats(o->dwu)->ns;
	/* every user frame is named at the end, as with frame pointers */
	return wp_symcap__sample(o->symcap, p->pid, *id, &p->maps, o->upcs, (uint16_t)n);
}

/*
 * The USTACK_DUMP record of a dump event (its registers are there): the
 * stack id it defines in *id, its kernel frames STACK kid, captured at
 * time_ns by the thread of e.
 */
static int write_dump(struct wp_out *o, struct proc *p, const struct wp_ustack_event *e,
		      uint32_t lim, uint32_t kid, uint64_t time_ns, uint32_t *id)
{
	const struct wp_sample_event *se = &e->s;
	uint64_t ip = e->regs[16];
	struct wpd_ustack_dump d;
	int err;

	err = dump_maps(o, p, ip, time_ns);
	if (err)
		return err;
	dump_of(e, lim, time_ns, &d);
	d.stack_id = wp_stacks__new_id(o->stacks);
	d.kernel_stack_id = kid;
	wpd_encode_ustack_dump(&o->buf, &d);
	err = wpd_writer__add_buf(o->w, WPD_REC_USTACK_DUMP, &o->buf);
	if (err)
		return err;
	o->st.ustack_dumps++;
	o->st.ustack_bytes += e->dump_size;
	*id = d.stack_id;

	/* Only the IP is known here (the callers are unwound by the reader):
	 * name it, keyed by the IP rather than by the sample's own stack id. */
	return wp_symcap__sample(o->symcap, se->pid, (uint32_t)XXH3_64bits(&ip, sizeof(ip)),
				 &p->maps, &ip, 1);
}

/* The process of a dump, its mappings read if they never were. */
static struct proc *dump_proc(struct wp_out *o, uint32_t pid, int *err)
{
	struct proc *p = proc_get(o, pid);

	*err = 0;
	if (!p) {
		*err = -ENOMEM;
		return NULL;
	}
	if (!p->known) {
		*err = proc_scan(o, p, p->epoch ? p->epoch : o->start_ns);
		if (*err > 0)
			*err = 0;
		p->dumped = true; /* read just now */
	}
	return *err < 0 ? NULL : p;
}

/*
 * --call-graph dwarf: a sample with the user registers and stack bytes.
 * Its kernel frames become a STACK (deduplicated as usual); the sample
 * gets a stack id of its own, defined by a USTACK_DUMP record that
 * references that STACK and carries the registers and the bytes for the
 * reader to unwind (docs/unwinding.md).
 */
static int on_ustack(struct wp_out *o, const struct wp_ustack_event *e, size_t size)
{
	const struct wp_sample_event *se = &e->s;
	const uint64_t *kf = NULL;
	uint32_t flags = 0, kid = 0, lim, id;
	uint16_t nk = 0;
	struct proc *p;
	int err;

	if (!ustack_ok(o, e, size, &lim))
		return 0;
	p = dump_proc(o, se->pid, &err);
	if (!p)
		return err;
	err = thread_seen(o, se->pid, se->tid, se->comm, se->time_ns);
	if (err)
		return err;

	if (se->flags & WP_SF_KERNEL_MISSING)
		flags |= WPD_STACK_KERNEL_MISSING;
	err = event_frames(o, true, se->kstack_id, (const uint64_t *)e->kernel, se->nkernel,
			   WPD_STACK_KERNEL_MISSING, &kf, &nk, &flags);
	if (err)
		return err;
	if (o->max_frames && nk >= o->max_frames)
		flags |= WPD_STACK_KERNEL_TRUNCATED;

	if (!e->regs_mask || (se->flags & WP_SF_USER_MISSING)) {
		/* no user registers: a plain sample with no user frames */
		err = stack_id_of(o, flags | WPD_STACK_USER_MISSING, kf, nk, NULL, 0, &kid);
		return err ? err : add_pending(o, se, kid);
	}
	if (!o->keep_dumps) {
		err = unwind_dump(o, p, e, lim, flags, kf, nk, se->time_ns, &id);
		return err ? err : add_pending(o, se, id);
	}
	if (nk || flags) {
		err = stack_id_of(o, flags, kf, nk, NULL, 0, &kid);
		if (err)
			return err;
	}
	err = write_dump(o, p, e, lim, kid, se->time_ns, &id);
	return err ? err : add_pending(o, se, id);
}

/* ---- scheduler events (off-CPU) ---------------------------------------- */

/*
 * Intervals (OFFCPU batches), aggregates drained from the kernel
 * (OFFCPU_AGG, one record per flush), lifecycle (TASK), accounting
 * (THREAD_TIME). Stacks go through the same table as the samples'.
 *
 * Exec generations. An aggregated interval carries the exec generation of
 * its process (task->self_exec_id), and a reader places an OFFCPU_AGG
 * entry in its process's address space as of the record's from_ns. The
 * entries of a generation that began within the flush period (an exec
 * since the previous flush) therefore go into a record of their own whose
 * from_ns is that exec's time.
 */
#define OFFCPU_BATCH 4096

struct agg_pending {
	struct wpd_offcpu_agg a;
	uint64_t from; /* start of its exec generation, 0: none seen */
};

struct offcpu {
	uint64_t min_block_ns;
	struct wp_map ktrim;   /* kernel stack id -> tracing frames at its top + 1 */
	struct wp_map forks;   /* pid forked while recording -> parent pid (bit 63: done) */
	struct wp_map fork_ns; /* ... -> time of the fork */
	struct wp_map rescued; /* pid -> exec epoch + 1 of its last immediate re-read */
	struct exec_scan { uint32_t pid; uint64_t time_ns; } *scans; /* to re-read after exec */
	size_t nscans, scans_cap;
	struct wpd_offcpu_builder ob;
	struct wpd_offcpu_agg_builder ab;
	struct agg_pending *agg;
	size_t nagg, agg_cap;
	struct wp_map gens;    /* pid << 32 | exec_id -> time of that exec */
	struct wp_map cur_gen; /* pid -> its latest exec_id + 1 */
	struct wp_map tt_last; /* tid -> switches + 1 at its last THREAD_TIME */
	struct wp_sched_counters bpf; /* the kernel's counters, as last read */
	uint64_t events;          /* intervals stored in OFFCPU records */
	uint64_t aggregated;      /* intervals summed into OFFCPU_AGG entries */
	uint64_t agg_entries, agg_records, tasks, thread_times;
};

int wp_out__set_offcpu(struct wp_out *o, uint64_t min_block_ns)
{
	struct offcpu *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	f->min_block_ns = min_block_ns;
	wpd_offcpu_builder__init(&f->ob);
	wpd_offcpu_agg_builder__init(&f->ab);
	wp_map__init(&f->gens);
	wp_map__init(&f->cur_gen);
	wp_map__init(&f->tt_last);
	wp_map__init(&f->ktrim);
	wp_map__init(&f->forks);
	wp_map__init(&f->fork_ns);
	wp_map__init(&f->rescued);
	offcpu_free(o->off);
	o->off = f;
	return 0;
}

static void offcpu_free(struct offcpu *f)
{
	if (!f)
		return;
	wpd_offcpu_builder__release(&f->ob);
	wpd_offcpu_agg_builder__release(&f->ab);
	free(f->agg);
	wp_map__release(&f->gens);
	wp_map__release(&f->cur_gen);
	wp_map__release(&f->tt_last);
	wp_map__release(&f->ktrim);
	wp_map__release(&f->forks);
	wp_map__release(&f->fork_ns);
	wp_map__release(&f->rescued);
	free(f->scans);
	free(f);
}

void wp_out__set_sched_counters(struct wp_out *o, const struct wp_sched_counters *c)
{
	if (o->off && c)
		o->off->bpf = *c;
}

static uint64_t offcpu_lost(const struct wp_out *o)
{
	uint64_t n = 0;
	int i;

	for (i = 0; o->off && i < WP_SC_MAX; i++)
		if (wp_sched_counter_is_lost(i))
			n += o->off->bpf.c[i];
	return n;
}

/* A kernel frame of the tracing machinery: the BPF program itself, the
 * code running it, a tracepoint's iterator. */
static bool tracing_frame(const char *name)
{
	static const char *const pfx[] = {
		"bpf_prog_", "bpf_trace_run", "__bpf_trace_", "__traceiter_", "bpf_trampoline_",
	};
	size_t i;

	for (i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++)
		if (!strncmp(name, pfx[i], strlen(pfx[i])))
			return true;
	return false;
}

/*
 * How many frames at the top of a kernel stack taken in a tracepoint
 * belong to the tracing machinery (how many depends on the kernel and on
 * how many programs share the tracepoint): they are dropped. Once per
 * stack-map id.
 */
#define TRIM_MAX 8
static int kernel_trim(struct wp_out *o, int32_t kid, const uint64_t *kf, uint16_t nk,
		       uint16_t *skip)
{
	char names[TRIM_MAX][WP_KSYM_LEN];
	uint64_t addrs[TRIM_MAX], *cached = wp_map__ref(&o->off->ktrim, (uint64_t)kid);
	uint16_t n = nk < TRIM_MAX ? nk : TRIM_MAX, i;
	int err;

	if (cached) {
		*skip = (uint16_t)(*cached - 1);
		return 0;
	}
	for (i = 0; i < n; i++)
		addrs[i] = kf[i];
	err = o->ksym_resolve ? o->ksym_resolve(o->ksym_ctx, addrs, n, names) : -EOPNOTSUPP;
	if (err) {
		/* /proc/kallsyms (a kernel that cannot name addresses from BPF) */
		if (!o->ksyms_tried) {
			err = wp_out__load_ksyms(o);
			if (err)
				return err;
		}
		for (i = 0; i < n; i++) {
			long idx = o->ksym_done ? wp_ksyms__find(o->ksyms, kf[i]) : -1;

			snprintf(names[i], WP_KSYM_LEN, "%s",
				 idx < 0 ? "" : wp_ksyms__name(o->ksyms, wp_ksyms__get(o->ksyms, idx)));
		}
	}
	for (i = 0; i < n && tracing_frame(names[i]); i++)
		;
	*skip = i;
	return wp_map__put(&o->off->ktrim, (uint64_t)kid, (uint64_t)i + 1) ? -ENOMEM : 0;
}

/*
 * A process forked while recording, before its exec: its address space is
 * its parent's as of the fork, which /proc no longer shows once it has
 * exec'd. The parent's known mappings are written for it, at the fork's
 * time (so a reader puts them before the exec), once. 1 when written.
 */
static int fork_maps(struct wp_out *o, uint32_t pid)
{
	uint64_t *par = wp_map__ref(&o->off->forks, pid), *t, v;
	struct proc *pp;
	size_t i;
	int err;

	if (!par || *par >> 63)
		return 0;
	v = *par;
	t = wp_map__ref(&o->off->fork_ns, pid);
	pp = proc_find(o, (uint32_t)v);
	if (wp_map__put(&o->off->forks, pid, v | 1ull << 63))
		return -ENOMEM;
	if (!t || !pp || !pp->known)
		return 0;
	for (i = 0; i < pp->maps.n; i++) {
		err = write_mmap(o, pid, &pp->maps.v[i], *t);
		if (err)
			return err;
	}
	return 1;
}

/*
 * The user frames of a new stack outside every known mapping: a library
 * mapped since the last read. Right after an exec (the exec's snapshot may
 * come before the dynamic loader mapped the libraries) the maps are read at
 * once, then as often as proc_rescan() allows.
 */
static int user_frames_mapped(struct wp_out *o, struct proc *p, const uint64_t *uf, uint16_t nu,
			      uint64_t time_ns)
{
	uint64_t *done;
	uint16_t i;

	for (i = 0; i < nu && wp_map_list__find(&p->maps, uf[i]); i++)
		;
	if (i == nu)
		return 0;
	done = wp_map__ref(&o->off->rescued, p->pid);
	if (!done || *done != p->epoch + 1) {
		int n;

		if (wp_map__put(&o->off->rescued, p->pid, p->epoch + 1))
			return -ENOMEM;
		o->st.maps_rescans++;
		n = proc_scan(o, p, time_ns);
		return n < 0 ? n : 0;
	}
	return proc_rescan(o, p, time_ns);
}

/* The stack of an interval, or of its waker, as a stack-table id (0: none
 * known). kid, uid: stack-map ids, WP_STACKID_NONE, or WP_STACKID_INLINE
 * with the frames in kf/uf. names: the stack is of the process's current
 * address space (its user addresses are named at the end, symcap.c). */
static int off_stack(struct wp_out *o, uint32_t pid, uint64_t time_ns, int32_t kid,
		     int32_t uid, uint32_t flags, const uint64_t *kf, uint16_t nk,
		     const uint64_t *uf, uint16_t nu, bool names, uint32_t *id)
{
	uint64_t pair_key = 0, *cached = NULL;
	struct proc *p = NULL;
	int err;

	*id = 0;
	if (kid >= 0) {
		const struct id_frames *f = id_frames(o, true, (uint32_t)kid);
		uint16_t skip = 0;

		if (!f)
			return -ENOMEM;
		kf = f->frames;
		nk = f->state == 1 ? f->n : 0;
		if (f->state != 1)
			flags |= WPD_STACK_KERNEL_MISSING;
		if (nk) {
			err = kernel_trim(o, kid, kf, nk, &skip);
			if (err)
				return err;
			kf += skip;
			nk -= skip;
		}
	} else if (kid != WP_STACKID_INLINE) {
		kf = NULL;
		nk = 0;
	}
	if (uid >= 0) {
		const struct id_frames *f = id_frames(o, false, (uint32_t)uid);

		if (!f)
			return -ENOMEM;
		uf = f->frames;
		nu = f->state == 1 ? f->n : 0;
		if (f->state != 1)
			flags |= WPD_STACK_USER_MISSING;
	} else if (uid != WP_STACKID_INLINE) {
		uf = NULL;
		nu = 0;
	}
	if (!nk && !nu && !(flags & (WPD_STACK_KERNEL_MISSING | WPD_STACK_USER_MISSING |
				     WPD_STACK_KERNEL_NOT_WALKED)))
		return 0; /* nothing was captured: no stack */
	if (o->max_frames && nk >= o->max_frames)
		flags |= WPD_STACK_KERNEL_TRUNCATED;
	if (o->max_frames && nu >= o->max_frames)
		flags |= WPD_STACK_USER_TRUNCATED;
	if (nu && (!names || !wp_map__ref(&o->off->cur_gen, pid)) &&
	    wp_map__ref(&o->off->forks, pid)) {
		/* a child forked while recording, before its exec (none seen yet,
		 * or the stack is of an older generation): its parent's maps */
		err = fork_maps(o, pid);
		if (err < 0)
			return err;
		names = false; /* its /proc maps are not these */
	}
	if (nu && names) {
		p = proc_get(o, pid);
		if (!p)
			return -ENOMEM;
		if (!p->known) {
			err = proc_scan(o, p, p->epoch ? p->epoch : o->start_ns);
			if (err < 0)
				return err;
		}
	}
	if (kid != WP_STACKID_INLINE && uid != WP_STACKID_INLINE) {
		/* bit 63: the samples' pairs are not trimmed */
		pair_key = 1ull << 63 | (uint64_t)(uint32_t)(kid + 2) << 32 |
			   (uint64_t)(uint32_t)(uid + 2) << 6 | flags;
		cached = wp_map__ref(&o->pairs, pair_key);
	}
	if (cached) {
		*id = (uint32_t)*cached;
	} else {
		err = stack_id_of(o, flags, kf, nk, uf, nu, id);
		if (err)
			return err;
		if (pair_key && wp_map__put(&o->pairs, pair_key, *id))
			return -ENOMEM;
	}
	if (p && nu) {
		/* a user address outside every known mapping: dlopen, JIT */
		if (!cached) {
			err = user_frames_mapped(o, p, uf, nu, time_ns);
			if (err)
				return err;
		}
		err = wp_symcap__sample(o->symcap, pid, *id, &p->maps, uf, nu);
		if (err)
			return err;
	}
	return 0;
}

static uint32_t main_flags(uint32_t of)
{
	return (of & WP_OF_KERNEL_MISSING ? WPD_STACK_KERNEL_MISSING : 0) |
	       (of & WP_OF_USER_MISSING ? WPD_STACK_USER_MISSING : 0) |
	       (of & WP_OF_NO_USER ? WPD_STACK_NO_USER : 0) |
	       (of & WP_OF_KERNEL_NOT_WALKED ? WPD_STACK_KERNEL_NOT_WALKED : 0);
}

static uint32_t waker_flags(uint32_t of)
{
	return (of & WP_OF_WAKER_KERNEL_MISSING ? WPD_STACK_KERNEL_MISSING : 0) |
	       (of & WP_OF_WAKER_USER_MISSING ? WPD_STACK_USER_MISSING : 0) |
	       (of & WP_OF_WAKER_NO_USER ? WPD_STACK_NO_USER : 0);
}

/* The process's address space now is the one of exec generation exec_id
 * (or no exec of it was seen: the only one known). */
static bool gen_current(const struct wp_out *o, uint32_t pid, uint32_t exec_id)
{
	const uint64_t *g = wp_map__ref(&o->off->cur_gen, pid);

	return !g || *g == (uint64_t)exec_id + 1;
}

static int emit_offcpu(struct wp_out *o)
{
	struct offcpu *f = o->off;
	int err;

	if (!f || !f->ob.count)
		return 0;
	wpd_offcpu_builder__finish(&f->ob);
	err = wpd_writer__add_buf(o->w, WPD_REC_OFFCPU, &f->ob.buf);
	wpd_offcpu_builder__reset(&f->ob);
	return err;
}

static int add_interval(struct wp_out *o, const struct wpd_offcpu *iv)
{
	struct offcpu *f = o->off;
	int ret = wpd_offcpu_builder__add(&f->ob, iv), err;

	if (ret == -ERANGE) {
		/* too far from the batch's previous start: a batch of its own */
		err = emit_offcpu(o);
		if (err)
			return err;
		ret = wpd_offcpu_builder__add(&f->ob, iv);
	}
	if (ret < 0)
		return ret;
	if (f->ob.buf.oom)
		return -ENOMEM;
	f->events++;
	if (f->ob.count >= OFFCPU_BATCH)
		return emit_offcpu(o);
	return 0;
}

/* Queue an aggregate for the next OFFCPU_AGG record(s). */
static int add_agg(struct wp_out *o, const struct wpd_offcpu_agg *a, uint32_t exec_id)
{
	struct offcpu *f = o->off;
	const uint64_t *t = wp_map__ref(&f->gens, (uint64_t)a->pid << 32 | exec_id);
	struct agg_pending *pa;

	if (f->nagg == f->agg_cap) {
		size_t ncap = f->agg_cap ? f->agg_cap * 2 : 1024;
		struct agg_pending *n = realloc(f->agg, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		f->agg = n;
		f->agg_cap = ncap;
	}
	pa = &f->agg[f->nagg++];
	pa->a = *a;
	pa->from = t ? *t : 0;
	return 0;
}

static int on_offcpu(struct wp_out *o, const struct wp_offcpu_event *e, size_t size)
{
	const uint64_t *frames = (const uint64_t *)(e + 1);
	bool names = gen_current(o, e->pid, e->exec_id);
	struct wpd_offcpu iv;
	int err;

	if (((e->kstack_id == WP_STACKID_INLINE || e->ustack_id == WP_STACKID_INLINE) &&
	     (e->nkernel > WP_MAX_FRAMES || e->nuser > WP_MAX_FRAMES ||
	      size < sizeof(*e) + ((size_t)e->nkernel + e->nuser) * sizeof(uint64_t))) ||
	    e->reason > WP_OFF_OTHER) {
		o->st.lost[WP_OUT_LOST_BAD_EVENT]++;
		return 0;
	}
	memset(&iv, 0, sizeof(iv));
	iv.start_ns = e->start_ns;
	iv.duration_ns = e->duration_ns;
	iv.runq_ns = e->runq_ns;
	iv.pid = e->pid;
	iv.tid = e->tid;
	iv.cpu = e->cpu;
	iv.reason = e->reason;
	iv.waker_pid = e->waker_pid;
	iv.waker_tid = e->waker_tid;
	err = off_stack(o, e->pid, e->start_ns, e->kstack_id, e->ustack_id, main_flags(e->flags),
			frames, e->nkernel, frames + e->nkernel, e->nuser, names, &iv.stack_id);
	if (!err && (e->waker_pid || e->waker_tid))
		err = off_stack(o, e->waker_pid, e->start_ns + e->duration_ns - e->runq_ns,
				e->waker_kstack_id, e->waker_ustack_id, waker_flags(e->flags),
				NULL, 0, NULL, 0, true, &iv.waker_stack_id);
	if (err)
		return err;
	if (e->flags & WP_OF_DUMP_PENDING) {
		/* --call-graph dwarf: its user stack comes when the thread
		 * leaves its system call (on_offcpu_ustack()); until then, or if
		 * it does not come, the interval keeps its frame-pointer stack */
		struct dump_wait *w;
		uint32_t kstack = 0;

		if (e->kstack_id != WP_STACKID_NONE || (e->flags & WP_OF_KERNEL_MISSING))
			err = off_stack(o, e->pid, e->start_ns, e->kstack_id, WP_STACKID_NONE,
					main_flags(e->flags) & WPD_STACK_KERNEL_MISSING, frames,
					e->nkernel, NULL, 0, names, &kstack);
		if (err)
			return err;
		if (o->ndw == o->dw_cap) {
			size_t ncap = o->dw_cap ? o->dw_cap * 2 : 64;
			struct dump_wait *n = realloc(o->dw, ncap * sizeof(*n));

			if (!n)
				return -ENOMEM;
			o->dw = n;
			o->dw_cap = ncap;
		}
		w = &o->dw[o->ndw++];
		w->iv = iv;
		w->kstack = kstack;
		w->flushes = 0;
		return 0;
	}
	return add_interval(o, &iv);
}

/*
 * --call-graph dwarf: the user stack of an off-CPU interval (its start in
 * s.time_ns), copied as the thread left the system call it blocked in: a
 * USTACK_DUMP with the interval's kernel frames, and the interval, kept
 * waiting since it came, is stored with that stack.
 */
static int on_offcpu_ustack(struct wp_out *o, const struct wp_ustack_event *e, size_t size)
{
	struct dump_wait *w = NULL;
	uint32_t lim, id;
	struct proc *p;
	size_t i;
	int err;

	if (!ustack_ok(o, e, size, &lim))
		return 0;
	for (i = 0; i < o->ndw; i++) {
		if (o->dw[i].iv.tid == e->s.tid && o->dw[i].iv.start_ns == e->s.time_ns) {
			w = &o->dw[i];
			break;
		}
	}
	if (!w || !e->regs_mask)
		return 0; /* its interval was stored already (or lost): no use */
	p = dump_proc(o, e->s.pid, &err);
	if (!p)
		return err;
	if (o->keep_dumps) {
		err = write_dump(o, p, e, lim, w->kstack, e->s.time_ns, &id);
	} else {
		/* the interval's kernel frames (as the reader takes them from
		 * kernel_stack_id) and the user stack unwound now */
		const uint64_t *kf = NULL, *uf;
		uint32_t kflags = 0;
		uint16_t nk = 0, nu;

		if (w->kstack && wp_stacks__get(o->stacks, w->kstack, &kflags, &kf, &nk, &uf, &nu))
			kflags &= WPD_STACK_KERNEL_TRUNCATED | WPD_STACK_KERNEL_MISSING;
		else if (w->kstack)
			kflags = WPD_STACK_KERNEL_MISSING; /* not in the table: cannot be */
		err = unwind_dump(o, p, e, lim, kflags, kf, nk, e->s.time_ns, &id);
	}
	if (err)
		return err;
	w->iv.stack_id = id;
	err = add_interval(o, &w->iv);
	o->st.offcpu_dumps++;
	*w = o->dw[--o->ndw];
	return err;
}

/* The intervals still waiting for their user stack since the previous
 * flush (all of them at the end) are stored with their frame-pointer one. */
static int dump_waits_expire(struct wp_out *o, bool all)
{
	size_t i = 0;
	int err;

	while (i < o->ndw) {
		if (!all && !o->dw[i].flushes++) {
			i++;
			continue;
		}
		err = add_interval(o, &o->dw[i].iv);
		if (err)
			return err;
		o->st.offcpu_dumps_missing++;
		o->dw[i] = o->dw[--o->ndw];
	}
	return 0;
}

int wp_out__offcpu_agg(struct wp_out *o, const struct wp_agg_key *k, const struct wp_agg_val *v)
{
	struct wpd_offcpu_agg a;
	int err;

	if (!o->off || !v->count || k->reason > WP_OFF_OTHER) {
		o->st.lost[WP_OUT_LOST_BAD_EVENT]++;
		return 0;
	}
	memset(&a, 0, sizeof(a));
	a.pid = k->pid;
	a.tid = k->tid;
	a.reason = k->reason;
	a.waker_pid = k->waker_pid;
	a.waker_tid = k->waker_tid;
	a.intervals = v->count;
	a.total_ns = v->total_ns;
	a.runq_ns = v->runq_ns < v->total_ns ? v->runq_ns : v->total_ns;
	err = off_stack(o, k->pid, mono_ns(), k->kstack_id, k->ustack_id, main_flags(k->flags),
			NULL, 0, NULL, 0, gen_current(o, k->pid, k->exec_id), &a.stack_id);
	if (!err && (k->waker_pid || k->waker_tid))
		err = off_stack(o, k->waker_pid, mono_ns(), k->waker_kstack_id, k->waker_ustack_id,
				waker_flags(k->flags), NULL, 0, NULL, 0, true, &a.waker_stack_id);
	if (err)
		return err;
	return add_agg(o, &a, k->exec_id);
}

static int cmp_agg(const void *x, const void *y)
{
	const struct agg_pending *a = x, *b = y;
	const uint32_t ka[8] = { a->a.pid, a->a.tid, a->a.stack_id, a->a.reason,
				 a->a.waker_pid, a->a.waker_tid, a->a.waker_stack_id };
	const uint32_t kb[8] = { b->a.pid, b->a.tid, b->a.stack_id, b->a.reason,
				 b->a.waker_pid, b->a.waker_tid, b->a.waker_stack_id };
	int i;

	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	for (i = 0; i < 7; i++)
		if (ka[i] != kb[i])
			return ka[i] < kb[i] ? -1 : 1;
	return 0;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

int wp_out__offcpu_agg_end(struct wp_out *o, uint64_t from, uint64_t to)
{
	struct offcpu *f = o->off;
	size_t i, j;
	int err;

	if (!f || !f->nagg)
		return 0;
	for (i = 0; i < f->nagg; i++)
		if (f->agg[i].from < from)
			f->agg[i].from = from;
	qsort(f->agg, f->nagg, sizeof(*f->agg), cmp_agg);
	for (i = 0; i < f->nagg; i = j) {
		uint64_t rfrom = f->agg[i].from;

		wpd_offcpu_agg_builder__reset(&f->ab);
		for (j = i; j < f->nagg && f->agg[j].from == rfrom; j++) {
			struct wpd_offcpu_agg a = f->agg[j].a;

			/* two kernel keys may name the same stacks: one entry */
			while (j + 1 < f->nagg && !cmp_agg(&f->agg[j], &f->agg[j + 1])) {
				j++;
				a.intervals = sat_add(a.intervals, f->agg[j].a.intervals);
				a.total_ns = sat_add(a.total_ns, f->agg[j].a.total_ns);
				a.runq_ns = sat_add(a.runq_ns, f->agg[j].a.runq_ns);
			}
			if (wpd_offcpu_agg_builder__add(&f->ab, &a) < 0)
				continue;
			f->aggregated = sat_add(f->aggregated, a.intervals);
			f->agg_entries++;
		}
		wpd_offcpu_agg_builder__finish(&f->ab, rfrom, to > rfrom ? to : rfrom);
		if (f->ab.buf.oom) {
			f->nagg = 0;
			return -ENOMEM;
		}
		err = wpd_writer__add_buf(o->w, WPD_REC_OFFCPU_AGG, &f->ab.buf);
		if (err) {
			f->nagg = 0;
			return err;
		}
		f->agg_records++;
	}
	f->nagg = 0;
	return 0;
}

static int write_task(struct wp_out *o, uint32_t kind, const struct wp_task_event *e)
{
	struct wpd_task t;
	int err;

	memset(&t, 0, sizeof(t));
	t.time_ns = e->time_ns;
	t.kind = kind;
	t.pid = e->pid;
	t.tid = e->tid;
	t.parent_pid = e->parent_pid;
	t.parent_tid = e->parent_tid;
	if (e->comm[0]) {
		err = intern(o, e->comm, strnlen(e->comm, WP_COMM_LEN), &t.comm_str);
		if (err)
			return err;
	}
	wpd_encode_task(&o->buf, &t);
	err = wpd_writer__add_buf(o->w, WPD_REC_TASK, &o->buf);
	if (!err)
		o->off->tasks++;
	return err;
}

static int write_thread_time(struct wp_out *o, uint32_t pid, uint32_t tid, uint64_t first,
			     uint64_t last, uint64_t oncpu, uint64_t switches, uint32_t flags)
{
	struct wpd_thread_time tt = {
		.pid = pid, .tid = tid, .oncpu_ns = oncpu, .first_ns = first,
		.last_ns = last, .switches = switches, .flags = flags,
	};
	int err;

	wpd_encode_thread_time(&o->buf, &tt);
	err = wpd_writer__add_buf(o->w, WPD_REC_THREAD_TIME, &o->buf);
	if (err)
		return err;
	o->off->thread_times++;
	/* an exited thread's tid, if reused, is a new thread: always written */
	return wp_map__put(&o->off->tt_last, tid,
			   flags & WPD_THREAD_TIME_EXITED ? 0 : switches + 1);
}

static int on_task(struct wp_out *o, const struct wp_task_event *e)
{
	char comm[WP_COMM_LEN];
	int err;

	memcpy(comm, e->comm, WP_COMM_LEN);
	comm[WP_COMM_LEN - 1] = '\0';
	if (e->kind == WP_TASK_SEEN)
		return thread_seen(o, e->pid, e->tid, comm, e->time_ns);
	if (e->kind < WP_TASK_FORK || e->kind > WP_TASK_RENAME) {
		o->st.lost[WP_OUT_LOST_BAD_EVENT]++;
		return 0;
	}
	if (e->kind == WP_TASK_FORK) {
		/* its address space, until it execs, is its parent's */
		if (wp_map__put(&o->off->forks, e->pid, e->parent_pid) ||
		    wp_map__put(&o->off->fork_ns, e->pid, e->time_ns))
			return -ENOMEM;
	}
	if (e->kind == WP_TASK_EXEC) {
		struct offcpu *f = o->off;

		/* read its maps again once the dynamic loader has mapped the
		 * libraries (wp_out__offcpu_poll) */
		if (f->nscans == f->scans_cap) {
			size_t ncap = f->scans_cap ? f->scans_cap * 2 : 64;
			struct exec_scan *n = realloc(f->scans, ncap * sizeof(*n));

			if (!n)
				return -ENOMEM;
			f->scans = n;
			f->scans_cap = ncap;
		}
		f->scans[f->nscans].pid = e->pid;
		f->scans[f->nscans++].time_ns = e->time_ns;
		/* later intervals of this process are of this generation */
		if (wp_map__put(&o->off->gens, (uint64_t)e->pid << 32 | e->exec_id, e->time_ns) ||
		    wp_map__put(&o->off->cur_gen, e->pid, (uint64_t)e->exec_id + 1))
			return -ENOMEM;
	}
	err = write_task(o, e->kind, e);
	if (!err && comm[0])
		err = thread_seen(o, e->pid, e->tid, comm, e->time_ns);
	if (!err && e->kind == WP_TASK_EXIT)
		err = write_thread_time(o, e->pid, e->tid, e->first_ns, e->time_ns, e->oncpu_ns,
					e->switches, WPD_THREAD_TIME_EXITED);
	return err;
}

int wp_out__thread_state(struct wp_out *o, uint32_t tid, const struct wp_thread_state *ts,
			 const struct wp_spill *sp, uint64_t now, bool final)
{
	uint64_t oncpu = ts->oncpu_ns, *last;
	int err;

	if (!o->off)
		return 0;
	if (ts->state == WP_TS_DEAD) {
		/* its exit event found the ring buffer full */
		struct wp_task_event e = {
			.time_ns = ts->out_ns, .pid = ts->pid, .tid = tid,
		};

		err = write_task(o, WP_TASK_EXIT, &e);
		if (!err)
			err = write_thread_time(o, ts->pid, tid, ts->first_ns, ts->out_ns,
						ts->oncpu_ns, ts->switches, WPD_THREAD_TIME_EXITED);
		return err;
	}
	if (ts->state == WP_TS_ON && now > ts->in_ns)
		oncpu += now - ts->in_ns;
	if (!final) {
		/* a snapshot, for the threads that switched since the last one */
		last = wp_map__ref(&o->off->tt_last, tid);
		if (last && *last == ts->switches + 1)
			return 0;
	}
	if (final && ts->state == WP_TS_OFF) {
		/* still off-CPU at the end: the interval so far */
		uint64_t start = ts->out_ns < now ? ts->out_ns : now, dur = now - start, runq = 0;
		const uint64_t *kf = NULL, *uf = NULL;
		uint16_t nk = 0, nu = 0;
		int32_t kid = ts->kstack_id, uid = ts->ustack_id;
		uint32_t flags = main_flags(ts->flags);
		struct wpd_offcpu iv;

		if (ts->reason == WP_OFF_PREEMPTED)
			runq = dur;
		else if (ts->wake_ns && ts->wake_ns < now)
			runq = now - (ts->wake_ns > start ? ts->wake_ns : start);
		if (ts->flags & WP_TSF_KSPILL) {
			if (sp && sp->nkernel) {
				kf = (const uint64_t *)sp->kernel;
				nk = sp->nkernel < WP_MAX_FRAMES ? sp->nkernel : WP_MAX_FRAMES;
				kid = WP_STACKID_INLINE;
			} else {
				flags |= WPD_STACK_KERNEL_MISSING;
			}
		} else if (ts->flags & WP_TSF_KFROZEN) {
			flags |= WPD_STACK_KERNEL_MISSING;
		}
		if (ts->flags & WP_TSF_USPILL) {
			if (sp && sp->nuser) {
				uf = (const uint64_t *)sp->user;
				nu = sp->nuser < WP_MAX_FRAMES ? sp->nuser : WP_MAX_FRAMES;
				uid = WP_STACKID_INLINE;
			} else {
				flags |= WPD_STACK_USER_MISSING;
			}
		}
		memset(&iv, 0, sizeof(iv));
		iv.start_ns = start;
		iv.duration_ns = dur;
		iv.runq_ns = runq;
		iv.pid = ts->pid;
		iv.tid = tid;
		iv.cpu = ts->cpu;
		iv.reason = ts->reason <= WP_OFF_OTHER ? ts->reason : WPD_OFF_OTHER;
		if (ts->wake_ns) {
			iv.waker_pid = ts->waker_pid;
			iv.waker_tid = ts->waker_tid;
		}
		err = off_stack(o, ts->pid, start, kid, uid, flags, kf, nk, uf, nu,
				gen_current(o, ts->pid, ts->exec_id), &iv.stack_id);
		if (!err && (iv.waker_pid || iv.waker_tid))
			err = off_stack(o, iv.waker_pid, now - runq, ts->waker_kstack_id,
					ts->waker_ustack_id, waker_flags(ts->flags), NULL, 0,
					NULL, 0, true, &iv.waker_stack_id);
		if (err)
			return err;
		if (dur >= o->off->min_block_ns || kid == WP_STACKID_INLINE ||
		    uid == WP_STACKID_INLINE) {
			err = add_interval(o, &iv);
		} else {
			struct wpd_offcpu_agg a = {
				.intervals = 1, .total_ns = dur, .runq_ns = runq,
				.pid = iv.pid, .tid = tid, .stack_id = iv.stack_id,
				.reason = iv.reason, .waker_pid = iv.waker_pid,
				.waker_tid = iv.waker_tid, .waker_stack_id = iv.waker_stack_id,
			};

			err = add_agg(o, &a, ts->exec_id);
		}
		if (err)
			return err;
	}
	return write_thread_time(o, ts->pid, tid, ts->first_ns, now > ts->first_ns ? now :
				 ts->first_ns, oncpu, ts->switches, 0);
}

/*
 * The mappings read at an exec (when its event is handled) may predate the
 * libraries, which the dynamic loader maps right after: every process that
 * exec'd is read again EXEC_RESCAN_NS later, once, while it most likely
 * still runs (its stacks resolve by time: the mappings found then belong to
 * the exec's generation). A process already gone is skipped quietly.
 */
#define EXEC_RESCAN_NS (3ull * 1000 * 1000)

int wp_out__offcpu_poll(struct wp_out *o)
{
	struct offcpu *f = o->off;
	uint64_t now;
	size_t i, k = 0;
	int err = 0;

	if (!f || !f->nscans)
		return 0;
	now = mono_ns();
	for (i = 0; i < f->nscans; i++) {
		struct exec_scan *x = &f->scans[i];
		struct proc *p;

		if (now - x->time_ns < EXEC_RESCAN_NS || err) {
			f->scans[k++] = *x;
			continue;
		}
		p = proc_find(o, x->pid);
		if (!p || p->epoch > x->time_ns || (kill((pid_t)x->pid, 0) && errno == ESRCH))
			continue; /* not followed (no maps wanted), exec'd again, or gone */
		o->st.maps_rescans++;
		err = proc_scan(o, p, now);
		if (err > 0)
			err = 0;
	}
	f->nscans = k;
	return err;
}

static void put_offcpu_stats(struct wp_out *o, struct wpd_buf *b, bool finish)
{
	struct offcpu *f = o->off;
	int i;

	if (!f)
		return;
	wpd_kv__put_u64(b, WPD_STAT_OFFCPU_EVENTS, f->events);
	wpd_kv__put_u64(b, WPD_STAT_OFFCPU_AGGREGATED, f->aggregated);
	for (i = 0; i < WP_SC_MAX; i++)
		if (wp_sched_counter_is_lost(i) || f->bpf.c[i] || finish)
			wpd_kv__put_u64(b, wp_sched_counter_name(i), f->bpf.c[i]);
	if (finish) {
		wpd_kv__put_u64(b, "offcpu_agg_entries", f->agg_entries);
		wpd_kv__put_u64(b, "offcpu_agg_records", f->agg_records);
		wpd_kv__put_u64(b, "tasks", f->tasks);
		wpd_kv__put_u64(b, "thread_times", f->thread_times);
	}
}

static int on_exec(struct wp_out *o, const struct wp_exec_event *e)
{
	struct proc *p = proc_find(o, e->pid);
	int err;

	o->st.exec_events++;
	wp_symcap__exec(o->symcap, e->pid);
	if (p || o->eager_maps) {
		struct wpd_mmap_reset r = { .time_ns = e->time_ns, .pid = e->pid };

		/* Samples and intervals from before the exec go out before the
		 * reset. */
		err = wp_out__end_drain(o);
		if (!err)
			err = emit_samples(o);
		if (!err)
			err = emit_offcpu(o);
		if (err)
			return err;
		wpd_encode_mmap_reset(&o->buf, &r);
		err = wpd_writer__add_buf(o->w, WPD_REC_MMAP_RESET, &o->buf);
		if (err)
			return err;
		p = proc_get(o, e->pid);
		if (!p)
			return -ENOMEM;
		wp_map_list__release(&p->maps);
		p->known = false;
		p->dumped = false;
		p->backoff = 0;
		p->last_scan = 0;
		p->epoch = e->time_ns;
		if (o->eager_maps) {
			err = proc_scan(o, p, e->time_ns);
			if (err < 0)
				return err;
		}
	}
	return thread_seen(o, e->pid, e->tid, e->comm, e->time_ns);
}

int wp_out__event(void *ctx, void *data, size_t size)
{
	struct wp_out *o = ctx;
	uint32_t type;

	if (size < sizeof(type)) {
		o->st.lost[WP_OUT_LOST_BAD_EVENT]++;
		return 0;
	}
	memcpy(&type, data, sizeof(type));
	switch (type) {
	case WP_EV_SAMPLE:
		if (size < sizeof(struct wp_sample_event))
			break;
		return on_sample(o, data, size);
	case WP_EV_EXEC:
		if (size < sizeof(struct wp_exec_event))
			break;
		return on_exec(o, data);
	case WP_EV_USTACK:
		return on_ustack(o, data, size);
	case WP_EV_OFFCPU_USTACK:
		return on_offcpu_ustack(o, data, size);
	case WP_EV_OFFCPU:
		if (size < sizeof(struct wp_offcpu_event) || !o->off)
			break;
		return on_offcpu(o, data, size);
	case WP_EV_TASK:
		if (size < sizeof(struct wp_task_event) || !o->off)
			break;
		return on_task(o, data);
	default:
		break;
	}
	o->st.lost[WP_OUT_LOST_BAD_EVENT]++;
	return 0;
}

/* ---- STATS, flush, FINISH ------------------------------------------- */

/* STATS at every flush: the recording so far, every drop counter (zeros
 * too: "nothing lost" is information), and the diagnostic counters that
 * are not zero. FINISH adds totals one can also count in the file. The
 * record is written every second, so it is kept small. */
static void put_stats(struct wp_out *o, struct wpd_buf *b, const struct wp_counters *bpf,
		      uint64_t duration_ns, uint64_t now_ns, bool finish)
{
	const struct { const char *key; uint64_t v; } diag[] = {
		{ "bpf.kernel_stack_inline", bpf ? bpf->c[WP_CNT_KSTACK_INLINE] : 0 },
		{ "bpf.user_stack_inline", bpf ? bpf->c[WP_CNT_USTACK_INLINE] : 0 },
		{ "bpf.user_stack_empty", bpf ? bpf->c[WP_CNT_USTACK_EMPTY] : 0 },
		{ "bpf.idle_samples", bpf ? bpf->c[WP_CNT_IDLE] : 0 },
		{ "bpf.children_followed", bpf ? bpf->c[WP_CNT_FOLLOWED] : 0 },
		{ "stack_hash_collisions", wp_stacks__collisions(o->stacks) },
		{ "ksym_unresolved", o->st.ksym_unresolved },
		{ "mmap_rescans", o->st.maps_rescans },
		{ "exec_events", o->st.exec_events },
		{ "samples_out_of_order", o->st.out_of_order },
		{ "bpf.user_stack_dump_fallback", bpf ? bpf->c[WP_CNT_USTACK_DUMP_FALLBACK] : 0 },
		{ "ustack_dumps", o->st.ustack_dumps },
		{ "ustack_dump_bytes", o->st.ustack_bytes },
		{ "bpf.offcpu_dumps", bpf ? bpf->c[WP_CNT_OFFCPU_DUMPS] : 0 },
		{ "bpf.offcpu_dump_stale", bpf ? bpf->c[WP_CNT_OFFCPU_DUMP_STALE] : 0 },
		{ "offcpu_ustack_dumps", o->st.offcpu_dumps },
		{ "offcpu_ustack_missing", o->st.offcpu_dumps_missing },
	};
	const struct wp_dwunwind_stats *us = o->dwu ? wp_dwunwind__stats(o->dwu) : NULL;
	size_t i;

	wpd_buf__reset(b);
	wpd_kv__put_u64(b, WPD_STAT_SAMPLES, o->st.samples);
	wpd_kv__put_u64(b, WPD_STAT_DURATION, duration_ns);
	wpd_kv__put_u64(b, WPD_STAT_END_MONO, now_ns);
	for (i = 0; i < WP_CNT_MAX; i++)
		if (counter_is_lost(i))
			wpd_kv__put_u64(b, wp_counter_name(i), bpf ? bpf->c[i] : 0);
	for (i = 0; i < WP_OUT_LOST_MAX; i++)
		wpd_kv__put_u64(b, out_lost_names[i], o->st.lost[i]);
	for (i = 0; i < sizeof(diag) / sizeof(diag[0]); i++)
		if (diag[i].v || finish)
			wpd_kv__put_u64(b, diag[i].key, diag[i].v);
	if (finish) {
		wpd_kv__put_u64(b, wp_counter_name(WP_CNT_SAMPLES), bpf ? bpf->c[WP_CNT_SAMPLES] : 0);
		wpd_kv__put_u64(b, "stacks", o->st.stacks);
		wpd_kv__put_u64(b, "ksyms", o->st.ksyms);
		wpd_kv__put_u64(b, "mmaps", o->st.mmaps);
		wpd_kv__put_u64(b, "threads", o->st.threads);
	}
	if (us) { /* dumps unwound here: how each ended (docs/wpd-format.md 7.2) */
		char key[64];

		wpd_kv__put_u64(b, WPD_STAT_UNWIND_PREFIX "stacks", us->stacks);
		for (i = 0; i < WP_UNWIND_NREASONS; i++) {
			snprintf(key, sizeof(key), WPD_STAT_UNWIND_PREFIX "%s",
				 wp_unwind_reason__name((unsigned int)i));
			wpd_kv__put_u64(b, key, us->reasons[i]);
		}
		wpd_kv__put_u64(b, WPD_STAT_UNWIND_PREFIX "frames", us->frames);
		wpd_kv__put_u64(b, WPD_STAT_UNWIND_PREFIX "ns", us->ns);
	}
	put_offcpu_stats(o, b, finish);
}

static int write_stats(struct wp_out *o, const struct wp_counters *bpf,
		       uint64_t duration_ns, uint64_t now_ns)
{
	put_stats(o, &o->buf, bpf, duration_ns, now_ns, false);
	return wpd_writer__add_buf(o->w, WPD_REC_STATS, &o->buf);
}

int wp_out__flush(struct wp_out *o, const struct wp_counters *bpf)
{
	int err;

	err = wp_out__end_drain(o);
	if (!err)
		err = emit_samples(o);
	if (!err)
		err = dump_waits_expire(o, false);
	if (!err)
		err = emit_offcpu(o);
	if (!err) {
		uint64_t now = mono_ns();

		err = write_stats(o, bpf, o->start_ns ? now - o->start_ns : 0, now);
	}
	if (!err)
		err = wpd_writer__flush(o->w);
	return err;
}

static int symcap_intern(void *ctx, const char *s, size_t len, uint32_t *id)
{
	return intern(ctx, s, len, id);
}

void wp_out__set_keep_dumps(struct wp_out *o, bool keep)
{
	o->keep_dumps = keep;
}

void wp_out__set_embed_symbols(struct wp_out *o, bool embed)
{
	struct wp_symcap *c = wp_symcap__new(embed);

	if (!c)
		return; /* keep the one there is */
	wp_symcap__free(o->symcap);
	o->symcap = c;
}

const struct wp_symcap_stats *wp_out__symbols_stats(const struct wp_out *o)
{
	return wp_symcap__stats(o->symcap);
}

int wp_out__finish(struct wp_out *o, const struct wp_counters *bpf,
		   uint64_t duration_ns, uint64_t end_mono_ns,
		   const struct wpd_buf *extra)
{
	struct wpd_buf *b = &o->buf;
	int err, err2;

	err = wp_out__end_drain(o);
	if (!err)
		err = emit_samples(o);
	if (!err)
		err = dump_waits_expire(o, true);
	if (!err)
		err = emit_offcpu(o);
	if (!err)
		err = write_stats(o, bpf, duration_ns, end_mono_ns);
	/* the names of what was recorded, while the files are still open */
	if (!err)
		err = wp_symcap__write(o->symcap, o->w, symcap_intern, o);
	if (!err) {
		put_stats(o, b, bpf, duration_ns, end_mono_ns, true);
		if (extra && extra->len)
			wpd_buf__put(b, extra->data, extra->len);
		err = wpd_writer__add_buf(o->w, WPD_REC_FINISH, b);
	}
	err2 = wpd_writer__close(o->w);
	o->w = NULL;
	if (!err)
		err = err2;
	if (close(o->fd) && !err)
		err = -errno;
	o->fd = -1;
	return err;
}
