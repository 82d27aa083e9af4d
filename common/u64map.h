/* SPDX-License-Identifier: MIT */
/*
 * The project's one u64 -> u64 hash map (pids, tids, ids, hashes of
 * strings and stacks) and the hashes its users key it with.
 *
 * Open addressing, linear probing from wp_hash64(key), capacity a power
 * of two that doubles to keep the load under 1/2, no deletion. A zeroed
 * struct is a valid empty map (wp_map__init zeroes one); __release frees
 * it. Nothing prints. Nobody iterates the slots, so the slot layout never
 * reaches any output.
 */
#ifndef WP_COMMON_U64MAP_H
#define WP_COMMON_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct wp_map {
	uint64_t *keys;
	uint64_t *vals;
	uint8_t *used;
	size_t cap, n; /* cap is 0 or a power of two */
};

void wp_map__init(struct wp_map *m);
/* 1 and *val set if present, 0 if not. */
int wp_map__get(const struct wp_map *m, uint64_t key, uint64_t *val);
/* Pointer to the value of key, or NULL. Valid until the next put. */
uint64_t *wp_map__ref(const struct wp_map *m, uint64_t key);
/* Insert or overwrite. 0 or -ENOMEM. */
int wp_map__put(struct wp_map *m, uint64_t key, uint64_t val);
void wp_map__release(struct wp_map *m);

static inline uint64_t wp_hash64(uint64_t x)
{
	/* splitmix64 finaliser: pids and ids are dense and small */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

/* FNV-1a over bytes (offset basis xor seed), mixed: for string keys. */
uint64_t wp_hash_bytes(const void *p, size_t n, uint64_t seed);

#endif
