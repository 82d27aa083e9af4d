// SPDX-License-Identifier: MIT
/*
 * Fuzz target for libwpd.
 *
 * Each input is used three times:
 *  1. as a whole .wpd file, read through wpd_reader and every decoder;
 *  2. as the raw contents of a block, wrapped in a valid block header and
 *     zstd frame, so that the reader's record framing sees arbitrary
 *     bytes (inputs rarely carry valid XXH3 sums and zstd frames);
 *  3. as a record stream: its records are decoded directly, then written
 *     with wpd_writer and read back, and what comes back must equal what
 *     went in.
 *
 * With -DWP_FUZZ_REPLAY (the normal build) replay_main.inc supplies a
 * main() that replays saved and synthesised inputs; with FUZZ=1 this is a
 * libFuzzer binary.
 */
#include "format/wpd.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
	abort(); } } while (0)

static volatile uint64_t sink; /* keeps decoded values alive */

static int memfd(void)
{
	static int fd = -1;

	if (fd < 0) {
		fd = memfd_create("wpd-fuzz", MFD_CLOEXEC);
		CHECK(fd >= 0);
	}
	CHECK(ftruncate(fd, 0) == 0);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	return fd;
}

static void put_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = write(fd, p, n);

		CHECK(r > 0);
		p += r;
		n -= (size_t)r;
	}
}

/*
 * OFFCPU: what the iterator accepts satisfies the spec's invariants, and
 * the builder rebuilds the same intervals from it (values, not bytes: the
 * input's base and varint padding are free).
 */
static uint64_t check_offcpu(const struct wpd_record *rec)
{
	static struct wpd_offcpu_builder ob; /* zero-initialised = __init */
	struct wpd_offcpu_iter it, it2;
	struct wpd_offcpu o, o2;
	struct wpd_record rec2;
	uint64_t acc = 0;
	uint32_t n = 0;
	int ret;

	if (wpd_offcpu_iter__init(&it, rec) < 0)
		return 0;
	wpd_offcpu_builder__reset(&ob);
	while ((ret = wpd_offcpu_iter__next(&it, &o)) == 1) {
		CHECK(o.runq_ns <= o.duration_ns);
		CHECK(o.duration_ns <= UINT64_MAX - o.start_ns);
		CHECK(wpd_offcpu_builder__add(&ob, &o) == 0);
		acc += o.start_ns + o.duration_ns + o.pid + o.tid + o.cpu + o.stack_id +
		       o.reason + o.waker_pid + o.waker_tid + o.waker_stack_id;
		n++;
	}
	CHECK(ret == 0 || ret == -EBADMSG);
	CHECK(wpd_offcpu_iter__next(&it, &o) == ret); /* errors are sticky */
	CHECK(wpd_offcpu_builder__finish(&ob) == n && !ob.buf.oom);
	rec2 = (struct wpd_record){ .type = WPD_REC_OFFCPU, .size = (uint32_t)ob.buf.len,
				    .data = ob.buf.data };
	CHECK(wpd_offcpu_iter__init(&it2, &rec2) == 0 && it2.remaining == n);
	CHECK(wpd_offcpu_iter__init(&it, rec) == 0);
	while (n--) {
		CHECK(wpd_offcpu_iter__next(&it, &o) == 1);
		CHECK(wpd_offcpu_iter__next(&it2, &o2) == 1);
		CHECK(memcmp(&o, &o2, sizeof(o)) == 0);
	}
	CHECK(wpd_offcpu_iter__next(&it2, &o2) == 0);
	return acc;
}

/* OFFCPU_AGG: the same, with the period. */
static uint64_t check_offcpu_agg(const struct wpd_record *rec)
{
	static struct wpd_offcpu_agg_builder ab;
	struct wpd_offcpu_agg_iter it, it2;
	struct wpd_offcpu_agg a, a2;
	struct wpd_record rec2;
	uint64_t acc = 0;
	uint32_t n = 0;
	int ret;

	if (wpd_offcpu_agg_iter__init(&it, rec) < 0)
		return 0;
	CHECK(it.from_ns <= it.to_ns);
	wpd_offcpu_agg_builder__reset(&ab);
	while ((ret = wpd_offcpu_agg_iter__next(&it, &a)) == 1) {
		CHECK(a.intervals >= 1 && a.runq_ns <= a.total_ns);
		CHECK(wpd_offcpu_agg_builder__add(&ab, &a) == 0);
		acc += a.intervals + a.total_ns + a.runq_ns + a.pid + a.tid + a.stack_id +
		       a.reason + a.waker_pid + a.waker_tid + a.waker_stack_id;
		n++;
	}
	CHECK(ret == 0 || ret == -EBADMSG);
	CHECK(wpd_offcpu_agg_iter__next(&it, &a) == ret);
	CHECK(wpd_offcpu_agg_builder__finish(&ab, it.from_ns, it.to_ns) == n &&
	      !ab.buf.oom);
	rec2 = (struct wpd_record){ .type = WPD_REC_OFFCPU_AGG,
				    .size = (uint32_t)ab.buf.len, .data = ab.buf.data };
	CHECK(wpd_offcpu_agg_iter__init(&it2, &rec2) == 0 && it2.remaining == n);
	CHECK(it2.from_ns == it.from_ns && it2.to_ns == it.to_ns);
	CHECK(wpd_offcpu_agg_iter__init(&it, rec) == 0);
	while (n--) {
		CHECK(wpd_offcpu_agg_iter__next(&it, &a) == 1);
		CHECK(wpd_offcpu_agg_iter__next(&it2, &a2) == 1);
		CHECK(memcmp(&a, &a2, sizeof(a)) == 0);
	}
	CHECK(wpd_offcpu_agg_iter__next(&it2, &a2) == 0);
	return acc;
}

/* USTACK_DUMP: what decodes re-encodes to the same bytes (the layout has
 * one encoding) and satisfies the limits. */
static uint64_t check_ustack(const struct wpd_record *rec)
{
	static struct wpd_buf b;
	static struct wpd_ustack_dump d, d2;
	struct wpd_record rec2;
	uint64_t acc = 0;
	unsigned int i;

	if (wpd_decode_ustack_dump(rec, &d) < 0)
		return 0;
	CHECK(d.stack_id && d.dump_len <= WPD_USTACK_DUMP_MAX);
	CHECK(d.dump_len <= UINT64_MAX - d.dump_addr);
	wpd_encode_ustack_dump(&b, &d);
	CHECK(!b.oom && b.len <= rec->size && memcmp(b.data, rec->data, b.len) == 0);
	rec2 = (struct wpd_record){ .type = WPD_REC_USTACK_DUMP, .size = (uint32_t)b.len,
				    .data = b.data };
	CHECK(wpd_decode_ustack_dump(&rec2, &d2) == 0);
	CHECK(d2.dump_len == d.dump_len && d2.regs_mask == d.regs_mask &&
	      memcmp(d2.regs, d.regs, sizeof(d.regs)) == 0 &&
	      (!d.dump_len || memcmp(d2.dump, d.dump, d.dump_len) == 0));
	for (i = 0; i < WPD_USTACK_MAX_REGS; i++)
		CHECK(d.regs_mask >> i & 1 || d.regs[i] == 0);
	for (i = 0; i < d.dump_len; i++)
		acc += d.dump[i];
	return acc + d.stack_id + d.kernel_stack_id + d.time_ns + d.pid + d.tid + d.machine +
	       d.flags + d.dump_addr;
}

/* TASK and THREAD_TIME: decode, encode, decode again: the same struct. */
static uint64_t check_task(const struct wpd_record *rec)
{
	static struct wpd_buf b;
	struct wpd_task t, t2;
	struct wpd_record rec2;

	if (wpd_decode_task(rec, &t) < 0)
		return 0;
	wpd_encode_task(&b, &t);
	CHECK(b.len == 32 && memcmp(b.data, rec->data, 32) == 0);
	rec2 = (struct wpd_record){ .type = WPD_REC_TASK, .size = (uint32_t)b.len,
				    .data = b.data };
	CHECK(wpd_decode_task(&rec2, &t2) == 0 && memcmp(&t, &t2, sizeof(t)) == 0);
	return t.time_ns + t.kind + t.pid + t.tid + t.parent_pid + t.parent_tid + t.comm_str;
}

static uint64_t check_thread_time(const struct wpd_record *rec)
{
	static struct wpd_buf b;
	struct wpd_thread_time t, t2;
	struct wpd_record rec2;

	if (wpd_decode_thread_time(rec, &t) < 0)
		return 0;
	CHECK(t.first_ns <= t.last_ns && t.oncpu_ns <= t.last_ns - t.first_ns);
	wpd_encode_thread_time(&b, &t);
	CHECK(b.len == 48 && memcmp(b.data, rec->data, 44) == 0);
	rec2 = (struct wpd_record){ .type = WPD_REC_THREAD_TIME, .size = (uint32_t)b.len,
				    .data = b.data };
	CHECK(wpd_decode_thread_time(&rec2, &t2) == 0 && memcmp(&t, &t2, sizeof(t)) == 0);
	return t.pid + t.tid + t.oncpu_ns + t.first_ns + t.last_ns + t.switches + t.flags;
}

/*
 * JITSYM, SYMBOL, SRCLINE: what the iterators accept satisfies the spec's
 * invariants, errors are sticky, and the builder rebuilds the same entries.
 */
static uint64_t check_symbols(const struct wpd_record *rec)
{
	static struct wpd_symbols_builder sb; /* zero-initialised = __init */
	static struct wpd_srcline l, l2;
	struct wpd_jitsym_iter ji, ji2;
	struct wpd_symbol_iter si, si2;
	struct wpd_srcline_iter li, li2;
	struct wpd_record rec2;
	struct wpd_sym s, s2;
	uint64_t acc = 0, prev = 0;
	uint32_t n = 0, i;
	int ret;

	if (rec->type == WPD_REC_SRCLINE) {
		if (wpd_srcline_iter__init(&li, rec) < 0)
			return 0;
		CHECK(li.bin.build_id_len <= WPD_BUILD_ID_MAX);
		wpd_symbols_builder__begin_binary(&sb, WPD_REC_SRCLINE, &li.bin);
		while ((ret = wpd_srcline_iter__next(&li, &l)) == 1) {
			CHECK(l.nframes >= 1 && l.nframes <= WPD_SRCLINE_MAX_FRAMES);
			CHECK(l.addr >= prev);
			prev = l.addr;
			for (i = 0; i < l.nframes; i++)
				acc += l.frames[i].name_str + l.frames[i].file_str + l.frames[i].line;
			CHECK(wpd_symbols_builder__add_srcline(&sb, &l) == 0);
			n++;
		}
		CHECK(ret == 0 || ret == -EBADMSG);
		CHECK(wpd_srcline_iter__next(&li, &l) == ret);
		CHECK(wpd_symbols_builder__finish(&sb) == n && !sb.buf.oom);
		rec2 = (struct wpd_record){ .type = sb.type, .size = (uint32_t)sb.buf.len,
					    .data = sb.buf.data };
		CHECK(wpd_srcline_iter__init(&li2, &rec2) == 0 && li2.remaining == n);
		CHECK(memcmp(&li2.bin, &li.bin, sizeof(li.bin)) == 0);
		CHECK(wpd_srcline_iter__init(&li, rec) == 0);
		while (n--) {
			CHECK(wpd_srcline_iter__next(&li, &l) == 1);
			CHECK(wpd_srcline_iter__next(&li2, &l2) == 1);
			CHECK(l.addr == l2.addr && l.nframes == l2.nframes &&
			      memcmp(l.frames, l2.frames, l.nframes * sizeof(l.frames[0])) == 0);
		}
		CHECK(wpd_srcline_iter__next(&li2, &l2) == 0);
		return acc;
	}
	if (rec->type == WPD_REC_JITSYM) {
		if (wpd_jitsym_iter__init(&ji, rec) < 0)
			return 0;
		wpd_symbols_builder__begin_jit(&sb, ji.time_ns, ji.pid);
		while ((ret = wpd_jitsym_iter__next(&ji, &s)) == 1) {
			CHECK(s.start >= prev && s.size <= UINT64_MAX - s.start);
			prev = s.start;
			acc += s.start + s.size + s.name_str;
			CHECK(wpd_symbols_builder__add_sym(&sb, &s) == 0);
			n++;
		}
		CHECK(ret == 0 || ret == -EBADMSG);
		CHECK(wpd_jitsym_iter__next(&ji, &s) == ret);
		CHECK(wpd_symbols_builder__finish(&sb) == n && !sb.buf.oom);
		rec2 = (struct wpd_record){ .type = sb.type, .size = (uint32_t)sb.buf.len,
					    .data = sb.buf.data };
		CHECK(wpd_jitsym_iter__init(&ji2, &rec2) == 0 && ji2.remaining == n &&
		      ji2.pid == ji.pid && ji2.time_ns == ji.time_ns);
		CHECK(wpd_jitsym_iter__init(&ji, rec) == 0);
		while (n--) {
			CHECK(wpd_jitsym_iter__next(&ji, &s) == 1);
			CHECK(wpd_jitsym_iter__next(&ji2, &s2) == 1);
			CHECK(memcmp(&s, &s2, sizeof(s)) == 0);
		}
		CHECK(wpd_jitsym_iter__next(&ji2, &s2) == 0);
		return acc;
	}
	if (wpd_symbol_iter__init(&si, rec) < 0)
		return 0;
	CHECK(si.bin.build_id_len <= WPD_BUILD_ID_MAX);
	wpd_symbols_builder__begin_binary(&sb, WPD_REC_SYMBOL, &si.bin);
	while ((ret = wpd_symbol_iter__next(&si, &s)) == 1) {
		CHECK(s.start >= prev && s.size <= UINT64_MAX - s.start);
		prev = s.start;
		acc += s.start + s.size + s.name_str;
		CHECK(wpd_symbols_builder__add_sym(&sb, &s) == 0);
		n++;
	}
	CHECK(ret == 0 || ret == -EBADMSG);
	CHECK(wpd_symbol_iter__next(&si, &s) == ret);
	CHECK(wpd_symbols_builder__finish(&sb) == n && !sb.buf.oom);
	rec2 = (struct wpd_record){ .type = sb.type, .size = (uint32_t)sb.buf.len,
				    .data = sb.buf.data };
	CHECK(wpd_symbol_iter__init(&si2, &rec2) == 0 && si2.remaining == n);
	CHECK(memcmp(&si2.bin, &si.bin, sizeof(si.bin)) == 0);
	CHECK(wpd_symbol_iter__init(&si, rec) == 0);
	while (n--) {
		CHECK(wpd_symbol_iter__next(&si, &s) == 1);
		CHECK(wpd_symbol_iter__next(&si2, &s2) == 1);
		CHECK(memcmp(&s, &s2, sizeof(s)) == 0);
	}
	CHECK(wpd_symbol_iter__next(&si2, &s2) == 0);
	return acc;
}

/* Decode one record by type, touching every byte the decoder hands out. */
static void decode_record(const struct wpd_record *rec)
{
	static struct wpd_stack st;
	struct wpd_string s;
	struct wpd_thread t;
	struct wpd_mmap m;
	struct wpd_mmap_reset mr;
	struct wpd_ksym k;
	struct wpd_kv_iter ki;
	struct wpd_kv kv;
	struct wpd_samples_iter si;
	struct wpd_sample sm;
	uint64_t acc = 0;
	unsigned int i;

	switch (rec->type) {
	case WPD_REC_META:
	case WPD_REC_STATS:
	case WPD_REC_FINISH:
		wpd_kv_iter__init(&ki, rec);
		while (wpd_kv_iter__next(&ki, &kv) == 1) {
			for (i = 0; i < kv.key_len; i++)
				acc += (uint8_t)kv.key[i];
			for (i = 0; i < kv.value_len; i++)
				acc += kv.value[i];
			acc += kv.u64 + wpd_kv__is(&kv, WPD_STAT_SAMPLES);
		}
		break;
	case WPD_REC_STRING:
		if (wpd_decode_string(rec, &s) == 0) {
			CHECK(s.len <= WPD_STRING_MAX && s.id != 0);
			for (i = 0; i < s.len; i++)
				acc += (uint8_t)s.str[i];
		}
		break;
	case WPD_REC_STACK:
		if (wpd_decode_stack(rec, &st) == 0) {
			CHECK(st.nkernel <= WPD_STACK_MAX_FRAMES && st.nuser <= WPD_STACK_MAX_FRAMES);
			for (i = 0; i < st.nkernel; i++)
				acc += st.kernel[i];
			for (i = 0; i < st.nuser; i++)
				acc += st.user[i];
		}
		break;
	case WPD_REC_SAMPLES:
		if (wpd_samples_iter__init(&si, rec) == 0) {
			uint64_t last = si.time_ns;

			while (wpd_samples_iter__next(&si, &sm) == 1) {
				CHECK(sm.time_ns >= last); /* deltas are unsigned */
				last = sm.time_ns;
				acc += sm.pid + sm.tid + sm.cpu + sm.stack_id;
			}
		}
		break;
	case WPD_REC_THREAD:
		if (wpd_decode_thread(rec, &t) == 0)
			acc += t.time_ns + t.comm_str;
		break;
	case WPD_REC_MMAP:
		if (wpd_decode_mmap(rec, &m) == 0) {
			CHECK(m.build_id_len <= WPD_BUILD_ID_MAX);
			for (i = 0; i < WPD_BUILD_ID_MAX; i++)
				acc += m.build_id[i];
			acc += m.start + m.end + m.pgoff + m.path_str;
		}
		break;
	case WPD_REC_MMAP_RESET:
		if (wpd_decode_mmap_reset(rec, &mr) == 0)
			acc += mr.time_ns + mr.pid;
		break;
	case WPD_REC_KSYM:
		if (wpd_decode_ksym(rec, &k) == 0)
			acc += k.start + k.size + k.name_str + k.module_str;
		break;
	case WPD_REC_OFFCPU:
		acc += check_offcpu(rec);
		break;
	case WPD_REC_OFFCPU_AGG:
		acc += check_offcpu_agg(rec);
		break;
	case WPD_REC_TASK:
		acc += check_task(rec);
		break;
	case WPD_REC_THREAD_TIME:
		acc += check_thread_time(rec);
		break;
	case WPD_REC_JITSYM:
	case WPD_REC_SYMBOL:
	case WPD_REC_SRCLINE:
		acc += check_symbols(rec);
		break;
	case WPD_REC_USTACK_DUMP:
		acc += check_ustack(rec);
		break;
	}
	sink += acc;
}

/* 1. The input as a file. */
static void read_as_file(const uint8_t *data, size_t size)
{
	struct wpd_reader *r;
	struct wpd_record rec;
	const struct wpd_read_stats *st;
	char err[256];
	uint64_t n = 0;
	int fd = memfd(), ret;

	put_all(fd, data, size);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	err[0] = 0;
	ret = wpd_reader__open_fd(fd, &r, err, sizeof(err));
	if (ret) {
		CHECK(r == NULL && err[0]);
		return;
	}
	while ((ret = wpd_reader__next(r, &rec)) == 1) {
		CHECK(wpd_record_type_known(rec.type));
		decode_record(&rec);
		n++;
	}
	CHECK(ret == 0);
	st = wpd_reader__stats(r);
	CHECK(st->records == n);
	CHECK(st->bytes_skipped <= size);
	CHECK(!!wpd_reader__damage(r) == !!(st->blocks_damaged || st->records_bad ||
					    st->truncated));
	CHECK(wpd_reader__next(r, &rec) == 0);
	wpd_reader__free(r);
}

static void put_le(uint8_t *p, uint64_t v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* 2. The input as the raw contents of one well-formed block. */
static void read_as_block(const uint8_t *data, size_t size)
{
	static uint8_t *blk;
	static size_t blk_cap;
	struct wpd_writer *w;
	struct wpd_reader *r;
	struct wpd_record rec;
	const struct wpd_read_stats *st;
	size_t bound = ZSTD_compressBound(size), c;
	char err[256];
	int fd = memfd(), ret;

	if (size > WPD_BLOCK_MAX_RAW)
		return;
	if (blk_cap < WPD_BLOCK_HEADER_SIZE + bound) {
		blk_cap = WPD_BLOCK_HEADER_SIZE + bound;
		blk = realloc(blk, blk_cap);
		CHECK(blk);
	}
	c = ZSTD_compress(blk + WPD_BLOCK_HEADER_SIZE, bound, data, size, 1);
	CHECK(!ZSTD_isError(c));
	put_le(blk, WPD_BLOCK_MAGIC, 4);
	put_le(blk + 4, 0, 4);
	put_le(blk + 8, c, 4);
	put_le(blk + 12, size, 4);
	put_le(blk + 16, XXH3_64bits(blk + WPD_BLOCK_HEADER_SIZE, c), 8);
	put_le(blk + 24, (uint32_t)XXH3_64bits(blk, 24), 4);
	put_le(blk + 28, 0, 4);

	CHECK(wpd_writer__new(fd, NULL, &w) == 0); /* the file header */
	CHECK(wpd_writer__close(w) == 0);
	put_all(fd, blk, WPD_BLOCK_HEADER_SIZE + c);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	CHECK(wpd_reader__open_fd(fd, &r, err, sizeof(err)) == 0);
	while ((ret = wpd_reader__next(r, &rec)) == 1) {
		CHECK(rec.size <= size);
		decode_record(&rec);
	}
	CHECK(ret == 0);
	st = wpd_reader__stats(r);
	CHECK(st->blocks == 1 && st->blocks_damaged == 0 && !st->truncated);
	CHECK(st->records_bad <= 1 && st->bytes_skipped == 0);
	wpd_reader__free(r);
}

/* 3. The input as a record stream: decode, write, read back, compare. */
static void write_and_reread(const uint8_t *data, size_t size)
{
	struct wpd_writer_opts opts = { .block_target = 512, .zstd_level = 1 };
	struct wpd_writer *w;
	struct wpd_reader *r;
	struct wpd_record rec;
	struct {
		uint32_t type, size;
		const uint8_t *data;
	} recs[256];
	size_t pos = 0, nrec = 0, i = 0, unknown = 0;
	char err[256];
	int fd = memfd(), ret;

	while (nrec < 256 && size - pos >= 8) {
		uint32_t type, len;

		memcpy(&type, data + pos, 4);
		memcpy(&len, data + pos + 4, 4);
		type = le32toh(type) % 24; /* mostly known types */
		len = le32toh(len);
		if (len > size - pos - 8)
			len = (uint32_t)(size - pos - 8);
		if (len > WPD_BLOCK_MAX_RAW - WPD_RECORD_HEADER_SIZE)
			len = WPD_BLOCK_MAX_RAW - WPD_RECORD_HEADER_SIZE;
		rec.type = type;
		rec.size = len;
		rec.data = data + pos + 8;
		rec.block_seq = 0;
		decode_record(&rec);
		recs[nrec].type = type;
		recs[nrec].size = len;
		recs[nrec].data = rec.data;
		nrec++;
		unknown += !wpd_record_type_known(type);
		pos += 8 + (size_t)len;
	}

	CHECK(wpd_writer__new(fd, &opts, &w) == 0);
	for (i = 0; i < nrec; i++)
		CHECK(wpd_writer__add(w, recs[i].type, recs[i].data, recs[i].size) == 0);
	CHECK(wpd_writer__close(w) == 0);

	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	CHECK(wpd_reader__open_fd(fd, &r, err, sizeof(err)) == 0);
	i = 0;
	while ((ret = wpd_reader__next(r, &rec)) == 1) {
		while (i < nrec && !wpd_record_type_known(recs[i].type))
			i++;
		CHECK(i < nrec);
		CHECK(rec.type == recs[i].type && rec.size == recs[i].size);
		CHECK(rec.size == 0 || memcmp(rec.data, recs[i].data, rec.size) == 0);
		i++;
	}
	CHECK(ret == 0);
	CHECK(wpd_reader__stats(r)->records_unknown == unknown);
	CHECK(wpd_reader__stats(r)->records + unknown == nrec);
	CHECK(!wpd_reader__damage(r));
	wpd_reader__free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	read_as_file(data, size);
	read_as_block(data, size);
	write_and_reread(data, size);
	return 0;
}

#ifdef WP_FUZZ_REPLAY
#include "replay_main.inc"
#endif
