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
 */
#include "report/profile_int.h"

#include <errno.h>
#include <fcntl.h>
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
	default:
		return "unknown";
	}
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
static int load_thread(struct wp_profile *p, const struct wpd_record *rec)
{
	struct wpd_thread th;
	struct tid_state *t;
	size_t i;

	if (wpd_decode_thread(rec, &th))
		return 1;
	t = tid_get(p, th.tid);
	if (!t || WP_GROW(t->recs, t->cap, t->n + 1))
		return -ENOMEM;
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

/* Time of the latest exec of pid at or before t (0: none). */
static uint64_t mm_epoch(const struct wp_profile *p, uint32_t pid, uint64_t t)
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

/*
 * Start time of the comm run of tid in effect at t; 0 for the first run
 * (also for samples older than every record: a thread is first seen late).
 */
static uint64_t comm_epoch(const struct wp_profile *p, uint32_t tid, uint64_t t)
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
	return h;
}

static bool group_eq(const struct wp_group *a, const struct wp_group *b)
{
	return a->pid == b->pid && a->tid == b->tid && a->stack_id == b->stack_id &&
	       a->kind == b->kind && a->mm_epoch == b->mm_epoch &&
	       a->comm_epoch == b->comm_epoch;
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

static int add_event(struct wp_profile *p, const struct wp_group *key, uint64_t weight)
{
	struct wp_group *g;
	size_t j;

	if (p->last_group && group_eq(&p->groups[p->last_group - 1], key)) {
		g = &p->groups[p->last_group - 1];
		g->count++;
		g->weight += weight;
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
			g->count++;
			g->weight += weight;
			p->last_group = p->gslots[j];
			return 0;
		}
		j = (j + 1) & (p->gslots_cap - 1);
	}
	if (WP_GROW(p->groups, p->groups_cap, p->ngroups + 1))
		return -ENOMEM;
	g = &p->groups[p->ngroups++];
	*g = *key;
	g->count = 1;
	g->weight = weight;
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
		key.stack_id = s.stack_id;
		key.mm_epoch = mm_epoch(p, s.pid, s.time_ns);
		key.comm_epoch = comm_epoch(p, s.tid, s.time_ns);
		if (add_event(p, &key, 1))
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

/* ---- the reading loop -------------------------------------------------- */

static int load_record(struct wp_profile *p, const struct wpd_record *rec,
		       struct wpd_stack *st)
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

		if (g->stack_id && !wp_map__get(&p->stack_ids, g->stack_id, &idx))
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

int wp_profile__load(const char *path, const struct wp_load_opts *opts,
		     struct wp_profile **out, char *err, size_t err_len)
{
	struct wpd_reader *r = NULL;
	struct wpd_stack *st = NULL;
	struct wp_profile *p;
	struct wpd_record rec;
	char rerr[256] = "";
	int ret;

	(void)opts;
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
		ret = load_record(p, &rec, st);
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
	count_dangling(p);
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
	wp_arena__release(&p->fstrs);
	free(p->frames);
	free(p->frame_ids);
	wp_symbolizer__free(p->sym);
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

size_t wp_profile__nframes(const struct wp_profile *p)
{
	return p->nframes;
}

const struct wp_frame *wp_profile__frame(const struct wp_profile *p, uint32_t id)
{
	return &p->frames[id];
}
