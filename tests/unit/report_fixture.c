// SPDX-License-Identifier: MIT
/*
 * Test fixtures for the offline tools: .wpd files with KNOWN content,
 * written with libwpd's writer. They exist for tests only.
 *
 * The user-space frames are real addresses of this very program (the
 * fx_* functions below), with its real mapping from /proc/self/maps and
 * its real build-id (read from memory with dl_iterate_phdr), so that
 * wp-report and wp-convert resolve them from this binary on disk. A
 * second process maps the same binary under a wrong build-id, so its
 * frames must stay unnamed.
 *
 * Run by prove, it writes the fixtures to a temporary directory and
 * checks the analysis library on them. With WP_FIXTURE_DIR=DIR it writes
 * them to DIR and keeps them (the tests in tests/offline do that); with
 * WP_FIXTURE_BIG=N it also writes big.wpd with N samples (benchmarks).
 *
 * full.wpd (469 samples; every count below is asserted by the tests):
 *   pid 100 tid 100 "fx-main"        fx_main;fx_a;fx_b x200, fx_main;fx_c x100
 *   pid 100 tid 101 "fx;worker\nx"   fx_main;fx_a;fx_kentry[k];fx_kinner[k] x50
 *   pid 100 tid 102 "before"/"after" fx_main;fx_rec;fx_rec;fx_rec x10 / x20
 *                                     (renamed at T0 + 1 s)
 *   pid 200 tid 200 "fx-mismatch"    the same binary, wrong build-id: x40
 *   pid 300 tid 300 "fx-kthread"     kernel only, one unknown kernel IP,
 *                                     a module symbol, a name with ';' and
 *                                     a newline: x30
 *   pid 400 tid 400 "fx-exec"        fx_main;fx_c x7, then exec to a
 *                                     binary that does not exist: x3
 *   pid 500 tid 500 "fx-nostack"     no stack x5, an undefined stack x4
 * simple.wpd: pid 100 tid 100 only (fx_b self 2/3, fx_c self 1/3).
 * unfinished.wpd: simple.wpd without its FINISH record.
 * unknown.wpd: simple.wpd plus one record of a type from the future.
 * renames.wpd: thread names out of time order, repeated, and renamed back.
 * sched.wpd: scheduler data (off-CPU intervals, aggregates, TASK and
 *   THREAD_TIME records) with exact, known numbers: see write_sched().
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <link.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/wpd.h"
#include "report/filter.h"
#include "report/folded.h"
#include "report/profile.h"
#include "report/top.h"
#include "report/wallclock.h"
#include "common/log.h"
#include "tests/lib/tap.h"

/* ---- the functions the fixture stacks name ---------------------------- */

static volatile unsigned long fx_sink;

#define FX_FUNC(name, k)                                                     \
	__attribute__((noipa, noinline, used)) void name(void);              \
	__attribute__((noipa, noinline, used)) void name(void)               \
	{                                                                    \
		for (unsigned long i = 0; i < (k); i++)                      \
			fx_sink += i * (k) ^ (fx_sink >> 3);                 \
		__asm__ volatile("" ::: "memory");                           \
	}

FX_FUNC(fx_main, 3)
FX_FUNC(fx_a, 5)
FX_FUNC(fx_b, 7)
FX_FUNC(fx_c, 11)
FX_FUNC(fx_rec, 13)

/* a leaf IP inside f, and a return address inside f */
#define LEAF(f) ((uint64_t)(uintptr_t)(f) + 2)
#define RET(f)  ((uint64_t)(uintptr_t)(f) + 6)

#define T0 1000000000000ull /* CLOCK_MONOTONIC of the fixture "recording" */
#define SEC 1000000000ull

#define K_ENTRY 0xffffffff81000000ull
#define K_INNER 0xffffffff81000100ull
#define K_SEMI  0xffffffff81000200ull
#define K_MOD   0xffffffffc0000000ull
#define K_NONE  0xffffffff82000000ull

enum str_id {
	STR_EXE = 1, STR_MAIN, STR_WORKER, STR_BEFORE, STR_AFTER, STR_MISMATCH,
	STR_KTHREAD, STR_EXEC, STR_NOSTACK, STR_AFTER_PATH, STR_KENTRY, STR_KINNER,
	STR_KSEMI, STR_KMOD, STR_MODNAME,
};

struct self_map {
	uint64_t start, end, pgoff;
	char path[4096];
	uint8_t build_id[WPD_BUILD_ID_MAX];
	uint8_t build_id_len;
};

static struct self_map self;

static int find_build_id(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct self_map *m = arg;
	int i;

	(void)size;
	/* the first object is the main program */
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *p, *end;

		if (ph->p_type != PT_NOTE)
			continue;
		p = (const char *)(info->dlpi_addr + ph->p_vaddr);
		end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *nh = (const void *)p;
			const char *name = p + sizeof(*nh);
			const char *desc = name + ((nh->n_namesz + 3) & ~3u);

			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    memcmp(name, "GNU", 4) == 0) {
				m->build_id_len = nh->n_descsz > WPD_BUILD_ID_MAX ?
					WPD_BUILD_ID_MAX : (uint8_t)nh->n_descsz;
				memcpy(m->build_id, desc, m->build_id_len);
				return 1;
			}
			p = desc + ((nh->n_descsz + 3) & ~3u);
		}
	}
	return 1;
}

/* The executable mapping of this program that holds the fx_* code. */
static int find_self(void)
{
	uint64_t addr = (uintptr_t)fx_main;
	char line[4096 + 256];
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e, off;
		char perms[8];
		int pos = 0;

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &s, &e, perms, &off, &pos) < 4)
			continue;
		if (addr < s || addr >= e)
			continue;
		self.start = s;
		self.end = e;
		self.pgoff = off;
		line[strcspn(line, "\n")] = '\0';
		snprintf(self.path, sizeof(self.path), "%s", line + pos);
		break;
	}
	fclose(f);
	if (!self.path[0])
		return -ENOENT;
	dl_iterate_phdr(find_build_id, &self);
	return 0;
}

/* ---- writing ----------------------------------------------------------- */

struct fx {
	struct wpd_writer *w;
	struct wpd_buf b;
	struct wpd_samples_builder sb;
	int fd;
	int err;
};

static void add(struct fx *x, uint32_t type)
{
	int ret = wpd_writer__add_buf(x->w, type, &x->b);

	if (ret && !x->err)
		x->err = ret;
}

static void str(struct fx *x, uint32_t id, const char *s)
{
	wpd_encode_string(&x->b, id, s, (uint32_t)strlen(s));
	add(x, WPD_REC_STRING);
}

static void stack(struct fx *x, uint32_t id, uint32_t flags, const uint64_t *k,
		  uint16_t nk, const uint64_t *u, uint16_t nu)
{
	wpd_encode_stack(&x->b, id, flags, k, nk, u, nu);
	add(x, WPD_REC_STACK);
}

static void thread(struct fx *x, uint64_t t, uint32_t pid, uint32_t tid, uint32_t comm)
{
	struct wpd_thread th = { .time_ns = t, .pid = pid, .tid = tid, .comm_str = comm };

	wpd_encode_thread(&x->b, &th);
	add(x, WPD_REC_THREAD);
}

static void mmap_rec(struct fx *x, uint64_t t, uint32_t pid, uint32_t path,
		     const uint8_t *bid, uint8_t bid_len)
{
	struct wpd_mmap m = {
		.time_ns = t, .pid = pid, .start = self.start, .end = self.end,
		.pgoff = self.pgoff, .path_str = path,
	};

	if (bid_len) {
		m.flags = WPD_MMAP_BUILD_ID;
		m.build_id_len = bid_len;
		memcpy(m.build_id, bid, bid_len);
	}
	wpd_encode_mmap(&x->b, &m);
	add(x, WPD_REC_MMAP);
}

static void ksym(struct fx *x, uint64_t start, uint32_t size, uint32_t name, uint32_t mod)
{
	struct wpd_ksym k = { .start = start, .size = size, .name_str = name, .module_str = mod };

	wpd_encode_ksym(&x->b, &k);
	add(x, WPD_REC_KSYM);
}

/* n samples of (pid, tid, stack) from time t, 1 ms apart, in one batch */
static void samples(struct fx *x, uint32_t pid, uint32_t tid, uint32_t stack_id,
		    uint32_t n, uint64_t t)
{
	uint32_t i;

	wpd_samples_builder__reset(&x->sb);
	for (i = 0; i < n; i++) {
		struct wpd_sample s = {
			.time_ns = t + i * 1000000ull, .pid = pid, .tid = tid,
			.cpu = i % 4, .stack_id = stack_id,
		};

		wpd_samples_builder__add(&x->sb, &s);
	}
	wpd_samples_builder__finish(&x->sb);
	if (wpd_writer__add_buf(x->w, WPD_REC_SAMPLES, &x->sb.buf) && !x->err)
		x->err = -EIO;
}

static int fx_open_flags(struct fx *x, const char *dir, const char *name,
			 size_t block_target, uint64_t compat)
{
	struct wpd_writer_opts wo = {
		.compat_flags = compat,
		.block_target = block_target,
	};
	char path[4096];

	memset(x, 0, sizeof(*x));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	x->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (x->fd < 0)
		return -errno;
	wpd_buf__init(&x->b);
	wpd_samples_builder__init(&x->sb);
	return wpd_writer__new(x->fd, &wo, &x->w);
}

static int fx_open(struct fx *x, const char *dir, const char *name, size_t block_target)
{
	return fx_open_flags(x, dir, name, block_target, WPD_FEAT_ONCPU | WPD_FEAT_KSYMS);
}

static int fx_close(struct fx *x)
{
	int ret = wpd_writer__close(x->w);

	wpd_buf__release(&x->b);
	wpd_samples_builder__release(&x->sb);
	if (close(x->fd) && !ret)
		ret = -errno;
	return x->err ? x->err : ret;
}

static void meta(struct fx *x)
{
	wpd_buf__reset(&x->b);
	wpd_kv__put_str(&x->b, WPD_META_HOSTNAME, "fixture-host");
	wpd_kv__put_str(&x->b, WPD_META_KERNEL, "6.1.0-fixture");
	wpd_kv__put_str(&x->b, WPD_META_ARCH, "x86_64");
	wpd_kv__put_u64(&x->b, WPD_META_START_REALTIME, 1700000000123456789ull);
	wpd_kv__put_u64(&x->b, WPD_META_START_MONO, T0);
	wpd_kv__put_str(&x->b, WPD_META_CMDLINE, "wp-record -o fixture.wpd -- fixture");
	wpd_kv__put_str(&x->b, WPD_META_TARGET, "command fixture");
	wpd_kv__put_u64(&x->b, WPD_META_FREQ, 99);
	wpd_kv__put_u64(&x->b, WPD_META_NCPUS, 4);
	wpd_kv__put_str(&x->b, WPD_META_WP_VERSION, "0.1.0-fixture");
	wpd_kv__put_str(&x->b, WPD_META_CALL_GRAPH, "fp");
	add(x, WPD_REC_META);
}

static void stats(struct fx *x, uint32_t type, uint64_t nsamples, uint64_t lost_rb)
{
	wpd_buf__reset(&x->b);
	wpd_kv__put_u64(&x->b, WPD_STAT_SAMPLES, nsamples);
	wpd_kv__put_u64(&x->b, "lost.ringbuf_full", lost_rb);
	wpd_kv__put_u64(&x->b, "lost.stack_errors", 2);
	if (type == WPD_REC_FINISH) {
		wpd_kv__put_u64(&x->b, WPD_STAT_DURATION, 2 * SEC);
		wpd_kv__put_i64(&x->b, WPD_STAT_EXIT_STATUS, 0);
	}
	add(x, type);
}

/* The stacks of pid 100 (ids 1, 2) and their strings: shared by all files. */
static void simple_body(struct fx *x)
{
	const uint64_t s1[] = { LEAF(fx_b), RET(fx_a), RET(fx_main) };
	const uint64_t s2[] = { LEAF(fx_c), RET(fx_main) };

	str(x, STR_EXE, self.path);
	str(x, STR_MAIN, "fx-main");
	stack(x, 1, 0, NULL, 0, s1, 3);
	stack(x, 2, 0, NULL, 0, s2, 2);
	mmap_rec(x, T0, 100, STR_EXE, self.build_id, self.build_id_len);
	samples(x, 100, 100, 1, 200, T0 + SEC / 10);
	samples(x, 100, 100, 2, 100, T0 + SEC / 2);
	/* the thread's name arrives after its samples, as when first seen late */
	thread(x, T0 + SEC, 100, 100, STR_MAIN);
}

static int write_simple(const char *dir, const char *name, bool finish, bool unknown)
{
	struct fx x;
	int ret = fx_open(&x, dir, name, 0);

	if (ret)
		return ret;
	meta(&x);
	simple_body(&x);
	if (unknown) {
		static const char future[] = "a record from a newer wp";

		if (wpd_writer__add(x.w, 4000, future, sizeof(future)) && !x.err)
			x.err = -EIO;
	}
	stats(&x, WPD_REC_STATS, 300, 0);
	if (finish)
		stats(&x, WPD_REC_FINISH, 300, 0);
	return fx_close(&x);
}

static int write_full(const char *dir)
{
	static const uint8_t wrong_id[WPD_BUILD_ID_MAX] = {
		0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
		0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
	};
	const uint64_t s3k[] = { K_INNER + 0x10, K_ENTRY + 0x20 };
	const uint64_t s3u[] = { LEAF(fx_a), RET(fx_main) };
	const uint64_t s4[] = { LEAF(fx_rec), RET(fx_rec), RET(fx_rec), RET(fx_main) };
	const uint64_t s5k[] = { K_SEMI + 4, K_MOD + 8, K_NONE };
	const uint64_t s6[] = { LEAF(fx_b), RET(fx_a), RET(fx_main), 0x10 };
	struct fx x;
	int ret;

	/* small blocks: cutting the file anywhere leaves complete blocks */
	ret = fx_open(&x, dir, "full.wpd", 512);
	if (ret)
		return ret;
	meta(&x);
	simple_body(&x);

	str(&x, STR_WORKER, "fx;worker\nx");
	str(&x, STR_BEFORE, "before");
	str(&x, STR_AFTER, "after");
	str(&x, STR_MISMATCH, "fx-mismatch");
	str(&x, STR_KTHREAD, "fx-kthread");
	str(&x, STR_EXEC, "fx-exec");
	str(&x, STR_NOSTACK, "fx-nostack");
	str(&x, STR_AFTER_PATH, "/nonexistent/fx-after");
	str(&x, STR_KENTRY, "fx_kentry");
	str(&x, STR_KINNER, "fx_kinner");
	str(&x, STR_KSEMI, "fx;semi\nnl");
	str(&x, STR_KMOD, "fx_modfunc");
	str(&x, STR_MODNAME, "fxmod");
	ksym(&x, K_ENTRY, 0x100, STR_KENTRY, 0);
	ksym(&x, K_INNER, 0x100, STR_KINNER, 0);
	ksym(&x, K_SEMI, 0x10, STR_KSEMI, 0);
	ksym(&x, K_MOD, 0x40, STR_KMOD, STR_MODNAME);

	stack(&x, 3, 0, s3k, 2, s3u, 2);
	stack(&x, 4, 0, NULL, 0, s4, 4);
	stack(&x, 5, WPD_STACK_NO_USER, s5k, 3, NULL, 0);
	stack(&x, 6, 0, NULL, 0, s6, 4);

	/* tid 101: kernel frames under user ones */
	samples(&x, 100, 101, 3, 50, T0 + SEC / 10);
	thread(&x, T0, 100, 101, STR_WORKER);

	/* tid 102 renames itself at T0 + 1 s; the records come first */
	thread(&x, T0, 100, 102, STR_BEFORE);
	thread(&x, T0 + SEC, 100, 102, STR_AFTER);
	samples(&x, 100, 102, 4, 10, T0 + SEC / 2);
	samples(&x, 100, 102, 4, 20, T0 + 3 * SEC / 2);

	/* pid 200: the same file, recorded with another build-id */
	thread(&x, T0, 200, 200, STR_MISMATCH);
	mmap_rec(&x, T0, 200, STR_EXE, wrong_id, sizeof(wrong_id));
	samples(&x, 200, 200, 6, 40, T0 + SEC / 10);

	/* pid 300: a kernel thread */
	thread(&x, T0, 300, 300, STR_KTHREAD);
	samples(&x, 300, 300, 5, 30, T0 + SEC / 10);

	/* pid 400 execs at T0 + 1 s into a binary that is not there */
	thread(&x, T0, 400, 400, STR_EXEC);
	mmap_rec(&x, T0, 400, STR_EXE, self.build_id, self.build_id_len);
	{
		struct wpd_mmap_reset r = { .time_ns = T0 + SEC, .pid = 400 };

		wpd_encode_mmap_reset(&x.b, &r);
		add(&x, WPD_REC_MMAP_RESET);
	}
	mmap_rec(&x, T0 + SEC, 400, STR_AFTER_PATH, NULL, 0);
	samples(&x, 400, 400, 2, 7, T0 + SEC / 5);
	samples(&x, 400, 400, 2, 3, T0 + 3 * SEC / 2);

	/* pid 500: no stack, and a stack id never defined */
	thread(&x, T0, 500, 500, STR_NOSTACK);
	samples(&x, 500, 500, 0, 5, T0 + SEC / 10);
	samples(&x, 500, 500, 999, 4, T0 + SEC / 10);

	stats(&x, WPD_REC_STATS, 400, 3);
	stats(&x, WPD_REC_FINISH, 469, 7);
	return fx_close(&x);
}

/*
 * renames.wpd: thread names arriving out of time order and repeated.
 * tid 103: "late" at T0 + 2 s is written before "early" at T0; "early"
 * is repeated at T0 + 1 s (no change). tid 104 is renamed back and forth.
 */
static int write_renames(const char *dir)
{
	const uint64_t s2[] = { LEAF(fx_c), RET(fx_main) };
	struct fx x;
	int ret = fx_open(&x, dir, "renames.wpd", 0);

	if (ret)
		return ret;
	meta(&x);
	str(&x, STR_EXE, self.path);
	str(&x, 20, "early");
	str(&x, 21, "late");
	str(&x, 22, "a");
	str(&x, 23, "b");
	stack(&x, 2, 0, NULL, 0, s2, 2);
	mmap_rec(&x, T0, 100, STR_EXE, self.build_id, self.build_id_len);
	thread(&x, T0 + 2 * SEC, 100, 103, 21);
	thread(&x, T0, 100, 103, 20);
	thread(&x, T0 + SEC, 100, 103, 20);
	samples(&x, 100, 103, 2, 6, T0 + SEC / 2);   /* early */
	samples(&x, 100, 103, 2, 4, T0 + 5 * SEC / 2); /* late */
	thread(&x, T0, 100, 104, 22);
	thread(&x, T0 + SEC, 100, 104, 23);
	thread(&x, T0 + 2 * SEC, 100, 104, 22);
	samples(&x, 100, 104, 2, 1, T0 + SEC / 2);     /* a */
	samples(&x, 100, 104, 2, 2, T0 + 3 * SEC / 2); /* b */
	samples(&x, 100, 104, 2, 3, T0 + 5 * SEC / 2); /* a again */
	stats(&x, WPD_REC_FINISH, 16, 0);
	return fx_close(&x);
}

static void check_renames(const char *dir)
{
	static const struct {
		uint32_t tid;
		const char *comm;
		uint64_t count;
	} want[] = {
		{ 103, "early", 6 }, { 103, "late", 4 }, { 104, "a", 4 }, { 104, "b", 2 },
	};
	char path[4096], err[256];
	struct wp_profile *p;
	size_t i, k;

	snprintf(path, sizeof(path), "%s/renames.wpd", dir);
	if (!ok(wp_profile__load(path, NULL, &p, err, sizeof(err)) == 0, "renames.wpd loads"))
		return;
	ok(wp_profile__resolve(p, NULL) == 0, "renames.wpd resolves");
	for (k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		uint64_t n = 0;

		for (i = 0; i < wp_profile__ngroups(p); i++) {
			const struct wp_group *g = wp_profile__group(p, i);

			if (g->tid == want[k].tid && strcmp(g->comm, want[k].comm) == 0)
				n += g->count;
		}
		is_int(n, want[k].count, "tid %u named %s: %" PRIu64 " samples", want[k].tid,
		       want[k].comm, want[k].count);
	}
	wp_profile__free(p);
}

/* ---- sched.wpd: scheduler data with known numbers ----------------------- */

#define MS 1000000ull

enum sched_str {
	SSTR_A = 40, SSTR_B, SSTR_B2, SSTR_C, SSTR_KENTRY, SSTR_KINNER,
};

static void offcpu1(struct fx *x, struct wpd_offcpu_builder *ob, uint32_t pid, uint32_t tid,
		    uint64_t start, uint64_t dur, uint32_t stack_id, uint32_t reason,
		    uint64_t runq, uint32_t wpid, uint32_t wtid, uint32_t wstack)
{
	struct wpd_offcpu o = {
		.start_ns = start, .duration_ns = dur, .runq_ns = runq, .pid = pid,
		.tid = tid, .cpu = 1, .stack_id = stack_id, .reason = reason,
		.waker_pid = wpid, .waker_tid = wtid, .waker_stack_id = wstack,
	};

	if (wpd_offcpu_builder__add(ob, &o) < 0 && !x->err)
		x->err = -EINVAL;
}

static void agg1(struct fx *x, struct wpd_offcpu_agg_builder *ab, uint32_t pid, uint32_t tid,
		 uint64_t n, uint64_t total, uint32_t stack_id, uint32_t reason, uint64_t runq)
{
	struct wpd_offcpu_agg a = {
		.intervals = n, .total_ns = total, .runq_ns = runq, .pid = pid, .tid = tid,
		.stack_id = stack_id, .reason = reason,
	};

	if (wpd_offcpu_agg_builder__add(ab, &a) < 0 && !x->err)
		x->err = -EINVAL;
}

static void task(struct fx *x, uint64_t t, uint32_t kind, uint32_t pid, uint32_t tid,
		 uint32_t ppid, uint32_t ptid, uint32_t comm)
{
	struct wpd_task k = {
		.time_ns = t, .kind = kind, .pid = pid, .tid = tid, .parent_pid = ppid,
		.parent_tid = ptid, .comm_str = comm,
	};

	wpd_encode_task(&x->b, &k);
	add(x, WPD_REC_TASK);
}

static void thread_time(struct fx *x, uint32_t pid, uint32_t tid, uint64_t oncpu,
			uint64_t first, uint64_t last, uint32_t flags)
{
	struct wpd_thread_time tt = {
		.pid = pid, .tid = tid, .oncpu_ns = oncpu, .first_ns = first, .last_ns = last,
		.switches = 7, .flags = flags,
	};

	wpd_encode_thread_time(&x->b, &tt);
	add(x, WPD_REC_THREAD_TIME);
}

/*
 * sched.wpd, recording [T0, T0 + 1 s] at 99 Hz, min_block_ns 1 ms.
 * Stacks: 1 fx_main;fx_a;fx_b  2 fx_main;fx_c
 *         10 fx_main;fx_rec;fx_kentry[k];fx_kinner[k]  (sleeping)
 *         11 fx_main;fx_a;fx_kinner[k]                   (blocked)
 *         12 fx_main;fx_b;fx_c                            (B waking A)
 *
 * A  pid 600 tid 600 "fx-sched-a": THREAD_TIME [T0, T0+1000ms] on-CPU
 *    100 ms (an earlier snapshot says 40 ms: the last one wins), samples
 *    6 x stack 1 + 4 x stack 2 (calibrated: 10 ms each). Off-CPU 600 ms:
 *    unknown 20 (no stack), sleep 150 (stack 10, runq 3) + 5 aggregated
 *    50 (runq 2), blocked 300 (stack 11, runq 1, woken by B at stack 12),
 *    preempted 50 (stack 1; runq stored 0, counted 50), reason 9 (a newer
 *    minor's: other) 30 (stack 2). runq 56, unaccounted 300, coverage 0.7.
 * B  pid 600 tid 601: TASK THREAD at T0+200ms named "fx-sched-b", 5
 *    samples of stack 2 at T0+300ms, renamed "fx-sched-b2" at T0+500ms,
 *    sleep 100 ms (stack 10, woken by A at stack 2) from T0+550ms, exit
 *    at T0+700ms. No THREAD_TIME: on-CPU estimated 5 x 1e9/99 ns =
 *    50505051 ns; lifetime 500 ms; unaccounted 349494949 ns.
 * C  pid 700 tid 700 "fx-sched-c": THREAD_TIME [T0+100ms, T0+400ms]
 *    exited, on-CPU 30 ms, no samples; aggregated only: blocked 3
 *    intervals 268 ms (stack 11), preempted 1 interval 2 ms (stack 2).
 *    Coverage 1, unaccounted 0.
 */
static int write_sched(const char *dir)
{
	const uint64_t s1[] = { LEAF(fx_b), RET(fx_a), RET(fx_main) };
	const uint64_t s2[] = { LEAF(fx_c), RET(fx_main) };
	const uint64_t s10k[] = { K_INNER + 0x10, K_ENTRY + 0x20 };
	const uint64_t s10u[] = { LEAF(fx_rec), RET(fx_main) };
	const uint64_t s11k[] = { K_INNER + 0x30 };
	const uint64_t s11u[] = { LEAF(fx_a), RET(fx_main) };
	const uint64_t s12[] = { LEAF(fx_c), RET(fx_b), RET(fx_main) };
	struct wpd_offcpu_builder ob;
	struct wpd_offcpu_agg_builder ab;
	struct fx x;
	int ret = fx_open_flags(&x, dir, "sched.wpd", 0,
				WPD_FEAT_ONCPU | WPD_FEAT_OFFCPU | WPD_FEAT_KSYMS);

	if (ret)
		return ret;
	wpd_offcpu_builder__init(&ob);
	wpd_offcpu_agg_builder__init(&ab);
	meta(&x);
	wpd_buf__reset(&x.b);
	wpd_kv__put_u64(&x.b, WPD_META_OFF_CPU, 1);
	wpd_kv__put_u64(&x.b, WPD_META_MIN_BLOCK, 1 * MS);
	add(&x, WPD_REC_META);
	str(&x, STR_EXE, self.path);
	str(&x, SSTR_A, "fx-sched-a");
	str(&x, SSTR_B, "fx-sched-b");
	str(&x, SSTR_B2, "fx-sched-b2");
	str(&x, SSTR_C, "fx-sched-c");
	str(&x, SSTR_KENTRY, "fx_kentry");
	str(&x, SSTR_KINNER, "fx_kinner");
	ksym(&x, K_ENTRY, 0x100, SSTR_KENTRY, 0);
	ksym(&x, K_INNER, 0x100, SSTR_KINNER, 0);
	stack(&x, 1, 0, NULL, 0, s1, 3);
	stack(&x, 2, 0, NULL, 0, s2, 2);
	stack(&x, 10, 0, s10k, 2, s10u, 2);
	stack(&x, 11, 0, s11k, 1, s11u, 2);
	stack(&x, 12, 0, NULL, 0, s12, 3);
	mmap_rec(&x, T0, 600, STR_EXE, self.build_id, self.build_id_len);
	mmap_rec(&x, T0, 700, STR_EXE, self.build_id, self.build_id_len);
	thread(&x, T0, 600, 600, SSTR_A);
	thread(&x, T0, 700, 700, SSTR_C);
	task(&x, T0 + 100 * MS, WPD_TASK_FORK, 700, 700, 1, 1, SSTR_C);
	task(&x, T0 + 200 * MS, WPD_TASK_THREAD, 600, 601, 600, 600, SSTR_B);
	task(&x, T0 + 500 * MS, WPD_TASK_RENAME, 600, 601, 0, 0, SSTR_B2);

	samples(&x, 600, 600, 1, 6, T0 + 20 * MS);
	samples(&x, 600, 600, 2, 4, T0 + 30 * MS);
	samples(&x, 600, 601, 2, 5, T0 + 300 * MS);
	thread_time(&x, 600, 600, 40 * MS, T0, T0 + 500 * MS, 0); /* a snapshot */

	/* A's individual intervals, out of time order; then B's */
	offcpu1(&x, &ob, 600, 600, T0 + 400 * MS, 300 * MS, 11, WPD_OFF_BLOCKED, 1 * MS,
		600, 601, 12);
	offcpu1(&x, &ob, 600, 600, T0, 20 * MS, 0, WPD_OFF_UNKNOWN, 0, 0, 0, 0);
	offcpu1(&x, &ob, 600, 600, T0 + 120 * MS, 150 * MS, 10, WPD_OFF_SLEEP, 3 * MS, 0, 0, 0);
	offcpu1(&x, &ob, 600, 600, T0 + 700 * MS, 50 * MS, 1, WPD_OFF_PREEMPTED, 0, 0, 0, 0);
	offcpu1(&x, &ob, 600, 600, T0 + 750 * MS, 30 * MS, 2, 9, 0, 0, 0, 0);
	wpd_offcpu_builder__finish(&ob);
	if (wpd_writer__add_buf(x.w, WPD_REC_OFFCPU, &ob.buf) && !x.err)
		x.err = -EIO;
	wpd_offcpu_builder__reset(&ob);
	offcpu1(&x, &ob, 600, 601, T0 + 550 * MS, 100 * MS, 10, WPD_OFF_SLEEP, 0, 600, 600, 2);
	wpd_offcpu_builder__finish(&ob);
	if (wpd_writer__add_buf(x.w, WPD_REC_OFFCPU, &ob.buf) && !x.err)
		x.err = -EIO;
	task(&x, T0 + 700 * MS, WPD_TASK_EXIT, 600, 601, 0, 0, 0);

	/* short intervals: A's sleeps in one period, C's in another */
	agg1(&x, &ab, 600, 600, 5, 50 * MS, 10, WPD_OFF_SLEEP, 2 * MS);
	wpd_offcpu_agg_builder__finish(&ab, T0, T0 + 1000 * MS);
	if (wpd_writer__add_buf(x.w, WPD_REC_OFFCPU_AGG, &ab.buf) && !x.err)
		x.err = -EIO;
	wpd_offcpu_agg_builder__reset(&ab);
	agg1(&x, &ab, 700, 700, 2, 200 * MS, 11, WPD_OFF_BLOCKED, 0);
	agg1(&x, &ab, 700, 700, 1, 68 * MS, 11, WPD_OFF_BLOCKED, 0); /* the key again: adds */
	agg1(&x, &ab, 700, 700, 1, 2 * MS, 2, WPD_OFF_PREEMPTED, 0);
	wpd_offcpu_agg_builder__finish(&ab, T0 + 100 * MS, T0 + 400 * MS);
	if (wpd_writer__add_buf(x.w, WPD_REC_OFFCPU_AGG, &ab.buf) && !x.err)
		x.err = -EIO;
	task(&x, T0 + 400 * MS, WPD_TASK_EXIT, 700, 700, 0, 0, 0);

	thread_time(&x, 700, 700, 30 * MS, T0 + 100 * MS, T0 + 400 * MS, WPD_THREAD_TIME_EXITED);
	thread_time(&x, 600, 600, 100 * MS, T0, T0 + 1000 * MS, 0);
	wpd_buf__reset(&x.b);
	wpd_kv__put_u64(&x.b, WPD_STAT_SAMPLES, 15);
	wpd_kv__put_u64(&x.b, WPD_STAT_DURATION, 1000 * MS);
	wpd_kv__put_u64(&x.b, WPD_STAT_END_MONO, T0 + 1000 * MS);
	wpd_kv__put_u64(&x.b, WPD_STAT_OFFCPU_EVENTS, 6);
	wpd_kv__put_u64(&x.b, WPD_STAT_OFFCPU_AGGREGATED, 9);
	wpd_kv__put_u64(&x.b, "lost.ringbuf_full", 0);
	add(&x, WPD_REC_FINISH);
	if (ob.buf.oom || ab.buf.oom)
		x.err = -ENOMEM;
	wpd_offcpu_builder__release(&ob);
	wpd_offcpu_agg_builder__release(&ab);
	return fx_close(&x);
}

/*
 * sched-hostile.wpd: scheduler records a broken or malicious writer could
 * produce. tid 800: two intervals of 2^63 ns each (sums saturate), on-CPU
 * beyond the lifetime (coverage capped at 1). tid 801: exits before it is
 * created (tid reuse: the exit is an earlier thread's), a waker with an
 * undefined stack, a stack id never defined. No META start, no FINISH.
 */
static int write_sched_hostile(const char *dir)
{
	struct wpd_offcpu_builder ob;
	struct fx x;
	int ret = fx_open_flags(&x, dir, "sched-hostile.wpd", 0,
				WPD_FEAT_ONCPU | WPD_FEAT_OFFCPU);

	if (ret)
		return ret;
	wpd_offcpu_builder__init(&ob);
	offcpu1(&x, &ob, 800, 800, T0, 1ull << 63, 0, WPD_OFF_SLEEP, 0, 0, 0, 0);
	offcpu1(&x, &ob, 800, 800, T0, 1ull << 63, 0, WPD_OFF_SLEEP, 0, 0, 0, 0);
	offcpu1(&x, &ob, 800, 801, T0 + SEC, 5 * MS, 4242, 1000, 5 * MS, 800, 800, 999);
	wpd_offcpu_builder__finish(&ob);
	if (wpd_writer__add_buf(x.w, WPD_REC_OFFCPU, &ob.buf) && !x.err)
		x.err = -EIO;
	thread_time(&x, 800, 800, 10 * MS, T0, T0 + 10 * MS, 0);
	task(&x, T0 + SEC / 2, WPD_TASK_EXIT, 800, 801, 0, 0, 0);
	task(&x, T0 + SEC, WPD_TASK_THREAD, 800, 801, 800, 800, 0);
	task(&x, T0 + SEC, 77, 800, 801, 0, 0, 0); /* a kind from the future */
	wpd_offcpu_builder__release(&ob);
	return fx_close(&x);
}

/* N samples over 64 threads and 4096 stacks of this binary: for benchmarks. */
static int write_big(const char *dir, uint64_t n)
{
	const uint64_t fns[] = { RET(fx_main), RET(fx_a), RET(fx_b), RET(fx_c), RET(fx_rec) };
	struct fx x;
	uint64_t i, t = T0;
	uint32_t id;
	int ret = fx_open(&x, dir, "big.wpd", 0);

	if (ret)
		return ret;
	meta(&x);
	str(&x, STR_EXE, self.path);
	str(&x, STR_MAIN, "fx-main");
	mmap_rec(&x, T0, 100, STR_EXE, self.build_id, self.build_id_len);
	for (id = 1; id <= 4096; id++) {
		uint64_t u[16];
		uint16_t k, depth = (uint16_t)(4 + id % 12);

		for (k = 0; k < depth; k++)
			u[k] = fns[(id >> (k % 12)) % 5] + (k == 0 ? 0 : (id % 7));
		stack(&x, id, 0, NULL, 0, u, depth);
	}
	for (id = 0; id < 64; id++)
		thread(&x, T0, 100, 100 + id, STR_MAIN);
	wpd_samples_builder__reset(&x.sb);
	for (i = 0; i < n; i++) {
		struct wpd_sample s = {
			.time_ns = t += 1000, .pid = 100, .tid = 100 + (uint32_t)(i % 64),
			.cpu = (uint32_t)(i % 8),
			.stack_id = 1 + (uint32_t)((i * 2654435761u) % 4096),
		};

		wpd_samples_builder__add(&x.sb, &s);
		if (x.sb.count == 4096 || i + 1 == n) {
			wpd_samples_builder__finish(&x.sb);
			if (wpd_writer__add_buf(x.w, WPD_REC_SAMPLES, &x.sb.buf) && !x.err)
				x.err = -EIO;
			wpd_samples_builder__reset(&x.sb);
		}
	}
	stats(&x, WPD_REC_FINISH, n, 0);
	return fx_close(&x);
}

/* ---- checks on the analysis library ----------------------------------- */

static const struct wp_group *find_group(const struct wp_profile *p, uint32_t tid,
					 const char *comm, uint32_t stack_id)
{
	size_t i;

	for (i = 0; i < wp_profile__ngroups(p); i++) {
		const struct wp_group *g = wp_profile__group(p, i);

		if (g->tid == tid && g->stack_id == stack_id && strcmp(g->comm, comm) == 0)
			return g;
	}
	return NULL;
}

/* "a;b;c" root first, as folded would write it (raw names, no comm) */
static void stack_str(const struct wp_profile *p, const struct wp_group *g, char *buf,
		      size_t len)
{
	const uint32_t *fr = wp_profile__group_frames(p, g);
	size_t off = 0;
	uint32_t i;

	buf[0] = '\0';
	for (i = g->nframes; i > 0 && off < len; i--)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i == g->nframes ? "" : ";",
					wp_profile__frame(p, fr[i - 1])->name);
}

static void check_full(const char *dir)
{
	char path[4096], buf[1024], err[256];
	const struct wp_profile_read *r;
	const struct wp_group *g;
	struct wp_profile *p;
	uint64_t v;
	int ret;

	snprintf(path, sizeof(path), "%s/full.wpd", dir);
	ret = wp_profile__load(path, NULL, &p, err, sizeof(err));
	if (!ok(ret == 0, "full.wpd loads")) {
		tap_diag("  %s", err);
		return;
	}
	r = wp_profile__read(p);
	is_int(r->samples, 469, "469 samples read");
	ok(r->rd.finished && !r->rd.truncated && !r->rd.blocks_damaged, "clean file");
	ok(r->rd.blocks > 3, "several blocks (%" PRIu64 ")", r->rd.blocks);
	is_int(r->dangling_stack_samples, 4, "4 samples name an undefined stack");
	is_int(r->dangling_strings, 0, "no undefined strings");
	ok(wp_profile__stat_u64(p, "lost.ringbuf_full", &v) && v == 7,
	   "the last STATS/FINISH value wins");
	is_str(wp_profile__meta_str(p, WPD_META_HOSTNAME), "fixture-host", "hostname");
	ok(wp_profile__meta_u64(p, WPD_META_FREQ, &v) && v == 99, "frequency");
	ok(wp_profile__resolve(p, NULL) == 0, "resolves");

	g = find_group(p, 100, "fx-main", 1);
	ok(g && g->count == 200, "tid 100 stack 1: 200 samples named after a late THREAD");
	if (g) {
		stack_str(p, g, buf, sizeof(buf));
		is_str(buf, "fx_main;fx_a;fx_b", "PIE user frames resolve from the binary");
	}
	g = find_group(p, 101, "fx;worker\nx", 3);
	if (ok(g && g->count == 50, "tid 101: 50 samples") && g) {
		stack_str(p, g, buf, sizeof(buf));
		is_str(buf, "fx_main;fx_a;fx_kentry;fx_kinner", "kernel frames under user frames");
		is_int(g->nkernel, 2, "two kernel frames");
	}
	g = find_group(p, 102, "before", 4);
	ok(g && g->count == 10, "tid 102 before its rename: 10");
	g = find_group(p, 102, "after", 4);
	if (ok(g && g->count == 20, "tid 102 after its rename: 20") && g) {
		stack_str(p, g, buf, sizeof(buf));
		is_str(buf, "fx_main;fx_rec;fx_rec;fx_rec", "recursion kept in the stack");
	}
	g = find_group(p, 200, "fx-mismatch", 6);
	if (ok(g && g->count == 40, "pid 200: 40") && g) {
		const uint32_t *fr = wp_profile__group_frames(p, g);
		const struct wp_frame *f = wp_profile__frame(p, fr[0]);
		const char *base = strrchr(self.path, '/') + 1;

		ok(strncmp(f->name, base, strlen(base)) == 0 &&
		   strncmp(f->name + strlen(base), "+0x", 3) == 0,
		   "mismatched build-id: leaf named module+0xOFF (%s)", f->name);
		ok(f->flags & WP_FRAME_UNRESOLVED, "and marked unresolved");
		is_str(wp_profile__frame(p, fr[3])->name, "[unknown]", "unmapped IP: [unknown]");
	}
	g = find_group(p, 300, "fx-kthread", 5);
	if (ok(g && g->count == 30, "pid 300: 30") && g) {
		const uint32_t *fr = wp_profile__group_frames(p, g);

		stack_str(p, g, buf, sizeof(buf));
		is_str(buf, "[unknown];fx_modfunc;fx;semi\nnl", "kernel symbols from KSYM records");
		is_str(wp_profile__frame(p, fr[1])->module, "[fxmod]", "module symbol");
		is_str(wp_profile__frame(p, fr[0])->module, "[kernel.kallsyms]", "kernel image");
	}
	g = find_group(p, 400, "fx-exec", 2);
	ok(g != NULL, "pid 400 groups");
	{
		size_t i;
		uint64_t before = 0, after = 0;

		for (i = 0; i < wp_profile__ngroups(p); i++) {
			g = wp_profile__group(p, i);
			if (g->pid != 400)
				continue;
			stack_str(p, g, buf, sizeof(buf));
			if (strcmp(buf, "fx_main;fx_c") == 0)
				before += g->count;
			else if (strncmp(buf, "fx-after+0x", 11) == 0)
				after += g->count;
			else
				tap_diag("  unexpected pid 400 stack %s", buf);
		}
		is_int(before, 7, "before exec: the first binary's names");
		is_int(after, 3, "after exec: the new mapping (fx-after+0xOFF)");
	}
	g = find_group(p, 500, "fx-nostack", 0);
	if (ok(g && g->count == 5, "stack id 0: 5") && g) {
		stack_str(p, g, buf, sizeof(buf));
		is_str(buf, "[no stack]", "named [no stack]");
	}
	g = find_group(p, 500, "fx-nostack", 999);
	if (ok(g && g->count == 4, "undefined stack: 4") && g) {
		stack_str(p, g, buf, sizeof(buf));
		is_str(buf, "[unknown stack]", "named [unknown stack]");
	}
	{
		struct wp_filter f;
		size_t i;
		uint64_t n = 0;

		wp_filter__init(&f);
		wp_filter__add_pids(&f, "100");
		wp_filter__add_comm(&f, "before");
		wp_filter__add_comm(&f, "fx-main");
		for (i = 0; i < wp_profile__ngroups(p); i++)
			if (wp_filter__match(&f, wp_profile__group(p, i)))
				n += wp_profile__group(p, i)->count;
		is_int(n, 310, "filter: pid 100 and comm before|fx-main");
		wp_filter__release(&f);
	}
	wp_profile__free(p);
}

/* ---- sched.wpd through the library ----------------------------------- */

static const struct wp_group *find_kgroup(const struct wp_profile *p, uint32_t tid,
					  uint32_t kind, uint32_t stack_id, uint32_t reason)
{
	size_t i;

	for (i = 0; i < wp_profile__ngroups(p); i++) {
		const struct wp_group *g = wp_profile__group(p, i);

		if (g->tid == tid && g->kind == kind && g->stack_id == stack_id &&
		    g->reason == reason)
			return g;
	}
	return NULL;
}

static const struct wp_thread_acct *find_thread(const struct wp_profile *p, uint32_t tid)
{
	size_t i;

	for (i = 0; i < wp_profile__nthreads(p); i++)
		if (wp_profile__thread(p, i)->tid == tid)
			return wp_profile__thread(p, i);
	return NULL;
}

struct cb_count {
	uint64_t n, ns, bad;
};

static void count_interval(void *arg, const struct wpd_offcpu *iv)
{
	struct cb_count *c = arg;

	c->n++;
	c->ns += iv->duration_ns;
	if (iv->reason > WPD_OFF_REASON_MAX ||
	    (iv->reason == WPD_OFF_PREEMPTED && iv->runq_ns != iv->duration_ns))
		c->bad++;
}

static void frames_str(const struct wp_profile *p, const uint32_t *fr, uint32_t n, char *buf,
		       size_t len)
{
	struct wp_strbuf b = { 0 };

	wp_stack_folded(p, fr, n, &b);
	snprintf(buf, len, "%s", b.s ? b.s : "");
	wp_strbuf__release(&b);
}

static void check_sched_threads(const struct wp_profile *p)
{
	const struct wp_thread_acct *t;
	const struct wp_sched_totals *tot = wp_profile__totals(p);

	is_int(wp_profile__nthreads(p), 3, "three threads accounted");
	t = find_thread(p, 600);
	if (ok(t != NULL, "thread A")) {
		is_str(t->comm, "fx-sched-a", "A: name");
		is_int(t->pid, 600, "A: pid");
		ok(t->oncpu_exact, "A: on-CPU time exact");
		is_int(t->oncpu_ns, 100 * MS, "A: on-CPU 100 ms (the last THREAD_TIME wins)");
		is_int(t->oncpu_samples, 10, "A: 10 samples");
		is_int(t->offcpu_ns, 600 * MS, "A: off-CPU 600 ms");
		is_int(t->offcpu_by_reason_ns[WPD_OFF_SLEEP], 200 * MS,
		       "A: sleep 200 ms (an interval and an aggregate)");
		is_int(t->offcpu_by_reason_ns[WPD_OFF_BLOCKED], 300 * MS, "A: blocked 300 ms");
		is_int(t->offcpu_by_reason_ns[WPD_OFF_PREEMPTED], 50 * MS, "A: preempted 50 ms");
		is_int(t->offcpu_by_reason_ns[WPD_OFF_OTHER], 30 * MS,
		       "A: a reason from the future counts as other");
		is_int(t->offcpu_by_reason_ns[WPD_OFF_UNKNOWN], 20 * MS, "A: unknown 20 ms");
		is_int(t->offcpu_intervals, 10, "A: 10 intervals");
		is_int(t->runq_ns, 56 * MS, "A: run queue 56 ms (all of the preempted 50)");
		ok(t->lifetime_known && t->start_ns == T0 && t->end_ns == T0 + 1000 * MS,
		   "A: lifetime from THREAD_TIME");
		is_int(t->lifetime_ns, 1000 * MS, "A: lifetime 1 s");
		is_int(t->unaccounted_ns, 300 * MS, "A: 300 ms unaccounted");
		ok(fabs(t->coverage - 0.7) < 1e-12, "A: coverage 0.7 (%f)", t->coverage);
		ok(!t->exited, "A: did not exit");
	}
	t = find_thread(p, 601);
	if (ok(t != NULL, "thread B")) {
		is_str(t->comm, "fx-sched-b2", "B: its latest name (TASK RENAME)");
		is_int(t->pid, 600, "B: pid");
		ok(!t->oncpu_exact, "B: no THREAD_TIME: on-CPU estimated");
		is_int(t->oncpu_ns, 50505051, "B: 5 samples x 1e9/99 ns");
		is_int(t->offcpu_ns, 100 * MS, "B: off-CPU 100 ms");
		is_int(t->lifetime_ns, 500 * MS, "B: lifetime from TASK THREAD to TASK EXIT");
		is_int(t->start_ns, T0 + 200 * MS, "B: created at T0 + 200 ms");
		is_int(t->unaccounted_ns, 500 * MS - 100 * MS - 50505051, "B: unaccounted");
		ok(fabs(t->coverage - 150505051.0 / 500e6) < 1e-12, "B: coverage %f", t->coverage);
		ok(t->exited, "B: exited (TASK EXIT)");
	}
	t = find_thread(p, 700);
	if (ok(t != NULL, "thread C")) {
		is_int(t->oncpu_ns, 30 * MS, "C: on-CPU 30 ms, no samples");
		is_int(t->oncpu_samples, 0, "C: no samples");
		is_int(t->offcpu_by_reason_ns[WPD_OFF_BLOCKED], 268 * MS,
		       "C: blocked 268 ms (a repeated aggregate key adds up)");
		is_int(t->offcpu_by_reason_ns[WPD_OFF_PREEMPTED], 2 * MS, "C: preempted 2 ms");
		is_int(t->offcpu_intervals, 4, "C: 4 aggregated intervals");
		is_int(t->unaccounted_ns, 0, "C: nothing unaccounted");
		ok(t->coverage == 1.0, "C: coverage 1");
		ok(t->exited, "C: exited (THREAD_TIME flag)");
	}
	is_int(tot->oncpu_ns, 180 * MS + 505051, "totals: on-CPU");
	ok(!tot->oncpu_exact, "totals: not all exact");
	is_int(tot->offcpu_ns, 970 * MS, "totals: off-CPU 970 ms");
	is_int(tot->offcpu_by_reason_ns[WPD_OFF_BLOCKED], 568 * MS, "totals: blocked");
	is_int(tot->offcpu_by_reason_ns[WPD_OFF_SLEEP], 300 * MS, "totals: sleep");
	is_int(tot->runq_ns, 58 * MS, "totals: run queue");
	is_int(tot->offcpu_intervals, 15, "totals: 15 intervals");
}

static void check_sched_views(const struct wp_profile *p)
{
	struct wp_offcpu_view v;
	struct wp_filter f;
	char buf[512];
	size_t i;

	if (!ok(wp_offcpu_view__compute(p, NULL, &v) == 0, "off-CPU views"))
		return;
	is_int(v.total_ns, 970 * MS, "views: 970 ms selected");
	is_int(v.nstacks, 6, "views: six blocking stacks (merged across threads)");
	if (v.nstacks == 6) {
		frames_str(p, v.stacks[0].frames, v.stacks[0].nframes, buf, sizeof(buf));
		is_str(buf, "fx_main;fx_a;fx_kinner_[k]", "top blocking stack");
		is_int(v.stacks[0].total_ns, 568 * MS, "A's and C's blocked time merged");
		is_int(v.stacks[0].count, 4, "in 4 intervals");
		is_str(wp_offcpu_reason__name(v.stacks[0].reason), "blocked", "reason blocked");
		frames_str(p, v.stacks[1].frames, v.stacks[1].nframes, buf, sizeof(buf));
		is_str(buf, "fx_main;fx_rec;fx_kentry_[k];fx_kinner_[k]", "second: sleeping");
		is_int(v.stacks[1].total_ns, 300 * MS, "sleep 300 ms across A and B");
		is_int(v.stacks[5].total_ns, 2 * MS, "smallest: C preempted 2 ms");
	}
	is_int(v.nthreads, 3, "views: three blocking threads");
	if (v.nthreads == 3)
		ok(v.threads[0]->tid == 600 && v.threads[1]->tid == 700 && v.threads[2]->tid == 601,
		   "blocking threads by off-CPU time: A, C, B");
	is_int(v.nwakers, 2, "views: two wakers");
	if (v.nwakers == 2) {
		ok(v.wakers[0].tid == 601 && v.wakers[0].pid == 600, "top waker: B");
		is_str(v.wakers[0].comm, "fx-sched-b2", "the waker's name at the wakeup");
		is_int(v.wakers[0].total_ns, 299 * MS, "B ended 299 ms of waiting (300 - runq 1)");
		frames_str(p, v.wakers[0].frames, v.wakers[0].nframes, buf, sizeof(buf));
		is_str(buf, "fx_main;fx_b;fx_c", "the waker's stack");
		ok(v.wakers[1].tid == 600 && v.wakers[1].total_ns == 100 * MS, "then A: 100 ms");
	}
	wp_offcpu_view__release(&v);

	wp_filter__init(&f);
	wp_filter__add_comm(&f, "fx-sched-b");
	if (ok(wp_offcpu_view__compute(p, &f, &v) == 0, "views with --comm fx-sched-b")) {
		is_int(v.total_ns, 0, "no off-CPU interval while named fx-sched-b");
		is_int(v.nthreads, 1, "but thread B had that name");
		wp_offcpu_view__release(&v);
	}
	wp_filter__release(&f);
	wp_filter__init(&f);
	wp_filter__add_tids(&f, "600");
	if (ok(wp_offcpu_view__compute(p, &f, &v) == 0, "views with --tid 600")) {
		is_int(v.total_ns, 600 * MS, "A's 600 ms");
		ok(v.nwakers == 1 && v.wakers[0].tid == 601, "wakers of A: B only");
		wp_offcpu_view__release(&v);
	}
	wp_filter__release(&f);
	for (i = 0; i < WP_OFF_NREASONS; i++)
		if (wp_profile__reason_frame(p, (uint32_t)i) == UINT32_MAX)
			break;
	is_int(i, WP_OFF_NREASONS, "a pseudo frame per reason");
	is_str(wp_profile__frame(p, wp_profile__reason_frame(p, WPD_OFF_BLOCKED))->name,
	       "[off-cpu:blocked]", "named [off-cpu:blocked]");
}

static void check_sched(const char *dir)
{
	struct wp_load_opts lo = { .offcpu_cb = count_interval };
	struct wp_top_opts to = { .unit = WP_UNIT_NS };
	struct cb_count cc = { 0 };
	const struct wp_group *g;
	struct wp_profile *p;
	struct wp_top t;
	char path[4096], err[256];
	size_t i;

	lo.cb_arg = &cc;
	snprintf(path, sizeof(path), "%s/sched.wpd", dir);
	if (!ok(wp_profile__load(path, &lo, &p, err, sizeof(err)) == 0, "sched.wpd loads")) {
		tap_diag("  %s", err);
		return;
	}
	ok(wp_profile__has_sched(p) && wp_profile__has_offcpu(p), "scheduler data found");
	is_int(wp_profile__read(p)->samples, 15, "15 samples");
	is_int(wp_profile__read(p)->offcpu_intervals, 6, "6 individual intervals");
	is_int(wp_profile__read(p)->offcpu_agg_entries, 4, "4 aggregated entries");
	is_int(wp_profile__read(p)->offcpu_agg_intervals, 9, "summing 9 intervals");
	is_int(wp_profile__read(p)->thread_times, 3, "3 THREAD_TIME records");
	is_int(wp_profile__read(p)->tasks, 5, "5 TASK records");
	is_int(cc.n, 6, "the callback saw every individual interval");
	is_int(cc.ns, 650 * MS, "with its duration");
	is_int(cc.bad, 0, "reasons mapped, preempted runq set");
	is_int(wp_profile__calibrated_threads(p), 1, "one thread calibrated (A)");
	ok(wp_profile__resolve(p, NULL) == 0, "sched.wpd resolves");

	g = find_kgroup(p, 600, WP_EVENT_ONCPU, 1, 0);
	ok(g && g->count == 6 && g->weight == 60 * MS, "A stack 1: 6 samples, 60 ms calibrated");
	g = find_kgroup(p, 600, WP_EVENT_ONCPU, 2, 0);
	ok(g && g->count == 4 && g->weight == 40 * MS, "A stack 2: 4 samples, 40 ms calibrated");
	g = find_kgroup(p, 601, WP_EVENT_ONCPU, 2, 0);
	ok(g && g->weight == 50505051, "B: not calibrated (no THREAD_TIME): 5 x period");
	if (ok(g != NULL, "B's samples") && g)
		is_str(g->comm, "fx-sched-b", "B's samples: named at their time (TASK THREAD)");
	g = find_kgroup(p, 600, WP_EVENT_OFFCPU, 10, WPD_OFF_SLEEP);
	ok(g && g->count == 6 && g->weight == 200 * MS && g->runq_ns == 5 * MS,
	   "A's sleep: the interval and the aggregate in one group");
	g = find_kgroup(p, 601, WP_EVENT_OFFCPU, 10, WPD_OFF_SLEEP);
	if (ok(g != NULL, "B's sleep") && g)
		is_str(g->comm, "fx-sched-b2", "B's sleep: named after the rename");
	g = find_kgroup(p, 600, WP_EVENT_OFFCPU, 2, WPD_OFF_OTHER);
	ok(g && g->weight == 30 * MS, "reason 9 grouped as other");

	check_sched_threads(p);
	check_sched_views(p);

	to.kinds = 1u << WP_EVENT_OFFCPU;
	if (ok(wp_top__compute(p, &to, &t) == 0, "top, off-CPU in ns")) {
		is_int(t.weight, 970 * MS, "top: 970 ms off-CPU");
		ok(t.nfuncs > 0 && strcmp(wp_profile__frame(p, t.funcs[0].frame)->name,
					  "[off-cpu:blocked]") == 0 &&
		   t.funcs[0].self == 568 * MS, "top self: [off-cpu:blocked] 568 ms");
		wp_top__release(&t);
	}
	to.kinds = 0;
	to.unit = WP_UNIT_SAMPLES;
	if (ok(wp_top__compute(p, &to, &t) == 0, "top, all in samples")) {
		/* 15 samples + off-CPU at 99 Hz: 970 ms x 99 / 1000 per group, rounded */
		is_int(t.samples, 15, "top: 15 samples");
		for (i = 0; i < t.nfuncs; i++)
			if (strcmp(wp_profile__frame(p, t.funcs[i].frame)->name, "[off-cpu:blocked]") == 0)
				is_int(t.funcs[i].self, 30 + 27, "blocked in samples: 29.7 + 26.532");
		wp_top__release(&t);
	}
	wp_profile__free(p);

	lo.no_calibrate = true;
	lo.offcpu_cb = NULL;
	if (!ok(wp_profile__load(path, &lo, &p, err, sizeof(err)) == 0, "loads, not calibrated"))
		return;
	is_int(wp_profile__calibrated_threads(p), 0, "no thread calibrated");
	g = find_kgroup(p, 600, WP_EVENT_ONCPU, 1, 0);
	ok(g && g->weight == 60606061, "A stack 1: 6 x 1e9/99 ns");
	g = find_kgroup(p, 600, WP_EVENT_ONCPU, 2, 0);
	ok(g && g->weight == 40404040, "A stack 2: 4 x 1e9/99 ns");
	is_int(find_thread(p, 600)->oncpu_ns, 100 * MS, "thread A still 100 ms: exact");
	wp_profile__free(p);
}

static void check_sched_hostile(const char *dir)
{
	const struct wp_thread_acct *t;
	struct wp_offcpu_view v;
	struct wp_profile *p;
	char path[4096], err[256];

	snprintf(path, sizeof(path), "%s/sched-hostile.wpd", dir);
	if (!ok(wp_profile__load(path, NULL, &p, err, sizeof(err)) == 0, "sched-hostile.wpd loads"))
		return;
	ok(wp_profile__resolve(p, NULL) == 0, "and resolves");
	is_int(wp_profile__read(p)->dangling_stack_offcpu, 1, "an undefined stack is counted");
	is_int(wp_profile__read(p)->tasks, 3, "TASK of an unknown kind read and ignored");
	t = find_thread(p, 800);
	if (ok(t != NULL, "tid 800")) {
		ok(t->offcpu_ns == UINT64_MAX, "2 x 2^63 ns saturates, does not wrap");
		ok(t->coverage == 1.0 && t->unaccounted_ns == 0, "coverage capped at 1");
	}
	t = find_thread(p, 801);
	if (ok(t != NULL, "tid 801")) {
		ok(!t->exited, "an exit before the creation is an earlier thread's");
		is_int(t->start_ns, T0 + SEC, "created at T0 + 1 s");
		is_int(t->offcpu_by_reason_ns[WPD_OFF_OTHER], 5 * MS, "reason 1000: other");
	}
	if (ok(wp_offcpu_view__compute(p, NULL, &v) == 0, "views")) {
		ok(v.total_ns == UINT64_MAX, "views saturate too");
		ok(v.nwakers == 1 && v.wakers[0].nframes == 1, "a waker with an undefined stack");
		wp_offcpu_view__release(&v);
	}
	wp_profile__free(p);
}

static void check_simple(const char *dir)
{
	char path[4096], err[256];
	struct wp_profile *p;
	int ret;

	snprintf(path, sizeof(path), "%s/unfinished.wpd", dir);
	ret = wp_profile__load(path, NULL, &p, err, sizeof(err));
	if (ok(ret == 0, "unfinished.wpd loads")) {
		ok(!wp_profile__read(p)->rd.finished, "not finished");
		is_int(wp_profile__read(p)->samples, 300, "300 samples");
		wp_profile__free(p);
	}
	snprintf(path, sizeof(path), "%s/unknown.wpd", dir);
	ret = wp_profile__load(path, NULL, &p, err, sizeof(err));
	if (ok(ret == 0, "unknown.wpd loads")) {
		is_int(wp_profile__read(p)->rd.records_unknown, 1, "one unknown record");
		is_int(wp_profile__read(p)->samples, 300, "300 samples");
		wp_profile__free(p);
	}
	snprintf(path, sizeof(path), "%s/does-not-exist.wpd", dir);
	ret = wp_profile__load(path, NULL, &p, err, sizeof(err));
	ok(ret == -ENOENT && p == NULL, "a missing file is -ENOENT (%s)", err);
}

int main(void)
{
	const char *dir = getenv("WP_FIXTURE_DIR");
	const char *big = getenv("WP_FIXTURE_BIG");
	char tmp[] = "/tmp/wp-fixture.XXXXXX";
	bool keep = dir && *dir;

	wp_log_verbosity = WP_LOG_ERR; /* expected warnings: missing, mismatched */
	if (!ok(find_self() == 0, "found this program's mapping"))
		return done_testing();
	ok(self.build_id_len > 0, "this program has a build-id (%u bytes)", self.build_id_len);
	if (!keep) {
		dir = mkdtemp(tmp);
		if (!ok(dir != NULL, "temporary directory"))
			return done_testing();
	} else if (mkdir(dir, 0755) && errno != EEXIST) {
		ok(0, "cannot create %s: %s", dir, strerror(errno));
		return done_testing();
	}
	is_int(write_full(dir), 0, "full.wpd written");
	is_int(write_simple(dir, "simple.wpd", true, false), 0, "simple.wpd written");
	is_int(write_simple(dir, "unfinished.wpd", false, false), 0, "unfinished.wpd written");
	is_int(write_simple(dir, "unknown.wpd", true, true), 0, "unknown.wpd written");
	is_int(write_renames(dir), 0, "renames.wpd written");
	is_int(write_sched(dir), 0, "sched.wpd written");
	is_int(write_sched_hostile(dir), 0, "sched-hostile.wpd written");
	if (big && *big) {
		uint64_t n = strtoull(big, NULL, 10);

		is_int(write_big(dir, n), 0, "big.wpd written (%" PRIu64 " samples)", n);
	}
	check_full(dir);
	check_simple(dir);
	check_renames(dir);
	check_sched(dir);
	check_sched_hostile(dir);
	if (!keep) {
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		ok(system(cmd) == 0, "temporary directory removed");
	}
	return done_testing();
}
