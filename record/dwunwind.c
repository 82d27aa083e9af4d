/* SPDX-License-Identifier: MIT */
#include "record/dwunwind.h"
#include "record/symcap.h"
#include "common/u64map.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <time.h>

struct wp_dwunwind {
	struct wp_unwinder *uw;
	struct wp_map told; /* hash(pid, gen) -> maps_seq + 1 told to its space */
	struct wp_dwunwind_stats st;
	struct utsname un;
};

/* The cost to the machine: the recorder's CPU time, not the wall-clock
 * time (which counts the preemptions of a loaded machine too). */
static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int open_kept(void *ctx, const char *path, const uint8_t *bid, size_t len)
{
	return wp_symcap__open(ctx, path, bid, len);
}

struct wp_dwunwind *wp_dwunwind__new(struct wp_symcap *c)
{
	struct wp_dwunwind *u = calloc(1, sizeof(*u));
	/* a system-wide recording samples many processes at once: more address
	 * spaces than the reader keeps (remaking one costs its modules again) */
	struct wp_unwinder_opts uo = { .open_bin = open_kept, .open_ctx = c, .max_spaces = 128 };

	if (!u)
		return NULL;
	/* the recording machine's own vDSO is the one mapped */
	if (!uname(&u->un)) {
		uo.kernel_release = u->un.release;
		uo.arch = u->un.machine;
	}
	wp_map__init(&u->told);
	u->uw = wp_unwinder__new(&uo);
	if (!u->uw) {
		wp_dwunwind__free(u);
		return NULL;
	}
	return u;
}

void wp_dwunwind__free(struct wp_dwunwind *u)
{
	if (!u)
		return;
	wp_unwinder__free(u->uw);
	wp_map__release(&u->told);
	free(u);
}

const struct wp_dwunwind_stats *wp_dwunwind__stats(const struct wp_dwunwind *u)
{
	return &u->st;
}

static uint64_t space_key(uint32_t pid, uint64_t gen)
{
	uint64_t x = gen * 0x9e3779b97f4a7c15ull ^ pid;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	return x ^ x >> 29;
}

int wp_dwunwind__run(struct wp_dwunwind *u, uint32_t pid, uint64_t gen,
		     const struct wp_map_list *maps, uint64_t maps_seq,
		     const struct wpd_ustack_dump *d, uint64_t *pcs, size_t max, size_t *n)
{
	uint64_t t0 = cpu_ns(), key = space_key(pid, gen), *told;
	struct wp_uspace *s;
	bool is_new;
	size_t i;
	int reason;

	*n = 0;
	s = wp_unwinder__space(u->uw, pid, gen, &is_new);
	if (!s)
		return -ENOMEM;
	told = wp_map__ref(&u->told, key);
	/* a new (or evicted and made again) space, or mappings added since:
	 * tell it every mapping (those it knows are ignored) */
	if (is_new || !told || *told != maps_seq + 1) {
		for (i = 0; i < maps->n; i++) {
			const struct wp_procmap *m = &maps->v[i];
			struct wp_umap um = {
				.start = m->start, .end = m->end, .pgoff = m->pgoff,
				.path = m->path ? m->path : "",
				.build_id = m->build_id, .build_id_len = m->build_id_len,
			};

			if (wp_uspace__add_map(s, &um))
				return -ENOMEM;
		}
		if (wp_map__put(&u->told, key, maps_seq + 1))
			return -ENOMEM;
	}
	reason = wp_uspace__unwind(s, d, pcs, max, n);
	if (reason < 0)
		return reason;
	u->st.stacks++;
	u->st.reasons[reason < WP_UNWIND_NREASONS ? reason : WP_UNWIND_OTHER]++;
	u->st.frames += *n;
	u->st.ns += cpu_ns() - t0;
	return reason;
}
