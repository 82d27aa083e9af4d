// SPDX-License-Identifier: MIT
/*
 * Record payload encoders: the exact inverse of decode.c. Layouts are
 * specified in docs/wpd-format.md; keep the two files and the spec in step.
 */
#include "wpd.h"

#include <errno.h>
#include <string.h>

/* ---- key/value lists (META, STATS, FINISH) ---- */

static void kv_put_head(struct wpd_buf *b, const char *key, uint8_t type,
			uint32_t value_len)
{
	size_t klen = strlen(key);

	if (klen > UINT16_MAX)
		klen = UINT16_MAX;
	wpd_buf__put_u16(b, (uint16_t)klen);
	wpd_buf__put(b, key, klen);
	wpd_buf__put_u8(b, type);
	wpd_buf__put_u32(b, value_len);
}

void wpd_kv__put_u64(struct wpd_buf *b, const char *key, uint64_t v)
{
	kv_put_head(b, key, WPD_KV_U64, 8);
	wpd_buf__put_u64(b, v);
}

void wpd_kv__put_i64(struct wpd_buf *b, const char *key, int64_t v)
{
	kv_put_head(b, key, WPD_KV_I64, 8);
	wpd_buf__put_u64(b, (uint64_t)v);
}

void wpd_kv__put_str(struct wpd_buf *b, const char *key, const char *s)
{
	size_t len = s ? strlen(s) : 0;

	if (len > WPD_STRING_MAX)
		len = WPD_STRING_MAX;
	kv_put_head(b, key, WPD_KV_STRING, (uint32_t)len);
	wpd_buf__put(b, s, len);
}

/* ---- fixed-layout records ---- */

void wpd_encode_string(struct wpd_buf *b, uint32_t id, const char *s, uint32_t len)
{
	wpd_buf__reset(b);
	if (len > WPD_STRING_MAX)
		len = WPD_STRING_MAX;
	wpd_buf__put_u32(b, id);
	wpd_buf__put_u32(b, len);
	wpd_buf__put(b, s, len);
}

void wpd_encode_stack(struct wpd_buf *b, uint32_t id, uint32_t flags,
		      const uint64_t *kernel, uint16_t nkernel,
		      const uint64_t *user, uint16_t nuser)
{
	unsigned int i;

	/* A reader refuses deeper stacks, so keep the innermost frames and
	 * say the rest is missing rather than write an unreadable record. */
	if (nkernel > WPD_STACK_MAX_FRAMES) {
		nkernel = WPD_STACK_MAX_FRAMES;
		flags |= WPD_STACK_KERNEL_TRUNCATED;
	}
	if (nuser > WPD_STACK_MAX_FRAMES) {
		nuser = WPD_STACK_MAX_FRAMES;
		flags |= WPD_STACK_USER_TRUNCATED;
	}
	wpd_buf__reset(b);
	wpd_buf__put_u32(b, id);
	wpd_buf__put_u32(b, flags);
	wpd_buf__put_u16(b, nkernel);
	wpd_buf__put_u16(b, nuser);
	for (i = 0; i < nkernel; i++)
		wpd_buf__put_u64(b, kernel[i]);
	for (i = 0; i < nuser; i++)
		wpd_buf__put_u64(b, user[i]);
}

void wpd_encode_thread(struct wpd_buf *b, const struct wpd_thread *t)
{
	wpd_buf__reset(b);
	wpd_buf__put_u64(b, t->time_ns);
	wpd_buf__put_u32(b, t->pid);
	wpd_buf__put_u32(b, t->tid);
	wpd_buf__put_u32(b, t->comm_str);
}

void wpd_encode_mmap(struct wpd_buf *b, const struct wpd_mmap *m)
{
	uint8_t bid[WPD_BUILD_ID_MAX] = { 0 };
	uint8_t len = m->build_id_len;
	static const uint8_t reserved[3];

	if (len > WPD_BUILD_ID_MAX)
		len = WPD_BUILD_ID_MAX;
	memcpy(bid, m->build_id, len);
	wpd_buf__reset(b);
	wpd_buf__put_u64(b, m->time_ns);
	wpd_buf__put_u32(b, m->pid);
	wpd_buf__put_u32(b, m->flags);
	wpd_buf__put_u64(b, m->start);
	wpd_buf__put_u64(b, m->end);
	wpd_buf__put_u64(b, m->pgoff);
	wpd_buf__put_u32(b, m->path_str);
	wpd_buf__put_u8(b, len);
	wpd_buf__put(b, bid, sizeof(bid));
	wpd_buf__put(b, reserved, sizeof(reserved));
}

void wpd_encode_mmap_reset(struct wpd_buf *b, const struct wpd_mmap_reset *m)
{
	wpd_buf__reset(b);
	wpd_buf__put_u64(b, m->time_ns);
	wpd_buf__put_u32(b, m->pid);
}

void wpd_encode_ksym(struct wpd_buf *b, const struct wpd_ksym *k)
{
	wpd_buf__reset(b);
	wpd_buf__put_u64(b, k->start);
	wpd_buf__put_u32(b, k->size);
	wpd_buf__put_u32(b, k->name_str);
	wpd_buf__put_u32(b, k->module_str);
}

/* ---- SAMPLES batches ---- */

/* Offset of the u32 count, patched by __finish(). */
#define SAMPLES_COUNT_OFF 8

void wpd_samples_builder__init(struct wpd_samples_builder *sb)
{
	memset(sb, 0, sizeof(*sb));
	wpd_buf__init(&sb->buf);
}

void wpd_samples_builder__release(struct wpd_samples_builder *sb)
{
	wpd_buf__release(&sb->buf);
	wpd_samples_builder__init(sb);
}

void wpd_samples_builder__reset(struct wpd_samples_builder *sb)
{
	wpd_buf__reset(&sb->buf);
	sb->base_ns = sb->last_ns = 0;
	sb->count = 0;
}

int wpd_samples_builder__add(struct wpd_samples_builder *sb, const struct wpd_sample *s)
{
	uint64_t delta = 0;
	int ret = 0;

	if (sb->count == 0) {
		wpd_buf__reset(&sb->buf);
		sb->base_ns = sb->last_ns = s->time_ns;
		wpd_buf__put_u64(&sb->buf, sb->base_ns);
		wpd_buf__put_u32(&sb->buf, 0);
	}
	/* Deltas are unsigned so the common case stays one or two bytes;
	 * a sample from the past (per-CPU buffers drain out of order) is
	 * pinned to the previous time instead of wrapping around. */
	if (s->time_ns >= sb->last_ns) {
		delta = s->time_ns - sb->last_ns;
		sb->last_ns = s->time_ns;
	} else {
		ret = 1;
	}
	wpd_buf__put_varint(&sb->buf, delta);
	wpd_buf__put_varint(&sb->buf, s->pid);
	wpd_buf__put_varint(&sb->buf, s->tid);
	wpd_buf__put_varint(&sb->buf, s->cpu);
	wpd_buf__put_varint(&sb->buf, s->stack_id);
	sb->count++;
	return ret;
}

uint32_t wpd_samples_builder__finish(struct wpd_samples_builder *sb)
{
	uint32_t n = sb->count;

	if (n == 0) {
		/* An empty but well-formed batch. */
		wpd_buf__reset(&sb->buf);
		wpd_buf__put_u64(&sb->buf, 0);
		wpd_buf__put_u32(&sb->buf, 0);
		return 0;
	}
	if (sb->buf.oom || sb->buf.len < SAMPLES_COUNT_OFF + 4)
		return n;
	sb->buf.data[SAMPLES_COUNT_OFF + 0] = (uint8_t)n;
	sb->buf.data[SAMPLES_COUNT_OFF + 1] = (uint8_t)(n >> 8);
	sb->buf.data[SAMPLES_COUNT_OFF + 2] = (uint8_t)(n >> 16);
	sb->buf.data[SAMPLES_COUNT_OFF + 3] = (uint8_t)(n >> 24);
	return n;
}

/* ---- minor 1: off-CPU / scheduler records ---- */

void wpd_encode_task(struct wpd_buf *b, const struct wpd_task *t)
{
	wpd_buf__reset(b);
	wpd_buf__put_u64(b, t->time_ns);
	wpd_buf__put_u32(b, t->kind);
	wpd_buf__put_u32(b, t->pid);
	wpd_buf__put_u32(b, t->tid);
	wpd_buf__put_u32(b, t->parent_pid);
	wpd_buf__put_u32(b, t->parent_tid);
	wpd_buf__put_u32(b, t->comm_str);
}

void wpd_encode_thread_time(struct wpd_buf *b, const struct wpd_thread_time *t)
{
	uint64_t last = t->last_ns < t->first_ns ? t->first_ns : t->last_ns;
	uint64_t oncpu = t->oncpu_ns;

	if (oncpu > last - t->first_ns)
		oncpu = last - t->first_ns;
	wpd_buf__reset(b);
	wpd_buf__put_u32(b, t->pid);
	wpd_buf__put_u32(b, t->tid);
	wpd_buf__put_u64(b, oncpu);
	wpd_buf__put_u64(b, t->first_ns);
	wpd_buf__put_u64(b, last);
	wpd_buf__put_u64(b, t->switches);
	wpd_buf__put_u32(b, t->flags);
	wpd_buf__put_u32(b, 0); /* reserved */
}

static void put_le32_at(struct wpd_buf *b, size_t off, uint32_t v)
{
	if (b->oom || b->len < off + 4)
		return;
	b->data[off + 0] = (uint8_t)v;
	b->data[off + 1] = (uint8_t)(v >> 8);
	b->data[off + 2] = (uint8_t)(v >> 16);
	b->data[off + 3] = (uint8_t)(v >> 24);
}

static void put_le64_at(struct wpd_buf *b, size_t off, uint64_t v)
{
	put_le32_at(b, off, (uint32_t)v);
	put_le32_at(b, off + 4, (uint32_t)(v >> 32));
}

/* Zigzag (see decode.c). */
static void put_svarint(struct wpd_buf *b, int64_t v)
{
	wpd_buf__put_varint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

/* OFFCPU: u64 base, u32 count, u32 reserved; count patched by __finish(). */
#define OFFCPU_COUNT_OFF 8

void wpd_offcpu_builder__init(struct wpd_offcpu_builder *ob)
{
	memset(ob, 0, sizeof(*ob));
	wpd_buf__init(&ob->buf);
}

void wpd_offcpu_builder__release(struct wpd_offcpu_builder *ob)
{
	wpd_buf__release(&ob->buf);
	wpd_offcpu_builder__init(ob);
}

void wpd_offcpu_builder__reset(struct wpd_offcpu_builder *ob)
{
	wpd_buf__reset(&ob->buf);
	ob->base_ns = ob->last_ns = 0;
	ob->count = 0;
}

int wpd_offcpu_builder__add(struct wpd_offcpu_builder *ob, const struct wpd_offcpu *o)
{
	uint64_t dur = o->duration_ns, runq = o->runq_ns;
	int64_t delta;
	int ret = 0;

	if (ob->count == 0) {
		wpd_buf__reset(&ob->buf);
		ob->base_ns = ob->last_ns = o->start_ns;
		wpd_buf__put_u64(&ob->buf, ob->base_ns);
		wpd_buf__put_u32(&ob->buf, 0);
		wpd_buf__put_u32(&ob->buf, 0); /* reserved */
	}
	if (o->start_ns >= ob->last_ns) {
		if (o->start_ns - ob->last_ns > INT64_MAX)
			return -ERANGE;
		delta = (int64_t)(o->start_ns - ob->last_ns);
	} else {
		uint64_t back = ob->last_ns - o->start_ns;

		/* down to INT64_MIN, which has no positive counterpart */
		if (back > (uint64_t)INT64_MAX + 1)
			return -ERANGE;
		delta = back == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)back;
	}
	if (dur > UINT64_MAX - o->start_ns) {
		dur = UINT64_MAX - o->start_ns;
		ret = 1;
	}
	if (runq > dur) {
		runq = dur;
		ret = 1;
	}
	put_svarint(&ob->buf, delta);
	wpd_buf__put_varint(&ob->buf, dur);
	wpd_buf__put_varint(&ob->buf, o->pid);
	wpd_buf__put_varint(&ob->buf, o->tid);
	wpd_buf__put_varint(&ob->buf, o->cpu);
	wpd_buf__put_varint(&ob->buf, o->stack_id);
	wpd_buf__put_varint(&ob->buf, o->reason);
	wpd_buf__put_varint(&ob->buf, runq);
	wpd_buf__put_varint(&ob->buf, o->waker_pid);
	wpd_buf__put_varint(&ob->buf, o->waker_tid);
	wpd_buf__put_varint(&ob->buf, o->waker_stack_id);
	ob->last_ns = o->start_ns;
	ob->count++;
	return ret;
}

uint32_t wpd_offcpu_builder__finish(struct wpd_offcpu_builder *ob)
{
	if (ob->count == 0) {
		/* An empty but well-formed batch. */
		wpd_buf__reset(&ob->buf);
		wpd_buf__put_u64(&ob->buf, 0);
		wpd_buf__put_u32(&ob->buf, 0);
		wpd_buf__put_u32(&ob->buf, 0);
		return 0;
	}
	put_le32_at(&ob->buf, OFFCPU_COUNT_OFF, ob->count);
	return ob->count;
}

/* OFFCPU_AGG: u64 from, u64 to, u32 count, u32 reserved; patched by __finish(). */
#define AGG_HEAD_SIZE 24
#define AGG_COUNT_OFF 16

void wpd_offcpu_agg_builder__init(struct wpd_offcpu_agg_builder *ab)
{
	memset(ab, 0, sizeof(*ab));
	wpd_buf__init(&ab->buf);
}

void wpd_offcpu_agg_builder__release(struct wpd_offcpu_agg_builder *ab)
{
	wpd_buf__release(&ab->buf);
	wpd_offcpu_agg_builder__init(ab);
}

void wpd_offcpu_agg_builder__reset(struct wpd_offcpu_agg_builder *ab)
{
	wpd_buf__reset(&ab->buf);
	ab->count = 0;
}

static void agg_put_head(struct wpd_buf *b)
{
	static const uint8_t zero[AGG_HEAD_SIZE];

	wpd_buf__reset(b);
	wpd_buf__put(b, zero, sizeof(zero));
}

int wpd_offcpu_agg_builder__add(struct wpd_offcpu_agg_builder *ab,
				const struct wpd_offcpu_agg *a)
{
	uint64_t runq = a->runq_ns;
	int ret = 0;

	if (a->intervals == 0)
		return -EINVAL;
	if (ab->count == 0)
		agg_put_head(&ab->buf);
	if (runq > a->total_ns) {
		runq = a->total_ns;
		ret = 1;
	}
	wpd_buf__put_varint(&ab->buf, a->pid);
	wpd_buf__put_varint(&ab->buf, a->tid);
	wpd_buf__put_varint(&ab->buf, a->stack_id);
	wpd_buf__put_varint(&ab->buf, a->reason);
	wpd_buf__put_varint(&ab->buf, a->waker_pid);
	wpd_buf__put_varint(&ab->buf, a->waker_tid);
	wpd_buf__put_varint(&ab->buf, a->waker_stack_id);
	wpd_buf__put_varint(&ab->buf, a->intervals);
	wpd_buf__put_varint(&ab->buf, a->total_ns);
	wpd_buf__put_varint(&ab->buf, runq);
	ab->count++;
	return ret;
}

uint32_t wpd_offcpu_agg_builder__finish(struct wpd_offcpu_agg_builder *ab,
					uint64_t from_ns, uint64_t to_ns)
{
	if (to_ns < from_ns)
		to_ns = from_ns;
	if (ab->count == 0)
		agg_put_head(&ab->buf);
	put_le64_at(&ab->buf, 0, from_ns);
	put_le64_at(&ab->buf, 8, to_ns);
	put_le32_at(&ab->buf, AGG_COUNT_OFF, ab->count);
	return ab->count;
}

/* ---- JITSYM, SYMBOL, SRCLINE ---- */

#define JIT_COUNT_OFF 12
#define BIN_COUNT_OFF 28

void wpd_symbols_builder__init(struct wpd_symbols_builder *sb)
{
	memset(sb, 0, sizeof(*sb));
	wpd_buf__init(&sb->buf);
}

void wpd_symbols_builder__release(struct wpd_symbols_builder *sb)
{
	wpd_buf__release(&sb->buf);
	memset(sb, 0, sizeof(*sb));
}

void wpd_symbols_builder__begin_jit(struct wpd_symbols_builder *sb, uint64_t time_ns,
				    uint32_t pid)
{
	wpd_buf__reset(&sb->buf);
	sb->type = WPD_REC_JITSYM;
	sb->count = 0;
	sb->last = 0;
	wpd_buf__put_u64(&sb->buf, time_ns);
	wpd_buf__put_u32(&sb->buf, pid);
	wpd_buf__put_u32(&sb->buf, 0); /* count, patched */
}

void wpd_symbols_builder__begin_binary(struct wpd_symbols_builder *sb, uint32_t type,
				       const struct wpd_binary *bin)
{
	uint8_t bid[WPD_BUILD_ID_MAX] = { 0 };
	uint8_t len = bin->build_id_len < WPD_BUILD_ID_MAX ? bin->build_id_len
							   : WPD_BUILD_ID_MAX;

	wpd_buf__reset(&sb->buf);
	sb->type = type;
	sb->count = 0;
	sb->last = 0;
	memcpy(bid, bin->build_id, len);
	wpd_buf__put_u32(&sb->buf, bin->path_str);
	wpd_buf__put_u8(&sb->buf, len);
	wpd_buf__put(&sb->buf, bid, sizeof(bid));
	wpd_buf__put(&sb->buf, "\0\0\0", 3); /* reserved */
	wpd_buf__put_u32(&sb->buf, 0);        /* count, patched */
}

int wpd_symbols_builder__add_sym(struct wpd_symbols_builder *sb, const struct wpd_sym *s)
{
	if (s->start < sb->last || s->size > UINT64_MAX - s->start)
		return -EINVAL;
	wpd_buf__put_varint(&sb->buf, s->start - sb->last);
	wpd_buf__put_varint(&sb->buf, s->size);
	wpd_buf__put_varint(&sb->buf, s->name_str);
	sb->last = s->start;
	sb->count++;
	return 0;
}

int wpd_symbols_builder__add_srcline(struct wpd_symbols_builder *sb,
				     const struct wpd_srcline *l)
{
	uint32_t i;

	if (l->addr < sb->last || l->nframes == 0 || l->nframes > WPD_SRCLINE_MAX_FRAMES)
		return -EINVAL;
	wpd_buf__put_varint(&sb->buf, l->addr - sb->last);
	wpd_buf__put_varint(&sb->buf, l->nframes);
	for (i = 0; i < l->nframes; i++) {
		wpd_buf__put_varint(&sb->buf, l->frames[i].name_str);
		wpd_buf__put_varint(&sb->buf, l->frames[i].file_str);
		wpd_buf__put_varint(&sb->buf, l->frames[i].line);
	}
	sb->last = l->addr;
	sb->count++;
	return 0;
}

uint32_t wpd_symbols_builder__finish(struct wpd_symbols_builder *sb)
{
	put_le32_at(&sb->buf, sb->type == WPD_REC_JITSYM ? JIT_COUNT_OFF : BIN_COUNT_OFF,
		    sb->count);
	return sb->count;
}

/* ---- USTACK_DUMP ---- */

void wpd_encode_ustack_dump(struct wpd_buf *b, const struct wpd_ustack_dump *d)
{
	uint32_t len = d->dump_len;
	unsigned int i;

	if (len > WPD_USTACK_DUMP_MAX)
		len = WPD_USTACK_DUMP_MAX;
	if (len > UINT64_MAX - d->dump_addr)
		len = (uint32_t)(UINT64_MAX - d->dump_addr);
	wpd_buf__reset(b);
	wpd_buf__put_u32(b, d->stack_id);
	wpd_buf__put_u32(b, d->kernel_stack_id);
	wpd_buf__put_u64(b, d->time_ns);
	wpd_buf__put_u32(b, d->pid);
	wpd_buf__put_u32(b, d->tid);
	wpd_buf__put_u16(b, d->machine);
	wpd_buf__put_u16(b, d->flags);
	wpd_buf__put_u32(b, len);
	wpd_buf__put_u64(b, d->regs_mask);
	wpd_buf__put_u64(b, d->dump_addr);
	for (i = 0; i < WPD_USTACK_MAX_REGS; i++)
		if (d->regs_mask >> i & 1)
			wpd_buf__put_u64(b, d->regs[i]);
	if (len)
		wpd_buf__put(b, d->dump, len);
}
