/* SPDX-License-Identifier: MIT */
/*
 * DWARF unwinding of recorded user stacks with libdwfl. See unwind.h and
 * docs/unwinding.md.
 *
 * One Dwfl per address space (process, exec generation), its modules
 * reported from the recorded mappings (dwfl_report_elf with the bias the
 * mapping implies), its "process" attached once with our own thread
 * callbacks: the one thread there is reads its registers from the dump
 * being unwound and its memory from the dump's bytes (or, for read-only
 * code and data, from the binary's file). libdwfl does the rest: .eh_frame
 * (then .debug_frame) CFI, signal frames, PLT expressions, and a frame-
 * pointer fallback where a pc has no CFI.
 */
#include "report/unwind.h"

#include <dwarf.h>
#include <elf.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/openfile.h"
#include "report/symbols.h"
#include "report/util.h"

#define DEFAULT_SPACES 32
#define X86_64_NREGS 17 /* DWARF 0..16: rax..r15, rip */
#define X86_64_SP 7
#define X86_64_PC 16

const char *wp_unwind_reason__name(unsigned int reason)
{
	static const char *const names[WP_UNWIND_NREASONS] = {
		[WP_UNWIND_OK] = "ok",
		[WP_UNWIND_NO_REGS] = "no_regs",
		[WP_UNWIND_NO_MAPPING] = "no_mapping",
		[WP_UNWIND_NO_BINARY] = "binary_missing",
		[WP_UNWIND_MISMATCH] = "build_id_mismatch",
		[WP_UNWIND_NO_CFI] = "no_cfi",
		[WP_UNWIND_DUMP_LIMIT] = "dump_size",
		[WP_UNWIND_OUTSIDE_DUMP] = "outside_dump",
		[WP_UNWIND_DEPTH] = "depth_limit",
		[WP_UNWIND_OTHER] = "other",
		[WP_UNWIND_FOREIGN_ARCH] = "foreign_arch",
	};

	return reason < WP_UNWIND_NREASONS ? names[reason] : "other";
}

/* ---- binaries ---------------------------------------------------------- */

struct useg {
	uint64_t offset, vaddr, filesz, memsz;
	uint32_t flags; /* PF_* */
};

/* A binary as recorded (path, build-id), opened once per unwinder. */
struct ubin {
	char *path;
	uint8_t build_id[WPD_BUILD_ID_MAX];
	size_t build_id_len;
	int state;        /* 0 usable, else the enum wp_unwind_reason it causes */
	int fd;           /* usable: the file (a memfd for the vDSO) */
	char *real;       /* usable: what was opened, for messages */
	struct useg *segs;
	size_t nsegs;
	bool exec;        /* ET_EXEC: loaded where its headers say, bias 0 */
	uint64_t lo, hi;  /* its PT_LOADs' extent, unbiased (page-aligned lo) */
};

/* A mapping of an address space. */
struct uspan {
	uint64_t start, end, pgoff;
	struct ubin *bin;
	uint64_t bias;
	int state;        /* 0: usable (its binary is a module), else a reason */
	bool module;      /* this span reported the module: [bias + lo, bias + hi) */
};

struct wp_uspace {
	struct wp_unwinder *u;
	uint32_t pid;
	uint64_t gen, last_use;
	Dwfl *dwfl;
	bool attached;
	struct uspan *spans;
	size_t nspans, spans_cap;
	/* the unwinding in progress */
	const struct wpd_ustack_dump *cur;
	uint64_t *pcs;
	size_t max, n;
	bool depth;
	bool fault, any_fault;   /* a read outside the dump since the last frame, at all */
	uint64_t fault_addr, first_fault;
};

struct wp_unwinder {
	char *symfs;
	char *debuginfo_path;
	Dwfl_Callbacks cbs;
	bool vdso_same_kernel;
	int (*open_bin)(void *ctx, const char *path, const uint8_t *bid, size_t len);
	void *open_ctx;
	Elf *arch_elf;        /* an x86_64 ELF header: the machine for attaching */
	struct ubin **bins;
	size_t nbins, bins_cap;
	struct wp_map bin_idx; /* hash(path, build-id) -> index, probed */
	struct wp_uspace **spaces;
	size_t nspaces, max_spaces;
	uint64_t clock;
	uint64_t unwinds, ns;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Recorded ids may be cut to WPD_BUILD_ID_MAX bytes or zero-padded to it:
 * compare on the common prefix, any recorded excess must be zeros. */
static bool build_id_eq(const uint8_t *rec, size_t rec_len, const uint8_t *found,
			size_t found_len)
{
	size_t i, n = rec_len < found_len ? rec_len : found_len;

	if (n == 0 || memcmp(rec, found, n) != 0)
		return false;
	if (found_len > rec_len)
		return rec_len == WPD_BUILD_ID_MAX;
	for (i = n; i < rec_len; i++)
		if (rec[i])
			return false;
	return true;
}

/* This process's vDSO as a file (a memfd), or -1. */
static int vdso_fd(void)
{
	size_t size = 0;
	const void *image = wp_vdso_image(&size);
	int fd;

	if (!image)
		return -1;
	fd = memfd_create("wp-vdso", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write(fd, image, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Check the file against the recorded build-id and read its PT_LOADs. */
static int bin_check(struct ubin *b)
{
	Elf *e = elf_begin(b->fd, ELF_C_READ_MMAP, NULL);
	const void *bid = NULL;
	size_t i, phnum;
	ssize_t n;
	int state = 0;

	if (!e || elf_kind(e) != ELF_K_ELF || elf_getphdrnum(e, &phnum)) {
		state = WP_UNWIND_NO_BINARY;
		goto out;
	}
	if (b->build_id_len) {
		n = dwelf_elf_gnu_build_id(e, &bid);
		if (n <= 0 || !build_id_eq(b->build_id, b->build_id_len, bid, (size_t)n)) {
			state = WP_UNWIND_MISMATCH;
			goto out;
		}
	}
	b->segs = calloc(phnum ? phnum : 1, sizeof(*b->segs));
	if (!b->segs) {
		state = -ENOMEM;
		goto out;
	}
	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		b->segs[b->nsegs++] = (struct useg){ ph.p_offset, ph.p_vaddr, ph.p_filesz,
						     ph.p_memsz, ph.p_flags };
		if (b->nsegs == 1 || (ph.p_vaddr & ~0xfffull) < b->lo)
			b->lo = ph.p_vaddr & ~0xfffull;
		if (ph.p_vaddr + ph.p_memsz > b->hi)
			b->hi = ph.p_vaddr + ph.p_memsz;
	}
	if (!b->nsegs)
		state = WP_UNWIND_NO_BINARY;
	{
		GElf_Ehdr eh;

		b->exec = gelf_getehdr(e, &eh) && eh.e_type == ET_EXEC;
	}
out:
	if (e)
		elf_end(e);
	return state;
}

static int bin_open(struct wp_unwinder *u, struct ubin *b)
{
	size_t plen;
	struct stat st;
	int state;

	if (!strcmp(b->path, "[vdso]")) {
		if (!b->build_id_len && !u->vdso_same_kernel)
			return WP_UNWIND_NO_BINARY;
		b->fd = vdso_fd();
		if (b->fd < 0)
			return WP_UNWIND_NO_BINARY;
		b->real = strdup("[vdso]");
	} else {
		if (b->path[0] != '/' || !strncmp(b->path, "/memfd:", 7))
			return WP_UNWIND_NO_CFI; /* anonymous or JIT code: no file */
		plen = wp_mapped_path_len(b->path); /* the file may still be there */
		if (asprintf(&b->real, "%s%.*s", u->symfs ? u->symfs : "", (int)plen, b->path) < 0) {
			b->real = NULL;
			return -ENOMEM;
		}
		if (u->open_bin)
			b->fd = u->open_bin(u->open_ctx, b->path, b->build_id, b->build_id_len);
		/* a path from the file: not a FIFO to block on, not a device */
		if (b->fd < 0)
			b->fd = wp_open_regular(b->real);
		if (b->fd < 0 || fstat(b->fd, &st) || !S_ISREG(st.st_mode))
			return WP_UNWIND_NO_BINARY;
	}
	if (!b->real)
		return -ENOMEM;
	state = bin_check(b);
	if (state > 0)
		pr_debug("unwind: %s: %s", b->real, wp_unwind_reason__name((unsigned int)state));
	return state;
}

static uint64_t bin_hash(const char *path, const uint8_t *bid, size_t len)
{
	return wp_hash_bytes(bid, len, wp_hash_bytes(path, strlen(path), 0x9e3779b97f4a7c15ull));
}

static struct ubin *bin_get(struct wp_unwinder *u, const char *path, const uint8_t *bid,
			    size_t len)
{
	uint64_t h = bin_hash(path, bid, len), idx;
	struct ubin *b;
	int state;

	if (len > WPD_BUILD_ID_MAX)
		len = WPD_BUILD_ID_MAX;
	for (;; h = wp_hash64(h + 1)) {
		if (!wp_map__get(&u->bin_idx, h, &idx))
			break;
		b = u->bins[idx];
		if (b->build_id_len == len && !memcmp(b->build_id, bid, len) &&
		    !strcmp(b->path, path))
			return b;
	}
	b = calloc(1, sizeof(*b));
	if (!b || WP_GROW(u->bins, u->bins_cap, u->nbins + 1) ||
	    !(b->path = strdup(path)) || wp_map__put(&u->bin_idx, h, u->nbins)) {
		if (b)
			free(b->path);
		free(b);
		return NULL;
	}
	u->bins[u->nbins++] = b;
	memcpy(b->build_id, bid, len);
	b->build_id_len = len;
	b->fd = -1;
	state = bin_open(u, b);
	if (state < 0)
		return NULL;
	b->state = state;
	if (state && b->fd >= 0) {
		close(b->fd);
		b->fd = -1;
	}
	return b;
}

static void bin_free(struct ubin *b)
{
	if (!b)
		return;
	if (b->fd >= 0)
		close(b->fd);
	free(b->path);
	free(b->real);
	free(b->segs);
	free(b);
}

/* ---- the unwinder ------------------------------------------------------ */

static int no_find_elf(Dwfl_Module *mod, void **userdata, const char *modname,
		       Dwarf_Addr base, char **file_name, Elf **elfp)
{
	(void)mod; (void)userdata; (void)modname; (void)base; (void)file_name; (void)elfp;
	return -1; /* every module is reported with its file */
}

struct wp_unwinder *wp_unwinder__new(const struct wp_unwinder_opts *opts)
{
	static const Elf64_Ehdr x86_64 = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB,
			     EV_CURRENT },
		.e_type = ET_EXEC,
		.e_machine = EM_X86_64,
		.e_version = EV_CURRENT,
		.e_ehsize = sizeof(Elf64_Ehdr),
	};
	struct wp_unwinder *u = calloc(1, sizeof(*u));
	const char *symfs = opts && opts->symfs && *opts->symfs ? opts->symfs : NULL;
	struct utsname un;
	struct rlimit rl;

	if (!u)
		return NULL;
	/* a binary is an open file (and one more per address space using it):
	 * a system-wide recording may hold more than the default 1024 */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	elf_version(EV_CURRENT);
	u->max_spaces = opts && opts->max_spaces ? opts->max_spaces : DEFAULT_SPACES;
	u->spaces = calloc(u->max_spaces, sizeof(*u->spaces));
	if (symfs)
		u->symfs = strdup(symfs);
	if (asprintf(&u->debuginfo_path, ":.debug:%s/usr/lib/debug", symfs ? symfs : "") < 0)
		u->debuginfo_path = NULL;
	u->arch_elf = elf_memory((char *)&x86_64, sizeof(x86_64));
	if (!u->spaces || (symfs && !u->symfs) || !u->debuginfo_path || !u->arch_elf) {
		wp_unwinder__free(u);
		return NULL;
	}
	u->open_bin = opts ? opts->open_bin : NULL;
	u->open_ctx = opts ? opts->open_ctx : NULL;
	u->cbs.find_elf = no_find_elf;
	u->cbs.find_debuginfo = dwfl_standard_find_debuginfo;
	u->cbs.debuginfo_path = &u->debuginfo_path;
	u->vdso_same_kernel = opts && opts->kernel_release && opts->arch && !uname(&un) &&
			      !strcmp(un.release, opts->kernel_release) &&
			      !strcmp(un.machine, opts->arch);
	return u;
}

static void space_free(struct wp_uspace *s)
{
	if (!s)
		return;
	if (s->dwfl)
		dwfl_end(s->dwfl);
	free(s->spans);
	free(s);
}

void wp_unwinder__free(struct wp_unwinder *u)
{
	size_t i;

	if (!u)
		return;
	for (i = 0; i < u->nspaces; i++)
		space_free(u->spaces[i]);
	free(u->spaces);
	for (i = 0; i < u->nbins; i++)
		bin_free(u->bins[i]);
	free(u->bins);
	wp_map__release(&u->bin_idx);
	if (u->arch_elf)
		elf_end(u->arch_elf);
	free(u->symfs);
	free(u->debuginfo_path);
	free(u);
}

void wp_unwinder__counts(const struct wp_unwinder *u, uint64_t *unwinds, uint64_t *ns)
{
	*unwinds = u ? u->unwinds : 0;
	*ns = u ? u->ns : 0;
}

/* ---- thread callbacks: the dump as a stopped thread -------------------- */

static pid_t cb_next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	(void)dwfl; (void)arg; (void)thread_argp;
	return 0; /* threads are asked for by tid only */
}

static bool cb_get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	(void)dwfl; (void)tid;
	*thread_argp = arg;
	return true;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The mapping of a: the latest one covering it, as for names (6.6). */
static struct uspan *span_find(struct wp_uspace *s, uint64_t a)
{
	size_t i;

	for (i = s->nspans; i-- > 0;)
		if (a >= s->spans[i].start && a < s->spans[i].end)
			return &s->spans[i];
	return NULL;
}

/* Read-only contents of a mapped binary (code, constants). */
static bool read_file(struct wp_uspace *s, uint64_t addr, uint64_t *out)
{
	struct uspan *sp = span_find(s, addr);
	uint64_t off;
	uint8_t buf[8];
	size_t i;

	if (!sp || !sp->bin || sp->bin->state || sp->end - addr < 8)
		return false;
	off = addr - sp->start + sp->pgoff;
	for (i = 0; i < sp->bin->nsegs; i++) {
		const struct useg *g = &sp->bin->segs[i];

		if (!(g->flags & PF_W) && off >= g->offset && off - g->offset <= g->filesz &&
		    g->filesz - (off - g->offset) >= 8) {
			if (pread(sp->bin->fd, buf, 8, (off_t)off) != 8)
				return false;
			*out = le64(buf);
			return true;
		}
	}
	return false;
}

static bool cb_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct wp_uspace *s = arg;
	const struct wpd_ustack_dump *d = s->cur;
	uint64_t v;

	(void)dwfl;
	if (d && d->dump_len >= 8 && addr >= d->dump_addr &&
	    addr - d->dump_addr <= d->dump_len - 8) {
		*result = le64(d->dump + (addr - d->dump_addr));
		return true;
	}
	if (read_file(s, addr, &v)) {
		*result = v;
		return true;
	}
	if (!s->fault) {
		s->fault = true;
		s->fault_addr = addr;
	}
	if (!s->any_fault) {
		s->any_fault = true;
		s->first_fault = addr;
	}
	return false;
}

static bool cb_set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct wp_uspace *s = arg;
	const struct wpd_ustack_dump *d = s->cur;
	Dwarf_Word regs[X86_64_NREGS];
	unsigned int i, first;

	/* contiguous runs of the registers recorded */
	for (i = 0; i < X86_64_NREGS;) {
		if (!(d->regs_mask >> i & 1)) {
			i++;
			continue;
		}
		for (first = i; i < X86_64_NREGS && d->regs_mask >> i & 1; i++)
			regs[i - first] = d->regs[i];
		if (!dwfl_thread_state_registers(thread, (int)first, i - first, regs))
			return false;
	}
	dwfl_thread_state_register_pc(thread, d->regs[X86_64_PC]);
	return true;
}

static const Dwfl_Thread_Callbacks thread_cbs = {
	.next_thread = cb_next_thread,
	.get_thread = cb_get_thread,
	.memory_read = cb_memory_read,
	.set_initial_registers = cb_set_initial_registers,
};

/* ---- address spaces ----------------------------------------------------- */

struct wp_uspace *wp_unwinder__space(struct wp_unwinder *u, uint32_t pid, uint64_t gen,
				     bool *is_new)
{
	struct wp_uspace *s;
	size_t i, lru = 0;

	*is_new = false;
	for (i = 0; i < u->nspaces; i++) {
		s = u->spaces[i];
		if (s->pid == pid && s->gen == gen) {
			s->last_use = ++u->clock;
			return s;
		}
		if (s->last_use < u->spaces[lru]->last_use)
			lru = i;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->u = u;
	s->pid = pid;
	s->gen = gen;
	s->last_use = ++u->clock;
	s->dwfl = dwfl_begin(&u->cbs);
	if (!s->dwfl) {
		free(s);
		return NULL;
	}
	if (u->nspaces < u->max_spaces) {
		u->spaces[u->nspaces++] = s;
	} else {
		space_free(u->spaces[lru]);
		u->spaces[lru] = s;
	}
	*is_new = true;
	return s;
}

/* The load bias a mapping implies: the segment holding its file offset
 * (an executable that is not position-independent: 0). */
static bool span_bias(const struct ubin *b, const struct wp_umap *m, uint64_t *bias)
{
	size_t i;

	if (b->exec) {
		*bias = 0;
		return true;
	}
	for (i = 0; i < b->nsegs; i++) {
		const struct useg *g = &b->segs[i];
		uint64_t lo = g->offset & ~0xfffull;

		if (m->pgoff >= lo && m->pgoff - lo < g->filesz + (g->offset - lo)) {
			*bias = m->start - m->pgoff + g->offset - g->vaddr;
			return true;
		}
	}
	return false;
}

/* Report the span's binary as a module (between report_begin and _end). */
static int report_module(struct wp_uspace *s, struct uspan *sp)
{
	const char *base = strrchr(sp->bin->path, '/');
	int fd = dup(sp->bin->fd);

	if (fd < 0)
		return -errno;
	sp->module = dwfl_report_elf(s->dwfl, base ? base + 1 : sp->bin->path, sp->bin->real,
				     fd, sp->bias, true) != NULL;
	if (!sp->module) {
		pr_debug("unwind: %s at %#llx: %s", sp->bin->real, (unsigned long long)sp->start,
			 dwfl_errmsg(-1));
		close(fd);
		sp->state = WP_UNWIND_OTHER;
	}
	return 0;
}

int wp_uspace__add_map(struct wp_uspace *s, const struct wp_umap *m)
{
	bool superseded = false;
	struct ubin *b;
	struct uspan *sp;
	size_t i;
	int err;

	if (m->end <= m->start)
		return 0;
	b = bin_get(s->u, m->path ? m->path : "", m->build_id, m->build_id_len);
	if (!b)
		return -ENOMEM;
	for (i = 0; i < s->nspans; i++) /* told again (wp-record re-adds a process's maps) */
		if (s->spans[i].bin == b && s->spans[i].start == m->start &&
		    s->spans[i].end == m->end && s->spans[i].pgoff == m->pgoff)
			return 0;
	if (WP_GROW(s->spans, s->spans_cap, s->nspans + 1))
		return -ENOMEM;
	sp = &s->spans[s->nspans++];
	memset(sp, 0, sizeof(*sp));
	sp->start = m->start;
	sp->end = m->end;
	sp->pgoff = m->pgoff;
	sp->bin = b;
	sp->state = b->state;
	if (sp->state)
		return 0;
	if (!span_bias(b, m, &sp->bias)) {
		sp->state = WP_UNWIND_NO_BINARY; /* the file does not map that offset */
		return 0;
	}
	/*
	 * One module per binary and bias, and none overlapping another
	 * (libdwfl would drop both): a later mapping over an older module's
	 * range wins, as it does for names, and the Dwfl is made again
	 * without the older one (rare: a library unloaded and another loaded
	 * at its address).
	 */
	for (i = 0; i + 1 < s->nspans; i++) {
		struct uspan *o = &s->spans[i];

		if (o->bin == b && !o->state && o->bias == sp->bias)
			return 0;
		if (o->module && sp->bias + b->lo < o->bias + o->bin->hi &&
		    o->bias + o->bin->lo < sp->bias + b->hi) {
			pr_debug("unwind: %s at %#llx replaces %s", b->real,
				 (unsigned long long)m->start, o->bin->real);
			o->module = false;
			o->state = WP_UNWIND_OTHER;
			superseded = true;
		}
	}
	if (superseded) {
		dwfl_end(s->dwfl);
		s->attached = false;
		s->dwfl = dwfl_begin(&s->u->cbs);
		if (!s->dwfl)
			return -ENOMEM;
		dwfl_report_begin(s->dwfl);
		for (i = 0; i + 1 < s->nspans; i++)
			if (s->spans[i].module && report_module(s, &s->spans[i]))
				return -errno;
	} else {
		dwfl_report_begin_add(s->dwfl);
	}
	err = report_module(s, sp);
	dwfl_report_end(s->dwfl, NULL, NULL);
	return err;
}

/* ---- unwinding ------------------------------------------------------------ */

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct wp_uspace *s = arg;
	Dwarf_Addr pc;
	bool act;

	if (!dwfl_frame_pc(state, &pc, &act))
		return DWARF_CB_ABORT;
	if (s->n >= s->max) {
		s->depth = true;
		return DWARF_CB_ABORT;
	}
	s->pcs[s->n++] = pc;
	s->fault = false; /* what matters is a fault unwinding from this frame */
	return DWARF_CB_OK;
}

/* The CFI frame of the binary at a (.eh_frame, else .debug_frame), to
 * free(); NULL if it has none. */
static Dwarf_Frame *cfi_frame(Dwfl *dwfl, uint64_t a)
{
	Dwfl_Module *mod = dwfl_addrmodule(dwfl, a);
	Dwarf_Frame *f = NULL;
	Dwarf_Addr bias;
	Dwarf_CFI *cfi;

	if (!mod)
		return NULL;
	cfi = dwfl_module_eh_cfi(mod, &bias);
	if (cfi && dwarf_cfi_addrframe(cfi, a - bias, &f) == 0)
		return f;
	cfi = dwfl_module_dwarf_cfi(mod, &bias);
	if (cfi && dwarf_cfi_addrframe(cfi, a - bias, &f) == 0)
		return f;
	return NULL;
}

static bool has_cfi(Dwfl *dwfl, uint64_t a)
{
	Dwarf_Frame *f = cfi_frame(dwfl, a);

	free(f);
	return f != NULL;
}

/* The CFI at a says its caller's return address is undefined: a is in the
 * outermost frame (_start, a thread's start). */
static bool outermost(Dwfl *dwfl, uint64_t a)
{
	Dwarf_Frame *f = cfi_frame(dwfl, a);
	Dwarf_Op mem[3], *ops = NULL;
	Dwarf_Addr start, end;
	bool signalp, undef = false;
	size_t nops = 1;
	int ra;

	if (!f)
		return false;
	ra = dwarf_frame_info(f, &start, &end, &signalp);
	if (ra >= 0 && dwarf_frame_register(f, ra, mem, &ops, &nops) == 0)
		undef = nops == 0 && ops == mem;
	free(f);
	return undef;
}

/* a is in the function at its module's ELF entry point (_start of ld.so,
 * or of a static program): a process's first frame, which has no caller
 * and, in ld.so, no CFI to say so. The function is told by the symbol
 * holding a, when the module has one; else a must be the entry itself. */
static bool in_entry(Dwfl *dwfl, uint64_t a)
{
	Dwfl_Module *m = dwfl_addrmodule(dwfl, a);
	GElf_Addr bias = 0, entry;
	Elf *e = m ? dwfl_module_getelf(m, &bias) : NULL;
	GElf_Off off = 0;
	GElf_Sym sym;
	GElf_Ehdr eh;

	if (!e || !gelf_getehdr(e, &eh) || !eh.e_entry)
		return false;
	entry = eh.e_entry + bias;
	return a == entry || (dwfl_module_addrinfo(m, a, &off, &sym, NULL, NULL, NULL) &&
			      a - off == entry);
}

static int memory_reason(const struct wpd_ustack_dump *d, uint64_t addr)
{
	if ((d->flags & WPD_USTACK_AT_LIMIT) && addr >= d->dump_addr + d->dump_len)
		return WP_UNWIND_DUMP_LIMIT;
	return WP_UNWIND_OUTSIDE_DUMP;
}

/* Why unwinding from the last frame found failed. */
static int classify(struct wp_uspace *s, const struct wpd_ustack_dump *d)
{
	uint64_t a;
	struct uspan *sp;

	if (!s->n)
		return WP_UNWIND_NO_REGS;
	/* the call, not the return address, for every frame but the first */
	a = s->pcs[s->n - 1] - (s->n > 1);
	sp = span_find(s, a);
	if (!sp)
		return WP_UNWIND_NO_MAPPING;
	if (sp->state)
		return sp->state;
	if (in_entry(s->dwfl, a))
		return WP_UNWIND_OK; /* the whole stack */
	if (!has_cfi(s->dwfl, a))
		return WP_UNWIND_NO_CFI;
	if (s->fault)
		return memory_reason(d, s->fault_addr);
	/* a register lost to an earlier read outside the dump */
	if (s->any_fault)
		return memory_reason(d, s->first_fault);
	return WP_UNWIND_OTHER;
}

int wp_uspace__unwind(struct wp_uspace *s, const struct wpd_ustack_dump *d,
		      uint64_t *pcs, size_t max, size_t *n)
{
	const uint64_t need = 1ull << X86_64_SP | 1ull << X86_64_PC;
	uint64_t t0 = mono_ns();
	int ret, reason;

	*n = 0;
	if (d->machine != EM_X86_64)
		return WP_UNWIND_FOREIGN_ARCH; /* another register layout: never guess */
	if ((d->regs_mask & need) != need || !max)
		return WP_UNWIND_NO_REGS;
	if (!s->attached) {
		if (!dwfl_attach_state(s->dwfl, s->u->arch_elf, (pid_t)(s->pid ? s->pid : 1),
				       &thread_cbs, s)) {
			pr_debug("unwind: cannot attach: %s", dwfl_errmsg(-1));
			return WP_UNWIND_OTHER;
		}
		s->attached = true;
	}
	s->cur = d;
	s->pcs = pcs;
	s->max = max < WP_UNWIND_MAX_FRAMES ? max : WP_UNWIND_MAX_FRAMES;
	s->n = 0;
	s->depth = s->fault = s->any_fault = false;
	ret = dwfl_getthread_frames(s->dwfl, (pid_t)(d->tid ? d->tid : 1), frame_cb, s);
	/* libdwfl also ends quietly, as at the outermost frame, when a return
	 * address cannot be read: after a read outside the dump, only CFI that
	 * says so makes the last frame the outermost one */
	if (ret == 0 && (!s->any_fault ||
			 (s->n && outermost(s->dwfl, s->pcs[s->n - 1] - (s->n > 1)))))
		reason = WP_UNWIND_OK;
	else if (s->depth)
		reason = WP_UNWIND_DEPTH;
	else
		reason = classify(s, d);
	if (reason != WP_UNWIND_OK && wp_log_verbosity >= WP_LOG_DEBUG) {
		uint64_t pc = s->n ? s->pcs[s->n - 1] : d->regs[X86_64_PC];
		struct uspan *sp = span_find(s, pc - (s->n > 1));

		pr_debug("unwind: pid %u tid %u: %s after %zu frames, at %#llx (%s+%#llx)%s%s",
			 d->pid, d->tid, wp_unwind_reason__name((unsigned int)reason), s->n,
			 (unsigned long long)pc, sp ? sp->bin->path : "no mapping",
			 (unsigned long long)(sp ? pc - sp->start + sp->pgoff : 0),
			 ret < 0 ? ": " : "", ret < 0 ? dwfl_errmsg(-1) : "");
	}
	*n = s->n;
	s->cur = NULL;
	s->pcs = NULL;
	s->u->unwinds++;
	s->u->ns += mono_ns() - t0;
	return reason;
}
