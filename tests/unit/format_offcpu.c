// SPDX-License-Identifier: MIT
/*
 * libwpd off-CPU records (format minor 1): OFFCPU, OFFCPU_AGG, TASK and
 * THREAD_TIME. Round trips (builder -> iterator, encoder -> decoder, and
 * through a whole file), byte-exact layouts as the spec shows them, the
 * clamps the builders apply, and hostile payloads: every cut, counts
 * beyond the bytes, zigzag deltas that leave 0..2^64-1, invariants the
 * spec makes malformed.
 */
#include "format/wpd.h"
#include "tests/lib/tap.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static struct wpd_record rec_of(const void *p, size_t n)
{
	struct wpd_record r = { .type = 0, .size = (uint32_t)n, .data = p };

	return r;
}

/* Copy into an exactly-sized heap block so ASan sees any over-read. */
static struct wpd_record rec_dup(const uint8_t *p, size_t n, uint8_t **mem)
{
	*mem = malloc(n ? n : 1);
	if (n)
		memcpy(*mem, p, n);
	return rec_of(*mem, n);
}

static bool hex_is(const struct wpd_buf *b, const char *hex)
{
	char got[512];
	size_t i;

	if (b->len * 2 + 1 > sizeof(got))
		return false;
	for (i = 0; i < b->len; i++)
		snprintf(got + 2 * i, 3, "%02x", b->data[i]);
	got[2 * b->len] = 0;
	if (strcmp(got, hex) != 0) {
		tap_diag("  got  %s", got);
		tap_diag("  want %s", hex);
		return false;
	}
	return true;
}

static bool offcpu_eq(const struct wpd_offcpu *a, const struct wpd_offcpu *b)
{
	return a->start_ns == b->start_ns && a->duration_ns == b->duration_ns &&
	       a->runq_ns == b->runq_ns && a->pid == b->pid && a->tid == b->tid &&
	       a->cpu == b->cpu && a->stack_id == b->stack_id &&
	       a->reason == b->reason && a->waker_pid == b->waker_pid &&
	       a->waker_tid == b->waker_tid &&
	       a->waker_stack_id == b->waker_stack_id;
}

static bool agg_eq(const struct wpd_offcpu_agg *a, const struct wpd_offcpu_agg *b)
{
	return a->intervals == b->intervals && a->total_ns == b->total_ns &&
	       a->runq_ns == b->runq_ns && a->pid == b->pid && a->tid == b->tid &&
	       a->stack_id == b->stack_id && a->reason == b->reason &&
	       a->waker_pid == b->waker_pid && a->waker_tid == b->waker_tid &&
	       a->waker_stack_id == b->waker_stack_id;
}

/* ---- TASK, THREAD_TIME ---- */

typedef int (*decode_fn)(const struct wpd_record *rec, void *out);

/* Short prefixes fail, the exact payload decodes, a longer one the same. */
static void check_lengths(const char *name, decode_fn fn, const struct wpd_buf *b,
			  size_t want_len, size_t out_size)
{
	struct wpd_buf ext;
	struct wpd_record rec;
	uint8_t *mem;
	void *a = calloc(1, out_size), *c = calloc(1, out_size);
	size_t n;
	int bad = 0;

	is_int(b->len, want_len, "%s payload is %zu bytes", name, want_len);
	for (n = 0; n < b->len; n++) {
		rec = rec_dup(b->data, n, &mem);
		bad += fn(&rec, a) != -EBADMSG;
		free(mem);
	}
	is_int(bad, 0, "%s: each of %zu short payloads is -EBADMSG", name, b->len);
	rec = rec_dup(b->data, b->len, &mem);
	is_int(fn(&rec, a), 0, "%s: exact payload decodes", name);
	free(mem);
	wpd_buf__init(&ext);
	wpd_buf__put(&ext, b->data, b->len);
	wpd_buf__put(&ext, "newer fields!", 13);
	rec = rec_dup(ext.data, ext.len, &mem);
	ok(fn(&rec, c) == 0 && !memcmp(a, c, out_size), "%s: trailing bytes are ignored", name);
	free(mem);
	wpd_buf__release(&ext);
	rec = rec_of(NULL, 0);
	is_int(fn(&rec, a), -EBADMSG, "%s: no payload at all", name);
	free(a);
	free(c);
}

static void test_task(void)
{
	struct wpd_task t = { .time_ns = 0x0102030405060708ull, .kind = WPD_TASK_THREAD,
			      .pid = 100, .tid = 101, .parent_pid = 100,
			      .parent_tid = 100, .comm_str = 7 };
	struct wpd_task out;
	struct wpd_record rec;
	struct wpd_buf b;

	wpd_buf__init(&b);
	wpd_encode_task(&b, &t);
	ok(hex_is(&b, "0807060504030201" "02000000" "64000000" "65000000"
		      "64000000" "64000000" "07000000"), "TASK bytes as in the spec");
	check_lengths("TASK", (decode_fn)wpd_decode_task, &b, 32, sizeof(struct wpd_task));
	rec = rec_of(b.data, b.len);
	ok(wpd_decode_task(&rec, &out) == 0 && !memcmp(&out, &t, sizeof(t)),
	   "TASK round trip");

	/* A kind this version does not know is still returned. */
	t.kind = 99;
	t.parent_pid = t.parent_tid = t.comm_str = 0;
	wpd_encode_task(&b, &t);
	rec = rec_of(b.data, b.len);
	ok(wpd_decode_task(&rec, &out) == 0 && out.kind == 99 && out.comm_str == 0,
	   "TASK of an unknown kind decodes (callers ignore it)");
	wpd_buf__release(&b);
}

static void test_thread_time(void)
{
	struct wpd_thread_time t = { .pid = 5, .tid = 6, .oncpu_ns = 300,
				     .first_ns = 1000, .last_ns = 2000,
				     .switches = 42, .flags = WPD_THREAD_TIME_EXITED };
	struct wpd_thread_time out;
	struct wpd_record rec;
	struct wpd_buf b;

	wpd_buf__init(&b);
	wpd_encode_thread_time(&b, &t);
	ok(hex_is(&b, "05000000" "06000000" "2c01000000000000" "e803000000000000"
		      "d007000000000000" "2a00000000000000" "01000000" "00000000"),
	   "THREAD_TIME bytes as in the spec");
	check_lengths("THREAD_TIME", (decode_fn)wpd_decode_thread_time, &b, 48,
		      sizeof(struct wpd_thread_time));
	rec = rec_of(b.data, b.len);
	memset(&out, 0xaa, sizeof(out));
	ok(wpd_decode_thread_time(&rec, &out) == 0 && out.pid == 5 && out.tid == 6 &&
	   out.oncpu_ns == 300 && out.first_ns == 1000 && out.last_ns == 2000 &&
	   out.switches == 42 && out.flags == WPD_THREAD_TIME_EXITED,
	   "THREAD_TIME round trip");

	/* oncpu may be the whole span; the reserved word is ignored. */
	b.data[8] = 0xe8;
	b.data[9] = 0x03;
	b.data[44] = 0xff;
	rec = rec_of(b.data, b.len);
	ok(wpd_decode_thread_time(&rec, &out) == 0 && out.oncpu_ns == 1000,
	   "oncpu_ns == last_ns - first_ns is valid; reserved ignored");
	b.data[8] = 0xe9; /* 1001 */
	is_int(wpd_decode_thread_time(&rec, &out), -EBADMSG,
	       "oncpu_ns > last_ns - first_ns is -EBADMSG");

	t.first_ns = 3000; /* after last_ns */
	t.oncpu_ns = 0;
	wpd_buf__reset(&b);
	wpd_buf__put_u32(&b, 1);
	wpd_buf__put_u32(&b, 1);
	wpd_buf__put_u64(&b, 0);
	wpd_buf__put_u64(&b, 3000);
	wpd_buf__put_u64(&b, 2000);
	wpd_buf__put_u64(&b, 0);
	wpd_buf__put_u32(&b, 0);
	wpd_buf__put_u32(&b, 0);
	rec = rec_of(b.data, b.len);
	is_int(wpd_decode_thread_time(&rec, &out), -EBADMSG, "first_ns > last_ns is -EBADMSG");

	/* The encoder clamps what the decoder would refuse. */
	t.oncpu_ns = 5000;
	wpd_encode_thread_time(&b, &t);
	rec = rec_of(b.data, b.len);
	ok(wpd_decode_thread_time(&rec, &out) == 0 && out.first_ns == 3000 &&
	   out.last_ns == 3000 && out.oncpu_ns == 0,
	   "encoder raises last_ns to first_ns and clamps oncpu_ns");
	t.first_ns = 0;
	t.last_ns = UINT64_MAX;
	t.oncpu_ns = UINT64_MAX;
	wpd_encode_thread_time(&b, &t);
	rec = rec_of(b.data, b.len);
	ok(wpd_decode_thread_time(&rec, &out) == 0 && out.oncpu_ns == UINT64_MAX,
	   "full 64-bit span");
	t.first_ns = 10;
	t.last_ns = 20;
	t.oncpu_ns = 11;
	wpd_encode_thread_time(&b, &t);
	rec = rec_of(b.data, b.len);
	ok(wpd_decode_thread_time(&rec, &out) == 0 && out.oncpu_ns == 10,
	   "encoder clamps oncpu_ns to the span");
	wpd_buf__release(&b);
}

/* ---- OFFCPU ---- */

static int read_offcpu(const uint8_t *p, size_t n, struct wpd_offcpu *outs, int max,
		       int *last_ret)
{
	struct wpd_offcpu_iter it;
	struct wpd_record rec = rec_of(p, n);
	int got = 0, ret;

	if (wpd_offcpu_iter__init(&it, &rec) < 0) {
		*last_ret = -1000;
		return -1;
	}
	while ((ret = wpd_offcpu_iter__next(&it, &outs[got < max ? got : max - 1])) == 1)
		got++;
	*last_ret = ret;
	return got;
}

static void test_offcpu_layout(void)
{
	struct wpd_offcpu_builder ob;
	struct wpd_offcpu o[2] = {
		{ .start_ns = 1000000000, .duration_ns = 5000000, .runq_ns = 1000,
		  .pid = 42, .tid = 43, .cpu = 3, .stack_id = 7, .reason = WPD_OFF_BLOCKED,
		  .waker_pid = 50, .waker_tid = 51, .waker_stack_id = 8 },
		/* 300 ns earlier: a negative delta */
		{ .start_ns = 999999700, .duration_ns = 128, .runq_ns = 128,
		  .pid = 42, .tid = 42, .cpu = 0, .stack_id = 0,
		  .reason = WPD_OFF_PREEMPTED },
	};
	struct wpd_offcpu out[4];
	int got, last;

	wpd_offcpu_builder__init(&ob);
	is_int(wpd_offcpu_builder__add(&ob, &o[0]), 0, "add first interval");
	is_int(wpd_offcpu_builder__add(&ob, &o[1]), 0, "add an earlier one: no clamp");
	is_int(wpd_offcpu_builder__finish(&ob), 2, "finish returns the count");
	ok(hex_is(&ob.buf, "00ca9a3b00000000" "02000000" "00000000"
			   "00" "c096b102" "2a" "2b" "03" "07" "02" "e807" "32" "33" "08"
			   "d704" "8001" "2a" "2a" "00" "00" "03" "8001" "00" "00" "00"),
	   "OFFCPU bytes as in the spec (zigzag -300 = d7 04)");
	got = read_offcpu(ob.buf.data, ob.buf.len, out, 4, &last);
	ok(got == 2 && last == 0 && offcpu_eq(&out[0], &o[0]) && offcpu_eq(&out[1], &o[1]),
	   "OFFCPU round trip, out of order");

	/* Every cut: init fails below 16 bytes, then the intervals wholly
	 * present come back and the cut one is -EBADMSG. */
	size_t n, end0 = 16 + 1 + 4 + 5 + 2 + 3, bad = 0;
	uint8_t *mem;

	is_int(ob.buf.len, end0 + 2 + 2 + 5 + 2 + 3, "two intervals take 45 bytes");
	for (n = 0; n < ob.buf.len; n++) {
		struct wpd_record rec = rec_dup(ob.buf.data, n, &mem);
		int want = n < 16 ? -1 : n < end0 ? 0 : 1;

		got = read_offcpu(mem, n, out, 4, &last);
		(void)rec;
		if (want < 0)
			bad += got != -1;
		else
			bad += got != want || last != -EBADMSG;
		free(mem);
	}
	is_int(bad, 0, "OFFCPU cut at each of %zu offsets fails at the cut interval",
	       ob.buf.len);

	/* count beyond the intervals present; sticky error */
	struct wpd_offcpu_iter it;
	struct wpd_record rec;

	ob.buf.data[8] = 3;
	rec = rec_dup(ob.buf.data, ob.buf.len, &mem);
	wpd_offcpu_iter__init(&it, &rec);
	wpd_offcpu_iter__next(&it, &out[0]);
	wpd_offcpu_iter__next(&it, &out[0]);
	ok(wpd_offcpu_iter__next(&it, &out[0]) == -EBADMSG &&
	   wpd_offcpu_iter__next(&it, &out[0]) == -EBADMSG,
	   "count 3 with 2 present: -EBADMSG, and it stays so");
	ok(offcpu_eq(&out[0], &o[1]), "the last good interval is intact");
	free(mem);

	/* trailing bytes after count intervals, and a non-zero reserved word */
	ob.buf.data[8] = 2;
	ob.buf.data[12] = 0x77;
	wpd_buf__put(&ob.buf, "\xff\xff\xff", 3);
	got = read_offcpu(ob.buf.data, ob.buf.len, out, 4, &last);
	ok(got == 2 && last == 0, "trailing bytes and reserved ignored");

	/* empty batch */
	wpd_offcpu_builder__reset(&ob);
	is_int(wpd_offcpu_builder__finish(&ob), 0, "empty batch");
	got = read_offcpu(ob.buf.data, ob.buf.len, out, 4, &last);
	ok(ob.buf.len == 16 && got == 0 && last == 0, "an empty batch is 16 bytes and reads");
	rec = rec_of(NULL, 0);
	is_int(wpd_offcpu_iter__init(&it, &rec), -EBADMSG, "OFFCPU with no payload");
	is_int(wpd_offcpu_iter__next(&it, &out[0]), 0, "a failed init yields nothing");
	wpd_offcpu_builder__release(&ob);
}

/* A batch header, then raw interval bytes. */
static void obatch(struct wpd_buf *b, uint64_t base, uint32_t count)
{
	wpd_buf__reset(b);
	wpd_buf__put_u64(b, base);
	wpd_buf__put_u32(b, count);
	wpd_buf__put_u32(b, 0);
}

static void put_iv(struct wpd_buf *b, uint64_t zz, uint64_t dur, uint64_t runq,
		   uint64_t pid)
{
	wpd_buf__put_varint(b, zz);
	wpd_buf__put_varint(b, dur);
	wpd_buf__put_varint(b, pid);
	wpd_buf__put(b, "\x01\x02\x03\x01", 4); /* tid cpu stack reason */
	wpd_buf__put_varint(b, runq);
	wpd_buf__put(b, "\x00\x00\x00", 3);
}

static int one_iv(struct wpd_buf *b, struct wpd_offcpu *o)
{
	struct wpd_offcpu_iter it;
	struct wpd_record rec = rec_of(b->data, b->len);

	if (wpd_offcpu_iter__init(&it, &rec) < 0)
		return -1000;
	return wpd_offcpu_iter__next(&it, o);
}

static void test_offcpu_hostile(void)
{
	struct wpd_buf b;
	struct wpd_offcpu o;

	wpd_buf__init(&b);
	obatch(&b, 1ull << 63, 1);
	put_iv(&b, UINT64_MAX, 0, 0, 1); /* zigzag 2^64-1 = INT64_MIN */
	ok(one_iv(&b, &o) == 1 && o.start_ns == 0, "delta INT64_MIN from 2^63 reaches 0");
	obatch(&b, (1ull << 63) - 1, 1);
	put_iv(&b, UINT64_MAX, 0, 0, 1);
	is_int(one_iv(&b, &o), -EBADMSG, "delta INT64_MIN from 2^63-1: start below 0");
	obatch(&b, 5, 1);
	put_iv(&b, 11, 0, 0, 1); /* -6 */
	is_int(one_iv(&b, &o), -EBADMSG, "start 5 - 6 is below 0");
	obatch(&b, 5, 1);
	put_iv(&b, 9, 0, 0, 1); /* -5 */
	ok(one_iv(&b, &o) == 1 && o.start_ns == 0, "start 5 - 5 is 0");
	obatch(&b, UINT64_MAX - 3, 1);
	put_iv(&b, 8, 0, 0, 1); /* +4 */
	is_int(one_iv(&b, &o), -EBADMSG, "start beyond 2^64-1");
	obatch(&b, UINT64_MAX - 3, 1);
	put_iv(&b, 6, 0, 0, 1); /* +3 */
	ok(one_iv(&b, &o) == 1 && o.start_ns == UINT64_MAX, "start 2^64-1, duration 0");
	obatch(&b, UINT64_MAX - 3, 1);
	put_iv(&b, 0, 4, 0, 1);
	is_int(one_iv(&b, &o), -EBADMSG, "end beyond 2^64-1");
	obatch(&b, UINT64_MAX - 3, 1);
	put_iv(&b, 0, 3, 3, 1);
	ok(one_iv(&b, &o) == 1 && o.duration_ns == 3 && o.runq_ns == 3,
	   "end exactly 2^64-1, runq_ns == duration_ns");
	obatch(&b, 0, 1);
	put_iv(&b, 0, 3, 4, 1);
	is_int(one_iv(&b, &o), -EBADMSG, "runq_ns > duration_ns");
	obatch(&b, 0, 1);
	put_iv(&b, 0, 3, 0, 1ull << 32);
	is_int(one_iv(&b, &o), -EBADMSG, "pid of 2^32");
	obatch(&b, 0, 1);
	wpd_buf__put(&b, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 11);
	put_iv(&b, 0, 0, 0, 1);
	is_int(one_iv(&b, &o), -EBADMSG, "11-byte varint delta");
	obatch(&b, 0, 1);
	wpd_buf__put(&b, "\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 11);
	is_int(one_iv(&b, &o), -EBADMSG, "duration varint beyond 64 bits");
	obatch(&b, 0, 1);
	put_iv(&b, 0, 3, 0, 1);
	b.data[b.len - 1] = 0x80; /* waker_stack_id continues past the end */
	is_int(one_iv(&b, &o), -EBADMSG, "last varint runs off the end");
	obatch(&b, 0, UINT32_MAX);
	is_int(one_iv(&b, &o), -EBADMSG, "count 2^32-1 with no bytes");
	/* an unknown reason is returned as is */
	obatch(&b, 0, 1);
	wpd_buf__put(&b, "\x00\x01\x01\x01\x00\x00\x63\x00\x00\x00\x00", 11);
	ok(one_iv(&b, &o) == 1 && o.reason == 99, "an unknown reason is returned");
	wpd_buf__release(&b);
}

static void test_offcpu_builder(void)
{
	struct wpd_offcpu_builder ob;
	struct wpd_offcpu in = { .start_ns = UINT64_MAX - 10, .duration_ns = 100,
				 .runq_ns = 200, .pid = UINT32_MAX, .tid = UINT32_MAX,
				 .cpu = UINT32_MAX, .stack_id = UINT32_MAX,
				 .reason = UINT32_MAX, .waker_pid = UINT32_MAX,
				 .waker_tid = UINT32_MAX, .waker_stack_id = UINT32_MAX };
	struct wpd_offcpu out[4];
	int got, last;

	wpd_offcpu_builder__init(&ob);
	is_int(wpd_offcpu_builder__add(&ob, &in), 1, "add clamps: returns 1");
	wpd_offcpu_builder__finish(&ob);
	got = read_offcpu(ob.buf.data, ob.buf.len, out, 4, &last);
	ok(got == 1 && out[0].duration_ns == 10 && out[0].runq_ns == 10 &&
	   out[0].start_ns == UINT64_MAX - 10 && out[0].waker_stack_id == UINT32_MAX,
	   "duration clamped to fit 64 bits, runq clamped to duration, u32 max fields");

	wpd_offcpu_builder__reset(&ob);
	in.start_ns = 0;
	in.duration_ns = 5;
	in.runq_ns = 5;
	is_int(wpd_offcpu_builder__add(&ob, &in), 0, "start 0");
	in.start_ns = (uint64_t)INT64_MAX + 1;
	is_int(wpd_offcpu_builder__add(&ob, &in), -ERANGE, "2^63 ns later: -ERANGE");
	in.start_ns = INT64_MAX;
	is_int(wpd_offcpu_builder__add(&ob, &in), 0, "2^63-1 ns later: fine");
	in.start_ns = UINT64_MAX - 5;
	is_int(wpd_offcpu_builder__add(&ob, &in), 0, "then near 2^64");
	in.start_ns = 0;
	is_int(wpd_offcpu_builder__add(&ob, &in), -ERANGE, "back to 0: -ERANGE");
	in.start_ns = UINT64_MAX - 5 - INT64_MAX - 1;
	is_int(wpd_offcpu_builder__add(&ob, &in), 0, "back by 2^63 (INT64_MIN): fine");
	is_int(wpd_offcpu_builder__finish(&ob), 4, "refused intervals are not counted");
	got = read_offcpu(ob.buf.data, ob.buf.len, out, 4, &last);
	ok(got == 4 && last == 0 && out[0].start_ns == 0 &&
	   out[1].start_ns == (uint64_t)INT64_MAX && out[2].start_ns == UINT64_MAX - 5 &&
	   out[3].start_ns == UINT64_MAX - 5 - INT64_MAX - 1,
	   "extreme deltas read back");
	in.start_ns -= 1;
	is_int(wpd_offcpu_builder__add(&ob, &in), 0, "then back by 1");
	in.start_ns = UINT64_MAX;
	is_int(wpd_offcpu_builder__add(&ob, &in), -ERANGE, "forward by 2^63 + 6: -ERANGE");

	/* A builder is reusable after finish without reset. */
	in.start_ns = 77;
	wpd_offcpu_builder__add(&ob, &in);
	ok(ob.count == 6, "adding after finish appends to the batch");
	wpd_offcpu_builder__reset(&ob);
	wpd_offcpu_builder__add(&ob, &in);
	wpd_offcpu_builder__finish(&ob);
	got = read_offcpu(ob.buf.data, ob.buf.len, out, 4, &last);
	ok(got == 1 && out[0].start_ns == 77, "reset starts a new batch");
	wpd_offcpu_builder__release(&ob);
}

/* Random intervals in random order read back identically. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static uint64_t rnd_bits(void)
{
	return rnd() >> (rnd() % 64);
}

static void test_offcpu_random(void)
{
	enum { N = 5000 };
	struct wpd_offcpu_builder ob;
	struct wpd_offcpu *in = calloc(N, sizeof(*in)), o;
	struct wpd_offcpu_iter it;
	struct wpd_record rec;
	int i, bad = 0;
	uint64_t t = 1ull << 40;

	wpd_offcpu_builder__init(&ob);
	for (i = 0; i < N; i++) {
		t += rnd() % 2000000;
		in[i].start_ns = t - rnd() % 5000000; /* out of order */
		in[i].duration_ns = rnd_bits() & ((1ull << 40) - 1);
		in[i].runq_ns = in[i].duration_ns ? rnd() % (in[i].duration_ns + 1) : 0;
		in[i].pid = (uint32_t)rnd_bits();
		in[i].tid = (uint32_t)rnd_bits();
		in[i].cpu = (uint32_t)(rnd() % 512);
		in[i].stack_id = (uint32_t)rnd_bits();
		in[i].reason = (uint32_t)(rnd() % 5);
		in[i].waker_pid = (uint32_t)rnd_bits();
		in[i].waker_tid = (uint32_t)rnd_bits();
		in[i].waker_stack_id = (uint32_t)rnd_bits();
		bad += wpd_offcpu_builder__add(&ob, &in[i]) != 0;
	}
	is_int(bad, 0, "%d random intervals added without clamping", N);
	is_int(wpd_offcpu_builder__finish(&ob), N, "count");
	rec = rec_of(ob.buf.data, ob.buf.len);
	wpd_offcpu_iter__init(&it, &rec);
	for (i = 0; i < N; i++)
		bad += wpd_offcpu_iter__next(&it, &o) != 1 || !offcpu_eq(&o, &in[i]);
	ok(bad == 0 && wpd_offcpu_iter__next(&it, &o) == 0,
	   "%d random intervals read back identically", N);
	free(in);
	wpd_offcpu_builder__release(&ob);
}

/* ---- OFFCPU_AGG ---- */

static void test_agg(void)
{
	struct wpd_offcpu_agg_builder ab;
	struct wpd_offcpu_agg a[2] = {
		{ .intervals = 3, .total_ns = 1500, .runq_ns = 200, .pid = 42, .tid = 43,
		  .stack_id = 7, .reason = WPD_OFF_SLEEP, .waker_pid = 1, .waker_tid = 2,
		  .waker_stack_id = 9 },
		{ .intervals = UINT64_MAX, .total_ns = UINT64_MAX, .runq_ns = UINT64_MAX,
		  .pid = UINT32_MAX, .tid = UINT32_MAX, .stack_id = UINT32_MAX,
		  .reason = UINT32_MAX, .waker_pid = UINT32_MAX, .waker_tid = UINT32_MAX,
		  .waker_stack_id = UINT32_MAX },
	};
	struct wpd_offcpu_agg bad_a = { .intervals = 0, .total_ns = 1 }, out;
	struct wpd_offcpu_agg_iter it;
	struct wpd_record rec;
	uint8_t *mem;
	size_t n, end0;
	int bad = 0, got, ret;

	wpd_offcpu_agg_builder__init(&ab);
	is_int(wpd_offcpu_agg_builder__add(&ab, &a[0]), 0, "add an entry");
	is_int(wpd_offcpu_agg_builder__add(&ab, &bad_a), -EINVAL, "intervals 0: -EINVAL");
	is_int(wpd_offcpu_agg_builder__finish(&ab, 1000, 2000), 1, "finish: count 1");
	ok(hex_is(&ab.buf, "e803000000000000" "d007000000000000" "01000000" "00000000"
			   "2a" "2b" "07" "01" "01" "02" "09" "03" "dc0b" "c801"),
	   "OFFCPU_AGG bytes as in the spec");
	end0 = ab.buf.len;
	is_int(wpd_offcpu_agg_builder__add(&ab, &a[1]), 0, "add an all-max entry");
	is_int(wpd_offcpu_agg_builder__finish(&ab, 1000, 2000), 2, "count 2");
	rec = rec_of(ab.buf.data, ab.buf.len);
	ok(wpd_offcpu_agg_iter__init(&it, &rec) == 0 && it.from_ns == 1000 &&
	   it.to_ns == 2000 && it.remaining == 2, "period and count");
	ok(wpd_offcpu_agg_iter__next(&it, &out) == 1 && agg_eq(&out, &a[0]) &&
	   wpd_offcpu_agg_iter__next(&it, &out) == 1 && agg_eq(&out, &a[1]) &&
	   wpd_offcpu_agg_iter__next(&it, &out) == 0, "OFFCPU_AGG round trip");

	for (n = 0; n < ab.buf.len; n++) {
		int want = n < 24 ? -1 : n < end0 ? 0 : 1;

		rec = rec_dup(ab.buf.data, n, &mem);
		if (want < 0) {
			bad += wpd_offcpu_agg_iter__init(&it, &rec) != -EBADMSG;
		} else {
			bad += wpd_offcpu_agg_iter__init(&it, &rec) != 0;
			for (got = 0; (ret = wpd_offcpu_agg_iter__next(&it, &out)) == 1; got++)
				;
			bad += got != want || ret != -EBADMSG;
			bad += wpd_offcpu_agg_iter__next(&it, &out) != -EBADMSG;
		}
		free(mem);
	}
	is_int(bad, 0, "OFFCPU_AGG cut at each of %zu offsets fails at the cut entry",
	       ab.buf.len);

	/* from > to */
	ab.buf.data[0] = 0xd1;
	ab.buf.data[1] = 0x07; /* from 2001 */
	rec = rec_of(ab.buf.data, ab.buf.len);
	is_int(wpd_offcpu_agg_iter__init(&it, &rec), -EBADMSG, "from_ns > to_ns");
	is_int(wpd_offcpu_agg_iter__next(&it, &out), 0, "a failed init yields nothing");

	/* builder: runq clamp, to < from, empty */
	wpd_offcpu_agg_builder__reset(&ab);
	a[0].runq_ns = 5000;
	is_int(wpd_offcpu_agg_builder__add(&ab, &a[0]), 1, "runq_ns > total_ns: clamped, 1");
	wpd_offcpu_agg_builder__finish(&ab, 50, 40);
	rec = rec_of(ab.buf.data, ab.buf.len);
	ok(wpd_offcpu_agg_iter__init(&it, &rec) == 0 && it.from_ns == 50 && it.to_ns == 50 &&
	   wpd_offcpu_agg_iter__next(&it, &out) == 1 && out.runq_ns == out.total_ns,
	   "to_ns raised to from_ns, runq_ns clamped to total_ns");
	wpd_offcpu_agg_builder__reset(&ab);
	is_int(wpd_offcpu_agg_builder__finish(&ab, 7, 9), 0, "empty record");
	rec = rec_of(ab.buf.data, ab.buf.len);
	ok(ab.buf.len == 24 && wpd_offcpu_agg_iter__init(&it, &rec) == 0 &&
	   it.from_ns == 7 && it.to_ns == 9 && wpd_offcpu_agg_iter__next(&it, &out) == 0,
	   "an empty record is 24 bytes and reads");

	/* hand-made entries the decoder must refuse */
	struct wpd_buf b;
	static const struct {
		const char *bytes;
		size_t len;
		const char *what;
	} hostile[] = {
		{ "\x01\x01\x01\x01\x00\x00\x00\x00\x05\x00", 10, "intervals 0" },
		{ "\x01\x01\x01\x01\x00\x00\x00\x01\x05\x06", 10, "runq_ns > total_ns" },
		{ "\x01\x01\x01\x01\x00\x00\x00\x01\x05", 9, "runq_ns missing" },
		{ "\x80\x80\x80\x80\x10\x01\x01\x01\x00\x00\x00\x01\x05\x00", 14, "pid of 2^32" },
	};
	wpd_buf__init(&b);
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		wpd_buf__reset(&b);
		wpd_buf__put_u64(&b, 0);
		wpd_buf__put_u64(&b, 0);
		wpd_buf__put_u32(&b, 1);
		wpd_buf__put_u32(&b, 0);
		wpd_buf__put(&b, hostile[i].bytes, hostile[i].len);
		rec = rec_dup(b.data, b.len, &mem);
		wpd_offcpu_agg_iter__init(&it, &rec);
		is_int(wpd_offcpu_agg_iter__next(&it, &out), -EBADMSG, "AGG entry: %s",
		       hostile[i].what);
		free(mem);
	}
	wpd_buf__release(&b);
	wpd_offcpu_agg_builder__release(&ab);
}

/* ---- through a file ---- */

static void test_file(void)
{
	int fd = memfd_create("wpd-offcpu", MFD_CLOEXEC);
	struct wpd_writer_opts opts = { .compat_flags = WPD_FEAT_OFFCPU };
	struct wpd_writer *w = NULL;
	struct wpd_reader *r = NULL;
	struct wpd_offcpu_builder ob;
	struct wpd_offcpu_agg_builder ab;
	struct wpd_buf b;
	struct wpd_record rec;
	struct wpd_offcpu o = { .start_ns = 10, .duration_ns = 20, .pid = 1, .tid = 2,
				.reason = WPD_OFF_SLEEP };
	struct wpd_offcpu_agg a = { .intervals = 2, .total_ns = 30, .pid = 1, .tid = 2 };
	struct wpd_task t = { .time_ns = 5, .kind = WPD_TASK_EXIT, .pid = 1, .tid = 2 };
	struct wpd_thread_time tt = { .pid = 1, .tid = 2, .oncpu_ns = 1, .first_ns = 0,
				      .last_ns = 100, .switches = 3 };
	unsigned int seen[WPD_REC_TYPE_MAX + 1] = { 0 };
	uint64_t off_total = 0, agg_total = 0, last_oncpu = 0;
	int i;

	if (!ok(fd >= 0, "memfd"))
		return;
	wpd_buf__init(&b);
	wpd_offcpu_builder__init(&ob);
	wpd_offcpu_agg_builder__init(&ab);
	is_int(wpd_writer__new(fd, &opts, &w), 0, "writer");
	wpd_buf__reset(&b);
	wpd_kv__put_u64(&b, WPD_META_OFF_CPU, 1);
	wpd_kv__put_u64(&b, WPD_META_MIN_BLOCK, 15);
	wpd_writer__add_buf(w, WPD_REC_META, &b);
	for (i = 0; i < 3; i++) {
		wpd_offcpu_builder__add(&ob, &o);
		o.start_ns += 100;
	}
	wpd_offcpu_builder__finish(&ob);
	wpd_writer__add_buf(w, WPD_REC_OFFCPU, &ob.buf);
	wpd_offcpu_agg_builder__add(&ab, &a);
	wpd_offcpu_agg_builder__finish(&ab, 0, 1000);
	wpd_writer__add_buf(w, WPD_REC_OFFCPU_AGG, &ab.buf);
	wpd_encode_thread_time(&b, &tt);
	wpd_writer__add_buf(w, WPD_REC_THREAD_TIME, &b);
	wpd_writer__flush(w);
	tt.oncpu_ns = 7; /* a later, cumulative update in another block */
	tt.flags = WPD_THREAD_TIME_EXITED;
	wpd_encode_thread_time(&b, &tt);
	wpd_writer__add_buf(w, WPD_REC_THREAD_TIME, &b);
	wpd_encode_task(&b, &t);
	wpd_writer__add_buf(w, WPD_REC_TASK, &b);
	wpd_buf__reset(&b);
	wpd_kv__put_u64(&b, WPD_STAT_OFFCPU_EVENTS, 3);
	wpd_kv__put_u64(&b, WPD_STAT_OFFCPU_AGGREGATED, 2);
	wpd_writer__add_buf(w, WPD_REC_FINISH, &b);
	is_int(wpd_writer__close(w), 0, "file written");

	lseek(fd, 0, SEEK_SET);
	is_int(wpd_reader__open_fd(fd, &r, NULL, 0), 0, "reader");
	if (!r)
		goto out;
	is_int(wpd_reader__info(r)->version_minor, 1, "minor version 1");
	ok(wpd_reader__info(r)->compat_flags & WPD_FEAT_OFFCPU, "WPD_FEAT_OFFCPU set");
	while (wpd_reader__next(r, &rec) == 1) {
		struct wpd_offcpu_iter oi;
		struct wpd_offcpu_agg_iter ai;
		struct wpd_offcpu ov;
		struct wpd_offcpu_agg av;
		struct wpd_thread_time tv;
		struct wpd_task kv;

		if (rec.type <= WPD_REC_TYPE_MAX)
			seen[rec.type]++;
		switch (rec.type) {
		case WPD_REC_OFFCPU:
			wpd_offcpu_iter__init(&oi, &rec);
			while (wpd_offcpu_iter__next(&oi, &ov) == 1)
				off_total += ov.duration_ns;
			break;
		case WPD_REC_OFFCPU_AGG:
			wpd_offcpu_agg_iter__init(&ai, &rec);
			while (wpd_offcpu_agg_iter__next(&ai, &av) == 1)
				agg_total += av.total_ns;
			break;
		case WPD_REC_THREAD_TIME:
			if (wpd_decode_thread_time(&rec, &tv) == 0)
				last_oncpu = tv.oncpu_ns; /* last wins */
			break;
		case WPD_REC_TASK:
			ok(wpd_decode_task(&rec, &kv) == 0 && kv.kind == WPD_TASK_EXIT &&
			   kv.tid == 2, "TASK read back");
			break;
		}
	}
	ok(seen[WPD_REC_OFFCPU] == 1 && seen[WPD_REC_OFFCPU_AGG] == 1 &&
	   seen[WPD_REC_TASK] == 1 && seen[WPD_REC_THREAD_TIME] == 2,
	   "the reader returns the new record types");
	is_int(wpd_reader__stats(r)->records_unknown, 0, "none counted unknown");
	is_int(off_total + agg_total, 90, "off-CPU time: individual + aggregated");
	is_int(last_oncpu, 7, "THREAD_TIME: the last record wins");
	wpd_reader__free(r);
out:
	close(fd);
	wpd_buf__release(&b);
	wpd_offcpu_builder__release(&ob);
	wpd_offcpu_agg_builder__release(&ab);
}

int main(void)
{
	test_task();
	test_thread_time();
	test_offcpu_layout();
	test_offcpu_hostile();
	test_offcpu_builder();
	test_offcpu_random();
	test_agg();
	test_file();
	return done_testing();
}
