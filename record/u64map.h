/* SPDX-License-Identifier: MIT */
/*
 * A small open-addressing hash map from u64 keys to u64 values (pids,
 * tids, stack-id pairs, device:inode pairs). Grows by doubling; no delete.
 */
#ifndef WP_RECORD_U64MAP_H
#define WP_RECORD_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wp_u64map {
	uint64_t *keys;
	uint64_t *vals;
	uint8_t *used;
	size_t cap; /* power of two, or 0 */
	size_t len;
};

void wp_u64map__init(struct wp_u64map *m);
void wp_u64map__release(struct wp_u64map *m);
/* Pointer to the value of key, or NULL. Valid until the next put. */
uint64_t *wp_u64map__get(const struct wp_u64map *m, uint64_t key);
/* Insert or overwrite. 0 or -ENOMEM. */
int wp_u64map__put(struct wp_u64map *m, uint64_t key, uint64_t val);

#endif
