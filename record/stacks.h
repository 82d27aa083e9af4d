/* SPDX-License-Identifier: MIT */
/*
 * The stack table: deduplicates (flags, kernel frames, user frames) into
 * the file's stack ids 1, 2, 3... A hash table keyed by XXH3_64bits of the
 * frame list; a hit is confirmed by comparing the frames, so a hash
 * collision yields a new id, never another stack's id.
 */
#ifndef WP_RECORD_STACKS_H
#define WP_RECORD_STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wp_stacks;

struct wp_stacks *wp_stacks__new(void); /* NULL on ENOMEM */
void wp_stacks__free(struct wp_stacks *t); /* t may be NULL */

/* Find or add a stack. On success *id is its id (>= 1) and *is_new tells
 * whether it was just added (the caller then writes its STACK record).
 * 0 or -ENOMEM. */
int wp_stacks__intern(struct wp_stacks *t, uint32_t flags,
		      const uint64_t *kernel, uint16_t nkernel,
		      const uint64_t *user, uint16_t nuser,
		      uint32_t *id, bool *is_new);

/* Stacks interned. */
uint32_t wp_stacks__count(const struct wp_stacks *t);
/* An id no stack of the table will have: the id of a stack the reader
 * unwinds itself (USTACK_DUMP records, --call-graph dwarf). */
uint32_t wp_stacks__new_id(struct wp_stacks *t);
/* The frames of interned stack id (valid while t lives); false: not one. */
bool wp_stacks__get(const struct wp_stacks *t, uint32_t id, uint32_t *flags,
		    const uint64_t **kernel, uint16_t *nkernel,
		    const uint64_t **user, uint16_t *nuser);
/* Hash hits whose frames differed (kept apart correctly); for tests. */
uint64_t wp_stacks__collisions(const struct wp_stacks *t);

/* Tests only: replace the hash function (NULL restores XXH3). */
void wp_stacks__set_hash(struct wp_stacks *t,
			 uint64_t (*hash)(const void *data, size_t len));

#endif
