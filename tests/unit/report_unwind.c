// SPDX-License-Identifier: MIT
/*
 * DWARF unwinding of USTACK_DUMP records (report/unwind.c, unwind_load.c),
 * without BPF: this test takes its own registers (getcontext) and the top
 * of its own stack inside a known chain main -> unw_top -> unw_mid ->
 * unw_leaf, writes them as a recording would (MMAP records from
 * /proc/self/maps, USTACK_DUMP, SAMPLES), loads the file and checks the
 * unwound stack, then breaks one thing at a time and checks how the
 * failure is counted and that the stack is marked "[truncated]".
 */
#include "format/wpd.h"
#include "report/profile.h"
#include "tests/lib/tap.h"

#if !defined(__x86_64__)
/* the registers taken and the unwinder are x86_64's */
int main(void)
{
	printf("1..0 # SKIP x86_64 only\n");
	return 0;
}
#else

#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <ucontext.h>
#include <unistd.h>

#define STACK_MAX 32768

static volatile int sink;
/* a link to this binary under its own name, in another directory */
static char overlap_path[4096];
static ucontext_t uc;
static uint8_t stack_copy[STACK_MAX];
static size_t stack_len;
static uint64_t stack_sp;

/* [start, end) of the mapping holding addr, from /proc/self/maps. */
static int mapping_of(uint64_t addr, uint64_t *start, uint64_t *end)
{
	FILE *f = fopen("/proc/self/maps", "re");
	unsigned long long s, e;
	char line[4096];
	int found = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx-%llx", &s, &e) == 2 && addr >= s && addr < e) {
			*start = s;
			*end = e;
			found = 0;
			break;
		}
	fclose(f);
	return found;
}

/* The stack above the saved sp, byte by byte: ASan must not look (the
 * frames' redzones are poisoned). */
__attribute__((no_sanitize("address"), noinline))
static void copy_stack(void)
{
	const volatile uint8_t *p = (const volatile uint8_t *)(uintptr_t)stack_sp;
	uint64_t start, end;
	size_t i;

	stack_len = 0;
	if (mapping_of(stack_sp, &start, &end))
		return;
	stack_len = end - stack_sp < STACK_MAX ? end - stack_sp : STACK_MAX;
	for (i = 0; i < stack_len; i++)
		stack_copy[i] = p[i];
}

__attribute__((noinline)) static void unw_leaf(int x)
{
	getcontext(&uc);
	stack_sp = (uint64_t)uc.uc_mcontext.gregs[REG_RSP];
	copy_stack();
	sink = x;
}

__attribute__((noinline)) static void unw_mid(int x)
{
	unw_leaf(x + 1);
	sink += x;
}

__attribute__((noinline)) static void unw_top(int x)
{
	unw_mid(x + 1);
	sink += x;
}

/* x86_64 DWARF numbering of the saved registers */
static void dump_regs(struct wpd_ustack_dump *d)
{
	static const int greg[17] = {
		REG_RAX, REG_RDX, REG_RCX, REG_RBX, REG_RSI, REG_RDI, REG_RBP, REG_RSP,
		REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15, REG_RIP,
	};
	int i;

	for (i = 0; i < 17; i++)
		d->regs[i] = (uint64_t)uc.uc_mcontext.gregs[greg[i]];
	d->regs_mask = (1ull << 17) - 1;
}

struct variant {
	const char *name;
	uint32_t dump_len;     /* 0: all */
	uint16_t flags;
	bool no_maps, bad_build_id, no_sp;
	bool overlap;          /* the binary mapped again over itself, under another name */
	const char *arch;      /* META arch (NULL: this machine's) */
	uint16_t machine;      /* the dumps' machine (0: 62, x86_64) */
	bool at_ld_entry;      /* pc at ld.so's entry point: a process's first instruction */
};

/* A file as wp-record --call-graph dwarf writes it: 3 samples of the same
 * stack (3 dumps), and a 4th dump that redefines stack 100. */
static int write_file(int fd, const struct variant *v)
{
	struct wpd_writer_opts wo = { .compat_flags = WPD_FEAT_ONCPU };
	struct wpd_samples_builder sb;
	struct wpd_ustack_dump d;
	struct wpd_writer *w;
	struct wpd_buf b;
	struct utsname un;
	char line[4096];
	uint32_t str = 1, i;
	FILE *maps;

	if (wpd_writer__new(fd, &wo, &w))
		return -1;
	wpd_buf__init(&b);
	uname(&un);
	wpd_kv__put_str(&b, WPD_META_KERNEL, un.release);
	wpd_kv__put_str(&b, WPD_META_ARCH, v->arch ? v->arch : un.machine);
	wpd_kv__put_str(&b, WPD_META_CALL_GRAPH, "dwarf,32768");
	wpd_kv__put_u64(&b, WPD_META_FREQ, 99);
	wpd_writer__add_buf(w, WPD_REC_META, &b);
	maps = fopen("/proc/self/maps", "re");
	while (!v->no_maps && maps && fgets(line, sizeof(line), maps)) {
		unsigned long long s, e, off;
		char perms[8];
		int n = 0;
		struct wpd_mmap m = { .time_ns = 1, .pid = 4242 };

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &s, &e, perms, &off, &n) < 4 ||
		    perms[2] != 'x' || !n)
			continue;
		line[strcspn(line, "\n")] = 0;
		wpd_encode_string(&b, ++str, line + n, (uint32_t)strlen(line + n));
		wpd_writer__add_buf(w, WPD_REC_STRING, &b);
		m.start = s;
		m.end = e;
		m.pgoff = off;
		m.path_str = str;
		if (v->bad_build_id) {
			m.flags = WPD_MMAP_BUILD_ID;
			m.build_id_len = 20;
			memset(m.build_id, 0x5a, 20);
		}
		wpd_encode_mmap(&b, &m);
		wpd_writer__add_buf(w, WPD_REC_MMAP, &b);
		if (v->overlap && str == 2) {
			/* the same binary again, at the same place, as another
			 * file of the same name: a module overlapping the first
			 * one (libdwfl drops both when told), which the later
			 * mapping replaces */
			wpd_encode_string(&b, 1000, overlap_path, (uint32_t)strlen(overlap_path));
			wpd_writer__add_buf(w, WPD_REC_STRING, &b);
			m.path_str = 1000;
			wpd_encode_mmap(&b, &m);
			wpd_writer__add_buf(w, WPD_REC_MMAP, &b);
		}
	}
	if (maps)
		fclose(maps);
	memset(&d, 0, sizeof(d));
	d.kernel_stack_id = 0;
	d.time_ns = 1000;
	d.pid = 4242;
	d.tid = 4243;
	d.machine = v->machine ? v->machine : 62;
	d.flags = v->flags;
	dump_regs(&d);
	if (v->no_sp)
		d.regs_mask &= ~(1ull << 7);
	if (v->at_ld_entry) {
		const ElfW(Ehdr) *ld = (const void *)getauxval(AT_BASE);

		/* where every dynamically linked process starts, after execve:
		 * no caller, and ld.so has no CFI there */
		d.regs[16] = ld ? (uint64_t)(uintptr_t)ld + ld->e_entry : 0;
	}
	d.dump_addr = stack_sp;
	d.dump = stack_copy;
	d.dump_len = v->dump_len && v->dump_len < stack_len ? v->dump_len : (uint32_t)stack_len;
	wpd_samples_builder__init(&sb);
	for (i = 0; i < 4; i++) {
		struct wpd_sample s = { .time_ns = d.time_ns, .pid = 4242, .tid = 4243,
					.stack_id = 100 + (i < 3 ? i : 0) };

		d.stack_id = 100 + (i < 3 ? i : 0);
		wpd_encode_ustack_dump(&b, &d);
		wpd_writer__add_buf(w, WPD_REC_USTACK_DUMP, &b);
		if (i < 3)
			wpd_samples_builder__add(&sb, &s);
	}
	wpd_samples_builder__finish(&sb);
	wpd_writer__add_buf(w, WPD_REC_SAMPLES, &sb.buf);
	wpd_samples_builder__release(&sb);
	wpd_buf__release(&b);
	return wpd_writer__close(w);
}

static bool has(const char *const *names, size_t n, const char *want)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], want))
			return true;
	return false;
}

/* Load and resolve; the one on-CPU group's frame names, leaf first. */
static struct wp_profile *load(const struct variant *v, const char *symfs, const char **names,
			       size_t *n, size_t *ngroups)
{
	struct wp_load_opts lo = { .symfs = symfs };
	struct wp_resolve_opts ro = { .symfs = symfs };
	int fd = memfd_create("unwind", MFD_CLOEXEC);
	struct wp_profile *p = NULL;
	char path[64], err[256];
	size_t i;

	*n = *ngroups = 0;
	if (fd < 0 || write_file(fd, v))
		return NULL;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (wp_profile__load(path, &lo, &p, err, sizeof(err))) {
		tap_diag("%s", err);
		close(fd);
		return NULL;
	}
	close(fd);
	if (wp_profile__resolve(p, &ro)) {
		wp_profile__free(p);
		return NULL;
	}
	*ngroups = wp_profile__ngroups(p);
	if (*ngroups) {
		const struct wp_group *g = wp_profile__group(p, 0);
		const uint32_t *ids = wp_profile__group_frames(p, g);

		for (i = 0; i < g->nframes && i < 64; i++)
			names[i] = wp_profile__frame(p, ids[i])->name;
		*n = i;
		if (g->count != 3)
			tap_diag("  group count %llu", (unsigned long long)g->count);
	}
	return p;
}

static void check_failure(const struct variant *v, const char *symfs, unsigned int reason)
{
	const struct wp_unwind_stats *st;
	const char *names[64];
	struct wp_profile *p;
	size_t n, ng;

	p = load(v, symfs, names, &n, &ng);
	ok(p != NULL, "%s: loads", v->name);
	if (!p)
		return;
	st = wp_profile__unwind(p);
	ok(st && st->dumps == 3 && st->reasons[reason] == 3,
	   "%s: 3 dumps, counted as %s", v->name, wp_unwind_reason__name(reason));
	if (st && st->reasons[reason] != 3)
		for (unsigned int i = 0; i < WP_UNWIND_NREASONS; i++)
			if (st->reasons[i])
				tap_diag("  %s %llu", wp_unwind_reason__name(i),
					 (unsigned long long)st->reasons[i]);
	if (!ok(ng == 1 && n >= 1 && !strcmp(names[n - 1], "[truncated]") &&
		!has(names, n, "_start"),
		"%s: one group, its stack ends in [truncated] before _start", v->name))
		for (size_t k = 0; k < n; k++)
			tap_diag("  frame %zu: %s", k, names[k]);
	wp_profile__free(p);
}

static void run(void)
{
	static const struct variant whole = { .name = "whole stack" };
	const struct wp_unwind_stats *st;
	const char *names[64];
	struct wp_profile *p;
	size_t n, ng, i;
	char tmpl[] = "/tmp/wp-unwind.XXXXXX";

	ok(stack_len >= 256, "own stack copied (%zu bytes)", stack_len);
	p = load(&whole, NULL, names, &n, &ng);
	ok(p != NULL, "loads");
	if (!p)
		return;
	st = wp_profile__unwind(p);
	ok(st && st->dumps == 3 && st->reasons[WP_UNWIND_OK] == 3, "3 dumps unwound to the end");
	ok(st && st->redefined == 1, "a dump redefining a stack id is ignored");
	is_int(ng, 1, "the three samples' equal stacks make one group");
	for (i = 0; i < n; i++)
		tap_diag("  frame %zu: %s", i, names[i]);
	ok(n >= 4 && !strcmp(names[0], "unw_leaf") && !strcmp(names[1], "unw_mid") &&
	   !strcmp(names[2], "unw_top") && !strcmp(names[3], "main"),
	   "unw_leaf <- unw_mid <- unw_top <- main");
	ok(!has(names, n, "[truncated]") && has(names, n, "_start"),
	   "not marked truncated: it goes on to _start");
	wp_profile__free(p);

	{
		char exe[4096], dir[] = "/tmp/wp-unwind.XXXXXX";
		ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		if (len > 0 && mkdtemp(dir)) {
			exe[len] = 0;
			snprintf(overlap_path, sizeof(overlap_path), "%s/%s", dir,
				 strrchr(exe, '/') + 1);
			if (symlink(exe, overlap_path))
				overlap_path[0] = 0;
		}
	}
	p = load(&(struct variant){ .name = "overlap", .overlap = true }, NULL, names, &n, &ng);
	if (overlap_path[0]) {
		unlink(overlap_path);
		*strrchr(overlap_path, '/') = 0;
		rmdir(overlap_path);
	}
	st = p ? wp_profile__unwind(p) : NULL;
	if (!ok(st && st->reasons[WP_UNWIND_OK] == 3 && has(names, n, "main"),
		"a later mapping over a module replaces it (no overlapping modules)")) {
		for (i = 0; st && i < WP_UNWIND_NREASONS; i++)
			if (st->reasons[i])
				tap_diag("  %s %llu", wp_unwind_reason__name((unsigned int)i),
					 (unsigned long long)st->reasons[i]);
		for (i = 0; i < n; i++)
			tap_diag("  frame %zu: %s", i, names[i]);
	}
	wp_profile__free(p);

	p = load(&(struct variant){ .name = "ld.so entry", .at_ld_entry = true }, NULL, names, &n,
		 &ng);
	st = p ? wp_profile__unwind(p) : NULL;
	if (!ok(st && st->reasons[WP_UNWIND_OK] == 3 && n >= 1 && !has(names, n, "[truncated]"),
		"a process's first instruction (ld.so's entry point) is a complete stack")) {
		for (i = 0; st && i < WP_UNWIND_NREASONS; i++)
			if (st->reasons[i])
				tap_diag("  %s %llu", wp_unwind_reason__name((unsigned int)i),
					 (unsigned long long)st->reasons[i]);
		for (i = 0; i < n; i++)
			tap_diag("  frame %zu: %s", i, names[i]);
	}
	wp_profile__free(p);

	check_failure(&(struct variant){ .name = "64 bytes at the size limit", .dump_len = 64,
					   .flags = WPD_USTACK_AT_LIMIT },
		      NULL, WP_UNWIND_DUMP_LIMIT);
	check_failure(&(struct variant){ .name = "64 bytes, stack top", .dump_len = 64 }, NULL,
		      WP_UNWIND_OUTSIDE_DUMP);
	check_failure(&(struct variant){ .name = "no mappings", .no_maps = true }, NULL,
		      WP_UNWIND_NO_MAPPING);
	check_failure(&(struct variant){ .name = "another build-id", .bad_build_id = true }, NULL,
		      WP_UNWIND_MISMATCH);
	check_failure(&(struct variant){ .name = "no stack pointer", .no_sp = true }, NULL,
		      WP_UNWIND_NO_REGS);
	/* a file from another machine is refused, not unwound with the wrong
	 * register layout: its dumps claim x86_64 but the recording says
	 * aarch64 (a damaged or forged file), or the dumps are aarch64's */
	check_failure(&(struct variant){ .name = "recorded on aarch64", .arch = "aarch64" }, NULL,
		      WP_UNWIND_FOREIGN_ARCH);
	check_failure(&(struct variant){ .name = "aarch64 registers", .machine = 183 }, NULL,
		      WP_UNWIND_FOREIGN_ARCH);
	if (mkdtemp(tmpl)) {
		check_failure(&(struct variant){ .name = "binaries missing (--symfs)" }, tmpl,
			      WP_UNWIND_NO_BINARY);
		rmdir(tmpl);
	}
}

/* A file whose stacks wp-record unwound: STATS unwind.* as given (ok,
 * no_cfi), no dump. The counts reach wp_profile__unwind() as recorded,
 * hostile ones bounded. */
static void check_recorded(const char *name, uint64_t stacks, uint64_t okn, uint64_t no_cfi,
			   uint64_t want_ok, uint64_t want_no_cfi)
{
	struct wpd_writer_opts wo = { .compat_flags = WPD_FEAT_ONCPU };
	int fd = memfd_create("recorded", MFD_CLOEXEC);
	const struct wp_unwind_stats *st;
	struct wp_profile *p = NULL;
	struct wpd_writer *w;
	struct wpd_buf b;
	char path[64], err[256];

	wpd_buf__init(&b);
	if (fd < 0 || wpd_writer__new(fd, &wo, &w)) {
		ok(0, "%s: writes", name);
		return;
	}
	wpd_kv__put_str(&b, WPD_META_ARCH, "x86_64");
	wpd_kv__put_str(&b, WPD_META_CALL_GRAPH, "dwarf,16384");
	wpd_writer__add_buf(w, WPD_REC_META, &b);
	wpd_buf__reset(&b);
	wpd_kv__put_u64(&b, WPD_STAT_SAMPLES, 0);
	wpd_kv__put_u64(&b, WPD_STAT_UNWIND_PREFIX "stacks", stacks);
	wpd_kv__put_u64(&b, WPD_STAT_UNWIND_PREFIX "ok", okn);
	wpd_kv__put_u64(&b, WPD_STAT_UNWIND_PREFIX "no_cfi", no_cfi);
	wpd_kv__put_u64(&b, WPD_STAT_UNWIND_PREFIX "frames", 8 * stacks);
	wpd_kv__put_u64(&b, WPD_STAT_UNWIND_PREFIX "ns", 12345);
	wpd_writer__add_buf(w, WPD_REC_FINISH, &b);
	wpd_buf__release(&b);
	wpd_writer__close(w);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (!ok(!wp_profile__load(path, NULL, &p, err, sizeof(err)), "%s: loads", name)) {
		tap_diag("%s", err);
		close(fd);
		return;
	}
	close(fd);
	st = wp_profile__unwind(p);
	ok(st && st->dumps == stacks && st->recorded == stacks && st->recorded_ns == 12345 &&
	   st->reasons[WP_UNWIND_OK] == want_ok && st->reasons[WP_UNWIND_NO_CFI] == want_no_cfi &&
	   st->unwinds == 0,
	   "%s: %llu stacks unwound by wp-record, %llu complete, %llu no_cfi", name,
	   (unsigned long long)stacks, (unsigned long long)want_ok,
	   (unsigned long long)want_no_cfi);
	wp_profile__free(p);
}

int main(int argc, char **argv)
{
	(void)argv;
	unw_top(argc);
	run();
	check_recorded("STATS unwind.*", 5, 3, 2, 3, 2);
	check_recorded("hostile STATS unwind.*", 5, UINT64_MAX, 7, 5, 5);
	return done_testing();
}
#endif
