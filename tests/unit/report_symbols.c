// SPDX-License-Identifier: MIT
/*
 * The ELF symbolizer on real binaries: this test program (a PIE) and the
 * C library it runs with, their mappings read from /proc/self/maps, so the
 * IP -> file offset -> ELF address translation is checked against what
 * the dynamic loader really did. A wrong recorded build-id must yield no
 * name at all.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "report/symbols.h"
#include "common/log.h"
#include "tests/lib/tap.h"

static volatile unsigned long sink;

int main(void);

__attribute__((noipa, noinline)) static void sym_local_target(void)
{
	for (int i = 0; i < 17; i++)
		sink += (unsigned long)i * 3 ^ sink;
	__asm__ volatile("" ::: "memory");
}

__attribute__((noipa, noinline)) void sym_global_target(void);
__attribute__((noipa, noinline)) void sym_global_target(void)
{
	for (int i = 0; i < 19; i++)
		sink += (unsigned long)i * 5 ^ (sink >> 1);
	__asm__ volatile("" ::: "memory");
}

struct mapping {
	uint64_t start, end, pgoff;
	char path[4096];
};

/* The /proc/self/maps line holding addr. */
static int find_mapping(uint64_t addr, struct mapping *m)
{
	char line[4096 + 256];
	FILE *f = fopen("/proc/self/maps", "r");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e, off;
		int pos = 0;

		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %n", &s, &e, &off, &pos) < 3)
			continue;
		if (addr < s || addr >= e)
			continue;
		m->start = s;
		m->end = e;
		m->pgoff = off;
		line[strcspn(line, "\n")] = '\0';
		snprintf(m->path, sizeof(m->path), "%s", line + pos);
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

static uint64_t file_off(const struct mapping *m, uint64_t addr)
{
	return addr - m->start + m->pgoff;
}

static void test_self(void)
{
	struct wp_symbolizer *s = wp_symbolizer__new(NULL);
	uint8_t id[64], wrong[20];
	struct mapping m;
	struct wp_dso *d, *bad, *unchecked;
	struct wp_sym sym;
	uint64_t a = (uintptr_t)sym_global_target, l = (uintptr_t)sym_local_target;
	int n;

	if (!ok(find_mapping(a, &m) == 0, "mapping of this program found"))
		return;
	n = wp_elf_path_build_id(m.path, id, sizeof(id));
	ok(n == 20, "build-id of %s read (%d bytes)", m.path, n);
	tap_diag("text mapping at file offset 0x%" PRIx64, m.pgoff);

	d = wp_symbolizer__dso(s, m.path, id, (size_t)n);
	ok(d != NULL, "dso made");
	ok(wp_symbolizer__dso(s, m.path, id, (size_t)n) == d, "the same (path, build-id) is one dso");
	is_str(wp_dso__name(d), strrchr(m.path, '/') + 1, "dso name is the basename");

	ok(wp_dso__lookup(d, file_off(&m, a), &sym) == 1, "global function found");
	is_str(sym.name, "sym_global_target", "its name");
	is_int(sym.offset, 0, "at offset 0");
	ok(wp_dso__lookup(d, file_off(&m, a + 5), &sym) == 1 && sym.offset == 5 &&
	   strcmp(sym.name, "sym_global_target") == 0, "inside it: offset 5");
	ok(wp_dso__lookup(d, file_off(&m, l + 3), &sym) == 1, "static function found");
	is_str(sym.name, "sym_local_target", "local symbols come from .symtab");
	ok(wp_dso__lookup(d, file_off(&m, (uintptr_t)main), &sym) == 1 &&
	   strcmp(sym.name, "main") == 0, "main");
	ok(wp_dso__lookup(d, 0, &sym) == 0, "the ELF header is in no function");
	ok(wp_dso__usable(d), "usable");

	memset(wrong, 0xab, sizeof(wrong));
	bad = wp_symbolizer__dso(s, m.path, wrong, sizeof(wrong));
	ok(bad != NULL && bad != d, "another build-id is another dso");
	ok(wp_dso__lookup(bad, file_off(&m, a), &sym) == 0, "mismatched build-id: no name");
	ok(!wp_dso__usable(bad), "mismatched build-id: not usable");

	unchecked = wp_symbolizer__dso(s, m.path, NULL, 0);
	ok(wp_dso__lookup(unchecked, file_off(&m, a), &sym) == 1 &&
	   strcmp(sym.name, "sym_global_target") == 0, "no recorded build-id: names, unchecked");

	/* a recorded id zero-padded to 20 bytes (kernel style) still matches */
	if (n < 20) {
		uint8_t padded[20] = { 0 };

		memcpy(padded, id, (size_t)n);
		d = wp_symbolizer__dso(s, m.path, padded, sizeof(padded));
		ok(wp_dso__lookup(d, file_off(&m, a), &sym) == 1, "zero-padded build-id matches");
	}
	wp_symbolizer__free(s);

	/* --symfs: the path is looked up under the root */
	{
		struct wp_symbolizer_opts so = { .symfs = "/" };

		s = wp_symbolizer__new(&so);
		d = wp_symbolizer__dso(s, m.path, id, (size_t)n);
		ok(wp_dso__lookup(d, file_off(&m, a), &sym) == 1, "symfs / is the root");
		wp_symbolizer__free(s);
		so.symfs = "/nonexistent-symfs";
		s = wp_symbolizer__new(&so);
		d = wp_symbolizer__dso(s, m.path, id, (size_t)n);
		ok(wp_dso__lookup(d, file_off(&m, a), &sym) == 0, "a symfs without the file: no name");
		wp_symbolizer__free(s);
	}
}

/* A shared library: its text is mapped at a non-zero file offset. */
static void test_libc(void)
{
	void *fns[] = { (void *)qsort, (void *)strtoull, (void *)fopen, (void *)nanosleep };
	const char *names[] = { "qsort", "strtoull", "fopen", "nanosleep" };
	struct wp_symbolizer *s = wp_symbolizer__new(NULL);
	size_t i;

	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		uint64_t a = (uintptr_t)fns[i];
		struct mapping m;
		struct wp_sym sym;
		struct wp_dso *d;
		uint8_t id[64];
		Dl_info info;
		int n;

		if (!ok(find_mapping(a + 1, &m) == 0, "%s: mapping found", names[i]))
			continue;
		n = wp_elf_path_build_id(m.path, id, sizeof(id));
		d = wp_symbolizer__dso(s, m.path, id, n > 0 ? (size_t)n : 0);
		if (!ok(wp_dso__lookup(d, file_off(&m, a + 1), &sym) == 1,
			"%s: resolved in %s (pgoff 0x%" PRIx64 ")", names[i], m.path, m.pgoff))
			continue;
		ok(dladdr((void *)(uintptr_t)(a + 1), &info) && info.dli_saddr,
		   "%s: dladdr knows it", names[i]);
		/* aliases may differ in name; they never differ in address */
		ok(strcmp(sym.name, info.dli_sname ? info.dli_sname : "") == 0 ||
		   dlsym(RTLD_DEFAULT, sym.name) == info.dli_saddr,
		   "%s: named %s, dladdr says %s", names[i], sym.name,
		   info.dli_sname ? info.dli_sname : "?");
		is_int(sym.offset, 1, "%s: offset 1", names[i]);
	}
	wp_symbolizer__free(s);
}

static void test_speed(void)
{
	struct wp_symbolizer *s = wp_symbolizer__new(NULL);
	uint64_t a = (uintptr_t)qsort, sum = 0;
	struct timespec t0, t1;
	struct mapping m;
	struct wp_sym sym;
	struct wp_dso *d;
	uint8_t id[64];
	double ns;
	int i, n;

	if (find_mapping(a, &m)) {
		ok(0, "libc mapping");
		return;
	}
	n = wp_elf_path_build_id(m.path, id, sizeof(id));
	d = wp_symbolizer__dso(s, m.path, id, n > 0 ? (size_t)n : 0);
	wp_dso__lookup(d, file_off(&m, a), &sym); /* loads the table */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 200000; i++) {
		uint64_t ip = m.start + ((uint64_t)i * 7919) % (m.end - m.start);

		sum += (uint64_t)wp_dso__lookup(d, file_off(&m, ip), &sym);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 200000;
	tap_diag("%.0f ns per lookup in %s, %" PRIu64 " of 200000 named", ns, m.path, sum);
	ok(ns < 5000, "a lookup is a binary search (%.0f ns)", ns);
	/* a stripped libc names only its exported functions (.dynsym) */
	ok(sum > 20000, "libc's exported functions are named");
	wp_symbolizer__free(s);
}


/*
 * The recorder (record/procmaps.c) and the symbolizer read build-ids
 * through the same function, from paths a hostile process or file may
 * point at a FIFO or a device: refused at once, never blocking (an
 * alarm fails the test instead of hanging it).
 */
static void build_id_not_regular(void)
{
	char dir[] = "/tmp/wp-bid.XXXXXX", fifo[64];
	uint8_t id[20];

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	ok(mkfifo(fifo, 0600) == 0, "a FIFO made");
	alarm(10);
	ok(wp_elf_path_build_id(fifo, id, sizeof(id)) == -ENOEXEC,
	   "build-id of a FIFO: -ENOEXEC, without blocking");
	ok(wp_elf_path_build_id("/dev/zero", id, sizeof(id)) == -ENOEXEC,
	   "build-id of a device: -ENOEXEC");
	ok(wp_elf_path_build_id(dir, id, sizeof(id)) == -ENOEXEC,
	   "build-id of a directory: -ENOEXEC");
	alarm(0);
	unlink(fifo);
	rmdir(dir);
}
static void test_missing(void)
{
	struct wp_symbolizer *s = wp_symbolizer__new(NULL);
	struct wp_dso *d;
	struct wp_sym sym;

	d = wp_symbolizer__dso(s, "[vdso]", NULL, 0);
	is_str(wp_dso__name(d), "[vdso]", "pseudo paths are their own name");
	ok(wp_dso__lookup(d, 0x100, &sym) == 0, "[vdso]: no name, no error");
	d = wp_symbolizer__dso(s, "/nonexistent/lib.so", NULL, 0);
	is_str(wp_dso__name(d), "lib.so", "missing file: basename");
	ok(wp_dso__lookup(d, 0x100, &sym) == 0, "missing file: no name");
	d = wp_symbolizer__dso(s, "/etc/hostname", NULL, 0);
	ok(wp_dso__lookup(d, 0, &sym) == 0, "not an ELF file: no name");
	ok(wp_elf_path_build_id("/nonexistent", (uint8_t[20]){ 0 }, 20) == -ENOENT,
	   "build-id of a missing file: -ENOENT");
	build_id_not_regular();
	wp_symbolizer__free(s);
}

/* "[vdso]": named from this process's own vDSO when it is the recorded kernel's. */
static void test_vdso(void)
{
	struct utsname u;
	struct wp_symbolizer_opts so = { 0 };
	struct wp_symbolizer *s;
	struct wp_dso *d;
	struct wp_sym sym;
	uint64_t off;
	int named = 0, gettime = 0;

	uname(&u);
	so.kernel_release = u.release;
	so.arch = u.machine;
	s = wp_symbolizer__new(&so);
	d = wp_symbolizer__dso(s, "[vdso]", NULL, 0);
	for (off = 0; off < 0x4000; off += 8) {
		if (wp_dso__lookup(d, off, &sym) != 1)
			continue;
		named++;
		gettime += strstr(sym.name, "clock_gettime") != NULL;
	}
	ok(named > 0 && gettime > 0, "[vdso] of the running kernel: named (%d, %d clock_gettime)",
	   named, gettime);
	wp_symbolizer__free(s);

	so.kernel_release = "0.0.0-another-kernel";
	s = wp_symbolizer__new(&so);
	d = wp_symbolizer__dso(s, "[vdso]", NULL, 0);
	for (off = 0, named = 0; off < 0x4000; off += 8)
		named += wp_dso__lookup(d, off, &sym) == 1;
	is_int(named, 0, "[vdso] of another kernel: never named");
	wp_symbolizer__free(s);

	s = wp_symbolizer__new(&so);
	d = wp_symbolizer__dso(s, "[vdso]", (const uint8_t *)"\x01\x02\x03\x04", 4);
	for (off = 0, named = 0; off < 0x4000; off += 8)
		named += wp_dso__lookup(d, off, &sym) == 1;
	is_int(named, 0, "[vdso] with another build-id: never named");
	wp_symbolizer__free(s);
}

int main(void)
{
	wp_log_verbosity = WP_LOG_ERR; /* expected warnings: missing, mismatched */
	test_self();
	test_libc();
	test_speed();
	test_missing();
	test_vdso();
	return done_testing();
}
