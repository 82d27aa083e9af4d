// SPDX-License-Identifier: MIT
/*
 * libwpd symbol records: JITSYM (15), SYMBOL (16), SRCLINE (17). Round
 * trips (builder -> iterator, and through a whole file), byte-exact
 * layouts as docs/wpd-format.md shows them, what the builder refuses, and
 * hostile payloads: every cut, counts beyond the bytes, deltas and sizes
 * that overflow, frame counts over the limit, sticky errors.
 */
#include "format/wpd.h"
#include "tests/lib/tap.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static struct wpd_record rec_of(uint32_t type, const void *p, size_t n)
{
	struct wpd_record r = { .type = type, .size = (uint32_t)n, .data = p };

	return r;
}

/* Copy into an exactly-sized heap block so ASan sees any over-read. */
static struct wpd_record rec_dup(uint32_t type, const uint8_t *p, size_t n, uint8_t **mem)
{
	*mem = malloc(n ? n : 1);
	if (n)
		memcpy(*mem, p, n);
	return rec_of(type, *mem, n);
}

static bool hex_is(const struct wpd_buf *b, const char *hex)
{
	char got[1024];
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

/* ---- the spec's examples, byte for byte ---- */

static void test_layouts(void)
{
	struct wpd_symbols_builder sb;
	struct wpd_binary bin = { .path_str = 3, .build_id_len = 4,
				  .build_id = { 0xde, 0xad, 0xbe, 0xef } };
	struct wpd_sym s1 = { .start = 0x7f0000001000ull, .size = 0x40, .name_str = 5 };
	struct wpd_sym s2 = { .start = 0x7f0000001040ull, .size = 0x100, .name_str = 6 };
	struct wpd_srcline l = { .addr = 0x1139, .nframes = 2,
				 .frames = { { 7, 8, 12 }, { 9, 8, 300 } } };

	wpd_symbols_builder__init(&sb);
	wpd_symbols_builder__begin_jit(&sb, 1000000000ull, 42);
	ok(wpd_symbols_builder__add_sym(&sb, &s1) == 0 &&
	   wpd_symbols_builder__add_sym(&sb, &s2) == 0, "JITSYM: two entries added");
	is_int(wpd_symbols_builder__finish(&sb), 2, "JITSYM: count 2");
	is_int(sb.type, WPD_REC_JITSYM, "JITSYM: the builder's type");
	ok(hex_is(&sb.buf, "00ca9a3b00000000" "2a000000" "02000000"
			   "80a0808080e01f" "40" "05" "40" "8002" "06"),
	   "JITSYM: the spec's example bytes");

	wpd_symbols_builder__begin_binary(&sb, WPD_REC_SYMBOL, &bin);
	s1 = (struct wpd_sym){ .start = 0x1120, .size = 0x35, .name_str = 5 };
	ok(wpd_symbols_builder__add_sym(&sb, &s1) == 0, "SYMBOL: an entry added");
	is_int(wpd_symbols_builder__finish(&sb), 1, "SYMBOL: count 1");
	ok(hex_is(&sb.buf, "03000000" "04" "deadbeef" "00000000000000000000000000000000"
			   "000000" "01000000" "a022" "35" "05"),
	   "SYMBOL: the spec's example bytes");

	wpd_symbols_builder__begin_binary(&sb, WPD_REC_SRCLINE, &bin);
	ok(wpd_symbols_builder__add_srcline(&sb, &l) == 0, "SRCLINE: an entry added");
	is_int(wpd_symbols_builder__finish(&sb), 1, "SRCLINE: count 1");
	is_int(sb.type, WPD_REC_SRCLINE, "SRCLINE: the builder's type");
	ok(hex_is(&sb.buf, "03000000" "04" "deadbeef" "00000000000000000000000000000000"
			   "000000" "01000000" "b922" "02" "07080c" "0908ac02"),
	   "SRCLINE: the spec's example bytes");
	ok(!sb.buf.oom, "no allocation failed");
	wpd_symbols_builder__release(&sb);
}

/* ---- round trips ---- */

static void test_roundtrip(void)
{
	struct wpd_symbols_builder sb;
	struct wpd_binary bin = { .path_str = 77, .build_id_len = 20 };
	struct wpd_symbol_iter si;
	struct wpd_jitsym_iter ji;
	struct wpd_srcline_iter li;
	struct wpd_record rec;
	struct wpd_sym s;
	static struct wpd_srcline l, got;
	uint32_t i, bad = 0;
	int ret;

	for (i = 0; i < 20; i++)
		bin.build_id[i] = (uint8_t)(i * 13 + 1);
	wpd_symbols_builder__init(&sb);

	wpd_symbols_builder__begin_binary(&sb, WPD_REC_SYMBOL, &bin);
	for (i = 0; i < 1000; i++) {
		s = (struct wpd_sym){ .start = (uint64_t)i * i * 1000, .size = i + 1,
				      .name_str = UINT32_MAX - i };
		bad += wpd_symbols_builder__add_sym(&sb, &s) != 0;
	}
	/* the extremes: start 2^64-1 with size 0, then equal starts */
	s = (struct wpd_sym){ .start = UINT64_MAX, .size = 0, .name_str = 1 };
	bad += wpd_symbols_builder__add_sym(&sb, &s) != 0;
	bad += wpd_symbols_builder__add_sym(&sb, &s) != 0;
	is_int(bad, 0, "SYMBOL: 1002 entries added");
	wpd_symbols_builder__finish(&sb);
	rec = rec_of(WPD_REC_SYMBOL, sb.buf.data, sb.buf.len);
	ok(wpd_symbol_iter__init(&si, &rec) == 0, "SYMBOL: header decodes");
	ok(si.bin.path_str == 77 && si.bin.build_id_len == 20 &&
	   memcmp(si.bin.build_id, bin.build_id, 20) == 0, "SYMBOL: binary identity back");
	is_int(si.remaining, 1002, "SYMBOL: count back");
	for (i = 0, bad = 0; i < 1000; i++) {
		if (wpd_symbol_iter__next(&si, &s) != 1 || s.start != (uint64_t)i * i * 1000 ||
		    s.size != i + 1 || s.name_str != UINT32_MAX - i)
			bad++;
	}
	is_int(bad, 0, "SYMBOL: 1000 entries back in order");
	ok(wpd_symbol_iter__next(&si, &s) == 1 && s.start == UINT64_MAX && s.size == 0 &&
	   wpd_symbol_iter__next(&si, &s) == 1 && s.start == UINT64_MAX,
	   "SYMBOL: start 2^64-1 and a repeated start back");
	is_int(wpd_symbol_iter__next(&si, &s), 0, "SYMBOL: then the end");

	wpd_symbols_builder__begin_jit(&sb, 123, 4242);
	s = (struct wpd_sym){ .start = 0x1000, .size = UINT64_MAX - 0x1000, .name_str = 2 };
	ok(wpd_symbols_builder__add_sym(&sb, &s) == 0, "JITSYM: start + size = 2^64-1 is fine");
	wpd_symbols_builder__finish(&sb);
	rec = rec_of(WPD_REC_JITSYM, sb.buf.data, sb.buf.len);
	ok(wpd_jitsym_iter__init(&ji, &rec) == 0 && ji.pid == 4242 && ji.time_ns == 123 &&
	   ji.remaining == 1, "JITSYM: header back");
	ok(wpd_jitsym_iter__next(&ji, &s) == 1 && s.start == 0x1000 &&
	   s.size == UINT64_MAX - 0x1000 && s.name_str == 2, "JITSYM: entry back");
	is_int(wpd_jitsym_iter__next(&ji, &s), 0, "JITSYM: then the end");

	wpd_symbols_builder__begin_binary(&sb, WPD_REC_SRCLINE, &bin);
	for (i = 0, bad = 0; i < 200; i++) {
		uint32_t k;

		l.addr = (uint64_t)i * 17;
		l.nframes = i % WPD_SRCLINE_MAX_FRAMES + 1;
		for (k = 0; k < l.nframes; k++)
			l.frames[k] = (struct wpd_srcframe){ i + k, k, i * 1000 + k };
		bad += wpd_symbols_builder__add_srcline(&sb, &l) != 0;
	}
	is_int(bad, 0, "SRCLINE: 200 entries of 1..64 frames added");
	wpd_symbols_builder__finish(&sb);
	rec = rec_of(WPD_REC_SRCLINE, sb.buf.data, sb.buf.len);
	ok(wpd_srcline_iter__init(&li, &rec) == 0 && li.remaining == 200 &&
	   li.bin.path_str == 77, "SRCLINE: header back");
	for (i = 0, bad = 0; i < 200; i++) {
		uint32_t k;

		if (wpd_srcline_iter__next(&li, &got) != 1 || got.addr != (uint64_t)i * 17 ||
		    got.nframes != i % WPD_SRCLINE_MAX_FRAMES + 1) {
			bad++;
			continue;
		}
		for (k = 0; k < got.nframes; k++)
			bad += got.frames[k].name_str != i + k || got.frames[k].file_str != k ||
			       got.frames[k].line != i * 1000 + k;
	}
	is_int(bad, 0, "SRCLINE: every entry and frame back");
	ret = wpd_srcline_iter__next(&li, &got);
	is_int(ret, 0, "SRCLINE: then the end");
	wpd_symbols_builder__release(&sb);
}

/* ---- what the builder refuses ---- */

static void test_builder_refuses(void)
{
	struct wpd_symbols_builder sb;
	struct wpd_binary bin = { .path_str = 1, .build_id_len = 200 };
	struct wpd_symbol_iter si;
	struct wpd_record rec;
	struct wpd_sym s = { .start = 100, .size = 1, .name_str = 1 };
	static struct wpd_srcline l;

	wpd_symbols_builder__init(&sb);
	wpd_symbols_builder__begin_binary(&sb, WPD_REC_SYMBOL, &bin);
	ok(wpd_symbols_builder__add_sym(&sb, &s) == 0, "an entry at 100");
	s.start = 99;
	is_int(wpd_symbols_builder__add_sym(&sb, &s), -EINVAL, "a decreasing start is refused");
	s.start = UINT64_MAX - 5;
	s.size = 6;
	is_int(wpd_symbols_builder__add_sym(&sb, &s), -EINVAL, "start + size over 2^64 is refused");
	is_int(wpd_symbols_builder__finish(&sb), 1, "refused entries are not counted");
	rec = rec_of(WPD_REC_SYMBOL, sb.buf.data, sb.buf.len);
	ok(wpd_symbol_iter__init(&si, &rec) == 0 && si.bin.build_id_len == WPD_BUILD_ID_MAX,
	   "a long build-id is clamped to 20 bytes");

	wpd_symbols_builder__begin_binary(&sb, WPD_REC_SRCLINE, &bin);
	l.addr = 5;
	l.nframes = 0;
	is_int(wpd_symbols_builder__add_srcline(&sb, &l), -EINVAL, "SRCLINE: 0 frames refused");
	l.nframes = WPD_SRCLINE_MAX_FRAMES + 1;
	is_int(wpd_symbols_builder__add_srcline(&sb, &l), -EINVAL,
	       "SRCLINE: more than 64 frames refused");
	l.nframes = 1;
	ok(wpd_symbols_builder__add_srcline(&sb, &l) == 0, "SRCLINE: one frame at 5");
	l.addr = 4;
	is_int(wpd_symbols_builder__add_srcline(&sb, &l), -EINVAL,
	       "SRCLINE: a decreasing address is refused");
	wpd_symbols_builder__release(&sb);
}

/* ---- hostile payloads ---- */

static void put_varint(uint8_t *p, size_t *n, uint64_t v)
{
	do {
		p[(*n)++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
}

static size_t bin_head(uint8_t *p, uint8_t bid_len, uint32_t count)
{
	memset(p, 0, 32);
	p[0] = 1;
	p[4] = bid_len;
	memcpy(p + 28, &count, 4); /* little-endian host (x86-64, arm64) */
	return 32;
}

static void test_hostile(void)
{
	uint8_t buf[256], *mem;
	struct wpd_symbol_iter si;
	struct wpd_jitsym_iter ji;
	struct wpd_srcline_iter li;
	struct wpd_record rec;
	struct wpd_sym s;
	static struct wpd_srcline l;
	size_t n, cut, bad;

	/* every cut of a good SYMBOL record fails cleanly, never over-reads */
	n = bin_head(buf, 3, 2);
	put_varint(buf, &n, 0x1000);
	put_varint(buf, &n, 0x20);
	put_varint(buf, &n, 9);
	put_varint(buf, &n, 0x10);
	put_varint(buf, &n, 0x20);
	put_varint(buf, &n, 10);
	for (cut = 0, bad = 0; cut < n; cut++) {
		int r1, r2, r3 = 0;

		rec = rec_dup(WPD_REC_SYMBOL, buf, cut, &mem);
		r1 = wpd_symbol_iter__init(&si, &rec);
		if (r1 == 0) {
			while ((r2 = wpd_symbol_iter__next(&si, &s)) == 1)
				r3++;
			bad += r2 != -EBADMSG || r3 >= 2;
		} else {
			bad += cut >= 32 || r1 != -EBADMSG;
		}
		free(mem);
	}
	is_int(bad, 0, "SYMBOL: every cut is -EBADMSG at the header or an entry");
	rec = rec_dup(WPD_REC_SYMBOL, buf, n, &mem);
	ok(wpd_symbol_iter__init(&si, &rec) == 0 && wpd_symbol_iter__next(&si, &s) == 1 &&
	   wpd_symbol_iter__next(&si, &s) == 1 && s.start == 0x1010 && s.name_str == 10 &&
	   wpd_symbol_iter__next(&si, &s) == 0, "SYMBOL: the whole record decodes");
	free(mem);

	/* build_id_len over 20 */
	n = bin_head(buf, 21, 0);
	rec = rec_dup(WPD_REC_SYMBOL, buf, n, &mem);
	is_int(wpd_symbol_iter__init(&si, &rec), -EBADMSG, "SYMBOL: build_id_len 21 is malformed");
	is_int(wpd_srcline_iter__init(&li, &rec), -EBADMSG, "SRCLINE: build_id_len 21 is malformed");
	free(mem);

	/* a count far beyond the bytes: entries end with -EBADMSG, sticky */
	n = bin_head(buf, 0, UINT32_MAX);
	put_varint(buf, &n, 1);
	put_varint(buf, &n, 1);
	put_varint(buf, &n, 1);
	rec = rec_dup(WPD_REC_SYMBOL, buf, n, &mem);
	ok(wpd_symbol_iter__init(&si, &rec) == 0 && wpd_symbol_iter__next(&si, &s) == 1,
	   "SYMBOL: count 2^32-1 with one entry: the entry decodes");
	ok(wpd_symbol_iter__next(&si, &s) == -EBADMSG && wpd_symbol_iter__next(&si, &s) == -EBADMSG,
	   "SYMBOL: then -EBADMSG, and again (sticky)");
	free(mem);

	/* a start delta that overflows, a size that overflows, a name over u32 */
	n = bin_head(buf, 0, 2);
	put_varint(buf, &n, UINT64_MAX);
	put_varint(buf, &n, 0);
	put_varint(buf, &n, 1);
	put_varint(buf, &n, 1);
	put_varint(buf, &n, 0);
	put_varint(buf, &n, 1);
	rec = rec_dup(WPD_REC_SYMBOL, buf, n, &mem);
	ok(wpd_symbol_iter__init(&si, &rec) == 0 && wpd_symbol_iter__next(&si, &s) == 1 &&
	   s.start == UINT64_MAX && wpd_symbol_iter__next(&si, &s) == -EBADMSG,
	   "SYMBOL: a start past 2^64-1 is malformed");
	free(mem);
	n = bin_head(buf, 0, 1);
	put_varint(buf, &n, 10);
	put_varint(buf, &n, UINT64_MAX - 9);
	put_varint(buf, &n, 1);
	rec = rec_dup(WPD_REC_SYMBOL, buf, n, &mem);
	ok(wpd_symbol_iter__init(&si, &rec) == 0 && wpd_symbol_iter__next(&si, &s) == -EBADMSG,
	   "SYMBOL: start + size past 2^64 is malformed");
	free(mem);
	n = bin_head(buf, 0, 1);
	put_varint(buf, &n, 10);
	put_varint(buf, &n, 1);
	put_varint(buf, &n, 1ull << 32);
	rec = rec_dup(WPD_REC_SYMBOL, buf, n, &mem);
	ok(wpd_symbol_iter__init(&si, &rec) == 0 && wpd_symbol_iter__next(&si, &s) == -EBADMSG,
	   "SYMBOL: a name id over 2^32-1 is malformed");
	free(mem);
	/* an 11-byte varint */
	n = bin_head(buf, 0, 1);
	memset(buf + n, 0x80, 10);
	n += 10;
	buf[n++] = 0;
	rec = rec_dup(WPD_REC_SYMBOL, buf, n, &mem);
	ok(wpd_symbol_iter__init(&si, &rec) == 0 && wpd_symbol_iter__next(&si, &s) == -EBADMSG,
	   "SYMBOL: an 11-byte varint is malformed");
	free(mem);

	/* JITSYM: short header, every cut */
	n = 0;
	memset(buf, 0, 16);
	buf[8] = 7;
	buf[12] = 1;
	n = 16;
	put_varint(buf, &n, 0x4000);
	put_varint(buf, &n, 0x10);
	put_varint(buf, &n, 3);
	for (cut = 0, bad = 0; cut < n; cut++) {
		rec = rec_dup(WPD_REC_JITSYM, buf, cut, &mem);
		if (wpd_jitsym_iter__init(&ji, &rec) == 0)
			bad += cut < 16 || wpd_jitsym_iter__next(&ji, &s) != -EBADMSG;
		else
			bad += cut >= 16;
		free(mem);
	}
	is_int(bad, 0, "JITSYM: every cut fails cleanly");
	rec = rec_dup(WPD_REC_JITSYM, buf, n, &mem);
	ok(wpd_jitsym_iter__init(&ji, &rec) == 0 && ji.pid == 7 &&
	   wpd_jitsym_iter__next(&ji, &s) == 1 && s.start == 0x4000 && s.size == 0x10,
	   "JITSYM: the whole record decodes");
	free(mem);

	/* SRCLINE: nframes 0, 65, a frame field over u32, an address overflow */
	n = bin_head(buf, 0, 1);
	put_varint(buf, &n, 1);
	put_varint(buf, &n, 0);
	rec = rec_dup(WPD_REC_SRCLINE, buf, n, &mem);
	ok(wpd_srcline_iter__init(&li, &rec) == 0 &&
	   wpd_srcline_iter__next(&li, &l) == -EBADMSG, "SRCLINE: nframes 0 is malformed");
	free(mem);
	n = bin_head(buf, 0, 1);
	put_varint(buf, &n, 1);
	put_varint(buf, &n, WPD_SRCLINE_MAX_FRAMES + 1);
	memset(buf + n, 0, 3 * (WPD_SRCLINE_MAX_FRAMES + 1));
	n += 3 * (WPD_SRCLINE_MAX_FRAMES + 1);
	rec = rec_dup(WPD_REC_SRCLINE, buf, n, &mem);
	ok(wpd_srcline_iter__init(&li, &rec) == 0 &&
	   wpd_srcline_iter__next(&li, &l) == -EBADMSG, "SRCLINE: 65 frames is malformed");
	free(mem);
	n = bin_head(buf, 0, 1);
	put_varint(buf, &n, 1);
	put_varint(buf, &n, 1);
	put_varint(buf, &n, 1);
	put_varint(buf, &n, 1);
	put_varint(buf, &n, 1ull << 32);
	rec = rec_dup(WPD_REC_SRCLINE, buf, n, &mem);
	ok(wpd_srcline_iter__init(&li, &rec) == 0 &&
	   wpd_srcline_iter__next(&li, &l) == -EBADMSG, "SRCLINE: a line over 2^32-1 is malformed");
	free(mem);
	n = bin_head(buf, 0, 2);
	put_varint(buf, &n, UINT64_MAX);
	put_varint(buf, &n, 1);
	buf[n++] = 0;
	buf[n++] = 0;
	buf[n++] = 0;
	put_varint(buf, &n, 1);
	put_varint(buf, &n, 1);
	buf[n++] = 0;
	buf[n++] = 0;
	buf[n++] = 0;
	rec = rec_dup(WPD_REC_SRCLINE, buf, n, &mem);
	ok(wpd_srcline_iter__init(&li, &rec) == 0 && wpd_srcline_iter__next(&li, &l) == 1 &&
	   l.addr == UINT64_MAX && wpd_srcline_iter__next(&li, &l) == -EBADMSG &&
	   wpd_srcline_iter__next(&li, &l) == -EBADMSG,
	   "SRCLINE: an address past 2^64-1 is malformed (sticky)");
	free(mem);
}

/* ---- through a file: the reader returns the new types ---- */

static void test_file(void)
{
	int fd = memfd_create("wpd-symbols", MFD_CLOEXEC);
	struct wpd_symbols_builder sb;
	struct wpd_binary bin = { .path_str = 1 };
	struct wpd_writer *w = NULL;
	struct wpd_reader *r = NULL;
	struct wpd_record rec;
	struct wpd_sym s = { .start = 0x10, .size = 0x10, .name_str = 1 };
	unsigned int seen[WPD_REC_TYPE_MAX + 1] = { 0 };
	struct wpd_writer_opts wo = { .compat_flags = WPD_FEAT_SYMBOLS };

	ok(fd >= 0 && wpd_writer__new(fd, &wo, &w) == 0, "writer on a memfd");
	wpd_symbols_builder__init(&sb);
	wpd_symbols_builder__begin_jit(&sb, 1, 2);
	wpd_symbols_builder__add_sym(&sb, &s);
	wpd_symbols_builder__finish(&sb);
	ok(wpd_writer__add_buf(w, sb.type, &sb.buf) == 0, "JITSYM written");
	wpd_symbols_builder__begin_binary(&sb, WPD_REC_SYMBOL, &bin);
	wpd_symbols_builder__add_sym(&sb, &s);
	wpd_symbols_builder__finish(&sb);
	ok(wpd_writer__add_buf(w, sb.type, &sb.buf) == 0, "SYMBOL written");
	wpd_symbols_builder__begin_binary(&sb, WPD_REC_SRCLINE, &bin);
	wpd_symbols_builder__finish(&sb);
	ok(wpd_writer__add_buf(w, sb.type, &sb.buf) == 0, "an empty SRCLINE written");
	ok(wpd_writer__close(w) == 0, "closed");
	lseek(fd, 0, SEEK_SET);
	ok(wpd_reader__open_fd(fd, &r, NULL, 0) == 0, "read back");
	ok(wpd_reader__info(r)->compat_flags & WPD_FEAT_SYMBOLS, "WPD_FEAT_SYMBOLS kept");
	while (wpd_reader__next(r, &rec) == 1)
		if (rec.type <= WPD_REC_TYPE_MAX)
			seen[rec.type]++;
	ok(seen[WPD_REC_JITSYM] == 1 && seen[WPD_REC_SYMBOL] == 1 && seen[WPD_REC_SRCLINE] == 1,
	   "the reader returns JITSYM, SYMBOL and SRCLINE");
	is_int(wpd_reader__stats(r)->records_unknown, 0, "none of them counted unknown");
	wpd_reader__free(r);
	wpd_symbols_builder__release(&sb);
	close(fd);
}

int main(void)
{
	test_layouts();
	test_roundtrip();
	test_builder_refuses();
	test_hostile();
	test_file();
	return done_testing();
}
