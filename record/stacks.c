/* SPDX-License-Identifier: MIT */
#include "stacks.h"
#include "common/u64map.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* One stack, stored as the exact bytes that were hashed:
 * u32 flags, u16 nkernel, u16 nuser, kernel[], user[]. */
struct stack_ent {
	uint64_t hash;
	uint32_t id;
	uint32_t len;   /* bytes in key */
	uint64_t *key;  /* 8-byte header word then frames */
};

struct wp_stacks {
	struct stack_ent *slots;
	size_t cap, len;
	uint32_t last_id; /* ids: interned stacks and wp_stacks__new_id() */
	uint64_t collisions;
	uint64_t *scratch;
	size_t scratch_cap;
	uint64_t (*hash)(const void *data, size_t len);
	struct wp_map by_id; /* id -> its key (stable: keys never move) */
};

static uint64_t xxh3(const void *data, size_t len)
{
	return XXH3_64bits(data, len);
}

struct wp_stacks *wp_stacks__new(void)
{
	struct wp_stacks *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->hash = xxh3;
	wp_map__init(&t->by_id);
	t->cap = 1024;
	t->slots = calloc(t->cap, sizeof(*t->slots));
	if (!t->slots) {
		free(t);
		return NULL;
	}
	return t;
}

void wp_stacks__free(struct wp_stacks *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->cap; i++)
		free(t->slots[i].key);
	free(t->slots);
	free(t->scratch);
	wp_map__release(&t->by_id);
	free(t);
}

void wp_stacks__set_hash(struct wp_stacks *t,
			 uint64_t (*hash)(const void *data, size_t len))
{
	t->hash = hash ? hash : xxh3;
}

uint32_t wp_stacks__count(const struct wp_stacks *t)
{
	return (uint32_t)t->len;
}

uint32_t wp_stacks__new_id(struct wp_stacks *t)
{
	return ++t->last_id;
}

bool wp_stacks__get(const struct wp_stacks *t, uint32_t id, uint32_t *flags,
		    const uint64_t **kernel, uint16_t *nkernel,
		    const uint64_t **user, uint16_t *nuser)
{
	const uint64_t *v = wp_map__ref(&t->by_id, id), *key;

	if (!v)
		return false;
	key = (const uint64_t *)(uintptr_t)*v;
	*flags = (uint32_t)key[0];
	*nkernel = (uint16_t)(key[0] >> 32);
	*nuser = (uint16_t)(key[0] >> 48);
	*kernel = key + 1;
	*user = key + 1 + *nkernel;
	return true;
}

uint64_t wp_stacks__collisions(const struct wp_stacks *t)
{
	return t->collisions;
}

static int grow(struct wp_stacks *t)
{
	size_t ncap = t->cap * 2, i;
	struct stack_ent *n = calloc(ncap, sizeof(*n));

	if (!n)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++) {
		size_t j;

		if (!t->slots[i].key)
			continue;
		for (j = t->slots[i].hash & (ncap - 1); n[j].key; j = (j + 1) & (ncap - 1))
			;
		n[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = n;
	t->cap = ncap;
	return 0;
}

int wp_stacks__intern(struct wp_stacks *t, uint32_t flags,
		      const uint64_t *kernel, uint16_t nkernel,
		      const uint64_t *user, uint16_t nuser,
		      uint32_t *id, bool *is_new)
{
	size_t words = 1 + (size_t)nkernel + nuser, len = words * 8, i;
	uint64_t h, *key;

	if (words > t->scratch_cap) {
		uint64_t *s = realloc(t->scratch, words * sizeof(*s));

		if (!s)
			return -ENOMEM;
		t->scratch = s;
		t->scratch_cap = words;
	}
	key = t->scratch;
	key[0] = (uint64_t)flags | (uint64_t)nkernel << 32 | (uint64_t)nuser << 48;
	if (nkernel)
		memcpy(key + 1, kernel, nkernel * 8);
	if (nuser)
		memcpy(key + 1 + nkernel, user, nuser * 8);
	h = t->hash(key, len);

	for (i = h & (t->cap - 1); t->slots[i].key; i = (i + 1) & (t->cap - 1)) {
		struct stack_ent *e = &t->slots[i];

		if (e->hash != h)
			continue;
		if (e->len == len && !memcmp(e->key, key, len)) {
			*id = e->id;
			*is_new = false;
			return 0;
		}
		t->collisions++;
	}

	if ((t->len + 1) * 4 > t->cap * 3) {
		int err = grow(t);

		if (err)
			return err;
		for (i = h & (t->cap - 1); t->slots[i].key; i = (i + 1) & (t->cap - 1))
			;
	}
	t->slots[i].key = malloc(len);
	if (!t->slots[i].key)
		return -ENOMEM;
	memcpy(t->slots[i].key, key, len);
	if (wp_map__put(&t->by_id, t->last_id + 1, (uintptr_t)t->slots[i].key)) {
		free(t->slots[i].key);
		t->slots[i].key = NULL;
		return -ENOMEM;
	}
	t->slots[i].hash = h;
	t->slots[i].len = (uint32_t)len;
	t->len++;
	t->slots[i].id = ++t->last_id;
	*id = t->slots[i].id;
	*is_new = true;
	return 0;
}
