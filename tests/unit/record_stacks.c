/* SPDX-License-Identifier: MIT */
/*
 * The recorder's stack table (record/stacks.c, compiled in here: it
 * depends on xxhash only): ids 1, 2, 3... in order of first sight, equal
 * stacks share an id, and a hash collision never hands out another
 * stack's id (forced with a constant hash). Also record/ksyms.c on a
 * synthetic kallsyms file, the u64 map record/ keys with (common/u64map.c,
 * linked from libwpcommon), and record/procmaps.c on this very process
 * (its mappings, its build-id, anonymous executable memory).
 */
#include "record/stacks.c"
#include "record/ksyms.c"
#include "record/procmaps.c"
#include "tests/lib/tap.h"

#include <stdlib.h>
#include <sys/mman.h>

#define WPD_STACK_NO_USER_TEST (1u << 4)

static uint64_t const_hash(const void *data, size_t len)
{
	(void)data;
	(void)len;
	return 42;
}

static void test_dedup(struct wp_stacks *t, const char *what)
{
	uint64_t k1[] = { 0xffffffff81000010ull, 0xffffffff81000020ull };
	uint64_t u1[] = { 0x401000, 0x401100, 0x401200 };
	uint64_t u2[] = { 0x401000, 0x401100, 0x401300 };
	uint32_t id;
	bool is_new;

	ok(!wp_stacks__intern(t, 0, k1, 2, u1, 3, &id, &is_new) && id == 1 && is_new,
	   "%s: first stack gets id 1", what);
	ok(!wp_stacks__intern(t, 0, k1, 2, u2, 3, &id, &is_new) && id == 2 && is_new,
	   "%s: another user frame: id 2", what);
	ok(!wp_stacks__intern(t, 0, k1, 2, u1, 3, &id, &is_new) && id == 1 && !is_new,
	   "%s: the first again: id 1, not new", what);
	ok(!wp_stacks__intern(t, WPD_STACK_NO_USER_TEST, k1, 2, NULL, 0, &id, &is_new) &&
	   id == 3 && is_new, "%s: flags are part of the key", what);
	ok(!wp_stacks__intern(t, 0, k1, 1, u1, 3, &id, &is_new) && id == 4 && is_new,
	   "%s: fewer kernel frames: a new stack", what);
	/* the same 5 frames split differently between kernel and user */
	ok(!wp_stacks__intern(t, 0, k1, 2, u1, 3, &id, &is_new) && id == 1,
	   "%s: split kernel 2 / user 3 is id 1", what);
	{
		uint64_t all[] = { k1[0], k1[1], u1[0], u1[1], u1[2] };

		ok(!wp_stacks__intern(t, 0, all, 3, all + 3, 2, &id, &is_new) && id == 5 && is_new,
		   "%s: split kernel 3 / user 2 is another stack", what);
	}
	ok(!wp_stacks__intern(t, 0, NULL, 0, NULL, 0, &id, &is_new) && id == 6,
	   "%s: the empty stack has an id too", what);
}

static void test_many(void)
{
	struct wp_stacks *t = wp_stacks__new();
	uint64_t u[8];
	uint32_t i, id, bad = 0;
	bool is_new;

	/* grow the table well past its first size, then look everything up */
	for (i = 0; i < 20000; i++) {
		for (int j = 0; j < 8; j++)
			u[j] = 0x400000 + i * 16 + j;
		if (wp_stacks__intern(t, 0, NULL, 0, u, 1 + i % 8, &id, &is_new) || id != i + 1 ||
		    !is_new)
			bad++;
	}
	for (i = 0; i < 20000; i++) {
		for (int j = 0; j < 8; j++)
			u[j] = 0x400000 + i * 16 + j;
		if (wp_stacks__intern(t, 0, NULL, 0, u, 1 + i % 8, &id, &is_new) || id != i + 1 ||
		    is_new)
			bad++;
	}
	is_int(bad, 0, "20000 stacks: ids stable across growth");
	is_int(wp_stacks__count(t), 20000, "20000 stacks counted");
	wp_stacks__free(t);
}

static void test_ksyms(void)
{
	char path[] = "/tmp/wp-ksyms-test.XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	struct wp_ksyms *ks;
	const struct wp_ksym_ent *e;
	long i;

	fputs("ffffffff81000000 T _stext\n"
	      "ffffffff81000100 t helper\n"
	      "ffffffff81000100 T helper_alias\n"
	      "ffffffff81000200 D some_data\n"
	      "ffffffff81000300 T last_core\n"
	      "ffffffffc0001000 t mod_fn\t[mymod]\n"
	      "ffffffffc0001080 t mod_fn2\t[mymod]\n", f);
	fclose(f);
	ok(!wp_ksyms__load(path, &ks), "a kallsyms file loads");
	is_int(wp_ksyms__count(ks), 5, "functions only, aliases merged");
	i = wp_ksyms__find(ks, 0xffffffff81000150ull);
	e = wp_ksyms__get(ks, i);
	ok(e && e->start == 0xffffffff81000100ull, "an address inside a function finds it");
	is_str(e ? wp_ksyms__name(ks, e) : NULL, "helper", "the first name of an address wins");
	is_int(e ? e->size : 0, 0x200, "size runs to the next function (data skipped)");
	i = wp_ksyms__find(ks, 0xffffffffc0001090ull);
	e = wp_ksyms__get(ks, i);
	is_str(e ? wp_ksyms__module(ks, e) : NULL, "mymod", "module names are kept");
	ok(wp_ksyms__find(ks, 0xffffffff80000000ull) < 0, "below every symbol: not found");
	ok(!wp_ksyms__hidden(ks), "addresses are visible");
	wp_ksyms__free(ks);

	f = fopen(path, "w");
	fputs("0000000000000000 T _stext\n0000000000000000 T foo\n", f);
	fclose(f);
	ok(!wp_ksyms__load(path, &ks) && wp_ksyms__hidden(ks), "all-zero addresses: hidden");
	ok(wp_ksyms__find(ks, 0x1234) < 0, "and nothing resolves");
	wp_ksyms__free(ks);
	unlink(path);
}

static void test_u64map(void)
{
	struct wp_map m;
	uint64_t i, bad = 0, *v;

	wp_map__init(&m);
	ok(wp_map__ref(&m, 1) == NULL, "empty map: no key");
	for (i = 0; i < 100000; i++)
		if (wp_map__put(&m, i * 7919, i))
			bad++;
	wp_map__put(&m, 7919, 12345);
	for (i = 0; i < 100000; i++) {
		v = wp_map__ref(&m, i * 7919);
		if (!v || *v != (i == 1 ? 12345 : i))
			bad++;
	}
	is_int(bad, 0, "100000 keys put and found, overwrite kept");
	is_int(m.n, 100000, "length counts keys once");
	wp_map__release(&m);
}

static void test_procmaps(void)
{
	struct wp_buildid_cache *c = wp_buildid_cache__new();
	struct wp_map_list l;
	const struct wp_procmap *m;
	uint8_t bid[WP_BUILD_ID_MAX];
	void *jit;
	int len;

	/* anonymous executable memory, as a JIT makes */
	jit = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	wp_map_list__init(&l);
	ok(!wp_procmaps__read(getpid(), c, &l), "this process's mappings read");
	m = wp_map_list__find(&l, (uint64_t)(uintptr_t)&test_procmaps);
	ok(m && m->path[0] == '/' && !m->anon, "the code of this test is in a file mapping");
	len = wp_elf_path_build_id("/proc/self/exe", bid, sizeof(bid));
	ok(len > 0 && m && m->build_id_len == len && !memcmp(m->build_id, bid, len),
	   "with the executable's build-id (%d bytes)", len);
	m = wp_map_list__find(&l, (uint64_t)(uintptr_t)jit);
	ok(jit != MAP_FAILED && m && m->anon && m->build_id_len == 0,
	   "anonymous executable memory is flagged");
	ok(wp_map_list__find(&l, 0) == NULL, "address 0 is in no mapping");
	ok(wp_procmaps__read(999999999, c, &l) == -ESRCH, "a missing process: -ESRCH");
	wp_map_list__release(&l);
	wp_buildid_cache__free(c);
	munmap(jit, 4096);
}

int main(void)
{
	struct wp_stacks *t = wp_stacks__new();

	test_dedup(t, "xxh3");
	is_int(wp_stacks__collisions(t), 0, "xxh3: no collision among 6 stacks");
	wp_stacks__free(t);

	t = wp_stacks__new();
	wp_stacks__set_hash(t, const_hash);
	test_dedup(t, "every hash equal");
	ok(wp_stacks__collisions(t) > 0, "collisions were seen and told apart (%llu)",
	   (unsigned long long)wp_stacks__collisions(t));
	wp_stacks__free(t);

	test_many();
	test_ksyms();
	test_u64map();
	test_procmaps();
	return done_testing();
}
