// SPDX-License-Identifier: MIT
/*
 * libwpd round trip: every record type, key/value lists and sample
 * batches written by the writer come back bit for bit through the reader
 * and the decoders, including values at the edges of their ranges.
 */
#include "format/wpd.h"
#include "tests/lib/tap.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const uint64_t big = UINT64_MAX;

static int new_memfd(void)
{
	int fd = memfd_create("wpd-test", MFD_CLOEXEC);

	if (fd < 0) {
		perror("memfd_create");
		exit(1);
	}
	return fd;
}

static void test_varint_bytes(void)
{
	static const struct {
		uint64_t v;
		size_t len;
		uint8_t last;
	} cases[] = {
		{ 0, 1, 0x00 },
		{ 127, 1, 0x7f },
		{ 128, 2, 0x01 },
		{ 16383, 2, 0x7f },
		{ 16384, 3, 0x01 },
		{ UINT32_MAX, 5, 0x0f },
		{ 1ull << 63, 10, 0x01 },
		{ UINT64_MAX, 10, 0x01 },
	};
	struct wpd_buf b;
	size_t i;

	wpd_buf__init(&b);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		wpd_buf__reset(&b);
		wpd_buf__put_varint(&b, cases[i].v);
		is_int(b.len, cases[i].len, "varint %llu is %zu bytes",
		       (unsigned long long)cases[i].v, cases[i].len);
		is_int(b.data[b.len - 1], cases[i].last, "varint %llu last byte",
		       (unsigned long long)cases[i].v);
	}
	wpd_buf__reset(&b);
	wpd_buf__put_u16(&b, 0x0102);
	wpd_buf__put_u32(&b, 0x03040506);
	wpd_buf__put_u64(&b, 0x0708090a0b0c0d0eull);
	ok(b.len == 14 && b.data[0] == 0x02 && b.data[1] == 0x01 &&
	   b.data[2] == 0x06 && b.data[5] == 0x03 && b.data[6] == 0x0e &&
	   b.data[13] == 0x07, "integers are little-endian");
	ok(!b.oom, "no allocation failure");
	wpd_buf__release(&b);
	ok(b.data == NULL && b.len == 0 && b.cap == 0, "release empties the buffer");
}

static uint64_t kframe(unsigned int i)
{
	return 0xffffffff81000000ull + i * 0x10;
}

static uint64_t uframe(unsigned int i)
{
	return i == 0 ? big : 0x400000ull + i;
}

static const struct wpd_sample samples_in[] = {
	{ .time_ns = 1000, .pid = 1, .tid = 1, .cpu = 0, .stack_id = 1 },
	{ .time_ns = 1000, .pid = 2, .tid = 3, .cpu = 4, .stack_id = 0 },
	{ .time_ns = 1127, .pid = UINT32_MAX, .tid = UINT32_MAX, .cpu = UINT32_MAX,
	  .stack_id = UINT32_MAX },
	/* a 10-byte delta */
	{ .time_ns = 1127 + (1ull << 63), .pid = 128, .tid = 16384, .cpu = 127,
	  .stack_id = 2 },
	{ .time_ns = UINT64_MAX, .pid = 5, .tid = 6, .cpu = 7, .stack_id = 8 },
};
#define NSAMPLES (sizeof(samples_in) / sizeof(samples_in[0]))

static const uint8_t bid[WPD_BUILD_ID_MAX] = {
	0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0xff,
};

static void write_file(int fd, struct wpd_writer_opts *opts, uint64_t *bytes)
{
	struct wpd_writer *w;
	struct wpd_buf b;
	struct wpd_samples_builder sb;
	uint64_t k[3], u[WPD_STACK_MAX_FRAMES];
	struct wpd_thread t = { .time_ns = big, .pid = 42, .tid = UINT32_MAX, .comm_str = 3 };
	struct wpd_mmap m = {
		.time_ns = 77, .pid = 42, .flags = WPD_MMAP_BUILD_ID,
		.start = 0x400000, .end = big, .pgoff = 0x1000, .path_str = 4,
		.build_id_len = 20,
	};
	struct wpd_mmap m2 = {
		.time_ns = 78, .pid = 43, .flags = WPD_MMAP_ANON_EXEC,
		.start = 1, .end = 2, .pgoff = 0, .path_str = 0, .build_id_len = 3,
	};
	struct wpd_mmap_reset mr = { .time_ns = 99, .pid = UINT32_MAX };
	struct wpd_ksym ks = { .start = big, .size = UINT32_MAX, .name_str = 5, .module_str = 0 };
	unsigned int i;
	int err = 0;

	memcpy(m.build_id, bid, sizeof(bid));
	memset(m2.build_id, 0x55, sizeof(m2.build_id)); /* beyond len: not stored */
	for (i = 0; i < 3; i++)
		k[i] = kframe(i);
	for (i = 0; i < WPD_STACK_MAX_FRAMES; i++)
		u[i] = uframe(i);

	is_int(wpd_writer__new(fd, opts, &w), 0, "writer__new");
	is_int(wpd_writer__bytes(w), WPD_FILE_HEADER_SIZE, "header written at once");
	wpd_buf__init(&b);

	wpd_kv__put_str(&b, WPD_META_HOSTNAME, "host-1");
	wpd_kv__put_u64(&b, WPD_META_START_MONO, big);
	wpd_kv__put_i64(&b, "neg", INT64_MIN);
	wpd_kv__put_str(&b, "empty", "");
	err |= wpd_writer__add_buf(w, WPD_REC_META, &b);

	wpd_encode_string(&b, 1, "hello", 5);
	err |= wpd_writer__add_buf(w, WPD_REC_STRING, &b);
	wpd_encode_string(&b, UINT32_MAX, "", 0);
	err |= wpd_writer__add_buf(w, WPD_REC_STRING, &b);
	wpd_encode_string(&b, 3, "with\0nul", 8);
	err |= wpd_writer__add_buf(w, WPD_REC_STRING, &b);

	wpd_encode_stack(&b, 1, WPD_STACK_USER_TRUNCATED, k, 3, u, WPD_STACK_MAX_FRAMES);
	err |= wpd_writer__add_buf(w, WPD_REC_STACK, &b);
	wpd_encode_stack(&b, UINT32_MAX, WPD_STACK_NO_USER | WPD_STACK_KERNEL_MISSING,
			 NULL, 0, NULL, 0);
	err |= wpd_writer__add_buf(w, WPD_REC_STACK, &b);

	wpd_samples_builder__init(&sb);
	for (i = 0; i < NSAMPLES; i++)
		err |= wpd_samples_builder__add(&sb, &samples_in[i]);
	is_int(wpd_samples_builder__finish(&sb), NSAMPLES, "builder counts the samples");
	is_int(sb.base_ns, 1000, "batch base is the first sample's time");
	err |= wpd_writer__add_buf(w, WPD_REC_SAMPLES, &sb.buf);
	/* an out-of-order sample is stored at the previous time */
	wpd_samples_builder__reset(&sb);
	struct wpd_sample s1 = { .time_ns = 500, .pid = 1 }, s0 = { .time_ns = 400, .pid = 2 };
	is_int(wpd_samples_builder__add(&sb, &s1), 0, "in-order sample: 0");
	is_int(wpd_samples_builder__add(&sb, &s0), 1, "out-of-order sample: 1");
	is_int(wpd_samples_builder__finish(&sb), 2, "second batch has 2 samples");
	err |= wpd_writer__add_buf(w, WPD_REC_SAMPLES, &sb.buf);
	wpd_samples_builder__reset(&sb);
	is_int(wpd_samples_builder__finish(&sb), 0, "empty batch");
	err |= wpd_writer__add_buf(w, WPD_REC_SAMPLES, &sb.buf);
	wpd_samples_builder__release(&sb);

	is_int(wpd_writer__flush(w), 0, "flush");
	is_int(wpd_writer__flush(w), 0, "second flush (empty block) is a no-op");
	*bytes = wpd_writer__bytes(w);

	wpd_encode_thread(&b, &t);
	err |= wpd_writer__add_buf(w, WPD_REC_THREAD, &b);
	wpd_encode_mmap(&b, &m);
	err |= wpd_writer__add_buf(w, WPD_REC_MMAP, &b);
	wpd_encode_mmap(&b, &m2);
	err |= wpd_writer__add_buf(w, WPD_REC_MMAP, &b);
	wpd_encode_mmap_reset(&b, &mr);
	err |= wpd_writer__add_buf(w, WPD_REC_MMAP_RESET, &b);
	wpd_encode_ksym(&b, &ks);
	err |= wpd_writer__add_buf(w, WPD_REC_KSYM, &b);

	wpd_buf__reset(&b);
	wpd_kv__put_u64(&b, WPD_STAT_SAMPLES, 7);
	wpd_kv__put_u64(&b, "lost.ringbuf_full", 3);
	err |= wpd_writer__add_buf(w, WPD_REC_STATS, &b);
	wpd_buf__reset(&b);
	wpd_kv__put_i64(&b, WPD_STAT_EXIT_STATUS, -1);
	err |= wpd_writer__add_buf(w, WPD_REC_FINISH, &b);
	ok(!b.oom, "no allocation failure while encoding");
	is_int(err, 0, "every add succeeded");
	wpd_buf__release(&b);
	is_int(wpd_writer__close(w), 0, "writer__close");
}

static void check_kv_meta(const struct wpd_record *rec)
{
	struct wpd_kv_iter it;
	struct wpd_kv kv;

	wpd_kv_iter__init(&it, rec);
	is_int(wpd_kv_iter__next(&it, &kv), 1, "meta entry 1");
	ok(wpd_kv__is(&kv, WPD_META_HOSTNAME) && kv.type == WPD_KV_STRING &&
	   kv.value_len == 6 && !memcmp(kv.value, "host-1", 6), "hostname string");
	ok(!wpd_kv__is(&kv, "hostnam") && !wpd_kv__is(&kv, "hostname2"),
	   "kv__is compares whole keys");
	is_int(wpd_kv_iter__next(&it, &kv), 1, "meta entry 2");
	ok(wpd_kv__is(&kv, WPD_META_START_MONO) && kv.type == WPD_KV_U64 &&
	   kv.u64 == big && kv.value_len == 8, "u64 max");
	is_int(wpd_kv_iter__next(&it, &kv), 1, "meta entry 3");
	ok(wpd_kv__is(&kv, "neg") && kv.type == WPD_KV_I64 &&
	   (int64_t)kv.u64 == INT64_MIN, "i64 min");
	is_int(wpd_kv_iter__next(&it, &kv), 1, "meta entry 4");
	ok(wpd_kv__is(&kv, "empty") && kv.type == WPD_KV_STRING && kv.value_len == 0,
	   "empty string value");
	is_int(wpd_kv_iter__next(&it, &kv), 0, "end of meta");
	is_int(wpd_kv_iter__next(&it, &kv), 0, "end stays end");
}

static void check_samples1(const struct wpd_record *rec)
{
	struct wpd_samples_iter it;
	struct wpd_sample s;
	unsigned int i;
	int good = 0;

	is_int(wpd_samples_iter__init(&it, rec), 0, "samples init");
	for (i = 0; i < NSAMPLES; i++) {
		if (wpd_samples_iter__next(&it, &s) != 1)
			break;
		good += s.time_ns == samples_in[i].time_ns && s.pid == samples_in[i].pid &&
			s.tid == samples_in[i].tid && s.cpu == samples_in[i].cpu &&
			s.stack_id == samples_in[i].stack_id;
	}
	is_int(good, NSAMPLES, "every sample decodes to what was written");
	is_int(wpd_samples_iter__next(&it, &s), 0, "end of samples");
}

static void check_samples2(const struct wpd_record *rec)
{
	struct wpd_samples_iter it;
	struct wpd_sample a, b;

	is_int(wpd_samples_iter__init(&it, rec), 0, "batch 2 init");
	is_int(wpd_samples_iter__next(&it, &a), 1, "batch 2 sample 1");
	is_int(wpd_samples_iter__next(&it, &b), 1, "batch 2 sample 2");
	ok(a.time_ns == 500 && b.time_ns == 500 && b.pid == 2,
	   "out-of-order sample is pinned to the previous time");
	is_int(wpd_samples_iter__next(&it, &b), 0, "batch 2 end");
}

static void read_file(int fd, uint64_t first_block_end)
{
	struct wpd_reader *r;
	struct wpd_record rec;
	struct wpd_string str;
	struct wpd_stack *st = malloc(sizeof(*st));
	struct wpd_thread t;
	struct wpd_mmap m;
	struct wpd_mmap_reset mr;
	struct wpd_ksym ks;
	struct wpd_samples_iter si;
	struct wpd_sample s;
	struct wpd_kv_iter it;
	struct wpd_kv kv;
	const struct wpd_read_stats *stats;
	char err[256] = "";
	unsigned int i, nrec = 0;
	int frames_ok = 0;

	lseek(fd, 0, SEEK_SET);
	is_int(wpd_reader__open_fd(fd, &r, err, sizeof(err)), 0, "reader__open_fd");
	if (!r) {
		tap_diag("%s", err);
		exit(1);
	}
	is_int(wpd_reader__info(r)->version_major, WPD_VERSION_MAJOR, "major version");
	is_int(wpd_reader__info(r)->version_minor, WPD_VERSION_MINOR, "minor version");
	is_int(wpd_reader__info(r)->compat_flags, WPD_FEAT_ONCPU | WPD_FEAT_KSYMS,
	       "compat flags");
	is_int(wpd_reader__info(r)->incompat_flags, 0, "no incompat flags");

#define NEXT(t_, what) do {                                                   \
	int r_ = wpd_reader__next(r, &rec);                                  \
	nrec++;                                                              \
	ok(r_ == 1 && rec.type == (t_), "record %u is %s", nrec, what);      \
} while (0)

	NEXT(WPD_REC_META, "META");
	is_int(rec.block_seq, 0, "first block has seq 0");
	check_kv_meta(&rec);

	NEXT(WPD_REC_STRING, "STRING");
	ok(wpd_decode_string(&rec, &str) == 0 && str.id == 1 && str.len == 5 &&
	   !memcmp(str.str, "hello", 5), "string 1 = hello");
	NEXT(WPD_REC_STRING, "STRING");
	ok(wpd_decode_string(&rec, &str) == 0 && str.id == UINT32_MAX && str.len == 0,
	   "empty string with the largest id");
	NEXT(WPD_REC_STRING, "STRING");
	ok(wpd_decode_string(&rec, &str) == 0 && str.id == 3 && str.len == 8 &&
	   !memcmp(str.str, "with\0nul", 8), "string with an embedded NUL");

	NEXT(WPD_REC_STACK, "STACK");
	is_int(wpd_decode_stack(&rec, st), 0, "decode stack 1");
	ok(st->id == 1 && st->flags == WPD_STACK_USER_TRUNCATED && st->nkernel == 3 &&
	   st->nuser == WPD_STACK_MAX_FRAMES, "stack 1 header fields");
	for (i = 0; i < 3; i++)
		frames_ok += st->kernel[i] == kframe(i);
	for (i = 0; i < WPD_STACK_MAX_FRAMES; i++)
		frames_ok += st->user[i] == uframe(i);
	is_int(frames_ok, 3 + WPD_STACK_MAX_FRAMES, "every frame, leaf first");
	NEXT(WPD_REC_STACK, "STACK");
	ok(wpd_decode_stack(&rec, st) == 0 && st->id == UINT32_MAX &&
	   st->flags == (WPD_STACK_NO_USER | WPD_STACK_KERNEL_MISSING) &&
	   st->nkernel == 0 && st->nuser == 0, "empty stack");

	NEXT(WPD_REC_SAMPLES, "SAMPLES");
	check_samples1(&rec);
	NEXT(WPD_REC_SAMPLES, "SAMPLES");
	check_samples2(&rec);
	NEXT(WPD_REC_SAMPLES, "SAMPLES");
	ok(wpd_samples_iter__init(&si, &rec) == 0 &&
	   wpd_samples_iter__next(&si, &s) == 0, "empty batch has no samples");

	NEXT(WPD_REC_THREAD, "THREAD");
	is_int(rec.block_seq, 1, "records after the flush are in block 1");
	ok(wpd_decode_thread(&rec, &t) == 0 && t.time_ns == big && t.pid == 42 &&
	   t.tid == UINT32_MAX && t.comm_str == 3, "thread fields");
	NEXT(WPD_REC_MMAP, "MMAP");
	ok(wpd_decode_mmap(&rec, &m) == 0 && m.time_ns == 77 && m.pid == 42 &&
	   m.flags == WPD_MMAP_BUILD_ID && m.start == 0x400000 && m.end == big &&
	   m.pgoff == 0x1000 && m.path_str == 4 && m.build_id_len == 20 &&
	   !memcmp(m.build_id, bid, 20), "mmap fields with a 20-byte build id");
	is_int(rec.size, 68, "mmap payload is 68 bytes");
	NEXT(WPD_REC_MMAP, "MMAP");
	static const uint8_t bid3[WPD_BUILD_ID_MAX] = { 0x55, 0x55, 0x55 };
	ok(wpd_decode_mmap(&rec, &m) == 0 && m.flags == WPD_MMAP_ANON_EXEC &&
	   m.build_id_len == 3 && !memcmp(m.build_id, bid3, sizeof(bid3)),
	   "build id bytes beyond its length are zero");
	NEXT(WPD_REC_MMAP_RESET, "MMAP_RESET");
	ok(wpd_decode_mmap_reset(&rec, &mr) == 0 && mr.time_ns == 99 &&
	   mr.pid == UINT32_MAX, "mmap_reset fields");
	NEXT(WPD_REC_KSYM, "KSYM");
	ok(wpd_decode_ksym(&rec, &ks) == 0 && ks.start == big && ks.size == UINT32_MAX &&
	   ks.name_str == 5 && ks.module_str == 0, "ksym fields");
	NEXT(WPD_REC_STATS, "STATS");
	wpd_kv_iter__init(&it, &rec);
	ok(wpd_kv_iter__next(&it, &kv) == 1 && wpd_kv__is(&kv, WPD_STAT_SAMPLES) &&
	   kv.u64 == 7, "stats samples");
	ok(wpd_kv_iter__next(&it, &kv) == 1 && wpd_kv__is(&kv, "lost.ringbuf_full") &&
	   kv.u64 == 3 && !strncmp(kv.key, WPD_STAT_LOST_PREFIX, 5), "stats lost counter");
	is_int(wpd_kv_iter__next(&it, &kv), 0, "stats end");
	ok(!wpd_reader__stats(r)->finished, "not finished before FINISH");
	NEXT(WPD_REC_FINISH, "FINISH");
	wpd_kv_iter__init(&it, &rec);
	ok(wpd_kv_iter__next(&it, &kv) == 1 && wpd_kv__is(&kv, WPD_STAT_EXIT_STATUS) &&
	   kv.type == WPD_KV_I64 && (int64_t)kv.u64 == -1, "finish exit status");

	is_int(wpd_reader__next(r, &rec), 0, "end of file");
	is_int(wpd_reader__next(r, &rec), 0, "end of file again");
	stats = wpd_reader__stats(r);
	is_int(stats->blocks, 2, "two blocks");
	is_int(stats->records, nrec, "records counted");
	is_int(stats->blocks_damaged, 0, "no damaged block");
	is_int(stats->bytes_skipped, 0, "no byte skipped");
	is_int(stats->records_unknown, 0, "no unknown record");
	is_int(stats->records_bad, 0, "no bad record");
	ok(!stats->truncated, "not truncated");
	ok(stats->finished, "finished");
	ok(wpd_reader__damage(r) == NULL, "no damage description");
	wpd_reader__free(r);
	free(st);
	(void)first_block_end;
}

static void check_header_bytes(int fd)
{
	uint8_t h[WPD_FILE_HEADER_SIZE + WPD_BLOCK_HEADER_SIZE];
	static const uint8_t zero[24];

	ok(pread(fd, h, sizeof(h), 0) == (ssize_t)sizeof(h), "read the headers back");
	ok(!memcmp(h, "\x89WPD\r\n\x1a\n", 8), "file magic");
	ok(h[8] == 1 && h[9] == 0 && h[10] == 1 && h[11] == 0, "version 1.1");
	ok(h[12] == 64 && h[13] == 0 && h[14] == 0 && h[15] == 0, "header size 64");
	ok(!memcmp(h + 32, zero, 24), "reserved header bytes are zero");
	ok(!memcmp(h + 64, "WPBK", 4), "block magic spells WPBK");
	ok(h[68] == 0 && h[69] == 0 && h[70] == 0 && h[71] == 0, "first block seq 0");
	ok(h[92] == 0 && h[93] == 0 && h[94] == 0 && h[95] == 0, "block reserved bytes zero");
}

int main(void)
{
	struct wpd_writer_opts opts = { .compat_flags = WPD_FEAT_ONCPU | WPD_FEAT_KSYMS };
	struct stat st;
	uint64_t first_end;
	int fd;

	test_varint_bytes();

	fd = new_memfd();
	write_file(fd, &opts, &first_end);
	ok(fstat(fd, &st) == 0 && (uint64_t)st.st_size > first_end, "file has a second block");
	check_header_bytes(fd);
	read_file(fd, first_end);
	close(fd);

	/* Same data at another compression level reads back the same. */
	opts.zstd_level = 19;
	fd = new_memfd();
	write_file(fd, &opts, &first_end);
	read_file(fd, first_end);
	close(fd);
	return done_testing();
}
