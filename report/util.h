/* SPDX-License-Identifier: MIT */
/*
 * Small containers the analysis library is built on: a growable array
 * helper, a string arena and a string buffer (the u64 -> u64 map is
 * common/u64map.h, included here for report/ and convert/).
 *
 * Everything returns 0 or -ENOMEM and never prints. The arena owns its
 * memory; __release frees it (a zeroed struct is a valid empty one).
 */
#ifndef WP_REPORT_UTIL_H
#define WP_REPORT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/u64map.h" /* struct wp_map, wp_hash64, wp_hash_bytes */

/*
 * Make room for at least `need` elements in the array `arr` (an lvalue
 * pointer) whose capacity is `cap` (an lvalue size_t), doubling.
 * 0 or -ENOMEM (then arr is unchanged).
 */
#define WP_GROW(arr, cap, need) ({                                           \
	void *p_ = (arr);                                                    \
	int r_ = wp_grow_(&p_, &(cap), (need), sizeof(*(arr)));              \
	(arr) = p_;                                                          \
	r_;                                                                  \
})
int wp_grow_(void **arr, size_t *cap, size_t need, size_t size);

/* Append-only bytes with stable offsets (not pointers: the buffer moves). */
struct wp_arena {
	char *data;
	size_t len, cap;
};

/*
 * Copy n bytes and a terminating NUL; *off receives the offset of the
 * copy. 0 or -ENOMEM.
 */
int wp_arena__add(struct wp_arena *a, const void *p, size_t n, uint32_t *off);
void wp_arena__release(struct wp_arena *a);
static inline const char *wp_arena__str(const struct wp_arena *a, uint32_t off)
{
	return a->data + off;
}

/* A growable NUL-terminated string. */
struct wp_strbuf {
	char *s;
	size_t len, cap;
	bool oom; /* set once an allocation failed; later appends are no-ops */
};

void wp_strbuf__add(struct wp_strbuf *b, const void *p, size_t n);
void wp_strbuf__addc(struct wp_strbuf *b, char c);
static inline void wp_strbuf__reset(struct wp_strbuf *b)
{
	b->len = 0;
	if (b->s)
		b->s[0] = '\0';
}
void wp_strbuf__release(struct wp_strbuf *b);

/*
 * Length of the valid UTF-8 sequence starting at s (n bytes available):
 * 1..4, or 0 if it is not valid (overlong, surrogate, > U+10FFFF, cut).
 * *cp receives the code point.
 */
size_t wp_utf8_seq(const unsigned char *s, size_t n, uint32_t *cp);

#endif
