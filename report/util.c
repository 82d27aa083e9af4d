/* SPDX-License-Identifier: MIT */
#include "report/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int wp_grow_(void **p, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *n;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 16;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return -ENOMEM;
		ncap *= 2;
	}
	if (ncap > SIZE_MAX / size)
		return -ENOMEM;
	n = realloc(*p, ncap * size);
	if (!n)
		return -ENOMEM;
	*p = n;
	*cap = ncap;
	return 0;
}

int wp_arena__add(struct wp_arena *a, const void *p, size_t n, uint32_t *off)
{
	if (n >= UINT32_MAX || a->len + n + 1 > UINT32_MAX)
		return -ENOMEM;
	if (WP_GROW(a->data, a->cap, a->len + n + 1))
		return -ENOMEM;
	if (n)
		memcpy(a->data + a->len, p, n);
	a->data[a->len + n] = '\0';
	*off = (uint32_t)a->len;
	a->len += n + 1;
	return 0;
}

void wp_arena__release(struct wp_arena *a)
{
	free(a->data);
	memset(a, 0, sizeof(*a));
}

void wp_strbuf__add(struct wp_strbuf *b, const void *p, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 < b->len || WP_GROW(b->s, b->cap, b->len + n + 1)) {
		b->oom = true;
		return;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void wp_strbuf__addc(struct wp_strbuf *b, char c)
{
	wp_strbuf__add(b, &c, 1);
}

void wp_strbuf__release(struct wp_strbuf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

size_t wp_utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c, min;
	size_t len, i;

	if (n == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}
