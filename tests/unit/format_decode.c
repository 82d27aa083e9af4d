// SPDX-License-Identifier: MIT
/*
 * libwpd decoders on hostile payloads: every payload shorter than its
 * layout is -EBADMSG, longer ones (fields a newer minor appended) decode
 * the same, counts beyond the limits and varints beyond 64 bits are
 * refused, and iterators fail at the exact entry that is broken.
 */
#include "format/wpd.h"
#include "tests/lib/tap.h"

#include <errno.h>
#include <stdlib.h>

static struct wpd_record rec_of(const void *p, size_t n)
{
	struct wpd_record r = { .type = 0, .size = (uint32_t)n, .data = p };

	return r;
}

/* Copy into an exactly-sized heap block so ASan sees any over-read. */
static struct wpd_record rec_dup(const struct wpd_buf *b, size_t n, uint8_t **mem)
{
	*mem = malloc(n ? n : 1);
	memcpy(*mem, b->data, n);
	return rec_of(*mem, n);
}

typedef int (*decode_fn)(const struct wpd_record *rec, void *out);

/*
 * Every prefix shorter than want_len fails, want_len succeeds, and with
 * 13 bytes appended it still succeeds and decodes the same struct.
 */
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
		rec = rec_dup(b, n, &mem);
		if (fn(&rec, a) != -EBADMSG) {
			if (!bad)
				tap_diag("  %s accepted %zu bytes", name, n);
			bad++;
		}
		free(mem);
	}
	is_int(bad, 0, "%s: each of %zu short payloads is -EBADMSG", name, b->len);

	rec = rec_dup(b, b->len, &mem);
	is_int(fn(&rec, a), 0, "%s: exact payload decodes", name);
	free(mem);

	wpd_buf__init(&ext);
	wpd_buf__put(&ext, b->data, b->len);
	wpd_buf__put(&ext, "newer fields!", 13);
	rec = rec_dup(&ext, ext.len, &mem);
	memset(c, 0, out_size);
	ok(fn(&rec, c) == 0 && !memcmp(a, c, out_size),
	   "%s: trailing bytes are ignored", name);
	free(mem);
	wpd_buf__release(&ext);

	rec = rec_of(NULL, 0);
	is_int(fn(&rec, a), -EBADMSG, "%s: no payload at all", name);
	free(a);
	free(c);
}

/* wpd_string points into the payload: compare its bytes, not the pointer. */
struct flat_string {
	uint32_t id, len;
	char str[16];
};

static int decode_string_flat(const struct wpd_record *rec, void *out)
{
	struct flat_string *f = out;
	struct wpd_string s;
	int ret = wpd_decode_string(rec, &s);

	if (ret)
		return ret;
	memset(f, 0, sizeof(*f));
	f->id = s.id;
	f->len = s.len;
	memcpy(f->str, s.str, s.len < sizeof(f->str) ? s.len : sizeof(f->str));
	return 0;
}

static void test_fixed_layouts(void)
{
	struct wpd_buf b;
	struct wpd_thread t = { 1ull << 60, 2, 3, 4 };
	struct wpd_mmap m = { .time_ns = 5, .pid = 6, .flags = 1, .start = 7, .end = 8,
			      .pgoff = 9, .path_str = 10, .build_id_len = 4,
			      .build_id = { 1, 2, 3, 4 } };
	struct wpd_mmap_reset mr = { 11, 12 };
	struct wpd_ksym k = { 13, 14, 15, 16 };
	uint64_t frames[3] = { 1, 2, 3 };

	wpd_buf__init(&b);
	wpd_encode_thread(&b, &t);
	check_lengths("THREAD", (decode_fn)wpd_decode_thread, &b, 20, sizeof(struct wpd_thread));
	wpd_encode_mmap(&b, &m);
	check_lengths("MMAP", (decode_fn)wpd_decode_mmap, &b, 68, sizeof(struct wpd_mmap));
	wpd_encode_mmap_reset(&b, &mr);
	check_lengths("MMAP_RESET", (decode_fn)wpd_decode_mmap_reset, &b, 12,
		      sizeof(struct wpd_mmap_reset));
	wpd_encode_ksym(&b, &k);
	check_lengths("KSYM", (decode_fn)wpd_decode_ksym, &b, 20, sizeof(struct wpd_ksym));
	wpd_encode_string(&b, 7, "abc", 3);
	check_lengths("STRING", decode_string_flat, &b, 11, sizeof(struct flat_string));
	wpd_encode_stack(&b, 1, 0, frames, 2, frames + 2, 1);
	check_lengths("STACK", (decode_fn)wpd_decode_stack, &b, 12 + 3 * 8,
		      sizeof(struct wpd_stack));
	wpd_buf__release(&b);
}

static void test_string_limits(void)
{
	struct wpd_buf b;
	struct wpd_string s;
	struct wpd_record rec;
	char *big = malloc(WPD_STRING_MAX + 10);

	wpd_buf__init(&b);
	memset(big, 'x', WPD_STRING_MAX + 10);
	wpd_encode_string(&b, 1, big, WPD_STRING_MAX + 10);
	rec = rec_of(b.data, b.len);
	ok(wpd_decode_string(&rec, &s) == 0 && s.len == WPD_STRING_MAX,
	   "encoder clamps a string to WPD_STRING_MAX");

	/* a len field beyond the limit, with the bytes present */
	wpd_buf__reset(&b);
	wpd_buf__put_u32(&b, 1);
	wpd_buf__put_u32(&b, WPD_STRING_MAX + 1);
	wpd_buf__put(&b, big, WPD_STRING_MAX + 1);
	rec = rec_of(b.data, b.len);
	is_int(wpd_decode_string(&rec, &s), -EBADMSG, "string longer than WPD_STRING_MAX");

	wpd_encode_string(&b, 0, "a", 1);
	rec = rec_of(b.data, b.len);
	is_int(wpd_decode_string(&rec, &s), -EBADMSG, "string id 0 is refused");

	wpd_encode_string(&b, 1, "abc", 3);
	b.data[4] = 4; /* len 4, 3 bytes present */
	rec = rec_of(b.data, b.len);
	is_int(wpd_decode_string(&rec, &s), -EBADMSG, "string len beyond the payload");
	free(big);
	wpd_buf__release(&b);
}

static void put_stack_head(struct wpd_buf *b, uint32_t id, uint16_t nk, uint16_t nu)
{
	wpd_buf__reset(b);
	wpd_buf__put_u32(b, id);
	wpd_buf__put_u32(b, 0);
	wpd_buf__put_u16(b, nk);
	wpd_buf__put_u16(b, nu);
	for (unsigned int i = 0; i < (unsigned int)nk + nu; i++)
		wpd_buf__put_u64(b, i);
}

static void test_stack_limits(void)
{
	struct wpd_stack *st = malloc(sizeof(*st));
	struct wpd_buf b;
	struct wpd_record rec;
	uint64_t *frames = calloc(3000, sizeof(uint64_t));

	wpd_buf__init(&b);
	put_stack_head(&b, 1, WPD_STACK_MAX_FRAMES + 1, 0);
	rec = rec_of(b.data, b.len);
	is_int(wpd_decode_stack(&rec, st), -EBADMSG, "nkernel > WPD_STACK_MAX_FRAMES");
	put_stack_head(&b, 1, 0, WPD_STACK_MAX_FRAMES + 1);
	rec = rec_of(b.data, b.len);
	is_int(wpd_decode_stack(&rec, st), -EBADMSG, "nuser > WPD_STACK_MAX_FRAMES");
	put_stack_head(&b, 1, UINT16_MAX, UINT16_MAX);
	rec = rec_of(b.data, b.len);
	is_int(wpd_decode_stack(&rec, st), -EBADMSG, "65535 frames each side");
	put_stack_head(&b, 1, WPD_STACK_MAX_FRAMES, WPD_STACK_MAX_FRAMES);
	rec = rec_of(b.data, b.len);
	ok(wpd_decode_stack(&rec, st) == 0 && st->nkernel == WPD_STACK_MAX_FRAMES &&
	   st->user[WPD_STACK_MAX_FRAMES - 1] == 2 * WPD_STACK_MAX_FRAMES - 1,
	   "exactly WPD_STACK_MAX_FRAMES each side decodes");
	put_stack_head(&b, 0, 1, 1);
	rec = rec_of(b.data, b.len);
	is_int(wpd_decode_stack(&rec, st), -EBADMSG, "stack id 0 is refused");
	put_stack_head(&b, 1, 2, 2);
	rec = rec_of(b.data, b.len - 1);
	is_int(wpd_decode_stack(&rec, st), -EBADMSG, "last frame one byte short");

	wpd_encode_stack(&b, 9, WPD_STACK_NO_USER, frames, 3000, frames, 2000);
	rec = rec_of(b.data, b.len);
	ok(wpd_decode_stack(&rec, st) == 0 && st->nkernel == WPD_STACK_MAX_FRAMES &&
	   st->nuser == WPD_STACK_MAX_FRAMES &&
	   st->flags == (WPD_STACK_NO_USER | WPD_STACK_KERNEL_TRUNCATED |
			 WPD_STACK_USER_TRUNCATED),
	   "encoder clamps deep stacks and flags them truncated");

	struct wpd_mmap m = { .build_id_len = WPD_BUILD_ID_MAX };
	struct wpd_mmap out;

	wpd_encode_mmap(&b, &m);
	b.data[44] = WPD_BUILD_ID_MAX + 1; /* build_id_len */
	rec = rec_of(b.data, b.len);
	is_int(wpd_decode_mmap(&rec, &out), -EBADMSG, "build_id_len 21 is refused");
	free(st);
	free(frames);
	wpd_buf__release(&b);
}

static void test_kv(void)
{
	struct wpd_buf b, c;
	struct wpd_record rec;
	struct wpd_kv_iter it;
	struct wpd_kv kv;
	uint8_t *mem;
	size_t n, first_len;
	int bad = 0;

	wpd_buf__init(&b);
	wpd_buf__init(&c);
	wpd_kv__put_u64(&b, "a", 1);
	first_len = b.len;
	is_int(first_len, 2 + 1 + 1 + 4 + 8, "u64 entry is 16 bytes");
	wpd_kv__put_str(&b, "key", "value");

	/* Every cut: entries wholly present come back, then -EBADMSG. */
	for (n = 0; n < b.len; n++) {
		int want1 = n == 0 ? 0 : n < first_len ? -EBADMSG : 1;
		int want2 = n == first_len ? 0 : -EBADMSG;

		rec = rec_dup(&b, n, &mem);
		wpd_kv_iter__init(&it, &rec);
		if (wpd_kv_iter__next(&it, &kv) != want1 ||
		    (want1 == 1 && wpd_kv_iter__next(&it, &kv) != want2))
			bad++;
		free(mem);
	}
	is_int(bad, 0, "kv list cut at each of %zu offsets fails at the cut entry", b.len);

	/* A broken entry keeps failing: the iterator does not resume mid-entry. */
	rec = rec_of(b.data, b.len - 1);
	wpd_kv_iter__init(&it, &rec);
	wpd_kv_iter__next(&it, &kv);
	ok(wpd_kv_iter__next(&it, &kv) == -EBADMSG && wpd_kv_iter__next(&it, &kv) == -EBADMSG,
	   "kv error is sticky");

	/* Unknown value types are returned raw and skipped over. */
	wpd_buf__reset(&c);
	wpd_buf__put_u16(&c, 3);
	wpd_buf__put(&c, "new", 3);
	wpd_buf__put_u8(&c, 77);
	wpd_buf__put_u32(&c, 3);
	wpd_buf__put(&c, "\x01\x02\x03", 3);
	wpd_kv__put_i64(&c, "after", -5);
	rec = rec_of(c.data, c.len);
	wpd_kv_iter__init(&it, &rec);
	ok(wpd_kv_iter__next(&it, &kv) == 1 && kv.type == 77 && kv.value_len == 3 &&
	   kv.value[2] == 3 && kv.u64 == 0 && wpd_kv__is(&kv, "new"),
	   "unknown value type is returned with its raw bytes");
	ok(wpd_kv_iter__next(&it, &kv) == 1 && wpd_kv__is(&kv, "after") &&
	   (int64_t)kv.u64 == -5, "the entry after it is read");
	is_int(wpd_kv_iter__next(&it, &kv), 0, "end");

	/* A u64 whose value is not 8 bytes. */
	wpd_buf__reset(&c);
	wpd_buf__put_u16(&c, 1);
	wpd_buf__put(&c, "x", 1);
	wpd_buf__put_u8(&c, WPD_KV_U64);
	wpd_buf__put_u32(&c, 4);
	wpd_buf__put_u32(&c, 1);
	rec = rec_of(c.data, c.len);
	wpd_kv_iter__init(&it, &rec);
	is_int(wpd_kv_iter__next(&it, &kv), -EBADMSG, "u64 value of 4 bytes");

	/* value_len beyond the payload */
	wpd_buf__reset(&c);
	wpd_kv__put_str(&c, "k", "abc");
	c.data[2 + 1 + 1 + 3] = 0x80; /* value_len high byte */
	rec = rec_of(c.data, c.len);
	wpd_kv_iter__init(&it, &rec);
	is_int(wpd_kv_iter__next(&it, &kv), -EBADMSG, "value_len of 2 GiB");

	rec = rec_of(NULL, 0);
	wpd_kv_iter__init(&it, &rec);
	is_int(wpd_kv_iter__next(&it, &kv), 0, "empty list");
	wpd_buf__release(&b);
	wpd_buf__release(&c);
}

/* A batch header with the given count, then raw bytes. */
static void batch(struct wpd_buf *b, uint64_t base, uint32_t count)
{
	wpd_buf__reset(b);
	wpd_buf__put_u64(b, base);
	wpd_buf__put_u32(b, count);
}

static void test_samples(void)
{
	struct wpd_samples_builder sb;
	struct wpd_samples_iter it;
	struct wpd_sample s = { .time_ns = 10, .pid = 1, .tid = 2, .cpu = 3, .stack_id = 4 };
	struct wpd_record rec;
	struct wpd_buf b;
	uint8_t *mem;
	size_t n;
	int i, got, bad = 0;

	wpd_buf__init(&b);
	wpd_samples_builder__init(&sb);
	for (i = 0; i < 3; i++) {
		wpd_samples_builder__add(&sb, &s);
		s.time_ns += 1000;
	}
	wpd_samples_builder__finish(&sb);
	is_int(sb.buf.len, 12 + 5 + 2 * 6, "3 small samples take 29 bytes");
	/* Claim 5 samples with the bytes of 3. */
	sb.buf.data[8] = 5;
	rec = rec_dup(&sb.buf, sb.buf.len, &mem);
	is_int(wpd_samples_iter__init(&it, &rec), 0, "count 5 with 3 present: init ok");
	for (got = 0; wpd_samples_iter__next(&it, &s) == 1; got++)
		;
	is_int(got, 3, "the 3 present samples are returned");
	is_int(wpd_samples_iter__next(&it, &s), -EBADMSG, "then -EBADMSG");
	is_int(wpd_samples_iter__next(&it, &s), -EBADMSG, "and it stays -EBADMSG");
	ok(s.time_ns == 2010, "last good sample is intact");
	free(mem);

	/* Every cut of a valid 3-sample batch. */
	sb.buf.data[8] = 3;
	for (n = 0; n < sb.buf.len; n++) {
		int want_good = n < 12 ? -1 : n < 17 ? 0 : n < 23 ? 1 : 2;

		rec = rec_dup(&sb.buf, n, &mem);
		if (want_good < 0) {
			bad += wpd_samples_iter__init(&it, &rec) != -EBADMSG;
		} else {
			bad += wpd_samples_iter__init(&it, &rec) != 0;
			for (got = 0; wpd_samples_iter__next(&it, &s) == 1; got++)
				;
			bad += got != want_good;
			bad += wpd_samples_iter__next(&it, &s) != -EBADMSG;
		}
		free(mem);
	}
	is_int(bad, 0, "batch cut at each of %zu offsets fails at the cut sample",
	       sb.buf.len);

	/* Trailing bytes after the counted samples are ignored. */
	wpd_buf__put(&sb.buf, "\xff\xff\xff", 3);
	rec = rec_of(sb.buf.data, sb.buf.len);
	wpd_samples_iter__init(&it, &rec);
	for (got = 0; wpd_samples_iter__next(&it, &s) == 1; got++)
		;
	ok(got == 3 && wpd_samples_iter__next(&it, &s) == 0, "trailing bytes after a batch");
	wpd_samples_builder__release(&sb);

	/* Varints: 11 bytes, bits beyond 64, fields beyond 32 bits. */
	batch(&b, 0, 1);
	wpd_buf__put(&b, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 11);
	wpd_buf__put(&b, "\x01\x01\x01\x01", 4);
	rec = rec_of(b.data, b.len);
	wpd_samples_iter__init(&it, &rec);
	is_int(wpd_samples_iter__next(&it, &s), -EBADMSG, "11-byte varint");
	batch(&b, 0, 1);
	wpd_buf__put(&b, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10);
	wpd_buf__put(&b, "\x01\x01\x01\x01", 4);
	rec = rec_of(b.data, b.len);
	wpd_samples_iter__init(&it, &rec);
	is_int(wpd_samples_iter__next(&it, &s), -EBADMSG, "varint beyond 64 bits");
	batch(&b, 0, 1);
	wpd_buf__put(&b, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10);
	wpd_buf__put(&b, "\x01\x01\x01\x01", 4);
	rec = rec_of(b.data, b.len);
	wpd_samples_iter__init(&it, &rec);
	ok(wpd_samples_iter__next(&it, &s) == 1 && s.time_ns == UINT64_MAX,
	   "10-byte varint of 2^64-1");
	batch(&b, 0, 1);
	wpd_buf__put_varint(&b, 0);
	wpd_buf__put_varint(&b, 1ull << 32);
	wpd_buf__put(&b, "\x01\x01\x01", 3);
	rec = rec_of(b.data, b.len);
	wpd_samples_iter__init(&it, &rec);
	is_int(wpd_samples_iter__next(&it, &s), -EBADMSG, "pid of 2^32");
	batch(&b, 0, 1);
	wpd_buf__put(&b, "\x00\x01\x01\x01", 4);
	wpd_buf__put_varint(&b, 1ull << 40);
	rec = rec_of(b.data, b.len);
	wpd_samples_iter__init(&it, &rec);
	is_int(wpd_samples_iter__next(&it, &s), -EBADMSG, "stack id of 2^40");
	batch(&b, UINT64_MAX - 5, 2);
	wpd_buf__put(&b, "\x05\x01\x01\x01\x01", 5);
	wpd_buf__put(&b, "\x01\x01\x01\x01\x01", 5);
	rec = rec_of(b.data, b.len);
	wpd_samples_iter__init(&it, &rec);
	ok(wpd_samples_iter__next(&it, &s) == 1 && s.time_ns == UINT64_MAX &&
	   wpd_samples_iter__next(&it, &s) == -EBADMSG, "time overflowing 64 bits");
	batch(&b, 0, UINT32_MAX);
	rec = rec_of(b.data, b.len);
	ok(wpd_samples_iter__init(&it, &rec) == 0 &&
	   wpd_samples_iter__next(&it, &s) == -EBADMSG, "count 2^32-1 with no bytes");
	rec = rec_of(NULL, 0);
	is_int(wpd_samples_iter__init(&it, &rec), -EBADMSG, "no payload");
	is_int(wpd_samples_iter__next(&it, &s), 0, "a failed init yields no sample");
	wpd_buf__release(&b);
}

static void test_buf_oom(void)
{
	struct wpd_buf b;

	wpd_buf__init(&b);
	wpd_buf__put_u32(&b, 1);
	wpd_buf__put(&b, "x", SIZE_MAX / 2);
	ok(b.oom && b.len == 4, "an impossible put sets oom and appends nothing");
	wpd_buf__put_u8(&b, 1);
	is_int(b.len, 4, "puts after oom are no-ops");
	wpd_buf__reset(&b);
	ok(b.oom, "reset keeps the oom flag");
	wpd_buf__release(&b);
	ok(!b.oom && b.len == 0, "release clears it");
}

int main(void)
{
	test_fixed_layouts();
	test_string_limits();
	test_stack_limits();
	test_kv();
	test_samples();
	test_buf_oom();
	return done_testing();
}
