// SPDX-License-Identifier: MIT
/*
 * The .wpd writer: records accumulate in a raw block buffer; a flush
 * compresses it into one zstd frame, prefixes the block header and writes
 * both with one write() so a crash leaves at worst one partial block at
 * the end of the file, which readers recognise as truncation.
 */
#include "wpd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#define WPD_DEFAULT_ZSTD_LEVEL 3

struct wpd_writer {
	int fd;
	int err;            /* sticky: first write error, or 0 */
	uint32_t seq;       /* of the next block */
	size_t target;      /* raw bytes that close a block */
	uint64_t bytes;     /* written to fd */
	ZSTD_CCtx *cctx;    /* reused for every block */
	struct wpd_buf raw; /* records of the open block */
	struct wpd_buf out; /* block header + compressed frame */
};

static void put_le(uint8_t *p, uint64_t v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* write() until done: short writes and EINTR are not errors. */
static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = write(fd, p, n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EIO;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int write_file_header(struct wpd_writer *w, uint64_t compat)
{
	uint8_t h[WPD_FILE_HEADER_SIZE] = { 0 };
	int err;

	memcpy(h, WPD_MAGIC, WPD_MAGIC_LEN);
	put_le(h + 8, WPD_VERSION_MAJOR, 2);
	put_le(h + 10, WPD_VERSION_MINOR, 2);
	put_le(h + 12, WPD_FILE_HEADER_SIZE, 4);
	put_le(h + 16, compat, 8);
	put_le(h + 24, 0, 8); /* incompat: none defined */
	/* 32..55 reserved, zero */
	put_le(h + 56, XXH3_64bits(h, 56), 8);
	err = write_all(w->fd, h, sizeof(h));
	if (!err)
		w->bytes += sizeof(h);
	return err;
}

int wpd_writer__new(int fd, const struct wpd_writer_opts *opts,
		    struct wpd_writer **out)
{
	struct wpd_writer *w;
	uint64_t compat = opts ? opts->compat_flags : 0;
	int level = opts && opts->zstd_level ? opts->zstd_level : WPD_DEFAULT_ZSTD_LEVEL;
	size_t target = opts && opts->block_target ? opts->block_target : WPD_BLOCK_TARGET_RAW;
	int err;

	*out = NULL;
	if (fd < 0)
		return -EBADF;
	if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel())
		return -EINVAL;
	if (target > WPD_BLOCK_MAX_RAW)
		target = WPD_BLOCK_MAX_RAW;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = fd;
	w->target = target;
	wpd_buf__init(&w->raw);
	wpd_buf__init(&w->out);
	w->cctx = ZSTD_createCCtx();
	if (!w->cctx) {
		err = -ENOMEM;
		goto fail;
	}
	/* The frame must carry its content size: readers compare it with
	 * raw_size before decompressing. zstd's own checksum is redundant
	 * with the block's XXH3. */
	if (ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_contentSizeFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 0))) {
		err = -EINVAL;
		goto fail;
	}
	err = write_file_header(w, compat);
	if (err)
		goto fail;
	*out = w;
	return 0;
fail:
	ZSTD_freeCCtx(w->cctx);
	free(w);
	return err;
}

int wpd_writer__flush(struct wpd_writer *w)
{
	size_t bound, csize;
	uint8_t *h;
	int err;

	if (w->err)
		return w->err;
	if (w->raw.len == 0)
		return 0;

	bound = ZSTD_compressBound(w->raw.len);
	wpd_buf__reset(&w->out);
	if (w->out.cap < WPD_BLOCK_HEADER_SIZE + bound) {
		/* Grow once to the bound; the buffer is reused afterwards. */
		uint8_t *p = realloc(w->out.data, WPD_BLOCK_HEADER_SIZE + bound);

		if (!p)
			return -ENOMEM; /* the block stays open: retry later */
		w->out.data = p;
		w->out.cap = WPD_BLOCK_HEADER_SIZE + bound;
	}
	csize = ZSTD_compress2(w->cctx, w->out.data + WPD_BLOCK_HEADER_SIZE, bound,
			       w->raw.data, w->raw.len);
	/* With a bound-sized output, zstd can only fail to allocate. */
	if (ZSTD_isError(csize))
		return -ENOMEM;
	if (csize > WPD_BLOCK_MAX_COMP)
		return -E2BIG; /* cannot happen: bound(8 MiB) < 9 MiB */

	h = w->out.data;
	put_le(h + 0, WPD_BLOCK_MAGIC, 4);
	put_le(h + 4, w->seq, 4);
	put_le(h + 8, csize, 4);
	put_le(h + 12, w->raw.len, 4);
	put_le(h + 16, XXH3_64bits(h + WPD_BLOCK_HEADER_SIZE, csize), 8);
	put_le(h + 24, (uint32_t)XXH3_64bits(h, 24), 4);
	put_le(h + 28, 0, 4);

	err = write_all(w->fd, h, WPD_BLOCK_HEADER_SIZE + csize);
	if (err) {
		/* Part of the block may be on disk; what follows could not
		 * be trusted to line up, so stop writing for good. */
		w->err = err;
		return err;
	}
	w->bytes += WPD_BLOCK_HEADER_SIZE + csize;
	w->seq++;
	wpd_buf__reset(&w->raw);
	return 0;
}

int wpd_writer__add(struct wpd_writer *w, uint32_t type, const void *payload,
		    uint32_t size)
{
	size_t old_len;
	int err;

	if (w->err)
		return w->err;
	if (size > WPD_BLOCK_MAX_RAW - WPD_RECORD_HEADER_SIZE)
		return -E2BIG;
	/* Records never straddle blocks: close the block first if this one
	 * would overshoot the target. A record bigger than the target thus
	 * gets a block of its own. */
	if (w->raw.len && w->raw.len + WPD_RECORD_HEADER_SIZE + size > w->target) {
		err = wpd_writer__flush(w);
		if (err)
			return err;
	}
	old_len = w->raw.len;
	wpd_buf__put_u32(&w->raw, type);
	wpd_buf__put_u32(&w->raw, size);
	wpd_buf__put(&w->raw, payload, size);
	if (w->raw.oom) {
		/* Drop the half-appended record, keep the block usable. */
		w->raw.oom = false;
		w->raw.len = old_len;
		return -ENOMEM;
	}
	if (w->raw.len >= w->target)
		return wpd_writer__flush(w);
	return 0;
}

int wpd_writer__add_buf(struct wpd_writer *w, uint32_t type,
			const struct wpd_buf *b)
{
	if (b->oom)
		return -ENOMEM;
	if (b->len > UINT32_MAX)
		return -E2BIG;
	return wpd_writer__add(w, type, b->data, (uint32_t)b->len);
}

uint64_t wpd_writer__bytes(const struct wpd_writer *w)
{
	return w->bytes;
}

int wpd_writer__close(struct wpd_writer *w)
{
	int err;

	if (!w)
		return 0;
	err = wpd_writer__flush(w);
	ZSTD_freeCCtx(w->cctx);
	wpd_buf__release(&w->raw);
	wpd_buf__release(&w->out);
	free(w);
	return err;
}
