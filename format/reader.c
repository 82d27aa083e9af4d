// SPDX-License-Identifier: MIT
/*
 * The .wpd reader. It streams: one input window (at most one block plus
 * read-ahead) and one decompressed block are held at a time, both reused.
 * Lengths from the file size nothing until they have passed the header
 * check and the WPD_BLOCK_MAX_* limits, and the input window only grows
 * as bytes actually arrive, so a header lying about its size cannot make
 * the reader allocate more than twice what the file holds.
 *
 * Damage is not an error: a block with a bad header starts a byte-by-byte
 * scan for the next valid header, a block with a bad payload is skipped,
 * and both are counted. Only I/O errors are returned.
 */
#include "wpd.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

/* A future minor may grow the file header; this much is still sane. */
#define WPD_FILE_HEADER_MAX 4096
#define IN_MIN_CAP          (64u << 10)
#define IN_MAX_CAP          (WPD_BLOCK_HEADER_SIZE + WPD_BLOCK_MAX_COMP)

struct wpd_reader {
	int fd;
	bool own_fd;
	bool eof;  /* read() returned 0 */
	bool done; /* no more blocks */
	struct wpd_file_info info;
	struct wpd_read_stats stats;
	ZSTD_DCtx *dctx;

	/* Input window: in[pos, len) is unconsumed; in[0] is at in_off. */
	uint8_t *in;
	size_t in_cap, in_pos, in_len;
	uint64_t in_off;

	/* The current block, decompressed; records are at raw[raw_pos..]. */
	uint8_t *raw;
	size_t raw_cap, raw_pos, raw_len;
	uint32_t block_seq;
	uint64_t block_off;
	uint64_t block_nr; /* blocks met so far, good or damaged */

	/* Resynchronisation after a bad block header. */
	bool scanning;
	uint64_t scan_off, scan_nr;
	const char *scan_why;

	char damage[256];
};

static void set_err(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* Only the first damage is described; the stats count all of it. */
static void note_damage(struct wpd_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note_damage(struct wpd_reader *r, const char *fmt, ...)
{
	va_list ap;

	if (r->damage[0])
		return;
	va_start(ap, fmt);
	vsnprintf(r->damage, sizeof(r->damage), fmt, ap);
	va_end(ap);
}

static uint64_t load_le(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = (v << 8) | p[n];
	return v;
}

static size_t in_avail(const struct wpd_reader *r)
{
	return r->in_len - r->in_pos;
}

static uint64_t in_offset(const struct wpd_reader *r)
{
	return r->in_off + r->in_pos;
}

static void in_consume(struct wpd_reader *r, size_t n)
{
	r->in_pos += n;
}

/*
 * Make at least need (<= IN_MAX_CAP) bytes available at in + in_pos.
 * 1: available; 0: the file ends before; <0: read error or -ENOMEM.
 * May move the window: pointers into it are stale afterwards.
 */
static int in_fill(struct wpd_reader *r, size_t need)
{
	if (in_avail(r) >= need)
		return 1;
	if (r->eof)
		return 0;
	if (r->in_pos) {
		memmove(r->in, r->in + r->in_pos, in_avail(r));
		r->in_off += r->in_pos;
		r->in_len -= r->in_pos;
		r->in_pos = 0;
	}
	while (r->in_len < need) {
		ssize_t n;

		if (r->in_len == r->in_cap) {
			/* Grow only when full of real data: memory follows
			 * the bytes present, not the sizes claimed. */
			size_t cap = r->in_cap ? r->in_cap * 2 : IN_MIN_CAP;
			uint8_t *p;

			if (cap > IN_MAX_CAP)
				cap = IN_MAX_CAP;
			if (cap <= r->in_cap)
				return -EOVERFLOW; /* need > IN_MAX_CAP: a bug */
			p = realloc(r->in, cap);
			if (!p)
				return -ENOMEM;
			r->in = p;
			r->in_cap = cap;
		}
		n = read(r->fd, r->in + r->in_len, r->in_cap - r->in_len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0) {
			r->eof = true;
			return 0;
		}
		r->in_len += (size_t)n;
	}
	return 1;
}

/* ---- file header ---- */

static int read_file_header(struct wpd_reader *r, char *err_buf, size_t err_len)
{
	const uint8_t *h;
	uint32_t hsize;
	uint64_t sum;
	int ret;

	ret = in_fill(r, WPD_FILE_HEADER_SIZE);
	if (ret < 0) {
		set_err(err_buf, err_len, "cannot read the file header: %s", strerror(-ret));
		return ret;
	}
	h = r->in + r->in_pos;
	if (ret == 0) {
		size_t n = in_avail(r);

		if (n == 0)
			set_err(err_buf, err_len, "not a .wpd file (empty)");
		else if (memcmp(h, WPD_MAGIC, n < WPD_MAGIC_LEN ? n : WPD_MAGIC_LEN))
			set_err(err_buf, err_len, "not a .wpd file (bad magic)");
		else
			set_err(err_buf, err_len,
				"truncated .wpd file header (%zu of %u bytes)",
				n, WPD_FILE_HEADER_SIZE);
		return -EBADMSG;
	}
	if (memcmp(h, WPD_MAGIC, WPD_MAGIC_LEN)) {
		set_err(err_buf, err_len, "not a .wpd file (bad magic)");
		return -EBADMSG;
	}
	r->info.version_major = (uint16_t)load_le(h + 8, 2);
	r->info.version_minor = (uint16_t)load_le(h + 10, 2);
	hsize = (uint32_t)load_le(h + 12, 4);
	r->info.compat_flags = load_le(h + 16, 8);
	r->info.incompat_flags = load_le(h + 24, 8);

	/* The major version is checked before anything else it governs:
	 * another major may lay out the rest of the header differently. */
	if (r->info.version_major != WPD_VERSION_MAJOR) {
		set_err(err_buf, err_len,
			"unsupported .wpd version %u.%u (this reader reads %u.x)",
			r->info.version_major, r->info.version_minor,
			WPD_VERSION_MAJOR);
		return -ENOTSUP;
	}
	if (hsize < WPD_FILE_HEADER_SIZE || hsize > WPD_FILE_HEADER_MAX || hsize % 8) {
		set_err(err_buf, err_len, "bad .wpd file header size %" PRIu32, hsize);
		return -EBADMSG;
	}
	ret = in_fill(r, hsize);
	if (ret < 0) {
		set_err(err_buf, err_len, "cannot read the file header: %s", strerror(-ret));
		return ret;
	}
	if (ret == 0) {
		set_err(err_buf, err_len, "truncated .wpd file header (%zu of %" PRIu32 " bytes)",
			in_avail(r), hsize);
		return -EBADMSG;
	}
	h = r->in + r->in_pos;
	sum = load_le(h + hsize - 8, 8);
	if (sum != XXH3_64bits(h, hsize - 8)) {
		set_err(err_buf, err_len, "damaged .wpd file header (checksum mismatch)");
		return -EBADMSG;
	}
	if (r->info.incompat_flags & ~(uint64_t)WPD_INCOMPAT_KNOWN) {
		set_err(err_buf, err_len,
			"unsupported .wpd file: unknown incompatible feature flags 0x%" PRIx64,
			r->info.incompat_flags & ~(uint64_t)WPD_INCOMPAT_KNOWN);
		return -ENOTSUP;
	}
	in_consume(r, hsize);
	return 0;
}

int wpd_reader__open_fd(int fd, struct wpd_reader **out,
			char *err_buf, size_t err_len)
{
	struct wpd_reader *r;
	int err;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r) {
		set_err(err_buf, err_len, "out of memory");
		return -ENOMEM;
	}
	r->fd = fd;
	r->dctx = ZSTD_createDCtx();
	if (!r->dctx) {
		set_err(err_buf, err_len, "out of memory");
		err = -ENOMEM;
		goto fail;
	}
	err = read_file_header(r, err_buf, err_len);
	if (err)
		goto fail;
	*out = r;
	return 0;
fail:
	wpd_reader__free(r);
	return err;
}

int wpd_reader__open(const char *path, struct wpd_reader **out,
		     char *err_buf, size_t err_len)
{
	char why[200] = "";
	int fd, err;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		set_err(err_buf, err_len, "cannot open '%s': %s", path, strerror(-err));
		return err;
	}
	err = wpd_reader__open_fd(fd, out, why, sizeof(why));
	if (err) {
		close(fd);
		set_err(err_buf, err_len, "'%s': %s", path, why);
		return err;
	}
	(*out)->own_fd = true;
	return 0;
}

/* ---- blocks ---- */

struct block_header {
	uint32_t seq, comp_size, raw_size;
	uint64_t sum;
};

/* NULL if h is a block header this reader accepts, else why not. */
static const char *parse_block_header(const uint8_t *h, struct block_header *bh)
{
	if (load_le(h, 4) != WPD_BLOCK_MAGIC)
		return "bad block magic";
	if (load_le(h + 24, 4) != (uint32_t)XXH3_64bits(h, 24))
		return "block header check mismatch";
	bh->seq = (uint32_t)load_le(h + 4, 4);
	bh->comp_size = (uint32_t)load_le(h + 8, 4);
	bh->raw_size = (uint32_t)load_le(h + 12, 4);
	bh->sum = load_le(h + 16, 8);
	/* Bytes 28..31 are reserved: ignored, so a minor may use them. */
	if (bh->comp_size > WPD_BLOCK_MAX_COMP)
		return "compressed size over the limit";
	if (bh->raw_size > WPD_BLOCK_MAX_RAW)
		return "raw size over the limit";
	return NULL;
}

static void scan_begin(struct wpd_reader *r, const char *why)
{
	r->scanning = true;
	r->scan_off = in_offset(r);
	r->scan_nr = r->block_nr++;
	r->scan_why = why;
	r->stats.blocks_damaged++;
}

/* The scan that began at a bad header ended at a good one, or at EOF. */
static void scan_end(struct wpd_reader *r, bool at_eof)
{
	uint64_t off = in_offset(r);

	if (at_eof)
		note_damage(r, "block %" PRIu64 " at offset %" PRIu64 ": %s; "
			    "skipped %" PRIu64 " bytes to the end of the file",
			    r->scan_nr, r->scan_off, r->scan_why, off - r->scan_off);
	else
		note_damage(r, "block %" PRIu64 " at offset %" PRIu64 ": %s; "
			    "skipped %" PRIu64 " bytes to the next block at offset %" PRIu64,
			    r->scan_nr, r->scan_off, r->scan_why, off - r->scan_off, off);
	r->scanning = false;
}

/* The file ends here: whatever is left cannot be read. */
static int end_of_blocks(struct wpd_reader *r, uint64_t nr, const char *what)
{
	size_t left = in_avail(r);

	r->stats.bytes_skipped += left;
	if (r->scanning) {
		in_consume(r, left);
		scan_end(r, true);
	} else if (left) {
		r->stats.truncated = true;
		note_damage(r, "block %" PRIu64 " at offset %" PRIu64 ": file ends "
			    "inside the %s (truncated, %zu bytes left)",
			    nr, in_offset(r), what, left);
		in_consume(r, left);
	}
	return 0;
}

static void block_damaged(struct wpd_reader *r, uint64_t nr, uint64_t off,
			  size_t total, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void block_damaged(struct wpd_reader *r, uint64_t nr, uint64_t off,
			  size_t total, const char *fmt, ...)
{
	char why[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	note_damage(r, "block %" PRIu64 " at offset %" PRIu64 ": %s", nr, off, why);
	r->stats.blocks_damaged++;
	r->stats.bytes_skipped += total;
	in_consume(r, total);
}

/* Load the next good block into raw. 1: loaded; 0: no more; <0: error. */
static int next_block(struct wpd_reader *r)
{
	struct block_header bh;
	const uint8_t *h, *payload;
	const char *why;
	unsigned long long fcs;
	size_t total, n;
	uint64_t off, nr;
	int ret;

	for (;;) {
		ret = in_fill(r, WPD_BLOCK_HEADER_SIZE);
		if (ret < 0)
			return ret;
		if (ret == 0)
			return end_of_blocks(r, r->block_nr, "block header");

		h = r->in + r->in_pos;
		why = parse_block_header(h, &bh);
		if (why) {
			if (!r->scanning)
				scan_begin(r, why);
			in_consume(r, 1);
			r->stats.bytes_skipped++;
			continue;
		}
		if (r->scanning)
			scan_end(r, false);

		off = in_offset(r);
		nr = r->block_nr++;
		total = WPD_BLOCK_HEADER_SIZE + (size_t)bh.comp_size;
		ret = in_fill(r, total);
		if (ret < 0)
			return ret;
		if (ret == 0)
			return end_of_blocks(r, nr, "block");
		payload = r->in + r->in_pos + WPD_BLOCK_HEADER_SIZE;

		if (XXH3_64bits(payload, bh.comp_size) != bh.sum) {
			block_damaged(r, nr, off, total, "payload checksum mismatch");
			continue;
		}
		/* One frame, exactly filling the payload, declaring exactly
		 * raw_size bytes: anything else is not what a writer made. */
		n = ZSTD_findFrameCompressedSize(payload, bh.comp_size);
		if (ZSTD_isError(n) || n != bh.comp_size) {
			block_damaged(r, nr, off, total, "payload is not one zstd frame");
			continue;
		}
		fcs = ZSTD_getFrameContentSize(payload, bh.comp_size);
		if (fcs != bh.raw_size) {
			block_damaged(r, nr, off, total, "zstd frame content size %lld "
				      "does not match the raw size %" PRIu32,
				      (long long)fcs, bh.raw_size);
			continue;
		}
		if (r->raw_cap < bh.raw_size || !r->raw) {
			size_t cap = bh.raw_size > 4096 ? bh.raw_size : 4096;
			uint8_t *p = realloc(r->raw, cap);

			if (!p)
				return -ENOMEM;
			r->raw = p;
			r->raw_cap = cap;
		}
		n = ZSTD_decompressDCtx(r->dctx, r->raw, r->raw_cap, payload, bh.comp_size);
		if (ZSTD_isError(n)) {
			block_damaged(r, nr, off, total, "zstd: %s", ZSTD_getErrorName(n));
			continue;
		}
		if (n != bh.raw_size) {
			block_damaged(r, nr, off, total, "decompressed %zu bytes, "
				      "the raw size is %" PRIu32, n, bh.raw_size);
			continue;
		}
		in_consume(r, total);
		r->raw_len = n;
		r->raw_pos = 0;
		r->block_seq = bh.seq;
		r->block_off = off;
		r->stats.blocks++;
		return 1;
	}
}

int wpd_reader__next(struct wpd_reader *r, struct wpd_record *rec)
{
	int ret;

	for (;;) {
		size_t left = r->raw_len - r->raw_pos;
		const uint8_t *p;
		uint32_t type, size;

		if (left == 0) {
			if (r->done)
				return 0;
			ret = next_block(r);
			if (ret < 0)
				return ret;
			if (ret == 0) {
				r->done = true;
				return 0;
			}
			continue;
		}
		p = r->raw + r->raw_pos; /* raw is NULL before the first block */
		if (left < WPD_RECORD_HEADER_SIZE ||
		    load_le(p + 4, 4) > left - WPD_RECORD_HEADER_SIZE) {
			/* A good block cannot hold this; drop its rest. */
			note_damage(r, "block %" PRIu32 " at offset %" PRIu64 ": record at "
				    "raw offset %zu overruns the block (%zu bytes left)",
				    r->block_seq, r->block_off, r->raw_pos, left);
			r->stats.records_bad++;
			r->raw_pos = r->raw_len;
			continue;
		}
		type = (uint32_t)load_le(p, 4);
		size = (uint32_t)load_le(p + 4, 4);
		r->raw_pos += WPD_RECORD_HEADER_SIZE + (size_t)size;
		if (!wpd_record_type_known(type)) {
			r->stats.records_unknown++;
			continue;
		}
		r->stats.records++;
		if (type == WPD_REC_FINISH)
			r->stats.finished = true;
		rec->type = type;
		rec->size = size;
		rec->data = p + WPD_RECORD_HEADER_SIZE;
		rec->block_seq = r->block_seq;
		return 1;
	}
}

const struct wpd_file_info *wpd_reader__info(const struct wpd_reader *r)
{
	return &r->info;
}

const struct wpd_read_stats *wpd_reader__stats(const struct wpd_reader *r)
{
	return &r->stats;
}

const char *wpd_reader__damage(const struct wpd_reader *r)
{
	return r->damage[0] ? r->damage : NULL;
}

void wpd_reader__free(struct wpd_reader *r)
{
	if (!r)
		return;
	if (r->own_fd)
		close(r->fd);
	ZSTD_freeDCtx(r->dctx);
	free(r->in);
	free(r->raw);
	free(r);
}

bool wpd_record_type_known(uint32_t type)
{
	return type >= 1 && type <= WPD_REC_TYPE_MAX &&
	       !(type > WPD_REC_SRCLINE && type < WPD_REC_USTACK_DUMP); /* 18, 19 */
}
