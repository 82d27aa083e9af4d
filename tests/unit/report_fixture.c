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
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/wpd.h"
#include "report/filter.h"
#include "report/profile.h"
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

static int fx_open(struct fx *x, const char *dir, const char *name, size_t block_target)
{
	struct wpd_writer_opts wo = {
		.compat_flags = WPD_FEAT_ONCPU | WPD_FEAT_KSYMS,
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
	if (big && *big) {
		uint64_t n = strtoull(big, NULL, 10);

		is_int(write_big(dir, n), 0, "big.wpd written (%" PRIu64 " samples)", n);
	}
	check_full(dir);
	check_simple(dir);
	check_renames(dir);
	if (!keep) {
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		ok(system(cmd) == 0, "temporary directory removed");
	}
	return done_testing();
}
