/* SPDX-License-Identifier: MIT */
#include "common/u64map.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void wp_map__init(struct wp_map *m)
{
	memset(m, 0, sizeof(*m));
}

/* The slot holding key, or the empty slot where it would go. cap > 0. */
static size_t map_slot(const struct wp_map *m, uint64_t key)
{
	size_t mask = m->cap - 1;
	size_t i = (size_t)wp_hash64(key) & mask;

	while (m->used[i] && m->keys[i] != key)
		i = (i + 1) & mask;
	return i;
}

uint64_t *wp_map__ref(const struct wp_map *m, uint64_t key)
{
	size_t i;

	if (!m->n)
		return NULL;
	i = map_slot(m, key);
	return m->used[i] ? &m->vals[i] : NULL;
}

int wp_map__get(const struct wp_map *m, uint64_t key, uint64_t *val)
{
	const uint64_t *v = wp_map__ref(m, key);

	if (!v)
		return 0;
	*val = *v;
	return 1;
}

static int map_rehash(struct wp_map *m, size_t ncap)
{
	struct wp_map n = { .cap = ncap };
	size_t i;

	n.keys = malloc(ncap * sizeof(*n.keys));
	n.vals = malloc(ncap * sizeof(*n.vals));
	n.used = calloc(ncap, 1);
	if (!n.keys || !n.vals || !n.used) {
		free(n.keys);
		free(n.vals);
		free(n.used);
		return -ENOMEM;
	}
	for (i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->used[i])
			continue;
		j = map_slot(&n, m->keys[i]);
		n.used[j] = 1;
		n.keys[j] = m->keys[i];
		n.vals[j] = m->vals[i];
	}
	n.n = m->n;
	wp_map__release(m);
	*m = n;
	return 0;
}

int wp_map__put(struct wp_map *m, uint64_t key, uint64_t val)
{
	size_t i;

	/* keep the load factor under 1/2 */
	if ((m->n + 1) * 2 > m->cap) {
		if (m->cap > SIZE_MAX / 4)
			return -ENOMEM;
		if (map_rehash(m, m->cap ? m->cap * 2 : 64))
			return -ENOMEM;
	}
	i = map_slot(m, key);
	if (!m->used[i]) {
		m->used[i] = 1;
		m->keys[i] = key;
		m->n++;
	}
	m->vals[i] = val;
	return 0;
}

void wp_map__release(struct wp_map *m)
{
	free(m->keys);
	free(m->vals);
	free(m->used);
	memset(m, 0, sizeof(*m));
}

uint64_t wp_hash_bytes(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ull ^ seed;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ull;
	}
	return wp_hash64(h);
}
