/* SPDX-License-Identifier: MIT */
/*
 * ELF function symbols with libelf: one sorted table per binary, binary
 * search per address. (libdw's dwfl_module_addrinfo costs milliseconds
 * per lookup on a large library; this is a few hundred nanoseconds.)
 * Inline chains and source lines come from report/dwarf.c; names stored
 * in the recording from SYMBOL/SRCLINE records (report/embedded.c).
 */
#include "report/symbols.h"

#include <dlfcn.h>
#include <elf.h>
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
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
#include "common/openfile.h"
#include "format/wpd.h"
#include "report/dwarf.h"
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

/* Stored frames of one looked-up file offset: eframes[off .. off + n). */
struct eline {
	uint64_t addr;
	uint32_t off, n;
};

enum sym_src {
	SYM_NONE = 0,
	SYM_DYNSYM,  /* exported names only */
	SYM_SYMTAB,  /* the full table (the binary's or its debug file's) */
};

struct wp_dso {
	char *path;
	const char *name;
	uint8_t build_id[WPD_BUILD_ID_MAX];
	size_t build_id_len;
	uint32_t index;
	bool loaded, usable;
	enum wp_dso_state state;
	int fd;                /* the mapped file (wp_symbolizer__dso_fd), or -1 */
	uint8_t sym_src;       /* enum sym_src */
	uint16_t machine;
	uint8_t elf_class;
	struct load_seg *segs;
	size_t nsegs, segs_cap;
	struct elf_fn *fns;
	size_t nfns, fns_cap;
	char *strtab;
	size_t strtab_len;
	/* DWARF: the file holding it (the binary: dw_path NULL and dw_in_main) */
	char *dw_path;
	bool dw_in_main, dw_tried;
	struct wp_dwarf *dw;
	/* names stored in the recording */
	struct wp_esym *esyms;
	size_t nesyms, esyms_cap;
	struct eline *elines;
	size_t nelines, elines_cap;
	struct wp_srcframe *eframes;
	size_t neframes, eframes_cap;
	bool esorted;
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
	free(d->dw_path);
	wp_dwarf__free(d->dw);
	free(d->esyms);
	free(d->elines);
	free(d->eframes);
	if (d->fd >= 0)
		close(d->fd);
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
	d->fd = -1;
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

struct wp_dso *wp_symbolizer__dso_fd(struct wp_symbolizer *s, const char *path,
				     const uint8_t *build_id, size_t build_id_len, int fd)
{
	struct wp_dso *d = wp_symbolizer__dso(s, path, build_id, build_id_len);

	if (!d || d->fd >= 0 || d->loaded) {
		close(fd);
		return d;
	}
	d->fd = fd;
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

size_t wp_symbolizer__ndsos(const struct wp_symbolizer *s)
{
	return s ? s->n : 0;
}

struct wp_dso *wp_symbolizer__dso_at(const struct wp_symbolizer *s, size_t i)
{
	return s && i < s->n ? s->dsos[i] : NULL;
}

typedef char *(*cxa_demangle_fn)(const char *, char *, size_t *, int *);

char *wp_demangle(const char *name)
{
	static cxa_demangle_fn demangle;
	static bool tried;
	int status = 0;
	char *out;

	if (name[0] != '_' || (name[1] != 'Z' && name[1] != 'R'))
		return NULL;
	out = wp_rust_demangle(name);
	if (out || name[1] != 'Z')
		return out;
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
const void *wp_vdso_image(size_t *size)
{
	const ElfW(Ehdr) *eh = (const void *)getauxval(AT_SYSINFO_EHDR);
	const ElfW(Phdr) *ph;
	size_t i;

	if (!eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return NULL;
	/* the image is its file: section headers end it, segments are in it */
	*size = eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize;
	ph = (const void *)((const char *)eh + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_offset + ph[i].p_filesz > *size)
			*size = ph[i].p_offset + ph[i].p_filesz;
	return eh;
}

static int vdso_open(struct elf_file *f)
{
	size_t size = 0;
	const void *image = wp_vdso_image(&size);

	f->fd = -1;
	f->elf = NULL;
	if (!image)
		return -ENOENT;
	f->elf = elf_memory((char *)image, size);
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
	/* Paths come from a stranger's file: never block on a FIFO or a
	 * device, read regular files only. */
	f->fd = wp_open_regular(path);
	if (f->fd < 0)
		return f->fd;
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
	uint8_t src;

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
	src = symtab ? SYM_SYMTAB : SYM_DYNSYM;
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
		char *at;

		if (!gelf_getsym(data, (int)i, &sym))
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) ||
		    sym.st_shndx == SHN_UNDEF || sym.st_name == 0 ||
		    sym.st_name >= d->strtab_len || sym.st_value == 0)
			continue;
		if (WP_GROW(d->fns, d->fns_cap, d->nfns + 1))
			return -ENOMEM;
		/* "fopen@@GLIBC_2.2.5" (.symtab keeps symbol versions): "fopen";
		 * a tail another name shares is cut the same way */
		at = strchr(d->strtab + sym.st_name, '@');
		if (at && at != d->strtab + sym.st_name)
			*at = '\0';
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
	d->sym_src = src;
	return 0;
}

/* ---- separate debug files -------------------------------------------- */

static const char *symfs(const struct wp_dso *d)
{
	return d->owner->symfs ? d->owner->symfs : "";
}

static int debug_path(const struct wp_dso *d, const uint8_t *id, size_t len,
		      char *buf, size_t buflen)
{
	char hex[2 * WPD_BUILD_ID_MAX + 1];
	int n;

	if (len < 2)
		return -ENOENT;
	wp_build_id_hex(id, len, hex);
	n = snprintf(buf, buflen, "%s" DEBUG_DIR "%.2s/%s.debug", symfs(d), hex, hex + 2);
	return n < 0 || (size_t)n >= buflen ? -ENAMETOOLONG : 0;
}

/* Open the separate debug file of this build-id, if it is there and
 * matches; its path in path (4096 bytes). */
static int open_debug_file(const struct wp_dso *d, const uint8_t *id, size_t len,
			   struct elf_file *f, char *path)
{
	uint8_t found[BUILD_ID_READ_MAX];
	int n;

	if (debug_path(d, id, len, path, 4096))
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

/* CRC-32 (IEEE, as .gnu_debuglink uses) of a whole file. */
static int file_crc32(int fd, uint32_t *out)
{
	static uint32_t table[256];
	static bool ready;
	uint8_t buf[65536];
	uint32_t crc = 0xffffffffu;
	ssize_t n;

	if (!ready) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
		ready = true;
	}
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++)
			crc = table[(crc ^ buf[i]) & 0xff] ^ (crc >> 8);
	if (n < 0)
		return -errno;
	*out = crc ^ 0xffffffffu;
	return 0;
}

/*
 * The .gnu_debuglink file of main (whose path on this machine, under
 * symfs, is real): next to it, in its .debug/ directory, under
 * /usr/lib/debug/DIR/. Accepted when its build-id is main's, or, when
 * either has none, when its CRC is the link's.
 */
static int open_debuglink(const struct wp_dso *d, Elf *main, const char *real,
			  const uint8_t *id, size_t id_len, struct elf_file *f, char *path)
{
	GElf_Word crc;
	const char *link = dwelf_elf_gnu_debuglink(main, &crc);
	const char *slash = strrchr(real, '/');
	uint8_t found[BUILD_ID_READ_MAX];
	size_t sl = strlen(symfs(d)), dirlen;
	int k, n;

	if (!link || !link[0] || strchr(link, '/') || !slash)
		return -ENOENT;
	dirlen = (size_t)(slash - real);
	for (k = 0; k < 3; k++) {
		if (k == 2) /* real = symfs + original path */
			n = snprintf(path, 4096, "%s/usr/lib/debug%.*s/%s", symfs(d),
				     dirlen > sl ? (int)(dirlen - sl) : 0, real + sl, link);
		else
			n = snprintf(path, 4096, "%.*s/%s%s", (int)dirlen, real,
				     k ? ".debug/" : "", link);
		if (n < 0 || n >= 4096 || strcmp(path, real) == 0)
			continue;
		if (elf_file__open(f, path))
			continue;
		n = elf_build_id(f->elf, found, sizeof(found));
		if (n > 0 && id_len) {
			if (build_id_eq(id, id_len, found, (size_t)n))
				return 0;
		} else {
			uint32_t got = 0;

			if (file_crc32(f->fd, &got) == 0 && got == crc)
				return 0;
		}
		elf_file__close(f);
	}
	return -ENOENT;
}

static bool has_dwarf(Elf *e)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(e, &shstrndx))
		return false;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS || !sh.sh_size)
			continue;
		name = elf_strptr(e, shstrndx, sh.sh_name);
		if (name && (strcmp(name, ".debug_info") == 0 || strcmp(name, ".zdebug_info") == 0))
			return true;
	}
	return false;
}

static bool has_embedded(const struct wp_dso *d)
{
	return d->nesyms || d->nelines;
}

/* A problem with the binary: a warning, or a note when the recording has
 * the names anyway. */
#define dso_complain(d, ...) do {                                                 \
	if (has_embedded(d))                                                      \
		pr_info(__VA_ARGS__);                                             \
	else                                                                      \
		pr_warn(__VA_ARGS__);                                             \
} while (0)

/* ---- loading a binary -------------------------------------------------- */

/*
 * Open the binary (or, when it is missing or another build, its debug
 * file by build-id). 0 and f open with real its path; or the state that
 * says why not.
 */
static enum wp_dso_state dso_open(struct wp_dso *d, struct elf_file *f, char *real,
				  bool *is_debug)
{
	uint8_t found[BUILD_ID_READ_MAX];
	char rec_hex[2 * WPD_BUILD_ID_MAX + 1], found_hex[2 * BUILD_ID_READ_MAX + 1];
	char dbg[4096];
	size_t plen;
	int n, open_err;

	*is_debug = false;
	if (strcmp(d->path, "[vdso]") == 0) {
		if (!d->build_id_len && !d->owner->vdso_same_kernel)
			return WP_DSO_NO_FILE;
		if (vdso_open(f))
			return WP_DSO_NO_FILE;
		if (d->build_id_len) {
			n = elf_build_id(f->elf, found, sizeof(found));
			if (n <= 0 || !build_id_eq(d->build_id, d->build_id_len, found, (size_t)n)) {
				elf_file__close(f);
				return WP_DSO_NO_FILE; /* another kernel's vDSO: expected, no warning */
			}
		}
		snprintf(real, 4096, "[vdso]");
		return d->build_id_len ? WP_DSO_OK : WP_DSO_UNCHECKED;
	}
	/* "//anon", "[heap]", memfd (anonymous memory)...: nothing to open */
	if (d->fd < 0 && (d->path[0] != '/' || strncmp(d->path, "/memfd:", 7) == 0))
		return WP_DSO_NO_FILE;
	plen = wp_mapped_path_len(d->path); /* the file may still be there */
	n = snprintf(real, 4096, "%s%.*s", symfs(d), (int)plen, d->path);
	if (n < 0 || n >= 4096)
		return WP_DSO_MISSING;

	if (d->fd >= 0) {
		int fd = dup(d->fd);

		f->elf = NULL;
		f->fd = fd;
		open_err = fd < 0 ? -errno : 0;
		if (!open_err) {
			f->elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
			if (!f->elf || elf_kind(f->elf) != ELF_K_ELF) {
				elf_file__close(f);
				open_err = -ENOEXEC;
			}
		}
	} else {
		open_err = elf_file__open(f, real);
	}
	if (!open_err && d->build_id_len) {
		n = elf_build_id(f->elf, found, sizeof(found));
		if (n > 0 && build_id_eq(d->build_id, d->build_id_len, found, (size_t)n))
			return WP_DSO_OK;
		elf_file__close(f);
		/* the right one may still be in the debug directory */
		if (open_debug_file(d, d->build_id, d->build_id_len, f, dbg) == 0) {
			*is_debug = true;
			strcpy(real, dbg);
			return WP_DSO_OK;
		}
		wp_build_id_hex(d->build_id, d->build_id_len, rec_hex);
		if (n > 0)
			wp_build_id_hex(found, (size_t)n, found_hex);
		else
			strcpy(found_hex, "none");
		dso_complain(d, "build-id mismatch for %s: recorded %s, found %s%s", real, rec_hex,
			     found_hex, has_embedded(d) ? ": using the names stored in the recording" : "");
		return WP_DSO_MISMATCH;
	}
	if (!open_err) {
		if (!has_embedded(d))
			pr_info("no build-id recorded for %s: using its symbols unchecked", real);
		return WP_DSO_UNCHECKED;
	}
	if (d->build_id_len && open_debug_file(d, d->build_id, d->build_id_len, f, dbg) == 0) {
		*is_debug = true;
		strcpy(real, dbg);
		return WP_DSO_OK;
	}
	dso_complain(d, "cannot read symbols of %s: %s%s", real,
		     open_err == -ENOEXEC ? "not an ELF file" : strerror(-open_err),
		     has_embedded(d) ? ": using the names stored in the recording" : "");
	return open_err == -ENOENT ? WP_DSO_MISSING : WP_DSO_UNREADABLE;
}

static int dso_load(struct wp_dso *d)
{
	struct elf_file f = { .fd = -1 }, dbg = { .fd = -1 };
	uint8_t found[BUILD_ID_READ_MAX];
	const uint8_t *id;
	char real[4096], dbg_path[4096];
	bool is_debug, main_dwarf;
	GElf_Ehdr eh;
	int n, ret;

	d->loaded = true;
	d->state = dso_open(d, &f, real, &is_debug);
	if (d->state != WP_DSO_OK && d->state != WP_DSO_UNCHECKED)
		return 0;
	if (gelf_getehdr(f.elf, &eh)) {
		d->machine = eh.e_machine;
		d->elf_class = eh.e_ident[EI_CLASS];
	}
	ret = load_segments(d, f.elf);
	if (!ret)
		ret = load_symbols(d, f.elf);
	main_dwarf = strcmp(d->path, "[vdso]") != 0 && has_dwarf(f.elf);
	if (main_dwarf) {
		/* the file itself: by fd (the mapped one), else by path */
		d->dw_in_main = !is_debug && d->fd >= 0;
		if (!d->dw_in_main && !(d->dw_path = strdup(real)))
			ret = -ENOMEM;
	}
	/* only .dynsym (or nothing), or no DWARF: the separate debug file */
	if (!ret && !is_debug && strcmp(d->path, "[vdso]") != 0 &&
	    (d->sym_src != SYM_SYMTAB || !main_dwarf)) {
		n = d->build_id_len ? (int)d->build_id_len : elf_build_id(f.elf, found, sizeof(found));
		id = d->build_id_len ? d->build_id : found;
		if ((n > 0 && open_debug_file(d, id, (size_t)n, &dbg, dbg_path) == 0) ||
		    open_debuglink(d, f.elf, real, id, n > 0 ? (size_t)n : 0, &dbg, dbg_path) == 0) {
			pr_debug("%s: debug file %s", real, dbg_path);
			if (d->sym_src != SYM_SYMTAB) {
				struct elf_fn *keep = d->fns;
				char *keep_str = d->strtab;
				size_t keep_n = d->nfns, keep_cap = d->fns_cap;
				uint8_t keep_src = d->sym_src;

				/* its .symtab, if it has one, replaces .dynsym */
				d->fns = NULL;
				d->strtab = NULL;
				d->nfns = d->fns_cap = 0;
				d->sym_src = SYM_NONE;
				ret = load_symbols(d, dbg.elf);
				if (!ret && d->sym_src == SYM_SYMTAB && d->nfns) {
					free(keep);
					free(keep_str);
				} else {
					free(d->fns);
					free(d->strtab);
					d->fns = keep;
					d->strtab = keep_str;
					d->nfns = keep_n;
					d->fns_cap = keep_cap;
					d->sym_src = keep_src;
				}
			}
			if (!ret && !main_dwarf && has_dwarf(dbg.elf) &&
			    !(d->dw_path = strdup(dbg_path)))
				ret = -ENOMEM;
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

enum wp_dso_state wp_dso__state(struct wp_dso *d)
{
	if (!d->loaded)
		dso_load(d);
	return d->state;
}

const char *wp_dso_state__name(enum wp_dso_state st)
{
	switch (st) {
	case WP_DSO_OK:
		return "ok";
	case WP_DSO_UNCHECKED:
		return "unchecked";
	case WP_DSO_MISSING:
		return "missing";
	case WP_DSO_MISMATCH:
		return "build-id mismatch";
	case WP_DSO_UNREADABLE:
		return "unreadable";
	case WP_DSO_NO_FILE:
		return "no file";
	default:
		return "not loaded";
	}
}

const char *wp_dso__build_id_hex(const struct wp_dso *d, char *buf)
{
	wp_build_id_hex(d->build_id, d->build_id_len, buf);
	return buf;
}

bool wp_dso__has_embedded(const struct wp_dso *d)
{
	return has_embedded(d);
}

bool wp_dso__has_dwarf(struct wp_dso *d)
{
	if (!d->loaded)
		dso_load(d);
	return d->usable && (d->dw_in_main || d->dw_path);
}

/* ---- names stored in the recording ------------------------------------ */

int wp_dso__add_embedded_sym(struct wp_dso *d, const struct wp_esym *sym)
{
	if (WP_GROW(d->esyms, d->esyms_cap, d->nesyms + 1))
		return -ENOMEM;
	d->esyms[d->nesyms++] = *sym;
	d->esorted = false;
	return 0;
}

int wp_dso__add_embedded_frames(struct wp_dso *d, uint64_t file_off,
				const struct wp_srcframe *frames, size_t n)
{
	if (n == 0)
		return 0;
	if (n > WP_INLINE_MAX)
		n = WP_INLINE_MAX;
	if (d->neframes + n > UINT32_MAX ||
	    WP_GROW(d->eframes, d->eframes_cap, d->neframes + n) ||
	    WP_GROW(d->elines, d->elines_cap, d->nelines + 1))
		return -ENOMEM;
	memcpy(d->eframes + d->neframes, frames, n * sizeof(*frames));
	d->elines[d->nelines].addr = file_off;
	d->elines[d->nelines].off = (uint32_t)d->neframes;
	d->elines[d->nelines].n = (uint32_t)n;
	d->nelines++;
	d->neframes += n;
	d->esorted = false;
	return 0;
}

static int esym_cmp(const void *a, const void *b)
{
	const struct wp_esym *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->size > y->size ? -1 : x->size < y->size;
}

static int eline_cmp(const void *a, const void *b)
{
	const struct eline *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

/* Sorted, one entry per start / address (the largest symbol, the first
 * stored chain). */
static void embedded_sort(struct wp_dso *d)
{
	size_t i, out;

	d->esorted = true;
	if (d->nesyms > 1)
		qsort(d->esyms, d->nesyms, sizeof(*d->esyms), esym_cmp);
	for (i = 0, out = 0; i < d->nesyms; i++)
		if (!out || d->esyms[out - 1].start != d->esyms[i].start)
			d->esyms[out++] = d->esyms[i];
	d->nesyms = out;
	if (d->nelines > 1)
		qsort(d->elines, d->nelines, sizeof(*d->elines), eline_cmp);
	for (i = 0, out = 0; i < d->nelines; i++)
		if (!out || d->elines[out - 1].addr != d->elines[i].addr)
			d->elines[out++] = d->elines[i];
	d->nelines = out;
}

static int embedded_lookup(struct wp_dso *d, uint64_t file_off, struct wp_sym *out)
{
	size_t lo = 0, hi, k;

	if (!d->esorted)
		embedded_sort(d);
	hi = d->nesyms;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->esyms[mid].start <= file_off)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (k = 0; k < 8 && lo > 0; k++, lo--) {
		const struct wp_esym *e = &d->esyms[lo - 1];

		if (file_off - e->start < e->size) {
			out->name = e->name;
			out->addr = e->start;
			out->offset = file_off - e->start;
			out->size = e->size;
			return 1;
		}
	}
	return 0;
}

static const struct eline *embedded_line(struct wp_dso *d, uint64_t file_off)
{
	size_t lo = 0, hi;

	if (!d->esorted)
		embedded_sort(d);
	hi = d->nelines;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->elines[mid].addr < file_off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < d->nelines && d->elines[lo].addr == file_off ? &d->elines[lo] : NULL;
}

/* ---- lookups ---------------------------------------------------------- */

/* file offset -> ELF virtual address; prefer the executable segment */
static int off_to_vaddr(const struct wp_dso *d, uint64_t file_off, uint64_t *vaddr)
{
	const struct load_seg *seg = NULL;
	size_t i;

	for (i = 0; i < d->nsegs; i++) {
		const struct load_seg *s = &d->segs[i];

		if (file_off < s->offset || file_off - s->offset >= s->filesz)
			continue;
		if (!seg || (s->flags & PF_X))
			seg = s;
	}
	if (!seg)
		return -ENOENT;
	*vaddr = file_off - seg->offset + seg->vaddr;
	return 0;
}

static int vaddr_to_off(const struct wp_dso *d, uint64_t vaddr, uint64_t *file_off)
{
	size_t i;

	for (i = 0; i < d->nsegs; i++) {
		const struct load_seg *s = &d->segs[i];

		if (vaddr >= s->vaddr && vaddr - s->vaddr < s->filesz) {
			*file_off = vaddr - s->vaddr + s->offset;
			return 0;
		}
	}
	return -ENOENT;
}

static int elf_lookup(struct wp_dso *d, uint64_t file_off, struct wp_sym *out)
{
	uint64_t vaddr;
	size_t lo, hi, k;

	if (!d->usable || !d->nfns || off_to_vaddr(d, file_off, &vaddr))
		return 0;
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
			out->size = f->end - f->addr;
			return 1;
		}
	}
	return 0;
}

/* Which names to trust first: see symbols.h. */
static bool embedded_first(const struct wp_dso *d)
{
	if (!has_embedded(d))
		return false;
	if (!d->usable || d->state == WP_DSO_UNCHECKED)
		return true;
	return d->sym_src != SYM_SYMTAB;
}

int wp_dso__lookup(struct wp_dso *d, uint64_t file_off, struct wp_sym *out)
{
	if (!d->loaded && dso_load(d))
		return 0;
	if (embedded_first(d) && embedded_lookup(d, file_off, out))
		return 1;
	return elf_lookup(d, file_off, out);
}

static struct wp_dwarf *dso_dwarf(struct wp_dso *d)
{
	int fd;

	if (d->dw_tried)
		return d->dw;
	d->dw_tried = true;
	if (!d->usable || (!d->dw_in_main && !d->dw_path))
		return NULL;
	fd = d->dw_in_main ? fcntl(d->fd, F_DUPFD_CLOEXEC, 0)
			   : wp_open_regular(d->dw_path);
	if (fd < 0)
		return NULL;
	pr_debug("%s: reading DWARF from %s", d->path, d->dw_in_main ? d->path : d->dw_path);
	d->dw = wp_dwarf__open(fd, d->owner->symfs);
	if (!d->dw)
		pr_debug("%s: cannot read its DWARF", d->path);
	return d->dw;
}

size_t wp_dso__lookup_frames(struct wp_dso *d, uint64_t file_off, struct wp_srcframe *out,
			     size_t max)
{
	struct wp_dwarf_frame df[WP_INLINE_MAX];
	const struct eline *el;
	struct wp_dwarf *dw;
	struct wp_sym sym;
	uint64_t vaddr;
	size_t n = 0, i;
	int have_sym;

	if (!max)
		return 0;
	if (max > WP_INLINE_MAX)
		max = WP_INLINE_MAX;
	have_sym = wp_dso__lookup(d, file_off, &sym);
	/*
	 * A chain stored for this address was read from DWARF of this very
	 * build (a stored record never applies to another build-id): it is
	 * what the DWARF here would say, without opening and decompressing
	 * the debug file (tens of milliseconds for libc's).
	 */
	el = has_embedded(d) ? embedded_line(d, file_off) : NULL;
	if (el) {
		n = el->n < max ? el->n : max;
		memcpy(out, d->eframes + el->off, n * sizeof(*out));
		/* cut like wp_dwarf__lookup(): the outermost frame stays last */
		if (n < el->n)
			out[n - 1] = d->eframes[el->off + el->n - 1];
		for (i = 0; i < n; i++)
			out[i].inlined = i + 1 < n;
	} else if ((dw = dso_dwarf(d)) && off_to_vaddr(d, file_off, &vaddr) == 0) {
		n = wp_dwarf__lookup(dw, vaddr, df, max);
		for (i = 0; i < n; i++) {
			out[i].name = df[i].name;
			out[i].file = df[i].file;
			out[i].line = df[i].line;
			out[i].inlined = i + 1 < n;
		}
	}
	if (n == 0) {
		if (!have_sym)
			return 0;
		out[0] = (struct wp_srcframe){ .name = sym.name };
		return 1;
	}
	/* the function the code belongs to keeps its symbol-table name */
	if (have_sym || !out[n - 1].name)
		out[n - 1].name = have_sym ? sym.name : NULL;
	if (!out[n - 1].name && n == 1)
		return out[0].file ? 1 : 0;
	return n;
}

/* ---- annotate support ------------------------------------------------- */

void wp_code__release(struct wp_code *c)
{
	free(c->bytes);
	memset(c, 0, sizeof(*c));
}

int wp_dso__code(struct wp_dso *d, uint64_t file_off, struct wp_code *out)
{
	struct elf_file f = { .fd = -1 };
	struct wp_sym sym;
	Elf_Scn *scn = NULL;
	uint64_t vaddr;
	char real[4096];
	bool is_debug;
	int ret = -ENOEXEC;

	memset(out, 0, sizeof(*out));
	if (!wp_dso__usable(d) || !elf_lookup(d, file_off, &sym))
		return -ENOENT;
	vaddr = sym.addr;
	if (dso_open(d, &f, real, &is_debug) != d->state || is_debug) {
		elf_file__close(&f);
		return -ENOEXEC; /* only a debug file here: sections without bytes */
	}
	while ((scn = elf_nextscn(f.elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_ALLOC) || vaddr < sh.sh_addr ||
		    vaddr - sh.sh_addr >= sh.sh_size)
			continue;
		data = elf_rawdata(scn, NULL);
		if (!data || !data->d_buf || data->d_size != sh.sh_size)
			break;
		out->size = sym.size;
		if (out->size > sh.sh_size - (vaddr - sh.sh_addr))
			out->size = sh.sh_size - (vaddr - sh.sh_addr);
		out->bytes = malloc(out->size ? out->size : 1);
		if (!out->bytes) {
			ret = -ENOMEM;
			break;
		}
		memcpy(out->bytes, (const uint8_t *)data->d_buf + (vaddr - sh.sh_addr), out->size);
		out->name = sym.name;
		out->vaddr = vaddr;
		if (vaddr_to_off(d, vaddr, &out->file_off))
			out->file_off = file_off - sym.offset;
		out->machine = d->machine;
		out->elf_class = d->elf_class;
		ret = 0;
		break;
	}
	elf_file__close(&f);
	return ret;
}

static bool name_is(const char *raw, const char *want)
{
	char *pretty;
	bool eq;
	size_t n;

	if (strcmp(raw, want) == 0)
		return true;
	pretty = wp_demangle(raw);
	if (!pretty)
		return false;
	eq = strcmp(pretty, want) == 0;
	/* "ns::f" names "ns::f(int)" too */
	n = strlen(want);
	if (!eq && strncmp(pretty, want, n) == 0 && pretty[n] == '(')
		eq = true;
	free(pretty);
	return eq;
}

size_t wp_dso__find_functions(struct wp_dso *d, const char *name,
			      void (*fn)(void *arg, uint64_t file_off), void *arg)
{
	size_t i, found = 0;
	uint64_t off;

	if (!d->loaded)
		dso_load(d);
	if (d->usable)
		for (i = 0; i < d->nfns; i++)
			if (name_is(d->strtab + d->fns[i].name, name) &&
			    vaddr_to_off(d, d->fns[i].addr, &off) == 0) {
				fn(arg, off);
				found++;
			}
	if (!found) {
		if (!d->esorted)
			embedded_sort(d);
		for (i = 0; i < d->nesyms; i++)
			if (name_is(d->esyms[i].name, name)) {
				fn(arg, d->esyms[i].start);
				found++;
			}
	}
	return found;
}
