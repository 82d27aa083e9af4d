// SPDX-License-Identifier: MIT
/*
 * wpd_buf: the growable byte buffer every encoder appends to, and the
 * little-endian / LEB128 primitives.
 *
 * Allocation failure is sticky (b->oom) rather than returned from every
 * put: encoders then stay straight-line code, and the one check happens
 * where the buffer is consumed (wpd_writer__add_buf returns -ENOMEM).
 */
#include "wpd.h"

#include <stdlib.h>
#include <string.h>

void wpd_buf__init(struct wpd_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void wpd_buf__release(struct wpd_buf *b)
{
	free(b->data);
	wpd_buf__init(b);
}

void wpd_buf__reset(struct wpd_buf *b)
{
	b->len = 0;
}

/* Make room for n more bytes; false (and b->oom) if that is impossible. */
static bool buf_reserve(struct wpd_buf *b, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (b->oom)
		return false;
	if (n <= b->cap - b->len)
		return true;
	if (b->len > UINT32_MAX)
		goto fail;
	/* No record payload can pass UINT32_MAX, so neither need a buffer:
	 * fail early instead of asking malloc for absurd sizes. */
	if (n > UINT32_MAX - b->len)
		goto fail;
	cap = b->cap ? b->cap : 256;
	while (cap - b->len < n)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		goto fail;
	b->data = p;
	b->cap = cap;
	return true;
fail:
	b->oom = true;
	return false;
}

void wpd_buf__put(struct wpd_buf *b, const void *p, size_t n)
{
	if (!n || !buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void wpd_buf__put_u8(struct wpd_buf *b, uint8_t v)
{
	wpd_buf__put(b, &v, 1);
}

/* Byte by byte, so the file is little-endian whatever the host is. */
static void put_le(struct wpd_buf *b, uint64_t v, unsigned int n)
{
	uint8_t tmp[8];
	unsigned int i;

	for (i = 0; i < n; i++)
		tmp[i] = (uint8_t)(v >> (8 * i));
	wpd_buf__put(b, tmp, n);
}

void wpd_buf__put_u16(struct wpd_buf *b, uint16_t v)
{
	put_le(b, v, 2);
}

void wpd_buf__put_u32(struct wpd_buf *b, uint32_t v)
{
	put_le(b, v, 4);
}

void wpd_buf__put_u64(struct wpd_buf *b, uint64_t v)
{
	put_le(b, v, 8);
}

void wpd_buf__put_varint(struct wpd_buf *b, uint64_t v)
{
	uint8_t tmp[10];
	unsigned int n = 0;

	while (v >= 0x80) {
		tmp[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t)v;
	wpd_buf__put(b, tmp, n);
}
