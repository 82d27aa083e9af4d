/* SPDX-License-Identifier: MIT */
/*
 * Loading a .wpd into the profile model: one streaming pass, samples
 * aggregated into groups as they are read.
 *
 * Time and generations. A sample's address space and comm depend on when
 * it was taken: a process that exec'ed maps other binaries at the same
 * addresses, a thread may rename itself. Each sample therefore records,
 * in its group key, the time of the latest exec (MMAP_RESET) of its
 * process and of the latest comm change of its thread at or before the
 * sample's time, among the records read so far. resolve.c maps those
 * epochs back to mappings and names once everything is read, so MMAP and
 * THREAD records may come before or after the samples they describe.
 *
 * Off-CPU intervals (OFFCPU, OFFCPU_AGG) become groups of kind
 * WP_EVENT_OFFCPU keyed by the same fields plus the reason, with the
 * generations taken at the interval's start (the stack is the one at
 * switch-out; for an OFFCPU_AGG entry, the start of its period). After the
 * last record, finish() sets the on-CPU weights (sampling period, or
 * calibrated to THREAD_TIME) and builds the per-thread accounting.
 */
#include "report/profile_int.h"
#include "report/embedded.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *wp_event_kind__name(unsigned int kind)
{
	switch (kind) {
	case WP_EVENT_ONCPU:
		return "on-cpu";
	case WP_EVENT_OFFCPU:
		return "off-cpu";
	default:
		return "unknown";
	}
}

const char *wp_offcpu_reason__name(unsigned int reason)
{
	switch (reason) {
	case WPD_OFF_UNKNOWN:
		return "unknown";
	case WPD_OFF_SLEEP:
		return "sleep";
	case WPD_OFF_BLOCKED:
		return "blocked";
	case WPD_OFF_PREEMPTED:
		return "preempted";
	default:
		return "other";
	}
}

static inline uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Times of records other than samples, for the recording's bounds when
 * the file does not give them. */
static void note_time(struct wp_profile *p, uint64_t t)
{
	if (!p->ev_any) {
		p->ev_first = p->ev_last = t;
		p->ev_any = true;
		return;
	}
	if (t < p->ev_first)
		p->ev_first = t;
	if (t > p->ev_last)
		p->ev_last = t;
}

static void set_err(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* ---- key/value stores ---------------------------------------------- */

static struct wp_kv_entry *kv_find(const struct wp_kv_store *s, const char *key,
				   size_t key_len)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strlen(s->v[i].key) == key_len &&
		    memcmp(s->v[i].key, key, key_len) == 0)
			return &s->v[i];
	return NULL;
}

static char *dup_bytes(const void *p, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		return NULL;
	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static int kv_put(struct wp_kv_store *s, const struct wpd_kv *kv)
{
	struct wp_kv_entry *e = kv_find(s, kv->key, kv->key_len);
	char *str = NULL;

	if (kv->type == WPD_KV_STRING) {
		str = dup_bytes(kv->value, kv->value_len);
		if (!str)
			return -ENOMEM;
	}
	if (!e) {
		char *key = dup_bytes(kv->key, kv->key_len);

		if (!key || WP_GROW(s->v, s->cap, s->n + 1)) {
			free(key);
			free(str);
			return -ENOMEM;
		}
		e = &s->v[s->n++];
		memset(e, 0, sizeof(*e));
		e->key = key;
	}
	free((char *)e->str);
	e->type = kv->type;
	e->u64 = kv->u64;
	e->str = str;
	e->str_len = str ? kv->value_len : 0;
	return 0;
}

static void kv_release(struct wp_kv_store *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free((char *)s->v[i].key);
		free((char *)s->v[i].str);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* 0, -ENOMEM, or 1 if the list was malformed (counted by the caller). */
static int load_kv(struct wp_kv_store *s, const struct wpd_record *rec)
{
	struct wpd_kv_iter it;
	struct wpd_kv kv;
	int ret;

	wpd_kv_iter__init(&it, rec);
	while ((ret = wpd_kv_iter__next(&it, &kv)) > 0)
		if (kv_put(s, &kv))
			return -ENOMEM;
	return ret < 0 ? 1 : 0;
}

/* ---- lookups ---------------------------------------------------------- */

const char *prof_str(const struct wp_profile *p, uint32_t id, uint32_t *len)
{
	uint64_t idx;

	if (!wp_map__get(&p->string_ids, id, &idx)) {
		if (len)
			*len = 0;
		return NULL;
	}
	if (len)
		*len = p->strings[idx].len;
	return wp_arena__str(&p->strs, p->strings[idx].off);
}

const char *wp_profile__string(const struct wp_profile *p, uint32_t id, uint32_t *len)
{
	return prof_str(p, id, len);
}

struct tid_state *prof_tid(const struct wp_profile *p, uint32_t tid)
{
	uint64_t idx;

	return wp_map__get(&p->tid_idx, tid, &idx) ? &p->tids[idx] : NULL;
}

struct pid_state *prof_pid(const struct wp_profile *p, uint32_t pid)
{
	uint64_t idx;

	return wp_map__get(&p->pid_idx, pid, &idx) ? &p->pids[idx] : NULL;
}

static struct tid_state *tid_get(struct wp_profile *p, uint32_t tid)
{
	struct tid_state *t = prof_tid(p, tid);

	if (t)
		return t;
	if (WP_GROW(p->tids, p->tids_cap, p->ntids + 1) ||
	    wp_map__put(&p->tid_idx, tid, p->ntids))
		return NULL;
	t = &p->tids[p->ntids++];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	return t;
}

static struct pid_state *pid_get(struct wp_profile *p, uint32_t pid)
{
	struct pid_state *ps = prof_pid(p, pid);

	if (ps)
		return ps;
	if (WP_GROW(p->pids, p->pids_cap, p->npids + 1) ||
	    wp_map__put(&p->pid_idx, pid, p->npids))
		return NULL;
	ps = &p->pids[p->npids++];
	memset(ps, 0, sizeof(*ps));
	ps->pid = pid;
	return ps;
}

/* ---- records ---------------------------------------------------------- */

static int load_string(struct wp_profile *p, const struct wpd_record *rec)
{
	struct wpd_string s;
	struct prof_string *e;
	uint64_t idx;

	if (wpd_decode_string(rec, &s))
		return 1;
	if (wp_map__get(&p->string_ids, s.id, &idx)) {
		e = &p->strings[idx]; /* redefined: the last one wins */
	} else {
		if (WP_GROW(p->strings, p->strings_cap, p->nstrings + 1) ||
		    wp_map__put(&p->string_ids, s.id, p->nstrings))
			return -ENOMEM;
		e = &p->strings[p->nstrings++];
	}
	if (wp_arena__add(&p->strs, s.str, s.len, &e->off))
		return -ENOMEM;
	e->len = s.len;
	return 0;
}

static int load_stack(struct wp_profile *p, const struct wpd_record *rec,
		      struct wpd_stack *st)
{
	struct prof_stack *e;
	size_t n;
	uint64_t idx;

	if (wpd_decode_stack(rec, st))
		return 1;
	if (st->id == 0)
		return 1;
	if (wp_map__get(&p->stack_ids, st->id, &idx))
		return 0; /* a repeat: ids name one stack, keep the first */
	n = (size_t)st->nkernel + st->nuser;
	if (WP_GROW(p->stacks, p->stacks_cap, p->nstacks + 1) ||
	    WP_GROW(p->ips, p->ips_cap, p->nips + n + 1) || /* never NULL, even for [] */
	    wp_map__put(&p->stack_ids, st->id, p->nstacks))
		return -ENOMEM;
	e = &p->stacks[p->nstacks++];
	e->off = p->nips;
	e->flags = st->flags;
	e->nkernel = st->nkernel;
	e->nuser = st->nuser;
	memcpy(p->ips + p->nips, st->kernel, st->nkernel * sizeof(uint64_t));
	memcpy(p->ips + p->nips + st->nkernel, st->user, st->nuser * sizeof(uint64_t));
	p->nips += n;
	return 0;
}

/* Records of ts at or before time t (records are sorted by time). */
static size_t comm_upper(const struct tid_state *ts, uint64_t t)
{
	size_t lo = 0, hi = ts->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ts->recs[mid].time <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * A thread's records are kept as runs: sorted by time, and no two
 * neighbours name the same comm, so each record is a change point.
 */
static int thread_name(struct wp_profile *p, const struct wpd_thread *thp)
{
	struct wpd_thread th = *thp;
	struct tid_state *t;
	size_t i;

	t = tid_get(p, th.tid);
	if (!t || WP_GROW(t->recs, t->cap, t->n + 1))
		return -ENOMEM;
	t->pid = th.pid;
	/* the pid is needed for address spaces even without samples */
	if (!pid_get(p, th.pid))
		return -ENOMEM;
	i = comm_upper(t, th.time_ns); /* equal times keep file order */
	if (i > 0 && t->recs[i - 1].comm_str == th.comm_str)
		return 0; /* the same name again: no change */
	memmove(t->recs + i + 1, t->recs + i, (t->n - i) * sizeof(*t->recs));
	t->recs[i].time = th.time_ns;
	t->recs[i].comm_str = th.comm_str;
	t->n++;
	/* the next run had this name too: it now starts here */
	if (i + 1 < t->n && t->recs[i + 1].comm_str == th.comm_str) {
		memmove(t->recs + i + 1, t->recs + i + 2, (t->n - i - 2) * sizeof(*t->recs));
		t->n--;
	}
	if (t->n > 1)
		p->comm_changes = true;
	return 0;
}

static int load_thread(struct wp_profile *p, const struct wpd_record *rec)
{
	struct wpd_thread th;

	if (wpd_decode_thread(rec, &th))
		return 1;
	return thread_name(p, &th);
}

static int load_mmap(struct wp_profile *p, const struct wpd_record *rec)
{
	struct wpd_mmap m;
	struct prof_mmap *e;

	if (wpd_decode_mmap(rec, &m))
		return 1;
	if (m.end <= m.start)
		return 1;
	if (!pid_get(p, m.pid) || WP_GROW(p->mmaps, p->mmaps_cap, p->nmmaps + 1))
		return -ENOMEM;
	e = &p->mmaps[p->nmmaps];
	memset(e, 0, sizeof(*e));
	e->time = m.time_ns;
	e->start = m.start;
	e->end = m.end;
	e->pgoff = m.pgoff;
	e->pid = m.pid;
	e->flags = m.flags;
	e->path_str = m.path_str;
	if (m.flags & WPD_MMAP_BUILD_ID) {
		e->build_id_len = m.build_id_len > WPD_BUILD_ID_MAX ?
			WPD_BUILD_ID_MAX : m.build_id_len;
		memcpy(e->build_id, m.build_id, e->build_id_len);
	}
	e->seq = p->nmmaps++;
	return 0;
}

static int load_mmap_reset(struct wp_profile *p, const struct wpd_record *rec)
{
	struct wpd_mmap_reset r;
	struct pid_state *ps;
	size_t i;

	if (wpd_decode_mmap_reset(rec, &r))
		return 1;
	ps = pid_get(p, r.pid);
	if (!ps || WP_GROW(ps->resets, ps->cap, ps->n + 1))
		return -ENOMEM;
	i = ps->n;
	while (i > 0 && ps->resets[i - 1] > r.time_ns) {
		ps->resets[i] = ps->resets[i - 1];
		i--;
	}
	ps->resets[i] = r.time_ns;
	ps->n++;
	p->resets = true;
	return 0;
}

static int load_ksym(struct wp_profile *p, const struct wpd_record *rec)
{
	struct wpd_ksym k;
	struct prof_ksym *e;

	if (wpd_decode_ksym(rec, &k))
		return 1;
	if (WP_GROW(p->ksyms, p->ksyms_cap, p->nksyms + 1))
		return -ENOMEM;
	e = &p->ksyms[p->nksyms++];
	e->start = k.start;
	e->size = k.size;
	e->name_str = k.name_str;
	e->module_str = k.module_str;
	return 0;
}

/* ---- samples ---------------------------------------------------------- */

/* The generations of an event (profile_int.h): profile.c and events.c agree. */
uint64_t prof_mm_epoch(const struct wp_profile *p, uint32_t pid, uint64_t t)
{
	const struct pid_state *ps;
	size_t lo = 0, hi;

	if (!p->resets || !(ps = prof_pid(p, pid)))
		return 0;
	hi = ps->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ps->resets[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? ps->resets[lo - 1] : 0;
}

uint64_t prof_comm_epoch(const struct wp_profile *p, uint32_t tid, uint64_t t)
{
	const struct tid_state *ts;
	size_t i;

	if (!p->comm_changes || !(ts = prof_tid(p, tid)) || ts->n < 2)
		return 0;
	i = comm_upper(ts, t);
	return i <= 1 ? 0 : ts->recs[i - 1].time;
}

static uint64_t group_hash(const struct wp_group *g)
{
	uint64_t h;

	h = wp_hash64(((uint64_t)g->pid << 32) | g->tid);
	h = wp_hash64(h ^ (((uint64_t)g->stack_id << 32) | g->kind));
	h = wp_hash64(h ^ g->mm_epoch);
	h = wp_hash64(h ^ g->comm_epoch);
	h = wp_hash64(h ^ g->reason);
	return h;
}

static bool group_eq(const struct wp_group *a, const struct wp_group *b)
{
	return a->pid == b->pid && a->tid == b->tid && a->stack_id == b->stack_id &&
	       a->kind == b->kind && a->mm_epoch == b->mm_epoch &&
	       a->comm_epoch == b->comm_epoch && a->reason == b->reason;
}

static int gslots_rehash(struct wp_profile *p, size_t ncap)
{
	uint32_t *s = calloc(ncap, sizeof(*s));
	size_t i;

	if (!s)
		return -ENOMEM;
	for (i = 0; i < p->ngroups; i++) {
		size_t j = (size_t)group_hash(&p->groups[i]) & (ncap - 1);

		while (s[j])
			j = (j + 1) & (ncap - 1);
		s[j] = (uint32_t)(i + 1);
	}
	free(p->gslots);
	p->gslots = s;
	p->gslots_cap = ncap;
	return 0;
}

static void group_add(struct wp_group *g, uint64_t count, uint64_t weight, uint64_t runq)
{
	g->count = sat_add(g->count, count);
	g->weight = sat_add(g->weight, weight);
	g->runq_ns = sat_add(g->runq_ns, runq);
}

/* Add count events weighing weight ns in all (runq ns of it in a run queue). */
static int add_events(struct wp_profile *p, const struct wp_group *key, uint64_t count,
		      uint64_t weight, uint64_t runq)
{
	struct wp_group *g;
	size_t j;

	if (p->last_group && group_eq(&p->groups[p->last_group - 1], key)) {
		group_add(&p->groups[p->last_group - 1], count, weight, runq);
		return 0;
	}
	if ((p->ngroups + 1) * 2 > p->gslots_cap) {
		if (p->ngroups >= UINT32_MAX / 2 ||
		    gslots_rehash(p, p->gslots_cap ? p->gslots_cap * 2 : 1024))
			return -ENOMEM;
	}
	j = (size_t)group_hash(key) & (p->gslots_cap - 1);
	while (p->gslots[j]) {
		g = &p->groups[p->gslots[j] - 1];
		if (group_eq(g, key)) {
			group_add(g, count, weight, runq);
			p->last_group = p->gslots[j];
			return 0;
		}
		j = (j + 1) & (p->gslots_cap - 1);
	}
	if (WP_GROW(p->groups, p->groups_cap, p->ngroups + 1))
		return -ENOMEM;
	g = &p->groups[p->ngroups++];
	*g = *key;
	g->count = count;
	g->weight = weight;
	g->runq_ns = runq;
	p->gslots[j] = (uint32_t)p->ngroups;
	p->last_group = p->ngroups;
	return 0;
}

static int load_samples(struct wp_profile *p, const struct wpd_record *rec)
{
	struct wpd_samples_iter it;
	struct wpd_sample s;
	struct wp_group key;
	int ret;

	if (wpd_samples_iter__init(&it, rec))
		return 1;
	memset(&key, 0, sizeof(key));
	key.kind = WP_EVENT_ONCPU;
	while ((ret = wpd_samples_iter__next(&it, &s)) > 0) {
		key.pid = s.pid;
		key.tid = s.tid;
		key.stack_id = prof_stack_alias(p, s.stack_id);
		key.mm_epoch = prof_mm_epoch(p, s.pid, s.time_ns);
		key.comm_epoch = prof_comm_epoch(p, s.tid, s.time_ns);
		/* the weight (ns) is set by finish(), once THREAD_TIME is known */
		if (add_events(p, &key, 1, 0, 0))
			return -ENOMEM;
		if (!p->read.samples || s.time_ns < p->read.first_ns)
			p->read.first_ns = s.time_ns;
		if (s.time_ns > p->read.last_ns)
			p->read.last_ns = s.time_ns;
		p->read.samples++;
	}
	/* samples decoded before the damage stay counted */
	return ret < 0 ? 1 : 0;
}

/* ---- scheduler records ---------------------------------------------------- */

static uint64_t waker_hash(const struct wp_waker *w)
{
	uint64_t h;

	h = wp_hash64(((uint64_t)w->pid << 32) | w->tid);
	h = wp_hash64(h ^ (((uint64_t)w->waker_pid << 32) | w->waker_tid));
	h = wp_hash64(h ^ (((uint64_t)w->waker_stack_id << 32) | w->reason));
	h = wp_hash64(h ^ w->comm_epoch);
	h = wp_hash64(h ^ w->waker_mm_epoch);
	h = wp_hash64(h ^ w->waker_comm_epoch);
	return h;
}

static bool waker_eq(const struct wp_waker *a, const struct wp_waker *b)
{
	return a->pid == b->pid && a->tid == b->tid && a->waker_pid == b->waker_pid &&
	       a->waker_tid == b->waker_tid && a->waker_stack_id == b->waker_stack_id &&
	       a->reason == b->reason && a->comm_epoch == b->comm_epoch &&
	       a->waker_mm_epoch == b->waker_mm_epoch &&
	       a->waker_comm_epoch == b->waker_comm_epoch;
}

static int add_waker(struct wp_profile *p, const struct wp_waker *key, uint64_t count,
		     uint64_t ns)
{
	struct wp_waker *w;
	uint64_t h = waker_hash(key), idx;

	for (;; h = wp_hash64(h + 1)) {
		if (!wp_map__get(&p->waker_idx, h, &idx))
			break;
		w = &p->wakers[idx];
		if (waker_eq(w, key)) {
			w->count = sat_add(w->count, count);
			w->total_ns = sat_add(w->total_ns, ns);
			return 0;
		}
	}
	if (WP_GROW(p->wakers, p->wakers_cap, p->nwakers + 1) ||
	    wp_map__put(&p->waker_idx, h, p->nwakers))
		return -ENOMEM;
	w = &p->wakers[p->nwakers++];
	*w = *key;
	w->count = count;
	w->total_ns = ns;
	return 0;
}

/*
 * One off-CPU interval or aggregated entry: t is its start (the stack's
 * time), wake the time of its wakeup, count intervals of dur ns in all.
 */
struct offcpu_item {
	uint32_t pid, tid, stack_id, reason;
	uint32_t waker_pid, waker_tid, waker_stack_id;
	uint64_t t, wake, count, dur, runq;
};

static int add_offcpu(struct wp_profile *p, struct offcpu_item *o)
{
	struct wp_group key;

	if (o->reason > WPD_OFF_REASON_MAX)
		o->reason = WPD_OFF_OTHER; /* a newer minor's reason */
	if (o->reason == WPD_OFF_PREEMPTED)
		o->runq = o->dur; /* all of it waits for a CPU, whatever the file says */
	if (o->runq > o->dur)
		o->runq = o->dur;
	memset(&key, 0, sizeof(key));
	key.kind = WP_EVENT_OFFCPU;
	key.pid = o->pid;
	key.tid = o->tid;
	key.stack_id = prof_stack_alias(p, o->stack_id);
	key.reason = o->reason;
	key.mm_epoch = prof_mm_epoch(p, o->pid, o->t);
	key.comm_epoch = prof_comm_epoch(p, o->tid, o->t);
	if (add_events(p, &key, o->count, o->dur, o->runq))
		return -ENOMEM;
	if ((o->waker_pid || o->waker_tid) && o->reason != WPD_OFF_PREEMPTED) {
		struct wp_waker w;

		memset(&w, 0, sizeof(w));
		w.pid = o->pid;
		w.tid = o->tid;
		w.comm_epoch = key.comm_epoch;
		w.waker_pid = o->waker_pid;
		w.waker_tid = o->waker_tid;
		w.waker_stack_id = o->waker_stack_id;
		w.reason = o->reason;
		w.waker_mm_epoch = prof_mm_epoch(p, o->waker_pid, o->wake);
		w.waker_comm_epoch = prof_comm_epoch(p, o->waker_tid, o->wake);
		if (add_waker(p, &w, o->count, o->dur - o->runq))
			return -ENOMEM;
	}
	return 0;
}

static int load_offcpu(struct wp_profile *p, const struct wpd_record *rec,
		       const struct wp_load_opts *opts)
{
	struct wpd_offcpu_iter it;
	struct wpd_offcpu iv;
	int ret;

	if (wpd_offcpu_iter__init(&it, rec))
		return 1;
	while ((ret = wpd_offcpu_iter__next(&it, &iv)) > 0) {
		struct offcpu_item o = {
			.pid = iv.pid, .tid = iv.tid, .stack_id = iv.stack_id,
			.reason = iv.reason, .waker_pid = iv.waker_pid,
			.waker_tid = iv.waker_tid, .waker_stack_id = iv.waker_stack_id,
			.t = iv.start_ns, .count = 1, .dur = iv.duration_ns,
			.runq = iv.runq_ns,
		};

		/* the decoder checked that the end fits and runq <= duration */
		o.wake = iv.start_ns + iv.duration_ns - iv.runq_ns;
		if (add_offcpu(p, &o))
			return -ENOMEM;
		p->read.offcpu_intervals++;
		note_time(p, iv.start_ns);
		note_time(p, iv.start_ns + iv.duration_ns);
		if (opts && opts->offcpu_cb) {
			iv.reason = o.reason;
			iv.runq_ns = o.runq;
			opts->offcpu_cb(opts->cb_arg, &iv);
		}
	}
	return ret < 0 ? 1 : 0;
}

static int load_offcpu_agg(struct wp_profile *p, const struct wpd_record *rec)
{
	struct wpd_offcpu_agg_iter it;
	struct wpd_offcpu_agg a;
	int ret;

	if (wpd_offcpu_agg_iter__init(&it, rec))
		return 1;
	note_time(p, it.from_ns);
	note_time(p, it.to_ns);
	while ((ret = wpd_offcpu_agg_iter__next(&it, &a)) > 0) {
		/* no individual times: the period's start stands for them */
		struct offcpu_item o = {
			.pid = a.pid, .tid = a.tid, .stack_id = a.stack_id,
			.reason = a.reason, .waker_pid = a.waker_pid,
			.waker_tid = a.waker_tid, .waker_stack_id = a.waker_stack_id,
			.t = it.from_ns, .wake = it.from_ns, .count = a.intervals,
			.dur = a.total_ns, .runq = a.runq_ns,
		};

		if (add_offcpu(p, &o))
			return -ENOMEM;
		p->read.offcpu_agg_entries++;
		p->read.offcpu_agg_intervals = sat_add(p->read.offcpu_agg_intervals, a.intervals);
	}
	return ret < 0 ? 1 : 0;
}

static int load_task(struct wp_profile *p, const struct wpd_record *rec)
{
	struct wpd_task t;
	struct tid_state *ts;

	if (wpd_decode_task(rec, &t))
		return 1;
	p->read.tasks++;
	note_time(p, t.time_ns);
	switch (t.kind) {
	case WPD_TASK_FORK:
	case WPD_TASK_THREAD:
	case WPD_TASK_EXEC:
	case WPD_TASK_RENAME:
		if (t.comm_str) {
			struct wpd_thread th = {
				.time_ns = t.time_ns, .pid = t.pid, .tid = t.tid,
				.comm_str = t.comm_str,
			};

			if (thread_name(p, &th))
				return -ENOMEM;
		}
		break;
	case WPD_TASK_EXIT:
		break;
	default:
		return 0; /* a kind from a newer minor: ignored */
	}
	ts = tid_get(p, t.tid);
	if (!ts)
		return -ENOMEM;
	ts->pid = t.pid;
	ts->task = true;
	if (t.kind == WPD_TASK_FORK || t.kind == WPD_TASK_THREAD) {
		/* a reused tid: the latest creation is the thread that lasts */
		if (!ts->created || t.time_ns > ts->created_ns)
			ts->created_ns = t.time_ns;
		ts->created = true;
	} else if (t.kind == WPD_TASK_EXIT) {
		if (!ts->exited || t.time_ns > ts->exit_ns)
			ts->exit_ns = t.time_ns;
		ts->exited = true;
	}
	return 0;
}

static int load_thread_time(struct wp_profile *p, const struct wpd_record *rec)
{
	struct wpd_thread_time tt;
	struct tid_state *ts;

	if (wpd_decode_thread_time(rec, &tt))
		return 1;
	p->read.thread_times++;
	note_time(p, tt.first_ns);
	note_time(p, tt.last_ns);
	ts = tid_get(p, tt.tid);
	if (!ts)
		return -ENOMEM;
	ts->pid = tt.pid;
	ts->tt = tt; /* cumulative: the last record in the file wins */
	ts->has_tt = true;
	return 0;
}

/* ---- the reading loop -------------------------------------------------- */

static int load_record(struct wp_profile *p, const struct wpd_record *rec,
		       struct wpd_stack *st, const struct wp_load_opts *opts)
{
	switch (rec->type) {
	case WPD_REC_META:
		return load_kv(&p->meta, rec);
	case WPD_REC_STATS:
	case WPD_REC_FINISH:
		return load_kv(&p->stats, rec);
	case WPD_REC_STRING:
		return load_string(p, rec);
	case WPD_REC_STACK:
		return load_stack(p, rec, st);
	case WPD_REC_SAMPLES:
		return load_samples(p, rec);
	case WPD_REC_THREAD:
		return load_thread(p, rec);
	case WPD_REC_MMAP:
		return load_mmap(p, rec);
	case WPD_REC_MMAP_RESET:
		return load_mmap_reset(p, rec);
	case WPD_REC_KSYM:
		return load_ksym(p, rec);
	case WPD_REC_OFFCPU:
		return load_offcpu(p, rec, opts);
	case WPD_REC_OFFCPU_AGG:
		return load_offcpu_agg(p, rec);
	case WPD_REC_TASK:
		return load_task(p, rec);
	case WPD_REC_THREAD_TIME:
		return load_thread_time(p, rec);
	case WPD_REC_USTACK_DUMP:
		return prof_unwind_record(p, rec, opts); /* unwind_load.c */
	case WPD_REC_JITSYM:
	case WPD_REC_SYMBOL:
	case WPD_REC_SRCLINE: {
		int ret = wp_embedded__load(&p->emb, rec); /* embedded.c */

		return ret == -EBADMSG ? 1 : ret;
	}
	default:
		/* the reader skips types it does not know; nothing else comes */
		return 0;
	}
}

/* Count references to ids that were never defined. */
static void count_dangling(struct wp_profile *p)
{
	uint64_t idx;
	size_t i;

	for (i = 0; i < p->ngroups; i++) {
		const struct wp_group *g = &p->groups[i];

		if (!g->stack_id || wp_map__get(&p->stack_ids, g->stack_id, &idx))
			continue;
		if (g->kind == WP_EVENT_OFFCPU)
			p->read.dangling_stack_offcpu = sat_add(p->read.dangling_stack_offcpu, g->count);
		else
			p->read.dangling_stack_samples += g->count;
	}
	for (i = 0; i < p->ntids; i++)
		for (size_t j = 0; j < p->tids[i].n; j++)
			if (!prof_str(p, p->tids[i].recs[j].comm_str, NULL))
				p->read.dangling_strings++;
	for (i = 0; i < p->nmmaps; i++)
		if (!prof_str(p, p->mmaps[i].path_str, NULL))
			p->read.dangling_strings++;
	for (i = 0; i < p->nksyms; i++) {
		if (!prof_str(p, p->ksyms[i].name_str, NULL))
			p->read.dangling_strings++;
		if (p->ksyms[i].module_str && !prof_str(p, p->ksyms[i].module_str, NULL))
			p->read.dangling_strings++;
	}
}

/* ---- after the last record ------------------------------------------------ */

#define DEFAULT_FREQ_HZ 99 /* wp-record's default, for a file that does not say */

/* Per thread, while finishing (parallel to p->tids). */
struct tacc {
	uint64_t samples, intervals, runq;
	uint64_t off[WP_OFF_NREASONS];
	uint64_t off_not_walked; /* of off[], without a kernel stack walk */
	uint64_t assigned; /* calibrated on-CPU ns handed out so far */
	uint32_t gpid;     /* pid of its first group */
	bool grouped, calibrate;
};

/* The recording's bounds: what the recorder stored, else the events'. */
static bool rec_bounds(const struct wp_profile *p, uint64_t *start, uint64_t *end)
{
	const struct wp_profile_read *r = &p->read;
	uint64_t first = p->ev_first, last = p->ev_last, dur;
	bool any = p->ev_any;

	if (r->samples) {
		if (!any || r->first_ns < first)
			first = r->first_ns;
		if (!any || r->last_ns > last)
			last = r->last_ns;
		any = true;
	}
	if (!wp_profile__meta_u64(p, WPD_META_START_MONO, start)) {
		if (!any)
			return false;
		*start = first;
	}
	if (!wp_profile__stat_u64(p, WPD_STAT_END_MONO, end)) {
		if (wp_profile__stat_u64(p, WPD_STAT_DURATION, &dur) && dur <= UINT64_MAX - *start)
			*end = *start + dur;
		else
			*end = any && last > *start ? last : *start;
	}
	if (*end < *start)
		*end = *start;
	return true;
}

/* On-CPU group weights: calibrated to THREAD_TIME, else count x period. */
static void set_oncpu_weights(struct wp_profile *p, struct tacc *acc)
{
	size_t i;

	for (i = 0; i < p->ngroups; i++) {
		struct wp_group *g = &p->groups[i];
		uint64_t idx;
		struct tacc *a;
		unsigned __int128 w;

		if (g->kind != WP_EVENT_ONCPU)
			continue;
		wp_map__get(&p->tid_idx, g->tid, &idx); /* finish() made every tid */
		a = &acc[idx];
		if (a->calibrate) {
			/* count <= samples: at most oncpu_ns */
			w = (unsigned __int128)g->count * p->tids[idx].tt.oncpu_ns / a->samples;
			a->assigned += (uint64_t)w;
		} else {
			w = ((unsigned __int128)g->count * 1000000000u + p->freq_hz / 2) / p->freq_hz;
		}
		g->weight = w > UINT64_MAX ? UINT64_MAX : (uint64_t)w;
	}
	/* what the floors left, 1 ns per group in file order: exact sums */
	for (i = 0; i < p->ngroups; i++) {
		struct wp_group *g = &p->groups[i];
		uint64_t idx;

		if (g->kind != WP_EVENT_ONCPU)
			continue;
		wp_map__get(&p->tid_idx, g->tid, &idx);
		if (acc[idx].calibrate && acc[idx].assigned < p->tids[idx].tt.oncpu_ns) {
			g->weight++;
			acc[idx].assigned++;
		}
	}
}

static int thread_cmp(const void *a, const void *b)
{
	const struct wp_thread_acct *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static void thread_acct(const struct wp_profile *p, const struct tid_state *ts,
			const struct tacc *a, bool bounds, uint64_t rs, uint64_t re,
			struct wp_thread_acct *t)
{
	bool exit_seen;
	size_t k;

	memset(t, 0, sizeof(*t));
	t->tid = ts->tid;
	t->pid = ts->has_tt ? ts->tt.pid : a->grouped ? a->gpid : ts->pid;
	t->comm = "";
	if (ts->n) {
		const char *c = prof_str(p, ts->recs[ts->n - 1].comm_str, NULL);

		t->comm = c ? c : "";
	}
	t->oncpu_samples = a->samples;
	if (ts->has_tt) {
		t->oncpu_ns = ts->tt.oncpu_ns;
		t->oncpu_exact = true;
		t->switches = ts->tt.switches;
	} else {
		double est = (double)a->samples * p->period_ns;

		t->oncpu_ns = est >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)llround(est);
	}
	t->offcpu_known = p->sched;
	for (k = 0; k < WP_OFF_NREASONS; k++) {
		t->offcpu_by_reason_ns[k] = a->off[k];
		t->offcpu_ns = sat_add(t->offcpu_ns, a->off[k]);
	}
	t->offcpu_intervals = a->intervals;
	t->offcpu_kernel_not_walked_ns = a->off_not_walked;
	t->runq_ns = a->runq;
	/* an exit before the creation is an earlier thread's (tid reuse) */
	exit_seen = ts->exited && !(ts->created && ts->exit_ns < ts->created_ns);
	t->exited = exit_seen || (ts->has_tt && (ts->tt.flags & WPD_THREAD_TIME_EXITED));
	if (ts->has_tt) {
		t->lifetime_known = true;
		t->start_ns = ts->tt.first_ns;
		t->end_ns = ts->tt.last_ns;
	} else if (bounds && p->sched) {
		/* without scheduler data, creations and exits were not recorded */
		t->lifetime_known = true;
		t->start_ns = ts->created && ts->created_ns > rs ? ts->created_ns : rs;
		t->end_ns = exit_seen && ts->exit_ns < re ? ts->exit_ns : re;
		if (t->end_ns < t->start_ns)
			t->end_ns = t->start_ns;
	}
	t->coverage = NAN;
	if (t->lifetime_known) {
		uint64_t acc_ns = sat_add(t->oncpu_ns, t->offcpu_ns);

		t->lifetime_ns = t->end_ns - t->start_ns;
		if (t->offcpu_known) {
			t->unaccounted_ns = t->lifetime_ns > acc_ns ? t->lifetime_ns - acc_ns : 0;
			if (t->lifetime_ns)
				t->coverage = acc_ns >= t->lifetime_ns ? 1.0 :
					      (double)acc_ns / (double)t->lifetime_ns;
		}
	}
}

static int build_threads(struct wp_profile *p, const struct tacc *acc)
{
	struct wp_sched_totals *tot = &p->totals;
	uint64_t rs = 0, re = 0;
	bool bounds = rec_bounds(p, &rs, &re);
	size_t i, k, n = 0;

	p->threads = calloc(p->ntids ? p->ntids : 1, sizeof(*p->threads));
	if (!p->threads)
		return -ENOMEM;
	memset(tot, 0, sizeof(*tot));
	for (i = 0; i < p->ntids; i++) {
		const struct tid_state *ts = &p->tids[i];
		struct wp_thread_acct *t = &p->threads[n];

		/* names alone (THREAD records) do not make a thread worth a row */
		if (!acc[i].grouped && !ts->has_tt && !ts->task)
			continue;
		thread_acct(p, ts, &acc[i], bounds, rs, re, t);
		n++;
		tot->oncpu_ns = sat_add(tot->oncpu_ns, t->oncpu_ns);
		tot->offcpu_ns = sat_add(tot->offcpu_ns, t->offcpu_ns);
		for (k = 0; k < WP_OFF_NREASONS; k++)
			tot->offcpu_by_reason_ns[k] = sat_add(tot->offcpu_by_reason_ns[k],
							      t->offcpu_by_reason_ns[k]);
		tot->runq_ns = sat_add(tot->runq_ns, t->runq_ns);
		tot->offcpu_intervals = sat_add(tot->offcpu_intervals, t->offcpu_intervals);
		tot->offcpu_kernel_not_walked_ns = sat_add(tot->offcpu_kernel_not_walked_ns,
							   t->offcpu_kernel_not_walked_ns);
	}
	tot->oncpu_exact = n > 0;
	for (i = 0; i < n; i++)
		if (!p->threads[i].oncpu_exact)
			tot->oncpu_exact = false;
	p->nthreads = n;
	qsort(p->threads, n, sizeof(*p->threads), thread_cmp);
	return 0;
}

static int finish(struct wp_profile *p, bool calibrate)
{
	const struct wp_profile_read *r = &p->read;
	struct tacc *acc;
	uint64_t v;
	size_t i, k;
	int ret;

	if (wp_profile__meta_u64(p, WPD_META_FREQ, &v) && v > 0) {
		p->freq_hz = v;
		p->period_known = true;
	} else {
		p->freq_hz = DEFAULT_FREQ_HZ;
	}
	p->period_ns = 1e9 / (double)p->freq_hz;
	p->sched = (r->info.compat_flags & WPD_FEAT_OFFCPU) ||
		   (wp_profile__meta_u64(p, WPD_META_OFF_CPU, &v) && v) ||
		   r->offcpu_intervals || r->offcpu_agg_entries || r->thread_times || r->tasks;

	for (i = 0; i < p->ngroups; i++)
		if (!tid_get(p, p->groups[i].tid))
			return -ENOMEM;
	acc = calloc(p->ntids ? p->ntids : 1, sizeof(*acc));
	if (!acc)
		return -ENOMEM;
	for (i = 0; i < p->ngroups; i++) {
		const struct wp_group *g = &p->groups[i];
		struct tacc *a;

		wp_map__get(&p->tid_idx, g->tid, &v);
		a = &acc[v];
		if (!a->grouped)
			a->gpid = g->pid;
		a->grouped = true;
		if (g->kind == WP_EVENT_ONCPU) {
			a->samples = sat_add(a->samples, g->count);
			continue;
		}
		k = g->reason < WP_OFF_NREASONS ? g->reason : WPD_OFF_OTHER;
		a->off[k] = sat_add(a->off[k], g->weight);
		if (g->stack_id && wp_map__get(&p->stack_ids, g->stack_id, &v) &&
		    (p->stacks[v].flags & WPD_STACK_KERNEL_NOT_WALKED))
			a->off_not_walked = sat_add(a->off_not_walked, g->weight);
		a->runq = sat_add(a->runq, g->runq_ns);
		a->intervals = sat_add(a->intervals, g->count);
	}
	for (i = 0; i < p->ntids; i++) {
		const struct tid_state *ts = &p->tids[i];

		acc[i].calibrate = calibrate && ts->has_tt && ts->tt.oncpu_ns && acc[i].samples;
		p->calibrated += acc[i].calibrate;
	}
	set_oncpu_weights(p, acc);
	ret = build_threads(p, acc);
	free(acc);
	return ret;
}

int wp_profile__load(const char *path, const struct wp_load_opts *opts,
		     struct wp_profile **out, char *err, size_t err_len)
{
	struct wpd_reader *r = NULL;
	struct wpd_stack *st = NULL;
	struct wp_profile *p;
	struct wpd_record rec;
	char rerr[256] = "";
	int ret;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	st = malloc(sizeof(*st));
	if (!p || !st) {
		ret = -ENOMEM;
		set_err(err, err_len, "out of memory");
		goto out;
	}
	if (strcmp(path, "-") == 0)
		ret = wpd_reader__open_fd(STDIN_FILENO, &r, rerr, sizeof(rerr));
	else
		ret = wpd_reader__open(path, &r, rerr, sizeof(rerr));
	if (ret < 0) {
		/* the reader names the file itself, except for a descriptor */
		if (strcmp(path, "-") == 0)
			set_err(err, err_len, "standard input: %s", rerr[0] ? rerr : strerror(-ret));
		else if (rerr[0])
			set_err(err, err_len, "%s", rerr);
		else
			set_err(err, err_len, "'%s': %s", path, strerror(-ret));
		goto out;
	}
	p->read.info = *wpd_reader__info(r);

	while ((ret = wpd_reader__next(r, &rec)) > 0) {
		p->read.last_block_seq = rec.block_seq;
		ret = load_record(p, &rec, st, opts);
		if (ret < 0) {
			set_err(err, err_len, "'%s': out of memory", path);
			goto out;
		}
		p->read.records_undecodable += ret;
	}
	if (ret < 0) {
		const char *why = wpd_reader__damage(r);

		set_err(err, err_len, "'%s': read error: %s", path, why ? why : strerror(-ret));
		goto out;
	}
	p->read.rd = *wpd_reader__stats(r);
	if (wpd_reader__damage(r)) {
		p->damage = strdup(wpd_reader__damage(r));
		if (!p->damage) {
			ret = -ENOMEM;
			set_err(err, err_len, "out of memory");
			goto out;
		}
	}
	prof_unwind_finish(p);
	if (prof_unwind_recorded(p)) {
		ret = -ENOMEM;
		set_err(err, err_len, "out of memory");
		goto out;
	}
	count_dangling(p);
	ret = finish(p, !(opts && opts->no_calibrate));
	if (ret) {
		set_err(err, err_len, "'%s': out of memory", path);
		goto out;
	}
	*out = p;
	p = NULL;
	ret = 0;
out:
	wpd_reader__free(r);
	free(st);
	wp_profile__free(p);
	return ret;
}

void wp_profile__free(struct wp_profile *p)
{
	size_t i;

	if (!p)
		return;
	free(p->damage);
	kv_release(&p->meta);
	kv_release(&p->stats);
	wp_arena__release(&p->strs);
	free(p->strings);
	wp_map__release(&p->string_ids);
	free(p->ips);
	free(p->stacks);
	wp_map__release(&p->stack_ids);
	free(p->mmaps);
	free(p->ksyms);
	for (i = 0; i < p->ntids; i++)
		free(p->tids[i].recs);
	free(p->tids);
	wp_map__release(&p->tid_idx);
	for (i = 0; i < p->npids; i++)
		free(p->pids[i].resets);
	free(p->pids);
	wp_map__release(&p->pid_idx);
	free(p->groups);
	free(p->gslots);
	free(p->wakers);
	wp_map__release(&p->waker_idx);
	free(p->threads);
	wp_arena__release(&p->fstrs);
	free(p->frames);
	free(p->frame_ids);
	free(p->frame_pos);
	free(p->srcpos);
	wp_symbolizer__free(p->sym);
	wp_embedded__free(p->emb);
	prof_unwind_free(p->unw);
	free(p);
}

/* ---- accessors -------------------------------------------------------- */

const struct wp_profile_read *wp_profile__read(const struct wp_profile *p)
{
	return &p->read;
}

const char *wp_profile__damage(const struct wp_profile *p)
{
	return p->damage;
}

size_t wp_profile__nmeta(const struct wp_profile *p)
{
	return p->meta.n;
}

const struct wp_kv_entry *wp_profile__meta(const struct wp_profile *p, size_t i)
{
	return i < p->meta.n ? &p->meta.v[i] : NULL;
}

size_t wp_profile__nstats(const struct wp_profile *p)
{
	return p->stats.n;
}

const struct wp_kv_entry *wp_profile__stat(const struct wp_profile *p, size_t i)
{
	return i < p->stats.n ? &p->stats.v[i] : NULL;
}

const char *wp_profile__meta_str(const struct wp_profile *p, const char *key)
{
	const struct wp_kv_entry *e = kv_find(&p->meta, key, strlen(key));

	return e && e->type == WPD_KV_STRING ? e->str : NULL;
}

static bool kv_u64(const struct wp_kv_store *s, const char *key, uint64_t *v)
{
	const struct wp_kv_entry *e = kv_find(s, key, strlen(key));

	if (!e || (e->type != WPD_KV_U64 && e->type != WPD_KV_I64))
		return false;
	*v = e->u64;
	return true;
}

bool wp_profile__meta_u64(const struct wp_profile *p, const char *key, uint64_t *v)
{
	return kv_u64(&p->meta, key, v);
}

bool wp_profile__stat_u64(const struct wp_profile *p, const char *key, uint64_t *v)
{
	return kv_u64(&p->stats, key, v);
}

size_t wp_profile__ngroups(const struct wp_profile *p)
{
	return p->ngroups;
}

const struct wp_group *wp_profile__group(const struct wp_profile *p, size_t i)
{
	return &p->groups[i];
}

const uint32_t *wp_profile__group_frames(const struct wp_profile *p,
					 const struct wp_group *g)
{
	return p->frame_ids + g->frames_off;
}

bool wp_profile__has_sched(const struct wp_profile *p)
{
	return p->sched;
}

bool wp_profile__has_offcpu(const struct wp_profile *p)
{
	return p->read.offcpu_intervals || p->read.offcpu_agg_entries;
}

double wp_profile__period_ns(const struct wp_profile *p, bool *known)
{
	if (known)
		*known = p->period_known;
	return p->period_ns;
}

uint64_t wp_profile__freq_hz(const struct wp_profile *p)
{
	return p->freq_hz;
}

size_t wp_profile__calibrated_threads(const struct wp_profile *p)
{
	return p->calibrated;
}

uint32_t wp_profile__reason_frame(const struct wp_profile *p, uint32_t reason)
{
	if (reason >= WP_OFF_NREASONS)
		reason = WPD_OFF_OTHER;
	return p->reason_frames[reason] ? p->reason_frames[reason] - 1 : UINT32_MAX;
}

size_t wp_profile__nthreads(const struct wp_profile *p)
{
	return p->nthreads;
}

const struct wp_thread_acct *wp_profile__thread(const struct wp_profile *p, size_t i)
{
	return i < p->nthreads ? &p->threads[i] : NULL;
}

size_t wp_profile__tid_ncomms(const struct wp_profile *p, uint32_t tid)
{
	const struct tid_state *ts = prof_tid(p, tid);

	return ts ? ts->n : 0;
}

const char *wp_profile__tid_comm(const struct wp_profile *p, uint32_t tid, size_t i)
{
	const struct tid_state *ts = prof_tid(p, tid);
	const char *s;

	if (!ts || i >= ts->n)
		return NULL;
	s = prof_str(p, ts->recs[i].comm_str, NULL);
	return s ? s : "";
}

const struct wp_sched_totals *wp_profile__totals(const struct wp_profile *p)
{
	return &p->totals;
}

size_t wp_profile__nwakers(const struct wp_profile *p)
{
	return p->nwakers;
}

const struct wp_waker *wp_profile__waker(const struct wp_profile *p, size_t i)
{
	return i < p->nwakers ? &p->wakers[i] : NULL;
}

const uint32_t *wp_profile__waker_frames(const struct wp_profile *p,
					 const struct wp_waker *w)
{
	return p->frame_ids + w->frames_off;
}

size_t wp_profile__nframes(const struct wp_profile *p)
{
	return p->nframes;
}

const struct wp_frame *wp_profile__frame(const struct wp_profile *p, uint32_t id)
{
	return &p->frames[id];
}

const uint32_t *wp_profile__group_positions(const struct wp_profile *p,
					    const struct wp_group *g)
{
	return p->frame_pos + g->frames_off;
}

const struct wp_srcpos *wp_profile__srcpos(const struct wp_profile *p, uint32_t id)
{
	return id && id <= p->nsrcpos ? &p->srcpos[id - 1] : NULL;
}
