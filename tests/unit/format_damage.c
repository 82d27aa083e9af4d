// SPDX-License-Identifier: MIT
/*
 * libwpd under damage: a file cut at every offset, bits flipped at every
 * position, garbage between blocks, bad records inside good blocks and
 * block headers that lie about their sizes. Whatever the damage, the
 * reader must return exactly the records of the intact blocks, count the
 * rest, and never crash or fail with anything but a clean error.
 */
#include "format/wpd.h"
#include "tests/lib/tap.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#define MAX_BLOCKS 64
#define MAX_IDS    4096

/* A file as written, with where its blocks start and which ids they hold. */
struct sample_file {
	uint8_t *data;
	size_t len;
	unsigned int nblocks;
	size_t start[MAX_BLOCKS + 1]; /* start[nblocks] == len */
	unsigned int first_id[MAX_BLOCKS + 1];
};

/* What reading a (damaged) copy returned. */
struct result {
	int open_err;
	char err[256];
	struct wpd_read_stats st;
	unsigned int nids;
	uint32_t ids[MAX_IDS];
	int next_err;    /* a negative wpd_reader__next() return, else 0 */
	int decode_errs; /* STRING records that failed to decode */
	char damage[256];
};

static int new_memfd(void)
{
	int fd = memfd_create("wpd-test", MFD_CLOEXEC);

	if (fd < 0) {
		perror("memfd_create");
		exit(1);
	}
	return fd;
}

static void slurp(int fd, uint8_t **data, size_t *len)
{
	off_t n = lseek(fd, 0, SEEK_END);

	*data = malloc((size_t)n);
	if (!*data || pread(fd, *data, (size_t)n, 0) != n) {
		perror("pread");
		exit(1);
	}
	*len = (size_t)n;
}

/*
 * nblocks blocks of per_block STRING records with ids 1, 2, ... in order.
 * pad adds that many pseudo-random (barely compressible) bytes to each
 * string, to make big files.
 */
static void make_file(struct sample_file *f, unsigned int nblocks,
		      unsigned int per_block, unsigned int pad)
{
	struct wpd_writer *w;
	struct wpd_writer_opts opts = { .block_target = 1u << 20 };
	struct wpd_buf b;
	char s[4096];
	unsigned int blk, i, j, id = 1;
	uint32_t x = 12345;
	int fd = new_memfd();

	if (wpd_writer__new(fd, &opts, &w)) {
		fprintf(stderr, "writer__new failed\n");
		exit(1);
	}
	wpd_buf__init(&b);
	f->nblocks = nblocks;
	for (blk = 0; blk < nblocks; blk++) {
		f->start[blk] = wpd_writer__bytes(w);
		f->first_id[blk] = id;
		for (i = 0; i < per_block; i++, id++) {
			int n = snprintf(s, sizeof(s), "string-%u-", id);

			for (j = 0; j < pad && n < (int)sizeof(s); j++) {
				x = x * 1103515245 + 12345;
				s[n++] = (char)('a' + (x >> 16) % 26);
			}
			wpd_encode_string(&b, id, s, (uint32_t)n);
			if (wpd_writer__add_buf(w, WPD_REC_STRING, &b)) {
				fprintf(stderr, "writer__add failed\n");
				exit(1);
			}
		}
		if (wpd_writer__flush(w)) {
			fprintf(stderr, "writer__flush failed\n");
			exit(1);
		}
	}
	f->first_id[nblocks] = id;
	f->start[nblocks] = wpd_writer__bytes(w);
	wpd_writer__close(w);
	wpd_buf__release(&b);
	slurp(fd, &f->data, &f->len);
	close(fd);
}

static void read_fd(int fd, struct result *res)
{
	struct wpd_reader *r;
	struct wpd_record rec;
	struct wpd_string str;
	const char *dmg;
	int ret;

	memset(res, 0, sizeof(*res));
	lseek(fd, 0, SEEK_SET);
	res->open_err = wpd_reader__open_fd(fd, &r, res->err, sizeof(res->err));
	if (res->open_err) {
		if (r)
			res->open_err = 1; /* *out must be NULL on failure */
		return;
	}
	while ((ret = wpd_reader__next(r, &rec)) == 1) {
		if (rec.type != WPD_REC_STRING || wpd_decode_string(&rec, &str)) {
			res->decode_errs++;
			continue;
		}
		if (res->nids < MAX_IDS)
			res->ids[res->nids++] = str.id;
	}
	res->next_err = ret < 0 ? ret : 0;
	res->st = *wpd_reader__stats(r);
	dmg = wpd_reader__damage(r);
	if (dmg)
		snprintf(res->damage, sizeof(res->damage), "%s", dmg);
	wpd_reader__free(r);
}

static void read_buf(const uint8_t *data, size_t len, struct result *res)
{
	int fd = new_memfd();

	if (len && write(fd, data, len) != (ssize_t)len) {
		perror("write");
		exit(1);
	}
	read_fd(fd, res);
	close(fd);
}

/* Ids [first, end) in order, nothing else; 1 if so. */
static int ids_are(const struct result *res, unsigned int first, unsigned int end,
		   unsigned int skip_first, unsigned int skip_end)
{
	unsigned int n = 0, id;

	for (id = first; id < end; id++) {
		if (id >= skip_first && id < skip_end)
			continue;
		if (n >= res->nids || res->ids[n] != id)
			return 0;
		n++;
	}
	return n == res->nids;
}

static unsigned int complete_blocks(const struct sample_file *f, size_t cut)
{
	unsigned int b = 0;

	while (b < f->nblocks && f->start[b + 1] <= cut)
		b++;
	return b;
}

static void report_first(int *failed, size_t at, const char *what,
			 const struct result *res)
{
	if ((*failed)++)
		return;
	tap_diag("  first failure at offset %zu: %s (open %d '%s', blocks %llu "
		 "damaged %llu skipped %llu truncated %d, %u ids, next %d, damage '%s')",
		 at, what, res->open_err, res->err,
		 (unsigned long long)res->st.blocks,
		 (unsigned long long)res->st.blocks_damaged,
		 (unsigned long long)res->st.bytes_skipped, res->st.truncated,
		 res->nids, res->next_err, res->damage);
}

/* Check a copy cut at `cut`; 0 if all is as expected. */
static int check_cut(const struct sample_file *f, size_t cut, int *failed)
{
	static struct result res;
	unsigned int nb;
	size_t good_end;
	bool at_boundary;

	read_buf(f->data, cut, &res);
	if (cut < WPD_FILE_HEADER_SIZE) {
		if (res.open_err != -EBADMSG || !res.err[0]) {
			report_first(failed, cut, "a cut header must be -EBADMSG", &res);
			return 1;
		}
		return 0;
	}
	nb = complete_blocks(f, cut);
	good_end = nb ? f->start[nb] : WPD_FILE_HEADER_SIZE;
	at_boundary = cut == good_end;
	if (res.open_err || res.next_err || res.decode_errs ||
	    res.st.blocks != nb || res.st.blocks_damaged != 0 ||
	    res.st.records != (uint64_t)(f->first_id[nb] - 1) ||
	    res.st.bytes_skipped != cut - good_end ||
	    res.st.truncated != !at_boundary ||
	    !ids_are(&res, 1, f->first_id[nb], 0, 0) ||
	    (!at_boundary && !strstr(res.damage, "truncated")) ||
	    (at_boundary && res.damage[0])) {
		report_first(failed, cut, "wrong prefix", &res);
		return 1;
	}
	return 0;
}

static void test_truncation(void)
{
	struct sample_file f;
	size_t cut;
	int failed = 0, ncuts = 0;

	make_file(&f, 5, 3, 0);
	ok(f.len > f.start[4] && f.nblocks == 5, "small file: 5 blocks, %zu bytes", f.len);
	for (cut = 0; cut <= f.len; cut++, ncuts++)
		check_cut(&f, cut, &failed);
	is_int(failed, 0, "small file cut at each of its %d offsets reads exactly "
	       "the complete blocks", ncuts);
	free(f.data);

	/* Bigger than the reader's first input window, blocks of ~20 KiB. */
	make_file(&f, 24, 20, 1000);
	ok(f.len > 200000, "big file: 24 blocks, %zu bytes", f.len);
	failed = 0;
	ncuts = 0;
	for (cut = 0; cut <= f.len; cut += 251, ncuts++)
		check_cut(&f, cut, &failed);
	for (unsigned int b = 0; b <= f.nblocks; b++) {
		size_t at = f.start[b];

		for (cut = at > 40 ? at - 40 : 0; cut <= at + 40 && cut <= f.len; cut++, ncuts++)
			check_cut(&f, cut, &failed);
	}
	is_int(failed, 0, "big file cut at %d offsets reads exactly the complete blocks",
	       ncuts);
	free(f.data);
}

static unsigned int block_of(const struct sample_file *f, size_t pos)
{
	unsigned int b = 0;

	while (f->start[b + 1] <= pos)
		b++;
	return b;
}

static void test_bit_flips(void)
{
	struct sample_file f;
	static struct result res;
	uint8_t *copy;
	size_t pos, nflips = 0;
	int bit, failed = 0, hdr_failed = 0, reserved_seen = 0;

	make_file(&f, 5, 3, 0);
	copy = malloc(f.len);
	for (pos = 0; pos < f.len; pos++) {
		for (bit = 0; bit < 8; bit++, nflips++) {
			memcpy(copy, f.data, f.len);
			copy[pos] ^= (uint8_t)(1u << bit);
			read_buf(copy, f.len, &res);
			if (pos < WPD_FILE_HEADER_SIZE) {
				/* Bytes 8..9 are the major version. */
				int want = pos == 8 || pos == 9 ? -ENOTSUP : -EBADMSG;

				if (res.open_err != want || !res.err[0]) {
					if (!hdr_failed++)
						tap_diag("  header flip at %zu bit %d: %d '%s'",
							 pos, bit, res.open_err, res.err);
				}
				continue;
			}
			unsigned int b = block_of(&f, pos);
			size_t in_blk = pos - f.start[b];
			size_t blen = f.start[b + 1] - f.start[b];
			char want_dmg[64];

			if (in_blk >= 28 && in_blk < WPD_BLOCK_HEADER_SIZE) {
				/* Reserved: not covered by the header check. */
				reserved_seen++;
				if (res.open_err || res.st.blocks != f.nblocks ||
				    res.st.blocks_damaged || res.damage[0] ||
				    !ids_are(&res, 1, f.first_id[f.nblocks], 0, 0))
					report_first(&failed, pos, "reserved flip changed the result", &res);
				continue;
			}
			snprintf(want_dmg, sizeof(want_dmg), "block %u at offset %zu: ",
				 b, f.start[b]);
			if (res.open_err || res.next_err || res.decode_errs ||
			    res.st.blocks != f.nblocks - 1 || res.st.blocks_damaged != 1 ||
			    res.st.bytes_skipped != blen || res.st.truncated ||
			    res.st.records_bad || res.st.records_unknown ||
			    !ids_are(&res, 1, f.first_id[f.nblocks], f.first_id[b], f.first_id[b + 1]) ||
			    strncmp(res.damage, want_dmg, strlen(want_dmg)))
				report_first(&failed, pos, "flip not confined to its block", &res);
		}
	}
	is_int(hdr_failed, 0, "a flipped bit in the file header fails open cleanly");
	is_int(reserved_seen, 8 * 4 * 5, "block reserved bytes were flipped too");
	is_int(failed, 0, "each of %zu flips after the header costs exactly its block", nflips);

	/* The damage text names the block, its offset and the reason. */
	memcpy(copy, f.data, f.len);
	copy[f.start[3] + WPD_BLOCK_HEADER_SIZE + 2] ^= 0x10;
	read_buf(copy, f.len, &res);
	char want[128];
	snprintf(want, sizeof(want), "block 3 at offset %zu: payload checksum mismatch",
		 f.start[3]);
	is_str(res.damage, want, "payload damage message");
	memcpy(copy, f.data, f.len);
	copy[f.start[2] + 9] ^= 0x01; /* comp_size */
	read_buf(copy, f.len, &res);
	snprintf(want, sizeof(want), "block 2 at offset %zu: block header check mismatch; "
		 "skipped %zu bytes to the next block at offset %zu",
		 f.start[2], f.start[3] - f.start[2], f.start[3]);
	is_str(res.damage, want, "header damage message says where reading resumed");

	/* Two damaged blocks, the first message is kept. */
	memcpy(copy, f.data, f.len);
	copy[f.start[1] + 40] ^= 0x01;
	copy[f.start[4]] ^= 0x01; /* magic of the last block */
	read_buf(copy, f.len, &res);
	ok(res.st.blocks == 3 && res.st.blocks_damaged == 2 && !res.st.truncated &&
	   res.st.bytes_skipped == (f.start[2] - f.start[1]) + (f.start[5] - f.start[4]) &&
	   ids_are(&res, 1, f.first_id[4], f.first_id[1], f.first_id[2]),
	   "two damaged blocks: both skipped, the rest read");
	ok(!strncmp(res.damage, "block 1 at offset", 17), "the first damage is described");
	memcpy(copy, f.data, f.len);
	copy[f.start[4]] ^= 0x01;
	read_buf(copy, f.len, &res);
	snprintf(want, sizeof(want), "block 4 at offset %zu: bad block magic; "
		 "skipped %zu bytes to the end of the file", f.start[4], f.len - f.start[4]);
	is_str(res.damage, want, "a bad last header scans to the end of the file");
	free(copy);
	free(f.data);
}

static void test_garbage_between_blocks(void)
{
	struct sample_file f;
	static struct result res;
	uint8_t *copy;
	size_t glen = 100000, at;
	uint32_t x = 99;

	make_file(&f, 4, 3, 0);
	copy = malloc(f.len + glen);
	at = f.start[2];
	memcpy(copy, f.data, at);
	for (size_t i = 0; i < glen; i++) {
		x = x * 1664525 + 1013904223;
		copy[at + i] = (uint8_t)(x >> 24);
	}
	/* A fake block magic inside the garbage must not fool the reader. */
	memcpy(copy + at + 500, "WPBK", 4);
	memcpy(copy + at + glen, f.data + at, f.len - at);
	read_buf(copy, f.len + glen, &res);
	ok(res.open_err == 0 && res.st.blocks == 4 && res.st.blocks_damaged == 1 &&
	   res.st.bytes_skipped == glen && !res.st.truncated &&
	   ids_are(&res, 1, f.first_id[4], 0, 0),
	   "random garbage between blocks: skipped, every block read");

	memset(copy + at, 0, glen); /* a hole left by a crash */
	read_buf(copy, f.len + glen, &res);
	ok(res.open_err == 0 && res.st.blocks == 4 && res.st.blocks_damaged == 1 &&
	   res.st.bytes_skipped == glen && ids_are(&res, 1, f.first_id[4], 0, 0),
	   "zeros between blocks: skipped, every block read");

	/* Garbage after the last block, shorter than a block header. */
	memcpy(copy, f.data, f.len);
	memset(copy + f.len, 0xee, 20);
	read_buf(copy, f.len + 20, &res);
	ok(res.st.blocks == 4 && res.st.truncated && res.st.bytes_skipped == 20 &&
	   res.st.blocks_damaged == 0, "20 stray bytes at the end read as a cut header");
	free(copy);
	free(f.data);
}

/* ---- hand-made blocks ---- */

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A block as a writer would make it, around raw; sizes may be forced. */
static size_t make_block(uint8_t *out, size_t cap, uint32_t seq, const void *raw,
			 size_t raw_len, int64_t force_comp, int64_t force_raw)
{
	size_t c = ZSTD_compress(out + WPD_BLOCK_HEADER_SIZE, cap - WPD_BLOCK_HEADER_SIZE,
				 raw, raw_len, 3);

	if (ZSTD_isError(c)) {
		fprintf(stderr, "zstd: %s\n", ZSTD_getErrorName(c));
		exit(1);
	}
	put32(out, WPD_BLOCK_MAGIC);
	put32(out + 4, seq);
	put32(out + 8, force_comp >= 0 ? (uint32_t)force_comp : (uint32_t)c);
	put32(out + 12, force_raw >= 0 ? (uint32_t)force_raw : (uint32_t)raw_len);
	put64(out + 16, XXH3_64bits(out + WPD_BLOCK_HEADER_SIZE, c));
	put32(out + 24, (uint32_t)XXH3_64bits(out, 24));
	put32(out + 28, 0);
	return WPD_BLOCK_HEADER_SIZE + c;
}

static size_t file_header(uint8_t *out)
{
	int fd = new_memfd();
	struct wpd_writer *w;

	wpd_writer__new(fd, NULL, &w);
	wpd_writer__close(w);
	if (pread(fd, out, WPD_FILE_HEADER_SIZE, 0) != WPD_FILE_HEADER_SIZE)
		exit(1);
	close(fd);
	return WPD_FILE_HEADER_SIZE;
}

static size_t put_record(uint8_t *p, uint32_t type, uint32_t size, const void *payload)
{
	put32(p, type);
	put32(p + 4, size);
	memcpy(p + 8, payload, size);
	return 8 + size;
}

static void test_bad_records(void)
{
	static uint8_t file[1 << 16], raw[4096];
	static struct result res;
	struct wpd_buf b;
	size_t n = file_header(file), rl = 0;

	wpd_buf__init(&b);
	/* block 0: a good record, then one whose size overruns the block */
	wpd_encode_string(&b, 1, "one", 3);
	rl += put_record(raw + rl, WPD_REC_STRING, (uint32_t)b.len, b.data);
	put32(raw + rl, WPD_REC_STRING);
	put32(raw + rl + 4, 1000);
	rl += 8 + 10;
	n += make_block(file + n, sizeof(file) - n, 0, raw, rl, -1, -1);
	/* block 1: a good record and 5 stray bytes (less than a record header) */
	rl = 0;
	wpd_encode_string(&b, 2, "two", 3);
	rl += put_record(raw + rl, WPD_REC_STRING, (uint32_t)b.len, b.data);
	rl += 5;
	n += make_block(file + n, sizeof(file) - n, 1, raw, rl, -1, -1);
	/* block 2: raw_size disagrees with the frame's content size */
	rl = 0;
	wpd_encode_string(&b, 3, "three", 5);
	rl += put_record(raw + rl, WPD_REC_STRING, (uint32_t)b.len, b.data);
	n += make_block(file + n, sizeof(file) - n, 2, raw, rl, -1, (int64_t)rl + 1);
	/* block 3: empty raw payload is harmless */
	n += make_block(file + n, sizeof(file) - n, 3, raw, 0, -1, -1);
	/* block 4: fine */
	rl = 0;
	wpd_encode_string(&b, 4, "four", 4);
	rl += put_record(raw + rl, WPD_REC_STRING, (uint32_t)b.len, b.data);
	n += make_block(file + n, sizeof(file) - n, 4, raw, rl, -1, -1);

	read_buf(file, n, &res);
	ok(res.open_err == 0 && res.nids == 3 && res.ids[0] == 1 && res.ids[1] == 2 &&
	   res.ids[2] == 4, "good records around bad ones are read");
	is_int(res.st.records_bad, 2, "two overrunning records counted");
	is_int(res.st.blocks, 4, "four good blocks");
	is_int(res.st.blocks_damaged, 1, "the size-mismatch block is damaged");
	ok(strstr(res.damage, "block 0 at offset 64: record at raw offset 19 overruns") != NULL,
	   "overrun described: '%s'", res.damage);
	ok(!res.st.truncated && res.next_err == 0, "not truncated, no error");
	wpd_buf__release(&b);
}

static void test_unknown_types(void)
{
	struct wpd_writer *w;
	struct wpd_reader *r;
	struct wpd_record rec;
	struct wpd_buf b;
	char err[128];
	static const uint8_t junk[37] = { 1, 2, 3 };
	int fd = new_memfd(), order_ok = 1, n = 0;

	wpd_buf__init(&b);
	wpd_writer__new(fd, NULL, &w);
	for (uint32_t i = 1; i <= 50; i++) {
		wpd_encode_string(&b, i, "x", 1);
		wpd_writer__add_buf(w, WPD_REC_STRING, &b);
		wpd_writer__add(w, 999, junk, sizeof(junk));
		if (i % 10 == 0) {
			wpd_writer__add(w, 0, junk, 0);
			wpd_writer__add(w, WPD_REC_TYPE_MAX + 1, NULL, 0);
			wpd_writer__flush(w);
		}
	}
	is_int(wpd_writer__close(w), 0, "wrote records of unknown types");
	lseek(fd, 0, SEEK_SET);
	wpd_reader__open_fd(fd, &r, err, sizeof(err));
	while (wpd_reader__next(r, &rec) == 1) {
		struct wpd_string s;

		n++;
		if (rec.type != WPD_REC_STRING || wpd_decode_string(&rec, &s) ||
		    s.id != (uint32_t)n)
			order_ok = 0;
	}
	is_int(n, 50, "only the known records are returned");
	ok(order_ok, "in order");
	is_int(wpd_reader__stats(r)->records_unknown, 50 + 5 * 2, "unknown records counted");
	is_int(wpd_reader__stats(r)->records, 50, "known records counted");
	is_int(wpd_reader__stats(r)->blocks, 5, "five blocks");
	ok(wpd_reader__damage(r) == NULL, "unknown types are not damage");
	wpd_reader__free(r);
	wpd_buf__release(&b);
	close(fd);
}

/*
 * Block headers that pass their check but claim sizes beyond the limits,
 * or within them but beyond the file. Run in a child with a small address
 * space limit so that trusting a size would fail the allocation (where
 * the sanitizers allow setting one).
 */
static void huge_sizes_child(int *results)
{
	static uint8_t file[8192];
	static struct result res;
	uint8_t raw[64];
	size_t n, hb;
	int i = 0;

	memset(raw, 0, sizeof(raw));
	hb = file_header(file);

	/* 1: comp_size 4 GiB - 1 with a valid header check, then a good block */
	n = hb + make_block(file + hb, sizeof(file) - hb, 0, raw, 16, UINT32_MAX, -1);
	put32(file + hb + 24, (uint32_t)XXH3_64bits(file + hb, 24));
	n += make_block(file + n, sizeof(file) - n, 1, raw, 16, -1, -1);
	read_buf(file, n, &res);
	results[i++] = res.open_err == 0 && res.next_err == 0 && res.st.blocks == 1 &&
		       res.st.blocks_damaged == 1 && strstr(res.damage, "over the limit");
	/* 2: raw_size 4 GiB - 1 */
	n = hb + make_block(file + hb, sizeof(file) - hb, 0, raw, 16, -1, UINT32_MAX);
	n += make_block(file + n, sizeof(file) - n, 1, raw, 16, -1, -1);
	read_buf(file, n, &res);
	results[i++] = res.open_err == 0 && res.next_err == 0 && res.st.blocks == 1 &&
		       res.st.blocks_damaged == 1;
	/* 3: comp_size at the limit, file much shorter: truncated, nothing big */
	n = hb + make_block(file + hb, sizeof(file) - hb, 0, raw, 16,
			    WPD_BLOCK_MAX_COMP, -1);
	read_buf(file, n, &res);
	results[i++] = res.open_err == 0 && res.next_err == 0 && res.st.blocks == 0 &&
		       res.st.truncated;
	/* 4: raw_size at the limit but the frame holds 16 bytes */
	n = hb + make_block(file + hb, sizeof(file) - hb, 0, raw, 16, -1, WPD_BLOCK_MAX_RAW);
	read_buf(file, n, &res);
	results[i++] = res.open_err == 0 && res.next_err == 0 && res.st.blocks == 0 &&
		       res.st.blocks_damaged == 1;
}

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif

static void test_huge_sizes(void)
{
	int *results = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid;
	int status = -1;

	memset(results, 0, 4096);
	pid = fork();
	if (pid == 0) {
#ifndef HAVE_ASAN
		/* Room for the reader's legitimate maxima, not for 4 GiB. */
		struct rlimit rl = { 256u << 20, 256u << 20 };

		setrlimit(RLIMIT_AS, &rl);
#endif
		huge_sizes_child(results);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "reader survives lying sizes");
	ok(results[0], "comp_size 4 GiB: damaged, scanned past, next block read");
	ok(results[1], "raw_size 4 GiB: damaged, next block read");
	ok(results[2], "comp_size at the limit beyond the end of file: truncated");
	ok(results[3], "raw_size at the limit but a small frame: damaged");
	munmap(results, 4096);
}

int main(void)
{
	test_truncation();
	test_bit_flips();
	test_garbage_between_blocks();
	test_bad_records();
	test_unknown_types();
	test_huge_sizes();
	return done_testing();
}
