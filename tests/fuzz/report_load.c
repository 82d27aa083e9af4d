// SPDX-License-Identifier: MIT
/*
 * Fuzz target for the analysis library (what wp-report and wp-convert do
 * with a file): load, resolve, rank functions, write folded stacks.
 *
 * Each input is used twice:
 *  1. as a whole .wpd file;
 *  2. as a record stream ({u32 type, u32 size, payload}...) written into
 *     a valid file with wpd_writer, so that arbitrary records (ids that
 *     point nowhere, huge counts, odd mappings and kernel symbols) reach
 *     the profile model past the reader's checksums.
 * Nothing may crash, leak or read out of bounds; what the loader returns
 * must be consistent (every sample in exactly one group; the folded
 * output adds up to the selected samples; off-CPU time adds up the same
 * in the groups, the threads and the views; thread accounting stays
 * within bounds).
 *
 * With -DWP_FUZZ_REPLAY (the normal build) replay_main.inc supplies a
 * main() that replays synthesised and saved inputs; with FUZZ=1 this is a
 * libFuzzer binary.
 */
#include "common/log.h"
#include "format/wpd.h"
#include "report/filter.h"
#include "report/folded.h"
#include "report/profile.h"
#include "report/top.h"
#include "report/wallclock.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
	abort(); } } while (0)

static int memfd(void)
{
	static int fd = -1;

	if (fd < 0) {
		fd = memfd_create("report-fuzz", MFD_CLOEXEC);
		CHECK(fd >= 0);
	}
	CHECK(ftruncate(fd, 0) == 0);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	return fd;
}

static void put_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = write(fd, p, n);

		CHECK(r > 0);
		p += r;
		n -= (size_t)r;
	}
}

static uint64_t sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Off-CPU and threads: the same time seen three ways. */
static void analyse_wallclock(struct wp_profile *p, FILE *out)
{
	const struct wp_sched_totals *tot = wp_profile__totals(p);
	struct wp_folded_opts fo = { .kinds = 1u << WP_EVENT_OFFCPU, .unit = WP_UNIT_NS };
	struct wp_top_opts to = { .unit = WP_UNIT_NS, .kinds = 1u << WP_EVENT_OFFCPU };
	struct wp_offcpu_view v;
	struct wp_folded_stats st;
	struct wp_filter f;
	struct wp_json j;
	struct wp_top t;
	uint64_t off = 0, th_off = 0, on = 0;
	size_t i;

	for (i = 0; i < wp_profile__ngroups(p); i++) {
		const struct wp_group *g = wp_profile__group(p, i);

		CHECK(g->kind < WP_EVENT_KIND_MAX && g->reason < WP_OFF_NREASONS);
		CHECK(g->runq_ns <= g->weight || g->weight == UINT64_MAX);
		if (g->kind == WP_EVENT_OFFCPU)
			off = sat(off, g->weight);
	}
	for (i = 0; i < wp_profile__nthreads(p); i++) {
		const struct wp_thread_acct *th = wp_profile__thread(p, i);

		th_off = sat(th_off, th->offcpu_ns);
		on = sat(on, th->oncpu_ns);
		CHECK(isnan(th->coverage) || (th->coverage >= 0 && th->coverage <= 1));
		CHECK(!th->lifetime_known || th->end_ns >= th->start_ns);
		CHECK(th->unaccounted_ns <= th->lifetime_ns);
	}
	CHECK(off == th_off && off == tot->offcpu_ns && on == tot->oncpu_ns);
	CHECK(wp_offcpu_view__compute(p, NULL, &v) == 0);
	CHECK(v.total_ns == off);
	wp_offcpu_view__text(p, &v, 5, out);
	wp_json__init(&j, out);
	wp_json__begin_object(&j);
	wp_offcpu_view__json(p, &v, 0, &j);
	wp_threads__json(p, NULL, &j);
	wp_json__end_object(&j);
	CHECK(wp_json__finish(&j) == 0);
	wp_threads__text(p, NULL, out);
	wp_offcpu_view__release(&v);
	if (off < UINT64_MAX / 4) {
		CHECK(wp_folded_write(p, &fo, out, &st) == 0);
		CHECK(st.total == off);
		CHECK(wp_top__compute(p, &to, &t) == 0);
		CHECK(t.weight == off);
		wp_top__release(&t);
	}
	fo.kinds = 0;
	fo.per_thread = true;
	fo.unit = WP_UNIT_SAMPLES;
	CHECK(wp_folded_write(p, &fo, out, &st) == 0);
	fo.unit = WP_UNIT_MS;
	CHECK(wp_folded_write(p, &fo, out, &st) == 0);
	wp_filter__init(&f);
	CHECK(wp_filter__add_tids(&f, "11,12") == 0);
	CHECK(wp_filter__add_comm(&f, "worker") == 0);
	CHECK(wp_offcpu_view__compute(p, &f, &v) == 0);
	CHECK(v.total_ns <= off);
	wp_offcpu_view__release(&v);
	wp_threads__text(p, &f, out);
	wp_filter__release(&f);
}

static void analyse(int fd)
{
	struct wp_profile *p = NULL;
	struct wp_top_opts to = { .sort = WP_SORT_TOTAL, .kinds = 1u << WP_EVENT_ONCPU };
	struct wp_folded_opts fo = { .kinds = 1u << WP_EVENT_ONCPU };
	struct wp_folded_stats st;
	struct wp_filter f;
	struct wp_top t;
	char path[64], err[256];
	uint64_t sum = 0;
	size_t i;
	FILE *out;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (wp_profile__load(path, NULL, &p, err, sizeof(err)))
		return;
	for (i = 0; i < wp_profile__ngroups(p); i++)
		if (wp_profile__group(p, i)->kind == WP_EVENT_ONCPU)
			sum += wp_profile__group(p, i)->count;
	CHECK(sum == wp_profile__read(p)->samples);
	if (wp_profile__unwind(p)) {
		const struct wp_unwind_stats *us = wp_profile__unwind(p);
		uint64_t n = 0;

		for (i = 0; i < WP_UNWIND_NREASONS; i++)
			n += us->reasons[i];
		CHECK(n == us->dumps && us->frames <= us->dumps * WP_UNWIND_MAX_FRAMES);
	}
	CHECK(wp_profile__resolve(p, NULL) == 0);
	CHECK(wp_top__compute(p, &to, &t) == 0);
	CHECK(t.events == sum);
	for (i = 0; i < t.nfuncs; i++)
		CHECK(t.funcs[i].self <= t.funcs[i].total && t.funcs[i].total <= sum);
	wp_top__release(&t);

	out = fopen("/dev/null", "w");
	CHECK(out);
	CHECK(wp_folded_write(p, &fo, out, &st) == 0);
	CHECK(st.total == sum);
	wp_filter__init(&f);
	CHECK(wp_filter__add_pids(&f, "10,100") == 0);
	CHECK(wp_filter__add_comm(&f, "main") == 0);
	fo.filter = &f;
	to.filter = &f;
	to.sort = WP_SORT_SELF;
	CHECK(wp_folded_write(p, &fo, out, &st) == 0);
	CHECK(wp_top__compute(p, &to, &t) == 0);
	CHECK(t.events == st.total);
	wp_top__release(&t);
	wp_filter__release(&f);
	analyse_wallclock(p, out);
	fclose(out);
	wp_profile__free(p);
}

static void as_file(const uint8_t *data, size_t size)
{
	int fd = memfd();

	put_all(fd, data, size);
	analyse(fd);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void as_records(const uint8_t *data, size_t size)
{
	struct wpd_writer_opts opts = { .compat_flags = WPD_FEAT_ONCPU, .block_target = 4096 };
	struct wpd_writer *w;
	int fd = memfd();
	size_t off = 0;

	CHECK(wpd_writer__new(fd, &opts, &w) == 0);
	while (off + 8 <= size) {
		uint32_t type = get_u32(data + off), len = get_u32(data + off + 4);

		off += 8;
		if (len > size - off)
			len = (uint32_t)(size - off);
		/* refused records (too big) are simply not written */
		(void)wpd_writer__add(w, type, data + off, len);
		off += len;
	}
	(void)wpd_writer__close(w);
	analyse(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	wp_log_verbosity = -1; /* damage is expected: no warnings */
	as_file(data, size);
	as_records(data, size);
	return 0;
}

#ifdef WP_FUZZ_REPLAY
#include "replay_main.inc"
#endif
