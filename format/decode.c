// SPDX-License-Identifier: MIT
/*
 * Record payload decoders. The payload comes from a file, so nothing in
 * it is trusted: every read goes through a bounds-checked cursor, counts
 * are checked against the limits before they size anything, and a
 * payload shorter than its layout is -EBADMSG. A longer one is fine:
 * newer minor versions append fields, which this version ignores.
 */
#include "wpd.h"

#include <errno.h>
#include <string.h>

struct cursor {
	const uint8_t *p, *end;
	bool bad; /* a read ran past the end; every later read returns 0 */
};

static void cur_init(struct cursor *c, const uint8_t *p, size_t n)
{
	c->p = p;
	c->end = p ? p + n : p; /* NULL + 0 is undefined */
	c->bad = false;
}

/* Returns the n bytes at the cursor and advances, or NULL if short. */
static const uint8_t *cur_take(struct cursor *c, size_t n)
{
	const uint8_t *p = c->p;

	if (c->bad || n > (size_t)(c->end - c->p)) {
		c->bad = true;
		return NULL;
	}
	if (n)
		c->p += n;
	return p;
}

static uint64_t load_le(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = (v << 8) | p[n];
	return v;
}

static uint64_t cur_le(struct cursor *c, unsigned int n)
{
	const uint8_t *p = cur_take(c, n);

	return p ? load_le(p, n) : 0;
}

#define cur_u8(c)  ((uint8_t)cur_le(c, 1))
#define cur_u16(c) ((uint16_t)cur_le(c, 2))
#define cur_u32(c) ((uint32_t)cur_le(c, 4))
#define cur_u64(c) cur_le(c, 8)

/* Unsigned LEB128, at most 10 bytes and no bits beyond 64. */
static int cur_varint(struct cursor *c, uint64_t *out)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < 10; i++) {
		const uint8_t *b = cur_take(c, 1);

		if (!b)
			return -EBADMSG;
		if (i == 9 && *b > 1)
			return -EBADMSG; /* would overflow 64 bits */
		v |= (uint64_t)(*b & 0x7f) << (7 * i);
		if (!(*b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -EBADMSG; /* an 11th byte would be needed */
}

static int cur_varint32(struct cursor *c, uint32_t *out)
{
	uint64_t v;

	if (cur_varint(c, &v) < 0 || v > UINT32_MAX)
		return -EBADMSG;
	*out = (uint32_t)v;
	return 0;
}

static void cur_rec(struct cursor *c, const struct wpd_record *rec)
{
	cur_init(c, rec->data, rec->data ? rec->size : 0);
}

/* ---- fixed-layout records ---- */

int wpd_decode_string(const struct wpd_record *rec, struct wpd_string *out)
{
	struct cursor c;
	const uint8_t *s;
	uint32_t id, len;

	cur_rec(&c, rec);
	id = cur_u32(&c);
	len = cur_u32(&c);
	if (c.bad || id == 0 || len > WPD_STRING_MAX)
		return -EBADMSG;
	s = cur_take(&c, len);
	if (!s)
		return -EBADMSG;
	out->id = id;
	out->str = (const char *)s;
	out->len = len;
	return 0;
}

int wpd_decode_stack(const struct wpd_record *rec, struct wpd_stack *out)
{
	struct cursor c;
	const uint8_t *k, *u;
	uint32_t id, flags;
	uint16_t nk, nu;
	unsigned int i;

	cur_rec(&c, rec);
	id = cur_u32(&c);
	flags = cur_u32(&c);
	nk = cur_u16(&c);
	nu = cur_u16(&c);
	if (c.bad || id == 0 || nk > WPD_STACK_MAX_FRAMES ||
	    nu > WPD_STACK_MAX_FRAMES)
		return -EBADMSG;
	k = cur_take(&c, (size_t)nk * 8);
	u = cur_take(&c, (size_t)nu * 8);
	if (c.bad)
		return -EBADMSG;
	out->id = id;
	out->flags = flags;
	out->nkernel = nk;
	out->nuser = nu;
	for (i = 0; i < nk; i++)
		out->kernel[i] = load_le(k + 8 * i, 8);
	for (i = 0; i < nu; i++)
		out->user[i] = load_le(u + 8 * i, 8);
	return 0;
}

int wpd_decode_thread(const struct wpd_record *rec, struct wpd_thread *out)
{
	struct wpd_thread t;
	struct cursor c;

	memset(&t, 0, sizeof(t)); /* padding too: outputs compare */
	cur_rec(&c, rec);
	t.time_ns = cur_u64(&c);
	t.pid = cur_u32(&c);
	t.tid = cur_u32(&c);
	t.comm_str = cur_u32(&c);
	if (c.bad)
		return -EBADMSG;
	*out = t;
	return 0;
}

int wpd_decode_mmap(const struct wpd_record *rec, struct wpd_mmap *out)
{
	struct wpd_mmap m;
	struct cursor c;
	const uint8_t *bid;

	memset(&m, 0, sizeof(m)); /* padding too: outputs compare */
	cur_rec(&c, rec);
	m.time_ns = cur_u64(&c);
	m.pid = cur_u32(&c);
	m.flags = cur_u32(&c);
	m.start = cur_u64(&c);
	m.end = cur_u64(&c);
	m.pgoff = cur_u64(&c);
	m.path_str = cur_u32(&c);
	m.build_id_len = cur_u8(&c);
	bid = cur_take(&c, WPD_BUILD_ID_MAX);
	cur_take(&c, 3); /* reserved */
	if (c.bad || m.build_id_len > WPD_BUILD_ID_MAX)
		return -EBADMSG;
	/* Only the first build_id_len bytes mean anything: hand back zeros
	 * after them whatever the file holds, so callers may compare whole
	 * arrays. */
	memcpy(m.build_id, bid, m.build_id_len);
	*out = m;
	return 0;
}

int wpd_decode_mmap_reset(const struct wpd_record *rec, struct wpd_mmap_reset *out)
{
	struct wpd_mmap_reset m;
	struct cursor c;

	memset(&m, 0, sizeof(m)); /* padding too: outputs compare */
	cur_rec(&c, rec);
	m.time_ns = cur_u64(&c);
	m.pid = cur_u32(&c);
	if (c.bad)
		return -EBADMSG;
	*out = m;
	return 0;
}

int wpd_decode_ksym(const struct wpd_record *rec, struct wpd_ksym *out)
{
	struct wpd_ksym k;
	struct cursor c;

	memset(&k, 0, sizeof(k)); /* padding too: outputs compare */
	cur_rec(&c, rec);
	k.start = cur_u64(&c);
	k.size = cur_u32(&c);
	k.name_str = cur_u32(&c);
	k.module_str = cur_u32(&c);
	if (c.bad)
		return -EBADMSG;
	*out = k;
	return 0;
}

/* ---- key/value lists ---- */

void wpd_kv_iter__init(struct wpd_kv_iter *it, const struct wpd_record *rec)
{
	it->p = rec->data;
	it->end = rec->data ? rec->data + rec->size : rec->data;
}

/*
 * The entry is committed (it->p advanced) only once it parsed whole, so a
 * bad entry keeps failing instead of resuming at a random byte.
 */
int wpd_kv_iter__next(struct wpd_kv_iter *it, struct wpd_kv *out)
{
	struct wpd_kv kv;
	struct cursor c;
	const uint8_t *key;

	if (it->p == it->end)
		return 0;
	cur_init(&c, it->p, (size_t)(it->end - it->p));
	kv.key_len = cur_u16(&c);
	key = cur_take(&c, kv.key_len);
	kv.type = cur_u8(&c);
	kv.value_len = cur_u32(&c);
	kv.value = cur_take(&c, kv.value_len);
	if (c.bad)
		return -EBADMSG;
	kv.key = (const char *)key;
	kv.u64 = 0;
	if (kv.type == WPD_KV_U64 || kv.type == WPD_KV_I64) {
		if (kv.value_len != 8)
			return -EBADMSG;
		kv.u64 = load_le(kv.value, 8);
	}
	it->p = c.p;
	*out = kv;
	return 1;
}

bool wpd_kv__is(const struct wpd_kv *kv, const char *key)
{
	size_t n = strlen(key);

	return kv->key_len == n && (n == 0 || memcmp(kv->key, key, n) == 0);
}

/* ---- iterators ---- */

/*
 * After an iterating record's header (valid: what the cursor cannot check
 * held): its entries start where the cursor is. 0, or -EBADMSG and no
 * entries.
 */
static int iter_begin(const struct cursor *c, bool valid, uint32_t *remaining,
		      const uint8_t **p, const uint8_t **end)
{
	if (c->bad || !valid) {
		*remaining = 0;
		return -EBADMSG;
	}
	*p = c->p;
	*end = c->end;
	return 0;
}

/* ---- SAMPLES ---- */

int wpd_samples_iter__init(struct wpd_samples_iter *it, const struct wpd_record *rec)
{
	struct cursor c;

	memset(it, 0, sizeof(*it));
	cur_rec(&c, rec);
	it->time_ns = cur_u64(&c);
	it->remaining = cur_u32(&c);
	return iter_begin(&c, true, &it->remaining, &it->p, &it->end);
}

/*
 * The count is not checked against the payload length up front: samples
 * before the point where the bytes run out are good and are returned; the
 * short one is -EBADMSG (and stays so on later calls).
 */
int wpd_samples_iter__next(struct wpd_samples_iter *it, struct wpd_sample *out)
{
	struct wpd_sample s;
	struct cursor c;
	uint64_t delta;

	if (it->remaining == 0)
		return 0;
	cur_init(&c, it->p, (size_t)(it->end - it->p));
	if (cur_varint(&c, &delta) < 0 || cur_varint32(&c, &s.pid) < 0 ||
	    cur_varint32(&c, &s.tid) < 0 || cur_varint32(&c, &s.cpu) < 0 ||
	    cur_varint32(&c, &s.stack_id) < 0)
		return -EBADMSG;
	if (delta > UINT64_MAX - it->time_ns)
		return -EBADMSG;
	s.time_ns = it->time_ns + delta;
	it->time_ns = s.time_ns;
	it->p = c.p;
	it->remaining--;
	*out = s;
	return 1;
}

/* ---- minor 1: off-CPU / scheduler records ---- */

int wpd_decode_task(const struct wpd_record *rec, struct wpd_task *out)
{
	struct wpd_task t;
	struct cursor c;

	memset(&t, 0, sizeof(t));
	cur_rec(&c, rec);
	t.time_ns = cur_u64(&c);
	t.kind = cur_u32(&c);
	t.pid = cur_u32(&c);
	t.tid = cur_u32(&c);
	t.parent_pid = cur_u32(&c);
	t.parent_tid = cur_u32(&c);
	t.comm_str = cur_u32(&c);
	if (c.bad)
		return -EBADMSG;
	*out = t;
	return 0;
}

int wpd_decode_thread_time(const struct wpd_record *rec, struct wpd_thread_time *out)
{
	struct wpd_thread_time t;
	struct cursor c;

	memset(&t, 0, sizeof(t)); /* padding too: outputs compare */
	cur_rec(&c, rec);
	t.pid = cur_u32(&c);
	t.tid = cur_u32(&c);
	t.oncpu_ns = cur_u64(&c);
	t.first_ns = cur_u64(&c);
	t.last_ns = cur_u64(&c);
	t.switches = cur_u64(&c);
	t.flags = cur_u32(&c);
	cur_take(&c, 4); /* reserved */
	if (c.bad || t.first_ns > t.last_ns ||
	    t.oncpu_ns > t.last_ns - t.first_ns)
		return -EBADMSG;
	*out = t;
	return 0;
}

/* Zigzag: 0, -1, 1, -2, ... are stored as 0, 1, 2, 3, ... */
static int cur_svarint(struct cursor *c, int64_t *out)
{
	uint64_t v;

	if (cur_varint(c, &v) < 0)
		return -EBADMSG;
	*out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
	return 0;
}

int wpd_offcpu_iter__init(struct wpd_offcpu_iter *it, const struct wpd_record *rec)
{
	struct cursor c;

	memset(it, 0, sizeof(*it));
	cur_rec(&c, rec);
	it->time_ns = cur_u64(&c);
	it->remaining = cur_u32(&c);
	cur_take(&c, 4); /* reserved */
	return iter_begin(&c, true, &it->remaining, &it->p, &it->end);
}

/* As for samples: intervals before a short or invalid one are returned;
 * that one is -EBADMSG, and stays so on later calls. */
int wpd_offcpu_iter__next(struct wpd_offcpu_iter *it, struct wpd_offcpu *out)
{
	struct wpd_offcpu o;
	struct cursor c;
	int64_t delta;
	uint64_t start;

	if (it->remaining == 0)
		return 0;
	memset(&o, 0, sizeof(o));
	cur_init(&c, it->p, (size_t)(it->end - it->p));
	if (cur_svarint(&c, &delta) < 0 ||
	    cur_varint(&c, &o.duration_ns) < 0 ||
	    cur_varint32(&c, &o.pid) < 0 || cur_varint32(&c, &o.tid) < 0 ||
	    cur_varint32(&c, &o.cpu) < 0 || cur_varint32(&c, &o.stack_id) < 0 ||
	    cur_varint32(&c, &o.reason) < 0 ||
	    cur_varint(&c, &o.runq_ns) < 0 ||
	    cur_varint32(&c, &o.waker_pid) < 0 ||
	    cur_varint32(&c, &o.waker_tid) < 0 ||
	    cur_varint32(&c, &o.waker_stack_id) < 0)
		return -EBADMSG;
	if (delta >= 0) {
		if ((uint64_t)delta > UINT64_MAX - it->time_ns)
			return -EBADMSG;
		start = it->time_ns + (uint64_t)delta;
	} else {
		/* -(delta + 1) + 1: no overflow for INT64_MIN */
		uint64_t back = (uint64_t)(-(delta + 1)) + 1;

		if (back > it->time_ns)
			return -EBADMSG;
		start = it->time_ns - back;
	}
	if (o.duration_ns > UINT64_MAX - start || o.runq_ns > o.duration_ns)
		return -EBADMSG;
	o.start_ns = start;
	it->time_ns = start;
	it->p = c.p;
	it->remaining--;
	*out = o;
	return 1;
}

int wpd_offcpu_agg_iter__init(struct wpd_offcpu_agg_iter *it,
			      const struct wpd_record *rec)
{
	struct cursor c;

	memset(it, 0, sizeof(*it));
	cur_rec(&c, rec);
	it->from_ns = cur_u64(&c);
	it->to_ns = cur_u64(&c);
	it->remaining = cur_u32(&c);
	cur_take(&c, 4); /* reserved */
	return iter_begin(&c, it->from_ns <= it->to_ns, &it->remaining, &it->p, &it->end);
}

int wpd_offcpu_agg_iter__next(struct wpd_offcpu_agg_iter *it,
			      struct wpd_offcpu_agg *out)
{
	struct wpd_offcpu_agg a;
	struct cursor c;

	if (it->remaining == 0)
		return 0;
	memset(&a, 0, sizeof(a)); /* padding too: outputs compare */
	cur_init(&c, it->p, (size_t)(it->end - it->p));
	if (cur_varint32(&c, &a.pid) < 0 || cur_varint32(&c, &a.tid) < 0 ||
	    cur_varint32(&c, &a.stack_id) < 0 ||
	    cur_varint32(&c, &a.reason) < 0 ||
	    cur_varint32(&c, &a.waker_pid) < 0 ||
	    cur_varint32(&c, &a.waker_tid) < 0 ||
	    cur_varint32(&c, &a.waker_stack_id) < 0 ||
	    cur_varint(&c, &a.intervals) < 0 ||
	    cur_varint(&c, &a.total_ns) < 0 || cur_varint(&c, &a.runq_ns) < 0)
		return -EBADMSG;
	if (a.intervals == 0 || a.runq_ns > a.total_ns)
		return -EBADMSG;
	it->p = c.p;
	it->remaining--;
	*out = a;
	return 1;
}

/* ---- JITSYM, SYMBOL, SRCLINE ---- */

static int binary_head(struct cursor *c, struct wpd_binary *b, uint32_t *count)
{
	const uint8_t *bid;

	memset(b, 0, sizeof(*b));
	b->path_str = cur_u32(c);
	b->build_id_len = cur_u8(c);
	bid = cur_take(c, WPD_BUILD_ID_MAX);
	cur_take(c, 3); /* reserved */
	*count = cur_u32(c);
	if (c->bad || b->build_id_len > WPD_BUILD_ID_MAX)
		return -EBADMSG;
	memcpy(b->build_id, bid, b->build_id_len); /* zeros after, as MMAP */
	return 0;
}

/* One symbol entry after prev: start delta, size, name. */
static int cur_sym(struct cursor *c, uint64_t prev, struct wpd_sym *s)
{
	uint64_t delta;

	memset(s, 0, sizeof(*s));
	if (cur_varint(c, &delta) < 0 || cur_varint(c, &s->size) < 0 ||
	    cur_varint32(c, &s->name_str) < 0)
		return -EBADMSG;
	if (delta > UINT64_MAX - prev)
		return -EBADMSG;
	s->start = prev + delta;
	if (s->size > UINT64_MAX - s->start)
		return -EBADMSG;
	return 0;
}

/* The next entry of a JITSYM or SYMBOL record: 1, 0 after the last, or
 * -EBADMSG (and again on later calls). */
static int sym_next(const uint8_t **p, const uint8_t *end, uint32_t *remaining,
		    uint64_t *start, struct wpd_sym *out)
{
	struct cursor c;
	struct wpd_sym s;

	if (*remaining == 0)
		return 0;
	cur_init(&c, *p, (size_t)(end - *p));
	if (cur_sym(&c, *start, &s) < 0)
		return -EBADMSG;
	*p = c.p;
	*start = s.start;
	(*remaining)--;
	*out = s;
	return 1;
}

/* SYMBOL and SRCLINE records: the binary, then *remaining entries from *p. */
static int binary_iter_init(const struct wpd_record *rec, struct wpd_binary *bin,
			    uint32_t *remaining, const uint8_t **p, const uint8_t **end)
{
	struct cursor c;
	int ret;

	cur_rec(&c, rec);
	ret = binary_head(&c, bin, remaining);
	return iter_begin(&c, ret == 0, remaining, p, end);
}

int wpd_jitsym_iter__init(struct wpd_jitsym_iter *it, const struct wpd_record *rec)
{
	struct cursor c;

	memset(it, 0, sizeof(*it));
	cur_rec(&c, rec);
	it->time_ns = cur_u64(&c);
	it->pid = cur_u32(&c);
	it->remaining = cur_u32(&c);
	return iter_begin(&c, true, &it->remaining, &it->p, &it->end);
}

int wpd_jitsym_iter__next(struct wpd_jitsym_iter *it, struct wpd_sym *out)
{
	return sym_next(&it->p, it->end, &it->remaining, &it->start, out);
}

int wpd_symbol_iter__init(struct wpd_symbol_iter *it, const struct wpd_record *rec)
{
	memset(it, 0, sizeof(*it));
	return binary_iter_init(rec, &it->bin, &it->remaining, &it->p, &it->end);
}

int wpd_symbol_iter__next(struct wpd_symbol_iter *it, struct wpd_sym *out)
{
	return sym_next(&it->p, it->end, &it->remaining, &it->start, out);
}

int wpd_srcline_iter__init(struct wpd_srcline_iter *it, const struct wpd_record *rec)
{
	memset(it, 0, sizeof(*it));
	return binary_iter_init(rec, &it->bin, &it->remaining, &it->p, &it->end);
}

int wpd_srcline_iter__next(struct wpd_srcline_iter *it, struct wpd_srcline *out)
{
	struct wpd_srcframe fr[WPD_SRCLINE_MAX_FRAMES];
	struct cursor c;
	uint64_t delta;
	uint32_t i, n;

	if (it->remaining == 0)
		return 0;
	cur_init(&c, it->p, (size_t)(it->end - it->p));
	if (cur_varint(&c, &delta) < 0 || delta > UINT64_MAX - it->addr ||
	    cur_varint32(&c, &n) < 0 || n == 0 || n > WPD_SRCLINE_MAX_FRAMES)
		return -EBADMSG;
	for (i = 0; i < n; i++)
		if (cur_varint32(&c, &fr[i].name_str) < 0 || cur_varint32(&c, &fr[i].file_str) < 0 ||
		    cur_varint32(&c, &fr[i].line) < 0)
			return -EBADMSG;
	it->addr += delta;
	it->p = c.p;
	it->remaining--;
	out->addr = it->addr;
	out->nframes = n;
	memcpy(out->frames, fr, n * sizeof(fr[0]));
	return 1;
}

/* ---- USTACK_DUMP ---- */

int wpd_decode_ustack_dump(const struct wpd_record *rec, struct wpd_ustack_dump *out)
{
	struct cursor c;
	uint64_t mask;
	unsigned int i;

	cur_rec(&c, rec);
	out->stack_id = cur_u32(&c);
	out->kernel_stack_id = cur_u32(&c);
	out->time_ns = cur_u64(&c);
	out->pid = cur_u32(&c);
	out->tid = cur_u32(&c);
	out->machine = cur_u16(&c);
	out->flags = cur_u16(&c);
	out->dump_len = cur_u32(&c);
	mask = out->regs_mask = cur_u64(&c);
	out->dump_addr = cur_u64(&c);
	if (c.bad || out->stack_id == 0 || out->dump_len > WPD_USTACK_DUMP_MAX ||
	    out->dump_len > UINT64_MAX - out->dump_addr)
		return -EBADMSG;
	for (i = 0; i < WPD_USTACK_MAX_REGS; i++)
		out->regs[i] = mask >> i & 1 ? cur_u64(&c) : 0;
	out->dump = cur_take(&c, out->dump_len);
	if (c.bad)
		return -EBADMSG;
	return 0;
}
