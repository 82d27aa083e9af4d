/* SPDX-License-Identifier: MIT */
/*
 * ELF function symbols with libelf: one sorted table per binary, binary
 * search per address. (libdw's dwfl_module_addrinfo costs milliseconds
 * per lookup on a large library; this is a few hundred nanoseconds.)
 */
#include "report/symbols.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/log.h"
#include "format/wpd.h"
#include "report/util.h"

#define BUILD_ID_READ_MAX 64
#define DEBUG_DIR "/usr/lib/debug/.build-id/"

struct elf_fn {
	uint64_t addr, end;
	uint64_t sec_end; /* end of its section: bounds a size-0 symbol */
	uint32_t name;    /* offset into the DSO's strtab */
	uint8_t rank;     /* alias preference, lower wins */
};

struct load_seg {
	uint64_t offset, vaddr, filesz;
	uint32_t flags;
};

struct wp_dso {
	char *path;
	const char *name;
	uint8_t build_id[WPD_BUILD_ID_MAX];
	size_t build_id_len;
	uint32_t index;
	bool loaded, usable;
	struct load_seg *segs;
	size_t nsegs, segs_cap;
	struct elf_fn *fns;
	size_t nfns, fns_cap;
	char *strtab;
	size_t strtab_len;
	struct wp_symbolizer *owner;
};

struct wp_symbolizer {
	char *symfs;
	bool vdso_same_kernel; /* the recording's kernel is the running one */
	struct wp_dso **dsos;
	size_t n, cap;
	struct wp_map by_key; /* hash(path, build-id) -> index (probed) */
};

static bool elf_ready;

struct wp_symbolizer *wp_symbolizer__new(const struct wp_symbolizer_opts *opts)
{
	struct wp_symbolizer *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (opts && opts->symfs && opts->symfs[0]) {
		size_t n = strlen(opts->symfs);

		/* "/" and "dir/" mean the same as "" and "dir" */
		while (n > 0 && opts->symfs[n - 1] == '/')
			n--;
		s->symfs = strndup(opts->symfs, n);
		if (!s->symfs) {
			free(s);
			return NULL;
		}
	}
	if (opts && opts->kernel_release && opts->arch) {
		struct utsname u;

		s->vdso_same_kernel = uname(&u) == 0 &&
				      strcmp(u.release, opts->kernel_release) == 0 &&
				      strcmp(u.machine, opts->arch) == 0;
	}
	if (!elf_ready) {
		elf_version(EV_CURRENT);
		elf_ready = true;
	}
	return s;
}

static void dso_free(struct wp_dso *d)
{
	if (!d)
		return;
	free(d->path);
	free(d->segs);
	free(d->fns);
	free(d->strtab);
	free(d);
}

void wp_symbolizer__free(struct wp_symbolizer *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		dso_free(s->dsos[i]);
	free(s->dsos);
	wp_map__release(&s->by_key);
	free(s->symfs);
	free(s);
}

void wp_build_id_hex(const uint8_t *id, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[id[i] >> 4];
		out[2 * i + 1] = hex[id[i] & 15];
	}
	out[2 * len] = '\0';
}

struct wp_dso *wp_symbolizer__dso(struct wp_symbolizer *s, const char *path,
				  const uint8_t *build_id, size_t build_id_len)
{
	struct wp_dso *d;
	uint64_t h, idx;
	const char *slash;

	if (build_id_len > sizeof(d->build_id))
		build_id_len = sizeof(d->build_id);
	h = wp_hash_bytes(path, strlen(path), wp_hash_bytes(build_id, build_id_len, 0));
	for (;; h = wp_hash64(h + 1)) {
		if (!wp_map__get(&s->by_key, h, &idx))
			break;
		d = s->dsos[idx];
		if (d->build_id_len == build_id_len && strcmp(d->path, path) == 0 &&
		    (!build_id_len || memcmp(d->build_id, build_id, build_id_len) == 0))
			return d;
	}
	if (s->n >= UINT32_MAX || WP_GROW(s->dsos, s->cap, s->n + 1))
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d || !(d->path = strdup(path))) {
		free(d);
		return NULL;
	}
	if (wp_map__put(&s->by_key, h, s->n)) {
		dso_free(d);
		return NULL;
	}
	slash = strrchr(d->path, '/');
	d->name = slash && slash[1] && d->path[0] == '/' ? slash + 1 : d->path;
	if (build_id_len)
		memcpy(d->build_id, build_id, build_id_len);
	d->build_id_len = build_id_len;
	d->index = (uint32_t)s->n;
	d->owner = s;
	s->dsos[s->n++] = d;
	return d;
}

const char *wp_dso__name(const struct wp_dso *d)
{
	return d->name;
}

const char *wp_dso__path(const struct wp_dso *d)
{
	return d->path;
}

uint32_t wp_dso__index(const struct wp_dso *d)
{
	return d->index;
}

typedef char *(*cxa_demangle_fn)(const char *, char *, size_t *, int *);

char *wp_demangle(const char *name)
{
	static cxa_demangle_fn demangle;
	static bool tried;
	int status = 0;
	char *out;

	if (name[0] != '_' || name[1] != 'Z')
		return NULL;
	if (!tried) {
		void *h = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);

		tried = true;
		if (h)
			*(void **)&demangle = dlsym(h, "__cxa_demangle");
		if (!demangle)
			pr_info("no C++ demangler (libstdc++.so.6): names stay mangled");
	}
	if (!demangle)
		return NULL;
	out = demangle(name, NULL, NULL, &status);
	if (status != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* ---- ELF reading ------------------------------------------------------- */

struct elf_file {
	int fd;
	Elf *elf;
};

/* This process's vDSO image, opened as an ELF file in memory. */
static int vdso_open(struct elf_file *f)
{
	const ElfW(Ehdr) *eh = (const void *)getauxval(AT_SYSINFO_EHDR);
	const ElfW(Phdr) *ph;
	size_t size = 0, i;

	f->fd = -1;
	f->elf = NULL;
	if (!eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return -ENOENT;
	/* the image is its file: section headers end it, segments are in it */
	size = eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize;
	ph = (const void *)((const char *)eh + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_offset + ph[i].p_filesz > size)
			size = ph[i].p_offset + ph[i].p_filesz;
	f->elf = elf_memory((char *)eh, size);
	if (!f->elf || elf_kind(f->elf) != ELF_K_ELF) {
		if (f->elf)
			elf_end(f->elf);
		f->elf = NULL;
		return -ENOEXEC;
	}
	return 0;
}

static int elf_file__open(struct elf_file *f, const char *path)
{
	f->elf = NULL;
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0)
		return -errno;
	f->elf = elf_begin(f->fd, ELF_C_READ_MMAP, NULL);
	if (!f->elf || elf_kind(f->elf) != ELF_K_ELF) {
		if (f->elf)
			elf_end(f->elf);
		close(f->fd);
		f->fd = -1;
		f->elf = NULL;
		return -ENOEXEC;
	}
	return 0;
}

static void elf_file__close(struct elf_file *f)
{
	if (f->elf)
		elf_end(f->elf);
	if (f->fd >= 0)
		close(f->fd);
	f->elf = NULL;
	f->fd = -1;
}

static int note_build_id(Elf_Data *d, uint8_t *buf, size_t len)
{
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;

	while ((off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
		size_t n;

		if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
		    memcmp((const char *)d->d_buf + name_off, "GNU", 4) != 0)
			continue;
		n = nh.n_descsz < len ? nh.n_descsz : len;
		memcpy(buf, (const char *)d->d_buf + desc_off, n);
		return (int)n;
	}
	return 0;
}

static int elf_build_id(Elf *e, uint8_t *buf, size_t len)
{
	Elf_Scn *scn = NULL;
	size_t i, phnum;
	int n;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		d = elf_getdata(scn, NULL);
		if (d && (n = note_build_id(d, buf, len)) > 0)
			return n;
	}
	/* no section headers (or no note section): the PT_NOTE segments */
	if (elf_getphdrnum(e, &phnum))
		return 0;
	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		Elf_Data *d;

		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_NOTE)
			continue;
		d = elf_getdata_rawchunk(e, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_NHDR);
		if (d && (n = note_build_id(d, buf, len)) > 0)
			return n;
	}
	return 0;
}

int wp_elf_path_build_id(const char *path, uint8_t *buf, size_t len)
{
	struct elf_file f;
	int ret;

	if (!elf_ready) {
		elf_version(EV_CURRENT);
		elf_ready = true;
	}
	ret = elf_file__open(&f, path);
	if (ret)
		return ret;
	ret = elf_build_id(f.elf, buf, len);
	elf_file__close(&f);
	return ret;
}

/*
 * Recorded ids may be cut to WPD_BUILD_ID_MAX bytes or zero-padded to it
 * (the kernel's build-id buffers are 20 bytes): compare on the common
 * prefix and require any recorded excess to be zero padding.
 */
static bool build_id_eq(const uint8_t *rec, size_t rec_len,
			const uint8_t *found, size_t found_len)
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

static int load_segments(struct wp_dso *d, Elf *e)
{
	size_t i, phnum;

	d->nsegs = 0;
	if (elf_getphdrnum(e, &phnum))
		return 0;
	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (WP_GROW(d->segs, d->segs_cap, d->nsegs + 1))
			return -ENOMEM;
		d->segs[d->nsegs].offset = ph.p_offset;
		d->segs[d->nsegs].vaddr = ph.p_vaddr;
		d->segs[d->nsegs].filesz = ph.p_filesz;
		d->segs[d->nsegs].flags = ph.p_flags;
		d->nsegs++;
	}
	return 0;
}

/*
 * Which of several names of one address to show: the public one, i.e.
 * fewer leading underscores first ("nanosleep" over the global
 * "__nanosleep" it is a weak alias of), then global over weak over local.
 * Ties go to the shorter name, then the smaller (fn_cmp).
 */
static uint8_t sym_rank(const GElf_Sym *sym, const char *name)
{
	uint8_t r;

	switch (GELF_ST_BIND(sym->st_info)) {
	case STB_GLOBAL:
		r = 0;
		break;
	case STB_WEAK:
		r = 1;
		break;
	default:
		r = 2;
	}
	return (uint8_t)(((name[0] == '_') + (name[0] == '_' && name[1] == '_')) * 4 + r);
}

static int fn_cmp(const void *a, const void *b, void *arg)
{
	const struct wp_dso *sort_dso = arg;
	const struct elf_fn *x = a, *y = b;
	const char *nx, *ny;
	size_t lx, ly;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	nx = sort_dso->strtab + x->name;
	ny = sort_dso->strtab + y->name;
	lx = strlen(nx);
	ly = strlen(ny);
	if (lx != ly)
		return lx < ly ? -1 : 1;
	return strcmp(nx, ny);
}

/* Function symbols of .symtab, else .dynsym. 0 (also: none), -ENOMEM. */
static int load_symbols(struct wp_dso *d, Elf *e)
{
	Elf_Scn *scn = NULL, *symtab = NULL, *dynsym = NULL, *strscn;
	GElf_Shdr sh, strsh;
	Elf_Data *data, *strd;
	size_t i, n, entsize, out;

	while ((scn = elf_nextscn(e, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB && !symtab)
			symtab = scn;
		else if (sh.sh_type == SHT_DYNSYM && !dynsym)
			dynsym = scn;
	}
	scn = symtab ? symtab : dynsym;
	if (!scn || !gelf_getshdr(scn, &sh))
		return 0;
	strscn = elf_getscn(e, sh.sh_link);
	if (!strscn || !gelf_getshdr(strscn, &strsh) || strsh.sh_type != SHT_STRTAB)
		return 0;
	data = elf_getdata(scn, NULL);
	strd = elf_getdata(strscn, NULL);
	entsize = gelf_fsize(e, ELF_T_SYM, 1, EV_CURRENT);
	if (!data || !strd || !strd->d_buf || !entsize)
		return 0;

	free(d->strtab);
	d->strtab = malloc(strd->d_size + 1);
	if (!d->strtab)
		return -ENOMEM;
	memcpy(d->strtab, strd->d_buf, strd->d_size);
	d->strtab[strd->d_size] = '\0';
	d->strtab_len = strd->d_size;
	d->nfns = 0;

	n = data->d_size / entsize;
	for (i = 1; i < n; i++) {
		GElf_Sym sym;
		int type;
		struct elf_fn *f;

		if (!gelf_getsym(data, (int)i, &sym))
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) ||
		    sym.st_shndx == SHN_UNDEF || sym.st_name == 0 ||
		    sym.st_name >= d->strtab_len || sym.st_value == 0)
			continue;
		if (WP_GROW(d->fns, d->fns_cap, d->nfns + 1))
			return -ENOMEM;
		f = &d->fns[d->nfns++];
		f->addr = sym.st_value;
		f->end = sym.st_size ? sym.st_value + sym.st_size : 0;
		f->sec_end = 0;
		if (sym.st_shndx < SHN_LORESERVE) {
			Elf_Scn *sec = elf_getscn(e, sym.st_shndx);
			GElf_Shdr ssh;

			if (sec && gelf_getshdr(sec, &ssh))
				f->sec_end = ssh.sh_addr + ssh.sh_size;
		}
		f->name = sym.st_name;
		f->rank = sym_rank(&sym, d->strtab + sym.st_name);
	}

	if (d->nfns > 1)
		qsort_r(d->fns, d->nfns, sizeof(*d->fns), fn_cmp, d);
	/* one symbol per address: the preferred alias, the largest size */
	for (i = 0, out = 0; i < d->nfns; i++) {
		if (out && d->fns[out - 1].addr == d->fns[i].addr) {
			if (d->fns[i].end > d->fns[out - 1].end)
				d->fns[out - 1].end = d->fns[i].end;
			continue;
		}
		d->fns[out++] = d->fns[i];
	}
	d->nfns = out;
	/* a symbol without size reaches the next symbol or its section end */
	for (i = 0; i < d->nfns; i++) {
		struct elf_fn *f = &d->fns[i];
		uint64_t lim = i + 1 < d->nfns ? d->fns[i + 1].addr : UINT64_MAX;

		if (f->end)
			continue;
		if (f->sec_end > f->addr && f->sec_end < lim)
			lim = f->sec_end;
		f->end = lim == UINT64_MAX ? f->addr + 1 : lim;
	}
	return 0;
}

static int debug_path(const struct wp_dso *d, const uint8_t *id, size_t len,
		      char *buf, size_t buflen)
{
	char hex[2 * WPD_BUILD_ID_MAX + 1];
	int n;

	if (len < 2)
		return -ENOENT;
	wp_build_id_hex(id, len, hex);
	n = snprintf(buf, buflen, "%s" DEBUG_DIR "%.2s/%s.debug",
		     d->owner->symfs ? d->owner->symfs : "", hex, hex + 2);
	return n < 0 || (size_t)n >= buflen ? -ENAMETOOLONG : 0;
}

/* Open the separate debug file of this build-id, if it is there and matches. */
static int open_debug_file(const struct wp_dso *d, const uint8_t *id, size_t len,
			   struct elf_file *f)
{
	uint8_t found[BUILD_ID_READ_MAX];
	char path[4096];
	int n;

	if (debug_path(d, id, len, path, sizeof(path)))
		return -ENOENT;
	if (elf_file__open(f, path))
		return -ENOENT;
	n = elf_build_id(f->elf, found, sizeof(found));
	if (n <= 0 || !build_id_eq(id, len, found, (size_t)n)) {
		elf_file__close(f);
		return -ENOENT;
	}
	return 0;
}

static int dso_load(struct wp_dso *d)
{
	static const char deleted[] = " (deleted)";
	struct elf_file f = { .fd = -1 }, dbg = { .fd = -1 };
	uint8_t found[BUILD_ID_READ_MAX];
	char path[4096];
	char rec_hex[2 * WPD_BUILD_ID_MAX + 1], found_hex[2 * BUILD_ID_READ_MAX + 1];
	size_t plen;
	int n, ret, open_err;

	d->loaded = true;
	if (strcmp(d->path, "[vdso]") == 0) {
		if (!d->build_id_len && !d->owner->vdso_same_kernel)
			return 0;
		if (vdso_open(&f))
			return 0;
		if (d->build_id_len) {
			n = elf_build_id(f.elf, found, sizeof(found));
			if (n <= 0 || !build_id_eq(d->build_id, d->build_id_len, found, (size_t)n)) {
				elf_file__close(&f);
				return 0; /* another kernel's vDSO: expected, not worth a warning */
			}
		}
		goto use;
	}
	/* "//anon", "[heap]", memfd (anonymous memory)...: nothing to open */
	if (d->path[0] != '/' || strncmp(d->path, "/memfd:", 7) == 0)
		return 0;
	plen = strlen(d->path);
	if (plen > sizeof(deleted) - 1 &&
	    strcmp(d->path + plen - (sizeof(deleted) - 1), deleted) == 0)
		plen -= sizeof(deleted) - 1; /* the file may still be there */
	n = snprintf(path, sizeof(path), "%s%.*s", d->owner->symfs ? d->owner->symfs : "",
		     (int)plen, d->path);
	if (n < 0 || (size_t)n >= sizeof(path))
		return 0;

	open_err = elf_file__open(&f, path);
	if (!open_err && d->build_id_len) {
		n = elf_build_id(f.elf, found, sizeof(found));
		if (n <= 0 || !build_id_eq(d->build_id, d->build_id_len, found, (size_t)n)) {
			elf_file__close(&f);
			/* the right one may still be in the debug directory */
			if (open_debug_file(d, d->build_id, d->build_id_len, &f) == 0)
				goto use;
			wp_build_id_hex(d->build_id, d->build_id_len, rec_hex);
			if (n > 0)
				wp_build_id_hex(found, (size_t)n, found_hex);
			else
				strcpy(found_hex, "none");
			pr_warn("build-id mismatch for %s: recorded %s, found %s",
				path, rec_hex, found_hex);
			return 0;
		}
	} else if (open_err) {
		if (d->build_id_len &&
		    open_debug_file(d, d->build_id, d->build_id_len, &f) == 0)
			goto use;
		pr_warn("cannot read symbols of %s: %s", path,
			open_err == -ENOEXEC ? "not an ELF file" : strerror(-open_err));
		return 0;
	} else {
		pr_info("no build-id recorded for %s: using its symbols unchecked", path);
	}
use:
	ret = load_segments(d, f.elf);
	if (!ret)
		ret = load_symbols(d, f.elf);
	/* stripped binary: take the names from its debug file */
	if (!ret && d->nfns == 0) {
		n = d->build_id_len ? (int)d->build_id_len : elf_build_id(f.elf, found, sizeof(found));
		if (n > 0 && open_debug_file(d, d->build_id_len ? d->build_id : found,
					     (size_t)n, &dbg) == 0) {
			ret = load_symbols(d, dbg.elf);
			elf_file__close(&dbg);
		}
	}
	elf_file__close(&f);
	if (ret)
		return ret;
	d->usable = true;
	return 0;
}

bool wp_dso__usable(struct wp_dso *d)
{
	if (!d->loaded && dso_load(d))
		return false;
	return d->usable;
}

int wp_dso__lookup(struct wp_dso *d, uint64_t file_off, struct wp_sym *out)
{
	const struct load_seg *seg = NULL;
	uint64_t vaddr;
	size_t i, lo, hi, k;

	if (!wp_dso__usable(d) || !d->nfns)
		return 0;
	/* file offset -> ELF virtual address; prefer the executable segment */
	for (i = 0; i < d->nsegs; i++) {
		const struct load_seg *s = &d->segs[i];

		if (file_off < s->offset || file_off - s->offset >= s->filesz)
			continue;
		if (!seg || (s->flags & PF_X))
			seg = s;
	}
	if (!seg)
		return 0;
	vaddr = file_off - seg->offset + seg->vaddr;

	/* the last symbol starting at or before vaddr */
	lo = 0;
	hi = d->nfns;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->fns[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* it may not cover vaddr while an enclosing earlier one does */
	for (k = 0; k < 8 && lo > 0; k++, lo--) {
		const struct elf_fn *f = &d->fns[lo - 1];

		if (vaddr < f->end) {
			out->name = d->strtab + f->name;
			out->addr = f->addr;
			out->offset = vaddr - f->addr;
			return 1;
		}
	}
	return 0;
}
