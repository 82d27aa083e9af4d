/* SPDX-License-Identifier: MIT */
#include "u64map.h"

#include <errno.h>
#include <stdlib.h>

static inline size_t slot_of(uint64_t key, size_t cap)
{
	/* splitmix64 finaliser: pids and ids are dense and small */
	key ^= key >> 30;
	key *= 0xbf58476d1ce4e5b9ull;
	key ^= key >> 27;
	key *= 0x94d049bb133111ebull;
	key ^= key >> 31;
	return key & (cap - 1);
}

void wp_u64map__init(struct wp_u64map *m)
{
	m->keys = m->vals = NULL;
	m->used = NULL;
	m->cap = m->len = 0;
}

void wp_u64map__release(struct wp_u64map *m)
{
	free(m->keys);
	free(m->vals);
	free(m->used);
	wp_u64map__init(m);
}

uint64_t *wp_u64map__get(const struct wp_u64map *m, uint64_t key)
{
	size_t i;

	if (!m->cap)
		return NULL;
	for (i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (!m->used[i])
			return NULL;
		if (m->keys[i] == key)
			return &m->vals[i];
	}
}

static void put_nogrow(struct wp_u64map *m, uint64_t key, uint64_t val)
{
	size_t i;

	for (i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (!m->used[i]) {
			m->used[i] = 1;
			m->keys[i] = key;
			m->vals[i] = val;
			m->len++;
			return;
		}
		if (m->keys[i] == key) {
			m->vals[i] = val;
			return;
		}
	}
}

int wp_u64map__put(struct wp_u64map *m, uint64_t key, uint64_t val)
{
	if ((m->len + 1) * 4 > m->cap * 3) {
		struct wp_u64map n;
		size_t i;

		n.cap = m->cap ? m->cap * 2 : 64;
		n.len = 0;
		n.keys = malloc(n.cap * sizeof(*n.keys));
		n.vals = malloc(n.cap * sizeof(*n.vals));
		n.used = calloc(n.cap, 1);
		if (!n.keys || !n.vals || !n.used) {
			free(n.keys);
			free(n.vals);
			free(n.used);
			return -ENOMEM;
		}
		for (i = 0; i < m->cap; i++)
			if (m->used[i])
				put_nogrow(&n, m->keys[i], m->vals[i]);
		wp_u64map__release(m);
		*m = n;
	}
	put_nogrow(m, key, val);
	return 0;
}
